"""Every functional oracle fixture (fixtures/functional/, real Keras 3 models
with several inputs, several outputs, initial states, merges and shared
layers), compiled by rnnc with Keras' weights, passes the ONNX checker and
strict shape inference, and gives Keras' predictions in onnxruntime and
OpenVINO (inputs fed in `model.inputs` order, by the names Keras gives them),
and in the ONNX reference evaluator."""

import numpy as np
import onnx
import pytest

from conftest import ATOL, ROOT, assert_outputs_close, compile_cache, fixture_expected, fixture_inputs, rnnc

FUNCTIONAL = ROOT / "fixtures" / "functional"
CASES = sorted(p.name for p in FUNCTIONAL.iterdir() if (p / "model.rnn").exists())


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return compile_cache(tmp_path_factory.mktemp("functional"), FUNCTIONAL)


def case_inputs(case):
    return fixture_inputs(FUNCTIONAL, case)


def expected_outputs(case):
    return fixture_expected(FUNCTIONAL, case)


def test_every_case_is_here():
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES)
def test_checker_and_strict_shape_inference(case, compiled):
    model = onnx.load(str(compiled(case)))
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    assert len(model.graph.input) == len(case_inputs(case))


@pytest.mark.parametrize("case", CASES)
def test_onnxruntime_equals_keras(case, compiled):
    import onnxruntime as ort

    session = ort.InferenceSession(str(compiled(case)), providers=["CPUExecutionProvider"])
    dtypes = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}
    feeds = {i.name: x.astype(dtypes[i.type]) for i, x in zip(session.get_inputs(), case_inputs(case))}
    ours = session.run(None, feeds)
    assert_outputs_close(f"{case} onnxruntime vs Keras", ours, expected_outputs(case), ATOL)


@pytest.mark.parametrize("case", CASES)
def test_openvino_equals_keras(case, compiled):
    import openvino as ov

    core = ov.Core()
    model = core.compile_model(core.read_model(str(compiled(case))), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    feeds = [x.astype(model.input(i).get_element_type().to_dtype()) for i, x in enumerate(case_inputs(case))]
    result = model(feeds)
    ours = [np.asarray(result[model.output(i)]) for i in range(len(model.outputs))]
    assert_outputs_close(f"{case} OpenVINO vs Keras", ours, expected_outputs(case), ATOL)


# The cases whose layers lower to opset-dependent forms (reductions take
# their axes as an attribute before opset 18 and as an input from 18).
OPSET_CASES = ["residual_layernorm", "additive_attention", "batchnorm", "sequential_global_max", "dot_merge", "attention_options"]


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
@pytest.mark.parametrize("case", OPSET_CASES)
def test_opsets_in_onnxruntime_and_tract(case, opset, tmp_path):
    import onnxruntime as ort

    path = tmp_path / f"{case}-{opset}.onnx"
    rnnc("compile", FUNCTIONAL / case / "model.rnn", "--weights", FUNCTIONAL / case / "weights.npz", "-o", path, "--opset", opset)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    dtypes = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}
    feeds = {i.name: x.astype(dtypes[i.type]) for i, x in zip(session.get_inputs(), case_inputs(case))}
    assert_outputs_close(f"{case} opset {opset} onnxruntime", session.run(None, feeds), expected_outputs(case), ATOL)
    args = ["run", path, "--output", tmp_path / "out.npz"]
    for i in range(len(case_inputs(case))):
        args += ["--input", FUNCTIONAL / case / f"input_{i}.npy"]
    rnnc(*args)
    got = np.load(tmp_path / "out.npz")
    ours = [got[f"output_{i}"] for i in range(len(got.files))]
    assert_outputs_close(f"{case} opset {opset} tract", ours, expected_outputs(case), ATOL)


@pytest.mark.parametrize("case", CASES)
def test_onnx_reference_evaluator_equals_keras(case, compiled):
    from onnx.reference import ReferenceEvaluator

    model = onnx.load(str(compiled(case)))
    dtypes = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT32: np.int32, onnx.TensorProto.INT64: np.int64}
    feeds = {
        vi.name: x.astype(dtypes[vi.type.tensor_type.elem_type])
        for vi, x in zip(model.graph.input, case_inputs(case))
    }
    ours = ReferenceEvaluator(model).run(None, feeds)
    assert_outputs_close(f"{case} ONNX reference evaluator vs Keras", ours, expected_outputs(case), ATOL)
