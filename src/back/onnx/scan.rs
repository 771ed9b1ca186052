//! Recurrent layers as an explicit Keras cell inside an ONNX `Scan`.
//!
//! This lowering computes Keras' equations with MatMul / Add / activation
//! nodes, so it is exact for any activation, where the native operators'
//! `activations` attribute is ignored by runtimes (see `docs/runtimes.md`).
//! The recipe that ran identically in tract, onnxruntime and OpenVINO:
//!
//! - the input projection `X·W + b` for all steps is one MatMul outside the
//!   Scan, on the batch-major input, transposed to time-major and scanned
//!   over axis 0, the per-step outputs transposed back: as fast as scanning
//!   axis 1 in onnxruntime and OpenVINO, and the ONNX reference evaluator
//!   only scans axis 0 (`docs/runtimes.md`);
//! - the recurrent kernel (and GRU's recurrent bias) are outer-scope
//!   initializers that the body refers to;
//! - zero initial states come from `Shape(X)`, keeping the batch symbolic;
//! - the body's sum is `Add(MatMul(h, U), xw_t)` in that operand order
//!   (OpenVINO computed the other order wrongly);
//! - backwards: the input reversed in time by a `Gather` (as the native
//!   lowering does) and scanned forwards; the per-step outputs stay in
//!   processing order for go_backwards (as Keras returns them) and are
//!   reversed back for a Bidirectional backward half (time-aligned). The
//!   ONNX reference evaluator runs no other Scan direction.
//!
//! Weights stay in Keras layout and gate order (i, f, c, o; z, r, h).

use super::builder::{attr_graph, attr_int, attr_ints, value_info, Dim, GraphBuilder};
use super::proto::tensor_proto::DataType;
use super::{activation, layout, CellOutputs, Emitter};
use crate::check::Direction;
use crate::ir::{CellKind, LayerId, Recurrent};

/// Emits one Scan per direction; returns each direction's outputs, forward
/// first. With a Keras `mask` `[B, T]` (bool), it is a second scanned input
/// (reversed with the input for a backwards direction). Of `(r, backward,
/// cell)`, `backward` is `Some` for a Bidirectional layer (the settings its
/// backward copy runs with), and `cell` says which cell of a stacked layer
/// `r` is (its weights).
pub(super) fn scan(
    em: &mut Emitter<'_>,
    id: LayerId,
    x: &str,
    (r, backward, cell): (&Recurrent, Option<&Recurrent>, usize),
    initial_state: &[String],
    mask: Option<&str>,
) -> Vec<CellOutputs> {
    let layer = em.info.layer(id);
    let name = layer.name.clone();
    // (weights, initializer base name, read backwards, per-step outputs
    // reversed back to time order)
    let plan: Vec<(Option<Direction>, String, bool, bool)> = if backward.is_some() {
        vec![
            (
                Some(Direction::Forward),
                format!("{name}/{}", layer.inner_names[0]),
                false,
                false,
            ),
            (
                Some(Direction::Backward),
                format!("{name}/{}", layer.inner_names[1]),
                true,
                true,
            ),
        ]
    } else {
        vec![(None, name, r.go_backwards, false)]
    };
    let per_direction = r.cell.states();
    plan.into_iter()
        .enumerate()
        .map(|(index, (direction, base, backwards, realign))| {
            let r = match (direction, backward) {
                (Some(Direction::Backward), Some(backward)) => backward,
                _ => r,
            };
            let cw = em.weights.cell(em.info, id, direction, cell);
            let weights = layout::scan_weights(r.cell, &cw);
            let (input, mask) = if backwards {
                (em.reverse_time(x), mask.map(|m| em.reverse_time(m)))
            } else {
                (x.to_string(), mask.map(str::to_string))
            };
            let initial = initial_state
                .get(index * per_direction..(index + 1) * per_direction)
                .unwrap_or(&[]);
            let mut outputs =
                one_direction(em, &input, mask.as_deref(), r, &weights, &base, initial);
            if realign {
                outputs.sequence = outputs.sequence.map(|y| em.reverse_time(&y));
            }
            outputs
        })
        .collect()
}

/// The outer-scope values a cell body refers to.
struct Outer {
    /// Recurrent kernel `[H, gates*H]` (GRU `reset_after=False`: its z, r
    /// columns `[H, 2H]`).
    u: String,
    /// GRU `reset_after=False`: the candidate's columns `[H, H]`.
    u_h: Option<String>,
    /// GRU `reset_after=True`: recurrent bias `[3H]`.
    recurrent_bias: Option<String>,
    /// Split sizes `[H; gates]` for the gate blocks (LSTM, GRU).
    split: Option<String>,
    /// Split sizes `[H, H]` (GRU `reset_after=False`).
    split2: Option<String>,
    /// Scalar 1.0 (GRU's `1 - z`).
    one: Option<String>,
    /// Scalar 0.0 (a masked step's output with `zero_output_for_mask`).
    zero: Option<String>,
}

/// One direction's Scan over `x` (and the mask `[B, T]`, in the same
/// processing order).
fn one_direction(
    em: &mut Emitter<'_>,
    x: &str,
    mask: Option<&str>,
    r: &Recurrent,
    w: &layout::ScanWeights,
    base: &str,
    initial_state: &[String],
) -> CellOutputs {
    let hidden = r.units as i64;
    let gates = r.cell.gates() as i64;
    // kernel: [input_dim, gates*units], Keras layout and gate order.
    let kernel =
        em.b.initializer(&format!("{base}/kernel"), w.kernel.view().into_dyn());
    // xw: [B, T, gates*units], every step's input projection at once.
    let mut xw = em.b.op("MatMul", &[x, &kernel], vec![]);
    if r.use_bias {
        // bias: [gates*units] (GRU reset_after: the input row).
        let bias =
            em.b.initializer(&format!("{base}/bias"), w.input_bias.view().into_dyn());
        xw = em.b.op("Add", &[&xw, &bias], vec![]);
    }
    // xw_tm: [T, B, gates*units], time-major for a Scan over axis 0.
    let xw =
        em.b.op("Transpose", &[&xw], vec![attr_ints("perm", &[1, 0, 2])]);
    let reset_before = r.cell == CellKind::Gru { reset_after: false };
    let (u, u_h) = if reset_before {
        let (zr, h) = layout::split_gru_recurrent(w.recurrent_kernel.view());
        // recurrent_kernel_zr: [units, 2*units]; recurrent_kernel_h: [units, units]
        (
            em.b.initializer(&format!("{base}/recurrent_kernel_zr"), zr.view().into_dyn()),
            Some(em.b.initializer(&format!("{base}/recurrent_kernel_h"), h.view().into_dyn())),
        )
    } else {
        // recurrent_kernel: [units, gates*units]
        let u = w.recurrent_kernel.view().into_dyn();
        (
            em.b.initializer(&format!("{base}/recurrent_kernel"), u),
            None,
        )
    };
    let recurrent_bias = match (&w.recurrent_bias, r.use_bias) {
        // recurrent_bias: [3*units], GRU reset_after's second bias row.
        (Some(b), true) => {
            Some(em.b.initializer(&format!("{base}/recurrent_bias"), b.view().into_dyn()))
        }
        _ => None,
    };
    let outer = Outer {
        u,
        u_h,
        recurrent_bias,
        split: (gates > 1).then(|| em.b.vec_i64(&vec![hidden; gates as usize])),
        split2: reset_before.then(|| em.b.vec_i64(&[hidden, hidden])),
        one: matches!(r.cell, CellKind::Gru { .. }).then(|| em.b.scalar_f32(1.0)),
        zero: (mask.is_some() && r.zeroes_masked_outputs()).then(|| em.b.scalar_f32(0.0)),
    };
    // mask_tm: [T, B, 1] bool, time-major like xw, one [B, 1] per step.
    let mask = mask.map(|m| {
        let tm = em.b.op("Transpose", &[m], vec![attr_ints("perm", &[1, 0])]);
        let axis = em.b.vec_i64(&[2]);
        em.b.op("Unsqueeze", &[&tm, &axis], vec![])
    });
    let is_lstm = matches!(r.cell, CellKind::Lstm { .. });
    let (h0, c0) = match initial_state {
        [] => (
            em.zeros(&[], &[hidden]),
            is_lstm.then(|| em.zeros(&[], &[hidden])),
        ),
        [h, rest @ ..] => (h.clone(), rest.first().cloned()),
    };

    let batch = match em.info.inputs[0].shape[0] {
        Some(n) => Dim::Fixed(n),
        None => Dim::Symbol("batch"),
    };
    let state_dims = [batch.clone(), Dim::Fixed(hidden as u64)];
    let mut body = em.b.body();
    let h_prev = body.value_name("h_prev");
    let c_prev = is_lstm.then(|| body.value_name("c_prev"));
    let xw_t = body.value_name("xw_t");
    let (mut h_new, mut c_new) = cell(&mut body, r, &outer, &h_prev, c_prev.as_deref(), &xw_t);
    // Keras' masked step: states held; the output is the held h, or zeros
    // with zero_output_for_mask.
    let mask_t = mask.as_ref().map(|_| body.value_name("mask_t"));
    let y = match &mask_t {
        None => body.op("Identity", &[&h_new], vec![]),
        Some(keep) => {
            let y = outer
                .zero
                .as_ref()
                .map(|zero| body.op("Where", &[keep, &h_new, zero], vec![]));
            h_new = body.op("Where", &[keep, &h_new, &h_prev], vec![]);
            if let (Some(c_new), Some(c_prev)) = (&mut c_new, &c_prev) {
                *c_new = body.op("Where", &[keep, c_new, c_prev], vec![]);
            }
            y.unwrap_or_else(|| body.op("Identity", &[&h_new], vec![]))
        }
    };

    let mut body_inputs = vec![value_info(&h_prev, DataType::Float, &state_dims)];
    let mut body_outputs = vec![value_info(&h_new, DataType::Float, &state_dims)];
    if let (Some(c_prev), Some(c_new)) = (&c_prev, &c_new) {
        body_inputs.push(value_info(c_prev, DataType::Float, &state_dims));
        body_outputs.push(value_info(c_new, DataType::Float, &state_dims));
    }
    body_inputs.push(value_info(
        &xw_t,
        DataType::Float,
        &[batch.clone(), Dim::Fixed((gates * hidden) as u64)],
    ));
    if let Some(mask_t) = &mask_t {
        body_inputs.push(value_info(mask_t, DataType::Bool, &[batch, Dim::Fixed(1)]));
    }
    body_outputs.push(value_info(&y, DataType::Float, &state_dims));
    let graph =
        em.b.finish_body(body, &format!("{base}/cell"), body_inputs, body_outputs);

    let mut inputs = vec![h0.as_str()];
    inputs.extend(c0.as_deref());
    inputs.push(&xw);
    inputs.extend(mask.as_deref());
    let scanned = 1 + usize::from(mask.is_some());
    let wanted = vec![true; if is_lstm { 3 } else { 2 }];
    let attributes = vec![
        attr_graph("body", graph),
        attr_int("num_scan_inputs", scanned as i64),
        attr_ints("scan_input_axes", &vec![0; scanned]),
        attr_ints("scan_output_axes", &[0]),
        attr_ints("scan_input_directions", &vec![0; scanned]),
        attr_ints("scan_output_directions", &[0]),
    ];
    // Outputs: final h, (final c), then the per-step h [T, B, H].
    let mut outs = em.b.node_with("Scan", &inputs, &wanted, attributes);
    let steps = outs.pop().expect("scan output");
    // The per-step h batch-major again: [B, T, H].
    let sequence = r.return_sequences.then(|| {
        em.b.op("Transpose", &[&steps], vec![attr_ints("perm", &[1, 0, 2])])
    });
    // The last processed step's output, where zeros may replace h.
    let last = (outer.zero.is_some() && !r.return_sequences).then(|| {
        let shape = em.b.op("Shape", &[&steps], vec![]);
        let zero = em.b.scalar_i64(0);
        let t =
            em.b.op("Gather", &[&shape, &zero], vec![attr_int("axis", 0)]);
        let one = em.b.scalar_i64(1);
        let index = em.b.op("Sub", &[&t, &one], vec![]);
        em.b.op("Gather", &[&steps, &index], vec![attr_int("axis", 0)])
    });
    CellOutputs {
        sequence,
        h: outs[0].clone(),
        last,
        c: is_lstm.then(|| outs[1].clone()),
    }
}

/// Keras' cell equations; returns the new `h` (and `c`).
fn cell(
    b: &mut GraphBuilder,
    r: &Recurrent,
    o: &Outer,
    h_prev: &str,
    c_prev: Option<&str>,
    xw_t: &str,
) -> (String, Option<String>) {
    let act = |b: &mut GraphBuilder, x: &str| activation::apply(b, r.activation, x);
    let gate = |b: &mut GraphBuilder, x: &str| activation::apply(b, r.recurrent_activation, x);
    let split = |b: &mut GraphBuilder, x: &str, sizes: &str, n: usize| {
        b.node_with(
            "Split",
            &[x, sizes],
            &vec![true; n],
            vec![attr_int("axis", 1)],
        )
    };
    match r.cell {
        CellKind::SimpleRnn => {
            // h = act(x·W + b + h·U)
            let hu = b.op("MatMul", &[h_prev, &o.u], vec![]);
            let sum = b.op("Add", &[&hu, xw_t], vec![]);
            (act(b, &sum), None)
        }
        CellKind::Lstm { .. } => {
            // z = x·W + b + h·U, blocks i, f, c, o.
            let hu = b.op("MatMul", &[h_prev, &o.u], vec![]);
            let z = b.op("Add", &[&hu, xw_t], vec![]);
            let sizes = o.split.as_deref().expect("LSTM splits its gates");
            let blocks = split(b, &z, sizes, 4);
            let i = gate(b, &blocks[0]);
            let f = gate(b, &blocks[1]);
            let g = act(b, &blocks[2]);
            let og = gate(b, &blocks[3]);
            let c_prev = c_prev.expect("LSTM has a cell state");
            let fc = b.op("Mul", &[&f, c_prev], vec![]);
            let ig = b.op("Mul", &[&i, &g], vec![]);
            let c = b.op("Add", &[&fc, &ig], vec![]);
            let ac = act(b, &c);
            let h = b.op("Mul", &[&og, &ac], vec![]);
            (h, Some(c))
        }
        CellKind::Gru { reset_after } => {
            let sizes = o.split.as_deref().expect("GRU splits its gates");
            let x_blocks = split(b, xw_t, sizes, 3);
            let (z, hh) = if reset_after {
                // rec = h·U + b_rec, blocks z, r, h; hh = act(xh + r * rec_h)
                let mut rec = b.op("MatMul", &[h_prev, &o.u], vec![]);
                if let Some(rb) = &o.recurrent_bias {
                    rec = b.op("Add", &[&rec, rb], vec![]);
                }
                let r_blocks = split(b, &rec, sizes, 3);
                let z_in = b.op("Add", &[&r_blocks[0], &x_blocks[0]], vec![]);
                let z = gate(b, &z_in);
                let r_in = b.op("Add", &[&r_blocks[1], &x_blocks[1]], vec![]);
                let rg = gate(b, &r_in);
                let rh = b.op("Mul", &[&rg, &r_blocks[2]], vec![]);
                let hh_in = b.op("Add", &[&x_blocks[2], &rh], vec![]);
                (z, act(b, &hh_in))
            } else {
                // z, r from h·U_zr; hh = act((r * h)·U_h + xh)
                let u_h = o.u_h.as_deref().expect("reset_before splits U");
                let rec = b.op("MatMul", &[h_prev, &o.u], vec![]);
                let sizes2 = o.split2.as_deref().expect("reset_before splits U's z, r");
                let r_blocks = split(b, &rec, sizes2, 2);
                let z_in = b.op("Add", &[&r_blocks[0], &x_blocks[0]], vec![]);
                let z = gate(b, &z_in);
                let r_in = b.op("Add", &[&r_blocks[1], &x_blocks[1]], vec![]);
                let rg = gate(b, &r_in);
                let rh = b.op("Mul", &[&rg, h_prev], vec![]);
                let rhu = b.op("MatMul", &[&rh, u_h], vec![]);
                let hh_in = b.op("Add", &[&rhu, &x_blocks[2]], vec![]);
                (z, act(b, &hh_in))
            };
            // h = z * h_prev + (1 - z) * hh
            let zh = b.op("Mul", &[&z, h_prev], vec![]);
            let one = o.one.as_deref().expect("GRU has the constant 1");
            let one_minus = b.op("Sub", &[one, &z], vec![]);
            let rest = b.op("Mul", &[&one_minus, &hh], vec![]);
            (b.op("Add", &[&zh, &rest], vec![]), None)
        }
    }
}
