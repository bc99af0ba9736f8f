"""Issue #15 goal 5: the speed-up of two Dask workers over one on the per-article work of the tagging and rhetoric
stages (``analysis.cluster.tag`` and ``analysis.cluster.scan``), measured in one run.

    .venv/bin/python bench/pipeline_dask.py [CORPUS] [--quick] [--json OUT]

CORPUS is a JSON Lines file (``.jsonl``/``.jsonl.gz``, one article per line with a ``text`` field) or a folder
holding an ingest stage's ``articles.parquet``; by default the shared AllSides sample
(``shared/corpora/allsides_sample_5000.jsonl.gz`` beside the project). The first 1,000 articles (``--quick``:
200) go through both stages twice, on a ``distributed.LocalCluster`` of one worker process (the baseline) and
of two, one thread each, in partitions of ``PARTITION_SIZE`` articles. Each cluster's workers load the model
before the clock starts. The value is the wall-clock time of both stages; the ratio is the speed-up
(baseline time / two-worker time), the target 1.7 (as goal 4's for two processes). The two runs' tables are
compared and must be identical. ``bench/bench_pipeline.py`` calls ``measure``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

TARGET = 1.7
SIZES = {"full": 1000, "quick": 200}
PARTITION_SIZE = 50  # 1,000 articles make 20 tasks: both workers stay busy until the last few
CORPUS = "allsides_sample_5000.jsonl.gz"


def default_corpus() -> Path:
    """The shared AllSides sample beside the project (a checkout's ``../shared/corpora`` or ``../../``)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "corpora" / CORPUS
        if path.is_file():
            return path
    raise FileNotFoundError(f"no corpus given and {CORPUS} is not in ../shared/corpora: pass a corpus path")


def measure(corpus: Path | None, *, quick: bool) -> list[dict]:
    """Rows ``{goal, measure, value, baseline, ratio, target, met}``: wall seconds of the tagging and rhetoric
    stages on two LocalCluster workers (value) and on one (baseline), for each stage and both together; ratio is
    the speed-up. Raises AssertionError when the two runs' tables differ."""
    from bench_tagging import read_articles

    n = SIZES["quick" if quick else "full"]
    articles = read_articles(str(corpus or default_corpus()), n)
    one, two = _timed(articles, workers=1), _timed(articles, workers=2)
    _same(one.pop("tables"), two.pop("tables"))
    rows = []
    for step in ("tagging", "rhetoric", "tagging+rhetoric"):
        ratio = one[step] / two[step]
        rows.append({"goal": "5 (Dask)", "measure": f"{step} on 2 LocalCluster workers vs 1, {len(articles)} "
                     f"articles (wall s)", "value": round(two[step], 1), "baseline": round(one[step], 1),
                     "ratio": round(ratio, 2), "target": TARGET, "met": ratio >= TARGET})
    return rows


def _timed(articles, *, workers: int) -> dict:
    """Wall seconds of ``cluster.tag`` and ``cluster.scan`` on a fresh LocalCluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    from analysis import cluster, failures, tables, tagging

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as local, \
            Client(local) as client, tempfile.TemporaryDirectory() as data:
        client.run(cluster._model, "en_core_web_sm")  # the model loads once per worker, before the clock starts
        started = time.perf_counter()
        cluster.tag(articles, data, scheduler=local.scheduler_address, partition_size=PARTITION_SIZE)
        tagged = time.perf_counter()
        sentences, quotes = tables.read("sentences", data), tables.read("quotes", data)
        # data_dir as the rhetoric notebook passes it: each task gets its partition's stored parse, no re-parse
        scanned = cluster.scan(articles, scheduler=local.scheduler_address, sentences=sentences, quotes=quotes,
                               failed=failures.Recorder("rhetoric"), partition_size=PARTITION_SIZE, data_dir=data)
        done = time.perf_counter()
        out = {name: tables.read(name, data) for name in tagging.TABLES}
    out.update(hits=scanned.hits, counts=scanned.counts, frames=scanned.frames)
    return {"tagging": tagged - started, "rhetoric": done - tagged, "tagging+rhetoric": done - started,
            "tables": out}


def _same(a: dict, b: dict) -> None:
    from pandas.testing import assert_frame_equal

    for name in a:
        assert_frame_equal(a[name], b[name], obj=name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, help=f"JSON Lines corpus (default: shared {CORPUS})")
    parser.add_argument("--quick", action="store_true", help=f"{SIZES['quick']} articles, not {SIZES['full']}")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.WARNING)  # not its start-up and shut-down INFO lines
    rows = measure(args.corpus, quick=args.quick)
    print("| measure | value | baseline | ratio | target | met |\n|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['measure']} | {r['value']} | {r['baseline']} | {r['ratio']} | {r['target']} | {r['met']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


GOALS = {"5": measure}
"""What ``bench/bench_pipeline.py`` runs for issue #15's goal 5."""

if __name__ == "__main__":
    main()
