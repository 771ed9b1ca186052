//! ONNX external data: initializers stored in a file beside the model.
//!
//! A protobuf message cannot exceed 2 GiB, so a model whose weights are
//! larger keeps them outside the `.onnx` file, as the ONNX external data
//! specification describes: each moved tensor gets `data_location = EXTERNAL`
//! and `external_data` entries `location` (a path relative to the model's
//! directory), `offset` and `length`, and its `raw_data` is cleared.

use super::proto::{self, tensor_proto::DataLocation};

/// Protobuf's hard limit on a message: 2 GiB.
pub const PROTOBUF_LIMIT: u64 = 2 << 30;

/// Above this many bytes of initializers rnnc moves them to external data
/// automatically: the 2 GiB limit less a margin for the graph, metadata and
/// protobuf framing, which are tiny for rnnc's graphs.
pub const DEFAULT_THRESHOLD: u64 = PROTOBUF_LIMIT - (64 << 20);

/// Tensors smaller than this stay inside the model even with external data
/// (shape constants and small biases: not worth a seek).
const MIN_EXTERNAL_BYTES: usize = 1024;

/// Alignment of each tensor in the data file, as onnx's own writer uses for
/// memory mapping.
const ALIGNMENT: usize = 4096;

/// Total bytes of raw initializer data in the main graph.
pub fn initializer_bytes(model: &proto::ModelProto) -> u64 {
    model
        .graph
        .iter()
        .flat_map(|g| &g.initializer)
        .map(|t| t.raw_data.as_ref().map_or(0, |d| d.len() as u64))
        .sum()
}

/// Moves the main graph's large initializers into a data blob that is to be
/// written to `location` (relative to the model file); returns the blob.
pub fn externalize(model: &mut proto::ModelProto, location: &str) -> Vec<u8> {
    let mut blob = Vec::new();
    let Some(graph) = model.graph.as_mut() else {
        return blob;
    };
    for tensor in &mut graph.initializer {
        let Some(raw) = tensor.raw_data.take_if(|d| d.len() >= MIN_EXTERNAL_BYTES) else {
            continue;
        };
        let padding = blob.len().next_multiple_of(ALIGNMENT) - blob.len();
        blob.resize(blob.len() + padding, 0);
        let offset = blob.len();
        blob.extend_from_slice(&raw);
        tensor.data_location = Some(DataLocation::External as i32);
        tensor.external_data = [
            ("location", location.to_string()),
            ("offset", offset.to_string()),
            ("length", raw.len().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| proto::StringStringEntryProto {
            key: Some(k.to_string()),
            value: Some(v),
        })
        .collect();
    }
    blob
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, bytes: usize) -> proto::TensorProto {
        proto::TensorProto {
            name: Some(name.into()),
            dims: vec![(bytes / 4) as i64],
            data_type: Some(1),
            raw_data: Some(vec![7; bytes]),
            ..Default::default()
        }
    }

    #[test]
    fn large_tensors_move_small_ones_stay() {
        let mut model = proto::ModelProto {
            graph: Some(proto::GraphProto {
                initializer: vec![
                    tensor("big", 5000),
                    tensor("small", 16),
                    tensor("big2", 2048),
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(initializer_bytes(&model), 7064);
        let blob = externalize(&mut model, "m.onnx.data");
        let init = &model.graph.as_ref().unwrap().initializer;
        assert!(init[0].raw_data.is_none());
        assert_eq!(init[1].raw_data.as_ref().unwrap().len(), 16);
        let entries: Vec<(String, String)> = init[2]
            .external_data
            .iter()
            .map(|e| (e.key.clone().unwrap(), e.value.clone().unwrap()))
            .collect();
        assert_eq!(
            entries,
            [
                ("location".to_string(), "m.onnx.data".to_string()),
                ("offset".to_string(), "8192".to_string()),
                ("length".to_string(), "2048".to_string()),
            ]
        );
        assert_eq!(blob.len(), 8192 + 2048);
        assert_eq!(init[2].data_location, Some(DataLocation::External as i32));
    }
}
