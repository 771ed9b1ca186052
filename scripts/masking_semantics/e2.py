import os, sys
if os.environ.get("USE_TFK"):
    os.environ["TF_USE_LEGACY_KERAS"]="1"
    import tf_keras as keras
else:
    import keras
layers = keras.layers
import numpy as np
np.set_printoptions(precision=4, suppress=True, linewidth=150)
print("backend", keras.backend.backend(), keras.__version__)
B,T,F,U = 2,5,3,2
rng = np.random.default_rng(0)
x = rng.standard_normal((B,T,F)).astype("float32")
mask = np.array([[0,0,1,1,0],[0,0,0,0,0]], bool)  # leading masked, trailing masked; fully masked row
def mk(cls, **kw):
    l = cls(U, **kw); l.build((None,T,F))
    r = np.random.default_rng(1)
    l.set_weights([r.uniform(-.5,.5,w.shape).astype("float32") for w in l.get_weights()])
    return l
for cls in (layers.SimpleRNN, layers.GRU, layers.LSTM):
  for unroll in (False, True):
    for gb in (False, True):
        nst = 2 if cls is layers.LSTM else 1
        h0 = [np.full((B,U), 0.7, "float32")] + ([np.full((B,U), -0.3, "float32")] if nst==2 else [])
        if os.environ.get("USE_TFK"):
            import tensorflow as tf; h0 = [tf.constant(h) for h in h0]
        l = mk(cls, return_sequences=True, return_state=True, go_backwards=gb, unroll=unroll)
        out = l(x, initial_state=h0 if nst==2 else h0[0], mask=mask)
        seq = np.asarray(out[0]); st = [np.asarray(s) for s in out[1:]]
        l2 = mk(cls, return_sequences=False, return_state=True, go_backwards=gb, unroll=unroll)
        out2 = l2(x, initial_state=h0 if nst==2 else h0[0], mask=mask)
        print(f"== {cls.__name__} unroll={unroll} go_backwards={gb}")
        print(" seq row0:", seq[0].tolist() if False else seq[0].round(4).tolist())
        print(" seq row1 (fully masked):", seq[1].round(4).tolist())
        print(" states:", [s.round(4).tolist() for s in st])
        print(" last (rs=False):", np.asarray(out2[0]).round(4).tolist())
