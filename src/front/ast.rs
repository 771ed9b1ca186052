//! The spanned syntax tree of a spec: the subset of Python statements and
//! expressions that a Keras model definition is written in.
//!
//! The tree says nothing about meaning; [`super::lower`] decides which calls are
//! layers and which statements describe the model.

use crate::diag::Span;

/// A name and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One target of an unpacking assignment: a name, or a parenthesized or
/// bracketed group of names that unpacks the list at that place (Keras
/// returns a stacked LSTM cell's states as `[h, c]`).
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Name(Ident),
    Group(Vec<Ident>),
}

impl Target {
    /// Every name the target binds.
    pub fn names(&self) -> &[Ident] {
        match self {
            Target::Name(ident) => std::slice::from_ref(ident),
            Target::Group(idents) => idents,
        }
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The expression forms a spec may use.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `hidden_units`, `SimpleRNN`.
    Name(String),
    /// `base.attr`, e.g. `keras.layers`.
    Attribute {
        base: Box<Expr>,
        attr: Ident,
    },
    /// `func(args...)`.
    Call {
        func: Box<Expr>,
        args: Vec<Arg>,
    },
    Int(u64),
    Float(f64),
    /// A string literal (adjacent literals concatenated, as in Python).
    Str(String),
    Bool(bool),
    None,
    /// `(a, b)`, `(a,)`, `()`.
    Tuple(Vec<Expr>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `-operand`.
    Neg(Box<Expr>),
    /// `base[index]` with an integer literal (negative from the end), as in
    /// `states[0]`.
    Index {
        base: Box<Expr>,
        index: i64,
    },
}

/// One argument of a call: positional when `keyword` is `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub keyword: Option<Ident>,
    pub value: Expr,
    /// The whole argument, keyword included.
    pub span: Span,
}

/// A statement with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// The statement forms a spec may use.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `import a.b [as c], ...`: each module path and its alias.
    Import(Vec<(Vec<String>, Option<String>)>),
    /// `from a.b import c [as d], ...`; an empty name list means `import *`.
    FromImport {
        module: Vec<String>,
        names: Vec<(String, Option<String>)>,
    },
    /// `target = value`.
    Assign { target: Ident, value: Expr },
    /// `a, b, _ = value` (or with parentheses or brackets around the names;
    /// a name may be a group itself, `out, (h, c), h2 = ...`).
    Unpack { targets: Vec<Target>, value: Expr },
    /// An expression on its own, e.g. `model.add(...)`.
    Expr(Expr),
    /// A notebook line: an IPython magic (`%matplotlib inline`) or a shell
    /// escape (`!pip install keras`), as written.
    Magic(String),
}

impl Expr {
    /// The dotted path of a name or attribute chain (`keras.layers.LSTM`), or
    /// `None` for any other expression.
    pub fn path(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ExprKind::Name(n) => Some(vec![n.as_str()]),
            ExprKind::Attribute { base, attr } => {
                let mut path = base.path()?;
                path.push(attr.name.as_str());
                Some(path)
            }
            _ => None,
        }
    }

    /// A short Python-like rendering for messages: `'8'`, `1`, `(2, 10)`,
    /// `np.zeros(...)`.
    pub fn describe(&self) -> String {
        let list = |items: &[Expr]| {
            items
                .iter()
                .map(Expr::describe)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.kind {
            ExprKind::Name(n) => n.clone(),
            ExprKind::Attribute { base, attr } => format!("{}.{}", base.describe(), attr.name),
            ExprKind::Call { func, .. } => format!("{}(...)", func.describe()),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::Float(f) => format!("{f:?}"),
            ExprKind::Str(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            ExprKind::Bool(true) => "True".into(),
            ExprKind::Bool(false) => "False".into(),
            ExprKind::None => "None".into(),
            ExprKind::Tuple(items) if items.len() == 1 => format!("({},)", items[0].describe()),
            ExprKind::Tuple(items) => format!("({})", list(items)),
            ExprKind::List(items) => format!("[{}]", list(items)),
            ExprKind::Neg(e) => format!("-{}", e.describe()),
            ExprKind::Index { base, index } => format!("{}[{index}]", base.describe()),
        }
    }
}
