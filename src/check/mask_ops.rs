//! The mask tensors of a Keras 3 functional model, and the ops that make
//! them.
//!
//! Keras 3 makes each mask with ops (`not_equal`, `logical_or`,
//! `concatenate`, `any`, …) in the layers' `compute_mask`, on the symbolic
//! tensors, so every op is a node of the model's graph; and a layer whose
//! `call` takes `mask` records the mask as one more input. Both change the
//! depths `map_graph` gives layers (`check::order`), and each `concatenate`
//! op takes an automatic name (`check::names`).
//!
//! These are Keras' tensors, not the masks' values (`check::masks`): a
//! `Concatenate` of a masked and an unmasked sequence on the features
//! makes a mask that is true everywhere. It masks nothing, so
//! `check::masks` gives that output none, but it is a tensor all the same,
//! made by ops and passed to the next layer.

use std::collections::HashMap;

use super::masks::{call_rules, MaskRule};
use super::CallInfo;
use crate::ir::{ActivationLayer, CallId, InputId, LayerKind, Merge, Model, Pool, Value};

/// A node of Keras' graph: a model input's node, a call, or a mask op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum MaskNode {
    Input(InputId),
    Call(CallId),
    /// An index into the ops of [`MaskOps`].
    MaskOp(usize),
}

/// The node whose output is the value.
pub(super) fn producer(value: Value) -> MaskNode {
    match value {
        Value::Input(id) => MaskNode::Input(id),
        Value::Output { call, .. } => MaskNode::Call(call),
    }
}

/// The mask ops Keras 3 adds to a model's graph, and the masks each call
/// records as inputs.
pub(super) struct MaskOps {
    /// Each op's input tensors' producers, in argument order.
    parents: Vec<Vec<Node>>,
    /// Per call, the producers of the masks its node records.
    call_masks: Vec<Vec<Node>>,
    /// The producer of each value's mask tensor.
    mask_of: HashMap<Value, Node>,
}

type Node = MaskNode;

impl MaskOps {
    /// Follows the calls in order, as Keras makes the masks; `calls` hold
    /// their shapes.
    pub(super) fn build(model: &Model, calls: &[CallInfo]) -> MaskOps {
        let mut ops = MaskOps {
            parents: Vec::new(),
            call_masks: vec![Vec::new(); model.calls.len()],
            mask_of: HashMap::new(),
        };
        for (id, call) in model.calls() {
            let kind = &model.layers[call.layer.index()].kind;
            let masks: Vec<Option<Node>> = call
                .inputs
                .iter()
                .map(|v| ops.mask_of.get(v).copied())
                .collect();
            // `Layer.__call__` fills in `mask` for a call with a single
            // tensor argument, not for a recurrent call with
            // `initial_state`; and its node records it only when that
            // argument is one tensor (a list, as `Attention` takes, is
            // first converted into new arguments, which the node does not
            // see).
            if records_mask(kind) && !super::masks::keras_initial_state(model, id, call) {
                ops.call_masks[id.index()] = masks.iter().flatten().copied().collect();
            }
            let carried: Vec<bool> = masks.iter().map(Option::is_some).collect();
            let shapes = &calls[id.index()];
            let rules = call_rules(
                kind,
                &carried,
                shapes.output_shapes.len(),
                shapes.input_shapes[0].len(),
            );
            let outputs = ops.output_masks(kind, &rules, call.inputs.as_slice(), &masks);
            for (output, mask) in outputs.into_iter().enumerate() {
                if let Some(mask) = mask {
                    ops.mask_of.insert(
                        Value::Output {
                            call: id,
                            output: output as u32,
                        },
                        mask,
                    );
                }
            }
        }
        ops
    }

    /// Whether Keras attaches a mask tensor to the value.
    pub(super) fn carries(&self, value: Value) -> bool {
        self.mask_of.contains_key(&value)
    }

    /// The input tensors' producers of mask op `k`.
    pub(super) fn parents(&self, k: usize) -> &[Node] {
        &self.parents[k]
    }

    /// The producers of the masks the call's node records as inputs, after
    /// its arguments.
    pub(super) fn call_masks(&self, call: CallId) -> &[Node] {
        &self.call_masks[call.index()]
    }

    /// A new op reading these tensors; its output's producer.
    fn op(&mut self, parents: Vec<Node>) -> Node {
        self.parents.push(parents);
        Node::MaskOp(self.parents.len() - 1)
    }

    /// The producers of a call's output masks, making the ops its layer's
    /// `compute_mask` makes. `rules` are [`call_rules`] over which inputs
    /// carry a Keras mask tensor.
    fn output_masks(
        &mut self,
        kind: &LayerKind,
        rules: &[MaskRule],
        inputs: &[Value],
        masks: &[Option<Node>],
    ) -> Vec<Option<Node>> {
        // `ones_like(x)` for an unmasked input, else
        // `logical_or(expand_dims(mask), zeros_like(x))`; then
        // `any(concatenate(masks), axis=-1)`: a tensor whenever an input has
        // a mask, all true on the features when one has none (which its
        // rule, about the values, calls no mask).
        if matches!(kind, LayerKind::Merge(Merge::Concatenate { .. }))
            && masks.iter().any(Option::is_some)
        {
            let each: Vec<Node> = inputs
                .iter()
                .zip(masks)
                .map(|(&x, mask)| match mask {
                    None => self.op(vec![producer(x)]),
                    Some(m) => {
                        let expanded = self.op(vec![*m]);
                        let zeros = self.op(vec![producer(x)]);
                        self.op(vec![expanded, zeros])
                    }
                })
                .collect();
            let concatenated = self.op(each);
            return vec![Some(self.op(vec![concatenated]))];
        }
        rules
            .iter()
            .map(|rule| match rule {
                MaskRule::None => None,
                // `not_equal(inputs, 0)`.
                MaskRule::NonZeroIds => Some(self.op(vec![producer(inputs[0])])),
                // `any(not_equal(inputs, mask_value), axis=-1)`.
                MaskRule::AnyNotEqual(_) => {
                    let not_equal = self.op(vec![producer(inputs[0])]);
                    Some(self.op(vec![not_equal]))
                }
                // Attention's `convert_to_tensor(mask[0])`; the others pass
                // the tensor on.
                MaskRule::Input(k) => masks[*k].map(|m| match kind {
                    LayerKind::Attention(_) => self.op(vec![m]),
                    _ => m,
                }),
                // The left fold `logical_or(logical_or(m0, m1), m2)`.
                MaskRule::Any(ks) => {
                    let mut all = ks
                        .iter()
                        .map(|&k| masks[k].expect("the rule ors masked inputs"));
                    let first = all.next().expect("a merge has inputs");
                    Some(all.fold(first, |acc, m| self.op(vec![acc, m])))
                }
                MaskRule::ConcatTime(_) => unreachable!("Concatenate is made above"),
            })
            .collect()
    }
}

/// Whether a call of the layer on one tensor records that tensor's mask as
/// an input: its `call` has a `mask` parameter and takes one tensor.
fn records_mask(kind: &LayerKind) -> bool {
    match kind {
        LayerKind::Recurrent(_)
        | LayerKind::Bidirectional(_)
        | LayerKind::TimeDistributed(_)
        | LayerKind::GlobalPooling(Pool::Average)
        | LayerKind::ActivationLayer(ActivationLayer::Softmax { .. }) => true,
        LayerKind::Normalization(n) => n.batch,
        // `call(inputs=[query, value], mask=...)`: a list.
        LayerKind::Attention(_) => false,
        LayerKind::GlobalPooling(Pool::Max)
        | LayerKind::Dense(_)
        | LayerKind::Embedding(_)
        | LayerKind::Dropout { .. }
        | LayerKind::Activation(_)
        | LayerKind::Merge(_)
        | LayerKind::RepeatVector { .. }
        | LayerKind::Identity(_)
        | LayerKind::Reshape(_)
        | LayerKind::Conv1D(_)
        | LayerKind::Pooling1D(_)
        | LayerKind::ActivationLayer(
            ActivationLayer::Relu { .. }
            | ActivationLayer::LeakyRelu { .. }
            | ActivationLayer::Elu { .. }
            | ActivationLayer::Prelu { .. },
        )
        | LayerKind::Masking { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::LayerId;

    const HEAD: &str = "import keras\nfrom keras import layers\n\
        a = keras.Input(shape=(None,), dtype='int32')\n\
        ma = layers.Embedding(9, 4, mask_zero=True)(a)\n\
        plain = layers.Embedding(9, 4)(a)\n";

    fn build(body: &str) -> (Model, MaskOps) {
        let spec = crate::spec::Spec::from_source(format!("{HEAD}{body}"), "spec.rnn")
            .unwrap_or_else(|e| panic!("{e}"));
        let ops = MaskOps::build(&spec.model, &spec.info.calls);
        let model = spec.model;
        (model, ops)
    }

    /// The first call of the `k`-th layer object and its first output.
    fn call_of(model: &Model, k: u32) -> (CallId, Value) {
        let (id, _) = model
            .calls()
            .find(|(_, c)| c.layer == LayerId(k))
            .expect("called");
        (
            id,
            Value::Output {
                call: id,
                output: 0,
            },
        )
    }

    #[test]
    fn a_concatenate_of_masked_and_unmasked_features_carries_a_mask_tensor() {
        let (model, ops) = build(
            "x = layers.Concatenate()([ma, plain])\n\
             y = layers.LSTM(2)(x)\n\
             model = keras.Model(a, y)\n",
        );
        let (_, concatenated) = call_of(&model, 2);
        assert!(ops.carries(concatenated));
        // not_equal; expand_dims, zeros_like, logical_or; ones_like;
        // concatenate; any.
        assert_eq!(ops.parents.len(), 7);
        let (lstm, _) = call_of(&model, 3);
        assert_eq!(ops.call_masks(lstm), [MaskNode::MaskOp(6)]);
        assert_eq!(ops.parents(5), [MaskNode::MaskOp(3), MaskNode::MaskOp(4)]);
    }

    #[test]
    fn attention_and_initial_state_calls_record_no_mask() {
        let (model, ops) = build(
            "q = layers.Attention()([ma, ma])\n\
             _, h = layers.GRU(3, return_state=True)(ma)\n\
             s = layers.GRU(3, return_sequences=True)(ma, initial_state=h)\n\
             model = keras.Model(a, [q, s])\n",
        );
        let (attention, attended) = call_of(&model, 2);
        let (encoder, _) = call_of(&model, 3);
        let (decoder, decoded) = call_of(&model, 4);
        assert!(ops.call_masks(attention).is_empty());
        assert_eq!(ops.call_masks(encoder), [MaskNode::MaskOp(0)]);
        assert!(ops.call_masks(decoder).is_empty());
        // convert_to_tensor(mask[0]); the decoder passes its input's on.
        assert_eq!(ops.parents(1), [MaskNode::MaskOp(0)]);
        assert!(ops.carries(attended) && ops.carries(decoded));
    }
}
