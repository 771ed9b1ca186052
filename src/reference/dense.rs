//! Dense (and TimeDistributed Dense): `act(x·kernel + bias)` on the last axis.

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::activation;
use crate::ir::Dense;
use crate::weights::DenseWeights;

/// Applies the layer to `x` of any rank >= 2: every leading axis is a batch axis.
pub fn run(layer: &Dense, w: &DenseWeights<'_>, x: ArrayViewD<f32>) -> ArrayD<f32> {
    let shape = x.shape().to_vec();
    let features = *shape.last().expect("checked: rank >= 2");
    let rows = shape[..shape.len() - 1].iter().product();
    // kernel: [features, units]; bias: [units].
    let flat = x
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((rows, features))
        .expect("contiguous input reshapes to [rows, features]");
    let mut y = flat.dot(&w.kernel);
    if let Some(b) = &w.bias {
        y += b;
    }
    activation::apply(layer.activation, &mut y);
    let mut out_shape = shape;
    *out_shape.last_mut().expect("rank >= 2") = layer.units as usize;
    y.into_shape_with_order(IxDyn(&out_shape))
        .expect("[rows, units] reshapes back")
}
