"""The runner and CLI on a small pipeline of real notebooks: checks before running, publication, failures, kills."""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from analysis import cli, runner, stages, tables
from conftest import write_notebook

PARAMS = '''data_dir: str = "."  # folder of the run's tables
n: int = 1  # article id to write
fail: bool = False  # raise in the next cell
sleep: float = 0.0  # seconds to wait before writing
corpus: list = []  # files or folders
model: str = "en_core_web_sm"  # spaCy model name
bad: int = 0  # how many articles to record as failed'''
BODY = ["import os, time, pandas as pd\nfrom analysis import failures, tables\n"
        "assert os.environ['FRAMING_PROGRESS'] == '0', 'the runner turns progress bars off in stage kernels'",
        "if fail:\n    raise ValueError('boom in the second cell')\ntime.sleep(sleep)",
        "df = tables.conform(pd.DataFrame({'article_id': [str(n)]}), 'articles', fill=True)\n"
        "tables.write(df, 'articles', data_dir)\ndf",
        "failed = failures.Recorder('make')\nfor k in range(bad):\n    failed.add(f'a{k}', ValueError('bad article'))\n"
        "failed.write(data_dir)"]


@pytest.fixture()
def pipeline(tmp_path, monkeypatch):
    """A one-stage pipeline declared in tmp_path and selected through FRAMING_PIPELINE."""
    write_notebook(tmp_path / "01_make.ipynb", BODY, PARAMS)
    decl = {"stages": [{"name": "make", "notebook": "01_make.ipynb", "title": "Make", "inputs": [],
                        "outputs": ["articles"]}],
            "profiles": {"default": {}, "two": {"n": 2}},
            "parameters": {"paths": ["corpus"], "spacy_models": ["model"], "managed": ["data_dir"]}}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(decl))
    monkeypatch.setenv("FRAMING_PIPELINE", str(tmp_path / "pipeline.yaml"))
    return tmp_path


def _run(out: Path, *args: str) -> int:
    return cli.main(["run", "--out", str(out), "--corpus", str(out.parent), *args])


def _ids(out: Path) -> list[str]:
    return tables.read("articles", out / "data")["article_id"].tolist()


@pytest.mark.parametrize("args, message", [
    (["-p", "nope=1"], "unknown parameter(s) nope"),
    (["-p", "n=three"], "parameter 'n' must be int"),
    (["-p", "fail=maybe"], "parameter 'fail' must be bool"),
    (["-p", "model=no_such_model_xx"], "no such spaCy model"),
    (["-p", "data_dir=/tmp"], "set by the runner"),
    (["--profile", "nope"], "unknown profile"),
    (["--stages", "nope"], "unknown stage(s) nope"),
    (["-p", "n"], "KEY=VALUE"),
])
def test_bad_parameters_fail_clearly_before_any_notebook_runs(pipeline, tmp_path, caplog, args, message):
    out = tmp_path / "out"
    assert _run(out, *args) == 2
    assert message in caplog.text
    assert not (out / runner.STATE).exists()


def test_a_missing_corpus_path_is_refused(pipeline, tmp_path, caplog):
    assert cli.main(["run", "--out", str(tmp_path / "o"), "--corpus", str(tmp_path / "absent")]) == 2
    assert "does not exist" in caplog.text


def test_parameters_are_parsed_never_evaluated(pipeline):
    assert stages.coerce("n", "__import__('os').getpid()", "str") == "__import__('os').getpid()"
    with pytest.raises(stages.ParameterError):
        stages.coerce("n", "__import__('os').getpid()", "int")
    assert stages.coerce("corpus", "a, b", "list") == ["a", "b"]
    assert stages.coerce("corpus", '["x y", "z"]', "list") == ["x y", "z"]
    # a parameter declared without a type (``x = "a"``) takes the string as it is
    assert stages.coerce("x", "abc", "None") == stages.coerce("x", "abc", "") == "abc"


def test_a_run_publishes_tables_reports_and_executed_notebooks(pipeline, tmp_path, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        assert _run(out, "--profile", "two") == 0
    wrote = [r.getMessage() for r in caplog.records if r.getMessage().startswith("wrote report")]
    assert wrote == [f"wrote report {out / 'reports' / name}" for name in ("01_make.html", "index.html",
                                                                          "methods.html")], "where they are published"
    inside = os.path.join(out / runner.STATE, "run-")
    assert not [r.getMessage() for r in caplog.records if r.name == "papermill" and inside in r.getMessage()], \
        "papermill's 'Output Notebook: ...' does not name the run folder"
    assert _ids(out) == ["2"]
    assert (out / "reports" / "01_make.html").exists() and (out / "reports" / "index.html").exists()
    executed = nbformat.read(str(out / "reports" / "notebooks" / "01_make.ipynb"), as_version=4)
    assert executed.metadata["papermill"]["parameters"]["n"] == 2
    assert runner.last_run(out)["status"] == "complete"
    assert not list((out / runner.STATE).glob("run-*")), "the staging folder is removed"


def test_a_failing_cell_names_stage_and_cell_and_keeps_the_previous_set(pipeline, tmp_path, caplog):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    before = (out / "reports" / "01_make.html").read_bytes()
    assert _run(out, "-p", "n=2", "-p", "fail=true") == 1
    assert "stage 'make' failed in cell 2" in caplog.text and "ValueError: boom in the second cell" in caplog.text
    assert _ids(out) == ["1"] and (out / "reports" / "01_make.html").read_bytes() == before
    kept = nbformat.read(str(out / runner.STATE / "failed" / "01_make.ipynb"), as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    assert runner.last_run(out)["status"] == "failed"


def test_a_run_in_a_terminal_shows_progress_and_no_kernel_noise(pipeline, tmp_path):
    # Every run used to print the kernel's "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" at shutdown.
    env = {**os.environ, "FRAMING_PIPELINE": str(pipeline / "pipeline.yaml")}
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "run", "--out", str(tmp_path / "out"), "--corpus",
                           str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[1/1] make done" in proc.stdout + proc.stderr
    assert "IPKernelApp" not in proc.stdout + proc.stderr


def test_a_killed_run_leaves_the_previous_set_and_is_reported_failed(pipeline, tmp_path):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    env = {**os.environ, "FRAMING_PIPELINE": str(pipeline / "pipeline.yaml")}
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "run", "--out", str(out), "--corpus", str(tmp_path),
                             "-p", "n=2", "-p", "sleep=60"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list((out / runner.STATE).glob("run-*/reports/notebooks/*.ipynb")):
        time.sleep(0.2)
    time.sleep(3)  # let the kernel reach the sleeping cell
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _ids(out) == ["1"]
    assert runner.last_run(out)["status"] == "failed"
    assert cli.main(["status", "--out", str(out)]) == 1


def test_a_stage_subset_needs_its_inputs(pipeline, tmp_path, monkeypatch, caplog):
    decl = yaml.safe_load((pipeline / "pipeline.yaml").read_text())
    decl["stages"].append({"name": "use", "notebook": "01_make.ipynb", "inputs": ["articles"], "outputs": []})
    (pipeline / "pipeline.yaml").write_text(yaml.safe_dump(decl))
    assert cli.main(["run", "--out", str(tmp_path / "empty"), "--stages", "use"]) == 2
    assert "need table(s) articles" in caplog.text


def test_stages_and_schema_commands_read_the_declaration(capsys):
    assert cli.main(["stages"]) == 0
    listed = capsys.readouterr().out
    assert all(s.name in listed and s.notebook.name in listed for s in stages.all_stages())
    assert cli.main(["schema", "articles"]) == 0
    assert "| `article_id` | string |" in capsys.readouterr().out


def _env(pipeline: Path) -> dict:
    return {**os.environ, "FRAMING_PIPELINE": str(pipeline / "pipeline.yaml"), "FRAMING_PROGRESS": "1"}


def _start(pipeline: Path, out: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "analysis.cli", "run", "--out", str(out), "--corpus",
                             str(pipeline), *args], env=_env(pipeline), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def _consistent(out: Path) -> str:
    """The article id of the published set, after checking that data/ and reports/ are from the same run."""
    assert runner._set_id(out / "data") == runner._set_id(out / "reports") != ""
    executed = nbformat.read(str(out / "reports" / "notebooks" / "01_make.ipynb"), as_version=4)
    ids = _ids(out)
    assert ids == [str(executed.metadata["papermill"]["parameters"]["n"])]
    assert (out / "reports" / "index.html").exists() and (out / "reports" / "01_make.html").exists()
    return ids[0]


def test_article_failures_are_reported_and_strict_gives_a_distinct_status(pipeline, tmp_path, caplog):
    out = tmp_path / "out"
    assert _run(out, "-p", "bad=2") == 0
    assert "make: 2 article(s) failed" in caplog.text
    assert _run(out, "-p", "bad=2", "--strict") == cli.EXIT_FAILED_ARTICLES
    assert _ids(out) == ["1"], "a strict run with failures still completes and publishes"
    assert runner.last_run(out)["failures"] == 2
    assert _run(out, "--strict") == 0
    from analysis import failures
    assert len(failures.summary(out / "data")) == 0


KILLER = """
import os, signal, sys
from analysis import cli, runner
target = sys.argv[1]
def step(name):
    if name == target:
        os.kill(os.getpid(), signal.SIGKILL)
runner._step = step
sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.mark.parametrize("point", ["stage make done", "journal written", "data swapped", "reports swapped",
                                   "published"])
def test_a_run_killed_at_any_point_leaves_one_complete_set(pipeline, tmp_path, point):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    proc = subprocess.run([sys.executable, "-c", KILLER, point, "run", "--out", str(out), "--corpus", str(pipeline),
                           "-p", "n=2"], env=_env(pipeline), capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    journal = (out / runner.STATE / "publish.json").exists()
    state = runner.last_run(out)  # what `framing status` does: finishes an interrupted publication
    published = _consistent(out)
    assert published == ("1" if point == "stage make done" else "2")
    assert journal == (point in ("journal written", "data swapped", "reports swapped"))
    assert state["status"] == "failed" and not (out / runner.STATE / "publish.json").exists()
    assert _run(out, "-p", "n=3") == 0 and _consistent(out) == "3"
    assert not list((out / runner.STATE).glob("run-*")), "the killed run's folder is swept"


def test_killed_while_swapping_without_renameat2_still_one_set(pipeline, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    killer = KILLER.replace("runner._step = step", "runner._step = step\nrunner._exchange = lambda a, b: False")
    for point in ("data moved aside", "data swapped", "reports moved aside"):
        proc = subprocess.run([sys.executable, "-c", killer, point, "run", "--out", str(out), "--corpus",
                               str(pipeline), "-p", "n=2"], env=_env(pipeline), capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
        runner.last_run(out)
        assert _consistent(out) == "2"
        assert _run(out, "-p", "n=1") == 0 and _consistent(out) == "1"


def test_two_runs_into_one_folder_never_interleave(pipeline, tmp_path, caplog):
    out = tmp_path / "out"
    first = _start(pipeline, out, "-p", "n=1", "-p", "sleep=8")
    second = _start(pipeline, out, "-p", "n=2")
    deadline = time.time() + 120
    while time.time() < deadline and first.poll() is None and second.poll() is None:
        time.sleep(0.1)
    # whichever took the lock first, the other refused at once naming it
    loser, winner = (second, first) if second.poll() is not None else (first, second)
    assert loser.wait() == cli.EXIT_BUSY
    message = loser.stdout.read()
    assert f"another framing run (process {winner.pid}" in message and str(out) in message
    assert winner.wait(timeout=300) == 0
    assert _consistent(out) in ("1", "2")
    waiting = _start(pipeline, out, "-p", "n=3", "-p", "sleep=4")
    lock = out / runner.STATE / "lock"
    while time.time() < deadline + 120 and _holder_pid(lock) != waiting.pid:
        time.sleep(0.1)
    with caplog.at_level(logging.INFO, logger="analysis.runner"):
        assert _run(out, "-p", "n=4", "--wait") == 0  # waits for the running one, then runs
    assert f"waiting for the run writing to {out} (process {waiting.pid}" in caplog.text
    assert waiting.wait(timeout=300) == 0
    assert _consistent(out) == "4"


def _holder_pid(lock: Path) -> int | None:
    fd = os.open(lock, os.O_RDONLY)
    try:
        return (runner._state(fd) or {}).get("pid")  # None while the file is empty or being written
    finally:
        os.close(fd)


def test_a_stale_lock_from_a_dead_process_is_taken_over(pipeline, tmp_path):
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (out / runner.STATE).mkdir(parents=True)
    (out / runner.STATE / "lock").write_text(json.dumps({"pid": int(dead.stdout), "since": "2020-01-01T00:00:00Z"}))
    assert _run(out) == 0
    with runner.lock(out):
        assert json.loads((out / runner.STATE / "lock").read_text())["pid"] == os.getpid()
    assert (out / runner.STATE / "lock").read_text() == ""  # a finished run leaves no id behind


def test_a_run_that_has_only_just_taken_the_lock_is_named(tmp_path):
    # the holder writes its id a moment after taking the lock; a run refused in that moment waits to read it
    out = tmp_path / "out"
    (out / runner.STATE).mkdir(parents=True)
    fd = os.open(out / runner.STATE / "lock", os.O_RDWR | os.O_CREAT)
    state = json.dumps({"pid": os.getpid(), "since": "2026-01-01T00:00:00Z"}).encode()
    writer = threading.Timer(0.3, os.pwrite, (fd, state, 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        writer.start()
        with pytest.raises(runner.RunBusy, match=f"another framing run \\(process {os.getpid()}, running since"):
            with runner.lock(out):
                pass
    finally:
        writer.join()
        os.close(fd)


def test_an_output_folder_that_cannot_be_written_is_named(pipeline, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert _run(blocker / "out") == cli.EXIT_OUTPUT
    assert f"{blocker} is not a folder" in caplog.text


def test_a_disk_that_fills_names_the_path_and_keeps_the_previous_set(pipeline, tmp_path):
    import resource

    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0

    def small_disk():  # every file this run writes is limited to 20 kB, as if the disk were full
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = _start(pipeline, out, "-p", "n=2", preexec_fn=small_disk)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode in (1, cli.EXIT_OUTPUT), output
    assert "File too large" in output and str(out) in output
    assert _consistent(out) == "1"


def test_notebook_parameters_are_kept_per_notebook_content(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "nb.ipynb"
    write_notebook(path, ["n"], PARAMS)
    first = stages.parameters(path)
    assert first["n"]["inferred_type_name"] == "int" and len(list((tmp_path / "cache").rglob("*.json"))) == 1
    assert stages.parameters(path) == first
    write_notebook(path, ["n"], PARAMS + '\nextra: str = "x"  # a parameter added later')
    assert stages.parameters(path)["extra"]["default"] == '"x"', "an edited notebook is inspected again"


# Two stages that report, in OUT/data/kernel.json, what the second one sees of the first.
FIRST = ["import os, sys, weakref, pandas as pd\nfrom analysis import tables",
         "class Held:\n    pass\nheld = Held()\nheld.itself = held  # a cycle: only the garbage collector frees it\n"
         "sys.modules['analysis'].probe = weakref.ref(held)\nleaked = 'from the first stage'\n"
         "open(os.path.join(data_dir, 'first.pid'), 'w').write(str(os.getpid()))\nheld  # kept by the output cache too",
         "tables.write(tables.conform(pd.DataFrame({'article_id': [str(n)]}), 'articles', fill=True), 'articles', "
         "data_dir)"]
SECOND = ["import concurrent.futures, json, multiprocessing, os, sys\nfrom analysis import tables",
          "probe = getattr(sys.modules['analysis'], 'probe', None)\n"
          "seen = {'leaked': 'leaked' in globals() or 'held' in globals(),\n"
          "        'freed': probe is not None and probe() is None,\n"
          "        'same_kernel': open(os.path.join(data_dir, 'first.pid')).read() == str(os.getpid()),\n"
          "        'cwd': os.getcwd(), 'progress': os.environ['FRAMING_PROGRESS'],\n"
          "        'articles': tables.read('articles', data_dir)['article_id'].tolist()}\n"
          "with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn')) as pool:\n"
          "    seen['spawned'] = pool.submit(abs, -2).result() == 2  # as the tagging stage starts its workers",
          "if fail:\n    raise ValueError('boom in the second stage')",
          "if exit:\n    os._exit(3)",
          "json.dump(seen, open(os.path.join(data_dir, 'kernel.json'), 'w'))\nseen"]


@pytest.fixture()
def two_stages(tmp_path, monkeypatch):
    """A two-stage pipeline whose second stage records what it can see of the first."""
    (tmp_path / "nb").mkdir()
    params = PARAMS + "\nexit: bool = False  # end the kernel's process in the second stage"
    write_notebook(tmp_path / "nb" / "01_first.ipynb", FIRST, params)
    write_notebook(tmp_path / "nb" / "02_second.ipynb", SECOND, params)
    decl = {"stages": [{"name": "first", "notebook": "nb/01_first.ipynb", "title": "First", "inputs": [],
                        "outputs": ["articles"]},
                       {"name": "second", "notebook": "nb/02_second.ipynb", "title": "Second",
                        "inputs": ["articles"], "outputs": []}],
            "profiles": {"default": {}},
            "parameters": {"paths": ["corpus"], "spacy_models": ["model"], "managed": ["data_dir"]}}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(decl))
    monkeypatch.setenv("FRAMING_PIPELINE", str(tmp_path / "pipeline.yaml"))
    monkeypatch.delenv("FRAMING_FRESH_KERNEL", raising=False)
    return tmp_path


def _seen(out: Path) -> dict:
    return json.loads((out / "data" / "kernel.json").read_text())


def test_the_stages_of_a_run_share_one_kernel_and_none_sees_another_stages_variables(two_stages, tmp_path):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=7") == 0
    seen = _seen(out)
    assert seen["same_kernel"], "the second stage runs in the first stage's kernel"
    assert not seen["leaked"], "a variable of the first stage is gone when the second starts"
    assert seen["freed"], "what the first stage held (in a cycle and in the output cache) was collected"
    assert seen["cwd"] == str(two_stages / "nb") and seen["progress"] == "0" and seen["articles"] == ["7"]
    assert seen["spawned"], "a stage after the reset can start worker processes (n_process > 1)"
    executed = nbformat.read(str(out / "reports" / "notebooks" / "02_second.ipynb"), as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "each stage's execution counts start at 1, as in a new kernel"
    assert executed.metadata["papermill"]["parameters"]["n"] == 7


def test_fresh_kernel_per_stage_on_request(two_stages, tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMING_FRESH_KERNEL", "1")
    out = tmp_path / "out"
    assert _run(out) == 0
    seen = _seen(out)
    assert not seen["same_kernel"] and not seen["leaked"] and seen["articles"] == ["1"]


@pytest.mark.parametrize("fresh", ["", "1"])
def test_a_failing_stage_is_reported_as_in_a_fresh_kernel_and_the_next_run_works(two_stages, tmp_path, caplog,
                                                                                 monkeypatch, fresh):
    monkeypatch.setenv("FRAMING_FRESH_KERNEL", fresh)
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    assert _run(out, "-p", "n=2", "-p", "fail=true") == 1
    assert "stage 'second' failed in cell 3 of 02_second.ipynb (execution count 5)" in caplog.text
    assert "ValueError: boom in the second stage" in caplog.text
    assert _ids(out) == ["1"] and runner.last_run(out)["status"] == "failed"
    kept = nbformat.read(str(out / runner.STATE / "failed" / "02_second.ipynb"), as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    assert _run(out, "-p", "n=3") == 0
    assert _ids(out) == ["3"] and _seen(out)["same_kernel"] is not bool(fresh) and not _seen(out)["leaked"]


def test_a_kernel_that_dies_fails_its_stage_and_the_next_run_starts_a_new_one(two_stages, tmp_path, caplog):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    first_kernel = int((out / "data" / "first.pid").read_text())
    assert not _alive(first_kernel), "the run's kernel is shut down when the run ends"
    assert _run(out, "-p", "n=2", "-p", "exit=true") == 1
    assert "stage 'second' failed in cell 4 of 02_second.ipynb" in caplog.text and "os._exit(3)" in caplog.text
    assert "the kernel died while this cell ran" in caplog.text
    kept = nbformat.read(str(out / runner.STATE / "failed" / "02_second.ipynb"), as_version=4)
    assert kept.cells[-1].source == SECOND[3], "the executed notebook is kept up to the cell the kernel died in"
    assert _ids(out) == ["1"] and runner.last_run(out)["status"] == "failed"
    assert _run(out, "-p", "n=3") == 0 and _ids(out) == ["3"] and _seen(out)["same_kernel"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0  # a zombie has exited


def test_a_run_links_the_published_tables_and_copies_the_reports(pipeline, tmp_path):
    out = tmp_path / "out"
    assert _run(out, "-p", "n=1") == 0
    staging = runner._staging(out)
    assert (staging / "data" / "articles.parquet").samefile(out / "data" / "articles.parquet")
    assert not (staging / "reports" / "01_make.html").samefile(out / "reports" / "01_make.html")
    assert runner._set_id(staging / "data") == staging.name and runner._set_id(out / "data") != staging.name
    tables.write(tables.conform(pd.DataFrame({"article_id": ["9"]}), "articles", fill=True), "articles",
                 staging / "data")
    assert _ids(out) == ["1"], "a table written in the run folder replaces its link, never the published file"
