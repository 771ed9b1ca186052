//! Recursive-descent parser from tokens to the spanned [`ast`](super::ast).
//!
//! It accepts Python's statement and expression syntax as far as a Keras model
//! definition needs it. Constructs outside that subset (loops, operators,
//! subscripts, `def`) are reported by name; after an error the parser skips to
//! the next statement (and over the indented body of a block statement), so
//! one run reports every syntax error.
//!
//! Nesting is bounded: the parser counts how deep its recursion goes
//! (brackets, calls, signs) and how tall each tree it builds is (attribute
//! and call chains are parsed in a loop but build one level per link), and
//! refuses anything past [`MAX_NESTING`]. Every later walk over the tree
//! (lowering, `Drop`, `Clone`) is recursive, so this one limit keeps all of
//! them within a small stack.

use std::collections::HashMap;

use super::arith;
use super::ast::{Arg, Expr, ExprKind, Ident, Stmt, StmtKind, Target};
use super::error::FrontError;
use super::lexer::{Token, TokenKind};
use crate::diag::Span;

/// The deepest expression tree a spec may hold. CPython's parser refuses
/// nesting near 200 levels (`too many nested parentheses`, its `MAXLEVEL`
/// and `MAXSTACK` are both 200); a Keras spec needs fewer than 10. 100 keeps
/// every recursive walk of the tree well within a 256 KiB stack in a debug
/// build (each level costs the lowering a few hundred bytes of stack).
pub const MAX_NESTING: usize = 100;

/// Python keywords that open an indented block.
const BLOCK_KEYWORDS: &[&str] = &[
    "for", "while", "if", "elif", "else", "def", "class", "with", "try", "except", "finally",
    "async",
];

/// Python keywords that start a simple statement a spec has no use for.
const STATEMENT_KEYWORDS: &[&str] = &[
    "del", "assert", "return", "pass", "raise", "global", "nonlocal", "break", "continue", "yield",
];

/// Keywords that cannot start an expression a spec uses.
const EXPRESSION_KEYWORDS: &[&str] = &[
    "lambda", "not", "await", "and", "or", "in", "is", "as", "from", "import",
];

/// Whether `word` is a Python keyword the parser knows (a name a spec
/// cannot assign).
pub fn is_keyword(word: &str) -> bool {
    [BLOCK_KEYWORDS, STATEMENT_KEYWORDS, EXPRESSION_KEYWORDS]
        .iter()
        .any(|keywords| keywords.contains(&word))
}

/// Parses a token list (as produced by [`super::lexer::tokenize`]) into
/// statements, collecting every syntax error.
pub fn parse_tokens(tokens: &[Token]) -> (Vec<Stmt>, Vec<FrontError>) {
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        errors: Vec::new(),
        numbers: HashMap::new(),
    };
    let mut stmts = Vec::new();
    while !parser.at(&TokenKind::Eof) {
        if parser.eat(&TokenKind::Newline) || parser.eat(&TokenKind::Semicolon) {
            continue;
        }
        match parser.statement() {
            Ok(Some(stmt)) => {
                parser.note_number(&stmt);
                stmts.push(stmt)
            }
            Ok(None) => {}
            Err(error) => {
                parser.errors.push(error);
                parser.skip_statement();
            }
        }
    }
    (stmts, parser.errors)
}

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    /// How many nested brackets, calls and signs the parser is inside.
    depth: usize,
    errors: Vec<FrontError>,
    /// Names assigned a number so far, for the arithmetic hint.
    numbers: HashMap<String, Expr>,
}

type PResult<T> = Result<T, FrontError>;

/// An expression and the height of its tree (1 for a leaf).
type Tree = (Expr, usize);

/// The refusal of an expression nested deeper than [`MAX_NESTING`].
fn too_deep(span: Span) -> FrontError {
    FrontError::TooDeep {
        limit: MAX_NESTING,
        span,
    }
}

/// `expr` after checking that its tree is at most [`MAX_NESTING`] tall.
fn tree(expr: Expr, height: usize) -> PResult<Tree> {
    if height > MAX_NESTING {
        return Err(too_deep(expr.span));
    }
    Ok((expr, height))
}

impl<'t> Parser<'t> {
    fn peek(&self) -> &'t Token {
        // The token list always ends with Eof, and `bump` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_kind(&self) -> &'t TokenKind {
        &self.peek().kind
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek_kind() == kind
    }

    fn at_name(&self, name: &str) -> bool {
        matches!(self.peek_kind(), TokenKind::Name(n) if n == name)
    }

    fn bump(&mut self) -> &'t Token {
        let token = self.peek();
        if !matches!(token.kind, TokenKind::Eof) {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// The span of the last consumed token.
    fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }

    /// Runs `parse` one level deeper, refusing to go past [`MAX_NESTING`];
    /// `at` is the token that opens the level.
    fn nested<T>(&mut self, at: Span, parse: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return Err(too_deep(at));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn expected(&self, expected: &str) -> FrontError {
        let token = self.peek();
        FrontError::Expected {
            expected: expected.to_string(),
            found: token.kind.describe(),
            span: token.span,
        }
    }

    fn expect(&mut self, kind: &TokenKind, expected: &str) -> PResult<Span> {
        if self.at(kind) {
            Ok(self.bump().span)
        } else {
            Err(self.expected(expected))
        }
    }

    fn name(&mut self, expected: &str) -> PResult<Ident> {
        match self.peek_kind() {
            TokenKind::Name(name) => {
                let span = self.bump().span;
                Ok(Ident {
                    name: name.clone(),
                    span,
                })
            }
            _ => Err(self.expected(expected)),
        }
    }

    /// Skips to the end of the current statement.
    fn skip_statement(&mut self) {
        while !matches!(
            self.peek_kind(),
            TokenKind::Newline | TokenKind::Semicolon | TokenKind::Eof
        ) {
            self.bump();
        }
    }

    /// Skips the rest of a block header line and the lines indented under it.
    fn skip_block(&mut self, header_indent: u32) {
        self.skip_statement();
        loop {
            self.eat(&TokenKind::Newline);
            match self.peek().indent {
                Some(indent) if indent > header_indent => self.skip_statement(),
                _ => break,
            }
        }
    }

    /// One statement; `None` when it was reported and skipped already.
    fn statement(&mut self) -> PResult<Option<Stmt>> {
        let first = self.peek();
        let start = first.span;
        if let TokenKind::Magic(line) = &first.kind {
            self.bump();
            self.end_of_statement()?;
            return Ok(Some(Stmt {
                kind: StmtKind::Magic(line.clone()),
                span: start,
            }));
        }
        if let TokenKind::Name(word) = &first.kind {
            if BLOCK_KEYWORDS.contains(&word.as_str()) {
                self.errors.push(FrontError::UnsupportedSyntax {
                    what: format!("a `{word}` block"),
                    span: start,
                    hint: Some(
                        "write the model definition as plain statements, one layer per \
                         `model.add(...)`"
                            .into(),
                    ),
                });
                self.skip_block(first.indent.unwrap_or(0));
                return Ok(None);
            }
            if STATEMENT_KEYWORDS.contains(&word.as_str()) {
                return Err(FrontError::UnsupportedSyntax {
                    what: format!("a `{word}` statement"),
                    span: start,
                    hint: Some(super::error::STATEMENT_HINT.into()),
                });
            }
            if word == "import" {
                return self.import(start).map(Some);
            }
            if word == "from" {
                return self.import_from(start).map(Some);
            }
        }
        let (expr, _) = self.expr_list()?;
        let kind = match self.peek_kind() {
            TokenKind::Assign => {
                self.bump();
                let not_a_name = |e: &Expr| FrontError::UnsupportedSyntax {
                    what: format!("assigning to `{}`", e.describe()),
                    span: e.span,
                    hint: Some(
                        "only plain names can be assigned, e.g. `units = 8` or `out, h = ...`"
                            .into(),
                    ),
                };
                let ident = |e: &Expr| match &e.kind {
                    ExprKind::Name(name) => Ok(Ident {
                        name: name.clone(),
                        span: e.span,
                    }),
                    _ => Err(not_a_name(e)),
                };
                let target = |e: &Expr| match &e.kind {
                    ExprKind::Tuple(items) | ExprKind::List(items) if !items.is_empty() => Ok(
                        Target::Group(items.iter().map(ident).collect::<PResult<_>>()?),
                    ),
                    _ => ident(e).map(Target::Name),
                };
                let targets = match &expr.kind {
                    ExprKind::Name(_) => None,
                    ExprKind::Tuple(items) | ExprKind::List(items) => {
                        Some(items.iter().map(target).collect::<PResult<Vec<_>>>()?)
                    }
                    _ => return Err(not_a_name(&expr)),
                };
                let (value, _) = self.expr_list()?;
                if self.at(&TokenKind::Assign) {
                    return Err(FrontError::UnsupportedSyntax {
                        what: "chained assignment".into(),
                        span: self.peek().span,
                        hint: Some("assign one name per statement".into()),
                    });
                }
                match targets {
                    None => StmtKind::Assign {
                        target: ident(&expr)?,
                        value,
                    },
                    Some(targets) => StmtKind::Unpack { targets, value },
                }
            }
            TokenKind::Operator(op) if op.ends_with('=') && !matches!(*op, "==" | "!=") => {
                return Err(FrontError::UnsupportedSyntax {
                    what: format!("augmented assignment `{op}`"),
                    span: self.peek().span,
                    hint: Some("assign the final value, e.g. `units = 16`".into()),
                });
            }
            TokenKind::Colon => {
                return Err(FrontError::UnsupportedSyntax {
                    what: "a type annotation".into(),
                    span: self.peek().span,
                    hint: Some("write `name = value` without a type".into()),
                });
            }
            _ => StmtKind::Expr(expr),
        };
        self.end_of_statement()?;
        Ok(Some(Stmt {
            kind,
            span: start.join(self.prev_span()),
        }))
    }

    fn end_of_statement(&mut self) -> PResult<()> {
        match self.peek_kind() {
            TokenKind::Newline | TokenKind::Semicolon | TokenKind::Eof => Ok(()),
            _ => Err(self.expected("end of line")),
        }
    }

    fn dotted(&mut self) -> PResult<Vec<String>> {
        let mut path = vec![self.name("a module name")?.name];
        while self.eat(&TokenKind::Dot) {
            path.push(self.name("a module name")?.name);
        }
        Ok(path)
    }

    fn alias(&mut self) -> PResult<Option<String>> {
        if self.at_name("as") {
            self.bump();
            Ok(Some(self.name("a name after `as`")?.name))
        } else {
            Ok(None)
        }
    }

    fn import(&mut self, start: Span) -> PResult<Stmt> {
        self.bump();
        let mut modules = Vec::new();
        loop {
            let path = self.dotted()?;
            modules.push((path, self.alias()?));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.end_of_statement()?;
        Ok(Stmt {
            kind: StmtKind::Import(modules),
            span: start.join(self.prev_span()),
        })
    }

    fn import_from(&mut self, start: Span) -> PResult<Stmt> {
        self.bump();
        let mut module = Vec::new();
        while self.eat(&TokenKind::Dot) {
            module.push(String::new());
        }
        if !self.at_name("import") {
            module.extend(self.dotted()?);
        }
        if !self.at_name("import") {
            return Err(self.expected("`import`"));
        }
        self.bump();
        let mut names = Vec::new();
        if !matches!(self.peek_kind(), TokenKind::Operator("*")) {
            let parenthesized = self.eat(&TokenKind::LParen);
            loop {
                if parenthesized && self.at(&TokenKind::RParen) {
                    break;
                }
                let name = self.name("a name to import")?.name;
                names.push((name, self.alias()?));
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
            if parenthesized {
                self.expect(&TokenKind::RParen, "`)`")?;
            }
        } else {
            self.bump();
        }
        self.end_of_statement()?;
        Ok(Stmt {
            kind: StmtKind::FromImport { module, names },
            span: start.join(self.prev_span()),
        })
    }

    /// An expression, or a bare tuple `a, b` as Python allows on statement level.
    fn expr_list(&mut self) -> PResult<Tree> {
        let (first, first_height) = self.expr()?;
        if !self.at(&TokenKind::Comma) {
            return Ok((first, first_height));
        }
        let mut items = vec![first];
        let mut height = first_height;
        while self.eat(&TokenKind::Comma) {
            if matches!(
                self.peek_kind(),
                TokenKind::Newline | TokenKind::Semicolon | TokenKind::Eof | TokenKind::Assign
            ) {
                break;
            }
            let (item, item_height) = self.expr()?;
            height = height.max(item_height);
            items.push(item);
        }
        let span = items[0].span.join(self.prev_span());
        let expr = Expr {
            kind: ExprKind::Tuple(items),
            span,
        };
        tree(expr, height + 1)
    }

    fn expr(&mut self) -> PResult<Tree> {
        let expr = self.unary()?;
        let token = self.peek();
        let op = match &token.kind {
            TokenKind::Operator(op)
                if !op.ends_with('=') || matches!(*op, "==" | "!=" | "<=" | ">=") =>
            {
                Some(*op)
            }
            TokenKind::Plus => Some("+"),
            TokenKind::Minus => Some("-"),
            TokenKind::Name(word) if matches!(word.as_str(), "and" | "or" | "if" | "in" | "is") => {
                Some(word.as_str())
            }
            _ => None,
        };
        match op {
            Some(op) => Err(FrontError::UnsupportedSyntax {
                what: format!("the operator `{op}`"),
                span: token.span,
                hint: Some(self.arithmetic_hint(expr.0)),
            }),
            None => Ok(expr),
        }
    }

    /// Reads the rest of an arithmetic expression after `first` and says
    /// what value to write instead (see [`arith`]).
    fn arithmetic_hint(&mut self, first: Expr) -> String {
        let mut rest = Vec::new();
        loop {
            let op = match self.peek_kind() {
                TokenKind::Plus => "+",
                TokenKind::Minus => "-",
                TokenKind::Operator(op) if arith::ARITHMETIC.contains(op) => op,
                _ if rest.is_empty() => return arith::GENERIC_HINT.into(),
                _ => return arith::hint(&first, &rest, &self.numbers),
            };
            self.bump();
            match self.unary() {
                Ok((operand, _)) => rest.push((op, operand)),
                Err(_) => return arith::GENERIC_HINT.into(),
            }
        }
    }

    /// Remembers `name = <number>` for the arithmetic hint.
    fn note_number(&mut self, stmt: &Stmt) {
        if let StmtKind::Assign { target, value } = &stmt.kind {
            match value.kind {
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Neg(_) => {
                    self.numbers.insert(target.name.clone(), value.clone())
                }
                _ => self.numbers.remove(&target.name),
            };
        }
    }

    fn unary(&mut self) -> PResult<Tree> {
        if self.at(&TokenKind::Minus) {
            let start = self.bump().span;
            let (operand, height) = self.nested(start, Self::unary)?;
            let span = start.join(operand.span);
            let expr = Expr {
                kind: ExprKind::Neg(Box::new(operand)),
                span,
            };
            return tree(expr, height + 1);
        }
        if self.at(&TokenKind::Plus) {
            let start = self.bump().span;
            let (mut operand, height) = self.nested(start, Self::unary)?;
            operand.span = start.join(operand.span);
            return Ok((operand, height));
        }
        self.postfix()
    }

    /// An atom followed by any chain of `.attr` and `(args)`; each link puts
    /// the chain so far one level deeper in the tree.
    fn postfix(&mut self) -> PResult<Tree> {
        let (mut expr, mut height) = self.atom()?;
        loop {
            match self.peek_kind() {
                TokenKind::Dot => {
                    self.bump();
                    let attr = self.name("an attribute name after `.`")?;
                    let span = expr.span.join(attr.span);
                    (expr, height) = tree(
                        Expr {
                            kind: ExprKind::Attribute {
                                base: Box::new(expr),
                                attr,
                            },
                            span,
                        },
                        height + 1,
                    )?;
                }
                TokenKind::LParen => {
                    let open = self.bump().span;
                    let (args, args_height) = self.nested(open, |p| p.call_args(open))?;
                    let span = expr.span.join(self.prev_span());
                    (expr, height) = tree(
                        Expr {
                            kind: ExprKind::Call {
                                func: Box::new(expr),
                                args,
                            },
                            span,
                        },
                        height.max(args_height) + 1,
                    )?;
                }
                TokenKind::LBracket => {
                    let open = self.bump().span;
                    let negative = self.eat(&TokenKind::Minus);
                    let index = match self.peek_kind() {
                        TokenKind::Int(n) if i64::try_from(*n).is_ok() => {
                            let n = *n as i64;
                            self.bump();
                            if negative {
                                -n
                            } else {
                                n
                            }
                        }
                        _ => {
                            return Err(FrontError::UnsupportedSyntax {
                                what: "indexing with anything but a whole number".into(),
                                span: open.join(self.peek().span),
                                hint: Some(
                                    "index a list of tensors by position, e.g. `states[0]`".into(),
                                ),
                            })
                        }
                    };
                    self.expect(&TokenKind::RBracket, "`]`")?;
                    let span = expr.span.join(self.prev_span());
                    (expr, height) = tree(
                        Expr {
                            kind: ExprKind::Index {
                                base: Box::new(expr),
                                index,
                            },
                            span,
                        },
                        height + 1,
                    )?;
                }
                _ => return Ok((expr, height)),
            }
        }
    }

    /// Arguments after `(` up to and including `)`, with the height of the
    /// tallest argument.
    fn call_args(&mut self, open: Span) -> PResult<(Vec<Arg>, usize)> {
        let mut args: Vec<Arg> = Vec::new();
        let mut height = 0;
        loop {
            if self.eat(&TokenKind::RParen) {
                return Ok((args, height));
            }
            if matches!(self.peek_kind(), TokenKind::Newline | TokenKind::Eof) {
                return Err(FrontError::Unclosed {
                    open: '(',
                    span: open,
                });
            }
            if let TokenKind::Operator(op @ ("*" | "**")) = self.peek_kind() {
                return Err(FrontError::UnsupportedSyntax {
                    what: format!("argument unpacking with `{op}`"),
                    span: self.peek().span,
                    hint: Some("write each argument out".into()),
                });
            }
            let keyword_ahead = matches!(self.peek_kind(), TokenKind::Name(_))
                && matches!(
                    self.tokens.get(self.pos + 1).map(|t| &t.kind),
                    Some(TokenKind::Assign)
                );
            let arg = if keyword_ahead {
                let keyword = self.name("an argument name")?;
                self.bump();
                let (value, value_height) = self.expr()?;
                height = height.max(value_height);
                let span = keyword.span.join(value.span);
                Arg {
                    keyword: Some(keyword),
                    value,
                    span,
                }
            } else {
                if args.last().is_some_and(|a| a.keyword.is_some()) {
                    return Err(
                        self.expected("a keyword argument (positional arguments come first)")
                    );
                }
                let (value, value_height) = self.expr()?;
                height = height.max(value_height);
                Arg {
                    keyword: None,
                    span: value.span,
                    value,
                }
            };
            args.push(arg);
            self.close_or_comma(open, '(', &TokenKind::RParen)?;
        }
    }

    /// Inside brackets, the end of the text or a token at the start of an
    /// unindented line means the bracket was never closed.
    fn looks_unclosed(&self) -> bool {
        let token = self.peek();
        matches!(token.kind, TokenKind::Newline | TokenKind::Eof) || token.indent == Some(0)
    }

    /// After an element of a bracketed list: eats a `,`, or leaves the closing
    /// bracket for the caller.
    fn close_or_comma(&mut self, open: Span, open_char: char, close: &TokenKind) -> PResult<()> {
        if self.eat(&TokenKind::Comma) || self.at(close) {
            return Ok(());
        }
        if self.looks_unclosed() {
            return Err(FrontError::Unclosed {
                open: open_char,
                span: open,
            });
        }
        Err(self.expected(&format!("`,` or {}", close.describe())))
    }

    fn atom(&mut self) -> PResult<Tree> {
        let token = self.peek();
        let span = token.span;
        let kind = match &token.kind {
            TokenKind::Name(name) => {
                if EXPRESSION_KEYWORDS.contains(&name.as_str())
                    || BLOCK_KEYWORDS.contains(&name.as_str())
                    || STATEMENT_KEYWORDS.contains(&name.as_str())
                {
                    return Err(FrontError::UnsupportedSyntax {
                        what: format!("`{name}`"),
                        span,
                        hint: None,
                    });
                }
                self.bump();
                match name.as_str() {
                    "True" => ExprKind::Bool(true),
                    "False" => ExprKind::Bool(false),
                    "None" => ExprKind::None,
                    _ => ExprKind::Name(name.clone()),
                }
            }
            TokenKind::Int(i) => {
                self.bump();
                ExprKind::Int(*i)
            }
            TokenKind::Float(f) => {
                self.bump();
                ExprKind::Float(*f)
            }
            TokenKind::Str(_) => {
                let mut text = String::new();
                while let TokenKind::Str(s) = self.peek_kind() {
                    text.push_str(s);
                    self.bump();
                }
                let expr = Expr {
                    kind: ExprKind::Str(text),
                    span: span.join(self.prev_span()),
                };
                return Ok((expr, 1));
            }
            TokenKind::LParen => return self.nested(span, Self::parenthesized),
            TokenKind::LBracket => {
                self.bump();
                let (items, height) =
                    self.nested(span, |p| p.items(span, '[', &TokenKind::RBracket))?;
                let expr = Expr {
                    kind: ExprKind::List(items),
                    span: span.join(self.prev_span()),
                };
                return tree(expr, height + 1);
            }
            TokenKind::LBrace => {
                return Err(FrontError::UnsupportedSyntax {
                    what: "a dict or set literal".into(),
                    span,
                    hint: Some("pass the values as keyword arguments".into()),
                })
            }
            _ => return Err(self.expected("an expression")),
        };
        Ok((Expr { kind, span }, 1))
    }

    /// Elements up to and including the closing bracket, with the height of
    /// the tallest.
    fn items(
        &mut self,
        open: Span,
        open_char: char,
        close: &TokenKind,
    ) -> PResult<(Vec<Expr>, usize)> {
        let mut items = Vec::new();
        let mut height = 0;
        loop {
            if self.eat(close) {
                return Ok((items, height));
            }
            if matches!(self.peek_kind(), TokenKind::Newline | TokenKind::Eof) {
                return Err(FrontError::Unclosed {
                    open: open_char,
                    span: open,
                });
            }
            let (item, item_height) = self.expr()?;
            height = height.max(item_height);
            items.push(item);
            self.close_or_comma(open, open_char, close)?;
        }
    }

    /// `()`, `(e)` or a tuple `(a, b)` / `(a,)`.
    fn parenthesized(&mut self) -> PResult<Tree> {
        let open = self.bump().span;
        if self.eat(&TokenKind::RParen) {
            let expr = Expr {
                kind: ExprKind::Tuple(Vec::new()),
                span: open.join(self.prev_span()),
            };
            return Ok((expr, 1));
        }
        let (first, first_height) = self.expr()?;
        if self.eat(&TokenKind::RParen) {
            let expr = Expr {
                kind: first.kind,
                span: open.join(self.prev_span()),
            };
            return Ok((expr, first_height));
        }
        self.close_or_comma(open, '(', &TokenKind::RParen)?;
        let (rest, rest_height) = self.items(open, '(', &TokenKind::RParen)?;
        let mut items = vec![first];
        items.extend(rest);
        let expr = Expr {
            kind: ExprKind::Tuple(items),
            span: open.join(self.prev_span()),
        };
        tree(expr, first_height.max(rest_height) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn parse(src: &str) -> (Vec<Stmt>, Vec<FrontError>) {
        let (tokens, lex_errors) = tokenize(src);
        assert!(lex_errors.is_empty(), "{lex_errors:?}");
        parse_tokens(&tokens)
    }

    fn parse_ok(src: &str) -> Vec<Stmt> {
        let (stmts, errors) = parse(src);
        assert!(errors.is_empty(), "{errors:?}");
        stmts
    }

    fn only_expr(src: &str) -> Expr {
        match parse_ok(src).remove(0).kind {
            StmtKind::Expr(e) => e,
            other => panic!("not an expression statement: {other:?}"),
        }
    }

    #[test]
    fn multi_line_nested_call() {
        let src = "model.add(\n    Bidirectional(\n        LSTM(8, return_sequences=True),  # inner\n        merge_mode='sum',\n    )\n)\n";
        let e = only_expr(src);
        assert_eq!(e.span, Span::new(0, src.len() - 1));
        let ExprKind::Call { func, args } = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(func.path(), Some(vec!["model", "add"]));
        let ExprKind::Call { func, args } = &args[0].value.kind else {
            panic!()
        };
        assert_eq!(func.path(), Some(vec!["Bidirectional"]));
        assert_eq!(args.len(), 2);
        assert_eq!(
            args[1].keyword.as_ref().map(|k| k.name.as_str()),
            Some("merge_mode")
        );
        assert_eq!(args[1].value.kind, ExprKind::Str("sum".into()));
        assert_eq!(
            &src[args[1].span.start as usize..args[1].span.end as usize],
            "merge_mode='sum'"
        );
        let ExprKind::Call { args: inner, .. } = &args[0].value.kind else {
            panic!()
        };
        assert_eq!(inner[0].value.kind, ExprKind::Int(8));
        assert_eq!(inner[1].value.kind, ExprKind::Bool(true));
    }

    #[test]
    fn tuples_and_parentheses() {
        let src = "a = (2, 10)\nb = (5,)\nc = ()\nd = (7)\ne = 1, 2\nf = [-1, None]\n";
        let values: Vec<String> = parse_ok(src)
            .into_iter()
            .map(|s| match s.kind {
                StmtKind::Assign { value, .. } => value.describe(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            values,
            ["(2, 10)", "(5,)", "()", "7", "(1, 2)", "[-1, None]"]
        );
    }

    #[test]
    fn imports() {
        let stmts =
            parse_ok("import numpy as np\nfrom keras.layers import (SimpleRNN,\n LSTM as L)\nfrom x import *\n");
        assert_eq!(
            stmts[0].kind,
            StmtKind::Import(vec![(vec!["numpy".into()], Some("np".into()))])
        );
        assert_eq!(
            stmts[1].kind,
            StmtKind::FromImport {
                module: vec!["keras".into(), "layers".into()],
                names: vec![
                    ("SimpleRNN".into(), None),
                    ("LSTM".into(), Some("L".into()))
                ],
            }
        );
        assert!(matches!(&stmts[2].kind, StmtKind::FromImport { names, .. } if names.is_empty()));
    }

    #[test]
    fn strings_concatenate_and_semicolons_split() {
        let stmts = parse_ok("'''doc'''\nx = 'a' 'b'; y = 1e-3\n");
        assert_eq!(stmts.len(), 3);
        assert!(
            matches!(&stmts[1].kind, StmtKind::Assign { value, .. } if value.kind == ExprKind::Str("ab".into()))
        );
        assert!(
            matches!(&stmts[2].kind, StmtKind::Assign { value, .. } if value.kind == ExprKind::Float(1e-3))
        );
    }

    #[test]
    fn errors_recover_at_next_statement() {
        let src = "for t in inputs:\n    x = t\n    print(x)\nmodel.add(Dense(3 * 2))\ny = a[i]\nprint(1) 2\nz = 3\n";
        let (stmts, errors) = parse(src);
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            [
                "a `for` block is not supported in a spec",
                "the operator `*` is not supported in a spec",
                "indexing with anything but a whole number is not supported in a spec",
                "expected end of line, found `2`",
            ]
        );
        assert_eq!(stmts.len(), 1);
        assert!(matches!(&stmts[0].kind, StmtKind::Assign { target, .. } if target.name == "z"));
    }

    #[test]
    fn unclosed_bracket_points_at_the_opening() {
        let (_, errors) = parse("model.add(SimpleRNN(3)\nmodel.summary()\n");
        assert_eq!(errors.len(), 1);
        assert!(
            matches!(errors[0], FrontError::Unclosed { open: '(', span } if span == Span::new(9, 10)),
            "{errors:?}"
        );
    }

    #[test]
    fn positional_after_keyword_is_an_error() {
        let (_, errors) = parse("f(a=1, 2)\n");
        assert_eq!(
            errors[0].to_string(),
            "expected a keyword argument (positional arguments come first), found `2`"
        );
    }
}
