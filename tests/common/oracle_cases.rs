//! The Keras oracle fixtures: Sequential models in `fixtures/oracle/<case>/`
//! (written by `scripts/make_oracles.py`), functional ones in
//! `fixtures/functional/<case>/`.

use std::path::{Path, PathBuf};

/// Every oracle case folder (one with a `model.rnn`), absolute, sorted.
#[allow(dead_code)]
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

/// Every functional oracle case folder (`fixtures/functional/<case>/`,
/// written by `scripts/make_functional_oracles.py`), absolute, sorted.
#[allow(dead_code)]
pub fn functional_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/functional");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.rnn").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "functional fixtures missing");
    cases
}
