"""The composer's window: piano roll, assistant panel, document handling (PySide6).

Nothing here is imported by the core, io, ml or playback layers; TensorFlow is
never imported by this package at module level (the sampler loads lazily inside
the worker thread).
"""
