"""Every streaming oracle fixture (fixtures/streaming/: stateful Keras 3
models run whole and in chunks by scripts/make_streaming_oracles.py),
compiled by rnnc, passes the ONNX checker, and a host loop that feeds the
sequence in chunks and each `<layer>_*_out` back to its `<layer>_*_in` (as
the file's `rnnc.states` metadata lists them) gives Keras' outputs and
final states (of its chunked calls, which for a stateful model whose
layers all carry their states and mix no steps are the whole sequence's),
in onnxruntime and OpenVINO; OpenVINO's MakeStateful
transformation, given the metadata's pairs, turns the file into a stateful
model that does the same with no state inputs at all."""

import json

import numpy as np
import onnx
import pytest

from conftest import ATOL, ROOT, compile_cache, max_error

STREAMING = ROOT / "fixtures" / "streaming"
INDEX = json.loads((STREAMING / "index.json").read_text())["cases"]
CASES = [c["name"] for c in INDEX]
BY_NAME = {c["name"]: c for c in INDEX}
DTYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    get = compile_cache(tmp_path_factory.mktemp("streaming"), STREAMING)

    def compile_case(case):
        return get(case, "--streaming") if BY_NAME[case]["streaming"] else get(case)

    return compile_case


def metadata(path):
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return json.loads(props["rnnc.states"]), json.loads(props["rnnc.timing"])


def chunkings(case, steps):
    return [[steps]] + BY_NAME[case]["chunkings"]


def expected(case, sizes=None):
    """Keras' outputs and final states: of its run in chunks of `sizes`
    steps (a stateful case), else of the whole sequence (Keras restarts a
    stateless model at every call: --streaming carries its states, so the
    chunks must give the whole sequence's)."""
    name = "expected.npz"
    if sizes is not None and len(sizes) > 1 and not BY_NAME[case]["streaming"]:
        name = "chunks_" + "_".join(str(n) for n in sizes) + ".npz"
    e = np.load(STREAMING / case / name)
    return {k: e[k] for k in e.files}


def host_loop(run, path, x, sizes):
    """Feeds `x` in chunks of `sizes` steps, states zero first, each output
    state fed back; returns every output by name (a `steps` output
    concatenated over the chunks, the others the last chunk's)."""
    states, timing = metadata(path)
    data_name = timing["inputs"][0]["name"]
    batch = x.shape[0]
    carried = {s["input"]: np.zeros((batch, s["shape"][1]), np.float32) for s in states}
    pieces = {o["name"]: [] for o in timing["outputs"]}
    start = 0
    for n in sizes:
        outputs = run({data_name: x[:, start:start + n], **carried})
        start += n
        for o in timing["outputs"]:
            if o["timing"] == "steps":
                pieces[o["name"]].append(outputs[o["name"]])
            else:
                pieces[o["name"]] = [outputs[o["name"]]]
        carried = {s["input"]: outputs[s["output"]] for s in states}
    return {name: np.concatenate(p, axis=1) if len(p) > 1 else p[0] for name, p in pieces.items()}


def onnxruntime_runner(path):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    types = {i.name: DTYPES[i.type] for i in session.get_inputs()}
    names = [o.name for o in session.get_outputs()]

    def run(feeds):
        got = session.run(None, {k: v.astype(types[k]) for k, v in feeds.items()})
        return dict(zip(names, got))

    return run


def openvino_runner(path):
    import openvino as ov

    core = ov.Core()
    model = core.compile_model(core.read_model(str(path)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    types = {i.get_any_name(): i.get_element_type().to_dtype() for i in model.inputs}
    # An output tensor has several names (the graph output's, its producer's).
    wanted = [o.name for o in onnx.load(str(path)).graph.output]
    outputs = {next(n for n in o.get_names() if n in wanted): o for o in model.outputs}

    def run(feeds):
        result = model({k: v.astype(types[k]) for k, v in feeds.items()})
        return {name: np.asarray(result[o]) for name, o in outputs.items()}

    return run


def assert_like_keras(case, got, what, sizes=None):
    for name, e in expected(case, sizes).items():
        error = max_error(got[name], e)
        assert error <= ATOL, f"{case} {what}: {name} differs from Keras by {error}"


def test_every_case_is_here():
    assert len(CASES) >= 6


@pytest.mark.parametrize("case", CASES)
def test_checker_and_state_pairs(case, compiled):
    path = compiled(case)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    states, timing = metadata(path)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    assert inputs == [i["name"] for i in timing["inputs"]] + [s["input"] for s in states]
    assert outputs == [o["name"] for o in timing["outputs"]]
    if not BY_NAME[case]["streaming"]:
        # Keras' stateful layers, each with its states.
        assert sorted(s["output"] for s in states) == BY_NAME[case]["states"]


@pytest.mark.parametrize("runtime", ["onnxruntime", "openvino"])
@pytest.mark.parametrize("case", CASES)
def test_host_loop_equals_keras(case, runtime, compiled):
    path = compiled(case)
    run = {"onnxruntime": onnxruntime_runner, "openvino": openvino_runner}[runtime](path)
    x = np.load(STREAMING / case / "input_0.npy")
    for sizes in chunkings(case, x.shape[1]):
        assert_like_keras(case, host_loop(run, path, x, sizes), f"{runtime} chunks {sizes}", sizes)


@pytest.mark.parametrize("case", [c for c in CASES if BY_NAME[c]["states"]])
def test_openvino_make_stateful_from_the_metadata(case, compiled):
    import openvino as ov
    from openvino._offline_transformations import apply_make_stateful_transformation

    path = compiled(case)
    states, timing = metadata(path)
    core = ov.Core()
    model = core.read_model(str(path))
    apply_make_stateful_transformation(model, {s["input"]: s["output"] for s in states})
    assert [i.get_any_name() for i in model.inputs] == [i["name"] for i in timing["inputs"]]
    request = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request()
    x = np.load(STREAMING / case / "input_0.npy")
    element = model.inputs[0].get_element_type().to_dtype()
    for sizes in BY_NAME[case]["chunkings"]:
        request.reset_state()
        pieces, start = [], 0
        for n in sizes:
            pieces.append(np.asarray(request.infer({0: x[:, start:start + n].astype(element)})[0]))
            start += n
        steps = timing["outputs"][0]["timing"] == "steps"
        got = np.concatenate(pieces, axis=1) if steps else pieces[-1]
        error = max_error(got, expected(case, sizes)["output_0"])
        assert error <= ATOL, f"{case} chunks {sizes}: output_0 differs from Keras by {error}"
