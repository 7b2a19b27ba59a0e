"""The list of candidates: each row a small piano-roll preview, its label and its score.

Rows arrive one by one as the worker finishes candidates. The row keeps the
immutable ``Candidate`` in its data; a delegate paints the preview, so no
widget per row is needed however many candidates there are.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from musicassist.core.generation import Candidate

from .roll_painter import velocity_color

CANDIDATE_ROLE = Qt.ItemDataRole.UserRole + 1
ACCEPTED_ROLE = Qt.ItemDataRole.UserRole + 2
PREVIEW_WIDTH = 132
ROW_HEIGHT = 48


def candidate_title(candidate: Candidate) -> str:
    return f"#{candidate.index + 1}  {candidate.label or 'candidate'}"


def candidate_details(candidate: Candidate) -> str:
    """The numbers a composer can compare: how likely the model found it, and warnings."""
    notes = sum(len(t.notes) for t in candidate.score.tracks)
    text = f"score {candidate.mean_log_likelihood:.2f} · {notes} notes"
    if candidate.flags:
        text += " · " + ", ".join(candidate.flags)
    if candidate.label_detail:  # the numbers behind the label, against the rest of the set
        text += "\n" + candidate.label_detail
    return text


def candidate_summary(candidate: Candidate) -> str:
    """The details' first line: what fits the row (the rest, the label's numbers, is in the tooltip)."""
    return candidate_details(candidate).split("\n", 1)[0]


def paint_preview(painter: QPainter, rect: QRectF, candidate: Candidate) -> None:
    """The candidate's notes squeezed into ``rect``: a thumbnail of its shape."""
    notes = [n for t in candidate.score.tracks for n in t.notes]
    painter.fillRect(rect, QColor(250, 250, 246))
    painter.setPen(QColor(200, 200, 200))
    painter.drawRect(rect)
    if not notes:
        return
    length = float(candidate.score.end) or max(float(n.end) for n in notes)
    low = min(n.pitch for n in notes) - 1
    high = max(n.pitch for n in notes) + 1
    row = rect.height() / (high - low + 1)
    painter.setPen(Qt.PenStyle.NoPen)
    for note in notes:
        x = rect.left() + float(note.start) / length * rect.width()
        width = max(1.5, float(note.duration) / length * rect.width())
        y = rect.top() + (high - note.pitch) * row
        painter.setBrush(velocity_color(note.velocity))
        painter.drawRect(QRectF(x, y, width, max(1.5, row)))


class CandidateDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(PREVIEW_WIDTH + 180, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        candidate = index.data(CANDIDATE_ROLE)
        if not isinstance(candidate, Candidate):
            return
        painter.save()
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        preview = QRectF(rect.left() + 4, rect.top() + 4, PREVIEW_WIDTH, rect.height() - 8)
        paint_preview(painter, preview, candidate)
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(text_color)
        text_left = int(preview.right()) + 8
        title = candidate_title(candidate)
        if index.data(ACCEPTED_ROLE):
            title += "  ✓ accepted"
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRect(text_left, rect.top() + 4, rect.right() - text_left, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        bold.setBold(False)
        painter.setFont(bold)
        painter.drawText(QRect(text_left, rect.top() + 24, rect.right() - text_left, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, candidate_summary(candidate))
        painter.restore()


class CandidateList(QListWidget):
    candidate_selected = Signal(object)  # Candidate | None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setItemDelegate(CandidateDelegate(self))
        self.setUniformItemSizes(True)
        self.setMinimumHeight(ROW_HEIGHT * 3)
        self.currentItemChanged.connect(self._on_current_changed)

    def add_candidate(self, candidate: Candidate) -> None:
        item = QListWidgetItem()
        item.setData(CANDIDATE_ROLE, candidate)
        item.setToolTip(f"{candidate_title(candidate)}\n{candidate_details(candidate)}")
        self.addItem(item)
        if self.count() == 1:
            self.setCurrentRow(0)  # show the first one as soon as it exists

    def candidates(self) -> list[Candidate]:
        return [self.item(i).data(CANDIDATE_ROLE) for i in range(self.count())]

    def current_candidate(self) -> Candidate | None:
        item = self.currentItem()
        return item.data(CANDIDATE_ROLE) if item is not None else None

    def mark_accepted(self, candidate: Candidate | None) -> None:
        """Mark ``candidate`` as the one in the document (None: none is)."""
        for i in range(self.count()):
            item = self.item(i)
            item.setData(ACCEPTED_ROLE, candidate is not None and item.data(CANDIDATE_ROLE) is candidate)

    def accepted_candidate(self) -> Candidate | None:
        for i in range(self.count()):
            if self.item(i).data(ACCEPTED_ROLE):
                return self.item(i).data(CANDIDATE_ROLE)
        return None

    def remove_current(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.takeItem(row)  # Qt moves the current item on and says so through currentItemChanged

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.candidate_selected.emit(current.data(CANDIDATE_ROLE) if current is not None else None)
