"""Verb stance: how each outlet introduces each speaker - said, claimed, admitted or slammed.

Every quote's reporting cue (``quotes.cue_lemma``) is looked up in ``analysis/data/reporting_verbs.yaml``, the
lexicon the tagging stage uses to find quotes, so the two stages can never disagree on what a cue is. Its stance
classes (neutral, distancing, endorsing, emotive) are defined there and in ``analysis.quotes.STANCES``; a cue the
lexicon does not list (or a quote without a cue) is ``unclassified``.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import yaml

from analysis import quotes as quotes_module
from analysis import tables

log = logging.getLogger(__name__)

STANCES = quotes_module.STANCES  # the classes belong to the lexicon's owner, the tagging stage
UNCLASSIFIED = "unclassified"
UNKNOWN = "(unknown)"
NO_VALUE = "(none)"  # a summary's group of quotes with an empty key (a speaker who is no actor)


def lexicon(path: str | Path | None = None) -> dict[str, str]:
    """Cue lemma (or phrase) -> stance class, from the reporting-verb lexicon.

    ``path`` defaults to the packaged ``analysis/data/reporting_verbs.yaml`` (the one the tagging stage used);
    another file must follow the same format (its header documents it) and is validated the same way.
    """
    if path is None:
        return dict(quotes_module.lexicon())
    # The tagging stage's validator is the one definition of the format; reuse it rather than parse twice.
    return quotes_module._validated(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


def classify(cue_lemma: str, *, lexicon: Mapping[str, str] | None = None) -> str:
    """The stance class of a cue lemma ("say" -> neutral, "point out" -> endorsing), else ``unclassified``.

    Case and runs of whitespace are ignored, as the lexicon's loader ignores them.
    """
    entries = _packaged() if lexicon is None else lexicon
    return entries.get(" ".join(str(cue_lemma).lower().split()), UNCLASSIFIED)


def profile(quotes: pd.DataFrame, articles: pd.DataFrame, *,
            lexicon: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The ``verb_stance`` table: every reporting act with its outlet, speaker, cue and the cue's stance class.

    A quote within another of its speaker's (``quotes.within``: 'X said the state is "spiraling out of control"')
    is reported by its holder's verb and counts there; it has a row of its own only when its own cue differs
    ('X said the plan, which he called "reckless", would fail': said and called)."""
    entries = _packaged() if lexicon is None else lexicon
    outlets = _outlets(articles)
    out = _acts(quotes)[["article_id", "quote_id", "speaker", "speaker_actor", "cue", "cue_lemma"]].copy()
    out["outlet"] = out["article_id"].map(outlets).fillna(UNKNOWN)
    keys = out["cue_lemma"].fillna("").astype(str).str.lower().str.split().str.join(" ")
    out["stance"] = keys.map(entries).fillna(UNCLASSIFIED)
    missed = keys[(out["stance"] == UNCLASSIFIED) & (keys != "")]
    if len(missed):
        log.info("%d quotes have cues outside the lexicon (most common: %s)", len(missed),
                 ", ".join(missed.value_counts().index[:5]))
    return tables.conform(out, "verb_stance")


def summary(verb_stance: pd.DataFrame, *, by: str | Sequence[str] = ("outlet", "speaker_actor"),
            shares: bool = False) -> pd.DataFrame:
    """Quotes per stance class for each ``by`` group: one column per class (unclassified last) and ``n``; an empty
    key (a speaker who is no actor) is the group ``(none)``, after the named ones.

    ``shares=True`` adds ``share_<class>`` columns (each class over ``n``), for comparing groups of unequal size.
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in verb_stance.columns]
    if missing:
        raise KeyError(f"verb_stance has no column(s) {missing}; columns: {', '.join(verb_stance.columns)}")
    classes = [*STANCES, UNCLASSIFIED]
    # A quote whose speaker is no actor (nobody found, "a fellow at a think tank") is a group a reader can name
    verb_stance = verb_stance.assign(**{k: verb_stance[k].replace("", NO_VALUE) for k in keys
                                        if verb_stance[k].dtype == object})
    counts = (verb_stance.groupby([*keys, "stance"]).size().unstack("stance", fill_value=0)
              .reindex(columns=classes, fill_value=0))
    counts.columns.name = None
    counts["n"] = counts[classes].sum(axis=1)
    if shares:
        for name in classes:
            counts[f"share_{name}"] = counts[name] / counts["n"]
    return counts.reset_index().sort_values([*keys], key=_none_last).reset_index(drop=True)


def _none_last(column: pd.Series) -> pd.Series:
    """Sort keys putting ``NO_VALUE`` after every named group."""
    return column.map(lambda v: (v == NO_VALUE, v))


def _acts(quotes: pd.DataFrame) -> pd.DataFrame:
    """The quotes that are reporting acts of their own: held by none of their speaker's quotes, or cued by a verb
    their holder's cue is not."""
    holder_cue = quotes.set_index("quote_id")["cue_lemma"]
    held = quotes["within"] != ""
    own = (quotes["cue_lemma"] != "") & (quotes["cue_lemma"] != quotes["within"].map(holder_cue).fillna(""))
    return quotes[~held | own]


def _packaged() -> Mapping[str, str]:
    # The cached packaged lexicon, uncopied (`lexicon()` copies it for callers); the functions above cannot
    # call `lexicon()` themselves, as their `lexicon` parameter shadows it.
    return quotes_module.lexicon()


def _outlets(articles: pd.DataFrame) -> pd.Series:
    """Outlet of each article (``(unknown)`` when empty), indexed by article_id."""
    outlet = articles["outlet"].fillna("").astype(str).replace("", UNKNOWN)
    return pd.Series(outlet.to_numpy(), index=articles["article_id"].astype(str).to_numpy())
