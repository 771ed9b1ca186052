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
