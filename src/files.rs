//! Opening the files a command reads: regular files only, and never more
//! bytes than the caller allows.
//!
//! A FIFO would block `open` or `read` forever, a device such as `/dev/zero`
//! or `/dev/urandom` never ends, and a directory is not data; all of them are
//! refused by name before any byte is read. The type is checked on the path
//! before opening (so that opening a FIFO cannot block) and again on the open
//! handle (so that a path swapped in between is still caught).

use std::fs::{File, Metadata};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}` is {kind}, not a regular file; give the path of a file")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("`{path}` is larger than {limit} bytes, the most rnnc reads as {what}")]
    TooLarge {
        path: PathBuf,
        limit: u64,
        what: &'static str,
    },
}

/// Opens `path` for reading if it is a regular file (symbolic links are
/// followed to what they name).
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    require_regular(path, &std::fs::metadata(path).map_err(io)?)?;
    let file = File::open(path).map_err(io)?;
    require_regular(path, &file.metadata().map_err(io)?)?;
    Ok(file)
}

/// Reads the regular file at `path` whole, refusing it when it holds more
/// than `limit` bytes; `what` names the kind of file in that refusal
/// ("a spec", "an ONNX model").
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
    let file = open_regular(path)?;
    let too_large = || FileError::TooLarge {
        path: path.to_path_buf(),
        limit,
        what,
    };
    let declared = file
        .metadata()
        .map_err(|source| FileError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if declared > limit {
        return Err(too_large());
    }
    // The length can change after the check; read one byte past the limit to
    // notice a file that grew.
    let mut bytes = Vec::with_capacity(declared as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| FileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

fn require_regular(path: &Path, metadata: &Metadata) -> Result<(), FileError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(FileError::NotRegular {
        path: path.to_path_buf(),
        kind: kind_of(metadata),
    })
}

/// Says what a non-regular file is, for the refusal.
pub(crate) fn kind_of(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = metadata.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if metadata.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(read_limited(&path, 5, "a spec").unwrap(), b"hello");
        let err = read_limited(&path, 4, "a spec").unwrap_err();
        assert!(matches!(err, FileError::TooLarge { limit: 4, .. }), "{err}");
    }

    #[test]
    fn refuses_directories_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_limited(dir.path(), 10, "a spec").unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        #[cfg(unix)]
        {
            let err = open_regular(Path::new("/dev/zero")).unwrap_err();
            assert!(err.to_string().contains("character device"), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
    }
}
