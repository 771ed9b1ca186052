//! Legacy Keras 2 HDF5 files (fixtures/keras_files/<case>/model.h5 and
//! weights.h5, made by scripts/make_keras_files.py) must load to exactly the
//! oracle case's weights.npz, matched by position as Keras' legacy loader
//! does; a file that does not fit gets every problem listed.

use super::super::tests::{case_info, error_text, keras_file, spec_info};
use crate::testing::fixture as oracle;
use crate::weights::{load, load_npz, WeightsError};

/// The oracle cases with legacy files; lstm_dropout_dense has weightless
/// Dropout layers between the layers with weights.
const CASES: [&str; 8] = [
    "tutorial_simple_rnn",
    "tutorial_deep_bidirectional",
    "lstm_return_state_seq",
    "gru_reset_before_seq",
    "text_classifier_bidir_lstm",
    "tagger_lstm_time_distributed",
    "stacked_lstm_gru_simple_rnn",
    "lstm_dropout_dense",
];

/// Keras 3's `model.save("model.h5")` (weights under `model_weights`,
/// variable-length names) and Keras 2's `save_weights("weights.h5")` (weights
/// at the root, fixed-length names with `:0`).
const FILES: [&str; 2] = ["model.h5", "weights.h5"];

#[test]
fn legacy_files_load_the_same_weights_as_the_npz() {
    for case in CASES {
        let info = case_info(case);
        let npz = load_npz(&oracle(case, "weights.npz"), &info).unwrap();
        for file in FILES {
            let loaded = load(&keras_file(case, file), &info)
                .unwrap_or_else(|e| panic!("{case}/{file}: {e}"));
            assert_eq!(loaded, npz, "{case}/{file}");
        }
    }
}

#[test]
fn chunked_names_and_float64_arrays_load() {
    // `layer_names0`, `layer_names1`, … as Keras writes past 64 KiB; float64
    // arrays are rounded to float32.
    let info = case_info("tutorial_simple_rnn");
    let npz = load_npz(&oracle("tutorial_simple_rnn", "weights.npz"), &info).unwrap();
    for file in ["weights_chunked.h5", "weights_float64.h5"] {
        let path = keras_file("tutorial_simple_rnn_legacy", file);
        assert_eq!(load(&path, &info).unwrap(), npz, "{file}");
    }
}

#[test]
fn layers_are_matched_by_position_not_by_name() {
    // The file's layer is `gru`, the model's `encoder`: Keras 2 loads it.
    let info = spec_info(
        "Input(shape=(6, 5))\n\
         GRU(4, reset_after=False, return_sequences=True, name='encoder')\n",
    );
    let case = "gru_reset_before_seq";
    let npz = load_npz(&oracle(case, "weights.npz"), &case_info(case)).unwrap();
    for file in FILES {
        assert_eq!(load(&keras_file(case, file), &info).unwrap(), npz, "{file}");
    }
}

#[test]
fn weights_of_another_model_list_every_wrong_shape() {
    let info = case_info("lstm_return_state_seq");
    let path = keras_file("gru_reset_before_seq", "weights.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/gru_reset_before_seq/weights.h5` does not match the model:\n\
         \x20 - weight `gru/gru/gru_cell/kernel:0` of layer `lstm`: expected shape (3, 24), found (5, 12)\n\
         \x20 - weight `gru/gru/gru_cell/recurrent_kernel:0` of layer `lstm`: expected shape (6, 24), found (4, 12)\n\
         \x20 - weight `gru/gru/gru_cell/bias:0` of layer `lstm`: expected shape (24,), found (12,)"
    );
}

#[test]
fn a_different_count_of_layers_with_weights_is_reported() {
    // The model has two LSTMs and a Dense; the file one LSTM.
    let info = case_info("lstm_dropout_dense");
    let path = keras_file("lstm_return_state_seq", "model.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/lstm_return_state_seq/model.h5` does not match the model:\n\
         \x20 - weight `model_weights/lstm/sequential/lstm/lstm_cell/kernel` of layer `lstm`: expected shape (4, 24), found (3, 24)\n\
         \x20 - missing layer `model_weights/lstm_1` (layer `lstm_1`, expected arrays (6, 16), (4, 16), (16,))\n\
         \x20 - missing layer `model_weights/dense` (layer `dense`, expected arrays (4, 1), (1,))"
    );
    // The file has a Dense the model lacks, and biases the model does not use.
    let info = spec_info(
        "model = Sequential(name='stacked')\n\
         model.add(LSTM(8, return_sequences=True, input_shape=(6, 4)))\n\
         model.add(GRU(6, return_sequences=True))\n\
         model.add(SimpleRNN(5, use_bias=False))\n",
    );
    let path = keras_file("stacked_lstm_gru_simple_rnn", "weights.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/stacked_lstm_gru_simple_rnn/weights.h5` does not match the model:\n\
         \x20 - unexpected weight `simple_rnn/simple_rnn/simple_rnn_cell/bias:0` \
         (hint: shape (5,): a bias? the model's `simple_rnn` has use_bias=False)\n\
         \x20 - unexpected layer `dense` (saved as `dense`, arrays (5, 2), (2,))"
    );
}

#[test]
fn wrong_shapes_give_expected_and_found_with_a_hint() {
    let info = spec_info("Input(shape=(6, 5))\nGRU(4, return_sequences=True)\n");
    let path = keras_file("gru_reset_before_seq", "model.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/gru_reset_before_seq/model.h5` does not match the model:\n\
         \x20 - weight `model_weights/gru/sequential/gru/gru_cell/bias` of layer `gru`: expected shape (2, 12), found (12,) \
         (hint: the model's GRU has reset_after=True (bias of 2 rows); this bias fits reset_after=False)"
    );
    // Embedding(8, 40) where the file has Embedding(40, 8).
    let info = spec_info(
        "model = keras.Sequential(name='text_classifier')\n\
         model.add(keras.Input(shape=(7,), dtype='int32'))\n\
         model.add(layers.Embedding(8, 40))\n\
         model.add(layers.Bidirectional(layers.LSTM(6)))\n\
         model.add(layers.Dense(1, activation='sigmoid'))\n",
    );
    let path = keras_file("text_classifier_bidir_lstm", "weights.h5");
    assert_eq!(
        error_text(load(&path, &info)),
        "weights file `<fixtures>/keras_files/text_classifier_bidir_lstm/weights.h5` does not match the model:\n\
         \x20 - weight `embedding/embedding/embeddings:0` of layer `embedding`: expected shape (8, 40), found (40, 8) \
         (hint: this is the transpose of the expected shape; Keras kernels are (input_dim, gates*units))\n\
         \x20 - weight `bidirectional/bidirectional/forward_lstm/lstm_cell/kernel:0` of layer `bidirectional`: \
         expected shape (40, 24), found (8, 24)\n\
         \x20 - weight `bidirectional/bidirectional/backward_lstm/lstm_cell/kernel:0` of layer `bidirectional`: \
         expected shape (40, 24), found (8, 24)"
    );
}

#[test]
fn truncated_legacy_files_are_errors_not_panics() {
    let info = case_info("tutorial_deep_bidirectional");
    let dir = tempfile::tempdir().unwrap();
    for file in FILES {
        let bytes = std::fs::read(keras_file("tutorial_deep_bidirectional", file)).unwrap();
        let mut lengths: Vec<usize> = vec![8, 16, 64, 96, 200, 512, 800, 1024, 2048, 4096];
        lengths.extend((1..20).map(|i| bytes.len() * i / 20));
        for len in lengths {
            let path = dir.path().join(file);
            std::fs::write(&path, &bytes[..len]).unwrap();
            let err = load(&path, &info).expect_err("truncated file loaded");
            assert!(
                matches!(
                    err,
                    WeightsError::NotKerasHdf5 { .. } | WeightsError::Mismatch { .. }
                ),
                "{file}, {len} bytes: {err}"
            );
        }
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    let info = case_info("lstm_dropout_dense");
    let dir = tempfile::tempdir().unwrap();
    for file in FILES {
        let bytes = std::fs::read(keras_file("lstm_dropout_dense", file)).unwrap();
        let path = dir.path().join(file);
        for pos in (0..bytes.len()).step_by(61) {
            let mut corrupt = bytes.clone();
            corrupt[pos] ^= 0xFF;
            std::fs::write(&path, &corrupt).unwrap();
            // Ok is possible (a flipped byte in unused space); a panic is not.
            let _ = load(&path, &info);
        }
    }
}
