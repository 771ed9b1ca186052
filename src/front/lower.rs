//! Lowering of spec statements to an [`ir::Model`](crate::ir::Model).
//!
//! Statements are lowered in order, as Python would run them: imports record
//! aliases, constant assignments bind names for later arguments, `Sequential()`
//! creates the model, `model.add(...)`, bare layer calls and `Input(...)` fill
//! it, `model.build(input_shape)` gives its input shape.
//!
//! Lines a notebook cell holds around the model that cannot change its
//! structure are ignored with a note each (see [`ignored`]): `model.summary()`,
//! `model.compile(...)`, `model.fit(...)` and other training or inference
//! calls, seeding (`np.random.seed(7)`), optimizer objects, `print(...)` of
//! such calls, `%` magics and `!` shell lines. Any other statement, and any
//! call that would change the model (`model.pop()`, `model.load_weights(...)`),
//! is an error. Every statement is lowered even after an error, so one run
//! reports all of them.
//!
//! A spec written with the functional API (`keras.Input`, `layer(x)`,
//! `keras.Model(inputs, outputs)`) gets one error before anything is lowered,
//! instead of one per statement.
//!
//! Constants are substituted into later statements; the copies are bounded in
//! size ([`MAX_EXPANDED_NODES`]) and height ([`MAX_NESTING`]) so that
//! constants built from constants cannot blow up time, memory or the stack.

use std::collections::HashMap;

use super::ast::{Arg, Expr, ExprKind, Stmt, StmtKind};
use super::error::{did_you_mean, FrontError};
use super::functional;
use super::ignored;
use super::input::lower_input;
use super::layers::{lower_layer, report_unknown_layer, LayerType};
use super::parser::MAX_NESTING;
use super::values::{Args, Cx, Schema};
use crate::diag::{Diagnostic, Span};
use crate::ir::{InputDecl, KerasDialect, Layer, Model};

/// The most expression nodes the substitution of constants may produce over
/// a whole spec. A spec is at most [`crate::spec::MAX_SPEC_BYTES`] (1 MiB),
/// so its own text holds well under a million nodes; more can only come from
/// constants copied into constants (`b = [a, a]`, `c = [b, b]`, ...), which
/// doubles with each line.
pub const MAX_EXPANDED_NODES: usize = 1 << 20;

/// The methods of a model that build it, besides the ignored ones.
const BUILDING_METHODS: &[&str] = &["add", "build"];

/// `model.build(input_shape=None)`.
const BUILD: Schema = Schema {
    callee: "build",
    positional: &["input_shape"],
    keywords: &[],
};

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

/// The size of an expression once constants are substituted into it.
#[derive(Clone, Copy)]
pub(super) struct Expansion {
    nodes: usize,
    height: usize,
}

impl Expansion {
    /// A leaf: a name or a literal.
    const LEAF: Expansion = Expansion {
        nodes: 1,
        height: 1,
    };

    /// A node over `children`.
    fn parent(children: impl Iterator<Item = Expansion>) -> Expansion {
        children.fold(Expansion::LEAF, |sum, child| Expansion {
            nodes: sum.nodes.saturating_add(child.nodes),
            height: sum.height.max(child.height + 1),
        })
    }
}

/// Lowers parsed statements to a model and the notes about ignored lines, or
/// returns every error found.
pub fn lower(
    stmts: &[Stmt],
    keras_dialect: Option<KerasDialect>,
) -> Result<(Model, Vec<Diagnostic>), Vec<FrontError>> {
    let cx = Cx {
        keras_dialect,
        ..Cx::default()
    };
    if ignored::functional_statement(stmts).is_some() {
        return functional::lower(stmts, cx);
    }
    let mut lowerer = Lowerer {
        cx,
        model: None,
        notes: Vec::new(),
        subst: Substitution::default(),
    };
    for stmt in stmts {
        lowerer.statement(stmt);
    }
    let Lowerer {
        mut cx,
        model,
        notes,
        ..
    } = lowerer;
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
        Some(model) if cx.errors.is_empty() => Ok((
            Model::sequential(model.name, model.input, model.layers),
            notes,
        )),
        _ => Err(cx.errors),
    }
}

/// The sizes of the constants a spec defines, and of everything substituted
/// so far: the bound that keeps constants built from constants from blowing
/// up time, memory or the stack, for Sequential and functional specs alike.
#[derive(Default)]
pub(super) struct Substitution {
    /// The expanded size of each constant in `cx.constants`.
    sizes: HashMap<String, Expansion>,
    /// Expression nodes produced by substitution so far.
    expanded: usize,
}

impl Substitution {
    /// Binds `name` to a substituted constant of the given size.
    pub(super) fn define(&mut self, cx: &mut Cx, name: &str, value: Expr, size: Expansion) {
        cx.constants.insert(name.to_string(), value);
        self.sizes.insert(name.to_string(), size);
    }

    /// Unbinds `name`: it now holds something a spec cannot use as a value.
    pub(super) fn forget(&mut self, cx: &mut Cx, name: &str) {
        cx.constants.remove(name);
        self.sizes.remove(name);
    }

    /// The size of `expr` with constants substituted, when it stays within
    /// [`MAX_NESTING`] and the spec within [`MAX_EXPANDED_NODES`]; reports
    /// and returns `None` otherwise.
    pub(super) fn within_limits(&mut self, cx: &mut Cx, expr: &Expr) -> Option<Expansion> {
        let size = self.expansion(expr);
        if size.height > MAX_NESTING {
            cx.error(FrontError::TooDeep {
                limit: MAX_NESTING,
                span: expr.span,
            });
            return None;
        }
        self.expanded = self.expanded.saturating_add(size.nodes);
        if self.expanded > MAX_EXPANDED_NODES {
            cx.error(FrontError::TooLargeExpansion {
                limit: MAX_EXPANDED_NODES,
                span: expr.span,
            });
            return None;
        }
        Some(size)
    }

    /// What [`Cx::substitute`] would make of `expr`, measured without
    /// building it (the parser bounds the height of `expr` itself, so this
    /// recursion is shallow).
    fn expansion(&self, expr: &Expr) -> Expansion {
        match &expr.kind {
            ExprKind::Name(name) => self.sizes.get(name).copied().unwrap_or(Expansion::LEAF),
            ExprKind::Call { func, args } => Expansion::parent(
                std::iter::once(plain_size(func))
                    .chain(args.iter().map(|a| self.expansion(&a.value))),
            ),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                Expansion::parent(items.iter().map(|e| self.expansion(e)))
            }
            ExprKind::Neg(e) | ExprKind::Index { base: e, .. } => {
                Expansion::parent(std::iter::once(self.expansion(e)))
            }
            ExprKind::Attribute { .. }
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None => plain_size(expr),
        }
    }
}

struct Lowerer {
    cx: Cx,
    model: Option<ModelState>,
    /// Notes about ignored lines, in source order.
    notes: Vec<Diagnostic>,
    subst: Substitution,
}

impl Lowerer {
    fn statement(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Import(_) | StmtKind::FromImport { .. } => record_import(&mut self.cx, stmt),
            StmtKind::Unpack { .. } => {
                self.unsupported("unpacking".into(), stmt.span);
            }
            StmtKind::Magic(_) => self.notes.push(ignored::note(stmt, ignored::NOTEBOOK)),
            StmtKind::Assign { target, value } => {
                if !self.is_model_var(&target.name) {
                    if let Some(reason) = self.ignored(value) {
                        self.subst.forget(&mut self.cx, &target.name);
                        return self.notes.push(ignored::note(stmt, reason));
                    }
                }
                let Some(size) = self.subst.within_limits(&mut self.cx, value) else {
                    return self.subst.forget(&mut self.cx, &target.name);
                };
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
                        self.subst.define(&mut self.cx, &target.name, value, size);
                    }
                    _ if is_constant(&value) => {
                        self.subst.define(&mut self.cx, &target.name, value, size)
                    }
                    _ => {
                        self.subst.forget(&mut self.cx, &target.name);
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
                if let Some(reason) = self.ignored(expr) {
                    return self.notes.push(ignored::note(stmt, reason));
                }
                if self.subst.within_limits(&mut self.cx, expr).is_none() {
                    return;
                }
                let expr = self.cx.substitute(expr);
                self.expr_statement(&expr, stmt.span);
            }
        }
    }

    /// Why the statement `expr` is ignored, if it is.
    fn ignored(&self, expr: &Expr) -> Option<&'static str> {
        ignored::reason(&self.cx, expr, &|var| self.is_model_var(var))
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
                let method = attr.name.as_str();
                let is_method =
                    BUILDING_METHODS.contains(&method) || ignored::is_model_method(method);
                if is_method && !self.cx.aliases.contains_key(var) {
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
        if method == "build" {
            return self.build(args, call);
        }
        if method != "add" {
            let known = BUILDING_METHODS
                .iter()
                .copied()
                .chain(ignored::model_method_names());
            if let Some(hint) = did_you_mean(method, known) {
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

    /// `model.build(input_shape)`: the model's input shape, batch first.
    fn build(&mut self, args: &[Arg], call: &Expr) {
        let args = Args::bind(&mut self.cx, &BUILD, args, call.span);
        let Some(value) = args.value("input_shape") else {
            return; // Keras builds from the layers' own input shapes.
        };
        let Some(mut dims) = self.cx.shape("input_shape", value) else {
            return;
        };
        if dims.is_empty() {
            return self
                .cx
                .wrong("input_shape", "a shape with a batch dimension", value);
        }
        let batch = dims.remove(0);
        let mut decl = InputDecl {
            batch,
            dims,
            dtype: None,
            span: value.span,
        };
        let model = self.model();
        let given = model
            .input
            .as_ref()
            .or_else(|| model.layers.first().and_then(|l| l.input.as_ref()));
        match given {
            None => model.input = Some(decl),
            // The same shape, perhaps with a fixed batch where it had none.
            Some(other)
                if other.dims == decl.dims && (other.batch.is_none() || other.batch == batch) =>
            {
                decl.dtype = other.dtype;
                model.input = Some(decl);
            }
            Some(other) => {
                let message = format!(
                    "`build` gives {}, but the model's input is declared as {} earlier",
                    shape_text(&decl),
                    shape_text(other)
                );
                self.cx.error(FrontError::ConflictingShape {
                    message,
                    span: decl.span,
                });
            }
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
            if layer.kind.takes_list() {
                return self.cx.error(FrontError::MergeInSequential {
                    class: layer.kind.class_name(),
                    span: layer.span,
                });
            }
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

/// Records the aliases an import statement binds (`import keras as k`,
/// `from keras.layers import LSTM`).
pub(super) fn record_import(cx: &mut Cx, stmt: &Stmt) {
    match &stmt.kind {
        StmtKind::Import(modules) => {
            for (path, alias) in modules {
                if let Some(alias) = alias {
                    cx.aliases.insert(alias.clone(), path.clone());
                }
            }
        }
        StmtKind::FromImport { module, names } => {
            for (name, alias) in names {
                let mut full = module.clone();
                full.push(name.clone());
                let local = alias.clone().unwrap_or_else(|| name.clone());
                cx.aliases.insert(local, full);
            }
        }
        StmtKind::Assign { .. }
        | StmtKind::Unpack { .. }
        | StmtKind::Expr(_)
        | StmtKind::Magic(_) => {}
    }
}

/// `(None, 10, 4)`: a declared input shape, batch first, for messages.
fn shape_text(decl: &InputDecl) -> String {
    let dims: Vec<String> = std::iter::once(decl.batch)
        .chain(decl.dims.iter().copied())
        .map(|d| d.map_or_else(|| "None".to_string(), |d| d.to_string()))
        .collect();
    format!("({})", dims.join(", "))
}

/// The size of `expr` as written, without substitution.
fn plain_size(expr: &Expr) -> Expansion {
    let children: Vec<&Expr> = match &expr.kind {
        ExprKind::Attribute { base, .. } => vec![base],
        ExprKind::Call { func, args } => std::iter::once(&**func)
            .chain(args.iter().map(|a| &a.value))
            .collect(),
        ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().collect(),
        ExprKind::Neg(e) | ExprKind::Index { base: e, .. } => vec![e],
        ExprKind::Name(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None => Vec::new(),
    };
    Expansion::parent(children.into_iter().map(plain_size))
}

/// Whether `expr` is a value a spec may bind to a name: numbers, strings,
/// booleans, `None`, and tuples or lists of those.
pub(super) fn is_constant(expr: &Expr) -> bool {
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
