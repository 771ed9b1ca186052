"""`--opset N` for every N from 13 to 21: the checker accepts the file, and
onnxruntime and tract give Keras' numbers. The cases cover every operator
form rnnc emits: native RNN/LSTM/GRU (bidirectional, with P), Scan cells,
the time reversal of go_backwards, Dense with softmax, TimeDistributed,
Embedding's Gather, merges and several outputs."""

import onnx
import pytest

from conftest import ORACLE, assert_outputs_close, inputs_of, rnnc, run_onnxruntime, run_tract, tolerance

OPSETS = range(13, 22)
CASES = [
    "tutorial_deep_bidirectional",
    "lstm_return_state_seq",
    "gru_reset_before_seq",
    "simple_rnn_go_backwards_seq",
    "simple_rnn_activation_hard_sigmoid",
    "lstm_recurrent_hard_sigmoid",
    "bidir_lstm_merge_none_seq",
    "bidir_gru_return_state",
    "tagger_lstm_time_distributed",
    "text_classifier_bidir_lstm",
    "encoder_bidir_gru_stacked_time_none",
    "gru_activation_layer",
]


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("case", CASES)
def test_opset(case, opset, compiled, tmp_path):
    path = compiled(case, opset)
    model = onnx.load(str(path))
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [opset]
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    for stem, x, expected in inputs_of(case):
        assert_outputs_close(f"{case}/{stem} opset {opset} onnxruntime", run_onnxruntime(path, x), expected, tolerance(case))
        assert_outputs_close(f"{case}/{stem} opset {opset} tract", run_tract(path, x, tmp_path), expected, tolerance(case))


@pytest.mark.parametrize("opset", [12, 22, 0])
def test_opset_out_of_range_is_a_clear_error(opset, tmp_path):
    out = tmp_path / "m.onnx"
    result = rnnc("compile", ORACLE / "tutorial_simple_rnn" / "model.rnn", "--opset", opset, "-o", out, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "13" in result.stderr and "21" in result.stderr
    assert not out.exists()
