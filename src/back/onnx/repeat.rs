//! `RepeatVector(n)`: `[B, F]` to `[B, n, F]`.

use super::builder::{attr_int, GraphBuilder};

/// `Tile(Unsqueeze(x, 1), [1, n, 1])`: copies of the row, as Keras'
/// `ops.repeat(ops.expand_dims(x, 1), n, axis=1)`.
pub(super) fn repeat_vector(b: &mut GraphBuilder, x: &str, n: u64) -> String {
    let axis = b.vec_i64(&[1]);
    let row = b.op("Unsqueeze", &[x, &axis], vec![]);
    let copies: Vec<&str> = vec![row.as_str(); n as usize];
    b.op("Concat", &copies, vec![attr_int("axis", 1)])
}
