"""The assistant panel's model list says which rules a tuned model was tuned towards (issue 16)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from musicassist.gui.assistant_panel import AssistantPanel


def test_tuned_models_show_their_rules(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("MUSICASSIST_MODELS", str(tmp_path))
    for name, extra in (("plain", {}), ("tuned", {"tuning": {"prior": "default", "rules": {"in_key": 2}, "kl": 0.3}})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps({"model": {}, **extra}))
    panel = AssistantPanel()
    qtbot.addWidget(panel)
    panel.set_models(["plain", "tuned"], "tuned")
    tooltip = Qt.ItemDataRole.ToolTipRole
    assert panel.model_combo.currentText() == "tuned"  # the name stays the item's text
    assert "in_key 2" in panel.model_combo.itemData(2, tooltip)
    assert not panel.model_combo.itemData(1, tooltip)
