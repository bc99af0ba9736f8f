"""Interactive exploration in JupyterLab: pick a family, term, outlet or actor; KWIC lines and charts follow.

Reads the tables a finished ``framing run`` wrote; computes nothing new beyond filtering them.
"""
from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from analysis import charts, concordance, rhetoric, tables

log = logging.getLogger(__name__)

TABLES = ("articles", "sentences", "mentions", "hits")
ANY = "(any)"


def load(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The run's tables that exploration needs, keyed by name."""
    return {name: tables.read(name, data_dir) for name in TABLES}


def choices(t: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The values each picker offers, sorted, with ``(any)`` first."""
    actors = set(t["mentions"]["actor"]) | set(t["hits"]["speaker_actor"])
    outlets = set(t["articles"]["outlet"].replace("", rhetoric.UNKNOWN_OUTLET))
    return {"family": [ANY, *sorted(set(t["hits"]["family"]))], "outlet": [ANY, *sorted(outlets)],
            "actor": [ANY, *sorted(a for a in actors if a)]}


def select(t: dict[str, pd.DataFrame], *, outlet: str = ANY, actor: str = ANY) -> dict[str, pd.DataFrame]:
    """The tables narrowed to one outlet's articles and to sentences naming (or quoting) one actor."""
    articles = t["articles"]
    if outlet != ANY:
        articles = articles[articles["outlet"].replace("", rhetoric.UNKNOWN_OUTLET) == outlet]
    keep = set(articles["article_id"])
    hits = t["hits"][t["hits"]["article_id"].isin(keep)]
    if actor != ANY:
        named = t["mentions"].loc[t["mentions"]["actor"] == actor, ["article_id", "sent_id"]]
        in_named = hits.set_index(["article_id", "sent_id"]).index.isin(pd.MultiIndex.from_frame(named))
        hits = hits[in_named | (hits["speaker_actor"] == actor)]
    return {**t, "articles": articles, "hits": hits}


def lines(t: dict[str, pd.DataFrame], *, family: str = ANY, term: str = "", window: int = 8) -> pd.DataFrame:
    """KWIC lines for a family (from the hits) or a free term (searched in the text), in the selected tables."""
    queries = [q for q in (family if family != ANY else "", term.strip()) if q]
    hits = t["hits"] if family == ANY else t["hits"][t["hits"]["family"] == family]
    if not queries:
        queries = sorted(set(hits["family"]))
    return concordance.kwic(t["articles"], hits, queries=queries, window=window, sentences=t["sentences"])


def panel(t: dict[str, pd.DataFrame], *, rows: int = 40) -> widgets.VBox:
    """Pickers and an output area; every change redraws the KWIC lines, the voice ledger and the dispersion."""
    options = choices(t)
    pick = {name: widgets.Dropdown(options=values, description=name.capitalize()) for name, values in options.items()}
    pick["term"] = widgets.Text(description="Term", placeholder="any word or phrase", continuous_update=False)
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
        hits = chosen["hits"] if pick["family"].value == ANY else chosen["hits"][chosen["hits"]["family"] == pick["family"].value]
        out.clear_output(wait=True)
        with out:
            display(found[["query", "outlet", "date", "left", "match", "right", "voice"]].head(rows))
            display(charts.voice_ledger(hits, chosen["articles"]))
            display(charts.dispersion(concordance.dispersion(hits, chosen["articles"])))
    return redraw
