//! SimpleRNN, LSTM and GRU layers, from Keras' cell equations.
//!
//! Written from Keras 3's `SimpleRNNCell`, `LSTMCell` and `GRUCell`, not from
//! any ONNX operator, so that a wrong gate order or a missed transpose in the
//! backend shows up as a difference. Gate blocks are in Keras order along the
//! last axis of every kernel: LSTM **i, f, c, o**; GRU **z, r, h**.
//!
//! The input projection `x·W + b` of all time steps is one matrix product
//! `[T*B, F]·[F, gU]`, time-major; each step then adds `h·U` to its own
//! contiguous `[B, gU]` block and turns it into `h` (and `c`) in place.

use ndarray::{Array2, Array3, ArrayView2, ArrayView3, ArrayViewMut2, Axis, Ix1, Ix2};

use super::{activation, matmul};
use crate::ir::{Activation, CellKind, Recurrent};
use crate::weights::CellWeights;

/// What one direction of a recurrent layer produces.
pub struct RecurrentRun {
    /// `h` after every step `[B, T, U]`, in processing order (reversed time
    /// for `go_backwards`), when the layer returns sequences.
    pub sequence: Option<Array3<f32>>,
    /// `h` after the last processed step `[B, U]`.
    pub last: Array2<f32>,
    /// Final states: `h`, then `c` for LSTM.
    pub states: Vec<Array2<f32>>,
}

/// How a recurrent layer treats a Keras mask `[B, T]` (true: a data step).
#[derive(Clone, Copy, Debug)]
pub struct StepMask<'a> {
    /// The mask, in time order (not processing order).
    pub mask: ArrayView2<'a, bool>,
    /// Keras' `zero_output_for_mask` (set inside `Bidirectional`): the
    /// output at a masked step is zeros rather than the held state.
    pub zero_output: bool,
}

/// Runs one direction of a recurrent layer over `x` `[B, T, F]`, reading the
/// time axis backwards when `go_backwards`, from the states `initial` (`h`,
/// then `c` for LSTM, each `[B, U]`), or from zeros when it is empty.
///
/// With a mask, as Keras 3's `rnn` loop: at a masked step of a row its
/// states are carried over unchanged, and its output is the held `h` (the
/// first state, which is the initial state before any data step) or, with
/// `zero_output`, zeros. The last output is the last processed step's.
pub fn run(
    layer: &Recurrent,
    w: &CellWeights<'_>,
    x: ArrayView3<f32>,
    go_backwards: bool,
    initial: &[ArrayView2<f32>],
    mask: Option<StepMask<'_>>,
) -> RecurrentRun {
    let (batch, time, features) = x.dim();
    let units = layer.units as usize;
    let gates = layer.cell.gates() as usize;

    // Biases, per cell: kernel-side (added to x·W) and recurrent-side (GRU
    // reset_after only, added to h·U before the reset gate).
    // bias: [gU], or [2, 3U] = (input row, recurrent row) for GRU reset_after.
    let (input_bias, recurrent_bias) = split_bias(layer.cell, w, gates * units);

    // xw: [T, B, gU] = x [T*B, F] · kernel [F, gU] + input bias, time-major
    // so that each step's gates are one contiguous block, which the step
    // then turns into its outputs in place.
    let time_major = x
        .permuted_axes([1, 0, 2])
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((time * batch, features))
        .expect("contiguous [T, B, F] reshapes to [T*B, F]");
    let mut xw = matmul::dot(time_major.view(), w.kernel);
    if let Some(b) = &input_bias {
        xw += b;
    }
    let mut xw = xw
        .into_shape_with_order((time, batch, gates * units))
        .expect("[T*B, gU] reshapes to [T, B, gU]");

    let state = |i: usize| match initial.get(i) {
        // Row-major, as the steps update h and c row by row in place (a
        // state from a merge may come in another layout).
        Some(s) => s.as_standard_layout().into_owned(),
        None => Array2::<f32>::zeros((batch, units)),
    };
    let mut h = state(0);
    let mut c = state(1);
    let mut sequence = layer
        .return_sequences
        .then(|| Array3::<f32>::zeros((batch, time, units)));
    let is_lstm = matches!(layer.cell, CellKind::Lstm { .. });
    // The last step's output: with a mask, it may differ from `h`.
    let mut last = Array2::<f32>::zeros((batch, units));
    for step in 0..time {
        let t = if go_backwards { time - 1 - step } else { step };
        // The states of the rows masked at this step, to put back.
        let held: Vec<(usize, Vec<f32>, Vec<f32>)> = mask
            .map(|m| {
                (0..batch)
                    .filter(|&b| !m.mask[[b, t]])
                    .map(|b| {
                        let c_row = if is_lstm {
                            c.row(b).to_vec()
                        } else {
                            Vec::new()
                        };
                        (b, h.row(b).to_vec(), c_row)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let z = xw.index_axis_mut(Axis(0), t);
        match layer.cell {
            CellKind::SimpleRnn => simple_rnn_step(layer.activation, z, &mut h, w.recurrent_kernel),
            CellKind::Lstm { .. } => lstm_step(layer, z, &mut h, &mut c, w.recurrent_kernel),
            CellKind::Gru { reset_after } => gru_step(
                layer,
                reset_after,
                z,
                &mut h,
                w.recurrent_kernel,
                recurrent_bias.as_ref(),
            ),
        }
        let output = match mask {
            None => &h,
            Some(m) => {
                for (b, h_row, c_row) in &held {
                    h.row_mut(*b).assign(&ndarray::aview1(h_row));
                    if is_lstm {
                        c.row_mut(*b).assign(&ndarray::aview1(c_row));
                    }
                }
                last.assign(&h);
                if m.zero_output {
                    for (b, ..) in &held {
                        last.row_mut(*b).fill(0.0);
                    }
                }
                &last
            }
        };
        if let Some(seq) = sequence.as_mut() {
            seq.index_axis_mut(Axis(1), step).assign(output);
        }
    }
    if mask.is_none() {
        last = h.clone();
    }
    let states = match layer.cell {
        CellKind::Lstm { .. } => vec![h, c],
        CellKind::SimpleRnn | CellKind::Gru { .. } => vec![h],
    };
    RecurrentRun {
        sequence,
        last,
        states,
    }
}

/// `(input-side bias [gU], recurrent-side bias [gU])`; either may be absent.
fn split_bias(
    cell: CellKind,
    w: &CellWeights<'_>,
    width: usize,
) -> (Option<ndarray::Array1<f32>>, Option<ndarray::Array1<f32>>) {
    let Some(bias) = &w.bias else {
        return (None, None);
    };
    match cell {
        CellKind::Gru { reset_after: true } => {
            let rows = bias
                .view()
                .into_dimensionality::<Ix2>()
                .expect("checked: GRU reset_after bias is [2, 3U]");
            (Some(rows.row(0).to_owned()), Some(rows.row(1).to_owned()))
        }
        _ => {
            let b = bias
                .view()
                .into_dimensionality::<Ix1>()
                .expect("checked: bias is [gU]");
            debug_assert_eq!(b.len(), width);
            (Some(b.to_owned()), None)
        }
    }
}

/// The contiguous values of one time step of the standard-layout
/// `[T, B, gU]` projection, as `(values, row length)`.
fn rows_of<'a>(a: &'a mut ArrayViewMut2<'_, f32>) -> (&'a mut [f32], usize) {
    let width = a.ncols();
    let values = a
        .as_slice_mut()
        .expect("steps of a standard-layout [T, B, gU] array are contiguous");
    (values, width)
}

/// Row `b` of an owned standard-layout matrix, mutable.
fn row_mut(a: &mut Array2<f32>, b: usize) -> &mut [f32] {
    a.row_mut(b)
        .into_slice()
        .expect("rows of standard-layout arrays are contiguous")
}

/// SimpleRNN: `h = act(x·W + b + h·U)`; `z` holds `x·W + b` on entry.
fn simple_rnn_step(
    act: Activation,
    mut z: ArrayViewMut2<f32>,
    h: &mut Array2<f32>,
    recurrent_kernel: ArrayView2<f32>,
) {
    let width = z.ncols();
    matmul::add_dot(z.view_mut(), 0..width, h.view(), recurrent_kernel, 0..width);
    let (values, _) = rows_of(&mut z);
    activation::apply_slice(act, values);
    h.assign(&z);
}

/// LSTM, gates i, f, c, o, updating `h` and `c` in place; `z` holds
/// `x·W + b` on entry:
/// `z = x·W + b + h·U`; `i = ra(z_i)`, `f = ra(z_f)`, `o = ra(z_o)`;
/// `c' = f*c + i*act(z_c)`; `h' = o*act(c')`.
fn lstm_step(
    layer: &Recurrent,
    mut z: ArrayViewMut2<f32>,
    h: &mut Array2<f32>,
    c: &mut Array2<f32>,
    recurrent_kernel: ArrayView2<f32>,
) {
    let u = layer.units as usize;
    let (ra, act) = (layer.recurrent_activation, layer.activation);
    matmul::add_dot(z.view_mut(), 0..4 * u, h.view(), recurrent_kernel, 0..4 * u);
    let (values, width) = rows_of(&mut z);
    for (b, z) in values.chunks_exact_mut(width).enumerate() {
        let (i_f, rest) = z.split_at_mut(2 * u);
        let (candidate, o) = rest.split_at_mut(u);
        activation::apply_slice(ra, i_f);
        activation::apply_slice(act, candidate);
        activation::apply_slice(ra, o);
        let (i, f) = i_f.split_at(u);
        let c = row_mut(c, b);
        for j in 0..u {
            c[j] = f[j] * c[j] + i[j] * candidate[j];
        }
        let h = row_mut(h, b);
        h.copy_from_slice(c);
        activation::apply_slice(act, h);
        for (h, o) in h.iter_mut().zip(o.iter()) {
            *h *= o;
        }
    }
}

/// GRU, gates z, r, h, updating `h` in place; `z` holds `x·W + b` (the
/// input bias) on entry.
///
/// reset_after: `rec = h·U + b_rec`; `z = ra(xw_z + rec_z)`,
/// `r = ra(xw_r + rec_r)`, `ĥ = act(xw_h + r*rec_h)`.
/// reset_before: `z = ra(xw_z + h·U_z)`, `r = ra(xw_r + h·U_r)`,
/// `ĥ = act(xw_h + (r*h)·U_h)`.
/// Both: `h' = z*h + (1-z)*ĥ`.
fn gru_step(
    layer: &Recurrent,
    reset_after: bool,
    mut z: ArrayViewMut2<f32>,
    h: &mut Array2<f32>,
    recurrent_kernel: ArrayView2<f32>,
    recurrent_bias: Option<&ndarray::Array1<f32>>,
) {
    let u = layer.units as usize;
    let (ra, act) = (layer.recurrent_activation, layer.activation);
    if reset_after {
        let mut rec = matmul::dot(h.view(), recurrent_kernel);
        if let Some(bias) = recurrent_bias {
            rec += bias;
        }
        let (values, width) = rows_of(&mut z);
        for (b, x) in values.chunks_exact_mut(width).enumerate() {
            let rec = row_mut(&mut rec, b);
            for (x, rec) in x[..2 * u].iter_mut().zip(&rec[..2 * u]) {
                *x += rec;
            }
            activation::apply_slice(ra, &mut x[..2 * u]);
            let (gates, candidate) = x.split_at_mut(2 * u);
            for j in 0..u {
                candidate[j] += gates[u + j] * rec[2 * u + j];
            }
            activation::apply_slice(act, candidate);
        }
    } else {
        matmul::add_dot(z.view_mut(), 0..2 * u, h.view(), recurrent_kernel, 0..2 * u);
        let (values, width) = rows_of(&mut z);
        let mut reset_h = Array2::<f32>::zeros(h.dim());
        for (b, x) in values.chunks_exact_mut(width).enumerate() {
            activation::apply_slice(ra, &mut x[..2 * u]);
            let (r, h) = (&x[u..2 * u], h.row(b));
            for ((out, r), h) in row_mut(&mut reset_h, b).iter_mut().zip(r).zip(h) {
                *out = r * h;
            }
        }
        matmul::add_dot(
            z.view_mut(),
            2 * u..3 * u,
            reset_h.view(),
            recurrent_kernel,
            2 * u..3 * u,
        );
        let (values, width) = rows_of(&mut z);
        for x in values.chunks_exact_mut(width) {
            activation::apply_slice(act, &mut x[2 * u..]);
        }
    }
    let (values, width) = rows_of(&mut z);
    for (b, x) in values.chunks_exact(width).enumerate() {
        let (gate, candidate) = (&x[..u], &x[2 * u..]);
        let h = row_mut(h, b);
        for j in 0..u {
            h[j] = gate[j] * h[j] + (1.0 - gate[j]) * candidate[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    fn layer(cell: CellKind, units: u64) -> Recurrent {
        Recurrent {
            return_sequences: true,
            return_state: true,
            ..Recurrent::with_keras_defaults(cell, units)
        }
    }

    fn sig(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    fn close(a: f32, b: f64) -> bool {
        (f64::from(a) - b).abs() < 1e-6
    }

    #[test]
    fn simple_rnn_by_hand() {
        // One unit, one feature: h1 = tanh(0.5*1 + 0.1), h2 = tanh(0.5*2 + 0.1 + 0.3*h1).
        let x = Array3::from_shape_vec((1, 2, 1), vec![1.0f32, 2.0]).unwrap();
        let (k, r, b) = (
            array![[0.5f32]],
            array![[0.3f32]],
            array![0.1f32].into_dyn(),
        );
        let w = CellWeights {
            kernel: k.view(),
            recurrent_kernel: r.view(),
            bias: Some(b.view()),
        };
        let l = layer(CellKind::SimpleRnn, 1);
        let h1 = (0.6f64).tanh();
        let h2 = (1.1 + 0.3 * h1).tanh();
        let out = run(&l, &w, x.view(), false, &[], None);
        let seq = out.sequence.unwrap();
        assert!(close(seq[[0, 0, 0]], h1) && close(seq[[0, 1, 0]], h2));
        // Backwards: reads x2 first, sequence in processing order.
        let g1 = (1.1f64).tanh();
        let g2 = (0.6 + 0.3 * g1).tanh();
        let back = run(&l, &w, x.view(), true, &[], None);
        let seq = back.sequence.unwrap();
        assert!(close(seq[[0, 0, 0]], g1) && close(seq[[0, 1, 0]], g2));
        assert!(close(back.last[[0, 0]], g2));
    }

    #[test]
    fn masked_steps_hold_the_state_and_repeat_or_zero_the_output() {
        // h_t = tanh(x_t + h_{t-1}) over x = 1, 2, 3 with step 2 masked
        // (row 0) and every step masked (row 1).
        let x = Array3::from_shape_vec((2, 3, 1), vec![1.0f32, 2.0, 3.0, 1.0, 2.0, 3.0]).unwrap();
        let (k, r) = (array![[1.0f32]], array![[1.0f32]]);
        let w = CellWeights {
            kernel: k.view(),
            recurrent_kernel: r.view(),
            bias: None,
        };
        let mut l = layer(CellKind::SimpleRnn, 1);
        l.use_bias = false;
        let mask = array![[true, false, true], [false, false, false]];
        let h1 = 1.0f64.tanh();
        let h3 = (3.0 + h1).tanh();
        for zero_output in [false, true] {
            let step_mask = StepMask {
                mask: mask.view(),
                zero_output,
            };
            let out = run(&l, &w, x.view(), false, &[], Some(step_mask));
            let seq = out.sequence.unwrap();
            let held = if zero_output { 0.0 } else { h1 };
            assert!(close(seq[[0, 0, 0]], h1) && close(seq[[0, 1, 0]], held));
            assert!(close(seq[[0, 2, 0]], h3), "the state skipped step 2");
            assert!(close(out.states[0][[0, 0]], h3));
            // A fully masked row keeps its zero state and outputs zeros.
            assert!(seq.index_axis(Axis(0), 1).iter().all(|&v| v == 0.0));
            assert_eq!(out.states[0][[1, 0]], 0.0);
        }
    }

    #[test]
    fn lstm_gate_order_is_ifco() {
        // One unit; each gate reads its own kernel column, so swapping any two
        // gates changes the result.
        let x = Array3::from_shape_vec((1, 1, 1), vec![1.0f32]).unwrap();
        let k = array![[0.1f32, 0.2, 0.3, 0.4]];
        let r = array![[0.0f32, 0.0, 0.0, 0.0]];
        let b = array![0.0f32, 1.0, 0.0, 0.0].into_dyn();
        let w = CellWeights {
            kernel: k.view(),
            recurrent_kernel: r.view(),
            bias: Some(b.view()),
        };
        let out = run(
            &layer(
                CellKind::Lstm {
                    unit_forget_bias: true,
                },
                1,
            ),
            &w,
            x.view(),
            false,
            &[],
            None,
        );
        let (i, _f, g, o) = (sig(0.1), sig(1.2), 0.3f64.tanh(), sig(0.4));
        let c = i * g; // previous c is zero
        let h = o * c.tanh();
        assert!(close(out.last[[0, 0]], h));
        assert!(close(out.states[1][[0, 0]], c));
        assert!(close(out.states[0][[0, 0]], h));
    }

    #[test]
    fn gru_both_reset_modes_by_hand() {
        // Two steps so that h_prev is non-zero when the reset gate matters.
        let x = Array3::from_shape_vec((1, 2, 1), vec![1.0f32, -1.0]).unwrap();
        let k = array![[0.1f32, 0.2, 0.3]];
        let r = array![[0.4f32, 0.5, 0.6]];
        let b_after = array![[0.01f32, 0.02, 0.03], [0.04, 0.05, 0.06]].into_dyn();
        let b_before = array![0.01f32, 0.02, 0.03].into_dyn();

        let after = |x: f64, h: f64| {
            let z = sig(0.1 * x + 0.01 + 0.4 * h + 0.04);
            let r = sig(0.2 * x + 0.02 + 0.5 * h + 0.05);
            let hh = (0.3 * x + 0.03 + r * (0.6 * h + 0.06)).tanh();
            z * h + (1.0 - z) * hh
        };
        let before = |x: f64, h: f64| {
            let z = sig(0.1 * x + 0.01 + 0.4 * h);
            let r = sig(0.2 * x + 0.02 + 0.5 * h);
            let hh = (0.3 * x + 0.03 + (r * h) * 0.6).tanh();
            z * h + (1.0 - z) * hh
        };
        for (reset_after, bias, f) in [
            (true, &b_after, &after as &dyn Fn(f64, f64) -> f64),
            (false, &b_before, &before),
        ] {
            let w = CellWeights {
                kernel: k.view(),
                recurrent_kernel: r.view(),
                bias: Some(bias.view()),
            };
            let out = run(
                &layer(CellKind::Gru { reset_after }, 1),
                &w,
                x.view(),
                false,
                &[],
                None,
            );
            let h1 = f(1.0, 0.0);
            let h2 = f(-1.0, h1);
            let seq = out.sequence.unwrap();
            assert!(close(seq[[0, 0, 0]], h1), "reset_after={reset_after}");
            assert!(close(seq[[0, 1, 0]], h2), "reset_after={reset_after}");
        }
    }
}
