//! Keras masks in the graph: `[B, T]` bool tensors computed from the model
//! inputs, so the file takes the same inputs as the Keras model (no
//! `sequence_lens`, which runtimes read differently; `docs/runtimes.md`).
//!
//! `Embedding(mask_zero=True)`: `Cast(ids, bool)` (`ids != 0`).
//! `Masking(v)`: `any(x != v)` over the features as `ReduceMax` of a float
//! cast (ONNX reductions take no bools before opset 20). Merges combine
//! masks with `And` / `Or` / `Concat` by the check pass's [`MaskRule`]s.

use super::builder::{attr_int, attr_tensor, f32_tensor};
use super::proto::tensor_proto::DataType;
use super::Emitter;
use crate::check::MaskRule;
use crate::ir::Pool;

/// `ids != 0` for token ids `[B, T]`.
fn non_zero_ids(em: &mut Emitter<'_>, ids: &str) -> String {
    em.b.op("Cast", &[ids], vec![attr_int("to", DataType::Bool as i64)])
}

/// `any(x != value, axis=-1)` for `x` `[B, T, F]`.
fn any_not_equal(em: &mut Emitter<'_>, x: &str, value: f32) -> String {
    let v = em.b.scalar_f32(value);
    let equal = em.b.op("Equal", &[x, &v], vec![]);
    let differs = em.b.op("Not", &[&equal], vec![]);
    let as_float = cast(em, &differs, DataType::Float);
    let any = em.reduce(Pool::Max, &as_float, &[2], false);
    cast(em, &any, DataType::Bool)
}

/// `Masking`'s output `where(mask[..., None], x, 0)`.
pub(super) fn masking(em: &mut Emitter<'_>, x: &str, mask: &str) -> String {
    let keep = unsqueeze_last(em, mask);
    let zero = em.b.scalar_f32(0.0);
    em.b.op("Where", &[&keep, x, &zero], vec![])
}

/// The mask `[B, T]` as float `[B, T, 1]` (1 at data steps).
fn float_steps(em: &mut Emitter<'_>, mask: &str) -> String {
    let as_float = cast(em, mask, DataType::Float);
    unsqueeze_last(em, &as_float)
}

/// `[B, T]` to `[B, T, 1]`.
pub(super) fn unsqueeze_last(em: &mut Emitter<'_>, x: &str) -> String {
    let axis = em.b.vec_i64(&[2]);
    em.b.op("Unsqueeze", &[x, &axis], vec![])
}

fn cast(em: &mut Emitter<'_>, x: &str, to: DataType) -> String {
    em.b.op("Cast", &[x], vec![attr_int("to", to as i64)])
}

/// The mask `rule` makes for a call output, from the call's inputs `xs`
/// (the data, and the steps an unmasked input adds to a time
/// concatenation) and their masks (`None` for an input without one).
pub(super) fn make(
    em: &mut Emitter<'_>,
    rule: &MaskRule,
    masks: &[Option<String>],
    xs: &[String],
) -> Option<String> {
    let mask = |k: usize| {
        masks[k]
            .clone()
            .expect("the check pass only names masked inputs")
    };
    let any = |em: &mut Emitter<'_>, ks: &[usize]| {
        let mut out = mask(ks[0]);
        for &k in &ks[1..] {
            out = em.b.op("Or", &[&out, &mask(k)], vec![]);
        }
        out
    };
    match rule {
        MaskRule::None => None,
        MaskRule::NonZeroIds => Some(non_zero_ids(em, &xs[0])),
        MaskRule::AnyNotEqual(value) => Some(any_not_equal(em, &xs[0], *value)),
        MaskRule::Input(k) => Some(mask(*k)),
        MaskRule::Any(ks) => Some(any(em, ks)),
        MaskRule::ConcatTime(masked) => {
            let parts: Vec<String> = masked
                .iter()
                .enumerate()
                .map(|(k, &has)| if has { mask(k) } else { all_steps(em, &xs[k]) })
                .collect();
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            Some(em.b.op("Concat", &refs, vec![attr_int("axis", 1)]))
        }
    }
}

/// `Multiply` under masks, as Keras 3's `Multiply._merge_function`: a
/// masked input counts as 1 at its masked steps; when every input has a
/// mask, the product is 0 where all of them are masked.
pub(super) fn multiply(em: &mut Emitter<'_>, xs: &[String], masks: &[Option<&str>]) -> String {
    let one = em.b.scalar_f32(1.0);
    let factors: Vec<String> = xs
        .iter()
        .zip(masks)
        .map(|(x, mask)| match mask {
            Some(mask) => {
                let keep = unsqueeze_last(em, mask);
                em.b.op("Where", &[&keep, x, &one], vec![])
            }
            None => x.clone(),
        })
        .collect();
    let mut out = factors[0].clone();
    for f in &factors[1..] {
        out = em.b.op("Mul", &[&out, f], vec![]);
    }
    if masks.iter().all(Option::is_some) {
        let mut kept = masks[0].expect("all masked").to_string();
        for m in &masks[1..] {
            kept = em.b.op("Or", &[&kept, m.expect("all masked")], vec![]);
        }
        let keep = unsqueeze_last(em, &kept);
        let zero = em.b.scalar_f32(0.0);
        out = em.b.op("Where", &[&keep, &out, &zero], vec![]);
    }
    out
}

/// `Maximum` / `Minimum` under masks, as Keras 3's
/// `_apply_merge_op_and_or_mask`, folding left: where the next input is
/// masked it counts as the running result, where the running result is
/// masked it counts as the next input; the running mask is the or of the
/// masks while every input so far has one.
pub(super) fn extremum(
    em: &mut Emitter<'_>,
    op: &str,
    xs: &[String],
    masks: &[Option<&str>],
) -> String {
    let mut out = xs[0].clone();
    let mut out_mask: Option<String> = masks[0].map(str::to_string);
    for (index, (x, mask)) in xs.iter().zip(masks).enumerate().skip(1) {
        let mut x = x.clone();
        if let Some(mask) = mask {
            let keep = unsqueeze_last(em, mask);
            x = em.b.op("Where", &[&keep, &x, &out], vec![]);
        }
        if let Some(out_mask) = &out_mask {
            let keep = unsqueeze_last(em, out_mask);
            out = em.b.op("Where", &[&keep, &out, &x], vec![]);
        }
        let last = index + 1 == xs.len();
        out_mask = match (mask, out_mask) {
            // The running mask only matters to the next input.
            (Some(m), Some(o)) if !last => Some(em.b.op("Or", &[&o, m], vec![])),
            _ => None,
        };
        out = em.b.op(op, &[&out, &x], vec![]);
    }
    out
}

/// An all-true mask `[B, T]` for `x` `[B, T, …]`.
fn all_steps(em: &mut Emitter<'_>, x: &str) -> String {
    let shape = em.b.op("Shape", &[x], vec![]);
    let start = em.b.vec_i64(&[0]);
    let end = em.b.vec_i64(&[2]);
    let steps = em.b.op("Slice", &[&shape, &start, &end], vec![]);
    let one = f32_tensor(ndarray::arr1(&[1.0f32]).into_dyn().view());
    let ones = em.b.op(
        "ConstantOfShape",
        &[&steps],
        vec![attr_tensor("value", one)],
    );
    cast(em, &ones, DataType::Bool)
}

/// `GlobalAveragePooling1D` under a mask, as Keras 3:
/// `sum(where(mask, x, 0), steps) / sum(mask, steps)` (NaN for a row with
/// every step masked, as in Keras).
pub(super) fn masked_average(em: &mut Emitter<'_>, x: &str, mask: &str) -> String {
    let keep = unsqueeze_last(em, mask);
    let zero = em.b.scalar_f32(0.0);
    let kept = em.b.op("Where", &[&keep, x, &zero], vec![]);
    let sum = em.reduce_sum(&kept, &[1], false);
    let count = float_steps(em, mask);
    let count = em.reduce_sum(&count, &[1], false);
    em.b.op("Div", &[&sum, &count], vec![])
}
