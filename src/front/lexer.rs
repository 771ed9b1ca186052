//! Splits spec text into tokens with byte spans.
//!
//! The token set is Python's, cut down to what a Keras model definition uses:
//! names, integers, floats (`1e-3`, `.5`), strings (`'…'`, `"…"`, triple-quoted,
//! with `r`/`u`/`b`/`f` prefixes), brackets, punctuation and operators (kept so
//! the parser can say which construct is unsupported). Comments are skipped.
//! As in Python, a newline inside brackets does not end a statement, a
//! backslash at the end of a line continues it, and blank lines produce no
//! token. Lines end with `\n`, `\r\n` or a lone `\r` (old Mac files), and a
//! UTF-8 byte order mark at the start is skipped, as Python does.
//!
//! Lines pasted from a notebook that start with `%` (IPython magics such as
//! `%matplotlib inline`) or `!` (shell escapes such as `!pip install keras`)
//! become one [`TokenKind::Magic`] token each, so that lowering can say it
//! ignores them. Curly quotes (`“relu”`) are read as a string, so that the
//! rest of the line still parses, and reported once with a fix.

use super::error::FrontError;
use crate::diag::Span;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// An identifier or keyword (`model`, `import`, `True`).
    Name(String),
    /// A non-negative integer literal; the minus sign is a separate token.
    Int(u64),
    /// A float literal.
    Float(f64),
    /// A string literal with escapes resolved (adjacent literals stay separate).
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    /// A single `=`.
    Assign,
    Colon,
    Semicolon,
    Minus,
    Plus,
    /// Any other operator (`*`, `**`, `==`, `+=`, `@`, ...), unsupported in specs.
    Operator(&'static str),
    /// A notebook line starting with `%` or `!`, whole (without its line end).
    Magic(String),
    /// The end of a logical line.
    Newline,
    /// The end of the text.
    Eof,
}

impl TokenKind {
    /// How the token is named in "expected …, found …" messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Name(n) => format!("`{n}`"),
            TokenKind::Int(i) => format!("`{i}`"),
            TokenKind::Float(f) => format!("`{f:?}`"),
            TokenKind::Str(_) => "a string".into(),
            TokenKind::LParen => "`(`".into(),
            TokenKind::RParen => "`)`".into(),
            TokenKind::LBracket => "`[`".into(),
            TokenKind::RBracket => "`]`".into(),
            TokenKind::LBrace => "`{`".into(),
            TokenKind::RBrace => "`}`".into(),
            TokenKind::Comma => "`,`".into(),
            TokenKind::Dot => "`.`".into(),
            TokenKind::Assign => "`=`".into(),
            TokenKind::Colon => "`:`".into(),
            TokenKind::Semicolon => "`;`".into(),
            TokenKind::Minus => "`-`".into(),
            TokenKind::Plus => "`+`".into(),
            TokenKind::Operator(op) => format!("`{op}`"),
            TokenKind::Magic(_) => "a notebook command".into(),
            TokenKind::Newline => "end of line".into(),
            TokenKind::Eof => "end of file".into(),
        }
    }
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// The token's column (0-based, in bytes) when it is the first on its
    /// physical line; the parser uses it to skip the body of unsupported blocks.
    pub indent: Option<u32>,
}

/// Operators of two characters, tried before single characters.
const TWO_CHAR_OPERATORS: &[&str] = &[
    "**", "//", "==", "!=", "<=", ">=", "->", "+=", "-=", "*=", "/=", "%=", "@=", "&=", "|=", "^=",
    "<<", ">>", ":=",
];

/// The byte order mark some editors put at the start of a UTF-8 file.
const BOM: char = '\u{feff}';

/// Typographic quotes and the quote each one closes with: word processors,
/// chat tools and some web pages substitute them for `'` and `"`.
const CURLY_QUOTES: &[(char, char)] = &[('\u{201c}', '\u{201d}'), ('\u{2018}', '\u{2019}')];

/// Single-character operators other than `=`, `-` and `+`.
const ONE_CHAR_OPERATORS: &[&str] = &["*", "/", "%", "@", "<", ">", "&", "|", "^", "~", "!"];

/// Tokenizes `source`; the token list always ends with `Newline`, `Eof`.
/// Errors are collected and lexing goes on after each one.
pub fn tokenize(source: &str) -> (Vec<Token>, Vec<FrontError>) {
    let mut lexer = Lexer {
        src: source,
        pos: if source.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        },
        depth: 0,
        line_start: 0,
        first_on_line: true,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.errors)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// Bracket nesting; newlines inside brackets are not statement ends.
    depth: u32,
    line_start: usize,
    first_on_line: bool,
    tokens: Vec<Token>,
    errors: Vec<FrontError>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let indent = self.first_on_line.then(|| (start - self.line_start) as u32);
        self.first_on_line = false;
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
            indent,
        });
    }

    /// Whether the text at `self.pos + offset` chars is a line end (`\n`,
    /// `\r\n` or a lone `\r`); a `\r\n` pair counts as the `\n`.
    fn line_end_len(&self, offset: usize) -> Option<usize> {
        match (self.peek_at(offset), self.peek_at(offset + 1)) {
            (Some('\n'), _) => Some(1),
            (Some('\r'), Some('\n')) => Some(2),
            (Some('\r'), _) => Some(1),
            _ => None,
        }
    }

    /// Ends the physical line at a `\n` or a lone `\r`.
    fn newline(&mut self) {
        let start = self.pos;
        self.pos += 1;
        self.line_start = self.pos;
        self.first_on_line = true;
        let after_statement = self
            .tokens
            .last()
            .is_some_and(|t| !matches!(t.kind, TokenKind::Newline));
        if self.depth == 0 && after_statement {
            self.tokens.push(Token {
                kind: TokenKind::Newline,
                span: Span::new(start, start + 1),
                indent: None,
            });
        }
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                '\n' => self.newline(),
                '\r' if self.peek_at(1) == Some('\n') => self.pos += 1,
                '\r' => self.newline(),
                ' ' | '\t' | '\x0c' => self.pos += 1,
                '#' => self.pos += self.rest_of_line().len(),
                '%' | '!' if self.first_on_line && self.depth == 0 => {
                    let line = self.rest_of_line().trim_end().to_string();
                    self.pos += self.rest_of_line().len();
                    self.push(TokenKind::Magic(line), start);
                }
                '\\' if self.line_end_len(1).is_some() => {
                    self.pos += 1 + self.line_end_len(1).unwrap_or(0);
                    self.line_start = self.pos;
                }
                '\'' | '"' => self.string(start, false),
                c if CURLY_QUOTES.iter().any(|&(open, _)| open == c) => self.curly_string(c, start),
                '0'..='9' => self.number(start),
                '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(start),
                c if c == '_' || c.is_alphabetic() => self.name(start),
                _ => self.punct(c, start),
            }
        }
        let end = self.src.len();
        if self
            .tokens
            .last()
            .is_some_and(|t| !matches!(t.kind, TokenKind::Newline))
        {
            self.tokens.push(Token {
                kind: TokenKind::Newline,
                span: Span::new(end, end),
                indent: None,
            });
        }
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
            indent: None,
        });
    }

    /// The text from `self.pos` to the end of its physical line.
    fn rest_of_line(&self) -> &str {
        let rest = &self.src[self.pos..];
        &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())]
    }

    /// A string in typographic quotes: reported once, then read up to its
    /// closing quote on the same line so the statement still parses.
    fn curly_string(&mut self, open: char, start: usize) {
        let close = CURLY_QUOTES
            .iter()
            .find(|&&(o, _)| o == open)
            .map_or(open, |&(_, c)| c);
        self.pos += open.len_utf8();
        let line = self.rest_of_line();
        let (value, end) = match line.find(close) {
            Some(i) => (line[..i].to_string(), self.pos + i + close.len_utf8()),
            None => (String::new(), self.pos),
        };
        self.pos = end;
        self.errors.push(FrontError::CurlyQuote {
            ch: open,
            span: Span::new(start, start + open.len_utf8()),
        });
        self.push(TokenKind::Str(value), start);
    }

    fn name(&mut self, start: usize) {
        let rest = &self.src[start..];
        let len = rest
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        let is_prefix = matches!(
            word.to_ascii_lowercase().as_str(),
            "r" | "u" | "b" | "f" | "rb" | "br" | "fr" | "rf"
        );
        self.pos = start + len;
        if is_prefix && matches!(self.peek(), Some('\'' | '"')) {
            let raw = word.to_ascii_lowercase().contains('r');
            return self.string(start, raw);
        }
        self.push(TokenKind::Name(word.to_string()), start);
    }

    /// A string literal whose opening quote is at `self.pos`; `start` includes
    /// any prefix.
    fn string(&mut self, start: usize, raw: bool) {
        let quote = self.peek().unwrap_or('"');
        let triple = self.src[self.pos..].starts_with(&quote.to_string().repeat(3));
        self.pos += if triple { 3 } else { 1 };
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.errors.push(FrontError::UnterminatedString {
                    span: Span::new(start, self.pos),
                });
                break;
            };
            if c == quote {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.src[self.pos..].starts_with(&quote.to_string().repeat(3)) {
                    self.pos += 3;
                    break;
                }
            }
            if (c == '\n' || c == '\r') && !triple {
                self.errors.push(FrontError::UnterminatedString {
                    span: Span::new(start, self.pos),
                });
                break;
            }
            self.pos += c.len_utf8();
            if c == '\\' && !raw {
                if let Some(len) = self.line_end_len(0) {
                    self.pos += len;
                    continue;
                }
                let Some(next) = self.peek() else { continue };
                self.pos += next.len_utf8();
                match next {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    '0' => value.push('\0'),
                    '\\' | '\'' | '"' => value.push(next),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
                continue;
            }
            value.push(c);
        }
        self.push(TokenKind::Str(value), start);
    }

    fn number(&mut self, start: usize) {
        let bytes = self.src.as_bytes();
        let digits = |mut i: usize| {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            i
        };
        let mut end = digits(start);
        let mut is_float = false;
        if end < bytes.len() && bytes[end] == b'.' {
            is_float = true;
            end = digits(end + 1);
        }
        if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
            let mut exp = end + 1;
            if exp < bytes.len() && (bytes[exp] == b'+' || bytes[exp] == b'-') {
                exp += 1;
            }
            if exp < bytes.len() && bytes[exp].is_ascii_digit() {
                is_float = true;
                end = digits(exp);
            }
        }
        // A name character glued to the number (`10L`, `0x10`, `3abc`) makes it invalid.
        let rest = &self.src[end..];
        let tail = rest
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(rest.len());
        end += tail;
        self.pos = end;
        let text = &self.src[start..end];
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        let kind = if tail > 0 {
            None
        } else if is_float {
            clean.parse::<f64>().ok().map(TokenKind::Float)
        } else {
            clean.parse::<u64>().ok().map(TokenKind::Int)
        };
        match kind {
            Some(kind) => self.push(kind, start),
            None => {
                self.errors.push(FrontError::InvalidNumber {
                    text: text.to_string(),
                    span: Span::new(start, end),
                });
                // Keep the statement parseable: stand in a harmless integer.
                self.push(TokenKind::Int(1), start);
            }
        }
    }

    fn punct(&mut self, c: char, start: usize) {
        let rest = &self.src[self.pos..];
        if let Some(op) = TWO_CHAR_OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            self.pos += 2;
            return self.push(TokenKind::Operator(op), start);
        }
        self.pos += c.len_utf8();
        let kind = match c {
            '(' | '[' | '{' => {
                self.depth += 1;
                match c {
                    '(' => TokenKind::LParen,
                    '[' => TokenKind::LBracket,
                    _ => TokenKind::LBrace,
                }
            }
            ')' | ']' | '}' => {
                self.depth = self.depth.saturating_sub(1);
                match c {
                    ')' => TokenKind::RParen,
                    ']' => TokenKind::RBracket,
                    _ => TokenKind::RBrace,
                }
            }
            ',' => TokenKind::Comma,
            '.' => TokenKind::Dot,
            '=' => TokenKind::Assign,
            ':' => TokenKind::Colon,
            ';' => TokenKind::Semicolon,
            '-' => TokenKind::Minus,
            '+' => TokenKind::Plus,
            _ => match ONE_CHAR_OPERATORS.iter().find(|op| op.starts_with(c)) {
                Some(op) => TokenKind::Operator(op),
                None => {
                    self.errors.push(FrontError::UnexpectedChar {
                        ch: c,
                        span: Span::new(start, self.pos),
                    });
                    return;
                }
            },
        };
        self.push(kind, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let (tokens, errors) = tokenize(src);
        assert!(errors.is_empty(), "{errors:?}");
        tokens.into_iter().map(|t| t.kind).collect()
    }

    fn name(n: &str) -> TokenKind {
        TokenKind::Name(n.to_string())
    }

    #[test]
    fn call_with_spans() {
        let src = "model.add(SimpleRNN(3, input_shape=(2,10)))";
        let (tokens, errors) = tokenize(src);
        assert!(errors.is_empty());
        let texts: Vec<&str> = tokens
            .iter()
            .map(|t| &src[t.span.start as usize..t.span.end as usize])
            .collect();
        assert_eq!(
            texts,
            [
                "model",
                ".",
                "add",
                "(",
                "SimpleRNN",
                "(",
                "3",
                ",",
                "input_shape",
                "=",
                "(",
                "2",
                ",",
                "10",
                ")",
                ")",
                ")",
                "",
                ""
            ]
        );
        assert_eq!(tokens[0].indent, Some(0));
        assert_eq!(tokens[1].indent, None);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1e-3 0.5 .25 10 1_000 2E3 7."),
            [
                TokenKind::Float(1e-3),
                TokenKind::Float(0.5),
                TokenKind::Float(0.25),
                TokenKind::Int(10),
                TokenKind::Int(1000),
                TokenKind::Float(2000.0),
                TokenKind::Float(7.0),
                TokenKind::Newline,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn strings_of_every_quote() {
        assert_eq!(
            kinds(r#"'relu' "tanh" '''doc ' "" ''' r'a\n' 'a\'b'"#),
            [
                TokenKind::Str("relu".into()),
                TokenKind::Str("tanh".into()),
                TokenKind::Str("doc ' \"\" ".into()),
                TokenKind::Str("a\\n".into()),
                TokenKind::Str("a'b".into()),
                TokenKind::Newline,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn newlines_in_brackets_comments_and_continuations() {
        let src = "# header\n\nf(a,  # note\n  b)\nx = \\\n  1\n";
        assert_eq!(
            kinds(src),
            [
                name("f"),
                TokenKind::LParen,
                name("a"),
                TokenKind::Comma,
                name("b"),
                TokenKind::RParen,
                TokenKind::Newline,
                name("x"),
                TokenKind::Assign,
                TokenKind::Int(1),
                TokenKind::Newline,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn operators_and_minus() {
        assert_eq!(
            kinds("x=-3**2"),
            [
                name("x"),
                TokenKind::Assign,
                TokenKind::Minus,
                TokenKind::Int(3),
                TokenKind::Operator("**"),
                TokenKind::Int(2),
                TokenKind::Newline,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn errors_are_collected() {
        let (_, errors) = tokenize("a = $\nb = 'open\nc = 12abc\n");
        assert_eq!(errors.len(), 3);
        assert!(matches!(
            errors[0],
            FrontError::UnexpectedChar { ch: '$', .. }
        ));
        assert!(matches!(errors[1], FrontError::UnterminatedString { .. }));
        assert!(matches!(errors[2], FrontError::InvalidNumber { .. }));
    }

    #[test]
    fn korean_comments_and_indent() {
        let (tokens, errors) = tokenize("# 추가 인자\n    x = 1 # 값\n");
        assert!(errors.is_empty());
        assert_eq!(tokens[0].kind, name("x"));
        assert_eq!(tokens[0].indent, Some(4));
    }
}
