"""Quote lineage and omission: which articles carry the same quoted statement, and which outlets carry a claim.

``align`` groups quoted fragments from different articles that reproduce one source statement (a Foreign
Ministry statement quoted by Reuters, then by outlets rewriting Reuters), so a reader sees how each outlet cut
or reworded it. ``omission`` groups similar sentences across articles into claims and counts, per outlet, how
many of its sentences carry each claim (0 = the outlet left it out).

Both follow one recipe, sized for thousands of articles:

1. normalise (NFKC, lower case, every non-word character - quote marks, hyphens, brackets - to one space) and
   merge identical normalised texts at once;
2. block: only texts sharing at least two rare word n-grams are candidates (an n-gram counts when no more than
   ``_MAX_DF`` texts share it, or when it is among a text's ``_PREFIX`` rarest, so a sentence reprinted by many
   outlets still meets its copies), and only when most of the shorter text's n-grams occur in the longer;
3. score the candidates with RapidFuzz (``process.cpdist``, all cores) and join pairs at or above the threshold
   with union-find.

Step 2 matters for quality as much as speed: on 5,000 AllSides articles, pairs that ``partial_ratio`` scores 80 or
more while sharing one n-gram are almost all generic speech ("we still have a long way to go" inside an
unrelated quote); they would chain unrelated statements together.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from analysis import tables

log = logging.getLogger(__name__)

UNKNOWN = "(unknown)"
QUOTE_MARKS = "\"'`´“”„‟‘’‚‛«»‹›「」『』"
_NON_WORD = re.compile(r"[\W_]+")
# Edge characters ignored when comparing words (brackets are kept: "[of]" is an editor's insertion worth seeing).
_EDGE = QUOTE_MARKS + ",.;:!?…()—–-"
_MAX_DF = 50  # an n-gram more texts than this share is stock phrasing, not evidence of a common source
_PREFIX = 3  # each text always keeps this many of its rarest n-grams...
_HARD_CAP = 2000  # ...unless even those are this widespread: a generic text, not a reprinted one
_MIN_SHARED = 2  # kept n-grams a candidate pair must share
_MIN_CONTAINMENT = 0.5  # share of the shorter text's n-grams found in the longer one


def normalise(text: str) -> str:
    """Lower-cased text with quote marks, punctuation and runs of whitespace reduced to single spaces."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def align(quotes: pd.DataFrame, articles: pd.DataFrame, *, threshold: float = 80,
          kinds: Sequence[str] = ("direct", "partial"), min_words: int = 8, min_articles: int = 2) -> pd.DataFrame:
    """The ``quote_lineage`` table: quoted fragments aligned to the source statements they reproduce.

    Fragments are the quotes of the given ``kinds``. Two fragments of at least ``min_words`` words from
    different articles belong to one statement when their RapidFuzz ``partial_ratio`` (the best-matching window
    of the longer, so a partial quote aligns inside a full one) reaches ``threshold``; statements are the
    connected groups of such pairs. Shorter fragments do not link statements (a few words sit inside many
    unrelated quotes): they join identical fragments, and a statement already shared by two articles when it is
    the only one whose wording contains them word for word. Statements carried by fewer than ``min_articles``
    articles are left out.
    """
    frags = quotes.loc[quotes["kind"].isin(kinds), ["article_id", "quote_id", "start", "text"]].copy()
    frags["norm"] = frags["text"].map(normalise)
    frags = frags[frags["norm"] != ""].reset_index(drop=True)
    if frags.empty:
        return tables.empty("quote_lineage")
    uniq, node = _unique_texts(frags)
    n_words = _n_words(uniq["norm"])
    long_ = np.flatnonzero(n_words >= min_words)
    pairs = long_[_candidate_pairs(uniq["norm"].to_numpy()[long_], n=3, overlap_n=3)]
    edges = _score(uniq, pairs, scorer=fuzz.partial_ratio, threshold=threshold)
    roots = _union_find(len(uniq), edges)
    short = np.flatnonzero((n_words >= 2) & (n_words < min_words))  # one word: only identical fragments join
    roots = _attach_short(uniq, roots, node=node, frags=frags, short=short)
    frags["cluster"] = roots[node]
    frags = _keep_shared(frags, min_articles=min_articles)
    if frags.empty:
        return tables.empty("quote_lineage")
    out = _describe(frags, articles)
    log.info("quote lineage: %d fragments in %d statements", len(out), out["statement_id"].nunique())
    return tables.conform(out[list(tables.schema("quote_lineage")["columns"])], "quote_lineage")


def omission(sentences: pd.DataFrame, articles: pd.DataFrame, *, threshold: float = 80, min_words: int = 6,
             min_length_ratio: float = 0.5, min_articles: int = 2) -> pd.DataFrame:
    """The ``omission`` table: claims (groups of similar sentences) by outlet, with how many sentences carry them.

    Two sentences of different articles make one claim when their RapidFuzz ``token_set_ratio`` (word overlap,
    order ignored) reaches ``threshold`` and the shorter has at least ``min_length_ratio`` of the longer's words
    (otherwise any short sentence would join every long one containing its words). Sentences under ``min_words``
    words are not claims. Claims carried by fewer than ``min_articles`` articles are dropped to keep the matrix
    readable (1 keeps all). Every outlet of ``articles`` gets a row per claim, 0 when it omits it.
    """
    sents = sentences[["article_id", "sent_id", "text"]].copy()
    sents["norm"] = sents["text"].map(normalise)
    sents = sents[_n_words(sents["norm"]) >= min_words].reset_index(drop=True)
    if sents.empty:
        return tables.empty("omission")
    uniq, node = _unique_texts(sents)
    n_words = _n_words(uniq["norm"])
    pairs = _candidate_pairs(uniq["norm"].to_numpy(), n=2, overlap_n=1)  # token_set_ratio ignores word order
    shorter, longer = np.minimum(*n_words[pairs.T]), np.maximum(*n_words[pairs.T])
    edges = _score(uniq, pairs[shorter >= min_length_ratio * longer], scorer=fuzz.token_set_ratio,
                   threshold=threshold)
    sents["cluster"] = _union_find(len(uniq), edges)[node]
    sents = _keep_shared(sents, min_articles=min_articles)
    if sents.empty:
        return tables.empty("omission")
    out = _claim_matrix(sents, _outlets(articles))
    log.info("omission: %d claims x %d outlets", out["claim_id"].nunique(), out["outlet"].nunique())
    return tables.conform(out, "omission")


def differs(fragment: str, canonical: str) -> str:
    """The words that differ between ``fragment`` and the part of ``canonical`` it aligns with.

    Words are compared in lower case without quote marks or edge punctuation. Each difference reads
    ``-canonical words`` (left out or replaced by the fragment) and/or ``+fragment words`` (added or changed);
    differences are ``; ``-separated, in text order. Empty when the words are the same.
    """
    frag, canon = _words(fragment), _words(canonical)
    fkeys, ckeys = [k for k, _ in frag], [k for k, _ in canon]
    equal = [op for op in Indel.opcodes(ckeys, fkeys) if op.tag == "equal"]
    if equal:  # compare with the aligned window only: a partial quote leaves out the rest of the statement
        # The window reaches as far beyond the matched words as the fragment does, so a changed first or last
        # word shows as a replacement, not as an addition.
        lo = max(0, equal[0].src_start - equal[0].dest_start)
        hi = min(len(ckeys), equal[-1].src_end + len(fkeys) - equal[-1].dest_end)
        canon, ckeys = canon[lo:hi], ckeys[lo:hi]
    parts, removed, added = [], [], []
    for op in [*Indel.opcodes(ckeys, fkeys), None]:
        if op is None or op.tag == "equal":  # a run of changes ends: write it as one difference
            if removed or added:
                parts.append(" ".join(p for p in (removed and "-" + " ".join(removed),
                                                  added and "+" + " ".join(added)) if p))
            removed, added = [], []
            continue
        removed += [w for _, w in canon[op.src_start:op.src_end]]
        added += [w for _, w in frag[op.dest_start:op.dest_end]]
    return "; ".join(parts)


def _words(text: str) -> list[tuple[str, str]]:
    """(comparison key, word as written) for each whitespace-separated word, quote marks and edge punctuation off."""
    out = []
    for raw in unicodedata.normalize("NFKC", text).split():
        word = raw.strip(_EDGE)
        if word:
            out.append((word.lower(), word))
    return out


def _n_words(norms: pd.Series) -> np.ndarray:
    return (norms.str.count(" ") + 1).to_numpy()


def _unique_texts(rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct normalised texts (with the articles carrying each) and each row's index into them."""
    codes, norms = pd.factorize(rows["norm"])
    uniq = pd.DataFrame({"norm": np.asarray(norms, dtype=object)})
    articles = rows.groupby(codes)["article_id"]
    uniq["n_articles"] = articles.nunique().sort_index().to_numpy()
    uniq["first_article"] = articles.first().sort_index().to_numpy()
    return uniq, codes


def _candidate_pairs(norms: np.ndarray, *, n: int, overlap_n: int) -> np.ndarray:
    """Index pairs (i < j) of texts worth scoring (see the module docstring), as an (m, 2) array.

    Blocking uses word ``n``-grams; the containment check uses ``overlap_n``-grams (1 for an order-blind score).
    """
    grams = _grams(norms, n=n)
    grams["df"] = grams.groupby("gram")["text"].transform("size")
    grams = grams[grams["df"] > 1].sort_values(["text", "df", "gram"])  # an n-gram of one text pairs nothing
    kept = grams[(grams["df"] <= _MAX_DF) | (grams.groupby("text").cumcount() < _PREFIX)]
    posting = kept.groupby("gram")["text"].transform("size")
    if (posting > _HARD_CAP).any():
        log.info("%d n-grams shared by more than %d texts ignored", kept.loc[posting > _HARD_CAP, "gram"].nunique(),
                 _HARD_CAP)
    pair_keys, shared = np.unique(_pair_keys(kept.loc[posting <= _HARD_CAP], len(norms)), return_counts=True)
    keys = pair_keys[shared >= _MIN_SHARED]
    pairs = np.stack([keys // len(norms), keys % len(norms)], axis=1)
    pairs = pairs[_containment(norms, pairs, n=overlap_n) >= _MIN_CONTAINMENT]
    log.info("blocking: %d texts, %d candidate pairs (of %d sharing an n-gram)", len(norms), len(pairs),
             len(pair_keys))
    return pairs


def _grams(norms: np.ndarray, *, n: int, chunk: int = 20_000) -> pd.DataFrame:
    """The distinct word ``n``-grams of each text as rows (text, gram), each n-gram a stable 64-bit hash.

    Hashed a chunk of texts at a time: on 5,000 articles the sentences have millions of n-grams, and holding them
    as strings took gigabytes. pandas' hash is keyed, not salted per process, so runs stay identical.
    """
    texts, grams = [], []
    for first in range(0, len(norms), chunk):
        sets = [set(_ngrams(norm, n)) for norm in norms[first:first + chunk]]
        texts.append(np.repeat(np.arange(first, first + len(sets)), [len(g) for g in sets]))
        grams.append(pd.util.hash_array(np.array([g for each in sets for g in each], dtype=object),
                                        categorize=False).astype(np.int64))
    if not texts:
        return pd.DataFrame({"text": np.empty(0, np.int64), "gram": np.empty(0, np.int64)})
    return pd.DataFrame({"text": np.concatenate(texts), "gram": np.concatenate(grams)})


def _pair_keys(kept: pd.DataFrame, n_texts: int, *, batch: int = 4_000_000) -> np.ndarray:
    """For every n-gram, every pair of texts sharing it, as ``i * n_texts + j`` (i < j), one key per pair and gram.

    N-grams are joined in batches of about ``batch`` pairs: one join over all of them (tens of millions of rows
    on a large corpus) was the stage's memory peak.
    """
    kept = kept[["gram", "text"]].sort_values(["gram", "text"])
    _, sizes = np.unique(kept["gram"].to_numpy(), return_counts=True)
    cost = np.cumsum(sizes.astype(np.int64) ** 2)
    bounds = [0, *np.cumsum(sizes)[np.flatnonzero(np.diff(cost // batch))], len(kept)]
    keys = [np.empty(0, np.int64)]
    for start, end in zip(bounds, bounds[1:]):
        part = kept.iloc[start:end]
        joined = part.merge(part, on="gram", suffixes=("_a", "_b"))
        joined = joined[joined["text_a"] < joined["text_b"]]
        keys.append(joined["text_a"].to_numpy() * n_texts + joined["text_b"].to_numpy())
    return np.concatenate(keys)


def _ngrams(norm: str, n: int) -> list[str]:
    words = norm.split()
    if len(words) < n:
        return [norm]
    return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]


def _containment(norms: np.ndarray, pairs: np.ndarray, *, n: int) -> np.ndarray:
    """For each pair, the share of the shorter text's distinct n-grams that the other text also has."""
    sets: dict[int, set[str]] = {}
    out = np.empty(len(pairs))
    for k, (i, j) in enumerate(pairs):
        a = sets.get(i) or sets.setdefault(i, set(_ngrams(norms[i], n)))
        b = sets.get(j) or sets.setdefault(j, set(_ngrams(norms[j], n)))
        out[k] = len(a & b) / min(len(a), len(b))
    return out


def _score(uniq: pd.DataFrame, pairs: np.ndarray, *, scorer: Callable, threshold: float) -> np.ndarray:
    """Pairs (of ``uniq`` rows) scoring at least ``threshold``, skipping pairs found only in one same article."""
    left, right = pairs[:, 0], pairs[:, 1]
    single = uniq["n_articles"].to_numpy() == 1
    first = uniq["first_article"].to_numpy()
    same = single[left] & single[right] & (first[left] == first[right])
    left, right = left[~same], right[~same]
    if len(left) == 0:
        return np.empty((0, 2), dtype=np.int64)
    norms = uniq["norm"].to_numpy()
    scores = process.cpdist(norms[left], norms[right], scorer=scorer, score_cutoff=threshold, workers=-1)
    hit = scores >= threshold
    log.info("scored %d pairs, %d at or above %s", len(left), int(hit.sum()), threshold)
    return np.column_stack([left[hit], right[hit]])


def _union_find(n: int, edges: np.ndarray) -> np.ndarray:
    """Component root (its smallest member) of each of ``n`` nodes joined by ``edges``."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the trees flat
            i = parent[i]
        return i

    for a, b in edges.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def _attach_short(uniq: pd.DataFrame, roots: np.ndarray, *, node: np.ndarray, frags: pd.DataFrame,
                  short: np.ndarray) -> np.ndarray:
    """Join each short text to the one shared statement whose wordings contain it word for word, if only one does."""
    n_articles = frags.groupby(roots[node])["article_id"].nunique()
    shared = set(n_articles.index[n_articles >= 2])
    norms = uniq["norm"].to_numpy()
    postings: dict[str, list[int]] = {}
    for i in np.flatnonzero(np.isin(roots, list(shared))):
        for word in set(norms[i].split()):
            postings.setdefault(word, []).append(i)
    roots = roots.copy()
    for i in short:
        # Only texts holding the short text's rarest word can contain the whole of it.
        candidates = min((postings.get(w, []) for w in norms[i].split()), key=len)
        needle = f" {norms[i]} "
        found = {roots[j] for j in candidates if roots[j] != roots[i] and needle in f" {norms[j]} "}
        if len(found) == 1:  # a short text is its own statement until here: moving its root moves it alone
            roots[i] = found.pop()
    return roots


def _keep_shared(rows: pd.DataFrame, *, min_articles: int) -> pd.DataFrame:
    n = rows.groupby("cluster")["article_id"].transform("nunique")
    return rows[n >= min_articles].copy()


def _outlets(articles: pd.DataFrame) -> pd.Series:
    """Outlet of each article (``(unknown)`` when empty), indexed by article_id."""
    outlet = articles["outlet"] if "outlet" in articles else pd.Series("", index=articles.index)
    outlet = outlet.fillna("").astype(str).replace("", UNKNOWN)
    return pd.Series(outlet.to_numpy(), index=articles["article_id"].astype(str).to_numpy())


def _ids(clusters: pd.Series, prefix: str) -> pd.Series:
    """Ids numbered in order of first appearance: ``s1`` ... or ``s01`` ... (zero-padded to sort as text)."""
    order = {c: i + 1 for i, c in enumerate(pd.unique(clusters))}
    width = len(str(len(order)))
    return clusters.map(lambda c: f"{prefix}{order[c]:0{width}d}")


def _describe(frags: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Lineage rows: statement id, outlet, canonical (longest) wording, similarity and differing words."""
    frags = frags.sort_values(["article_id", "start"], kind="stable")
    frags["statement_id"] = _ids(frags["cluster"], "s")
    longest = frags.loc[frags["text"].str.strip().str.len().groupby(frags["cluster"]).idxmax()].set_index("cluster")
    frags["canonical_text"] = frags["cluster"].map(longest["text"].str.strip())
    canon_norm = frags["cluster"].map(longest["norm"]).to_numpy()
    frags["similarity"] = process.cpdist(frags["norm"].to_numpy(), canon_norm, scorer=fuzz.partial_ratio, workers=-1)
    frags["differs"] = [differs(f, c) for f, c in zip(frags["text"], frags["canonical_text"])]
    frags["outlet"] = frags["article_id"].map(_outlets(articles)).fillna(UNKNOWN)
    return frags.sort_values(["statement_id", "article_id", "start"])


def _claim_matrix(sents: pd.DataFrame, outlets: pd.Series) -> pd.DataFrame:
    """One row per claim and outlet: a representative sentence and how many of the outlet's sentences carry it."""
    sents = sents.sort_values(["article_id", "sent_id"], kind="stable")
    sents["outlet"] = sents["article_id"].map(outlets).fillna(UNKNOWN)
    sents["claim_id"] = _ids(sents["cluster"], "c")
    # The wording most articles share stands for the claim; among equals, the longest (most complete) one.
    variants = (sents.groupby(["claim_id", "norm"], sort=False)
                .agg(n=("article_id", "nunique"), text=("text", "first")).reset_index())
    variants["length"] = variants["text"].str.len()
    claim_text = (variants.sort_values(["claim_id", "n", "length"], ascending=[True, False, False])
                  .drop_duplicates("claim_id").set_index("claim_id")["text"].str.strip())
    counts = sents.groupby(["claim_id", "outlet"]).size()
    every_outlet = sorted(set(outlets) | set(sents["outlet"]))
    grid = pd.MultiIndex.from_product([claim_text.index, every_outlet], names=["claim_id", "outlet"])
    out = counts.reindex(grid, fill_value=0).rename("n_sentences").reset_index()
    out["claim_text"] = out["claim_id"].map(claim_text)
    return out
