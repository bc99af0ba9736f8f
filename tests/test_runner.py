"""The runner and CLI on a small pipeline of real notebooks: checks before running, publication, failures, kills."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis import cli, runner, stages, tables

PARAMS = '''data_dir: str = "."  # folder of the run's tables
n: int = 1  # article id to write
fail: bool = False  # raise in the next cell
sleep: float = 0.0  # seconds to wait before writing
corpus: list = []  # files or folders
model: str = "en_core_web_sm"  # spaCy model name'''
BODY = ["import time, pandas as pd\nfrom analysis import tables",
        "if fail:\n    raise ValueError('boom in the second cell')\ntime.sleep(sleep)",
        "df = tables.conform(pd.DataFrame({'article_id': [str(n)]}), 'articles', fill=True)\n"
        "tables.write(df, 'articles', data_dir)\ndf"]


def _notebook(path: Path, cells: list[str], params: str) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))


@pytest.fixture()
def pipeline(tmp_path, monkeypatch):
    """A one-stage pipeline declared in tmp_path and selected through FRAMING_PIPELINE."""
    _notebook(tmp_path / "01_make.ipynb", BODY, PARAMS)
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


def test_a_run_publishes_tables_reports_and_executed_notebooks(pipeline, tmp_path):
    out = tmp_path / "out"
    assert _run(out, "--profile", "two") == 0
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
