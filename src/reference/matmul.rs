//! The reference interpreter's matrix products.
//!
//! ndarray's `dot` (matrixmultiply) packs the whole right-hand matrix on
//! every call, which for the recurrent product `h·U` with a few rows of `h`
//! (taken once per time step) costs more than the arithmetic: faer's matmul
//! takes those, 4× faster on LSTM(256) at batch 1. From [`FAER_MAX_ROWS`]
//! rows on, ndarray's packed kernel is the faster (8× at batch 32 on
//! row-major operands). One thread: the reference must not depend on the
//! machine's cores.

use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2};

/// Left-hand matrices with fewer rows go through faer.
const FAER_MAX_ROWS: usize = 8;

/// `a · b`.
pub fn dot(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    if a.nrows() >= FAER_MAX_ROWS {
        return a.dot(&b);
    }
    dot_faer(a, b)
}

/// `a · b` through faer.
pub fn dot_faer(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let (m, k) = a.dim();
    let n = b.ncols();
    debug_assert_eq!(b.nrows(), k);
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let mut out = Array2::<f32>::zeros((m, n));
    let (Some(a_slice), Some(b_slice), Some(out_slice)) =
        (a.as_slice(), b.as_slice(), out.as_slice_mut())
    else {
        unreachable!("standard-layout arrays are contiguous")
    };
    faer::linalg::matmul::matmul(
        MatMut::from_row_major_slice_mut(out_slice, m, n),
        Accum::Replace,
        MatRef::from_row_major_slice(a_slice, m, k),
        MatRef::from_row_major_slice(b_slice, k, n),
        1.0f32,
        Par::Seq,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

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
