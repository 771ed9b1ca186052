//! Lowering of spec statements to an [`ir::Model`](crate::ir::Model).
//!
//! Statements are lowered in order, as Python would run them: imports record
//! aliases, constant assignments bind names for later arguments, `Sequential()`
//! creates the model, `model.add(...)`, bare layer calls and `Input(...)` fill
//! it. `model.summary()` and `model.compile(...)` are accepted and ignored
//! (neither changes the inference graph); training and inference calls
//! (`fit`, `predict`, ...) and any other statement are errors. Every statement
//! is lowered even after an error, so one run reports all of them.

use super::ast::{Arg, Expr, ExprKind, Stmt, StmtKind};
use super::error::{did_you_mean, FrontError};
use super::input::lower_input;
use super::layers::{lower_layer, report_unknown_layer, LayerType};
use super::values::{Args, Cx, Schema};
use crate::diag::Span;
use crate::ir::{InputDecl, Layer, Model};

/// Methods of a model that a spec may call without effect.
const IGNORED_METHODS: &[&str] = &["summary", "compile"];

/// All methods a spec may call on the model.
const MODEL_METHODS: &[&str] = &["add", "summary", "compile"];

/// `Sequential(layers=None, trainable=True, name=None)`.
const SEQUENTIAL: Schema = Schema {
    callee: "Sequential",
    positional: &["layers", "trainable", "name"],
    keywords: &[],
};

/// What a called path refers to.
enum Callee {
    Layer,
    Input,
    Sequential,
    Other,
}

/// The model being built.
struct ModelState {
    /// The variable holding it (`model`), or `None` for bare layer calls.
    var: Option<String>,
    name: Option<String>,
    input: Option<InputDecl>,
    layers: Vec<Layer>,
}

/// Lowers parsed statements to a model, or returns every error found.
pub fn lower(stmts: &[Stmt]) -> Result<Model, Vec<FrontError>> {
    let mut lowerer = Lowerer {
        cx: Cx::default(),
        model: None,
    };
    for stmt in stmts {
        lowerer.statement(stmt);
    }
    let Lowerer { mut cx, model } = lowerer;
    cx.errors.sort_by_key(|e| e.span().map(|s| s.start));
    let model = match model {
        Some(model) if !model.layers.is_empty() => Some(model),
        _ => {
            if cx.errors.is_empty() {
                cx.error(FrontError::NoLayers);
            }
            None
        }
    };
    match model {
        Some(model) if cx.errors.is_empty() => Ok(Model {
            name: model.name,
            input: model.input,
            layers: model.layers,
        }),
        _ => Err(cx.errors),
    }
}

struct Lowerer {
    cx: Cx,
    model: Option<ModelState>,
}

impl Lowerer {
    fn statement(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Import(modules) => {
                for (path, alias) in modules {
                    if let Some(alias) = alias {
                        self.cx.aliases.insert(alias.clone(), path.clone());
                    }
                }
            }
            StmtKind::FromImport { module, names } => {
                for (name, alias) in names {
                    let mut full = module.clone();
                    full.push(name.clone());
                    let local = alias.clone().unwrap_or_else(|| name.clone());
                    self.cx.aliases.insert(local, full);
                }
            }
            StmtKind::Assign { target, value } => {
                let value = self.cx.substitute(value);
                let creates_model = matches!(self.callee(&value), Some((Callee::Sequential, _)));
                if self.is_model_var(&target.name) && !creates_model {
                    // Rebinding the model's variable leaves the model unnamed.
                    if let Some(model) = &mut self.model {
                        model.var = None;
                    }
                }
                match self.callee(&value) {
                    Some((Callee::Sequential, args)) => {
                        self.create_model(Some(target.name.clone()), &value, args)
                    }
                    Some((Callee::Layer | Callee::Input, _)) => {
                        self.cx.constants.insert(target.name.clone(), value);
                    }
                    _ if is_constant(&value) => {
                        self.cx.constants.insert(target.name.clone(), value);
                    }
                    _ => {
                        self.cx.constants.remove(&target.name);
                        self.unsupported(
                            format!("`{} = {}`", target.name, value.describe()),
                            stmt.span,
                        )
                    }
                }
            }
            StmtKind::Expr(expr) => {
                if let ExprKind::Name(name) = &expr.kind {
                    // Naming a layer constant alone does not add it.
                    return self.unsupported(format!("`{name}`"), stmt.span);
                }
                let expr = self.cx.substitute(expr);
                self.expr_statement(&expr, stmt.span);
            }
        }
    }

    fn unsupported(&mut self, what: String, span: Span) {
        self.cx
            .error(FrontError::UnsupportedStatement { what, span });
    }

    fn is_model_var(&self, name: &str) -> bool {
        self.model
            .as_ref()
            .is_some_and(|m| m.var.as_deref() == Some(name))
    }

    /// Classifies a call by its callee's path.
    fn callee<'e>(&self, expr: &'e Expr) -> Option<(Callee, &'e [Arg])> {
        let ExprKind::Call { func, args } = &expr.kind else {
            return None;
        };
        let callee = match self.cx.keras_name(func).as_deref() {
            Some("Sequential") => Callee::Sequential,
            Some("Input" | "InputLayer") => Callee::Input,
            Some(name) if LayerType::from_name(name).is_some() => Callee::Layer,
            _ => Callee::Other,
        };
        Some((callee, args))
    }

    fn expr_statement(&mut self, expr: &Expr, span: Span) {
        if let ExprKind::Str(_) = expr.kind {
            return; // A docstring.
        }
        let Some((callee, args)) = self.callee(expr) else {
            return self.unsupported(format!("`{}`", expr.describe()), span);
        };
        match callee {
            Callee::Sequential => self.create_model(None, expr, args),
            Callee::Input => self.add(expr),
            Callee::Layer => self.add(expr),
            Callee::Other => self.other_call(expr, args, span),
        }
    }

    /// A call that is neither a layer nor `Sequential`: a model method, a
    /// misspelt layer, or an unsupported statement.
    fn other_call(&mut self, expr: &Expr, args: &[Arg], span: Span) {
        let ExprKind::Call { func, .. } = &expr.kind else {
            return;
        };
        if let ExprKind::Attribute { base, attr } = &func.kind {
            if let ExprKind::Name(var) = &base.kind {
                if self.is_model_var(var) {
                    return self.model_method(var, &attr.name, attr.span, args, expr);
                }
                if MODEL_METHODS.contains(&attr.name.as_str()) && !self.cx.aliases.contains_key(var)
                {
                    let vars: Vec<&str> =
                        self.model.iter().filter_map(|m| m.var.as_deref()).collect();
                    let hint =
                        did_you_mean(var, vars.iter().copied()).unwrap_or_else(|| {
                            match vars.first() {
                                Some(model) => format!("the model is `{model}`"),
                                None => format!("create the model first: `{var} = Sequential()`"),
                            }
                        });
                    return self.cx.error(FrontError::UnknownModel {
                        name: var.clone(),
                        method: attr.name.clone(),
                        span: base.span,
                        hint: Some(hint),
                    });
                }
            }
        }
        if report_unknown_layer(&mut self.cx, expr) {
            return;
        }
        self.unsupported(format!("`{}`", expr.describe()), span);
    }

    fn model_method(&mut self, var: &str, method: &str, span: Span, args: &[Arg], call: &Expr) {
        if IGNORED_METHODS.contains(&method) {
            return;
        }
        if method != "add" {
            if let Some(hint) = did_you_mean(method, MODEL_METHODS.iter().copied()) {
                return self.cx.error(FrontError::UnknownMethod {
                    method: method.into(),
                    span,
                    hint: Some(hint),
                });
            }
            return self.cx.error(FrontError::NotModelDefinition {
                call: format!("{var}.{method}(...)"),
                span: call.span,
            });
        }
        match args {
            [Arg {
                keyword: None,
                value,
                ..
            }] => self.add(value),
            [] => self.cx.error(FrontError::MissingArgument {
                callee: "add".into(),
                arg: "layer".into(),
                span: call.span,
            }),
            [_, extra, ..] => self.cx.error(FrontError::TooManyPositional {
                callee: "add".into(),
                max: 1,
                got: args.len(),
                span: extra.span,
            }),
            [Arg {
                keyword: Some(k), ..
            }] => self.cx.error(FrontError::UnknownArgument {
                arg: k.name.clone(),
                callee: "add".into(),
                span: k.span,
                hint: Some("pass the layer by position: `model.add(LAYER)`".into()),
            }),
        }
    }

    /// The model, created implicitly for specs made of bare layer calls.
    fn model(&mut self) -> &mut ModelState {
        self.model.get_or_insert_with(|| ModelState {
            var: None,
            name: None,
            input: None,
            layers: Vec::new(),
        })
    }

    /// Adds a layer or an `Input` to the model.
    fn add(&mut self, expr: &Expr) {
        if let Some((Callee::Input, _)) = self.callee(expr) {
            if let Some(decl) = lower_input(&mut self.cx, expr) {
                self.set_input(decl);
            }
            return;
        }
        if let Some(layer) = lower_layer(&mut self.cx, expr) {
            self.model().layers.push(layer);
        }
    }

    fn set_input(&mut self, decl: InputDecl) {
        let span = decl.span;
        let model = self.model();
        let error = if model.input.is_some() {
            FrontError::InputTwice { span }
        } else if !model.layers.is_empty() {
            FrontError::InputAfterLayers { span }
        } else {
            model.input = Some(decl);
            return;
        };
        self.cx.error(error);
    }

    fn create_model(&mut self, var: Option<String>, call: &Expr, args: &[Arg]) {
        if let Some(model) = &self.model {
            if !model.layers.is_empty() || model.input.is_some() {
                self.cx.error(FrontError::SecondModel { span: call.span });
                // Later `.add`s go to the first model, so they cause no follow-up errors.
                if let (Some(model), Some(var)) = (&mut self.model, var) {
                    model.var = Some(var);
                }
                return;
            }
        }
        let args = Args::bind(&mut self.cx, &SEQUENTIAL, args, call.span);
        let name = args.value("name").and_then(|e| self.cx.name(e));
        self.model = Some(ModelState {
            var,
            name,
            input: None,
            layers: Vec::new(),
        });
        let Some(layers) = args.value("layers") else {
            return;
        };
        match &layers.kind {
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                for item in items {
                    self.add(item);
                }
            }
            _ => self.cx.wrong("layers", "a list of layers", layers),
        }
    }
}

/// Whether `expr` is a value a spec may bind to a name: numbers, strings,
/// booleans, `None`, and tuples or lists of those.
fn is_constant(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None => true,
        ExprKind::Neg(e) => is_constant(e),
        ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().all(is_constant),
        _ => false,
    }
}
