//! The frontend: Keras model specs (Python syntax) to [`ir::Model`](crate::ir::Model).
//!
//! A spec is the part of a Keras script that defines a Sequential model:
//! imports, constant assignments (`hidden_units = 8`), `model = Sequential()`,
//! `model.add(LAYER)`, `Input(...)`, and bare layer calls. [`lexer`] turns the
//! text into tokens, [`parser`] builds the spanned [`ast`], and [`lower`] turns
//! the statements into IR, with [`layers`] holding each layer's argument
//! schema, [`input`] the input declarations, and [`values`] the typed reading
//! of argument values. Errors of every stage are [`FrontError`]s, collected
//! rather than stopping at the first; lowering runs only on a spec without
//! syntax errors, since a statement that failed to parse would leave names
//! undefined and cause misleading follow-up errors.

pub mod arith;
pub mod ast;
pub mod error;
pub mod input;
pub mod layers;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod sniff;
pub mod values;

#[cfg(test)]
mod tests;

pub use error::FrontError;

use crate::diag::{locate, Diagnostic};
use crate::ir::Model;

/// Parses a spec into a model, or returns every error found, ready to render.
pub fn parse(source: &str) -> Result<Model, Vec<Diagnostic>> {
    parse_errors(source).map_err(|errors| errors.into_iter().map(Diagnostic::from).collect())
}

/// [`parse`] with the typed errors, for callers that inspect them.
pub fn parse_errors(source: &str) -> Result<Model, Vec<FrontError>> {
    let (tokens, mut errors) = lexer::tokenize(source);
    let (stmts, parse_errors) = parser::parse_tokens(&tokens);
    // A bad character already explains why its line does not parse.
    let line = |e: &FrontError| e.span().map(|s| locate(source, s.start as usize).0);
    let lexed_lines: Vec<_> = errors.iter().map(line).collect();
    errors.extend(
        parse_errors
            .into_iter()
            .filter(|e| !lexed_lines.contains(&line(e))),
    );
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.span().map(|s| s.start));
        return Err(errors);
    }
    lower::lower(&stmts)
}
