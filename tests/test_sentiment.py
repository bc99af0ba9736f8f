"""Sentiment: TextBlob and VADER scores as their libraries give them, and aggregates that always carry n."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analysis import sentiment

STOOGES = ("“The US is getting hell-bent on the military cooperation with its stooges in disregard of the primary "
           "security demand and concern by Asia-pacific countries.")
PLEDGE = ('The North Korean Foreign Ministry pledged not to "overlook the moves of the US and its followers to '
          "strengthen the military bloc, which openly destroys the security environment on the Korean peninsula "
          "and gravely threatens global peace and stability, but firmly defend the sovereignty, security, and "
          'interests of the state and peace in the region through offensive and overwhelming countermeasures," '
          "the Foreign Ministry emphasized.")


@pytest.mark.parametrize("text", [STOOGES, PLEDGE, "This is not a very good idea!", ""])
def test_scores_are_textblobs_and_vaders_own(text):
    score = sentiment.score(text)
    blob = TextBlob(text).sentiment_assessments
    assert (score.tb_polarity, score.tb_subjectivity) == (blob.polarity, blob.subjectivity)
    assert [(w, p, s) for w, p, s in score.assessments] == [(" ".join(w), p, s) for w, p, s, _ in blob.assessments]
    assert score.vader_compound == SentimentIntensityAnalyzer().polarity_scores(text)["compound"]


def test_analyzers_are_built_once():
    assert sentiment.analyzers() is sentiment.analyzers()
    assert sentiment.analyzers()[1] is sentiment.analyzers()[1]


def test_lexicons_misread_the_stooges_sentence():
    # KCNA calls the allies "stooges": neither lexicon knows the word, TextBlob even scores the sentence positive
    # (on "primary") and VADER calls it almost neutral ("security" outweighs "disregard").
    score = sentiment.score(STOOGES)
    assert score.tb_polarity > 0 and score.vader_compound > -0.1
    assessed = " ".join(w for w, _, _ in score.assessments)
    assert "stooges" not in assessed and "hell-bent" not in assessed and "primary" in assessed
    assert "stooges" not in dict(sentiment.vader_words(STOOGES))
    assert dict(sentiment.vader_words(STOOGES))["security"] > 0


def test_a_threat_reads_as_positive_to_vader():
    assert sentiment.score(PLEDGE).vader_compound > 0.5
    assert dict(sentiment.vader_words(PLEDGE))["peace"] > 0


@pytest.fixture()
def frames():
    articles = pd.DataFrame({"article_id": ["a", "b", "c"], "outlet": ["Left", "Left", ""]})
    sentences = pd.DataFrame({
        "article_id": ["a", "a", "a", "b", "c"], "sent_id": [0, 1, 2, 0, 0],
        "voice": ["narrator", "quoted", "quoted", "narrator", "narrator"],
        "tb_polarity": [0.5, -0.5, 0.0, 1.0, 0.2], "tb_subjectivity": [0.1, 0.2, 0.3, 0.4, 0.5],
        "vader_compound": [0.1, -0.9, -0.3, 0.5, 0.0], "text": ["s"] * 5,
    })
    mentions = pd.DataFrame({
        "article_id": ["a", "a", "a", "a", "b", "c"], "sent_id": [0, 1, 1, 2, 0, 0],
        "actor": ["United States", "United States", "United States", "Japan", "United States", ""],
        "role": ["agent", "target", "other", "target", "target", "other"],
    })
    return articles, sentences, mentions


def test_by_outlet_gives_n_with_every_mean(frames):
    articles, sentences, _ = frames
    out = sentiment.by_outlet(sentences, articles)
    assert list(out.columns) == ["outlet", "measure", "n", "n_articles", "mean", "median", "sd"]
    left = out[(out["outlet"] == "Left") & (out["measure"] == "vader_compound")].iloc[0]
    assert (left["n"], left["n_articles"]) == (4, 2)
    assert left["mean"] == pytest.approx((0.1 - 0.9 - 0.3 + 0.5) / 4)
    unknown = out[(out["outlet"] == "(unknown)") & (out["measure"] == "tb_polarity")].iloc[0]
    assert unknown["n"] == 1 and math.isnan(unknown["sd"])


def test_by_voice_splits_narrator_and_quoted(frames):
    articles, sentences, _ = frames
    out = sentiment.by_voice(sentences, articles, measures=["vader_compound"], per_outlet=False)
    assert dict(zip(out["voice"], out["n"])) == {"narrator": 3, "quoted": 2}
    assert dict(zip(out["voice"], out["median"]))["quoted"] == pytest.approx(-0.6)


def test_by_target_compares_named_and_target_sentences(frames):
    articles, sentences, mentions = frames
    out = sentiment.by_target(sentences, mentions, articles, measures=["vader_compound"])
    us = out[out["actor"] == "United States"].set_index("context")
    # Sentence a/1 names the US twice: it counts once.
    assert (us.loc["named", "n"], us.loc["target", "n"]) == (3, 2)
    assert us.loc["target", "mean"] == pytest.approx((-0.9 + 0.5) / 2)
    assert "" not in set(out["actor"])
    per = sentiment.by_target(sentences, mentions, articles, measures=["vader_compound"], per_outlet=True)
    assert {"outlet", "n", "n_articles"} <= set(per.columns)


def test_empty_input_gives_empty_summary_with_columns():
    empty = pd.DataFrame(columns=["article_id", "sent_id", "voice", *sentiment.MEASURES])
    out = sentiment.by_outlet(empty, pd.DataFrame(columns=["article_id", "outlet"]))
    assert out.empty and {"n", "mean", "median", "sd"} <= set(out.columns)


def test_misreads_show_the_words_behind_the_scores():
    sentences = pd.DataFrame({"article_id": ["a", "a"], "sent_id": [0, 1], "voice": ["quoted", "narrator"],
                              "speaker_actor": ["KCNA", ""], "text": [STOOGES, "Talks resumed on Monday."]})
    score = sentiment.score(STOOGES)
    sentences["tb_polarity"] = [score.tb_polarity, 0.0]
    sentences["vader_compound"] = [score.vader_compound, 0.0]
    words = pd.DataFrame([{"article_id": "a", "sent_id": 0, "words": w, "polarity": p, "subjectivity": s}
                          for w, p, s in score.assessments])
    out = sentiment.misreads(sentences, words)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["hostile"] == "hell-bent, stooges"
    assert "primary (0.4)" in row["tb_words"] and "security (+1.4)" in row["vader_words"]


def test_hostile_terms_are_a_file_a_user_can_edit(tmp_path):
    assert {"stooges", "hell-bent", "kowtowing"} <= set(sentiment.hostile_terms())
    own = tmp_path / "terms.yaml"
    own.write_text("terms: [resumed]\n", encoding="utf-8")
    sentences = pd.DataFrame({"article_id": ["a"], "sent_id": [0], "voice": ["narrator"], "speaker_actor": [""],
                              "text": ["Talks resumed on Monday."], "tb_polarity": [0.0], "vader_compound": [0.0]})
    empty_words = pd.DataFrame(columns=["article_id", "sent_id", "words", "polarity", "subjectivity"])
    assert sentiment.misreads(sentences, empty_words).empty
    assert list(sentiment.misreads(sentences, empty_words, terms=sentiment.hostile_terms(own))["hostile"]) == ["resumed"]
    (tmp_path / "bad.yaml").write_text("words: [x]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="terms"):
        sentiment.hostile_terms(tmp_path / "bad.yaml")
