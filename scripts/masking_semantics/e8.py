import os, warnings
os.environ.setdefault("KERAS_BACKEND","jax")
import numpy as np, keras
from keras import layers, ops
from keras.src import backend
np.set_printoptions(precision=3, suppress=True, linewidth=160)
ids = np.array([[0,3,4,0]], "int32")
# 1. Dense on masked sequence -> garbage at masked steps, equal to Dense(emb[0])
inp = keras.Input((4,), dtype="int32"); emb = layers.Embedding(10, 4, mask_zero=True); d = layers.Dense(2)
m = keras.Model(inp, d(emb(inp)))
y = np.asarray(m.predict(ids, verbose=0)); E = np.asarray(emb.embeddings); W, b = [np.asarray(w) for w in d.weights]
print("Dense at masked step:", y[0,0], "== emb[0]@W+b:", E[0]@W+b)
# 2. Masking after masked Embedding replaces the mask by a value test
x = emb(inp); mk = layers.Masking(0.0)(x)
print("mask after Masking:", backend.get_keras_mask(mk))
mdl = keras.Model(inp, layers.LSTM(2, return_sequences=True)(mk)); mdl2 = keras.Model(inp, layers.LSTM(2, return_sequences=True)(x))
mdl2.layers[-1].set_weights(mdl.layers[-1].get_weights())
print("LSTM after Masking(0) on masked emb == unmasked run?:", np.asarray(mdl(ids))[0,0], " vs emb mask only:", np.asarray(mdl2(ids))[0,0])
# 3. Softmax layer with mask when T == F (B==1): silently broadcasts along the wrong axis
xt = ops.convert_to_tensor(np.zeros((1,3,3),"float32")); 
print("Softmax T==F B=1 mask [1,0,0]:", np.asarray(layers.Softmax()(xt, mask=ops.convert_to_tensor(np.array([[True,False,False]])))).round(3).tolist())
# 4. Sequential == functional
keras.utils.set_random_seed(0)
seq = keras.Sequential([keras.Input((4,), dtype="int32"), layers.Embedding(10,4,mask_zero=True), layers.LSTM(3, return_sequences=True)])
inp = keras.Input((4,), dtype="int32"); f = keras.Model(inp, layers.LSTM(3, return_sequences=True)(layers.Embedding(10,4,mask_zero=True)(inp)))
f.set_weights(seq.get_weights())
print("Sequential == functional:", np.allclose(np.asarray(seq(ids)), np.asarray(f(ids))), " seq output mask:", backend.get_keras_mask(seq.outputs[0]))
# 5. Masking on int input feeding an Embedding
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    inp = keras.Input((4,), dtype="int32"); z = layers.Masking(0)(inp)
    try:
        e = layers.Embedding(10, 4)(z); print("Embedding(mask_zero=False) after Masking: out mask", backend.get_keras_mask(e), [str(x.message)[:80] for x in w])
    except Exception as ex: print("raises", ex)
# 6. ops.not_equal explicit mask + initial_state serializes?
a = keras.Input((None,), dtype="int32", name="dec"); h = keras.Input((3,)); 
xe = layers.Embedding(10, 4, mask_zero=True)(a)
o = layers.LSTM(3, return_sequences=True)(xe, initial_state=[h, h], mask=keras.ops.not_equal(a, 0))
mm = keras.Model([a, h], o); mm.save("/tmp/t.keras"); r = keras.saving.load_model("/tmp/t.keras")
hv = np.full((1,3), .5, "float32")
print("explicit mask w/ initial_state:", np.asarray(mm([ids, hv]))[0].round(3).tolist(), "reload same:", np.allclose(np.asarray(r([ids, hv])), np.asarray(mm([ids, hv]))))
print("layers:", [l.__class__.__name__ for l in mm.layers])
