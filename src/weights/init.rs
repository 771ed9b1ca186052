//! Keras-style weight initialization, deterministic from a seed.
//!
//! Every initializer follows Keras 3's definition (distribution, scaling, fan
//! computation, truncation, the orthogonal construction), so initialized
//! models behave statistically like freshly built Keras models. The random
//! *stream* is rnnc's own: Keras draws from jax / TensorFlow generators that
//! cannot be reproduced here, so the same seed does not give Keras' numbers.
//!
//! Each weight gets its own ChaCha8 stream keyed by `(seed, index)`, where
//! `index` is the weight's position in `model.get_weights()` order. A weight's
//! values therefore depend only on the seed, its position, its shape and its
//! initializer, and are stable across platforms and rnnc versions that keep
//! this scheme (the orthogonal initializer's QR rounds in f32 as faer's
//! kernels for the machine's SIMD level do, so its bytes are the same on
//! every run on one kind of machine). Each value is sampled in f64 and
//! rounded to f32 as it is drawn, so no f64 copy of a weight exists (an
//! `Embedding(7000000, 300)` would need 16.8 GB for one); the orthogonal
//! initializer's workspace is small unless the weight is tall, and the memory
//! budget counts it ([`crate::budget::weights`]).

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{qr, Weights};
use crate::budget::{self, BudgetError};
use crate::check::{ModelInfo, WeightInit};
use crate::ir::Initializer;

/// Stddev of Keras' `RandomNormal` and `TruncatedNormal` defaults.
const SMALL_STDDEV: f64 = 0.05;
/// Half-width of Keras' `RandomUniform` default, `[-0.05, 0.05]`.
const SMALL_LIMIT: f64 = 0.05;
/// Stddev of a standard normal truncated to `[-2, 2]`; Keras'
/// `VarianceScaling` divides by it so the truncated draw has the intended
/// variance (keras/src/initializers/random_initializers.py).
const TRUNCATED_STDDEV_CORRECTION: f64 = 0.879_625_661_034_239_8;
/// Truncation bound in standard deviations (jax/tf `truncated_normal`).
const TRUNCATION: f64 = 2.0;

/// Initializes every weight of the model as Keras would (distribution and
/// scaling), drawing from streams derived from `seed`; refused before any
/// allocation when the weights and the initializer's workspace exceed the
/// process's memory budget.
pub fn initialize(info: &ModelInfo, seed: u64) -> Result<Weights, BudgetError> {
    budget::weights::check_init(info, &budget::current())?;
    let progress = crate::progress::bar(info.total_params, "initializing the weights");
    let mut index = 0u64;
    let layers = info
        .layers
        .iter()
        .map(|layer| {
            progress.set_message(format!("initializing the weights of `{}`", layer.name));
            layer
                .weights
                .iter()
                .map(|spec| {
                    let mut sampler = Sampler::new(seed, index);
                    index += 1;
                    let values = match spec.init {
                        WeightInit::Keras(init) => sample(init, &spec.shape, &mut sampler),
                        WeightInit::UnitForgetBias(init) => {
                            unit_forget_bias(init, &spec.shape, &mut sampler)
                        }
                        WeightInit::CudnnUnitForgetBias(init) => {
                            cudnn_unit_forget_bias(init, &spec.shape, &mut sampler)
                        }
                    };
                    progress.inc(values.len() as u64);
                    ArrayD::from_shape_vec(IxDyn(&spec.shape), values)
                        .expect("initializer yields one value per element")
                })
                .collect()
        })
        .collect();
    Ok(Weights::new(info, layers))
}

/// Keras' LSTM `unit_forget_bias` construction: `init((units,))`,
/// `ones((units,))`, `init((2*units,))`, concatenated.
fn unit_forget_bias(init: Initializer, shape: &[usize], sampler: &mut Sampler) -> Vec<f32> {
    let units = shape.iter().product::<usize>() / 4;
    let mut values = sample(init, &[units], sampler);
    values.extend(std::iter::repeat_n(1.0, units));
    values.extend(sample(init, &[2 * units], sampler));
    values
}

/// `CuDNNLSTM(unit_forget_bias=True)`'s bias as tf.keras' `CuDNNLSTM.build`
/// makes it: `init(5u)`, ones for the recurrent forget gate, `init(2u)`.
fn cudnn_unit_forget_bias(init: Initializer, shape: &[usize], sampler: &mut Sampler) -> Vec<f32> {
    let units = shape.iter().product::<usize>() / 8;
    let mut values = sample(init, &[5 * units], sampler);
    values.extend(std::iter::repeat_n(1.0, units));
    values.extend(sample(init, &[2 * units], sampler));
    values
}

/// Draws one array of `shape` (row-major) from `init`.
fn sample(init: Initializer, shape: &[usize], sampler: &mut Sampler) -> Vec<f32> {
    let count: usize = shape.iter().product();
    let (fan_in, fan_out) = fans(shape);
    let fan_avg = (fan_in + fan_out) / 2.0;
    match init {
        Initializer::Zeros => vec![0.0; count],
        Initializer::Ones => vec![1.0; count],
        Initializer::RandomNormal => each_f32(count, || SMALL_STDDEV * sampler.normal()),
        Initializer::RandomUniform => {
            each_f32(count, || sampler.uniform(-SMALL_LIMIT, SMALL_LIMIT))
        }
        Initializer::TruncatedNormal => {
            each_f32(count, || SMALL_STDDEV * sampler.truncated_normal())
        }
        Initializer::GlorotUniform => uniform_scaled(1.0, fan_avg, count, sampler),
        Initializer::HeUniform => uniform_scaled(2.0, fan_in, count, sampler),
        Initializer::LecunUniform => uniform_scaled(1.0, fan_in, count, sampler),
        Initializer::GlorotNormal => truncated_scaled(1.0, fan_avg, count, sampler),
        Initializer::HeNormal => truncated_scaled(2.0, fan_in, count, sampler),
        Initializer::LecunNormal => truncated_scaled(1.0, fan_in, count, sampler),
        Initializer::Orthogonal => orthogonal(shape, sampler),
    }
}

/// `count` values of `next`, each rounded to f32 as it is drawn.
fn each_f32(count: usize, mut next: impl FnMut() -> f64) -> Vec<f32> {
    (0..count).map(|_| next() as f32).collect()
}

/// `VarianceScaling(distribution="uniform")`: uniform in `±sqrt(3 * scale / fan)`.
fn uniform_scaled(scale: f64, fan: f64, count: usize, sampler: &mut Sampler) -> Vec<f32> {
    let limit = (3.0 * scale / fan.max(1.0)).sqrt();
    each_f32(count, || sampler.uniform(-limit, limit))
}

/// `VarianceScaling(distribution="truncated_normal")`: truncated normal with
/// stddev `sqrt(scale / fan) / 0.8796…`.
fn truncated_scaled(scale: f64, fan: f64, count: usize, sampler: &mut Sampler) -> Vec<f32> {
    let stddev = (scale / fan.max(1.0)).sqrt() / TRUNCATED_STDDEV_CORRECTION;
    each_f32(count, || stddev * sampler.truncated_normal())
}

/// Keras 3's `compute_fans`: a scalar has fans 1, a vector its length for
/// both, a matrix `(rows, cols)`; higher ranks multiply the receptive field in.
fn fans(shape: &[usize]) -> (f64, f64) {
    match shape {
        [] => (1.0, 1.0),
        [n] => (*n as f64, *n as f64),
        [rows, cols] => (*rows as f64, *cols as f64),
        [rest @ .., input, output] => {
            let receptive: f64 = rest.iter().map(|&d| d as f64).product();
            (*input as f64 * receptive, *output as f64 * receptive)
        }
    }
}

/// Keras 3's `Orthogonal(gain=1)`: draw a normal matrix of shape
/// `(max(rows, cols), min(rows, cols))`, take `Q` of its reduced QR with the
/// signs fixed so that `R` has a positive diagonal, and transpose it when the
/// weight has fewer rows than columns. The f32 matrix (Keras' own dtype) is
/// drawn in the column-major order faer's QR wants, and `Q` is formed in its
/// storage ([`qr`]); only a tall weight needs a second buffer.
fn orthogonal(shape: &[usize], sampler: &mut Sampler) -> Vec<f32> {
    let cols = shape.last().copied().unwrap_or(1);
    let rows: usize = shape[..shape.len().saturating_sub(1)].iter().product();
    let (m, n) = (rows.max(cols), rows.min(cols));
    if m * n == 0 {
        return vec![0.0; rows * cols];
    }
    // The (m, n) normal matrix in column-major order, drawn row by row.
    let mut q = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            q[j * m + i] = sampler.normal() as f32;
        }
    }
    qr::orthonormalize(&mut q, m, n);
    if rows < cols {
        // The weight is Qᵀ, (n, m) row-major: exactly Q's column-major storage.
        q
    } else if m == n {
        // The weight is Q, row-major: transpose the square in place.
        for i in 0..n {
            for j in i + 1..n {
                q.swap(j * n + i, i * n + j);
            }
        }
        q
    } else {
        // A tall weight (more rows than columns, rare for recurrent models):
        // Q read out row by row into a second buffer, which the memory
        // budget counts.
        (0..m)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| q[j * m + i])
            .collect()
    }
}

/// Uniform and normal variates from one ChaCha8 stream, computed in f64.
struct Sampler {
    rng: ChaCha8Rng,
    /// The polar method yields normals in pairs; the second waits here.
    spare: Option<f64>,
}

impl Sampler {
    /// The stream for weight number `index` under `seed`: the ChaCha key is
    /// the seed's and the index's little-endian bytes.
    fn new(seed: u64, index: u64) -> Sampler {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&index.to_le_bytes());
        Sampler {
            rng: ChaCha8Rng::from_seed(key),
            spare: None,
        }
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Standard normal by Marsaglia's polar method: Box-Muller without the
    /// sine and cosine (a point drawn in the unit disc by rejection), about
    /// twice as fast, which matters for the orthogonal initializer's
    /// millions of draws.
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * factor);
                return u * factor;
            }
        }
    }

    /// Standard normal conditioned on `|z| <= 2`, by rejection.
    fn truncated_normal(&mut self) -> f64 {
        loop {
            let z = self.normal();
            if z.abs() <= TRUNCATION {
                return z;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn stats(values: &[f32]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }

    fn draw(init: Initializer, shape: &[usize]) -> Vec<f32> {
        sample(init, shape, &mut Sampler::new(7, 0))
    }

    #[test]
    fn orthogonal_is_orthonormal_both_ways() {
        for shape in [[6usize, 6], [12, 4], [4, 12], [3, 12]] {
            let q =
                Array2::from_shape_vec((shape[0], shape[1]), draw(Initializer::Orthogonal, &shape))
                    .unwrap()
                    .mapv(f64::from);
            // The smaller Gram matrix is the identity.
            let gram = if shape[0] >= shape[1] {
                q.t().dot(&q)
            } else {
                q.dot(&q.t())
            };
            for ((i, j), &v) in gram.indexed_iter() {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (v - expected).abs() < 1e-6,
                    "{shape:?}: gram[{i},{j}] = {v}"
                );
            }
        }
    }

    #[test]
    fn uniform_limits_follow_fans() {
        let shape = [40, 60];
        let glorot = draw(Initializer::GlorotUniform, &shape);
        let limit = (6.0f64 / 100.0).sqrt() as f32;
        assert!(glorot.iter().all(|v| v.abs() <= limit));
        assert!(glorot.iter().any(|v| v.abs() > 0.95 * limit));
        let he = draw(Initializer::HeUniform, &shape);
        let limit = (6.0f64 / 40.0).sqrt() as f32;
        assert!(he.iter().all(|v| v.abs() <= limit) && he.iter().any(|v| v.abs() > 0.95 * limit));
        let lecun = draw(Initializer::LecunUniform, &shape);
        let limit = (3.0f64 / 40.0).sqrt() as f32;
        assert!(lecun.iter().all(|v| v.abs() <= limit));
        let small = draw(Initializer::RandomUniform, &shape);
        assert!(small.iter().all(|v| v.abs() <= 0.05));
    }

    #[test]
    fn normal_scalings_match_keras() {
        let shape = [200, 300];
        // Truncation at 2 std times the 0.8796 correction gives back the
        // untruncated stddev.
        for (init, expected) in [
            (Initializer::GlorotNormal, (2.0f64 / 500.0).sqrt()),
            (Initializer::HeNormal, (2.0f64 / 200.0).sqrt()),
            (Initializer::LecunNormal, (1.0f64 / 200.0).sqrt()),
            (Initializer::RandomNormal, 0.05),
            (
                Initializer::TruncatedNormal,
                0.05 * TRUNCATED_STDDEV_CORRECTION,
            ),
        ] {
            let values = draw(init, &shape);
            let (mean, std) = stats(&values);
            assert!(
                mean.abs() < 0.01 * expected.max(0.05),
                "{init:?} mean {mean}"
            );
            assert!(
                (std / expected - 1.0).abs() < 0.02,
                "{init:?} std {std} vs {expected}"
            );
        }
        let bound = 2.0 * (2.0f64 / 500.0).sqrt() / TRUNCATED_STDDEV_CORRECTION;
        assert!(draw(Initializer::GlorotNormal, &shape)
            .iter()
            .all(|&v| f64::from(v.abs()) <= bound + 1e-6));
    }

    #[test]
    fn unit_forget_bias_sets_the_forget_block() {
        let values = unit_forget_bias(Initializer::Zeros, &[12], &mut Sampler::new(0, 0));
        assert_eq!(
            values,
            [0., 0., 0., 1., 1., 1., 0., 0., 0., 0., 0., 0.].map(|v: f64| v as f32)
        );
    }

    #[test]
    fn seeds_are_deterministic_and_distinct() {
        let a = sample(Initializer::GlorotUniform, &[4, 4], &mut Sampler::new(1, 0));
        let b = sample(Initializer::GlorotUniform, &[4, 4], &mut Sampler::new(1, 0));
        let c = sample(Initializer::GlorotUniform, &[4, 4], &mut Sampler::new(2, 0));
        let d = sample(Initializer::GlorotUniform, &[4, 4], &mut Sampler::new(1, 1));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn initialize_follows_the_weight_list() {
        use crate::ir::{Activation, LayerId};
        use crate::testing::{dense, gru, info, lstm, model};
        let info = info(&model(
            &[Some(5), Some(3)],
            vec![
                lstm(4).seq().layer(),
                gru(2).layer(),
                dense(1, Activation::Sigmoid),
            ],
        ));
        let weights = initialize(&info, 3).unwrap();
        assert!(weights.matches(&info));
        assert_eq!(weights, initialize(&info, 3).unwrap());
        assert_ne!(weights, initialize(&info, 4).unwrap());

        let lstm = weights.layer(LayerId(0));
        let bias: Vec<f32> = lstm[2].iter().copied().collect();
        let mut expected = vec![0.0f32; 16];
        expected[4..8].fill(1.0);
        assert_eq!(bias, expected, "unit_forget_bias: ones in the f block");
        // Recurrent kernel [4, 16]: orthonormal rows.
        let u = lstm[1]
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap();
        let gram = u.dot(&u.t());
        assert!(gram
            .indexed_iter()
            .all(|((i, j), &v)| (v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-5));

        let gru = weights.layer(LayerId(1));
        assert_eq!(gru[2].shape(), [2, 6]);
        assert!(gru[2].iter().all(|&v| v == 0.0));
        let limit = (6.0f32 / (4.0 + 6.0)).sqrt(); // kernel [4, 6]
        assert!(gru[0].iter().all(|v| v.abs() <= limit) && gru[0].iter().any(|&v| v != 0.0));
    }

    #[test]
    fn fans_follow_keras() {
        assert_eq!(fans(&[]), (1.0, 1.0));
        assert_eq!(fans(&[12]), (12.0, 12.0));
        assert_eq!(fans(&[5, 12]), (5.0, 12.0));
        assert_eq!(fans(&[3, 5, 12]), (15.0, 36.0));
    }
}
