"""Interactive exploration in JupyterLab: pick a family, term, outlet or actor; KWIC lines and charts follow.

Reads the tables a finished ``framing run`` wrote. The only thing computed anew is the voice of a free term's
lines (``voice.classify``, the rule the rhetoric stage applies to lexicon hits), so a term typed in the box reads
like a family: its KWIC lines, its voice ledger and its dispersion.
"""
from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML, display

from analysis import charts, concordance, rhetoric, tables
from analysis import voice as voicing

log = logging.getLogger(__name__)

TABLES = ("articles", "sentences", "quotes", "mentions", "hits")
ANY = "(any)"
SHOWN = ["query", "outlet", "date", "left", "match", "right", "voice", "speaker"]
NO_LINES = "No lines match"


def load(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The run's tables that exploration needs, keyed by name (``FileNotFoundError`` names a missing one)."""
    return {name: tables.read(name, data_dir) for name in TABLES}


def choices(t: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The values each picker offers, sorted, with ``(any)`` first. The actor list holds only actors that have
    lines: speakers of a hit, or actors named in a sentence with a hit."""
    hits = t["hits"]
    with_hits = pd.MultiIndex.from_frame(hits[["article_id", "sent_id"]])
    mentions = t["mentions"]
    named = mentions.loc[pd.MultiIndex.from_frame(mentions[["article_id", "sent_id"]]).isin(with_hits), "actor"]
    actors = set(named) | set(hits["speaker_actor"])
    outlets = set(t["articles"]["outlet"].replace("", rhetoric.UNKNOWN_OUTLET))
    return {"family": [ANY, *sorted(set(hits["family"]))], "outlet": [ANY, *sorted(outlets)],
            "actor": [ANY, *sorted(a for a in actors if a)]}


def select(t: dict[str, pd.DataFrame], *, outlet: str = ANY, actor: str = ANY) -> dict[str, pd.DataFrame]:
    """The tables narrowed to one outlet's articles, and the hits to sentences naming (or quoting) one actor.

    The actor choice is kept (key ``"actor"``) so :func:`lines` narrows a free term's lines the same way."""
    articles = t["articles"]
    if outlet != ANY:
        articles = articles[articles["outlet"].replace("", rhetoric.UNKNOWN_OUTLET) == outlet]
    keep = set(articles["article_id"])
    hits = t["hits"][t["hits"]["article_id"].isin(keep)]
    if actor != ANY:
        hits = hits[_about(hits, t["mentions"], actor)]
    return {**t, "articles": articles, "hits": hits, "actor": actor}


def _about(rows: pd.DataFrame, mentions: pd.DataFrame, actor: str) -> pd.Series:
    """Rows (with article_id, sent_id, speaker_actor) in a sentence naming ``actor`` or spoken by it."""
    named = mentions.loc[mentions["actor"] == actor, ["article_id", "sent_id"]]
    in_named = pd.MultiIndex.from_frame(rows[["article_id", "sent_id"]]).isin(pd.MultiIndex.from_frame(named))
    return pd.Series(in_named, index=rows.index) | (rows["speaker_actor"] == actor)


def lines(t: dict[str, pd.DataFrame], *, family: str = ANY, term: str = "", window: int = 8) -> pd.DataFrame:
    """KWIC lines of a family (from the hits) and of a free term (searched in the text), in the selected tables.

    Columns: the ``kwic`` table's plus ``speaker`` and ``speaker_actor``. A free term's lines get their voice
    from ``voice.classify`` (the quotes table decides, then the quote marks in the text), and with an actor
    selected only the lines in a sentence naming the actor or spoken by it are kept. With neither a family
    nor a term, every family's lines.
    """
    hits = t["hits"] if family == ANY else t["hits"][t["hits"]["family"] == family]
    parts = []
    if family != ANY or not term.strip():
        queries = [family] if family != ANY else sorted(set(hits["family"]))
        found = concordance.kwic(t["articles"], hits, queries=queries, window=window, sentences=t["sentences"])
        speakers = hits.set_index(["article_id", "start", "end"])[["speaker", "speaker_actor"]]
        speakers = speakers[~speakers.index.duplicated()]
        parts.append(found.join(speakers, on=["article_id", "start", "end"]))
    if term.strip():
        found = concordance.kwic(t["articles"], hits.iloc[:0], queries=[term.strip()], window=window,
                              sentences=t["sentences"])
        found = voiced(found, t)
        if t.get("actor", ANY) != ANY:
            found = found[_about(found, t["mentions"], t["actor"])]
        parts.append(found)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out.fillna({"speaker": "", "speaker_actor": ""}).reset_index(drop=True)


def voiced(found: pd.DataFrame, t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """KWIC lines with ``voice``, ``speaker`` and ``speaker_actor`` filled by ``voice.classify`` from each
    article's text, quotes and sentence bounds."""
    if found.empty:
        return found.assign(speaker="", speaker_actor="")
    texts = dict(zip(t["articles"]["article_id"], t["articles"]["text"]))
    quotes = {a: q for a, q in t["quotes"][t["quotes"]["article_id"].isin(set(found["article_id"]))]
              .groupby("article_id")}
    bounds = dict(zip(zip(t["sentences"]["article_id"], t["sentences"]["sent_id"]),
                      zip(t["sentences"]["start"], t["sentences"]["end"])))
    voices = [voicing.classify(texts[a], s, e, quotes=quotes.get(a), sentence=bounds.get((a, k)))
              for a, k, s, e in zip(found["article_id"], found["sent_id"], found["start"], found["end"])]
    return found.assign(voice=[v["voice"] for v in voices], speaker=[v["speaker"] for v in voices],
                        speaker_actor=[v["speaker_actor"] for v in voices])


def as_hits(found: pd.DataFrame) -> pd.DataFrame:
    """KWIC lines as the hits-shaped rows the voice ledger and dispersion charts read (the query as family)."""
    return pd.DataFrame({"article_id": found["article_id"], "sent_id": found["sent_id"], "start": found["start"],
                         "end": found["end"], "matched_text": found["match"], "family": found["query"],
                         "voice": found["voice"].replace("", "other")})


def panel(t: dict[str, pd.DataFrame], *, rows: int = 40) -> widgets.VBox:
    """Pickers and an output area; every change redraws the KWIC lines, the voice ledger and the dispersion."""
    options = choices(t)
    pick = {name: widgets.Dropdown(options=values, description=name.capitalize()) for name, values in options.items()}
    pick["term"] = widgets.Text(description="Term", placeholder="any word or phrase, then Enter",
                                continuous_update=False)
    out = widgets.Output()
    redraw = _redraw(t, pick, out, rows)
    for widget in pick.values():
        widget.observe(redraw, names="value")
    redraw(None)
    return widgets.VBox([widgets.HBox(list(pick.values())[:2]), widgets.HBox(list(pick.values())[2:]), out])


def _redraw(t, pick, out, rows):
    def redraw(_change) -> None:
        chosen = select(t, outlet=pick["outlet"].value, actor=pick["actor"].value)
        found = lines(chosen, family=pick["family"].value, term=pick["term"].value)
        out.clear_output(wait=True)
        with out:
            if found.empty:
                display(HTML(f"<p class='fw-no-lines'><strong>{NO_LINES}</strong> this selection: change the "
                             "family, term, outlet or actor.</p>"))
                return
            display(found[SHOWN].head(rows))
            as_rows = as_hits(found)
            display(charts.voice_ledger(as_rows, chosen["articles"]))
            display(charts.dispersion(concordance.dispersion(as_rows, chosen["articles"]),
                                      families=sorted(set(as_rows["family"]))))
    return redraw
