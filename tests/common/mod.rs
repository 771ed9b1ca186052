//! Helpers shared by the CLI-level tests.

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

/// Swaps gate blocks `a` and `b` (each `rows` long) along `axis` of a
/// row-major array of shape `dims`.
pub fn swap_blocks(
    values: &mut [f32],
    dims: &[usize],
    axis: usize,
    rows: usize,
    a: usize,
    b: usize,
) {
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    for o in 0..outer {
        for r in 0..rows {
            for i in 0..inner {
                let at = |block: usize| (o * dims[axis] + block * rows + r) * inner + i;
                values.swap(at(a), at(b));
            }
        }
    }
}

/// Transposes each `h × h` block along the last two axes of a row-major
/// `[.., g*h, h]` array (an ONNX recurrence matrix R): what a missed
/// transpose in the weight mapping would produce.
pub fn transpose_blocks(values: &mut [f32], dims: &[usize]) {
    let h = dims[dims.len() - 1];
    let rows = dims[dims.len() - 2];
    let outer: usize = dims[..dims.len() - 2].iter().product::<usize>() * rows / h;
    for block in 0..outer {
        let base = block * h * h;
        for r in 0..h {
            for c in r + 1..h {
                values.swap(base + r * h + c, base + c * h + r);
            }
        }
    }
}
