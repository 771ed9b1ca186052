//! A decoded `ModelProto` becomes a [`Description`]: the one view of a file
//! that both printers ([`super::text`] and [`super::json`]) render, so the
//! text and the JSON cannot disagree about what a file holds.
//!
//! Nothing here assumes the file was written by rnnc: every field that
//! PyTorch, tf2onnx or the `onnx` helper API may leave out is optional, and
//! tensors may keep their data in `raw_data`, a typed field or an external
//! file.

use std::collections::BTreeMap;

use crate::back::onnx::proto::{
    attribute_proto::AttributeType, tensor_proto::DataLocation, tensor_proto::DataType,
    tensor_shape_proto::dimension, type_proto, AttributeProto, FunctionProto, GraphProto,
    ModelProto, NodeProto, SparseTensorProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};

/// Tensors with at most this many elements show their values (a scalar
/// `Constant`, an `axes` list); larger ones only their type and shape.
pub const MAX_PREVIEW_ELEMENTS: u64 = 8;

/// Everything `rnnc inspect` reports about one model.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    /// `ir_version` (required: a file without it is refused).
    pub ir_version: i64,
    /// Imported operator sets, `(domain, version)`; `""` is ai.onnx.
    pub opset_import: Vec<(String, i64)>,
    /// The exporter (`rnnc`, `pytorch`, `tf2onnx`).
    pub producer_name: Option<String>,
    /// The exporter's version.
    pub producer_version: Option<String>,
    /// The model's own domain (reverse-DNS), rarely set.
    pub domain: Option<String>,
    /// The model's own version number, rarely set.
    pub model_version: Option<i64>,
    /// The model's documentation, when not empty.
    pub doc_string: Option<String>,
    /// The main graph.
    pub graph: Graph,
    /// `metadata_props`, in file order.
    pub metadata: Vec<(String, String)>,
    /// Model-local functions.
    pub functions: Vec<Function>,
    /// Counts over the main graph and every subgraph.
    pub totals: Totals,
}

/// A graph: the main one or a Scan/Loop/If body.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The graph's name, when not empty.
    pub name: Option<String>,
    /// The graph's documentation, when not empty.
    pub doc_string: Option<String>,
    /// Declared inputs, in order (may include initializers in old files).
    pub inputs: Vec<Value>,
    /// Declared outputs, in order.
    pub outputs: Vec<Value>,
    /// Nodes in file order (topological, per the spec).
    pub nodes: Vec<Node>,
    /// Dense initializers.
    pub initializers: Vec<Tensor>,
    /// Sparse initializers.
    pub sparse_initializers: Vec<SparseTensor>,
}

/// A declared graph input or output.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The value's name.
    pub name: String,
    /// `None` when the file gives no type (allowed inside subgraphs).
    pub ty: Option<Type>,
}

/// The type of a value.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// A tensor; `shape` is `None` when even the rank is unknown.
    Tensor {
        elem: String,
        shape: Option<Vec<Dim>>,
    },
    /// A sparse tensor, shaped like a tensor.
    SparseTensor {
        elem: String,
        shape: Option<Vec<Dim>>,
    },
    /// A sequence of values of the element type (when given).
    Sequence(Option<Box<Type>>),
    /// A map from an element type to a value type.
    Map {
        key: String,
        value: Option<Box<Type>>,
    },
    /// A value of the element type, or none.
    Optional(Option<Box<Type>>),
    /// A type this schema does not know (a newer or ONNX-ML-only kind).
    Unknown,
}

/// One dimension of a shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dim {
    /// A number.
    Fixed(i64),
    /// A named symbolic dimension (`batch`, `time`).
    Symbol(String),
    /// Neither a value nor a name: printed `?`.
    Unknown,
}

/// A node.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The operator (`LSTM`, `Scan`, a custom op's name).
    pub op_type: String,
    /// The operator set domain, only when it is not ai.onnx.
    pub domain: Option<String>,
    /// The node's name, when not empty.
    pub name: Option<String>,
    /// Input names; `""` is an omitted optional input.
    pub inputs: Vec<String>,
    /// Output names; `""` is an unused optional output.
    pub outputs: Vec<String>,
    /// Attributes in file order.
    pub attributes: Vec<Attribute>,
}

/// A node attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its value.
    pub value: AttributeValue,
}

/// An attribute's value, by its declared (or, in IR 1 files, inferred) type;
/// the variants are ONNX's `AttributeType`s.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    Float(f32),
    Int(i64),
    String(String),
    Tensor(Tensor),
    Graph(Box<Graph>),
    SparseTensor(SparseTensor),
    Type(Option<Type>),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
    Strings(Vec<String>),
    Tensors(Vec<Tensor>),
    Graphs(Vec<Graph>),
    SparseTensors(Vec<SparseTensor>),
    Types(Vec<Option<Type>>),
    /// Inside a function: the value of the caller's attribute of this name.
    Reference(String),
    /// No value field set (or an attribute type this schema does not know).
    Undefined,
}

/// A dense tensor (initializer or attribute value), without its data.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// The tensor's name (initializers have one; attribute values may not).
    pub name: Option<String>,
    /// Element type, as [`elem_name`] spells it.
    pub elem: String,
    /// The shape; empty for a scalar.
    pub dims: Vec<i64>,
    /// Number of elements; `None` for a negative or overflowing shape.
    pub elements: Option<u64>,
    /// Bytes of data: `raw_data`'s length, the external `length`, else the
    /// element count times the element size (string lengths for strings).
    pub bytes: Option<u64>,
    /// Where the data is.
    pub storage: Storage,
    /// The values, when there are at most [`MAX_PREVIEW_ELEMENTS`] and they
    /// are stored in the file in a type we decode.
    pub preview: Option<Vec<Scalar>>,
}

/// Where a tensor's data is stored.
#[derive(Clone, Debug, PartialEq)]
pub enum Storage {
    /// Little-endian bytes in `raw_data`.
    Raw,
    /// One of the typed fields (`float_data`, `int64_data`, …).
    Typed,
    /// `data_location=EXTERNAL`: the `external_data` entries, `location`
    /// first when present.
    External(Vec<(String, String)>),
    /// No data at all (an empty tensor, or a file stripped of its weights).
    Empty,
}

/// One element of a previewed tensor, in the width it is stored in.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    F32(f32),
    F64(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Str(String),
}

/// A sparse tensor: its dense shape and the tensors of its values and indices.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseTensor {
    /// The dense shape.
    pub dims: Vec<i64>,
    /// The stored values, `[NNZ]`.
    pub values: Option<Tensor>,
    /// Their indices, `[NNZ]` or `[NNZ, rank]`.
    pub indices: Option<Tensor>,
}

/// A model-local function.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// The domain nodes call it by.
    pub domain: String,
    /// The op type nodes call it by.
    pub name: String,
    /// The overload, when several functions share domain and name.
    pub overload: Option<String>,
    /// Formal input names.
    pub inputs: Vec<String>,
    /// Formal output names.
    pub outputs: Vec<String>,
    /// Names of the attributes the function takes.
    pub attributes: Vec<String>,
    /// The body.
    pub nodes: Vec<Node>,
}

/// Counts over the main graph and every subgraph (not functions, whose
/// nodes run only where called).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    /// Nodes of the main graph.
    pub nodes: usize,
    /// Nodes inside subgraphs (Scan/Loop/If bodies), at any depth.
    pub subgraph_nodes: usize,
    /// Node count per op type (`domain:op` outside ai.onnx), over all graphs.
    pub op_types: BTreeMap<String, usize>,
    /// Initializers (dense and sparse) over all graphs.
    pub initializers: usize,
    /// Elements of those initializers.
    pub parameters: u64,
    /// Bytes of those initializers (see [`Tensor::bytes`]).
    pub weight_bytes: u64,
    /// For a file rnnc compiled, the parameter count Keras gives the
    /// recorded spec (what `rnnc compile` and `summary` print). It differs
    /// from [`parameters`](Self::parameters) where the ONNX form adds shape
    /// constants or splits a recurrent bias in two.
    pub keras_parameters: Option<u64>,
}

/// Describes a decoded model; `None` when it has no graph or no
/// `ir_version` (then it is not an ONNX model, whatever decoded).
pub fn describe(model: &ModelProto) -> Option<Description> {
    let ir_version = model.ir_version?;
    let graph = graph(model.graph.as_ref()?);
    let mut totals = Totals {
        nodes: graph.nodes.len(),
        subgraph_nodes: 0,
        op_types: BTreeMap::new(),
        initializers: 0,
        parameters: 0,
        weight_bytes: 0,
        keras_parameters: keras_parameters(model),
    };
    count(&graph, &mut totals);
    totals.subgraph_nodes = totals.op_types.values().sum::<usize>() - totals.nodes;
    Some(Description {
        ir_version,
        opset_import: model
            .opset_import
            .iter()
            .map(|o| (o.domain.clone().unwrap_or_default(), o.version.unwrap_or(0)))
            .collect(),
        producer_name: model.producer_name.clone(),
        producer_version: model.producer_version.clone(),
        domain: non_empty(&model.domain),
        model_version: model.model_version,
        doc_string: non_empty(&model.doc_string),
        graph,
        metadata: model
            .metadata_props
            .iter()
            .map(|p| {
                (
                    p.key.clone().unwrap_or_default(),
                    p.value.clone().unwrap_or_default(),
                )
            })
            .collect(),
        functions: model.functions.iter().map(function).collect(),
        totals,
    })
}

/// The Keras parameter count of the spec an rnnc file records, when it
/// has one that still checks.
fn keras_parameters(model: &ModelProto) -> Option<u64> {
    let recorded = crate::metadata::Recorded::from_model(model)?;
    let spec = crate::spec::Spec::from_source(recorded.spec, &recorded.spec_file).ok()?;
    Some(spec.info.total_params)
}

/// The name a user knows an op by: `op` in ai.onnx, else `domain:op`.
pub fn qualified_op(node: &Node) -> String {
    match &node.domain {
        Some(domain) => format!("{domain}:{}", node.op_type),
        None => node.op_type.clone(),
    }
}

fn count(graph: &Graph, totals: &mut Totals) {
    for tensor in &graph.initializers {
        add_tensor(tensor, totals);
    }
    for sparse in &graph.sparse_initializers {
        totals.initializers += 1;
        // A sparse initializer's parameters are its stored values; its
        // bytes are those of its values and indices.
        if let Some(values) = &sparse.values {
            totals.parameters += values.elements.unwrap_or(0);
            totals.weight_bytes += values.bytes.unwrap_or(0);
        }
        if let Some(indices) = &sparse.indices {
            totals.weight_bytes += indices.bytes.unwrap_or(0);
        }
    }
    for node in &graph.nodes {
        *totals.op_types.entry(qualified_op(node)).or_insert(0) += 1;
        for attribute in &node.attributes {
            match &attribute.value {
                AttributeValue::Graph(g) => count(g, totals),
                AttributeValue::Graphs(gs) => gs.iter().for_each(|g| count(g, totals)),
                _ => {}
            }
        }
    }
}

fn add_tensor(tensor: &Tensor, totals: &mut Totals) {
    totals.initializers += 1;
    // Saturating: a file may declare dims whose products overflow together.
    totals.parameters = totals
        .parameters
        .saturating_add(tensor.elements.unwrap_or(0));
    totals.weight_bytes = totals
        .weight_bytes
        .saturating_add(tensor.bytes.unwrap_or(0));
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

fn graph(g: &GraphProto) -> Graph {
    Graph {
        name: non_empty(&g.name),
        doc_string: non_empty(&g.doc_string),
        inputs: g.input.iter().map(value).collect(),
        outputs: g.output.iter().map(value).collect(),
        nodes: g.node.iter().map(node).collect(),
        initializers: g.initializer.iter().map(tensor).collect(),
        sparse_initializers: g.sparse_initializer.iter().map(sparse).collect(),
    }
}

fn function(f: &FunctionProto) -> Function {
    Function {
        domain: f.domain.clone().unwrap_or_default(),
        name: f.name.clone().unwrap_or_default(),
        overload: non_empty(&f.overload),
        inputs: f.input.clone(),
        outputs: f.output.clone(),
        attributes: f
            .attribute
            .iter()
            .cloned()
            .chain(f.attribute_proto.iter().filter_map(|a| a.name.clone()))
            .collect(),
        nodes: f.node.iter().map(node).collect(),
    }
}

fn value(v: &ValueInfoProto) -> Value {
    Value {
        name: v.name.clone().unwrap_or_default(),
        ty: v.r#type.as_ref().map(ty),
    }
}

fn ty(t: &TypeProto) -> Type {
    let boxed = |t: &Option<Box<TypeProto>>| t.as_deref().map(|t| Box::new(ty(t)));
    match &t.value {
        Some(type_proto::Value::TensorType(t)) => Type::Tensor {
            elem: elem_name(t.elem_type.unwrap_or(0)),
            shape: t.shape.as_ref().map(shape),
        },
        Some(type_proto::Value::SparseTensorType(t)) => Type::SparseTensor {
            elem: elem_name(t.elem_type.unwrap_or(0)),
            shape: t.shape.as_ref().map(shape),
        },
        Some(type_proto::Value::SequenceType(s)) => Type::Sequence(boxed(&s.elem_type)),
        Some(type_proto::Value::MapType(m)) => Type::Map {
            key: elem_name(m.key_type.unwrap_or(0)),
            value: boxed(&m.value_type),
        },
        Some(type_proto::Value::OptionalType(o)) => Type::Optional(boxed(&o.elem_type)),
        None => Type::Unknown,
    }
}

fn shape(s: &TensorShapeProto) -> Vec<Dim> {
    s.dim
        .iter()
        .map(|d| match &d.value {
            Some(dimension::Value::DimValue(n)) => Dim::Fixed(*n),
            Some(dimension::Value::DimParam(p)) if !p.is_empty() => Dim::Symbol(p.clone()),
            _ => Dim::Unknown,
        })
        .collect()
}

fn node(n: &NodeProto) -> Node {
    Node {
        op_type: n.op_type.clone().unwrap_or_default(),
        domain: n.domain.clone().filter(|d| !d.is_empty() && d != "ai.onnx"),
        name: non_empty(&n.name),
        inputs: n.input.clone(),
        outputs: n.output.clone(),
        attributes: n.attribute.iter().map(attribute).collect(),
    }
}

fn attribute(a: &AttributeProto) -> Attribute {
    Attribute {
        name: a.name.clone().unwrap_or_default(),
        value: attribute_value(a),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn attribute_value(a: &AttributeProto) -> AttributeValue {
    use AttributeValue as V;
    if let Some(reference) = a.ref_attr_name.as_ref().filter(|r| !r.is_empty()) {
        return V::Reference(reference.clone());
    }
    let kind = match a.r#type.and_then(|t| AttributeType::try_from(t).ok()) {
        Some(kind) if kind != AttributeType::Undefined => kind,
        _ => inferred_type(a),
    };
    match kind {
        AttributeType::Float => a.f.map_or(V::Undefined, V::Float),
        AttributeType::Int => a.i.map_or(V::Undefined, V::Int),
        AttributeType::String => a.s.as_deref().map_or(V::Undefined, |s| V::String(text(s))),
        AttributeType::Tensor => a.t.as_ref().map_or(V::Undefined, |t| V::Tensor(tensor(t))),
        AttributeType::Graph => {
            a.g.as_ref()
                .map_or(V::Undefined, |g| V::Graph(Box::new(graph(g))))
        }
        AttributeType::SparseTensor => a
            .sparse_tensor
            .as_ref()
            .map_or(V::Undefined, |s| V::SparseTensor(sparse(s))),
        AttributeType::TypeProto => V::Type(a.tp.as_ref().map(ty)),
        AttributeType::Floats => V::Floats(a.floats.clone()),
        AttributeType::Ints => V::Ints(a.ints.clone()),
        AttributeType::Strings => V::Strings(a.strings.iter().map(|s| text(s)).collect()),
        AttributeType::Tensors => V::Tensors(a.tensors.iter().map(tensor).collect()),
        AttributeType::Graphs => V::Graphs(a.graphs.iter().map(graph).collect()),
        AttributeType::SparseTensors => {
            V::SparseTensors(a.sparse_tensors.iter().map(sparse).collect())
        }
        AttributeType::TypeProtos => V::Types(a.type_protos.iter().map(|t| Some(ty(t))).collect()),
        AttributeType::Undefined => V::Undefined,
    }
}

/// IR version 1 had no `type` discriminator: the value field in use is the type.
fn inferred_type(a: &AttributeProto) -> AttributeType {
    if a.f.is_some() {
        AttributeType::Float
    } else if a.i.is_some() {
        AttributeType::Int
    } else if a.s.is_some() {
        AttributeType::String
    } else if a.t.is_some() {
        AttributeType::Tensor
    } else if a.g.is_some() {
        AttributeType::Graph
    } else if !a.floats.is_empty() {
        AttributeType::Floats
    } else if !a.ints.is_empty() {
        AttributeType::Ints
    } else if !a.strings.is_empty() {
        AttributeType::Strings
    } else if !a.tensors.is_empty() {
        AttributeType::Tensors
    } else if !a.graphs.is_empty() {
        AttributeType::Graphs
    } else {
        AttributeType::Undefined
    }
}

fn sparse(s: &SparseTensorProto) -> SparseTensor {
    SparseTensor {
        dims: s.dims.clone(),
        values: s.values.as_ref().map(tensor),
        indices: s.indices.as_ref().map(tensor),
    }
}

/// The element type's name as numpy spells it (`float32`, `int64`), so that
/// it reads the same as `rnnc run`'s output.
pub fn elem_name(code: i32) -> String {
    let Ok(kind) = DataType::try_from(code) else {
        return format!("type({code})");
    };
    match kind {
        DataType::Float => "float32",
        DataType::Double => "float64",
        DataType::Complex64 => "complex64",
        DataType::Complex128 => "complex128",
        DataType::Bfloat16 => "bfloat16",
        other => return other.as_str_name().to_ascii_lowercase(),
    }
    .to_string()
}

/// Bits per element; `None` for strings and unknown types.
fn elem_bits(code: i32) -> Option<u64> {
    use DataType as D;
    Some(match DataType::try_from(code).ok()? {
        D::Uint2 | D::Int2 => 2,
        D::Uint4 | D::Int4 | D::Float4e2m1 => 4,
        D::Float6e2m3 | D::Float6e3m2 => 6,
        D::Uint8
        | D::Int8
        | D::Bool
        | D::Float8e4m3fn
        | D::Float8e4m3fnuz
        | D::Float8e5m2
        | D::Float8e5m2fnuz
        | D::Float8e8m0 => 8,
        D::Uint16 | D::Int16 | D::Float16 | D::Bfloat16 => 16,
        D::Float | D::Int32 | D::Uint32 => 32,
        D::Double | D::Int64 | D::Uint64 | D::Complex64 => 64,
        D::Complex128 => 128,
        D::String | D::Undefined => return None,
    })
}

fn tensor(t: &TensorProto) -> Tensor {
    let code = t.data_type.unwrap_or(0);
    let elements = t.dims.iter().try_fold(1u64, |acc, &d| {
        u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    });
    let external = t.data_location == Some(DataLocation::External as i32);
    let storage = if external {
        let mut entries: Vec<(String, String)> = t
            .external_data
            .iter()
            .map(|e| {
                (
                    e.key.clone().unwrap_or_default(),
                    e.value.clone().unwrap_or_default(),
                )
            })
            .collect();
        entries.sort_by_key(|(key, _)| key != "location");
        Storage::External(entries)
    } else if t.raw_data.is_some() {
        Storage::Raw
    } else if typed_len(t) > 0 {
        Storage::Typed
    } else {
        Storage::Empty
    };
    let logical = || {
        if code == DataType::String as i32 {
            Some(t.string_data.iter().map(|s| s.len() as u64).sum())
        } else {
            let bits = elements?.checked_mul(elem_bits(code)?)?;
            Some(bits.div_ceil(8))
        }
    };
    let bytes = match &storage {
        Storage::Raw => t.raw_data.as_ref().map(|r| r.len() as u64),
        Storage::External(entries) => entries
            .iter()
            .find(|(key, _)| key == "length")
            .and_then(|(_, v)| v.parse().ok())
            .or_else(logical),
        Storage::Typed | Storage::Empty => logical(),
    };
    let preview = match (&storage, elements) {
        (Storage::Raw | Storage::Typed, Some(n)) if n <= MAX_PREVIEW_ELEMENTS => {
            values(t, code).filter(|v| v.len() as u64 == n)
        }
        _ => None,
    };
    Tensor {
        name: non_empty(&t.name),
        elem: elem_name(code),
        dims: t.dims.clone(),
        elements,
        bytes,
        storage,
        preview,
    }
}

fn typed_len(t: &TensorProto) -> usize {
    t.float_data.len()
        + t.int32_data.len()
        + t.string_data.len()
        + t.int64_data.len()
        + t.double_data.len()
        + t.uint64_data.len()
}

/// Decodes a small tensor's values from `raw_data` (little-endian, as the
/// ONNX spec requires) or its typed field.
fn values(t: &TensorProto, code: i32) -> Option<Vec<Scalar>> {
    use DataType as D;
    let kind = DataType::try_from(code).ok()?;
    if let Some(raw) = &t.raw_data {
        return Some(match kind {
            D::Float => le_chunks::<4>(raw)
                .map(|b| Scalar::F32(f32::from_le_bytes(b)))
                .collect(),
            D::Double => le_chunks::<8>(raw)
                .map(|b| Scalar::F64(f64::from_le_bytes(b)))
                .collect(),
            D::Int8 => raw
                .iter()
                .map(|&b| Scalar::Int(i64::from(b as i8)))
                .collect(),
            D::Uint8 => raw.iter().map(|&b| Scalar::UInt(u64::from(b))).collect(),
            D::Bool => raw.iter().map(|&b| Scalar::Bool(b != 0)).collect(),
            D::Int16 => le_chunks::<2>(raw)
                .map(|b| Scalar::Int(i64::from(i16::from_le_bytes(b))))
                .collect(),
            D::Uint16 => le_chunks::<2>(raw)
                .map(|b| Scalar::UInt(u64::from(u16::from_le_bytes(b))))
                .collect(),
            D::Int32 => le_chunks::<4>(raw)
                .map(|b| Scalar::Int(i64::from(i32::from_le_bytes(b))))
                .collect(),
            D::Uint32 => le_chunks::<4>(raw)
                .map(|b| Scalar::UInt(u64::from(u32::from_le_bytes(b))))
                .collect(),
            D::Int64 => le_chunks::<8>(raw)
                .map(|b| Scalar::Int(i64::from_le_bytes(b)))
                .collect(),
            D::Uint64 => le_chunks::<8>(raw)
                .map(|b| Scalar::UInt(u64::from_le_bytes(b)))
                .collect(),
            _ => return None,
        });
    }
    Some(match kind {
        D::Float => t.float_data.iter().map(|&v| Scalar::F32(v)).collect(),
        D::Double => t.double_data.iter().map(|&v| Scalar::F64(v)).collect(),
        D::Int8 | D::Int16 | D::Int32 | D::Uint8 | D::Uint16 => t
            .int32_data
            .iter()
            .map(|&v| Scalar::Int(i64::from(v)))
            .collect(),
        D::Bool => t.int32_data.iter().map(|&v| Scalar::Bool(v != 0)).collect(),
        D::Int64 => t.int64_data.iter().map(|&v| Scalar::Int(v)).collect(),
        D::Uint32 | D::Uint64 => t.uint64_data.iter().map(|&v| Scalar::UInt(v)).collect(),
        D::String => t.string_data.iter().map(|s| Scalar::Str(text(s))).collect(),
        _ => return None,
    })
}

/// Fixed-size little-endian chunks; a trailing partial chunk (a corrupt
/// tensor) is dropped, and the length check in [`tensor`] then hides the preview.
fn le_chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    raw.chunks_exact(N).map(|c| {
        let mut bytes = [0u8; N];
        bytes.copy_from_slice(c);
        bytes
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_tensor(dims: &[i64], raw: Option<Vec<u8>>) -> TensorProto {
        TensorProto {
            dims: dims.to_vec(),
            data_type: Some(DataType::Float as i32),
            raw_data: raw,
            ..Default::default()
        }
    }

    #[test]
    fn raw_tensor_size_and_preview() {
        let raw: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = tensor(&float_tensor(&[2], Some(raw)));
        assert_eq!(t.elements, Some(2));
        assert_eq!(t.bytes, Some(8));
        assert_eq!(t.storage, Storage::Raw);
        assert_eq!(t.preview, Some(vec![Scalar::F32(1.5), Scalar::F32(-2.0)]));
    }

    #[test]
    fn truncated_raw_data_has_no_preview() {
        let t = tensor(&float_tensor(&[2], Some(vec![0; 5])));
        assert_eq!(t.bytes, Some(5));
        assert_eq!(t.preview, None);
    }

    #[test]
    fn sub_byte_and_overflowing_sizes() {
        let mut t = float_tensor(&[3, 3], None);
        t.data_type = Some(DataType::Int4 as i32);
        assert_eq!(tensor(&t).bytes, Some(5));
        let huge = float_tensor(&[i64::MAX, 4], None);
        assert_eq!(tensor(&huge).elements, None);
        assert_eq!(tensor(&float_tensor(&[-1], None)).bytes, None);
    }

    #[test]
    fn external_location_comes_first() {
        let mut t = float_tensor(&[4], None);
        t.data_location = Some(DataLocation::External as i32);
        t.external_data = [("offset", "0"), ("location", "w.bin"), ("length", "16")]
            .iter()
            .map(|(k, v)| crate::back::onnx::proto::StringStringEntryProto {
                key: Some(k.to_string()),
                value: Some(v.to_string()),
            })
            .collect();
        let t = tensor(&t);
        let Storage::External(entries) = &t.storage else {
            panic!("{t:?}");
        };
        assert_eq!(entries[0], ("location".into(), "w.bin".into()));
        assert_eq!(t.bytes, Some(16));
    }

    #[test]
    fn untyped_attribute_is_inferred() {
        let a = AttributeProto {
            name: Some("axis".into()),
            i: Some(1),
            ..Default::default()
        };
        assert_eq!(attribute(&a).value, AttributeValue::Int(1));
    }

    #[test]
    fn element_names() {
        assert_eq!(elem_name(1), "float32");
        assert_eq!(elem_name(7), "int64");
        assert_eq!(elem_name(17), "float8e4m3fn");
        assert_eq!(elem_name(99), "type(99)");
    }
}
