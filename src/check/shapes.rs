//! Shape inference, parameter counts and weight lists, layer by layer.

use super::names::{default_model_name, LayerNames, Names};
use super::{
    CallInfo, CheckError, Direction, InputInfo, LayerInfo, ModelInfo, Shape, WeightInit,
    WeightRole, WeightSpec, MAX_PARAMS,
};
use crate::diag::Span;
use crate::ir::{
    ActivationLayer, Attention, Call, CellKind, Conv1D, Dense, Initializer, InputDecl, InputDtype,
    InputId, Layer, LayerKind, Merge, MergeMode, Model, ModelClass, Padding, Recurrent,
    RecurrentClass, Reshape, Value,
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

/// Infers every value's shape and every layer's weights; `total_params` and
/// `order` are left for the caller.
pub(super) fn infer(model: &Model, names: Names) -> Result<ModelInfo, Vec<CheckError>> {
    if model.calls.is_empty() {
        return Err(vec![CheckError::NoLayers]);
    }
    let inputs = resolve_inputs(model, &names)?;
    let model_name = model
        .name
        .as_deref()
        .unwrap_or_else(|| default_model_name(model.class));
    let path_root = match model.class {
        ModelClass::Sequential => Some(model_name),
        ModelClass::Functional => None,
    };
    let mut layers: Vec<LayerInfo> = model
        .layers
        .iter()
        .zip(&names.layers)
        .map(|(layer, names)| LayerInfo {
            name: names.name.clone(),
            class_name: layer.kind.class_name(),
            keras_vars_group: layer.kind.keras_vars_group(),
            inner_names: names.inner.clone(),
            input_shape: Vec::new(),
            output_shapes: Vec::new(),
            calls: Vec::new(),
            params: 0,
            weights: Vec::new(),
            // A Bidirectional's `recurrent()` is the layer it wraps.
            cudnn: layer
                .kind
                .recurrent()
                .filter(|r| r.class == RecurrentClass::Cudnn)
                .map(|r| r.cell),
        })
        .collect();
    let mut calls: Vec<CallInfo> = Vec::with_capacity(model.calls.len());
    let mut params_so_far: u128 = 0;
    for (id, call) in model.calls() {
        let layer = &model.layers[call.layer.index()];
        let shape_of = |v: Value| -> Shape {
            match v {
                Value::Input(i) => inputs[i.index()].shape.clone(),
                Value::Output { call, output } => {
                    calls[call.index()].output_shapes[output as usize].clone()
                }
            }
        };
        if let Some(err) = several_outputs_to_one_input(model, call, &layers) {
            return Err(vec![err]);
        }
        let input_shapes: Vec<Shape> = call.inputs.iter().map(|&v| shape_of(v)).collect();
        let state_shapes: Vec<Shape> = call.initial_state.iter().map(|&v| shape_of(v)).collect();
        let producer = call.inputs.first().and_then(|&v| match v {
            Value::Output { call, .. } => Some(&model.calls[call.index()]),
            Value::Input(_) => None,
        });
        let ctx = LayerContext {
            path_root,
            names: &names.layers[call.layer.index()],
            layer,
            span: call.span,
            input: &input_shapes[0],
            inputs: &input_shapes,
            producer: producer.map(|p| {
                (
                    &model.layers[p.layer.index()],
                    layers[p.layer.index()].name.as_str(),
                )
            }),
        };
        let reads_model_input = matches!(call.inputs.first(), Some(Value::Input(_)));
        let (output_shapes, weights, params) = ctx.infer_layer(reads_model_input)?;
        ctx.check_initial_state(&state_shapes, &output_shapes)?;
        let info = &mut layers[call.layer.index()];
        if info.calls.is_empty() {
            params_so_far += params;
            if params_so_far > u128::from(MAX_PARAMS) {
                return Err(vec![CheckError::TooManyParams {
                    params: params_so_far,
                    limit: MAX_PARAMS,
                    span: layer.span,
                }]);
            }
            info.input_shape = input_shapes[0].clone();
            info.output_shapes = output_shapes.clone();
            info.params = params as u64;
            info.weights = weights;
        } else if weights
            .iter()
            .map(|w| &w.shape)
            .ne(info.weights.iter().map(|w| &w.shape))
        {
            return Err(vec![CheckError::SharedLayerInput {
                layer: info.name.clone(),
                got: format_shape(&input_shapes[0]),
                first: format_shape(&info.input_shape),
                span: call.span,
            }]);
        }
        info.calls.push(id);
        let mut all_inputs = input_shapes;
        all_inputs.extend(state_shapes);
        calls.push(CallInfo {
            input_shapes: all_inputs,
            output_shapes,
            // Filled in by `masks::annotate` once every shape is known.
            output_masks: Vec::new(),
            reads_masks: false,
            used_masks: Vec::new(),
        });
    }
    let output_shapes = model
        .outputs
        .iter()
        .map(|&v| match v {
            Value::Input(i) => inputs[i.index()].shape.clone(),
            Value::Output { call, output } => {
                calls[call.index()].output_shapes[output as usize].clone()
            }
        })
        .collect();
    Ok(ModelInfo {
        name: model_name.to_string(),
        inputs,
        layers,
        order: Vec::new(),
        calls,
        output_shapes,
        total_params: 0,
    })
}

/// A Sequential layer fed all outputs of a layer that returns several: Keras
/// refuses it, and so does rnnc.
fn several_outputs_to_one_input(
    model: &Model,
    call: &Call,
    layers: &[LayerInfo],
) -> Option<CheckError> {
    let layer = &model.layers[call.layer.index()];
    if layer.kind.takes_list() || call.inputs.len() < 2 {
        return None;
    }
    let Value::Output { call: from, .. } = call.inputs[0] else {
        return None;
    };
    let producer = &model.calls[from.index()];
    Some(CheckError::MultipleOutputsNotLast {
        layer: layers[producer.layer.index()].name.clone(),
        outputs: call.inputs.len(),
        span: producer.span,
    })
}

/// Each model input's name, type and shape. A declared input is taken as
/// declared; an undeclared one (a Sequential model without `Input`) comes
/// from its first layer's declaration, else — for an Embedding, as in the
/// first example of Keras' RNN guide (`Embedding(input_dim=1000,
/// output_dim=64)` with no input length) — int32 token ids of any batch and
/// length. Later declarations on layers must agree with it. An input read by
/// an Embedding holds token ids (int32 unless declared int64); any other
/// input is float32.
fn resolve_inputs(model: &Model, names: &Names) -> Result<Vec<InputInfo>, Vec<CheckError>> {
    let mut out = Vec::with_capacity(model.inputs.len());
    for (index, input) in model.inputs.iter().enumerate() {
        let value = Value::Input(InputId(index as u32));
        let consumers: Vec<&Layer> = model
            .consumers(value)
            .map(|(_, c)| &model.layers[c.layer.index()])
            .collect();
        let embedding = consumers
            .iter()
            .find(|l| matches!(l.kind, LayerKind::Embedding(_)));
        if let Some(embedding) = embedding {
            if let Some(other) = consumers
                .iter()
                .find(|l| !matches!(l.kind, LayerKind::Embedding(_)))
            {
                let id = model.layers.iter().position(|l| std::ptr::eq(l, *other));
                return Err(vec![CheckError::MixedInputUse {
                    name: names.inputs[index].clone(),
                    other: other.kind.class_name(),
                    layer: id.map_or_else(String::new, |i| names.layers[i].name.clone()),
                    span: embedding.span,
                }]);
            }
        }
        let decl = match (&input.decl, index) {
            (_, 0) => first_input(model, names)?,
            (Some(decl), _) => decl.clone(),
            (None, _) => unreachable!("only a Sequential model's one input may be undeclared"),
        };
        let dtype = match (embedding.is_some(), decl.dtype) {
            (true, Some(dtype)) => dtype,
            (true, None) => InputDtype::Int32,
            (false, _) => InputDtype::Float32,
        };
        out.push(InputInfo {
            name: names.inputs[index].clone(),
            dtype,
            shape: with_batch(&decl),
        });
    }
    Ok(out)
}

/// The first input's declaration: as declared, else (a Sequential model
/// without `Input(...)`) the first layer's, checked against the other
/// layers' declarations.
fn first_input(model: &Model, names: &Names) -> Result<InputDecl, Vec<CheckError>> {
    let first_layer = &model.layers[0];
    let missing = |sample: &'static str| {
        Err(vec![CheckError::MissingInputShape {
            layer: names.layers[0].name.clone(),
            sample,
            span: first_layer.span,
        }])
    };
    let decl = match model.inputs[0].decl.as_ref().or(first_layer.input.as_ref()) {
        Some(decl) => decl.clone(),
        None => match &first_layer.kind {
            LayerKind::Embedding(_) => InputDecl {
                batch: None,
                dims: vec![None],
                dtype: Some(InputDtype::Int32),
                span: first_layer.span,
            },
            LayerKind::Dense(_) => return missing("(features,)"),
            LayerKind::Merge(_)
            | LayerKind::RepeatVector { .. }
            | LayerKind::Reshape(_)
            | LayerKind::Normalization(_)
            | LayerKind::Identity(_) => return missing("(features,)"),
            LayerKind::GlobalPooling(_)
            | LayerKind::Attention(_)
            | LayerKind::Conv1D(_)
            | LayerKind::Pooling1D(_)
            | LayerKind::Masking { .. } => return missing("(timesteps, features)"),
            LayerKind::ActivationLayer(_) => return missing("(features,)"),
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
        .zip(&names.layers)
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
    /// The model name that starts weight paths (Sequential), or none
    /// (functional: Keras builds the layers outside the model's scope).
    path_root: Option<&'a str>,
    names: &'a LayerNames,
    layer: &'a Layer,
    /// The call (or, in a Sequential model, the layer).
    span: Span,
    /// The first input's shape.
    input: &'a Shape,
    /// Every input's shape (the list of a merge).
    inputs: &'a [Shape],
    /// The layer that produced the first input and its name, unless it is a
    /// model input.
    producer: Option<(&'a Layer, &'a str)>,
}

/// Output shapes, weights and parameter count of one layer.
type Inferred = (Vec<Shape>, Vec<WeightSpec>, u128);

impl LayerContext<'_> {
    fn infer_layer(&self, reads_model_input: bool) -> Result<Inferred, Vec<CheckError>> {
        let class = self.layer.kind.class_name();
        match &self.layer.kind {
            LayerKind::Recurrent(r) => {
                if r.stateful && self.input.first() == Some(&None) {
                    return Err(vec![CheckError::StatefulBatch {
                        layer: self.names.name.clone(),
                        span: self.span,
                    }]);
                }
                let features = self.sequence_features(class)?;
                let prefix = [self.names.name.as_str()];
                let (weights, params) = self.recurrent_weights(r, features, &prefix, None);
                Ok((
                    recurrent_outputs(r, self.input, r.output_units()),
                    weights,
                    params,
                ))
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
                    let r = match direction {
                        Direction::Forward => &b.layer,
                        Direction::Backward => b.backward_layer(),
                    };
                    let (w, p) = self.recurrent_weights(r, features, &prefix, Some(direction));
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
                if !reads_model_input {
                    return Err(vec![CheckError::EmbeddingNotFirst {
                        layer: self.names.name.clone(),
                        span: self.span,
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
            LayerKind::Merge(Merge::Dot { axes, .. }) => {
                Ok((vec![self.dot(*axes)?], Vec::new(), 0))
            }
            LayerKind::Merge(m) => Ok((vec![self.merge(*m)?], Vec::new(), 0)),
            LayerKind::Identity(_) => Ok((vec![self.input.clone()], Vec::new(), 0)),
            LayerKind::Masking { .. } => {
                // rnnc's masks are per step of a sequence.
                if self.input.len() != 3 {
                    return Err(vec![self.wrong_rank(class, "3 (batch, steps, features)")]);
                }
                Ok((vec![self.input.clone()], Vec::new(), 0))
            }
            LayerKind::Reshape(r) => Ok((vec![self.reshape(r)?], Vec::new(), 0)),
            LayerKind::GlobalPooling(_) => {
                if self.input.len() != 3 {
                    return Err(vec![self.wrong_rank(class, "3 (batch, steps, features)")]);
                }
                Ok((vec![vec![self.input[0], self.input[2]]], Vec::new(), 0))
            }
            LayerKind::Normalization(n) => {
                let features = self.last_axis(class, 2, "2 or more")?;
                let prefix = [self.names.name.as_str()];
                let f = features as usize;
                let mut weights = Vec::new();
                let mut add = |role, init| {
                    weights.push(self.weight(
                        &prefix,
                        None,
                        role,
                        None,
                        vec![f],
                        WeightInit::Keras(init),
                    ));
                };
                if n.scale {
                    add(WeightRole::Gamma, Initializer::Ones);
                }
                if n.center {
                    add(WeightRole::Beta, Initializer::Zeros);
                }
                if n.batch {
                    add(WeightRole::MovingMean, Initializer::Zeros);
                    add(WeightRole::MovingVariance, Initializer::Ones);
                }
                let params = weights.len() as u128 * u128::from(features);
                Ok((vec![self.input.clone()], weights, params))
            }
            LayerKind::Attention(a) => self.attention(*a),
            LayerKind::Conv1D(c) => self.conv1d(c),
            LayerKind::Pooling1D(p) => {
                if self.input.len() != 3 {
                    return Err(vec![self.wrong_rank(class, "3 (batch, steps, features)")]);
                }
                let steps = window_steps(self.input[1], p.pool_size, p.strides, 1, p.padding);
                Ok((
                    vec![vec![self.input[0], steps, self.input[2]]],
                    Vec::new(),
                    0,
                ))
            }
            LayerKind::ActivationLayer(ActivationLayer::Prelu { shared_axes }) => {
                let mut shape = Vec::with_capacity(self.input.len() - 1);
                for (axis, dim) in self.input.iter().enumerate().skip(1) {
                    if shared_axes.contains(&axis) {
                        shape.push(1);
                    } else {
                        let Some(d) = dim else {
                            return Err(vec![CheckError::BadInput {
                                layer: self.names.name.clone(),
                                class,
                                got: format_shape(self.input),
                                why: format!("axis {axis} has no fixed size; share it with shared_axes=[{axis}]"),
                                span: self.span,
                            }]);
                        };
                        shape.push(*d as usize);
                    }
                }
                if shared_axes.iter().any(|&a| a == 0 || a >= self.input.len()) {
                    return Err(vec![CheckError::BadInput {
                        layer: self.names.name.clone(),
                        class,
                        got: format_shape(self.input),
                        why: format!("shared_axes {shared_axes:?} are not axes after the batch"),
                        span: self.span,
                    }]);
                }
                let params = shape.iter().product::<usize>() as u128;
                let prefix = [self.names.name.as_str()];
                let alpha = self.weight(
                    &prefix,
                    None,
                    WeightRole::Alpha,
                    None,
                    shape,
                    WeightInit::Keras(Initializer::Zeros),
                );
                Ok((vec![self.input.clone()], vec![alpha], params))
            }
            LayerKind::ActivationLayer(_) => Ok((vec![self.input.clone()], Vec::new(), 0)),
            LayerKind::RepeatVector { n } => {
                if self.input.len() != 2 {
                    return Err(vec![self.wrong_rank(class, "2 (batch, features)")]);
                }
                Ok((
                    vec![vec![self.input[0], Some(*n), self.input[1]]],
                    Vec::new(),
                    0,
                ))
            }
        }
    }

    /// `Conv1D`: `(batch, steps, channels)` to `(batch, steps', filters)`.
    fn conv1d(&self, c: &Conv1D) -> Result<Inferred, Vec<CheckError>> {
        let class = "Conv1D";
        if self.input.len() != 3 {
            return Err(vec![self.wrong_rank(class, "3 (batch, steps, channels)")]);
        }
        let channels = self.known_last(class)?;
        if !channels.is_multiple_of(c.groups) || !c.filters.is_multiple_of(c.groups) {
            return Err(vec![CheckError::BadInput {
                layer: self.names.name.clone(),
                class,
                got: format_shape(self.input),
                why: format!(
                    "groups={} must divide the {channels} channels and the {} filters",
                    c.groups, c.filters
                ),
                span: self.span,
            }]);
        }
        let steps = window_steps(
            self.input[1],
            c.kernel_size,
            c.strides,
            c.dilation_rate,
            c.padding,
        );
        if steps == Some(0) {
            return Err(vec![CheckError::BadInput {
                layer: self.names.name.clone(),
                class,
                got: format_shape(self.input),
                why: format!("a kernel of {} steps does not fit", c.kernel_size),
                span: self.span,
            }]);
        }
        let prefix = [self.names.name.as_str()];
        // kernel: [kernel_size, channels / groups, filters], as Keras holds it.
        let mut weights = vec![self.weight(
            &prefix,
            None,
            WeightRole::Kernel,
            None,
            vec![
                c.kernel_size as usize,
                (channels / c.groups) as usize,
                c.filters as usize,
            ],
            WeightInit::Keras(c.kernel_initializer),
        )];
        if c.use_bias {
            weights.push(self.weight(
                &prefix,
                None,
                WeightRole::Bias,
                None,
                vec![c.filters as usize],
                WeightInit::Keras(c.bias_initializer),
            ));
        }
        let params = weights
            .iter()
            .map(|w| w.shape.iter().map(|&d| d as u128).product::<u128>())
            .sum();
        Ok((
            vec![vec![self.input[0], steps, Some(c.filters)]],
            weights,
            params,
        ))
    }

    /// `Flatten`, `Reshape`, `Permute`.
    fn reshape(&self, r: &Reshape) -> Result<Shape, Vec<CheckError>> {
        let rest = &self.input[1..];
        let fail = |why: String| {
            vec![CheckError::BadInput {
                layer: self.names.name.clone(),
                class: self.layer.kind.class_name(),
                got: format_shape(self.input),
                why,
                span: self.span,
            }]
        };
        let product = |dims: &[Option<u64>]| dims.iter().try_fold(1u64, |p, d| Some(p * (*d)?));
        match r {
            Reshape::Flatten => Ok(vec![self.input[0], product(rest)]),
            Reshape::Permute(dims) => {
                let mut sorted = dims.clone();
                sorted.sort_unstable();
                if sorted != (1..=rest.len()).collect::<Vec<_>>() {
                    return Err(fail(format!(
                        "dims {dims:?} are not a permutation of 1..={}",
                        rest.len()
                    )));
                }
                Ok(std::iter::once(self.input[0])
                    .chain(dims.iter().map(|&d| self.input[d]))
                    .collect())
            }
            Reshape::Reshape(target) => {
                let known: u64 = target
                    .iter()
                    .filter(|&&d| d > 0)
                    .map(|&d| d as u64)
                    .product();
                let free = target.iter().filter(|&&d| d == -1).count();
                if free > 1 || target.iter().any(|&d| d == 0 || d < -1) {
                    return Err(fail(format!(
                        "target shape {target:?} may hold one -1 and positive sizes only"
                    )));
                }
                let total = product(rest);
                let filled = match (total, free) {
                    (Some(total), 0) if total != known => {
                        return Err(fail(format!(
                            "{total} values do not fit target shape {target:?}"
                        )))
                    }
                    (Some(total), 1) if known == 0 || total % known != 0 => {
                        return Err(fail(format!(
                            "{total} values do not fit target shape {target:?}"
                        )))
                    }
                    (Some(total), 1) => Some(total / known),
                    _ => None,
                };
                Ok(std::iter::once(self.input[0])
                    .chain(
                        target
                            .iter()
                            .map(|&d| if d == -1 { filled } else { Some(d as u64) }),
                    )
                    .collect())
            }
        }
    }

    /// `Dot(axes)`: the two inputs with their dot axis removed, concatenated
    /// (Keras' `batch_dot` shape), `(batch, 1)` for two vectors.
    fn dot(&self, axes: [i64; 2]) -> Result<Shape, Vec<CheckError>> {
        let class = "Dot";
        if self.inputs.len() != 2 {
            return Err(vec![CheckError::MergeArity {
                layer: self.names.name.clone(),
                class,
                got: self.inputs.len(),
                expected: "exactly 2",
                span: self.span,
            }]);
        }
        let (x, y) = (&self.inputs[0], &self.inputs[1]);
        let fail = |why: String| {
            vec![CheckError::MergeShapes {
                layer: self.names.name.clone(),
                class,
                shapes: format!("[{}, {}]", format_shape(x), format_shape(y)),
                why,
                span: self.span,
            }]
        };
        let resolve = |axis: i64, rank: usize| {
            let a = if axis < 0 { rank as i64 + axis } else { axis };
            (1..rank as i64).contains(&a).then_some(a as usize)
        };
        let (Some(ax), Some(ay)) = (resolve(axes[0], x.len()), resolve(axes[1], y.len())) else {
            return Err(fail(format!("axes {axes:?} are not feature axes")));
        };
        if x.len() > 3 || y.len() > 3 || x.len() != y.len() {
            return Err(fail(
                "rnnc takes Dot of two vectors or two sequences".into(),
            ));
        }
        if let (Some(a), Some(b)) = (x[ax], y[ay]) {
            if a != b {
                return Err(fail(format!("the dot axes have sizes {a} and {b}")));
            }
        }
        if x.len() == 2 {
            return Ok(vec![x[0], Some(1)]);
        }
        let mut out = vec![x[0]];
        out.extend((1..x.len()).filter(|&a| a != ax).map(|a| x[a]));
        out.extend((1..y.len()).filter(|&a| a != ay).map(|a| y[a]));
        Ok(out)
    }

    /// `Attention` / `AdditiveAttention` on `[query, value]` or
    /// `[query, value, key]`: output `(batch, Tq, dim)`, scores
    /// `(batch, Tq, Tv)`.
    fn attention(&self, a: Attention) -> Result<Inferred, Vec<CheckError>> {
        let class = self.layer.kind.class_name();
        if !(2..=3).contains(&self.inputs.len()) {
            return Err(vec![CheckError::MergeArity {
                layer: self.names.name.clone(),
                class,
                got: self.inputs.len(),
                expected: "[query, value] or [query, value, key]",
                span: self.span,
            }]);
        }
        let (q, v) = (&self.inputs[0], &self.inputs[1]);
        let k = self.inputs.get(2).unwrap_or(v);
        let fail = |why: String| {
            vec![CheckError::MergeShapes {
                layer: self.names.name.clone(),
                class,
                shapes: format!(
                    "[{}]",
                    self.inputs
                        .iter()
                        .map(|s| format_shape(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                why,
                span: self.span,
            }]
        };
        if [q, v, k].iter().any(|s| s.len() != 3) {
            return Err(fail(
                "query, value and key must be (batch, steps, features)".into(),
            ));
        }
        let Some(dim) = q[2] else {
            return Err(fail("the query's feature size must be known".into()));
        };
        if k[2].is_some_and(|d| d != dim) {
            return Err(fail(
                "the query and the key need the same feature size".into(),
            ));
        }
        if k[1].zip(v[1]).is_some_and(|(a, b)| a != b) {
            return Err(fail(
                "the value and the key need the same number of steps".into(),
            ));
        }
        let prefix = [self.names.name.as_str()];
        let mut weights = Vec::new();
        if a.use_scale {
            let (shape, init) = if a.additive {
                (vec![dim as usize], Initializer::GlorotUniform)
            } else {
                (Vec::new(), Initializer::Ones)
            };
            weights.push(self.weight(
                &prefix,
                None,
                WeightRole::Scale,
                None,
                shape,
                WeightInit::Keras(init),
            ));
        }
        if a.concat {
            weights.push(self.weight(
                &prefix,
                None,
                WeightRole::ConcatScoreWeight,
                None,
                Vec::new(),
                WeightInit::Keras(Initializer::Ones),
            ));
        }
        let params = weights
            .iter()
            .map(|w| w.shape.iter().map(|&d| d as u128).product::<u128>())
            .sum();
        let mut outputs = vec![vec![q[0], q[1], v[2]]];
        if a.return_scores {
            outputs.push(vec![q[0], q[1], v[1].or(k[1])]);
        }
        Ok((outputs, weights, params))
    }

    /// The output shape of a merge: Keras' rules for equal shapes (a free
    /// dimension matches any), and for `Concatenate` equal shapes but on the
    /// axis, which adds up.
    fn merge(&self, m: Merge) -> Result<Shape, Vec<CheckError>> {
        let class = m.class_name();
        let arity = |expected: &'static str| {
            vec![CheckError::MergeArity {
                layer: self.names.name.clone(),
                class,
                got: self.inputs.len(),
                expected,
                span: self.span,
            }]
        };
        match m {
            Merge::Subtract if self.inputs.len() != 2 => return Err(arity("exactly 2")),
            _ if self.inputs.is_empty() => return Err(arity("a list of at least 1")),
            _ => {}
        }
        let shapes = || {
            let all: Vec<String> = self.inputs.iter().map(|s| format_shape(s)).collect();
            format!("[{}]", all.join(", "))
        };
        let fail = |why: String| {
            vec![CheckError::MergeShapes {
                layer: self.names.name.clone(),
                class,
                shapes: shapes(),
                why,
                span: self.span,
            }]
        };
        let rank = self.input.len();
        if self.inputs.iter().any(|s| s.len() != rank) {
            return Err(fail("the ranks differ".into()));
        }
        let concat_axis = match m {
            Merge::Concatenate { axis } => {
                let resolved = if axis < 0 { rank as i64 + axis } else { axis };
                if resolved < 1 || resolved >= rank as i64 {
                    return Err(fail(format!(
                        "axis {axis} is not a feature axis of rank-{rank} tensors"
                    )));
                }
                Some(resolved as usize)
            }
            Merge::Add
            | Merge::Subtract
            | Merge::Multiply
            | Merge::Average
            | Merge::Maximum
            | Merge::Minimum => None,
            Merge::Dot { .. } => unreachable!("Dot has its own shape rule"),
        };
        let mut out = self.input.clone();
        for shape in &self.inputs[1..] {
            for axis in 0..rank {
                if Some(axis) == concat_axis {
                    out[axis] = out[axis].zip(shape[axis]).map(|(a, b)| a + b);
                    continue;
                }
                match (out[axis], shape[axis]) {
                    (Some(a), Some(b)) if a != b => {
                        return Err(fail(format!(
                            "axis {axis} is {a} in one and {b} in another"
                        )))
                    }
                    (None, known) => out[axis] = known,
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    /// `initial_state=`: as many states as the layer returns, each
    /// `(batch, units)`.
    fn check_initial_state(
        &self,
        states: &[Shape],
        outputs: &[Shape],
    ) -> Result<(), Vec<CheckError>> {
        if states.is_empty() {
            return Ok(());
        }
        let Some(r) = self.layer.kind.recurrent() else {
            unreachable!("the frontend gives initial_state only to recurrent layers")
        };
        // A Bidirectional layer takes each direction's states.
        let bidirectional = matches!(self.layer.kind, LayerKind::Bidirectional(_));
        let state_units: Vec<u64> = r.states().into_iter().map(|(_, units)| units).collect();
        let expected = if bidirectional { 2 } else { 1 } * state_units.len();
        if states.len() != expected {
            let class = if bidirectional {
                format!("Bidirectional {}", r.class_name())
            } else {
                r.class_name().to_string()
            };
            return Err(vec![CheckError::InitialStateCount {
                layer: self.names.name.clone(),
                class,
                got: states.len(),
                expected,
                span: self.span,
            }]);
        }
        let batch = outputs[0][0];
        for (index, state) in states.iter().enumerate() {
            let units = state_units[index % state_units.len()];
            let want = vec![batch, Some(units)];
            let fits = state.len() == 2
                && state[1] == Some(units)
                && (state[0].is_none() || batch.is_none() || state[0] == batch);
            if !fits {
                return Err(vec![CheckError::InitialStateShape {
                    layer: self.names.name.clone(),
                    index,
                    got: format_shape(state),
                    expected: format_shape(&want),
                    span: self.span,
                }]);
            }
        }
        Ok(())
    }

    /// The feature size of a `(batch, time, features)` input.
    fn sequence_features(&self, class: &'static str) -> Result<u64, Vec<CheckError>> {
        if self.input.len() != 3 {
            let producer = self.producer.and_then(|(layer, name)| {
                let recurrent = layer.kind.recurrent()?;
                (!recurrent.return_sequences).then(|| name.to_string())
            });
            return Err(vec![CheckError::NotASequence {
                layer: self.names.name.clone(),
                class,
                got: format_shape(self.input),
                producer,
                span: self.span,
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
                span: self.span,
            }]
        })
    }

    fn wrong_rank(&self, class: &'static str, expected: &'static str) -> CheckError {
        CheckError::WrongRank {
            layer: self.names.name.clone(),
            class,
            expected,
            got: format_shape(self.input),
            span: self.span,
        }
    }

    /// Kernel, recurrent kernel and bias of each cell of a recurrent layer
    /// fed `features`, cell after cell.
    fn recurrent_weights(
        &self,
        r: &Recurrent,
        features: u64,
        prefix: &[&str],
        direction: Option<Direction>,
    ) -> (Vec<WeightSpec>, u128) {
        // `RNN(cell)` names its cells (`self.names.inner`); a stacked one
        // after its `StackedRNNCells`.
        let own_cells = direction.is_none() && r.class == RecurrentClass::Rnn;
        let stacked = !r.stacked.is_empty();
        let mut weights = Vec::new();
        let mut features = features;
        let chain = r.chain();
        for (index, cell) in chain.iter().enumerate() {
            let cell_name = own_cells
                .then(|| self.names.inner.get(index + usize::from(stacked)))
                .flatten()
                .map(String::as_str);
            let mut specs = if stacked {
                let cell_name = cell_name.unwrap_or(cell.cell.keras_cell_prefix());
                // Keras 3's `.weights.h5` keys a stack's cells by class,
                // numbered per class within the stack (as `layers/` keys
                // the model's layers), whatever their names.
                let prefix_of = |c: &Recurrent| c.cell.keras_cell_prefix();
                let before = chain[..index]
                    .iter()
                    .filter(|c| prefix_of(c) == prefix_of(cell))
                    .count();
                let group = match before {
                    0 => prefix_of(cell).to_string(),
                    n => format!("{}_{n}", prefix_of(cell)),
                };
                let stack = self.names.inner[0].as_str();
                let within: Vec<&str> = prefix.iter().copied().chain([cell_name]).collect();
                self.cell_weights(cell, features, &within, None, direction)
                    .into_iter()
                    .map(|mut spec| {
                        // Keras: `<layer>/<stack>/<cell>/kernel`; the key
                        // keeps the cell, which tells the cells apart.
                        let path = format!(
                            "{}/{stack}/{cell_name}/{}",
                            prefix.join("/"),
                            spec.role.keras_name()
                        );
                        spec.path = match self.path_root {
                            Some(root) => format!("{root}/{path}"),
                            None => path,
                        };
                        spec.vars_group = Some(format!("cell/cells/{group}/vars"));
                        spec
                    })
                    .collect()
            } else {
                let segment = match cell.class {
                    // Keras 2's CuDNN layers keep their weights on the layer.
                    RecurrentClass::Cudnn => None,
                    RecurrentClass::Rnn | RecurrentClass::Dedicated => {
                        Some(cell_name.unwrap_or(cell.cell.keras_cell_prefix()))
                    }
                };
                self.cell_weights(cell, features, prefix, segment, direction)
            };
            for spec in &mut specs {
                spec.cell = index;
            }
            weights.extend(specs);
            features = cell.units;
        }
        let params = weights
            .iter()
            .map(|w| w.shape.iter().map(|&d| d as u128).product::<u128>())
            .sum();
        (weights, params)
    }

    /// Kernel, recurrent kernel and bias of one cell fed `features`; `cell`
    /// is the cell's segment of Keras' weight paths.
    fn cell_weights(
        &self,
        r: &Recurrent,
        features: u64,
        prefix: &[&str],
        cell: Option<&str>,
        direction: Option<Direction>,
    ) -> Vec<WeightSpec> {
        let units = r.units as usize;
        let gates = r.cell.gates() as usize;
        let mut weights = vec![
            self.weight(
                prefix,
                cell,
                WeightRole::Kernel,
                direction,
                vec![features as usize, gates * units],
                WeightInit::Keras(r.kernel_initializer),
            ),
            self.weight(
                prefix,
                cell,
                WeightRole::RecurrentKernel,
                direction,
                vec![units, gates * units],
                WeightInit::Keras(r.recurrent_initializer),
            ),
        ];
        if r.use_bias {
            let (shape, init) = match (r.class, r.cell) {
                // cuDNN: a bias for each matrix product, one after the other.
                (
                    RecurrentClass::Cudnn,
                    CellKind::Lstm {
                        unit_forget_bias: true,
                    },
                ) => (
                    vec![2 * gates * units],
                    WeightInit::CudnnUnitForgetBias(r.bias_initializer),
                ),
                (RecurrentClass::Cudnn, _) => (
                    vec![2 * gates * units],
                    WeightInit::Keras(r.bias_initializer),
                ),
                (_, CellKind::Gru { reset_after: true }) => (
                    vec![2, gates * units],
                    WeightInit::Keras(r.bias_initializer),
                ),
                (
                    _,
                    CellKind::Lstm {
                        unit_forget_bias: true,
                    },
                ) => (
                    vec![gates * units],
                    WeightInit::UnitForgetBias(r.bias_initializer),
                ),
                _ => (vec![gates * units], WeightInit::Keras(r.bias_initializer)),
            };
            weights.push(self.weight(prefix, cell, WeightRole::Bias, direction, shape, init));
        }
        weights
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
        let within = match cell {
            Some(cell) => format!("{}/{cell}/{}", prefix.join("/"), role.keras_name()),
            None => key.clone(),
        };
        let path = match self.path_root {
            Some(root) => format!("{root}/{within}"),
            None => within,
        };
        WeightSpec {
            role,
            direction,
            key,
            path,
            shape,
            init,
            cell: 0,
            vars_group: None,
        }
    }
}

/// The output length of a window of `size` (dilated by `dilation`) moved
/// by `strides` over `steps`: whole windows (`valid`), or
/// `ceil(steps / strides)` (`same`, and `causal`, which pads in front).
fn window_steps(
    steps: Option<u64>,
    size: u64,
    strides: u64,
    dilation: u64,
    padding: Padding,
) -> Option<u64> {
    let steps = steps?;
    let span = (size - 1) * dilation + 1;
    Some(match padding {
        Padding::Valid if steps < span => 0,
        Padding::Valid => (steps - span) / strides + 1,
        Padding::Same | Padding::Causal => steps.div_ceil(strides),
    })
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
        outputs.extend(
            r.states()
                .into_iter()
                .map(|(_, units)| vec![batch, Some(units)]),
        );
    }
    outputs
}

/// Outputs of a Bidirectional layer: merged output (or both with
/// `merge_mode=None`), then forward states, then backward states.
fn bidirectional_outputs(r: Recurrent, merge: MergeMode, input: &Shape) -> Vec<Shape> {
    let merged_width = match merge {
        MergeMode::Concat => 2 * r.output_units(),
        _ => r.output_units(),
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
