//! ONNX external data: initializers stored in a file beside the model, and
//! publishing the pair so that it is never torn.
//!
//! A protobuf message cannot exceed 2 GiB, so a model whose weights are
//! larger keeps them outside the `.onnx` file, as the ONNX external data
//! specification describes: each moved tensor gets `data_location = EXTERNAL`
//! and `external_data` entries `location` (a path relative to the model's
//! directory), `offset` and `length`, and its `raw_data` is cleared.
//!
//! The data file is named after the model and its own content,
//! `MODEL.onnx.<8 hex digits of its SHA-256>.data`, so a new data file never
//! overwrites the one the current model reads. [`publish`] writes the new
//! data file, then renames the new model into place (the commit point), then
//! removes the data file the old model named: a failure or an interrupt at
//! any step leaves the old pair or the new pair, never the new weights
//! beside the old model, and removes a new data file that no model names.

use std::path::{Path, PathBuf};

use prost::Message as _;
use sha2::{Digest as _, Sha256};

use super::proto::{self, tensor_proto::DataLocation};
use crate::atomic::{AtomicFile, Destination, WriteError};
use crate::outputs::{self, Input, OutputError};

/// Protobuf's hard limit on a message: 2 GiB.
pub const PROTOBUF_LIMIT: u64 = 2 << 30;

/// Above this many bytes of initializers rnnc moves them to external data
/// automatically: the 2 GiB limit less a margin for the graph, metadata and
/// protobuf framing, which are tiny for rnnc's graphs.
pub const DEFAULT_THRESHOLD: u64 = PROTOBUF_LIMIT - (64 << 20);

/// Tensors smaller than this stay inside the model even with external data
/// (shape constants and small biases: not worth a seek).
const MIN_EXTERNAL_BYTES: usize = 1024;

/// Alignment of each tensor in the data file, as onnx's own writer uses for
/// memory mapping.
const ALIGNMENT: usize = 4096;

/// Hex digits of the content hash in a data file's name: 32 bits tell a new
/// data file from the one it replaces.
const HASH_DIGITS: usize = 8;

/// The longest file name ext4, XFS, Btrfs, tmpfs and APFS accept, in bytes;
/// a model name near it is shortened in its data file's name.
const NAME_MAX: usize = 255;

/// The most bytes read of a model about to be replaced, to find the data
/// file it names: a model whose weights are external holds only small
/// tensors, so a larger file has no data file of rnnc's to remove.
const OLD_MODEL_READ_LIMIT: u64 = 64 << 20;

/// Total bytes of raw initializer data in the main graph.
pub fn initializer_bytes(model: &proto::ModelProto) -> u64 {
    model
        .graph
        .iter()
        .flat_map(|g| &g.initializer)
        .map(|t| t.raw_data.as_ref().map_or(0, |d| d.len() as u64))
        .sum()
}

/// Moves the main graph's large initializers into a data blob; `name` gets
/// the blob and returns the location to record (relative to the model
/// file). Returns the location and the blob, or `None` when no tensor is
/// large enough to move (no empty data file is ever written).
pub fn externalize(
    model: &mut proto::ModelProto,
    name: impl FnOnce(&[u8]) -> String,
) -> Option<(String, Vec<u8>)> {
    let graph = model.graph.as_mut()?;
    let mut blob = Vec::new();
    // (initializer index, offset, length) of each moved tensor.
    let mut moved = Vec::new();
    for (index, tensor) in graph.initializer.iter_mut().enumerate() {
        let Some(raw) = tensor.raw_data.take_if(|d| d.len() >= MIN_EXTERNAL_BYTES) else {
            continue;
        };
        let padding = blob.len().next_multiple_of(ALIGNMENT) - blob.len();
        blob.resize(blob.len() + padding, 0);
        moved.push((index, blob.len(), raw.len()));
        blob.extend_from_slice(&raw);
    }
    if moved.is_empty() {
        return None;
    }
    let location = name(&blob);
    for (index, offset, length) in moved {
        let tensor = &mut graph.initializer[index];
        tensor.data_location = Some(DataLocation::External as i32);
        tensor.external_data = [
            ("location", location.clone()),
            ("offset", offset.to_string()),
            ("length", length.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| proto::StringStringEntryProto {
            key: Some(k.to_string()),
            value: Some(v),
        })
        .collect();
    }
    Some((location, blob))
}

/// The external-data locations the main graph's initializers record, each
/// once, in order of first use.
pub fn locations(model: &proto::ModelProto) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let entries = model
        .graph
        .iter()
        .flat_map(|g| &g.initializer)
        .flat_map(|t| &t.external_data);
    for entry in entries {
        if let (Some("location"), Some(value)) = (entry.key.as_deref(), &entry.value) {
            if !found.contains(value) {
                found.push(value.clone());
            }
        }
    }
    found
}

/// The files the ONNX model at `path` names as external data (as paths
/// beside it), reading at most `limit` bytes of it. A model that cannot be
/// read or decoded names none: loading it is what reports why.
pub fn data_files(path: &Path, limit: u64) -> Vec<PathBuf> {
    let Ok(bytes) = crate::files::read_limited(path, limit, "an ONNX model") else {
        return Vec::new();
    };
    let Ok(model) = proto::ModelProto::decode(bytes.as_slice()) else {
        return Vec::new();
    };
    locations(&model)
        .into_iter()
        .map(|location| path.with_file_name(location))
        .collect()
}

/// The start of the data file names of the model at `model`: its file name
/// (non-UTF-8 bytes replaced, since ONNX records the location as text),
/// shortened so that the whole name stays under [`NAME_MAX`].
fn data_prefix(model: &Path) -> String {
    let name = model
        .file_name()
        .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned());
    let room = NAME_MAX - ".".len() - HASH_DIGITS - ".data".len();
    let mut end = name.len().min(room);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// `MODEL.onnx.<hash>.data` for the data `blob` of the model at `model`.
fn data_name(model: &Path, blob: &[u8]) -> String {
    let digest = Sha256::digest(blob);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}.{}.data", data_prefix(model), &hex[..HASH_DIGITS])
}

/// Whether `location` is a data file name rnnc gives the model at `model`
/// (this scheme, or the `MODEL.onnx.data` of earlier versions).
fn is_own_data_name(model: &Path, location: &str) -> bool {
    let legacy = model
        .file_name()
        .map(|n| format!("{}.data", n.to_string_lossy()));
    if legacy.as_deref() == Some(location) {
        return true;
    }
    let Some(rest) = location
        .strip_prefix(&data_prefix(model))
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".data"))
    else {
        return false;
    };
    rest.len() == HASH_DIGITS && rest.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What [`publish`] wrote.
#[derive(Debug)]
pub struct Published {
    /// Bytes of the model file.
    pub model_bytes: usize,
    /// The data file and its bytes, if the weights went to external data.
    pub data: Option<(PathBuf, usize)>,
    /// Data files of the replaced model that could not be removed.
    pub stale: Vec<(PathBuf, std::io::Error)>,
}

/// Writes `model` to `path`, its initializers in a data file beside it when
/// they exceed `threshold` bytes, without a torn pair (see the module doc).
/// `inputs` are the command's inputs, which the data file must not replace.
pub fn publish(
    path: &Path,
    mut model: proto::ModelProto,
    threshold: u64,
    inputs: &[Input],
) -> Result<Published, OutputError> {
    // Everything happens beside the file itself, a symbolic link resolved:
    // ONNX locations are relative to the model file's folder.
    let resolved = match Destination::of(path) {
        Ok(Destination::Replace { path, .. }) => path,
        _ => path.to_path_buf(),
    };
    let path = resolved.as_path();
    let unwritable = |at: &Path| {
        let at = at.to_path_buf();
        move |source: WriteError| OutputError::Unwritable { path: at, source }
    };
    let old_data: Vec<PathBuf> = data_files(path, OLD_MODEL_READ_LIMIT)
        .into_iter()
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| is_own_data_name(path, n))
        })
        .collect();
    let data = if initializer_bytes(&model) > threshold {
        externalize(&mut model, |blob| data_name(path, blob))
    } else {
        None
    };
    let bytes = super::encode(&model);
    drop(model);
    let mut guards = Vec::new();
    let mut written = None;
    if let Some((name, blob)) = data {
        if matches!(Destination::of(path), Ok(Destination::Device)) {
            return Err(OutputError::Unwritable {
                path: path.to_path_buf(),
                source: WriteError::NotWritable {
                    kind: "a device, which cannot have external data beside it",
                },
            });
        }
        let data_path = path.with_file_name(&name);
        outputs::check(&data_path, inputs)?;
        // The same weights give the same name: that file may be the one the
        // current model reads, so it is rewritten but never removed.
        let existed = data_path.symlink_metadata().is_ok();
        let file = AtomicFile::create(&data_path).map_err(unwritable(&data_path))?;
        std::io::Write::write_all(&mut file.as_file(), &blob)
            .map_err(|e| unwritable(&data_path)(e.into()))?;
        if existed {
            file.commit().map_err(unwritable(&data_path))?;
        } else {
            guards.push(file.commit_provisional().map_err(unwritable(&data_path))?);
        }
        written = Some((data_path, blob.len()));
    }
    let file = AtomicFile::create(path).map_err(unwritable(path))?;
    std::io::Write::write_all(&mut file.as_file(), &bytes)
        .map_err(|e| unwritable(path)(e.into()))?;
    // The commit point: from here on the new model and its data are in place.
    file.commit_with(guards).map_err(unwritable(path))?;
    let stale = old_data
        .into_iter()
        .filter(|old| written.as_ref().is_none_or(|(new, _)| new != old))
        .filter_map(|old| match std::fs::remove_file(&old) {
            Ok(()) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some((old, e)),
        })
        .collect();
    Ok(Published {
        model_bytes: bytes.len(),
        data: written,
        stale,
    })
}

#[cfg(test)]
mod tests;
