//! Check-pass tests on hand-built IR: the tutorial's shapes, parameter counts
//! and names, and one test per error class.

use super::*;
use crate::diag::Span;
use crate::ir::{
    Activation, Bidirectional, CellKind, Dense, Embedding, InputDecl, Layer, LayerKind, MergeMode,
    Recurrent,
};

fn rnn(cell: CellKind, units: u64, return_sequences: bool) -> Recurrent {
    Recurrent {
        return_sequences,
        ..Recurrent::with_keras_defaults(cell, units)
    }
}

fn decl(batch: Option<u64>, dims: &[Option<u64>]) -> InputDecl {
    InputDecl {
        batch,
        dims: dims.to_vec(),
        dtype: None,
        span: Span::new(1, 2),
    }
}

fn layer(kind: LayerKind, input: Option<InputDecl>) -> Layer {
    Layer {
        name: None,
        kind,
        input,
        span: Span::new(0, 1),
    }
}

fn model(layers: Vec<Layer>) -> Model {
    Model::sequential(None, None, layers)
}

fn bidi(units: u64, merge_mode: MergeMode) -> LayerKind {
    LayerKind::Bidirectional(Bidirectional {
        layer: rnn(CellKind::SimpleRnn, units, true),
        inner_name: None,
        merge_mode,
        inner_span: Span::default(),
        backward: None,
        explicit_backward: false,
        backward_name: None,
    })
}

#[test]
fn tutorial_simple_rnn() {
    let m = model(vec![layer(
        LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, false)),
        Some(decl(None, &[Some(2), Some(10)])),
    )]);
    let info = check(&m).unwrap();
    assert_eq!(info.name, "sequential");
    assert_eq!(info.layers[0].name, "simple_rnn");
    assert_eq!(info.layers[0].output_shapes, vec![vec![None, Some(3)]]);
    assert_eq!(info.total_params, 42);
    let keys: Vec<&str> = info.weights().map(|(_, w)| w.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "simple_rnn/kernel",
            "simple_rnn/recurrent_kernel",
            "simple_rnn/bias"
        ]
    );
    assert_eq!(
        info.layers[0].weights[0].path,
        "sequential/simple_rnn/simple_rnn_cell/kernel"
    );
}

#[test]
fn tutorial_batch_input_and_sequences() {
    let m = model(vec![layer(
        LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, true)),
        Some(decl(Some(8), &[Some(2), Some(10)])),
    )]);
    let info = check(&m).unwrap();
    assert_eq!(
        info.layers[0].output_shapes,
        vec![vec![Some(8), Some(2), Some(3)]]
    );
    assert_eq!(info.total_params, 42);
}

#[test]
fn tutorial_deep_rnn() {
    let m = model(vec![
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 8, true)),
            Some(decl(None, &[Some(10), Some(5)])),
        ),
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 8, true)),
            None,
        ),
    ]);
    let info = check(&m).unwrap();
    let params: Vec<u64> = info.layers.iter().map(|l| l.params).collect();
    assert_eq!(params, [112, 136]);
    assert_eq!(info.layers[1].name, "simple_rnn_1");
    assert_eq!(info.total_params, 248);
}

#[test]
fn tutorial_deep_bidirectional() {
    let mut layers = vec![layer(
        bidi(8, MergeMode::Concat),
        Some(decl(None, &[Some(10), Some(5)])),
    )];
    layers.extend((0..3).map(|_| layer(bidi(8, MergeMode::Concat), None)));
    let info = check(&model(layers)).unwrap();
    let params: Vec<u64> = info.layers.iter().map(|l| l.params).collect();
    assert_eq!(params, [224, 400, 400, 400]);
    assert_eq!(info.total_params, 1424);
    assert_eq!(info.layers[1].name, "bidirectional_1");
    assert_eq!(
        info.layers[1].inner_names,
        ["forward_simple_rnn_1", "backward_simple_rnn_1"]
    );
    assert_eq!(
        info.layers[0].output_shapes,
        vec![vec![None, Some(10), Some(16)]]
    );
    assert_eq!(
        info.layers[0].weights[3].key,
        "bidirectional/backward_simple_rnn/kernel"
    );
    assert_eq!(
        info.layers[0].weights[3].path,
        "sequential/bidirectional/backward_simple_rnn/simple_rnn_cell/kernel"
    );
}

#[test]
fn lstm_and_gru_param_counts() {
    let lstm = rnn(
        CellKind::Lstm {
            unit_forget_bias: true,
        },
        8,
        true,
    );
    let gru = rnn(CellKind::Gru { reset_after: true }, 6, true);
    let gru_v1 = rnn(CellKind::Gru { reset_after: false }, 6, false);
    let m = model(vec![
        layer(
            LayerKind::Recurrent(lstm),
            Some(decl(None, &[None, Some(5)])),
        ),
        layer(LayerKind::Recurrent(gru), None),
        layer(LayerKind::Recurrent(gru_v1), None),
    ]);
    let info = check(&m).unwrap();
    let params: Vec<u64> = info.layers.iter().map(|l| l.params).collect();
    assert_eq!(
        params,
        [
            4 * 8 * (5 + 8 + 1),
            3 * 6 * (8 + 6 + 2),
            3 * 6 * (6 + 6 + 1)
        ]
    );
    assert_eq!(info.layers[1].weights[2].shape, [2, 18]);
    assert_eq!(
        info.layers[0].weights[2].init,
        WeightInit::UnitForgetBias(Initializer::Zeros)
    );
}

#[test]
fn return_state_and_merge_none_outputs() {
    let mut lstm = rnn(
        CellKind::Lstm {
            unit_forget_bias: true,
        },
        4,
        false,
    );
    lstm.return_state = true;
    let m = model(vec![layer(
        LayerKind::Bidirectional(Bidirectional {
            layer: lstm,
            inner_name: None,
            merge_mode: MergeMode::None,
            inner_span: Span::default(),
            backward: None,
            explicit_backward: false,
            backward_name: None,
        }),
        Some(decl(None, &[Some(6), Some(3)])),
    )]);
    let info = check(&m).unwrap();
    let b = vec![None, Some(4)];
    assert_eq!(
        info.output_shapes,
        [b.clone(), b.clone(), b.clone(), b.clone(), b.clone(), b]
    );
}

#[test]
fn dense_time_distributed_embedding() {
    let dense = |units| Dense {
        units,
        activation: Activation::Softmax,
        use_bias: true,
        kernel_initializer: Initializer::GlorotUniform,
        bias_initializer: Initializer::Zeros,
    };
    let m = model(vec![
        layer(
            LayerKind::Embedding(Embedding {
                input_dim: 50,
                output_dim: 8,
                embeddings_initializer: Initializer::RandomUniform,
                mask_zero: false,
            }),
            Some(decl(None, &[Some(6)])),
        ),
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 4, true)),
            None,
        ),
        layer(
            LayerKind::TimeDistributed(Box::new(layer(LayerKind::Dense(dense(5)), None))),
            None,
        ),
        layer(LayerKind::Dense(dense(2)), None),
    ]);
    let info = check(&m).unwrap();
    assert_eq!(info.inputs[0].dtype, InputDtype::Int32);
    assert_eq!(info.layers[2].name, "time_distributed");
    assert_eq!(info.layers[2].inner_names, ["dense"]);
    assert_eq!(info.layers[3].name, "dense_1");
    assert_eq!(
        info.layers[2].weights[0].key,
        "time_distributed/dense/kernel"
    );
    assert_eq!(
        info.layers[3].output_shapes,
        vec![vec![None, Some(6), Some(2)]]
    );
    assert_eq!(
        info.total_params,
        400 + 4 * (8 + 4 + 1) + (4 * 5 + 5) + (5 * 2 + 2)
    );
}

#[test]
fn missing_input_shape() {
    let m = model(vec![layer(
        LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, false)),
        None,
    )]);
    let errors = check(&m).unwrap_err();
    assert!(matches!(errors[0], CheckError::MissingInputShape { .. }));
}

#[test]
fn not_a_sequence_names_the_producer() {
    let m = model(vec![
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, false)),
            Some(decl(None, &[Some(2), Some(10)])),
        ),
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, false)),
            None,
        ),
    ]);
    let errors = check(&m).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "SimpleRNN layer `simple_rnn_1` expects 3-D input (batch, time, features), got (None, 3)"
    );
    assert_eq!(
        errors[0].hint().as_deref(),
        Some("set return_sequences=True on layer `simple_rnn`")
    );
}

#[test]
fn conflicting_input_shape() {
    let m = model(vec![
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, true)),
            Some(decl(None, &[Some(2), Some(10)])),
        ),
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, false)),
            Some(decl(None, &[Some(2), Some(11)])),
        ),
    ]);
    let errors = check(&m).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "input shape (None, 2, 11) on layer `simple_rnn_1` contradicts the model's input shape (None, 2, 10)"
    );
}

#[test]
fn too_many_params_is_refused() {
    let m = model(vec![layer(
        LayerKind::Recurrent(rnn(
            CellKind::Lstm {
                unit_forget_bias: true,
            },
            1 << 20,
            false,
        )),
        Some(decl(None, &[None, Some(1 << 20)])),
    )]);
    let errors = check(&m).unwrap_err();
    assert!(matches!(errors[0], CheckError::TooManyParams { .. }));
}

#[test]
fn multiple_outputs_must_be_last() {
    let mut first = rnn(CellKind::SimpleRnn, 3, true);
    first.return_state = true;
    let m = model(vec![
        layer(
            LayerKind::Recurrent(first),
            Some(decl(None, &[Some(2), Some(10)])),
        ),
        layer(
            LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, false)),
            None,
        ),
    ]);
    let errors = check(&m).unwrap_err();
    assert!(matches!(
        errors[0],
        CheckError::MultipleOutputsNotLast { outputs: 2, .. }
    ));
}

#[test]
fn duplicate_names() {
    let mut a = layer(
        LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, true)),
        Some(decl(None, &[Some(2), Some(10)])),
    );
    a.name = Some("simple_rnn_1".into());
    let b = layer(
        LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, true)),
        None,
    );
    let c = layer(
        LayerKind::Recurrent(rnn(CellKind::SimpleRnn, 3, true)),
        None,
    );
    let errors = check(&model(vec![a, b, c])).unwrap_err();
    assert_eq!(errors[0].to_string(), "two layers are named `simple_rnn_1`");
}

/// The Keras RNN guide's first model: an Embedding with no input length.
/// Keras 3 (`model.build((None, None))`, then `summary()`) gives
/// embedding (None, None, 64) 64,000; lstm (None, 128) 98,816;
/// dense (None, 10) 1,290.
#[test]
fn embedding_without_input_length_takes_ids_of_any_length() {
    let source = "model = keras.Sequential()\n\
                  model.add(layers.Embedding(input_dim=1000, output_dim=64))\n\
                  model.add(layers.LSTM(128))\n\
                  model.add(layers.Dense(10))\n";
    let info = crate::spec::Spec::from_source(source.into(), "guide.rnn")
        .unwrap()
        .info;
    assert_eq!(info.inputs[0].dtype, InputDtype::Int32);
    assert_eq!(info.inputs[0].shape, vec![None, None]);
    let rows: Vec<(Shape, u64)> = info
        .layers
        .iter()
        .map(|l| (l.output_shapes[0].clone(), l.params))
        .collect();
    assert_eq!(
        rows,
        vec![
            (vec![None, None, Some(64)], 64_000),
            (vec![None, Some(128)], 98_816),
            (vec![None, Some(10)], 1_290),
        ]
    );
}

#[test]
fn missing_input_shape_hint_fits_the_first_layer() {
    for (first, sample) in [
        ("Dense(4)", "(features,)"),
        ("LSTM(4)", "(timesteps, features)"),
        ("Bidirectional(GRU(4))", "(timesteps, features)"),
    ] {
        let source = format!("model = Sequential()\nmodel.add({first})\n");
        let model = crate::front::parse(&source).unwrap();
        let errors = check(&model).unwrap_err();
        let hint = errors[0].hint().unwrap();
        assert!(
            hint.contains(&format!("`input_shape={sample}`"))
                && hint.contains(&format!("`Input(shape={sample})`")),
            "{first}: {hint}"
        );
        assert_eq!(
            hint.contains("timesteps may be None"),
            sample.contains("timesteps")
        );
    }
}
