//! The model-file frontend on hand-written configs of each dialect: what
//! `config` reads and what `emit` writes, without files (the real files are
//! `tests/model_files.rs`').

use super::config::{self, CallArg, Endpoints, ModelClass};
use super::emit::{self, py_str, Source};

const KERAS3: Source = Source {
    file_name: "m.keras",
    keras_version: Some("3.15.1"),
    keras2: false,
};

fn spec(json: &str, source: &Source) -> String {
    let model = config::parse(json).unwrap_or_else(|e| panic!("{e}"));
    emit::spec_text(&model, source).unwrap_or_else(|r| panic!("{}: {}", r.layer, r.message))
}

/// The code lines of a written spec (its header and imports left out).
fn code(spec: &str) -> Vec<&str> {
    spec.lines()
        .filter(|l| !l.starts_with('#') && !l.contains("import") && !l.is_empty())
        .collect()
}

#[test]
fn keras2_initial_state_is_read_from_extra_inbound_tensors() {
    let json = r#"{"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [null, null, 5], "dtype": "float32", "name": "x"}},
        {"class_name": "InputLayer", "name": "h", "inbound_nodes": [],
         "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "h"}},
        {"class_name": "GRU", "name": "gru", "inbound_nodes": [[["x", 0, 0, {}], ["h", 0, 0, {}]]],
         "config": {"name": "gru", "units": 4, "reset_after": false, "dtype": "float32"}}],
        "input_layers": [["x", 0, 0], ["h", 0, 0]], "output_layers": [["gru", 0, 0]]}}"#;
    let model = config::parse(json).unwrap();
    assert_eq!(model.class, ModelClass::Functional);
    let node = &model.layers[2].nodes[0];
    assert_eq!(node.args.len(), 1);
    let (key, CallArg::List(states)) = &node.kwargs[0] else {
        panic!("{:?}", node.kwargs)
    };
    assert_eq!(key, "initial_state");
    assert_eq!(states.len(), 1);
    assert_eq!(
        code(&spec(json, &KERAS3)),
        [
            "x = keras.Input(shape=(None, 5), name='x')",
            "h = keras.Input(shape=(4,), name='h')",
            "gru = layers.GRU(4, reset_after=False, name='gru')(x, initial_state=[h])",
            "model = keras.Model(inputs=[x, h], outputs=[gru], name='m')",
        ]
    );
}

#[test]
fn keras_2_2_2_sequential_is_a_bare_list() {
    let json = r#"{"class_name": "Sequential", "config": [
        {"class_name": "LSTM", "config": {"name": "lstm_1", "units": 8,
         "recurrent_activation": "hard_sigmoid", "batch_input_shape": [null, 7, 3],
         "dtype": "float32", "implementation": 1, "kernel_initializer": {"class_name": "VarianceScaling"}}},
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 2, "activation": "linear"}}]}"#;
    let keras2 = Source {
        file_name: "m.h5",
        keras_version: Some("2.2.2"),
        keras2: true,
    };
    let written = spec(json, &keras2);
    assert!(written.contains("# rnnc: keras=2\n"), "{written}");
    assert_eq!(
        code(&written),
        [
            "model = keras.Sequential()",
            "model.add(layers.LSTM(8, recurrent_activation='hard_sigmoid', \
             input_shape=(7, 3), name='lstm_1'))",
            "model.add(layers.Dense(2, name='dense_1'))",
        ]
    );
}

#[test]
fn one_input_or_output_may_be_a_bare_reference() {
    let json = r#"{"class_name": "Functional", "config": {"layers": [
        {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
         "config": {"batch_shape": [2, null, 3], "dtype": "float32", "name": "in"}}],
        "input_layers": ["in", 0, 0], "output_layers": [["in", 0, 0]]}}"#;
    let model = config::parse(json).unwrap();
    assert!(matches!(model.inputs, Endpoints::One(_)));
    assert!(matches!(model.outputs, Endpoints::List(_)));
}

#[test]
fn refusals_name_the_layer_and_what_it_holds() {
    let refusal = |layers: &str| {
        let json = format!(r#"{{"class_name": "Sequential", "config": {{"layers": [{layers}]}}}}"#);
        let model = config::parse(&json).unwrap();
        let r = emit::spec_text(&model, &KERAS3).unwrap_err();
        (r.layer, r.message)
    };
    let (layer, message) =
        refusal(r#"{"class_name": "LSTM", "config": {"name": "l", "units": 2, "frobnicate": 3}}"#);
    assert_eq!(layer, "l");
    assert!(message.contains("`frobnicate` = 3"), "{message}");
    let (_, message) = refusal(r#"{"class_name": "Lambda", "config": {"name": "f"}}"#);
    assert!(message.contains("Python function"), "{message}");
    let (_, message) = refusal(
        r#"{"class_name": "Dense", "module": "my_lib", "config": {"name": "d", "units": 2}}"#,
    );
    assert!(message.contains("module `my_lib`"), "{message}");
    // A config that is not JSON, and a subclassed model, are no models.
    assert!(config::parse("{").unwrap_err().contains("not valid JSON"));
    let subclassed = config::parse(r#"{"class_name": "MyModel", "config": {}}"#).unwrap_err();
    assert!(subclassed.contains("subclassed"), "{subclassed}");
}

#[test]
fn names_become_python_variables() {
    let json = r#"{"class_name": "Functional", "config": {"layers": [
        {"class_name": "InputLayer", "name": "1st-input", "inbound_nodes": [],
         "config": {"batch_shape": [null, 3], "dtype": "float32", "name": "1st-input"}},
        {"class_name": "Dense", "name": "lambda", "inbound_nodes": [{"args": [
          {"class_name": "__keras_tensor__", "config": {"keras_history": ["1st-input", 0, 0]}}],
          "kwargs": {}}], "config": {"name": "lambda", "units": 2}},
        {"class_name": "Dense", "name": "lambda_", "inbound_nodes": [{"args": [
          {"class_name": "__keras_tensor__", "config": {"keras_history": ["lambda", 0, 0]}}],
          "kwargs": {}}], "config": {"name": "lambda_", "units": 2}}],
        "input_layers": [["1st-input", 0, 0]], "output_layers": [["lambda_", 0, 0]]}}"#;
    assert_eq!(
        code(&spec(json, &KERAS3))[..3],
        [
            "_1st_input = keras.Input(shape=(3,), name='1st-input')",
            "lambda_ = layers.Dense(2, name='lambda')(_1st_input)",
            "lambda__v2 = layers.Dense(2, name='lambda_')(lambda_)",
        ]
    );
    assert_eq!(py_str("it's\n\\"), r"'it\'s\n\\'");
}
