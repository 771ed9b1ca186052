//! Binary inputs as an attacker (or an unlucky user) writes them: `.npy`
//! headers declaring huge shapes, deflated archives, cyclic and deep HDF5
//! groups, FIFOs and devices, non-finite values, shape mistakes, and ONNX
//! files that made tract block or panic. Every one must end in a clear error
//! with exit code 2 (or, for files users really write, in success).

#[path = "common/run.rs"]
mod run;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use prost::Message as _;
use rnnc::back::onnx::proto::ModelProto;
use run::{rnnc, root};

/// The spec every fixture of `fixtures/hostile/` holds weights for.
const SPEC: &str = "fixtures/tutorial/simple_rnn.rnn";

/// How long a command may take before it counts as hung.
const HANG: Duration = Duration::from_secs(20);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hostile(name: &str) -> PathBuf {
    root().join("fixtures/hostile").join(name)
}

/// Runs `rnnc args…`, killing it (and failing) if it takes longer than [`HANG`].
fn rnnc_bounded(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rnnc"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            child.kill().unwrap();
            panic!("rnnc {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Asserts a clean refusal: exit 2, no panic, and every `needle` in stderr.
fn refused(out: &Output, needles: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
}

/// An `.npy` file of `header` (a dict literal) followed by `data`.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.as_bytes().to_vec();
    let pad = (64 - (10 + h.len() + 1) % 64) % 64;
    h.extend(std::iter::repeat_n(b' ', pad));
    h.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&h);
    bytes.extend_from_slice(data);
    bytes
}

fn float_npy(shape: &[usize], values: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    };
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy(
        &format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}"),
        &data,
    )
}

/// Compiles [`SPEC`] (seeded) into `dir/m.onnx`.
fn compiled(dir: &Path, extra: &[&str]) -> PathBuf {
    let model = dir.join("m.onnx");
    let mut args = vec!["compile", SPEC, "-o", s(&model)];
    args.extend_from_slice(extra);
    let out = rnnc(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    model
}

const HUGE_HEADER: &str =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 10), }";

#[test]
fn npy_and_npz_headers_declaring_huge_shapes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = compiled(dir.path(), &[]);
    let x = dir.path().join("x.npy");
    std::fs::write(&x, npy(HUGE_HEADER, &[])).unwrap();
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&x)]);
    refused(
        &out,
        &[
            "x.npy",
            "declares shape (100000, 100000, 10) of float32 (400000000000 bytes of data)",
            "holds 0 bytes",
        ],
    );

    let w = dir.path().join("w.npz");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&w).unwrap());
    zip.start_file(
        "simple_rnn/kernel.npy",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut zip, &npy(HUGE_HEADER, &[])).unwrap();
    zip.finish().unwrap();
    let out = rnnc_bounded(&[
        "compile",
        SPEC,
        "--weights",
        s(&w),
        "-o",
        s(&dir.path().join("w.onnx")),
    ]);
    refused(
        &out,
        &[
            "simple_rnn/kernel",
            "expected shape (10, 3), found (100000, 100000, 10)",
        ],
    );
}

#[test]
fn compressed_npz_and_deflated_keras_archives_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for weights in ["compressed.npz", "deflated.keras"] {
        let out = rnnc_bounded(&[
            "compile",
            SPEC,
            "--weights",
            s(&hostile(weights)),
            "-o",
            s(&dir.path().join("m.onnx")),
            "--verify",
        ]);
        assert!(out.status.success(), "{weights}: {}", text(&out.stderr));
    }
}

#[test]
fn hdf5_link_cycles_and_deep_groups_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("m.onnx");
    for (file, needle) in [
        ("cycle.weights.h5", "cycle of links"),
        ("self_link.weights.h5", "cycle of links"),
        ("root_link.weights.h5", "cycle of links"),
        ("soft_link.weights.h5", "cycle of links"),
        ("deep.weights.h5", "nest more than 16 levels"),
    ] {
        let out = rnnc_bounded(&[
            "compile",
            SPEC,
            "--weights",
            s(&hostile(file)),
            "-o",
            s(&out_path),
        ]);
        refused(&out, &[file, needle]);
        assert!(!out_path.exists(), "{file}");
    }
}

#[test]
fn non_finite_and_out_of_range_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("m.onnx");
    for (file, needle) in [
        ("nan.npz", "weight `simple_rnn/kernel` of layer `simple_rnn` holds NaN at index (1, 2) (flat index 5)"),
        ("huge.npz", "weight `simple_rnn/kernel` of layer `simple_rnn` holds inf at index (0, 0) (flat index 0)"),
    ] {
        let out = rnnc_bounded(&["compile", SPEC, "--weights", s(&hostile(file)), "-o", s(&out_path)]);
        refused(&out, &[needle, "within ±1e19"]);
    }
}

#[test]
fn non_finite_inputs_need_allow_nan() {
    let dir = tempfile::tempdir().unwrap();
    let model = compiled(dir.path(), &[]);
    let x = dir.path().join("x.npy");
    let mut values = vec![0.5f32; 20];
    values[13] = f32::NAN;
    std::fs::write(&x, float_npy(&[1, 2, 10], &values)).unwrap();
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&x)]);
    refused(
        &out,
        &[
            "x.npy",
            "holds NaN at index (0, 1, 3) (flat index 13)",
            "--allow-nan",
        ],
    );
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&x), "--allow-nan"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn run_explains_shape_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let model = compiled(dir.path(), &[]);
    let input = |name: &str, shape: &[usize]| {
        let path = dir.path().join(name);
        let n = shape.iter().product::<usize>();
        std::fs::write(&path, float_npy(shape, &vec![0.25; n])).unwrap();
        path
    };
    let flat = input("flat.npy", &[2, 10]);
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&flat)]);
    refused(
        &out,
        &["has 2 axes (shape (2, 10)), the model expects 3 (batch, time, features)"],
    );
    let narrow = input("narrow.npy", &[1, 2, 7]);
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&narrow)]);
    refused(&out, &["axis 2 (features) is 7, the model expects 10"]);

    let out = rnnc_bounded(&["run", s(&model), "--input", s(&hostile("compressed.npz"))]);
    refused(
        &out,
        &[
            "compressed.npz` is an .npz archive (arrays: simple_rnn/bias, simple_rnn/kernel, simple_rnn/recurrent_kernel)",
            "np.save('x.npy', a)",
        ],
    );
}

#[test]
fn float_features_given_for_token_ids_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/oracle/text_classifier_bidir_lstm");
    let model = dir.path().join("m.onnx");
    let out = rnnc(&["compile", s(&case.join("model.rnn")), "-o", s(&model)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let x = dir.path().join("x.npy");
    std::fs::write(&x, float_npy(&[1, 7], &[1.0; 7])).unwrap();
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&x)]);
    refused(
        &out,
        &["token ids, but the array holds float32 values", "astype"],
    );
}

/// A compiled Embedding model with its rnnc metadata removed, so that run
/// has only the ONNX graph to go by.
fn foreign_embedding_model(dir: &Path) -> PathBuf {
    let case = root().join("fixtures/oracle/text_classifier_bidir_lstm");
    let model = dir.join("rnnc.onnx");
    let out = rnnc(&["compile", s(&case.join("model.rnn")), "-o", s(&model)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut proto = ModelProto::decode(std::fs::read(&model).unwrap().as_slice()).unwrap();
    proto.metadata_props.clear();
    let foreign = dir.join("foreign.onnx");
    std::fs::write(&foreign, proto.encode_to_vec()).unwrap();
    foreign
}

#[test]
fn token_ids_beyond_a_table_are_refused_before_tract() {
    let dir = tempfile::tempdir().unwrap();
    let model = foreign_embedding_model(dir.path());
    let ids = dir.path().join("ids.npy");
    let data: Vec<u8> = [1i64, 6000, 2, 3, 4, 5, 6]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(
        &ids,
        npy(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 7), }",
            &data,
        ),
    )
    .unwrap();
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&ids)]);
    refused(
        &out,
        &["holds token id 6000 at index (0, 1)", "ids must be in 0.."],
    );
}

#[test]
fn initializers_whose_dims_exceed_their_data_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = compiled(dir.path(), &[]);
    let mut proto = ModelProto::decode(std::fs::read(&model).unwrap().as_slice()).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    let tensor = graph
        .initializer
        .iter_mut()
        .find(|t| t.raw_data.as_ref().is_some_and(|r| r.len() > 16))
        .unwrap();
    tensor.dims = vec![100_000, 100_000, 10];
    let name = tensor.name.clone().unwrap();
    let bad = dir.path().join("bad.onnx");
    std::fs::write(&bad, proto.encode_to_vec()).unwrap();
    let x = dir.path().join("x.npy");
    std::fs::write(&x, float_npy(&[1, 2, 10], &[0.5; 20])).unwrap();
    let out = rnnc_bounded(&["run", s(&bad), "--input", s(&x)]);
    refused(
        &out,
        &[&format!("tensor `{name}` cannot be loaded: it declares dims [100000, 100000, 10] (400000000000 bytes of data) but holds")],
    );
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_for_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let weights = root().join("fixtures/oracle/tutorial_simple_rnn/weights.npz");
    let model = compiled(dir.path(), &["--weights", s(&weights)]);
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let x = dir.path().join("x.npy");
    std::fs::write(&x, float_npy(&[1, 2, 10], &[0.5; 20])).unwrap();
    let out_path = dir.path().join("out.onnx");
    for special in [s(&fifo), "/dev/zero", s(dir.path())] {
        let cases: [Vec<&str>; 7] = [
            vec!["run", s(&model), "--input", special],
            vec!["run", special, "--input", s(&x)],
            vec!["run", special, "--input", s(&x), "--reference"],
            vec![
                "run",
                s(&model),
                "--input",
                s(&x),
                "--reference",
                "--weights",
                special,
            ],
            vec!["inspect", special],
            vec!["compile", SPEC, "--weights", special, "-o", s(&out_path)],
            vec!["verify", s(&model), "--weights", special],
        ];
        for args in cases {
            refused(&rnnc_bounded(&args), &["not a regular file"]);
        }
    }
}

#[cfg(unix)]
#[test]
fn an_external_data_location_naming_a_fifo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Units enough for tensors past the size below which they stay inline.
    let spec = dir.path().join("m.rnn");
    std::fs::write(&spec, "SimpleRNN(64, input_shape=(None, 64))\n").unwrap();
    let model = dir.path().join("m.onnx");
    let out = rnnc(&["compile", s(&spec), "-o", s(&model), "--external-data"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The data file is `m.onnx.<hash>.data`: the one file ending in `.data`.
    let data = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "data"))
        .expect("compile wrote a .data file");
    std::fs::remove_file(&data).unwrap();
    mkfifo(&data);
    let x = dir.path().join("x.npy");
    std::fs::write(&x, float_npy(&[1, 2, 64], &[0.5; 128])).unwrap();
    let out = rnnc_bounded(&["run", s(&model), "--input", s(&x)]);
    refused(&out, &["m.onnx.", ".data", "FIFO"]);
}

#[test]
fn huge_declared_input_dims_are_refused_before_tract_allocates_them() {
    use rnnc::back::onnx::proto::{tensor_shape_proto::dimension, type_proto};
    let dir = tempfile::tempdir().unwrap();
    let model = compiled(dir.path(), &[]);
    let mut proto = ModelProto::decode(std::fs::read(&model).unwrap().as_slice()).unwrap();
    let input = &mut proto.graph.as_mut().unwrap().input[0];
    let Some(type_proto::Value::TensorType(tensor)) =
        input.r#type.as_mut().and_then(|t| t.value.as_mut())
    else {
        panic!("input without a tensor type")
    };
    let dims = &mut tensor.shape.as_mut().unwrap().dim;
    dims[0].value = Some(dimension::Value::DimValue(1_000_000_000_000));
    dims[1].value = Some(dimension::Value::DimValue(1_000_000));
    let big = dir.path().join("big.onnx");
    std::fs::write(&big, proto.encode_to_vec()).unwrap();
    let x = dir.path().join("x.npy");
    std::fs::write(&x, float_npy(&[1, 2, 10], &[0.5; 20])).unwrap();
    let out = rnnc_bounded(&["run", s(&big), "--input", s(&x)]);
    refused(
        &out,
        &["axis 0 (batch) is 1, the model expects 1000000000000"],
    );
    assert!(!text(&out.stderr).contains("tract crashed"));
}
