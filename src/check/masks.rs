//! Keras masks: which values carry one, and how each call makes its own.
//!
//! A mask (Keras' `_keras_mask`) is a `(batch, steps)` boolean beside a
//! sequence value: true where the step holds data. `Embedding(mask_zero=True)`
//! and `Masking` make one; most layers pass it on unchanged; merges combine
//! them; recurrent layers returning only their last step, global pooling and
//! the layers Keras 3 says "do not support masking" end it. The rules are
//! Keras 3's `compute_mask` of each layer, measured with Keras 3.15
//! (`docs/keras_masking.md`; oracles by `scripts/make_masking_oracles.py`),
//! written once here as a [`MaskRule`] per call output, so that the backend
//! and the reference interpreter compute the same masks from their own
//! arithmetic.

use crate::ir::{
    ActivationLayer, Call, CallId, LayerKind, Merge, MergeMode, Model, Pool, RecurrentClass, Value,
};

use super::{CallInfo, CheckError, LayerInfo};
use crate::diag::Diagnostic;

/// How one output of a call gets its mask.
#[derive(Clone, Debug, PartialEq)]
pub enum MaskRule {
    /// The output carries no mask.
    None,
    /// `Embedding(mask_zero=True)`: `ids != 0` of the call's input.
    NonZeroIds,
    /// `Masking(mask_value)`: a step is kept where any feature of the
    /// call's input differs from the value.
    AnyNotEqual(f32),
    /// The mask of input `k`, unchanged.
    Input(usize),
    /// The logical or of these inputs' masks (a merge whose inputs all
    /// have one, other than on the time axis).
    Any(Vec<usize>),
    /// `Concatenate` on the time axis: the inputs' masks concatenated, an
    /// input without a mask (false here) counting as all true.
    ConcatTime(Vec<bool>),
}

impl MaskRule {
    /// Whether the output carries a mask.
    pub fn is_some(&self) -> bool {
        !matches!(self, MaskRule::None)
    }

    /// The call inputs whose masks the rule combines.
    fn inputs(&self) -> Vec<usize> {
        match self {
            MaskRule::None | MaskRule::NonZeroIds | MaskRule::AnyNotEqual(_) => Vec::new(),
            MaskRule::Input(k) => vec![*k],
            MaskRule::Any(ks) => ks.clone(),
            MaskRule::ConcatTime(masked) => (0..masked.len()).filter(|&k| masked[k]).collect(),
        }
    }
}

/// Fills every call's `output_masks` and `reads_masks` in call order (a
/// call's rules read its inputs' from earlier calls), then `used_masks`;
/// `calls` already hold their shapes. Refuses a masked `Softmax` layer.
pub(super) fn annotate(
    model: &Model,
    calls: &mut [CallInfo],
    layers: &[LayerInfo],
) -> Result<(), CheckError> {
    for (id, call) in model.calls() {
        let masked: Vec<bool> = call
            .inputs
            .iter()
            .map(|&v| match v {
                Value::Input(_) => false,
                Value::Output { call, output } => {
                    calls[call.index()].output_masks[output as usize].is_some()
                }
            })
            .collect();
        let kind = &model.layers[call.layer.index()].kind;
        if masked[0]
            && matches!(
                kind,
                LayerKind::ActivationLayer(ActivationLayer::Softmax { .. })
            )
        {
            return Err(CheckError::MaskedSoftmax {
                layer: layers[call.layer.index()].name.clone(),
                span: call.span,
            });
        }
        let cudnn = kind
            .recurrent()
            .filter(|r| r.class == RecurrentClass::Cudnn);
        if let (true, Some(r)) = (masked[0], cudnn) {
            return Err(CheckError::MaskedCudnn {
                class: r.class_name(),
                layer: layers[call.layer.index()].name.clone(),
                span: call.span,
            });
        }
        let info = &mut calls[id.index()];
        let (count, rank) = (info.output_shapes.len(), info.input_shapes[0].len());
        info.reads_masks =
            masked.iter().any(|&m| m) && reads_masks(kind, keras_initial_state(model, id, call));
        info.output_masks = call_rules(kind, &masked, count, rank);
    }
    mark_used(model, calls);
    Ok(())
}

/// Whether the call is given `initial_state=` the Keras way, which drops
/// its mask; a streamed call's states are not (`ir::Stream`).
pub(super) fn keras_initial_state(model: &Model, id: CallId, call: &Call) -> bool {
    !call.initial_state.is_empty() && model.stream_of(id).is_none()
}

/// Sets `used_masks`: the masks a later call reads (`reads_masks`), those a
/// used mask is made from, and `Masking`'s own (its values need it). The
/// others need no node in the file.
fn mark_used(model: &Model, calls: &mut [CallInfo]) {
    for info in calls.iter_mut() {
        info.used_masks = info
            .output_masks
            .iter()
            .map(|rule| matches!(rule, MaskRule::AnyNotEqual(_)))
            .collect();
    }
    for (id, call) in model.calls().collect::<Vec<_>>().into_iter().rev() {
        let info = &calls[id.index()];
        let read: Vec<usize> = if info.reads_masks {
            (0..call.inputs.len()).collect()
        } else {
            info.output_masks
                .iter()
                .zip(&info.used_masks)
                .filter(|(_, &u)| u)
                .flat_map(|(rule, _)| rule.inputs())
                .collect()
        };
        for k in read {
            if let Value::Output { call, output } = call.inputs[k] {
                calls[call.index()].used_masks[output as usize] = true;
            }
        }
    }
}

/// The calls where Keras 3 drops a mask with its warning ("does not
/// support masking and will therefore destroy the mask information"), as
/// notes: the numbers are Keras' either way, but the layers after such a
/// call see every step, which a user padding sequences may not expect.
pub fn dropped(model: &Model, info: &super::ModelInfo) -> Vec<Diagnostic> {
    model
        .calls()
        .filter(|(_, call)| {
            drops_masks(&model.layers[call.layer.index()].kind)
                && call.inputs.iter().any(|&v| info.is_masked(v))
        })
        .map(|(_, call)| {
            let layer = info.layer(call.layer);
            Diagnostic {
                message: format!(
                    "{} layer `{}` drops the mask of its input, as Keras 3 does",
                    layer.class_name, layer.name
                ),
                span: Some(call.span),
                hint: Some("the layers after it see the padded steps as data".into()),
            }
        })
        .collect()
}

/// The layers Keras 3 warns about when they receive a mask.
fn drops_masks(kind: &LayerKind) -> bool {
    match kind {
        LayerKind::Reshape(_)
        | LayerKind::Conv1D(_)
        | LayerKind::Pooling1D(_)
        | LayerKind::GlobalPooling(Pool::Max) => true,
        LayerKind::Recurrent(_)
        | LayerKind::Bidirectional(_)
        | LayerKind::Dense(_)
        | LayerKind::TimeDistributed(_)
        | LayerKind::Embedding(_)
        | LayerKind::Dropout { .. }
        | LayerKind::Activation(_)
        | LayerKind::Merge(_)
        | LayerKind::RepeatVector { .. }
        | LayerKind::Identity(_)
        | LayerKind::GlobalPooling(Pool::Average)
        | LayerKind::Normalization(_)
        | LayerKind::Attention(_)
        | LayerKind::ActivationLayer(_)
        | LayerKind::Masking { .. } => false,
    }
}

/// Whether a call of the layer uses its inputs' masks in its arithmetic
/// (every other layer passes them on or drops them).
///
/// Keras 3's `Layer.__call__` hands a layer the mask of its only tensor
/// argument; a recurrent call given `initial_state=` has two tensor
/// arguments, and then `RNN.call` and `Bidirectional.call` get no mask (they
/// have no `sequences_mask` parameter): the layer runs every step as data,
/// while its output still carries the mask (`compute_mask` reads the input's).
fn reads_masks(kind: &LayerKind, has_initial_state: bool) -> bool {
    match kind {
        LayerKind::Recurrent(_) | LayerKind::Bidirectional(_) => !has_initial_state,
        // Multiply sets a masked input's masked steps to 1 (and, when all
        // inputs have masks, the output's fully masked steps to 0);
        // Maximum and Minimum take the other operand at masked steps.
        LayerKind::Merge(Merge::Multiply | Merge::Maximum | Merge::Minimum)
        | LayerKind::GlobalPooling(Pool::Average)
        | LayerKind::Attention(_) => true,
        // Masking makes its own mask from the values, whatever comes in.
        LayerKind::Masking { .. } => false,
        LayerKind::GlobalPooling(Pool::Max)
        | LayerKind::Embedding(_)
        | LayerKind::Dense(_)
        | LayerKind::TimeDistributed(_)
        | LayerKind::Dropout { .. }
        | LayerKind::Activation(_)
        | LayerKind::Identity(_)
        | LayerKind::Normalization(_)
        | LayerKind::ActivationLayer(_)
        | LayerKind::Merge(
            Merge::Add
            | Merge::Subtract
            | Merge::Average
            | Merge::Concatenate { .. }
            | Merge::Dot { .. },
        )
        | LayerKind::RepeatVector { .. }
        | LayerKind::Reshape(_)
        | LayerKind::Conv1D(_)
        | LayerKind::Pooling1D(_) => false,
    }
}

/// The rules of one call's `count` outputs, given which inputs carry a mask
/// and the rank of the first input.
pub(super) fn call_rules(
    kind: &LayerKind,
    masked: &[bool],
    count: usize,
    rank: usize,
) -> Vec<MaskRule> {
    let first = || {
        if masked[0] {
            MaskRule::Input(0)
        } else {
            MaskRule::None
        }
    };
    let main_then_none = |main: MaskRule, mains: usize| {
        let mut rules = vec![main; mains];
        rules.resize(count, MaskRule::None);
        rules
    };
    let rule = match kind {
        LayerKind::Embedding(e) => {
            if e.mask_zero {
                MaskRule::NonZeroIds
            } else {
                MaskRule::None
            }
        }
        LayerKind::Masking { value } => MaskRule::AnyNotEqual(*value),
        // The sequence keeps the mask; the last step and the states do not.
        LayerKind::Recurrent(r) => {
            let main = if r.return_sequences {
                first()
            } else {
                MaskRule::None
            };
            return main_then_none(main, 1);
        }
        LayerKind::Bidirectional(b) => {
            let main = if b.layer.return_sequences {
                first()
            } else {
                MaskRule::None
            };
            let mains = match b.merge_mode {
                MergeMode::None => 2,
                MergeMode::Concat | MergeMode::Sum | MergeMode::Mul | MergeMode::Ave => 1,
            };
            return main_then_none(main, mains);
        }
        // The output has the query's steps and mask; the scores have none.
        LayerKind::Attention(_) => return main_then_none(first(), 1),
        LayerKind::Dense(_)
        | LayerKind::TimeDistributed(_)
        | LayerKind::Dropout { .. }
        | LayerKind::Activation(_)
        | LayerKind::Identity(_)
        | LayerKind::Normalization(_)
        | LayerKind::ActivationLayer(_) => first(),
        LayerKind::Merge(m) => merge_rule(*m, masked, rank),
        // Consumed (global pooling), or dropped by layers that do not
        // support masking in Keras 3, which warns and drops it.
        LayerKind::GlobalPooling(_)
        | LayerKind::RepeatVector { .. }
        | LayerKind::Reshape(_)
        | LayerKind::Conv1D(_)
        | LayerKind::Pooling1D(_) => MaskRule::None,
    };
    main_then_none(rule, count)
}

/// Keras 3's `Merge.compute_mask` (and `Concatenate`'s own): the or of the
/// masks when every input has one, else none (an input without a mask
/// counts as all true); on the time axis, the masks concatenated.
fn merge_rule(m: Merge, masked: &[bool], rank: usize) -> MaskRule {
    let with_mask: Vec<usize> = (0..masked.len()).filter(|&k| masked[k]).collect();
    if with_mask.is_empty() {
        return MaskRule::None;
    }
    let time_axis = match m {
        Merge::Concatenate { axis } => (if axis < 0 { rank as i64 + axis } else { axis }) == 1,
        Merge::Dot { .. } => return MaskRule::None,
        Merge::Add
        | Merge::Subtract
        | Merge::Multiply
        | Merge::Average
        | Merge::Maximum
        | Merge::Minimum => false,
    };
    if time_axis {
        MaskRule::ConcatTime(masked.to_vec())
    } else if with_mask.len() == masked.len() {
        single_or(with_mask, MaskRule::Any)
    } else {
        MaskRule::None
    }
}

fn single_or(inputs: Vec<usize>, many: fn(Vec<usize>) -> MaskRule) -> MaskRule {
    match inputs.as_slice() {
        [one] => MaskRule::Input(*one),
        _ => many(inputs),
    }
}

#[cfg(test)]
mod tests {
    use super::MaskRule;
    use crate::check::{CallInfo, ModelInfo};
    use crate::spec::Spec;

    const HEAD: &str = "import keras\nfrom keras import layers\n\
        a = keras.Input(shape=(None,), dtype='int32')\n\
        b = keras.Input(shape=(None,), dtype='int32')\n\
        ma = layers.Embedding(9, 4, mask_zero=True)(a)\n\
        mb = layers.Embedding(9, 4, mask_zero=True)(b)\n\
        plain = layers.Embedding(9, 4)(b)\n";

    fn info(body: &str) -> ModelInfo {
        let source = format!("{HEAD}{body}");
        Spec::from_source(source, "spec.rnn")
            .unwrap_or_else(|e| panic!("{e}"))
            .info
    }

    /// The call of layer `name`.
    fn call<'a>(info: &'a ModelInfo, name: &str) -> &'a CallInfo {
        let layer = info.layers.iter().find(|l| l.name == name).unwrap();
        info.call(layer.calls[0])
    }

    #[test]
    fn merges_or_their_masks_only_when_every_input_has_one() {
        let info = info(
            "both = layers.Add(name='both')([ma, mb])\n\
             one = layers.Add(name='one')([ma, plain])\n\
             time = layers.Concatenate(axis=1, name='time')([plain, ma])\n\
             model = keras.Model([a, b], [both, one, time])\n",
        );
        assert_eq!(
            call(&info, "both").output_masks,
            [MaskRule::Any(vec![0, 1])]
        );
        assert_eq!(call(&info, "one").output_masks, [MaskRule::None]);
        assert_eq!(
            call(&info, "time").output_masks,
            [MaskRule::ConcatTime(vec![false, true])]
        );
        assert!(!call(&info, "both").reads_masks);
    }

    #[test]
    fn an_rnn_given_initial_state_reads_no_mask_but_passes_it_on() {
        let info = info(
            "_, h = layers.GRU(3, return_state=True, name='enc')(ma)\n\
             seq = layers.GRU(3, return_sequences=True, name='dec')(mb, initial_state=h)\n\
             last = layers.GRU(2, name='after')(seq)\n\
             model = keras.Model([a, b], last)\n",
        );
        assert!(call(&info, "enc").reads_masks);
        assert_eq!(
            call(&info, "enc").output_masks,
            [MaskRule::None, MaskRule::None]
        );
        assert!(!call(&info, "dec").reads_masks);
        assert_eq!(call(&info, "dec").output_masks, [MaskRule::Input(0)]);
        assert!(call(&info, "after").reads_masks);
    }

    #[test]
    fn masks_nothing_reads_are_not_used() {
        let info = info(
            "x = layers.Conv1D(4, 3, padding='same', name='conv')(ma)\n\
             y = layers.LSTM(2, name='lstm')(x)\n\
             model = keras.Model(a, y)\n",
        );
        let embedding = call(&info, "embedding");
        assert_eq!(embedding.output_masks, [MaskRule::NonZeroIds]);
        assert_eq!(embedding.used_masks, [false]);
        assert!(!call(&info, "lstm").reads_masks);
    }

    #[test]
    fn a_softmax_layer_on_a_masked_sequence_is_refused() {
        let source = format!("{HEAD}y = layers.Softmax()(ma)\nmodel = keras.Model(a, y)\n");
        let err = Spec::from_source(source, "spec.rnn")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("Softmax layer `softmax` receives a masked sequence"),
            "{err}"
        );
    }
}
