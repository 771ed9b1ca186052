//! Running an ONNX file in tract.
//!
//! Used by `rnnc run` (any ONNX file) and `rnnc verify` (our own files). The
//! model is loaded once, optimized with its symbolic dimensions kept, and each
//! inference runs from a fresh state: RUNTIMES.md records that a reused tract
//! `SimpleState` carries the recurrent state over from the previous run.
//!
//! This is the boundary with tract: the file is checked first ([`preflight`]),
//! each input is checked against the graph's declared shape and type and its
//! token ids against the tables they index, and a panic inside tract is
//! caught and reported as an error rather than crashing rnnc.

pub mod preflight;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::ArrayD;
use prost::Message as _;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::files::FileError;
use crate::tensor::npy::shape_text;
use crate::tensor::{ElemType, TensorData};
use preflight::TableLookup;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("tract could not load `{path}`: {message}")]
    Load { path: PathBuf, message: String },
    #[error("`{path}`: node `{node}` ({op}) cannot be loaded: {problem}")]
    Node {
        path: PathBuf,
        node: String,
        op: String,
        problem: String,
    },
    #[error("`{path}`: tensor `{tensor}` cannot be loaded: {problem}")]
    Tensor {
        path: PathBuf,
        tensor: String,
        problem: String,
    },
    #[error(
        "tract crashed while {stage} the model ({message}); this is a failure inside tract \
         on a file or input that rnnc's own checks let through"
    )]
    Panic {
        stage: &'static str,
        message: String,
    },
    #[error("the model has {expected} inputs, but {given} were given")]
    InputCount { expected: usize, given: usize },
    #[error("input `{name}` takes {expected} {}, but the array holds {given} values; {}",
        if *expected == "float32" { "features" } else { "token ids" },
        if *expected == "float32" {
            "save it as floats, e.g. np.save('x.npy', x.astype('float32'))"
        } else {
            "save the ids as integers, e.g. np.save('x.npy', ids.astype('int64'))"
        }
    )]
    InputType {
        name: String,
        expected: &'static str,
        given: &'static str,
    },
    #[error(
        "input `{name}` has {given} axes (shape {shape}), the model expects {expected}{} \
         (declared shape {declared})",
        axis_list(*expected, *elem)
    )]
    InputRank {
        name: String,
        given: usize,
        expected: usize,
        shape: String,
        declared: String,
        elem: Option<ElemType>,
    },
    #[error(
        "input `{name}`: axis {axis}{} is {given}, the model expects {expected} \
         (given shape {shape}, declared shape {declared})",
        axis_name(*axis, *rank, *elem).map_or_else(String::new, |n| format!(" ({n})"))
    )]
    InputDim {
        name: String,
        axis: usize,
        rank: usize,
        given: usize,
        expected: u64,
        shape: String,
        declared: String,
        elem: Option<ElemType>,
    },
    #[error(
        "input `{name}` holds token id {id} at index {index}, but `{node}` looks it up in a \
         table of {rows} rows: ids must be in 0..{rows}"
    )]
    TokenId {
        name: String,
        id: i64,
        index: String,
        node: String,
        rows: u64,
    },
    #[error("tract failed to run the model: {0}")]
    Run(String),
    #[error("output `{name}` has type {dtype}, which rnnc cannot read back")]
    OutputType { name: String, dtype: String },
}

/// rnnc's names for the axes of its inputs: float features are
/// (batch, time, features), token ids (batch, time). Other ranks get none.
fn axis_names(rank: usize, elem: Option<ElemType>) -> Option<&'static [&'static str]> {
    match (rank, elem) {
        (3, Some(ElemType::F32)) => Some(&["batch", "time", "features"]),
        (2, Some(ElemType::I32 | ElemType::I64)) => Some(&["batch", "time"]),
        _ => None,
    }
}

fn axis_name(axis: usize, rank: usize, elem: Option<ElemType>) -> Option<&'static str> {
    axis_names(rank, elem).and_then(|names| names.get(axis).copied())
}

/// ` (batch, time, features)` after an axis count, when rnnc names them.
fn axis_list(rank: usize, elem: Option<ElemType>) -> String {
    axis_names(rank, elem).map_or_else(String::new, |names| format!(" ({})", names.join(", ")))
}

/// A graph input as the file declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputInfo {
    pub name: String,
    /// The element type, when the file declares a supported one.
    pub elem: Option<ElemType>,
    /// The declared dims (`None` for a symbolic one), when the file declares a shape.
    pub dims: Option<Vec<Option<u64>>>,
}

impl InputInfo {
    /// Refuses float features given for token ids and token ids given for
    /// float features.
    fn check_type(&self, data: &TensorData) -> Result<(), RuntimeError> {
        let mismatch = match (self.elem, data.elem()) {
            (Some(ElemType::F32), ElemType::I32 | ElemType::I64) => true,
            (Some(ElemType::I32 | ElemType::I64), ElemType::F32) => true,
            (Some(_) | None, _) => false,
        };
        match self.elem {
            Some(expected) if mismatch => Err(RuntimeError::InputType {
                name: self.name.clone(),
                expected: expected.name(),
                given: data.elem().name(),
            }),
            _ => Ok(()),
        }
    }

    /// Checks a given array's shape against the declared one: the rank, and
    /// every fixed dim (a symbolic dim accepts any size).
    fn check_shape(&self, shape: &[usize]) -> Result<(), RuntimeError> {
        let Some(dims) = &self.dims else {
            return Ok(());
        };
        let declared = dims_text(dims);
        if dims.len() != shape.len() {
            return Err(RuntimeError::InputRank {
                name: self.name.clone(),
                given: shape.len(),
                expected: dims.len(),
                shape: shape_text(shape),
                declared,
                elem: self.elem,
            });
        }
        for (axis, (&given, dim)) in shape.iter().zip(dims).enumerate() {
            if let Some(expected) = *dim {
                if given as u64 != expected {
                    return Err(RuntimeError::InputDim {
                        name: self.name.clone(),
                        axis,
                        rank: dims.len(),
                        given,
                        expected,
                        shape: shape_text(shape),
                        declared,
                        elem: self.elem,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Declared dims as `(None, 2, 10)`.
fn dims_text(dims: &[Option<u64>]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| d.map_or_else(|| "None".to_string(), |n| n.to_string()))
        .collect();
    match parts.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", parts.join(", ")),
    }
}

/// An ONNX model loaded into tract, ready to run any number of times.
pub struct TractModel {
    plan: Arc<TypedSimplePlan>,
    inputs: Vec<InputInfo>,
    output_names: Vec<String>,
    lookups: Vec<TableLookup>,
}

impl TractModel {
    /// Checks, loads and optimizes the ONNX file at `path` (external data is
    /// read relative to its directory).
    pub fn load(path: &Path) -> Result<TractModel, RuntimeError> {
        Self::load_for(path, &[])
    }

    /// Like [`load`](Self::load), but checks `given` inputs against the
    /// declared types and shapes before tract reads the file: tract's
    /// optimization allocates what fixed dims declare, so a file declaring an
    /// input of 10¹² rows must be refused before it gets that far.
    pub fn load_for(path: &Path, given: &[&TensorData]) -> Result<TractModel, RuntimeError> {
        let mut proto = preflight::read_model(path)?;
        let checked = preflight::check(path, Some(path), &proto)?;
        for (info, data) in checked.inputs.iter().zip(given) {
            info.check_type(data)?;
            info.check_shape(data.shape())?;
        }
        if path.to_str().is_some() {
            drop(proto);
            return Self::prepare(path, checked, || tract_onnx::onnx().model_for_path(path));
        }
        // tract finds external data only through a UTF-8 model path: for
        // any other path the data (already checked above) is read here.
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let problems = crate::verify::external::resolve(&mut proto, folder);
        if let Some(problem) = problems.into_iter().next() {
            return Err(RuntimeError::Load {
                path: path.to_path_buf(),
                message: problem,
            });
        }
        let bytes = proto.encode_to_vec();
        drop(proto);
        Self::prepare(path, checked, || {
            tract_onnx::onnx().model_for_read(&mut &bytes[..])
        })
    }

    /// Checks, loads and optimizes an ONNX model held in memory (no external
    /// data).
    pub fn from_bytes(bytes: &[u8]) -> Result<TractModel, RuntimeError> {
        let path = Path::new("<in-memory model>");
        let proto = crate::back::onnx::proto::ModelProto::decode(bytes).map_err(|e| {
            RuntimeError::Load {
                path: path.to_path_buf(),
                message: format!("not an ONNX model: {e}"),
            }
        })?;
        let checked = preflight::check(path, None, &proto)?;
        Self::prepare(path, checked, || {
            tract_onnx::onnx().model_for_read(&mut &bytes[..])
        })
    }

    /// Reads the model with `read`, then types and optimizes it; `path`
    /// names it in errors.
    fn prepare(
        path: &Path,
        checked: preflight::Checked,
        read: impl FnOnce() -> TractResult<InferenceModel>,
    ) -> Result<TractModel, RuntimeError> {
        let load_error = |message: String| RuntimeError::Load {
            path: path.to_path_buf(),
            message,
        };
        let declared = |name: &str| {
            checked
                .inputs
                .iter()
                .find(|i| i.name == name)
                .and_then(|i| i.dims.clone())
        };
        let loaded = quietly(|| -> TractResult<_> {
            let model = read()?;
            let inputs = model
                .input_outlets()?
                .iter()
                .map(|outlet| {
                    let fact = model.outlet_fact(*outlet)?;
                    let name = model.node(outlet.node).name.clone();
                    Ok(InputInfo {
                        dims: declared(&name),
                        name,
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
            Ok((plan, inputs, output_names))
        });
        match loaded {
            Ok(Ok((plan, inputs, output_names))) => Ok(TractModel {
                plan,
                inputs,
                output_names,
                lookups: checked.lookups,
            }),
            Ok(Err(e)) => Err(load_error(format!("{e:#}"))),
            Err(message) => Err(RuntimeError::Panic {
                stage: "loading",
                message,
            }),
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

    /// Runs one inference from a fresh state. Each input is checked against
    /// the declared shape and type first, integer inputs are converted to
    /// the type the graph declares (floats must be given for float inputs),
    /// and token ids are checked against the tables they index.
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
                                expected: elem.name(),
                                given,
                            })?
                    }
                    None => data,
                };
                info.check_shape(data.shape())?;
                self.check_ids(info, &data)?;
                Ok(data.into_tensor().into_tvalue())
            })
            .collect::<Result<TVec<TValue>, RuntimeError>>()?;
        let plan = self.plan.clone();
        let outputs = match quietly(move || plan.run(values)) {
            Ok(Ok(outputs)) => outputs,
            Ok(Err(e)) => return Err(RuntimeError::Run(format!("{e:#}"))),
            Err(message) => {
                return Err(RuntimeError::Panic {
                    stage: "running",
                    message,
                })
            }
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

    /// Refuses a token id outside a table that `info`'s ids index. ONNX
    /// `Gather` reads a negative id from the end of the table, which no
    /// Keras Embedding means, and tract panics on an id past the end.
    fn check_ids(&self, info: &InputInfo, data: &TensorData) -> Result<(), RuntimeError> {
        let ids: Box<dyn Iterator<Item = i64>> = match data {
            TensorData::I32(a) => Box::new(a.iter().map(|&v| i64::from(v))),
            TensorData::I64(a) => Box::new(a.iter().copied()),
            TensorData::F32(_) => return Ok(()),
        };
        let tables: Vec<&TableLookup> = self
            .lookups
            .iter()
            .filter(|l| l.input == info.name)
            .collect();
        let Some(smallest) = tables.iter().min_by_key(|l| l.rows) else {
            return Ok(());
        };
        let outside = |id: i64| u64::try_from(id).map_or(true, |id| id >= smallest.rows);
        match ids.enumerate().find(|&(_, id)| outside(id)) {
            None => Ok(()),
            Some((flat, id)) => Err(RuntimeError::TokenId {
                name: info.name.clone(),
                id,
                index: shape_text(&crate::tensor::unravel(flat, data.shape())),
                node: smallest.node.clone(),
                rows: smallest.rows,
            }),
        }
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
