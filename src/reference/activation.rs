//! Activations with Keras 3's exact formulas.
//!
//! The gate activations of every recurrent step (tanh, sigmoid,
//! hard_sigmoid, relu, softsign, linear) run in f32 over whole slices, in
//! loops the compiler vectorizes ([`fast`]); their error is bounded by a few
//! ulps (tested against f64 in `fast`), about 1e-7 absolute, a hundred times
//! inside verify's 1e-5. The others (elu, selu, softplus, gelu, silu,
//! exponential, softmax) are evaluated in f64 and rounded to f32: correctly
//! rounded or within an ulp. Keras computes in f32 and may itself be an ulp
//! or two away.

mod fast;

use ndarray::{Array, Axis, Dimension};

use crate::ir::Activation;

/// Keras' `elu` alpha (keras/src/activations/activations.py, `elu(x, alpha=1.0)`).
const ELU_ALPHA: f64 = 1.0;
/// Keras' `selu` constants (Klambauer et al. 2017, as written in Keras).
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

/// Applies `act` in place; `softmax` works on the last axis.
pub fn apply<D: Dimension>(act: Activation, x: &mut Array<f32, D>) {
    if act == Activation::Softmax {
        softmax_last_axis(x);
    } else if let Some(values) = x.as_slice_memory_order_mut() {
        apply_slice(act, values);
    } else {
        x.mapv_inplace(|v| scalar(act, f64::from(v)) as f32);
    }
}

/// Applies an element-wise `act` to every value of `x` in place.
///
/// # Panics
/// On `Softmax`, which is not element-wise.
pub fn apply_slice(act: Activation, x: &mut [f32]) {
    match act {
        Activation::Linear => {}
        Activation::Tanh => fast::tanh(x),
        Activation::Sigmoid => fast::sigmoid(x),
        Activation::HardSigmoid => fast::hard_sigmoid(x),
        Activation::Relu => fast::relu(x),
        Activation::Softsign => fast::softsign(x),
        Activation::HardSigmoidKeras2
        | Activation::Elu
        | Activation::Selu
        | Activation::Softplus
        | Activation::Gelu
        | Activation::Silu
        | Activation::Exponential
        | Activation::Softmax => {
            for v in x {
                *v = scalar(act, f64::from(*v)) as f32;
            }
        }
    }
}

/// One element-wise activation in f64.
///
/// # Panics
/// On `Softmax`, which is not element-wise.
pub fn scalar(act: Activation, x: f64) -> f64 {
    match act {
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => sigmoid(x),
        // jax.nn.hard_sigmoid: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
        Activation::HardSigmoid => ((x + 3.0).clamp(0.0, 6.0)) / 6.0,
        // Keras 2 (tf.keras backend.hard_sigmoid): clip(0.2 * x + 0.5, 0, 1).
        Activation::HardSigmoidKeras2 => (0.2 * x + 0.5).clamp(0.0, 1.0),
        Activation::Relu => x.max(0.0),
        Activation::Linear => x,
        Activation::Elu => elu(x, ELU_ALPHA),
        Activation::Selu => SELU_SCALE * elu(x, SELU_ALPHA),
        Activation::Softsign => x / (1.0 + x.abs()),
        // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow.
        Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        Activation::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
        Activation::Silu => x * sigmoid(x),
        Activation::Exponential => x.exp(),
        Activation::Softmax => panic!("softmax is not element-wise"),
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn elu(x: f64, alpha: f64) -> f64 {
    if x > 0.0 {
        x
    } else {
        alpha * x.exp_m1()
    }
}

/// Numerically stable softmax over the last axis (max subtracted first).
fn softmax_last_axis<D: Dimension>(x: &mut Array<f32, D>) {
    let Some(last) = x.ndim().checked_sub(1) else {
        return;
    };
    for mut lane in x.lanes_mut(Axis(last)) {
        let max = lane
            .iter()
            .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let exps: Vec<f64> = lane.iter().map(|&v| (f64::from(v) - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        for (v, e) in lane.iter_mut().zip(exps) {
            *v = (e / sum) as f32;
        }
    }
}

/// Beyond this |x|, `erf(x)` is ±1 to within f64 precision (erfc(6) ≈ 2e-17).
const ERF_SATURATION: f64 = 6.0;

/// The error function to f64 precision (relative error about 1e-15).
///
/// Uses the everywhere-convergent series of Abramowitz & Stegun 7.1.6,
/// `erf(x) = 2/√π · e^{-x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1))`, whose terms are
/// all positive (no cancellation); for `|x| ≥ 6` the result is ±1.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    if a >= ERF_SATURATION {
        return x.signum();
    }
    let a2 = a * a;
    let mut term = a;
    let mut sum = a;
    let mut n = 0.0;
    while term > sum * 1e-17 {
        n += 1.0;
        term *= 2.0 * a2 / (2.0 * n + 1.0);
        sum += term;
    }
    let value = 2.0 / std::f64::consts::PI.sqrt() * (-a2).exp() * sum;
    value.min(1.0).copysign(x)
}

/// An activation layer with options, from Keras 3's definitions
/// (`ReLU.static_call`, `leaky_relu`, `elu`, `PReLU.call`); `alpha` is
/// PReLU's slopes, broadcast over the batch.
pub fn layer(
    a: &crate::ir::ActivationLayer,
    x: ndarray::ArrayD<f32>,
    alpha: Option<ndarray::ArrayViewD<f32>>,
) -> ndarray::ArrayD<f32> {
    use crate::ir::ActivationLayer;
    match a {
        ActivationLayer::LeakyRelu { negative_slope }
        | ActivationLayer::Relu {
            max_value: None,
            negative_slope,
            threshold: 0.0,
        } if *negative_slope != 0.0 => x.mapv(|v| if v >= 0.0 { v } else { negative_slope * v }),
        ActivationLayer::LeakyRelu { negative_slope } => {
            x.mapv(|v| if v >= 0.0 { v } else { negative_slope * v })
        }
        ActivationLayer::Relu {
            max_value,
            negative_slope,
            threshold,
        } => x.mapv(|v| {
            let negative_part = (threshold - v).max(0.0);
            let mut y = if *threshold != 0.0 {
                if v > *threshold {
                    v
                } else {
                    0.0
                }
            } else {
                v.max(0.0)
            };
            if let Some(max) = max_value {
                y = y.clamp(0.0, *max);
            }
            if *negative_slope != 0.0 {
                y -= negative_slope * negative_part;
            }
            y
        }),
        ActivationLayer::Elu { alpha } => {
            x.mapv(|v| if v > 0.0 { v } else { alpha * (v.exp_m1()) })
        }
        ActivationLayer::Softmax { axis } => {
            let rank = x.ndim() as i64;
            let axis = if *axis < 0 { rank + axis } else { *axis } as usize;
            let mut y = x;
            for mut lane in y.lanes_mut(ndarray::Axis(axis)) {
                let max = lane.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                lane.mapv_inplace(|v| (v - max).exp());
                let sum = lane.sum();
                lane.mapv_inplace(|v| v / sum);
            }
            y
        }
        ActivationLayer::Prelu { .. } => {
            let alpha = alpha.expect("PReLU has its slopes");
            let positive = x.mapv(|v| v.max(0.0));
            let negative = x.mapv(|v| (-v).max(0.0));
            positive + &(&negative * &alpha.mapv(|a| -a))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn erf_matches_reference_values() {
        // Values from mpmath at 30 digits.
        for (x, expected) in [
            (0.0, 0.0),
            (0.1, 0.112_462_916_018_284_89),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.5, -0.966_105_146_475_310_7),
            (5.5, 0.999_999_999_999_992_6),
        ] {
            assert!((erf(x) - expected).abs() < 1e-14, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn keras_formulas() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(scalar(Activation::HardSigmoid, 1.2), 0.7));
        assert!(close(scalar(Activation::HardSigmoid, -4.0), 0.0));
        assert!(close(scalar(Activation::HardSigmoid, 3.5), 1.0));
        assert!(close(scalar(Activation::HardSigmoidKeras2, 1.2), 0.74));
        assert!(close(scalar(Activation::HardSigmoidKeras2, -2.6), 0.0));
        assert!(close(scalar(Activation::HardSigmoidKeras2, 2.6), 1.0));
        assert!(close(scalar(Activation::Softsign, -3.0), -0.75));
        assert!(close(scalar(Activation::Selu, 1.0), SELU_SCALE));
        assert!(close(
            scalar(Activation::Selu, -1.0),
            SELU_SCALE * SELU_ALPHA * ((-1.0f64).exp() - 1.0)
        ));
        assert!(close(scalar(Activation::Elu, -2.0), (-2.0f64).exp() - 1.0));
        assert!(close(scalar(Activation::Softplus, 0.0), 2f64.ln()));
        assert!(close(scalar(Activation::Softplus, 800.0), 800.0));
        assert!(close(scalar(Activation::Softplus, -800.0), 0.0));
        assert!(close(
            scalar(Activation::Silu, 1.0),
            1.0 / (1.0 + (-1.0f64).exp())
        ));
        // gelu(1) = 0.5 * (1 + erf(1/√2)) = 0.8413447460685429.
        assert!(close(
            scalar(Activation::Gelu, 1.0),
            0.841_344_746_068_542_9
        ));
        assert!(close(scalar(Activation::Sigmoid, -800.0), 0.0));
    }

    #[test]
    fn softmax_is_stable_and_per_row() {
        let mut x = array![[1000.0f32, 1000.0], [0.0, 2f32.ln()]];
        apply(Activation::Softmax, &mut x);
        assert_eq!(x, array![[0.5f32, 0.5], [1.0 / 3.0, 2.0 / 3.0]]);
    }
}
