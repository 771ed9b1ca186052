//! `LayerNormalization` and `BatchNormalization` at inference, on the last
//! axis, in Keras' order of operations: `inv = rsqrt(var + epsilon) * gamma`,
//! `res = -mean * inv + beta`, `y = x * inv + res`, with the layer's own
//! statistics (the population variance, as `jnp.var`) or the moving ones.

use ndarray::{ArrayD, ArrayViewD, Axis};

use crate::check::WeightRole;
use crate::ir::Normalization;

/// Normalizes `x` `[..., F]`; `weight` gives the layer's arrays by role.
pub fn run<'w>(
    n: &Normalization,
    mut x: ArrayD<f32>,
    weight: &dyn Fn(WeightRole) -> Option<ArrayViewD<'w, f32>>,
) -> ArrayD<f32> {
    let features = *x.shape().last().expect("checked: rank 2 or more");
    let gamma = weight(WeightRole::Gamma);
    let beta = weight(WeightRole::Beta);
    let moving = n.batch.then(|| {
        (
            weight(WeightRole::MovingMean).expect("BatchNormalization has a moving mean"),
            weight(WeightRole::MovingVariance).expect("BatchNormalization has a moving variance"),
        )
    });
    let last = Axis(x.ndim() - 1);
    for mut row in x.lanes_mut(last) {
        let (mean, variance): (Vec<f32>, Vec<f32>) = match &moving {
            Some((m, v)) => (m.iter().copied().collect(), v.iter().copied().collect()),
            None => {
                let mean = row.sum() / features as f32;
                let var =
                    row.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / features as f32;
                (vec![mean; features], vec![var; features])
            }
        };
        for (i, v) in row.iter_mut().enumerate() {
            let mut inv = 1.0 / (variance[i] + n.epsilon as f32).sqrt();
            if let Some(g) = &gamma {
                inv *= g[i];
            }
            let mut res = -mean[i] * inv;
            if let Some(b) = &beta {
                res += b[i];
            }
            *v = *v * inv + res;
        }
    }
    x
}
