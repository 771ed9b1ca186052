//! Hostile spec input on the real binary: special files, oversized and
//! non-UTF-8 specs, tens of thousands of errors, huge names, deeply nested
//! specs recorded in a model's metadata, and the notes about ignored lines
//! (printed once by the command that reads the spec, never by `verify`).

#[path = "common/run.rs"]
mod run;
use run::{rnnc, root};

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use prost::Message;
use rnnc::back::onnx::proto::ModelProto;

/// How long a refusal may take, even in a debug build on a busy machine;
/// the defects these tests guard against hung forever or for minutes.
const PROMPT: Duration = Duration::from_secs(60);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `rnnc args…`, failing the test if it does not finish within [`PROMPT`].
fn rnnc_promptly(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let stderr = child.stderr.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let (err_reader, out_reader) = (read(Box::new(stderr)), read(Box::new(stdout)));
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Output {
                status,
                stdout: out_reader.join().unwrap(),
                stderr: err_reader.join().unwrap(),
            };
        }
        if start.elapsed() > PROMPT {
            child.kill().unwrap();
            panic!("rnnc {args:?} did not finish within {PROMPT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts a refusal with exit code 2 whose message contains `expected`.
fn assert_refused(out: &Output, expected: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(expected),
        "wanted `{expected}` in:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn special_files_and_oversized_specs_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for (path, expected) in [
        ("/dev/zero", "is a character device, not a regular file"),
        ("/dev/urandom", "is a character device, not a regular file"),
        (s(dir.path()), "is a directory, not a regular file"),
    ] {
        assert_refused(&rnnc_promptly(&["summary", path]), expected);
    }
    let fifo = dir.path().join("spec.rnn");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    assert_refused(
        &rnnc_promptly(&["compile", s(&fifo), "-o", s(&dir.path().join("m.onnx"))]),
        "is a FIFO (named pipe), not a regular file",
    );
    let huge = dir.path().join("huge.rnn");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    assert_refused(
        &rnnc_promptly(&["summary", s(&huge)]),
        "is larger than 1048576 bytes, the most rnnc reads as a spec",
    );
    let latin1 = dir.path().join("latin1.rnn");
    std::fs::write(&latin1, b"# caf\xe9\nSimpleRNN(3, input_shape=(2, 10))\n").unwrap();
    assert_refused(
        &rnnc_promptly(&["summary", s(&latin1)]),
        "is not UTF-8 text (invalid byte at offset 5)",
    );
}

#[test]
fn tens_of_thousands_of_errors_print_the_first_fifty() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("errors.rnn");
    let lines: String = (0..80_000).map(|i| format!("Foo{i}(1)\n")).collect();
    std::fs::write(&spec, lines).unwrap();
    let out = rnnc_promptly(&["summary", s(&spec)]);
    assert_refused(
        &out,
        "\n… and 79,950 more errors (fix the ones above first)\n",
    );
    assert_eq!(text(&out.stderr).matches("error: ").count(), 50);
    assert!(out.stderr.len() < 50_000, "{} bytes", out.stderr.len());
}

#[test]
fn a_huge_name_is_shortened_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("name.rnn");
    let name = "A".repeat(900_000);
    std::fs::write(
        &spec,
        format!("model = Sequential()\nmodel.add({name}(3))\n"),
    )
    .unwrap();
    let out = rnnc_promptly(&["summary", s(&spec)]);
    assert_refused(&out, "error: unknown layer `AAAA");
    let stderr = text(&out.stderr);
    assert!(stderr.contains('…'), "{stderr}");
    assert!(stderr.len() < 2_000, "{} bytes:\n{stderr}", stderr.len());
}

/// Compiles the Embedding spec of the repro, rewrites its recorded spec
/// with `rewrite`, and writes the result beside an int32 id input.
fn hostile_model(dir: &Path, rewrite: impl Fn(&str) -> String) -> (String, String) {
    let spec = dir.join("emb.rnn");
    std::fs::write(
        &spec,
        "model = Sequential()\nmodel.add(Embedding(30, 6, input_length=5))\nmodel.add(GRU(4))\n",
    )
    .unwrap();
    let model = dir.join("emb.onnx");
    let out = rnnc(&["compile", s(&spec), "-o", s(&model)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut proto = ModelProto::decode(std::fs::read(&model).unwrap().as_slice()).unwrap();
    let entry = proto
        .metadata_props
        .iter_mut()
        .find(|p| p.key.as_deref() == Some(rnnc::metadata::SPEC))
        .expect("a recorded spec");
    entry.value = entry.value.as_deref().map(&rewrite);
    let hostile = dir.join("hostile.onnx");
    std::fs::write(&hostile, proto.encode_to_vec()).unwrap();
    let ids = dir.join("ids.npy");
    let array = ndarray::Array2::<i32>::from_shape_vec((1, 5), vec![1, 2, 3, 4, 5]).unwrap();
    ndarray_npy::write_npy(&ids, &array).unwrap();
    (s(&hostile).to_string(), s(&ids).to_string())
}

#[test]
fn a_deeply_nested_recorded_spec_is_refused_by_verify_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let (model, ids) = hostile_model(dir.path(), |spec| {
        format!("x = {}{}\n{spec}", "[".repeat(20_000), "]".repeat(20_000))
    });
    for args in [
        vec!["verify", &model],
        vec!["run", &model, "--input", &ids],
        vec!["run", &model, "--input", &ids, "--reference"],
    ] {
        assert_refused(
            &rnnc_promptly(&args),
            "expression nested more than 100 levels deep",
        );
    }
}

#[test]
fn an_oversized_recorded_spec_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = hostile_model(dir.path(), |spec| {
        format!("{}\n{spec}", "#".repeat(2 << 20))
    });
    assert_refused(
        &rnnc_promptly(&["verify", &model]),
        "more than the 1048576 bytes rnnc reads as a spec",
    );
}

#[test]
fn notes_are_printed_once_by_the_command_that_reads_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "fixtures/notes/notebook_cell.rnn";
    let model = dir.path().join("cell.onnx");
    let out = rnnc(&["compile", spec, "-o", s(&model), "--verify"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let expected =
        std::fs::read_to_string(root().join("fixtures/notes/notebook_cell.stderr")).unwrap();
    assert_eq!(stderr, expected);
    let verified = rnnc(&["verify", s(&model)]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert_eq!(text(&verified.stderr), "");
}
