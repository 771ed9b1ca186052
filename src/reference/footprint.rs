//! The memory the reference interpreter allocates for one input shape,
//! estimated from shapes alone before anything runs, so that an input too
//! large for the memory budget is refused instead of aborting on allocation.
//!
//! Each layer family's count mirrors what its `run` holds at its peak (the
//! input, the contiguous copy it multiplies, the projected gates, the
//! outputs); counts saturate at `u64::MAX`, so a shape whose product
//! overflows reads as "too large" rather than wrapping.

use crate::budget::weights::{elements, F32_BYTES};
use crate::check::{ModelInfo, Shape};
use crate::ir::{LayerId, LayerKind, Model};

/// The reference interpreter's largest allocation over the layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Bytes held at the peak (the model input held by the caller not included).
    pub bytes: u64,
    /// The layer running at the peak.
    pub layer: Option<LayerId>,
}

/// The bytes of one f32 tensor of `shape`, saturating.
pub fn f32_bytes(shape: &[usize]) -> u64 {
    elements(shape).saturating_mul(F32_BYTES)
}

/// The peak memory of [`super::run`] on inputs of `input_shapes` (each of
/// its input's rank; axis 0 is the batch, axis 1 the time). A free
/// dimension of an intermediate value is taken as the largest of the
/// inputs' on that axis, which bounds it from above.
pub fn peak(model: &Model, info: &ModelInfo, input_shapes: &[Vec<usize>]) -> Footprint {
    let largest = |axis: usize| {
        input_shapes
            .iter()
            .filter_map(|s| s.get(axis).copied())
            .max()
            .unwrap_or(1)
    };
    let concrete = |shape: &Shape| -> Vec<usize> {
        shape
            .iter()
            .enumerate()
            .map(|(axis, dim)| match dim {
                Some(n) => usize::try_from(*n).unwrap_or(usize::MAX),
                None => largest(axis),
            })
            .collect()
    };
    let mut best = Footprint {
        bytes: 0,
        layer: None,
    };
    for (call_id, call) in model.calls() {
        let layer = model.layer_of(call_id);
        let call_info = info.call(call_id);
        // A layer works on copies of its inputs (ids are read in place).
        let input_shape = &call_info.input_shapes[0];
        let input = call_info
            .input_shapes
            .iter()
            .map(|s| f32_bytes(&concrete(s)))
            .fold(0u64, u64::saturating_add);
        let outputs = call_info
            .output_shapes
            .iter()
            .map(|s| f32_bytes(&concrete(s)))
            .fold(0u64, u64::saturating_add);
        let bytes = match &layer.kind {
            LayerKind::Recurrent(r) => {
                // x, its contiguous [B*T, F] copy, x·W [B*T, gU], the outputs
                // (the widest cell's, for a stacked layer).
                let gates = r
                    .chain()
                    .iter()
                    .map(|cell| gate_bytes(&concrete(input_shape), cell.units, cell.cell.gates()))
                    .max()
                    .unwrap_or(0);
                sum(&[input, input, gates, outputs])
            }
            LayerKind::Bidirectional(b) => {
                // One direction's temporaries while the other's result
                // waits, then both results and the merged outputs.
                let gates = gate_bytes(&concrete(input_shape), b.layer.units, b.layer.cell.gates());
                sum(&[input, input, gates, outputs.saturating_mul(3)])
            }
            LayerKind::Dense(_) | LayerKind::TimeDistributed(_) => {
                // x, its contiguous [rows, F] copy, the outputs.
                sum(&[input, input, outputs])
            }
            LayerKind::Embedding(_) => outputs,
            LayerKind::Dropout { .. } | LayerKind::Activation(_) => input,
            // The inputs' copies and the result.
            LayerKind::Merge(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Identity(_)
            | LayerKind::Reshape(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Normalization(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::ActivationLayer(_)
            | LayerKind::Masking { .. } => sum(&[input, outputs.saturating_mul(2)]),
            // The scores [B, Tq, Tv] (and [B, Tq, Tv, D] for the additive
            // and concat forms) beside the inputs and outputs.
            LayerKind::Attention(a) => {
                let q = concrete(&call_info.input_shapes[0]);
                let v = concrete(&call_info.input_shapes[1]);
                let scores = f32_bytes(&[q[0], q[1], v[1]]);
                let wide = if a.additive || a.concat {
                    f32_bytes(&[q[0], q[1], v[1], q[2]])
                } else {
                    0
                };
                sum(&[
                    input,
                    outputs,
                    scores.saturating_mul(2),
                    wide.saturating_mul(2),
                ])
            }
        };
        if bytes > best.bytes || best.layer.is_none() {
            best = Footprint {
                bytes,
                layer: Some(call.layer),
            };
        }
    }
    best
}

/// Bytes of `x·W` for every step of a `[B, T, F]` input: `[B*T, gates*units]`.
fn gate_bytes(input: &[usize], units: u64, gates: u64) -> u64 {
    let steps = elements(&input[..input.len().saturating_sub(1)]);
    steps
        .saturating_mul(units.saturating_mul(gates))
        .saturating_mul(F32_BYTES)
}

fn sum(parts: &[u64]) -> u64 {
    parts.iter().copied().fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    fn spec(source: &str) -> Spec {
        Spec::from_source(source.into(), "test.rnn").unwrap()
    }

    #[test]
    fn a_recurrent_layer_holds_its_input_twice_its_gates_and_outputs() {
        let s = spec("LSTM(8, return_sequences=True, input_shape=(None, 3))");
        let f = peak(&s.model, &s.info, &[vec![2, 5, 3]]);
        let input = 2 * 5 * 3 * 4;
        let gates = 2 * 5 * 32 * 4;
        let outputs = 2 * 5 * 8 * 4;
        assert_eq!(f.bytes, 2 * input + gates + outputs);
        assert_eq!(f.layer, Some(LayerId(0)));
    }

    #[test]
    fn the_peak_is_the_heaviest_layer() {
        let s = spec(
            "model = Sequential()\n\
             model.add(Embedding(10, 4, input_length=6))\n\
             model.add(SimpleRNN(100, return_sequences=True))\n\
             model.add(Dense(2))\n",
        );
        let f = peak(&s.model, &s.info, &[vec![3, 6]]);
        assert_eq!(f.layer, Some(LayerId(1)));
        let input = 3 * 6 * 4 * 4;
        assert_eq!(f.bytes, 2 * input + 2 * (3 * 6 * 100 * 4));
    }

    #[test]
    fn huge_shapes_saturate_instead_of_overflowing() {
        let s = spec("SimpleRNN(3, input_shape=(None, 8))");
        let f = peak(&s.model, &s.info, &[vec![usize::MAX, usize::MAX, 8]]);
        assert_eq!(f.bytes, u64::MAX);
        assert_eq!(f32_bytes(&[1 << 40, 1 << 40]), u64::MAX);
    }
}
