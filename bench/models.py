"""The benchmark's model set, as data (no TensorFlow, no Keras needed to import it).

Each entry's `spec` is rnnc spec text (Keras Python syntax, one layer per line) that is
also valid Keras 3: `make_peer_files.py` builds the Keras model by evaluating the same
lines in `keras.layers`, so rnnc and Keras see one definition. The input is given by a
leading `Input(...)` line, which both accept.

Fields:
  id      short name; the files in bench/peer/ are <id>.rnn, <id>.weights.h5,
          <id>.keras_export.onnx, <id>.ref.npz
  spec    the rnnc spec text
  shape   Keras input shape without the batch dimension
  dtype   input dtype ("float32" features or "int32" token ids)
  vocab   for token inputs: ids are drawn from [0, vocab)
"""

T, F = 50, 64          # time steps, features
VOCAB = 200            # classifier vocabulary (5000 in the brief; shrunk to keep bench/peer small —
                       # a Gather costs the same whatever the vocabulary, so timings are unaffected)

MODELS = [
    dict(id="simple_rnn", shape=(T, F), dtype="float32", spec=f"""\
Input(shape=({T}, {F}))
SimpleRNN(128, return_sequences=True)
"""),
    dict(id="gru", shape=(T, F), dtype="float32", spec=f"""\
Input(shape=({T}, {F}))
GRU(128, return_sequences=True)
"""),
    dict(id="lstm", shape=(T, F), dtype="float32", spec=f"""\
Input(shape=({T}, {F}))
LSTM(128, return_sequences=True)
"""),
    dict(id="stacked", shape=(T, F), dtype="float32", spec=f"""\
Input(shape=({T}, {F}))
SimpleRNN(128, return_sequences=True)
LSTM(128)
"""),
    dict(id="bigru", shape=(T, F), dtype="float32", spec=f"""\
Input(shape=({T}, {F}))
Bidirectional(GRU(64))
"""),
    dict(id="classifier", shape=(T,), dtype="int32", vocab=VOCAB, spec=f"""\
Input(shape=({T},), dtype="int32")
Embedding({VOCAB}, 64)
LSTM(64)
Dense(1, activation='sigmoid')
"""),
]

BY_ID = {m["id"]: m for m in MODELS}
