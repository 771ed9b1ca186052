//! The reference interpreter's matrix products, through faer.
//!
//! ndarray's `dot` (matrixmultiply) packs the whole right-hand matrix on
//! every call, which for the recurrent product `h·U` (taken once per time
//! step) costs as much as the arithmetic, and its kernels stop at AVX2:
//! faer's matmul is 4× faster on LSTM(256) at batch 1 and 1.7× at batch 32
//! (the whole reference run). One thread: the reference must not depend on
//! the machine's cores.

use faer::{Accum, MatMut, MatRef, Par};
use std::ops::Range;

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

/// `a · b`.
pub fn dot(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros((a.nrows(), b.ncols()));
    let n = b.ncols();
    product(out.view_mut(), 0..n, a, b, 0..n, Accum::Replace);
    out
}

/// `out[:, out_columns] += a · b[:, b_columns]`, reading and writing the
/// column blocks in place (gate blocks of a step's gates and of a recurrent
/// kernel) instead of copying them out at every step. `out` is in standard
/// layout.
pub fn add_dot(
    out: ArrayViewMut2<f32>,
    out_columns: Range<usize>,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    b_columns: Range<usize>,
) {
    product(out, out_columns, a, b, b_columns, Accum::Add);
}

fn product(
    mut out: ArrayViewMut2<f32>,
    out_columns: Range<usize>,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    b_columns: Range<usize>,
    accum: Accum,
) {
    let (m, k) = a.dim();
    let n = b_columns.len();
    assert!(b_columns.end <= b.ncols(), "columns of a matrix product");
    assert!(
        out_columns.end <= out.ncols(),
        "columns of a matrix product"
    );
    assert_eq!(b.nrows(), k, "inner dimensions of a matrix product");
    assert_eq!(out.nrows(), m, "rows of a matrix product's output");
    assert_eq!(out_columns.len(), n, "columns of a matrix product's output");
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let (b_stride, out_stride) = (b.ncols(), out.ncols());
    let (Some(a_slice), Some(b_slice), Some(out_slice)) =
        (a.as_slice(), b.as_slice(), out.as_slice_mut())
    else {
        unreachable!("standard-layout arrays are contiguous")
    };
    faer::linalg::matmul::matmul(
        // faer 0.24's `from_row_major_slice_with_stride_mut` lays the
        // matrix out column-major (its strides are swapped); the transpose
        // of the column-major view is the row-major one.
        MatMut::from_column_major_slice_with_stride_mut(
            &mut out_slice[out_columns.start..],
            n,
            m,
            out_stride,
        )
        .transpose_mut(),
        accum,
        MatRef::from_row_major_slice(a_slice, m, k),
        MatRef::from_row_major_slice_with_stride(&b_slice[b_columns.start..], k, n, b_stride),
        1.0f32,
        Par::Seq,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn accumulates_into_the_output() {
        let a = array![[1.0f32, 2.0], [3.0, 4.0]];
        let b = array![[1.0f32, 0.0], [0.0, 1.0]];
        let mut out = array![[10.0f32, 20.0], [30.0, 40.0]];
        add_dot(out.view_mut(), 0..2, a.view(), b.view(), 0..2);
        assert_eq!(out, array![[11.0f32, 22.0], [33.0, 44.0]]);
    }

    #[test]
    fn a_column_block_is_read_in_place() {
        let a = array![[1.0f32, 2.0]];
        let b = array![[1.0f32, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]];
        let mut out = array![[9.0f32, 0.5, 0.25]];
        add_dot(out.view_mut(), 1..3, a.view(), b.view(), 2..4);
        assert_eq!(out, array![[9.0f32, 17.5, 20.25]]);
    }

    #[test]
    fn tall_products_match_too() {
        let a = Array2::from_shape_fn((9, 3), |(i, j)| (i * 3 + j) as f32);
        let b = Array2::from_shape_fn((3, 2), |(i, j)| (i + 2 * j) as f32 - 1.0);
        assert_eq!(dot(a.view(), b.view()), a.dot(&b));
    }

    #[test]
    fn matches_ndarray() {
        let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let b = array![[1.0f32, 0.5], [-1.0, 2.0], [0.25, 3.0]];
        assert_eq!(dot(a.view(), b.view()), a.dot(&b));
        // A transposed (non-standard) view.
        let bt = b.t().to_owned();
        assert_eq!(dot(a.view(), bt.t()), a.dot(&b));
    }
}
