"""Benchmark the tagging stage against bare spaCy on the same corpus, in the same run.

    python bench/bench_tagging.py CORPUS [--n 1000 5000] [--n-process 1] [--batch-size 32] [--model NAME]

CORPUS is a JSON Lines file (.jsonl or .jsonl.gz, one article per line with a ``text`` field and optionally
``title``, ``outlet``/``source_url`` and ``id``) or a folder holding the ingest stage's ``articles.parquet``.
For each N the first N articles are processed twice, each time in a fresh subprocess so that peak memory is
measured separately:

* ``bare``: ``for doc in nlp.pipe(texts, batch_size=B, n_process=K): pass`` (the baseline);
* ``stage``: ``analysis.tagging.stream(articles, tmpdir, nlp=nlp, batch_size=B, n_process=K)`` (everything the
  stage does: parsing, quotes, actors, sentiment, building the five tables and writing them to Parquet).

It prints words per second for both (wall clock, and CPU seconds of the measuring process, which is steadier on
a shared machine when K is 1), their ratio, the peak resident memory (RSS high-water mark) of each process, and
the highest RSS sampled in each fifth of the run (memory that grows with the corpus rises fifth after fifth);
with K > 1 the largest worker's peak is shown too. Model loading and reading the corpus are not timed.

``--steps`` (with K = 1) also times, in CPU seconds, the stage's own work on top of spaCy, step by step: each
mention's target sentiment (``sentiment.mention_polarity``), quote extraction (``quotes.extract``), actor
mentions (``actors.mentions``) and sentence voice (``quotes.sentence_voice``), each as a share of bare spaCy's
CPU seconds on the same articles.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_articles(corpus: str, n: int):
    """The first ``n`` articles of ``corpus`` as an articles-like DataFrame (article_id, outlet, title, text)."""
    import pandas as pd

    path = Path(corpus)
    if path.is_dir() or path.suffix == ".parquet":
        sys.path.insert(0, str(ROOT))
        from analysis import tables

        frame = tables.read("articles", path if path.is_dir() else path.parent)
        return frame[frame["is_english"]].head(n).reset_index(drop=True)
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            if len(rows) >= n:
                break
            record = json.loads(line)
            if not str(record.get("text") or "").strip():
                continue
            rows.append({"article_id": str(record.get("id") or f"{path.name}:{row}"),
                         "outlet": str(record.get("outlet") or record.get("source_url") or ""),
                         "title": str(record.get("title") or ""), "text": str(record["text"]), "is_english": True})
    if len(rows) < n:
        print(f"note: {corpus} has only {len(rows)} articles with text (asked for {n})", file=sys.stderr)
    return pd.DataFrame(rows)


def _rss_mb() -> float:
    """Current resident memory of this process in MB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class _Sampler:
    """Samples this process's resident memory every ``every`` seconds in a daemon thread, so a run can show
    whether its memory grows as it goes (a leak grows with the corpus) or only peaks on some batches."""

    def __init__(self, every: float = 0.5):
        self.samples: list[float] = []
        threading.Thread(target=self._run, args=(every,), daemon=True).start()

    def _run(self, every: float) -> None:
        while True:
            self.samples.append(_rss_mb())
            time.sleep(every)

    def fifths(self) -> list[int]:
        """The highest sample in each fifth of the run so far, in MB."""
        import numpy as np

        return [round(part.max()) for part in np.array_split(np.array(self.samples), 5) if len(part)]


STEPS = (("sentiment", "mention_polarity"), ("quotes", "extract"), ("actors", "mentions"),
         ("quotes", "sentence_voice"))


def _timed(steps: dict) -> None:
    """Wrap each function of ``STEPS`` (called through its module by the tagging stage) to add its CPU seconds
    to ``steps``."""
    import importlib

    for module_name, name in STEPS:
        module = importlib.import_module(f"analysis.{module_name}")
        function = getattr(module, name)

        @functools.wraps(function)
        def timed(*args, _function=function, _key=f"{module_name}.{name}", **kwargs):
            started = time.process_time()
            try:
                return _function(*args, **kwargs)
            finally:
                steps[_key] = steps.get(_key, 0.0) + time.process_time() - started

        setattr(module, name, timed)


def worker(mode: str, corpus: str, n: int, *, n_process: int, batch_size: int, model: str,
           steps: bool = False) -> dict:
    """One measurement in this process; returns its figures."""
    sys.path.insert(0, str(ROOT))
    from analysis import models, tagging

    articles = read_articles(corpus, n)
    texts = articles["text"].tolist()
    words = sum(len(t.split()) for t in texts)
    nlp = models.load(model)
    nlp("Warm up the pipeline once before timing.")
    loaded = _rss_mb()
    timed: dict[str, float] = {}
    if steps and mode == "stage":
        _timed(timed)
    sampler = _Sampler()
    wall, cpu = time.perf_counter(), time.process_time()
    rows = {}
    if mode == "bare":
        for _doc in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
            pass
    else:
        with tempfile.TemporaryDirectory(prefix="bench-tagging-") as data_dir:
            rows = tagging.stream(articles, data_dir, nlp=nlp, batch_size=batch_size, n_process=n_process)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"mode": mode, "n": len(texts), "words": words, "seconds": wall, "cpu_seconds": cpu,
            "wps": words / wall, "cpu_wps": words / cpu, "loaded_rss_mb": loaded, "rss_by_fifth_mb": sampler.fifths(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "rows": rows,
            "steps_cpu_seconds": timed}


def measure(mode: str, args, n: int) -> dict:
    """Run one measurement in a fresh interpreter, so its memory peak is its own."""
    cmd = [sys.executable, __file__, args.corpus, "--worker", mode, "--n", str(n), "--n-process", str(args.n_process),
           "--batch-size", str(args.batch_size), "--model", args.model] + (["--steps"] if args.steps else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="JSONL(.gz) corpus or a folder with articles.parquet")
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000], help="numbers of articles to process")
    parser.add_argument("--n-process", type=int, default=1, help="spaCy processes (the same for both)")
    parser.add_argument("--batch-size", type=int, default=32, help="nlp.pipe batch size (the same for both)")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy pipeline")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--steps", action="store_true",
                        help="also time the stage's own steps (CPU seconds; with --n-process 1)")
    parser.add_argument("--worker", choices=["bare", "stage"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps and args.n_process != 1:
        parser.error("--steps times the steps in this process: use it with --n-process 1")
    if args.worker:
        print(json.dumps(worker(args.worker, args.corpus, args.n[0], n_process=args.n_process,
                                batch_size=args.batch_size, model=args.model, steps=args.steps)))
        return
    print(f"corpus {args.corpus}; model {args.model}; n_process {args.n_process}; batch_size {args.batch_size}")
    header = (f"{'articles':>8} {'words':>9} {'bare w/s':>9} {'stage w/s':>9} {'ratio':>6} {'cpu ratio':>9} "
              f"{'bare peak MB':>12} {'stage peak MB':>13} {'stage s':>8}")
    results = []
    for n in args.n:
        bare, stage = measure("bare", args, n), measure("stage", args, n)
        results.append({"bare": bare, "stage": stage, "ratio": stage["wps"] / bare["wps"],
                        "cpu_ratio": stage["cpu_wps"] / bare["cpu_wps"]})
        if len(results) == 1:
            print(header)
        peak = lambda r: max(r["peak_rss_mb"], r["children_peak_rss_mb"] if args.n_process > 1 else 0)  # noqa: E731
        print(f"{bare['n']:>8} {bare['words']:>9} {bare['wps']:>9.0f} {stage['wps']:>9.0f} "
              f"{results[-1]['ratio']:>6.2f} {results[-1]['cpu_ratio']:>9.2f} {peak(bare):>12.0f} "
              f"{peak(stage):>13.0f} {stage['seconds']:>8.0f}", flush=True)
    for r in results:
        print(f"  n={r['stage']['n']}: RSS after loading model and corpus {r['bare']['loaded_rss_mb']:.0f} MB (bare) / "
              f"{r['stage']['loaded_rss_mb']:.0f} MB (stage); stage rows {r['stage']['rows']}")
        print(f"  n={r['stage']['n']}: highest RSS in each fifth of the run, MB: bare {r['bare']['rss_by_fifth_mb']}, "
              f"stage {r['stage']['rss_by_fifth_mb']}")
        bare_cpu, over = r["bare"]["cpu_seconds"], r["stage"]["cpu_seconds"] - r["bare"]["cpu_seconds"]
        for step, cpu in r["stage"]["steps_cpu_seconds"].items():
            print(f"  n={r['stage']['n']}: {step}: {cpu:.1f} CPU s, {cpu / bare_cpu:.1%} of bare spaCy's "
                  f"{bare_cpu:.1f}, {cpu / over:.0%} of the stage's {over:.1f} on top of it")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
