//! The reference interpreter: Keras' semantics on ndarray.
//!
//! [`run`] evaluates a checked model on an input from the IR, the
//! [`ModelInfo`] and the source [`Weights`] in Keras layout, never from the
//! ONNX file: it is the independent side of verification, written from Keras'
//! equations (one file per layer family) so that a wrong gate order or a
//! missed transpose in the backend cannot be reproduced here by construction.
//!
//! Matrix products are f32 like Keras'; element-wise activations are computed
//! in f64 and rounded to f32 (see [`activation`]).

pub mod activation;
mod bidirectional;
mod dense;
mod embedding;
pub mod footprint;
mod matmul;
mod recurrent;

use ndarray::{ArrayD, ArrayView3, Ix3};

use crate::budget::{self, BudgetError};
use crate::check::{format_shape, Direction, LayerInfo, ModelInfo};
use crate::ir::{InputDtype, LayerId, LayerKind, Model};
use crate::weights::Weights;

/// A model input: float features, or integer token ids for a model that
/// starts with an Embedding.
#[derive(Clone, Debug, PartialEq)]
pub enum ReferenceInput {
    /// Features, `(batch, time, features)` for a recurrent first layer.
    Float(ArrayD<f32>),
    /// Token ids `(batch, time)` (int32 inputs widened to i64).
    Ids(ArrayD<i64>),
}

/// Why an input cannot be run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("input of shape {got} has rank {got_rank}; the model expects shape {expected}")]
    InputRank {
        got: String,
        got_rank: usize,
        expected: String,
    },

    #[error(
        "input of shape {got} does not fit the model input {expected}: axis {axis} is {found}, expected {wanted}"
    )]
    InputDim {
        got: String,
        expected: String,
        axis: usize,
        found: usize,
        wanted: u64,
    },

    #[error("the model starts with an Embedding and takes integer token ids, got float input")]
    FloatInputToEmbedding,

    #[error("the model takes float input, got integer token ids")]
    IdsToFloatModel,

    #[error(
        "token id {id} at position {position:?} is out of range for Embedding `{layer}` (ids must be in 0..{input_dim})"
    )]
    TokenOutOfRange {
        id: i64,
        position: Vec<usize>,
        layer: String,
        input_dim: u64,
    },

    #[error("{class} layer `{layer}` received a sequence of length 0")]
    EmptySequence { layer: String, class: &'static str },

    #[error("the weights do not match the model's weight list (count or shapes)")]
    WeightsMismatch,

    #[error(transparent)]
    Budget(#[from] BudgetError),
}

/// Runs `model` on `input`, returning its outputs in Keras' order (several
/// with `return_state` or `merge_mode=None`).
pub fn run(
    model: &Model,
    info: &ModelInfo,
    weights: &Weights,
    input: &ReferenceInput,
) -> Result<Vec<ArrayD<f32>>, ReferenceError> {
    if !weights.matches(info) {
        return Err(ReferenceError::WeightsMismatch);
    }
    let takes_ids = matches!(info.input_dtype, InputDtype::Int32 | InputDtype::Int64);
    let shape = match (input, takes_ids) {
        (ReferenceInput::Float(x), false) => x.shape(),
        (ReferenceInput::Ids(ids), true) => ids.shape(),
        (ReferenceInput::Float(_), true) => return Err(ReferenceError::FloatInputToEmbedding),
        (ReferenceInput::Ids(_), false) => return Err(ReferenceError::IdsToFloatModel),
    };
    check_input_shape(shape, info)?;
    check_memory(model, info, shape, "the reference interpreter")?;

    let mut outputs: Vec<ArrayD<f32>> = Vec::new();
    for (index, layer) in model.layers.iter().enumerate() {
        let id = LayerId(index as u32);
        let current = match (outputs.pop(), input) {
            (Some(previous), _) => Value::Float(previous),
            (None, ReferenceInput::Float(x)) => Value::Float(x.clone()),
            (None, ReferenceInput::Ids(ids)) => Value::Ids(ids),
        };
        outputs = run_layer(&layer.kind, id, info, weights, current)?;
    }
    Ok(outputs)
}

/// Checks token ids against the vocabulary of the model's leading Embedding
/// (nothing to check for a model of float features): what any runtime needs
/// before a lookup, since ONNX `Gather` reads negative ids from the end and
/// runtimes differ on ids past the end.
pub fn check_token_ids(
    model: &Model,
    info: &ModelInfo,
    ids: ndarray::ArrayViewD<i64>,
) -> Result<(), ReferenceError> {
    match model.layers.first().map(|l| &l.kind) {
        Some(LayerKind::Embedding(e)) => {
            embedding::check_ids(ids, e.input_dim as usize, &info.layers[0].name)
        }
        _ => Ok(()),
    }
}

/// What flows into a layer: features, or the model's token ids for the
/// first (Embedding) layer.
enum Value<'a> {
    Float(ArrayD<f32>),
    Ids(&'a ArrayD<i64>),
}

fn run_layer(
    kind: &LayerKind,
    id: LayerId,
    info: &ModelInfo,
    weights: &Weights,
    input: Value<'_>,
) -> Result<Vec<ArrayD<f32>>, ReferenceError> {
    let layer_info = info.layer(id);
    let x = match (kind, input) {
        (LayerKind::Embedding(_), Value::Ids(ids)) => {
            let table = weights.embeddings(info, id);
            return embedding::run(table, ids.view(), &layer_info.name).map(|y| vec![y]);
        }
        (_, Value::Float(x)) => x,
        (_, Value::Ids(_)) => unreachable!("checked: only a first Embedding reads ids"),
    };
    Ok(match kind {
        LayerKind::Recurrent(r) => {
            let w = weights.cell(info, id, None);
            let go_backwards = r.go_backwards;
            recurrent::run(r, &w, sequence(&x, layer_info)?, go_backwards)
                .into_outputs(r.return_state)
        }
        LayerKind::Bidirectional(b) => {
            let forward = weights.cell(info, id, Some(Direction::Forward));
            let backward = weights.cell(info, id, Some(Direction::Backward));
            bidirectional::run(
                &b.layer,
                b.merge_mode,
                &forward,
                &backward,
                sequence(&x, layer_info)?,
            )
        }
        LayerKind::Dense(d) => vec![dense::run(d, &weights.dense(info, id), x.view())],
        LayerKind::TimeDistributed(inner) => {
            let LayerKind::Dense(d) = &inner.kind else {
                unreachable!("the frontend only wraps Dense in TimeDistributed")
            };
            vec![dense::run(d, &weights.dense(info, id), x.view())]
        }
        LayerKind::Dropout { .. } => vec![x],
        LayerKind::Activation(act) => {
            let mut y = x;
            activation::apply(*act, &mut y);
            vec![y]
        }
        LayerKind::Embedding(_) => unreachable!("checked: Embedding is the first layer"),
    })
}

/// A recurrent layer's input as `[B, T, F]`; T must be at least 1.
fn sequence<'a>(
    x: &'a ArrayD<f32>,
    layer: &LayerInfo,
) -> Result<ArrayView3<'a, f32>, ReferenceError> {
    let x3 = x
        .view()
        .into_dimensionality::<Ix3>()
        .expect("checked: recurrent input is 3-D");
    if x3.dim().1 == 0 {
        return Err(ReferenceError::EmptySequence {
            layer: layer.name.clone(),
            class: layer.class_name,
        });
    }
    Ok(x3)
}

/// Refuses an input whose activations would not fit the memory budget left
/// beside the weights, naming the layer at the peak. `runner` names what
/// would run it in the message: the reference interpreter, or tract running
/// an rnnc file (whose intermediate tensors are of the same sizes: the
/// recorded spec's layer outputs and gates).
pub fn check_memory(
    model: &Model,
    info: &ModelInfo,
    shape: &[usize],
    runner: &str,
) -> Result<(), ReferenceError> {
    let weights = budget::weights::weight_bytes(info);
    let peak = footprint::peak(model, info, shape);
    budget::current().less(weights).check(peak.bytes, || {
        let layer = peak.layer.map(|id| info.layer(id));
        (
            format!("{runner} on input {shape:?}"),
            match layer {
                Some(l) => format!(
                    "that is what {} layer `{}` holds at once, beside the {} of weights",
                    l.class_name,
                    l.name,
                    crate::budget::size::format(weights)
                ),
                None => "the model has no layers".into(),
            },
            "give a smaller batch (axis 0) or shorter sequences (axis 1)".into(),
        )
    })?;
    Ok(())
}

/// The input must have the model's rank and every fixed dimension.
fn check_input_shape(shape: &[usize], info: &ModelInfo) -> Result<(), ReferenceError> {
    let got = format_shape(&shape.iter().map(|&d| Some(d as u64)).collect::<Vec<_>>());
    let expected = format_shape(&info.input_shape);
    if shape.len() != info.input_shape.len() {
        return Err(ReferenceError::InputRank {
            got,
            got_rank: shape.len(),
            expected,
        });
    }
    for (axis, (&found, want)) in shape.iter().zip(&info.input_shape).enumerate() {
        if let Some(wanted) = *want {
            if found as u64 != wanted {
                return Err(ReferenceError::InputDim {
                    got,
                    expected,
                    axis,
                    found,
                    wanted,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
