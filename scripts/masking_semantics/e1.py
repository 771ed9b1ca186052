import os; os.environ.setdefault("KERAS_BACKEND","jax")
import numpy as np, keras
from keras import layers
from keras.src import backend
ids = np.array([[0,3,0,5],[0,0,0,0]], "int32")
emb = layers.Embedding(10, 2, mask_zero=True)
print("emb mask", np.asarray(emb.compute_mask(ids)))
x = np.array([[[-1.,-1.],[-1.,2.],[0.,0.],[-0.,-1.]]], "float32")
m = layers.Masking(mask_value=-1.0)
y = m(x)
print("masking out", np.asarray(y).tolist(), "signbit", np.signbit(np.asarray(y)).tolist())
print("masking mask", np.asarray(backend.get_keras_mask(y)))
m0 = layers.Masking(mask_value=0.0); y0 = m0(x)
print("mask 0.0 (-0.0 == 0.0):", np.asarray(backend.get_keras_mask(y0)))
xn = np.array([[[np.nan,np.nan],[1,1]]],"float32")
print("nan mask_value:", np.asarray(backend.get_keras_mask(layers.Masking(mask_value=np.nan)(xn))))
# masking on int input
xi = np.array([[[0,0],[1,0]]],"int32")
yi = layers.Masking()(xi); print("int masking", yi.dtype, np.asarray(yi).tolist(), np.asarray(backend.get_keras_mask(yi)))
