"""House rules for the committed notebooks: clean, narrated, one documented parameters cell, no definitions.

"Committed" means what git would commit: the working copy passed through the project's notebook filter
(nbstripout, set up by ``make env``), so a notebook run and saved in JupyterLab still passes.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import papermill
import pytest

from analysis import stages
from conftest import ROOT, committed_forms

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PIPELINE = [s.notebook for s in stages.all_stages()]


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_every_declared_stage_has_its_notebook():
    assert PIPELINE and all(p.exists() for p in PIPELINE)


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> dict[str, str]:
    return committed_forms(NOTEBOOKS, tmp_path_factory.mktemp("committed"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_clean_metadata(path, committed):
    nb = json.loads(committed[path.name])
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert all(set(c.get("metadata", {})) <= {"tags"} for c in nb["cells"])


@pytest.mark.parametrize("path", PIPELINE, ids=lambda p: p.name)
def test_one_parameters_cell_of_typed_commented_literals(path):
    tagged = [c for c in _cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    names = []
    for line in "".join(tagged[0]["source"]).splitlines():
        node = ast.parse(line.split("#")[0]).body[0] if line.split("#")[0].strip() else None
        if node is None:
            continue
        assert isinstance(node, ast.AnnAssign), f"{line!r}: give every parameter a type"
        names.append(node.target.id)
        ast.literal_eval(node.value)  # literal values only
        assert "#" in line and line.split("#", 1)[1].strip(), f"{line!r}: add a trailing comment"
    documented = papermill.inspect_notebook(str(path))
    assert list(documented) == names, "papermill could not parse every parameter line (avoid '=' in comments)"
    assert all(p["help"] and p["inferred_type_name"] != "None" for p in documented.values())


@pytest.mark.parametrize("path", PIPELINE, ids=lambda p: p.name)
def test_notebooks_narrate_and_call(path):
    cells = _cells(path)
    for before, cell in zip(cells, cells[1:]):
        if cell["cell_type"] != "code" or "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source)
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))], source
        assert before["cell_type"] == "markdown", f"a markdown sentence must introduce:\n{source}"
        assert len(source.splitlines()) <= 12, f"keep notebook cells short:\n{source}"


def test_the_notebook_filter_strips_what_jupyterlab_saves(tmp_path):
    """A notebook as JupyterLab saves it after a run (outputs, counts, widget state, the kernel's language_info,
    cell metadata) is committed exactly as the clean notebook in the repository."""
    path = ROOT / "notebooks" / "explore.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["language_info"].update(codemirror_mode={"name": "ipython", "version": 3}, version="3.11.9",
                                           file_extension=".py", mimetype="text/x-python", pygments_lexer="ipython3",
                                           nbconvert_exporter="python")
    nb["metadata"]["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for n, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell.update(execution_count=n + 1, outputs=[{"output_type": "stream", "name": "stderr", "text": "WARNING x"}])
        cell["metadata"].update(trusted=True, scrolled=True, execution={"iopub.status.busy": "2026-01-01"})
    saved = tmp_path / "explore.ipynb"
    saved.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    assert committed_forms([saved], tmp_path)["explore.ipynb"] == path.read_text(encoding="utf-8")


def test_the_filter_set_up_is_harmless_outside_a_git_checkout(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("make"):
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    done = subprocess.run(["make", "-s", "notebook-filter"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / ".git").exists()
