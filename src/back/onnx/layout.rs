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
