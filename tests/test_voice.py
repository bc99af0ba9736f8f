"""Tests for analysis.voice: whose words a phrase is, and pairing quote marks."""
from __future__ import annotations

from analysis import voice


def test_quoted_segments_pair_marks_by_context():
    text = "”This is ‘Asian version' of NATO,” they said of the workers’ rights and Korea’s \"plan"
    pairs = voice.quoted_segments(text)
    assert (0, text.index("”", 1)) in pairs  # a closing mark used to open
    assert (text.index("‘"), text.index("' of")) in pairs
    assert (text.index('"'), len(text)) in pairs  # never closed: runs to the paragraph's end
    assert len(pairs) == 3  # workers’ and Korea’s are apostrophes
