import os, warnings
os.environ.setdefault("KERAS_BACKEND","jax")
import numpy as np, keras
from keras import layers, ops
from keras.src import backend
np.set_printoptions(precision=3, suppress=True, linewidth=160)
B,T,V,E = 3,5,10,4
ids = np.array([[1,2,3,4,5],[0,0,3,4,0],[0,0,0,0,0]], "int32")
def gm(t):
    m = backend.get_keras_mask(t)
    return None if m is None else tuple(m.shape)
CASES = {
 "Dense": lambda x: layers.Dense(3)(x),
 "TimeDistributed(Dense)": lambda x: layers.TimeDistributed(layers.Dense(3))(x),
 "Dropout": lambda x: layers.Dropout(0.5)(x),
 "Activation": lambda x: layers.Activation("tanh")(x),
 "LayerNormalization": lambda x: layers.LayerNormalization()(x),
 "BatchNormalization": lambda x: layers.BatchNormalization()(x),
 "SpatialDropout1D": lambda x: layers.SpatialDropout1D(0.2)(x),
 "GaussianNoise": lambda x: layers.GaussianNoise(0.1)(x),
 "GaussianDropout": lambda x: layers.GaussianDropout(0.1)(x),
 "ActivityRegularization": lambda x: layers.ActivityRegularization(0.01)(x),
 "ReLU": lambda x: layers.ReLU()(x),
 "LeakyReLU": lambda x: layers.LeakyReLU()(x),
 "ELU": lambda x: layers.ELU()(x),
 "PReLU": lambda x: layers.PReLU()(x),
 "Softmax": lambda x: layers.Softmax()(x),
 "Softmax(axis=1)": lambda x: layers.Softmax(axis=1)(x),
 "Concatenate(-1) self": lambda x: layers.Concatenate()([x, x]),
 "Concatenate(axis=1) self": lambda x: layers.Concatenate(axis=1)([x, x]),
 "Add self": lambda x: layers.Add()([x, layers.Dense(4)(x)]),
 "Subtract": lambda x: layers.Subtract()([x, layers.Dense(4)(x)]),
 "Multiply": lambda x: layers.Multiply()([x, layers.Dense(4)(x)]),
 "Average": lambda x: layers.Average()([x, layers.Dense(4)(x)]),
 "Maximum": lambda x: layers.Maximum()([x, layers.Dense(4)(x)]),
 "Minimum": lambda x: layers.Minimum()([x, layers.Dense(4)(x)]),
 "Dot(axes=2) seq": lambda x: layers.Dot(axes=2)([x, x]),
 "Flatten": lambda x: layers.Flatten()(x),
 "Reshape((T,2,2))": lambda x: layers.Reshape((T,2,2))(x),
 "Reshape((-1,2))": lambda x: layers.Reshape((-1,2))(x),
 "Permute((2,1))": lambda x: layers.Permute((2,1))(x),
 "Conv1D same": lambda x: layers.Conv1D(3, 3, padding="same")(x),
 "MaxPooling1D": lambda x: layers.MaxPooling1D(2, padding="same")(x),
 "AveragePooling1D": lambda x: layers.AveragePooling1D(2, padding="same")(x),
 "GlobalAveragePooling1D": lambda x: layers.GlobalAveragePooling1D()(x),
 "GlobalMaxPooling1D": lambda x: layers.GlobalMaxPooling1D()(x),
 "LSTM rs": lambda x: layers.LSTM(3, return_sequences=True)(x),
 "LSTM last": lambda x: layers.LSTM(3)(x),
 "LSTM rs+state": lambda x: layers.LSTM(3, return_sequences=True, return_state=True)(x),
 "GRU state": lambda x: layers.GRU(3, return_state=True)(x),
 "Bidir LSTM rs concat": lambda x: layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x),
 "Bidir LSTM rs None": lambda x: layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode=None)(x),
 "Bidir LSTM last state": lambda x: layers.Bidirectional(layers.LSTM(3, return_state=True))(x),
 "Attention self": lambda x: layers.Attention()([x, x]),
 "Attention self scores": lambda x: layers.Attention()([x, x], return_attention_scores=True),
 "AdditiveAttention self": lambda x: layers.AdditiveAttention()([x, x]),
 "MultiHeadAttention self": lambda x: layers.MultiHeadAttention(2, 2)(x, x),
 "Masking after emb": lambda x: layers.Masking(0.0)(x),
 "Lambda": lambda x: layers.Lambda(lambda t: t * 2)(x),
 "Identity": lambda x: layers.Identity()(x),
 "UnitNormalization": lambda x: layers.UnitNormalization()(x),
 "RepeatVector on LSTM last": lambda x: layers.RepeatVector(3)(layers.LSTM(3)(x)),
 "Cropping1D": lambda x: layers.Cropping1D((1,1))(x),
 "ZeroPadding1D": lambda x: layers.ZeroPadding1D(1)(x),
 "UpSampling1D": lambda x: layers.UpSampling1D(2)(x),
 "Rescaling": lambda x: layers.Rescaling(2.0)(x),
}
import sys
only = sys.argv[1:]
for name, fn in CASES.items():
    if only and name not in only: continue
    res = {}
    for mz in (True, False):
        keras.utils.clear_session(); keras.utils.set_random_seed(0)
        inp = keras.Input((T,), dtype="int32")
        x = layers.Embedding(V, E, mask_zero=mz)(inp)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                out = fn(x)
            except Exception as e:
                res[mz] = ("RAISE", f"{type(e).__name__}: {e}"[:300]); continue
        warn = [str(m.message)[:60] for m in w if "mask" in str(m.message)]
        outs = out if isinstance(out, (list, tuple)) else [out]
        masks = [gm(o) for o in outs]
        model = keras.Model(inp, outs)
        r = np.random.default_rng(3)
        model.set_weights([r.uniform(-.5, .5, w.shape).astype("float32") + (1.0 if "variance" in w.path or "gamma" in w.path else 0) for w in model.weights])
        try:
            vals = [np.asarray(v) for v in model(ids, training=False)] if len(outs)>1 else [np.asarray(model(ids, training=False))]
        except Exception as e:
            res[mz] = ("RAISE", "at call: " + f"{type(e).__name__}: {e}".replace(chr(10),' ')[:400]); continue
        # eager masks
        res[mz] = (masks, warn, vals)
    if res[False][0] == "RAISE": print(name, "unmasked raises too", res[False][1]); continue
    if res[True][0] == "RAISE":
        print(f"{name}: RAISES {res[True][1]}"); continue
    masks, warn, vals = res[True]
    vals0 = res[False][2]
    same = all(np.allclose(a, b, equal_nan=True) for a, b in zip(vals, vals0))
    nan = any(np.isnan(a).any() for a in vals)
    print(f"{name}: out_masks={masks} warn={warn} values_same_as_unmasked={same} nan={nan}")
