"""Export files written whole or not at all, readable by others as ordinary files are."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from scheduler.errors import InputError
from scheduler.timetable_io import write_atomically


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _current_umask()
"""Read once, at import: setting it to read it is not safe while other threads create files."""


def _default_mode(directory: bool = False) -> int:
    """The permissions a new file (or folder) gets under the umask."""
    return (0o777 if directory else 0o666) & ~_UMASK


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, then rename it into place.

    The temporary file is private while it is written; the result gets the permissions of a
    file the user creates, as exports are meant to be shared.
    """

    def write(target: Path) -> None:
        target.write_bytes(data)
        target.chmod(_default_mode())

    write_atomically(path, write)


def write_folder(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write `files` (name -> content) into `folder`, every file or none.

    Every file is written into a new folder beside `folder` first. A `folder` that does not
    exist yet is then that new folder, renamed; into an existing one each file is moved
    (other files already there stay).
    """
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{folder}: folder '{parent}' does not exist")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
            (staging / name).chmod(_default_mode())
        if folder.is_dir():
            for name in files:
                os.replace(staging / name, folder / name)
            staging.rmdir()
        else:
            staging.chmod(_default_mode(directory=True))
            os.rename(staging, folder)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        raise
