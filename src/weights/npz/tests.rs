//! Weights-file tests: the three key styles on real Keras exports, and each
//! error class on files written here.

use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{NpzReader, NpzWriter};

use super::*;
use crate::testing::{fixture, gru, info, model, simple_rnn};
use crate::weights::initialize;

fn tutorial() -> ModelInfo {
    info(&model(&[Some(2), Some(10)], vec![simple_rnn(3).layer()]))
}

/// Writes `arrays` (name, shape) filled with a ramp, as float32.
fn write(dir: &Path, file: &str, arrays: &[(&str, &[usize])]) -> PathBuf {
    let path = dir.join(file);
    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    for (name, shape) in arrays {
        let n: usize = shape.iter().product();
        let a = ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|v| v as f32).collect()).unwrap();
        npz.add_array(*name, &a).unwrap();
    }
    npz.finish().unwrap();
    path
}

fn problems(err: WeightsError) -> Vec<String> {
    match err {
        WeightsError::Mismatch { problems, .. } => problems.iter().map(|p| p.to_string()).collect(),
        other => panic!("expected a mismatch, got {other}"),
    }
}

#[test]
fn three_key_styles_load_the_same_keras_weights() {
    let info = tutorial();
    let short = load_npz(&fixture("tutorial_simple_rnn", "weights.npz"), &info).unwrap();
    let full = load_npz(
        &fixture("tutorial_simple_rnn", "weights_fullpath.npz"),
        &info,
    )
    .unwrap();
    let positional = load_npz(
        &fixture("tutorial_simple_rnn", "weights_positional.npz"),
        &info,
    )
    .unwrap();
    assert_eq!(short, full);
    assert_eq!(short, positional);
    assert!(short.matches(&info));
    assert!(short.iter().any(|a| a.iter().any(|&v| v != 0.0)));
}

#[test]
fn float64_arrays_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.npz");
    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    for (name, shape) in [
        ("simple_rnn/kernel", vec![10, 3]),
        ("simple_rnn/recurrent_kernel", vec![3, 3]),
        ("simple_rnn/bias", vec![3]),
    ] {
        npz.add_array(name, &ArrayD::<f64>::from_elem(IxDyn(&shape), 0.5))
            .unwrap();
    }
    npz.finish().unwrap();
    let weights = load_npz(&path, &tutorial()).unwrap();
    assert!(weights.iter().all(|a| a.iter().all(|&v| v == 0.5)));
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "w.npz",
        &[
            ("simple_rnn/kernel", &[3, 10]),
            ("simple_rnn/recurent_kernel", &[3, 3]),
        ],
    );
    let err = load_npz(&path, &tutorial()).unwrap_err();
    assert!(err.to_string().starts_with("weights file `"));
    assert_eq!(
        problems(err),
        [
            "unexpected weight `simple_rnn/recurent_kernel` (hint: did you mean `simple_rnn/recurrent_kernel`?)",
            "weight `simple_rnn/kernel` of layer `simple_rnn`: expected shape (10, 3), found (3, 10) (hint: this is the transpose of the expected shape; Keras kernels are (input_dim, gates*units))",
            "missing weight `simple_rnn/recurrent_kernel` (layer `simple_rnn`, expected shape (3, 3))",
            "missing weight `simple_rnn/bias` (layer `simple_rnn`, expected shape (3,))",
        ]
    );
}

#[test]
fn gru_bias_of_the_other_reset_mode_gets_a_hint() {
    let info = info(&model(&[Some(6), Some(5)], vec![gru(4).layer()]));
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "w.npz",
        &[
            ("gru/kernel", &[5, 12]),
            ("gru/recurrent_kernel", &[4, 12]),
            ("gru/bias", &[12]),
        ],
    );
    assert_eq!(
        problems(load_npz(&path, &info).unwrap_err()),
        ["weight `gru/bias` of layer `gru`: expected shape (2, 12), found (12,) (hint: the model's GRU has reset_after=True (bias of 2 rows); this bias fits reset_after=False)"]
    );
}

#[test]
fn mixed_key_styles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "w.npz",
        &[
            ("simple_rnn/kernel", &[10, 3]),
            (
                "sequential/simple_rnn/simple_rnn_cell/recurrent_kernel",
                &[3, 3],
            ),
            ("arr_2", &[3]),
        ],
    );
    assert_eq!(
        problems(load_npz(&path, &tutorial()).unwrap_err()),
        ["the file mixes key styles (short keys (`simple_rnn/kernel`), full Keras paths (`sequential/simple_rnn/simple_rnn_cell/recurrent_kernel`), positional names (`arr_2`)); use one style for every array"]
    );
}

#[test]
fn positional_files_report_missing_and_extra_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "w.npz",
        &[("arr_0", &[10, 3]), ("arr_1", &[3, 3]), ("arr_3", &[3])],
    );
    assert_eq!(
        problems(load_npz(&path, &tutorial()).unwrap_err()),
        [
            "unexpected weight `arr_3` (hint: did you mean `arr_0`?)",
            "missing weight `arr_2` (layer `simple_rnn`, expected shape (3,))",
        ]
    );
}

#[test]
fn wrong_dtype_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.npz");
    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    npz.add_array("simple_rnn/kernel", &ArrayD::<i32>::zeros(IxDyn(&[10, 3])))
        .unwrap();
    npz.add_array(
        "simple_rnn/recurrent_kernel",
        &ArrayD::<f32>::zeros(IxDyn(&[3, 3])),
    )
    .unwrap();
    npz.add_array("simple_rnn/bias", &ArrayD::<f32>::zeros(IxDyn(&[3])))
        .unwrap();
    npz.finish().unwrap();
    let p = problems(load_npz(&path, &tutorial()).unwrap_err());
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("weight `simple_rnn/kernel` has dtype `"),
        "{}",
        p[0]
    );
    assert!(
        p[0].ends_with("; expected float32 (or float64)"),
        "{}",
        p[0]
    );
}

#[test]
fn unreadable_and_non_npz_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.npz");
    assert!(matches!(
        load_npz(&missing, &tutorial()),
        Err(WeightsError::File(_))
    ));
    let text = dir.path().join("w.npz");
    std::fs::write(&text, "not a zip").unwrap();
    let err = load_npz(&text, &tutorial()).unwrap_err();
    assert!(matches!(err, WeightsError::NotNpz { .. }), "{err}");
    assert!(err.to_string().contains("is not an npz file"));
}

#[test]
fn save_then_load_round_trips_with_short_keys() {
    let info = tutorial();
    let weights = initialize(&info, 42).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.npz");
    save_npz(&path, &info, &weights).unwrap();
    assert_eq!(load_npz(&path, &info).unwrap(), weights);
    let mut npz = NpzReader::new(File::open(&path).unwrap()).unwrap();
    assert_eq!(
        npz.names().unwrap(),
        [
            "simple_rnn/kernel",
            "simple_rnn/recurrent_kernel",
            "simple_rnn/bias"
        ]
    );
    // Only the final file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn sha256_of_a_known_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abc");
    std::fs::write(&path, "abc").unwrap();
    assert_eq!(
        sha256_file(&path).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

fn hostile(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hostile")
        .join(file)
}

#[test]
fn savez_compressed_files_load_like_plain_ones() {
    let info = tutorial();
    let plain = load_npz(&fixture("tutorial_simple_rnn", "weights.npz"), &info).unwrap();
    let compressed = load_npz(&hostile("compressed.npz"), &info).unwrap();
    assert_eq!(plain, compressed);
}

#[test]
fn a_member_holding_less_than_its_header_declares_is_refused() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.npz");
    let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
    let header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }";
    let mut member = b"\x93NUMPY\x01\x00".to_vec();
    let pad = (64 - (10 + header.len() + 1) % 64) % 64;
    member.extend_from_slice(&((header.len() + pad + 1) as u16).to_le_bytes());
    member.extend_from_slice(header);
    member.extend(std::iter::repeat_n(b' ', pad));
    member.push(b'\n');
    member.extend_from_slice(&[0; 8]);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("simple_rnn/kernel.npy", deflated).unwrap();
    zip.write_all(&member).unwrap();
    zip.finish().unwrap();
    let p = problems(load_npz(&path, &tutorial()).unwrap_err());
    assert!(
        p.contains(
            &"weight `simple_rnn/kernel` could not be read: its header declares shape \
             (10, 3) of float32 (120 bytes of data), but it holds 8 bytes of data"
                .to_string()
        ),
        "{p:?}"
    );
}

#[test]
fn non_finite_weights_are_refused_with_their_position() {
    let p = problems(load_npz(&hostile("nan.npz"), &tutorial()).unwrap_err());
    assert_eq!(
        p,
        [
            "weight `simple_rnn/kernel` of layer `simple_rnn` holds NaN at index (1, 2) \
          (flat index 5); weights must be finite and within ±1e19"
        ]
    );
    let p = problems(load_npz(&hostile("huge.npz"), &tutorial()).unwrap_err());
    assert!(p[0].contains("holds inf at index (0, 0)"), "{p:?}");
}
