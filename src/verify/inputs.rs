//! Seeded random inputs for verification, and inputs that reach every row
//! of an Embedding.
//!
//! Features are standard normal, so that every activation sees both signs
//! and its saturating range; token ids are uniform over the vocabulary.
//! Uniform ids leave most rows of a large table untouched, so Embedding
//! models also get [`IdCoverage`]: runs that together hold every id.

use ndarray::{ArrayD, IxDyn};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ir::{LayerKind, Model};
use crate::tensor::TensorData;

/// Most token ids in one coverage run: a run's activations are this many
/// times an Embedding row (16,384 × 300 floats is 20 MB), so a large
/// vocabulary is covered in chunks rather than in one huge batch.
const MAX_IDS_PER_RUN: usize = 1 << 14;

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

/// Token-id inputs that together enumerate a whole vocabulary: `runs`
/// inputs of `shape`, run `k` holding ids `k·n, k·n + 1, …` (n = the ids per
/// run) in (batch, time) order, wrapping around past the last id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdCoverage {
    /// `[batch, time]` of every run.
    pub shape: Vec<usize>,
    /// How many runs cover the vocabulary.
    pub runs: usize,
    /// The vocabulary size.
    pub vocab: usize,
}

impl IdCoverage {
    /// Covers `vocab` ids with inputs of `time` steps; `batch` is the fixed
    /// batch size, if any (else as many sequences as one run may hold).
    pub fn new(vocab: usize, batch: Option<usize>, time: usize) -> IdCoverage {
        let time = time.max(1);
        let batch = batch.unwrap_or_else(|| vocab.min(MAX_IDS_PER_RUN).div_ceil(time).max(1));
        let per_run = batch.saturating_mul(time).max(1);
        IdCoverage {
            shape: vec![batch, time],
            runs: vocab.div_ceil(per_run).max(1),
            vocab,
        }
    }

    /// The `index`-th input.
    pub fn run(&self, index: usize) -> TensorData {
        let per_run: usize = self.shape.iter().product();
        let vocab = self.vocab.max(1);
        let ids = (0..per_run)
            .map(|p| ((index * per_run + p) % vocab) as i64)
            .collect();
        TensorData::I64(
            ArrayD::from_shape_vec(IxDyn(&self.shape), ids).expect("length matches shape"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(coverage: &IdCoverage) -> Vec<i64> {
        (0..coverage.runs)
            .flat_map(|k| match coverage.run(k) {
                TensorData::I64(a) => a.into_iter().collect::<Vec<_>>(),
                TensorData::F32(_) | TensorData::I32(_) => panic!("int64 token ids expected"),
            })
            .collect()
    }

    #[test]
    fn every_id_is_drawn() {
        for (vocab, batch, time) in [
            (10_000, None, 3),
            (10, None, 64),
            (50_000, None, 9),
            (7, Some(1), 3),
            (100, Some(4), 5),
        ] {
            let coverage = IdCoverage::new(vocab, batch, time);
            if let Some(b) = batch {
                assert_eq!(coverage.shape[0], b);
            }
            assert_eq!(coverage.shape[1], time);
            let mut seen = vec![false; vocab];
            for id in ids(&coverage) {
                seen[id as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "{vocab} {batch:?} {time}");
        }
    }

    #[test]
    fn large_vocabularies_are_covered_in_chunks() {
        let coverage = IdCoverage::new(1_000_000, None, 8);
        assert_eq!(coverage.shape, [MAX_IDS_PER_RUN / 8, 8]);
        assert_eq!(coverage.runs, 1_000_000usize.div_ceil(MAX_IDS_PER_RUN));
    }
}
