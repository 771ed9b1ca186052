//! The command line: argument definitions and the four commands.
//!
//! Each command returns an [`Outcome`]; errors are printed as `error: …` on
//! stderr. Exit codes: 0 success, 1 verification mismatch, 2 bad input or
//! any other error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use prost::Message;

use crate::back::onnx::proto::ModelProto;
use crate::back::onnx::{self as backend, EmitOptions, Lowering, DEFAULT_OPSET};
use crate::metadata::{self, Recorded, WeightSource};
use crate::reference;
use crate::runtime::TractModel;
use crate::spec::Spec;
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
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the Keras summary of a spec (layers, output shapes, parameters).
    Summary {
        /// The spec file (Keras Python syntax).
        spec: PathBuf,
    },
    /// Compile a spec to an ONNX file.
    Compile {
        /// The spec file (Keras Python syntax).
        spec: PathBuf,
        /// The ONNX file to write (default: the spec's path with `.onnx`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Seed of the Keras-style weight initialization.
        #[arg(long, default_value_t = 0, conflicts_with = "weights")]
        seed: u64,
        /// Load trained weights from an `.npz` file instead of initializing.
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
    },
    /// Check an rnnc-compiled ONNX file in tract against the reference interpreter.
    Verify {
        /// The ONNX file (compiled by rnnc: its metadata holds the spec).
        model: PathBuf,
        /// The weights file the model was compiled from, if any.
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Only this batch size (default: 1, 2 and 5, or the fixed batch).
        #[arg(long)]
        batch: Option<usize>,
        /// Seed of the random inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Absolute tolerance.
        #[arg(long, default_value_t = DEFAULT_ATOL)]
        atol: f32,
        /// Relative tolerance.
        #[arg(long, default_value_t = DEFAULT_RTOL)]
        rtol: f32,
    },
    /// Run any ONNX file in tract on an `.npy` input.
    Run {
        /// The ONNX file.
        model: PathBuf,
        /// The input array (`.npy`; float32/float64 features or int32/int64 token ids).
        #[arg(long)]
        input: PathBuf,
        /// Write the outputs to this `.npz` (entries named after the graph outputs).
        #[arg(long)]
        output: Option<PathBuf>,
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

/// `--lowering` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LoweringArg {
    Auto,
    Native,
    Scan,
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
        } => compile_command(&spec, output, seed, weights, verify, opset, lowering),
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
        } => run_command(&model, &input, output.as_deref()),
        Command::Inspect { model, json } => inspect_command(&model, json),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(failure) => {
            if failure.rendered {
                eprint!("{}", failure.message);
            } else {
                eprintln!("error: {}", failure.message);
            }
            ExitCode::from(2)
        }
    }
}

fn load_spec(path: &Path) -> Result<Spec, Failure> {
    Spec::load(path).map_err(|e| match e {
        crate::spec::SpecError::Invalid { rendered, .. } => Failure {
            message: rendered,
            rendered: true,
        },
        other => other.into(),
    })
}

fn summary_command(spec: &Path) -> Result<Outcome, Failure> {
    let spec = load_spec(spec)?;
    print!("{}", summary::render(&spec.info));
    Ok(Outcome::Success)
}

fn compile_command(
    spec_path: &Path,
    output: Option<PathBuf>,
    seed: u64,
    weights_path: Option<PathBuf>,
    verify_after: bool,
    opset: i64,
    lowering: LoweringArg,
) -> Result<Outcome, Failure> {
    let spec = load_spec(spec_path)?;
    let output = output.unwrap_or_else(|| spec_path.with_extension("onnx"));
    let (weights, source) = match &weights_path {
        Some(path) => {
            let loaded = weights::load_npz(path, &spec.info)?;
            let source = WeightSource::File {
                sha256: weights::sha256_file(path)?,
                name: file_name(path),
            };
            (loaded, source)
        }
        None => (
            weights::initialize(&spec.info, seed),
            WeightSource::Seed(seed),
        ),
    };
    let options = EmitOptions {
        opset,
        lowering: match lowering {
            LoweringArg::Auto => Lowering::Auto,
            LoweringArg::Native => Lowering::Native,
            LoweringArg::Scan => Lowering::Scan,
        },
        metadata: metadata::entries(&spec.source, &file_name(spec_path), &source),
    };
    let proto = backend::emit(&spec.model, &spec.info, &weights, &options)?;
    let bytes = backend::encode(&proto);
    crate::atomic::write(&output, &bytes)
        .map_err(|e| Failure::from(format!("cannot write `{}`: {e}", output.display())))?;
    println!(
        "wrote {} ({} layers, {} parameters, {} bytes)",
        output.display(),
        spec.info.layers.len(),
        spec.info.total_params,
        bytes.len()
    );
    if verify_after {
        return verify_command(
            &output,
            &VerifyOptions {
                weights: weights_path,
                ..VerifyOptions::default()
            },
        );
    }
    Ok(Outcome::Success)
}

fn verify_command(model: &Path, options: &VerifyOptions) -> Result<Outcome, Failure> {
    let report = verify::verify(model, options)?;
    print!("{}", report.render());
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

fn run_command(model: &Path, input: &Path, output: Option<&Path>) -> Result<Outcome, Failure> {
    let data = TensorData::read_npy(input)?;
    check_recorded_vocabulary(model, &data)?;
    let tract = TractModel::load(model)?;
    let outputs = tract.run(vec![data])?;
    let named: Vec<(String, TensorData)> =
        tract.output_names().iter().cloned().zip(outputs).collect();
    match output {
        Some(path) => {
            tensor::write_npz(path, &named)?;
            println!("wrote {} ({} outputs)", path.display(), named.len());
        }
        None => {
            for (name, data) in &named {
                println!(
                    "{name} {} {:?} {}",
                    data.elem().name(),
                    data.shape(),
                    data.preview(8)
                );
            }
        }
    }
    Ok(Outcome::Success)
}

/// For a file rnnc compiled from an Embedding model, refuses token ids
/// outside the vocabulary before tract sees them: ONNX `Gather` reads a
/// negative id from the end of the table, and an id past the end is an
/// out-of-bounds read. Other files are left to the runtime.
fn check_recorded_vocabulary(model: &Path, data: &TensorData) -> Result<(), Failure> {
    let ids = match data {
        TensorData::I32(a) => a.mapv(i64::from),
        TensorData::I64(a) => a.clone(),
        TensorData::F32(_) => return Ok(()),
    };
    let Some(recorded) = std::fs::read(model)
        .ok()
        .and_then(|bytes| ModelProto::decode(bytes.as_slice()).ok())
        .and_then(|proto| Recorded::from_model(&proto))
    else {
        return Ok(());
    };
    let spec = Spec::from_source(recorded.spec, &recorded.spec_file).map_err(|e| {
        Failure::from(format!(
            "the spec recorded in `{}` is invalid:\n{e}",
            model.display()
        ))
    })?;
    reference::check_token_ids(&spec.model, &spec.info, ids.view())?;
    Ok(())
}

fn inspect_command(model: &Path, json: bool) -> Result<Outcome, Failure> {
    let description = crate::inspect::load(model)?;
    let render = if json {
        crate::inspect::json::render
    } else {
        crate::inspect::text::render
    };
    print!("{}", render(&description));
    Ok(Outcome::Success)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
