//! Lowering of a spec written with Keras' functional API.
//!
//! Statements run in order as Python would run them: `keras.Input(...)`
//! makes an input tensor, a layer constructor makes a layer object (bound
//! to a name, or called at once: `layers.LSTM(8)(x)`), a call of a layer
//! object on tensors makes a [`Call`] and its output tensors, lists of
//! tensors may be bound, unpacked (`out, h, c = ...`, `_` for unused ones)
//! and indexed (`states[0]`), and `keras.Model(inputs, outputs)` ends the
//! model. A layer object called twice is one layer with two calls, as in
//! Keras. Calls whose tensors reach no model output are left out, as Keras
//! leaves them out of the model; layers made but left out still take their
//! automatic names, as in Keras.
//!
//! Imports, constants and the lines a notebook holds around a model
//! (`model.compile(...)`, `model.summary()`) are handled as in a Sequential
//! spec.

use std::collections::{HashMap, HashSet};

use super::ast::{Arg, Expr, ExprKind, Ident, Stmt, StmtKind, Target};
use super::error::FrontError;
use super::ignored;
use super::input::lower_input;
use super::layers::{
    lower_layer, merge_axis, report_unknown_layer, LayerType, CONCATENATE_FUNCTION, MERGE_FUNCTION,
    MERGE_FUNCTIONS,
};
use super::lower::{is_constant, record_import, Substitution};
use super::values::{Args, Cx, Schema};
use crate::diag::{Diagnostic, Span};
use crate::ir::{
    Call, CallId, InputDecl, InputId, Layer, LayerId, LayerKind, Model, ModelClass, ModelInput,
    Value,
};

/// `keras.Model(inputs, outputs, name=None, trainable=True)`.
const MODEL: Schema = Schema {
    callee: "Model",
    positional: &["inputs", "outputs", "name"],
    keywords: &[&["trainable"]],
};

/// What calling a layer object accepts besides its input (a recurrent
/// layer's `call(sequences, initial_state=None, ...)` takes its states
/// second).
const LAYER_CALL: Schema = Schema {
    callee: "a layer call",
    positional: &["inputs", "initial_state"],
    keywords: &[&[
        "training",
        "mask",
        "return_attention_scores",
        "use_causal_mask",
    ]],
};

/// Layer classes users reach for around RNNs that rnnc does not compile,
/// with what to do instead.
const REFUSED: &[(&str, &str)] = &[
    (
        "Lambda",
        "a Lambda layer holds Python code, which rnnc cannot compile; \
         write it with Keras layers",
    ),
    (
        "TFSMLayer",
        "a TFSMLayer wraps a TensorFlow SavedModel, which rnnc cannot read",
    ),
];

/// What a name or an expression stands for.
#[derive(Clone, Debug)]
enum Val {
    Tensor(Value),
    /// A list or tuple of tensors (several outputs of a call, `[h, c]`).
    Tensors(Vec<Value>),
    /// What `RNN([cells], return_state=True)` returns when a cell carries
    /// two states: the output, then each cell's state or `[h, c]` pair.
    Nested(Vec<Val>),
    Layer(LayerId),
    /// The model, once `keras.Model(...)` made it.
    Model,
}

impl Val {
    fn describe(&self) -> String {
        match self {
            Val::Tensor(_) => "a tensor".into(),
            Val::Tensors(v) => format!("a list of {} tensors", v.len()),
            Val::Nested(v) => format!("a nested list of {} items", v.len()),
            Val::Layer(_) => "a layer".into(),
            Val::Model => "the model".into(),
        }
    }
}

/// The model as `keras.Model(...)` declared it.
struct Declared {
    name: Option<String>,
    inputs: Vec<Value>,
    outputs: Vec<Value>,
    /// The `keras.Model(...)` call.
    span: Span,
}

struct Functional {
    cx: Cx,
    notes: Vec<Diagnostic>,
    /// Names bound to tensors, layers or the model.
    names: HashMap<String, Val>,
    /// Names whose value had an error already reported: using them reports
    /// nothing more.
    failed: HashSet<String>,
    /// The bound on substituting constants into later statements.
    subst: Substitution,
    /// Every `Input(...)` made, in order, with its name.
    inputs: Vec<ModelInput>,
    layers: Vec<Layer>,
    calls: Vec<Call>,
    model: Option<Declared>,
    /// Where the last statement ends, for an error about a missing model.
    last: Span,
}

/// Lowers a functional spec to a model and the notes about ignored lines,
/// or returns every error found.
pub(super) fn lower(stmts: &[Stmt], cx: Cx) -> Result<(Model, Vec<Diagnostic>), Vec<FrontError>> {
    let mut f = Functional {
        cx,
        notes: Vec::new(),
        names: HashMap::new(),
        failed: HashSet::new(),
        subst: Substitution::default(),
        inputs: Vec::new(),
        layers: Vec::new(),
        calls: Vec::new(),
        model: None,
        last: Span::default(),
    };
    for stmt in stmts {
        f.statement(stmt);
        f.last = stmt.span;
    }
    let model = f.finish();
    let mut errors = f.cx.errors;
    errors.sort_by_key(|e| e.span().map(|s| s.start));
    match model {
        Some(model) if errors.is_empty() => Ok((model, f.notes)),
        _ => Err(errors),
    }
}

impl Functional {
    fn statement(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Import(_) | StmtKind::FromImport { .. } => record_import(&mut self.cx, stmt),
            StmtKind::Magic(_) => self.notes.push(ignored::note(stmt, ignored::NOTEBOOK)),
            StmtKind::Assign { target, value } => {
                if let Some(reason) = self.ignored(value) {
                    self.names.remove(&target.name);
                    return self.notes.push(ignored::note(stmt, reason));
                }
                let Some(size) = self.subst.within_limits(&mut self.cx, value) else {
                    self.names.remove(&target.name);
                    self.failed.insert(target.name.clone());
                    return self.subst.forget(&mut self.cx, &target.name);
                };
                let value = self.cx.substitute(value);
                if is_constant(&value) {
                    self.names.remove(&target.name);
                    self.subst.define(&mut self.cx, &target.name, value, size);
                    return;
                }
                self.subst.forget(&mut self.cx, &target.name);
                match self.eval(&value) {
                    Some(val) => {
                        self.failed.remove(&target.name);
                        self.names.insert(target.name.clone(), val);
                    }
                    None => {
                        self.failed.insert(target.name.clone());
                        self.names.remove(&target.name);
                    }
                }
            }
            StmtKind::Unpack { targets, value } => {
                if self.subst.within_limits(&mut self.cx, value).is_none() {
                    return self.forget(targets);
                }
                let value = self.cx.substitute(value);
                let val = self.eval(&value);
                self.unpack(targets, val, value.span);
            }
            StmtKind::Expr(expr) => {
                if let ExprKind::Str(_) = expr.kind {
                    return; // A docstring.
                }
                if let Some(reason) = self.ignored(expr) {
                    return self.notes.push(ignored::note(stmt, reason));
                }
                if self.subst.within_limits(&mut self.cx, expr).is_none() {
                    return;
                }
                let expr = self.cx.substitute(expr);
                let makes_something = matches!(expr.kind, ExprKind::Call { .. });
                if self.eval(&expr).is_some() && !makes_something {
                    self.cx.error(FrontError::UnsupportedStatement {
                        what: format!("`{}`", expr.describe()),
                        span: stmt.span,
                    });
                }
            }
        }
    }

    fn ignored(&self, expr: &Expr) -> Option<&'static str> {
        let is_model = |var: &str| matches!(self.names.get(var), Some(Val::Model));
        ignored::reason(&self.cx, expr, &is_model)
    }

    /// `a, b, _ = value`: binds each name to one tensor of a list, or to
    /// one item of a nested list; a group of names (`(h, c)`) unpacks a
    /// list item in turn.
    fn unpack(&mut self, targets: &[Target], val: Option<Val>, span: Span) {
        let values: Vec<Val> = match val {
            Some(Val::Tensors(values)) if values.len() == targets.len() => {
                values.into_iter().map(Val::Tensor).collect()
            }
            Some(Val::Nested(items)) if items.len() == targets.len() => items,
            Some(other) => {
                self.unpack_count(&other, targets.len(), span);
                return self.forget(targets);
            }
            None => return self.forget(targets),
        };
        for (target, value) in targets.iter().zip(values) {
            match (target, value) {
                (Target::Name(name), value) => self.bind(name, value),
                (Target::Group(names), Val::Tensors(tensors)) if tensors.len() == names.len() => {
                    for (name, tensor) in names.iter().zip(tensors) {
                        self.bind(name, Val::Tensor(tensor));
                    }
                }
                (Target::Group(names), other) => {
                    self.unpack_count(&other, names.len(), span);
                    self.forget(std::slice::from_ref(target));
                }
            }
        }
    }

    /// The position `index` (negative: from the end) names in a list of
    /// `len`, or `None` after reporting it out of range.
    fn element(&mut self, len: usize, index: i64, span: Span) -> Option<usize> {
        let at = if index < 0 { len as i64 + index } else { index };
        if (0..len as i64).contains(&at) {
            return Some(at as usize);
        }
        self.cx
            .error(FrontError::IndexOutOfRange { index, len, span });
        None
    }

    /// Reports unpacking `got` into `expected` names.
    fn unpack_count(&mut self, got: &Val, expected: usize, span: Span) {
        let got = match got {
            Val::Tensors(v) => format!("{} tensors", v.len()),
            single => single.describe(),
        };
        self.cx.error(FrontError::UnpackCount {
            got,
            expected,
            span,
        });
    }

    /// Binds `target` to `value` (`_` binds nothing).
    fn bind(&mut self, target: &Ident, value: Val) {
        self.subst.forget(&mut self.cx, &target.name);
        if target.name != "_" {
            self.failed.remove(&target.name);
            self.names.insert(target.name.clone(), value);
        }
    }

    fn forget(&mut self, targets: &[Target]) {
        for target in targets.iter().flat_map(Target::names) {
            self.failed.insert(target.name.clone());
            self.names.remove(&target.name);
            self.subst.forget(&mut self.cx, &target.name);
        }
    }

    /// What `expr` stands for; errors are reported and give `None`.
    fn eval(&mut self, expr: &Expr) -> Option<Val> {
        match &expr.kind {
            ExprKind::Name(name) => match self.names.get(name) {
                Some(val) => Some(val.clone()),
                None if self.failed.contains(name) => None,
                None => {
                    self.cx.error(FrontError::UndefinedName {
                        name: name.clone(),
                        span: expr.span,
                        hint: None,
                    });
                    None
                }
            },
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    match self.eval(item)? {
                        Val::Tensor(v) => values.push(v),
                        other => {
                            self.cx.error(FrontError::NotATensor {
                                found: format!("{} ({})", item.describe(), other.describe()),
                                span: item.span,
                            });
                            return None;
                        }
                    }
                }
                Some(Val::Tensors(values))
            }
            ExprKind::Index { base, index } => match self.eval(base)? {
                Val::Nested(items) => self
                    .element(items.len(), *index, expr.span)
                    .map(|at| items[at].clone()),
                Val::Tensors(values) => self
                    .element(values.len(), *index, expr.span)
                    .map(|at| Val::Tensor(values[at])),
                other => {
                    self.cx.error(FrontError::FunctionalUnsupported {
                        what: format!("indexing {}", other.describe()),
                        span: expr.span,
                        hint: Some("index a list of tensors, e.g. `states[0]`".into()),
                    });
                    None
                }
            },
            ExprKind::Call { func, args } => self.call(expr, func, args),
            ExprKind::Attribute { .. }
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::Neg(_) => {
                self.cx.error(FrontError::NotATensor {
                    found: expr.describe(),
                    span: expr.span,
                });
                None
            }
        }
    }

    /// A call: a layer object called on tensors, a layer constructor,
    /// `Input`, `Model`, or a functional merge.
    fn call(&mut self, expr: &Expr, func: &Expr, args: &[Arg]) -> Option<Val> {
        let callee_val = match &func.kind {
            ExprKind::Call { .. } => Some(self.eval(func)?),
            ExprKind::Name(name) => self.names.get(name).cloned(),
            _ => None,
        };
        if let Some(val) = callee_val {
            let Val::Layer(layer) = val else {
                self.cx.error(FrontError::FunctionalUnsupported {
                    what: format!("calling {}", val.describe()),
                    span: func.span,
                    hint: Some("call a layer on tensors: `layers.LSTM(8)(x)`".into()),
                });
                return None;
            };
            return self.apply(layer, args, expr.span);
        }
        let keras_name = self.cx.keras_name(func);
        match keras_name.as_deref() {
            Some("Input" | "InputLayer") => {
                let decl = lower_input(&mut self.cx, expr)?;
                let name = input_name(&mut self.cx, args);
                Some(Val::Tensor(self.new_input(name, decl)))
            }
            Some("Model" | "Functional") => self.model(expr, args),
            Some("Sequential") => {
                self.cx.error(FrontError::FunctionalUnsupported {
                    what: "a Sequential model inside a functional spec".into(),
                    span: expr.span,
                    hint: Some(
                        "write its layers as calls: `x = layers.LSTM(8)(x)`, one per layer".into(),
                    ),
                });
                None
            }
            Some(name) if LayerType::from_name(name).is_some() => {
                let layer = lower_layer(&mut self.cx, expr)?;
                Some(Val::Layer(self.new_layer(layer)))
            }
            Some(name) => {
                if let Some(&(_, merge)) = MERGE_FUNCTIONS.iter().find(|(n, _)| *n == name) {
                    return self.merge_function(expr, merge, args);
                }
                if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == name) {
                    self.cx.error(FrontError::FunctionalUnsupported {
                        what: format!("`{name}`"),
                        span: func.span,
                        hint: Some((*why).into()),
                    });
                    return None;
                }
                if !report_unknown_layer(&mut self.cx, expr) {
                    let custom = name.chars().next().is_some_and(char::is_uppercase)
                        && self.cx.path(func).is_some_and(|p| p.len() == 1);
                    let hint = if custom {
                        "it is not a Keras layer; rnnc compiles Keras' own layers only"
                    } else {
                        "a functional spec holds imports, constants, `keras.Input(...)`, \
                         layer calls and `keras.Model(inputs, outputs)`"
                    };
                    self.cx.error(FrontError::FunctionalUnsupported {
                        what: format!("`{}`", expr.describe()),
                        span: expr.span,
                        hint: Some(hint.into()),
                    });
                }
                None
            }
            None => {
                let is_data = self
                    .cx
                    .path(func)
                    .is_some_and(|p| p.first().is_some_and(|m| m == "numpy" || m == "tensorflow"));
                let hint = is_data.then(|| {
                    let shape =
                        sample_shape(args).unwrap_or_else(|| "(timesteps, features)".to_string());
                    format!(
                        "rnnc compiles the model, not a run of it on data: declare the input \
                         as `inputs = keras.Input(shape={shape})` and end with \
                         `model = keras.Model(inputs, outputs)`"
                    )
                });
                self.cx.error(FrontError::FunctionalUnsupported {
                    what: format!("`{}`", expr.describe()),
                    span: expr.span,
                    hint,
                });
                None
            }
        }
    }

    fn new_input(&mut self, name: Option<String>, decl: InputDecl) -> Value {
        let id = InputId(self.inputs.len() as u32);
        let span = decl.span;
        self.inputs.push(ModelInput {
            name,
            decl: Some(decl),
            span,
        });
        Value::Input(id)
    }

    fn new_layer(&mut self, mut layer: Layer) -> LayerId {
        // Keras reads `input_shape=` only for a Sequential model's first layer.
        layer.input = None;
        let id = LayerId(self.layers.len() as u32);
        self.layers.push(layer);
        id
    }

    /// `layers.concatenate([a, b], axis=-1)`, `layers.add([a, b])`, …: a
    /// merge layer made and called at once.
    fn merge_function(
        &mut self,
        expr: &Expr,
        merge: crate::ir::Merge,
        args: &[Arg],
    ) -> Option<Val> {
        use crate::ir::Merge;
        let schema = match merge {
            Merge::Concatenate { .. } => &CONCATENATE_FUNCTION,
            Merge::Add
            | Merge::Subtract
            | Merge::Multiply
            | Merge::Average
            | Merge::Maximum
            | Merge::Minimum => &MERGE_FUNCTION,
            Merge::Dot { .. } => unreachable!("`dot` is not among MERGE_FUNCTIONS"),
        };
        let bound = Args::bind(&mut self.cx, schema, args, expr.span);
        let merge = merge_axis(&mut self.cx, &bound, merge);
        let name = bound.value("name").and_then(|e| self.cx.name(e));
        let inputs = bound.required(&mut self.cx, "inputs")?;
        let inputs = self.eval(inputs)?;
        let layer = self.new_layer(Layer {
            name,
            kind: LayerKind::Merge(merge),
            input: None,
            span: expr.span,
        });
        self.make_call(layer, inputs, Vec::new(), expr.span)
    }

    /// A layer object called with `args`.
    fn apply(&mut self, layer: LayerId, args: &[Arg], span: Span) -> Option<Val> {
        let bound = Args::bind(&mut self.cx, &LAYER_CALL, args, span);
        if let Some(mask) = bound.value("mask") {
            self.cx.error(FrontError::FunctionalUnsupported {
                what: "`mask=`".into(),
                span: mask.span,
                hint: Some(
                    "rnnc takes masks from `Embedding(mask_zero=True)` or `Masking()` only; \
                     put one before this layer instead of passing the mask"
                        .into(),
                ),
            });
        }
        if let Some(causal) = bound.value("use_causal_mask") {
            self.cx.false_only(
                "use_causal_mask",
                causal,
                "causal attention masks are not compiled yet",
            );
        }
        if let Some(scores) = bound.value("return_attention_scores") {
            let wanted = self.cx.boolean("return_attention_scores", scores) == Some(true);
            match &mut self.layers[layer.index()].kind {
                LayerKind::Attention(a) => a.return_scores |= wanted,
                other => {
                    let class = other.class_name();
                    self.cx.error(FrontError::FunctionalUnsupported {
                        what: format!("`return_attention_scores` on {class}"),
                        span: scores.span,
                        hint: Some("only attention layers return scores".into()),
                    });
                }
            }
        }
        let inputs = bound.required(&mut self.cx, "inputs")?;
        let inputs = self.eval(inputs)?;
        let states = match bound.value("initial_state") {
            None => Vec::new(),
            Some(e) => {
                let class = self.layers[layer.index()].kind.class_name();
                if self.layers[layer.index()].kind.recurrent().is_none() {
                    self.cx.error(FrontError::InitialStateNotRecurrent {
                        class,
                        span: e.span,
                    });
                    return None;
                }
                match self.eval(e)? {
                    Val::Tensor(v) => vec![v],
                    Val::Tensors(vs) => vs,
                    other => {
                        self.cx.error(FrontError::NotATensor {
                            found: format!("{} ({})", e.describe(), other.describe()),
                            span: e.span,
                        });
                        return None;
                    }
                }
            }
        };
        self.make_call(layer, inputs, states, span)
    }

    /// Records a call of `layer` on `inputs`; its value is its one output
    /// tensor, or the list of them.
    fn make_call(
        &mut self,
        layer: LayerId,
        inputs: Val,
        initial_state: Vec<Value>,
        span: Span,
    ) -> Option<Val> {
        let kind = &self.layers[layer.index()].kind;
        let class = kind.class_name();
        let inputs = match (inputs, kind.takes_list()) {
            (Val::Tensor(v), false) => vec![v],
            (Val::Tensors(vs), true) if !vs.is_empty() => vs,
            (got, takes_list) => {
                self.cx.error(FrontError::CallInput {
                    class,
                    expected: if takes_list {
                        "a list of tensors"
                    } else {
                        "one tensor"
                    },
                    got: got.describe(),
                    span,
                });
                return None;
            }
        };
        let call = CallId(self.calls.len() as u32);
        let outputs = kind.output_count();
        self.calls.push(Call {
            layer,
            inputs,
            initial_state,
            span,
        });
        let mut values: Vec<Value> = (0..outputs)
            .map(|output| Value::Output {
                call,
                output: output as u32,
            })
            .collect();
        if let Some(pairs) = kind
            .recurrent()
            .and_then(|r| nested_states(r, values.len()))
        {
            let mut values = values.into_iter();
            let mut items = vec![Val::Tensor(values.next().expect("an output"))];
            for count in pairs {
                let state: Vec<Value> = values.by_ref().take(count).collect();
                items.push(match state.as_slice() {
                    [one] => Val::Tensor(*one),
                    _ => Val::Tensors(state),
                });
            }
            return Some(Val::Nested(items));
        }
        Some(match values.len() {
            1 => Val::Tensor(values.remove(0)),
            _ => Val::Tensors(values),
        })
    }

    /// `keras.Model(inputs, outputs, name=...)`.
    fn model(&mut self, expr: &Expr, args: &[Arg]) -> Option<Val> {
        if self.model.is_some() {
            self.cx
                .error(FrontError::SecondFunctionalModel { span: expr.span });
            return None;
        }
        let bound = Args::bind(&mut self.cx, &MODEL, args, expr.span);
        let name = bound.value("name").and_then(|e| self.cx.name(e));
        let inputs_expr = bound.required(&mut self.cx, "inputs")?;
        let outputs_expr = bound.required(&mut self.cx, "outputs")?;
        let tensors = |f: &mut Self, e: &Expr| match f.eval(e)? {
            Val::Tensor(v) => Some(vec![v]),
            Val::Tensors(vs) => Some(vs),
            // Keras flattens a nested structure of outputs.
            Val::Nested(items) => Some(flatten(items)),
            other => {
                f.cx.error(FrontError::NotATensor {
                    found: format!("{} ({})", e.describe(), other.describe()),
                    span: e.span,
                });
                None
            }
        };
        let inputs = tensors(self, inputs_expr)?;
        // A list of outputs may hold nested lists (a stack's `[h, c]`):
        // Keras flattens them too.
        let outputs = match &outputs_expr.kind {
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                let mut all = Vec::new();
                for item in items {
                    all.extend(tensors(self, item)?);
                }
                all
            }
            _ => tensors(self, outputs_expr)?,
        };
        if inputs.iter().any(|v| !matches!(v, Value::Input(_))) {
            self.cx.error(FrontError::ModelInputNotInput {
                found: inputs_expr.describe(),
                span: inputs_expr.span,
            });
            return None;
        }
        self.model = Some(Declared {
            name,
            inputs,
            outputs,
            span: expr.span,
        });
        Some(Val::Model)
    }

    /// The model: the calls that reach its outputs, its inputs in its order.
    fn finish(&mut self) -> Option<Model> {
        let Some(declared) = self.model.take() else {
            if self.cx.errors.is_empty() {
                self.cx
                    .error(FrontError::NoFunctionalModel { span: self.last });
            }
            return None;
        };
        // The calls the outputs need, walking back from them.
        let mut needed: HashSet<CallId> = HashSet::new();
        let mut used_inputs: Vec<InputId> = Vec::new();
        let mut stack: Vec<Value> = declared.outputs.clone();
        while let Some(value) = stack.pop() {
            match value {
                Value::Input(id) => {
                    if !used_inputs.contains(&id) {
                        used_inputs.push(id);
                    }
                }
                Value::Output { call, .. } => {
                    if needed.insert(call) {
                        let c = &self.calls[call.index()];
                        stack.extend(c.inputs.iter().chain(&c.initial_state).copied());
                    }
                }
            }
        }
        // The model's inputs, in the order `Model(inputs=...)` gives them.
        let order: Vec<InputId> = declared
            .inputs
            .iter()
            .filter_map(|v| match v {
                Value::Input(id) => Some(*id),
                Value::Output { .. } => None,
            })
            .collect();
        // Keras names unnamed inputs in the order they are made.
        let mut unnamed = 0;
        let auto_names: Vec<String> = self
            .inputs
            .iter()
            .map(|input| match &input.name {
                Some(name) => name.clone(),
                None => {
                    let name = match unnamed {
                        0 => ModelInput::AUTO_NAME_PREFIX.to_string(),
                        n => format!("{}_{n}", ModelInput::AUTO_NAME_PREFIX),
                    };
                    unnamed += 1;
                    name
                }
            })
            .collect();
        for id in &used_inputs {
            if !order.contains(id) {
                self.cx.error(FrontError::GraphDisconnected {
                    name: auto_names[id.index()].clone(),
                    span: self.inputs[id.index()].span,
                });
            }
        }
        if needed.is_empty() && self.cx.errors.is_empty() {
            self.cx.error(FrontError::FunctionalUnsupported {
                what: "a model whose outputs are its inputs".into(),
                span: declared.span,
                hint: Some("put at least one layer between `keras.Input` and the outputs".into()),
            });
        }
        if !self.cx.errors.is_empty() {
            return None;
        }
        let new_input = |old: InputId| {
            InputId(order.iter().position(|&o| o == old).expect("checked above") as u32)
        };
        let kept: Vec<CallId> = (0..self.calls.len() as u32)
            .map(CallId)
            .filter(|c| needed.contains(c))
            .collect();
        let new_call =
            |old: CallId| CallId(kept.iter().position(|&k| k == old).expect("kept") as u32);
        let remap = |v: Value| match v {
            Value::Input(id) => Value::Input(new_input(id)),
            Value::Output { call, output } => Value::Output {
                call: new_call(call),
                output,
            },
        };
        let calls = kept
            .iter()
            .map(|&id| {
                let c = &self.calls[id.index()];
                Call {
                    layer: c.layer,
                    inputs: c.inputs.iter().map(|&v| remap(v)).collect(),
                    initial_state: c.initial_state.iter().map(|&v| remap(v)).collect(),
                    span: c.span,
                }
            })
            .collect();
        let inputs = order
            .iter()
            .map(|&id| ModelInput {
                name: Some(auto_names[id.index()].clone()),
                ..self.inputs[id.index()].clone()
            })
            .collect();
        Some(Model {
            name: declared.name,
            class: ModelClass::Functional,
            inputs,
            layers: std::mem::take(&mut self.layers),
            calls,
            outputs: declared.outputs.iter().map(|&v| remap(v)).collect(),
            streams: Vec::new(),
            keras_dialect: None,
        })
    }
}

/// `Input(name=...)`, read once more for the name (`lower_input` checks it).
fn input_name(cx: &mut Cx, args: &[Arg]) -> Option<String> {
    let arg = args
        .iter()
        .find(|a| a.keyword.as_ref().is_some_and(|k| k.name == "name"))?;
    cx.name(&arg.value)
}

/// The shape of one sample of an array made by a NumPy-style call with a
/// literal shape, `np.random.random((32, 10, 8))` → `(10, 8)`: the batch
/// axis dropped, as `keras.Input(shape=...)` wants it.
fn sample_shape(args: &[Arg]) -> Option<String> {
    let first = args.first()?;
    let (ExprKind::Tuple(dims) | ExprKind::List(dims)) = &first.value.kind else {
        return None;
    };
    let rest: Vec<String> = dims
        .iter()
        .skip(1)
        .map(|d| match d.kind {
            ExprKind::Int(n) => Some(n.to_string()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some(match rest.as_slice() {
        [] => return None,
        [one] => format!("({one},)"),
        many => format!("({})", many.join(", ")),
    })
}

/// For a stacked `RNN([cells], return_state=True)` with an LSTM cell among
/// them, the number of states of each cell, which Keras returns nested
/// (`output, [h, c], h`); `None` when Keras returns a flat list.
fn nested_states(r: &crate::ir::Recurrent, outputs: usize) -> Option<Vec<usize>> {
    let counts: Vec<usize> = r.chain().iter().map(|cell| cell.cell.states()).collect();
    let nested = r.return_state
        && !r.stacked.is_empty()
        && counts.iter().any(|&n| n > 1)
        && outputs == 1 + counts.iter().sum::<usize>();
    nested.then_some(counts)
}

/// The tensors of a nested list, in order.
fn flatten(items: Vec<Val>) -> Vec<Value> {
    items
        .into_iter()
        .flat_map(|item| match item {
            Val::Tensor(v) => vec![v],
            Val::Tensors(vs) => vs,
            Val::Nested(inner) => flatten(inner),
            Val::Layer(_) | Val::Model => unreachable!("a nested list holds tensors only"),
        })
        .collect()
}
