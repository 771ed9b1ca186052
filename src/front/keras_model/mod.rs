//! The second frontend: a trained Keras model file (`.keras`, legacy `.h5`)
//! to spec text.
//!
//! [`container`] finds the serialized model in the file, [`config`] reads
//! every dialect Keras has written into one shape, and [`emit`] writes it as
//! the Keras Python the spec language reads. The spec then goes through the
//! same parser and check pass as a spec a user wrote, so a model file and
//! the spec `rnnc spec` writes for it compile to the same model, with the
//! same errors for what is not supported.

pub mod config;
pub mod container;
pub mod emit;
pub mod error;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use container::Format;
pub use error::ModelFileError;

/// A model file read as a spec.
#[derive(Clone, Debug)]
pub struct ModelFile {
    pub path: PathBuf,
    pub format: Format,
    /// The Keras version that wrote the file, when recorded.
    pub keras_version: Option<String>,
    /// Whether the model has Keras 2 semantics (`# rnnc: keras=2`).
    pub keras2: bool,
    /// The spec text.
    pub spec: String,
}

/// Whether `path` holds a model file's format (zip or HDF5); `None` for
/// anything else (a spec, an `.npz` is a zip too and is told apart by
/// [`read`]).
pub fn sniff(path: &Path) -> Result<Option<Format>, ModelFileError> {
    container::sniff(path)
}

/// Reads the model in the file at `path` (of `format`, from [`sniff`]) as
/// spec text.
pub fn read(path: &Path, format: Format) -> Result<ModelFile, ModelFileError> {
    let container = container::read(path, format)?;
    let model = config::parse(&container.config).map_err(|cause| ModelFileError::BadConfig {
        path: path.to_path_buf(),
        cause,
    })?;
    let keras2 = is_keras2(format, container.keras_version.as_deref());
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let source = emit::Source {
        file_name: &file_name,
        keras_version: container.keras_version.as_deref(),
        keras2,
    };
    let spec = emit::spec_text(&model, &source).map_err(|r| ModelFileError::Layer {
        path: path.to_path_buf(),
        layer: r.layer,
        class: r.class,
        message: r.message,
        hint: r.hint,
    })?;
    Ok(ModelFile {
        path: path.to_path_buf(),
        format,
        keras_version: container.keras_version,
        keras2,
        spec,
    })
}

/// The model file at `path` when its architecture, written as a spec, is
/// exactly `spec_text`: a spec `rnnc spec` wrote, compiled with the file
/// as its weights, is that file.
pub fn with_spec(path: &Path, spec_text: &str) -> Option<ModelFile> {
    let format = sniff(path).ok()??;
    read(path, format)
        .ok()
        .filter(|file| file.spec == spec_text)
}

/// Whether the weights file at `path` was saved by Keras 1 or 2: an HDF5
/// file whose `keras_version` says so, or a legacy layout without one.
pub fn written_by_keras2(path: &Path) -> bool {
    matches!(sniff(path), Ok(Some(Format::LegacyH5))) && container::h5_written_by_keras2(path)
}

/// Keras 1 and 2 files (and HDF5 files too old to record a version) have
/// Keras 2's semantics.
fn is_keras2(format: Format, version: Option<&str>) -> bool {
    match version {
        Some(v) => container::is_keras2_version(v),
        None => format == Format::LegacyH5,
    }
}
