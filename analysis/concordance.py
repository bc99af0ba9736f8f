"""Concordance: keyword-in-context lines (KWIC) and where hits fall in their articles (dispersion)."""
from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from analysis import keyness, rhetoric, tables


def dispersion(hits: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Where each hit falls in its article: ``rel_position`` = start / len(text) (0 = first character)."""
    if not len(hits):
        return tables.empty("dispersion")
    lengths = dict(zip(articles["article_id"], articles["text"].fillna("").str.len()))
    length = hits["article_id"].map(lengths).fillna(0)
    rel = (hits["start"] / length.where(length > 0)).fillna(0.0).clip(0, 1)
    out = hits[["article_id", "family", "start", "voice"]].assign(rel_position=rel)
    return tables.conform(out, "dispersion")


def kwic(articles: pd.DataFrame, hits: pd.DataFrame, *, queries: Iterable[str], window: int = 8,
         sentences: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keyword-in-context lines for each query: a family id, a variant id (``family.variant``) or a term.

    Families and variants come from ``hits`` (with their voice); any other query is searched in
    ``articles.text`` as a case-insensitive word sequence (hyphens or spaces between its words), with
    ``voice`` empty and ``sent_id`` from ``sentences`` when given (else -1). ``left``/``right`` hold up to
    ``window`` words of context.
    """
    texts = dict(zip(articles["article_id"], articles["text"].fillna("")))
    outlets = rhetoric.outlets(articles)
    dates = dict(zip(articles["article_id"], articles["date"].astype(str))) if "date" in articles else {}
    families = set(hits["family"]) if len(hits) else set()
    variants = set(hits["variant"]) if len(hits) else set()
    rows = []
    for query in queries:
        if query in families or query in variants:
            sel = hits[(hits["family"] == query) | (hits["variant"] == query)]
            found = zip(sel["article_id"], sel["sent_id"], sel["start"], sel["end"], sel["voice"])
        else:
            found = _term_matches(texts, query, sentences)
        for article_id, sent_id, start, end, v in found:
            text = texts.get(article_id, "")
            left, right = _context(text, int(start), int(end), window)
            rows.append({"query": query, "article_id": article_id,
                         "outlet": outlets.get(article_id, rhetoric.UNKNOWN_OUTLET), "date": dates.get(article_id, ""),
                         "sent_id": int(sent_id), "start": int(start), "end": int(end), "left": left,
                         "match": text[int(start):int(end)], "right": right, "voice": v})
    if not rows:
        return tables.empty("kwic")
    return tables.conform(pd.DataFrame(rows), "kwic")




def normal(word: str) -> str:
    """The form a word is counted under: an acronym as written, any other word in lower case (’ as ')."""
    return word if keyness.is_acronym(word) else word.lower().replace("’", "'")


def _term_matches(texts: dict[str, str], term: str, sentences: pd.DataFrame | None):
    words = [w for w in re.split(r"[\s\-‐‑–]+", term.strip()) if w]
    if not words:
        return
    # Acronyms match as written (a query "US" does not find "us"); other words in any case.
    parts = [re.escape(w) if keyness.is_acronym(w) else f"(?i:{re.escape(w)})" for w in words]
    rx = re.compile(r"(?<!\w)" + r"(?:\s+|\s*[-‐‑–]\s*)".join(parts) + r"(?!\w)")
    by_article = _split(sentences)
    for article_id, text in texts.items():
        sents = by_article.get(article_id)
        for m in rx.finditer(text):
            yield article_id, _sent_id(sents, m.start()), m.start(), m.end(), ""


def _sent_id(sents: pd.DataFrame | None, offset: int) -> int:
    if sents is None:
        return -1
    row = sents[(sents["start"] <= offset) & (sents["end"] > offset)]
    return int(row["sent_id"].iat[0]) if len(row) else -1


def _context(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    reach = max(200, 40 * window)
    left_text = text[max(0, start - reach):start]
    left = left_text.split()
    if start - reach > 0 and left and not left_text[0].isspace():
        left = left[1:]  # the first piece may be a cut word
    right_text = text[end:end + reach]
    right = right_text.split()
    if end + reach < len(text) and right and not right_text[-1].isspace():
        right = right[:-1]
    return " ".join(left[-window:]) if window else "", " ".join(right[:window]) if window else ""


def _split(df: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if df is None or not len(df):
        return {}
    return {aid: g for aid, g in df.groupby("article_id", sort=False)}
