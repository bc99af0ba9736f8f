"""Tests for analysis.starter: the starter profile `framing new-story` writes."""
from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
import spacy
import yaml

from analysis import actors, patterns, profiles, starter

SENTENCES = [
    ("a", "Barack Obama urged Congress to pass universal background checks."),
    ("a", "Obama called the shooting a senseless tragedy."),
    ("b", "The National Rifle Association rejected universal background checks."),
    ("b", "The NRA called the proposal a reckless gamble with liberty."),
    ("c", "Critics said the NRA ran a reckless gamble with children's safety."),
    ("c", "President Obama said universal background checks save lives."),
    ("d", "The NRA's reckless gamble drew a senseless tragedy, protesters said."),
    ("d", "The U.S. has more guns than people."),
]
MENTIONS = [  # (sentence index, text, NER label, actor from the alias table, its type)
    (0, "Barack Obama", "PERSON", "", ""), (1, "Obama", "PERSON", "", ""), (5, "Obama", "PERSON", "", ""),
    (2, "The National Rifle Association", "ORG", "", ""), (3, "NRA", "ORG", "", ""), (4, "NRA", "ORG", "", ""),
    (6, "NRA's", "ORG", "", ""), (7, "U.S.", "GPE", "United States", "state"), (0, "Congress", "ORG", "", ""),
]


@pytest.fixture()
def tagged() -> tuple[pd.DataFrame, pd.DataFrame]:
    sentences = pd.DataFrame({"article_id": [a for a, _ in SENTENCES], "sent_id": range(len(SENTENCES)),
                              "start": 0, "text": [t for _, t in SENTENCES], "voice": "narrator"})
    mentions = pd.DataFrame([{"article_id": SENTENCES[k][0], "sent_id": k, "text": text, "ner_label": label,
                              "actor": actor, "actor_type": kind} for k, text, label, actor, kind in MENTIONS])
    return sentences, mentions


def test_entities_cluster_into_actors_with_their_aliases(tagged):
    sentences, mentions = tagged
    found = {a.name: a for a in starter.actors(mentions, sentences)}
    assert dict(found["Barack Obama"].aliases) == {"Barack Obama": 1, "Obama": 2}
    assert found["Barack Obama"].type == "person" and len(found["Barack Obama"].examples) == 2
    assert dict(found["National Rifle Association"].aliases) == {"National Rifle Association": 1, "NRA": 3}
    assert found["United States"].type == "state"  # the shipped alias table's name and type are kept
    assert starter.clean("the NRA’s") == "NRA"


def test_a_starter_profile_is_written_with_counts_and_examples_and_loads(tagged, tmp_path):
    sentences, mentions = tagged
    made = starter.build("guns", corpus="test corpus", sentences=sentences, mentions=mentions, n_articles=4,
                         n_queries=3)
    assert "universal background checks" in set(made.phrases["term"])
    folder = starter.write(made, tmp_path / "guns")
    profile = profiles.load(folder)
    assert profile.name == "guns" and "universal background checks" in profile.kwic_queries
    assert profile.starter  # until the user deletes the line: the reports warn that it is unpruned
    assert "Barack Obama" in actors.table(profile.actors).actors
    families = patterns.lexicon(profile.phrases)
    variants = {v["pattern"] for f in families.values() for v in f["variants"]}
    assert "reckless gamble" in variants and "reckless" not in variants  # the word only occurs in the phrase
    text = (folder / "phrases.yaml").read_text(encoding="utf-8")
    assert "uses in" in text and "#   e.g. The NRA called the proposal a reckless gamble" in text
    assert "# 4 mentions (NRA 3, National Rifle Association 1)" in (folder / "actors.yaml").read_text(encoding="utf-8")
    # not a run on seeds/, and the profile as --story finds it: written outside analysis/data/profiles, by folder
    assert f"`framing run --story {folder} --corpus <the corpus above>`" in text
    with pytest.raises(FileExistsError, match="--force"):
        starter.write(made, folder)


# Sentences for the parse-based types: the entity recogniser labels "Marwick" an organisation and gives "the Green
# party" no label at all; the parse says who speaks and what a name is.
PARSED = [
    ("e", "Dana Hale, a spokeswoman for the council, said the plan was dead."),
    ("e", "Senator Obuya told reporters the vote would go ahead."),
    ("f", "The Green party rejected the budget on Monday."),
    ("f", "Marwick said the ruling would be appealed."),
    ("g", "Kessler Dynamics, a company based in Ohio, denied the claim."),
    ("g", "Hale said the council would meet again in May."),
    ("h", "FBI Director James Comey told lawmakers the inquiry was open."),
    ("h", "General Motors said it would close the plant."),
    ("h", "The Department of Energy said the plant was safe."),
]


def test_the_parse_types_names_by_apposition_title_head_noun_and_speech(nlp):
    found = starter.parse_types(nlp.pipe(t for _, t in PARSED))
    assert found["Dana Hale"].types["person"] == 1  # "Dana Hale, a spokeswoman"
    assert found["Obuya"].types["person"] == 1 and "Senator Obuya" not in found  # the title is dropped
    assert found["James Comey"].types["person"] == 1  # so is everything before the last title
    assert dict(found["General Motors"].types) == {"speaker": 1}  # an organisation's name is no title
    assert found["Green party"].types["organisation"] == 1  # "the X party"
    assert found["Kessler Dynamics"].types["organisation"] == 1  # "X, a company"
    assert dict(found["Marwick"].types) == {"speaker": 1}  # the subject of "said", nothing else
    assert found["Marwick"].examples == ["Marwick said the ruling would be appealed."]
    assert "Ohio" not in found and "Monday" not in found  # names the parse says nothing about
    assert "Department" not in found  # an organisation noun alone is not a name, but with its "of" phrase:
    assert found["Department of Energy"].types == {"organisation": 1, "speaker": 1}


def test_parse_evidence_outweighs_the_entity_label_and_adds_names_ner_missed(nlp):
    sentences = pd.DataFrame({"article_id": [a for a, _ in PARSED], "sent_id": range(len(PARSED)), "start": 0,
                              "text": [t for _, t in PARSED], "voice": "narrator"})
    rows = [(0, "Dana Hale", "PERSON", "", ""), (5, "Hale", "ORG", "", ""),  # a surname mislabelled
            (3, "Marwick", "ORG", "", ""), (4, "Kessler Dynamics", "PERSON", "", ""), (4, "Ohio", "GPE", "", ""),
            (1, "Obuya", "ORG", "", ""), (0, "U.S.", "GPE", "United States", "state")]
    mentions = pd.DataFrame([{"article_id": PARSED[k][0], "sent_id": k, "text": text, "ner_label": label,
                              "actor": actor, "actor_type": kind} for k, text, label, actor, kind in rows])
    parsed = starter.parse_types(nlp.pipe(sentences["text"]))
    found = {a.name: a for a in starter.actors(mentions, sentences, parsed=parsed)}
    assert found["Dana Hale"].type == "person" and dict(found["Dana Hale"].aliases) == {"Dana Hale": 1, "Hale": 1}
    assert found["Obuya"].type == "person"  # NER said ORG; the title says person
    assert found["Kessler Dynamics"].type == "organisation"  # NER said PERSON; the apposition says company
    assert found["Marwick"].type == "organisation"  # a speaker the entity recogniser calls an organisation
    assert found["Ohio"].type == "state" and found["United States"].type == "state"
    assert found["Green party"].type == "organisation"  # found by the parse only, with its use and example
    assert found["Green party"].count == 1 and found["Green party"].examples == [PARSED[2][1]]
    # Without the parse the entity labels decide, as before.
    plain = {a.name: a for a in starter.actors(mentions, sentences)}
    assert plain["Obuya"].type == "organisation" and "Green party" not in plain
    # build parses the sentences itself when given the pipeline (new-story passes it).
    made = starter.build("council", corpus="test", sentences=sentences, mentions=mentions, n_articles=3, nlp=nlp)
    assert {(a.name, a.type) for a in made.actors} >= {("Green party", "organisation"), ("Obuya", "person")}


def test_a_speaker_without_an_entity_label_is_a_person(nlp):
    parsed = starter.parse_types(nlp.pipe(["Okonkwo-Baptiste said the talks had failed."]))
    empty = pd.DataFrame(columns=["article_id", "sent_id", "text", "ner_label", "actor", "actor_type"])
    sentences = pd.DataFrame(columns=["article_id", "sent_id", "text"])
    assert [(a.name, a.type) for a in starter.actors(empty, sentences, parsed=parsed)] == [
        ("Okonkwo-Baptiste", "person")]


def test_new_story_tags_on_several_processes_and_writes_a_profile_that_loads(seeds_dir, tmp_path):
    from analysis import cli

    folder = tmp_path / "seed-story"
    assert cli.main(["new-story", "seed-story", "--corpus", str(seeds_dir), "--out", str(folder),
                     "--n-process", "2"]) == 0
    profile = profiles.load(folder)
    assert profile.name == "seed-story" and profile.actors is not None
    assert "North Korea" in profile.actors.read_text(encoding="utf-8")  # the seeds' main actor, from their parse
    assert cli.main(["new-story", "auto", "--corpus", str(seeds_dir), "--out", str(tmp_path / "x")]) != 0


def test_a_form_the_alias_table_gave_several_actors_is_a_short_form_of_each_never_an_alias(tmp_path):
    rows = [("a", 0, "Barack Obama", "Barack Obama"), ("a", 1, "the president", "Barack Obama"),
            ("a", 2, "President", "Barack Obama"), ("b", 3, "Donald Trump", "Donald Trump"),
            ("b", 4, "the president", "Donald Trump"), ("b", 5, "Trump", "Donald Trump")]
    sentences = pd.DataFrame({"article_id": [r[0] for r in rows], "sent_id": [r[1] for r in rows], "start": 0,
                              "text": [f"Sentence about {r[2]}." for r in rows], "voice": "narrator"})
    mentions = pd.DataFrame([{"article_id": a, "sent_id": s, "text": text, "ner_label": "", "actor": actor,
                              "actor_type": "person"} for a, s, text, actor in rows])
    found = {a.name: a for a in starter.actors(mentions, sentences)}
    assert set(found) == {"Barack Obama", "Donald Trump"}  # "president" is no candidate actor of its own
    assert "president" not in found["Barack Obama"].aliases and "president" not in found["Donald Trump"].aliases
    assert found["Barack Obama"].short == {"president": 2} and found["Donald Trump"].short == {"president": 1}
    assert found["Barack Obama"].aliases == {"Barack Obama": 1}  # "President" too is "president" to the table
    made = starter.Starter("two", "test", 2, list(found.values()), pd.DataFrame(columns=["term"]),
                           pd.DataFrame(columns=["term"]))
    table = yaml.safe_load(starter._actors_yaml(made))["actors"]
    assert table["Donald Trump"]["short"] == ["president"] and "president" not in table["Donald Trump"]["aliases"]
    (tmp_path / "actors.yaml").write_text(starter._actors_yaml(made), encoding="utf-8")
    assert set(actors.table(tmp_path / "actors.yaml").actors) == {"Barack Obama", "Donald Trump"}  # it loads


def test_a_misread_name_seen_once_neither_makes_a_person_of_a_body_nor_takes_its_acronym():
    rows = ([("House", "ORG")] * 40 + [("Chapo Trap House", "PERSON")]
            + [("Department of Homeland Security", "ORG")] * 3 + [("internal Department of Homeland Security", "ORG")]
            + [("DHS", "ORG")] * 4
            + [("Dana Hale", "PERSON")] + [("Hale", "ORG")] * 3)  # a surname the label misreads stays hers
    sentences = pd.DataFrame({"article_id": "a", "sent_id": range(len(rows)), "start": 0,
                              "text": [f"A sentence about {t}." for t, _ in rows], "voice": "narrator"})
    mentions = pd.DataFrame([{"article_id": "a", "sent_id": k, "text": text, "ner_label": label, "actor": "",
                              "actor_type": ""} for k, (text, label) in enumerate(rows)])
    parsed = {"Hale": starter.Evidence(uses=3, types=Counter({starter.SPEAKER: 3})),
              "House": starter.Evidence(uses=40, types=Counter({starter.SPEAKER: 1}))}
    found = {a.name: a for a in starter.actors(mentions, sentences, parsed=parsed)}
    assert dict(found["House"].aliases) == {"House": 40} and found["House"].type == "organisation"
    assert dict(found["Department of Homeland Security"].aliases) == {"Department of Homeland Security": 3, "DHS": 4}
    assert dict(found["Dana Hale"].aliases) == {"Dana Hale": 1, "Hale": 3} and found["Dana Hale"].type == "person"


def test_a_function_word_is_never_a_case_insensitive_alias(tmp_path):
    # NER misreads the pronoun now and then ("against us" as a place): written as a plain alias, every "us" would
    # become the United States; the acronym stays, matched in capitals only.
    found = starter.Actor("United States", "state", Counter({"United States": 50, "US": 30, "us": 4, "May": 2}))
    made = starter.Starter("s", "test", 1, [found], pd.DataFrame(columns=["term"]), pd.DataFrame(columns=["term"]))
    (tmp_path / "actors.yaml").write_text(starter._actors_yaml(made), encoding="utf-8")
    entry = yaml.safe_load((tmp_path / "actors.yaml").read_text(encoding="utf-8"))["actors"]["United States"]
    assert entry["aliases"] == ["United States"] and entry["exact"] == ["US"]
    nlp = spacy.blank("en")
    matcher = actors.matcher(nlp, actors.table(tmp_path / "actors.yaml"))
    doc = nlp("Let us be clear: the US may act, and the polls are against us.")
    found, _ = actors.matches(doc, matcher=matcher)
    assert [(doc.text[m.start:m.end], m.actor) for m in found] == [("US", "United States")]


def test_a_surname_two_people_share_is_a_short_form_of_each_not_an_alias_of_one(tmp_path):
    rows = ([("Bill Clinton", "PERSON")] * 10 + [("Hillary Clinton", "PERSON")] * 8 + [("Clinton", "PERSON")] * 60
            + [("Mrs. Clinton", "PERSON")] * 4
            + [("Chelsea Clinton", "PERSON")] + [("Joe Biden", "PERSON")] * 5 + [("Biden", "PERSON")] * 20)
    sentences = pd.DataFrame({"article_id": "a", "sent_id": range(len(rows)), "start": 0,
                              "text": [f"A sentence about {t}." for t, _ in rows], "voice": "narrator"})
    mentions = pd.DataFrame([{"article_id": "a", "sent_id": k, "text": text, "ner_label": label, "actor": "",
                              "actor_type": ""} for k, (text, label) in enumerate(rows)])
    found = {a.name: a for a in starter.actors(mentions, sentences)}
    assert "Clinton" not in found["Bill Clinton"].aliases and "Clinton" not in found["Hillary Clinton"].aliases
    assert found["Bill Clinton"].short == {"Clinton": 60, "Mrs. Clinton": 4} == found["Hillary Clinton"].short
    assert "Clinton" not in found["Chelsea Clinton"].short  # named once in full: no claim on the surname
    kept = {a.name for a in starter.actors(mentions, sentences, top=2)}
    assert kept == {"Joe Biden", "Bill Clinton", "Hillary Clinton"}  # who shares a kept actor's surname is kept
    assert found["Joe Biden"].aliases == {"Joe Biden": 5, "Biden": 20} and not found["Joe Biden"].short
    made = starter.Starter("s", "test", 1, list(found.values()), pd.DataFrame(columns=["term"]),
                           pd.DataFrame(columns=["term"]))
    (tmp_path / "actors.yaml").write_text(starter._actors_yaml(made), encoding="utf-8")
    nlp = spacy.blank("en")
    matcher = actors.matcher(nlp, actors.table(tmp_path / "actors.yaml"))
    doc = nlp("Hillary Clinton spoke first. Clinton said the race was close.")
    found_in, _ = actors.matches(doc, matcher=matcher)
    assert [m.actor for m in found_in] == ["Hillary Clinton", "Hillary Clinton"]  # the one named last


def test_a_title_before_a_surname_is_no_second_person_and_a_name_seen_once_claims_nothing():
    rows = ([("Mitt Romney", "PERSON")] * 10 + [("Mr. Romney", "PERSON")] * 16 + [("Romney", "PERSON")] * 60
            + [("Joining Romney", "PERSON")] + [("Ann Romney", "PERSON")] * 2)
    sentences = pd.DataFrame({"article_id": "a", "sent_id": range(len(rows)), "start": 0,
                              "text": [f"A sentence about {t}." for t, _ in rows], "voice": "narrator"})
    mentions = pd.DataFrame([{"article_id": "a", "sent_id": k, "text": text, "ner_label": label, "actor": "",
                              "actor_type": ""} for k, (text, label) in enumerate(rows)])
    found = {a.name: a for a in starter.actors(mentions, sentences)}
    # "Mr. Romney" goes where "Romney" went (Ann Romney, named twice, has no claim on 60 uses of it)
    assert found["Mitt Romney"].aliases == {"Mitt Romney": 10, "Mr. Romney": 16, "Romney": 60}
    assert not found["Mitt Romney"].short and "Mr. Romney" not in found


def _rows(rows: list[tuple[str, str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentences and mention rows of (sentence, mention text, NER label) triples, one article each."""
    sentences = pd.DataFrame({"article_id": [f"a{k}" for k in range(len(rows))], "sent_id": 0, "start": 0,
                              "text": [s for s, _, _ in rows], "voice": "narrator"})
    mentions = pd.DataFrame([{"article_id": f"a{k}", "sent_id": 0, "text": text, "ner_label": label, "actor": "",
                              "actor_type": ""} for k, (_, text, label) in enumerate(rows)])
    return sentences, mentions


def test_a_partys_adjective_members_and_nickname_are_one_party(tmp_path):
    # A new user's AllSides starter had "Republican", "GOP" and "House Republicans" (aliases "Republicans", typed a
    # person) as three actors, so "Republican strategist" and "Republicans said" went to different speakers.
    sentences, mentions = _rows(
        [("Republican leaders met on Tuesday.", "Republican", "NORP")] * 5
        + [("Republicans said the bill would fail.", "Republicans", "NORP")] * 4
        + [("The GOP conference is divided.", "GOP", "ORG")] * 3
        + [("House Republicans voted no.", "House Republicans", "NORP")] * 2)
    parsed = {"Republicans": starter.Evidence(uses=4, types=Counter({starter.SPEAKER: 4}))}
    found = {a.name: a for a in starter.actors(mentions, sentences, parsed=parsed)}
    party = found["Republican Party"]
    assert dict(party.aliases) == {"Republican": 5, "Republicans": 4, "GOP": 3} and party.type == "organisation"
    assert "House Republicans" in found and "Republicans" not in found["House Republicans"].aliases


def test_a_name_the_corpus_also_writes_in_lower_case_is_matched_as_written(tmp_path):
    # The same starter listed "House" as a plain alias, which the table matches in any case: 42 mentions of the
    # House were an ordinary house ("the house was destroyed"), 11 of "Democratic" a democratic process.
    sentences, mentions = _rows([("The House voted on Tuesday.", "House", "ORG")] * 6
                                + [("Trump spoke.", "Trump", "PERSON")] * 3
                                + [("The storm destroyed the house, and she played her trump card.", "", "")])
    mentions = mentions[mentions["text"] != ""]
    made = starter.Starter("s", "test", 1, starter.actors(mentions, sentences), pd.DataFrame(columns=["term"]),
                           pd.DataFrame(columns=["term"]))
    (tmp_path / "actors.yaml").write_text(starter._actors_yaml(made), encoding="utf-8")
    table = yaml.safe_load((tmp_path / "actors.yaml").read_text(encoding="utf-8"))["actors"]
    assert table["House"]["exact"] == ["House"] and "aliases" not in table["House"]
    nlp = spacy.blank("en")
    matcher = actors.matcher(nlp, actors.table(tmp_path / "actors.yaml"))
    doc = nlp("The House met after the storm destroyed the house, and Trump played his trump card.")
    found, _ = actors.matches(doc, matcher=matcher)
    assert [(doc.text[m.start:m.end], m.actor) for m in found] == [("House", "House"), ("Trump", "Trump")]


def test_a_form_the_shipped_table_writes_with_its_article_keeps_it(tmp_path):
    # A new user's starter listed "North" (from "the North", North Korea's exact alias): it matched North Dakota,
    # North Carolina and North America, a third of North Korea's mentions.
    sentences, mentions = _rows([("The North fired two missiles.", "The North", "")] * 4
                                + [("North Korea fired two missiles.", "North Korea", "GPE")] * 6)
    mentions = mentions.assign(actor="North Korea", actor_type="state")
    made = starter.Starter("s", "test", 1, starter.actors(mentions, sentences), pd.DataFrame(columns=["term"]),
                           pd.DataFrame(columns=["term"]))
    (tmp_path / "actors.yaml").write_text(starter._actors_yaml(made), encoding="utf-8")
    entry = yaml.safe_load((tmp_path / "actors.yaml").read_text(encoding="utf-8"))["actors"]["North Korea"]
    assert entry["exact"] == ["the North"] and "North" not in entry.get("aliases", [])
    nlp = spacy.blank("en")
    matcher = actors.matcher(nlp, actors.table(tmp_path / "actors.yaml"))
    doc = nlp("The North fired again, and North Dakota voted.")
    found, _ = actors.matches(doc, matcher=matcher)
    assert [(doc.text[m.start:m.end], m.actor) for m in found] == [("The North", "North Korea")]
