//! Embedding: row lookup in the table `[input_dim, output_dim]`.

use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis, Dimension, IxDyn};

use super::ReferenceError;

/// Fails on the first id outside `0..input_dim`, naming it, its position
/// and the layer.
pub fn check_ids(
    ids: ArrayViewD<i64>,
    input_dim: usize,
    layer: &str,
) -> Result<(), ReferenceError> {
    match ids
        .indexed_iter()
        .find(|(_, &id)| id < 0 || id as u64 >= input_dim as u64)
    {
        Some((position, &id)) => Err(ReferenceError::TokenOutOfRange {
            id,
            position: position.slice().to_vec(),
            layer: layer.to_string(),
            input_dim: input_dim as u64,
        }),
        None => Ok(()),
    }
}

/// Looks up every id of `ids` (any shape) in `table` `[input_dim, output_dim]`;
/// the output gains a last axis of `output_dim`. Ids outside `0..input_dim`
/// are an error naming the first one and the layer.
pub fn run(
    table: ArrayView2<f32>,
    ids: ArrayViewD<i64>,
    layer: &str,
) -> Result<ArrayD<f32>, ReferenceError> {
    let (input_dim, output_dim) = table.dim();
    check_ids(ids.view(), input_dim, layer)?;
    let mut shape = ids.shape().to_vec();
    shape.push(output_dim);
    let mut out = ArrayD::<f32>::zeros(IxDyn(&shape));
    let last = Axis(out.ndim() - 1);
    for (mut row, &id) in out.lanes_mut(last).into_iter().zip(ids.iter()) {
        row.assign(&table.row(id as usize));
    }
    Ok(out)
}
