//! `Flatten`, `Reshape`, `Permute` and the global poolings.

use ndarray::{ArrayD, Axis, IxDyn};

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
pub fn global_pool(p: Pool, x: &ArrayD<f32>) -> ArrayD<f32> {
    match p {
        Pool::Average => x
            .mean_axis(Axis(1))
            .expect("checked: a sequence of at least one step"),
        Pool::Max => x.fold_axis(Axis(1), f32::NEG_INFINITY, |&m, &v| {
            if v > m || v.is_nan() {
                v
            } else {
                m
            }
        }),
    }
}
