"""One screen of findings drawn from a run's tables, for the report index.

Each finding is a plain sentence with its numbers; a finding whose table is missing or empty is left out, so the
index says only what the run can support.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from analysis import tables

log = logging.getLogger(__name__)


def all_findings(data_dir: str | Path, *, top: int = 3) -> list[str]:
    """Every finding the run's tables support, in reading order."""
    found = []
    for finder in (profile_fit, corpus, own_voice, quoted_speakers, key_terms, frames):
        try:
            found.extend(finder(Path(data_dir), top=top))
        except FileNotFoundError as err:
            log.info("finding %s skipped: %s", finder.__name__, err)
    return found


def profile_fit(data_dir: Path, *, top: int = 3) -> list[str]:
    """Where the story profile does not fit the corpus (analysis/profiles.py), said first."""
    fit = tables.read("profile_fit", data_dir)
    return [f"Warning: {finding}" for finding in fit.loc[~fit["fits"], "finding"]]


def corpus(data_dir: Path, *, top: int = 3) -> list[str]:
    """How many articles, from which outlets, and how many inputs were skipped or duplicated."""
    articles, skipped = tables.read("articles", data_dir), tables.read("skipped", data_dir)
    outlets = articles["outlet"].replace("", "(unknown)").value_counts().head(top)
    named = ", ".join(f"{o} ({n})" for o, n in outlets.items())
    dup = (articles["duplicate_of"] != "").sum()
    return [f"{len(articles)} articles ({dup} flagged as duplicates), {len(skipped)} inputs skipped; "
            f"most articles from: {named}."]


def own_voice(data_dir: Path, *, top: int = 3) -> list[str]:
    """Which outlets carry which phrase families in their own, unmarked voice."""
    adoption = tables.read("adoption", data_dir)
    body = adoption[~adoption["in_headline"] & (adoption["n_narrator"] > 0)]
    body = body.sort_values(["n_narrator", "outlet", "family"], ascending=[False, True, True]).head(top * 2)
    if body.empty:
        return ["No outlet uses a lexicon phrase in its own voice: every loaded phrase is quoted or attributed."]
    uses = "; ".join(f"{r.outlet}: {r.family} ({r.n_narrator} of {r.n} uses)" for r in body.itertuples())
    return [f"Phrase families in the outlets' own voice: {uses}."]


def quoted_speakers(data_dir: Path, *, top: int = 3) -> list[str]:
    """The most quoted speakers."""
    quotes = tables.read("quotes", data_dir)
    who = quotes["speaker_actor"].where(quotes["speaker_actor"] != "", quotes["speaker"])
    counts = who[who != ""].value_counts().head(top)
    if counts.empty:
        return []
    return ["Most quoted speakers: " + ", ".join(f"{s} ({n} quotes)" for s, n in counts.items()) + "."]


def key_terms(data_dir: Path, *, top: int = 3) -> list[str]:
    """The strongest keyness term of each group."""
    keyness = tables.read("keyness", data_dir)
    over = keyness[(keyness["direction"] == "over") & ~keyness["single_article"]]
    best = over.sort_values(["g2", "term"], ascending=[False, True]).groupby("group", sort=True).head(1).head(top * 2)
    if best.empty:
        return []
    return ["Strongest key terms: " + "; ".join(f"{r.group}: “{r.term}” (G2 {r.g2:.1f})" for r in best.itertuples()) + "."]


def frames(data_dir: Path, *, top: int = 3) -> list[str]:
    """The most frequent frames."""
    frame_df = tables.read("frames", data_dir)
    counts = frame_df["frame"].value_counts().head(top)
    if counts.empty:
        return []
    return ["Most frequent frames (sentences): " + ", ".join(f"{f} ({n})" for f, n in counts.items()) + "."]


def as_frame(data_dir: str | Path) -> pd.DataFrame:
    """The findings as a one-column table, for display in a notebook."""
    return pd.DataFrame({"finding": all_findings(data_dir)})
