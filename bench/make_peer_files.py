#!/usr/bin/env python3
"""Regenerate bench/peer/: Keras 3's own ONNX export ("peer" files) for bench/models.py.

Needs TensorFlow (Keras' ONNX export runs tf2onnx on the TensorFlow backend):

    python3 -m venv V && V/bin/pip install tensorflow-cpu tf2onnx
    KERAS_BACKEND=tensorflow V/bin/python bench/make_peer_files.py

For each model <id> in bench/models.py it writes, in bench/peer/:
  <id>.rnn                 the rnnc spec (the same text the Keras model is built from)
  <id>.weights.h5          Keras' seeded initial weights (model.save_weights);
                           rnnc compiles the same model with
                           `rnnc compile bench/peer/<id>.rnn --weights bench/peer/<id>.weights.h5`
  <id>.keras_export.onnx   model.export(path, format="onnx")
  <id>.ref.npz             x: a fixed seeded input batch, y: Keras' output on it

Everything is seeded (keras.backend.clear_session() then
keras.utils.set_random_seed(SEED + index) before each model is built; inputs from numpy's default_rng(INPUT_SEED)), so a rerun with the same
TensorFlow / tf2onnx / Keras versions reproduces the weights and references.
Options: --only ID[,ID...] to regenerate some models, --out DIR (default bench/peer).
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from models import MODELS  # noqa: E402

SEED = 1234          # weights: keras.utils.set_random_seed(SEED + index of the model)
INPUT_SEED = 7       # reference inputs: np.random.default_rng(INPUT_SEED + index)
BATCH = 2            # reference batch size (small: the .ref.npz files are committed)


def build(spec):
    """The Keras model of an rnnc spec: each non-blank, non-comment line is one
    `Input(...)` or layer expression, evaluated in keras.layers."""
    names = {k: getattr(keras.layers, k) for k in dir(keras.layers) if not k.startswith("_")}
    names["Input"] = keras.Input
    parts = [eval(line, {"__builtins__": {}}, names)
             for line in spec.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return keras.Sequential(parts)


def reference_input(m, index):
    rng = np.random.default_rng(INPUT_SEED + index)
    shape = (BATCH, *m["shape"])
    if m["dtype"] == "int32":
        return rng.integers(0, m["vocab"], size=shape, dtype=np.int32)
    return rng.standard_normal(shape).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "peer"))
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    if keras.backend.backend() != "tensorflow":
        sys.exit("run with KERAS_BACKEND=tensorflow (Keras' ONNX export needs it)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, args.only.split(",")))
    for index, m in enumerate(MODELS):
        mid = m["id"]
        if only and mid not in only:
            continue
        # a fresh session per model: layer names (recorded in .weights.h5 and the ONNX
        # node names) then do not depend on which models were built before it (--only)
        keras.backend.clear_session()
        keras.utils.set_random_seed(SEED + index)
        model = build(m["spec"])
        x = reference_input(m, index)
        y = np.asarray(model(x, training=False))
        (out / f"{mid}.rnn").write_text(m["spec"])
        model.save_weights(out / f"{mid}.weights.h5")
        model.export(str(out / f"{mid}.keras_export.onnx"), format="onnx", verbose=False)
        np.savez(out / f"{mid}.ref.npz", x=x, y=y)
        print(f"{mid}: {model.count_params()} params, x {x.shape} {x.dtype} -> y {y.shape}")


if __name__ == "__main__":
    main()
