//! Test helpers shared by the unit tests: compact builders for hand-written
//! IR, and the Keras oracle fixtures of `fixtures/oracle/<case>/`, loaded
//! through the frontend, the weights loader and the tensor reader rnnc uses.
//!
//! The builders mirror the fixtures' Keras syntax, e.g.
//! `model(&[Some(5), Some(3)], vec![lstm(6).seq().layer()])` for
//! `Input(shape=(5, 3)); LSTM(6, return_sequences=True)`.

use std::path::PathBuf;

use ndarray::ArrayD;
use ndarray_npy::NpzReader;

use crate::check::{check, ModelInfo};
use crate::diag::Span;
use crate::ir::{
    Activation, CellKind, Dense, Embedding, Initializer, InputDecl, InputDtype, Layer, LayerKind,
    Model, Recurrent,
};
use crate::spec::Spec;
use crate::tensor::TensorData;
use crate::weights::{load_npz, Weights};

/// A recurrent layer under construction, with Keras' defaults.
#[derive(Clone)]
pub struct Rnn(pub Recurrent);

fn recurrent(cell: CellKind, units: u64) -> Rnn {
    Rnn(Recurrent::with_keras_defaults(cell, units))
}

/// `SimpleRNN(units)`.
pub fn simple_rnn(units: u64) -> Rnn {
    recurrent(CellKind::SimpleRnn, units)
}

/// `LSTM(units)` (unit_forget_bias=True).
pub fn lstm(units: u64) -> Rnn {
    recurrent(
        CellKind::Lstm {
            unit_forget_bias: true,
        },
        units,
    )
}

/// `GRU(units)` (reset_after=True).
pub fn gru(units: u64) -> Rnn {
    recurrent(CellKind::Gru { reset_after: true }, units)
}

impl Rnn {
    /// `return_sequences=True`.
    pub fn seq(mut self) -> Rnn {
        self.0.return_sequences = true;
        self
    }
    /// The layer itself.
    pub fn layer(self) -> Layer {
        layer(LayerKind::Recurrent(self.0))
    }
}

fn layer(kind: LayerKind) -> Layer {
    Layer {
        name: None,
        kind,
        input: None,
        span: Span::default(),
    }
}

fn dense_kind(units: u64, activation: Activation) -> Dense {
    Dense {
        units,
        activation,
        use_bias: true,
        kernel_initializer: Initializer::GlorotUniform,
        bias_initializer: Initializer::Zeros,
    }
}

/// `Dense(units, activation=...)`.
pub fn dense(units: u64, activation: Activation) -> Layer {
    layer(LayerKind::Dense(dense_kind(units, activation)))
}

/// `Embedding(input_dim, output_dim)`.
pub fn embedding(input_dim: u64, output_dim: u64) -> Layer {
    layer(LayerKind::Embedding(Embedding {
        input_dim,
        output_dim,
        embeddings_initializer: Initializer::RandomUniform,
        mask_zero: false,
    }))
}

/// `Input(shape=dims)` followed by `layers`; int32 input when the first layer
/// is an Embedding.
pub fn model(dims: &[Option<u64>], layers: Vec<Layer>) -> Model {
    model_with_batch(None, dims, layers)
}

/// `Input(batch_shape=(batch, *dims))` followed by `layers`.
pub fn model_with_batch(batch: Option<u64>, dims: &[Option<u64>], layers: Vec<Layer>) -> Model {
    let ids = matches!(
        layers.first().map(|l| &l.kind),
        Some(LayerKind::Embedding(_))
    );
    Model::sequential(
        None,
        Some(InputDecl {
            batch,
            dims: dims.to_vec(),
            dtype: ids.then_some(InputDtype::Int32),
            span: Span::default(),
        }),
        layers,
    )
}

/// Checks a hand-built model, panicking on errors.
pub fn info(model: &Model) -> ModelInfo {
    check(model).unwrap_or_else(|e| panic!("test model does not check: {e:?}"))
}

/// `fixtures/oracle/<case>/<file>`.
pub fn fixture(case: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/oracle")
        .join(case)
        .join(file)
}

/// One input of an oracle case and Keras' outputs for it.
pub struct OracleRun {
    /// `input.npy` or `input_long.npy`.
    pub file: &'static str,
    pub input: TensorData,
    /// Keras' `output_0`, `output_1`, … in order.
    pub expected: Vec<ArrayD<f32>>,
}

/// A Keras oracle: the case's spec, Keras' weights, and its inputs with
/// Keras' outputs (the T=13 input too for models of any length).
pub struct Oracle {
    pub name: String,
    pub spec: Spec,
    pub weights: Weights,
    pub runs: Vec<OracleRun>,
}

/// Loads `fixtures/oracle/<case>/`, panicking on anything missing.
pub fn oracle(case: &str) -> Oracle {
    let spec = Spec::load(&fixture(case, "model.rnn")).unwrap_or_else(|e| panic!("{case}: {e}"));
    let weights = load_npz(&fixture(case, "weights.npz"), &spec.info)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let runs = [
        ("input.npy", "expected.npz"),
        ("input_long.npy", "expected_long.npz"),
    ]
    .into_iter()
    .filter(|(input, _)| fixture(case, input).exists())
    .map(|(file, expected)| {
        let input = TensorData::read_npy(&fixture(case, file)).unwrap_or_else(|e| panic!("{e}"));
        let mut npz = NpzReader::new(std::fs::File::open(fixture(case, expected)).unwrap())
            .unwrap_or_else(|e| panic!("{case}/{expected}: {e}"));
        let expected = (0..npz.len())
            .map(|i| npz.by_name(&format!("output_{i}")).unwrap())
            .collect();
        OracleRun {
            file,
            input,
            expected,
        }
    })
    .collect();
    Oracle {
        name: case.to_string(),
        spec,
        weights,
        runs,
    }
}

/// Every oracle case folder's name.
pub fn oracle_cases() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/oracle");
    let mut cases: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.rnn").exists())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

/// Largest absolute difference (NaN-aware), or `None` on a shape mismatch.
pub fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> Option<f32> {
    (a.shape() == b.shape()).then(|| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, |m, d| if d.is_nan() || d > m { d } else { m })
    })
}
