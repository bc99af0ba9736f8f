"""Duplicate articles and passages shared between articles (wire copy, a statement several outlets reprint).

``duplicates(articles)`` pairs each exact or near-duplicate article with the earlier one it repeats (MinHash LSH
over word 5-gram shingles, verified by their exact Jaccard similarity); ``flag`` copies that into
``articles.duplicate_of``. Duplicates are flagged, never dropped.

``shared(articles)`` finds sentences, paragraphs and quotations that occur in more than one article. Passages are
compared by their words only: case, whitespace, punctuation and the kind of quote marks are ignored, and so are
editorial insertions in square brackets, so ``"... Asia-style NATO," the ministry said`` and
``“... Asia-style NATO,” said the ministry`` share their quotation. Offsets index ``articles.text``.

Both scale linearly: candidate paragraphs are found by hashing word n-grams with numpy before any sentence
splitting, so 5,000 articles take seconds.
"""
from __future__ import annotations

import hashlib
import logging
import re
from functools import cache

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH
from spacy.language import Language

from analysis import tables

log = logging.getLogger(__name__)

SHINGLE = 5  # words per shingle for near-duplicate detection
_WORD = re.compile(r"\w+")
_BRACKETED = re.compile(r"\[[^\[\]\n]{0,300}\]")  # an editorial insertion: "US-Japan-ROK [South Korea] relations"
_PARAGRAPH = re.compile(r"[^\n]+")
_DOUBLE_QUOTES = re.compile("[\"“”„‟«»＂]")
_MAX_CHUNK = 100_000  # characters per spaCy doc; a longer paragraph is cut at whitespace
_UNIT_ORDER = {"sentence": 0, "paragraph": 1, "quote": 2}
_PRIME = np.uint64(0x9E3779B97F4A7C15)


def words(text: str) -> list[str]:
    """The comparison form of ``text``: its words, case-folded, without bracketed editorial insertions."""
    return _WORD.findall(_BRACKETED.sub(" ", text).casefold())


def duplicates(articles: pd.DataFrame, *, threshold: float = 0.8, num_perm: int = 128, seed: int = 1) -> pd.DataFrame:
    """Exact and near-duplicate articles: one row per article that repeats an earlier one (table ``duplicates``).

    Exact duplicates have the same cleaned text. Near duplicates are found with MinHash LSH (``num_perm``
    permutations, fixed ``seed``) over case-folded word 5-gram shingles and kept when the exact Jaccard
    similarity of their shingle sets is at least ``threshold``; the earliest such article is the one repeated.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    ids, texts = articles["article_id"].tolist(), articles["text"].tolist()
    shingles = _shingles(texts)
    first_with_text: dict[str, int] = {}
    exact = {}
    for i, text in enumerate(texts):
        exact[i] = first_with_text.setdefault(text, i)
    todo = [i for i in range(len(texts)) if exact[i] == i and len(shingles[i])]
    template = MinHash(num_perm=num_perm, seed=seed, hashfunc=int)  # permutations drawn once from `seed`
    # LSH only proposes candidates (each is verified exactly), and datasketch cannot band above ~0.9 with 128
    # permutations, so stricter thresholds search at 0.9.
    lsh = MinHashLSH(threshold=min(threshold, 0.9), num_perm=num_perm)
    rows = [(ids[i], ids[exact[i]], "exact", 1.0) for i in range(len(texts)) if exact[i] != i]
    for i in todo:
        minhash = template.copy()
        for chunk in range(0, len(shingles[i]), 20_000):  # bounded memory: update_batch builds a rows x perms matrix
            minhash.update_batch(shingles[i][chunk:chunk + 20_000].tolist())
        best = None
        for j in sorted(lsh.query(minhash)):
            similarity = _jaccard(shingles[i], shingles[j])
            if similarity >= threshold:
                best = (j, similarity)
                break
        if best:
            rows.append((ids[i], ids[best[0]], "near", round(best[1], 6)))
        lsh.insert(i, minhash)
        if (i + 1) % 1000 == 0:
            log.info("compared %d of %d articles for duplicates", i + 1, len(ids))
    log.info("%d duplicate articles (%d exact)", len(rows), sum(r[2] == "exact" for r in rows))
    position = {a: i for i, a in enumerate(ids)}
    frame = pd.DataFrame(sorted(rows, key=lambda r: position[r[0]]),
                         columns=["article_id", "duplicate_of", "kind", "similarity"])
    return tables.conform(frame, "duplicates")


def flag(articles: pd.DataFrame, duplicates: pd.DataFrame) -> pd.DataFrame:
    """``articles`` with ``duplicate_of`` set from a ``duplicates`` table (other rows keep an empty value)."""
    out = articles.copy()
    repeated = dict(zip(duplicates["article_id"], duplicates["duplicate_of"]))
    out["duplicate_of"] = [repeated.get(a, "") for a in out["article_id"]]
    return out


def shared(articles: pd.DataFrame, *, min_words: int = 8, include_duplicates: bool = False,
           nlp: Language | None = None) -> pd.DataFrame:
    """Sentences, paragraphs and quotations found in more than one article (table ``shared_passages``).

    A passage needs ``min_words`` words. Sentences come from spaCy's sentencizer (``nlp``, default a blank
    English pipeline with it), paragraphs are lines, and a quotation is the part of a sentence inside double
    quote marks. Articles flagged in ``duplicate_of`` are left out unless ``include_duplicates``: a reprinted
    article would otherwise make every one of its sentences "shared"; the ``duplicates`` table reports them.
    """
    if min_words < 1:
        raise ValueError(f"min_words must be at least 1, got {min_words}")
    if not include_duplicates and "duplicate_of" in articles:
        articles = articles[articles["duplicate_of"] == ""]
    ids, texts = articles["article_id"].tolist(), articles["text"].tolist()
    paragraphs = [(a, m.start(), m.end()) for a, text in enumerate(texts) for m in _PARAGRAPH.finditer(text)]
    candidates = _candidate_paragraphs(texts, paragraphs, min_words)
    log.info("%d of %d paragraphs hold a run of %d words found in another article", len(candidates),
             len(paragraphs), min_words)
    found: dict[tuple, list] = {}
    for (a, start, end), sentences in zip(candidates, _sentences([texts[a][s:e] for a, s, e in candidates], nlp)):
        for unit, s, e, key in _units(texts[a][start:end], sentences, min_words):
            found.setdefault(key, []).append((a, start + s, start + e, unit))
    groups = []
    for key, places in found.items():
        kept = _distinct(places)
        n_articles = len({a for a, *_ in kept})
        if n_articles > 1:
            passage_id = "P" + hashlib.blake2b(" ".join(key).encode("utf-8"), digest_size=6).hexdigest()
            groups.append((kept[0][:2], [(passage_id, unit, ids[a], s, e, texts[a][s:e], n_articles)
                                         for a, s, e, unit in kept]))
    rows = [row for _, group in sorted(groups, key=lambda g: (g[0], g[1][0][0])) for row in group]
    log.info("%d shared passages in %d rows", len(groups), len(rows))
    columns = ["passage_id", "unit", "article_id", "start", "end", "text", "n_articles"]
    return tables.conform(pd.DataFrame(rows, columns=columns), "shared_passages")


@cache
def sentencizer() -> Language:
    """A blank English spaCy pipeline with only the rule-based sentencizer (fast, no model needed)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


# --- internals ------------------------------------------------------------------------------------------------

def _word_codes(word_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Stable 64-bit codes for every word (hash of the word itself, so runs over different corpora agree) and
    the offsets where each list starts in the flat array."""
    flat = [w for ws in word_lists for w in ws]
    codes, uniques = pd.factorize(pd.Series(flat, dtype=object)) if flat else (np.zeros(0, np.int64), [])
    word_hash = np.array([int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
                          for w in uniques], dtype=np.uint64)
    bounds = np.cumsum([0] + [len(ws) for ws in word_lists])
    return (word_hash[codes] if len(flat) else np.zeros(0, np.uint64)), bounds


def _ngram_hashes(codes: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash of every window of ``n`` consecutive codes (uint64 arithmetic wraps by design)."""
    if len(codes) < n:
        return np.zeros(0, np.uint64)
    h = np.zeros(len(codes) - n + 1, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _PRIME + codes[j:len(codes) - n + 1 + j]
    return h


def _shingles(texts: list[str]) -> list[np.ndarray]:
    """Sorted distinct 32-bit hashes of each text's word 5-grams (all its words when it has fewer)."""
    codes, bounds = _word_codes([words(t) for t in texts])
    out = []
    for i in range(len(texts)):
        own = codes[bounds[i]:bounds[i + 1]]
        hashes = _ngram_hashes(own, min(SHINGLE, len(own))) if len(own) else np.zeros(0, np.uint64)
        out.append(np.unique((hashes ^ (hashes >> np.uint64(32))) & np.uint64(0xFFFFFFFF)))
    return out


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def _candidate_paragraphs(texts: list[str], paragraphs: list[tuple[int, int, int]], n: int) -> list:
    """Paragraphs holding an ``n``-word run that also occurs in another article.

    Any passage of ``n`` or more words shared by two articles contains such a run in both, so the paragraphs
    outside this list cannot hold one and are never sentence-split. Vectorised: one pass of numpy over all words.
    """
    codes, bounds = _word_codes([words(texts[a][s:e]) for a, s, e in paragraphs])
    if len(codes) < n:
        return []
    lengths = np.diff(bounds)
    para_of = np.repeat(np.arange(len(paragraphs)), lengths)
    hashes = _ngram_hashes(codes, n)
    inside = para_of[: len(hashes)] == para_of[n - 1:]  # windows that do not cross a paragraph break
    hashes, paras = hashes[inside], para_of[: len(inside)][inside]
    owners = np.array([a for a, _, _ in paragraphs], np.int64)[paras]
    order = np.lexsort((owners, hashes))
    k, o = hashes[order], owners[order]
    new_pair = np.ones(len(k), bool)  # first of each (hash, article) pair ...
    new_pair[1:] = (k[1:] != k[:-1]) | (o[1:] != o[:-1])
    pair_keys = k[new_pair]
    repeated = pair_keys[1:][pair_keys[1:] == pair_keys[:-1]]  # ... and hashes that two articles carry
    return [paragraphs[p] for p in np.unique(paras[np.isin(hashes, repeated)])]


def _sentences(texts: list[str], nlp: Language | None) -> list[list[tuple[int, int]]]:
    """Sentence spans ``(start, end)`` of each text, with spaCy's sentencizer."""
    nlp = nlp or sentencizer()
    chunks, owner = [], []
    for i, text in enumerate(texts):
        for s, e in _chunks(text):
            chunks.append((s, text[s:e]))
            owner.append(i)
    spans: list[list[tuple[int, int]]] = [[] for _ in texts]
    for (offset, _), doc, i in zip(chunks, nlp.pipe((c for _, c in chunks), batch_size=256), owner):
        spans[i] += [(offset + sent.start_char, offset + sent.end_char) for sent in doc.sents]
    return spans


def _chunks(text: str) -> list[tuple[int, int]]:
    """``text`` cut at whitespace into pieces of at most ``_MAX_CHUNK`` characters (spaCy's docs stay small)."""
    out, start = [], 0
    while len(text) - start > _MAX_CHUNK:
        cut = text.rfind(" ", start + _MAX_CHUNK // 2, start + _MAX_CHUNK)
        cut = cut if cut > start else start + _MAX_CHUNK
        out.append((start, cut))
        start = cut
    return out + [(start, len(text))]


def _units(paragraph: str, sentences: list[tuple[int, int]], min_words: int) -> list[tuple[str, int, int, tuple]]:
    """``(unit, start, end, key)`` for the sentences, the paragraph and the quotations of one paragraph; ``key``
    is the passage's comparison form (``words``)."""
    spans = [("sentence", s, e) for s, e in sentences]
    if len(sentences) > 1:
        spans.append(("paragraph", 0, len(paragraph)))
    for qs, qe in _quotations(paragraph):
        for s, e in sentences:
            piece = _trim(paragraph, max(qs, s), min(qe, e))
            if piece[0] < piece[1] and piece != (s, e):
                spans.append(("quote", *piece))
    units = []
    for unit, s, e in spans:
        key = tuple(words(paragraph[s:e]))
        if len(key) >= min_words:
            units.append((unit, s, e, key))
    return units


def _quotations(paragraph: str) -> list[tuple[int, int]]:
    """Spans inside double quote marks; any double quote mark opens or closes (writers mix “ ” and "), and a
    quotation left open runs to the end of the paragraph, as a quotation continuing into the next one does."""
    marks = [m.start() for m in _DOUBLE_QUOTES.finditer(paragraph)]
    pairs = [(marks[i] + 1, marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
    if len(marks) % 2:
        pairs.append((marks[-1] + 1, len(paragraph)))
    return pairs


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Shrink ``[s, e)`` past surrounding whitespace and the comma, colon or semicolon before a closing mark."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:"):
        e -= 1
    return s, e


def _distinct(places: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
    """One row per place: where spans of the same passage overlap in an article, the sentence (then the
    paragraph) wins over the quotation."""
    kept: dict[int, list[tuple[int, int, str]]] = {}
    for a, s, e, unit in sorted(places, key=lambda p: (p[0], _UNIT_ORDER[p[3]], p[1])):
        mine = kept.setdefault(a, [])
        if not any(s < ke and ks < e for ks, ke, _ in mine):
            mine.append((s, e, unit))
    return sorted((a, s, e, unit) for a, spans in kept.items() for s, e, unit in spans)
