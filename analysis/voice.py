"""Voice: whose words a stretch of an article is.

``classify`` says whether a phrase is the outlet's own (narrator), a speaker's (direct, partial quote,
paraphrase) or held at arm's length (scare quote), from the tagging stage's quotes and the marks in the text;
``quoted_segments`` pairs the quote marks of a paragraph.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

VOICES = ("narrator", "direct_quote", "partial_quote", "scare_quote", "paraphrase")

# Reporting words that attribute a short quoted phrase when they stand right before it ("what it called")
# or in the clause right after it ('..." the ministry said'). Inflected forms, so no lemmatiser is needed.
CUE_WORDS = frozenset("""
say says said saying call calls called calling describe describes described describing dub dubs dubbed
dubbing term terms termed terming label labels labelled labeled branded brand brands claim claims claimed
claiming state states stated declare declares declared add adds added note notes noted warn warns warned
insist insists insisted report reports reported stress stresses stressed emphasize emphasizes emphasized
emphasise emphasises emphasised according quote quotes quoted tell tells told write writes wrote allege
alleges alleged denounce denounces denounced urge urges urged accuse accuses accused slam slams slammed
""".split())
_SO_CALLED = re.compile(r"so[\s\-‐‑]?called\s*$", re.I)


def classify(text: str, start: int, end: int, *, quotes: pd.DataFrame | Sequence[dict] | None = None,
          sentence: tuple[int, int] | None = None, scare_max_words: int = 6) -> dict:
    """Whose words ``text[start:end]`` are: ``{voice, quote_id, speaker, speaker_actor}``.

    The quotes table (``quotes``: the article's table, or its ``rows``) decides first (offset containment):
    inside a direct quote -> direct_quote; inside a partial quote -> partial_quote, or scare_quote when the
    partial quote is short and has no speaker, cue or reporting word nearby; inside an indirect quote ->
    paraphrase, or partial_quote when the words also stand in quote marks (a speaker's words quoted within
    reported speech). Outside every quote the marks in the text decide the same way; no marks -> narrator.
    """
    para_lo, para_hi = _paragraph(text, start, end)
    lo, hi = sentence or (para_lo, para_hi)
    sentence = (max(lo, para_lo), min(hi, para_hi))  # spaCy sentences can run across a line break
    containing = _containing(quotes, start, end)
    direct = [q for q in containing if q.get("kind") == "direct"]
    if direct:
        return _from_quote("direct_quote", direct[0])
    attributed = next((q for q in containing if q.get("speaker") or q.get("cue")), None)
    partial = next((q for q in containing if q.get("kind") == "partial"), None)
    if partial is not None:
        if attributed is not None:
            return _from_quote("partial_quote", partial, speaker_of=attributed)
        kind = _marked_phrase(text, partial["start"] - 1, partial["end"], sentence, scare_max_words)
        return _unattributed(kind) if kind == "scare_quote" else _from_quote("partial_quote", partial)
    segment = _enclosing_marks(text, start, end)
    if containing:  # indirect (reported speech)
        indirect = containing[0]
        return _from_quote("partial_quote" if segment else "paraphrase", indirect, speaker_of=attributed)
    if segment is None:
        return _unattributed("narrator")
    return _unattributed(_marked_phrase(text, *segment, sentence, scare_max_words))


def rows(quotes: pd.DataFrame) -> list[dict]:
    """The rows of a quotes table as dicts, a missing value as "": what ``classify`` takes as ``quotes`` when it
    is called for many spans of one article (converting the table once, not once per span)."""
    return [{k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in quotes.to_dict("records")]


def _containing(quotes: pd.DataFrame | Sequence[dict] | None, start: int, end: int) -> list[dict]:
    """Quotes containing [start, end), innermost first (the first of equal length first)."""
    if quotes is None or not len(quotes):
        return []
    if not isinstance(quotes, pd.DataFrame):
        return sorted((q for q in quotes if q["start"] <= start and q["end"] >= end),
                      key=lambda row: row["end"] - row["start"])
    # Called once per hit: mask on the arrays and sort the few rows left in Python (a stable sort, as before);
    # sorting and converting a frame for each hit cost milliseconds.
    inside = (quotes["start"].to_numpy() <= start) & (quotes["end"].to_numpy() >= end)
    if not inside.any():
        return []
    return sorted(rows(quotes[inside]), key=lambda row: row["end"] - row["start"])


def _from_quote(kind: str, quote: dict, *, speaker_of: dict | None = None) -> dict:
    source = speaker_of if speaker_of is not None and not quote.get("speaker") else quote
    return {"voice": kind, "quote_id": str(quote.get("quote_id", "") or ""),
            "speaker": str(source.get("speaker", "") or ""),
            "speaker_actor": str(source.get("speaker_actor", "") or "")}


def _unattributed(kind: str) -> dict:
    return {"voice": kind, "quote_id": "", "speaker": "", "speaker_actor": ""}


def _marked_phrase(text: str, open_at: int, close_at: int, sentence: tuple[int, int], scare_max_words: int) -> str:
    """Voice of a phrase standing in marks at ``open_at``..``close_at`` with no quote row attributing it."""
    lo, hi = sentence
    before = text[max(lo, open_at - 80):max(open_at, 0)]
    if _SO_CALLED.search(before):
        return "scare_quote"
    n_words = len(text[open_at + 1:close_at].split())
    if n_words <= scare_max_words:
        return "partial_quote" if _cue_near(text, open_at, close_at, lo, hi) else "scare_quote"
    return "direct_quote" if not text[lo:max(open_at, lo)].strip() else "partial_quote"


def _cue_near(text: str, open_at: int, close_at: int, lo: int, hi: int) -> bool:
    """A reporting word among the 3 words before the opening mark, or in the ', X said' clause after it."""
    before = re.findall(r"[A-Za-z]+", text[max(lo, open_at - 80):max(open_at, 0)])[-3:]
    after_text = text[close_at + 1:max(hi, close_at + 1)]
    after = re.findall(r"[A-Za-z]+", after_text)[:8] if after_text.lstrip().startswith(",") else []
    return any(w.lower() in CUE_WORDS for w in before + after)


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, hi if hi >= 0 else len(text)


def _enclosing_marks(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The innermost pair of quote marks (in the hit's paragraph) around ``text[start:end]``, as mark offsets."""
    lo, hi = _paragraph(text, start, end)
    inside = [(o, c) for o, c in _segments_of(text[lo:hi]) if o < start - lo and c >= end - lo]
    if not inside:
        return None
    o, c = min(inside, key=lambda oc: oc[1] - oc[0])
    return o + lo, c + lo


@lru_cache(maxsize=8)
def _segments_of(paragraph: str) -> tuple[tuple[int, int], ...]:
    # Every hit in a paragraph asks for its marks: scan the paragraph once, not once per hit (an article on one
    # line, a single paragraph of millions of characters, made this quadratic).
    return tuple(quoted_segments(paragraph))


_DOUBLE_OPEN, _DOUBLE_CLOSE, _DOUBLE_ANY = "“„«", "”»", '"'
_SINGLE_OPEN, _SINGLE_CLOSE, _SINGLE_ANY = "‘‚‹", "’›", "'`´"
MARK_CHARS = _DOUBLE_OPEN + _DOUBLE_CLOSE + _DOUBLE_ANY + _SINGLE_OPEN + _SINGLE_CLOSE + _SINGLE_ANY  # what pairs
_OPENERS_BEFORE = "([{—–-/" + "“„«‘‚‹\"'"
_MARK = re.compile(f"[{re.escape(MARK_CHARS)}]")


def quoted_segments(text: str) -> list[tuple[int, int]]:
    """Pairs ``(open, close)`` of quote-mark offsets in one paragraph; an unclosed mark runs to the end.

    Marks are paired by kind (double, single) with a stack each. A mark's role comes from its context, since
    outlets misuse them: ``”`` after a space opens a quote, ``'`` closes one opened by ``‘``, and an
    apostrophe between letters (don't, Korea’s) or after a plural (workers’) is never a quote mark.
    """
    stacks: dict[str, list[int]] = {"double": [], "single": []}
    pairs: list[tuple[int, int]] = []
    for found in _MARK.finditer(text):  # only the marks: a loop over every character cost seconds a corpus
        i, ch = found.start(), found.group()
        kind = "double" if ch in _DOUBLE_OPEN + _DOUBLE_CLOSE + _DOUBLE_ANY else "single"
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if kind == "single" and prev.isalnum() and nxt.isalnum():
            continue  # apostrophe inside a word
        opening_ctx = (prev.isspace() or prev in _OPENERS_BEFORE) and not nxt.isspace()
        closing_ctx = not prev.isspace()
        stack = stacks[kind]
        if ch in _DOUBLE_OPEN + _SINGLE_OPEN and not (stack and closing_ctx and not opening_ctx):
            stack.append(i)
        elif stack and closing_ctx:
            pairs.append((stack.pop(), i))
        elif opening_ctx and ch != "’":  # ’ with nothing open is an apostrophe (workers’ rights)
            stack.append(i)
    pairs += [(o, len(text)) for stack in stacks.values() for o in stack]
    return sorted(pairs)
