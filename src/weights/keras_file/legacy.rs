//! Keras 2's legacy HDF5 weights: `model.save("x.h5")` and `model.save_weights("x.h5")`.
//!
//! This is what tutorial-era (TF 2.x `tf.keras`) users have. A whole-model
//! file keeps the weights under a `model_weights` group; a weights-only file
//! keeps them at the root. Either way that group has a `layer_names`
//! attribute listing every layer in model order, and one group per layer whose
//! `weight_names` attribute lists the layer's arrays in `get_weights()` order,
//! as dataset paths relative to the layer group:
//!
//! ```text
//! layer_names = [lstm, dropout, bidirectional, dense]
//! lstm/           weight_names = [lstm/lstm_cell/kernel:0, …/recurrent_kernel:0, …/bias:0]
//! dropout/        weight_names = []
//! bidirectional/  weight_names = [bidirectional/forward_lstm/lstm_cell/kernel:0, …,
//!                                 bidirectional/backward_lstm/lstm_cell/kernel:0, …]
//! top_level_model_weights/   weight_names = []   (Keras 2.6 and later)
//! ```
//!
//! (Keras 3's own writer of this format names arrays by their full path,
//! `sequential/lstm/lstm_cell/kernel`, without `:0`.) The names are byte
//! strings, fixed-length or variable-length depending on the h5py version that
//! wrote them; an attribute too large for an HDF5 object header is split into
//! `layer_names0`, `layer_names1`, ….
//!
//! Keras' `load_weights_from_hdf5_group` ignores every name: the n-th layer
//! with weights in the file goes to the n-th layer with weights of the model,
//! and within a layer the arrays go in `weight_names` order. [`read_legacy`]
//! matches the same way, so a file loads into rnnc exactly when it loads into
//! the same model in Keras.

use hdf5_reader::group::Group;
use hdf5_reader::Attribute;

use super::{not_hdf5, read_float, shape_list, unexpected_array, Found};
use crate::check::{LayerInfo, ModelInfo};
use crate::weights::npz::{shape_hint, shape_text};
use crate::weights::{WeightProblem, Weights, WeightsError};

/// The group of a whole-model file (`model.save`) that holds the weights.
const MODEL_WEIGHTS: &str = "model_weights";
/// The group Keras 2.6+ writes for weights owned by the model itself, which
/// rnnc's models never have.
const TOP_LEVEL_WEIGHTS: &str = "top_level_model_weights";

/// Whether the root looks like Keras 2's HDF5 format.
pub(super) fn is_legacy(root: &Group) -> bool {
    root.group(MODEL_WEIGHTS).is_ok()
        || root.attribute("layer_names").is_ok()
        || root.attribute("layer_names0").is_ok()
}

/// One layer group of the file that has weights.
struct FileLayer {
    /// The group's path from the file root (`model_weights/lstm`).
    key: String,
    /// The layer's name in the saved model.
    saved_name: String,
    /// Each entry of `weight_names`: its path from the file root and the
    /// dataset, or why it could not be found.
    arrays: Vec<(String, Result<Found, String>)>,
}

impl FileLayer {
    fn shapes(&self) -> String {
        shape_list(
            self.arrays
                .iter()
                .filter_map(|(_, found)| found.as_ref().ok().map(|f| f.shape.as_slice())),
        )
    }
}

/// Reads a legacy Keras 2 file for `info`, matching layers by position among
/// those with weights, and reporting every mismatch at once.
pub(super) fn read_legacy(
    root: &Group,
    path: &std::path::Path,
    info: &ModelInfo,
) -> Result<Weights, WeightsError> {
    let not_keras = |cause: String| not_hdf5(path, cause);
    let (group, prefix) = match root.group(MODEL_WEIGHTS) {
        Ok(group) => (group, format!("{MODEL_WEIGHTS}/")),
        Err(_) => (root.clone(), String::new()),
    };
    let layer_names = names_attribute(&group, "layer_names")
        .map_err(|e| not_keras(format!("cannot read `{prefix}layer_names`: {e}")))?
        .ok_or_else(|| {
            not_keras(format!(
                "its `{}` group has no `layer_names` attribute",
                if prefix.is_empty() {
                    "root"
                } else {
                    MODEL_WEIGHTS
                }
            ))
        })?;

    let mut file_layers = Vec::new();
    for name in &layer_names {
        let key = format!("{prefix}{name}");
        let layer_group = group.group(name).map_err(|_| {
            not_keras(format!(
                "`layer_names` lists `{name}`, but the file has no group `{key}`"
            ))
        })?;
        if let Some(layer) = read_layer(&layer_group, key, name).map_err(not_keras)? {
            file_layers.push(layer);
        }
    }

    // Layers with weights in `model.layers` order, which is the file's.
    let model_layers: Vec<(usize, &LayerInfo)> = info
        .layer_order()
        .map(|id| (id.index(), info.layer(id)))
        .filter(|(_, layer)| !layer.weights.is_empty())
        .collect();
    let mut layers: Vec<Vec<_>> = info.layers.iter().map(|_| Vec::new()).collect();
    let mut problems = Vec::new();
    for (n, &(index, layer)) in model_layers.iter().enumerate() {
        match file_layers.get(n) {
            Some(file_layer) => layers[index] = read_pair(layer, file_layer, &mut problems),
            None => problems.push(WeightProblem::MissingLayer {
                key: format!("{prefix}{}", layer.name),
                layer: layer.name.clone(),
                expected: shape_list(layer.weights.iter().map(|w| w.shape.as_slice())),
            }),
        }
    }
    let mut extra: Vec<FileLayer> = file_layers.into_iter().skip(model_layers.len()).collect();
    if let Ok(top) = group.group(TOP_LEVEL_WEIGHTS) {
        let key = format!("{prefix}{TOP_LEVEL_WEIGHTS}");
        extra.extend(read_layer(&top, key, TOP_LEVEL_WEIGHTS).map_err(not_keras)?);
    }
    for layer in extra {
        problems.push(WeightProblem::UnexpectedLayer {
            found: layer.shapes(),
            key: layer.key,
            saved_name: layer.saved_name,
        });
    }

    crate::weights::collected(path, info, layers, problems)
}

/// A layer group's arrays, or `None` if its `weight_names` is empty or absent
/// (Keras' loader skips such layers when counting).
fn read_layer(group: &Group, key: String, name: &str) -> Result<Option<FileLayer>, String> {
    let weight_names = names_attribute(group, "weight_names")
        .map_err(|e| format!("cannot read `{key}` `weight_names`: {e}"))?
        .unwrap_or_default();
    if weight_names.is_empty() {
        return Ok(None);
    }
    let arrays = weight_names
        .iter()
        .map(|weight| {
            let found = find_dataset(group, weight).map(|dataset| Found {
                shape: dataset.shape().iter().map(|&d| d as usize).collect(),
                dataset,
            });
            (format!("{key}/{weight}"), found)
        })
        .collect();
    Ok(Some(FileLayer {
        key,
        saved_name: name.to_string(),
        arrays,
    }))
}

/// Reads the arrays of `file` into the model layer `layer`, in order.
fn read_pair(
    layer: &LayerInfo,
    file: &FileLayer,
    problems: &mut Vec<WeightProblem>,
) -> Vec<ndarray::ArrayD<f32>> {
    let mut arrays = Vec::with_capacity(layer.weights.len());
    for (i, spec) in layer.weights.iter().enumerate() {
        let Some((key, found)) = file.arrays.get(i) else {
            problems.push(WeightProblem::Missing {
                key: format!("{}/weight_names[{i}]", file.key),
                layer: layer.name.clone(),
                expected: shape_text(&spec.shape),
            });
            continue;
        };
        let array = match found {
            Ok(array) => array,
            Err(cause) => {
                problems.push(WeightProblem::Corrupt {
                    key: key.clone(),
                    cause: cause.clone(),
                });
                continue;
            }
        };
        if array.shape != spec.shape {
            problems.push(WeightProblem::Shape {
                hint: shape_hint(&spec.shape, &array.shape),
                key: key.clone(),
                layer: layer.name.clone(),
                expected: shape_text(&spec.shape),
                found: shape_text(&array.shape),
            });
            continue;
        }
        match read_float(&array.dataset, key) {
            Ok(values) => arrays.push(values),
            Err(problem) => problems.push(problem),
        }
    }
    for (key, found) in file.arrays.iter().skip(layer.weights.len()) {
        problems.push(match found {
            Ok(array) => unexpected_array(key, &array.shape, layer),
            Err(cause) => WeightProblem::Corrupt {
                key: key.clone(),
                cause: cause.clone(),
            },
        });
    }
    arrays
}

/// The dataset at `path` (segments separated by `/`) under `group`.
fn find_dataset(group: &Group, path: &str) -> Result<hdf5_reader::Dataset, String> {
    let absent = || "listed in `weight_names` but not in the file".to_string();
    let (dirs, leaf) = path.rsplit_once('/').unwrap_or(("", path));
    let mut here = group.clone();
    for dir in dirs.split('/').filter(|d| !d.is_empty()) {
        here = here.group(dir).map_err(|_| absent())?;
    }
    here.dataset(leaf).map_err(|_| absent())
}

/// A list-of-names attribute as Keras' `load_attributes_from_hdf5_group` reads
/// it: `name` itself, or the chunks `name0`, `name1`, … concatenated; `None`
/// if neither is there.
fn names_attribute(group: &Group, name: &str) -> Result<Option<Vec<String>>, String> {
    let attributes = group.attributes().map_err(|e| e.to_string())?;
    let find = |wanted: &str| attributes.iter().find(|a| a.name == wanted);
    if let Some(attribute) = find(name) {
        return strings(attribute).map(Some);
    }
    let mut names = Vec::new();
    let mut chunk = 0;
    while let Some(attribute) = find(&format!("{name}{chunk}")) {
        names.extend(strings(attribute)?);
        chunk += 1;
    }
    Ok((chunk > 0).then_some(names))
}

/// The strings of a string-array attribute; an empty array of any type (Keras
/// writes `np.asarray([])`, a float64 array, for a layer without weights) is
/// no strings.
fn strings(attribute: &Attribute) -> Result<Vec<String>, String> {
    if attribute.shape.contains(&0) {
        return Ok(Vec::new());
    }
    attribute
        .read_strings()
        .map_err(|e| format!("`{}` is not a list of names ({e})", attribute.name))
}

#[cfg(test)]
mod tests;
