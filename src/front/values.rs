//! Binding call arguments to parameters and reading their values as typed
//! settings (sizes, flags, activations, initializers, shapes).
//!
//! Readers report every bad value into the shared [`Cx`] and return `None`, so
//! that a layer with several bad arguments reports all of them; the caller
//! substitutes the Keras default and goes on.

use std::collections::HashMap;

use super::ast::{Arg, Expr, ExprKind};
use super::error::{did_you_mean, FrontError};
use crate::diag::Span;
use crate::ir::{Activation, Initializer, KerasDialect};

/// The largest single size (units, dimension, vocabulary) rnnc accepts: 2^24.
/// Larger values are almost surely typos, and a 2^24-wide layer already has
/// far more parameters than the check pass allows; the bound keeps every
/// later product of two sizes well inside `u64`.
pub const MAX_SIZE: u64 = 1 << 24;

/// Arguments every Keras layer or call accepts that have no effect on the
/// inference graph rnnc writes (regularizers, constraints, dropout, seeds,
/// backend switches). They are accepted with any value and ignored.
pub const NO_EFFECT: &[&str] = &[
    "dropout",
    "recurrent_dropout",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "embeddings_regularizer",
    "embeddings_constraint",
    "trainable",
    "seed",
    "implementation",
    "noise_shape",
    "sparse",
    "ragged",
    "lora_rank",
    "use_cudnn",
    "autocast",
];

/// Python module names under which Keras objects are reached
/// (`tf.keras.layers.LSTM`, `keras.initializers.Orthogonal`, `tf.nn.relu`).
const KERAS_MODULES: &[&str] = &[
    "tf",
    "tensorflow",
    "keras",
    "layers",
    "models",
    "initializers",
    "activations",
    "nn",
    "math",
    "src",
];

/// The parameters of a callee, for binding its arguments.
pub struct Schema {
    /// How the callee is named in messages (`SimpleRNN`).
    pub callee: &'static str,
    /// Parameters that may be given by position, in the constructor's order.
    pub positional: &'static [&'static str],
    /// Further keyword parameters, in groups shared between callees.
    pub keywords: &'static [&'static [&'static str]],
}

impl Schema {
    fn accepts(&self, name: &str) -> Option<&'static str> {
        self.all().find(|n| *n == name)
    }

    /// Every parameter name, positional ones first in order.
    pub fn all(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.positional
            .iter()
            .chain(self.keywords.iter().flat_map(|g| g.iter()))
            .chain(NO_EFFECT.iter())
            .copied()
    }
}

/// One bound argument.
#[derive(Clone, Copy)]
pub struct Bound<'a> {
    pub value: &'a Expr,
    /// The whole argument, keyword included.
    pub span: Span,
}

/// The arguments of one call, bound to parameter names.
pub struct Args<'a> {
    pub callee: &'static str,
    /// The whole call, for "missing argument" errors.
    pub call_span: Span,
    given: Vec<(&'static str, Bound<'a>)>,
}

impl<'a> Args<'a> {
    /// Binds `args` to `schema`, reporting extra positional, unknown and
    /// duplicate arguments.
    pub fn bind(cx: &mut Cx, schema: &Schema, args: &'a [Arg], call_span: Span) -> Args<'a> {
        let mut bound = Args {
            callee: schema.callee,
            call_span,
            given: Vec::new(),
        };
        let positional = args.iter().filter(|a| a.keyword.is_none()).count();
        for (i, arg) in args.iter().enumerate() {
            let name = match &arg.keyword {
                None => match schema.positional.get(i) {
                    Some(name) => *name,
                    None => {
                        if i == schema.positional.len() {
                            cx.error(FrontError::TooManyPositional {
                                callee: schema.callee.into(),
                                max: schema.positional.len(),
                                got: positional,
                                span: arg.span,
                            });
                        }
                        continue;
                    }
                },
                Some(keyword) => match schema.accepts(&keyword.name) {
                    Some(name) => name,
                    None => {
                        cx.error(FrontError::UnknownArgument {
                            arg: keyword.name.clone(),
                            callee: schema.callee.into(),
                            span: keyword.span,
                            hint: did_you_mean(&keyword.name, schema.all()),
                        });
                        continue;
                    }
                },
            };
            if bound.given.iter().any(|(n, _)| *n == name) {
                cx.error(FrontError::DuplicateArgument {
                    arg: name.into(),
                    callee: schema.callee.into(),
                    span: arg.span,
                });
                continue;
            }
            bound.given.push((
                name,
                Bound {
                    value: &arg.value,
                    span: arg.span,
                },
            ));
        }
        bound
    }

    /// The argument bound to `name`, if given.
    pub fn get(&self, name: &str) -> Option<Bound<'a>> {
        self.given.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }

    /// The value of `name`, unless it is absent or Python's `None`.
    pub fn value(&self, name: &str) -> Option<&'a Expr> {
        self.get(name)
            .map(|b| b.value)
            .filter(|e| e.kind != ExprKind::None)
    }

    /// The value of a required argument; reports it missing otherwise.
    pub fn required(&self, cx: &mut Cx, name: &str) -> Option<&'a Expr> {
        let value = self.get(name).map(|b| b.value);
        if value.is_none() {
            cx.error(FrontError::MissingArgument {
                callee: self.callee.into(),
                arg: name.into(),
                span: self.call_span,
            });
        }
        value
    }
}

/// Lowering context: the collected errors and what earlier statements defined.
#[derive(Default)]
pub struct Cx {
    pub errors: Vec<FrontError>,
    /// Names assigned constant values (or layer calls), already substituted.
    pub constants: HashMap<String, Expr>,
    /// Import aliases: `np` → `numpy`, `SimpleRNN` → `keras.layers.SimpleRNN`.
    pub aliases: HashMap<String, Vec<String>>,
    /// Which Keras the spec follows (`# rnnc: keras=2`): it decides what
    /// `hard_sigmoid` means.
    pub keras_dialect: Option<KerasDialect>,
}

impl Cx {
    /// Records an error.
    pub fn error(&mut self, error: FrontError) {
        self.errors.push(error);
    }

    /// The dotted path of `expr` with import aliases expanded, e.g.
    /// `L.LSTM` → `keras.layers.LSTM` after `from keras import layers as L`.
    pub fn path(&self, expr: &Expr) -> Option<Vec<String>> {
        let path = expr.path()?;
        let mut out: Vec<String> = match self.aliases.get(path[0]) {
            Some(full) => full.clone(),
            None => vec![path[0].to_string()],
        };
        out.extend(path[1..].iter().map(|s| s.to_string()));
        Some(out)
    }

    /// The last segment of `expr`'s path when every segment before it is a
    /// Keras module name (so `np.tanh` is not taken for `tanh`).
    pub fn keras_name(&self, expr: &Expr) -> Option<String> {
        let mut path = self.path(expr)?;
        let last = path.pop()?;
        path.iter()
            .all(|m| KERAS_MODULES.contains(&m.as_str()))
            .then_some(last)
    }

    /// A copy of `expr` with names of constants replaced by their values, in
    /// every value position (not in callees or attribute bases). A replaced
    /// name keeps its own span, so errors point where the name is used.
    pub fn substitute(&self, expr: &Expr) -> Expr {
        let kind = match &expr.kind {
            ExprKind::Name(name) => match self.constants.get(name) {
                Some(value) => value.kind.clone(),
                None => return expr.clone(),
            },
            ExprKind::Call { func, args } => ExprKind::Call {
                // The callee's path stays as written; a callee that is itself
                // a call (`layers.Embedding(input_dim=vocab)(x)`) has its
                // arguments substituted too.
                func: match func.kind {
                    ExprKind::Call { .. } => Box::new(self.substitute(func)),
                    _ => func.clone(),
                },
                args: args
                    .iter()
                    .map(|a| Arg {
                        keyword: a.keyword.clone(),
                        value: self.substitute(&a.value),
                        span: a.span,
                    })
                    .collect(),
            },
            ExprKind::Tuple(items) => {
                ExprKind::Tuple(items.iter().map(|e| self.substitute(e)).collect())
            }
            ExprKind::List(items) => {
                ExprKind::List(items.iter().map(|e| self.substitute(e)).collect())
            }
            ExprKind::Neg(e) => ExprKind::Neg(Box::new(self.substitute(e))),
            _ => return expr.clone(),
        };
        Expr {
            kind,
            span: expr.span,
        }
    }

    /// Reports `expr` as the wrong kind of value for `arg`; an undefined name
    /// is reported as such.
    pub fn wrong(&mut self, arg: &str, expected: &'static str, expr: &Expr) {
        if let ExprKind::Name(name) = &expr.kind {
            let hint = did_you_mean(name, self.constants.keys().map(String::as_str));
            return self.error(FrontError::UndefinedName {
                name: name.clone(),
                span: expr.span,
                hint,
            });
        }
        self.error(FrontError::WrongType {
            arg: arg.into(),
            expected,
            found: expr.describe(),
            span: expr.span,
        });
    }

    /// A positive integer size no larger than [`MAX_SIZE`].
    pub fn size(&mut self, arg: &str, expr: &Expr) -> Option<u64> {
        match &expr.kind {
            ExprKind::Int(0) => self.error(FrontError::NotPositive {
                arg: arg.into(),
                value: "0".into(),
                span: expr.span,
            }),
            ExprKind::Int(n) if *n > MAX_SIZE => self.error(FrontError::TooLarge {
                arg: arg.into(),
                value: *n,
                limit: MAX_SIZE,
                span: expr.span,
            }),
            ExprKind::Int(n) => return Some(*n),
            ExprKind::Neg(inner) if matches!(inner.kind, ExprKind::Int(_)) => {
                self.error(FrontError::NotPositive {
                    arg: arg.into(),
                    value: expr.describe(),
                    span: expr.span,
                })
            }
            _ => self.wrong(arg, "a positive integer", expr),
        }
        None
    }

    /// A size or `None` (a dimension of any length).
    pub fn dim(&mut self, arg: &str, expr: &Expr) -> Option<Option<u64>> {
        match expr.kind {
            ExprKind::None => Some(None),
            _ => self.size(arg, expr).map(Some),
        }
    }

    /// `True` or `False`, strictly (Python's truthy `1` is refused).
    /// A whole number, possibly negative (an axis counted from the end).
    pub fn axis(&mut self, arg: &str, expr: &Expr) -> Option<i64> {
        match &expr.kind {
            ExprKind::Int(n) => i64::try_from(*n).ok(),
            ExprKind::Neg(inner) => match inner.kind {
                ExprKind::Int(n) => i64::try_from(n).ok().map(|n| -n),
                _ => None,
            },
            _ => None,
        }
        .or_else(|| {
            self.wrong(arg, "a whole number", expr);
            None
        })
    }

    pub fn boolean(&mut self, arg: &str, expr: &Expr) -> Option<bool> {
        match expr.kind {
            ExprKind::Bool(b) => Some(b),
            _ => {
                self.wrong(arg, "True or False", expr);
                None
            }
        }
    }

    /// A flag that rnnc supports only at its default `False`.
    pub fn false_only(&mut self, arg: &str, expr: &Expr, hint: &str) {
        if self.boolean(arg, expr) == Some(true) {
            self.error(FrontError::Unsupported {
                what: format!("`{arg}=True`"),
                span: expr.span,
                hint: Some(hint.into()),
            });
        }
    }

    /// A string literal.
    pub fn string(&mut self, arg: &str, expr: &Expr) -> Option<String> {
        match &expr.kind {
            ExprKind::Str(s) => Some(s.clone()),
            _ => {
                self.wrong(arg, "a string", expr);
                None
            }
        }
    }

    /// A layer's or model's `name=`: a string without `/`, which Keras 3
    /// refuses ("cannot contain character `/`") because it separates the
    /// segments of weight paths: `a/b` would make `a/b/kernel` collide with
    /// the weights of a layer `b` inside `a`.
    pub fn name(&mut self, expr: &Expr) -> Option<String> {
        let name = self.string("name", expr)?;
        if name.contains('/') {
            self.error(FrontError::InvalidValue {
                arg: "name".into(),
                message: format!(
                    "{} contains `/`, which Keras refuses in names",
                    expr.describe()
                ),
                span: expr.span,
                hint: Some(format!(
                    "`/` separates weight paths (`{}/kernel`); use another character, e.g. '{}'",
                    name,
                    name.replace('/', "_")
                )),
            });
            return None;
        }
        Some(name)
    }

    /// A layer's `dtype=`: only `float32` (Keras' default, as a string,
    /// `np.float32`/`tf.float32` or `DTypePolicy('float32')`) is accepted,
    /// since rnnc computes and writes float32 only.
    pub fn float32_dtype(&mut self, expr: &Expr) {
        let given = match &expr.kind {
            ExprKind::None => return,
            ExprKind::Str(s) => s.clone(),
            ExprKind::Name(_) | ExprKind::Attribute { .. } => match expr.path() {
                Some(path) => path.last().map_or_else(String::new, |s| s.to_string()),
                None => String::new(),
            },
            ExprKind::Call { func, args } => {
                let policy = self.keras_name(func);
                match (policy.as_deref(), args.as_slice()) {
                    (Some("DTypePolicy" | "Policy"), [arg]) if arg.keyword.is_none() => {
                        return self.float32_dtype(&arg.value);
                    }
                    _ => String::new(),
                }
            }
            _ => String::new(),
        };
        if given == "float32" {
            return;
        }
        self.error(FrontError::Unsupported {
            what: format!("`dtype={}`", expr.describe()),
            span: expr.span,
            hint: Some(
                "rnnc computes in float32 only; drop `dtype=` or use dtype='float32'".into(),
            ),
        });
    }

    /// A dropout-style rate in `[0, 1)`.
    pub fn rate(&mut self, arg: &str, expr: &Expr) -> Option<f64> {
        let value = match expr.kind {
            ExprKind::Float(f) => f,
            ExprKind::Int(i) => i as f64,
            ExprKind::Neg(_) => -1.0,
            _ => {
                self.wrong(arg, "a number", expr);
                return None;
            }
        };
        if (0.0..1.0).contains(&value) {
            return Some(value);
        }
        self.error(FrontError::InvalidValue {
            arg: arg.into(),
            message: format!("{} is not in [0, 1)", expr.describe()),
            span: expr.span,
            hint: None,
        });
        None
    }

    /// An activation: a name string, `None` (linear) or a dotted function
    /// such as `keras.activations.relu`. `recurrent_layer` names the layer
    /// when softmax is not allowed.
    pub fn activation(
        &mut self,
        arg: &str,
        expr: &Expr,
        recurrent_layer: Option<&'static str>,
    ) -> Option<Activation> {
        let name = match &expr.kind {
            ExprKind::None => return Some(Activation::Linear),
            ExprKind::Str(s) => s.clone(),
            ExprKind::Name(_) | ExprKind::Attribute { .. } => match self.keras_name(expr) {
                Some(name) if Activation::from_name(&name).is_some() => name,
                _ => {
                    self.wrong(arg, "an activation name", expr);
                    return None;
                }
            },
            _ => {
                self.wrong(arg, "an activation name", expr);
                return None;
            }
        };
        let Some(activation) = Activation::from_name(&name) else {
            let names = Activation::NAMES.iter().map(|(n, _)| *n);
            self.error(FrontError::UnknownActivation {
                hint: Some(did_you_mean(&name, names.clone()).unwrap_or_else(|| {
                    format!("use one of {}", names.collect::<Vec<_>>().join(", "))
                })),
                name,
                span: expr.span,
            });
            return None;
        };
        // Keras 2's `hard_sigmoid` is steeper than Keras 3's.
        let activation = match (activation, self.keras_dialect) {
            (Activation::HardSigmoid, Some(KerasDialect::Keras2)) => Activation::HardSigmoidKeras2,
            (activation, _) => activation,
        };
        if let (Activation::Softmax, Some(layer)) = (activation, recurrent_layer) {
            self.error(FrontError::SoftmaxInRecurrent {
                layer,
                arg: arg.into(),
                span: expr.span,
            });
            return None;
        }
        Some(activation)
    }

    /// An initializer: a name string (`'glorot_uniform'`, Keras 2's
    /// `'uniform'`), or a call without arguments (`initializers.Orthogonal()`).
    pub fn initializer(&mut self, arg: &str, expr: &Expr) -> Option<Initializer> {
        let (name, span) = match &expr.kind {
            ExprKind::Str(s) => (s.clone(), expr.span),
            ExprKind::Call { func, args } => {
                let Some(name) = self.keras_name(func) else {
                    self.wrong(arg, "an initializer", expr);
                    return None;
                };
                if let Some(first) = args.first() {
                    let span = first.span.join(args[args.len() - 1].span);
                    self.error(FrontError::InitializerArguments { span });
                }
                (name, func.span)
            }
            ExprKind::Attribute { .. } => match self.keras_name(expr) {
                Some(name) => (name, expr.span),
                None => {
                    self.wrong(arg, "an initializer", expr);
                    return None;
                }
            },
            _ => {
                self.wrong(arg, "an initializer", expr);
                return None;
            }
        };
        let initializer = match name.as_str() {
            // Keras 2 aliases, kept by old tutorials (`Embedding`'s default).
            "uniform" => Some(Initializer::RandomUniform),
            "normal" => Some(Initializer::RandomNormal),
            "one" => Some(Initializer::Ones),
            _ => Initializer::from_name(&name),
        };
        if initializer.is_none() {
            let names = Initializer::NAMES.iter().map(|(n, _)| *n);
            self.error(FrontError::UnknownInitializer {
                hint: Some(did_you_mean(&name, names.clone()).unwrap_or_else(|| {
                    format!("use one of {}", names.collect::<Vec<_>>().join(", "))
                })),
                name,
                span,
            });
        }
        initializer
    }

    /// A shape tuple (or list) of sizes and `None`s.
    pub fn shape(&mut self, arg: &str, expr: &Expr) -> Option<Vec<Option<u64>>> {
        let items = match &expr.kind {
            ExprKind::Tuple(items) | ExprKind::List(items) => items,
            ExprKind::Int(n) => {
                self.error(FrontError::InvalidValue {
                    arg: arg.into(),
                    message: format!("expected a tuple, got {n}"),
                    span: expr.span,
                    hint: Some(format!("write `({n},)` for a shape of one dimension")),
                });
                return None;
            }
            _ => {
                self.wrong(arg, "a shape tuple", expr);
                return None;
            }
        };
        let dims: Vec<Option<Option<u64>>> = items.iter().map(|e| self.dim(arg, e)).collect();
        dims.into_iter().collect()
    }
}
