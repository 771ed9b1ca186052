"""Random STATEFUL Keras models against rnnc's streaming files.

Takes the random masked models of scripts/check_random_masked.py whose time
axis is free, makes every SimpleRNN/LSTM/GRU `stateful=True` and every
input's batch fixed (batch_shape), and leaves out those rnnc refuses to
stream for a reason (Bidirectional, go_backwards: they read the sequence
from its end) and those without a recurrent layer. Keras 3 runs each model in direct `model(x_chunk)` calls
over chunkings of an 8-step batch (its states reset to zeros before each
run), as a host streams; `rnnc run --chunks` runs the compiled file
(Keras' `.weights.h5`) over the same chunks, in tract and in the reference
interpreter, and every output and final state (read from `layer.states`)
must equal Keras' (Keras' chunks combined as the file's `rnnc.timing`
says: a `steps` output concatenated, another the last chunk's). About one model in five is also checked with
`rnnc verify` (which checks chunks against the whole sequence itself).

    KERAS_BACKEND=jax python scripts/check_random_streaming.py 0 300 [--rnnc target/debug/rnnc] [--jobs 2]

Prints one line per model that differs (with its spec), a `known` line for
one whose only difference is tract turning Keras' NaN (a fully padded row's
masked average) into numbers (docs/runtimes.md), then `checked N, bad M,
known runtime behaviours K`; exits 1 when M > 0. Keras 3 quirk: a recurrent call given
`initial_state=` starts from it at every call; rnnc does the same.
"""

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("KERAS_BACKEND", "jax")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import keras  # noqa: E402

import check_random_masked as crm  # noqa: E402  (spec, make_inputs, max_error, BATCH, ATOL)
import make_functional_oracles as fo  # noqa: E402  (build_model, random_weights)

CHUNKINGS = [[8], [3, 5], [1] * 8, [2, 1, 4, 1]]


def stateful_spec(text):
    """The spec with stateful recurrent layers and fixed batches, or None
    when rnnc would refuse to stream it or Keras would need a fixed length."""
    if "Bidirectional" in text or "go_backwards=True" in text or "unroll=True" in text:
        return None
    if re.search(r"keras\.Input\(shape=\(\d", text):
        return None  # a fixed time axis: Keras takes chunks of that length only
    text = re.sub(r"keras\.Input\(shape=\(", f"keras.Input(batch_shape=({crm.BATCH}, ", text)
    text = text.replace(", ,)", ",)").replace(", )", ")")
    out, i = [], 0
    for m in re.finditer(r"layers\.(SimpleRNN|LSTM|GRU)\(", text):
        # Insert `stateful=True` before the constructor's closing parenthesis.
        depth, j = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        out.append(text[i:j - 1] + ", stateful=True)")
        i = j
    out.append(text[i:])
    text = "".join(out)
    return text if "stateful=True" in text else None


def reset(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def keras_runs(model, xs):
    """{chunking label: ([per chunk: [output arrays]], {<layer>_h_out: final state})}."""
    runs = {}
    for sizes in CHUNKINGS:
        reset(model)
        pieces, start = [], 0
        for n in sizes:
            chunk = [x[:, start:start + n] for x in xs]
            y = model(chunk if len(chunk) > 1 else chunk[0], training=False)
            pieces.append([np.asarray(v, np.float32) for v in (y if isinstance(y, (list, tuple)) else [y])])
            start += n
        states = {}
        for layer in model.layers:
            if getattr(layer, "stateful", False):
                for name, s in zip(["h", "c"], layer.states):
                    states[f"{layer.name}_{name}_out"] = np.asarray(s, np.float32)
        runs[",".join(map(str, sizes))] = (pieces, states)
    return runs


def combine(pieces, states, timing):
    """Keras' chunked outputs combined as the file says it combines its
    own (`rnnc.timing`: a `steps` output concatenated on axis 1, another
    the last chunk's), then the final states."""
    outs = {}
    for k, entry in enumerate(timing["outputs"][:len(pieces[0])]):
        parts = [p[k] for p in pieces]
        outs[f"output_{k}"] = np.concatenate(parts, 1) if entry["timing"] == "steps" else parts[-1]
    outs.update(states)
    return outs


def streamed_states(states, pairs):
    """The final states of the layers the file streams: a stateful layer
    given `initial_state=` starts from it at every call in Keras too, so
    its stored states feed nothing and the file has no pair for it."""
    names = {p["output"] for p in pairs}
    return {k: v for k, v in states.items() if k in names}


def check(text, seed, rnnc, do_verify):
    """None when the model is left out or Keras refuses it; else failures by channel."""
    with tempfile.TemporaryDirectory() as d:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                model = fo.build_model(text)
                rng = np.random.default_rng(seed)
                fo.random_weights(model, rng)
                weights = os.path.join(d, "model.weights.h5")
                model.save_weights(weights)
                xs = crm.make_inputs(model, rng)
                runs = keras_runs(model, xs)
        except Exception:
            return None
        spec, onnx_path = os.path.join(d, "m.rnn"), os.path.join(d, "m.onnx")
        with open(spec, "w") as f:
            f.write(text)
        r = subprocess.run([rnnc, "compile", spec, "--weights", weights, "-o", onnx_path, "--quiet"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return {"compile": crm.first_line(r)}
        inputs = []
        for i, x in enumerate(xs):
            path = os.path.join(d, f"in{i}.npy")
            np.save(path, x)
            inputs += ["--input", path]
        import json
        import onnx
        props = {p.key: p.value for p in onnx.load(onnx_path).metadata_props}
        timing = json.loads(props["rnnc.timing"])
        pairs = json.loads(props["rnnc.states"])
        fails = {}
        for label, (pieces, states) in runs.items():
            expected = combine(pieces, streamed_states(states, pairs), timing)
            for engine, extra in (("tract", []), ("reference", ["--reference", "--weights", weights])):
                out = os.path.join(d, "out.npz")
                r = subprocess.run([rnnc, "run", onnx_path, "--chunks", label, "--output", out, "--quiet"]
                                   + inputs + extra, capture_output=True, text=True)
                if r.returncode != 0:
                    fails[f"{engine} {label}"] = "run failed: " + crm.first_line(r)
                    continue
                got = np.load(out)
                errors = {k: crm.max_error(got[k], e) if k in got else float("inf") for k, e in expected.items()}
                worst = max(errors, key=errors.get)
                if errors[worst] > crm.ATOL:
                    off = [k for k, e in errors.items() if e > crm.ATOL]
                    if engine == "tract" and all(k in got and crm.nan_squashed(got[k], expected[k]) for k in off):
                        fails["known"] = "tract gives numbers only where Keras gives NaN (docs/runtimes.md)"
                    else:
                        fails[f"{engine} {label}"] = f"{worst} off by {errors[worst]:.3g}"
        if do_verify:
            r = subprocess.run([rnnc, "verify", onnx_path, "--weights", weights, "--quiet"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fails["verify"] = crm.first_line(r)
        return fails


def run_seed(seed, rnnc):
    text = stateful_spec(crm.spec(seed))
    if text is None:
        return seed, None, ""
    fails = check(text, seed, rnnc, do_verify=seed % 5 == 0)
    if fails is None:
        return seed, None, ""
    if not fails:
        return seed, False, ""
    if list(fails) == ["known"]:
        return seed, "known", f"seed {seed}: known: {fails['known']}"
    return seed, True, f"seed {seed}: " + "; ".join(f"{k}: {v}" for k, v in fails.items()) + f"\n{text}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("start", type=int)
    parser.add_argument("stop", type=int)
    parser.add_argument("--rnnc", default="target/debug/rnnc")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    rnnc = os.path.abspath(args.rnnc)
    sys.exit(crm.run_and_report(run_seed, range(args.start, args.stop), args.jobs, rnnc))


if __name__ == "__main__":
    main()
