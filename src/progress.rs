//! Progress on stderr for the phases that can last over a second:
//! initializing weights layer by layer, writing the file, loading it in
//! tract, running the reference and tract.
//!
//! Shown only when stderr is a terminal and `--quiet` was not given
//! ([`configure`]); otherwise every phase is a no-op, so pipes, logs and
//! tests see exactly the lines they saw before. A phase clears its line when
//! it ends, leaving only rnnc's own output.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether phases draw anything; off until [`configure`] turns it on.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// How often a spinner redraws on its own.
const TICK: Duration = Duration::from_millis(120);

/// Turns progress on when stderr is a terminal, unless `quiet`.
pub fn configure(quiet: bool) {
    ENABLED.store(!quiet && std::io::stderr().is_terminal(), Ordering::Relaxed);
}

/// A phase being shown; its line is cleared when it is dropped.
pub struct Phase {
    bar: Option<ProgressBar>,
}

/// A phase of unknown length: a spinner with `message` and the time spent.
pub fn phase(message: impl Into<String>) -> Phase {
    start(None, message.into())
}

/// A phase of `len` steps: a bar with `message`, the count and the time left.
pub fn bar(len: u64, message: impl Into<String>) -> Phase {
    start(Some(len), message.into())
}

fn start(len: Option<u64>, message: String) -> Phase {
    if !ENABLED.load(Ordering::Relaxed) {
        return Phase { bar: None };
    }
    let (bar, template) = match len {
        Some(len) => (
            ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()),
            "{msg} [{bar:30}] {percent}% ({elapsed}, {eta} left)",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{spinner} {msg} ({elapsed})",
        ),
    };
    let style = ProgressStyle::with_template(template)
        .expect("the templates above are valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(crate::escape::escape(&message).into_owned());
    bar.enable_steady_tick(TICK);
    // Drawn at once, not at the first tick: a phase shorter than a tick
    // still says what rnnc is doing.
    bar.tick();
    Phase { bar: Some(bar) }
}

impl Phase {
    /// Advances a bar by `steps`.
    pub fn inc(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(steps);
        }
    }

    /// Replaces the phase's message.
    pub fn set_message(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(crate::escape::escape(&message.into()).into_owned());
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
