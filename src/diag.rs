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

/// The most diagnostics printed for one spec. A spec with thousands of
/// errors is not a spec (a wrong file, a pasted log); the first fifty say
/// what is wrong, and printing every one would flood the terminal and cost
/// time proportional to their number times the text's length.
pub const MAX_SHOWN_DIAGNOSTICS: usize = 50;

/// The most characters of one source line shown under a diagnostic: a
/// terminal's width and then some. Longer lines are shown as a window
/// around the error, with `…` where they are cut.
pub const MAX_LINE_CHARS: usize = 120;

/// The most characters of one word (a name, a literal) quoted in a message;
/// longer ones keep their start and end around a `…`.
pub const MAX_WORD_CHARS: usize = 60;

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
        self.render_in(&LineIndex::new(source), path)
    }

    /// [`Diagnostic::render`] with the line index of the spec text built once.
    fn render_in(&self, lines: &LineIndex, path: &str) -> String {
        let mut out = format!("error: {}\n", shorten(&self.message));
        let hint = self.hint.as_deref().map(shorten);
        let Some(span) = self.span else {
            if let Some(hint) = &hint {
                let _ = writeln!(out, "  = hint: {hint}");
            }
            return out;
        };
        let (line_no, col, line_text) = lines.locate(span.start as usize);
        let gutter = line_no.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {path}:{line_no}:{col}");
        let _ = writeln!(out, "{pad} |");
        // The caret's start and end in chars of the line; a span running
        // past the line's end stops there.
        let chars_before = |byte: usize| {
            line_text
                .get(..byte)
                .map_or_else(|| line_text.chars().count(), |t| t.chars().count())
        };
        let start = chars_before(col - 1);
        let length = span.end.saturating_sub(span.start) as usize;
        let end = chars_before((col - 1 + length).min(line_text.len()));
        let (shown, caret_start, caret_width) = window(line_text, start, end);
        let _ = writeln!(out, "{line_no} | {shown}");
        let _ = writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(caret_start),
            "^".repeat(caret_width)
        );
        if let Some(hint) = &hint {
            let _ = writeln!(out, "{pad} = hint: {hint}");
        }
        out
    }

    /// A note in one line: `note: m.rnn:7:1: ignored ...`.
    fn render_note(&self, lines: &LineIndex, path: &str) -> String {
        let place = match self.span {
            Some(span) => {
                let (line_no, col, _) = lines.locate(span.start as usize);
                format!("{path}:{line_no}:{col}: ")
            }
            None => format!("{path}: "),
        };
        let hint = match &self.hint {
            Some(hint) => format!(" ({})", shorten(hint)),
            None => String::new(),
        };
        format!("note: {place}{}{hint}\n", shorten(&self.message))
    }
}

/// The start of every line of a text, found once so that locating many
/// diagnostics costs a binary search each, not a scan of the text.
pub struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of each line's first character; lines end with `\n`,
    /// `\r\n` or a lone `\r`, as in Python.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the lines of `source`.
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let bytes = source.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i + 1);
            }
        }
        LineIndex { source, starts }
    }

    /// 1-based line, 1-based byte column and the line's text for a byte offset.
    pub fn locate(&self, offset: usize) -> (usize, usize, &'a str) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let line_start = self.starts[line];
        let line_end = self
            .starts
            .get(line + 1)
            .map_or(self.source.len(), |&next| next);
        let text = self.source[line_start..line_end].trim_end_matches(['\n', '\r']);
        (line + 1, offset - line_start + 1, text)
    }
}

/// The part of `line` shown under a diagnostic whose caret covers chars
/// `start..end`: the whole line when it is short, else a window of
/// [`MAX_LINE_CHARS`] around the caret with `…` at each cut. Control
/// characters are shown as `�` so that a spec cannot drive the terminal.
/// Returns the text, the caret's start and its width (both in chars).
fn window(line: &str, start: usize, end: usize) -> (String, usize, usize) {
    let total = line.chars().count();
    let from = if total <= MAX_LINE_CHARS {
        0
    } else {
        start
            .saturating_sub(MAX_LINE_CHARS / 3)
            .min(total - MAX_LINE_CHARS)
    };
    let to = (from + MAX_LINE_CHARS).min(total);
    let mut shown: String = line
        .chars()
        .skip(from)
        .take(to - from)
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    let mut caret_start = start - from;
    if from > 0 {
        shown.insert(0, '…');
        caret_start += 1;
    }
    if to < total {
        shown.push('…');
    }
    let caret_width = end.min(to).saturating_sub(start).max(1);
    (shown, caret_start, caret_width)
}

/// `text` with control characters escaped (`\u{1b}`) and every word longer
/// than [`MAX_WORD_CHARS`] cut to its start and end around a `…`.
pub fn shorten(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * MAX_LINE_CHARS));
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let count = word.chars().count();
        if count <= MAX_WORD_CHARS {
            push_escaped(&mut out, word.chars());
            continue;
        }
        let tail = MAX_WORD_CHARS / 4;
        push_escaped(&mut out, word.chars().take(MAX_WORD_CHARS - tail));
        out.push('…');
        push_escaped(&mut out, word.chars().skip(count - tail));
    }
    out
}

/// Appends `chars` with control characters escaped.
fn push_escaped(out: &mut String, chars: impl Iterator<Item = char>) {
    for c in chars {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// Renders several errors, separated by blank lines: at most
/// [`MAX_SHOWN_DIAGNOSTICS`], then a line saying how many more there are.
pub fn render_all(diagnostics: &[Diagnostic], source: &str, path: &str) -> String {
    let lines = LineIndex::new(source);
    let mut out = diagnostics
        .iter()
        .take(MAX_SHOWN_DIAGNOSTICS)
        .map(|d| d.render_in(&lines, path))
        .collect::<Vec<_>>()
        .join("\n");
    let more = diagnostics.len().saturating_sub(MAX_SHOWN_DIAGNOSTICS);
    if more > 0 {
        let _ = writeln!(
            out,
            "\n… and {} more error{} (fix the ones above first)",
            thousands(more),
            if more == 1 { "" } else { "s" }
        );
    }
    out
}

/// Renders notes, one line each, in the order given.
pub fn render_notes(notes: &[Diagnostic], source: &str, path: &str) -> String {
    let lines = LineIndex::new(source);
    notes.iter().map(|n| n.render_note(&lines, path)).collect()
}

/// `9812` as `9,812`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a plausible typo (distance at most a third of the word, at least 1...3).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = word.chars().count();
    let limit = (length / 3).clamp(1, 3);
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        // The distance is at least the difference in length: skip the
        // comparison (quadratic in the word) when that already rules it out.
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
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
    fn lines_end_with_lf_crlf_or_a_lone_cr() {
        let lines = LineIndex::new("a\r\nbb\rccc\nd");
        assert_eq!(lines.locate(0), (1, 1, "a"));
        assert_eq!(lines.locate(4), (2, 2, "bb"));
        assert_eq!(lines.locate(6), (3, 1, "ccc"));
        assert_eq!(lines.locate(10), (4, 1, "d"));
        assert_eq!(lines.locate(99), (4, 2, "d"));
    }

    #[test]
    fn many_errors_are_capped_with_a_count() {
        let src = "x\n".repeat(10_000);
        let all: Vec<Diagnostic> = (0..9_862)
            .map(|i| Diagnostic::new("bad", Span::new(2 * i, 2 * i + 1)))
            .collect();
        let rendered = render_all(&all, &src, "m.rnn");
        assert_eq!(
            rendered.matches("error: bad").count(),
            MAX_SHOWN_DIAGNOSTICS
        );
        assert!(
            rendered.ends_with("\n… and 9,812 more errors (fix the ones above first)\n"),
            "{rendered}"
        );
        let one_more = render_all(&all[..51], &src, "m.rnn");
        assert!(one_more.ends_with("… and 1 more error (fix the ones above first)\n"));
    }

    #[test]
    fn long_words_and_lines_are_cut_and_control_characters_escaped() {
        let name = format!("`{}`", "a".repeat(1_000));
        let short = shorten(&format!("unknown layer {name}\x1b[2J"));
        assert!(short.starts_with("unknown layer `aaaa"), "{short}");
        assert!(
            short.contains('…') && short.chars().count() < 100,
            "{short}"
        );
        assert!(short.ends_with("\\u{1b}[2J"), "{short}");
        let line = format!("x = {} + y", "1".repeat(500));
        let start = line.find('+').unwrap();
        let d = Diagnostic::new("the operator `+`", Span::new(start, start + 1));
        let rendered = d.render(&line, "m.rnn");
        let shown = rendered.lines().nth(3).unwrap();
        let caret = rendered.lines().nth(4).unwrap();
        assert!(
            shown.starts_with("1 | …111") && shown.ends_with("+ y"),
            "{shown}"
        );
        assert_eq!(
            shown.chars().position(|c| c == '+'),
            caret.chars().position(|c| c == '^'),
            "{rendered}"
        );
        assert!(shown.chars().count() < MAX_LINE_CHARS + 10);
    }

    #[test]
    fn notes_take_one_line_each() {
        let src = "model.fit(x)\n%matplotlib inline\n";
        let notes = [
            Diagnostic::new("ignored `model.fit(...)` (training)", Span::new(0, 12)),
            Diagnostic::new("ignored `%matplotlib inline` (notebook)", Span::new(13, 31)),
        ];
        assert_eq!(
            render_notes(&notes, src, "m.rnn"),
            "note: m.rnn:1:1: ignored `model.fit(...)` (training)\nnote: m.rnn:2:1: ignored `%matplotlib inline` (notebook)\n"
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
