//! `rnnc verify`: the ONNX file against what rnnc emits, and in tract
//! against the reference interpreter.
//!
//! The model's metadata holds the spec and where its weights came from; the
//! source model is rebuilt from those alone (never from the ONNX graph).
//! [`file_check`] emits it again and compares the file with it field by
//! field, which catches what running it cannot (attributes tract ignores,
//! weights random inputs never reach). Then the reference interpreter and
//! tract run on the same seeded inputs, over several batch sizes and, for
//! models of any sequence length, several lengths; Embedding models also get
//! inputs that reach every row of the table.

mod chunks;
mod diff;
pub(crate) mod external;
mod file_check;
mod inputs;
mod source;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::time::{Duration, Instant};

use ndarray::ArrayD;

use crate::budget::{self, BudgetError};
use crate::chunked::StreamingFile;
use crate::files::FileError;
use crate::metadata::WeightSource;
use crate::progress;
use crate::reference::{self, ReferenceError};
use crate::runtime::{RuntimeError, TractModel};
use crate::spec::{Spec, SpecError};
use crate::tensor::TensorData;
use crate::weights::WeightsError;

pub use file_check::FileCheck;
use inputs::IdCoverage;
use source::{read_source, SourceFile};
pub use source::{rebuild_source, reference_input, SourceModel, SourceWeights};

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
/// Sequence lengths tried when the time axis is `None`: 1 (no recurrence),
/// short ones, and 33, long enough for an edit that triggers only after
/// many steps, short enough that a cell with a linear gate
/// (`tests/activations.rs`) stays finite in f32 (at 64 it overflows).
const TIME_LENGTHS: [usize; 4] = [1, 4, 9, 33];
/// Differences of the file check listed in the report; the rest are counted.
const MAX_LISTED_DIFFERENCES: usize = 20;

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
    #[error(transparent)]
    File(#[from] FileError),
    #[error("`{path}` is not an ONNX model: {message}")]
    NotOnnx { path: PathBuf, message: String },
    #[error("`{path}` has no rnnc metadata (`{key}`): verify needs a model compiled by rnnc")]
    NotRnnc { path: PathBuf, key: &'static str },
    #[error("the spec recorded in the model is invalid:\n{0}")]
    Spec(#[source] SpecError),
    #[error("the model was compiled from a weights file ({name}); pass it with --weights")]
    WeightsRequired { name: String },
    #[error(
        "the model records seed {seed} and no weights file, so --weights `{path}` would be ignored; \
         drop --weights, or compile with --weights `{path}` to verify against it"
    )]
    WeightsForSeed { path: PathBuf, seed: u64 },
    #[error("`{path}` is not the weights file the model was compiled from (SHA-256 {found}, recorded {expected})")]
    WeightsMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// The file was compiled from a Keras model file whose architecture,
    /// read again, is not the spec the file records.
    #[error(
        "the spec recorded in the model is not the architecture in `{}`: the recorded \
         spec was edited, or the file was compiled by another rnnc version{}",
        path.display(),
        cause.as_ref().map_or(String::new(), |c| format!(" ({c})"))
    )]
    ArchitectureMismatch {
        path: PathBuf,
        cause: Option<String>,
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
    /// The element nearest its bound (or furthest past it), when the
    /// shapes agree and the output is not empty.
    pub margin: Option<Margin>,
    /// A shape disagreement, if any.
    pub problem: Option<String>,
}

/// One element's error against the error it is allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Margin {
    /// |tract − reference| (infinite for NaN).
    pub diff: f32,
    /// atol + rtol·|reference| for this element.
    pub allowed: f32,
}

impl Margin {
    /// How much of its allowance the element uses (above 1: a mismatch).
    fn used(&self) -> f32 {
        if self.diff == 0.0 {
            0.0
        } else if self.allowed.is_nan() {
            f32::INFINITY
        } else {
            self.diff / self.allowed
        }
    }
}

/// One case tried (a shape per model input), in one run or in several of
/// those shapes.
#[derive(Clone, Debug)]
pub struct CaseReport {
    pub input_shapes: Vec<Vec<usize>>,
    /// How many inputs of that shape were run (the outputs' figures are
    /// the worst over them).
    pub runs: usize,
    /// What the inputs are chosen to reach, when not merely random.
    pub covers: Option<String>,
    pub outputs: Vec<OutputReport>,
}

/// Everything `verify` compared.
#[derive(Clone, Debug)]
pub struct Report {
    /// The file against what rnnc emits from its recorded source.
    pub file: FileCheck,
    pub cases: Vec<CaseReport>,
    pub atol: f32,
    pub rtol: f32,
    pub timings: Timings,
}

/// Wall-clock time of verify's phases.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Reading the file and rebuilding its source (initializing or reading
    /// the weights unless `compile --verify` passed them).
    pub source: Duration,
    /// Emitting the recorded source again and comparing it with the file.
    pub file_check: Duration,
    /// tract reading and optimizing the file.
    pub tract_load: Duration,
    /// The reference interpreter, over every input.
    pub reference: Duration,
    /// tract running, over every input.
    pub tract: Duration,
    /// verify from start to end: tract loads and runs on a thread of its
    /// own, alongside the source weights, the file check and the reference.
    pub total: Duration,
}

impl Report {
    /// Whether the file is rnnc's output and every output of every case agreed.
    pub fn passed(&self) -> bool {
        self.file.passed() && self.cases.iter().all(|c| c.outputs.iter().all(|o| o.ok))
    }

    /// The report's head: the file check and the legend of the cases' table.
    /// Each case's lines follow ([`verify`] shows them as they become known),
    /// then [`render_tail`](Self::render_tail).
    pub fn render_head(&self) -> String {
        let mut out = self.render_file_check();
        let _ = writeln!(
            out,
            "tract against the reference, per element: |tract − ref| ≤ atol + rtol·|ref| \
             (atol {:e}, rtol {:e}); margin: the worst element's |tract − ref| against its own bound",
            self.atol, self.rtol
        );
        out
    }

    /// Where the time went, and the verdict.
    pub fn render_tail(&self) -> String {
        let mut out = String::new();
        let t = &self.timings;
        let _ = writeln!(
            out,
            "time: source weights {}, file check {}, tract load {}, reference {}, tract {}; \
             {} in all (tract alongside the rest)",
            seconds(t.source),
            seconds(t.file_check),
            seconds(t.tract_load),
            seconds(t.reference),
            seconds(t.tract),
            seconds(t.total)
        );
        let outputs: usize = self.cases.iter().map(|c| c.outputs.len()).sum();
        let failed: usize = self
            .cases
            .iter()
            .map(|c| c.outputs.iter().filter(|o| !o.ok).count())
            .sum();
        let file = if self.file.passed() {
            "the file is what rnnc emits from its recorded source".to_string()
        } else {
            let n = self.file.differences.len();
            format!(
                "the file differs from what rnnc emits from its recorded source ({n} difference{})",
                if n == 1 { "" } else { "s" }
            )
        };
        let _ = writeln!(
            out,
            "{}: {file}; {} of {outputs} outputs over {} input shapes agree with the reference (atol {:e}, rtol {:e})",
            if self.passed() { "verified" } else { "MISMATCH" },
            outputs - failed,
            self.cases.len(),
            self.atol,
            self.rtol
        );
        out
    }

    /// The file check's line, and its differences when there are some.
    fn render_file_check(&self) -> String {
        let file = &self.file;
        let mut out = String::new();
        if file.passed() {
            let _ = writeln!(
                out,
                "file: every node, attribute and initializer is what rnnc emits from the recorded \
                 source ({}; {} nodes, {} initializers)  ok",
                file.compared_with, file.nodes, file.initializers
            );
            return out;
        }
        let _ = writeln!(
            out,
            "file: MISMATCH with what rnnc emits from the recorded source ({}):",
            file.compared_with
        );
        for difference in file.differences.iter().take(MAX_LISTED_DIFFERENCES) {
            let _ = writeln!(out, "  - {difference}");
        }
        if file.differences.len() > MAX_LISTED_DIFFERENCES {
            let _ = writeln!(
                out,
                "  … and {} more differences",
                file.differences.len() - MAX_LISTED_DIFFERENCES
            );
        }
        if let Some(note) = &file.version_note {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }
}

/// A case's line and its outputs' rows.
fn render_case(case: &CaseReport) -> String {
    let mut out = format!("input {}", inputs::render_shapes(&case.input_shapes));
    if case.runs > 1 {
        let _ = write!(out, " ×{}", case.runs);
    }
    if let Some(covers) = &case.covers {
        let _ = write!(out, "  ({covers})");
    }
    out.push('\n');
    for o in &case.outputs {
        out.push_str(&render_output(o));
    }
    out
}

/// `0.12 s`, or `3 ms` under a tenth of a second.
fn seconds(d: Duration) -> String {
    if d < Duration::from_millis(100) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// One output's row of the table.
fn render_output(o: &OutputReport) -> String {
    let mut out = format!(
        "  {:<10} {:<14} max abs err {:.3e}  max rel err {:.3e}",
        o.name,
        format!("{:?}", o.shape),
        o.max_abs,
        o.max_rel
    );
    if let Some(m) = o.margin {
        let relation = if m.used() <= 1.0 { "≤" } else { ">" };
        let _ = write!(out, "  margin {:.3e} {relation} {:.3e}", m.diff, m.allowed);
    }
    let _ = write!(out, "  {}", if o.ok { "ok" } else { "MISMATCH" });
    if let Some(problem) = &o.problem {
        let _ = write!(out, " ({problem})");
    }
    out.push('\n');
    out
}

/// Verifies the rnnc-compiled ONNX file at `path`, rebuilding its source
/// weights from the file's record. `show` receives the report's head and
/// each case's lines as soon as they are known (the tail is the caller's
/// to print from the returned report).
pub fn verify(
    path: &Path,
    options: &VerifyOptions,
    show: &mut dyn FnMut(&str),
) -> Result<Report, VerifyError> {
    verify_source(
        path,
        options,
        SourceWeights::Rebuild(options.weights.as_deref()),
        show,
    )
}

/// [`verify`] for the file at `path` that `compile` has just written from
/// `weights`, without initializing or reading them again.
pub fn verify_compiled(
    path: &Path,
    options: &VerifyOptions,
    weights: crate::weights::Weights,
    show: &mut dyn FnMut(&str),
) -> Result<Report, VerifyError> {
    verify_source(path, options, SourceWeights::Compiled(weights), show)
}

/// What the tract thread sends, in order: the output names once the file is
/// loaded, then each input it ran with tract's outputs.
enum FromTract {
    Loaded {
        names: Vec<String>,
        took: Duration,
    },
    Ran {
        inputs: Vec<TensorData>,
        outputs: Vec<ArrayD<f32>>,
        took: Duration,
    },
}

/// The inputs of every case in order (one array per model input): one
/// case per entry of `cases`, then the token-id coverage runs. Case k's
/// input i is drawn with seed `seed + k + i·2^32`, so a one-input model's
/// inputs do not depend on how many inputs other models have.
fn case_inputs<'a>(
    model: &'a crate::ir::Model,
    cases: &'a [Vec<Vec<usize>>],
    coverage: Option<&'a IdCoverage>,
    seed: u64,
) -> impl Iterator<Item = Vec<TensorData>> + 'a {
    let cases = cases
        .iter()
        .enumerate()
        .map(move |(index, shapes)| drawn_inputs(model, index, shapes, seed));
    let coverage = coverage
        .into_iter()
        .flat_map(|coverage| (0..coverage.runs).map(move |index| vec![coverage.run(index)]));
    cases.chain(coverage)
}

/// The inputs of case `index`, one per model input: input i drawn with
/// seed `seed + index + i·2^32`.
fn drawn_inputs(
    model: &crate::ir::Model,
    index: usize,
    shapes: &[Vec<usize>],
    seed: u64,
) -> Vec<TensorData> {
    shapes
        .iter()
        .enumerate()
        .map(|(i, shape)| {
            let seed = seed
                .wrapping_add(index as u64)
                .wrapping_add((i as u64) << 32);
            inputs::generate(model, crate::ir::InputId(i as u32), shape, seed)
        })
        .collect()
}

/// tract's side of verify, on a thread of its own: loads the file and runs
/// every case's input, sending each result as soon as it is known. The
/// channel holds one result: while the reference works on case k, tract may
/// hold case k+1's finished result and run case k+2 (the memory check counts
/// one case's activations on each side, not the waiting result's input and
/// outputs). It stops when the receiver is gone.
fn run_in_tract(
    path: &Path,
    model: &crate::ir::Model,
    cases: &[Vec<Vec<usize>>],
    coverage: Option<&IdCoverage>,
    seed: u64,
    sender: SyncSender<Result<FromTract, VerifyError>>,
) {
    let started = Instant::now();
    let tract = match TractModel::load(path) {
        Ok(tract) => tract,
        Err(error) => {
            // A send fails only once verify has stopped listening.
            let _ = sender.send(Err(error.into()));
            return;
        }
    };
    let loaded = FromTract::Loaded {
        names: tract.output_names().to_vec(),
        took: started.elapsed(),
    };
    if sender.send(Ok(loaded)).is_err() {
        return;
    }
    for inputs in case_inputs(model, cases, coverage, seed) {
        let started = Instant::now();
        let result = tract.run_f32(inputs.clone()).map(|outputs| FromTract::Ran {
            inputs,
            outputs,
            took: started.elapsed(),
        });
        let failed = result.is_err();
        if sender.send(result.map_err(VerifyError::from)).is_err() || failed {
            return;
        }
    }
}

fn verify_source(
    path: &Path,
    options: &VerifyOptions,
    weights: SourceWeights<'_>,
    show: &mut dyn FnMut(&str),
) -> Result<Report, VerifyError> {
    let started = Instant::now();
    let file = read_source(path)?;
    // The weights file's own refusal is the more telling one, and comes
    // before the cases' (which count the weights too).
    if let (WeightSource::File { .. }, SourceWeights::Rebuild(Some(_))) =
        (&file.weight_source, &weights)
    {
        budget::weights::check_load(&file.spec.info, &budget::current())?;
    }
    let shapes = input_shapes(&file.spec, options.batch)?;
    let coverage = id_coverage(&file.spec, options.batch);
    if let Some(coverage) = &coverage {
        inputs::check_memory(
            &file.spec.model,
            &file.spec.info,
            &[vec![coverage.shape.clone()]],
            options.batch,
            &budget::current(),
        )?;
    }
    // tract loads and runs the file on a thread of its own while this one
    // rebuilds the source weights, checks the file and runs the reference:
    // the two sides share nothing but the inputs.
    let model = file.spec.model.clone();
    let mut report = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel(1);
        let (model, shapes, coverage) = (&model, &shapes, coverage.as_ref());
        scope.spawn(move || run_in_tract(path, model, shapes, coverage, options.seed, sender));
        let from_tract = || {
            receiver
                .recv()
                .expect("the tract thread sends a result before it ends")
        };
        verify_alongside(
            path, file, weights, options, shapes, coverage, from_tract, show,
        )
    })?;
    report.timings.total = started.elapsed();
    Ok(report)
}

/// The source, the file check and the reference, with tract's results
/// taken from `from_tract` as they are needed.
#[allow(clippy::too_many_arguments)]
fn verify_alongside(
    path: &Path,
    file: SourceFile,
    weights: SourceWeights<'_>,
    options: &VerifyOptions,
    cases: &[Vec<Vec<usize>>],
    coverage: Option<&IdCoverage>,
    mut from_tract: impl FnMut() -> Result<FromTract, VerifyError>,
    show: &mut dyn FnMut(&str),
) -> Result<Report, VerifyError> {
    let mut timings = Timings::default();
    let started = Instant::now();
    let source = {
        let _phase = progress::phase("rebuilding the source model from the file's record");
        file.with_weights(weights)?
    };
    timings.source = started.elapsed();
    let started = Instant::now();
    let file = {
        let _phase = progress::phase("comparing the file with what rnnc emits");
        file_check::check(&source, path)
    };
    timings.file_check = started.elapsed();
    let names = {
        let _phase = progress::phase("loading the file in tract");
        match from_tract()? {
            FromTract::Loaded { names, took } => {
                timings.tract_load = took;
                names
            }
            FromTract::Ran { .. } => unreachable!("the tract thread sends its names first"),
        }
    };
    let mut report = Report {
        file,
        cases: Vec::new(),
        atol: options.atol,
        rtol: options.rtol,
        timings,
    };
    show(&report.render_head());
    let SourceModel { spec, weights, .. } = &source;
    let mut run = |timings: &mut Timings| -> Result<Vec<OutputReport>, VerifyError> {
        let FromTract::Ran {
            inputs,
            outputs: actual,
            took,
        } = from_tract()?
        else {
            unreachable!("the tract thread sends its names once")
        };
        timings.tract += took;
        let started = Instant::now();
        let inputs: Vec<_> = inputs.iter().map(reference_input).collect();
        let expected = reference::run(&spec.model, &spec.info, weights, &inputs)?;
        timings.reference += started.elapsed();
        Ok(compare(&names, &actual, &expected, options))
    };
    let padded = (0..spec.model.inputs.len())
        .any(|i| inputs::padding(&spec.model, crate::ir::InputId(i as u32)).is_some());
    for shapes in cases {
        let _phase = progress::phase(format!("running input {}", inputs::render_shapes(shapes)));
        let case = CaseReport {
            input_shapes: shapes.clone(),
            runs: 1,
            covers: padded.then(|| inputs::PADDING_PATTERNS.to_string()),
            outputs: run(&mut report.timings)?,
        };
        show(&render_case(&case));
        report.cases.push(case);
    }
    if let Some(coverage) = coverage {
        let phase = progress::bar(
            coverage.runs as u64,
            format!("running every token id, input {:?}", coverage.shape),
        );
        let mut outputs: Vec<OutputReport> = Vec::new();
        for _ in 0..coverage.runs {
            let reports = run(&mut report.timings)?;
            phase.inc(1);
            if outputs.is_empty() {
                outputs = reports;
            } else {
                outputs
                    .iter_mut()
                    .zip(reports)
                    .for_each(|(o, r)| o.absorb(r));
            }
        }
        drop(phase);
        let case = CaseReport {
            input_shapes: vec![coverage.shape.clone()],
            runs: coverage.runs,
            covers: Some(format!("every token id, 0 to {}", coverage.vocab - 1)),
            outputs,
        };
        show(&render_case(&case));
        report.cases.push(case);
    }
    if spec.stream.is_some() {
        // A file without the record fails the file check; it has no chunk cases.
        if let Ok(Some(streaming)) = StreamingFile::from_model(&source.file) {
            let _phase = progress::phase("running the streaming file in chunks");
            let started = Instant::now();
            let tract = TractModel::load(path)?;
            let cases = chunks::check(
                &tract,
                &streaming,
                spec,
                weights,
                cases,
                options.seed,
                options,
                show,
            )?;
            report.timings.tract += started.elapsed();
            report.cases.extend(cases);
        }
    }
    Ok(report)
}

/// For a model of one input, read by an Embedding: inputs that reach every
/// row of its table, at the longest length tried (the fixed one, or the
/// longest of [`TIME_LENGTHS`]) and the fixed or requested batch size.
fn id_coverage(spec: &Spec, batch: Option<usize>) -> Option<IdCoverage> {
    let [input] = spec.info.inputs.as_slice() else {
        return None;
    };
    let vocab = inputs::vocabulary(&spec.model, crate::ir::InputId(0))?;
    let declared = &input.shape;
    let batch = declared[0].map(|b| b as usize).or(batch);
    let longest = TIME_LENGTHS[TIME_LENGTHS.len() - 1];
    let time = declared
        .get(1)
        .copied()
        .flatten()
        .map_or(longest, |t| t as usize);
    Some(IdCoverage::new(vocab as usize, batch, time))
}

/// The longest sequence [`usable_length`] looks for.
const MAX_USABLE_LENGTH: usize = 4096;

/// The shortest length from `t` on that the model can run: with every free
/// time axis at that length, every layer keeps at least one step (a valid
/// `Conv1D` or pooling needs a whole window) and every `Reshape` fits, as
/// the check pass finds on a copy of the model with the length fixed.
fn usable_length(spec: &Spec, t: usize) -> Option<usize> {
    (t..=MAX_USABLE_LENGTH).find(|&t| runs_at_length(spec, t as u64))
}

fn runs_at_length(spec: &Spec, t: u64) -> bool {
    let mut model = spec.model.clone();
    for (input, info) in model.inputs.iter_mut().zip(&spec.info.inputs) {
        let mut decl = input.decl.clone().unwrap_or_else(|| crate::ir::InputDecl {
            batch: info.shape[0],
            dims: info.shape[1..].to_vec(),
            dtype: Some(info.dtype),
            span: input.span,
        });
        for d in decl.dims.iter_mut().filter(|d| d.is_none()) {
            *d = Some(t);
        }
        input.decl = Some(decl);
    }
    // The declarations on layers (Sequential) are the input's, now fixed.
    for layer in &mut model.layers {
        layer.input = None;
    }
    match crate::check::check(&model) {
        Ok(info) => info
            .calls
            .iter()
            .flat_map(|c| &c.output_shapes)
            .all(|s| !s.contains(&Some(0))),
        Err(_) => false,
    }
}

/// The cases to try, a shape per model input: every batch size × every
/// length where free (one length at a time for all the inputs' free axes);
/// refused when running them would exceed the memory budget.
fn input_shapes(spec: &Spec, batch: Option<usize>) -> Result<Vec<Vec<Vec<usize>>>, VerifyError> {
    let declared = &spec.info.inputs[0].shape;
    let batches: Vec<usize> = match (declared[0], batch) {
        (Some(fixed), Some(b)) if fixed as usize != b => {
            return Err(VerifyError::Batch { batch: b, fixed })
        }
        (Some(fixed), _) => vec![fixed as usize],
        (None, Some(b)) => vec![b],
        (None, None) => BATCH_SIZES.to_vec(),
    };
    let free_length = spec
        .info
        .inputs
        .iter()
        .any(|i| i.shape[1..].iter().any(Option::is_none));
    let lengths: Vec<usize> = if free_length {
        let mut usable: Vec<usize> = TIME_LENGTHS
            .iter()
            .filter_map(|&t| usable_length(spec, t))
            .collect();
        usable.dedup();
        usable
    } else {
        vec![0]
    };
    let mut cases = Vec::new();
    for &b in &batches {
        for &t in &lengths {
            let shapes = spec
                .info
                .inputs
                .iter()
                .map(|input| {
                    let free_batch = input.shape[0].map_or(b, |n| n as usize);
                    std::iter::once(free_batch)
                        .chain(input.shape[1..].iter().map(|d| d.map_or(t, |n| n as usize)))
                        .collect()
                })
                .collect();
            cases.push(shapes);
        }
    }
    inputs::check_memory(&spec.model, &spec.info, &cases, batch, &budget::current())?;
    Ok(cases)
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
            margin: None,
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
            margin: None,
            problem: Some(format!("reference shape {:?}", expected.shape())),
        };
    }
    let mut max_abs = 0f32;
    let mut max_rel = 0f32;
    let mut ok = true;
    let mut margin: Option<Margin> = None;
    for (&a, &e) in actual.iter().zip(expected) {
        // Equal infinities agree, as in numpy's allclose, and so do NaNs in
        // both (allclose's equal_nan): a model whose state diverges over a
        // long sequence gives NaN in the reference as in any runtime.
        let diff = if a == e || (a.is_nan() && e.is_nan()) {
            0.0
        } else {
            (a - e).abs()
        };
        let allowed = options.atol + options.rtol * e.abs();
        if !diff.is_finite() || diff > allowed {
            ok = false;
        }
        let shown = if diff.is_nan() { f32::INFINITY } else { diff };
        max_abs = max_abs.max(shown);
        if e != 0.0 {
            max_rel = max_rel.max(diff / e.abs());
        }
        let here = Margin {
            diff: shown,
            allowed,
        };
        if margin.is_none_or(|m| here.used() > m.used()) {
            margin = Some(here);
        }
    }
    OutputReport {
        name: name.to_string(),
        shape: actual.shape().to_vec(),
        max_abs,
        max_rel,
        ok,
        margin,
        problem: None,
    }
}

impl OutputReport {
    /// Folds in the report of the same output on another input of the
    /// same shape: the worst figures of the two.
    fn absorb(&mut self, other: OutputReport) {
        self.max_abs = self.max_abs.max(other.max_abs);
        self.max_rel = self.max_rel.max(other.max_rel);
        self.ok &= other.ok;
        if self.problem.is_none() {
            self.problem = other.problem;
        }
        self.margin = match (self.margin, other.margin) {
            (Some(a), Some(b)) if b.used() > a.used() => Some(b),
            (None, b) => b,
            (a, _) => a,
        };
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
        let both_nan = arr1(&[f32::NAN, 0.0]).into_dyn();
        assert!(compare_one("y", &both_nan, &nan, &opts).ok);
        let report = compare_one("y", &far, &e, &opts);
        let margin = report.margin.unwrap();
        assert_eq!((margin.diff, margin.allowed), (2e-5, 1e-5));
        assert!(render_output(&report).contains("margin 2.000e-5 > 1.000e-5  MISMATCH"));
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
