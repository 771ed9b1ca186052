//! Picks the reader for a weights file by its first bytes.
//!
//! An `.npz` and a `.keras` file are both zip archives; a `.keras` archive is
//! told apart by its members (`model.weights.h5`, `config.json`,
//! `metadata.json`) or its extension. HDF5 files start with the HDF5
//! signature. Extensions only choose which error to give for a file whose
//! bytes are none of these.

use std::io::{BufReader, Read};
use std::path::Path;

use super::keras_file::{load_h5, load_keras, KERAS_WEIGHTS_MEMBER};
use super::{load_npz, Weights, WeightsError};
use crate::check::ModelInfo;
use crate::files;

/// The HDF5 format signature (HDF5 file format specification, "Format Signature").
const HDF5_MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";
/// A zip local file header; `.npz` and `.keras` files start with one.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// A zip end-of-central-directory record: what `np.savez` of no arrays writes.
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";

/// Members only a `.keras` archive has.
const KERAS_MEMBERS: [&str; 3] = [KERAS_WEIGHTS_MEMBER, "config.json", "metadata.json"];

/// Reads a weights file for `info`: an `.npz` of Keras-layout arrays, a Keras 3
/// `.weights.h5` (`model.save_weights`), a `.keras` archive (`model.save`), or
/// a legacy Keras 2 `.h5` (`model.save` or `model.save_weights`).
pub fn load(path: &Path, info: &ModelInfo) -> Result<Weights, WeightsError> {
    let unreadable = |e: std::io::Error| WeightsError::Unreadable {
        path: path.to_path_buf(),
        cause: e.to_string(),
    };
    let mut magic = Vec::with_capacity(HDF5_MAGIC.len());
    files::open_regular(path)?
        .take(HDF5_MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .map_err(unreadable)?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let extension = extension.as_deref();

    if magic.starts_with(HDF5_MAGIC) {
        load_h5(path, info)
    } else if magic.starts_with(ZIP_MAGIC) || magic.starts_with(EMPTY_ZIP_MAGIC) {
        if extension == Some("keras") || has_keras_members(path) {
            load_keras(path, info)
        } else {
            load_npz(path, info)
        }
    } else {
        // Not a format we know: let the reader the name asks for explain why.
        match extension {
            Some("npz") => load_npz(path, info),
            Some("h5" | "hdf5") => Err(WeightsError::NotKerasHdf5 {
                path: path.to_path_buf(),
                cause: "it does not start with the HDF5 signature".into(),
            }),
            Some("keras") => load_keras(path, info),
            _ => Err(WeightsError::NotWeightsFile {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Whether a zip archive holds any member only `.keras` archives have.
/// An unreadable archive is left to the npz reader to report.
fn has_keras_members(path: &Path) -> bool {
    let Ok(file) = files::open_regular(path) else {
        return false;
    };
    let Ok(zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return false;
    };
    let found = zip.file_names().any(|name| KERAS_MEMBERS.contains(&name));
    found
}
