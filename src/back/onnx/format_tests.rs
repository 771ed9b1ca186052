//! Tests of the emitted file itself: an independent protobuf decoder reads
//! the same graph, bytes are deterministic, shapes and names are declared as
//! documented, and impossible requests are errors.

use onnx_protobuf::{tensor_shape_proto::dimension::Value as DimValue, type_proto, Message};

use super::proto::ModelProto;
use super::test_support::{run_tract, TOLERANCE};
use super::{emit, encode, BackError, EmitOptions, Lowering};
use crate::testing::{max_abs_diff, oracle, Oracle};

fn emit_case(case: &Oracle, options: &EmitOptions) -> ModelProto {
    emit(&case.spec.model, &case.spec.info, &case.weights, options).expect("emit")
}

fn with_metadata() -> EmitOptions {
    EmitOptions {
        metadata: sample_metadata(),
        ..EmitOptions::default()
    }
}

fn sample_metadata() -> Vec<(String, String)> {
    vec![
        ("rnnc.spec".to_string(), "LSTM(5)".to_string()),
        ("rnnc.seed".to_string(), "7".to_string()),
    ]
}

/// The same model as seen by onnx-protobuf (rust-protobuf), an ONNX decoder
/// that shares no code with ours.
#[test]
fn independent_decoder_reads_the_same_graph() {
    for name in ["embedding_lstm_dense", "lstm_recurrent_hard_sigmoid"] {
        let case = oracle(name);
        let ours = emit_case(&case, &with_metadata());
        let theirs = onnx_protobuf::ModelProto::parse_from_bytes(&encode(&ours)).expect("decodes");
        let graph = ours.graph.as_ref().unwrap();
        let other = theirs.graph.as_ref().unwrap();

        assert_eq!(theirs.ir_version, 7);
        assert_eq!(theirs.producer_name, "rnnc");
        assert_eq!(theirs.producer_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(theirs.opset_import.len(), 1);
        assert_eq!(theirs.opset_import[0].domain, "");
        assert_eq!(theirs.opset_import[0].version, 14);
        let metadata: Vec<(String, String)> = theirs
            .metadata_props
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        assert_eq!(metadata, sample_metadata());

        assert_eq!(other.name, "sequential");
        let ops = |g: &super::proto::GraphProto| -> Vec<String> {
            g.node.iter().map(|n| n.op_type.clone().unwrap()).collect()
        };
        let other_ops: Vec<String> = other.node.iter().map(|n| n.op_type.clone()).collect();
        assert_eq!(ops(graph), other_ops);
        let inits: Vec<(String, Vec<i64>)> = graph
            .initializer
            .iter()
            .map(|t| (t.name.clone().unwrap(), t.dims.clone()))
            .collect();
        let other_inits: Vec<(String, Vec<i64>)> = other
            .initializer
            .iter()
            .map(|t| (t.name.clone(), t.dims.clone()))
            .collect();
        assert_eq!(inits, other_inits);
        let input: Vec<&str> = other.input.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(input, ["input"]);
        let outputs: Vec<&str> = other.output.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(outputs, ["output_0"]);

        if name == "embedding_lstm_dense" {
            let names: Vec<&str> = inits.iter().map(|(n, _)| n.as_str()).collect();
            for expected in [
                "embedding/embeddings",
                "lstm/W",
                "lstm/R",
                "lstm/B",
                "dense/kernel",
            ] {
                assert!(names.contains(&expected), "{expected} in {names:?}");
            }
            assert_eq!(
                inits.iter().find(|(n, _)| n == "lstm/W").unwrap().1,
                [1, 20, 8]
            );
            let Some(type_proto::Value::TensorType(t)) = &other.input[0].type_.value else {
                panic!("tensor input")
            };
            assert_eq!(t.elem_type, 6, "int32 token ids");
            assert!(other_ops.contains(&"LSTM".to_string()));
        } else {
            let scan = other
                .node
                .iter()
                .find(|n| n.op_type == "Scan")
                .expect("a Scan");
            let body = scan
                .attribute
                .iter()
                .find(|a| a.name == "body")
                .and_then(|a| a.g.as_ref())
                .expect("a body graph");
            let body_ops: Vec<&str> = body.node.iter().map(|n| n.op_type.as_str()).collect();
            assert_eq!(&body_ops[..3], ["MatMul", "Add", "Split"]);
            assert!(body_ops.contains(&"HardSigmoid"));
            assert_eq!(body.input.len(), 3, "h, c, xw_t");
            assert_eq!(body.output.len(), 3, "h, c, y");
        }
    }
}

#[test]
fn emitting_twice_gives_identical_bytes() {
    let case = oracle("tutorial_deep_bidirectional");
    for lowering in [Lowering::Auto, Lowering::Scan] {
        let options = EmitOptions {
            lowering,
            ..with_metadata()
        };
        let first = encode(&emit_case(&case, &options));
        let second = encode(&emit_case(&case, &options));
        assert_eq!(first, second);
    }
}

#[test]
fn free_batch_and_time_are_symbolic() {
    let case = oracle("gru_time_none");
    let proto = emit_case(&case, &EmitOptions::default());
    let bytes = encode(&proto);
    let theirs = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).unwrap();
    let dims = |v: &onnx_protobuf::ValueInfoProto| -> Vec<String> {
        let Some(type_proto::Value::TensorType(t)) = &v.type_.value else {
            panic!("tensor")
        };
        t.shape
            .dim
            .iter()
            .map(|d| match &d.value {
                Some(DimValue::DimValue(n)) => n.to_string(),
                Some(DimValue::DimParam(s)) => s.clone(),
                _ => "?".to_string(),
            })
            .collect()
    };
    let graph = theirs.graph.as_ref().unwrap();
    assert_eq!(dims(&graph.input[0]), ["batch", "time", "5"]);
    assert_eq!(dims(&graph.output[0]), ["batch", "time", "4"]);
}

#[test]
fn native_lowering_refuses_non_default_activations() {
    let case = oracle("lstm_recurrent_hard_sigmoid");
    let options = EmitOptions {
        lowering: Lowering::Native,
        ..EmitOptions::default()
    };
    let err = emit(&case.spec.model, &case.spec.info, &case.weights, &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 'lstm' cannot be a native ONNX LSTM: its activations are (tanh, hard_sigmoid), \
         and runtimes hard-code (tanh, sigmoid); use the Scan lowering"
    );
}

#[test]
fn unsupported_opsets_are_errors_and_supported_ones_run() {
    let case = oracle("embedding_lstm_dense");
    let options = EmitOptions {
        opset: 12,
        ..EmitOptions::default()
    };
    assert_eq!(
        emit(&case.spec.model, &case.spec.info, &case.weights, &options).unwrap_err(),
        BackError::UnsupportedOpset {
            opset: 12,
            min: 13,
            max: 21
        }
    );
    for opset in 13..=21 {
        let options = EmitOptions {
            opset,
            ..EmitOptions::default()
        };
        let proto = emit_case(&case, &options);
        let run = &case.runs[0];
        let got = run_tract(&encode(&proto), run.input.clone()).expect("runs");
        assert!(max_abs_diff(&got[0], &run.expected[0]).unwrap() <= TOLERANCE);
    }
}
