//! Reading an outputs `.npz` (`output_0`, `output_1`, …) and comparing it
//! with Keras' expected outputs.

use std::path::Path;

use ndarray::ArrayD;
use ndarray_npy::NpzReader;

/// The arrays of an outputs `.npz`, with their names, in output order.
pub fn read_npz(path: &Path) -> Vec<(String, ArrayD<f32>)> {
    let mut npz = NpzReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut names = npz.names().unwrap();
    names.sort_by_key(|n| {
        n.trim_start_matches("output_")
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    });
    names
        .into_iter()
        .map(|n| {
            let a: ArrayD<f32> = npz.by_name(&n).unwrap();
            (n, a)
        })
        .collect()
}

/// The largest |a - e| over two arrays of one shape; NaN in both agrees
/// (Keras' masked average of a fully padded row is 0/0), NaN in one makes
/// the result NaN.
pub fn max_abs_error(a: &ArrayD<f32>, e: &ArrayD<f32>) -> f32 {
    a.iter()
        .zip(e)
        .map(|(x, y)| {
            if x.is_nan() && y.is_nan() {
                0.0
            } else {
                (x - y).abs()
            }
        })
        .fold(0f32, |m, d| if d.is_nan() || d > m { d } else { m })
}
