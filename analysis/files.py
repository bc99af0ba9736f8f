"""Writing a file so that a reader sees the old content or the new, never a half-written file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text(path: str | os.PathLike, text: str, *, durable: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: into a temporary file of its own beside it (unique per
    writer, so two threads or processes writing the same path never share one), then renamed over ``path``.
    ``durable`` also flushes it to disk first (``fsync``), for a file that must survive a crash (a journal).
    Raises ``OSError`` as ``open`` does; the temporary file is removed when the write fails."""
    path = Path(path)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600 files; keep the user's usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def umask() -> int:
    """The process's file-mode creation mask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
