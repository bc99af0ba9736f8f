"""House rules for the committed notebooks: clean, narrated, one documented parameters cell, no definitions."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import papermill
import pytest

from analysis import stages
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PIPELINE = [s.notebook for s in stages.all_stages()]


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_every_declared_stage_has_its_notebook():
    assert PIPELINE and all(p.exists() for p in PIPELINE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_clean_metadata(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
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
