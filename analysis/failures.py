"""The ``failures`` table: articles a stage could not analyse, so that one bad article never sinks a run.

A stage analyses each article inside ``Recorder.guard(article_id)``: an exception there becomes a row of the
``failures`` table (``stage``, ``article_id``, ``error``, ``message``; ``analysis/data/schemas/failures.yaml``)
and a warning in the log, and the stage goes on with the next article. Later stages read the articles through
``analysed``, which leaves out every article that failed in an earlier stage. Errors of a whole step (a table
that cannot be written, a chart of the whole corpus) are not caught: they still fail the run.

    failed = failures.Recorder("tag")
    for article_id, doc in ...:
        with failed.guard(article_id):
            ...
    failed.write(data_dir)
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from analysis import tables

log = logging.getLogger(__name__)

TABLE = "failures"
MESSAGE_CHARS = 500


class Recorder:
    """Collects the failures of one stage (``stage`` as named in pipeline.yaml)."""

    def __init__(self, stage: str):
        self.stage = stage
        self.rows: list[dict] = []

    def add(self, article_id: str, error: BaseException) -> None:
        """Record that ``article_id`` failed with ``error`` (logged as a warning naming the article)."""
        message = " ".join(str(error).split())[:MESSAGE_CHARS]
        kind = type(error).__name__
        log.warning("%s: article %s failed and is left out (%s: %s)", self.stage, article_id, kind, message)
        self.rows.append({"stage": self.stage, "article_id": str(article_id), "error": kind, "message": message})

    @contextlib.contextmanager
    def guard(self, article_id: str) -> Iterator[None]:
        """Run the block for one article; an ``Exception`` in it is recorded and suppressed (the block stops
        there). ``KeyboardInterrupt`` and ``SystemExit`` still stop the run."""
        try:
            yield
        except Exception as err:  # noqa: BLE001 - isolating one article from any error is the point
            self.add(article_id, err)

    @property
    def ids(self) -> set[str]:
        """The ids of the articles that failed so far."""
        return {row["article_id"] for row in self.rows}

    def frame(self) -> pd.DataFrame:
        """The rows recorded so far, conforming to the ``failures`` schema."""
        return tables.conform(pd.DataFrame(self.rows), TABLE, fill=True) if self.rows else tables.empty(TABLE)

    def write(self, data_dir: str | os.PathLike) -> Path:
        """Write this stage's rows into ``<data_dir>/failures.parquet``, replacing the rows an earlier run of the
        same stage left there and keeping the other stages' rows."""
        return write(self.frame(), data_dir, stage=self.stage)


def write(df: pd.DataFrame, data_dir: str | os.PathLike, *, stage: str) -> Path:
    """Replace ``stage``'s rows of the failures table in ``data_dir`` with ``df`` (rows of that stage)."""
    others = read(data_dir)
    others = others[others["stage"] != stage]
    return tables.write(pd.concat([others, tables.conform(df, TABLE)], ignore_index=True), TABLE, data_dir)


def read(data_dir: str | os.PathLike) -> pd.DataFrame:
    """The failures table of ``data_dir``; empty (with its columns) when no stage has written one."""
    path = Path(data_dir) / f"{TABLE}.parquet"
    return tables.read(TABLE, data_dir) if path.exists() else tables.empty(TABLE)


def from_skipped(skipped: pd.DataFrame, *, stage: str = "ingest") -> pd.DataFrame:
    """Failures rows for the ingest stage's ``skipped`` rows whose reason is ``failed`` (an input the stage raised
    on: its detail reads ``ErrorType: message``); the article id is the input's path and row."""
    failed = skipped[skipped["reason"] == "failed"]
    error, _, message = failed["detail"].str.partition(": ").T.values if len(failed) else ([], [], [])
    ids = [p if r < 0 else f"{p}:{r}" for p, r in zip(failed["source_path"], failed["source_row"])]
    return tables.conform(pd.DataFrame({"stage": stage, "article_id": ids, "error": list(error),
                                        "message": list(message)}), TABLE) if ids else tables.empty(TABLE)


def analysed(articles: pd.DataFrame, data_dir: str | os.PathLike) -> pd.DataFrame:
    """``articles`` without those an earlier stage failed on (listed in ``data_dir``'s failures table)."""
    failed = set(read(data_dir)["article_id"])
    keep = ~articles["article_id"].isin(failed)
    if not keep.all():
        log.info("leaving out %d article(s) an earlier stage failed on (see the failures table)", (~keep).sum())
    return articles[keep].reset_index(drop=True)


def summary(data_dir: str | os.PathLike) -> pd.DataFrame:
    """How many articles failed in each stage, with the commonest error: columns ``stage``, ``failed``,
    ``errors`` (``"ValueError: 2, MemoryError: 1"``), in pipeline order; empty when nothing failed. For the
    index page and the command line."""
    df = read(data_dir)
    if not len(df):
        return pd.DataFrame({"stage": pd.Series(dtype=object), "failed": pd.Series(dtype="int64"),
                             "errors": pd.Series(dtype=object)})
    rows = []
    for stage, group in df.groupby("stage", sort=False):
        counts = group["error"].value_counts()
        rows.append({"stage": stage, "failed": group["article_id"].nunique(),
                     "errors": ", ".join(f"{e}: {n}" for e, n in counts.items())})
    return pd.DataFrame(rows)


def total(data_dir: str | os.PathLike) -> int:
    """How many (stage, article) failures ``data_dir`` records."""
    return len(read(data_dir))
