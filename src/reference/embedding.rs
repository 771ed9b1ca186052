//! Embedding: row lookup in the table `[input_dim, output_dim]`.

use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis, Dimension, IxDyn};

use super::ReferenceError;

/// Looks up every id of `ids` (any shape) in `table` `[input_dim, output_dim]`;
/// the output gains a last axis of `output_dim`. Ids outside `0..input_dim`
/// are an error naming the first one and the layer.
pub fn run(
    table: ArrayView2<f32>,
    ids: ArrayViewD<i64>,
    layer: &str,
) -> Result<ArrayD<f32>, ReferenceError> {
    let (input_dim, output_dim) = table.dim();
    if let Some((position, &id)) = ids
        .indexed_iter()
        .find(|(_, &id)| id < 0 || id as u64 >= input_dim as u64)
    {
        return Err(ReferenceError::TokenOutOfRange {
            id,
            position: position.slice().to_vec(),
            layer: layer.to_string(),
            input_dim: input_dim as u64,
        });
    }
    let mut shape = ids.shape().to_vec();
    shape.push(output_dim);
    let mut out = ArrayD::<f32>::zeros(IxDyn(&shape));
    let last = Axis(out.ndim() - 1);
    for (mut row, &id) in out.lanes_mut(last).into_iter().zip(ids.iter()) {
        row.assign(&table.row(id as usize));
    }
    Ok(out)
}
