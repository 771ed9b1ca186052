//! Weights files: `.npz` archives of Keras-layout arrays.
//!
//! [`load_npz`] accepts three key styles (every key of one file in the same
//! style):
//!
//! - short keys, [`WeightSpec::key`]: `simple_rnn/kernel`,
//!   `bidirectional/forward_lstm/bias`, `embedding/embeddings`;
//! - full Keras 3 paths, [`WeightSpec::path`]:
//!   `sequential/simple_rnn/simple_rnn_cell/kernel`;
//! - positional `arr_0`, `arr_1`, … in `model.get_weights()` order, as
//!   `np.savez(f, *model.get_weights())` writes them.
//!
//! Arrays may be float32 or float64; float64 arrays are rounded to float32,
//! the precision Keras computes in. [`save_npz`] writes short keys.

use std::io::{BufReader, BufWriter, Read, Seek};
use std::path::Path;

use ndarray::ArrayD;
use ndarray_npy::NpzWriter;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::{WeightProblem, Weights, WeightsError};
use crate::atomic::AtomicFile;
use crate::check::{format_shape, ModelInfo, WeightSpec};
use crate::diag::closest;
use crate::files;
use crate::tensor::npy::{self, NpyError};

/// How the arrays of a file are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyStyle {
    Short,
    FullPath,
    Positional,
}

impl KeyStyle {
    const ALL: [KeyStyle; 3] = [KeyStyle::Short, KeyStyle::FullPath, KeyStyle::Positional];

    /// The key of the weight at `index` (in `get_weights()` order) in this style.
    fn key(self, index: usize, spec: &WeightSpec) -> String {
        match self {
            KeyStyle::Short => spec.key.clone(),
            KeyStyle::FullPath => spec.path.clone(),
            KeyStyle::Positional => format!("arr_{index}"),
        }
    }

    fn describe(self, example: &str) -> String {
        let what = match self {
            KeyStyle::Short => "short keys",
            KeyStyle::FullPath => "full Keras paths",
            KeyStyle::Positional => "positional names",
        };
        format!("{what} (`{example}`)")
    }
}

/// Reads a weights file for `info`, reporting every mismatch at once.
pub fn load_npz(path: &Path, info: &ModelInfo) -> Result<Weights, WeightsError> {
    let file = files::open_regular(path)?;
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| WeightsError::NotNpz {
        path: path.to_path_buf(),
        cause: e.to_string(),
    })?;
    // numpy strips one `.npy` suffix from member names, and so do we.
    let names: Vec<String> = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i))
        .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
        .collect();
    let mismatch = |problems| WeightsError::Mismatch {
        path: path.to_path_buf(),
        problems,
    };

    let specs: Vec<_> = info.weights().collect();
    let style = key_style(&names, &specs).map_err(|p| mismatch(vec![p]))?;
    let expected: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, (_, spec))| style.key(i, spec))
        .collect();

    let mut problems = Vec::new();
    for name in &names {
        if !expected.contains(name) {
            problems.push(WeightProblem::Unexpected {
                key: name.clone(),
                hint: closest(name, expected.iter().map(String::as_str))
                    .map(|k| format!("did you mean `{k}`?")),
            });
        }
    }

    let mut layers: Vec<Vec<ArrayD<f32>>> = info
        .layers
        .iter()
        .map(|l| Vec::with_capacity(l.weights.len()))
        .collect();
    for ((id, spec), key) in specs.iter().zip(&expected) {
        let layer = &info.layer(*id).name;
        if !names.contains(key) {
            problems.push(WeightProblem::Missing {
                key: key.clone(),
                layer: layer.clone(),
                expected: shape_text(&spec.shape),
            });
            continue;
        }
        match read_float(&mut zip, key, &spec.shape) {
            Ok(array) => layers[id.index()].push(array),
            Err(Unread::Shape(found)) => problems.push(WeightProblem::Shape {
                key: key.clone(),
                layer: layer.clone(),
                expected: shape_text(&spec.shape),
                found: shape_text(&found),
                hint: shape_hint(&spec.shape, &found),
            }),
            Err(Unread::Problem(problem)) => problems.push(problem),
        }
    }
    super::collected(path, info, layers, problems)
}

/// The one key style every recognised name of the file uses. Names that match
/// no style are left for the caller to report as unexpected.
fn key_style(
    names: &[String],
    specs: &[(crate::ir::LayerId, &WeightSpec)],
) -> Result<KeyStyle, WeightProblem> {
    let matches = |style: KeyStyle, name: &str| {
        specs
            .iter()
            .enumerate()
            .any(|(i, (_, spec))| style.key(i, spec) == name)
    };
    // A style is "used" if some name matches it and no other style.
    let mut used: Vec<(KeyStyle, &str)> = Vec::new();
    for name in names {
        let styles: Vec<KeyStyle> = KeyStyle::ALL
            .into_iter()
            .filter(|&s| matches(s, name))
            .collect();
        if let [only] = styles.as_slice() {
            if !used.iter().any(|(s, _)| s == only) {
                used.push((*only, name));
            }
        }
    }
    match used.as_slice() {
        [] => Ok(guess_style(names)),
        [(style, _)] => Ok(*style),
        several => Err(WeightProblem::MixedKeyStyles {
            styles: several.iter().map(|(s, n)| s.describe(n)).collect(),
        }),
    }
}

/// The style of a file in which no name is right: positional if its names look
/// like `arr_N`, else short keys (the style rnnc documents).
fn guess_style(names: &[String]) -> KeyStyle {
    let positional = |n: &String| {
        n.strip_prefix("arr_")
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    if !names.is_empty() && names.iter().all(positional) {
        KeyStyle::Positional
    } else {
        KeyStyle::Short
    }
}

/// Why an array of the archive was not read.
enum Unread {
    /// Its header declares this shape, not the expected one.
    Shape(Vec<usize>),
    /// Any other problem.
    Problem(WeightProblem),
}

/// Reads the array `key` (or `key.npy`) as f32, converting f64. The header
/// is checked before any data is read: the declared shape must be
/// `expected` (which the parameter limit bounds) and match the member's
/// declared length, so neither a lying header nor a compressed member that
/// inflates beyond its declared size can make rnnc allocate more.
fn read_float<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    key: &str,
    expected: &[usize],
) -> Result<ArrayD<f32>, Unread> {
    let problem = |cause: String| {
        Unread::Problem(WeightProblem::Corrupt {
            key: key.to_string(),
            cause,
        })
    };
    let npy_problem = |e: NpyError| match e {
        NpyError::Dtype { descr } => Unread::Problem(WeightProblem::Dtype {
            key: key.to_string(),
            found: format!("`{descr}`"),
        }),
        other => problem(other.to_string()),
    };
    let member_name = if zip.index_for_name(key).is_some() {
        key.to_string()
    } else {
        format!("{key}.npy")
    };
    let mut member = zip
        .by_name(&member_name)
        .map_err(|e| problem(e.to_string()))?;
    let header = npy::read_header(&mut member).map_err(npy_problem)?;
    if header.shape != expected {
        return Err(Unread::Shape(header.shape));
    }
    header.check_length(member.size()).map_err(npy_problem)?;
    header.read_f32(member).map_err(npy_problem)
}

/// A likely explanation for a shape mismatch.
pub(super) fn shape_hint(expected: &[usize], found: &[usize]) -> Option<String> {
    match (expected, found) {
        ([r, c], [fr, fc]) if r == fc && c == fr && r != c => Some(
            "this is the transpose of the expected shape; Keras kernels are (input_dim, gates*units)"
                .to_string(),
        ),
        ([2, n], [m]) if n == m => Some(
            "the model's GRU has reset_after=True (bias of 2 rows); this bias fits reset_after=False"
                .to_string(),
        ),
        ([n], [2, m]) if n == m => Some(
            "the model's GRU has reset_after=False; this bias (2 rows) fits reset_after=True"
                .to_string(),
        ),
        _ => None,
    }
}

pub(super) fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<Option<u64>> = shape.iter().map(|&d| Some(d as u64)).collect();
    format_shape(&dims)
}

/// Writes `weights` with short keys, atomically (see [`crate::atomic`]).
pub fn save_npz(path: &Path, info: &ModelInfo, weights: &Weights) -> Result<(), WeightsError> {
    let write_error = |cause: String| WeightsError::Write {
        path: path.to_path_buf(),
        cause,
    };
    let file = AtomicFile::create(path).map_err(|e| write_error(e.to_string()))?;
    let mut npz = NpzWriter::new(BufWriter::new(file.as_file()));
    for id in info.layer_order() {
        for (spec, array) in info.layer(id).weights.iter().zip(weights.layer(id)) {
            npz.add_array(spec.key.as_str(), array)
                .map_err(|e| write_error(e.to_string()))?;
        }
    }
    let writer = npz.finish().map_err(|e| write_error(e.to_string()))?;
    writer
        .into_inner()
        .map_err(|e| write_error(e.to_string()))?;
    file.commit().map_err(|e| write_error(e.to_string()))
}

/// The SHA-256 of a file's bytes, as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, WeightsError> {
    let unreadable = |e: std::io::Error| WeightsError::Unreadable {
        path: path.to_path_buf(),
        cause: e.to_string(),
    };
    let mut file = files::open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests;
