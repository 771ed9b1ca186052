"""`rnnc weights` writes the weights rnnc initializes, in Keras layout: set
into the same model built by real Keras, they give the same predictions as
the ONNX file rnnc compiles with that seed (in tract and onnxruntime)."""

import os
import sys

import numpy as np
import pytest

from conftest import ORACLE, ROOT, assert_outputs_close, inputs_of, rnnc, run_onnxruntime, run_tract, tolerance

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(ROOT / "scripts"))

CASES = ["tutorial_deep_rnn", "lstm_return_state_seq", "bidir_gru_merge_ave_seq", "text_classifier_bidir_lstm", "tagger_lstm_time_distributed"]


@pytest.mark.parametrize("case", CASES)
def test_rnnc_weights_set_into_keras(case, tmp_path):
    import make_oracles

    spec = ORACLE / case / "model.rnn"
    weights, model_path = tmp_path / "w.npz", tmp_path / "m.onnx"
    rnnc("weights", spec, "--seed", 11, "-o", weights)
    rnnc("compile", spec, "--seed", 11, "-o", model_path)

    keras3_spec = next(c for c in make_oracles.CASES if c.name == case)
    model = make_oracles.build_model(keras3_spec.keras3_spec or keras3_spec.spec)
    stored = np.load(weights)
    model.set_weights([stored[make_oracles.short_key(w.path)] for w in model.weights])
    assert len(stored.files) == len(model.weights)

    for stem, x, _ in inputs_of(case):
        keras_out = model.predict(x, verbose=0)
        keras_out = [np.asarray(o) for o in (keras_out if isinstance(keras_out, (list, tuple)) else [keras_out])]
        assert_outputs_close(f"{case}/{stem} tract vs Keras", run_tract(model_path, x, tmp_path), keras_out, tolerance(case))
        assert_outputs_close(f"{case}/{stem} onnxruntime vs Keras", run_onnxruntime(model_path, x), keras_out, tolerance(case))
