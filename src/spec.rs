//! Loading a spec: read the text, parse it, check it.
//!
//! Every command that starts from a spec (`summary`, `compile`, and `verify`,
//! which re-reads the spec recorded in a model's metadata) goes through here,
//! so a spec error reads the same whatever the command.

use std::path::Path;

use crate::check::{self, ModelInfo};
use crate::diag::{self, Diagnostic};
use crate::front;
use crate::ir::Model;

/// A parsed and checked spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The spec text.
    pub source: String,
    /// The model it describes.
    pub model: Model,
    /// What the check pass computed.
    pub info: ModelInfo,
}

/// Why a spec could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read spec `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// Bytes that are not UTF-8 text, with what they look like when known.
    #[error("`{path}` is not a spec: it is not UTF-8 text{}", hint.as_ref().map_or(String::new(), |h| format!("\n  = hint: {h}")))]
    NotText { path: String, hint: Option<String> },
    /// Rendered diagnostics, one or more.
    #[error("{rendered}")]
    Invalid { rendered: String, count: usize },
}

impl Spec {
    /// Reads, parses and checks the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let bytes = std::fs::read(path).map_err(|source| SpecError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let source = String::from_utf8(bytes).map_err(|e| SpecError::NotText {
            path: path.display().to_string(),
            hint: front::sniff::hint(e.as_bytes()),
        })?;
        Spec::from_source(source, &path.display().to_string())
    }

    /// Parses and checks spec text; `name` is how errors refer to it.
    pub fn from_source(source: String, name: &str) -> Result<Spec, SpecError> {
        let invalid = |diagnostics: Vec<Diagnostic>| SpecError::Invalid {
            rendered: diag::render_all(&diagnostics, &source, name),
            count: diagnostics.len(),
        };
        let model = front::parse(&source).map_err(invalid)?;
        let info = check::check(&model).map_err(|errors| {
            invalid(
                errors
                    .iter()
                    .map(check::CheckError::to_diagnostic)
                    .collect(),
            )
        })?;
        Ok(Spec {
            source,
            model,
            info,
        })
    }
}
