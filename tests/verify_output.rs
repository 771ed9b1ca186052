//! What `rnnc verify` says: the file check as its own line, the tolerance it
//! applies per element, the inputs it draws, and a weights file given for a
//! model that records a seed.

#[path = "common/run.rs"]
mod run;
use run::rnnc;

use std::path::{Path, PathBuf};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Compiles `spec_text` into `dir`; returns the model's path.
fn compile(dir: &Path, spec_text: &str) -> PathBuf {
    let spec = dir.join("m.rnn");
    std::fs::write(&spec, spec_text).unwrap();
    let model = dir.join("m.onnx");
    let out = rnnc(&["compile", s(&spec), "-o", s(&model)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    model
}

#[test]
fn the_file_check_and_the_per_element_tolerance_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let model = compile(
        dir.path(),
        "LSTM(4, input_shape=(None, 3), return_sequences=True)\n",
    );
    let out = rnnc(&["verify", s(&model), "--batch", "2"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("file: every node, attribute and initializer is what rnnc emits")
            && lines[0].contains("(opset 14, lowering auto;")
            && lines[0].ends_with("ok"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("|tract − ref| ≤ atol + rtol·|ref| (atol 1e-5, rtol 1e-4)"),
        "{stdout}"
    );
    // Every output row shows its worst element against that element's bound.
    let rows: Vec<&&str> = lines.iter().filter(|l| l.contains("max abs err")).collect();
    assert!(!rows.is_empty());
    for row in rows {
        assert!(row.contains("  margin ") && row.contains(" ≤ "), "{row}");
    }
    // Lengths 1, 4, 9 and a long one.
    for t in [1, 4, 9, 33] {
        assert!(stdout.contains(&format!("input [2, {t}, 3]\n")), "{stdout}");
    }
    assert!(lines
        .last()
        .unwrap()
        .starts_with("verified: the file is what rnnc emits"));
}

#[test]
fn embedding_models_are_run_on_every_token_id() {
    let dir = tempfile::tempdir().unwrap();
    let model = compile(
        dir.path(),
        "model = Sequential()\nmodel.add(Embedding(1000, 4, input_length=3))\nmodel.add(SimpleRNN(2))\n",
    );
    let out = rnnc(&["verify", s(&model)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("input [334, 3]  (every token id, 0 to 999)\n"),
        "{stdout}"
    );
    // A requested batch size is kept: the ids then take several runs.
    let out = rnnc(&["verify", s(&model), "--batch", "2"]);
    assert!(
        text(&out.stdout).contains("input [2, 3] ×167  (every token id, 0 to 999)\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn weights_for_a_seeded_model_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = compile(dir.path(), "SimpleRNN(3, input_shape=(2, 4))\n");
    let weights = dir.path().join("w.npz");
    let written = rnnc(&["weights", s(&dir.path().join("m.rnn")), "-o", s(&weights)]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    let out = rnnc(&["verify", s(&model), "--weights", s(&weights)]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: the model records seed 0 and no weights file"),
        "{stderr}"
    );
}

#[test]
fn a_file_without_the_emit_record_is_checked_against_every_lowering() {
    use prost::Message;
    use rnnc::back::onnx::proto::ModelProto;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("m.rnn");
    std::fs::write(&spec, "GRU(3, input_shape=(2, 4))\n").unwrap();
    let model = dir.path().join("m.onnx");
    let out = rnnc(&["compile", s(&spec), "-o", s(&model), "--lowering", "scan"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // As written before rnnc recorded the lowering and opset.
    let mut proto = ModelProto::decode(std::fs::read(&model).unwrap().as_slice()).unwrap();
    proto
        .metadata_props
        .retain(|p| !matches!(p.key.as_deref(), Some("rnnc.lowering" | "rnnc.opset")));
    let old = dir.path().join("old.onnx");
    std::fs::write(&old, proto.encode_to_vec()).unwrap();
    let out = rnnc(&["verify", s(&old), "--batch", "1"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(opset 14, lowering scan;"), "{stdout}");
}
