//! The layers rnnc knows: their argument schemas (in Keras' constructor order)
//! and the lowering of one layer call to an [`ir::Layer`](crate::ir::Layer).

use super::around::{self, AroundType, AROUND_NAMES};
use super::ast::{Expr, ExprKind};
use super::error::{did_you_mean, FrontError};
use super::input::layer_input;
use super::values::{Args, Cx, Schema};
use crate::ir::{
    Activation, Bidirectional, CellKind, Dense, Embedding, Initializer, InputDecl, Layer,
    LayerKind, Merge, MergeMode, Recurrent, RecurrentClass,
};

/// The layer constructors, by Keras class name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerType {
    SimpleRnn,
    Lstm,
    Gru,
    /// Keras 2's `CuDNNLSTM` and `CuDNNGRU`.
    CudnnLstm,
    CudnnGru,
    /// The generic `RNN(cell)`.
    Rnn,
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
    ("CuDNNLSTM", LayerType::CudnnLstm),
    ("CuDNNGRU", LayerType::CudnnGru),
    ("RNN", LayerType::Rnn),
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

/// Keras 2's `CuDNNLSTM`: no activations to choose (tanh and sigmoid),
/// always a bias.
const CUDNN_LSTM: Schema = Schema {
    callee: "CuDNNLSTM",
    positional: &[
        "units",
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
        "return_sequences",
        "return_state",
        "stateful",
    ],
    keywords: &[LAYER, RNN_SHAPE, &["go_backwards", "time_major"]],
};

/// Keras 2's `CuDNNGRU`: a GRU with `reset_after=True`.
const CUDNN_GRU: Schema = Schema {
    callee: "CuDNNGRU",
    positional: &[
        "units",
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
        "return_sequences",
        "return_state",
        "stateful",
    ],
    keywords: &[LAYER, RNN_SHAPE, &["go_backwards", "time_major"]],
};

/// `RNN(cell, return_sequences, ...)`: the cell's own arguments are read
/// with its layer's schema ([`CELLS`]).
const RNN: Schema = Schema {
    callee: "RNN",
    positional: &[
        "cell",
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "zero_output_for_mask",
    ],
    keywords: &[LAYER, RNN_SHAPE, &["time_major"]],
};

/// The arguments of the `RNN` wrapper, which a cell does not take.
const RNN_ONLY: &[&[&str]] = &[
    &["return_sequences", "return_state", "go_backwards"],
    RNN_FLAGS,
    RNN_SHAPE,
    &[
        "input_shape",
        "batch_input_shape",
        "batch_shape",
        "batch_size",
    ],
];

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
            LayerType::CudnnLstm => &CUDNN_LSTM,
            LayerType::CudnnGru => &CUDNN_GRU,
            LayerType::Rnn => &RNN,
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

/// Keras' cell classes and the layer that is `RNN(cell)` for each.
const CELLS: &[(&str, LayerType)] = &[
    ("SimpleRNNCell", LayerType::SimpleRnn),
    ("LSTMCell", LayerType::Lstm),
    ("GRUCell", LayerType::Gru),
];

/// The layer whose arguments a cell class (`LSTMCell`) takes.
pub fn cell_layer(name: &str) -> Option<LayerType> {
    CELLS.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
}

/// The hint for a name that is not a layer: for a cell, how to run it,
/// else the closest layer name, else the list.
pub(crate) fn layer_hint(name: &str) -> String {
    if let Some(layer) = cell_layer(name) {
        return format!(
            "a cell is not a layer; use `RNN({name}(units, ...))` or `{}(units, ...)`",
            layer.schema().callee
        );
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

/// Reports a call statement whose callee resembles a layer (a misspelt
/// layer, a cell) as an unknown layer with its hint; returns whether it did.
pub fn report_unknown_layer(cx: &mut Cx, call: &Expr) -> bool {
    let ExprKind::Call { func, .. } = &call.kind else {
        return false;
    };
    let Some(name) = cx.keras_name(func) else {
        return false;
    };
    let resembles = cell_layer(&name).is_some()
        || did_you_mean(&name, LAYER_NAMES.iter().map(|(n, _)| *n)).is_some();
    if resembles {
        cx.error(FrontError::UnknownLayer {
            hint: Some(layer_hint(&name)),
            name,
            span: func.span,
        });
    }
    resembles
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
            hint: Some(layer_hint(&name)),
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
        LayerType::SimpleRnn
        | LayerType::Lstm
        | LayerType::Gru
        | LayerType::CudnnLstm
        | LayerType::CudnnGru => LayerKind::Recurrent(recurrent(cx, &args, layer_type)),
        LayerType::Rnn => LayerKind::Recurrent(rnn(cx, &args)?),
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
        LayerType::Lstm | LayerType::CudnnLstm => CellKind::Lstm {
            unit_forget_bias: flag(cx, "unit_forget_bias", true),
        },
        // CuDNNGRU takes no `reset_after`: it is always true.
        LayerType::Gru | LayerType::CudnnGru => CellKind::Gru {
            reset_after: flag(cx, "reset_after", true),
        },
        LayerType::SimpleRnn => CellKind::SimpleRnn,
        LayerType::Rnn
        | LayerType::Bidirectional
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
        class: match layer_type {
            LayerType::CudnnLstm | LayerType::CudnnGru => RecurrentClass::Cudnn,
            _ => RecurrentClass::Dedicated,
        },
        stacked: Vec::new(),
        cell_names: Vec::new(),
    }
}

/// `RNN(cell, ...)`: the cell read as its layer (`LSTMCell(8)` as
/// `LSTM(8)`), then the wrapper's options. A list of cells is Keras'
/// `StackedRNNCells`: the first cell's settings are the layer's, the others
/// go to [`Recurrent::stacked`].
fn rnn(cx: &mut Cx, args: &Args) -> Option<Recurrent> {
    let cell_expr = args.required(cx, "cell")?;
    let (cell_exprs, stacked) = match &cell_expr.kind {
        ExprKind::List(items) | ExprKind::Tuple(items) if !items.is_empty() => {
            (items.iter().collect::<Vec<_>>(), items.len() > 1)
        }
        _ => (vec![cell_expr], false),
    };
    let mut cells = Vec::new();
    let mut names = Vec::new();
    for expr in cell_exprs {
        let (cell, name) = rnn_cell(cx, expr)?;
        cells.push(cell);
        names.push(name);
    }
    let mut layer = cells.remove(0);
    let flag = |cx: &mut Cx, name: &str| opt(cx, args, name, false, Cx::boolean);
    layer.return_sequences = flag(cx, "return_sequences");
    layer.return_state = flag(cx, "return_state");
    layer.go_backwards = flag(cx, "go_backwards");
    layer.stateful = flag(cx, "stateful");
    layer.unroll = flag(cx, "unroll");
    layer.zero_output_for_mask = flag(cx, "zero_output_for_mask");
    if let Some(bound) = args.get("time_major") {
        cx.false_only(
            "time_major",
            bound.value,
            "give inputs as (batch, time, features)",
        );
    }
    layer.class = RecurrentClass::Rnn;
    if stacked {
        layer.stacked = cells;
        layer.cell_names = names;
    }
    Some(layer)
}

/// One cell of `RNN(...)`, read with its layer's schema, and its `name=`.
fn rnn_cell(cx: &mut Cx, cell_expr: &Expr) -> Option<(Recurrent, Option<String>)> {
    let ExprKind::Call {
        func,
        args: cell_args,
    } = &cell_expr.kind
    else {
        cx.wrong("cell", "a cell (`LSTMCell(units)`)", cell_expr);
        return None;
    };
    let Some(layer_type) = cx.keras_name(func).and_then(|name| cell_layer(&name)) else {
        cx.error(FrontError::InvalidValue {
            arg: "cell".into(),
            message: format!("`{}` is not a cell rnnc knows", cell_expr.describe()),
            span: cell_expr.span,
            hint: Some("use SimpleRNNCell, LSTMCell or GRUCell".into()),
        });
        return None;
    };
    let cell_bound = Args::bind(cx, layer_type.schema(), cell_args, cell_expr.span);
    for flag in RNN_ONLY.iter().copied().flatten() {
        if let Some(bound) = cell_bound.get(flag) {
            cx.error(FrontError::Unsupported {
                what: format!("`{flag}` on a cell"),
                span: bound.span,
                hint: Some(format!("give `{flag}` to `RNN(...)`, not to the cell")),
            });
        }
    }
    let cell_name = cell_bound.value("name").and_then(|e| cx.name(e));
    Some((recurrent(cx, &cell_bound, layer_type), cell_name))
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
    if let Some(value) = args.value("weights") {
        cx.error(FrontError::Unsupported {
            what: "`weights` on Bidirectional".into(),
            span: value.span,
            hint: Some("give trained weights with `--weights`".into()),
        });
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
    if !layer.stacked.is_empty() {
        cx.error(FrontError::Unsupported {
            what: "Bidirectional over an `RNN` of several cells".into(),
            span: inner.span,
            hint: Some("wrap each cell's RNN in a Bidirectional of its own".into()),
        });
        return None;
    }
    // Keras 3's Bidirectional forces `zero_output_for_mask` to
    // `return_sequences` on both copies (`force_zero_output_for_mask`).
    layer.zero_output_for_mask = layer.return_sequences;
    let (backward, backward_name) = match args.value("backward_layer") {
        Some(expr) => backward_layer(cx, expr, &layer)?,
        None => (None, None),
    };
    let kind = LayerKind::Bidirectional(Bidirectional {
        layer,
        inner_name: inner.name,
        merge_mode,
        inner_span: inner.span,
        backward,
        explicit_backward: args.value("backward_layer").is_some(),
        backward_name,
    });
    Some((kind, inner.input))
}

/// `backward_layer=`: Keras requires the opposite `go_backwards` and the
/// forward layer's outputs; rnnc also requires its cell, units and bias,
/// so that only the activations and initializers may differ. A backward
/// layer equal to the forward one but for its direction is no layer of its
/// own (`None` settings).
fn backward_layer(
    cx: &mut Cx,
    expr: &Expr,
    forward: &Recurrent,
) -> Option<(Option<Recurrent>, Option<String>)> {
    let lowered = lower_layer(cx, expr)?;
    let LayerKind::Recurrent(mut backward) = lowered.kind else {
        cx.error(FrontError::BadWrapped {
            wrapper: "Bidirectional",
            inner: lowered.kind.class_name().into(),
            span: lowered.span,
            hint: "the backward layer is a SimpleRNN, LSTM or GRU layer",
        });
        return None;
    };
    if let Some(decl) = &lowered.input {
        cx.error(FrontError::ConflictingShape {
            message: "an input shape on the backward layer".into(),
            span: decl.span,
        });
    }
    let mut differs = Vec::new();
    if backward.go_backwards == forward.go_backwards {
        differs.push("`go_backwards` must differ from the forward layer's".to_string());
    }
    let same = [
        (
            "the cell",
            backward.cell == forward.cell && backward.class == forward.class,
        ),
        ("`units`", backward.units == forward.units),
        ("`use_bias`", backward.use_bias == forward.use_bias),
        (
            "`return_sequences`",
            backward.return_sequences == forward.return_sequences,
        ),
        (
            "`return_state`",
            backward.return_state == forward.return_state,
        ),
        ("`stateful`", backward.stateful == forward.stateful),
        ("`unroll`", backward.unroll == forward.unroll),
    ];
    differs.extend(
        same.iter()
            .filter(|(_, ok)| !ok)
            .map(|(what, _)| format!("{what} must be the forward layer's")),
    );
    if !differs.is_empty() {
        cx.error(FrontError::Unsupported {
            what: format!("this backward layer ({})", differs.join("; ")),
            span: lowered.span,
            hint: Some(
                "rnnc runs the forward layer's cell backwards; the backward layer may differ \
                 only in its activations and initializers"
                    .into(),
            ),
        });
        return None;
    }
    backward.zero_output_for_mask = backward.return_sequences;
    let copy = Recurrent {
        go_backwards: forward.go_backwards,
        ..backward.clone()
    };
    if copy == *forward {
        // The forward layer run backwards: what Bidirectional makes itself.
        return Some((None, lowered.name));
    }
    Some((Some(backward), lowered.name))
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
    fn cudnn_layers_and_rnn_cells_are_their_cells() {
        use crate::ir::{CellKind, LayerKind, RecurrentClass};
        let model = crate::front::parse(
            "model = Sequential()\n\
             model.add(CuDNNLSTM(8, return_sequences=True, input_shape=(None, 3)))\n\
             model.add(CuDNNGRU(4, return_sequences=True))\n\
             model.add(RNN(LSTMCell(5, recurrent_activation='hard_sigmoid'), return_sequences=True))\n\
             model.add(RNN([GRUCell(2, reset_after=False)], go_backwards=True))\n",
        )
        .unwrap();
        let recurrent: Vec<_> = model
            .layers
            .iter()
            .map(|l| match &l.kind {
                LayerKind::Recurrent(r) => r.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(recurrent[0].class, RecurrentClass::Cudnn);
        assert_eq!(recurrent[0].class_name(), "CuDNNLSTM");
        assert_eq!(recurrent[1].cell, CellKind::Gru { reset_after: true });
        assert_eq!(recurrent[1].keras_name_prefix(), "cu_dnngru");
        assert_eq!(recurrent[2].class, RecurrentClass::Rnn);
        assert_eq!(
            recurrent[2].recurrent_activation,
            crate::ir::Activation::HardSigmoid
        );
        assert!(recurrent[2].return_sequences);
        assert_eq!(recurrent[3].cell, CellKind::Gru { reset_after: false });
        assert!(recurrent[3].go_backwards && !recurrent[3].return_sequences);
    }

    #[test]
    fn keras2_hard_sigmoid_reaches_every_cell() {
        use crate::ir::{Activation, LayerKind};
        let source = "# rnnc: keras=2\n\
                      RNN([LSTMCell(4, recurrent_activation='hard_sigmoid'), \
                      GRUCell(3, activation='hard_sigmoid')], input_shape=(2, 3))\n";
        let model = crate::front::parse(source).unwrap();
        let LayerKind::Recurrent(r) = &model.layers[0].kind else {
            panic!("{:?}", model.layers[0].kind)
        };
        assert_eq!(r.recurrent_activation, Activation::HardSigmoidKeras2);
        assert_eq!(r.stacked[0].activation, Activation::HardSigmoidKeras2);
        assert!(!model.applies(Activation::HardSigmoid));
        let keras3 = crate::front::parse(&source.replace("keras=2", "keras=3")).unwrap();
        assert!(keras3.applies(Activation::HardSigmoid));
    }

    #[test]
    fn backward_layers_may_differ_in_activations_only() {
        use crate::ir::{Activation, LayerKind};
        let bidirectional =
            |source: &str| match crate::front::parse(source).unwrap().layers[0].kind.clone() {
                LayerKind::Bidirectional(b) => b,
                other => panic!("{other:?}"),
            };
        let b = bidirectional(
            "Bidirectional(LSTM(4), backward_layer=LSTM(4, go_backwards=True, \
             activation='relu', name='back'), input_shape=(2, 3))\n",
        );
        assert_eq!(b.backward_layer().activation, Activation::Relu);
        assert_eq!(b.layer.activation, Activation::Tanh);
        assert_eq!(b.backward_name.as_deref(), Some("back"));
        // The forward layer run backwards is Bidirectional's own copy.
        let b = bidirectional(
            "Bidirectional(GRU(4), backward_layer=GRU(4, go_backwards=True), input_shape=(2, 3))\n",
        );
        assert!(b.backward.is_none() && b.explicit_backward);
        let (message, hint) = one_error(
            "Bidirectional(LSTM(4), backward_layer=LSTM(5, go_backwards=True), input_shape=(2, 3))\n",
        );
        assert!(
            message.contains("`units` must be the forward layer's"),
            "{message}"
        );
        assert!(hint.contains("only in its activations"), "{hint}");
        let (message, _) =
            one_error("Bidirectional(LSTM(4), backward_layer=LSTM(4), input_shape=(2, 3))\n");
        assert!(message.contains("`go_backwards` must differ"), "{message}");
    }

    #[test]
    fn cells_outside_rnn_and_bidirectional_stacks_are_refused() {
        let (message, hint) = one_error("model = Sequential()\nmodel.add(LSTMCell(8))\n");
        assert_eq!(message, "unknown layer `LSTMCell`");
        assert_eq!(
            hint,
            "a cell is not a layer; use `RNN(LSTMCell(units, ...))` or `LSTM(units, ...)`"
        );
        let (message, hint) =
            one_error("Bidirectional(RNN([LSTMCell(4), GRUCell(3)]), input_shape=(2, 3))\n");
        assert!(message.contains("an `RNN` of several cells"), "{message}");
        assert!(hint.contains("a Bidirectional of its own"), "{hint}");
        let (message, hint) =
            one_error("RNN(LSTMCell(4, return_sequences=True), input_shape=(2, 3))\n");
        assert!(
            message.contains("`return_sequences` on a cell"),
            "{message}"
        );
        assert!(hint.contains("to `RNN(...)`"), "{hint}");
        let (message, _) = one_error("CuDNNLSTM(4, activation='relu', input_shape=(2, 3))\n");
        assert_eq!(message, "unknown argument `activation` for CuDNNLSTM");
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
