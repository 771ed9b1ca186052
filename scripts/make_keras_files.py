#!/usr/bin/env python3
"""Write real Keras 3 weight files for a few oracle cases.

Run from the repository root (after scripts/make_oracles.py):

    KERAS_BACKEND=jax python scripts/make_keras_files.py

For each case in CASES this rebuilds the model exactly as make_oracles.py does
(same spec text, same builder), loads the case's fixtures/oracle/<case>/weights.npz
into it (in `model.weights` order, i.e. the order of weight_paths.txt), and
writes fixtures/keras_files/<case>/
  model.weights.h5  model.save_weights(...)
  model.keras       model.save(...)
so rnnc's loader can be tested on the files Keras users actually have, against
the same arrays as weights.npz.

Extra folders, all holding the tutorial_simple_rnn weights:
  tutorial_simple_rnn_renamed/  saved from a model built without clearing the
      Keras session first, so its layer is called `simple_rnn_1`, not
      `simple_rnn`: a user who built the model twice in one notebook;
  tutorial_simple_rnn_float64/  model.weights.h5 with the arrays stored as
      float64 (what a float64 model on the TensorFlow backend writes);
  tutorial_simple_rnn_legacy/   variants of the legacy files below: weights.h5
      with float64 arrays (weights_float64.h5) and with `layer_names` split into
      numbered chunks (weights_chunked.h5, `weight_names` too), as Keras does past 64 KiB.

For each case in LEGACY_CASES it also writes the legacy Keras 2 HDF5 files
that tutorial-era (TF 2.x tf.keras) users have:
  model.h5     model.save("model.h5"): Keras 3's own legacy writer, weights
               under `model_weights`, names as variable-length strings;
  weights.h5   what Keras 2's model.save_weights("weights.h5") wrote, rebuilt
               with h5py after Keras 2's save_weights_to_hdf5_group (Keras 3
               refuses to write it): weights at the root, names as fixed-length
               byte strings (h5py 2, which TF 2.0-2.3 pinned), weight names in
               TF 2 style (`simple_rnn/simple_rnn_cell/kernel:0`).

With --show, prints the HDF5 layout of one file of each kind of layer.
"""

import json
import os
import shutil
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_oracles  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE_DIR = os.path.join(REPO_ROOT, "fixtures", "oracle")
OUT_DIR = os.path.join(REPO_ROOT, "fixtures", "keras_files")

CASES = [
    "tutorial_simple_rnn",
    "tutorial_deep_bidirectional",
    "lstm_return_state_seq",
    "gru_reset_before_seq",
    "bidir_gru_merge_ave_seq",
    "text_classifier_bidir_lstm",
    "tagger_lstm_time_distributed",
    "stacked_lstm_gru_simple_rnn",
]
RENAMED = "tutorial_simple_rnn"
# Cases with legacy Keras 2 files; lstm_dropout_dense has weightless layers
# between weighted ones, which Keras 2's loader skips when matching by position.
LEGACY_CASES = [
    "tutorial_simple_rnn",
    "tutorial_deep_bidirectional",
    "lstm_return_state_seq",
    "gru_reset_before_seq",
    "text_classifier_bidir_lstm",
    "tagger_lstm_time_distributed",
    "stacked_lstm_gru_simple_rnn",
    "lstm_dropout_dense",
]


def build_spec(name, index):
    entry = next(c for c in index["cases"] if c["name"] == name)
    if entry["keras3_spec"]:
        return entry["keras3_spec"]
    with open(os.path.join(ORACLE_DIR, name, "model.rnn"), encoding="utf-8") as f:
        return f.read()


def load_oracle_weights(model, name):
    """The case's weights.npz arrays in model.weights order."""
    npz = np.load(os.path.join(ORACLE_DIR, name, "weights.npz"))
    with open(os.path.join(ORACLE_DIR, name, "weight_paths.txt")) as f:
        paths = [line.split("\t")[0] for line in f if line.strip()]
    got = [w.path for w in model.weights]
    if got != paths:
        raise SystemExit(f"{name}: model.weights paths differ from weight_paths.txt:\n{got}\n{paths}")
    return [npz[make_oracles.short_key(p)] for p in paths]


def write(model, values, out):
    model.set_weights(values)
    for got, want in zip(model.get_weights(), values):
        assert np.array_equal(np.asarray(got), want)
    os.makedirs(out)
    model.save_weights(os.path.join(out, "model.weights.h5"))
    model.save(os.path.join(out, "model.keras"))


def keras2_weight_name(path):
    """Keras 3's `sequential/lstm/lstm_cell/kernel` as TF 2's variable name
    `lstm/lstm_cell/kernel:0`."""
    return path.split("/", 1)[1] + ":0"


def save_attribute(group, name, values, chunks):
    """Keras 2's save_attributes_to_hdf5_group with fixed-length byte strings;
    with chunks > 1, split into `name0`, `name1`, … as Keras does past 64 KiB."""
    data = np.asarray(values) if values else np.asarray([])
    if chunks > 1:
        for i, chunk in enumerate(np.array_split(data, chunks)):
            group.attrs[f"{name}{i}"] = chunk
    else:
        group.attrs[name] = data


def write_keras2_weights(model, path, dtype=None, chunks=1):
    """Keras 2's model.save_weights(path) for an .h5 path (legacy format)."""
    with h5py.File(path, "w") as f:
        save_attribute(f, "layer_names", [l.name.encode("utf8") for l in model.layers], chunks)
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.11.0"
        for layer in sorted(model.layers, key=lambda l: l.name):
            g = f.create_group(layer.name)
            weights = layer.trainable_weights + layer.non_trainable_weights
            names = [keras2_weight_name(w.path).encode("utf8") for w in weights]
            save_attribute(g, "weight_names", names, chunks)
            for name, w in zip(names, weights):
                value = keras.ops.convert_to_numpy(w)
                g.create_dataset(name, data=value.astype(dtype or value.dtype))


def write_legacy(model, values, out):
    model.set_weights(values)
    os.makedirs(out, exist_ok=True)
    model.save(os.path.join(out, "model.h5"))
    write_keras2_weights(model, os.path.join(out, "weights.h5"))


def show(path):
    print(f"--- {os.path.relpath(path, REPO_ROOT)}")
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                print(f"  {name}  {obj.dtype} {obj.shape}")
            else:
                print(f"  {name}/  attrs={dict(obj.attrs)}")
        f.visititems(visit)


def main():
    with open(os.path.join(ORACLE_DIR, "index.json")) as f:
        index = json.load(f)
    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)

    for name in CASES:
        model = make_oracles.build_model(build_spec(name, index))
        write(model, load_oracle_weights(model, name), os.path.join(OUT_DIR, name))
        print(f"{name}: {len(model.weights)} arrays")

    # Build twice without clear_session: the second model's layers get `_1` names.
    keras.utils.clear_session()
    spec = build_spec(RENAMED, index)
    ns = make_oracles.base_namespace()
    exec(spec, ns)
    exec(spec, ns)
    model = ns["model"]
    values = [
        np.load(os.path.join(ORACLE_DIR, RENAMED, "weights.npz"))[k]
        for k in ("simple_rnn/kernel", "simple_rnn/recurrent_kernel", "simple_rnn/bias")
    ]
    write(model, values, os.path.join(OUT_DIR, RENAMED + "_renamed"))
    print(f"{RENAMED}_renamed: layers {[l.name for l in model.layers]}")

    # JAX computes in float32 unless x64 is enabled, so Keras writes float32 even
    # for a float64 model here; TensorFlow-backend float64 models store float64.
    # Rewrite the arrays as float64 in place, keeping Keras' layout.
    out = os.path.join(OUT_DIR, RENAMED + "_float64")
    os.makedirs(out)
    shutil.copy(os.path.join(OUT_DIR, RENAMED, "model.weights.h5"), out)
    with h5py.File(os.path.join(out, "model.weights.h5"), "r+") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in names:
            data = f[n][()].astype(np.float64)
            del f[n]
            f[n] = data
    print(f"{RENAMED}_float64: {len(names)} arrays as float64")

    for name in LEGACY_CASES:
        model = make_oracles.build_model(build_spec(name, index))
        write_legacy(model, load_oracle_weights(model, name), os.path.join(OUT_DIR, name))
        print(f"{name}: legacy model.h5 and weights.h5")

    model = make_oracles.build_model(spec)
    model.set_weights(values)
    out = os.path.join(OUT_DIR, RENAMED + "_legacy")
    os.makedirs(out)
    write_keras2_weights(model, os.path.join(out, "weights_float64.h5"), dtype=np.float64)
    write_keras2_weights(model, os.path.join(out, "weights_chunked.h5"), chunks=2)
    print(f"{RENAMED}_legacy: float64 and chunked legacy weights")

    if "--show" in sys.argv:
        for name in ["tutorial_deep_bidirectional", "text_classifier_bidir_lstm",
                     "tagger_lstm_time_distributed", RENAMED + "_renamed"]:
            show(os.path.join(OUT_DIR, name, "model.weights.h5"))
        for name in ["tutorial_deep_bidirectional", "lstm_dropout_dense"]:
            show(os.path.join(OUT_DIR, name, "model.h5"))
            show(os.path.join(OUT_DIR, name, "weights.h5"))


if __name__ == "__main__":
    main()
