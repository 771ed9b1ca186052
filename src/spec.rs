//! Loading a spec: read the text, parse it, check it.
//!
//! Every command that starts from a spec (`summary`, `compile`, and `verify`,
//! which re-reads the spec recorded in a model's metadata) goes through here,
//! so a spec error reads the same whatever the command.
//!
//! A spec is at most [`MAX_SPEC_BYTES`], whether read from a file (which
//! must be a regular file: `/dev/zero` or a FIFO is refused before any byte
//! is read) or from a model's metadata.

use std::path::Path;

use crate::check::{self, ModelInfo};
use crate::diag::{self, Diagnostic};
use crate::files::{self, FileError};
use crate::front;
use crate::front::keras_model::{self, ModelFile, ModelFileError};
use crate::ir::Model;
use crate::streaming;

/// The largest spec rnnc reads: 1 MiB. A Keras model definition is a few
/// hundred bytes (the largest spec in `fixtures/` is under 2 KiB); a
/// megabyte leaves room for long comments and pasted notebook cells while
/// keeping hostile input (`/dev/urandom`, a 100 MB file, a huge recorded
/// spec) from costing memory and time.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// The byte order mark some editors put at the start of a UTF-8 file.
const BOM: &str = "\u{feff}";

/// A parsed and checked spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The spec text.
    pub source: String,
    /// The model it describes.
    pub model: Model,
    /// What the check pass computed.
    pub info: ModelInfo,
    /// Notes about lines that were ignored and masks Keras drops, ready to
    /// render against `source` with [`Spec::render_notes`].
    pub notes: Vec<Diagnostic>,
    /// For the streaming model ([`Spec::streaming`]): how it was asked for
    /// and how its outputs relate to the chunks.
    pub stream: Option<(streaming::Mode, streaming::Plan)>,
    /// The Keras model file the spec was read from (its config written as a
    /// spec by `front::keras_model`), or whose architecture it is exactly.
    pub model_file: Option<ModelFile>,
}

/// Why a spec could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Not a regular file, too large, or unreadable.
    #[error("{0}")]
    File(#[from] FileError),
    /// Bytes that are not UTF-8 text.
    #[error("spec `{path}` is not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8")]
    NotUtf8 { path: String, offset: usize },
    /// Spec text over [`MAX_SPEC_BYTES`] (a recorded spec; files are
    /// refused by [`files::read_limited`]).
    #[error("spec `{name}` is {size} bytes, more than the {limit} bytes rnnc reads as a spec")]
    TooLarge {
        name: String,
        size: usize,
        limit: u64,
    },
    /// Bytes that are not UTF-8 text, with what they look like when known.
    #[error("`{path}` is not a spec: it is not UTF-8 text{}", hint.as_ref().map_or(String::new(), |h| format!("\n  = hint: {h}")))]
    NotText { path: String, hint: Option<String> },
    /// A Keras model file whose architecture cannot be read.
    #[error("{0}")]
    ModelFile(#[from] ModelFileError),
    /// Rendered diagnostics, one or more.
    #[error("{rendered}")]
    Invalid { rendered: String, count: usize },
}

impl Spec {
    /// Reads, parses and checks the spec at `path`: spec text, or a Keras
    /// model file (`.keras`, a full-model `.h5`), told apart by content.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        if let Some(format) = keras_model::sniff(path)? {
            match keras_model::read(path, format) {
                Ok(file) => return Spec::from_model_file(file),
                // A zip that is no Keras archive (an `.npz`): said below.
                Err(ModelFileError::NotAModelFile { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let bytes = match files::read_limited(path, MAX_SPEC_BYTES, "a spec") {
            Ok(bytes) => bytes,
            Err(too_large @ FileError::TooLarge { .. }) => {
                // A model or weights file is usually larger than any spec:
                // say what it is when its first bytes tell.
                return Err(match sniff_prefix(path) {
                    Some(hint) => SpecError::NotText {
                        path: path.display().to_string(),
                        hint: Some(hint),
                    },
                    None => too_large.into(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let source = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            match front::sniff::hint(e.as_bytes()) {
                Some(hint) => SpecError::NotText {
                    path: path.display().to_string(),
                    hint: Some(hint),
                },
                None => SpecError::NotUtf8 {
                    path: path.display().to_string(),
                    offset,
                },
            }
        })?;
        Spec::from_source(source, &path.display().to_string())
    }

    /// The spec of a Keras model file read by [`keras_model::read`].
    pub fn from_model_file(file: ModelFile) -> Result<Spec, SpecError> {
        let name = format!(
            "{} (its config, as `rnnc spec` writes it)",
            file.path.display()
        );
        let mut spec = Spec::from_source(file.spec.clone(), &name)?;
        spec.model_file = Some(file);
        Ok(spec)
    }

    /// Parses and checks spec text; `name` is how errors refer to it.
    pub fn from_source(source: String, name: &str) -> Result<Spec, SpecError> {
        if source.len() as u64 > MAX_SPEC_BYTES {
            return Err(SpecError::TooLarge {
                name: name.to_string(),
                size: source.len(),
                limit: MAX_SPEC_BYTES,
            });
        }
        let source = match source.strip_prefix(BOM) {
            Some(rest) => rest.to_string(),
            None => source,
        };
        let invalid = |diagnostics| invalid(diagnostics, &source, name);
        let front::Parsed { model, notes } = front::parse_spec(&source).map_err(invalid)?;
        let info = check::check(&model).map_err(|errors| invalid(check_diagnostics(&errors)))?;
        let mut notes = notes;
        notes.extend(check::dropped_masks(&model, &info));
        Ok(Spec {
            source,
            model,
            info,
            notes,
            stream: None,
            model_file: None,
        })
    }

    /// The streaming model of the spec (`crate::streaming`) when `mode`
    /// asks for one, else the spec unchanged. Refusals are rendered like
    /// the check pass's errors, with `name` for the spec.
    pub fn streaming(self, mode: streaming::Mode, name: &str) -> Result<Spec, SpecError> {
        let invalid = |diagnostics| invalid(diagnostics, &self.source, name);
        let plan = match streaming::plan(&self.model, &self.info, mode) {
            Ok(Some(plan)) => plan,
            Ok(None) => return Ok(self),
            Err(e) => return Err(invalid(vec![e.to_diagnostic()])),
        };
        let (model, info) = streaming::apply(&self.model, &self.info, &plan)
            .map_err(|errors| invalid(check_diagnostics(&errors)))?;
        Ok(Spec {
            model,
            info,
            stream: Some((mode, plan)),
            ..self
        })
    }

    /// The notes about ignored lines and dropped masks, one line each
    /// (empty when none).
    pub fn render_notes(&self, name: &str) -> String {
        diag::render_notes(&self.notes, &self.source, name)
    }
}

/// Diagnostics rendered against the spec text they point into.
fn invalid(diagnostics: Vec<Diagnostic>, source: &str, name: &str) -> SpecError {
    SpecError::Invalid {
        rendered: diag::render_all(&diagnostics, source, name),
        count: diagnostics.len(),
    }
}

fn check_diagnostics(errors: &[check::CheckError]) -> Vec<Diagnostic> {
    errors
        .iter()
        .map(check::CheckError::to_diagnostic)
        .collect()
}

/// What the first bytes of a file too large to be a spec say it is.
fn sniff_prefix(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let file = files::open_regular(path).ok()?;
    let mut prefix = Vec::new();
    file.take(MAX_SPEC_BYTES).read_to_end(&mut prefix).ok()?;
    front::sniff::hint(&prefix)
}
