"""Quotes: who is quoted, in which form and with which reporting verb, and whose voice each sentence speaks in.

``extract(doc)`` finds three kinds of quotes in a parsed article:

* **direct**: a whole sentence or more inside quote marks (``"We will respond," the ministry said.``);
* **partial**: a few quoted words inside the narrator's sentence (``Pyongyang "strongly denounced" the drills``);
* **indirect**: reported speech without marks (``X said that ...``, ``X accused Y of ...``, ``According to X, ...``).

Quote marks are found once per text with a regular expression and paired per paragraph by a small stack machine.
A mark's role comes from its surroundings before its glyph (after a space and before a letter it opens, whatever
it looks like), so curly, straight and mixed marks all pair; apostrophes inside words (Korea's, don't) are never
marks; a quote left open runs to the end of its paragraph (``unbalanced``) unless the next paragraph reopens it,
which is how a quote continues over paragraphs. The cue and speaker come from the dependency parse: the reporting
verb that governs the quote (or stands next to it) and its subject, or the object of a phrase such as
"according to". Pronouns and short forms ("it", "the ministry", "the statement") are resolved to the nearest
fitting earlier speaker. Cues are listed, with their stance, in ``analysis/data/reporting_verbs.yaml``.

Offsets index ``doc.text`` (the article text): ``doc.text[q.start:q.end] == q.text``, and the same holds for
``speaker_start``/``speaker_end`` (both -1 when there is no speaker).
"""
from __future__ import annotations

import collections
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from spacy.attrs import IDX, LEMMA, LENGTH, POS
from spacy.strings import get_string_id
from spacy.symbols import NOUN, VERB
from spacy.tokens import Doc, Token

from analysis import parses, tables

log = logging.getLogger(__name__)

LEXICON = "data/reporting_verbs.yaml"
STANCES = ("neutral", "distancing", "endorsing", "emotive")
KINDS = ("direct", "partial", "indirect")


class LexiconError(ValueError):
    """The reporting-verb lexicon is malformed."""


@dataclass(frozen=True, slots=True)
class Quote:
    """One quote; offsets index ``doc.text``. The speaker offsets point at the mention the speaker resolved to."""

    start: int
    end: int
    text: str
    kind: str
    speaker: str = ""
    speaker_start: int = -1
    speaker_end: int = -1
    cue: str = ""
    cue_lemma: str = ""
    unbalanced: bool = False
    speaker_type: str = ""  # person, organisation, state, group or unknown, from the speaker's head word; "" if none


# --------------------------------------------------------------------------------------------------- lexicon

@cache
def lexicon(path: str | os.PathLike | None = None) -> dict[str, str]:
    """Every cue (verb lemma or phrase) of a reporting-verb lexicon mapped to its stance class; ``path`` defaults
    to the packaged ``analysis/data/reporting_verbs.yaml``, whose header documents the format."""
    source = resources.files("analysis").joinpath(LEXICON) if path is None else Path(path)
    return _validated(yaml.safe_load(source.read_text(encoding="utf-8")) or {}, name=str(path or LEXICON))


def _validated(raw: dict, *, name: str = LEXICON) -> dict[str, str]:
    if not isinstance(raw, dict) or not set(raw) <= {"verbs", "phrases", "object_reports", "view_nouns",
                                                     "cited_records", "record_findings"}:
        raise LexiconError(f"{name}: expected the sections 'verbs' and 'phrases' and optionally 'object_reports', "
                           f"'view_nouns', 'cited_records' and 'record_findings' (see the packaged {LEXICON})")
    found: dict[str, str] = {}
    for section in ("verbs", "phrases"):
        for stance, entries in (raw.get(section) or {}).items():
            if stance not in STANCES:
                raise LexiconError(f"{name}: {section}.{stance} is not a stance; use one of {', '.join(STANCES)}")
            for entry in entries or []:
                key = " ".join(str(entry).lower().split())
                if found.setdefault(key, stance) != stance:
                    raise LexiconError(f"{name}: {key!r} is listed as both {found[key]} and {stance}")
    return found


@cache
def object_reports(path: str | os.PathLike | None = None) -> frozenset[str]:
    """The cues whose direct object is what they report ("promised lower taxes", "stressed the need to ..."): the
    ``object_reports`` section of a reporting-verb lexicon (default: the packaged one), as lemmas."""
    return _section(path, "object_reports")


@cache
def view_nouns(path: str | os.PathLike | None = None) -> frozenset[str]:
    """Nouns that attribute a clause to their owner ("in the ministry's words, ...", "X's view is that ..."): the
    ``view_nouns`` section of a reporting-verb lexicon (default: the packaged one), as lemmas."""
    return _section(path, "view_nouns")


@cache
def cited_records(path: str | os.PathLike | None = None) -> frozenset[str]:
    """Records and counts that "according to" can cite as the source of a clause ("according to a CNN tally", "according
    to Census data"): the ``cited_records`` section of a reporting-verb lexicon (default: the packaged one), as
    lemmas."""
    return _section(path, "cited_records")


@cache
def record_findings(path: str | os.PathLike | None = None) -> frozenset[str]:
    """Verbs whose direct object is a record's finding when a record is their subject ("a poll showed a close race"):
    the ``record_findings`` section of a reporting-verb lexicon (default: the packaged one), as lemmas."""
    return _section(path, "record_findings")


def _section(path: str | os.PathLike | None, name: str) -> frozenset[str]:
    source = resources.files("analysis").joinpath(LEXICON) if path is None else Path(path)
    raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    return frozenset(" ".join(str(v).lower().split()) for v in raw.get(name) or [])


SPEAKER_WORDS = "data/speakers.yaml"
SPEAKER_TYPES = ("person", "organisation", "state", "group", "unknown")


@dataclass(frozen=True)
class SpeakerWords:
    """``analysis/data/speakers.yaml``: titles and role nouns by sex, head nouns by speaker type (lower-cased)."""

    titles: dict[str, frozenset[str]]
    roles: dict[str, frozenset[str]]
    kinds: dict[str, frozenset[str]]
    labels: frozenset[str] = frozenset()  # paragraph labels before a colon that are no speaker ("update")
    offices: frozenset[str] = frozenset()  # titles of office before a name ("sen", "gov", "dr"): no sex

    def sex(self, word: str) -> str:
        """"male" or "female" for a title or gendered role noun ("Mrs.", "spokeswoman"), else ""."""
        word = word.lower().rstrip(".")
        return next((sex for sex in ("male", "female") if word in self.titles[sex] or word in self.roles[sex]), "")


@cache
def speaker_words(path: str | os.PathLike | None = None) -> SpeakerWords:
    """The speaker word lists; ``path`` defaults to the packaged ``analysis/data/speakers.yaml`` (format in its
    header). Raises ``LexiconError`` when a section is missing."""
    source = resources.files("analysis").joinpath(SPEAKER_WORDS) if path is None else Path(path)
    raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    try:
        sets = {part: {k: frozenset(str(w).lower() for w in raw[part][k] or []) for k in keys}
                for part, keys in (("titles", ("male", "female")), ("role_nouns", ("male", "female")),
                                   ("kinds", ("person", "organisation", "group")))}
    except (KeyError, TypeError) as err:
        raise LexiconError(f"{path or SPEAKER_WORDS}: missing section {err}; expected titles.male/female, "
                           f"role_nouns.male/female and kinds.person/organisation/group") from None
    labels = frozenset(" ".join(str(w).lower().split()) for w in raw.get("labels") or [])
    offices = frozenset(str(w).lower().rstrip(".") for w in raw.get("offices") or [])
    return SpeakerWords(sets["titles"], sets["role_nouns"], sets["kinds"], labels, offices)


# Two-word verb entries ending in one of these are phrasal verbs ("point out"); other multiword entries are phrases.
_PARTICLES = frozenset("out up off down back on over away forth".split())
# A phrase ending in a preposition takes its speaker from that preposition's object ("according to KCNA").
_OBJECT_PREPS = frozenset("to by from of with".split())


@dataclass(frozen=True)
class _Cues:
    entries: frozenset[str]   # verb lemmas and phrasal verbs ("say", "point out")
    hashes: np.ndarray        # LEMMA hashes of their first words, for one vectorised pass over a doc
    phrases: re.Pattern | None


def _entries(cues: Mapping[str, str] | Iterable[str] | None) -> frozenset[str]:
    chosen = lexicon() if cues is None else cues
    return frozenset(" ".join(str(c).lower().split()) for c in chosen)


@cache
def _compile(entries: frozenset[str]) -> _Cues:
    verbs = {e for e in entries if len(e.split()) == 1 or (len(e.split()) == 2 and e.split()[1] in _PARTICLES)}
    phrases = sorted(entries - verbs, key=len, reverse=True)
    pattern = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
    hashes = np.array(sorted({get_string_id(v.split()[0]) for v in verbs}), dtype=np.uint64)
    return _Cues(frozenset(verbs), hashes, re.compile(rf"\b(?:{pattern})\b", re.I) if phrases else None)


# ------------------------------------------------------------------------------------------ per-doc context

@dataclass(frozen=True)
class _Phrase:
    first: int    # token index of its first word
    last: int     # token index of its last word
    cue: str
    lemma: str


@dataclass
class _Ctx:
    """Everything computed once per doc, so that each quote costs a few array look-ups, not a scan."""

    doc: Doc
    text: str
    starts: np.ndarray                  # char offset of each token
    ends: np.ndarray
    lemmas: np.ndarray                  # LEMMA hash of each token
    sents: np.ndarray                   # token index where each sentence starts
    paras: list[tuple[int, int]]        # (start, end) char offsets of the non-blank lines
    inside: np.ndarray                  # token lies inside a marked quote (filled by _marked)
    cues: dict[int, tuple[str, str]] = field(default_factory=dict)  # token index -> (cue as written, lemma)
    phrases: list[_Phrase] = field(default_factory=list)
    sent_set: frozenset[int] = field(init=False)
    para_starts: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.sent_set = frozenset(self.sents.tolist())
        self.para_starts = np.array([p[0] for p in self.paras], dtype=np.int64)


def _context(doc: Doc, cues: _Cues) -> _Ctx:
    arr = doc.to_array([IDX, LENGTH, LEMMA, POS]).astype(np.uint64)
    starts = arr[:, 0].astype(np.int64)
    text = parses.text(doc)
    ctx = _Ctx(doc, text, starts, starts + arr[:, 1].astype(np.int64), arr[:, 2],
               np.fromiter((s.start for s in doc.sents), dtype=np.int64), _paragraphs(text),
               np.zeros(len(doc), dtype=bool))
    ctx.cues = _cue_tokens(ctx, arr, cues)
    ctx.phrases = _phrase_hits(ctx, cues)
    for phrase in ctx.phrases:  # "as quoted by KCNA" is one cue, not also the verb "quoted"
        for i in range(phrase.first, phrase.last + 1):
            ctx.cues.pop(i, None)
    return ctx


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Each non-blank line, from its first non-blank character (so a paragraph's opening mark is its first)."""
    return [m.span() for m in re.finditer(r"\S[^\r\n]*", text)]


def _cue_tokens(ctx: _Ctx, arr: np.ndarray, cues: _Cues) -> dict[int, tuple[str, str]]:
    # The vectorised filter keeps the Python loop to the handful of verbs whose lemma starts a cue.
    listed = np.isin(arr[:, 2], cues.hashes)
    hits = np.flatnonzero(listed & (arr[:, 3] == VERB))
    found = {int(i): _cue_at(ctx.text, ctx.doc[int(i)], cues) for i in hits}
    # "But Trump claims that he ...": the tagger took the verb for a plural noun, the parse still gives it a subject
    # and a clause; such a word reports like the verb.
    for i in np.flatnonzero(listed & (arr[:, 3] == NOUN)):
        token = ctx.doc[int(i)]
        if token.tag_ == "NNS" and {"nsubj", "ccomp"} <= {c.dep_ for c in token.children}:
            found[int(i)] = (token.text, token.lemma_.lower()) if token.lemma_.lower() in cues.entries else None
    return {i: cue for i, cue in found.items() if cue}


def _cue_at(text: str, token: Token, cues: _Cues) -> tuple[str, str] | None:
    if token.dep_ in ("amod", "compound"):
        return None  # "the alleged attack", "reported cases": modifiers, not reports
    lemma = token.lemma_.lower()
    for prt in token.rights:
        if prt.dep_ == "prt" and f"{lemma} {prt.lower_}" in cues.entries:
            written = text[token.idx:prt.idx + len(prt)] if prt.i - token.i <= 2 else token.text
            return written, f"{lemma} {prt.lower_}"
    return (token.text, lemma) if lemma in cues.entries else None


def _phrase_hits(ctx: _Ctx, cues: _Cues) -> list[_Phrase]:
    if cues.phrases is None or not len(ctx.doc):
        return []
    hits = [(m, _tokens(ctx, m.start(), m.end())) for m in cues.phrases.finditer(ctx.text)]
    found = [_Phrase(sl.start, sl.stop - 1, m.group(), " ".join(m.group().lower().split()))
             for m, sl in hits if sl.stop > sl.start]
    # "according to our judgment", "according to plan": only a source that can speak makes the phrase a cue.
    return [p for p in found if ctx.doc[p.last].lower_ not in _OBJECT_PREPS or _cited(_phrase_speaker(ctx, p))]


def _cited(source: Token | None) -> bool:
    return _speaker_like(source) or source is not None and source.lemma_.lower() in cited_records()


def _tokens(ctx: _Ctx, start: int, end: int) -> slice:
    """The tokens overlapping the characters [start, end)."""
    return slice(int(np.searchsorted(ctx.ends, start, "right")), int(np.searchsorted(ctx.starts, end, "left")))


def _token_at(ctx: _Ctx, char: int) -> int:
    return max(int(np.searchsorted(ctx.starts, char, "right")) - 1, 0)


def _sentence(ctx: _Ctx, i: int) -> tuple[int, int]:
    """Token range of the sentence holding token ``i``, clipped to its paragraph (spaCy may run over a break)."""
    k = int(np.searchsorted(ctx.sents, i, "right")) - 1
    first, stop = int(ctx.sents[k]), int(ctx.sents[k + 1]) if k + 1 < len(ctx.sents) else len(ctx.doc)
    para = _tokens(ctx, *ctx.paras[_paragraph(ctx, int(ctx.starts[i]))])
    return max(first, para.start), min(stop, para.stop)


def _char_before(text: str, pos: int) -> str:
    """The last non-blank character before ``pos`` (scanning back, not copying the text)."""
    pos -= 1
    while pos >= 0 and text[pos].isspace():
        pos -= 1
    return text[pos] if pos >= 0 else ""


def _before_open(text: str, pos: int) -> str:
    """The last non-blank character before the opening mark whose last character is at ``pos`` (a doubled mark
    such as '' or `` is two characters)."""
    if pos > 0 and text[pos - 1] == text[pos] and text[pos] in "'`‘’":
        pos -= 1
    return _char_before(text, pos)


def _paragraph(ctx: _Ctx, char: int) -> int:
    return max(int(np.searchsorted(ctx.para_starts, char, "right")) - 1, 0)


# ------------------------------------------------------------------------------------------------ quote marks

_MARK_CHARS = frozenset("\"'“”‘’‛„‟«»")
# Doubled single marks ('' ’’ ‘‘ ``) stand for double marks in some feeds: matched first, as one mark.
_MARKS = re.compile("''|’’|‘‘|``|[\"'“”‘’‛„‟«»]")
_CONTRACTION = re.compile(r"(?:s|d|t|m|ll|re|ve)\b")
_DOUBLE = frozenset('"“”„‟«»')
_OPEN_GLYPHS = frozenset("“‘‛„‟«`")
_CLOSE_GLYPHS = frozenset("”’»")
_BEFORE_OPEN = frozenset("([{<—–-/") | _MARK_CHARS
_AFTER_CLOSE = frozenset(".,;:!?)]}>—–-/…") | _MARK_CHARS


def _role(text: str, start: int, end: int) -> str:
    """'open', 'close', 'toggle' (a straight mark that could be either) or '' for an apostrophe."""
    prev, nxt, ch = text[start - 1] if start else " ", text[end] if end < len(text) else " ", text[start]
    single = ch not in _DOUBLE and end - start == 1
    if single and (prev.isalnum() and nxt.isalnum() or nxt.isdigit() or _CONTRACTION.match(text, end)):
        return ""  # Korea's, don't, '90s, "Clinton ’s"
    opens = (prev.isspace() or prev in _BEFORE_OPEN) and not nxt.isspace()
    closes = (nxt.isspace() or nxt in _AFTER_CLOSE) and not prev.isspace()
    if opens != closes:
        return "open" if opens else "close"
    return "open" if ch in _OPEN_GLYPHS else "close" if ch in _CLOSE_GLYPHS else "toggle"


def _roles(text: str, para: tuple[int, int]) -> list[tuple[int, int, bool, str]]:
    """(start, end, is double, role) of every mark in a paragraph; a straight ' that opens and is never closed is
    an apostrophe ('em, o'), since an unclosed straight single mark is far likelier a typo than a quote."""
    marks = [(m.start(), m.end(), m.group() in _DOUBLE or len(m.group()) == 2, _role(text, m.start(), m.end()))
             for m in _MARKS.finditer(text, *para)]
    closer_later, out = False, []
    for start, end, double, role in reversed(marks):
        if not double and role == "open" and text[start] == "'" and not closer_later:
            role = ""
        closer_later |= not double and role in ("close", "toggle")
        out.append((start, end, double, role))
    return out[::-1]


@dataclass
class _Pairing:
    """Stack machine pairing marks; only top-level quotes are kept (nested quotes belong to their outer quote)."""

    text: str
    found: list[tuple[int, int, int, int, bool]] = field(default_factory=list)  # start, end, open, close, unbal.
    stack: list[tuple[bool, int]] = field(default_factory=list)                  # (is double, offset)

    def feed(self, mark: tuple[int, int, bool, str], para_start: int) -> None:
        start, end, double, role = mark
        if role == "toggle":
            role = "close" if any(d == double for d, _ in self.stack) else "open"
        if role == "open":
            self.stack.append((double, end - 1))  # the quote starts after the mark's last character
        elif role == "close":
            self.close(start, double, para_start)

    def close(self, pos: int, double: bool, para_start: int) -> None:
        depth = next((k for k in range(len(self.stack) - 1, -1, -1) if self.stack[k][0] == double), None)
        if depth == 0:
            self.found.append((self.stack[0][1] + 1, pos, self.stack[0][1], pos, False))
        elif depth is None and double and not self.stack and not self.text[pos - 1:pos].isdigit():
            # A closing mark with no opener (the opener was lost): quote from the paragraph or last quote on.
            start = max([para_start] + [f[3] + 1 for f in self.found if f[3] >= para_start])
            self.found.append((start, pos, -1, pos, True))
        if depth is not None:
            del self.stack[depth:]

    def end_paragraph(self, end: int, next_opens: bool) -> bool:
        """Close an open quote at a paragraph end, unless the next paragraph reopens it; True when it continues."""
        if self.stack and next_opens:
            del self.stack[1:]
            return True
        if self.stack:
            self.found.append((self.stack[0][1] + 1, end, self.stack[0][1], -1, True))
        self.stack.clear()
        return False


def _pair(text: str, paras: list[tuple[int, int]]) -> list[tuple[int, int, int, int, bool]]:
    """Top-level quoted spans as (content start, content end, open mark, close mark, unbalanced)."""
    pairing = _Pairing(text)
    skip = -1
    for k, (ps, pe) in enumerate(paras):
        for mark in _roles(text, (ps, pe)):
            if mark[0] != skip:
                pairing.feed(mark, ps)
        nxt = paras[k + 1][0] if k + 1 < len(paras) else -1
        opens = nxt >= 0 and bool(pairing.stack) and text[nxt] in _MARK_CHARS
        skip = nxt if pairing.end_paragraph(pe, opens and (text[nxt] in _DOUBLE) == pairing.stack[0][0]) else -1
    return pairing.found


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    # Trailing commas belong to the sentence around the quote ("...NATO," KCNA said), not to the words quoted.
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return (start, end) if end > start else None


# ------------------------------------------------------------------------------------------------- drafts

@dataclass
class _Draft:
    start: int
    end: int
    kind: str = ""
    unbalanced: bool = False
    open: int = -1            # offset of the opening mark (-1 for indirect quotes and lost openers)
    close: int = -1           # offset of the closing mark (-1 when never closed)
    cue: str = ""
    cue_lemma: str = ""
    cue_token: int = -1
    who: Token | None = None  # head token of the speaker as written, before resolution


def _marked(ctx: _Ctx) -> list[_Draft]:
    """Direct and partial quotes: the top-level quoted spans, classified and attributed."""
    drafts = []
    for start, end, op, cl, unbalanced in _pair(ctx.text, ctx.paras):
        span = _strip(ctx.text, start, end)
        if span and _tokens(ctx, *span).stop > _tokens(ctx, *span).start:
            drafts.append(_Draft(*span, unbalanced=unbalanced, open=op, close=cl))
    for d in drafts:
        ctx.inside[_tokens(ctx, d.start, d.end)] = True
    for prev, d in zip([None, *drafts], drafts):
        d.kind = _kind(ctx, d, prev)
        if prev is not None and _split(ctx, prev, d):
            prev.kind = d.kind = "direct"  # '"The talks," she said, "are over."': one quote in two pieces
        _attribute(ctx, d)
    for prev, d in zip(drafts, drafts[1:]):
        if prev.kind == d.kind == "direct" and prev.who is None and d.who is not None and _split(ctx, prev, d):
            prev.cue, prev.cue_lemma, prev.cue_token, prev.who = d.cue, d.cue_lemma, d.cue_token, d.who
    return drafts


def _split(ctx: _Ctx, prev: _Draft, d: _Draft) -> bool:
    """The two quotes are pieces of one, parted by a short attribution: ``"A," she said, "B."``."""
    if prev.close < 0 or d.open < 0 or not 0 < d.open - prev.close < 60:
        return False
    between = ctx.text[prev.close + 1:d.open]
    if re.search(r"[.!?\n]", between) or not (between.lstrip().startswith(",") or
                                               ctx.text[prev.close - 1:prev.close] == ","):
        return False
    if not between.rstrip().endswith(",") and _before_open(ctx.text, d.open) != ",":
        return False
    tokens = ctx.doc[_tokens(ctx, prev.close + 1, d.open)]
    return any(t.pos_ == "VERB" and any(c.dep_ == "nsubj" for c in t.children) for t in tokens)


_SUBJECTS = frozenset(("nsubj", "nsubjpass", "csubj", "expl"))


def _kind(ctx: _Ctx, d: _Draft, prev: _Draft | None) -> str:
    sl = _tokens(ctx, d.start, d.end)
    if "\n" in ctx.text[d.start:d.end] or _breaks(ctx, sl):
        return "direct"
    lead = _lead(ctx, d)
    if not any(t.pos_ in ("VERB", "AUX") for t in lead) and _sentence_like(ctx.doc, sl, strict=False):
        return "direct"  # the quote is the sentence, perhaps after an adverb ("Also, "we agreed ..."")
    opens_clause = _before_open(ctx.text, max(d.open, 0) or d.start) == ":" or (lead and lead[-1].i in ctx.cues)
    if (opens_clause or _continues(ctx, prev, d)) and _sentence_like(ctx.doc, sl, strict=True):
        return "direct"
    return "partial"


def _breaks(ctx: _Ctx, sl: slice) -> bool:
    """The quote holds a sentence end followed by another sentence."""
    inner = ctx.sents[(ctx.sents > sl.start) & (ctx.sents < sl.stop)]
    return any(ctx.doc[int(i) - 1].text[-1:] in ".!?…" for i in inner)


def _sentence_like(doc: Doc, sl: slice, *, strict: bool) -> bool:
    # A clause: a quoted verb whose subject is quoted too (a relative clause inside the quote does not count). At a
    # sentence start a longer verb phrase will do ("Stop the provocations now").
    words = [t for t in doc[sl] if not t.is_punct]
    roots = [t for t in words if not sl.start <= t.head.i < sl.stop or t.head.i == t.i]
    if any(c.dep_ in _SUBJECTS and sl.start <= c.i < sl.stop for t in roots for c in t.children):
        return True
    return not strict and len(words) >= 5 and any(t.pos_ in ("VERB", "AUX") for t in words)


def _lead(ctx: _Ctx, d: _Draft) -> list[Token]:
    """The words of the quote's sentence before its opening mark."""
    first = _token_at(ctx, d.open) if d.open >= 0 else _tokens(ctx, d.start, d.end).start
    begin, _ = _sentence(ctx, first)
    return [t for t in ctx.doc[begin:first] if not (t.is_punct or t.is_space)]


def _continues(ctx: _Ctx, prev: _Draft | None, d: _Draft) -> bool:
    """``"A," he said, "B."``: B goes on a direct quote A after a short attribution in the same sentence."""
    if prev is None or prev.kind != "direct" or prev.close < 0 or not 0 < d.open - prev.close < 80:
        return False
    between = _tokens(ctx, prev.close + 1, d.open)
    return not re.search(r"[.!?\n]", ctx.text[prev.close + 1:d.open]) and \
        any(i in ctx.cues for i in range(between.start, between.stop))


# ------------------------------------------------------------------------------------------------ attribution

def _attribute(ctx: _Ctx, d: _Draft) -> None:
    """Give a marked quote its cue and speaker: a governing or adjacent reporting verb, else a cue phrase."""
    if d.kind == "partial" and _in_subject(ctx, d):
        return  # "My North Korean "minder" Li explained": a label inside the subject, not the reported words
    found = _inner_cue(ctx, d) if d.kind == "partial" else None
    for finder in (_governing_cue, _adjacent_cue):
        found = finder(ctx, d) if found is None else found
    if found is None and d.kind == "direct":
        found = _speech_verb(ctx, d)
    if found is not None:
        d.cue, d.cue_lemma = ctx.cues[found]
        d.cue_token, d.who = found, _subject(ctx, ctx.doc[found])
    elif (phrase := _nearby_phrase(ctx, d)) is not None:
        d.cue, d.cue_lemma, d.who = phrase.cue, phrase.lemma, _phrase_speaker(ctx, phrase)
    elif d.kind == "direct":
        d.who = _dash_source(ctx, d) or _roundup_source(ctx, d) or _colon_subject(ctx, d)


def _colon_subject(ctx: _Ctx, d: _Draft) -> Token | None:
    """``Kaine has adopted the stance of many Catholics: "I'm pro-life ..."``: a quote a colon opens is the
    subject's, whatever the verb before the colon."""
    if d.open < 0 or _before_open(ctx.text, d.open) != ":":
        return None
    colon = ctx.doc[_token_at(ctx, ctx.text.rindex(":", 0, d.open))]
    verb = colon.head
    for _ in range(3):  # "issued the following statement:": the colon hangs on the noun, the noun on the verb
        if verb.pos_ in ("VERB", "AUX") or verb.head.i == verb.i:
            break
        verb = verb.head
    if verb.pos_ not in ("VERB", "AUX") or _apart(ctx, verb, colon):
        return None
    subject = next((c for c in verb.children if c.dep_ == "nsubj" and not ctx.inside[c.i]), None)
    return _unrelative(subject) if subject is not None else None


def _speech_verb(ctx: _Ctx, d: _Draft) -> int | None:
    """A verb the lexicon does not list that reports the quote from right after its closing mark: inverted
    (``"...," fumed the agency's chief``) or after its subject (``"...," the chief fumed``). It becomes the
    quote's cue; the stance lexicon classes it as unclassified."""
    for i in _after(ctx, d):
        token = ctx.doc[i]
        if token.pos_ != "VERB" or token.tag_ not in ("VBD", "VBZ", "VBP"):
            continue
        subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
        if subject is None or any(c.dep_ in ("dobj", "ccomp", "xcomp") and c.i > token.i and not ctx.inside[c.i]
                                  for c in token.children):
            return None  # '"...," Trump won the race': an action, not the report of the quote
        ctx.cues[i] = (token.text, token.lemma_.lower())
        return i
    return None


_DASHES = frozenset("—–-―‒")  # em, en, hyphen, horizontal bar (quotation dash), figure dash
_DASH = re.compile(r"[^\S\n]*(?:--|[—–―‒-])[^\S\n]*")


def _dash_source(ctx: _Ctx, d: _Draft) -> Token | None:
    """``"These drills are a rehearsal for war." — Defence Minister Ola Brandt``: a name after a dash that ends
    its line or sentence is the quote's source."""
    if d.close < 0:
        return None
    # The dash may be its own token or stuck to the mark ('”―' is one token): read it off the text.
    dash = _DASH.match(ctx.text, d.close + 1)
    if dash is None:
        return None
    first = int(np.searchsorted(ctx.starts, dash.end(), "left"))
    if first >= len(ctx.doc):
        return None
    stop = min(_sentence(ctx, first)[1], first + 12)
    words = [t for t in ctx.doc[first:stop] if not (t.is_punct or t.is_space)]
    names = [t for t in words if t.pos_ == "PROPN" or t.ent_type_ in ("PERSON", "ORG")]
    return _root(names) if names and not any(t.pos_ in ("VERB", "AUX") for t in words) else None


def _roundup_source(ctx: _Ctx, d: _Draft) -> Token | None:
    """``Ola Brandt, Nordic Daily: "The summit changed nothing."``: a short name (and affiliation) before a colon
    that opens the quote is its source."""
    if d.open < 0:
        return None
    para = _tokens(ctx, *ctx.paras[_paragraph(ctx, d.open)])
    first = _token_at(ctx, d.open)
    colon = next((i for i in range(para.start, min(first, para.start + 10)) if ctx.doc[i].text == ":"), None)
    if colon is None or colon == para.start:
        return None  # 'Trump: "I'm the worst ..."', 'Issa: Clinton's "honesty is in question"'
    lead = [t for t in ctx.doc[para.start:colon] if not t.is_punct]
    if not lead or len(lead) > 8 or not all(t.text[:1].isupper() or t.text.lower() in _NAME_GLUE for t in lead):
        return None
    name = list(ctx.doc[para.start:colon])
    name = name[:next((k for k, t in enumerate(name) if t.text == ","), len(name))]
    return name[-1] if name and not name[-1].is_punct else None


_NAME_GLUE = frozenset(("of", "the", "and", "for", "de", "van", "von", "al"))


def _root(tokens: list[Token]) -> Token:
    """The token of ``tokens`` whose head lies outside them (the head of a name phrase)."""
    ids = {t.i for t in tokens}
    return next((t for t in tokens if t.head.i not in ids or t.head.i == t.i), tokens[-1])


def _in_subject(ctx: _Ctx, d: _Draft) -> bool:
    token = ctx.doc[_tokens(ctx, d.start, d.end).start]
    for _ in range(8):
        if token.head.i == token.i or token.pos_ in ("VERB", "AUX") or _apart(ctx, token, token.head):
            return False
        if token.dep_ in _SUBJECTS:
            return True
        token = token.head
    return False


def _inner_cue(ctx: _Ctx, d: _Draft) -> int | None:
    """``Pyongyang "strongly denounced" ...``: the quoted words are the reporting verb, its subject outside."""
    sl = _tokens(ctx, d.start, d.end)
    verbs = (ctx.doc[i] for i in range(sl.start, sl.stop) if i in ctx.cues)
    return next((v.i for v in verbs if any(c.dep_ == "nsubj" and c.i < sl.start for c in v.lefts)), None)


def _governing_cue(ctx: _Ctx, d: _Draft) -> int | None:
    """The nearest reporting verb (outside quotes) linked to the quote by the parse: an ancestor of its words,
    or a child of them (``"...," he said`` is sometimes parsed with *said* under the quoted verb)."""
    sl = _tokens(ctx, d.start, d.end)
    # The parse may run across a paragraph break (a headline into the lede); a cue must share the quote's paragraphs.
    reach = (ctx.paras[_paragraph(ctx, d.start)][0], ctx.paras[_paragraph(ctx, d.end - 1)][1])
    found = [i for root in ctx.doc[sl] if not sl.start <= root.head.i < sl.stop or root.head.i == root.i
             for i in _linked(ctx, root) if reach[0] <= ctx.starts[i] < reach[1]]
    # Nearest first, but a cue whose speaker the parse gives wins ("which he said verified the "...""").
    ranked = sorted(found, key=lambda i: min(abs(i - sl.start), abs(i - sl.stop)))
    return next((i for i in ranked if _subject(ctx, ctx.doc[i]) is not None), ranked[0] if ranked else None)


def _linked(ctx: _Ctx, root: Token) -> Iterator[int]:
    yield from (c.i for c in root.children if c.i in ctx.cues and not ctx.inside[c.i])
    token = root
    for _ in range(6):
        if token.head.i == token.i or token.dep_ in _SUBJECTS:
            return  # a quote inside the subject ("the "Self-Defense Force" revealed") is not what the verb reports
        token = token.head
        if token.i in ctx.cues and not ctx.inside[token.i]:
            yield token.i


def _adjacent_cue(ctx: _Ctx, d: _Draft) -> int | None:
    """A reporting verb right after the closing mark, else the last one before the opening mark."""
    after = next((i for i in _after(ctx, d) if i in ctx.cues), None)
    return after if after is not None else next((i for i in _before(ctx, d) if i in ctx.cues), None)


def _after(ctx: _Ctx, d: _Draft) -> Iterator[int]:
    if d.close < 0:
        return
    first = _tokens(ctx, d.close + 1, d.close + 2).start
    para_end = ctx.paras[_paragraph(ctx, d.close)][1]
    crosses = first < len(ctx.doc) and ctx.doc[first].text[:1].islower() or ctx.text[d.close + 1:d.close + 2] == ","
    if not crosses and _char_before(ctx.text, d.close) in ".!?":
        # '..." He condemned': a new sentence, whatever the parser thinks; but '"It is over." Mr. Tanaka said.'
        # is a short sentence that only attributes the quote.
        if not _short_attribution(ctx, first):
            return
        crosses = True
    for i in range(first, min(first + 12, len(ctx.doc))):
        if ctx.starts[i] >= para_end or ctx.inside[i] or (i in ctx.sent_set and i > first and not crosses):
            return
        yield i


def _short_attribution(ctx: _Ctx, first: int) -> bool:
    """The sentence starting at token ``first`` is a few words around a finite verb with a subject and no object:
    ``Mr. Tanaka said.``, ``Clinton writes to Sullivan.``"""
    if first >= len(ctx.doc):
        return False
    stop = _sentence(ctx, first)[1]
    words = [t for t in ctx.doc[first:stop] if not (t.is_punct or t.is_space)]
    verbs = [t for t in words if t.pos_ == "VERB" and t.tag_ in ("VBD", "VBZ", "VBP")]
    return 2 <= len(words) <= 8 and len(verbs) == 1 and ctx.doc[stop - 1].text in (".", "!") and \
        any(c.dep_ == "nsubj" for c in verbs[0].children) and \
        not any(c.dep_ in ("dobj", "ccomp", "xcomp") for c in verbs[0].children)


def _before(ctx: _Ctx, d: _Draft) -> Iterator[int]:
    first = _token_at(ctx, d.open) if d.open >= 0 else _tokens(ctx, d.start, d.end).start
    begin, _ = _sentence(ctx, first)
    if begin == first and first and _char_before(ctx.text, int(ctx.starts[first])) == ":":
        begin, _ = _sentence(ctx, first - 1)  # The ministry said:\n"..."
    return (i for i in range(first - 1, begin - 1, -1) if not ctx.inside[i])


def _nearby_phrase(ctx: _Ctx, d: _Draft) -> _Phrase | None:
    sl = _tokens(ctx, d.start, d.end)
    begin, stop = _sentence(ctx, sl.start)[0], _sentence(ctx, max(sl.stop - 1, sl.start))[1]
    near = [p for p in ctx.phrases if begin <= p.first < stop and not ctx.inside[p.first]]
    return min(near, key=lambda p: min(abs(p.first - sl.start), abs(p.first - sl.stop)), default=None)


def _subject(ctx: _Ctx, verb: Token) -> Token | None:
    """The speaker of a reporting verb: its subject, found through participles and conjuncts
    ("..., accusing X" and "did not refer ... but said" take the subject of the verb they hang on)."""
    cue = verb
    for _ in range(4):
        # A subject inside quote marks is a word of the quote the parse hung the cue on ('"...: We will achieve
        # justice," Chief Jordan said'; '"...," Flynn said on "Fox and Friends."'), never who reports it.
        kids = {c.dep_: c for c in verb.children if not ctx.inside[c.i]}
        if "nsubjpass" in kids and verb is not cue:
            return _unrelative(kids["nsubjpass"])  # "He was quoted as saying ...": he says it
        if "nsubjpass" in kids or "auxpass" in kids:
            return next((g for g in kids["agent"].children if g.dep_ == "pobj"), None) if "agent" in kids else None
        if "nsubj" in kids:
            return _unrelative(kids["nsubj"])
        head = verb.head.head if verb.dep_ == "pcomp" else verb.head  # "quoted as saying": over the preposition
        if verb.dep_ not in ("conj", "xcomp", "advcl", "pcomp") or head.i == verb.i or _apart(ctx, verb, head) \
                or ctx.inside[head.i]:
            break
        verb = head
    return _noun_before(cue) or _name_after_quote(ctx, cue) or _clause_subject(ctx, cue)


def _clause_subject(ctx: _Ctx, verb: Token) -> Token | None:
    """``Flea shared the news, writing "..."``: a participle after a comma reports for the subject of the clause
    before it, however the parse hung it."""
    if verb.tag_ != "VBG" or verb.i < 1 or verb.doc[verb.i - 1].text != ",":
        return None
    begin = _sentence(ctx, verb.i)[0]
    return next((verb.doc[i] for i in range(verb.i - 2, begin - 1, -1)
                 if verb.doc[i].dep_ == "nsubj" and not ctx.inside[i]), None)


def _name_after_quote(ctx: _Ctx, verb: Token) -> Token | None:
    """``"...," Brent Bozell III, founder of the Media Research Center, tells ...``: the parse hangs the name on
    the quote; the speaker is the name between the closing mark and the verb."""
    i = verb.i - 1
    while i >= 0 and verb.i - i <= 16 and not ctx.inside[i] and ctx.doc[i].text not in _MARK_CHARS:
        i -= 1
    if i < 0 or ctx.doc[i].text not in _MARK_CHARS:
        return None
    words = [t for t in ctx.doc[i + 1:verb.i] if not t.is_punct]
    if not words or any(t.pos_ in ("VERB", "AUX") for t in words):
        return None
    name = []
    for t in words:
        if name and t.pos_ not in ("PROPN", "NOUN", "ADJ", "NUM", "DET"):
            break
        if t.pos_ in ("PROPN", "NOUN") or name:
            name.append(t)
    return _root(name) if name else None


def _apart(ctx: _Ctx, a: Token, b: Token) -> bool:
    """The two tokens sit in different paragraphs (the parse linked a headline to the lede)."""
    return _paragraph(ctx, a.idx) != _paragraph(ctx, b.idx)


def _noun_before(verb: Token) -> Token | None:
    """Fallback for a finite verb the parse gave no subject: the name just before it ("... Ministry said")."""
    prev = verb.i - 1
    while prev >= 0 and verb.doc[prev].pos_ in ("ADV", "AUX", "PART") and verb.doc[prev].tag_ != "POS":
        prev -= 1
    if verb.tag_ not in ("VBD", "VBZ", "VBP") or prev < 0 or verb.doc[prev].pos_ not in ("PROPN", "NOUN", "PRON"):
        return None
    noun = verb.doc[prev]
    return noun.head if noun.dep_ == "compound" and noun.head.i > noun.i else noun


def _unrelative(subj: Token) -> Token | None:
    """``a researcher, who claimed``: a relative pronoun stands for the noun its clause hangs on."""
    if subj.lower_ not in ("who", "which", "that") or subj.head.dep_ != "relcl":
        return subj if subj.pos_ != "PRON" or subj.lower_ not in ("there", "what", "which", "that") else None
    noun = subj.head.head
    while noun.dep_ == "appos" and noun.head.i != noun.i:
        noun = noun.head
    return noun


def _phrase_speaker(ctx: _Ctx, phrase: _Phrase) -> Token | None:
    last = ctx.doc[phrase.last]
    if last.lower_ in _OBJECT_PREPS:
        return next((c for c in last.children if c.dep_ == "pobj"), None)
    return _subject(ctx, _anchor(ctx, phrase).head)  # "in a statement": whoever does the verb it modifies


def _anchor(ctx: _Ctx, phrase: _Phrase) -> Token:
    words = ctx.doc[phrase.first:phrase.last + 1]
    return next((t for t in words if not phrase.first <= t.head.i <= phrase.last), words[0])


def _inherit(ctx: _Ctx, drafts: list[_Draft]) -> None:
    """A direct quote with no attribution of its own goes on the last speaker, of a quote or of reported speech,
    of this or the two paragraphs before ("..., said Bart Lee. "Nobody expected it."")."""
    last = None
    for d in drafts:
        near = last is not None and _paragraph(ctx, d.start) - _paragraph(ctx, last.end) <= 2
        if d.who is None and d.kind == "direct" and near:
            d.who = last.who
        last = d if d.who is not None else last


# --------------------------------------------------------------------------------------------------- indirect

def _indirect(ctx: _Ctx, marked: list[_Draft]) -> tuple[list[_Draft], list[_Draft]]:
    """Reported speech: the clause a reporting verb or "according to" introduces; returns (kept, dropped), where
    dropped clauses are mostly quoted already, though their speakers still count for resolving pronouns."""
    # The cue of a direct quote reports a clause too: mostly the quote itself (dropped below), but in 'A cashier who
    # "steals a handful of $20s" is held accountable, Warren said.' a clause of which the quote is a small part.
    drafts = [d for i in sorted(ctx.cues) if not ctx.inside[i] for d in _reported(ctx, i)]
    drafts += [_reported_by_phrase(ctx, p) for p in ctx.phrases if not ctx.inside[p.first]]
    drafts += [_reported_as_view(ctx, ctx.doc[int(i)]) for i in np.flatnonzero(np.isin(ctx.lemmas, _view_hashes()))
               if not ctx.inside[int(i)]]
    drafts += [_headline_claim(ctx, para) for para in ctx.paras if ":" in ctx.text[para[0]:para[0] + 50]]
    # A direct quote holding half the clause already reports it, a partial quote only when it is nearly all of it:
    # 'X said the state is "spiraling out of control."' is X's reported clause with a few words quoted.
    direct = [(d.start, d.end) for d in marked if d.kind == "direct"]
    spans = [(d.start, d.end) for d in marked]
    quoted = [d is not None and (_covered(direct, d) >= 0.5 or _covered(spans, d) >= 0.75) for d in drafts]
    return [d for d, q in zip(drafts, quoted) if d is not None and not q], \
        [d for d, q in zip(drafts, quoted) if d is not None and q]


_NAME_COLON = re.compile(r"(?P<name>[A-Z][\w.'’-]*(?:[^\S\n]+[A-Z][\w.'’-]*){0,3})[^\S\n]*:[^\S\n]+(?=[^\W\d_])")


def _headline_claim(ctx: _Ctx, para: tuple[int, int]) -> _Draft | None:
    """``Pence: Gennifer Flowers Won't Be at Debate``: a paragraph (a headline, a transcript line) opening with a short
    capitalised name and a colon reports what follows, to the paragraph's end, as that name's claim. A
    paragraph label ("UPDATE:", "Watch:"; the ``labels`` of ``analysis/data/speakers.yaml``) is no speaker."""
    found = _NAME_COLON.match(ctx.text, para[0], para[1])
    if found is None or " ".join(found["name"].lower().split()) in speaker_words().labels:
        return None
    name = ctx.doc[_tokens(ctx, *found.span("name"))]
    if not len(name) or any(t.pos_ in ("VERB", "AUX") for t in name):
        return None
    first = _token_at(ctx, found.end())
    if ctx.inside[first] or _sentence(ctx, first)[1] - first < 3:
        return None
    # "MATTHEWS: <sentence>. <sentence>.": a transcript line is the speaker's to the end of the paragraph
    span = _trim(ctx, first, _tokens(ctx, *para).stop - 1, near=first)
    if span is None:
        return None
    return _Draft(*span, kind="indirect", who=_root(list(name)))  # no verb: like the roundup form, no cue


def _covered(spans: list[tuple[int, int]], d: _Draft) -> float:
    overlap = sum(max(0, min(e, d.end) - max(s, d.start)) for s, e in spans)
    return overlap / max(d.end - d.start, 1)


def _reported(ctx: _Ctx, i: int) -> list[_Draft]:
    verb = ctx.doc[i]
    bounds = _complement(verb) or _that_clause(ctx, verb)
    pieces = [bounds] if bounds else _around(ctx, verb)
    spans = [span for b in pieces if (span := _trim(ctx, *b, near=i))]
    cue, lemma = ctx.cues[i]
    who = _subject(ctx, verb) if spans else None
    return [_Draft(*span, kind="indirect", cue=cue, cue_lemma=lemma, cue_token=i, who=who) for span in spans]


def _around(ctx: _Ctx, verb: Token) -> list[tuple[int, int]]:
    """``Owning the port, Mr. Tanaka said, would end the dispute.``, ``As KCNA reported, <clause>``: an
    attribution set off inside the sentence it reports; the report is the sentence around it, in two pieces."""
    subject = next((c for c in verb.lefts if c.dep_ == "nsubj"), None)
    if subject is None:
        return []
    if verb.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ == "as" for c in verb.lefts):
        # "As Breitbart News reported, <clause>" and "<clause>, as Joel Pollak observed": the clause is reported.
        begin, stop = _sentence(ctx, verb.i)
        first, last = verb.left_edge.i, verb.right_edge.i
        return [(begin, first - 1), (last + 1, stop - 1)]
    if verb.dep_ != "parataxis":
        return []
    first, last = subject.left_edge.i, verb.right_edge.i
    doc = verb.doc
    if doc[last].text == ",":
        last -= 1
    if first < 1 or last + 1 >= len(doc) or doc[first - 1].text != "," or doc[last + 1].text != ",":
        return []
    begin, stop = _sentence(ctx, verb.i)
    return [(begin, first - 2), (last + 2, stop - 1)]


def _complement(verb: Token) -> tuple[int, int] | None:
    """Token bounds of what a reporting verb reports: its clausal complement, or "Y of Z" after "accuse"."""
    kids = list(verb.children)
    comps = [c for c in kids if c.dep_ == "ccomp"] or [c for c in kids if c.dep_ == "xcomp" and c.pos_ == "VERB"] \
        or [c for c in kids if _unmarked_clause(verb, c)]
    if not comps:
        return _charge(verb, kids)
    if comps[0].dep_ == "xcomp":
        # "wants to triple X, grow Y and create Z": the parse hangs the later infinitives on the verb, not on the first
        comps += [c for c in kids if c.dep_ == "conj" and c.tag_ == "VB" and c.i > comps[0].i]
    right = [c for c in comps if c.i > verb.i]  # a complement on each side is a parse across sentences
    first, last = min(c.left_edge.i for c in right or comps), max(c.right_edge.i for c in right or comps)
    if not right:
        return first, min(last, verb.i - 1)  # "The talks failed, he said."
    clause = min(right, key=lambda c: c.left_edge.i)
    subject = next((g for g in clause.children if g.dep_ == "nsubj"), None)
    # "claimed NATO was to blame": the parse made the clause's subject the verb's object. A finite clause that opens
    # with "that" (whether, why ...) and has a subject of its own leaves the object out: "told delegates at the
    # convention that P" reports P, not whom it was told to; "told his aides to find a way" orders the aides to.
    objects = [] if _addressed(clause) else [c.left_edge.i for c in kids if c.dep_ == "dobj" and verb.i < c.i < first]
    first = max(min([first, *objects]), verb.i + 1)
    if subject is not None and not any(g.dep_ == "mark" for g in clause.children) and all(
            g.dep_ in ("prep", "npadvmod") for g in clause.children if g.i < subject.left_edge.i):
        first = max(first, subject.left_edge.i)  # "said on Monday he would": when it was said, not what
    particle = verb.doc[first]
    if particle.dep_ == "prt" or particle.lower_ == "that" and particle.tag_ in ("IN", "WDT"):
        first += 1  # "pointed out that ...": neither the particle nor "that" is reported
    return first, last


def _addressed(clause: Token) -> bool:
    """``clause`` is a finite clause with its own subject opening with a complementizer or wh-word ("that the
    drills would go on", "whether HP should proceed"): what stands between it and its verb is whom it was said to."""
    opener = clause.doc[clause.left_edge.i]
    finite = clause.tag_ in ("VBD", "VBZ", "VBP", "MD") or any(
        c.dep_ in ("aux", "auxpass") and c.tag_ in ("VBD", "VBZ", "VBP", "MD") for c in clause.children)
    return finite and (opener.dep_ == "mark" or opener.tag_ in ("WDT", "WP", "WRB")) and any(
        c.dep_ in _SUBJECTS for c in clause.children)


def _unmarked_clause(verb: Token, child: Token) -> bool:
    """``said after the convention he would not accept``: the parse hangs the reported clause on the verb as an
    adverbial clause; one with its own subject and no conjunction (because, when, if, as) is what was said."""
    return child.dep_ == "advcl" and child.i > verb.i and verb.tag_ in ("VBD", "VBZ", "VBP") and \
        any(c.dep_ == "nsubj" for c in child.children) and not any(c.dep_ == "mark" for c in child.children)


def _that_clause(ctx: _Ctx, verb: Token) -> tuple[int, int] | None:
    """Fallback when the parse lost the complement (a headline run into the lede garbles it): "said in a
    statement over the weekend that <clause>" reports the rest of the sentence."""
    stop = _sentence(ctx, verb.i)[1]
    if verb.tag_ not in ("VBD", "VBZ", "VBP"):
        return None  # only a finite verb reports; "NATO was to blame ... and that" does not
    for t in ctx.doc[verb.i + 1:min(verb.i + 16, stop)]:
        if t.lower_ == "that" and t.tag_ == "IN":
            return t.i + 1, stop - 1
        if t.pos_ in ("VERB", "AUX") or t.text in ".;:!?\"“”":
            return None
    return None


_VIEW_PREPS = ("of", "for", "as")       # accused X of Y, condemned X for Y, viewed X as Y
_AGAINST_PREPS = ("against", "about")  # railed against X, complained about X
_DEMAND_VERBS = frozenset(("call", "argue", "appeal", "plead", "press", "push"))  # called for X: a demand is a view


def _charge(verb: Token, kids: list[Token]) -> tuple[int, int] | None:
    """A view or charge the verb reports about an object: "accused Washington of plotting", "condemned Seoul for
    staging", "viewing them as rehearsals", "called the drills a rehearsal", "railed against the alliance",
    "called for a moratorium"."""
    obj = next((c for c in kids if c.dep_ == "dobj"), None)
    if obj is not None:
        tail = [c for c in kids if c.i > obj.i and (c.dep_ == "oprd" or c.dep_ == "prep" and c.lower_ in _VIEW_PREPS
                                                    and any(g.dep_ in ("pcomp", "pobj") for g in c.children))]
        if tail:
            return obj.left_edge.i, tail[0].right_edge.i
        # "Trump is promising lower taxes", "stressed the need to bolster ...", "condemned the raids": the object is
        # what was said or judged. Only a report that was made: not "will demand", "refused to disclose" (a base
        # form); and not a person or group ("praised the mayor", "questioned the senators"), whom it was said of.
        content = obj.i > verb.i and obj.pos_ == "NOUN" and verb.tag_ != "VB" and (
            verb.lemma_.lower() in object_reports() or _record_finding(verb)) and \
            speaker_type(obj) not in ("person", "group")
        return (obj.left_edge.i, obj.right_edge.i) if content else None
    demands = _AGAINST_PREPS + (("for",) if verb.lemma_.lower() in _DEMAND_VERBS else ())
    preps = [c for c in kids if c.dep_ == "prep" and c.lower_ in demands and c.i > verb.i]
    if preps and any(g.dep_ in ("pobj", "pcomp") for g in preps[0].children):  # "called for taxing X" too
        return preps[0].i, preps[0].right_edge.i
    return None


def _record_finding(verb: Token) -> bool:
    """"A CNN poll showed a one-point race", "the audit found no record of it": what a poll, study or record finds
    (``record_findings`` with a subject among ``cited_records`` or the documents) is its finding, not the narrator's
    fact; a person's "found the keys" is no report."""
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    return verb.lemma_.lower() in record_findings() and subject is not None and (
        subject.lemma_.lower() in cited_records() or subject.lemma_.lower() in _DOCUMENTS)


def _reported_by_phrase(ctx: _Ctx, phrase: _Phrase) -> _Draft | None:
    """"According to X, <clause>": the clause the phrase hangs on, without the phrase."""
    anchor = _anchor(ctx, phrase)
    head = anchor.head
    if head.i == anchor.i or not phrase.lemma.startswith("according"):
        return None  # "said, as quoted by KCNA": the other phrases qualify a reporting verb, which reports by itself
    first, last = head.left_edge.i, head.right_edge.i
    while last > first and ctx.doc[last].is_punct:
        last -= 1  # "<clause>, according to X." ends at X, not at the period
    if anchor.left_edge.i <= first:
        first = anchor.right_edge.i + 1
    elif anchor.i > head.i:
        last = anchor.left_edge.i - 1  # "<clause>, according to X, but <more>": the rest is the narrator's again
    span = _trim(ctx, first, last, near=anchor.i)
    return span and _Draft(*span, kind="indirect", cue=phrase.cue, cue_lemma=phrase.lemma,
                           who=_phrase_speaker(ctx, phrase))


@cache
def _view_hashes() -> np.ndarray:
    return np.array(sorted(get_string_id(n) for n in view_nouns()), dtype=np.uint64)


def _reported_as_view(ctx: _Ctx, noun: Token) -> _Draft | None:
    """"In the ministry's words, <clause>", "in the words of X, <clause>", "X's view is that <clause>": the clause is
    the owner's view, the owner its speaker."""
    owner = next((c for c in noun.children if c.dep_ == "poss"), None) or next(
        (g for c in noun.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"),
        None)
    if owner is None or not _speaker_like(owner):
        return None  # "in my view", "in other words"
    prep, head = noun.head, noun.head.head
    if noun.dep_ == "pobj" and prep.lower_ in ("in", "to") and prep.dep_ == "prep" and head.pos_ in ("VERB", "AUX"):
        first, last = head.left_edge.i, head.right_edge.i  # "In X's words, <clause>": the clause without the phrase
        if prep.left_edge.i <= first:
            first = prep.right_edge.i + 1
        elif prep.right_edge.i >= last:
            last = prep.left_edge.i - 1
    elif noun.dep_ == "nsubj" and head.lemma_ == "be":
        clause = next((c for c in head.children if c.dep_ in ("ccomp", "attr") and c.i > head.i), None)
        if clause is None or clause.dep_ == "attr" and not any(g.dep_ == "relcl" for g in clause.children):
            return None  # "X's view is that <clause>" ("view is a plan" names no view)
        first, last = clause.left_edge.i, clause.right_edge.i
        if ctx.doc[first].lower_ == "that":
            first += 1
    else:
        return None
    span = _trim(ctx, first, last, near=noun.i)
    return span and _Draft(*span, kind="indirect", cue=noun.text, cue_lemma=noun.lemma_.lower(), who=owner)


def _trim(ctx: _Ctx, first: int, last: int, *, near: int) -> tuple[int, int] | None:
    """Char span of tokens first..last within token ``near``'s paragraph, without punctuation at either end;
    None when under two words. The parse may run a headline into the lede, the clause must not."""
    para = _tokens(ctx, *ctx.paras[_paragraph(ctx, int(ctx.starts[near]))])
    first, last = max(first, para.start), min(last, para.stop - 1)
    words = [t for t in ctx.doc[first:last + 1] if not (t.is_punct or t.is_space)]
    if len(words) < 2:
        return None
    return words[0].idx, words[-1].idx + len(words[-1])


# ------------------------------------------------------------------------------------------------- speakers

@dataclass(frozen=True)
class _Speaker:
    start: int
    end: int
    head: Token


_PRONOUNS = {"it": "thing", "he": "person", "she": "person", "they": "any"}
_DEFINITE = frozenset(("the", "this", "that", "these", "those"))
# A "statement" speaks for whoever issued it: a bare "the statement" resolves to the nearest earlier speaker.
_DOCUMENTS = frozenset("""statement report commentary article announcement release communique communiqué editorial
    declaration letter message dispatch note paper analysis study survey document memo speech notice text""".split())
_PERSON_NOUNS = frozenset("""spokesman spokeswoman spokesperson minister president official leader secretary
    ambassador analyst researcher expert professor general commander envoy diplomat lawmaker senator chairman chief
    director representative adviser advisor author writer reporter correspondent journalist editor premier
    chancellor governor mayor officer man woman source""".split())
_SOURCE_NOUNS = _PERSON_NOUNS | _DOCUMENTS | frozenset("""ministry agency government department office media
    newspaper committee council military army navy police court company group party administration embassy data
    figure estimate poll record website television radio outlet network channel daily journal news authority witness
    resident people observer critic diplomat intelligence""".split())


def _speaker_like(token: Token | None) -> bool:
    """A name, or a noun for people, bodies or documents: something that can be quoted."""
    return token is not None and (token.pos_ == "PROPN" or token.ent_type_ in ("PERSON", "ORG", "GPE", "NORP")
                                  or token.lemma_.lower() in _SOURCE_NOUNS)


def _is_person(sp: _Speaker) -> bool:
    return sp.head.ent_type_ == "PERSON" or sp.head.lemma_.lower() in _PERSON_NOUNS


_SEX = {"he": "male", "she": "female"}
_TITLES = _SEX  # the pronouns a title or a sex can rule out


def _unlabelled_name(sp: _Speaker) -> bool:
    """A name the entity recogniser gave no label (surnames often get none): a person as far as "he" can tell."""
    return sp.head.pos_ == "PROPN" and sp.head.ent_type_ == ""


def _fits(pronoun: str, sexes: Mapping[str, str] | None = None,
          persons: frozenset[str] = frozenset()) -> Callable[[_Speaker], bool]:
    # The sex the text gives a person (a title, a role noun, he or she used with the name; see ``_sexes``) is the
    # only gender the resolver uses: "he" never resolves to "Ms. Abrams" nor to a Hale the text calls "she".
    sexes, words = sexes or {}, speaker_words()
    # The phrase's own title or role noun first ("Mrs. Clinton" beside "Mr. Clinton"), then what the article says.
    sex = lambda sp: _sex_of(sp.head, words, sexes)  # noqa: E731
    other = lambda sp: pronoun in _SEX and sex(sp) not in ("", _SEX[pronoun])  # noqa: E731
    return {"thing": lambda sp: not _is_person(sp) and sp.head.tag_ not in ("NNS", "NNPS"),
            # "Ebeling" tagged ORG is still the person "Leslie Ebeling" the recogniser found before (``persons``).
            "person": lambda sp: (_is_person(sp) or _unlabelled_name(sp) or sp.head.pos_ == "PROPN"
                                  and sp.head.lower_ in persons) and not other(sp)
            and sp.head.tag_ not in ("NNS", "NNPS"),
            # "they" stands for several people or a body, never for one named person ("Mr. Stenger").
            "any": lambda sp: sp.head.lemma_.lower() not in _DOCUMENTS and not (
                _is_person(sp) and sp.head.tag_ not in ("NNS", "NNPS"))}[_PRONOUNS[pronoun]]


def _sexes(ctx: _Ctx) -> dict[str, str]:
    """The sex the text gives each named person, keyed by ``_name_key`` (the name's last word, after its title if it
    has one, so "Mrs. Hale" is not Senator Hale). A title or gendered role noun in the name's phrase ("Mrs. Hale",
    "spokeswoman Hope Hicks", "Hale, the chairman") counts three votes; "he"/"she"/"his"/"her" in a sentence
    without quote marks one vote for the only person named before it in its sentence (or, if none, in the
    sentence before). The sex is the one with at least twice the votes of the other, plus one; else none."""
    words = speaker_words()
    votes: dict[str, list[int]] = {}
    names: list[tuple[int, str]] = []
    for token in ctx.doc:
        if ctx.inside[token.i]:
            continue
        if token.pos_ == "PROPN" and token.ent_type_ in ("PERSON", "") and (token.i + 1 == len(ctx.doc) or
                                                                             ctx.doc[token.i + 1].pos_ != "PROPN"):
            key = _name_key(token, words)
            names.append((token.i, key))
            if sex := _name_sex(token, words):
                for k in _keys(token, key, words):
                    votes.setdefault(k, [0, 0])[sex == "female"] += 3
        elif token.lower_ in ("he", "she", "his", "her", "him", "hers"):
            # The names of the pronoun's own sentence before it, else those of the sentence before.
            k = int(np.searchsorted(ctx.sents, token.i, "right")) - 1
            stop = int(ctx.sents[k + 1]) if k + 1 < len(ctx.sents) else len(ctx.doc)
            if ctx.inside[int(ctx.sents[k]):stop].any():
                continue  # '"...," he said': the pronoun of an attribution is what is being resolved
            near = [n for n in names[-6:] if n[0] >= ctx.sents[k]] or \
                [n for n in names[-6:] if k > 0 and ctx.sents[k - 1] <= n[0] < ctx.sents[k]]
            if len({key for _, key in near}) == 1:
                last = ctx.doc[near[-1][0]]
                for key in _keys(last, near[-1][1], words):
                    votes.setdefault(key, [0, 0])[token.lower_ in ("she", "her", "hers")] += 1
    return {key: "male" if m > f else "female" for key, (m, f) in votes.items() if max(m, f) >= 2 * min(m, f) + 1}


def sexes(doc: Doc) -> dict[str, str]:
    """The sex the text of a parsed ``doc`` gives each named person: ``{"hale": "male", "mrs hale": "female"}``, keyed
    by the lower-cased last word of the name after its courtesy title if it has one (see ``_sexes`` for the votes).
    Used by the actor stage to tell "Mrs. Hale" from a Senator Hale the text calls "he"."""
    text = parses.text(doc)
    ctx = _Ctx(doc, text, np.array([t.idx for t in doc], dtype=np.int64),
               np.array([t.idx + len(t) for t in doc], dtype=np.int64), np.zeros(len(doc), dtype=np.uint64),
               np.fromiter((s.start for s in doc.sents), dtype=np.int64), _paragraphs(text),
               np.zeros(len(doc), dtype=bool))
    for start, end, *_ in _pair(text, ctx.paras):
        ctx.inside[_tokens(ctx, start, end)] = True
    return _sexes(ctx)


def name_key(last: Token) -> str:
    """The key of ``sexes`` for the name whose last word is ``last``."""
    return _name_key(last, speaker_words())


def _name_key(last: Token, words: SpeakerWords) -> str:
    first = _name_start(last, words)
    title = last.doc[first - 1].text.lower().rstrip(".") if first > 0 else ""
    return f"{title} {last.lower_}" if title in words.titles["male"] | words.titles["female"] else last.lower_


def _keys(last: Token, key: str, words: SpeakerWords) -> set[str]:
    """The keys a name votes for: its ``_name_key`` and, when it has a first name, its full name."""
    full = _full_name(last, words)
    return {key, full} if " " in full else {key}


def _full_name(last: Token, words: SpeakerWords) -> str:
    """"bill clinton" for "Bill Clinton": a name with a first name is told apart from others of its family."""
    return " ".join(t.lower_ for t in last.doc[_name_start(last, words):last.i + 1])


def _sex_of(last: Token, words: SpeakerWords, sexes: Mapping[str, str]) -> str:
    """The sex of a candidate speaker: its own title or role noun, else the votes for its full name when it has a
    first name ("Bill Clinton" is not the Clinton the article calls "she"), else for its surname."""
    own = _name_sex(last, words)
    if own:
        return own
    full = _full_name(last, words)
    return sexes.get(full, "") if " " in full else sexes.get(_name_key(last, words), "")


def _name_start(last: Token, words: SpeakerWords) -> int:
    first = last.i
    while first > 0 and last.doc[first - 1].pos_ == "PROPN" and not words.sex(last.doc[first - 1].text):
        first -= 1
    return first


def _name_sex(last: Token, words: SpeakerWords) -> str:
    """The sex a title before the name or a role noun in its phrase gives it ("" when none)."""
    if last.pos_ == "NOUN" and (sex := words.sex(last.lemma_)):
        return sex  # "the spokesman", "the spokesman Tom Baker" (the parse makes the noun the head)
    first = _name_start(last, words)
    if first > 0 and (sex := words.sex(last.doc[first - 1].text)):
        return sex
    related = [c for c in last.children if c.dep_ in ("appos", "compound")] + \
        ([last.head] if last.dep_ in ("appos", "compound") else [])
    return next((sex for t in related if (sex := words.sex(t.lemma_)) or (sex := words.sex(t.text))), "")


def _resolve(ctx: _Ctx, heads: Iterable[Token]) -> dict[int, _Speaker | None]:
    """Resolve each speaker head in text order, so a pronoun sees the resolved speakers before it."""
    resolved: dict[int, _Speaker | None] = {}
    history: list[_Speaker] = []
    ordered = sorted({h.i: h for h in heads}.values(), key=lambda h: h.i)
    pronouns = any(h.lower_ in _SEX for h in ordered)  # only an article with a he/she speaker pays for these
    sexes = _sexes(ctx) if pronouns else {}
    persons = frozenset(e[-1].lower_ for e in ctx.doc.ents if e.label_ == "PERSON") if pronouns else frozenset()
    for head in ordered:
        resolved[head.i] = sp = _resolve_one(ctx, head, history, sexes, persons)
        if sp is not None:
            history.append(sp)
        if sp is not None and head.lower_ in _SEX and sp.head.pos_ == "PROPN":
            # Whom "he" stood for is a man from here on: a later "she" looks past him.
            for key in _keys(sp.head, _name_key(sp.head, speaker_words()), speaker_words()):
                sexes.setdefault(key, _SEX[head.lower_])
    return resolved


def _resolve_one(ctx: _Ctx, head: Token, history: list[_Speaker], sexes: Mapping[str, str],
                 persons: frozenset[str] = frozenset()) -> _Speaker | None:
    if head.lower_ in _PRONOUNS:
        fit = _fits(head.lower_, sexes, persons)
        # The nearer of the last fitting speaker and the last fitting subject outside quotes: "Trump has not yet
        # responded ... "...," he tweeted" is Trump even when Calderon spoke before.
        # Only a named person gets ahead of the last speaker: "it" and "they" stay with the body that spoke.
        spoke = next((sp for sp in reversed(history) if fit(sp)), None)
        # ... a subject of a main clause, not of what someone reported ("X said that Sanders had ...").
        # ... and the first subject of its sentence: in "He added a note of caution, should Clinton attempt ..." the
        # sentence is about "he" (the last speaker), whatever the parse makes its root.
        named = lambda sp: fit(sp) and sp.head.pos_ == "PROPN" and sp.head.head.dep_ in ("ROOT", "conj") \
            and _first_subject(ctx, sp.head)  # noqa: E731
        subject = _subject_before(ctx, head, named, after=spoke.head.i) if spoke and head.lower_ in _TITLES else None
        # A person the text introduces after the last speaker ("... concerns Henry Crespo, president of the Black
        # Caucus.\n"...," he said") is who "he" or "she" stands for: news names a new speaker before quoting them.
        introduced = _introduced_before(ctx, head, fit, after=spoke.head.i) if spoke and head.lower_ in _SEX else None
        found = introduced or subject or spoke or _subject_before(ctx, head, fit)
        return found or _Speaker(head.idx, head.idx + len(head), head)  # "she", rather than no speaker
    sp = _noun_phrase(ctx, head)
    if ctx.doc[_token_at(ctx, sp.start)].lower_ not in _DEFINITE:
        return sp
    return _short_form(ctx, sp, history) or sp


def _introduced_before(ctx: _Ctx, head: Token, fit: Callable[[_Speaker], bool], *, after: int) -> _Speaker | None:
    """The nearest person named with an apposition ("Henry Crespo, president of ...", "Gloria Garcia, 34, a nurse")
    outside quotes between token ``after`` and the pronoun, within the pronoun's and the previous paragraph, and
    with no use of the same pronoun outside quotes in between."""
    para = _paragraph(ctx, head.idx)
    for i in range(head.i - 1, max(after, head.i - 80), -1):
        token = ctx.doc[i]
        if _paragraph(ctx, token.idx) < para - 1 or token.lower_ == head.lower_ and not ctx.inside[i]:
            return None  # "he" used again after the name: the text has gone back to the one it stood for
        if token.pos_ != "PROPN" or token.ent_type_ != "PERSON" or ctx.inside[i] or token.dep_ in _SUBJECTS:
            continue
        begin, stop = _sentence(ctx, i)
        if any(t.lower_ == head.lower_ and not ctx.inside[t.i] for t in ctx.doc[begin:stop]):
            continue  # "he supported a decision to nominate Sargent Shriver, a member of ...": "he" still leads
        if any(c.dep_ == "appos" and c.pos_ in ("NOUN", "NUM") for c in token.children) and fit(
                sp := _noun_phrase(ctx, token)):
            return sp
    return None


def _first_subject(ctx: _Ctx, token: Token) -> bool:
    """No subject outside quotes comes before ``token`` in its sentence."""
    begin = _sentence(ctx, token.i)[0]
    return not any(t.dep_ in ("nsubj", "nsubjpass") and not ctx.inside[t.i] for t in ctx.doc[begin:token.i])


def _short_form(ctx: _Ctx, sp: _Speaker, history: list[_Speaker]) -> _Speaker | None:
    """``the ministry`` -> the nearest earlier speaker naming a ministry with more words; ``the statement`` -> the
    nearest earlier speaker that is not itself a document."""
    words = _content_words(ctx, sp)
    if sp.head.lemma_.lower() in _DOCUMENTS:  # only a bare "the statement": "the white paper" is its own source
        fit = (a for a in reversed(history) if a.head.lemma_.lower() not in _DOCUMENTS and _speaker_like(a.head))
        return next(fit, None) if len(words) == 1 else None
    plural = sp.head.tag_.endswith("S")  # "the official" is not "several senior officials"
    same = (a for a in reversed(history)
            if a.head.lemma_.lower() == sp.head.lemma_.lower() and a.head.tag_.endswith("S") == plural)
    fit = next((a for a in same if _refines(words, _content_words(ctx, a))), None)
    bare = not any(t.pos_ == "PROPN" for t in ctx.doc[_tokens(ctx, sp.start, sp.end)])
    return fit or (_named_before(ctx, sp, words) if bare else None)


def _content_words(ctx: _Ctx, sp: _Speaker) -> list[str]:
    span = ctx.doc[_tokens(ctx, sp.start, sp.end)]
    return [t.lower_ for t in span if t.is_alpha and t.lower_ not in _DEFINITE]


def _refines(words: list[str], richer: list[str]) -> bool:
    """Every word of the short form is in the richer name (Korean ~ Korea), which says something more."""
    same = lambda a, b: a[:5] == b[:5] if min(len(a), len(b)) >= 5 else a == b  # noqa: E731
    return bool(words) and all(any(same(w, r) for r in richer) for w in words) and len(set(richer) - set(words)) > 0


def _named_before(ctx: _Ctx, sp: _Speaker, words: list[str]) -> _Speaker | None:
    """The nearest earlier proper name with the same head noun ("North Korea's foreign ministry" for "the
    ministry"), found through the lemma array rather than by building every noun chunk."""
    same = np.flatnonzero(ctx.lemmas[:sp.head.i] == ctx.lemmas[sp.head.i])
    for i in same[::-1][:8]:
        named = _noun_phrase(ctx, ctx.doc[int(i)])
        span = ctx.doc[_tokens(ctx, named.start, named.end)]
        if any(t.pos_ == "PROPN" for t in span) and _refines(words, _content_words(ctx, named)):
            return named
    return None


def _subject_before(ctx: _Ctx, head: Token, fit: Callable[[_Speaker], bool], *,
                    after: int = -1) -> _Speaker | None:
    """The nearest earlier subject outside quotes that fits the pronoun, within a few sentences and after token
    ``after`` ("The ministry issued a statement. "...," it said.")."""
    for i in range(head.i - 1, max(head.i - 120, after, -1), -1):
        token = ctx.doc[i]
        if token.dep_ in ("nsubj", "nsubjpass") and token.pos_ in ("NOUN", "PROPN") and not ctx.inside[i] \
                and fit(sp := _noun_phrase(ctx, token)):
            return sp
    return None


_LEFT_DEPS = frozenset(("det", "amod", "compound", "poss", "nmod", "nummod", "quantmod", "npadvmod"))


def _noun_phrase(ctx: _Ctx, head: Token) -> _Speaker:
    """The speaker's name around its head: modifiers, compounds, "of ..." and a parenthesised acronym, but no
    appositions or relative clauses ("Kim Hyo-myung", not "Kim Hyo-myung, a researcher at ...")."""
    doc = head.doc
    first = min([c.left_edge.i for c in head.lefts if c.dep_ in _LEFT_DEPS] + [head.i])
    # Never across a paragraph or free-standing punctuation ("Islam Times - North Korea"); hyphens in words stay.
    cuts = [k + 1 for k in range(first, head.i)
            if doc[k].is_space or doc[k].is_punct and doc[k].text not in "()" and doc[k].whitespace_]
    para = _tokens(ctx, *ctx.paras[_paragraph(ctx, head.idx)])
    first, last = max([first, para.start, *cuts]), min(_name_end(head), para.stop - 1)
    return _Speaker(doc[first].idx, doc[last].idx + len(doc[last]), head)


def _name_end(head: Token) -> int:
    last, doc = head.i, head.doc
    for c in head.rights:
        if c.text in "()":
            continue
        if c.dep_ in ("compound", "flat", "nummod") or (c.dep_ == "prep" and c.lower_ == "of") or \
                (c.dep_ == "conj" and c.pos_ == "PROPN"):
            last = max(last, c.right_edge.i)
        elif c.dep_ == "appos" and c.left_edge.i == last + 1 and doc[last].whitespace_ \
                and all(t.pos_ == "PROPN" for t in doc[c.left_edge.i:c.i + 1]):
            last = c.right_edge.i  # "the envoy Tomas Keller": a name right after its title, with no comma
        elif c.dep_ == "appos" and doc[c.i - 1].text == "(" and c.right_edge.i + 1 < len(doc) \
                and doc[c.right_edge.i + 1].text == ")":
            last = c.right_edge.i + 1  # "the Korean Central News Agency (KCNA)"
        else:
            break
    return last


# ------------------------------------------------------------------------------------------------ public API

def extract(doc: Doc, *, cues: Mapping[str, str] | Iterable[str] | None = None) -> list[Quote]:
    """Direct, partial and indirect quotes of a parsed ``doc``, in text order, with speaker and cue.

    ``cues`` replaces the reporting-verb lexicon (verb lemmas, phrasal verbs such as "point out", and phrases such
    as "according to"); a mapping's keys are used. Never raises on odd quote marks: an unclosed quote is flagged
    ``unbalanced`` and runs to the end of its paragraph.
    """
    if not doc.has_annotation("DEP"):
        raise ValueError("quotes.extract needs a parsed Doc: process the text with a pipeline that has a parser "
                         "(analysis.models.load('en_core_web_sm'))")
    if not len(doc):
        return []
    ctx = _context(doc, _compile(_entries(cues)))
    if not ctx.paras:
        return []
    marked = _marked(ctx)
    indirect, dropped = _indirect(ctx, marked)
    _inherit(ctx, sorted(marked + indirect, key=lambda d: (d.start, d.end)))
    drafts = sorted(marked + indirect, key=lambda d: (d.start, d.end))
    speakers = _resolve(ctx, (d.who for d in drafts + dropped if d.who is not None))
    log.debug("%d quotes (%d marked) in %d tokens", len(drafts), len(marked), len(doc))
    return [_quote(ctx, d, speakers.get(d.who.i) if d.who is not None else None) for d in drafts]


def _quote(ctx: _Ctx, d: _Draft, sp: _Speaker | None) -> Quote:
    who = (ctx.text[sp.start:sp.end], sp.start, sp.end) if sp else ("", -1, -1)
    return Quote(d.start, d.end, ctx.text[d.start:d.end], d.kind, *who, d.cue, d.cue_lemma, d.unbalanced,
                 speaker_type(sp.head) if sp else "")


_ENTITY_TYPES = {"PERSON": "person", "ORG": "organisation", "GPE": "state", "NORP": "group"}
_PRONOUN_TYPES = {"he": "person", "she": "person", "i": "person", "it": "organisation", "they": "group",
                  "we": "group"}


def speaker_type(head: Token) -> str:
    """``person``, ``organisation``, ``state``, ``group`` or ``unknown`` for the head word of a speaker phrase: a
    pronoun by its form, a name by its entity label (or a title before it), a noun by the ``kinds`` lists of
    ``analysis/data/speakers.yaml`` (a plural person noun is a group). The actor stage refines it from the alias
    table (``actors.speaker_type``)."""
    words, lower, lemma = speaker_words(), head.lower_, head.lemma_.lower()
    if lower in _PRONOUN_TYPES:
        return _PRONOUN_TYPES[lower]
    if head.ent_type_ in _ENTITY_TYPES:
        return _ENTITY_TYPES[head.ent_type_]
    if head.pos_ == "PROPN" and _name_sex(head, words):
        return "person"  # "Mr. Tanaka", whom the entity recogniser missed
    kinds = words.kinds
    if lower in kinds["group"] or lemma in kinds["group"]:
        return "group"
    if lemma in kinds["person"] or lower in kinds["person"]:
        return "group" if head.tag_ in ("NNS", "NNPS") else "person"
    return "organisation" if lemma in kinds["organisation"] or lower in kinds["organisation"] else "unknown"


def sentence_voice(doc: Doc, quotes: list[Quote], *, spans: list[tuple[int, int]] | None = None) -> list[dict]:
    """One record per sentence: ``sent_id``, trimmed ``start``/``end``, ``voice`` and, when quoted, the index in
    ``quotes`` of the quote covering most of it (``quote_id``, -1 for narrator) and that quote's ``speaker``.

    Sentences are ``spans`` if given, else ``sentence_spans(doc)``. A sentence is quoted when quotes of any kind
    (an indirect quote covers its reported clause) cover at least half of its words, the sentence-voice
    definition of PolNeAR (Newell, Margolin & Ruths 2018) counted in words; or when all it says besides the
    quote is a short attribution holding the cue, at most 12 words of which at most 4 are not the speaker's or
    the cue's ("X's foreign ministry insists the drills are a threat", '"It is over," Ola Brandt said of the
    talks.'; ``_attribution_only``); or when it is a lone quote mark the parser split off. Else narrator: the sentences table measures how much of an article is in
    the outlet's own words, and a long attribution (the outlet's wording, with its context and description)
    around a short reported clause is mostly the outlet's. The quote row still carries the clause, and a phrase
    inside it is that speaker's paraphrase (``voice.classify`` decides by the quotes table, not by this column).
    ``bench/validate_attribution.py`` scores the column against PolNeAR.
    """
    text = parses.text(doc)
    chosen = _pieces(doc, text) if spans is None else list(spans)
    marks = sorted((q.start, q.end, k) for k, q in enumerate(quotes))
    return [_voice(text, k, start, end, near, quotes) for k, (start, end), near in zip(
        range(len(chosen)), chosen, _nearby(marks, chosen))]


def _nearby(marks: list[tuple[int, int, int]], spans: list[tuple[int, int]]) -> Iterator[list[tuple[int, int, int]]]:
    """For each span, the quotes that come within two characters of it, in one sweep when spans are in text
    order (any order still works: a span that goes back starts the sweep again)."""
    active: list[tuple[int, int, int]] = []
    j, last = 0, -1
    for start, end in spans:
        if start < last:
            active, j = [], 0
        while j < len(marks) and marks[j][0] < end + 2:
            active.append(marks[j])
            j += 1
        active = [m for m in active if m[1] > start - 2]
        last = start
        yield active


_PIECE = re.compile(r"\S(?:[^\n]*\S)?")


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of ``doc.sents`` split at line breaks (a headline the parser ran into the lede is its own
    sentence) and trimmed of whitespace; blank pieces are dropped."""
    return _pieces(doc, parses.text(doc))


def _pieces(doc: Doc, text: str) -> list[tuple[int, int]]:
    return [m.span() for sent in doc.sents for m in _PIECE.finditer(text, sent.start_char, sent.end_char)]


def _voice(text: str, sent_id: int, start: int, end: int, marks: list[tuple[int, int, int]],
           quotes: list[Quote]) -> dict:
    # A sentence that is only a quote mark (the parser split it off) belongs to the quote it opens or closes.
    near = 0 if re.search(r"\w", text[start:end]) else 2
    hits = [(min(e, end) - max(s, start), k) for s, e, k in marks if s < end + near and e > start - near]
    best = max(hits, default=(0, -1))[1]
    gaps = _gaps(marks, start, end)
    quoted = best >= 0 and (near > 0 or _reported_share(text, gaps, start, end) >= 0.5
                            or _attribution_only(text, gaps, quotes[best]))
    return {"sent_id": sent_id, "start": start, "end": end, "voice": "quoted" if quoted else "narrator",
            "quote_id": best if quoted else -1, "speaker": quotes[best].speaker if quoted else ""}


def _gaps(marks: list[tuple[int, int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of [start, end) no quote covers (one sweep: marks are sorted by start)."""
    gaps, reach = [], start
    for s, e, _ in marks:
        if s >= end:
            break
        if s > reach:
            gaps.append((reach, s))
        reach = max(reach, e)
    return gaps + [(reach, end)] if reach < end else gaps


_WORD = re.compile(r"\w+")


def _reported_share(text: str, gaps: list[tuple[int, int]], start: int, end: int) -> float:
    """The share of the words of ``text[start:end]`` that lie inside quotes (outside every gap)."""
    total = len(_WORD.findall(text, start, end))
    own = sum(len(_WORD.findall(text, s, e)) for s, e in gaps)
    return (total - own) / total if total else 0.0


def _attribution_only(text: str, gaps: list[tuple[int, int]], quote: Quote) -> bool:
    """All the sentence says besides a direct or indirect quote is a short attribution holding the cue: the
    sentence is the speaker's, whatever share of its words the attribution takes. "X's foreign ministry insists
    the drills are a threat" reports the ministry's view (issue #10), '"It is over," Ola Brandt said of the
    talks.' is Ola Brandt's sentence, and its tone is hers, not the outlet's; so are a roundup line ('Ola Brandt,
    Nordic Daily: "..."') and the piece the parser split off a quote's end ('[of] NATO," the ministry
    emphasized.'). PolNeAR counts such a sentence the narrator's when the attribution is the longer part; the
    workbook does not follow it there (``bench/validate_attribution.py`` counts what that costs)."""
    rest = " ".join(text[s:e] for s, e in gaps)
    words = _WORD.findall(rest.lower())
    # Besides the speaker and the cue, only a few words ("on Monday", "of the talks", "a banking analyst"): more
    # are the outlet's own ("..., according to customs data, but the summer was better").
    named = collections.Counter(_WORD.findall(f"{quote.speaker} {quote.cue}".lower()))
    others = sum((collections.Counter(words) - named).values())
    if quote.kind == "direct" and quote.speaker and not quote.cue and ":" in rest:
        return len(words) <= 8 and others <= ATTRIBUTION_OTHER_WORDS
    return (quote.kind != "partial" and bool(quote.cue) and quote.cue.lower() in rest.lower() and len(words) <= 12
            and others <= ATTRIBUTION_OTHER_WORDS)


ATTRIBUTION_OTHER_WORDS = 4
"""Words an attribution may hold besides its speaker and cue for its sentence to be the speaker's."""


def within(quotes: Sequence[Quote]) -> list[int]:
    """For each of ``quotes`` (one article's, as ``extract`` returns them), the index of the quote of the same speaker
    that holds it, else -1: 'X said the state is "spiraling out of control"' is X's reported clause with a partial
    quote inside, two quotes but one statement, whose words counted per quote would count twice. The holder is the
    earliest, then longest, quote of that speaker (the same speaker mention, else the same speaker as written)
    whose span covers the quote's but for its closing punctuation (a partial quote keeps the full stop inside its
    closing mark, 'said it was "an empty ritual."', which the reported clause around it leaves out); quotes without
    a speaker hold nothing, since nothing says whose they are."""
    by_speaker: dict[object, list[int]] = collections.defaultdict(list)
    for k, q in enumerate(quotes):
        if q.speaker_start >= 0 or q.speaker:
            by_speaker[(q.speaker_start, q.speaker_end) if q.speaker_start >= 0 else q.speaker.lower()].append(k)
    out = [-1] * len(quotes)
    for group in by_speaker.values():
        ranked = sorted(group, key=lambda k: (quotes[k].start, quotes[k].start - quotes[k].end, k))
        for n, k in enumerate(ranked):
            core = quotes[k].start + len(quotes[k].text.rstrip(_CLOSING))
            out[k] = next((j for j in ranked[:n] if quotes[j].end >= core), -1)
    return out


_CLOSING = " \t\n.,;:!?…"  # what a quote may end on past the clause that holds it


def to_frame(quotes: list[Quote], *, article_id: str) -> pd.DataFrame:
    """``quotes`` as rows of the ``quotes`` table, ``quote_id`` ``<article_id>/q<n>`` numbering the list;
    ``speaker_actor`` and ``speaker_state`` are left empty for the actor stage to fill."""
    columns = tables.schema("quotes")["columns"]
    nest = within(quotes)
    rows = [{"article_id": article_id, "quote_id": f"{article_id}/q{k}", "speaker_actor": "", "speaker_state": "",
             "within": f"{article_id}/q{nest[k]}" if nest[k] >= 0 else "", **asdict(q)} for k, q in enumerate(quotes)]
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *Quote.__dataclass_fields__])))
    return tables.conform(frame[[c for c in frame.columns if c in columns]], "quotes", fill=True)
