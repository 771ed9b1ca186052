//! End-to-end tests of the ONNX backend against real Keras outputs
//! (`fixtures/oracle/`), run in tract.
//!
//! Every case (its `model.rnn` through the frontend, Keras' weights) runs
//! with `Lowering::Auto` at the oracle's batch and at batch 1, and forced
//! into the Scan lowering; cases whose activations allow the native
//! operators are thereby proven in both forms. T=None cases also run their
//! T=13 input, and a fixed-batch case runs at its own batch only.

use super::test_support::check_case;
use super::Lowering;
use crate::testing::oracle;

/// Runs a case in Auto (full batch and batch 1, unless the batch is fixed)
/// and in Scan, on every input it has.
fn run(name: &str) {
    let oracle = oracle(name);
    let fixed_batch = oracle.spec.info.inputs[0].shape[0].is_some();
    for run in &oracle.runs {
        check_case(&oracle, run, Lowering::Auto, None);
        if !fixed_batch {
            check_case(&oracle, run, Lowering::Auto, Some(1));
        }
        check_case(&oracle, run, Lowering::Scan, None);
    }
}

macro_rules! oracle_tests {
    ($($name:ident;)*) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name));
            }
        )*
    };
}

oracle_tests! {
    tutorial_simple_rnn;
    tutorial_deep_bidirectional;
    lstm_return_state_seq;
    lstm_return_state;
    lstm_no_bias;
    gru_reset_before_seq;
    gru_no_bias_reset_before;
    gru_return_state_seq;
    gru_go_backwards;
    bidir_lstm_merge_none_seq;
    bidir_lstm_return_state_seq;
    bidir_simple_rnn_merge_ave_seq;
    bidir_simple_rnn_return_state;
    bidir_gru_merge_mul;
    bidir_gru_return_state;
    bidir_gru_reset_before_seq;
    simple_rnn_go_backwards_seq;
    lstm_go_backwards_seq;
    simple_rnn_activation_relu;
    simple_rnn_activation_gelu;
    simple_rnn_activation_selu;
    simple_rnn_activation_elu;
    simple_rnn_activation_softplus;
    simple_rnn_activation_hard_sigmoid;
    lstm_recurrent_hard_sigmoid;
    lstm_softsign_sigmoid;
    gru_activation_relu;
    gru_recurrent_hard_sigmoid;
    embedding_lstm_dense;
    rnn_time_distributed_softmax;
    gru_activation_layer;
    lstm_dropout_dense;
    gru_time_none;
    simple_rnn_time_none_last;
    bidir_lstm_stacked_time_none;
    embedding_gru_time_none;
    bidir_lstm_merge_concat_seq;
    bidir_lstm_merge_sum_seq;
    bidir_lstm_merge_none;
    lstm_return_sequences;
    tagger_lstm_time_distributed;
    text_classifier_bidir_lstm;
    lstm_fixed_batch;
}
