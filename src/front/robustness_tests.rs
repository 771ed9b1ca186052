//! Hostile and unusual spec text: nesting deep enough to overflow a stack,
//! constants that expand exponentially, notebook lines, functional models,
//! byte order marks, old Mac line ends and curly quotes.

use super::parser::MAX_NESTING;
use super::{parse_errors, parse_spec, FrontError};
use crate::diag::render_all;
use crate::spec::Spec;

/// The stack the nesting tests run on: a quarter of a 1 MiB Windows main
/// thread, the margin a library caller can count on.
const SMALL_STACK: usize = 256 * 1024;

/// How deep the hostile inputs nest: far past any limit, as in the repro.
const HOSTILE_DEPTH: usize = 20_000;

/// Runs `f` on a thread with [`SMALL_STACK`] bytes of stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn a test thread")
        .join()
        .expect("the parser must not overflow a small stack")
}

/// A spec whose first line nests `n` levels of one construct.
fn nested(construct: &str, n: usize) -> String {
    let body = match construct {
        "list" => format!("x = {}1{}", "[".repeat(n), "]".repeat(n)),
        "tuple" => format!("x = {}1{}", "(".repeat(n), ",)".repeat(n)),
        "parens" => format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
        "call" => format!("x = {}1{}", "f(".repeat(n), ")".repeat(n)),
        "keyword" => format!("x = {}1{}", "f(a=".repeat(n), ")".repeat(n)),
        "layer" => format!(
            "model.add({}Dense(1){})",
            "TimeDistributed(".repeat(n),
            ")".repeat(n)
        ),
        "minus" => format!("x = {}1", "-".repeat(n)),
        "plus" => format!("x = {}1", "+".repeat(n)),
        "attribute" => format!("x = a{}", ".a".repeat(n)),
        "call_chain" => format!("x = f{}", "()".repeat(n)),
        "method_chain" => format!("x = f{}", "(1).a".repeat(n)),
        "args_then_chain" => format!("x = {}1{}", "f(".repeat(n), ").a".repeat(n)),
        other => panic!("unknown construct {other}"),
    };
    format!("model = Sequential()\n{body}\nmodel.add(SimpleRNN(3, input_shape=(2, 10)))\n")
}

const CONSTRUCTS: &[&str] = &[
    "list",
    "tuple",
    "parens",
    "call",
    "keyword",
    "layer",
    "minus",
    "plus",
    "attribute",
    "call_chain",
    "method_chain",
    "args_then_chain",
];

#[test]
fn hostile_nesting_is_refused_on_a_small_stack() {
    for &construct in CONSTRUCTS {
        let source = nested(construct, HOSTILE_DEPTH);
        let errors = on_small_stack(move || parse_errors(&source).map(|_| ()));
        let errors = errors.expect_err(construct);
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, FrontError::TooDeep { limit, .. } if *limit == MAX_NESTING)),
            "{construct}: {errors:?}"
        );
        assert_eq!(errors.len(), 1, "{construct}: {errors:?}");
    }
}

#[test]
fn nesting_up_to_the_limit_is_lowered_on_a_small_stack() {
    // The deepest trees the parser accepts go through lowering (and the
    // check pass, for the layer) within the small stack.
    for &construct in CONSTRUCTS {
        // Two tree levels per repetition in the chains that mix calls and
        // attributes.
        let per_repeat = if construct.ends_with("chain") && construct != "call_chain" {
            2
        } else {
            1
        };
        let source = nested(construct, (MAX_NESTING - 3) / per_repeat);
        let name = construct.to_string();
        on_small_stack(move || {
            let result = Spec::from_source(source, "deep.rnn");
            if let Err(e) = &result {
                assert!(!e.to_string().contains("nested more than"), "{name}: {e}");
            }
        });
    }
}

#[test]
fn the_limit_error_points_at_the_level_past_it() {
    let source = nested("list", MAX_NESTING + 1);
    let errors = parse_errors(&source).unwrap_err();
    let rendered = render_all(
        &errors.into_iter().map(Into::into).collect::<Vec<_>>(),
        &source,
        "deep.rnn",
    );
    assert!(
        rendered.starts_with(
            "error: expression nested more than 100 levels deep\n --> deep.rnn:2:105\n"
        ),
        "{rendered}"
    );
    assert!(rendered.contains("Python itself stops near 200 levels"));
}

#[test]
fn constants_built_from_constants_are_bounded() {
    // Each line doubles the value: 2^40 nodes if substituted blindly.
    let mut source = String::from("a0 = [1, 1]\n");
    for i in 1..40 {
        source.push_str(&format!("a{i} = [a{0}, a{0}]\n", i - 1));
    }
    source.push_str("SimpleRNN(3, input_shape=(2, 10))\n");
    let errors = parse_errors(&source).unwrap_err();
    assert!(
        matches!(errors[0], FrontError::TooLargeExpansion { .. }),
        "{errors:?}"
    );
    // Each line nests the previous value one level deeper.
    let mut source = String::from("b0 = 1\n");
    for i in 1..=MAX_NESTING + 5 {
        source.push_str(&format!("b{i} = [b{}]\n", i - 1));
    }
    source.push_str("SimpleRNN(3, input_shape=(2, 10))\n");
    let errors = on_small_stack(move || parse_errors(&source).map(|_| ()).unwrap_err());
    assert!(
        matches!(errors[0], FrontError::TooDeep { .. }),
        "{errors:?}"
    );
}

#[test]
fn thousands_of_arguments_are_reported_not_fatal() {
    let source = format!(
        "SimpleRNN(3, input_shape=(2, 10){})\n",
        ", dropout=0.1".repeat(20_000)
    );
    let errors = parse_errors(&source).unwrap_err();
    assert_eq!(errors.len(), 19_999);
    let positional = format!("SimpleRNN({}3)\n", "3, ".repeat(100_000));
    let errors = parse_errors(&positional).unwrap_err();
    let too_many = errors
        .iter()
        .filter(|e| matches!(e, FrontError::TooManyPositional { got: 100_001, .. }))
        .count();
    assert_eq!(too_many, 1, "{errors:?}");
}

/// The notes of a spec that must parse, rendered.
fn notes(source: &str) -> String {
    match parse_spec(source) {
        Ok(parsed) => crate::diag::render_notes(&parsed.notes, source, "cell.rnn"),
        Err(errors) => panic!("{}", render_all(&errors, source, "cell.rnn")),
    }
}

/// The rendered errors of a spec that must fail.
fn errors(source: &str) -> String {
    match parse_spec(source) {
        Ok(parsed) => panic!("expected errors, got {:?}", parsed.model),
        Err(errors) => render_all(&errors, source, "cell.rnn"),
    }
}

#[test]
fn harmless_notebook_lines_are_ignored_with_one_note_each() {
    let source = "%matplotlib inline
!pip install keras
import numpy
import tensorflow as tf
from keras.optimizers import RMSprop
numpy.random.seed(7)
np.random.seed(7)
tf.random.set_seed(42)
model = Sequential()
model.add(LSTM(4, input_shape=(10, 3)))
optimizer = RMSprop(learning_rate=0.01)
opt = tf.keras.optimizers.Adam()
model.compile(loss='mse', optimizer=optimizer)
print(model.summary())
history = model.fit(x, y, epochs=3)
model.evaluate(x, y)
y_hat = model.predict(x)
model.save('m.keras')
";
    assert_eq!(
        notes(source),
        "note: cell.rnn:1:1: ignored `%matplotlib inline` (notebook commands do not define the model)
note: cell.rnn:2:1: ignored `!pip install keras` (notebook commands do not define the model)
note: cell.rnn:6:1: ignored `numpy.random.seed(...)` (seeds do not change the model; rnnc's weights come from `--seed` or `--weights`)
note: cell.rnn:7:1: ignored `np.random.seed(...)` (seeds do not change the model; rnnc's weights come from `--seed` or `--weights`)
note: cell.rnn:8:1: ignored `tf.random.set_seed(...)` (seeds do not change the model; rnnc's weights come from `--seed` or `--weights`)
note: cell.rnn:11:1: ignored `optimizer = RMSprop(...)` (optimizers do not change the model's structure)
note: cell.rnn:12:1: ignored `opt = tf.keras.optimizers.Adam(...)` (optimizers do not change the model's structure)
note: cell.rnn:13:1: ignored `model.compile(...)` (training settings do not change the model's structure)
note: cell.rnn:14:1: ignored `print(...)` (printing does not change the model)
note: cell.rnn:15:1: ignored `history = model.fit(...)` (training does not change the model's structure; give trained weights with `--weights`)
note: cell.rnn:16:1: ignored `model.evaluate(...)` (inference does not change the model; run the ONNX file with `rnnc run`)
note: cell.rnn:17:1: ignored `y_hat = model.predict(...)` (inference does not change the model; run the ONNX file with `rnnc run`)
note: cell.rnn:18:1: ignored `model.save(...)` (`rnnc compile` writes the model)
"
    );
}

#[test]
fn lines_that_change_the_model_stay_errors() {
    let source = "model = Sequential()
model.add(LSTM(4, input_shape=(10, 3)))
model.pop()
model.load_weights('w.h5')
print(model.pop())
";
    let rendered = errors(source);
    for expected in [
        "`model.pop(...)` is not part of the model definition",
        "`model.load_weights(...)` is not part of the model definition",
        "unsupported statement: `print(...)`",
    ] {
        assert!(rendered.contains(expected), "{expected}:\n{rendered}");
    }
    let frozen = errors("SimpleRNN(3, input_shape=(2, 10))\nmodel.layers[0].trainable = False\n");
    assert!(
        frozen.contains("assigning to `model.layers[0].trainable` is not supported"),
        "{frozen}"
    );
}

#[test]
fn model_build_gives_the_input_shape() {
    let source =
        "model = Sequential()\nmodel.add(LSTM(4))\nmodel.build(input_shape=(None, 10, 3))\n";
    let model = parse_spec(source).unwrap().model;
    let input = model.inputs[0].decl.clone().expect("an input from build");
    assert_eq!((input.batch, input.dims), (None, vec![Some(10), Some(3)]));
    let model = parse_spec("model = Sequential()\nmodel.add(GRU(2))\nmodel.build((8, 5, 1))\n")
        .unwrap()
        .model;
    let input = model.inputs[0].decl.clone().expect("an input from build");
    assert_eq!((input.batch, input.dims), (Some(8), vec![Some(5), Some(1)]));
    // Agreeing with the first layer's shape is fine; disagreeing is not.
    let same = "model = Sequential()\nmodel.add(LSTM(4, input_shape=(10, 3)))\nmodel.build((None, 10, 3))\n";
    assert!(parse_spec(same).is_ok());
    let conflict = "model = Sequential()\nmodel.add(LSTM(4, input_shape=(10, 3)))\nmodel.build((None, 12, 3))\n";
    assert_eq!(
        errors(conflict),
        "error: conflicting input shapes: `build` gives (None, 12, 3), but the model's input is declared as (None, 10, 3) earlier
 --> cell.rnn:3:13
  |
3 | model.build((None, 12, 3))
  |             ^^^^^^^^^^^^^
  = hint: give the input shape in one way only
"
    );
}

#[test]
fn a_functional_model_lowers_to_a_graph() {
    let source = "import keras
from keras import layers
inputs = keras.Input(shape=(10, 8))
x = layers.LSTM(16)(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
";
    let model = crate::front::parse(source).expect("a functional spec lowers");
    assert_eq!(model.class, crate::ir::ModelClass::Functional);
    assert_eq!(model.calls.len(), 2);
    assert_eq!(model.inputs[0].name.as_deref(), Some("input_layer"));
}

#[test]
fn byte_order_mark_and_every_line_end_are_accepted() {
    let lines = [
        "model = Sequential()",
        "model.add(SimpleRNN(3, input_shape=(2, 10)))  # a comment",
        "units = \\",
        "  4",
        "model.add(Dense(units))",
    ];
    let expected = parse_spec(&lines.join("\n")).unwrap().model;
    for end in ["\r\n", "\r"] {
        for bom in ["", "\u{feff}"] {
            let source = format!("{bom}{}{end}", lines.join(end));
            let model = parse_spec(&source).unwrap_or_else(|e| panic!("{end:?}: {e:?}"));
            assert_eq!(model.model.layers.len(), expected.layers.len(), "{end:?}");
        }
    }
    // Errors in an old Mac file point at the right line.
    let rendered = errors("model = Sequential()\rmodel.add(SimpleRNM(3))\r");
    assert!(
        rendered.contains(" --> cell.rnn:2:11\n  |\n2 | model.add(SimpleRNM(3))\n"),
        "{rendered}"
    );
}

#[test]
fn curly_quotes_ask_for_straight_ones() {
    let source =
        "model = Sequential()\nmodel.add(SimpleRNN(3, activation=“relu”, input_shape=(2, 10)))\n";
    assert_eq!(
        errors(source),
        "error: curly quote `“` in the spec
 --> cell.rnn:2:35
  |
2 | model.add(SimpleRNN(3, activation=“relu”, input_shape=(2, 10)))
  |                                   ^
  = hint: use straight quotes: `'` or `\"` (an editor may have replaced them)
"
    );
    let single = errors("SimpleRNN(3, activation=‘tanh’)\n");
    assert_eq!(single.matches("curly quote `‘`").count(), 1, "{single}");
}
