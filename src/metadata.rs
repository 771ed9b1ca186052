//! What rnnc records in a model's `metadata_props`, so that `rnnc verify` can
//! rebuild the source model from the ONNX file alone, and emit it again the
//! way it was emitted to check the file node by node.

use crate::back::onnx::proto::ModelProto;
use crate::back::onnx::Lowering;

/// The spec text the model was compiled from.
pub const SPEC: &str = "rnnc.spec";
/// The spec file's name, for people reading the metadata.
pub const SPEC_FILE: &str = "rnnc.spec_file";
/// The initialization seed, when the weights were initialized by rnnc.
pub const SEED: &str = "rnnc.seed";
/// SHA-256 (hex) of the weights file, when weights were loaded from one.
pub const WEIGHTS_SHA256: &str = "rnnc.weights_sha256";
/// The weights file's name, for people reading the metadata.
pub const WEIGHTS_FILE: &str = "rnnc.weights_file";
/// The `--lowering` the model was compiled with (`auto`, `native`, `scan`);
/// absent from files written before verify re-emitted them.
pub const LOWERING: &str = "rnnc.lowering";
/// The `--opset` the model was compiled with; absent from older files too.
pub const OPSET: &str = "rnnc.opset";

/// How a streaming file was asked for (`stateful`: the spec's
/// `stateful=True` layers; `all`: `--streaming`); absent from other files.
pub const STREAMING: &str = "rnnc.streaming";
/// A streaming file's state pairs, for hosts (and OpenVINO's
/// `MakeStateful`): a JSON array of `{"input", "output", "shape"}`, the
/// shape `[batch, units]` with `null` for a symbolic batch.
pub const STATES: &str = "rnnc.states";
/// How a streaming file's data inputs and outputs relate to the chunks: a
/// JSON object `{"inputs": [...], "outputs": [...]}` of `{"name",
/// "timing", "whole"}` in graph order. The timing is `steps` (rows for the
/// chunk's steps on axis 1: a sequence is cut there, the chunks' outputs
/// are concatenated there), `last` (one per chunk: the last chunk's stands
/// for the run) or `fixed` (the same for every chunk); `whole` says whether
/// the chunks' outputs so combined are the whole sequence's (false below a
/// layer that restarts at every call or mixes a chunk's steps, as in
/// Keras' chunked calls).
pub const TIMING: &str = "rnnc.timing";
/// The SHA-256 of the Keras model file (`.keras`, `.h5`) whose architecture
/// the spec is: written only for a model compiled from one.
pub const MODEL_FILE_SHA256: &str = "rnnc.model_file_sha256";
/// The Keras version that wrote that model file, when it says.
pub const KERAS_VERSION: &str = "rnnc.keras_version";

/// What an rnnc-compiled file records about its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The spec text.
    pub spec: String,
    /// The spec file's name.
    pub spec_file: String,
    /// Where the weights came from, when recorded.
    pub weights: Option<WeightSource>,
    /// The recorded lowering, as written (older files have none).
    pub lowering: Option<String>,
    /// The recorded opset, as written (older files have none).
    pub opset: Option<String>,
    /// The recorded streaming mode, as written (none: not a streaming file).
    pub streaming: Option<String>,
    /// The SHA-256 of the Keras model file the spec was read from, if any.
    pub model_file_sha256: Option<String>,
    /// The Keras version that wrote that model file, when recorded.
    pub keras_version: Option<String>,
}

impl Recorded {
    /// Reads the record from a decoded model; `None` when the model has no
    /// rnnc spec (it was not written by rnnc).
    pub fn from_model(model: &ModelProto) -> Option<Recorded> {
        let lookup = |key: &str| {
            model
                .metadata_props
                .iter()
                .find(|p| p.key.as_deref() == Some(key))
                .and_then(|p| p.value.as_deref())
        };
        Some(Recorded {
            spec: lookup(SPEC)?.to_string(),
            spec_file: lookup(SPEC_FILE).unwrap_or("recorded spec").to_string(),
            weights: weight_source(lookup),
            lowering: lookup(LOWERING).map(str::to_string),
            opset: lookup(OPSET).map(str::to_string),
            streaming: lookup(STREAMING).map(str::to_string),
            model_file_sha256: lookup(MODEL_FILE_SHA256).map(str::to_string),
            keras_version: lookup(KERAS_VERSION).map(str::to_string),
        })
    }
}

/// Where the source weights of a model came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WeightSource {
    /// Keras-style initialization from this seed.
    Seed(u64),
    /// A weights file with this SHA-256.
    File { sha256: String, name: String },
}

/// The metadata entries for a compiled spec.
pub fn entries(spec_text: &str, spec_file: &str, weights: &WeightSource) -> Vec<(String, String)> {
    let mut out = vec![
        (SPEC.to_string(), spec_text.to_string()),
        (SPEC_FILE.to_string(), spec_file.to_string()),
    ];
    match weights {
        WeightSource::Seed(seed) => out.push((SEED.to_string(), seed.to_string())),
        WeightSource::File { sha256, name } => {
            out.push((WEIGHTS_SHA256.to_string(), sha256.clone()));
            out.push((WEIGHTS_FILE.to_string(), name.clone()));
        }
    }
    out
}

/// The metadata entries of a model compiled from a Keras model file: its
/// SHA-256 and the Keras version that wrote it.
pub fn model_file_entries(sha256: &str, keras_version: Option<&str>) -> Vec<(String, String)> {
    let mut out = vec![(MODEL_FILE_SHA256.to_string(), sha256.to_string())];
    if let Some(version) = keras_version {
        out.push((KERAS_VERSION.to_string(), version.to_string()));
    }
    out
}

/// The metadata entries saying how a model was emitted, written after
/// [`entries`].
pub fn emit_entries(lowering: Lowering, opset: i64) -> Vec<(String, String)> {
    vec![
        (LOWERING.to_string(), lowering_name(lowering).to_string()),
        (OPSET.to_string(), opset.to_string()),
    ]
}

/// The metadata entries of a streaming model, written after
/// [`emit_entries`]: none for another model.
pub fn streaming_entries(spec: &crate::spec::Spec) -> Vec<(String, String)> {
    let Some((mode, plan)) = &spec.stream else {
        return Vec::new();
    };
    let model = &spec.model;
    let states: Vec<serde_json::Value> = model
        .streams
        .iter()
        .flat_map(|stream| {
            stream
                .inputs
                .iter()
                .zip(&stream.output_names)
                .map(|(&input, output)| {
                    serde_json::json!({
                        "input": spec.info.input(input).name,
                        "output": output,
                        "shape": spec.info.input(input).shape,
                    })
                })
        })
        .collect();
    use crate::streaming::{Relation, Timing};
    let entry = |name: String, r: Relation| serde_json::json!({"name": name, "timing": r.timing.name(), "whole": r.whole});
    let inputs: Vec<serde_json::Value> = plan
        .inputs
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let id = crate::ir::InputId(k as u32);
            entry(crate::back::onnx::input_name(model, &spec.info, id), r)
        })
        .collect();
    // The model's own outputs, then each stream's states.
    let states_whole = plan.states_whole();
    let outputs: Vec<serde_json::Value> = (0..model.outputs.len())
        .map(|k| {
            let relation = plan.outputs.get(k).copied().unwrap_or_else(|| {
                let stream = model
                    .streams
                    .iter()
                    .position(|s| s.outputs.contains(&k))
                    .expect("an output past the model's own is a state");
                Relation {
                    timing: Timing::Last,
                    whole: states_whole[stream],
                }
            });
            entry(crate::back::onnx::graph_output_name(model, k), relation)
        })
        .collect();
    let timing = serde_json::json!({"inputs": inputs, "outputs": outputs});
    vec![
        (STREAMING.to_string(), mode.name().to_string()),
        (
            STATES.to_string(),
            serde_json::Value::from(states).to_string(),
        ),
        (TIMING.to_string(), timing.to_string()),
    ]
}

/// The name of a lowering in metadata, as `--lowering` spells it.
pub fn lowering_name(lowering: Lowering) -> &'static str {
    match lowering {
        Lowering::Auto => "auto",
        Lowering::Native => "native",
        Lowering::Scan => "scan",
    }
}

/// Every lowering, in the order `--lowering` lists them.
pub const LOWERINGS: [Lowering; 3] = [Lowering::Auto, Lowering::Native, Lowering::Scan];

/// The lowering a metadata value names, if it names one.
pub fn parse_lowering(name: &str) -> Option<Lowering> {
    LOWERINGS.into_iter().find(|&l| lowering_name(l) == name)
}

/// Reads the weight source back from metadata entries.
pub fn weight_source<'a>(mut lookup: impl FnMut(&str) -> Option<&'a str>) -> Option<WeightSource> {
    if let Some(seed) = lookup(SEED) {
        return seed.parse().ok().map(WeightSource::Seed);
    }
    let sha256 = lookup(WEIGHTS_SHA256)?.to_string();
    let name = lookup(WEIGHTS_FILE).unwrap_or("").to_string();
    Some(WeightSource::File { sha256, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for source in [
            WeightSource::Seed(7),
            WeightSource::File {
                sha256: "ab".into(),
                name: "w.npz".into(),
            },
        ] {
            let entries = entries("SimpleRNN(3)", "m.rnn", &source);
            let found = weight_source(|k| {
                entries
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            });
            assert_eq!(found, Some(source));
        }
    }

    #[test]
    fn lowering_names_round_trip() {
        for lowering in LOWERINGS {
            assert_eq!(parse_lowering(lowering_name(lowering)), Some(lowering));
        }
        assert_eq!(parse_lowering("Auto"), None);
        assert_eq!(
            emit_entries(Lowering::Scan, 17),
            [
                (LOWERING.to_string(), "scan".to_string()),
                (OPSET.to_string(), "17".to_string())
            ]
        );
    }
}
