//! The file check: the ONNX file against what rnnc emits from its recorded
//! source.
//!
//! Running the file in tract proves little about what it computes elsewhere:
//! tract ignores the RNN/LSTM/GRU attributes `activations`,
//! `activation_alpha`, `activation_beta`, `clip` and `input_forget`
//! (`../shared/RUNTIMES.md`), and random inputs miss most edits of a large
//! table. So the model is emitted again from the recorded spec, weights
//! source, lowering and opset, and the file must equal it in every field
//! (external data read back first): every initializer bit for bit, every
//! node with every attribute, subgraph bodies, graph inputs and outputs,
//! opset imports, metadata, and no node rnnc would not emit.

use std::path::Path;

use super::{diff, external, SourceModel};
use crate::back::onnx::{self as backend, proto::ModelProto, EmitOptions, Lowering, DEFAULT_OPSET};
use crate::metadata::{self, WeightSource};

/// The outcome of the file check.
#[derive(Clone, Debug)]
pub struct FileCheck {
    /// The emit options the file was compared with ("opset 14, lowering auto").
    pub compared_with: String,
    /// Every difference, one sentence each; empty when the file is exactly
    /// what rnnc emits.
    pub differences: Vec<String>,
    /// Nodes and initializers in the file's main graph, for the report.
    pub nodes: usize,
    pub initializers: usize,
    /// Set when another rnnc version wrote the file and it differs: that
    /// version's emitter may explain the differences.
    pub version_note: Option<String>,
}

impl FileCheck {
    /// Whether the file is exactly what rnnc emits.
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Checks the file `source` was read from (at `path`) against rnnc's output.
/// A file that records its lowering and opset is compared with that output;
/// an older one with every lowering at its opset, and passes if one matches.
pub fn check(source: &SourceModel, path: &Path) -> FileCheck {
    let mut found = source.file.clone();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut problems = external::resolve(&mut found, dir);
    if !source.canonical {
        problems.push(
            "the file holds protobuf fields rnnc does not write, or encodes its fields unlike \
             rnnc (decoding and encoding it again does not give its bytes back)"
                .to_string(),
        );
    }
    let recorded = &source.recorded;
    let opset = recorded
        .opset
        .as_deref()
        .and_then(|o| o.parse().ok())
        .or_else(|| onnx_opset(&found))
        .unwrap_or(DEFAULT_OPSET);
    let lowerings = match recorded
        .lowering
        .as_deref()
        .and_then(metadata::parse_lowering)
    {
        Some(lowering) => vec![lowering],
        None => metadata::LOWERINGS.to_vec(),
    };
    let records_emit = recorded.lowering.is_some() || recorded.opset.is_some();
    let mut best: Option<(String, Vec<String>)> = None;
    for lowering in lowerings {
        let compared_with = format!(
            "opset {opset}, lowering {}",
            metadata::lowering_name(lowering)
        );
        let mut differences = problems.clone();
        match expected(source, &found, lowering, opset, records_emit) {
            Ok(expected) => differences.extend(diff::model(&found, &expected)),
            Err(e) => differences.push(format!("rnnc cannot emit the recorded model: {e}")),
        }
        if best
            .as_ref()
            .is_none_or(|(_, fewest)| differences.len() < fewest.len())
        {
            best = Some((compared_with, differences));
        }
    }
    let (compared_with, differences) = best.expect("at least one lowering is tried");
    let ours = env!("CARGO_PKG_VERSION");
    let version_note = match found.producer_version.as_deref() {
        Some(theirs) if theirs != ours && !differences.is_empty() => Some(format!(
            "the file was written by rnnc {}, and this is rnnc {ours}: \
             that version's emitter may explain the differences",
            theirs.escape_debug()
        )),
        _ => None,
    };
    let graph = found.graph.as_ref();
    FileCheck {
        compared_with,
        differences,
        nodes: graph.map_or(0, |g| g.node.len()),
        initializers: graph.map_or(0, |g| g.initializer.len()),
        version_note,
    }
}

/// What rnnc emits for the recorded source with `lowering` and `opset`,
/// with the metadata it writes; `records_emit` says whether to write the
/// lowering and opset entries (files from before they existed lack them).
/// The producer version is taken from the file, so that a file from another
/// version is judged by its content alone.
fn expected(
    source: &SourceModel,
    found: &ModelProto,
    lowering: Lowering,
    opset: i64,
    records_emit: bool,
) -> Result<ModelProto, backend::BackError> {
    let recorded = &source.recorded;
    let weights: &WeightSource = recorded
        .weights
        .as_ref()
        .expect("rebuild_source requires a weight source");
    let mut entries = metadata::entries(&recorded.spec, &recorded.spec_file, weights);
    if let Some(sha256) = &recorded.model_file_sha256 {
        entries.extend(metadata::model_file_entries(
            sha256,
            recorded.keras_version.as_deref(),
        ));
    }
    if records_emit {
        entries.extend(metadata::emit_entries(lowering, opset));
        entries.extend(metadata::streaming_entries(&source.spec));
    }
    let options = EmitOptions {
        opset,
        lowering,
        metadata: entries,
    };
    let mut model = backend::emit(
        &source.spec.model,
        &source.spec.info,
        &source.weights,
        &options,
    )?;
    if found.producer_name.as_deref() == model.producer_name.as_deref() {
        model.producer_version.clone_from(&found.producer_version);
    }
    Ok(model)
}

/// The file's `ai.onnx` opset, when it imports exactly one.
fn onnx_opset(model: &ModelProto) -> Option<i64> {
    let mut onnx = model
        .opset_import
        .iter()
        .filter(|o| matches!(o.domain.as_deref(), None | Some("") | Some("ai.onnx")));
    match (onnx.next(), onnx.next()) {
        (Some(only), None) => only.version,
        _ => None,
    }
}
