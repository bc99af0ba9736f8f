"""Tests for analysis.rhetoric: the lexicon and its pattern syntax, hits and their voice, the summaries.

The seed tests use hand-built sentences/quotes tables (from reading the seeds), not the quotes module, so they
pin the rhetoric logic on its own.
"""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import parses, patterns, profiles, rhetoric, tables, voice

SEED_000, SEED_001, SEED_002, SEED_003, SEED_004 = (
    "000_7a0cd52b09a6d4f5", "001_6e8327de55d568cf", "002_85103c6223975557", "003_b66772f92caee721",
    "004_a60133d9da8e9fef")


@pytest.fixture(scope="module")
def lex() -> dict:
    """The seeds' story lexicon on its own (the general lexicon's families would change the counts pinned here)."""
    return patterns.lexicon(profiles.load("asian-nato").phrases, source="asian-nato")


@pytest.fixture(scope="module")
def phrase_matcher(nlp, lex):
    return rhetoric.matcher(nlp, lex)


# ------------------------------------------------------------------------------------------- helpers


def quote(text: str, first: str, last: str | None = None, *, kind: str, speaker: str = "", cue: str = "",
          actor: str = "", after: str = "") -> dict:
    """A quotes row spanning from ``first`` to the end of ``last`` (searched after ``after``)."""
    start = text.index(first, text.index(after) if after else 0)
    end = text.index(last, start) + len(last) if last else start + len(first)
    return {"start": start, "end": end, "text": text[start:end], "kind": kind, "speaker": speaker,
            "speaker_actor": actor, "cue": cue}


def quotes_frame(article_id: str, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["start", "end", "text", "kind", "speaker", "speaker_actor", "cue"])
    df = df.sort_values("start", kind="stable").reset_index(drop=True)  # quote ids count in text order
    return df.assign(article_id=article_id, quote_id=[f"{article_id}/q{k}" for k in range(len(df))])


def sentences_frame(doc, article_id: str, *, headline: bool = False) -> pd.DataFrame:
    """Sentences clipped to paragraphs; the first paragraph is the headline when ``headline``."""
    rows, text = [], doc.text
    paragraphs = [p for p in _paragraph_spans(text) if text[p[0]:p[1]].strip()]
    for number, (lo, hi) in enumerate(paragraphs):
        for sent in doc.char_span(lo, hi, alignment_mode="expand").sents:
            s, e = max(sent.start_char, lo), min(sent.end_char, hi)
            if not text[s:e].strip():
                continue
            position = ("headline" if headline and number == 0
                        else "lede" if number == (1 if headline else 0) else "body")
            rows.append({"article_id": article_id, "sent_id": len(rows), "start": s, "end": e,
                         "paragraph": number, "position": position, "text": text[s:e]})
    return pd.DataFrame(rows)


def _paragraph_spans(text: str):
    lo = 0
    for line in text.split("\n"):
        yield lo, lo + len(line)
        lo += len(line) + 1


def seed_quotes(stem: str, text: str) -> list[dict]:
    """Quotes of each seed as I read them: direct (said/reported), partial, indirect (reported speech)."""
    ministry = "North Korean Foreign Ministry"
    q = {
        SEED_000: lambda: [
            # The lede's accusation is the outlet's own summary: no quote row, so its "Asian NATO" is a scare quote.
            quote(text, "joint drills between", "toward North Korea", kind="indirect", speaker="KCNA",
                  cue="According to", actor="KCNA"),
            quote(text, "sinister aim", kind="partial", speaker="KCNA", cue="According to", actor="KCNA"),
            quote(text, "The US is getting hell-bent", "of NATO,", kind="direct", speaker="KCNA", cue="reported",
                  actor="KCNA"),
            quote(text, "America of fomenting", "Cold War", kind="indirect", speaker="KCNA", cue="accusing",
                  actor="KCNA"),
            quote(text, "NATO was to blame", "calm in the Pacific", kind="indirect", speaker="Kim Hyo-myung",
                  cue="claimed"),
            quote(text, "joint military drills with South Korea", "without conditions", kind="indirect",
                  speaker="North Korea's Foreign Ministry", cue="said", actor=ministry),
        ],
        SEED_001: lambda: [
            quote(text, "the US, Japan, and South Korea of forming", "mirrors NATO", kind="indirect",
                  speaker="The North Korean Foreign Ministry", cue="accused", actor=ministry),
            quote(text, "strongly denounced", kind="partial", speaker="Pyongyang", actor=ministry),
            quote(text, "reckless and provocative military muscle-flexing", kind="partial", speaker="Pyongyang",
                  cue="called", actor=ministry),
            quote(text, "promote trilateral", "stability,", kind="partial", speaker="the US Navy",
                  cue="according to"),
            quote(text, "the US’s true objective", "independent states", kind="indirect",
                  speaker="The North Korean Foreign Ministry", cue="alleges", actor=ministry),
            quote(text, "world domination", kind="partial", speaker="The North Korean Foreign Ministry",
                  cue="alleges", actor=ministry),
            quote(text, "has already crossed the red-line", "environment.", kind="partial",
                  speaker="the statement", cue="asserts", actor=ministry),
            quote(text, "the Freedom Edge drill was an attempt", "one of the three.", kind="indirect",
                  speaker="Pyongyang", cue="maintains", actor=ministry),
            quote(text, "This means that", "[of] NATO,", kind="direct", speaker="the ministry", cue="emphasized",
                  actor=ministry),
            quote(text, "them as rehearsals", "potential invasion", kind="indirect", speaker="North Korea",
                  cue="viewing"),
            quote(text, "the US-led military bloc has no plans", "far beyond", kind="indirect",
                  speaker="NATO Secretary General Jens Stoltenberg", cue="declared"),
        ],
        SEED_002: lambda: [
            quote(text, "the United States of setting up", "NATO in Asia", kind="indirect", speaker="North Korea",
                  cue="accused"),
            quote(text, "the unwavering US aim", "stronger defenses", kind="indirect", speaker="North Korea",
                  cue="saying"),
            quote(text, "While blatantly", "Asia-style NATO,", kind="direct",
                  speaker="North Korea's foreign ministry", cue="said", actor=ministry),
            quote(text, "such drills were preparation", "overthrowing it", kind="indirect", speaker="North Korea",
                  cue="repeated its assertion"),
            quote(text, "This proves the hypocrisy", "by force,", kind="direct", speaker="the North Korean ministry",
                  cue="said", actor=ministry),
            quote(text, "US hostility compelled", "its defenses", kind="indirect",
                  speaker="the North Korean ministry", cue="said", actor=ministry),
            quote(text, "The reality", "United States", kind="direct", speaker="the North Korean ministry",
                  cue="said", actor=ministry, after="The reality"),
            quote(text, "at any time without preconditions", kind="partial", speaker="The United States",
                  cue="offered"),
        ],
        SEED_003: lambda: [
            quote(text, "Washington of trying", "similar to NATO", kind="indirect", speaker="Pyongyang",
                  cue="accusing"),
            # Reuters reports [the ministry accusing [...]]: the innermost quote decides.
            quote(text, "North Korea’s foreign ministry issued", "the NATO alliance", kind="indirect",
                  speaker="Reuters", cue="reports"),
            quote(text, "the United States of setting up", "the NATO alliance", kind="indirect",
                  speaker="North Korea’s foreign ministry", cue="accusing", actor=ministry),
            quote(text, "While blatantly", "Asia-style NATO,", kind="direct", speaker="the ministry", cue="said",
                  actor=ministry),
            quote(text, "This proves the hypocrisy", "by force,", kind="direct", speaker="the statement",
                  cue="said", actor=ministry),
            quote(text, "its regular missile tests", "overthrow its order", kind="indirect", speaker="North Korea",
                  cue="insisted"),
            quote(text, "US hostility had pushed", "its defenses", kind="indirect", speaker="The ministry",
                  cue="added", actor=ministry),
            quote(text, "aggression moves", kind="partial", speaker="North Korea", cue="vowed"),
            quote(text, "revenge", kind="partial", speaker="North Korean state media KCNA", cue="reported",
                  actor="KCNA", after="workers’"),
            quote(text, "imperialists", kind="partial", speaker="North Korean state media KCNA", cue="reported",
                  actor="KCNA"),
        ],
        SEED_004: lambda: [
            quote(text, "by bolstering their trilateral", "Asian version", kind="indirect",
                  speaker="the North Korean Foreign Ministry", cue="said", actor=ministry),
            quote(text, "NATO of Asian version", kind="partial", speaker="the North Korean Foreign Ministry",
                  cue="said", actor=ministry),
            quote(text, "The US is now claiming", "aggressive bloc,", kind="direct", speaker="the statement",
                  cue="said", actor=ministry),
            quote(text, "the North Korean Foreign Ministry strongly condemned", "lay siege to China.",
                  kind="indirect", speaker="TASS", cue="According to"),
            quote(text, "escalate regional", "lay siege to China.", kind="partial",
                  speaker="the North Korean Foreign Ministry", cue="describing", actor=ministry),
            quote(text, "reminiscent of NATO", "attack on all.", kind="partial", speaker="The ministry",
                  cue="pointed out", actor=ministry),
            quote(text, "As NATO stages", "Asian-version NATO,", kind="direct", speaker="The ministry", cue="said",
                  actor=ministry),
            quote(text, "overlook the moves", "countermeasures,", kind="partial",
                  speaker="The North Korean Foreign Ministry", cue="pledged", actor=ministry),
        ],
    }
    return q[stem]()


@pytest.fixture(scope="module")
def seed_hits(nlp, lex, phrase_matcher, seed_texts) -> dict[str, pd.DataFrame]:
    out = {}
    for stem, text in seed_texts.items():
        doc = nlp(text)
        out[stem] = rhetoric.hits(doc, matcher=phrase_matcher, lexicon=lex, article_id=stem,
                                  sentences=sentences_frame(doc, stem, headline=stem == SEED_001),
                                  quotes=quotes_frame(stem, seed_quotes(stem, text)))
    return out


def run(nlp, lex, phrase_matcher, text: str, quotes: list[dict] | None = None, **options) -> pd.DataFrame:
    doc = nlp(text)
    return rhetoric.hits(doc, matcher=phrase_matcher, lexicon=lex, article_id="a",
                         sentences=sentences_frame(doc, "a"), quotes=quotes_frame("a", quotes or []), **options)


# ----------------------------------------------------------------------------------- seeds: Asian NATO

ASIAN_NATO = {  # (matched text, variant, voice) of every Asian NATO wording in each seed
    SEED_000: {("Asian NATO", "asian_nato.asian_nato", "scare_quote"),
               ("Asian version' of NATO", "asian_nato.version_of", "direct_quote")},
    SEED_001: {("Asian NATO", "asian_nato.asian_nato", "scare_quote"),
               ("military alliance in Asia that mirrors NATO", "asian_nato.alliance_in_asia_like_nato", "paraphrase"),
               ("Asian version [of] NATO", "asian_nato.version_of", "direct_quote")},
    SEED_002: {("military alliance like NATO in Asia", "asian_nato.alliance_like_nato_in_asia", "paraphrase"),
               ("Asia-style NATO", "asian_nato.asia_style", "direct_quote")},
    SEED_003: {("military alliance in Asia similar to NATO", "asian_nato.alliance_in_asia_like_nato", "paraphrase"),
               ("military alliance in Asia similar to the NATO alliance", "asian_nato.alliance_in_asia_like_nato",
                "paraphrase"),
               ("Asia-style NATO", "asian_nato.asia_style", "direct_quote")},
    SEED_004: {("NATO of Asian version", "asian_nato.nato_of_asian_version", "partial_quote"),
               ("NATO of Asian version", "asian_nato.nato_of_asian_version", "direct_quote"),
               ("Asian-version NATO", "asian_nato.asia_style", "direct_quote")},
}


@pytest.mark.parametrize("stem", sorted(ASIAN_NATO))
def test_every_asian_nato_wording_in_the_seeds_is_found_with_its_voice(seed_hits, stem):
    h = seed_hits[stem]
    found = h[h["family"] == "asian_nato"]
    assert set(zip(found["matched_text"], found["variant"], found["voice"])) == ASIAN_NATO[stem]
    assert len(found) == len(ASIAN_NATO[stem])


def test_seed_speakers_come_from_the_quote_that_carries_the_hit(seed_hits):
    h = seed_hits[SEED_003]
    para = h[h["variant"] == "asian_nato.alliance_in_asia_like_nato"].sort_values("start")
    # the second paraphrase sits inside "Reuters reports that ..." too: the innermost quote wins
    assert para["speaker"].tolist() == ["Pyongyang", "North Korea’s foreign ministry"]
    h4 = seed_hits[SEED_004]
    lede = h4[(h4["family"] == "asian_nato") & (h4["voice"] == "partial_quote")].iloc[0]
    assert (lede["speaker"], lede["speaker_actor"]) == ("the North Korean Foreign Ministry",
                                                        "North Korean Foreign Ministry")
    assert lede["quote_id"] == f"{SEED_004}/q1"


def test_stooges_is_kcnas_direct_quote(seed_hits):
    h = seed_hits[SEED_000]
    row = h[h["matched_text"] == "stooges"].iloc[0]
    assert (row["family"], row["variant"], row["voice"]) == ("epithets", "epithets.stooge", "direct_quote")
    assert (row["speaker"], row["speaker_actor"]) == ("KCNA", "KCNA")
    assert row["quote_id"] == f"{SEED_000}/q2"
    assert "Name_Calling-Labeling" in row["techniques"].split(";")


def test_headline_use_is_flagged(seed_hits, seed_texts):
    h = seed_hits[SEED_001]
    headline = h[h["in_headline"]]
    assert headline[["matched_text", "family", "voice", "position"]].values.tolist() == [
        ["Asian NATO", "asian_nato", "scare_quote", "headline"]]
    assert headline["end"].iat[0] < seed_texts[SEED_001].index("\n")
    assert set(h.loc[~h["in_headline"], "position"]) <= {"lede", "body"}
    assert not any(seed_hits[s]["in_headline"].any() for s in seed_hits if s != SEED_001)


def test_seed_hits_match_the_schema_and_offsets(seed_hits, seed_texts):
    for stem, h in seed_hits.items():
        tables.conform(h, "hits")
        text = seed_texts[stem]
        assert all(text[s:e] == m for s, e, m in zip(h["start"], h["end"], h["matched_text"]))
        assert (h["sent_id"] >= 0).all()


def test_other_seed_families(seed_hits):
    pairs = {(r.family, r.matched_text, r.voice) for h in seed_hits.values() for r in h.itertuples()}
    assert {("hypocrisy", "hypocrisy", "paraphrase"), ("hypocrisy", "hypocrisy", "direct_quote"),
            ("fear_appeal", "new Cold War", "paraphrase"), ("fear_appeal", "dangerous prelude to the creation", "direct_quote"),
            ("hostile_wording", "sinister", "partial_quote"), ("hostile_wording", "hell-bent", "direct_quote"),
            ("hostile_wording", "muscle-flexing", "partial_quote"), ("hostile_wording", "world domination",
                                                                     "partial_quote"),
            ("hostile_wording", "aggressive bloc", "direct_quote"), ("epithets", "its followers", "partial_quote"),
            ("epithets", "imperialists", "partial_quote"), ("aggression_label", "aggression moves", "partial_quote"),
            ("military_bloc", "military bloc", "paraphrase"),
            ("forced_response", "pushed the isolated nation to develop its defenses", "paraphrase"),
            ("pariah_label", "isolated nation", "paraphrase")} <= pairs


# ----------------------------------------------------------------------------------------------- voice

SAID = {"kind": "indirect", "speaker": "The ministry", "cue": "said"}


@pytest.mark.parametrize("text, rows, expected", [
    ("Officials in Seoul warned of an Asian NATO forming.", [], ("narrator", "")),
    ('Critics fear an "Asian NATO" is forming in the region.', [], ("scare_quote", "")),
    ("Seoul rejects the ‘Asian NATO’ idea.", [], ("scare_quote", "")),
    ('Seoul rejects the so-called "Asian NATO" idea.', [], ("scare_quote", "")),
    # a reporting word right before the marks attributes them, even with no quote row
    ('The ministry condemned what it called "an Asian NATO" in the region.', [], ("partial_quote", "")),
    ('Allies are building "an Asian NATO", the ministry said on Sunday.', [], ("partial_quote", "")),
    # a whole sentence in marks with no row is still a direct quote
    ('"The United States is building an Asian NATO to encircle us all," it added.', [], ("direct_quote", "")),
    ('The ministry warned of an "Asian NATO" in the region.',
     [("Asian NATO", None, {"kind": "partial", "speaker": "The ministry", "cue": "warned"})],
     ("partial_quote", "The ministry")),
    ("The ministry said the drills were a step toward an Asian NATO.",
     [("the drills", "Asian NATO", SAID)], ("paraphrase", "The ministry")),
    # marks inside reported speech: the speaker's own words, quoted
    ('The ministry said the drills built an "Asian NATO" in the region.',
     [("the drills", "the region", SAID)], ("partial_quote", "The ministry")),
    # a partial row with no speaker, no cue and few words is a scare quote (and carries no quote_id)
    ('Critics fear an "Asian NATO" is forming.',
     [("Asian NATO", None, {"kind": "partial"})], ("scare_quote", "")),
    ('"The drills build an Asian NATO," the ministry said.',
     [("The drills", "NATO,", {"kind": "direct", "speaker": "the ministry", "cue": "said"})],
     ("direct_quote", "the ministry")),
])
def test_voice_of_a_hit(nlp, lex, phrase_matcher, text, rows, expected):
    quotes = [quote(text, first, last, **spec) for first, last, spec in rows]
    h = run(nlp, lex, phrase_matcher, text, quotes)
    row = h[h["family"] == "asian_nato"].iloc[0]
    assert (row["voice"], row["speaker"]) == expected
    assert (row["quote_id"] == "") == (row["voice"] in ("narrator", "scare_quote") or not rows)


# ------------------------------------------------------------------------------------ lexicon, syntax


@pytest.mark.parametrize("phrase", [
    "Asian NATO", "‘Asian NATO’", "Asia-style NATO", "‘Asian version' of NATO", "Asian version [of] NATO",
    "NATO of Asian version", "Asian-version NATO", "a military alliance like NATO in Asia",
    "a military alliance in Asia that mirrors NATO", "a military alliance in Asia similar to NATO",
    "a military alliance in Asia similar to the NATO alliance", "a NATO-like alliance", "an Asia-Pacific NATO",
    "a mini-NATO", "a security pact in Asia modelled on NATO", "a NATO in Asia", "a NATO-like alliance in Asia",
    "a NATO-style bloc in the Asia-Pacific", "an Asian equivalent of NATO", "a new NATO for the Indo-Pacific",
    'an "Asian NATO" led by Washington',
])
def test_shipped_asian_nato_family_tolerates_spelling(nlp, lex, phrase_matcher, phrase):
    h = run(nlp, lex, phrase_matcher, f"They warned of {phrase} today.")
    assert (h["family"] == "asian_nato").sum() == 1


def test_lemma_expansion_never_turns_a_pattern_word_into_another_word(nlp):
    lex = {"t": {"id": "t", "label": "t", "category": "c", "techniques": [], "note": "", "exclude": [],
                 "variants": [{"id": f"t.{w}", "local_id": w, "pattern": w,
                               "token_patterns": patterns.compile_pattern(w)} for w in ("leader", "follower", "flexing")]}}
    m = rhetoric.matcher(nlp, lex)
    found = lambda text: [s.text for _, _, s in rhetoric.spans(nlp(text), matcher=m, lexicon=lex)]  # noqa: E731
    assert found("She will lead the talks. It follows that he led them too.") == []
    assert found("The leaders met their followers.") == ["leaders", "followers"]
    assert found("Seoul flexes its muscles.") == ["flexes"]  # an inflected pattern word still finds its lemma


def test_the_lemmatizers_answers_are_kept_for_the_next_matcher_and_give_the_same_hits(nlp, lex, seed_texts,
                                                                                    tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path))
    doc = nlp(seed_texts[SEED_002])
    first = [(k, s.start, s.end) for k, _, s in rhetoric.spans(doc, matcher=rhetoric.matcher(nlp, lex), lexicon=lex)]
    kept = list(tmp_path.glob("lemmas-en_core_web_sm*.json"))
    assert len(kept) == 1 and '"NOUN stooges": ["stooge"]' in kept[0].read_text(encoding="utf-8")

    def asked(token):
        raise AssertionError(f"the rule lemmatizer was asked about {token.text!r} again")

    monkeypatch.setattr(nlp.get_pipe("lemmatizer"), "rule_lemmatize", asked)
    again = rhetoric.matcher(nlp, lex)  # every answer comes from the kept file
    assert [(k, s.start, s.end) for k, _, s in rhetoric.spans(doc, matcher=again, lexicon=lex)] == first != []
    kept[0].write_text("not json", encoding="utf-8")  # a damaged file is asked again, not an error
    monkeypatch.undo()
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path))
    assert [(k, s.start, s.end) for k, _, s in rhetoric.spans(doc, matcher=rhetoric.matcher(nlp, lex),
                                                             lexicon=lex)] == first


@pytest.mark.parametrize("text, family", [
    ("Japan is one of the Asia-Pacific NATO partners.", "asian_nato"),
    ("They hailed the anti-imperialist struggle.", "epithets"),
    ("Cooperation continues whether the regime is replaced or not.", "pariah_label"),
])
def test_exclude_drops_a_known_false_positive(nlp, lex, phrase_matcher, text, family):
    assert family not in set(run(nlp, lex, phrase_matcher, text)["family"])
    kept = run(nlp, lex, phrase_matcher, text.replace("anti-", "").replace(" partners", "").replace(" is replaced", ""))
    assert family in set(kept["family"])


def test_scan_finds_the_hits_of_every_article(nlp, lex):
    articles = pd.DataFrame({"article_id": ["a", "b", "c"], "text": [
        "Pyongyang denounced an Asian NATO.", "Nothing here.", "Its stooges and puppets gathered."]})
    h = rhetoric.scan(articles, nlp=nlp, lexicon=lex)
    assert h[["article_id", "matched_text"]].values.tolist() == [
        ["a", "Asian NATO"], ["c", "stooges"], ["c", "puppets"]]
    assert (h["sent_id"] == -1).all() and (h["voice"] == "narrator").all()


def _whole_lexicon_matcher(nlp, lex, phrase_matcher):
    """The same compiled patterns in one plain spaCy Matcher, run on whole docs: what the stage did before."""
    from spacy.matcher import Matcher

    plain = Matcher(nlp.vocab)
    for (fid, family), compiled in zip(lex.items(), phrase_matcher.families):
        keys = [f"{fid}/{v['id']}" for v in family["variants"]] + [f"{fid}/!exclude{k}"
                                                                   for k in range(len(family["exclude"]))]
        for key in keys:
            plain.add(key, compiled.matcher.get(key)[1])
    return plain


def test_matching_only_near_anchors_finds_what_whole_docs_give(nlp, lex, phrase_matcher, seed_texts):
    plain = _whole_lexicon_matcher(nlp, lex, phrase_matcher)
    total = 0
    for doc in nlp.pipe(seed_texts.values()):
        assert sorted(phrase_matcher(doc)) == sorted(plain(doc))
        total += len(plain(doc))
    assert total > 30  # the seeds are full of the lexicon's phrases: the comparison is not vacuous
    # Lemmas but no sentence boundaries: the whole doc is matched.
    unsegmented = nlp("They formed an Asian NATO. Then an Asia-style NATO.", disable=["parser", "paragraph_sentences"])
    assert sorted(phrase_matcher(unsegmented)) == sorted(plain(unsegmented)) != []


def test_a_phrase_cut_by_a_sentence_boundary_is_still_found(nlp, lex, phrase_matcher):
    # Seed 001: the parser ends a sentence inside "Asian version [of] NATO"; the stage takes that boundary as given.
    text = "Relations took on the appearance of Asian version [of] NATO, the ministry emphasized."
    doc = parses.stored_form(nlp(text))  # as the stage reads it: no parse, sentences from the tagging stage
    cut = text.index("[of]")
    rhetoric._set_sentences(doc, pd.DataFrame({"start": [0, cut]}))
    assert [s.start_char for s in doc.sents] == [0, cut]
    found = [(fid, s.text) for fid, _, s in rhetoric.spans(doc, matcher=phrase_matcher, lexicon=lex)]
    assert ("asian_nato", "Asian version [of] NATO") in found


def test_the_anchor_of_a_pattern_is_its_rarest_required_word():
    pattern = patterns.compile_pattern("the stooge of the [united] states")[0]
    assert {w.lower() for w in rhetoric._anchor(pattern)["LEMMA"]["IN"]} >= {"stooge"}
    assert rhetoric._anchor([{"ORTH": "-", "OP": "?"}, {"ORTH": "x"}]) is None  # no word token: match anywhere


def test_overlap_is_resolved_longest_first(nlp, lex, phrase_matcher):
    text = "The US pushed the isolated nation to develop its defenses with an aggressive bloc."
    h = run(nlp, lex, phrase_matcher, text)
    assert "aggressive" not in set(h["matched_text"])  # "aggressive bloc" wins within its family
    assert {"pariah_label", "forced_response"} <= set(h["family"])  # families may overlap ...
    h_all = run(nlp, lex, phrase_matcher, text, overlap="all")
    assert "pariah_label" not in set(h_all["family"])  # ... unless overlap="all"


# ------------------------------------------------------------------------------------- offsets property

PIECES = ["Asian", "NATO", "Asia-style", "version", "of", "[of]", "‘", "’", "'", '"', "“", "”", "-", "stooges",
          "hell-bent", "new Cold War", "military alliance in Asia similar to", "\n", "  ", ".", ",", "NATO’s", "é"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=25),
       st.sampled_from(["", " "]))
def test_hit_offsets_always_index_the_text(nlp, lex, phrase_matcher, pieces, sep):
    text = sep.join(pieces)
    doc = nlp(text)
    h = rhetoric.hits(doc, matcher=phrase_matcher, lexicon=lex, article_id="x", sentences=None, quotes=None)
    assert all(text[s:e] == m and s < e for s, e, m in zip(h["start"], h["end"], h["matched_text"]))
    assert set(h["voice"]) <= set(voice.VOICES)


# -------------------------------------------------------------------------------------------- summaries


def hit_rows(rows: list[tuple]) -> pd.DataFrame:
    cols = ["article_id", "family", "voice", "in_headline", "start", "end"]
    return tables.conform(pd.DataFrame(rows, columns=cols), "hits", fill=True)


def test_adoption_index_by_outlet_family_and_headline():
    articles = pd.DataFrame({"article_id": ["a", "b", "c"], "outlet": ["Reuters", "Reuters", ""],
                             "text": ["x" * 100] * 3})
    h = hit_rows([("a", "asian_nato", "narrator", False, 0, 1), ("a", "asian_nato", "scare_quote", False, 5, 6),
                  ("b", "asian_nato", "narrator", False, 0, 1), ("b", "asian_nato", "direct_quote", False, 9, 10),
                  ("b", "asian_nato", "scare_quote", True, 0, 1), ("c", "hypocrisy", "paraphrase", False, 3, 4),
                  ("zz", "hypocrisy", "narrator", False, 3, 4)])
    out = rhetoric.adoption(h, articles).set_index(["outlet", "family", "in_headline"])
    body = out.loc[("Reuters", "asian_nato", False)]
    assert (body["n"], body["n_narrator"], body["n_scare_quote"], body["n_direct_quote"]) == (4, 2, 1, 1)
    assert body["adoption_index"] == pytest.approx(0.5)
    assert out.loc[("Reuters", "asian_nato", True), "adoption_index"] == 0.0
    unknown = out.loc[("(unknown)", "hypocrisy", False)]  # empty outlet and an article missing from articles
    assert (unknown["n"], unknown["n_paraphrase"], unknown["n_narrator"]) == (2, 1, 1)
    assert len(out) == 3




def test_the_matcher_reaches_across_any_number_of_quote_marks(nlp, lex, phrase_matcher):
    # A phrase may hold any number of quote marks and brackets between its words: the matcher's window around an
    # anchor does not count them, so a phrase padded with many is still found, as on the whole doc.
    plain = _whole_lexicon_matcher(nlp, lex, phrase_matcher)
    padded = "Officials warned of an ' \" “ ‘ ( [ Asian ] ) ” ’ \" ' - NATO - ' \" today."
    for text in (padded, f"{padded}\nNothing else.\n{padded} Again an Asian-NATO."):
        doc = nlp(text)
        assert sorted(phrase_matcher(doc)) == sorted(plain(doc))
        assert "asian_nato" in {fid for fid, _, _ in rhetoric.spans(doc, matcher=phrase_matcher, lexicon=lex)}


def test_reach_counts_pattern_words_and_gaps_but_not_free_marks():
    reach, free = rhetoric._reach(patterns.compile_pattern("the stooge ...2 of [the] states"))
    assert reach == 7 and "“" in free  # the, stooge, a gap of up to 2, of, the (optional), states
    assert rhetoric._reach([[{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "+"}]]) == (None, set())  # unbounded words
