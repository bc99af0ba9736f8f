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
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from spacy.attrs import IDX, LEMMA, LOWER, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from analysis import models, parses, patterns, profiles, segments, tables
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
    lemmas = _lemmatiser(nlp)
    families = []
    for fid, family in lexicon.items():
        m, anchors = Matcher(nlp.vocab, validate=True), []
        for variant in family["variants"]:
            compiled = [[_with_lemmas(t, lemmas) for t in p] for p in variant["token_patterns"]]
            _add(m, f"{fid}/{variant['id']}", compiled, where=f"variant {variant['id']!r}")
            anchors += [_anchor(p) for p in compiled]
        for k, ex in enumerate(family["exclude"]):
            compiled = [[_with_lemmas(t, lemmas) for t in p] for p in ex["token_patterns"]]
            _add(m, f"{fid}/!exclude{k}", compiled, where=f"family {fid!r} exclude {ex['pattern']!r}")
        families.append(_Family(m, anchors, nlp.vocab))
    return LexiconMatcher(families)


def _anchor(pattern: list[dict]) -> dict | None:
    """A word token every match of ``pattern`` must contain, or None: the required word whose forms are rarest in
    general English, so that "the" or "on" never decides which sentences the matcher looks at."""
    counts, _ = patterns.general_english()
    words = [t for t in pattern if "OP" not in t and ("LOWER" in t or "LEMMA" in t)]
    forms = lambda t: {w.lower() for w in (t.get("LOWER") or t["LEMMA"])["IN"]}  # noqa: E731
    return min(words, key=lambda t: sum(counts[w] for w in forms(t)), default=None)


class _Family:
    """One family's spaCy Matcher (variants and excludes) and the hashes of its variants' anchor words."""

    def __init__(self, matcher: Matcher, anchors: list[dict | None], vocab):
        self.matcher = matcher
        # A pattern without a word anchor could match anywhere: then every sentence is a candidate.
        self.everywhere = any(a is None for a in anchors)
        self.lower = _hashes(vocab, (w for a in anchors if a and "LOWER" in a for w in a["LOWER"]["IN"]))
        self.lemma = _hashes(vocab, (w for a in anchors if a and "LEMMA" in a for w in a["LEMMA"]["IN"]))

    def anchored(self, keys: np.ndarray) -> np.ndarray:
        """Which tokens (rows of a doc's LOWER, LEMMA array) are anchors of this family."""
        if self.everywhere:
            return np.ones(len(keys), dtype=bool)
        return np.isin(keys[:, 0], self.lower) | np.isin(keys[:, 1], self.lemma)


class LexiconMatcher:
    """The lexicon's compiled patterns, one spaCy Matcher per family, each run only where it can match.

    spaCy's Matcher tries every pattern at every token, and the lexicon has hundreds of patterns made of word-set
    predicates: run over whole articles, that cost as much as tagging them. Every variant pattern has a required
    word (its anchor, the rarest one), so a family can only match in a sentence that holds one of its anchors or
    next to one. Calling the matcher on a doc looks the anchors up for all tokens at once (LOWER and LEMMA hashes)
    and runs each family's Matcher on those sentences and their neighbours only: the neighbours because a
    parser's sentence boundary sometimes falls inside a phrase ("Asian version / [of] NATO"). Matches come back as
    a Matcher's ``(key, start, end)`` in doc token offsets, the same matches as the whole lexicon on the whole doc.
    """

    def __init__(self, families: list[_Family]):
        self.families = families

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not len(doc):
            return []
        keys = doc.to_array([LOWER, LEMMA])
        anchored = [(family, family.anchored(keys)) for family in self.families]
        anchored = [(family, mask) for family, mask in anchored if mask.any()]
        if not anchored:
            return []  # most articles of a general corpus: no sentence list needed
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else None
        return [(key, span.start + start, span.start + end) for family, mask in anchored
                for span in _near(doc, mask, sents) for key, start, end in family.matcher(span)]


def _near(doc: Doc, anchored: np.ndarray, sents: list[Span] | None) -> list[Span]:
    """The runs of ``sents`` with an anchored token and their neighbours (the whole doc when it has none)."""
    if sents is None:
        return [doc[:]]
    near = sorted({j for i, sent in enumerate(sents) if anchored[sent.start:sent.end].any()
                   for j in range(max(i - 1, 0), min(i + 2, len(sents)))})
    # Consecutive sentence numbers have the same difference to their position in ``near``: one run each.
    runs = [[j for _, j in run] for _, run in itertools.groupby(enumerate(near), key=lambda p: p[1] - p[0])]
    return [doc[sents[run[0]].start:sents[run[-1]].end] for run in runs]


def _hashes(vocab, words: Iterable[str]) -> np.ndarray:
    return np.array(sorted({vocab.strings.add(w) for w in words}), dtype=np.uint64)


def _lemmatiser(nlp: Language):
    """word -> itself and its base forms under each of LEMMA_POS, with nlp's rule lemmatizer (identity when there
    is none). Only true inflections count (see ``_inflection``): "flexing" -> flex, but "leader" never -> lead."""
    pipe = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    rule = getattr(pipe, "rule_lemmatize", None)
    if pipe is None or getattr(pipe, "mode", "") != "rule" or rule is None:
        return lambda word: [word]
    # spaCy's lookup tables are keyed by string hash: ask by name.
    exc_table, index_table = (pipe.lookups.get_table(name, {}) for name in ("lemma_exc", "lemma_index"))
    exceptions = {pos.lower(): exc_table.get(pos.lower(), {}) for pos in LEMMA_POS}
    index = {pos.lower(): set(index_table.get(pos.lower(), ())) for pos in LEMMA_POS}
    seen: dict[str, list[str]] = {}

    def lemmas(word: str) -> list[str]:
        if word not in seen:
            out = [word]
            for pos in LEMMA_POS:
                doc = Doc(nlp.vocab, words=[word])
                doc[0].pos_ = pos
                out += [lem for lem in (w.lower() for w in rule(doc[0]))
                        if _inflection(word, lem, pos.lower(), exceptions=exceptions, index=index)]
            seen[word] = list(dict.fromkeys(out))
        return seen[word]
    return lemmas


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
             quotes: pd.DataFrame | None, overlap: str, scare_max_words: int) -> list[dict]:
    found = spans(doc, matcher=matcher, lexicon=lexicon, overlap=overlap)
    if not found:
        return []
    text = doc.text
    sents = _for_article(sentences, article_id)
    quote_rows = _for_article(quotes, article_id)
    starts = sents["start"].tolist()
    rows = []
    for fid, vid, span in found:
        start, end = span.start_char, span.end_char
        k = bisect.bisect_right(starts, start) - 1
        sent = sents.iloc[k] if k >= 0 and start < sents["end"].iat[k] else None
        bounds = (int(sent["start"]), int(sent["end"])) if sent is not None else _sentence_bounds(span)
        position = str(sent["position"]) if sent is not None and "position" in sents else ""
        rows.append({"article_id": article_id, "sent_id": int(sent["sent_id"]) if sent is not None else -1,
                     "start": start, "end": end, "matched_text": text[start:end], "family": fid,
                     "variant": vid, "lexicon": lexicon[fid].get("source", ""),
                     "category": lexicon[fid]["category"],
                     "techniques": ";".join(lexicon[fid]["techniques"]),
                     **voices.classify(text, start, end, quotes=quote_rows, sentence=bounds, scare_max_words=scare_max_words),
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
    lo = doc.text.rfind("\n", 0, span.start_char) + 1
    hi = doc.text.find("\n", span.end_char)
    return lo, hi if hi >= 0 else len(doc.text)



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


# The rhetoric stage needs lemmas, not the parse or entities: sentence boundaries come from the tagging stage's
# sentences table, so the expensive components are skipped on this second pass over the text.
UNNEEDED = ("parser", "ner", "senter")


def run(articles: pd.DataFrame, *, nlp: Language, sentences: pd.DataFrame, quotes: pd.DataFrame,
        lexicon: dict | None = None, frame_lexicon: dict | None = None, batch_size: int = 32, n_process: int = 1,
        chunk: int = 200, scare_max_words: int = 6, failed=None,
        data_dir: str | os.PathLike | None = None) -> Scanned:
    """Hits, keyness counts and frames for every English article.

    With ``data_dir``, the articles' Docs are read from the tagging stage's stored parse there
    (``analysis.parses``, rebuilt with ``nlp.vocab``; no pipeline component runs): the same tables as parsing the
    texts again, at a fraction of the cost. When that folder holds no stored parse, or one made with another model
    (a run folder from an older version), or lacks an article, those articles are parsed again with ``nlp`` (its
    tagger and lemmatizer only, ``n_process`` processes, 0: ``analysis.models.processes``) and a WARNING says so
    and why. Without ``data_dir`` every article is parsed.

    Docs are consumed ``chunk`` at a time and dropped, so memory does not grow with the corpus. Articles of any
    length are read whole (``analysis.segments.pipe``). With ``failed`` (an ``analysis.failures.Recorder``), an
    article that raises is recorded there and has no rows in any result; without it the error is raised.
    """
    from analysis import frames, keyness

    lexicon = lexicon if lexicon is not None else profiles.lexicon(profiles.Profile())
    m, fm = matcher(nlp, lexicon), frames.matcher(nlp, frame_lexicon)
    english = articles[articles["is_english"]] if "is_english" in articles else articles
    sents_by, quotes_by = _split(sentences), _split(quotes)
    docs = _docs(english["article_id"].astype(str).tolist(), english["text"].tolist(), nlp=nlp, data_dir=data_dir,
                 batch_size=batch_size, n_process=n_process)
    guard = failed.guard if failed is not None else contextlib.nullcontext
    ids, rows, counts, framed = english["article_id"].tolist(), [], [], []
    for first in range(0, len(ids), chunk):
        batch = []
        for article_id, doc in zip(ids[first:first + chunk], itertools.islice(docs, chunk)):
            with guard(article_id):
                if isinstance(doc, Exception):
                    raise doc
                _set_sentences(doc, sents_by.get(article_id))
                rows += _records(doc, matcher=m, lexicon=lexicon, article_id=article_id,
                                 sentences=sents_by.get(article_id), quotes=quotes_by.get(article_id),
                                 overlap="family", scare_max_words=scare_max_words)
                batch.append((article_id, doc))
        counts += _each(lambda b: keyness.counts([d for _, d in b], article_ids=[a for a, _ in b],
                                                 multiword="bigrams"), batch, failed)
        framed += _each(lambda b: frames.tag([d for _, d in b], article_ids=[a for a, _ in b], matcher=fm,
                                             sentences=sentences[sentences["article_id"].isin([a for a, _ in b])]),
                        batch, failed)
        log.info("rhetoric: %d/%d articles scanned", min(first + chunk, len(ids)), len(ids))
    if failed is not None and failed.rows:  # an article that failed in a later step leaves no rows anywhere
        bad = failed.ids
        rows = [r for r in rows if r["article_id"] not in bad]
        counts = [c[~c["article_id"].astype(str).isin(bad)] for c in counts]
        framed = [f[~f["article_id"].isin(bad)] for f in framed]
    hits_df = tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")
    return Scanned(hits_df, _concat_counts(counts), pd.concat(framed, ignore_index=True) if framed else tables.empty("frames"))


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
            yield next(parsed)
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
