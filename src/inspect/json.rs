//! The JSON rendering of a [`Description`]: one object with the same
//! information as the text, nothing shortened (the full `rnnc.spec`, every
//! list item), keys in a fixed order.
//!
//! A small hand-written writer instead of a serde dependency: the output is
//! one tree of a dozen shapes, and what needs care — string escaping and
//! non-finite floats, which JSON cannot represent — is a few lines here.

use std::fmt::Write;

use super::describe::{
    qualified_op, Attribute, AttributeValue, Description, Dim, Function, Graph, Node, Scalar,
    SparseTensor, Storage, Tensor, Type, Value,
};

/// A JSON value whose objects keep their keys in insertion order.
enum Json {
    Null,
    Bool(bool),
    /// A number already written in JSON syntax.
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    fn int(v: impl Into<i128>) -> Json {
        Json::Number(v.into().to_string())
    }

    /// Finite floats as numbers (Rust's shortest round-trip form is valid
    /// JSON); NaN and infinities as the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"`.
    fn float(v: f64, text: String) -> Json {
        if v.is_finite() {
            Json::Number(text)
        } else if v.is_nan() {
            Json::Str("NaN".into())
        } else if v > 0.0 {
            Json::Str("Infinity".into())
        } else {
            Json::Str("-Infinity".into())
        }
    }

    fn f32(v: f32) -> Json {
        let text = if plain(f64::from(v)) {
            v.to_string()
        } else {
            format!("{v:e}")
        };
        Json::float(f64::from(v), text)
    }

    fn f64(v: f64) -> Json {
        let text = if plain(v) {
            v.to_string()
        } else {
            format!("{v:e}")
        };
        Json::float(v, text)
    }

    fn str(s: &str) -> Json {
        Json::Str(s.to_string())
    }

    fn opt_str(s: &Option<String>) -> Json {
        s.as_deref().map_or(Json::Null, Json::str)
    }

    fn strs(v: &[String]) -> Json {
        Json::Array(v.iter().map(|s| Json::str(s)).collect())
    }

    /// Arrays of scalars (shapes, dims, ints) are written on one line.
    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Array(_) | Json::Object(_))
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::Str(s) => escape(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Array(items) if items.iter().all(Json::is_scalar) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, indent + 1);
                    item.write(out, indent + 1);
                }
                out.push('\n');
                pad(out, indent);
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, indent + 1);
                    escape(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                out.push('\n');
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

/// Whether a float reads well without an exponent. Rust's plain form of
/// 1e300 is a 301-digit integer, which some JSON readers (serde_json among
/// them) refuse as out of range, so very large and very small magnitudes
/// use the exponent form.
fn plain(v: f64) -> bool {
    v == 0.0 || (1e-5..1e16).contains(&v.abs())
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// A JSON string literal (RFC 8259 §7): quote, backslash and control
/// characters escaped; everything else, non-ASCII included, as is.
fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Renders the description as one pretty-printed JSON object, ending with a newline.
pub fn render(d: &Description) -> String {
    let t = &d.totals;
    let root = Json::Object(vec![
        ("ir_version", Json::int(d.ir_version)),
        (
            "opset_import",
            Json::Array(
                d.opset_import
                    .iter()
                    .map(|(domain, version)| {
                        Json::Object(vec![
                            ("domain", Json::str(domain)),
                            ("version", Json::int(*version)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("producer_name", Json::opt_str(&d.producer_name)),
        ("producer_version", Json::opt_str(&d.producer_version)),
        ("domain", Json::opt_str(&d.domain)),
        (
            "model_version",
            d.model_version.map_or(Json::Null, Json::int),
        ),
        ("doc_string", Json::opt_str(&d.doc_string)),
        ("graph", graph(&d.graph)),
        (
            "metadata_props",
            Json::Array(
                d.metadata
                    .iter()
                    .map(|(key, value)| {
                        Json::Object(vec![("key", Json::str(key)), ("value", Json::str(value))])
                    })
                    .collect(),
            ),
        ),
        (
            "functions",
            Json::Array(d.functions.iter().map(function).collect()),
        ),
        (
            "totals",
            Json::Object(vec![
                ("nodes", Json::int(t.nodes as u64)),
                ("subgraph_nodes", Json::int(t.subgraph_nodes as u64)),
                (
                    "op_types",
                    Json::Array(
                        t.op_types
                            .iter()
                            .map(|(op, n)| {
                                Json::Object(vec![
                                    ("op_type", Json::str(op)),
                                    ("count", Json::int(*n as u64)),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("initializers", Json::int(t.initializers as u64)),
                ("parameters", Json::int(t.parameters)),
                ("weight_bytes", Json::int(t.weight_bytes)),
                (
                    "keras_parameters",
                    t.keras_parameters.map_or(Json::Null, Json::int),
                ),
            ]),
        ),
    ]);
    let mut out = String::new();
    root.write(&mut out, 0);
    out.push('\n');
    out
}

fn graph(g: &Graph) -> Json {
    Json::Object(vec![
        ("name", Json::opt_str(&g.name)),
        ("doc_string", Json::opt_str(&g.doc_string)),
        ("inputs", Json::Array(g.inputs.iter().map(value).collect())),
        (
            "outputs",
            Json::Array(g.outputs.iter().map(value).collect()),
        ),
        (
            "nodes",
            Json::Array(
                g.nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| node(i, n))
                    .collect(),
            ),
        ),
        (
            "initializers",
            Json::Array(g.initializers.iter().map(tensor).collect()),
        ),
        (
            "sparse_initializers",
            Json::Array(g.sparse_initializers.iter().map(sparse).collect()),
        ),
    ])
}

fn value(v: &Value) -> Json {
    Json::Object(vec![
        ("name", Json::str(&v.name)),
        ("type", v.ty.as_ref().map_or(Json::Null, ty)),
    ])
}

/// `{"tensor": {"elem_type": "float32", "shape": ["batch", null, 5]}}`:
/// a symbolic dimension is its name, an unknown one `null`, an unknown rank
/// a `null` shape.
fn ty(t: &Type) -> Json {
    let shape = |s: &Option<Vec<Dim>>| match s {
        None => Json::Null,
        Some(dims) => Json::Array(
            dims.iter()
                .map(|d| match d {
                    Dim::Fixed(n) => Json::int(*n),
                    Dim::Symbol(s) => Json::str(s),
                    Dim::Unknown => Json::Null,
                })
                .collect(),
        ),
    };
    let inner = |t: &Option<Box<Type>>| t.as_deref().map_or(Json::Null, ty);
    let (kind, body) = match t {
        Type::Tensor { elem, shape: s } => (
            "tensor",
            Json::Object(vec![("elem_type", Json::str(elem)), ("shape", shape(s))]),
        ),
        Type::SparseTensor { elem, shape: s } => (
            "sparse_tensor",
            Json::Object(vec![("elem_type", Json::str(elem)), ("shape", shape(s))]),
        ),
        Type::Sequence(e) => ("sequence", Json::Object(vec![("elem_type", inner(e))])),
        Type::Map { key, value } => (
            "map",
            Json::Object(vec![
                ("key_type", Json::str(key)),
                ("value_type", inner(value)),
            ]),
        ),
        Type::Optional(e) => ("optional", Json::Object(vec![("elem_type", inner(e))])),
        Type::Unknown => ("unknown", Json::Null),
    };
    Json::Object(vec![(kind, body)])
}

fn node(index: usize, n: &Node) -> Json {
    Json::Object(vec![
        ("index", Json::int(index as u64)),
        ("op_type", Json::str(&n.op_type)),
        ("domain", Json::opt_str(&n.domain)),
        ("qualified_op_type", Json::Str(qualified_op(n))),
        ("name", Json::opt_str(&n.name)),
        ("inputs", Json::strs(&n.inputs)),
        ("outputs", Json::strs(&n.outputs)),
        (
            "attributes",
            Json::Array(n.attributes.iter().map(attribute).collect()),
        ),
    ])
}

fn attribute(a: &Attribute) -> Json {
    use AttributeValue as V;
    let (kind, value) = match &a.value {
        V::Float(f) => ("FLOAT", Json::f32(*f)),
        V::Int(i) => ("INT", Json::int(*i)),
        V::String(s) => ("STRING", Json::str(s)),
        V::Tensor(t) => ("TENSOR", tensor(t)),
        V::Graph(g) => ("GRAPH", graph(g)),
        V::SparseTensor(s) => ("SPARSE_TENSOR", sparse(s)),
        V::Type(t) => ("TYPE_PROTO", t.as_ref().map_or(Json::Null, ty)),
        V::Floats(v) => (
            "FLOATS",
            Json::Array(v.iter().map(|f| Json::f32(*f)).collect()),
        ),
        V::Ints(v) => (
            "INTS",
            Json::Array(v.iter().map(|i| Json::int(*i)).collect()),
        ),
        V::Strings(v) => ("STRINGS", Json::strs(v)),
        V::Tensors(v) => ("TENSORS", Json::Array(v.iter().map(tensor).collect())),
        V::Graphs(v) => ("GRAPHS", Json::Array(v.iter().map(graph).collect())),
        V::SparseTensors(v) => (
            "SPARSE_TENSORS",
            Json::Array(v.iter().map(sparse).collect()),
        ),
        V::Types(v) => (
            "TYPE_PROTOS",
            Json::Array(
                v.iter()
                    .map(|t| t.as_ref().map_or(Json::Null, ty))
                    .collect(),
            ),
        ),
        V::Reference(name) => ("REFERENCE", Json::str(name)),
        V::Undefined => ("UNDEFINED", Json::Null),
    };
    Json::Object(vec![
        ("name", Json::str(&a.name)),
        ("type", Json::str(kind)),
        ("value", value),
    ])
}

fn tensor(t: &Tensor) -> Json {
    let (location, external) = match &t.storage {
        Storage::External(entries) => (
            "EXTERNAL",
            Json::Array(
                entries
                    .iter()
                    .map(|(k, v)| {
                        Json::Object(vec![("key", Json::str(k)), ("value", Json::str(v))])
                    })
                    .collect(),
            ),
        ),
        _ => ("DEFAULT", Json::Null),
    };
    let storage = match &t.storage {
        Storage::Raw => "raw_data",
        Storage::Typed => "typed_data",
        Storage::External(_) => "external",
        Storage::Empty => "none",
    };
    Json::Object(vec![
        ("name", Json::opt_str(&t.name)),
        ("elem_type", Json::str(&t.elem)),
        (
            "dims",
            Json::Array(t.dims.iter().map(|d| Json::int(*d)).collect()),
        ),
        ("elements", t.elements.map_or(Json::Null, Json::int)),
        ("bytes", t.bytes.map_or(Json::Null, Json::int)),
        ("storage", Json::str(storage)),
        ("data_location", Json::str(location)),
        ("external_data", external),
        (
            "values",
            t.preview
                .as_ref()
                .map_or(Json::Null, |v| Json::Array(v.iter().map(scalar).collect())),
        ),
    ])
}

fn sparse(s: &SparseTensor) -> Json {
    Json::Object(vec![
        (
            "dims",
            Json::Array(s.dims.iter().map(|d| Json::int(*d)).collect()),
        ),
        ("values", s.values.as_ref().map_or(Json::Null, tensor)),
        ("indices", s.indices.as_ref().map_or(Json::Null, tensor)),
    ])
}

fn scalar(s: &Scalar) -> Json {
    match s {
        Scalar::F32(v) => Json::f32(*v),
        Scalar::F64(v) => Json::f64(*v),
        Scalar::Int(v) => Json::int(*v),
        Scalar::UInt(v) => Json::int(*v),
        Scalar::Bool(v) => Json::Bool(*v),
        Scalar::Str(v) => Json::str(v),
    }
}

fn function(f: &Function) -> Json {
    Json::Object(vec![
        ("domain", Json::str(&f.domain)),
        ("name", Json::str(&f.name)),
        ("overload", Json::opt_str(&f.overload)),
        ("inputs", Json::strs(&f.inputs)),
        ("outputs", Json::strs(&f.outputs)),
        ("attributes", Json::strs(&f.attributes)),
        (
            "nodes",
            Json::Array(
                f.nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| node(i, n))
                    .collect(),
            ),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(j: &Json) -> String {
        let mut out = String::new();
        j.write(&mut out, 0);
        out
    }

    #[test]
    fn strings_are_escaped() {
        let s = Json::str("a\"b\\c\nd\u{1}é");
        assert_eq!(written(&s), r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn non_finite_floats_are_strings() {
        assert_eq!(written(&Json::f32(f32::NAN)), r#""NaN""#);
        assert_eq!(written(&Json::f32(f32::NEG_INFINITY)), r#""-Infinity""#);
        assert_eq!(written(&Json::f32(0.25)), "0.25");
        assert_eq!(written(&Json::f32(1e-7)), "1e-7");
        assert_eq!(written(&Json::f32(0.001)), "0.001");
        assert_eq!(written(&Json::f64(f64::MAX)), "1.7976931348623157e308");
    }

    #[test]
    fn parses_with_serde_json() {
        let j = Json::Object(vec![
            (
                "a",
                Json::Array(vec![Json::Null, Json::Bool(true), Json::int(-3)]),
            ),
            ("b", Json::Object(vec![])),
            ("c", Json::f64(f64::MAX)),
        ]);
        let parsed: serde_json::Value = serde_json::from_str(&written(&j)).unwrap();
        assert_eq!(parsed["a"][2], -3);
    }
}
