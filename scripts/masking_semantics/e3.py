import os
if os.environ.get("USE_TFK"):
    os.environ["TF_USE_LEGACY_KERAS"]="1"
    import tf_keras as keras
else:
    import keras
layers = keras.layers
import numpy as np
np.set_printoptions(precision=4, suppress=True, linewidth=150)
print("backend", keras.backend.backend(), keras.__version__)
B,T,F,U = 3,5,3,2
rng = np.random.default_rng(0)
x = rng.standard_normal((B,T,F)).astype("float32")
mask = np.array([[1,1,1,0,0],[0,0,1,1,1],[0,0,0,0,0]], bool)
def setw(l):
    r = np.random.default_rng(1)
    l.set_weights([r.uniform(-.5,.5,w.shape).astype("float32") for w in l.get_weights()])
# zero_output_for_mask=True with return_sequences=False
l = layers.GRU(U, zero_output_for_mask=True); l.build((None,T,F)); setw(l)
print("GRU zero_output_for_mask=True rs=False last:", np.asarray(l(x, mask=mask)).round(4).tolist())
l = layers.GRU(U, zero_output_for_mask=True, return_sequences=True); l.build((None,T,F)); setw(l)
print("GRU zero_output_for_mask=True rs=True:", np.asarray(l(x, mask=mask))[:2].round(4).tolist())
for rs in (True, False):
    bd = layers.Bidirectional(layers.GRU(U, return_sequences=rs, return_state=True), merge_mode=None)
    bd.build((None,T,F)); setw(bd)
    print(f"rs={rs} zero_output_for_mask fwd/bwd:", bd.forward_layer.zero_output_for_mask, bd.backward_layer.zero_output_for_mask)
    out = bd(x, mask=mask)
    print(" fwd:", np.asarray(out[0]).round(4).tolist())
    print(" bwd:", np.asarray(out[1]).round(4).tolist())
    print(" states:", [np.asarray(s).round(4).tolist() for s in out[2:]])
    # the same as standalone
    f = layers.GRU(U, return_sequences=rs); f.build((None,T,F)); f.set_weights(bd.forward_layer.get_weights())
    print(" standalone fwd:", np.asarray(f(x, mask=mask)).round(4).tolist())
