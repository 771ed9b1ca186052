//! Output safety as a user meets it: an output never replaces an input,
//! special files are neither replaced nor blocked on, an interrupted compile
//! leaves no temporary file, and a closed stdout or full stderr is handled.

#[path = "common/run.rs"]
mod run;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use run::rnnc;

const SPEC: &str = "SimpleRNN(32, input_shape=(2, 10))\n";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A folder holding `spec.rnn`.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.rnn");
    fs::write(&spec, SPEC).unwrap();
    (dir, spec)
}

/// Asserts a refusal with exit code 2 whose message contains every `needle`.
fn assert_refused(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` not in: {err}");
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn compile_refuses_to_overwrite_its_spec_or_weights() {
    let (dir, spec) = workspace();
    let out = rnnc(&["compile", s(&spec), "-o", s(&spec)]);
    assert_refused(&out, &["is the spec being compiled", "spec.rnn"]);
    // `./x`, a hard link and a symbolic link name the same file.
    let dotted = dir.path().join(".").join("spec.rnn");
    let hard = dir.path().join("hard.rnn");
    fs::hard_link(&spec, &hard).unwrap();
    let soft = dir.path().join("soft.onnx");
    std::os::unix::fs::symlink(&spec, &soft).unwrap();
    for output in [&dotted, &hard, &soft] {
        let out = rnnc(&["compile", s(&spec), "-o", s(output)]);
        assert_refused(&out, &["is the spec being compiled"]);
    }
    assert_eq!(fs::read_to_string(&spec).unwrap(), SPEC);

    let weights = dir.path().join("trained.npz");
    assert!(rnnc(&["weights", s(&spec), "-o", s(&weights)])
        .status
        .success());
    let before = fs::read(&weights).unwrap();
    let out = rnnc(&[
        "compile",
        s(&spec),
        "--weights",
        s(&weights),
        "-o",
        s(&weights),
    ]);
    assert_refused(&out, &["is the weights file", "trained.npz"]);
    assert_eq!(fs::read(&weights).unwrap(), before);
}

#[test]
fn a_spec_named_like_its_default_output_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("model.onnx");
    fs::write(&spec, SPEC).unwrap();
    let out = rnnc(&["compile", s(&spec)]);
    assert_refused(&out, &["model.onnx", "-o/--output"]);
    assert_eq!(fs::read_to_string(&spec).unwrap(), SPEC);
}

#[test]
fn weights_and_run_refuse_to_overwrite_their_inputs() {
    let (dir, spec) = workspace();
    let out = rnnc(&["weights", s(&spec), "-o", s(&spec)]);
    assert_refused(&out, &["is the spec"]);
    assert_eq!(fs::read_to_string(&spec).unwrap(), SPEC);

    let model = dir.path().join("m.onnx");
    let compiled = rnnc(&[
        "compile",
        s(&spec),
        "-o",
        s(&model),
        "--external-data-threshold",
        "0",
    ]);
    assert!(compiled.status.success(), "{}", text(&compiled.stderr));
    let input = dir.path().join("x.npy");
    write_npy(&input, &[1, 2, 10]);
    let data = names(dir.path())
        .into_iter()
        .find(|n| n.starts_with("m.onnx.") && n.ends_with(".data"))
        .map(|n| dir.path().join(n))
        .expect("an external data file");
    for (output, role) in [
        (&input, "the input array"),
        (&model, "the model"),
        (&data, "the model's external data"),
    ] {
        let before = fs::read(output).unwrap();
        let out = rnnc(&[
            "run",
            s(&model),
            "--input",
            s(&input),
            "--output",
            s(output),
        ]);
        assert_refused(&out, &[role]);
        assert_eq!(fs::read(output).unwrap(), before);
    }
}

/// Writes a float32 `.npy` of zeros with `shape`.
fn write_npy(path: &Path, shape: &[usize]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}",
        dims.join(", ")
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + 4 * shape.iter().product::<usize>(), 0);
    fs::write(path, bytes).unwrap();
}

#[test]
fn devices_are_written_into_fifos_and_read_only_files_refused() {
    use std::os::unix::fs::FileTypeExt as _;
    let (dir, spec) = workspace();
    let out = rnnc(&["compile", s(&spec), "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    let out = rnnc(&["compile", s(&spec), "-o", "/dev/full"]);
    assert_refused(&out, &["/dev/full", "space"]);
    let out = rnnc(&[
        "compile",
        s(&spec),
        "-o",
        "/dev/null",
        "--external-data-threshold",
        "0",
    ]);
    assert_refused(&out, &["external data"]);

    let fifo = dir.path().join("pipe.onnx");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = rnnc(&["compile", s(&spec), "-o", s(&fifo)]);
    assert_refused(&out, &["pipe.onnx", "FIFO"]);

    let locked = dir.path().join("locked.onnx");
    fs::write(&locked, b"keep").unwrap();
    let mut perms = fs::metadata(&locked).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&locked, perms).unwrap();
    let out = rnnc(&["compile", s(&spec), "-o", s(&locked)]);
    assert_refused(&out, &["locked.onnx", "read-only"]);
    assert_eq!(fs::read(&locked).unwrap(), b"keep");
}

#[test]
fn a_symlink_output_is_written_through_and_stays_a_link() {
    let (dir, spec) = workspace();
    let real = dir.path().join("v1.onnx");
    fs::write(&real, b"old").unwrap();
    let link = dir.path().join("latest.onnx");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = rnnc(&["compile", s(&spec), "-o", s(&link)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_ne!(fs::read(&real).unwrap(), b"old");
    assert!(rnnc(&["verify", s(&link)]).status.success());
}

#[test]
fn long_names_and_non_utf8_folders_work() {
    use std::os::unix::ffi::OsStrExt as _;
    let (dir, spec) = workspace();
    let long = dir.path().join(format!("{}.onnx", "m".repeat(245)));
    let out = rnnc(&[
        "compile",
        s(&spec),
        "-o",
        s(&long),
        "--external-data-threshold",
        "0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(rnnc(&["verify", s(&long)]).status.success());

    let folder = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    fs::create_dir(&folder).unwrap();
    let model = folder.join("m.onnx");
    let out = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args([
            "compile".as_ref(),
            spec.as_os_str(),
            "-o".as_ref(),
            model.as_os_str(),
        ])
        .arg("--external-data-threshold")
        .arg("0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(names(&folder).len(), 2, "{:?}", names(&folder));
    let verified = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .arg("verify")
        .arg(&model)
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", text(&verified.stdout));
}

#[test]
fn external_data_with_nothing_large_enough_writes_no_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("tiny.rnn");
    fs::write(&spec, "SimpleRNN(2, input_shape=(None, 2))\n").unwrap();
    let model = dir.path().join("tiny.onnx");
    let out = rnnc(&["compile", s(&spec), "-o", s(&model), "--external-data"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("no tensor large enough"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(names(dir.path()), ["tiny.onnx", "tiny.rnn"]);
}

#[test]
fn an_interrupted_compile_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("big.rnn");
    // 4·(1500·1500·2 + 2·1500) floats: 72 MB of weights, written for long
    // enough to be interrupted in the middle (glorot_uniform: the orthogonal
    // default would spend minutes on its QR in a debug build first).
    fs::write(
        &spec,
        "LSTM(1500, recurrent_initializer='glorot_uniform', input_shape=(None, 1500))\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let model = out_dir.join("big.onnx");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(["compile", s(&spec), "-o", s(&model), "--external-data"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut caught = false;
    while started.elapsed() < std::time::Duration::from_secs(120) {
        if names(&out_dir).iter().any(|n| n.ends_with(".tmp")) {
            caught = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    assert!(
        caught,
        "the compile ended before its temporary file was seen"
    );
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let out = child.wait_with_output().unwrap();
    // The signal may land just after the last rename: then the pair is
    // complete and the compile succeeded.
    match out.status.code() {
        Some(130) => assert_eq!(
            names(&out_dir),
            Vec::<String>::new(),
            "{}",
            text(&out.stderr)
        ),
        Some(0) => assert_eq!(names(&out_dir).len(), 2, "{:?}", names(&out_dir)),
        other => panic!("exit {other:?}: {}", text(&out.stderr)),
    }
}

#[test]
fn a_closed_stdout_is_an_error_and_a_full_stderr_no_panic() {
    let (_dir, spec) = workspace();
    let closed = Command::new("sh")
        .args(["-c", "exec \"$0\" summary \"$1\" >&-"])
        .arg(env!("CARGO_BIN_EXE_rnnc"))
        .arg(&spec)
        .output()
        .unwrap();
    assert_refused(&closed, &["standard output is closed"]);
    let to_null = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(["summary", s(&spec)])
        .stdout(fs::File::create("/dev/null").unwrap())
        .output()
        .unwrap();
    assert!(to_null.status.success());

    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let failed = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(["summary", "/nonexistent/spec.rnn"])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    let ok = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(["summary", s(&spec)])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
}
