//! Recognising the files people give where a spec is expected.
//!
//! A spec is Python text. A newcomer who has an ONNX file, a Keras model or
//! weights file, or a NumPy archive may well pass that instead (`rnnc summary
//! model.onnx`); rather than "stream did not contain valid UTF-8", the spec
//! loader asks [`hint`] what the bytes look like and says what to do with
//! them. Recognition goes by the formats' own signatures, never by the file
//! name.

use prost::Message;

use crate::back::onnx::proto::ModelProto;

/// The HDF5 superblock signature (HDF5 file format specification, section
/// II.A "Format Signature").
const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Offsets at which HDF5 looks for its superblock: 0, 512, 1024, 2048, … (a
/// user block may come first); the first few cover the files Keras and h5py
/// write.
const HDF5_OFFSETS: [usize; 4] = [0, 512, 1024, 2048];

/// A zip local file header (PKWARE APPNOTE 4.3.7): `.keras` and `.npz` files.
const ZIP_SIGNATURE: &[u8] = b"PK\x03\x04";

/// The `.npy` magic string (NumPy's format documentation, "Format Version 1.0").
const NPY_SIGNATURE: &[u8] = b"\x93NUMPY";

/// The highest ONNX IR version a file claiming to be ONNX may carry (IR
/// version 11 is ONNX 1.18's; the margin allows later releases).
const MAX_IR_VERSION: i64 = 20;

/// What to say about a file that is not a spec, judged by its first bytes;
/// `None` when it looks like nothing in particular.
pub fn hint(bytes: &[u8]) -> Option<String> {
    const ARCHITECTURE: &str = "a Keras model file (`model.save(...)`) is read as a model \
                                directly; a weights file goes with a spec, as `--weights`";
    if bytes.starts_with(ZIP_SIGNATURE) {
        return Some(if contains(bytes, b"config.json") {
            format!("this is a Keras `.keras` model archive, not a spec; {ARCHITECTURE}")
        } else if contains(bytes, b".npy") {
            "this is an `.npz` archive of arrays, not a spec; give it with `--weights` \
             (weights) or `--input` (inputs to `rnnc run`)"
                .to_string()
        } else {
            "this is a zip archive, not a spec (a spec is the Keras Python text of a model)"
                .to_string()
        });
    }
    if HDF5_OFFSETS.iter().any(|&at| {
        bytes
            .get(at..)
            .is_some_and(|b| b.starts_with(HDF5_SIGNATURE))
    }) {
        return Some(format!(
            "this is an HDF5 file (a Keras `.weights.h5` or legacy `.h5` model), not a spec; \
             {ARCHITECTURE}"
        ));
    }
    if bytes.starts_with(NPY_SIGNATURE) {
        return Some(
            "this is a NumPy `.npy` array, not a spec; give it to `rnnc run --input`".to_string(),
        );
    }
    if looks_like_onnx(bytes) {
        return Some(
            "this is an ONNX model, not a spec; describe it with `rnnc inspect FILE` \
             (for a file rnnc wrote, that shows the spec it was compiled from)"
                .to_string(),
        );
    }
    None
}

/// Whether `bytes` decode as an ONNX model with a plausible IR version and a
/// graph: protobuf decoding alone accepts too much, the two fields together
/// almost never occur by chance.
fn looks_like_onnx(bytes: &[u8]) -> bool {
    ModelProto::decode(bytes).is_ok_and(|m| {
        m.ir_version
            .is_some_and(|v| (1..=MAX_IR_VERSION).contains(&v))
            && m.graph.is_some()
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    #[test]
    fn recognises_onnx_from_other_exporters() {
        for path in [
            "fixtures/foreign/torch_lstm.onnx",
            "fixtures/foreign/loop_if.onnx",
        ] {
            let hint = hint(&fixture(path)).unwrap();
            assert!(hint.contains("rnnc inspect"), "{path}: {hint}");
        }
    }

    #[test]
    fn recognises_keras_files() {
        for (path, expected) in [
            (
                "fixtures/keras_files/tutorial_simple_rnn/model.keras",
                "`.keras`",
            ),
            (
                "fixtures/keras_files/tutorial_simple_rnn/model.weights.h5",
                "HDF5",
            ),
        ] {
            let hint = hint(&fixture(path)).unwrap();
            assert!(hint.contains(expected), "{path}: {hint}");
            assert!(hint.contains("--weights"), "{path}: {hint}");
        }
    }

    #[test]
    fn recognises_numpy_files() {
        assert!(hint(b"\x93NUMPY\x01\x00").unwrap().contains("`.npy`"));
        let npz = b"PK\x03\x04\x14\x00\x00\x00\x00\x00arr_0.npy";
        assert!(hint(npz).unwrap().contains("`.npz`"));
    }

    #[test]
    fn other_bytes_get_no_hint() {
        assert_eq!(hint(b"\xff\xfe garbage \x00\x01"), None);
        assert_eq!(hint(b""), None);
    }
}
