"""Export files written whole or not at all, readable by others as ordinary files are."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from scheduler.errors import InputError
from scheduler.timetable_io import cannot_write, default_mode, write_atomically


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, then rename it into place.

    The temporary file is private while it is written; the result gets the permissions of a
    file the user creates, as exports are meant to be shared.
    """

    def write(target: Path) -> None:
        target.write_bytes(data)
        target.chmod(default_mode())

    write_atomically(path, write)


def write_folder(folder: Path, files: Mapping[str, bytes], remove: Iterable[str] = ()) -> None:
    """Write `files` (name -> content) into `folder` and delete the files named in `remove`,
    every change or none.

    Every file is written into a new folder first: beside `folder` when it does not exist yet
    (that new folder is then renamed into place), else inside it, so that what follows are
    renames on one file system. In an existing folder the files in `remove` are moved aside,
    then each new file is moved in (other files already there stay); should a move fail, the
    files moved aside are put back. They are deleted once every new file is in place.
    """
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{folder}: folder '{parent}' does not exist")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    existing = folder.is_dir()
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder if existing else parent)
        )
    except OSError as exc:
        raise cannot_write(folder, exc) from None
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
            (staging / name).chmod(default_mode())
        if existing:
            _move_in(folder, staging, list(files), list(remove))
        else:
            staging.chmod(default_mode(directory=True))
            os.rename(staging, folder)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        if isinstance(exc, OSError):
            raise cannot_write(folder, exc) from None
        raise
    if existing:
        # Holds only the deleted files now: the export is complete whether or not this works.
        shutil.rmtree(staging, ignore_errors=True)


def _move_in(folder: Path, staging: Path, names: list[str], remove: list[str]) -> None:
    """Move `remove`, and the files `names` would replace, from `folder` into `staging`, then
    `names` from `staging` into `folder`; on failure the new files go and the files moved
    aside go back, so that `folder` is as it was."""
    aside = Path(tempfile.mkdtemp(prefix=".removed.", dir=staging))
    replaced = [name for name in names if (folder / name).is_file()]
    moved: list[str] = []
    placed: list[str] = []
    name = ""
    try:
        for name in dict.fromkeys([*remove, *replaced]):
            try:
                os.rename(folder / name, aside / name)
            except FileNotFoundError:
                continue  # gone already: nothing to remove, nothing to put back
            moved.append(name)
        for name in names:
            os.replace(staging / name, folder / name)
            placed.append(name)
    except BaseException as exc:
        for done in placed:
            with contextlib.suppress(OSError):
                os.remove(folder / done)
        for done in reversed(moved):
            with contextlib.suppress(OSError):
                os.rename(aside / done, folder / done)
        if isinstance(exc, OSError):
            raise cannot_write(folder / name, exc) from None
        raise
