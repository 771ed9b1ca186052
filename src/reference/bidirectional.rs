//! Bidirectional: a forward and a backward copy of a recurrent layer, merged.
//!
//! As Keras' `Bidirectional.call`: the backward copy runs with `go_backwards`
//! inverted; when sequences are returned, its sequence is flipped back into
//! input order before merging. Outputs: the merged output (or forward, then
//! backward with `merge_mode=None`), then the forward states, then the
//! backward states.

use ndarray::{concatenate, ArrayD, ArrayView2, ArrayView3, Axis};

use super::masks::Mask;
use super::recurrent::{self, RecurrentRun, StepMask};
use crate::ir::{Bidirectional, MergeMode};
use crate::weights::CellWeights;

/// Runs both directions over `x` `[B, T, F]` (from `initial` states, or
/// zeros when it is empty, under the input's Keras mask if any) and merges
/// them.
/// The wrapped layer decides the outputs and directions; the backward copy
/// runs with [`Bidirectional::backward_layer`]'s settings.
pub fn run(
    bidirectional: &Bidirectional,
    forward: &CellWeights<'_>,
    backward: &CellWeights<'_>,
    x: ArrayView3<f32>,
    initial: &[ArrayView2<f32>],
    mask: Option<&Mask>,
) -> Vec<ArrayD<f32>> {
    let layer = &bidirectional.layer;
    let mask = mask.map(|m| StepMask {
        mask: m.view(),
        zero_output: layer.zeroes_masked_outputs(),
    });
    // `initial_state`: the forward copy's states, then the backward copy's.
    let (fwd_initial, bwd_initial) = initial.split_at(initial.len() / 2);
    let fwd = recurrent::run(layer, forward, x, layer.go_backwards, fwd_initial, mask);
    let bwd = recurrent::run(
        bidirectional.backward_layer(),
        backward,
        x,
        !layer.go_backwards,
        bwd_initial,
        mask,
    );
    let (fwd_main, fwd_states) = split(fwd, false);
    let (bwd_main, bwd_states) = split(bwd, layer.return_sequences);
    let mut outputs = merge_outputs(bidirectional.merge_mode, fwd_main, bwd_main);
    if layer.return_state {
        outputs.extend(fwd_states);
        outputs.extend(bwd_states);
    }
    outputs
}

/// The main output (time-flipped if `flip`) and the final states.
fn split(run: RecurrentRun, flip: bool) -> (ArrayD<f32>, Vec<ArrayD<f32>>) {
    let states = run.states.into_iter().map(|s| s.into_dyn()).collect();
    let main = match run.sequence {
        Some(mut seq) => {
            if flip {
                seq.invert_axis(Axis(1));
            }
            seq.into_dyn()
        }
        None => run.last.into_dyn(),
    };
    (main, states)
}

/// Keras' merge modes; `concat` puts forward before backward on the last axis.
fn merge_outputs(merge: MergeMode, fwd: ArrayD<f32>, bwd: ArrayD<f32>) -> Vec<ArrayD<f32>> {
    match merge {
        MergeMode::Concat => {
            let last = Axis(fwd.ndim() - 1);
            vec![concatenate(last, &[fwd.view(), bwd.view()]).expect("directions have equal shapes")]
        }
        MergeMode::Sum => vec![fwd + bwd],
        MergeMode::Mul => vec![fwd * bwd],
        MergeMode::Ave => vec![(fwd + bwd) / 2.0],
        MergeMode::None => vec![fwd, bwd],
    }
}
