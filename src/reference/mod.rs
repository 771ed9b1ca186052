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
mod attention;
mod bidirectional;
mod conv;
mod dense;
mod embedding;
pub mod footprint;
mod masks;
mod matmul;
mod merge;
mod normalization;
mod recurrent;
mod shape;

use std::collections::HashMap;

use ndarray::{ArrayD, ArrayView2, ArrayView3, Ix2, Ix3};

use crate::budget::{self, BudgetError};
use crate::check::{format_shape, Direction, LayerInfo, ModelInfo, Shape, WeightRole};
use crate::ir::{InputDtype, InputId, LayerId, LayerKind, Merge, Model, Recurrent, Value};
use crate::weights::Weights;
use masks::{CallData, Mask};
use recurrent::StepMask;

/// A model input: float features, or integer token ids for an input read
/// by an Embedding.
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

    #[error("the model takes {expected} inputs, got {got}")]
    InputCount { got: usize, expected: usize },

    #[error("the input is read by an Embedding and takes integer token ids, got float input")]
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

/// Runs `model` on its inputs (in `model.inputs` order), returning its
/// outputs in Keras' order.
pub fn run(
    model: &Model,
    info: &ModelInfo,
    weights: &Weights,
    inputs: &[ReferenceInput],
) -> Result<Vec<ArrayD<f32>>, ReferenceError> {
    if !weights.matches(info) {
        return Err(ReferenceError::WeightsMismatch);
    }
    if inputs.len() != info.inputs.len() {
        return Err(ReferenceError::InputCount {
            got: inputs.len(),
            expected: info.inputs.len(),
        });
    }
    let mut shapes = Vec::with_capacity(inputs.len());
    for (input, declared) in inputs.iter().zip(&info.inputs) {
        let takes_ids = matches!(declared.dtype, InputDtype::Int32 | InputDtype::Int64);
        let shape = match (input, takes_ids) {
            (ReferenceInput::Float(x), false) => x.shape(),
            (ReferenceInput::Ids(ids), true) => ids.shape(),
            (ReferenceInput::Float(_), true) => return Err(ReferenceError::FloatInputToEmbedding),
            (ReferenceInput::Ids(_), false) => return Err(ReferenceError::IdsToFloatModel),
        };
        check_input_shape(shape, &declared.shape)?;
        shapes.push(shape.to_vec());
    }
    check_memory(model, info, &shapes, "the reference interpreter")?;

    // Each value's array, and its Keras mask, while some later call still
    // reads it.
    let mut values: HashMap<Value, ArrayD<f32>> = HashMap::new();
    let mut value_masks: HashMap<Value, Mask> = HashMap::new();
    for (call_id, call) in model.calls() {
        let layer = &model.layers[call.layer.index()];
        let rules = &info.call(call_id).output_masks;
        let in_masks: Vec<Option<&Mask>> = call.inputs.iter().map(|v| value_masks.get(v)).collect();
        // The masks the call's arithmetic reads (see `CallInfo::reads_masks`).
        let read_masks: Vec<Option<&Mask>> = if info.call(call_id).reads_masks {
            in_masks.clone()
        } else {
            vec![None; in_masks.len()]
        };
        let (outputs, out_masks) = match (&layer.kind, call.inputs[0]) {
            (LayerKind::Embedding(_), Value::Input(id)) => {
                let ReferenceInput::Ids(ids) = &inputs[id.index()] else {
                    unreachable!("checked: an Embedding's input holds token ids")
                };
                let table = weights.embeddings(info, call.layer);
                let y = embedding::run(table, ids.view(), &info.layer(call.layer).name)?;
                let mask = masks::make(&rules[0], &in_masks, &CallData::Ids(ids.view()));
                (vec![y], vec![mask])
            }
            (kind, _) => {
                let read = |v: Value| -> ArrayD<f32> {
                    match v {
                        Value::Input(id) => match &inputs[id.index()] {
                            ReferenceInput::Float(x) => x.clone(),
                            ReferenceInput::Ids(_) => {
                                unreachable!("checked: only an Embedding reads ids")
                            }
                        },
                        Value::Output { .. } => values
                            .get(&v)
                            .cloned()
                            .expect("calls come after the calls they read"),
                    }
                };
                let xs: Vec<ArrayD<f32>> = call.inputs.iter().map(|&v| read(v)).collect();
                let out_masks: Vec<Option<Mask>> = rules
                    .iter()
                    .map(|rule| masks::make(rule, &in_masks, &CallData::Values(&xs)))
                    .collect();
                let states: Vec<ArrayD<f32>> =
                    call.initial_state.iter().map(|&v| read(v)).collect();
                let outputs = run_layer(kind, call.layer, info, weights, xs, &states, &read_masks)?;
                (outputs, out_masks)
            }
        };
        for (index, (y, mask)) in outputs.into_iter().zip(out_masks).enumerate() {
            let value = Value::Output {
                call: call_id,
                output: index as u32,
            };
            if model.last_use(value) > call_id.index() {
                values.insert(value, y);
                if let Some(mask) = mask {
                    value_masks.insert(value, mask);
                }
            }
        }
        // Drop what no later call reads.
        values.retain(|&v, _| model.last_use(v) > call_id.index());
        value_masks.retain(|&v, _| model.last_use(v) > call_id.index());
    }
    Ok(model
        .outputs
        .iter()
        .map(|&v| match v {
            Value::Output { .. } => values[&v].clone(),
            Value::Input(id) => match &inputs[id.index()] {
                ReferenceInput::Float(x) => x.clone(),
                ReferenceInput::Ids(ids) => ids.mapv(|i| i as f32),
            },
        })
        .collect())
}

/// Checks the token ids of model input `input` against the vocabulary of
/// the Embedding that reads it (nothing to check for an input of float
/// features): what any runtime needs before a lookup, since ONNX `Gather`
/// reads negative ids from the end and runtimes differ on ids past the end.
pub fn check_token_ids(
    model: &Model,
    info: &ModelInfo,
    input: InputId,
    ids: ndarray::ArrayViewD<i64>,
) -> Result<(), ReferenceError> {
    for (_, call) in model.consumers(Value::Input(input)) {
        if let LayerKind::Embedding(e) = &model.layers[call.layer.index()].kind {
            embedding::check_ids(
                ids.view(),
                e.input_dim as usize,
                &info.layer(call.layer).name,
            )?;
        }
    }
    Ok(())
}

/// Runs one call of a layer on float inputs `xs`, initial states and the
/// inputs' Keras masks.
fn run_layer(
    kind: &LayerKind,
    id: LayerId,
    info: &ModelInfo,
    weights: &Weights,
    mut xs: Vec<ArrayD<f32>>,
    states: &[ArrayD<f32>],
    masks: &[Option<&Mask>],
) -> Result<Vec<ArrayD<f32>>, ReferenceError> {
    let layer_info = info.layer(id);
    let states: Vec<ArrayView2<f32>> = states
        .iter()
        .map(|s| {
            s.view()
                .into_dimensionality::<Ix2>()
                .expect("checked: a state is (batch, units)")
        })
        .collect();
    if let LayerKind::Merge(m) = kind {
        if masks.iter().any(Option::is_some) {
            match m {
                Merge::Multiply => return Ok(vec![masks::multiply(&xs, masks)]),
                Merge::Maximum | Merge::Minimum => {
                    let max = *m == Merge::Maximum;
                    return Ok(vec![masks::extremum(max, &xs, masks)]);
                }
                // The others do not read masks (`CallInfo::reads_masks`).
                Merge::Add
                | Merge::Subtract
                | Merge::Average
                | Merge::Concatenate { .. }
                | Merge::Dot { .. } => {}
            }
        }
        return Ok(vec![merge::run(*m, &xs)]);
    }
    if let LayerKind::Attention(a) = kind {
        let (query_mask, value_mask) = (masks[0], masks.get(1).copied().flatten());
        return Ok(attention::run(a, &xs, query_mask, value_mask, &|role| {
            weights.array(info, id, role)
        }));
    }
    let mask = masks[0];
    let x = xs.swap_remove(0);
    Ok(match kind {
        LayerKind::Recurrent(r) => stacked_run(
            r,
            weights,
            info,
            id,
            sequence(&x, layer_info)?,
            &states,
            mask,
        ),
        LayerKind::Bidirectional(b) => {
            let forward = weights.cell(info, id, Some(Direction::Forward), 0);
            let backward = weights.cell(info, id, Some(Direction::Backward), 0);
            bidirectional::run(
                b,
                &forward,
                &backward,
                sequence(&x, layer_info)?,
                &states,
                mask,
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
        LayerKind::RepeatVector { n } => vec![merge::repeat_vector(x, *n as usize)],
        LayerKind::Identity(_) => vec![x],
        LayerKind::Reshape(r) => vec![shape::reshape(r, x)],
        LayerKind::GlobalPooling(p) => vec![shape::global_pool(*p, &x, mask)],
        LayerKind::Masking { value } => {
            let mask = masks::any_not_equal(&x, *value);
            vec![masks::masking(x, &mask)]
        }
        LayerKind::Normalization(n) => {
            vec![normalization::run(n, x, &|role| {
                weights.array(info, id, role)
            })]
        }
        LayerKind::Conv1D(c) => vec![conv::conv1d(
            c,
            &x,
            weights
                .array(info, id, WeightRole::Kernel)
                .expect("Conv1D has a kernel"),
            weights.array(info, id, WeightRole::Bias),
        )],
        LayerKind::Pooling1D(p) => vec![conv::pooling1d(p, &x)],
        LayerKind::ActivationLayer(a) => vec![activation::layer(
            a,
            x,
            weights.array(info, id, WeightRole::Alpha),
        )],
        LayerKind::Embedding(_) => unreachable!("checked: an Embedding reads a model input"),
        LayerKind::Merge(_) | LayerKind::Attention(_) => {
            unreachable!("layers of several inputs are run above")
        }
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
    shapes: &[Vec<usize>],
    runner: &str,
) -> Result<(), ReferenceError> {
    let weights = budget::weights::weight_bytes(info);
    let peak = footprint::peak(model, info, shapes);
    let shape = match shapes {
        [one] => format!("{one:?}"),
        all => format!("{all:?}"),
    };
    budget::current().less(weights).check(peak.bytes, || {
        let layer = peak.layer.map(|id| info.layer(id));
        (
            format!("{runner} on input {shape}"),
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

/// An input must have its declared rank and every fixed dimension.
fn check_input_shape(shape: &[usize], declared: &Shape) -> Result<(), ReferenceError> {
    let got = format_shape(&shape.iter().map(|&d| Some(d as u64)).collect::<Vec<_>>());
    let expected = format_shape(declared);
    if shape.len() != declared.len() {
        return Err(ReferenceError::InputRank {
            got,
            got_rank: shape.len(),
            expected,
        });
    }
    for (axis, (&found, want)) in shape.iter().zip(declared).enumerate() {
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

/// A recurrent layer over `x`: its cells one after the other
/// ([`Recurrent::chain`]), each over the sequence the one before returned
/// (in processing order, so a later cell of a `go_backwards` stack reads
/// the mask reversed), from its share of `initial` states. The outputs are
/// the last cell's, then every cell's states.
fn stacked_run(
    r: &Recurrent,
    weights: &Weights,
    info: &ModelInfo,
    id: LayerId,
    x: ArrayView3<f32>,
    initial: &[ArrayView2<f32>],
    mask: Option<&Mask>,
) -> Vec<ArrayD<f32>> {
    let chain = r.chain();
    let reversed = mask.filter(|_| r.go_backwards && chain.len() > 1).map(|m| {
        let mut reversed = m.to_owned();
        reversed.invert_axis(ndarray::Axis(1));
        reversed
    });
    let mut input = x.to_owned();
    let mut states = Vec::new();
    let mut offset = 0;
    let mut main = ArrayD::zeros(ndarray::IxDyn(&[0]));
    for (index, cell) in chain.iter().enumerate() {
        let w = weights.cell(info, id, None, index);
        let count = cell.cell.states();
        let own = initial.get(offset..offset + count).unwrap_or(&[]);
        offset += count;
        let cell_mask = match (index, &reversed) {
            (0, _) | (_, None) => mask.map(|m| m.view()),
            (_, Some(reversed)) => Some(reversed.view()),
        }
        .map(|mask| StepMask {
            mask,
            zero_output: cell.zeroes_masked_outputs(),
        });
        let run = recurrent::run(cell, &w, input.view(), cell.go_backwards, own, cell_mask);
        states.extend(run.states.iter().map(|s| s.clone().into_dyn()));
        match run.sequence {
            Some(sequence) if index + 1 < chain.len() => input = sequence,
            Some(sequence) => main = sequence.into_dyn(),
            None => main = run.last.into_dyn(),
        }
    }
    let mut outputs = vec![main];
    if r.return_state {
        outputs.extend(states);
    }
    outputs
}

#[cfg(test)]
mod tests;
