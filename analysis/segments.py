"""Parsing articles of any length: one Doc per text, never truncated, one bad text never stopping the others.

spaCy refuses a text longer than ``nlp.max_length`` (E088), and one exception inside ``nlp.pipe`` ends the whole
stream. ``pipe(nlp, texts)`` yields exactly one item per text, in order: a ``Doc`` whose ``doc.text`` equals the
text (so every character offset still indexes ``articles.text``), or, for a text that could not be parsed, the
exception (``Unparsed`` subclasses), which the caller records as a failure.

A text longer than ``SPLIT_ABOVE`` characters (or than ``nlp.max_length``) is cut into pieces of at most
``piece_chars`` (default ``PIECE_CHARS``, the size of an ordinary article, so a batch of pieces needs no more
memory than a batch of articles) at paragraph breaks, else after a sentence's final punctuation, else at a
space; the pieces go through the same ``nlp.pipe`` stream as the other texts and are joined with ``Doc.from_docs(..., ensure_whitespace=False)``,
which keeps the text byte for byte. A cut always starts a sentence, so cuts sit where a sentence ends anyway.
Parsing time and the parser's memory are therefore linear in the article's length. The joined Doc carries no
``tensor`` (nothing downstream reads it, and it is the largest part of a Doc).

Memory for one article is bounded: a text whose parsed Doc would need more than ``memory_share`` of the memory
available when it is reached (``BYTES_PER_CHAR`` per character, measured on en_core_web_sm) is not parsed and
yields ``TooLarge``.
"""
from __future__ import annotations

import collections
import logging
import re
from collections.abc import Iterable, Iterator

import psutil
from spacy.language import Language
from spacy.tokens import Doc

log = logging.getLogger(__name__)

SPLIT_ABOVE = 100_000
"""Texts up to this many characters are parsed in one piece (ordinary articles are never cut)."""
PIECE_CHARS = 10_000
"""Longest piece of a longer text: a batch of such pieces takes the memory of a batch of ordinary articles."""
BYTES_PER_CHAR = 400
"""Resident memory one article needs per character while it is analysed: its parsed pieces and the joined Doc
(about 130 bytes per character each, en_core_web_sm 3.8 on news text, without the tensor), and the rows built
from it, with headroom."""
MEMORY_SHARE = 0.5
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_SPACE = re.compile(r"\s+")


class Unparsed(Exception):
    """A text that could not be parsed; the original error is ``__cause__``."""


class TooLarge(Unparsed, MemoryError):
    """A text whose parse would need more memory than the configured share of the available memory."""


def pieces(text: str, *, limit: int) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` spans covering ``text``, each at most ``limit`` characters, cut after a line
    break, else after a sentence's final punctuation and the spaces after it, else after a run of spaces, else
    (a ``limit`` of characters without a space) at ``limit``. Time is linear in ``len(text)``."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1 character, got {limit}")
    spans, start = [], 0
    while len(text) - start > limit:
        end = _cut(text, start, start + limit)
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def _cut(text: str, start: int, stop: int) -> int:
    """Where to end the piece that starts at ``start`` and may not reach past ``stop``. Only the second half of
    the window is searched, so every piece is at least half a window long and the text is scanned once."""
    low = start + (stop - start) // 2
    line = text.rfind("\n", low, stop)
    if line >= 0:
        return line + 1
    for pattern in (_SENTENCE_END, _SPACE):
        last = None
        for last in pattern.finditer(text, low, stop):
            pass
        if last is not None:
            return last.end()
    return stop


def pipe(nlp: Language, texts: Iterable[str], *, batch_size: int = 32, n_process: int = 1,
         disable: Iterable[str] = (), piece_chars: int = PIECE_CHARS,
         memory_share: float = MEMORY_SHARE) -> Iterator[Doc | Unparsed]:
    """One item per text of ``texts``, in order: its ``Doc`` (``doc.text == text``, whatever its length) or the
    ``Unparsed`` error that stopped it (``TooLarge`` when it would need more than ``memory_share`` of the
    available memory). ``batch_size``, ``n_process`` and ``disable`` are passed to ``nlp.pipe``; an exception
    inside a batch is retried text by text, so only the text that raised is lost."""
    if not 0 < memory_share <= 1:
        raise ValueError(f"memory_share must be a fraction of memory in (0, 1], got {memory_share}")
    limit = max(1, min(piece_chars, nlp.max_length))
    split_above = min(SPLIT_ABOVE, nlp.max_length)
    refused: dict[int, Unparsed] = {}

    def items() -> Iterator[tuple[str, tuple[int, int, int]]]:
        for i, text in enumerate(texts):
            error = _too_large(text, memory_share)
            if error:
                refused[i] = error
                continue
            spans = pieces(text, limit=limit) if len(text) > split_above else [(0, len(text))]
            if len(spans) > 1:
                log.info("text %d has %d characters: parsed in %d pieces of at most %d", i, len(text),
                         len(spans), limit)
            for k, (start, end) in enumerate(spans):
                yield text[start:end], (i, k, len(spans))

    expected, parts, failed = 0, [], None
    for result, (i, k, n) in _parse(nlp, items(), batch_size=batch_size, n_process=n_process, disable=list(disable)):
        while expected < i:  # texts refused before parsing come out in their place
            yield refused.pop(expected)
            expected += 1
        if isinstance(result, Exception):
            failed = failed or result
        else:
            parts.append(result)
        if k == n - 1:
            yield _unparsed(failed) if failed else parts[0] if n == 1 else _join(parts)
            expected, parts, failed = i + 1, [], None
    for i in sorted(refused):
        yield refused[i]


def _too_large(text: str, share: float) -> TooLarge | None:
    need = len(text) * BYTES_PER_CHAR
    available = psutil.virtual_memory().available
    if need <= share * available:
        return None
    return TooLarge(f"a text of {len(text):,} characters would need about {need / 2**20:,.0f} MB to analyse, more "
                    f"than {share:.0%} of the {available / 2**20:,.0f} MB available (raise memory_share, or "
                    f"split the article)")


def _join(parts: list[Doc]) -> Doc:
    return Doc.from_docs(parts, ensure_whitespace=False, exclude=["tensor"])


def _unparsed(error: Exception) -> Unparsed:
    if isinstance(error, Unparsed):
        return error
    wrapped = Unparsed(f"{type(error).__name__}: {error}")
    wrapped.__cause__ = error
    return wrapped


def _parse(nlp: Language, items: Iterator[tuple[str, tuple]], *, batch_size: int, n_process: int,
           disable: list[str]) -> Iterator[tuple[Doc | Exception, tuple]]:
    """``(doc, context)`` for every ``(text, context)``, in order; when ``nlp.pipe`` raises, the texts it had taken
    and not returned are parsed one by one (the one that raises yields its exception) and the stream resumes."""
    while True:
        taken: collections.deque = collections.deque()

        def feed() -> Iterator[tuple[str, tuple]]:
            for item in items:
                taken.append(item)
                yield item

        try:
            for doc, context in nlp.pipe(feed(), as_tuples=True, batch_size=batch_size, n_process=n_process,
                                         disable=disable):
                taken.popleft()
                yield doc, context
            return
        except Exception as err:  # noqa: BLE001 - one text's error must not end the stream
            log.warning("spaCy raised inside a batch (%s: %s); parsing its %d text(s) one at a time",
                        type(err).__name__, err, len(taken))
        for text, context in taken:
            try:
                yield nlp(text, disable=disable), context
            except Exception as err:  # noqa: BLE001
                yield err, context
