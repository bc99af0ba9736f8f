"""Keyness: which terms one group of articles (an outlet, a bias label ...) uses more or less than the rest.

The representation is a long counts table ``(article_id, term, n)`` built once from the spaCy docs; every
comparison is then a vectorised pass over it, so regrouping by ``outlet``, ``bias`` or any other column of
``articles`` costs no re-parsing. Terms are lower-cased lemmas of alphabetic non-stop tokens, acronyms written in
capitals (``US``, ``U.S.``, ``NATO``, case-sensitive, so the country is never the pronoun ``us``), plus multi-word
terms (noun chunks or adjacent-lemma bigrams, reduced to the same content terms). ``term`` is the one rule that
turns a word into its term; KWIC, dispersion and discovery use it too, so a query for ``US`` never finds ``us``.

Statistics, per term and group (target) against all other articles (reference):

* G2, the log-likelihood ratio in Rayson & Garside's (2000) two-term form:
  ``E1 = c (a + b) / (c + d)``, ``E2 = d (a + b) / (c + d)``, ``G2 = 2 (a ln(a / E1) + b ln(b / E2))`` where
  ``a``, ``b`` are the term's counts and ``c``, ``d`` the corpus sizes of target and reference (``0 ln 0 = 0``).
* Hardie's (2014) log ratio: ``log2((a / c) / (b / d))`` with 0.5 standing in for a zero ``a`` or ``b``.

Corpus sizes are the number of single-word terms (content lemmas) in each part, so adding multi-word terms to the
table does not inflate the denominators.
"""
from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from spacy.attrs import IDX, IS_ALPHA, IS_STOP, LEMMA, ORTH, SENT_START
from spacy.tokens import Doc, Span

from analysis import parses, tables

log = logging.getLogger(__name__)

Multiword = Literal["noun_chunks", "bigrams", "none"]
UNKNOWN = "(unknown)"
# Dense (group x term) blocks are computed this many cells at a time: a dozen float arrays of this size stay in
# cache-friendly tens of megabytes, and fine groupings (by article_id) never allocate groups x vocabulary at once.
_BLOCK_CELLS = 2_000_000
# An acronym in capitals: two or more capital letters, optionally dotted (U.S., U.N.) or joined by & (AT&T).
# Dotted capitals (U.S., U.N.), or two or more capitals, "&" inside (AT&T), with a plural s (NGOs) or a final dot.
_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}|[A-Z][A-Z&]*[A-Z](?:s|\.)?")
# A line written in capitals (a wire headline, "NORTH KOREA SLAMS US DRILLS") carries no case information.
_SHOUTED_MIN_WORDS = 3
_SHOUTED_SHARE = 0.6


def term(text: str) -> str:
    """The term a word counts as: an acronym in capitals keeps its case, without dots; any other word is
    lower-cased.

    ``term("US") == term("U.S.") == "US"``, ``term("us") == term("Us") == "us"``, ``term("NATO") == "NATO"``,
    ``term("Drills") == "drills"``. An acronym is two or more capital letters, optionally dotted (``U.N.``) or
    joined by ``&``; a single capital (``I``, ``A``) is a word. Pass a lemma for an ordinary word, the text as
    written for an acronym (``keyness.terms`` does). Used by keyness, KWIC, dispersion and discovery so that
    case carries meaning only where it does.
    """
    text = text.strip()
    return text.replace(".", "") if is_acronym(text) else text.lower()


def is_acronym(text: str) -> bool:
    """True for a word that is an acronym in capitals (``US``, ``U.S.``, ``DPRK``, ``AT&T``, ``NGOs``); see ``term``.
    The one rule for case-sensitive words: KWIC queries, dispersion and discovery use it too."""
    return _ACRONYM.fullmatch(text) is not None


def terms(doc: Doc, *, multiword: Multiword = "noun_chunks", cache: dict | None = None,
          text: str | None = None) -> list[str]:
    """The terms of one doc: content lemmas, then multi-word terms.

    ``multiword="noun_chunks"`` adds each noun chunk with two or more content lemmas (``"joint military drill"``;
    needs a parser), ``"bigrams"`` adds adjacent content-lemma pairs that no punctuation or stop word separates,
    ``"none"`` adds nothing. Acronyms in capitals are terms of their own (see ``term``), except on a line
    written in capitals, where case says nothing. ``cache`` (any dict, shared by the calls on one batch of docs)
    keeps each distinct word's term, so a word is looked up once per batch rather than at every use; ``text`` is
    ``doc.text`` when the caller has it.
    """
    if multiword not in ("noun_chunks", "bigrams", "none"):
        raise ValueError(f"multiword must be 'noun_chunks', 'bigrams' or 'none', not {multiword!r}")
    if multiword == "noun_chunks" and not doc.has_annotation("DEP"):
        raise ValueError("keyness.terms(multiword='noun_chunks') needs a parsed doc: use a pipeline with a "
                         "parser or pass multiword='bigrams'")
    if not len(doc):
        return []
    cache = {} if cache is None else cache
    shouted = _shouted(text if text is not None else parses.text(doc))
    content, term_of, sent_start = _content_terms(doc, shouted, cache)
    words = term_of[content].tolist()
    if multiword == "noun_chunks":
        words += [chunk for span in doc.noun_chunks if " " in (chunk := _chunk_term(span, shouted))]
    elif multiword == "bigrams":
        # Adjacent content tokens, the second not starting a sentence (``Token.is_sent_start`` is not True).
        pairs = np.flatnonzero(content[:-1] & content[1:] & (sent_start[1:] != 1))
        words += [f"{a} {b}" for a, b in zip(term_of[pairs].tolist(), term_of[pairs + 1].tolist())]
    return words


def _content_terms(doc: Doc, shouted: list[tuple[int, int]], cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token of ``doc``: whether it is a content term (``_is_content``), the term of each content token by
    position (``_term``), and the sentence-start values; computed from the doc's attribute arrays, with each
    distinct word's strings looked up once per ``cache``."""
    orth, lemma, alpha, stop, idx, sent_start = doc.to_array([ORTH, LEMMA, IS_ALPHA, IS_STOP, IDX, SENT_START]).T
    strings = doc.vocab.strings
    acronyms = cache.setdefault("acronym", {})
    words, where = np.unique(orth, return_inverse=True)
    acronym = np.array([acronyms[o] if o in acronyms else acronyms.setdefault(o, is_acronym(strings[o]))
                        for o in words.tolist()], dtype=bool)[where.reshape(-1)]
    if shouted and acronym.any():
        at = idx.astype(np.int64)
        line = np.searchsorted(np.array([a for a, _ in shouted]), at, side="right") - 1
        acronym &= ~((line >= 0) & (at < np.array([b for _, b in shouted])[np.maximum(line, 0)]))
    content = acronym | ((alpha != 0) & (stop == 0))
    term_of = np.empty(len(orth), dtype=object)
    # An acronym's term is its own text's (``term`` keeps its case); any other word's is its lemma lower-cased,
    # or its text when the lemma is unset (hash 0): ``(token.lemma_ or token.text).lower()``.
    for kind, chosen, key in (("acronym_term", acronym, orth), ("lower", content & ~acronym,
                                                                 np.where(lemma != 0, lemma, orth))):
        at = np.flatnonzero(chosen)
        if not len(at):
            continue
        known, make = cache.setdefault(kind, {}), term if kind == "acronym_term" else str.lower
        distinct, where = np.unique(key[at], return_inverse=True)
        found = [known[k] if k in known else known.setdefault(k, make(strings[k])) for k in distinct.tolist()]
        term_of[at] = np.array(found, dtype=object)[where.reshape(-1)]
    return content, term_of, sent_start.astype(np.int64)


def counts(docs: Iterable[Doc], *, article_ids: Sequence[str], multiword: Multiword = "noun_chunks",
           texts: Sequence[str] | None = None) -> pd.DataFrame:
    """A counts table ``(article_id, term, n)``: how often each article uses each term (see ``terms``).

    ``docs`` and ``article_ids`` are paired in order (pass the docs of ``nlp.pipe(articles.text)``); ``texts``,
    when given, are the docs' texts in the same order (``doc.text``, which spaCy joins token by token).
    ``article_id`` and ``term`` are categorical: the codes are assigned while counting, so ``compare`` never
    has to hash millions of strings again.
    """
    vocab: dict[str, int] = {}
    articles: list[int] = []
    codes: list[int] = []
    freqs: list[int] = []
    seen = 0
    cache: dict = {}
    try:
        paired = (zip(article_ids, docs, texts, strict=True) if texts is not None
                  else ((a, doc, None) for a, doc in zip(article_ids, docs, strict=True)))
        for seen, (_, doc, text) in enumerate(paired, start=1):
            for term, n in Counter(terms(doc, multiword=multiword, cache=cache, text=text)).items():
                articles.append(seen - 1)
                codes.append(vocab.setdefault(term, len(vocab)))
                freqs.append(n)
    except ValueError as err:
        if "zip()" not in str(err):
            raise
        raise ValueError(f"docs and article_ids must have the same length (one id per doc): {err}") from None
    log.info("counted %d (article, term) pairs over %d docs", len(codes), seen)
    ids = pd.Index(list(article_ids), dtype=object)
    return pd.DataFrame({
        # Duplicate ids (the same article passed twice) cannot be categories: fall back to plain strings.
        "article_id": (pd.Categorical.from_codes(articles, categories=ids) if ids.is_unique
                       else pd.Series(ids[articles], dtype=object)),
        "term": pd.Categorical.from_codes(codes, categories=pd.Index(list(vocab), dtype=object)),
        "n": np.asarray(freqs, dtype="int64"),
    })


def compare(counts: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet", min_freq: int = 5,
            g2_threshold: float = 3.84) -> pd.DataFrame:
    """Terms key to each value of ``articles[by]`` against all other articles: the ``keyness`` table.

    Only terms used at least ``min_freq`` times in the whole corpus are tested (rare terms give unstable
    G2), and only rows with ``g2 >= g2_threshold`` are kept (3.84 is p < 0.05 at one degree of freedom;
    pass 0 to keep every tested pair). ``single_article`` flags a key term that stops being key, or flips
    direction, once the target group's article using it most is left out of the target. Articles with an
    empty ``by`` value form the group ``(unknown)``.
    """
    rows, groups, vocab = _encode(counts, articles, by=by)
    unigram = ~np.asarray(vocab.str.contains(" ", regex=False), dtype=bool)
    if not unigram.any():  # a table of multi-word terms only: their own total is the only size available
        unigram[:] = True
    units = rows["n"] * unigram[rows["term"]]  # each row's share of its article's (and group's) size
    article_sizes = np.bincount(rows["article"], weights=units)
    sizes = np.bincount(rows["group"], weights=units, minlength=len(groups))
    totals = np.bincount(rows["term"], weights=rows["n"], minlength=len(vocab))
    df_totals = np.bincount(rows["term"], minlength=len(vocab))
    tested = np.flatnonzero(totals >= min_freq)
    log.info("keyness by %s: %d groups, %d of %d terms reach min_freq=%d", by, len(groups), len(tested),
             len(vocab), min_freq)
    remap = np.full(len(vocab), -1)
    remap[tested] = np.arange(len(tested))
    rows["t"] = remap[rows["term"]]
    rows = {k: v[rows["t"] >= 0] for k, v in rows.items()}
    rows = {k: v[np.argsort(rows["group"], kind="stable")] for k, v in rows.items()}  # blocks slice by group
    top = _top_articles(rows, article_sizes, n_terms=len(tested))
    found = [_block(rows, top, lo, hi, totals=totals[tested], df_totals=df_totals[tested], sizes=sizes,
                    g2_threshold=g2_threshold) for lo, hi in _group_blocks(len(groups), len(tested))]
    found = pd.concat(found, ignore_index=True)
    if found.empty:
        return tables.empty("keyness")
    found["group"] = np.asarray(groups, dtype=object)[found.pop("g").to_numpy()]
    found["term"] = np.asarray(vocab, dtype=object)[tested[found.pop("t").to_numpy()]]
    found["group_col"] = by
    found = found.sort_values(["group", "direction", "g2", "term"], ascending=[True, True, False, True])
    return tables.conform(found, "keyness")


def g2(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Log-likelihood G2 (Rayson & Garside 2000) of counts ``a`` in size ``c`` against ``b`` in size ``d``."""
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = c * (a + b) / (c + d)
        e2 = d * (a + b) / (c + d)
        # 0 ln 0 = 0: a term absent from one side contributes nothing from that side.
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2.0 * (t1 + t2)


def log_ratio(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Hardie's log ratio ``log2((a/c) / (b/d))``, with 0.5 standing in for a zero count."""
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    return np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))


def _is_content(token, shouted: list[tuple[int, int]]) -> bool:
    # spaCy's is_stop reads the lower-cased form, so without this "US" would be dropped as the pronoun "us".
    if _acronym(token, shouted):
        return True
    return token.is_alpha and not token.is_stop


def _term(token, shouted: list[tuple[int, int]]) -> str:
    # Lemmas of proper nouns keep their case in spaCy ("NATO"); lower-casing merges "Drills" and "drill".
    return term(token.text) if _acronym(token, shouted) else (token.lemma_ or token.text).lower()


def _acronym(token, shouted: list[tuple[int, int]]) -> bool:
    if not is_acronym(token.text):
        return False
    at = bisect.bisect_right(shouted, (token.idx, float("inf"))) - 1
    return not (at >= 0 and shouted[at][0] <= token.idx < shouted[at][1])


def _shouted(text: str) -> list[tuple[int, int]]:
    """Sorted (start, end) of the lines written in capitals: at least 3 words, 60% of them in capitals."""
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        words = re.findall(r"[^\W\d_]+", m[0])
        if len(words) >= _SHOUTED_MIN_WORDS and sum(w.isupper() for w in words) >= _SHOUTED_SHARE * len(words):
            spans.append((m.start(), m.end()))
    return spans


def _chunk_term(span: Span, shouted: list[tuple[int, int]]) -> str:
    return " ".join(_term(t, shouted) for t in span if _is_content(t, shouted))


def groupable(articles: pd.DataFrame, *, by: str) -> str:
    """``by`` when ``articles`` has that column to group by; else a KeyError naming the columns it has (the
    rhetoric notebook asks before its scan, so a misspelt ``keyness_by`` fails in seconds, not after it)."""
    if by not in articles.columns:
        raise KeyError(f"articles has no column {by!r} to group by; columns: {', '.join(articles.columns)}")
    return by


def _encode(counts: pd.DataFrame, articles: pd.DataFrame, *, by: str) -> tuple[dict, pd.Index, pd.Index]:
    """Counts as integer arrays (article, group, term codes and n), with the group labels and the vocabulary.

    Everything after this works on integers: factorising the term strings once is the only string work.
    """
    groupable(articles, by=by)
    labels = articles[by].fillna("").astype(str).replace("", UNKNOWN)
    group_of = pd.Series(labels.to_numpy(), index=articles["article_id"].astype(str).to_numpy())
    group_of = group_of[~group_of.index.duplicated()]
    article, article_ids = _factorize(counts["article_id"])
    article_label = group_of.reindex(article_ids)
    if article_label.isna().any():
        log.warning("%d articles in the counts are absent from the articles table; left out",
                    int(article_label.isna().sum()))
    group_of_article, groups = pd.factorize(article_label, sort=True)  # NaN (unknown article) -> -1
    if len(groups) < 2:
        raise ValueError(f"keyness needs at least two groups in articles[{by!r}], found {list(groups)}")
    term, vocab = _factorize(counts["term"])
    rows = {"article": article, "group": group_of_article[article], "term": term,
            "n": counts["n"].to_numpy(dtype="float64")}
    known = rows["group"] >= 0
    return {k: v[known] for k, v in rows.items()}, groups, vocab


def _factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels; free for a categorical column (what ``counts`` returns)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.int64), pd.Index(values.cat.categories.astype(str), dtype=object)
    codes, labels = pd.factorize(values.astype(str))
    return codes, pd.Index(labels, dtype=object)


def _top_articles(rows: dict, article_sizes: np.ndarray, *, n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (group, tested term) pair: its key ``group * n_terms + t`` (sorted), top article count and size.

    The top article uses the term most; among ties, the smallest article, whose removal leaves the target's
    relative frequency lowest - the strictest test.
    """
    key = rows["group"].astype(np.int64) * n_terms + rows["t"]
    order = np.argsort(key, kind="stable")
    key, n, size = key[order], rows["n"][order], article_sizes[rows["article"]][order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    top_n = np.maximum.reduceat(n, starts)
    segment = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(key)]))
    top_size = np.minimum.reduceat(np.where(n == top_n[segment], size, np.inf), starts)
    return key[starts], top_n, top_size


def _group_blocks(n_groups: int, n_terms: int) -> list[tuple[int, int]]:
    step = max(1, _BLOCK_CELLS // max(n_terms, 1))
    return [(lo, min(lo + step, n_groups)) for lo in range(0, n_groups, step)]


def _block(rows: dict, top: tuple[np.ndarray, np.ndarray, np.ndarray], lo: int, hi: int, *, totals: np.ndarray,
           df_totals: np.ndarray, sizes: np.ndarray, g2_threshold: float) -> pd.DataFrame:
    """Key terms of groups ``lo`` to ``hi - 1``: a dense (group x tested term) pass, then the threshold."""
    n_terms = len(totals)
    first, last = np.searchsorted(rows["group"], [lo, hi])
    flat = (rows["group"][first:last] - lo) * n_terms + rows["t"][first:last]
    shape = (hi - lo, n_terms)
    a = np.bincount(flat, weights=rows["n"][first:last], minlength=shape[0] * n_terms).reshape(shape)
    df_a = np.bincount(flat, minlength=shape[0] * n_terms).reshape(shape)
    c = sizes[lo:hi, None]
    scores = g2(a, totals[None, :] - a, c, sizes.sum() - c)
    gi, ti = np.nonzero(scores >= g2_threshold)
    a = a[gi, ti]
    b, c = totals[ti] - a, sizes[lo:hi][gi]
    d = sizes.sum() - c
    with np.errstate(divide="ignore", invalid="ignore"):  # a group of articles with no single-word terms: c = 0
        found = pd.DataFrame({"g": gi + lo, "t": ti, "count_target": a.astype("int64"),
                              "count_ref": b.astype("int64"), "df_target": df_a[gi, ti],
                              "df_ref": df_totals[ti] - df_a[gi, ti], "g2": scores[gi, ti],
                              "log_ratio": log_ratio(a, b, c, d),
                              "direction": np.where(a / c > b / d, "over", "under")})
    top_n, top_size = _lookup(top, (gi + lo).astype(np.int64) * n_terms + ti)
    found["single_article"] = _single_article(a, b, c, d, top_n=top_n, top_size=top_size, g2_threshold=g2_threshold)
    return found


def _lookup(top: tuple[np.ndarray, np.ndarray, np.ndarray], keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-article count and size for each (group, term) key; 0 and 0 where the target never uses the term."""
    known, top_n, top_size = top
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    hit = known[at] == keys
    return np.where(hit, top_n[at], 0.0), np.where(hit, top_size[at], 0.0)


def _single_article(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, *, top_n: np.ndarray,
                    top_size: np.ndarray, g2_threshold: float) -> np.ndarray:
    """Whether each key row stops being key, or flips direction, once the target's top article is left out.

    Leaving the article out removes its occurrences and its size from the target; the reference is unchanged.
    """
    a2, c2 = a - top_n, c - top_size
    # A term the target never uses (top_n 0) has no top article to leave out: never single-article.
    with np.errstate(divide="ignore", invalid="ignore"):
        still_over = np.where(c2 > 0, a2 / c2 > b / d, False)
    return (top_n > 0) & ((g2(a2, b, c2, d) < g2_threshold) | (still_over != (a / c > b / d)))
