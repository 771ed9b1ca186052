#!/usr/bin/env python3
"""Keras' side of bench.py's `masking` section (run by it in a subprocess).

    KERAS_BACKEND=jax        python bench/keras_masked.py DIR ID...
    KERAS_BACKEND=tensorflow python bench/keras_masked.py DIR ID... --export

For each ID, DIR holds (written by bench.py) <ID>.rnn, the masked spec
(`Embedding(..., mask_zero=True)`), <ID>.unmasked.rnn, the same model with
`mask_zero=False`, and <ID>.inputs.npz, the benchmark's padded token ids.

Without --export (any backend; bench.py uses jax): builds the masked model with
seeded weights (keras.utils.set_random_seed(SEED + index)) and writes
  <ID>.weights.h5   its weights (model.save_weights); the unmasked model has the
                    same layers and weights, so rnnc compiles both specs with it
  <ID>.keras.npz    Keras' outputs on each input of <ID>.inputs.npz:
                    masked_<name> and unmasked_<name>
With --export (TensorFlow backend and tf2onnx: Keras' ONNX export needs them):
loads <ID>.weights.h5 into the masked model and writes
  <ID>.keras_export.onnx   model.export(path, format="onnx"), or
  <ID>.keras_export.error  why the export failed (exception type and message)
"""

import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

SEED = 4321


def build(spec):
    """The Keras model of an rnnc spec, as make_peer_files.py builds it: each
    non-blank, non-comment line is one `Input(...)` or layer expression."""
    names = {k: getattr(keras.layers, k) for k in dir(keras.layers) if not k.startswith("_")}
    names["Input"] = keras.Input
    parts = [eval(line, {"__builtins__": {}}, names)
             for line in spec.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return keras.Sequential(parts)


def main():
    args = [a for a in sys.argv[1:] if a != "--export"]
    export = "--export" in sys.argv[1:]
    work, ids = Path(args[0]), args[1:]
    for index, mid in enumerate(ids):
        # a fresh session per model: the same layer names (embedding, lstm, ...)
        # in the weights file whatever was built before
        keras.backend.clear_session()
        keras.utils.set_random_seed(SEED + index)
        model = build((work / f"{mid}.rnn").read_text())
        if export:
            model.load_weights(work / f"{mid}.weights.h5")
            # export() refuses a model never called, even one built from an Input
            with np.load(work / f"{mid}.inputs.npz") as inputs:
                model(inputs[inputs.files[0]], training=False)
            path = work / f"{mid}.keras_export.onnx"
            try:
                model.export(str(path), format="onnx", verbose=False)
            except Exception as e:  # noqa: BLE001 - the bench reports why
                traceback.print_exc()
                message = " ".join(str(e).split())[:300]
                (work / f"{mid}.keras_export.error").write_text(
                    f"{type(e).__name__}: {message}" if message else type(e).__name__)
            continue
        model.save_weights(work / f"{mid}.weights.h5")
        keras.backend.clear_session()
        unmasked = build((work / f"{mid}.unmasked.rnn").read_text())
        unmasked.set_weights(model.get_weights())
        outputs = {}
        with np.load(work / f"{mid}.inputs.npz") as inputs:
            for name in inputs.files:
                x = inputs[name]
                outputs[f"masked_{name}"] = np.asarray(model(x, training=False))
                outputs[f"unmasked_{name}"] = np.asarray(unmasked(x, training=False))
        np.savez(work / f"{mid}.keras.npz", **outputs)


if __name__ == "__main__":
    main()
