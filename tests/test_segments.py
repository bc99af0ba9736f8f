"""Parsing texts of any length: pieces at paragraph and sentence boundaries, joined Docs that keep the text,
one failing text never stopping the others, and the memory guard."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import segments

NEWS = ("Pyongyang accused Washington of forming an Asian NATO. Officials in Seoul said the drills were defensive! "
        "Tokyo, for its part, \u201cregretted\u201d the statement? ")


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="ab .!\n\u201c\u201d", max_size=300), st.integers(min_value=1, max_value=40))
def test_pieces_cover_the_text_in_order_within_the_limit(text, limit):
    spans = segments.pieces(text, limit=limit)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert all(0 < e - s <= limit for s, e in spans) or text == ""


def test_pieces_prefer_paragraphs_then_sentence_ends_then_spaces():
    text = "First paragraph here.\nSecond one is longer than that. And it goes on and on"
    assert [text[s:e] for s, e in segments.pieces(text, limit=30)][0] == "First paragraph here.\n"
    one_line = NEWS * 3
    cuts = [one_line[s:e] for s, e in segments.pieces(one_line, limit=120)]
    assert "".join(cuts) == one_line
    assert all(c.rstrip()[-1] in ".!?" for c in cuts[:-1])
    no_stop = "word " * 50
    assert all(no_stop[s:e].endswith(" ") for s, e in segments.pieces(no_stop, limit=32)[:-1])
    assert segments.pieces("x" * 10, limit=4) == [(0, 4), (4, 8), (8, 10)]


def test_a_long_text_is_parsed_whole_and_keeps_every_offset(nlp):
    text = NEWS * 40  # about 9,000 characters on one line
    short = "Kim Yo Jong said the drills were a provocation."
    limit, nlp.max_length = nlp.max_length, 1_000
    try:
        docs = list(segments.pipe(nlp, [short, text, short], batch_size=4))
    finally:
        nlp.max_length = limit
    assert [d.text for d in docs] == [short, text, short]
    long_doc = docs[1]
    assert sum(len(s.text_with_ws) for s in long_doc.sents) == len(text)
    assert all(text[t.idx:t.idx + len(t)] == t.text for t in long_doc)
    assert any(e.text == "Seoul" for e in long_doc.ents)
    assert all(t.head.i < len(long_doc) for t in long_doc)


def test_a_text_that_raises_yields_its_error_and_the_others_are_parsed(nlp):
    def explode(doc):
        if "boom" in doc.text:
            raise RuntimeError("component failed")
        return doc

    nlp.add_pipe("explode_on_boom" if "explode_on_boom" in nlp.factory_names else _register(explode), last=True)
    try:
        texts = ["North Korea fired a missile.", "boom goes the parser", "Japan protested.", "South Korea too."]
        out = list(segments.pipe(nlp, texts, batch_size=2))
    finally:
        nlp.remove_pipe("explode_on_boom")
    assert isinstance(out[1], segments.Unparsed) and "component failed" in str(out[1])
    assert [d.text for i, d in enumerate(out) if i != 1] == [texts[0], texts[2], texts[3]]


def _register(function) -> str:
    from spacy.language import Language

    Language.component("explode_on_boom", func=function)
    return "explode_on_boom"


def test_a_text_too_large_for_the_memory_share_is_refused_not_parsed(nlp, monkeypatch):
    monkeypatch.setattr(segments, "BYTES_PER_CHAR", 10**9)  # every character "needs" a gigabyte
    out = list(segments.pipe(nlp, ["A short text.", ""], memory_share=0.5))
    assert isinstance(out[0], segments.TooLarge) and "memory_share" in str(out[0])
    assert out[1].text == ""
    with pytest.raises(ValueError, match="memory_share"):
        list(segments.pipe(nlp, ["x"], memory_share=0))
