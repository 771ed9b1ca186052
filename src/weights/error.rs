//! Errors reading, checking and writing weights files.
//!
//! A weights file that opens but does not fit the model yields every problem
//! at once ([`WeightsError::Mismatch`] holding a list of [`WeightProblem`]s),
//! so that a user fixing an export script sees the whole picture in one run.

use std::fmt;
use std::path::PathBuf;

/// Why a weights file could not be used (or written).
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The path is not a regular file (a FIFO, a device, a directory) or
    /// cannot be opened.
    #[error(transparent)]
    File(#[from] crate::files::FileError),

    /// The file could not be opened or read at all.
    #[error("cannot read weights file `{}`: {cause}", path.display())]
    Unreadable { path: PathBuf, cause: String },

    /// The file is readable but is not an npz (zip) archive.
    #[error("weights file `{}` is not an npz file: {cause}", path.display())]
    NotNpz { path: PathBuf, cause: String },

    /// The file is none of the formats [`load`](fn@crate::weights::load) reads.
    #[error("`{}` is not a weights file rnnc reads: expected .npz, .weights.h5, .h5 or .keras", path.display())]
    NotWeightsFile { path: PathBuf },

    /// The file is not a readable Keras HDF5 weights file, Keras 3's
    /// `.weights.h5` or Keras 2's legacy `.h5` (corrupt, truncated, or another
    /// HDF5 layout).
    #[error("weights file `{}` is not a readable Keras HDF5 weights file: {cause}", path.display())]
    NotKerasHdf5 { path: PathBuf, cause: String },

    /// The file is not a `.keras` archive holding `model.weights.h5`.
    #[error("`{}` is not a usable .keras archive: {cause}", path.display())]
    NotKerasArchive { path: PathBuf, cause: String },

    /// The archive does not hold the arrays the model needs.
    #[error("weights file `{}` does not match the model:\n{}", path.display(), ProblemList(problems))]
    Mismatch {
        path: PathBuf,
        /// Every problem found, in file/model order.
        problems: Vec<WeightProblem>,
    },

    /// Writing a weights file failed.
    #[error("cannot write weights file `{}`: {cause}", path.display())]
    Write { path: PathBuf, cause: String },
}

/// One way in which a weights file disagrees with the model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightProblem {
    /// The model needs an array the file does not have.
    #[error("missing weight `{key}` (layer `{layer}`, expected shape {expected})")]
    Missing {
        /// The key the file should have used (in the file's key style).
        key: String,
        layer: String,
        expected: String,
    },

    /// The file has an array the model does not need.
    #[error("unexpected weight `{key}`{}", hint_suffix(hint))]
    Unexpected {
        key: String,
        /// The closest expected key, when one is a plausible typo.
        hint: Option<String>,
    },

    /// The model needs a layer of which the file has no arrays at all.
    #[error("missing layer `{key}` (layer `{layer}`, expected arrays {expected})")]
    MissingLayer {
        /// Where the file should hold the layer (in the file's key style).
        key: String,
        layer: String,
        /// The expected shapes, in `get_weights()` order.
        expected: String,
    },

    /// The file holds arrays of a layer the model does not have.
    #[error("unexpected layer `{key}` (saved as `{saved_name}`, arrays {found})")]
    UnexpectedLayer {
        key: String,
        /// The layer's name in the model that was saved.
        saved_name: String,
        /// The shapes found, in the file's order.
        found: String,
    },

    /// An array has the wrong shape.
    #[error(
        "weight `{key}` of layer `{layer}`: expected shape {expected}, found {found}{}",
        hint_suffix(hint)
    )]
    Shape {
        key: String,
        layer: String,
        expected: String,
        found: String,
        /// A likely cause (a transposed kernel, a GRU `reset_after` mismatch).
        hint: Option<String>,
    },

    /// An array is neither float32 nor float64.
    #[error("weight `{key}` has dtype {found}; expected float32 (or float64)")]
    Dtype { key: String, found: String },

    /// An array could not be decoded.
    #[error("weight `{key}` could not be read: {cause}")]
    Corrupt { key: String, cause: String },

    /// An array holds NaN, an infinity, or a value so large that one
    /// product with it overflows float32.
    #[error(
        "weight `{key}` of layer `{layer}` holds {found}; weights must be finite and \
         within ±{:e}",
        super::MAX_ABS_WEIGHT
    )]
    OutOfRange {
        key: String,
        layer: String,
        /// The value and where: `NaN at index (0, 1) (flat index 1)`.
        found: String,
    },

    /// The file mixes short keys, full Keras paths and positional `arr_N` names.
    #[error("the file mixes key styles ({}); use one style for every array", styles.join(", "))]
    MixedKeyStyles {
        /// One example per style, e.g. "short keys (`lstm/kernel`)".
        styles: Vec<String>,
    },
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref()
        .map_or_else(String::new, |h| format!(" (hint: {h})"))
}

/// Renders problems one per line, each prefixed with `  - `.
struct ProblemList<'a>(&'a [WeightProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {problem}")?;
        }
        Ok(())
    }
}
