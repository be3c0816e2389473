"""Output files: folders created with a one-line error, and every file written atomically.

Every output of ssesim goes through ``atomic_write``: a temporary file in the target folder, then
``os.replace``, so a reader never sees half a file and a killed run leaves the old file intact.
Temporary files are named ``.NAME.PID.XXXXXXXX.tmp`` (PID: the writing process). One left by a
process that was killed (SIGKILL, power loss) is removed by the next ssesim that writes into that
folder; only names of that pattern whose process no longer runs are touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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
        fd, tmp = temp_file(path)
    except OSError as exc:
        raise InputError(str(path.parent), option,
                         f"cannot write {path.name}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as exc:  # an interruption (Ctrl-C, SIGTERM) leaves no temporary file either
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(str(path), option, f"cannot write: {exc.strerror or exc}") from None
        raise


_TEMP_NAME = re.compile(r"\..+\.(\d+)\.[A-Za-z0-9_]{8}\.tmp")  # mkstemp adds 8 random characters
_CLEANED: set[Path] = set()


def temp_file(path: Path) -> tuple[int, str]:
    """A new ``.NAME.PID.XXXXXXXX.tmp`` beside ``path``, mode 0644 (mkstemp's 0600 would hide
    outputs from others); stale ones in that folder are removed first. OSError when it cannot."""
    folder = path.parent
    remove_stale_temps(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.fchmod(fd, 0o644)
    return fd, tmp


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` left by ssesim processes that no longer run
    (once per folder and process); return what was removed."""
    key = Path(os.path.abspath(folder))
    if key in _CLEANED:
        return []
    _CLEANED.add(key)
    removed = []
    try:
        names = os.listdir(key)
    except OSError:
        return []
    for name in names:
        match = _TEMP_NAME.fullmatch(name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(key / name)
                removed.append(key / name)
    return removed


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a killed process not yet reaped)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such pid at all)
        return False
    except PermissionError:  # another user's process
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def write_json_atomic(path: Path, obj: dict, option: str = "--out") -> None:
    """``obj`` as indented JSON (key order kept: it is meaningful), written atomically."""
    atomic_write(path, json.dumps(obj, indent=2) + "\n", option)

