//! Field-by-field differences between an ONNX model read from a file and the
//! model rnnc emits, each as one sentence naming the place ("node
//! `lstm/LSTM` attribute `clip` is 3, rnnc emits none").
//!
//! Nodes and initializers are matched by name (rnnc names every one, uniquely),
//! attributes by name, graph inputs and outputs by position; subgraph bodies
//! are compared the same way, recursively. Wherever the named comparisons
//! find nothing but the messages still differ, a sentence says so, so that no
//! difference can go unreported.

use std::collections::HashMap;
use std::fmt::Debug;

use crate::back::onnx::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, type_proto, AttributeProto, GraphProto,
    ModelProto, NodeProto, OperatorSetIdProto, TensorProto, ValueInfoProto,
};

/// Longest rendering of a value (a metadata string, a list) in a sentence.
const MAX_SHOWN_CHARS: usize = 80;
/// Elements of a tensor shown in a sentence.
const MAX_SHOWN_ELEMENTS: usize = 8;

/// Every difference between `found` (the file) and `expected` (rnnc's output).
pub fn model(found: &ModelProto, expected: &ModelProto) -> Vec<String> {
    let mut out = Vec::new();
    let fields: [(&str, String, String); 6] = [
        (
            "ir_version",
            num(&found.ir_version),
            num(&expected.ir_version),
        ),
        (
            "producer_name",
            text(&found.producer_name),
            text(&expected.producer_name),
        ),
        (
            "producer_version",
            text(&found.producer_version),
            text(&expected.producer_version),
        ),
        ("domain", text(&found.domain), text(&expected.domain)),
        (
            "model_version",
            num(&found.model_version),
            num(&expected.model_version),
        ),
        (
            "doc_string",
            text(&found.doc_string),
            text(&expected.doc_string),
        ),
    ];
    for (field, f, e) in fields {
        if f != e {
            out.push(format!("the model's `{field}` is {f}, rnnc emits {e}"));
        }
    }
    if found.opset_import != expected.opset_import {
        out.push(format!(
            "the model imports opsets {}, rnnc imports {}",
            shown(&found.opset_import, opset),
            shown(&expected.opset_import, opset)
        ));
    }
    metadata(&mut out, found, expected);
    if found.functions != expected.functions {
        out.push(format!(
            "the model defines {} local functions, rnnc defines {}",
            found.functions.len(),
            expected.functions.len()
        ));
    }
    match (&found.graph, &expected.graph) {
        (Some(f), Some(e)) => graph(&mut out, &Place::Main, f, e),
        (f, e) if f != e => out.push("the model has no graph".to_string()),
        _ => {}
    }
    if out.is_empty() && found != expected {
        out.push("the model differs from rnnc's in a field verify cannot name".to_string());
    }
    out
}

/// Where a graph sits: the main graph or a node's graph attribute.
enum Place {
    Main,
    Body { node: String, attribute: String },
}

impl Place {
    /// A prefix for things inside this graph ("" for the main graph).
    fn prefix(&self) -> String {
        match self {
            Place::Main => String::new(),
            Place::Body { node, attribute } => {
                format!("in the `{attribute}` body of node `{node}`, ")
            }
        }
    }

    /// This graph, as the subject of a sentence.
    fn subject(&self) -> String {
        match self {
            Place::Main => "the graph".to_string(),
            Place::Body { node, attribute } => format!("the `{attribute}` body of node `{node}`"),
        }
    }
}

fn metadata(out: &mut Vec<String>, found: &ModelProto, expected: &ModelProto) {
    let before = out.len();
    let lookup = |model: &ModelProto, key: &Option<String>| {
        model
            .metadata_props
            .iter()
            .find(|p| &p.key == key)
            .map(|p| text(&p.value))
    };
    for entry in &expected.metadata_props {
        let key = text(&entry.key);
        match lookup(found, &entry.key) {
            None => out.push(format!(
                "metadata {key} is missing (rnnc writes {})",
                text(&entry.value)
            )),
            Some(value) if value != text(&entry.value) => out.push(format!(
                "metadata {key} is {value}, rnnc writes {}",
                text(&entry.value)
            )),
            Some(_) => {}
        }
    }
    for entry in &found.metadata_props {
        if lookup(expected, &entry.key).is_none() {
            out.push(format!(
                "metadata {} is not an entry rnnc writes",
                text(&entry.key)
            ));
        }
    }
    if out.len() == before && found.metadata_props != expected.metadata_props {
        out.push(
            "the metadata entries are repeated or in another order than rnnc writes them"
                .to_string(),
        );
    }
}

fn graph(out: &mut Vec<String>, place: &Place, found: &GraphProto, expected: &GraphProto) {
    let before = out.len();
    let subject = place.subject();
    for (field, f, e) in [
        ("name", &found.name, &expected.name),
        ("doc_string", &found.doc_string, &expected.doc_string),
    ] {
        if f != e {
            out.push(format!(
                "{subject}'s `{field}` is {}, rnnc emits {}",
                text(f),
                text(e)
            ));
        }
    }
    for (what, f, e) in [
        ("inputs", &found.input, &expected.input),
        ("outputs", &found.output, &expected.output),
        (
            "value_info entries",
            &found.value_info,
            &expected.value_info,
        ),
    ] {
        if f != e {
            out.push(format!(
                "{subject}'s {what} are {}, rnnc emits {}",
                shown_exact(f, e, value_info),
                shown_exact(e, f, value_info)
            ));
        }
    }
    initializers(out, place, &found.initializer, &expected.initializer);
    if found.sparse_initializer != expected.sparse_initializer {
        out.push(format!(
            "{subject} holds {} sparse initializers, rnnc emits {}",
            found.sparse_initializer.len(),
            expected.sparse_initializer.len()
        ));
    }
    nodes(out, place, &found.node, &expected.node);
    if out.len() == before && found != expected {
        out.push(format!(
            "{subject} differs from rnnc's in a field verify cannot name"
        ));
    }
}

fn initializers(
    out: &mut Vec<String>,
    place: &Place,
    found: &[TensorProto],
    expected: &[TensorProto],
) {
    let before = out.len();
    let prefix = place.prefix();
    let keys_found = keys(found, |t| t.name.as_deref());
    let keys_expected = keys(expected, |t| t.name.as_deref());
    let by_key: HashMap<&str, &TensorProto> = keys_expected
        .iter()
        .map(String::as_str)
        .zip(expected)
        .collect();
    for (key, f) in keys_found.iter().zip(found) {
        match by_key.get(key.as_str()) {
            Some(e) => tensor(out, &format!("{prefix}initializer `{key}`"), f, e),
            None => out.push(format!(
                "{prefix}initializer `{key}` {} is not one rnnc emits",
                tensor_type(f)
            )),
        }
    }
    for (key, e) in keys_expected.iter().zip(expected) {
        if !keys_found.contains(key) {
            out.push(format!(
                "{prefix}initializer `{key}` {} is missing",
                tensor_type(e)
            ));
        }
    }
    if out.len() == before && found != expected {
        out.push(format!(
            "{prefix}the initializers are in another order than rnnc emits them"
        ));
    }
}

/// Compares two tensors named `what`: type, shape, then every element
/// bit for bit.
fn tensor(out: &mut Vec<String>, what: &str, found: &TensorProto, expected: &TensorProto) {
    if found == expected {
        return;
    }
    if found.data_type != expected.data_type || found.dims != expected.dims {
        out.push(format!(
            "{what} is {}, rnnc emits {}",
            tensor_type(found),
            tensor_type(expected)
        ));
        return;
    }
    match (elements(found), elements(expected)) {
        (Some(f), Some(e)) if f.len() == e.len() => {
            let differing: Vec<usize> = (0..f.len()).filter(|&i| f[i] != e[i]).collect();
            if let Some(&first) = differing.first() {
                out.push(format!(
                    "{what} differs from rnnc's at {} of {} elements; \
                     first at {:?}: the file holds {}, rnnc emits {}",
                    differing.len(),
                    f.len(),
                    unravel(first, &found.dims),
                    f[first].show(),
                    e[first].show()
                ));
                return;
            }
        }
        (f, _) => {
            out.push(format!(
                "{what} holds {}, rnnc emits {} elements",
                f.map_or("unreadable data".to_string(), |v| format!(
                    "{} elements",
                    v.len()
                )),
                expected_len(expected)
            ));
            return;
        }
    }
    out.push(format!(
        "{what} holds rnnc's values but stores them unlike rnnc (another data field, \
         a doc string or external-data entries)"
    ));
}

fn expected_len(t: &TensorProto) -> usize {
    elements(t).map_or(0, |v| v.len())
}

fn nodes(out: &mut Vec<String>, place: &Place, found: &[NodeProto], expected: &[NodeProto]) {
    let before = out.len();
    let prefix = place.prefix();
    let keys_found = keys(found, |n| n.name.as_deref());
    let keys_expected = keys(expected, |n| n.name.as_deref());
    let by_key: HashMap<&str, &NodeProto> = keys_expected
        .iter()
        .map(String::as_str)
        .zip(expected)
        .collect();
    for (key, f) in keys_found.iter().zip(found) {
        match by_key.get(key.as_str()) {
            Some(e) => node(out, &format!("{prefix}node `{key}`"), key, f, e),
            None => out.push(format!(
                "{prefix}node `{key}` ({}) is not one rnnc emits",
                text(&f.op_type)
            )),
        }
    }
    for (key, e) in keys_expected.iter().zip(expected) {
        if !keys_found.contains(key) {
            out.push(format!(
                "{prefix}node `{key}` ({}) is missing",
                text(&e.op_type)
            ));
        }
    }
    if out.len() == before && found != expected {
        out.push(format!(
            "{prefix}the nodes are in another order than rnnc emits them"
        ));
    }
}

/// Compares two nodes; `what` names the node in sentences, `key` in the
/// places of its bodies.
fn node(out: &mut Vec<String>, what: &str, key: &str, found: &NodeProto, expected: &NodeProto) {
    if found == expected {
        return;
    }
    let before = out.len();
    for (field, f, e) in [
        ("op_type", &found.op_type, &expected.op_type),
        ("domain", &found.domain, &expected.domain),
        ("doc_string", &found.doc_string, &expected.doc_string),
    ] {
        if f != e {
            out.push(format!(
                "{what}'s `{field}` is {}, rnnc emits {}",
                text(f),
                text(e)
            ));
        }
    }
    for (field, f, e) in [
        ("inputs", &found.input, &expected.input),
        ("outputs", &found.output, &expected.output),
    ] {
        if f != e {
            out.push(format!(
                "{what}'s {field} are {}, rnnc emits {}",
                shown(f, |s| format!("`{}`", s.escape_debug())),
                shown(e, |s| format!("`{}`", s.escape_debug()))
            ));
        }
    }
    let keys_found = keys(&found.attribute, |a| a.name.as_deref());
    let keys_expected = keys(&expected.attribute, |a| a.name.as_deref());
    for (name, f) in keys_found.iter().zip(&found.attribute) {
        match keys_expected.iter().position(|k| k == name) {
            Some(i) => attribute(out, what, key, name, f, &expected.attribute[i]),
            None => out.push(format!(
                "{what} attribute `{name}` is {}, rnnc emits none (the operator's default)",
                attribute_value(f)
            )),
        }
    }
    for (name, e) in keys_expected.iter().zip(&expected.attribute) {
        if !keys_found.contains(name) {
            out.push(format!(
                "{what} has no attribute `{name}`, rnnc emits {}",
                attribute_value(e)
            ));
        }
    }
    if out.len() == before {
        out.push(format!(
            "{what} differs from rnnc's in a field verify cannot name (attribute order or types)"
        ));
    }
}

fn attribute(
    out: &mut Vec<String>,
    what: &str,
    node_key: &str,
    name: &str,
    found: &AttributeProto,
    expected: &AttributeProto,
) {
    if found == expected {
        return;
    }
    if let (Some(f), Some(e)) = (&found.g, &expected.g) {
        if found.r#type == expected.r#type && f != e {
            let place = Place::Body {
                node: node_key.to_string(),
                attribute: name.to_string(),
            };
            graph(out, &place, f, e);
            return;
        }
    }
    out.push(format!(
        "{what} attribute `{name}` is {}, rnnc emits {}",
        exact(attribute_value(found), attribute_value(expected), found),
        exact(attribute_value(expected), attribute_value(found), expected)
    ));
}

/// Names for `items` in sentences: their own name, or `#index` when they
/// have none or share it with an earlier one.
fn keys<T>(items: &[T], name: impl Fn(&T) -> Option<&str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match name(item) {
            Some(n) if !n.is_empty() && seen.insert(n.to_string()) => n.escape_debug().to_string(),
            _ => format!("#{i}"),
        })
        .collect()
}

/// `value`, unless it renders like `other` although the messages differ:
/// then the full message, so that the difference shows.
fn exact<T: Debug>(value: String, other: String, message: &T) -> String {
    if value == other {
        clip(format!("{message:?}"))
    } else {
        value
    }
}

fn shown_exact<T: Debug>(items: &[T], others: &[T], render: impl Fn(&T) -> String) -> String {
    let a = shown(items, &render);
    if a == shown(others, &render) {
        clip(format!("{items:?}"))
    } else {
        a
    }
}

/// A list in sentences: `[a, b]`.
fn shown<T>(items: &[T], render: impl Fn(&T) -> String) -> String {
    clip(format!(
        "[{}]",
        items.iter().map(render).collect::<Vec<_>>().join(", ")
    ))
}

/// Cuts a long rendering to [`MAX_SHOWN_CHARS`].
fn clip(s: String) -> String {
    match s.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

/// An optional string field: quoted and escaped, or `none`.
fn text<S: AsRef<str>>(value: &Option<S>) -> String {
    value.as_ref().map_or("none".to_string(), |v| {
        clip(format!("`{}`", v.as_ref().escape_debug()))
    })
}

fn num<T: std::fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map_or("none".to_string(), T::to_string)
}

fn opset(o: &OperatorSetIdProto) -> String {
    let domain = match o.domain.as_deref() {
        None | Some("") => "ai.onnx",
        Some(d) => d,
    };
    format!("{} {}", domain.escape_debug(), num(&o.version))
}

fn value_info(v: &ValueInfoProto) -> String {
    let ty = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(t)) => {
            let dims = t.shape.as_ref().map_or("?".to_string(), |s| {
                shown(&s.dim, |d| match &d.value {
                    Some(
                        crate::back::onnx::proto::tensor_shape_proto::dimension::Value::DimValue(n),
                    ) => n.to_string(),
                    Some(
                        crate::back::onnx::proto::tensor_shape_proto::dimension::Value::DimParam(p),
                    ) => p.escape_debug().to_string(),
                    None => "?".to_string(),
                })
            });
            format!("{} {dims}", elem_name(t.elem_type))
        }
        _ => "(not a tensor)".to_string(),
    };
    format!("`{}` {ty}", v.name.as_deref().unwrap_or("").escape_debug())
}

fn elem_name(elem: Option<i32>) -> String {
    match elem.map(DataType::try_from) {
        Some(Ok(t)) => t.as_str_name().to_lowercase(),
        Some(Err(_)) => format!("type {}", elem.unwrap_or_default()),
        None => "untyped".to_string(),
    }
}

fn tensor_type(t: &TensorProto) -> String {
    format!("{} {:?}", elem_name(t.data_type), t.dims)
}

fn attribute_value(a: &AttributeProto) -> String {
    let strings = |v: &[Vec<u8>]| shown(v, |s| format!("{:?}", String::from_utf8_lossy(s)));
    match a.r#type.map(AttributeType::try_from) {
        Some(Ok(AttributeType::Float)) => num(&a.f),
        Some(Ok(AttributeType::Int)) => num(&a.i),
        Some(Ok(AttributeType::String)) => a.s.as_ref().map_or("none".to_string(), |s| {
            format!("{:?}", String::from_utf8_lossy(s))
        }),
        Some(Ok(AttributeType::Floats)) => shown(&a.floats, f32::to_string),
        Some(Ok(AttributeType::Ints)) => shown(&a.ints, i64::to_string),
        Some(Ok(AttributeType::Strings)) => strings(&a.strings),
        Some(Ok(AttributeType::Tensor)) => a.t.as_ref().map_or("none".to_string(), |t| {
            let values = elements(t).map_or("unreadable".to_string(), |v| {
                shown(&v[..v.len().min(MAX_SHOWN_ELEMENTS)], Element::show)
            });
            format!("a tensor {} {values}", tensor_type(t))
        }),
        Some(Ok(AttributeType::Graph)) => a.g.as_ref().map_or("none".to_string(), |g| {
            format!("a graph of {} nodes", g.node.len())
        }),
        _ => clip(format!("{a:?}")),
    }
}

/// One tensor element, as the bytes that hold it and its value for people.
#[derive(Clone, Copy, PartialEq)]
enum Element {
    F32(u32),
    F64(u64),
    Int(i64),
}

impl Element {
    fn show(&self) -> String {
        match self {
            Element::F32(bits) => format!("{:e}", f32::from_bits(*bits)),
            Element::F64(bits) => format!("{:e}", f64::from_bits(*bits)),
            Element::Int(v) => v.to_string(),
        }
    }
}

/// A tensor's elements, from `raw_data` (little-endian) or its typed field;
/// `None` for a type rnnc never emits or data that does not fit the type.
fn elements(t: &TensorProto) -> Option<Vec<Element>> {
    let raw = t.raw_data.as_deref();
    let chunks = |size: usize| -> Option<Vec<&[u8]>> {
        let raw = raw?;
        (raw.len() % size == 0).then(|| raw.chunks_exact(size).collect())
    };
    let word = |c: &[u8]| u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    let long = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    match DataType::try_from(t.data_type?).ok()? {
        DataType::Float if raw.is_some() => Some(
            chunks(4)?
                .into_iter()
                .map(|c| Element::F32(word(c)))
                .collect(),
        ),
        DataType::Float => Some(
            t.float_data
                .iter()
                .map(|v| Element::F32(v.to_bits()))
                .collect(),
        ),
        DataType::Double if raw.is_some() => Some(
            chunks(8)?
                .into_iter()
                .map(|c| Element::F64(long(c)))
                .collect(),
        ),
        DataType::Double => Some(
            t.double_data
                .iter()
                .map(|v| Element::F64(v.to_bits()))
                .collect(),
        ),
        DataType::Int64 if raw.is_some() => Some(
            chunks(8)?
                .into_iter()
                .map(|c| Element::Int(long(c) as i64))
                .collect(),
        ),
        DataType::Int64 => Some(t.int64_data.iter().map(|&v| Element::Int(v)).collect()),
        DataType::Int32 if raw.is_some() => Some(
            chunks(4)?
                .into_iter()
                .map(|c| Element::Int(i64::from(word(c) as i32)))
                .collect(),
        ),
        DataType::Int32 => Some(
            t.int32_data
                .iter()
                .map(|&v| Element::Int(i64::from(v)))
                .collect(),
        ),
        _ => None,
    }
}

/// The multi-index of flat index `i` in a row-major array of shape `dims`.
fn unravel(mut i: usize, dims: &[i64]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for (slot, &d) in index.iter_mut().zip(dims).rev() {
        let d = d.max(1) as usize;
        *slot = i % d;
        i /= d;
    }
    index
}
