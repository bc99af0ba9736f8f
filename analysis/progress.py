"""Progress bars for long loops: a bar in JupyterLab and on the command line, never a log line per chunk.

Log messages are kept for warnings and errors; how far a stage has got is shown with tqdm (``tqdm.auto`` picks
the notebook widget in JupyterLab and a text bar in a terminal). Set ``FRAMING_PROGRESS=0`` to turn bars off: the
runner does so for headless stage kernels, whose output becomes a report.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

ENV = "FRAMING_PROGRESS"


def enabled() -> bool:
    """Whether bars are shown (``FRAMING_PROGRESS`` is not ``0``/``false``/``no``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def bar(iterable: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "article") -> Iterator[T]:
    """``iterable`` wrapped in a progress bar of ``total`` steps (``len(iterable)`` when it has one)."""
    if not enabled():
        return iter(iterable)
    from tqdm.auto import tqdm

    return iter(tqdm(iterable, total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=False))
