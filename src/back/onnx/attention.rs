//! `Attention` (Luong), `AdditiveAttention` (Bahdanau) and `Dot`, from
//! Keras 3's `_calculate_scores` / `_apply_scores` and `Dot.call`.
//!
//! Luong `dot`: `scores = q · kᵀ (* scale)`; `concat`:
//! `scores = w * sum(tanh(scale * (q[:, :, None] + k[:, None])), -1)`;
//! Bahdanau: `scores = sum(scale * tanh(q[:, :, None] + k[:, None]), -1)`;
//! then `softmax(scores, -1) · value`, and the softmax as the second
//! output with `return_attention_scores=True`.

use super::builder::{attr_int, attr_ints};
use super::{masks, Emitter};
use crate::check::WeightRole;
use crate::ir::{Attention, LayerId};

/// Keras' `backend.epsilon()`, the floor of `normalize`'s norm.
const EPSILON: f32 = 1e-7;

/// Keras' bias on the scores of masked value steps (`max_value` of
/// `_apply_scores` for float32).
const MASKED_SCORE_BIAS: f32 = 1.0e9;

/// Emits an attention call on `[query, value]` or `[query, value, key]`;
/// returns the output and, when asked, the scores. Masks `[B, T]` as
/// Keras 3: `where(value_mask, scores, scores - 1e9)` before the softmax,
/// `where(query_mask, output, 0)` after.
pub(super) fn attention(
    em: &mut Emitter<'_>,
    id: LayerId,
    a: &Attention,
    xs: &[String],
    query_mask: Option<&str>,
    value_mask: Option<&str>,
) -> Vec<String> {
    let (q, v) = (&xs[0], &xs[1]);
    let k = xs.get(2).unwrap_or(v);
    let weight = |em: &mut Emitter<'_>, role: WeightRole| {
        let spec = em.info.layer(id).weights.iter().find(|w| w.role == role)?;
        let key = spec.key.clone();
        // scale: () for Luong, [dim] for Bahdanau; concat_score_weight: ()
        let array = em.weights.array(em.info, id, role)?;
        Some(em.b.initializer(&key, array))
    };
    let scale = weight(em, WeightRole::Scale);
    let concat_weight = weight(em, WeightRole::ConcatScoreWeight);
    let scores = if a.additive || a.concat {
        // [B, Tq, 1, D] + [B, 1, Tv, D]
        let q_axis = em.b.vec_i64(&[2]);
        let k_axis = em.b.vec_i64(&[1]);
        let q4 = em.b.op("Unsqueeze", &[q, &q_axis], vec![]);
        let k4 = em.b.op("Unsqueeze", &[k, &k_axis], vec![]);
        let mut sum = em.b.op("Add", &[&q4, &k4], vec![]);
        if a.additive {
            let mut t = em.b.op("Tanh", &[&sum], vec![]);
            if let Some(scale) = &scale {
                t = em.b.op("Mul", &[scale, &t], vec![]);
            }
            em.reduce_sum(&t, &[-1], false)
        } else {
            if let Some(scale) = &scale {
                sum = em.b.op("Mul", &[scale, &sum], vec![]);
            }
            let t = em.b.op("Tanh", &[&sum], vec![]);
            let total = em.reduce_sum(&t, &[-1], false);
            let w = concat_weight.expect("concat scores have a weight");
            em.b.op("Mul", &[&w, &total], vec![])
        }
    } else {
        let kt =
            em.b.op("Transpose", &[k], vec![attr_ints("perm", &[0, 2, 1])]);
        let mut s = em.b.op("MatMul", &[q, &kt], vec![]);
        if let Some(scale) = &scale {
            s = em.b.op("Mul", &[&s, scale], vec![]);
        }
        s
    };
    let scores = match value_mask {
        Some(mask) => {
            // [B, 1, Tv] against the scores [B, Tq, Tv].
            let axis = em.b.vec_i64(&[1]);
            let keep = em.b.op("Unsqueeze", &[mask, &axis], vec![]);
            let bias = em.b.scalar_f32(MASKED_SCORE_BIAS);
            let lowered = em.b.op("Sub", &[&scores, &bias], vec![]);
            em.b.op("Where", &[&keep, &scores, &lowered], vec![])
        }
        None => scores,
    };
    let weights = em.b.op("Softmax", &[&scores], vec![attr_int("axis", -1)]);
    let mut output = em.b.op("MatMul", &[&weights, v], vec![]);
    if let Some(mask) = query_mask {
        let keep = masks::unsqueeze_last(em, mask);
        let zero = em.b.scalar_f32(0.0);
        output = em.b.op("Where", &[&keep, &output, &zero], vec![]);
    }
    if a.return_scores {
        vec![output, weights]
    } else {
        vec![output]
    }
}

/// `Dot(axes, normalize)` of two vectors `[B, F]` or two sequences
/// `[B, T, F]` (`ranks` are the inputs' ranks, batch included).
pub(super) fn dot(
    em: &mut Emitter<'_>,
    xs: &[String],
    axes: [i64; 2],
    normalize: bool,
    ranks: (usize, usize),
) -> String {
    let resolve = |axis: i64, rank: usize| if axis < 0 { axis + rank as i64 } else { axis };
    let (ax, ay) = (resolve(axes[0], ranks.0), resolve(axes[1], ranks.1));
    let mut x = xs[0].clone();
    let mut y = xs[1].clone();
    if normalize {
        x = l2_normalize(em, &x, ax);
        y = l2_normalize(em, &y, ay);
    }
    if ranks.0 == 2 {
        // [B, 1, F] · [B, F, 1] = [B, 1, 1], then [B, 1].
        let one = em.b.vec_i64(&[1]);
        let two = em.b.vec_i64(&[2]);
        let row = em.b.op("Unsqueeze", &[&x, &one], vec![]);
        let col = em.b.op("Unsqueeze", &[&y, &two], vec![]);
        let product = em.b.op("MatMul", &[&row, &col], vec![]);
        return em.b.op("Squeeze", &[&product, &two], vec![]);
    }
    // Sequences: bring x's dot axis last and y's to the middle.
    let swap = |em: &mut Emitter<'_>, t: &str| {
        em.b.op("Transpose", &[t], vec![attr_ints("perm", &[0, 2, 1])])
    };
    if ax == 1 {
        x = swap(em, &x);
    }
    if ay == 2 {
        y = swap(em, &y);
    }
    em.b.op("MatMul", &[&x, &y], vec![])
}

/// Keras' `normalize(x, axis)`: `x * min(rsqrt(sum(x², axis)), 1/epsilon)`.
fn l2_normalize(em: &mut Emitter<'_>, x: &str, axis: i64) -> String {
    let square = em.b.op("Mul", &[x, x], vec![]);
    let sum = em.reduce_sum(&square, &[axis], true);
    let root = em.b.op("Sqrt", &[&sum], vec![]);
    let inv = em.b.op("Reciprocal", &[&root], vec![]);
    let cap = em.b.scalar_f32(1.0 / EPSILON);
    let inv = em.b.op("Min", &[&inv, &cap], vec![]);
    em.b.op("Mul", &[x, &inv], vec![])
}
