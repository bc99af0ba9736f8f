"""Tests for analysis.discovery: loaded-term candidates."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import discovery, patterns, profiles, tables


@pytest.fixture(scope="module")
def lex() -> dict:
    """The seeds' story lexicon on its own (the general lexicon's families would change the counts pinned here)."""
    return patterns.lexicon(profiles.load("asian-nato").phrases, source="asian-nato")


def test_loaded_candidates_finds_a_planted_term(lex):
    neutral = ["The delegation met officials in the capital on Monday.",
               "Talks on trade and shipping continued through the week.",
               "The ministry published its annual report on fisheries.",
               "Both sides agreed to meet again after the summer."]
    planted = ["Officials called the drills an atrocious act of provocation.",
               "The statement condemned the atrocious drills near the border.",
               "Such atrocious moves will not be tolerated, the agency said.",
               "The sinister plot was exposed by the agency."]
    texts = neutral * 5 + planted + ["The atrocious conduct continued."]
    ids = [f"n{k % 7}" for k in range(20)] + ["p1", "p1", "p2", "p3", "p4"]
    sentences = pd.DataFrame({"article_id": ids, "sent_id": range(len(texts)), "start": 0, "text": texts})
    out = discovery.candidates(sentences, lexicon=lex, min_count=3, min_g2=3.84)
    row = out[out["term"] == "atrocious"].iloc[0]
    assert (row["count"], row["n_articles"]) == (4, 3)
    assert row["polarity"] < 0 and row["example"] == planted[0]
    assert "sinister" not in set(out["term"])  # already in the lexicon
    in_target = pd.Series([i.startswith("p") for i in ids])
    keyed = discovery.candidates(sentences, lexicon=lex, target=in_target, min_count=3, min_g2=3.84)
    assert "atrocious" in set(keyed["term"])
    tables.conform(keyed, "loaded_candidates")
