"""Random functional Keras models against rnnc.

Draws small functional models from the layers rnnc compiles (recurrent
layers with their options, `RNN` over one cell or a stack of cells,
Bidirectional (sometimes with a backward layer of other activations), Conv1D, poolings, normalizations,
Dense, merges, concatenation on the time axis, global poolings,
RepeatVector, Attention), builds each in real Keras 3 (skipping the few it
refuses), sets random weights, and compares Keras' outputs with rnnc's
file run in tract (`rnnc run`). Its first run found a model the fixtures
did not have (one whose outputs are its inputs, refused with a Sequential
hint); run it after changes to the frontend, check pass or backend.

    KERAS_BACKEND=jax python scripts/check_random_functional.py 0 100 [--rnnc target/debug/rnnc]

With `--model-file`, rnnc compiles the `model.keras` Keras saves
(`rnnc compile m.keras`: architecture and weights read from the file)
instead of the spec with a weights file.

Prints one line per model that differs by more than 1e-4 or fails, then
`checked N, bad M`; exits 1 when M > 0.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile

import warnings

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
warnings.filterwarnings("ignore")
import keras  # noqa: E402

ATOL = 1e-4


def spec(seed):
    r = random.Random(seed)
    lines = ["import keras", "from keras import layers"]
    seqs, vecs, n = [], [], 0
    def new(kind, shape):
        nonlocal n
        n += 1
        name = f"t{n}"
        (seqs if kind == "s" else vecs).append((name, shape))
        return name
    for i in range(r.choice([1, 2])):
        T = r.choice([5, 7, None]); F = r.choice([3, 4])
        nm = new("s", (T, F))
        lines.append(f"{nm} = keras.Input(shape=({T}, {F}))")
    inputs = [s[0] for s in seqs]
    for _ in range(r.randint(3, 7)):
        op = r.choice(["rnn", "rnn", "bidir", "conv", "pool", "norm", "dense", "merge", "catT", "gpool", "repeat", "att", "vdense", "cells"])
        if op in ("repeat", "vdense") and vecs:
            v, (F,) = r.choice(vecs)
            if op == "repeat":
                k = r.choice([2, 4]); nm = new("s", (k, F)); lines.append(f"{nm} = layers.RepeatVector({k})({v})")
            else:
                u = r.choice([2, 5]); nm = new("v", (u,)); lines.append(f"{nm} = layers.Dense({u}, activation='{r.choice(['tanh','relu','linear'])}')({v})")
            continue
        if not seqs: continue
        s, (T, F) = r.choice(seqs)
        if op == "rnn":
            cell = r.choice(["LSTM", "GRU", "SimpleRNN"]); u = r.choice([3, 4])
            rs = r.random() < 0.6; gb = r.random() < 0.3
            args = f"{u}, return_sequences={rs}, go_backwards={gb}"
            if cell == "GRU" and r.random() < 0.3: args += ", reset_after=False"
            nm = new("s" if rs else "v", (T, u) if rs else (u,))
            lines.append(f"{nm} = layers.{cell}({args})({s})")
        elif op == "bidir":
            cell = r.choice(["LSTM", "GRU"]); u = 3; mm = r.choice(["concat", "sum", "ave", "mul"]); rs = r.random() < 0.6
            w = 2 * u if mm == "concat" else u
            nm = new("s" if rs else "v", (T, w) if rs else (w,))
            backward = ""
            if r.random() < 0.3:
                act = r.choice(["relu", "sigmoid", "linear"])
                backward = f", backward_layer=layers.{cell}({u}, return_sequences={rs}, go_backwards=True, activation='{act}')"
            lines.append(f"{nm} = layers.Bidirectional(layers.{cell}({u}, return_sequences={rs}){backward}, merge_mode='{mm}')({s})")
        elif op == "cells":
            # RNN over one cell or a stack (StackedRNNCells).
            cells = [(r.choice(["LSTMCell", "GRUCell", "SimpleRNNCell"]), r.choice([2, 3, 4])) for _ in range(r.choice([1, 2, 3]))]
            written = ", ".join(f"layers.{c}({u})" for c, u in cells)
            if len(cells) > 1 or r.random() < 0.3:
                written = f"[{written}]"
            u = cells[-1][1]; rs = r.random() < 0.6; gb = r.random() < 0.3
            nm = new("s" if rs else "v", (T, u) if rs else (u,))
            lines.append(f"{nm} = layers.RNN({written}, return_sequences={rs}, go_backwards={gb})({s})")
        elif op == "conv":
            pad = r.choice(["same", "causal"]); st = r.choice([1, 2]) if pad == "same" else 1; d = r.choice([1, 2]) if st == 1 else 1
            T2 = None if T is None else -(-T // st)
            nm = new("s", (T2, 4)); lines.append(f"{nm} = layers.Conv1D(4, 3, strides={st}, padding='{pad}', dilation_rate={d}, activation='{r.choice(['relu','linear'])}')({s})")
        elif op == "pool":
            p = r.choice(["MaxPooling1D", "AveragePooling1D"]); T2 = None if T is None else -(-T // 2)
            nm = new("s", (T2, F)); lines.append(f"{nm} = layers.{p}(2, padding='same')({s})")
        elif op == "norm":
            nm = new("s", (T, F)); lines.append(f"{nm} = layers.{r.choice(['LayerNormalization','BatchNormalization'])}()({s})")
        elif op == "dense":
            u = r.choice([3, 4]); nm = new("s", (T, u)); lines.append(f"{nm} = layers.Dense({u}, activation='tanh')({s})")
        elif op == "merge":
            same = [x for x in seqs if x[1] == (T, F) and x[0] != s]
            if not same: continue
            o = r.choice(same)[0]; m = r.choice(["Add", "Multiply", "Subtract", "Maximum", "Average"])
            nm = new("s", (T, F)); lines.append(f"{nm} = layers.{m}()([{s}, {o}])")
        elif op == "catT":
            same = [x for x in seqs if x[1][1] == F]
            o, (T2, _) = r.choice(same)
            Tn = None if T is None or T2 is None else T + T2
            nm = new("s", (Tn, F)); lines.append(f"{nm} = layers.concatenate([{s}, {o}], axis=1)")
        elif op == "gpool":
            nm = new("v", (F,)); lines.append(f"{nm} = layers.Global{r.choice(['Max','Average'])}Pooling1D()({s})")
        elif op == "att":
            same = [x for x in seqs if x[1][1] == F]
            o = r.choice(same)[0]
            nm = new("s", (T, F)); lines.append(f"{nm} = layers.Attention(use_scale={r.random()<0.5})([{s}, {o}])")
    if len(lines) == 2 + len(inputs):
        # Nothing was drawn: a model needs at least one layer.
        s, (T, F) = seqs[0]
        nm = new("s", (T, 2))
        lines.append(f"{nm} = layers.Dense(2)({s})")
    outs = [x[0] for x in (seqs + vecs)[-2:] if x[0] not in inputs]
    lines.append(f"model = keras.Model([{', '.join(inputs)}], [{', '.join(outs)}])")
    return "\n".join(lines) + "\n"


def keras_outputs(text, directory, seed):
    """Builds the model, sets random weights; writes weights and inputs;
    returns Keras' outputs and the input files."""
    keras.backend.clear_session()
    namespace = {}
    exec(text, namespace)
    model = namespace["model"]
    rng = np.random.default_rng(seed)
    arrays = []
    for w in model.weights:
        low, high = (0.5, 1.5) if "variance" in w.path else (-0.5, 0.5)
        a = rng.uniform(low, high, size=w.shape).astype("float32")
        w.assign(a)
        arrays.append(a)
    # By position (`arr_0`, … in `model.weights` order): Keras' paths name
    # cells with session counters (`lstm_cell_3`), which no key scheme can
    # predict.
    np.savez(os.path.join(directory, "w.npz"), *arrays)
    model.save(os.path.join(directory, "m.keras"))
    files, xs = [], []
    for i, t in enumerate(model.inputs):
        shape = [3] + [7 if d is None else d for d in t.shape[1:]]
        x = rng.normal(size=shape).astype("float32")
        path = os.path.join(directory, f"in{i}.npy")
        np.save(path, x)
        files.append(path)
        xs.append(x)
    ys = model(xs if len(xs) > 1 else xs[0])
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    return [np.asarray(y) for y in ys], files


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("start", type=int)
    parser.add_argument("stop", type=int)
    parser.add_argument("--rnnc", default="target/debug/rnnc")
    parser.add_argument("--model-file", action="store_true", help="compile the saved model.keras, not the spec")
    args = parser.parse_args()
    checked = bad = 0
    for seed in range(args.start, args.stop):
        text = spec(seed)
        with tempfile.TemporaryDirectory() as d:
            try:
                expected, inputs = keras_outputs(text, d, seed)
            except Exception:  # Keras refuses the drawn model: not rnnc's to compile.
                continue
            checked += 1
            spec_path, model_path, out = (os.path.join(d, n) for n in ("m.rnn", "m.onnx", "out.npz"))
            with open(spec_path, "w") as f:
                f.write(text)
            compile_step = (
                [args.rnnc, "compile", os.path.join(d, "m.keras"), "-o", model_path, "--quiet"]
                if args.model_file
                else [args.rnnc, "compile", spec_path, "--weights", os.path.join(d, "w.npz"), "-o", model_path, "--quiet"]
            )
            steps = [
                compile_step,
                [args.rnnc, "run", model_path, "--output", out] + [a for p in inputs for a in ("--input", p)],
            ]
            failed = None
            for step in steps:
                r = subprocess.run(step, capture_output=True, text=True)
                if r.returncode != 0:
                    failed = r.stderr.strip().splitlines()[0] if r.stderr.strip() else f"exit {r.returncode}"
                    break
            if failed is None:
                got = np.load(out)
                errors = [float(np.abs(got[f"output_{i}"] - e).max()) for i, e in enumerate(expected)]
                if max(errors) > ATOL:
                    failed = f"max abs errors {errors}"
            if failed is not None:
                bad += 1
                print(f"seed {seed}: {failed}\n{text}")
    print(f"checked {checked}, bad {bad}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
