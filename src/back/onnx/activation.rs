//! Each [`Activation`] as ONNX nodes with Keras 3's exact formula.
//!
//! These are standalone nodes (Dense outputs, `Activation` layers, Scan cell
//! bodies); the native recurrent operators' `activations` attribute is never
//! used, because runtimes ignore it (see `docs/runtimes.md`).

use super::builder::{attr_float, attr_int, GraphBuilder};
use crate::ir::{Activation, ActivationLayer};

/// Keras 3 `hard_sigmoid`: `clip(x / 6 + 0.5, 0, 1)`, i.e. ONNX HardSigmoid
/// with slope 1/6 (ONNX's default slope 0.2 is Keras 2's).
const HARD_SIGMOID_ALPHA: f32 = 1.0 / 6.0;
const HARD_SIGMOID_BETA: f32 = 0.5;
/// Keras 2 `hard_sigmoid`: `clip(0.2 * x + 0.5, 0, 1)`, ONNX's own default
/// (written out all the same: every runtime then reads the same numbers).
const KERAS2_HARD_SIGMOID_ALPHA: f32 = 0.2;

/// Keras' `selu` constants (keras/src/activations/activations.py), which
/// differ from ONNX's defaults in the last float bits and from tract's
/// defaults (1.67326, 1.0507) in the sixth digit.
const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

/// Keras' `elu` default alpha.
const ELU_ALPHA: f32 = 1.0;

/// Applies `activation` to `x`; returns the result's name (`x` itself for
/// `linear`, which needs no node).
pub(super) fn apply(b: &mut GraphBuilder, activation: Activation, x: &str) -> String {
    match activation {
        Activation::Linear => x.to_string(),
        Activation::Tanh => b.op("Tanh", &[x], vec![]),
        Activation::Sigmoid => b.op("Sigmoid", &[x], vec![]),
        Activation::HardSigmoid => b.op(
            "HardSigmoid",
            &[x],
            vec![
                attr_float("alpha", HARD_SIGMOID_ALPHA),
                attr_float("beta", HARD_SIGMOID_BETA),
            ],
        ),
        Activation::HardSigmoidKeras2 => b.op(
            "HardSigmoid",
            &[x],
            vec![
                attr_float("alpha", KERAS2_HARD_SIGMOID_ALPHA),
                attr_float("beta", HARD_SIGMOID_BETA),
            ],
        ),
        Activation::Relu => b.op("Relu", &[x], vec![]),
        Activation::Elu => b.op("Elu", &[x], vec![attr_float("alpha", ELU_ALPHA)]),
        Activation::Selu => b.op(
            "Selu",
            &[x],
            vec![
                attr_float("alpha", SELU_ALPHA),
                attr_float("gamma", SELU_SCALE),
            ],
        ),
        Activation::Softsign => b.op("Softsign", &[x], vec![]),
        Activation::Softplus => b.op("Softplus", &[x], vec![]),
        Activation::Gelu => {
            // 0.5 * x * (1 + erf(x / sqrt(2))), Keras' approximate=False.
            let sqrt2 = b.scalar_f32(std::f32::consts::SQRT_2);
            let scaled = b.op("Div", &[x, &sqrt2], vec![]);
            let erf = b.op("Erf", &[&scaled], vec![]);
            let one = b.scalar_f32(1.0);
            let one_plus = b.op("Add", &[&erf, &one], vec![]);
            let half = b.scalar_f32(0.5);
            let half_x = b.op("Mul", &[x, &half], vec![]);
            b.op("Mul", &[&half_x, &one_plus], vec![])
        }
        Activation::Silu => {
            let sig = b.op("Sigmoid", &[x], vec![]);
            b.op("Mul", &[x, &sig], vec![])
        }
        Activation::Exponential => b.op("Exp", &[x], vec![]),
        // Opset 13+ Softmax normalizes one axis, as Keras does.
        Activation::Softmax => b.op("Softmax", &[x], vec![attr_int("axis", -1)]),
    }
}

/// An activation layer with options, as Keras 3 computes it
/// (`ReLU.static_call`, `leaky_relu`, `elu`, `PReLU.call`); `alpha` is
/// PReLU's slope initializer.
pub(super) fn layer(
    b: &mut GraphBuilder,
    a: &ActivationLayer,
    x: &str,
    alpha: Option<&str>,
) -> String {
    match a {
        ActivationLayer::LeakyRelu { negative_slope } => b.op(
            "LeakyRelu",
            &[x],
            vec![attr_float("alpha", *negative_slope)],
        ),
        ActivationLayer::Relu {
            max_value: None,
            negative_slope,
            threshold,
        } if *negative_slope != 0.0 && *threshold == 0.0 => b.op(
            "LeakyRelu",
            &[x],
            vec![attr_float("alpha", *negative_slope)],
        ),
        ActivationLayer::Relu {
            max_value,
            negative_slope,
            threshold,
        } => {
            // negative_part = relu(threshold - x) (or relu(-x)), before x changes.
            let negative_part = (*negative_slope != 0.0).then(|| {
                let neg = b.op("Neg", &[x], vec![]);
                let shifted = if *threshold != 0.0 {
                    let t = b.scalar_f32(*threshold);
                    b.op("Add", &[&neg, &t], vec![])
                } else {
                    neg
                };
                b.op("Relu", &[&shifted], vec![])
            });
            let mut y = if *threshold != 0.0 {
                // where(x > threshold, x, 0)
                let t = b.scalar_f32(*threshold);
                let above = b.op("Greater", &[x, &t], vec![]);
                let zero = b.scalar_f32(0.0);
                b.op("Where", &[&above, x, &zero], vec![])
            } else {
                b.op("Relu", &[x], vec![])
            };
            if let Some(max) = max_value {
                let (lo, hi) = (b.scalar_f32(0.0), b.scalar_f32(*max));
                y = b.op("Clip", &[&y, &lo, &hi], vec![]);
            }
            if let Some(negative_part) = negative_part {
                let slope = b.scalar_f32(*negative_slope);
                let scaled = b.op("Mul", &[&slope, &negative_part], vec![]);
                y = b.op("Sub", &[&y, &scaled], vec![]);
            }
            y
        }
        ActivationLayer::Elu { alpha } => b.op("Elu", &[x], vec![attr_float("alpha", *alpha)]),
        ActivationLayer::Softmax { axis } => b.op("Softmax", &[x], vec![attr_int("axis", *axis)]),
        ActivationLayer::Prelu { .. } => {
            // relu(x) + (-alpha) * relu(-x)
            let alpha = alpha.expect("PReLU has its slopes");
            let pos = b.op("Relu", &[x], vec![]);
            let neg_x = b.op("Neg", &[x], vec![]);
            let relu_neg = b.op("Relu", &[&neg_x], vec![]);
            let minus_alpha = b.op("Neg", &[alpha], vec![]);
            let neg = b.op("Mul", &[&minus_alpha, &relu_neg], vec![]);
            b.op("Add", &[&pos, &neg], vec![])
        }
    }
}
