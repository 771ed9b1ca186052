//! Verify's check of a streaming file: fed in chunks, carrying its states
//! from call to call, it gives the whole sequence's outputs and final
//! states, in tract and in the reference.
//!
//! For each drawn input of 2 to 9 steps (and its drawn starting states),
//! the reference runs the whole sequence in one call; then tract and the
//! reference each run it one step at a time and in uneven chunks
//! (1, 2, 3, …), and their concatenated outputs and final states are
//! compared with that whole run: those the file's metadata says the chunks
//! make whole (below a layer that restarts at every call or mixes a chunk's
//! steps, the chunks give what Keras' chunked calls give instead).

use std::ops::Range;

use super::{compare, drawn_inputs, reference_input, CaseReport, VerifyError, VerifyOptions};
use crate::chunked::{self, StreamingFile};
use crate::reference;
use crate::runtime::TractModel;
use crate::spec::Spec;
use crate::tensor::TensorData;
use crate::weights::Weights;

/// The longest sequence chunked: one step at a time over 33 steps would
/// add little to 9 but calls.
const MAX_STEPS: usize = 9;

/// The chunkings tried for `t` steps: one step at a time, then uneven
/// chunks 1, 2, 3, … (the last one what remains).
fn chunkings(t: usize) -> Vec<Vec<usize>> {
    let mut uneven = Vec::new();
    let (mut left, mut next) = (t, 1);
    while left > 0 {
        let n = next.min(left);
        uneven.push(n);
        left -= n;
        next += 1;
    }
    let ones = vec![1; t];
    if uneven == ones {
        vec![ones]
    } else {
        vec![ones, uneven]
    }
}

/// The chunk cases for the `cases` verify drew (their inputs drawn again
/// from the same seeds), as report cases.
#[allow(clippy::too_many_arguments)]
pub(super) fn check(
    tract: &TractModel,
    file: &StreamingFile,
    spec: &Spec,
    weights: &Weights,
    cases: &[Vec<Vec<usize>>],
    seed: u64,
    options: &VerifyOptions,
    show: &mut dyn FnMut(&str),
) -> Result<Vec<CaseReport>, VerifyError> {
    // Only the outputs the chunks make whole; the others are what Keras'
    // chunked calls give (a layer restarts at each call or mixes a chunk's
    // steps), which the whole sequence does not.
    let compared: Vec<usize> = (0..file.outputs.len())
        .filter(|&k| file.outputs[k].1.whole)
        .collect();
    let names: Vec<String> = compared
        .iter()
        .map(|&k| file.outputs[k].0.clone())
        .collect();
    let skipped: Vec<&str> = file
        .outputs
        .iter()
        .filter(|(_, r)| !r.whole)
        .map(|(n, _)| n.as_str())
        .collect();
    let pick = |all: &[ndarray::ArrayD<f32>]| -> Vec<ndarray::ArrayD<f32>> {
        compared.iter().map(|&k| all[k].clone()).collect()
    };
    let data_inputs = file.inputs.len();
    let steps_of = |shapes: &[Vec<usize>]| {
        file.inputs
            .iter()
            .zip(shapes)
            .find(|((_, r), _)| r.timing == crate::streaming::Timing::Steps)
            .and_then(|(_, shape)| shape.get(1).copied())
    };
    let reference_run = |x: Vec<TensorData>| {
        let inputs: Vec<_> = x.iter().map(reference_input).collect();
        reference::run(&spec.model, &spec.info, weights, &inputs)
    };
    let mut reports = Vec::new();
    // A file that keeps the model's fixed length (a layer mixes the steps)
    // takes no shorter chunks, as in Keras.
    let fixed_length = file.inputs.iter().enumerate().any(|(k, (_, r))| {
        r.timing == crate::streaming::Timing::Steps
            && spec.info.inputs[k]
                .shape
                .get(1)
                .is_some_and(Option::is_some)
    });
    if fixed_length {
        return Ok(reports);
    }
    for (index, shapes) in cases.iter().enumerate() {
        let Some(t) = steps_of(shapes).filter(|t| (2..=MAX_STEPS).contains(t)) else {
            continue;
        };
        let drawn = drawn_inputs(&spec.model, index, shapes, seed);
        let whole = pick(&reference_run(drawn.clone())?);
        let (data, states) = drawn.split_at(data_inputs);
        let states: Vec<_> = states
            .iter()
            .map(|s| match s {
                TensorData::F32(a) => a.clone(),
                TensorData::I32(_) | TensorData::I64(_) => {
                    unreachable!("state inputs are float32")
                }
            })
            .collect();
        for sizes in chunkings(t) {
            let ranges: Vec<Range<usize>> =
                chunked::ranges(&sizes, t).expect("chunkings cover the steps");
            let label = sizes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let in_tract = chunked::run(file, data, states.clone(), &ranges, |x| tract.run_f32(x))?;
            let in_reference = chunked::run(file, data, states.clone(), &ranges, reference_run)?;
            for (engine, ran) in [("tract", in_tract), ("the reference", in_reference)] {
                let not_compared = if skipped.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; not {}, each chunk's own as in Keras: {}",
                        if compared.is_empty() {
                            "any"
                        } else {
                            "compared"
                        },
                        skipped.join(", ")
                    )
                };
                let case = CaseReport {
                    input_shapes: shapes.clone(),
                    runs: 1,
                    covers: Some(format!(
                        "in chunks {label} in {engine}, states carried, against the whole \
                         sequence in the reference{not_compared}"
                    )),
                    outputs: compare(&names, &pick(&ran.outputs), &whole, options),
                };
                show(&super::render_case(&case));
                reports.push(case);
            }
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::chunkings;

    #[test]
    fn one_step_at_a_time_then_uneven() {
        assert_eq!(chunkings(4), [vec![1, 1, 1, 1], vec![1, 2, 1]]);
        assert_eq!(chunkings(9), [vec![1; 9], vec![1, 2, 3, 3]]);
        assert_eq!(chunkings(2), [vec![1, 1]]);
    }
}
