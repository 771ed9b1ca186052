//! Source spans and the rendering of user errors.
//!
//! Every stage reports errors as its own typed enum whose variants carry a
//! [`Span`] (a byte range into the spec text). Line and column are computed only
//! here, when a [`Diagnostic`] is rendered for the user:
//!
//! ```text
//! error: unknown layer `SimpleRNM`
//!  --> model.rnn:3:11
//!   |
//! 3 | model.add(SimpleRNM(3, input_shape=(2, 10)))
//!   |           ^^^^^^^^^
//!   = hint: did you mean `SimpleRNN`?
//! ```

use std::fmt::Write as _;

/// A byte range `start..end` in the spec text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One user-facing error: what, where, and how to fix it when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The sentence after `error: `.
    pub message: String,
    /// Where in the spec; `None` for errors about the spec as a whole.
    pub span: Option<Span>,
    /// A suggested fix, printed as `= hint: ...`.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }

    /// Renders the error against the spec text, naming the file as `path`.
    pub fn render(&self, source: &str, path: &str) -> String {
        let mut out = format!("error: {}\n", self.message);
        if let Some(span) = self.span {
            let (line_no, col, line_text) = locate(source, span.start as usize);
            let gutter = line_no.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(out, "{pad}--> {path}:{line_no}:{col}");
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line_no} | {line_text}");
            let caret_start = line_text
                .char_indices()
                .take_while(|(i, _)| *i < col - 1)
                .count();
            let line_start = span.start as usize - (col - 1);
            let line_end = line_start + line_text.len();
            let end = (span.end as usize).clamp(span.start as usize, line_end);
            let width = source[span.start as usize..end].chars().count().max(1);
            let _ = writeln!(
                out,
                "{pad} | {}{}",
                " ".repeat(caret_start),
                "^".repeat(width)
            );
            if let Some(hint) = &self.hint {
                let _ = writeln!(out, "{pad} = hint: {hint}");
            }
        } else if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  = hint: {hint}");
        }
        out
    }
}

/// 1-based line, 1-based byte column and the line's text for a byte offset.
pub fn locate(source: &str, offset: usize) -> (usize, usize, &str) {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line_no = source[..line_start].matches('\n').count() + 1;
    let col = offset - line_start + 1;
    (
        line_no,
        col,
        source[line_start..line_end].trim_end_matches('\r'),
    )
}

/// Renders several diagnostics, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic], source: &str, path: &str) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(source, path))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a plausible typo (distance at most a third of the word, at least 1...3).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance over chars: Levenshtein plus the
/// transposition of two adjacent characters as one edit, so that `LTSM` is
/// one typo away from `LSTM`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i-2, i-1 and i of the distance table.
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut current = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let substitution = previous[j] + usize::from(a[i] != b[j]);
            let mut best = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                best = best.min(before[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let src = "import keras\nmodel.add(SimpleRNM(3))\n";
        let start = src.find("SimpleRNM").unwrap();
        let d = Diagnostic::new("unknown layer `SimpleRNM`", Span::new(start, start + 9))
            .with_hint(Some("did you mean `SimpleRNN`?".into()));
        assert_eq!(
            d.render(src, "m.rnn"),
            "error: unknown layer `SimpleRNM`\n --> m.rnn:2:11\n  |\n2 | model.add(SimpleRNM(3))\n  |           ^^^^^^^^^\n  = hint: did you mean `SimpleRNN`?\n"
        );
    }

    #[test]
    fn closest_finds_typos_only() {
        let names = ["SimpleRNN", "LSTM", "GRU", "Bidirectional"];
        assert_eq!(closest("SimpleRNM", names), Some("SimpleRNN"));
        assert_eq!(closest("simplernn", names), Some("SimpleRNN"));
        assert_eq!(closest("Conv2D", names), None);
        assert_eq!(closest("LTSM", names), Some("LSTM"));
        assert_eq!(closest("GUR", names), Some("GRU"));
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("ltsm", "lstm"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
    }
}
