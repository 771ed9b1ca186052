//! Seeded random inputs for verification, and inputs that reach every row
//! of an Embedding.
//!
//! Features are standard normal, so that every activation sees both signs
//! and its saturating range; token ids are uniform over the vocabulary.
//! An input that makes a Keras mask (read by `Embedding(mask_zero=True)` or
//! `Masking`) gets padded rows ([`pad`]): leading, trailing and interior
//! padding and a fully padded row, so that every masked path runs.
//! Uniform ids leave most rows of a large table untouched, so Embedding
//! models also get [`IdCoverage`]: runs that together hold every id.
//! [`check_memory`] refuses, before any is drawn, input shapes whose run
//! would not fit the memory budget.

use ndarray::{ArrayD, IxDyn};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::budget::size;
use crate::budget::weights::{elements, weight_bytes};
use crate::budget::{Budget, BudgetError};
use crate::check::ModelInfo;
use crate::ir::{InputId, LayerKind, Model, Value};
use crate::reference::footprint::{self, f32_bytes, Footprint};
use crate::tensor::TensorData;

/// Most token ids in one coverage run: a run's activations are this many
/// times an Embedding row (16,384 × 300 floats is 20 MB), so a large
/// vocabulary is covered in chunks rather than in one huge batch.
const MAX_IDS_PER_RUN: usize = 1 << 14;

/// The vocabulary the Embeddings that read model input `input` share, if
/// any reads it: the smallest, so that every id is in every table.
pub fn vocabulary(model: &Model, input: InputId) -> Option<u64> {
    model
        .consumers(Value::Input(input))
        .filter_map(|(_, call)| match &model.layers[call.layer.index()].kind {
            LayerKind::Embedding(e) => Some(e.input_dim),
            _ => None,
        })
        .min()
}

/// What marks a padded step of a model input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Padding {
    /// Token id 0 (`Embedding(mask_zero=True)`).
    ZeroId,
    /// Every feature equal to the value (`Masking(mask_value)`).
    Value(f32),
}

/// How model input `input` is padded, if a layer reading it makes a mask.
pub fn padding(model: &Model, input: InputId) -> Option<Padding> {
    model.consumers(Value::Input(input)).find_map(|(_, call)| {
        match &model.layers[call.layer.index()].kind {
            LayerKind::Embedding(e) if e.mask_zero => Some(Padding::ZeroId),
            LayerKind::Masking { value } => Some(Padding::Value(*value)),
            _ => None,
        }
    })
}

/// How verify's report names [`is_padded`]'s patterns.
pub const PADDING_PATTERNS: &str =
    "rows cycle: unpadded, padded in front, at the back, in the middle, fully, at both ends";

/// Whether [`generate`] pads step `t` of row `row` of `time` steps. The
/// rows cycle over six patterns: no padding; the first third padded (Keras'
/// `pad_sequences` pads in front); the last third; the middle third; every
/// step; the first and the last step. Without `full_rows`, a pattern that
/// would pad every step of a row (every short row, for some) keeps the last.
pub fn is_padded(row: usize, t: usize, time: usize, full_rows: bool) -> bool {
    let third = time.div_ceil(3);
    let pattern = |t: usize| match row % 6 {
        0 => false,
        1 => t < third,
        2 => t >= time - third,
        3 => (third..2 * third).contains(&t),
        4 => true,
        _ => t == 0 || t + 1 == time,
    };
    pattern(t) && (full_rows || t + 1 < time || (0..time).any(|s| !pattern(s)))
}

/// Whether verify may pad whole rows: not for a model that averages a
/// sequence (`GlobalAveragePooling1D`), since padding means it has masks.
/// Keras' masked average of a fully padded row is 0/0, NaN, which tract does
/// not carry through a later tanh (`docs/runtimes.md`); the reference does,
/// so the comparison would fail on a value Keras leaves undefined.
fn full_rows(model: &Model) -> bool {
    !model
        .layers
        .iter()
        .any(|l| l.kind == LayerKind::GlobalPooling(crate::ir::Pool::Average))
}

/// An array of `shape` for model input `input`: token ids for an input read
/// by an Embedding, features otherwise, padded where the input makes a
/// mask. The same seed and shape always give the same values.
///
/// # Panics
/// If the shape's element count overflows `usize`: shapes pass
/// [`check_memory`] first, which refuses far smaller ones.
pub fn generate(model: &Model, input: InputId, shape: &[usize], seed: u64) -> TensorData {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let len = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .expect("check_memory refused shapes whose size overflows");
    let padding = padding(model, input);
    match vocabulary(model, input) {
        Some(vocab) => {
            let vocab = vocab as i64;
            // Data steps of a masked input hold ids from 1 on, so that
            // only the padding is masked.
            let low = i64::from(padding.is_some() && vocab > 1);
            let ids = (0..len).map(|_| rng.random_range(low..vocab)).collect();
            let mut ids = ArrayD::from_shape_vec(IxDyn(shape), ids).expect("length matches shape");
            if padding.is_some() {
                pad(&mut ids, 0, full_rows(model));
            }
            TensorData::I64(ids)
        }
        _ => {
            let values = (0..len).map(|_| standard_normal(&mut rng)).collect();
            let mut x = ArrayD::from_shape_vec(IxDyn(shape), values).expect("length matches shape");
            if let Some(Padding::Value(v)) = padding {
                pad(&mut x, v, full_rows(model));
            }
            TensorData::F32(x)
        }
    }
}

/// Sets the padded steps of `x` `[B, T, …]` ([`is_padded`]) to `value`.
fn pad<T: Copy>(x: &mut ArrayD<T>, value: T, full_rows: bool) {
    if x.ndim() < 2 {
        return;
    }
    let time = x.shape()[1];
    for (row, mut steps) in x.outer_iter_mut().enumerate() {
        for (t, mut step) in steps.outer_iter_mut().enumerate() {
            if is_padded(row, t, time, full_rows) {
                step.fill(value);
            }
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

/// Copies of the weights `verify` holds besides its own: tract's, at the
/// peak of loading the file (measured peak resident size of `rnnc verify`
/// on LSTM and Embedding models: 4.5 times the weight bytes with rnnc's
/// copy, so 4 for tract rounds up what is left).
const TRACT_LOAD_COPIES: u64 = 4;

/// Names of the input axes, for messages.
const AXIS_NAMES: [&str; 3] = ["batch", "time", "features"];

/// Refuses cases that verify could not run within `budget` (a case is one
/// shape per model input): each case holds the model's weights (rnnc's and
/// tract's), the inputs (and the reference's copies of them), and the
/// activations of the reference interpreter and of tract. The refusal
/// names the axis to blame — the one `--batch` set (`batch`), or the model
/// fixes — or the layer, and how to lower it.
pub fn check_memory(
    model: &Model,
    info: &ModelInfo,
    cases: &[Vec<Vec<usize>>],
    batch: Option<usize>,
    budget: &Budget,
) -> Result<(), BudgetError> {
    let weights = weight_bytes(info);
    let resident = weights.saturating_mul(1 + TRACT_LOAD_COPIES);
    for shapes in cases {
        let input = shapes
            .iter()
            .enumerate()
            .map(|(i, shape)| match vocabulary(model, InputId(i as u32)) {
                // Token ids are i64 for the reference and the input alike.
                Some(_) => elements(shape).saturating_mul(2 * 8),
                None => f32_bytes(shape).saturating_mul(2),
            })
            .fold(0u64, u64::saturating_add);
        let peak = footprint::peak(model, info, shapes);
        let need = resident
            .saturating_add(input)
            .saturating_add(peak.bytes.saturating_mul(2));
        budget.check(need, || {
            let (cause, advice) = blame(info, batch, weights, resident, peak);
            (
                format!("verify on input {}", render_shapes(shapes)),
                cause,
                advice,
            )
        })?;
    }
    Ok(())
}

/// `[2, 5, 3]` for one input, `[2, 5, 3] [2, 4]` for several.
pub fn render_shapes(shapes: &[Vec<usize>]) -> String {
    shapes
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a verify case is too large and what to do: `--batch` when it set a
/// large batch, the axes the model fixes when they are large, else the
/// weights or the heaviest layer.
fn blame(
    info: &ModelInfo,
    batch: Option<usize>,
    weights: u64,
    resident: u64,
    peak: Footprint,
) -> (String, String) {
    let fixed: Vec<String> = info.inputs[0]
        .shape
        .iter()
        .enumerate()
        .filter_map(|(axis, dim)| {
            let n = (*dim)?;
            let chosen = axis == 0 && batch.is_some();
            (!chosen && n > LARGE_AXIS).then(|| format!("axis {axis} ({}) at {n}", axis_name(axis)))
        })
        .collect();
    let by_option = batch.filter(|&b| b as u64 > LARGE_AXIS);
    if let Some(b) = by_option {
        return (
            format!("--batch {b} sets axis 0 (batch)"),
            "lower --batch".into(),
        );
    }
    if !fixed.is_empty() {
        return (
            format!("the model fixes {}", fixed.join(" and ")),
            "verify cannot shrink an axis the model fixes: verify a copy of the spec with it free \
             (None, or `input_shape=` instead of `batch_input_shape=`)"
                .into(),
        );
    }
    match peak.layer.map(|id| info.layer(id)) {
        Some(layer) if peak.bytes > resident => (
            format!(
                "{} layer `{}` holds {} of activations at once, in the reference and again in tract",
                layer.class_name,
                layer.name,
                size::format(peak.bytes)
            ),
            format!("give `{}` fewer units", layer.name),
        ),
        _ => (
            format!(
                "the model's {} of weights are held by rnnc and, about {TRACT_LOAD_COPIES} times over, by tract",
                size::format(weights)
            ),
            "verify it on a machine with more memory".into(),
        ),
    }
}

/// An axis longer than this is worth naming as the cause of a refusal:
/// verify's own choices stay far below it (batches up to 5, lengths up to 9).
const LARGE_AXIS: u64 = 64;

fn axis_name(axis: usize) -> &'static str {
    AXIS_NAMES.get(axis).copied().unwrap_or("feature")
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
    fn rows_are_fully_padded_only_with_full_rows() {
        for time in 1..8 {
            let fully =
                |row: usize, full_rows: bool| (0..time).all(|t| is_padded(row, t, time, full_rows));
            assert!(fully(4, true), "time {time}");
            assert!((0..6).all(|row| !fully(row, false)), "time {time}");
            // Each pattern pads something once there are three steps.
            assert!((1..6).all(|row| time < 3 || (0..time).any(|t| is_padded(row, t, time, false))));
        }
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
    use crate::budget::Origin;
    use crate::spec::Spec;

    fn spec(source: &str) -> Spec {
        Spec::from_source(source.into(), "test.rnn").unwrap()
    }

    fn budget(bytes: u64) -> Budget {
        Budget {
            bytes,
            origin: Origin::Option,
        }
    }

    #[test]
    fn small_cases_pass() {
        let s = spec("SimpleRNN(3, input_shape=(None, 8))");
        let shapes = [vec![vec![5, 9, 8]]];
        assert_eq!(
            check_memory(&s.model, &s.info, &shapes, None, &budget(1 << 20)),
            Ok(())
        );
    }

    #[test]
    fn a_large_batch_option_is_named() {
        let s = spec("SimpleRNN(3, input_shape=(2, 10))");
        let shapes = [vec![vec![1 << 40, 2, 10]]];
        let err = check_memory(&s.model, &s.info, &shapes, Some(1 << 40), &budget(1 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("verify on input [1099511627776, 2, 10] needs"),
            "{err}"
        );
        assert!(
            err.contains("--batch 1099511627776 sets axis 0 (batch); lower --batch"),
            "{err}"
        );
    }

    #[test]
    fn an_overflowing_batch_saturates() {
        let s = spec("SimpleRNN(3, input_shape=(2, 10))");
        let shapes = [vec![vec![usize::MAX, 2, 10]]];
        let err = check_memory(
            &s.model,
            &s.info,
            &shapes,
            Some(usize::MAX),
            &budget(1 << 30),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("needs over 16 EiB"), "{err}");
    }

    #[test]
    fn fixed_axes_of_the_model_are_named() {
        let s = spec("SimpleRNN(3, batch_input_shape=(100000, 100000, 8))");
        let shapes = [vec![vec![100000, 100000, 8]]];
        let err = check_memory(&s.model, &s.info, &shapes, None, &budget(1 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the model fixes axis 0 (batch) at 100000 and axis 1 (time) at 100000"),
            "{err}"
        );
        assert!(err.contains("batch_input_shape"), "{err}");
    }

    #[test]
    fn the_layer_or_the_weights_are_named_when_no_axis_is_large() {
        let s = spec("SimpleRNN(100, return_sequences=True, input_shape=(64, 1))");
        let shapes = [vec![vec![5, 64, 1]]];
        let resident = weight_bytes(&s.info) * (1 + TRACT_LOAD_COPIES);
        let err = check_memory(&s.model, &s.info, &shapes, None, &budget(resident + 1000))
            .unwrap_err()
            .to_string();
        assert!(err.contains("SimpleRNN layer `simple_rnn` holds"), "{err}");
        assert!(err.contains("give `simple_rnn` fewer units"), "{err}");
        let s = spec("SimpleRNN(100, input_shape=(None, 1))");
        let shapes = [vec![vec![5, 9, 1]]];
        let resident = weight_bytes(&s.info) * (1 + TRACT_LOAD_COPIES);
        let err = check_memory(&s.model, &s.info, &shapes, None, &budget(resident - 1))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("of weights are held by rnnc and, about 4 times over, by tract"),
            "{err}"
        );
    }
}
