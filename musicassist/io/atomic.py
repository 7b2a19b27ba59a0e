"""Write a file so that it is either wholly there or untouched: the one place that does it.

The bytes go to a temporary file in the same folder (same file system, so the
rename is atomic), are flushed to disk, and then ``os.replace`` puts them in
place. On any failure the temporary file is removed and the old file, if
any, is left as it was. The temporary file is created with mode 0o666 so
that the umask gives the saved file the same permissions as any new file.

- ``atomic_write_bytes(path, data)``: bytes already in memory.
- ``atomic_writer(path)``: a binary handle for writers that stream (NumPy's
  ``savez``, matplotlib's ``savefig``, ``json.dump``).
- ``files_into_folder(folder)``: a set of files (the candidates of
  ``generate``) that all arrive in ``folder`` or none do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from musicassist.core.errors import MusicAssistError


class FileWriteError(MusicAssistError):
    """A file could not be saved (missing folder, no permission, disk full)."""


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, or raise FileWriteError and leave ``path`` untouched."""
    with atomic_writer(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], make_folder: bool = False) -> Iterator[BinaryIO]:
    """A binary handle whose bytes replace ``path`` when the block ends without an exception.

    ``make_folder`` creates missing parent folders (caches and models do; a
    composer's save does not, so a mistyped folder is reported instead).
    """
    target = Path(path)
    if make_folder:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileWriteError(_sentence(target, exc)) from exc
    if target.is_dir():
        raise FileWriteError(f"Cannot save to '{target}': it is a folder.")
    folder = target.parent
    if not folder.is_dir():
        raise FileWriteError(f"Cannot save '{target.name}': the folder '{folder}' does not exist.")
    temporary = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise FileWriteError(_sentence(target, exc)) from exc
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)  # keep an existing file's permissions
        os.replace(temporary, target)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise FileWriteError(_sentence(target, exc)) from exc
        raise


@contextlib.contextmanager
def files_into_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """A fresh staging folder; its files move into ``folder`` (created if needed) when the block ends
    without an exception, and are all deleted otherwise, so ``folder`` never holds a partial set."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise FileWriteError(f"Cannot save into '{target}': it is a file, not a folder.")
    existed = target.is_dir()
    try:
        if not existed:
            target.parent.mkdir(parents=True, exist_ok=True)
        staging = (target if existed else target.parent) / f".{target.name}.{secrets.token_hex(4)}.tmp"
        staging.mkdir(0o777)  # the umask applies, as for any new folder
    except OSError as exc:
        raise FileWriteError(_folder_sentence(target, exc)) from exc
    try:
        yield staging
        if not existed and not target.exists():
            os.rename(staging, target)  # the whole set appears at once
        else:
            for item in sorted(staging.iterdir()):
                os.replace(item, target / item.name)  # renames within one folder: they do not run out of space
            staging.rmdir()
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise FileWriteError(_folder_sentence(target, exc)) from exc
        raise


def _sentence(target: Path, error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot save '{target.name}': you do not have permission to write in '{target.parent}'."
    if error.errno == errno.ENOSPC:
        return f"Cannot save '{target.name}': the disk is full."
    return f"Cannot save '{target.name}': {error.strerror or 'the system refused'}."


def _folder_sentence(folder: Path, error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot save into '{folder}': you do not have permission to write there."
    if error.errno == errno.ENOSPC:
        return f"Cannot save into '{folder}': the disk is full."
    return f"Cannot save into '{folder}': {error.strerror or 'the system refused'}."
