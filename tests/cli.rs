//! The commands as a user runs them: compile → verify → run, reproducibility,
//! atomic output, and clear errors with exit code 2 on bad input.

#[path = "common/run.rs"]
mod run;
#[path = "common/tamper.rs"]
mod tamper;

use std::path::Path;
use std::process::{Command, Output};

use run::{rnnc, root};
use tamper::tamper;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Compiles the oracle case folder `case` with its Keras weights to `out`,
/// asserting success.
fn compile_case(case: &Path, out: &Path) {
    let weights = case.join("weights.npz");
    let result = compile(s(&case.join("model.rnn")), out, &["--weights", s(&weights)]);
    assert!(result.status.success(), "{}", text(&result.stderr));
}

fn compile(spec: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["compile", spec, "-o", s(out)];
    args.extend_from_slice(extra);
    rnnc(&args)
}

#[test]
fn compile_then_verify_every_tutorial_spec() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("fixtures/tutorial")).unwrap() {
        let spec = entry.unwrap().path();
        if spec.extension().is_none_or(|e| e != "rnn") {
            continue;
        }
        let model = dir.path().join("model.onnx");
        let out = compile(s(&spec), &model, &["--seed", "3"]);
        assert!(
            out.status.success(),
            "{}: {}",
            spec.display(),
            text(&out.stderr)
        );
        let verified = rnnc(&["verify", s(&model)]);
        assert!(
            verified.status.success(),
            "{}: {}{}",
            spec.display(),
            text(&verified.stdout),
            text(&verified.stderr)
        );
        assert!(text(&verified.stdout).contains("verified: "));
    }
}

#[test]
fn compile_with_verify_flag_reports_errors_per_output() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    let out = compile(
        "fixtures/tutorial/deep_bidirectional.rnn",
        &model,
        &["--verify"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("max abs err"), "{stdout}");
    // Batch sizes 1, 2 and 5 with the fixed time axis of 10.
    for batch in [1, 2, 5] {
        assert!(
            stdout.contains(&format!("input [{batch}, 10, 5]")),
            "{stdout}"
        );
    }
}

#[test]
fn verify_tries_several_lengths_when_time_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("free.rnn");
    std::fs::write(
        &spec,
        "SimpleRNN(4, input_shape=(None, 3), return_sequences=True)\n",
    )
    .unwrap();
    let model = dir.path().join("free.onnx");
    assert!(compile(s(&spec), &model, &[]).status.success());
    let out = rnnc(&["verify", s(&model), "--batch", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for t in [1, 4, 9] {
        assert!(stdout.contains(&format!("input [2, {t}, 3]")), "{stdout}");
    }
}

#[test]
fn same_spec_and_seed_give_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.onnx"),
        dir.path().join("b.onnx"),
        dir.path().join("c.onnx"),
    );
    let spec = "fixtures/tutorial/deep_bidirectional.rnn";
    assert!(compile(spec, &a, &["--seed", "7"]).status.success());
    assert!(compile(spec, &b, &["--seed", "7"]).status.success());
    assert!(compile(spec, &c, &["--seed", "8"]).status.success());
    let (a, b, c) = (
        std::fs::read(a).unwrap(),
        std::fs::read(b).unwrap(),
        std::fs::read(c).unwrap(),
    );
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn same_weights_file_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let case = "fixtures/oracle/tutorial_bidirectional";
    let (a, b) = (dir.path().join("a.onnx"), dir.path().join("b.onnx"));
    let weights = format!("{case}/weights.npz");
    assert!(
        compile(&format!("{case}/model.rnn"), &a, &["--weights", &weights])
            .status
            .success()
    );
    assert!(
        compile(&format!("{case}/model.rnn"), &b, &["--weights", &weights])
            .status
            .success()
    );
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn run_prints_outputs_without_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    let case = root().join("fixtures/oracle/tutorial_return_sequences");
    compile_case(&case, &model);
    let out = rnnc(&["run", s(&model), "--input", s(&case.join("input.npy"))]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("output_0 float32 [8, 2, 3] ["),
        "{stdout}"
    );
}

#[test]
fn verify_needs_the_weights_file_it_was_compiled_from() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    let case = root().join("fixtures/oracle/tutorial_simple_rnn");
    compile_case(&case, &model);
    let missing = rnnc(&["verify", s(&model)]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("pass it with --weights"),
        "{}",
        text(&missing.stderr)
    );
    let other = rnnc(&[
        "verify",
        s(&model),
        "--weights",
        s(&case.join("weights_positional.npz")),
    ]);
    assert_eq!(other.status.code(), Some(2));
    assert!(text(&other.stderr).contains("is not the weights file the model was compiled from"));
}

#[test]
fn verify_refuses_files_rnnc_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.onnx");
    std::fs::write(&junk, b"definitely not protobuf \xff\xff\xff").unwrap();
    let out = rnnc(&["verify", s(&junk)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: "),
        "{}",
        text(&out.stderr)
    );
    let missing = rnnc(&["verify", "no/such/file.onnx"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no/such/file.onnx"));
}

#[test]
fn failed_compile_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    let out = compile("fixtures/errors/unknown_layer.rnn", &model, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn run_reports_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    assert!(compile("fixtures/tutorial/simple_rnn.rnn", &model, &[])
        .status
        .success());
    let not_npy = dir.path().join("x.npy");
    std::fs::write(&not_npy, b"hello").unwrap();
    let out = rnnc(&["run", s(&model), "--input", s(&not_npy)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("x.npy"), "{}", text(&out.stderr));
    // A (3, 2, 4) input for a model with 10 features.
    let wrong = root().join("fixtures/oracle/simple_rnn_activation_relu/input.npy");
    let out = rnnc(&["run", s(&model), "--input", s(&wrong)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn verify_fails_when_a_weight_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    assert!(compile("fixtures/tutorial/bidirectional.rnn", &model, &[])
        .status
        .success());
    let bad = dir.path().join("bad.onnx");
    let done = std::cell::Cell::new(false);
    tamper(&model, &bad, |_, dims, values| {
        if done.get() || dims.len() < 2 {
            return false;
        }
        values[0] += 0.01;
        done.set(true);
        true
    });
    let out = rnnc(&["verify", s(&bad)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("MISMATCH"));
}

#[test]
fn run_accepts_int32_and_int64_ids_and_refuses_ids_out_of_range() {
    use ndarray::ArrayD;
    use ndarray_npy::{ReadNpyExt, WriteNpyExt};
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/oracle/embedding_lstm_dense");
    let model = dir.path().join("m.onnx");
    compile_case(&case, &model);
    let ids32 =
        ArrayD::<i32>::read_npy(std::fs::File::open(case.join("input.npy")).unwrap()).unwrap();
    let write = |name: &str, ids: &ArrayD<i64>| {
        let path = dir.path().join(name);
        ids.write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        path
    };
    let ids64 = write("ids64.npy", &ids32.mapv(i64::from));
    let from32 = rnnc(&["run", s(&model), "--input", s(&case.join("input.npy"))]);
    let from64 = rnnc(&["run", s(&model), "--input", s(&ids64)]);
    assert!(from32.status.success(), "{}", text(&from32.stderr));
    assert_eq!(text(&from32.stdout), text(&from64.stdout));
    for (bad_id, name) in [(50, "past_end.npy"), (-1, "negative.npy")] {
        let mut ids = ids32.mapv(i64::from);
        ids[[1, 2]] = bad_id;
        let path = write(name, &ids);
        let out = rnnc(&["run", s(&model), "--input", s(&path)]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            text(&out.stderr),
            format!("error: token id {bad_id} at position [1, 2] is out of range for Embedding `embedding` (ids must be in 0..50)\n")
        );
    }
    let floats = rnnc(&[
        "run",
        s(&model),
        "--input",
        s(&root().join("fixtures/oracle/tutorial_simple_rnn/input.npy")),
    ]);
    assert_eq!(floats.status.code(), Some(2));
    assert!(
        text(&floats.stderr).contains("takes int32 token ids, but the array holds float32 values")
    );
}

#[test]
fn weights_command_round_trips_through_compile() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "fixtures/oracle/text_classifier_bidir_lstm/model.rnn";
    let w = dir.path().join("w.npz");
    let out = rnnc(&["weights", spec, "--seed", "4", "-o", s(&w)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("wrote {} (9 arrays, 1053 parameters)\n", s(&w))
    );
    // The same weights, initialized or loaded, give the same numbers.
    let (seeded, loaded) = (dir.path().join("a.onnx"), dir.path().join("b.onnx"));
    assert!(compile(spec, &seeded, &["--seed", "4"]).status.success());
    assert!(compile(spec, &loaded, &["--weights", s(&w), "--verify"])
        .status
        .success());
    let input = root().join("fixtures/oracle/text_classifier_bidir_lstm/input.npy");
    let a = rnnc(&["run", s(&seeded), "--input", s(&input)]);
    let b = rnnc(&["run", s(&loaded), "--input", s(&input)]);
    assert!(a.status.success());
    assert_eq!(text(&a.stdout), text(&b.stdout));
}

#[test]
fn run_reference_gives_the_reference_interpreters_outputs() {
    use ndarray::ArrayD;
    use ndarray_npy::NpzReader;
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/oracle/bidir_gru_merge_none_seq");
    let model = dir.path().join("m.onnx");
    let weights = case.join("weights.npz");
    compile_case(&case, &model);
    let reference = dir.path().join("ref.npz");
    let out = rnnc(&[
        "run",
        s(&model),
        "--input",
        s(&case.join("input.npy")),
        "--reference",
        "--weights",
        s(&weights),
        "--output",
        s(&reference),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let read = |p: &Path, name: &str| -> ArrayD<f32> {
        NpzReader::new(std::fs::File::open(p).unwrap())
            .unwrap()
            .by_name(name)
            .unwrap()
    };
    for output in ["output_0", "output_1"] {
        let ours = read(&reference, output);
        let keras = read(&case.join("expected.npz"), output);
        let err = ours
            .iter()
            .zip(&keras)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 1e-5, "{output}: {err}");
    }
    let needs_weights = rnnc(&[
        "run",
        s(&model),
        "--input",
        s(&case.join("input.npy")),
        "--reference",
    ]);
    assert_eq!(needs_weights.status.code(), Some(2));
    assert!(text(&needs_weights.stderr).contains("--weights"));
}

/// The external-data files of the model `model` in `dir`
/// (`MODEL.<hash>.data`).
fn data_files(dir: &Path, model: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("{model}.")) && name.ends_with(".data")
        })
        .collect()
}

#[test]
fn external_data_on_request_and_above_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/oracle/text_classifier_bidir_lstm");
    let weights = case.join("weights.npz");
    let input = case.join("input.npy");
    let inline = dir.path().join("inline.onnx");
    compile_case(&case, &inline);
    assert!(data_files(dir.path(), "inline.onnx").is_empty());
    let expected = text(&rnnc(&["run", s(&inline), "--input", s(&input)]).stdout);
    for (name, flags) in [
        ("forced.onnx", vec!["--external-data"]),
        // 1053 parameters are 4212 bytes: over a 4000-byte threshold.
        ("threshold.onnx", vec!["--external-data-threshold", "4000"]),
    ] {
        let model = dir.path().join(name);
        let mut args = vec!["--weights", s(&weights)];
        args.extend(flags);
        let out = compile(s(&case.join("model.rnn")), &model, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(data_files(dir.path(), name).len(), 1, "{name}");
        assert!(
            std::fs::metadata(&model).unwrap().len() < std::fs::metadata(&inline).unwrap().len()
        );
        let ran = rnnc(&["run", s(&model), "--input", s(&input)]);
        assert_eq!(text(&ran.stdout), expected, "{name}");
        let verified = rnnc(&["verify", s(&model), "--weights", s(&weights)]);
        assert!(verified.status.success(), "{}", text(&verified.stdout));
    }
    let below = dir.path().join("below.onnx");
    let out = compile(
        s(&case.join("model.rnn")),
        &below,
        &[
            "--weights",
            s(&weights),
            "--external-data-threshold",
            "5000",
        ],
    );
    assert!(out.status.success());
    assert!(data_files(dir.path(), "below.onnx").is_empty());
}

#[test]
fn keras_weight_files_compile_like_their_npz() {
    let dir = tempfile::tempdir().unwrap();
    for case in [
        "tutorial_deep_bidirectional",
        "text_classifier_bidir_lstm",
        "gru_reset_before_seq",
    ] {
        let oracle = root().join("fixtures/oracle").join(case);
        let files = root().join("fixtures/keras_files").join(case);
        let input = oracle.join("input.npy");
        let mut printed = Vec::new();
        for weights in [
            oracle.join("weights.npz"),
            files.join("model.weights.h5"),
            files.join("model.keras"),
        ] {
            let model = dir.path().join(format!("{case}.onnx"));
            let out = compile(
                s(&oracle.join("model.rnn")),
                &model,
                &["--weights", s(&weights), "--verify"],
            );
            assert!(
                out.status.success(),
                "{}: {}{}",
                weights.display(),
                text(&out.stdout),
                text(&out.stderr)
            );
            printed.push(text(
                &rnnc(&["run", s(&model), "--input", s(&input)]).stdout,
            ));
        }
        assert_eq!(printed[0], printed[1], "{case}: .weights.h5");
        assert_eq!(printed[0], printed[2], "{case}: .keras");
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(["summary", "fixtures/tutorial/deep_bidirectional.rnn"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before rnnc writes: its write fails with EPIPE.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn verify_refuses_options_that_would_compare_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    assert!(compile("fixtures/tutorial/simple_rnn.rnn", &model, &[])
        .status
        .success());
    for arg in ["--batch=0", "--atol=-1", "--rtol=nan"] {
        let out = rnnc(&["verify", s(&model), arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(
            text(&out.stderr).starts_with("error: invalid value"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn weights_of_another_model_are_a_clear_error_naming_the_layers() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    for (spec, weights, layer) in [
        // The tutorial_bidirectional weights do not fit the deep RNN.
        (
            "fixtures/oracle/tutorial_deep_rnn/model.rnn",
            "fixtures/oracle/tutorial_bidirectional/weights.npz",
            "simple_rnn",
        ),
        (
            "fixtures/oracle/tutorial_deep_bidirectional/model.rnn",
            "fixtures/keras_files/gru_reset_before_seq/model.keras",
            "bidirectional",
        ),
    ] {
        let out = compile(spec, &model, &["--weights", weights]);
        assert_eq!(out.status.code(), Some(2), "{weights}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(layer), "{stderr}");
        assert!(!model.exists());
    }
}

/// Runs `rnnc args…` under a pseudo-terminal (util-linux `script`), so that
/// stderr is a terminal; returns everything the terminal received.
fn rnnc_in_terminal(args: &[&str]) -> String {
    let command = std::iter::once(env!("CARGO_BIN_EXE_rnnc"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(root())
        .output()
        .expect("util-linux `script` runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_shows_on_a_terminal_only_and_quiet_silences_it() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("m.rnn");
    std::fs::write(&spec, "LSTM(8, input_shape=(None, 4))\n").unwrap();
    let model = dir.path().join("m.onnx");
    let (spec, model) = (spec.to_str().unwrap(), model.to_str().unwrap());
    // A pipe: stderr stays empty.
    let piped = rnnc(&["compile", spec, "-o", model, "--verify"]);
    assert!(piped.status.success());
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "");
    // A terminal: each phase is drawn, then cleared.
    let shown = rnnc_in_terminal(&["compile", spec, "-o", model, "--verify"]);
    for phase in [
        "initializing the weights",
        "emitting ONNX",
        "writing ",
        "loading the file in tract",
        "running input [1, 1, 4]",
    ] {
        assert!(shown.contains(phase), "missing {phase:?} in {shown:?}");
    }
    assert!(shown.contains("verified:"), "{shown}");
    // --quiet: the terminal gets exactly the report.
    let quiet = rnnc_in_terminal(&["compile", spec, "-o", model, "--verify", "--quiet"]);
    assert!(!quiet.contains("initializing"), "{quiet:?}");
    assert!(!quiet.contains('\u{1b}'), "{quiet:?}");
    assert!(quiet.contains("verified:"), "{quiet}");
}

#[test]
fn verify_reports_where_the_time_went() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("m.rnn");
    std::fs::write(&spec, "GRU(4, input_shape=(None, 3))\n").unwrap();
    let model = dir.path().join("m.onnx");
    let (spec, model) = (spec.to_str().unwrap(), model.to_str().unwrap());
    let out = rnnc(&["compile", spec, "-o", model, "--verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("time: "))
        .unwrap_or_else(|| panic!("no time line in {text}"));
    for phase in [
        "source weights ",
        "file check ",
        "tract load ",
        "reference ",
        "tract ",
    ] {
        assert!(line.contains(phase), "{line}");
    }
    // The verdict comes last, after the cases and the times.
    assert!(
        text.lines().last().unwrap().starts_with("verified:"),
        "{text}"
    );
}

#[test]
fn run_repeat_times_tract_and_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("m.rnn");
    std::fs::write(&spec, "SimpleRNN(4, input_shape=(3, 2))\n").unwrap();
    let model = dir.path().join("m.onnx");
    let input = dir.path().join("x.npy");
    let (spec, model, input_s) = (
        spec.to_str().unwrap(),
        model.to_str().unwrap(),
        input.to_str().unwrap(),
    );
    assert!(rnnc(&["compile", spec, "-o", model]).status.success());
    ndarray_npy::write_npy(&input, &ndarray::Array3::<f32>::zeros((2, 3, 2))).unwrap();
    for extra in [&[][..], &["--reference"][..]] {
        let mut args = vec!["run", model, "--input", input_s, "--repeat", "3"];
        args.extend_from_slice(extra);
        let out = rnnc(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.starts_with("output_0 float32 [2, 4]"), "{text}");
        let last = text.lines().last().unwrap();
        assert!(last.starts_with("time: 3 runs, min "), "{last}");
        assert!(
            last.contains(" ms, median ") && last.ends_with(" ms"),
            "{last}"
        );
    }
    let zero = rnnc(&["run", model, "--input", input_s, "--repeat", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}
