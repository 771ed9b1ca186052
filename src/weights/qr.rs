//! The `Q` of a reduced QR decomposition, formed in the matrix's own storage:
//! the core of Keras' orthogonal initializer.
//!
//! faer factors the matrix in place with blocked Householder reflections
//! (BLAS-3 speed, split between a fixed number of threads so that the bytes
//! do not depend on the machine's core count). `Q` is then built where the reflectors were stored, one
//! block at a time from the last, as LAPACK's `sorgqr` does: each block's
//! reflectors are copied into a small workspace (`m × block` values), their
//! columns reset to the identity, and the block reflector applied to every
//! column from the block on. The only memory beside the matrix is therefore
//! that workspace and faer's (`block × n` values), never a second `m × n`
//! matrix.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::householder;
use faer::linalg::qr::no_pivoting::factor;
use faer::{Conj, Mat, MatMut, Par};

/// The parallelism of every faer call.
fn par() -> Par {
    Par::rayon(THREADS)
}

/// Threads faer splits the work between: a fixed number, not the machine's
/// core count, because the split decides the order of some sums, and so the
/// last bits of `Q` (one thread and two give different bytes).
const THREADS: usize = 2;

/// Overwrites the `m × n` column-major matrix `a` (`m >= n`, full column
/// rank) with the `Q` of its reduced QR decomposition, normalized as Keras
/// does (`q *= sign(diag(r))`), so that `R`'s diagonal is positive.
pub fn orthonormalize(a: &mut [f32], m: usize, n: usize) {
    orthonormalize_with(a, m, n, par());
}

fn orthonormalize_with(a: &mut [f32], m: usize, n: usize, par: Par) {
    assert!(m >= n && a.len() == m * n, "a tall {m} × {n} matrix");
    if n == 0 {
        return;
    }
    let block = factor::recommended_block_size::<f32>(m, n);
    let mut a = MatMut::from_column_major_slice_mut(a, m, n);
    let mut factors = Mat::<f32>::zeros(block, n);
    let mut memory = MemBuffer::new(StackReq::any_of(&[
        factor::qr_in_place_scratch::<f32>(m, n, block, par, Default::default()),
        householder::apply_block_householder_on_the_left_in_place_scratch::<f32>(m, block, n),
    ]));
    let stack = MemStack::new(&mut memory);
    factor::qr_in_place(a.as_mut(), factors.as_mut(), par, stack, Default::default());
    // Keras multiplies column j of Q by sign(R[j, j]); a zero diagonal
    // (a matrix without full rank, probability zero) keeps its sign.
    let signs: Vec<f32> = (0..n)
        .map(|j| if a[(j, j)] < 0.0 { -1.0 } else { 1.0 })
        .collect();

    // The reflectors of block [start, end) live below the diagonal of
    // A[start.., start..end]; blocks start at multiples of `block`, as
    // `apply_block_householder_sequence_on_the_left_in_place_with_conj`
    // walks them.
    let mut basis = Mat::<f32>::zeros(m, block);
    let mut end = n;
    while end > 0 {
        let start = (end - 1) / block * block;
        let width = end - start;
        let rows = m - start;
        basis
            .as_mut()
            .get_mut(..rows, ..width)
            .copy_from(a.as_ref().get(start.., start..end));
        a.as_mut().get_mut(.., start..end).fill(0.0);
        for k in start..end {
            a[(k, k)] = 1.0;
        }
        householder::apply_block_householder_on_the_left_in_place_with_conj(
            basis.as_ref().get(..rows, ..width),
            factors.as_ref().get(..width, start..end),
            Conj::No,
            a.as_mut().get_mut(start.., start..),
            par,
            stack,
        );
        end = start;
    }
    for (j, sign) in signs.into_iter().enumerate() {
        if sign < 0.0 {
            a.as_mut().col_mut(j).iter_mut().for_each(|v| *v = -*v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, well-conditioned pseudo-random matrix.
    fn matrix(m: usize, n: usize) -> Vec<f32> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..m * n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn column(a: &[f32], m: usize, j: usize) -> &[f32] {
        &a[j * m..(j + 1) * m]
    }

    fn dot(x: &[f32], y: &[f32]) -> f64 {
        x.iter()
            .zip(y)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum()
    }

    /// Q's columns are orthonormal and R = QᵀA is upper triangular with a
    /// positive diagonal (then A = QR, since Q spans A's columns).
    fn check(m: usize, n: usize) {
        let a = matrix(m, n);
        let mut q = a.clone();
        orthonormalize(&mut q, m, n);
        for i in 0..n {
            for j in 0..n {
                let g = dot(column(&q, m, i), column(&q, m, j));
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((g - expected).abs() < 1e-5, "{m}×{n}: QᵀQ[{i},{j}] = {g}");
                let r = dot(column(&q, m, i), column(&a, m, j));
                if i > j {
                    assert!(r.abs() < 1e-5, "{m}×{n}: R[{i},{j}] = {r}");
                }
                if i == j {
                    assert!(r > 0.0, "{m}×{n}: R[{i},{i}] = {r}");
                }
            }
        }
    }

    #[test]
    fn q_is_orthonormal_with_a_positive_r_diagonal() {
        // Shapes around faer's block sizes (1, 4, 8, 32, 48, 64) and with a
        // last block shorter than the others.
        for (m, n) in [
            (1, 1),
            (2, 2),
            (5, 3),
            (12, 4),
            (40, 40),
            (200, 50),
            (260, 130),
        ] {
            check(m, n);
        }
    }

    #[test]
    fn a_hand_computed_case() {
        // [[3, 1], [4, 2]] by columns: Q = [[0.6, -0.8], [0.8, 0.6]], R's
        // diagonal (5, 0.4) positive.
        let mut q = [3.0, 4.0, 1.0, 2.0];
        orthonormalize(&mut q, 2, 2);
        let expected = [0.6, 0.8, -0.8, 0.6];
        for (got, want) in q.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{q:?}");
        }
    }

    #[test]
    fn the_same_matrix_gives_the_same_bytes() {
        // Large enough for faer to split the work between its threads.
        let (m, n) = (1024, 512);
        let bits = || {
            let mut q = matrix(m, n);
            orthonormalize(&mut q, m, n);
            q.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        let first = bits();
        for _ in 0..3 {
            assert!(bits() == first);
        }
    }
}
