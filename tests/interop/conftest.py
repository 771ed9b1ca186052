"""Shared setup of the interop suite: the rnnc binary, compiled oracle
fixtures (compiled once per session), and one runner per ONNX runtime."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "fixtures" / "oracle"

# Same tolerances as the Rust oracle tests (tests/oracle.rs): f32 everywhere,
# looser for models of three or more recurrent layers.
ATOL = 1e-5
DEEP_ATOL = 1e-4


def rnnc_binary() -> Path:
    path = Path(os.environ.get("RNNC_BIN", ROOT / "target" / "debug" / "rnnc"))
    if not path.exists():
        pytest.exit(f"rnnc binary not found at {path}: run `cargo build` first or set RNNC_BIN", 2)
    return path


def rnnc(*args, check=True):
    """Runs rnnc; returns the CompletedProcess."""
    result = subprocess.run([str(rnnc_binary()), *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"rnnc {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr}")
    return result


def oracle_cases():
    return sorted(p.name for p in ORACLE.iterdir() if (p / "model.rnn").exists())


def is_deep(case: str) -> bool:
    spec = (ORACLE / case / "model.rnn").read_text()
    return sum(spec.count(cell) for cell in ("SimpleRNN(", "LSTM(", "GRU(")) >= 3


def tolerance(case: str) -> float:
    return DEEP_ATOL if is_deep(case) else ATOL


def inputs_of(case: str):
    """(input file stem, input array, Keras' expected outputs) per input of a case."""
    out = []
    for stem, expected in (("input", "expected"), ("input_long", "expected_long")):
        x = ORACLE / case / f"{stem}.npy"
        if x.exists():
            e = np.load(ORACLE / case / f"{expected}.npz")
            out.append((stem, np.load(x), [e[f"output_{i}"] for i in range(len(e.files))]))
    return out


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """compiled(case, opset=None) -> path of the case compiled with Keras' weights."""
    cache = {}
    root = tmp_path_factory.mktemp("compiled")

    def get(case: str, opset=None):
        key = (case, opset)
        if key not in cache:
            path = root / f"{case}-{opset or 'default'}.onnx"
            args = ["compile", ORACLE / case / "model.rnn", "--weights", ORACLE / case / "weights.npz", "-o", path]
            if opset is not None:
                args += ["--opset", opset]
            rnnc(*args)
            cache[key] = path
        return cache[key]

    return get


def run_onnxruntime(path: Path, x: np.ndarray):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    graph_input = session.get_inputs()[0]
    dtype = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}[graph_input.type]
    return session.run(None, {graph_input.name: x.astype(dtype)})


def run_openvino(path: Path, x: np.ndarray):
    import openvino as ov

    core = ov.Core()
    # On CPUs with bfloat16 support OpenVINO's CPU plugin computes in bf16
    # by default (about 3 significant digits); Keras computes in f32.
    model = core.compile_model(core.read_model(str(path)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    element = model.input(0).get_element_type().to_dtype()
    result = model(x.astype(element))
    return [np.asarray(result[model.output(i)]) for i in range(len(model.outputs))]


def run_onnx_reference(path: Path, x: np.ndarray):
    import onnx
    from onnx.reference import ReferenceEvaluator

    model = onnx.load(str(path))
    elem = model.graph.input[0].type.tensor_type.elem_type
    dtype = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT32: np.int32, onnx.TensorProto.INT64: np.int64}[elem]
    return ReferenceEvaluator(model).run(None, {model.graph.input[0].name: x.astype(dtype)})


def run_tract(path: Path, x: np.ndarray, tmp: Path, reference=False, weights=None):
    """rnnc run (tract), or rnnc run --reference, through an npy/npz round trip."""
    xin, out = tmp / "x.npy", tmp / "out.npz"
    np.save(xin, x)
    args = ["run", path, "--input", xin, "--output", out]
    if reference:
        args.append("--reference")
        if weights is not None:
            args += ["--weights", weights]
    rnnc(*args)
    got = np.load(out)
    return [got[f"output_{i}"] for i in range(len(got.files))]


def fixture_inputs(folder: Path, case: str):
    """The `input_K.npy` arrays of a functional-format fixture, in order."""
    inputs, i = [], 0
    while (folder / case / f"input_{i}.npy").exists():
        inputs.append(np.load(folder / case / f"input_{i}.npy"))
        i += 1
    return inputs


def fixture_expected(folder: Path, case: str):
    """Keras' outputs of a functional-format fixture, in output order."""
    e = np.load(folder / case / "expected.npz")
    return [e[f"output_{i}"] for i in range(len(e.files))]


def compile_cache(root: Path, folder: Path):
    """`get(case, *flags)`: the case compiled with its `weights.npz` (and
    `flags`) into `root`, once per (case, flags)."""
    cache = {}

    def get(case, *flags):
        key = (case, flags)
        if key not in cache:
            path = root / f"{case}{''.join(str(f) for f in flags)}.onnx"
            rnnc("compile", folder / case / "model.rnn", "--weights", folder / case / "weights.npz", "-o", path, *flags)
            cache[key] = path
        return cache[key]

    return get


def max_error(actual, expected):
    """Largest |actual - expected|; NaN in both agrees (Keras' masked average
    of a fully padded row is 0/0), NaN in one is an infinite error."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    if not actual.size:
        return 0.0
    both_nan = np.isnan(actual) & np.isnan(expected)
    diff = np.where(both_nan, 0.0, np.abs(actual - expected))
    return float(np.max(np.where(np.isnan(diff), np.inf, diff)))


def assert_outputs_close(name, actual, expected, atol):
    assert len(actual) == len(expected), f"{name}: {len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        err = max_error(a, e)
        assert err <= atol, f"{name}: output_{i} differs by {err:.3e} (atol {atol:.0e})"



def pytest_terminal_summary(terminalreporter):
    """Reports the ONNX reference evaluator's gaps after the run."""
    import test_onnx_reference

    for line in test_onnx_reference.pytest_terminal_summary_lines():
        terminalreporter.write_line(line)
