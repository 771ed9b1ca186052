//! The layers found around recurrent ones in functional models: their
//! argument schemas and lowering (`Flatten`, `Reshape`, `Permute`, the
//! poolings, `Conv1D`, the normalizations, attention, `Dot`, the activation
//! layers, `Masking`, and the layers that are the identity at inference).
//!
//! Arguments that only matter for training (`momentum`, `dropout`, `seed`,
//! regularizers) are accepted; options rnnc does not compile (another
//! `axis`, `keepdims=True`, `rms_scaling=True`) are refused by name.

use super::ast::{Expr, ExprKind};
use super::error::FrontError;
use super::values::{Args, Cx, Schema};
use crate::ir::{
    Activation, ActivationLayer, Attention, Conv1D, Identity, Initializer, LayerKind, Merge,
    Normalization, Padding, Pool, Pooling1D, Reshape,
};

/// Keyword arguments every layer takes (as in `layers.rs`).
const LAYER: &[&str] = &[
    "name",
    "dtype",
    "input_shape",
    "batch_input_shape",
    "batch_shape",
    "batch_size",
];

/// Training-time arguments, accepted and unused at inference.
const TRAINING: &[&str] = &[
    "seed",
    "noise_shape",
    "trainable",
    "beta_regularizer",
    "gamma_regularizer",
    "beta_constraint",
    "gamma_constraint",
    "activity_regularizer",
];

/// The layers of this module, by Keras class name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AroundType {
    Identity(Identity),
    Flatten,
    Reshape,
    Permute,
    GlobalPooling(Pool),
    LayerNormalization,
    BatchNormalization,
    Attention,
    AdditiveAttention,
    Dot,
    Conv1D,
    Pooling1D(Pool),
    Relu,
    LeakyRelu,
    Elu,
    Softmax,
    Prelu,
    Masking,
}

/// Keras class names of this module's layers.
pub const AROUND_NAMES: &[(&str, AroundType)] = &[
    (
        "SpatialDropout1D",
        AroundType::Identity(Identity::SpatialDropout1D),
    ),
    (
        "GaussianNoise",
        AroundType::Identity(Identity::GaussianNoise),
    ),
    (
        "GaussianDropout",
        AroundType::Identity(Identity::GaussianDropout),
    ),
    (
        "ActivityRegularization",
        AroundType::Identity(Identity::ActivityRegularization),
    ),
    ("Flatten", AroundType::Flatten),
    ("Reshape", AroundType::Reshape),
    ("Permute", AroundType::Permute),
    (
        "GlobalAveragePooling1D",
        AroundType::GlobalPooling(Pool::Average),
    ),
    ("GlobalMaxPooling1D", AroundType::GlobalPooling(Pool::Max)),
    ("LayerNormalization", AroundType::LayerNormalization),
    ("BatchNormalization", AroundType::BatchNormalization),
    ("Attention", AroundType::Attention),
    ("AdditiveAttention", AroundType::AdditiveAttention),
    ("Dot", AroundType::Dot),
    ("Conv1D", AroundType::Conv1D),
    ("MaxPooling1D", AroundType::Pooling1D(Pool::Max)),
    ("AveragePooling1D", AroundType::Pooling1D(Pool::Average)),
    ("ReLU", AroundType::Relu),
    ("LeakyReLU", AroundType::LeakyRelu),
    ("ELU", AroundType::Elu),
    ("Softmax", AroundType::Softmax),
    ("PReLU", AroundType::Prelu),
    ("Masking", AroundType::Masking),
];

impl AroundType {
    /// The constructor's arguments, in Keras' order.
    pub fn schema(self) -> &'static Schema {
        match self {
            AroundType::Identity(Identity::SpatialDropout1D | Identity::GaussianDropout) => {
                &Schema {
                    callee: "dropout layer",
                    positional: &["rate"],
                    keywords: &[LAYER, TRAINING],
                }
            }
            AroundType::Identity(Identity::GaussianNoise) => &Schema {
                callee: "GaussianNoise",
                positional: &["stddev"],
                keywords: &[LAYER, TRAINING],
            },
            AroundType::Identity(Identity::ActivityRegularization) => &Schema {
                callee: "ActivityRegularization",
                positional: &["l1", "l2"],
                keywords: &[LAYER, TRAINING],
            },
            AroundType::Flatten => &Schema {
                callee: "Flatten",
                positional: &["data_format"],
                keywords: &[LAYER],
            },
            AroundType::Reshape => &Schema {
                callee: "Reshape",
                positional: &["target_shape"],
                keywords: &[LAYER],
            },
            AroundType::Permute => &Schema {
                callee: "Permute",
                positional: &["dims"],
                keywords: &[LAYER],
            },
            AroundType::GlobalPooling(_) => &Schema {
                callee: "a global pooling",
                positional: &["data_format", "keepdims"],
                keywords: &[LAYER],
            },
            AroundType::LayerNormalization => &Schema {
                callee: "LayerNormalization",
                positional: &[
                    "axis",
                    "epsilon",
                    "center",
                    "scale",
                    "rms_scaling",
                    "beta_initializer",
                    "gamma_initializer",
                ],
                keywords: &[LAYER, TRAINING],
            },
            AroundType::BatchNormalization => &Schema {
                callee: "BatchNormalization",
                positional: &[
                    "axis",
                    "momentum",
                    "epsilon",
                    "center",
                    "scale",
                    "beta_initializer",
                    "gamma_initializer",
                    "moving_mean_initializer",
                    "moving_variance_initializer",
                ],
                keywords: &[LAYER, TRAINING, &["synchronized", "renorm"]],
            },
            AroundType::Attention => &Schema {
                callee: "Attention",
                positional: &["use_scale", "score_mode", "dropout", "seed"],
                keywords: &[LAYER, TRAINING],
            },
            AroundType::AdditiveAttention => &Schema {
                callee: "AdditiveAttention",
                positional: &["use_scale", "dropout"],
                keywords: &[LAYER, TRAINING],
            },
            AroundType::Dot => &Schema {
                callee: "Dot",
                positional: &["axes", "normalize"],
                keywords: &[LAYER],
            },
            AroundType::Conv1D => &Schema {
                callee: "Conv1D",
                positional: &[
                    "filters",
                    "kernel_size",
                    "strides",
                    "padding",
                    "data_format",
                    "dilation_rate",
                    "groups",
                    "activation",
                    "use_bias",
                    "kernel_initializer",
                    "bias_initializer",
                ],
                keywords: &[
                    LAYER,
                    TRAINING,
                    &[
                        "kernel_regularizer",
                        "bias_regularizer",
                        "kernel_constraint",
                        "bias_constraint",
                    ],
                ],
            },
            AroundType::Pooling1D(_) => &Schema {
                callee: "a pooling",
                positional: &["pool_size", "strides", "padding", "data_format"],
                keywords: &[LAYER],
            },
            AroundType::Relu => &Schema {
                callee: "ReLU",
                positional: &["max_value", "negative_slope", "threshold"],
                keywords: &[LAYER],
            },
            AroundType::LeakyRelu => &Schema {
                callee: "LeakyReLU",
                positional: &["negative_slope"],
                keywords: &[LAYER],
            },
            AroundType::Elu => &Schema {
                callee: "ELU",
                positional: &["alpha"],
                keywords: &[LAYER],
            },
            AroundType::Softmax => &Schema {
                callee: "Softmax",
                positional: &["axis"],
                keywords: &[LAYER],
            },
            AroundType::Masking => &Schema {
                callee: "Masking",
                positional: &["mask_value"],
                keywords: &[LAYER],
            },
            AroundType::Prelu => &Schema {
                callee: "PReLU",
                positional: &[
                    "alpha_initializer",
                    "alpha_regularizer",
                    "alpha_constraint",
                    "shared_axes",
                ],
                keywords: &[LAYER],
            },
        }
    }
}

/// Refuses `arg` unless it has Keras' default, written as `default` (or
/// absent); `what` names the supported value in the message.
fn default_only(
    cx: &mut Cx,
    args: &Args,
    arg: &str,
    is_default: impl Fn(&Expr) -> bool,
    supported: &str,
) {
    if let Some(value) = args.value(arg) {
        if !is_default(value) {
            cx.error(FrontError::Unsupported {
                what: format!("`{arg}={}`", value.describe()),
                span: value.span,
                hint: Some(format!("rnnc compiles {supported}")),
            });
        }
    }
}

fn is_minus_one(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Neg(inner) => inner.kind == ExprKind::Int(1),
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            items.len() == 1 && is_minus_one(&items[0])
        }
        _ => false,
    }
}

/// Whether `e` names `init` (`"ones"`, `"Ones"`).
fn names_initializer(e: &Expr, init: Initializer) -> bool {
    matches!(&e.kind, ExprKind::Str(s) if Initializer::from_name(s) == Some(init))
}

fn is_false(e: &Expr) -> bool {
    e.kind == ExprKind::Bool(false)
}

fn is_channels_last(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Str(s) if s == "channels_last") || e.kind == ExprKind::None
}

fn flag(cx: &mut Cx, args: &Args, name: &str, default: bool) -> bool {
    args.value(name)
        .and_then(|e| cx.boolean(name, e))
        .unwrap_or(default)
}

fn whole_numbers(cx: &mut Cx, arg: &str, e: &Expr) -> Option<Vec<i64>> {
    match &e.kind {
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().map(|i| cx.axis(arg, i)).collect()
        }
        _ => {
            cx.wrong(arg, "a tuple of whole numbers", e);
            None
        }
    }
}

/// A number (int or float, possibly negative).
fn number(cx: &mut Cx, arg: &str, e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Int(i) => Some(*i as f64),
        ExprKind::Float(f) => Some(*f),
        ExprKind::Neg(inner) => number(cx, arg, inner).map(|v| -v),
        _ => {
            cx.wrong(arg, "a number", e);
            None
        }
    }
}

/// A number argument with a default.
fn number_or(cx: &mut Cx, args: &Args, arg: &str, default: f64) -> f64 {
    args.value(arg)
        .and_then(|e| number(cx, arg, e))
        .unwrap_or(default)
}

/// A positive size given as `n` or `(n,)`, with a default.
fn size_or(cx: &mut Cx, args: &Args, arg: &str, default: u64) -> u64 {
    match args.value(arg) {
        None => default,
        Some(e) => {
            let e = match &e.kind {
                ExprKind::Tuple(items) | ExprKind::List(items) if items.len() == 1 => &items[0],
                _ => e,
            };
            cx.size(arg, e).unwrap_or(default)
        }
    }
}

/// `padding=`: `valid`, `same`, or (where `causal` allows it) `causal`.
fn padding(cx: &mut Cx, args: &Args, causal: bool) -> Padding {
    let Some(e) = args.value("padding") else {
        return Padding::Valid;
    };
    match cx.string("padding", e).map(|s| s.to_lowercase()).as_deref() {
        Some("valid") => Padding::Valid,
        Some("same") => Padding::Same,
        Some("causal") if causal => Padding::Causal,
        Some(other) => {
            cx.error(FrontError::InvalidValue {
                arg: "padding".into(),
                message: format!("'{other}' is not a padding"),
                span: e.span,
                hint: Some(
                    if causal {
                        "use 'valid', 'same' or 'causal'"
                    } else {
                        "use 'valid' or 'same'"
                    }
                    .into(),
                ),
            });
            Padding::Valid
        }
        None => Padding::Valid,
    }
}

/// Lowers one of this module's layers from its bound arguments.
pub fn lower(cx: &mut Cx, args: &Args, t: AroundType) -> Option<LayerKind> {
    Some(match t {
        AroundType::Identity(i) => LayerKind::Identity(i),
        AroundType::Flatten => {
            default_only(
                cx,
                args,
                "data_format",
                is_channels_last,
                "channels_last only",
            );
            LayerKind::Reshape(Reshape::Flatten)
        }
        AroundType::Reshape => {
            let target = args.required(cx, "target_shape")?;
            LayerKind::Reshape(Reshape::Reshape(whole_numbers(cx, "target_shape", target)?))
        }
        AroundType::Permute => {
            let dims = args.required(cx, "dims")?;
            let dims = whole_numbers(cx, "dims", dims)?;
            if dims.iter().any(|&d| d < 1) {
                cx.wrong(
                    "dims",
                    "axes counted from 1 (the batch axis is 0)",
                    args.value("dims")?,
                );
                return None;
            }
            LayerKind::Reshape(Reshape::Permute(dims.iter().map(|&d| d as usize).collect()))
        }
        AroundType::GlobalPooling(p) => {
            default_only(
                cx,
                args,
                "data_format",
                is_channels_last,
                "channels_last only",
            );
            default_only(cx, args, "keepdims", is_false, "keepdims=False only");
            LayerKind::GlobalPooling(p)
        }
        AroundType::LayerNormalization | AroundType::BatchNormalization => {
            let batch = t == AroundType::BatchNormalization;
            default_only(
                cx,
                args,
                "axis",
                is_minus_one,
                "normalization over the last axis (axis=-1)",
            );
            default_only(cx, args, "rms_scaling", is_false, "rms_scaling=False only");
            for (init, default) in [
                ("beta_initializer", Initializer::Zeros),
                ("gamma_initializer", Initializer::Ones),
                ("moving_mean_initializer", Initializer::Zeros),
                ("moving_variance_initializer", Initializer::Ones),
            ] {
                default_only(
                    cx,
                    args,
                    init,
                    |e| names_initializer(e, default),
                    "the default initializers; give the weights with --weights",
                );
            }
            let default_epsilon = 1e-3;
            LayerKind::Normalization(Normalization {
                batch,
                epsilon: args
                    .value("epsilon")
                    .and_then(|e| cx.rate("epsilon", e))
                    .unwrap_or(default_epsilon),
                center: flag(cx, args, "center", true),
                scale: flag(cx, args, "scale", true),
            })
        }
        AroundType::Attention | AroundType::AdditiveAttention => {
            let additive = t == AroundType::AdditiveAttention;
            let concat = match args.value("score_mode") {
                None => false,
                Some(e) => match cx.string("score_mode", e).as_deref() {
                    Some("dot") => false,
                    Some("concat") => true,
                    Some(other) => {
                        cx.error(FrontError::InvalidValue {
                            arg: "score_mode".into(),
                            message: format!("'{other}' is not a score mode"),
                            span: e.span,
                            hint: Some("use 'dot' or 'concat'".into()),
                        });
                        false
                    }
                    None => false,
                },
            };
            LayerKind::Attention(Attention {
                additive,
                use_scale: flag(cx, args, "use_scale", additive),
                concat,
                return_scores: false,
            })
        }
        AroundType::Dot => {
            let axes = args.required(cx, "axes")?;
            let axes = match &axes.kind {
                ExprKind::Tuple(_) | ExprKind::List(_) => {
                    let pair = whole_numbers(cx, "axes", axes)?;
                    let [a, b] = pair[..] else {
                        cx.wrong("axes", "one axis or a pair of axes", axes);
                        return None;
                    };
                    [a, b]
                }
                _ => {
                    let a = cx.axis("axes", axes)?;
                    [a, a]
                }
            };
            LayerKind::Merge(Merge::Dot {
                axes,
                normalize: flag(cx, args, "normalize", false),
            })
        }
        AroundType::Conv1D => {
            default_only(
                cx,
                args,
                "data_format",
                is_channels_last,
                "channels_last only",
            );
            let filters = args
                .required(cx, "filters")
                .and_then(|e| cx.size("filters", e))?;
            let kernel_size = match args.required(cx, "kernel_size") {
                Some(_) => size_or(cx, args, "kernel_size", 1),
                None => return None,
            };
            let initializer = |cx: &mut Cx, arg: &str, default| {
                args.value(arg)
                    .and_then(|e| cx.initializer(arg, e))
                    .unwrap_or(default)
            };
            LayerKind::Conv1D(Conv1D {
                filters,
                kernel_size,
                strides: size_or(cx, args, "strides", 1),
                padding: padding(cx, args, true),
                dilation_rate: size_or(cx, args, "dilation_rate", 1),
                groups: size_or(cx, args, "groups", 1),
                activation: args
                    .value("activation")
                    .and_then(|e| cx.activation("activation", e, None))
                    .unwrap_or(Activation::Linear),
                use_bias: flag(cx, args, "use_bias", true),
                kernel_initializer: initializer(
                    cx,
                    "kernel_initializer",
                    Initializer::GlorotUniform,
                ),
                bias_initializer: initializer(cx, "bias_initializer", Initializer::Zeros),
            })
        }
        AroundType::Pooling1D(pool) => {
            default_only(
                cx,
                args,
                "data_format",
                is_channels_last,
                "channels_last only",
            );
            let pool_size = size_or(cx, args, "pool_size", 2);
            let strides = match args.value("strides") {
                Some(e) if e.kind == ExprKind::None => pool_size,
                _ => size_or(cx, args, "strides", pool_size),
            };
            LayerKind::Pooling1D(Pooling1D {
                pool,
                pool_size,
                strides,
                padding: padding(cx, args, false),
            })
        }
        AroundType::Relu => LayerKind::ActivationLayer(ActivationLayer::Relu {
            max_value: match args.value("max_value") {
                Some(e) if e.kind != ExprKind::None => number(cx, "max_value", e).map(|v| v as f32),
                _ => None,
            },
            negative_slope: number_or(cx, args, "negative_slope", 0.0) as f32,
            threshold: number_or(cx, args, "threshold", 0.0) as f32,
        }),
        AroundType::LeakyRelu => LayerKind::ActivationLayer(ActivationLayer::LeakyRelu {
            negative_slope: number_or(cx, args, "negative_slope", 0.3) as f32,
        }),
        AroundType::Elu => LayerKind::ActivationLayer(ActivationLayer::Elu {
            alpha: number_or(cx, args, "alpha", 1.0) as f32,
        }),
        AroundType::Softmax => LayerKind::ActivationLayer(ActivationLayer::Softmax {
            axis: args
                .value("axis")
                .and_then(|e| cx.axis("axis", e))
                .unwrap_or(-1),
        }),
        AroundType::Prelu => {
            default_only(
                cx,
                args,
                "alpha_initializer",
                |e| names_initializer(e, Initializer::Zeros),
                "the default initializer; give the weights with --weights",
            );
            let shared_axes = match args.value("shared_axes") {
                None => Vec::new(),
                Some(e) if e.kind == ExprKind::None => Vec::new(),
                Some(e) => match &e.kind {
                    ExprKind::Int(_) => vec![cx.axis("shared_axes", e)?],
                    _ => whole_numbers(cx, "shared_axes", e)?,
                },
            };
            if shared_axes.iter().any(|&a| a < 1) {
                cx.wrong(
                    "shared_axes",
                    "axes counted from 1 (the batch axis is 0)",
                    args.value("shared_axes")?,
                );
                return None;
            }
            LayerKind::ActivationLayer(ActivationLayer::Prelu {
                shared_axes: shared_axes.iter().map(|&a| a as usize).collect(),
            })
        }
        AroundType::Masking => LayerKind::Masking {
            value: number_or(cx, args, "mask_value", 0.0) as f32,
        },
    })
}
