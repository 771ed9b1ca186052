//! Checks an ONNX file before tract reads it, so that what tract would
//! block on, allocate without bound or panic on is refused in rnnc's words.
//!
//! - The model is read whole only if it is a regular file within protobuf's
//!   2 GiB limit.
//! - Every tensor stored in the file (initializers, `Constant` values, in the
//!   main graph and every subgraph) must hold exactly the bytes its dims
//!   declare: tract allocates what the dims say.
//! - Every external-data location must be a regular file inside the model's
//!   folder, long enough for the bytes it is said to hold: tract would block
//!   forever reading a FIFO, and read `/dev/zero` without end.
//! - `Gather` nodes that read a table initializer with a graph input's ids
//!   are recorded, so that an id beyond the table is refused before tract
//!   indexes out of range (and panics).

use std::path::{Component, Path, PathBuf};

use prost::Message as _;

use super::{InputInfo, RuntimeError};
use crate::back::onnx::external::PROTOBUF_LIMIT;
use crate::back::onnx::proto::{
    attribute_proto::AttributeType, tensor_proto::DataLocation, tensor_proto::DataType,
    tensor_shape_proto::dimension, type_proto, GraphProto, ModelProto, NodeProto, TensorProto,
};
use crate::files;
use crate::tensor::ElemType;

/// Reads and decodes the ONNX file at `path`: a regular file of at most
/// protobuf's 2 GiB.
pub fn read_model(path: &Path) -> Result<ModelProto, RuntimeError> {
    let bytes = files::read_limited(path, PROTOBUF_LIMIT, "an ONNX model")?;
    ModelProto::decode(bytes.as_slice()).map_err(|e| RuntimeError::Load {
        path: path.to_path_buf(),
        message: format!("not an ONNX model: {e}"),
    })
}

/// A `Gather` that indexes a table initializer (along axis 0) with a graph
/// input: ids given for `input` must lie in `-rows..rows`.
#[derive(Clone, Debug, PartialEq)]
pub struct TableLookup {
    pub input: String,
    pub node: String,
    pub rows: u64,
}

/// What the checks learnt about the main graph.
#[derive(Debug, Default)]
pub struct Checked {
    pub inputs: Vec<InputInfo>,
    pub lookups: Vec<TableLookup>,
}

/// Checks every tensor of `model` and describes its inputs. `name` names
/// the model in errors; `file` is where it was read from, whose folder holds
/// its external data (a model held in memory has none).
pub fn check(
    name: &Path,
    file: Option<&Path>,
    model: &ModelProto,
) -> Result<Checked, RuntimeError> {
    let Some(main) = model.graph.as_ref() else {
        return Ok(Checked::default());
    };
    let folder = file.map(|file| match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    });
    let path = name;
    // Subgraphs are walked with an explicit stack: nesting depth is the
    // file's to choose.
    let mut graphs: Vec<&GraphProto> = vec![main];
    while let Some(graph) = graphs.pop() {
        for tensor in &graph.initializer {
            check_tensor(path, folder.as_deref(), tensor)?;
        }
        for node in &graph.node {
            check_node(path, node)?;
            for attribute in &node.attribute {
                for tensor in attribute.t.iter().chain(&attribute.tensors) {
                    check_tensor(path, folder.as_deref(), tensor)?;
                }
                graphs.extend(attribute.g.iter().chain(&attribute.graphs));
            }
        }
    }
    Ok(Checked {
        inputs: declared_inputs(main),
        lookups: lookups(main),
    })
}

/// The graph inputs that are not initializers, with their declared element
/// types and dims.
fn declared_inputs(graph: &GraphProto) -> Vec<InputInfo> {
    let initialized = |name: &str| {
        graph
            .initializer
            .iter()
            .any(|t| t.name.as_deref() == Some(name))
    };
    graph
        .input
        .iter()
        .filter(|v| !initialized(v.name.as_deref().unwrap_or_default()))
        .map(|v| {
            let tensor = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(type_proto::Value::TensorType(t)) => Some(t),
                _ => None,
            };
            let dims = tensor.and_then(|t| t.shape.as_ref()).map(|s| {
                s.dim
                    .iter()
                    .map(|d| match d.value {
                        Some(dimension::Value::DimValue(n)) => u64::try_from(n).ok(),
                        _ => None,
                    })
                    .collect()
            });
            let elem = match tensor.and_then(|t| t.elem_type).map(DataType::try_from) {
                Some(Ok(DataType::Float)) => Some(ElemType::F32),
                Some(Ok(DataType::Int32)) => Some(ElemType::I32),
                Some(Ok(DataType::Int64)) => Some(ElemType::I64),
                _ => None,
            };
            InputInfo {
                name: v.name.clone().unwrap_or_default(),
                elem,
                dims,
            }
        })
        .collect()
}

/// The `Gather` nodes of the main graph whose data is an initializer and
/// whose indices are a graph input, gathering along axis 0.
fn lookups(graph: &GraphProto) -> Vec<TableLookup> {
    graph
        .node
        .iter()
        .filter(|n| n.op_type.as_deref() == Some("Gather"))
        .filter(|n| {
            n.attribute
                .iter()
                .filter(|a| a.name.as_deref() == Some("axis"))
                .all(|a| a.r#type == Some(AttributeType::Int as i32) && a.i.unwrap_or(0) == 0)
        })
        .filter_map(|n| {
            let (table, ids) = (n.input.first()?, n.input.get(1)?);
            let rows = graph
                .initializer
                .iter()
                .find(|t| t.name.as_ref() == Some(table))?
                .dims
                .first()?;
            graph.input.iter().find(|v| v.name.as_ref() == Some(ids))?;
            Some(TableLookup {
                input: ids.clone(),
                node: n.name.clone().unwrap_or_else(|| table.clone()),
                rows: u64::try_from(*rows).ok()?,
            })
        })
        .collect()
}

/// Bytes per element of the ONNX types that have a whole number of bytes;
/// `None` for strings, sub-byte and unknown types, whose sizes are left to
/// tract.
fn elem_bytes(code: i32) -> Option<u64> {
    use DataType as D;
    Some(match DataType::try_from(code).ok()? {
        D::Uint8
        | D::Int8
        | D::Bool
        | D::Float8e4m3fn
        | D::Float8e4m3fnuz
        | D::Float8e5m2
        | D::Float8e5m2fnuz
        | D::Float8e8m0 => 1,
        D::Uint16 | D::Int16 | D::Float16 | D::Bfloat16 => 2,
        D::Float | D::Int32 | D::Uint32 => 4,
        D::Double | D::Int64 | D::Uint64 | D::Complex64 => 8,
        D::Complex128 => 16,
        D::Uint2
        | D::Int2
        | D::Uint4
        | D::Int4
        | D::Float4e2m1
        | D::Float6e2m3
        | D::Float6e3m2
        | D::String
        | D::Undefined => return None,
    })
}

/// Checks the node attributes tract trusts without checking: a `Transpose`
/// whose `perm` repeats an axis makes tract's optimizer allocate without
/// bound (found by the fuzzer: `perm=[0, 0, 0]` asked for gigabytes).
fn check_node(path: &Path, node: &NodeProto) -> Result<(), RuntimeError> {
    if node.op_type.as_deref() != Some("Transpose") {
        return Ok(());
    }
    let Some(perm) = node
        .attribute
        .iter()
        .find(|a| a.name.as_deref() == Some("perm"))
    else {
        return Ok(());
    };
    let mut seen = vec![false; perm.ints.len()];
    let is_permutation = perm.ints.iter().all(|&axis| {
        usize::try_from(axis)
            .ok()
            .and_then(|axis| seen.get_mut(axis))
            .is_some_and(|slot| !std::mem::replace(slot, true))
    });
    if is_permutation {
        return Ok(());
    }
    Err(RuntimeError::Node {
        path: path.to_path_buf(),
        node: node.name.clone().unwrap_or_default(),
        op: "Transpose".into(),
        problem: format!(
            "its `perm` {:?} is not a permutation of the axes 0..{}",
            perm.ints,
            perm.ints.len()
        ),
    })
}

/// Checks that `tensor` holds exactly what its dims declare.
fn check_tensor(
    path: &Path,
    folder: Option<&Path>,
    tensor: &TensorProto,
) -> Result<(), RuntimeError> {
    let bad = |problem: String| RuntimeError::Tensor {
        path: path.to_path_buf(),
        tensor: tensor.name.clone().unwrap_or_default(),
        problem,
    };
    let elements = tensor
        .dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(u64::try_from(d).ok()?))
        .ok_or_else(|| {
            bad(format!(
                "its dims {:?} are negative or overflow",
                tensor.dims
            ))
        })?;
    let code = tensor.data_type.unwrap_or(0);
    let expected = elem_bytes(code).and_then(|size| elements.checked_mul(size));
    let declares = |expected: u64| {
        format!(
            "it declares dims {:?} ({expected} bytes of data)",
            tensor.dims
        )
    };
    if tensor.data_location == Some(DataLocation::External as i32) {
        let folder = folder.ok_or_else(|| {
            bad(
                "it keeps its data in an external file, which a model held in memory cannot have"
                    .into(),
            )
        })?;
        return check_external(folder, tensor, expected).map_err(bad);
    }
    if let Some(raw) = tensor.raw_data.as_ref().filter(|r| !r.is_empty()) {
        return match expected {
            Some(expected) if raw.len() as u64 != expected => Err(bad(format!(
                "{} but holds {} bytes",
                declares(expected),
                raw.len()
            ))),
            _ => Ok(()),
        };
    }
    let typed = (tensor.float_data.len()
        + tensor.int32_data.len()
        + tensor.string_data.len()
        + tensor.int64_data.len()
        + tensor.double_data.len()
        + tensor.uint64_data.len()) as u64;
    // Packed types (float16 in int32_data, complex pairs) store another
    // count than elements; only the one-value-per-element types are checked.
    let one_per_element = matches!(
        DataType::try_from(code),
        Ok(DataType::Float
            | DataType::Double
            | DataType::Int32
            | DataType::Int64
            | DataType::Uint64
            | DataType::String)
    );
    if one_per_element && typed != elements {
        return Err(bad(format!(
            "it declares dims {:?} ({elements} values) but holds {typed} values",
            tensor.dims
        )));
    }
    Ok(())
}

/// Checks an external-data tensor: its location is a regular file inside
/// `folder` holding `expected` bytes at its offset.
fn check_external(
    folder: &Path,
    tensor: &TensorProto,
    expected: Option<u64>,
) -> Result<(), String> {
    let entry = |key: &str| {
        tensor
            .external_data
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .and_then(|e| e.value.clone())
    };
    let number = |key: &str| -> Result<Option<u64>, String> {
        entry(key)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| format!("its external-data `{key}` is not a number: `{v}`"))
            })
            .transpose()
    };
    let location = entry("location").ok_or("its external data has no `location`")?;
    let relative = Path::new(&location);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if location.is_empty() || !inside {
        return Err(format!(
            "its external-data location `{location}` is not a relative path inside the model's folder"
        ));
    }
    let data_path = folder.join(relative);
    let canonical_folder = folder.canonicalize().map_err(|e| e.to_string())?;
    let canonical = data_path
        .canonicalize()
        .map_err(|e| format!("its external data `{}`: {e}", data_path.display()))?;
    if !canonical.starts_with(&canonical_folder) {
        return Err(format!(
            "its external data `{}` resolves outside the model's folder",
            data_path.display()
        ));
    }
    let file = files::open_regular(&canonical).map_err(|e| e.to_string())?;
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let offset = number("offset")?.unwrap_or(0);
    let available = file_len.checked_sub(offset).ok_or_else(|| {
        format!(
            "its external-data offset {offset} is past the end of `{}` ({file_len} bytes)",
            data_path.display()
        )
    })?;
    let length = number("length")?.unwrap_or(available);
    if length > available {
        return Err(format!(
            "it needs {length} bytes at offset {offset} of `{}`, which holds {file_len} bytes",
            data_path.display()
        ));
    }
    match expected {
        Some(expected) if expected != length => Err(format!(
            "it declares dims {:?} ({expected} bytes of data) but its external data holds {length} bytes",
            tensor.dims
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
