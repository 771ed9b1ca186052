//! "Proof" tests: small hand-built ONNX models showing the tract behaviours
//! that the backend works around (`docs/runtimes.md`). Each asserts tract's
//! current (wrong) behaviour; if a tract upgrade fixes one, its test fails
//! and the workaround can be revisited.

use ndarray::{Array, Array2, Array3, ArrayD, IxDyn};

use super::builder::{attr_int, attr_string, value_info, Dim, GraphBuilder};
use super::encode;
use super::proto::{self, tensor_proto::DataType};
use super::test_support::run_tract;
use crate::tensor::TensorData;

/// A model on float input `x` of shape `x_dims`; `build` adds the nodes and
/// returns the graph outputs.
fn model_bytes(
    x_dims: &[u64],
    build: impl FnOnce(&mut GraphBuilder, &str) -> Vec<String>,
) -> Vec<u8> {
    let mut b = GraphBuilder::new();
    let x = b.reserve("x");
    let outputs = build(&mut b, &x);
    let dims: Vec<Dim> = x_dims.iter().map(|&d| Dim::Fixed(d)).collect();
    let outputs = outputs
        .iter()
        .map(|o| proto::ValueInfoProto {
            name: Some(o.clone()),
            ..Default::default()
        })
        .collect();
    let graph = b.into_graph(
        "proof",
        vec![value_info(&x, DataType::Float, &dims)],
        outputs,
    );
    wrap(graph)
}

/// An opset-14 model around `graph`, encoded.
fn wrap(graph: proto::GraphProto) -> Vec<u8> {
    encode(&proto::ModelProto {
        ir_version: Some(7),
        opset_import: vec![proto::OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(14),
        }],
        graph: Some(graph),
        ..Default::default()
    })
}

/// Zero `initial_h` and `initial_c` of shape `[directions, batch, hidden]`,
/// the batch read from axis `batch_axis` of `x`, as rnnc builds them.
fn zero_states(
    b: &mut GraphBuilder,
    x: &str,
    batch_axis: i64,
    directions: i64,
    hidden: usize,
) -> (String, String) {
    let shape = b.op("Shape", &[x], vec![]);
    let axis = b.vec_i64(&[batch_axis]);
    let batch = b.op("Gather", &[&shape, &axis], vec![attr_int("axis", 0)]);
    let directions = b.vec_i64(&[directions]);
    let hidden = b.vec_i64(&[hidden as i64]);
    let state_shape = b.op(
        "Concat",
        &[&directions, &batch, &hidden],
        vec![attr_int("axis", 0)],
    );
    let zero = super::builder::f32_tensor(ndarray::arr1(&[0.0f32]).into_dyn().view());
    let mut state = || {
        b.op(
            "ConstantOfShape",
            &[&state_shape],
            vec![super::builder::attr_tensor("value", zero.clone())],
        )
    };
    (state(), state())
}

fn init(b: &mut GraphBuilder, name: &str, a: ArrayD<f32>) -> String {
    b.initializer(name, a.view())
}

/// One RNN node on x `[T=3, B=1, I=1]` with W = 1, R = 0 and no bias, so
/// each step is `act(x_t)` and `Y_h` shows where the recurrence ended.
fn single_rnn(extra: Vec<proto::AttributeProto>) -> Vec<u8> {
    model_bytes(&[3, 1, 1], |b, x| {
        let w = init(b, "W", Array3::ones((1, 1, 1)).into_dyn());
        let r = init(b, "R", Array3::zeros((1, 1, 1)).into_dyn());
        let bias = init(b, "B", Array2::zeros((1, 2)).into_dyn());
        let h0 = init(b, "initial_h", Array3::zeros((1, 1, 1)).into_dyn());
        let mut attributes = vec![attr_int("hidden_size", 1)];
        attributes.extend(extra);
        b.node_with(
            "RNN",
            &[x, &w, &r, &bias, "", &h0],
            &[true, true],
            attributes,
        )
    })
}

fn rnn_input() -> TensorData {
    TensorData::F32(
        Array::from(vec![0.1f32, 0.2, -0.3])
            .into_shape_with_order(IxDyn(&[3, 1, 1]))
            .unwrap(),
    )
}

/// tract never reads `direction`: a "reverse" RNN runs forward, so its final
/// state is the one after the *last* step instead of the first. rnnc emits
/// a forward node on the time-reversed input instead.
#[test]
fn tract_runs_direction_reverse_forward() {
    let bytes = single_rnn(vec![attr_string("direction", "reverse")]);
    let out = run_tract(&bytes, rnn_input()).unwrap();
    let y_h = out[1].iter().copied().next().unwrap();
    // ONNX semantics: the reverse pass ends at t = 0, Y_h = tanh(0.1).
    let reverse = 0.1f32.tanh();
    let forward = (-0.3f32).tanh();
    assert!((y_h - forward).abs() < 1e-6, "tract Y_h {y_h}");
    assert!((y_h - reverse).abs() > 0.1);
}

/// tract hard-codes tanh: `activations=["Relu"]` is ignored, so a negative
/// input stays negative. rnnc lowers non-default activations to a Scan.
#[test]
fn tract_ignores_rnn_activations() {
    let bytes = single_rnn(vec![super::builder::attr_strings("activations", &["Relu"])]);
    let out = run_tract(&bytes, rnn_input()).unwrap();
    let y: Vec<f32> = out[0].iter().copied().collect();
    // ONNX semantics with Relu: [0.1, 0.2, 0.0]; tract: tanh.
    assert!((y[2] - (-0.3f32).tanh()).abs() < 1e-6, "tract Y {y:?}");
}

/// A bidirectional LSTM over a fixed-length sequence with a symbolic batch
/// and no peephole input fails at run time in tract, even when only `Y_h`
/// is asked for; the same node with an all-zero `P` runs. (RUNTIMES.md only
/// lists the Y + Y_c case; this one was found by the oracle tests.)
#[test]
fn tract_bidirectional_lstm_needs_zero_peepholes() {
    let build = |with_p: bool| {
        let mut b = GraphBuilder::new();
        let x = b.reserve("x");
        let (t, i, h) = (5usize, 2usize, 3usize);
        let w = init(
            &mut b,
            "W",
            Array3::from_elem((2, 4 * h, i), 0.1).into_dyn(),
        );
        let r = init(
            &mut b,
            "R",
            Array3::from_elem((2, 4 * h, h), 0.1).into_dyn(),
        );
        let bias = init(&mut b, "B", Array2::zeros((2, 8 * h)).into_dyn());
        // x is [T, batch, I]: the batch is its axis 1.
        let (h0, c0) = zero_states(&mut b, &x, 1, 2, h);
        let mut inputs = vec![x.clone(), w, r, bias, String::new(), h0, c0];
        if with_p {
            inputs.push(init(&mut b, "P", Array2::zeros((2, 3 * h)).into_dyn()));
        }
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let outs = b.node_with(
            "LSTM",
            &refs,
            &[false, true],
            vec![
                attr_int("hidden_size", h as i64),
                attr_string("direction", "bidirectional"),
            ],
        );
        let dims = [
            Dim::Fixed(t as u64),
            Dim::Symbol("batch"),
            Dim::Fixed(i as u64),
        ];
        let graph = b.into_graph(
            "proof",
            vec![value_info(&x, DataType::Float, &dims)],
            vec![proto::ValueInfoProto {
                name: Some(outs[1].clone()),
                ..Default::default()
            }],
        );
        wrap(graph)
    };
    let input = TensorData::F32(ArrayD::from_elem(IxDyn(&[5, 3, 2]), 0.5));
    let error = run_tract(&build(false), input.clone()).unwrap_err();
    assert!(
        format!("{error:?}").contains("Clashing resolution"),
        "{error:?}"
    );
    let out = run_tract(&build(true), input).expect("runs with P");
    assert_eq!(out[0].shape(), [2, 3, 3]);
}

/// tract fails to load a native LSTM fed by `Tile` or `Expand` of a
/// `[B, 1, F]` row (RepeatVector's natural form): a declutter pass
/// substitutes `batch,4H,1` for `batch,4H,T` in the input projection. A
/// `Concat` of copies loads and runs.
#[test]
fn tract_lstm_after_tile_fails_to_load() {
    let build = |op: &str| {
        let mut b = GraphBuilder::new();
        let x = b.reserve("x");
        let (t, f, h) = (7i64, 3usize, 2usize);
        let axis = b.vec_i64(&[1]);
        let row = b.op("Unsqueeze", &[&x, &axis], vec![]);
        let repeated = match op {
            "Tile" => {
                let repeats = b.vec_i64(&[1, t, 1]);
                b.op("Tile", &[&row, &repeats], vec![])
            }
            "Expand" => {
                let shape = b.vec_i64(&[1, t, 1]);
                b.op("Expand", &[&row, &shape], vec![])
            }
            _ => {
                let copies = vec![row.as_str(); t as usize];
                b.op("Concat", &copies, vec![attr_int("axis", 1)])
            }
        };
        let xt = b.op(
            "Transpose",
            &[&repeated],
            vec![super::builder::attr_ints("perm", &[1, 0, 2])],
        );
        let w = init(
            &mut b,
            "W",
            Array3::from_elem((1, 4 * h, f), 0.1).into_dyn(),
        );
        let r = init(
            &mut b,
            "R",
            Array3::from_elem((1, 4 * h, h), 0.1).into_dyn(),
        );
        // x is [batch, F]: the batch is its axis 0.
        let (h0, c0) = zero_states(&mut b, &x, 0, 1, h);
        let outs = b.node_with(
            "LSTM",
            &[&xt, &w, &r, "", "", &h0, &c0],
            &[true],
            vec![attr_int("hidden_size", h as i64)],
        );
        let graph = b.into_graph(
            "proof",
            vec![value_info(
                &x,
                DataType::Float,
                &[Dim::Symbol("batch"), Dim::Fixed(f as u64)],
            )],
            vec![proto::ValueInfoProto {
                name: Some(outs[0].clone()),
                ..Default::default()
            }],
        );
        wrap(graph)
    };
    let input = TensorData::F32(ArrayD::from_elem(IxDyn(&[3, 3]), 0.5));
    for op in ["Tile", "Expand"] {
        let error = run_tract(&build(op), input.clone()).unwrap_err();
        assert!(
            format!("{error:?}").contains("substitute"),
            "{op}: {error:?}"
        );
    }
    let out = run_tract(&build("Concat"), input).expect("a Concat of copies runs");
    assert_eq!(out[0].shape(), [7, 1, 3, 2]);
}

/// tract refuses a `sequence_lens` shorter than T ("seq_len only supported
/// for trivial noop case"), even a constant one.
/// The peers encode Keras masks as `sequence_lens`; rnnc computes the mask
/// in the graph and holds the states in a Scan (`docs/runtimes.md`).
#[test]
fn tract_refuses_a_short_sequence_lens() {
    let bytes = model_bytes(&[3, 1, 1], |b, x| {
        let w = init(b, "W", Array3::ones((1, 1, 1)).into_dyn());
        let r = init(b, "R", Array3::zeros((1, 1, 1)).into_dyn());
        let bias = init(b, "B", Array2::zeros((1, 2)).into_dyn());
        let h0 = init(b, "initial_h", Array3::zeros((1, 1, 1)).into_dyn());
        let two = proto::TensorProto {
            dims: vec![1],
            data_type: Some(DataType::Int32 as i32),
            int32_data: vec![2],
            ..Default::default()
        };
        let lens = b.op(
            "Constant",
            &[],
            vec![super::builder::attr_tensor("value", two)],
        );
        b.node_with(
            "RNN",
            &[x, &w, &r, &bias, &lens, &h0],
            &[true, true],
            vec![attr_int("hidden_size", 1)],
        )
    });
    let err = run_tract(&bytes, rnn_input())
        .expect_err("tract loads a short sequence_lens now: revisit docs/runtimes.md");
    assert!(err.to_string().contains("seq_len"), "{err}");
}

/// tract's `Tanh` and `Sigmoid` turn NaN into numbers, where ONNX and
/// Keras keep NaN. Keras' masked average of a fully padded row is 0/0, so
/// NaN; through a later tanh, tract gives a number there
/// (`docs/runtimes.md`), so verify pads no whole row of such models.
#[test]
fn tract_squashes_nan_in_tanh_and_sigmoid() {
    let bytes = model_bytes(&[2], |b, x| {
        vec![b.op("Tanh", &[x], vec![]), b.op("Sigmoid", &[x], vec![])]
    });
    let input = TensorData::F32(ndarray::arr1(&[f32::NAN, 0.5]).into_dyn());
    let out = run_tract(&bytes, input).unwrap();
    assert!(!out[0][0].is_nan(), "tract's tanh keeps NaN now");
    assert!(!out[1][0].is_nan(), "tract's sigmoid keeps NaN now");
    assert!((out[0][1] - 0.5f32.tanh()).abs() < 1e-6);
}

/// tract's `Max` and `Min` ignore a NaN operand (C's `fmax`), where Keras'
/// `ops.maximum` (`jnp.maximum`) and onnxruntime give NaN; OpenVINO gives
/// NaN only when the second operand is (`docs/runtimes.md`).
#[test]
fn tract_ignores_nan_in_max_and_min() {
    let bytes = model_bytes(&[2], |b, x| {
        let zero = b.scalar_f32(0.0);
        vec![
            b.op("Max", &[x, &zero], vec![]),
            b.op("Min", &[&zero, x], vec![]),
        ]
    });
    let input = TensorData::F32(ndarray::arr1(&[f32::NAN, 0.5]).into_dyn());
    let out = run_tract(&bytes, input).unwrap();
    assert_eq!(out[0][0], 0.0, "tract's Max carries NaN now");
    assert_eq!(out[1][0], 0.0, "tract's Min carries NaN now");
    assert_eq!((out[0][1], out[1][1]), (0.5, 0.0));
}
