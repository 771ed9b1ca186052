//! The source model of an rnnc-compiled file, rebuilt from its metadata
//! alone: the recorded spec, and the weights from the recorded seed or from
//! the weights file whose SHA-256 was recorded.

use std::path::Path;

use prost::Message;

use super::VerifyError;
use crate::back::onnx::proto::ModelProto;
use crate::metadata::{self, Recorded, WeightSource};
use crate::reference::ReferenceInput;
use crate::spec::Spec;
use crate::tensor::TensorData;
use crate::weights::{self, Weights};

/// The model an ONNX file was compiled from.
pub struct SourceModel {
    pub spec: Spec,
    pub weights: Weights,
}

/// Rebuilds the source model of the file at `path`; `weights_file` is the
/// weights file it was compiled from, when it was compiled from one.
pub fn rebuild_source(
    path: &Path,
    weights_file: Option<&Path>,
) -> Result<SourceModel, VerifyError> {
    let bytes = std::fs::read(path).map_err(|e| VerifyError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let proto = ModelProto::decode(bytes.as_slice()).map_err(|e| VerifyError::NotOnnx {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let recorded = Recorded::from_model(&proto).ok_or_else(|| VerifyError::NotRnnc {
        path: path.to_path_buf(),
        key: metadata::SPEC,
    })?;
    let spec = Spec::from_source(recorded.spec, &recorded.spec_file).map_err(VerifyError::Spec)?;
    let source = recorded.weights.ok_or_else(|| VerifyError::NotRnnc {
        path: path.to_path_buf(),
        key: metadata::SEED,
    })?;
    let weights = source_weights(&spec, &source, weights_file)?;
    Ok(SourceModel { spec, weights })
}

/// The source weights, rebuilt as they were at compile time.
fn source_weights(
    spec: &Spec,
    source: &WeightSource,
    given: Option<&Path>,
) -> Result<Weights, VerifyError> {
    match source {
        WeightSource::Seed(seed) => Ok(weights::initialize(&spec.info, *seed)?),
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
            Ok(weights::load(path, &spec.info)?)
        }
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
