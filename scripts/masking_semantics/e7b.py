import os
if os.environ.get("USE_TFK"):
    os.environ["TF_USE_LEGACY_KERAS"]="1"
    import tf_keras as keras
else:
    import keras
layers = keras.layers
import numpy as np
ids = np.array([[0,0,3,4,5],[1,2,3,0,0],[0,0,0,0,0]], "int32")
def build(mask_zero, use_init, bidir=False):
    keras.backend.clear_session(); keras.utils.set_random_seed(0)
    inp = keras.Input((5,), dtype="int32"); c = keras.Input((2,))
    x = layers.Embedding(10, 4, mask_zero=mask_zero)(inp)
    h = layers.Dense(3)(c); cc = layers.Dense(3)(c)
    rnn = layers.LSTM(3, return_sequences=True)
    if bidir: rnn = layers.Bidirectional(rnn)
    st = ([h, cc, h, cc] if bidir else [h, cc]) if use_init else None
    y = rnn(x, initial_state=st) if use_init else rnn(x)
    m = keras.Model([inp, c], y)
    r = np.random.default_rng(3)
    m.set_weights([r.uniform(-.5, .5, w.shape).astype("float32") for w in m.get_weights()])
    return m
cond = np.ones((3,2), "float32")
for bidir in (False, True):
  for use_init in (False, True):
    a = np.asarray(build(True, use_init, bidir)([ids, cond])); b = np.asarray(build(False, use_init, bidir)([ids, cond]))
    print(keras.__version__, keras.backend.backend(), "bidir" if bidir else "lstm", "initial_state" if use_init else "no initial_state", "-> mask used:", not np.allclose(a, b))
