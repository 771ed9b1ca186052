//! Test helpers: compact builders for hand-written IR and loaders for the
//! Keras oracle fixtures in `fixtures/oracle/<case>/`.
//!
//! The builders mirror the fixtures' Keras syntax, e.g.
//! `model(&[Some(5), Some(3)], vec![lstm(6).seq().state().layer()])` for
//! `Input(shape=(5, 3)); LSTM(6, return_sequences=True, return_state=True)`.

use std::path::PathBuf;

use ndarray::ArrayD;
use ndarray_npy::{NpzReader, ReadNpyExt};

use crate::check::{check, ModelInfo};
use crate::diag::Span;
use crate::ir::{
    Activation, Bidirectional, CellKind, Dense, Embedding, Initializer, InputDecl, InputDtype,
    Layer, LayerKind, MergeMode, Model, Recurrent,
};

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
    /// `return_state=True`.
    pub fn state(mut self) -> Rnn {
        self.0.return_state = true;
        self
    }
    /// `go_backwards=True`.
    pub fn back(mut self) -> Rnn {
        self.0.go_backwards = true;
        self
    }
    /// `activation=`.
    pub fn act(mut self, a: Activation) -> Rnn {
        self.0.activation = a;
        self
    }
    /// `recurrent_activation=`.
    pub fn ract(mut self, a: Activation) -> Rnn {
        self.0.recurrent_activation = a;
        self
    }
    /// `use_bias=False`.
    pub fn no_bias(mut self) -> Rnn {
        self.0.use_bias = false;
        self
    }
    /// GRU `reset_after=False`.
    pub fn reset_before(mut self) -> Rnn {
        self.0.cell = CellKind::Gru { reset_after: false };
        self
    }
    /// LSTM `unit_forget_bias=False`.
    pub fn no_forget_bias(mut self) -> Rnn {
        self.0.cell = CellKind::Lstm {
            unit_forget_bias: false,
        };
        self
    }
    /// The layer itself.
    pub fn layer(self) -> Layer {
        layer(LayerKind::Recurrent(self.0))
    }
    /// `Bidirectional(self, merge_mode=...)`.
    pub fn bidi(self, merge_mode: MergeMode) -> Layer {
        layer(LayerKind::Bidirectional(Bidirectional {
            layer: self.0,
            inner_name: None,
            merge_mode,
            inner_span: Span::default(),
        }))
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

/// `TimeDistributed(Dense(units, activation=...))`.
pub fn time_distributed(units: u64, activation: Activation) -> Layer {
    layer(LayerKind::TimeDistributed(Box::new(dense(
        units, activation,
    ))))
}

/// `Embedding(input_dim, output_dim)`.
pub fn embedding(input_dim: u64, output_dim: u64) -> Layer {
    layer(LayerKind::Embedding(Embedding {
        input_dim,
        output_dim,
        embeddings_initializer: Initializer::RandomUniform,
    }))
}

/// `Dropout(rate)`.
pub fn dropout(rate: f64) -> Layer {
    layer(LayerKind::Dropout { rate })
}

/// `Activation(name)`.
pub fn activation(a: Activation) -> Layer {
    layer(LayerKind::Activation(a))
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
    Model {
        name: None,
        input: Some(InputDecl {
            batch,
            dims: dims.to_vec(),
            dtype: ids.then_some(InputDtype::Int32),
            span: Span::default(),
        }),
        layers,
    }
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

/// An input `.npy`: float32 as features, int32/int64 as token ids.
pub fn read_input(path: &std::path::Path) -> crate::reference::ReferenceInput {
    use crate::reference::ReferenceInput;
    let open = || std::fs::File::open(path).unwrap();
    if let Ok(x) = ArrayD::<f32>::read_npy(open()) {
        return ReferenceInput::Float(x);
    }
    if let Ok(x) = ArrayD::<i32>::read_npy(open()) {
        return ReferenceInput::Ids(x.mapv(i64::from));
    }
    ReferenceInput::Ids(ArrayD::<i64>::read_npy(open()).unwrap())
}

/// `output_0`, `output_1`, … of an expected-outputs `.npz`.
pub fn read_expected(path: &std::path::Path) -> Vec<ArrayD<f32>> {
    let mut npz = NpzReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let count = npz.len();
    (0..count)
        .map(|i| npz.by_name(&format!("output_{i}")).unwrap())
        .collect()
}
