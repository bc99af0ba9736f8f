"""Duplicate articles and shared passages: the seeds' reprinted statement, exact and near duplicates, scale."""
from __future__ import annotations

import random
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import corpus, passages, tables

SEED_001, SEED_002, SEED_003, SEED_004 = ("001_6e8327de55d568cf", "002_85103c6223975557", "003_b66772f92caee721",
                                          "004_a60133d9da8e9fef")


@pytest.fixture(scope="module")
def seed_articles(seeds_dir):
    return corpus.ingest([seeds_dir]).articles


def frame(*texts: str) -> pd.DataFrame:
    """An articles table holding ``texts`` as articles a0, a1, ..."""
    rows = [{"article_id": f"a{i}", "text": t, "n_words": len(t.split())} for i, t in enumerate(texts)]
    return tables.conform(pd.DataFrame(rows), "articles", fill=True)


def assert_offsets(shared: pd.DataFrame, articles: pd.DataFrame) -> None:
    texts = dict(zip(articles["article_id"], articles["text"]))
    for row in shared.itertuples():
        assert 0 <= row.start < row.end <= len(texts[row.article_id])
        assert texts[row.article_id][row.start:row.end] == row.text


def test_seed_002_and_003_share_the_foreign_ministry_quotations(seed_articles):
    shared = passages.shared(seed_articles)
    assert_offsets(shared, seed_articles)
    for opening in ("While blatantly holding joint military exercises", "This proves the hypocrisy of the US"):
        rows = shared[shared["text"].str.startswith(opening)]
        assert set(rows["article_id"]) == {SEED_002, SEED_003}, opening
        assert rows["passage_id"].nunique() == 1 and (rows["n_articles"] == 2).all()
    hypocrisy = shared[shared["text"].str.startswith("This proves")].set_index("article_id")["text"]
    assert "'diplomatic engagement'" in hypocrisy[SEED_002]  # each article's own quote marks are kept
    assert "‘diplomatic engagement’" in hypocrisy[SEED_003]


def test_seed_001_and_004_share_a_quotation_despite_bracketed_insertions(seed_articles):
    shared = passages.shared(seed_articles)
    rows = shared[shared["text"].str.startswith("This means that the US-Japan-ROK")]
    assert set(rows["article_id"]) == {SEED_001, SEED_004}
    assert "[South Korea]" in rows.set_index("article_id")["text"][SEED_001]


def test_seeds_have_no_duplicates(seed_articles):
    assert passages.duplicates(seed_articles).empty


def test_min_words_option(seed_articles):
    assert len(passages.shared(seed_articles, min_words=8)) > len(passages.shared(seed_articles, min_words=30)) > 0
    assert passages.shared(seed_articles, min_words=200).empty
    with pytest.raises(ValueError):
        passages.shared(seed_articles, min_words=0)


def test_sentence_and_paragraph_units():
    common = "The harbour master said the sea wall would be raised by half a metre before winter."
    second = "Work on the northern section is due to start in the first week of September."
    a = frame(f"Opening words of the first article.\n{common} {second}\nClosing lines.",
              f"Another story begins differently here.\n{common} {second}",
              f"A third article quotes only one sentence. {common}")
    shared = passages.shared(a)
    assert_offsets(shared, a)
    sentence = shared[shared["text"] == common]
    assert set(sentence["unit"]) == {"sentence"} and (sentence["n_articles"] == 3).all()
    paragraph = shared[shared["unit"] == "paragraph"]
    assert set(paragraph["text"]) == {f"{common} {second}"} and set(paragraph["article_id"]) == {"a0", "a1"}


def test_duplicates_exact_near_and_threshold():
    words = ("officials said the talks in the border village would resume next month after a pause of several weeks "
             "and that both delegations had agreed an agenda covering trade security and family reunions").split()
    base = " ".join(words * 3)
    near = base.replace("next month", "next week", 1)
    a = frame(base, "A different article about the harvest, which was larger than last year's.", base, near)
    dups = passages.duplicates(a)
    assert dups[["article_id", "duplicate_of", "kind"]].values.tolist() == [["a2", "a0", "exact"],
                                                                           ["a3", "a0", "near"]]
    assert dups["similarity"].iloc[0] == 1.0 and 0.8 <= dups["similarity"].iloc[1] < 1.0
    assert passages.duplicates(a, threshold=0.99)["kind"].tolist() == ["exact"]
    flagged = passages.flag(a, dups)
    assert flagged["duplicate_of"].tolist() == ["", "", "a0", "a0"]
    with pytest.raises(ValueError):
        passages.duplicates(a, threshold=1.5)


def test_shared_leaves_out_flagged_duplicates_unless_asked():
    text = "The committee met on Monday and agreed to publish its report before the end of the month."
    a = passages.flag(frame(text, text), pd.DataFrame({"article_id": ["a1"], "duplicate_of": ["a0"]}))
    assert passages.shared(a).empty
    assert set(passages.shared(a, include_duplicates=True)["article_id"]) == {"a0", "a1"}


def test_tables_conform(seed_articles, tmp_path):
    for name, df in (("duplicates", passages.duplicates(seed_articles)),
                     ("shared_passages", passages.shared(seed_articles))):
        tables.write(df, name, tmp_path)
        assert tables.read(name, tmp_path).equals(df)


def test_kcna_sample_exact_duplicate():
    arts = corpus.ingest([Path(__file__).parent / "fixtures" / "ingest" / "kcna_sample.jsonl.gz"]).articles
    dups = passages.duplicates(arts)
    assert dups[["article_id", "duplicate_of", "kind"]].values.tolist() == [["kcna_sample:4", "kcna_sample:3", "exact"]]


def test_five_thousand_articles_well_under_a_minute():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)]
    wire = [" ".join(rng.choice(vocab) for _ in range(20)) + "." for _ in range(50)]
    texts = []
    for i in range(5000):
        sentences = [" ".join(rng.choice(vocab) for _ in range(18)) + "." for _ in range(12)]
        sentences.insert(rng.randrange(12), rng.choice(wire))  # every article reprints one wire sentence
        texts.append("\n".join(" ".join(sentences[j:j + 3]) for j in range(0, 13, 3)))
    texts[4999] = texts[10]
    a = frame(*texts)
    start = time.perf_counter()
    dups = passages.duplicates(a)
    shared = passages.shared(passages.flag(a, dups))
    elapsed = time.perf_counter() - start
    assert dups[["article_id", "duplicate_of"]].values.tolist() == [["a4999", "a10"]]
    assert shared["passage_id"].nunique() == 50
    assert elapsed < 60, f"{elapsed:.1f} s"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab cd\n.“”\"'[]")), max_size=120), min_size=1, max_size=5))
def test_passages_never_raise_and_offsets_stay_in_range(texts):
    a = frame(*texts)
    passages.duplicates(a)
    shared = passages.shared(a, min_words=1)
    assert_offsets(shared, a)
    assert (shared["n_articles"] >= 2).all()
