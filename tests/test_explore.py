"""The exploration notebook and module on a finished seed run: pickers narrow the tables the way they say, a free
term is searched, voiced and charted like a family, and the notebook works in JupyterLab in a real browser."""
from __future__ import annotations

import json
import shutil

import papermill
import pytest

from analysis import concordance, explore
from browser import jupyterlab, lab_page
from conftest import ROOT, committed_forms


@pytest.fixture(scope="module")
def t(seed_run):
    return explore.load(seed_run / "data")


def test_picking_a_family_gives_its_kwic_lines_only(t):
    lines = explore.lines(t, family="asian_nato")
    assert len(lines) and set(lines["query"]) == {"asian_nato"}
    assert lines["match"].str.contains("NATO").all()


def test_a_free_term_is_searched_in_the_text(t):
    lines = explore.lines(t, term="hell-bent")
    assert lines["match"].str.lower().tolist() == ["hell-bent"]


def test_a_free_term_gets_its_voice_and_speaker(t):
    lines = explore.lines(t, term="Asia-style NATO")
    assert len(lines) >= 2
    assert set(lines["voice"]) == {"direct_quote"}  # Reuters' quote of the foreign ministry, in two outlets
    assert lines["speaker"].str.contains("ministry", case=False).all()
    own = explore.lines(t, term="joint military exercises")
    assert "narrator" in set(own["voice"]) and "" not in set(own["voice"])


def test_a_free_term_is_charted_like_a_family(t):
    lines = explore.lines(t, term="Asia-style NATO")
    rows = explore.as_hits(lines)
    assert set(rows["family"]) == {"Asia-style NATO"} and set(rows["voice"]) == {"direct_quote"}
    from analysis import charts, rhetoric

    spec = charts.dispersion(concordance.dispersion(rows, t["articles"]), families=["Asia-style NATO"]).to_dict()
    assert "Asia-style NATO" in json.dumps(spec) and "no data" not in json.dumps(spec)


def test_outlet_and_actor_pickers_narrow_the_hits(t):
    islam = explore.select(t, outlet="Islam Times")
    assert set(islam["hits"]["article_id"]) == {"002_85103c6223975557"}
    kcna = explore.select(t, actor="KCNA")
    assert 0 < len(kcna["hits"]) < len(t["hits"])
    assert "KCNA" in explore.choices(t)["actor"] and "asian_nato" in explore.choices(t)["family"]


def test_the_actor_list_holds_only_actors_with_lines(t):
    actors = explore.choices(t)["actor"][1:]
    assert actors
    for actor in actors:
        assert len(explore.lines(explore.select(t, actor=actor))), actor
    named = set(t["mentions"]["actor"]) - {""}
    assert named - set(actors), "every actor named anywhere is offered: the list is not filtered"


def test_an_actor_narrows_free_term_lines_too(t):
    everyone = explore.lines(t, term="NATO")
    kcna = explore.lines(explore.select(t, actor="KCNA"), term="NATO")
    assert 0 < len(kcna) < len(everyone)


def test_no_matching_line_gives_an_empty_table(t):
    assert explore.lines(t, term="zebra crossing").empty


def test_the_explore_notebook_runs_on_a_finished_run(seed_run, tmp_path):
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "explore.ipynb"), str(out), cwd=str(ROOT / "notebooks"),
                               parameters={"data_dir": str(seed_run / "data")}, progress_bar=False,
                               execution_timeout=120)
    shown = out.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" in shown


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_the_free_term_in_jupyterlab(seed_run, tmp_path):
    """Open the explore notebook in JupyterLab, run it, type a term: its lines (with their voice) and charts
    appear, the charts offer no "Open in Vega Editor", a term with no match says so; saved, the notebook is
    committed exactly as it is in the repository."""
    work = tmp_path / "lab"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", work / "notebooks" / "explore.ipynb")
    (work / "data").symlink_to(seed_run / "data", target_is_directory=True)  # the notebook's default ../data
    with jupyterlab(work) as (base, token), lab_page(f"{base}/lab/tree/notebooks/explore.ipynb?token={token}") as (page, seen):
        page.locator(".jp-Notebook").wait_for(timeout=90_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)  # the kernel is up
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        box = page.locator("input[placeholder='any word or phrase, then Enter']")
        box.wait_for(timeout=120_000)
        box.fill("Asia-style NATO")
        box.press("Enter")
        # The first draw (no term) already lists the family lines, which match "Asia-style NATO" too, and Enter
        # clears and redraws them: wait for the term's own draw (its query column) before reading anything.
        page.wait_for_function("term => [...document.querySelectorAll('.widget-output table tbody tr')]"
                               ".some(r => r.querySelector('td')?.textContent.trim() === term)",
                               arg="Asia-style NATO", timeout=60_000)
        table = page.locator(".widget-output table", has_text="Asia-style NATO")
        assert "direct_quote" in table.inner_text()
        actions = page.wait_for_function(  # both charts drawn, with their action menus, read in the same moment
            "() => { const a = [...document.querySelectorAll('.widget-output .vega-actions a')]"
            ".map(a => a.textContent); return document.querySelectorAll('.widget-output .vega-embed svg').length >= 2 && a.length >= 2 && a; }",
            timeout=60_000).json_value()
        assert "Save as SVG" in actions  # the chart menu is there ...
        assert not [a for a in actions if "Editor" in a or "View" in a]  # ... without the editor or the source
        box.fill("zebra crossing")
        box.press("Enter")
        page.locator(".widget-output", has_text="No lines match").wait_for(timeout=60_000)
        page.locator("[data-command='docmanager:save']").first.click()  # as a user saves, outputs and all
        page.locator(".jp-mod-dirty").wait_for(state="detached", timeout=30_000)
        assert seen.requests == []
    saved = work / "notebooks" / "explore.ipynb"
    assert any(c.get("outputs") for c in json.loads(saved.read_text(encoding="utf-8"))["cells"])  # saved as run
    clean = committed_forms([saved], tmp_path)["explore.ipynb"]
    assert clean == (ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8")
