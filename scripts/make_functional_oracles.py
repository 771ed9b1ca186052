#!/usr/bin/env python3
"""Generate oracle fixtures for Keras 3 *functional* models (and one Sequential
given a list) from real Keras 3.

Run from the repository root:

    KERAS_BACKEND=jax python scripts/make_functional_oracles.py
    KERAS_BACKEND=jax python scripts/make_functional_oracles.py --only chain,batchnorm

(`--only` regenerates just the named cases, keeping the other folders and their
index.json entries; `--list` prints the case names; `--out-dir DIR` writes into
DIR instead of fixtures/functional, e.g. to compare a regeneration with the
committed fixtures.)  scripts/make_masking_oracles.py imports this module and
calls main() / write_case() with its own cases, folder and input maker.

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
plus fixtures/functional/index.json and fixtures/functional/README.md.  Only
those files are replaced: anything else in a case folder (keras2_summary.txt,
summary.txt and graph.inspect written by the golden tests) is kept.

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
    def __init__(self, name, spec, note="", free_t=DEFAULT_FREE_T, same_as=None):
        self.name = name
        self.spec = spec.lstrip("\n")
        assert self.spec.endswith("\n")
        self.note = note
        # Length given to every time axis the spec leaves free (None).
        self.free_t = free_t
        # Optional spec text of a model that must give the same outputs at
        # inference when handed the same weights in get_weights() order (checked,
        # not written): e.g. the model without its identity-at-inference layers.
        self.same_as = None if same_as is None else same_as.lstrip("\n")


CASES = []


def add(name, spec, note="", free_t=DEFAULT_FREE_T, same_as=None):
    assert all(c.name != name for c in CASES), name
    CASES.append(Case(name, spec, note, free_t, same_as))


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

# --- Non-recurrent layers around RNNs (normalization, attention, convolution,
# pooling, reshaping, Dot, identity-at-inference and activation layers). ---
add("residual_layernorm", """
import keras
from keras import layers

x = keras.Input(shape=(None, 6))
h = layers.LSTM(6, return_sequences=True)(x)
y = layers.Add()([x, h])
y = layers.LayerNormalization()(y)
y = layers.GRU(4)(y)
outputs = layers.Dense(2)(y)
model = keras.Model(x, outputs)
""")

add("layernorm_options", """
import keras
from keras import layers

inputs = keras.Input(shape=(None, 5), name="seq")
x = layers.Dense(6)(inputs)
a = layers.LayerNormalization(epsilon=1e-5, center=False)(x)
s = layers.LSTM(5, return_sequences=True)(a)
b = layers.LayerNormalization(scale=False)(s)
model = keras.Model(inputs, [a, b])
""")

add("luong_attention", """
import keras
from keras import layers

encoder_inputs = keras.Input(shape=(5, 5), name="encoder_inputs")
decoder_inputs = keras.Input(shape=(None, 4), name="decoder_inputs")
encoder_seq = layers.LSTM(6, return_sequences=True)(encoder_inputs)
decoder_seq = layers.LSTM(6, return_sequences=True)(decoder_inputs)
context = layers.Attention()([decoder_seq, encoder_seq])
x = layers.Concatenate()([decoder_seq, context])
outputs = layers.Dense(3)(x)
model = keras.Model([encoder_inputs, decoder_inputs], outputs)
""", note="Tq = 7 (free), Tv = 5 (declared)")

add("attention_options", """
import keras
from keras import layers

query_inputs = keras.Input(shape=(None, 4), name="query")
value_inputs = keras.Input(shape=(5, 5), name="value")
q = layers.LSTM(6, return_sequences=True)(query_inputs)
v = layers.GRU(3, return_sequences=True)(value_inputs)
k = layers.Dense(6)(value_inputs)
attended, scores = layers.Attention(use_scale=True, score_mode="concat")(
    [q, v, k], return_attention_scores=True
)
model = keras.Model([query_inputs, value_inputs], [attended, scores])
""", note="query dim 6, key dim 6, value dim 3; Tq = 7 (free), Tv = 5")

add("additive_attention", """
import keras
from keras import layers

query_inputs = keras.Input(shape=(None, 5))
value_inputs = keras.Input(shape=(6, 4))
q = layers.LSTM(6, return_sequences=True)(query_inputs)
v = layers.LSTM(6, return_sequences=True)(value_inputs)
context = layers.AdditiveAttention()([q, v])
pooled = layers.GlobalAveragePooling1D()(context)
outputs = layers.Dense(2)(pooled)
model = keras.Model([query_inputs, value_inputs], outputs)
""", note="Tq = 7 (free), Tv = 6")

add("conv_pool_lstm", """
import keras
from keras import layers

inputs = keras.Input(shape=(20, 4))
x = layers.Conv1D(8, 3, padding="same", activation="relu")(inputs)
x = layers.MaxPooling1D(2)(x)
x = layers.Conv1D(6, 3, strides=2, padding="valid")(x)
x = layers.LSTM(5)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
""", note="T 20 -> 20 (same) -> 10 (pool 2) -> 4 (k 3, stride 2, valid)")

add("conv_causal_dilated", """
import keras
from keras import layers

inputs = keras.Input(shape=(None, 4))
x = layers.Conv1D(6, 3, padding="causal", dilation_rate=2)(inputs)
pooled = layers.AveragePooling1D(2, padding="same")(x)
outputs = layers.GRU(4)(pooled)
model = keras.Model(inputs, [pooled, outputs])
""", note="fixture T = 9: causal pad 4 on the left keeps 9; "
          "AveragePooling1D(2, same) gives 5, the last window holds one step "
          "and is divided by 1", free_t=9)

add("conv_groups", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 4))
x = layers.Conv1D(8, 2, groups=2, use_bias=False)(inputs)
x = layers.GlobalMaxPooling1D()(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
""", note="kernel (2, 2, 8): group g uses input channels 2g..2g+1, filters 4g..4g+3")

add("sequential_global_max", """
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(None, 5)),
    layers.LSTM(6, return_sequences=True),
    layers.GlobalMaxPooling1D(),
    layers.Dense(2),
])
""")

add("reshape_family", """
import keras
from keras import layers

inputs = keras.Input(shape=(6, 4))
x = layers.LSTM(4, return_sequences=True)(inputs)
x = layers.Permute((2, 1))(x)
x = layers.Flatten()(x)
x = layers.RepeatVector(3)(x)
x = layers.Reshape((3, 4, 6))(x)
seq = layers.Reshape((-1, 6))(x)
outputs = layers.GRU(3)(seq)
model = keras.Model(inputs, [seq, outputs])
""", note="(6,4) -> Permute (4,6) -> Flatten 24 -> RepeatVector (3,24) "
          "-> Reshape (3,4,6) -> Reshape (-1,6) = (12,6)")

add("dot_merge", """
import keras
from keras import layers

a_inputs = keras.Input(shape=(6, 4), name="a")
b_inputs = keras.Input(shape=(None, 5), name="b")
a = layers.LSTM(5)(a_inputs)
b = layers.LSTM(5)(b_inputs)
dot = layers.Dot(axes=1)([a, b])
cosine = layers.Dot(axes=1, normalize=True)([a, b])
seq = layers.LSTM(5, return_sequences=True)(a_inputs)
scores = layers.Dot(axes=(2, 2))([seq, b_inputs])
merged = layers.Concatenate()([dot, cosine])
model = keras.Model([a_inputs, b_inputs], [merged, scores])
""")

add("batchnorm", """
import keras
from keras import layers

inputs = keras.Input(shape=(None, 5))
x = layers.BatchNormalization()(inputs)
x = layers.LSTM(4, return_sequences=True)(x)
x = layers.BatchNormalization(epsilon=1e-2, center=False)(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
""", note="inference: moving statistics; 18 non-trainable params")

add("identity_layers", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 5))
x = layers.SpatialDropout1D(0.2)(inputs)
x = layers.GaussianNoise(0.1)(x)
x = layers.LSTM(6, return_sequences=True)(x)
x = layers.GaussianDropout(0.1)(x)
x = layers.ActivityRegularization(l1=0.01)(x)
x = layers.LSTM(4)(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
""", note="checked: same outputs as the model without the five identity layers",
    same_as="""
import keras
from keras import layers

inputs = keras.Input(shape=(7, 5))
x = layers.LSTM(6, return_sequences=True)(inputs)
x = layers.LSTM(4)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
""")

add("activation_layers", """
import keras
from keras import layers

inputs = keras.Input(shape=(7, 5))
d = layers.Dense(6)(inputs)
seq = layers.LSTM(6, return_sequences=True)(inputs)
relu = layers.ReLU()(d)
clipped = layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2)(d)
leaky = layers.LeakyReLU()(d)
leaky_01 = layers.LeakyReLU(negative_slope=0.1)(d)
elu = layers.ELU(alpha=0.5)(d)
softmax = layers.Softmax()(d)
prelu = layers.PReLU()(d)
prelu_shared = layers.PReLU(shared_axes=[1])(seq)
model = keras.Model(
    inputs, [relu, clipped, leaky, leaky_01, elu, softmax, prelu, prelu_shared]
)
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


def weight_range(leaf, shape):
    """The uniform(lo, hi) a variable is drawn from, by its path's last segment.

    kernel / recurrent_kernel / embeddings / biases: same distribution as
    scripts/make_oracles.py (a Conv1D kernel (k, in/groups, out) has fan_in
    k * in/groups, which is shape[0] for a 2-D kernel). The rest are chosen so
    that no variable keeps its (trivial) initial value and variances stay
    positive.
    """
    if leaf in ("kernel", "recurrent_kernel"):
        fan_in = int(np.prod(shape[:-1]))
        a = 0.5 * min(1.0, np.sqrt(8.0 / fan_in))
        return -a, a
    if leaf == "embeddings":
        return -1.0, 1.0
    if leaf in ("gamma", "moving_variance"):  # Layer/BatchNormalization
        return 0.5, 1.5
    if leaf == "alpha":  # PReLU
        return 0.0, 0.5
    if leaf == "scale":
        if len(shape) == 0:  # Attention(use_scale=True): one scalar
            return 0.5, 1.5
        return -1.0, 1.0  # AdditiveAttention: one per feature
    if leaf == "concat_score_weight":  # Attention(score_mode="concat")
        return 0.5, 1.5
    # biases, beta, moving_mean
    return -0.5, 0.5


def random_weights(model, rng):
    """Same distribution as scripts/make_oracles.py (see weight_range)."""
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        leaf = w.path.split("/")[-1]
        lo, hi = weight_range(leaf, shape)
        values.append(np.asarray(rng.uniform(lo, hi, size=shape), dtype=np.float32))
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


def make_inputs(model, rng, free_t=DEFAULT_FREE_T):
    xs = []
    for t in model.inputs:
        shape = list(t.shape)
        shape[0] = DEFAULT_BATCH if shape[0] is None else shape[0]
        shape = [free_t if d is None else int(d) for d in shape]
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
        # A free axis need not keep the fixture's T (pooling, Reshape(-1)).
        assert len(b.shape) == len(t.shape) and all(
            d is None or d == n for d, n in zip(t.shape[1:], b.shape[1:])
        ), (b.shape, t.shape)
    return {f"output_{i}": o for i, o in enumerate(out)}


# What write_case writes into a case folder (plus input_K.npy); anything else
# there (keras2_summary.txt, summary.txt, graph.inspect, ...) is left alone.
GENERATED = (
    "model.rnn", "weights.npz", "weights_positional.npz", "model.weights.h5",
    "model.keras", "weight_paths.txt", "expected.npz", "summary.json",
    "keras_summary.txt",
)


def is_generated(filename):
    return filename in GENERATED or (
        filename.startswith("input_") and filename.endswith(".npy"))


def remove_generated(d):
    for f in os.listdir(d):
        if is_generated(f):
            os.remove(os.path.join(d, f))


def check_same_as(case, model, xs, outs):
    """The equivalent model given the same weights gives the same outputs."""
    weights = model.get_weights()
    ref = build_model(case.same_as)
    ref.set_weights(weights)
    got = run(ref, xs)
    assert len(got) == len(outs)
    for a, b in zip(got.values(), outs.values()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def write_case(case, out_dir=None, input_maker=None):
    """Write fixtures/functional/<case>/ (or <out_dir>/<case>/).

    input_maker(model, rng, case) -> [array, ...], if given, makes the inputs
    instead of make_inputs (scripts/make_masking_oracles.py uses this).
    """
    model = build_model(case.spec)
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    weights = random_weights(model, rng)
    paths = [w.path for w in model.weights]
    keys = [short_key(model, p) for p in paths]
    assert len(set(keys)) == len(keys), keys

    d = os.path.join(OUT_DIR if out_dir is None else out_dir, case.name)
    os.makedirs(d, exist_ok=True)
    remove_generated(d)
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

    if input_maker is None:
        xs = make_inputs(model, rng, case.free_t)
    else:
        xs = input_maker(model, rng, case)
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

    if case.same_as is not None:
        check_same_as(case, model, xs, outs)

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

Each folder is one Keras model written with the functional API (plus two
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
  Each variable is drawn uniform(lo, hi) by the last segment of its path:
  - `kernel`, `recurrent_kernel`: +-0.5 * min(1, sqrt(8 / fan_in)), fan_in =
    the product of all but the last dimension (`shape[0]` for a 2-D kernel;
    `kernel_size * in_channels / groups` for a Conv1D kernel);
  - `embeddings`: (-1, 1);
  - `bias`, `beta` (Layer/BatchNormalization), `moving_mean`: (-0.5, 0.5);
  - `gamma` (Layer/BatchNormalization), `moving_variance`: (0.5, 1.5), so
    variances stay positive and no scale is all ones;
  - `alpha` (PReLU): (0, 0.5);
  - `scale`: (0.5, 1.5) for Attention's scalar, (-1, 1) for AdditiveAttention's
    vector; `concat_score_weight` (Attention `score_mode="concat"`): (0.5, 1.5).

  BatchNormalization's `moving_mean` / `moving_variance` are non-trainable but
  are in `model.weights` (and so in both npz files and `weight_paths.txt`) in
  creation order: `gamma`, `beta`, `moving_mean`, `moving_variance` per layer.
- `weights_positional.npz` - the same arrays as `arr_0`, `arr_1`, ... in
  `model.get_weights()` order.
- `model.weights.h5` - `model.save_weights(...)`.
- `model.keras` - `model.save(...)` (zip; its `metadata.json` holds the save date,
  so this file is the only one that changes between runs).
- `weight_paths.txt` - Keras' `weight.path` in `model.weights` order, `path<TAB>shape`.
- `input_0.npy`, `input_1.npy`, ... - one per `model.inputs` entry in order: float32
  normal(0, 1), or int32 ids in [0, vocab) for an input that feeds an Embedding;
  batch 3, T = 7 wherever the spec leaves the time axis free (T = 9 for
  `conv_causal_dilated`, so that `AveragePooling1D(2, padding="same")` pads;
  `index.json` gives every fixture shape).
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
and dtypes, output shapes, a `note` (e.g. the shape arithmetic of a conv case), and
any case Keras refused (`omitted`). `identity_layers` is also checked (not written)
against the same model without its dropout / noise / regularization layers, given
the same weights: Keras' outputs agree.

Regenerate (deterministic except `model.keras`) from the repository root:

    pip install -r scripts/requirements-oracles.txt h5py
    KERAS_BACKEND=jax python scripts/make_functional_oracles.py
    KERAS_BACKEND=jax python scripts/make_functional_oracles.py --only chain,batchnorm

`--only` regenerates just the named cases and keeps the other folders and their
`index.json` entries; `--list` prints the case names. The script only replaces the
files it writes; other files in a case folder (`keras2_summary.txt`,
`summary.txt`, `graph.inspect`) are kept.

Not from Keras, written by `UPDATE_GOLDEN=1 cargo test --test golden`:

- `summary.txt` - `rnnc summary` of the spec (Keras 2's layout, Keras 3's names).
- `graph.inspect` - `rnnc inspect` of the spec compiled with `weights.npz`, so
  that a backend change shows as a diff.
"""


def parse_args(argv, cases=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", metavar="CASE[,CASE...]",
        help="regenerate only these cases (comma-separated); the other case "
             "folders are left untouched and keep their index.json entries")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--out-dir", metavar="DIR",
        help="write the case folders, index.json and README.md into DIR "
             "instead of the default fixtures folder (e.g. to compare a "
             "regeneration with the committed fixtures)")
    args = parser.parse_args(argv)
    names = [c.name for c in (CASES if cases is None else cases)]
    if args.only is not None:
        only = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in only if n not in names]
        if unknown or not only:
            parser.error(f"unknown case(s) {unknown}; cases: {', '.join(names)}")
        args.only = set(only)
    return args


def main(argv=None, cases=None, out_dir=None, readme=None, input_maker=None):
    """Generate the fixtures. The keyword arguments let another generator
    (scripts/make_masking_oracles.py) reuse this one: its own case list,
    default output folder, README text (formatted with the same fields as
    README) and input maker (see write_case). `--out-dir` overrides out_dir."""
    import h5py
    import jax

    cases = CASES if cases is None else cases
    readme = README if readme is None else readme
    args = parse_args(sys.argv[1:] if argv is None else argv, cases)
    if args.list:
        for case in cases:
            print(case.name)
        return
    out_dir = OUT_DIR if out_dir is None else out_dir
    if args.out_dir is not None:
        out_dir = os.path.abspath(args.out_dir)
    selected = [c for c in cases if args.only is None or c.name in args.only]

    os.makedirs(out_dir, exist_ok=True)
    names = {c.name for c in cases}
    if args.only is None:
        # A full run drops the folders of cases that are no longer listed.
        for entry in sorted(os.listdir(out_dir)):
            p = os.path.join(out_dir, entry)
            if (entry not in names and os.path.isdir(p)
                    and os.path.exists(os.path.join(p, "model.rnn"))):
                shutil.rmtree(p)

    # index.json entries of the cases this run does not regenerate.
    previous = {}
    index_path = os.path.join(out_dir, "index.json")
    if args.only is not None and os.path.exists(index_path):
        with open(index_path) as f:
            old = json.load(f)
        for entry in old.get("cases", []):
            previous[entry["name"]] = ("case", entry)
        for entry in old.get("omitted", []):
            previous[entry["name"]] = ("omitted", entry)

    results = {}
    for case in selected:
        try:
            info, peak, size = write_case(case, out_dir, input_maker)
        except Exception as e:  # noqa: BLE001
            d = os.path.join(out_dir, case.name)
            if os.path.isdir(d):
                remove_generated(d)
                if not os.listdir(d):
                    os.rmdir(d)
            err = f"{type(e).__name__}: {e}"
            results[case.name] = ("omitted", {
                "name": case.name, "spec": case.spec, "keras_error": err})
            print(f"OMITTED {case.name}: {err}")
            continue
        results[case.name] = ("case", info)
        print(f"{case.name}: inputs {[i['fixture_shape'] for i in info['inputs']]} "
              f"outputs {info['outputs']} max|y| {peak:.3f} {size / 1024:.1f} KiB")

    index = []
    omitted = []
    for case in cases:
        kind_entry = results.get(case.name) or previous.get(case.name)
        if kind_entry is None:
            continue
        kind, entry = kind_entry
        (index if kind == "case" else omitted).append(entry)

    with open(index_path, "w") as f:
        json.dump({
            "keras_version": keras.__version__,
            "jax_version": jax.__version__,
            "numpy_version": np.__version__,
            "h5py_version": h5py.__version__,
            "cases": index,
            "omitted": omitted,
        }, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(readme.format(keras=keras.__version__, jax=jax.__version__,
                              numpy=np.__version__, h5py=h5py.__version__,
                              keras2=KERAS2_VERSION))
    written = sum(1 for k, _ in results.values() if k == "case")
    print(f"{written} cases written to {out_dir}, "
          f"{len(results) - written} omitted; index.json lists "
          f"{len(index)} cases, {len(omitted)} omitted")


if __name__ == "__main__":
    main()
