//! Checks on a command's output paths, made before any work is written.
//!
//! An output must never replace one of the command's own inputs (the spec,
//! a weights file, the model, an input array, the model's external data).
//! Two paths name the same file when their canonical forms are equal or —
//! to catch hard links and paths through other mounts — when they have the
//! same device and inode. The output must also be something rnnc writes
//! (see [`crate::atomic`]): a FIFO or a read-only file is refused here,
//! before a long compile, not after it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::atomic::{Destination, WriteError};

/// One input of a command, named for the error message ("the spec").
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub role: &'static str,
    pub path: &'a Path,
}

impl<'a> Input<'a> {
    /// An input `path` playing `role` ("the spec", "the weights file").
    pub fn new(role: &'static str, path: &'a Path) -> Input<'a> {
        Input { role, path }
    }
}

/// Why an output path cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "the output `{output}` is {role} `{input}`: writing it would destroy that input; \
         give another output path (-o/--output)"
    )]
    SameAsInput {
        output: PathBuf,
        input: PathBuf,
        role: &'static str,
    },
    #[error("cannot write `{path}`: {source}")]
    Unwritable { path: PathBuf, source: WriteError },
}

/// Refuses `output` if it names one of `inputs` or cannot be written.
pub fn check(output: &Path, inputs: &[Input]) -> Result<(), OutputError> {
    if let Some(input) = inputs.iter().find(|i| same_file(output, i.path)) {
        return Err(OutputError::SameAsInput {
            output: output.to_path_buf(),
            input: input.path.to_path_buf(),
            role: input.role,
        });
    }
    Destination::of(output).map_err(|source| OutputError::Unwritable {
        path: output.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Whether `a` and `b` name one existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(meta_a), Ok(meta_b)) = (fs::metadata(a), fs::metadata(b)) else {
        // A path that does not exist yet cannot be an input.
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if (meta_a.dev(), meta_a.ino()) == (meta_b.dev(), meta_b.ino()) {
            return true;
        }
    }
    #[cfg(not(unix))]
    let _ = (meta_a, meta_b);
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// The most bytes read from a model to list its external-data files: a
/// protobuf message cannot be larger.
const MODEL_READ_LIMIT: u64 = crate::back::onnx::external::PROTOBUF_LIMIT;

/// The external-data files an ONNX model names, so that they count as inputs
/// too (a model that cannot be read names none here; loading it says why).
pub fn external_data_files(model: &Path) -> Vec<PathBuf> {
    crate::back::onnx::external::data_files(model, MODEL_READ_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_through_links_and_dot_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("spec.rnn");
        fs::write(&file, b"x").unwrap();
        let hard = dir.path().join("hard.rnn");
        fs::hard_link(&file, &hard).unwrap();
        let dotted = dir.path().join(".").join("spec.rnn");
        assert!(same_file(&file, &hard));
        assert!(same_file(&file, &dotted));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.rnn");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert!(same_file(&link, &file));
        }
        let other = dir.path().join("other.rnn");
        fs::write(&other, b"x").unwrap();
        assert!(!same_file(&file, &other));
        assert!(!same_file(&dir.path().join("missing"), &file));
    }

    #[test]
    fn check_names_both_paths() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec.rnn");
        fs::write(&spec, b"x").unwrap();
        let err = check(&spec, &[Input::new("the spec", &spec)]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("is the spec"), "{text}");
        assert_eq!(text.matches("spec.rnn").count(), 2, "{text}");
        check(
            &dir.path().join("new.onnx"),
            &[Input::new("the spec", &spec)],
        )
        .unwrap();
    }
}
