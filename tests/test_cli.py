"""The command line: the run options for unattended use, and commands that only read."""
from __future__ import annotations

import json

import pytest

from analysis import cache, cli, runner, stages


def test_run_documents_strict_and_wait_and_the_exit_statuses(capsys):
    try:
        cli.main(["run", "--help"])
    except SystemExit as done:
        assert done.code == 0
    shown = capsys.readouterr().out
    assert "--strict" in shown and f"exit with status {cli.EXIT_FAILED_ARTICLES}" in shown and "--wait" in shown
    assert len({0, 1, 2, cli.EXIT_FAILED_ARTICLES, cli.EXIT_BUSY, cli.EXIT_OUTPUT, 130}) == 7


def test_status_of_a_folder_with_no_run_creates_nothing(tmp_path, capsys):
    assert cli.main(["status", "--out", str(tmp_path / "never")]) == 0
    assert '"status": "none"' in capsys.readouterr().out
    assert not (tmp_path / "never").exists()


def test_status_lists_the_stages_in_pipeline_order(tmp_path, capsys):
    names = [s.name for s in stages.all_stages()]
    (tmp_path / "data").mkdir()
    record = {"computed": "2026-01-01 00:00:00", "reused": "", "seconds": 1.0, "failures": 0}
    cache.write({name: dict(record) for name in [*sorted(names), "retired"]}, tmp_path / "data")
    assert cli.main(["status", "--out", str(tmp_path)]) == 0
    listed = list(json.loads(capsys.readouterr().out)["stages"])
    assert listed == [*names, "retired"] and listed != sorted(listed), "pipeline order, not the alphabet"


def test_status_finishes_an_interrupted_publication(tmp_path, capsys):
    out, staging = tmp_path / "out", tmp_path / "out" / runner.STATE / "run-1-1"
    for sub, text in (("data", "old"), ("reports", "old")):
        (out / sub).mkdir(parents=True)
        (out / sub / "x.txt").write_text(text)
    for sub in ("data", "reports"):  # a complete staged set, whose publication was killed after its journal
        (staging / sub).mkdir(parents=True)
        (staging / sub / "x.txt").write_text("new")
        (staging / sub / runner.SET_ID).write_text(staging.name)
    (out / runner.STATE / "publish.json").write_text(f'{{"set": "{staging.name}", "staging": "{staging}"}}')
    runner._exchange(staging / "data", out / "data")  # killed between the two swaps
    cli.main(["status", "--out", str(out)])
    assert [(out / sub / "x.txt").read_text() for sub in ("data", "reports")] == ["new", "new"]
    assert not (out / runner.STATE / "publish.json").exists() and not staging.exists()


def test_re_running_later_stages_keeps_the_story_the_tables_were_made_with(tmp_path):
    import nbformat

    from analysis import profiles

    for name in ("articles", "sentences", "quotes", "mentions"):  # the tables the later stages read
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / f"{name}.parquet").write_bytes(name.encode())
    made = {"articles": cache.file_digest(tmp_path / "data" / "articles.parquet")}
    cache.write({"ingest": {"outputs": made}}, tmp_path / "data")  # as the run that made them recorded it
    executed = tmp_path / "reports" / "notebooks" / "02_tag.ipynb"
    executed.parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"story": ""}}  # the earlier run used no story profile
    nbformat.write(nb, str(executed))

    def story(**options) -> str:
        return runner.plan(out=tmp_path, **options).parameters["rhetoric"]["story"]

    assert story(stage_names=["rhetoric", "charts"]) == ""
    assert story(stage_names=["rhetoric"], assignments={"story": "asian-nato"}) == \
        str(profiles.folder("asian-nato"))
    assert story() == str(profiles.folder("asian-nato"))  # a whole run on the default corpus, seeds/
    assert story(corpus=[str(tmp_path / "data")]) == ""  # another corpus: no shipped profile is its own


def test_run_documents_force_and_scheduler(capsys):
    try:
        cli.main(["run", "--help"])
    except SystemExit as done:
        assert done.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "--force" in shown and "execute every selected stage" in shown
    assert "--scheduler ADDRESS" in shown and "sets the notebook parameter 'scheduler'" in shown


def test_choices_come_from_their_modules_and_the_help_names_them(capsys):
    from analysis import coding, lessons

    for command, option, values in (("sample", "--unit", coding.UNITS), ("lessons", "--edition", lessons.EDITIONS)):
        try:
            cli.main([command, "--help"])
        except SystemExit:
            pass
        shown = capsys.readouterr().out
        assert all(v in shown for v in values), (command, values)
    with pytest.raises(SystemExit) as refused:
        cli.main(["sample", "--out", "x.csv", "--unit", "paragraph"])
    assert refused.value.code == 2 and "invalid choice: 'paragraph'" in capsys.readouterr().err


def test_a_command_that_executes_no_notebook_imports_neither_spacy_nor_papermill(tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom analysis import cli\ncli.main(['stages'])\n"
            "print(sorted(m for m in ('spacy', 'papermill', 'nbconvert', 'altair') if m in sys.modules))")
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)  # fills the caches
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_a_run_starts_its_kernel_before_importing_pandas(tmp_path):
    """`framing run` starts the run's kernel before it imports pandas and pyarrow (half a second): the kernel boots
    while the runner imports them."""
    import os
    import subprocess
    import sys

    code = ("import os, sys\nfrom analysis import cli, kernel\n"
            "def start(self, cwd):\n"
            "    print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules), flush=True)\n"
            "    os._exit(0)\n"
            "kernel.Warm.start = start\n"
            f"cli.main(['-q', 'run', '--out', {str(tmp_path)!r}, '--stages', 'ingest'])\n"
            "print('the kernel was never started')")
    env = {k: v for k, v in os.environ.items() if k != "FRAMING_FRESH_KERNEL"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("typed, shown", [(".venv/bin/framing", ".venv/bin/framing"), ("/opt/env/bin/framing",
                                                                                     "/opt/env/bin/framing"),
                                          ("/work/analysis/cli.py", "framing"), ("", "framing")])
def test_a_hint_names_framing_as_the_user_typed_it(monkeypatch, typed, shown):
    # new-story's closing hint is copied and pasted: `framing` alone is not found unless the environment is active
    monkeypatch.setattr("sys.argv", [typed] if typed else [])
    assert cli._program() == shown
