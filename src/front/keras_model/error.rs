//! Why a model file's architecture could not be read.

use std::path::PathBuf;

use super::container::Format;
use crate::files::FileError;

/// One reason a `.keras` / `.h5` model file cannot become a spec. Every
/// message names the file, and for a layer the layer's name and class as
/// the file gives them.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// Not a regular file, or unreadable.
    #[error("{0}")]
    File(#[from] FileError),
    /// Reading failed part-way.
    #[error("cannot read `{}`: {cause}", path.display())]
    Unreadable { path: PathBuf, cause: String },
    /// The container itself is broken (a truncated zip, corrupt HDF5).
    #[error("`{}` looks like {} but is damaged: {cause}", path.display(), format.describe())]
    Damaged {
        path: PathBuf,
        format: Format,
        cause: String,
    },
    /// A zip archive that is no Keras archive at all (an `.npz`).
    #[error("`{}` is a zip archive without `config.json`: not a Keras model", path.display())]
    NotAModelFile { path: PathBuf },
    /// A file of a model-file format that holds no architecture.
    #[error(
        "`{}` holds no model architecture: it is {what}\n  = hint: write the model as a spec and \
         give this file as its weights: `rnnc compile model.rnn --weights {}`",
        path.display(),
        path.display()
    )]
    NoArchitecture { path: PathBuf, what: String },
    /// The serialized model is not JSON, or not shaped as Keras writes it.
    #[error("`{}`: the model config {cause}", path.display())]
    BadConfig { path: PathBuf, cause: String },
    /// A layer rnnc cannot express (an unknown class, a `Lambda`, a custom
    /// object, an argument it does not know).
    #[error(
        "`{}`: layer `{layer}` ({class}): {message}{}",
        path.display(),
        hint.as_ref().map_or(String::new(), |h| format!("\n  = hint: {h}"))
    )]
    Layer {
        path: PathBuf,
        layer: String,
        class: String,
        message: String,
        hint: Option<String>,
    },
}
