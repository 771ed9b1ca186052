//! The Keras oracle fixtures: Sequential models in `fixtures/oracle/<case>/`
//! (written by `scripts/make_oracles.py`), functional ones in
//! `fixtures/functional/<case>/` (`scripts/make_functional_oracles.py`),
//! masked ones in `fixtures/masking/<case>/` (`scripts/make_masking_oracles.py`).

use std::path::{Path, PathBuf};

/// Every case folder (one with a `model.rnn`) under `dir`, absolute,
/// sorted; at least `min` of them, or the fixtures are missing.
fn cases_in(dir: &str, min: usize) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.rnn").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= min, "{dir}: fixtures missing");
    cases
}

/// Every Sequential oracle case folder.
#[allow(dead_code)]
pub fn oracle_cases() -> Vec<PathBuf> {
    cases_in("fixtures/oracle", 51)
}

/// Every functional oracle case folder.
#[allow(dead_code)]
pub fn functional_cases() -> Vec<PathBuf> {
    cases_in("fixtures/functional", 12)
}

/// Every masking oracle case folder (functional and Sequential models with
/// `Embedding(mask_zero=True)` or `Masking`, in the functional fixtures'
/// format: `scripts/make_masking_oracles.py`).
#[allow(dead_code)]
pub fn masking_cases() -> Vec<PathBuf> {
    cases_in("fixtures/masking", 12)
}
