//! Keras 2's `CuDNNLSTM` / `CuDNNGRU` weights in the layout of `LSTM` /
//! `GRU(reset_after=True)`.
//!
//! The cuDNN layers keep, per gate block (Keras' gate order, i f c o for
//! LSTM and z r h for GRU), the matrices cuDNN reads: each input-kernel
//! block is cuDNN's `(units, input)` matrix stored row-major in the
//! `(input, units)` block, each recurrent block is transposed, and there is
//! one bias per matrix product (`8·units` for LSTM, `6·units` for GRU).
//! Keras 2 converts them when it loads them into an `LSTM` / `GRU`
//! (`_convert_rnn_weights` in tf-keras' `saving/legacy/hdf5_format.py`):
//!
//! ```text
//! kernel block      k.T.reshape(k.shape, order="F")
//! recurrent block   r.T
//! LSTM bias         b[:4u] + b[4u:]        (the two biases add up)
//! GRU bias          b.reshape(2, 3u)       (input row, recurrent row)
//! ```
//!
//! which this module does, so that the reference interpreter and the
//! backend see an ordinary cell. The oracle is that Keras 2 conversion
//! (`fixtures/model_files/k2_cudnn_*`).

use ndarray::{concatenate, s, Array2, ArrayD, Axis, Ix1, Ix2, IxDyn};

use crate::ir::CellKind;

/// Converts a layer's cuDNN arrays (kernel, recurrent kernel, bias, and
/// again for a Bidirectional's backward half) to Keras' layout.
pub fn to_keras(cell: CellKind, arrays: &[ArrayD<f32>]) -> Vec<ArrayD<f32>> {
    arrays
        .chunks(3)
        .flat_map(|direction| match direction {
            [kernel, recurrent, bias] => convert(cell, kernel, recurrent, bias),
            other => other.to_vec(),
        })
        .collect()
}

fn convert(
    cell: CellKind,
    kernel: &ArrayD<f32>,
    recurrent: &ArrayD<f32>,
    bias: &ArrayD<f32>,
) -> Vec<ArrayD<f32>> {
    let gates = cell.gates() as usize;
    let (Ok(kernel), Ok(recurrent), Ok(bias)) = (
        kernel.view().into_dimensionality::<Ix2>(),
        recurrent.view().into_dimensionality::<Ix2>(),
        bias.view().into_dimensionality::<Ix1>(),
    ) else {
        unreachable!("the check pass gives cuDNN layers 2-D kernels and a 1-D bias")
    };
    let units = recurrent.nrows();
    let input = kernel.nrows();
    let block = |g: usize| s![.., g * units..(g + 1) * units];
    let kernel_blocks: Vec<Array2<f32>> = (0..gates)
        .map(|g| {
            // cuDNN's (units, input) matrix, row-major, in the block's bytes.
            let flat: Vec<f32> = kernel.slice(block(g)).iter().copied().collect();
            Array2::from_shape_fn((input, units), |(i, j)| flat[i + j * input])
        })
        .collect();
    let recurrent_blocks: Vec<Array2<f32>> = (0..gates)
        .map(|g| recurrent.slice(block(g)).t().to_owned())
        .collect();
    let join = |blocks: &[Array2<f32>]| {
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        concatenate(Axis(1), &views)
            .expect("gate blocks share their rows")
            .into_dyn()
    };
    let half = gates * units;
    let bias = match cell {
        CellKind::Gru { .. } => bias
            .to_owned()
            .into_shape_with_order(IxDyn(&[2, half]))
            .expect("a cuDNN GRU bias holds two rows"),
        CellKind::Lstm { .. } | CellKind::SimpleRnn => {
            (&bias.slice(s![..half]) + &bias.slice(s![half..])).into_dyn()
        }
    };
    vec![join(&kernel_blocks), join(&recurrent_blocks), bias]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    /// tf-keras' conversion, written with numpy's operations one by one.
    #[test]
    fn follows_keras_2_conversion() {
        let (input, units) = (2, 3);
        let cell = CellKind::Lstm {
            unit_forget_bias: true,
        };
        let kernel = Array::from_shape_fn((input, 4 * units), |(i, j)| (i * 100 + j) as f32);
        let recurrent = Array::from_shape_fn((units, 4 * units), |(i, j)| (i * 100 + j) as f32);
        let bias = Array::from_shape_fn(8 * units, |i| i as f32);
        let out = to_keras(
            cell,
            &[kernel.into_dyn(), recurrent.into_dyn(), bias.into_dyn()],
        );
        // Gate 0 of the kernel: block [[0, 1, 2], [100, 101, 102]], its
        // C-order bytes 0 1 2 100 101 102 read back in F order as (2, 3).
        let k = out[0].view().into_dimensionality::<Ix2>().unwrap();
        assert_eq!(
            k.slice(s![.., 0..3]),
            ndarray::arr2(&[[0., 2., 101.], [1., 100., 102.]])
        );
        // Recurrent gate 1 is transposed.
        let r = out[1].view().into_dimensionality::<Ix2>().unwrap();
        assert_eq!(r[[0, 3]], 3.0);
        assert_eq!(r[[1, 3]], 4.0);
        assert_eq!(r[[0, 4]], 103.0);
        // The two biases add up.
        assert_eq!(out[2].shape(), &[12]);
        assert_eq!(out[2][[0]], 0.0 + 12.0);
        let gru = to_keras(
            CellKind::Gru { reset_after: true },
            &[
                ArrayD::zeros(IxDyn(&[2, 9])),
                ArrayD::zeros(IxDyn(&[3, 9])),
                Array::from_shape_fn(18, |i| i as f32).into_dyn(),
            ],
        );
        assert_eq!(gru[2].shape(), &[2, 9]);
        assert_eq!(gru[2][[1, 0]], 9.0);
    }
}
