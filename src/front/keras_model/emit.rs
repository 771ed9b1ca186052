//! Writing a [`KerasModel`] as spec text: the Keras Python that builds it.
//!
//! Every layer gets its name from the file and every argument whose value
//! differs from Keras 3's default; initializers, regularizers and
//! constraints are left out (they do not change what a trained model
//! computes, and the weights come from the file). What the spec language
//! cannot say is refused here, naming the layer, rather than written out
//! for the frontend to refuse.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::config::{CallArg, Endpoints, KerasModel, LayerEntry, ModelClass, Node, TensorRef};
use crate::front::layers::LayerType;

/// Why a layer cannot be written: message and hint, completed with the
/// layer's name and class by the caller.
#[derive(Debug)]
pub struct Refusal {
    pub layer: String,
    pub class: String,
    pub message: String,
    pub hint: Option<String>,
}

type Result<T> = std::result::Result<T, Refusal>;

/// What the header of the written spec says about its source.
pub struct Source<'a> {
    /// The file's name (no directory), as the header names it.
    pub file_name: &'a str,
    pub keras_version: Option<&'a str>,
    /// Whether the file was written by Keras 1 or 2 (`# rnnc: keras=2`).
    pub keras2: bool,
}

/// The spec text of `model`.
pub fn spec_text(model: &KerasModel, source: &Source) -> Result<String> {
    let mut out = String::new();
    let written_by = source.keras_version.map_or_else(
        || "an unrecorded Keras version".to_string(),
        |v| format!("Keras {v}"),
    );
    out.push_str(&format!(
        "# The architecture in {} (written by {written_by}), as an rnnc spec.\n\
         # Its weights are in the same file: `--weights {}`. Initializers,\n\
         # regularizers and constraints are left out: a trained model's weights\n\
         # are in the file.\n",
        source.file_name, source.file_name
    ));
    if source.keras2 {
        out.push_str("# rnnc: keras=2\n");
    }
    out.push_str("import keras\nfrom keras import layers\n\n");
    match model.class {
        ModelClass::Sequential => sequential(model, &mut out)?,
        ModelClass::Functional => Functional::new(model)?.write(&mut out)?,
    }
    Ok(out)
}

fn sequential(model: &KerasModel, out: &mut String) -> Result<()> {
    out.push_str(&format!(
        "model = keras.Sequential({})\n",
        model
            .name
            .as_ref()
            .map_or(String::new(), |n| format!("name={}", py_str(n)))
    ));
    for (i, entry) in model.layers.iter().enumerate() {
        if entry.class == "InputLayer" {
            out.push_str(&format!("model.add({})\n", input_layer(entry)?));
            continue;
        }
        // Keras <= 2.3 gave the first layer the model's input shape.
        let shape = (i == 0)
            .then(|| entry.config.get("batch_input_shape"))
            .flatten();
        let mut extra = Vec::new();
        if let Some(shape) = shape.filter(|s| !s.is_null()) {
            extra.push(shape_arg(entry, shape)?);
        }
        out.push_str(&format!(
            "model.add({})\n",
            layer_expr(entry.into(), Role::TopLevel, extra)?
        ));
    }
    Ok(())
}

/// `input_shape=` / `batch_input_shape=` for a Keras 2 first layer.
fn shape_arg(entry: &LayerEntry, shape: &Value) -> Result<String> {
    let dims = shape
        .as_array()
        .ok_or_else(|| refusal(entry, "its `batch_input_shape` is not a list".into(), None))?;
    shape_keyword(entry, dims, ("input_shape", "batch_input_shape"))
}

/// A batch shape as Keras takes it: `unbatched=` the dimensions after a
/// free batch, else `batched=` all of them.
fn shape_keyword(
    entry: &LayerEntry,
    dims: &[Value],
    (unbatched, batched): (&str, &str),
) -> Result<String> {
    let (keyword, written) = match dims.split_first() {
        Some((batch, rest)) if batch.is_null() => (unbatched, rest),
        _ => (batched, dims),
    };
    let shape = tuple(written).map_err(|m| refusal(entry, m, None))?;
    Ok(format!("{keyword}={shape}"))
}

/// `keras.Input(...)` for an `InputLayer`.
fn input_layer(entry: &LayerEntry) -> Result<String> {
    let config = &entry.config;
    let shape = config
        .get("batch_shape")
        .or_else(|| config.get("batch_input_shape"))
        .and_then(Value::as_array)
        .ok_or_else(|| refusal(entry, "the input has no `batch_shape`".into(), None))?;
    let mut args = vec![shape_keyword(entry, shape, ("shape", "batch_shape"))?];
    match dtype_name(config.get("dtype")) {
        Some("float32") | None => {}
        Some(other) => args.push(format!("dtype={}", py_str(other))),
    }
    for flag in ["sparse", "ragged"] {
        if config.get(flag).and_then(Value::as_bool) == Some(true) {
            return Err(refusal(
                entry,
                format!("a {flag} input is not supported"),
                Some("rnnc reads dense float or integer inputs".into()),
            ));
        }
    }
    args.push(format!("name={}", py_str(&entry.name)));
    Ok(format!("keras.Input({})", args.join(", ")))
}

/// The name of a dtype as any Keras writes it: `"float32"`, a Keras 3
/// `DTypePolicy` object, a Keras 2 `Policy` object.
fn dtype_name(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s),
        Value::Object(map) => map
            .get("config")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str),
        _ => None,
    }
}

/// Where a layer sits, which decides how its name is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    TopLevel,
    /// `Bidirectional(layer)`: Keras names its copy `forward_<name>`, and
    /// the file holds that name.
    Forward,
    /// `TimeDistributed(layer)`.
    Wrapped,
    /// `RNN(cell)`.
    Cell,
    /// A cell of `RNN([cells])`, whose name Keras 3's weights file uses.
    StackedCell,
}

/// A layer's class, name and config, top-level or nested.
struct LayerRef<'a> {
    class: &'a str,
    module: Option<&'a str>,
    registered_name: Option<&'a str>,
    name: &'a str,
    config: &'a Map<String, Value>,
}

impl<'a> From<&'a LayerEntry> for LayerRef<'a> {
    fn from(e: &'a LayerEntry) -> Self {
        LayerRef {
            class: &e.class,
            module: e.module.as_deref(),
            registered_name: e.registered_name.as_deref(),
            name: &e.name,
            config: &e.config,
        }
    }
}

impl<'a> LayerRef<'a> {
    /// Why this layer cannot be written.
    fn refuse(&self, message: String, hint: Option<String>) -> Refusal {
        Refusal {
            layer: self.name.to_string(),
            class: self.class.to_string(),
            message,
            hint,
        }
    }

    /// A nested layer (`{"class_name", "config"}`) in `parent`'s config.
    fn nested(parent: &LayerRef, key: &str, value: &'a Value) -> Result<LayerRef<'a>> {
        let bad = || parent.refuse(format!("its `{key}` is not a serialized layer"), None);
        let class = value
            .get("class_name")
            .and_then(Value::as_str)
            .ok_or_else(bad)?;
        let config = value
            .get("config")
            .and_then(Value::as_object)
            .ok_or_else(bad)?;
        Ok(LayerRef {
            class,
            module: value.get("module").and_then(Value::as_str),
            registered_name: value.get("registered_name").and_then(Value::as_str),
            name: config.get("name").and_then(Value::as_str).unwrap_or(""),
            config,
        })
    }
}

fn refusal(entry: &LayerEntry, message: String, hint: Option<String>) -> Refusal {
    LayerRef::from(entry).refuse(message, hint)
}

/// Config keys that are not constructor arguments, or that no inference
/// graph depends on.
const NOT_ARGUMENTS: &[&str] = &[
    "name",
    "trainable",
    "dtype",
    "seed",
    "batch_input_shape",
    "batch_shape",
    "implementation",
    "build_config",
    "shared_object_id",
];

/// Whether `key` is an initializer, regularizer or constraint: what only
/// training uses.
fn training_only(key: &str) -> bool {
    key.ends_with("_initializer") || key.ends_with("_regularizer") || key.ends_with("_constraint")
}

/// Keras 2 argument names Keras 3 renamed.
const RENAMED: &[(&str, &str, &str)] = &[("LeakyReLU", "alpha", "negative_slope")];

/// Keras 3's defaults of the arguments a config always holds, so that only
/// the ones a user set are written.
const DEFAULTS: &[(&[&str], &str, &str)] = &[
    (RECURRENT, "activation", "\"tanh\""),
    (
        &["LSTM", "GRU", "LSTMCell", "GRUCell"],
        "recurrent_activation",
        "\"sigmoid\"",
    ),
    (RECURRENT, "use_bias", "true"),
    (RECURRENT, "dropout", "0"),
    (RECURRENT, "recurrent_dropout", "0"),
    (RECURRENT, "return_sequences", "false"),
    (RECURRENT, "return_state", "false"),
    (RECURRENT, "go_backwards", "false"),
    (RECURRENT, "stateful", "false"),
    (RECURRENT, "unroll", "false"),
    (RECURRENT, "zero_output_for_mask", "false"),
    (RECURRENT, "time_major", "false"),
    (RECURRENT, "use_cudnn", "\"auto\""),
    (
        &["LSTM", "LSTMCell", "CuDNNLSTM"],
        "unit_forget_bias",
        "true",
    ),
    (&["GRU", "GRUCell"], "reset_after", "true"),
    (&["Bidirectional"], "merge_mode", "\"concat\""),
    (&["Dense", "Conv1D"], "activation", "\"linear\""),
    (&["Dense", "Conv1D"], "use_bias", "true"),
    (&["Dense", "Conv1D", "Embedding"], "lora_rank", "null"),
    (&["Dense", "Conv1D", "Embedding"], "lora_alpha", "null"),
    (&["Embedding"], "mask_zero", "false"),
    (&["Embedding"], "input_length", "null"),
    (&["Embedding"], "sparse", "false"),
    (&["Dropout", "SpatialDropout1D"], "noise_shape", "null"),
    (&["Concatenate"], "axis", "-1"),
    (&["Conv1D"], "strides", "[1]"),
    (&["Conv1D"], "padding", "\"valid\""),
    (&["Conv1D"], "data_format", "\"channels_last\""),
    (&["Conv1D"], "dilation_rate", "[1]"),
    (&["Conv1D"], "groups", "1"),
    (
        &["MaxPooling1D", "AveragePooling1D"],
        "padding",
        "\"valid\"",
    ),
    (
        &[
            "MaxPooling1D",
            "AveragePooling1D",
            "GlobalAveragePooling1D",
            "GlobalMaxPooling1D",
        ],
        "data_format",
        "\"channels_last\"",
    ),
    (
        &["GlobalAveragePooling1D", "GlobalMaxPooling1D"],
        "keepdims",
        "false",
    ),
    (&["Attention"], "use_scale", "false"),
    (&["Attention"], "score_mode", "\"dot\""),
    (&["Attention", "AdditiveAttention"], "dropout", "0"),
    (&["AdditiveAttention"], "use_scale", "true"),
    (&["Attention"], "causal", "false"),
    (&["Dot"], "normalize", "false"),
    (&["LayerNormalization", "BatchNormalization"], "axis", "-1"),
    (&["LayerNormalization"], "epsilon", "0.001"),
    (&["BatchNormalization"], "epsilon", "0.001"),
    (&["BatchNormalization"], "momentum", "0.99"),
    (
        &["LayerNormalization", "BatchNormalization"],
        "center",
        "true",
    ),
    (
        &["LayerNormalization", "BatchNormalization"],
        "scale",
        "true",
    ),
    (&["LayerNormalization"], "rms_scaling", "false"),
    (&["BatchNormalization"], "synchronized", "false"),
    (&["BatchNormalization"], "renorm", "false"),
    // Only read with `renorm=True`, which is written (and refused) then.
    (&["BatchNormalization"], "renorm_momentum", "0.99"),
    (&["Masking"], "mask_value", "0"),
    (&["ReLU"], "max_value", "null"),
    (&["ReLU"], "negative_slope", "0"),
    (&["ReLU"], "threshold", "0"),
    (&["LeakyReLU"], "negative_slope", "0.3"),
    (&["ELU"], "alpha", "1"),
    (&["Softmax"], "axis", "-1"),
    (&["PReLU"], "shared_axes", "null"),
    (&["Flatten"], "data_format", "null"),
];

const RECURRENT: &[&str] = &[
    "SimpleRNN",
    "LSTM",
    "GRU",
    "SimpleRNNCell",
    "LSTMCell",
    "GRUCell",
    "CuDNNLSTM",
    "CuDNNGRU",
    "RNN",
];

/// The default of `class`'s argument `key`, when the table has one.
fn default_of(class: &str, key: &str) -> Option<Value> {
    DEFAULTS
        .iter()
        .find(|(classes, k, _)| *k == key && classes.contains(&class))
        .map(|(_, _, text)| serde_json::from_str(text).expect("DEFAULTS holds valid JSON"))
}

/// Whether two config values are the same Keras value (`0` and `0.0`,
/// `[1]` and `[1.0]`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        _ => a == b,
    }
}

/// Classes that only Keras 3's ops write into a config: the mask tensors
/// of `compute_mask` (`not_equal`, `any`, …) appear as operations.
pub fn is_operation(entry: &LayerEntry) -> bool {
    entry
        .module
        .as_deref()
        .is_some_and(|m| m.starts_with("keras.src.ops") || m.starts_with("keras.ops"))
}

/// The constructor call of one layer; `extra` arguments are appended
/// before `name=`.
fn layer_expr(layer: LayerRef, role: Role, extra: Vec<String>) -> Result<String> {
    let refuse = |message: String, hint: Option<String>| layer.refuse(message, hint);
    let cell = crate::front::layers::cell_layer(layer.class);
    let Some(layer_type) = LayerType::from_name(layer.class).or(cell) else {
        return Err(unknown_class(&layer));
    };
    if let Some(registered) = layer.registered_name {
        if registered != layer.class && !registered.starts_with("keras") {
            return Err(refuse(
                format!("the class is a custom object registered as `{registered}`"),
                Some(CUSTOM_HINT.into()),
            ));
        }
    }
    if let Some(module) = layer.module {
        if !is_keras_module(module) {
            return Err(refuse(
                format!("the class comes from the module `{module}`, not from Keras"),
                Some(CUSTOM_HINT.into()),
            ));
        }
    }
    let parameters: Vec<&str> = layer_type.parameters().collect();
    let mut args = Vec::new();
    for (key, value) in layer.config {
        let key = RENAMED
            .iter()
            .find(|(c, from, _)| *c == layer.class && from == key)
            .map_or(key.as_str(), |(_, _, to)| to);
        if NOT_ARGUMENTS.contains(&key) || training_only(key) {
            continue;
        }
        let is_default = default_of(layer.class, key).is_some_and(|d| same(&d, value));
        if !parameters.contains(&key) {
            if value.is_null() || value == &Value::Bool(false) || is_default {
                continue;
            }
            return Err(refuse(
                format!(
                    "its config sets `{key}` = {}, which rnnc does not read",
                    short(value)
                ),
                Some("rnnc reads the arguments Keras 3 documents for this layer".into()),
            ));
        }
        if is_default {
            continue;
        }
        let rank = parameters
            .iter()
            .position(|p| *p == key)
            .unwrap_or(usize::MAX);
        let text = match (layer_type, key) {
            (LayerType::Bidirectional, "layer") => layer_expr(
                LayerRef::nested(&layer, key, value)?,
                Role::Forward,
                Vec::new(),
            )?,
            (LayerType::Bidirectional, "backward_layer") => {
                if backward_is_copy(&layer, value) {
                    continue;
                }
                layer_expr(
                    LayerRef::nested(&layer, key, value)?,
                    Role::TopLevel,
                    Vec::new(),
                )?
            }
            (LayerType::Rnn, "cell") => cells_expr(&layer, value)?,
            (LayerType::TimeDistributed, "layer") => layer_expr(
                LayerRef::nested(&layer, key, value)?,
                Role::Wrapped,
                Vec::new(),
            )?,
            (_, "activation" | "recurrent_activation") => {
                activation(value).map_err(|m| refuse(m, None))?
            }
            _ => python(value).map_err(|m| refuse(format!("its `{key}` {m}"), None))?,
        };
        // The first parameter (units, rate, the wrapped layer) reads best
        // by position, as Keras' own examples write it.
        args.push((
            rank,
            if rank == 0 {
                text
            } else {
                format!("{key}={text}")
            },
        ));
    }
    // Another dtype is written for the frontend to refuse.
    if let Some(dtype) = dtype_name(layer.config.get("dtype")).filter(|d| *d != "float32") {
        args.push((usize::MAX, format!("dtype={}", py_str(dtype))));
    }
    args.sort_by_key(|(rank, _)| *rank);
    let mut written: Vec<String> = args.into_iter().map(|(_, a)| a).collect();
    written.extend(extra);
    let name = match role {
        Role::Forward => layer.name.strip_prefix("forward_").unwrap_or(layer.name),
        Role::TopLevel | Role::Wrapped | Role::StackedCell => layer.name,
        // A cell's name is in no weight key rnnc reads.
        Role::Cell => "",
    };
    if !name.is_empty() {
        written.push(format!("name={}", py_str(name)));
    }
    Ok(format!("layers.{}({})", layer.class, written.join(", ")))
}

const CUSTOM_HINT: &str = "rnnc reads Keras' built-in layers; a custom layer's computation is \
                           Python code, which the file does not hold";

fn is_keras_module(module: &str) -> bool {
    module == "keras" || module.starts_with("keras.") || module.starts_with("tf_keras")
}

/// The refusal for a class rnnc does not know.
fn unknown_class(layer: &LayerRef) -> Refusal {
    let (message, hint) = match layer.class {
        "Lambda" => (
            "a `Lambda` layer holds a Python function, which rnnc cannot read".to_string(),
            "replace the Lambda with Keras layers (Activation, Reshape, a merge layer) and save \
             the model again"
                .to_string(),
        ),
        "Functional" | "Sequential" | "Model" => (
            "a model used as a layer is not supported yet".to_string(),
            "save the inner model's layers in the outer model directly".to_string(),
        ),
        "TFOpLambda" | "SlicingOpLambda" => (
            "a TensorFlow operation used on a Keras tensor is not supported".to_string(),
            "replace it with a Keras layer and save the model again".to_string(),
        ),
        _ => {
            let custom = layer.registered_name.is_some_and(|r| r != layer.class)
                || layer.module.is_some_and(|m| !is_keras_module(m));
            (
                format!("rnnc does not know the class `{}`", layer.class),
                if custom {
                    CUSTOM_HINT.to_string()
                } else {
                    crate::front::layers::layer_hint(layer.class)
                },
            )
        }
    };
    layer.refuse(message, Some(hint))
}

/// `RNN`'s cell: one cell, or `StackedRNNCells` as the list of its cells.
fn cells_expr(layer: &LayerRef, value: &Value) -> Result<String> {
    let cell = LayerRef::nested(layer, "cell", value)?;
    if cell.class != "StackedRNNCells" {
        return layer_expr(cell, Role::Cell, Vec::new());
    }
    let cells = cell
        .config
        .get("cells")
        .and_then(Value::as_array)
        .ok_or_else(|| layer.refuse("its StackedRNNCells has no `cells` list".into(), None))?;
    let written = cells
        .iter()
        .map(|c| {
            layer_expr(
                LayerRef::nested(layer, "cell", c)?,
                Role::StackedCell,
                Vec::new(),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("[{}]", written.join(", ")))
}

/// Keras 3 always serializes a Bidirectional's backward layer, and a
/// backward layer equal to the forward one but for its name and
/// `go_backwards` is the copy Bidirectional makes itself: not written.
/// Another is written as `backward_layer=` for the frontend to read (or
/// refuse, naming what differs).
fn backward_is_copy(layer: &LayerRef, backward: &Value) -> bool {
    let strip = |v: Option<&Value>| -> Option<(Option<String>, Map<String, Value>)> {
        let v = v?;
        let mut config = v.get("config")?.as_object()?.clone();
        for key in ["name", "go_backwards"] {
            config.remove(key);
        }
        config.retain(|k, _| !training_only(k) && k != "shared_object_id");
        Some((v.get("class_name")?.as_str().map(str::to_string), config))
    };
    match (strip(layer.config.get("layer")), strip(Some(backward))) {
        (Some((fc, f)), Some((bc, b))) => {
            fc == bc
                && f.len() == b.len()
                && f.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

/// An activation as Keras wrote it: a name, or (Keras 3) a serialized
/// function.
fn activation(value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::String(name) => Ok(py_str(name)),
        Value::Null => Ok("None".into()),
        Value::Object(map) => match map.get("config") {
            Some(Value::String(name)) => Ok(py_str(name)),
            _ => Err(format!(
                "its activation is a custom object ({}), which rnnc cannot read",
                short(value)
            )),
        },
        other => Err(format!("its activation {} is not a name", short(other))),
    }
}

/// A config value as a Python literal; lists of numbers become tuples.
fn python(value: &Value) -> std::result::Result<String, String> {
    Ok(match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => number(n),
        Value::String(s) => py_str(s),
        Value::Array(items) => tuple(items)?,
        Value::Object(_) => {
            return Err(format!(
                "is an object ({}), which rnnc cannot write as a spec argument",
                short(value)
            ))
        }
    })
}

fn tuple(items: &[Value]) -> std::result::Result<String, String> {
    let parts: Vec<String> = items
        .iter()
        .map(python)
        .collect::<std::result::Result<_, _>>()?;
    Ok(match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    })
}

fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.is_finite() {
        format!("{f:?}")
    } else {
        "float('nan')".into()
    }
}

/// A Python string literal.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A value shortened for a message.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Writes a functional model: one statement per call, in an order where
/// every tensor is defined before it is used.
struct Functional<'a> {
    model: &'a KerasModel,
    by_name: HashMap<&'a str, &'a LayerEntry>,
    /// Operations that only compute masks (rnnc derives masks itself).
    mask_ops: HashSet<&'a str>,
}

impl<'a> Functional<'a> {
    fn new(model: &'a KerasModel) -> Result<Functional<'a>> {
        let by_name = model.layers.iter().map(|l| (l.name.as_str(), l)).collect();
        let mut f = Functional {
            model,
            by_name,
            mask_ops: HashSet::new(),
        };
        f.find_mask_ops()?;
        Ok(f)
    }

    /// Marks the operations feeding `mask=` arguments, and refuses a mask
    /// given explicitly (from a layer, not from Keras' own mask ops) and any
    /// operation used on data.
    fn find_mask_ops(&mut self) -> Result<()> {
        let mut stack: Vec<&TensorRef> = Vec::new();
        for entry in &self.model.layers {
            for node in &entry.nodes {
                for (key, arg) in &node.kwargs {
                    if key != "mask" {
                        continue;
                    }
                    for t in arg.tensors() {
                        let source = self.entry(entry, t)?;
                        if !is_operation(source) {
                            return Err(refusal(
                                entry,
                                format!("it is called with an explicit `mask=` (from `{}`)", t.layer),
                                Some("rnnc derives masks from Embedding(mask_zero=True) and Masking; an explicit mask is not supported yet".into()),
                            ));
                        }
                        stack.push(t);
                    }
                }
            }
        }
        while let Some(t) = stack.pop() {
            let Some(op) = self.by_name.get(t.layer.as_str()).copied() else {
                continue;
            };
            if !is_operation(op) || !self.mask_ops.insert(op.name.as_str()) {
                continue;
            }
            for node in &op.nodes {
                stack.extend(node.args.iter().flat_map(CallArg::tensors));
            }
        }
        for entry in &self.model.layers {
            if is_operation(entry) && !self.mask_ops.contains(entry.name.as_str()) {
                return Err(refusal(
                    entry,
                    "a Keras operation (`keras.ops`) used on a tensor is not supported".into(),
                    Some("use Keras layers for the model's computation".into()),
                ));
            }
        }
        Ok(())
    }

    /// The layer `t` names, seen from a call of `user`.
    fn entry(&self, user: &LayerEntry, t: &TensorRef) -> Result<&'a LayerEntry> {
        self.by_name.get(t.layer.as_str()).copied().ok_or_else(|| {
            refusal(
                user,
                format!(
                    "its call uses a tensor of `{}`, which the model does not have",
                    t.layer
                ),
                None,
            )
        })
    }

    fn write(&self, out: &mut String) -> Result<()> {
        let mut names = Names::default();
        // The variable of each defined tensor.
        let mut defined: HashMap<TensorRef, String> = HashMap::new();
        // Shared layers (several calls) get a variable of their own.
        let mut layer_vars: HashMap<&str, String> = HashMap::new();
        let pending: Vec<(&LayerEntry, usize)> = self
            .model
            .layers
            .iter()
            .filter(|e| !self.mask_ops.contains(e.name.as_str()))
            .flat_map(|e| {
                let calls = if e.class == "InputLayer" {
                    1
                } else {
                    e.nodes.len()
                };
                (0..calls).map(move |n| (e, n))
            })
            .collect();
        let mut done = vec![false; pending.len()];
        loop {
            let mut progressed = false;
            for (i, &(entry, n)) in pending.iter().enumerate() {
                if done[i] {
                    continue;
                }
                if entry.class == "InputLayer" {
                    let var = names.fresh(&entry.name);
                    out.push_str(&format!("{var} = {}\n", input_layer(entry)?));
                    defined.insert(tensor(&entry.name, 0, 0), var);
                    done[i] = true;
                    progressed = true;
                    continue;
                }
                let node = &entry.nodes[n];
                let ready = self.inputs_of(node).all(|t| defined.contains_key(t));
                if !ready {
                    continue;
                }
                let callee = if entry.nodes.len() > 1 {
                    match layer_vars.get(entry.name.as_str()) {
                        Some(var) => var.clone(),
                        None => {
                            let var = names.fresh(&format!("{}_layer", entry.name));
                            out.push_str(&format!(
                                "{var} = {}\n",
                                layer_expr(entry.into(), Role::TopLevel, Vec::new())?
                            ));
                            layer_vars.insert(&entry.name, var.clone());
                            var
                        }
                    }
                } else {
                    layer_expr(entry.into(), Role::TopLevel, Vec::new())?
                };
                let call = self.call_args(entry, node, &defined)?;
                let base = if entry.nodes.len() > 1 {
                    format!("{}_{n}", entry.name)
                } else {
                    entry.name.clone()
                };
                let mut vars: Vec<String> = Vec::new();
                let mut k = 0;
                for group in self.output_groups(entry, node) {
                    let group_vars: Vec<String> = group
                        .iter()
                        .map(|what| {
                            let var = names.fresh(&if what.is_empty() {
                                base.clone()
                            } else {
                                format!("{base}_{what}")
                            });
                            defined.insert(tensor(&entry.name, n, k), var.clone());
                            k += 1;
                            var
                        })
                        .collect();
                    // A group of several (a stacked LSTM cell's `[h, c]`) is
                    // unpacked in place.
                    vars.push(match group_vars.as_slice() {
                        [one] => one.clone(),
                        _ => format!("({})", group_vars.join(", ")),
                    });
                }
                out.push_str(&format!("{} = {callee}({call})\n", vars.join(", ")));
                done[i] = true;
                progressed = true;
            }
            if done.iter().all(|d| *d) {
                break;
            }
            if !progressed {
                let (entry, n) = pending[done.iter().position(|d| !d).unwrap_or(0)];
                let missing = self
                    .inputs_of(&entry.nodes[n])
                    .find(|t| !defined.contains_key(*t))
                    .map_or_else(String::new, |t| {
                        format!("`{}` output {} of call {}", t.layer, t.tensor, t.node)
                    });
                return Err(refusal(
                    entry,
                    format!("its call uses {missing}, which no layer of the model produces"),
                    None,
                ));
            }
        }
        let endpoint = |e: &Endpoints, what: &str| -> Result<String> {
            let var = |t: &TensorRef| {
                defined.get(t).cloned().ok_or_else(|| Refusal {
                    layer: t.layer.clone(),
                    class: "model".into(),
                    message: format!(
                        "the model's {what} name output {} of call {}, which does not exist",
                        t.tensor, t.node
                    ),
                    hint: None,
                })
            };
            Ok(match e {
                Endpoints::One(t) => var(t)?,
                Endpoints::List(all) => format!(
                    "[{}]",
                    all.iter().map(var).collect::<Result<Vec<_>>>()?.join(", ")
                ),
                Endpoints::Missing => "[]".into(),
            })
        };
        let inputs = endpoint(&self.model.inputs, "inputs")?;
        let outputs = endpoint(&self.model.outputs, "outputs")?;
        let name = self
            .model
            .name
            .as_ref()
            .map_or(String::new(), |n| format!(", name={}", py_str(n)));
        out.push_str(&format!(
            "model = keras.Model(inputs={inputs}, outputs={outputs}{name})\n"
        ));
        Ok(())
    }

    /// The tensors a call reads (its mask tensors excepted).
    fn inputs_of<'n>(&self, node: &'n Node) -> impl Iterator<Item = &'n TensorRef> {
        node.args
            .iter()
            .chain(
                node.kwargs
                    .iter()
                    .filter(|(k, _)| k != "mask")
                    .map(|(_, v)| v),
            )
            .flat_map(CallArg::tensors)
    }

    /// The arguments of a call, as written between its parentheses.
    fn call_args(
        &self,
        entry: &LayerEntry,
        node: &Node,
        defined: &HashMap<TensorRef, String>,
    ) -> Result<String> {
        let arg = |a: &CallArg| -> Result<String> { write_arg(entry, a, defined) };
        let mut parts: Vec<String> = node.args.iter().map(arg).collect::<Result<_>>()?;
        for (key, value) in &node.kwargs {
            match (key.as_str(), value) {
                // Masks are derived, as Keras derived them; `training` is
                // inference.
                ("mask" | "training", _) => {}
                (_, CallArg::Value(Value::Null)) => {}
                _ => parts.push(format!("{key}={}", arg(value)?)),
            }
        }
        Ok(parts.join(", "))
    }

    /// What each tensor a call returns is called (the layer's name, and for
    /// states and scores the name with what they are), grouped as Keras
    /// returns them: one tensor each, but a stacked LSTM cell's states as a
    /// pair (`RNN([cells], return_state=True)` returns `out, [h, c], h`).
    fn output_groups(&self, entry: &LayerEntry, node: &Node) -> Vec<Vec<String>> {
        let flag = |config: &Map<String, Value>, key: &str| {
            config.get(key).and_then(Value::as_bool) == Some(true)
        };
        let single = |name: &str| vec![name.to_string()];
        // An LSTM carries h and c; `RNN(LSTMCell)` too, and a stack of cells
        // each cell's, as a group per cell.
        let states = |class: &str, config: &Map<String, Value>| -> Vec<Vec<String>> {
            fn class_of(c: &Value) -> Option<&str> {
                c.get("class_name").and_then(Value::as_str)
            }
            let per_cell = |cell: Option<&str>| -> &'static [&'static str] {
                match (class, cell) {
                    ("LSTM" | "CuDNNLSTM", _) | ("RNN", Some("LSTMCell")) => &["h", "c"],
                    _ => &["h"],
                }
            };
            let cell = config.get("cell");
            match cell.and_then(|c| c.get("config")?.get("cells")?.as_array()) {
                Some(cells) => cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        per_cell(class_of(c))
                            .iter()
                            .map(|state| format!("{state}{i}"))
                            .collect()
                    })
                    .collect(),
                None => per_cell(cell.and_then(class_of))
                    .iter()
                    .map(|state| single(state))
                    .collect(),
            }
        };
        let mut groups = vec![single("")];
        match entry.class.as_str() {
            "SimpleRNN" | "LSTM" | "GRU" | "RNN" | "CuDNNLSTM" | "CuDNNGRU"
                if flag(&entry.config, "return_state") =>
            {
                groups.extend(states(&entry.class, &entry.config));
            }
            "Bidirectional" => {
                let inner = entry.config.get("layer");
                let inner_class = inner
                    .and_then(|l| l.get("class_name"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if entry.config.get("merge_mode").is_some_and(Value::is_null) {
                    groups = vec![single("forward"), single("backward")];
                }
                let inner_config = inner
                    .and_then(|l| l.get("config"))
                    .and_then(Value::as_object);
                if let Some(inner_config) = inner_config.filter(|c| flag(c, "return_state")) {
                    for direction in ["forward", "backward"] {
                        for state in states(inner_class, inner_config).concat() {
                            groups.push(vec![format!("{direction}_{state}")]);
                        }
                    }
                }
            }
            "Attention" | "AdditiveAttention" | "MultiHeadAttention"
                if node.kwargs.iter().any(|(k, v)| {
                    k == "return_attention_scores" && matches!(v, CallArg::Value(Value::Bool(true)))
                }) =>
            {
                groups.push(single("scores"));
            }
            _ => {}
        }
        groups
    }
}

fn write_arg(
    entry: &LayerEntry,
    arg: &CallArg,
    defined: &HashMap<TensorRef, String>,
) -> Result<String> {
    match arg {
        CallArg::Tensor(t) => defined.get(t).cloned().ok_or_else(|| {
            refusal(
                entry,
                format!(
                    "its call uses output {} of call {} of `{}`, which that layer does not return",
                    t.tensor, t.node, t.layer
                ),
                None,
            )
        }),
        CallArg::List(items) => Ok(format!(
            "[{}]",
            items
                .iter()
                .map(|a| write_arg(entry, a, defined))
                .collect::<Result<Vec<_>>>()?
                .join(", ")
        )),
        CallArg::Value(v) => {
            python(v).map_err(|m| refusal(entry, format!("a call argument {m}"), None))
        }
    }
}

fn tensor(layer: &str, node: usize, tensor: usize) -> TensorRef {
    TensorRef {
        layer: layer.to_string(),
        node,
        tensor,
    }
}

/// Python variable names, unique, from layer names.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
}

/// Names the spec itself uses, and Python's constants (its keywords are
/// the parser's).
const RESERVED: &[&str] = &[
    "keras",
    "layers",
    "model",
    "tf",
    "np",
    "Input",
    "Model",
    "Sequential",
    "False",
    "None",
    "True",
];

impl Names {
    fn fresh(&mut self, wanted: &str) -> String {
        let mut base: String = wanted
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert(0, '_');
        }
        if RESERVED.contains(&base.as_str()) || crate::front::parser::is_keyword(&base) {
            base.push('_');
        }
        let mut candidate = base.clone();
        let mut k = 2;
        while !self.used.insert(candidate.clone()) {
            candidate = format!("{base}_v{k}");
            k += 1;
        }
        candidate
    }
}
