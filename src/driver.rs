//! The library's front door: a checked spec and options in, the ONNX model
//! (with its weights and metadata) out, the stages run in order.
//!
//! The CLI's `compile` is this plus writing the file and, with `--verify`,
//! verifying it; tests and library users call it the same way.

use std::path::Path;

use crate::back::onnx::{self as backend, proto::ModelProto, BackError, EmitOptions, Lowering};
use crate::budget::{self, BudgetError};
use crate::metadata::{self, WeightSource};
use crate::spec::Spec;
use crate::weights::{self, Weights, WeightsError};

/// How to compile.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// Keras' weights (`.weights.h5`, `.keras`, legacy `.h5`, `.npz`), or
    /// none for Keras-style initialization from `seed`.
    pub weights: Option<&'a Path>,
    /// The seed of the initialization when no weights file is given.
    pub seed: u64,
    /// The ai.onnx opset to write.
    pub opset: i64,
    /// Native recurrent operators, Scan, or per layer.
    pub lowering: Lowering,
}

/// A compiled model: the ONNX protobuf, the source weights it holds (kept
/// for verification), and where they came from.
#[derive(Debug)]
pub struct Compiled {
    pub proto: ModelProto,
    pub weights: Weights,
    pub source: WeightSource,
}

/// Why a spec could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Back(#[from] BackError),
}

/// Compiles `spec` (read from a file named `spec_file`, which the metadata
/// records) with `options`.
pub fn compile(
    spec: &Spec,
    spec_file: &str,
    options: &Options<'_>,
) -> Result<Compiled, DriverError> {
    budget::weights::check_compile(&spec.info, options.weights.is_none(), &budget::current())?;
    let (weights, source) = match options.weights {
        Some(path) => {
            let loaded = weights::load(path, &spec.info)?;
            let source = WeightSource::File {
                sha256: weights::sha256_file(path)?,
                name: path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                ),
            };
            (loaded, source)
        }
        None => (
            weights::initialize(&spec.info, options.seed)?,
            WeightSource::Seed(options.seed),
        ),
    };
    let model_file = match &spec.model_file {
        Some(file) => {
            // Usually the weights came from the model file: hashed already.
            let sha256 = match (&source, options.weights) {
                (WeightSource::File { sha256, .. }, Some(path))
                    if crate::outputs::same_file(path, &file.path) =>
                {
                    sha256.clone()
                }
                _ => weights::sha256_file(&file.path)?,
            };
            metadata::model_file_entries(&sha256, file.keras_version.as_deref())
        }
        None => Vec::new(),
    };
    let emit_options = EmitOptions {
        opset: options.opset,
        lowering: options.lowering,
        metadata: [
            metadata::entries(&spec.source, spec_file, &source),
            model_file,
            metadata::emit_entries(options.lowering, options.opset),
            metadata::streaming_entries(spec),
        ]
        .concat(),
    };
    let proto = {
        let _phase = crate::progress::phase("emitting ONNX");
        backend::emit(&spec.model, &spec.info, &weights, &emit_options)?
    };
    Ok(Compiled {
        proto,
        weights,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_functional_spec_compiles_with_seeded_weights() {
        let spec = Spec::from_source(
            "import keras\nfrom keras import layers\n\
             a = keras.Input(shape=(None, 3), name='a')\nb = keras.Input(shape=(4,), name='b')\n\
             h = layers.Dense(5)(b)\n\
             model = keras.Model([a, b], layers.GRU(5)(a, initial_state=h))\n"
                .into(),
            "m.rnn",
        )
        .unwrap();
        let options = Options {
            weights: None,
            seed: 7,
            opset: backend::DEFAULT_OPSET,
            lowering: Lowering::Auto,
        };
        let compiled = compile(&spec, "m.rnn", &options).unwrap();
        let graph = compiled.proto.graph.unwrap();
        let inputs: Vec<_> = graph
            .input
            .iter()
            .map(|v| v.name.clone().unwrap())
            .collect();
        assert_eq!(inputs, ["a", "b"]);
        assert_eq!(compiled.source, WeightSource::Seed(7));
        // Deterministic: the same spec and options give the same bytes.
        let again = compile(&spec, "m.rnn", &options).unwrap();
        let first = compile(&spec, "m.rnn", &options).unwrap();
        assert_eq!(backend::encode(&again.proto), backend::encode(&first.proto));
    }
}
