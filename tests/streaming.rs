//! Keras is the oracle for streaming files: for every fixture in
//! `fixtures/streaming/` (stateful Keras 3 models run whole and in chunks
//! by `scripts/make_streaming_oracles.py`), the compiled file has the state
//! inputs and outputs the metadata lists; `rnnc run` over the whole
//! sequence and over each chunking, in tract and in the reference, gives
//! Keras' outputs and final states; `--state-out` then `--state-in` splits
//! a run in two; and `rnnc verify` (which checks chunks against the whole
//! sequence itself) passes.

#[path = "common/outputs.rs"]
mod outputs;
#[path = "common/run.rs"]
mod run;
use run::{rnnc, root};

use std::path::{Path, PathBuf};

use ndarray::ArrayD;

/// Tolerance against Keras: both compute in f32.
const ATOL: f32 = 1e-5;

struct Case {
    dir: PathBuf,
    name: String,
    streaming: bool,
    chunkings: Vec<Vec<usize>>,
}

fn cases() -> Vec<Case> {
    let dir = root().join("fixtures/streaming");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let cases: Vec<Case> = index["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_string();
            Case {
                dir: dir.join(&name),
                name,
                streaming: c["streaming"].as_bool().unwrap(),
                chunkings: c["chunkings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| {
                        k.as_array()
                            .unwrap()
                            .iter()
                            .map(|n| n.as_u64().unwrap() as usize)
                            .collect()
                    })
                    .collect(),
            }
        })
        .collect();
    assert!(cases.len() >= 6);
    cases
}

fn arg(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn run_ok(args: &[String]) -> String {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = rnnc(&refs);
    assert!(
        out.status.success(),
        "rnnc {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn compile(case: &Case, out: &Path) {
    let mut args = vec![
        "compile".to_string(),
        arg(&case.dir.join("model.rnn")),
        "--weights".into(),
        arg(&case.dir.join("weights.npz")),
        "-o".into(),
        arg(out),
    ];
    if case.streaming {
        args.push("--streaming".into());
    }
    run_ok(&args);
}

/// `rnnc run` on the case's input; `extra` adds options.
fn run_file(case: &Case, model: &Path, out: &Path, extra: &[String]) -> Vec<(String, ArrayD<f32>)> {
    let mut args = vec![
        "run".to_string(),
        arg(model),
        "--input".into(),
        arg(&case.dir.join("input_0.npy")),
        "--output".into(),
        arg(out),
    ];
    args.extend(extra.iter().cloned());
    run_ok(&args);
    outputs::read_npz(out)
}

/// Every expected array (outputs and final states) against `got`, by name.
fn assert_close(got: &[(String, ArrayD<f32>)], expected: &Path, what: &str) {
    let expected = outputs::read_npz(expected);
    assert!(!expected.is_empty());
    for (name, e) in &expected {
        let (_, a) = got
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{what}: no output `{name}` in {:?}", names(got)));
        assert_eq!(a.shape(), e.shape(), "{what}: {name}");
        let error = outputs::max_abs_error(a, e);
        assert!(
            error <= ATOL,
            "{what}: {name} differs from Keras by {error}"
        );
    }
}

fn names(got: &[(String, ArrayD<f32>)]) -> Vec<&str> {
    got.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn streaming_files_run_keras_chunked_and_whole() {
    let tmp = tempfile::tempdir().unwrap();
    for case in cases() {
        let model = tmp.path().join(format!("{}.onnx", case.name));
        compile(&case, &model);
        let out = tmp.path().join("out.npz");
        let weights = [
            "--reference".to_string(),
            "--weights".into(),
            arg(&case.dir.join("weights.npz")),
        ];
        for engine in [&[][..], &weights[..]] {
            let label = if engine.is_empty() {
                "tract"
            } else {
                "reference"
            };
            let whole = run_file(&case, &model, &out, engine);
            assert_close(
                &whole,
                &case.dir.join("expected.npz"),
                &format!("{} {label}", case.name),
            );
            for sizes in &case.chunkings {
                let text: Vec<String> = sizes.iter().map(usize::to_string).collect();
                let mut extra = engine.to_vec();
                extra.extend(["--chunks".to_string(), text.join(",")]);
                let chunked = run_file(&case, &model, &out, &extra);
                // Keras' own chunked run, or (for a --streaming case, which
                // Keras restarts at every call) its whole sequence.
                let keras = case.dir.join(format!("chunks_{}.npz", text.join("_")));
                let expected = if case.streaming {
                    case.dir.join("expected.npz")
                } else {
                    keras
                };
                let what = format!("{} {label} chunks {}", case.name, text.join(","));
                assert_close(&chunked, &expected, &what);
            }
        }
        let verified = run_ok(&[
            "verify".into(),
            arg(&model),
            "--weights".into(),
            arg(&case.dir.join("weights.npz")),
        ]);
        assert!(
            verified.contains("in chunks 1,1"),
            "{}: {verified}",
            case.name
        );
        assert!(
            verified.lines().last().unwrap().starts_with("verified"),
            "{}",
            case.name
        );
    }
}

#[test]
fn state_out_then_state_in_continues_the_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let case = cases()
        .into_iter()
        .find(|c| c.name == "lstm_dense")
        .unwrap();
    let model = tmp.path().join("m.onnx");
    compile(&case, &model);
    let x: ArrayD<f32> = ndarray_npy::read_npy(case.dir.join("input_0.npy")).unwrap();
    let (first, rest) = (tmp.path().join("first.npy"), tmp.path().join("rest.npy"));
    ndarray_npy::write_npy(
        &first,
        &x.slice_axis(ndarray::Axis(1), (..7).into()).to_owned(),
    )
    .unwrap();
    ndarray_npy::write_npy(
        &rest,
        &x.slice_axis(ndarray::Axis(1), (7..).into()).to_owned(),
    )
    .unwrap();
    let states = tmp.path().join("states.npz");
    let a = tmp.path().join("a.npz");
    let b = tmp.path().join("b.npz");
    let first_half = |input: &Path, out: &Path, extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            arg(&model),
            "--input".into(),
            arg(input),
            "--output".into(),
            arg(out),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        run_ok(&args);
        outputs::read_npz(out)
    };
    first_half(
        &first,
        &a,
        &["--chunks", "3,4", "--state-out", states.to_str().unwrap()],
    );
    let second = first_half(&rest, &b, &["--state-in", states.to_str().unwrap()]);
    let saved = outputs::read_npz(&states);
    assert_eq!(names(&saved), ["lstm_h_in", "lstm_c_in"]);
    let whole = outputs::read_npz(&case.dir.join("expected.npz"));
    let (_, keras_h) = whole.iter().find(|(n, _)| n == "lstm_h_out").unwrap();
    let (_, ours_h) = second.iter().find(|(n, _)| n == "lstm_h_out").unwrap();
    assert!(outputs::max_abs_error(ours_h, keras_h) <= ATOL);
    let (_, keras_y) = &whole[0];
    let (_, ours_y) = &second[0];
    let keras_tail = keras_y
        .slice_axis(ndarray::Axis(1), (7..).into())
        .to_owned();
    assert!(outputs::max_abs_error(ours_y, &keras_tail) <= ATOL);
}

#[test]
fn the_file_lists_its_state_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let case = cases()
        .into_iter()
        .find(|c| c.name == "sequential_stateful")
        .unwrap();
    let model = tmp.path().join("m.onnx");
    compile(&case, &model);
    let text = run_ok(&["inspect".into(), arg(&model)]);
    for line in [
        "streaming states (3)",
        "  lstm_h_in -> lstm_h_out  [3, 4]\n  lstm_c_in -> lstm_c_out  [3, 4]\n  gru_h_in -> gru_h_out  [3, 3]\n",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    // The Sequential model's data input keeps its name.
    assert!(text.contains("\n  input "), "{text}");
}

#[test]
fn chunk_options_need_a_streaming_file() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.onnx");
    let spec = tmp.path().join("m.rnn");
    std::fs::write(
        &spec,
        "import keras\nfrom keras import layers\ninputs = keras.Input(shape=(None, 3))\n\
         model = keras.Model(inputs, layers.GRU(2)(inputs))\n",
    )
    .unwrap();
    run_ok(&["compile".into(), arg(&spec), "-o".into(), arg(&model)]);
    let x = tmp.path().join("x.npy");
    ndarray_npy::write_npy(&x, &ndarray::Array3::<f32>::zeros((1, 4, 3))).unwrap();
    // `rnnc run --chunks CHUNKS` exits 2; its message.
    let refused = |chunks: &str| {
        let out = rnnc(&[
            "run",
            model.to_str().unwrap(),
            "--input",
            x.to_str().unwrap(),
            "--chunks",
            chunks,
        ]);
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    let stderr = refused("2,2");
    assert!(
        stderr.contains("--chunks runs a streaming file"),
        "{stderr}"
    );
    run_ok(&[
        "compile".into(),
        arg(&spec),
        "-o".into(),
        arg(&model),
        "--streaming".into(),
    ]);
    let stderr = refused("2,3");
    assert!(
        stderr.contains("add up to 5 steps, but the input has 4"),
        "{stderr}"
    );
}

/// `--streaming` on every functional oracle model: the file verifies (its
/// chunks against the whole sequence included), or the model is refused
/// for one of the reasons a stream cannot carry its states.
#[test]
fn every_functional_model_streams_or_says_why_not() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.onnx");
    let mut streamed = 0;
    for entry in std::fs::read_dir(root().join("fixtures/functional")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("model.rnn").exists() {
            continue;
        }
        let weights = arg(&dir.join("weights.npz"));
        let spec = arg(&dir.join("model.rnn"));
        let out = rnnc(&[
            "compile",
            &spec,
            "--weights",
            &weights,
            "--streaming",
            "-o",
            model.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(2) {
            assert!(
                [
                    "reads the sequence from its end",
                    "is called more than once",
                    "no recurrent layer"
                ]
                .iter()
                .any(|reason| stderr.contains(reason)),
                "{}: {stderr}",
                dir.display()
            );
            continue;
        }
        assert!(out.status.success(), "{}: {stderr}", dir.display());
        let verified = run_ok(&["verify".into(), arg(&model), "--weights".into(), weights]);
        assert!(
            verified.lines().last().unwrap().starts_with("verified"),
            "{}: {verified}",
            dir.display()
        );
        streamed += 1;
    }
    assert!(streamed >= 10, "{streamed}");
}
