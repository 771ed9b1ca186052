"""Writes fixtures/foreign/: small ONNX files made by exporters other than
rnnc, for `rnnc inspect`'s tests (tests/inspect.rs).

Each file exercises something rnnc never writes:

- lstm_layout.onnx   LSTM with layout=1 (batch-first), dim_param names,
                     string-list attributes, a graph doc_string, typed
                     (non-raw) int64 initializer data, an unknown dimension.
- loop_if.onnx       Loop whose body holds an If with two branch graphs;
                     int64 and bool inputs.
- custom_domain.onnx a node of a custom domain with string, strings, floats
                     and tensor attributes; a Constant; a sequence output;
                     metadata with a long multi-line value.
- external_data.onnx + external_data.bin
                     a MatMul weight stored outside the model file.
- torch_lstm.onnx    torch.onnx.export (TorchScript exporter, dynamo=False)
                     of a tiny batch-first nn.LSTM; skipped with a message
                     when PyTorch is not importable.

Usage (onnx 1.23.2 and PyTorch 2.15.0 wrote the committed files):

    python scripts/make_foreign_onnx.py fixtures/foreign
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8


def model(graph, *, opsets=(("", OPSET),), **kwargs):
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
        producer_name="onnx.helper",
        producer_version=onnx.__version__,
        **kwargs,
    )
    m.ir_version = IR_VERSION
    return m


def lstm_layout():
    hidden, features = 4, 3
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1, 4 * hidden, features)).astype(np.float32)
    r = rng.standard_normal((1, 4 * hidden, hidden)).astype(np.float32)
    b = np.zeros((1, 8 * hidden), np.float32)
    # int64 data in the typed field, not raw_data, as some exporters write it.
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    nodes = [
        helper.make_node(
            "LSTM",
            ["x", "W", "R", "B"],
            ["y", "y_h", "y_c"],
            name="lstm",
            hidden_size=hidden,
            layout=1,
            direction="forward",
            activations=["Sigmoid", "Tanh", "Tanh"],
        ),
        helper.make_node("Squeeze", ["y", "axes"], ["out"], name="squeeze"),
    ]
    graph = helper.make_graph(
        nodes,
        "lstm_batch_first",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", features])],
        [
            helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "seq", hidden]),
            helper.make_tensor_value_info("y_h", TensorProto.FLOAT, ["batch", 1, None]),
        ],
        initializer=[
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(r, "R"),
            numpy_helper.from_array(b, "B"),
            axes,
        ],
        doc_string="An LSTM in batch-first layout.",
    )
    return model(graph, doc_string="Built with onnx.helper for rnnc inspect tests.")


def loop_if():
    # Loop body: (iter, cond, acc) -> (cond, acc'), acc' = acc + 1 or acc - 1
    # depending on the parity of iter, decided by an If.
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    then_graph = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "one"], ["then_out"], name="then_add")],
        "then_branch",
        [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [2])],
    )
    else_graph = helper.make_graph(
        [helper.make_node("Sub", ["acc_in", "one"], ["else_out"], name="else_sub")],
        "else_branch",
        [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [2])],
    )
    two = helper.make_tensor("two", TensorProto.INT64, [], [2])
    zero = helper.make_tensor("zero", TensorProto.INT64, [], [0])
    body = helper.make_graph(
        [
            helper.make_node("Mod", ["iter", "two"], ["parity"], name="parity"),
            helper.make_node("Equal", ["parity", "zero"], ["even"], name="even"),
            helper.make_node(
                "If",
                ["even"],
                ["acc_out"],
                name="choose",
                then_branch=then_graph,
                else_branch=else_graph,
            ),
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going"),
        ],
        "loop_body",
        [
            helper.make_tensor_value_info("iter", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [2]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [2]),
        ],
        initializer=[one, two, zero],
    )
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trip_count", "cond", "acc"], ["result"], name="loop", body=body)],
        "loop_with_if",
        [
            helper.make_tensor_value_info("trip_count", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc", TensorProto.FLOAT, [2]),
        ],
        [helper.make_tensor_value_info("result", TensorProto.FLOAT, [2])],
    )
    return model(graph)


def custom_domain():
    nodes = [
        helper.make_node(
            "Constant",
            [],
            ["offset"],
            name="offset",
            value=helper.make_tensor("offset_value", TensorProto.FLOAT, [3], [0.5, -1.0, 2.0]),
        ),
        helper.make_node(
            "Tokenize",
            ["ids", "offset"],
            ["scaled"],
            name="custom_op",
            domain="com.example.text",
            mode="utf-8 \"quoted\"",
            separators=["\n", " ", "\t"],
            weights=[0.25, 0.5],
        ),
        helper.make_node("SequenceConstruct", ["scaled", "scaled"], ["pair"], name="pair"),
    ]
    graph = helper.make_graph(
        nodes,
        "custom_graph",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n", None])],
        [
            helper.make_tensor_sequence_value_info("pair", TensorProto.FLOAT, None),
        ],
    )
    m = model(graph, opsets=(("", OPSET), ("com.example.text", 1)))
    helper.set_model_props(
        m,
        {
            "author": "rnnc tests",
            "notes": "line one\nline two\nline three",
        },
    )
    return m


def external_data(out_dir):
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((5, 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "weight"], ["y"], name="matmul")],
        "external_weights",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        initializer=[numpy_helper.from_array(weight, "weight")],
    )
    m = model(graph)
    onnx.checker.check_model(m)
    # onnx appends to an existing data file: start from none, so that the
    # weight sits at offset 0 however often this script runs.
    data = os.path.join(out_dir, "external_data.bin")
    if os.path.exists(data):
        os.remove(data)
    onnx.save_model(
        m,
        os.path.join(out_dir, "external_data.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="external_data.bin",
        size_threshold=0,
    )


def torch_lstm(out_dir):
    try:
        import torch
    except ImportError as e:
        print(f"skipping torch_lstm.onnx: PyTorch is not importable ({e})")
        return

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(3, 4, batch_first=True)

        def forward(self, x):
            y, _ = self.lstm(x)
            return y

    torch.manual_seed(0)
    torch.onnx.export(
        Tiny().eval(),
        (torch.zeros(1, 5, 3),),
        os.path.join(out_dir, "torch_lstm.onnx"),
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": {0: "batch", 1: "seq"}, "y": {0: "batch", 1: "seq"}},
        opset_version=OPSET,
        dynamo=False,
    )


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "fixtures/foreign"
    os.makedirs(out_dir, exist_ok=True)
    for name, build in [
        ("lstm_layout", lstm_layout),
        ("loop_if", loop_if),
        ("custom_domain", custom_domain),
    ]:
        m = build()
        if name != "custom_domain":  # the checker knows no com.example.text ops
            onnx.checker.check_model(m, full_check=True)
        onnx.save_model(m, os.path.join(out_dir, f"{name}.onnx"))
    external_data(out_dir)
    torch_lstm(out_dir)


if __name__ == "__main__":
    main()
