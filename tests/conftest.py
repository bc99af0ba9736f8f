"""Shared fixtures: the spaCy model is loaded once per test session; the seed corpus ships in seeds/."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import models

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def nlp():
    """The workbook's default spaCy pipeline, loaded once."""
    return models.load("en_core_web_sm")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The default corpus folder."""
    return SEEDS


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """Raw seed texts keyed by file stem (for example ``000_7a0cd52b09a6d4f5``)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def write_notebook(path: Path, cells: list[str], params: str) -> None:
    """A Python 3 notebook at ``path``: a cell tagged ``parameters`` holding ``params``, then one code cell each."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))


def run_workbook(out: Path, *args: str) -> Path:
    """Run ``framing run`` into ``out`` in a subprocess, as a user would; fail the test with its output if it fails."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "analysis.cli", "run", "--out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-6000:]}")
    return out


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory) -> Path:
    """One whole-pipeline run on the seed corpus, shared by the smoke, report and browser tests."""
    return run_workbook(tmp_path_factory.mktemp("seed-run"), "--corpus", str(SEEDS))


def committed_forms(paths: list[Path], tmp: Path) -> dict[str, str]:
    """What git would commit for each file in ``paths``: the files staged in a scratch git repository set up with
    the project's own Makefile target (``make notebook-filter``) and ``.gitattributes``, read back from its index.

    Skips the test where git or make is missing (a bare source tree cannot commit anything).
    """
    import os
    import shutil
    import subprocess
    import sys

    if not (shutil.which("git") and shutil.which("make")):
        pytest.skip("git and make are needed to see what git would commit")
    repo = tmp / "repo"
    repo.mkdir()
    for name in ("Makefile", ".gitattributes"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)  # the filter runs .venv/bin/python
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp)}
    run = dict(cwd=repo, env=env, check=True, capture_output=True, text=True, timeout=120)
    subprocess.run(["git", "init", "-q"], **run)
    subprocess.run(["make", "-s", "notebook-filter"], **run)
    for path in paths:
        shutil.copy(path, repo / path.name)
    subprocess.run(["git", "add", *[p.name for p in paths]], **run)
    return {p.name: subprocess.run(["git", "show", f":{p.name}"], **run).stdout for p in paths}
