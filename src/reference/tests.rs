//! The reference interpreter against real Keras 3 outputs.
//!
//! Each test builds by hand the IR of one `fixtures/oracle/<case>/model.rnn`,
//! loads the case's `weights.npz`, runs `input.npy` (and `input_long.npy` for
//! models with a free time axis) and compares with Keras' `expected*.npz`.

use ndarray::ArrayD;

use super::testing::*;
use super::{run, ReferenceError, ReferenceInput};
use crate::ir::{Activation as A, MergeMode as M, Model};
use crate::weights::load_npz;

/// Largest absolute difference accepted against Keras' f32 outputs: a few
/// hundred f32 ulps at the magnitudes involved (|y| <= ~10); Keras' and our
/// summation orders differ, nothing else should.
const KERAS_TOLERANCE: f32 = 1e-5;

fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn assert_matches_keras(case: &str, model: Model) {
    let info = info(&model);
    let weights =
        load_npz(&fixture(case, "weights.npz"), &info).unwrap_or_else(|e| panic!("{case}: {e}"));
    let mut runs = vec![("input.npy", "expected.npz")];
    if fixture(case, "input_long.npy").exists() {
        runs.push(("input_long.npy", "expected_long.npz"));
    }
    for (input, expected) in runs {
        let x = read_input(&fixture(case, input));
        let expected = read_expected(&fixture(case, expected));
        let got = run(&model, &info, &weights, &x).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            got.len(),
            expected.len(),
            "{case}/{input}: number of outputs"
        );
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g.shape(), e.shape(), "{case}/{input}: output {i} shape");
            let diff = max_abs_diff(g, e);
            assert!(
                diff <= KERAS_TOLERANCE,
                "{case}/{input}: output {i} differs from Keras by {diff}"
            );
        }
    }
}

/// `oracle!(case, model)`: a test comparing the case with Keras.
macro_rules! oracle {
    ($($case:ident: $model:expr;)*) => {
        $(
            #[test]
            fn $case() {
                assert_matches_keras(stringify!($case), $model);
            }
        )*
    };
}

const T5F3: &[Option<u64>] = &[Some(5), Some(3)];
const T5F4: &[Option<u64>] = &[Some(5), Some(4)];
const T6F4: &[Option<u64>] = &[Some(6), Some(4)];
const T6F5: &[Option<u64>] = &[Some(6), Some(5)];
const T10F5: &[Option<u64>] = &[Some(10), Some(5)];
const T2F10: &[Option<u64>] = &[Some(2), Some(10)];
const FREE_F3: &[Option<u64>] = &[None, Some(3)];
const FREE_F4: &[Option<u64>] = &[None, Some(4)];
const FREE_F5: &[Option<u64>] = &[None, Some(5)];

fn bidi_simple_4x() -> Vec<crate::ir::Layer> {
    (0..4)
        .map(|_| simple_rnn(8).seq().bidi(M::Concat))
        .collect()
}

oracle! {
    tutorial_simple_rnn: model(T2F10, vec![simple_rnn(3).layer()]);
    tutorial_batch_input: model_with_batch(Some(8), T2F10, vec![simple_rnn(3).layer()]);
    tutorial_return_sequences: model_with_batch(Some(8), T2F10, vec![simple_rnn(3).seq().layer()]);
    tutorial_deep_rnn: model(T10F5, vec![simple_rnn(8).seq().layer(), simple_rnn(8).seq().layer()]);
    tutorial_input_layer: model_with_batch(Some(4), T10F5, vec![simple_rnn(8).layer()]);
    tutorial_bidirectional: model(T10F5, vec![simple_rnn(8).seq().bidi(M::Concat)]);
    tutorial_deep_bidirectional: model(T10F5, bidi_simple_4x());

    simple_rnn_activation_elu: model(T6F4, vec![simple_rnn(5).act(A::Elu).layer()]);
    simple_rnn_activation_gelu: model(T6F4, vec![simple_rnn(5).act(A::Gelu).layer()]);
    simple_rnn_activation_hard_sigmoid: model(T6F4, vec![simple_rnn(5).act(A::HardSigmoid).seq().layer()]);
    simple_rnn_activation_linear: model(T6F4, vec![simple_rnn(5).act(A::Linear).layer()]);
    simple_rnn_activation_none: model(T6F4, vec![simple_rnn(5).act(A::Linear).seq().layer()]);
    simple_rnn_activation_relu: model(T6F4, vec![simple_rnn(5).act(A::Relu).layer()]);
    simple_rnn_activation_selu: model(T6F4, vec![simple_rnn(5).act(A::Selu).layer()]);
    simple_rnn_activation_sigmoid: model(T6F4, vec![simple_rnn(5).act(A::Sigmoid).layer()]);
    simple_rnn_activation_softplus: model(T6F4, vec![simple_rnn(5).act(A::Softplus).layer()]);
    simple_rnn_activation_softsign: model(T6F4, vec![simple_rnn(5).act(A::Softsign).layer()]);
    simple_rnn_go_backwards: model(T6F4, vec![simple_rnn(5).back().layer()]);
    simple_rnn_go_backwards_seq: model(T6F4, vec![simple_rnn(5).back().seq().layer()]);
    simple_rnn_no_bias: model(T6F4, vec![simple_rnn(5).no_bias().layer()]);
    simple_rnn_return_state: model(T6F4, vec![simple_rnn(5).state().layer()]);
    simple_rnn_return_state_seq: model(T6F4, vec![simple_rnn(5).seq().state().layer()]);
    simple_rnn_time_none: model(FREE_F4, vec![simple_rnn(5).seq().layer()]);
    simple_rnn_time_none_last: model(FREE_F4, vec![simple_rnn(5).layer()]);

    lstm_activation_relu: model(T5F3, vec![lstm(6).act(A::Relu).seq().layer()]);
    lstm_default: model(T5F3, vec![lstm(6).layer()]);
    lstm_dropout_dense: model(T5F4, vec![
        lstm(6).seq().layer(), dropout(0.2), lstm(4).layer(), dropout(0.2), dense(1, A::Sigmoid),
    ]);
    lstm_fixed_batch: model_with_batch(Some(4), T5F3, vec![lstm(6).layer(), dense(2, A::Linear)]);
    lstm_go_backwards: model(T5F3, vec![lstm(6).back().layer()]);
    lstm_go_backwards_seq: model(T5F3, vec![lstm(6).back().seq().layer()]);
    lstm_no_bias: model(T5F3, vec![lstm(6).no_bias().layer()]);
    lstm_no_unit_forget_bias: model(T5F3, vec![lstm(6).no_forget_bias().layer()]);
    lstm_recurrent_hard_sigmoid: model(T5F3, vec![lstm(6).ract(A::HardSigmoid).seq().layer()]);
    lstm_return_sequences: model(T5F3, vec![lstm(6).seq().layer()]);
    lstm_return_state: model(T5F3, vec![lstm(6).state().layer()]);
    lstm_return_state_seq: model(T5F3, vec![lstm(6).seq().state().layer()]);
    lstm_seq_dense_3d: model(T5F4, vec![lstm(6).seq().layer(), dense(3, A::Tanh)]);
    lstm_softsign_sigmoid: model(T5F3, vec![lstm(6).act(A::Softsign).layer()]);
    lstm_time_none: model(FREE_F3, vec![lstm(6).seq().layer()]);

    gru_activation_layer: model(T5F4, vec![
        gru(6).layer(), activation(A::Relu), dense(3, A::Linear), activation(A::Softmax),
    ]);
    gru_activation_relu: model(T6F5, vec![gru(4).act(A::Relu).seq().layer()]);
    gru_default: model(T6F5, vec![gru(4).layer()]);
    gru_go_backwards: model(T6F5, vec![gru(4).back().layer()]);
    gru_go_backwards_seq: model(T6F5, vec![gru(4).back().seq().layer()]);
    gru_no_bias: model(T6F5, vec![gru(4).no_bias().layer()]);
    gru_no_bias_reset_before: model(T6F5, vec![gru(4).no_bias().reset_before().layer()]);
    gru_recurrent_hard_sigmoid: model(T6F5, vec![gru(4).ract(A::HardSigmoid).seq().layer()]);
    gru_reset_before: model(T6F5, vec![gru(4).reset_before().layer()]);
    gru_reset_before_seq: model(T6F5, vec![gru(4).reset_before().seq().layer()]);
    gru_reset_before_time_none: model(FREE_F5, vec![gru(4).reset_before().layer()]);
    gru_return_sequences: model(T6F5, vec![gru(4).seq().layer()]);
    gru_return_state: model(T6F5, vec![gru(4).state().layer()]);
    gru_return_state_seq: model(T6F5, vec![gru(4).seq().state().layer()]);
    gru_time_none: model(FREE_F5, vec![gru(4).seq().layer()]);

    bidir_simple_rnn_default_merge: model(T5F4, vec![simple_rnn(3).bidi(M::Concat)]);
    bidir_simple_rnn_merge_ave: model(T5F4, vec![simple_rnn(3).bidi(M::Ave)]);
    bidir_simple_rnn_merge_ave_seq: model(T5F4, vec![simple_rnn(3).seq().bidi(M::Ave)]);
    bidir_simple_rnn_merge_concat: model(T5F4, vec![simple_rnn(3).bidi(M::Concat)]);
    bidir_simple_rnn_merge_concat_seq: model(T5F4, vec![simple_rnn(3).seq().bidi(M::Concat)]);
    bidir_simple_rnn_merge_mul: model(T5F4, vec![simple_rnn(3).bidi(M::Mul)]);
    bidir_simple_rnn_merge_mul_seq: model(T5F4, vec![simple_rnn(3).seq().bidi(M::Mul)]);
    bidir_simple_rnn_merge_none: model(T5F4, vec![simple_rnn(3).bidi(M::None)]);
    bidir_simple_rnn_merge_none_seq: model(T5F4, vec![simple_rnn(3).seq().bidi(M::None)]);
    bidir_simple_rnn_merge_sum: model(T5F4, vec![simple_rnn(3).bidi(M::Sum)]);
    bidir_simple_rnn_merge_sum_seq: model(T5F4, vec![simple_rnn(3).seq().bidi(M::Sum)]);
    bidir_simple_rnn_return_state: model(T5F4, vec![simple_rnn(3).state().bidi(M::Concat)]);
    bidir_simple_rnn_time_none_last: model(FREE_F4, vec![simple_rnn(3).bidi(M::Concat)]);

    bidir_lstm_merge_ave: model(T5F4, vec![lstm(3).bidi(M::Ave)]);
    bidir_lstm_merge_ave_seq: model(T5F4, vec![lstm(3).seq().bidi(M::Ave)]);
    bidir_lstm_merge_concat: model(T5F4, vec![lstm(3).bidi(M::Concat)]);
    bidir_lstm_merge_concat_seq: model(T5F4, vec![lstm(3).seq().bidi(M::Concat)]);
    bidir_lstm_merge_mul: model(T5F4, vec![lstm(3).bidi(M::Mul)]);
    bidir_lstm_merge_mul_seq: model(T5F4, vec![lstm(3).seq().bidi(M::Mul)]);
    bidir_lstm_merge_none: model(T5F4, vec![lstm(3).bidi(M::None)]);
    bidir_lstm_merge_none_seq: model(T5F4, vec![lstm(3).seq().bidi(M::None)]);
    bidir_lstm_merge_sum: model(T5F4, vec![lstm(3).bidi(M::Sum)]);
    bidir_lstm_merge_sum_seq: model(T5F4, vec![lstm(3).seq().bidi(M::Sum)]);
    bidir_lstm_return_state: model(T5F4, vec![lstm(3).state().bidi(M::Concat)]);
    bidir_lstm_return_state_seq: model(T5F4, vec![lstm(3).seq().state().bidi(M::Sum)]);
    bidir_lstm_stacked_time_none: model(FREE_F4, vec![
        lstm(3).seq().bidi(M::Concat), lstm(3).seq().bidi(M::Concat),
    ]);

    bidir_gru_merge_ave: model(T5F4, vec![gru(3).bidi(M::Ave)]);
    bidir_gru_merge_ave_seq: model(T5F4, vec![gru(3).seq().bidi(M::Ave)]);
    bidir_gru_merge_concat: model(T5F4, vec![gru(3).bidi(M::Concat)]);
    bidir_gru_merge_concat_seq: model(T5F4, vec![gru(3).seq().bidi(M::Concat)]);
    bidir_gru_merge_mul: model(T5F4, vec![gru(3).bidi(M::Mul)]);
    bidir_gru_merge_mul_seq: model(T5F4, vec![gru(3).seq().bidi(M::Mul)]);
    bidir_gru_merge_none: model(T5F4, vec![gru(3).bidi(M::None)]);
    bidir_gru_merge_none_seq: model(T5F4, vec![gru(3).seq().bidi(M::None)]);
    bidir_gru_merge_sum: model(T5F4, vec![gru(3).bidi(M::Sum)]);
    bidir_gru_merge_sum_seq: model(T5F4, vec![gru(3).seq().bidi(M::Sum)]);
    bidir_gru_reset_before_seq: model(T5F4, vec![gru(3).reset_before().seq().bidi(M::Concat)]);
    bidir_gru_return_state: model(T5F4, vec![gru(3).state().bidi(M::Concat)]);
    bidir_gru_return_state_seq: model(T5F4, vec![gru(3).seq().state().bidi(M::Ave)]);
    encoder_bidir_gru_stacked_time_none: model(FREE_F4, vec![
        gru(5).seq().bidi(M::Concat), gru(5).seq().bidi(M::Sum), gru(4).bidi(M::Concat),
    ]);

    rnn_dense_default_activation: model(T5F4, vec![gru(6).layer(), dense(2, A::Linear)]);
    rnn_dense_linear: model(T5F4, vec![simple_rnn(6).layer(), dense(3, A::Linear)]);
    rnn_dense_relu: model(T5F4, vec![simple_rnn(6).layer(), dense(3, A::Relu)]);
    rnn_dense_sigmoid: model(T5F4, vec![simple_rnn(6).layer(), dense(3, A::Sigmoid)]);
    rnn_dense_softmax: model(T5F4, vec![simple_rnn(6).layer(), dense(3, A::Softmax)]);
    rnn_dense_tanh: model(T5F4, vec![simple_rnn(6).layer(), dense(3, A::Tanh)]);
    rnn_time_distributed_softmax: model(T5F4, vec![
        simple_rnn(6).seq().layer(), time_distributed(5, A::Softmax),
    ]);
    stacked_lstm_gru_simple_rnn: Model {
        name: Some("stacked".into()),
        ..model(&[Some(6), Some(4)], vec![
            lstm(8).seq().layer(), gru(6).seq().layer(), simple_rnn(5).layer(), dense(2, A::Softmax),
        ])
    };
    tagger_lstm_time_distributed: model(T6F5, vec![lstm(8).seq().layer(), time_distributed(5, A::Softmax)]);

    embedding_lstm_dense: model(&[Some(6)], vec![embedding(50, 8), lstm(5).layer(), dense(1, A::Sigmoid)]);
    embedding_input_length_lstm_dense: model(&[Some(6)], vec![embedding(50, 8), lstm(5).layer(), dense(1, A::Sigmoid)]);
    embedding_gru_time_none: model(&[None], vec![embedding(30, 6), gru(4).seq().layer()]);
    text_classifier_bidir_lstm: Model {
        name: Some("text_classifier".into()),
        ..model(&[Some(7)], vec![embedding(40, 8), lstm(6).bidi(M::Concat), dense(1, A::Sigmoid)])
    };
}

#[test]
fn every_oracle_case_is_covered() {
    let source = include_str!("tests.rs");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/oracle");
    let mut missing: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .filter(|case| !source.contains(&format!("    {case}: ")))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "oracle cases without a reference test: {missing:?}"
    );
}

#[test]
fn input_errors_name_the_problem() {
    let m = model(T2F10, vec![simple_rnn(3).layer()]);
    let info = info(&m);
    let weights = crate::weights::initialize(&info, 0);
    let float = |shape: &[usize]| ReferenceInput::Float(ArrayD::zeros(shape));
    let err = run(&m, &info, &weights, &float(&[3, 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input of shape (3, 2) has rank 2; the model expects shape (None, 2, 10)"
    );
    let err = run(&m, &info, &weights, &float(&[3, 2, 9])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input of shape (3, 2, 9) does not fit the model input (None, 2, 10): axis 2 is 9, expected 10"
    );
    let ids = ReferenceInput::Ids(ArrayD::zeros(&[3, 2, 10][..]));
    assert_eq!(
        run(&m, &info, &weights, &ids).unwrap_err(),
        ReferenceError::IdsToFloatModel
    );

    let e = model(&[Some(3)], vec![embedding(5, 2), lstm(2).layer()]);
    let info = super::testing::info(&e);
    let weights = crate::weights::initialize(&info, 0);
    let ids = ReferenceInput::Ids(ndarray::array![[0i64, 4, 1], [2, 5, 0]].into_dyn());
    assert_eq!(
        run(&e, &info, &weights, &ids).unwrap_err().to_string(),
        "token id 5 at position [1, 1] is out of range for Embedding `embedding` (ids must be in 0..5)"
    );
    assert_eq!(
        run(&e, &info, &weights, &float(&[2, 3])).unwrap_err(),
        ReferenceError::FloatInputToEmbedding
    );
}
