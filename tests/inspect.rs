//! `rnnc inspect` on the real binary: rnnc's own files (native and Scan
//! lowerings), files from other exporters (`fixtures/foreign/`, written by
//! `scripts/make_foreign_onnx.py`), files that are not ONNX, and one golden
//! text output (`fixtures/inspect/simple_rnn.inspect`), rewritten by
//! `UPDATE_GOLDEN=1 cargo test --test inspect`.

#[path = "common/run.rs"]
mod run;
use run::{rnnc, root};

use std::path::{Path, PathBuf};

use prost::Message;
use rnnc::back::onnx::proto::{GraphProto, ModelProto};

/// Runs `rnnc inspect` (with `extra` flags), asserts success, returns stdout.
fn inspect(model: &Path, extra: &[&str]) -> String {
    let mut args = vec!["inspect", model.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = rnnc(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", model.display());
    assert!(stderr.is_empty(), "{}: {stderr}", model.display());
    String::from_utf8(out.stdout).unwrap()
}

/// `rnnc inspect --json`, parsed.
fn inspect_json(model: &Path) -> serde_json::Value {
    let text = inspect(model, &["--json"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", model.display()))
}

/// Compiles a spec (a path under the root, or text written to `dir`).
fn compile(dir: &Path, spec: &str, name: &str) -> PathBuf {
    compile_with(dir, spec, name, &[])
}

/// [`compile`] with extra `rnnc compile` flags.
fn compile_with(dir: &Path, spec: &str, name: &str, extra: &[&str]) -> PathBuf {
    let spec_path = if root().join(spec).is_file() {
        root().join(spec)
    } else {
        let path = dir.join(format!("{name}.rnn"));
        std::fs::write(&path, spec).unwrap();
        path
    };
    let model = dir.join(format!("{name}.onnx"));
    let mut args = vec![
        "compile",
        spec_path.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--seed",
        "0",
    ];
    args.extend_from_slice(extra);
    let out = rnnc(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    model
}

/// The `nodes (N)` count of the text's main graph.
fn text_node_count(text: &str) -> usize {
    let line = text
        .lines()
        .find(|l| l.starts_with("nodes ("))
        .unwrap_or_else(|| panic!("no nodes line:\n{text}"));
    line["nodes (".len()..line.len() - 1].parse().unwrap()
}

/// Text and JSON agree on the node count, and the JSON totals are consistent.
fn check_json_matches_text(model: &Path) -> serde_json::Value {
    let text = inspect(model, &[]);
    let json = inspect_json(model);
    let nodes = json["graph"]["nodes"].as_array().unwrap().len();
    assert_eq!(nodes, text_node_count(&text), "{}", model.display());
    assert_eq!(json["totals"]["nodes"], nodes);
    let per_op: u64 = json["totals"]["op_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .sum();
    let all = json["totals"]["nodes"].as_u64().unwrap()
        + json["totals"]["subgraph_nodes"].as_u64().unwrap();
    assert_eq!(per_op, all, "{}", model.display());
    json
}

fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn own_native_model() {
    let dir = tempfile::tempdir().unwrap();
    // SimpleRNN is a Scan in the auto lowering: ask for the native op.
    let model = compile_with(
        dir.path(),
        "fixtures/tutorial/deep_bidirectional.rnn",
        "deep",
        &["--lowering", "native"],
    );
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &[
            "producer      rnnc ",
            "opset_import  ai.onnx 14",
            "input     float32 [batch, 10, 5]",
            " RNN '",
            "direction = \"bidirectional\"",
            "hidden_size = 8",
            "initializers (",
            "float32  [2, 8, 5]",
            "rnnc.spec = ",
            "rnnc.seed = 0",
            "    RNN  ",
        ],
    );
    let spec =
        std::fs::read_to_string(root().join("fixtures/tutorial/deep_bidirectional.rnn")).unwrap();
    let spec_line = text.lines().find(|l| l.contains("rnnc.spec = ")).unwrap();
    assert!(
        spec_line.ends_with(&format!("({} lines)", spec.lines().count())),
        "{spec_line}"
    );
    let json = check_json_matches_text(&model);
    let recorded = json["metadata_props"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "rnnc.spec")
        .unwrap();
    assert_eq!(
        recorded["value"],
        spec.as_str(),
        "the JSON keeps the whole spec"
    );
    assert_eq!(
        json["graph"]["inputs"][0]["type"]["tensor"]["shape"],
        serde_json::json!(["batch", 10, 5])
    );
}

#[test]
fn own_scan_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = compile(
        dir.path(),
        "SimpleRNN(4, activation='relu', input_shape=(None, 3))\n",
        "relu",
    );
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &[
            "input     float32 [batch, time, 3]",
            " Scan '",
            "body = graph '",
            "num_scan_inputs = 1",
            "rnnc.spec = SimpleRNN(4, activation='relu', input_shape=(None, 3))",
            "in subgraphs)",
        ],
    );
    // The body's nodes are listed beneath the Scan, indented deeper.
    let relu = text.lines().find(|l| l.contains(" Relu '")).unwrap();
    let scan = text.lines().find(|l| l.contains(" Scan '")).unwrap();
    let depth = |l: &str| l.len() - l.trim_start().len();
    assert!(depth(relu) > depth(scan), "{text}");
    let json = check_json_matches_text(&model);
    let scan = json["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["op_type"] == "Scan")
        .unwrap();
    let body = &scan["attributes"][0];
    assert_eq!(body["type"], "GRAPH");
    assert!(body["value"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["op_type"] == "Relu"));
}

fn foreign(name: &str) -> PathBuf {
    root().join("fixtures/foreign").join(name)
}

#[test]
fn foreign_lstm_with_layout() {
    let model = foreign("lstm_layout.onnx");
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &[
            "producer          onnx.helper ",
            "opset_import      ai.onnx 17",
            "graph doc_string  An LSTM in batch-first layout.",
            "x    float32 [batch, seq, 3]",
            "y_h  float32 [batch, 1, ?]",
            "#0 LSTM 'lstm': x, W, R, B -> y, y_h, y_c",
            "layout = 1",
            "activations = [\"Sigmoid\", \"Tanh\", \"Tanh\"]",
            "W     float32  [1, 16, 3]  192 bytes",
            // int64 data in the typed field, not raw_data.
            "axes  int64    [1]         8 bytes    = [1]",
        ],
    );
    let json = check_json_matches_text(&model);
    assert_eq!(
        json["graph"]["outputs"][1]["type"]["tensor"]["shape"],
        serde_json::json!(["batch", 1, null])
    );
    let axes = &json["graph"]["initializers"][3];
    assert_eq!(axes["storage"], "typed_data");
    assert_eq!(axes["values"], serde_json::json!([1]));
}

#[test]
fn foreign_loop_with_if() {
    let model = foreign("loop_if.onnx");
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &[
            "trip_count  int64 []",
            "cond        bool []",
            "#0 Loop 'loop': trip_count, cond, acc -> result",
            "body = graph 'loop_body': 3 inputs, 2 outputs, 4 nodes, 3 initializers",
            "#2 If 'choose': even -> acc_out",
            "then_branch = graph 'then_branch'",
            "else_branch = graph 'else_branch'",
            "#0 Add 'then_add': acc_in, one -> then_out",
            "7 (1 in the main graph, 6 in subgraphs)",
        ],
    );
    let json = check_json_matches_text(&model);
    assert_eq!(json["totals"]["subgraph_nodes"], 6);
}

#[test]
fn foreign_custom_domain() {
    let model = foreign("custom_domain.onnx");
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &[
            "opset_import  ai.onnx 17, com.example.text 1",
            "ids   int64 [n, ?]",
            "pair  sequence<float32",
            "#1 com.example.text:Tokenize 'custom_op': ids, offset -> scaled",
            r#"mode = "utf-8 \"quoted\"""#,
            r#"separators = ["\n", " ", "\t"]"#,
            "weights = [0.25, 0.5]",
            "value = tensor float32 [3] = [0.5, -1, 2]",
            "notes = line one (3 lines)",
        ],
    );
    let json = check_json_matches_text(&model);
    let custom = &json["graph"]["nodes"][1];
    assert_eq!(custom["domain"], "com.example.text");
    assert_eq!(custom["attributes"][1]["value"][0], "\n");
    assert!(json["graph"]["outputs"][0]["type"]["sequence"].is_object());
}

#[test]
fn foreign_external_data() {
    let model = foreign("external_data.onnx");
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &["weight  float32  [5, 4]  80 bytes  data_location=EXTERNAL location=external_data.bin"],
    );
    let json = check_json_matches_text(&model);
    let weight = &json["graph"]["initializers"][0];
    assert_eq!(weight["data_location"], "EXTERNAL");
    assert_eq!(
        weight["external_data"][0],
        serde_json::json!({"key": "location", "value": "external_data.bin"})
    );
    assert_eq!(json["totals"]["parameters"], 20);
}

#[test]
fn foreign_pytorch_lstm() {
    let model = foreign("torch_lstm.onnx");
    let text = inspect(&model, &[]);
    assert_contains(
        &text,
        &[
            "producer      pytorch ",
            "x  float32 [batch, seq, 3]",
            "y  float32 [batch, seq, 4]",
            " LSTM '/lstm/LSTM': ",
            "value = tensor int64 [] = 0",
            "onnx::LSTM_104  float32  [1, 16, 3]  192 bytes",
        ],
    );
    let json = check_json_matches_text(&model);
    assert_eq!(json["producer_name"], "pytorch");
    assert_eq!(json["totals"]["parameters"], 144);
}

#[test]
fn every_foreign_file_has_valid_json() {
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("fixtures/foreign")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "onnx") {
            check_json_matches_text(&path);
            count += 1;
        }
    }
    assert!(count >= 5, "only {count} foreign files");
}

/// Asserts `rnnc inspect` refuses the file with exit code 2 and an
/// `error: ` line naming it, containing `expected`.
fn assert_refused(path: &Path, expected: &str) {
    let out = rnnc(&["inspect", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(&format!("`{}`", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn files_that_are_not_onnx_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let valid = std::fs::read(foreign("lstm_layout.onnx")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.onnx",
            valid[..valid.len() / 2].to_vec(),
            "is not an ONNX model: failed to decode protobuf (",
        ),
        ("empty.onnx", Vec::new(), "is empty: not an ONNX model"),
        (
            "notes.txt",
            b"These are not the weights you are looking for.\n".to_vec(),
            "not an ONNX model",
        ),
        (
            "no_graph.onnx",
            ModelProto {
                ir_version: Some(8),
                producer_name: Some("test".into()),
                ..Default::default()
            }
            .encode_to_vec(),
            "has no graph: not an ONNX model",
        ),
        (
            "no_ir_version.onnx",
            ModelProto {
                graph: Some(GraphProto::default()),
                ..Default::default()
            }
            .encode_to_vec(),
            "has no ir_version: not an ONNX model",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_refused(&path, expected);
    }
    assert_refused(&dir.path().join("missing.onnx"), "cannot read");
}

#[test]
fn random_bytes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A fixed xorshift stream: reproducible, no dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for case in 0..20 {
        let bytes: Vec<u8> = (0..64 + 97 * case)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let path = dir.path().join(format!("random_{case}.onnx"));
        std::fs::write(&path, bytes).unwrap();
        assert_refused(&path, "not an ONNX model");
    }
}

#[test]
fn golden_text_of_simple_rnn() {
    let dir = tempfile::tempdir().unwrap();
    let model = compile(dir.path(), "fixtures/tutorial/simple_rnn.rnn", "simple_rnn");
    let actual = inspect(&model, &[]);
    let golden = root().join("fixtures/inspect/simple_rnn.inspect");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run UPDATE_GOLDEN=1 cargo test --test inspect",
            golden.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "{} differs; if the change is intended, run UPDATE_GOLDEN=1 cargo test --test inspect",
        golden.display()
    );
}
