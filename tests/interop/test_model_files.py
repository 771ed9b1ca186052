"""Keras model files compiled by rnnc without a spec: every file of
fixtures/model_files/ (written by real Keras 2 and Keras 3, or a real Keras 2
file with its config in an older dialect) and the `model.keras` of every
functional and masking oracle, compiled with `rnnc compile FILE`, gives
Keras' predictions in onnxruntime and OpenVINO."""

import numpy as np
import pytest

from conftest import ATOL, ROOT, assert_outputs_close, fixture_expected, fixture_inputs, rnnc

FIXTURES = ROOT / "fixtures"


def model_file(folder):
    for name in ("model.keras", "model.h5"):
        if (folder / name).exists():
            return folder / name
    return None


def cases():
    found = []
    for group in ("model_files", "functional", "masking"):
        for folder in sorted((FIXTURES / group).iterdir()):
            if (folder / "expected.npz").exists() and model_file(folder):
                found.append(f"{group}/{folder.name}")
    return found


CASES = cases()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root, cache = tmp_path_factory.mktemp("model_files"), {}

    def get(case):
        if case not in cache:
            path = root / (case.replace("/", "-") + ".onnx")
            rnnc("compile", model_file(FIXTURES / case), "-o", path)
            cache[case] = path
        return cache[case]

    return get


def inputs_and_expected(case):
    group, name = case.split("/")
    return fixture_inputs(FIXTURES / group, name), fixture_expected(FIXTURES / group, name)


def test_every_case_is_here():
    assert sum(c.startswith("model_files/") for c in CASES) >= 10
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES)
def test_onnxruntime_equals_keras(case, compiled):
    import onnxruntime as ort

    inputs, expected = inputs_and_expected(case)
    session = ort.InferenceSession(str(compiled(case)), providers=["CPUExecutionProvider"])
    dtypes = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}
    feeds = {i.name: x.astype(dtypes[i.type]) for i, x in zip(session.get_inputs(), inputs)}
    assert_outputs_close(f"{case} onnxruntime vs Keras", session.run(None, feeds), expected, ATOL)


@pytest.mark.parametrize("case", CASES)
def test_openvino_equals_keras(case, compiled):
    import openvino as ov

    inputs, expected = inputs_and_expected(case)
    core = ov.Core()
    model = core.compile_model(core.read_model(str(compiled(case))), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    feeds = [x.astype(model.input(i).get_element_type().to_dtype()) for i, x in enumerate(inputs)]
    result = model(feeds)
    ours = [np.asarray(result[model.output(i)]) for i in range(len(model.outputs))]
    assert_outputs_close(f"{case} OpenVINO vs Keras", ours, expected, ATOL)


SPECS = sorted(
    p.parent.name
    for p in (FIXTURES / "model_files").glob("*/spec.rnn")
    # Keras 3 has no CuDNN layers.
    if "cudnn" not in p.parent.name
)


@pytest.mark.parametrize("case", SPECS)
def test_written_spec_builds_the_same_model_in_keras(case):
    """The spec `rnnc spec` wrote (fixtures/model_files/<case>/spec.rnn) is
    Keras Python: real Keras 3 builds it, loads the file's weights into it
    and predicts what the file's model predicted (but where Keras 2's
    hard_sigmoid, which Keras 3 does not have, is used)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    folder = FIXTURES / "model_files" / case
    text = (folder / "spec.rnn").read_text()
    namespace = {}
    exec(text, namespace)
    model = namespace["model"]
    model.load_weights(str(model_file(folder)))
    inputs = fixture_inputs(FIXTURES / "model_files", case)
    outputs = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    expected = fixture_expected(FIXTURES / "model_files", case)
    keras2_hard_sigmoid = "# rnnc: keras=2" in text and "hard_sigmoid" in text
    if keras2_hard_sigmoid:
        assert len(outputs) == len(expected)
    else:
        assert_outputs_close(f"{case} spec in Keras 3 vs the file in Keras", outputs, expected, ATOL)
