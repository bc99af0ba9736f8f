"""The failures table: recording one article's error, merging stages, leaving failed articles out, summaries."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import failures, tables


def test_guard_records_an_article_error_and_goes_on(caplog):
    failed = failures.Recorder("tag")
    done = []
    for article_id in ("a", "b", "c"):
        with failed.guard(article_id):
            if article_id == "b":
                raise ValueError("no parse for b\nsecond line")
            done.append(article_id)
    assert done == ["a", "c"]
    assert failed.rows == [{"stage": "tag", "article_id": "b", "error": "ValueError",
                            "message": "no parse for b second line"}]
    assert "article b failed" in caplog.text
    with pytest.raises(KeyboardInterrupt), failed.guard("d"):
        raise KeyboardInterrupt  # stopping the run is never an article's failure


def test_each_stage_replaces_only_its_own_rows(tmp_path):
    ingest, tag = failures.Recorder("ingest"), failures.Recorder("tag")
    ingest.add("x", OSError("unreadable"))
    tag.add("y", MemoryError("too big"))
    ingest.write(tmp_path)
    tag.write(tmp_path)
    again = failures.Recorder("tag")  # the tag stage re-run: its old rows go, the ingest rows stay
    again.add("z", KeyError("k"))
    again.write(tmp_path)
    got = failures.read(tmp_path)
    assert got[["stage", "article_id", "error"]].values.tolist() == [["ingest", "x", "OSError"],
                                                                    ["tag", "z", "KeyError"]]
    pd.testing.assert_frame_equal(got, tables.conform(got, "failures"))


def test_later_stages_leave_failed_articles_out_and_the_summary_counts_them(tmp_path):
    assert failures.total(tmp_path) == 0 and failures.summary(tmp_path).empty
    articles = tables.conform(pd.DataFrame({"article_id": ["a", "b", "c"]}), "articles", fill=True)
    failed = failures.Recorder("tag")
    failed.add("b", ValueError("x"))
    failed.add("c", ValueError("y"))
    failed.write(tmp_path)
    assert failures.analysed(articles, tmp_path)["article_id"].tolist() == ["a"]
    assert failures.summary(tmp_path).to_dict("records") == [{"stage": "tag", "failed": 2, "errors": "ValueError: 2"}]


def test_ingest_failures_come_from_the_skipped_rows():
    skipped = tables.conform(pd.DataFrame({
        "source_path": ["c/a.txt", "c/b.csv", "c/e.txt"], "source_row": [-1, 3, -1],
        "reason": ["failed", "failed", "empty"], "detail": ["ValueError: bad: value", "KeyError: 'k'", "empty"]}),
        "skipped")
    got = failures.from_skipped(skipped)
    assert got.values.tolist() == [["ingest", "c/a.txt", "ValueError", "bad: value"],
                                   ["ingest", "c/b.csv:3", "KeyError", "'k'"]]
    assert failures.from_skipped(skipped.iloc[2:]).empty
