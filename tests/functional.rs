//! Keras is the oracle for functional models: for every fixture in
//! `fixtures/functional/` and `fixtures/masking/` (written by real Keras 3
//! through `scripts/make_functional_oracles.py` and
//! `scripts/make_masking_oracles.py`), the summary has Keras' layers,
//! order and parameter counts; the spec compiled with Keras' weights runs in
//! tract and in the reference interpreter (`rnnc run`, one `--input` per
//! model input) to Keras' own outputs; `rnnc verify` passes; and every
//! weights file Keras wrote (`.weights.h5`, `.keras`, positional npz) gives
//! the same initializers as the named npz.

#[path = "common/keras_run.rs"]
mod keras_run;
#[path = "common/oracle_cases.rs"]
mod oracle_cases;
#[path = "common/outputs.rs"]
mod outputs;
#[path = "common/run.rs"]
mod run;
use keras_run::{compare_run, inputs};
use oracle_cases::{functional_cases, masking_cases};
use run::{rnnc, root};

use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::NpzReader;
use prost::Message;
use rnnc::back::onnx::proto::ModelProto;

/// The functional fixtures, then the masking ones (same format).
fn cases() -> Vec<PathBuf> {
    let mut cases = functional_cases();
    cases.extend(masking_cases());
    cases
}

/// Whether a case's model reads a Keras mask (`fixtures/masking/`).
fn is_masking(case: &Path) -> bool {
    case.parent().is_some_and(|p| p.ends_with("masking"))
}

fn arg(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn compile(case: &Path, weights: &str, out: &Path) -> Result<(), String> {
    compile_with(case, weights, out, &[])
}

fn compile_with(case: &Path, weights: &str, out: &Path, extra: &[&str]) -> Result<(), String> {
    let mut args = vec![
        "compile".to_string(),
        arg(&case.join("model.rnn")),
        "--weights".into(),
        arg(&case.join(weights)),
        "-o".into(),
        arg(out),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = rnnc(&refs);
    if done.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&done.stderr).into_owned())
    }
}

#[test]
fn functional_models_equal_keras_in_tract_and_the_reference() {
    equal_keras_in_tract_and_the_reference(functional_cases());
}

/// The masking fixtures, as a test of their own so that it runs beside
/// the functional one (the test runner's two threads).
#[test]
fn masked_models_equal_keras_in_tract_and_the_reference() {
    equal_keras_in_tract_and_the_reference(masking_cases());
}

/// Each case compiled with its named weights, run in tract and in the
/// reference against Keras' outputs, and verified.
fn equal_keras_in_tract_and_the_reference(cases: Vec<PathBuf>) {
    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.onnx");
        if let Err(e) = compile(&case, "weights.npz", &model) {
            failures.push(format!("{name}: compile failed: {e}"));
            continue;
        }
        failures.extend(compare_run(&case, &model, &[]));
        let weights = arg(&case.join("weights.npz"));
        failures.extend(compare_run(
            &case,
            &model,
            &["--reference", "--weights", &weights],
        ));
        let verified = rnnc(&["verify", &arg(&model), "--weights", &weights]);
        if !verified.status.success() {
            failures.push(format!(
                "{name}: verify exited {:?}:\n{}{}",
                verified.status.code(),
                String::from_utf8_lossy(&verified.stdout),
                String::from_utf8_lossy(&verified.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_scan_lowering_equals_keras() {
    lowering_equals_keras(&["--lowering", "scan"]);
}

#[test]
fn the_native_lowering_with_external_data_equals_keras() {
    lowering_equals_keras(&["--lowering", "native", "--external-data"]);
}

/// Every case compiled with `extra` runs in tract to Keras' outputs; a
/// layer that reads a mask is never a native op, and says so.
fn lowering_equals_keras(extra: &[&str]) {
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.onnx");
        match compile_with(&case, "weights.npz", &model, extra) {
            Ok(()) => failures.extend(compare_run(&case, &model, &[])),
            Err(e) if extra[1] == "native" && is_masking(&case) => {
                if !e.contains("reads a Keras mask") {
                    failures.push(format!("{name} {extra:?}: another refusal: {e}"));
                }
            }
            Err(e) => failures.push(format!("{name} {extra:?}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The initializers of an ONNX file, by name.
fn initializers(path: &Path) -> Vec<(String, Vec<u8>)> {
    let model = ModelProto::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
    let mut out: Vec<(String, Vec<u8>)> = model
        .graph
        .unwrap()
        .initializer
        .into_iter()
        .map(|t| {
            let mut bytes = t.raw_data.clone().unwrap_or_default();
            for f in &t.float_data {
                bytes.extend(f.to_le_bytes());
            }
            (t.name.unwrap_or_default(), bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_keras_weights_file_loads_the_same_functional_model() {
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join("named.onnx");
        compile(&case, "weights.npz", &reference).unwrap();
        let expected = initializers(&reference);
        for weights in ["model.weights.h5", "model.keras", "weights_positional.npz"] {
            let out = dir.path().join("other.onnx");
            match compile(&case, weights, &out) {
                Err(e) => failures.push(format!("{name}: {weights}: {e}")),
                Ok(()) if initializers(&out) != expected => {
                    failures.push(format!("{name}: {weights} loads other weights"))
                }
                Ok(()) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn summaries_list_keras_layers_in_keras_order_with_its_parameter_counts() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let keras: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("summary.json")).unwrap())
                .unwrap();
        let out = rnnc(&["summary", &arg(&case.join("model.rnn"))]);
        assert!(out.status.success(), "{name}");
        let text = String::from_utf8(out.stdout).unwrap();
        // Row names in print order: ` name (Class)` at the start of a row.
        let rows: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let cell = l.get(1..29)?.trim_end();
                let (layer, class) = cell.split_once(" (")?;
                (!layer.is_empty() && l.starts_with(' ') && !l.starts_with("  "))
                    .then(|| format!("{layer} ({}", class))
            })
            .filter(|r| !r.starts_with("Layer (type"))
            .collect();
        let sequential = keras["model_class"] == "Sequential";
        let expected: Vec<String> = keras["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| !(sequential && l["class"] == "InputLayer"))
            .map(|l| {
                let cell = format!(
                    "{} ({})",
                    l["name"].as_str().unwrap(),
                    l["class"].as_str().unwrap()
                );
                cell.chars().take(27).collect::<String>()
            })
            .map(|c| {
                c.split_once(" (")
                    .map(|(a, b)| format!("{a} ({b}"))
                    .unwrap()
            })
            .collect();
        assert_eq!(rows, expected, "{name}:\n{text}");
        let total = keras["total_params"].as_u64().unwrap();
        let thousands = total
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            text.contains(&format!("Total params: {thousands}\n")),
            "{name}:\n{text}"
        );
        let model_name = keras["model_name"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("Model: \"{model_name}\"\n")),
            "{name}"
        );
    }
}

#[test]
fn inputs_are_placed_by_name() {
    let case = root().join("fixtures/functional/seq2seq_lstm");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    compile(&case, "weights.npz", &model).unwrap();
    let ins = inputs(&case);
    let by_order = rnnc(&[
        "run",
        &arg(&model),
        "--input",
        &arg(&ins[0]),
        "--input",
        &arg(&ins[1]),
    ]);
    let by_name = rnnc(&[
        "run",
        &arg(&model),
        "--input",
        &format!("input_layer_1={}", arg(&ins[1])),
        "--input",
        &format!("input_layer={}", arg(&ins[0])),
    ]);
    assert!(by_order.status.success() && by_name.status.success());
    assert_eq!(by_order.stdout, by_name.stdout);
    let unknown = rnnc(&[
        "run",
        &arg(&model),
        "--input",
        &format!("decoder={}", arg(&ins[1])),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no input named `decoder`; its inputs are input_layer, input_layer_1"),
        "{stderr}"
    );
}

#[test]
fn initialized_weights_round_trip_with_keras_keys() {
    // luong_attention lists its layers in another order than it makes them.
    let case = root().join("fixtures/functional/luong_attention");
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("w.npz");
    let made = rnnc(&[
        "weights",
        &arg(&case.join("model.rnn")),
        "-o",
        &arg(&weights),
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let keys = |p: &Path| {
        let mut npz = NpzReader::new(std::fs::File::open(p).unwrap()).unwrap();
        let names = npz.names().unwrap();
        names
            .iter()
            .map(|n| {
                let a: ArrayD<f32> = npz.by_name(n).unwrap();
                (n.clone(), a.shape().to_vec())
            })
            .collect::<Vec<_>>()
    };
    let mut ours = keys(&weights);
    let mut keras = keys(&case.join("weights.npz"));
    ours.sort();
    keras.sort();
    assert_eq!(ours, keras);
    let model = dir.path().join("m.onnx");
    let compiled = rnnc(&[
        "compile",
        &arg(&case.join("model.rnn")),
        "--weights",
        &arg(&weights),
        "-o",
        &arg(&model),
    ]);
    assert!(compiled.status.success());
}

#[test]
fn a_reversal_after_a_layer_that_changes_the_steps_verifies() {
    // Each recurrent layer reads T from its own input: here T is changed by
    // a concatenation on the time axis, a strided Conv1D, a pooling, a
    // Reshape and a RepeatVector before a go_backwards or Bidirectional
    // layer. tract must agree with the reference (which reads the arrays).
    let spec = "import keras\nfrom keras import layers\n\
        x = keras.Input(shape=(None, 6))\n\
        f, b = layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode=None)(x)\n\
        h = layers.concatenate([f, b], axis=1)\n\
        y1 = layers.LSTM(5, go_backwards=True)(h)\n\
        c = layers.Conv1D(4, 3, strides=2, padding='same')(x)\n\
        y2 = layers.Bidirectional(layers.SimpleRNN(3))(c)\n\
        p = layers.MaxPooling1D(2)(x)\n\
        y3 = layers.GRU(3, go_backwards=True, return_sequences=True)(p)\n\
        s = keras.Input(shape=(8, 3))\n\
        r = layers.Reshape((4, 6))(s)\n\
        y4 = layers.Bidirectional(layers.LSTM(2, return_sequences=True))(r)\n\
        v = layers.RepeatVector(5)(y1)\n\
        y5 = layers.SimpleRNN(2, go_backwards=True, return_sequences=True)(v)\n\
        model = keras.Model([x, s], [y1, y2, y3, y4, y5])\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steps.rnn");
    std::fs::write(&path, spec).unwrap();
    for lowering in ["auto", "scan"] {
        let model = dir.path().join(format!("steps-{lowering}.onnx"));
        let out = rnnc(&[
            "compile",
            &arg(&path),
            "-o",
            &arg(&model),
            "--lowering",
            lowering,
            "--verify",
        ]);
        assert!(
            out.status.success(),
            "{lowering}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
