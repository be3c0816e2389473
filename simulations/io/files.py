"""Output files: folders created with a one-line error, and every file written atomically.

Every output of ssesim goes through ``atomic_write``: a temporary file in the target folder, then
``os.replace``, so a reader never sees half a file and a killed run leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from model.errors import InputError


def make_folder(folder: Path, option: str = "--out") -> None:
    """Create ``folder`` (and its parents), or raise an ``InputError`` naming ``option``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(folder), option,
                         f"cannot create folder: {exc.strerror or exc}") from None


def atomic_write(path: Path, data: bytes | str, option: str = "--out") -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(str(path.parent), option,
                         f"cannot write {path.name}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o644)  # mkstemp's 0600 would hide reports from others
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(str(path), option, f"cannot write: {exc.strerror or exc}") from None


def write_json_atomic(path: Path, obj: dict, option: str = "--out") -> None:
    """``obj`` as indented JSON (key order kept: it is meaningful), written atomically."""
    atomic_write(path, json.dumps(obj, indent=2) + "\n", option)

