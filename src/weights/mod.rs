//! Source weights in Keras layout, one array per [`WeightSpec`](crate::check::WeightSpec).
//!
//! Weights come from Keras-style initialization ([`init`]) or from a weights
//! file read by [`load`](fn@load): an [`npz`] archive, or the files Keras itself
//! writes ([`keras_file`]: Keras 3's `model.weights.h5` and `model.keras`,
//! Keras 2's legacy `.h5`); either way they are held exactly as Keras holds
//! them (kernel `[input_dim, gates*units]`, …). The ONNX backend converts them to
//! ONNX layout in one place; the reference interpreter uses them as they are.

pub mod cudnn;
mod error;
pub mod init;
pub mod keras_file;
mod load;
pub mod npz;
mod qr;

pub use error::{WeightProblem, WeightsError};
pub use init::initialize;
pub use keras_file::{load_h5, load_keras};
pub use load::load;
pub use npz::{load_npz, save_npz, sha256_file};

use ndarray::{ArrayD, ArrayView1, ArrayView2, ArrayViewD, Ix1, Ix2};

use crate::check::{Direction, ModelInfo, WeightRole};
use crate::ir::LayerId;

/// All weights of a model: for each layer, one array per entry of
/// [`crate::check::LayerInfo::weights`], in that order.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    layers: Vec<Vec<ArrayD<f32>>>,
    /// For a CuDNN layer ([`crate::check::LayerInfo::cudnn`]), its arrays
    /// in Keras' `LSTM` / `GRU` layout ([`cudnn`]), which the reference
    /// and the backend read; `None` for every other layer.
    keras_layout: Vec<Option<Vec<ArrayD<f32>>>>,
}

/// A recurrent cell's weights in Keras layout.
pub struct CellWeights<'a> {
    /// `[input_dim, gates*units]`, gate blocks in Keras order.
    pub kernel: ArrayView2<'a, f32>,
    /// `[units, gates*units]`.
    pub recurrent_kernel: ArrayView2<'a, f32>,
    /// `[gates*units]`, or `[2, 3*units]` (input row, recurrent row) for GRU
    /// with `reset_after`; `None` with `use_bias=False`.
    pub bias: Option<ArrayViewD<'a, f32>>,
}

/// A Dense layer's weights in Keras layout.
pub struct DenseWeights<'a> {
    /// `[input_dim, units]`.
    pub kernel: ArrayView2<'a, f32>,
    /// `[units]`; `None` with `use_bias=False`.
    pub bias: Option<ArrayView1<'a, f32>>,
}

impl Weights {
    /// Wraps per-layer arrays. The caller guarantees that they match `info`
    /// (count and shapes); [`Weights::matches`] checks it.
    pub fn new(info: &ModelInfo, layers: Vec<Vec<ArrayD<f32>>>) -> Weights {
        let keras_layout = info
            .layers
            .iter()
            .zip(&layers)
            .map(|(layer, arrays)| layer.cudnn.map(|cell| cudnn::to_keras(cell, arrays)))
            .collect();
        Weights {
            layers,
            keras_layout,
        }
    }

    /// Whether every array has the shape `info` expects.
    pub fn matches(&self, info: &ModelInfo) -> bool {
        self.layers.len() == info.layers.len()
            && self.layers.iter().zip(&info.layers).all(|(arrays, layer)| {
                arrays.len() == layer.weights.len()
                    && arrays
                        .iter()
                        .zip(&layer.weights)
                        .all(|(a, spec)| a.shape() == spec.shape.as_slice())
            })
    }

    /// The arrays of one layer, in `get_weights()` order.
    pub fn layer(&self, id: LayerId) -> &[ArrayD<f32>] {
        &self.layers[id.index()]
    }

    /// Every array in `model.get_weights()` order.
    pub fn iter(&self) -> impl Iterator<Item = &ArrayD<f32>> {
        self.layers.iter().flatten()
    }

    /// The array with `role` (and `direction`, for Bidirectional) in a layer.
    /// A layer's weight by role (the one direction-free copy), if it has it.
    pub fn array(
        &self,
        info: &ModelInfo,
        id: LayerId,
        role: WeightRole,
    ) -> Option<ArrayViewD<'_, f32>> {
        self.find(info, id, role, None, 0).map(|a| a.view())
    }

    fn find(
        &self,
        info: &ModelInfo,
        id: LayerId,
        role: WeightRole,
        direction: Option<Direction>,
        cell: usize,
    ) -> Option<&ArrayD<f32>> {
        info.layer(id)
            .weights
            .iter()
            .position(|w| w.role == role && w.direction == direction && w.cell == cell)
            .map(|i| {
                let arrays = self.keras_layout[id.index()]
                    .as_ref()
                    .unwrap_or(&self.layers[id.index()]);
                &arrays[i]
            })
    }

    /// A recurrent layer's cell weights; `direction` is `Some` for the halves
    /// of a Bidirectional layer, `cell` counts the cells of a stacked
    /// `RNN([cells])` (0 for every other layer).
    ///
    /// # Panics
    /// If the layer is not recurrent: callers dispatch on the IR first.
    pub fn cell(
        &self,
        info: &ModelInfo,
        id: LayerId,
        direction: Option<Direction>,
        cell: usize,
    ) -> CellWeights<'_> {
        let get = |role| self.find(info, id, role, direction, cell);
        CellWeights {
            kernel: view2(get(WeightRole::Kernel).expect("recurrent layer has a kernel")),
            recurrent_kernel: view2(
                get(WeightRole::RecurrentKernel).expect("recurrent layer has a recurrent kernel"),
            ),
            bias: get(WeightRole::Bias).map(|b| b.view()),
        }
    }

    /// A Dense (or TimeDistributed Dense) layer's weights.
    ///
    /// # Panics
    /// If the layer has no kernel: callers dispatch on the IR first.
    pub fn dense(&self, info: &ModelInfo, id: LayerId) -> DenseWeights<'_> {
        let get = |role| self.find(info, id, role, None, 0);
        DenseWeights {
            kernel: view2(get(WeightRole::Kernel).expect("dense layer has a kernel")),
            bias: get(WeightRole::Bias).map(|b| {
                b.view()
                    .into_dimensionality::<Ix1>()
                    .expect("checked: dense bias is 1-D")
            }),
        }
    }

    /// An Embedding layer's table `[input_dim, output_dim]`.
    ///
    /// # Panics
    /// If the layer is not an Embedding.
    pub fn embeddings(&self, info: &ModelInfo, id: LayerId) -> ArrayView2<'_, f32> {
        view2(
            self.find(info, id, WeightRole::Embeddings, None, 0)
                .expect("embedding layer has a table"),
        )
    }
}

fn view2(a: &ArrayD<f32>) -> ArrayView2<'_, f32> {
    a.view()
        .into_dimensionality::<Ix2>()
        .expect("checked: weight is 2-D")
}

/// The largest magnitude a weight may have: about √(f32::MAX) ≈ 1.8e19, so
/// that the product of a weight with another value of that size (an input,
/// a state, another weight) stays finite in float32. Trained weights are
/// many orders of magnitude smaller; a value beyond this is corrupt or
/// diverged, and would turn the model's outputs into infinities or NaN.
pub const MAX_ABS_WEIGHT: f32 = 1.0e19;

/// The weights read from `path`, or every problem found while reading them:
/// how each weights-file reader ends. Arrays holding NaN, an infinity or a
/// value beyond [`MAX_ABS_WEIGHT`] are refused here, for every format.
fn collected(
    path: &std::path::Path,
    info: &ModelInfo,
    layers: Vec<Vec<ArrayD<f32>>>,
    mut problems: Vec<WeightProblem>,
) -> Result<Weights, WeightsError> {
    if problems.is_empty() {
        for (layer, arrays) in info.layers.iter().zip(&layers) {
            for (spec, array) in layer.weights.iter().zip(arrays) {
                problems.extend(out_of_range(&spec.key, &layer.name, array));
            }
        }
    }
    if problems.is_empty() {
        Ok(Weights::new(info, layers))
    } else {
        Err(WeightsError::Mismatch {
            path: path.to_path_buf(),
            problems,
        })
    }
}

/// The first value of `array` that is not finite or beyond [`MAX_ABS_WEIGHT`].
fn out_of_range(key: &str, layer: &str, array: &ArrayD<f32>) -> Option<WeightProblem> {
    let (flat, &value) = array
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || v.abs() > MAX_ABS_WEIGHT)?;
    Some(WeightProblem::OutOfRange {
        key: key.to_string(),
        layer: layer.to_string(),
        found: format!(
            "{value:e} at index {} (flat index {flat})",
            crate::tensor::npy::shape_text(&crate::tensor::unravel(flat, array.shape()))
        ),
    })
}
