"""Tests for analysis.concordance: KWIC lines and dispersion."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import concordance, keyness, patterns, profiles, rhetoric, tables


@pytest.fixture(scope="module")
def lex() -> dict:
    """The seeds' story lexicon on its own (the general lexicon's families would change the counts pinned here)."""
    return patterns.lexicon(profiles.load("asian-nato").phrases, source="asian-nato")


@pytest.fixture(scope="module")
def phrase_matcher(nlp, lex):
    return rhetoric.matcher(nlp, lex)


def hit_rows(rows: list[tuple]) -> pd.DataFrame:
    cols = ["article_id", "family", "voice", "in_headline", "start", "end"]
    return tables.conform(pd.DataFrame(rows, columns=cols), "hits", fill=True)


def test_kwic_on_a_multi_word_term_and_a_family(nlp, lex, phrase_matcher):
    text = ("Pyongyang said the United States is making a full-fledged move to establish an Asia-style NATO "
            "in the region. Nothing else was said.")
    articles = pd.DataFrame({"article_id": ["a"], "outlet": ["Reuters"], "date": ["2024-06-30"], "text": [text]})
    first = text.index(" Nothing")
    sentences = pd.DataFrame({"article_id": "a", "sent_id": [0, 1], "start": [0, first + 1],
                              "end": [first, len(text)], "position": "body"})
    h = rhetoric.hits(nlp(text), matcher=phrase_matcher, lexicon=lex, article_id="a", sentences=sentences)
    out = concordance.kwic(articles, h, queries=["full fledged move", "asian_nato", "Cold War"], window=3,
                           sentences=sentences)
    term = out[out["query"] == "full fledged move"].iloc[0]
    assert (term["left"], term["match"], term["right"]) == ("is making a", "full-fledged move", "to establish an")
    assert (term["outlet"], term["date"], term["voice"], term["sent_id"]) == ("Reuters", "2024-06-30", "", 0)
    family = out[out["query"] == "asian_nato"].iloc[0]
    assert (family["match"], family["voice"], family["right"]) == ("Asia-style NATO", "narrator", "in the region.")
    assert "Cold War" not in set(out["query"])
    tables.conform(out, "kwic")


def test_dispersion_is_relative_to_the_article_length():
    articles = pd.DataFrame({"article_id": ["a", "b"], "text": ["x" * 200, ""]})
    h = hit_rows([("a", "asian_nato", "narrator", False, 50, 60), ("b", "hypocrisy", "narrator", False, 0, 1)])
    out = concordance.dispersion(h, articles)
    assert out["rel_position"].tolist() == [0.25, 0.0]
    assert list(out.columns) == list(tables.schema("dispersion")["columns"])


def test_a_kwic_query_in_capitals_is_case_sensitive():
    text = "The US warned us. Let us see what the U.S. Navy and NATO do; nato members waited."
    articles = pd.DataFrame({"article_id": ["a"], "outlet": ["X"], "text": [text]})
    out = concordance.kwic(articles, tables.empty("hits"), queries=["US", "U.S.", "NATO", "us"], window=2)
    assert out.groupby("query")["match"].apply(list).to_dict() == {
        "NATO": ["NATO"], "U.S.": ["U.S."], "US": ["US"], "us": ["US", "us", "us"]}
    assert [keyness.is_acronym(w) for w in ("US", "U.S.", "NGOs", "us", "Us", "A")] == [
        True, True, True, False, False, False]
