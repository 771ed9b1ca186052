//! `model.summary()` as the tutorial prints it.
//!
//! The layout is Keras 2's `print_summary` for Sequential models: a 65-column
//! table with columns ending at 29, 55 and 65; a cell too wide for its column
//! continues on the next line, broken at a tuple boundary (`"),"`) when it has
//! one, which is how the tutorial shows `bidirectional_1 (Bidirectio` / `nal)`.
//! The tutorial's copy has no `=` rules (its notebook export dropped them), and
//! this printer follows the tutorial, which is our ground truth.

use crate::check::{format_shape, ModelInfo, Shape};
use crate::escape::escape;

/// Total width of the table.
const LINE_LENGTH: usize = 65;
/// Where each column ends (Keras 2: `positions=[.45, .85, 1.]` of 65).
const COLUMN_ENDS: [usize; 3] = [29, 55, 65];

/// Renders the summary of a checked model.
pub fn render(info: &ModelInfo) -> String {
    let rule = "_".repeat(LINE_LENGTH);
    let mut out = format!("Model: \"{}\"\n{rule}\n", escape(&info.name));
    out.push_str(&row(["Layer (type)", "Output Shape", "Param #"]));
    for layer in &info.layers {
        let name = format!("{} ({})", escape(&layer.name), layer.class_name);
        out.push_str(&row([
            name.as_str(),
            &format_outputs(&layer.output_shapes),
            &layer.params.to_string(),
        ]));
        out.push_str(&" ".repeat(LINE_LENGTH));
        out.push('\n');
    }
    let total = thousands(info.total_params);
    out.push_str(&format!(
        "Total params: {total}\nTrainable params: {total}\nNon-trainable params: 0\n{rule}\n"
    ));
    out
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

/// A table row, wrapped over as many lines as its widest cell needs
/// (Keras 2's `print_row`).
fn row(fields: [&str; 3]) -> String {
    let mut left: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    let mut out = String::new();
    while left.iter().any(|f| !f.is_empty()) {
        let mut line = String::new();
        for (col, field) in left.iter_mut().enumerate() {
            let start = if col == 0 { 0 } else { COLUMN_ENDS[col - 1] };
            let space = if col == COLUMN_ENDS.len() - 1 { 0 } else { 2 };
            let width = COLUMN_ENDS[col] - start - space;
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
            let pad = COLUMN_ENDS[col].saturating_sub(line.chars().count());
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
        let text = render(&spec.info);
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
            row(["bidirectional_1 (Bidirectional)", "(None, 10, 16)", "224"]),
            " bidirectional_1 (Bidirectio  (None, 10, 16)           224       \n \
             nal)                                                            \n"
        );
    }

    #[test]
    fn multiple_outputs_break_at_tuples() {
        let text = row(["lstm (LSTM)", "[(None, 8), (None, 8), (None, 8)]", "416"]);
        assert_eq!(
            text,
            " lstm (LSTM)                 [(None, 8),               416       \n\
             \x20                             (None, 8),                         \n\
             \x20                             (None, 8)]                         \n"
        );
    }
}
