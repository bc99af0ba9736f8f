"""Benchmark the goals of issue #15, each as a ratio against a baseline measured in the same run.

    python bench/bench_pipeline.py [CORPUS] [--quick] [--goals 1,2] [--json OUT]

Each goal is a function ``measure(corpus: Path | None, *, quick: bool) -> list[dict]`` in ``GOALS``, returning
rows with the keys ``goal``, ``measure``, ``value``, ``baseline``, ``ratio``, ``target`` and ``met``. Goals 1 and
2 are here; goals 3-4 (one parse per article, every core) come from ``bench/pipeline_parse.py`` and goal 5 (Dask)
from ``bench/pipeline_dask.py`` when those files are present, each with the same function shape. CORPUS is what
those goals run on (a large corpus such as the AllSides sample); goals 1 and 2 always use ``seeds/``.

Goal 1: ``framing run`` on seeds/ against the papermill floor: four one-cell notebooks executed by papermill in
fresh kernels (one Python process, as ``framing run`` drives them, importing papermill as the workbook does), plus
one load of the spaCy model in a fresh Python process. Target: at most 2.0 times the floor, on the wall clock (CPU seconds of the run and its kernels
shown beside it).

Goal 2: the same ``framing run`` again with nothing changed (every stage reused) against the floor, target at most
0.3; and a run after one phrase lexicon file changed, which must execute only the stages that read it.

``--quick`` measures each figure once; without it, the floor and each run are measured three times and the
median is taken (the machine may be shared).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# `import analysis` first: the floor gets the same rule as the workbook (jsonschema without rfc3987_syntax, see
# analysis/__init__.py), so the 1.7 s the workbook saved there are not counted in its favour.
FLOOR_DRIVER = """
import sys
import analysis, papermill
for path in sys.argv[1:]:
    papermill.execute_notebook(path, path, kernel_name="python3", progress_bar=False)
"""
MODEL_LOAD = "from analysis import models; models.load('en_core_web_sm')"
# A phrase family appended to a copy of the seeds' profile lexicon: "drill" occurs in four seed articles, so the
# rhetoric tables (and the charts drawn from them) change, and nothing the earlier stages read does.
NEW_FAMILY = """
  - id: military_drills
    label: Military drills
    category: fear_appeal
    techniques: [Appeal_to_Fear-Prejudice]
    variants:
      - {id: drill, pattern: "drill"}
"""


def _timed(cmd: list[str], **kwargs) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and every child it waited for) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


@cache
def floor(*, repeats: int = 1) -> tuple[float, float]:
    """The least a four-notebook papermill pipeline costs here (wall, CPU seconds), as issue #15 defines it;
    measured once per benchmark run and shared by the goals."""
    import nbformat

    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            paths = []
            for k in range(4):
                nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                         "display_name": "Python 3"}})
                nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
                paths.append(Path(tmp) / f"{k}.ipynb")
                nbformat.write(nb, str(paths[-1]))
            notebooks = _timed([sys.executable, "-c", FLOOR_DRIVER, *map(str, paths)], cwd=tmp)
            model = _timed([sys.executable, "-c", MODEL_LOAD], cwd=ROOT)
            samples.append((notebooks[0] + model[0], notebooks[1] + model[1]))
    return _median(samples)


def framing_run(out: Path, *args: str, fresh: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one ``framing run`` into ``out`` (its stage kernels included); ``fresh`` runs each
    stage in a kernel of its own (``FRAMING_FRESH_KERNEL=1``) instead of one kernel for the run."""
    env = {**os.environ, "FRAMING_FRESH_KERNEL": "1" if fresh else ""}
    return _timed([sys.executable, "-m", "analysis.cli", "-q", "run", "--out", str(out), *args], cwd=ROOT, env=env)


def _row(goal: str, measure: str, value: float, baseline: float, target: float, **extra) -> dict:
    ratio = value / baseline if baseline else float("nan")
    return {"goal": goal, "measure": measure, "value": round(value, 2), "baseline": round(baseline, 2),
            "ratio": round(ratio, 2), "target": target, "met": bool(ratio <= target), **extra}


def seeds_speed(corpus: Path | None, *, quick: bool) -> list[dict]:
    """Goal 1: a whole ``framing run`` on seeds/ (every stage executed) against the papermill floor; beside it,
    for comparison, the same run with a fresh kernel per stage (the runner before one kernel served a run). The
    two kinds of run alternate, so a change in the machine's load falls on both."""
    repeats = 1 if quick else 3
    base_wall, base_cpu = floor(repeats=repeats)
    shared, fresh, load = [], [], []
    for _ in range(repeats):
        for samples, one_kernel in ((shared, True), (fresh, False)):
            with tempfile.TemporaryDirectory() as out:
                samples.append(framing_run(Path(out), "--corpus", str(SEEDS), "--force", fresh=not one_kernel))
            load.append(os.getloadavg()[0])
    (wall, cpu), (fresh_wall, fresh_cpu) = _median(shared), _median(fresh)
    row = _row("1 seeds speed", "framing run on seeds, wall s / floor wall s", wall, base_wall, 2.0,
               cpu=round(cpu, 2), floor_cpu=round(base_cpu, 2), load=f"{min(load):.1f}-{max(load):.1f}")
    compared = _row("1 seeds speed", "the same, a fresh kernel per stage (FRAMING_FRESH_KERNEL=1)", fresh_wall,
                    base_wall, float("inf"), cpu=round(fresh_cpu, 2), one_kernel_saves=f"{fresh_wall - wall:.2f} s")
    compared.update(target="comparison", met=True)
    return [row, compared]


def cached_stages(corpus: Path | None, *, quick: bool) -> list[dict]:
    """Goal 2: an unchanged re-run (every stage reused) and a run after a phrase lexicon changed, against the
    floor; the second also lists which stages executed (from the stage records, not from timing)."""
    from analysis import cache

    repeats = 1 if quick else 3
    base_wall, _ = floor(repeats=repeats)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out, lexicon = Path(tmp) / "out", Path(tmp) / "phrases.yaml"
        shutil.copy(ROOT / "analysis" / "data" / "profiles" / "asian-nato" / "phrases.yaml", lexicon)
        args = ("--corpus", str(SEEDS), "-p", f"lexicon={lexicon}")
        framing_run(out, *args)
        again = _median([framing_run(out, *args) for _ in range(repeats)])
        reused = sorted(n for n, r in cache.read(out / "data").items() if r.get("reused"))
        rows.append(_row("2 cached stages", "unchanged re-run, wall s / floor wall s", again[0], base_wall, 0.3,
                         cpu=round(again[1], 2), reused=",".join(reused)))
        lexicon.write_text(lexicon.read_text(encoding="utf-8") + NEW_FAMILY, encoding="utf-8")
        changed = framing_run(out, *args)
        executed = sorted(n for n, r in cache.read(out / "data").items() if not r.get("reused"))
        row = _row("2 cached stages", "after a phrase-lexicon edit, wall s / floor wall s", changed[0], base_wall,
                   float("inf"), cpu=round(changed[1], 2), executed=",".join(executed))
        row.update(target="rhetoric, charts only", met=executed == ["charts", "rhetoric"])
        rows.append(row)
    return rows


GOALS = {"1": seeds_speed, "2": cached_stages}


def _load_more() -> None:
    """Goals 3-5 from the companion files, when present: each defines ``GOALS`` of the same shape."""
    for name in ("pipeline_parse", "pipeline_dask"):
        path = Path(__file__).with_name(f"{name}.py")
        if path.exists():
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            GOALS.update(getattr(module, "GOALS", {}))


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (the extra keys of a row in its last column)."""
    keys = ("goal", "measure", "value", "baseline", "ratio", "target", "met")
    lines = ["| " + " | ".join(keys) + " | details |", "|" + "---|" * (len(keys) + 1)]
    for row in rows:
        extra = ", ".join(f"{k}={v}" for k, v in row.items() if k not in keys)
        lines.append("| " + " | ".join(str(row[k]) for k in keys) + f" | {extra} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    _load_more()  # before the parser, so --help lists every goal
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, help="corpus for the goals that need a large one (3-5)")
    parser.add_argument("--quick", action="store_true", help="measure each figure once, on the smaller sizes")
    parser.add_argument("--goals", help="comma-separated goal keys (default: all): " + ", ".join(GOALS))
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    chosen = args.goals.split(",") if args.goals else list(GOALS)
    unknown = [g for g in chosen if g not in GOALS]
    if unknown:
        parser.error(f"unknown goal(s) {', '.join(unknown)}; known: {', '.join(GOALS)}")
    rows = [row for key in chosen for row in GOALS[key](args.corpus, quick=args.quick)]
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
