//! `Conv1D`, `MaxPooling1D` and `AveragePooling1D` as ONNX `Conv` /
//! `MaxPool` / `AveragePool` on the channels-first transpose of the
//! `(batch, steps, channels)` input.
//!
//! Keras' `same` padding is TensorFlow's: `ceil(T / strides)` outputs, the
//! odd padding step at the end, which is ONNX's `auto_pad="SAME_UPPER"`;
//! `causal` is `(kernel_size - 1) * dilation_rate` explicit zeros in front.
//! An average over a padded window counts only the real steps, as
//! TensorFlow does (ONNX's `count_include_pad=0`, the default).

use super::builder::{attr_int, attr_ints, attr_string};
use super::{activation, Emitter};
use crate::check::WeightRole;
use crate::ir::{Conv1D, LayerId, Padding, Pool, Pooling1D};

fn channels_first(em: &mut Emitter<'_>, x: &str) -> String {
    em.b.op("Transpose", &[x], vec![attr_ints("perm", &[0, 2, 1])])
}

fn padding_attributes(
    padding: Padding,
    kernel: u64,
    dilation: u64,
) -> Vec<super::proto::AttributeProto> {
    match padding {
        Padding::Valid => vec![attr_string("auto_pad", "VALID")],
        Padding::Same => vec![attr_string("auto_pad", "SAME_UPPER")],
        Padding::Causal => vec![attr_ints("pads", &[((kernel - 1) * dilation) as i64, 0])],
    }
}

/// Emits a `Conv1D` on `x` `[B, T, C]`; returns `[B, T', filters]`.
pub(super) fn conv1d(em: &mut Emitter<'_>, id: LayerId, c: &Conv1D, x: &str) -> String {
    let specs = &em.info.layer(id).weights;
    let (kernel_key, bias_key) = (specs[0].key.clone(), specs.get(1).map(|s| s.key.clone()));
    let kernel = em
        .weights
        .array(em.info, id, WeightRole::Kernel)
        .expect("Conv1D has a kernel");
    // W: onnx interface: [filters, channels / groups, kernel_size], from
    // Keras' [kernel_size, channels / groups, filters].
    let w = kernel.permuted_axes(ndarray::IxDyn(&[2, 1, 0]));
    let w = em.b.initializer(&kernel_key, w.as_standard_layout().view());
    let xt = channels_first(em, x);
    let mut inputs = vec![xt, w];
    if let (Some(key), Some(bias)) = (bias_key, em.weights.array(em.info, id, WeightRole::Bias)) {
        // B: [filters]
        inputs.push(em.b.initializer(&key, bias));
    }
    let mut attributes = vec![
        attr_ints("kernel_shape", &[c.kernel_size as i64]),
        attr_ints("strides", &[c.strides as i64]),
        attr_ints("dilations", &[c.dilation_rate as i64]),
        attr_int("group", c.groups as i64),
    ];
    attributes.extend(padding_attributes(
        c.padding,
        c.kernel_size,
        c.dilation_rate,
    ));
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let y = em.b.op("Conv", &refs, attributes);
    let y = channels_first(em, &y);
    activation::apply(&mut em.b, c.activation, &y)
}

/// Emits a `MaxPooling1D` / `AveragePooling1D` on `x` `[B, T, C]`.
pub(super) fn pooling1d(em: &mut Emitter<'_>, p: &Pooling1D, x: &str) -> String {
    let op = match p.pool {
        Pool::Max => "MaxPool",
        Pool::Average => "AveragePool",
    };
    let xt = channels_first(em, x);
    let mut attributes = vec![
        attr_ints("kernel_shape", &[p.pool_size as i64]),
        attr_ints("strides", &[p.strides as i64]),
    ];
    attributes.extend(padding_attributes(p.padding, p.pool_size, 1));
    let y = em.b.op(op, &[&xt], attributes);
    channels_first(em, &y)
}
