//! Test helpers: hand-built IR, Keras oracle cases from `fixtures/oracle/`,
//! and running emitted bytes in tract.

use std::fs::File;
use std::path::PathBuf;

use ndarray::{ArrayD, Axis};
use ndarray_npy::{NpzReader, ReadNpyExt};
use tract_onnx::prelude::*;

use super::{emit, encode, EmitOptions, Lowering};
use crate::check::{self, ModelInfo};
use crate::diag::Span;
use crate::ir::{
    Activation, Bidirectional, CellKind, Dense, Embedding, Initializer, InputDecl, InputDtype,
    Layer, LayerKind, MergeMode, Model, Recurrent,
};
use crate::weights::Weights;

/// Largest absolute difference accepted against Keras' numbers (float32
/// arithmetic in a different order over a few steps).
pub const TOLERANCE: f32 = 1e-5;

/// A recurrent layer with Keras' defaults.
pub fn rnn(cell: CellKind, units: u64) -> Recurrent {
    Recurrent::with_keras_defaults(cell, units)
}

/// Keras' default LSTM.
pub const LSTM: CellKind = CellKind::Lstm {
    unit_forget_bias: true,
};
/// Keras' default GRU.
pub const GRU: CellKind = CellKind::Gru { reset_after: true };

/// `Bidirectional(r, merge_mode=merge)`.
pub fn bidi(r: Recurrent, merge: MergeMode) -> LayerKind {
    LayerKind::Bidirectional(Bidirectional {
        layer: r,
        inner_name: None,
        merge_mode: merge,
        inner_span: Span::default(),
    })
}

/// `Dense(units, activation)`.
pub fn dense(units: u64, activation: Activation) -> Dense {
    Dense {
        units,
        activation,
        use_bias: true,
        kernel_initializer: Initializer::GlorotUniform,
        bias_initializer: Initializer::Zeros,
    }
}

/// `Embedding(input_dim, output_dim)`.
pub fn embedding(input_dim: u64, output_dim: u64) -> LayerKind {
    LayerKind::Embedding(Embedding {
        input_dim,
        output_dim,
        embeddings_initializer: Initializer::RandomUniform,
    })
}

/// A layer without name or input declaration.
pub fn layer(kind: LayerKind) -> Layer {
    Layer {
        name: None,
        kind,
        input: None,
        span: Span::default(),
    }
}

/// `Input(shape=dims, dtype=...)` followed by `layers`.
pub fn model(dims: &[Option<u64>], dtype: Option<InputDtype>, layers: Vec<LayerKind>) -> Model {
    Model {
        name: None,
        input: Some(InputDecl {
            batch: None,
            dims: dims.to_vec(),
            dtype,
            span: Span::default(),
        }),
        layers: layers.into_iter().map(layer).collect(),
    }
}

/// The folder of an oracle case.
pub fn oracle_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/oracle")
        .join(case)
}

/// The case's weights, read by `info`'s weight keys.
pub fn load_weights(case: &str, info: &ModelInfo) -> Weights {
    let file = File::open(oracle_dir(case).join("weights.npz")).expect("weights.npz");
    let mut npz = NpzReader::new(file).expect("npz");
    let layers = info
        .layers
        .iter()
        .map(|l| {
            l.weights
                .iter()
                .map(|spec| {
                    npz.by_name::<ndarray::OwnedRepr<f32>, ndarray::IxDyn>(&spec.key)
                        .unwrap_or_else(|e| panic!("{case}: {}: {e}", spec.key))
                })
                .collect()
        })
        .collect();
    let weights = Weights::from_layers(layers);
    assert!(weights.matches(info), "{case}: weight shapes");
    weights
}

/// A model input: float features or integer token ids.
#[derive(Clone, Debug)]
pub enum Input {
    F32(ArrayD<f32>),
    I32(ArrayD<i32>),
}

impl Input {
    /// The first `n` batch rows.
    pub fn batch_prefix(&self, n: usize) -> Input {
        match self {
            Input::F32(a) => Input::F32(a.slice_axis(Axis(0), (0..n).into()).to_owned()),
            Input::I32(a) => Input::I32(a.slice_axis(Axis(0), (0..n).into()).to_owned()),
        }
    }

    fn tensor(&self) -> Tensor {
        match self {
            Input::F32(a) => {
                let data: Vec<f32> = a.iter().copied().collect();
                Tensor::from_shape(a.shape(), &data).expect("tensor")
            }
            Input::I32(a) => {
                let data: Vec<i32> = a.iter().copied().collect();
                Tensor::from_shape(a.shape(), &data).expect("tensor")
            }
        }
    }
}

/// A Keras oracle: the model, its info and weights, an input and Keras' outputs.
pub struct Case {
    pub name: String,
    pub model: Model,
    pub info: ModelInfo,
    pub weights: Weights,
    pub input: Input,
    pub expected: Vec<ArrayD<f32>>,
}

/// Loads `case` for `model` (`long`: the T=13 input of a T=None case).
pub fn load_case(case: &str, model: Model, long: bool) -> Case {
    let info = check::check(&model).unwrap_or_else(|e| panic!("{case}: check: {e:?}"));
    let weights = load_weights(case, &info);
    let (input_file, expected_file) = if long {
        ("input_long.npy", "expected_long.npz")
    } else {
        ("input.npy", "expected.npz")
    };
    let path = oracle_dir(case).join(input_file);
    let input = match ArrayD::<f32>::read_npy(File::open(&path).expect("input")) {
        Ok(a) => Input::F32(a),
        Err(_) => Input::I32(
            ArrayD::<i32>::read_npy(File::open(&path).expect("input")).expect("int input"),
        ),
    };
    let file = File::open(oracle_dir(case).join(expected_file)).expect("expected");
    let mut npz = NpzReader::new(file).expect("npz");
    let expected = (0..info.output_shapes().len())
        .map(|i| {
            npz.by_name::<ndarray::OwnedRepr<f32>, ndarray::IxDyn>(&format!("output_{i}"))
                .expect("expected output")
        })
        .collect();
    Case {
        name: case.to_string(),
        model,
        info,
        weights,
        input,
        expected,
    }
}

/// Runs ONNX bytes in tract on `input` from a fresh state.
pub fn run_tract(bytes: &[u8], input: &Input) -> TractResult<Vec<ArrayD<f32>>> {
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])?
        .into_optimized()?
        .into_runnable()?;
    let outputs = plan.run(tvec!(input.tensor().into()))?;
    outputs
        .iter()
        .map(|o| {
            let view = o.to_plain_array_view::<f32>()?;
            let data: Vec<f32> = view.iter().copied().collect();
            Ok(ArrayD::from_shape_vec(view.shape().to_vec(), data)?)
        })
        .collect()
}

/// Largest absolute difference, or `None` on a shape mismatch.
pub fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> Option<f32> {
    (a.shape() == b.shape()).then(|| {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    })
}

/// Emits `case` with `lowering`, runs it in tract on the first `batch`
/// rows of the input (all with `None`), and compares with Keras.
pub fn check_case(case: &Case, lowering: Lowering, batch: Option<usize>) {
    let options = EmitOptions {
        lowering,
        ..EmitOptions::default()
    };
    let proto = emit(&case.model, &case.info, &case.weights, &options)
        .unwrap_or_else(|e| panic!("{}: emit: {e}", case.name));
    let bytes = encode(&proto);
    let (input, expected): (Input, Vec<ArrayD<f32>>) = match batch {
        None => (case.input.clone(), case.expected.clone()),
        Some(n) => (
            case.input.batch_prefix(n),
            case.expected
                .iter()
                .map(|e| e.slice_axis(Axis(0), (0..n).into()).to_owned())
                .collect(),
        ),
    };
    let got = run_tract(&bytes, &input)
        .unwrap_or_else(|e| panic!("{} ({lowering:?}): tract: {e:?}", case.name));
    assert_eq!(got.len(), expected.len(), "{}: output count", case.name);
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        let diff = max_abs_diff(g, e).unwrap_or_else(|| {
            panic!(
                "{} ({lowering:?}) output_{i}: shape {:?}, Keras {:?}",
                case.name,
                g.shape(),
                e.shape()
            )
        });
        assert!(
            diff <= TOLERANCE,
            "{} ({lowering:?}) output_{i}: max abs diff {diff}",
            case.name
        );
    }
}
