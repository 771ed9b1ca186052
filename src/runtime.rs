//! Running an ONNX file in tract.
//!
//! Used by `rnnc run` (any ONNX file) and `rnnc verify` (our own files). The
//! model is loaded once, optimized with its symbolic dimensions kept, and each
//! inference runs from a fresh state: RUNTIMES.md records that a reused tract
//! `SimpleState` carries the recurrent state over from the previous run.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::ArrayD;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::tensor::{ElemType, TensorData};

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("tract could not load `{path}`: {message}")]
    Load { path: PathBuf, message: String },
    #[error("the model has {expected} inputs, but {given} were given")]
    InputCount { expected: usize, given: usize },
    #[error("input `{name}` has type {expected}, but a {given} array was given")]
    InputType {
        name: String,
        expected: String,
        given: &'static str,
    },
    #[error("tract failed to run the model: {0}")]
    Run(String),
    #[error("output `{name}` has type {dtype}, which rnnc cannot read back")]
    OutputType { name: String, dtype: String },
}

/// A graph input as the file declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputInfo {
    pub name: String,
    /// The element type, when the file declares a supported one.
    pub elem: Option<ElemType>,
}

/// An ONNX model loaded into tract, ready to run any number of times.
pub struct TractModel {
    plan: Arc<TypedSimplePlan>,
    inputs: Vec<InputInfo>,
    output_names: Vec<String>,
}

impl TractModel {
    /// Loads and optimizes the ONNX file at `path` (external data is read
    /// relative to its directory).
    pub fn load(path: &Path) -> Result<TractModel, RuntimeError> {
        Self::prepare(path, || tract_onnx::onnx().model_for_path(path))
    }

    /// Loads and optimizes an ONNX model held in memory (no external data).
    pub fn from_bytes(bytes: &[u8]) -> Result<TractModel, RuntimeError> {
        Self::prepare(Path::new("<in-memory model>"), || {
            tract_onnx::onnx().model_for_read(&mut &bytes[..])
        })
    }

    /// Reads the model with `read`, then types and optimizes it; `path`
    /// names it in errors.
    fn prepare(
        path: &Path,
        read: impl FnOnce() -> TractResult<InferenceModel>,
    ) -> Result<TractModel, RuntimeError> {
        let load_error = |message: String| RuntimeError::Load {
            path: path.to_path_buf(),
            message,
        };
        let loaded = quietly(|| -> TractResult<_> {
            let model = read()?;
            let inputs = model
                .input_outlets()?
                .iter()
                .map(|outlet| {
                    let fact = model.outlet_fact(*outlet)?;
                    Ok(InputInfo {
                        name: model.node(outlet.node).name.clone(),
                        elem: fact
                            .datum_type
                            .concretize()
                            .and_then(ElemType::from_datum_type),
                    })
                })
                .collect::<TractResult<Vec<_>>>()?;
            let output_names = model
                .output_outlets()?
                .iter()
                .map(|outlet| {
                    model
                        .outlet_label(*outlet)
                        .map(str::to_string)
                        .unwrap_or_else(|| model.node(outlet.node).name.clone())
                })
                .collect();
            let plan = model.into_optimized()?.into_runnable()?;
            Ok(TractModel {
                plan,
                inputs,
                output_names,
            })
        });
        match loaded {
            Ok(Ok(model)) => Ok(model),
            Ok(Err(e)) => Err(load_error(format!("{e:#}"))),
            Err(panic) => Err(load_error(format!("tract panicked: {panic}"))),
        }
    }

    /// The graph inputs, in order.
    pub fn inputs(&self) -> &[InputInfo] {
        &self.inputs
    }

    /// The graph output names, in order.
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// Runs one inference from a fresh state. Integer inputs are converted to
    /// the type the graph declares; floats must be given for float inputs.
    pub fn run(&self, inputs: Vec<TensorData>) -> Result<Vec<TensorData>, RuntimeError> {
        if inputs.len() != self.inputs.len() {
            return Err(RuntimeError::InputCount {
                expected: self.inputs.len(),
                given: inputs.len(),
            });
        }
        let values = inputs
            .into_iter()
            .zip(&self.inputs)
            .map(|(data, info)| {
                let data = match info.elem {
                    Some(elem) => {
                        data.convert_ids_to(elem)
                            .map_err(|given| RuntimeError::InputType {
                                name: info.name.clone(),
                                expected: elem.name().to_string(),
                                given,
                            })?
                    }
                    None => data,
                };
                Ok(data.into_tensor().into_tvalue())
            })
            .collect::<Result<TVec<TValue>, RuntimeError>>()?;
        let plan = self.plan.clone();
        let outputs = match quietly(move || plan.run(values)) {
            Ok(Ok(outputs)) => outputs,
            Ok(Err(e)) => return Err(RuntimeError::Run(format!("{e:#}"))),
            Err(panic) => return Err(RuntimeError::Run(format!("tract panicked: {panic}"))),
        };
        outputs
            .into_iter()
            .zip(&self.output_names)
            .map(|(value, name)| {
                TensorData::from_tensor(value.into_tensor()).ok_or_else(|| {
                    RuntimeError::OutputType {
                        name: name.clone(),
                        dtype: "unsupported".into(),
                    }
                })
            })
            .collect()
    }

    /// Runs one inference on float inputs and returns float outputs.
    pub fn run_f32(&self, inputs: Vec<TensorData>) -> Result<Vec<ArrayD<f32>>, RuntimeError> {
        self.run(inputs)?
            .into_iter()
            .zip(&self.output_names)
            .map(|(t, name)| match t {
                TensorData::F32(a) => Ok(a),
                other => Err(RuntimeError::OutputType {
                    name: name.clone(),
                    dtype: other.elem().name().to_string(),
                }),
            })
            .collect()
    }
}

/// Runs `f`, turning a panic into an error message and keeping the default
/// panic hook from printing it: a third-party file must never crash rnnc.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into())
    })
}
