//! Reading a file's external data back into its initializers, so that the
//! file check compares the weights a runtime loads, wherever they are kept.
//!
//! rnnc writes external data as `back::onnx::external` describes: a plain
//! file name beside the model, an offset and a length per tensor. A location
//! with a directory part, a range past the end of the data file or a missing
//! entry is not something rnnc writes; each is reported as a difference of
//! the file (the check fails) rather than read.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Component, Path};

use crate::back::onnx::proto::{tensor_proto::DataLocation, ModelProto, TensorProto};
use crate::files;

/// Moves the data of every externally stored initializer of the main graph
/// into its `raw_data`, as rnnc holds it before writing; `dir` is the model's
/// directory. Returns what could not be read, one sentence each.
pub fn resolve(model: &mut ModelProto, dir: &Path) -> Vec<String> {
    let Some(graph) = model.graph.as_mut() else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for tensor in &mut graph.initializer {
        if tensor.data_location != Some(DataLocation::External as i32) {
            continue;
        }
        let name = tensor.name.clone().unwrap_or_default();
        match read_external(tensor, dir) {
            Ok(data) => {
                tensor.raw_data = Some(data);
                tensor.data_location = None;
                tensor.external_data.clear();
            }
            Err(problem) => problems.push(format!(
                "initializer `{}`'s external data: {problem}",
                name.escape_debug()
            )),
        }
    }
    problems
}

/// The bytes `tensor`'s `external_data` entries point to.
fn read_external(tensor: &TensorProto, dir: &Path) -> Result<Vec<u8>, String> {
    let entry = |key: &str| {
        tensor
            .external_data
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .and_then(|e| e.value.as_deref())
    };
    let location = entry("location").ok_or("no `location` entry")?;
    let number = |key: &str| -> Result<u64, String> {
        match entry(key) {
            None => Ok(0),
            Some(text) => text
                .parse()
                .map_err(|_| format!("`{key}` is `{}`, not a byte count", text.escape_debug())),
        }
    };
    if entry("length").is_none() {
        return Err("no `length` entry (rnnc always writes one)".to_string());
    }
    let offset = number("offset")?;
    let length = number("length")?;
    let mut components = Path::new(location).components();
    let plain = matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    );
    if !plain {
        return Err(format!(
            "location `{}` is not a file name beside the model, as rnnc writes it",
            location.escape_debug()
        ));
    }
    let path = dir.join(location);
    let mut file = files::open_regular(&path).map_err(|e| e.to_string())?;
    let size = file
        .metadata()
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        .len();
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(format!(
            "bytes {offset}..+{length} lie past the end of `{}` ({size} bytes)",
            path.display()
        ));
    }
    let mut data = vec![0; length as usize];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut data))
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::back::onnx::proto::{GraphProto, StringStringEntryProto};

    fn external(name: &str, entries: &[(&str, &str)]) -> TensorProto {
        TensorProto {
            name: Some(name.into()),
            data_location: Some(DataLocation::External as i32),
            external_data: entries
                .iter()
                .map(|(k, v)| StringStringEntryProto {
                    key: Some(k.to_string()),
                    value: Some(v.to_string()),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn reads_ranges_and_refuses_what_rnnc_does_not_write() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.onnx.data"), b"0123456789").unwrap();
        let mut model = ModelProto {
            graph: Some(GraphProto {
                initializer: vec![
                    external(
                        "a",
                        &[
                            ("location", "m.onnx.data"),
                            ("offset", "2"),
                            ("length", "3"),
                        ],
                    ),
                    external("b", &[("location", "../m.onnx.data"), ("length", "1")]),
                    external(
                        "c",
                        &[
                            ("location", "m.onnx.data"),
                            ("offset", "8"),
                            ("length", "3"),
                        ],
                    ),
                    external("d", &[("location", "m.onnx.data")]),
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        let problems = resolve(&mut model, dir.path());
        let init = &model.graph.as_ref().unwrap().initializer;
        assert_eq!(init[0].raw_data.as_deref(), Some(&b"234"[..]));
        assert!(init[0].external_data.is_empty() && init[0].data_location.is_none());
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("`b`") && problems[0].contains("not a file name"));
        assert!(problems[1].contains("past the end"), "{problems:?}");
        assert!(problems[2].contains("no `length`"), "{problems:?}");
    }
}
