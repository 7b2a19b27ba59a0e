"""Score <-> token ids (REMI-like, 12 positions per quarter) with a versioned vocabulary.

numpy only: no TensorFlow, mido, music21 or Qt, so the GUI, the CLI and the
trainer can all use it cheaply.
"""

from .augment import augment_transpose, pitch_range
from .decode import DecodeStats, decode, decode_with_stats
from .encode import EncodeStats, check_encodable, encode, encode_with_stats
from .grammar import BatchGrammar, GrammarState
from .vocab import (
    BOS,
    CODEC_VERSION,
    DURATION_BINS,
    EOS,
    METERS,
    PAD,
    RESOLUTION,
    STYLES,
    VELOCITY_CENTRES,
    CodecError,
    Vocabulary,
    default_vocabulary,
    velocity_bin,
)

__all__ = [
    "BOS", "CODEC_VERSION", "DURATION_BINS", "EOS", "METERS", "PAD", "RESOLUTION", "STYLES",
    "VELOCITY_CENTRES", "BatchGrammar", "CodecError", "DecodeStats", "EncodeStats", "GrammarState",
    "Vocabulary", "augment_transpose", "check_encodable", "decode", "decode_with_stats", "default_vocabulary",
    "encode", "encode_with_stats", "pitch_range", "velocity_bin",
]
