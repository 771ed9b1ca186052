use super::*;
use crate::back::onnx::proto::{NodeProto, StringStringEntryProto, ValueInfoProto};

/// A float32 tensor `name` of `dims` holding `bytes` raw bytes.
fn raw(name: &str, dims: &[i64], bytes: usize) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        raw_data: Some(vec![0; bytes]),
        ..Default::default()
    }
}

/// A float32 tensor whose data is `length` bytes of `location`.
fn external(location: &str, dims: &[i64], length: u64) -> TensorProto {
    let entry = |k: &str, v: String| StringStringEntryProto {
        key: Some(k.into()),
        value: Some(v),
    };
    TensorProto {
        name: Some("w".into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        data_location: Some(DataLocation::External as i32),
        external_data: vec![
            entry("location", location.into()),
            entry("offset", "0".into()),
            entry("length", length.to_string()),
        ],
        ..Default::default()
    }
}

fn model(initializer: Vec<TensorProto>) -> ModelProto {
    ModelProto {
        graph: Some(GraphProto {
            initializer,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn problem(model: &ModelProto, file: Option<&Path>) -> String {
    check(Path::new("m.onnx"), file, model)
        .unwrap_err()
        .to_string()
}

#[test]
fn raw_data_must_match_the_dims() {
    assert!(check(
        Path::new("m.onnx"),
        None,
        &model(vec![raw("w", &[2, 3], 24)])
    )
    .is_ok());
    let err = problem(&model(vec![raw("w", &[100_000, 100_000, 10], 24)]), None);
    assert_eq!(
        err,
        "`m.onnx`: tensor `w` cannot be loaded: it declares dims [100000, 100000, 10] \
         (400000000000 bytes of data) but holds 24 bytes"
    );
    let err = problem(&model(vec![raw("w", &[-1, 3], 24)]), None);
    assert!(err.contains("negative or overflow"), "{err}");
    let err = problem(&model(vec![raw("w", &[i64::MAX, i64::MAX], 24)]), None);
    assert!(err.contains("negative or overflow"), "{err}");
}

#[test]
fn typed_values_must_match_the_dims() {
    let mut t = raw("w", &[4], 0);
    t.raw_data = None;
    t.float_data = vec![1.0; 3];
    let err = problem(&model(vec![t]), None);
    assert!(err.contains("(4 values) but holds 3 values"), "{err}");
}

#[test]
fn tensors_inside_subgraphs_are_checked() {
    use crate::back::onnx::proto::AttributeProto;
    let body = GraphProto {
        initializer: vec![raw("inner", &[1000], 4)],
        ..Default::default()
    };
    let mut m = model(vec![]);
    m.graph.as_mut().unwrap().node.push(NodeProto {
        op_type: Some("Scan".into()),
        attribute: vec![AttributeProto {
            name: Some("body".into()),
            g: Some(body),
            ..Default::default()
        }],
        ..Default::default()
    });
    assert!(problem(&m, None).contains("tensor `inner`"));
}

#[test]
fn external_data_must_be_a_long_enough_regular_file_inside_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.onnx");
    std::fs::write(dir.path().join("m.onnx.data"), vec![0u8; 24]).unwrap();
    let ok = model(vec![external("m.onnx.data", &[2, 3], 24)]);
    assert!(check(&file, Some(&file), &ok).is_ok());

    let short = model(vec![external("m.onnx.data", &[2, 3], 48)]);
    assert!(problem(&short, Some(&file)).contains("which holds 24 bytes"));
    let wrong = model(vec![external("m.onnx.data", &[2, 4], 24)]);
    assert!(problem(&wrong, Some(&file)).contains("(32 bytes of data)"));
    for outside in ["../m.onnx.data", "/etc/passwd", ""] {
        let m = model(vec![external(outside, &[2, 3], 24)]);
        assert!(
            problem(&m, Some(&file)).contains("not a relative path inside"),
            "{outside}"
        );
    }
    assert!(problem(&ok, None).contains("held in memory"));
}

#[cfg(unix)]
#[test]
fn external_data_in_a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.onnx");
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("m.onnx.data"))
        .status()
        .unwrap();
    assert!(status.success());
    let m = model(vec![external("m.onnx.data", &[2, 3], 24)]);
    assert!(problem(&m, Some(&file)).contains("FIFO"));
}

#[test]
fn gathers_of_tables_by_graph_inputs_are_found() {
    let mut m = model(vec![raw("table", &[40, 8], 40 * 8 * 4)]);
    let graph = m.graph.as_mut().unwrap();
    graph.input.push(ValueInfoProto {
        name: Some("ids".into()),
        ..Default::default()
    });
    graph.node.push(NodeProto {
        name: Some("embedding/Gather".into()),
        op_type: Some("Gather".into()),
        input: vec!["table".into(), "ids".into()],
        ..Default::default()
    });
    let checked = check(Path::new("m.onnx"), None, &m).unwrap();
    assert_eq!(
        checked.lookups,
        vec![TableLookup {
            input: "ids".into(),
            node: "embedding/Gather".into(),
            rows: 40,
        }]
    );
    assert_eq!(
        checked.inputs,
        vec![InputInfo {
            name: "ids".into(),
            elem: None,
            dims: None,
        }]
    );
}
