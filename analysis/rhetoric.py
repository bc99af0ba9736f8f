"""Rhetoric stage: phrase families and the voice that carries them.

The lexicon (``analysis/data/phrases.yaml``, loaded by ``patterns.lexicon``) groups wordings into families
("Asian NATO", name-calling, fear appeals ...). ``matcher`` compiles it for a spaCy pipeline, ``hits`` finds every
family in an article and says whose words each hit is (``voice.classify``), ``adoption`` summarises the hits per
outlet and ``run`` is the stage's one pass over the corpus. KWIC and dispersion live in ``concordance``, the
proposal of loaded words the lexicon lacks in ``discovery``.
"""
from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from spacy.about import __version__ as spacy_version
from spacy.attrs import IDX, LEMMA, LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from analysis import cache, models, parses, patterns, profiles, segments, tables, workers
from analysis import voice as voices
from analysis.patterns import LexiconError

log = logging.getLogger(__name__)

UNKNOWN_OUTLET = "(unknown)"

# Parts of speech a lexicon word is lemmatised under when the matcher is built ("flexing" -> "flex").
LEMMA_POS = ("NOUN", "VERB", "ADJ", "ADV")


def matcher(nlp: Language, lexicon: dict) -> LexiconMatcher:
    """A matcher for every variant (key ``<family>/<variant id>``) and exclude pattern of ``lexicon``.

    Plain words match on LEMMA (``=word`` on LOWER). A word written inflected in the lexicon ("flexing") is
    lemmatised here with ``nlp``'s lemmatizer, so it also matches text tokens whose lemma is its base form.
    """
    if "lemmatizer" not in nlp.pipe_names:
        log.warning("pipeline has no lemmatizer: lexicon words will only match tokens written as in the lexicon")
    lemmas = _Lemmatiser(nlp)
    families = []
    for fid, family in lexicon.items():
        m, anchors, compiled_all = Matcher(nlp.vocab, validate=True), [], []
        for variant in family["variants"]:
            compiled = [[_with_lemmas(t, lemmas) for t in p] for p in variant["token_patterns"]]
            _add(m, f"{fid}/{variant['id']}", compiled, where=f"variant {variant['id']!r}")
            anchors += [_anchor(p) for p in compiled]
            compiled_all += compiled
        for k, ex in enumerate(family["exclude"]):
            compiled = [[_with_lemmas(t, lemmas) for t in p] for p in ex["token_patterns"]]
            _add(m, f"{fid}/!exclude{k}", compiled, where=f"family {fid!r} exclude {ex['pattern']!r}")
            compiled_all += compiled
        families.append(_Family(m, anchors, nlp.vocab, compiled_all))
    lemmas.keep()
    return LexiconMatcher(families)


def _anchor(pattern: list[dict]) -> dict | None:
    """A word token every match of ``pattern`` must contain, or None: the required word whose forms are rarest in
    general English, so that "the" or "on" never decides which sentences the matcher looks at."""
    counts, _ = patterns.general_english()
    words = [t for t in pattern if "OP" not in t and ("LOWER" in t or "LEMMA" in t)]
    forms = lambda t: {w.lower() for w in (t.get("LOWER") or t["LEMMA"])["IN"]}  # noqa: E731
    return min(words, key=lambda t: sum(counts[w] for w in forms(t)), default=None)


class _Family:
    """One family's spaCy Matcher (variants and excludes), the hashes of its variants' anchor words, and how far
    from an anchor a match of the family can reach (``_reach``)."""

    def __init__(self, matcher: Matcher, anchors: list[dict | None], vocab, compiled: list[list[dict]] = ()):
        self.matcher = matcher
        # A pattern without a word anchor could match anywhere: then every sentence is a candidate.
        self.everywhere = any(a is None for a in anchors)
        self.lower = _hashes(vocab, (w for a in anchors if a and "LOWER" in a for w in a["LOWER"]["IN"]))
        self.lemma = _hashes(vocab, (w for a in anchors if a and "LEMMA" in a for w in a["LEMMA"]["IN"]))
        self.reach, free = _reach(compiled) if compiled else (None, set())
        self.free = _hashes(vocab, free)

    def anchored(self, keys: np.ndarray) -> np.ndarray:
        """Which tokens (rows of a doc's LOWER, LEMMA array) are anchors of this family."""
        if self.everywhere:
            return np.ones(len(keys), dtype=bool)
        return np.isin(keys[:, 0], self.lower) | np.isin(keys[:, 1], self.lemma)

    def windows(self, anchored: np.ndarray, runs: list[tuple[int, int]], counted: dict) -> list[tuple[int, int]]:
        """Token ranges to run the matcher on: around each anchor, as far as a match holding it can reach, within
        the run of sentences around it (``_near``); overlapping ranges merged. The matches found are those of the
        runs: a match holds an anchor of its variant and lies within one run, and the ranges clipped to runs
        find nothing a run would not. ``counted`` maps a family's free forms (``_reach``) to the doc's
        ``counts``: how many tokens before each position are not free."""
        if self.reach is None or self.everywhere:
            return runs
        at = np.flatnonzero(anchored)
        counted = counted[self.free.tobytes()]
        # A match holds at most ``reach`` counted tokens, its anchor among them: it starts no more than that many
        # counted tokens before the anchor and ends no more than that many after it (one spare each side).
        lo = np.searchsorted(counted, counted[at] - self.reach, side="left")
        hi = np.searchsorted(counted, counted[at + 1] + self.reach, side="right") - 1
        starts = np.array([a for a, _ in runs])
        run = np.searchsorted(starts, at, side="right") - 1
        ends = np.array([b for _, b in runs])[run]
        inside = (run >= 0) & (at < ends)  # an anchor outside every run (none: runs hold every anchored sentence)
        lo, hi, run = np.maximum(lo, starts[run])[inside], np.minimum(hi, ends)[inside], run[inside]
        out: list[list[int]] = []
        last = -1
        for a, b, r in zip(lo.tolist(), hi.tolist(), run.tolist()):
            if out and r == last and a <= out[-1][1]:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
            last = r
        return [(a, b) for a, b in out]


def _reach(compiled: list[list[dict]]) -> tuple[int | None, set[str]]:
    """The most pattern tokens a match of any of ``compiled`` (the family's variant and exclude patterns) can
    hold, not counting the tokens of ``{"ORTH": {"IN": [...]}, "OP": "*"}`` elements (the quote marks, brackets
    and hyphens a phrase may hold between words, any number of them), and those ORTH forms; None when some
    element repeats without bound otherwise, so only whole sentence runs are safe."""
    reach, free = 0, set()
    for pattern in compiled:
        size = 0
        for token in pattern:
            op = token.get("OP", "")
            if op in ("*", "+"):
                orth = token.get("ORTH")
                if set(token) != {"ORTH", "OP"} or not isinstance(orth, dict) or set(orth) != {"IN"}:
                    return None, set()
                free.update(orth["IN"])
                continue
            bound = _repeats(op)
            if bound is None:
                return None, set()
            size += bound
        reach = max(reach, size)
    return reach, free


def _repeats(op: str) -> int | None:
    """The most tokens one pattern element with operator ``op`` matches (None: no bound)."""
    if op in ("", "?", "!"):
        return 1
    found = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", op)
    if not found:
        return None
    low, comma, high = found.groups()
    if not comma:
        return int(low)
    return int(high) if high else None


class LexiconMatcher:
    """The lexicon's compiled patterns, one spaCy Matcher per family, each run only where it can match.

    spaCy's Matcher tries every pattern at every token, and the lexicon has hundreds of patterns made of word-set
    predicates: run over whole articles, that cost as much as tagging them. Every variant pattern has a required
    word (its anchor, the rarest one), so a family can only match in a sentence that holds one of its anchors or
    next to one. Calling the matcher on a doc looks the anchors up for all tokens at once (LOWER and LEMMA hashes)
    and considers, for each family, those sentences and their neighbours only: the neighbours because a
    parser's sentence boundary sometimes falls inside a phrase ("Asian version / [of] NATO"). Within them the
    family's Matcher runs only on the tokens around each anchor that a match holding it can reach (a pattern
    has a bounded number of word tokens; quote marks and brackets between them are free). Matches come back as
    a Matcher's ``(key, start, end)`` in doc token offsets, the same matches as the whole lexicon on the whole doc.
    """

    def __init__(self, families: list[_Family]):
        self.families = families
        # Every family's anchors at once: one look-up over the doc finds the few tokens any family could use.
        self.everywhere = any(family.everywhere for family in families)
        self.lower = np.unique(np.concatenate([f.lower for f in families] or [np.empty(0, np.uint64)]))
        self.lemma = np.unique(np.concatenate([f.lemma for f in families] or [np.empty(0, np.uint64)]))
        # anchor hash -> the families it anchors, for the few tokens that are anchors of some family
        self.by_lower, self.by_lemma = defaultdict(list), defaultdict(list)
        for k, family in enumerate(families):
            for h in family.lower.tolist():
                self.by_lower[h].append(k)
            for h in family.lemma.tolist():
                self.by_lemma[h].append(k)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not len(doc):
            return []
        keys = doc.to_array([LOWER, LEMMA, ORTH, SENT_START])
        anchored = [(family, mask) for family, mask in self._anchored(keys) if mask.any()]
        if not anchored:
            return []  # most articles of a general corpus: no sentence list needed
        starts = _sentence_starts(doc, keys[:, 3])
        counted = _Counted(keys[:, 2])
        found = []
        for family, mask in anchored:
            for a, b in family.windows(mask, _near(mask, starts, len(doc)), counted):
                found += [(key, a + start, a + end) for key, start, end in family.matcher(doc[a:b])]
        return found

    def _anchored(self, keys: np.ndarray) -> Iterator[tuple[_Family, np.ndarray]]:
        """Each family with its anchor mask over the doc's tokens (rows of its LOWER, LEMMA array)."""
        if self.everywhere:
            yield from ((family, family.anchored(keys)) for family in self.families)
            return
        masks: dict[int, np.ndarray] = {}
        candidates = np.flatnonzero(np.isin(keys[:, 0], self.lower) | np.isin(keys[:, 1], self.lemma))
        for i, lower, lemma in zip(candidates.tolist(), keys[candidates, 0].tolist(), keys[candidates, 1].tolist()):
            for k in (*self.by_lower.get(lower, ()), *self.by_lemma.get(lemma, ())):
                if k not in masks:
                    masks[k] = np.zeros(len(keys), dtype=bool)
                masks[k][i] = True
        yield from ((self.families[k], masks[k]) for k in sorted(masks))


class _Counted(dict):
    """For one doc, keyed by the bytes of an array of free ORTH hashes: how many tokens before each position
    (0 .. len(doc)) are not free, computed once per distinct set of free forms. Free tokens (the quote marks and
    brackets a phrase may hold any number of) cost a match no pattern token."""

    def __init__(self, orth: np.ndarray):
        super().__init__()
        self.orth = orth

    def __missing__(self, free: bytes) -> np.ndarray:
        counts = np.concatenate([[0], np.cumsum(~np.isin(self.orth, np.frombuffer(free, dtype=np.uint64)))])
        self[free] = counts
        return counts


def _sentence_starts(doc: Doc, sent_start: np.ndarray) -> np.ndarray | None:
    """Token offsets of the sentence starts (as ``doc.sents`` gives them), or None when ``doc`` has none set."""
    if not doc.has_annotation("SENT_START"):
        return None
    starts = np.flatnonzero(sent_start.astype(np.int64) == 1)
    return starts if len(starts) and starts[0] == 0 else np.concatenate([[0], starts])


def _near(anchored: np.ndarray, starts: np.ndarray | None, n: int) -> list[tuple[int, int]]:
    """Token ranges of the runs of sentences with an anchored token and their neighbours (the whole doc when it
    has no sentences)."""
    if starts is None:
        return [(0, n)]
    bounds = np.append(starts, n)
    hit = np.add.reduceat(anchored.astype(np.int64), starts) > 0  # sentences are never empty: starts increase
    near = hit.copy()
    near[1:] |= hit[:-1]
    near[:-1] |= hit[1:]
    # A run starts where a near sentence follows one that is not, and ends where it is followed by one that is not.
    edges = np.diff(np.concatenate([[0], near.astype(np.int8), [0]]))
    return [(int(bounds[a]), int(bounds[b])) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def _hashes(vocab, words: Iterable[str]) -> np.ndarray:
    return np.array(sorted({vocab.strings.add(w) for w in words}), dtype=np.uint64)


class _Lemmatiser:
    """word -> itself and its base forms under each of LEMMA_POS, with nlp's rule lemmatizer (identity when there
    is none). Only true inflections count (see ``_inflection``): "flexing" -> flex, but "leader" never -> lead.

    spaCy's rule lemmatizer costs about 0.15 ms a call, 0.5-1 s for a lexicon's words under four parts of speech
    at every run; its answers depend only on the word, the part of speech and the model, so they are kept in the
    cache folder (``cache.keep``), one JSON file per model and spaCy version, and ``keep`` adds new words."""

    def __init__(self, nlp: Language):
        pipe = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
        self.nlp, self.rule, self.seen = nlp, getattr(pipe, "rule_lemmatize", None), {}
        if pipe is None or getattr(pipe, "mode", "") != "rule":
            self.rule = None
            return
        # spaCy's lookup tables are keyed by string hash: ask by name.
        exc_table, index_table = (pipe.lookups.get_table(name, {}) for name in ("lemma_exc", "lemma_index"))
        self.exceptions = {pos.lower(): exc_table.get(pos.lower(), {}) for pos in LEMMA_POS}
        self.index = {pos.lower(): set(index_table.get(pos.lower(), ())) for pos in LEMMA_POS}
        meta = nlp.meta
        self.key = f"lemmas-{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}-spacy{spacy_version}.json"
        self.ruled, self.new = _kept_json(self.key), False

    def __call__(self, word: str) -> list[str]:
        if self.rule is None:
            return [word]
        if word not in self.seen:
            out = [word]
            for pos in LEMMA_POS:
                out += [lem for lem in self._ruled(word, pos) if _inflection(
                    word, lem, pos.lower(), exceptions=self.exceptions, index=self.index)]
            self.seen[word] = list(dict.fromkeys(out))
        return self.seen[word]

    def _ruled(self, word: str, pos: str) -> list[str]:
        key = f"{pos} {word}"
        if key not in self.ruled:
            doc = Doc(self.nlp.vocab, words=[word])
            doc[0].pos_ = pos
            self.ruled[key], self.new = [w.lower() for w in self.rule(doc[0])], True
        return self.ruled[key]

    def keep(self) -> None:
        """Keep the rule lemmatizer's answers for the next run, when this one asked it anything new."""
        if self.rule is not None and self.new:
            cache.keep(self.key, json.dumps(self.ruled, sort_keys=True))
            self.new = False


def _kept_json(name: str) -> dict:
    """The JSON object kept under ``name`` in the cache folder; {} when there is none or it is not one."""
    try:
        kept = json.loads(cache.kept(name) or "{}")
    except ValueError:
        return {}
    return kept if isinstance(kept, dict) else {}


def _inflection(word: str, lemma: str, pos: str, *, exceptions, index: dict[str, set]) -> bool:
    """Whether ``lemma`` is ``word``'s own base form under ``pos``, not another word.

    The rule lemmatizer strips suffixes blindly: as an adjective "leader" becomes "lead" (a comparative) and
    "follower" "follow", so a pattern word would match a different word. A base form counts when the lemmatizer's
    exception list gives it (bent -> bend), or when it is a known lemma of ``pos`` and ``word`` is not itself a
    known noun (a noun such as "leader" or "arming" is only inflected as a noun).
    """
    if lemma == word:
        return False
    if word in exceptions.get(pos, {}):
        return True
    return lemma in index.get(pos, ()) and (pos == "noun" or word not in index.get("noun", ()))


def _with_lemmas(token: dict, lemmas) -> dict:
    if "LEMMA" not in token:
        return token
    words = {w.lower() for w in token["LEMMA"]["IN"]}
    extra = [lem for w in sorted(words) for lem in lemmas(w) if lem not in words]
    return {**token, "LEMMA": {"IN": token["LEMMA"]["IN"] + patterns.casings(dict.fromkeys(extra))}} if extra else token


def _add(m: Matcher, key: str, patterns: list, *, where: str) -> None:
    try:
        m.add(key, patterns)
    except ValueError as err:
        raise LexiconError(f"{where}: spaCy rejected the compiled pattern: {err}") from None


# ------------------------------------------------------------------------------------------------ hits


def spans(doc: Doc, *, matcher: LexiconMatcher, lexicon: dict, overlap: str = "family") -> list[tuple[str, str, Span]]:
    """Resolved matches as ``(family, variant, span)`` in text order.

    Overlapping matches are resolved longest-first (spacy.util.filter_spans) within each family when
    ``overlap="family"`` (a label inside a longer claim of another family counts for both), or across all
    families with ``overlap="all"``. A family's hits inside one of its ``exclude`` matches are dropped.
    """
    if overlap not in ("family", "all"):
        raise ValueError(f"overlap must be 'family' or 'all', not {overlap!r}")
    order = {fid: k for k, fid in enumerate(lexicon)}
    rank = {v["id"]: k for family in lexicon.values() for k, v in enumerate(family["variants"])}
    found: dict[str, list[Span]] = defaultdict(list)
    excluded: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for match_id, start, end in matcher(doc):
        fid, vid = doc.vocab.strings[match_id].split("/", 1)
        if fid not in lexicon:
            continue
        if vid.startswith("!exclude"):
            excluded[fid].append((start, end))
        else:
            found[fid].append(Span(doc, start, end, label=vid))
    groups: dict[str, list[Span]] = {}
    for fid in sorted(found, key=order.get):
        kept = [s for s in found[fid] if not any(a <= s.start and s.end <= b for a, b in excluded[fid])]
        groups[fid] = sorted(kept, key=lambda s: (s.start, -len(s), rank.get(s.label_, 0)))
    if overlap == "all":
        ranked = [(fid, s) for fid, ss in groups.items() for s in ss]
        best = {id(s) for s in filter_spans([s for _, s in ranked])}
        resolved = [(fid, s) for fid, s in ranked if id(s) in best]
    else:
        resolved = [(fid, s) for fid, ss in groups.items() for s in filter_spans(ss)]
    resolved.sort(key=lambda fs: (fs[1].start, order[fs[0]]))
    return [(fid, s.label_, s) for fid, s in resolved]


def hits(doc: Doc, *, matcher: LexiconMatcher, lexicon: dict, article_id: str = "",
         sentences: pd.DataFrame | None = None, quotes: pd.DataFrame | None = None,
         overlap: str = "family", scare_max_words: int = 6) -> pd.DataFrame:
    """Every lexicon hit in ``doc`` (one article) as a ``hits`` table, with its voice.

    ``sentences`` and ``quotes`` are the tagging stage's tables (rows of other articles are ignored);
    offsets index ``doc.text`` (= articles.text). The voice comes from the innermost quote containing
    the hit (see ``voice``); a quoted phrase of at most ``scare_max_words`` words with no speaker or
    reporting word nearby is a scare quote. ``overlap`` is passed to ``spans``.
    """
    rows = _records(doc, matcher=matcher, lexicon=lexicon, article_id=article_id, sentences=sentences,
                    quotes=quotes, overlap=overlap, scare_max_words=scare_max_words)
    return tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")


def _records(doc: Doc, *, matcher: LexiconMatcher, lexicon: dict, article_id: str, sentences: pd.DataFrame | None,
             quotes: pd.DataFrame | None, overlap: str, scare_max_words: int, text: str | None = None) -> list[dict]:
    found = spans(doc, matcher=matcher, lexicon=lexicon, overlap=overlap)
    if not found:
        return []
    text = text if text is not None else parses.text(doc)
    sents = _for_article(sentences, article_id)
    quote_rows = _for_article(quotes, article_id)
    starts, ends, sent_ids = (sents[c].tolist() for c in ("start", "end", "sent_id")) if len(sents) else ([],) * 3
    positions = sents["position"].astype(str).tolist() if "position" in sents else [""] * len(starts)
    quote_starts, quote_ends = quote_rows["start"].to_numpy(), quote_rows["end"].to_numpy()
    rows, quote_dicts = [], None
    for fid, vid, span in found:
        start, end = span.start_char, span.end_char
        k = bisect.bisect_right(starts, start) - 1
        inside = k >= 0 and start < ends[k]
        bounds = (int(starts[k]), int(ends[k])) if inside else _sentence_bounds(span)
        position = positions[k] if inside else ""
        # Only the quotes holding the hit can decide its voice: most hits have none, and voice.classify then
        # skips its table work altogether.
        holding = np.flatnonzero((quote_starts <= start) & (quote_ends >= end))
        if len(holding) and quote_dicts is None:
            quote_dicts = voices.rows(quote_rows)  # once per article, for all its hits inside quotes
        inside_quotes = [quote_dicts[i] for i in holding] if len(holding) else None
        rows.append({"article_id": article_id, "sent_id": int(sent_ids[k]) if inside else -1,
                     "start": start, "end": end, "matched_text": text[start:end], "family": fid,
                     "variant": vid, "lexicon": lexicon[fid].get("source", ""),
                     "category": lexicon[fid]["category"],
                     "techniques": ";".join(lexicon[fid]["techniques"]),
                     **voices.classify(text, start, end, quotes=inside_quotes,
                                       sentence=bounds, scare_max_words=scare_max_words),
                     "in_headline": position == "headline", "position": position})
    return rows


def scan(articles: pd.DataFrame, *, nlp: Language, lexicon: dict | None = None,
         sentences: pd.DataFrame | None = None, quotes: pd.DataFrame | None = None, batch_size: int = 32,
         n_process: int = 1, overlap: str = "family", scare_max_words: int = 6) -> pd.DataFrame:
    """``hits`` for every article of an ``articles`` table (article_id, text), parsing with ``nlp.pipe`` once."""
    lexicon = lexicon if lexicon is not None else profiles.lexicon(profiles.Profile())
    m = matcher(nlp, lexicon)
    sents_by, quotes_by = _split(sentences), _split(quotes)
    ids = articles["article_id"].tolist()
    rows: list[dict] = []
    docs = nlp.pipe(articles["text"].fillna("").tolist(), batch_size=batch_size, n_process=n_process)
    for article_id, doc in zip(ids, docs):
        rows += _records(doc, matcher=m, lexicon=lexicon, article_id=article_id,
                         sentences=sents_by.get(article_id), quotes=quotes_by.get(article_id), overlap=overlap,
                         scare_max_words=scare_max_words)
    log.info("%d hits in %d articles", len(rows), len(ids))
    return tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")




def _split(df: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if df is None or not len(df):
        return {}
    return {aid: g for aid, g in df.groupby("article_id", sort=False)}


def _for_article(df: pd.DataFrame | None, article_id: str) -> pd.DataFrame:
    if df is None or not len(df):
        return pd.DataFrame(columns=["article_id", "start", "end"])
    if "article_id" in df and article_id:
        df = df[df["article_id"] == article_id]
    return df.sort_values("start", kind="stable").reset_index(drop=True)


def _sentence_bounds(span: Span) -> tuple[int, int]:
    doc = span.doc
    if doc.has_annotation("SENT_START"):
        sent = span.sent
        return sent.start_char, sent.end_char
    text = parses.text(doc)
    lo = text.rfind("\n", 0, span.start_char) + 1
    hi = text.find("\n", span.end_char)
    return lo, hi if hi >= 0 else len(text)



# ------------------------------------------------------------------------------------------- summaries


def outlets(articles: pd.DataFrame) -> dict[str, str]:
    """``{article_id: outlet}`` of an ``articles`` table; an empty outlet becomes ``(unknown)``."""
    if "outlet" not in articles:
        return {}
    outlet = articles["outlet"].fillna("").astype(str).str.strip().replace("", UNKNOWN_OUTLET)
    return dict(zip(articles["article_id"], outlet))


def adoption(hits: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Adoption index per outlet x family x in_headline: the share of hits in the outlet's own unmarked voice.

    An article with no outlet (or missing from ``articles``) counts under ``(unknown)``.
    """
    if not len(hits):
        return tables.empty("adoption")
    by_article = outlets(articles)
    df = hits.assign(outlet=hits["article_id"].map(by_article).fillna(UNKNOWN_OUTLET))
    counts = (df.groupby(["outlet", "family", "in_headline", "voice"]).size()
              .unstack("voice", fill_value=0).reindex(columns=list(voices.VOICES), fill_value=0))
    out = counts.rename(columns={v: f"n_{v}" for v in voices.VOICES}).reset_index()
    out["n"] = out[[f"n_{v}" for v in voices.VOICES]].sum(axis=1)
    out["adoption_index"] = out["n_narrator"] / out["n"]
    return tables.conform(out.sort_values(["outlet", "family", "in_headline"]), "adoption")



# ----------------------------------------------------------------------------------------------- the stage


@dataclass
class Scanned:
    """What one pass of the model over the corpus yields for the rhetoric stage."""

    hits: pd.DataFrame
    counts: pd.DataFrame
    frames: pd.DataFrame


# When articles must be parsed again (no stored parse), entities are skipped: nothing here reads them. The parser
# stays: spaCy's attribute ruler reads its dependency labels to tell AUX from VERB and SCONJ from ADP, so without
# it parts of speech, and then lemmas, would differ from the tagging stage's stored parse.
UNNEEDED = ("ner",)


def run(articles: pd.DataFrame, *, nlp: Language, sentences: pd.DataFrame, quotes: pd.DataFrame,
        lexicon: dict | None = None, frame_lexicon: dict | None = None, batch_size: int = 32, n_process: int = 1,
        chunk: int = 200, scare_max_words: int = 6, failed=None,
        data_dir: str | os.PathLike | None = None) -> Scanned:
    """Hits, keyness counts and frames for every English article.

    With ``data_dir``, the articles' Docs are read from the tagging stage's stored parse there
    (``analysis.parses``, rebuilt with ``nlp.vocab``; no pipeline component runs): the same tables as parsing the
    texts again, at a fraction of the cost. When that folder holds no stored parse, or one made with another model
    (a run folder from an older version), or lacks an article, those articles are parsed again with ``nlp``
    (``n_process`` processes, 0: ``analysis.models.processes``), kept in the stored form
    (``parses.stored_form``), and a WARNING says so and why. Without ``data_dir`` every article is parsed so.

    Docs are consumed ``chunk`` at a time and dropped, so memory does not grow with the corpus. Articles of any
    length are read whole (``analysis.segments.pipe``). With ``failed`` (an ``analysis.failures.Recorder``), an
    article that raises is recorded there and has no rows in any result; without it the error is raised.
    """
    lexicon = lexicon if lexicon is not None else profiles.lexicon(profiles.Profile())
    english = articles[articles["is_english"]] if "is_english" in articles else articles
    ids, texts = english["article_id"].astype(str).tolist(), english["text"].tolist()
    batches = [ids[k:k + chunk] for k in range(0, len(ids), chunk)]
    sents_by, quotes_by = _split(sentences), _split(quotes)
    # Finer pieces than ``chunk`` for several processes (so they finish together); the tables keep ``chunk``'s
    # batches (``_in_batches``).
    size = min(chunk, max(MIN_PIECE, -(-len(ids) // PIECES_PER_CORPUS)))
    processes = max(1, min(models.processes(n_process, texts=len(ids) // RHETORIC_COST), -(-len(ids) // size)))
    stored = _complete(data_dir, ids, nlp=nlp) if processes > 1 else None
    if stored is not None:
        pieces = [ids[a:b] for a, b in workers.chunks(len(ids), size, processes=processes)]
        done = _pooled(pieces, stored, texts=dict(zip(ids, texts)), data_dir=data_dir, nlp=nlp, lexicon=lexicon,
                       frame_lexicon=frame_lexicon, sents_by=sents_by, quotes_by=quotes_by,
                       scare_max_words=scare_max_words, processes=processes, isolate=failed is not None)
    else:
        scanner = _Scanner(nlp, lexicon, frame_lexicon, scare_max_words=scare_max_words)
        docs = _docs(ids, texts, nlp=nlp, data_dir=data_dir, batch_size=batch_size, n_process=n_process)
        done = (scanner.batch(list(zip(batch, itertools.islice(docs, len(batch)), texts[k:k + len(batch)])),
                              sents_by=sents_by, quotes_by=quotes_by, isolate=failed is not None)
                for k, batch in zip(range(0, len(ids), chunk), batches))
    rows, counts, framed, bad = [], [], [], set()
    for n, part in enumerate(done, 1):
        rows += part.rows
        counts += part.counts
        framed += part.framed
        for article_id, err in part.failed:
            failed.add(article_id, err)
            bad.add(article_id)
        log.info("rhetoric: %d/%d articles scanned", min(n * chunk, len(ids)), len(ids))
    if bad:  # an article that failed in a later step leaves no rows anywhere
        rows = [r for r in rows if r["article_id"] not in bad]
        counts = [c[~c["article_id"].astype(str).isin(bad)] for c in counts]
        framed = [f[~f["article_id"].isin(bad)] for f in framed]
    hits_df = tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")
    return Scanned(hits_df, _concat_counts(counts), _in_batches(framed, ids, chunk=chunk))


PIECES_PER_CORPUS = 16
MIN_PIECE = 20


def _in_batches(framed: list[pd.DataFrame], ids: list[str], *, chunk: int) -> pd.DataFrame:
    """The frames rows of all pieces in the order the stage has always given them: batch after batch of
    ``chunk`` articles, each sorted by (article_id, sent_id, frame) as ``frames.tag`` sorts the batch it is
    given; so the table is the same whatever pieces the articles were scanned in."""
    if not framed:
        return tables.empty("frames")
    out = pd.concat(framed, ignore_index=True)
    batch = out["article_id"].map({a: k // chunk for k, a in enumerate(ids)})
    return (out.assign(_batch=batch).sort_values(["_batch", "article_id", "sent_id", "frame"], kind="stable")
            .drop(columns="_batch").reset_index(drop=True))


RHETORIC_COST = 5
"""Scanning an article's stored parse costs about a fifteenth of tagging it (about 0.015 CPU s an AllSides article,
bench/pipeline_parse.py), and a second process means one spawned worker (spaCy imported, the pipeline loaded,
both matchers compiled: about 3 CPU s) while this process scans too: so ``models.processes`` is asked with a
fifth of the articles, and the worker starts from 1,000 articles on, where the half of the scan it takes over
(about 7 CPU s) repays its start-up, which runs on the otherwise idle core."""


@dataclass
class _Part:
    """One batch of the rhetoric scan: hit rows, keyness counts, frames, and the articles that failed."""

    rows: list[dict]
    counts: list[pd.DataFrame]
    framed: list[pd.DataFrame]
    failed: list[tuple[str, Exception]]


class _Scanner:
    """The rhetoric scan of batches of Docs, with the lexicon and frame matchers compiled once."""

    def __init__(self, nlp: Language, lexicon: dict, frame_lexicon: dict | None, *, scare_max_words: int):
        from analysis import frames

        self.lexicon, self.scare_max_words = lexicon, scare_max_words
        self.matcher, self.frame_matcher = matcher(nlp, lexicon), frames.matcher(nlp, frame_lexicon)

    def batch(self, items: list[tuple[str, Doc | Exception, object]], *, sents_by: dict, quotes_by: dict,
              isolate: bool) -> _Part:
        """Scan ``(article_id, doc, text)`` triples (``text``: the article's text, which is ``doc.text``, or
        anything else when it is not at hand); with ``isolate`` an article that raises is listed in ``failed`` and
        the others go on, else the error is raised."""
        from analysis import frames, keyness

        failed = _Failed(isolate)
        rows, batch = [], []
        for article_id, doc, text in items:
            with failed.guard(article_id):
                if isinstance(doc, Exception):
                    raise doc
                text = _text(doc, text)
                _set_sentences(doc, sents_by.get(article_id))
                rows += _records(doc, matcher=self.matcher, lexicon=self.lexicon, article_id=article_id,
                                 sentences=sents_by.get(article_id), quotes=quotes_by.get(article_id),
                                 overlap="family", scare_max_words=self.scare_max_words, text=text)
                batch.append((article_id, doc, text))
        retry = failed if isolate else None
        counts = _each(lambda b: keyness.counts([d for _, d, _ in b], article_ids=[a for a, _, _ in b],
                                                multiword="bigrams", texts=[t for _, _, t in b]), batch, retry)
        framed = _each(lambda b: frames.tag([d for _, d, _ in b], article_ids=[a for a, _, _ in b],
                                            matcher=self.frame_matcher, sentences=_rows_of(sents_by, b)),
                       batch, retry)
        return _Part(rows, counts, framed, failed.errors)


def _text(doc: Doc, text: object) -> str:
    """``doc.text``, as ``text`` (the article's text) when that is a string of its length: ``Doc.text`` joins
    every token in Python, and the stored parse's docs hold ``articles.text`` exactly (``analysis.parses``)."""
    if isinstance(text, str) and len(doc) and len(text) == doc[-1].idx + len(doc[-1].text_with_ws):
        return text
    return parses.text(doc)


def _rows_of(by_article: dict[str, pd.DataFrame], batch: list) -> pd.DataFrame:
    """The sentences of the batch's articles (empty, with the columns, when none has any)."""
    found = [by_article[a] for a, *_ in batch if a in by_article]
    if found:
        return pd.concat(found)
    return pd.DataFrame({"article_id": pd.Series(dtype=object), "sent_id": pd.Series(dtype="int64"),
                         "start": pd.Series(dtype="int64"), "end": pd.Series(dtype="int64")})


class _Failed:
    """Errors of one batch: with ``isolate`` each article's error is kept and the batch goes on, else raised."""

    def __init__(self, isolate: bool):
        self.isolate, self.errors = isolate, []

    @contextlib.contextmanager
    def guard(self, article_id: str):
        try:
            yield
        except Exception as err:
            if not self.isolate:
                raise
            self.errors.append((article_id, err))


def _complete(data_dir, ids: list[str], *, nlp: Language) -> dict | None:
    """The stored parse's index when it holds every article of ``ids`` (worker processes read it), else None."""
    if data_dir is None:
        return None
    try:
        found = parses.index(data_dir, nlp=nlp)
    except parses.StaleParse:
        return None  # _docs says why, and parses again in this process
    stored = {a for entry in found["chunks"] for a in entry["article_ids"]}
    return found if all(a in stored for a in ids) else None


def _pooled(batches: list[list[str]], found: dict, *, texts: dict[str, object], data_dir, nlp: Language,
            lexicon: dict, frame_lexicon, sents_by: dict, quotes_by: dict, scare_max_words: int, processes: int,
            isolate: bool) -> Iterator[_Part]:
    """``_Scanner.batch`` of every batch in ``processes`` processes (``analysis.workers``: this one and
    ``processes - 1`` spawned workers), in order; a worker reads the Docs of its batch from the stored parse
    itself (only ids, texts and table rows are sent)."""
    where = {a: (c, k) for c, entry in enumerate(found["chunks"]) for k, a in enumerate(entry["article_ids"])}

    def job(batch: list[str]) -> tuple:
        return ([(a, found["chunks"][where[a][0]], where[a][1], texts.get(a)) for a in batch],
                {a: sents_by[a] for a in batch if a in sents_by}, {a: quotes_by[a] for a in batch if a in quotes_by})

    scanner = _Scanner(nlp, lexicon, frame_lexicon, scare_max_words=scare_max_words)

    def here(wanted: list, sents: dict, quotes: dict, isolate: bool) -> _Part:
        return _scan(scanner, wanted, sents, quotes, isolate, nlp=nlp, data_dir=data_dir)

    return workers.ordered((job(batch) + (isolate,) for batch in batches), work=_work, start=_start,
                           initargs=(nlp, lexicon, frame_lexicon, scare_max_words, str(data_dir)), processes=processes,
                           local=here)


_WORKER: dict = {}


def _start(nlp: Language, lexicon: dict, frame_lexicon, scare_max_words: int, data_dir: str) -> None:
    """Worker set-up: the pipeline's vocab and the compiled matchers, once per process."""
    _WORKER.update(nlp=nlp, data_dir=data_dir, scanner=_Scanner(nlp, lexicon, frame_lexicon,
                                                                 scare_max_words=scare_max_words))


def _work(wanted: list[tuple[str, dict, int, object]], sents_by: dict, quotes_by: dict, isolate: bool) -> _Part:
    part = _scan(_WORKER["scanner"], wanted, sents_by, quotes_by, isolate, nlp=_WORKER["nlp"],
                 data_dir=_WORKER["data_dir"])
    part.failed = [(a, workers.portable(err)) for a, err in part.failed]
    return part


def _scan(scanner: _Scanner, wanted: list[tuple[str, dict, int, object]], sents_by: dict, quotes_by: dict,
          isolate: bool, *, nlp: Language, data_dir) -> _Part:
    """``scanner.batch`` of the wanted articles, each ``(article_id, chunk entry, index in it, text)`` of the
    stored parse in ``data_dir``."""
    loaded: dict[str, list[Doc]] = {}
    items = []
    for article_id, entry, k, text in wanted:
        if entry["file"] not in loaded:
            loaded.clear()  # one chunk file in memory at a time
            loaded[entry["file"]] = parses.chunk(data_dir, entry, nlp=nlp)
        items.append((article_id, loaded[entry["file"]][k], text))
    return scanner.batch(items, sents_by=sents_by, quotes_by=quotes_by, isolate=isolate)


def _docs(ids: list[str], texts: list[str], *, nlp: Language, data_dir, batch_size: int,
          n_process: int) -> Iterator[Doc | Exception]:
    """One Doc (or the error that stopped its parse) per article, in order: from the stored parse of ``data_dir``
    where it has the article, else parsed again (see ``run``)."""
    stored: dict[str, tuple[int, int]] = {}
    found = None
    if data_dir is not None:
        try:
            found = parses.index(data_dir, nlp=nlp)
        except parses.StaleParse as err:
            log.warning("rhetoric: %s. Parsing the %d articles again instead (slower)", err, len(ids))
        else:
            stored = {a: (c, k) for c, chunk in enumerate(found["chunks"]) for k, a in enumerate(chunk["article_ids"])}
    missing = [i for i, a in enumerate(ids) if a not in stored]
    if found is not None and missing:
        log.warning("rhetoric: the stored parse in %s lacks %d of the %d articles (%s%s); parsing those again",
                    data_dir, len(missing), len(ids), ", ".join(ids[i] for i in missing[:5]),
                    " ..." if len(missing) > 5 else "")
    parsed = segments.pipe(nlp, (texts[i] for i in missing), batch_size=batch_size,
                           n_process=models.processes(n_process, texts=len(missing)),
                           disable=[p for p in UNNEEDED if p in nlp.pipe_names]) if missing else iter(())
    loaded, docs = -1, []
    for article_id in ids:
        if article_id not in stored:
            doc = next(parsed)
            # Kept in the stored form, so an article reads the same whether it was stored or parsed here.
            yield doc if isinstance(doc, Exception) else parses.stored_form(doc)
            continue
        c, k = stored[article_id]
        if c != loaded:  # one chunk file in memory at a time; in tagging order each is read once
            docs, loaded = parses.chunk(data_dir, found["chunks"][c], nlp=nlp), c
        yield docs[k]


def _each(step, batch: list, failed) -> list:
    """``[step(batch)]``; when it raises and ``failed`` records failures, ``step`` article by article instead,
    so only the article that raises is lost."""
    if not batch:
        return []
    try:
        return [step(batch)]
    except Exception:
        if failed is None:
            raise
    out = []
    for item in batch:
        with failed.guard(item[0]):
            out.append(step([item]))
    return out


def _set_sentences(doc: Doc, sentences: pd.DataFrame | None) -> None:
    """Mark the tagging stage's sentence starts on an unparsed doc, so patterns never match across sentences."""
    if sentences is None or not len(doc):
        return
    # One array write, not a property set per token (each of which re-checks the doc's annotation).
    starts = np.isin(doc.to_array([IDX]).astype(np.int64), sentences["start"].to_numpy(dtype=np.int64))
    starts[0] = True
    doc.from_array([SENT_START], np.where(starts, 1, -1).astype(np.uint64).reshape(-1, 1))


def _concat_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"article_id": pd.Series(dtype=object), "term": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64")})
    # Chunks have different categories; union them so the corpus-wide table stays categorical (fast to group).
    out = pd.concat([p.astype({"article_id": object, "term": object}) for p in parts], ignore_index=True)
    return out.astype({"article_id": "category", "term": "category"})
