//! Test helpers for the backend: an oracle case emitted with a given
//! lowering and run in tract, compared with Keras.

use ndarray::{ArrayD, Axis};

use super::{emit, encode, EmitOptions, Lowering};
use crate::runtime::{RuntimeError, TractModel};
use crate::tensor::TensorData;
use crate::testing::{max_abs_diff, Oracle, OracleRun};

/// Largest absolute difference accepted against Keras' numbers (float32
/// arithmetic in a different order over a few steps).
pub const TOLERANCE: f32 = 1e-5;

/// Runs ONNX bytes in tract on `input` from a fresh state.
pub fn run_tract(bytes: &[u8], input: TensorData) -> Result<Vec<ArrayD<f32>>, RuntimeError> {
    TractModel::from_bytes(bytes)?.run_f32(vec![input])
}

/// The first `n` rows (batch entries) of an array.
fn rows<T: Clone>(a: &ArrayD<T>, n: usize) -> ArrayD<T> {
    a.slice_axis(Axis(0), (0..n).into()).to_owned()
}

/// Emits `oracle` with `lowering`, runs `run`'s input in tract (its first
/// `batch` rows, or all with `None`), and compares with Keras.
pub fn check_case(oracle: &Oracle, run: &OracleRun, lowering: Lowering, batch: Option<usize>) {
    let name = &oracle.name;
    let options = EmitOptions {
        lowering,
        ..EmitOptions::default()
    };
    let proto = emit(
        &oracle.spec.model,
        &oracle.spec.info,
        &oracle.weights,
        &options,
    )
    .unwrap_or_else(|e| panic!("{name}: emit: {e}"));
    let (input, expected): (TensorData, Vec<ArrayD<f32>>) = match batch {
        None => (run.input.clone(), run.expected.clone()),
        Some(n) => (
            match &run.input {
                TensorData::F32(a) => TensorData::F32(rows(a, n)),
                TensorData::I32(a) => TensorData::I32(rows(a, n)),
                TensorData::I64(a) => TensorData::I64(rows(a, n)),
            },
            run.expected.iter().map(|e| rows(e, n)).collect(),
        ),
    };
    let got = run_tract(&encode(&proto), input)
        .unwrap_or_else(|e| panic!("{name}/{} ({lowering:?}): tract: {e}", run.file));
    assert_eq!(got.len(), expected.len(), "{name}: output count");
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        let diff = max_abs_diff(g, e).unwrap_or_else(|| {
            panic!(
                "{name} ({lowering:?}) output_{i}: shape {:?}, Keras {:?}",
                g.shape(),
                e.shape()
            )
        });
        assert!(
            diff <= TOLERANCE,
            "{name}/{} ({lowering:?}) output_{i}: max abs diff {diff}",
            run.file
        );
    }
}
