"""Tests for analysis.discovery: loaded-term candidates and the evidence shown for each."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import discovery, patterns, profiles, tables


@pytest.fixture(scope="module")
def lex() -> dict:
    """The seeds' story lexicon on its own."""
    return patterns.lexicon(profiles.load("asian-nato").phrases, source="asian-nato")


NEUTRAL = ["The delegation met fisheries officials in the capital on Monday.",
           "Talks on fisheries and shipping continued through the week.",
           "The ministry published its annual report on fisheries.",
           "Both delegations agreed to discuss fisheries again after the summer."]
PLANTED = ["Officials called the drills an atrocious act of provocation.",
           "The statement condemned the atrocious drills near the border.",
           "Such atrocious moves will not be tolerated, the agency said.",
           "The sinister plot was exposed by the agency.",
           "The atrocious conduct continued."]


def corpus(texts: list[str], ids: list[str], **columns) -> pd.DataFrame:
    return pd.DataFrame({"article_id": ids, "sent_id": range(len(texts)), "start": 0, "text": texts, **columns})


def test_an_evaluative_term_is_proposed_and_a_topical_one_is_not(lex):
    texts = NEUTRAL * 5 + PLANTED
    ids = [f"n{k % 7}" for k in range(20)] + ["p1", "p1", "p2", "p3", "p4"]
    out = discovery.candidates(corpus(texts, ids), lexicon=lex, min_count=3, min_g2=3.84)
    row = out[out["term"] == "atrocious"].iloc[0]
    assert (row["count"], row["n_articles"]) == (4, 3)
    assert row["polarity"] < 0 and row["strength"] >= 0.3 and row["g2"] > 3.84
    assert row["example"] == PLANTED[0] and row["example_2"] == PLANTED[1]
    assert "fisheries" not in set(out["term"])  # frequent and key, but topical: no evaluative evidence
    assert "sinister" not in set(out["term"])  # already in the story lexicon
    tables.conform(out, "loaded_candidates")


def test_an_example_from_a_long_sentence_ends_on_a_whole_word_marked_as_cut(lex):
    # A paragraph the parser left as one sentence (a scraped list, a run-on transcript line)
    long = ("Officials called the drills an atrocious act of provocation and " + "warned again and again " * 20
            + "that the region would answer.")
    texts = NEUTRAL * 5 + [long] + PLANTED[1:]
    ids = [f"n{k % 7}" for k in range(20)] + ["p1", "p1", "p2", "p3", "p4"]
    row = discovery.candidates(corpus(texts, ids), lexicon=lex, min_count=3, min_g2=3.84).set_index("term")
    example = row.loc["atrocious", "example"]
    assert example.endswith(" …") and len(example) <= discovery.EXAMPLE_CHARS + 2
    assert long.startswith(example.removesuffix(" …")) and long[len(example) - 2] == " "  # cut at a space
    assert row.loc["atrocious", "example_2"] == PLANTED[1]  # a short sentence stays whole


def test_a_term_written_as_a_name_is_no_candidate_but_a_headlines_capitals_say_nothing(lex):
    # A film's title the entity recogniser missed, capitalised inside each sentence: a name, not a loaded term
    named = ["Viewers watched Horrible Bosses on Sunday.", "Critics panned Horrible Bosses again.",
             "Fans of Horrible Bosses gathered in Ohio."]
    headline = "Senate Condemns Atrocious Drills Near Border"  # title case: its capitals are the style, not a name
    texts = NEUTRAL * 5 + named + PLANTED + [headline]
    ids = [f"n{k % 7}" for k in range(20)] + ["f1", "f2", "f3", "p1", "p1", "p2", "p3", "p4", "h1"]
    out = discovery.candidates(corpus(texts, ids), lexicon=lex, min_count=3, min_g2=3.84).set_index("term")
    assert "horrible" not in out.index and "horrible bosses" not in out.index
    assert out.loc["atrocious", "count"] == 5  # the four planted uses and the headline's
    # in quote marks, capitals may be a slogan's: 'chanted "Death to America"' is read as before
    slogan = [f'Crowds in {c} chanted "Death to America" after prayers.' for c in ("Tehran", "Qom", "Isfahan")]
    out = discovery.candidates(corpus(NEUTRAL * 5 + slogan, ids[:23]), lexicon=lex, min_count=3, min_g2=3.84)
    assert {"death", "death to america"} & set(out["term"])
    # the same words in lower case are a candidate again
    lower = [t.replace("Horrible Bosses", "horrible bosses") for t in named]
    out = discovery.candidates(corpus(NEUTRAL * 5 + lower, ids[:23]), lexicon=lex, min_count=3, min_g2=3.84)
    assert "horrible bosses" in set(out["term"])


def test_scare_quotes_make_a_plain_word_a_candidate():
    texts = ['The government announced its "reforms" of the courts.',
             'Critics say the "reforms" gut judicial independence.',
             'The "reforms" passed on Tuesday.',
             "The reforms committee meets weekly.",
             "Opposition leaders met in the capital."]
    out = discovery.candidates(corpus(texts, ["a", "b", "c", "d", "e"]), min_count=3, min_g2=0)
    row = out[out["term"] == "reforms"].iloc[0]
    # "Critics say the "reforms"": a reporting word before the marks makes it the critics' words, not a scare quote
    assert row["count"] == 4 and row["scare_quote_rate"] == pytest.approx(0.5)
    assert row["quoted_rate"] == pytest.approx(0.75)


def test_quoted_voice_and_actor_company_are_evidence():
    texts = ["The ruthless regime must fall, the senator said.", "They are ruthless, she said.",
             "Ruthless tactics were used against Hale.", "The weather was mild.", "Rain fell on the city.",
             "The market opened late."]
    voices = ["quoted", "quoted", "narrator", "narrator", "narrator", "narrator"]
    mentions = pd.DataFrame({"article_id": ["a", "c"], "sent_id": [0, 2], "actor": ["Hale", "Hale"]})
    out = discovery.candidates(corpus(texts, list("abcdef"), voice=voices), mentions=mentions, min_count=3,
                               min_g2=0)
    row = out[out["term"] == "ruthless"].iloc[0]
    assert row["quoted_rate"] == pytest.approx(2 / 3)
    assert row["actor_rate"] == pytest.approx(2 / 3) and row["actor_lift"] == pytest.approx((2 / 3) / (2 / 6))


def test_multi_word_phrases_are_candidates_and_nested_ones_give_way():
    texts = ["They staged a reckless gamble with lives."] * 3 + ["Another reckless gamble followed."] + \
            ["The budget was approved."] * 4
    out = discovery.candidates(corpus(texts, list("abcdefgh")), min_count=3, min_articles=2, min_g2=0)
    terms = set(out["term"])
    assert "reckless gamble" in terms
    assert "reckless gamble with lives" not in terms or "reckless gamble" in terms
    row = out[out["term"] == "reckless gamble"].iloc[0]
    assert row["count"] == 4


def test_acronyms_are_case_sensitive_terms():
    texts = ["The US imposed brutal sanctions.", "Let us condemn brutal sanctions.",
             "The US called the brutal sanctions fair.", "A quiet day."]
    out = discovery.candidates(corpus(texts, list("abcd")), min_count=2, min_articles=1, min_g2=0,
                               min_strength=0.3)
    uses = list(discovery.occurrences(corpus(texts, list("abcd")), ["US", "brutal sanctions"]))
    assert [(t, a) for t, a, _, _ in uses if t == "US"] == [("US", "a"), ("US", "c")]
    assert all(texts["abcd".index(a)][s:e] == t for t, a, s, e in uses)
    assert "brutal sanctions" in set(out["term"])


def test_an_acronym_spelled_like_a_glue_word_is_a_term():
    # "OR" (Oregon) in scare quotes: a candidate whose only word is "or" in lower case must not stop the stage.
    texts = ['Voters in "OR" rejected it.', 'The "OR" ballot failed.', 'Officials in "OR" said so.', "A quiet day."]
    out = discovery.candidates(corpus(texts, list("abcd")), min_count=2, min_articles=1, min_g2=0)
    tables.conform(out, "loaded_candidates")
    assert "OR" in set(out["term"])


def _gram_by_definition(words: list, i: int, n: int, text: str):
    """The term rule spelled out for one n-gram: words next to each other (only spaces between), opening and
    closing on a content word, only content or glue words inside."""
    if i + n > len(words):
        return None
    part = words[i:i + n]
    if any(text[a[2]:b[1]].strip() for a, b in zip(part, part[1:])):
        return None
    if not (discovery._content(part[0][0]) and discovery._content(part[-1][0])):
        return None
    if any(not discovery._content(w) and w.lower() not in discovery._GLUE for w, _, _ in part[1:-1]):
        return None
    return " ".join(w for w, _, _ in part), part[0][1], part[-1][2]


def test_the_fast_ngrams_are_the_terms_the_rule_defines(seed_texts):
    texts = [line for text in seed_texts.values() for line in text.splitlines()] + [
        "an act of the aggression of US and U.S. forces", "the of the", "Stooges, puppets - and \"traitors\" of it",
        "OR AN of the war-mongering don't ‘rogue’ state"]
    grams = discovery._Grams()
    for text in texts:
        found = discovery._words(text)
        assert grams.words(text) == found
        for shortest in (1, 2):
            expected = [g for i in range(len(found)) for n in range(shortest, 4)
                        if (g := _gram_by_definition(found, i, n, text)) is not None]
            assert list(grams.of(found, text, longest=3, shortest=shortest)) == expected
    assert ("act of the aggression", 3, 24) in grams.of(discovery._words(texts[-4]), texts[-4], longest=4)


def test_words_of_a_name_are_no_candidates_but_a_loaded_word_inside_an_alias_is():
    # The names open the sentence, where capitals tell nothing (a name written inside one is no candidate anyway):
    # what leaves them out here is the mentions table alone.
    texts = ["United States and the Pyongyang regime traded threats."] * 4 + ["Talks were held."] * 4
    ids = list("abcdefgh")
    spans = [(t.index(name), t.index(name) + len(name)) for t in texts[:4] for name in ("United States",
                                                                                          "Pyongyang regime")]
    mentions = pd.DataFrame({"article_id": [i for i in ids[:4] for _ in range(2)], "sent_id": 0,
                             "start": [s for s, _ in spans], "end": [e for _, e in spans],
                             "actor": ["United States", "North Korea"] * 4})
    without = set(discovery.candidates(corpus(texts, ids), min_count=3, min_g2=0, min_strength=0.1)["term"])
    named = set(discovery.candidates(corpus(texts, ids), mentions=mentions, min_count=3, min_g2=0,
                                     min_strength=0.1)["term"])
    assert {"united", "united states"} & without and not {"united", "united states"} & named  # a name's words
    assert any("regime" in term.split() for term in named)  # lower case inside the alias: no name, still a term


def test_a_name_with_glue_words_inside_a_mention_is_no_candidate():
    texts = ["Ministry of Truth issued a statement on the drills."] * 4 + ["Talks were held."] * 4  # as above
    start = texts[0].index("Ministry")
    mentions = pd.DataFrame({"article_id": list("abcd"), "sent_id": 0, "start": start,
                             "end": start + len("Ministry of Truth"), "actor": "Ministry of Truth"})
    without = set(discovery.candidates(corpus(texts, list("abcdefgh")), min_count=3, min_g2=0,
                                       min_strength=0.1)["term"])
    named = set(discovery.candidates(corpus(texts, list("abcdefgh")), mentions=mentions, min_count=3, min_g2=0,
                                     min_strength=0.1)["term"])
    assert "ministry of truth" in without and "ministry of truth" not in named


def test_a_phrase_holding_a_name_is_no_candidate_but_its_loaded_word_is():
    # A new user's election corpus proposed "clinton win": a name and the word after it, which the rule for
    # whole names let through because "win" is lower case.
    texts = ["A Clinton win would be a disastrous blow, he said.", "Many feared a Clinton win.",
             "Polls showed a Clinton win ahead.", "The disastrous Biden regime fell."] * 2 + ["Talks were held."] * 4
    ids = [f"a{k}" for k in range(len(texts))]
    names = [(k, t.index(n), t.index(n) + len(n)) for k, t in enumerate(texts) for n in ("Clinton", "Biden") if n in t]
    mentions = pd.DataFrame({"article_id": [ids[k] for k, _, _ in names], "sent_id": 0,
                             "start": [s for _, s, _ in names], "end": [e for _, _, e in names], "actor": "x"})
    without = set(discovery.candidates(corpus(texts, ids), min_count=2, min_g2=0, min_strength=0.1)["term"])
    named = set(discovery.candidates(corpus(texts, ids), mentions=mentions, min_count=2, min_g2=0,
                                     min_strength=0.1)["term"])
    assert "clinton win" in without and any("biden" in term.split() for term in without)  # the rule is the cause
    assert not [term for term in named if {"clinton", "biden"} & set(term.split())]
    assert "disastrous" in named


def test_a_term_judged_not_loaded_is_not_proposed_again():
    texts = ["The brutal regime held a disastrous vote.", "A brutal and disastrous week."] * 3 + ["Talks."] * 4
    ids = [f"a{k}" for k in range(len(texts))]
    proposed = set(discovery.candidates(corpus(texts, ids), min_count=2, min_g2=0, min_strength=0.1)["term"])
    left = set(discovery.candidates(corpus(texts, ids), min_count=2, min_g2=0, min_strength=0.1,
                                    not_loaded=["Brutal", " disastrous  votes "])["term"])
    assert {"brutal", "brutal regime held", "brutal and disastrous", "disastrous vote"} <= proposed
    # "brutal" lends a phrase no strength any more ("brutal regime held" goes); "disastrous" still does
    assert not {"brutal", "brutal regime held", "disastrous vote"} & left
    assert {"brutal and disastrous", "disastrous week"} <= left


def test_a_phrase_only_inside_a_longer_one_is_dropped_and_no_other():
    df = pd.DataFrame({"term": ["puppet regime", "puppet", "regime", "war of aggression", "war", "aggression",
                                "of aggression"], "count": [4, 4, 9, 3, 3, 7, 3]})
    kept = discovery._without_nested(df)["term"].tolist()
    # "puppet" and "war" never occur outside their longer phrase (same count); "regime" and "aggression" do.
    assert kept == ["puppet regime", "regime", "war of aggression", "aggression"]
