"""The whole workbook, run as a user runs it: seeds, determinism, a bad-input corpus and a hostile one.

Each run is one ``framing run`` in a subprocess; the seed run is shared with other test files (conftest.seed_run).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import stages, tables
from browser import open_report
from conftest import FIXTURES, SEEDS, run_workbook

SPANS = {"sentences": "text", "quotes": "text", "mentions": "text", "hits": "matched_text"}


def _table(run: Path, name: str) -> pd.DataFrame:
    return tables.read(name, run / "data")


def test_every_declared_table_and_report_is_written(seed_run):
    for stage in stages.all_stages():
        assert (seed_run / "reports" / stage.report).exists()
        for name in stage.outputs:
            assert (seed_run / "data" / f"{name}.parquet").exists(), name
    assert (seed_run / "reports" / "index.html").exists()


def test_the_seed_articles_their_stated_metadata_and_the_stripped_headline_list(seed_run):
    articles = _table(seed_run, "articles").set_index("article_id")
    assert sorted(articles.index) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert articles.loc["000_7a0cd52b09a6d4f5", ["date", "date_source"]].tolist() == ["2022-06-29", "text"]
    assert articles.loc["002_85103c6223975557", ["outlet", "outlet_source", "date"]].tolist() == [
        "Islam Times", "text", "2022-06-27"]
    assert articles.loc["004_a60133d9da8e9fef", ["date", "date_text", "outlet_source"]].tolist() == [
        "", "Jun. 30", "dateline"]
    assert "Travel Ban" not in articles.loc["003_b66772f92caee721", "text"]
    assert _table(seed_run, "skipped").empty


def test_every_span_is_the_text_it_points_at(seed_run):
    texts = _table(seed_run, "articles").set_index("article_id")["text"]
    for name, column in SPANS.items():
        df = _table(seed_run, name)
        assert len(df), name
        sliced = [texts[a][s:e] for a, s, e in zip(df["article_id"], df["start"], df["end"])]
        assert sliced == df[column].tolist(), name


def test_the_asian_nato_family_is_found_in_every_seed_article(seed_run):
    hits = _table(seed_run, "hits")
    assert set(hits.loc[hits["family"] == "asian_nato", "article_id"]) == {p.stem for p in SEEDS.glob("*.txt")}


def test_every_report_renders_offline_with_all_its_charts(seed_run, tmp_path):
    for report in sorted((seed_run / "reports").glob("*.html")):
        seen = open_report(report)
        assert seen.requests == [], report.name
        assert seen.errors == [], report.name
        assert seen.drawn == seen.charts, report.name
    assert open_report(seed_run / "reports" / "04_charts.html").charts >= 10


def test_reports_carry_header_provenance_and_csv_downloads(seed_run):
    page = (seed_run / "reports" / "04_charts.html").read_text(encoding="utf-8")
    assert "Corpus: 5 articles" in page and "corpus sha256" in page and "git commit" in page
    assert page.count("data:text/csv") >= 10
    index = (seed_run / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{s.report}"' in index for s in stages.all_stages())
    assert "is quoted" in index and "Most frequent frames" in index and 'href="#evidence-family-asian_nato"' in index


def test_two_runs_give_identical_tables_and_reports(seed_run, tmp_path):
    again = run_workbook(tmp_path / "again", "--corpus", str(SEEDS))
    for first in sorted((seed_run / "data").glob("*.parquet")):
        assert (again / "data" / first.name).read_bytes() == first.read_bytes(), first.name
    run_time = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    for first in sorted((seed_run / "reports").glob("*.html")):
        a, b = (run_time.sub("<time>", p.read_text(encoding="utf-8")) for p in (first, again / "reports" / first.name))
        assert a == b, first.name


def test_a_bad_input_corpus_goes_through_every_stage_and_loses_nothing(tmp_path):
    bad = FIXTURES / "bad"
    run = run_workbook(tmp_path / "bad", "--corpus", str(bad), "-p", f"manifest={bad / 'manifest.yaml'}")
    articles, skipped = _table(run, "articles"), _table(run, "skipped")
    inputs = [p for p in bad.iterdir() if not p.name.startswith(".") and p.name != "manifest.yaml"]
    rows = {"malformed.csv": 2, "malformed.jsonl": 5}
    assert len(articles) + len(skipped) == sum(rows.get(p.name, 1) for p in inputs) + 1  # + missing.txt
    assert set(skipped["reason"]) >= {"empty", "binary", "undecodable", "malformed_row", "missing_file"}
    assert not articles.set_index("article_id").loc["non_english", "is_english"]
    assert (articles["duplicate_of"] != "").sum() == 1
    assert all((run / "reports" / s.report).exists() for s in stages.all_stages())


def test_a_ten_megabyte_single_line_file_goes_through(tmp_path):
    corpus = tmp_path / "big"
    corpus.mkdir()
    sentence = "North Korea said the allies were hell-bent on an Asian NATO, and Seoul rejected the claim. "
    (corpus / "one_line.txt").write_text(sentence * (10_000_000 // len(sentence)), encoding="utf-8")
    run = run_workbook(tmp_path / "out", "--corpus", str(corpus), "--stages", "ingest")
    assert len(_table(run, "articles")) + len(_table(run, "skipped")) == 1


def test_hostile_text_stays_text_in_every_report(tmp_path):
    hostile = FIXTURES / "hostile"
    run = run_workbook(tmp_path / "hostile", "--corpus", str(hostile), "-p", f"manifest={hostile / 'manifest.yaml'}")
    for report in sorted((run / "reports").glob("*.html")):
        seen = open_report(report)
        assert seen.dialogs == [], report.name
        assert seen.injected == 0 and seen.requests == [], report.name
        assert seen.errors == [], report.name
    shown = open_report(run / "reports" / "01_ingest.html").text
    assert "<b onmouseover=" in shown and "<svg onload=alert('title')>" in shown  # shown as text, not markup
