//! The check pass: the single gate between the IR and everything after it.
//!
//! [`check`] resolves the model input, then walks the layers computing each
//! one's output shapes, parameter count, automatic name and weight list exactly
//! as Keras does. The resulting [`ModelInfo`] is what the summary printer, the
//! weight initializer and loader, the ONNX backend and the reference
//! interpreter consume; none of them recomputes a shape.

mod error;
mod names;
mod shapes;

pub use error::CheckError;
pub use names::DEFAULT_MODEL_NAME;
pub use shapes::format_shape;

use crate::ir::{Initializer, InputDtype, LayerId, Model};

/// A tensor shape including the batch axis; `None` is a dimension of any size.
pub type Shape = Vec<Option<u64>>;

/// Models with more parameters than this are refused before any weight is
/// allocated: ONNX protobuf files cannot hold more than 2 GiB, and 2^31 f32
/// parameters are already 8 GiB of memory.
pub const MAX_PARAMS: u64 = 1 << 31;

/// What the check pass knows about a valid model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// The model's name (`sequential` unless the spec names it).
    pub name: String,
    /// Element type of the model input.
    pub input_dtype: InputDtype,
    /// The model input shape, batch axis first.
    pub input_shape: Shape,
    /// One entry per layer, in model order.
    pub layers: Vec<LayerInfo>,
    /// Sum of all layers' parameters.
    pub total_params: u64,
}

impl ModelInfo {
    /// The layer's info by id.
    pub fn layer(&self, id: LayerId) -> &LayerInfo {
        &self.layers[id.index()]
    }

    /// The shapes of the model's outputs (the last layer's outputs), in Keras' order.
    pub fn output_shapes(&self) -> &[Shape] {
        self.layers
            .last()
            .map_or(std::slice::from_ref(&self.input_shape), |l| {
                l.output_shapes.as_slice()
            })
    }

    /// Every weight of the model in `model.get_weights()` order, with its layer.
    pub fn weights(&self) -> impl Iterator<Item = (LayerId, &WeightSpec)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.weights.iter().map(move |w| (LayerId(i as u32), w)))
    }
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
    /// The shape this layer receives.
    pub input_shape: Shape,
    /// The shapes it produces, in Keras' order (several with `return_state`
    /// or `merge_mode=None`).
    pub output_shapes: Vec<Shape>,
    /// Number of parameters, as `count_params()` reports.
    pub params: u64,
    /// The layer's weights in `get_weights()` order.
    pub weights: Vec<WeightSpec>,
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
}

impl WeightRole {
    /// The last segment of Keras' weight path.
    pub fn keras_name(self) -> &'static str {
        match self {
            WeightRole::Kernel => "kernel",
            WeightRole::RecurrentKernel => "recurrent_kernel",
            WeightRole::Bias => "bias",
            WeightRole::Embeddings => "embeddings",
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
}

/// Checks a model, returning its info or every error found.
pub fn check(model: &Model) -> Result<ModelInfo, Vec<CheckError>> {
    let names = names::assign(model)?;
    let mut info = shapes::infer(model, names)?;
    info.total_params = info.layers.iter().map(|l| l.params).sum();
    Ok(info)
}

#[cfg(test)]
mod tests;
