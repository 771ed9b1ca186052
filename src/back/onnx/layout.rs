//! The one place where Keras weight layouts become ONNX weight layouts.
//!
//! Keras holds a recurrent cell as kernel `[I, gates*H]`, recurrent kernel
//! `[H, gates*H]` and bias `[gates*H]` (GRU `reset_after`: `[2, 3*H]`, input
//! row then recurrent row), gate blocks in Keras order. The native ONNX
//! operators want, per direction `d`:
//!
//! - `W [D, gates*H, I]`: the kernel transposed, gate blocks in ONNX order;
//! - `R [D, gates*H, H]`: the recurrent kernel likewise;
//! - `B [D, 2*gates*H]`: input bias `Wb` then recurrent bias `Rb`.
//!
//! Gate orders: LSTM is i, f, c, o in Keras and i, o, f, c in ONNX; GRU is
//! z, r, h in both. The Scan lowering keeps Keras' layout and gate order; the
//! bias split it needs is here too, so that no other file reads a bias layout.

use ndarray::{s, Array1, Array2, Array3, ArrayView2};

use crate::ir::CellKind;
use crate::weights::CellWeights;

/// For each ONNX gate block, the Keras gate block it is taken from.
pub(super) fn onnx_gate_order(cell: CellKind) -> &'static [usize] {
    match cell {
        CellKind::SimpleRnn => &[0],
        // ONNX i, o, f, c from Keras i(0), f(1), c(2), o(3).
        CellKind::Lstm { .. } => &[0, 3, 1, 2],
        CellKind::Gru { .. } => &[0, 1, 2],
    }
}

/// Weights of a native ONNX RNN / LSTM / GRU node.
pub(super) struct NativeWeights {
    /// `W [num_directions, gates*hidden, input]`, ONNX gate order.
    pub w: Array3<f32>,
    /// `R [num_directions, gates*hidden, hidden]`, ONNX gate order.
    pub r: Array3<f32>,
    /// `B [num_directions, 2*gates*hidden]`: `Wb` then `Rb`, ONNX gate order.
    pub b: Array2<f32>,
}

/// Converts one cell per direction (forward first) to ONNX layout.
pub(super) fn native_weights(cell: CellKind, directions: &[CellWeights<'_>]) -> NativeWeights {
    let order = onnx_gate_order(cell);
    let gates = order.len();
    let first = &directions[0];
    let input = first.kernel.nrows();
    let hidden = first.recurrent_kernel.nrows();
    let d = directions.len();
    let mut w = Array3::zeros((d, gates * hidden, input));
    let mut r = Array3::zeros((d, gates * hidden, hidden));
    let mut b = Array2::zeros((d, 2 * gates * hidden));
    for (dir, cw) in directions.iter().enumerate() {
        let (input_bias, recurrent_bias) = bias_halves(cell, cw, hidden);
        for (onnx_block, &keras_block) in order.iter().enumerate() {
            let keras = keras_block * hidden..(keras_block + 1) * hidden;
            let onnx = onnx_block * hidden..(onnx_block + 1) * hidden;
            w.slice_mut(s![dir, onnx.clone(), ..])
                .assign(&cw.kernel.slice(s![.., keras.clone()]).t());
            r.slice_mut(s![dir, onnx.clone(), ..])
                .assign(&cw.recurrent_kernel.slice(s![.., keras.clone()]).t());
            b.slice_mut(s![dir, onnx.clone()])
                .assign(&input_bias.slice(s![keras.clone()]));
            let rb = gates * hidden;
            b.slice_mut(s![dir, rb + onnx.start..rb + onnx.end])
                .assign(&recurrent_bias.slice(s![keras]));
        }
    }
    NativeWeights { w, r, b }
}

/// The input-side and recurrent-side bias `[gates*H]` in Keras gate order:
/// Keras' single bias goes with the input (zeros on the recurrent side),
/// GRU `reset_after` has one row for each, and no bias is all zeros.
fn bias_halves(cell: CellKind, cw: &CellWeights<'_>, hidden: usize) -> (Array1<f32>, Array1<f32>) {
    let width = cell.gates() as usize * hidden;
    let zeros = || Array1::zeros(width);
    match &cw.bias {
        None => (zeros(), zeros()),
        Some(bias) if bias.ndim() == 2 => {
            let rows = bias
                .view()
                .into_dimensionality::<ndarray::Ix2>()
                .expect("2-D");
            (rows.row(0).to_owned(), rows.row(1).to_owned())
        }
        Some(bias) => (bias.iter().copied().collect::<Array1<f32>>(), zeros()),
    }
}

/// Weights of the Scan lowering, in Keras layout and gate order.
pub(super) struct ScanWeights {
    /// Kernel `[I, gates*H]`, as Keras holds it.
    pub kernel: Array2<f32>,
    /// Recurrent kernel `[H, gates*H]`, as Keras holds it.
    pub recurrent_kernel: Array2<f32>,
    /// Bias added to the input projection `[gates*H]` (zeros without bias).
    pub input_bias: Array1<f32>,
    /// GRU `reset_after` only: the recurrent bias row `[3*H]`, added to `h·U`
    /// before the reset gate multiplies it.
    pub recurrent_bias: Option<Array1<f32>>,
}

/// A cell's weights for the Scan lowering.
pub(super) fn scan_weights(cell: CellKind, cw: &CellWeights<'_>) -> ScanWeights {
    let hidden = cw.recurrent_kernel.nrows();
    let (input_bias, recurrent_bias) = bias_halves(cell, cw, hidden);
    ScanWeights {
        kernel: cw.kernel.to_owned(),
        recurrent_kernel: cw.recurrent_kernel.to_owned(),
        input_bias,
        recurrent_bias: matches!(cell, CellKind::Gru { reset_after: true })
            .then_some(recurrent_bias),
    }
}

/// Splits a GRU (`reset_after=False`) recurrent kernel `[H, 3H]` into its
/// z, r columns `[H, 2H]` and its h columns `[H, H]`: the candidate's product
/// takes `r * h` rather than `h`, so it cannot share the z, r product.
pub(super) fn split_gru_recurrent(
    recurrent_kernel: ArrayView2<'_, f32>,
) -> (Array2<f32>, Array2<f32>) {
    let hidden = recurrent_kernel.nrows();
    (
        recurrent_kernel.slice(s![.., ..2 * hidden]).to_owned(),
        recurrent_kernel.slice(s![.., 2 * hidden..]).to_owned(),
    )
}

#[cfg(test)]
mod tests {
    //! Each entry of the hand-made Keras arrays encodes where it came from, so
    //! a wrong gate order, a missed transpose or a misplaced bias half shows
    //! up as a wrong number at a named position.

    use ndarray::{Array1, Array2, ArrayD, IxDyn};

    use super::*;

    const H: usize = 2;
    const I: usize = 3;

    /// Kernel `[rows, gates*H]` with entry `100*gate + 10*unit + row + base`.
    fn kernel(rows: usize, gates: usize, base: f32) -> Array2<f32> {
        Array2::from_shape_fn((rows, gates * H), |(row, col)| {
            let (gate, unit) = (col / H, col % H);
            base + (100 * gate + 10 * unit + row) as f32
        })
    }

    /// Bias `[gates*H]` with entry `100*gate + unit + base`.
    fn bias(gates: usize, base: f32) -> Array1<f32> {
        Array1::from_shape_fn(gates * H, |col| base + (100 * (col / H) + col % H) as f32)
    }

    fn cell<'a>(
        k: &'a Array2<f32>,
        r: &'a Array2<f32>,
        b: Option<&'a ArrayD<f32>>,
    ) -> CellWeights<'a> {
        CellWeights {
            kernel: k.view(),
            recurrent_kernel: r.view(),
            bias: b.map(|b| b.view()),
        }
    }

    /// The expected W entry for ONNX block `onnx_gate` taken from Keras gate
    /// `keras_gate`: `W[0, onnx_gate*H + unit, row]` = `kernel[row, keras_gate*H + unit]`.
    fn assert_block(w: &Array3<f32>, onnx_gate: usize, keras_gate: usize, rows: usize, base: f32) {
        for unit in 0..H {
            for row in 0..rows {
                assert_eq!(
                    w[[0, onnx_gate * H + unit, row]],
                    base + (100 * keras_gate + 10 * unit + row) as f32,
                    "ONNX gate {onnx_gate}, unit {unit}, row {row}"
                );
            }
        }
    }

    #[test]
    fn simple_rnn_transposes_and_puts_bias_in_the_input_half() {
        let (k, r) = (kernel(I, 1, 0.0), kernel(H, 1, 1000.0));
        let b = bias(1, 5000.0).into_dyn();
        let onnx = native_weights(CellKind::SimpleRnn, &[cell(&k, &r, Some(&b))]);
        assert_eq!(onnx.w.shape(), [1, H, I]);
        assert_eq!(onnx.r.shape(), [1, H, H]);
        assert_eq!(onnx.b.shape(), [1, 2 * H]);
        assert_block(&onnx.w, 0, 0, I, 0.0);
        assert_block(&onnx.r, 0, 0, H, 1000.0);
        assert_eq!(onnx.b.row(0).to_vec(), [5000.0, 5001.0, 0.0, 0.0]);
    }

    #[test]
    fn lstm_reorders_ifco_to_iofc() {
        let (k, r) = (kernel(I, 4, 0.0), kernel(H, 4, 1000.0));
        let b = bias(4, 5000.0).into_dyn();
        let onnx = native_weights(
            CellKind::Lstm {
                unit_forget_bias: true,
            },
            &[cell(&k, &r, Some(&b))],
        );
        assert_eq!(onnx.w.shape(), [1, 4 * H, I]);
        // ONNX i, o, f, c = Keras blocks 0 (i), 3 (o), 1 (f), 2 (c).
        for (onnx_gate, keras_gate) in [(0, 0), (1, 3), (2, 1), (3, 2)] {
            assert_block(&onnx.w, onnx_gate, keras_gate, I, 0.0);
            assert_block(&onnx.r, onnx_gate, keras_gate, H, 1000.0);
        }
        assert_eq!(
            onnx.b.row(0).to_vec(),
            [
                5000.0, 5001.0, 5300.0, 5301.0, 5100.0, 5101.0, 5200.0, 5201.0, // Wb
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // Rb
            ]
        );
    }

    #[test]
    fn gru_reset_after_keeps_zrh_and_splits_bias_rows() {
        let (k, r) = (kernel(I, 3, 0.0), kernel(H, 3, 1000.0));
        let rows: Vec<f32> = bias(3, 5000.0)
            .iter()
            .chain(bias(3, 7000.0).iter())
            .copied()
            .collect();
        let b = ArrayD::from_shape_vec(IxDyn(&[2, 3 * H]), rows).unwrap();
        let onnx = native_weights(
            CellKind::Gru { reset_after: true },
            &[cell(&k, &r, Some(&b))],
        );
        for gate in 0..3 {
            assert_block(&onnx.w, gate, gate, I, 0.0);
            assert_block(&onnx.r, gate, gate, H, 1000.0);
        }
        assert_eq!(
            onnx.b.row(0).to_vec(),
            [
                5000.0, 5001.0, 5100.0, 5101.0, 5200.0, 5201.0, // Wb = row 0
                7000.0, 7001.0, 7100.0, 7101.0, 7200.0, 7201.0, // Rb = row 1
            ]
        );
        let scan = scan_weights(CellKind::Gru { reset_after: true }, &cell(&k, &r, Some(&b)));
        assert_eq!(scan.input_bias.to_vec()[..2], [5000.0, 5001.0]);
        assert_eq!(scan.recurrent_bias.unwrap().to_vec()[..2], [7000.0, 7001.0]);
        assert_eq!(scan.kernel, k);
    }

    #[test]
    fn gru_reset_before_has_one_bias_in_the_input_half() {
        let (k, r) = (kernel(I, 3, 0.0), kernel(H, 3, 1000.0));
        let b = bias(3, 5000.0).into_dyn();
        let cw = cell(&k, &r, Some(&b));
        let onnx = native_weights(CellKind::Gru { reset_after: false }, &[cw]);
        assert_eq!(
            onnx.b.row(0).to_vec(),
            [5000.0, 5001.0, 5100.0, 5101.0, 5200.0, 5201.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        let (zr, h) = split_gru_recurrent(r.view());
        assert_eq!(zr.shape(), [H, 2 * H]);
        assert_eq!(h[[1, 0]], 1000.0 + 200.0 + 1.0);
    }

    #[test]
    fn bidirectional_stacks_forward_then_backward() {
        let (kf, rf) = (kernel(I, 1, 0.0), kernel(H, 1, 1000.0));
        let (kb, rb) = (kernel(I, 1, 20000.0), kernel(H, 1, 21000.0));
        let onnx = native_weights(
            CellKind::SimpleRnn,
            &[cell(&kf, &rf, None), cell(&kb, &rb, None)],
        );
        assert_eq!(onnx.w.shape(), [2, H, I]);
        assert_eq!(onnx.w[[0, 1, 2]], 12.0);
        assert_eq!(onnx.w[[1, 1, 2]], 20012.0);
        assert_eq!(onnx.r[[1, 0, 1]], 21001.0);
        assert!(onnx.b.iter().all(|&v| v == 0.0));
    }
}
