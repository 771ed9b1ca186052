#!/usr/bin/env python3
"""Write fixtures/model_files/: full Keras model files written by real Keras 2
(tf-keras, legacy HDF5 `model.h5`) and real Keras 3 (`model.keras`, and Keras
3's own legacy `model.h5`), with Keras' own predictions as expected outputs.

Run from the repository root:

    # everything (runs the two commands below, each under its own venv):
    python3 scripts/make_model_files.py

    # Keras 2 cases only (tf-keras 2.21 on TensorFlow 2.21, CPU):
    TF_USE_LEGACY_KERAS=1 /work/venv-tf/bin/python scripts/make_model_files.py --keras 2

    # Keras 3 cases only (keras 3.15.1 on jax):
    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_model_files.py --keras 3

    # then the hand-made old dialects (copies of some Keras 2 files above):
    /work/venv-tf/bin/python scripts/make_model_files_dialects.py

`--only NAME[,NAME...]` restricts to some cases, `--list` lists them.  The
interpreters used by the no-argument form can be changed with the environment
variables RNNC_KERAS2_PYTHON / RNNC_KERAS3_PYTHON.

Each case writes fixtures/model_files/<case>/:
  model.h5 / model.keras   model.save(...) of the model (architecture + weights)
  input_K.npy              one per model input, in model.inputs order: float32
                           normal(0, 1), batch 3, T = 7 where the time axis is
                           free; int32 ids in [1, vocab) for Embedding inputs
                           (mask_zero cases get trailing zeros in some rows,
                           never a fully padded row)
  expected.npz             output_K = model.predict(...) in model.outputs order

Every weight is overwritten after building with uniform(-0.5, 0.5) values
(biases too) from numpy's default_rng(seed of the case); inputs are drawn from
default_rng(seed + 1000).  The .npy/.npz files are byte-for-byte deterministic
(the .npz members get a fixed 1980-01-01 zip date instead of numpy's "now");
model.h5 files are deterministic too (HDF5 does not record times here) and
model.keras differs only by its save date (metadata.json, zip member dates).

The CuDNN cases (k2_cudnn_lstm, k2_cudnn_gru) cannot run on a CPU: their
expected outputs come from the equivalent CPU layer (LSTM / GRU(reset_after=True),
sigmoid recurrent activation) into which tf-keras' legacy loader converted the
CuDNN weights (`load_weights("model.h5")`, which calls `_convert_rnn_weights`
in tf_keras/src/saving/legacy/hdf5_format.py).  The script checks that the
conversion happened and prints the shapes.

Every saved model is reloaded with the Keras that wrote it and must reproduce
the expected outputs (CuDNN cases: the CPU model must reproduce them).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "fixtures", "model_files")

BATCH = 3
FREE_T = 7

KERAS2_PYTHON = os.environ.get("RNNC_KERAS2_PYTHON", "/work/venv-tf/bin/python")
KERAS3_PYTHON = os.environ.get("RNNC_KERAS3_PYTHON", "/work/venv/bin/python")


# ---------------------------------------------------------------------------
# Deterministic .npy / .npz writers
# ---------------------------------------------------------------------------
def save_npy(path, arr):
    import numpy as np

    np.save(path, arr)


def save_npz(path, arrays):
    """Like np.savez(path, **arrays), but with a fixed member date (numpy
    stamps each member with the current time)."""
    import numpy as np

    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_STORED,
                         allowZip64=True) as zf:
        for key, val in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as fid:
                np.lib.format.write_array(fid, np.asanyarray(val),
                                          allow_pickle=False)


# ---------------------------------------------------------------------------
# Shared helpers (both Keras versions)
# ---------------------------------------------------------------------------
def randomize_weights(model, seed):
    """Overwrite every floating-point weight with uniform(-0.5, 0.5)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    new = []
    for w in model.get_weights():
        w = np.asarray(w)
        if np.issubdtype(w.dtype, np.floating):
            w = rng.uniform(-0.5, 0.5, size=w.shape).astype(w.dtype)
        new.append(w)
    model.set_weights(new)


def make_inputs(model, seed, ids=None):
    """One array per model input.  `ids` maps an input index to
    (vocab, lengths): int32 ids in [1, vocab) with zeros after lengths[row]."""
    import numpy as np

    rng = np.random.default_rng(seed + 1000)
    arrays = []
    for k, x in enumerate(model.inputs):
        shape = [BATCH] + [FREE_T if d is None else int(d) for d in tuple(x.shape)[1:]]
        if ids and k in ids:
            vocab, lengths = ids[k]
            a = rng.integers(1, vocab, size=shape).astype(np.int32)
            for row, n in enumerate(lengths):
                assert 1 <= n <= shape[1]
                a[row, n:] = 0
        else:
            a = rng.standard_normal(size=shape).astype(np.float32)
        arrays.append(a)
    return arrays


def feed(inputs):
    """What to hand to predict: the array itself for a one-input model."""
    return inputs[0] if len(inputs) == 1 else inputs


def as_list(outs):
    return list(outs) if isinstance(outs, (list, tuple)) else [outs]


def write_case(name, model_file_written, inputs, outputs):
    import numpy as np

    d = os.path.join(OUT_DIR, name)
    for k, a in enumerate(inputs):
        save_npy(os.path.join(d, "input_%d.npy" % k), a)
    save_npz(os.path.join(d, "expected.npz"),
             {"output_%d" % k: np.asarray(o, dtype=np.float32)
              for k, o in enumerate(outputs)})
    files = sorted(os.listdir(d))
    print("  %s: %s; outputs %s" % (name, ", ".join(files),
                                   [tuple(np.shape(o)) for o in outputs]))
    assert model_file_written in files


def fresh_dir(name):
    d = os.path.join(OUT_DIR, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def check_h5_root_attrs(path):
    import h5py

    with h5py.File(path, "r") as f:
        for key in ("model_config", "keras_version"):
            assert key in f.attrs, "%s lacks root attribute %s" % (path, key)
        cfg = f.attrs["model_config"]
        if isinstance(cfg, bytes):
            cfg = cfg.decode("utf8")
        json.loads(cfg)
        kv = f.attrs["keras_version"]
        return kv.decode() if isinstance(kv, bytes) else str(kv)


def assert_close(name, got, want, what):
    import numpy as np

    got, want = as_list(got), as_list(want)
    assert len(got) == len(want), (name, what, len(got), len(want))
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.shape == w.shape, (name, what, g.shape, w.shape)
        err = float(np.max(np.abs(g - w))) if g.size else 0.0
        assert err <= 1e-5, "%s: %s differs by %g" % (name, what, err)


# ---------------------------------------------------------------------------
# Keras 2 (tf-keras) cases
# ---------------------------------------------------------------------------
def keras2_cases(keras, tf):
    L = keras.layers

    def k2_lstm_hard_sigmoid():
        return keras.Sequential([
            L.LSTM(8, recurrent_activation="hard_sigmoid", return_sequences=True,
                   input_shape=(None, 5)),
            L.LSTM(6, recurrent_activation="hard_sigmoid"),
            L.Dense(3, activation="hard_sigmoid"),
        ])

    def k2_gru_reset_before():
        return keras.Sequential([
            L.GRU(6, reset_after=False, return_sequences=True, input_shape=(None, 4)),
            L.TimeDistributed(L.Dense(3)),
        ])

    def k2_gru_reset_after_simple():
        return keras.Sequential([
            L.SimpleRNN(5, return_sequences=True, input_shape=(7, 4)),
            L.GRU(4),
            L.Dense(2, activation="softmax"),
        ])

    def k2_bidir_backward_layer():
        return keras.Sequential([
            L.Bidirectional(
                L.LSTM(5, return_sequences=True),
                backward_layer=L.LSTM(5, return_sequences=True, go_backwards=True),
                input_shape=(None, 4)),
            L.Bidirectional(L.GRU(3), merge_mode="sum"),
            L.Dense(2),
        ])

    def k2_bidir_backward_differs():
        return keras.Sequential([
            L.Bidirectional(
                L.LSTM(5, return_sequences=True),
                backward_layer=L.LSTM(5, return_sequences=True, go_backwards=True,
                                      activation="relu"),
                input_shape=(None, 4)),
            L.Bidirectional(L.GRU(3), merge_mode="sum"),
            L.Dense(2),
        ])

    def k2_seq2seq_initial_state():
        enc_in = keras.Input((None, 5))
        _, h, c = L.LSTM(6, return_state=True)(enc_in)
        dec_in = keras.Input((None, 4))
        dec = L.LSTM(6, return_sequences=True)(dec_in, initial_state=[h, c])
        out = L.Dense(3, activation="softmax")(dec)
        return keras.Model([enc_in, dec_in], out)

    def k2_embedding_masked():
        return keras.Sequential([
            L.Embedding(20, 6, mask_zero=True, input_length=None),
            L.SimpleRNN(5, return_sequences=True),
            L.LSTM(4),
            L.Dense(1, activation="sigmoid"),
        ])

    def k2_cudnn_lstm():
        return keras.Sequential([
            tf.compat.v1.keras.layers.CuDNNLSTM(6, return_sequences=True,
                                                input_shape=(None, 4)),
            L.Dense(2),
        ])

    def k2_cudnn_lstm_cpu():
        return keras.Sequential([
            L.LSTM(6, return_sequences=True, recurrent_activation="sigmoid",
                   input_shape=(None, 4)),
            L.Dense(2),
        ])

    def k2_cudnn_gru():
        return keras.Sequential([
            tf.compat.v1.keras.layers.CuDNNGRU(6, return_sequences=True,
                                               input_shape=(None, 4)),
            L.Dense(2),
        ])

    def k2_cudnn_gru_cpu():
        return keras.Sequential([
            L.GRU(6, return_sequences=True, reset_after=True,
                  recurrent_activation="sigmoid", input_shape=(None, 4)),
            L.Dense(2),
        ])

    def k2_rnn_cells():
        return keras.Sequential([
            L.RNN(L.LSTMCell(6), return_sequences=True, input_shape=(None, 5)),
            L.RNN([L.GRUCell(4), L.SimpleRNNCell(3)]),
            L.Dense(2),
        ])

    def k2_rnn_cell():
        return keras.Sequential([
            L.RNN(L.LSTMCell(6), return_sequences=True, input_shape=(None, 5)),
            L.RNN(L.GRUCell(4, reset_after=False), return_sequences=True),
            L.RNN(L.SimpleRNNCell(3, activation="relu"), go_backwards=True),
            L.Dense(2),
        ])

    # (name, builder, seed, ids, cpu twin for CuDNN cases)
    return [
        ("k2_rnn_cell", k2_rnn_cell, 211, None, None),
        ("k2_lstm_hard_sigmoid", k2_lstm_hard_sigmoid, 201, None, None),
        ("k2_gru_reset_before", k2_gru_reset_before, 202, None, None),
        ("k2_gru_reset_after_simple", k2_gru_reset_after_simple, 203, None, None),
        ("k2_bidir_backward_layer", k2_bidir_backward_layer, 204, None, None),
        ("k2_bidir_backward_differs", k2_bidir_backward_differs, 205, None, None),
        ("k2_seq2seq_initial_state", k2_seq2seq_initial_state, 206, None, None),
        ("k2_embedding_masked", k2_embedding_masked, 207,
         {0: (20, (7, 5, 3))}, None),
        ("k2_cudnn_lstm", k2_cudnn_lstm, 208, None, k2_cudnn_lstm_cpu),
        ("k2_cudnn_gru", k2_cudnn_gru, 209, None, k2_cudnn_gru_cpu),
        ("k2_rnn_cells", k2_rnn_cells, 210, None, None),
    ]


def expected_cudnn_conversion(file_weights, kind, units):
    """What _convert_rnn_weights should produce from the CuDNN arrays stored
    in the file, written out independently (numpy only)."""
    import numpy as np

    kernel, rec, bias = file_weights
    n_gates = 4 if kind == "lstm" else 3

    def per_gate(m, fn):
        return np.hstack([fn(g) for g in np.hsplit(m, n_gates)])

    # The CuDNN layers hand each gate's (in, units) slice to cuDNN flattened
    # in C order, which cuDNN reads as a row-major (units, in) matrix, so the
    # Keras kernel of that gate is that flat buffer read as (in, units) in
    # Fortran order; the recurrent kernels likewise (square: a transpose).
    k = per_gate(kernel, lambda g: g.reshape(-1).reshape(g.shape, order="F"))
    r = per_gate(rec, lambda g: g.T)
    if kind == "lstm":
        b = bias[: 4 * units] + bias[4 * units:]
    else:
        b = bias.reshape(2, 3 * units)
    return [k, r, b]


def run_keras2(only):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import h5py
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    print("tensorflow %s, tf-keras %s, h5py %s, numpy %s"
          % (tf.__version__, keras.__version__, h5py.__version__, np.__version__))
    hs = float(keras.activations.hard_sigmoid(tf.constant(2.0)).numpy())
    print("tf_keras.activations.hard_sigmoid(2.0) = %r "
          "(clip(0.2 x + 0.5, 0, 1) gives 0.9)" % hs)
    assert abs(hs - 0.9) < 1e-6

    for name, build, seed, ids, cpu_twin in keras2_cases(keras, tf):
        if only and name not in only:
            continue
        d = fresh_dir(name)
        path = os.path.join(d, "model.h5")
        keras.backend.clear_session()
        model = build()
        randomize_weights(model, seed)
        inputs = make_inputs(model, seed, ids)
        model.save(path)
        kv = check_h5_root_attrs(path)
        if cpu_twin is None:
            outputs = as_list(model.predict(feed(inputs), batch_size=BATCH, verbose=0))
            keras.backend.clear_session()
            again = keras.models.load_model(path, compile=False)
            assert_close(name, again.predict(feed(inputs), batch_size=BATCH, verbose=0),
                         outputs, "reloaded model")
        else:
            kind = "lstm" if "lstm" in name else "gru"
            with h5py.File(path, "r") as f:
                g = f["model_weights"][model.layers[0].name]
                names = [n.decode() if isinstance(n, bytes) else n
                         for n in g.attrs["weight_names"]]
                file_w = [np.asarray(g[n]) for n in names]
            keras.backend.clear_session()
            cpu = cpu_twin()
            cpu.load_weights(path)
            got = cpu.layers[0].get_weights()
            want = expected_cudnn_conversion(file_w, kind, 6)
            print("  %s: in the file %s; after load_weights into %s: %s"
                  % (name, [(n, w.shape) for n, w in zip(names, file_w)],
                     type(cpu.layers[0]).__name__,
                     [(w.name, tuple(w.shape)) for w in cpu.layers[0].weights]))
            for a, b in zip(got, want):
                assert a.shape == b.shape and np.array_equal(a, b), \
                    "%s: conversion is not the expected one" % name
            assert got[2].shape != file_w[2].shape
            outputs = as_list(cpu.predict(feed(inputs), batch_size=BATCH, verbose=0))
        write_case(name, "model.h5", inputs, outputs)
        print("    keras_version %s" % kv)


# ---------------------------------------------------------------------------
# Keras 3 cases
# ---------------------------------------------------------------------------
def run_keras3(only):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import h5py
    import jax
    import keras
    import numpy as np

    print("keras %s (backend %s), jax %s, h5py %s, numpy %s"
          % (keras.__version__, keras.backend.backend(), jax.__version__,
             h5py.__version__, np.__version__))
    L = keras.layers

    def k3_rnn_cells():
        return keras.Sequential([
            keras.Input(shape=(None, 5)),
            L.RNN(L.LSTMCell(6), return_sequences=True),
            L.RNN([L.GRUCell(4), L.SimpleRNNCell(3)]),
            L.Dense(2),
        ])

    def k3_rnn_cell():
        inputs = keras.Input(shape=(None, 5), name="seq")
        seq, h, c = L.RNN(L.LSTMCell(6), return_sequences=True, return_state=True)(inputs)
        last = L.RNN(L.GRUCell(4, reset_after=False))(seq)
        back = L.RNN(L.SimpleRNNCell(3), go_backwards=True)(seq)
        bidir = L.Bidirectional(L.RNN(L.GRUCell(2)))(inputs)
        return keras.Model(inputs, [last, back, h, bidir])

    def k3_bidir_backward_layer():
        inputs = keras.Input(shape=(None, 4), name="seq")
        x = L.Bidirectional(
            L.LSTM(5, return_sequences=True),
            backward_layer=L.LSTM(5, return_sequences=True, go_backwards=True, activation="relu"),
        )(inputs)
        y = L.Bidirectional(
            L.GRU(3),
            backward_layer=L.GRU(3, go_backwards=True, recurrent_activation="hard_sigmoid"),
            merge_mode="mul",
        )(x)
        return keras.Model(inputs, [x, y])

    def k3_stacked_cells():
        # Stacked cells with a mask, return_state, go_backwards and
        # initial_state: each must follow StackedRNNCells, not a chain of
        # layers.
        tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
        emb = L.Embedding(20, 5, mask_zero=True)(tokens)
        # Keras returns the LSTM cell's states as a list of their own.
        seq, (h1, c1), h2 = L.RNN([L.LSTMCell(6), L.GRUCell(4)], return_sequences=True,
                                  return_state=True)(emb)
        back = L.RNN([L.SimpleRNNCell(3), L.LSTMCell(2)], go_backwards=True,
                     return_sequences=True)(emb)
        start = L.Dense(3)(h1)
        last = L.RNN([L.GRUCell(4), L.GRUCell(3, reset_after=False)])(
            seq, initial_state=[h2, start])
        return keras.Model(tokens, [seq, h1, c1, h2, back, last])

    def k3_lstm_sequence_into_scan():
        # A native LSTM's sequence read by recurrent layers that rnnc lowers
        # to Scan and that return their last step (docs/runtimes.md).
        inputs = keras.Input(shape=(None, 3), name="seq")
        x = L.LSTM(4, return_sequences=True)(inputs)
        a = L.SimpleRNN(3)(x)
        b = L.GRU(2, activation="relu")(x)
        stack = L.RNN([L.SimpleRNNCell(2), L.LSTMCell(3), L.SimpleRNNCell(2)], go_backwards=True)(inputs)
        return keras.Model(inputs, [a, b, stack])

    def k3_sequential_h5():
        return keras.Sequential([
            keras.Input(shape=(None, 3)),
            L.LSTM(6, return_sequences=True),
            L.GRU(4),
            L.Dense(2),
        ])

    cases = [
        ("k3_rnn_cells", k3_rnn_cells, 310, "model.keras"),
        ("k3_rnn_cell", k3_rnn_cell, 312, "model.keras"),
        ("k3_bidir_backward_layer", k3_bidir_backward_layer, 313, "model.keras"),
        ("k3_stacked_cells", k3_stacked_cells, 314, "model.keras"),
        ("k3_lstm_sequence_into_scan", k3_lstm_sequence_into_scan, 315, "model.keras"),
        ("k3_sequential_h5", k3_sequential_h5, 311, "model.h5"),
    ]
    ids = {"k3_stacked_cells": {0: (20, (7, 5, 3))}}
    for name, build, seed, fname in cases:
        if only and name not in only:
            continue
        d = fresh_dir(name)
        path = os.path.join(d, fname)
        keras.backend.clear_session()
        model = build()
        randomize_weights(model, seed)
        inputs = make_inputs(model, seed, ids.get(name))
        outputs = as_list(model.predict(feed(inputs), batch_size=BATCH, verbose=0))
        model.save(path)
        if fname.endswith(".h5"):
            print("    keras_version %s" % check_h5_root_attrs(path))
        keras.backend.clear_session()
        again = keras.saving.load_model(path, compile=False)
        assert_close(name, again.predict(feed(inputs), batch_size=BATCH, verbose=0),
                     outputs, "reloaded model")
        write_case(name, fname, inputs, outputs)


# ---------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keras", choices=["2", "3"],
                    help="write only this Keras' cases, in this interpreter")
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    if args.list:
        for n in ["k2_lstm_hard_sigmoid", "k2_gru_reset_before",
                  "k2_gru_reset_after_simple", "k2_bidir_backward_layer",
                  "k2_bidir_backward_differs", "k2_seq2seq_initial_state",
                  "k2_embedding_masked", "k2_cudnn_lstm", "k2_cudnn_gru",
                  "k2_rnn_cells", "k2_rnn_cell", "k3_rnn_cells", "k3_rnn_cell",
                  "k3_bidir_backward_layer", "k3_stacked_cells", "k3_lstm_sequence_into_scan",
                  "k3_sequential_h5"]:
            print(n)
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    if args.keras == "2":
        run_keras2(only)
    elif args.keras == "3":
        run_keras3(only)
    else:
        me = os.path.abspath(__file__)
        extra = ["--only", args.only] if args.only else []
        env2 = dict(os.environ, TF_USE_LEGACY_KERAS="1")
        env3 = dict(os.environ, KERAS_BACKEND="jax")
        subprocess.run([KERAS2_PYTHON, me, "--keras", "2"] + extra,
                       env=env2, check=True)
        subprocess.run([KERAS3_PYTHON, me, "--keras", "3"] + extra,
                       env=env3, check=True)


if __name__ == "__main__":
    main()
