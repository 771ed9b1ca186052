//! Atomic file output: write to a temporary file beside the target, then
//! rename it into place, so that a failed or interrupted run never leaves a
//! half-written model, weights or outputs file.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// A file being written; it appears at its path only on [`AtomicFile::commit`].
/// Dropped without commit, the temporary file is removed.
pub struct AtomicFile {
    file: File,
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file `.<name>.tmp-<pid>` in the target's directory.
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty());
        let temp_name = format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id());
        let temp = dir.map_or_else(|| PathBuf::from(&temp_name), |d| d.join(&temp_name));
        let file = File::create(&temp)?;
        Ok(AtomicFile {
            file,
            temp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// The temporary file, to write into.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// Flushes to disk and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        fs::rename(&self.temp, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let file = AtomicFile::create(path)?;
    (&file.file).write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model.onnx");
        {
            let f = AtomicFile::create(&target).unwrap();
            use std::io::Write as _;
            (&f.file).write_all(b"partial").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn write_replaces_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        fs::write(&target, b"old").unwrap();
        write(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
