//! The lines of a pasted notebook cell that rnnc ignores, each with the
//! reason its note gives, and the detection of Keras' functional API.
//!
//! A line is ignored only when it cannot change the model's structure:
//! seeding, optimizer objects, training and inference calls, printing, and
//! notebook commands. Calls that do change the model (`model.pop()`,
//! `model.load_weights(...)`) are not listed here and stay errors.

use super::ast::{Expr, ExprKind, Stmt, StmtKind};
use super::values::Cx;
use crate::diag::Diagnostic;

/// Methods of a model that leave its structure alone, and why each is ignored.
const MODEL_METHODS: &[(&str, &str)] = &[
    ("summary", "`rnnc summary` prints the summary"),
    (
        "compile",
        "training settings do not change the model's structure",
    ),
    ("fit", TRAINING),
    ("train_on_batch", TRAINING),
    ("evaluate", INFERENCE),
    ("test_on_batch", INFERENCE),
    ("predict", INFERENCE),
    ("predict_on_batch", INFERENCE),
    ("save", SAVING),
    ("save_weights", SAVING),
    ("count_params", "`rnnc summary` counts the parameters"),
];

const TRAINING: &str =
    "training does not change the model's structure; give trained weights with `--weights`";
const INFERENCE: &str = "inference does not change the model; run the ONNX file with `rnnc run`";
const SAVING: &str = "`rnnc compile` writes the model";
const SEEDING: &str =
    "seeds do not change the model; rnnc's weights come from `--seed` or `--weights`";
const OPTIMIZER: &str = "optimizers do not change the model's structure";
const PRINTING: &str = "printing does not change the model";
/// Why `%` and `!` lines are ignored.
pub const NOTEBOOK: &str = "notebook commands do not define the model";

/// Seeding functions, by module path with `np` and `tf` spelt out.
const SEED_FUNCTIONS: &[&[&str]] = &[
    &["numpy", "random", "seed"],
    &["random", "seed"],
    &["tensorflow", "random", "set_seed"],
    &["tensorflow", "set_random_seed"],
    &["tensorflow", "compat", "v1", "set_random_seed"],
    &["tensorflow", "keras", "utils", "set_random_seed"],
    &["keras", "utils", "set_random_seed"],
];

/// Keras' optimizer classes (`keras.optimizers`, Keras 2 and 3).
const OPTIMIZERS: &[&str] = &[
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adagrad",
    "Adamax",
    "Nadam",
    "Ftrl",
    "Lion",
    "Adafactor",
];

/// Modules an optimizer class is reached through
/// (`tf.keras.optimizers.legacy.Adam`).
const OPTIMIZER_MODULES: &[&str] = &[
    "tf",
    "tensorflow",
    "keras",
    "optimizers",
    "legacy",
    "experimental",
];

/// Whether `method` is a method of a model that a spec may call.
pub fn is_model_method(method: &str) -> bool {
    model_method_names().any(|m| m == method)
}

/// The names of the model methods a spec may call and rnnc ignores.
pub fn model_method_names() -> impl Iterator<Item = &'static str> {
    MODEL_METHODS.iter().map(|(m, _)| *m)
}

/// The note for an ignored statement.
pub fn note(stmt: &Stmt, reason: &str) -> Diagnostic {
    let what = match &stmt.kind {
        StmtKind::Magic(line) => line.clone(),
        StmtKind::Expr(expr) => expr.describe(),
        StmtKind::Assign { target, value } => format!("{} = {}", target.name, value.describe()),
        StmtKind::Unpack { targets, value } => {
            let names: Vec<&str> = targets
                .iter()
                .flat_map(|t| t.names())
                .map(|t| t.name.as_str())
                .collect();
            format!("{} = {}", names.join(", "), value.describe())
        }
        StmtKind::Import(_) | StmtKind::FromImport { .. } => "import".into(),
    };
    Diagnostic::new(format!("ignored `{what}` ({reason})"), stmt.span)
}

/// Why the statement `expr` (or an assignment of it) may be ignored, if it
/// may; `is_model_var` says whether a name holds the model.
pub fn reason(cx: &Cx, expr: &Expr, is_model_var: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    let ExprKind::Call { func, args } = &expr.kind else {
        return None;
    };
    if let ExprKind::Attribute { base, attr } = &func.kind {
        if matches!(&base.kind, ExprKind::Name(var) if is_model_var(var)) {
            return MODEL_METHODS
                .iter()
                .find(|(m, _)| *m == attr.name)
                .map(|(_, reason)| *reason);
        }
    }
    let mut path = cx.path(func)?;
    if !cx.aliases.contains_key(&path[0]) {
        match path[0].as_str() {
            "np" => path[0] = "numpy".into(),
            "tf" => path[0] = "tensorflow".into(),
            _ => {}
        }
    }
    if SEED_FUNCTIONS.iter().any(|f| f.iter().eq(path.iter())) {
        return Some(SEEDING);
    }
    let (last, modules) = path.split_last()?;
    if OPTIMIZERS.contains(&last.as_str())
        && modules
            .iter()
            .all(|m| OPTIMIZER_MODULES.contains(&m.as_str()))
    {
        return Some(OPTIMIZER);
    }
    let harmless = |e: &Expr| only_ignored_calls(cx, e, is_model_var);
    if path == ["print"] && args.iter().all(|a| harmless(&a.value)) {
        return Some(PRINTING);
    }
    None
}

/// Whether every call inside `expr` is one rnnc ignores (so that printing
/// its value cannot change the model).
fn only_ignored_calls(cx: &Cx, expr: &Expr, is_model_var: &dyn Fn(&str) -> bool) -> bool {
    match &expr.kind {
        ExprKind::Call { .. } => reason(cx, expr, is_model_var).is_some(),
        ExprKind::Attribute { base, .. } => only_ignored_calls(cx, base, is_model_var),
        ExprKind::Tuple(items) | ExprKind::List(items) => items
            .iter()
            .all(|e| only_ignored_calls(cx, e, is_model_var)),
        ExprKind::Neg(e) | ExprKind::Index { base: e, .. } => {
            only_ignored_calls(cx, e, is_model_var)
        }
        ExprKind::Name(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None => true,
    }
}

/// The first statement of a spec written with the functional API, if it is
/// one: a layer applied to a tensor (`LSTM(16)(x)`) or a `Model(...)` call
/// marks it, and an earlier `x = Input(...)` is where it starts.
pub fn functional_statement(stmts: &[Stmt]) -> Option<crate::diag::Span> {
    let marked = |stmt: &&Stmt| match &stmt.kind {
        StmtKind::Expr(e) | StmtKind::Assign { value: e, .. } => is_functional(e),
        // Unpacking is how functional specs take a layer's several outputs.
        StmtKind::Unpack { .. } => true,
        StmtKind::Import(_) | StmtKind::FromImport { .. } | StmtKind::Magic(_) => false,
    };
    let first_marked = stmts.iter().find(marked)?;
    let first_input = stmts.iter().find(
        |stmt| matches!(&stmt.kind, StmtKind::Assign { value, .. } if callee_is(value, "Input")),
    );
    let first = match first_input {
        Some(input) if input.span.start < first_marked.span.start => input,
        _ => first_marked,
    };
    Some(first.span)
}

/// Whether `expr` holds a functional-API call anywhere.
fn is_functional(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Call { func, args } => {
            matches!(func.kind, ExprKind::Call { .. })
                || callee_is(expr, "Model")
                || callee_is(expr, "Functional")
                || is_functional(func)
                || args.iter().any(|a| is_functional(&a.value))
        }
        ExprKind::Attribute { base, .. } => is_functional(base),
        ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().any(is_functional),
        ExprKind::Neg(e) | ExprKind::Index { base: e, .. } => is_functional(e),
        ExprKind::Name(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None => false,
    }
}

/// Whether `expr` calls something whose dotted name ends in `name`.
fn callee_is(expr: &Expr, name: &str) -> bool {
    let ExprKind::Call { func, .. } = &expr.kind else {
        return false;
    };
    func.path().is_some_and(|path| path.last() == Some(&name))
}
