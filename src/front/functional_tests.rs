//! The functional frontend and the checks on graphs, through
//! [`crate::spec::Spec::from_source`]: each mistake is one clear error at
//! its place, never a panic; the graph has Keras' structure.

use crate::ir::{LayerId, LayerKind, Value};
use crate::spec::Spec;

const HEAD: &str = "import keras\nfrom keras import layers\n";

fn spec(body: &str) -> Spec {
    Spec::from_source(format!("{HEAD}{body}"), "f.rnn").unwrap_or_else(|e| panic!("{e}"))
}

/// The rendered error of a spec that must fail.
fn error(body: &str) -> String {
    match Spec::from_source(format!("{HEAD}{body}"), "f.rnn") {
        Ok(_) => panic!("expected an error for:\n{body}"),
        Err(e) => e.to_string(),
    }
}

fn assert_error(body: &str, expected: &str) {
    let text = error(body);
    assert!(text.contains(expected), "{expected:?} not in:\n{text}");
}

#[test]
fn a_shared_layer_is_one_layer_with_two_calls() {
    let s = spec(
        "a = keras.Input(shape=(7, 4))\nb = keras.Input(shape=(7, 4))\n\
         shared = layers.LSTM(5)\n\
         model = keras.Model([a, b], layers.subtract([shared(a), shared(b)]))\n",
    );
    assert_eq!(s.model.layers.len(), 2);
    assert_eq!(s.model.calls.len(), 3);
    assert_eq!(s.info.layer(LayerId(0)).calls.len(), 2);
    assert_eq!(s.info.weights().count(), 3, "one set of weights");
}

#[test]
fn a_chained_call_makes_the_outer_layer_first() {
    // Python evaluates `layers.Dense(2)` before its argument.
    let s = spec(
        "x = keras.Input(shape=(7, 4))\n\
         model = keras.Model(x, layers.Dense(2)(layers.GRU(3)(x)))\n",
    );
    assert!(matches!(s.model.layers[0].kind, LayerKind::Dense(_)));
    assert_eq!(s.info.layer(LayerId(0)).name, "dense");
    assert_eq!(s.info.layer(LayerId(1)).name, "gru");
}

#[test]
fn calls_that_reach_no_output_are_left_out_but_keep_their_names() {
    let s = spec(
        "x = keras.Input(shape=(7, 4))\n\
         unused = layers.Dense(3)(x)\n\
         model = keras.Model(x, layers.Dense(2)(x))\n",
    );
    assert_eq!(s.model.calls.len(), 1);
    assert_eq!(s.info.layer(LayerId(1)).name, "dense_1");
    assert_eq!(
        s.model.outputs,
        [Value::Output {
            call: crate::ir::CallId(0),
            output: 0
        }]
    );
}

#[test]
fn unpacking_indexing_and_underscore() {
    let s = spec(
        "x = keras.Input(shape=(None, 4))\n\
         out, h, _ = layers.LSTM(5, return_state=True)(x)\n\
         states = layers.LSTM(5, return_state=True)(x)\n\
         y = layers.GRU(5)(x, initial_state=states[-1])\n\
         z = layers.GRU(5)(x, h)\n\
         model = keras.Model(inputs=x, outputs=[out, h, y, z], name='m')\n",
    );
    assert_eq!(s.info.name, "m");
    assert_eq!(s.info.output_shapes.len(), 4);
    // The states given by position are the call's initial state.
    assert_eq!(s.model.calls[3].initial_state.len(), 1);
}

#[test]
fn mistakes_are_clear_errors() {
    let x = "x = keras.Input(shape=(7, 4))\n";
    for (body, expected) in [
        (format!("{x}y = layers.concatenate([])\nmodel = keras.Model(x, y)\n"), "Concatenate layer takes a list of tensors, got a list of 0 tensors"),
        (format!("{x}a, b = layers.LSTM(3, return_state=True)(x)\n"), "cannot unpack 3 tensors into 2 names"),
        (format!("{x}s = [x, x]\ny = layers.Dense(2)(s[2])\n"), "index 2 is out of range for a list of 2 tensors"),
        (format!("{x}y = layers.Dense(2)(x)\nmodel = keras.Model(y, y)\n"), "`Model` inputs must be tensors made by `keras.Input`"),
        (format!("{x}z = keras.Input(shape=(7, 4))\nmodel = keras.Model(x, layers.add([x, z]))\n"), "the outputs depend on input `input_layer_1`"),
        (format!("{x}y = layers.GRU(3)(x, initial_state=[x])\nmodel = keras.Model(x, y)\n"), "initial state 0 of layer `gru` has shape (None, 7, 4)"),
        (format!("{x}h = layers.Dense(3)(layers.Flatten()(x))\ny = layers.LSTM(3)(x, initial_state=[h])\nmodel = keras.Model(x, y)\n"), "is given 1 initial states; a LSTM takes 2"),
        (format!("{x}z = keras.Input(shape=(7, 5))\ns = layers.GRU(3)\nmodel = keras.Model([x, z], [s(x), s(z)])\n"), "layer `gru` is called again on input (None, 7, 5)"),
        (format!("{x}z = keras.Input(shape=(6, 4))\nmodel = keras.Model([x, z], layers.add([x, z]))\n"), "axis 1 is 7 in one and 6 in another"),
        (format!("{x}model = keras.Model(x, layers.Dot(axes=3)([x, x]))\n"), "axes [3, 3] are not feature axes"),
        (format!("{x}model = keras.Model(x, layers.Attention()([x]))\n"), "Attention layer `attention` is called on 1 tensors"),
        (format!("{x}model = keras.Model(x, layers.Reshape((5, 5))(x))\n"), "28 values do not fit target shape [5, 5]"),
        (format!("{x}model = keras.Model(x, layers.Permute((1, 1))(x))\n"), "dims [1, 1] are not a permutation"),
        (format!("{x}model = keras.Model(x, layers.Lambda(f)(x))\n"), "a Lambda layer holds Python code"),
        (format!("{x}model = keras.Model(x, MyLayer()(x))\n"), "it is not a Keras layer"),
        (format!("{x}model = keras.Model(x, y)\n"), "`y` is not defined"),
        (format!("{x}model = keras.Model(x, x(x))\n"), "calling a tensor"),
        (format!("{x}model = keras.Model(x, layers.LSTM(3)(x, mask=x))\n"), "`mask=` is not supported"),
        (format!("{x}model = keras.Model(x, layers.Attention()([x, x], use_causal_mask=True))\n"), "`use_causal_mask=True`"),
        (format!("{x}y = layers.Dense(2)(x)\n"), "no `keras.Model(inputs, outputs)`"),
        (format!("{x}model = keras.Model(x, x)\n"), "a model whose outputs are its inputs"),
        (format!("{x}m = keras.Model(x, x)\nn = keras.Model(x, x)\n"), "a second `Model`"),
        (format!("{x}model = keras.Model(x, layers.Conv1D(4, 9)(x))\n"), "a kernel of 9 steps does not fit"),
        (format!("{x}model = keras.Model(x, layers.Dense(3)(x, initial_state=x))\n"), "`initial_state` is only for recurrent layers, not Dense"),
    ] {
        assert_error(&body, expected);
    }
}

#[test]
fn a_merge_in_a_sequential_model_is_refused() {
    let text = match Spec::from_source(
        "model = Sequential()\nmodel.add(LSTM(3, input_shape=(5, 2)))\nmodel.add(Concatenate())\n"
            .into(),
        "s.rnn",
    ) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        text.contains(
            "Concatenate merges a list of tensors and cannot be a layer of a Sequential model"
        ),
        "{text}"
    );
}

#[test]
fn constants_built_from_constants_are_bounded_in_functional_specs() {
    // Each line doubles the last: 2^40 nodes if substituted unchecked.
    let mut body = String::from("x = keras.Input(shape=(7, 4))\na0 = [1, 1]\n");
    for i in 1..40 {
        body.push_str(&format!("a{i} = [a{}, a{}]\n", i - 1, i - 1));
    }
    body.push_str("model = keras.Model(x, layers.Dense(2)(x))\n");
    assert_error(&body, "constants expand to more than");
}

#[test]
fn the_rnn_guide_encoder_decoder_has_keras_layers_and_counts() {
    // From the Keras RNN guide, as written there (no imports, constants in
    // the constructor of a layer called at once). Keras 3.15 lists
    // input_layer, input_layer_1, embedding, embedding_1, encoder, decoder,
    // dense with 0, 0, 64000, 128000, 33024, 33024, 650 parameters.
    let s = Spec::from_source(
        "encoder_vocab = 1000\ndecoder_vocab = 2000\n\
         encoder_input = layers.Input(shape=(None,))\n\
         encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(\n    encoder_input\n)\n\
         output, state_h, state_c = layers.LSTM(64, return_state=True, name=\"encoder\")(\n    encoder_embedded\n)\n\
         encoder_state = [state_h, state_c]\n\
         decoder_input = layers.Input(shape=(None,))\n\
         decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(\n    decoder_input\n)\n\
         decoder_output = layers.LSTM(64, name=\"decoder\")(\n    decoder_embedded, initial_state=encoder_state\n)\n\
         output = layers.Dense(10)(decoder_output)\n\
         model = keras.Model([encoder_input, decoder_input], output)\n\
         model.summary()\n"
            .into(),
        "guide.rnn",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(String, u64)> = s
        .info
        .order
        .iter()
        .map(|op| match *op {
            crate::check::Operation::Input(id) => (s.info.input(id).name.clone(), 0),
            crate::check::Operation::Layer(id) => {
                let l = s.info.layer(id);
                (l.name.clone(), l.params)
            }
        })
        .collect();
    let expected = [
        ("input_layer", 0),
        ("input_layer_1", 0),
        ("embedding", 64000),
        ("embedding_1", 128000),
        ("encoder", 33024),
        ("decoder", 33024),
        ("dense", 650),
    ];
    assert_eq!(rows, expected.map(|(n, p)| (n.to_string(), p)).to_vec());
    assert_eq!(s.info.total_params, 258_698);
}

#[test]
fn initializer_arguments_are_accepted_when_they_name_the_default() {
    let x = "x = keras.Input(shape=(7, 4))\n";
    spec(&format!(
        "{x}y = layers.LayerNormalization(gamma_initializer='ones', beta_initializer='Zeros')(x)\n\
         model = keras.Model(x, layers.PReLU(alpha_initializer='zeros')(y))\n"
    ));
    assert_error(
        &format!(
            "{x}model = keras.Model(x, layers.LayerNormalization(gamma_initializer='zeros')(x))\n"
        ),
        "`gamma_initializer='zeros'` is not supported",
    );
}

#[test]
fn stacked_lstm_cell_states_unpack_as_keras_nests_them() {
    let body = "x = keras.Input(shape=(None, 5))\n\
                seq, (h0, c0), h1 = layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)], \
                return_sequences=True, return_state=True)(x)\n\
                states = layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)], return_state=True)(x)\n\
                pair = states[1]\n\
                model = keras.Model(x, [seq, h0, c0, h1, pair[1]])\n";
    let s = spec(body);
    assert_eq!(s.model.outputs.len(), 5);
    assert_eq!(s.info.output_shapes[1], vec![None, Some(6)]);
    assert_eq!(s.info.output_shapes[3], vec![None, Some(4)]);
    // Nested outputs flatten, as Keras flattens them.
    let nested = spec(
        "x = keras.Input(shape=(None, 5))\n\
         states = layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)], return_state=True)(x)\n\
         model = keras.Model(x, states)\n",
    );
    assert_eq!(nested.model.outputs.len(), 4);
    let in_a_list = spec(
        "x = keras.Input(shape=(None, 5))\n\
         out, pair, h1 = layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)], return_state=True)(x)\n\
         model = keras.Model(x, [out, pair, h1])\n",
    );
    assert_eq!(in_a_list.model.outputs.len(), 4);
    // A flat unpacking has one name too many for Keras' nesting.
    assert_error(
        "x = keras.Input(shape=(None, 5))\n\
         a, b, c, d = layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)], return_state=True)(x)\n\
         model = keras.Model(x, a)\n",
        "a nested list of 3 items",
    );
    assert_error(
        "x = keras.Input(shape=(None, 5))\n\
         a, (b, c, d), e = layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)], return_state=True)(x)\n\
         model = keras.Model(x, a)\n",
        "2 tensors",
    );
}
