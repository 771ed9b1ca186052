#!/usr/bin/env python3
"""Generate oracle fixtures for rnnc from real Keras 3.

Run from the repository root:

    KERAS_BACKEND=jax python scripts/make_oracles.py

For every case below this writes fixtures/oracle/<case>/ with
  model.rnn         the spec text (what rnnc compiles)
  weights.npz       random float32 weights keyed like `lstm/kernel`
                    (Keras 3 weight path without the model name and `*_cell`)
  weight_paths.txt  Keras' full weight paths in model.weights order + shapes
  input.npy         a fixed random input (int32 token ids for Embedding models)
  expected.npz      Keras' outputs, keys output_0, output_1, ...
  summary.json      model name, layer names/classes/output shapes/params
and, for models with a free time axis (T=None), input_long.npy (T=13) and
expected_long.npz.  The case tutorial_simple_rnn additionally gets
weights_positional.npz (np.savez(f, *model.get_weights())) and
weights_fullpath.npz (keys = full Keras paths).

The model is built by executing the spec text itself (or, where the spec uses
Keras 2 syntax that Keras 3 rejects, an explicit Keras 3 equivalent spec), one
statement at a time: a statement that evaluates to a layer or to an `Input(...)`
tensor is added to an implicit Sequential model; everything else (imports,
`model = Sequential()`, `model.add(...)`, `hidden_units = 8`) is run as is.

Everything is deterministic: each case has its own numpy RNG seeded from a CRC32
of the case name, so adding a case does not change the others.
"""

import ast
import json
import os
import shutil
import sys
import zlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import keras  # noqa: E402

if keras.backend.backend() != "jax":
    sys.exit("run with KERAS_BACKEND=jax")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "fixtures", "oracle")

DEFAULT_BATCH = 3
DEFAULT_FREE_T = 7
LONG_T = 13


class Case:
    def __init__(self, name, spec, keras3_spec=None, input_scale=1.0, note=""):
        self.name = name
        self.spec = spec.strip("\n") + "\n"
        self.keras3_spec = (keras3_spec.strip("\n") + "\n") if keras3_spec else None
        self.input_scale = input_scale
        self.note = note


def bare(*lines):
    return "\n".join(lines) + "\n"


CASES = []


def add(name, spec, **kw):
    assert all(c.name != name for c in CASES), name
    CASES.append(Case(name, spec, **kw))


# ---------------------------------------------------------------------------
# Tutorial models (keras_rnn_tutorial.txt), exact layer lines, hidden_units = 8
# ---------------------------------------------------------------------------
add("tutorial_simple_rnn", """
from keras.models import Sequential
from keras.layers import SimpleRNN

# batch_size를 정의하지 않았을 때
model = Sequential()
model.add(SimpleRNN(3, input_shape=(2,10)))
# model.add(SimpleRNN(3, input_length=2, input_dim=10)) <-위와 같은 뜻
""")

add("tutorial_batch_input", """
from keras.models import Sequential
from keras.layers import SimpleRNN

# batch_size를 정의하지 않았을 때
model = Sequential()
model.add(SimpleRNN(3, batch_input_shape=(8,2,10)))
# model.add(SimpleRNN(3, input_length=2, input_dim=10)) <-위와 같은 뜻
""", keras3_spec="""
model = Sequential()
model.add(Input(batch_shape=(8, 2, 10)))
model.add(SimpleRNN(3))
""", note="batch_input_shape is Keras 2 only; built from Input(batch_shape=(8, 2, 10))")

add("tutorial_return_sequences", """
from keras.models import Sequential
from keras.layers import SimpleRNN

model = Sequential()
model.add(SimpleRNN(3, batch_input_shape=(8,2,10), return_sequences=True))
""", keras3_spec="""
model = Sequential()
model.add(Input(batch_shape=(8, 2, 10)))
model.add(SimpleRNN(3, return_sequences=True))
""", note="batch_input_shape is Keras 2 only; built from Input(batch_shape=(8, 2, 10))")

add("tutorial_deep_rnn", """
from keras.models import Sequential
from keras.layers import SimpleRNN

hidden_units = 8

model = Sequential()
# 첫 번째 은닉층은 다음 은닉층이 존재함으로 return_sequences = True로 하여 모든 시점에 대해서 은닉 상태 값을 다음 은닉층으로 보내줌
model.add(SimpleRNN(hidden_units, input_length=10, input_dim=5, return_sequences=True))
model.add(SimpleRNN(hidden_units, return_sequences=True))
""", keras3_spec="""
hidden_units = 8
model = Sequential()
model.add(SimpleRNN(hidden_units, input_shape=(10, 5), return_sequences=True))
model.add(SimpleRNN(hidden_units, return_sequences=True))
""", note="input_length/input_dim are Keras 2 only; built with input_shape=(10, 5)")

add("tutorial_bidirectional", """
from keras.models import Sequential
from keras.layers import SimpleRNN
from keras.layers import Bidirectional

hidden_units = 8
timesteps = 10
input_dim = 5

# 간단한 양방향 RNN
model = Sequential()
model.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True), input_shape=(timesteps,input_dim)))
""")

add("tutorial_deep_bidirectional", """
from keras.models import Sequential
from keras.layers import SimpleRNN
from keras.layers import Bidirectional

hidden_units = 8
timesteps = 10
input_dim = 5

# Deep Bidirectional RNN
model = Sequential()
model.add(Bidirectional(SimpleRNN(hidden_units,return_sequences=True), input_shape=(timesteps, input_dim)))
model.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True)))
model.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True)))
model.add(Bidirectional(SimpleRNN(hidden_units, return_sequences=True)))
""")

add("tutorial_input_layer", bare(
    "# Keras 3 style: an explicit Input with a fixed batch",
    "Input(shape=(10, 5), batch_size=4)",
    "SimpleRNN(8)",
))

# ---------------------------------------------------------------------------
# SimpleRNN options (features 4, T 6, units 5)
# ---------------------------------------------------------------------------
for act in ["relu", "linear", "sigmoid", "elu", "selu", "softsign", "softplus",
            "gelu", "hard_sigmoid"]:
    add(f"simple_rnn_activation_{act}", bare(
        "Input(shape=(6, 4))",
        f"SimpleRNN(5, activation='{act}'"
        + (", return_sequences=True)" if act == "hard_sigmoid" else ")"),
    ), input_scale=4.0 if act == "hard_sigmoid" else 1.0)
add("simple_rnn_activation_none", bare(
    "Input(shape=(6, 4))",
    "SimpleRNN(5, activation=None, return_sequences=True)",
))
add("simple_rnn_no_bias", """
model = Sequential()
model.add(SimpleRNN(5, use_bias=False, input_shape=(6, 4)))
""")
add("simple_rnn_go_backwards", bare(
    "Input(shape=(6, 4))",
    "SimpleRNN(5, go_backwards=True)",
))
add("simple_rnn_go_backwards_seq", bare(
    "Input(shape=(6, 4))",
    "SimpleRNN(5, go_backwards=True, return_sequences=True)",
))
add("simple_rnn_return_state", bare(
    "Input(shape=(6, 4))",
    "SimpleRNN(5, return_state=True)",
))
add("simple_rnn_return_state_seq", bare(
    "Input(shape=(6, 4))",
    "SimpleRNN(5, return_sequences=True, return_state=True)",
))
add("simple_rnn_time_none", bare(
    "Input(shape=(None, 4))",
    "SimpleRNN(5, return_sequences=True)",
))
add("simple_rnn_time_none_last", """
import keras
from keras import layers
model = keras.Sequential()
model.add(keras.Input(shape=(None, 4)))
model.add(layers.SimpleRNN(5))
""")

# ---------------------------------------------------------------------------
# LSTM options (features 3, T 5, units 6)
# ---------------------------------------------------------------------------
add("lstm_default", bare(
    "Input(shape=(5, 3))",
    "LSTM(6)",
))
add("lstm_return_sequences", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, return_sequences=True)",
))
add("lstm_return_state", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, return_state=True)",
))
add("lstm_return_state_seq", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, return_sequences=True, return_state=True)",
))
add("lstm_go_backwards", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, go_backwards=True)",
))
add("lstm_go_backwards_seq", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, go_backwards=True, return_sequences=True)",
))
add("lstm_no_bias", """
model = Sequential()
model.add(LSTM(6, use_bias=False, input_shape=(5, 3)))
""")
add("lstm_no_unit_forget_bias", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, unit_forget_bias=False)",
))
add("lstm_activation_relu", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, activation='relu', return_sequences=True)",
))
add("lstm_recurrent_hard_sigmoid", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, recurrent_activation='hard_sigmoid', return_sequences=True)",
), input_scale=2.0)
add("lstm_softsign_sigmoid", bare(
    "Input(shape=(5, 3))",
    "LSTM(6, activation='softsign', recurrent_activation='sigmoid')",
))
add("lstm_time_none", bare(
    "Input(shape=(None, 3))",
    "LSTM(6, return_sequences=True)",
))

# ---------------------------------------------------------------------------
# GRU options (features 5, T 6, units 4)
# ---------------------------------------------------------------------------
add("gru_default", bare(
    "Input(shape=(6, 5))",
    "GRU(4)",
))
add("gru_reset_before", bare(
    "Input(shape=(6, 5))",
    "GRU(4, reset_after=False)",
))
add("gru_reset_before_seq", bare(
    "Input(shape=(6, 5))",
    "GRU(4, reset_after=False, return_sequences=True)",
))
add("gru_return_sequences", bare(
    "Input(shape=(6, 5))",
    "GRU(4, return_sequences=True)",
))
add("gru_return_state", bare(
    "Input(shape=(6, 5))",
    "GRU(4, return_state=True)",
))
add("gru_return_state_seq", bare(
    "Input(shape=(6, 5))",
    "GRU(4, return_sequences=True, return_state=True)",
))
add("gru_go_backwards", bare(
    "Input(shape=(6, 5))",
    "GRU(4, go_backwards=True)",
))
add("gru_go_backwards_seq", bare(
    "Input(shape=(6, 5))",
    "GRU(4, go_backwards=True, return_sequences=True)",
))
add("gru_no_bias", bare(
    "Input(shape=(6, 5))",
    "GRU(4, use_bias=False)",
))
add("gru_no_bias_reset_before", bare(
    "Input(shape=(6, 5))",
    "GRU(4, use_bias=False, reset_after=False)",
))
add("gru_activation_relu", bare(
    "Input(shape=(6, 5))",
    "GRU(4, activation='relu', return_sequences=True)",
))
add("gru_recurrent_hard_sigmoid", bare(
    "Input(shape=(6, 5))",
    "GRU(4, recurrent_activation='hard_sigmoid', return_sequences=True)",
), input_scale=2.0)
add("gru_time_none", bare(
    "Input(shape=(None, 5))",
    "GRU(4, return_sequences=True)",
))
add("gru_reset_before_time_none", bare(
    "Input(shape=(None, 5))",
    "GRU(4, reset_after=False)",
))

# ---------------------------------------------------------------------------
# Bidirectional (features 4, T 5, units 3)
# ---------------------------------------------------------------------------
for cls in ["SimpleRNN", "LSTM", "GRU"]:
    snake = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[cls]
    for mode in ["concat", "sum", "mul", "ave", None]:
        for seq in [False, True]:
            inner = f"{cls}(3, return_sequences=True)" if seq else f"{cls}(3)"
            mode_s = "None" if mode is None else f"'{mode}'"
            name = f"bidir_{snake}_merge_{'none' if mode is None else mode}" + ("_seq" if seq else "")
            add(name, bare(
                "Input(shape=(5, 4))",
                f"Bidirectional({inner}, merge_mode={mode_s})",
            ))
add("bidir_simple_rnn_default_merge", bare(
    "Input(shape=(5, 4))",
    "layers.Bidirectional(layers.SimpleRNN(3))",
))
add("bidir_lstm_return_state", bare(
    "Input(shape=(5, 4))",
    "Bidirectional(LSTM(3, return_state=True))",
))
add("bidir_lstm_return_state_seq", bare(
    "Input(shape=(5, 4))",
    "Bidirectional(LSTM(3, return_sequences=True, return_state=True), merge_mode='sum')",
))
add("bidir_gru_return_state", bare(
    "Input(shape=(5, 4))",
    "Bidirectional(GRU(3, return_state=True))",
))
add("bidir_gru_return_state_seq", bare(
    "Input(shape=(5, 4))",
    "Bidirectional(GRU(3, return_sequences=True, return_state=True), merge_mode='ave')",
))
add("bidir_simple_rnn_return_state", bare(
    "Input(shape=(5, 4))",
    "Bidirectional(SimpleRNN(3, return_state=True))",
))
add("bidir_gru_reset_before_seq", bare(
    "Input(shape=(5, 4))",
    "Bidirectional(GRU(3, reset_after=False, return_sequences=True))",
))
add("bidir_lstm_stacked_time_none", bare(
    "Input(shape=(None, 4))",
    "Bidirectional(LSTM(3, return_sequences=True))",
    "Bidirectional(LSTM(3, return_sequences=True))",
))
add("bidir_simple_rnn_time_none_last", bare(
    "Input(shape=(None, 4))",
    "Bidirectional(SimpleRNN(3))",
))

# ---------------------------------------------------------------------------
# Dense / TimeDistributed / Dropout / Activation
# ---------------------------------------------------------------------------
for act in ["softmax", "sigmoid", "relu", "linear", "tanh"]:
    add(f"rnn_dense_{act}", bare(
        "Input(shape=(5, 4))",
        "SimpleRNN(6)",
        f"Dense(3, activation='{act}')",
    ))
add("rnn_dense_default_activation", bare(
    "Input(shape=(5, 4))",
    "GRU(6)",
    "Dense(2)",
))
add("lstm_seq_dense_3d", bare(
    "Input(shape=(5, 4))",
    "LSTM(6, return_sequences=True)",
    "Dense(3, activation='tanh')",
))
add("rnn_time_distributed_softmax", bare(
    "Input(shape=(5, 4))",
    "SimpleRNN(6, return_sequences=True)",
    "TimeDistributed(Dense(5, activation='softmax'))",
))
add("lstm_dropout_dense", """
model = Sequential()
model.add(LSTM(6, return_sequences=True, input_shape=(5, 4)))
model.add(Dropout(0.2))
model.add(LSTM(4))
model.add(Dropout(0.2))
model.add(Dense(1, activation='sigmoid'))
""")
add("gru_activation_layer", bare(
    "Input(shape=(5, 4))",
    "GRU(6)",
    "Activation('relu')",
    "Dense(3)",
    "Activation('softmax')",
))

# ---------------------------------------------------------------------------
# Embedding
# ---------------------------------------------------------------------------
add("embedding_lstm_dense", bare(
    "Input(shape=(6,), dtype='int32')",
    "Embedding(50, 8)",
    "LSTM(5)",
    "Dense(1, activation='sigmoid')",
))
add("embedding_input_length_lstm_dense", """
model = Sequential()
model.add(Embedding(50, 8, input_length=6))
model.add(LSTM(5))
model.add(Dense(1, activation='sigmoid'))
""", keras3_spec="""
model = Sequential()
model.add(Input(shape=(6,), dtype='int32'))
model.add(Embedding(50, 8))
model.add(LSTM(5))
model.add(Dense(1, activation='sigmoid'))
""", note="Keras 3 ignores Embedding(input_length=...) (model stays unbuilt); built from Input(shape=(6,), dtype='int32')")
add("embedding_gru_time_none", bare(
    "Input(shape=(None,), dtype='int32')",
    "Embedding(30, 6)",
    "GRU(4, return_sequences=True)",
))

# ---------------------------------------------------------------------------
# Combinations
# ---------------------------------------------------------------------------
add("stacked_lstm_gru_simple_rnn", """
model = Sequential(name='stacked')
model.add(LSTM(8, return_sequences=True, input_shape=(6, 4)))
model.add(GRU(6, return_sequences=True))
model.add(SimpleRNN(5))
model.add(Dense(2, activation='softmax'))
""")
add("text_classifier_bidir_lstm", """
import keras
from keras import layers
vocab_size = 40
embed_dim = 8
model = keras.Sequential(name="text_classifier")
model.add(keras.Input(shape=(7,), dtype="int32"))
model.add(layers.Embedding(vocab_size, embed_dim))
model.add(layers.Bidirectional(layers.LSTM(6)))
model.add(layers.Dense(1, activation="sigmoid"))
""")
add("tagger_lstm_time_distributed", bare(
    "Input(shape=(6, 5))",
    "keras.layers.LSTM(8, return_sequences=True)",
    "keras.layers.TimeDistributed(keras.layers.Dense(5, activation='softmax'))",
))
add("encoder_bidir_gru_stacked_time_none", bare(
    "Input(shape=(None, 4))",
    "Bidirectional(GRU(5, return_sequences=True))",
    "Bidirectional(GRU(5, return_sequences=True), merge_mode='sum')",
    "Bidirectional(GRU(4))",
))
add("lstm_fixed_batch", """
model = Sequential()
model.add(LSTM(6, batch_input_shape=(4, 5, 3)))
model.add(Dense(2))
""", keras3_spec="""
model = Sequential()
model.add(Input(batch_shape=(4, 5, 3)))
model.add(LSTM(6))
model.add(Dense(2))
""", note="batch_input_shape is Keras 2 only; built from Input(batch_shape=(4, 5, 3))")


# Documented but not generated: Keras 3 refuses these.
OMITTED = {
    "bidir_lstm_go_backwards_seq": (
        "Bidirectional(LSTM(3, go_backwards=True, return_sequences=True))",
        None,  # filled in at run time with Keras' error message
    ),
}


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------
def base_namespace():
    ns = {}
    exec(
        "import keras\n"
        "from keras import layers\n"
        "from keras.layers import *\n"
        "from keras.models import Sequential\n"
        "from keras import Input\n",
        ns,
    )
    return ns


def build_model(spec):
    """Build a Keras model by running the spec one statement at a time."""
    keras.utils.clear_session()
    ns = base_namespace()
    implicit = None
    tree = ast.parse(spec)
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            value = eval(compile(ast.Expression(stmt.value), "<spec>", "eval"), ns)
            if isinstance(value, (keras.layers.Layer, keras.KerasTensor)):
                if implicit is None:
                    implicit = keras.Sequential()
                implicit.add(value)
            continue
        exec(compile(ast.Module([stmt], type_ignores=[]), "<spec>", "exec"), ns)
    explicit = ns.get("model")
    if implicit is not None and explicit is not None:
        raise ValueError("spec mixes bare layer lines and model = Sequential()")
    model = implicit if implicit is not None else explicit
    if not isinstance(model, keras.Sequential):
        raise ValueError("spec did not produce a Sequential model")
    if not model.built:
        raise ValueError("model has no input shape (unbuilt)")
    return model


def short_key(path):
    parts = path.split("/")[1:]  # drop the model name
    parts = [p for p in parts if not p.endswith("_cell")]
    return "/".join(parts)


def random_weights(model, rng):
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


def summary_of(model):
    layers = []
    for layer in model.layers:
        out = layer.output
        entry = {
            "name": layer.name,
            "class": layer.__class__.__name__,
        }
        if isinstance(out, (list, tuple)):
            entry["output_shape"] = [shape_list(o.shape) for o in out]
            entry["num_outputs"] = len(out)
        else:
            entry["output_shape"] = shape_list(out.shape)
            entry["num_outputs"] = 1
        entry["params"] = int(layer.count_params())
        if isinstance(layer, keras.layers.Bidirectional):
            entry["forward_layer"] = layer.forward_layer.name
            entry["backward_layer"] = layer.backward_layer.name
            entry["inner_class"] = layer.forward_layer.__class__.__name__
        if isinstance(layer, keras.layers.TimeDistributed):
            entry["inner_layer"] = layer.layer.name
            entry["inner_class"] = layer.layer.__class__.__name__
        layers.append(entry)
    return {
        "model_name": model.name,
        "input_shape": shape_list(model.inputs[0].shape),
        "input_dtype": str(model.inputs[0].dtype),
        "layers": layers,
        "total_params": int(model.count_params()),
    }


def make_input(model, rng, T_free, scale):
    shape = list(model.inputs[0].shape)
    batch = shape[0] if shape[0] is not None else DEFAULT_BATCH
    shape[0] = batch
    if shape[1] is None:
        shape[1] = T_free
    dtype = str(model.inputs[0].dtype)
    if dtype.startswith("int"):
        emb = [l for l in model.layers if isinstance(l, keras.layers.Embedding)]
        vocab = emb[0].input_dim
        return rng.integers(0, vocab, size=shape).astype(np.int32)
    return (rng.standard_normal(size=shape) * scale).astype(np.float32)


def run(model, x):
    out = model.predict(x, verbose=0, batch_size=x.shape[0])
    if not isinstance(out, (list, tuple)):
        out = [out]
    out = [np.asarray(o, dtype=np.float32) for o in out]
    # cross-check with a direct call
    direct = model(x, training=False)
    if not isinstance(direct, (list, tuple)):
        direct = [direct]
    assert len(direct) == len(out)
    for a, b in zip(direct, out):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
    return {f"output_{i}": o for i, o in enumerate(out)}


def write_case(case):
    build_spec = case.keras3_spec or case.spec
    model = build_model(build_spec)
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    weights = random_weights(model, rng)
    paths = [w.path for w in model.weights]
    keys = [short_key(p) for p in paths]
    assert len(set(keys)) == len(keys), keys

    d = os.path.join(OUT_DIR, case.name)
    os.makedirs(d)
    with open(os.path.join(d, "model.rnn"), "w", encoding="utf-8") as f:
        f.write(case.spec)
    np.savez(os.path.join(d, "weights.npz"), **dict(zip(keys, weights)))
    with open(os.path.join(d, "weight_paths.txt"), "w") as f:
        for p, w in zip(paths, weights):
            f.write(f"{p}\t{','.join(str(s) for s in w.shape)}\n")
    if case.name == "tutorial_simple_rnn":
        np.savez(os.path.join(d, "weights_positional.npz"),
                 *[np.asarray(w, dtype=np.float32) for w in model.get_weights()])
        np.savez(os.path.join(d, "weights_fullpath.npz"), **dict(zip(paths, weights)))

    time_free = model.inputs[0].shape[1] is None
    x = make_input(model, rng, DEFAULT_FREE_T, case.input_scale)
    np.save(os.path.join(d, "input.npy"), x)
    outs = run(model, x)
    np.savez(os.path.join(d, "expected.npz"), **outs)
    if time_free:
        xl = make_input(model, rng, LONG_T, case.input_scale)
        np.save(os.path.join(d, "input_long.npy"), xl)
        np.savez(os.path.join(d, "expected_long.npz"), **run(model, xl))

    summary = summary_of(model)
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")

    peak = max(float(np.abs(o).max()) for o in outs.values())
    return {
        "name": case.name,
        "keras3_spec": case.keras3_spec,
        "note": case.note,
        "input_shape": list(x.shape),
        "input_dtype": str(x.dtype),
        "time_free": time_free,
        "outputs": [list(o.shape) for o in outs.values()],
        "total_params": summary["total_params"],
    }, peak


README = """# Oracle fixtures (generated by real Keras 3)

Each folder is one Keras Sequential model, built and run by Keras {keras} (backend
jax {jax}, numpy {numpy}):

- `model.rnn` - the spec text rnnc compiles (Keras Python syntax).
- `weights.npz` - random float32 weights, keys = Keras 3 weight paths without the
  model name and the `*_cell` segment (`lstm/kernel`, `bidirectional/forward_gru/bias`,
  `time_distributed/dense/kernel`, `embedding/embeddings`).
- `weight_paths.txt` - Keras' full weight paths in `model.weights` order, `path<TAB>shape`.
- `input.npy` - input (float32; int32 token ids for Embedding models); batch 3 unless
  the spec fixes it, T = 7 when the spec leaves T free.
- `expected.npz` - Keras' outputs `output_0`, `output_1`, ... in Keras' output order.
- `input_long.npy` / `expected_long.npz` - only for T=None models: the same with T = 13.
- `summary.json` - model name, layer names / classes / output shapes / param counts.
- `tutorial_simple_rnn/weights_positional.npz` (`arr_0`, ...) and
  `weights_fullpath.npz` (full Keras paths) - the other accepted weight-key styles.

`index.json` lists the cases; where a spec uses Keras 2 syntax that Keras 3 rejects
(`batch_input_shape=`, `input_length=`/`input_dim=`), its `keras3_spec` is the
equivalent that was actually built.

Regenerate (deterministic) from the repository root:

    pip install -r scripts/requirements-oracles.txt
    KERAS_BACKEND=jax python scripts/make_oracles.py
"""


def main():
    import jax

    os.makedirs(OUT_DIR, exist_ok=True)
    # Remove only what this script generated before.
    for entry in sorted(os.listdir(OUT_DIR)):
        p = os.path.join(OUT_DIR, entry)
        if os.path.isdir(p) and os.path.exists(os.path.join(p, "model.rnn")):
            shutil.rmtree(p)

    keras.utils.set_random_seed(0)
    index = []
    for case in CASES:
        info, peak = write_case(case)
        index.append(info)
        print(f"{case.name}: outputs {info['outputs']} max|y| {peak:.3f}")

    omitted = []
    for name, (line, _) in OMITTED.items():
        try:
            build_model(bare("Input(shape=(5, 4))", line))
            err = None
        except Exception as e:  # noqa: BLE001
            err = f"{type(e).__name__}: {e}"
        if err is None:
            print(f"warning: omitted case {name} now builds in Keras {keras.__version__}")
        omitted.append({"name": name, "spec_line": line, "keras_error": err})
        print(f"omitted {name}: {err}")

    with open(os.path.join(OUT_DIR, "index.json"), "w") as f:
        json.dump({
            "keras_version": keras.__version__,
            "jax_version": jax.__version__,
            "numpy_version": np.__version__,
            "cases": index,
            "omitted": omitted,
        }, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write(README.format(keras=keras.__version__, jax=jax.__version__,
                              numpy=np.__version__))
    print(f"{len(index)} cases written to {OUT_DIR}")


if __name__ == "__main__":
    main()
