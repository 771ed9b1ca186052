//! Shape inference, parameter counts and weight lists, layer by layer.

use super::names::{LayerNames, DEFAULT_MODEL_NAME};
use super::{
    CheckError, Direction, LayerInfo, ModelInfo, Shape, WeightInit, WeightRole, WeightSpec,
    MAX_PARAMS,
};
use crate::ir::{
    CellKind, Dense, InputDecl, InputDtype, Layer, LayerKind, MergeMode, Model, Recurrent,
};

/// Formats a shape as Keras prints it: `(None, 10, 8)`, `(None,)`.
pub fn format_shape(shape: &[Option<u64>]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| d.map_or_else(|| "None".to_string(), |n| n.to_string()))
        .collect();
    if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    }
}

/// Infers every layer's shapes and weights; `total_params` is left for the caller.
pub(super) fn infer(model: &Model, names: Vec<LayerNames>) -> Result<ModelInfo, Vec<CheckError>> {
    let Some(first) = model.layers.first() else {
        return Err(vec![CheckError::NoLayers]);
    };
    let decl = resolve_input(model, &names)?;
    let input_dtype = match (&first.kind, decl.dtype) {
        (LayerKind::Embedding(_), Some(dtype)) => dtype,
        (LayerKind::Embedding(_), None) => InputDtype::Int32,
        _ => InputDtype::Float32,
    };
    let mut input_shape = vec![decl.batch];
    input_shape.extend(decl.dims.iter().copied());

    let model_name = model.name.as_deref().unwrap_or(DEFAULT_MODEL_NAME);
    let mut layers: Vec<LayerInfo> = Vec::with_capacity(model.layers.len());
    let mut params_so_far: u128 = 0;
    let mut current = input_shape.clone();
    for (index, (layer, names)) in model.layers.iter().zip(names).enumerate() {
        if let Some(previous) = layers.last() {
            if previous.output_shapes.len() > 1 {
                return Err(vec![CheckError::MultipleOutputsNotLast {
                    layer: previous.name.clone(),
                    outputs: previous.output_shapes.len(),
                    span: model.layers[index - 1].span,
                }]);
            }
        }
        let ctx = LayerContext {
            model_name,
            names: &names,
            layer,
            input: &current,
            previous: index.checked_sub(1).map(|i| (&model.layers[i], &layers[i])),
        };
        let (output_shapes, weights, params) = ctx.infer_layer(index == 0)?;
        params_so_far += params;
        if params_so_far > u128::from(MAX_PARAMS) {
            return Err(vec![CheckError::TooManyParams {
                params: params_so_far,
                limit: MAX_PARAMS,
                span: layer.span,
            }]);
        }
        let input_shape = std::mem::replace(&mut current, output_shapes[0].clone());
        layers.push(LayerInfo {
            name: names.name,
            class_name: layer.kind.class_name(),
            keras_vars_group: layer.kind.keras_vars_group(),
            inner_names: names.inner,
            input_shape,
            output_shapes,
            params: params as u64,
            weights,
        });
    }
    Ok(ModelInfo {
        name: model_name.to_string(),
        input_dtype,
        input_shape,
        layers,
        total_params: 0,
    })
}

/// The model's input declaration: a leading `Input`, else the first layer's,
/// else — for an Embedding, as in the first example of Keras' RNN guide
/// (`Embedding(input_dim=1000, output_dim=64)` with no input length) — int32
/// token ids of any batch and length. Later declarations must agree with it.
fn resolve_input(model: &Model, names: &[LayerNames]) -> Result<InputDecl, Vec<CheckError>> {
    let first_layer = &model.layers[0];
    let missing = |sample: &'static str| {
        Err(vec![CheckError::MissingInputShape {
            layer: names[0].name.clone(),
            sample,
            span: first_layer.span,
        }])
    };
    let decl = match model.input.as_ref().or(first_layer.input.as_ref()) {
        Some(decl) => decl.clone(),
        None => match &first_layer.kind {
            LayerKind::Embedding(_) => InputDecl {
                batch: None,
                dims: vec![None],
                dtype: Some(InputDtype::Int32),
                span: first_layer.span,
            },
            LayerKind::Dense(_) => return missing("(features,)"),
            LayerKind::Recurrent(_)
            | LayerKind::Bidirectional(_)
            | LayerKind::TimeDistributed(_)
            | LayerKind::Dropout { .. }
            | LayerKind::Activation(_) => return missing("(timesteps, features)"),
        },
    };
    let errors: Vec<CheckError> = model
        .layers
        .iter()
        .zip(names)
        .filter_map(|(layer, names)| {
            let other = layer.input.as_ref()?;
            let agrees =
                other.dims == decl.dims && (other.batch.is_none() || other.batch == decl.batch);
            (!agrees).then(|| CheckError::ConflictingInputShape {
                layer: names.name.clone(),
                given: format_shape(&with_batch(other)),
                first: format_shape(&with_batch(&decl)),
                span: other.span,
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(decl)
    } else {
        Err(errors)
    }
}

fn with_batch(decl: &InputDecl) -> Shape {
    std::iter::once(decl.batch)
        .chain(decl.dims.iter().copied())
        .collect()
}

/// Everything one layer's inference needs.
struct LayerContext<'a> {
    model_name: &'a str,
    names: &'a LayerNames,
    layer: &'a Layer,
    input: &'a Shape,
    previous: Option<(&'a Layer, &'a LayerInfo)>,
}

/// Output shapes, weights and parameter count of one layer.
type Inferred = (Vec<Shape>, Vec<WeightSpec>, u128);

impl LayerContext<'_> {
    fn infer_layer(&self, is_first: bool) -> Result<Inferred, Vec<CheckError>> {
        let class = self.layer.kind.class_name();
        match &self.layer.kind {
            LayerKind::Recurrent(r) => {
                let features = self.sequence_features(class)?;
                let prefix = [self.names.name.as_str()];
                let (weights, params) = self.recurrent_weights(r, features, &prefix, None);
                Ok((recurrent_outputs(r, self.input, r.units), weights, params))
            }
            LayerKind::Bidirectional(b) => {
                if b.layer.go_backwards {
                    return Err(vec![CheckError::BidirectionalGoBackwards {
                        layer: self.names.name.clone(),
                        span: b.inner_span,
                    }]);
                }
                let features = self.sequence_features(class)?;
                let mut weights = Vec::new();
                let mut params = 0;
                for (inner, direction) in self
                    .names
                    .inner
                    .iter()
                    .zip([Direction::Forward, Direction::Backward])
                {
                    let prefix = [self.names.name.as_str(), inner.as_str()];
                    let (w, p) =
                        self.recurrent_weights(&b.layer, features, &prefix, Some(direction));
                    weights.extend(w);
                    params += p;
                }
                Ok((
                    bidirectional_outputs(b.layer.clone(), b.merge_mode, self.input),
                    weights,
                    params,
                ))
            }
            LayerKind::Dense(d) => {
                let features = self.last_axis(class, 2, "2 or more")?;
                let prefix = [self.names.name.as_str()];
                let (weights, params) = self.dense_weights(d, features, &prefix);
                Ok((vec![replace_last(self.input, d.units)], weights, params))
            }
            LayerKind::TimeDistributed(inner) => {
                let LayerKind::Dense(d) = &inner.kind else {
                    unreachable!("the frontend only wraps Dense in TimeDistributed")
                };
                let features = self.last_axis(class, 3, "3 or more")?;
                let prefix = [self.names.name.as_str(), self.names.inner[0].as_str()];
                let (weights, params) = self.dense_weights(d, features, &prefix);
                Ok((vec![replace_last(self.input, d.units)], weights, params))
            }
            LayerKind::Embedding(e) => {
                if !is_first {
                    return Err(vec![CheckError::EmbeddingNotFirst {
                        layer: self.names.name.clone(),
                        span: self.layer.span,
                    }]);
                }
                if self.input.len() != 2 {
                    return Err(vec![self.wrong_rank(class, "2 (batch, time)")]);
                }
                let shape = vec![e.input_dim as usize, e.output_dim as usize];
                let params = u128::from(e.input_dim) * u128::from(e.output_dim);
                let weights = vec![self.weight(
                    &[self.names.name.as_str()],
                    None,
                    WeightRole::Embeddings,
                    None,
                    shape,
                    WeightInit::Keras(e.embeddings_initializer),
                )];
                let mut out = self.input.clone();
                out.push(Some(e.output_dim));
                Ok((vec![out], weights, params))
            }
            LayerKind::Dropout { .. } | LayerKind::Activation(_) => {
                Ok((vec![self.input.clone()], Vec::new(), 0))
            }
        }
    }

    /// The feature size of a `(batch, time, features)` input.
    fn sequence_features(&self, class: &'static str) -> Result<u64, Vec<CheckError>> {
        if self.input.len() != 3 {
            let producer = self.previous.and_then(|(layer, info)| {
                let recurrent = match &layer.kind {
                    LayerKind::Recurrent(r) => Some(r),
                    LayerKind::Bidirectional(b) => Some(&b.layer),
                    _ => None,
                }?;
                (!recurrent.return_sequences).then(|| info.name.clone())
            });
            return Err(vec![CheckError::NotASequence {
                layer: self.names.name.clone(),
                class,
                got: format_shape(self.input),
                producer,
                span: self.layer.span,
            }]);
        }
        self.known_last(class)
    }

    /// The last axis of an input of at least `min_rank` dimensions.
    fn last_axis(
        &self,
        class: &'static str,
        min_rank: usize,
        expected: &'static str,
    ) -> Result<u64, Vec<CheckError>> {
        if self.input.len() < min_rank {
            return Err(vec![self.wrong_rank(class, expected)]);
        }
        self.known_last(class)
    }

    fn known_last(&self, class: &'static str) -> Result<u64, Vec<CheckError>> {
        self.input.last().copied().flatten().ok_or_else(|| {
            vec![CheckError::UnknownFeatures {
                layer: self.names.name.clone(),
                class,
                got: format_shape(self.input),
                span: self.layer.span,
            }]
        })
    }

    fn wrong_rank(&self, class: &'static str, expected: &'static str) -> CheckError {
        CheckError::WrongRank {
            layer: self.names.name.clone(),
            class,
            expected,
            got: format_shape(self.input),
            span: self.layer.span,
        }
    }

    /// Kernel, recurrent kernel and bias of a recurrent layer fed `features`.
    fn recurrent_weights(
        &self,
        r: &Recurrent,
        features: u64,
        prefix: &[&str],
        direction: Option<Direction>,
    ) -> (Vec<WeightSpec>, u128) {
        let units = r.units as usize;
        let gates = r.cell.gates() as usize;
        let cell = match r.cell {
            CellKind::SimpleRnn => "simple_rnn_cell",
            CellKind::Lstm { .. } => "lstm_cell",
            CellKind::Gru { .. } => "gru_cell",
        };
        let mut weights = vec![
            self.weight(
                prefix,
                Some(cell),
                WeightRole::Kernel,
                direction,
                vec![features as usize, gates * units],
                WeightInit::Keras(r.kernel_initializer),
            ),
            self.weight(
                prefix,
                Some(cell),
                WeightRole::RecurrentKernel,
                direction,
                vec![units, gates * units],
                WeightInit::Keras(r.recurrent_initializer),
            ),
        ];
        if r.use_bias {
            let (shape, init) = match r.cell {
                CellKind::Gru { reset_after: true } => (
                    vec![2, gates * units],
                    WeightInit::Keras(r.bias_initializer),
                ),
                CellKind::Lstm {
                    unit_forget_bias: true,
                } => (
                    vec![gates * units],
                    WeightInit::UnitForgetBias(r.bias_initializer),
                ),
                _ => (vec![gates * units], WeightInit::Keras(r.bias_initializer)),
            };
            weights.push(self.weight(prefix, Some(cell), WeightRole::Bias, direction, shape, init));
        }
        let params = weights
            .iter()
            .map(|w| w.shape.iter().map(|&d| d as u128).product::<u128>())
            .sum();
        (weights, params)
    }

    /// Kernel and bias of a Dense layer fed `features`.
    fn dense_weights(&self, d: &Dense, features: u64, prefix: &[&str]) -> (Vec<WeightSpec>, u128) {
        let mut weights = vec![self.weight(
            prefix,
            None,
            WeightRole::Kernel,
            None,
            vec![features as usize, d.units as usize],
            WeightInit::Keras(d.kernel_initializer),
        )];
        if d.use_bias {
            weights.push(self.weight(
                prefix,
                None,
                WeightRole::Bias,
                None,
                vec![d.units as usize],
                WeightInit::Keras(d.bias_initializer),
            ));
        }
        let params = weights
            .iter()
            .map(|w| w.shape.iter().map(|&d| d as u128).product::<u128>())
            .sum();
        (weights, params)
    }

    fn weight(
        &self,
        prefix: &[&str],
        cell: Option<&str>,
        role: WeightRole,
        direction: Option<Direction>,
        shape: Vec<usize>,
        init: WeightInit,
    ) -> WeightSpec {
        let key = format!("{}/{}", prefix.join("/"), role.keras_name());
        let path = match cell {
            Some(cell) => format!(
                "{}/{}/{cell}/{}",
                self.model_name,
                prefix.join("/"),
                role.keras_name()
            ),
            None => format!("{}/{key}", self.model_name),
        };
        WeightSpec {
            role,
            direction,
            key,
            path,
            shape,
            init,
        }
    }
}

/// `shape` with its last axis replaced by `units`.
fn replace_last(shape: &Shape, units: u64) -> Shape {
    let mut out = shape.clone();
    if let Some(last) = out.last_mut() {
        *last = Some(units);
    }
    out
}

/// Outputs of a recurrent layer whose per-direction output size is `width`:
/// the sequence or last step, then its states with `return_state`.
fn recurrent_outputs(r: &Recurrent, input: &Shape, width: u64) -> Vec<Shape> {
    let (batch, time) = (input[0], input[1]);
    let main = if r.return_sequences {
        vec![batch, time, Some(width)]
    } else {
        vec![batch, Some(width)]
    };
    let mut outputs = vec![main];
    if r.return_state {
        outputs.extend((0..r.cell.states()).map(|_| vec![batch, Some(r.units)]));
    }
    outputs
}

/// Outputs of a Bidirectional layer: merged output (or both with
/// `merge_mode=None`), then forward states, then backward states.
fn bidirectional_outputs(r: Recurrent, merge: MergeMode, input: &Shape) -> Vec<Shape> {
    let merged_width = match merge {
        MergeMode::Concat => 2 * r.units,
        _ => r.units,
    };
    let mut one_direction = recurrent_outputs(&r, input, merged_width);
    let main = one_direction.remove(0);
    let states = one_direction;
    let mut outputs = if merge == MergeMode::None {
        vec![main.clone(), main]
    } else {
        vec![main]
    };
    outputs.extend(states.iter().cloned());
    outputs.extend(states);
    outputs
}
