"""Frames: cue lexicon matching per sentence, on seed sentences read by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import frames, tables


@pytest.fixture(scope="module")
def matcher(nlp):
    return frames.matcher(nlp)


def frames_of(nlp, matcher, text: str) -> dict[str, str]:
    """Frame -> cues for a one-sentence text."""
    found = frames.detect(nlp(text), article_id="t", matcher=matcher)
    return dict(zip(found["frame"], found["cues"]))


def seed_sentence(seed_texts: dict[str, str], stem: str, opening: str) -> str:
    """The seed sentence starting with ``opening``, cut at its first full stop."""
    text = seed_texts[stem]
    start = text.index(opening)
    return text[start:text.index(".", start) + 1]


def test_lexicon_has_the_14_frames_with_descriptions():
    lexicon = frames.lexicon()
    assert tuple(lexicon) == frames.FRAMES
    assert len(frames.FRAMES) == 14
    assert all(spec["description"] and spec["cues"] for spec in lexicon.values())


def test_seed_000_hypocrisy_sentence(nlp, matcher, seed_texts):
    # 000: "... joint military drills with South Korea and Japan demonstrated the hypocrisy of US offers of
    # diplomatic engagement and dialogue without conditions."
    sentence = seed_sentence(seed_texts, "000_7a0cd52b09a6d4f5", "North Korea's Foreign Ministry said")
    found = frames_of(nlp, matcher, sentence)
    assert found["Security_and_defense"] == "joint military drill"  # the longest cue, once
    assert "hypocrisy" in found["Morality"].split(";")
    assert {"diplomatic", "dialogue"} <= set(found["External_regulation_and_reputation"].split(";"))
    assert "diplomatic engagement" in found["Policy_prescription_and_evaluation"].split(";")


def test_seed_002_drills_and_preconditions(nlp, matcher, seed_texts):
    sentence = seed_sentence(seed_texts, "002_85103c6223975557", "The United States is insisting")
    found = frames_of(nlp, matcher, sentence)
    assert "nuclear weapon" in found["Security_and_defense"]  # "nuclear weapons": matched on the lemma
    assert "without precondition" in found["Policy_prescription_and_evaluation"]


def test_seed_003_revenge_is_not_an_epidemic(nlp, matcher, seed_texts):
    # "the 72nd anniversary of the outbreak of the Korean War": a war, an anniversary, no disease.
    sentence = seed_sentence(seed_texts, "003_b66772f92caee721", "North Korea previously vowed")
    found = frames_of(nlp, matcher, sentence)
    assert "anniversary" in found["Cultural_identity"]
    assert "war" in found["Security_and_defense"].split(";")
    assert "Health_and_safety" not in found


def test_capitalised_words_match_lower_case_cues(nlp, matcher):
    # spaCy tags a capitalised "Drills" as PROPN and keeps its case in the lemma; cues still match.
    found = frames_of(nlp, matcher, "Military Drills Anger Pyongyang")
    assert "military drill" in found["Security_and_defense"]
    headline = frames_of(nlp, matcher, "Accusing Seoul of Creating ‘Asian NATO’")
    assert "asian nato" in headline["Security_and_defense"]


def test_name_parts_and_abbreviations(nlp, matcher):
    # "Un" of Kim Jong Un is not the UN; "U.N." is one token only when the cue is written with its capitals.
    found = frames.detect(nlp("Kim Jong Un met U.N. envoys. The UN Security Council met."), article_id="x",
                          matcher=matcher)
    external = dict(zip(found.loc[found["frame"] == "External_regulation_and_reputation", "sent_id"],
                        found.loc[found["frame"] == "External_regulation_and_reputation", "cues"]))
    assert external == {0: "U.N.;envoy", 1: "UN Security Council"}


def test_cueless_sentence_has_no_frame(nlp, matcher, seed_texts):
    sentence = seed_sentence(seed_texts, "002_85103c6223975557", "North Korea has rebuffed the offers")
    assert sentence == "North Korea has rebuffed the offers."
    assert frames_of(nlp, matcher, sentence) == {}


def test_sentences_table_gives_ids_and_counts(nlp, matcher):
    text = "Seoul held talks. It rained. Missiles, missiles and more missiles were launched."
    doc = nlp(text)
    cut1, cut2 = text.index("It"), text.index("Missiles")
    sentences = pd.DataFrame({"article_id": "a", "sent_id": [10, 11, 12], "start": [0, cut1, cut2],
                              "end": [cut1 - 1, cut2 - 1, len(text)]})
    found = frames.detect(doc, article_id="a", matcher=matcher, sentences=sentences)
    assert list(found.columns) == list(tables.schema("frames")["columns"])
    got = {(r.sent_id, r.frame): (r.cues, r.n_cues) for r in found.itertuples()}
    assert got[(10, "External_regulation_and_reputation")] == ("talks", 1)
    assert got[(12, "Security_and_defense")] == ("missile", 3)
    assert not any(sent_id == 11 for sent_id, _ in got)


def test_tag_many_docs(nlp, matcher):
    docs = list(nlp.pipe(["Sanctions hurt the economy.", "It rained."]))
    table = frames.tag(docs, article_ids=["a", "b"], matcher=matcher)
    assert set(table["article_id"]) == {"a"}
    assert {"Economic", "Policy_prescription_and_evaluation"} <= set(table["frame"])
    tables.conform(table, "frames")


def test_custom_lexicon_and_validation(nlp, tmp_path):
    path = tmp_path / "frames.yaml"
    path.write_text("Morality:\n  description: right and wrong\n  cues: [Perfidy, double dealing]\n")
    lexicon = frames.lexicon(path)
    assert lexicon == {"Morality": {"description": "right and wrong", "cues": ["Perfidy", "double dealing"]}}
    found = frames.detect(nlp("Such perfidy and double-dealing."), article_id="x", matcher=frames.matcher(nlp, lexicon))
    assert list(found["cues"]) == ["Perfidy"]  # "double-dealing" is three tokens: the cue must say so
    path.write_text("Mood:\n  cues: [gloom]\n")
    with pytest.raises(frames.LexiconError, match="unknown frames \\['Mood'\\]"):
        frames.lexicon(path)
    path.write_text("Morality:\n  cues: sin\n")
    with pytest.raises(frames.LexiconError, match="list of non-empty strings"):
        frames.lexicon(path)


def test_shares_per_outlet_and_article():
    table = pd.DataFrame({"article_id": ["a", "a", "a", "b", "c"], "sent_id": [0, 1, 1, 0, 0],
                          "frame": ["Economic", "Economic", "Morality", "Economic", "Political"],
                          "cues": "", "n_cues": 1})
    articles = pd.DataFrame({"article_id": ["a", "b", "c", "d"], "outlet": ["X", "X", "Y", ""]})
    by_outlet = frames.shares(table, articles, by="outlet").set_index(["outlet", "frame"])
    # X: 4 sentence-frame tags, 3 Economic (a:0, a:1, b:0) -> 0.75; both of X's articles use Economic.
    assert by_outlet.loc[("X", "Economic"), "n_sentences"] == 3
    assert by_outlet.loc[("X", "Economic"), "share"] == pytest.approx(0.75)
    assert by_outlet.loc[("X", "Morality"), "article_share"] == pytest.approx(0.5)
    assert by_outlet.loc[("Y", "Political"), "share"] == pytest.approx(1.0)
    by_article = frames.shares(table, articles, by="article_id").set_index(["article_id", "frame"])
    assert by_article.loc[("a", "Economic"), "share"] == pytest.approx(2 / 3)
