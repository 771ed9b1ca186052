#!/usr/bin/env python3
"""Hand-made old Keras dialects of real Keras 2 `model.h5` files.

Run from the repository root, after scripts/make_model_files.py --keras 2
(needs only h5py and numpy; /work/venv-tf or /work/venv both work):

    /work/venv-tf/bin/python scripts/make_model_files_dialects.py

    # also reload every file written with tf-keras and compare with
    # expected.npz (needs /work/venv-tf):
    TF_USE_LEGACY_KERAS=1 /work/venv-tf/bin/python scripts/make_model_files_dialects.py --check

Keras <= 2.2.2 and tf.keras 2.0-2.12 cannot be installed here (no wheels for
this Python), so these files are made by copying a real file written by
tf-keras 2.21 (fixtures/model_files/<source>/model.h5) and rewriting only
attributes: the root `model_config` (the architecture, rewritten to the old
dialect) and `keras_version` (root and `model_weights`: an old file has its
version in both), plus the storage type of the string attributes.  Every
weight dataset and its path, and the `layer_names` / `weight_names` values,
are copied unchanged, so the expected outputs of the source case still hold;
the inputs and expected.npz are copied from the source case.  (Names are the
tf-keras 2.21 ones, e.g. `lstm/lstm_cell/kernel:0` and layer `lstm`, where
Keras 2.2.2 would have said `lstm_1/kernel:0` and `lstm_1`; the empty
`top_level_model_weights` group of tf-keras files is kept.)

String attributes are stored as the imitated Keras stored them: Keras passes
`model_config` as json `.encode('utf8')` bytes, `keras_version` / `backend`
as bytes (Keras 2.2.2) or str (tf.keras), and name lists as lists of bytes.
h5py 2 (Keras 2.2.2; tf.keras in TF 2.0-2.4 pinned h5py 2.10) stored bytes as
FIXED-length strings (numpy |S<n>) and lists of bytes as fixed-length string
arrays, str as variable-length UTF-8; h5py 3 (TF 2.5+) stores bytes as
variable-length ASCII and str as variable-length UTF-8, as in the tf-keras
2.21 source files.

Dialects (sources are the Keras git history, keras-team/keras tags, and
tensorflow's tensorflow/python/keras for TF 2.0-2.3):

k2_2_2_list_sequential (from k2_lstm_hard_sigmoid)
    Keras 2.2.2 (and every Keras 2.x before 2.2.3): `Sequential.get_config` in
    keras/engine/sequential.py returns a bare LIST of
    {"class_name", "config"} dicts, one per layer of `Sequential.layers`,
    which omits the auto-created InputLayer; only the first layer has
    `batch_input_shape` and `dtype` (`Layer.__init__` / `Layer.get_config` in
    keras/engine/base_layer.py set them only for a layer given an input
    shape).  Keras 2.2.3 switched to {"name", "layers"} (keras-team/keras
    PR #11133).  Layer configs: `RNN.get_config` (return_sequences,
    return_state, go_backwards, stateful, unroll; no time_major) and
    `LSTM.get_config` (units ... implementation, with activity_regularizer) in
    keras/layers/recurrent.py, `Dense.get_config` in keras/layers/core.py;
    initializers via `serialize_keras_object` ({"class_name", "config"}), the
    glorot_uniform function being a VarianceScaling(1.0, fan_avg, uniform)
    instance (keras/initializers.py).  `implementation` is 1, the 2.2.2
    default (the same maths as 2).  `save_model` in keras/engine/saving.py
    writes keras_version, backend and model_config as `.encode('utf8')`
    bytes (h5py 2.8: fixed-length strings); keras_version "2.2.2".

k2_tf24_functional_model (from k2_seq2seq_initial_state)
    tf.keras before the `Functional` class (TF 2.0-2.2; TF 2.3 already writes
    "Functional": tensorflow/tensorflow issue #41929, and "trained with tf 2.3
    but tried to load with tf 2.2" in fizyr/keras-retinanet issue #1480), as
    written by TF 2.2 (tf.keras.__version__ "2.3.0-tf"): `Network.get_config`
    in tensorflow/python/keras/engine/network.py gives {"name", "layers",
    "input_layers", "output_layers"} (no "trainable"), each layer as
    {"name", "class_name", "config", "inbound_nodes"} with nested-list
    inbound nodes [[[layer, node, tensor, kwargs], ...]]; `model_metadata` in
    tensorflow/python/keras/saving/saving_utils.py names the model class
    "Model" (model.__class__.__name__ of a functional model).  The decoder's
    initial_state stays as extra inbound tensors of its node, as in the
    tf-keras 2.21 file: TF 2.x `RNN.__call__` (layers/recurrent.py) calls the
    layer on [inputs] + initial_state when the states are Keras tensors.
    Serialization has no "module" / "registered_name" / "build_config"
    (legacy `serialize_keras_object` in utils/generic_utils.py) and
    InputLayer.get_config has no "optional".  `save_model_to_hdf5`
    (saving/hdf5_format.py) stores model_config as json bytes (h5py 2.10:
    fixed-length) and keras_version / backend as str (variable-length).

k2_tf212_sequential (from k2_gru_reset_before)
    tf.keras / Keras 2.4-2.12, as written by Keras 2.12.0 (TF 2.12):
    `Sequential.get_config` in keras/engine/sequential.py (tag v2.12.0)
    serializes `super().layers` (InputLayer first) with the legacy
    `serialize_keras_object` (keras/saving/legacy/serialization.py:
    {"class_name", "config"} only, no "module" / "registered_name" /
    "build_config"; those arrived with serialization_lib in Keras 2.13) and
    `Model.get_config` adds nothing (no "trainable");
    `InputLayer.get_config` (keras/engine/input_layer.py) is
    batch_input_shape, dtype, sparse, ragged, name (no "optional");
    keras_version "2.12.0"; h5py 3: variable-length strings.
"""

import argparse
import json
import os
import shutil

import h5py
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "fixtures", "model_files")


# ---------------------------------------------------------------------------
# Config rewriting
# ---------------------------------------------------------------------------
def strip_new_keys(obj):
    """Drop what Keras 2.13+ serialization added to nested objects."""
    if isinstance(obj, dict):
        return {k: strip_new_keys(v) for k, v in obj.items()
                if k not in ("module", "registered_name", "build_config")}
    if isinstance(obj, list):
        return [strip_new_keys(v) for v in obj]
    return obj


def input_layer_config_old(cfg):
    assert set(cfg) == {"batch_input_shape", "dtype", "sparse", "ragged",
                        "name", "optional"}, cfg
    assert cfg["optional"] is False
    return {k: cfg[k] for k in ("batch_input_shape", "dtype", "sparse",
                                "ragged", "name")}


def initializer_222(init):
    cls, cfg = init["class_name"], init["config"]
    if cls == "GlorotUniform":
        return {"class_name": "VarianceScaling",
                "config": {"scale": 1.0, "mode": "fan_avg",
                           "distribution": "uniform", "seed": cfg["seed"]}}
    if cls == "Orthogonal":
        return {"class_name": "Orthogonal",
                "config": {"gain": cfg["gain"], "seed": cfg["seed"]}}
    if cls == "Zeros":
        return {"class_name": "Zeros", "config": {}}
    raise ValueError("no 2.2.2 form for initializer %s" % cls)


RNN_KEYS_222 = ["return_sequences", "return_state", "go_backwards",
                "stateful", "unroll"]
LSTM_KEYS_222 = ["units", "activation", "recurrent_activation", "use_bias",
                 "kernel_initializer", "recurrent_initializer",
                 "bias_initializer", "unit_forget_bias", "kernel_regularizer",
                 "recurrent_regularizer", "bias_regularizer",
                 "activity_regularizer", "kernel_constraint",
                 "recurrent_constraint", "bias_constraint", "dropout",
                 "recurrent_dropout", "implementation"]
DENSE_KEYS_222 = ["units", "activation", "use_bias", "kernel_initializer",
                  "bias_initializer", "kernel_regularizer", "bias_regularizer",
                  "activity_regularizer", "kernel_constraint",
                  "bias_constraint"]


def layer_config_222(class_name, cfg, first):
    """Keras 2.2.2 Layer.get_config + the class' own get_config, in that
    order (dict(list(base_config.items()) + list(config.items())))."""
    out = {"name": cfg["name"], "trainable": cfg["trainable"]}
    if first:  # only a layer built with input_shape has these two
        out["batch_input_shape"] = cfg["batch_input_shape"]
        out["dtype"] = cfg["dtype"]
    if class_name == "LSTM":
        assert cfg["time_major"] is False and "cell" not in cfg
        keys = RNN_KEYS_222 + LSTM_KEYS_222
    elif class_name == "Dense":
        keys = DENSE_KEYS_222
    else:
        raise ValueError("no 2.2.2 form for %s" % class_name)
    for k in keys:
        v = cfg[k]
        if k.endswith("_initializer"):
            v = initializer_222(v)
        elif k == "implementation":
            v = 1  # the 2.2.2 default; 1 and 2 compute the same thing
        else:
            assert not isinstance(v, dict) or v is None, (k, v)
        out[k] = v
    return out


def to_keras_222_list_sequential(mc):
    assert mc["class_name"] == "Sequential"
    layers = mc["config"]["layers"]
    assert layers[0]["class_name"] == "InputLayer"
    body = layers[1:]
    assert body[0]["config"]["batch_input_shape"] == \
        layers[0]["config"]["batch_input_shape"]
    return {"class_name": "Sequential",
            "config": [{"class_name": l["class_name"],
                        "config": layer_config_222(l["class_name"], l["config"],
                                                   i == 0)}
                       for i, l in enumerate(body)]}


def to_tf22_functional_model(mc):
    assert mc["class_name"] == "Functional"
    c = mc["config"]
    assert set(c) == {"name", "trainable", "layers", "input_layers",
                      "output_layers"}, set(c)
    layers = []
    for l in c["layers"]:
        cfg = l["config"]
        if l["class_name"] == "InputLayer":
            cfg = input_layer_config_old(cfg)
        else:
            cfg = strip_new_keys(cfg)
        layers.append({"name": l["name"], "class_name": l["class_name"],
                       "config": cfg, "inbound_nodes": l["inbound_nodes"]})
    return {"class_name": "Model",
            "config": {"name": c["name"], "layers": layers,
                       "input_layers": c["input_layers"],
                       "output_layers": c["output_layers"]}}


def to_keras_212_sequential(mc):
    assert mc["class_name"] == "Sequential"
    c = mc["config"]
    assert set(c) == {"name", "layers"}, set(c)
    layers = []
    for l in c["layers"]:
        assert set(l) == {"class_name", "config"}, set(l)
        cfg = l["config"]
        if l["class_name"] == "InputLayer":
            cfg = input_layer_config_old(cfg)
        else:
            cfg = strip_new_keys(cfg)
        layers.append({"class_name": l["class_name"], "config": cfg})
    return {"class_name": "Sequential",
            "config": {"name": c["name"], "layers": layers}}


# ---------------------------------------------------------------------------
# Attribute storage
# ---------------------------------------------------------------------------
def as_text(v):
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).decode("utf8")
    return str(v)


def store(obj, key, value, h5py_major):
    """obj.attrs[key] = value as Keras wrote it (`value` of the Python type
    Keras passed: bytes, str or a list of bytes), stored as that h5py major
    version stored it.  h5py 3 (the one running this script): bytes and lists
    of bytes become variable-length ASCII strings, str variable-length UTF-8.
    h5py 2: bytes become a fixed-length string (numpy |S<n>), lists of bytes
    a fixed-length string array, str a variable-length UTF-8 string."""
    if key in obj.attrs:
        del obj.attrs[key]
    if h5py_major == 3 or isinstance(value, str):
        obj.attrs[key] = value
    elif isinstance(value, bytes):
        obj.attrs[key] = np.bytes_(value)
    else:
        obj.attrs[key] = np.asarray(value)


def restore_weight_group_attrs(group, version, h5py_major):
    """save_weights_to_hdf5_group (Keras 2.2.2 and every tf.keras since):
    layer_names and each layer's weight_names as lists of bytes, backend and
    keras_version as bytes."""
    names = [as_text(v).encode("utf8") for v in group.attrs["layer_names"]]
    store(group, "layer_names", names, h5py_major)
    store(group, "backend", b"tensorflow", h5py_major)
    store(group, "keras_version", version.encode("utf8"), h5py_major)
    for key in group:
        sub = group[key]
        vals = sub.attrs["weight_names"]
        if len(vals):  # np.asarray([]) (float64) for a layer without weights
            store(sub, "weight_names",
                  [as_text(v).encode("utf8") for v in vals], h5py_major)


DIALECTS = [
    # name, source case, config rewrite, keras_version, root attribute types
    # ("keras222": all bytes; "tf2": model_config bytes, keras_version and
    # backend str), h5py major version, what it imitates (for source.txt)
    ("k2_2_2_list_sequential", "k2_lstm_hard_sigmoid",
     to_keras_222_list_sequential, "2.2.2", "keras222", 2,
     "Keras 2.2.2 (standalone keras, h5py 2.8): Sequential config as a bare "
     "list of layer configs, first layer carrying batch_input_shape and dtype, "
     "no InputLayer, no time_major, glorot_uniform as VarianceScaling; "
     "keras_version/backend/model_config as fixed-length byte strings. "
     "Follows Sequential.get_config in keras/engine/sequential.py, "
     "Layer.__init__/get_config in keras/engine/base_layer.py, RNN/LSTM.get_config "
     "in keras/layers/recurrent.py, Dense.get_config in keras/layers/core.py, "
     "save_model in keras/engine/saving.py (keras-team/keras tag 2.2.2)."),
    ("k2_tf24_functional_model", "k2_seq2seq_initial_state",
     to_tf22_functional_model, "2.3.0-tf", "tf2", 2,
     "tf.keras before TF 2.3 (written as by TF 2.2, tf.keras 2.3.0-tf, h5py "
     "2.10): functional model with class_name \"Model\" (TF 2.3+ writes "
     "\"Functional\"), no module/registered_name/build_config, no model-level "
     "trainable, InputLayer without optional, layers as {name, class_name, "
     "config, inbound_nodes}, nested-list inbound nodes, decoder initial_state "
     "as extra inbound tensors [[[input_2,0,0,{}],[lstm,0,1,{}],[lstm,0,2,{}]]]; "
     "model_config as a fixed-length byte string, keras_version/backend "
     "variable-length. Follows Network.get_config in "
     "tensorflow/python/keras/engine/network.py, model_metadata in "
     "tensorflow/python/keras/saving/saving_utils.py and save_model_to_hdf5 in "
     "tensorflow/python/keras/saving/hdf5_format.py (TF 2.0-2.2)."),
    ("k2_tf212_sequential", "k2_gru_reset_before",
     to_keras_212_sequential, "2.12.0", "tf2", 3,
     "tf.keras / Keras 2.4-2.12 (written as by Keras 2.12.0 on TF 2.12, "
     "h5py 3): Sequential {name, layers} with the InputLayer first "
     "(batch_input_shape, dtype, sparse, ragged, name; no optional), "
     "layers and nested objects as {class_name, config} only (no "
     "module/registered_name/build_config, added by serialization_lib in Keras "
     "2.13), no model-level trainable. Follows Sequential.get_config in "
     "keras/engine/sequential.py, InputLayer.get_config in "
     "keras/engine/input_layer.py, serialize_keras_object in "
     "keras/saving/legacy/serialization.py (keras-team/keras tag v2.12.0)."),
]


def make(name, source, rewrite, version, root_types, h5py_major, note):
    src_dir = os.path.join(OUT_DIR, source)
    dst_dir = os.path.join(OUT_DIR, name)
    if os.path.isdir(dst_dir):
        shutil.rmtree(dst_dir)
    os.makedirs(dst_dir)
    src_h5 = os.path.join(src_dir, "model.h5")
    dst_h5 = os.path.join(dst_dir, "model.h5")
    with h5py.File(src_h5, "r") as src:
        model_config = json.loads(as_text(src.attrs["model_config"]))
        src_version = as_text(src.attrs["keras_version"])
        assert set(src.keys()) == {"model_weights"}, list(src.keys())
        new_config = rewrite(model_config)
        with h5py.File(dst_h5, "w") as dst:
            # Root attributes in the order save_model writes them.
            text = json.dumps(new_config).encode("utf8")
            if root_types == "keras222":  # keras/engine/saving.py save_model
                store(dst, "keras_version", version.encode("utf8"), h5py_major)
                store(dst, "backend", b"tensorflow", h5py_major)
            else:  # hdf5_format.save_model_to_hdf5 / saving_utils.model_metadata
                store(dst, "keras_version", version, h5py_major)
                store(dst, "backend", "tensorflow", h5py_major)
            store(dst, "model_config", text, h5py_major)
            src.copy(src["model_weights"], dst, name="model_weights")
            restore_weight_group_attrs(dst["model_weights"], version, h5py_major)
    for f in sorted(os.listdir(src_dir)):
        if f.startswith("input_") or f == "expected.npz":
            shutil.copyfile(os.path.join(src_dir, f), os.path.join(dst_dir, f))
    with open(os.path.join(dst_dir, "source.txt"), "w") as fh:
        fh.write(
            "Made by scripts/make_model_files_dialects.py from "
            "fixtures/model_files/%s/model.h5 (written by tf-keras %s): the "
            "root attribute model_config was rewritten to the dialect below, "
            "keras_version set to %s (root and model_weights); weights, "
            "layer and weight names unchanged (their string attributes %s). "
            "input_*.npy and expected.npz are copies of the %s case.\n\n"
            "Imitates: %s\n"
            % (source, src_version, version,
               "re-stored as h5py 2 stored them: fixed-length strings"
               if h5py_major == 2 else "stored as h5py 3 stores them",
               source, note))
    print("  %s <- %s: %s" % (name, source, sorted(os.listdir(dst_dir))))
    return dst_dir


def check(dst_dir):
    """Load the file with tf-keras and compare with expected.npz."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tf_keras as keras

    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(dst_dir, "model.h5"),
                                    compile=False)
    inputs = [np.load(os.path.join(dst_dir, "input_%d.npy" % k))
              for k in range(len(model.inputs))]
    outs = model.predict(inputs[0] if len(inputs) == 1 else inputs,
                         batch_size=inputs[0].shape[0], verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    exp = np.load(os.path.join(dst_dir, "expected.npz"))
    assert len(exp.files) == len(outs)
    for k, o in enumerate(outs):
        err = float(np.max(np.abs(o - exp["output_%d" % k])))
        assert err <= 1e-5, (dst_dir, k, err)
    print("    tf-keras %s loads it and reproduces expected.npz" % keras.__version__)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="reload each file with tf-keras (TF_USE_LEGACY_KERAS=1)")
    args = ap.parse_args()
    for d in DIALECTS:
        dst = make(*d)
        if args.check:
            check(dst)


if __name__ == "__main__":
    main()
