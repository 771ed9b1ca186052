//! `Embedding`: a Gather of rows of the table by token id.
//!
//! ONNX Gather takes int32 and int64 indices alike, so the model input keeps
//! the dtype the spec declares.

use super::builder::attr_int;
use super::Emitter;
use crate::ir::LayerId;

/// Emits the lookup of `ids` `[B, T]`; returns `[B, T, output_dim]`.
pub(super) fn embedding(em: &mut Emitter<'_>, id: LayerId, ids: &str) -> String {
    let table = em.weights.embeddings(em.info, id);
    // embeddings: [input_dim, output_dim]
    let key = em.info.layer(id).weights[0].key.clone();
    let table = em.b.initializer(&key, table.into_dyn());
    em.b.op("Gather", &[&table, ids], vec![attr_int("axis", 0)])
}
