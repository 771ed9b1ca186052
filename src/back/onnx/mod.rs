//! The ONNX backend: a checked model and its weights become a `ModelProto`.
//!
//! [`emit`] walks the layers in order, each family in its own file
//! ([`recurrent`] and [`scan`] for the two lowerings of recurrent cells,
//! [`merge`] for Keras' output lists, [`dense`], [`embedding`],
//! [`activation`]); [`layout`] is the only place that converts Keras weight
//! layouts. What is emitted follows the recipe in `docs/runtimes.md`, which
//! runs identically in tract, onnxruntime and OpenVINO (the ONNX reference
//! evaluator runs the native ops but not a Scan over axis 1); every shape
//! comes from [`crate::check::ModelInfo`].

mod activation;
mod attention;
mod builder;
mod conv;
mod dense;
mod embedding;
pub mod external;
mod layout;
mod masks;
mod merge;
mod normalization;
pub mod proto;
mod recurrent;
mod repeat;
mod reshape;
mod scan;

#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tract_proofs;

use prost::Message;

use builder::{attr_int, attr_ints, attr_tensor, f32_tensor, value_info, Dim, GraphBuilder};
use proto::tensor_proto::DataType;

use crate::check::{ModelInfo, Shape};
use std::collections::HashMap;

use crate::ir::{
    self, Activation, CallId, CellKind, InputDtype, InputId, LayerId, LayerKind, Merge, ModelClass,
    Pool, Recurrent, Value,
};
use crate::weights::Weights;

/// The opset rnnc writes unless told otherwise: 14 is the first with
/// `Add`/`Mul` etc. in their current form that every runtime of
/// `docs/runtimes.md` supports, and all of them ran the recipe at opset 14.
pub const DEFAULT_OPSET: i64 = 14;

/// Opsets rnnc can write, with the IR version each needs (from the ONNX
/// versioning table, docs/Versioning.md): every operator rnnc uses has had
/// its current form since opset 13 (Split/Squeeze with inputs, Softmax on one axis).
const IR_VERSIONS: &[(i64, i64)] = &[
    (13, 7),
    (14, 7),
    (15, 8),
    (16, 8),
    (17, 8),
    (18, 8),
    (19, 9),
    (20, 9),
    (21, 10),
];

/// Name of a Sequential model's graph input.
pub const INPUT_NAME: &str = "input";

/// The graph input's name: `input` for a Sequential model's (as rnnc has
/// always written it), Keras' input name for a functional one's; a
/// streaming model's states by their own names (`lstm_h_in`).
pub fn input_name(model: &ir::Model, info: &ModelInfo, id: InputId) -> String {
    match model.class {
        ModelClass::Sequential if id == InputId(0) => INPUT_NAME.to_string(),
        ModelClass::Sequential | ModelClass::Functional => info.input(id).name.clone(),
    }
}

/// Whether a layer's outputs have the time axis of its first input, so that
/// reversing them can read T where that input's T comes from. Any other
/// layer's output is its own time source (its T is read from itself).
fn keeps_time(kind: &LayerKind) -> bool {
    match kind {
        LayerKind::Recurrent(_)
        | LayerKind::Bidirectional(_)
        | LayerKind::Dense(_)
        | LayerKind::TimeDistributed(_)
        | LayerKind::Embedding(_)
        | LayerKind::Dropout { .. }
        | LayerKind::Activation(_)
        | LayerKind::Identity(_)
        | LayerKind::Normalization(_)
        | LayerKind::ActivationLayer(_)
        | LayerKind::Masking { .. }
        // The output has the query's steps.
        | LayerKind::Attention(_) => true,
        LayerKind::Merge(m) => match m {
            // Concatenating on the time axis adds up the steps.
            Merge::Concatenate { .. } | Merge::Dot { .. } => false,
            Merge::Add
            | Merge::Subtract
            | Merge::Multiply
            | Merge::Average
            | Merge::Maximum
            | Merge::Minimum => true,
        },
        LayerKind::RepeatVector { .. }
        | LayerKind::Reshape(_)
        | LayerKind::GlobalPooling(_)
        | LayerKind::Conv1D(_)
        | LayerKind::Pooling1D(_) => false,
    }
}

/// The prefix of the node names a call emits: the layer's name, with the
/// call's number after it for a shared layer's later calls.
fn call_scope(info: &ModelInfo, layer: LayerId, call: CallId) -> String {
    let layer = info.layer(layer);
    match layer.calls.iter().position(|&c| c == call) {
        Some(0) | None => layer.name.clone(),
        Some(n) => format!("{}_call{n}", layer.name),
    }
}

/// Name of the `index`-th graph output (Keras' output order).
pub fn output_name(index: usize) -> String {
    format!("output_{index}")
}

/// Name of the model's `index`-th output in the file: [`output_name`], or a
/// streamed state's own (`lstm_h_out`).
pub fn graph_output_name(model: &ir::Model, index: usize) -> String {
    model
        .streams
        .iter()
        .find_map(|s| {
            let k = s.outputs.iter().position(|&o| o == index)?;
            Some(s.output_names[k].clone())
        })
        .unwrap_or_else(|| output_name(index))
}

/// How to emit recurrent layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lowering {
    /// Per layer: the native `LSTM`/`GRU` where Keras' activations are its
    /// defaults, else an explicit cell in a Scan; SimpleRNN always in a Scan
    /// (onnxruntime's `RNN` kernel is the slow one).
    #[default]
    Auto,
    /// Native `RNN`/`LSTM`/`GRU` everywhere; an error where impossible.
    Native,
    /// An explicit cell in a `Scan` everywhere.
    Scan,
}

/// Options of [`emit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmitOptions {
    /// The ai.onnx opset to import (13 to 21).
    pub opset: i64,
    /// Lowering of recurrent layers.
    pub lowering: Lowering,
    /// Extra `metadata_props` entries, in order (the CLI records the spec
    /// text and the seed or the weights file's SHA-256).
    pub metadata: Vec<(String, String)>,
}

impl Default for EmitOptions {
    fn default() -> EmitOptions {
        EmitOptions {
            opset: DEFAULT_OPSET,
            lowering: Lowering::Auto,
            metadata: Vec::new(),
        }
    }
}

/// Why a model cannot be emitted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackError {
    /// The requested opset is outside the table rnnc knows.
    #[error("opset {opset} is not supported; rnnc writes opsets {min} to {max}")]
    UnsupportedOpset { opset: i64, min: i64, max: i64 },
    /// `Lowering::Native` on a layer whose activations the native operator
    /// cannot express portably.
    #[error(
        "layer '{layer}' cannot be a native ONNX {op}: its activations are \
         ({activation}, {recurrent_activation}), and runtimes hard-code (tanh, sigmoid); \
         use the Scan lowering"
    )]
    NativeImpossible {
        layer: String,
        op: &'static str,
        activation: &'static str,
        recurrent_activation: &'static str,
    },
    /// `Lowering::Native` on a layer that reads a Keras mask.
    #[error(
        "layer '{layer}' cannot be a native ONNX op: it reads a Keras mask, which the \
         native ops' `sequence_lens` cannot express (docs/runtimes.md); use the Scan \
         lowering (the default lowers masked layers to a Scan)"
    )]
    NativeMasked { layer: String },
    /// `Bidirectional` around a layer with `go_backwards=True`.
    #[error("layer '{layer}': Bidirectional around a go_backwards layer is not supported")]
    BackwardsInBidirectional { layer: String },
    /// The weights do not have the shapes the checked model expects.
    #[error("the weights do not match the model's layers")]
    WeightsMismatch,
}

/// One direction of a recurrent layer, as both lowerings produce it.
pub(crate) struct CellOutputs {
    /// The output sequence `[B, T, H]` in Keras' order for this direction
    /// (processing order for go_backwards, time-aligned for a Bidirectional
    /// backward half); only when the layer returns sequences.
    pub sequence: Option<String>,
    /// Final hidden state `[B, H]`.
    pub h: String,
    /// The last step's output `[B, H]` where it is not `h`: a masked layer
    /// with `zero_output_for_mask` whose last step is masked outputs zeros.
    pub last: Option<String>,
    /// LSTM final cell state `[B, H]`, where needed.
    pub c: Option<String>,
}

/// Writes the model as ONNX.
pub fn emit(
    model: &ir::Model,
    info: &ModelInfo,
    weights: &Weights,
    options: &EmitOptions,
) -> Result<proto::ModelProto, BackError> {
    let ir_version = IR_VERSIONS
        .iter()
        .find(|(opset, _)| *opset == options.opset)
        .map(|&(_, ir)| ir)
        .ok_or(BackError::UnsupportedOpset {
            opset: options.opset,
            min: IR_VERSIONS[0].0,
            max: IR_VERSIONS[IR_VERSIONS.len() - 1].0,
        })?;
    if !weights.matches(info) {
        return Err(BackError::WeightsMismatch);
    }
    let mut b = GraphBuilder::new();
    let input_names: Vec<String> = (0..model.inputs.len())
        .map(|i| b.reserve(&input_name(model, info, InputId(i as u32))))
        .collect();
    let output_names: Vec<String> = (0..info.output_shapes.len())
        .map(|i| b.reserve(&graph_output_name(model, i)))
        .collect();
    let mut em = Emitter {
        b,
        info,
        weights,
        opset: options.opset,
        batch_source: input_names[0].clone(),
        batch: None,
        time_source: String::new(),
        reversed_time: HashMap::new(),
        sequence_reaches_recurrent: false,
    };
    let reaches_recurrent = model.sequence_reaches_recurrent();
    // Each value's ONNX name, and the value whose time axis it shares (for
    // reading T when a layer reverses time).
    let mut names: HashMap<Value, String> = HashMap::new();
    let mut time_origin: HashMap<Value, String> = HashMap::new();
    // Each masked value's Keras mask `[B, T]` (bool).
    let mut mask_names: HashMap<Value, String> = HashMap::new();
    for (i, name) in input_names.iter().enumerate() {
        let value = Value::Input(InputId(i as u32));
        names.insert(value, name.clone());
        time_origin.insert(value, name.clone());
    }
    for (call_id, call) in model.calls() {
        let id = call.layer;
        let layer = &model.layers[id.index()];
        em.b.set_scope(&call_scope(info, id, call_id));
        let xs: Vec<String> = call.inputs.iter().map(|v| names[v].clone()).collect();
        let states: Vec<String> = call
            .initial_state
            .iter()
            .map(|v| names[v].clone())
            .collect();
        let x = xs[0].clone();
        em.time_source = time_origin[&call.inputs[0]].clone();
        em.sequence_reaches_recurrent = reaches_recurrent[call_id.index()];
        let in_masks: Vec<Option<String>> = call
            .inputs
            .iter()
            .map(|v| mask_names.get(v).cloned())
            .collect();
        // The masks the call's arithmetic reads (see `CallInfo::reads_masks`).
        let read_masks: Vec<Option<&str>> = in_masks
            .iter()
            .map(|m| m.as_deref().filter(|_| info.call(call_id).reads_masks))
            .collect();
        let mask = read_masks[0];
        let call_info = info.call(call_id);
        let out_masks: Vec<Option<String>> = call_info
            .output_masks
            .iter()
            .zip(&call_info.used_masks)
            .map(|(rule, &used)| {
                used.then(|| masks::make(&mut em, rule, &in_masks, &xs))
                    .flatten()
            })
            .collect();
        let outputs = match &layer.kind {
            LayerKind::Recurrent(r) if r.stacked.is_empty() => {
                let directions = em.cells(id, &x, r, None, 0, options.lowering, &states, mask)?;
                merge::layer_outputs(&mut em.b, r, directions, None)
            }
            LayerKind::Recurrent(r) => em.stacked(id, &x, r, options.lowering, &states, mask)?,
            LayerKind::Bidirectional(bi) => {
                if bi.layer.go_backwards {
                    return Err(BackError::BackwardsInBidirectional {
                        layer: info.layer(id).name.clone(),
                    });
                }
                let directions = em.cells(
                    id,
                    &x,
                    &bi.layer,
                    Some(bi.backward_layer()),
                    0,
                    options.lowering,
                    &states,
                    mask,
                )?;
                merge::layer_outputs(&mut em.b, &bi.layer, directions, Some(bi.merge_mode))
            }
            LayerKind::Dense(d) => vec![dense::dense(&mut em, id, &x, d)],
            LayerKind::TimeDistributed(inner) => match &inner.kind {
                LayerKind::Dense(d) => vec![dense::dense(&mut em, id, &x, d)],
                _ => unreachable!("the check pass only accepts TimeDistributed(Dense)"),
            },
            LayerKind::Embedding(_) => vec![embedding::embedding(&mut em, id, &x)],
            LayerKind::Dropout { .. } => vec![x],
            LayerKind::Activation(a) => vec![activation::apply(&mut em.b, *a, &x)],
            LayerKind::Merge(Merge::Dot { axes, normalize }) => {
                let ranks = (
                    info.shape(call.inputs[0]).len(),
                    info.shape(call.inputs[1]).len(),
                );
                vec![attention::dot(&mut em, &xs, *axes, *normalize, ranks)]
            }
            LayerKind::Merge(Merge::Multiply) if read_masks.iter().any(Option::is_some) => {
                vec![masks::multiply(&mut em, &xs, &read_masks)]
            }
            LayerKind::Merge(Merge::Maximum) if read_masks.iter().any(Option::is_some) => {
                vec![masks::extremum(&mut em, "Max", &xs, &read_masks)]
            }
            LayerKind::Merge(Merge::Minimum) if read_masks.iter().any(Option::is_some) => {
                vec![masks::extremum(&mut em, "Min", &xs, &read_masks)]
            }
            LayerKind::Merge(m) => vec![merge::merge(&mut em.b, *m, &xs)],
            LayerKind::RepeatVector { n } => vec![repeat::repeat_vector(&mut em.b, &x, *n)],
            LayerKind::Identity(_) => vec![x],
            LayerKind::Reshape(r) => vec![reshape::reshape(&mut em.b, r, &x)],
            LayerKind::GlobalPooling(Pool::Average) if mask.is_some() => {
                vec![masks::masked_average(&mut em, &x, mask.expect("matched"))]
            }
            LayerKind::GlobalPooling(p) => vec![em.reduce(*p, &x, &[1], false)],
            LayerKind::Masking { .. } => {
                let mask = out_masks[0].as_deref().expect("Masking makes a mask");
                vec![masks::masking(&mut em, &x, mask)]
            }
            LayerKind::Normalization(n) => vec![normalization::normalize(&mut em, id, n, &x)],
            LayerKind::Attention(a) => {
                let value_mask = read_masks.get(1).copied().flatten();
                attention::attention(&mut em, id, a, &xs, mask, value_mask)
            }
            LayerKind::Conv1D(c) => vec![conv::conv1d(&mut em, id, c, &x)],
            LayerKind::Pooling1D(p) => vec![conv::pooling1d(&mut em, p, &x)],
            LayerKind::ActivationLayer(a) => {
                let alpha = info
                    .layer(id)
                    .weights
                    .first()
                    .map(|spec| spec.key.clone())
                    .zip(em.weights.array(info, id, crate::check::WeightRole::Alpha));
                // alpha: the input shape after the batch, 1 on shared axes.
                let alpha = alpha.map(|(key, array)| em.b.initializer(&key, array));
                vec![activation::layer(&mut em.b, a, &x, alpha.as_deref())]
            }
        };
        let origin = keeps_time(&layer.kind).then(|| em.time_source.clone());
        for (index, (name, mask)) in outputs.into_iter().zip(out_masks).enumerate() {
            let value = Value::Output {
                call: call_id,
                output: index as u32,
            };
            if let Some(mask) = mask {
                mask_names.insert(value, mask);
            }
            time_origin.insert(value, origin.clone().unwrap_or_else(|| name.clone()));
            names.insert(value, name);
        }
    }
    em.b.set_scope("");
    for (value, name) in model.outputs.iter().zip(&output_names) {
        em.b.op_into("Identity", &[&names[value]], name);
    }

    let inputs = input_names
        .iter()
        .zip(&info.inputs)
        .map(|(name, input)| {
            let elem = match input.dtype {
                InputDtype::Float32 => DataType::Float,
                InputDtype::Int32 => DataType::Int32,
                InputDtype::Int64 => DataType::Int64,
            };
            value_info(name, elem, &dims(&input.shape))
        })
        .collect();
    let outputs = output_names
        .iter()
        .zip(&info.output_shapes)
        .map(|(name, shape)| value_info(name, DataType::Float, &dims(shape)))
        .collect();
    let graph = em.b.into_graph(&info.name, inputs, outputs);
    Ok(proto::ModelProto {
        ir_version: Some(ir_version),
        opset_import: vec![proto::OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(options.opset),
        }],
        producer_name: Some("rnnc".to_string()),
        producer_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        graph: Some(graph),
        metadata_props: options
            .metadata
            .iter()
            .map(|(key, value)| proto::StringStringEntryProto {
                key: Some(key.clone()),
                value: Some(value.clone()),
            })
            .collect(),
        ..Default::default()
    })
}

/// The model's protobuf bytes. prost writes fields in schema order and
/// repeated fields in list order, so equal models give equal bytes.
pub fn encode(model: &proto::ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

/// Declared dimensions of a checked shape: a free batch axis is `batch`, a
/// free time axis `time`.
fn dims(shape: &Shape) -> Vec<Dim> {
    shape
        .iter()
        .enumerate()
        .map(|(axis, d)| match (d, axis) {
            (Some(n), _) => Dim::Fixed(*n),
            (None, 0) => Dim::Symbol("batch"),
            (None, 1) => Dim::Symbol("time"),
            (None, _) => Dim::Symbol("unknown"),
        })
        .collect()
}

/// State shared by the per-layer emitters.
pub(crate) struct Emitter<'a> {
    b: GraphBuilder,
    info: &'a ModelInfo,
    weights: &'a Weights,
    /// The opset written (the reductions take their axes as an attribute
    /// before 18 and as an input from 18).
    opset: i64,
    /// The first graph input, whose axis 0 is every value's batch size.
    batch_source: String,
    /// `[1]` int64: the batch size, computed once.
    batch: Option<String>,
    /// The tensor whose axis 1 is the time length of the current call's
    /// input: the graph input or `RepeatVector` output it comes from.
    time_source: String,
    /// `[T]` int64: `T-1, …, 0`, computed once per time source.
    reversed_time: HashMap<String, String>,
    /// Whether the current recurrent cell's output sequence is read by a
    /// recurrent layer (through any layers): a native LSTM then takes zero
    /// peepholes (docs/runtimes.md).
    sequence_reaches_recurrent: bool,
}

impl Emitter<'_> {
    /// Emits a recurrent layer's cells in the chosen lowering; a layer that
    /// reads a Keras `mask` `[B, T]` is always a Scan.
    #[allow(clippy::too_many_arguments)]
    fn cells(
        &mut self,
        id: LayerId,
        x: &str,
        r: &Recurrent,
        backward: Option<&Recurrent>,
        cell: usize,
        lowering: Lowering,
        initial_state: &[String],
        mask: Option<&str>,
    ) -> Result<Vec<CellOutputs>, BackError> {
        if let Some(mask) = mask {
            if lowering == Lowering::Native {
                return Err(BackError::NativeMasked {
                    layer: self.info.layer(id).name.clone(),
                });
            }
            return Ok(scan::scan(
                self,
                id,
                x,
                (r, backward, cell),
                initial_state,
                Some(mask),
            ));
        }
        // The native operators apply one pair of activations (their
        // defaults) to every direction.
        let default_activations = |r: &Recurrent| {
            r.activation == Activation::Tanh
                && (r.cell == CellKind::SimpleRnn || r.recurrent_activation == Activation::Sigmoid)
        };
        let blocking = [Some(r), backward]
            .into_iter()
            .flatten()
            .find(|r| !default_activations(r));
        let native = match (lowering, blocking) {
            // onnxruntime's RNN kernel takes 3-4x the time of the Scan form
            // (and of Keras' own export) at batch >= 32 (docs/runtimes.md).
            (Lowering::Auto, None) => r.cell != CellKind::SimpleRnn,
            (Lowering::Auto | Lowering::Scan, _) => false,
            (Lowering::Native, None) => true,
            (Lowering::Native, Some(blocking)) => {
                return Err(BackError::NativeImpossible {
                    layer: self.info.layer(id).name.clone(),
                    op: match r.cell {
                        CellKind::SimpleRnn => "RNN",
                        CellKind::Lstm { .. } => "LSTM",
                        CellKind::Gru { .. } => "GRU",
                    },
                    activation: blocking.activation.keras_name(),
                    recurrent_activation: blocking.recurrent_activation.keras_name(),
                })
            }
        };
        Ok(if native {
            recurrent::native(self, id, x, r, backward.is_some(), cell, initial_state)
        } else {
            scan::scan(self, id, x, (r, backward, cell), initial_state, None)
        })
    }

    /// A stacked `RNN([cells])`: its cells one after the other
    /// ([`Recurrent::chain`]), each over the sequence the one before
    /// returned, in processing order (so a later cell of a `go_backwards`
    /// stack reads the mask reversed), from its share of the initial states.
    /// Outputs: the last cell's, then every cell's states.
    fn stacked(
        &mut self,
        id: LayerId,
        x: &str,
        r: &Recurrent,
        lowering: Lowering,
        initial_state: &[String],
        mask: Option<&str>,
    ) -> Result<Vec<String>, BackError> {
        let chain = r.chain();
        let reversed = match mask {
            Some(mask) if r.go_backwards => Some(self.reverse_time(mask)),
            _ => None,
        };
        let mut input = x.to_string();
        let mut offset = 0;
        let mut cells = Vec::new();
        let reaches_recurrent = self.sequence_reaches_recurrent;
        for (index, cell) in chain.iter().enumerate() {
            // The next cell of the stack reads this one's sequence.
            self.sequence_reaches_recurrent = reaches_recurrent || index + 1 < chain.len();
            let count = cell.cell.states();
            let own = initial_state.get(offset..offset + count).unwrap_or(&[]);
            offset += count;
            let cell_mask = if index == 0 {
                mask
            } else {
                reversed.as_deref().or(mask)
            };
            let mut outputs =
                self.cells(id, &input, cell, None, index, lowering, own, cell_mask)?;
            let outputs = outputs.remove(0);
            if let Some(sequence) = &outputs.sequence {
                input = sequence.clone();
            }
            cells.push(outputs);
        }
        let states: Vec<String> = cells
            .iter()
            .flat_map(|cell| std::iter::once(cell.h.clone()).chain(cell.c.clone()))
            .collect();
        let last_cell = chain.last().expect("a layer has a cell");
        let without_states = Recurrent {
            return_state: false,
            ..last_cell.clone()
        };
        let mut outputs = merge::layer_outputs(
            &mut self.b,
            &without_states,
            cells.split_off(cells.len() - 1),
            None,
        );
        if r.return_state {
            outputs.extend(states);
        }
        Ok(outputs)
    }

    /// `ReduceMean` (for [`Pool::Average`]) or `ReduceMax` of `x` over
    /// `axes`, in the form the opset wants.
    fn reduce(&mut self, pool: Pool, x: &str, axes: &[i64], keepdims: bool) -> String {
        let op = match pool {
            Pool::Average => "ReduceMean",
            Pool::Max => "ReduceMax",
        };
        let keep = attr_int("keepdims", i64::from(keepdims));
        if self.opset >= 18 {
            let axes = self.b.vec_i64(axes);
            self.b.op(op, &[x, &axes], vec![keep])
        } else {
            self.b.op(op, &[x], vec![attr_ints("axes", axes), keep])
        }
    }

    /// `ReduceSum` of `x` over `axes` (axes an input since opset 13).
    fn reduce_sum(&mut self, x: &str, axes: &[i64], keepdims: bool) -> String {
        let axes = self.b.vec_i64(axes);
        self.b.op(
            "ReduceSum",
            &[x, &axes],
            vec![attr_int("keepdims", i64::from(keepdims))],
        )
    }

    /// The batch size as a `[1]` int64 tensor, from `Shape(input)` so that a
    /// symbolic batch stays symbolic.
    fn batch_size(&mut self) -> String {
        if let Some(batch) = &self.batch {
            return batch.clone();
        }
        let input = self.batch_source.clone();
        let shape = self.b.op("Shape", &[&input], vec![]);
        let zero = self.b.vec_i64(&[0]);
        let batch = self
            .b
            .op("Gather", &[&shape, &zero], vec![attr_int("axis", 0)]);
        self.batch = Some(batch.clone());
        batch
    }

    /// Float zeros of shape `[before…, batch, after…]`. The shape is a Concat
    /// of pieces of known length, which tract needs to type the result.
    fn zeros(&mut self, before: &[i64], after: &[i64]) -> String {
        let batch = self.batch_size();
        let mut pieces = Vec::new();
        if !before.is_empty() {
            pieces.push(self.b.vec_i64(before));
        }
        pieces.push(batch);
        if !after.is_empty() {
            pieces.push(self.b.vec_i64(after));
        }
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let shape = self.b.op("Concat", &refs, vec![attr_int("axis", 0)]);
        let zero = f32_tensor(ndarray::arr1(&[0.0f32]).into_dyn().view());
        self.b.op(
            "ConstantOfShape",
            &[&shape],
            vec![attr_tensor("value", zero)],
        )
    }

    /// `x` `[B, T, …]` (of the current call's time length) reversed on its
    /// time axis by `Gather(x, (T-1) - Range(0, T, 1), axis=1)`: portable
    /// with a symbolic T, where a Slice with step -1 fails in tract.
    pub(super) fn reverse_time(&mut self, x: &str) -> String {
        let indices = match self.reversed_time.get(&self.time_source) {
            Some(indices) => indices.clone(),
            None => {
                let source = self.time_source.clone();
                let shape = self.b.op("Shape", &[&source], vec![]);
                let one_index = self.b.scalar_i64(1);
                let t = self
                    .b
                    .op("Gather", &[&shape, &one_index], vec![attr_int("axis", 0)]);
                let zero = self.b.scalar_i64(0);
                let one = self.b.scalar_i64(1);
                let range = self.b.op("Range", &[&zero, &t, &one], vec![]);
                let last = self.b.op("Sub", &[&t, &one], vec![]);
                let indices = self.b.op("Sub", &[&last, &range], vec![]);
                self.reversed_time.insert(source, indices.clone());
                indices
            }
        };
        self.b
            .op("Gather", &[x, &indices], vec![attr_int("axis", 1)])
    }
}
