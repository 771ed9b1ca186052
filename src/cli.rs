//! The command line: argument definitions and the commands.
//!
//! Each command returns an [`Outcome`]; errors are printed as `error: …` on
//! stderr. Exit codes: 0 success, 1 verification mismatch, 2 bad input or
//! any other error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::back::onnx::{self as backend, external, Lowering, DEFAULT_OPSET};
use crate::budget;
use crate::chunked::{self, StreamingFile};
use crate::driver;
use crate::front::keras_model;
use crate::metadata::Recorded;
use crate::outputs::{self, Input};
use crate::reference;
use crate::runtime::{preflight, TractModel};
use crate::spec::Spec;
use crate::streaming;
use crate::summary;
use crate::tensor::{self, TensorData};
use crate::verify::{self, VerifyOptions, DEFAULT_ATOL, DEFAULT_RTOL};
use crate::weights;

/// rnnc: Keras recurrent models (SimpleRNN, LSTM, GRU) to verified ONNX.
#[derive(Debug, Parser)]
#[command(name = "rnnc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Most memory a command may allocate for weights, inputs and
    /// activations, e.g. `4G` (K, M, G, T: powers of 1024); default: the
    /// RNNC_MEMORY_LIMIT environment variable, else 80% of the available memory.
    #[arg(long, global = true, value_name = "SIZE", value_parser = budget::parse_limit)]
    pub memory_limit: Option<u64>,
    /// Show no progress on stderr (it is shown only when stderr is a
    /// terminal, for phases that can take a while).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the Keras summary of a spec (layers, output shapes, parameters).
    Summary {
        /// The spec file (Keras Python syntax), or a Keras model file
        /// (`.keras`, a full-model `.h5`) whose architecture and weights are read.
        spec: PathBuf,
    },
    /// Compile a spec to an ONNX file.
    Compile {
        /// The spec file (Keras Python syntax), or a Keras model file
        /// (`.keras`, a full-model `.h5`) whose architecture and weights are read.
        spec: PathBuf,
        /// The ONNX file to write (default: the spec's path with `.onnx`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Seed of the Keras-style weight initialization.
        #[arg(long, default_value_t = 0, conflicts_with = "weights")]
        seed: u64,
        /// Load trained weights instead of initializing: Keras 3's
        /// `model.weights.h5` (save_weights) or `model.keras` (save), Keras
        /// 2's legacy `.h5`, or an `.npz` (recognised from the file's bytes).
        #[arg(long)]
        weights: Option<PathBuf>,
        /// After writing, verify the file in tract against the reference.
        #[arg(long)]
        verify: bool,
        /// ONNX opset to target.
        #[arg(long, default_value_t = DEFAULT_OPSET)]
        opset: i64,
        /// Force one lowering of recurrent layers (for testing); `auto` picks
        /// the native op where it computes Keras' cell exactly.
        #[arg(long, value_enum, default_value_t = LoweringArg::Auto)]
        lowering: LoweringArg,
        /// Store the weights in `<OUTPUT>.data` beside the model (ONNX
        /// external data). Automatic when they exceed the threshold.
        #[arg(long)]
        external_data: bool,
        /// Initializer bytes above which external data is used automatically
        /// (default: just under protobuf's 2 GiB limit).
        #[arg(long, default_value_t = external::DEFAULT_THRESHOLD)]
        external_data_threshold: u64,
        /// Write a streaming file: every recurrent layer takes its states as
        /// inputs (`<layer>_h_in`, `<layer>_c_in`) and gives its final states
        /// as outputs (`<layer>_h_out`, ...), over any number of steps, so
        /// that a host runs a sequence chunk by chunk. Automatic for a model
        /// of `stateful=True` layers.
        #[arg(long)]
        streaming: bool,
    },
    /// Check an rnnc-compiled ONNX file in tract against the reference interpreter.
    Verify {
        /// The ONNX file (compiled by rnnc: its metadata holds the spec).
        model: PathBuf,
        /// The weights file the model was compiled from, if any
        /// (`.weights.h5`, `.keras`, legacy `.h5` or `.npz`).
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Only this batch size (default: 1, 2 and 5, or the fixed batch).
        #[arg(long, value_parser = positive_size)]
        batch: Option<usize>,
        /// Seed of the random inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Absolute tolerance.
        #[arg(long, default_value_t = DEFAULT_ATOL, value_parser = tolerance)]
        atol: f32,
        /// Relative tolerance.
        #[arg(long, default_value_t = DEFAULT_RTOL, value_parser = tolerance)]
        rtol: f32,
    },
    /// Run any ONNX file in tract on an `.npy` input.
    Run {
        /// The ONNX file.
        model: PathBuf,
        /// An input array (`.npy`; float32/float64 features or int32/int64
        /// token ids). Repeat it for a model of several inputs, in the
        /// model's input order, or give each as `NAME=FILE` with the graph
        /// input's name.
        #[arg(long, required = true)]
        input: Vec<String>,
        /// Write the outputs to this `.npz` (entries named after the graph outputs).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Instead of tract, run rnnc's reference interpreter on the model
        /// recorded in an rnnc-compiled file (its spec and source weights).
        #[arg(long)]
        reference: bool,
        /// With --reference: the weights file the model was compiled from, if
        /// any (`.weights.h5`, `.keras`, legacy `.h5` or `.npz`).
        #[arg(long, requires = "reference")]
        weights: Option<PathBuf>,
        /// Run inputs holding NaN or infinities (refused by default: tract
        /// does not propagate them as Keras does).
        #[arg(long)]
        allow_nan: bool,
        /// Run the model N more times on the same input and print the time
        /// of one run (minimum and median over the N), for benchmarks.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        repeat: Option<u32>,
        /// A streaming file: feed the sequence in chunks of these many steps
        /// (e.g. `4,3,5`, adding up to the input's time axis), carrying the
        /// states from one call to the next; the outputs are concatenated
        /// over the chunks (a last-step output is the last chunk's).
        #[arg(long, value_delimiter = ',', value_name = "STEPS,...")]
        chunks: Option<Vec<usize>>,
        /// A streaming file: start from the states in this `.npz` (keys: the
        /// state inputs' names, as `--state-out` writes them) instead of zeros.
        #[arg(long, value_name = "NPZ")]
        state_in: Option<PathBuf>,
        /// A streaming file: write the final states to this `.npz`, keyed by
        /// the state inputs' names, for a later `--state-in`.
        #[arg(long, value_name = "NPZ")]
        state_out: Option<PathBuf>,
    },
    /// Write a Keras model file's architecture as a spec (Keras Python).
    Spec {
        /// The model file: Keras 3's `.keras` or a full-model `.h5`.
        model: PathBuf,
        /// The spec file to write (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write the weights rnnc would initialize for a spec, in Keras layout;
    /// for a Keras model file, the trained weights it holds.
    Weights {
        /// The spec file, or a `.keras` / `.h5` model file.
        spec: PathBuf,
        /// Seed of the Keras-style initialization.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The `.npz` to write (keys like `simple_rnn/kernel`, loadable with
        /// `--weights` and, in `get_weights()` order, with Keras' `set_weights`).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Describe any ONNX file: inputs, outputs, nodes, initializers, metadata.
    Inspect {
        /// The ONNX file (from rnnc or any other exporter).
        model: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A batch size of at least 1: an empty batch would compare nothing.
fn positive_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (an empty batch compares nothing)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// A finite, non-negative tolerance.
fn tolerance(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        Ok(t) => Err(format!("must be a finite number >= 0, got {t}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `--lowering` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LoweringArg {
    Auto,
    Native,
    Scan,
}

/// Prints to stdout. A reader that stops early (`rnnc inspect m.onnx | head`)
/// closes the pipe; that ends rnnc quietly instead of panicking as `print!`
/// would.
fn say(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        crate::console::error(&format!("cannot write to standard output: {e}"));
        std::process::exit(2);
    }
}

/// `println!` through [`say`].
macro_rules! sayln {
    ($($arg:tt)*) => {
        say(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// How a command ended, mapped to the exit code.
enum Outcome {
    Success,
    Mismatch,
}

/// An error message for the user (already complete, without `error: `
/// when it is a rendered spec diagnostic).
struct Failure {
    message: String,
    rendered: bool,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            message: e.to_string(),
            rendered: false,
        }
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    if let Err(e) = budget::configure(cli.memory_limit) {
        crate::console::error(&e.to_string());
        return ExitCode::from(2);
    }
    crate::progress::configure(cli.quiet);
    if crate::console::stdout_closed() {
        crate::console::error("standard output is closed; rnnc reports on it (redirect it to a file or /dev/null instead of closing it)");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Summary { spec } => summary_command(&spec),
        Command::Compile {
            spec,
            output,
            seed,
            weights,
            verify,
            opset,
            lowering,
            external_data,
            external_data_threshold,
            streaming,
        } => compile_command(
            &spec,
            &CompileOptions {
                output,
                seed,
                weights,
                verify,
                opset,
                lowering,
                external_data: if external_data {
                    0
                } else {
                    external_data_threshold
                },
                streaming: if streaming {
                    streaming::Mode::All
                } else {
                    streaming::Mode::Stateful
                },
            },
        ),
        Command::Verify {
            model,
            weights,
            batch,
            seed,
            atol,
            rtol,
        } => verify_command(
            &model,
            &VerifyOptions {
                weights,
                batch,
                seed,
                atol,
                rtol,
            },
        ),
        Command::Run {
            model,
            input,
            output,
            reference,
            weights,
            allow_nan,
            repeat,
            chunks,
            state_in,
            state_out,
        } => {
            let engine = if reference {
                Engine::Reference { weights }
            } else {
                Engine::Tract
            };
            run_command(
                &model,
                &RunOptions {
                    input_args: input,
                    output,
                    engine,
                    allow_nan,
                    repeat,
                    chunks,
                    state_in,
                    state_out,
                },
            )
        }
        Command::Spec { model, output } => spec_command(&model, output.as_deref()),
        Command::Weights { spec, seed, output } => weights_command(&spec, seed, &output),
        Command::Inspect { model, json } => inspect_command(&model, json),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(failure) => {
            // Messages quote names and keys from the user's files.
            let message = crate::escape::escape_lines(&failure.message);
            if failure.rendered {
                crate::console::stderr(&message);
            } else {
                crate::console::error(&message);
            }
            ExitCode::from(2)
        }
    }
}

/// A spec error as a failure (diagnostics already rendered).
fn spec_failure(e: crate::spec::SpecError) -> Failure {
    match e {
        crate::spec::SpecError::Invalid { rendered, .. } => Failure {
            message: rendered,
            rendered: true,
        },
        other => other.into(),
    }
}

/// Loads a spec and prints its notes (ignored lines) on stderr.
fn load_spec(path: &Path) -> Result<Spec, Failure> {
    let spec = Spec::load(path).map_err(spec_failure)?;
    crate::console::stderr(&spec.render_notes(&path.display().to_string()));
    Ok(spec)
}

fn summary_command(spec: &Path) -> Result<Outcome, Failure> {
    let spec = load_spec(spec)?;
    say(&summary::render(&spec.model, &spec.info));
    Ok(Outcome::Success)
}

/// `rnnc compile`'s options.
struct CompileOptions {
    output: Option<PathBuf>,
    seed: u64,
    weights: Option<PathBuf>,
    verify: bool,
    opset: i64,
    lowering: LoweringArg,
    /// Initializer bytes above which weights go to external data.
    external_data: u64,
    /// Which recurrent layers carry their states across calls.
    streaming: streaming::Mode,
}

fn compile_command(spec_path: &Path, options: &CompileOptions) -> Result<Outcome, Failure> {
    let mut spec = load_spec(spec_path)?;
    // A model file's weights are in the file; `--weights` overrides them.
    let weights_path = options
        .weights
        .clone()
        .or_else(|| spec.model_file.as_ref().map(|f| f.path.clone()));
    if let (None, Some(weights)) = (&spec.model_file, &options.weights) {
        // The spec `rnnc spec` wrote for this very file: compiled exactly
        // as the file is.
        spec.model_file = keras_model::with_spec(weights, &spec.source);
    }
    if let Some(weights) = &weights_path {
        warn_keras2_hard_sigmoid(&spec, weights);
    }
    let spec_name = spec
        .model_file
        .as_ref()
        .map_or_else(|| file_name(spec_path), |f| file_name(&f.path));
    let spec = spec
        .streaming(options.streaming, &spec_path.display().to_string())
        .map_err(spec_failure)?;
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| spec_path.with_extension("onnx"));
    let mut inputs = vec![Input::new("the spec being compiled", spec_path)];
    if let Some(path) = &weights_path {
        inputs.push(Input::new("the weights file", path));
    }
    outputs::check(&output, &inputs)?;
    let lowering = match options.lowering {
        LoweringArg::Auto => Lowering::Auto,
        LoweringArg::Native => Lowering::Native,
        LoweringArg::Scan => Lowering::Scan,
    };
    let driver_options = driver::Options {
        weights: weights_path.as_deref(),
        seed: options.seed,
        opset: options.opset,
        lowering,
    };
    let driver::Compiled { proto, weights, .. } =
        driver::compile(&spec, &spec_name, &driver_options)?;
    // Kept for --verify (the budget counts three copies while writing).
    let weights = options.verify.then_some(weights);
    let published = {
        let _phase = crate::progress::phase(format!("writing {}", output.display()));
        external::publish(&output, proto, options.external_data, &inputs)?
    };
    for (path, e) in &published.stale {
        crate::console::note(&format!(
            "cannot remove the old data file `{}`: {e}",
            path.display()
        ));
    }
    let data_note = match &published.data {
        Some((path, bytes)) => format!(", weights in {} ({bytes} bytes)", path.display()),
        None if options.external_data == 0 => ", no tensor large enough for external data".into(),
        None => String::new(),
    };
    sayln!(
        "wrote {} ({} layers, {} parameters, {} bytes{data_note})",
        output.display(),
        spec.info.layers.len(),
        spec.info.total_params,
        published.model_bytes
    );
    match weights {
        Some(weights) => {
            let verify_options = VerifyOptions {
                weights: weights_path.clone(),
                ..VerifyOptions::default()
            };
            let report = verify::verify_compiled(&output, &verify_options, weights, &mut say)?;
            report_verify(&report)
        }
        None => Ok(Outcome::Success),
    }
}

fn verify_command(model: &Path, options: &VerifyOptions) -> Result<Outcome, Failure> {
    report_verify(&verify::verify(model, options, &mut say)?)
}

/// Prints the end of a verify report (its head and cases were printed as
/// they became known) and gives the outcome.
fn report_verify(report: &verify::Report) -> Result<Outcome, Failure> {
    say(&report.render_tail());
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

/// What `rnnc run` runs the model in.
enum Engine {
    Tract,
    /// The reference interpreter on the recorded source model.
    Reference {
        weights: Option<PathBuf>,
    },
}

/// `rnnc run`'s options.
struct RunOptions {
    input_args: Vec<String>,
    output: Option<PathBuf>,
    engine: Engine,
    allow_nan: bool,
    repeat: Option<u32>,
    chunks: Option<Vec<usize>>,
    state_in: Option<PathBuf>,
    state_out: Option<PathBuf>,
}

fn run_command(model: &Path, options: &RunOptions) -> Result<Outcome, Failure> {
    let streaming = StreamingFile::from_model(&preflight::read_model(model)?)
        .map_err(|e| Failure::from(format!("`{}`: {e}", model.display())))?;
    if streaming.is_none() {
        let option = [
            (options.chunks.is_some(), "--chunks"),
            (options.state_in.is_some(), "--state-in"),
            (options.state_out.is_some(), "--state-out"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name));
        if let Some(option) = option {
            return Err(Failure::from(format!(
                "{option} runs a streaming file, and `{}` is not one: compile the model with \
                 --streaming (or with stateful=True layers)",
                model.display()
            )));
        }
    }
    let state_names: Vec<String> = streaming
        .iter()
        .flat_map(|f| f.states.iter().map(|s| s.input.clone()))
        .collect();
    let input_paths = order_inputs(model, &options.input_args, &state_names)?;
    let mut written = vec![Input::new("the model", model)];
    written.extend(input_paths.iter().map(|p| Input::new("the input array", p)));
    if let Engine::Reference { weights: Some(w) } = &options.engine {
        written.push(Input::new("the weights file", w));
    }
    if let Some(path) = &options.state_in {
        written.push(Input::new("the states file", path));
    }
    let data_files = outputs::external_data_files(model);
    written.extend(
        data_files
            .iter()
            .map(|f| Input::new("the model's external data", f)),
    );
    for path in [&options.output, &options.state_out].into_iter().flatten() {
        outputs::check(path, &written)?;
    }
    if let (Some(a), Some(b)) = (&options.output, &options.state_out) {
        if a == b {
            return Err(Failure::from(
                "--output and --state-out name the same file".to_string(),
            ));
        }
    }
    let mut data = Vec::with_capacity(input_paths.len());
    for path in &input_paths {
        let array = TensorData::read_npy(path)?;
        if !options.allow_nan {
            tensor::require_finite(path, &array)?;
        }
        data.push(array);
    }
    let (named, states, timing) = match &streaming {
        None => {
            let (named, timing) = run_whole(model, data, options)?;
            (named, Vec::new(), timing)
        }
        Some(file) => run_streaming(model, file, data, options)?,
    };
    match &options.output {
        Some(path) => {
            tensor::write_npz(path, &named)?;
            sayln!("wrote {} ({} outputs)", path.display(), named.len());
        }
        None => {
            for (name, data) in &named {
                sayln!(
                    "{name} {} {:?} {}",
                    data.elem().name(),
                    data.shape(),
                    data.preview(8)
                );
            }
        }
    }
    if let Some(path) = &options.state_out {
        tensor::write_npz(path, &states)?;
        sayln!("wrote {} ({} states)", path.display(), states.len());
    }
    if let Some(timing) = timing {
        sayln!("{timing}");
    }
    Ok(Outcome::Success)
}

/// The named outputs of one run of the file on `data`, and the timing of
/// `--repeat`.
type Ran = (Vec<(String, TensorData)>, Option<String>);

fn run_whole(model: &Path, data: Vec<TensorData>, options: &RunOptions) -> Result<Ran, Failure> {
    let mut timing: Option<String> = None;
    let named: Vec<(String, TensorData)> = match &options.engine {
        Engine::Tract => {
            let tract = load_tract(model, &data)?;
            let _phase = crate::progress::phase("running the model in tract");
            if let Some(n) = options.repeat {
                timing = Some(time_runs(n, || tract.run(data.clone()).map(drop))?);
            }
            let outputs = tract.run(data)?;
            tract.output_names().iter().cloned().zip(outputs).collect()
        }
        Engine::Reference { weights } => {
            let source = reference_source(model, weights.as_deref())?;
            let _phase = crate::progress::phase("running the reference interpreter");
            let inputs: Vec<_> = data.iter().map(verify::reference_input).collect();
            let run = || {
                reference::run(
                    &source.spec.model,
                    &source.spec.info,
                    &source.weights,
                    &inputs,
                )
            };
            if let Some(n) = options.repeat {
                timing = Some(time_runs(n, || run().map(drop))?);
            }
            let outputs = run()?;
            outputs
                .into_iter()
                .enumerate()
                .map(|(i, y)| {
                    (
                        backend::graph_output_name(&source.spec.model, i),
                        TensorData::F32(y),
                    )
                })
                .collect()
        }
    };
    Ok((named, timing))
}

/// The file loaded in tract for inputs like `data` (every graph input),
/// once they are checked against what an rnnc file records.
fn load_tract(model: &Path, data: &[TensorData]) -> Result<TractModel, Failure> {
    check_recorded_input(model, data)?;
    let _phase = crate::progress::phase("loading the model in tract");
    Ok(TractModel::load_for(
        model,
        &data.iter().collect::<Vec<_>>(),
    )?)
}

/// The recorded source model of an rnnc file, for `--reference`.
fn reference_source(model: &Path, weights: Option<&Path>) -> Result<verify::SourceModel, Failure> {
    // rebuild_source reads the file whole: refuse a FIFO or device first.
    crate::files::open_regular(model)?;
    Ok(verify::rebuild_source(
        model,
        verify::SourceWeights::Rebuild(weights),
    )?)
}

/// The named outputs, the final states named by their inputs, and the
/// timing of `--repeat`.
type RanStreaming = (
    Vec<(String, TensorData)>,
    Vec<(String, TensorData)>,
    Option<String>,
);

/// Runs a streaming file over `data` in `--chunks` (one chunk by default)
/// from `--state-in` (zeros by default): the named outputs, the final
/// states named by their inputs, and the timing of `--repeat`.
fn run_streaming(
    model: &Path,
    file: &StreamingFile,
    data: Vec<TensorData>,
    options: &RunOptions,
) -> Result<RanStreaming, Failure> {
    let sequences: Vec<usize> = data
        .iter()
        .zip(&file.inputs)
        .filter(|(_, (_, r))| r.timing == streaming::Timing::Steps)
        .filter_map(|(x, _)| x.shape().get(1).copied())
        .collect();
    let total = sequences.first().copied().unwrap_or(0);
    if sequences.iter().any(|&t| t != total) {
        return Err(Failure::from(format!(
            "the sequence inputs have {sequences:?} steps: a streaming run cuts them into the \
             same chunks, so give them the same number of steps"
        )));
    }
    let ranges = chunked::ranges(options.chunks.as_deref().unwrap_or(&[total]), total)
        .map_err(|e| Failure::from(format!("--chunks: {e}")))?;
    let batch = data
        .first()
        .and_then(|x| x.shape().first().copied())
        .unwrap_or(1);
    let states = match &options.state_in {
        Some(path) => read_states(path, file, batch)?,
        None => file.zero_states(batch),
    };
    let mut all = data.clone();
    all.extend(states.iter().cloned().map(TensorData::F32));
    let mut timing = None;
    let ran = match &options.engine {
        Engine::Tract => {
            let tract = load_tract(model, &all)?;
            let _phase = crate::progress::phase("running the model in tract, chunk by chunk");
            let run = || chunked::run(file, &data, states.clone(), &ranges, |x| tract.run_f32(x));
            if let Some(n) = options.repeat {
                timing = Some(time_runs(n, || run().map(drop))?);
            }
            run()?
        }
        Engine::Reference { weights } => {
            let source = reference_source(model, weights.as_deref())?;
            let _phase =
                crate::progress::phase("running the reference interpreter, chunk by chunk");
            let call = |x: Vec<TensorData>| {
                let inputs: Vec<_> = x.iter().map(verify::reference_input).collect();
                reference::run(
                    &source.spec.model,
                    &source.spec.info,
                    &source.weights,
                    &inputs,
                )
            };
            let run = || chunked::run(file, &data, states.clone(), &ranges, call);
            if let Some(n) = options.repeat {
                timing = Some(time_runs(n, || run().map(drop))?);
            }
            run()?
        }
    };
    let named = file
        .outputs
        .iter()
        .map(|(name, _)| name.clone())
        .zip(ran.outputs.into_iter().map(TensorData::F32))
        .collect();
    let states = file
        .states
        .iter()
        .map(|s| s.input.clone())
        .zip(ran.states.into_iter().map(TensorData::F32))
        .collect();
    Ok((named, states, timing))
}

/// The states of `--state-in`: one float32 array per state input, named
/// after it, of shape `[batch, units]`.
fn read_states(
    path: &Path,
    file: &StreamingFile,
    batch: usize,
) -> Result<Vec<ndarray::ArrayD<f32>>, Failure> {
    let arrays = tensor::read_npz_f32(path)?;
    file.states
        .iter()
        .map(|pair| {
            let units = pair.shape.get(1).copied().flatten().unwrap_or(0) as usize;
            let found = arrays.iter().find(|(name, _)| *name == pair.input);
            match found {
                Some((_, a)) if a.shape() == [batch, units] => Ok(a.clone()),
                Some((_, a)) => Err(Failure::from(format!(
                    "`{}`: state `{}` has shape {:?}, the model needs [{batch}, {units}]",
                    path.display(),
                    pair.input,
                    a.shape()
                ))),
                None => Err(Failure::from(format!(
                    "`{}` has no array `{}`; it holds {}: give every state input, as \
                     --state-out writes them",
                    path.display(),
                    pair.input,
                    arrays
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        })
        .collect()
}

/// Runs `run` `n` times and describes the time of one run:
/// `time: 20 runs in tract, min 1.234 ms, median 1.301 ms`.
fn time_runs<E>(n: u32, mut run: impl FnMut() -> Result<(), E>) -> Result<String, E> {
    let mut times = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let started = std::time::Instant::now();
        run()?;
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    Ok(format!(
        "time: {n} runs, min {:.3} ms, median {:.3} ms",
        ms(times[0]),
        ms(times[times.len() / 2])
    ))
}

fn weights_command(spec: &Path, seed: u64, output: &Path) -> Result<Outcome, Failure> {
    outputs::check(output, &[Input::new("the spec", spec)])?;
    let spec = load_spec(spec)?;
    let (weights, from) = match &spec.model_file {
        Some(file) => (
            weights::load(&file.path, &spec.info)?,
            format!(", trained, from {}", file.path.display()),
        ),
        None => (weights::initialize(&spec.info, seed)?, String::new()),
    };
    weights::save_npz(output, &spec.info, &weights)?;
    sayln!(
        "wrote {} ({} arrays, {} parameters{from})",
        output.display(),
        spec.info.weights().count(),
        spec.info.total_params
    );
    Ok(Outcome::Success)
}

/// Warns when a spec that does not say which Keras it follows applies
/// `hard_sigmoid` with weights a Keras 2 file holds: Keras 2 trained them
/// with a steeper `hard_sigmoid` than the Keras 3 one rnnc then compiles.
fn warn_keras2_hard_sigmoid(spec: &Spec, weights: &Path) {
    if spec.model.keras_dialect.is_none()
        && spec.model.applies(crate::ir::Activation::HardSigmoid)
        && keras_model::written_by_keras2(weights)
    {
        crate::console::note(&format!(
            "warning: the weights in `{}` were saved by Keras 2, whose `hard_sigmoid` is \
             clip(0.2·x + 0.5, 0, 1); without a directive the spec follows Keras 3's, \
             clip(x/6 + 0.5, 0, 1)\n  = hint: add the line `# rnnc: keras=2` to the spec \
             (or `# rnnc: keras=3` to keep Keras 3's and silence this warning)",
            weights.display()
        ));
    }
}

/// `rnnc spec MODEL`: the spec of a Keras model file, checked before it is
/// written, so that what is written compiles.
fn spec_command(model: &Path, output: Option<&Path>) -> Result<Outcome, Failure> {
    if let Some(output) = output {
        outputs::check(output, &[Input::new("the model file", model)])?;
    }
    let Some(format) = keras_model::sniff(model)
        .map_err(crate::spec::SpecError::from)
        .map_err(spec_failure)?
    else {
        return Err(Failure::from(format!(
            "`{}` is not a Keras model file: `rnnc spec` reads Keras 3's `.keras` archives and \
             full-model `.h5` files (`model.save(...)`)",
            model.display()
        )));
    };
    let file = keras_model::read(model, format)
        .map_err(crate::spec::SpecError::from)
        .map_err(spec_failure)?;
    let spec = Spec::from_model_file(file).map_err(spec_failure)?;
    crate::console::stderr(&spec.render_notes(&model.display().to_string()));
    match output {
        Some(path) => {
            crate::atomic::write(path, spec.source.as_bytes())
                .map_err(|e| Failure::from(format!("cannot write `{}`: {e}", path.display())))?;
            sayln!(
                "wrote {} ({} layers, {} parameters; compile it with `--weights {}`)",
                path.display(),
                spec.info.layers.len(),
                spec.info.total_params,
                model.display()
            );
        }
        None => say(&spec.source),
    }
    Ok(Outcome::Success)
}

/// For a file rnnc compiled, checks the input against the recorded spec
/// before tract sees it. Token ids outside the vocabulary are refused: ONNX
/// `Gather` reads a negative id from the end of the table, and an id past
/// the end is an out-of-bounds read. An input whose intermediate tensors
/// would not fit the memory budget is refused, naming the layer at the
/// peak. Other files are left to the runtime.
fn check_recorded_input(model: &Path, data: &[TensorData]) -> Result<(), Failure> {
    let Some(recorded) = Recorded::from_model(&preflight::read_model(model)?) else {
        return Ok(());
    };
    let invalid = |e: crate::spec::SpecError| {
        Failure::from(format!(
            "the spec recorded in `{}` is invalid:\n{e}",
            model.display()
        ))
    };
    let mut spec = Spec::from_source(recorded.spec, &recorded.spec_file).map_err(invalid)?;
    if let Some(mode) = recorded
        .streaming
        .as_deref()
        .and_then(streaming::Mode::parse)
    {
        spec = spec.streaming(mode, &recorded.spec_file).map_err(invalid)?;
    }
    for (index, array) in data.iter().enumerate() {
        let ids = match array {
            TensorData::I32(a) => Some(a.mapv(i64::from)),
            TensorData::I64(a) => Some(a.clone()),
            TensorData::F32(_) => None,
        };
        if let (Some(ids), true) = (ids, index < spec.info.inputs.len()) {
            let input = crate::ir::InputId(index as u32);
            reference::check_token_ids(&spec.model, &spec.info, input, ids.view())?;
        }
    }
    // A count or rank that does not fit is tract's to explain (`run` reports
    // the input and axis).
    let fits = data.len() == spec.info.inputs.len()
        && data
            .iter()
            .zip(&spec.info.inputs)
            .all(|(a, i)| a.shape().len() == i.shape.len());
    if fits {
        let shapes: Vec<Vec<usize>> = data.iter().map(|a| a.shape().to_vec()).collect();
        reference::check_memory(&spec.model, &spec.info, &shapes, "tract")?;
    }
    Ok(())
}

/// The `--input` files in the model's input order: as given, or, when each
/// is `NAME=FILE`, placed by the graph input's name.
/// The input files in graph input order, but for the inputs in `skip` (a
/// streaming file's states, given with `--state-in`).
fn order_inputs(model: &Path, args: &[String], skip: &[String]) -> Result<Vec<PathBuf>, Failure> {
    let named: Vec<Option<(&str, &str)>> = args
        .iter()
        .map(|a| {
            a.split_once('=')
                .filter(|(name, _)| !name.is_empty() && !name.contains(['/', '\\']))
                .filter(|_| !Path::new(a).exists())
        })
        .collect();
    if named.iter().all(Option::is_none) {
        return Ok(args.iter().map(PathBuf::from).collect());
    }
    if named.iter().any(Option::is_none) {
        return Err(Failure::from(
            "give every --input as NAME=FILE, or none of them (then in the model's input order)"
                .to_string(),
        ));
    }
    let graph = preflight::read_model(model)?.graph.unwrap_or_default();
    let initializers: Vec<&str> = graph
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    let declared: Vec<String> = graph
        .input
        .iter()
        .filter_map(|v| v.name.clone())
        .filter(|n| !initializers.contains(&n.as_str()) && !skip.contains(n))
        .collect();
    let mut ordered: Vec<Option<PathBuf>> = vec![None; declared.len()];
    for (name, file) in named.into_iter().flatten() {
        let Some(slot) = declared.iter().position(|d| d == name) else {
            return Err(Failure::from(format!(
                "the model has no input named `{name}`; its inputs are {}",
                declared.join(", ")
            )));
        };
        if ordered[slot].replace(PathBuf::from(file)).is_some() {
            return Err(Failure::from(format!("input `{name}` is given twice")));
        }
    }
    declared
        .iter()
        .zip(ordered)
        .map(|(name, path)| {
            path.ok_or_else(|| Failure::from(format!("no --input {name}=FILE is given")))
        })
        .collect()
}

fn inspect_command(model: &Path, json: bool) -> Result<Outcome, Failure> {
    let description = crate::inspect::load(model)?;
    let render = if json {
        crate::inspect::json::render
    } else {
        crate::inspect::text::render
    };
    say(&render(&description));
    Ok(Outcome::Success)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
