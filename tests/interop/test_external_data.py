"""A model written with external data (weights in `<model>.<hash>.data`) passes the
checker and gives Keras' numbers in onnxruntime and OpenVINO."""

import onnx

from conftest import ORACLE, assert_outputs_close, inputs_of, rnnc, run_onnxruntime, run_openvino, tolerance


def test_external_data_loads_everywhere(tmp_path):
    case = "text_classifier_bidir_lstm"
    path = tmp_path / "model.onnx"
    rnnc("compile", ORACLE / case / "model.rnn", "--weights", ORACLE / case / "weights.npz", "-o", path, "--external-data")
    assert len(list(tmp_path.glob("model.onnx.*.data"))) == 1
    onnx.checker.check_model(str(path), full_check=True)
    external = [t.name for t in onnx.load(str(path), load_external_data=False).graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external, "no initializer was stored externally"
    for stem, x, expected in inputs_of(case):
        assert_outputs_close(f"{stem} onnxruntime", run_onnxruntime(path, x), expected, tolerance(case))
        assert_outputs_close(f"{stem} OpenVINO", run_openvino(path, x), expected, tolerance(case))
