//! Errors found by the check pass, each with the span of the offending text.

use crate::diag::{Diagnostic, Span};

/// A model the spec describes but Keras would refuse (or rnnc cannot build).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("the first layer `{layer}` has no input shape")]
    MissingInputShape {
        layer: String,
        /// The shape of one sample for this kind of layer, e.g.
        /// `(timesteps, features)`, for the hint.
        sample: &'static str,
        span: Span,
    },

    #[error("the model has no layers")]
    NoLayers,

    #[error("input shape {given} on layer `{layer}` contradicts the model's input shape {first}")]
    ConflictingInputShape {
        layer: String,
        given: String,
        first: String,
        span: Span,
    },

    #[error("{class} layer `{layer}` expects 3-D input (batch, time, features), got {got}")]
    NotASequence {
        layer: String,
        class: &'static str,
        got: String,
        /// The name of the layer that produced the input, when it is a
        /// recurrent layer whose `return_sequences` could be set.
        producer: Option<String>,
        span: Span,
    },

    #[error("{class} layer `{layer}` needs a known feature size (the last axis), got {got}")]
    UnknownFeatures {
        layer: String,
        class: &'static str,
        got: String,
        span: Span,
    },

    #[error("{class} layer `{layer}` expects input of rank {expected}, got {got}")]
    WrongRank {
        layer: String,
        class: &'static str,
        expected: &'static str,
        got: String,
        span: Span,
    },

    #[error("Embedding layer `{layer}` must be the first layer: it reads integer token ids")]
    EmbeddingNotFirst { layer: String, span: Span },

    #[error(
        "layer `{layer}` has {outputs} outputs, so no layer can follow it in a Sequential model"
    )]
    MultipleOutputsNotLast {
        layer: String,
        outputs: usize,
        span: Span,
    },

    #[error("Bidirectional layer `{layer}` wraps a layer with go_backwards=True")]
    BidirectionalGoBackwards { layer: String, span: Span },

    #[error("two layers are named `{name}`")]
    DuplicateName { name: String, span: Span },

    #[error("{class} layer `{layer}` cannot merge shapes {shapes}: {why}")]
    MergeShapes {
        layer: String,
        class: &'static str,
        shapes: String,
        why: String,
        span: Span,
    },

    #[error("{class} layer `{layer}` is called on {got} tensors; it takes {expected}")]
    MergeArity {
        layer: String,
        class: &'static str,
        got: usize,
        expected: &'static str,
        span: Span,
    },

    #[error("layer `{layer}` is given {got} initial states; a {class} takes {expected}")]
    InitialStateCount {
        layer: String,
        class: String,
        got: usize,
        expected: usize,
        span: Span,
    },

    #[error("initial state {index} of layer `{layer}` has shape {got}; it must be {expected}")]
    InitialStateShape {
        layer: String,
        index: usize,
        got: String,
        expected: String,
        span: Span,
    },

    #[error(
        "layer `{layer}` is called again on input {got}, but its weights were built for {first}"
    )]
    SharedLayerInput {
        layer: String,
        got: String,
        first: String,
        span: Span,
    },

    #[error("{class} layer `{layer}` cannot take input {got}: {why}")]
    BadInput {
        layer: String,
        class: &'static str,
        got: String,
        why: String,
        span: Span,
    },

    #[error("input `{name}` is used by an Embedding and by {other} layer `{layer}`")]
    MixedInputUse {
        name: String,
        other: &'static str,
        layer: String,
        span: Span,
    },

    #[error(
        "Softmax layer `{layer}` receives a masked sequence, which Keras 3 refuses at run time"
    )]
    MaskedSoftmax { layer: String, span: Span },

    #[error("{class} layer `{layer}` receives a masked sequence, which Keras 2 refuses")]
    MaskedCudnn {
        class: &'static str,
        layer: String,
        span: Span,
    },

    #[error("stateful layer `{layer}` has no fixed batch size")]
    StatefulBatch { layer: String, span: Span },

    #[error("the model has {params} parameters, more than rnnc's limit of {limit}")]
    TooManyParams {
        params: u128,
        limit: u64,
        span: Span,
    },
}

impl CheckError {
    /// Where the error is, if it is about a particular place.
    pub fn span(&self) -> Option<Span> {
        match self {
            CheckError::NoLayers => None,
            CheckError::MissingInputShape { span, .. }
            | CheckError::ConflictingInputShape { span, .. }
            | CheckError::NotASequence { span, .. }
            | CheckError::UnknownFeatures { span, .. }
            | CheckError::WrongRank { span, .. }
            | CheckError::EmbeddingNotFirst { span, .. }
            | CheckError::MultipleOutputsNotLast { span, .. }
            | CheckError::BidirectionalGoBackwards { span, .. }
            | CheckError::DuplicateName { span, .. }
            | CheckError::MergeShapes { span, .. }
            | CheckError::MergeArity { span, .. }
            | CheckError::InitialStateCount { span, .. }
            | CheckError::InitialStateShape { span, .. }
            | CheckError::SharedLayerInput { span, .. }
            | CheckError::MixedInputUse { span, .. }
            | CheckError::BadInput { span, .. }
            | CheckError::MaskedSoftmax { span, .. }
            | CheckError::MaskedCudnn { span, .. }
            | CheckError::StatefulBatch { span, .. }
            | CheckError::TooManyParams { span, .. } => Some(*span),
        }
    }

    /// How to fix it, where that is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            CheckError::MissingInputShape { sample, .. } => {
                let any_length = if sample.contains("timesteps") {
                    " (timesteps may be None)"
                } else {
                    ""
                };
                Some(format!(
                    "give the first layer `input_shape={sample}`{any_length}, \
                     or start the model with `Input(shape={sample})`"
                ))
            }
            CheckError::NoLayers => Some("add layers with `model.add(SimpleRNN(...))`".into()),
            CheckError::ConflictingInputShape { first, .. } => Some(format!(
                "only the first layer's input shape counts; remove this one or make it {first}"
            )),
            CheckError::NotASequence {
                producer: Some(p), ..
            } => Some(format!("set return_sequences=True on layer `{p}`")),
            CheckError::NotASequence { producer: None, .. } => None,
            CheckError::UnknownFeatures { .. } => {
                Some("give the feature size, e.g. `input_shape=(None, 5)`".into())
            }
            CheckError::WrongRank { .. } => None,
            CheckError::EmbeddingNotFirst { .. } => {
                Some("move the Embedding to the start of the model".into())
            }
            CheckError::MultipleOutputsNotLast { .. } => {
                Some("use return_state=True / merge_mode=None only on the last layer".into())
            }
            CheckError::BidirectionalGoBackwards { .. } => Some(
                "Keras 3 refuses this too (both copies would read backwards); \
                 remove go_backwards: Bidirectional already runs one copy backwards"
                    .into(),
            ),
            CheckError::DuplicateName { .. } => Some("give each layer a unique `name=`".into()),
            CheckError::MergeShapes { .. } => None,
            CheckError::MergeArity { .. } => None,
            CheckError::BadInput { .. } => None,
            CheckError::InitialStateCount { .. } => Some(
                "pass the states a layer returns with return_state=True: [h] for SimpleRNN \
                 and GRU, [h, c] for LSTM, forward states then backward for Bidirectional"
                    .into(),
            ),
            CheckError::InitialStateShape { .. } => {
                Some("a state is (batch, units) of the layer it starts".into())
            }
            CheckError::SharedLayerInput { .. } => Some(
                "a shared layer has one set of weights: call it on inputs with the same feature size"
                    .into(),
            ),
            CheckError::MixedInputUse { .. } => Some(
                "an Embedding reads integer token ids; give the other layer an input of its own"
                    .into(),
            ),
            CheckError::MaskedSoftmax { .. } => Some(
                "Keras' Softmax layer applies the (batch, steps) mask to the (batch, steps, \
                 features) input and fails (\"The `mask` must be broadcastable to `inputs`\"); \
                 use `Activation(\"softmax\")`, which passes the mask on"
                    .into(),
            ),
            CheckError::MaskedCudnn { .. } => Some(
                "Keras 2's cuDNN layers raise \"Masking is not supported for CuDNN RNNs\"; \
                 use `LSTM` / `GRU(reset_after=True)` (the same cells, which take masks), or \
                 drop the mask (`mask_zero=False`, no `Masking`)"
                    .into(),
            ),
            CheckError::StatefulBatch { .. } => Some(
                "Keras keeps one state per batch row, so `stateful=True` needs the batch: \
                 `keras.Input(batch_shape=(B, T, F))`, `batch_size=B`, or \
                 `batch_input_shape=(B, T, F)` on the first layer"
                    .into(),
            ),
            CheckError::TooManyParams { .. } => Some("reduce the layer sizes".into()),
        }
    }

    /// The error as a renderable diagnostic.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            message: self.to_string(),
            span: self.span(),
            hint: self.hint(),
        }
    }
}
