//! The hint for arithmetic in a spec.
//!
//! A spec holds values, not computations, so `LSTM(hidden_units * 2)` is an
//! error; its hint says what to write instead — the value Python would
//! compute, `16`, using the numbers assigned earlier in the spec
//! (`hidden_units = 8`) — rather than a fixed example.

use std::collections::HashMap;

use super::ast::{Expr, ExprKind};

/// The operators whose value the hint computes.
pub const ARITHMETIC: &[&str] = &["+", "-", "*", "/", "//", "%", "**"];

/// The hint when the value cannot be computed.
pub const GENERIC_HINT: &str = "write the computed value as a number";

/// A Python number.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    fn float(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    fn text(self) -> String {
        match self {
            Number::Int(i) => i.to_string(),
            Number::Float(f) => format!("{f:?}"),
        }
    }
}

/// The hint for `first op₁ e₁ op₂ e₂ …`: "`a * 2` is 16: write `16`" when
/// every operand is a number or a name assigned a number in `numbers`.
pub fn hint(first: &Expr, rest: &[(&str, Expr)], numbers: &HashMap<String, Expr>) -> String {
    let mut text = first.describe();
    for (op, e) in rest {
        text.push_str(&format!(" {op} {}", e.describe()));
    }
    let operands: Option<Vec<Number>> = std::iter::once(first)
        .chain(rest.iter().map(|(_, e)| e))
        .map(|e| number(e, numbers))
        .collect();
    let ops: Vec<&str> = rest.iter().map(|(op, _)| *op).collect();
    match operands.and_then(|values| evaluate(values, &ops)) {
        Some(value) => {
            let value = value.text();
            format!("write the computed value: `{text}` is {value}, so write `{value}`")
        }
        None => format!("{GENERIC_HINT}: `{text}` is not a value"),
    }
}

fn number(expr: &Expr, numbers: &HashMap<String, Expr>) -> Option<Number> {
    match &expr.kind {
        ExprKind::Int(i) => Some(Number::Int(i128::from(*i))),
        ExprKind::Float(f) => Some(Number::Float(*f)),
        ExprKind::Neg(inner) => match number(inner, numbers)? {
            Number::Int(i) => Some(Number::Int(-i)),
            Number::Float(f) => Some(Number::Float(-f)),
        },
        // A name bound to a name is not followed, so no chain of them recurses.
        ExprKind::Name(name) => match &numbers.get(name)?.kind {
            ExprKind::Name(_) => None,
            _ => number(numbers.get(name)?, numbers),
        },
        _ => None,
    }
}

/// Evaluates with Python's precedence: `**` (right to left), then `*`, `/`,
/// `//`, `%`, then `+`, `-` (left to right).
fn evaluate(mut values: Vec<Number>, ops: &[&str]) -> Option<Number> {
    let mut ops: Vec<&str> = ops.to_vec();
    for level in [&["**"][..], &["*", "/", "//", "%"], &["+", "-"]] {
        let mut i = 0;
        while i < ops.len() {
            // `**` groups from the right: start at its last occurrence.
            let at = if level[0] == "**" {
                match ops.iter().rposition(|op| *op == "**") {
                    Some(at) => at,
                    None => break,
                }
            } else if level.contains(&ops[i]) {
                i
            } else {
                i += 1;
                continue;
            };
            let value = apply(values[at], ops[at], values[at + 1])?;
            values[at] = value;
            values.remove(at + 1);
            ops.remove(at);
        }
    }
    values.first().copied()
}

fn apply(a: Number, op: &str, b: Number) -> Option<Number> {
    use Number::{Float, Int};
    Some(match (a, b, op) {
        (Int(x), Int(y), "+") => Int(x.checked_add(y)?),
        (Int(x), Int(y), "-") => Int(x.checked_sub(y)?),
        (Int(x), Int(y), "*") => Int(x.checked_mul(y)?),
        (Int(x), Int(y), "//") => Int(floor_div(x, y)?),
        (Int(x), Int(y), "%") => Int(x.checked_sub(floor_div(x, y)?.checked_mul(y)?)?),
        (Int(x), Int(y), "**") if (0..=64).contains(&y) => Int(x.checked_pow(y as u32)?),
        (_, _, "/") if b.float() == 0.0 => return None,
        (_, _, "/") => Float(a.float() / b.float()),
        (_, _, "+") => Float(a.float() + b.float()),
        (_, _, "-") => Float(a.float() - b.float()),
        (_, _, "*") => Float(a.float() * b.float()),
        (_, _, "**") => Float(a.float().powf(b.float())),
        (_, _, "//" | "%") => return None,
        (_, _, other) => unreachable!("`{other}` is not in ARITHMETIC"),
    })
}

/// Python's `//` on integers: the quotient rounded towards negative infinity.
fn floor_div(x: i128, y: i128) -> Option<i128> {
    let q = x.checked_div(y)?;
    Some(if x % y != 0 && ((x < 0) != (y < 0)) {
        q - 1
    } else {
        q
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn int(i: u64) -> Expr {
        Expr {
            kind: ExprKind::Int(i),
            span: Span::default(),
        }
    }

    fn name(n: &str) -> Expr {
        Expr {
            kind: ExprKind::Name(n.into()),
            span: Span::default(),
        }
    }

    #[test]
    fn computes_with_python_precedence() {
        let v = |values: &[i128], ops: &[&str]| {
            evaluate(values.iter().map(|&i| Number::Int(i)).collect(), ops)
        };
        assert_eq!(v(&[2, 3, 4], &["+", "*"]), Some(Number::Int(14)));
        assert_eq!(v(&[2, 3, 2], &["**", "**"]), Some(Number::Int(512)));
        assert_eq!(v(&[7, 2], &["//"]), Some(Number::Int(3)));
        assert_eq!(v(&[7, 2], &["/"]), Some(Number::Float(3.5)));
        assert_eq!(v(&[7, 0], &["//"]), None);
        assert_eq!(v(&[7, -2], &["//"]), Some(Number::Int(-4)));
        assert_eq!(v(&[7, -2], &["%"]), Some(Number::Int(-1)));
        assert_eq!(v(&[10, 4, 3], &["-", "-"]), Some(Number::Int(3)));
    }

    #[test]
    fn a_spec_with_arithmetic_gets_the_value() {
        let source = "hidden_units = 8\nLSTM(hidden_units * 2 + 1, input_shape=(2, 3))\n";
        let errors = crate::front::parse(source).unwrap_err();
        assert_eq!(
            errors[0].hint.as_deref(),
            Some("write the computed value: `hidden_units * 2 + 1` is 17, so write `17`")
        );
    }

    #[test]
    fn hint_uses_earlier_assignments() {
        let numbers = HashMap::from([("hidden_units".to_string(), int(8))]);
        assert_eq!(
            hint(&name("hidden_units"), &[("*", int(2))], &numbers),
            "write the computed value: `hidden_units * 2` is 16, so write `16`"
        );
        assert_eq!(
            hint(&name("n"), &[("*", int(2))], &numbers),
            "write the computed value as a number: `n * 2` is not a value"
        );
    }
}
