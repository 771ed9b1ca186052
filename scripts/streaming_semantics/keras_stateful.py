"""What Keras 3 does with `stateful=True`, measured (docs/keras_streaming.md).

    KERAS_BACKEND=jax python scripts/streaming_semantics/keras_stateful.py

Each fact is asserted; the script prints them as it checks them.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

rng = np.random.default_rng(0)
x = rng.normal(size=(2, 7, 3)).astype("float32")


def reset(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def stateful_lstm():
    inputs = keras.Input(batch_shape=(2, None, 3))
    seq = layers.LSTM(4, stateful=True, return_sequences=True)(inputs)
    return keras.Model(inputs, layers.Dense(2)(seq))


# 1. A stateful layer needs a static batch.
try:
    layers.LSTM(4, stateful=True)(keras.Input(shape=(None, 3)))
    raise AssertionError("a stateful layer without a batch size was built")
except ValueError as e:
    assert "batch size must be static" in str(e), e
    print("1. stateful=True without a fixed batch:", str(e).splitlines()[0])

# 2. Direct calls carry the states: chunks equal the whole sequence.
model = stateful_lstm()
reset(model)
whole = np.asarray(model(x))
reset(model)
chunks = np.concatenate([np.asarray(model(x[:, a:b])) for a, b in [(0, 1), (1, 4), (4, 7)]], axis=1)
assert np.abs(chunks - whole).max() < 1e-5
print("2. model(x_chunk) calls carry the states: max |chunks - whole| =", float(np.abs(chunks - whole).max()))

# 3. predict() does not (Keras 3.15 on JAX): it runs in a stateless function.
reset(model)
predicted = np.concatenate([model.predict(x[:, :3], verbose=0), model.predict(x[:, 3:], verbose=0)], axis=1)
gap = float(np.abs(predicted - whole).max())
assert gap > 1e-3
print("3. predict() per chunk does not carry them: max |predict chunks - whole| =", gap)

# 4. The states are not weights: save_weights holds the kernels only.
paths = [w.path for w in model.weights]
assert all("state" not in p for p in paths) and len(paths) == 5, paths
print("4. model.weights:", paths)

# 5. A stateful layer given initial_state= starts from it at every call.
context = keras.Input(batch_shape=(2, 4))
inputs = keras.Input(batch_shape=(2, None, 3))
h = layers.Dense(4)(context)
seq = layers.GRU(4, stateful=True, return_sequences=True)(inputs, initial_state=h)
model = keras.Model([inputs, context], seq)
c = rng.normal(size=(2, 4)).astype("float32")
first = np.asarray(model([x[:, :3], c]))
again = np.asarray(model([x[:, :3], c]))
assert np.abs(first - again).max() < 1e-6
print("5. initial_state= restarts a stateful layer at every call: max |call 2 - call 1| =",
      float(np.abs(first - again).max()))

# 6. A layer that is not stateful restarts at every call, in a stateful model.
inputs = keras.Input(batch_shape=(2, None, 3))
seq = layers.LSTM(4, stateful=True, return_sequences=True)(inputs)
model = keras.Model(inputs, layers.GRU(3, return_sequences=True)(seq))
reset(model)
whole = np.asarray(model(x))
reset(model)
chunks = np.concatenate([np.asarray(model(x[:, :3])), np.asarray(model(x[:, 3:]))], axis=1)
gap = float(np.abs(chunks - whole).max())
assert gap > 1e-4
print("6. a GRU that is not stateful, under a stateful LSTM: max |chunks - whole| =", gap)
