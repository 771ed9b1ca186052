//! Standard output and standard error as rnnc uses them.
//!
//! Messages to stderr never fail the command: when stderr itself cannot be
//! written (`2>/dev/full`, a closed pipe) there is nowhere left to say so,
//! and `eprintln!` would panic instead. A closed stdout is noticed before a
//! command starts, since Rust's runtime hides it (see
//! [`record_stdout_at_start`]).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// Writes `text` to stderr as it is, ignoring a failure to do so (there is
/// nowhere to report it).
pub fn stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// Writes `error: TEXT` and a newline to stderr.
pub fn error(text: &str) {
    stderr(&format!("error: {text}\n"));
}

/// Writes `note: TEXT` and a newline to stderr.
pub fn note(text: &str) {
    stderr(&format!("note: {text}\n"));
}

/// Whether stdout was closed when the process started: set by
/// [`record_stdout_at_start`], before Rust's runtime could hide it.
static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Notes whether stdout (fd 1) is open. The `rnnc` binary calls this before
/// `main`, from the ELF `.init_array` (see `main.rs`): Rust's runtime then
/// reopens a closed stdout on `/dev/null`, after which every write would
/// succeed into nothing and nothing could tell `>&-` from `>/dev/null`.
pub fn record_stdout_at_start() {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        let closed = matches!(
            rustix::io::fcntl_getfd(std::io::stdout().as_fd()),
            Err(rustix::io::Errno::BADF)
        );
        STDOUT_CLOSED_AT_START.store(closed, Ordering::Relaxed);
    }
}

/// Whether stdout was closed when rnnc started (`rnnc summary spec >&-`), as
/// [`record_stdout_at_start`] saw it; always false where it is not called.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED_AT_START.load(Ordering::Relaxed)
}
