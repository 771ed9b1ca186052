//! `rnnc inspect`: describes any ONNX file — ours, PyTorch's, tf2onnx's —
//! as text or JSON.
//!
//! [`load`] reads and decodes the file and refuses what is not an ONNX
//! model; [`describe`](describe::describe) turns the `ModelProto` into a
//! [`Description`]; [`text`] and [`json`] render that one description, so
//! both outputs carry the same information.

pub mod describe;
pub mod json;
pub mod text;

use std::path::{Path, PathBuf};

use prost::Message;

use crate::back::onnx::proto::ModelProto;
pub use describe::Description;

/// Why a file cannot be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The file cannot be read (missing, no permission), is not a regular
    /// file (a FIFO, a device, a directory), or is larger than protobuf's
    /// 2 GiB limit.
    #[error(transparent)]
    Read(#[from] crate::files::FileError),
    /// A zero-byte file.
    #[error("`{path}` is empty: not an ONNX model")]
    Empty { path: PathBuf },
    /// The bytes are not a protobuf message (truncated, corrupt, another format).
    #[error("`{path}` is not an ONNX model: failed to decode protobuf ({reason})")]
    Decode { path: PathBuf, reason: String },
    /// The bytes decode (random bytes sometimes do) but hold no graph.
    #[error("`{path}` has no graph: not an ONNX model")]
    NoGraph { path: PathBuf },
    /// A graph but no IR version, which every ONNX model must declare.
    #[error("`{path}` has no ir_version: not an ONNX model")]
    NoIrVersion { path: PathBuf },
    /// An IR version below 1, which no ONNX writer produces.
    #[error("`{path}` has ir_version {version}: not an ONNX model")]
    BadIrVersion { path: PathBuf, version: i64 },
}

/// Reads, decodes and describes the model at `path`.
pub fn load(path: &Path) -> Result<Description, InspectError> {
    let bytes = crate::files::read_limited(
        path,
        crate::back::onnx::external::PROTOBUF_LIMIT,
        "an ONNX model",
    )?;
    if bytes.is_empty() {
        return Err(InspectError::Empty {
            path: path.to_path_buf(),
        });
    }
    let model = ModelProto::decode(bytes.as_slice()).map_err(|e| InspectError::Decode {
        path: path.to_path_buf(),
        // prost's message starts with its own "failed to decode Protobuf
        // message: ", which our wording already says.
        reason: e
            .to_string()
            .trim_start_matches("failed to decode Protobuf message: ")
            .to_string(),
    })?;
    if model.graph.is_none() {
        return Err(InspectError::NoGraph {
            path: path.to_path_buf(),
        });
    }
    match model.ir_version {
        None => Err(InspectError::NoIrVersion {
            path: path.to_path_buf(),
        }),
        Some(version) if version < 1 => Err(InspectError::BadIrVersion {
            path: path.to_path_buf(),
            version,
        }),
        Some(_) => describe::describe(&model).ok_or_else(|| InspectError::NoGraph {
            path: path.to_path_buf(),
        }),
    }
}
