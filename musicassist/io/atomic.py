"""Write a file so that it is either wholly there or untouched.

The bytes go to a temporary file in the same folder (same file system, so the
rename is atomic), are flushed to disk, and then ``os.replace`` puts them in
place. On any failure the temporary file is removed and the old file, if
any, is left as it was. The temporary file is created with mode 0o666 so
that the umask gives the saved file the same permissions as any new file.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from musicassist.core.errors import MusicAssistError


class FileWriteError(MusicAssistError):
    """A file could not be saved (missing folder, no permission, disk full)."""


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, or raise FileWriteError and leave ``path`` untouched."""
    target = Path(path)
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
            handle.write(data)
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


def _sentence(target: Path, error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot save '{target.name}': you do not have permission to write in '{target.parent}'."
    if error.errno == errno.ENOSPC:
        return f"Cannot save '{target.name}': the disk is full."
    return f"Cannot save '{target.name}': {error.strerror or 'the system refused'}."
