"""The exploration notebook and module on a finished seed run: pickers narrow the tables the way they say."""
from __future__ import annotations

import papermill

from analysis import explore
from conftest import ROOT


def test_picking_a_family_gives_its_kwic_lines_only(seed_run):
    t = explore.load(seed_run / "data")
    lines = explore.lines(t, family="asian_nato")
    assert len(lines) and set(lines["query"]) == {"asian_nato"}
    assert lines["match"].str.contains("NATO").all()


def test_a_free_term_is_searched_in_the_text(seed_run):
    lines = explore.lines(explore.load(seed_run / "data"), term="hell-bent")
    assert lines["match"].str.lower().tolist() == ["hell-bent"]


def test_outlet_and_actor_pickers_narrow_the_hits(seed_run):
    t = explore.load(seed_run / "data")
    islam = explore.select(t, outlet="Islam Times")
    assert set(islam["hits"]["article_id"]) == {"002_85103c6223975557"}
    kcna = explore.select(t, actor="KCNA")
    assert 0 < len(kcna["hits"]) < len(t["hits"])
    assert "KCNA" in explore.choices(t)["actor"] and "asian_nato" in explore.choices(t)["family"]


def test_the_explore_notebook_runs_on_a_finished_run(seed_run, tmp_path):
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "explore.ipynb"), str(out), cwd=str(ROOT / "notebooks"),
                               parameters={"data_dir": str(seed_run / "data")}, progress_bar=False)
    shown = out.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" in shown
