"""The second worked example (examples/gun-policy): 50 of its articles through the whole pipeline with its story
profile, compared by bias label. It checks what issue #12 asks of a story that is not the seeds' one: no hits of
the North Korea families, KWIC lines from the profile's queries, the profile's families found in each bias group,
and no fit warning for the profile that was written for the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_workbook

from analysis import patterns, profiles, tables

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "gun-policy"


@pytest.fixture(scope="module")
def gun_run(tmp_path_factory) -> Path:
    return run_workbook(tmp_path_factory.mktemp("gun-run"), "--corpus", str(EXAMPLE / "corpus-50.jsonl.gz"),
                        "--story", str(EXAMPLE / "profile"), "-p", "keyness_by=bias")


@pytest.mark.slow
def test_the_gun_policy_example_runs_with_its_profile(gun_run):
    data = gun_run / "data"
    hits, articles = tables.read("hits", data), tables.read("articles", data)
    assert len(articles) == 50 and set(articles["bias"]) == {"left", "center", "right"}
    seed_families = set(patterns.lexicon(profiles.load("asian-nato").phrases))
    assert not set(hits["family"]) & seed_families
    assert {"gun_control_frame", "gun_rights_frame"} <= set(hits.loc[hits["lexicon"] == "gun-policy", "family"])
    kwic = tables.read("kwic", data)
    assert {"gun_control_frame", "background checks", "second amendment"} <= set(kwic["query"])
    assert set(tables.read("keyness", data)["group"]) == {"left", "center", "right"}
    fit = profiles.fit(profiles.load(EXAMPLE / "profile"), articles=articles, hits=hits,
                       mentions=tables.read("mentions", data))
    assert fit["fits"].all(), fit["finding"].tolist()
    report = (gun_run / "reports" / "03_rhetoric.html").read_text(encoding="utf-8")
    assert "stooge" not in report.lower() and "gun-policy" in report
