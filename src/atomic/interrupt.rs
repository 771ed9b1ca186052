//! Files to remove if the process is interrupted before they are kept.
//!
//! A temporary file, or a new external-data file whose model is not yet in
//! place, is registered here; a Ctrl-C, SIGTERM or SIGHUP (the `ctrlc`
//! crate's `termination` feature; SIGKILL cannot be caught) removes every
//! registered file and exits. Creating a file and registering it, and
//! publishing a file and unregistering it, each happen under the registry's
//! lock, so an interrupt never falls between the two.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

/// Exit code after an interrupt: 128 + SIGINT, what shells report for Ctrl-C.
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

/// The registered files, by registration number.
struct Registry {
    next: u64,
    files: Vec<(u64, PathBuf)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    files: Vec::new(),
});

static HANDLER: Once = Once::new();

fn lock() -> MutexGuard<'static, Registry> {
    // A panic while holding the lock leaves the list itself intact.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registered file: removed when dropped, or on an interrupt, unless kept
/// by [`keep_all`].
#[derive(Debug)]
pub struct Provisional {
    id: u64,
    path: PathBuf,
    kept: bool,
}

impl Drop for Provisional {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let mut registry = lock();
        registry.files.retain(|(id, _)| *id != self.id);
        // Best effort: a file that cannot be removed is garbage either way,
        // and the error that led here is the one to report.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Runs `create` (which makes a file and returns it with its path) and
/// registers the path, with no interrupt possible in between.
pub fn register<T>(
    create: impl FnOnce() -> io::Result<(T, PathBuf)>,
) -> io::Result<(T, Provisional)> {
    install_handler();
    let mut registry = lock();
    let (made, path) = create()?;
    let id = registry.next;
    registry.next += 1;
    registry.files.push((id, path.clone()));
    Ok((
        made,
        Provisional {
            id,
            path,
            kept: false,
        },
    ))
}

/// Registers an existing path (a file just published that is not yet
/// referred to by anything).
#[cfg(test)]
pub fn register_path(path: &Path) -> Provisional {
    let (_, provisional) = register(|| Ok(((), path.to_path_buf())))
        .expect("registering an existing path creates nothing and cannot fail");
    provisional
}

/// Runs `publish`; if it succeeds, the files `guards` hold are kept, with no
/// interrupt possible in between. If it fails, they are dropped (removed).
pub fn keep_all<E>(
    guards: Vec<Provisional>,
    publish: impl FnOnce() -> Result<(), io::Error>,
) -> Result<(), E>
where
    E: From<io::Error>,
{
    let mut registry = lock();
    if let Err(e) = publish() {
        // Unlock first: dropping a guard takes the lock to unregister.
        drop(registry);
        drop(guards);
        return Err(e.into());
    }
    for mut guard in guards {
        registry.files.retain(|(id, _)| *id != guard.id);
        guard.kept = true;
    }
    Ok(())
}

/// Runs `publish`, which moves the file `guard` holds to `target`; if it
/// succeeds, the registration follows the file to `target`, with no
/// interrupt possible in between. If it fails, the file is removed.
pub fn moved(
    mut guard: Provisional,
    target: &Path,
    publish: impl FnOnce() -> io::Result<()>,
) -> io::Result<Provisional> {
    let mut registry = lock();
    if let Err(e) = publish() {
        drop(registry);
        drop(guard);
        return Err(e);
    }
    for (id, path) in &mut registry.files {
        if *id == guard.id {
            *path = target.to_path_buf();
        }
    }
    guard.path = target.to_path_buf();
    Ok(guard)
}

fn install_handler() {
    HANDLER.call_once(|| {
        if let Err(e) = ctrlc::set_handler(on_interrupt) {
            crate::console::note(&format!(
                "cannot watch for Ctrl-C ({e}): an interrupted write may leave a `.rnnc-*.tmp` file"
            ));
        }
    });
}

/// Removes every registered file and exits; runs on `ctrlc`'s own thread,
/// not in a signal handler, so it may lock and call the file system.
fn on_interrupt() {
    let registry = lock();
    for (_, path) in &registry.files {
        let _ = std::fs::remove_file(path);
    }
    crate::console::note("interrupted; unfinished output files removed");
    std::process::exit(INTERRUPTED_EXIT_CODE);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered() -> Vec<PathBuf> {
        lock().files.iter().map(|(_, p)| p.clone()).collect()
    }

    #[test]
    fn dropped_files_are_removed_and_kept_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let dropped = dir.path().join("dropped");
        let kept = dir.path().join("kept");
        std::fs::write(&dropped, b"x").unwrap();
        std::fs::write(&kept, b"x").unwrap();
        let a = register_path(&dropped);
        let b = register_path(&kept);
        assert!(registered().contains(&dropped));
        drop(a);
        assert!(!dropped.exists());
        assert!(!registered().contains(&dropped));
        keep_all::<io::Error>(vec![b], || Ok(())).unwrap();
        assert!(kept.exists());
        assert!(!registered().contains(&kept));
    }

    #[test]
    fn a_failed_publish_removes_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, b"x").unwrap();
        let guard = register_path(&path);
        let result = keep_all::<io::Error>(vec![guard], || Err(io::Error::other("no space")));
        assert!(result.is_err());
        assert!(!path.exists());
        assert!(!registered().contains(&path));
    }
}
