"""Run the stage notebooks with papermill and publish a complete set of tables and reports, or nothing.

Everything is written under ``OUT/.framing/run-<id>/`` first and published into ``OUT/data`` and ``OUT/reports``
only when every selected stage succeeded, so a failed or killed run leaves the previous complete set intact.
Publishing swaps whole directories, never single files (``_publish``): a journal written first lets the next
command finish a publication that a kill interrupted (``recover``), so ``OUT/data`` and ``OUT/reports`` are
always one complete set, and each carries the id of its set in ``.framing-set``.

One run at a time writes to an output folder: ``OUT/.framing/lock`` holds the running process's id under an
exclusive ``flock``, which the system releases when that process dies, so a stale lock is simply taken over.
Per-article errors do not stop a run: the stages record them in the ``failures`` table (``analysis.failures``).

A stage whose fingerprint (its input tables, parameters, files, notebook, code and versions: ``analysis.cache``)
is that of the results already in ``OUT`` is reused instead of executed, unless the run is forced. The stages a
run executes share one kernel, reset between them (``analysis.kernel``; ``FRAMING_FRESH_KERNEL=1``: one each).
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from analysis import cache, files, kernel, profiles, progress, stages

# papermill, nbformat and the method cards are imported when a stage executes: a run that reuses every stage
# needs none of them. The report and failures modules (pandas, pyarrow) are imported once the first stage that
# executes has started the run's kernel, not before: the kernel boots while they are imported.

log = logging.getLogger(__name__)

STATE = ".framing"
SETS = ("data", "reports")
SET_ID = ".framing-set"  # inside OUT/data and OUT/reports: the id of the run that published them


class RunBusy(RuntimeError):
    """Another run is writing to the same output folder."""


class OutputError(OSError):
    """The output folder cannot be written (permissions, a full disk): names the path; the previous set is kept."""


class StageFailed(RuntimeError):
    """A stage notebook raised, or its kernel died: names the stage and cell, and where its executed notebook was
    kept (``notebook``; None when the kernel was lost before the notebook started)."""

    def __init__(self, stage: str, cell: str, error: str, notebook: Path | None, *, traceback: bool = True):
        self.stage, self.cell, self.error, self.notebook = stage, cell, error, notebook
        kept = "" if notebook is None else (f"\nThe executed notebook{', with its traceback,' if traceback else ''} "
                                            f"is kept at {notebook}")
        super().__init__(f"stage {stage!r} failed in {cell}:\n{error}{kept}")


@dataclass(frozen=True)
class Plan:
    """What a run will do, checked before anything runs."""

    stages: list
    parameters: dict
    out: Path
    corpus: list
    force: bool = False


SCHEDULER = "scheduler"  # the notebook parameter `--scheduler` sets, in every stage that declares it


def plan(*, corpus: list[str] | None = None, out: str | os.PathLike | None = None, profile: str = "default",
         assignments: dict | None = None, stage_names: list[str] | None = None, force: bool = False,
         scheduler: str | None = None) -> Plan:
    """Check a run's stages and parameters (types, paths, model) and return the plan; nothing runs yet.

    ``force`` executes every selected stage even when its cached results could be reused. ``scheduler`` (a Dask
    scheduler address) is passed as parameter ``scheduler`` to every selected stage whose notebook declares it;
    a ParameterError when none does."""
    selected = stages.select(stage_names)
    values = {**stages.profile(profile), **(assignments or {})}
    if corpus:
        values["corpus"] = list(corpus)
    elif "corpus" not in values and any("corpus" in s.parameters for s in selected):
        values["corpus"] = [str(stages.ROOT / "seeds")]
    if scheduler is not None:
        if not any(SCHEDULER in s.parameters for s in selected):
            raise stages.ParameterError(f"--scheduler: none of the selected stages ({', '.join(s.name for s in selected)}) "
                                        f"can run on a Dask cluster (no notebook declares a {SCHEDULER!r} parameter)")
        values[SCHEDULER] = scheduler
    out_dir = Path(out or stages.ROOT).resolve()
    if any("story" in s.parameters for s in selected):
        values["story"] = _story(str(values.get("story", profiles.AUTO)), selected, corpus, out_dir)
    strict = set(assignments or {}) | ({"corpus"} if corpus else set())
    params = stages.resolve(selected, values, strict=strict)
    _check_writable(out_dir)
    _check_inputs(selected, out_dir)
    return Plan(selected, params, out_dir, values.get("corpus", []), force)


def _story(story: str, selected: list, corpus: list[str] | None, out: Path) -> str:
    """The run's story profile as a folder path ("" for none). ``auto`` (a stage notebook's default): when only
    later stages re-run on earlier tables, the profile those tables were made with (so tag and rhetoric never mix
    profiles); else the corpus's shipped profile (``seeds/`` -> ``asian-nato``), else none."""
    if story.strip() == profiles.AUTO:
        previous = None if corpus or any(s.name == "ingest" for s in selected) else profiles.recorded(out / "data")
        story = previous if previous is not None else profiles.default_for(corpus)
    return str(profiles.folder(story)) if story.strip() else ""


def _check_writable(out: Path) -> None:
    """Refuse an output folder that cannot be written, before anything runs (and without creating anything)."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    for path in (out, out / STATE, *(out / sub for sub in SETS)):
        if path.exists() and not (path.is_dir() and os.access(path, os.W_OK | os.X_OK)):
            existing = path
            break
    if not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        problem = "is not a folder" if existing.exists() and not existing.is_dir() else "cannot be written"
        raise OutputError(errno.EACCES, f"the output folder {out} cannot be used: {existing} {problem}; "
                                        f"choose another --out", str(existing))


def _check_inputs(selected: list, out: Path) -> None:
    made = {t for s in selected for t in s.outputs}
    needed = {t for s in selected for t in s.inputs} - made
    missing = sorted(t for t in needed if not (out / "data" / f"{t}.parquet").exists())
    if missing:
        raise stages.ParameterError(f"the selected stages need table(s) {', '.join(missing)} from an earlier "
                                    f"stage, and {out / 'data'} has none: run the earlier stages too")


def execute(run: Plan, *, wait: bool = False) -> Path:
    """Execute the plan's stages in order, then publish the complete set; returns ``OUT/reports/index.html``.

    Holds the output folder's lock for the whole run: another run into the same folder raises ``RunBusy`` naming
    it, or, with ``wait``, waits for it to finish. A folder that cannot be written, or a disk that fills, raises
    ``OutputError`` naming the path; in every failure the previous complete set stays as it was."""
    with lock(run.out, wait=wait):
        recover(run.out)
        _sweep(run.out)
        return _execute(run)


def _sweep(out: Path) -> None:
    """Remove the run folders of killed runs (called holding the lock, so none of them is running)."""
    for left in (out / STATE).glob("run-*"):
        shutil.rmtree(left, ignore_errors=True)


def _execute(run: Plan) -> Path:
    staging = None
    _mark(run.out, "running")
    previous = signal.signal(signal.SIGTERM, _terminate)
    started = time.time()
    # Each stage's report is converted in this thread while the next stage's kernel starts and runs: the two use
    # different cores, and the conversion needs nothing the next stage writes.
    converter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="framing-report")
    try:
        staging = _staging(run.out)
        unpublished = _Unpublished(staging)
        for name in _ANNOUNCING:
            logging.getLogger(name).addFilter(unpublished)
        _mark(run.out, "running", staging=str(staging))
        cache.forget()
        records, converted, ahead = cache.read(staging / "data"), [], {}
        # The stages that execute share one kernel, started by the first of them and stopped after the last
        # (analysis.kernel); FRAMING_FRESH_KERNEL=1 gives each its own.
        with contextlib.nullcontext() if kernel.fresh() else kernel.Warm(arguments=KERNEL_ARGUMENTS) as warm:
            for number, stage in enumerate(run.stages, 1):
                log.info("[%d/%d] %s: %s", number, len(run.stages), stage.name, stage.title)
                converted += _stage(stage, run, staging, records, converter, warm)
                cache.write(records, staging / "data")
                log.info("[%d/%d] %s done (%.0f s so far)", number, len(run.stages), stage.name,
                         time.time() - started)
                _step(f"stage {stage.name} done")
                if converted:
                    _pages_ahead(run.stages[number:], staging, converter, ahead)
        for report_done in [*converted, *ahead.values()]:
            report_done.result()  # a conversion that raised fails the run here
        _pages(staging, records, complete=not converted, ahead=ahead)
        _publish(staging, run.out)
        _announce(run, records, staging.name)
    except OSError as err:
        _mark(run.out, "failed", error=str(err))
        if isinstance(err, OutputError):
            raise
        raise OutputError(err.errno, f"cannot write the run's output: {err.strerror or err} "
                                     f"({err.filename or run.out}); the previous set in {run.out} is unchanged",
                          str(err.filename or run.out)) from err
    except BaseException as err:
        _mark(run.out, "failed", error=str(err))
        raise
    finally:
        converter.shutdown(wait=True, cancel_futures=True)  # before the staging folder is removed
        signal.signal(signal.SIGTERM, previous)
        if staging is not None:
            for name in _ANNOUNCING:
                logging.getLogger(name).removeFilter(unpublished)
            shutil.rmtree(staging, ignore_errors=True)
    from analysis import failures

    _mark(run.out, "complete", seconds=round(time.time() - started, 1),
          failures=int(failures.total(run.out / "data")))
    return run.out / "reports" / "index.html"


# The loggers whose lines name files in the run folder: the report module's and papermill's ("Output Notebook: ...").
_ANNOUNCING = ("analysis.report", "papermill")


class _Unpublished(logging.Filter):
    """Drops the lines that name a file in the run folder: a report is announced where it is published
    (``_announce``), once the run is, not in a folder the run removes."""

    def __init__(self, staging: Path):
        super().__init__()
        self.inside = os.path.join(staging, "")

    def filter(self, record: logging.LogRecord) -> bool:
        return self.inside not in record.getMessage()


def _announce(run: Plan, records: dict, run_id: str) -> None:
    """Log the published path of each report this run wrote (the stages it executed, then the index and the method
    cards, rewritten whenever a stage executed)."""
    written = [s.report for s in run.stages if records.get(s.name, {}).get("run") == run_id]
    for name in [*written, "index.html", "methods.html"] if written else []:
        log.info("wrote report %s", run.out / "reports" / name)


@contextlib.contextmanager
def lock(out: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold ``OUT/.framing/lock`` (an exclusive ``flock`` and this process's id) for the block.

    When another live process holds it, raise ``RunBusy`` naming that process, or with ``wait`` block until it
    ends. The system drops the lock of a process that dies, so a stale lock file is taken over."""
    path = out / STATE / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by the stage kernels
    held = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                raise RunBusy(f"another framing run ({holder}) is writing to {out}; wait for it to finish, or "
                              f"pass --wait to start when it has") from None
            log.info("waiting for the run writing to %s (%s) to finish", out, holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        held = True
        state = json.dumps({"pid": os.getpid(), "since": _now()}).encode()
        os.pwrite(fd, state, 0)
        os.ftruncate(fd, len(state))
        yield
    finally:
        if held:  # emptied while still held, so no later reader takes a finished run's id for the holder's
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the flock


def _holder(fd: int, *, patience: float = 2.0) -> str:
    """Who holds the lock, read from the file. The holder writes its id just after taking the lock, and a killed
    run leaves its id behind, so an empty, partly written or dead id is read again for up to ``patience`` s."""
    deadline = time.monotonic() + patience
    while True:
        state = _state(fd)
        if state is not None and _alive(state["pid"]):
            return f"process {state['pid']}, running since {state['since']}"
        if time.monotonic() > deadline:
            return "a process that is starting"
        time.sleep(0.02)


def _state(fd: int) -> dict | None:
    try:
        state = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return None
    return state if isinstance(state, dict) and isinstance(state.get("pid"), int) and "since" in state else None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _step(name: str) -> None:
    """A named point of the run (stages done, each publishing step), logged for debugging; the kill test stops
    runs here."""
    log.debug("step: %s", name)


def _terminate(signum, frame):
    # SIGTERM becomes an exception so the run is marked failed and the staging folder removed.
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def _staging(out: Path) -> Path:
    """A new run folder holding the current set (a later-stages-only run reads earlier tables there, and a stage
    that is reused keeps its results). Its tables are hard links to the published ones, not copies: a stage
    never writes into a table, it replaces it (``tables.write`` renames a new file into place), so the
    published file stays as it was until the whole set is published. Reports and notebooks are copied (they are
    rewritten in place)."""
    staging = out / STATE / f"run-{os.getpid()}-{time.time_ns()}"
    for sub in SETS:
        current = out / sub
        if current.is_dir():
            shutil.copytree(current, staging / sub, dirs_exist_ok=True,
                            copy_function=_link_table if sub == "data" else shutil.copy2)
        (staging / sub).mkdir(parents=True, exist_ok=True)
        (staging / sub / SET_ID).write_text(staging.name, encoding="utf-8")
    return staging


def _link_table(source: str, target: str) -> None:
    if not source.endswith(".parquet"):
        shutil.copy2(source, target)
        return
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def _stage(stage, run: Plan, staging: Path, records: dict, converter: ThreadPoolExecutor,
           warm: kernel.Warm | None) -> list[Future]:
    """Reuse the stage's results already in ``staging`` when its fingerprint is theirs, else execute it (in
    ``warm``, or in a fresh kernel when that is None) and record its new fingerprint in ``records``. Returns the
    conversion of its report (none when reused)."""
    params = run.parameters[stage.name]
    names = [s.name for s in stages.all_stages()]
    failed = {name: records.get(name, {}).get("failures_digest", "") for name in names[:names.index(stage.name)]}
    fingerprint, parts = cache.fingerprint(stage, params, staging / "data", failures=failed)
    record = records.get(stage.name)
    if not run.force and cache.reusable(record, fingerprint, stage, staging):
        from analysis import report

        records[stage.name] = {**record, "reused": cache.now()}
        report.restamp(staging / "reports" / stage.report, {stage.name: cache.computed(records[stage.name])})
        log.info("%s: reused the results computed on %s UTC (nothing it reads has changed)", stage.name,
                 record["computed"])
        return []
    if record and not run.force:
        log.info("%s: runs again (changed: %s)", stage.name, ", ".join(cache.changed(record, parts)))
    began = time.time()
    executed = _run_stage(stage, params, staging, run.out, warm)
    computed = cache.now()  # when the results were done, as the reports say ("Computed on ...")
    from analysis import failures, report  # here, not before the kernel started: pandas is a second to import

    rows = failures.read(staging / "data")
    rows = rows[rows["stage"] == stage.name]
    records[stage.name] = {"fingerprint": fingerprint, "parts": parts, "computed": computed, "reused": "",
                           "run": staging.name, "seconds": round(time.time() - began, 1), "failures": len(rows),
                           "failures_digest": cache.frame_digest(rows),
                           "outputs": cache.outputs(stage, staging / "data")}
    return [converter.submit(report.stage, executed, staging / "reports" / stage.report, stage=stage,
                             data_dir=staging / "data", computed=cache.computed(records[stage.name]))]


def _pages_ahead(later: list, staging: Path, converter: ThreadPoolExecutor, ahead: dict) -> None:
    """Once a stage has executed, start in the converter thread, while the ``later`` stages run, what of the index
    and the method cards no later stage can change: the method cards at once (they are the package's, the same
    for every run), the index's findings once no later stage writes a table. ``ahead`` keeps their futures."""
    from analysis import report

    if "methods" not in ahead:
        from analysis import cards

        ahead["methods"] = converter.submit(cards.page, staging / "reports" / cards.PAGE)
    if "findings" not in ahead and not any(s.outputs for s in later):
        ahead["findings"] = converter.submit(report.findings_html, staging / "data")


def _pages(staging: Path, records: dict, *, complete: bool, ahead: dict) -> None:
    """The index and the method cards (the parts ``_pages_ahead`` started are taken from ``ahead``). When every
    stage was reused the pages of the earlier run stand, with each stage's computed line brought up to date;
    otherwise they are written anew."""
    from analysis import report

    index = staging / "reports" / "index.html"
    lines = {name: cache.computed(record) for name, record in records.items()}
    if complete and index.exists() and (staging / "reports" / "methods.html").exists():
        report.restamp(index, lines)
        return
    found = ahead["findings"].result() if "findings" in ahead else None
    report.index(staging, stages=stages.all_stages(), computed=lines, found=found)
    if "methods" not in ahead:
        from analysis import cards

        cards.page(staging / "reports" / cards.PAGE)  # the method cards every report section links to


# The kernel's own log only ever says, on every run, that it listens on local TCP without encryption and that
# the shutdown interrupted it ("ERROR | KeyboardInterrupt caught in kernel"): noise that reads like a failure.
# A failing cell still reaches the user, through papermill, with the cell and the error.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


def _run_stage(stage, params: dict, staging: Path, out: Path, warm: kernel.Warm | None = None) -> Path:
    """Execute the stage's notebook into the staging folder, in ``warm`` (reset for it) or in a fresh kernel;
    returns the executed notebook. A cell that raises, and a kernel that dies, raise ``StageFailed``."""
    if warm is not None:
        with _headless():
            warm.start(stage.notebook.parent)  # the kernel boots while papermill is imported and the stage prepared
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    executed = staging / "reports" / "notebooks" / stage.notebook.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    params = {**params, "data_dir": str(staging / "data")}
    started = _Started()
    try:
        with _headless():
            shared = warm.options(stage.notebook.parent) if warm is not None else {}
            papermill.execute_notebook(str(stage.notebook), str(executed), parameters=params,
                                       cwd=str(stage.notebook.parent), kernel_name="python3", progress_bar=False,
                                       stderr_file=sys.stderr, request_save_on_cell_execute=False,
                                       extra_arguments=KERNEL_ARGUMENTS, on_cell_start=started, **shared)
    except PapermillExecutionError as err:
        kept = _keep_failed(executed, out)
        raise StageFailed(stage.name, f"cell {_source_index(kept, err.cell_index)} of {stage.notebook.name} "
                                      f"(execution count {err.exec_count})",
                          f"{err.source.strip()[:400]}\n{err.ename}: {err.evalue}", kept) from None
    except DeadKernelError:
        if not started.cells:
            raise StageFailed(stage.name, f"{stage.notebook.name}, before its first cell", "the kernel died",
                              None) from None
        kept = _keep_started(stage, started.cells, out)
        index = _source_index(kept, len(started.cells) - 1)
        raise StageFailed(stage.name, f"cell {index} of {stage.notebook.name}",
                          f"{started.cells[-1].source.strip()[:400]}\nthe kernel died while this cell ran: its "
                          f"process exited (os._exit, a crash, or the system ran out of memory and killed it)",
                          kept, traceback=False) from None
    except kernel.KernelLost as err:
        raise StageFailed(stage.name, f"{stage.notebook.name}, before its first cell", str(err), None) from None
    return executed


@contextlib.contextmanager
def _headless() -> Iterator[None]:
    """No progress bars in stage kernels (their output becomes a report): the kernel inherits this environment."""
    previous = os.environ.get(progress.ENV)
    os.environ[progress.ENV] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(progress.ENV, None)
        else:
            os.environ[progress.ENV] = previous


def _source_index(executed: Path, index: int) -> int:
    """The failing cell's index in the stage's own notebook (papermill inserts an injected-parameters cell)."""
    import nbformat

    cells = nbformat.read(str(executed), as_version=4).cells[:index]
    return index - sum("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells)


class _Started:
    """The cells papermill has started, in order, with their outputs as they arrive (nbclient's ``on_cell_start``
    hook). When the kernel dies papermill writes no executed notebook; these cells say which one was running and
    what the notebook had shown until then."""

    def __init__(self):
        self.cells: list = []

    def __call__(self, cell, cell_index: int) -> None:
        self.cells.append(cell)


def _keep_started(stage, cells: list, out: Path) -> Path:
    """Keep the cells a stage ran before its kernel died as its executed notebook, beside failed stages' ones."""
    import nbformat

    nb = nbformat.read(str(stage.notebook), as_version=4)
    nb.cells = list(cells)
    kept = out / STATE / "failed" / stage.notebook.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(kept))
    return kept


def _keep_failed(executed: Path, out: Path) -> Path:
    kept = out / STATE / "failed" / executed.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, kept)
    return kept


def _publish(staging: Path, out: Path) -> None:
    """Make the staged set the published one by swapping whole directories.

    A journal naming the staged set is written first; ``recover`` finishes the swap from it when a kill
    interrupted it, so no command ever sees data/ from one set and reports/ from another. Each directory is
    swapped in one ``renameat2(RENAME_EXCHANGE)`` where the system has it (Linux), so it never disappears;
    elsewhere it is renamed aside, then the new one renamed in."""
    journal = out / STATE / "publish.json"
    files.write_text(journal, json.dumps({"set": staging.name, "staging": str(staging)}), durable=True)
    _step("journal written")
    _finish(out, staging)
    journal.unlink()
    _step("published")


def recover(out: str | os.PathLike) -> bool:
    """Finish a publication a kill interrupted (from its journal); True when there was one to finish."""
    out = Path(out)
    journal = out / STATE / "publish.json"
    if not journal.exists():
        return False
    state = json.loads(journal.read_text(encoding="utf-8"))
    log.warning("finishing the publication of run %s, which was interrupted", state["set"])
    _finish(out, Path(state["staging"]))
    journal.unlink()
    shutil.rmtree(state["staging"], ignore_errors=True)
    return True


def _finish(out: Path, staging: Path) -> None:
    """Swap each directory of ``staging`` into ``out`` unless it is already there (so this can be repeated)."""
    for sub in SETS:
        target, new = out / sub, staging / sub
        if _set_id(target) == staging.name:
            continue
        if target.is_dir() and _exchange(new, target):
            _step(f"{sub} swapped")
            continue
        if target.exists():
            aside = staging / f"{sub}.previous"
            shutil.rmtree(aside, ignore_errors=True)
            os.rename(target, aside)
            _step(f"{sub} moved aside")
        os.rename(new, target)
        _step(f"{sub} swapped")


def _set_id(directory: Path) -> str:
    try:
        return (directory / SET_ID).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap directories ``a`` and ``b`` atomically (Linux ``renameat2``); False when the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _mark(out: Path, status: str, **details) -> None:
    path = out / STATE / "last-run.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(path, json.dumps({"status": status, "pid": os.getpid(), "at": _now(), **details}, indent=2),
                        durable=True)
    except OSError as err:  # a full disk must not hide the error that is being reported
        log.warning("could not record the run's status in %s: %s", path, err)


def last_run(out: str | os.PathLike) -> dict:
    """The status of the last run in ``out``; a run whose process died while running is reported as failed.
    A publication a kill interrupted is finished first (``recover``) when no run is going on."""
    if (Path(out) / STATE / "publish.json").exists():
        with contextlib.suppress(RunBusy, OSError), lock(Path(out)):
            recover(out)
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
    except PermissionError:  # another user's process
        return True
    return True
