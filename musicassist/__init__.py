"""MusicAssist: a desktop composition assistant (piano roll + LSTM continuations)."""

__version__ = "0.1.0"
