//! `model.summary()` as the tutorial prints it.
//!
//! The layout is Keras 2's `print_summary`. A Sequential model, or a
//! functional one shaped like a chain (one call per depth, each on one
//! tensor, no shared layer), gets the 65-column table with columns ending
//! at 29, 55 and 65 (a functional chain lists its `InputLayer` first, as
//! Keras does); any other functional model gets the 98-column table with
//! columns ending at 29, 58, 68 and 98 and a `Connected to` column listing
//! each call's inputs as `layer[node][tensor]` (initial states after the
//! input). A cell too wide for its column continues on the next line,
//! broken at a tuple boundary (`"),"`) when it has one, which is how the
//! tutorial shows `bidirectional_1 (Bidirectio` / `nal)`. The tutorial's
//! copy has no `=` rules (its notebook export dropped them), and this
//! printer follows the tutorial, which is our ground truth.

use crate::check::{format_shape, ModelInfo, Operation, Shape};
use crate::escape::escape;
use crate::ir::{CallId, InputId, Model, ModelClass, Value};

/// Where each column ends in a Sequential-like table (Keras 2:
/// `positions=[.45, .85, 1.]` of 65).
const CHAIN_COLUMNS: [usize; 3] = [29, 55, 65];
/// Where each column ends in a table with connections (Keras 2:
/// `positions=[.3, .6, .7, 1.]` of 98).
const GRAPH_COLUMNS: [usize; 4] = [29, 58, 68, 98];

/// Renders the summary of a checked model.
pub fn render(model: &Model, info: &ModelInfo) -> String {
    let columns: &[usize] = if chain_like(model, info) {
        &CHAIN_COLUMNS
    } else {
        &GRAPH_COLUMNS
    };
    let width = columns[columns.len() - 1];
    let rule = "_".repeat(width);
    let mut out = format!("Model: \"{}\"\n{rule}\n", escape(&info.name));
    let header = ["Layer (type)", "Output Shape", "Param #", "Connected to"];
    out.push_str(&row(columns, &header[..columns.len()]));
    for op in &info.order {
        let (name, class, shapes, params, connections) = match *op {
            // Keras 2 lists a functional model's inputs, as one-shape lists.
            Operation::Input(id) => match model.class {
                ModelClass::Sequential => continue,
                ModelClass::Functional => {
                    let input = info.input(id);
                    let shape = format!("[{}]", format_shape(&input.shape));
                    (&input.name, "InputLayer", shape, 0, "[]".to_string())
                }
            },
            Operation::Layer(id) => {
                let layer = info.layer(id);
                let connections: Vec<String> = layer
                    .calls
                    .iter()
                    .flat_map(|&call| {
                        let c = &model.calls[call.index()];
                        c.inputs.iter().chain(&c.initial_state).copied()
                    })
                    .map(|v| format!("'{}'", escape(&tensor_name(info, v))))
                    .collect();
                (
                    &layer.name,
                    layer.class_name,
                    format_outputs(&layer.output_shapes),
                    layer.params,
                    format!("[{}]", connections.join(", ")),
                )
            }
        };
        let name = format!("{} ({class})", escape(name));
        let params = params.to_string();
        let fields = [name.as_str(), &shapes, &params, &connections];
        out.push_str(&row(columns, &fields[..columns.len()]));
        out.push_str(&" ".repeat(width));
        out.push('\n');
    }
    let frozen = info.non_trainable_params();
    let total = thousands(info.total_params);
    let trainable = thousands(info.total_params - frozen);
    let frozen = thousands(frozen);
    out.push_str(&format!(
        "Total params: {total}\nTrainable params: {trainable}\nNon-trainable params: {frozen}\n{rule}\n"
    ));
    out
}

/// Keras 2's `layer[node][tensor]` for a value: the producing layer's name,
/// which of its calls made it, which of the call's outputs it is.
fn tensor_name(info: &ModelInfo, value: Value) -> String {
    match value {
        Value::Input(id) => format!("{}[0][0]", info.input(id).name),
        Value::Output { call, output } => {
            let (layer, node) = producer(info, call);
            format!("{}[{node}][{output}]", layer)
        }
    }
}

/// The layer a call calls, and the call's position among its calls.
fn producer(info: &ModelInfo, call: CallId) -> (&str, usize) {
    info.layers
        .iter()
        .find_map(|l| {
            let node = l.calls.iter().position(|&c| c == call)?;
            Some((l.name.as_str(), node))
        })
        .expect("every call is some layer's")
}

/// Whether Keras 2 prints the model as a chain: a Sequential model, or a
/// functional one where every depth holds one call on one tensor (inputs
/// count as calls on nothing) and no layer is called twice.
fn chain_like(model: &Model, info: &ModelInfo) -> bool {
    if model.class == ModelClass::Sequential {
        return true;
    }
    let one_each = info.layers.iter().all(|l| l.calls.len() <= 1);
    let single_inputs = model
        .calls
        .iter()
        .all(|c| c.inputs.len() + c.initial_state.len() <= 1);
    // With one tensor per call and no sharing, the graph is a chain exactly
    // when each call feeds at most one other call and one call feeds none.
    let consumers = |id: CallId| {
        let mut users: Vec<CallId> = model
            .calls()
            .filter(|(_, c)| {
                c.inputs
                    .iter()
                    .chain(&c.initial_state)
                    .any(|v| matches!(v, Value::Output { call, .. } if *call == id))
            })
            .map(|(user, _)| user)
            .collect();
        users.dedup();
        users.len()
    };
    let counts: Vec<usize> = model.calls().map(|(id, _)| consumers(id)).collect();
    let path = counts.iter().all(|&n| n <= 1) && counts.iter().filter(|&&n| n == 0).count() == 1;
    let input_feeds_one = model.consumers(Value::Input(InputId(0))).count() <= 1;
    one_each && single_inputs && path && input_feeds_one && model.inputs.len() == 1
}

/// One output shape as `(None, 3)`, several as `[(None, 3), (None, 3)]`.
fn format_outputs(shapes: &[Shape]) -> String {
    match shapes {
        [one] => format_shape(one),
        many => format!(
            "[{}]",
            many.iter()
                .map(|s| format_shape(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A table row with columns ending at `ends`, wrapped over as many lines
/// as its widest cell needs (Keras 2's `print_row`).
fn row(ends: &[usize], fields: &[&str]) -> String {
    let mut left: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    let mut out = String::new();
    while left.iter().any(|f| !f.is_empty()) {
        let mut line = String::new();
        for (col, field) in left.iter_mut().enumerate() {
            let start = if col == 0 { 0 } else { ends[col - 1] };
            let space = if col == ends.len() - 1 { 0 } else { 2 };
            let width = ends[col] - start - space;
            let mut cut = field
                .char_indices()
                .nth(width)
                .map_or(field.len(), |(i, _)| i);
            let fits = &field[..cut];
            if let Some(boundary) = ["),", "},", "],", "',"]
                .iter()
                .filter_map(|b| fits.find(b).map(|i| i + b.len()))
                .min()
            {
                cut = boundary;
            }
            if col == 0 {
                line.push(' ');
            }
            line.push_str(&field[..cut]);
            line.push_str(&" ".repeat(space));
            let pad = ends[col].saturating_sub(line.chars().count());
            line.push_str(&" ".repeat(pad));
            field.replace_range(..cut, "");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `1424` → `1,424`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        let spec = crate::spec::Spec::from_source(
            // A raw ESC in one name, Python's `\r` escape in the other.
            "model = Sequential(name='\x1b[2J')\nmodel.add(Dense(2, input_shape=(3,), name='a\\rb'))\n"
                .into(),
            "t.rnn",
        )
        .unwrap();
        let text = render(&spec.model, &spec.info);
        assert!(text.contains("Model: \"\\u{1b}[2J\""), "{text}");
        assert!(text.contains(" a\\u{d}b (Dense)"), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(42), "42");
        assert_eq!(thousands(1424), "1,424");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn long_type_wraps_like_keras() {
        assert_eq!(
            row(
                &CHAIN_COLUMNS,
                &["bidirectional_1 (Bidirectional)", "(None, 10, 16)", "224"]
            ),
            " bidirectional_1 (Bidirectio  (None, 10, 16)           224       \n \
             nal)                                                            \n"
        );
    }

    #[test]
    fn multiple_outputs_break_at_tuples() {
        let text = row(
            &CHAIN_COLUMNS,
            &["lstm (LSTM)", "[(None, 8), (None, 8), (None, 8)]", "416"],
        );
        assert_eq!(
            text,
            " lstm (LSTM)                 [(None, 8),               416       \n\
             \x20                             (None, 8),                         \n\
             \x20                             (None, 8)]                         \n"
        );
    }
}
