"""Quote extraction: the seed verdicts, every attribution and mark form on small texts, and properties on any text."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import quotes, stance, tables

SEED_000 = "000_7a0cd52b09a6d4f5"
SEED_001 = "001_6e8327de55d568cf"
SEED_002 = "002_85103c6223975557"
SEED_003 = "003_b66772f92caee721"
SEED_004 = "004_a60133d9da8e9fef"


@pytest.fixture(scope="module")
def seed_docs(nlp, seed_texts):
    """Each seed parsed once, with its quotes."""
    docs = dict(zip(seed_texts, nlp.pipe(seed_texts.values())))
    return {stem: (doc, quotes.extract(doc)) for stem, doc in docs.items()}


def one(found: list[quotes.Quote], starts: str) -> quotes.Quote:
    """The single quote whose text starts with ``starts``."""
    hits = [q for q in found if q.text.startswith(starts)]
    assert len(hits) == 1, f"{len(hits)} quotes start with {starts!r}: {[q.text[:40] for q in found]}"
    return hits[0]


def run(nlp, text: str) -> list[quotes.Quote]:
    return quotes.extract(nlp(text))


# ------------------------------------------------------------------------------------------- seed verdicts

def test_seed_000_two_sentence_quote_is_one_direct_quote_by_kcna(seed_docs):
    doc, found = seed_docs[SEED_000]
    q = one(found, "The US is getting hell-bent")
    assert q.text.endswith("‘Asian version' of NATO")  # nested mixed marks stay inside, the comma outside
    assert (q.kind, q.speaker, q.cue, q.cue_lemma, q.unbalanced) == ("direct", "KCNA", "reported", "report", False)
    voices = [v for v in quotes.sentence_voice(doc, found) if q.start <= v["end"] and v["start"] <= q.end]
    assert len(voices) == 2 and {v["voice"] for v in voices} == {"quoted"}
    assert {found[v["quote_id"]].text for v in voices} == {q.text} and {v["speaker"] for v in voices} == {"KCNA"}


def test_seed_000_partial_quotes_and_their_sources(seed_docs):
    _, found = seed_docs[SEED_000]
    aim = one(found, "sinister aim")
    assert aim.kind == "partial" and "KCNA" in aim.speaker and aim.cue_lemma == "according to"
    scare = one(found, "Asian NATO")
    assert scare.kind == "partial" and scare.start < 200  # the first sentence's "Asian NATO"


def test_seed_000_indirect_quotes(seed_docs):
    doc, found = seed_docs[SEED_000]
    claim = one(found, "NATO was to blame")
    assert (claim.kind, claim.speaker, claim.cue_lemma) == ("indirect", "Kim Hyo-myung", "claim")
    said = one(found, "joint military drills with South Korea and Japan demonstrated")
    assert (said.kind, said.speaker, said.cue) == ("indirect", "North Korea's Foreign Ministry", "said")
    assert doc.text[said.speaker_start:said.speaker_end] == said.speaker


def test_seed_001_closing_mark_used_as_opener(seed_docs):
    _, found = seed_docs[SEED_001]
    q = one(found, "This means that the US-Japan-ROK [South Korea]")
    assert q.text.endswith("Asian version [of] NATO")
    assert (q.kind, q.cue, q.cue_lemma, q.unbalanced) == ("direct", "emphasized", "emphasize", False)
    assert "ministry" in q.speaker.lower()


def test_seed_001_partial_quotes(seed_docs):
    _, found = seed_docs[SEED_001]
    denounced = one(found, "strongly denounced")
    assert (denounced.kind, denounced.speaker, denounced.cue_lemma) == ("partial", "Pyongyang", "denounce")
    called = one(found, "reckless and provocative military muscle-flexing")
    assert (called.kind, called.speaker, called.cue_lemma) == ("partial", "Pyongyang", "call")  # "what it called"
    assert one(found, "world domination").cue_lemma == "allege"
    assert one(found, "Asian NATO").kind == "partial"  # the headline's single marks


def test_seed_001_possessive_apostrophes_are_not_marks(seed_docs):
    doc, found = seed_docs[SEED_001]
    marked = [q for q in found if q.kind != "indirect"]
    assert not any(q.text.startswith(("s ", "actions")) for q in marked)  # countries’ actions, US’s, NATO’s
    assert not any(doc.text[q.start - 1:q.start] == "’" and doc.text[q.start - 2:q.start - 1].isalpha()
                   for q in marked)


def test_seed_002_direct_quotes_and_it_said(seed_docs):
    doc, found = seed_docs[SEED_002]
    first = one(found, "While blatantly holding")
    assert (first.kind, first.speaker, first.cue) == ("direct", "North Korea's foreign ministry", "said")
    reality = one(found, "The reality ...")
    assert reality.kind == "direct" and reality.speaker == "North Korea's foreign ministry"
    assert reality.speaker_start < reality.start  # "it" resolved to the earlier mention
    assert not any(q.text == "diplomatic engagement" for q in found)  # nested in the direct quote
    assert one(found, "at any time without preconditions").kind == "partial"


def test_seed_003_said_the_ministry_and_said_the_statement(seed_docs):
    _, found = seed_docs[SEED_003]
    ministry = one(found, "While blatantly holding")
    assert (ministry.kind, ministry.cue) == ("direct", "said") and "ministry" in ministry.speaker.lower()
    statement = one(found, "This proves the hypocrisy")
    assert (statement.kind, statement.cue) == ("direct", "said") and "ministry" in statement.speaker.lower()
    assert {one(found, w).speaker for w in ("revenge", "imperialists")} == {"North Korean state media KCNA"}


def test_seed_004_statement_and_it_resolve_to_the_ministry(seed_docs):
    doc, found = seed_docs[SEED_004]
    claiming = one(found, "The US is now claiming")
    assert (claiming.kind, claiming.cue) == ("direct", "said") and "Foreign Ministry" in claiming.speaker
    stages = one(found, "As NATO stages annual joint military drills")
    assert stages.kind == "direct" and "This means" in stages.text and "Foreign Ministry" in stages.speaker
    assert one(found, "escalate regional military tensions").kind == "partial"
    assert one(found, "reminiscent of NATO’s principle").cue_lemma == "point out"
    tass = one(found, "the North Korean Foreign Ministry strongly condemned")
    assert (tass.kind, tass.speaker, tass.cue_lemma) == ("indirect", "TASS", "according to")


def test_seed_offsets_index_the_text(seed_docs):
    for doc, found in seed_docs.values():
        assert found and all(doc.text[q.start:q.end] == q.text for q in found)
        assert all(doc.text[q.speaker_start:q.speaker_end] == q.speaker for q in found if q.speaker)
        assert all(q.kind in quotes.KINDS for q in found)


# --------------------------------------------------------------------------------------- forms, one by one

def test_attribution_before_with_colon(nlp):
    (q,) = run(nlp, 'The minister said: "We will not back down. Our position is firm."')
    assert (q.text, q.kind, q.speaker, q.cue_lemma) == ("We will not back down. Our position is firm.", "direct",
                                                       "The minister", "say")


def test_attribution_inside(nlp):
    first, second = run(nlp, '"We will respond," Kim said, "and we will win."')
    assert (first.text, second.text) == ("We will respond", "and we will win.")
    assert {q.kind for q in (first, second)} == {"direct"} and {q.speaker for q in (first, second)} == {"Kim"}


@pytest.mark.parametrize("text, speaker", [
    ('"The drills are a rehearsal for invasion," the ministry said.', "the ministry"),
    ('"This is a declaration of war," said Kim Yo Jong, the sister of the leader.', "Kim Yo Jong"),
])
def test_attribution_after(nlp, text, speaker):
    (q,) = run(nlp, text)
    assert (q.kind, q.speaker, q.cue) == ("direct", speaker, "said")


def test_quote_over_paragraphs(nlp):
    text = ('The spokesman said: "The first paragraph of the statement goes on here.\n\n'
            '"The second paragraph continues the same statement and ends it."\n\nOfficials declined to comment.')
    (q,) = run(nlp, text)
    assert q.text.startswith("The first") and q.text.endswith("ends it.") and not q.unbalanced
    assert q.kind == "direct" and q.speaker == "The spokesman"


def test_nested_single_inside_double(nlp):
    (q,) = run(nlp, '"They call it \'deterrence\', but it is aggression," the ministry said.')
    assert q.text == "They call it 'deterrence', but it is aggression" and q.speaker == "the ministry"


def test_unclosed_quote_runs_to_paragraph_end(nlp):
    text = 'The agency said "the drills will continue until the end of the year.\n\nAnalysts were not surprised.'
    (q,) = run(nlp, text)
    assert q.unbalanced and q.text == "the drills will continue until the end of the year."
    assert q.speaker == "The agency"


def test_closing_mark_without_opener(nlp):
    (q,) = run(nlp, 'The drills must stop at once," the ministry said.')
    assert q.unbalanced and q.text == "The drills must stop at once" and q.speaker == "the ministry"


def test_apostrophes_are_never_marks(nlp):
    text = "Japan's and Korea’s leaders don't agree on the countries’ actions in the '90s, the official said."
    found = run(nlp, text)
    assert [q.kind for q in found] == ["indirect"] and found[0].speaker == "the official"


@pytest.mark.parametrize("text", ["“There is still work to be done,’’ Brilliant said.",
                                  "``There is still work to be done,'' Brilliant said."])
def test_doubled_single_marks_count_as_double_marks(nlp, text):
    (q,) = run(nlp, text)
    assert (q.text, q.kind, q.speaker) == ("There is still work to be done", "direct", "Brilliant")
    assert not q.unbalanced


def test_spaced_possessive_is_not_a_mark(nlp):
    found = run(nlp, "In the Bill Clinton ’s administration, Ms. Rice led it.")
    assert not [q for q in found if q.kind != "indirect"]


def test_mixed_curly_and_straight_marks(nlp):
    (q,) = run(nlp, '“The US is ‘hostile\' to us," KCNA said.')
    assert (q.text, q.kind, q.speaker, q.unbalanced) == ("The US is ‘hostile' to us", "direct", "KCNA", False)


def test_guillemets(nlp):
    (q,) = run(nlp, "«We reject the sanctions outright», the foreign ministry said.")
    assert (q.text, q.kind, q.speaker) == ("We reject the sanctions outright", "direct", "the foreign ministry")


def test_according_to(nlp):
    (q,) = run(nlp, "According to the Yonhap news agency, the missile flew 1,000 km before landing in the sea.")
    assert (q.kind, q.speaker, q.cue, q.cue_lemma) == ("indirect", "the Yonhap news agency", "According to",
                                                      "according to")
    assert q.text == "the missile flew 1,000 km before landing in the sea"


def test_according_to_needs_a_source_that_can_speak(nlp):
    assert run(nlp, "The strike might be launched according to our judgment and decision.") == []


@pytest.mark.parametrize("text, source, clause, sentence", [
    ("The fleet sailed 400 km in the first week of the exercise, according to a Navy tally.", "a Navy tally",
     "The fleet sailed 400 km in the first week of the exercise", "quoted"),
    ("Ola Brandt had worked at the port since 2004, according to his online profile.", "his online profile",
     "Ola Brandt had worked at the port since 2004", "quoted"),
    # the words after the phrase are the narrator's again, and with the attribution they are half the sentence
    ("Exports fell by 3 percent in the spring, according to customs data, but the summer was better.", "customs data",
     "Exports fell by 3 percent in the spring", "narrator"),
])
def test_according_to_a_record_reports_the_clause_before_it(nlp, text, source, clause, sentence):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text) for q in found] == [("indirect", source, clause)]
    assert quotes.sentence_voice(doc, found)[0]["voice"] == sentence


def test_the_cited_records_come_from_the_lexicon(tmp_path):
    path = tmp_path / "cues.yaml"
    path.write_text("verbs: {neutral: [say]}\nphrases: {}\ncited_records: [Ledger]\n", encoding="utf-8")
    assert quotes.cited_records(path) == frozenset({"ledger"}) and "tally" in quotes.cited_records()


@pytest.mark.parametrize("text", ['"We will respond to any provocation with force," as quoted by KCNA.',
                                  'The ministry issued a warning, as quoted by KCNA: "We will respond."'])
def test_as_quoted_by(nlp, text):
    (q,) = run(nlp, text)
    assert (q.kind, q.speaker, q.cue_lemma) == ("direct", "KCNA", "as quoted by")


def test_unattributed_quote_paragraph_continues_the_last_speaker(nlp):
    text = 'Kim spoke on Monday.\n\n"We will respond," Kim said.\n\n"Our forces are ready for anything."'
    first, second = run(nlp, text)
    assert (second.kind, second.speaker, second.cue) == ("direct", "Kim", "")
    assert second.speaker_start == first.speaker_start


@pytest.mark.parametrize("text, speaker, lemma, reported", [
    ("KCNA reported that the drills were a rehearsal for a nuclear war.", "KCNA", "report",
     "the drills were a rehearsal for a nuclear war"),
    ("Pyongyang accused Washington of plotting an invasion.", "Pyongyang", "accuse",
     "Washington of plotting an invasion"),
    ("The researcher, who claimed NATO was to blame, spoke on Monday.", "The researcher", "claim",
     "NATO was to blame"),
    ("Kim was quoted as saying that the drills must stop.", "Kim", "say", "the drills must stop"),
])
def test_indirect(nlp, text, speaker, lemma, reported):
    (q,) = run(nlp, text)
    assert (q.kind, q.speaker, q.cue_lemma, q.text) == ("indirect", speaker, lemma, reported)


def test_partial_quote_in_narrator_sentence(nlp):
    # The quoted words are a partial quote; the view the sentence reports ("called the plan a ...") is the
    # experts' too, as reported speech.
    view, q = run(nlp, "Experts called the plan a “dangerous gamble” that could backfire.")
    assert (q.text, q.kind, q.speaker, q.cue_lemma) == ("dangerous gamble", "partial", "Experts", "call")
    assert (view.kind, view.speaker, view.cue_lemma) == ("indirect", "Experts", "call")
    assert view.text.startswith("the plan a “dangerous gamble”")


def test_scare_quote_without_speaker(nlp):
    (q,) = run(nlp, 'The so-called "peace process" stalled again in the spring.')
    assert (q.kind, q.speaker, q.cue) == ("partial", "", "")
    assert (q.speaker_start, q.speaker_end) == (-1, -1)


def test_pronoun_resolves_to_earlier_subject(nlp):
    text = 'The foreign ministry issued a warning on Sunday. "We will respond to any provocation," it said.'
    (q,) = run(nlp, text)
    assert q.speaker == "The foreign ministry" and q.speaker_start == 0


def test_short_form_resolves_to_fuller_speaker(nlp):
    text = ("Seoul's defense ministry said in a statement that it would strengthen readiness. "
            "The ministry added that drills would continue.")
    first, second = run(nlp, text)
    assert first.speaker == second.speaker == "Seoul's defense ministry" and second.cue_lemma == "add"


def test_custom_cues_replace_the_lexicon(nlp):
    text = '"The drills must stop," the ministry emphasized.'
    assert run(nlp, text)[0].cue_lemma == "emphasize"
    # Without "emphasize" in the lexicon the verb that reports the quote is still found from the parse (its
    # stance is then unclassified), so the quote keeps its speaker.
    (q,) = quotes.extract(nlp(text), cues=["say"])
    assert (q.cue, q.cue_lemma, q.speaker) == ("emphasized", "emphasize", "the ministry")
    assert stance.classify(q.cue_lemma, lexicon={"say": "neutral"}) == "unclassified"
    (q,) = quotes.extract(nlp(text), cues={"emphasize": "emotive"})  # a mapping's keys are the cues
    assert q.cue_lemma == "emphasize"


def test_unparsed_doc_is_refused(nlp):
    with pytest.raises(ValueError, match="parsed Doc"):
        quotes.extract(nlp.make_doc('"Hello," he said.'))


@pytest.mark.parametrize("text", ["", " ", "\n\n", '"', '" " "', "”\n“\n'", 'He said "" and left.', "''''"])
def test_degenerate_texts(nlp, text):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert all(doc.text[q.start:q.end] == q.text and q.text for q in found)
    assert len(quotes.sentence_voice(doc, found)) == len(quotes.sentence_spans(doc))


# ---------------------------------------------------------------------------------------------------- voice

def test_sentence_voice_records(nlp):
    text = 'The talks failed. "We will respond," the ministry said.\nKCNA reported that the drills would go on.'
    doc = nlp(text)
    found = quotes.extract(doc)
    voices = quotes.sentence_voice(doc, found)
    assert [v["voice"] for v in voices] == ["narrator", "quoted", "quoted"]
    assert [v["sent_id"] for v in voices] == [0, 1, 2] and voices[0]["quote_id"] == -1
    assert [found[v["quote_id"]].speaker for v in voices[1:]] == [v["speaker"] for v in voices[1:]] == [
        "the ministry", "KCNA"]
    assert all(text[v["start"]:v["end"]] == text[v["start"]:v["end"]].strip() for v in voices)


def test_sentence_voice_follows_given_spans(nlp):
    text = '"We will respond," the ministry said. The talks failed.'
    doc = nlp(text)
    voices = quotes.sentence_voice(doc, quotes.extract(doc), spans=[(0, 37), (38, len(text))])
    assert [(v["start"], v["end"], v["voice"]) for v in voices] == [(0, 37, "quoted"), (38, len(text), "narrator")]


def test_sentence_spans_split_at_line_breaks(nlp):
    text = "North Korea slams drills\nThe ministry said the drills were provocative."
    spans = quotes.sentence_spans(nlp(text))
    assert [text[s:e] for s, e in spans] == ["North Korea slams drills",
                                             "The ministry said the drills were provocative."]


# -------------------------------------------------------------------------------------------------- lexicon

def test_lexicon_classes():
    lexicon = quotes.lexicon()
    assert set(lexicon.values()) == set(quotes.STANCES)
    expected = {"say": "neutral", "report": "neutral", "claim": "distancing", "allege": "distancing",
                "point out": "endorsing", "admit": "endorsing", "slam": "emotive", "lash out": "emotive",
                "emphasize": "emotive", "according to": "neutral", "as quoted by": "neutral",
                "in a statement": "neutral"}
    assert {k: lexicon[k] for k in expected} == expected


def test_lexicon_from_a_file(tmp_path):
    path = tmp_path / "cues.yaml"
    path.write_text("verbs:\n  neutral: [say]\nphrases:\n  neutral: [According  To]\n", encoding="utf-8")
    assert quotes.lexicon(path) == {"say": "neutral", "according to": "neutral"}
    objects = tmp_path / "objects.yaml"
    objects.write_text("verbs:\n  emotive: [vow]\nobject_reports: [Vow]\n", encoding="utf-8")
    assert quotes.lexicon(objects) == {"vow": "emotive"} and quotes.object_reports(objects) == {"vow"}


@pytest.mark.parametrize("raw, message", [({"verbs": {"angry": ["slam"]}}, "not a stance"),
                                          ({"verbs": {"neutral": ["say"], "emotive": ["say"]}}, "both"),
                                          ({"cues": {"neutral": ["say"]}}, "sections")])
def test_lexicon_errors_are_actionable(raw, message):
    with pytest.raises(quotes.LexiconError, match=message):
        quotes._validated(raw)


def test_to_frame_fits_the_quotes_table(nlp):
    found = run(nlp, '"We will respond," the ministry said.')
    frame = tables.conform(quotes.to_frame(found, article_id="a1"), "quotes", fill=True)
    assert frame.loc[0, "quote_id"] == "a1/q0" and frame.loc[0, "speaker"] == "the ministry"


# ------------------------------------------------------------------------ nesting: one statement, two quotes

def test_a_partial_quote_inside_its_speakers_reported_clause_is_within_it(nlp):
    text = 'Senator Elizabeth Warren said the state is "spiraling out of control" after the vote.'
    found = run(nlp, text)
    clause, words = one(found, "the state is"), one(found, "spiraling out of control")
    assert (clause.kind, words.kind) == ("indirect", "partial") and clause.speaker == words.speaker
    nest = quotes.within(found)
    assert nest[found.index(words)] == found.index(clause) and nest[found.index(clause)] == -1
    frame = quotes.to_frame(found, article_id="a1")
    assert frame.set_index("quote_id")["within"].to_dict() == {
        f"a1/q{found.index(clause)}": "", f"a1/q{found.index(words)}": f"a1/q{found.index(clause)}"}


def test_a_partial_quote_keeping_the_full_stop_its_clause_leaves_out_is_still_within_it(nlp):
    # The reported clause ends before the full stop; the partial quote keeps it inside its closing mark.
    text = 'Chief Justice Roberts said the hearing had become "an empty ritual."\n\nThe court adjourned.'
    found = run(nlp, text)
    clause, words = one(found, "the hearing"), one(found, "an empty ritual")
    assert words.end > clause.end and words.text.endswith(".")  # the form found in AllSides articles
    assert quotes.within(found)[found.index(words)] == found.index(clause)


def test_quotes_of_two_speakers_or_side_by_side_hold_nothing(nlp):
    found = run(nlp, '"We will respond," the ministry said. "That is a threat," Senator Warren said on Monday.')
    assert len(found) == 2 and quotes.within(found) == [-1, -1]


def _q(start, end, speaker="Warren", speaker_start=0):
    return quotes.Quote(start, end, "x" * (end - start), "partial", speaker, speaker_start,
                        speaker_start + len(speaker) if speaker_start >= 0 else -1)


@pytest.mark.parametrize("found, expected", [
    ([_q(10, 90), _q(20, 40), _q(25, 30)], [-1, 0, 0]),  # nested twice: the outermost holds both
    ([_q(10, 90), _q(20, 40, speaker="Hale", speaker_start=100)], [-1, -1]),  # another speaker's words
    ([_q(10, 90, speaker="", speaker_start=-1), _q(20, 40, speaker="", speaker_start=-1)], [-1, -1]),  # nobody's
    ([_q(10, 40), _q(10, 40)], [-1, 0]),  # the same span twice: one statement
    ([_q(20, 40), _q(10, 90)], [1, -1]),  # the holder later in the list (as a caller may order them)
    ([_q(10, 50), _q(30, 90), _q(35, 45)], [-1, -1, 0]),  # overlapping holders: the earliest that covers it
    ([_q(10, 90, speaker="he", speaker_start=-1), _q(20, 40, speaker="He", speaker_start=-1)], [-1, 0]),
])
def test_within_names_the_earliest_widest_quote_of_the_same_speaker_covering_it(found, expected):
    assert quotes.within(found) == expected


# ---------------------------------------------------------------------------------------------- properties

_PIECES = ['"', "'", "“", "”", "‘", "’", "«", "»", "\n", "\n\n", " ", ", ", ". ", ": ", "said", "the ministry",
           "it", "According to", "KCNA", "claimed that", "Korea’s", "don't", "'90s", "we will respond", "NATO",
           "accused Washington of", "the statement", "(", ")", "-", "…"]
_PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(nlp, text: str) -> None:
    doc = nlp(text)
    found = quotes.extract(doc)
    for q in found:
        assert 0 <= q.start <= q.end <= len(doc.text) and doc.text[q.start:q.end] == q.text
        assert q.kind in quotes.KINDS and isinstance(q.unbalanced, bool)
        assert (doc.text[q.speaker_start:q.speaker_end] == q.speaker) if q.speaker else q.speaker_start == -1
    for v in quotes.sentence_voice(doc, found):
        assert v["voice"] in ("quoted", "narrator") and -1 <= v["quote_id"] < len(found)


@_PROPERTY
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_never_raises_on_quote_soup(nlp, text):
    check(nlp, text)


@_PROPERTY
@given(st.text(max_size=200))
def test_never_raises_on_any_text(nlp, text):
    check(nlp, text)


# ------------------------------------------------------------------- issue #10: every attribution form news uses

@pytest.mark.parametrize("text, speaker", [
    ('"Is it in our interest to act?" Lena Ostrova said. Nobody answered.', "Lena Ostrova"),
    ('"It is over." Mr. Tanaka said.', "Mr. Tanaka"),
    ('"These drills are a rehearsal for war." — Defence Minister Ola Brandt', "Defence Minister Ola Brandt"),
    ('Ola Brandt, Nordic Daily: "The summit changed nothing."', "Ola Brandt"),
    ('"We will never accept this provocation," fumed the agency\'s chief commentator.',
     "the agency's chief commentator"),
    ('"We are ready," the envoy Tomas Keller said.', "the envoy Tomas Keller"),
])
def test_attribution_forms_give_the_direct_quote_its_speaker(nlp, text, speaker):
    (q,) = run(nlp, text)
    assert (q.kind, q.speaker) == ("direct", speaker)


def test_a_new_sentence_after_a_quote_is_not_its_attribution(nlp):
    (q,) = run(nlp, '"It is over." Mr. Tanaka left the building through the back door on Monday.')
    assert q.speaker == ""


def test_an_unknown_speech_verb_is_the_cue_and_unclassified(nlp):
    (q,) = run(nlp, '"We will never accept this provocation," fumed the agency\'s chief commentator.')
    assert (q.cue, q.cue_lemma) == ("fumed", "fume")
    assert stance.classify(q.cue_lemma) == "unclassified"


def test_a_quote_split_by_its_attribution_is_one_speaker_in_two_direct_pieces(nlp):
    found = run(nlp, 'The envoy arrived late. "The talks," she said, "are over."')
    assert [(q.text, q.kind, q.speaker) for q in found] == [("The talks", "direct", "The envoy"),
                                                            ("are over.", "direct", "The envoy")]


def test_a_parenthetical_attribution_reports_the_sentence_around_it(nlp):
    found = run(nlp, "Owning the port, Mr. Tanaka said, would end the dispute.")
    assert [(q.text, q.kind, q.speaker) for q in found] == [("Owning the port", "indirect", "Mr. Tanaka"),
                                                            ("would end the dispute", "indirect", "Mr. Tanaka")]
    doc = nlp("Owning the port, Mr. Tanaka said, would end the dispute.")
    (voice,) = quotes.sentence_voice(doc, quotes.extract(doc))
    assert (voice["voice"], voice["speaker"]) == ("quoted", "Mr. Tanaka")


def test_a_continuation_quote_takes_the_speaker_of_reported_speech(nlp):
    reported, direct = run(nlp, 'Prices fell sharply, said Bart Lee, a banking analyst. "Nobody expected it."')
    assert (reported.kind, reported.speaker) == ("indirect", "Bart Lee")
    assert (direct.kind, direct.speaker) == ("direct", "Bart Lee")


def test_an_unresolved_pronoun_stays_the_speaker(nlp):
    (q,) = run(nlp, '"We are not going anywhere," she said.')
    assert q.speaker == "she"


# ------------------------------------------------------------------- issue #10: reported views are the actor's voice

@pytest.mark.parametrize("text, speaker, reported", [
    ("North Korea has consistently protested against US exercises in the region, viewing them as rehearsals "
     "for a potential invasion.", "North Korea", "them as rehearsals for a potential invasion"),
    ("Pyongyang called the drills a rehearsal for invasion.", "Pyongyang", "the drills a rehearsal for invasion"),
    ("North Korea railed against the new alliance.", "North Korea", "against the new alliance"),
    ("Seoul accused Tokyo of plotting a war.", "Seoul", "Tokyo of plotting a war"),
    ("According to the ministry, the drills threaten the region.", "the ministry", "the drills threaten the region"),
    ("North Korea's foreign ministry insists the drills are a threat.", "North Korea's foreign ministry",
     "the drills are a threat"),
])
def test_a_reported_view_is_the_actors_voice(nlp, text, speaker, reported):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert any((q.kind, q.speaker, q.text) == ("indirect", speaker, reported) for q in found), found
    (voice,) = quotes.sentence_voice(doc, found)
    assert (voice["voice"], voice["speaker"]) == ("quoted", speaker)


def test_the_seed_protest_sentence_is_north_koreas_voice(seed_docs):
    hits = [(doc, found) for doc, found in seed_docs.values() if "viewing them as rehearsals" in doc.text]
    assert hits, "the seed sentence is in the corpus"
    for doc, found in hits:
        start = doc.text.index("viewing them as rehearsals")
        sentence = next(v for v in quotes.sentence_voice(doc, found) if v["start"] <= start < v["end"])
        assert sentence["voice"] == "quoted" and "North Korea" in sentence["speaker"]


def test_he_does_not_go_to_a_subject_inside_reported_speech(nlp):
    text = ('Sandy Phillips, who lost her daughter in Aurora, said that Sanders had treated her family badly.\n'
            '"Bernie promised to meet with us face to face," she said.')
    direct = [q for q in run(nlp, text) if q.kind == "direct"]
    assert [q.speaker for q in direct] == ["Sandy Phillips"]


def test_as_x_reported_makes_the_clause_reported_speech(nlp):
    (q,) = run(nlp, "As Breitbart News reported, the White House was refusing to call the shooting terrorism.")
    assert (q.kind, q.speaker, q.cue_lemma) == ("indirect", "Breitbart News", "report")
    assert q.text == "the White House was refusing to call the shooting terrorism"
    assert run(nlp, "As the drills began, the ministry stayed silent.") == []


def test_a_statement_introduced_by_a_colon_line_is_its_issuers(nlp):
    text = ("In response, Republican presidential nominee Donald Trump issued the following statement:\n\n"
            "“Our prayers are with all those affected by the horrible attacks. This cannot continue.”\n")
    (q,) = run(nlp, text)
    assert (q.kind, q.speaker) == ("direct", "Republican presidential nominee Donald Trump")


def test_a_short_sentence_with_a_prepositional_phrase_still_attributes(nlp):
    (q,) = run(nlp, "“Didn’t we first use the word?” Clinton writes to Sullivan. He responds quickly.")
    assert (q.kind, q.speaker, q.cue_lemma) == ("direct", "Clinton", "write")


# ------------------------------------------------------------------ he/she: the sex the text gives a person

@pytest.mark.parametrize("text, speaker", [
    # a title: "she" is not Mr. Baker, however recent
    ('Maria Lopez met reporters in Ohio.\nMr. Baker answered questions for an hour.\n"I am ahead," she said.',
     "Maria Lopez"),
    # a gendered role noun in the name's phrase
    ('Anna Berg met reporters.\nThen the spokesman Tom Baker answered questions.\n"We are ready," she said.',
     "Anna Berg"),
    # "her" used with a name earlier in the article
    ('Tom Baker left the stage.\nMaria Lopez answered questions about her plan.\n'
     '"It was a good night," he said.', "Tom Baker"),
    # whom "he" stood for is a man: a later "she" looks past him
    ('Maria Lopez spoke in Ohio.\nTom Baker answered questions for an hour.\n"The polls are rigged," he said.\n'
     '"I am ahead," she said.', "Maria Lopez"),
])
def test_a_pronoun_resolves_past_a_person_of_the_other_sex(nlp, text, speaker):
    direct = [q for q in run(nlp, text) if q.kind == "direct"]
    assert direct[-1].speaker == speaker and direct[-1].speaker_type == "person"


@pytest.mark.parametrize("text, kind", [
    ('"We will respond," the spokesman said.', "person"),
    ('"We will respond," officials said.', "group"),
    ('"We will respond," the ministry said.', "organisation"),
    ('"We will respond," said Maria Lopez.', "person"),
    ('"We will respond," critics said.', "group"),
    ('"We will respond," the document said.', "unknown"),
])
def test_a_quote_gives_its_speakers_type(nlp, text, kind):
    (q,) = run(nlp, text)
    assert q.speaker_type == kind and kind in quotes.SPEAKER_TYPES


def test_the_speaker_words_file_is_checked(tmp_path):
    path = tmp_path / "speakers.yaml"
    path.write_text("titles:\n  male: [mr]\n", encoding="utf-8")
    with pytest.raises(quotes.LexiconError, match="role_nouns"):
        quotes.speaker_words(path)
    assert quotes.speaker_words().sex("Mrs.") == "female" and quotes.speaker_words().sex("spokesman") == "male"


@pytest.mark.parametrize("text", [
    '“The summit changed nothing. Nobody expected more.”― Ola Brandt',   # horizontal bar stuck to the mark
    '“The summit changed nothing. Nobody expected more.” ― Ola Brandt.',
    '"The summit changed nothing. Nobody expected more." -- Ola Brandt',
])
def test_a_roundup_quote_takes_the_name_after_any_quotation_dash(nlp, text):
    (q,) = run(nlp, text)
    assert (q.kind, q.speaker, q.speaker_type) == ("direct", "Ola Brandt", "person")


@pytest.mark.parametrize("text, speaker, reported", [
    # the tagger took the verb for a plural noun; the parse still gives it a subject and a clause
    ("But Lena Ostrova claims that the drills should stop.", "Lena Ostrova", "the drills should stop"),
    # the reported clause hung on the verb as an adverbial clause with its own subject
    ("Tom Baker said on Monday he would not accept the offer.", "Tom Baker", "he would not accept the offer"),
    # a few quoted words inside the reported clause leave it reported
    ('Tom Baker said the talks are "spiraling out of control."', "Tom Baker", 'the talks are "spiraling out of '
                                                                             'control."'),
])
def test_reported_clauses_the_parse_misshapes_are_still_reported(nlp, text, speaker, reported):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert any((q.kind, q.speaker) == ("indirect", speaker) and q.text.startswith(reported[:20])
               for q in found), found
    (voice,) = quotes.sentence_voice(doc, found)
    assert (voice["voice"], voice["speaker"]) == ("quoted", speaker)


def test_they_is_not_one_named_person(nlp):
    text = ('Critics of the plan, like Senators Tom Baker and Anna Berg, want changes.\n"We object," said Mr. Stenger.'
            '\n"The plan is broken," they wrote.')
    assert [q.speaker for q in run(nlp, text) if q.kind == "direct"][-1].startswith("Critics")


@pytest.mark.parametrize("text, speaker, reported", [
    ("Lena Ostrova wants to triple the size of the volunteer corps.", "Lena Ostrova", "to triple the size"),
    ("The campaign plans to send the former president to Ohio.", "The campaign", "to send the former president"),
    ("A poll released in August found that most voters back the plan.", "A poll", "most voters back the plan"),
])
def test_intentions_and_findings_are_their_holders_voice(nlp, text, speaker, reported):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text[:len(reported)]) for q in found] == [("indirect", speaker, reported)]
    assert stance.classify(found[0].cue_lemma) in ("neutral", "endorsing")
    (voice,) = quotes.sentence_voice(doc, found)
    assert (voice["voice"], voice["speaker"]) == ("quoted", speaker)


def test_a_want_without_a_clause_is_the_narrators(nlp):
    doc = nlp("Voters want answers about the deal.")
    assert quotes.extract(doc) == [] and quotes.sentence_voice(doc, [])[0]["voice"] == "narrator"


def test_a_headline_name_and_colon_report_the_claim_after_it(nlp):
    text = ("Pence: Flowers Won't Be at the Debate.\nUPDATE: The ministry issued a statement.\n"
            'Ola Brandt, Nordic Daily: "The summit changed nothing."')
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text) for q in found] == [
        ("indirect", "Pence", "Flowers Won't Be at the Debate"),
        ("direct", "Ola Brandt", "The summit changed nothing.")]
    assert [v["voice"] for v in quotes.sentence_voice(doc, found)][:2] == ["quoted", "narrator"]


@pytest.mark.parametrize("text, reported", [
    ("A Nordic Daily poll showed a narrow lead for the coalition among young voters.",
     "a narrow lead for the coalition among young voters"),
    ("The audit found no record of the payments to the shipyard.", "no record of the payments to the shipyard"),
    # a person or body finding or showing something reports nothing
    ("The harbour police found the missing boat near the northern pier.", None),
    ("The minister showed the visitors the new harbour and the ferry terminal.", None),
])
def test_what_a_poll_or_record_finds_is_its_finding(nlp, text, reported):
    _reports_only(nlp, text, reported)


def test_the_cue_of_a_short_quote_still_reports_the_clause_around_it(nlp):
    # the parse takes the quoted words for a sentence of their own, so they are a direct quote with the cue "said"
    text = "A clerk who “steals a handful of coins” is sent to prison at once, Ola Brandt said."
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker) for q in found if q.text == "steals a handful of coins"] == [("direct", "Ola Brandt")]
    assert [(q.kind, q.speaker, q.text) for q in found if q.kind == "indirect"] == [
        ("indirect", "Ola Brandt", "A clerk who “steals a handful of coins” is sent to prison at once")]
    assert quotes.sentence_voice(doc, found)[0]["voice"] == "quoted"


@pytest.mark.parametrize("text, speaker, reported, kind", [
    ("The two governments agreed that the drills should be scaled back.", "The two governments",
     "the drills should be scaled back", "neutral"),
    ("Ola Brandt proposed that the fleet be cut by a third.", "Ola Brandt", "the fleet be cut by a third", "neutral"),
    ("The inquiry concluded that the port had been badly run.", "The inquiry", "the port had been badly run",
     "endorsing"),
    # without a clause they report nothing
    ("The two sides agreed to a ceasefire on Monday.", None, None, None),
    ("The summit concluded on Monday with a dinner.", None, None, None),
])
def test_agreeing_proposing_and_concluding_report_their_clause(nlp, text, speaker, reported, kind):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text, stance.classify(q.cue_lemma)) for q in found] == (
        [("indirect", speaker, reported, kind)] if speaker else [])
    assert quotes.sentence_voice(doc, found)[0]["voice"] == ("quoted" if speaker else "narrator")


def test_a_transcript_line_is_the_speakers_to_the_paragraph_end(nlp):
    text = ("BRANDT: The drills were planned months ago. Nobody in Oslo was surprised by them.\n"
            "The interview ended there.")
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text) for q in found] == [
        ("indirect", "BRANDT", "The drills were planned months ago. Nobody in Oslo was surprised by them")]
    voices = {text[v["start"]:v["end"]]: v["voice"] for v in quotes.sentence_voice(doc, found)}
    assert voices["Nobody in Oslo was surprised by them."] == "quoted"
    assert voices["The interview ended there."] == "narrator"


def test_a_call_for_something_is_the_callers_view(nlp):
    doc = nlp("In July, the Nordic Council called for a moratorium on the drills.")
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text) for q in found] == [
        ("indirect", "the Nordic Council", "for a moratorium on the drills")]
    assert quotes.sentence_voice(doc, found)[0]["voice"] == "quoted"
    assert [q.text for q in run(nlp, "He said for the first time that it was over.")] == ["it was over"]


def test_a_first_name_tells_family_members_apart(nlp):
    text = ('Maria Lopez spoke in Ohio, and her aides cheered.\nTom Lopez said the tests were "not the point."\n'
            '"Teachers matter more than tests," he said.')
    direct = [q for q in run(nlp, text) if q.kind == "direct"]
    assert [q.speaker for q in direct] == ["Tom Lopez"]



# -------------------------------------------------------------- issue #10, third round: speakers and reported views

def parsed(nlp, rows: list[tuple[str, str, int, str, str, str]]):
    """A Doc with the parse given row by row: (word + following space, lemma, head index, dep, POS, tag)."""
    from spacy.tokens import Doc

    words = [r[0].rstrip(" ") for r in rows]
    return Doc(nlp.vocab, words=words, spaces=[r[0].endswith(" ") for r in rows], lemmas=[r[1] for r in rows],
               heads=[r[2] for r in rows], deps=[r[3] for r in rows], pos=[r[4] for r in rows],
               tags=[r[5] for r in rows])


def test_a_subject_inside_quote_marks_is_never_the_speaker(nlp):
    # '"We will win," Chief Ana Ruiz said.' parsed as the model sometimes does in a long article: "said" a conjunct
    # of the quoted verb, whose subject "We" is a word of the quote; the speaker is the name before "said".
    doc = parsed(nlp, [("“", "“", 3, "punct", "PUNCT", "``"), ("We ", "we", 3, "nsubj", "PRON", "PRP"),
                       ("will ", "will", 3, "aux", "AUX", "MD"), ("win", "win", 3, "ROOT", "VERB", "VB"),
                       (",", ",", 3, "punct", "PUNCT", ","), ("” ", "”", 3, "punct", "PUNCT", "''"),
                       ("Chief ", "Chief", 8, "compound", "PROPN", "NNP"),
                       ("Ana ", "Ana", 8, "compound", "PROPN", "NNP"),
                       ("Ruiz ", "Ruiz", 3, "dep", "PROPN", "NNP"), ("said", "say", 3, "conj", "VERB", "VBD"),
                       (".", ".", 3, "punct", "PUNCT", ".")])
    (q,) = quotes.extract(doc)
    assert (q.kind, q.text, q.speaker, q.cue) == ("direct", "We will win", "Chief Ana Ruiz", "said")


@pytest.mark.parametrize("who, wish", [
    ("The mayor", "to double the size of the harbour, grow the fishing fleet and create a new ferry line"),
    ("She", "to double the size of the city's bus fleet, grow the ferry service and create a new cycling program"),
])
def test_every_infinitive_of_a_wish_is_reported(nlp, who, wish):
    # the parse hangs "grow" and "create" on "wants", not on "double"
    doc = nlp(f"{who} wants {wish}.")
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text) for q in found] == [("indirect", who, wish)]
    assert quotes.sentence_voice(doc, found)[0]["voice"] == "quoted"


@pytest.mark.parametrize("text, reported", [
    ("The minister is promising lower taxes and more jobs.", "lower taxes and more jobs"),
    ("The agency denied the allegations on Monday.", "the allegations"),
    ("Nordic Daily stressed the need to cut the fleet.", "the need to cut the fleet"),
    # not a report that was made, an endorsing verb (the narrator states the plan), an addressee
    ("The moderators will demand more details.", None),
    ("The agency revealed the plan on Monday.", None),
    ("The minister praised the mayor on Monday.", None),
    # a public judgment of a thing is the judge's view of it; of a person or group it reports nothing
    ("The fishermen's union condemned the ministry's new fishing quotas.", "the ministry's new fishing quotas"),
    ("Ola Brandt mocked the ministry's plan for a second ferry terminal.", "the ministry's plan for a second ferry terminal"),
    ("The committee questioned the harbour master on Monday.", None),
])
def test_the_object_of_a_speech_act_is_what_was_said(nlp, text, reported):
    _reports_only(nlp, text, reported)


def _reports_only(nlp, text: str, reported: str | None) -> None:
    """``text`` holds exactly the reported clause ``reported`` (none when None), and its sentence's voice follows."""
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [q.text for q in found] == ([reported] if reported else [])
    assert quotes.sentence_voice(doc, found)[0]["voice"] == ("quoted" if reported else "narrator")


def test_a_call_for_doing_something_is_the_callers_view(nlp):
    doc = nlp("Mr. Baker has called for taxing pass-through income at a new low rate.")
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.cue) for q in found] == [("indirect", "Mr. Baker", "called")]
    assert found[0].text.startswith("for taxing pass-through income")
    assert quotes.sentence_voice(doc, found)[0]["voice"] == "quoted"


@pytest.mark.parametrize("text, speakers", [
    pytest.param('"The wall is a bad idea," Calderon said. Trump has not yet responded to the remarks, although he '
                 'kept up his rhetoric on Twitter.\n"The drug epidemic must stop," he tweeted on Saturday.',
                 ["Calderon", "Trump"], id="a named subject nearer than the last speaker"),
    pytest.param('Senator Tom Hale said he would vote against the bill.\nMrs. Hale said she was proud of him.\n'
                 '"It is a fine day," she said.\n"We will win," he said.', ["Mrs. Hale", "Senator Tom Hale"],
                 id="Mrs. Hale is not Senator Hale"),
    # "He added ..., should Maria Lopez attempt ...": the sentence is about "he"; the name only opens its condition
    *[pytest.param(f'Tom Baker said the party needs a plan.\n\nHe added a note of caution, should {name} attempt an '
                   f'early return to the campaign trail.\n\n"It might happen again," he said.', ["Tom Baker"],
                   id=f"{name}, not the first subject of its sentence")
      for name in ("Maria Lopez", "Senator Lopez", "Jan Ostrova")],
    # a person the text introduces with an apposition after the last speaker is whom "he" stands for ...
    pytest.param('"The port will reopen soon," Tom Baker said.\n\nThe closure worries fishermen, among them Jan '
                 'Ostrova, president of the Harbour Fishers Union.\n\n"Nobody has told us anything," he said.',
                 ["Tom Baker", "Jan Ostrova"], id="a person introduced after the last speaker"),
    pytest.param('"The port will reopen soon," said Tom Baker.\n\nThat has not reassured the fishermen, which is '
                 'something that concerns Jan Ostrova, president of the Harbour Fishers Union.\n\n"Nobody has told '
                 'us anything," he said.', ["Tom Baker", "Jan Ostrova"], id="a person introduced as an object"),
    # ... but not one named in a sentence "he" still leads
    pytest.param('"The port will reopen soon," Tom Baker said.\n\nHe said he had met Jan Ostrova, the union chief, '
                 'on Monday.\n\n"We agreed on a timetable," he said.', ["Tom Baker", "Tom Baker"],
                 id="a person named in a sentence he leads"),
])
def test_he_and_she_resolve_to_the_person_the_text_is_about(nlp, text, speakers):
    assert [q.speaker for q in run(nlp, text) if q.kind == "direct"] == speakers


@pytest.mark.parametrize("text, speaker", [
    ("In the ministry's words, the drills are a rehearsal for invasion.", "the ministry"),
    ("In the words of Ola Brandt, the drills are a rehearsal for invasion.", "Ola Brandt"),
    ("The ministry's view is that the drills are a rehearsal for invasion.", "The ministry"),
    # no owner who can speak: the narrator's own sentence
    ("In other words, the drills are a rehearsal for invasion.", None),
    ("In my view, the drills are a rehearsal for invasion.", None),
    ("The ministry's view is a narrow one.", None),
])
def test_a_clause_in_someones_words_or_view_is_theirs(nlp, text, speaker):
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [(q.kind, q.speaker, q.text) for q in found] == (
        [("indirect", speaker, "the drills are a rehearsal for invasion")] if speaker else [])
    assert quotes.sentence_voice(doc, found)[0]["voice"] == ("quoted" if speaker else "narrator")


@pytest.mark.parametrize("text, reported, voice", [
    ("Ola Brandt told delegates at the fishing congress in Bergen on Monday that the quotas were fair.",
     "the quotas were fair", "narrator"),
    ("The envoy warned reporters in Oslo that the drills would go on.", "the drills would go on", "quoted"),
    # an order: whom it was given to does what was said
    ("The mayor told her aides to find a new site for the ferry terminal.",
     "her aides to find a new site for the ferry terminal", "quoted"),
    # the parse may make a clause's subject the verb's object: then it is still part of what was said
    ("The ministry claimed NATO was to blame for the drills.", "NATO was to blame for the drills", "quoted"),
])
def test_whom_something_was_told_is_not_what_was_said(nlp, text, reported, voice):
    # a long attribution around a short clause is the narrator's sentence: the addressee is the outlet's wording
    doc = nlp(text)
    found = quotes.extract(doc)
    assert [q.text for q in found] == [reported]
    assert quotes.sentence_voice(doc, found)[0]["voice"] == voice
