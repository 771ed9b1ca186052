//! Errors of the frontend: lexing, parsing and lowering a spec to IR.
//!
//! Every variant carries the [`Span`] of the offending text and the values a user
//! needs to understand it; [`FrontError::hint`] gives a fix when one is known.
//! They become [`Diagnostic`]s only at the edge, in [`super::parse`].

use crate::diag::{Diagnostic, Span};

/// The hint given for every statement that is not part of a model definition.
pub const STATEMENT_HINT: &str = "a spec holds imports, constant assignments (`units = 8`) \
     and the model definition (`model = Sequential()`, `model.add(...)`)";

/// One error found in a spec.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FrontError {
    /// A character that cannot start any token.
    #[error("unexpected character `{ch}`")]
    UnexpectedChar { ch: char, span: Span },
    /// A string literal without its closing quote.
    #[error("unterminated string")]
    UnterminatedString { span: Span },
    /// A malformed or out-of-range number literal.
    #[error("invalid number `{text}`")]
    InvalidNumber { text: String, span: Span },
    /// The parser found one token where the grammar wants another.
    #[error("expected {expected}, found {found}")]
    Expected {
        expected: String,
        found: String,
        span: Span,
    },
    /// A bracket still open at the end of the spec.
    #[error("unclosed `{open}`")]
    Unclosed { open: char, span: Span },
    /// Python syntax a model spec has no use for (loops, operators, ...).
    #[error("{what} is not supported in a spec")]
    UnsupportedSyntax {
        what: String,
        span: Span,
        hint: Option<String>,
    },
    /// A well-formed statement that does not describe the model.
    #[error("unsupported statement: {what}")]
    UnsupportedStatement { what: String, span: Span },
    /// Training or inference calls (`model.fit(...)`).
    #[error("`{call}` is not part of the model definition")]
    NotModelDefinition { call: String, span: Span },
    /// A layer constructor rnnc does not know.
    #[error("unknown layer `{name}`")]
    UnknownLayer {
        name: String,
        span: Span,
        hint: Option<String>,
    },
    /// A keyword argument the callee does not take.
    #[error("unknown argument `{arg}` for {callee}")]
    UnknownArgument {
        arg: String,
        callee: String,
        span: Span,
        hint: Option<String>,
    },
    /// The same argument given twice (by keyword, or by position and keyword).
    #[error("argument `{arg}` of {callee} is given twice")]
    DuplicateArgument {
        arg: String,
        callee: String,
        span: Span,
    },
    /// More positional arguments than the constructor takes.
    #[error("{callee} takes at most {max} positional arguments, got {got}")]
    TooManyPositional {
        callee: String,
        max: usize,
        got: usize,
        span: Span,
    },
    /// A required argument is missing.
    #[error("{callee} needs the argument `{arg}`")]
    MissingArgument {
        callee: String,
        arg: String,
        span: Span,
    },
    /// An argument of the wrong kind (`units='8'`, `return_sequences=1`).
    #[error("expected {expected} for `{arg}`, got {found}")]
    WrongType {
        arg: String,
        expected: &'static str,
        found: String,
        span: Span,
    },
    /// A size that is zero or negative.
    #[error("`{arg}` must be a positive integer, got {value}")]
    NotPositive {
        arg: String,
        value: String,
        span: Span,
    },
    /// A size above [`super::values::MAX_SIZE`].
    #[error("`{arg}` is {value}, more than the largest size rnnc accepts ({limit})")]
    TooLarge {
        arg: String,
        value: u64,
        limit: u64,
        span: Span,
    },
    /// An activation name Keras would not accept either.
    #[error("unknown activation `{name}`")]
    UnknownActivation {
        name: String,
        span: Span,
        hint: Option<String>,
    },
    /// `softmax` is not a valid recurrent activation.
    #[error("{layer} cannot use `softmax` as `{arg}`")]
    SoftmaxInRecurrent {
        layer: &'static str,
        arg: String,
        span: Span,
    },
    /// An initializer name rnnc does not reproduce.
    #[error("unknown initializer `{name}`")]
    UnknownInitializer {
        name: String,
        span: Span,
        hint: Option<String>,
    },
    /// `GlorotUniform(seed=1)` and the like.
    #[error("initializer arguments are not supported")]
    InitializerArguments { span: Span },
    /// A value of the right type that rnnc cannot honour or Keras rejects.
    #[error("invalid value for `{arg}`: {message}")]
    InvalidValue {
        arg: String,
        message: String,
        span: Span,
        hint: Option<String>,
    },
    /// A Keras feature rnnc does not implement (`mask_zero=True`, `stateful=True`).
    #[error("{what} is not supported")]
    Unsupported {
        what: String,
        span: Span,
        hint: Option<String>,
    },
    /// A name used as a value that no assignment defines.
    #[error("`{name}` is not defined")]
    UndefinedName {
        name: String,
        span: Span,
        hint: Option<String>,
    },
    /// `m.add(...)` where `m` is not a model.
    #[error("`.{method}` on unknown name `{name}`")]
    UnknownModel {
        name: String,
        method: String,
        span: Span,
        hint: Option<String>,
    },
    /// A method of the model other than `add`, `summary` and `compile`.
    #[error("unknown model method `{method}`")]
    UnknownMethod {
        method: String,
        span: Span,
        hint: Option<String>,
    },
    /// A second `Sequential()` after the first one received layers.
    #[error("a spec describes one model, but a second `Sequential` is created here")]
    SecondModel { span: Span },
    /// Two `Input(...)` declarations.
    #[error("the model input is declared twice")]
    InputTwice { span: Span },
    /// `Input(...)` after layers were added.
    #[error("`Input` must come before the first layer")]
    InputAfterLayers { span: Span },
    /// Two ways of giving an input shape on one layer.
    #[error("conflicting input shapes: {message}")]
    ConflictingShape { message: String, span: Span },
    /// `Bidirectional(Dense(...))`, `TimeDistributed(LSTM(...))`.
    #[error("{wrapper} cannot wrap {inner}")]
    BadWrapped {
        wrapper: &'static str,
        inner: String,
        span: Span,
        hint: &'static str,
    },
    /// Something other than a layer where a layer is expected.
    #[error("expected a layer, got {found}")]
    ExpectedLayer { found: String, span: Span },
    /// The spec has no layers at all.
    #[error("the spec defines no layers")]
    NoLayers,
    /// An expression nested deeper than [`super::parser::MAX_NESTING`] levels,
    /// or one that grows past it once constants are substituted.
    #[error("expression nested more than {limit} levels deep")]
    TooDeep { limit: usize, span: Span },
    /// Constants copied into each other until the spec would expand past
    /// [`super::lower::MAX_EXPANDED_NODES`] expression nodes.
    #[error("constants expand to more than {limit} values once substituted")]
    TooLargeExpansion { limit: usize, span: Span },
    /// A typographic quote, as word processors and chat tools substitute.
    #[error("curly quote `{ch}` in the spec")]
    CurlyQuote { ch: char, span: Span },
    /// A functional-API construct rnnc does not compile (a `Lambda`, a
    /// custom layer, a dict of outputs, …).
    #[error("{what} is not supported in a functional model")]
    FunctionalUnsupported {
        what: String,
        span: Span,
        hint: Option<String>,
    },
    /// A value used where a tensor (or a list of tensors) is needed.
    #[error("`{found}` is not a tensor")]
    NotATensor { found: String, span: Span },
    /// `a, b = x` with another count of tensors.
    #[error("cannot unpack {got} into {expected} names")]
    UnpackCount {
        got: String,
        expected: usize,
        span: Span,
    },
    /// `states[i]` past the end of the list.
    #[error("index {index} is out of range for a list of {len} tensors")]
    IndexOutOfRange { index: i64, len: usize, span: Span },
    /// A layer called on a list when it takes one tensor, or the reverse.
    #[error("{class} layer takes {expected}, got {got}")]
    CallInput {
        class: &'static str,
        expected: &'static str,
        got: String,
        span: Span,
    },
    /// `initial_state=` on a layer that has no states.
    #[error("`initial_state` is only for recurrent layers, not {class}")]
    InitialStateNotRecurrent { class: &'static str, span: Span },
    /// A functional spec without `keras.Model(inputs, outputs)`.
    #[error("the spec makes tensors but no `keras.Model(inputs, outputs)`")]
    NoFunctionalModel { span: Span },
    /// A second `keras.Model(...)`.
    #[error("a spec describes one model, but a second `Model` is created here")]
    SecondFunctionalModel { span: Span },
    /// `Model(inputs=...)` given something other than `Input` tensors.
    #[error("`Model` inputs must be tensors made by `keras.Input`, got `{found}`")]
    ModelInputNotInput { found: String, span: Span },
    /// A model output computed from an `Input` that is not a model input.
    #[error("the outputs depend on input `{name}`, which is not among the model's inputs")]
    GraphDisconnected { name: String, span: Span },
    /// A merge layer added to a Sequential model.
    #[error("{class} merges a list of tensors and cannot be a layer of a Sequential model")]
    MergeInSequential { class: &'static str, span: Span },
}

impl FrontError {
    /// Where the error is, if it is about a piece of the spec.
    pub fn span(&self) -> Option<Span> {
        use FrontError::*;
        match self {
            UnexpectedChar { span, .. }
            | UnterminatedString { span }
            | InvalidNumber { span, .. }
            | Expected { span, .. }
            | Unclosed { span, .. }
            | UnsupportedSyntax { span, .. }
            | UnsupportedStatement { span, .. }
            | NotModelDefinition { span, .. }
            | UnknownLayer { span, .. }
            | UnknownArgument { span, .. }
            | DuplicateArgument { span, .. }
            | TooManyPositional { span, .. }
            | MissingArgument { span, .. }
            | WrongType { span, .. }
            | NotPositive { span, .. }
            | TooLarge { span, .. }
            | UnknownActivation { span, .. }
            | SoftmaxInRecurrent { span, .. }
            | UnknownInitializer { span, .. }
            | InitializerArguments { span }
            | InvalidValue { span, .. }
            | Unsupported { span, .. }
            | UndefinedName { span, .. }
            | UnknownModel { span, .. }
            | UnknownMethod { span, .. }
            | SecondModel { span }
            | InputTwice { span }
            | InputAfterLayers { span }
            | ConflictingShape { span, .. }
            | BadWrapped { span, .. }
            | ExpectedLayer { span, .. }
            | TooDeep { span, .. }
            | TooLargeExpansion { span, .. }
            | CurlyQuote { span, .. }
            | FunctionalUnsupported { span, .. }
            | NotATensor { span, .. }
            | UnpackCount { span, .. }
            | IndexOutOfRange { span, .. }
            | CallInput { span, .. }
            | InitialStateNotRecurrent { span, .. }
            | NoFunctionalModel { span }
            | SecondFunctionalModel { span }
            | ModelInputNotInput { span, .. }
            | GraphDisconnected { span, .. }
            | MergeInSequential { span, .. } => Some(*span),
            NoLayers => None,
        }
    }

    /// A suggested fix, when one is known.
    pub fn hint(&self) -> Option<String> {
        use FrontError::*;
        match self {
            UnsupportedSyntax { hint, .. }
            | UnknownLayer { hint, .. }
            | UnknownArgument { hint, .. }
            | UnknownActivation { hint, .. }
            | UnknownInitializer { hint, .. }
            | InvalidValue { hint, .. }
            | Unsupported { hint, .. }
            | UndefinedName { hint, .. }
            | UnknownModel { hint, .. }
            | UnknownMethod { hint, .. } => hint.clone(),
            BadWrapped { hint, .. } => Some((*hint).to_string()),
            UnsupportedStatement { .. } => Some(STATEMENT_HINT.to_string()),
            NotModelDefinition { .. } => Some(
                "rnnc takes the model from its layers alone; remove this call \
                 (trained weights are given with `rnnc compile --weights`)"
                    .to_string(),
            ),
            TooManyPositional { .. } => Some("pass the remaining arguments by keyword".into()),
            SoftmaxInRecurrent { .. } => Some(
                "softmax normalizes over the last axis; put it in a Dense layer after the \
                 recurrent one"
                    .into(),
            ),
            InitializerArguments { .. } => {
                Some("use the initializer with its defaults, e.g. `GlorotUniform()`".into())
            }
            SecondModel { .. } => Some("write each model in its own spec file".into()),
            InputTwice { .. } => Some("keep one `Input(...)`".into()),
            InputAfterLayers { .. } => Some("move `Input(...)` before the first layer".into()),
            ConflictingShape { .. } => Some("give the input shape in one way only".into()),
            NoLayers => Some("add layers with `model.add(...)`".into()),
            TooDeep { .. } => Some(
                "write the value with fewer nested brackets, calls or signs \
                 (Python itself stops near 200 levels)"
                    .into(),
            ),
            TooLargeExpansion { .. } => {
                Some("write the values out instead of building them from other constants".into())
            }
            CurlyQuote { .. } => {
                Some("use straight quotes: `'` or `\"` (an editor may have replaced them)".into())
            }
            FunctionalUnsupported { hint, .. } => hint.clone(),
            NotATensor { .. } => {
                Some("pass a tensor: an `Input(...)`, or what a layer call returns".into())
            }
            UnpackCount { .. } => Some(
                "a recurrent layer returns 1 tensor, plus its states (h, and c for LSTM; \
                 both directions' for Bidirectional) with return_state=True"
                    .into(),
            ),
            CallInput { .. } => None,
            InitialStateNotRecurrent { .. } => None,
            NoFunctionalModel { .. } => {
                Some("end the spec with `model = keras.Model(inputs, outputs)`".into())
            }
            SecondFunctionalModel { .. } => Some("keep one `keras.Model(...)` per spec".into()),
            ModelInputNotInput { .. } => None,
            GraphDisconnected { .. } => {
                Some("add it to `inputs` of `keras.Model(inputs, outputs)`".into())
            }
            MergeInSequential { .. } => Some(
                "build the model with the functional API: \
                 `merged = layers.Concatenate()([a, b])`"
                    .into(),
            ),
            _ => None,
        }
    }
}

impl From<FrontError> for Diagnostic {
    fn from(error: FrontError) -> Diagnostic {
        Diagnostic {
            message: error.to_string(),
            span: error.span(),
            hint: error.hint(),
        }
    }
}

/// `did you mean `x`?` for the closest candidate, if any is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    crate::diag::closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}
