import os
os.environ.setdefault("KERAS_BACKEND","jax")
import numpy as np, keras
from keras import layers, ops
from keras.src import backend
np.set_printoptions(precision=4, suppress=True, linewidth=160)
r = np.random.default_rng(0)
q = r.standard_normal((2,3,4)).astype("float32"); v = r.standard_normal((2,5,4)).astype("float32")
qm = np.array([[1,1,0],[0,1,1]], bool); vm = np.array([[1,0,1,1,0],[0,0,0,0,0]], bool)
def sm(s):
    e = np.exp(s - s.max(-1, keepdims=True)); return e / e.sum(-1, keepdims=True)
for cls in ("dot", "additive"):
    att = layers.Attention() if cls == "dot" else layers.AdditiveAttention()
    out, w = att([q, v], mask=[qm, vm], return_attention_scores=True)
    if cls == "dot":
        s = q @ v.transpose(0,2,1)
    else:
        scale = np.asarray(att.scale)
        s = (scale * np.tanh(q[:,:,None,:] + v[:,None,:,:])).sum(-1)
    s = np.where(vm[:,None,:], s, (s - np.float32(1e9)).astype("float32"))
    W = sm(s); O = np.where(qm[...,None], W @ v, 0)
    print(cls, "out err", np.abs(np.asarray(out) - O).max(), "weights err", np.abs(np.asarray(w) - W).max())
    print(" weights row of fully-masked value batch:", np.asarray(w)[1,0].round(4), " weights at masked query row (b0,q2):", np.asarray(w)[0,2].round(4))
    m = backend.get_keras_mask(out); print(" out mask", None if m is None else np.asarray(m).astype(int).tolist())
# key mask ignored?
k = r.standard_normal((2,5,4)).astype("float32")
att = layers.Attention()
o1 = att([q, v, k], mask=[qm, vm, None]); o2 = att([q, v, k], mask=[qm, vm, np.zeros((2,5),bool)])
print("key mask ignored:", np.allclose(np.asarray(o1), np.asarray(o2)))
# Attention with only query mask / only value mask in a functional model
a = keras.Input((None,), dtype="int32"); b = keras.Input((None,), dtype="int32")
ea = layers.Embedding(10, 4, mask_zero=True)(a); eb = layers.Embedding(10, 4)(b)
o = layers.Attention()([ea, eb]); print("q masked, v unmasked: out mask", backend.get_keras_mask(o))
o = layers.Attention()([eb, ea]); print("q unmasked, v masked: out mask", backend.get_keras_mask(o))
