"""Tests for analysis.starter: the starter profile `framing new-story` writes."""
from __future__ import annotations

import pandas as pd
import pytest

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
    assert "Barack Obama" in actors.table(profile.actors).actors
    families = patterns.lexicon(profile.phrases)
    variants = {v["pattern"] for f in families.values() for v in f["variants"]}
    assert "reckless gamble" in variants and "reckless" not in variants  # the word only occurs in the phrase
    text = (folder / "phrases.yaml").read_text(encoding="utf-8")
    assert "uses in" in text and "#   e.g. The NRA called the proposal a reckless gamble" in text
    assert "# 4 mentions (NRA 3, National Rifle Association 1)" in (folder / "actors.yaml").read_text(encoding="utf-8")
    with pytest.raises(FileExistsError, match="--force"):
        starter.write(made, folder)
