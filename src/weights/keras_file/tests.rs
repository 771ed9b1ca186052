//! Keras 3 weight files written by real Keras (fixtures/keras_files, made by
//! scripts/make_keras_files.py) must load to exactly the arrays of the oracle
//! case's weights.npz; every way a file can be wrong gets a clear error.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::check::ModelInfo;
use crate::spec::Spec;
use crate::testing::fixture as oracle;
use crate::weights::{load, load_npz, WeightsError};

/// The oracle cases scripts/make_keras_files.py wrote Keras files for.
const CASES: [&str; 8] = [
    "tutorial_simple_rnn",
    "tutorial_deep_bidirectional",
    "lstm_return_state_seq",
    "gru_reset_before_seq",
    "bidir_gru_merge_ave_seq",
    "text_classifier_bidir_lstm",
    "tagger_lstm_time_distributed",
    "stacked_lstm_gru_simple_rnn",
];

pub(super) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub(super) fn keras_file(case: &str, file: &str) -> PathBuf {
    root().join("keras_files").join(case).join(file)
}

/// The model of an oracle case, parsed and checked from its model.rnn.
pub(super) fn case_info(case: &str) -> ModelInfo {
    Spec::load(&oracle(case, "model.rnn"))
        .unwrap_or_else(|e| panic!("{case}: {e}"))
        .info
}

pub(super) fn spec_info(source: &str) -> ModelInfo {
    Spec::from_source(source.to_string(), "test.rnn")
        .unwrap_or_else(|e| panic!("{e}"))
        .info
}

/// The rendered error, with the fixture directory replaced by `<fixtures>`.
pub(super) fn error_text(result: Result<crate::weights::Weights, WeightsError>) -> String {
    let err = result.expect_err("expected an error");
    err.to_string()
        .replace(&root().display().to_string(), "<fixtures>")
}

#[test]
fn keras_files_load_the_same_weights_as_the_npz() {
    for case in CASES {
        let info = case_info(case);
        let npz = load_npz(&oracle(case, "weights.npz"), &info).unwrap();
        for file in ["model.weights.h5", "model.keras"] {
            let loaded = load(&keras_file(case, file), &info)
                .unwrap_or_else(|e| panic!("{case}/{file}: {e}"));
            assert_eq!(loaded, npz, "{case}/{file}");
        }
    }
}

#[test]
fn npz_files_still_load_through_the_dispatcher() {
    let info = case_info("tutorial_simple_rnn");
    for file in [
        "weights.npz",
        "weights_positional.npz",
        "weights_fullpath.npz",
    ] {
        let path = oracle("tutorial_simple_rnn", file);
        assert_eq!(load(&path, &info).unwrap(), load_npz(&path, &info).unwrap());
    }
}

#[test]
fn layers_are_matched_by_class_and_position_not_by_saved_name() {
    // Saved from a model whose layer Keras named `simple_rnn_1`.
    let info = case_info("tutorial_simple_rnn");
    let npz = load_npz(&oracle("tutorial_simple_rnn", "weights.npz"), &info).unwrap();
    for file in ["model.weights.h5", "model.keras"] {
        let path = keras_file("tutorial_simple_rnn_renamed", file);
        assert_eq!(load(&path, &info).unwrap(), npz, "{file}");
    }
}

#[test]
fn float64_arrays_are_rounded_to_float32() {
    let info = case_info("tutorial_simple_rnn");
    let npz = load_npz(&oracle("tutorial_simple_rnn", "weights.npz"), &info).unwrap();
    let path = keras_file("tutorial_simple_rnn_float64", "model.weights.h5");
    assert_eq!(load(&path, &info).unwrap(), npz);
}

#[test]
fn weights_of_another_model_list_layers_and_shapes() {
    let info = case_info("lstm_return_state_seq");
    let path = keras_file("gru_reset_before_seq", "model.weights.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/gru_reset_before_seq/model.weights.h5` does not match the model:\n\
         \x20 - missing layer `layers/lstm` (layer `lstm`, expected arrays (3, 24), (6, 24), (24,))\n\
         \x20 - unexpected layer `layers/gru` (saved as `gru`, arrays (5, 12), (4, 12), (12,))"
    );
}

#[test]
fn wrong_shapes_give_expected_and_found_with_a_hint() {
    // Keras saved GRU(4, reset_after=False); this model has reset_after=True
    // and one more unit.
    let info = spec_info("Input(shape=(6, 5))\nGRU(5, return_sequences=True)\n");
    let path = keras_file("gru_reset_before_seq", "model.keras");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/gru_reset_before_seq/model.keras` does not match the model:\n\
         \x20 - weight `layers/gru/cell/vars/0` of layer `gru`: expected shape (5, 15), found (5, 12)\n\
         \x20 - weight `layers/gru/cell/vars/1` of layer `gru`: expected shape (5, 15), found (4, 12)\n\
         \x20 - weight `layers/gru/cell/vars/2` of layer `gru`: expected shape (2, 15), found (12,)"
    );
    let info = spec_info("Input(shape=(6, 5))\nGRU(4, return_sequences=True)\n");
    let text = error_text(load(&path, &info));
    assert!(
        text.ends_with(
            "weight `layers/gru/cell/vars/2` of layer `gru`: expected shape (2, 12), found (12,) \
             (hint: the model's GRU has reset_after=True (bias of 2 rows); this bias fits reset_after=False)"
        ),
        "{text}"
    );
}

#[test]
fn extra_layers_and_arrays_are_reported() {
    // The file has a Dense the model lacks, and biases the model does not use.
    let info = spec_info(
        "model = Sequential(name='stacked')\n\
         model.add(LSTM(8, return_sequences=True, input_shape=(6, 4)))\n\
         model.add(GRU(6, return_sequences=True))\n\
         model.add(SimpleRNN(5, use_bias=False))\n",
    );
    let path = keras_file("stacked_lstm_gru_simple_rnn", "model.weights.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/stacked_lstm_gru_simple_rnn/model.weights.h5` does not match the model:\n\
         \x20 - unexpected weight `layers/simple_rnn/cell/vars/2` (hint: shape (5,): a bias? the model's `simple_rnn` has use_bias=False)\n\
         \x20 - unexpected layer `layers/dense` (saved as `dense`, arrays (5, 2), (2,))"
    );
}

#[test]
fn truncated_h5_files_are_errors_not_panics() {
    let info = case_info("tutorial_deep_bidirectional");
    let bytes = std::fs::read(keras_file(
        "tutorial_deep_bidirectional",
        "model.weights.h5",
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut lengths: Vec<usize> = vec![8, 16, 64, 96, 200, 512, 800, 1024, 2048, 4096];
    lengths.extend((1..20).map(|i| bytes.len() * i / 20));
    for len in lengths {
        let path = dir.path().join("model.weights.h5");
        std::fs::write(&path, &bytes[..len]).unwrap();
        let err = load(&path, &info).expect_err("truncated file loaded");
        assert!(
            matches!(
                err,
                WeightsError::NotKerasHdf5 { .. } | WeightsError::Mismatch { .. }
            ),
            "{len} bytes: {err}"
        );
    }
}

#[test]
fn keras_archive_without_weights_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.keras");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in ["metadata.json", "config.json"] {
        zip.start_file(name, options).unwrap();
        zip.write_all(b"{}").unwrap();
    }
    zip.finish().unwrap();
    let info = case_info("tutorial_simple_rnn");
    let text = error_text(load(&path, &info));
    assert_eq!(
        text.replace(&dir.path().display().to_string(), "<dir>"),
        "`<dir>/model.keras` is not a usable .keras archive: it has no `model.weights.h5` member \
         (it holds metadata.json, config.json)"
    );
}

#[test]
fn files_of_no_known_format_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let info = case_info("tutorial_simple_rnn");
    let shown = |path: &Path, info: &ModelInfo| {
        error_text(load(path, info)).replace(&dir.path().display().to_string(), "<dir>")
    };
    let bin = dir.path().join("x.bin");
    std::fs::write(&bin, b"not weights at all").unwrap();
    assert_eq!(
        shown(&bin, &info),
        "`<dir>/x.bin` is not a weights file rnnc reads: expected .npz, .weights.h5, .h5 or .keras"
    );
    let h5 = dir.path().join("model.weights.h5");
    std::fs::write(&h5, b"").unwrap();
    assert_eq!(
        shown(&h5, &info),
        "weights file `<dir>/model.weights.h5` is not a readable Keras HDF5 weights file: \
         it does not start with the HDF5 signature"
    );
    let keras = dir.path().join("model.keras");
    std::fs::write(&keras, b"PK\x03\x04 but no archive").unwrap();
    assert!(shown(&keras, &info)
        .starts_with("`<dir>/model.keras` is not a usable .keras archive: not a zip archive"));
}

#[test]
fn corrupt_bytes_never_panic() {
    // A sweep of single-byte corruptions; a full sweep (every byte, three
    // values) also found no panic in hdf5-reader 0.12.1.
    let info = case_info("tagger_lstm_time_distributed");
    let bytes = std::fs::read(keras_file(
        "tagger_lstm_time_distributed",
        "model.weights.h5",
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.weights.h5");
    for pos in (0..bytes.len()).step_by(53) {
        let mut corrupt = bytes.clone();
        corrupt[pos] ^= 0xFF;
        std::fs::write(&path, &corrupt).unwrap();
        // Ok is possible (a flipped byte in unused space); a panic is not.
        let _ = load(&path, &info);
    }
}

fn hostile(file: &str) -> PathBuf {
    root().join("hostile").join(file)
}

#[test]
fn deflated_keras_archives_load_like_stored_ones() {
    let info = case_info("tutorial_simple_rnn");
    let stored = load(&keras_file("tutorial_simple_rnn", "model.keras"), &info).unwrap();
    let deflated = load(&hostile("deflated.keras"), &info).unwrap();
    assert_eq!(stored, deflated);
}

#[test]
fn a_weights_member_larger_than_the_model_can_need_is_refused() {
    let mut bytes = Vec::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(super::KERAS_WEIGHTS_MEMBER, deflated)
        .unwrap();
    zip.write_all(&[0; 1000]).unwrap();
    zip.finish().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let err = super::read_member(&mut archive, 100).unwrap_err();
    assert_eq!(
        err,
        "it declares 1000 bytes, more than the 100 bytes this model's weights can need"
    );
    assert_eq!(super::read_member(&mut archive, 1000).unwrap().len(), 1000);
}

#[test]
fn cyclic_linked_and_deep_groups_are_refused_without_recursing() {
    let info = case_info("tutorial_simple_rnn");
    for (file, needle) in [
        ("cycle.weights.h5", "links back to a group already read"),
        ("self_link.weights.h5", "links back to a group already read"),
        ("root_link.weights.h5", "links back to a group already read"),
        ("soft_link.weights.h5", "links back to a group already read"),
        (
            "deep.weights.h5",
            "groups nest more than 16 levels below `layers/simple_rnn`",
        ),
    ] {
        // A 256 KiB stack: a recursive walk of these files would overflow it.
        let path = hostile(file);
        let info = info.clone();
        let err = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || load(&path, &info).unwrap_err().to_string())
            .unwrap()
            .join()
            .unwrap();
        assert!(err.contains(needle), "{file}: {err}");
    }
}
