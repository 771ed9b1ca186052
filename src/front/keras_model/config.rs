//! The serialized model, from any of the dialects Keras has written, as one
//! shape: a list of layers, each with its config and its calls.
//!
//! The dialects (`Functional.get_config` / `Sequential.get_config` of each
//! Keras line):
//!
//! - Keras 3: every object is `{"module", "class_name", "config",
//!   "registered_name"}` (plus `build_config`); a functional layer's calls
//!   are `inbound_nodes: [{"args": [...], "kwargs": {...}}]` whose tensors are
//!   `{"class_name": "__keras_tensor__", "config": {"keras_history": [layer,
//!   node, tensor]}}`; a Sequential lists its `InputLayer` first.
//! - Keras 2.2.3 – tf.keras 2.15: `{"class_name", "config"}` (tf.keras 2.13+
//!   adds `module` and `registered_name`); calls are nested lists
//!   `[[["layer", node, tensor, {kwargs}], ...]]`, and an RNN called with
//!   `initial_state` lists the state tensors after its input; functional
//!   models are `Model` (before tf.keras 2.4) or `Functional`.
//! - Keras ≤ 2.2.2: a Sequential's `config` is the bare list of its layers.

use serde_json::{Map, Value};

/// Which model class the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelClass {
    Sequential,
    Functional,
}

/// The model as the file describes it.
#[derive(Clone, Debug)]
pub struct KerasModel {
    pub class: ModelClass,
    pub name: Option<String>,
    pub layers: Vec<LayerEntry>,
    /// A functional model's inputs and outputs (empty for Sequential).
    pub inputs: Endpoints,
    pub outputs: Endpoints,
}

/// A functional model's inputs or outputs: one tensor, or a list.
#[derive(Clone, Debug, Default)]
pub enum Endpoints {
    One(TensorRef),
    #[default]
    Missing,
    List(Vec<TensorRef>),
}

/// One layer (or, in Keras 3, one operation such as the `not_equal` of a
/// mask) and its calls.
#[derive(Clone, Debug)]
pub struct LayerEntry {
    pub class: String,
    /// Keras 3 / tf.keras 2.13+: the Python module of the class.
    pub module: Option<String>,
    /// Keras 3 / tf.keras 2.13+: set for registered custom objects.
    pub registered_name: Option<String>,
    pub name: String,
    pub config: Map<String, Value>,
    pub nodes: Vec<Node>,
}

/// One call of a layer.
#[derive(Clone, Debug, Default)]
pub struct Node {
    pub args: Vec<CallArg>,
    pub kwargs: Vec<(String, CallArg)>,
}

/// An argument of a call: a tensor, a list of arguments, or a plain value.
#[derive(Clone, Debug)]
pub enum CallArg {
    Tensor(TensorRef),
    List(Vec<CallArg>),
    Value(Value),
}

impl CallArg {
    /// Every tensor in the argument, in order.
    pub fn tensors(&self) -> Vec<&TensorRef> {
        match self {
            CallArg::Tensor(t) => vec![t],
            CallArg::List(all) => all.iter().flat_map(CallArg::tensors).collect(),
            CallArg::Value(_) => Vec::new(),
        }
    }
}

/// The `tensor`-th output of the `node`-th call of `layer`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorRef {
    pub layer: String,
    pub node: usize,
    pub tensor: usize,
}

/// Recurrent classes whose Keras 2 calls list their initial states as
/// further inputs.
const STATEFUL_CALLS: &[&str] = &[
    "SimpleRNN",
    "LSTM",
    "GRU",
    "RNN",
    "Bidirectional",
    "CuDNNLSTM",
    "CuDNNGRU",
];

/// The most layers a model file may list: far more than any recurrent
/// model has, few enough that ordering the calls stays instant.
pub const MAX_LAYERS: usize = 4096;

/// Parses the config text; `Err` holds what is wrong, for a `BadConfig`.
pub fn parse(text: &str) -> Result<KerasModel, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("is not valid JSON ({e})"))?;
    let class = str_field(&root, "class_name").ok_or("has no `class_name`")?;
    let config = root.get("config").ok_or("has no `config`")?;
    match class {
        "Sequential" => {
            let (name, list) = match config {
                // Keras <= 2.2.2: the layers themselves.
                Value::Array(list) => (None, list),
                Value::Object(map) => (
                    map.get("name").and_then(Value::as_str).map(str::to_string),
                    map.get("layers")
                        .and_then(Value::as_array)
                        .ok_or("is a Sequential model without a `layers` list")?,
                ),
                _ => {
                    return Err(
                        "is a Sequential model whose `config` is neither a list nor an object"
                            .into(),
                    )
                }
            };
            Ok(KerasModel {
                class: ModelClass::Sequential,
                name,
                layers: layer_list(list, false)?,
                inputs: Endpoints::Missing,
                outputs: Endpoints::Missing,
            })
        }
        "Functional" | "Model" => {
            let map = config
                .as_object()
                .ok_or("is a functional model whose `config` is not an object")?;
            let list = map
                .get("layers")
                .and_then(Value::as_array)
                .ok_or("is a functional model without a `layers` list")?;
            Ok(KerasModel {
                class: ModelClass::Functional,
                name: map.get("name").and_then(Value::as_str).map(str::to_string),
                layers: layer_list(list, true)?,
                inputs: endpoints(map.get("input_layers"), "input_layers")?,
                outputs: endpoints(map.get("output_layers"), "output_layers")?,
            })
        }
        other => Err(format!(
            "holds a `{other}` model; rnnc reads Sequential and functional models (a \
             subclassed model's architecture is Python code, which the file does not hold)"
        )),
    }
}

/// A model's layers (with their calls, for a functional model), at most
/// [`MAX_LAYERS`].
fn layer_list(list: &[Value], functional: bool) -> Result<Vec<LayerEntry>, String> {
    if list.len() > MAX_LAYERS {
        return Err(format!(
            "lists {} layers, more than the {MAX_LAYERS} rnnc reads",
            list.len()
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, l)| layer_entry(l, i, functional))
        .collect()
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn layer_entry(value: &Value, index: usize, functional: bool) -> Result<LayerEntry, String> {
    let class = str_field(value, "class_name")
        .ok_or_else(|| format!("has a layer (number {}) without `class_name`", index + 1))?
        .to_string();
    let config = match value.get("config") {
        Some(Value::Object(map)) => map.clone(),
        _ => {
            return Err(format!(
                "has a `{class}` layer (number {}) without a `config` object",
                index + 1
            ))
        }
    };
    let name = str_field(value, "name")
        .or_else(|| config.get("name").and_then(Value::as_str))
        .ok_or_else(|| {
            format!(
                "has a `{class}` layer (number {}) without a name",
                index + 1
            )
        })?
        .to_string();
    let nodes = match value.get("inbound_nodes") {
        Some(Value::Array(nodes)) if functional => nodes
            .iter()
            .map(|n| node(n, &class))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("has a call of layer `{name}` that {e}"))?,
        _ => Vec::new(),
    };
    Ok(LayerEntry {
        class,
        module: str_field(value, "module").map(str::to_string),
        registered_name: str_field(value, "registered_name").map(str::to_string),
        name,
        config,
        nodes,
    })
}

/// One call, in the Keras 3 (`{"args", "kwargs"}`) or Keras 2 (list of
/// `[layer, node, tensor, kwargs]`) form.
fn node(value: &Value, class: &str) -> Result<Node, String> {
    match value {
        Value::Object(map) => {
            let args = match map.get("args") {
                Some(Value::Array(args)) => args.iter().map(keras3_arg).collect(),
                None => Vec::new(),
                Some(_) => return Err("has `args` that are not a list".into()),
            };
            let kwargs = match map.get("kwargs") {
                Some(Value::Object(kwargs)) => kwargs
                    .iter()
                    .map(|(k, v)| (k.clone(), keras3_arg(v)))
                    .collect(),
                None => Vec::new(),
                Some(_) => return Err("has `kwargs` that are not an object".into()),
            };
            Ok(Node { args, kwargs })
        }
        Value::Array(entries) => {
            let mut tensors = Vec::new();
            let mut kwargs = Vec::new();
            for (i, entry) in entries.iter().enumerate() {
                let parts = entry.as_array().ok_or("is not a list of inbound tensors")?;
                tensors.push(keras2_ref(parts).ok_or("names an inbound tensor badly")?);
                if i == 0 {
                    if let Some(Value::Object(map)) = parts.get(3) {
                        kwargs = map
                            .iter()
                            .map(|(k, v)| (k.clone(), keras2_kwarg(v)))
                            .collect();
                    }
                }
            }
            let args = if tensors.len() == 1 {
                vec![CallArg::Tensor(tensors.remove(0))]
            } else if STATEFUL_CALLS.contains(&class)
                && !tensors.is_empty()
                && !kwargs.iter().any(|(k, _)| k == "initial_state")
            {
                let first = tensors.remove(0);
                kwargs.push((
                    "initial_state".into(),
                    CallArg::List(tensors.into_iter().map(CallArg::Tensor).collect()),
                ));
                vec![CallArg::Tensor(first)]
            } else {
                vec![CallArg::List(
                    tensors.into_iter().map(CallArg::Tensor).collect(),
                )]
            };
            Ok(Node { args, kwargs })
        }
        _ => Err("is neither a list nor an object".into()),
    }
}

fn keras3_arg(value: &Value) -> CallArg {
    if str_field(value, "class_name") == Some("__keras_tensor__") {
        if let Some(history) = value
            .get("config")
            .and_then(|c| c.get("keras_history"))
            .and_then(Value::as_array)
            .and_then(|h| keras2_ref(h))
        {
            return CallArg::Tensor(history);
        }
    }
    match value {
        Value::Array(items) => CallArg::List(items.iter().map(keras3_arg).collect()),
        other => CallArg::Value(other.clone()),
    }
}

/// A Keras 2 kwarg: a tensor is `[layer, node, tensor]`.
fn keras2_kwarg(value: &Value) -> CallArg {
    match value {
        Value::Array(items) => match keras2_ref(items) {
            Some(t) if items.len() == 3 => CallArg::Tensor(t),
            _ => CallArg::List(items.iter().map(keras2_kwarg).collect()),
        },
        other => CallArg::Value(other.clone()),
    }
}

/// `[layer, node, tensor, ...]`.
fn keras2_ref(parts: &[Value]) -> Option<TensorRef> {
    Some(TensorRef {
        layer: parts.first()?.as_str()?.to_string(),
        node: usize::try_from(parts.get(1)?.as_u64()?).ok()?,
        tensor: usize::try_from(parts.get(2)?.as_u64()?).ok()?,
    })
}

fn endpoints(value: Option<&Value>, key: &str) -> Result<Endpoints, String> {
    let bad = || format!("has `{key}` that are not `[layer, node, tensor]` lists");
    match value {
        None => Err(format!("has no `{key}`")),
        Some(Value::Array(items)) if items.first().is_some_and(Value::is_string) => {
            Ok(Endpoints::One(keras2_ref(items).ok_or_else(bad)?))
        }
        Some(Value::Array(items)) => Ok(Endpoints::List(
            items
                .iter()
                .map(|i| i.as_array().and_then(|p| keras2_ref(p)))
                .collect::<Option<_>>()
                .ok_or_else(bad)?,
        )),
        Some(Value::Object(_)) => Err(format!(
            "has `{key}` given as a dict; rnnc reads models whose inputs and outputs are lists"
        )),
        Some(_) => Err(bad()),
    }
}
