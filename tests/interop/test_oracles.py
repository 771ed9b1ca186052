"""Every oracle fixture, compiled by rnnc with Keras' weights, passes the ONNX
checker and strict shape inference, and gives Keras' predictions — and the
reference interpreter's — in onnxruntime and OpenVINO, within the same
tolerances as tract."""

import onnx
import pytest

from conftest import (
    ORACLE,
    assert_outputs_close,
    inputs_of,
    oracle_cases,
    run_onnxruntime,
    run_openvino,
    run_tract,
    tolerance,
)

CASES = oracle_cases()


@pytest.mark.parametrize("case", CASES)
def test_checker_and_strict_shape_inference(case, compiled):
    model = onnx.load(str(compiled(case)))
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)


@pytest.mark.parametrize("case", CASES)
def test_onnxruntime_equals_keras_and_reference(case, compiled, tmp_path):
    path = compiled(case)
    for stem, x, expected in inputs_of(case):
        ours = run_onnxruntime(path, x)
        assert_outputs_close(f"{case}/{stem} onnxruntime vs Keras", ours, expected, tolerance(case))
        reference = run_tract(path, x, tmp_path, reference=True, weights=ORACLE / case / "weights.npz")
        assert_outputs_close(f"{case}/{stem} onnxruntime vs reference", ours, reference, tolerance(case))


@pytest.mark.parametrize("case", CASES)
def test_openvino_equals_keras(case, compiled):
    path = compiled(case)
    for stem, x, expected in inputs_of(case):
        assert_outputs_close(f"{case}/{stem} OpenVINO vs Keras", run_openvino(path, x), expected, tolerance(case))
