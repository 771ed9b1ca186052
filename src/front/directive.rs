//! `# rnnc: keras=2`: comment lines that say which Keras a spec follows.
//!
//! Keras 2 and Keras 3 differ in one function rnnc compiles: `hard_sigmoid`
//! is `clip(0.2·x + 0.5, 0, 1)` in Keras 2 (and in the LSTM/GRU
//! `recurrent_activation` default before Keras 2.3) and `clip(x/6 + 0.5, 0,
//! 1)` in Keras 3. A spec is Keras 3 unless it says `# rnnc: keras=2`; a
//! comment keeps the spec runnable Python. `# rnnc: keras=3` says Keras 3
//! explicitly (which silences the warning for Keras 2 weights).

use super::error::FrontError;
use crate::diag::Span;
use crate::ir::KerasDialect;

/// The Keras a spec follows, from its directives: `None` when it says
/// nothing.
pub fn keras_dialect(source: &str) -> Result<Option<KerasDialect>, FrontError> {
    let mut found = None;
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(body) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(directive) = body.trim_start().strip_prefix("rnnc:") else {
            continue;
        };
        let directive = directive.trim();
        let at = start + line.find(directive).unwrap_or(0);
        let span = Span::new(at, at + directive.len());
        let invalid = |message: String| FrontError::InvalidValue {
            arg: "rnnc:".into(),
            message,
            span,
            hint: Some("write `# rnnc: keras=2` (Keras 2 semantics) or `# rnnc: keras=3`".into()),
        };
        let Some(value) = directive.strip_prefix("keras") else {
            return Err(invalid(format!("unknown directive `{directive}`")));
        };
        let dialect = match value.trim_start().strip_prefix('=').map(str::trim) {
            Some("2") => KerasDialect::Keras2,
            Some("3") => KerasDialect::Keras3,
            _ => {
                return Err(invalid(format!(
                    "`{directive}` names no Keras version rnnc knows"
                )))
            }
        };
        if found.is_some_and(|f| f != dialect) {
            return Err(invalid("the spec names two Keras versions".into()));
        }
        found = Some(dialect);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_directive() {
        assert_eq!(keras_dialect("import keras\n").unwrap(), None);
        assert_eq!(
            keras_dialect("# rnnc: keras=2\nLSTM(4)\n").unwrap(),
            Some(KerasDialect::Keras2)
        );
        assert_eq!(
            keras_dialect("  #rnnc:keras = 3\n").unwrap(),
            Some(KerasDialect::Keras3)
        );
        // An ordinary comment mentioning rnnc is not a directive.
        assert_eq!(keras_dialect("# compiled by rnnc: yes\n").unwrap(), None);
        for bad in [
            "# rnnc: keras=4\n",
            "# rnnc: fast\n",
            "# rnnc: keras=2\n# rnnc: keras=3\n",
        ] {
            let e = keras_dialect(bad).unwrap_err();
            assert!(e.span().is_some(), "{bad}");
            assert!(e.hint().unwrap().contains("keras=2"), "{bad}");
        }
    }
}
