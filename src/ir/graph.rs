//! The model's wiring: inputs, layer calls and the values they produce.
//!
//! Values are typed handles in the manner of naga's `Handle<Expression>`: a
//! [`Value`] names a model input or one output of one call, and every fact
//! about it (its shape, its ONNX name, its array in the reference) lives in
//! a side table of the stage that needs it. A Sequential model is the chain
//! [`Model::sequential`] builds; a functional one comes from the frontend's
//! functional lowering. Stages walk [`Model::calls`] in order and never ask
//! which kind of spec the model came from.

use super::{InputDecl, Layer, LayerId, Model};
use crate::diag::Span;

/// Position of an input in [`Model::inputs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputId(pub u32);

impl InputId {
    /// The index into [`Model::inputs`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Position of a call in [`Model::calls`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u32);

impl CallId {
    /// The index into [`Model::calls`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A tensor of the model: a model input, or output `output` of a call (in
/// Keras' order: the sequence or last step, then the states).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Input(InputId),
    Output { call: CallId, output: u32 },
}

/// Which Keras model class the spec builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelClass {
    /// `Sequential`: automatic name `sequential`, weight paths under the
    /// model's name, a summary without input rows.
    Sequential,
    /// `keras.Model(inputs, outputs)`: automatic name `functional`, weight
    /// paths from the layers' names alone, a summary with input rows and a
    /// `Connected to` column.
    Functional,
}

/// A recurrent call of a streaming model (`crate::streaming`): it starts
/// from states that are model inputs, and its final states are model
/// outputs, so that a host carries them from one chunk of a sequence to the
/// next. Unlike Keras' `initial_state=`, it still reads its input's mask.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub call: CallId,
    /// The inputs holding the states it starts from (`h`, then `c`), also
    /// in its [`Call::initial_state`].
    pub inputs: Vec<InputId>,
    /// Positions in [`Model::outputs`] of its final states, in the same order.
    pub outputs: Vec<usize>,
    /// Those outputs' names (`<layer>_h_out`, `<layer>_c_out`).
    pub output_names: Vec<String>,
}

/// One model input.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInput {
    /// `Input(name=...)`; `None` means Keras' automatic name (`input_layer`,
    /// `input_layer_1`, …).
    pub name: Option<String>,
    /// The declared shape and type; `None` for a Sequential model that
    /// declares none, whose first layer then decides (see the check pass).
    pub decl: Option<InputDecl>,
    /// Where the input is declared (the first layer for an undeclared one).
    pub span: Span,
}

/// One call of a layer object on values.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The layer called.
    pub layer: LayerId,
    /// The positional input: one value, or the list given to a merge layer.
    pub inputs: Vec<Value>,
    /// `initial_state=`: the states a recurrent layer starts from (`h`, then
    /// `c` for LSTM; forward states then backward ones for Bidirectional).
    /// Empty for zero states.
    pub initial_state: Vec<Value>,
    /// The call in the source (the layer's constructor for a Sequential layer).
    pub span: Span,
}

impl ModelInput {
    /// The prefix of Keras 3's automatic input names: `input_layer`,
    /// `input_layer_1`, … counted over the unnamed inputs in the order they
    /// are made.
    pub const AUTO_NAME_PREFIX: &'static str = "input_layer";
}

impl Model {
    /// A Sequential model: `input` (a leading `Input(...)`, if any), then
    /// each layer called on all outputs of the one before, the model's
    /// outputs being all outputs of the last layer.
    pub fn sequential(name: Option<String>, input: Option<InputDecl>, layers: Vec<Layer>) -> Model {
        let span = input
            .as_ref()
            .map(|decl| decl.span)
            .or_else(|| layers.first().map(|l| l.span))
            .unwrap_or_default();
        let mut previous = vec![Value::Input(InputId(0))];
        let mut calls = Vec::with_capacity(layers.len());
        for (index, layer) in layers.iter().enumerate() {
            let call = CallId(index as u32);
            calls.push(Call {
                layer: LayerId(index as u32),
                inputs: std::mem::take(&mut previous),
                initial_state: Vec::new(),
                span: layer.span,
            });
            previous = (0..layer.kind.output_count())
                .map(|output| Value::Output {
                    call,
                    output: output as u32,
                })
                .collect();
        }
        Model {
            name,
            class: ModelClass::Sequential,
            inputs: vec![ModelInput {
                name: None,
                decl: input,
                span,
            }],
            layers,
            calls,
            outputs: previous,
            streams: Vec::new(),
            keras_dialect: None,
        }
    }

    /// The stream of a call whose states are model inputs and outputs.
    pub fn stream_of(&self, call: CallId) -> Option<&Stream> {
        self.streams.iter().find(|s| s.call == call)
    }

    /// The layer a call calls.
    pub fn layer_of(&self, call: CallId) -> &Layer {
        &self.layers[self.calls[call.index()].layer.index()]
    }

    /// Every call with its id, in order.
    pub fn calls(&self) -> impl Iterator<Item = (CallId, &Call)> {
        self.calls
            .iter()
            .enumerate()
            .map(|(i, c)| (CallId(i as u32), c))
    }

    /// The calls that read `value` (as an input or an initial state).
    pub fn consumers(&self, value: Value) -> impl Iterator<Item = (CallId, &Call)> {
        self.calls()
            .filter(move |(_, c)| c.inputs.contains(&value) || c.initial_state.contains(&value))
    }

    /// For each call, whether a recurrent layer reads (directly or through
    /// other layers) what its first output becomes.
    pub fn sequence_reaches_recurrent(&self) -> Vec<bool> {
        let mut reaches = vec![false; self.calls.len()];
        for index in (0..self.calls.len()).rev() {
            let call = CallId(index as u32);
            let outputs = self.layer_of(call).kind.output_count();
            reaches[index] = (0..outputs).any(|output| {
                let value = Value::Output {
                    call,
                    output: output as u32,
                };
                self.consumers(value).any(|(reader, _)| {
                    self.layer_of(reader).kind.recurrent().is_some() || reaches[reader.index()]
                })
            });
        }
        reaches
    }

    /// For each value, the index of the last call that reads it (`calls.len()`
    /// for a model output, which lives to the end): when a stage may drop it.
    pub fn last_use(&self, value: Value) -> usize {
        if self.outputs.contains(&value) {
            return self.calls.len();
        }
        self.consumers(value)
            .map(|(id, _)| id.index())
            .max()
            .unwrap_or(0)
    }
}
