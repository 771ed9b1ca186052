//! Atomic file output: write to a temporary file beside the target, then
//! rename it into place, so that a failed or interrupted run never leaves a
//! half-written model, weights or outputs file.
//!
//! The temporary file is created exclusively (`O_EXCL`) under an
//! unpredictable name by the `tempfile` crate, so a name planted in a shared
//! folder (a symbolic link to someone's file) is never followed. It is
//! removed when the write fails, when it is dropped, and when the process is
//! interrupted (Ctrl-C, SIGTERM, SIGHUP: see [`interrupt`]).
//!
//! What an existing output path is decides how it is written:
//! - a regular file is replaced whole and keeps its permission bits; a
//!   read-only one is refused rather than replaced;
//! - a symbolic link is written through: its target is replaced and the link
//!   stays a link (a dangling link is refused);
//! - a character device (`/dev/null`, a terminal) is written into directly,
//!   never replaced, since writing into it is what the user asked for;
//! - a FIFO, socket, block device or directory is refused: opening a FIFO
//!   can block forever and the others are not outputs.

pub mod interrupt;

use std::fs::{self, File, Permissions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use interrupt::Provisional;

/// Prefix and suffix of temporary file names: `.rnnc-XXXXXX.tmp` is short,
/// so that an output name near the file system's 255-byte limit still works.
const TEMP_PREFIX: &str = ".rnnc-";
const TEMP_SUFFIX: &str = ".tmp";
/// Random characters in a temporary name (62^6 ≈ 5.7e10 names).
const TEMP_RANDOM_LEN: usize = 6;

/// Mode requested for a new output; the process umask then applies, exactly
/// as for `File::create` (0644 under the usual umask 022).
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o666;

/// Why an output could not be written. The messages leave out the path: the
/// caller's "cannot write `PATH`: " prefix names it.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error(
        "it is {kind}; rnnc writes its outputs to regular files, or into a \
         character device such as /dev/null"
    )]
    NotWritable { kind: &'static str },
    #[error(
        "it is read-only, so rnnc does not replace it; make it writable or choose another path"
    )]
    ReadOnly,
    #[error("it is a symbolic link to a missing file; remove the link or create its target")]
    DanglingLink,
    #[error("its folder does not exist; create it first")]
    NoFolder,
}

/// How an output path is written, decided from what is there now.
#[derive(Debug)]
pub enum Destination {
    /// A new or existing regular file, replaced by a rename; `path` is the
    /// file itself (symbolic links resolved), `permissions` those of the
    /// file being replaced.
    Replace {
        path: PathBuf,
        permissions: Option<Permissions>,
    },
    /// A character device, written into directly.
    Device,
}

impl Destination {
    /// Looks at `path` without opening or changing it.
    pub fn of(path: &Path) -> Result<Destination, WriteError> {
        let link = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let folder = path.parent().filter(|d| !d.as_os_str().is_empty());
                if folder.is_some_and(|d| !d.is_dir()) {
                    return Err(WriteError::NoFolder);
                }
                return Ok(Destination::Replace {
                    path: path.to_path_buf(),
                    permissions: None,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let is_link = link.file_type().is_symlink();
        let metadata = if is_link {
            fs::metadata(path).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => WriteError::DanglingLink,
                _ => e.into(),
            })?
        } else {
            link
        };
        if is_char_device(&metadata) {
            return Ok(Destination::Device);
        }
        if !metadata.is_file() {
            return Err(WriteError::NotWritable {
                kind: crate::files::kind_of(&metadata),
            });
        }
        if metadata.permissions().readonly() || !writable(path) {
            return Err(WriteError::ReadOnly);
        }
        Ok(Destination::Replace {
            path: if is_link {
                fs::canonicalize(path)?
            } else {
                path.to_path_buf()
            },
            permissions: Some(metadata.permissions()),
        })
    }
}

/// A file being written; it appears at its path only on [`AtomicFile::commit`].
/// Dropped without commit, the temporary file is removed.
pub struct AtomicFile {
    inner: Inner,
}

enum Inner {
    Temp {
        temp: tempfile::NamedTempFile,
        /// Removes the temporary file if the process is interrupted.
        guard: Provisional,
        target: PathBuf,
        permissions: Option<Permissions>,
    },
    Device(File),
}

impl AtomicFile {
    /// Opens the output `target`: a temporary file `.rnnc-XXXXXX.tmp` in the
    /// target's folder, or the device itself (see the module doc).
    pub fn create(target: &Path) -> Result<AtomicFile, WriteError> {
        match Destination::of(target)? {
            Destination::Device => {
                let file = fs::OpenOptions::new().write(true).open(target)?;
                let metadata = file.metadata()?;
                if !is_char_device(&metadata) {
                    // Swapped between the look and the open.
                    return Err(WriteError::NotWritable {
                        kind: crate::files::kind_of(&metadata),
                    });
                }
                Ok(AtomicFile {
                    inner: Inner::Device(file),
                })
            }
            Destination::Replace { path, permissions } => {
                if path.file_name().is_none() {
                    return Err(
                        io::Error::new(io::ErrorKind::InvalidInput, "not a file path").into(),
                    );
                }
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let mut builder = tempfile::Builder::new();
                builder
                    .prefix(TEMP_PREFIX)
                    .suffix(TEMP_SUFFIX)
                    .rand_bytes(TEMP_RANDOM_LEN);
                #[cfg(unix)]
                if permissions.is_none() {
                    use std::os::unix::fs::PermissionsExt as _;
                    builder.permissions(Permissions::from_mode(NEW_FILE_MODE));
                }
                let (temp, guard) = interrupt::register(|| {
                    let temp = builder.tempfile_in(dir)?;
                    let path = temp.path().to_path_buf();
                    Ok((temp, path))
                })?;
                Ok(AtomicFile {
                    inner: Inner::Temp {
                        temp,
                        guard,
                        target: path,
                        permissions,
                    },
                })
            }
        }
    }

    /// The file to write into.
    pub fn as_file(&self) -> &File {
        match &self.inner {
            Inner::Temp { temp, .. } => temp.as_file(),
            Inner::Device(file) => file,
        }
    }

    /// Flushes to disk and renames the file into place.
    pub fn commit(self) -> Result<(), WriteError> {
        self.commit_with(Vec::new())
    }

    /// Like [`AtomicFile::commit`], and in the same step (no interrupt can
    /// fall between) keeps the files `others` guards: the files that the
    /// committed one refers to, such as its external data.
    pub fn commit_with(self, others: Vec<Provisional>) -> Result<(), WriteError> {
        match self.inner {
            Inner::Device(mut file) => {
                // A device cannot be synced (fsync on /dev/null is EINVAL).
                file.flush()?;
                interrupt::keep_all(others, || Ok(()))
            }
            Inner::Temp {
                temp,
                guard,
                target,
                permissions,
            } => {
                finish(&temp, permissions)?;
                let mut guards = others;
                guards.push(guard);
                interrupt::keep_all(guards, || {
                    temp.persist(&target).map(drop).map_err(|e| e.error)
                })
            }
        }
    }

    /// Renames the file into place but keeps it provisional: it is removed
    /// if the returned guard is dropped or the process is interrupted before
    /// the file that refers to it is committed with
    /// [`AtomicFile::commit_with`]. Only for a new file, never a device.
    pub fn commit_provisional(self) -> Result<Provisional, WriteError> {
        match self.inner {
            Inner::Device(_) => Err(WriteError::NotWritable {
                kind: "a device, which cannot be published provisionally",
            }),
            Inner::Temp {
                temp,
                guard,
                target,
                permissions,
            } => {
                finish(&temp, permissions)?;
                let moved = interrupt::moved(guard, &target, || {
                    temp.persist(&target).map(drop).map_err(|e| e.error)
                })?;
                Ok(moved)
            }
        }
    }
}

/// Gives a finished temporary file its final permissions and flushes it to
/// disk, before it is renamed into place.
fn finish(temp: &tempfile::NamedTempFile, permissions: Option<Permissions>) -> io::Result<()> {
    if let Some(permissions) = permissions {
        fs::set_permissions(temp.path(), permissions)?;
    }
    temp.as_file().sync_all()
}

/// Writes `bytes` to `path` atomically (`rnnc spec -o`, and the tests' way
/// to publish a file).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let file = AtomicFile::create(path)?;
    file.as_file().write_all(bytes)?;
    file.commit()
}

fn is_char_device(metadata: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        metadata.file_type().is_char_device()
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}

/// Whether this process may write the file (permission bits say nothing to
/// root, or about a file owned by someone else).
fn writable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        true
    }
}

#[cfg(test)]
mod tests;
