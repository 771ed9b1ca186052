//! Input declarations: `Input(...)` / `InputLayer(...)` for the model, and
//! the input shape keywords a layer may carry (`input_shape=`,
//! `batch_input_shape=`, `batch_size=`, Keras 2's `input_length=`/`input_dim=`).

use super::ast::{Expr, ExprKind};
use super::error::FrontError;
use super::layers::{LayerType, RNN_SHAPE};
use super::values::{Args, Cx, Schema};
use crate::diag::Span;
use crate::ir::{InputDecl, InputDtype};

/// `Input(shape, batch_size, ...)`; only the first two are positional in both
/// Keras 2 and Keras 3.
const INPUT: Schema = Schema {
    callee: "Input",
    positional: &["shape", "batch_size"],
    keywords: &[&["dtype", "name", "batch_shape", "optional"]],
};

/// `InputLayer(...)`, with both Keras 2 (`input_shape`, `batch_input_shape`)
/// and Keras 3 (`shape`, `batch_shape`) spellings.
const INPUT_LAYER: Schema = Schema {
    callee: "InputLayer",
    positional: &["shape", "batch_size", "dtype"],
    keywords: &[&[
        "input_shape",
        "batch_input_shape",
        "batch_shape",
        "name",
        "optional",
    ]],
};

/// The input shape given on a layer, in whichever Keras spelling.
pub(super) fn layer_input(cx: &mut Cx, args: &Args, layer_type: LayerType) -> Option<InputDecl> {
    let shorthand: &[&str] = match layer_type {
        LayerType::SimpleRnn
        | LayerType::Lstm
        | LayerType::Gru
        | LayerType::CudnnLstm
        | LayerType::CudnnGru
        | LayerType::Rnn => RNN_SHAPE,
        LayerType::Dense => &["input_dim"],
        LayerType::Embedding => &["input_length"],
        LayerType::Bidirectional
        | LayerType::TimeDistributed
        | LayerType::Dropout
        | LayerType::Activation
        | LayerType::Merge(_)
        | LayerType::RepeatVector
        | LayerType::Around(_) => &[],
    };
    let ways: Vec<(&str, Span)> = ["input_shape", "batch_input_shape", "batch_shape"]
        .iter()
        .chain(shorthand)
        .filter_map(|n| args.get(n).map(|b| (*n, b.span)))
        .collect();
    let batch_size = args.get("batch_size");
    let Some(&(first, first_span)) = ways.first() else {
        if let Some(bound) = batch_size {
            cx.error(FrontError::InvalidValue {
                arg: "batch_size".into(),
                message: "a batch size without an input shape".into(),
                span: bound.span,
                hint: Some("add `input_shape=(timesteps, features)`".into()),
            });
        }
        return None;
    };
    let mut span = first_span;
    let is_shorthand = |n: &str| shorthand.contains(&n);
    for &(other, other_span) in &ways[1..] {
        span = span.join(other_span);
        if !(is_shorthand(first) && is_shorthand(other)) {
            cx.error(FrontError::ConflictingShape {
                message: format!("`{first}` and `{other}`"),
                span: other_span,
            });
            return None;
        }
    }
    let mut batch = None;
    let dims = match first {
        "input_shape" => cx.shape(first, args.get(first)?.value)?,
        "batch_input_shape" | "batch_shape" => {
            let mut all = cx.shape(first, args.get(first)?.value)?;
            if all.is_empty() {
                cx.error(FrontError::InvalidValue {
                    arg: first.into(),
                    message: "the shape needs a batch dimension".into(),
                    span: first_span,
                    hint: None,
                });
                return None;
            }
            batch = all.remove(0);
            all
        }
        _ => {
            let dim = |cx: &mut Cx, n: &str| match args.get(n) {
                Some(b) => cx.dim(n, b.value),
                None => Some(None),
            };
            match layer_type {
                LayerType::Dense => vec![dim(cx, "input_dim")?],
                LayerType::Embedding => vec![dim(cx, "input_length")?],
                _ => {
                    let steps = dim(cx, "input_length");
                    vec![steps?, dim(cx, "input_dim")?]
                }
            }
        }
    };
    if let Some(bound) = batch_size {
        span = span.join(bound.span);
        if batch.is_some() || first == "batch_input_shape" || first == "batch_shape" {
            cx.error(FrontError::ConflictingShape {
                message: format!("`{first}` and `batch_size`"),
                span: bound.span,
            });
        } else {
            batch = cx.dim("batch_size", bound.value)?;
        }
    }
    Some(InputDecl {
        batch,
        dims,
        dtype: (layer_type == LayerType::Embedding).then_some(InputDtype::Int32),
        span,
    })
}

/// Lowers `Input(shape=..., batch_size=..., dtype=...)` or `InputLayer(...)`
/// to the model input.
pub fn lower_input(cx: &mut Cx, expr: &Expr) -> Option<InputDecl> {
    let ExprKind::Call { func, args } = &expr.kind else {
        return None;
    };
    let schema = match cx.keras_name(func).as_deref() {
        Some("InputLayer") => &INPUT_LAYER,
        _ => &INPUT,
    };
    let args = Args::bind(cx, schema, args, expr.span);
    let dtype = match args.value("dtype") {
        None => None,
        Some(value) => match cx.string("dtype", value).as_deref() {
            Some("float32") => Some(InputDtype::Float32),
            Some("int32") => Some(InputDtype::Int32),
            Some("int64") => Some(InputDtype::Int64),
            Some(other) => {
                cx.error(FrontError::InvalidValue {
                    arg: "dtype".into(),
                    message: format!("'{other}' is not a supported input type"),
                    span: value.span,
                    hint: Some("use 'float32', 'int32' or 'int64'".into()),
                });
                None
            }
            None => None,
        },
    };
    if let Some(name) = args.value("name") {
        cx.string("name", name);
    }
    let shape = one_of(cx, &args, &["shape", "input_shape"]);
    let batch_shape = one_of(cx, &args, &["batch_shape", "batch_input_shape"]);
    let (batch, dims) = match (shape, batch_shape) {
        (Some(_), Some(value)) => {
            cx.error(FrontError::ConflictingShape {
                message: "`shape` and `batch_shape`".into(),
                span: value.span,
            });
            return None;
        }
        (Some(shape), None) => {
            let batch = match args.value("batch_size") {
                Some(b) => cx.dim("batch_size", b)?,
                None => None,
            };
            (batch, cx.shape("shape", shape)?)
        }
        (None, Some(value)) => {
            let mut all = cx.shape("batch_shape", value)?;
            if all.is_empty() {
                cx.wrong("batch_shape", "a shape with a batch dimension", value);
                return None;
            }
            let batch = all.remove(0);
            (batch, all)
        }
        (None, None) => {
            cx.error(FrontError::MissingArgument {
                callee: "Input".into(),
                arg: "shape".into(),
                span: expr.span,
            });
            return None;
        }
    };
    Some(InputDecl {
        batch,
        dims,
        dtype,
        span: expr.span,
    })
}

/// The value of whichever of `names` (spellings of one parameter) is given,
/// reporting a conflict when several are.
fn one_of<'a>(cx: &mut Cx, args: &Args<'a>, names: &[&str]) -> Option<&'a Expr> {
    let given: Vec<(&str, &'a Expr)> = names
        .iter()
        .filter_map(|n| args.value(n).map(|v| (*n, v)))
        .collect();
    if let [(first, _), (second, value), ..] = given[..] {
        cx.error(FrontError::ConflictingShape {
            message: format!("`{first}` and `{second}`"),
            span: value.span,
        });
    }
    given.first().map(|&(_, v)| v)
}
