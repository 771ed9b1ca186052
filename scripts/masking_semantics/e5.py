import os, warnings
os.environ.setdefault("KERAS_BACKEND","jax")
import numpy as np, keras
from keras import layers, ops
from keras.src import backend
np.set_printoptions(precision=3, suppress=True, linewidth=160)
a = np.array([[[1.,2.],[3.,4.],[5.,6.]]], "float32")
b = np.array([[[10.,-20.],[30.,-40.],[50.,-60.]]], "float32")
ma = np.array([[True, False, False]]); mb = np.array([[True, True, False]])
def run(layer, ms):
    xa, xb = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    if ms[0] is not None: backend.set_keras_mask(xa, ops.convert_to_tensor(ms[0]))
    if ms[1] is not None: backend.set_keras_mask(xb, ops.convert_to_tensor(ms[1]))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y = layer([xa, xb])
    m = backend.get_keras_mask(y)
    return np.asarray(y), None if m is None else np.asarray(m), [str(x.message)[:50] for x in w]
for cls in (layers.Add, layers.Subtract, layers.Average, layers.Multiply, layers.Maximum, layers.Minimum, lambda: layers.Concatenate(axis=-1), lambda: layers.Concatenate(axis=1)):
    for ms in ((ma, mb), (ma, None), (None, mb)):
        y, m, w = run(cls(), ms)
        nm = cls.__name__ if hasattr(cls, "__name__") and cls.__name__ != "<lambda>" else "Concatenate"
        print(nm, "masks", [None if x is None else x.astype(int).tolist() for x in ms], "->", y.tolist(), "mask", None if m is None else m.astype(int).tolist(), w)
