"""Atomic writes: the file is complete or untouched, never half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from musicassist.io import atomic
from musicassist.io.atomic import FileWriteError, atomic_write_bytes


def test_writes_a_new_file_with_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "song.mid"
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["song.mid"]


def test_replacing_keeps_the_old_files_permissions(tmp_path: Path) -> None:
    target = tmp_path / "song.mid"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "song.mid"
    target.write_bytes(b"old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(FileWriteError, match="the disk is full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["song.mid"]


def test_an_interrupt_while_writing_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "song.mid", b"new")
    assert os.listdir(tmp_path) == []


def test_missing_folder_and_folder_target_are_plain_sentences(tmp_path: Path) -> None:
    with pytest.raises(FileWriteError, match="does not exist"):
        atomic_write_bytes(tmp_path / "nowhere" / "song.mid", b"x")
    with pytest.raises(FileWriteError, match="is a folder"):
        atomic_write_bytes(tmp_path, b"x")


def test_a_refused_folder_is_a_permission_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "open", refused)  # as a read-only folder would, even for root
    with pytest.raises(FileWriteError, match="you do not have permission to write in"):
        atomic_write_bytes(tmp_path / "song.mid", b"x")
    assert os.listdir(tmp_path) == []


def test_a_set_of_files_arrives_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic.files_into_folder(out) as staging:
        (staging / "a.mid").write_bytes(b"a")
        (staging / "b.mid").write_bytes(b"b")
        assert not out.exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.mid", "b.mid"]
    with pytest.raises(FileWriteError, match="disk is full"), atomic.files_into_folder(out) as staging:
        (staging / "a.mid").write_bytes(b"new a")
        raise OSError(28, "No space left on device")
    assert sorted(p.name for p in out.iterdir()) == ["a.mid", "b.mid"] and (out / "a.mid").read_bytes() == b"a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_that_is_a_file_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(FileWriteError, match="it is a file"), atomic.files_into_folder(tmp_path / "taken"):
        pass


def test_a_streaming_writer_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    """What the plots (savefig) and the caches (np.savez) write through: no .tmp file survives an error."""
    target = tmp_path / "plot.png"
    target.write_bytes(b"old picture")
    with pytest.raises(RuntimeError), atomic.atomic_writer(target) as handle:
        handle.write(b"half a pic")
        raise RuntimeError("matplotlib gave up")
    assert os.listdir(tmp_path) == ["plot.png"] and target.read_bytes() == b"old picture"
    with atomic.atomic_writer(tmp_path / "cache" / "index.npz", make_folder=True) as handle:
        handle.write(b"arrays")
    assert (tmp_path / "cache" / "index.npz").read_bytes() == b"arrays"
