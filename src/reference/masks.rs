//! Keras masks on ndarray: making them (`Embedding(mask_zero=True)`,
//! `Masking`) and combining them by the check pass's [`MaskRule`]s.
//!
//! A mask is `[B, T]`, true where a step holds data. Written from Keras 3's
//! `Embedding.compute_mask`, `Masking.call` / `compute_mask` and the merge
//! layers' `compute_mask`.

use ndarray::{concatenate, Array2, ArrayD, ArrayViewD, Axis, Ix2, Ix3, Zip};

use crate::check::MaskRule;

/// A Keras mask `[B, T]`.
pub type Mask = Array2<bool>;

/// `Embedding(mask_zero=True)`: `ids != 0`.
fn non_zero_ids(ids: ArrayViewD<i64>) -> Mask {
    ids.mapv(|id| id != 0)
        .into_dimensionality::<Ix2>()
        .expect("checked: token ids are (batch, steps)")
}

/// `Masking(mask_value)`: `any(x != value, axis=-1)` over `x` `[B, T, F]`.
pub fn any_not_equal(x: &ArrayD<f32>, value: f32) -> Mask {
    let x = x
        .view()
        .into_dimensionality::<Ix3>()
        .expect("checked: Masking takes (batch, steps, features)");
    x.map_axis(Axis(2), |features| features.iter().any(|&v| v != value))
}

/// `Masking`'s output: `where(mask, x, 0)` (masked steps' features are +0).
pub fn masking(mut x: ArrayD<f32>, mask: &Mask) -> ArrayD<f32> {
    for ((b, t), &keep) in mask.indexed_iter() {
        if !keep {
            x.index_axis_mut(Axis(0), b)
                .index_axis_mut(Axis(0), t)
                .fill(0.0);
        }
    }
    x
}

/// What a call reads: token ids (an Embedding) or float arrays.
#[derive(Clone, Debug)]
pub enum CallData<'a> {
    Ids(ArrayViewD<'a, i64>),
    Values(&'a [ArrayD<f32>]),
}

/// The output mask `rule` makes from the call's data and its inputs' masks
/// (`None` for an input without one).
pub fn make(rule: &MaskRule, inputs: &[Option<&Mask>], data: &CallData<'_>) -> Option<Mask> {
    let mask = |k: usize| inputs[k].expect("the check pass only names masked inputs");
    match rule {
        MaskRule::None => None,
        MaskRule::NonZeroIds => match data {
            CallData::Ids(ids) => Some(non_zero_ids(ids.view())),
            CallData::Values(_) => unreachable!("checked: only an Embedding makes id masks"),
        },
        MaskRule::AnyNotEqual(value) => match data {
            CallData::Values(xs) => Some(any_not_equal(&xs[0], *value)),
            CallData::Ids(_) => unreachable!("checked: an Embedding makes id masks"),
        },
        MaskRule::Input(k) => Some(mask(*k).clone()),
        MaskRule::Any(ks) => Some(any(ks.iter().map(|&k| mask(k)))),
        MaskRule::ConcatTime(masked) => {
            let parts: Vec<Mask> = masked
                .iter()
                .enumerate()
                .map(|(k, &has)| {
                    if has {
                        mask(k).clone()
                    } else {
                        let CallData::Values(xs) = data else {
                            unreachable!("checked: a merge reads float values")
                        };
                        Array2::from_elem((xs[k].shape()[0], xs[k].shape()[1]), true)
                    }
                })
                .collect();
            let views: Vec<_> = parts.iter().map(|m| m.view()).collect();
            Some(concatenate(Axis(1), &views).expect("checked: equal batch sizes"))
        }
    }
}

/// The logical or of masks.
fn any<'a>(mut masks: impl Iterator<Item = &'a Mask>) -> Mask {
    let mut out = masks
        .next()
        .expect("a rule names at least one mask")
        .clone();
    for m in masks {
        Zip::from(&mut out).and(m).for_each(|a, &b| *a |= b);
    }
    out
}

/// `Multiply` under masks, as Keras 3's `Multiply._merge_function`: a masked
/// input counts as 1 at its masked steps; when every input has a mask, the
/// product is 0 where all of them are masked.
pub fn multiply(xs: &[ArrayD<f32>], masks: &[Option<&Mask>]) -> ArrayD<f32> {
    let factor = |x: &ArrayD<f32>, mask: Option<&Mask>| {
        let mut x = x.clone();
        if let Some(mask) = mask {
            for ((b, t), &keep) in mask.indexed_iter() {
                if !keep {
                    x.index_axis_mut(Axis(0), b)
                        .index_axis_mut(Axis(0), t)
                        .fill(1.0);
                }
            }
        }
        x
    };
    let mut out = factor(&xs[0], masks[0]);
    for (x, &mask) in xs.iter().zip(masks).skip(1) {
        out = out * factor(x, mask);
    }
    if masks.iter().all(Option::is_some) {
        let kept = any(masks.iter().map(|m| m.expect("all masked")));
        for ((b, t), &keep) in kept.indexed_iter() {
            if !keep {
                out.index_axis_mut(Axis(0), b)
                    .index_axis_mut(Axis(0), t)
                    .fill(0.0);
            }
        }
    }
    out
}

/// `Maximum` / `Minimum` (`max`: which) under masks, as Keras 3's
/// `_apply_merge_op_and_or_mask`, folding left: at a step where the next
/// input is masked it counts as the running result, where the running
/// result is masked it counts as the next input; the running mask is the
/// or of the masks while every input so far has one.
pub fn extremum(max: bool, xs: &[ArrayD<f32>], masks: &[Option<&Mask>]) -> ArrayD<f32> {
    // Where `mask` is false at a step, `x`'s step takes `from`'s.
    let fill = |x: &mut ArrayD<f32>, mask: &Mask, from: &ArrayD<f32>| {
        for ((b, t), &keep) in mask.indexed_iter() {
            if !keep {
                let source = from
                    .index_axis(Axis(0), b)
                    .index_axis(Axis(0), t)
                    .to_owned();
                x.index_axis_mut(Axis(0), b)
                    .index_axis_mut(Axis(0), t)
                    .assign(&source);
            }
        }
    };
    let mut out = xs[0].clone();
    let mut out_mask: Option<Mask> = masks[0].cloned();
    for (x, &mask) in xs.iter().zip(masks).skip(1) {
        let mut x = x.clone();
        if let Some(mask) = mask {
            fill(&mut x, mask, &out);
        }
        if let Some(out_mask) = &out_mask {
            fill(&mut out, out_mask, &x);
        }
        out_mask = match (mask, out_mask) {
            (Some(m), Some(o)) => Some(any([&o, m].into_iter())),
            _ => None,
        };
        Zip::from(&mut out).and(&x).for_each(|o, &v| {
            *o = if max {
                super::merge::maximum(*o, v)
            } else {
                super::merge::minimum(*o, v)
            };
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    #[test]
    fn masking_keeps_steps_with_any_other_feature_and_zeroes_the_rest() {
        let x = Array3::from_shape_vec((1, 3, 2), vec![0.0, 0.0, 0.0, -2.0, 1.0, 1.0])
            .unwrap()
            .into_dyn();
        let mask = any_not_equal(&x, 0.0);
        assert_eq!(mask, array![[false, true, true]]);
        let ones = any_not_equal(&x, 1.0);
        assert_eq!(ones, array![[true, true, false]]);
        let y = masking(x, &ones);
        assert_eq!(
            y.iter().copied().collect::<Vec<_>>(),
            [0.0, 0.0, 0.0, -2.0, 0.0, 0.0]
        );
    }

    #[test]
    fn merges_or_and_concatenate_masks() {
        let a = array![[true, false, true]];
        let b = array![[false, false, true]];
        let both = [Some(&a), Some(&b)];
        let xs = [
            ndarray::Array3::<f32>::zeros((1, 3, 2)).into_dyn(),
            ndarray::Array3::<f32>::zeros((1, 2, 2)).into_dyn(),
        ];
        assert_eq!(
            make(&MaskRule::Any(vec![0, 1]), &both, &CallData::Values(&xs)).unwrap(),
            array![[true, false, true]]
        );
        let time = make(
            &MaskRule::ConcatTime(vec![true, false]),
            &[Some(&a), None],
            &CallData::Values(&xs),
        )
        .unwrap();
        assert_eq!(time, array![[true, false, true, true, true]]);
    }
}
