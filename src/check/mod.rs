//! The check pass: the single gate between the IR and everything after it.
//!
//! [`check`] resolves the model inputs, then walks the layer calls in order
//! computing each value's shape and each layer's parameter count, automatic
//! name and weight list exactly as Keras does. The resulting [`ModelInfo`] is what the summary printer, the
//! weight initializer and loader, the ONNX backend and the reference
//! interpreter consume; none of them recomputes a shape.

mod error;
mod mask_ops;
mod masks;
mod names;
mod order;
mod shapes;

pub use error::CheckError;
pub use masks::{dropped as dropped_masks, MaskRule};
pub use names::default_model_name;
pub use order::Operation;
pub use shapes::format_shape;

use crate::ir::{
    CallId, CellKind, Initializer, InputDtype, InputId, LayerId, LayerKind, Merge, Model, Value,
};

/// A tensor shape including the batch axis; `None` is a dimension of any size.
pub type Shape = Vec<Option<u64>>;

/// Models with more parameters than this are refused before any weight is
/// allocated: ONNX protobuf files cannot hold more than 2 GiB, and 2^31 f32
/// parameters are already 8 GiB of memory.
pub const MAX_PARAMS: u64 = 1 << 31;

/// What the check pass knows about a valid model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// The model's name (`sequential` / `functional` unless the spec names it).
    pub name: String,
    /// One entry per model input, in `model.inputs` order.
    pub inputs: Vec<InputInfo>,
    /// One entry per layer, by [`LayerId`].
    pub layers: Vec<LayerInfo>,
    /// The inputs and layers in Keras' `model.layers` order: the order of
    /// the summary's rows and of `model.get_weights()`. Layers that feed no
    /// output are not in it.
    pub order: Vec<Operation>,
    /// One entry per call, by [`CallId`].
    pub calls: Vec<CallInfo>,
    /// The shapes of the model's outputs, in `model.outputs` order.
    pub output_shapes: Vec<Shape>,
    /// Sum of all layers' parameters.
    pub total_params: u64,
}

impl ModelInfo {
    /// The parameters training does not update (BatchNormalization's
    /// moving statistics).
    pub fn non_trainable_params(&self) -> u64 {
        self.weights()
            .filter(|(_, w)| !w.role.trainable())
            .map(|(_, w)| w.shape.iter().product::<usize>() as u64)
            .sum()
    }

    /// The layer's info by id.
    pub fn layer(&self, id: LayerId) -> &LayerInfo {
        &self.layers[id.index()]
    }

    /// The input's info by id.
    pub fn input(&self, id: InputId) -> &InputInfo {
        &self.inputs[id.index()]
    }

    /// The shape of a value of the model.
    pub fn shape(&self, value: Value) -> &Shape {
        match value {
            Value::Input(id) => &self.inputs[id.index()].shape,
            Value::Output { call, output } => {
                &self.calls[call.index()].output_shapes[output as usize]
            }
        }
    }

    /// Whether a value carries a Keras mask (model inputs never do: masks
    /// are made by `Embedding(mask_zero=True)` and `Masking`).
    pub fn is_masked(&self, value: Value) -> bool {
        match value {
            Value::Input(_) => false,
            Value::Output { call, output } => {
                self.calls[call.index()].output_masks[output as usize].is_some()
            }
        }
    }

    /// Whether any value of the model carries a mask.
    pub fn has_masks(&self) -> bool {
        self.calls
            .iter()
            .any(|c| c.output_masks.iter().any(MaskRule::is_some))
    }

    /// The call's info by id.
    pub fn call(&self, id: CallId) -> &CallInfo {
        &self.calls[id.index()]
    }

    /// The model's layers in Keras' `model.layers` order.
    pub fn layer_order(&self) -> impl Iterator<Item = LayerId> + '_ {
        self.order.iter().filter_map(|op| match op {
            Operation::Layer(id) => Some(*id),
            Operation::Input(_) => None,
        })
    }

    /// Every weight of the model in `model.get_weights()` order, with its layer.
    pub fn weights(&self) -> impl Iterator<Item = (LayerId, &WeightSpec)> {
        self.layer_order()
            .flat_map(|id| self.layer(id).weights.iter().map(move |w| (id, w)))
    }
}

/// What the check pass knows about one model input.
#[derive(Clone, Debug, PartialEq)]
pub struct InputInfo {
    /// `name=`, or Keras' automatic `input_layer`, `input_layer_1`, …
    pub name: String,
    /// Element type: int32/int64 token ids for an input read by an Embedding.
    pub dtype: InputDtype,
    /// The shape, batch axis first.
    pub shape: Shape,
}

/// What the check pass knows about one call of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct CallInfo {
    /// The shapes of its inputs, then of its initial states.
    pub input_shapes: Vec<Shape>,
    /// The shapes it produces, in Keras' order.
    pub output_shapes: Vec<Shape>,
    /// How each output gets its Keras mask ([`MaskRule::None`]: it has none).
    pub output_masks: Vec<MaskRule>,
    /// Whether the call uses its inputs' masks (a recurrent layer, the
    /// masked average, attention), rather than ignoring them as Keras does
    /// for a recurrent call given `initial_state=`.
    pub reads_masks: bool,
    /// Per output, whether its mask is ever computed (something reads it,
    /// directly or through the masks made from it): the backend emits no
    /// node for the others.
    pub used_masks: Vec<bool>,
}

/// What the check pass knows about one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerInfo {
    /// The layer's name, given or automatic (`simple_rnn`, `simple_rnn_1`, …).
    pub name: String,
    /// Keras' class name (`SimpleRNN`, `Bidirectional`, …).
    pub class_name: &'static str,
    /// Where Keras 3's weights file keeps the layer's own weights
    /// ([`LayerKind::keras_vars_group`](crate::ir::LayerKind::keras_vars_group)).
    pub keras_vars_group: &'static str,
    /// Names of the layers inside a wrapper: `forward_<inner>` and
    /// `backward_<inner>` for Bidirectional, the Dense for TimeDistributed.
    pub inner_names: Vec<String>,
    /// The shape this layer receives at its first call (the one that built
    /// its weights).
    pub input_shape: Shape,
    /// The shapes its first call produces, in Keras' order (several with
    /// `return_state` or `merge_mode=None`).
    pub output_shapes: Vec<Shape>,
    /// Its calls, in order (two or more for a shared layer).
    pub calls: Vec<CallId>,
    /// Number of parameters, as `count_params()` reports.
    pub params: u64,
    /// The layer's weights in `get_weights()` order.
    pub weights: Vec<WeightSpec>,
    /// For Keras 2's `CuDNNLSTM` / `CuDNNGRU` (alone or in a
    /// Bidirectional), the cell whose weights are in cuDNN's layout.
    pub cudnn: Option<CellKind>,
}

/// Which weight of a layer a [`WeightSpec`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightRole {
    /// Input kernel `[input_dim, gates*units]` (recurrent) or `[input_dim, units]` (Dense).
    Kernel,
    /// Recurrent kernel `[units, gates*units]`.
    RecurrentKernel,
    /// Bias `[gates*units]`, or `[2, 3*units]` for GRU with `reset_after`.
    Bias,
    /// Embedding table `[input_dim, output_dim]`.
    Embeddings,
    /// Normalization scale `[features]`.
    Gamma,
    /// Normalization offset `[features]`.
    Beta,
    /// BatchNormalization's moving mean `[features]` (not trained).
    MovingMean,
    /// BatchNormalization's moving variance `[features]` (not trained).
    MovingVariance,
    /// Attention's learned scale: `()` for Luong, `[dim]` for Bahdanau.
    Scale,
    /// Luong attention's `score_mode="concat"` weight `()`.
    ConcatScoreWeight,
    /// PReLU's slopes: the input shape after the batch, 1 on shared axes.
    Alpha,
}

impl WeightRole {
    /// The last segment of Keras' weight path.
    pub fn keras_name(self) -> &'static str {
        match self {
            WeightRole::Kernel => "kernel",
            WeightRole::RecurrentKernel => "recurrent_kernel",
            WeightRole::Bias => "bias",
            WeightRole::Embeddings => "embeddings",
            WeightRole::Gamma => "gamma",
            WeightRole::Beta => "beta",
            WeightRole::MovingMean => "moving_mean",
            WeightRole::MovingVariance => "moving_variance",
            WeightRole::Scale => "scale",
            WeightRole::ConcatScoreWeight => "concat_score_weight",
            WeightRole::Alpha => "alpha",
        }
    }

    /// Whether training updates it (Keras' `trainable` weights); the
    /// summary counts the others as non-trainable parameters.
    pub fn trainable(self) -> bool {
        match self {
            WeightRole::MovingMean | WeightRole::MovingVariance => false,
            WeightRole::Kernel
            | WeightRole::RecurrentKernel
            | WeightRole::Bias
            | WeightRole::Embeddings
            | WeightRole::Gamma
            | WeightRole::Beta
            | WeightRole::Scale
            | WeightRole::ConcatScoreWeight
            | WeightRole::Alpha => true,
        }
    }
}

/// Which half of a Bidirectional layer a weight belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// How a weight is initialized when no weights file is given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightInit {
    /// The named Keras initializer over the whole array.
    Keras(Initializer),
    /// LSTM `unit_forget_bias=True`: the bias initializer, with the forget gate
    /// block (the second of i, f, c, o) set to ones.
    UnitForgetBias(Initializer),
    /// `CuDNNLSTM(unit_forget_bias=True)`'s two biases (input then
    /// recurrent, i, f, c, o each): the recurrent forget block set to ones.
    CudnnUnitForgetBias(Initializer),
}

/// One weight array as Keras holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightSpec {
    /// Which weight of the layer.
    pub role: WeightRole,
    /// For Bidirectional layers, which direction's copy.
    pub direction: Option<Direction>,
    /// Keras 3's `weight.path` without the model name and `*_cell` segments,
    /// e.g. `bidirectional/forward_simple_rnn/kernel`: the npz key rnnc uses.
    pub key: String,
    /// Keras 3's full `weight.path`, e.g.
    /// `sequential/bidirectional/forward_simple_rnn/simple_rnn_cell/kernel`.
    pub path: String,
    /// Shape in Keras layout.
    pub shape: Vec<usize>,
    /// How rnnc initializes it.
    pub init: WeightInit,
    /// Which cell of a stacked `RNN([cells])` it belongs to (0 for every
    /// other layer).
    pub cell: usize,
    /// Its group in Keras 3's `.weights.h5` when not the layer's usual one
    /// (a stacked cell's `cell/cells/<cell name>/vars`).
    pub vars_group: Option<String>,
}

/// Checks a model, returning its info or every error found.
pub fn check(model: &Model) -> Result<ModelInfo, Vec<CheckError>> {
    let names = names::assign(model, &[])?;
    let mut info = shapes::infer(model, names)?;
    info.total_params = info.layers.iter().map(|l| l.params).sum();
    let mask_ops = mask_ops::MaskOps::build(model, &info.calls);
    info.order = order::keras_order(model, &mask_ops);
    masks::annotate(model, &mut info.calls, &info.layers).map_err(|e| vec![e])?;
    // A Concatenate call with an input carrying a mask tensor makes a
    // `concatenate` op for its mask, which takes an automatic name as it
    // finishes (Keras 3's `Concatenate.compute_mask`); only Concatenate
    // layers' names move.
    let taken: Vec<(u32, &'static str)> = model
        .calls()
        .filter(|(_, call)| {
            matches!(
                model.layers[call.layer.index()].kind,
                LayerKind::Merge(Merge::Concatenate { .. })
            ) && call.inputs.iter().any(|&v| mask_ops.carries(v))
        })
        .map(|(_, call)| (call.span.end, "concatenate"))
        .collect();
    if !taken.is_empty() {
        let renamed = names::assign(model, &taken)?;
        for (layer, names) in info.layers.iter_mut().zip(renamed.layers) {
            layer.name = names.name;
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests;
