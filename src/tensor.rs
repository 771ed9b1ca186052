//! Tensors crossing rnnc's edges: `.npy` inputs, `.npz` outputs, tract values.
//!
//! Model inputs are float features or integer token ids; a user's `.npy` may
//! hold ids as int32 or int64 whatever the graph wants, so ids are converted
//! to the graph's integer type here, in one place.

pub mod npy;

use std::io::{BufRead as _, BufReader, BufWriter};
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::NpzWriter;
use tract_onnx::prelude::{DatumType, Tensor};

use crate::atomic::AtomicFile;
use crate::files::{self, FileError};
use npy::NpyError;

/// A zip local file header: an `.npz` archive starts with one.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// A zip end-of-central-directory record: what `np.savez` of no arrays writes.
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";

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
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot read `{path}`: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot read `{path}`: {source}")]
    Npy { path: PathBuf, source: NpyError },
    #[error(
        "`{path}` is an .npz archive (arrays: {arrays}); give one array as .npy, \
         e.g. np.save('x.npy', a)"
    )]
    NpzGiven { path: PathBuf, arrays: String },
    #[error(
        "`{path}` holds {value} at index {index} (flat index {flat}); NaN and infinite \
         inputs are refused because tract does not propagate them as Keras does \
         (pass --allow-nan to run them anyway)"
    )]
    NonFinite {
        path: PathBuf,
        value: f32,
        /// The position per axis, as `(0, 1, 2)`.
        index: String,
        flat: usize,
    },
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
    /// or int64 values, after checking its header against the file's length.
    pub fn read_npy(path: &Path) -> Result<TensorData, TensorIoError> {
        let file = files::open_regular(path)?;
        let read_error = |message: String| TensorIoError::Read {
            path: path.to_path_buf(),
            message,
        };
        let length = file
            .metadata()
            .map_err(|e| read_error(e.to_string()))?
            .len();
        let mut reader = BufReader::new(file);
        let start = reader.fill_buf().map_err(|e| read_error(e.to_string()))?;
        if start.starts_with(ZIP_MAGIC) || start.starts_with(EMPTY_ZIP_MAGIC) {
            return Err(TensorIoError::NpzGiven {
                path: path.to_path_buf(),
                arrays: npz_member_names(path),
            });
        }
        let npy_error = |source| TensorIoError::Npy {
            path: path.to_path_buf(),
            source,
        };
        let header = npy::read_header(&mut reader).map_err(npy_error)?;
        header.check_length(length).map_err(npy_error)?;
        header.read_tensor(reader).map_err(npy_error)
    }

    /// The position of the first NaN or infinite value, if any: its flat
    /// index, its index per axis, and the value.
    pub fn first_non_finite(&self) -> Option<(usize, Vec<usize>, f32)> {
        let TensorData::F32(a) = self else {
            return None;
        };
        let (flat, value) = a.iter().enumerate().find(|(_, v)| !v.is_finite())?;
        Some((flat, unravel(flat, a.shape()), *value))
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

/// Refuses an array holding NaN or an infinity, naming its first position.
pub fn require_finite(path: &Path, data: &TensorData) -> Result<(), TensorIoError> {
    match data.first_non_finite() {
        None => Ok(()),
        Some((flat, index, value)) => Err(TensorIoError::NonFinite {
            path: path.to_path_buf(),
            value,
            index: npy::shape_text(&index),
            flat,
        }),
    }
}

/// The index per axis of the `flat`-th element of a row-major array of `shape`.
pub fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (slot, &dim) in index.iter_mut().zip(shape).rev() {
        if dim > 0 {
            *slot = flat % dim;
            flat /= dim;
        }
    }
    index
}

/// The array names of an `.npz` archive, for the message that an `.npz` was
/// given where one `.npy` array is expected.
fn npz_member_names(path: &Path) -> String {
    let names = files::open_regular(path)
        .ok()
        .and_then(|file| zip::ZipArchive::new(BufReader::new(file)).ok())
        .map(|zip| {
            zip.file_names()
                .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
                .collect::<Vec<_>>()
        });
    match names {
        Some(names) if names.is_empty() => "none".to_string(),
        Some(mut names) => {
            names.sort();
            names.join(", ")
        }
        None => "unreadable".to_string(),
    }
}

/// Reads every array of an `.npz` file as float32 (float64 narrowed), with
/// its name (without `.npy`).
pub fn read_npz_f32(path: &Path) -> Result<Vec<(String, ArrayD<f32>)>, TensorIoError> {
    let read_error = |message: String| TensorIoError::Read {
        path: path.to_path_buf(),
        message,
    };
    let file = files::open_regular(path)?;
    let mut npz = ndarray_npy::NpzReader::new(BufReader::new(file))
        .map_err(|e| read_error(format!("not an .npz archive ({e})")))?;
    let names = npz.names().map_err(|e| read_error(e.to_string()))?;
    names
        .into_iter()
        .map(|name| {
            let array = match npz.by_name::<ndarray::OwnedRepr<f32>, ndarray::IxDyn>(&name) {
                Ok(a) => a,
                Err(_) => npz
                    .by_name::<ndarray::OwnedRepr<f64>, ndarray::IxDyn>(&name)
                    .map_err(|e| read_error(format!("array `{name}`: {e} (float32 expected)")))?
                    .mapv(|v| v as f32),
            };
            let name = name.strip_suffix(".npy").unwrap_or(&name).to_string();
            Ok((name, array))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unravel_gives_row_major_positions() {
        assert_eq!(unravel(13, &[1, 2, 10]), vec![0, 1, 3]);
        assert_eq!(unravel(5, &[10, 3]), vec![1, 2]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }

    #[test]
    fn the_first_non_finite_value_is_found() {
        let a = ArrayD::from_shape_vec(vec![2, 2], vec![0.0, 1.0, f32::INFINITY, f32::NAN]);
        let data = TensorData::F32(a.unwrap());
        let (flat, index, value) = data.first_non_finite().unwrap();
        assert_eq!((flat, index, value), (2, vec![1, 0], f32::INFINITY));
        let err = require_finite(Path::new("x.npy"), &data).unwrap_err();
        assert!(err
            .to_string()
            .contains("holds inf at index (1, 0) (flat index 2)"));
        let ids = TensorData::I64(ArrayD::zeros(vec![2]));
        assert!(require_finite(Path::new("x.npy"), &ids).is_ok());
    }
}
