//! Structural checks on emitted ONNX files.

use std::collections::HashSet;
use std::path::Path;

use prost::Message;
use rnnc::back::onnx::proto::{GraphProto, ModelProto};

/// Initializers of the file at `path` that no node (in any graph, Scan
/// bodies included) reads: dead weight in a file users ship.
pub fn unused_initializers(path: &Path) -> Vec<String> {
    let model = ModelProto::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
    let mut defined = Vec::new();
    let mut used = HashSet::new();
    fn walk(g: &GraphProto, defined: &mut Vec<String>, used: &mut HashSet<String>) {
        defined.extend(g.initializer.iter().filter_map(|t| t.name.clone()));
        for node in &g.node {
            used.extend(node.input.iter().cloned());
            for attr in &node.attribute {
                attr.g
                    .iter()
                    .chain(&attr.graphs)
                    .for_each(|sub| walk(sub, defined, used));
            }
        }
        used.extend(g.output.iter().filter_map(|o| o.name.clone()));
    }
    walk(model.graph.as_ref().unwrap(), &mut defined, &mut used);
    defined.retain(|name| !used.contains(name));
    defined
}
