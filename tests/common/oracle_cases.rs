//! The Keras oracle fixtures (`fixtures/oracle/<case>/`, written by
//! `scripts/make_oracles.py`).

use std::path::{Path, PathBuf};

/// Every oracle case folder (one with a `model.rnn`), absolute, sorted.
pub fn oracle_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/oracle");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.rnn").exists())
        .collect();
    cases.sort();
    assert!(cases.len() > 50, "oracle fixtures missing");
    cases
}
