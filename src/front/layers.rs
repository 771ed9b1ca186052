//! The layers rnnc knows: their argument schemas (in Keras' constructor order)
//! and the lowering of one layer call to an [`ir::Layer`](crate::ir::Layer).

use super::around::{self, AroundType, AROUND_NAMES};
use super::ast::{Arg, Expr, ExprKind};
use super::error::{did_you_mean, FrontError};
use super::input::layer_input;
use super::values::{Args, Cx, Schema};
use crate::ir::{
    Activation, Bidirectional, CellKind, Dense, Embedding, Initializer, InputDecl, Layer,
    LayerKind, Merge, MergeMode, Recurrent,
};

/// The layer constructors, by Keras class name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerType {
    SimpleRnn,
    Lstm,
    Gru,
    Bidirectional,
    Dense,
    TimeDistributed,
    Embedding,
    Dropout,
    Activation,
    /// A merge layer (`Concatenate`, `Add`, …); its axis is read for
    /// `Concatenate`.
    Merge(Merge),
    RepeatVector,
    /// A layer of [`super::around`].
    Around(AroundType),
}

/// Keras class names of the layers rnnc knows.
pub const LAYER_NAMES: &[(&str, LayerType)] = &[
    ("SimpleRNN", LayerType::SimpleRnn),
    ("LSTM", LayerType::Lstm),
    ("GRU", LayerType::Gru),
    ("Bidirectional", LayerType::Bidirectional),
    ("Dense", LayerType::Dense),
    ("TimeDistributed", LayerType::TimeDistributed),
    ("Embedding", LayerType::Embedding),
    ("Dropout", LayerType::Dropout),
    ("Activation", LayerType::Activation),
    (
        "Concatenate",
        LayerType::Merge(Merge::Concatenate { axis: -1 }),
    ),
    ("Add", LayerType::Merge(Merge::Add)),
    ("Subtract", LayerType::Merge(Merge::Subtract)),
    ("Multiply", LayerType::Merge(Merge::Multiply)),
    ("Average", LayerType::Merge(Merge::Average)),
    ("Maximum", LayerType::Merge(Merge::Maximum)),
    ("Minimum", LayerType::Merge(Merge::Minimum)),
    ("RepeatVector", LayerType::RepeatVector),
];

/// Keras' functional forms of the merge layers (`layers.concatenate([a, b])`):
/// a layer made and called on its first argument at once.
pub const MERGE_FUNCTIONS: &[(&str, Merge)] = &[
    ("concatenate", Merge::Concatenate { axis: -1 }),
    ("add", Merge::Add),
    ("subtract", Merge::Subtract),
    ("multiply", Merge::Multiply),
    ("average", Merge::Average),
    ("maximum", Merge::Maximum),
    ("minimum", Merge::Minimum),
];

/// `Concatenate(axis=-1)`.
const CONCATENATE: Schema = Schema {
    callee: "Concatenate",
    positional: &["axis"],
    keywords: &[LAYER],
};

/// `concatenate(inputs, axis=-1)`.
pub const CONCATENATE_FUNCTION: Schema = Schema {
    callee: "concatenate",
    positional: &["inputs", "axis"],
    keywords: &[LAYER],
};

/// `add(inputs)` and the other functional merges.
pub const MERGE_FUNCTION: Schema = Schema {
    callee: "merge",
    positional: &["inputs"],
    keywords: &[LAYER],
};

/// The merge layers other than `Concatenate` take no arguments of their own.
const MERGE: Schema = Schema {
    callee: "Merge",
    positional: &[],
    keywords: &[LAYER],
};

const REPEAT_VECTOR: Schema = Schema {
    callee: "RepeatVector",
    positional: &["n"],
    keywords: &[LAYER],
};

/// Keyword arguments every layer takes.
const LAYER: &[&str] = &[
    "name",
    "dtype",
    "input_shape",
    "batch_input_shape",
    "batch_shape",
    "batch_size",
];

/// Keras 2's `input_length=` / `input_dim=` shorthand for recurrent layers.
pub(super) const RNN_SHAPE: &[&str] = &["input_length", "input_dim"];

/// The base `RNN` class's options: `stateful` (a streaming file),
/// `time_major` (refused when set), `zero_output_for_mask` and `unroll`
/// (which change the outputs at masked steps).
const RNN_FLAGS: &[&str] = &["stateful", "time_major", "zero_output_for_mask", "unroll"];

const SIMPLE_RNN: Schema = Schema {
    callee: "SimpleRNN",
    positional: &[
        "units",
        "activation",
        "use_bias",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "recurrent_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "recurrent_constraint",
        "bias_constraint",
        "dropout",
        "recurrent_dropout",
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "seed",
    ],
    keywords: &[LAYER, RNN_SHAPE, RNN_FLAGS],
};

const LSTM: Schema = Schema {
    callee: "LSTM",
    positional: &[
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "unit_forget_bias",
        "kernel_regularizer",
        "recurrent_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "recurrent_constraint",
        "bias_constraint",
        "dropout",
        "recurrent_dropout",
        "seed",
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "use_cudnn",
    ],
    keywords: &[LAYER, RNN_SHAPE, RNN_FLAGS],
};

const GRU: Schema = Schema {
    callee: "GRU",
    positional: &[
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "recurrent_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "recurrent_constraint",
        "bias_constraint",
        "dropout",
        "recurrent_dropout",
        "seed",
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "reset_after",
        "use_cudnn",
    ],
    keywords: &[LAYER, RNN_SHAPE, RNN_FLAGS],
};

const BIDIRECTIONAL: Schema = Schema {
    callee: "Bidirectional",
    positional: &["layer", "merge_mode", "weights", "backward_layer"],
    keywords: &[LAYER],
};

const DENSE: Schema = Schema {
    callee: "Dense",
    positional: &[
        "units",
        "activation",
        "use_bias",
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "bias_constraint",
    ],
    keywords: &[LAYER, &["input_dim"]],
};

const TIME_DISTRIBUTED: Schema = Schema {
    callee: "TimeDistributed",
    positional: &["layer"],
    keywords: &[LAYER],
};

/// Keras 2's order (`input_length` is Keras 2 only).
const EMBEDDING: Schema = Schema {
    callee: "Embedding",
    positional: &[
        "input_dim",
        "output_dim",
        "embeddings_initializer",
        "embeddings_regularizer",
        "activity_regularizer",
        "embeddings_constraint",
        "mask_zero",
        "input_length",
    ],
    keywords: &[LAYER],
};

const DROPOUT: Schema = Schema {
    callee: "Dropout",
    positional: &["rate", "noise_shape", "seed"],
    keywords: &[LAYER],
};

const ACTIVATION: Schema = Schema {
    callee: "Activation",
    positional: &["activation"],
    keywords: &[LAYER],
};

impl LayerType {
    /// The layer named by the last segment of a callee path.
    pub fn from_name(name: &str) -> Option<LayerType> {
        LAYER_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, t)| t)
            .or_else(|| {
                AROUND_NAMES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|&(_, t)| LayerType::Around(t))
            })
    }

    /// The constructor's parameter names, in Keras' order (positional ones
    /// first), including those accepted and ignored.
    pub fn parameters(self) -> impl Iterator<Item = &'static str> {
        self.schema().all()
    }

    fn schema(self) -> &'static Schema {
        match self {
            LayerType::SimpleRnn => &SIMPLE_RNN,
            LayerType::Lstm => &LSTM,
            LayerType::Gru => &GRU,
            LayerType::Bidirectional => &BIDIRECTIONAL,
            LayerType::Dense => &DENSE,
            LayerType::TimeDistributed => &TIME_DISTRIBUTED,
            LayerType::Embedding => &EMBEDDING,
            LayerType::Dropout => &DROPOUT,
            LayerType::Activation => &ACTIVATION,
            LayerType::Merge(Merge::Concatenate { .. }) => &CONCATENATE,
            LayerType::Merge(_) => &MERGE,
            LayerType::RepeatVector => &REPEAT_VECTOR,
            LayerType::Around(t) => t.schema(),
        }
    }
}

/// Keras 2 layers whose Keras 3 equivalent rnnc knows: Keras 3 dropped the
/// cuDNN classes and runs `LSTM`/`GRU` on cuDNN by itself when it can.
const CUDNN_LAYERS: &[(&str, &str)] = &[("CuDNNLSTM", "LSTM"), ("CuDNNGRU", "GRU")];

/// Keras' cell classes and the layer that is `RNN(cell)` for each.
const CELLS: &[(&str, &str)] = &[
    ("SimpleRNNCell", "SimpleRNN"),
    ("LSTMCell", "LSTM"),
    ("GRUCell", "GRU"),
];

/// The hint for a name that is not a layer: the equivalent layer for
/// Keras 2's cuDNN layers and for cells, else the closest layer name, else
/// the list.
pub(crate) fn layer_hint(name: &str) -> String {
    if let Some((_, layer)) = CUDNN_LAYERS.iter().find(|(n, _)| *n == name) {
        return format!(
            "use `{layer}` with the same arguments (Keras 3 picks cuDNN itself); \
             weights saved from a {name} cannot be read yet"
        );
    }
    if let Some((_, layer)) = CELLS.iter().find(|(n, _)| *n == name) {
        return format!("a cell is not a layer; use `{layer}(units, ...)`");
    }
    let all = || {
        LAYER_NAMES
            .iter()
            .map(|(n, _)| *n)
            .chain(AROUND_NAMES.iter().map(|(n, _)| *n))
    };
    did_you_mean(name, all()).unwrap_or_else(|| {
        let names: Vec<&str> = all().collect();
        format!("rnnc knows {}", names.join(", "))
    })
}

/// The hint for an unknown layer call: for `RNN(LSTMCell(8), return_sequences=True)`
/// the equivalent call `LSTM(8, return_sequences=True)`, else [`layer_hint`].
fn unknown_layer_hint(cx: &Cx, name: &str, args: &[Arg]) -> String {
    if name != "RNN" {
        return layer_hint(name);
    }
    let is_cell = |a: &Arg| a.keyword.as_ref().is_none_or(|k| k.name == "cell");
    let equivalent = args.iter().position(is_cell).and_then(|position| {
        let ExprKind::Call {
            func,
            args: cell_args,
        } = &args[position].value.kind
        else {
            return None;
        };
        let cell_name = cx.keras_name(func)?;
        let (cell_name, layer) = CELLS.iter().find(|(c, _)| *c == cell_name)?;
        let rest = args
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != position)
            .map(|(_, a)| a);
        let all: Vec<String> = cell_args.iter().chain(rest).map(describe_arg).collect();
        Some(format!(
            "use `{layer}({})`: RNN({cell_name}(...)) is Keras' {layer} layer",
            all.join(", ")
        ))
    });
    equivalent.unwrap_or_else(|| {
        "rnnc reads recurrent layers as SimpleRNN, LSTM or GRU; `RNN(LSTMCell(n))` is `LSTM(n)`"
            .into()
    })
}

/// Reports a call statement whose callee resembles a layer (a misspelt
/// layer, a cuDNN layer, a cell, `RNN(...)`) as an unknown layer with its
/// hint; returns whether it did.
pub fn report_unknown_layer(cx: &mut Cx, call: &Expr) -> bool {
    let ExprKind::Call { func, args } = &call.kind else {
        return false;
    };
    let Some(name) = cx.keras_name(func) else {
        return false;
    };
    let known = |table: &[(&str, &str)]| table.iter().any(|(n, _)| *n == name);
    let resembles = name == "RNN"
        || known(CUDNN_LAYERS)
        || known(CELLS)
        || did_you_mean(&name, LAYER_NAMES.iter().map(|(n, _)| *n)).is_some();
    if resembles {
        cx.error(FrontError::UnknownLayer {
            hint: Some(unknown_layer_hint(cx, &name, args)),
            name,
            span: func.span,
        });
    }
    resembles
}

/// An argument as written: `8`, `return_sequences=True`.
fn describe_arg(arg: &Arg) -> String {
    match &arg.keyword {
        Some(k) => format!("{}={}", k.name, arg.value.describe()),
        None => arg.value.describe(),
    }
}

/// Lowers a layer constructor call; reports and returns `None` when `expr` is
/// not a known layer. Bad arguments are reported and replaced by defaults.
pub fn lower_layer(cx: &mut Cx, expr: &Expr) -> Option<Layer> {
    let ExprKind::Call { func, args } = &expr.kind else {
        if let ExprKind::Name(_) = expr.kind {
            cx.wrong("layer", "a layer", expr);
        } else {
            cx.error(FrontError::ExpectedLayer {
                found: expr.describe(),
                span: expr.span,
            });
        }
        return None;
    };
    let Some(name) = cx.keras_name(func) else {
        cx.error(FrontError::ExpectedLayer {
            found: expr.describe(),
            span: expr.span,
        });
        return None;
    };
    let Some(layer_type) = LayerType::from_name(&name) else {
        cx.error(FrontError::UnknownLayer {
            hint: Some(unknown_layer_hint(cx, &name, args)),
            name,
            span: func.span,
        });
        return None;
    };
    let args = Args::bind(cx, layer_type.schema(), args, expr.span);
    let name = args.value("name").and_then(|e| cx.name(e));
    if let Some(dtype) = args.value("dtype") {
        cx.float32_dtype(dtype);
    }
    let mut input = layer_input(cx, &args, layer_type);
    let kind = match layer_type {
        LayerType::SimpleRnn | LayerType::Lstm | LayerType::Gru => {
            LayerKind::Recurrent(recurrent(cx, &args, layer_type))
        }
        LayerType::Bidirectional => {
            let (kind, inner_input) = bidirectional(cx, &args)?;
            if let Some(inner) = inner_input {
                if input.is_some() {
                    cx.error(FrontError::ConflictingShape {
                        message: "both Bidirectional and its inner layer have one".into(),
                        span: inner.span,
                    });
                }
                input = Some(inner);
            }
            kind
        }
        LayerType::Dense => LayerKind::Dense(dense(cx, &args)),
        LayerType::TimeDistributed => time_distributed(cx, &args)?,
        LayerType::Embedding => LayerKind::Embedding(embedding(cx, &args)),
        LayerType::Dropout => LayerKind::Dropout {
            rate: args
                .required(cx, "rate")
                .and_then(|e| cx.rate("rate", e))
                .unwrap_or(0.0),
        },
        LayerType::Activation => LayerKind::Activation(
            args.required(cx, "activation")
                .and_then(|e| cx.activation("activation", e, None))
                .unwrap_or(Activation::Linear),
        ),
        LayerType::Merge(m) => LayerKind::Merge(merge_axis(cx, &args, m)),
        LayerType::RepeatVector => LayerKind::RepeatVector {
            n: args
                .required(cx, "n")
                .and_then(|e| cx.size("n", e))
                .unwrap_or(1),
        },
        LayerType::Around(t) => around::lower(cx, &args, t)?,
    };
    Some(Layer {
        name,
        kind,
        input,
        span: expr.span,
    })
}

/// A merge with `Concatenate`'s `axis=` read (default -1).
pub(super) fn merge_axis(cx: &mut Cx, args: &Args, m: Merge) -> Merge {
    match m {
        Merge::Concatenate { .. } => Merge::Concatenate {
            axis: args
                .value("axis")
                .and_then(|e| cx.axis("axis", e))
                .unwrap_or(-1),
        },
        other => other,
    }
}

/// Reads an optional argument with `read`, falling back to `default`.
fn opt<T>(
    cx: &mut Cx,
    args: &Args,
    name: &str,
    default: T,
    read: impl FnOnce(&mut Cx, &str, &Expr) -> Option<T>,
) -> T {
    match args.get(name) {
        Some(bound) => read(cx, name, bound.value).unwrap_or(default),
        None => default,
    }
}

fn recurrent(cx: &mut Cx, args: &Args, layer_type: LayerType) -> Recurrent {
    let class = args.callee;
    let units = args
        .required(cx, "units")
        .and_then(|e| cx.size("units", e))
        .unwrap_or(1);
    let activation = opt(cx, args, "activation", Activation::Tanh, |cx, a, e| {
        cx.activation(a, e, Some(class))
    });
    let recurrent_activation = opt(
        cx,
        args,
        "recurrent_activation",
        Activation::Sigmoid,
        |cx, a, e| cx.activation(a, e, Some(class)),
    );
    let flag = |cx: &mut Cx, name: &str, default: bool| opt(cx, args, name, default, Cx::boolean);
    let cell = match layer_type {
        LayerType::Lstm => CellKind::Lstm {
            unit_forget_bias: flag(cx, "unit_forget_bias", true),
        },
        LayerType::Gru => CellKind::Gru {
            reset_after: flag(cx, "reset_after", true),
        },
        LayerType::SimpleRnn => CellKind::SimpleRnn,
        LayerType::Bidirectional
        | LayerType::Dense
        | LayerType::TimeDistributed
        | LayerType::Embedding
        | LayerType::Dropout
        | LayerType::Activation
        | LayerType::Merge(_)
        | LayerType::RepeatVector
        | LayerType::Around(_) => {
            unreachable!("recurrent layers are lowered from recurrent layer types only")
        }
    };
    if let Some(bound) = args.get("time_major") {
        cx.false_only(
            "time_major",
            bound.value,
            "give inputs as (batch, time, features)",
        );
    }
    Recurrent {
        cell,
        units,
        activation,
        recurrent_activation,
        use_bias: flag(cx, "use_bias", true),
        return_sequences: flag(cx, "return_sequences", false),
        return_state: flag(cx, "return_state", false),
        go_backwards: flag(cx, "go_backwards", false),
        zero_output_for_mask: flag(cx, "zero_output_for_mask", false),
        unroll: flag(cx, "unroll", false),
        stateful: flag(cx, "stateful", false),
        kernel_initializer: initializer(cx, args, "kernel_initializer", Initializer::GlorotUniform),
        recurrent_initializer: initializer(
            cx,
            args,
            "recurrent_initializer",
            Initializer::Orthogonal,
        ),
        bias_initializer: initializer(cx, args, "bias_initializer", Initializer::Zeros),
    }
}

fn initializer(cx: &mut Cx, args: &Args, name: &str, default: Initializer) -> Initializer {
    opt(cx, args, name, default, Cx::initializer)
}

fn bidirectional(cx: &mut Cx, args: &Args) -> Option<(LayerKind, Option<InputDecl>)> {
    let merge_mode = match args.get("merge_mode") {
        None => MergeMode::Concat,
        Some(bound) => match &bound.value.kind {
            ExprKind::None => MergeMode::None,
            _ => match cx.string("merge_mode", bound.value).as_deref() {
                Some("concat") => MergeMode::Concat,
                Some("sum") => MergeMode::Sum,
                Some("mul") => MergeMode::Mul,
                Some("ave") => MergeMode::Ave,
                Some(other) => {
                    cx.error(FrontError::InvalidValue {
                        arg: "merge_mode".into(),
                        message: format!("unknown merge mode '{other}'"),
                        span: bound.value.span,
                        hint: Some(
                            did_you_mean(other, ["concat", "sum", "mul", "ave"]).unwrap_or_else(
                                || "use 'concat', 'sum', 'mul', 'ave' or None".into(),
                            ),
                        ),
                    });
                    MergeMode::Concat
                }
                None => MergeMode::Concat,
            },
        },
    };
    for unsupported in ["backward_layer", "weights"] {
        if let Some(value) = args.value(unsupported) {
            cx.error(FrontError::Unsupported {
                what: format!("`{unsupported}` on Bidirectional"),
                span: value.span,
                hint: Some(
                    "the backward layer is always a copy of the forward one, with fresh weights"
                        .into(),
                ),
            });
        }
    }
    let inner_expr = args.required(cx, "layer")?;
    let inner = lower_layer(cx, inner_expr)?;
    let LayerKind::Recurrent(mut layer) = inner.kind else {
        cx.error(FrontError::BadWrapped {
            wrapper: "Bidirectional",
            inner: inner.kind.class_name().into(),
            span: inner.span,
            hint: "wrap a SimpleRNN, LSTM or GRU layer",
        });
        return None;
    };
    // Keras 3's Bidirectional forces `zero_output_for_mask` to
    // `return_sequences` on both copies (`force_zero_output_for_mask`).
    layer.zero_output_for_mask = layer.return_sequences;
    let kind = LayerKind::Bidirectional(Bidirectional {
        layer,
        inner_name: inner.name,
        merge_mode,
        inner_span: inner.span,
    });
    Some((kind, inner.input))
}

fn time_distributed(cx: &mut Cx, args: &Args) -> Option<LayerKind> {
    let inner_expr = args.required(cx, "layer")?;
    let inner = lower_layer(cx, inner_expr)?;
    if !matches!(inner.kind, LayerKind::Dense(_)) {
        cx.error(FrontError::BadWrapped {
            wrapper: "TimeDistributed",
            inner: inner.kind.class_name().into(),
            span: inner.span,
            hint: "rnnc supports TimeDistributed(Dense(...)) only",
        });
        return None;
    }
    if let Some(decl) = &inner.input {
        cx.error(FrontError::ConflictingShape {
            message: "an input shape on the layer inside TimeDistributed".into(),
            span: decl.span,
        });
    }
    Some(LayerKind::TimeDistributed(Box::new(inner)))
}

fn dense(cx: &mut Cx, args: &Args) -> Dense {
    Dense {
        units: args
            .required(cx, "units")
            .and_then(|e| cx.size("units", e))
            .unwrap_or(1),
        activation: opt(cx, args, "activation", Activation::Linear, |cx, a, e| {
            cx.activation(a, e, None)
        }),
        use_bias: opt(cx, args, "use_bias", true, Cx::boolean),
        kernel_initializer: initializer(cx, args, "kernel_initializer", Initializer::GlorotUniform),
        bias_initializer: initializer(cx, args, "bias_initializer", Initializer::Zeros),
    }
}

fn embedding(cx: &mut Cx, args: &Args) -> Embedding {
    let size = |cx: &mut Cx, name: &str| {
        args.required(cx, name)
            .and_then(|e| cx.size(name, e))
            .unwrap_or(1)
    };
    let input_dim = size(cx, "input_dim");
    let output_dim = size(cx, "output_dim");
    Embedding {
        mask_zero: opt(cx, args, "mask_zero", false, Cx::boolean),
        input_dim,
        output_dim,
        embeddings_initializer: initializer(
            cx,
            args,
            "embeddings_initializer",
            Initializer::RandomUniform,
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::Diagnostic;

    /// The (message, hint) of every error in `source`.
    fn errors(source: &str) -> Vec<(String, String)> {
        let diagnostics: Vec<Diagnostic> = crate::front::parse(source).unwrap_err();
        diagnostics
            .into_iter()
            .map(|d| (d.message, d.hint.unwrap_or_default()))
            .collect()
    }

    fn one_error(source: &str) -> (String, String) {
        let mut all = errors(source);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn slash_in_a_name_is_refused_as_keras_does() {
        for source in [
            "model = Sequential()\nmodel.add(LSTM(4, input_shape=(2, 3), name='enc/lstm'))\n",
            "Bidirectional(LSTM(4, name='a/b'), input_shape=(2, 3))\n",
            "model = Sequential(name='my/model')\nmodel.add(Dense(2, input_shape=(3,)))\n",
        ] {
            let (message, hint) = one_error(source);
            assert!(message.contains("contains `/`"), "{message}");
            assert!(hint.contains("separates weight paths"), "{hint}");
        }
        assert!(crate::front::parse("Dense(2, input_shape=(3,), name='a b')\n").is_ok());
    }

    #[test]
    fn only_float32_layers_are_accepted() {
        for dtype in [
            "'float64'",
            "'mixed_float16'",
            "'bfloat16'",
            "tf.float64",
            "keras.DTypePolicy('mixed_float16')",
        ] {
            let source = format!("LSTM(8, input_shape=(2, 3), dtype={dtype})\n");
            let (message, hint) = one_error(&source);
            assert!(message.starts_with("`dtype=") && message.ends_with("is not supported"));
            assert!(hint.contains("float32 only"), "{hint}");
        }
        for dtype in [
            "'float32'",
            "None",
            "tf.float32",
            "np.float32",
            "keras.DTypePolicy('float32')",
        ] {
            let source = format!("Dense(8, input_shape=(3,), dtype={dtype})\n");
            assert!(crate::front::parse(&source).is_ok(), "{dtype}");
        }
        let ids = "Input(shape=(4,), dtype='int32')\nEmbedding(10, 3)\n";
        assert!(crate::front::parse(ids).is_ok());
    }

    #[test]
    fn cudnn_layers_and_cells_name_the_equivalent_layer() {
        let (message, hint) = one_error("model = Sequential()\nmodel.add(CuDNNLSTM(8))\n");
        assert_eq!(message, "unknown layer `CuDNNLSTM`");
        assert!(hint.starts_with("use `LSTM` with the same arguments (Keras 3 picks cuDNN itself)"));
        let (_, hint) = one_error("CuDNNGRU(8, input_shape=(2, 3))\n");
        assert!(hint.starts_with("use `GRU`"), "{hint}");
        let (message, hint) =
            one_error("model = Sequential()\nmodel.add(RNN(LSTMCell(8), return_sequences=True))\n");
        assert_eq!(message, "unknown layer `RNN`");
        assert_eq!(
            hint,
            "use `LSTM(8, return_sequences=True)`: RNN(LSTMCell(...)) is Keras' LSTM layer"
        );
        for (cell, layer) in [("GRUCell", "GRU"), ("SimpleRNNCell", "SimpleRNN")] {
            let (_, hint) = one_error(&format!(
                "layers.RNN(layers.{cell}(4, activation='relu'))\n"
            ));
            assert!(
                hint.starts_with(&format!("use `{layer}(4, activation='relu')`")),
                "{hint}"
            );
        }
        let (_, hint) = one_error("model = Sequential()\nmodel.add(LSTMCell(8))\n");
        assert_eq!(hint, "a cell is not a layer; use `LSTM(units, ...)`");
    }

    #[test]
    fn misspelt_layers_and_arguments_get_did_you_mean() {
        for (typo, layer) in [("LTSM", "LSTM"), ("Dens", "Dense"), ("GUR", "GRU")] {
            for source in [
                format!("model = Sequential()\nmodel.add({typo}(8))\n"),
                format!("{typo}(8)\n"),
            ] {
                let (message, hint) = one_error(&source);
                assert_eq!(message, format!("unknown layer `{typo}`"));
                assert_eq!(hint, format!("did you mean `{layer}`?"));
            }
        }
        let (message, hint) = one_error("LSTM(8, input_shape=(2, 3), return_sequence=True)\n");
        assert_eq!(message, "unknown argument `return_sequence` for LSTM");
        assert_eq!(hint, "did you mean `return_sequences`?");
    }
}
