//! Whole-spec tests: every model cell of the Keras RNN tutorial, and the
//! rendered text of each error class.

use super::parse;
use crate::diag::{render_all, Span};
use crate::ir::{
    Activation, CellKind, Initializer, InputDecl, InputDtype, LayerKind, MergeMode, Model,
    Recurrent, RecurrentClass,
};

/// In[7] of the tutorial: the constants later cells use.
const CELL_7: &str = "import numpy as np \n\ntimesteps = 10\ninput_dim = 4 \nhidden_units = 8\n";

fn model(source: &str) -> Model {
    match parse(source) {
        Ok(model) => model,
        Err(errors) => panic!("{}", render_all(&errors, source, "spec.rnn")),
    }
}

/// The rendered errors of a spec that must fail.
fn errors(source: &str) -> String {
    match parse(source) {
        Ok(model) => panic!("expected errors, got {model:?}"),
        Err(errors) => render_all(&errors, source, "spec.rnn"),
    }
}

fn span_of(source: &str, text: &str) -> Span {
    let start = source.find(text).expect("text in source");
    Span::new(start, start + text.len())
}

fn recurrent(model: &Model, index: usize) -> &Recurrent {
    match &model.layers[index].kind {
        LayerKind::Recurrent(r) => r,
        LayerKind::Bidirectional(b) => &b.layer,
        other => panic!("not recurrent: {other:?}"),
    }
}

/// The copy a Bidirectional holds: Keras 3 sets its `zero_output_for_mask`
/// to `return_sequences`.
fn wrapped(r: Recurrent) -> Recurrent {
    Recurrent {
        zero_output_for_mask: r.return_sequences,
        ..r
    }
}

fn simple_rnn(units: u64, return_sequences: bool) -> Recurrent {
    Recurrent {
        cell: CellKind::SimpleRnn,
        units,
        activation: Activation::Tanh,
        recurrent_activation: Activation::Sigmoid,
        use_bias: true,
        return_sequences,
        return_state: false,
        go_backwards: false,
        zero_output_for_mask: false,
        unroll: false,
        stateful: false,
        kernel_initializer: Initializer::GlorotUniform,
        recurrent_initializer: Initializer::Orthogonal,
        bias_initializer: Initializer::Zeros,
        class: RecurrentClass::Dedicated,
        stacked: Vec::new(),
        cell_names: Vec::new(),
    }
}

fn decl(batch: Option<u64>, dims: &[Option<u64>], span: Span) -> Option<InputDecl> {
    Some(InputDecl {
        batch,
        dims: dims.to_vec(),
        dtype: None,
        span,
    })
}

#[test]
fn tutorial_cell_3() {
    let src = "from keras.models import Sequential\nfrom keras.layers import SimpleRNN \n\n# batch_size를 정의하지 않았을 때\nmodel = Sequential()\nmodel.add(SimpleRNN(3, input_shape=(2,10)))\n# model.add(SimpleRNN(3, input_length=2, input_dim=10)) <-위와 같은 뜻\nmodel.summary()\n";
    let m = model(src);
    assert_eq!(m.name, None);
    assert_eq!(m.inputs[0].decl, None);
    assert_eq!(m.layers.len(), 1);
    assert_eq!(m.layers[0].name, None);
    assert_eq!(*recurrent(&m, 0), simple_rnn(3, false));
    assert_eq!(
        m.layers[0].input,
        decl(
            None,
            &[Some(2), Some(10)],
            span_of(src, "input_shape=(2,10)")
        )
    );
    assert_eq!(
        m.layers[0].span,
        span_of(src, "SimpleRNN(3, input_shape=(2,10))")
    );
}

#[test]
fn tutorial_cell_4() {
    let src = "# batch_size를 정의하지 않았을 때\nmodel = Sequential()\nmodel.add(SimpleRNN(3, batch_input_shape=(8,2,10)))\n# model.add(SimpleRNN(3, input_length=2, input_dim=10)) <-위와 같은 뜻\nmodel.summary()\n";
    let m = model(src);
    assert_eq!(*recurrent(&m, 0), simple_rnn(3, false));
    assert_eq!(
        m.layers[0].input,
        decl(
            Some(8),
            &[Some(2), Some(10)],
            span_of(src, "batch_input_shape=(8,2,10)")
        )
    );
}

#[test]
fn tutorial_cell_5() {
    let src = "model = Sequential()\nmodel.add(SimpleRNN(3, batch_input_shape=(8,2,10), return_sequences=True))\nmodel.summary()\n";
    let m = model(src);
    assert_eq!(*recurrent(&m, 0), simple_rnn(3, true));
    assert_eq!(
        m.layers[0].input,
        decl(
            Some(8),
            &[Some(2), Some(10)],
            span_of(src, "batch_input_shape=(8,2,10)")
        )
    );
}

#[test]
fn tutorial_cell_16_after_cell_7() {
    let cell = "model = Sequential()\n# 첫 번째 은닉층은 다음 은닉층이 존재함으로 return_sequences = True로 하여 모든 시점에 대해서 은닉 상태 값을 다음 은닉층으로 보내줌\nmodel.add(SimpleRNN(hidden_units, input_length=10, input_dim=5, return_sequences=True))\nmodel.add(SimpleRNN(hidden_units, return_sequences=True))\nmodel.summary()\n";
    let src = format!("{CELL_7}{cell}");
    let m = model(&src);
    assert_eq!(m.layers.len(), 2);
    assert_eq!(*recurrent(&m, 0), simple_rnn(8, true));
    assert_eq!(*recurrent(&m, 1), simple_rnn(8, true));
    assert_eq!(
        m.layers[0].input,
        decl(
            None,
            &[Some(10), Some(5)],
            span_of(&src, "input_length=10, input_dim=5")
        )
    );
    assert_eq!(m.layers[1].input, None);
}

#[test]
fn tutorial_cell_17_after_cell_7() {
    let cell = "from keras.layers import Bidirectional\ntimesteps = 10\ninput_dim = 5\n\n# 간단한 양방향 RNN\nmodel = Sequential()\nmodel.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True), input_shape=(timesteps,input_dim)))\nmodel.summary()\n";
    let src = format!("{CELL_7}{cell}");
    let m = model(&src);
    assert_eq!(m.layers.len(), 1);
    let LayerKind::Bidirectional(b) = &m.layers[0].kind else {
        panic!("{:?}", m.layers[0])
    };
    assert_eq!(b.layer, wrapped(simple_rnn(8, true)));
    assert_eq!(b.merge_mode, MergeMode::Concat);
    assert_eq!(b.inner_name, None);
    assert_eq!(
        b.inner_span,
        span_of(&src, "SimpleRNN(hidden_units, return_sequences=True)")
    );
    assert_eq!(
        m.layers[0].input,
        decl(
            None,
            &[Some(10), Some(5)],
            span_of(&src, "input_shape=(timesteps,input_dim)")
        )
    );
}

#[test]
fn tutorial_cell_15() {
    let cell = "# Deep Bidirectional RNN\nmodel = Sequential()\nmodel.add(Bidirectional(SimpleRNN(hidden_units,return_sequences=True), input_shape=(timesteps, input_dim)))\nmodel.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True)))\nmodel.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True)))\nmodel.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True)))\nmodel.summary()\n";
    // The notebook ran this cell with the constants In[17] sets.
    let src = format!("{CELL_7}timesteps = 10\ninput_dim = 5\n{cell}");
    let m = model(&src);
    assert_eq!(m.layers.len(), 4);
    for i in 0..4 {
        assert_eq!(*recurrent(&m, i), wrapped(simple_rnn(8, true)));
        assert!(matches!(m.layers[i].kind, LayerKind::Bidirectional(_)));
    }
    assert_eq!(
        m.layers[0].input.as_ref().map(|d| d.dims.clone()),
        Some(vec![Some(10), Some(5)])
    );
    assert!(m.layers[1..].iter().all(|l| l.input.is_none()));
}

#[test]
fn the_tutorial_comment_alternative_parses_too() {
    let m = model("model = Sequential()\nmodel.add(SimpleRNN(3, input_length=2, input_dim=10))\n");
    assert_eq!(
        m.layers[0].input.as_ref().map(|d| d.dims.clone()),
        Some(vec![Some(2), Some(10)])
    );
    let m = model("SimpleRNN(3, input_dim=10)\n");
    assert_eq!(
        m.layers[0].input.as_ref().map(|d| d.dims.clone()),
        Some(vec![None, Some(10)])
    );
}

#[test]
fn sequential_list_with_input_and_every_layer() {
    let src = r#"
import tensorflow as tf
from tensorflow import keras
from keras import layers, initializers
model = keras.Sequential([
    keras.Input(shape=(None,), batch_size=4, dtype='int32'),
    layers.Embedding(1000, 64),
    tf.keras.layers.LSTM(32, return_sequences=True, name='enc', kernel_initializer=initializers.GlorotNormal()),
    layers.GRU(16, activation='relu', reset_after=False, return_sequences=True, dropout=0.2),
    layers.Bidirectional(layers.SimpleRNN(8, name='inner', go_backwards=True, return_sequences=True), merge_mode='ave'),
    layers.TimeDistributed(layers.Dense(4, activation=keras.activations.relu)),
    layers.Dropout(.5),
    layers.Activation("softmax"),
], name='tagger')
"#;
    let m = model(src);
    assert_eq!(m.name.as_deref(), Some("tagger"));
    let input = m.inputs[0].decl.as_ref().expect("input");
    assert_eq!(
        (input.batch, input.dims.clone(), input.dtype),
        (Some(4), vec![None], Some(InputDtype::Int32))
    );
    assert_eq!(m.layers.len(), 7);
    let LayerKind::Embedding(e) = &m.layers[0].kind else {
        panic!()
    };
    assert_eq!(
        (e.input_dim, e.output_dim, e.embeddings_initializer),
        (1000, 64, Initializer::RandomUniform)
    );
    assert_eq!(m.layers[1].name.as_deref(), Some("enc"));
    let lstm = recurrent(&m, 1);
    assert_eq!(
        lstm.cell,
        CellKind::Lstm {
            unit_forget_bias: true
        }
    );
    assert_eq!(lstm.kernel_initializer, Initializer::GlorotNormal);
    let gru = recurrent(&m, 2);
    assert_eq!(
        (gru.cell, gru.activation),
        (CellKind::Gru { reset_after: false }, Activation::Relu)
    );
    let LayerKind::Bidirectional(b) = &m.layers[3].kind else {
        panic!()
    };
    assert_eq!(
        (b.inner_name.as_deref(), b.merge_mode, b.layer.go_backwards),
        (Some("inner"), MergeMode::Ave, true)
    );
    let LayerKind::TimeDistributed(inner) = &m.layers[4].kind else {
        panic!()
    };
    assert!(
        matches!(&inner.kind, LayerKind::Dense(d) if d.units == 4 && d.activation == Activation::Relu)
    );
    assert_eq!(m.layers[5].kind, LayerKind::Dropout { rate: 0.5 });
    assert_eq!(m.layers[6].kind, LayerKind::Activation(Activation::Softmax));
}

#[test]
fn bare_layers_make_a_model_and_inner_input_shapes_move_out() {
    let src = "Bidirectional(LSTM(4, input_shape=(None, 3)), merge_mode=None)\nDense(2)\n";
    let m = model(src);
    assert_eq!(m.layers.len(), 2);
    assert_eq!(
        m.layers[0].input,
        decl(
            None,
            &[None, Some(3)],
            span_of(src, "input_shape=(None, 3)")
        )
    );
    assert!(
        matches!(&m.layers[0].kind, LayerKind::Bidirectional(b) if b.merge_mode == MergeMode::None)
    );
    let LayerKind::Dense(d) = &m.layers[1].kind else {
        panic!()
    };
    assert_eq!(d.activation, Activation::Linear);
}

#[test]
fn other_model_variables_and_layer_constants() {
    let src = "m = Sequential(name=\"small\")\nrnn = GRU(5)\nm.add(Input((7, 2)))\nm.add(rnn)\nm.compile(optimizer='adam', loss='mse')\n";
    let m = model(src);
    assert_eq!(m.name.as_deref(), Some("small"));
    assert_eq!(
        m.inputs[0].decl.as_ref().map(|d| d.dims.clone()),
        Some(vec![Some(7), Some(2)])
    );
    assert_eq!(recurrent(&m, 0).units, 5);
}

#[test]
fn embedding_input_length_gives_int_ids() {
    let m = model(
        "model = Sequential()\nmodel.add(Embedding(50, 8, input_length=12))\nmodel.add(LSTM(4))\n",
    );
    let input = m.layers[0].input.as_ref().expect("input");
    assert_eq!(
        (input.dims.clone(), input.dtype),
        (vec![Some(12)], Some(InputDtype::Int32))
    );
}

#[test]
fn error_unknown_layer() {
    assert_eq!(
        errors("model = Sequential()\nmodel.add(SimpleRNM(3, input_shape=(2, 10)))\n"),
        "error: unknown layer `SimpleRNM`
 --> spec.rnn:2:11
  |
2 | model.add(SimpleRNM(3, input_shape=(2, 10)))
  |           ^^^^^^^^^
  = hint: did you mean `SimpleRNN`?
"
    );
}

#[test]
fn error_unknown_layer_without_close_name_lists_the_layers() {
    let text = errors("model = Sequential()\nmodel.add(layers.StringLookup(3, 5))\n");
    assert!(
        text.starts_with(
            "error: unknown layer `StringLookup`
 --> spec.rnn:2:11
  |
2 | model.add(layers.StringLookup(3, 5))
  |           ^^^^^^^^^^^^^^^^^^^
  = hint: rnnc knows SimpleRNN, LSTM, GRU, CuDNNLSTM, CuDNNGRU, RNN, Bidirectional, Dense, TimeDistributed, "
        ),
        "{text}"
    );
    for layer in [
        "Concatenate",
        "RepeatVector",
        "LayerNormalization",
        "Attention",
    ] {
        assert!(text.contains(layer), "{text}");
    }
}

#[test]
fn error_unknown_argument() {
    assert_eq!(
        errors("SimpleRNN(3, input_shape=(2, 10), retrun_sequences=True)\n"),
        "error: unknown argument `retrun_sequences` for SimpleRNN
 --> spec.rnn:1:35
  |
1 | SimpleRNN(3, input_shape=(2, 10), retrun_sequences=True)
  |                                   ^^^^^^^^^^^^^^^^
  = hint: did you mean `return_sequences`?
"
    );
}

#[test]
fn error_wrong_types_are_all_reported() {
    assert_eq!(
        errors("SimpleRNN('8', input_shape=(2, 10), return_sequences=1)\n"),
        "error: expected a positive integer for `units`, got '8'
 --> spec.rnn:1:11
  |
1 | SimpleRNN('8', input_shape=(2, 10), return_sequences=1)
  |           ^^^

error: expected True or False for `return_sequences`, got 1
 --> spec.rnn:1:54
  |
1 | SimpleRNN('8', input_shape=(2, 10), return_sequences=1)
  |                                                      ^
"
    );
}

#[test]
fn error_non_positive_sizes() {
    assert_eq!(
        errors("units = -3\nLSTM(units, input_shape=(0, 4))\n"),
        "error: `units` must be a positive integer, got -3
 --> spec.rnn:2:6
  |
2 | LSTM(units, input_shape=(0, 4))
  |      ^^^^^

error: `input_shape` must be a positive integer, got 0
 --> spec.rnn:2:26
  |
2 | LSTM(units, input_shape=(0, 4))
  |                          ^
"
    );
}

#[test]
fn error_absurd_size() {
    assert_eq!(
        errors("GRU(100000000, input_shape=(None, 10))\n"),
        "error: `units` is 100000000, more than the largest size rnnc accepts (16777216)
 --> spec.rnn:1:5
  |
1 | GRU(100000000, input_shape=(None, 10))
  |     ^^^^^^^^^
"
    );
}

#[test]
fn error_unsupported_statements() {
    assert_eq!(
        errors("import numpy as np\nx = np.random.random((10, 4))\nSimpleRNN(8, input_shape=(10, 4))\nprint(np.mean(x))\n"),
        "error: unsupported statement: `x = np.random.random(...)`
 --> spec.rnn:2:1
  |
2 | x = np.random.random((10, 4))
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = hint: a spec holds imports, constant assignments (`units = 8`) and the model definition (`model = Sequential()`, `model.add(...)`)

error: unsupported statement: `print(...)`
 --> spec.rnn:4:1
  |
4 | print(np.mean(x))
  | ^^^^^^^^^^^^^^^^^
  = hint: a spec holds imports, constant assignments (`units = 8`) and the model definition (`model = Sequential()`, `model.add(...)`)
"
    );
}

#[test]
fn mask_zero_and_masking_are_read() {
    let m = model(
        "model = Sequential()\nmodel.add(Embedding(1000, 64, input_length=20, mask_zero=True))\nmodel.add(Masking(mask_value=-1.5))\n",
    );
    assert!(matches!(
        &m.layers[0].kind,
        LayerKind::Embedding(e) if e.mask_zero
    ));
    assert_eq!(m.layers[1].kind, LayerKind::Masking { value: -1.5 });
    assert_eq!(
        errors("Embedding(1000, 64, mask_zero='yes')\n"),
        "error: expected True or False for `mask_zero`, got 'yes'
 --> spec.rnn:1:31
  |
1 | Embedding(1000, 64, mask_zero='yes')
  |                               ^^^^^
"
    );
}

#[test]
fn error_unknown_activation() {
    assert_eq!(
        errors("GRU(16, activation='rleu', recurrent_activation='sigmod')\n"),
        "error: unknown activation `rleu`
 --> spec.rnn:1:20
  |
1 | GRU(16, activation='rleu', recurrent_activation='sigmod')
  |                    ^^^^^^
  = hint: did you mean `relu`?

error: unknown activation `sigmod`
 --> spec.rnn:1:49
  |
1 | GRU(16, activation='rleu', recurrent_activation='sigmod')
  |                                                 ^^^^^^^^
  = hint: did you mean `sigmoid`?
"
    );
}

#[test]
fn error_softmax_in_recurrent_layer() {
    assert_eq!(
        errors("SimpleRNN(4, activation='softmax')\n"),
        "error: SimpleRNN cannot use `softmax` as `activation`
 --> spec.rnn:1:25
  |
1 | SimpleRNN(4, activation='softmax')
  |                         ^^^^^^^^^
  = hint: softmax normalizes over the last axis; put it in a Dense layer after the recurrent one
"
    );
}

#[test]
fn error_initializers() {
    assert_eq!(
        errors("Dense(3, kernel_initializer=initializers.GlorotUniform(seed=1), bias_initializer='zeroes')\n"),
        "error: initializer arguments are not supported
 --> spec.rnn:1:56
  |
1 | Dense(3, kernel_initializer=initializers.GlorotUniform(seed=1), bias_initializer='zeroes')
  |                                                        ^^^^^^
  = hint: use the initializer with its defaults, e.g. `GlorotUniform()`

error: unknown initializer `zeroes`
 --> spec.rnn:1:82
  |
1 | Dense(3, kernel_initializer=initializers.GlorotUniform(seed=1), bias_initializer='zeroes')
  |                                                                                  ^^^^^^^^
  = hint: did you mean `zeros`?
"
    );
}

#[test]
fn error_argument_binding() {
    assert_eq!(
        errors("Dense(3, 'relu', True, 'zeros', 'zeros', None, None, None, None, None, 7, units=4)\nDropout()\n"),
        "error: Dense takes at most 10 positional arguments, got 11
 --> spec.rnn:1:72
  |
1 | Dense(3, 'relu', True, 'zeros', 'zeros', None, None, None, None, None, 7, units=4)
  |                                                                        ^
  = hint: pass the remaining arguments by keyword

error: argument `units` of Dense is given twice
 --> spec.rnn:1:75
  |
1 | Dense(3, 'relu', True, 'zeros', 'zeros', None, None, None, None, None, 7, units=4)
  |                                                                           ^^^^^^^

error: Dropout needs the argument `rate`
 --> spec.rnn:2:1
  |
2 | Dropout()
  | ^^^^^^^^^
"
    );
}

#[test]
fn error_model_statements() {
    let src = "model = Sequential()\nmodel.add(SimpleRNN(3, input_shape=(2, 10)))\nmodel.compile(loss='mse')\nmodel.pop()\nmodle.add(Dense(1))\nmodel.sumary()\nmodel = Sequential()\n";
    assert_eq!(
        errors(src),
        "error: `model.pop(...)` is not part of the model definition
 --> spec.rnn:4:1
  |
4 | model.pop()
  | ^^^^^^^^^^^
  = hint: rnnc takes the model from its layers alone; remove this call (trained weights are given with `rnnc compile --weights`)

error: `.add` on unknown name `modle`
 --> spec.rnn:5:1
  |
5 | modle.add(Dense(1))
  | ^^^^^
  = hint: did you mean `model`?

error: unknown model method `sumary`
 --> spec.rnn:6:7
  |
6 | model.sumary()
  |       ^^^^^^
  = hint: did you mean `summary`?

error: a spec describes one model, but a second `Sequential` is created here
 --> spec.rnn:7:9
  |
7 | model = Sequential()
  |         ^^^^^^^^^^^^
  = hint: write each model in its own spec file
"
    );
}

#[test]
fn error_syntax_errors_are_all_reported() {
    let src = "x = $\nfor t in range(3):\n    model.add(Dense(t))\nmodel.add(SimpleRNN(3, input_shape=(2, 10))\n";
    assert_eq!(
        errors(src),
        "error: unexpected character `$`
 --> spec.rnn:1:5
  |
1 | x = $
  |     ^

error: a `for` block is not supported in a spec
 --> spec.rnn:2:1
  |
2 | for t in range(3):
  | ^^^
  = hint: write the model definition as plain statements, one layer per `model.add(...)`

error: unclosed `(`
 --> spec.rnn:4:10
  |
4 | model.add(SimpleRNN(3, input_shape=(2, 10))
  |          ^
"
    );
}

#[test]
fn error_input_shapes_and_wrappers() {
    let src = "Input(shape=(5, 3))\nBidirectional(Dense(4), input_shape=(5, 3))\nTimeDistributed(LSTM(2))\nSimpleRNN(2, input_shape=(5, 3), batch_input_shape=(1, 5, 3), stateful=True)\nInput(shape=5)\n";
    assert_eq!(
        errors(src),
        "error: Bidirectional cannot wrap Dense
 --> spec.rnn:2:15
  |
2 | Bidirectional(Dense(4), input_shape=(5, 3))
  |               ^^^^^^^^
  = hint: wrap a SimpleRNN, LSTM or GRU layer

error: TimeDistributed cannot wrap LSTM
 --> spec.rnn:3:17
  |
3 | TimeDistributed(LSTM(2))
  |                 ^^^^^^^
  = hint: rnnc supports TimeDistributed(Dense(...)) only

error: conflicting input shapes: `input_shape` and `batch_input_shape`
 --> spec.rnn:4:34
  |
4 | SimpleRNN(2, input_shape=(5, 3), batch_input_shape=(1, 5, 3), stateful=True)
  |                                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = hint: give the input shape in one way only

error: invalid value for `shape`: expected a tuple, got 5
 --> spec.rnn:5:13
  |
5 | Input(shape=5)
  |             ^
  = hint: write `(5,)` for a shape of one dimension
"
    );
}

#[test]
fn error_undefined_name_and_no_layers() {
    assert_eq!(
        errors("hidden_units = 8\nSimpleRNN(hiden_units)\n"),
        "error: `hiden_units` is not defined
 --> spec.rnn:2:11
  |
2 | SimpleRNN(hiden_units)
  |           ^^^^^^^^^^^
  = hint: did you mean `hidden_units`?
"
    );
    assert_eq!(
        errors("import keras\nmodel = keras.Sequential()\n"),
        "error: the spec defines no layers\n  = hint: add layers with `model.add(...)`\n"
    );
}

#[test]
fn no_prefix_of_a_spec_panics() {
    let src = "\"\"\"A docstring\n  over lines\"\"\"\nfrom keras import layers as L\nunits = (8, -2.5e-3, None)  # 주석\nm = Sequential([L.LSTM(4, input_shape=(None, 3)), Dense(2, activation='relu')], name='x')\nm.add(Bidirectional(GRU(2), merge_mode='sum'))\\\n\n";
    for (end, _) in src.char_indices() {
        let _ = parse(&src[..end]);
    }
    model(src);
}

#[test]
fn error_non_layers_in_layer_positions() {
    assert_eq!(
        errors("rnn = SimpleRNN(3)\nrnn\nmodel = Sequential([rnn, 5, cell])\n"),
        "error: unsupported statement: `rnn`
 --> spec.rnn:2:1
  |
2 | rnn
  | ^^^
  = hint: a spec holds imports, constant assignments (`units = 8`) and the model definition (`model = Sequential()`, `model.add(...)`)

error: expected a layer, got 5
 --> spec.rnn:3:26
  |
3 | model = Sequential([rnn, 5, cell])
  |                          ^

error: `cell` is not defined
 --> spec.rnn:3:29
  |
3 | model = Sequential([rnn, 5, cell])
  |                             ^^^^
"
    );
}

#[test]
fn input_layer_in_both_keras_spellings() {
    for spec in [
        "model = Sequential([InputLayer(input_shape=(6, 2), batch_size=3), LSTM(4)])\n",
        "model = Sequential([layers.InputLayer(batch_shape=(3, 6, 2)), LSTM(4)])\n",
    ] {
        let m = model(spec);
        let input = m.inputs[0].decl.clone().expect("input");
        assert_eq!((input.batch, input.dims), (Some(3), vec![Some(6), Some(2)]));
    }
}
