"""Random MASKED functional Keras models against rnnc.

Like scripts/check_random_functional.py, but every model starts from a
mask: one or two int32 token inputs through `Embedding(mask_zero=True)`
(sometimes `mask_zero=False` for one of them, or a second, unmasked
Embedding of the same tokens), or a float input through
`Masking(mask_value=v)`, v in {0.0, -1.0, 0.5}. Then a random graph over
what rnnc compiles with masks: SimpleRNN/LSTM/GRU (return_sequences,
return_state, go_backwards, reset_after, unroll with a fixed T,
zero_output_for_mask, initial_state from other states, which Keras 3 then
runs unmasked), Bidirectional (every merge mode, return_sequences,
return_state, initial_state), Dense / TimeDistributed(Dense), Dropout,
Activation, LayerNormalization, the merges (Add, Subtract, Multiply,
Average, Maximum, Minimum, Concatenate on the features and on time),
GlobalAveragePooling1D, GlobalMaxPooling1D, Attention / AdditiveAttention,
Conv1D (drops the mask), RepeatVector and Masking of a recurrent output.

Each model is built in real Keras 3 (the few it refuses are skipped), gets
random weights (saved with `model.save_weights`, compiled with `rnnc compile
--weights`), and runs on batch-6 inputs padded like the fixtures of
scripts/make_masking_oracles.py (rows not padded, padded in front, at the
back, in the middle, at both ends, fully; a second input gets the row kinds
in another order; ids 0 / every feature == v at padded steps). Keras'
outputs are compared with `rnnc run` (tract) and `rnnc run --reference`
(the reference interpreter), NaN in both counting as equal (a fully padded
row under GlobalAveragePooling1D is 0/0 in Keras); about one model in five
is also checked with `rnnc verify`.

    KERAS_BACKEND=jax python scripts/check_random_masked.py 0 300 [--rnnc target/debug/rnnc] [--jobs 2]
    KERAS_BACKEND=jax python scripts/check_random_masked.py 17 18 --minimize /tmp/masked_failures

With `--model-file`, rnnc reads the `model.keras` Keras saves instead of
the spec and its weights file (`rnnc summary|compile m.keras`, and the
reference with `--weights m.keras`).

Also compares the layers `rnnc summary` lists with Keras' `model.layers`
(names and order, which decide the positional keys of `.weights.h5`).
Prints one line per model that rnnc refuses, whose layers differ, whose
outputs differ by more than 1e-4 or that fails verify (followed by its
spec); a `seed N: known: ...` line for a model whose only difference is a
documented runtime behaviour (tract turning Keras' NaN into numbers,
docs/runtimes.md); then `checked N, bad M, known runtime behaviours K`;
exits 1 when M > 0. With `--minimize DIR`, each failing spec is also shrunk (layers
removed or bypassed, arguments dropped, outputs cut) to a smallest spec that
still fails the same way, written to DIR/<seed>.rnn with a comment line
saying how.
"""

import argparse
import contextlib
import io
import os
import random
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

import check_random_functional as crf  # noqa: E402  (ATOL)
import make_functional_oracles as fo  # noqa: E402  (build_model, random_weights)
import make_masking_oracles as mo  # noqa: E402  (row_keep, ROWS, consumers)

ATOL = crf.ATOL
BATCH = mo.BATCH  # 6
FREE_T = mo.FREE_T  # 8
HEADER = ["import keras", "from keras import layers"]
CELLS = ["SimpleRNN", "LSTM", "GRU"]
N_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


# ---------------------------------------------------------------------------
# Random specs
# ---------------------------------------------------------------------------
def spec(seed):
    r = random.Random(seed)
    lines = list(HEADER)
    pool = []  # dicts: name, kind "s" (B,T,F) / "v" (B,F), T (run-time), fixed (T given), F, masked
    n = 0
    used = set()

    def new(kind, F, T=None, fixed=False, masked=False, pooled=True):
        nonlocal n
        n += 1
        t = {"name": f"x{n}", "kind": kind, "T": T, "fixed": fixed, "F": F, "masked": masked}
        if pooled:
            pool.append(t)
        return t

    def pick(cands, prefer_masked=0.75):
        m = [c for c in cands if c["masked"]]
        if m and (r.random() < prefer_masked or len(m) == len(cands)):
            cands = m
        # Half the time the newest candidate: chains as well as wide graphs.
        c = cands[-1] if r.random() < 0.5 else r.choice(cands)
        used.add(c["name"])
        return c

    def seqs():
        return [t for t in pool if t["kind"] == "s"]

    def vecs(F=None):
        return [t for t in pool if t["kind"] == "v" and (F is None or t["F"] == F)]

    Tsym = r.choice([None, None, 8, 5])
    T = Tsym or FREE_T
    fixed = Tsym is not None
    inputs = []
    n_in = r.choice([1, 1, 2])
    for i in range(n_in):
        name = f"in{i + 1}"
        inputs.append(name)
        F = r.choice([3, 4])
        if r.random() < 0.7:
            lines.append(f'{name} = keras.Input(shape=({Tsym},), dtype="int32")')
            mz = not (i == 1 and r.random() < 0.35)
            e = new("s", F, T, fixed, mz)
            lines.append(f"{e['name']} = layers.Embedding({r.choice([10, 12])}, {F}, mask_zero={mz})({name})")
            if r.random() < 0.2:  # the same tokens, embedded again the other way
                e2 = new("s", F, T, fixed, not mz)
                lines.append(f"{e2['name']} = layers.Embedding(10, {F}, mask_zero={not mz})({name})")
        else:
            v = r.choice([0.0, -1.0, 0.5])
            lines.append(f"{name} = keras.Input(shape=({Tsym}, {F}))")
            m = new("s", F, T, fixed, True)
            lines.append(f"{m['name']} = layers.Masking(mask_value={v})({name})")
            if r.random() < 0.2:  # the raw float input, unmasked, used too
                pool.append({"name": name, "kind": "s", "T": T, "fixed": fixed, "F": F, "masked": False})

    def rnn_states(cell, u, k):
        """k initial states of width u from the vectors in the pool, or None."""
        cands = vecs(u)
        if not cands:
            return None
        # Prefer real RNN states.
        st = [c for c in cands if c.get("state")] or cands
        return [pick(st, 0)["name"] for _ in range(k)]

    ops = ["rnn", "rnn", "rnn", "bidir", "bidir", "dense", "simple", "merge", "merge", "concat",
           "gpool", "att", "conv", "vdense", "repeat", "remask"]
    for _ in range(r.randint(2, 7)):
        op = r.choice(ops)
        S = seqs()
        if op in ("rnn", "bidir"):
            s = pick(S)
            cell = r.choice(CELLS)
            u = r.choice([3, 4]) if op == "rnn" else 3
            rs = r.random() < 0.6
            rst = r.random() < 0.35
            args = [f"{u}", f"return_sequences={rs}"]
            if op == "rnn" and r.random() < 0.3:
                args.append("go_backwards=True")
            if cell == "GRU" and r.random() < 0.3:
                args.append("reset_after=False")
            if r.random() < 0.3 and s["fixed"]:
                args.append("unroll=True")
            if r.random() < 0.25:
                args.append("zero_output_for_mask=True")
            if rst:
                args.append("return_state=True")
            k = N_STATES[cell] * (1 if op == "rnn" else 2)
            init = rnn_states(cell, u, k) if r.random() < 0.3 else None
            call = f"({s['name']}" + (f", initial_state=[{', '.join(init)}])" if init else ")")
            if op == "rnn":
                layer = f"layers.{cell}({', '.join(args)})"
                outs = [new("s" if rs else "v", u, s["T"], s["fixed"], s["masked"] and rs)]
                states_of = 1
            else:
                mm = r.choice(["concat", "sum", "ave", "mul", None])
                w = 2 * u if mm == "concat" else u
                layer = f"layers.Bidirectional(layers.{cell}({', '.join(args)}), merge_mode={mm!r})"
                halves = 2 if mm is None else 1
                outs = [new("s" if rs else "v", w, s["T"], s["fixed"], s["masked"] and rs) for _ in range(halves)]
                states_of = 2
            if rst:
                for _ in range(N_STATES[cell] * states_of):
                    st = new("v", u)
                    st["state"] = True
                    outs.append(st)
            lhs = ", ".join(o["name"] for o in outs)
            lines.append(f"{lhs} = {layer}{call}")
        elif op == "dense":
            s = pick(S)
            u = r.choice([3, 4])
            act = r.choice(["tanh", "relu", "linear", "sigmoid"])
            o = new("s", u, s["T"], s["fixed"], s["masked"])
            if r.random() < 0.5:
                lines.append(f"{o['name']} = layers.Dense({u}, activation='{act}')({s['name']})")
            else:
                lines.append(f"{o['name']} = layers.TimeDistributed(layers.Dense({u}, activation='{act}'))({s['name']})")
        elif op == "simple":
            s = pick(S + vecs(), 0.6)
            o = new(s["kind"], s["F"], s["T"], s["fixed"], s["masked"])
            what = r.choice(["Dropout(0.3)", "Activation('tanh')", "Activation('softmax')",
                             "Activation('relu')", "LayerNormalization()"])
            lines.append(f"{o['name']} = layers.{what}({s['name']})")
        elif op == "merge":
            a = pick(S + vecs(), 0.8)
            same = [t for t in pool if t["kind"] == a["kind"] and t["F"] == a["F"] and t["T"] == a["T"] and t is not a]
            if not same or r.random() < 0.25:
                # Make a partner of the same shape from another tensor of the same length.
                src = [t for t in pool if t["kind"] == a["kind"] and t["T"] == a["T"]]
                b0 = pick(src, 0.5)
                b = new(a["kind"], a["F"], a["T"], a["fixed"], b0["masked"])
                lines.append(f"{b['name']} = layers.Dense({a['F']})({b0['name']})")
                same = [b]
            cls = r.choice(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
            k = 2 if cls == "Subtract" or len(same) < 2 or r.random() < 0.7 else 3
            others = r.sample(same, k - 1)
            for t in others:
                used.add(t["name"])
            ins = [a] + others
            r.shuffle(ins)
            o = new(a["kind"], a["F"], a["T"], a["fixed"] and all(t["fixed"] for t in ins),
                    all(t["masked"] for t in ins))
            lines.append(f"{o['name']} = layers.{cls}()([{', '.join(t['name'] for t in ins)}])")
        elif op == "concat":
            a = pick(S + vecs(), 0.8)
            if a["kind"] == "s" and r.random() < 0.4:
                same = [t for t in S if t["F"] == a["F"]]
                b = pick(same, 0.6)
                ins = [a, b] if r.random() < 0.5 else [b, a]
                o = new("s", a["F"], a["T"] + b["T"], a["fixed"] and b["fixed"], a["masked"] or b["masked"])
                lines.append(f"{o['name']} = layers.Concatenate(axis=1)([{ins[0]['name']}, {ins[1]['name']}])")
            else:
                same = [t for t in pool if t["kind"] == a["kind"] and t["T"] == a["T"]]
                b = pick(same, 0.6)
                ins = [a, b] if r.random() < 0.5 else [b, a]
                o = new(a["kind"], a["F"] + b["F"], a["T"], a["fixed"], a["masked"] or b["masked"])
                lines.append(f"{o['name']} = layers.Concatenate()([{ins[0]['name']}, {ins[1]['name']}])")
        elif op == "gpool":
            s = pick(S)
            o = new("v", s["F"])
            lines.append(f"{o['name']} = layers.Global{r.choice(['Average', 'Average', 'Max'])}Pooling1D()({s['name']})")
        elif op == "att":
            q = pick(S)
            same = [t for t in S if t["F"] == q["F"]]
            v = pick(same, 0.8)
            names = [q["name"], v["name"]]
            if r.random() < 0.25:
                keys = [t for t in S if t["F"] == q["F"] and t["T"] == v["T"]]
                kk = pick(keys, 0.5)
                names.append(kk["name"])
            o = new("s", q["F"], q["T"], q["fixed"], q["masked"])
            if r.random() < 0.6:
                lines.append(f"{o['name']} = layers.Attention(use_scale={r.random() < 0.5}, "
                             f"score_mode='{r.choice(['dot', 'concat'])}')([{', '.join(names)}])")
            else:
                lines.append(f"{o['name']} = layers.AdditiveAttention(use_scale={r.random() < 0.5})([{', '.join(names)}])")
        elif op == "conv":
            s = pick(S)
            pad = r.choice(["same", "causal", "valid"])
            st = r.choice([1, 2]) if pad != "causal" else 1
            T2 = -(-s["T"] // st) if pad != "valid" else (s["T"] - 3) // st + 1
            if T2 < 1:
                continue
            o = new("s", 4, T2, s["fixed"], False)
            lines.append(f"{o['name']} = layers.Conv1D(4, 3, strides={st}, padding='{pad}')({s['name']})")
        elif op == "vdense":
            V = vecs()
            if not V:
                continue
            s = pick(V, 0)
            u = r.choice([3, 4])
            o = new("v", u)
            lines.append(f"{o['name']} = layers.Dense({u}, activation='{r.choice(['tanh', 'linear'])}')({s['name']})")
        elif op == "repeat":
            V = vecs()
            if not V:
                continue
            s = pick(V, 0)
            o = new("s", s["F"], T, fixed, False)
            lines.append(f"{o['name']} = layers.RepeatVector({T})({s['name']})")
        elif op == "remask":
            # Masking(0.0) right after a recurrent sequence output: its padded
            # steps are exact zeros (leading ones, or all inside Bidirectional).
            cands = [t for t in S if t.get("rnn_seq")]
            if not cands:
                continue
            s = pick(cands, 1)
            o = new("s", s["F"], s["T"], s["fixed"], True)
            lines.append(f"{o['name']} = layers.Masking(mask_value=0.0)({s['name']})")
        # Mark fresh recurrent sequence outputs for "remask".
        if op in ("rnn", "bidir"):
            for t in pool[-(len(outs)):]:
                if t["kind"] == "s":
                    t["rnn_seq"] = True
    produced = [t["name"] for t in pool if t["name"] not in inputs]
    outs = [t for t in produced if t not in used] or produced[-1:]
    lines.append(f"model = keras.Model([{', '.join(inputs)}], [{', '.join(outs)}])")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Keras side
# ---------------------------------------------------------------------------
def make_inputs(model, rng):
    """Batch-6 arrays, one per model input, padded in the fixture patterns."""
    xs = []
    for i, t in enumerate(model.inputs):
        shape = [BATCH] + [FREE_T if d is None else int(d) for d in t.shape[1:]]
        kinds = list(mo.ROWS)
        if i > 0:
            rng.shuffle(kinds)  # another input pads other rows
        keep = np.stack([mo.row_keep(k, shape[1], rng) for k in kinds])
        fed = mo.consumers(t)
        if str(t.dtype).startswith("int"):
            vocab = min(op.input_dim for op in fed if isinstance(op, keras.layers.Embedding))
            ids = rng.integers(1, vocab, size=shape)
            xs.append(np.where(keep, ids, 0).astype(np.int32))
            continue
        x = rng.standard_normal(size=shape).astype(np.float32)
        values = [op.mask_value for op in fed if isinstance(op, keras.layers.Masking)]
        if values:
            v = np.float32(values[0])
            pad = v
            if v == 0 and rng.random() < 0.5:
                pad = np.float32(-0.0)  # -0.0 == 0.0: still padding
            x = np.where(keep[:, :, None], x, pad).astype(np.float32)
            x[0, 1, 0] = v  # one feature equal to v: that step stays real
        xs.append(x)
    return xs


# Set by `--model-file` (an environment variable, so that worker processes see it).
MODEL_FILE = "RNNC_CHECK_MODEL_FILE"


def keras_side(text, directory, seed):
    """Builds the model, sets random weights and writes them (.weights.h5)
    and the inputs; returns Keras' outputs, the input files, the weights."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model = fo.build_model(text)
        rng = np.random.default_rng(seed)
        fo.random_weights(model, rng)
        weights = os.path.join(directory, "model.weights.h5")
        model.save_weights(weights)
        if os.environ.get(MODEL_FILE):
            weights = os.path.join(directory, "m.keras")
            model.save(weights)
        xs = make_inputs(model, rng)
        ys = model(xs if len(xs) > 1 else xs[0], training=False)
    order = [layer.name for layer in model.layers]
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    files = []
    for i, x in enumerate(xs):
        path = os.path.join(directory, f"in{i}.npy")
        np.save(path, x)
        files.append(path)
    return [np.asarray(y, dtype=np.float32) for y in ys], files, weights, order


def max_error(got, expected):
    """Max abs error; NaN in both counts as equal, NaN in one as inf."""
    if got.shape != expected.shape:
        return float("inf")
    gn, en = np.isnan(got), np.isnan(expected)
    if (gn != en).any():
        return float("inf")
    if gn.all():
        return 0.0
    return float(np.abs(got[~gn] - expected[~en]).max()) if got.size else 0.0


def nan_squashed(got, expected):
    """Whether `got` equals `expected` but for numbers where Keras gives NaN:
    tract's tanh, sigmoid, max and min turn the NaN of a masked average of
    a fully padded row into numbers (docs/runtimes.md)."""
    if got.shape != expected.shape:
        return False
    en = np.isnan(expected)
    if np.isnan(got[~en]).any():
        return False
    return not en.size or max_error(got[~en], expected[~en]) <= ATOL


# ---------------------------------------------------------------------------
# rnnc side
# ---------------------------------------------------------------------------
def first_line(r):
    """The error line of a failed rnnc command (verify's verdict is its last stdout line)."""
    lines = [l for l in r.stderr.splitlines() if l.strip() and not l.startswith("note")]
    if lines:
        return lines[0]
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    return lines[-1] if lines else f"exit {r.returncode}"


# A summary row: ` name (Class)  (None, ...)`; a long name or class wraps onto the next line.
SUMMARY_ROW = re.compile(r"^ (\w+) .*\s\[?\(None")


def check(text, seed, rnnc, do_verify):
    """None when Keras refuses the spec; else a dict of failures by channel
    ("order", "compile", "tract", "reference", "verify") -> message (empty:
    passed); "order" compares `rnnc summary`'s rows with Keras' `model.layers`;
    "known" is a documented runtime behaviour, reported but not a failure."""
    with tempfile.TemporaryDirectory() as d:
        try:
            expected, inputs, weights, order = keras_side(text, d, seed)
        except Exception:
            return None
        spec_path, model_path = os.path.join(d, "m.rnn"), os.path.join(d, "m.onnx")
        with open(spec_path, "w") as f:
            f.write(text)
        # With --model-file the model file is the spec, and its own weights.
        source = [weights] if os.environ.get(MODEL_FILE) else [spec_path, "--weights", weights]
        fails = {}
        r = subprocess.run([rnnc, "summary", source[0]], capture_output=True, text=True)
        rows = [m.group(1) for m in map(SUMMARY_ROW.match, r.stdout.splitlines()) if m]
        if rows != order:
            fails["order"] = f"summary lists {rows}, Keras' model.layers {order}"
        r = subprocess.run([rnnc, "compile", *source, "-o", model_path, "--quiet"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fails["compile"] = first_line(r)
            return fails
        feed = [a for p in inputs for a in ("--input", p)]
        for channel, extra in (("tract", []), ("reference", ["--reference", "--weights", weights])):
            out = os.path.join(d, f"{channel}.npz")
            r = subprocess.run([rnnc, "run", model_path, "--output", out, "--quiet"] + extra + feed,
                               capture_output=True, text=True)
            if r.returncode != 0:
                fails[channel] = "run failed: " + first_line(r)
                continue
            got = np.load(out)
            got = [got[f"output_{i}"] for i in range(len(expected))]
            errors = [max_error(g, e) for g, e in zip(got, expected)]
            if max(errors) > ATOL:
                message = "max abs errors " + ", ".join(f"{e:.3g}" for e in errors)
                if channel == "tract" and all(map(nan_squashed, got, expected)):
                    fails["known"] = "tract gives numbers only where Keras gives NaN (docs/runtimes.md)"
                else:
                    fails[channel] = message
        if do_verify:
            r = subprocess.run([rnnc, "verify", model_path, "--weights", weights, "--quiet"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fails["verify"] = first_line(r)
        return fails


# ---------------------------------------------------------------------------
# Minimizing a failing spec
# ---------------------------------------------------------------------------
NAME = re.compile(r"\b(?:x|in)\d+\b")


def parse(text):
    """(body lines, outputs): body = the lines between the header and `model = ...`."""
    lines = text.strip("\n").split("\n")
    assert lines[:len(HEADER)] == HEADER and lines[-1].startswith("model = ")
    outs = re.search(r"\], \[(.*)\]\)$", lines[-1]).group(1).split(", ")
    return lines[len(HEADER):-1], outs


def lhs_names(line):
    return [x.strip() for x in line.split(" = ", 1)[0].split(",")]


def rhs_names(line):
    return NAME.findall(line.split(" = ", 1)[1])


def assemble(body, outs):
    """Keeps only the lines the outputs need; `_` for unused results."""
    needed, kept = set(outs), []
    for line in reversed(body):
        defs = lhs_names(line)
        if any(x in needed for x in defs):
            kept.append(line)
            needed.update(rhs_names(line))
    kept.reverse()
    final = []
    inputs = []
    for line in kept:
        defs = lhs_names(line)
        if len(defs) > 1:
            later = set(outs)
            for other in kept[kept.index(line) + 1:]:
                later.update(rhs_names(other))
            defs = [x if x in later else "_" for x in defs]
            line = ", ".join(defs) + " = " + line.split(" = ", 1)[1]
        if line.startswith("in"):
            inputs.append(lhs_names(line)[0])
        final.append(line)
    return "\n".join(HEADER + final + [f"model = keras.Model([{', '.join(inputs)}], [{', '.join(outs)}])"]) + "\n"


def candidates(text):
    body, outs = parse(text)
    # Fewer outputs.
    if len(outs) > 1:
        for o in outs:
            yield assemble(body, [o])
        for o in outs:
            yield assemble(body, [x for x in outs if x != o])
    # Bypass a layer: drop its line, its result replaced by one of its inputs.
    for i, line in enumerate(body):
        defs = lhs_names(line)
        if line.startswith("in"):
            continue
        for src in dict.fromkeys(rhs_names(line)):
            if src.startswith("in") and any(l.startswith(f"{src} = keras.Input") and "int32" in l for l in body):
                continue  # token ids are no layer input
            for d in defs:
                if d == "_":
                    continue
                rest = body[:i] + [re.sub(rf"\b{d}\b", src, l) for l in body[i + 1:]]
                new_outs = list(dict.fromkeys(src if x == d else x for x in outs))
                if any(d in lhs_names(l) for l in rest):
                    continue
                yield assemble(rest, new_outs)
    # Drop one keyword argument / a return_state with its extra results.
    for i, line in enumerate(body):
        for m in re.finditer(r", (\w+)=(\[[^\]]*\]|'[^']*'|[^,()\[\]]+)", line):
            if m.group(1) == "dtype":
                continue  # token ids stay token ids
            new = line[:m.start()] + line[m.end():]
            if m.group(1) == "return_state":
                defs = lhs_names(line)
                if any(x != "_" for x in defs[1:]):
                    continue
                new = defs[0] + " = " + new.split(" = ", 1)[1]
            yield assemble(body[:i] + [new] + body[i + 1:], outs)
        # Smaller constants: units / output dims 2.
        for m in re.finditer(r"\((\d+), ", line):
            if m.group(1) not in ("2",) and "Embedding" not in line[:m.start()] and "RepeatVector" not in line[:m.start()]:
                new = line[:m.start()] + "(2, " + line[m.end():]
                yield assemble(body[:i] + [new] + body[i + 1:], outs)


def same_failure(fails, original):
    if fails is None:
        return False
    if "compile" in original:
        # Same refusal: same message up to the first location/number.
        key = lambda s: re.sub(r"\d+|'[^']*'|`[^`]*`", "", s)[:60]
        return "compile" in fails and key(fails["compile"]) == key(original["compile"])
    # The same channels fail, the same way (a NaN/shape mismatch, shown as
    # inf, stays one; a run error stays one).
    kind = lambda msg: "run" if msg.startswith("run failed") else "inf" if "inf" in msg else msg.split(":")[0][:40]
    return "compile" not in fails and all(ch in fails and kind(fails[ch]) == kind(msg) for ch, msg in original.items())


def minimize(text, seed, rnnc, original):
    do_verify = "verify" in original
    best, best_fails = text, original
    progress = True
    while progress:
        progress = False
        for cand in candidates(best):
            if len(cand) >= len(best):
                continue
            fails = check(cand, seed, rnnc, do_verify)
            if same_failure(fails, original):
                best, best_fails, progress = cand, fails, True
                break
    return best, best_fails


def describe(fails):
    return "; ".join(f"{ch}: {msg}" for ch, msg in fails.items())


def run_seed(seed, rnnc, minimize_dir):
    """(seed, None when Keras refuses / False passed / "known" passed but
    for a documented runtime behaviour / True failed, report text)."""
    text = spec(seed)
    fails = check(text, seed, rnnc, do_verify=seed % 5 == 0)
    if not fails:
        return seed, None if fails is None else False, ""
    if list(fails) == ["known"]:
        return seed, "known", f"seed {seed}: known: {fails['known']}"
    report = f"seed {seed}: {describe(fails)}\n{text}"
    if minimize_dir:
        small, small_fails = minimize(text, seed, rnnc, fails)
        os.makedirs(minimize_dir, exist_ok=True)
        path = os.path.join(minimize_dir, f"{seed}.rnn")
        with open(path, "w") as f:
            f.write(f"# seed {seed}: {describe(small_fails)}\n{small}")
        report += f"  minimized: {path}\n{small}"
    return seed, True, report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("start", type=int)
    parser.add_argument("stop", type=int)
    parser.add_argument("--rnnc", default="target/debug/rnnc")
    parser.add_argument("--minimize", metavar="DIR", help="shrink each failing spec into DIR/<seed>.rnn")
    parser.add_argument("--jobs", type=int, default=1, help="models checked in parallel (processes)")
    parser.add_argument("--model-file", action="store_true", help="compile the saved model.keras, not the spec")
    args = parser.parse_args()
    if args.model_file:
        os.environ[MODEL_FILE] = "1"
    rnnc = os.path.abspath(args.rnnc)
    sys.exit(run_and_report(run_seed, range(args.start, args.stop), args.jobs, rnnc, args.minimize))


def run_and_report(run_seed, seeds, jobs, *extra):
    """Runs `run_seed(seed, *extra)` over `seeds` (in `jobs` processes),
    prints each failing or known model's report in seed order, then the
    tally; returns the exit code (1 when a model failed)."""
    if jobs > 1:
        import concurrent.futures
        import multiprocessing
        pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(run_seed, seeds, *[[e] * len(seeds) for e in extra])
    else:
        results = (run_seed(seed, *extra) for seed in seeds)
    checked = bad = known = 0
    for seed, failed, report in results:
        if failed is None:  # left out, or Keras refuses the drawn model
            continue
        checked += 1
        if failed == "known":
            known += 1
            print(report, flush=True)
        elif failed:
            bad += 1
            print(report, flush=True)
    print(f"checked {checked}, bad {bad}, known runtime behaviours {known}")
    return 1 if bad else 0


if __name__ == "__main__":
    main()
