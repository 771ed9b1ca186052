//! Keras' order of a model's layers: `model.layers`, the summary's rows and
//! `model.get_weights()`.
//!
//! A port of `map_graph` in Keras 3 (`keras/src/ops/function.py`): a
//! depth-first walk from the outputs numbers each operation (input or layer)
//! when first seen; each call's depth is its distance from the outputs (the
//! longest path), a layer's the largest over its calls; operations are listed
//! from the deepest, ties in walk order. A chain lists its layers in order.

use std::collections::HashMap;

use crate::ir::{CallId, InputId, LayerId, Model, Value};

/// An entry of Keras' `model.layers`: an `InputLayer` or a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    Input(InputId),
    Layer(LayerId),
}

/// A node of the graph: a model input's node or a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Node {
    Input(InputId),
    Call(CallId),
}

fn producer(value: Value) -> Node {
    match value {
        Value::Input(id) => Node::Input(id),
        Value::Output { call, .. } => Node::Call(call),
    }
}

/// The operations feeding the model's outputs (and every model input), in
/// Keras' order.
pub(super) fn keras_order(model: &Model) -> Vec<Operation> {
    let operation = |node: Node| match node {
        Node::Input(id) => Operation::Input(id),
        Node::Call(call) => Operation::Layer(model.calls[call.index()].layer),
    };
    let parents = |node: Node| -> Vec<Node> {
        match node {
            Node::Input(_) => Vec::new(),
            Node::Call(call) => {
                let c = &model.calls[call.index()];
                c.inputs
                    .iter()
                    .chain(&c.initial_state)
                    .map(|&v| producer(v))
                    .collect()
            }
        }
    };

    // The walk: nodes in post-order (inputs first), operations numbered in
    // pre-order. The stack holds (node, whether its parents were pushed).
    let mut finished: Vec<Node> = Vec::new();
    let mut index: HashMap<Operation, i64> = HashMap::new();
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
            index.entry(operation(node)).or_insert(next);
            stack.push((node, true));
            // Reversed, so that the first parent is walked first.
            for parent in parents(node).into_iter().rev() {
                stack.push((parent, false));
            }
        }
    }

    let mut node_depth: HashMap<Node, usize> = HashMap::new();
    let mut op_depth: HashMap<Operation, usize> = HashMap::new();
    for &node in finished.iter().rev() {
        let own = *node_depth.entry(node).or_insert(0);
        let depth = own.max(op_depth.get(&operation(node)).copied().unwrap_or(0));
        op_depth.insert(operation(node), depth);
        node_depth.insert(node, depth);
        for parent in parents(node) {
            let d = node_depth.entry(parent).or_insert(0);
            *d = (*d).max(depth + 1);
        }
    }
    // Inputs that feed no output are listed too, first among depth 0.
    for i in 0..model.inputs.len() {
        let op = Operation::Input(InputId(i as u32));
        if let std::collections::hash_map::Entry::Vacant(entry) = op_depth.entry(op) {
            entry.insert(0);
            index.insert(op, -1);
        }
    }
    let mut order: Vec<Operation> = op_depth.keys().copied().collect();
    order.sort_by_key(|op| (std::cmp::Reverse(op_depth[op]), index[op]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front;

    fn order(source: &str) -> Vec<Operation> {
        keras_order(&front::parse(source).expect("parses"))
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
}
