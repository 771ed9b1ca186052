#!/usr/bin/env python3
"""Write what Keras 2 (tf.keras) prints for model.summary() of a few functional
fixture cases, as fixtures/functional/<case>/keras2_summary.txt.

rnnc prints Keras 2's summary layout; these files pin its exact column widths
and how multi-line "Connected to" / "Output Shape" cells look.

Needs TensorFlow with the Keras 2 package (tf-keras), in its own venv:

    python -m venv /tmp/venv-tf
    /tmp/venv-tf/bin/pip install tensorflow-cpu tf-keras
    TF_USE_LEGACY_KERAS=1 /tmp/venv-tf/bin/python scripts/make_keras2_summaries.py

Run it after scripts/make_functional_oracles.py (which keeps existing
keras2_summary.txt files when it regenerates a case).  The spec text of each
case is read from its model.rnn and run with its two Keras 3 import lines
replaced by their tf.keras equivalents; everything else is unchanged.
"""

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

if not keras.layers.LSTM.__module__.startswith("tf_keras"):
    sys.exit("tf.keras is not Keras 2 here: install tf-keras and set TF_USE_LEGACY_KERAS=1")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "fixtures", "functional")

CASES = ["seq2seq_lstm", "multi_output", "shared_layer", "bidir_initial_state",
         "merges", "chain", "sequential_list"]

KERAS3_IMPORTS = "import keras\nfrom keras import layers\n"
KERAS2_IMPORTS = "from tensorflow import keras\nfrom tensorflow.keras import layers\n"


def main():
    for case in CASES:
        d = os.path.join(OUT_DIR, case)
        with open(os.path.join(d, "model.rnn"), encoding="utf-8") as f:
            spec = f.read()
        assert spec.startswith(KERAS3_IMPORTS), case
        keras.backend.clear_session()
        ns = {"__name__": "__rnnc_spec__"}
        exec(compile(KERAS2_IMPORTS + spec[len(KERAS3_IMPORTS):], "<keras2>", "exec"), ns)
        model = ns["model"]
        lines = []
        # Keras 2 uses line_length 98 for a graph with a "Connected to" column
        # and 65 for a sequential-like one; it does not look at the terminal.
        model.summary(print_fn=lambda s, **kw: lines.append(s))
        with open(os.path.join(d, "keras2_summary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{case}: {len(lines)} lines")
    print(f"TensorFlow {tf.__version__}, tf-keras {keras.__version__ if hasattr(keras, '__version__') else __import__('tf_keras').__version__}")


if __name__ == "__main__":
    main()
