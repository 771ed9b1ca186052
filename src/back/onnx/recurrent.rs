//! Recurrent layers as the native ONNX `RNN`, `LSTM` and `GRU` operators.
//!
//! Only used where Keras' activations are the operators' defaults (tanh, and
//! sigmoid gates), because runtimes hard-code those. The node follows the
//! portable recipe of `docs/runtimes.md`: `layout=0` with Transposes at the
//! edges, `hidden_size` always set, explicit zero initial states built from
//! the input's shape (so the batch stays symbolic), no `sequence_lens`, never
//! `direction="reverse"` (a backwards layer is a forward node on the input
//! reversed in time), and an all-zero peephole `P` exactly when an LSTM's `Y`
//! and `Y_c` are both needed.

use ndarray::Array2;

use super::builder::{attr_int, attr_ints, attr_string};
use super::layout;
use super::{CellOutputs, Emitter};
use crate::check::Direction;
use crate::ir::{CellKind, LayerId, Recurrent};

/// Emits one native node for the layer (`bidirectional`: both directions in
/// one node); returns each direction's outputs, forward first.
pub(super) fn native(
    em: &mut Emitter<'_>,
    id: LayerId,
    x: &str,
    r: &Recurrent,
    bidirectional: bool,
    cell: usize,
    initial_state: &[String],
) -> Vec<CellOutputs> {
    let name = em.info.layer(id).name.clone();
    let directions: &[Option<Direction>] = if bidirectional {
        &[Some(Direction::Forward), Some(Direction::Backward)]
    } else {
        &[None]
    };
    let d = directions.len();
    let hidden = r.units as usize;
    let cells: Vec<_> = directions
        .iter()
        .map(|&dir| em.weights.cell(em.info, id, dir, cell))
        .collect();
    let onnx = layout::native_weights(r.cell, &cells);
    // W: onnx interface: [num_directions, gates*hidden_size, input_size]
    let w =
        em.b.initializer(&format!("{name}/W"), onnx.w.view().into_dyn());
    // R: onnx interface: [num_directions, gates*hidden_size, hidden_size]
    let rk =
        em.b.initializer(&format!("{name}/R"), onnx.r.view().into_dyn());
    // B: onnx interface: [num_directions, 2*gates*hidden_size] (Wb then Rb)
    let bias =
        em.b.initializer(&format!("{name}/B"), onnx.b.view().into_dyn());

    let x = if r.go_backwards && !bidirectional {
        em.reverse_time(x)
    } else {
        x.to_string()
    };
    // X: onnx interface (layout 0): [seq_length, batch_size, input_size]
    let xt =
        em.b.op("Transpose", &[&x], vec![attr_ints("perm", &[1, 0, 2])]);
    let is_lstm = matches!(r.cell, CellKind::Lstm { .. });
    // initial_h: [num_directions, batch_size, hidden_size]
    let h0 = stacked_state(em, initial_state, r.cell.states(), 0, d, hidden);
    let want_y = r.return_sequences;
    let want_c = is_lstm && r.return_state;
    let mut inputs: Vec<String> = vec![xt, w, rk, bias, String::new(), h0];
    if is_lstm {
        // initial_c: [num_directions, batch_size, hidden_size]
        inputs.push(stacked_state(em, initial_state, 2, 1, d, hidden));
        let y_reaches_recurrent = want_y && em.sequence_reaches_recurrent;
        if (want_y && want_c) || y_reaches_recurrent || bidirectional || em.info.has_masks() {
            // P: onnx interface: [num_directions, 3*hidden_size], all zero.
            // It turns off tract's fused LSTM epilogue, which fails at run
            // time ("Clashing resolution for expression") on Y with Y_c, on
            // Y read by a recurrent Scan that returns its last step (P on
            // every Y a recurrent layer reads), on any bidirectional LSTM
            // over a fixed-length sequence, and on an unmasked LSTM fed by a
            // masked model's Where/Min arithmetic.
            let p = Array2::<f32>::zeros((d, 3 * hidden));
            inputs.push(em.b.initializer(&format!("{name}/P"), p.view().into_dyn()));
        }
    }
    let (op, mut attributes) = match r.cell {
        CellKind::SimpleRnn => ("RNN", vec![]),
        CellKind::Lstm { .. } => ("LSTM", vec![]),
        CellKind::Gru { reset_after } => (
            "GRU",
            vec![attr_int("linear_before_reset", i64::from(reset_after))],
        ),
    };
    attributes.push(attr_int("hidden_size", hidden as i64));
    attributes.push(attr_string(
        "direction",
        if bidirectional {
            "bidirectional"
        } else {
            "forward"
        },
    ));
    let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let mut wanted = vec![want_y, true];
    if is_lstm {
        wanted.push(want_c);
    }
    let outs = em.b.node_with(op, &input_refs, &wanted, attributes);
    // Y: [seq_length, num_directions, batch_size, hidden_size]
    // Y_h, Y_c: [num_directions, batch_size, hidden_size]
    let (y, y_h) = (&outs[0], &outs[1]);
    let y_c = outs.get(2).filter(|c| !c.is_empty());
    if d == 1 {
        // One direction: drop the direction axis with Squeeze, a view in
        // onnxruntime and OpenVINO, where Gather copies Y (measured 1.04-1.10x
        // the peer's time on LSTM at batch 32 with Gather, parity without).
        let sequence = want_y.then(|| {
            let axes = em.b.vec_i64(&[1]);
            let y = em.b.op("Squeeze", &[y, &axes], vec![]);
            em.b.op("Transpose", &[&y], vec![attr_ints("perm", &[1, 0, 2])])
        });
        let axes = em.b.vec_i64(&[0]);
        let h = em.b.op("Squeeze", &[y_h, &axes], vec![]);
        let c = y_c.map(|c| em.b.op("Squeeze", &[c, &axes], vec![]));
        return vec![CellOutputs {
            sequence,
            h,
            last: None,
            c,
        }];
    }
    (0..d)
        .map(|k| {
            let index = em.b.scalar_i64(k as i64);
            let sequence = want_y.then(|| {
                let yk = em.b.op("Gather", &[y, &index], vec![attr_int("axis", 1)]);
                em.b.op("Transpose", &[&yk], vec![attr_ints("perm", &[1, 0, 2])])
            });
            let h = em.b.op("Gather", &[y_h, &index], vec![attr_int("axis", 0)]);
            let c = y_c.map(|c| em.b.op("Gather", &[c, &index], vec![attr_int("axis", 0)]));
            CellOutputs {
                sequence,
                h,
                last: None,
                c,
            }
        })
        .collect()
}

/// The native op's initial state `which` (0: h, 1: c) `[d, B, H]`: zeros,
/// or the given states (`per_direction` of them for each direction, forward
/// first) each `[B, H]`, unsqueezed and stacked.
fn stacked_state(
    em: &mut Emitter<'_>,
    initial_state: &[String],
    per_direction: usize,
    which: usize,
    d: usize,
    hidden: usize,
) -> String {
    if initial_state.is_empty() {
        return em.zeros(&[d as i64], &[hidden as i64]);
    }
    let axis = em.b.vec_i64(&[0]);
    let parts: Vec<String> = (0..d)
        .map(|direction| {
            let state = &initial_state[direction * per_direction + which];
            em.b.op("Unsqueeze", &[state, &axis], vec![])
        })
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        _ => {
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            em.b.op("Concat", &refs, vec![attr_int("axis", 0)])
        }
    }
}
