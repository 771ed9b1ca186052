#!/usr/bin/env python3
"""Generate oracle fixtures for Keras 3 *functional* models (and one Sequential
given a list) from real Keras 3.

Run from the repository root:

    KERAS_BACKEND=jax python scripts/make_functional_oracles.py

Each case is a SPEC TEXT: Python source exactly as a Keras user writes it.  The
model is built by exec-ing that text, unchanged, in a fresh namespace and taking
the variable `model` from it, so every fixture spec is real Keras.

For every case this writes fixtures/functional/<case>/ with
  model.rnn               the spec text, byte for byte
  weights.npz             random float32 weights keyed like `lstm/kernel`
                          (Keras 3 weight path without the `*_cell` segment and,
                          for a Sequential model only, without the model name)
  weights_positional.npz  the same arrays as arr_0, arr_1, ... (get_weights order)
  model.weights.h5        model.save_weights(...)
  model.keras             model.save(...)
  weight_paths.txt        Keras' weight paths in model.weights order, path<TAB>shape
  input_0.npy, ...        one per model.inputs entry, in order
  expected.npz            Keras' outputs output_0, ... in model.outputs order
  summary.json            model / inputs / outputs / layers with their graph edges
  keras_summary.txt       what model.summary() prints
plus fixtures/functional/index.json and fixtures/functional/README.md.

Everything except model.keras (whose metadata.json holds the save date) is
byte-for-byte deterministic: each case has its own numpy RNG seeded from a
CRC32 of the case name, and the Keras session is cleared before each case so
auto-generated names (input_layer, lstm_1, ...) do not depend on other cases.
"""

import json
import os
import shutil
import sys
import zlib

os.environ.setdefault("KERAS_BACKEND", "jax")
# model.summary() sizes its table from the terminal width (min(default, cols - 4));
# pin a wide "terminal" so the default widths (88 / 108) are used everywhere.
os.environ["COLUMNS"] = "200"

import numpy as np  # noqa: E402
import keras  # noqa: E402
import rich.text  # noqa: E402
from keras.src.utils import summary_utils  # noqa: E402

if keras.backend.backend() != "jax":
    sys.exit("run with KERAS_BACKEND=jax")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "fixtures", "functional")

DEFAULT_BATCH = 3
DEFAULT_FREE_T = 7
# What scripts/make_keras2_summaries.py ran on (for README.md).
KERAS2_VERSION = "TensorFlow 2.21.0 with tf-keras 2.21.0, TF_USE_LEGACY_KERAS=1"


class Case:
    def __init__(self, name, spec, note=""):
        self.name = name
        self.spec = spec.lstrip("\n")
        assert self.spec.endswith("\n")
        self.note = note


CASES = []


def add(name, spec, note=""):
    assert all(c.name != name for c in CASES), name
    CASES.append(Case(name, spec, note))


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
add("chain", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 5), name="x")
x = layers.LSTM(8, return_sequences=True)(inputs)
outputs = layers.Dense(2)(layers.GRU(4)(x))
model = keras.Model(inputs, outputs)
""")

add("seq2seq_lstm", """
import keras
from keras import layers

encoder_inputs = keras.Input(shape=(None, 5))
encoder_outputs, state_h, state_c = layers.LSTM(6, return_state=True)(encoder_inputs)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, 4))
decoder_outputs, _, _ = layers.LSTM(6, return_sequences=True, return_state=True)(
    decoder_inputs, initial_state=encoder_states
)
decoder_outputs = layers.Dense(4, activation="softmax")(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
""")

add("bidir_states_gru_decoder", """
import keras
from keras import layers

encoder_inputs = keras.Input(shape=(None, 5), name="source")
enc_out, fwd_h, bwd_h = layers.Bidirectional(layers.GRU(4, return_state=True))(encoder_inputs)
state = layers.Concatenate()([fwd_h, bwd_h])

decoder_inputs = keras.Input(shape=(None, 6), name="target")
decoder_seq = layers.GRU(8, return_sequences=True)(decoder_inputs, initial_state=state)
outputs = layers.Dense(5, activation="softmax")(decoder_seq)

model = keras.Model([encoder_inputs, decoder_inputs], outputs)
""")

add("two_inputs_concat", """
import keras
from keras import layers

left = keras.Input(shape=(7, 4), name="left")
right = keras.Input(shape=(None, 6), name="right")
a = layers.LSTM(5)(left)
b = layers.LSTM(3)(right)
merged = layers.concatenate([a, b])
outputs = layers.Dense(2)(merged)
model = keras.Model(inputs=[left, right], outputs=outputs)
""")

add("merges", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 4), name="seq")
a = layers.GRU(4)(inputs)
b = layers.GRU(4)(inputs)

added = layers.Add()([a, b])
diff = layers.subtract([a, b])
prod = layers.Multiply()([a, b])
mean = layers.average([a, b])
high = layers.Maximum()([a, b])
low = layers.minimum([a, b])

merged = layers.Concatenate(axis=-1)([added, diff, prod, mean, high, low])
outputs = layers.Dense(1)(merged)
model = keras.Model(inputs, outputs)
""")

add("multi_output", """
import keras
from keras import layers

inp = keras.Input(shape=(None, 5), name="tokens")
seq, state_h, state_c = layers.LSTM(6, return_sequences=True, return_state=True)(inp)
seq_head = layers.TimeDistributed(layers.Dense(2), name="tags")(seq)
state_head = layers.Dense(1, name="score")(state_h)
model = keras.Model(inputs=inp, outputs=[seq_head, state_head], name="tagger")
""")

add("autoencoder_repeat", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 5))
encoded = layers.LSTM(6)(inputs)
x = layers.RepeatVector(7)(encoded)
x = layers.LSTM(6, return_sequences=True)(x)
decoded = layers.TimeDistributed(layers.Dense(5))(x)
model = keras.Model(inputs, decoded, name="autoencoder")
""")

add("dense_initial_state", """
import keras
from keras import layers

seq = keras.Input(shape=(None, 4), name="seq")
cond = keras.Input(shape=(3,), name="cond")

h0 = layers.Dense(8, activation="tanh")(cond)
gru_out = layers.GRU(8)(seq, initial_state=h0)

lstm_h0 = layers.Dense(5, activation="tanh")(cond)
lstm_c0 = layers.Dense(5)(cond)
lstm_out = layers.LSTM(5)(seq, initial_state=[lstm_h0, lstm_c0])

x = layers.concatenate([gru_out, lstm_out])
outputs = layers.Dense(2)(x)
model = keras.Model([seq, cond], outputs)
""")

add("shared_layer", """
import keras
from keras import layers

a = keras.Input(shape=(7, 4), name="a")
b = keras.Input(shape=(7, 4), name="b")
shared = layers.LSTM(5)
ha = shared(a)
hb = shared(b)
diff = layers.subtract([ha, hb])
outputs = layers.Dense(1, activation="sigmoid")(diff)
model = keras.Model(inputs=[a, b], outputs=outputs)
""")

add("sequential_list", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None, 4)),
    layers.LSTM(5, return_sequences=True),
    layers.Dense(3),
])
""")

add("embedding_bidir", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(50, 8)(inputs)
x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(4))(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
""")

add("simple_rnn_state_tuple", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 5))
whole_seq_output, final_state = layers.SimpleRNN(4, return_sequences=True, return_state=True)(inputs)
gru_output = layers.GRU(4)(whole_seq_output, initial_state=final_state)
model = keras.Model(inputs, [whole_seq_output, final_state, gru_output])
""")

add("bidir_initial_state", """
import keras
from keras import layers

encoder_inputs = keras.Input(shape=(None, 5), name="src")
_, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(4, return_state=True))(encoder_inputs)

decoder_inputs = keras.Input(shape=(None, 4), name="tgt")
x = layers.Bidirectional(layers.LSTM(4))(decoder_inputs, initial_state=[fh, fc, bh, bc])
outputs = layers.Dense(3)(x)
model = keras.Model([encoder_inputs, decoder_inputs], outputs)
""")

add("unnamed_inputs", """
import keras
from keras import layers

x1 = keras.Input(shape=(7, 4))
x2 = keras.Input(shape=(None, 5))
y1 = layers.GRU(3)(x1)
y2 = layers.GRU(3, return_sequences=True)(x2)
model = keras.Model([x1, x2], [y1, y2])
""")


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------
def build_model(spec):
    """Build the model by exec-ing the spec text unchanged."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    ns = {"__name__": "__rnnc_spec__"}
    exec(compile(spec, "<model.rnn>", "exec"), ns)
    model = ns.get("model")
    if not isinstance(model, keras.Model):
        raise ValueError("spec did not bind a keras.Model to `model`")
    if not model.built:
        raise ValueError("model has no input shape (unbuilt)")
    return model


def graph_of(model):
    """The Functional graph that holds the model's nodes (Sequential wraps one)."""
    if isinstance(model, keras.Sequential):
        return model._functional
    return model


def short_key(model, path):
    parts = path.split("/")
    if isinstance(model, keras.Sequential):
        assert parts[0] == model.name, path
        parts = parts[1:]  # Sequential paths start with the model name
    parts = [p for p in parts if not p.endswith("_cell")]
    return "/".join(parts)


def random_weights(model, rng):
    """Same distribution as scripts/make_oracles.py."""
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        leaf = w.path.split("/")[-1]
        if leaf in ("kernel", "recurrent_kernel"):
            fan_in = shape[0]
            a = 0.5 * min(1.0, np.sqrt(8.0 / fan_in))
        elif leaf == "embeddings":
            a = 1.0
        else:  # biases
            a = 0.5
        values.append(rng.uniform(-a, a, size=shape).astype(np.float32))
    model.set_weights(values)
    got = model.get_weights()
    assert len(got) == len(values)
    for g, v in zip(got, values):
        assert np.array_equal(np.asarray(g), v)
    return values


def shape_list(shape):
    return [None if d is None else int(d) for d in shape]


def plain(markup):
    """Strip the rich markup summary_utils adds (colors) to get printed text."""
    return rich.text.Text.from_markup(markup).plain


def relevant_nodes(model):
    nodes = []
    for v in graph_of(model)._nodes_by_depth.values():
        nodes += v
    return nodes


def connected_to(layer, nodes):
    """summary_utils.print_summary's get_connections, without markup."""
    connections = ""
    for node in layer._inbound_nodes:
        if nodes and node not in nodes:
            continue
        for kt in node.input_tensors:
            h = kt._keras_history
            if connections:
                connections += ", "
            connections += f"{h.operation.name}[{h.node_index}][{h.tensor_index}]"
    return connections or "-"


def history(t):
    h = t._keras_history
    return [h.operation.name, int(h.node_index), int(h.tensor_index)]


def embedding_vocab(input_tensor):
    """input_dim of the Embedding(s) an int input feeds."""
    input_layer = input_tensor._keras_history.operation
    vocab = []
    for node in input_layer._outbound_nodes:
        op = node.operation
        if not isinstance(op, keras.layers.Embedding):
            raise ValueError(f"int input feeds {op.name}, not an Embedding")
        vocab.append(op.input_dim)
    if not vocab:
        raise ValueError("int input feeds nothing")
    return min(vocab)


def input_infos(model):
    infos = []
    for t in model.inputs:
        infos.append({
            "name": t._keras_history.operation.name,  # the InputLayer's name
            "tensor_name": t.name,
            "shape": shape_list(t.shape),
            "dtype": str(t.dtype),
        })
    return infos


def summary_of(model):
    nodes = relevant_nodes(model)
    layers = []
    for layer in model.layers:
        own = [n for n in layer._inbound_nodes if n in nodes]
        entry = {
            "name": layer.name,
            "class": layer.__class__.__name__,
            "output_shapes": [shape_list(t.shape) for t in own[0].output_tensors],
            "params": int(layer.count_params()),
            "inbound": [[history(t) for t in n.input_tensors] for n in own],
        }
        if len(own) > 1:
            entry["node_output_shapes"] = [
                [shape_list(t.shape) for t in n.output_tensors] for n in own]
        entry["summary_output_shape"] = plain(summary_utils.format_layer_shape(layer))
        entry["summary_connected_to"] = connected_to(layer, nodes)
        if isinstance(layer, keras.layers.Bidirectional):
            entry["forward_layer"] = layer.forward_layer.name
            entry["backward_layer"] = layer.backward_layer.name
            entry["inner_class"] = layer.forward_layer.__class__.__name__
        if isinstance(layer, keras.layers.TimeDistributed):
            entry["inner_layer"] = layer.layer.name
            entry["inner_class"] = layer.layer.__class__.__name__
        layers.append(entry)
    outputs = []
    for t in model.outputs:
        name, node_index, tensor_index = history(t)
        outputs.append({"layer": name, "node_index": node_index,
                        "tensor_index": tensor_index, "shape": shape_list(t.shape)})
    return {
        "model_name": model.name,
        "model_class": model.__class__.__name__,
        "inputs": input_infos(model),
        "outputs": outputs,
        "layers": layers,
        "total_params": int(model.count_params()),
    }


def keras_summary_text(model):
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    text = "\n".join(lines)
    if not text.endswith("\n"):
        text += "\n"
    return text


def make_inputs(model, rng):
    xs = []
    for t in model.inputs:
        shape = list(t.shape)
        shape[0] = DEFAULT_BATCH if shape[0] is None else shape[0]
        shape = [DEFAULT_FREE_T if d is None else int(d) for d in shape]
        if str(t.dtype).startswith("int"):
            xs.append(rng.integers(0, embedding_vocab(t), size=shape).astype(np.int32))
        else:
            xs.append(rng.standard_normal(size=shape).astype(np.float32))
    return xs


def run(model, xs):
    feed = xs if len(xs) > 1 else xs[0]
    out = model.predict(feed, verbose=0, batch_size=DEFAULT_BATCH)
    out = out if isinstance(out, (list, tuple)) else [out]
    out = [np.asarray(o, dtype=np.float32) for o in out]
    direct = model(feed, training=False)
    direct = direct if isinstance(direct, (list, tuple)) else [direct]
    assert len(direct) == len(out) == len(model.outputs)
    for a, b, t in zip(direct, out, model.outputs):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
        assert list(b.shape[1:]) == [DEFAULT_FREE_T if d is None else d
                                     for d in t.shape[1:]], (b.shape, t.shape)
    return {f"output_{i}": o for i, o in enumerate(out)}


def write_case(case):
    model = build_model(case.spec)
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    weights = random_weights(model, rng)
    paths = [w.path for w in model.weights]
    keys = [short_key(model, p) for p in paths]
    assert len(set(keys)) == len(keys), keys

    d = os.path.join(OUT_DIR, case.name)
    os.makedirs(d)
    with open(os.path.join(d, "model.rnn"), "w", encoding="utf-8", newline="") as f:
        f.write(case.spec)
    np.savez(os.path.join(d, "weights.npz"), **dict(zip(keys, weights)))
    np.savez(os.path.join(d, "weights_positional.npz"),
             *[np.asarray(w, dtype=np.float32) for w in model.get_weights()])
    with open(os.path.join(d, "weight_paths.txt"), "w") as f:
        for p, w in zip(paths, weights):
            f.write(f"{p}\t{','.join(str(s) for s in w.shape)}\n")
    model.save_weights(os.path.join(d, "model.weights.h5"))
    model.save(os.path.join(d, "model.keras"))

    xs = make_inputs(model, rng)
    for i, x in enumerate(xs):
        np.save(os.path.join(d, f"input_{i}.npy"), x)
    outs = run(model, xs)
    np.savez(os.path.join(d, "expected.npz"), **outs)

    summary = summary_of(model)
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    with open(os.path.join(d, "keras_summary.txt"), "w", encoding="utf-8") as f:
        f.write(keras_summary_text(model))

    # Round trip: the saved .keras / .h5 reproduce the outputs.
    reloaded = keras.saving.load_model(os.path.join(d, "model.keras"))
    for a, b in zip(run(reloaded, xs).values(), outs.values()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    inputs = input_infos(model)
    for info, x in zip(inputs, xs):
        info["fixture_shape"] = list(x.shape)
    peak = max(float(np.abs(o).max()) for o in outs.values())
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    return {
        "name": case.name,
        "model_name": model.name,
        "model_class": model.__class__.__name__,
        "note": case.note,
        "inputs": inputs,
        "outputs": [list(o.shape) for o in outs.values()],
        "total_params": summary["total_params"],
    }, peak, size


README = """# Functional-model oracle fixtures (generated by real Keras 3)

Each folder is one Keras model written with the functional API (plus one
`keras.Sequential([...])` given a list), built and run by Keras {keras} (backend
jax {jax}, numpy {numpy}, h5py {h5py}). The model is built by `exec`-ing the text of
`model.rnn` unchanged and taking its variable `model`, so every spec is real Keras.

- `model.rnn` - the spec text, byte for byte (what rnnc compiles).
- `weights.npz` - random float32 weights (same distribution as `fixtures/oracle`),
  keys = Keras 3 `weight.path` with the `*_cell` segment removed (`lstm/kernel`,
  `bidirectional/forward_gru/bias`, `time_distributed/dense/kernel`,
  `embedding/embeddings`). Functional models' paths do not start with the model
  name; a Sequential model's do (`sequential/lstm/lstm_cell/kernel`), and that
  first segment is removed too. A layer shared by two calls has one set of weights.
- `weights_positional.npz` - the same arrays as `arr_0`, `arr_1`, ... in
  `model.get_weights()` order.
- `model.weights.h5` - `model.save_weights(...)`.
- `model.keras` - `model.save(...)` (zip; its `metadata.json` holds the save date,
  so this file is the only one that changes between runs).
- `weight_paths.txt` - Keras' `weight.path` in `model.weights` order, `path<TAB>shape`.
- `input_0.npy`, `input_1.npy`, ... - one per `model.inputs` entry in order: float32
  normal(0, 1), or int32 ids in [0, vocab) for an input that feeds an Embedding;
  batch 3, T = 7 wherever the spec leaves the time axis free.
- `expected.npz` - Keras' outputs `output_0`, `output_1`, ... in `model.outputs` order.
- `summary.json`:
  - `model_name`, `model_class` (`Functional` or `Sequential`), `total_params`;
  - `inputs`: per `model.inputs` entry the InputLayer's `name`, the KerasTensor's
    `tensor_name`, the declared `shape` and `dtype`;
  - `outputs`: per `model.outputs` entry the producing `layer`, its `node_index`
    and `tensor_index` (Keras' `_keras_history`) and `shape`;
  - `layers`: one per `model.layers` entry in that order (a functional model lists
    its InputLayers; a Sequential's `model.layers` does not), with `class`,
    `output_shapes` (the flattened outputs of its first call in the model),
    `params`, `inbound` (for each call of the layer that belongs to the model, the
    `[layer, node_index, tensor_index]` of each input tensor, `initial_state`
    tensors included, in Keras' flattening order; `[[]]` for an InputLayer),
    `node_output_shapes` (only for a layer called more than once), and the two
    strings Keras prints: `summary_output_shape` (Output Shape column) and
    `summary_connected_to` (Connected to column, `-` for none); Bidirectional and
    TimeDistributed also name their inner layers.
- `keras_summary.txt` - what `model.summary()` prints (captured with `print_fn`,
  plain text, no colors), with the terminal width pinned (`COLUMNS=200`) so Keras
  uses its default line lengths: 108 for a graph it draws with a "Connected to"
  column, 88 for a sequential-like one (Sequential, or a functional chain).
- `keras2_summary.txt` (some cases only) - what Keras 2 prints for the same model,
  written by `scripts/make_keras2_summaries.py` (see its docstring) with
  {keras2};
  this script keeps those files when it regenerates a case. Keras 2 uses
  line length 98 with a "Connected to" column and 65 without, whatever the terminal.

`index.json` lists the cases with their input names, declared and fixture shapes
and dtypes, output shapes, and any case Keras refused (`omitted`).

Regenerate (deterministic except `model.keras`) from the repository root:

    pip install -r scripts/requirements-oracles.txt h5py
    KERAS_BACKEND=jax python scripts/make_functional_oracles.py
"""


def main():
    import h5py
    import jax

    os.makedirs(OUT_DIR, exist_ok=True)
    # Remove only what this script generated before (keep keras2_summary.txt).
    keep = {}
    for entry in sorted(os.listdir(OUT_DIR)):
        p = os.path.join(OUT_DIR, entry)
        if os.path.isdir(p) and os.path.exists(os.path.join(p, "model.rnn")):
            k2 = os.path.join(p, "keras2_summary.txt")
            if os.path.exists(k2):
                with open(k2, "rb") as f:
                    keep[entry] = f.read()
            shutil.rmtree(p)

    index = []
    omitted = []
    for case in CASES:
        try:
            info, peak, size = write_case(case)
        except Exception as e:  # noqa: BLE001
            d = os.path.join(OUT_DIR, case.name)
            if os.path.isdir(d):
                shutil.rmtree(d)
            err = f"{type(e).__name__}: {e}"
            omitted.append({"name": case.name, "spec": case.spec, "keras_error": err})
            print(f"OMITTED {case.name}: {err}")
            continue
        index.append(info)
        if case.name in keep:
            with open(os.path.join(OUT_DIR, case.name, "keras2_summary.txt"), "wb") as f:
                f.write(keep[case.name])
        print(f"{case.name}: inputs {[i['fixture_shape'] for i in info['inputs']]} "
              f"outputs {info['outputs']} max|y| {peak:.3f} {size / 1024:.1f} KiB")

    with open(os.path.join(OUT_DIR, "index.json"), "w") as f:
        json.dump({
            "keras_version": keras.__version__,
            "jax_version": jax.__version__,
            "numpy_version": np.__version__,
            "h5py_version": h5py.__version__,
            "cases": index,
            "omitted": omitted,
        }, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write(README.format(keras=keras.__version__, jax=jax.__version__,
                              numpy=np.__version__, h5py=h5py.__version__,
                              keras2=KERAS2_VERSION))
    print(f"{len(index)} cases written to {OUT_DIR}, {len(omitted)} omitted")


if __name__ == "__main__":
    main()
