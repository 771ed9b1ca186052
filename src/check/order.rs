//! Keras' order of a model's layers: `model.layers`, the summary's rows and
//! `model.get_weights()`.
//!
//! A port of `map_graph` in Keras 3 (`keras/src/ops/function.py`): a
//! depth-first walk from the outputs numbers each operation (input, layer
//! or op) when first seen; each node's depth is its distance from the
//! outputs (the longest path), an operation's the largest over its nodes;
//! operations are listed from the deepest, ties in walk order, and the
//! layers among them are `model.layers`. A chain lists its layers in order.
//!
//! The graph Keras walks holds more than the layer calls: the ops that
//! make the masks ([`MaskOps`]) lengthen paths and so move layers.

use std::collections::HashMap;

use super::mask_ops::{producer, MaskNode, MaskOps};
use crate::ir::{InputId, LayerId, Model};

/// An entry of Keras' `model.layers`: an `InputLayer` or a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    Input(InputId),
    Layer(LayerId),
}

/// A node of the graph: a model input's node, a call, or a mask op.
type Node = MaskNode;

/// What `map_graph` numbers and gives a depth: an operation or a mask op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Numbered {
    Operation(Operation),
    MaskOp(usize),
}

/// The operations feeding the model's outputs (and every model input), in
/// Keras' order.
pub(super) fn keras_order(model: &Model, masks: &MaskOps) -> Vec<Operation> {
    let numbered = |node: Node| match node {
        Node::Input(id) => Numbered::Operation(Operation::Input(id)),
        Node::Call(call) => Numbered::Operation(Operation::Layer(model.calls[call.index()].layer)),
        Node::MaskOp(k) => Numbered::MaskOp(k),
    };
    // A node's input tensors: a call's arguments, then its keyword
    // arguments in name order (`initial_state`, `mask`).
    let parents = |node: Node| -> Vec<Node> {
        match node {
            Node::Input(_) => Vec::new(),
            Node::Call(call) => {
                let c = &model.calls[call.index()];
                c.inputs
                    .iter()
                    .chain(&c.initial_state)
                    .map(|&v| producer(v))
                    .chain(masks.call_masks(call).iter().copied())
                    .collect()
            }
            Node::MaskOp(k) => masks.parents(k).to_vec(),
        }
    };
    // The walk: nodes in post-order (inputs first), operations numbered in
    // pre-order. The stack holds (node, whether its parents were pushed).
    let mut finished: Vec<Node> = Vec::new();
    let mut index: HashMap<Numbered, i64> = HashMap::new();
    for &output in &model.outputs {
        let mut stack = vec![(producer(output), false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                if !finished.contains(&node) {
                    finished.push(node);
                }
                continue;
            }
            if finished.contains(&node) {
                continue;
            }
            let next = index.len() as i64;
            index.entry(numbered(node)).or_insert(next);
            stack.push((node, true));
            // Reversed, so that the first parent is walked first.
            for parent in parents(node).into_iter().rev() {
                stack.push((parent, false));
            }
        }
    }

    let mut node_depth: HashMap<Node, usize> = HashMap::new();
    let mut op_depth: HashMap<Numbered, usize> = HashMap::new();
    for &node in finished.iter().rev() {
        let own = *node_depth.entry(node).or_insert(0);
        let depth = own.max(op_depth.get(&numbered(node)).copied().unwrap_or(0));
        op_depth.insert(numbered(node), depth);
        node_depth.insert(node, depth);
        for parent in parents(node) {
            let d = node_depth.entry(parent).or_insert(0);
            *d = (*d).max(depth + 1);
        }
    }
    // Inputs that feed no output are listed too, first among depth 0.
    for i in 0..model.inputs.len() {
        let op = Numbered::Operation(Operation::Input(InputId(i as u32)));
        if let std::collections::hash_map::Entry::Vacant(entry) = op_depth.entry(op) {
            entry.insert(0);
            index.insert(op, -1);
        }
    }
    let mut order: Vec<Numbered> = op_depth.keys().copied().collect();
    order.sort_by_key(|op| (std::cmp::Reverse(op_depth[op]), index[op]));
    order
        .into_iter()
        .filter_map(|op| match op {
            Numbered::Operation(op) => Some(op),
            Numbered::MaskOp(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(source: &str) -> Vec<Operation> {
        let spec = crate::spec::Spec::from_source(source.into(), "spec.rnn")
            .unwrap_or_else(|e| panic!("{e}"));
        spec.info.order
    }

    #[test]
    fn a_chain_is_listed_in_order() {
        let ops = order("Input(shape=(3, 2))\nLSTM(4, return_sequences=True)\nGRU(3)\nDense(1)\n");
        assert_eq!(
            ops,
            [
                Operation::Input(InputId(0)),
                Operation::Layer(LayerId(0)),
                Operation::Layer(LayerId(1)),
                Operation::Layer(LayerId(2)),
            ]
        );
    }

    #[test]
    fn mask_ops_lengthen_paths() {
        // `zeros_like(masked)` -> `logical_or` -> `concatenate` -> `any` ->
        // the LSTM puts the masked Embedding deeper than the plain one, whose
        // two Dense layers alone would tie it.
        let ops = order(
            "import keras\nfrom keras import layers\n\
             ids = keras.Input(shape=(None,), dtype='int32')\n\
             plain = layers.Embedding(10, 4)(ids)\n\
             masked = layers.Embedding(10, 4, mask_zero=True)(ids)\n\
             head = layers.Dense(4)(layers.Dense(4)(plain))\n\
             last = layers.LSTM(3)(layers.Concatenate(axis=1)([masked, masked]))\n\
             model = keras.Model(ids, [head, last])\n",
        );
        assert_eq!(
            ops[1..3],
            [Operation::Layer(LayerId(1)), Operation::Layer(LayerId(0))]
        );
    }
}
