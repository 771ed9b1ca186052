//! Specs generated from a small grammar of the Keras statements rnnc reads:
//! imports, variable assignments, `Sequential()` + `model.add(…)`, a
//! `Sequential([…])` list or bare layer calls, with layers, wrappers and
//! keyword arguments drawn from what Keras (and rnnc) knows plus near misses,
//! and occasionally a random token or a line from a real spec.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Deepest wrapper nesting generated. Specs nested thousands deep overflow
/// the stack (issue 7, repro 04; fixed on the parser branch); until that
/// lands, nesting stays far below the depth (~50) the fix will allow.
const MAX_WRAP_DEPTH: usize = 3;

/// Layer names: everything rnnc knows, plus misspellings and layers it
/// does not, so the did-you-mean and unknown-layer paths run too.
const LAYERS: &[&str] = &[
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Dense",
    "Embedding",
    "Dropout",
    "Activation",
    "LTSM",
    "Conv1D",
    "CuDNNLSTM",
    "layers.LSTM",
    "keras.layers.GRU",
];

/// Wrappers taking a layer as their first argument.
const WRAPPERS: &[&str] = &["Bidirectional", "TimeDistributed", "RNN"];

/// Keyword arguments Keras layers take (and a few they do not).
const KWARGS: &[&str] = &[
    "units",
    "activation",
    "recurrent_activation",
    "return_sequences",
    "return_state",
    "go_backwards",
    "use_bias",
    "input_shape",
    "batch_input_shape",
    "batch_shape",
    "batch_size",
    "input_dim",
    "input_length",
    "output_dim",
    "name",
    "merge_mode",
    "reset_after",
    "dropout",
    "recurrent_dropout",
    "rate",
    "mask_zero",
    "unit_forget_bias",
    "kernel_initializer",
    "stateful",
    "dtype",
    "seed",
    "bogus",
];

/// String values: activations, merge modes, initializers, names.
const STRINGS: &[&str] = &[
    "tanh",
    "relu",
    "sigmoid",
    "softmax",
    "linear",
    "hard_sigmoid",
    "gelu",
    "concat",
    "sum",
    "ave",
    "mul",
    "glorot_uniform",
    "zeros",
    "float64",
    "lstm_1",
    "a/b",
    "",
    "\\n\\x1b[2J",
];

/// Raw tokens spliced in now and then to reach the lexer's error paths.
const NOISE: &[&str] = &[
    "(", ")", "[", "]", ",", "=", ".", ":", "'", "\"", "#", "\\", "\t", "\r", "\u{201c}",
    "\u{feff}", "lambda", "**", "@", "0x", "1e999", "-", "None", "...",
];

/// Integers from small sizes to values past every limit.
fn int(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..10u32) {
        0 => "0".into(),
        1 => format!("-{}", rng.random_range(1..100u32)),
        2 => [
            "99999999999",
            "4294967296",
            "18446744073709551616",
            "2147483648",
        ][rng.random_range(0..4)]
        .into(),
        3 => format!(
            "{}.{}",
            rng.random_range(0..10u32),
            rng.random_range(0..100u32)
        ),
        4 => ["hidden_units", "timesteps", "input_dim", "undefined_name"][rng.random_range(0..4)]
            .into(),
        5 => format!(
            "{} * {}",
            rng.random_range(1..9u32),
            rng.random_range(1..9u32)
        ),
        6 => format!(
            "{} // {}",
            rng.random_range(1..99u32),
            rng.random_range(0..4u32)
        ),
        _ => rng.random_range(1..40u32).to_string(),
    }
}

/// A shape tuple, sometimes with `None`, sometimes malformed.
fn shape(rng: &mut ChaCha8Rng) -> String {
    let dims: Vec<String> = (0..rng.random_range(0..5))
        .map(|_| {
            if rng.random_bool(0.2) {
                "None".into()
            } else {
                int(rng)
            }
        })
        .collect();
    match rng.random_range(0..6u32) {
        0 => format!("[{}]", dims.join(", ")),
        1 => format!("({},)", dims.join(", ")),
        _ => format!("({})", dims.join(", ")),
    }
}

/// One argument value.
fn value(rng: &mut ChaCha8Rng, depth: usize) -> String {
    match rng.random_range(0..8u32) {
        0 => ["True", "False", "None"][rng.random_range(0..3)].into(),
        1 | 2 => format!("'{}'", STRINGS[rng.random_range(0..STRINGS.len())]),
        3 => shape(rng),
        4 if depth < MAX_WRAP_DEPTH => layer(rng, depth + 1),
        _ => int(rng),
    }
}

/// A layer call, possibly wrapped.
fn layer(rng: &mut ChaCha8Rng, depth: usize) -> String {
    if depth < MAX_WRAP_DEPTH && rng.random_bool(0.25) {
        let wrapper = WRAPPERS[rng.random_range(0..WRAPPERS.len())];
        let mut args = vec![layer(rng, depth + 1)];
        args.extend(kwargs(rng, depth));
        return format!("{wrapper}({})", args.join(", "));
    }
    let name = LAYERS[rng.random_range(0..LAYERS.len())];
    let mut args: Vec<String> = (0..rng.random_range(0..3))
        .map(|_| value(rng, depth))
        .collect();
    args.extend(kwargs(rng, depth));
    format!("{name}({})", args.join(", "))
}

/// Zero to four keyword arguments.
fn kwargs(rng: &mut ChaCha8Rng, depth: usize) -> Vec<String> {
    (0..rng.random_range(0..5))
        .map(|_| {
            let key = KWARGS[rng.random_range(0..KWARGS.len())];
            format!("{key}={}", value(rng, depth))
        })
        .collect()
}

/// Activations Keras accepts on every layer rnnc knows.
const ACTIVATIONS: &[&str] = &["tanh", "relu", "sigmoid", "linear", "softsign", "elu"];

/// A layer Keras would accept where it stands (mostly): a recurrent layer,
/// a Dense, a Dropout or a wrapper around one, with sizes in range and
/// keyword arguments of the right type. `first` adds the input shape.
fn tame_layer(rng: &mut ChaCha8Rng, first: bool, last: bool) -> String {
    let cell = ["SimpleRNN", "LSTM", "GRU"][rng.random_range(0..3)];
    let mut args = vec![rng.random_range(1..17u32).to_string()];
    if rng.random_bool(0.3) {
        let activation = ACTIVATIONS[rng.random_range(0..ACTIVATIONS.len())];
        args.push(format!("activation='{activation}'"));
    }
    if !last || rng.random_bool(0.3) {
        args.push("return_sequences=True".into());
    }
    for flag in ["go_backwards", "use_bias"] {
        if rng.random_bool(0.15) {
            args.push(format!(
                "{flag}={}",
                ["True", "False"][rng.random_range(0..2)]
            ));
        }
    }
    let mut layer = match rng.random_range(0..10u32) {
        0 | 1 => format!("Dense({}, activation='softmax')", rng.random_range(1..9u32)),
        2 if !first => format!("Dropout(0.{})", rng.random_range(1..10u32)),
        3 => {
            let merge = ["concat", "sum", "ave", "mul"][rng.random_range(0..4)];
            format!(
                "Bidirectional({cell}({}), merge_mode='{merge}')",
                args.join(", ")
            )
        }
        4 => format!("TimeDistributed(Dense({}))", rng.random_range(1..9u32)),
        _ => format!("{cell}({})", args.join(", ")),
    };
    if first {
        let time = if rng.random_bool(0.3) {
            "None".to_string()
        } else {
            rng.random_range(1..11u32).to_string()
        };
        let shape = format!("input_shape=({time}, {})", rng.random_range(1..9u32));
        layer.insert_str(layer.len() - 1, &format!(", {shape}"));
    }
    layer
}

/// A spec that Keras would mostly accept: a few tame layers, the first with
/// its input shape, in one of the three forms rnnc reads.
pub fn tame_spec(rng: &mut ChaCha8Rng) -> String {
    let count = rng.random_range(1..5);
    let layers: Vec<String> = (0..count)
        .map(|i| tame_layer(rng, i == 0, i + 1 == count))
        .collect();
    match rng.random_range(0..3u32) {
        0 => {
            let adds: Vec<String> = layers.iter().map(|l| format!("model.add({l})")).collect();
            format!("model = Sequential()\n{}\n", adds.join("\n"))
        }
        1 => format!(
            "model = Sequential([\n    {},\n])\n",
            layers.join(",\n    ")
        ),
        _ => layers.join("\n") + "\n",
    }
}

/// Deepest nesting [`deep_spec`] builds: past the ~58,000 levels at which
/// the longest-lived constructs (attribute chains) overflow an 8 MiB stack.
const MAX_DEEP_NESTING: usize = 60_000;

/// A spec nested thousands deep in one construct: lists, calls, brackets,
/// wrappers, unary minus, attribute chains. These overflow the stack today
/// (issue 7, repro 04; fixed on the parser branch), so only unfiltered runs
/// generate them.
pub fn deep_spec(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(1_000..=MAX_DEEP_NESTING);
    let body = match rng.random_range(0..6u32) {
        0 => format!("x = {}1{}", "[".repeat(n), "]".repeat(n)),
        1 => format!("x = {}1{}", "f(".repeat(n), ")".repeat(n)),
        2 => format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
        3 => format!(
            "model = Sequential()\nmodel.add({}Dense(1){})",
            "TimeDistributed(".repeat(n),
            ")".repeat(n)
        ),
        4 => format!("x = {}1", "-".repeat(n)),
        _ => format!("x = a{}", ".b".repeat(n)),
    };
    body + "\n"
}

/// A whole spec.
pub fn spec(rng: &mut ChaCha8Rng, real_lines: &[&str]) -> String {
    let mut lines = Vec::new();
    if rng.random_bool(0.5) {
        lines.push("from keras.models import Sequential".to_string());
        lines.push("from keras.layers import SimpleRNN, LSTM, GRU, Dense".to_string());
    }
    for var in ["hidden_units", "timesteps", "input_dim"] {
        if rng.random_bool(0.5) {
            lines.push(format!("{var} = {}", int(rng)));
        }
    }
    let count = rng.random_range(0..6);
    match rng.random_range(0..3u32) {
        0 => {
            lines.push("model = Sequential()".into());
            for _ in 0..count {
                lines.push(format!("model.add({})", layer(rng, 0)));
            }
        }
        1 => {
            let layers: Vec<String> = (0..count).map(|_| layer(rng, 0)).collect();
            lines.push(format!("model = Sequential([{}])", layers.join(",\n    ")));
        }
        _ => lines.extend((0..count).map(|_| layer(rng, 0))),
    }
    if rng.random_bool(0.3) {
        lines.push(
            [
                "model.summary()",
                "model.compile(loss='mse')",
                "print(model.summary())",
            ][rng.random_range(0..3)]
            .into(),
        );
    }
    if !real_lines.is_empty() && rng.random_bool(0.2) {
        let at = rng.random_range(0..=lines.len());
        lines.insert(
            at,
            real_lines[rng.random_range(0..real_lines.len())].to_string(),
        );
    }
    let mut text = lines.join("\n");
    if rng.random_bool(0.15) {
        let noise = NOISE[rng.random_range(0..NOISE.len())];
        let mut at = rng.random_range(0..=text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, noise);
    }
    text
}
