#!/usr/bin/env python3
"""Generate oracle fixtures for STREAMING (stateful) Keras 3 models, from real Keras 3.

Run from the repository root:

    KERAS_BACKEND=jax python scripts/make_streaming_oracles.py

Each case is a Keras 3 model written as a spec (exec'd unchanged, binding
`model`), with random weights drawn as scripts/make_functional_oracles.py
draws them. Keras runs the input sequence `input_0.npy` (batch, T, ...) in
one call and in each listed chunking, as a host streams it: one direct call
`model(x_chunk)` per chunk (Keras 3.15 on JAX carries the states of
`stateful=True` layers across direct calls, not across `predict()`), the
states reset to zeros before each run. Files in fixtures/streaming/<case>/:

- `model.rnn`, `weights.npz` (keys as in fixtures/functional), `model.weights.h5`;
- `input_0.npy`, and `input_1.npy` for a second input;
- `expected.npz`: the whole-sequence outputs `output_K` and, for stateful
  models, the final states as rnnc names the streaming file's outputs
  (`lstm_h_out`, `lstm_c_out`, ...), read from `layer.states` after the run;
- `chunks_<A>_<B>_....npz`: the same after the run in chunks A, B, ...
  (not for a `--streaming` case); a model whose time axis is fixed at 1 is
  only run one step at a time (its expected.npz is that run).

`index.json` lists the cases: name, chunkings, whether the case needs
`--streaming` (a stateless model: Keras restarts it at every call, so its
oracle is the whole sequence only), whether the chunks' outputs are the
whole sequence's (`whole`; false where Keras restarts a layer at every call
or a layer mixes a chunk's steps, and then each `chunks_*.npz` is the
oracle), the state output names, and a note.
Deterministic: a case's RNG is seeded from a CRC32 of its name.
"""

import json
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_functional_oracles as fo  # noqa: E402  (sets KERAS_BACKEND)

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT_DIR = os.path.join(fo.REPO_ROOT, "fixtures", "streaming")
T = 12
CASES = []


def add(name, spec, chunkings, note, streaming=False, ids=None, steps=T, whole=True):
    """`whole`: the model's outputs over the chunks are its whole-sequence
    outputs (false when a layer restarts at every call or mixes a chunk's
    steps; its final states still are)."""
    CASES.append(dict(name=name, spec=spec, chunkings=chunkings, note=note,
                      streaming=streaming, ids=ids, steps=steps, whole=whole))


add("lstm_dense", """
import keras
from keras import layers

inputs = keras.Input(batch_shape=(2, None, 3))
x = layers.LSTM(4, stateful=True, return_sequences=True)(inputs)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
""", [[1] * T, [4, 3, 5]], "a stateful LSTM with a Dense head, batch 2")

add("gru_simple_rnn_stack", """
import keras
from keras import layers

inputs = keras.Input(batch_shape=(1, None, 3))
x = layers.GRU(5, stateful=True, return_sequences=True)(inputs)
outputs = layers.SimpleRNN(3, stateful=True)(x)
model = keras.Model(inputs, outputs)
""", [[1, 1, 1, 1, 8], [1] * T], "a GRU -> SimpleRNN stack at batch 1, fed one step at a "
    "time, then in a larger chunk; the SimpleRNN's last output is the last chunk's")

add("sequential_stateful", """
from keras import Sequential, Input
from keras.layers import LSTM, GRU, Dense

model = Sequential([
    Input(batch_shape=(3, None, 2)),
    LSTM(4, stateful=True, return_sequences=True),
    GRU(3, stateful=True, reset_after=False, return_sequences=True),
    Dense(1, activation="sigmoid"),
])
""", [[5, 7], [2, 2, 2, 2, 2, 2]], "a Sequential model of two stateful layers "
    "(reset_after=False GRU)")

add("masked_embedding_lstm", """
import keras
from keras import layers

ids = keras.Input(batch_shape=(4, None), dtype="int32")
x = layers.Embedding(20, 6, mask_zero=True)(ids)
x = layers.LSTM(5, stateful=True, return_sequences=True)(x)
outputs = layers.TimeDistributed(layers.Dense(3))(x)
model = keras.Model(ids, outputs)
""", [[3, 4, 5], [1] * T], "masked steps inside and across chunks hold the states: rows "
    "padded in front, at the back, in the middle, and not at all",
    ids=dict(vocab=20, pad=[(0, 4), (8, 12), (4, 8), None]))

add("one_step_model", """
import keras
from keras import layers

inputs = keras.Input(batch_shape=(1, 1, 3))
x = layers.LSTM(6, stateful=True)(inputs)
outputs = layers.Dense(2, activation="tanh")(x)
model = keras.Model(inputs, outputs)
""", [[1] * 6], "time fixed at 1 in Keras (one step per call); the streaming file takes "
    "any number of steps: fed whole, it gives the last step's output", steps=6)

add("partly_stateful", """
import keras
from keras import layers

inputs = keras.Input(batch_shape=(2, None, 3))
x = layers.LSTM(4, stateful=True, return_sequences=True)(inputs)
x = layers.GRU(3, return_sequences=True)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
""", [[4, 3, 5], [6, 6]], "a stateful LSTM under a GRU that is not stateful: Keras restarts "
    "the GRU at every call, so the chunks' outputs are not the whole sequence's (the "
    "LSTM's final states are)", whole=False)

add("stateful_then_pooling", """
import keras
from keras import layers

inputs = keras.Input(batch_shape=(2, None, 3))
x = layers.GRU(4, stateful=True, return_sequences=True)(inputs)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
""", [[4, 3, 5], [1] * T], "GlobalAveragePooling1D averages each chunk's steps, as Keras' "
    "chunked calls do; the GRU's states carry over", whole=False)

add("stateless_streaming", """
import keras
from keras import layers

inputs = keras.Input(shape=(None, 3))
x = layers.GRU(4, return_sequences=True)(inputs)
x = layers.LSTM(3, return_sequences=True)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
""", [[5, 7], [1] * T], "a stateless model compiled with --streaming: Keras restarts it "
    "at every call, so the oracle of every chunking is the whole sequence", streaming=True)


def recurrent_layers(model):
    """The stateful recurrent layers, in model.layers order."""
    return [l for l in model.layers if getattr(l, "stateful", False)]


def reset(model):
    for layer in recurrent_layers(model):
        layer.reset_states()


def states_of(model):
    out = {}
    for layer in recurrent_layers(model):
        names = ["h", "c"] if len(layer.states) == 2 else ["h"]
        for n, s in zip(names, layer.states):
            out[f"{layer.name}_{n}_out"] = np.asarray(s, dtype=np.float32)
    return out


def run(model, x, sizes):
    """Outputs (concatenated over the chunks where they have a time axis) and final states."""
    reset(model)
    pieces, start = [], 0
    for n in sizes:
        y = model(x[:, start:start + n], training=False)
        pieces.append([np.asarray(v, dtype=np.float32) for v in (y if isinstance(y, (list, tuple)) else [y])])
        start += n
    outs = {}
    for k in range(len(pieces[0])):
        parts = [p[k] for p in pieces]
        sequence = parts[0].ndim == 3 and all(p.shape[1] == n for p, n in zip(parts, sizes))
        outs[f"output_{k}"] = np.concatenate(parts, axis=1) if sequence and len(parts) > 1 else parts[-1]
    outs.update(states_of(model))
    return outs


def make_input(case, model, rng):
    batch = model.inputs[0].shape[0] or 2
    steps = case["steps"]
    if case["ids"] is not None:
        x = rng.integers(1, case["ids"]["vocab"], size=(batch, steps)).astype(np.int32)
        for row, pad in enumerate(case["ids"]["pad"]):
            if pad is not None:
                x[row, pad[0]:pad[1]] = 0
        return x
    features = model.inputs[0].shape[-1]
    return rng.normal(size=(batch, steps, features)).astype(np.float32)


def write_case(case):
    model = fo.build_model(case["spec"])
    rng = np.random.default_rng(zlib.crc32(case["name"].encode()))
    weights = fo.random_weights(model, rng)
    keys = [fo.short_key(model, w.path) for w in model.weights]
    d = os.path.join(OUT_DIR, case["name"])
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    with open(os.path.join(d, "model.rnn"), "w", encoding="utf-8", newline="") as f:
        f.write(case["spec"])
    np.savez(os.path.join(d, "weights.npz"), **dict(zip(keys, weights)))
    model.save_weights(os.path.join(d, "model.weights.h5"))
    x = make_input(case, model, rng)
    np.save(os.path.join(d, "input_0.npy"), x)
    fixed_one = model.inputs[0].shape[1] == 1
    whole = run(model, x, [1] * x.shape[1] if fixed_one else [x.shape[1]])
    np.savez(os.path.join(d, "expected.npz"), **whole)
    for sizes in [] if case["streaming"] else case["chunkings"]:
        chunked = run(model, x, sizes)
        label = "_".join(str(n) for n in sizes)
        np.savez(os.path.join(d, f"chunks_{label}.npz"), **chunked)
        # Keras itself: chunks equal the whole sequence (its states, at least).
        for k, v in whole.items():
            if not case["whole"] and k.startswith("output_"):
                continue
            np.testing.assert_allclose(chunked[k], v, rtol=1e-5, atol=1e-5, err_msg=f"{case['name']} {k}")
    return {
        "name": case["name"],
        "note": case["note"],
        "streaming": case["streaming"],
        "whole": case["whole"],
        "chunkings": case["chunkings"],
        "states": sorted(k for k in whole if not k.startswith("output_")),
        "outputs": [list(v.shape) for k, v in whole.items() if k.startswith("output_")],
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    index = [write_case(c) for c in CASES]
    with open(os.path.join(OUT_DIR, "index.json"), "w") as f:
        json.dump({"keras": keras.__version__, "cases": index}, f, indent=1)
        f.write("\n")
    for entry in index:
        print(entry["name"], entry["outputs"], entry["states"])


if __name__ == "__main__":
    main()
