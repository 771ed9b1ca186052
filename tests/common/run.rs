//! Running the real `rnnc` binary from the repository root, as a user does.

use std::path::Path;
use std::process::{Command, Output};

/// The repository root: fixture paths in the tests are relative to it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `rnnc args…` in the repository root and waits for it.
pub fn rnnc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}
