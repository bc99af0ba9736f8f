"""Tests for analysis.voice: whose words a phrase is, and pairing quote marks."""
from __future__ import annotations

import pytest

from analysis import quotes, voice


def test_quoted_segments_pair_marks_by_context():
    text = "”This is ‘Asian version' of NATO,” they said of the workers’ rights and Korea’s \"plan"
    pairs = voice.quoted_segments(text)
    assert (0, text.index("”", 1)) in pairs  # a closing mark used to open
    assert (text.index("‘"), text.index("' of")) in pairs
    assert (text.index('"'), len(text)) in pairs  # never closed: runs to the paragraph's end
    assert len(pairs) == 3  # workers’ and Korea’s are apostrophes


# A short reported clause inside a long attribution: the sentence is mostly the outlet's own words (narrator), and
# a phrase inside the clause is still the speaker's paraphrase.
@pytest.mark.parametrize("text, phrase, speaker", [
    ("North Korea's foreign ministry, in a statement carried by state media late on Monday, insists the drills are "
     "a threat.", "a threat", "North Korea's foreign ministry"),
    ("But Lena Ostrova, who led the port authority for a decade before the merger, claims that the drills should "
     "stop.", "should stop", "Lena Ostrova"),
    ("A poll released in August by the university's centre for public opinion found that most voters back the "
     "plan.", "back the plan", "A poll"),
])
def test_a_short_reported_clause_is_paraphrase_in_a_narrator_sentence(nlp, text, phrase, speaker):
    doc = nlp(text)
    found = quotes.extract(doc)
    (sentence,) = quotes.sentence_voice(doc, found)
    assert (sentence["voice"], sentence["speaker"]) == ("narrator", "")
    start = text.index(phrase)
    hit = voice.classify(text, start, start + len(phrase), quotes=quotes.to_frame(found, article_id="a"))
    assert (hit["voice"], hit["speaker"]) == ("paraphrase", speaker)


@pytest.mark.parametrize("text, speaker", [
    ('"It is over," Ola Brandt said of the talks.', "Ola Brandt"),
    ("North Korea's foreign ministry insists the drills are a threat.", "North Korea's foreign ministry"),
    ("The agency denied the allegations on Monday.", "The agency"),
])
def test_a_quote_with_only_its_attribution_around_it_is_the_speakers(nlp, text, speaker):
    # however many of its words the attribution takes: a reader hears the speaker (issue #10, section 3)
    doc = nlp(text)
    (sentence,) = quotes.sentence_voice(doc, quotes.extract(doc))
    assert (sentence["voice"], sentence["speaker"]) == ("quoted", speaker)


def test_a_sentence_mostly_reported_is_the_speakers(nlp):
    text = "Ola Brandt said on Monday that the drills near the border are a rehearsal for an invasion of the north."
    doc = nlp(text)
    (sentence,) = quotes.sentence_voice(doc, quotes.extract(doc))
    assert (sentence["voice"], sentence["speaker"]) == ("quoted", "Ola Brandt")
