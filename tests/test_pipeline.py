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


INJECT = '''
# Loaded at start-up by every Python process of the run (the CLI and each stage kernel): one article fails in each
# stage, as a bug that only that article meets would make it.
import analysis.corpus, analysis.rhetoric, analysis.tagging

def _failing(function, check, stage):
    def wrapper(*args, **kwargs):
        if check(*args, **kwargs):
            raise ValueError(f"injected {stage} failure")
        return function(*args, **kwargs)
    return wrapper

analysis.corpus._article = _failing(analysis.corpus._article, lambda record, article_id, *a, **k:
                                    article_id == "nested_quotes", "ingest")
analysis.tagging._Tagger.add = _failing(analysis.tagging._Tagger.add, lambda self, doc, article_id, title:
                                       article_id == "{tag_victim}", "tag")
analysis.rhetoric._records = _failing(analysis.rhetoric._records, lambda doc, **k:
                                      k["article_id"] == "{rhetoric_victim}", "rhetoric")
'''


@pytest.mark.timeout(1800)  # a whole run over a 2.1-million-character article: about 10 minutes on 2 cores
def test_bad_hostile_long_and_failing_articles_are_all_accounted_for(tmp_path):
    import subprocess
    import sys

    # a 2.1-million-character article of ordinary news words on one line, with no full stop after the first
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    words = " ".join(re.sub(r"[.!?\"“”]", " ", words).split())
    long_dir = tmp_path / "long"
    long_dir.mkdir()
    long_text = "Pyongyang said the allies were forming an Asian NATO. " + " ".join([words] * 175)
    assert len(long_text) > 2_000_000 and "\n" not in long_text
    (long_dir / "long_article.txt").write_text(long_text, encoding="utf-8")
    seeds = sorted(p.stem for p in SEEDS.glob("*.txt"))
    tag_victim, rhetoric_victim = seeds[1], seeds[3]
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(INJECT.replace("{rhetoric_victim}", rhetoric_victim)
                                            .replace("{tag_victim}", tag_victim))
    bad, hostile = FIXTURES / "bad", FIXTURES / "hostile"
    env = {**__import__("os").environ, "PYTHONPATH": f"{hooks}{__import__('os').pathsep}{Path(__file__).parent.parent}"}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "run", "--strict", "--out", str(out), "--corpus",
                           str(bad), str(hostile), str(SEEDS), str(long_dir), "-p", f"manifest={bad / 'manifest.yaml'}"],
                          env=env, capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 3, proc.stderr[-5000:]  # completed and published, with failures (--strict)
    for stage in ("ingest", "tag", "rhetoric"):
        assert f"{stage}: 1 article(s) failed" in proc.stderr

    failed = _table(out, "failures")
    assert sorted(failed[["stage", "error"]].itertuples(index=False, name=None)) == [
        ("ingest", "ValueError"), ("rhetoric", "ValueError"), ("tag", "ValueError")]
    assert set(failed["article_id"]) == {"bad/nested_quotes.txt", tag_victim, rhetoric_victim}
    assert failed["message"].str.startswith("injected").all()

    # every input is an article or a skipped row
    articles, skipped = _table(out, "articles"), _table(out, "skipped")
    inputs = [p for d in (bad, hostile) for p in d.iterdir()
              if not p.name.startswith(".") and (p.name != "manifest.yaml" or d == hostile)]
    rows = {"malformed.csv": 2, "malformed.jsonl": 5}
    n_inputs = sum(rows.get(p.name, 1) for p in inputs) + len(seeds) + 1 + 1  # + long article, + missing.txt
    n_inputs += sum(1 for line in (hostile / "03_feed.jsonl").read_text(encoding="utf-8").splitlines()) - 1
    assert len(articles) + len(skipped) == n_inputs
    assert skipped.loc[skipped["reason"] == "failed", "source_path"].tolist() == ["bad/nested_quotes.txt"]

    # every English article is tagged or failed; the failed one is in no later table
    english = set(articles.loc[articles["is_english"], "article_id"])
    sentences = _table(out, "sentences")
    assert set(sentences["article_id"]) | {tag_victim} == english and tag_victim not in set(sentences["article_id"])
    hits = _table(out, "hits")
    frames = _table(out, "frames")  # per sentence, so every article the rhetoric stage read has rows
    assert not {tag_victim, rhetoric_victim} & (set(hits["article_id"]) | set(frames["article_id"]))
    assert set(seeds) - {tag_victim, rhetoric_victim} <= set(frames["article_id"])
    # a corpus other than seeds/ gets the general lexicon only, which has hits in some seeds, not all
    assert set(hits["article_id"]) & (set(seeds) - {tag_victim, rhetoric_victim})

    # the long article is analysed whole: its sentences cover its text from the first character to the last
    text = articles.set_index("article_id").loc["long_article", "text"]
    spans = sentences.loc[sentences["article_id"] == "long_article", ["start", "end"]].to_numpy()
    assert spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())
    assert all(text[e:s].strip() == "" for (_, e), (s, _) in zip(spans, spans[1:]))
    assert "long_article" in set(hits["article_id"])
