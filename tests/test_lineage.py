"""Quote lineage and omission on the seeds: quotes located by hand (str.find), not by the quote extractor."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import lineage, tables

# The quoted content (inside the marks) of the seeds' quotes, read by hand: (kind, text as written).
QUOTES = {
    "000_7a0cd52b09a6d4f5": [
        ("partial", "Asian NATO"), ("partial", "sinister aim"),
        ("direct", "The US is getting hell-bent on the military cooperation with its stooges in disregard of the "
                   "primary security demand and concern by Asia-pacific countries. The scheme for formation of the "
                   "US-Japan-South Korea military alliance, motivated by Japan’s and South Korea’s kowtowing to the "
                   "US, is evidently a dangerous prelude to the creation of ‘Asian version' of NATO,"),
    ],
    "001_6e8327de55d568cf": [
        ("partial", "Asian NATO"), ("partial", "strongly denounced"),
        ("partial", "reckless and provocative military muscle-flexing"), ("partial", "world domination"),
        ("direct", "has already crossed the red-line and is bringing about a very negative change in the world "
                   "security environment."),
        ("direct", "This means that the US-Japan-ROK [South Korea] relations have taken on the full-fledged "
                   "appearance of Asian version [of] NATO,"),
    ],
    "002_85103c6223975557": [
        ("direct", "While blatantly holding joint military exercises with Japan and South Korea, the United States "
                   "is making a full-fledged move to establish an Asia-style NATO,"),
        ("direct", "This proves the hypocrisy of the US rhetoric of 'diplomatic engagement' and 'dialogue without "
                   "preconditions', while at the same time revealing again that there is no change in the US "
                   "ambition to overthrow our system by force,"),
        ("partial", "at any time without preconditions"),
    ],
    "003_b66772f92caee721": [
        ("direct", "While blatantly holding joint military exercises with Japan and South Korea, the United States "
                   "is making a full-fledged move to establish an Asia-style NATO,"),
        ("direct", "This proves the hypocrisy of the US rhetoric of ‘diplomatic engagement’ and ‘dialogue "
                   "without preconditions’ while at the same time revealing again that there is no change in the US "
                   "ambition to overthrow our system by force,"),
        ("partial", "aggression moves"), ("partial", "revenge"), ("partial", "imperialists"),
    ],
    "004_a60133d9da8e9fef": [
        ("partial", "NATO of Asian version"),
        ("direct", "The US is now claiming that the US-Japan-ROK [Republic of Korea] relations are just cooperative "
                   "ones for strengthening regional stability and security and do not mean NATO of Asian version, "
                   "but it is nothing but rhetoric to evade international criticism of the formation of an "
                   "aggressive bloc,"),
        ("direct", "As NATO stages annual joint military drills in all spheres including land, sea, air, and "
                   "cyberspace, the US, Japan, and the ROK decided to regularly stage tripartite multi-domain joint "
                   "military drills. This means that the US-Japan-ROK relations have taken on the full-fledged "
                   "appearance of Asian-version NATO,"),
    ],
}
OUTLETS = {"000_7a0cd52b09a6d4f5": "", "001_6e8327de55d568cf": "Outlet B", "002_85103c6223975557": "Islam Times",
           "003_b66772f92caee721": "Outlet D", "004_a60133d9da8e9fef": "Mehr News Agency"}


@pytest.fixture(scope="module")
def articles(seed_texts) -> pd.DataFrame:
    return pd.DataFrame({"article_id": list(OUTLETS), "outlet": list(OUTLETS.values()),
                         "text": [seed_texts[stem] for stem in OUTLETS]})


@pytest.fixture(scope="module")
def quotes(seed_texts) -> pd.DataFrame:
    rows = []
    for stem, found in QUOTES.items():
        for n, (kind, text) in enumerate(found):
            start = seed_texts[stem].find(text)
            assert start >= 0, f"not in {stem}: {text[:40]}"
            rows.append({"article_id": stem, "quote_id": f"{stem}/q{n}", "start": start, "end": start + len(text),
                         "text": text, "kind": kind, "speaker": "", "speaker_actor": "", "cue": "", "cue_lemma": ""})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def lineage_table(quotes, articles) -> pd.DataFrame:
    return lineage.align(quotes, articles)


def statement_of(table: pd.DataFrame, quote_id: str) -> str:
    found = table.loc[table["quote_id"] == quote_id, "statement_id"]
    assert len(found) == 1, f"{quote_id} in {len(found)} statements"
    return found.iloc[0]


def members(table: pd.DataFrame, statement_id: str) -> set[str]:
    return set(table.loc[table["statement_id"] == statement_id, "quote_id"])


def test_2022_statement_quoted_by_002_and_003(lineage_table):
    # Same two Foreign Ministry sentences, different quote marks ('...' vs ‘...’) and a comma.
    drills = statement_of(lineage_table, "002_85103c6223975557/q0")
    hypocrisy = statement_of(lineage_table, "002_85103c6223975557/q1")
    assert drills != hypocrisy
    assert members(lineage_table, drills) == {"002_85103c6223975557/q0", "003_b66772f92caee721/q0"}
    assert members(lineage_table, hypocrisy) == {"002_85103c6223975557/q1", "003_b66772f92caee721/q1"}
    rows = lineage_table[lineage_table["statement_id"] == hypocrisy]
    assert (rows["differs"] == "").all()  # quote marks and punctuation are not wording
    assert (rows["similarity"] == 100).all()
    # The canonical wording is the longer one: 002's, with its comma after 'dialogue without preconditions'.
    assert rows["canonical_text"].iloc[0] == QUOTES["002_85103c6223975557"][1][1]


def test_2024_statement_quoted_by_001_and_004(lineage_table):
    statement = statement_of(lineage_table, "001_6e8327de55d568cf/q5")
    assert members(lineage_table, statement) == {"001_6e8327de55d568cf/q5", "004_a60133d9da8e9fef/q2"}
    rows = lineage_table[lineage_table["statement_id"] == statement].set_index("quote_id")
    # 004 quotes two sentences, the longest wording; 001 quotes only the second, with editorial brackets.
    assert rows["canonical_text"].iloc[0] == QUOTES["004_a60133d9da8e9fef"][2][1]
    assert rows.loc["004_a60133d9da8e9fef/q2", "differs"] == ""
    assert rows.loc["001_6e8327de55d568cf/q5", "differs"] == "+[South Korea]; -Asian-version +Asian version [of]"
    assert rows.loc["001_6e8327de55d568cf/q5", "similarity"] > 90
    assert rows.loc["004_a60133d9da8e9fef/q2", "outlet"] == "Mehr News Agency"


def test_short_fragments_do_not_chain_statements(lineage_table):
    # "NATO of Asian version" (004) sits inside both the 2022 KCNA quote (000: "'Asian version' of NATO") and the
    # 2024 one; were it allowed to link, the two statements would merge. The 2022 KCNA quote has no partner.
    assert "004_a60133d9da8e9fef/q0" not in set(lineage_table["quote_id"])
    assert "000_7a0cd52b09a6d4f5/q2" not in set(lineage_table["quote_id"])
    # Identical short partial quotes still form a statement: "Asian NATO" in 000 and in 001's headline.
    asian_nato = statement_of(lineage_table, "000_7a0cd52b09a6d4f5/q0")
    assert members(lineage_table, asian_nato) == {"000_7a0cd52b09a6d4f5/q0", "001_6e8327de55d568cf/q0"}
    assert set(lineage_table.loc[lineage_table["statement_id"] == asian_nato, "outlet"]) == {"(unknown)", "Outlet B"}


def test_lineage_schema_and_single_article_statements(lineage_table, quotes, articles):
    assert list(lineage_table.columns) == list(tables.schema("quote_lineage")["columns"])
    assert len(lineage_table["statement_id"].unique()) == 4
    everything = lineage.align(quotes, articles, min_articles=1)
    assert len(everything) > len(lineage_table)


def test_short_fragment_attaches_to_the_statement_containing_it(articles):
    long_quote = "the ministry will never tolerate the reckless military muscle-flexing of the United States"
    quotes = pd.DataFrame({"article_id": ["002_85103c6223975557", "003_b66772f92caee721", "004_a60133d9da8e9fef"],
                           "quote_id": ["x/q0", "y/q0", "z/q0"], "start": 0,
                           "text": [long_quote, long_quote.replace("never", "not"), "reckless military muscle-flexing"],
                           "kind": ["direct", "direct", "partial"]})
    table = lineage.align(quotes, articles)
    assert table["statement_id"].nunique() == 1
    assert set(table["quote_id"]) == {"x/q0", "y/q0", "z/q0"}
    assert table.set_index("quote_id").loc["y/q0", "differs"] == "-never +not"


def test_differs():
    assert lineage.differs("“Asian NATO”", "'asian nato,'") == ""
    # A partial quote is compared with the part of the statement it aligns with, not the whole of it.
    assert lineage.differs("strongly condemned the drills", "The ministry strongly condemned the drills today.") == ""
    assert lineage.differs("the drills", "the joint drills") == "-joint"
    assert lineage.differs("the joint exercises", "the joint drills") == "-drills +exercises"


def sentences_of(nlp, articles: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for article_id, doc in zip(articles["article_id"], nlp.pipe(articles["text"])):
        rows += [{"article_id": article_id, "sent_id": i, "start": s.start_char, "end": s.end_char, "text": s.text}
                 for i, s in enumerate(doc.sents)]
    return pd.DataFrame(rows)


def test_omission_matrix(nlp, articles):
    table = lineage.omission(sentences_of(nlp, articles), articles)
    assert list(table.columns) == list(tables.schema("omission")["columns"])
    outlets = {"(unknown)", "Outlet B", "Islam Times", "Outlet D", "Mehr News Agency"}
    assert all(set(group["outlet"]) == outlets for _, group in table.groupby("claim_id"))  # every outlet, every claim
    carried = {claim: dict(zip(g["outlet"], g["n_sentences"])) for claim, g in table.groupby("claim_text")}
    hypocrisy = next(c for c in carried if c.startswith('"This proves the hypocrisy'))
    assert carried[hypocrisy] == {"Islam Times": 1, "Outlet D": 1, "(unknown)": 0, "Outlet B": 0,
                                  "Mehr News Agency": 0}
    # 003 rewrote 002's closing sentence: "... a recent agreement between South Korean President Yoon Suk-yeol and
    # US President Joe Biden to deploy more US weapons ..." -> "... Joe Biden and South Korean President Yoon
    # Suk-yeol recently agreed to deploy more US weapons ..." (token_set_ratio 82).
    biden = [c for c in carried if "deploy more US weapons" in c]
    assert len(biden) == 1 and carried[biden[0]]["Islam Times"] == 1 and carried[biden[0]]["Outlet D"] == 1


def test_omission_options(nlp, articles):
    sentences = sentences_of(nlp, articles)
    everything = lineage.omission(sentences, articles, min_articles=1)
    assert everything["claim_id"].nunique() > lineage.omission(sentences, articles)["claim_id"].nunique()
    # A short sentence is not a claim: "North Korea has rebuffed the offers." has 6 words.
    strict = lineage.omission(sentences, articles, min_articles=1, min_words=7)
    assert not strict["claim_text"].str.startswith("North Korea has rebuffed the offers").any()
    assert lineage.omission(sentences.iloc[:0], articles).empty


def test_blocking_gives_the_same_pairs_however_it_is_chunked(seed_texts):
    # The n-grams are hashed a chunk of texts at a time and joined in batches, to bound memory on large corpora;
    # neither the chunk nor the batch size may change which texts pair up.
    import numpy as np

    lines = [line for text in seed_texts.values() for line in text.splitlines() if len(line.split()) >= 6]
    norms = np.array(sorted({lineage.normalise(line) for line in lines}), dtype=object)
    grams = lineage._grams(norms, n=2)
    as_set = lambda g: set(zip(g["text"], g["gram"]))  # noqa: E731
    assert as_set(grams) == as_set(lineage._grams(norms, n=2, chunk=7)) and len(grams) == len(as_set(grams))
    whole = np.sort(lineage._pair_keys(grams, len(norms)))
    assert len(whole) > 100  # the seeds share many sentences and phrases: the comparison is not vacuous
    assert np.array_equal(whole, np.sort(lineage._pair_keys(grams, len(norms), batch=1)))
