//! Rewriting the float initializers of an ONNX file, to show that verification
//! catches a wrong weight.

use std::path::Path;

/// A tampered file: `edit` gets each float initializer's name and values.
pub fn tamper(model: &Path, out: &Path, edit: impl Fn(&str, &[usize], &mut Vec<f32>) -> bool) {
    use prost::Message;
    use rnnc::back::onnx::proto::ModelProto;
    let bytes = std::fs::read(model).unwrap();
    let mut proto = ModelProto::decode(bytes.as_slice()).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    let mut changed = false;
    for init in &mut graph.initializer {
        if init.data_type != Some(1) {
            continue;
        }
        let dims: Vec<usize> = init.dims.iter().map(|&d| d as usize).collect();
        let name = init.name.clone().unwrap_or_default();
        let mut values: Vec<f32> = match &init.raw_data {
            Some(raw) => raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            None => init.float_data.clone(),
        };
        if edit(&name, &dims, &mut values) {
            changed = true;
            if init.raw_data.is_some() {
                init.raw_data = Some(values.iter().flat_map(|v| v.to_le_bytes()).collect());
            } else {
                init.float_data = values;
            }
        }
    }
    assert!(changed, "nothing to tamper with");
    std::fs::write(out, proto.encode_to_vec()).unwrap();
}
