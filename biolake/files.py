"""Files written whole or not at all, readable only by their owner.

Caches, token stores and reports are read by other processes (the dashboard, the next CronJob
run) while they may be rewritten, and some hold secrets or health data. `write_private` writes
a sibling temporary file created 0600 (never readable by others, not even for a moment), flushes
it to disk, renames it over the target and syncs the folder, so a reader sees the old bytes or
the new ones and a crash leaves no half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, mode 0600, its folder created 0700 if missing.

    Raises:
        OSError: the folder or the file cannot be written (the target is left as it was).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)
