//! `Flatten`, `Reshape` and `Permute`: the same values in another shape.

use super::builder::{attr_int, attr_ints, GraphBuilder};
use crate::ir::Reshape;

/// Emits the layer on `x`.
pub(super) fn reshape(b: &mut GraphBuilder, r: &Reshape, x: &str) -> String {
    match r {
        Reshape::Flatten => b.op("Flatten", &[x], vec![attr_int("axis", 1)]),
        Reshape::Reshape(target) => {
            // 0 copies the batch size from the input (`allowzero` is 0).
            let shape: Vec<i64> = std::iter::once(0).chain(target.iter().copied()).collect();
            let shape = b.vec_i64(&shape);
            b.op("Reshape", &[x, &shape], vec![])
        }
        Reshape::Permute(dims) => {
            let perm: Vec<i64> = std::iter::once(0)
                .chain(dims.iter().map(|&d| d as i64))
                .collect();
            b.op("Transpose", &[x], vec![attr_ints("perm", &perm)])
        }
    }
}
