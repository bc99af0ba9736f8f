"""The tagging stage on the seed corpus: schemas, offsets, voices, speakers, roles, positions, streaming."""
from __future__ import annotations

import logging
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import tables, tagging

SEED_000 = "000_7a0cd52b09a6d4f5"
SEED_001 = "001_6e8327de55d568cf"
SEED_004 = "004_a60133d9da8e9fef"


@pytest.fixture(scope="module")
def articles(seed_texts) -> pd.DataFrame:
    """The seeds as an articles table (raw text: tagging must not depend on how well ingestion cleaned it)."""
    rows = [{"article_id": stem, "outlet": f"outlet {stem[:3]}", "text": text, "is_english": True,
             "title": text.strip().split("\n")[0] if stem == SEED_001 else ""} for stem, text in seed_texts.items()]
    rows.append({"article_id": "fr", "outlet": "Le Monde", "text": "La Corée du Nord accuse les États-Unis.",
                 "is_english": False, "title": ""})
    return tables.conform(pd.DataFrame(rows), "articles", fill=True)


@pytest.fixture(scope="module")
def tagged(articles, nlp) -> tagging.Tagged:
    return tagging.run(articles, nlp=nlp, batch_size=2)


def test_five_tables_conform_to_their_schemas(tagged):
    assert list(tagged.tables()) == list(tagging.TABLES)
    for name, df in tagged.tables().items():
        assert list(df.columns) == list(tables.schema(name)["columns"])
        pd.testing.assert_frame_equal(df, tables.conform(df, name))
    assert len(tagged.sentences) and len(tagged.quotes) and len(tagged.mentions) and len(tagged.sentiment_words)


def test_every_offset_indexes_the_article_text(tagged, articles):
    text = dict(zip(articles["article_id"], articles["text"]))
    for name in ("sentences", "quotes", "mentions"):
        df = tagged.tables()[name]
        assert all(text[a][s:e] == t for a, s, e, t in zip(df["article_id"], df["start"], df["end"], df["text"])), name
    q = tagged.quotes[tagged.quotes["speaker_start"] >= 0]
    assert all(text[a][s:e] == sp for a, s, e, sp in zip(q["article_id"], q["speaker_start"], q["speaker_end"],
                                                           q["speaker"]))


def test_non_english_articles_get_no_rows_but_are_logged(articles, nlp, caplog):
    with caplog.at_level(logging.INFO, logger="analysis.tagging"):
        out = tagging.run(articles[articles["article_id"].isin(["fr", SEED_004])], nlp=nlp)
    assert set(out.sentences["article_id"]) == {SEED_004}
    assert "fr" not in set(out.mentions["article_id"]) | set(out.quotes["article_id"])
    assert any("non-English" in r.getMessage() and "fr" in r.getMessage() for r in caplog.records)
    assert any(r.getMessage().startswith("tagged 1 articles") for r in caplog.records)


def test_the_stooges_sentence_is_kcna_speaking(tagged):
    s = tagged.sentences
    row = s[s["text"].str.contains("stooges")].iloc[0]
    assert row["article_id"] == SEED_000 and row["voice"] == "quoted"
    assert row["speaker_actor"] == "KCNA" and row["speaker"] == "KCNA"
    quote = tagged.quotes.set_index("quote_id").loc[row["quote_id"]]
    assert quote["kind"] == "direct" and quote["speaker_actor"] == "KCNA" and quote["cue_lemma"] == "report"
    m = tagged.mentions
    kcna = m[(m["article_id"] == SEED_000) & (m["start"] == quote["speaker_start"])].iloc[0]
    assert (kcna["actor"], kcna["actor_type"], kcna["actor_state"], kcna["role"]) == (
        "KCNA", "media", "North Korea", "speaker")


def test_the_tehran_reports_ministry_statements_are_attributed_to_the_ministry(tagged):
    # '..." the statement said, as quoted by KCNA', '..." it said', '..." the Foreign Ministry emphasized': all three
    # statements are the North Korean Foreign Ministry's, not KCNA's or TASS's.
    q = tagged.quotes[tagged.quotes["article_id"] == SEED_004]
    ministry = "North Korea's Foreign Ministry"
    for words in ("nothing but rhetoric", "Asian-version NATO", "overlook the moves"):
        quote = q[q["text"].str.contains(words, regex=False)]
        assert len(quote) == 1 and quote["speaker_actor"].iloc[0] == ministry, words
    assert set(q.loc[q["kind"] == "direct", "speaker_actor"]) == {ministry}
    s = tagged.sentences
    quoted = s[(s["article_id"] == SEED_004) & (s["voice"] == "quoted")]
    assert ministry in set(quoted["speaker_actor"])
    assert not quoted["text"].str.contains("nothing but rhetoric").any() or \
        set(quoted.loc[quoted["text"].str.contains("nothing but rhetoric"), "speaker_actor"]) == {ministry}


def test_accusations_make_the_us_a_target(tagged):
    m = tagged.mentions
    us = m[(m["actor"] == "United States") & (m["role"] == "target")]
    assert SEED_000 in set(us["article_id"]) and "003_b66772f92caee721" in set(us["article_id"])
    assert {"US", "U.S.", "United States", "Washington"} <= set(m[m["actor"] == "United States"]["text"])


def test_quote_ids_and_sentence_links(tagged):
    q = tagged.quotes
    assert all(re.fullmatch(re.escape(a) + r"/q\d+", i) for a, i in zip(q["article_id"], q["quote_id"]))
    assert q["quote_id"].is_unique
    s = tagged.sentences
    assert set(s.loc[s["quote_id"] != "", "quote_id"]) <= set(q["quote_id"])
    assert (s.loc[s["voice"] == "narrator", "quote_id"] == "").all()
    assert set(s["voice"]) == {"narrator", "quoted"}
    assert s.groupby("article_id")["sent_id"].apply(lambda x: list(x) == list(range(len(x)))).all()


def test_positions_headline_lede_body(tagged):
    s = tagged.sentences.set_index(["article_id", "sent_id"])
    assert s.loc[(SEED_001, 0), "position"] == "headline"
    assert s.loc[(SEED_001, 1), "position"] == "lede" and s.loc[(SEED_001, 1), "paragraph"] == 1
    assert s.loc[(SEED_000, 0), "position"] == "lede"
    assert set(tagged.sentences["position"]) == {"headline", "lede", "body"}
    # A one-line subheading the parser ran into the next paragraph is a sentence of its own.
    assert "North Korea accuses US of hypocrisy" in set(tagged.sentences["text"])


def test_sentiment_columns_and_words(tagged):
    s = tagged.sentences
    assert s["tb_polarity"].between(-1, 1).all() and s["vader_compound"].between(-1, 1).all()
    assert s["tb_subjectivity"].between(0, 1).all()
    w = tagged.sentiment_words
    keys = set(zip(s["article_id"], s["sent_id"]))
    assert set(zip(w["article_id"], w["sent_id"])) <= keys


def test_alias_candidates_are_unmatched_entities(tagged):
    c = tagged.alias_candidates
    assert {"Madrid", "Hawaii"} <= set(c["text"])
    assert not set(c["text"]) & {"North Korea", "KCNA", "United States"}
    assert (c["n"] >= c["n_articles"]).all() and (c["example"] != "").all()


def test_write_and_read_back(tagged, tmp_path):
    paths = tagging.write(tagged, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.parquet" for n in tagging.TABLES)
    pd.testing.assert_frame_equal(tables.read("mentions", tmp_path), tagged.mentions)


def test_stream_writes_the_same_tables_chunk_by_chunk(articles, nlp, tagged, tmp_path):
    counts = tagging.stream(articles, tmp_path, nlp=nlp, batch_size=2, flush_every=2)
    back = tagging.read(tmp_path)
    for name, df in back.tables().items():
        pd.testing.assert_frame_equal(df, tagged.tables()[name])
        assert counts[name] == len(df) > 0, name
    # five English articles, two per chunk: the rows went to disk in three row groups, not in one at the end
    assert pq.ParquetFile(tmp_path / "sentences.parquet").num_row_groups == 3
    assert counts["failures"] == 0 and len(tables.read("failures", tmp_path)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{n}.parquet" for n in (*tagging.TABLES, "failures")] + ["parses"])
    # the stored parse for the rhetoric stage: one DocBin file per chunk, every English article once
    assert sorted(p.name for p in (tmp_path / "parses").iterdir()) == [
        "00000.spacy", "00001.spacy", "00002.spacy", "index.json"]
    assert counts["parses"] == 5


def test_a_stream_whose_corpus_step_fails_leaves_no_table_behind(articles, nlp, tmp_path, monkeypatch):
    # The alias candidates need the whole corpus: an error there is not one article's, so the stage fails.
    def failing_frame(self):
        raise RuntimeError("candidates crashed")

    monkeypatch.setattr(tagging.actors.Candidates, "frame", failing_frame)
    with pytest.raises(RuntimeError, match="candidates crashed"):
        tagging.stream(articles, tmp_path, nlp=nlp, flush_every=2)
    assert list(tmp_path.iterdir()) == []  # neither a half-written table nor a temporary file


def test_a_user_alias_table_is_used(articles, nlp, tmp_path):
    path = tmp_path / "actors.yaml"
    path.write_text("actors:\n  Hermit Kingdom:\n    type: state\n    aliases: [North Korea]\n", encoding="utf-8")
    out = tagging.run(articles[articles["article_id"] == SEED_000], nlp=nlp, aliases=path)
    assert set(out.mentions["actor"]) == {"Hermit Kingdom", ""}


def test_bad_arguments_are_refused(articles, nlp):
    with pytest.raises(ValueError, match="batch_size"):
        tagging.run(articles, nlp=nlp, batch_size=0)
    with pytest.raises(KeyError, match="text"):
        tagging.run(articles.drop(columns=["text"]), nlp=nlp)
    with pytest.raises(ValueError, match="flush_every"):
        tagging.stream(articles, "unused", nlp=nlp, flush_every=0)


@pytest.mark.parametrize("text, title, expected", [
    ("North Korea Accuses US of Creating ‘Asian NATO’\n\nBody text here.", "", True),
    ("A short line that ends.\nBody.", "", False),
    ("A short line that ends.\nBody.", "A short line that ends.", True),
    ("Only one line without punctuation", "", False),
])
def test_has_headline(text, title, expected):
    assert tagging.has_headline(text, title) is expected


@pytest.fixture(scope="module")
def sentencizer():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Word", "word.", " ", "\n", "\n\n", "“Quote,”", "x", "  \n ", "Yes!"]),
                max_size=30))
def test_sentence_spans_are_trimmed_single_lines_covering_the_text(sentencizer, pieces):
    text = "".join(pieces)
    spans = tagging.sentence_spans(sentencizer(text))
    assert spans == sorted(spans) and all(s < e for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    pieces_of = [text[s:e] for s, e in spans]
    assert all(p == p.strip() and "\n" not in p for p in pieces_of)
    assert "".join(pieces_of).replace(" ", "") == re.sub(r"\s", "", text)


def test_an_article_over_max_length_is_tagged_whole(nlp):
    text = "North Korea fired a missile.\nJapan protested.\nThe US said nothing at all today."
    articles = pd.DataFrame({"article_id": ["long"], "text": [text], "is_english": [True]})
    limit, nlp.max_length = nlp.max_length, len(text) - 5
    try:
        out = tagging.run(articles, nlp=nlp)
    finally:
        nlp.max_length = limit
    assert list(out.sentences["text"]) == ["North Korea fired a missile.", "Japan protested.",
                                           "The US said nothing at all today."]
    assert all(text[s:e] == t for s, e, t in out.sentences[["start", "end", "text"]].itertuples(index=False))


def _boom_on(monkeypatch, marker: str) -> None:
    """Make the quote finder raise on an article whose text holds ``marker`` (a bug that one article meets)."""
    real = tagging.quotes.extract

    def extract(doc, **kwargs):
        if marker in doc.text:
            raise ValueError(f"injected failure on {marker}")
        return real(doc, **kwargs)

    monkeypatch.setattr(tagging.quotes, "extract", extract)


def test_an_article_that_raises_is_recorded_and_the_others_are_tagged(articles, nlp, tagged, monkeypatch,
                                                                        tmp_path):
    english = articles[articles["is_english"]]
    victim = english["text"][english["article_id"] == SEED_001].iloc[0]
    _boom_on(monkeypatch, victim[:60])
    rows = tagging.stream(english, tmp_path, nlp=nlp, batch_size=2, flush_every=2)
    assert rows["failures"] == 1
    failed = tables.read("failures", tmp_path)
    assert failed[["stage", "article_id", "error"]].values.tolist() == [["tag", SEED_001, "ValueError"]]
    assert "injected failure" in failed["message"].iloc[0]
    got = tagging.read(tmp_path)
    for name in ("sentences", "quotes", "mentions", "sentiment_words"):
        expected = getattr(tagged, name)
        expected = expected[expected["article_id"] != SEED_001].reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(got, name), expected)
    assert SEED_001 not in set(got.sentences["article_id"])


def test_without_a_recorder_run_raises(articles, nlp, monkeypatch):
    _boom_on(monkeypatch, "North Korea")
    with pytest.raises(ValueError, match="injected failure"):
        tagging.run(articles, nlp=nlp)


def test_worker_processes_give_the_same_tables(articles, nlp, tagged, monkeypatch):
    monkeypatch.setattr(tagging, "MIN_CHUNK", 1)  # five chunks of one article, so both workers tag some
    english = articles[articles["is_english"]]
    parallel = tagging.run(english, nlp=nlp, batch_size=2, n_process=2)
    for name, df in parallel.tables().items():
        pd.testing.assert_frame_equal(df, tagged.tables()[name], check_like=False)


def test_vader_scores_long_sentences_as_published_in_linear_time(seed_texts):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from analysis import sentiment

    published, ours = SentimentIntensityAnalyzer(), sentiment.analyzers()[1]
    sentences = [s for text in seed_texts.values() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    sentences += ["No good at all.", "Never so good.", "It is not the least bad.", "Kind of nice, but awful."]
    assert [ours.polarity_scores(s) for s in sentences] == [published.polarity_scores(s) for s in sentences]
    # one "sentence" of 3,000 words (a paragraph with no full stop, and no "but"): the same score
    run_on = " ".join([w for w in " ".join(sentences).replace(".", " ").split() if w.lower() != "but"][:3000])
    assert ours.polarity_scores(run_on) == published.polarity_scores(run_on)
