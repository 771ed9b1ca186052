//! The layers found around recurrent ones in functional models: their
//! argument schemas and lowering (`Flatten`, `Reshape`, `Permute`, the
//! global poolings, the normalizations, attention, `Dot`, and the layers
//! that are the identity at inference).
//!
//! Arguments that only matter for training (`momentum`, `dropout`, `seed`,
//! regularizers) are accepted; options rnnc does not compile (another
//! `axis`, `keepdims=True`, `rms_scaling=True`) are refused by name.

use super::ast::{Expr, ExprKind};
use super::error::FrontError;
use super::values::{Args, Cx, Schema};
use crate::ir::{Attention, Identity, LayerKind, Merge, Normalization, Pool, Reshape};

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
            for init in [
                "beta_initializer",
                "gamma_initializer",
                "moving_mean_initializer",
                "moving_variance_initializer",
            ] {
                default_only(
                    cx,
                    args,
                    init,
                    |_| false,
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
    })
}
