//! Tensors crossing rnnc's edges: `.npy` inputs, `.npz` outputs, tract values.
//!
//! Model inputs are float features or integer token ids; a user's `.npy` may
//! hold ids as int32 or int64 whatever the graph wants, so ids are converted
//! to the graph's integer type here, in one place.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::{NpzWriter, ReadNpyError, ReadNpyExt};
use tract_onnx::prelude::{DatumType, Tensor};

use crate::atomic::AtomicFile;

/// Element types rnnc reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemType {
    F32,
    I32,
    I64,
}

impl ElemType {
    /// numpy's name for it.
    pub fn name(self) -> &'static str {
        match self {
            ElemType::F32 => "float32",
            ElemType::I32 => "int32",
            ElemType::I64 => "int64",
        }
    }

    /// The matching element type of a tract datum type.
    pub fn from_datum_type(dt: DatumType) -> Option<ElemType> {
        match dt {
            DatumType::F32 => Some(ElemType::F32),
            DatumType::I32 => Some(ElemType::I32),
            DatumType::I64 => Some(ElemType::I64),
            _ => None,
        }
    }
}

/// An n-dimensional array of one of the supported element types.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    F32(ArrayD<f32>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
}

/// A `.npy` or `.npz` file rnnc could not read or write.
#[derive(Debug, thiserror::Error)]
pub enum TensorIoError {
    #[error("cannot read `{path}`: {message}")]
    Read { path: PathBuf, message: String },
    #[error("`{path}` holds {dtype} values; rnnc reads float32, float64, int32 and int64 arrays")]
    Dtype { path: PathBuf, dtype: String },
    #[error("cannot write `{path}`: {message}")]
    Write { path: PathBuf, message: String },
}

impl TensorData {
    /// The element type.
    pub fn elem(&self) -> ElemType {
        match self {
            TensorData::F32(_) => ElemType::F32,
            TensorData::I32(_) => ElemType::I32,
            TensorData::I64(_) => ElemType::I64,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            TensorData::F32(a) => a.shape(),
            TensorData::I32(a) => a.shape(),
            TensorData::I64(a) => a.shape(),
        }
    }

    /// Reads a `.npy` file of float32, float64 (narrowed to float32), int32
    /// or int64 values.
    pub fn read_npy(path: &Path) -> Result<TensorData, TensorIoError> {
        let open = || {
            File::open(path).map_err(|e| TensorIoError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
        };
        let read_error = |e: ReadNpyError| TensorIoError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let is_type_error = |e: &ReadNpyError| matches!(e, ReadNpyError::WrongDescriptor(_));
        match ArrayD::<f32>::read_npy(open()?) {
            Ok(a) => return Ok(TensorData::F32(a)),
            Err(e) if !is_type_error(&e) => return Err(read_error(e)),
            Err(_) => {}
        }
        match ArrayD::<f64>::read_npy(open()?) {
            Ok(a) => return Ok(TensorData::F32(a.mapv(|v| v as f32))),
            Err(e) if !is_type_error(&e) => return Err(read_error(e)),
            Err(_) => {}
        }
        match ArrayD::<i32>::read_npy(open()?) {
            Ok(a) => return Ok(TensorData::I32(a)),
            Err(e) if !is_type_error(&e) => return Err(read_error(e)),
            Err(_) => {}
        }
        match ArrayD::<i64>::read_npy(open()?) {
            Ok(a) => Ok(TensorData::I64(a)),
            Err(ReadNpyError::WrongDescriptor(descr)) => Err(TensorIoError::Dtype {
                path: path.to_path_buf(),
                dtype: format!("{descr}"),
            }),
            Err(e) => Err(read_error(e)),
        }
    }

    /// Converts token ids to `elem` (int32 ↔ int64; an id that does not fit
    /// int32 saturates, which the caller's range check then reports). Float
    /// data is returned unchanged only for a float target: on a mismatch the
    /// given type's name is returned as the error.
    pub fn convert_ids_to(self, elem: ElemType) -> Result<TensorData, &'static str> {
        match (self, elem) {
            (TensorData::F32(a), ElemType::F32) => Ok(TensorData::F32(a)),
            (TensorData::I32(a), ElemType::I32) => Ok(TensorData::I32(a)),
            (TensorData::I64(a), ElemType::I64) => Ok(TensorData::I64(a)),
            (TensorData::I32(a), ElemType::I64) => Ok(TensorData::I64(a.mapv(i64::from))),
            (TensorData::I64(a), ElemType::I32) => {
                Ok(TensorData::I32(a.mapv(|v| {
                    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
                })))
            }
            (other, _) => Err(other.elem().name()),
        }
    }

    /// Into a tract tensor.
    pub fn into_tensor(self) -> Tensor {
        match self {
            TensorData::F32(a) => a.into(),
            TensorData::I32(a) => a.into(),
            TensorData::I64(a) => a.into(),
        }
    }

    /// From a tract tensor of a supported type.
    pub fn from_tensor(t: Tensor) -> Option<TensorData> {
        match t.datum_type() {
            DatumType::F32 => t.into_plain_array::<f32>().ok().map(TensorData::F32),
            DatumType::I32 => t.into_plain_array::<i32>().ok().map(TensorData::I32),
            DatumType::I64 => t.into_plain_array::<i64>().ok().map(TensorData::I64),
            _ => None,
        }
    }

    /// The first `n` values, flattened, as text.
    pub fn preview(&self, n: usize) -> String {
        fn take<T: ToString>(a: &ArrayD<T>, n: usize) -> Vec<String> {
            a.iter().take(n).map(|v| v.to_string()).collect()
        }
        let values = match self {
            TensorData::F32(a) => a.iter().take(n).map(|v| format!("{v:.6}")).collect(),
            TensorData::I32(a) => take(a, n),
            TensorData::I64(a) => take(a, n),
        };
        let total: usize = self.shape().iter().product();
        let more = if total > n { ", …" } else { "" };
        format!("[{}{more}]", values.join(", "))
    }
}

/// Writes named arrays to an `.npz` file, atomically.
pub fn write_npz(path: &Path, arrays: &[(String, TensorData)]) -> Result<(), TensorIoError> {
    let write_error = |message: String| TensorIoError::Write {
        path: path.to_path_buf(),
        message,
    };
    let file = AtomicFile::create(path).map_err(|e| write_error(e.to_string()))?;
    let mut npz = NpzWriter::new(BufWriter::new(file.as_file()));
    for (name, data) in arrays {
        let written = match data {
            TensorData::F32(a) => npz.add_array(name.as_str(), a),
            TensorData::I32(a) => npz.add_array(name.as_str(), a),
            TensorData::I64(a) => npz.add_array(name.as_str(), a),
        };
        written.map_err(|e| write_error(e.to_string()))?;
    }
    let writer = npz.finish().map_err(|e| write_error(e.to_string()))?;
    drop(writer);
    file.commit().map_err(|e| write_error(e.to_string()))
}
