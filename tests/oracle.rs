//! Keras is the oracle: for every fixture in `fixtures/oracle/` (written by
//! real Keras 3 through `scripts/make_oracles.py`), compile the spec with
//! Keras' weights, run the ONNX file in tract through `rnnc run`, and require
//! Keras' own predictions; then `rnnc verify` must pass on the same file.

#[path = "common/oracle_cases.rs"]
mod oracle_cases;
#[path = "common/run.rs"]
mod run;
use oracle_cases::oracle_cases;
use run::{rnnc, root};

#[path = "common/graph.rs"]
mod graph;
#[path = "common/outputs.rs"]
mod outputs;
use outputs::{max_abs_error, read_npz};

use std::path::{Path, PathBuf};

/// Tolerance against Keras for most models: both compute in f32.
const ATOL: f32 = 1e-5;
/// Tolerance for deep models (three or more recurrent layers), where f32
/// rounding differences compound through the stack.
const DEEP_ATOL: f32 = 1e-4;

fn cases(prefixes: &[&str]) -> Vec<PathBuf> {
    oracle_cases()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            prefixes.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect()
}

fn is_deep(spec: &str) -> bool {
    ["SimpleRNN(", "LSTM(", "GRU("]
        .iter()
        .map(|cell| spec.matches(cell).count())
        .sum::<usize>()
        >= 3
}

/// Runs one oracle case end to end; returns a description of each failure.
fn check_case(case: &Path) -> Vec<String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.onnx");
    let (spec, weights) = (case.join("model.rnn"), case.join("weights.npz"));
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    let compiled = rnnc(&[
        "compile",
        &arg(&spec),
        "--weights",
        &arg(&weights),
        "-o",
        &arg(&model),
    ]);
    if !compiled.status.success() {
        return vec![format!(
            "{name}: compile failed: {}",
            String::from_utf8_lossy(&compiled.stderr)
        )];
    }
    let unused = graph::unused_initializers(&model);
    if !unused.is_empty() {
        return vec![format!("{name}: unused initializers {unused:?}")];
    }
    let source = std::fs::read_to_string(&spec).unwrap();
    let atol = if is_deep(&source) { DEEP_ATOL } else { ATOL };
    let mut failures = Vec::new();
    for (input, expected) in [
        ("input.npy", "expected.npz"),
        ("input_long.npy", "expected_long.npz"),
    ] {
        if !case.join(input).exists() {
            continue;
        }
        let out = dir.path().join("out.npz");
        let ran = rnnc(&[
            "run",
            &arg(&model),
            "--input",
            &arg(&case.join(input)),
            "--output",
            &arg(&out),
        ]);
        if !ran.status.success() {
            failures.push(format!(
                "{name}: run failed: {}",
                String::from_utf8_lossy(&ran.stderr)
            ));
            continue;
        }
        let ours = read_npz(&out);
        let keras = read_npz(&case.join(expected));
        if ours.len() != keras.len() {
            failures.push(format!(
                "{name}: {} outputs, Keras has {}",
                ours.len(),
                keras.len()
            ));
            continue;
        }
        for ((our_name, a), (keras_name, e)) in ours.iter().zip(&keras) {
            if a.shape() != e.shape() {
                failures.push(format!(
                    "{name}/{input}: {our_name} shape {:?}, Keras {keras_name} {:?}",
                    a.shape(),
                    e.shape()
                ));
                continue;
            }
            let err = max_abs_error(a, e);
            if err.is_nan() || err > atol {
                failures.push(format!(
                    "{name}/{input}: {our_name} differs from Keras by {err:e}"
                ));
            }
        }
    }
    let verified = rnnc(&["verify", &arg(&model), "--weights", &arg(&weights)]);
    if !verified.status.success() {
        failures.push(format!(
            "{name}: verify exited {:?}:\n{}{}",
            verified.status.code(),
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr)
        ));
    }
    failures
}

fn check_all(prefixes: &[&str]) {
    let cases = cases(prefixes);
    assert!(!cases.is_empty(), "no oracle cases for {prefixes:?}");
    let failures: Vec<String> = cases.iter().flat_map(|c| check_case(c)).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tutorial_models_equal_keras() {
    check_all(&["tutorial_"]);
}

#[test]
fn simple_rnn_options_equal_keras() {
    check_all(&["simple_rnn_", "rnn_"]);
}

#[test]
fn lstm_options_equal_keras() {
    check_all(&["lstm_"]);
}

#[test]
fn gru_options_equal_keras() {
    check_all(&["gru_"]);
}

#[test]
fn bidirectional_equal_keras() {
    check_all(&["bidir_"]);
}

#[test]
fn embedding_and_combinations_equal_keras() {
    check_all(&["embedding_", "stacked_", "text_", "tagger_", "encoder_"]);
}

#[test]
fn every_oracle_case_is_covered() {
    let all = cases(&[""]);
    let covered = cases(&[
        "tutorial_",
        "simple_rnn_",
        "rnn_",
        "lstm_",
        "gru_",
        "bidir_",
        "embedding_",
        "stacked_",
        "text_",
        "tagger_",
        "encoder_",
    ]);
    assert_eq!(all, covered);
}

#[test]
fn every_weights_key_style_loads_the_same_model() {
    let case = root().join("fixtures/oracle/tutorial_simple_rnn");
    let dir = tempfile::tempdir().unwrap();
    let input = case.join("input.npy");
    let mut outputs = Vec::new();
    for weights in [
        "weights.npz",
        "weights_fullpath.npz",
        "weights_positional.npz",
    ] {
        let model = dir.path().join(format!("{weights}.onnx"));
        let out = dir.path().join(format!("{weights}.out.npz"));
        let w = case.join(weights);
        let compiled = rnnc(&[
            "compile",
            case.join("model.rnn").to_str().unwrap(),
            "--weights",
            w.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
        ]);
        assert!(
            compiled.status.success(),
            "{weights}: {}",
            String::from_utf8_lossy(&compiled.stderr)
        );
        let ran = rnnc(&[
            "run",
            model.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ]);
        assert!(ran.status.success());
        outputs.push(read_npz(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}
