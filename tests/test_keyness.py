"""Keyness: G2 and log ratio checked against arithmetic done by hand on a two-group toy corpus."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import keyness, tables

# Toy corpus: group A = articles a1 (20 single-word terms) + a2 (30) -> c = 50; group B = b1 + b2 (50 each) -> d = 100.
COUNTS = [
    ("a1", "missile", 6), ("a1", "talk", 1), ("a1", "juche", 5), ("a1", "filler", 8), ("a1", "nuclear test", 3),
    ("a2", "missile", 4), ("a2", "rare", 4), ("a2", "filler", 22),
    ("b1", "missile", 1), ("b1", "talk", 5), ("b1", "filler", 44), ("b1", "nuclear test", 3),
    ("b2", "missile", 1), ("b2", "talk", 5), ("b2", "filler", 44),
]
ARTICLES = pd.DataFrame({"article_id": ["a1", "a2", "b1", "b2"], "outlet": ["A", "A", "B", "B"],
                         "bias": ["left", "right", "left", "right"]})


@pytest.fixture()
def counts() -> pd.DataFrame:
    return pd.DataFrame(COUNTS, columns=["article_id", "term", "n"])


def row(table: pd.DataFrame, group: str, term: str) -> pd.Series:
    found = table[(table["group"] == group) & (table["term"] == term)]
    assert len(found) == 1, f"{term!r} for {group!r}: {len(found)} rows"
    return found.iloc[0]


def test_g2_and_log_ratio_by_hand(counts):
    table = keyness.compare(counts, ARTICLES, by="outlet", min_freq=5)
    missile = row(table, "A", "missile")
    # a = 10, b = 2, c = 50, d = 100
    # E1 = 50 * 12 / 150 = 4, E2 = 100 * 12 / 150 = 8
    # G2 = 2 * (10 ln(10/4) + 2 ln(2/8)) = 2 * (9.1629073 - 2.7725887) = 12.7806372
    # log ratio = log2((10/50) / (2/100)) = log2(10) = 3.3219281
    expected_g2 = 2 * (10 * math.log(10 / 4) + 2 * math.log(2 / 8))
    assert missile["g2"] == pytest.approx(expected_g2, abs=1e-9)
    assert missile["g2"] == pytest.approx(12.7806372, abs=1e-6)
    assert missile["log_ratio"] == pytest.approx(math.log2(10), abs=1e-9)
    assert (missile["count_target"], missile["count_ref"], missile["df_target"], missile["df_ref"]) == (10, 2, 2, 2)
    assert missile["direction"] == "over"
    assert not missile["single_article"]
    # The same term for B is under-used: G2 is symmetric, the log ratio changes sign: log2((2/100) / (10/50)).
    under = row(table, "B", "missile")
    assert under["g2"] == pytest.approx(expected_g2, abs=1e-9)
    assert under["log_ratio"] == pytest.approx(-math.log2(10), abs=1e-9)
    assert under["direction"] == "under"


def test_zero_count_gets_half_in_log_ratio(counts):
    juche = row(keyness.compare(counts, ARTICLES, by="outlet"), "A", "juche")
    # a = 5, b = 0: E1 = 50 * 5 / 150 = 5/3; G2 = 2 * 5 ln(5 / (5/3)) = 10 ln 3 = 10.9861229
    assert juche["g2"] == pytest.approx(10 * math.log(3), abs=1e-9)
    # log ratio = log2((5/50) / (0.5/100)) = log2(20)
    assert juche["log_ratio"] == pytest.approx(math.log2(20), abs=1e-9)


def test_multiword_terms_do_not_change_corpus_sizes(counts):
    table = keyness.compare(counts, ARTICLES, by="outlet", g2_threshold=0)
    chunk = row(table, "A", "nuclear test")
    # a = 3, b = 3, sizes still c = 50, d = 100: E1 = 2, E2 = 4; G2 = 2 * (3 ln 1.5 + 3 ln 0.75) = 0.7067004
    assert chunk["g2"] == pytest.approx(2 * (3 * math.log(1.5) + 3 * math.log(0.75)), abs=1e-9)
    assert chunk["log_ratio"] == pytest.approx(math.log2((3 / 50) / (3 / 100)), abs=1e-9)


def test_single_article_flag(counts):
    table = keyness.compare(counts, ARTICLES, by="outlet")
    # juche is only in a1: without a1 the target has a = 0 in c = 30, G2 = 0 -> key only because of one article.
    assert row(table, "A", "juche")["single_article"]
    # missile without a1 (its top article, 6 of 10): a = 4, c = 30, b = 2, d = 100
    # E1 = 30 * 6 / 130, E2 = 100 * 6 / 130; G2 = 2 * (4 ln(4/E1) + 2 ln(2/E2)) = 5.14 >= 3.84 -> still key.
    e1, e2 = 30 * 6 / 130, 100 * 6 / 130
    assert 2 * (4 * math.log(4 / e1) + 2 * math.log(2 / e2)) > 3.84
    assert not row(table, "A", "missile")["single_article"]


def test_min_freq_guard(counts):
    # "rare" (4 uses, all in a2) would be key (G2 = 8 ln 3 = 8.79) but is below the minimum frequency.
    assert "rare" not in set(keyness.compare(counts, ARTICLES, min_freq=5)["term"])
    rare = row(keyness.compare(counts, ARTICLES, min_freq=4), "A", "rare")
    assert rare["g2"] == pytest.approx(8 * math.log(3), abs=1e-9)


def test_only_key_rows_and_schema(counts):
    table = keyness.compare(counts, ARTICLES, by="outlet")
    assert (table["g2"] >= 3.84).all()
    assert "talk" not in set(table["term"])  # G2 = 3.60: below the threshold
    assert set(table["group_col"]) == {"outlet"}
    assert list(table.columns) == list(tables.schema("keyness")["columns"])
    tables.conform(table, "keyness")


def test_any_grouping_column(counts):
    table = keyness.compare(counts, ARTICLES, by="bias", g2_threshold=0)
    assert set(table["group"]) == {"left", "right"}
    with pytest.raises(KeyError, match="no column 'topic'"):
        keyness.compare(counts, ARTICLES, by="topic")
    assert keyness.groupable(ARTICLES, by="bias") == "bias"
    with pytest.raises(KeyError, match="no column 'topic'.*columns: .*outlet"):  # what the notebook asks first
        keyness.groupable(ARTICLES, by="topic")


def test_one_group_is_an_error(counts):
    with pytest.raises(ValueError, match="at least two groups"):
        keyness.compare(counts, ARTICLES.assign(outlet="A"))


def test_counts_from_docs(nlp):
    docs = list(nlp.pipe(["The joint military drills continued.", "Drills, drills and more drills!"]))
    table = keyness.counts(docs, article_ids=["x", "y"])
    got = {(r.article_id, r.term): r.n for r in table.itertuples()}
    assert got[("y", "drill")] == 3  # "Drills" (a PROPN lemma keeps its case in spaCy) is lower-cased
    assert got[("x", "joint military drill")] == 1  # the noun chunk, reduced to its content lemmas
    assert ("x", "the") not in got  # stop words are not terms
    bigrams = keyness.counts(docs, article_ids=["x", "y"], multiword="bigrams")
    assert set(bigrams.loc[bigrams["article_id"] == "x", "term"]) >= {"joint military", "military drill"}
    with pytest.raises(ValueError, match="same length"):
        keyness.counts(docs, article_ids=["x"])


# --- case that carries meaning: acronyms (issue #11 section 5) --------------------------------------------------

@pytest.mark.parametrize("word, expected", [("US", "US"), ("U.S.", "US"), ("us", "us"), ("Us", "us"),
                                            ("NATO", "NATO"), ("U.N.", "UN"), ("AT&T", "AT&T"), ("DPRK", "DPRK"),
                                            ("Drills", "drills"), ("I", "i"), ("A", "a"), ("NGOs", "NGOs")])
def test_term_keeps_acronyms_in_capitals_and_lowers_other_words(word, expected):
    assert keyness.term(word) == expected


def test_terms_count_the_country_apart_from_the_pronoun(nlp):
    doc = nlp("The US said the U.S. would never let us down. NATO and the US held talks with us.")
    found = keyness.terms(doc, multiword="none")
    assert found.count("US") == 3 and "us" not in found and "NATO" in found
    assert "said" not in found and "say" in found  # ordinary words stay lower-cased lemmas


def test_a_line_in_capitals_is_not_read_as_acronyms(nlp):
    doc = nlp("NORTH KOREA SLAMS US DRILLS\nNorth Korea criticised the drills, the US said.")
    found = keyness.terms(doc, multiword="none")
    assert "NORTH" not in found and "SLAMS" not in found and found.count("US") == 1
    assert "north" in found and "drill" in found


def test_keyness_keeps_us_apart_from_the_pronoun(nlp):
    texts = ["The US warned that the U.S. and its allies would respond. The US sent ships."] * 3 + \
            ["Officials told us the drills worried us. They asked us to wait for us to reply."] * 3
    docs = list(nlp.pipe(texts))
    ids = [f"a{i}" for i in range(6)]
    table = keyness.counts(docs, article_ids=ids, multiword="none")
    articles = pd.DataFrame({"article_id": ids, "outlet": ["A"] * 3 + ["B"] * 3})
    key = keyness.compare(table, articles, by="outlet", min_freq=3, g2_threshold=0)
    assert row(key, "A", "US")["count_target"] == 9 and row(key, "A", "US")["count_ref"] == 0
    assert not (key["term"] == "us").any()  # the pronoun is a stop word, never a term


def _terms_token_by_token(doc, multiword: str) -> list[str]:
    """The definition ``keyness.terms`` computes from the doc's arrays, read one Token at a time."""
    shouted = keyness._shouted(doc.text)
    content = [keyness._is_content(t, shouted) for t in doc]
    words = [keyness._term(t, shouted) for t, c in zip(doc, content) if c]
    if multiword == "bigrams":
        words += [f"{keyness._term(a, shouted)} {keyness._term(b, shouted)}" for a, b, ca, cb
                  in zip(doc[:-1], doc[1:], content[:-1], content[1:]) if ca and cb and not b.is_sent_start]
    return words


def test_terms_from_arrays_are_the_token_by_token_terms(nlp, seed_texts):
    extra = ["NORTH KOREA SLAMS U.S. DRILLS\nThe U.S. and the UN met; NGOs and AT&T spoke to us. I said A.",
             "  \n", "US", "Drills. Drills\ndrills! North Korea's stooges"]
    docs = list(nlp.pipe([*seed_texts.values(), *extra]))
    cache: dict = {}
    for doc in docs:
        for multiword in ("none", "bigrams"):
            expected = _terms_token_by_token(doc, multiword)
            assert keyness.terms(doc, multiword=multiword) == expected
            assert keyness.terms(doc, multiword=multiword, cache=cache, text=doc.text) == expected  # shared cache
    assert keyness.terms(docs[-2], multiword="none") == ["US"]
