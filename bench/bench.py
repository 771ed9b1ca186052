#!/usr/bin/env python3
"""rnnc's benchmark suite: one command, ratios measured side by side in one run.

    python3 bench/bench.py            # the full run (minutes), release binary
    python3 bench/bench.py --smoke    # seconds: tiny models, checks the suite still runs (CI)

Sections (each prints a markdown table; `--out FILE` also writes them there):
  init     `rnnc weights` and `rnnc compile` on wide recurrent layers: wall time,
           throughput (MB of weights per second) and peak resident memory
           against the weight bytes; Keras 3's own build of the same model
           (KERAS_BACKEND=jax) in the same run when `keras` imports.
  runtime  rnnc's file (auto lowering) against Keras 3's own export of the same
           model and weights (bench/peer/, made by bench/make_peer_files.py),
           in onnxruntime (one thread) and in tract (`rnnc run --repeat`), at
           batch 1 and 32; and rnnc's reference interpreter against
           onnxruntime on LSTM(256) and GRU(256).
  verify   `rnnc compile --verify` end to end on a 12.8M-parameter model, with
           verify's own time split (source weights, file check, tract, reference).
  masking  padded token ids (in front, as pad_sequences) through
           Embedding(mask_zero=True) models: rnnc's masked file (a Scan) against
           its file for the same model with mask_zero=False (the native op) and
           against Keras 3's own export of the masked model, in onnxruntime (one
           thread) and tract, at batch 1 and 32. Keras (jax) makes the weights
           and the reference outputs every file is checked against (atol 1e-4);
           Keras' export needs a Python with TensorFlow and tf2onnx (--tf-python).

  streaming  the cost of a call: a streaming file (`--streaming`) run one step
           at a time at batch 1 (the latency a live stream sees per step)
           against the whole-sequence file's time per step (one call over T
           steps, divided by T), in onnxruntime (one thread) and tract.

Times are the minimum over --repeat runs. The machine is shared: compare the
ratios of one run, not absolute times across runs.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, spec): wide LSTMs on 300 features, the case issue 8 measured.
INIT_MODELS = [
    ("LSTM(1024)", "LSTM(1024, input_shape=(None, 300))"),
    ("LSTM(2048)", "LSTM(2048, input_shape=(None, 300))"),
    ("LSTM(4096)", "LSTM(4096, input_shape=(None, 300))"),
    ("GRU(2048)", "GRU(2048, input_shape=(None, 300))"),
    ("SimpleRNN(4096)", "SimpleRNN(4096, input_shape=(None, 300))"),
    ("Embedding(100000, 300) + LSTM(512)",
     "Embedding(100000, 300)\nLSTM(512)"),
]
SMOKE_INIT_MODELS = [
    ("LSTM(64)", "LSTM(64, input_shape=(None, 30))"),
    ("GRU(32)", "GRU(32, input_shape=(None, 30))"),
]
# 12.8M parameters: the model issue 8's verify measurement used.
VERIFY_MODEL = ("LSTM(1024) x2 on 300", "LSTM(1024, return_sequences=True, input_shape=(None, 300))\nLSTM(1024)")
SMOKE_VERIFY_MODEL = ("LSTM(32) x2", "LSTM(32, return_sequences=True, input_shape=(None, 8))\nLSTM(32)")


def rnnc_binary(args):
    if args.rnnc:
        return Path(args.rnnc)
    profile = "debug" if args.smoke else "release"
    binary = ROOT / "target" / profile / "rnnc"
    if not binary.exists():
        sys.exit(f"{binary} is missing: run `cargo build{'' if args.smoke else ' --release'}` first")
    return binary


def timed(command, cwd):
    """Wall seconds, peak RSS (bytes) and stdout of one run; the child's own
    peak RSS comes from wait4(2)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([str(c) for c in command], cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{stdout}\n{stderr}")
    return seconds, usage.ru_maxrss * 1024, stdout


def params_of(rnnc, spec, cwd):
    out = subprocess.run([str(rnnc), "summary", str(spec)], cwd=cwd, capture_output=True, text=True)
    match = re.search(r"Total params: ([\d,]+)", out.stdout)
    return int(match.group(1).replace(",", ""))


def keras_build_seconds(spec_text, repeat):
    """Keras 3 (jax) building the same model: layer construction and weight
    initialization, in a fresh process each time; None without keras."""
    layers = [l for l in spec_text.splitlines() if l.strip()]
    program = (
        "import os, time\n"
        "os.environ.setdefault('KERAS_BACKEND', 'jax')\n"
        "import keras\n"
        "from keras.layers import *\n"
        "start = time.perf_counter()\n"
        f"model = keras.Sequential([{', '.join(layers)}])\n"
        "model.build((None, None, 300)) if not model.built else None\n"
        "import numpy as np\n"
        "# jax dispatches asynchronously: the weights exist once read.\n"
        "[np.asarray(w) for w in model.weights]\n"
        "print(time.perf_counter() - start)\n"
    )
    best = None
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                             env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
        if out.returncode != 0:
            return None
        seconds = float(out.stdout.strip().splitlines()[-1])
        best = seconds if best is None else min(best, seconds)
    return best


def init_section(args, rnnc, work):
    models = SMOKE_INIT_MODELS if args.smoke else INIT_MODELS
    have_keras = not args.smoke and subprocess.run(
        [sys.executable, "-c", "import keras"], capture_output=True,
        env={**os.environ, "KERAS_BACKEND": "jax"}).returncode == 0
    rows = []
    for name, spec_text in models:
        spec = work / "model.rnn"
        spec.write_text(spec_text + "\n")
        params = params_of(rnnc, spec, work)
        weight_bytes = params * 4
        runs = {}
        for command, argv in [
            ("weights", ["weights", spec, "-o", work / "w.npz"]),
            ("compile", ["compile", spec, "-o", work / "m.onnx"]),
        ]:
            best = None
            for _ in range(args.repeat):
                seconds, rss, _ = timed([rnnc] + argv, work)
                if best is None or seconds < best[0]:
                    best = (seconds, rss)
            runs[command] = best
        keras = keras_build_seconds(spec_text, args.repeat) if have_keras else None
        w_s, w_rss = runs["weights"]
        c_s, c_rss = runs["compile"]
        rows.append([
            name,
            f"{params / 1e6:.1f}M",
            f"{weight_bytes / 2**20:.0f}",
            f"{w_s:.2f}",
            f"{weight_bytes / 2**20 / w_s:.0f}",
            f"{w_rss / weight_bytes:.2f}",
            f"{c_s:.2f}",
            f"{c_rss / weight_bytes:.2f}",
            "–" if keras is None else f"{keras:.2f}",
            "–" if keras is None else f"{w_s / keras:.2f}",
        ])
    header = ["model", "params", "weights MiB", "`weights` s", "MiB/s", "peak RSS / weights",
              "`compile` s", "peak RSS / weights", "Keras build s", "rnnc / Keras"]
    return table("Initialization and compile", header, rows)


def verify_section(args, rnnc, work):
    """`rnnc verify` on a file made beforehand (the target: at most 2 s
    beyond tract's own time) and `rnnc compile --verify`, each the fastest of
    --repeat runs, with verify's own split of its time."""
    name, spec_text = SMOKE_VERIFY_MODEL if args.smoke else VERIFY_MODEL
    spec = work / "verify.rnn"
    spec.write_text(spec_text + "\n")
    params = params_of(rnnc, spec, work)
    model = work / "v.onnx"
    timed([rnnc, "compile", spec, "-o", model], work)
    commands = [("`verify`", [rnnc, "verify", model]),
                ("`compile --verify`", [rnnc, "compile", spec, "-o", work / "cv.onnx", "--verify"])]
    def as_seconds(text):
        value, unit = text.split()
        return float(value) / (1000 if unit == "ms" else 1)
    rows = []
    for label, command in commands:
        best = None
        for _ in range(args.repeat):
            seconds, rss, stdout = timed(command, work)
            if best is None or seconds < best[0]:
                best = (seconds, rss, stdout)
        seconds, rss, stdout = best
        line = next(l for l in stdout.splitlines() if l.startswith("time: "))
        phases = dict(re.findall(
            r"(source weights|file check|tract load|reference|tract) ([\d.]+ m?s)", line))
        tract = as_seconds(phases["tract load"]) + as_seconds(phases["tract"])
        rows.append([label, name, f"{params / 1e6:.1f}M", f"{seconds:.2f}", phases["source weights"],
                     phases["file check"], phases["tract load"], phases["reference"], phases["tract"],
                     f"{seconds - tract:.2f}"])
    header = ["command", "model", "params", "wall s", "source weights", "file check",
              "tract load", "reference", "tract run", "beyond tract s"]
    return table("verify end to end (tract on a thread of its own)", header, rows)


def ort_session(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ort_min_seconds(sessions, x, reps):
    """Minimum time of one call per session, the sessions interleaved; `x` is
    one input for all, or a list of one per session."""
    import numpy as np
    xs = x if isinstance(x, list) else [x] * len(sessions)
    feeds = [{s.get_inputs()[0].name: x.astype(_ort_dtype(s))} for s, x in zip(sessions, xs)]
    for s, feed in zip(sessions, feeds):
        s.run(None, feed)  # warm-up
    best = [float("inf")] * len(sessions)
    for _ in range(reps):
        for i, (s, feed) in enumerate(zip(sessions, feeds)):
            start = time.perf_counter()
            s.run(None, feed)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def _ort_dtype(session):
    import numpy as np
    kind = session.get_inputs()[0].type
    return {"tensor(float)": np.float32, "tensor(int32)": np.int32,
            "tensor(int64)": np.int64}[kind]


def tract_min_seconds(rnnc, model, x, reps, work):
    """tract's minimum time of one run (`rnnc run --repeat`), or None when
    rnnc cannot run the file."""
    import numpy as np
    path = work / "x.npy"
    np.save(path, x)
    out = subprocess.run([str(rnnc), "run", str(model), "--input", str(path), "--repeat", str(reps)],
                         capture_output=True, text=True, cwd=work)
    if out.returncode != 0:
        return None
    match = re.search(r"time: \d+ runs, min ([\d.]+) ms", out.stdout)
    return float(match.group(1)) / 1e3


RECURRENT_OPS = ("RNN", "GRU", "LSTM")


def bare_op_file(rnnc, spec, weights, work, name):
    """The bare single ONNX operator of a one-layer model: rnnc's native
    lowering with everything around the `RNN`/`GRU`/`LSTM` node taken away —
    a time-major input `X` [T, B, F] straight into the node, its weights as
    initializers, its first used output as the graph's. The floor any converter's
    file can reach with the op. None for models of more than one such node
    or other layers (the stack, the classifier)."""
    import onnx
    from onnx import helper
    layers = [line for line in Path(spec).read_text().splitlines()
              if line.strip() and not line.startswith("Input(")]
    if len(layers) != 1:
        return None
    native = work / f"{name}.native.onnx"
    timed([rnnc, "compile", spec, "--weights", weights, "--lowering", "native", "-o", native], work)
    model = onnx.load(str(native))
    nodes = [n for n in model.graph.node if n.op_type in RECURRENT_OPS]
    if len(nodes) != 1:
        return None
    node = nodes[0]
    initializers = {i.name: i for i in model.graph.initializer}
    # Inputs computed in the graph (zero initial states for a free batch)
    # are optional: left out, they default to zeros.
    inputs = ["X"] + [i if i in initializers else "" for i in node.input[1:]]
    while inputs[-1] == "":
        inputs.pop()
    # Its first used output (Y, or Y_h for a layer returning its last step).
    output = next(o for o in node.output if o)
    outputs = list(node.output[:list(node.output).index(output) + 1])
    bare = helper.make_node(node.op_type, inputs, outputs)
    bare.attribute.extend(node.attribute)
    features = model.graph.input[0].type.tensor_type.shape.dim[-1].dim_value
    x = helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, ["T", "B", features])
    y = helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None)
    used = [initializers[i] for i in inputs[1:] if i]
    graph = helper.make_graph([bare], "bare_op", [x], [y], used)
    path = work / f"{name}.bare.onnx"
    onnx.save(helper.make_model(graph, opset_imports=model.opset_import), str(path))
    return path


def batch_of(x, batch, rng):
    """An input of `batch` rows like the reference input `x` (ids drawn from
    the ids it holds, floats normal)."""
    import numpy as np
    shape = (batch,) + x.shape[1:]
    if x.dtype.kind in "iu":
        return rng.choice(np.unique(x), size=shape).astype(x.dtype)
    return rng.standard_normal(shape).astype(np.float32)


def runtime_section(args, rnnc, work):
    import numpy as np
    rng = np.random.default_rng(0)
    reps = 5 if args.smoke else 50
    peer_dir = ROOT / "bench" / "peer"
    models = sorted(peer_dir.glob("*.rnn"))
    if args.smoke:
        models = models[:1]
    rows = []
    for spec in models:
        name = spec.stem
        peer = peer_dir / f"{name}.keras_export.onnx"
        weights = peer_dir / f"{name}.weights.h5"
        ours = work / f"{name}.onnx"
        timed([rnnc, "compile", spec, "--weights", weights, "-o", ours], work)
        bare = bare_op_file(rnnc, spec, weights, work, name)
        x_ref = np.load(peer_dir / f"{name}.ref.npz")["x"]
        for batch in (1, 32):
            x = batch_of(x_ref, batch, rng)
            sessions = [ort_session(ours), ort_session(peer)]
            feeds = [x, x]
            if bare is not None:
                sessions.append(ort_session(bare))
                feeds.append(np.ascontiguousarray(x.transpose(1, 0, 2)))
            ort_times = ort_min_seconds(sessions, feeds, reps)
            ort_ours, ort_peer = ort_times[:2]
            tract_ours = tract_min_seconds(rnnc, ours, x, reps, work)
            tract_peer = tract_min_seconds(rnnc, peer, x, reps, work)
            tract_bare = None if bare is None else tract_min_seconds(rnnc, bare, feeds[2], reps, work)
            def us(t, missing):
                return missing if t is None else f"{t * 1e6:,.0f}"
            rows.append([
                name, str(batch),
                f"{ort_ours * 1e6:,.0f}", f"{ort_peer * 1e6:,.0f}", f"{ort_ours / ort_peer:.2f}",
                us(ort_times[2] if bare is not None else None, "–"),
                us(tract_ours, "–"), us(tract_peer, "does not load"),
                "–" if bare is None else us(tract_bare, "does not load"),
            ])
    header = ["model", "batch", "ORT rnnc µs", "ORT Keras export µs", "rnnc / Keras",
              "ORT bare op µs", "tract rnnc µs", "tract Keras export µs", "tract bare op µs"]
    text = table("rnnc's files against Keras 3's own export (onnxruntime 1 thread, tract)", header, rows)

    rows = []
    cells = [("LSTM(256)", "LSTM(256, return_sequences=True, input_shape=(None, 64))"),
             ("GRU(256)", "GRU(256, return_sequences=True, input_shape=(None, 64))")]
    for name, spec_text in cells[:1] if args.smoke else cells:
        spec = work / "ref.rnn"
        spec.write_text(spec_text + "\n")
        model = work / "ref.onnx"
        timed([rnnc, "compile", spec, "-o", model], work)
        for batch in (1, 32):
            x = rng.standard_normal((batch, 50, 64)).astype(np.float32)
            (ort_s,) = ort_min_seconds([ort_session(model)], x, reps)
            path = work / "x.npy"
            np.save(path, x)
            out = subprocess.run([str(rnnc), "run", str(model), "--input", str(path), "--reference",
                                  "--repeat", str(reps)], capture_output=True, text=True, cwd=work)
            ref_s = float(re.search(r"min ([\d.]+) ms", out.stdout).group(1)) / 1e3
            rows.append([name, str(batch), f"{ref_s * 1e6:,.0f}", f"{ort_s * 1e6:,.0f}",
                         f"{ref_s / ort_s:.2f}"])
    header = ["model (T=50, F=64)", "batch", "reference µs", "ORT µs", "reference / ORT"]
    text += "\n" + table("The reference interpreter against onnxruntime", header, rows)
    return text


# (name, masked spec): Embedding(mask_zero=True) classifiers on token ids; the
# unmasked baseline is the same spec with mask_zero=False, the same weights.
MASKING_MODELS = [
    ("lstm", """\
Input(shape=(None,), dtype='int32')
Embedding(10000, 64, mask_zero=True)
LSTM(128)
Dense(1, activation='sigmoid')
"""),
    ("bigru_avg", """\
Input(shape=(None,), dtype='int32')
Embedding(10000, 64, mask_zero=True)
Bidirectional(GRU(64, return_sequences=True))
GlobalAveragePooling1D()
Dense(1, activation='sigmoid')
"""),
]
SMOKE_MASKING_MODELS = [
    ("lstm", """\
Input(shape=(None,), dtype='int32')
Embedding(100, 8, mask_zero=True)
LSTM(8)
Dense(1, activation='sigmoid')
"""),
]
MASKING_T = 50            # time steps of the padded inputs
MASKING_LENGTHS = (10, 50)  # real tokens per row, drawn uniformly in this range
MASKING_ATOL = 1e-4       # every timed file against Keras' output


def padded_ids(batch, vocab, rng):
    """Token ids [batch, T] padded in front (Keras' pad_sequences default): each
    row has MASKING_LENGTHS[0]..[1] real ids in 1..vocab-1 at its end, zeros before."""
    import numpy as np
    x = np.zeros((batch, MASKING_T), np.int32)
    for row in x:
        length = int(rng.integers(MASKING_LENGTHS[0], MASKING_LENGTHS[1] + 1))
        row[MASKING_T - length:] = rng.integers(1, vocab, size=length)
    return x


def recurrent_forms(path):
    """How a file computes its recurrences: its Scan / LSTM / GRU / RNN / Loop
    nodes by type, e.g. "2 Scan"."""
    import onnx
    from collections import Counter
    counts = Counter(n.op_type for n in onnx.load(str(path)).graph.node
                     if n.op_type in RECURRENT_OPS + ("Scan", "Loop"))
    return ", ".join(f"{c} {op}" for op, c in sorted(counts.items())) or "none"


def max_abs_diff(session, x, y):
    import numpy as np
    out = session.run(None, {session.get_inputs()[0].name: x.astype(_ort_dtype(session))})[0]
    return float(np.max(np.abs(out.astype(np.float64).reshape(y.shape) - y)))


def tract_error(rnnc, model, work):
    """The first line of `rnnc run`'s error on a file tract cannot run."""
    out = subprocess.run([str(rnnc), "-q", "run", str(model), "--input", str(work / "x.npy")],
                         capture_output=True, text=True, cwd=work)
    lines = (out.stderr or out.stdout).strip().splitlines() or [f"exit {out.returncode}"]
    return re.sub(r"^error: tract could not load `[^`]*`: ", "", lines[0]).replace("|", "/")[:300].rstrip(".")


def masking_section(args, rnnc, work):
    """rnnc's masked file against its unmasked file (the native op: what the
    mask costs) and against Keras 3's own export of the masked model."""
    import numpy as np
    rng = np.random.default_rng(0)
    reps = 5 if args.smoke else 50
    models = SMOKE_MASKING_MODELS if args.smoke else MASKING_MODELS
    ids = [name for name, _ in models]
    for name, spec_text in models:
        vocab = int(re.search(r"Embedding\((\d+)", spec_text).group(1))
        (work / f"{name}.rnn").write_text(spec_text)
        (work / f"{name}.unmasked.rnn").write_text(spec_text.replace("mask_zero=True", "mask_zero=False"))
        np.savez(work / f"{name}.inputs.npz", **{f"b{b}": padded_ids(b, vocab, rng) for b in (1, 32)})
    # Keras (jax): the weights every file is made from, and the reference outputs.
    helper = [str(ROOT / "bench" / "keras_masked.py"), str(work)] + ids
    out = subprocess.run([sys.executable] + helper, capture_output=True, text=True,
                         env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
    if out.returncode != 0:
        sys.exit(f"the masking section needs keras with jax in {sys.executable}:\n{out.stderr}")
    # Keras' own ONNX export of the masked models (TensorFlow backend, tf2onnx).
    if args.tf_python:
        out = subprocess.run([args.tf_python] + helper + ["--export"], capture_output=True, text=True,
                             env={**os.environ, "KERAS_BACKEND": "tensorflow"})
        export_failure = None if out.returncode == 0 else \
            f"`{args.tf_python}` failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}"
    else:
        export_failure = "not made: no Python with TensorFlow and tf2onnx given (--tf-python)"
    rows, notes = [], []
    for name, spec_text in models:
        weights = work / f"{name}.weights.h5"
        masked, unmasked = work / f"{name}.masked.onnx", work / f"{name}.unmasked.onnx"
        timed([rnnc, "compile", work / f"{name}.rnn", "--weights", weights, "-o", masked], work)
        timed([rnnc, "compile", work / f"{name}.unmasked.rnn", "--weights", weights, "-o", unmasked], work)
        peer, peer_failure = work / f"{name}.keras_export.onnx", export_failure
        if peer_failure is None and (work / f"{name}.keras_export.error").exists():
            peer_failure = "failed: " + (work / f"{name}.keras_export.error").read_text()
        peer_session = None
        if peer_failure is None:
            try:
                peer_session = ort_session(peer)
            except Exception as e:  # noqa: BLE001 - reported in the notes
                peer_failure = f"onnxruntime cannot load it: {' '.join(str(e).split())[:300]}"
        forms = [f"rnnc masked {recurrent_forms(masked)}", f"rnnc unmasked {recurrent_forms(unmasked)}"]
        if peer_session is not None:
            forms.append(f"Keras export {recurrent_forms(peer)}")
        notes.append(f"- `{name}`: " + "; ".join(forms) + "."
                     + ("" if peer_failure is None else f" Keras export {peer_failure}."))
        inputs, keras_y = np.load(work / f"{name}.inputs.npz"), np.load(work / f"{name}.keras.npz")
        for batch in (1, 32):
            x = inputs[f"b{batch}"]
            sessions = [ort_session(masked), ort_session(unmasked)]
            # Correct files only: each against Keras on this very input.
            checks = [("rnnc masked", sessions[0], keras_y[f"masked_b{batch}"]),
                      ("rnnc unmasked", sessions[1], keras_y[f"unmasked_b{batch}"])]
            if peer_session is not None:
                sessions.append(peer_session)
                checks.append(("Keras export", peer_session, keras_y[f"masked_b{batch}"]))
            worst = []
            for label, session, y in checks:
                d = max_abs_diff(session, x, y)
                assert d <= MASKING_ATOL, f"{name} batch {batch}: {label} is {d:.1e} from Keras' output"
                worst.append(f"{label} {d:.0e}")
            notes[-1] += f" Batch {batch}, max |Δ| against Keras: " + ", ".join(worst) + "."
            ort_times = ort_min_seconds(sessions, x, reps)
            ort_masked, ort_unmasked = ort_times[:2]
            ort_peer = ort_times[2] if peer_session is not None else None
            tract_masked = tract_min_seconds(rnnc, masked, x, reps, work)
            tract_unmasked = tract_min_seconds(rnnc, unmasked, x, reps, work)
            tract_peer = tract_min_seconds(rnnc, peer, x, reps, work) if peer_session is not None else None
            if peer_session is not None and tract_peer is None and batch == 1:
                notes[-1] += f" tract refuses the Keras export: {tract_error(rnnc, peer, work)}."
            def us(t, missing):
                return missing if t is None else f"{t * 1e6:,.0f}"
            def ratio(a, b):
                return "–" if a is None or b is None else f"{a / b:.2f}"
            rows.append([
                name, str(batch),
                us(ort_masked, "–"), us(ort_unmasked, "–"), ratio(ort_masked, ort_unmasked),
                us(ort_peer, "not made"),
                ratio(ort_masked, ort_peer),
                us(tract_masked, "does not load"), us(tract_unmasked, "does not load"),
                ratio(tract_masked, tract_unmasked),
                "–" if peer_session is None else us(tract_peer, "does not load"),
            ])
    header = ["model", "batch", "ORT rnnc masked µs", "ORT rnnc unmasked µs", "masked / unmasked",
              "ORT Keras export µs", "rnnc masked / Keras", "tract rnnc masked µs",
              "tract rnnc unmasked µs", "tract masked / unmasked", "tract Keras export µs"]
    text = table(f"Masked models: padded token ids, T={MASKING_T} (onnxruntime 1 thread, tract)",
                 header, rows)
    return text + "\n" + "\n".join(notes) + "\n"


# (name, spec): Sequential specs, compiled whole and with --streaming.
STREAMING_MODELS = [
    ("LSTM(128) + Dense", "LSTM(128, return_sequences=True, input_shape=(None, 40))\nDense(10)"),
    ("GRU(256) x2", "GRU(256, return_sequences=True, input_shape=(None, 40))\nGRU(256)"),
    ("SimpleRNN(64)", "SimpleRNN(64, input_shape=(None, 40))"),
]
SMOKE_STREAMING_MODELS = [("GRU(16)", "GRU(16, input_shape=(None, 4))")]
STREAMING_T = 100         # steps of the whole-sequence call


def ort_stream_step_seconds(session, x, reps):
    """onnxruntime's minimum time of one call of a streaming file on one step
    `x` [1, 1, F], its states fed (zeros)."""
    import numpy as np
    feeds = {}
    for i in session.get_inputs():
        shape = [1 if not isinstance(d, int) else d for d in i.shape]
        feeds[i.name] = x if i.name == session.get_inputs()[0].name else np.zeros(shape, np.float32)
    session.run(None, feeds)
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        session.run(None, feeds)
        best = min(best, time.perf_counter() - start)
    return best


def streaming_section(args, rnnc, work):
    """Per-step latency of a streaming file at chunk length 1, batch 1,
    against the whole-sequence file's time per step."""
    import numpy as np
    rng = np.random.default_rng(0)
    reps = 5 if args.smoke else 200
    t = 10 if args.smoke else STREAMING_T
    rows = []
    for name, spec_text in SMOKE_STREAMING_MODELS if args.smoke else STREAMING_MODELS:
        spec = work / "streaming.rnn"
        spec.write_text(spec_text + "\n")
        whole, streaming = work / "whole.onnx", work / "streaming.onnx"
        timed([rnnc, "compile", spec, "-o", whole, "--seed", "1"], work)
        timed([rnnc, "compile", spec, "-o", streaming, "--seed", "1", "--streaming"], work)
        features = int(re.search(r"input_shape=\(None, (\d+)\)", spec_text).group(1))
        x = rng.normal(size=(1, t, features)).astype(np.float32)
        step = x[:, :1]
        ort_whole = ort_min_seconds([ort_session(whole)], x, reps)[0]
        ort_step = ort_stream_step_seconds(ort_session(streaming), step, reps)
        tract_whole = tract_min_seconds(rnnc, whole, x, reps, work)
        tract_step = tract_min_seconds(rnnc, streaming, step, reps, work)
        def us(v):
            return "–" if v is None else f"{v * 1e6:,.1f}"
        def ratio(a, b):
            return "–" if a is None or b is None else f"{a / b:.1f}"
        rows.append([name, us(ort_whole / t), us(ort_step), ratio(ort_step, ort_whole / t),
                     us(None if tract_whole is None else tract_whole / t), us(tract_step),
                     ratio(tract_step, None if tract_whole is None else tract_whole / t)])
    header = ["model", "ORT whole, per step µs", "ORT streaming, 1-step call µs", "call / step",
              "tract whole, per step µs", "tract streaming, 1-step call µs", "call / step"]
    return table(f"Streaming: one step per call at batch 1 against one call over T={t} steps "
                 "(onnxruntime 1 thread, tract)", header, rows)


def table(title, header, rows):
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny models, seconds (CI)")
    parser.add_argument("--rnnc", help="the rnnc binary (default: target/release/rnnc)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement (min taken)")
    parser.add_argument("--only", choices=["init", "verify", "runtime", "masking", "streaming"],
                        action="append")
    parser.add_argument("--tf-python", help="masking: a Python with TensorFlow and tf2onnx, which "
                        "makes Keras' own ONNX export of the masked models (none: that column is left out)")
    parser.add_argument("--out", help="also write the tables to this markdown file")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.smoke else 3
    rnnc = rnnc_binary(args)
    sections = args.only or ["init", "verify", "runtime", "masking", "streaming"]
    header = (f"rnnc benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
              f"{os.cpu_count()} cores, {platform.python_version()}, "
              f"binary {rnnc.relative_to(ROOT) if rnnc.is_relative_to(ROOT) else rnnc}\n")
    out = [header]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for section in sections:
            run = {"init": init_section, "verify": verify_section, "runtime": runtime_section,
                   "masking": masking_section, "streaming": streaming_section}
            text = run[section](args, rnnc, work)
            print(text, flush=True)
            out.append(text)
    if args.out:
        Path(args.out).write_text("\n".join(out))


if __name__ == "__main__":
    main()
