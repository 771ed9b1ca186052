//! `Flatten`, `Reshape`, `Permute` and the global poolings.

use ndarray::{ArrayD, Axis, IxDyn};

use super::masks::Mask;
use crate::ir::{Pool, Reshape};

/// The same values in the layer's shape (row-major, as Keras reshapes).
pub fn reshape(r: &Reshape, x: ArrayD<f32>) -> ArrayD<f32> {
    let batch = x.shape()[0];
    let rest: usize = x.shape()[1..].iter().product();
    let shape: Vec<usize> = match r {
        Reshape::Flatten => vec![batch, rest],
        Reshape::Reshape(target) => {
            let known: usize = target
                .iter()
                .filter(|&&d| d > 0)
                .map(|&d| d as usize)
                .product();
            std::iter::once(batch)
                .chain(target.iter().map(|&d| {
                    if d == -1 {
                        rest / known.max(1)
                    } else {
                        d as usize
                    }
                }))
                .collect()
        }
        Reshape::Permute(dims) => {
            let perm: Vec<usize> = std::iter::once(0).chain(dims.iter().copied()).collect();
            return x
                .permuted_axes(IxDyn(&perm))
                .as_standard_layout()
                .into_owned();
        }
    };
    let standard = x.as_standard_layout().into_owned();
    standard
        .into_shape_with_order(IxDyn(&shape))
        .expect("checked: the target shape holds the values")
}

/// `GlobalAveragePooling1D` / `GlobalMaxPooling1D`: `[B, T, F]` to `[B, F]`.
///
/// With a Keras mask, the average is Keras 3's `sum(where(mask, x, 0)) /
/// sum(mask)` over the steps (NaN for a row with every step masked, as in
/// Keras); the max ignores masks, as Keras' does.
pub fn global_pool(p: Pool, x: &ArrayD<f32>, mask: Option<&Mask>) -> ArrayD<f32> {
    match (p, mask) {
        (Pool::Average, Some(mask)) => {
            let (batch, features) = (x.shape()[0], x.shape()[2]);
            let mut out = ndarray::Array2::<f32>::zeros((batch, features));
            for b in 0..batch {
                let mut sum = ndarray::Array1::<f32>::zeros(features);
                let mut count = 0.0f32;
                for (t, &keep) in mask.row(b).iter().enumerate() {
                    if keep {
                        sum += &x.slice(ndarray::s![b, t, ..]);
                        count += 1.0;
                    }
                }
                out.row_mut(b).assign(&(sum / count));
            }
            out.into_dyn()
        }
        (Pool::Average, None) => x
            .mean_axis(Axis(1))
            .expect("checked: a sequence of at least one step"),
        (Pool::Max, _) => x.fold_axis(Axis(1), f32::NEG_INFINITY, |&m, &v| {
            if v > m || v.is_nan() {
                v
            } else {
                m
            }
        }),
    }
}
