"""Sentiment: TextBlob and VADER scores as their libraries give them, and aggregates that always carry n."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analysis import sentiment, tagging

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


@pytest.mark.parametrize("text", [
    "The ministry met on Tuesday in Seoul.",  # no lexicon word: 0 without VADER
    "the drills (\"routine\") went on", "kind of OK, I guess", "NO WAY this is good!!", "not bad, but grim",
    "It was :) and then :(", "The summit 😀 ended.", "  \t", "", "US-led drills, hell-bent stooges!"])
def test_the_vader_compound_is_vaders_own(text):
    # The workbook's VADER skips the emoji pass when there is no emoji, and the whole analysis when no word is in
    # the lexicon: the score must stay the published analyzer's.
    assert sentiment.analyzers()[1].compound(text) == SentimentIntensityAnalyzer().polarity_scores(text)["compound"]


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


# --- negative contractions in the sentence scores --------------------------------------------------------------

@pytest.mark.parametrize("contracted", ["The drills aren't peaceful.", "The drills aren’t peaceful.",
                                        "The drills are n't peaceful."])
def test_contracted_negation_scores_like_not(contracted):
    written_out = sentiment.score("The drills are not peaceful.")
    score = sentiment.score(contracted)
    assert score.tb_polarity < 0 and score.vader_compound < 0
    assert score.tb_polarity == written_out.tb_polarity
    assert "not peaceful" in [w for w, _, _ in score.assessments]
    assert sentiment.score("The drills are peaceful.").tb_polarity > 0


@pytest.mark.parametrize(("text", "expanded"), [
    ("They can't and won't stop.", "They can not and will not stop."),
    ("Seoul didn’t agree; Tokyo isn't sure.", "Seoul did not agree; Tokyo is not sure."),
    ("Nothing to expand here.", "Nothing to expand here."),
])
def test_contractions_are_written_out(text, expanded):
    assert sentiment._expand_contractions(text) == expanded


# --- polarity toward a target ---------------------------------------------------------------------------------

PRAISE = "The ministry praised Seoul and condemned Washington."


def _at(text: str, target: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(target, start + 1)
    return start, start + len(target)


def test_two_targets_in_one_sentence_get_their_own_polarity(nlp):
    doc = nlp(PRAISE)
    seoul = sentiment.toward(doc[:], *_at(PRAISE, "Seoul"))
    washington = sentiment.toward(doc[:], *_at(PRAISE, "Washington"))
    assert seoul.label == "positive" and washington.label == "negative"
    assert seoul.score > 0 > washington.score
    assert "praised" in seoul.cues and "condemned" in washington.cues
    assert "condemned" not in seoul.cues


def test_a_string_is_parsed_and_gives_the_same_result(nlp):
    doc = nlp(PRAISE)
    assert sentiment.toward(PRAISE, *_at(PRAISE, "Seoul"), nlp=nlp) == sentiment.toward(doc, *_at(PRAISE, "Seoul"))


def test_the_target_inside_a_longer_document_is_read_in_its_sentence(nlp):
    text = "Talks resumed on Monday. " + PRAISE
    doc = nlp(text)
    sentence = next(s for s in doc.sents if "Seoul" in s.text)
    start, end = _at(sentence.text, "Washington")
    assert sentiment.toward(sentence, start, end) == sentiment.toward(nlp(PRAISE), *_at(PRAISE, "Washington"))


@pytest.mark.parametrize(("text", "target", "label"), [
    ("The ministry praised Seoul.", "Seoul", "positive"),
    ("The ministry did not praise Seoul.", "Seoul", "negative"),
    ("Critics said Washington's plan wasn't fair and wasn't peaceful.", "Washington", "negative"),
    ("Washington is not a reliable partner, the ministry said.", "Washington", "negative"),
])
def test_negation_turns_the_polarity(nlp, text, target, label):
    assert sentiment.toward(nlp(text), *_at(text, target)).label == label


def test_a_target_outside_the_sentence_is_an_error(nlp):
    doc = nlp(PRAISE)
    with pytest.raises(ValueError, match="not inside the sentence"):
        sentiment.toward(doc, 40, 80)
    with pytest.raises(ValueError, match="not inside the sentence"):
        sentiment.toward(doc, 5, 5)


def test_the_model_is_json_and_a_bad_file_is_refused(tmp_path):
    model = sentiment.target_model()
    assert model.classes == sentiment.POLARITIES and len(model.weights) > 1000
    assert "NewsMTSC" in model.meta["data"]
    bad = tmp_path / "model.json"
    bad.write_text('{"classes": ["yes", "no"], "intercept": [0, 0], "weights": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="expected"):
        sentiment.target_model(str(bad))


# --- the tagging stage scores every mention; the seeds, checked by hand ----------------------------------------

# North Korean statements in the seeds, each hostile to the United States (read by hand): (article, sentence
# start, the mention of the US in it).
SEED_HOSTILE_TO_US = [
    ("000_7a0cd52b09a6d4f5", "“The US is getting hell-bent", "US"),
    ("002_85103c6223975557", '"This proves the hypocrisy of the US rhetoric', "US"),
    ("002_85103c6223975557", '"The reality ... makes us feel the need', "United States"),
    ("003_b66772f92caee721", "The ministry added that US hostility", "US"),
    ("000_7a0cd52b09a6d4f5", "North Korea accuses US of hypocrisy", "US"),
]
NORTH_KOREAN_SPEAKERS = ("North Korea", "North Korea's Foreign Ministry", "KCNA")


@pytest.fixture(scope="module")
def seed_mentions(nlp, seed_texts):
    from analysis import tagging

    articles = pd.DataFrame({"article_id": list(seed_texts), "text": list(seed_texts.values())})
    tagged = tagging.run(articles, nlp=nlp)
    return tagged.mentions.merge(tagged.sentences[["article_id", "sent_id", "text", "voice", "speaker_actor"]].rename(
        columns={"text": "sentence"}), on=["article_id", "sent_id"])


def test_every_seed_mention_is_scored(seed_mentions):
    assert len(seed_mentions) > 100
    assert set(seed_mentions["polarity"]) <= set(sentiment.POLARITIES)
    assert seed_mentions["polarity_score"].between(-1, 1).all()
    assert (seed_mentions["ner_label"] != "").any() and (seed_mentions["actor"] == "").any(), \
        "entities outside the alias table are scored too"


@pytest.mark.parametrize(("article", "opening", "mention"), SEED_HOSTILE_TO_US)
def test_north_korean_statements_are_negative_toward_the_us(seed_mentions, article, opening, mention):
    rows = seed_mentions[(seed_mentions["article_id"] == article) & seed_mentions["sentence"].str.startswith(opening)
                         & (seed_mentions["text"] == mention)]
    assert len(rows) >= 1, f"no mention {mention!r} in the sentence starting {opening!r}"
    assert rows.iloc[0]["actor"] == "United States"
    assert rows.iloc[0]["polarity"] == "negative", rows.iloc[0][["sentence", "polarity_score", "polarity_cues"]]


def test_the_us_reads_mostly_negative_in_north_korean_quotes(seed_mentions):
    # Not every sentence: the model misses hostility carried by the frame rather than the words ("the US's true
    # objective is 'world domination'" reads positive), so the test is on the whole of the seeds.
    quoted = seed_mentions[(seed_mentions["voice"] == "quoted")
                           & seed_mentions["speaker_actor"].isin(NORTH_KOREAN_SPEAKERS)]
    us = sentiment.toward_actors(quoted).set_index("actor").loc["United States"]
    assert us["n"] >= 20
    assert us["share_negative"] > 0.5 and us["n_negative"] > 3 * us["n_positive"]


def test_mention_polarity_matches_toward_on_the_sentence(nlp, seed_mentions, seed_texts):
    row = seed_mentions[seed_mentions["sentence"].str.startswith(SEED_HOSTILE_TO_US[0][1])].iloc[0]
    direct = sentiment.toward(row["sentence"], *(int(row[c]) - seed_texts[row["article_id"]].index(row["sentence"])
                                                 for c in ("start", "end")), nlp=nlp)
    assert (direct.label, direct.score, ", ".join(direct.cues)) == (row["polarity"], row["polarity_score"],
                                                                    row["polarity_cues"])


def test_toward_actors_counts_polarities_with_n():
    mentions = pd.DataFrame({
        "article_id": ["a", "a", "b", "b", "b", "c"], "sent_id": [0, 1, 0, 0, 1, 0],
        "text": ["US", "Washington", "Seoul", "United States", "Kim  Jong Un", "Seoul"],
        "actor": ["United States", "United States", "South Korea", "United States", "", "South Korea"],
        "role": ["target", "agent", "target", "target", "other", "other"],
        "polarity": ["negative", "negative", "positive", "neutral", "negative", "neutral"],
        "polarity_score": [-0.8, -0.4, 0.6, 0.0, -0.2, 0.1]})
    out = sentiment.toward_actors(mentions).set_index("actor")
    us = out.loc["United States"]
    assert (us["n"], us["n_articles"], us["n_negative"], us["n_neutral"], us["n_positive"]) == (3, 2, 2, 1, 0)
    assert us["share_negative"] == pytest.approx(2 / 3) and us["mean_score"] == pytest.approx(-0.4)
    assert out.loc["Kim Jong Un", "n"] == 1, "an entity outside the alias table is named as written"
    assert list(out.index) == ["United States", "South Korea", "Kim Jong Un"], "sorted by n"
    assert "Kim Jong Un" not in set(sentiment.toward_actors(mentions, named_only=True)["actor"])
    targets = sentiment.toward_actors(mentions, roles=["target"]).set_index("actor")
    assert targets.loc["United States", "n"] == 2
    articles = pd.DataFrame({"article_id": ["a", "b", "c"], "outlet": ["KCNA", "Reuters", ""]})
    per = sentiment.toward_actors(mentions, articles, per_outlet=True)
    assert set(per["outlet"]) == {"KCNA", "Reuters", "(unknown)"}
    with pytest.raises(KeyError, match="re-run the tagging stage"):
        sentiment.toward_actors(mentions.drop(columns=["polarity"]))


def test_toward_actors_groups_a_person_the_alias_table_lacks_by_the_name_the_article_gives(nlp):
    # "Rudolph Giuliani", "Mr. Giuliani" and "Giuliani" were three actors of the sentiment table.
    tagged = tagging.run(pd.DataFrame({"article_id": ["a"], "title": [""], "text": [
        "Rudolph Giuliani, the president's lawyer, spoke on Sunday. Mr. Giuliani said the inquiry was a disgrace. "
        "Critics said Giuliani had failed."]}), nlp=nlp)
    out = sentiment.toward_actors(tagged.mentions).set_index("actor")
    assert out.loc["Rudolph Giuliani", "n"] == 3 and "Mr. Giuliani" not in out.index
    older = sentiment.toward_actors(tagged.mentions.drop(columns=["name"])).set_index("actor")  # a run from before
    assert {"Rudolph Giuliani", "Mr. Giuliani", "Giuliani"} <= set(older.index)
