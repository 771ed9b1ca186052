//! The human-readable rendering of a [`Description`]: a header, then the
//! inputs, outputs, nodes (subgraphs indented beneath their node),
//! initializers, metadata and totals.
//!
//! Long things are shortened here and only here (the JSON keeps them
//! whole): multi-line values show their first line and a line count, long
//! lists their first items and a count.

use std::fmt::Write;

use super::describe::{
    qualified_op, Attribute, AttributeValue, Description, Dim, Function, Graph, Node, Scalar,
    SparseTensor, Storage, Tensor, Totals, Type, Value,
};

/// A one-line value longer than this (in characters) is cut, with its length.
const MAX_LINE_CHARS: usize = 100;

/// Lists (ints, floats, strings attributes) show this many items, then a count.
const MAX_LIST_ITEMS: usize = 16;

/// Spaces per nesting level of a subgraph.
const INDENT: usize = 4;

/// Renders the description as text, ending with a newline. Every name,
/// string and doc string in it comes from the file, so the text is
/// [escaped](crate::escape) line by line before it is printed.
pub fn render(d: &Description) -> String {
    crate::escape::escape_lines(&render_raw(d))
}

fn render_raw(d: &Description) -> String {
    let mut out = String::new();
    let mut header: Vec<(&str, String)> = vec![("ir_version", d.ir_version.to_string())];
    let opsets: Vec<String> = d
        .opset_import
        .iter()
        .map(|(domain, version)| format!("{} {version}", shown(domain_name(domain))))
        .collect();
    header.push(("opset_import", opsets.join(", ")));
    match (&d.producer_name, &d.producer_version) {
        (None, None) => {}
        (name, version) => {
            let both = [name.as_deref(), version.as_deref()];
            let parts: Vec<&str> = both
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect();
            header.push(("producer", shown(&parts.join(" "))));
        }
    }
    if let Some(domain) = &d.domain {
        header.push(("domain", shown(domain)));
    }
    if let Some(version) = d.model_version {
        header.push(("model_version", version.to_string()));
    }
    header.push((
        "graph",
        d.graph
            .name
            .as_deref()
            .map_or_else(|| "(unnamed)".into(), shown),
    ));
    if let Some(doc) = &d.doc_string {
        header.push(("doc_string", shorten(doc)));
    }
    if let Some(doc) = &d.graph.doc_string {
        header.push(("graph doc_string", shorten(doc)));
    }
    aligned(
        &mut out,
        0,
        header.into_iter().map(|(k, v)| (k.to_string(), v)),
    );

    out.push('\n');
    graph(&mut out, &d.graph, 0);

    if !d.functions.is_empty() {
        let _ = writeln!(out, "\nfunctions ({})", d.functions.len());
        for f in &d.functions {
            function(&mut out, f);
        }
    }

    if !d.metadata.is_empty() {
        let _ = writeln!(out, "\nmetadata_props ({})", d.metadata.len());
        for (key, value) in &d.metadata {
            let _ = writeln!(out, "  {} = {}", shown(key), shorten(value));
        }
    }

    let lookup = |key: &str| {
        d.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if let Ok(Some(streaming)) = crate::chunked::StreamingFile::from_metadata(lookup) {
        let _ = writeln!(
            out,
            "\nstreaming states ({}): feed each output back to its input at the next chunk \
             (zeros at the first)",
            streaming.states.len()
        );
        for pair in &streaming.states {
            let dims: Vec<String> = pair
                .shape
                .iter()
                .map(|d| d.map_or_else(|| "batch".to_string(), |n| n.to_string()))
                .collect();
            let _ = writeln!(
                out,
                "  {} -> {}  [{}]",
                shown(&pair.input),
                shown(&pair.output),
                dims.join(", ")
            );
        }
    }

    let t = &d.totals;
    let _ = writeln!(out, "\ntotals");
    let nodes = if t.subgraph_nodes > 0 {
        format!(
            "{} ({} in the main graph, {} in subgraphs)",
            t.nodes + t.subgraph_nodes,
            t.nodes,
            t.subgraph_nodes
        )
    } else {
        t.nodes.to_string()
    };
    aligned(
        &mut out,
        1,
        [
            ("nodes".to_string(), nodes),
            ("initializers".to_string(), t.initializers.to_string()),
            ("parameters".to_string(), parameters_text(t)),
            ("weight bytes".to_string(), t.weight_bytes.to_string()),
        ],
    );
    if !t.op_types.is_empty() {
        let _ = writeln!(out, "  op types");
        aligned(
            &mut out,
            2,
            t.op_types.iter().map(|(op, n)| (shown(op), n.to_string())),
        );
    }
    out
}

/// The initializer element count, and Keras' count of the recorded spec
/// where that differs, so that it can be matched with `rnnc compile`'s.
fn parameters_text(t: &Totals) -> String {
    match t.keras_parameters {
        Some(keras) if keras != t.parameters => format!(
            "{} initializer elements; Keras counts {keras} for the recorded spec \
             (ONNX adds shape constants and splits recurrent biases)",
            t.parameters
        ),
        Some(_) | None => t.parameters.to_string(),
    }
}

/// A name, key or symbol from the file, [escaped](crate::escape) on its own
/// so that a line break in it cannot start a line of the report.
fn shown(text: &str) -> String {
    crate::escape::escape(text).into_owned()
}

/// `""` is the default ai.onnx domain.
fn domain_name(domain: &str) -> &str {
    if domain.is_empty() {
        "ai.onnx"
    } else {
        domain
    }
}

/// Writes `key  value` lines with the values in one column, at `level`
/// two-space steps of indentation.
fn aligned(out: &mut String, level: usize, rows: impl IntoIterator<Item = (String, String)>) {
    let rows = rows.into_iter().map(|(k, v)| vec![k, v]).collect();
    table(out, 2 * level, rows);
}

/// Writes rows at `indent` spaces with every column but the last padded to
/// its widest cell, two spaces apart.
fn table(out: &mut String, indent: usize, rows: Vec<Vec<String>>) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = " ".repeat(indent);
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let _ = write!(line, "{cell:width$}", width = widths[c]);
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// Writes a graph's sections at `indent` spaces; the main graph (indent 0)
/// separates them by blank lines and shows empty sections.
fn graph(out: &mut String, g: &Graph, indent: usize) {
    let pad = " ".repeat(indent);
    let gap = if indent == 0 { "\n" } else { "" };
    // Inputs and outputs share one column of types.
    let width = g
        .inputs
        .iter()
        .chain(&g.outputs)
        .map(|v| shown(&v.name).chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{pad}inputs ({})", g.inputs.len());
    values(out, &g.inputs, indent + 2, width);
    let _ = writeln!(out, "{pad}outputs ({})", g.outputs.len());
    values(out, &g.outputs, indent + 2, width);
    let _ = write!(out, "{gap}");
    let _ = writeln!(out, "{pad}nodes ({})", g.nodes.len());
    for (index, n) in g.nodes.iter().enumerate() {
        node(out, index, n, indent + 2);
    }
    if !g.initializers.is_empty() || indent == 0 {
        let _ = write!(out, "{gap}");
        let _ = writeln!(out, "{pad}initializers ({})", g.initializers.len());
        let rows = g.initializers.iter().map(initializer_row).collect();
        table(out, indent + 2, rows);
    }
    if !g.sparse_initializers.is_empty() {
        let _ = write!(out, "{gap}");
        let _ = writeln!(
            out,
            "{pad}sparse_initializers ({})",
            g.sparse_initializers.len()
        );
        for s in &g.sparse_initializers {
            let name = s
                .values
                .as_ref()
                .and_then(|v| v.name.as_deref())
                .map_or_else(|| "(unnamed)".into(), shown);
            let _ = writeln!(out, "{pad}  {name}  {}", sparse_summary(s));
        }
    }
}

fn values(out: &mut String, values: &[Value], indent: usize, width: usize) {
    for v in values {
        let _ = writeln!(
            out,
            "{:indent$}{:width$}  {}",
            "",
            shown(&v.name),
            type_text(v.ty.as_ref())
        );
    }
}

fn node(out: &mut String, index: usize, n: &Node, indent: usize) {
    let pad = " ".repeat(indent);
    let name = n
        .name
        .as_ref()
        .map(|name| format!(" '{}'", shown(name)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{pad}#{index} {}{name}: {} -> {}",
        shown(&qualified_op(n)),
        names(&n.inputs),
        names(&n.outputs)
    );
    for a in &n.attributes {
        attribute(out, a, indent + INDENT);
    }
}

/// Value names, an omitted optional one shown as `""`.
fn names(names: &[String]) -> String {
    if names.is_empty() {
        return "()".into();
    }
    names
        .iter()
        .map(|n| {
            if n.is_empty() {
                "\"\"".into()
            } else {
                shown(n)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn attribute(out: &mut String, a: &Attribute, indent: usize) {
    use AttributeValue as V;
    let pad = " ".repeat(indent);
    let summary = match &a.value {
        V::Float(f) => f32_text(*f),
        V::Int(i) => i.to_string(),
        V::String(s) => quoted(s),
        V::Tensor(t) => tensor_value(t),
        V::SparseTensor(s) => sparse_summary(s),
        V::Type(t) => format!("type {}", type_text(t.as_ref())),
        V::Floats(v) => list(v.iter().map(|f| f32_text(*f))),
        V::Ints(v) => list(v.iter().map(i64::to_string)),
        V::Strings(v) => list(v.iter().map(|s| quoted(s))),
        V::Tensors(v) => list(v.iter().map(tensor_value)),
        V::SparseTensors(v) => list(v.iter().map(sparse_summary)),
        V::Types(v) => list(v.iter().map(|t| type_text(t.as_ref()))),
        V::Reference(name) => format!("@{} (the calling node's attribute)", shown(name)),
        V::Undefined => "(no value)".into(),
        V::Graph(g) => {
            let _ = writeln!(out, "{pad}{} = {}", shown(&a.name), graph_summary(g));
            graph(out, g, indent + 2);
            return;
        }
        V::Graphs(gs) => {
            let _ = writeln!(out, "{pad}{} = {} graphs", shown(&a.name), gs.len());
            for (i, g) in gs.iter().enumerate() {
                let _ = writeln!(out, "{pad}  [{i}] {}", graph_summary(g));
                graph(out, g, indent + 4);
            }
            return;
        }
    };
    let _ = writeln!(out, "{pad}{} = {summary}", shown(&a.name));
}

fn graph_summary(g: &Graph) -> String {
    let name = g
        .name
        .as_ref()
        .map(|n| format!(" '{}'", shown(n)))
        .unwrap_or_default();
    format!(
        "graph{name}: {} inputs, {} outputs, {} nodes, {} initializers",
        g.inputs.len(),
        g.outputs.len(),
        g.nodes.len(),
        g.initializers.len()
    )
}

fn function(out: &mut String, f: &Function) {
    let overload = f
        .overload
        .as_ref()
        .map(|o| format!(" (overload {})", shown(o)))
        .unwrap_or_default();
    let attributes = if f.attributes.is_empty() {
        String::new()
    } else {
        format!(" <{}>", shown(&f.attributes.join(", ")))
    };
    let _ = writeln!(
        out,
        "  {}:{}{overload}{attributes}: {} -> {}, {} nodes",
        shown(domain_name(&f.domain)),
        shown(&f.name),
        names(&f.inputs),
        names(&f.outputs),
        f.nodes.len()
    );
    for (index, n) in f.nodes.iter().enumerate() {
        node(out, index, n, 4);
    }
}

/// `[batch, time, 5]`; `?` for a dimension with neither value nor name.
fn shape_text(shape: Option<&Vec<Dim>>) -> String {
    let Some(dims) = shape else {
        return "(shape unknown)".into();
    };
    let dims: Vec<String> = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => n.to_string(),
            Dim::Symbol(s) => shown(s),
            Dim::Unknown => "?".into(),
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

fn type_text(ty: Option<&Type>) -> String {
    let inner = |t: &Option<Box<Type>>| type_text(t.as_deref());
    match ty {
        None => "(type unknown)".into(),
        Some(Type::Tensor { elem, shape }) => format!("{elem} {}", shape_text(shape.as_ref())),
        Some(Type::SparseTensor { elem, shape }) => {
            format!("sparse {elem} {}", shape_text(shape.as_ref()))
        }
        Some(Type::Sequence(t)) => format!("sequence<{}>", inner(t)),
        Some(Type::Map { key, value }) => format!("map<{key}, {}>", inner(value)),
        Some(Type::Optional(t)) => format!("optional<{}>", inner(t)),
        Some(Type::Unknown) => "(type unknown to rnnc)".into(),
    }
}

fn dims_text(dims: &[i64]) -> String {
    let dims: Vec<String> = dims.iter().map(i64::to_string).collect();
    format!("[{}]", dims.join(", "))
}

/// An initializer's columns: name, element type, shape, size, then its
/// storage when external or missing, or its values when small.
fn initializer_row(t: &Tensor) -> Vec<String> {
    let bytes = t
        .bytes
        .map_or_else(|| "? bytes".to_string(), |b| format!("{b} bytes"));
    let mut rest = String::new();
    match &t.storage {
        Storage::External(entries) => {
            rest.push_str("data_location=EXTERNAL");
            for (key, value) in entries {
                let _ = write!(rest, " {}={}", shown(key), shown(value));
            }
        }
        Storage::Empty if t.elements != Some(0) => rest.push_str("(no data)"),
        _ => {
            if let Some(values) = preview(t) {
                let _ = write!(rest, "= {values}");
            }
        }
    }
    vec![
        t.name.as_deref().map_or_else(|| "(unnamed)".into(), shown),
        t.elem.clone(),
        dims_text(&t.dims),
        bytes,
        rest,
    ]
}

/// An attribute's tensor: `tensor float32 [3, 4]`, with its values when small.
fn tensor_value(t: &Tensor) -> String {
    let mut text = format!("tensor {} {}", t.elem, dims_text(&t.dims));
    if let Some(values) = preview(t) {
        let _ = write!(text, " = {values}");
    }
    if let Storage::External(entries) = &t.storage {
        text.push_str(" data_location=EXTERNAL");
        for (key, value) in entries {
            let _ = write!(text, " {}={}", shown(key), shown(value));
        }
    }
    text
}

/// A small tensor's values: `[1, 2]`, or the bare value of a scalar.
fn preview(t: &Tensor) -> Option<String> {
    let values: Vec<String> = t.preview.as_ref()?.iter().map(scalar).collect();
    Some(if t.dims.is_empty() && values.len() == 1 {
        values[0].clone()
    } else {
        format!("[{}]", values.join(", "))
    })
}

fn sparse_summary(s: &SparseTensor) -> String {
    let elem = s.values.as_ref().map_or("?", |v| v.elem.as_str());
    let stored = s
        .values
        .as_ref()
        .and_then(|v| v.elements)
        .map_or_else(|| "?".into(), |n| n.to_string());
    format!(
        "sparse tensor {elem} {}, {stored} stored values",
        dims_text(&s.dims)
    )
}

fn scalar(s: &Scalar) -> String {
    match s {
        Scalar::F32(v) => f32_text(*v),
        Scalar::F64(v) => {
            if readable_plain(*v) {
                v.to_string()
            } else {
                format!("{v:e}")
            }
        }
        Scalar::Int(v) => v.to_string(),
        Scalar::UInt(v) => v.to_string(),
        Scalar::Bool(v) => v.to_string(),
        Scalar::Str(v) => quoted(v),
    }
}

/// A string attribute or value, escaped (so `"\n"` stays visible) and cut
/// when long.
/// A float in its shortest round-trip form, with an exponent when the
/// plain form would be a long run of zeros (`1e-7`, `3.4028235e38`).
fn f32_text(v: f32) -> String {
    if readable_plain(f64::from(v)) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

fn readable_plain(v: f64) -> bool {
    !v.is_finite() || v == 0.0 || (1e-5..1e16).contains(&v.abs())
}

fn quoted(s: &str) -> String {
    let chars = s.chars().count();
    if chars > MAX_LINE_CHARS {
        let shown: String = s.chars().take(MAX_LINE_CHARS).collect();
        format!("{shown:?}… ({chars} characters)")
    } else {
        format!("{s:?}")
    }
}

fn list(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let shown: Vec<String> = items.take(MAX_LIST_ITEMS).collect();
    if total > MAX_LIST_ITEMS {
        format!("[{}, … ({total} values)]", shown.join(", "))
    } else {
        format!("[{}]", shown.join(", "))
    }
}

/// A multi-line value as its first non-blank line and the line count; a
/// long line cut with its length.
fn shorten(value: &str) -> String {
    let lines = value.lines().count();
    let first = value.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let chars = first.chars().count();
    let mut shown: String = first.chars().take(MAX_LINE_CHARS).collect();
    if chars > MAX_LINE_CHARS {
        shown.push('…');
    }
    if lines > 1 {
        format!("{shown} ({lines} lines)")
    } else if chars > MAX_LINE_CHARS {
        format!("{shown} ({chars} characters)")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_values_and_counts_lines() {
        assert_eq!(shorten("0"), "0");
        assert_eq!(shorten("\n# spec\nSimpleRNN(3)\n"), "# spec (3 lines)");
        let long = "x".repeat(150);
        assert_eq!(
            shorten(&long),
            format!("{}… (150 characters)", "x".repeat(100))
        );
    }

    #[test]
    fn shapes_show_symbols_and_unknowns() {
        let dims = vec![Dim::Symbol("batch".into()), Dim::Unknown, Dim::Fixed(5)];
        assert_eq!(shape_text(Some(&dims)), "[batch, ?, 5]");
        assert_eq!(shape_text(None), "(shape unknown)");
    }

    #[test]
    fn long_lists_are_counted() {
        let text = list((0..20).map(|i: i32| i.to_string()));
        assert!(text.ends_with(", 15, … (20 values)]"), "{text}");
    }

    #[test]
    fn quoted_strings_show_escapes() {
        assert_eq!(quoted("\n"), r#""\n""#);
        assert!(quoted(&"y".repeat(120)).ends_with("… (120 characters)"));
    }
}
