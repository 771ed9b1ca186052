//! The newcomer's first hour, through the real binary: the wrong kind of
//! file given as a spec, the Keras RNN guide's first model, the help texts,
//! the README's first steps, one parameter count in `inspect` and
//! `compile`, and names with control characters printed escaped.

#[path = "common/run.rs"]
mod run;

use std::path::Path;
use std::process::Output;

use run::{rnnc, root};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts a refusal: exit code 2 and a stderr holding every needle.
fn refused(out: &Output, needles: &[&str]) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    stderr
}

#[test]
fn model_files_given_as_spec_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = dir.path().join("m.onnx");
    let spec = "fixtures/tutorial/simple_rnn.rnn";
    let out = rnnc(&["compile", spec, "-o", s(&onnx)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for command in ["summary", "compile", "weights"] {
        let mut args = vec![command, s(&onnx)];
        if command == "weights" {
            args.extend(["-o", "/tmp/never-written.npz"]);
        }
        refused(
            &rnnc(&args),
            &["is not a spec", "ONNX model", "rnnc inspect"],
        );
    }
    // A Keras model file is a model: its architecture is read from it.
    let keras = "fixtures/keras_files/tutorial_simple_rnn/model.keras";
    assert!(rnnc(&["summary", keras]).status.success());
    let h5 = "fixtures/keras_files/tutorial_simple_rnn/model.weights.h5";
    refused(
        &rnnc(&["summary", h5]),
        &["holds no model architecture", "weights-only", "--weights"],
    );
}

#[test]
fn the_rnn_guide_first_example_compiles_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("guide.rnn");
    std::fs::write(
        &spec,
        "model = keras.Sequential()\n\
         model.add(layers.Embedding(input_dim=1000, output_dim=64))\n\
         model.add(layers.LSTM(128))\n\
         model.add(layers.Dense(10))\n",
    )
    .unwrap();
    let summary = rnnc(&["summary", s(&spec)]);
    let table = text(&summary.stdout);
    assert!(summary.status.success(), "{}", text(&summary.stderr));
    for row in [
        " embedding (Embedding)       (None, None, 64)          64000",
        " lstm (LSTM)                 (None, 128)               98816",
        " dense (Dense)               (None, 10)                1290",
        "Total params: 164,106",
    ] {
        assert!(table.contains(row), "missing {row:?} in:\n{table}");
    }
    let model = dir.path().join("guide.onnx");
    let out = rnnc(&["compile", s(&spec), "-o", s(&model), "--verify"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("input [1, 9]"), "several lengths: {stdout}");
}

#[test]
fn help_lists_every_weights_format() {
    for command in ["compile", "verify", "run"] {
        let help = text(&rnnc(&[command, "--help"]).stdout);
        for format in [".weights.h5", ".keras", "legacy `.h5`", ".npz"] {
            assert!(
                help.contains(format),
                "{command} --help lacks {format}:\n{help}"
            );
        }
    }
}

#[test]
fn readme_gives_the_first_steps() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        readme.contains(&format!("Rust {version} or later")),
        "{version}"
    );
    assert!(readme.contains("cargo install --path ."));
    // The first command reads only, and it works.
    let first = "rnnc summary fixtures/tutorial/deep_bidirectional.rnn";
    assert!(readme.contains(first));
    let out = rnnc(&first.split(' ').skip(1).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // No example writes into the repository.
    for line in readme.lines().filter(|l| l.contains(" -o ")) {
        let target = line.split(" -o ").nth(1).unwrap();
        assert!(
            target.starts_with("/tmp/") || target.starts_with("MODEL") || target.starts_with("W"),
            "{line}"
        );
    }
}

#[test]
fn inspect_names_the_keras_parameter_count_compile_prints() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, keras) in [
        ("fixtures/tutorial/simple_rnn.rnn", 42),
        ("fixtures/tutorial/deep_bidirectional.rnn", 1_424),
    ] {
        let model = dir.path().join("m.onnx");
        let compiled = text(&rnnc(&["compile", spec, "-o", s(&model)]).stdout);
        assert!(
            compiled.contains(&format!(" {keras} parameters")),
            "{compiled}"
        );
        let inspected = text(&rnnc(&["inspect", s(&model)]).stdout);
        assert!(
            inspected.contains(&format!("Keras counts {keras} for the recorded spec")),
            "{spec}: {inspected}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&rnnc(&["inspect", s(&model), "--json"]).stdout).unwrap();
        assert_eq!(json["totals"]["keras_parameters"], keras, "{spec}");
    }
    let foreign = rnnc(&["inspect", "fixtures/foreign/torch_lstm.onnx", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&foreign.stdout).unwrap();
    assert!(json["totals"]["keras_parameters"].is_null());
}

#[test]
fn control_characters_are_escaped_everywhere_they_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("evil.rnn");
    std::fs::write(
        &spec,
        "model = Sequential(name='\x1b[2Jevil')\n\
         model.add(SimpleRNN(3, input_shape=(2, 4), name='\\r\\nZ'))\n",
    )
    .unwrap();
    let summary = rnnc(&["summary", s(&spec)]);
    let table = text(&summary.stdout);
    assert!(table.contains("Model: \"\\u{1b}[2Jevil\""), "{table}");
    assert!(table.contains(" \\u{d}\\u{a}Z (SimpleRNN)"), "{table}");
    let model = dir.path().join("evil.onnx");
    assert!(rnnc(&["compile", s(&spec), "-o", s(&model)])
        .status
        .success());
    let inspected = rnnc(&["inspect", s(&model)]).stdout;
    assert!(!inspected
        .iter()
        .any(|&b| b == 0x1b || b == 0x07 || b == b'\r'));
    assert!(text(&inspected).contains("\\u{1b}[2Jevil"));
    // A line break inside a name is escaped too: it cannot start a line.
    assert!(text(&inspected).contains("\\u{d}\\u{a}Z"));
    assert!(
        !text(&inspected)
            .lines()
            .any(|l| l.trim_start().starts_with('Z')),
        "{}",
        text(&inspected)
    );
    let json = rnnc(&["inspect", s(&model), "--json"]).stdout;
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert!(json.to_string().contains("\\u001b[2Jevil"));
    // An error quoting the name: a duplicate.
    std::fs::write(
        &spec,
        "SimpleRNN(3, input_shape=(2, 4), name='\x1b[31mx')\nDense(2, name='\x1b[31mx')\n",
    )
    .unwrap();
    let stderr = refused(&rnnc(&["summary", s(&spec)]), &["`\\u{1b}[31mx`"]);
    assert!(!stderr.contains('\x1b'), "{stderr}");
}
