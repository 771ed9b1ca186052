//! Every activation Keras names with an exact formula, in every cell type and
//! in Dense, compiles to a file that `rnnc verify` accepts: in tract, the
//! ONNX file equals the reference interpreter's Keras equations.

#[path = "common/graph.rs"]
mod graph;

use std::process::Command;

const ACTIVATIONS: &[&str] = &[
    "tanh",
    "sigmoid",
    "hard_sigmoid",
    "relu",
    "linear",
    "elu",
    "selu",
    "softsign",
    "softplus",
    "gelu",
    "silu",
    "swish",
    "exponential",
];

fn compile_and_verify(dir: &std::path::Path, name: &str, spec: &str) -> Result<(), String> {
    let spec_path = dir.join(format!("{name}.rnn"));
    let model = dir.join(format!("{name}.onnx"));
    std::fs::write(&spec_path, spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args([
            "compile",
            spec_path.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
            "--verify",
            "--seed",
            "5",
        ])
        .output()
        .unwrap();
    let unused = graph::unused_initializers(&model);
    if out.status.success() && unused.is_empty() {
        Ok(())
    } else if out.status.success() {
        Err(format!("{spec}unused initializers: {unused:?}"))
    } else {
        Err(format!(
            "{spec}exit {:?}\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Gate activations Keras users choose; unbounded ones (selu, exponential,
/// …) make a gate amplify without limit, and the f32 rounding differences
/// between any two implementations with it.
const GATE_ACTIVATIONS: &[&str] = &[
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "softsign",
    "linear",
    "relu",
];

fn check_all(specs: impl IntoIterator<Item = (String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let failures: Vec<String> = specs
        .into_iter()
        .filter_map(|(name, spec)| compile_and_verify(dir.path(), &name, &spec).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_activation_as_cell_activation_verifies() {
    // exponential feeds back into itself unboundedly in a recurrence; it is
    // covered on Dense and Activation below.
    check_all(ACTIVATIONS.iter().filter(|a| **a != "exponential").flat_map(|act| {
        [
            format!("SimpleRNN(4, activation='{act}', input_shape=(None, 3), return_sequences=True)\n"),
            format!("LSTM(4, activation='{act}', input_shape=(5, 3), return_state=True)\n"),
            format!("GRU(4, activation='{act}', input_shape=(5, 3), return_sequences=True)\n"),
            format!("GRU(4, activation='{act}', reset_after=False, input_shape=(None, 3))\n"),
            format!("Bidirectional(GRU(3, activation='{act}'), merge_mode='ave', input_shape=(5, 3))\n"),
        ]
        .into_iter()
        .enumerate()
        .map(move |(i, spec)| (format!("{act}_{i}"), spec))
    }));
}

#[test]
fn gate_activations_verify() {
    check_all(GATE_ACTIVATIONS.iter().flat_map(|act| {
        [
            format!(
                "LSTM(4, recurrent_activation='{act}', input_shape=(5, 3), go_backwards=True)\n"
            ),
            format!(
                "GRU(4, recurrent_activation='{act}', input_shape=(5, 3), return_state=True)\n"
            ),
            format!(
                "GRU(4, recurrent_activation='{act}', reset_after=False, input_shape=(None, 3))\n"
            ),
        ]
        .into_iter()
        .enumerate()
        .map(move |(i, spec)| (format!("gate_{act}_{i}"), spec))
    }));
}

#[test]
fn every_activation_in_dense_and_activation_layers_verifies() {
    check_all(ACTIVATIONS.iter().map(|act| {
        (
            format!("dense_{act}"),
            format!("LSTM(4, input_shape=(5, 3), return_sequences=True)\nDense(3, activation='{act}')\nActivation('{act}')\n"),
        )
    }));
}

#[test]
fn softmax_verifies_in_dense_and_time_distributed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "GRU(4, input_shape=(None, 3), return_sequences=True)\n\
                TimeDistributed(Dense(5, activation='softmax'))\n\
                Dense(2, activation='softmax')\n";
    compile_and_verify(dir.path(), "softmax", spec).unwrap();
}
