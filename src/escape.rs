//! Escaping text from files before it reaches a terminal.
//!
//! Layer and model names in a spec, names, metadata and doc strings in an
//! ONNX file, keys in a weights file: all of them are written by someone
//! else, and a control character among them (an ANSI escape sequence, a
//! carriage return, a bidirectional override) could clear, recolour or
//! rewrite what the user reads. Everything rnnc prints that quotes such text
//! goes through [`escape`]; JSON output has its own, standard escapes.

use std::borrow::Cow;

/// `text` with every character a terminal would not simply show replaced by
/// its Rust escape (`\u{1b}`): control characters (C0 including newline and
/// carriage return, DEL, C1) and the invisible format characters that
/// reorder or hide text (zero-width spaces and joiners, bidirectional
/// embeddings, overrides and isolates, the line and paragraph separators,
/// the byte order mark). A tab is whitespace and is kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] on each line of a text made of several lines (a rendered
/// error, a report), keeping its line breaks.
pub fn escape_lines(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape("\u{1b}[2Jname"), "\\u{1b}[2Jname");
        assert_eq!(
            escape("a\rb\nc\u{7f}\u{9b}"),
            "a\\u{d}b\\u{a}c\\u{7f}\\u{9b}"
        );
        assert_eq!(escape("evil\u{202e}txt"), "evil\\u{202e}txt");
    }

    #[test]
    fn leaves_printable_text_alone() {
        for text in ["lstm_1", "主語 é ü", "tab\tkept", ""] {
            assert!(matches!(escape(text), Cow::Borrowed(_)), "{text:?}");
        }
    }

    #[test]
    fn escape_lines_keeps_line_breaks() {
        assert_eq!(escape_lines("a\u{1b}\nb\r\n"), "a\\u{1b}\nb\\u{d}\n");
    }
}
