//! Keras 3 weight files: `model.weights.h5` and the `.keras` archive.
//!
//! `model.save_weights("model.weights.h5")` writes one HDF5 group per layer
//! under `layers/`, named not after the layer but after its class, numbered
//! per class in model order: `layers/lstm`, `layers/lstm_1`, `layers/dense`.
//! The layer's own name (`enc`, `simple_rnn_3`) is only the `name` attribute
//! of the group's `vars` subgroup. The arrays are datasets named `0`, `1`, …
//! in `get_weights()` order, at a place that depends on the class:
//!
//! ```text
//! layers/simple_rnn/cell/vars/{0,1,2}                     SimpleRNN, LSTM, GRU
//! layers/bidirectional/forward_layer/cell/vars/{0,1,2}    Bidirectional, forward half
//! layers/bidirectional/backward_layer/cell/vars/{0,1,2}   … and backward half
//! layers/time_distributed/layer/vars/{0,1}                TimeDistributed(Dense)
//! layers/dense/vars/{0,1}, layers/embedding/vars/0        Dense, Embedding
//! ```
//!
//! Weightless layers (Dropout, Activation) get empty groups. Keras'
//! `load_weights` matches layers by these class-and-position keys and ignores
//! names, and so does [`load_h5`]: a file saved from a model whose layers were
//! automatically named `simple_rnn_1` loads into rnnc's `simple_rnn`.
//!
//! `model.save("model.keras")` writes a zip holding the same `model.weights.h5`
//! beside `config.json` and `metadata.json`; [`load_keras`] reads that member
//! in memory.
//!
//! An HDF5 file without `layers/` but with Keras 2's `layer_names` is the
//! legacy format (`model.save("x.h5")`, Keras 2's `save_weights("x.h5")`),
//! read by the `legacy` submodule, which matches layers by position as Keras'
//! legacy loader does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use hdf5_reader::group::Group;
use hdf5_reader::{Dataset, Datatype, Hdf5File};
use ndarray::ArrayD;

use super::npz::{shape_hint, shape_text};
use super::{WeightProblem, Weights, WeightsError};
use crate::check::{Direction, LayerInfo, ModelInfo, WeightRole};

/// The member of a `.keras` archive that holds the weights.
pub(super) const KERAS_WEIGHTS_MEMBER: &str = "model.weights.h5";

/// Reads a Keras 3 `.weights.h5` file or a legacy Keras 2 `.h5` file for
/// `info`, reporting every mismatch at once.
pub fn load_h5(path: &Path, info: &ModelInfo) -> Result<Weights, WeightsError> {
    guarded(path, || {
        let file = Hdf5File::open(path).map_err(|e| not_hdf5(path, e.to_string()))?;
        read_weights(&file, path, info)
    })
}

/// Reads the weights of a `.keras` archive (`model.save(...)`) for `info`.
pub fn load_keras(path: &Path, info: &ModelInfo) -> Result<Weights, WeightsError> {
    let file = crate::files::open_regular(path)?;
    let not_archive = |cause: String| WeightsError::NotKerasArchive {
        path: path.to_path_buf(),
        cause,
    };
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| not_archive(format!("not a zip archive ({e})")))?;
    if zip.index_for_name(KERAS_WEIGHTS_MEMBER).is_none() {
        let members: Vec<&str> = zip.file_names().collect();
        return Err(not_archive(format!(
            "it has no `{KERAS_WEIGHTS_MEMBER}` member (it holds {})",
            if members.is_empty() {
                "nothing".to_string()
            } else {
                members.join(", ")
            }
        )));
    }
    let bytes = read_member(&mut zip, member_limit(info))
        .map_err(|e| not_archive(format!("cannot read `{KERAS_WEIGHTS_MEMBER}`: {e}")))?;
    guarded(path, || {
        let file = Hdf5File::from_vec(bytes).map_err(|e| {
            not_hdf5(
                path,
                format!("its `{KERAS_WEIGHTS_MEMBER}` is not a valid HDF5 file: {e}"),
            )
        })?;
        read_weights(&file, path, info)
    })
}

/// Bytes of `model.weights.h5` allowed per parameter of the model: float64
/// values (8 bytes) for the weights and up to three optimizer slots per
/// weight (Adam's iteration-free `m`, `v`, and AMSGrad's `v_hat`), which
/// `model.save()` stores in the same file.
const MEMBER_BYTES_PER_PARAM: u64 = 32;

/// Bytes of HDF5 bookkeeping (object headers, B-trees, heaps, attribute
/// strings) allowed beyond the arrays; a Keras file of a few hundred layers
/// needs well under a megabyte.
const MEMBER_OVERHEAD_BYTES: u64 = 64 << 20;

/// The most bytes `model.weights.h5` of a `.keras` archive may inflate to
/// for `info`'s model: what bounds a decompression bomb.
fn member_limit(info: &ModelInfo) -> u64 {
    info.total_params
        .saturating_mul(MEMBER_BYTES_PER_PARAM)
        .saturating_add(MEMBER_OVERHEAD_BYTES)
}

/// Reads the weights member whole (stored or deflated), refusing a member
/// that declares or inflates to more than `limit` bytes, or to another size
/// than it declares.
fn read_member<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    limit: u64,
) -> Result<Vec<u8>, String> {
    let member = zip
        .by_name(KERAS_WEIGHTS_MEMBER)
        .map_err(|e| e.to_string())?;
    let declared = member.size();
    if declared > limit {
        return Err(format!(
            "it declares {declared} bytes, more than the {limit} bytes this model's weights \
             can need"
        ));
    }
    let mut bytes = Vec::with_capacity(declared as usize);
    member
        .take(declared.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 != declared {
        return Err(format!(
            "it declares {declared} bytes but holds {}{}",
            if bytes.len() as u64 > declared {
                "more than "
            } else {
                ""
            },
            bytes.len().min(declared as usize)
        ));
    }
    Ok(bytes)
}

/// Runs an HDF5 read, turning a panic of the reader on corrupt input into an error.
fn guarded(
    path: &Path,
    read: impl FnOnce() -> Result<Weights, WeightsError>,
) -> Result<Weights, WeightsError> {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("no detail");
        Err(not_hdf5(
            path,
            format!("the HDF5 reader failed on corrupt data ({detail})"),
        ))
    })
}

fn not_hdf5(path: &Path, cause: String) -> WeightsError {
    WeightsError::NotKerasHdf5 {
        path: path.to_path_buf(),
        cause,
    }
}

/// One dataset of the file: its shape and the dataset itself, read lazily.
struct Found {
    shape: Vec<usize>,
    dataset: Dataset,
}

/// One layer group of the file (`layers/<key>`).
struct FileLayer {
    /// The layer's name in the saved model (`vars` `name` attribute).
    saved_name: String,
    /// Every dataset under the group, by path relative to the file root.
    arrays: BTreeMap<String, Found>,
}

/// Maps the file's `layers/` groups onto `info`'s layers.
fn read_weights(file: &Hdf5File, path: &Path, info: &ModelInfo) -> Result<Weights, WeightsError> {
    let corrupt = |e: hdf5_reader::error::Error| not_hdf5(path, e.to_string());
    let root = file.root_group().map_err(corrupt)?;
    let layers_group = match root.group("layers") {
        Ok(group) => group,
        Err(_) if legacy::is_legacy(&root) => return legacy::read_legacy(&root, path, info),
        Err(_) => {
            return Err(not_hdf5(
                path,
                "it has neither a `layers` group (Keras 3) nor `layer_names` (Keras 2), \
                 so Keras did not write it"
                    .into(),
            ))
        }
    };
    let mut file_layers = BTreeMap::new();
    for group in layers_group.groups().map_err(corrupt)? {
        let key = format!("layers/{}", group.name());
        let mut arrays = BTreeMap::new();
        collect_datasets(&group, &key, &mut arrays).map_err(|e| not_hdf5(path, e))?;
        let saved_name = saved_name(&group).unwrap_or_else(|| group.name().to_string());
        file_layers.insert(key, FileLayer { saved_name, arrays });
    }

    let mut problems = Vec::new();
    let mut layers = Vec::with_capacity(info.layers.len());
    let mut used_keys = Vec::new();
    for (layer, key) in info.layers.iter().zip(group_keys(info)) {
        let mut arrays = Vec::with_capacity(layer.weights.len());
        match file_layers.get_mut(&key) {
            None if layer.weights.is_empty() => {}
            None => problems.push(WeightProblem::MissingLayer {
                key: key.clone(),
                layer: layer.name.clone(),
                expected: shape_list(layer.weights.iter().map(|w| w.shape.as_slice())),
            }),
            Some(found) => {
                for (spec, array_path) in layer.weights.iter().zip(array_paths(&key, layer)) {
                    let Some(array) = found.arrays.remove(&array_path) else {
                        problems.push(WeightProblem::Missing {
                            key: array_path,
                            layer: layer.name.clone(),
                            expected: shape_text(&spec.shape),
                        });
                        continue;
                    };
                    if array.shape != spec.shape {
                        problems.push(WeightProblem::Shape {
                            hint: shape_hint(&spec.shape, &array.shape),
                            key: array_path,
                            layer: layer.name.clone(),
                            expected: shape_text(&spec.shape),
                            found: shape_text(&array.shape),
                        });
                        continue;
                    }
                    match read_float(&array.dataset, &array_path) {
                        Ok(values) => arrays.push(values),
                        Err(problem) => problems.push(problem),
                    }
                }
                // What is left in an expected layer is an array the model lacks.
                for (array_path, array) in &found.arrays {
                    problems.push(unexpected_array(array_path, &array.shape, layer));
                }
            }
        }
        used_keys.push(key);
        layers.push(arrays);
    }
    for (key, layer) in &file_layers {
        if !used_keys.contains(key) && !layer.arrays.is_empty() {
            problems.push(WeightProblem::UnexpectedLayer {
                key: key.clone(),
                saved_name: layer.saved_name.clone(),
                found: shape_list(layer.arrays.values().map(|a| a.shape.as_slice())),
            });
        }
    }
    super::collected(path, info, layers, problems)
}

/// An array of the file beyond those `layer` has, with a hint when the model
/// has no bias and the file does.
fn unexpected_array(key: &str, shape: &[usize], layer: &LayerInfo) -> WeightProblem {
    let has_bias = layer.weights.iter().any(|w| w.role == WeightRole::Bias);
    WeightProblem::Unexpected {
        key: key.to_string(),
        hint: (!has_bias).then(|| {
            format!(
                "shape {}: a bias? the model's `{}` has use_bias=False",
                shape_text(shape),
                layer.name
            )
        }),
    }
}

/// How deep below a layer group rnnc looks for datasets. Keras nests a
/// layer's arrays at most 4 levels down
/// (`bidirectional/forward_layer/cell/vars/0`); a little headroom covers
/// other writers, and a bound keeps a file of 20,000 nested groups from
/// costing more than a refusal.
const MAX_GROUP_DEPTH: usize = 16;

/// Every dataset under `group`, keyed by its path from the file root.
///
/// The walk is iterative and visits each group object once (by its address
/// in the file), so a group linked to itself, to an ancestor or to the root
/// cannot loop; groups nested deeper than [`MAX_GROUP_DEPTH`] are refused.
fn collect_datasets(
    group: &Group,
    prefix: &str,
    out: &mut BTreeMap<String, Found>,
) -> Result<(), String> {
    let mut visited = HashSet::from([group.address()]);
    let mut pending = vec![(group.clone(), prefix.to_string(), 0usize)];
    while let Some((group, prefix, depth)) = pending.pop() {
        let (groups, datasets) = group.members().map_err(|e| e.to_string())?;
        for dataset in datasets {
            let shape = dataset.shape().iter().map(|&d| d as usize).collect();
            out.insert(
                format!("{prefix}/{}", dataset.name()),
                Found { shape, dataset },
            );
        }
        for child in groups {
            let path = format!("{prefix}/{}", child.name());
            if !visited.insert(child.address()) {
                return Err(format!(
                    "group `{path}` links back to a group already read (a cycle of links); \
                     Keras does not write such files"
                ));
            }
            if depth + 1 > MAX_GROUP_DEPTH {
                return Err(format!(
                    "groups nest more than {MAX_GROUP_DEPTH} levels below `{}` (at `{}`); \
                     Keras does not write such files",
                    prefix.split('/').take(2).collect::<Vec<_>>().join("/"),
                    shorten(&path)
                ));
            }
            pending.push((child, path, depth + 1));
        }
    }
    Ok(())
}

/// The most characters of an HDF5 path shown in a message.
const MAX_PATH_CHARS: usize = 120;

/// `path`, cut to its last [`MAX_PATH_CHARS`] characters with a leading `…`.
fn shorten(path: &str) -> String {
    let count = path.chars().count();
    if count <= MAX_PATH_CHARS {
        return path.to_string();
    }
    let tail: String = path.chars().skip(count - MAX_PATH_CHARS).collect();
    format!("…{tail}")
}

/// The layer name Keras recorded for a layer group, if readable.
fn saved_name(group: &Group) -> Option<String> {
    group
        .group("vars")
        .ok()?
        .attribute("name")
        .ok()?
        .read_string()
        .ok()
}

/// The `layers/<key>` group of each layer of `info` (by layer id), as
/// Keras 3 names them: the snake_case class name, suffixed `_1`, `_2`, …
/// for later layers of the same class in `model.layers` order (Keras'
/// `saving_lib._save_container_state`), which for a functional model is
/// not the order the layers were made. A layer outside the model (made but
/// never reaching an output) has no group.
fn group_keys(info: &ModelInfo) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys = vec![String::new(); info.layers.len()];
    for id in info.layer_order() {
        let base = to_snake_case(info.layer(id).class_name);
        let count = seen.entry(base.clone()).or_insert(0);
        keys[id.index()] = match *count {
            0 => format!("layers/{base}"),
            n => format!("layers/{base}_{n}"),
        };
        *count += 1;
    }
    keys
}

/// Keras' `naming.to_snake_case`: `SimpleRNN` → `simple_rnn`,
/// `TimeDistributed` → `time_distributed`, `LSTM` → `lstm`.
fn to_snake_case(class: &str) -> String {
    let chars: Vec<char> = class
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // `(.)([A-Z][a-z]+)` then `([a-z])([A-Z])` in Keras' regexes.
            if next_lower || prev.is_lowercase() {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The dataset path of each weight of `layer` in the file, in `get_weights()` order.
fn array_paths(key: &str, layer: &LayerInfo) -> Vec<String> {
    // Arrays are numbered from 0 in each `vars` group: per direction, and
    // per cell of a stacked `RNN([cells])`.
    let mut next: HashMap<String, usize> = HashMap::new();
    layer
        .weights
        .iter()
        .map(|spec| {
            let vars = match (&spec.vars_group, spec.direction) {
                (Some(group), _) => group.as_str(),
                (None, Some(Direction::Forward)) => "forward_layer/cell/vars",
                (None, Some(Direction::Backward)) => "backward_layer/cell/vars",
                (None, None) => layer.keras_vars_group,
            };
            let i = next.entry(vars.to_string()).or_default();
            let path = format!("{key}/{vars}/{i}");
            *i += 1;
            path
        })
        .collect()
}

/// Shapes as `(3, 24), (6, 24), (24,)`.
fn shape_list<'a>(shapes: impl Iterator<Item = &'a [usize]>) -> String {
    shapes.map(shape_text).collect::<Vec<_>>().join(", ")
}

/// Reads one dataset as f32, converting f64.
fn read_float(dataset: &Dataset, key: &str) -> Result<ArrayD<f32>, WeightProblem> {
    let corrupt = |e: hdf5_reader::error::Error| WeightProblem::Corrupt {
        key: key.to_string(),
        cause: e.to_string(),
    };
    match dataset.dtype() {
        Datatype::FloatingPoint { size: 4, .. } => dataset.read_array::<f32>().map_err(corrupt),
        Datatype::FloatingPoint { size: 8, .. } => dataset
            .read_array::<f64>()
            .map(|a| a.mapv(|v| v as f32))
            .map_err(corrupt),
        other => Err(WeightProblem::Dtype {
            key: key.to_string(),
            found: dtype_text(other),
        }),
    }
}

fn dtype_text(dtype: &Datatype) -> String {
    match dtype {
        Datatype::FloatingPoint { size, .. } => format!("float{}", u32::from(*size) * 8),
        Datatype::FixedPoint { size, signed, .. } => {
            format!(
                "{}int{}",
                if *signed { "" } else { "u" },
                u32::from(*size) * 8
            )
        }
        Datatype::String { .. } => "string".to_string(),
        other => format!("{other:?}"),
    }
}

mod legacy;

#[cfg(test)]
mod tests;
