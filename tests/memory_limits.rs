//! The memory budget as a user meets it: `--memory-limit` and
//! `RNNC_MEMORY_LIMIT`, refusals that name the layer or the axis before
//! anything large is allocated or any file written, and huge `--batch`
//! values refused instead of overflowing. Small explicit budgets keep every
//! case to milliseconds on any machine.

#[path = "common/run.rs"]
mod run;

use std::path::Path;
use std::process::{Command, Output};

use run::{rnnc, root};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `rnnc args…` with `RNNC_MEMORY_LIMIT` set to `limit`.
fn rnnc_with_env(limit: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(args)
        .env("RNNC_MEMORY_LIMIT", limit)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Writes `text` as a spec file named `name` in `dir`.
fn spec(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Asserts exit code 2 with every needle in stderr.
fn assert_refused(out: &Output, needles: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
}

#[test]
fn compile_refuses_weights_beyond_the_budget_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let big = spec(
        dir.path(),
        "big.rnn",
        "LSTM(300, input_shape=(None, 300))\n",
    );
    let model = dir.path().join("big.onnx");
    let out = rnnc(&["compile", s(&big), "-o", s(&model), "--memory-limit", "1M"]);
    assert_refused(
        &out,
        &[
            "error: compiling the model needs 8.3 MiB, more than the 1.0 MiB memory budget (set by --memory-limit)",
            "LSTM layer `lstm` alone has 2.8 MiB (300 units, 721200 parameters)",
            "give `lstm` fewer units, or give a larger --memory-limit",
        ],
    );
    assert!(!model.exists());
    assert!(!dir.path().join("big.onnx.data").exists());

    let npz = dir.path().join("big.npz");
    let out = rnnc(&["weights", s(&big), "-o", s(&npz), "--memory-limit", "1M"]);
    assert_refused(
        &out,
        &[
            "error: initializing the weights needs",
            "the orthogonal initializer's workspace takes",
        ],
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the spec"
    );
}

#[test]
fn a_big_embedding_is_named_with_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let big = spec(
        dir.path(),
        "emb.rnn",
        "Embedding(7000000, 300, input_length=5)\n",
    );
    let out = rnnc(&[
        "--memory-limit",
        "1G",
        "weights",
        s(&big),
        "-o",
        s(&dir.path().join("e.npz")),
    ]);
    assert_refused(
        &out,
        &[
            "initializing the weights needs 7.8 GiB",
            "Embedding layer `embedding` alone has 7.8 GiB (a 7000000 × 300 table",
            "smaller vocabulary",
        ],
    );
}

#[test]
fn the_environment_variable_sets_the_budget_and_the_option_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = spec(
        dir.path(),
        "big.rnn",
        "SimpleRNN(1000, input_shape=(None, 8))\n",
    );
    let model = dir.path().join("big.onnx");
    let out = rnnc_with_env("1M", &["compile", s(&big), "-o", s(&model)]);
    assert_refused(
        &out,
        &[
            "(set by RNNC_MEMORY_LIMIT)",
            "or set a larger RNNC_MEMORY_LIMIT",
        ],
    );
    assert!(!model.exists());

    let small = spec(
        dir.path(),
        "small.rnn",
        "SimpleRNN(3, input_shape=(None, 2))\n",
    );
    let out = rnnc_with_env(
        "1K",
        &[
            "compile",
            s(&small),
            "-o",
            s(&model),
            "--memory-limit",
            "1G",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = rnnc_with_env("lots", &["summary", s(&small)]);
    assert_refused(
        &out,
        &["RNNC_MEMORY_LIMIT=`lots` is not a memory size", "e.g. 4G"],
    );
    let out = rnnc(&["summary", s(&small), "--memory-limit", "4X"]);
    assert_refused(&out, &["invalid value '4X' for '--memory-limit <SIZE>'"]);
}

#[test]
fn verify_refuses_a_huge_batch_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let small = spec(dir.path(), "m.rnn", "SimpleRNN(3, input_shape=(2, 10))\n");
    let model = dir.path().join("m.onnx");
    let out = rnnc(&["compile", s(&small), "-o", s(&model)]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = rnnc(&[
        "verify",
        s(&model),
        "--batch",
        "100000",
        "--memory-limit",
        "1M",
    ]);
    assert_refused(
        &out,
        &[
            "verify on input [100000, 2, 10] needs",
            "--batch 100000 sets axis 0 (batch); lower --batch",
        ],
    );
    for batch in ["4611686018427387904", "18446744073709551615"] {
        let out = rnnc(&["verify", s(&model), "--batch", batch]);
        assert_refused(&out, &["needs over 16 EiB", "lower --batch"]);
    }
}

#[test]
fn compile_verify_of_a_huge_fixed_input_names_the_axes() {
    let dir = tempfile::tempdir().unwrap();
    let big = spec(
        dir.path(),
        "big.rnn",
        "SimpleRNN(3, batch_input_shape=(100000, 100000, 8))\n",
    );
    let model = dir.path().join("big.onnx");
    let out = rnnc(&[
        "compile",
        s(&big),
        "-o",
        s(&model),
        "--verify",
        "--memory-limit",
        "1G",
    ]);
    assert_refused(
        &out,
        &[
            "verify on input [100000, 100000, 8] needs",
            "the model fixes axis 0 (batch) at 100000 and axis 1 (time) at 100000",
            "`input_shape=` instead of `batch_input_shape=`",
        ],
    );
}

/// A SimpleRNN(64) returning sequences compiled in `dir`, and a zero input
/// of shape [1000, 10, 4] whose activations take a few MiB.
fn wide_model_and_input(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let wide = spec(
        dir,
        "wide.rnn",
        "SimpleRNN(64, return_sequences=True, input_shape=(None, 4))\n",
    );
    let model = dir.join("wide.onnx");
    let out = rnnc(&["compile", s(&wide), "-o", s(&model)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let input = dir.join("x.npy");
    ndarray_npy::write_npy(&input, &ndarray::Array3::<f32>::zeros((1000, 10, 4))).unwrap();
    (model, input)
}

#[test]
fn the_reference_interpreter_refuses_activations_beyond_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (model, input) = wide_model_and_input(dir.path());
    let out = rnnc(&[
        "run",
        s(&model),
        "--input",
        s(&input),
        "--reference",
        "--memory-limit",
        "1M",
    ]);
    assert_refused(
        &out,
        &[
            "the reference interpreter on input [1000, 10, 4] needs",
            "SimpleRNN layer `simple_rnn` holds at once",
            "give a smaller batch (axis 0) or shorter sequences (axis 1)",
        ],
    );
}

#[test]
fn tract_refuses_intermediate_tensors_beyond_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (model, input) = wide_model_and_input(dir.path());
    let run = |limit: &str| {
        rnnc(&[
            "run",
            s(&model),
            "--input",
            s(&input),
            "--memory-limit",
            limit,
        ])
    };
    assert_refused(
        &run("1M"),
        &[
            "tract on input [1000, 10, 4] needs",
            "SimpleRNN layer `simple_rnn` holds at once",
            "give a smaller batch (axis 0) or shorter sequences (axis 1)",
        ],
    );
    let out = run("1G");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_weights_file_beyond_the_budget_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let lstm = spec(dir.path(), "lstm.rnn", "LSTM(64, input_shape=(None, 32))\n");
    let weights = dir.path().join("w.npz");
    let out = rnnc(&["weights", s(&lstm), "-o", s(&weights)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let model = dir.path().join("lstm.onnx");
    let out = rnnc(&[
        "compile",
        s(&lstm),
        "--weights",
        s(&weights),
        "-o",
        s(&model),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // 24,832 parameters: 97 KiB of weights, plus the 64 KiB recurrent kernel.
    let needles = [
        "reading the weights file needs",
        "LSTM layer `lstm` alone has",
        "give `lstm` fewer units",
    ];
    let verify = rnnc(&[
        "verify",
        s(&model),
        "--weights",
        s(&weights),
        "--memory-limit",
        "100K",
    ]);
    assert_refused(&verify, &needles);
    let input = dir.path().join("x.npy");
    ndarray_npy::write_npy(&input, &ndarray::Array3::<f32>::zeros((1, 3, 32))).unwrap();
    let reference = rnnc(&[
        "run",
        s(&model),
        "--input",
        s(&input),
        "--reference",
        "--weights",
        s(&weights),
        "--memory-limit",
        "100K",
    ]);
    assert_refused(&reference, &needles);
    let verify = rnnc(&["verify", s(&model), "--weights", s(&weights)]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
}
