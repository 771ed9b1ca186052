//! Golden files for what users read: `rnnc summary` of every tutorial spec
//! (`fixtures/tutorial/<case>.summary`), the error message and exit code
//! of every spec in `fixtures/errors/` (`<case>.stderr`), the notes about
//! ignored lines and dropped masks of every spec in `fixtures/notes/`
//! (`<case>.stderr`), the
//! summary of every functional and masking oracle
//! (`fixtures/{functional,masking}/<case>/summary.txt`), and the graph rnnc
//! emits for every Keras oracle, Sequential, functional and masked, as `rnnc inspect` prints it (`<case>/graph.inspect`), so that
//! a backend change is a diff to review.
//!
//! It also holds the spec `rnnc spec` writes for every Keras model file of
//! `fixtures/model_files/` (`<case>/spec.rnn`) and the refusal of every
//! damaged or unsupported model file in `fixtures/model_file_errors/`
//! (`<case>.stderr`).
//!
//! The goldens are written by one command, never by hand:
//! `UPDATE_GOLDEN=1 cargo test --test golden`.

#[path = "common/oracle_cases.rs"]
mod oracle_cases;
#[path = "common/run.rs"]
mod run;
use oracle_cases::{functional_cases, masking_cases, oracle_cases};
use run::{rnnc, root};

use std::path::{Path, PathBuf};

fn specs(dir: &str) -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rnn"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    specs.sort();
    specs
}

/// Compares `actual` with the golden file, or rewrites it under UPDATE_GOLDEN.
fn golden(path: &Path, actual: &str) -> Result<(), String> {
    let full = root().join(path);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&full, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(&full).map_err(|_| {
        format!(
            "{} is missing; run UPDATE_GOLDEN=1 cargo test --test golden",
            path.display()
        )
    })?;
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{} differs:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ))
    }
}

#[test]
fn tutorial_summaries() {
    let mut failures = Vec::new();
    for spec in specs("fixtures/tutorial") {
        let out = rnnc(&["summary", spec.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", spec.display());
        // The cells end with `model.summary()`, which rnnc notes it ignores.
        assert!(
            stderr.lines().all(|l| l.starts_with("note: ")),
            "{}: {stderr}",
            spec.display()
        );
        if let Err(e) = golden(
            &spec.with_extension("summary"),
            &String::from_utf8(out.stdout).unwrap(),
        ) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_messages() {
    let specs = specs("fixtures/errors");
    assert!(specs.len() >= 15);
    let mut failures = Vec::new();
    for spec in specs {
        for command in ["summary", "compile"] {
            let out = rnnc(
                &[
                    command,
                    spec.to_str().unwrap(),
                    "-o",
                    "/dev/null/never-written.onnx",
                ][..if command == "summary" { 2 } else { 4 }],
            );
            assert_eq!(out.status.code(), Some(2), "{command} {}", spec.display());
            assert!(out.stdout.is_empty(), "{command} {}", spec.display());
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(
                stderr.starts_with("error: "),
                "{}: {stderr}",
                spec.display()
            );
            assert!(!stderr.contains("panicked"), "{}: {stderr}", spec.display());
            if command == "summary" {
                if let Err(e) = golden(&spec.with_extension("stderr"), &stderr) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `fixtures/stream_errors/`: models Keras builds (their summary works)
/// that cannot stream; `compile` (with the flags of `<case>.args`) refuses
/// them with `<case>.stderr`.
#[test]
fn streaming_refusals() {
    let specs = specs("fixtures/stream_errors");
    assert!(specs.len() >= 4);
    let mut failures = Vec::new();
    for spec in specs {
        let path = spec.to_str().unwrap();
        assert_eq!(rnnc(&["summary", path]).status.code(), Some(0), "{path}");
        let flags = std::fs::read_to_string(spec.with_extension("args")).unwrap_or_default();
        let mut args = vec!["compile", path, "-o", "/dev/null/never-written.onnx"];
        args.extend(flags.split_whitespace());
        let out = rnnc(&args);
        assert_eq!(out.status.code(), Some(2), "{path}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        if let Err(e) = golden(&spec.with_extension("stderr"), &stderr) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn notes_on_ignored_lines() {
    let specs = specs("fixtures/notes");
    assert!(!specs.is_empty());
    let mut failures = Vec::new();
    for spec in specs {
        let out = rnnc(&["summary", spec.to_str().unwrap()]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{}: {stderr}", spec.display());
        assert!(!out.stdout.is_empty(), "{}", spec.display());
        if let Err(e) = golden(&spec.with_extension("stderr"), &stderr) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn emitted_graph_of_every_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = oracle_cases();
    assert!(cases.len() > 100, "the oracle fixtures are missing");
    cases.extend(functional_cases());
    cases.extend(masking_cases());
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let case = case.strip_prefix(root()).unwrap();
        let model = dir.path().join(format!("{index}.onnx"));
        let spec = case.join("model.rnn");
        let weights = case.join("weights.npz");
        let out = rnnc(&[
            "compile",
            spec.to_str().unwrap(),
            "--weights",
            weights.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(
            out.status.success(),
            "{}: {}",
            case.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = rnnc(&["inspect", model.to_str().unwrap()]);
        assert!(out.status.success(), "{}", case.display());
        let text = String::from_utf8(out.stdout).unwrap();
        if let Err(e) = golden(&case.join("graph.inspect"), &text) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn functional_summaries() {
    let mut failures = Vec::new();
    for case in functional_cases().into_iter().chain(masking_cases()) {
        let case = case.strip_prefix(root()).unwrap();
        let out = rnnc(&["summary", case.join("model.rnn").to_str().unwrap()]);
        assert!(out.status.success(), "{}", case.display());
        if let Err(e) = golden(
            &case.join("summary.txt"),
            &String::from_utf8(out.stdout).unwrap(),
        ) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `fixtures/model_file_errors/`: damaged and unsupported model files
/// (`scripts/make_bad_model_files.py`); `summary`, or the command in
/// `<case>.args`, refuses each with exit 2 and `<case>.stderr`, where
/// `<case>` is the file name up to its first dot.
#[test]
fn model_file_refusals() {
    let dir = root().join("fixtures/model_file_errors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "keras" || e == "h5"))
        .collect();
    files.sort();
    assert!(files.len() >= 8);
    let mut failures = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let case = name.split('.').next().unwrap();
        let path = format!("fixtures/model_file_errors/{name}");
        let command = std::fs::read_to_string(dir.join(format!("{case}.args")))
            .unwrap_or_else(|_| "summary".into());
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push(&path);
        if args[0] == "compile" {
            args.extend(["-o", "target/model-file-refusal.onnx"]);
        }
        let out = rnnc(&args);
        assert_eq!(out.status.code(), Some(2), "{path}");
        assert!(!root().join("target/model-file-refusal.onnx").exists());
        let stderr = String::from_utf8(out.stderr).unwrap();
        let golden_path = PathBuf::from(format!("fixtures/model_file_errors/{case}.stderr"));
        if let Err(e) = golden(&golden_path, &stderr) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `rnnc spec` of every model file in `fixtures/model_files/`:
/// `<case>/spec.rnn`, the architecture as users read and diff it.
#[test]
fn specs_written_from_model_files() {
    let mut failures = Vec::new();
    for file in model_files() {
        let out = rnnc(&["spec", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let spec = String::from_utf8(out.stdout).unwrap();
        let golden_path = file.with_file_name("spec.rnn");
        if let Err(e) = golden(golden_path.strip_prefix(root()).unwrap(), &spec) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The model file of every case of `fixtures/model_files/`.
fn model_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/model_files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .filter_map(|case| {
            ["model.keras", "model.h5"]
                .iter()
                .map(|f| case.join(f))
                .find(|p| p.exists())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    files
}
