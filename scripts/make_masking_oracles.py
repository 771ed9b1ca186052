#!/usr/bin/env python3
"""Generate oracle fixtures for Keras 3 models that use MASKING, from real Keras 3.

Run from the repository root:

    KERAS_BACKEND=jax python scripts/make_masking_oracles.py
    KERAS_BACKEND=jax python scripts/make_masking_oracles.py --only emb_lstm_last,tagger

(`--only`, `--list` and `--out-dir DIR` work as in make_functional_oracles.py.)

This reuses scripts/make_functional_oracles.py (imported): the same spec
conventions (each case is Python source exec'd unchanged, binding `model`), the
same random weights and the same files in fixtures/masking/<case>/ (model.rnn,
weights.npz, weights_positional.npz, model.weights.h5, model.keras,
weight_paths.txt, input_K.npy, expected.npz, summary.json, keras_summary.txt)
plus fixtures/masking/index.json and fixtures/masking/README.md.  Only the
inputs differ: they are made to exercise masks (see make_masked_inputs and
README below): batch 6, T = 8 wherever the spec leaves the time axis free, and
rows = [no padding, pre-padded, post-padded, interior padding, pre+post
padding, fully padded] (or a single-token row instead of the fully padded one
for the `*_nonempty` variants).

Deterministic (except model.keras) exactly like the functional generator: the
RNG of a case is seeded from a CRC32 of its name and draws the weights first,
then the inputs.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_functional_oracles as fo  # noqa: E402  (sets KERAS_BACKEND, COLUMNS)

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT_DIR = os.path.join(fo.REPO_ROOT, "fixtures", "masking")

BATCH = 6
FREE_T = 8
# Row kinds, in batch order. "empty" (all padding) is replaced by "single"
# (only the last step is real) in cases made with full_pad_row=False.
ROWS = ("full", "pre", "post", "mid", "prepost", "empty")
ROWS_NONEMPTY = ("full", "pre", "post", "mid", "prepost", "single")


class MaskCase(fo.Case):
    def __init__(self, name, spec, note="", free_t=FREE_T, full_pad_row=True):
        super().__init__(name, spec, note, free_t)
        self.full_pad_row = full_pad_row


CASES = []


def add(name, spec, note="", free_t=FREE_T, full_pad_row=True):
    assert all(c.name != name for c in CASES), name
    CASES.append(MaskCase(name, spec, note, free_t, full_pad_row))


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
def row_keep(kind, t, rng):
    """Boolean (t,) vector: True = real step, False = padding."""
    keep = np.ones(t, dtype=bool)
    if t < 4 or kind == "full":
        return keep
    if kind == "empty":
        keep[:] = False
    elif kind == "single":
        keep[:-1] = False
    elif kind == "pre":  # like pad_sequences(padding="pre"), the default
        keep[:int(rng.integers(1, t // 2 + 1))] = False
    elif kind == "post":
        keep[t - int(rng.integers(1, t // 2 + 1)):] = False
    elif kind == "mid":  # real steps on both sides of the padding
        start = int(rng.integers(1, t - 2))
        length = int(rng.integers(1, min(2, t - 1 - start) + 1))
        keep[start:start + length] = False
    elif kind == "prepost":
        a = int(rng.integers(1, 3))
        b = int(rng.integers(1, 3))
        keep[:a] = False
        keep[t - b:] = False
    else:
        raise ValueError(kind)
    return keep


def consumers(input_tensor):
    """The operations (layers, keras.ops) an input tensor feeds."""
    input_layer = input_tensor._keras_history.operation
    return [node.operation for node in input_layer._outbound_nodes]


def make_masked_inputs(model, rng, case):
    """One array per model.inputs entry.

    - int input (feeds Embedding(s)): shape (6, T); padding = id 0, real ids
      uniform in [1, vocab) with vocab the smallest input_dim of the
      Embeddings it feeds;
    - float (batch, T, F) input feeding Masking(mask_value=v): normal(0, 1),
      every feature of a padded step set to v; row 0 (no padding) also has one
      feature (not all) of step 1 set to v, which must NOT mask that step;
    - any other float input: normal(0, 1).
    Each input draws its own padding lengths from the case RNG.
    """
    kinds = ROWS if case.full_pad_row else ROWS_NONEMPTY
    xs = []
    for t in model.inputs:
        shape = list(t.shape)
        shape[0] = BATCH
        shape = [case.free_t if d is None else int(d) for d in shape]
        ops_fed = consumers(t)
        if str(t.dtype).startswith("int"):
            vocab = [op.input_dim for op in ops_fed
                     if isinstance(op, keras.layers.Embedding)]
            if not vocab or len(shape) != 2:
                raise ValueError("an int input must be (batch, T) and feed an Embedding")
            steps = shape[1]
            keep = np.stack([row_keep(k, steps, rng) for k in kinds])
            ids = rng.integers(1, min(vocab), size=shape)
            xs.append(np.where(keep, ids, 0).astype(np.int32))
            continue
        x = rng.standard_normal(size=shape).astype(np.float32)
        mask_values = [op.mask_value for op in ops_fed
                       if isinstance(op, keras.layers.Masking)]
        if mask_values:
            if len(shape) != 3 or len(set(mask_values)) != 1:
                raise ValueError("a Masking input must be (batch, T, F) with one mask_value")
            v = np.float32(mask_values[0])
            keep = np.stack([row_keep(k, shape[1], rng) for k in kinds])
            x = np.where(keep[:, :, None], x, v).astype(np.float32)
            if shape[1] > 1 and shape[2] > 1:
                x[0, 1, 0] = v  # one feature equal to v: the step stays unmasked
        xs.append(x)
    return xs


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
# --- Embedding(mask_zero=True) into one recurrent layer ---
add("emb_lstm_last", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.LSTM(5),
    layers.Dense(2),
])
""", note="last output = h after the last real step; fully padded row: zeros")

add("emb_lstm_sequences", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.LSTM(5, return_sequences=True),
])
""", note="output at a padded step = previous h (zeros before the first real step)")

add("emb_gru_sequences", """
import keras
from keras import layers

tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
x = layers.Embedding(11, 4, mask_zero=True)(tokens)
v3 = layers.GRU(4, return_sequences=True)(x)
v1 = layers.GRU(4, return_sequences=True, reset_after=False)(x)
last = layers.GRU(3, reset_after=False)(x)
model = keras.Model(tokens, [v3, v1, last])
""")

add("simple_rnn_backwards", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
seq = layers.SimpleRNN(4, go_backwards=True, return_sequences=True)(x)
last = layers.SimpleRNN(4, go_backwards=True)(x)
gru_seq = layers.GRU(3, go_backwards=True, return_sequences=True)(x)
lstm_last = layers.LSTM(3, go_backwards=True)(x)
model = keras.Model(inputs, [seq, last, gru_seq, lstm_last])
""", note="go_backwards: the mask is reversed with the input and the "
          "sequence output stays in processing (reversed) order")

add("zero_output_flag", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
seq = layers.LSTM(4, return_sequences=True, zero_output_for_mask=True)(x)
last = layers.GRU(3, zero_output_for_mask=True)(x)
back = layers.SimpleRNN(3, go_backwards=True, zero_output_for_mask=True)(x)
model = keras.Model(inputs, [seq, last, back])
""", note="zero_output_for_mask=True: padded steps output 0, and so does the "
          "last output (return_sequences=False) when the last processed step is padding")

# --- Bidirectional ---
add("bidir_sequences", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
])
""", note="Bidirectional forces zero_output_for_mask=True when return_sequences: "
          "padded steps are 0 in both halves")

add("bidir_sequences_modes", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(12, 4, mask_zero=True)(inputs)
fwd, bwd = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=None)(x)
summed = layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True), merge_mode="sum")(x)
product = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="mul")(x)
mean = layers.Bidirectional(layers.GRU(3, return_sequences=True, reset_after=False), merge_mode="ave")(x)
model = keras.Model(inputs, [fwd, bwd, summed, product, mean])
""")

add("bidir_last", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(12, 4, mask_zero=True)(inputs)
concat = layers.Bidirectional(layers.LSTM(3))(x)
summed = layers.Bidirectional(layers.LSTM(3), merge_mode="sum")(x)
mean = layers.Bidirectional(layers.GRU(3), merge_mode="ave")(x)
product = layers.Bidirectional(layers.GRU(3), merge_mode="mul")(x)
fwd, bwd = layers.Bidirectional(layers.SimpleRNN(3), merge_mode=None)(x)
model = keras.Model(inputs, [concat, summed, mean, product, fwd, bwd])
""", note="return_sequences=False: zero_output_for_mask stays False, each "
          "direction's last output = its h after its last real step")

add("bidir_return_state", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
out, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(3, return_state=True))(x)
seq, gf, gb = layers.Bidirectional(
    layers.GRU(3, return_sequences=True, return_state=True), merge_mode="sum"
)(x)
model = keras.Model(inputs, [out, fh, fc, bh, bc, seq, gf, gb])
""")

# --- A masked tagger ---
add("tagger", """
import keras
from keras import layers

words = keras.Input(shape=(None,), dtype="int32", name="words")
x = layers.Embedding(12, 4, mask_zero=True)(words)
x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
x = layers.LSTM(5, return_sequences=True)(x)
x = layers.Dropout(0.3)(x)
x = layers.LayerNormalization()(x)
x = layers.TimeDistributed(layers.Dense(6))(x)
tags = layers.Activation("softmax")(x)
scores = layers.Dense(3)(x)
model = keras.Model(words, [tags, scores])
""", note="Dense / softmax at padded steps are computed as usual (not zeroed)")

# --- Masking on float inputs ---
add("masking_float", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None, 3)),
    layers.Masking(mask_value=0.0),
    layers.LSTM(4),
    layers.Dense(1),
])
""", note="padded steps are all-0.0 vectors; row 0 has one 0.0 feature at step 1 (not masked)")

add("masking_float_neg", """
import keras
from keras import layers

inputs = keras.Input(shape=(None, 3), name="features")
masked = layers.Masking(mask_value=-1.0)(inputs)
seq = layers.GRU(4, return_sequences=True)(masked)
outputs = layers.Dense(2)(seq)
model = keras.Model(inputs, [outputs, masked])
""", note="padded steps are all -1.0; Masking outputs 0.0 there (output_1); "
          "row 0 has one -1.0 feature at step 1 (not masked)")

# --- States ---
add("return_state_mask", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
seq, state_h, state_c = layers.LSTM(4, return_sequences=True, return_state=True)(x)
last, gru_h = layers.GRU(3, return_state=True)(x)
model = keras.Model(inputs, [seq, state_h, state_c, last, gru_h])
""", note="final states = states after the last real step (initial zeros for the fully padded row)")

add("initial_state_mask", """
import keras
from keras import layers

encoder_inputs = keras.Input(shape=(None,), dtype="int32", name="encoder_tokens")
x = layers.Embedding(10, 4, mask_zero=True)(encoder_inputs)
_, state_h, state_c = layers.LSTM(5, return_state=True)(x)

decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_tokens")
y = layers.Embedding(10, 4, mask_zero=True)(decoder_inputs)
y = layers.LSTM(5, return_sequences=True)(y, initial_state=[state_h, state_c])
probs = layers.Dense(4, activation="softmax")(y)
summary = layers.GRU(3)(y)
model = keras.Model([encoder_inputs, decoder_inputs], [probs, summary])
""", note="Keras 3 does NOT pass the decoder mask to an RNN called with "
          "initial_state= (two tensor arguments, so no automatic mask): the decoder "
          "LSTM runs unmasked, but its output still carries the decoder mask, "
          "which the GRU after it uses (Keras 2 / tf-keras masks the decoder LSTM)")

# An explicit `mask=` (a keras.ops node) is the only way to mask an RNN given
# `initial_state=` in Keras 3; rnnc does not compile `keras.ops` calls or
# `mask=`, so that case is not a fixture (docs/keras_masking.md).

add("unrolled", """
import keras
from keras import layers

inputs = keras.Input(shape=(8,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
bidir = layers.Bidirectional(layers.LSTM(3, return_sequences=True, unroll=True))(x)
flagged = layers.GRU(3, return_sequences=True, unroll=True, zero_output_for_mask=True)(x)
model = keras.Model(inputs, [bidir, flagged])
""", note="unroll=True: Keras 3's unrolled loop ignores zero_output_for_mask (also "
          "the one Bidirectional forces), so padded steps repeat the last output")

# --- Pooling ---
add("global_avg_classifier", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.LSTM(5, return_sequences=True),
    layers.Dense(4, activation="relu"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(2),
])
""", note="GlobalAveragePooling1D = sum(x * mask) / sum(mask): 0/0 = NaN for the "
          "fully padded row 5 (kept as Keras gives it)")

add("global_avg_classifier_nonempty", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.LSTM(5, return_sequences=True),
    layers.Dense(4, activation="relu"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(2),
])
""", note="same model as global_avg_classifier; row 5 has one real step "
          "(the last) instead of none, so no NaN", full_pad_row=False)

add("global_max", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.LSTM(5, return_sequences=True),
    layers.GlobalMaxPooling1D(),
    layers.Dense(2),
])
""", note="GlobalMaxPooling1D does not support masking: Keras warns and takes the "
          "max over all steps, padded ones (held LSTM outputs) included")

# --- Attention ---
add("masked_attention", """
import keras
from keras import layers

query_tokens = keras.Input(shape=(None,), dtype="int32", name="query_tokens")
value_tokens = keras.Input(shape=(6,), dtype="int32", name="value_tokens")
q = layers.Embedding(11, 4, mask_zero=True)(query_tokens)
q = layers.LSTM(4, return_sequences=True)(q)
v = layers.Embedding(11, 4, mask_zero=True)(value_tokens)
v = layers.LSTM(4, return_sequences=True)(v)
context, scores = layers.Attention()([q, v], return_attention_scores=True)
additive = layers.AdditiveAttention()([q, v])
merged = layers.Concatenate()([q, context])
summary = layers.LSTM(3)(merged)
model = keras.Model([query_tokens, value_tokens], [context, scores, additive, summary])
""", note="Tq = 8 (free), Tv = 6; padded value steps get score - 1e9 before the "
          "softmax, padded query rows of the output are 0 (scores are not); "
          "the output mask is the query mask")

add("masked_attention_key", """
import keras
from keras import layers

query_tokens = keras.Input(shape=(None,), dtype="int32", name="query_tokens")
value_tokens = keras.Input(shape=(None,), dtype="int32", name="value_tokens")
q = layers.Embedding(10, 4, mask_zero=True)(query_tokens)
v = layers.Embedding(10, 4, mask_zero=True)(value_tokens)
k = layers.Dense(4)(v)
context = layers.Attention(use_scale=True, score_mode="concat")([q, v, k])
unmasked_value = layers.Embedding(10, 4)(value_tokens)
query_only = layers.AdditiveAttention(use_scale=False)([q, unmasked_value])
model = keras.Model([query_tokens, value_tokens], [context, query_only])
""", note="[query, value, key]: the value's mask masks the scores (a key mask "
          "would be ignored); a value without a mask masks nothing")

# --- Merges ---
add("merge_masks", """
import keras
from keras import layers

a_tokens = keras.Input(shape=(None,), dtype="int32", name="a")
b_tokens = keras.Input(shape=(None,), dtype="int32", name="b")
a = layers.Embedding(10, 4, mask_zero=True)(a_tokens)
b = layers.Embedding(10, 4, mask_zero=True)(b_tokens)
c = layers.Embedding(10, 4)(b_tokens)

both_concat = layers.LSTM(3)(layers.Concatenate()([a, b]))
both_add = layers.LSTM(3)(layers.Add()([a, b]))
one_concat = layers.LSTM(3)(layers.Concatenate()([a, c]))
one_add = layers.LSTM(3)(layers.Add()([a, c]))
time_concat = layers.LSTM(3, return_sequences=True)(layers.Concatenate(axis=1)([a, b]))
time_concat_one = layers.LSTM(3, return_sequences=True)(layers.Concatenate(axis=1)([c, a]))
model = keras.Model(
    [a_tokens, b_tokens],
    [both_concat, both_add, one_concat, one_add, time_concat, time_concat_one],
)
""", note="two masks merge by OR (Concatenate axis=-1, Add); masked + unmasked: "
          "Concatenate(-1) gives an all-True mask, Add gives none; "
          "Concatenate(axis=1) concatenates the masks (all True for the unmasked input)")

add("merge_mask_values", """
import keras
from keras import layers

a_tokens = keras.Input(shape=(None,), dtype="int32", name="a")
b_tokens = keras.Input(shape=(None,), dtype="int32", name="b")
a = layers.Embedding(10, 4, mask_zero=True)(a_tokens)
b = layers.Embedding(10, 4, mask_zero=True)(b_tokens)
c = layers.Embedding(10, 4)(b_tokens)

product = layers.Multiply()([a, b])
product_one = layers.Multiply()([c, a])
high = layers.Maximum()([a, b])
low_one = layers.Minimum()([a, c])
high_three = layers.Maximum()([a, c, b])
difference = layers.Subtract()([a, b])
mean = layers.Average()([a, b])
summary = layers.GRU(3)(product)
model = keras.Model(
    [a_tokens, b_tokens],
    [product, product_one, high, low_one, high_three, difference, mean, summary],
)
""", note="Multiply / Maximum / Minimum use the masks in their values "
          "(masked input -> 1 for Multiply, -> the other operand for Maximum/Minimum; "
          "Multiply zeroes steps masked in every input when all inputs have masks); "
          "Subtract / Average only OR the masks")

# --- Where the mask stops ---
add("mask_dropped", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(12, 4, mask_zero=True)(inputs)
conv = layers.Conv1D(4, 3, padding="same", activation="relu")(x)
after_conv = layers.LSTM(3)(conv)
dense = layers.Dense(4, activation="relu")(x)
after_dense = layers.LSTM(3)(dense)
model = keras.Model(inputs, [after_conv, after_dense])
""", note="Conv1D does not support masking (Keras warns): the LSTM after it runs "
          "unmasked; Dense keeps the mask, the LSTM after it is masked")

add("mask_propagation_chain", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(12, 4, mask_zero=True),
    layers.SpatialDropout1D(0.2),
    layers.GaussianNoise(0.1),
    layers.BatchNormalization(),
    layers.Dense(5),
    layers.PReLU(shared_axes=[1]),
    layers.LeakyReLU(negative_slope=0.1),
    layers.ELU(),
    layers.ReLU(),
    layers.Activation("tanh"),
    layers.GaussianDropout(0.1),
    layers.ActivityRegularization(l1=0.01),
    layers.LayerNormalization(),
    layers.Dropout(0.5),
    layers.TimeDistributed(layers.Dense(4)),
    layers.GRU(4),
])
""", note="every layer between the Embedding and the GRU passes the mask on "
          "unchanged (none uses it at inference)")

add("masking_replaces_mask", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
x = layers.Masking(mask_value=0.0)(x)
outputs = layers.LSTM(3, return_sequences=True)(x)
model = keras.Model(inputs, outputs)
""", note="Masking ignores the incoming (Embedding) mask and computes its own "
          "from the values: no step of the embedded sequence is all zeros, so "
          "nothing is masked")

add("native_after_masked_merge", """
import keras
from keras import layers

inputs = keras.Input(shape=(None, 4))
masked = layers.Masking(mask_value=-1.0)(inputs)
conv = layers.Conv1D(4, 3, padding="causal")(masked)
seq = layers.LSTM(4, return_sequences=True)(masked)
low = layers.Minimum()([conv, seq, masked])
outputs = layers.LSTM(4)(low)
model = keras.Model(inputs, outputs)
""", note="Minimum of an unmasked and masked inputs has no mask, so the last LSTM "
          "is unmasked (rnnc: the native op) but fed by the masked arithmetic "
          "(found by scripts/check_random_masked.py: tract's fused LSTM failed on it)")

add("mask_ops_move_layers", """
import keras
from keras import layers

ids = keras.Input(shape=(None,), dtype="int32")
masked = layers.Embedding(10, 4, mask_zero=True)(ids)
plain = layers.Embedding(10, 4)(ids)
head = layers.Dense(4)(layers.Dense(4)(plain))
joined = layers.Concatenate(axis=1)([masked, masked])
last = layers.LSTM(3)(joined)
model = keras.Model(ids, [head, last])
""", note="Keras orders model.layers (and so the positional keys of model.weights.h5) "
          "counting the ops that make the masks: the masked Concatenate's mask ops "
          "(expand_dims, zeros_like, logical_or, concatenate, any) put `embedding` "
          "deeper than `embedding_1` (found by scripts/check_random_masked.py)")

add("all_true_mask_names", """
import keras
from keras import layers

a = keras.Input(shape=(5,), dtype="int32")
b = keras.Input(shape=(5,), dtype="int32")
masked = layers.Embedding(10, 3, mask_zero=True)(a)
plain = layers.Embedding(10, 3)(b)
features = layers.Concatenate()([masked, plain])
steps = layers.Concatenate(axis=1)([features, features])
wide = layers.Concatenate()([steps, steps])
outputs = layers.GRU(3)(wide)
model = keras.Model([a, b], outputs)
""", note="a Concatenate of a masked and an unmasked sequence on the features gives a "
          "mask tensor that is true everywhere: it masks nothing, but the next "
          "Concatenate still makes a `concatenate` op for it, which takes an "
          "automatic name (the third Concatenate is `concatenate_4`)")

add("attention_mask_ops_order", """
import keras
from keras import layers

ids = keras.Input(shape=(None,), dtype="int32")
features = keras.Input(shape=(None, 4))
embedded = layers.Embedding(12, 3, mask_zero=True)(ids)
masked = layers.Masking(mask_value=-1.0)(features)
self_attended = layers.Attention()([masked, masked])
attended = layers.AdditiveAttention()([embedded, embedded, embedded])
seq = layers.GRU(4, return_sequences=True)(attended)
outputs = layers.Attention()([self_attended, seq])
pooled = layers.GlobalAveragePooling1D()(masked)
model = keras.Model([ids, features], [outputs, pooled])
""", note="an Attention call does not record its masks as inputs, but its output mask "
          "is a new op (convert_to_tensor) that the GRU records: the first input "
          "comes first in model.layers only through that op")

add("softmax_layer_masked", """
import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(10, 4, mask_zero=True)(inputs)
x = layers.Dense(3)(x)
outputs = layers.Softmax()(x)
model = keras.Model(inputs, outputs)
""", note="expected to be refused: the Softmax layer applies the (batch, T) mask "
          "to (batch, T, 3) inputs and raises at call time")


# ---------------------------------------------------------------------------
README = """# Masking oracle fixtures (generated by real Keras 3)

Each folder is one Keras model whose inputs carry a Keras mask
(`Embedding(mask_zero=True)` on int ids, or `Masking(mask_value=v)` on floats),
built and run by Keras {keras} (backend jax {jax}, numpy {numpy}, h5py {h5py}) with
`scripts/make_masking_oracles.py`, which imports `scripts/make_functional_oracles.py`
and writes exactly the same files with the same conventions as
`fixtures/functional/` (see `fixtures/functional/README.md` for every file:
`model.rnn`, `weights.npz`, `weights_positional.npz`, `model.weights.h5`,
`model.keras`, `weight_paths.txt`, `input_K.npy`, `expected.npz`, `summary.json`,
`keras_summary.txt`; same weight distribution, same key conventions). The model
is built by `exec`-ing `model.rnn` unchanged, so every spec is real Keras
(mixing `keras.Sequential([...])` and functional models).

Only the inputs differ from `fixtures/functional/`: they exercise masks.

- Batch 6, T = 8 wherever the spec leaves the time axis free (a declared length,
  e.g. `Input(shape=(6,))`, is kept; `index.json` gives every fixture shape).
- Rows, in order (each input draws its own padding lengths from the case RNG):
  0. no padding;
  1. pre-padded: 1..T/2 leading padding steps (like `pad_sequences`' default);
  2. post-padded: 1..T/2 trailing padding steps;
  3. interior padding: 1-2 padding steps with real steps on both sides;
  4. pre + post: 1-2 leading and 1-2 trailing padding steps;
  5. fully padded (every step is padding); in the `*_nonempty` variants
     (`full_pad_row=False`) only the last step is real instead.
- int32 id inputs (they feed `Embedding`s): padding = id 0, real ids uniform in
  `[1, vocab)` (vocab = the smallest `input_dim` among the Embeddings fed).
- float32 inputs feeding `Masking(mask_value=v)`: normal(0, 1), every feature of a
  padding step = v. Row 0 also has ONE feature of step 1 equal to v: not all
  features are v, so that step is not masked.
- other float inputs: normal(0, 1).

`expected.npz` holds Keras' outputs as Keras gives them: NaN included (a
`GlobalAveragePooling1D` over a fully padded row divides 0 by 0; such cases say
so in their `note` and have a `*_nonempty` twin without the fully padded row).
Values at padded steps are whatever Keras computes there (e.g. a `Dense` after a
masked sequence is not zeroed; an RNN holds its previous output).

`index.json` lists the cases (inputs with declared and fixture shapes, output
shapes, a `note` on what the case exercises) and under `omitted` the cases Keras
refused, with its error.

Regenerate (deterministic except `model.keras`) from the repository root:

    pip install -r scripts/requirements-oracles.txt h5py
    KERAS_BACKEND=jax python scripts/make_masking_oracles.py
    KERAS_BACKEND=jax python scripts/make_masking_oracles.py --only tagger,bidir_last

`--only` regenerates just the named cases and keeps the other folders and their
`index.json` entries; `--list` prints the case names; `--out-dir DIR` writes
elsewhere. The script only replaces the files it writes.
"""


def main(argv=None):
    fo.main(argv, cases=CASES, out_dir=OUT_DIR, readme=README,
            input_maker=make_masked_inputs)


if __name__ == "__main__":
    main()
