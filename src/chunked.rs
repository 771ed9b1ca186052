//! Running a streaming file over a sequence a chunk of steps at a time,
//! carrying its states from one call to the next, as a host would:
//! `rnnc run --chunks`, and verify's check that chunks equal the whole
//! sequence. The file says which inputs and outputs are sequences and which
//! inputs hold states in its metadata (`crate::metadata::STATES`,
//! `crate::metadata::TIMING`).

use std::ops::Range;

use ndarray::{concatenate, ArrayD, Axis, Slice};

use crate::back::onnx::proto::ModelProto;
use crate::metadata;
use crate::streaming::{Relation, Timing};
use crate::tensor::TensorData;

/// One state a streaming file takes and gives back.
#[derive(Clone, Debug, PartialEq)]
pub struct StatePair {
    /// The graph input it starts from (`lstm_h_in`).
    pub input: String,
    /// The graph output it ends as (`lstm_h_out`).
    pub output: String,
    /// `[batch, units]`, `None` for a symbolic batch.
    pub shape: Vec<Option<u64>>,
}

/// What a streaming file's metadata says about its inputs and outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamingFile {
    /// The states, in the order of the graph inputs that hold them (after
    /// the data inputs) and of the outputs that give them back (after the
    /// model's own).
    pub states: Vec<StatePair>,
    /// The data inputs' names and relations to the chunks, in graph order.
    pub inputs: Vec<(String, Relation)>,
    /// Every graph output's name and relation to the chunks, in graph order.
    pub outputs: Vec<(String, Relation)>,
}

impl StreamingFile {
    /// Reads the streaming metadata of a file: `None` for a file that is
    /// not streaming, an error for entries that do not parse.
    pub fn from_model(model: &ModelProto) -> Result<Option<StreamingFile>, String> {
        StreamingFile::from_metadata(|key: &str| {
            model
                .metadata_props
                .iter()
                .find(|p| p.key.as_deref() == Some(key))
                .and_then(|p| p.value.as_deref())
        })
    }

    /// [`from_model`](Self::from_model) from a lookup of metadata entries.
    pub fn from_metadata<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Option<StreamingFile>, String> {
        let (Some(states), Some(timing)) = (lookup(metadata::STATES), lookup(metadata::TIMING))
        else {
            return Ok(None);
        };
        let bad = |key: &str, why: String| format!("metadata `{key}` does not parse: {why}");
        let states: serde_json::Value =
            serde_json::from_str(states).map_err(|e| bad(metadata::STATES, e.to_string()))?;
        let states = states
            .as_array()
            .ok_or_else(|| bad(metadata::STATES, "not an array".into()))?
            .iter()
            .map(|pair| {
                let text = |k: &str| pair[k].as_str().map(str::to_string);
                let shape = pair["shape"].as_array().map(|dims| {
                    dims.iter()
                        .map(serde_json::Value::as_u64)
                        .collect::<Vec<_>>()
                });
                match (text("input"), text("output"), shape) {
                    (Some(input), Some(output), Some(shape)) => Ok(StatePair {
                        input,
                        output,
                        shape,
                    }),
                    _ => Err(bad(metadata::STATES, format!("entry {pair}"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let timing: serde_json::Value =
            serde_json::from_str(timing).map_err(|e| bad(metadata::TIMING, e.to_string()))?;
        let list = |part: &str| -> Result<Vec<(String, Relation)>, String> {
            timing[part]
                .as_array()
                .ok_or_else(|| bad(metadata::TIMING, format!("no `{part}` list")))?
                .iter()
                .map(|entry| {
                    let name = entry["name"].as_str();
                    let timing = entry["timing"].as_str().and_then(Timing::parse);
                    match (name, timing, entry["whole"].as_bool()) {
                        (Some(name), Some(timing), Some(whole)) => {
                            Ok((name.to_string(), Relation { timing, whole }))
                        }
                        _ => Err(bad(metadata::TIMING, format!("entry {entry}"))),
                    }
                })
                .collect()
        };
        Ok(Some(StreamingFile {
            states,
            inputs: list("inputs")?,
            outputs: list("outputs")?,
        }))
    }

    /// The graph output position of each state, in state order.
    pub fn state_outputs(&self) -> Vec<usize> {
        self.states
            .iter()
            .map(|s| {
                self.outputs
                    .iter()
                    .position(|(name, _)| *name == s.output)
                    .expect("metadata names each state output among the outputs")
            })
            .collect()
    }

    /// Zero states for a batch of `batch` rows.
    pub fn zero_states(&self, batch: usize) -> Vec<ArrayD<f32>> {
        self.states
            .iter()
            .map(|s| {
                let units = s.shape.get(1).copied().flatten().unwrap_or(0) as usize;
                ArrayD::zeros(vec![batch, units])
            })
            .collect()
    }
}

/// The chunks `sizes` make of `total` steps, refused unless they are
/// positive and add up to `total`.
pub fn ranges(sizes: &[usize], total: usize) -> Result<Vec<Range<usize>>, String> {
    if sizes.contains(&0) {
        return Err("a chunk of 0 steps runs nothing: give positive chunk lengths".into());
    }
    let sum: usize = sizes.iter().sum();
    if sum != total {
        return Err(format!(
            "the chunks add up to {sum} steps, but the input has {total}: give chunk lengths \
             that add up to the input's time axis (axis 1)"
        ));
    }
    let mut start = 0;
    Ok(sizes
        .iter()
        .map(|&n| {
            start += n;
            start - n..start
        })
        .collect())
}

/// Steps `range` of a sequence `(batch, steps, ...)`.
pub fn slice_time(x: &TensorData, range: Range<usize>) -> TensorData {
    let slice = Slice::from(range);
    match x {
        TensorData::F32(a) => TensorData::F32(a.slice_axis(Axis(1), slice).to_owned()),
        TensorData::I32(a) => TensorData::I32(a.slice_axis(Axis(1), slice).to_owned()),
        TensorData::I64(a) => TensorData::I64(a.slice_axis(Axis(1), slice).to_owned()),
    }
}

/// What a chunked run gives: the model's outputs over the whole sequence
/// and the states after its last step.
pub struct ChunkedRun {
    /// Every graph output: a `steps` one concatenated over the chunks, the
    /// others the last chunk's.
    pub outputs: Vec<ArrayD<f32>>,
    /// The final states, in state order.
    pub states: Vec<ArrayD<f32>>,
}

/// Runs `call` (one run of the file: data inputs then states in, every
/// graph output out) over the `ranges` of `data`, starting from `states`.
pub fn run<E>(
    file: &StreamingFile,
    data: &[TensorData],
    states: Vec<ArrayD<f32>>,
    ranges: &[Range<usize>],
    mut call: impl FnMut(Vec<TensorData>) -> Result<Vec<ArrayD<f32>>, E>,
) -> Result<ChunkedRun, E> {
    let state_outputs = file.state_outputs();
    let mut states = states;
    let mut pieces: Vec<Vec<ArrayD<f32>>> = vec![Vec::new(); file.outputs.len()];
    for range in ranges {
        let mut inputs: Vec<TensorData> = data
            .iter()
            .zip(&file.inputs)
            .map(|(x, (_, relation))| match relation.timing {
                Timing::Steps => slice_time(x, range.clone()),
                Timing::Last | Timing::Fixed => x.clone(),
            })
            .collect();
        inputs.extend(states.iter().cloned().map(TensorData::F32));
        let outputs = call(inputs)?;
        states = state_outputs.iter().map(|&k| outputs[k].clone()).collect();
        for ((piece, y), (_, relation)) in pieces.iter_mut().zip(outputs).zip(&file.outputs) {
            match relation.timing {
                Timing::Steps => piece.push(y),
                Timing::Last | Timing::Fixed => *piece = vec![y],
            }
        }
    }
    // A `steps` output's chunks differ on axis 1 only, as the metadata
    // says; should another axis differ, the last chunk's stands.
    let outputs = pieces
        .into_iter()
        .map(|mut piece| {
            let views: Vec<_> = piece.iter().map(|a| a.view()).collect();
            match concatenate(Axis(1), &views) {
                Ok(joined) if piece.len() > 1 => joined,
                Ok(_) | Err(_) => piece.pop().expect("every call gives every output"),
            }
        })
        .collect();
    Ok(ChunkedRun { outputs, states })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_must_cover_the_steps() {
        assert_eq!(ranges(&[2, 1, 3], 6).unwrap(), [0..2, 2..3, 3..6]);
        assert!(ranges(&[2, 3], 6)
            .unwrap_err()
            .contains("add up to 5 steps"));
        assert!(ranges(&[0, 6], 6).is_err());
    }

    fn relation(timing: Timing) -> Relation {
        Relation {
            timing,
            whole: true,
        }
    }

    #[test]
    fn steps_concatenate_and_states_carry() {
        // A running sum: output = h_in + cumulative sum of x; state = last.
        let file = StreamingFile {
            states: vec![StatePair {
                input: "h_in".into(),
                output: "h_out".into(),
                shape: vec![Some(1), Some(1)],
            }],
            inputs: vec![("x".into(), relation(Timing::Steps))],
            outputs: vec![
                ("y".into(), relation(Timing::Steps)),
                ("h_out".into(), relation(Timing::Last)),
            ],
        };
        let call = |inputs: Vec<TensorData>| -> Result<Vec<ArrayD<f32>>, ()> {
            let (TensorData::F32(x), TensorData::F32(h)) = (&inputs[0], &inputs[1]) else {
                unreachable!()
            };
            let mut acc = h[[0, 0]];
            let y: Vec<f32> = x
                .iter()
                .map(|v| {
                    acc += v;
                    acc
                })
                .collect();
            let n = y.len();
            Ok(vec![
                ArrayD::from_shape_vec(vec![1, n], y).unwrap(),
                ArrayD::from_elem(vec![1, 1], acc),
            ])
        };
        let x =
            TensorData::F32(ArrayD::from_shape_vec(vec![1, 4], vec![1.0, 2.0, 3.0, 4.0]).unwrap());
        let whole = run(
            &file,
            std::slice::from_ref(&x),
            file.zero_states(1),
            &ranges(&[4], 4).unwrap(),
            call,
        )
        .unwrap();
        let chunked = run(
            &file,
            &[x],
            file.zero_states(1),
            &ranges(&[1, 2, 1], 4).unwrap(),
            call,
        )
        .unwrap();
        assert_eq!(whole.outputs, chunked.outputs);
        assert_eq!(chunked.states[0][[0, 0]], 10.0);
    }
}
