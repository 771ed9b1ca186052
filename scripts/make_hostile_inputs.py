#!/usr/bin/env python3
"""Write the small binary inputs of fixtures/hostile/ that rnnc's readers are
tested on: files users really write that rnnc once refused, and files built to
crash a reader. Needs numpy and h5py only:

    python scripts/make_hostile_inputs.py

All hold weights for fixtures/tutorial/simple_rnn.rnn (SimpleRNN(3,
input_shape=(2, 10))), taken from fixtures/oracle/tutorial_simple_rnn/:

  compressed.npz          np.savez_compressed of weights.npz (deflated members)
  deflated.keras          fixtures/keras_files/tutorial_simple_rnn/model.keras
                          with every member deflated (as zip tools rewrite it)
  nan.npz / huge.npz      weights.npz with kernel[1, 2] = NaN / the whole
                          kernel 1e300 (float64: infinite once narrowed)
  cycle.weights.h5        model.weights.h5 plus a hard link from
                          layers/simple_rnn/cell/loop back to layers/simple_rnn
  self_link.weights.h5    ... a group holding a hard link to itself
  root_link.weights.h5    ... a hard link to the file's root
  soft_link.weights.h5    ... a soft link to /layers
  deep.weights.h5         ... 40 nested groups under the layer (Keras nests 4)
"""

import os
import shutil
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "hostile")
ORACLE = os.path.join(ROOT, "fixtures", "oracle", "tutorial_simple_rnn")
KERAS = os.path.join(ROOT, "fixtures", "keras_files", "tutorial_simple_rnn")


def weights():
    with np.load(os.path.join(ORACLE, "weights.npz")) as f:
        return {k: f[k] for k in f.files}


def npz_files():
    np.savez_compressed(os.path.join(OUT, "compressed.npz"), **weights())
    nan = weights()
    nan["simple_rnn/kernel"][1, 2] = np.nan
    np.savez(os.path.join(OUT, "nan.npz"), **nan)
    huge = weights()
    huge["simple_rnn/kernel"] = np.full((10, 3), 1e300)
    np.savez(os.path.join(OUT, "huge.npz"), **huge)


def deflated_keras():
    source = os.path.join(KERAS, "model.keras")
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(
        os.path.join(OUT, "deflated.keras"), "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))


def linked(name, link):
    path = os.path.join(OUT, name)
    shutil.copyfile(os.path.join(KERAS, "model.weights.h5"), path)
    with h5py.File(path, "r+") as f:
        link(f)


def deep(f):
    group = f["layers/simple_rnn"]
    for i in range(40):
        group = group.create_group(f"g{i}")


def main():
    os.makedirs(OUT, exist_ok=True)
    npz_files()
    deflated_keras()
    linked("cycle.weights.h5", lambda f: f.__setitem__("layers/simple_rnn/cell/loop", f["layers/simple_rnn"]))
    linked("self_link.weights.h5", lambda f: f.__setitem__("layers/simple_rnn/cell/self", f["layers/simple_rnn/cell"]))
    linked("root_link.weights.h5", lambda f: f.__setitem__("layers/simple_rnn/root", f["/"]))
    linked("soft_link.weights.h5", lambda f: f.__setitem__("layers/simple_rnn/soft", h5py.SoftLink("/layers")))
    linked("deep.weights.h5", deep)


if __name__ == "__main__":
    main()
