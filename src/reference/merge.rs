//! The merge layers and `RepeatVector`, from Keras' definitions.
//!
//! Merges fold left to right as Keras' `_merge_function`s do (`Add`:
//! `output = inputs[0]; output = output + inputs[i]`, …; `Average`: that
//! sum divided by the count), so that rounding follows Keras' order.

use ndarray::{concatenate, ArrayD, Axis, Zip};

use crate::ir::Merge;

/// Merges `xs` (at least one; two for `Subtract`; equal shapes but on the
/// axis for `Concatenate`, as the check pass ensures).
pub fn run(m: Merge, xs: &[ArrayD<f32>]) -> ArrayD<f32> {
    let fold = |f: fn(f32, f32) -> f32| {
        let mut acc = xs[0].clone();
        for x in &xs[1..] {
            Zip::from(&mut acc).and(x).for_each(|a, &b| *a = f(*a, b));
        }
        acc
    };
    match m {
        Merge::Concatenate { axis } => {
            let rank = xs[0].ndim() as i64;
            let axis = if axis < 0 { rank + axis } else { axis } as usize;
            let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
            concatenate(Axis(axis), &views).expect("checked: shapes agree but on the axis")
        }
        Merge::Add => fold(|a, b| a + b),
        Merge::Subtract => fold(|a, b| a - b),
        Merge::Multiply => fold(|a, b| a * b),
        Merge::Maximum => fold(maximum),
        Merge::Minimum => fold(minimum),
        Merge::Average => {
            let count = xs.len() as f32;
            fold(|a, b| a + b).mapv_into(|v| v / count)
        }
        Merge::Dot { axes, normalize } => super::attention::dot(&xs[0], &xs[1], axes, normalize),
    }
}

/// `ops.maximum` as Keras computes it (`jnp.maximum`): NaN when either is,
/// where `f32::max` would return the other.
pub fn maximum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

/// `ops.minimum`, NaN when either is (see [`maximum`]).
pub fn minimum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.min(b)
    }
}

/// `RepeatVector(n)`: `[B, F]` to `[B, n, F]`, every step a copy.
pub fn repeat_vector(x: ArrayD<f32>, n: usize) -> ArrayD<f32> {
    let row = x.insert_axis(Axis(1));
    let views = vec![row.view(); n];
    concatenate(Axis(1), &views).expect("copies of one array concatenate")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr2, ArrayD};

    fn a(rows: &[[f32; 2]]) -> ArrayD<f32> {
        arr2(rows).into_dyn()
    }

    #[test]
    fn maximum_and_minimum_carry_nan_as_jax_does() {
        let x = [a(&[[f32::NAN, 1.0]]), a(&[[0.0, f32::NAN]])];
        for m in [Merge::Maximum, Merge::Minimum] {
            assert!(run(m, &x).iter().all(|v| v.is_nan()), "{m:?}");
        }
        assert_eq!(
            run(Merge::Maximum, &[a(&[[1.0, -2.0]]), a(&[[0.0, 3.0]])]),
            a(&[[1.0, 3.0]])
        );
    }

    #[test]
    fn subtract_is_first_minus_second() {
        let y = run(Merge::Subtract, &[a(&[[5.0, 1.0]]), a(&[[2.0, 3.0]])]);
        assert_eq!(y, a(&[[3.0, -2.0]]));
    }

    #[test]
    fn average_divides_the_sum_by_the_count() {
        let y = run(
            Merge::Average,
            &[a(&[[1.0, 2.0]]), a(&[[2.0, 2.0]]), a(&[[3.0, 5.0]])],
        );
        assert_eq!(y, a(&[[2.0, 3.0]]));
    }

    #[test]
    fn concatenate_on_a_negative_axis() {
        let y = run(
            Merge::Concatenate { axis: -1 },
            &[a(&[[1.0, 2.0]]), a(&[[3.0, 4.0]])],
        );
        assert_eq!(y.shape(), &[1, 4]);
        assert_eq!(y.iter().copied().collect::<Vec<_>>(), [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn repeat_vector_copies_each_row() {
        let y = repeat_vector(a(&[[1.0, 2.0], [3.0, 4.0]]), 3);
        assert_eq!(y.shape(), &[2, 3, 2]);
        assert_eq!(y[[1, 2, 0]], 3.0);
        assert_eq!(y[[0, 1, 1]], 2.0);
    }
}
