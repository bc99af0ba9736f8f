"""Issue #15, goals 3 and 4: the whole run against bare spaCy, its memory as the corpus grows, and its speed-up
on two processes.

    python bench/pipeline_parse.py [CORPUS] [--quick] [--n-process 1] [--sizes SMALL LARGE] [--processes-at N]
                                   [--only speed|memory|processes] [--json OUT]
    python bench/pipeline_parse.py --rhetoric-steps RUN/data [--n-process K] [--steps-of 02_tag]   # s per step

CORPUS is a JSON Lines file (.jsonl or .jsonl.gz; the AllSides sample, ``allsides_sample_5000.jsonl.gz`` of the
shared corpora); its first N articles are written to a scratch corpus for each size. Without CORPUS the five seeds
are repeated to the size (a smoke run of the benchmark, not a figure to quote).

*Whole run* here is the four stage notebooks' own code executed in one fresh interpreter, in order (ingest, tag,
rhetoric, charts): every code cell with its parameters injected as papermill does, and each chart built and turned
into its Vega-Lite dict, without papermill, kernels or the HTML reports (the papermill and report cost is fixed
per run, not per article; ``bench/bench_pipeline.py`` measures it). *Bare* is
``for doc in models.load(model).pipe(texts, batch_size=32, n_process=K): pass`` over the English texts the
ingest stage kept, in another fresh interpreter. Both times are wall clock from the first statement to the last
(imports and model loading included in both). Peak memory is the highest total resident memory of the measured
process and all its children (worker processes included), sampled every 0.2 s.

Rows (``measure``): ``{goal, measure, value, baseline, ratio, target, met}``.

* goal 3, speed: whole run / bare nlp.pipe at the large size, both with ``--n-process`` (target <= 1.25); bare
  runs once before the whole run and once after (over the texts a separate ingest kept), and the ratio is to their
  mean, so the machine's drift in speed during the measurement falls on both sides alike;
* goal 3, memory: peak of the whole run at the large size / at the small size (target <= 1.3);
* goal 4: whole run on 1 process / on 2 processes at ``--processes-at`` articles (target >= 1.7), and the tables
  of those two runs that differ (target: none).

Sizes: ``--quick`` 100 and 300 articles, processes at 300 (a few minutes of CPU); else 1,000 and 5,000, processes
at 1,000 (about 50 minutes on 2 idle cores).
"""
from __future__ import annotations

import argparse
import ast
import gzip
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01_ingest", "02_tag", "03_rhetoric", "04_charts"]
QUICK, FULL = (100, 300, 300), (1_000, 5_000, 1_000)
SPEED_TARGET, MEMORY_TARGET, PROCESSES_TARGET = 1.25, 1.3, 1.7


def measure(corpus: Path | None, *, quick: bool, n_process: int = 1, sizes: tuple[int, int] | None = None,
            processes_at: int | None = None, only: tuple[str, ...] = ("speed", "memory", "processes")) -> list[dict]:
    """The goal rows of issue #15 goals 3 and 4 (see the module docstring); each run in a fresh interpreter."""
    small, large, at = QUICK if quick else FULL
    small, large = sizes or (small, large)
    at = processes_at or at
    rows, whole = [], {}
    with tempfile.TemporaryDirectory(prefix="pipeline-parse-") as tmp:
        def run(n: int, k: int) -> dict:
            if (n, k) not in whole:
                whole[(n, k)] = _child("whole", _subset(corpus, n, Path(tmp)), Path(tmp) / f"run-{n}-{k}", k)
                print(f"whole run, {n} articles, n_process={k}: {_summary(whole[(n, k)])}", file=sys.stderr)
            return whole[(n, k)]

        if "speed" in only:
            # Bare spaCy before and after the whole run, against their mean: this machine's speed drifts by up to
            # 13 % within an hour, more than the goal's margin, and a baseline on one side only takes the drift in.
            kept = _child("ingest", _subset(corpus, large, Path(tmp)), Path(tmp) / "ingest", n_process)["data_dir"]
            before = _child("bare", kept, Path(tmp) / "bare", n_process)
            print(f"bare nlp.pipe before, n_process={n_process}: {_summary(before)}", file=sys.stderr)
            done = run(large, n_process)
            after = _child("bare", kept, Path(tmp) / "bare", n_process)
            print(f"bare nlp.pipe after, n_process={n_process}: {_summary(after)}", file=sys.stderr)
            rows.append(_row("3 one parse per article", f"whole run / bare nlp.pipe (mean of {before['wall']:.1f} s "
                             f"before and {after['wall']:.1f} s after), {done['articles']} English articles, "
                             f"n_process={n_process} (wall s)", done["wall"], (before["wall"] + after["wall"]) / 2,
                             f"<= {SPEED_TARGET}", lambda r: r <= SPEED_TARGET))
        if "memory" in only:
            big, little = run(large, n_process), run(small, n_process)
            rows.append(_row("3 one parse per article", f"peak memory of the whole run, {large} / {small} articles, "
                             f"n_process={n_process} (MB)", big["peak_mb"], little["peak_mb"],
                             f"<= {MEMORY_TARGET}", lambda r: r <= MEMORY_TARGET))
        if "processes" in only:
            one, two = run(at, 1), run(at, 2)
            rows.append(_row("4 every core", f"whole run on 1 process / on 2, {at} articles (wall s)", one["wall"],
                             two["wall"], f">= {PROCESSES_TARGET}", lambda r: r >= PROCESSES_TARGET))
            differ = _differing(Path(one["data_dir"]), Path(two["data_dir"]))
            rows.append({"goal": "4 every core", "measure": f"tables that differ between 1 and 2 processes "
                         f"({', '.join(differ) or 'none'})", "value": len(differ),
                         "baseline": len(list(Path(one["data_dir"]).glob("*.parquet"))), "ratio": 0.0,
                         "target": "0", "met": not differ})
    return rows


def _differing(a: Path, b: Path) -> list[str]:
    """The tables (Parquet files) whose rows differ between run folders ``a`` and ``b``."""
    import pandas as pd

    names = sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")})
    out = []
    for name in names:
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))
        except (AssertionError, FileNotFoundError):
            out.append(name.removesuffix(".parquet"))
    return out


def _summary(result: dict) -> str:
    stages = result.get("stages")
    return (f"{result['wall']:.1f} s wall, {result['cpu']:.1f} CPU s, peak {result['peak_mb']:.0f} MB, "
            f"{result['articles']} English articles" + (f"; stages (s) {stages}" if stages else ""))


def _row(goal: str, what: str, value: float, baseline: float, target: str, met) -> dict:
    ratio = value / baseline if baseline else float("nan")
    return {"goal": goal, "measure": what, "value": round(value, 1), "baseline": round(baseline, 1),
            "ratio": round(ratio, 3), "target": target, "met": bool(met(ratio))}


def _subset(corpus: Path | None, n: int, tmp: Path) -> Path:
    """A scratch JSONL corpus of the first ``n`` articles of ``corpus`` (the seeds repeated when None)."""
    out = tmp / f"corpus-{n}.jsonl"
    if out.exists():
        return out
    if corpus is None:
        seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
        lines = (json.dumps({"id": f"seed-{k}", "outlet": f"outlet {k % 5}", "text": seeds[k % len(seeds)]})
                 for k in range(n))
    else:
        opener = gzip.open if corpus.suffix == ".gz" else open
        with opener(corpus, "rt", encoding="utf-8") as f:
            lines = list(itertools.islice((line.rstrip("\n") for line in f if line.strip()), n))
        if len(lines) < n:
            print(f"note: {corpus} has only {len(lines)} articles (asked for {n})", file=sys.stderr)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _child(mode: str, source: Path, data_dir: Path, n_process: int) -> dict:
    """Run ``mode`` (whole, ingest: the first stage alone, or bare) in a fresh interpreter, sampling the memory of
    its process tree."""
    import psutil

    cmd = [sys.executable, __file__, "--child", mode, str(source), str(data_dir), str(n_process)]
    env = {**os.environ, "FRAMING_PROGRESS": "0", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err[-4000:]}")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_mb": peak[0], "data_dir": str(data_dir)}


# ------------------------------------------------------------------------------------ in the child process


def _whole(corpus: str, data_dir: str, n_process: int, *, stages: list[str] = NOTEBOOKS) -> dict:
    params = {"01_ingest": {"corpus": [corpus], "data_dir": data_dir},
              "02_tag": {"data_dir": data_dir, "n_process": n_process},
              "03_rhetoric": {"data_dir": data_dir, "n_process": n_process},
              "04_charts": {"data_dir": data_dir}}
    os.chdir(ROOT / "notebooks")
    started, times = time.perf_counter(), {}
    for name in stages:
        begun = time.perf_counter()
        _execute(ROOT / "notebooks" / f"{name}.ipynb", params[name])
        times[name] = round(time.perf_counter() - begun, 1)
    wall = time.perf_counter() - started
    import pandas as pd

    articles = pd.read_parquet(Path(data_dir) / "articles.parquet", columns=["is_english"])
    return {"wall": wall, "stages": times, "articles": int(articles["is_english"].sum()), "cpu": _cpu()}


def _execute(path: Path, params: dict) -> None:
    """Run a notebook's code cells in one namespace, the parameters cell followed by ``params`` (as papermill
    injects them); a cell's last expression is evaluated, and a chart is turned into its Vega-Lite dict."""
    scope: dict = {"__name__": "__main__"}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(path), "exec"), scope)  # noqa: S102 - the project's own notebooks
        if "parameters" in cell["metadata"].get("tags", []):
            scope.update(params)
        if last is not None:
            shown = eval(compile(ast.Expression(last.value), str(path), "eval"), scope)  # noqa: S307
            if hasattr(shown, "to_dict") and type(shown).__module__.startswith("altair"):
                shown.to_dict()


def _bare(data_dir: str, n_process: int) -> dict:
    import pandas as pd

    articles = pd.read_parquet(Path(data_dir) / "articles.parquet", columns=["text", "is_english"])
    texts = articles.loc[articles["is_english"], "text"].tolist()
    del articles
    started = time.perf_counter()
    from analysis import models

    nlp = models.load("en_core_web_sm")
    for _doc in nlp.pipe(texts, batch_size=32, n_process=n_process):
        pass
    return {"wall": time.perf_counter() - started, "articles": len(texts), "cpu": _cpu()}


def steps(run_dir: Path, *, n_process: int = 1, notebook: str = "03_rhetoric") -> list[dict]:
    """CPU and wall seconds of each code cell of ``notebook`` (the rhetoric stage's by default, or the tagging
    stage's), run on a copy of ``run_dir`` (a run folder whose stages before it are done) in this process, the
    spaCy model loaded and TextBlob/VADER imported first as in a whole run. ``children`` is the CPU of worker
    processes (with ``n_process`` > 1)."""
    import shutil

    sys.path.insert(0, str(ROOT))
    import textblob.en  # noqa: F401 - the tagging stage imports them in a whole run
    import vaderSentiment.vaderSentiment  # noqa: F401

    from analysis import models

    models.load("en_core_web_sm")
    path, rows = ROOT / "notebooks" / f"{notebook}.ipynb", []
    with tempfile.TemporaryDirectory(prefix="rhetoric-steps-") as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(run_dir, data_dir)
        os.chdir(ROOT / "notebooks")
        for cell, source in _cells(path, {"data_dir": str(data_dir), "n_process": n_process}):
            cpu, wall, children = time.process_time(), time.perf_counter(), _children()
            cell()
            rows.append({"step": source.splitlines()[0][:70], "cpu": round(time.process_time() - cpu, 2),
                         "children": round(_children() - children, 2), "wall": round(time.perf_counter() - wall, 2)})
    return rows


def _cells(path: Path, params: dict):
    """``(run, source)`` for each code cell of notebook ``path``, as ``_execute`` runs them (one namespace)."""
    scope: dict = {"__name__": "__main__"}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])

        def run(source=source, tagged="parameters" in cell["metadata"].get("tags", [])) -> None:
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, str(path), "exec"), scope)  # noqa: S102 - the project's own notebooks
            if tagged:
                scope.update(params)
            if last is not None:
                eval(compile(ast.Expression(last.value), str(path), "eval"), scope)  # noqa: S307
        yield run, source


def _children() -> float:
    t = os.times()
    return t.children_user + t.children_system


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, help="JSONL(.gz) corpus (default: the seeds, repeated)")
    parser.add_argument("--quick", action="store_true", help="100 and 300 articles instead of 1,000 and 5,000")
    parser.add_argument("--n-process", type=int, default=1, help="processes for goal 3 (whole run and bare alike)")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "LARGE"), help="override the two sizes")
    parser.add_argument("--processes-at", type=int, help="articles for goal 4 (1 process against 2)")
    parser.add_argument("--only", nargs="+", choices=["speed", "memory", "processes"],
                        default=["speed", "memory", "processes"], help="measure only these")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument("--rhetoric-steps", type=Path, metavar="RUN_DATA_DIR",
                        help="only time each cell of the rhetoric notebook on a copy of this tagged run folder "
                             "(CPU s per step), with --n-process processes")
    parser.add_argument("--steps-of", choices=NOTEBOOKS[1:3], default="03_rhetoric",
                        help="with --rhetoric-steps: the notebook to time (02_tag re-tags the copy)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rhetoric_steps:
        rows = steps(args.rhetoric_steps.resolve(), n_process=args.n_process, notebook=args.steps_of)
        for r in rows:
            print(f"{r['cpu']:>7.2f} CPU s {r['children']:>7.2f} in workers {r['wall']:>7.2f} s wall  {r['step']}")
        print(f"{sum(r['cpu'] for r in rows):>7.2f} CPU s {sum(r['children'] for r in rows):>7.2f} in workers "
              f"{sum(r['wall'] for r in rows):>7.2f} s wall  the stage")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
        return
    if args.child:
        mode, source, data_dir, n_process = args.child
        sys.path.insert(0, str(ROOT))
        if mode == "bare":
            result = _bare(source, int(n_process))
        else:
            result = _whole(source, data_dir, int(n_process), stages=NOTEBOOKS[:1] if mode == "ingest" else NOTEBOOKS)
        print(json.dumps(result))
        return
    rows = measure(args.corpus, quick=args.quick, n_process=args.n_process,
                   sizes=tuple(args.sizes) if args.sizes else None, processes_at=args.processes_at,
                   only=tuple(args.only))
    width = max(len(r["measure"]) for r in rows)
    print(f"{'goal':<24} {'measure':<{width}} {'value':>9} {'baseline':>9} {'ratio':>7} {'target':>7}  met")
    for r in rows:
        print(f"{r['goal']:<24} {r['measure']:<{width}} {r['value']:>9} {r['baseline']:>9} {r['ratio']:>7} "
              f"{r['target']:>7}  {'yes' if r['met'] else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


GOALS = {"3-4": measure}
"""What ``bench/bench_pipeline.py`` runs for issue #15's goals 3 and 4."""

if __name__ == "__main__":
    main()
