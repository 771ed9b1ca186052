//! `Attention` (Luong), `AdditiveAttention` (Bahdanau) and `Dot`, written
//! from Keras 3's `_calculate_scores`, `_apply_scores` and `Dot.call`.

use ndarray::{Array2, Array3, ArrayD, ArrayViewD, Axis, Ix2, Ix3};

use super::activation;
use crate::check::WeightRole;
use crate::ir::{Activation, Attention};

/// Keras' `backend.epsilon()`, the floor of `normalize`'s norm.
const EPSILON: f32 = 1e-7;

fn seq(x: &ArrayD<f32>) -> ndarray::ArrayView3<'_, f32> {
    x.view()
        .into_dimensionality::<Ix3>()
        .expect("checked: (batch, steps, features)")
}

/// Keras' bias on the scores of masked value steps (`max_value` of
/// `_apply_scores` for float32).
const MASKED_SCORE_BIAS: f32 = 1.0e9;

/// Runs an attention call on `[query, value]` or `[query, value, key]`:
/// `softmax(scores) · value`, and the softmax too with `return_scores`.
///
/// Masks as Keras 3's `Attention.call`: a masked value step's score is
/// `score - 1e9` before the softmax; the output at a masked query step is
/// zeros (the scores returned are not masked by the query).
pub fn run<'w>(
    a: &Attention,
    xs: &[ArrayD<f32>],
    query_mask: Option<&Array2<bool>>,
    value_mask: Option<&Array2<bool>>,
    weight: &dyn Fn(WeightRole) -> Option<ArrayViewD<'w, f32>>,
) -> Vec<ArrayD<f32>> {
    let (q, v) = (seq(&xs[0]), seq(&xs[1]));
    let k = xs.get(2).map_or(v, seq);
    let (batch, tq, dim) = q.dim();
    let tv = k.dim().1;
    let scale = weight(WeightRole::Scale);
    let concat_weight =
        weight(WeightRole::ConcatScoreWeight).map(|w| w.iter().copied().sum::<f32>());
    let mut scores = Array3::<f32>::zeros((batch, tq, tv));
    for b in 0..batch {
        for i in 0..tq {
            for j in 0..tv {
                let (qi, kj) = (
                    q.slice(ndarray::s![b, i, ..]),
                    k.slice(ndarray::s![b, j, ..]),
                );
                scores[[b, i, j]] = if a.additive {
                    (0..dim)
                        .map(|d| {
                            let s = scale.as_ref().map_or(1.0, |s| s[d]);
                            s * (qi[d] + kj[d]).tanh()
                        })
                        .sum()
                } else if a.concat {
                    let s = scale.as_ref().map_or(1.0, |s| s.iter().copied().sum());
                    let total: f32 = (0..dim).map(|d| (s * (qi[d] + kj[d])).tanh()).sum();
                    concat_weight.expect("concat scores have a weight") * total
                } else {
                    let dot: f32 = (0..dim).map(|d| qi[d] * kj[d]).sum();
                    dot * scale.as_ref().map_or(1.0, |s| s.iter().copied().sum())
                };
            }
        }
    }
    if let Some(mask) = value_mask {
        for ((b, _, j), score) in scores.indexed_iter_mut() {
            if !mask[[b, j]] {
                *score -= MASKED_SCORE_BIAS;
            }
        }
    }
    let mut weights = scores.into_dyn();
    activation::apply(Activation::Softmax, &mut weights);
    let w3 = weights
        .view()
        .into_dimensionality::<Ix3>()
        .expect("3-D scores");
    let dv = v.dim().2;
    let mut out = Array3::<f32>::zeros((batch, tq, dv));
    for b in 0..batch {
        let product = w3.index_axis(Axis(0), b).dot(&v.index_axis(Axis(0), b));
        out.index_axis_mut(Axis(0), b).assign(&product);
    }
    if let Some(mask) = query_mask {
        for ((b, i), &keep) in mask.indexed_iter() {
            if !keep {
                out.slice_mut(ndarray::s![b, i, ..]).fill(0.0);
            }
        }
    }
    let mut outputs = vec![out.into_dyn()];
    if a.return_scores {
        outputs.push(weights);
    }
    outputs
}

/// `Dot(axes, normalize)` of two vectors or two sequences (Keras'
/// `batch_dot`; `axes` count the batch axis, negative from the end).
pub fn dot(x: &ArrayD<f32>, y: &ArrayD<f32>, axes: [i64; 2], normalize: bool) -> ArrayD<f32> {
    let resolve =
        |axis: i64, rank: usize| (if axis < 0 { axis + rank as i64 } else { axis }) as usize;
    let (ax, ay) = (resolve(axes[0], x.ndim()), resolve(axes[1], y.ndim()));
    let (x, y) = if normalize {
        (l2_normalize(x, ax), l2_normalize(y, ay))
    } else {
        (x.clone(), y.clone())
    };
    if x.ndim() == 2 {
        let (x2, y2) = (
            x.view().into_dimensionality::<Ix2>().expect("2-D"),
            y.view().into_dimensionality::<Ix2>().expect("2-D"),
        );
        let mut out = Array2::<f32>::zeros((x2.nrows(), 1));
        for (b, (xr, yr)) in x2.outer_iter().zip(y2.outer_iter()).enumerate() {
            out[[b, 0]] = xr.dot(&yr);
        }
        return out.into_dyn();
    }
    // Dot axis last on x, in the middle on y, then one product per sample.
    let x3 = seq(&x);
    let y3 = seq(&y);
    let x3 = if ax == 1 {
        x3.permuted_axes([0, 2, 1])
    } else {
        x3
    };
    let y3 = if ay == 2 {
        y3.permuted_axes([0, 2, 1])
    } else {
        y3
    };
    let (batch, rows, _) = x3.dim();
    let cols = y3.dim().2;
    let mut out = Array3::<f32>::zeros((batch, rows, cols));
    for b in 0..batch {
        let product = x3.index_axis(Axis(0), b).dot(&y3.index_axis(Axis(0), b));
        out.index_axis_mut(Axis(0), b).assign(&product);
    }
    out.into_dyn()
}

/// Keras' `normalize(x, axis)`: `x * min(rsqrt(sum(x², axis)), 1/epsilon)`.
fn l2_normalize(x: &ArrayD<f32>, axis: usize) -> ArrayD<f32> {
    let sums = x.map_axis(Axis(axis), |lane| lane.iter().map(|v| v * v).sum::<f32>());
    let inv = sums.mapv(|s| (1.0 / s.sqrt()).min(1.0 / EPSILON));
    x * &inv.insert_axis(Axis(axis))
}
