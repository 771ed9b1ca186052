//! Gate activations in f32 over slices, written so that the loops vectorize
//! (no branches, no libm calls): `exp` by Cody–Waite range reduction and
//! Cephes' `expf` polynomial, `tanh` by Cephes' `tanhf` polynomial near zero
//! and `1 - 2/(e^{2|x|} + 1)` beyond.
//!
//! Each slice loop runs under [`pulp::Arch::dispatch`], which compiles it
//! for AVX2 and AVX-512 as well and picks the widest the CPU has at run time: the
//! same operations on wider vectors, so the same bits (Rust never contracts
//! a multiply and an add into an FMA on its own).
//!
//! Error bounds, checked against f64 on a dense sweep in the tests below:
//! `exp` within 2 ulps, `sigmoid` and `tanh` within 4e-7 relative or 1e-7
//! absolute, far inside verify's 1e-5 absolute tolerance. NaN stays NaN.

// The polynomial coefficients are Cephes' as published (some carry more
// digits than an f32 holds), so that they can be checked against the source.
#![allow(clippy::excessive_precision)]

/// Beyond these arguments `e^x` leaves the normal f32 range; arguments are
/// clamped to them first (the activations built on `exp` saturate well
/// before).
const EXP_MAX_ARG: f32 = 88.0;
const EXP_MIN_ARG: f32 = -87.0;
/// `ln 2` split in two (Cody–Waite): `C1` has few mantissa bits, so that
/// `n·C1` is exact for the `n` that occur.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Adding then subtracting 1.5·2^23 rounds an f32 of magnitude below 2^22 to
/// the nearest integer, without SSE4.1's `roundps`.
const ROUNDING_MAGIC: f32 = 12_582_912.0;
/// Below this |x|, `tanh` uses the odd polynomial; above, the exp form.
const TANH_POLY_LIMIT: f32 = 0.625;

/// `e^x` for one value; inlined into the slice loops.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(EXP_MIN_ARG, EXP_MAX_ARG);
    let shifted = x * std::f32::consts::LOG2_E + ROUNDING_MAGIC;
    let n = shifted - ROUNDING_MAGIC;
    // The low mantissa bits of `shifted` hold n + 2^22 (two's complement).
    let n_int = shifted.to_bits() as i32 - ROUNDING_MAGIC.to_bits() as i32;
    let r = x - n * LN2_HI - n * LN2_LO;
    let z = r * r;
    let p = (((((1.987_569_2e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5.000_000_1e-1)
        * z
        + r
        + 1.0;
    // 2^n by building the exponent field; n is within [-126, 127] here.
    let two_n = f32::from_bits(((n_int + 127) as u32) << 23);
    p * two_n
}

/// `tanh(x)` for one value.
#[inline(always)]
fn tanh_one(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let poly =
        ((((-5.704_988_7e-3 * z + 2.063_908_9e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328_2e-1)
            * z
            * x
            + x;
    let far = (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x);
    if a < TANH_POLY_LIMIT {
        poly
    } else if a >= TANH_POLY_LIMIT {
        far
    } else {
        x // NaN
    }
}

/// `1 / (1 + e^{-x})` for one value.
#[inline(always)]
fn sigmoid_one(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// Keras' `tanh`, in place.
pub fn tanh(x: &mut [f32]) {
    pulp::Arch::new().dispatch(|| {
        for v in x {
            *v = tanh_one(*v);
        }
    });
}

/// Keras' `sigmoid`, in place.
pub fn sigmoid(x: &mut [f32]) {
    pulp::Arch::new().dispatch(|| {
        for v in x {
            *v = sigmoid_one(*v);
        }
    });
}

/// Keras 3's `hard_sigmoid`, `relu6(x + 3) / 6`, in place.
pub fn hard_sigmoid(x: &mut [f32]) {
    pulp::Arch::new().dispatch(|| {
        for v in x {
            *v = (*v + 3.0).clamp(0.0, 6.0) / 6.0;
        }
    });
}

/// `max(x, 0)`, in place (NaN stays NaN).
pub fn relu(x: &mut [f32]) {
    for v in x {
        *v = if *v < 0.0 { 0.0 } else { *v };
    }
}

/// `x / (1 + |x|)`, in place.
pub fn softsign(x: &mut [f32]) {
    pulp::Arch::new().dispatch(|| {
        for v in x {
            *v /= 1.0 + v.abs();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 997th f32 bit pattern in [-lim, lim] (positive and negative),
    /// plus the edges: about 2.2 million values for lim = 100, from the
    /// subnormals up.
    fn sweep(lim: f32) -> Vec<f32> {
        let mut out = vec![0.0, -0.0, lim, -lim, EXP_MAX_ARG, EXP_MIN_ARG];
        let mut bits = 0u32;
        while f32::from_bits(bits) <= lim {
            let v = f32::from_bits(bits);
            out.push(v);
            out.push(-v);
            bits += 997;
        }
        out
    }

    fn max_error(
        values: &[f32],
        f32_fn: fn(&mut [f32]),
        f64_fn: fn(f64) -> f64,
    ) -> (f64, f64, f32) {
        let mut got = values.to_vec();
        f32_fn(&mut got);
        let (mut worst_excess, mut worst_abs, mut at) = (0.0f64, 0.0f64, 0.0f32);
        for (&x, &y) in values.iter().zip(&got) {
            let want = f64_fn(f64::from(x));
            let err = (f64::from(y) - want).abs();
            // Relative error, or absolute for values near zero.
            let excess = err / want.abs().max(0.25);
            if excess > worst_excess {
                (worst_excess, at) = (excess, x);
            }
            worst_abs = worst_abs.max(err);
        }
        (worst_excess, worst_abs, at)
    }

    #[test]
    fn exp_is_within_two_ulps() {
        let xs = sweep(87.0);
        let mut worst = 0.0f64;
        for &x in &xs {
            let got = f64::from(exp(x));
            let want = f64::from(x).exp();
            worst = worst.max((got - want).abs() / want);
        }
        // 2 ulps of f32 relative: 2 * 2^-23 ≈ 2.4e-7.
        assert!(worst < 2.4e-7, "exp relative error {worst:e}");
    }

    #[test]
    fn tanh_and_sigmoid_error_bounds() {
        let xs = sweep(100.0);
        let (rel, abs, at) = max_error(&xs, tanh, f64::tanh);
        assert!(
            rel < 4e-7 && abs < 1.2e-7,
            "tanh: {rel:e} rel, {abs:e} abs at {at}"
        );
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let (rel, abs, at) = max_error(&xs, sigmoid, sig);
        assert!(
            rel < 4e-7 && abs < 1.2e-7,
            "sigmoid: {rel:e} rel, {abs:e} abs at {at}"
        );
    }

    #[test]
    fn the_vector_loops_give_the_bits_of_the_scalar_code() {
        // The slices go through the widest SIMD the CPU has; one value at a
        // time, the same functions are baseline x86_64 code.
        let xs = sweep(100.0);
        let (mut t, mut g) = (xs.clone(), xs.clone());
        tanh(&mut t);
        sigmoid(&mut g);
        for ((&x, t), g) in xs.iter().zip(t).zip(g) {
            assert_eq!(t.to_bits(), tanh_one(x).to_bits(), "tanh({x})");
            assert_eq!(g.to_bits(), sigmoid_one(x).to_bits(), "sigmoid({x})");
        }
    }

    #[test]
    fn tiny_arguments_keep_their_relative_precision() {
        // tanh(x) ≈ x near zero; the exp form alone would round it to 0.
        let mut x = [1e-20f32, -3e-8, 1e-4];
        tanh(&mut x);
        assert_eq!(x[0], 1e-20);
        assert_eq!(x[1], -3e-8);
        let want = f64::from(1e-4f32).tanh();
        assert!((f64::from(x[2]) - want).abs() < want * 1.2e-7);
    }

    #[test]
    fn saturation_and_nan() {
        let mut x = [1e30f32, -1e30, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        let mut y = x;
        tanh(&mut x);
        assert_eq!(&x[..4], &[1.0, -1.0, 1.0, -1.0]);
        assert!(x[4].is_nan());
        sigmoid(&mut y);
        assert_eq!(y[0], 1.0);
        assert!(y[1] < 1e-37 && y[3] < 1e-37);
        assert_eq!(y[2], 1.0);
        assert!(y[4].is_nan());
    }

    #[test]
    fn piecewise_activations_are_exact() {
        let mut x = [-4.0f32, -3.0, 0.0, 1.2, 3.5, f32::NAN];
        hard_sigmoid(&mut x);
        assert_eq!(&x[..5], &[0.0, 0.0, 0.5, (1.2f32 + 3.0) / 6.0, 1.0]);
        assert!(x[5].is_nan());
        let mut x = [-2.0f32, 0.0, 3.0, f32::NAN];
        relu(&mut x);
        assert_eq!(&x[..3], &[0.0, 0.0, 3.0]);
        assert!(x[3].is_nan());
        let mut x = [-3.0f32, 1.0];
        softsign(&mut x);
        assert_eq!(x, [-0.75, 0.5]);
    }
}
