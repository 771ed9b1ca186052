"""The ONNX reference evaluator (onnx.reference) on every oracle fixture.

It is the specification's executable form but not a production runtime, and
RUNTIMES.md lists its gaps (RNN with non-default activations is an error;
LSTM/GRU ignore `activations`, `clip` and `sequence_lens`; Scan runs only
forwards over axis 0). rnnc emits none of those forms, so every fixture must
run there and match Keras: a model the evaluator cannot run fails the suite."""

import pytest

from conftest import assert_outputs_close, inputs_of, oracle_cases, run_onnx_reference, tolerance

RUNS = []


@pytest.mark.parametrize("case", oracle_cases())
def test_onnx_reference_evaluator(case, compiled):
    path = compiled(case)
    for stem, x, expected in inputs_of(case):
        ours = run_onnx_reference(path, x)
        assert_outputs_close(f"{case}/{stem} ONNX reference evaluator vs Keras", ours, expected, tolerance(case))
    RUNS.append(case)


def pytest_terminal_summary_lines():
    if not RUNS:
        return []
    return [f"ONNX reference evaluator: {len(set(RUNS))} fixtures ran and matched Keras"]
