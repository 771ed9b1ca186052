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
mod around;
pub mod ast;
mod directive;
pub mod error;
mod functional;
pub mod ignored;
pub mod input;
pub mod keras_model;
pub mod layers;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod sniff;
pub mod values;

#[cfg(test)]
mod functional_tests;
#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod tests;

pub use error::FrontError;

use std::collections::HashSet;

use crate::diag::{Diagnostic, LineIndex};
use crate::ir::Model;

/// A spec that parsed: its model, and a note for each line that was
/// ignored (`model.fit(...)`, `%matplotlib inline`), in source order.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub model: Model,
    pub notes: Vec<Diagnostic>,
}

/// Parses a spec into a model, or returns every error found, ready to render.
#[cfg(test)]
pub fn parse(source: &str) -> Result<Model, Vec<Diagnostic>> {
    parse_spec(source).map(|parsed| parsed.model)
}

/// [`parse`] with the notes about ignored lines.
pub fn parse_spec(source: &str) -> Result<Parsed, Vec<Diagnostic>> {
    parse_typed(source).map_err(|errors| errors.into_iter().map(Diagnostic::from).collect())
}

/// [`parse`] with the typed errors, for callers that inspect them.
#[cfg(test)]
pub fn parse_errors(source: &str) -> Result<Model, Vec<FrontError>> {
    parse_typed(source).map(|parsed| parsed.model)
}

/// The stack the frontend runs on: 16 MiB, reserved (not committed) per
/// parse. The parser and lowering recurse once per nesting level, up to
/// [`parser::MAX_NESTING`]; in a debug build a level of brackets costs about
/// 9 KiB of stack, so the deepest spec accepted needs about 1 MiB. Running
/// on a stack of known size makes that safe on any caller's thread (a 1 MiB
/// Windows main thread, a 256 KiB worker), with room to spare.
const FRONTEND_STACK_BYTES: usize = 16 << 20;

fn parse_typed(source: &str) -> Result<Parsed, Vec<FrontError>> {
    stacker::grow(FRONTEND_STACK_BYTES, || parse_on_stack(source))
}

fn parse_on_stack(source: &str) -> Result<Parsed, Vec<FrontError>> {
    let (tokens, mut errors) = lexer::tokenize(source);
    let (stmts, parse_errors) = parser::parse_tokens(&tokens);
    // A bad character already explains why its line does not parse.
    let lines = LineIndex::new(source);
    let line = |e: &FrontError| e.span().map(|s| lines.locate(s.start as usize).0);
    let lexed_lines: HashSet<_> = errors.iter().map(line).collect();
    errors.extend(
        parse_errors
            .into_iter()
            .filter(|e| !lexed_lines.contains(&line(e))),
    );
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.span().map(|s| s.start));
        return Err(errors);
    }
    let dialect = directive::keras_dialect(source).map_err(|e| vec![e])?;
    let (mut model, notes) = lower::lower(&stmts, dialect)?;
    model.keras_dialect = dialect;
    Ok(Parsed { model, notes })
}
