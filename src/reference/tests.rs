//! The reference interpreter against real Keras 3 outputs.
//!
//! Each test loads one `fixtures/oracle/<case>/` — its `model.rnn` through
//! the frontend and check pass, Keras' `weights.npz` — runs `input.npy` (and
//! `input_long.npy` for models with a free time axis) and compares with
//! Keras' `expected*.npz`.

use ndarray::ArrayD;

use super::{run, ReferenceError, ReferenceInput};
use crate::testing::*;
use crate::verify::reference_input;

/// Largest absolute difference accepted against Keras' f32 outputs: a few
/// hundred f32 ulps at the magnitudes involved (|y| <= ~10); Keras' and our
/// summation orders differ, nothing else should.
const KERAS_TOLERANCE: f32 = 1e-5;

fn assert_matches_keras(case: &str) {
    let oracle = oracle(case);
    let (model, info) = (&oracle.spec.model, &oracle.spec.info);
    for OracleRun {
        file,
        input,
        expected,
    } in &oracle.runs
    {
        let got = run(model, info, &oracle.weights, &[reference_input(input)])
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            got.len(),
            expected.len(),
            "{case}/{file}: number of outputs"
        );
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            assert_eq!(g.shape(), e.shape(), "{case}/{file}: output {i} shape");
            let diff = max_abs_diff(g, e).unwrap_or(f32::INFINITY);
            assert!(
                diff <= KERAS_TOLERANCE,
                "{case}/{file}: output {i} differs from Keras by {diff}"
            );
        }
    }
}

/// `oracle_tests! { case; … }`: one test per case, comparing it with Keras.
macro_rules! oracle_tests {
    ($($case:ident;)*) => {
        $(
            #[test]
            fn $case() {
                assert_matches_keras(stringify!($case));
            }
        )*
    };
}

oracle_tests! {
    tutorial_simple_rnn;
    tutorial_batch_input;
    tutorial_return_sequences;
    tutorial_deep_rnn;
    tutorial_input_layer;
    tutorial_bidirectional;
    tutorial_deep_bidirectional;
    simple_rnn_activation_elu;
    simple_rnn_activation_gelu;
    simple_rnn_activation_hard_sigmoid;
    simple_rnn_activation_linear;
    simple_rnn_activation_none;
    simple_rnn_activation_relu;
    simple_rnn_activation_selu;
    simple_rnn_activation_sigmoid;
    simple_rnn_activation_softplus;
    simple_rnn_activation_softsign;
    simple_rnn_go_backwards;
    simple_rnn_go_backwards_seq;
    simple_rnn_no_bias;
    simple_rnn_return_state;
    simple_rnn_return_state_seq;
    simple_rnn_time_none;
    simple_rnn_time_none_last;
    lstm_activation_relu;
    lstm_default;
    lstm_dropout_dense;
    lstm_fixed_batch;
    lstm_go_backwards;
    lstm_go_backwards_seq;
    lstm_no_bias;
    lstm_no_unit_forget_bias;
    lstm_recurrent_hard_sigmoid;
    lstm_return_sequences;
    lstm_return_state;
    lstm_return_state_seq;
    lstm_seq_dense_3d;
    lstm_softsign_sigmoid;
    lstm_time_none;
    gru_activation_layer;
    gru_activation_relu;
    gru_default;
    gru_go_backwards;
    gru_go_backwards_seq;
    gru_no_bias;
    gru_no_bias_reset_before;
    gru_recurrent_hard_sigmoid;
    gru_reset_before;
    gru_reset_before_seq;
    gru_reset_before_time_none;
    gru_return_sequences;
    gru_return_state;
    gru_return_state_seq;
    gru_time_none;
    bidir_simple_rnn_default_merge;
    bidir_simple_rnn_merge_ave;
    bidir_simple_rnn_merge_ave_seq;
    bidir_simple_rnn_merge_concat;
    bidir_simple_rnn_merge_concat_seq;
    bidir_simple_rnn_merge_mul;
    bidir_simple_rnn_merge_mul_seq;
    bidir_simple_rnn_merge_none;
    bidir_simple_rnn_merge_none_seq;
    bidir_simple_rnn_merge_sum;
    bidir_simple_rnn_merge_sum_seq;
    bidir_simple_rnn_return_state;
    bidir_simple_rnn_time_none_last;
    bidir_lstm_merge_ave;
    bidir_lstm_merge_ave_seq;
    bidir_lstm_merge_concat;
    bidir_lstm_merge_concat_seq;
    bidir_lstm_merge_mul;
    bidir_lstm_merge_mul_seq;
    bidir_lstm_merge_none;
    bidir_lstm_merge_none_seq;
    bidir_lstm_merge_sum;
    bidir_lstm_merge_sum_seq;
    bidir_lstm_return_state;
    bidir_lstm_return_state_seq;
    bidir_lstm_stacked_time_none;
    bidir_gru_merge_ave;
    bidir_gru_merge_ave_seq;
    bidir_gru_merge_concat;
    bidir_gru_merge_concat_seq;
    bidir_gru_merge_mul;
    bidir_gru_merge_mul_seq;
    bidir_gru_merge_none;
    bidir_gru_merge_none_seq;
    bidir_gru_merge_sum;
    bidir_gru_merge_sum_seq;
    bidir_gru_reset_before_seq;
    bidir_gru_return_state;
    bidir_gru_return_state_seq;
    encoder_bidir_gru_stacked_time_none;
    rnn_dense_default_activation;
    rnn_dense_linear;
    rnn_dense_relu;
    rnn_dense_sigmoid;
    rnn_dense_softmax;
    rnn_dense_tanh;
    rnn_time_distributed_softmax;
    stacked_lstm_gru_simple_rnn;
    tagger_lstm_time_distributed;
    embedding_lstm_dense;
    embedding_input_length_lstm_dense;
    embedding_gru_time_none;
    text_classifier_bidir_lstm;
}

#[test]
fn every_oracle_case_is_covered() {
    let source = include_str!("tests.rs");
    let missing: Vec<String> = oracle_cases()
        .into_iter()
        .filter(|case| !source.contains(&format!("    {case};")))
        .collect();
    assert!(
        missing.is_empty(),
        "oracle cases without a reference test: {missing:?}"
    );
}

#[test]
fn input_errors_name_the_problem() {
    let m = model(&[Some(2), Some(10)], vec![simple_rnn(3).layer()]);
    let info = info(&m);
    let weights = crate::weights::initialize(&info, 0).unwrap();
    let float = |shape: &[usize]| ReferenceInput::Float(ArrayD::zeros(shape));
    let err = run(&m, &info, &weights, &[float(&[3, 2])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input of shape (3, 2) has rank 2; the model expects shape (None, 2, 10)"
    );
    let err = run(&m, &info, &weights, &[float(&[3, 2, 9])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input of shape (3, 2, 9) does not fit the model input (None, 2, 10): axis 2 is 9, expected 10"
    );
    let ids = ReferenceInput::Ids(ArrayD::zeros(&[3, 2, 10][..]));
    assert_eq!(
        run(&m, &info, &weights, std::slice::from_ref(&ids)).unwrap_err(),
        ReferenceError::IdsToFloatModel
    );

    let e = model(&[Some(3)], vec![embedding(5, 2), lstm(2).layer()]);
    let info = crate::testing::info(&e);
    let weights = crate::weights::initialize(&info, 0).unwrap();
    let ids = ReferenceInput::Ids(ndarray::array![[0i64, 4, 1], [2, 5, 0]].into_dyn());
    assert_eq!(
        run(&e, &info, &weights, std::slice::from_ref(&ids)).unwrap_err().to_string(),
        "token id 5 at position [1, 1] is out of range for Embedding `embedding` (ids must be in 0..5)"
    );
    assert_eq!(
        run(&e, &info, &weights, &[float(&[2, 3])]).unwrap_err(),
        ReferenceError::FloatInputToEmbedding
    );
}
