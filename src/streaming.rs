//! Streaming models: recurrent layers that take their states as inputs and
//! give their final states as outputs, so that a host feeds a sequence a
//! chunk at a time and carries the states from one call to the next.
//!
//! Keras' `stateful=True` asks for this; `rnnc compile --streaming` asks for
//! it on any model. [`plan`] decides which calls stream and refuses, with
//! the reason and the place, a model whose chunks could not equal its whole
//! sequence: a layer that reads the sequence from its end, a layer that
//! needs every step at once (pooling, attention, convolution, …), a
//! recurrent layer called twice or restarted from `initial_state=`.
//! [`apply`] then rewrites the model: one input per state, `<layer>_h_in`
//! (and `<layer>_c_in`), `[batch, units]`, after the data inputs; the
//! matching `<layer>_h_out` outputs after the model's own; a symbolic time
//! axis. Every later stage (backend, reference, verify) runs the rewritten
//! model like any other: the states are its `initial_state` and its
//! `return_state` outputs, except that a streamed call keeps its mask
//! ([`crate::ir::Stream`]).

use std::collections::HashMap;

use crate::check::{self, CheckError, ModelInfo};
use crate::diag::{Diagnostic, Span};
use crate::ir::{
    ActivationLayer, CallId, InputDecl, InputDtype, InputId, LayerKind, Merge, Model, ModelInput,
    Stream, Value,
};

/// Which recurrent layers stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The model streams when it has `stateful=True` layers (then every
    /// recurrent layer must be stateful, as chunks equal the whole sequence
    /// only when all carry their states).
    Stateful,
    /// `--streaming`: every recurrent layer streams, stateful or not.
    All,
}

impl Mode {
    /// The name metadata records.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Stateful => "stateful",
            Mode::All => "all",
        }
    }

    /// The mode a metadata value names.
    pub fn parse(name: &str) -> Option<Mode> {
        [Mode::Stateful, Mode::All]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// How a value of a streaming model relates to the chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timing {
    /// Does not depend on the sequence (an input without a time axis).
    Fixed,
    /// As of the chunk's last step: a last output, a state, and what is
    /// computed from them. The last chunk's equals the whole sequence's.
    Last,
    /// `(batch, steps, ...)`, one row per step of the chunk: the chunks'
    /// outputs concatenated on axis 1 equal the whole sequence's.
    Steps,
}

impl Timing {
    /// The name metadata records.
    pub fn name(self) -> &'static str {
        match self {
            Timing::Fixed => "fixed",
            Timing::Last => "last",
            Timing::Steps => "steps",
        }
    }

    /// The timing a metadata value names.
    pub fn parse(name: &str) -> Option<Timing> {
        [Timing::Fixed, Timing::Last, Timing::Steps]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// Why a model cannot stream.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StreamError {
    #[error("--streaming: the model has no recurrent layer to stream")]
    NothingToStream,
    #[error(
        "{class} layer `{layer}` reads the sequence from its end, which a stream has not reached"
    )]
    Backwards {
        class: &'static str,
        layer: String,
        span: Span,
    },
    #[error(
        "{class} layer `{layer}` needs the whole sequence at once, so the model cannot stream"
    )]
    WholeSequence {
        class: &'static str,
        layer: String,
        span: Span,
    },
    #[error(
        "recurrent layer `{layer}` is called more than once; a stream carries one state per layer"
    )]
    SharedLayer { layer: String, span: Span },
    #[error("recurrent layer `{layer}` is given `initial_state=`, which it would restart from at every chunk")]
    InitialState { layer: String, span: Span },
    #[error("layer `{stateful}` is stateful but recurrent layer `{layer}` is not")]
    PartlyStateful {
        stateful: String,
        layer: String,
        span: Span,
    },
}

impl StreamError {
    fn span(&self) -> Option<Span> {
        match self {
            StreamError::NothingToStream => None,
            StreamError::Backwards { span, .. }
            | StreamError::WholeSequence { span, .. }
            | StreamError::SharedLayer { span, .. }
            | StreamError::InitialState { span, .. }
            | StreamError::PartlyStateful { span, .. } => Some(*span),
        }
    }

    fn hint(&self) -> String {
        match self {
            StreamError::NothingToStream => {
                "compile without --streaming: a model without recurrent layers keeps no state"
                    .into()
            }
            StreamError::Backwards { .. } => {
                "only unidirectional layers stream (no Bidirectional, no go_backwards=True); \
                 for whole sequences, compile without --streaming and `stateful=True`"
                    .into()
            }
            StreamError::WholeSequence { .. } => {
                "each chunk is computed from its own steps and the carried states, so a layer \
                 that mixes steps (pooling, attention, convolution, reshaping or concatenating \
                 the time axis, repeating a state) would see only the chunk; for whole \
                 sequences, compile without --streaming and `stateful=True`"
                    .into()
            }
            StreamError::SharedLayer { .. } => "give each call its own layer".into(),
            StreamError::InitialState { .. } => {
                "a streamed layer starts each chunk from its own carried states; drop \
                 `initial_state=`, or compile without --streaming"
                    .into()
            }
            StreamError::PartlyStateful { .. } => {
                "Keras restarts a layer that is not stateful at every call, so chunks would not \
                 equal the whole sequence; make every recurrent layer `stateful=True`, or \
                 compile with --streaming, which carries every recurrent layer's states"
                    .into()
            }
        }
    }

    /// The error as a renderable diagnostic.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            message: self.to_string(),
            span: self.span(),
            hint: Some(self.hint()),
        }
    }
}

/// Which calls stream, and how the model's outputs relate to the chunks.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The streamed calls, in Keras' layer order.
    calls: Vec<CallId>,
    /// The timing of each model input (the data inputs).
    pub inputs: Vec<Timing>,
    /// The timing of each model output (the model's own).
    pub outputs: Vec<Timing>,
}

/// The streaming plan of a checked model: `None` when `mode` is
/// [`Mode::Stateful`] and no layer is stateful.
pub fn plan(model: &Model, info: &ModelInfo, mode: Mode) -> Result<Option<Plan>, StreamError> {
    let recurrent: Vec<(CallId, bool)> = model
        .calls()
        .filter_map(|(id, call)| match &model.layers[call.layer.index()].kind {
            LayerKind::Recurrent(r) => Some((id, r.stateful)),
            LayerKind::Bidirectional(b) => Some((id, b.layer.stateful)),
            _ => None,
        })
        .collect();
    let stateful = recurrent.iter().find(|(_, s)| *s).map(|&(id, _)| id);
    match (mode, stateful) {
        (Mode::Stateful, None) => return Ok(None),
        (Mode::All, _) if recurrent.is_empty() => return Err(StreamError::NothingToStream),
        (Mode::Stateful, Some(first)) => {
            if let Some(&(id, _)) = recurrent.iter().find(|(_, s)| !s) {
                return Err(StreamError::PartlyStateful {
                    stateful: layer_name(model, info, first),
                    layer: layer_name(model, info, id),
                    span: model.calls[id.index()].span,
                });
            }
        }
        (Mode::All, _) => {}
    }
    let timing = timings(model, info)?;
    let mut calls: Vec<CallId> = recurrent.into_iter().map(|(id, _)| id).collect();
    for &id in &calls {
        let call = &model.calls[id.index()];
        let layer = &info.layer(call.layer).name;
        if info.layer(call.layer).calls.len() > 1 {
            return Err(StreamError::SharedLayer {
                layer: layer.clone(),
                span: call.span,
            });
        }
        if !call.initial_state.is_empty() {
            return Err(StreamError::InitialState {
                layer: layer.clone(),
                span: call.span,
            });
        }
    }
    let position = |id: &CallId| {
        let layer = model.calls[id.index()].layer;
        info.order
            .iter()
            .position(|op| *op == check::Operation::Layer(layer))
    };
    calls.sort_by_key(position);
    Ok(Some(Plan {
        calls,
        inputs: (0..model.inputs.len())
            .map(|k| timing[&Value::Input(InputId(k as u32))])
            .collect(),
        outputs: model.outputs.iter().map(|v| timing[v]).collect(),
    }))
}

fn layer_name(model: &Model, info: &ModelInfo, call: CallId) -> String {
    info.layer(model.calls[call.index()].layer).name.clone()
}

/// Each value's [`Timing`], refusing the layers that cannot stream.
fn timings(model: &Model, info: &ModelInfo) -> Result<HashMap<Value, Timing>, StreamError> {
    let mut timing: HashMap<Value, Timing> = HashMap::new();
    for k in 0..model.inputs.len() {
        let id = InputId(k as u32);
        let steps = has_time_axis(info, id);
        timing.insert(
            Value::Input(id),
            if steps { Timing::Steps } else { Timing::Fixed },
        );
    }
    for (id, call) in model.calls() {
        let layer = &model.layers[call.layer.index()];
        let inputs: Vec<Timing> = call.inputs.iter().map(|v| timing[v]).collect();
        let widest = inputs.iter().copied().max().unwrap_or(Timing::Fixed);
        let name = || info.layer(call.layer).name.clone();
        let class = layer.kind.class_name();
        let whole = || StreamError::WholeSequence {
            class,
            layer: name(),
            span: call.span,
        };
        let backwards = || StreamError::Backwards {
            class,
            layer: name(),
            span: call.span,
        };
        let count = info.call(id).output_shapes.len();
        let outputs: Vec<Timing> = match &layer.kind {
            LayerKind::Recurrent(r) => {
                if r.go_backwards {
                    return Err(backwards());
                }
                if widest != Timing::Steps {
                    return Err(whole());
                }
                let main = if r.return_sequences {
                    Timing::Steps
                } else {
                    Timing::Last
                };
                let mut outputs = vec![Timing::Last; count];
                outputs[0] = main;
                outputs
            }
            LayerKind::Bidirectional(_) => return Err(backwards()),
            LayerKind::Dense(_)
            | LayerKind::TimeDistributed(_)
            | LayerKind::Embedding(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Activation(_)
            | LayerKind::Identity(_)
            | LayerKind::Normalization(_)
            | LayerKind::Masking { .. } => vec![widest; count],
            LayerKind::ActivationLayer(ActivationLayer::Softmax { axis }) => {
                let rank = info.call(id).input_shapes[0].len() as i64;
                let axis = if *axis < 0 { rank + axis } else { *axis };
                if widest == Timing::Steps && axis == 1 {
                    return Err(whole());
                }
                vec![widest; count]
            }
            LayerKind::ActivationLayer(_) => vec![widest; count],
            LayerKind::Merge(m) => {
                let on_time = match m {
                    Merge::Concatenate { axis } => {
                        let rank = info.call(id).input_shapes[0].len() as i64;
                        (if *axis < 0 { rank + axis } else { *axis }) == 1
                    }
                    Merge::Dot { .. } => true,
                    Merge::Add
                    | Merge::Subtract
                    | Merge::Multiply
                    | Merge::Average
                    | Merge::Maximum
                    | Merge::Minimum => false,
                };
                if on_time && widest == Timing::Steps {
                    return Err(whole());
                }
                vec![widest; count]
            }
            // Mixes steps, or makes a sequence of a value that changes with
            // each chunk.
            LayerKind::Attention(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::Reshape(_) => {
                if widest == Timing::Steps {
                    return Err(whole());
                }
                vec![widest; count]
            }
            LayerKind::RepeatVector { .. } => {
                if widest != Timing::Fixed {
                    return Err(whole());
                }
                vec![Timing::Fixed; count]
            }
        };
        for (k, t) in outputs.into_iter().enumerate() {
            timing.insert(
                Value::Output {
                    call: id,
                    output: k as u32,
                },
                t,
            );
        }
    }
    Ok(timing)
}

/// The streaming model of `plan`, checked. Its layers are the model's own
/// (the same weights load into it); its inputs are the model's, with a
/// symbolic time axis, then the states; its outputs the model's, then the
/// final states.
pub fn apply(
    model: &Model,
    info: &ModelInfo,
    plan: &Plan,
) -> Result<(Model, ModelInfo), Vec<CheckError>> {
    let mut out = model.clone();
    for (k, input) in out.inputs.iter_mut().enumerate() {
        if has_time_axis(info, InputId(k as u32)) {
            if let Some(decl) = &mut input.decl {
                decl.dims[0] = None;
            }
        }
    }
    for &id in &plan.calls {
        let call = &model.calls[id.index()];
        let layer = info.layer(call.layer);
        let LayerKind::Recurrent(r) = &model.layers[call.layer.index()].kind else {
            unreachable!("plan streams recurrent calls only")
        };
        let batch = info.call(id).input_shapes[0][0];
        let states: &[&str] = if r.cell.states() == 2 {
            &["h", "c"]
        } else {
            &["h"]
        };
        let mut stream = Stream {
            call: id,
            inputs: Vec::new(),
            outputs: Vec::new(),
            output_names: Vec::new(),
        };
        for (k, state) in states.iter().enumerate() {
            let input = InputId(out.inputs.len() as u32);
            out.inputs.push(ModelInput {
                name: Some(format!("{}_{state}_in", layer.name)),
                decl: Some(InputDecl {
                    batch,
                    dims: vec![Some(r.units)],
                    dtype: Some(InputDtype::Float32),
                    span: call.span,
                }),
                span: call.span,
            });
            stream.inputs.push(input);
            stream.outputs.push(out.outputs.len());
            stream
                .output_names
                .push(format!("{}_{state}_out", layer.name));
            out.outputs.push(Value::Output {
                call: id,
                output: 1 + k as u32,
            });
        }
        out.calls[id.index()].initial_state =
            stream.inputs.iter().map(|&i| Value::Input(i)).collect();
        let LayerKind::Recurrent(r) = &mut out.layers[call.layer.index()].kind else {
            unreachable!("plan streams recurrent calls only")
        };
        r.return_state = true;
        out.streams.push(stream);
    }
    let info = check::check(&out)?;
    Ok((out, info))
}

/// Whether a model input has a time axis (its first axis after the batch):
/// `(batch, steps, features)`, or `(batch, steps)` token ids.
fn has_time_axis(info: &ModelInfo, id: InputId) -> bool {
    let input = info.input(id);
    input.shape.len() >= 3 || (input.shape.len() == 2 && input.dtype != InputDtype::Float32)
}
