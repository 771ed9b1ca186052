//! Streaming models: recurrent layers that take their states as inputs and
//! give their final states as outputs, so that a host feeds a sequence a
//! chunk at a time and carries the states from one call to the next.
//!
//! Keras' `stateful=True` asks for this; `rnnc compile --streaming` asks for
//! it on any model. [`plan`] decides which calls stream: the stateful ones,
//! or with `--streaming` every recurrent call (a call given `initial_state=`
//! keeps it, and restarts from it at every chunk, as Keras does). It
//! refuses a streamed layer that reads the sequence from its end
//! (`Bidirectional`, `go_backwards=True`) or is called twice. It also
//! works out, for every value, how the chunks' values make the whole
//! sequence's ([`Relation`]): where a layer restarts at every call or mixes
//! the steps of a chunk (pooling, attention, convolution, …), the file
//! computes what Keras' chunked calls compute, which is not the whole
//! sequence's, and verify compares only the values that are.
//!
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

/// How a value of a streaming model is made of the chunks' values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timing {
    /// The same for every chunk (an input without a time axis).
    Fixed,
    /// One per chunk, as of its last step (a last output, a state, a
    /// pooled sequence): the last chunk's stands for the run.
    Last,
    /// `(batch, steps, ...)`, rows for the chunk's steps: the chunks'
    /// values are concatenated on axis 1.
    Steps,
}

/// How a value of a streaming model relates to the chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relation {
    pub timing: Timing,
    /// Whether the chunks' values, so combined, are the whole sequence's:
    /// false below a layer that restarts at every call or mixes the steps
    /// of a chunk, where they are what Keras' chunked calls give.
    pub whole: bool,
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
        "recurrent layer `{layer}` is called more than once; a stream carries one state per layer"
    )]
    SharedLayer { layer: String, span: Span },
}

impl StreamError {
    fn span(&self) -> Option<Span> {
        match self {
            StreamError::NothingToStream => None,
            StreamError::Backwards { span, .. } | StreamError::SharedLayer { span, .. } => {
                Some(*span)
            }
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
            StreamError::SharedLayer { .. } => "give each call its own layer".into(),
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

/// Which calls stream, and how the model's inputs and outputs relate to
/// the chunks.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The streamed calls, in Keras' layer order, each with whether its
    /// final states are the whole sequence's.
    calls: Vec<(CallId, bool)>,
    /// Each model input's relation (the data inputs).
    pub inputs: Vec<Relation>,
    /// Each model output's relation (the model's own outputs).
    pub outputs: Vec<Relation>,
    /// Whether every value with a time axis goes step by step (no layer
    /// mixes a chunk's steps): then the file takes chunks of any length;
    /// otherwise it keeps the model's declared length, as Keras does.
    pub any_length: bool,
}

impl Plan {
    /// Per streamed call, in the order of the file's states, whether its
    /// final states are the whole sequence's.
    pub fn states_whole(&self) -> Vec<bool> {
        self.calls.iter().map(|&(_, whole)| whole).collect()
    }
}

/// The streaming plan of a checked model: `None` when `mode` is
/// [`Mode::Stateful`] and no layer is stateful.
pub fn plan(model: &Model, info: &ModelInfo, mode: Mode) -> Result<Option<Plan>, StreamError> {
    let recurrent: Vec<(CallId, bool)> = model
        .calls()
        .filter_map(|(id, call)| {
            let r = model.layers[call.layer.index()].kind.recurrent()?;
            Some((id, r.stateful))
        })
        .collect();
    let streamed: Vec<CallId> = match mode {
        Mode::Stateful if !recurrent.iter().any(|&(_, s)| s) => return Ok(None),
        Mode::All if recurrent.is_empty() => return Err(StreamError::NothingToStream),
        Mode::Stateful => recurrent
            .iter()
            .filter(|&&(_, s)| s)
            .map(|&(id, _)| id)
            .collect(),
        Mode::All => recurrent.iter().map(|&(id, _)| id).collect(),
    };
    let mut calls = Vec::new();
    for id in streamed {
        let call = &model.calls[id.index()];
        let layer = info.layer(call.layer);
        // A Bidirectional layer reads backwards too (no other layer streams).
        let backwards = match &model.layers[call.layer.index()].kind {
            LayerKind::Recurrent(r) => r.go_backwards,
            LayerKind::Bidirectional(_) => true,
            other => unreachable!("{} does not stream", other.class_name()),
        };
        if backwards {
            return Err(StreamError::Backwards {
                class: model.layers[call.layer.index()].kind.class_name(),
                layer: layer.name.clone(),
                span: call.span,
            });
        }
        if layer.calls.len() > 1 {
            return Err(StreamError::SharedLayer {
                layer: layer.name.clone(),
                span: call.span,
            });
        }
        // Keras starts a layer given `initial_state=` from it at every call.
        if call.initial_state.is_empty() {
            calls.push(id);
        }
    }
    let (relations, mixes_steps) = relations(model, info, &calls);
    let position = |id: &CallId| {
        let layer = model.calls[id.index()].layer;
        info.order
            .iter()
            .position(|op| *op == check::Operation::Layer(layer))
    };
    calls.sort_by_key(position);
    Ok(Some(Plan {
        calls: calls
            .into_iter()
            .map(|id| {
                // Whole when carried over a sequence cut into the chunks.
                let input = relations[&model.calls[id.index()].inputs[0]];
                (id, input.whole && input.timing == Timing::Steps)
            })
            .collect(),
        inputs: (0..model.inputs.len())
            .map(|k| relations[&Value::Input(InputId(k as u32))])
            .collect(),
        outputs: model.outputs.iter().map(|v| relations[v]).collect(),
        any_length: !mixes_steps,
    }))
}

/// Each value's [`Relation`] when `streamed` calls carry their states, and
/// whether a layer mixes the steps of a sequence cut into chunks (reads
/// them together or by position, so that it needs the model's length).
fn relations(
    model: &Model,
    info: &ModelInfo,
    streamed: &[CallId],
) -> (HashMap<Value, Relation>, bool) {
    let mut relation: HashMap<Value, Relation> = HashMap::new();
    let mut mixes_steps = false;
    for k in 0..model.inputs.len() {
        let id = InputId(k as u32);
        let timing = if has_time_axis(info, id) {
            Timing::Steps
        } else {
            Timing::Fixed
        };
        relation.insert(
            Value::Input(id),
            Relation {
                timing,
                whole: true,
            },
        );
    }
    for (id, call) in model.calls() {
        let kind = &model.layers[call.layer.index()].kind;
        let inputs: Vec<Relation> = call
            .inputs
            .iter()
            .chain(&call.initial_state)
            .map(|v| relation[v])
            .collect();
        let widest = inputs
            .iter()
            .map(|r| r.timing)
            .max()
            .unwrap_or(Timing::Fixed);
        let whole = inputs.iter().all(|r| r.whole);
        let shapes = &info.call(id).output_shapes;
        let on_steps = widest == Timing::Steps;
        let rank = info.call(id).input_shapes[0].len() as i64;
        let on_time = |axis: i64| (if axis < 0 { rank + axis } else { axis }) == 1;
        let mixing = on_steps
            && match kind {
                LayerKind::Attention(_)
                | LayerKind::GlobalPooling(_)
                | LayerKind::Conv1D(_)
                | LayerKind::Pooling1D(_)
                | LayerKind::Reshape(_)
                | LayerKind::Merge(Merge::Dot { .. }) => true,
                LayerKind::Merge(Merge::Concatenate { axis }) => on_time(*axis),
                LayerKind::ActivationLayer(ActivationLayer::Softmax { axis }) => on_time(*axis),
                // A slope per step unless shared over the time axis (1).
                LayerKind::ActivationLayer(ActivationLayer::Prelu { shared_axes }) => {
                    rank >= 3 && !shared_axes.contains(&1)
                }
                LayerKind::Recurrent(_)
                | LayerKind::Bidirectional(_)
                | LayerKind::Dense(_)
                | LayerKind::TimeDistributed(_)
                | LayerKind::Embedding(_)
                | LayerKind::Dropout { .. }
                | LayerKind::Activation(_)
                | LayerKind::Identity(_)
                | LayerKind::Normalization(_)
                | LayerKind::Masking { .. }
                | LayerKind::RepeatVector { .. }
                | LayerKind::Merge(
                    Merge::Add
                    | Merge::Subtract
                    | Merge::Multiply
                    | Merge::Average
                    | Merge::Maximum
                    | Merge::Minimum,
                )
                | LayerKind::ActivationLayer(
                    ActivationLayer::Relu { .. }
                    | ActivationLayer::LeakyRelu { .. }
                    | ActivationLayer::Elu { .. },
                ) => false,
            };
        mixes_steps |= mixing;
        // By the output's rank: a sequence of the chunk's steps, or one
        // value per chunk.
        let by_rank = |k: usize| {
            if shapes[k].len() >= 3 {
                Timing::Steps
            } else {
                Timing::Last
            }
        };
        let outputs: Vec<Relation> = (0..shapes.len())
            .map(|k| {
                if widest == Timing::Fixed {
                    return Relation {
                        timing: Timing::Fixed,
                        whole: true,
                    };
                }
                let timing = match kind {
                    LayerKind::Recurrent(_) | LayerKind::Bidirectional(_) => by_rank(k),
                    // Step by step.
                    LayerKind::Dense(_)
                    | LayerKind::TimeDistributed(_)
                    | LayerKind::Embedding(_)
                    | LayerKind::Dropout { .. }
                    | LayerKind::Activation(_)
                    | LayerKind::Identity(_)
                    | LayerKind::Normalization(_)
                    | LayerKind::Masking { .. }
                    | LayerKind::ActivationLayer(_) => widest,
                    // Steps against steps: the last chunk's.
                    LayerKind::Merge(Merge::Dot { .. }) if mixing => Timing::Last,
                    LayerKind::Merge(_) => widest,
                    // An output whose axis 1 follows the chunk's steps (the
                    // attention's query, a convolution's or pooling's
                    // windows) is concatenated; the others (scores) are the
                    // last chunk's.
                    LayerKind::Attention(_) | LayerKind::Conv1D(_) | LayerKind::Pooling1D(_) => {
                        if k == 0 {
                            by_rank(k)
                        } else {
                            Timing::Last
                        }
                    }
                    // A chunk's value repeated, pooled or reshaped.
                    LayerKind::RepeatVector { .. }
                    | LayerKind::GlobalPooling(_)
                    | LayerKind::Reshape(_) => Timing::Last,
                };
                // A recurrent layer's chunks make the whole sequence's when
                // it carries its states over a sequence cut into the chunks
                // (not, say, a RepeatVector's, which every chunk makes anew);
                // another layer's, unless it mixes a chunk's steps.
                let whole = match kind.recurrent() {
                    Some(_) => {
                        whole
                            && streamed.contains(&id)
                            && relation[&call.inputs[0]].timing == Timing::Steps
                    }
                    None => whole && !mixing,
                };
                Relation { timing, whole }
            })
            .collect();
        for (k, r) in outputs.into_iter().enumerate() {
            relation.insert(
                Value::Output {
                    call: id,
                    output: k as u32,
                },
                r,
            );
        }
    }
    (relation, mixes_steps)
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
    if plan.any_length {
        for (k, input) in out.inputs.iter_mut().enumerate() {
            if has_time_axis(info, InputId(k as u32)) {
                if let Some(decl) = &mut input.decl {
                    decl.dims[0] = None;
                }
            }
        }
        // A Sequential model's input may be declared on its layers.
        if has_time_axis(info, InputId(0)) && out.inputs[0].decl.is_none() {
            for layer in &mut out.layers {
                if let Some(decl) = &mut layer.input {
                    decl.dims[0] = None;
                }
            }
        }
    }
    for &(id, _) in &plan.calls {
        let call = &model.calls[id.index()];
        let layer = info.layer(call.layer);
        let LayerKind::Recurrent(r) = &model.layers[call.layer.index()].kind else {
            unreachable!("plan streams recurrent calls only")
        };
        let batch = info.call(id).input_shapes[0][0];
        let states = r.states();
        let mut stream = Stream {
            call: id,
            inputs: Vec::new(),
            outputs: Vec::new(),
            output_names: Vec::new(),
        };
        for (k, (state, units)) in states.iter().enumerate() {
            let input = InputId(out.inputs.len() as u32);
            out.inputs.push(ModelInput {
                name: Some(format!("{}_{state}_in", layer.name)),
                decl: Some(InputDecl {
                    batch,
                    dims: vec![Some(*units)],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    fn plan_of(body: &str, mode: Mode) -> Result<Option<Plan>, StreamError> {
        let spec = Spec::from_source(
            format!("import keras\nfrom keras import layers\n{body}"),
            "spec.rnn",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        plan(&spec.model, &spec.info, mode)
    }

    const STEPS: Relation = Relation {
        timing: Timing::Steps,
        whole: true,
    };

    #[test]
    fn a_model_without_stateful_layers_streams_only_when_asked() {
        let body = "x = keras.Input(shape=(None, 3))\nmodel = keras.Model(x, layers.GRU(2)(x))\n";
        assert_eq!(plan_of(body, Mode::Stateful).unwrap(), None);
        let plan = plan_of(body, Mode::All).unwrap().unwrap();
        assert_eq!(plan.inputs, [STEPS]);
        assert_eq!(
            plan.outputs,
            [Relation {
                timing: Timing::Last,
                whole: true
            }]
        );
        assert_eq!(plan.states_whole(), [true]);
    }

    #[test]
    fn restarted_layers_and_mixed_steps_are_each_chunks_own() {
        let plan = plan_of(
            "x = keras.Input(batch_shape=(2, None, 3))\n\
             s = layers.LSTM(4, stateful=True, return_sequences=True)(x)\n\
             restarted = layers.GRU(3, return_sequences=True)(s)\n\
             pooled = layers.GlobalAveragePooling1D()(s)\n\
             kept = layers.Dense(2)(s)\n\
             model = keras.Model(x, [restarted, pooled, kept])\n",
            Mode::Stateful,
        )
        .unwrap()
        .unwrap();
        let whole: Vec<(Timing, bool)> = plan.outputs.iter().map(|r| (r.timing, r.whole)).collect();
        assert_eq!(
            whole,
            [
                (Timing::Steps, false),
                (Timing::Last, false),
                (Timing::Steps, true)
            ]
        );
        assert_eq!(plan.states_whole(), [true]);
    }

    #[test]
    fn a_streamed_layer_that_reads_backwards_or_twice_is_refused() {
        let backwards = plan_of(
            "x = keras.Input(shape=(None, 3))\n\
             model = keras.Model(x, layers.Bidirectional(layers.GRU(2))(x))\n",
            Mode::All,
        );
        assert!(matches!(backwards, Err(StreamError::Backwards { .. })));
        let shared = plan_of(
            "a = keras.Input(shape=(None, 3))\nb = keras.Input(shape=(None, 3))\n\
             g = layers.GRU(2)\nmodel = keras.Model([a, b], layers.Add()([g(a), g(b)]))\n",
            Mode::All,
        );
        assert!(matches!(shared, Err(StreamError::SharedLayer { .. })));
    }
}
