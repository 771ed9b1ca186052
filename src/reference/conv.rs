//! `Conv1D`, `MaxPooling1D` and `AveragePooling1D` on `(batch, steps,
//! channels)`, written as the sums and windows Keras (TensorFlow's
//! conventions) defines: `same` pads `ceil(T / s)` outputs' worth with the
//! odd step at the end, `causal` pads `(k - 1) * d` steps in front, and an
//! average over a padded window counts only the real steps.

use ndarray::{Array3, ArrayD, ArrayViewD, Ix1, Ix3};

use super::activation;
use crate::ir::{Conv1D, Padding, Pool, Pooling1D};

/// The number of outputs and the padding in front of a window of `span`
/// steps moved by `strides` over `steps`.
fn plan(steps: usize, span: usize, strides: usize, padding: Padding) -> (usize, usize) {
    match padding {
        Padding::Valid if steps < span => (0, 0),
        Padding::Valid => ((steps - span) / strides + 1, 0),
        Padding::Same if steps == 0 => (0, 0),
        Padding::Same => {
            let out = steps.div_ceil(strides);
            let total = ((out - 1) * strides + span).saturating_sub(steps);
            (out, total / 2)
        }
        Padding::Causal => (steps.div_ceil(strides), span - 1),
    }
}

/// Runs the convolution; `kernel` is Keras' `[k, C / groups, filters]`.
pub fn conv1d(
    c: &Conv1D,
    x: &ArrayD<f32>,
    kernel: ArrayViewD<f32>,
    bias: Option<ArrayViewD<f32>>,
) -> ArrayD<f32> {
    let x = x.view().into_dimensionality::<Ix3>().expect("checked: 3-D");
    let kernel = kernel
        .into_dimensionality::<Ix3>()
        .expect("checked: 3-D kernel");
    let bias = bias.map(|b| b.into_dimensionality::<Ix1>().expect("checked: 1-D bias"));
    let (batch, steps, channels) = x.dim();
    let (k, d, s) = (
        c.kernel_size as usize,
        c.dilation_rate as usize,
        c.strides as usize,
    );
    let filters = c.filters as usize;
    let groups = c.groups as usize;
    let (in_per_group, out_per_group) = (channels / groups, filters / groups);
    let (out_steps, front) = plan(steps, (k - 1) * d + 1, s, c.padding);
    let mut y = Array3::<f32>::zeros((batch, out_steps, filters));
    for b in 0..batch {
        for t in 0..out_steps {
            for f in 0..filters {
                let g = f / out_per_group;
                let mut sum = 0f32;
                for i in 0..k {
                    let pos = (t * s + i * d) as isize - front as isize;
                    if pos < 0 || pos as usize >= steps {
                        continue;
                    }
                    for ci in 0..in_per_group {
                        sum += x[[b, pos as usize, g * in_per_group + ci]] * kernel[[i, ci, f]];
                    }
                }
                if let Some(bias) = &bias {
                    sum += bias[f];
                }
                y[[b, t, f]] = sum;
            }
        }
    }
    let mut y = y.into_dyn();
    activation::apply(c.activation, &mut y);
    y
}

/// Runs the pooling over the steps axis.
pub fn pooling1d(p: &Pooling1D, x: &ArrayD<f32>) -> ArrayD<f32> {
    let x = x.view().into_dimensionality::<Ix3>().expect("checked: 3-D");
    let (batch, steps, channels) = x.dim();
    let (size, s) = (p.pool_size as usize, p.strides as usize);
    let (out_steps, front) = plan(steps, size, s, p.padding);
    let mut y = Array3::<f32>::zeros((batch, out_steps, channels));
    for b in 0..batch {
        for t in 0..out_steps {
            let start = (t * s) as isize - front as isize;
            let window =
                (start.max(0) as usize)..((start + size as isize).min(steps as isize) as usize);
            for ch in 0..channels {
                let values = window.clone().map(|i| x[[b, i, ch]]);
                y[[b, t, ch]] = match p.pool {
                    Pool::Max => values.fold(f32::NEG_INFINITY, f32::max),
                    Pool::Average => values.sum::<f32>() / window.len() as f32,
                };
            }
        }
    }
    y.into_dyn()
}
