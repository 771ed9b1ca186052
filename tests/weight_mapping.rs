//! The weight mapping is checked by verification: for each cell type and
//! both lowerings, a file whose gate blocks are swapped or whose recurrent
//! matrix is transposed — the two classic converter bugs — must fail
//! `rnnc verify` (exit 1), while the untouched file passes.

#[path = "common/run.rs"]
mod run;
use run::rnnc;

#[path = "common/tamper.rs"]
mod tamper;

use std::path::Path;

use tamper::tamper;

/// What to break in a weight.
#[derive(Clone, Copy, Debug)]
enum Breakage {
    /// Swap the first two gate blocks.
    SwapGates,
    /// Transpose each square block of the recurrent matrix.
    TransposeRecurrent,
}

/// Compiles `spec` with `lowering`, applies `breakage` to the matching weight,
/// and returns the exit code of verify on the broken file.
fn verify_broken(
    spec: &str,
    lowering: &str,
    breakage: Breakage,
    units: usize,
    gates: usize,
) -> i32 {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.onnx");
    let out = rnnc(&[
        "compile",
        spec,
        "-o",
        model.to_str().unwrap(),
        "--lowering",
        lowering,
        "--seed",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let good = rnnc(&["verify", model.to_str().unwrap(), "--batch", "2"]);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{spec} {lowering}: untouched file must pass"
    );
    let broken = dir.path().join("broken.onnx");
    tamper(&model, Path::new(&broken), |name, dims, values| {
        match (breakage, lowering) {
            // ONNX layout W [D, gates*H, I]: gate blocks on axis 1.
            (Breakage::SwapGates, "native") if name.ends_with("/W") => {
                swap_blocks(values, dims, 1, units, 0, 1);
                true
            }
            // Keras layout kernel [F, gates*U]: gate blocks on the last axis.
            (Breakage::SwapGates, "scan") if name.ends_with("/kernel") => {
                let last = dims.len() - 1;
                swap_blocks(values, dims, last, units, 0, 1);
                true
            }
            (Breakage::TransposeRecurrent, "native") if name.ends_with("/R") => {
                transpose_blocks(values, dims);
                true
            }
            (Breakage::TransposeRecurrent, "scan") if name.ends_with("/recurrent_kernel") => {
                // Keras layout [U, gates*U]: transpose each U×U column block.
                let (u, g) = (dims[0], gates);
                let original = values.clone();
                for block in 0..g {
                    for r in 0..u {
                        for c in 0..u {
                            values[r * g * u + block * u + c] = original[c * g * u + block * u + r];
                        }
                    }
                }
                true
            }
            _ => false,
        }
    });
    rnnc(&["verify", broken.to_str().unwrap(), "--batch", "2"])
        .status
        .code()
        .unwrap()
}

fn spec_file(dir: &Path, text: &str) -> String {
    let path = dir.join("spec.rnn");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn swapped_gates_fail_verification() {
    let dir = tempfile::tempdir().unwrap();
    let cells = [
        ("LSTM(4, input_shape=(5, 3), return_sequences=True)", 4),
        ("GRU(4, input_shape=(5, 3), return_sequences=True)", 3),
        (
            "GRU(4, input_shape=(5, 3), return_sequences=True, reset_after=False)",
            3,
        ),
    ];
    for (text, gates) in cells {
        let spec = spec_file(dir.path(), text);
        for lowering in ["native", "scan"] {
            let code = verify_broken(&spec, lowering, Breakage::SwapGates, 4, gates);
            assert_eq!(code, 1, "{text} {lowering}: swapped gates went unnoticed");
        }
    }
}

#[test]
fn transposed_recurrent_matrices_fail_verification() {
    let dir = tempfile::tempdir().unwrap();
    for (layer, gates) in [("SimpleRNN", 1), ("LSTM", 4), ("GRU", 3)] {
        let spec = spec_file(
            dir.path(),
            &format!("{layer}(4, input_shape=(5, 3), return_sequences=True)\n"),
        );
        for lowering in ["native", "scan"] {
            let code = verify_broken(&spec, lowering, Breakage::TransposeRecurrent, 4, gates);
            assert_eq!(
                code, 1,
                "{layer} {lowering}: a transposed recurrent matrix went unnoticed"
            );
        }
    }
}

/// Swaps gate blocks `a` and `b` (each `rows` long) along `axis` of a
/// row-major array of shape `dims`.
fn swap_blocks(values: &mut [f32], dims: &[usize], axis: usize, rows: usize, a: usize, b: usize) {
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    for o in 0..outer {
        for r in 0..rows {
            for i in 0..inner {
                let at = |block: usize| (o * dims[axis] + block * rows + r) * inner + i;
                values.swap(at(a), at(b));
            }
        }
    }
}

/// Transposes each `h × h` block along the last two axes of a row-major
/// `[.., g*h, h]` array (an ONNX recurrence matrix R): what a missed
/// transpose in the weight mapping would produce.
fn transpose_blocks(values: &mut [f32], dims: &[usize]) {
    let h = dims[dims.len() - 1];
    let rows = dims[dims.len() - 2];
    let outer: usize = dims[..dims.len() - 2].iter().product::<usize>() * rows / h;
    for block in 0..outer {
        let base = block * h * h;
        for r in 0..h {
            for c in r + 1..h {
                values.swap(base + r * h + c, base + c * h + r);
            }
        }
    }
}
