//! `LayerNormalization` and `BatchNormalization` at inference, on the last
//! axis, with Keras' own order of operations
//! (`keras/src/ops/nn.py::_layer_normalization`, the JAX backend's
//! `batch_normalization`): `inv = rsqrt(var + epsilon) * gamma`,
//! `res = -mean * inv + beta`, `y = x * inv + res`. ONNX's
//! `LayerNormalization` exists only from opset 17, so both are built from
//! elementwise operators in every opset.

use super::Emitter;
use crate::check::WeightRole;
use crate::ir::{LayerId, Normalization, Pool};

/// Emits the layer on `x` `[..., F]`.
pub(super) fn normalize(em: &mut Emitter<'_>, id: LayerId, n: &Normalization, x: &str) -> String {
    let param = |em: &mut Emitter<'_>, role: WeightRole| {
        let spec = em.info.layer(id).weights.iter().find(|w| w.role == role)?;
        let key = spec.key.clone();
        // gamma, beta, moving_mean, moving_variance: [F]
        let array = em.weights.array(em.info, id, role)?;
        Some(em.b.initializer(&key, array))
    };
    let gamma = param(em, WeightRole::Gamma);
    let beta = param(em, WeightRole::Beta);
    let (mean, variance) = if n.batch {
        (
            param(em, WeightRole::MovingMean).expect("BatchNormalization has a moving mean"),
            param(em, WeightRole::MovingVariance)
                .expect("BatchNormalization has a moving variance"),
        )
    } else {
        // The population variance, as jnp.var: mean((x - mean)^2).
        let mean = em.reduce(Pool::Average, x, &[-1], true);
        let centered = em.b.op("Sub", &[x, &mean], vec![]);
        let square = em.b.op("Mul", &[&centered, &centered], vec![]);
        (mean, em.reduce(Pool::Average, &square, &[-1], true))
    };
    let epsilon = em.b.scalar_f32(n.epsilon as f32);
    let shifted = em.b.op("Add", &[&variance, &epsilon], vec![]);
    let root = em.b.op("Sqrt", &[&shifted], vec![]);
    let mut inv = em.b.op("Reciprocal", &[&root], vec![]);
    if let Some(gamma) = &gamma {
        inv = em.b.op("Mul", &[&inv, gamma], vec![]);
    }
    let negative = em.b.op("Neg", &[&mean], vec![]);
    let mut res = em.b.op("Mul", &[&negative, &inv], vec![]);
    if let Some(beta) = &beta {
        res = em.b.op("Add", &[&res, beta], vec![]);
    }
    let scaled = em.b.op("Mul", &[x, &inv], vec![]);
    em.b.op("Add", &[&scaled, &res], vec![])
}
