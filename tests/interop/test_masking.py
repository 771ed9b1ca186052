"""Every masking oracle fixture (fixtures/masking/, real Keras 3 models with
`Embedding(mask_zero=True)` or `Masking`, fed batches whose rows are padded in
front, at the back, in the middle, fully, or not at all), compiled by rnnc
with Keras' weights, passes the ONNX checker and strict shape inference and
gives Keras' predictions in onnxruntime, OpenVINO and the ONNX reference
evaluator; any subset of the rows gives the same rows (a symbolic batch, the
mask computed per row in the graph); and the file has no `sequence_lens`."""

import numpy as np
import onnx
import pytest

from conftest import ATOL, ROOT, assert_outputs_close, compile_cache, fixture_expected, fixture_inputs, rnnc

MASKING = ROOT / "fixtures" / "masking"
CASES = sorted(p.name for p in MASKING.iterdir() if (p / "model.rnn").exists())
DTYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return compile_cache(tmp_path_factory.mktemp("masking"), MASKING)


def case_inputs(case):
    return fixture_inputs(MASKING, case)


def expected_outputs(case):
    return fixture_expected(MASKING, case)


def run_onnxruntime(path, inputs):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x.astype(DTYPES[i.type]) for i, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feeds)


def test_every_case_is_here():
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES)
def test_checker_and_strict_shape_inference(case, compiled):
    model = onnx.load(str(compiled(case)))
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    assert len(model.graph.input) == len(case_inputs(case))


@pytest.mark.parametrize("case", CASES)
def test_no_sequence_lens(case, compiled):
    model = onnx.load(str(compiled(case)))
    for node in model.graph.node:
        if node.op_type in ("RNN", "LSTM", "GRU"):
            assert len(node.input) < 5 or node.input[4] == "", f"{node.name} has sequence_lens"


@pytest.mark.parametrize("case", CASES)
def test_onnxruntime_equals_keras(case, compiled):
    ours = run_onnxruntime(compiled(case), case_inputs(case))
    assert_outputs_close(f"{case} onnxruntime vs Keras", ours, expected_outputs(case), ATOL)


@pytest.mark.parametrize("case", CASES)
def test_any_rows_give_the_same_rows(case, compiled):
    """Rows 1..4 alone, and each row alone, give Keras' outputs for them."""
    inputs, expected = case_inputs(case), expected_outputs(case)
    batch = inputs[0].shape[0]
    for rows in [slice(1, min(4, batch))] + [slice(r, r + 1) for r in range(batch)]:
        ours = run_onnxruntime(compiled(case), [x[rows] for x in inputs])
        assert_outputs_close(f"{case} rows {rows} onnxruntime", ours, [e[rows] for e in expected], ATOL)


@pytest.mark.parametrize("case", CASES)
def test_scan_lowering_everywhere_is_the_same(case, compiled):
    ours = run_onnxruntime(compiled(case, "--lowering", "scan"), case_inputs(case))
    assert_outputs_close(f"{case} scan lowering onnxruntime", ours, expected_outputs(case), ATOL)


@pytest.mark.parametrize("case", CASES)
def test_openvino_equals_keras(case, compiled):
    import openvino as ov

    core = ov.Core()
    model = core.compile_model(core.read_model(str(compiled(case))), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    feeds = [x.astype(model.input(i).get_element_type().to_dtype()) for i, x in enumerate(case_inputs(case))]
    result = model(feeds)
    ours = [np.asarray(result[model.output(i)]) for i in range(len(model.outputs))]
    assert_outputs_close(f"{case} OpenVINO vs Keras", ours, expected_outputs(case), ATOL)


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


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
def test_opsets(opset, tmp_path):
    """The mask's reduction (Masking) and the masked average take their axes
    as an attribute before opset 18 and as an input from 18."""
    for case in [c for c in CASES if "Masking" in (MASKING / c / "model.rnn").read_text()
                 or "GlobalAveragePooling1D" in (MASKING / c / "model.rnn").read_text()]:
        path = tmp_path / f"{case}-{opset}.onnx"
        rnnc("compile", MASKING / case / "model.rnn", "--weights", MASKING / case / "weights.npz", "-o", path, "--opset", opset)
        onnx.checker.check_model(onnx.load(str(path)), full_check=True)
        ours = run_onnxruntime(path, case_inputs(case))
        assert_outputs_close(f"{case} opset {opset} onnxruntime", ours, expected_outputs(case), ATOL)


def test_nan_in_max_and_min_differs_between_runtimes(tmp_path):
    """docs/runtimes.md, "`Max` and `Min` with NaN": Keras' `ops.maximum`
    (jnp) and onnxruntime give NaN for a NaN operand; OpenVINO only for a
    NaN second operand; tract never (`tract_proofs::tract_ignores_nan_in_max_and_min`).
    A masked model meets NaN only from Keras' 0/0 average of a fully padded
    row, so rnnc emits plain `Max`/`Min`; if this test fails, a runtime
    changed and the doc must say so."""
    from onnx import TensorProto, helper

    import openvino as ov
    import onnxruntime as ort

    a = np.array([np.nan, 1.0, np.nan], np.float32)
    b = np.array([0.0, np.nan, np.nan], np.float32)
    for op in ("Max", "Min"):
        inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3]) for n in "ab"]
        graph = helper.make_graph([helper.make_node(op, ["a", "b"], ["y"])], op, inputs,
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        path = tmp_path / f"{op}.onnx"
        onnx.save(model, path)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert np.isnan(session.run(None, {"a": a, "b": b})[0]).all(), op
        got = ov.Core().compile_model(str(path), "CPU")({"a": a, "b": b})[0]
        assert got[0] == 0.0 and np.isnan(got[1:]).all(), (op, got)
