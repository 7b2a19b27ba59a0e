"""Machine learning: corpus building, the model, training, evaluation and sampling.

Kept import-light: nothing here imports TensorFlow (or music21) at module
level, so the GUI and the ``info`` command can import this package cheaply.
"""
