//! The typed intermediate representation of a Keras model.
//!
//! The IR is what the frontend produces and every later stage consumes: a
//! graph of layer calls over typed values ([`graph`]), where a Sequential
//! model is a chain and a functional one any acyclic wiring. Layers are
//! objects with their own weights; a layer object called twice (a shared
//! layer) is one [`Layer`] with two [`Call`]s, as in Keras. The IR knows
//! nothing of text or protobuf; the only trace of the source is a [`Span`] on
//! each item a check can complain about, so that errors point at the user's
//! text.

mod graph;

pub use graph::{Call, CallId, InputId, ModelClass, ModelInput, Stream, Value};

use crate::diag::Span;

/// Position of a layer in [`Model::layers`]; layers are never referred to by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerId(pub u32);

impl LayerId {
    /// The index into [`Model::layers`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A Keras model as the spec describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// `Sequential(name=...)` / `Model(..., name=...)`; `None` means Keras'
    /// automatic name for the class.
    pub name: Option<String>,
    /// The Keras class the spec builds: it decides the automatic model name,
    /// the weight paths and the summary's layout, never how a stage walks
    /// the graph.
    pub class: ModelClass,
    /// The model inputs, in `model.inputs` order (one for Sequential).
    pub inputs: Vec<ModelInput>,
    /// The layer objects, in the order Keras lists them in `model.layers`.
    pub layers: Vec<Layer>,
    /// Every layer call, in an order where each call comes after the calls
    /// producing its inputs (the order the spec makes them).
    pub calls: Vec<Call>,
    /// The model outputs, in `model.outputs` order.
    pub outputs: Vec<Value>,
    /// The recurrent calls whose states are model inputs and outputs: none
    /// but in a streaming model.
    pub streams: Vec<Stream>,
    /// Which Keras the spec says it follows (`# rnnc: keras=2`); `None`
    /// when it does not say, which means Keras 3.
    pub keras_dialect: Option<KerasDialect>,
}

/// The Keras line whose semantics a spec follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KerasDialect {
    Keras2,
    Keras3,
}

/// Element type of the model input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputDtype {
    /// Real-valued features (Keras' default `float32`).
    Float32,
    /// Token ids, for models that start with an `Embedding`.
    Int32,
    /// Token ids given as `int64`.
    Int64,
}

/// An input shape declared in the spec, without the batch axis.
///
/// `None` entries are dimensions of any size (Keras' `None`), e.g. `(None, 5)`
/// for sequences of any length with 5 features.
#[derive(Clone, Debug, PartialEq)]
pub struct InputDecl {
    /// Fixed batch size (`batch_input_shape` / `batch_size=`), or any.
    pub batch: Option<u64>,
    /// Dimensions after the batch axis.
    pub dims: Vec<Option<u64>>,
    /// `dtype=` when given.
    pub dtype: Option<InputDtype>,
    /// Where the declaration is written.
    pub span: Span,
}

/// One layer of the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// `name=` when the user gave one; otherwise the check pass assigns Keras'
    /// automatic name.
    pub name: Option<String>,
    /// What the layer computes.
    pub kind: LayerKind,
    /// An input shape given on this layer (`input_shape=`, `batch_input_shape=`,
    /// `input_length=`/`input_dim=`).
    pub input: Option<InputDecl>,
    /// The layer constructor call in the source.
    pub span: Span,
}

/// The layer families rnnc knows.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerKind {
    /// `SimpleRNN`, `LSTM` or `GRU`.
    Recurrent(Recurrent),
    /// `Bidirectional(layer, merge_mode=...)`.
    Bidirectional(Bidirectional),
    /// `Dense(units, activation=..., use_bias=...)`.
    Dense(Dense),
    /// `TimeDistributed(Dense(...))`: the inner Dense applied at every time step.
    TimeDistributed(Box<Layer>),
    /// `Embedding(input_dim, output_dim)`.
    Embedding(Embedding),
    /// `Dropout(rate)`: identity at inference.
    Dropout { rate: f64 },
    /// `Activation(name)`.
    Activation(Activation),
    /// A merge of a list of tensors: `Concatenate`, `Add`, `Multiply`, …
    Merge(Merge),
    /// `RepeatVector(n)`: `(batch, features)` to `(batch, n, features)`.
    RepeatVector { n: u64 },
    /// A layer that is the identity at inference (`SpatialDropout1D`,
    /// `GaussianNoise`, `GaussianDropout`, `ActivityRegularization`).
    Identity(Identity),
    /// `Flatten`, `Reshape`, `Permute`: the same values in another shape.
    Reshape(Reshape),
    /// `GlobalAveragePooling1D` / `GlobalMaxPooling1D`: `(batch, time,
    /// features)` to `(batch, features)`.
    GlobalPooling(Pool),
    /// `LayerNormalization` and `BatchNormalization` (at inference) on the
    /// last axis.
    Normalization(Normalization),
    /// `Attention` (Luong) and `AdditiveAttention` (Bahdanau).
    Attention(Attention),
    /// `Conv1D` on `(batch, steps, channels)`.
    Conv1D(Conv1D),
    /// `MaxPooling1D` / `AveragePooling1D`.
    Pooling1D(Pooling1D),
    /// The activation layers with options (`ReLU`, `LeakyReLU`, `ELU`,
    /// `Softmax`, `PReLU`).
    ActivationLayer(ActivationLayer),
    /// `Masking(mask_value)`: a step whose features all equal the value is
    /// masked, and its features are zeroed (`x * mask`).
    Masking { value: f32 },
}

/// How a convolution or pooling pads the time axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// No padding: only whole windows.
    Valid,
    /// TensorFlow's `same`: `ceil(T / strides)` outputs, the extra padding
    /// at the end.
    Same,
    /// `Conv1D` only: `(kernel_size - 1) * dilation_rate` zeros in front.
    Causal,
}

/// `Conv1D(filters, kernel_size, ...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv1D {
    pub filters: u64,
    pub kernel_size: u64,
    pub strides: u64,
    pub padding: Padding,
    pub dilation_rate: u64,
    pub groups: u64,
    pub activation: Activation,
    pub use_bias: bool,
    pub kernel_initializer: Initializer,
    pub bias_initializer: Initializer,
}

/// `MaxPooling1D` / `AveragePooling1D(pool_size, strides, padding)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pooling1D {
    pub pool: Pool,
    pub pool_size: u64,
    /// Keras' default is the pool size.
    pub strides: u64,
    /// `Valid` or `Same`.
    pub padding: Padding,
}

/// Activation layers with their options, from Keras 3's definitions.
#[derive(Clone, Debug, PartialEq)]
pub enum ActivationLayer {
    /// `ReLU(max_value, negative_slope, threshold)`.
    Relu {
        max_value: Option<f32>,
        negative_slope: f32,
        threshold: f32,
    },
    /// `LeakyReLU(negative_slope=0.3)`: `x` where `x >= 0`, else `slope * x`.
    LeakyRelu { negative_slope: f32 },
    /// `ELU(alpha=1.0)`.
    Elu { alpha: f32 },
    /// `Softmax(axis=-1)`.
    Softmax { axis: i64 },
    /// `PReLU(shared_axes)`: a learned slope per position, shared over the
    /// given axes (1-based, after the batch).
    Prelu { shared_axes: Vec<usize> },
}

impl ActivationLayer {
    /// Keras' class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            ActivationLayer::Relu { .. } => "ReLU",
            ActivationLayer::LeakyRelu { .. } => "LeakyReLU",
            ActivationLayer::Elu { .. } => "ELU",
            ActivationLayer::Softmax { .. } => "Softmax",
            ActivationLayer::Prelu { .. } => "PReLU",
        }
    }

    /// The prefix of Keras' automatic names (its snake case of the class).
    pub fn keras_name_prefix(&self) -> &'static str {
        match self {
            ActivationLayer::Relu { .. } => "re_lu",
            ActivationLayer::LeakyRelu { .. } => "leaky_re_lu",
            ActivationLayer::Elu { .. } => "elu",
            ActivationLayer::Softmax { .. } => "softmax",
            ActivationLayer::Prelu { .. } => "p_re_lu",
        }
    }
}

/// The layers that are the identity at inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    SpatialDropout1D,
    GaussianNoise,
    GaussianDropout,
    ActivityRegularization,
}

impl Identity {
    /// Keras' class name.
    pub fn class_name(self) -> &'static str {
        match self {
            Identity::SpatialDropout1D => "SpatialDropout1D",
            Identity::GaussianNoise => "GaussianNoise",
            Identity::GaussianDropout => "GaussianDropout",
            Identity::ActivityRegularization => "ActivityRegularization",
        }
    }

    /// The prefix of Keras' automatic names.
    pub fn keras_name_prefix(self) -> &'static str {
        match self {
            Identity::SpatialDropout1D => "spatial_dropout1d",
            Identity::GaussianNoise => "gaussian_noise",
            Identity::GaussianDropout => "gaussian_dropout",
            Identity::ActivityRegularization => "activity_regularization",
        }
    }
}

/// The reshaping layers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reshape {
    /// `Flatten()`: `(batch, ...)` to `(batch, product)`.
    Flatten,
    /// `Reshape(target_shape)`, the batch axis excluded; one entry may be -1.
    Reshape(Vec<i64>),
    /// `Permute(dims)`: a permutation of the axes after the batch, 1-based.
    Permute(Vec<usize>),
}

/// Pooling reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    Average,
    Max,
}

/// Which normalization, and its options (Keras' `axis=-1` only).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalization {
    /// Layer normalization (statistics of each sample) or batch normalization
    /// at inference (the moving statistics).
    pub batch: bool,
    pub epsilon: f64,
    /// Add `beta`.
    pub center: bool,
    /// Multiply by `gamma`.
    pub scale: bool,
}

/// Attention over a value sequence (`[query, value]` or `[query, value, key]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attention {
    /// `AdditiveAttention` (Bahdanau: `sum(scale * tanh(q + k))`) rather than
    /// `Attention` (Luong).
    pub additive: bool,
    /// A learned scale: a scalar for Luong, one per feature for Bahdanau.
    pub use_scale: bool,
    /// Luong's `score_mode="concat"`: `concat_score_weight * sum(tanh(q + k))`.
    pub concat: bool,
    /// The call returns the attention scores as a second output.
    pub return_scores: bool,
}

impl LayerKind {
    /// Keras' class name, as summaries and messages print it.
    pub fn class_name(&self) -> &'static str {
        match self {
            LayerKind::Recurrent(r) => r.class_name(),
            LayerKind::Bidirectional(_) => "Bidirectional",
            LayerKind::Dense(_) => "Dense",
            LayerKind::TimeDistributed(_) => "TimeDistributed",
            LayerKind::Embedding(_) => "Embedding",
            LayerKind::Dropout { .. } => "Dropout",
            LayerKind::Activation(_) => "Activation",
            LayerKind::Merge(m) => m.class_name(),
            LayerKind::RepeatVector { .. } => "RepeatVector",
            LayerKind::Identity(i) => i.class_name(),
            LayerKind::Reshape(Reshape::Flatten) => "Flatten",
            LayerKind::Reshape(Reshape::Reshape(_)) => "Reshape",
            LayerKind::Reshape(Reshape::Permute(_)) => "Permute",
            LayerKind::GlobalPooling(Pool::Average) => "GlobalAveragePooling1D",
            LayerKind::GlobalPooling(Pool::Max) => "GlobalMaxPooling1D",
            LayerKind::Normalization(n) if n.batch => "BatchNormalization",
            LayerKind::Normalization(_) => "LayerNormalization",
            LayerKind::Attention(a) if a.additive => "AdditiveAttention",
            LayerKind::Attention(_) => "Attention",
            LayerKind::Conv1D(_) => "Conv1D",
            LayerKind::Pooling1D(p) => match p.pool {
                Pool::Average => "AveragePooling1D",
                Pool::Max => "MaxPooling1D",
            },
            LayerKind::ActivationLayer(a) => a.class_name(),
            LayerKind::Masking { .. } => "Masking",
        }
    }

    /// How many tensors a call of the layer returns: the sequence or last
    /// step, then the states with `return_state` (forward then backward for
    /// Bidirectional, whose `merge_mode=None` returns both directions' outputs).
    pub fn output_count(&self) -> usize {
        let states = |r: &Recurrent| {
            if r.return_state {
                r.states().len()
            } else {
                0
            }
        };
        match self {
            LayerKind::Recurrent(r) => 1 + states(r),
            LayerKind::Bidirectional(b) => {
                let main = match b.merge_mode {
                    MergeMode::None => 2,
                    MergeMode::Concat | MergeMode::Sum | MergeMode::Mul | MergeMode::Ave => 1,
                };
                main + 2 * states(&b.layer)
            }
            LayerKind::Attention(a) => 1 + usize::from(a.return_scores),
            LayerKind::Dense(_)
            | LayerKind::TimeDistributed(_)
            | LayerKind::Embedding(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Activation(_)
            | LayerKind::Merge(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Identity(_)
            | LayerKind::Reshape(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Normalization(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::ActivationLayer(_)
            | LayerKind::Masking { .. } => 1,
        }
    }

    /// Whether a call takes a list of tensors (a merge) rather than one.
    pub fn takes_list(&self) -> bool {
        match self {
            LayerKind::Merge(_) | LayerKind::Attention(_) => true,
            LayerKind::Identity(_)
            | LayerKind::Reshape(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Normalization(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::ActivationLayer(_)
            | LayerKind::Recurrent(_)
            | LayerKind::Bidirectional(_)
            | LayerKind::Dense(_)
            | LayerKind::TimeDistributed(_)
            | LayerKind::Embedding(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Activation(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Masking { .. } => false,
        }
    }

    /// The recurrent layer a call may give `initial_state=` to: the layer
    /// itself, or the one a Bidirectional wraps (whose states it takes twice).
    pub fn recurrent(&self) -> Option<&Recurrent> {
        match self {
            LayerKind::Recurrent(r) => Some(r),
            LayerKind::Bidirectional(b) => Some(&b.layer),
            LayerKind::Dense(_)
            | LayerKind::TimeDistributed(_)
            | LayerKind::Embedding(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Activation(_)
            | LayerKind::Merge(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Identity(_)
            | LayerKind::Reshape(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Normalization(_)
            | LayerKind::Attention(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::ActivationLayer(_)
            | LayerKind::Masking { .. } => None,
        }
    }

    /// The prefix of the names Keras gives unnamed layers of this kind
    /// (`simple_rnn`, `simple_rnn_1`, …): the class name in snake_case.
    pub fn keras_name_prefix(&self) -> &'static str {
        match self {
            LayerKind::Recurrent(r) => r.keras_name_prefix(),
            LayerKind::Bidirectional(_) => "bidirectional",
            LayerKind::Dense(_) => "dense",
            LayerKind::TimeDistributed(_) => "time_distributed",
            LayerKind::Embedding(_) => "embedding",
            LayerKind::Dropout { .. } => "dropout",
            LayerKind::Activation(_) => "activation",
            LayerKind::Merge(m) => m.keras_name_prefix(),
            LayerKind::RepeatVector { .. } => "repeat_vector",
            LayerKind::Identity(i) => i.keras_name_prefix(),
            LayerKind::Reshape(Reshape::Flatten) => "flatten",
            LayerKind::Reshape(Reshape::Reshape(_)) => "reshape",
            LayerKind::Reshape(Reshape::Permute(_)) => "permute",
            LayerKind::GlobalPooling(Pool::Average) => "global_average_pooling1d",
            LayerKind::GlobalPooling(Pool::Max) => "global_max_pooling1d",
            LayerKind::Normalization(n) if n.batch => "batch_normalization",
            LayerKind::Normalization(_) => "layer_normalization",
            LayerKind::Attention(a) if a.additive => "additive_attention",
            LayerKind::Attention(_) => "attention",
            LayerKind::Conv1D(_) => "conv1d",
            LayerKind::Pooling1D(p) => match p.pool {
                Pool::Average => "average_pooling1d",
                Pool::Max => "max_pooling1d",
            },
            LayerKind::ActivationLayer(a) => a.keras_name_prefix(),
            LayerKind::Masking { .. } => "masking",
        }
    }

    /// Where Keras 3's `.weights.h5` keeps the layer's own weights, below
    /// `layers/<name>/` (Bidirectional's directions are under
    /// `forward_layer/cell/vars` and `backward_layer/cell/vars`).
    pub fn keras_vars_group(&self) -> &'static str {
        match self {
            LayerKind::Recurrent(_) => "cell/vars",
            LayerKind::Bidirectional(_) => "vars",
            LayerKind::TimeDistributed(_) => "layer/vars",
            LayerKind::Dense(_)
            | LayerKind::Embedding(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Activation(_)
            | LayerKind::Merge(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Identity(_)
            | LayerKind::Reshape(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Normalization(_)
            | LayerKind::Attention(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::ActivationLayer(_)
            | LayerKind::Masking { .. } => "vars",
        }
    }
}

/// The recurrent cell types and their cell-specific options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// `SimpleRNN`: `h = act(x·W + h·U + b)`.
    SimpleRnn,
    /// `LSTM`; `unit_forget_bias` initializes the forget gate bias to 1.
    Lstm { unit_forget_bias: bool },
    /// `GRU`; `reset_after` (Keras default `True`) applies the reset gate after
    /// the recurrent matrix product and carries a second bias row.
    Gru { reset_after: bool },
}

impl CellKind {
    /// Number of gate blocks in the kernels: 1, 4 or 3.
    pub fn gates(self) -> u64 {
        match self {
            CellKind::SimpleRnn => 1,
            CellKind::Lstm { .. } => 4,
            CellKind::Gru { .. } => 3,
        }
    }

    /// Keras' class name, as printed in summaries.
    pub fn class_name(self) -> &'static str {
        match self {
            CellKind::SimpleRnn => "SimpleRNN",
            CellKind::Lstm { .. } => "LSTM",
            CellKind::Gru { .. } => "GRU",
        }
    }

    /// The prefix of the names Keras gives unnamed layers of this cell.
    pub fn keras_name_prefix(self) -> &'static str {
        match self {
            CellKind::SimpleRnn => "simple_rnn",
            CellKind::Lstm { .. } => "lstm",
            CellKind::Gru { .. } => "gru",
        }
    }

    /// The prefix of the names Keras gives unnamed cells of this kind
    /// (`RNN(LSTMCell(8))`'s cell is `lstm_cell`).
    pub fn keras_cell_prefix(self) -> &'static str {
        match self {
            CellKind::SimpleRnn => "simple_rnn_cell",
            CellKind::Lstm { .. } => "lstm_cell",
            CellKind::Gru { .. } => "gru_cell",
        }
    }

    /// Number of state tensors the cell carries (`h`, plus `c` for LSTM).
    pub fn states(self) -> usize {
        match self {
            CellKind::Lstm { .. } => 2,
            CellKind::SimpleRnn | CellKind::Gru { .. } => 1,
        }
    }
}

/// A recurrent layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Recurrent {
    pub cell: CellKind,
    /// Size of the hidden state.
    pub units: u64,
    /// The output/candidate activation (Keras `activation`, default `tanh`).
    pub activation: Activation,
    /// The gate activation (Keras `recurrent_activation`, default `sigmoid`);
    /// unused by SimpleRNN.
    pub recurrent_activation: Activation,
    pub use_bias: bool,
    /// Output the whole sequence `(batch, time, units)` instead of the last step.
    pub return_sequences: bool,
    /// Also output the final states (`h`, then `c` for LSTM).
    pub return_state: bool,
    /// Read the sequence from last to first.
    pub go_backwards: bool,
    /// Keras' `zero_output_for_mask`: the output at a masked step is zeros
    /// rather than the held state. `Bidirectional` sets it to
    /// `return_sequences` on both copies, as Keras 3 does.
    pub zero_output_for_mask: bool,
    /// `unroll=True`: Keras 3's unrolled loop, the same numbers except that
    /// it never zeroes a masked step's output (it ignores
    /// `zero_output_for_mask`).
    pub unroll: bool,
    /// `stateful=True`: each call starts from the states the last one ended
    /// with, so the model compiles to a streaming file (`crate::streaming`).
    pub stateful: bool,
    pub kernel_initializer: Initializer,
    pub recurrent_initializer: Initializer,
    pub bias_initializer: Initializer,
    /// The Keras class the layer is written as: the same cell and numbers
    /// whichever it is.
    pub class: RecurrentClass,
    /// `RNN([cell, cell, ...])` (`StackedRNNCells`): the cells after the
    /// first (whose settings are this layer's own), each run at every step
    /// on the output of the one before; only their cell settings are read.
    /// Empty for every other layer.
    pub stacked: Vec<Recurrent>,
    /// A stacked layer's cells' own `name=`s, first cell first (Keras 3's
    /// `.weights.h5` keeps each cell's arrays under its name).
    pub cell_names: Vec<Option<String>>,
}

/// The Keras classes that run a recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrentClass {
    /// `SimpleRNN`, `LSTM`, `GRU`.
    Dedicated,
    /// The generic `RNN(cell)` with `SimpleRNNCell`, `LSTMCell` or `GRUCell`.
    Rnn,
    /// Keras 2's `CuDNNLSTM` / `CuDNNGRU`: an LSTM (sigmoid gates) or a GRU
    /// with `reset_after=True`, its weights in cuDNN's layout (a bias per
    /// matrix product, gate blocks transposed), which
    /// `weights::cudnn` converts as Keras 2's loader did.
    Cudnn,
}

impl Recurrent {
    /// Keras' class name, as printed in summaries.
    pub fn class_name(&self) -> &'static str {
        match (self.class, self.cell) {
            (RecurrentClass::Dedicated, cell) => cell.class_name(),
            (RecurrentClass::Rnn, _) => "RNN",
            (RecurrentClass::Cudnn, CellKind::Gru { .. }) => "CuDNNGRU",
            (RecurrentClass::Cudnn, _) => "CuDNNLSTM",
        }
    }

    /// The prefix of the names Keras gives unnamed layers of the class.
    pub fn keras_name_prefix(&self) -> &'static str {
        match (self.class, self.cell) {
            (RecurrentClass::Dedicated, cell) => cell.keras_name_prefix(),
            (RecurrentClass::Rnn, _) => "rnn",
            (RecurrentClass::Cudnn, CellKind::Gru { .. }) => "cu_dnngru",
            (RecurrentClass::Cudnn, _) => "cu_dnnlstm",
        }
    }

    /// Whether a masked step's output is zeros (rather than the held `h`):
    /// `zero_output_for_mask`, unless unrolled.
    pub fn zeroes_masked_outputs(&self) -> bool {
        self.zero_output_for_mask && !self.unroll
    }

    /// A layer of `units` with every other argument at Keras' default.
    pub fn with_keras_defaults(cell: CellKind, units: u64) -> Recurrent {
        Recurrent {
            cell,
            units,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            use_bias: true,
            return_sequences: false,
            return_state: false,
            go_backwards: false,
            zero_output_for_mask: false,
            unroll: false,
            stateful: false,
            kernel_initializer: Initializer::GlorotUniform,
            recurrent_initializer: Initializer::Orthogonal,
            bias_initializer: Initializer::Zeros,
            class: RecurrentClass::Dedicated,
            stacked: Vec::new(),
            cell_names: Vec::new(),
        }
    }

    /// The layer's cells in order as single-cell layers that, chained, run
    /// what it runs: a stacked layer's cells each see the sequence the
    /// previous one returns, in the order it was processed (so the first
    /// reads backwards with `go_backwards`, the others forwards over a
    /// sequence already reversed, with their mask reversed to match), and
    /// all but the last return sequences. A layer that is not stacked is its
    /// own one cell.
    pub fn chain(&self) -> Vec<Recurrent> {
        let last = self.stacked.len();
        let layer_flags = |cell: &Recurrent, index: usize| Recurrent {
            return_sequences: index < last || self.return_sequences,
            return_state: self.return_state,
            go_backwards: index == 0 && self.go_backwards,
            zero_output_for_mask: self.zero_output_for_mask,
            unroll: self.unroll,
            stateful: self.stateful,
            class: self.class,
            stacked: Vec::new(),
            cell_names: Vec::new(),
            ..cell.clone()
        };
        std::iter::once(self)
            .chain(&self.stacked)
            .enumerate()
            .map(|(index, cell)| layer_flags(cell, index))
            .collect()
    }

    /// The width of the layer's output: its last cell's units.
    pub fn output_units(&self) -> u64 {
        self.stacked.last().map_or(self.units, |cell| cell.units)
    }

    /// Each state the layer carries, in Keras' order (a cell's `h`, then `c`
    /// for an LSTM cell, cell after cell), with its name (`h`, `c`; numbered
    /// by cell in a stack: `h0`, `c0`, `h1`) and units.
    pub fn states(&self) -> Vec<(String, u64)> {
        let stacked = !self.stacked.is_empty();
        std::iter::once(self)
            .chain(&self.stacked)
            .enumerate()
            .flat_map(|(i, cell)| {
                ["h", "c"][..cell.cell.states()].iter().map(move |state| {
                    let name = if stacked {
                        format!("{state}{i}")
                    } else {
                        state.to_string()
                    };
                    (name, cell.units)
                })
            })
            .collect()
    }
}

/// How a Bidirectional layer merges its two directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeMode {
    /// Forward then backward on the last axis (Keras' default).
    Concat,
    Sum,
    Mul,
    /// The mean of the two.
    Ave,
    /// No merge: the two outputs are returned separately.
    None,
}

/// `Bidirectional(layer)`: a forward copy and a backward copy of a recurrent layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Bidirectional {
    /// The wrapped layer; its settings apply to both directions, and the
    /// backward copy reads the sequence backwards. (Keras 3 refuses a wrapped
    /// layer with `go_backwards=True`, and so does the check pass.)
    pub layer: Recurrent,
    /// The wrapped layer's own `name=`, if any.
    pub inner_name: Option<String>,
    pub merge_mode: MergeMode,
    /// Where the wrapped layer is written, for errors about it.
    pub inner_span: Span,
    /// `backward_layer=`: the backward copy's own settings (activations,
    /// initializers) when they differ from `layer`'s; the frontend requires
    /// the same cell, units, bias and outputs. `None`: a copy of `layer`.
    /// Either way the backward copy reads the sequence in the other
    /// direction from the forward one.
    pub backward: Option<Recurrent>,
    /// Whether `backward_layer=` was given (Keras then keeps that layer's
    /// own name, automatic or `backward_name`).
    pub explicit_backward: bool,
    /// The backward layer's own `name=`, if given.
    pub backward_name: Option<String>,
}

impl Bidirectional {
    /// The settings the backward copy runs with.
    pub fn backward_layer(&self) -> &Recurrent {
        self.backward.as_ref().unwrap_or(&self.layer)
    }
}

/// A fully connected layer on the last axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub units: u64,
    pub activation: Activation,
    pub use_bias: bool,
    pub kernel_initializer: Initializer,
    pub bias_initializer: Initializer,
}

/// The merge layers: one tensor from a list of tensors of one shape (or,
/// for `Concatenate`, shapes equal but on the axis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// `Concatenate(axis=-1)`; `axis` as written (negative from the end).
    Concatenate { axis: i64 },
    /// `Add()`: the sum, added left to right.
    Add,
    /// `Subtract()`: exactly two inputs, the first minus the second.
    Subtract,
    /// `Multiply()`: the product, left to right.
    Multiply,
    /// `Average()`: the sum left to right, divided by the count.
    Average,
    /// `Maximum()`.
    Maximum,
    /// `Minimum()`.
    Minimum,
    /// `Dot(axes, normalize)`: exactly two inputs; the dot product over
    /// `axes` (each counted with the batch axis, negative from the end),
    /// after l2-normalizing both along them with `normalize`.
    Dot { axes: [i64; 2], normalize: bool },
}

impl Merge {
    /// Keras' class name.
    pub fn class_name(self) -> &'static str {
        match self {
            Merge::Concatenate { .. } => "Concatenate",
            Merge::Add => "Add",
            Merge::Subtract => "Subtract",
            Merge::Multiply => "Multiply",
            Merge::Average => "Average",
            Merge::Maximum => "Maximum",
            Merge::Minimum => "Minimum",
            Merge::Dot { .. } => "Dot",
        }
    }

    /// The prefix of Keras' automatic names (also the functional form's name:
    /// `layers.concatenate([...])`).
    pub fn keras_name_prefix(self) -> &'static str {
        match self {
            Merge::Concatenate { .. } => "concatenate",
            Merge::Add => "add",
            Merge::Subtract => "subtract",
            Merge::Multiply => "multiply",
            Merge::Average => "average",
            Merge::Maximum => "maximum",
            Merge::Minimum => "minimum",
            Merge::Dot { .. } => "dot",
        }
    }
}

/// An embedding lookup table.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    /// Vocabulary size: token ids must be in `0..input_dim`.
    pub input_dim: u64,
    /// Size of each embedding vector.
    pub output_dim: u64,
    pub embeddings_initializer: Initializer,
    /// `mask_zero=True`: id 0 is padding, and the output carries a mask
    /// (`ids != 0`) that later layers honour; row 0 of the table still
    /// exists and counts in the parameters.
    pub mask_zero: bool,
}

/// Element-wise activations with exact formulas (Keras 3 definitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Tanh,
    Sigmoid,
    /// Keras 3: `clip(x / 6 + 0.5, 0, 1)` (not ONNX's default slope 0.2).
    HardSigmoid,
    /// Keras 2: `clip(0.2 * x + 0.5, 0, 1)`, what `hard_sigmoid` means in a
    /// spec that says `# rnnc: keras=2` (and in a Keras 2 model file).
    HardSigmoidKeras2,
    Relu,
    /// Identity (`linear`, or `None` for Dense).
    Linear,
    Elu,
    Selu,
    Softsign,
    Softplus,
    /// Exact (erf-based) GELU, Keras' default `approximate=False`.
    Gelu,
    /// `x * sigmoid(x)` (`swish` / `silu`).
    Silu,
    Exponential,
    /// Softmax on the last axis; only valid where Keras allows it (Dense, Activation).
    Softmax,
}

impl Activation {
    /// Keras' canonical name.
    pub fn keras_name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::HardSigmoid | Activation::HardSigmoidKeras2 => "hard_sigmoid",
            Activation::Relu => "relu",
            Activation::Linear => "linear",
            Activation::Elu => "elu",
            Activation::Selu => "selu",
            Activation::Softsign => "softsign",
            Activation::Softplus => "softplus",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Exponential => "exponential",
            Activation::Softmax => "softmax",
        }
    }

    /// Every activation rnnc accepts, with the names Keras accepts for it.
    pub const NAMES: &'static [(&'static str, Activation)] = &[
        ("tanh", Activation::Tanh),
        ("sigmoid", Activation::Sigmoid),
        ("hard_sigmoid", Activation::HardSigmoid),
        ("relu", Activation::Relu),
        ("linear", Activation::Linear),
        ("elu", Activation::Elu),
        ("selu", Activation::Selu),
        ("softsign", Activation::Softsign),
        ("softplus", Activation::Softplus),
        ("gelu", Activation::Gelu),
        ("silu", Activation::Silu),
        ("swish", Activation::Silu),
        ("exponential", Activation::Exponential),
        ("softmax", Activation::Softmax),
    ];

    /// Looks an activation up by Keras name.
    pub fn from_name(name: &str) -> Option<Activation> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, a)| a)
    }
}

/// Keras weight initializers rnnc reproduces (distribution and scaling; the
/// random stream is rnnc's own, seeded by `--seed`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Initializer {
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    /// Orthogonal matrix (Keras' default recurrent kernel), gain 1.
    Orthogonal,
    Zeros,
    Ones,
    /// Normal, mean 0, stddev 0.05 (Keras' `random_normal` default).
    RandomNormal,
    /// Uniform in [-0.05, 0.05] (Keras' `random_uniform` default).
    RandomUniform,
    /// Normal truncated at 2 stddev, stddev 0.05.
    TruncatedNormal,
}

impl Initializer {
    /// Every initializer name rnnc accepts.
    pub const NAMES: &'static [(&'static str, Initializer)] = &[
        ("glorot_uniform", Initializer::GlorotUniform),
        ("glorot_normal", Initializer::GlorotNormal),
        ("he_uniform", Initializer::HeUniform),
        ("he_normal", Initializer::HeNormal),
        ("lecun_uniform", Initializer::LecunUniform),
        ("lecun_normal", Initializer::LecunNormal),
        ("orthogonal", Initializer::Orthogonal),
        ("zeros", Initializer::Zeros),
        ("ones", Initializer::Ones),
        ("random_normal", Initializer::RandomNormal),
        ("random_uniform", Initializer::RandomUniform),
        ("truncated_normal", Initializer::TruncatedNormal),
    ];

    /// Looks an initializer up by Keras name (snake_case or the class name,
    /// e.g. `GlorotUniform`).
    pub fn from_name(name: &str) -> Option<Initializer> {
        let snake = to_snake_case(name);
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == snake || (*n == "zeros" && snake == "zero"))
            .map(|&(_, i)| i)
    }
}

/// `GlorotUniform` → `glorot_uniform`; snake_case input is returned unchanged.
fn to_snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Layer {
    /// Every activation function the layer applies.
    pub fn activations(&self) -> Vec<Activation> {
        let recurrent = |r: &Recurrent| {
            std::iter::once(r)
                .chain(&r.stacked)
                .flat_map(|cell| [cell.activation, cell.recurrent_activation])
                .collect::<Vec<_>>()
        };
        match &self.kind {
            LayerKind::Recurrent(r) => recurrent(r),
            LayerKind::Bidirectional(b) => {
                let mut all = recurrent(&b.layer);
                all.extend(b.backward.as_ref().map(recurrent).unwrap_or_default());
                all
            }
            LayerKind::Dense(d) => vec![d.activation],
            LayerKind::TimeDistributed(inner) => inner.activations(),
            LayerKind::Activation(a) => vec![*a],
            LayerKind::Conv1D(c) => vec![c.activation],
            LayerKind::Embedding(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Merge(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Identity(_)
            | LayerKind::Reshape(_)
            | LayerKind::GlobalPooling(_)
            | LayerKind::Normalization(_)
            | LayerKind::Attention(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::ActivationLayer(_)
            | LayerKind::Masking { .. } => Vec::new(),
        }
    }
}

impl Model {
    /// Whether some layer applies `activation`.
    pub fn applies(&self, activation: Activation) -> bool {
        self.layers
            .iter()
            .any(|layer| layer.activations().contains(&activation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initializer_names_accept_class_names() {
        assert_eq!(
            Initializer::from_name("GlorotUniform"),
            Some(Initializer::GlorotUniform)
        );
        assert_eq!(
            Initializer::from_name("orthogonal"),
            Some(Initializer::Orthogonal)
        );
        assert_eq!(Initializer::from_name("Zeros"), Some(Initializer::Zeros));
        assert_eq!(Initializer::from_name("glorot"), None);
    }

    #[test]
    fn activation_aliases() {
        assert_eq!(Activation::from_name("swish"), Some(Activation::Silu));
        assert_eq!(Activation::from_name("Tanh"), None);
    }
}
