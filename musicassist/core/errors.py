"""Typed errors whose messages a composer can read.

Every failure the user can cause (a bad file, an impossible option, a missing
model, a vanished MIDI port) is raised as a subclass of ``MusicAssistError``
whose ``str()`` is one plain sentence. The CLI prints it on one line and the
GUI shows it in a message; neither shows a traceback.
"""

from __future__ import annotations


class MusicAssistError(Exception):
    """Base class: the message is meant for the composer, not the developer."""


class FileFormatError(MusicAssistError):
    """A file could not be read: corrupt, truncated, empty or of the wrong kind."""


class UnsupportedFormatError(MusicAssistError):
    """A file extension that no reader or writer handles."""


class OptionError(MusicAssistError):
    """An impossible option: bars out of range, an unknown scale, and so on."""


class ScoreError(MusicAssistError):
    """An edit that cannot be applied to this score (e.g. a pitch leaves 0..127)."""


class ModelError(MusicAssistError):
    """A model is missing, unreadable, or does not match the codec."""


class PortError(MusicAssistError):
    """A MIDI port is missing, busy, or disappeared."""
