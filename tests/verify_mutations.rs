//! No edit of a compiled file passes `rnnc verify`: each mutation below —
//! most of them invisible to tract, which ignores the attributes involved or
//! never draws the inputs that would show them — makes verify exit 1 and name
//! the difference, while the untouched file exits 0.

#[path = "common/run.rs"]
mod run;
use run::rnnc;

#[path = "common/mutate.rs"]
mod mutate;

#[path = "common/tamper.rs"]
mod tamper;

use std::path::{Path, PathBuf};

use rnnc::back::onnx::proto::{ModelProto, NodeProto};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Compiles `spec` into `dir` with `extra` options; verify must pass on it.
fn compile(dir: &Path, spec: &str, extra: &[&str]) -> PathBuf {
    let model = dir.join("m.onnx");
    let mut args = vec!["compile", spec, "-o", s(&model)];
    args.extend_from_slice(extra);
    let out = rnnc(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut verify = vec!["verify", s(&model), "--batch", "2"];
    if let Some(w) = weights_of(extra) {
        verify.extend(["--weights", w]);
    }
    let good = rnnc(&verify);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{spec}: the untouched file must pass:\n{}{}",
        text(&good.stdout),
        text(&good.stderr)
    );
    model
}

/// Verify on the edited file: must exit 1 and name the edit with `says`.
fn assert_caught(model: &Path, weights: Option<&str>, says: &str) {
    let mut args = vec!["verify", s(model), "--batch", "2"];
    if let Some(w) = weights {
        args.extend(["--weights", w]);
    }
    let out = rnnc(&args);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the edit went unnoticed:\n{stdout}{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("file: MISMATCH"), "{stdout}");
    assert!(stdout.contains(says), "expected `{says}` in:\n{stdout}");
    assert!(
        stdout.lines().last().unwrap().starts_with("MISMATCH: "),
        "{stdout}"
    );
}

/// Compiles `spec` into a new folder and writes `edited.onnx` there: the
/// file after `change`.
fn edited(
    spec: &str,
    extra: &[&str],
    change: impl FnOnce(&mut ModelProto),
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model = compile(dir.path(), spec, extra);
    let edited = dir.path().join("edited.onnx");
    mutate::edit(&model, &edited, change);
    (dir, edited)
}

/// Compiles `spec`, applies `change`, and requires verify to catch it.
fn mutation(spec: &str, extra: &[&str], says: &str, change: impl FnOnce(&mut ModelProto)) {
    let (_dir, edited) = edited(spec, extra, change);
    assert_caught(&edited, weights_of(extra), says);
}

/// The weights file among compile options, if any.
fn weights_of<'a>(extra: &[&'a str]) -> Option<&'a str> {
    extra
        .iter()
        .position(|&a| a == "--weights")
        .map(|i| extra[i + 1])
}

fn oracle_weights(case: &str) -> [String; 3] {
    [
        format!("fixtures/oracle/{case}/model.rnn"),
        "--weights".to_string(),
        format!("fixtures/oracle/{case}/weights.npz"),
    ]
}

#[test]
fn relu_activations_on_an_rnn_node() {
    // SimpleRNN is a Scan in the auto lowering: the RNN node needs `native`.
    mutation(
        "fixtures/tutorial/simple_rnn.rnn",
        &["--lowering", "native"],
        "attribute `activations` is [\"Relu\"], rnnc emits none",
        |m| {
            mutate::node(mutate::graph(m), "RNN")
                .attribute
                .push(mutate::strings("activations", &["Relu"]))
        },
    );
}

#[test]
fn clip_on_an_lstm_node() {
    let [spec, flag, weights] = oracle_weights("lstm_default");
    mutation(&spec, &[&flag, &weights], "attribute `clip` is 0.5", |m| {
        mutate::node(mutate::graph(m), "LSTM")
            .attribute
            .push(mutate::float("clip", 0.5))
    });
}

#[test]
fn input_forget_on_an_lstm_node() {
    let [spec, flag, weights] = oracle_weights("lstm_default");
    mutation(
        &spec,
        &[&flag, &weights],
        "attribute `input_forget` is 1",
        |m| {
            mutate::node(mutate::graph(m), "LSTM")
                .attribute
                .push(mutate::int("input_forget", 1))
        },
    );
}

#[test]
fn direction_flipped_on_a_native_node() {
    let [spec, flag, weights] = oracle_weights("gru_default");
    mutation(
        &spec,
        &[&flag, &weights],
        "attribute `direction` is \"reverse\", rnnc emits \"forward\"",
        |m| {
            mutate::set_string(
                mutate::node(mutate::graph(m), "GRU"),
                "direction",
                "reverse",
            )
        },
    );
}

#[test]
fn an_unused_node_added() {
    mutation(
        "fixtures/tutorial/deep_rnn.rnn",
        &[],
        "node `extra` (`Identity`) is not one rnnc emits",
        |m| {
            mutate::graph(m).node.push(NodeProto {
                input: vec!["input".into()],
                output: vec!["extra".into()],
                name: Some("extra".into()),
                op_type: Some("Identity".into()),
                ..Default::default()
            })
        },
    );
}

#[test]
fn a_scan_body_op_changed() {
    let [spec, flag, weights] = oracle_weights("simple_rnn_activation_relu");
    mutation(
        &spec,
        &[&flag, &weights],
        "in the `body` body of node `simple_rnn/Scan`, node `simple_rnn/Relu`'s `op_type` is `LeakyRelu`, rnnc emits `Relu`",
        |m| mutate::node(mutate::scan_body(m), "Relu").op_type = Some("LeakyRelu".into()),
    );
}

#[test]
fn one_initializer_element_off_by_a_thousandth() {
    let dir = tempfile::tempdir().unwrap();
    let [spec, flag, weights] = oracle_weights("tutorial_deep_bidirectional");
    let model = compile(dir.path(), &spec, &[&flag, &weights]);
    let edited = dir.path().join("edited.onnx");
    let done = std::cell::Cell::new(false);
    tamper::tamper(&model, &edited, |_, dims, values| {
        if done.get() || dims.len() < 2 {
            return false;
        }
        let middle = values.len() / 2;
        values[middle] += 1e-3;
        done.set(true);
        true
    });
    assert_caught(&edited, Some(&weights), "at 1 of ");
}

#[test]
fn one_embedding_row_random_ids_rarely_reach() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("emb.rnn");
    std::fs::write(
        &spec,
        "model = Sequential()\nmodel.add(Embedding(10000, 8, input_length=3))\nmodel.add(SimpleRNN(4))\n",
    )
    .unwrap();
    let model = compile(dir.path(), s(&spec), &[]);
    let edited = dir.path().join("edited.onnx");
    tamper::tamper(&model, &edited, |name, dims, values| {
        if name != "embedding/embeddings" {
            return false;
        }
        values[9999 * dims[1]] += 100.0;
        true
    });
    let out = rnnc(&["verify", s(&edited), "--batch", "2"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("initializer `embedding/embeddings` differs from rnnc's at 1 of 80000 elements; first at [9999, 0]"),
        "{stdout}"
    );
    // tract too sees the row, since the inputs reach every id.
    let covering = stdout
        .lines()
        .skip_while(|l| !l.contains("every token id, 0 to 9999"))
        .nth(1)
        .unwrap();
    assert!(covering.ends_with("MISMATCH"), "{stdout}");
}

#[test]
fn external_data_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let [spec, flag, weights] = oracle_weights("tutorial_deep_bidirectional");
    // The native lowering: its stacked weights are large enough for the data file.
    let model = compile(
        dir.path(),
        &spec,
        &[&flag, &weights, "--external-data", "--lowering", "native"],
    );
    // The data file is `m.onnx.<hash>.data`: the one file ending in `.data`.
    let data = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "data"))
        .expect("compile wrote a .data file");
    let mut bytes = std::fs::read(&data).unwrap();
    // The first tensor starts at offset 0; nudge its first float.
    let first = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) + 1e-3;
    bytes[..4].copy_from_slice(&first.to_le_bytes());
    std::fs::write(&data, bytes).unwrap();
    assert_caught(&model, Some(&weights), "at 1 of ");
}

fn functional(case: &str) -> [String; 3] {
    [
        format!("fixtures/functional/{case}/model.rnn"),
        "--weights".to_string(),
        format!("fixtures/functional/{case}/weights.npz"),
    ]
}

#[test]
fn merge_operands_swapped() {
    let [spec, flag, weights] = functional("merges");
    mutation(
        &spec,
        &[&flag, &weights],
        "node `subtract/Sub`'s inputs are [`gru_1/Squeeze`, `gru/Squeeze`]",
        |m| mutate::node(mutate::graph(m), "Sub").input.swap(0, 1),
    );
}

#[test]
fn attention_softmax_over_the_queries() {
    let [spec, flag, weights] = functional("luong_attention");
    mutation(&spec, &[&flag, &weights], "attribute `axis` is 1", |m| {
        let softmax = mutate::node(mutate::graph(m), "Softmax");
        softmax
            .attribute
            .retain(|a| a.name.as_deref() != Some("axis"));
        softmax.attribute.push(mutate::int("axis", 1));
    });
}

#[test]
fn normalization_epsilon_dropped() {
    let [spec, flag, weights] = functional("residual_layernorm");
    mutation(&spec, &[&flag, &weights], "epsilon", |m| {
        let graph = mutate::graph(m);
        let sqrt_input = mutate::node(graph, "Sqrt").input[0].clone();
        let add = graph
            .node
            .iter()
            .find(|n| n.output.first() == Some(&sqrt_input))
            .expect("Sqrt reads an Add");
        let epsilon = add.input[1].clone();
        let init = graph
            .initializer
            .iter_mut()
            .find(|t| t.name.as_deref() == Some(epsilon.as_str()))
            .expect("epsilon is an initializer");
        init.raw_data = Some(0f32.to_le_bytes().to_vec());
        init.float_data.clear();
        init.name = Some(format!("{epsilon}_epsilon"));
        // Keep the graph consistent under the renamed initializer.
        for node in graph.node.iter_mut() {
            for input in node.input.iter_mut() {
                if *input == epsilon {
                    *input = format!("{epsilon}_epsilon");
                }
            }
        }
    });
}

fn masking(case: &str) -> [String; 3] {
    [
        format!("fixtures/masking/{case}/model.rnn"),
        "--weights".to_string(),
        format!("fixtures/masking/{case}/weights.npz"),
    ]
}

/// Verify on `edited` (compiled with `weights`) must also see the edit in
/// the outputs: at batch 6 its padded inputs reach every padding pattern.
fn assert_outputs_differ(edited: &Path, weights: &str) {
    let out = rnnc(&["verify", s(edited), "--batch", "6", "--weights", weights]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("output_") && l.ends_with("MISMATCH")),
        "the outputs agree despite the edit:\n{stdout}"
    );
}

/// A masked-model edit: verify catches it in the file and in the outputs.
fn masked_mutation(case: &str, says: &str, change: impl FnOnce(&mut ModelProto)) {
    let [spec, flag, weights] = masking(case);
    let (_dir, edited) = edited(&spec, &[&flag, &weights], change);
    assert_caught(&edited, Some(&weights), says);
    assert_outputs_differ(&edited, &weights);
}

/// The states updated at masked steps (the `Where` that holds them now
/// picks the new state on both sides).
fn drop_the_hold(m: &mut ModelProto) {
    for node in &mut mutate::scan_body(m).node {
        if node.op_type.as_deref() == Some("Where") {
            node.input[2] = node.input[1].clone();
        }
    }
}

#[test]
fn mask_hold_dropped() {
    masked_mutation("emb_lstm_sequences", "Where", drop_the_hold);
}

/// Zeros at masked steps where Keras repeats the held output (what
/// onnxruntime's `sequence_lens` does): the body's per-step output becomes
/// `Where(mask_t, h, 0)`.
fn zero_the_output(m: &mut ModelProto) {
    let body = mutate::scan_body(m);
    let mask = body.input.last().unwrap().name.clone().unwrap();
    let y = body.output.last().unwrap().name.clone().unwrap();
    let zero = rnnc::back::onnx::proto::TensorProto {
        data_type: Some(1),
        float_data: vec![0.0],
        ..Default::default()
    };
    body.node.push(NodeProto {
        op_type: Some("Constant".into()),
        output: vec!["zero_for_masked".into()],
        attribute: vec![rnnc::back::onnx::proto::AttributeProto {
            name: Some("value".into()),
            r#type: Some(4),
            t: Some(zero),
            ..Default::default()
        }],
        ..Default::default()
    });
    let identity = body
        .node
        .iter_mut()
        .find(|n| n.output.first() == Some(&y))
        .unwrap();
    identity.op_type = Some("Where".into());
    let h = identity.input[0].clone();
    identity.input = vec![mask, h, "zero_for_masked".into()];
}

#[test]
fn masked_steps_zeroed_where_keras_repeats() {
    masked_mutation("emb_lstm_sequences", "Where", zero_the_output);
}
