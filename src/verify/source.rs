//! The source model of an rnnc-compiled file, rebuilt from its metadata
//! alone: the recorded spec, and the weights from the recorded seed or from
//! the weights file whose SHA-256 was recorded.

use std::path::Path;

use prost::Message;

use super::VerifyError;
use crate::back::onnx::external::PROTOBUF_LIMIT;
use crate::back::onnx::proto::ModelProto;
use crate::files;
use crate::front::keras_model;
use crate::metadata::{self, Recorded, WeightSource};
use crate::reference::ReferenceInput;
use crate::spec::Spec;
use crate::streaming;
use crate::tensor::TensorData;
use crate::weights::{self, Weights};

/// The model an ONNX file was compiled from, and the file as read.
pub struct SourceModel {
    pub spec: Spec,
    pub weights: Weights,
    /// What the file records about its source and how it was emitted.
    pub recorded: Recorded,
    /// The file, decoded (external data not yet read).
    pub file: ModelProto,
    /// Whether encoding the decoded file again gives back its bytes: false
    /// when it holds fields rnnc's schema does not know (the decoder drops
    /// them) or encodes known fields unlike rnnc.
    pub canonical: bool,
}

/// Where the source weights come from.
pub enum SourceWeights<'a> {
    /// Rebuilt from the file's record: initialized again from the recorded
    /// seed, or read from this weights file (whose SHA-256 must be the
    /// recorded one).
    Rebuild(Option<&'a Path>),
    /// The weights `compile --verify` has just emitted the file from, so that
    /// they are not initialized or read a second time. The file check still
    /// emits the recorded spec again with them and compares every byte.
    Compiled(Weights),
}

/// An rnnc file as read, with its recorded spec: everything of the source
/// model but the weights, which take the time.
pub struct SourceFile {
    pub spec: Spec,
    /// Where the weights came from (the record requires it).
    pub weight_source: WeightSource,
    pub recorded: Recorded,
    pub file: ModelProto,
    pub canonical: bool,
}

/// Rebuilds the source model of the file at `path`, its weights as `weights`
/// says.
pub fn rebuild_source(path: &Path, weights: SourceWeights<'_>) -> Result<SourceModel, VerifyError> {
    read_source(path)?.with_weights(weights)
}

/// Reads the file at `path` and its recorded spec.
pub fn read_source(path: &Path) -> Result<SourceFile, VerifyError> {
    let bytes = files::read_limited(path, PROTOBUF_LIMIT, "an ONNX model")?;
    let file = ModelProto::decode(bytes.as_slice()).map_err(|e| VerifyError::NotOnnx {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let canonical = file.encode_to_vec() == bytes;
    drop(bytes);
    let recorded = Recorded::from_model(&file).ok_or_else(|| VerifyError::NotRnnc {
        path: path.to_path_buf(),
        key: metadata::SPEC,
    })?;
    let mut spec =
        Spec::from_source(recorded.spec.clone(), &recorded.spec_file).map_err(VerifyError::Spec)?;
    if let Some(name) = &recorded.streaming {
        let mode = streaming::Mode::parse(name).ok_or_else(|| VerifyError::NotRnnc {
            path: path.to_path_buf(),
            key: metadata::STREAMING,
        })?;
        spec = spec
            .streaming(mode, &recorded.spec_file)
            .map_err(VerifyError::Spec)?;
    }
    let weight_source = recorded
        .weights
        .clone()
        .ok_or_else(|| VerifyError::NotRnnc {
            path: path.to_path_buf(),
            key: metadata::SEED,
        })?;
    Ok(SourceFile {
        spec,
        weight_source,
        recorded,
        file,
        canonical,
    })
}

impl SourceFile {
    /// The source model, its weights as `weights` says.
    pub fn with_weights(self, weights: SourceWeights<'_>) -> Result<SourceModel, VerifyError> {
        let SourceFile {
            spec,
            weight_source,
            recorded,
            file,
            canonical,
        } = self;
        let weights = match weights {
            SourceWeights::Rebuild(weights_file) => {
                let weights = source_weights(&spec, &weight_source, weights_file)?;
                // The weights came from the model file itself (not from a
                // `--weights` given at compile): read its architecture again.
                let from_model_file = match (&recorded.model_file_sha256, &weight_source) {
                    (Some(model), WeightSource::File { sha256, .. }) => model == sha256,
                    _ => false,
                };
                if let (true, Some(path)) = (from_model_file, weights_file) {
                    same_architecture(&recorded.spec, path)?;
                }
                weights
            }
            SourceWeights::Compiled(weights) if weights.matches(&spec.info) => weights,
            SourceWeights::Compiled(_) => {
                return Err(VerifyError::Reference(
                    crate::reference::ReferenceError::WeightsMismatch,
                ))
            }
        };
        Ok(SourceModel {
            spec,
            weights,
            recorded,
            file,
            canonical,
        })
    }
}

/// The source weights, rebuilt as they were at compile time.
fn source_weights(
    spec: &Spec,
    source: &WeightSource,
    given: Option<&Path>,
) -> Result<Weights, VerifyError> {
    match source {
        WeightSource::Seed(seed) => match given {
            // A weights file the model was not compiled from would be
            // silently ignored: the user means to check something else.
            Some(path) => Err(VerifyError::WeightsForSeed {
                path: path.to_path_buf(),
                seed: *seed,
            }),
            None => Ok(weights::initialize(&spec.info, *seed)?),
        },
        WeightSource::File { sha256, name } => {
            let path = given.ok_or_else(|| VerifyError::WeightsRequired { name: name.clone() })?;
            let found = weights::sha256_file(path)?;
            if &found != sha256 {
                return Err(VerifyError::WeightsMismatch {
                    path: path.to_path_buf(),
                    expected: sha256.clone(),
                    found,
                });
            }
            crate::budget::weights::check_load(&spec.info, &crate::budget::current())?;
            Ok(weights::load(path, &spec.info)?)
        }
    }
}

/// For a file compiled from a Keras model file (whose SHA-256 the weights
/// check has matched): the architecture read from that file again is the
/// recorded spec, so that the spec verify runs is the file's, not only
/// what the metadata says.
fn same_architecture(recorded: &str, path: &Path) -> Result<(), VerifyError> {
    let mismatch = |cause: Option<String>| VerifyError::ArchitectureMismatch {
        path: path.to_path_buf(),
        cause,
    };
    let format = keras_model::sniff(path)
        .map_err(|e| mismatch(Some(e.to_string())))?
        .ok_or_else(|| mismatch(Some("it is not a Keras model file".into())))?;
    let file = keras_model::read(path, format).map_err(|e| mismatch(Some(e.to_string())))?;
    if file.spec == recorded {
        Ok(())
    } else {
        Err(mismatch(None))
    }
}

/// The reference interpreter's view of an input.
pub fn reference_input(input: &TensorData) -> ReferenceInput {
    match input {
        TensorData::F32(a) => ReferenceInput::Float(a.clone()),
        TensorData::I32(a) => ReferenceInput::Ids(a.mapv(i64::from)),
        TensorData::I64(a) => ReferenceInput::Ids(a.clone()),
    }
}
