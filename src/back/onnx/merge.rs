//! Merging tensors: Keras' outputs of a recurrent or Bidirectional layer from
//! its directions' sequences and final states, and the merge layers
//! (`Concatenate`, `Add`, …).
//!
//! A plain layer returns its sequence (or last step), then `h` (and `c`) with
//! `return_state`. A Bidirectional layer merges its two directions (`concat`
//! forward then backward on the last axis, `sum`, `mul`, `ave`, or `None` for
//! two outputs), then returns the forward states, then the backward states.
//! The backward direction's sequence is already time-aligned here (the
//! lowerings produce it that way), as Keras' Bidirectional wants.

use super::builder::{attr_int, GraphBuilder};
use super::CellOutputs;
use crate::ir::{Merge, MergeMode, Recurrent};

/// The layer's outputs in Keras' order; `merge` is `Some` for Bidirectional.
pub(super) fn layer_outputs(
    b: &mut GraphBuilder,
    r: &Recurrent,
    directions: Vec<CellOutputs>,
    merge: Option<MergeMode>,
) -> Vec<String> {
    let main = |o: &CellOutputs| {
        if r.return_sequences {
            o.sequence
                .clone()
                .expect("sequence emitted for return_sequences")
        } else {
            o.last.clone().unwrap_or_else(|| o.h.clone())
        }
    };
    let mut outputs = match merge {
        None => vec![main(&directions[0])],
        Some(mode) => {
            let (fwd, bwd) = (main(&directions[0]), main(&directions[1]));
            match mode {
                MergeMode::Concat => {
                    vec![b.op("Concat", &[&fwd, &bwd], vec![attr_int("axis", -1)])]
                }
                MergeMode::Sum => vec![b.op("Add", &[&fwd, &bwd], vec![])],
                MergeMode::Mul => vec![b.op("Mul", &[&fwd, &bwd], vec![])],
                MergeMode::Ave => {
                    let sum = b.op("Add", &[&fwd, &bwd], vec![]);
                    let two = b.scalar_f32(2.0);
                    vec![b.op("Div", &[&sum, &two], vec![])]
                }
                MergeMode::None => vec![fwd, bwd],
            }
        }
    };
    if r.return_state {
        for d in directions {
            outputs.push(d.h);
            outputs.extend(d.c);
        }
    }
    outputs
}

/// A merge layer over `xs` (Keras' `_merge_function`s): binary nodes folded
/// left to right as Keras adds and multiplies, `Average` as that sum divided
/// by the count, `Concatenate` one `Concat` on the axis as written.
pub(super) fn merge(b: &mut GraphBuilder, m: Merge, xs: &[String]) -> String {
    let fold = |b: &mut GraphBuilder, op: &str| {
        let mut acc = xs[0].clone();
        for x in &xs[1..] {
            acc = b.op(op, &[&acc, x], vec![]);
        }
        acc
    };
    match m {
        Merge::Concatenate { axis } => {
            let refs: Vec<&str> = xs.iter().map(String::as_str).collect();
            b.op("Concat", &refs, vec![attr_int("axis", axis)])
        }
        Merge::Add => fold(b, "Add"),
        Merge::Subtract => b.op("Sub", &[&xs[0], &xs[1]], vec![]),
        Merge::Multiply => fold(b, "Mul"),
        Merge::Maximum => fold(b, "Max"),
        Merge::Minimum => fold(b, "Min"),
        Merge::Average => {
            let sum = fold(b, "Add");
            let count = b.scalar_f32(xs.len() as f32);
            b.op("Div", &[&sum, &count], vec![])
        }
        Merge::Dot { .. } => unreachable!("Dot is emitted by attention::dot"),
    }
}
