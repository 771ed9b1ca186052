//! `rnnc verify`: the ONNX file in tract against the reference interpreter.
//!
//! The model's metadata holds the spec and where its weights came from; the
//! source model is rebuilt from those alone (never from the ONNX graph), run
//! through the reference interpreter, and compared with tract's outputs on
//! the same seeded inputs, over several batch sizes and, for models of any
//! sequence length, several lengths.

mod inputs;
mod source;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;

use crate::budget::{self, BudgetError};
use crate::reference::{self, ReferenceError};
use crate::runtime::{RuntimeError, TractModel};
use crate::spec::{Spec, SpecError};
use crate::weights::WeightsError;

pub use inputs::generate as generate_input;
pub use source::{rebuild_source, reference_input, SourceModel};

/// Default absolute tolerance: tract and the reference both compute in f32
/// but sum in different orders; 1e-5 is the oracle tolerance issue #2 sets
/// against Keras itself.
pub const DEFAULT_ATOL: f32 = 1e-5;
/// Default relative tolerance, for outputs far from zero (ReLU/ELU cells can
/// grow large where absolute f32 rounding exceeds 1e-5).
pub const DEFAULT_RTOL: f32 = 1e-4;
/// Batch sizes tried when the batch is not fixed: 1 catches broadcasting
/// mistakes, the others symbolic-batch handling.
const BATCH_SIZES: [usize; 3] = [1, 2, 5];
/// Sequence lengths tried when the time axis is `None`.
const TIME_LENGTHS: [usize; 3] = [1, 4, 9];

/// Options of `rnnc verify`.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The weights file, required when the model was compiled from one.
    pub weights: Option<PathBuf>,
    /// Only this batch size (default: several, or the fixed one).
    pub batch: Option<usize>,
    /// Seed of the random inputs.
    pub seed: u64,
    pub atol: f32,
    pub rtol: f32,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            weights: None,
            batch: None,
            seed: 0,
            atol: DEFAULT_ATOL,
            rtol: DEFAULT_RTOL,
        }
    }
}

/// Why verification could not be carried out (as opposed to a mismatch).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read `{path}`: {message}")]
    Read { path: PathBuf, message: String },
    #[error("`{path}` is not an ONNX model: {message}")]
    NotOnnx { path: PathBuf, message: String },
    #[error("`{path}` has no rnnc metadata (`{key}`): verify needs a model compiled by rnnc")]
    NotRnnc { path: PathBuf, key: &'static str },
    #[error("the spec recorded in the model is invalid:\n{0}")]
    Spec(#[source] SpecError),
    #[error("the model was compiled from a weights file ({name}); pass it with --weights")]
    WeightsRequired { name: String },
    #[error("`{path}` is not the weights file the model was compiled from (SHA-256 {found}, recorded {expected})")]
    WeightsMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("the reference interpreter failed: {0}")]
    Reference(#[from] ReferenceError),
    #[error("--batch {batch} contradicts the model's fixed batch size {fixed}")]
    Batch { batch: usize, fixed: u64 },
    #[error(transparent)]
    Budget(#[from] BudgetError),
}

/// The comparison of one output in one case.
#[derive(Clone, Debug)]
pub struct OutputReport {
    pub name: String,
    /// tract's output shape.
    pub shape: Vec<usize>,
    /// Largest |tract − reference|.
    pub max_abs: f32,
    /// Largest |tract − reference| / |reference| (over non-zero references).
    pub max_rel: f32,
    /// Whether every element is within `atol + rtol·|reference|`
    /// (and the shapes agree).
    pub ok: bool,
    /// A shape disagreement, if any.
    pub problem: Option<String>,
}

/// One input shape tried.
#[derive(Clone, Debug)]
pub struct CaseReport {
    pub input_shape: Vec<usize>,
    pub outputs: Vec<OutputReport>,
}

/// Everything `verify` compared.
#[derive(Clone, Debug)]
pub struct Report {
    pub cases: Vec<CaseReport>,
    pub atol: f32,
    pub rtol: f32,
}

impl Report {
    /// Whether every output of every case agreed.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.outputs.iter().all(|o| o.ok))
    }

    /// A table of the cases and the largest errors, then the verdict.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for case in &self.cases {
            let _ = writeln!(out, "input {:?}", case.input_shape);
            for o in &case.outputs {
                let verdict = if o.ok { "ok" } else { "MISMATCH" };
                let _ = write!(
                    out,
                    "  {:<10} {:<14} max abs err {:.3e}  max rel err {:.3e}  {verdict}",
                    o.name,
                    format!("{:?}", o.shape),
                    o.max_abs,
                    o.max_rel
                );
                if let Some(problem) = &o.problem {
                    let _ = write!(out, " ({problem})");
                }
                out.push('\n');
            }
        }
        let outputs: usize = self.cases.iter().map(|c| c.outputs.len()).sum();
        let failed: usize = self
            .cases
            .iter()
            .map(|c| c.outputs.iter().filter(|o| !o.ok).count())
            .sum();
        let _ = writeln!(
            out,
            "{}: {} of {outputs} outputs over {} input shapes agree with the reference (atol {:e}, rtol {:e})",
            if failed == 0 { "verified" } else { "MISMATCH" },
            outputs - failed,
            self.cases.len(),
            self.atol,
            self.rtol
        );
        out
    }
}

/// Verifies the rnnc-compiled ONNX file at `path`.
pub fn verify(path: &Path, options: &VerifyOptions) -> Result<Report, VerifyError> {
    let SourceModel { spec, weights } = rebuild_source(path, options.weights.as_deref())?;
    // Before tract loads the model: the shapes' memory check counts tract's copy.
    let shapes = input_shapes(&spec, options.batch)?;
    let tract = TractModel::load(path)?;
    let mut cases = Vec::new();
    for (index, shape) in shapes.into_iter().enumerate() {
        let input = inputs::generate(&spec.model, &shape, options.seed.wrapping_add(index as u64));
        let expected = reference::run(&spec.model, &spec.info, &weights, &reference_input(&input))?;
        let actual = tract.run_f32(vec![input])?;
        let outputs = compare(tract.output_names(), &actual, &expected, options);
        cases.push(CaseReport {
            input_shape: shape,
            outputs,
        });
    }
    Ok(Report {
        cases,
        atol: options.atol,
        rtol: options.rtol,
    })
}

/// The input shapes to try: every batch size × every length where free;
/// refused when running them would exceed the memory budget.
fn input_shapes(spec: &Spec, batch: Option<usize>) -> Result<Vec<Vec<usize>>, VerifyError> {
    let declared = &spec.info.input_shape;
    let batches: Vec<usize> = match (declared[0], batch) {
        (Some(fixed), Some(b)) if fixed as usize != b => {
            return Err(VerifyError::Batch { batch: b, fixed })
        }
        (Some(fixed), _) => vec![fixed as usize],
        (None, Some(b)) => vec![b],
        (None, None) => BATCH_SIZES.to_vec(),
    };
    let mut shapes = vec![Vec::new()];
    for (axis, dim) in declared.iter().enumerate() {
        let choices: Vec<usize> = match (axis, dim) {
            (0, _) => batches.clone(),
            (_, Some(n)) => vec![*n as usize],
            (_, None) => TIME_LENGTHS.to_vec(),
        };
        shapes = shapes
            .into_iter()
            .flat_map(|prefix: Vec<usize>| {
                choices.iter().map(move |&c| {
                    let mut s = prefix.clone();
                    s.push(c);
                    s
                })
            })
            .collect();
    }
    inputs::check_memory(&spec.model, &spec.info, &shapes, batch, &budget::current())?;
    Ok(shapes)
}

/// Compares tract's outputs with the reference's, output by output.
fn compare(
    names: &[String],
    actual: &[ArrayD<f32>],
    expected: &[ArrayD<f32>],
    options: &VerifyOptions,
) -> Vec<OutputReport> {
    let mut reports: Vec<OutputReport> = names
        .iter()
        .zip(actual.iter().zip(expected))
        .map(|(name, (a, e))| compare_one(name, a, e, options))
        .collect();
    if actual.len() != expected.len() {
        reports.push(OutputReport {
            name: "(outputs)".into(),
            shape: Vec::new(),
            max_abs: f32::INFINITY,
            max_rel: f32::INFINITY,
            ok: false,
            problem: Some(format!(
                "tract gave {} outputs, the reference {}",
                actual.len(),
                expected.len()
            )),
        });
    }
    reports
}

fn compare_one(
    name: &str,
    actual: &ArrayD<f32>,
    expected: &ArrayD<f32>,
    options: &VerifyOptions,
) -> OutputReport {
    if actual.shape() != expected.shape() {
        return OutputReport {
            name: name.to_string(),
            shape: actual.shape().to_vec(),
            max_abs: f32::INFINITY,
            max_rel: f32::INFINITY,
            ok: false,
            problem: Some(format!("reference shape {:?}", expected.shape())),
        };
    }
    let mut max_abs = 0f32;
    let mut max_rel = 0f32;
    let mut ok = true;
    for (&a, &e) in actual.iter().zip(expected) {
        // Equal infinities agree, as in numpy's allclose.
        let diff = if a == e { 0.0 } else { (a - e).abs() };
        if !diff.is_finite() || diff > options.atol + options.rtol * e.abs() {
            ok = false;
        }
        max_abs = max_abs.max(if diff.is_nan() { f32::INFINITY } else { diff });
        if e != 0.0 {
            max_rel = max_rel.max(diff / e.abs());
        }
    }
    OutputReport {
        name: name.to_string(),
        shape: actual.shape().to_vec(),
        max_abs,
        max_rel,
        ok,
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn tolerance_is_absolute_plus_relative() {
        let opts = VerifyOptions::default();
        let e = arr1(&[100.0f32, 0.0]).into_dyn();
        let close = arr1(&[100.005f32, 5e-6]).into_dyn();
        assert!(compare_one("y", &close, &e, &opts).ok);
        let far = arr1(&[100.0f32, 2e-5]).into_dyn();
        assert!(!compare_one("y", &far, &e, &opts).ok);
        let nan = arr1(&[f32::NAN, 0.0]).into_dyn();
        assert!(!compare_one("y", &nan, &e, &opts).ok);
        let inf = arr1(&[f32::INFINITY, f32::NEG_INFINITY]).into_dyn();
        assert!(compare_one("y", &inf, &inf, &opts).ok);
        let flipped = arr1(&[f32::NEG_INFINITY, f32::INFINITY]).into_dyn();
        assert!(!compare_one("y", &flipped, &inf, &opts).ok);
    }

    #[test]
    fn shape_mismatch_fails() {
        let opts = VerifyOptions::default();
        let r = compare_one(
            "y",
            &arr1(&[1.0f32]).into_dyn(),
            &arr1(&[1.0f32, 2.0]).into_dyn(),
            &opts,
        );
        assert!(!r.ok);
        assert!(r.problem.is_some());
    }
}
