//! Running a compiled file on a Keras oracle case's inputs (`input_k.npy`)
//! and comparing with Keras' own outputs (`expected.npz`): the functional,
//! masking and model-file oracles share this format.

use std::path::{Path, PathBuf};

use super::outputs;
use super::run::rnnc;

/// Tolerance against Keras: both compute in f32.
pub const ATOL: f32 = 1e-5;

/// The `input_k.npy` files of a case, in model input order.
pub fn inputs(case: &Path) -> Vec<PathBuf> {
    (0..)
        .map(|i| case.join(format!("input_{i}.npy")))
        .take_while(|p| p.exists())
        .collect()
}

/// Runs `model` (in tract, or the reference with `extra`) on the case's
/// inputs and compares with Keras' outputs; returns every difference (none
/// when they agree within [`ATOL`]).
pub fn compare_run(case: &Path, model: &Path, extra: &[&str]) -> Vec<String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let out = model.with_extension("out.npz");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let mut args = vec!["run".to_string(), path(model)];
    for input in inputs(case) {
        args.extend(["--input".to_string(), path(&input)]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--output".to_string(), path(&out)]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = rnnc(&refs);
    if !ran.status.success() {
        return vec![format!(
            "{name} {extra:?}: run failed: {}",
            String::from_utf8_lossy(&ran.stderr)
        )];
    }
    let ours = outputs::read_npz(&out);
    let keras = outputs::read_npz(&case.join("expected.npz"));
    if ours.len() != keras.len() {
        return vec![format!(
            "{name}: {} outputs, Keras has {}",
            ours.len(),
            keras.len()
        )];
    }
    let mut failures = Vec::new();
    for (i, ((_, a), (_, e))) in ours.iter().zip(&keras).enumerate() {
        if a.shape() != e.shape() {
            failures.push(format!(
                "{name} {extra:?}: output {i} shape {:?}, Keras {:?}",
                a.shape(),
                e.shape()
            ));
            continue;
        }
        let err = outputs::max_abs_error(a, e);
        if err.is_nan() || err > ATOL {
            failures.push(format!(
                "{name} {extra:?}: output {i} differs from Keras by {err:e}"
            ));
        }
    }
    failures
}
