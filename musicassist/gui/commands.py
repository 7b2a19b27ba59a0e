"""Undo commands: every edit of the open document is one ``QUndoCommand``.

Scores are immutable values, so a command simply remembers the score (and the
note selection) before and after; undo and redo swap them back. A drag pushes
one command per mouse move with the same ``session``; ``mergeWith`` folds them
into one undo step that goes from before the drag to where it ended.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from musicassist.core.score import Note, Score

if TYPE_CHECKING:
    from .document import Document

# Qt merges only commands with equal id(); the session token then tells two drags apart.
MERGEABLE_ID = 4711
_sessions = itertools.count(1)


def new_session() -> int:
    """A token for one gesture (a drag): its commands merge, another gesture's do not."""
    return next(_sessions)


class ScoreEditCommand(QUndoCommand):
    """Replace the document's score (and note selection) by another value."""

    def __init__(
        self,
        document: Document,
        text: str,
        before: Score,
        after: Score,
        selection_before: frozenset[Note],
        selection_after: frozenset[Note],
        session: int | None = None,
    ) -> None:
        super().__init__(text)
        self._document = document
        self.before = before
        self.after = after
        self.selection_before = selection_before
        self.selection_after = selection_after
        self.session = session

    def id(self) -> int:
        return MERGEABLE_ID if self.session is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, ScoreEditCommand) or other.session != self.session:
            return False
        self.after = other.after
        self.selection_after = other.selection_after
        # A drag that ends where it started is no edit: Qt drops obsolete commands.
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self._document.apply_score(self.after, self.selection_after)

    def undo(self) -> None:
        self._document.apply_score(self.before, self.selection_before)
