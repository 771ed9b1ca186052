#!/usr/bin/env python3
"""Write the damaged and unsupported Keras model files of
fixtures/model_file_errors/: each is refused by `rnnc summary` (or by the
command in <case>.args) with exit 2 and the message in <case>.stderr,
checked by tests/golden.rs; <case> is the file name up to its first dot.

Run from the repository root:

    KERAS_BACKEND=jax python scripts/make_bad_model_files.py

Real Keras 3 writes the files that Keras can write (a Lambda layer, a
registered custom layer); the others are real files edited the way a
damaged download or a hand edit would leave them:
  truncated_zip.keras   the first half of a real `.keras` archive;
  truncated_hdf5.h5     the first half of a real Keras 2 `model.h5`;
  unknown_class.keras   config.json naming a class Keras does not have;
  lambda.keras          a model with `layers.Lambda(...)`, saved by Keras;
  custom_layer.keras    a model with a `@register_keras_serializable` layer;
  weights_mismatch.keras  config.json with LSTM units 8 -> 9, weights unchanged;
  weights_only.weights.h5 Keras 3's `save_weights` file used as a model;
  legacy_weights_only.h5  Keras 2's `save_weights` layout (fixtures/keras_files) used as a model;
  not_json.keras        config.json that is not JSON.
"""

import json
import os
import shutil
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO_ROOT, "fixtures", "model_file_errors")
CHAIN = os.path.join(REPO_ROOT, "fixtures", "functional", "chain")
K2 = os.path.join(REPO_ROOT, "fixtures", "model_files", "k2_lstm_hard_sigmoid", "model.h5")


def half(src, dst):
    data = open(src, "rb").read()
    open(dst, "wb").write(data[: len(data) // 2])


def edit_config(src, dst, change):
    """Copy the zip `src` to `dst` with config.json passed through `change`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                data = change(data)
            zout.writestr(item.filename, data)


def rename_class(data):
    config = json.loads(data)
    config["config"]["layers"][1]["class_name"] = "LSTMX"
    return json.dumps(config).encode()


def widen(data):
    config = json.loads(data)
    config["config"]["layers"][1]["config"]["units"] = 9
    return json.dumps(config).encode()


def main():
    import keras
    from keras import layers

    os.makedirs(OUT, exist_ok=True)
    half(os.path.join(CHAIN, "model.keras"), os.path.join(OUT, "truncated_zip.keras"))
    half(K2, os.path.join(OUT, "truncated_hdf5.h5"))
    edit_config(os.path.join(CHAIN, "model.keras"), os.path.join(OUT, "unknown_class.keras"), rename_class)
    edit_config(os.path.join(CHAIN, "model.keras"), os.path.join(OUT, "weights_mismatch.keras"), widen)
    edit_config(os.path.join(CHAIN, "model.keras"), os.path.join(OUT, "not_json.keras"), lambda d: d[: len(d) // 2])
    shutil.copy(os.path.join(CHAIN, "model.weights.h5"), os.path.join(OUT, "weights_only.weights.h5"))
    shutil.copy(
        os.path.join(REPO_ROOT, "fixtures", "keras_files", "tutorial_simple_rnn", "weights.h5"),
        os.path.join(OUT, "legacy_weights_only.h5"),
    )

    for args, case in [("compile", "truncated_hdf5"), ("compile", "weights_mismatch")]:
        open(os.path.join(OUT, case + ".args"), "w").write(args + "\n")

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None, 3), name="x")
    x = layers.LSTM(4, return_sequences=True)(inputs)
    x = layers.Lambda(lambda t: t * 2.0, name="double")(x)
    model = keras.Model(inputs, layers.Dense(2)(x))
    model.save(os.path.join(OUT, "lambda.keras"))

    @keras.saving.register_keras_serializable(package="my_package")
    class Scale(layers.Layer):
        def call(self, t):
            return t * 2.0

    inputs = keras.Input(shape=(None, 3), name="x")
    x = layers.GRU(4)(inputs)
    model = keras.Model(inputs, Scale(name="scale")(x))
    model.save(os.path.join(OUT, "custom_layer.keras"))


if __name__ == "__main__":
    main()
