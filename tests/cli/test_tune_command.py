"""``musicassist tune`` refuses what it cannot start from in one line, before it loads TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_missing_prior_is_one_line_without_tensorflow_noise(tmp_path: Path) -> None:
    # A child process: TensorFlow prints its start-up lines on stderr as soon as it is imported.
    done = subprocess.run([sys.executable, "-m", "musicassist.cli.main", "tune", "--init", str(tmp_path / "none"),
                           "--rules", "folk melody", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == f"musicassist: No trained model was found in {tmp_path / 'none'}."
    assert not (tmp_path / "out").exists()
