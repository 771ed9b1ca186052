//! Keras model files in, verified ONNX out: `rnnc compile MODEL.keras` and
//! `rnnc compile MODEL.h5` read the architecture and the weights from the
//! file. Keras is the oracle: the files of `fixtures/model_files/` were
//! written by real Keras 2 (tf-keras) and Keras 3, or are real Keras 2 files
//! whose config was rewritten in an older dialect
//! (`scripts/make_model_files.py`, `scripts/make_model_files_dialects.py`),
//! and every functional and masking oracle has the `model.keras` Keras 3
//! saved. Each file's model runs in tract and in the reference interpreter
//! to Keras' predictions, `rnnc verify` passes, and the spec `rnnc spec`
//! writes compiles, with the file as its weights, to the same bytes. The
//! files rnnc refuses are `fixtures/model_file_errors/` (tests/golden.rs).

#[path = "common/keras_run.rs"]
mod keras_run;
#[path = "common/oracle_cases.rs"]
mod oracle_cases;
#[path = "common/outputs.rs"]
mod outputs;
#[path = "common/run.rs"]
mod run;
use keras_run::compare_run;
use oracle_cases::{functional_cases, masking_cases};
use run::{rnnc, root};

use std::path::{Path, PathBuf};

use prost::Message;
use rnnc::back::onnx::proto::ModelProto;

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The model file of a case folder.
fn model_file(case: &Path) -> PathBuf {
    ["model.keras", "model.h5"]
        .iter()
        .map(|f| case.join(f))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{}: no model file", case.display()))
}

/// Every case of `fixtures/model_files/`.
fn model_file_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/model_files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.npz").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "fixtures/model_files: fixtures missing");
    cases
}

/// Every case whose model file rnnc compiles: the model-file cases and the
/// functional and masking oracles.
fn compiled_cases() -> Vec<PathBuf> {
    let mut cases = model_file_cases();
    cases.extend(functional_cases());
    cases.extend(masking_cases());
    cases
}

fn compile(file: &Path, out: &Path, extra: &[&str]) -> Result<(), String> {
    let mut args = vec!["compile", arg(file), "-o", arg(out)];
    args.extend(extra);
    let compiled = rnnc(&args);
    if compiled.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: compile failed: {}",
            file.display(),
            String::from_utf8_lossy(&compiled.stderr)
        ))
    }
}

fn equal_keras(cases: Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let file = model_file(&case);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let onnx = dir.path().join(format!("{name}.onnx"));
        if let Err(e) = compile(&file, &onnx, &[]) {
            failures.push(e);
            continue;
        }
        failures.extend(compare_run(&case, &onnx, &[]));
        failures.extend(compare_run(
            &case,
            &onnx,
            &["--reference", "--weights", arg(&file)],
        ));
        let verified = rnnc(&["verify", arg(&onnx), "--weights", arg(&file)]);
        if !verified.status.success() {
            failures.push(format!(
                "{name}: verify failed: {}{}",
                String::from_utf8_lossy(&verified.stdout),
                String::from_utf8_lossy(&verified.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn keras2_and_keras3_model_files_equal_keras() {
    equal_keras(model_file_cases());
}

#[test]
fn keras3_archives_of_the_functional_oracles_equal_keras() {
    equal_keras(functional_cases());
}

#[test]
fn keras3_archives_of_the_masking_oracles_equal_keras() {
    equal_keras(masking_cases());
}

/// `rnnc spec FILE -o spec.rnn`, then `rnnc compile spec.rnn --weights
/// FILE`: the same bytes as `rnnc compile FILE`.
#[test]
fn written_specs_compile_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in compiled_cases() {
        let file = model_file(&case);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let spec = dir.path().join(format!("{name}.rnn"));
        let written = rnnc(&["spec", arg(&file), "-o", arg(&spec)]);
        assert!(written.status.success(), "{name}: {written:?}");
        let from_file = dir.path().join(format!("{name}.file.onnx"));
        let from_spec = dir.path().join(format!("{name}.spec.onnx"));
        let both = compile(&file, &from_file, &[])
            .and_then(|()| compile(&spec, &from_spec, &["--weights", arg(&file)]));
        if let Err(e) = both {
            failures.push(e);
            continue;
        }
        if std::fs::read(&from_file).unwrap() != std::fs::read(&from_spec).unwrap() {
            failures.push(format!("{name}: the written spec compiles to other bytes"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A model file rnnc cannot compile is refused by every command, naming
/// the layer, and nothing is written.
#[test]
fn unsupported_model_files_are_refused_naming_the_layer() {
    for (file, message) in [
        ("lambda.keras", "layer `double` (Lambda)"),
        ("custom_layer.keras", "layer `scale` (Scale)"),
        ("unknown_class.keras", "layer `lstm` (LSTMX)"),
    ] {
        let file = root().join("fixtures/model_file_errors").join(file);
        for command in ["summary", "spec", "compile", "weights"] {
            let mut args = vec![command, arg(&file)];
            if command != "summary" {
                args.extend(["-o", "target/never-written.out"]);
            }
            let out = rnnc(&args);
            assert_eq!(out.status.code(), Some(2), "{command} {}", file.display());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(message), "{command}: {stderr}");
            assert!(out.stdout.is_empty(), "{command}");
            assert!(!root().join("target/never-written.out").exists());
        }
    }
}

/// The metadata entries of a compiled file.
fn metadata(path: &Path) -> Vec<(String, String)> {
    let model = ModelProto::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
    model
        .metadata_props
        .into_iter()
        .map(|p| (p.key.unwrap_or_default(), p.value.unwrap_or_default()))
        .collect()
}

#[test]
fn metadata_records_the_model_file_and_verify_rebuilds_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/model_files/k2_seq2seq_initial_state");
    let file = model_file(&case);
    let onnx = dir.path().join("m.onnx");
    compile(&file, &onnx, &[]).unwrap();
    let meta = metadata(&onnx);
    let get = |key: &str| {
        meta.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key}"))
    };
    assert_eq!(get("rnnc.keras_version"), "2.21.0");
    assert_eq!(get("rnnc.spec_file"), "model.h5");
    let sha = get("rnnc.model_file_sha256");
    assert_eq!(sha.len(), 64);
    assert_eq!(sha, get("rnnc.weights_sha256"));
    assert!(get("rnnc.spec").contains("# rnnc: keras=2"));
    let verified = rnnc(&["verify", arg(&onnx), "--weights", arg(&file)]);
    assert!(verified.status.success(), "{verified:?}");
    // Another model file (its architecture differs) is refused.
    let other = model_file(&root().join("fixtures/model_files/k2_gru_reset_before"));
    let refused = rnnc(&["verify", arg(&onnx), "--weights", arg(&other)]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    // A recorded spec edited to match an edited graph is caught by reading
    // the file's architecture again.
    let mut model = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
    for prop in &mut model.metadata_props {
        if prop.key.as_deref() == Some("rnnc.spec") {
            let spec = prop.value.take().unwrap();
            prop.value = Some(spec.replace(
                "layers.LSTM(6, return_state",
                "layers.LSTM(6, unroll=True, return_state",
            ));
        }
    }
    let edited = dir.path().join("edited.onnx");
    std::fs::write(&edited, model.encode_to_vec()).unwrap();
    let caught = rnnc(&["verify", arg(&edited), "--weights", arg(&file)]);
    assert_eq!(caught.status.code(), Some(2), "{caught:?}");
    assert!(String::from_utf8_lossy(&caught.stderr).contains("is not the architecture in"));
    // Weights given at compile, instead of the file's: verify takes them.
    let npz = dir.path().join("w.npz");
    assert!(rnnc(&["weights", arg(&file), "-o", arg(&npz)])
        .status
        .success());
    let overridden = dir.path().join("overridden.onnx");
    compile(&file, &overridden, &["--weights", arg(&npz)]).unwrap();
    let verified = rnnc(&["verify", arg(&overridden), "--weights", arg(&npz)]);
    assert!(verified.status.success(), "{verified:?}");
}

/// A Keras 2 `hard_sigmoid` is `clip(0.2x + 0.5)`: a spec compiled with
/// Keras 2 weights warns until it says which Keras it follows, and with
/// `# rnnc: keras=2` computes what Keras 2 computed.
#[test]
fn keras2_hard_sigmoid_needs_the_directive() {
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/model_files/k2_lstm_hard_sigmoid");
    let file = model_file(&case);
    let written = String::from_utf8(rnnc(&["spec", arg(&file)]).stdout).unwrap();
    assert!(written.contains("# rnnc: keras=2\n"), "{written}");
    let onnx = dir.path().join("m.onnx");
    for (directive, warns, equals_keras2) in [
        ("", true, false),
        ("# rnnc: keras=3\n", false, false),
        ("# rnnc: keras=2\n", false, true),
    ] {
        let text = written.replace("# rnnc: keras=2\n", directive);
        let spec = dir.path().join("spec.rnn");
        std::fs::write(&spec, &text).unwrap();
        let out = rnnc(&[
            "compile",
            arg(&spec),
            "--weights",
            arg(&file),
            "-o",
            arg(&onnx),
        ]);
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("# rnnc: keras=2"),
            warns,
            "{directive:?}: {stderr}"
        );
        assert_eq!(
            compare_run(&case, &onnx, &[]).is_empty(),
            equals_keras2,
            "{directive:?}"
        );
    }
}

/// `rnnc weights MODEL` writes the trained weights of the file, which
/// compile the written spec to the same model.
#[test]
fn weights_of_a_model_file_are_its_trained_weights() {
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/functional/bidir_initial_state");
    let file = model_file(&case);
    let npz = dir.path().join("w.npz");
    let out = rnnc(&["weights", arg(&file), "-o", arg(&npz)]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("trained"));
    let spec = dir.path().join("spec.rnn");
    assert!(rnnc(&["spec", arg(&file), "-o", arg(&spec)])
        .status
        .success());
    let onnx = dir.path().join("m.onnx");
    compile(&spec, &onnx, &["--weights", arg(&npz)]).unwrap();
    assert_eq!(compare_run(&case, &onnx, &[]), Vec::<String>::new());
}

/// The format is read from the bytes: a model file under another name is
/// still a model file, and a spec named `.keras` is still a spec.
#[test]
fn formats_are_recognised_from_content() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("model.txt");
    std::fs::copy(
        root().join("fixtures/model_files/k2_gru_reset_before/model.h5"),
        &renamed,
    )
    .unwrap();
    assert!(rnnc(&["summary", arg(&renamed)]).status.success());
    let spec = dir.path().join("spec.keras");
    std::fs::copy(root().join("fixtures/functional/chain/model.rnn"), &spec).unwrap();
    assert!(rnnc(&["summary", arg(&spec)]).status.success());
    let npz = rnnc(&["summary", "fixtures/functional/chain/weights.npz"]);
    assert_eq!(npz.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&npz.stderr).contains("`.npz` archive of arrays"));
    let not_a_model = rnnc(&["spec", "fixtures/functional/chain/model.rnn"]);
    assert_eq!(not_a_model.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_model.stderr).contains("not a Keras model file"));
}
