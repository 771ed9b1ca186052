//! The `rnnc` binary: parses the command line and hands over to [`rnnc::cli`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    rnnc::cli::run(rnnc::cli::Cli::parse())
}

/// Runs before Rust's runtime start-up, which replaces a closed stdout with
/// `/dev/null`, so that `rnnc … >&-` can be told from `rnnc … >/dev/null`.
/// The loader calls each function in `.init_array` once, before `main`, with
/// no other thread running; the function only reads a file descriptor's
/// flags and stores an atomic boolean.
///
/// This attribute is rnnc's one `unsafe` outside tests, kept on purpose:
/// after start-up a closed stdout cannot be told from a redirection to
/// `/dev/null` (its open flags would confuse it with Python's
/// `subprocess.DEVNULL`, opened read-write), and `summary >&-` must fail
/// with a write error rather than exit 0 having printed nothing.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static RECORD_STDOUT: extern "C" fn() = record_stdout;

#[cfg(target_os = "linux")]
extern "C" fn record_stdout() {
    rnnc::console::record_stdout_at_start();
}
