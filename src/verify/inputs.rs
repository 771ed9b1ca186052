//! Seeded random inputs for verification.
//!
//! Features are standard normal, so that every activation sees both signs
//! and its saturating range; token ids are uniform over the vocabulary.

use ndarray::{ArrayD, IxDyn};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ir::{LayerKind, Model};
use crate::tensor::TensorData;

/// An input of `shape` for `model`: token ids for Embedding models, features
/// otherwise. The same seed and shape always give the same values.
pub fn generate(model: &Model, shape: &[usize], seed: u64) -> TensorData {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let len: usize = shape.iter().product();
    match model.layers.first().map(|l| &l.kind) {
        Some(LayerKind::Embedding(e)) => {
            let vocab = e.input_dim as i64;
            let ids = (0..len).map(|_| rng.random_range(0..vocab)).collect();
            TensorData::I64(
                ArrayD::from_shape_vec(IxDyn(shape), ids).expect("length matches shape"),
            )
        }
        _ => {
            let values = (0..len).map(|_| standard_normal(&mut rng)).collect();
            TensorData::F32(
                ArrayD::from_shape_vec(IxDyn(shape), values).expect("length matches shape"),
            )
        }
    }
}

/// One standard normal sample (Box–Muller).
fn standard_normal(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}
