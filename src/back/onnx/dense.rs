//! `Dense` and `TimeDistributed(Dense)`: `activation(x · kernel + bias)`.
//!
//! ONNX MatMul broadcasts over leading axes, so one form serves `[B, F]` and
//! `[B, T, F]` inputs, and TimeDistributed needs no reshaping.

use super::{activation, Emitter};
use crate::ir::{Dense, LayerId};

/// Emits the layer on `x`; returns the output `[..., units]`.
pub(super) fn dense(em: &mut Emitter<'_>, id: LayerId, x: &str, d: &Dense) -> String {
    let dw = em.weights.dense(em.info, id);
    let specs = &em.info.layer(id).weights;
    // kernel: [input_dim, units], as Keras holds it.
    let kernel = em.b.initializer(&specs[0].key, dw.kernel.into_dyn());
    let mut y = em.b.op("MatMul", &[x, &kernel], vec![]);
    if let Some(bias) = dw.bias {
        // bias: [units]
        let bias = em.b.initializer(&specs[1].key, bias.into_dyn());
        y = em.b.op("Add", &[&y, &bias], vec![]);
    }
    activation::apply(&mut em.b, d.activation, &y)
}
