import os
os.environ.setdefault("KERAS_BACKEND","jax")
import numpy as np, keras
from keras import layers, ops
from keras.src import backend
np.set_printoptions(precision=4, suppress=True, linewidth=160)
ids = np.array([[0,0,3,4,5],[1,2,3,0,0],[0,0,0,0,0]], "int32")
def build(mask_zero, use_init, init_kind="dense"):
    keras.utils.clear_session(); keras.utils.set_random_seed(0)
    inp = keras.Input((5,), dtype="int32"); c = keras.Input((2,))
    x = layers.Embedding(10, 4, mask_zero=mask_zero)(inp)
    if use_init:
        h = layers.Dense(3)(c); cc = layers.Dense(3)(c)
        y = layers.LSTM(3, return_sequences=True)(x, initial_state=[h, cc])
    else:
        y = layers.LSTM(3, return_sequences=True)(x)
    print("  symbolic out mask:", backend.get_keras_mask(y) is not None)
    m = keras.Model([inp, c], y)
    r = np.random.default_rng(3)
    m.set_weights([r.uniform(-.5, .5, w.shape).astype("float32") for w in m.weights])
    return m
cond = np.ones((3,2), "float32")
for use_init in (False, True):
    a = np.asarray(build(True, use_init)([ids, cond])); b = np.asarray(build(False, use_init)([ids, cond]))
    print("initial_state" if use_init else "no initial_state", "mask used:", not np.allclose(a, b))
    print(a[0].round(3))
# eager direct call
l = layers.LSTM(2, return_sequences=True)
x = np.random.default_rng(0).standard_normal((1,3,2)).astype("float32")
xt = ops.convert_to_tensor(x); backend.set_keras_mask(xt, ops.convert_to_tensor(np.array([[True, False, False]])))
h0 = [np.ones((1,2),"float32")]*2
print("eager, mask attached, with initial_state:", np.asarray(l(xt, initial_state=h0)).round(3).tolist())
print("eager, mask attached, no initial_state:", np.asarray(l(xt)).round(3).tolist())
print("eager, explicit mask=, with initial_state:", np.asarray(l(x, initial_state=h0, mask=np.array([[True,False,False]]))).round(3).tolist())
