//! [`GraphBuilder`]: hand-written construction of ONNX graphs, beside the
//! generated messages in [`super::proto`].
//!
//! It hands out unique value names (one namespace for the main graph and every
//! Scan body, which ONNX requires: a body may not shadow an outer name), adds
//! nodes with attributes, and turns ndarray arrays and small integer lists into
//! initializers. Everything is kept in `Vec`s and a `BTreeSet`, so the same
//! calls always give the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use ndarray::ArrayViewD;

use super::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, NodeProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};

/// One dimension of a declared value shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Dim {
    /// A known size.
    Fixed(u64),
    /// A symbolic size shared by every value that uses the same symbol.
    Symbol(&'static str),
}

/// Builds one ONNX graph (the main graph or a Scan body).
#[derive(Default)]
pub(super) struct GraphBuilder {
    /// Every value name used so far, in this graph and its parents and bodies.
    names: BTreeSet<String>,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    /// For each name asked of [`GraphBuilder::initializer`], the float
    /// initializers made under it: a shared layer's later calls ask again
    /// with the same array and get the first one back.
    float_initializers: BTreeMap<String, Vec<usize>>,
    /// Prefix of generated value names: the layer being emitted.
    scope: String,
}

impl GraphBuilder {
    /// An empty graph.
    pub fn new() -> GraphBuilder {
        GraphBuilder::default()
    }

    /// Names generated values `<scope>/<op>…` from now on.
    pub fn set_scope(&mut self, scope: &str) {
        self.scope = scope.to_string();
    }

    /// Reserves a name that is declared elsewhere (a graph input or output).
    pub fn reserve(&mut self, name: &str) -> String {
        self.fresh(name)
    }

    /// A new name `<scope>/<what>` for a value declared elsewhere (a Scan
    /// body input).
    pub fn value_name(&mut self, what: &str) -> String {
        self.scoped(what)
    }

    /// `base` if unused, else `base_1`, `base_2`, …
    fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 0;
        while self.names.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.names.insert(name.clone());
        name
    }

    fn scoped(&mut self, what: &str) -> String {
        if self.scope.is_empty() {
            self.fresh(what)
        } else {
            let base = format!("{}/{what}", self.scope);
            self.fresh(&base)
        }
    }

    /// Adds a node with `outputs` results; returns their names. An output
    /// given as `false` in `wanted` is left unnamed (`""`, i.e. not computed).
    pub fn node_with(
        &mut self,
        op: &str,
        inputs: &[&str],
        wanted: &[bool],
        attributes: Vec<AttributeProto>,
    ) -> Vec<String> {
        let outputs: Vec<String> = wanted
            .iter()
            .map(|&w| if w { self.scoped(op) } else { String::new() })
            .collect();
        let mut used = outputs.clone();
        while used.last().is_some_and(String::is_empty) {
            used.pop();
        }
        let name = used.iter().find(|o| !o.is_empty()).cloned();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: used,
            name,
            op_type: Some(op.to_string()),
            attribute: attributes,
            ..Default::default()
        });
        outputs
    }

    /// Adds a single-output node; returns the output name.
    pub fn op(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        self.node_with(op, inputs, &[true], attributes).remove(0)
    }

    /// Adds a single-output node whose output gets the reserved name `output`.
    pub fn op_into(&mut self, op: &str, inputs: &[&str], output: &str) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(output.to_string()),
            op_type: Some(op.to_string()),
            ..Default::default()
        });
    }

    /// Adds a float initializer named `name` (made unique); returns its
    /// name. The same name and array asked again (a shared layer's weights,
    /// emitted at each of its calls) give the initializer made the first time.
    pub fn initializer(&mut self, name: &str, array: ArrayViewD<'_, f32>) -> String {
        let mut tensor = f32_tensor(array);
        let made = self.float_initializers.entry(name.to_string()).or_default();
        for &index in made.iter() {
            let existing = &self.initializers[index];
            if existing.dims == tensor.dims && existing.raw_data == tensor.raw_data {
                return existing.name.clone().expect("initializers are named");
            }
        }
        made.push(self.initializers.len());
        let name = self.fresh(name);
        tensor.name = Some(name.clone());
        self.initializers.push(tensor);
        name
    }

    /// Adds an int64 initializer of shape `dims` (`&[]` for a scalar).
    pub fn const_i64(&mut self, values: &[i64], dims: &[i64]) -> String {
        let name = self.scoped("const");
        self.initializers.push(TensorProto {
            dims: dims.to_vec(),
            data_type: Some(DataType::Int64 as i32),
            int64_data: values.to_vec(),
            name: Some(name.clone()),
            ..Default::default()
        });
        name
    }

    /// A 1-D int64 constant.
    pub fn vec_i64(&mut self, values: &[i64]) -> String {
        self.const_i64(values, &[values.len() as i64])
    }

    /// A scalar int64 constant.
    pub fn scalar_i64(&mut self, value: i64) -> String {
        self.const_i64(&[value], &[])
    }

    /// A scalar float constant.
    pub fn scalar_f32(&mut self, value: f32) -> String {
        let name = self.scoped("const");
        let mut tensor = f32_tensor(ndarray::arr0(value).into_dyn().view());
        tensor.name = Some(name.clone());
        self.initializers.push(tensor);
        name
    }

    /// A builder for a Scan body that shares this graph's namespace; give it
    /// back with [`GraphBuilder::finish_body`].
    pub fn body(&mut self) -> GraphBuilder {
        GraphBuilder {
            names: std::mem::take(&mut self.names),
            nodes: Vec::new(),
            initializers: Vec::new(),
            float_initializers: BTreeMap::new(),
            scope: self.scope.clone(),
        }
    }

    /// Closes a body started with [`GraphBuilder::body`].
    pub fn finish_body(
        &mut self,
        mut body: GraphBuilder,
        name: &str,
        inputs: Vec<ValueInfoProto>,
        outputs: Vec<ValueInfoProto>,
    ) -> GraphProto {
        self.names = std::mem::take(&mut body.names);
        body.into_graph(name, inputs, outputs)
    }

    /// The finished graph.
    pub fn into_graph(
        self,
        name: &str,
        inputs: Vec<ValueInfoProto>,
        outputs: Vec<ValueInfoProto>,
    ) -> GraphProto {
        GraphProto {
            node: self.nodes,
            name: Some(name.to_string()),
            initializer: self.initializers,
            input: inputs,
            output: outputs,
            ..Default::default()
        }
    }
}

/// A float tensor with its data little-endian in `raw_data`, as ONNX requires.
pub(super) fn f32_tensor(array: ArrayViewD<'_, f32>) -> TensorProto {
    let raw: Vec<u8> = array.iter().flat_map(|v| v.to_le_bytes()).collect();
    TensorProto {
        dims: array.shape().iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        raw_data: Some(raw),
        ..Default::default()
    }
}

/// A declared value: `name` of element type `elem` with shape `dims`.
pub(super) fn value_info(name: &str, elem: DataType, dims: &[Dim]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| tensor_shape_proto::Dimension {
            value: Some(match d {
                Dim::Fixed(n) => tensor_shape_proto::dimension::Value::DimValue(*n as i64),
                Dim::Symbol(s) => tensor_shape_proto::dimension::Value::DimParam(s.to_string()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(elem as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn attribute(name: &str, kind: AttributeType) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(kind as i32),
        ..Default::default()
    }
}

/// An INT attribute.
pub(super) fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        i: Some(value),
        ..attribute(name, AttributeType::Int)
    }
}

/// A FLOAT attribute.
pub(super) fn attr_float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        f: Some(value),
        ..attribute(name, AttributeType::Float)
    }
}

/// A STRING attribute.
pub(super) fn attr_string(name: &str, value: &str) -> AttributeProto {
    AttributeProto {
        s: Some(value.as_bytes().to_vec()),
        ..attribute(name, AttributeType::String)
    }
}

/// An INTS attribute.
pub(super) fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        ints: values.to_vec(),
        ..attribute(name, AttributeType::Ints)
    }
}

/// A STRINGS attribute.
#[cfg(test)]
pub(super) fn attr_strings(name: &str, values: &[&str]) -> AttributeProto {
    AttributeProto {
        strings: values.iter().map(|v| v.as_bytes().to_vec()).collect(),
        ..attribute(name, AttributeType::Strings)
    }
}

/// A TENSOR attribute.
pub(super) fn attr_tensor(name: &str, tensor: TensorProto) -> AttributeProto {
    AttributeProto {
        t: Some(tensor),
        ..attribute(name, AttributeType::Tensor)
    }
}

/// A GRAPH attribute (a Scan body).
pub(super) fn attr_graph(name: &str, graph: GraphProto) -> AttributeProto {
    AttributeProto {
        g: Some(graph),
        ..attribute(name, AttributeType::Graph)
    }
}
