//! Editing the protobuf of an ONNX file: nodes, attributes and Scan bodies,
//! to show that verification catches an edit of the file.

use std::path::Path;

use prost::Message;
use rnnc::back::onnx::proto::{
    attribute_proto::AttributeType, AttributeProto, GraphProto, ModelProto, NodeProto,
};

/// Writes `out`: the model at `model` after `change`.
pub fn edit(model: &Path, out: &Path, change: impl FnOnce(&mut ModelProto)) {
    let bytes = std::fs::read(model).unwrap();
    let mut proto = ModelProto::decode(bytes.as_slice()).unwrap();
    change(&mut proto);
    std::fs::write(out, proto.encode_to_vec()).unwrap();
}

/// The main graph.
pub fn graph(model: &mut ModelProto) -> &mut GraphProto {
    model.graph.as_mut().unwrap()
}

/// The first node of `graph` whose op type is `op`.
pub fn node<'a>(graph: &'a mut GraphProto, op: &str) -> &'a mut NodeProto {
    graph
        .node
        .iter_mut()
        .find(|n| n.op_type.as_deref() == Some(op))
        .unwrap_or_else(|| panic!("no {op} node"))
}

/// The body of the first Scan node of the main graph.
pub fn scan_body(model: &mut ModelProto) -> &mut GraphProto {
    node(graph(model), "Scan")
        .attribute
        .iter_mut()
        .find_map(|a| a.g.as_mut())
        .unwrap()
}

/// A STRINGS attribute.
pub fn strings(name: &str, values: &[&str]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Strings as i32),
        strings: values.iter().map(|v| v.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

/// A FLOAT attribute.
pub fn float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(value),
        ..Default::default()
    }
}

/// An INT attribute.
pub fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..Default::default()
    }
}

/// Sets the STRING attribute `name` of `node` to `value`.
pub fn set_string(node: &mut NodeProto, name: &str, value: &str) {
    let attribute = node
        .attribute
        .iter_mut()
        .find(|a| a.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no attribute {name}"));
    attribute.s = Some(value.as_bytes().to_vec());
}
