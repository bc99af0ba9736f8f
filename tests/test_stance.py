"""Verb stance: cue lemmas classified with the tagging stage's reporting-verb lexicon, on hand-made quotes."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import quotes, stance, tables


@pytest.fixture()
def quote_rows() -> pd.DataFrame:
    rows = [  # article, speaker, actor, cue as written, cue lemma
        ("kcna", "the ministry", "DPRK Foreign Ministry", "said", "say"),
        ("kcna", "the ministry", "DPRK Foreign Ministry", "slammed", "slam"),
        ("kcna", "Blinken", "United States", "claimed", "claim"),
        ("wire", "the ministry", "DPRK Foreign Ministry", "said", "say"),
        ("wire", "Blinken", "United States", "pointed out", "point out"),
        ("wire", "KCNA", "KCNA", "According to", "according to"),
        ("blog", "an official", "", "giggled", "giggle"),
        ("blog", "", "", "", ""),
    ]
    frame = pd.DataFrame(rows, columns=["article_id", "speaker", "speaker_actor", "cue", "cue_lemma"])
    frame["quote_id"] = [f"{a}/q{i}" for i, a in enumerate(frame["article_id"])]
    return frame.assign(kind="direct", text="...", start=0, end=3, within="")


@pytest.fixture()
def articles() -> pd.DataFrame:
    return pd.DataFrame({"article_id": ["kcna", "wire", "blog"], "outlet": ["KCNA", "Reuters", ""]})


def test_classes_come_from_the_tagging_lexicon():
    assert stance.STANCES is quotes.STANCES
    entries = stance.lexicon()
    assert set(entries.values()) <= set(quotes.STANCES)
    assert entries == quotes.lexicon()


def test_classify():
    assert stance.classify("say") == "neutral"
    assert stance.classify("claim") == "distancing"
    assert stance.classify("Point  out") == "endorsing"  # case and spacing ignored, as the loader ignores them
    assert stance.classify("slam") == "emotive"
    assert stance.classify("according to") == "neutral"
    assert stance.classify("giggle") == "unclassified"
    assert stance.classify("") == "unclassified"
    assert stance.classify("say", lexicon={"say": "distancing"}) == "distancing"


def test_profile(quote_rows, articles):
    table = stance.profile(quote_rows, articles)
    assert list(table.columns) == list(tables.schema("verb_stance")["columns"])
    assert len(table) == len(quote_rows)  # every quote, classified or not
    got = dict(zip(table["cue_lemma"], table["stance"]))
    assert got == {"say": "neutral", "slam": "emotive", "claim": "distancing", "point out": "endorsing",
                   "according to": "neutral", "giggle": "unclassified", "": "unclassified"}
    assert set(table.loc[table["article_id"] == "blog", "outlet"]) == {"(unknown)"}
    assert table.loc[table["cue_lemma"] == "point out", "cue"].item() == "pointed out"


def test_a_quote_within_another_counts_as_a_reporting_act_only_with_a_verb_of_its_own(quote_rows, articles):
    # 'The ministry said the drills are "a rehearsal for invasion"' (a partial quote in the reported clause, one
    # act of saying) and '..., which it slammed as "reckless", ...' (said, and slammed: two acts)
    held = pd.DataFrame([("kcna", "kcna/q8", "the ministry", "DPRK Foreign Ministry", "said", "say", "kcna/q0"),
                         ("kcna", "kcna/q9", "the ministry", "DPRK Foreign Ministry", "", "", "kcna/q0"),
                         ("kcna", "kcna/q10", "the ministry", "DPRK Foreign Ministry", "slammed", "slam", "kcna/q0")],
                        columns=["article_id", "quote_id", "speaker", "speaker_actor", "cue", "cue_lemma", "within"])
    table = stance.profile(pd.concat([quote_rows, held.assign(kind="partial", text="...", start=1, end=2)]), articles)
    assert len(table) == len(quote_rows) + 1 and "kcna/q10" in set(table["quote_id"])
    kcna = stance.summary(table).set_index(["outlet", "speaker_actor"]).loc[("KCNA", "DPRK Foreign Ministry")]
    assert (kcna["neutral"], kcna["emotive"], kcna["n"]) == (1, 2, 3)


def test_summary_by_outlet_and_actor(quote_rows, articles):
    summary = stance.summary(stance.profile(quote_rows, articles))
    assert list(summary.columns) == ["outlet", "speaker_actor", "neutral", "distancing", "endorsing", "emotive",
                                     "unclassified", "n"]
    kcna = summary.set_index(["outlet", "speaker_actor"]).loc[("KCNA", "DPRK Foreign Ministry")]
    assert (kcna["neutral"], kcna["emotive"], kcna["n"]) == (1, 1, 2)
    reuters_us = summary.set_index(["outlet", "speaker_actor"]).loc[("Reuters", "United States")]
    assert (reuters_us["endorsing"], reuters_us["distancing"], reuters_us["n"]) == (1, 0, 1)
    assert summary["n"].sum() == len(quote_rows)


def test_a_speaker_who_is_no_actor_is_a_named_group_after_the_others(quote_rows, articles):
    summary = stance.summary(stance.profile(quote_rows, articles))
    blog = summary[summary["outlet"] == "(unknown)"]
    assert blog["speaker_actor"].tolist() == ["(none)"] and blog["n"].item() == 2  # "an official" and no speaker
    reuters = summary.loc[summary["outlet"] == "Reuters", "speaker_actor"].tolist()
    assert reuters == sorted(reuters) and "" not in set(summary["speaker_actor"])
    wire = stance.summary(stance.profile(quote_rows.assign(speaker_actor=lambda q: q["speaker_actor"].where(
        q["cue_lemma"] != "point out", "")), articles)).query("outlet == 'Reuters'")["speaker_actor"].tolist()
    assert wire == ["DPRK Foreign Ministry", "KCNA", "(none)"]  # the unnamed group after the named ones


def test_summary_shares_and_single_key(quote_rows, articles):
    summary = stance.summary(stance.profile(quote_rows, articles), by="outlet", shares=True).set_index("outlet")
    assert summary.loc["KCNA", "share_neutral"] == pytest.approx(1 / 3)
    assert summary.loc["(unknown)", "share_unclassified"] == pytest.approx(1.0)
    with pytest.raises(KeyError, match="no column"):
        stance.summary(stance.profile(quote_rows, articles), by="bias")


def test_custom_lexicon_file(tmp_path):
    path = tmp_path / "verbs.yaml"
    path.write_text("verbs:\n  distancing: [say]\nphrases:\n  neutral: [in a statement]\n")
    entries = stance.lexicon(path)
    assert entries == {"say": "distancing", "in a statement": "neutral"}
    assert stance.classify("say", lexicon=entries) == "distancing"
    path.write_text("verbs:\n  sarcastic: [quip]\n")
    with pytest.raises(quotes.LexiconError, match="not a stance"):
        stance.lexicon(path)
