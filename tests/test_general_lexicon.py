"""Tests for analysis/data/general_lexicon.yaml, the story-independent lexicon matched on every corpus.

Each family must find sentences written in its style, stay silent on plain news sentences, and name nothing of the
seeds' story. Its accuracy on PTC is measured by bench/validate_lexicon.py, not here (the gold data is not in the
repository).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from analysis import patterns, profiles, rhetoric

GENERAL = Path(rhetoric.__file__).resolve().parent / "data" / "general_lexicon.yaml"

# Sentences written in each family's style; every one must be a hit of that family.
STYLE = {
    "loaded_language": [
        "The senator called the ruling an outrageous and disgraceful attack on voters.",
        "Critics say the whole inquiry was a sham from the start.",
        "The mayor's sinister plan to close the clinic went ahead anyway.",
        "Her opponents launched a vicious smear campaign against her.",
        "The committee slammed the agency for its reckless handling of the funds.",
        "It was a devastating blow to the family.",
        "The report is full of blatant lies.",
        "They did the dirty work for the landlord.",
    ],
    "name_calling": [
        "The governor dismissed his critics as a bunch of idiots.",
        "He called the minister a liar on live television.",
        "Protesters were described as thugs by the police chief.",
        "The columnist says the councillors are puppets of the developers.",
        "Neighbours described the landlord as a tyrant.",
        "The columnist dismissed the students as leftists and snowflakes.",
        "He called the inquiry a witch hunt.",
    ],
    "doubt": [
        "The ministry wants us to believe that the files were lost in a flood.",
        "Whether the plan will work remains to be seen.",
        "One has to wonder why the files were deleted.",
        "Statistics from that agency cannot be trusted.",
        "The recording conveniently stops before the argument began.",
    ],
    "exaggeration": [
        "There is absolutely no evidence that the vote was unfair.",
        "The minister produced not a shred of proof for the claim.",
        "It was the biggest fraud in American history, the prosecutor said.",
        "The senator said the story was 100 percent false.",
    ],
    "flag_waving": [
        "We will defend our country and our way of life.",
        "The speech was attacked as un-American.",
        "The American people deserve better than this.",
        "Our troops did not fight for this, the veteran said.",
    ],
    "slogans": [
        "The crowd chanted 'Lock her up!' as the candidate spoke.",
        "Supporters in red caps shouted 'Make America great again'.",
        "Protesters burned flags and chanted death to America.",
        "The supporters chanted that they would build the wall.",
    ],
    "appeal_to_fear": [
        "The pastor said the new law is a grave threat to religious freedom.",
        "Opponents call the plant a threat to our way of life.",
        "If we don't act now, the river will be dead in ten years.",
        "Health officials fear the disease could spread to the capital.",
        "A bloc of hardliners would wipe the country off the map, the minister warned.",
        "The mayor said the town was being overrun.",
        "This is every parent's worst nightmare.",
    ],
    "thought_terminating": [
        "\"It is what it is,\" the coach said after the defeat.",
        "If that costs us the election, so be it.",
        "There is no going back now.",
        "The governor says she will not negotiate: no more excuses.",
        "Nobody is perfect, the chairman said of the scandal.",
    ],
    "whataboutism": [
        "But what about the senator's own donors?",
        "He is guilty of the same thing he accuses his rivals of.",
        "There are far worse offenders in the capital.",
        "The party, meanwhile, had nothing to say about its own candidate.",
        "If they really cared about children, they would fund the schools.",
    ],
}

# Plain news sentences: no family may hit them. The first two were false hits of the story lexicon on a gun-policy
# corpus (issue #12): "self-defense" booked as an arms justification and "It follows" as name-calling.
NEUTRAL = [
    "Gun owners often cite self-defense as their main reason for buying a handgun.",
    "It follows that the committee will vote again next week.",
    "The council approved the budget on Tuesday after a two-hour debate.",
    "Police said the driver was taken to hospital with minor injuries.",
    "The company reported a quarterly profit of 3 million dollars.",
    "The court will hear arguments from both sides in March.",
    "Rain is expected across the north of the country on Friday.",
    "The minister said the talks had been constructive.",
    "Voters in the district will elect a new representative in November.",
    "The museum reopened after a renovation that took two years.",
    "Officials confirmed that the bridge would close for repairs.",
    "The study followed 2,000 patients for five years.",
    "The left lane of the motorway was closed after the accident.",
    "Researchers at the university published the results in a journal.",
    "A gas blast damaged two houses on Monday morning.",
    # Near misses of the fear, cliché and whataboutism families: the same words in plain reporting.
    "The spread of the results across the districts was small.",
    "Officials said the threat level remained unchanged.",
    "It was over by the time the police arrived at the scene.",
    "The players asked about the new schedule at the meeting.",
    "The union said the deal was not perfect but would be signed.",
]


@pytest.fixture(scope="module")
def lex() -> dict:
    return patterns.lexicon(GENERAL)


@pytest.fixture(scope="module")
def general_matcher(nlp, lex):
    return rhetoric.matcher(nlp, lex)


def families_hit(nlp, lex, general_matcher, text: str) -> dict[str, list[str]]:
    doc = nlp(text)
    found: dict[str, list[str]] = {}
    for fid, _, span in rhetoric.spans(doc, matcher=general_matcher, lexicon=lex):
        found.setdefault(fid, []).append(span.text)
    return found


def test_lexicon_loads_with_every_family_mapped_to_semeval_techniques(lex):
    assert set(STYLE) <= set(lex), f"families missing: {set(STYLE) - set(lex)}"
    for fid, family in lex.items():
        assert family["techniques"], f"{fid} names no SemEval-2023 technique"
        assert set(family["techniques"]) <= patterns.TECHNIQUES
        assert family["note"].strip(), f"{fid} has no note saying what it covers"
    header = GENERAL.read_text(encoding="utf-8").split("families:")[0]
    for source in ("Da San Martino", "Piskorski", "Wilson", "Recasens", "Hyland", "Lifton"):
        assert source in header, f"the header does not name {source}"


@pytest.mark.parametrize("family,sentence", [(f, s) for f, ss in STYLE.items() for s in ss])
def test_family_finds_sentences_in_its_style(nlp, lex, general_matcher, family, sentence):
    found = families_hit(nlp, lex, general_matcher, sentence)
    assert family in found, f"{family} missed {sentence!r} (hits: {found})"


@pytest.mark.parametrize("sentence", NEUTRAL)
def test_neutral_news_sentences_have_no_hits(nlp, lex, general_matcher, sentence):
    assert families_hit(nlp, lex, general_matcher, sentence) == {}


def test_hits_are_rhetoric_hits_with_techniques(nlp, lex, general_matcher):
    text = "The reform is a sham, and the American people know it, whatever the ministry wants us to believe."
    hits = rhetoric.hits(nlp(text), matcher=general_matcher, lexicon=lex, article_id="a1")
    assert set(hits["family"]) == {"doubt", "loaded_language", "flag_waving"}
    assert hits.set_index("family").loc["flag_waving", "techniques"] == "Flag_Waving"
    assert all(text[s:e] == t for s, e, t in zip(hits["start"], hits["end"], hits["matched_text"]))


def pattern_words(family: dict) -> set[str]:
    """The words of a family's patterns (three letters or more: "u.s." is not the word "s")."""
    return set(re.findall(r"[a-z]{3,}", " ".join(v["pattern"] for v in family["variants"]).lower()))


# Common words that stand inside the seeds' entity names ("Democratic People's Republic of Korea", "Security
# Council", "Far East") or the story lexicon's patterns ("three-way bloc") without being words of the story; a
# general lexicon may use them.
GENERIC_WORDS = {"republic", "people", "democratic", "united", "states", "national", "party", "committee",
                 "central", "agency", "news", "ministry", "way", "north", "south", "east", "west", "security", "far"}


def story_terms(nlp, seed_texts: dict[str, str]) -> set[str]:
    """Words of the seeds' story: tokens of their named entities and of the story lexicon's alliance families."""
    terms = {token.lower_ for doc in nlp.pipe(seed_texts.values()) for ent in doc.ents for token in ent
             if token.is_alpha and not token.is_stop and ent.label_ in ("GPE", "NORP", "ORG", "PERSON", "LOC")}
    story = patterns.lexicon(profiles.folder("asian-nato") / "phrases.yaml")
    for family in story.values():
        if family["category"] == "alliance_label":
            terms |= {w for w in pattern_words(family) if w not in nlp.Defaults.stop_words}
    return terms - GENERIC_WORDS


def test_no_family_contains_story_terms_of_the_seeds(nlp, lex, seed_texts):
    terms = story_terms(nlp, seed_texts)
    assert {"nato", "pyongyang", "korea"} <= terms  # the story's own words are found, so the check has teeth
    for fid, family in lex.items():
        words = pattern_words(family)
        assert not words & terms, f"{fid} uses story terms {sorted(words & terms)}"


def test_validation_scores_hits_against_gold_spans(tmp_path, nlp, monkeypatch):
    """bench/validate_lexicon.py on a two-article corpus in PTC's layout, figures worked out by hand."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location(
        "validate_lexicon", Path(__file__).resolve().parent.parent / "bench" / "validate_lexicon.py")
    validate = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "validate_lexicon", validate)  # dataclasses look their module up there
    spec.loader.exec_module(validate)
    first = ("Plan under fire\n\nThe senator called the plan a sham and an outrageous waste.\n"
             "The council met on Tuesday.\nThe American people deserve better.\n")
    second = "Weather\n\nOutrageous rain is expected on Friday, said the mayor, a notorious crook.\n"
    (tmp_path / "train-articles").mkdir()
    (tmp_path / "train-labels-task-flc-tc").mkdir()
    gold = {"1": [("Loaded_Language", "sham"), ("Flag-Waving", "The American people deserve better")],
            "2": [("Name_Calling,Labeling", "a notorious crook"), ("Name_Calling,Labeling", "the mayor")]}
    for article, text in (("1", first), ("2", second)):
        (tmp_path / "train-articles" / f"article{article}.txt").write_text(text, encoding="utf-8")
        rows = [f"{article}\t{t}\t{text.index(s)}\t{text.index(s) + len(s)}" for t, s in gold[article]]
        (tmp_path / "train-labels-task-flc-tc" / f"article{article}.task-flc-tc.labels").write_text(
            "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "figures.json"
    assert validate.main([str(tmp_path), "--json", str(out)]) == 1  # loaded_language is below 0.5 on its technique
    general = json.loads(out.read_text(encoding="utf-8"))["general"]
    # Hits: sham (on its LL span), outrageous twice (no span), the American people (on the flag-waving span), crook
    # (on a name-calling span). Three of five hits are on a span; two of the three LL/NC spans are touched.
    assert general["hits"] == 5
    assert general["precision"] == 0.6
    assert general["recall"] == round(2 / 3, 3)
    assert general["recall_by_technique"] == {"Loaded_Language": 1.0, "Name_Calling,Labeling": 0.5}
    assert general["families"]["loaded_language"]["own"] == round(1 / 3, 3)
    assert general["families"]["flag_waving"]["own"] == 1.0
    assert general["families"]["name_calling"]["own"] == 1.0
    assert general["families"]["doubt"]["hits"] == 0
    # The same figures per half of the articles: "2" (even id) holds outrageous and crook, "1" (odd) the rest.
    even, odd = general["halves"]["even"], general["halves"]["odd"]
    assert (even["hits"], even["precision"], odd["hits"], odd["precision"]) == (2, 0.5, 3, round(2 / 3, 3))
    assert even["families"]["loaded_language"]["own"] == 0.0 and odd["families"]["loaded_language"]["own"] == 0.5
    assert even["families"]["name_calling"]["own"] == 1.0 and odd["families"]["name_calling"]["hits"] == 0
