"""Run the stage notebooks with papermill and publish a complete set of tables and reports, or nothing.

Everything is written under ``OUT/.framing/run-<id>/`` first and moved into ``OUT/data`` and ``OUT/reports``
only when every selected stage succeeded, so a failed or killed run leaves the previous complete set intact.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from analysis import report, stages

log = logging.getLogger(__name__)

STATE = ".framing"


class StageFailed(RuntimeError):
    """A stage notebook raised: names the stage and cell, and where its executed notebook was kept."""

    def __init__(self, stage: str, cell: str, error: str, notebook: Path):
        self.stage, self.cell, self.error, self.notebook = stage, cell, error, notebook
        super().__init__(f"stage {stage!r} failed in {cell}:\n{error}\nThe executed notebook, with its traceback, "
                         f"is kept at {notebook}")


@dataclass(frozen=True)
class Plan:
    """What a run will do, checked before anything runs."""

    stages: list
    parameters: dict
    out: Path
    corpus: list


def plan(*, corpus: list[str] | None = None, out: str | os.PathLike | None = None, profile: str = "default",
         assignments: dict | None = None, stage_names: list[str] | None = None) -> Plan:
    """Check a run's stages and parameters (types, paths, model) and return the plan; nothing runs yet."""
    selected = stages.select(stage_names)
    values = {**stages.profile(profile), **(assignments or {})}
    if corpus:
        values["corpus"] = list(corpus)
    elif "corpus" not in values and any("corpus" in s.parameters for s in selected):
        values["corpus"] = [str(stages.ROOT / "seeds")]
    strict = set(assignments or {}) | ({"corpus"} if corpus else set())
    params = stages.resolve(selected, values, strict=strict)
    out_dir = Path(out or stages.ROOT).resolve()
    _check_inputs(selected, out_dir)
    return Plan(selected, params, out_dir, values.get("corpus", []))


def _check_inputs(selected: list, out: Path) -> None:
    made = {t for s in selected for t in s.outputs}
    needed = {t for s in selected for t in s.inputs} - made
    missing = sorted(t for t in needed if not (out / "data" / f"{t}.parquet").exists())
    if missing:
        raise stages.ParameterError(f"the selected stages need table(s) {', '.join(missing)} from an earlier "
                                    f"stage, and {out / 'data'} has none: run the earlier stages too")


def execute(run: Plan) -> Path:
    """Execute the plan's stages in order, then publish the complete set; returns ``OUT/reports/index.html``."""
    staging = _staging(run.out)
    _mark(run.out, "running", staging=str(staging))
    previous = signal.signal(signal.SIGTERM, _terminate)
    started = time.time()
    try:
        for number, stage in enumerate(run.stages, 1):
            log.info("[%d/%d] %s: %s", number, len(run.stages), stage.name, stage.title)
            _run_stage(stage, run.parameters[stage.name], staging, run.out)
            log.info("[%d/%d] %s done (%.0f s so far)", number, len(run.stages), stage.name, time.time() - started)
        report.index(staging, stages=stages.all_stages())
        _publish(staging, run.out)
    except BaseException as err:
        _mark(run.out, "failed", error=str(err))
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(staging, ignore_errors=True)
    _mark(run.out, "complete", seconds=round(time.time() - started, 1))
    return run.out / "reports" / "index.html"


def _terminate(signum, frame):
    # SIGTERM becomes an exception so the run is marked failed and the staging folder removed.
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def _staging(out: Path) -> Path:
    staging = out / STATE / f"run-{os.getpid()}-{time.time_ns()}"
    for sub in ("data", "reports"):
        current = out / sub
        shutil.copytree(current, staging / sub, dirs_exist_ok=True) if current.is_dir() else None
        (staging / sub).mkdir(parents=True, exist_ok=True)
    return staging


# The kernel's own log only ever says, on every run, that it listens on local TCP without encryption and that
# the shutdown interrupted it ("ERROR | KeyboardInterrupt caught in kernel"): noise that reads like a failure.
# A failing cell still reaches the user, through papermill, with the cell and the error.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


def _run_stage(stage, params: dict, staging: Path, out: Path) -> None:
    executed = staging / "reports" / "notebooks" / stage.notebook.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    params = {**params, "data_dir": str(staging / "data")}
    try:
        papermill.execute_notebook(str(stage.notebook), str(executed), parameters=params, cwd=str(stage.notebook.parent),
                                   kernel_name="python3", progress_bar=False, stderr_file=sys.stderr,
                                   request_save_on_cell_execute=False, extra_arguments=KERNEL_ARGUMENTS)
    except PapermillExecutionError as err:
        kept = _keep_failed(executed, out)
        raise StageFailed(stage.name, f"cell {_source_index(kept, err.cell_index)} of {stage.notebook.name} "
                                      f"(execution count {err.exec_count})",
                          f"{err.source.strip()[:400]}\n{err.ename}: {err.evalue}", kept) from None
    report.stage(executed, staging / "reports" / stage.report, stage=stage, data_dir=staging / "data")


def _source_index(executed: Path, index: int) -> int:
    """The failing cell's index in the stage's own notebook (papermill inserts an injected-parameters cell)."""
    cells = nbformat.read(str(executed), as_version=4).cells[:index]
    return index - sum("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells)


def _keep_failed(executed: Path, out: Path) -> Path:
    kept = out / STATE / "failed" / executed.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, kept)
    return kept


def _publish(staging: Path, out: Path) -> None:
    """Move the complete staged set into place, then drop files the new set no longer has."""
    for sub in ("data", "reports"):
        new = {p.relative_to(staging / sub) for p in (staging / sub).rglob("*") if p.is_file()}
        for rel in sorted(new):
            (out / sub / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / sub / rel, out / sub / rel)
        for old in (out / sub).rglob("*"):
            if old.is_file() and old.relative_to(out / sub) not in new and old.name != "README.md":
                old.unlink()


def _mark(out: Path, status: str, **details) -> None:
    path = out / STATE / "last-run.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": status, "pid": os.getpid(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime()), **details}, indent=2), encoding="utf-8")


def last_run(out: str | os.PathLike) -> dict:
    """The status of the last run in ``out``; a run whose process died while running is reported as failed."""
    path = Path(out) / STATE / "last-run.json"
    if not path.exists():
        return {"status": "none"}
    state = json.loads(path.read_text(encoding="utf-8"))
    if state["status"] == "running" and not _alive(state["pid"]):
        state.update(status="failed", error="the run was interrupted (its process is gone)")
    return state


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
