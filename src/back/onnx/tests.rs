//! End-to-end tests of the ONNX backend against real Keras outputs
//! (`fixtures/oracle/`), run in tract.
//!
//! Every case runs with `Lowering::Auto`, with a symbolic batch of 3 and of 1,
//! and also forced into the Scan lowering; cases whose activations allow the
//! native operators are thereby proven in both forms. T=None cases also run
//! their T=13 input through the same model.

use super::test_support::*;
use super::Lowering;
use crate::ir::{Activation, CellKind, InputDtype, LayerKind, MergeMode, Model, Recurrent};

fn rec(r: Recurrent) -> LayerKind {
    LayerKind::Recurrent(r)
}

fn seq(r: Recurrent) -> Recurrent {
    Recurrent {
        return_sequences: true,
        ..r
    }
}

fn state(r: Recurrent) -> Recurrent {
    Recurrent {
        return_state: true,
        ..r
    }
}

fn backwards(r: Recurrent) -> Recurrent {
    Recurrent {
        go_backwards: true,
        ..r
    }
}

fn act(r: Recurrent, activation: Activation) -> Recurrent {
    Recurrent { activation, ..r }
}

fn gate_act(r: Recurrent, recurrent_activation: Activation) -> Recurrent {
    Recurrent {
        recurrent_activation,
        ..r
    }
}

fn no_bias(r: Recurrent) -> Recurrent {
    Recurrent {
        use_bias: false,
        ..r
    }
}

const SIMPLE: CellKind = CellKind::SimpleRnn;
const GRU_BEFORE: CellKind = CellKind::Gru { reset_after: false };

fn f(dims: &[u64]) -> Vec<Option<u64>> {
    dims.iter().map(|&d| Some(d)).collect()
}

/// Runs a case with Auto (batch 3 and 1) and Scan; T=None cases also on the
/// long input.
fn run(name: &str, build: fn() -> Model, time_none: bool) {
    let case = load_case(name, build(), false);
    check_case(&case, Lowering::Auto, None);
    check_case(&case, Lowering::Auto, Some(1));
    check_case(&case, Lowering::Scan, None);
    if time_none {
        let long = load_case(name, build(), true);
        check_case(&long, Lowering::Auto, None);
        check_case(&long, Lowering::Scan, None);
    }
}

macro_rules! oracle {
    ($name:ident, $time_none:expr, $build:expr) => {
        #[test]
        fn $name() {
            run(stringify!($name), $build, $time_none);
        }
    };
}

oracle!(tutorial_simple_rnn, false, || model(
    &f(&[2, 10]),
    None,
    vec![rec(rnn(SIMPLE, 3))]
));
oracle!(tutorial_deep_bidirectional, false, || model(
    &f(&[10, 5]),
    None,
    vec![bidi(seq(rnn(SIMPLE, 8)), MergeMode::Concat); 4]
));
oracle!(lstm_return_state_seq, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(state(seq(rnn(LSTM, 6))))]
));
oracle!(lstm_return_state, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(state(rnn(LSTM, 6)))]
));
oracle!(lstm_no_bias, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(no_bias(rnn(LSTM, 6)))]
));
oracle!(gru_reset_before_seq, false, || model(
    &f(&[6, 5]),
    None,
    vec![rec(seq(rnn(GRU_BEFORE, 4)))]
));
oracle!(gru_no_bias_reset_before, false, || model(
    &f(&[6, 5]),
    None,
    vec![rec(no_bias(rnn(GRU_BEFORE, 4)))]
));
oracle!(gru_return_state_seq, false, || model(
    &f(&[6, 5]),
    None,
    vec![rec(state(seq(rnn(GRU, 4))))]
));
oracle!(gru_go_backwards, false, || model(
    &f(&[6, 5]),
    None,
    vec![rec(backwards(rnn(GRU, 4)))]
));
oracle!(bidir_lstm_merge_none_seq, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(seq(rnn(LSTM, 3)), MergeMode::None)]
));
oracle!(bidir_lstm_return_state_seq, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(state(seq(rnn(LSTM, 3))), MergeMode::Sum)]
));
oracle!(bidir_simple_rnn_merge_ave_seq, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(seq(rnn(SIMPLE, 3)), MergeMode::Ave)]
));
oracle!(bidir_simple_rnn_return_state, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(state(rnn(SIMPLE, 3)), MergeMode::Concat)]
));
oracle!(bidir_gru_merge_mul, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(rnn(GRU, 3), MergeMode::Mul)]
));
oracle!(bidir_gru_return_state, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(state(rnn(GRU, 3)), MergeMode::Concat)]
));
oracle!(bidir_gru_reset_before_seq, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(seq(rnn(GRU_BEFORE, 3)), MergeMode::Concat)]
));
oracle!(simple_rnn_go_backwards_seq, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(backwards(seq(rnn(SIMPLE, 5))))]
));
oracle!(lstm_go_backwards_seq, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(backwards(seq(rnn(LSTM, 6))))]
));
oracle!(simple_rnn_activation_relu, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(act(rnn(SIMPLE, 5), Activation::Relu))]
));
oracle!(simple_rnn_activation_gelu, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(act(rnn(SIMPLE, 5), Activation::Gelu))]
));
oracle!(simple_rnn_activation_selu, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(act(rnn(SIMPLE, 5), Activation::Selu))]
));
oracle!(simple_rnn_activation_elu, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(act(rnn(SIMPLE, 5), Activation::Elu))]
));
oracle!(simple_rnn_activation_softplus, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(act(rnn(SIMPLE, 5), Activation::Softplus))]
));
oracle!(simple_rnn_activation_hard_sigmoid, false, || model(
    &f(&[6, 4]),
    None,
    vec![rec(seq(act(rnn(SIMPLE, 5), Activation::HardSigmoid)))]
));
oracle!(lstm_recurrent_hard_sigmoid, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(seq(gate_act(rnn(LSTM, 6), Activation::HardSigmoid)))]
));
oracle!(lstm_softsign_sigmoid, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(act(rnn(LSTM, 6), Activation::Softsign))]
));
oracle!(gru_activation_relu, false, || model(
    &f(&[6, 5]),
    None,
    vec![rec(seq(act(rnn(GRU, 4), Activation::Relu)))]
));
oracle!(gru_recurrent_hard_sigmoid, false, || model(
    &f(&[6, 5]),
    None,
    vec![rec(seq(gate_act(rnn(GRU, 4), Activation::HardSigmoid)))]
));
oracle!(embedding_lstm_dense, false, || model(
    &f(&[6]),
    Some(InputDtype::Int32),
    vec![
        embedding(50, 8),
        rec(rnn(LSTM, 5)),
        LayerKind::Dense(dense(1, Activation::Sigmoid)),
    ]
));
oracle!(rnn_time_distributed_softmax, false, || model(
    &f(&[5, 4]),
    None,
    vec![
        rec(seq(rnn(SIMPLE, 6))),
        LayerKind::TimeDistributed(Box::new(layer(LayerKind::Dense(dense(
            5,
            Activation::Softmax
        ))))),
    ]
));
oracle!(gru_activation_layer, false, || model(
    &f(&[5, 4]),
    None,
    vec![
        rec(rnn(GRU, 6)),
        LayerKind::Activation(Activation::Relu),
        LayerKind::Dense(dense(3, Activation::Linear)),
        LayerKind::Activation(Activation::Softmax),
    ]
));
oracle!(lstm_dropout_dense, false, || model(
    &f(&[5, 4]),
    None,
    vec![
        rec(seq(rnn(LSTM, 6))),
        LayerKind::Dropout { rate: 0.2 },
        rec(rnn(LSTM, 4)),
        LayerKind::Dropout { rate: 0.2 },
        LayerKind::Dense(dense(1, Activation::Sigmoid)),
    ]
));
oracle!(gru_time_none, true, || model(
    &[None, Some(5)],
    None,
    vec![rec(seq(rnn(GRU, 4)))]
));
oracle!(simple_rnn_time_none_last, true, || model(
    &[None, Some(4)],
    None,
    vec![rec(rnn(SIMPLE, 5))]
));
oracle!(bidir_lstm_stacked_time_none, true, || model(
    &[None, Some(4)],
    None,
    vec![bidi(seq(rnn(LSTM, 3)), MergeMode::Concat); 2]
));
oracle!(embedding_gru_time_none, true, || model(
    &[None],
    Some(InputDtype::Int32),
    vec![embedding(30, 6), rec(seq(rnn(GRU, 4)))]
));
oracle!(bidir_lstm_merge_concat_seq, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(seq(rnn(LSTM, 3)), MergeMode::Concat)]
));
oracle!(bidir_lstm_merge_sum_seq, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(seq(rnn(LSTM, 3)), MergeMode::Sum)]
));
oracle!(bidir_lstm_merge_none, false, || model(
    &f(&[5, 4]),
    None,
    vec![bidi(rnn(LSTM, 3), MergeMode::None)]
));
oracle!(lstm_return_sequences, false, || model(
    &f(&[5, 3]),
    None,
    vec![rec(seq(rnn(LSTM, 6)))]
));
oracle!(tagger_lstm_time_distributed, false, || model(
    &f(&[6, 5]),
    None,
    vec![
        rec(seq(rnn(LSTM, 8))),
        LayerKind::TimeDistributed(Box::new(layer(LayerKind::Dense(dense(
            5,
            Activation::Softmax
        ))))),
    ]
));
oracle!(text_classifier_bidir_lstm, false, || Model {
    name: Some("text_classifier".into()),
    ..model(
        &f(&[7]),
        Some(InputDtype::Int32),
        vec![
            embedding(40, 8),
            bidi(rnn(LSTM, 6), MergeMode::Concat),
            LayerKind::Dense(dense(1, Activation::Sigmoid)),
        ]
    )
});

/// A fixed batch (`batch_input_shape=(4, 5, 3)`): declared as a number, and
/// the Scan body's states are typed with it.
#[test]
fn lstm_fixed_batch() {
    let mut m = model(
        &f(&[5, 3]),
        None,
        vec![
            rec(rnn(LSTM, 6)),
            LayerKind::Dense(dense(2, Activation::Linear)),
        ],
    );
    if let Some(input) = m.input.as_mut() {
        input.batch = Some(4);
    }
    let case = load_case("lstm_fixed_batch", m, false);
    check_case(&case, Lowering::Auto, None);
    check_case(&case, Lowering::Scan, None);
}
