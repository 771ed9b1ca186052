#!/usr/bin/env python3
"""Check bench/peer/ (written by make_peer_files.py) without TensorFlow.

    /work/venv/bin/python bench/check_peer_files.py [--rnnc target/release/rnnc] [--tol 1e-5]

For each model <id>:
  1. `rnnc compile <id>.rnn --weights <id>.weights.h5 -o TMP/<id>.rnnc.onnx --verify`
  2. onnxruntime: rnnc's file and Keras' export (<id>.keras_export.onnx) both reproduce
     Keras' own output <id>.ref.npz within --tol (max abs difference)
  3. which runtimes load and run the peer file: onnxruntime, tract (`rnnc run`), OpenVINO
     (CPU, INFERENCE_PRECISION_HINT=f32); and rnnc's file in OpenVINO. "batch pinned":
     tract on a copy of the peer file whose input batch dimension is fixed to the
     reference batch (tf2onnx leaves it symbolic, which tract cannot type for an LSTM op)
Prints a markdown table; exits non-zero when a required check (1, 2) fails.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from models import MODELS  # noqa: E402


def ort_run(path, x):
    import onnxruntime as ort
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def ov_run(path, x):
    import openvino as ov
    # f32: OpenVINO's CPU plugin otherwise computes in bf16 on CPUs that have it
    # (an LSTM is then off by ~3e-3).
    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return np.asarray(compiled([x])[compiled.output(0)])


def tract_run(rnnc, path, x, tmp):
    xin, yout = tmp / "x.npy", tmp / "y.npz"
    np.save(xin, x)
    r = subprocess.run([rnnc, "-q", "run", str(path), "--input", str(xin), "--output", str(yout)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        msg = (r.stderr or r.stdout).strip() or f"exit {r.returncode}"
        raise RuntimeError(re.sub(r"^error: tract could not load `[^`]*`: ", "", msg.splitlines()[0]))
    with np.load(yout) as z:
        return z[z.files[0]]


def pin_batch(path, batch, out):
    """A copy of an ONNX file whose input's batch dimension is fixed (nothing else changes)."""
    import onnx
    m = onnx.load(str(path))
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = batch
    onnx.save(m, str(out))
    return out


def cell(fn, y, tol):
    """'ok (max |Δ|)', 'WRONG (max |Δ|)' or 'fails: <first line of the error>'."""
    try:
        out = np.asarray(fn()).reshape(y.shape)
    except Exception as e:  # noqa: BLE001 - report any runtime's refusal
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        # OpenVINO: the first lines are C++ locations; keep its summary and the causes
        failed = [ln for ln in lines if ln.startswith("-- Conversion is failed for:")]
        if failed:
            causes = [ln for ln in lines if ln.startswith("The provided") or ln == "Element not supported"]
            lines = ["; ".join([failed[0].removeprefix("-- ")] + causes)]
        msg = lines[0] if lines else type(e).__name__
        return False, "fails: " + msg.replace("|", "/")[:300]
    d = float(np.max(np.abs(out.astype(np.float64) - y)))
    return d <= tol, f"{'ok' if d <= tol else 'WRONG'} ({d:.1e})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rnnc", default=str(HERE.parent / "target" / "release" / "rnnc"))
    ap.add_argument("--peer", default=str(HERE / "peer"))
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    peer = Path(args.peer)
    failed = False
    rows = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for m in MODELS:
            mid = m["id"]
            spec, weights, exp = peer / f"{mid}.rnn", peer / f"{mid}.weights.h5", peer / f"{mid}.keras_export.onnx"
            with np.load(peer / f"{mid}.ref.npz") as z:
                x, y = z["x"], z["y"]
            ours = tmp / f"{mid}.rnnc.onnx"
            r = subprocess.run([args.rnnc, "-q", "compile", str(spec), "--weights", str(weights),
                                "-o", str(ours), "--verify"], capture_output=True, text=True)
            verify = "ok" if r.returncode == 0 else "fails: " + (r.stderr.strip().splitlines() or ["?"])[0]
            ok_rnnc, rnnc_ort = cell(lambda: ort_run(ours, x), y, args.tol) if r.returncode == 0 else (False, "-")
            ok_peer, peer_ort = cell(lambda: ort_run(exp, x), y, args.tol)
            _, peer_tract = cell(lambda: tract_run(args.rnnc, exp, x, tmp), y, args.tol)
            _, peer_tract_b = cell(lambda: tract_run(args.rnnc, pin_batch(exp, x.shape[0], tmp / "pinned.onnx"), x, tmp), y, args.tol)
            _, peer_ov = cell(lambda: ov_run(exp, x), y, args.tol)
            _, rnnc_ov = cell(lambda: ov_run(ours, x), y, args.tol) if r.returncode == 0 else (False, "-")
            failed |= not (r.returncode == 0 and ok_rnnc and ok_peer)
            rows.append((mid, verify, rnnc_ort, peer_ort, peer_tract, peer_tract_b, peer_ov, rnnc_ov))
    print("| model | rnnc compile --verify | rnnc file, onnxruntime | peer, onnxruntime | peer, tract | peer, tract, batch pinned | peer, OpenVINO | rnnc file, OpenVINO |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n(max |Δ| against Keras' output in <id>.ref.npz; tolerance {args.tol:g})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
