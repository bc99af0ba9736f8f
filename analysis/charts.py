"""Charts: one function per chart, each taking the tidy tables of earlier stages and returning an Altair chart.

Conventions every function keeps:

* **Aggregate in pandas first.** A chart carries counts, shares or capped lists of examples, never the raw table,
  so a 5,000-article corpus stays under Altair's 5,000-row limit and reports stay small. Charts that list terms,
  sentences, families or speakers keep a documented top-n. The data stay inline (no json data transformer).
* **Deterministic.** Data are sorted in pandas; selections and views have fixed names; node positions are
  computed, not simulated. The same tables give the same spec.
* **Fixed colours per field.** Voices and reporting-verb stances have fixed colours (``VOICE_COLORS``,
  ``STANCE_COLORS``). Outlets take colours in the order of their sorted names; pass the corpus's outlets
  (``outlets=articles.outlet``) to the charts whose own table may lack some, so an outlet has the same colour in
  every chart. Outlets with no name are shown as ``(unknown)``; outlets beyond a chart's ``top_outlets`` are merged
  into ``(other outlets)``; both are grey.
* **Empty in, chart out.** An empty table (or one that leaves nothing to chart) gives a small chart titled
  ``... - no data`` that says why, never an exception.

``data(chart)`` returns the table behind any chart, as the report offers it for download.
"""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

UNKNOWN = "(unknown)"
OTHER_OUTLETS = "(other outlets)"
VOICES = ("narrator", "direct_quote", "partial_quote", "scare_quote", "paraphrase")
# The outlet's own voice is the warm colour throughout; quoted voices are blues; scare quotes stand out in amber.
# ``quoted`` is the sentence-level voice of the tagging stage (a sentence is narrator or quoted).
VOICE_COLORS = {"narrator": "#c8443c", "direct_quote": "#2f6fa8", "partial_quote": "#7fb2d9",
                "scare_quote": "#e8a33d", "paraphrase": "#8a6bb1", "quoted": "#3f7fb5", "other": "#b5b5b5"}
STANCES = ("neutral", "distancing", "endorsing", "emotive", "unclassified")
STANCE_COLORS = {"neutral": "#9aa5b1", "distancing": "#c8443c", "endorsing": "#3a9a6b", "emotive": "#e8a33d",
                 "unclassified": "#dcdcdc"}
ACTOR_TYPE_COLORS = {"state": "#2f6fa8", "government_body": "#3a9a6b", "organisation": "#e8a33d",
                     "alliance": "#c8443c", "media": "#8a6bb1", "person": "#4db6ac", "(unknown)": "#b5b5b5"}
# Tableau-20 without its greys (grey means unknown/other): outlet i in sorted order takes colour i mod 18.
OUTLET_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                  "#9c755f", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#8cd17d", "#b6992d", "#f1ce63", "#86bcb6",
                  "#d37295", "#d4a6c8")
GREYS = {UNKNOWN: "#b5b5b5", OTHER_OUTLETS: "#7f7f7f"}
SCORES = {"vader_compound": ("VADER compound score", -1.0, 1.0), "tb_polarity": ("TextBlob polarity", -1.0, 1.0),
          "tb_subjectivity": ("TextBlob subjectivity", 0.0, 1.0)}
Score = Literal["vader_compound", "tb_polarity", "tb_subjectivity"]
ARROWHEAD = "M0,-1L0.75,0.9L0,0.4L-0.75,0.9Z"  # a notched arrowhead pointing up (an SVG path in unit coordinates)
MAX_WIDTH = 640  # px of plotting area a chart may take, so a report page never scrolls sideways
CLIP = 200  # characters of a sentence or fragment shown in a tooltip


# --------------------------------------------------------------------------------------------------------------
# Rhetoric: phrase families, adoption, voice, reporting verbs
# --------------------------------------------------------------------------------------------------------------

def phrase_heatmap(hits: pd.DataFrame, articles: pd.DataFrame, *, top_n: int = 25,
                   top_outlets: int = 12) -> alt.FacetChart | alt.Chart:
    """Phrase family by outlet heatmap, one panel per voice: how often each outlet uses each family, and in whose voice.

    ``hits`` is the rhetoric stage's ``hits`` table, ``articles`` gives each hit's outlet. Shows the ``top_n``
    families and the ``top_outlets`` outlets with most hits (the rest of the outlets are merged). A cell's tooltip
    gives the hits, the articles they come from and the commonest wordings. Click a cell to pick out its outlet in
    every panel (double-click to clear).
    """
    title = "Phrase families by outlet, split by voice"
    if hits.empty:
        return _no_data(title, "there are no phrase hits")
    df = _with_outlet(hits, articles)
    df["outlet"] = _keep_top(df["outlet"], top_outlets)
    df["voice"] = _voice(df["voice"], VOICES)
    families = _top_values(df["family"], top_n)
    df = df[df["family"].isin(families)]
    keys = ["family", "outlet", "voice"]
    cells = (df.groupby(keys, sort=True).agg(hits=("article_id", "size"), articles=("article_id", "nunique"))
             .reset_index())
    cells = cells.merge(_examples(df, keys, "matched_text").rename("wordings"), on=keys, how="left")
    words = _outlet_words(articles, keep=cells["outlet"])
    cells = cells.merge(words, on="outlet", how="left")
    cells["per_10k_words"] = (cells["hits"] / cells["words"] * 10_000).where(cells["words"] > 0).round(2)
    cells = cells.drop(columns="words").sort_values(keys, kind="stable").reset_index(drop=True)
    outlets = _outlet_order(cells["outlet"])
    voices = [v for v in (*VOICES, "other") if v in set(cells["voice"])]
    pick = alt.selection_point(name="heatmap_outlet", fields=["outlet"], on="click", clear="dblclick")
    # Cells at least 14 px wide; voice panels wrap onto more rows rather than shrink below that.
    step = int(min(22, max(14, (MAX_WIDTH - 30 * len(voices)) // (len(outlets) * len(voices)))))
    columns = max(1, min(len(voices), MAX_WIDTH // (len(outlets) * step + 30)))
    chart = (alt.Chart(cells).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("outlet:N", title="Outlet", sort=outlets, axis=alt.Axis(labelAngle=-45, labelLimit=110)),
        y=alt.Y("family:N", title="Phrase family", sort=families, axis=alt.Axis(labelLimit=180)),
        color=alt.Color("hits:Q", title="Hits", scale=alt.Scale(scheme="orangered", domainMin=0),
                        legend=alt.Legend(format="d", **_integer_ticks(int(cells["hits"].max())))),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.3)),
        tooltip=[alt.Tooltip("family:N", title="Family"), alt.Tooltip("outlet:N", title="Outlet"),
                 alt.Tooltip("voice:N", title="Voice"), alt.Tooltip("hits:Q", title="Hits"),
                 alt.Tooltip("articles:Q", title="Articles"),
                 alt.Tooltip("per_10k_words:Q", title="Hits per 10,000 words of the outlet"),
                 alt.Tooltip("wordings:N", title="Commonest wordings")])
        .add_params(pick)
        .properties(width=alt.Step(step), height=alt.Step(14), name="heatmap_cells")
        .facet(facet=alt.Facet("voice:N", title="Voice", sort=voices, header=alt.Header(labelFontWeight="bold")),
               columns=columns)
        .properties(title=_title(title, f"Top {len(families)} families by hits; darker = more hits. "
                                        "Click a cell to pick out its outlet in every panel.")))
    return chart


def techniques(hits: pd.DataFrame, articles: pd.DataFrame, *, top_n: int = 15,
               top_outlets: int = 12) -> alt.FacetChart | alt.Chart:
    """Persuasion techniques by outlet, in the outlet's own voice and in the words it quotes.

    Each hit serves the SemEval-2023 Task 3 techniques of its family (``hits.techniques``, ``;``-separated; a hit
    serving two techniques counts once for each). Two panels: hits in the outlet's own voice (``narrator``) and
    hits in quotes, scare quotes or reported speech. Shows the ``top_n`` techniques and the ``top_outlets`` outlets
    with most hits (the rest merged). A cell's tooltip gives the hits, the articles and the families behind them.
    """
    title = "Persuasion techniques by outlet: its own voice and the words it quotes"
    if hits.empty:
        return _no_data(title, "there are no phrase hits")
    df = _with_outlet(hits, articles)
    df["outlet"] = _keep_top(df["outlet"], top_outlets)
    df["technique"] = df["techniques"].fillna("").astype(str).str.split(";")
    df = df.explode("technique")
    df["technique"] = df["technique"].str.strip().str.replace("_", " ")
    df = df[df["technique"] != ""]
    if df.empty:
        return _no_data(title, "no hit's family names a persuasion technique")
    own, quoted = "In its own voice", "In quotes, scare quotes and reported speech"
    df["where"] = np.where(df["voice"] == "narrator", own, quoted)
    names = _top_values(df["technique"], top_n)
    df = df[df["technique"].isin(names)]
    keys = ["technique", "outlet", "where"]
    cells = (df.groupby(keys, sort=True).agg(hits=("article_id", "size"), articles=("article_id", "nunique"))
             .reset_index().merge(_examples(df, keys, "family").rename("families"), on=keys, how="left"))
    outlets = _outlet_order(cells["outlet"])
    step = int(min(22, max(14, (MAX_WIDTH - 60) // (2 * len(outlets)))))
    return (alt.Chart(cells).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("outlet:N", title="Outlet", sort=outlets, axis=alt.Axis(labelAngle=-45, labelLimit=110)),
        y=alt.Y("technique:N", title="Persuasion technique", sort=names, axis=alt.Axis(labelLimit=220)),
        color=alt.Color("hits:Q", title="Hits", scale=alt.Scale(scheme="purples", domainMin=0),
                        legend=alt.Legend(format="d", **_integer_ticks(int(cells["hits"].max())))),
        tooltip=[alt.Tooltip("technique:N", title="Technique"), alt.Tooltip("outlet:N", title="Outlet"),
                 alt.Tooltip("where:N", title="Voice"), alt.Tooltip("hits:Q", title="Hits"),
                 alt.Tooltip("articles:Q", title="Articles"), alt.Tooltip("families:N", title="Phrase families")])
        .properties(width=alt.Step(step), height=alt.Step(16), name="technique_cells")
        .facet(column=alt.Column("where:N", title=None, sort=[own, quoted],
                                 header=alt.Header(labelFontWeight="bold", labelAlign="left", labelAnchor="start")))
        .properties(title=_title(title, ["Each phrase family serves SemEval-2023 Task 3 techniques "
                                         "(analysis/data/phrases.yaml); darker = more hits.",
                                         "A technique only in the right panel is one the outlet reports, "
                                         "not one it uses."])))


def adoption(adoption: pd.DataFrame, *, top_n: int = 25, top_outlets: int = 15,
             outlets: Iterable[str] | None = None) -> alt.VConcatChart | alt.Chart:
    """Adoption index by outlet: how much of each outlet's use of a family is in its own unmarked voice.

    ``adoption`` is the rhetoric stage's ``adoption`` table; headline and body rows are summed and the index
    recomputed as narrator hits / all hits. The top view gives each outlet's index over all families, the
    heatmap below gives it per family (``top_n`` families by hits) with the number of hits written in each cell.
    Click an outlet's bar to pick it out in the heatmap. ``outlets`` (all outlets of the corpus) keeps outlet
    colours the same as in the other charts.
    """
    title = "Adoption index: how often an outlet uses a phrase in its own voice"
    if adoption.empty:
        return _no_data(title, "the adoption table is empty")
    df = adoption.copy()
    df["outlet"] = _outlet_label(df["outlet"])
    merged = _keep_top(df["outlet"], top_outlets, weights=df["n"])
    color = _outlet_color([*df["outlet"], *merged], outlets)
    df["outlet"] = merged
    df["n_headline"] = df["n"].where(df["in_headline"], 0)
    families = _top_values(df["family"], top_n, weights=df["n"])
    df = df[df["family"].isin(families)]
    counts = ["n", "n_narrator", "n_direct_quote", "n_partial_quote", "n_scare_quote", "n_paraphrase", "n_headline"]
    cells = df.groupby(["outlet", "family"], sort=True)[counts].sum().reset_index()
    cells = cells[cells["n"] > 0].reset_index(drop=True)
    if cells.empty:
        return _no_data(title, "no outlet has a hit")
    cells["adoption_index"] = (cells["n_narrator"] / cells["n"]).round(4)
    order = _outlet_order(cells["outlet"])
    pick = alt.selection_point(name="adoption_outlet", fields=["outlet"], on="click", clear="dblclick")
    step = _step(len(order), lo=14, hi=40)
    x = alt.X("outlet:N", title="Outlet", sort=order, axis=alt.Axis(labelAngle=-45, labelLimit=110))
    totals = (alt.Chart().transform_aggregate(n="sum(n)", n_narrator="sum(n_narrator)", groupby=["outlet"])
              .transform_calculate(adoption_index="datum.n_narrator / datum.n"))
    bars = totals.mark_bar().encode(
        x=x, y=alt.Y("adoption_index:Q", title="Adoption index", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("outlet:N", title="Outlet", scale=color, legend=None),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35)),
        tooltip=[alt.Tooltip("outlet:N", title="Outlet"),
                 alt.Tooltip("adoption_index:Q", title="Adoption index", format=".2f"),
                 alt.Tooltip("n_narrator:Q", title="Hits in its own voice"), alt.Tooltip("n:Q", title="All hits")],
    ).add_params(pick).properties(name="adoption_bars")
    labels = totals.mark_text(dy=-6, fontSize=10, color="#444").encode(
        x=x, y=alt.Y("adoption_index:Q"), text=alt.Text("n:Q", format="d"))
    top = alt.layer(bars, labels).properties(width=alt.Step(step), height=140, name="adoption_totals",
                                             title="All families (bar label: hits)")
    base = alt.Chart().encode(x=x, y=alt.Y("family:N", title="Phrase family", sort=families,
                                              axis=alt.Axis(labelLimit=180)))
    heat = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("adoption_index:Q", title="Adoption index",
                        scale=alt.Scale(domain=[0, 1], scheme="redblue", reverse=True)),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.3)),
        tooltip=[alt.Tooltip("family:N", title="Family"), alt.Tooltip("outlet:N", title="Outlet"),
                 alt.Tooltip("adoption_index:Q", title="Adoption index", format=".2f"),
                 alt.Tooltip("n:Q", title="All hits"), alt.Tooltip("n_narrator:Q", title="Own voice"),
                 alt.Tooltip("n_direct_quote:Q", title="Direct quote"),
                 alt.Tooltip("n_partial_quote:Q", title="Partial quote"),
                 alt.Tooltip("n_scare_quote:Q", title="Scare quote"),
                 alt.Tooltip("n_paraphrase:Q", title="Paraphrase"),
                 alt.Tooltip("n_headline:Q", title="Of which in headlines")])
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text("n:Q", format="d"),
        color=alt.when("datum.adoption_index > 0.8 || datum.adoption_index < 0.2")
        .then(alt.value("white")).otherwise(alt.value("#222")))
    bottom = alt.layer(heat, text).properties(width=alt.Step(step), height=alt.Step(16), name="adoption_families",
                                              title="By family (cell label: hits)")
    return (alt.vconcat(top, bottom, data=cells, spacing=12)
            .resolve_scale(color="independent")
            .properties(title=_title(title, "1 = the outlet only ever speaks the phrase itself; 0 = it only quotes, "
                                            "scare-quotes or attributes it. Click a bar to pick out an outlet.")))


def voice_ledger(hits: pd.DataFrame, articles: pd.DataFrame, *, top_n: int = 15, top_outlets: int = 20,
                 normalize: bool = True) -> alt.HConcatChart | alt.Chart:
    """The voice ledger: per outlet, stacked bars of whose voice carries its phrase hits.

    Left, one bar per outlet (``top_outlets`` by hits, the rest merged); right, the same split per phrase family
    (``top_n`` families, the rest merged as ``(other families)``) for the outlet clicked on the left, or for all
    outlets when none is. ``normalize`` shows shares (each bar sums to 1) rather than counts.
    """
    title = "Voice ledger: whose voice carries each outlet's loaded phrases"
    if hits.empty:
        return _no_data(title, "there are no phrase hits")
    df = _with_outlet(hits, articles)
    df["outlet"] = _keep_top(df["outlet"], top_outlets)
    df["voice"] = _voice(df["voice"], VOICES)
    families = _top_values(df["family"], top_n)
    df["family"] = df["family"].where(df["family"].isin(families), "(other families)")
    keys = ["outlet", "family", "voice"]
    cells = df.groupby(keys, sort=True).agg(hits=("article_id", "size")).reset_index()
    cells["voice_order"] = cells["voice"].map(_rank((*VOICES, "other")))
    cells = cells.sort_values(keys, kind="stable").reset_index(drop=True)
    order = _outlet_order(cells["outlet"])
    family_order = [*families, "(other families)"]
    voices = [v for v in (*VOICES, "other") if v in set(cells["voice"])]
    pick = alt.selection_point(name="ledger_outlet", fields=["outlet"], on="click", clear="dblclick")
    stack = "normalize" if normalize else "zero"
    x_title = "Share of hits" if normalize else "Hits"
    x_format = ".0%" if normalize else "d"
    color = alt.Color("voice:N", title="Voice", sort=voices,
                      scale=alt.Scale(domain=voices, range=[VOICE_COLORS[v] for v in voices]))

    def stacked(by: str, sort: list[str], label: str, *, filtered: bool = False) -> alt.Chart:
        # The outlet filter must run before the aggregation, so it is the first transform.
        start = alt.Chart().transform_filter(pick) if filtered else alt.Chart()
        return (start.transform_aggregate(hits="sum(hits)", groupby=[by, "voice", "voice_order"])
                .transform_joinaggregate(total="sum(hits)", groupby=[by])
                .transform_calculate(share="datum.hits / datum.total")
                .mark_bar().encode(
                    x=alt.X("hits:Q", title=x_title, stack=stack, axis=alt.Axis(format=x_format)),
                    y=alt.Y(f"{by}:N", title=label, sort=sort, axis=alt.Axis(labelLimit=160)),
                    color=color, order=alt.Order("voice_order:Q"),
                    tooltip=[alt.Tooltip(f"{by}:N", title=label), alt.Tooltip("voice:N", title="Voice"),
                             alt.Tooltip("hits:Q", title="Hits"), alt.Tooltip("total:Q", title="All hits"),
                             alt.Tooltip("share:Q", title="Share", format=".0%")]))

    left = (stacked("outlet", order, "Outlet")
            .encode(opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35)))
            .add_params(pick)
            .properties(width=280, height=alt.Step(18), name="ledger_outlets", title="By outlet (click one)"))
    right = (stacked("family", family_order, "Phrase family", filtered=True)
             .properties(width=280, height=alt.Step(18), name="ledger_families",
                         title="By family, for the outlet picked (all when none)"))
    return (alt.hconcat(left, right, data=cells, spacing=20)
            .properties(title=_title(title, "narrator = the outlet's own unmarked words; the rest quote, scare-quote "
                                            "or attribute the phrase.")))


def verb_stance(verb_stance: pd.DataFrame, *, top_n: int = 15, top_outlets: int = 20) -> alt.HConcatChart | alt.Chart:
    """Reporting-verb stance by outlet and speaker: with which verbs each outlet introduces each speaker's words.

    ``verb_stance`` is the rhetoric stage's table (one row per quote). Left, the stance mix per outlet
    (``top_outlets``, rest merged); right, per speaker (canonical actor, else the speaker as written; ``top_n``
    speakers by quotes, rest merged) for the outlet clicked on the left. Tooltips list the commonest verbs.
    """
    title = "Reporting verbs: how each outlet introduces each speaker"
    if verb_stance.empty:
        return _no_data(title, "there are no quotes with a reporting verb")
    df = verb_stance.copy()
    df["outlet"] = _keep_top(_outlet_label(df["outlet"]), top_outlets)
    df["speaker"] = df["speaker_actor"].where(df["speaker_actor"].str.strip() != "", df["speaker"].str.strip())
    df["speaker"] = df["speaker"].where(df["speaker"] != "", "(no speaker)")
    speakers = _top_values(df["speaker"], top_n)
    df["speaker"] = df["speaker"].where(df["speaker"].isin(speakers), "(other speakers)")
    df["stance"] = df["stance"].where(df["stance"].isin(STANCES), "unclassified")
    keys = ["outlet", "speaker", "stance"]
    cells = df.groupby(keys, sort=True).agg(quotes=("quote_id", "size")).reset_index()
    cells = cells.merge(_examples(df, keys, "cue_lemma").rename("verbs"), on=keys, how="left")
    cells["verbs"] = cells["verbs"].fillna("(no reporting verb)")  # quotes without a cue, e.g. "According to"
    cells["stance_order"] = cells["stance"].map(_rank(STANCES))
    order = _outlet_order(cells["outlet"])
    speaker_order = [*speakers, "(other speakers)"]
    stances = [s for s in STANCES if s in set(cells["stance"])]
    color = alt.Color("stance:N", title="Verb stance", sort=stances,
                      scale=alt.Scale(domain=stances, range=[STANCE_COLORS[s] for s in stances]))
    pick = alt.selection_point(name="stance_outlet", fields=["outlet"], on="click", clear="dblclick")

    def stacked(by: str, sort: list[str], label: str, tip: list) -> alt.Chart:
        return (alt.Chart().mark_bar().encode(
            x=alt.X("sum(quotes):Q", title="Share of quotes", stack="normalize", axis=alt.Axis(format=".0%")),
            y=alt.Y(f"{by}:N", title=label, sort=sort, axis=alt.Axis(labelLimit=160)),
            color=color, order=alt.Order("stance_order:Q"), tooltip=tip))

    left_tip = [alt.Tooltip("outlet:N", title="Outlet"), alt.Tooltip("stance:N", title="Stance"),
                alt.Tooltip("sum(quotes):Q", title="Quotes")]
    right_tip = [alt.Tooltip("speaker:N", title="Speaker"), alt.Tooltip("outlet:N", title="Outlet"),
                 alt.Tooltip("stance:N", title="Stance"), alt.Tooltip("quotes:Q", title="Quotes"),
                 alt.Tooltip("verbs:N", title="Commonest verbs")]
    left = (stacked("outlet", order, "Outlet", left_tip)
            .encode(opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35)))
            .add_params(pick)
            .properties(width=260, height=alt.Step(18), name="stance_outlets", title="By outlet (click one)"))
    right = (stacked("speaker", speaker_order, "Speaker", right_tip).transform_filter(pick)
             .properties(width=260, height=alt.Step(18), name="stance_speakers",
                         title="By speaker, for the outlet picked (all when none)"))
    return (alt.hconcat(left, right, data=cells, spacing=20)
            .properties(title=_title(title, "distancing = claimed, alleged ...; endorsing = revealed, confirmed ...; "
                                            "emotive = slammed, blasted ...")))


# --------------------------------------------------------------------------------------------------------------
# Sentiment
# --------------------------------------------------------------------------------------------------------------

def sentiment_distribution(sentences: pd.DataFrame, articles: pd.DataFrame, *, score: Score = "vader_compound",
                           bin_width: float = 0.1, top_outlets: int = 12) -> alt.FacetChart | alt.Chart:
    """Sentiment by outlet and voice as distributions: binned sentence counts per outlet, narrator above, quoted below.

    ``score`` is a sentiment column of ``sentences``; scores are binned in pandas (``bin_width``) and each bar is a
    share of that outlet's sentences in that voice, so narrator and quoted sentences compare despite their numbers.
    Panel titles give n per voice; tooltips add mean and median. Dashed rules mark each voice's median. Sentences
    with no score are left out and counted in the subtitle.
    """
    label, lo, hi = _score(score)
    if not 0 < bin_width <= hi - lo:
        raise ValueError(f"bin_width must be above 0 and at most {hi - lo:g} for {score}, not {bin_width!r}")
    title = f"Sentiment by outlet and voice ({label})"
    if sentences.empty:
        return _no_data(title, "there are no sentences")
    df = _with_outlet(sentences, articles)
    missing = int(df[score].isna().sum())
    df = df[df[score].notna()].copy()
    if df.empty:
        return _no_data(title, f"no sentence has a {label}")
    df["outlet"] = _keep_top(df["outlet"], top_outlets)
    df["voice"] = _voice(df["voice"], ("narrator", "quoted"))
    n_bins = max(1, math.ceil(round((hi - lo) / bin_width, 9)))
    df["bin"] = np.clip(np.floor((df[score] - lo) / bin_width), 0, n_bins - 1).astype(int)
    stats = (df.groupby(["outlet", "voice"], sort=True)[score]
             .agg(voice_n="size", mean="mean", median="median").reset_index())
    cells = df.groupby(["outlet", "voice", "bin"], sort=True).size().rename("sentences").reset_index()
    cells = cells.merge(stats, on=["outlet", "voice"])
    cells["bin_start"] = (lo + cells["bin"] * bin_width).round(6)
    cells["bin_end"] = (cells["bin_start"] + bin_width).round(6)
    cells["share"] = (cells["sentences"] / cells["voice_n"]).round(5)
    # Narrator bars point up, quoted (and any other voice) bars down: a back-to-back histogram needs no overlap.
    cells["signed_share"] = cells["share"].where(cells["voice"] == "narrator", -cells["share"])
    cells[["mean", "median"]] = cells[["mean", "median"]].round(4)
    n = stats.set_index(["outlet", "voice"])["voice_n"]
    shown = ["narrator", "quoted", *(["other"] if "other" in set(stats["voice"]) else [])]
    heads = {o: f"{o} (" + ", ".join(f"{v} n={int(n.get((o, v), 0))}" for v in shown) + ")"
             for o in sorted(set(stats["outlet"]))}
    cells["panel"] = cells["outlet"].map(heads)
    cells = cells.drop(columns="bin").sort_values(["outlet", "voice", "bin_start"], kind="stable")
    cells = cells.reset_index(drop=True)
    panels = [heads[o] for o in _outlet_order(cells["outlet"])]
    voices = [v for v in ("narrator", "quoted", "other") if v in set(cells["voice"])]
    color = alt.Color("voice:N", title="Voice", sort=voices,
                      scale=alt.Scale(domain=voices, range=[VOICE_COLORS[v] for v in voices]))
    pick = alt.selection_point(name="sentiment_voice", fields=["voice"], bind="legend")
    bars = alt.Chart().mark_bar(stroke="white", strokeWidth=0.3).encode(
        x=alt.X("bin_start:Q", title=label, scale=alt.Scale(domain=[lo, hi])),
        x2="bin_end:Q",
        y=alt.Y("signed_share:Q", title="Share (narrator ↑ quoted ↓)",
                axis=alt.Axis(labelExpr="format(abs(datum.value), '.0%')")),
        y2=alt.datum(0),
        color=color, opacity=alt.when(pick).then(alt.value(0.9)).otherwise(alt.value(0.15)),
        tooltip=[alt.Tooltip("outlet:N", title="Outlet"), alt.Tooltip("voice:N", title="Voice"),
                 alt.Tooltip("bin_start:Q", title="Score from", format=".2f"),
                 alt.Tooltip("bin_end:Q", title="to", format=".2f"),
                 alt.Tooltip("sentences:Q", title="Sentences in this bin"),
                 alt.Tooltip("share:Q", title="Share of the voice's sentences", format=".1%"),
                 alt.Tooltip("voice_n:Q", title="n (sentences in this voice)"),
                 alt.Tooltip("mean:Q", title="Mean", format=".3f"),
                 alt.Tooltip("median:Q", title="Median", format=".3f")]).add_params(pick).properties(
        name="sentiment_bars")
    medians = (alt.Chart().transform_aggregate(median="max(median)", groupby=["voice"])
               .mark_rule(strokeDash=[4, 3], strokeWidth=1.5)
               .encode(x="median:Q", color=color))
    zero = alt.Chart().mark_rule(color="#888", strokeWidth=0.6).encode(y=alt.datum(0))
    subtitle = ["Each bar: the share of an outlet's sentences in that voice scoring in the bin; dashed: median."]
    if missing:
        subtitle.append(f"{missing} sentence{'s' if missing != 1 else ''} with no score left out.")
    return (alt.layer(bars, medians, zero, data=cells).properties(width=290, height=110, name="sentiment_bins")
            .facet(facet=alt.Facet("panel:N", title=None, sort=panels,
                                   header=alt.Header(labelLimit=300, labelFontSize=11)), columns=2)
            .properties(title=_title(title, subtitle)))


def sentiment_by_target(sentences: pd.DataFrame, mentions: pd.DataFrame, *, roles: Sequence[str] | None = None,
                        top_n: int = 20, per_actor: int = 40) -> alt.LayerChart | alt.Chart:
    """Polarity toward each actor, mention by mention (``mentions.polarity_score``, ``sentiment.toward``), by
    the voice of the sentence that mentions it.

    An actor is the canonical actor, else the entity as written; ``roles`` keeps only mentions with one of those
    roles (default: every mention). Each dot is a mention (tooltip: its polarity, the words that decided it, the
    sentence and its article), at most ``per_actor`` per actor and voice, spread evenly over the score range so
    the dots keep the distribution's shape; the bar is the middle half (quartiles) and the tick the median, both
    over all mentions. ``top_n`` actors by mentions; the labels give n and the negative/neutral/positive counts
    (``sentiment.toward_actors``).
    """
    from analysis import sentiment

    label = "Polarity toward the actor (P(positive) − P(negative))"
    title = "Polarity toward each actor"
    if sentences.empty or mentions.empty:
        return _no_data(title, "there are no sentences or no mentions")
    m = mentions if roles is None else mentions[mentions["role"].isin(list(roles))]
    m = m[m["polarity"] != ""].assign(actor=sentiment.actor_names(m, named_only=False))
    m = m[m["actor"] != ""]
    df = m[["article_id", "sent_id", "actor", "polarity", "polarity_score", "polarity_cues"]].merge(
        sentences[["article_id", "sent_id", "text", "voice"]], on=["article_id", "sent_id"], how="inner")
    if df.empty:
        return _no_data(title, "no mention has a polarity" + (f" as {' or '.join(roles)}" if roles else ""))
    df["voice"] = _voice(df["voice"], ("narrator", "quoted"))
    actors = _top_values(df["actor"], top_n)
    df = df[df["actor"].isin(actors)].rename(columns={"polarity_score": "score"})
    tally = sentiment.toward_actors(df.assign(polarity_score=df["score"])).set_index("actor")
    names = {a: f"{a} (n={tally.at[a, 'n']}: {tally.at[a, 'n_negative']} neg, {tally.at[a, 'n_neutral']} neu, "
                f"{tally.at[a, 'n_positive']} pos)" for a in actors}
    df["actor_label"] = df["actor"].map(names)
    grouped = df.groupby(["actor", "voice"], sort=True)["score"]
    stats = grouped.agg(n="size", mean="mean", median="median").reset_index()
    stats["q1"] = grouped.quantile(0.25).to_numpy()
    stats["q3"] = grouped.quantile(0.75).to_numpy()
    df = df.sort_values(["actor", "voice", "score", "article_id", "sent_id"], kind="stable")
    shown = df.groupby(["actor", "voice"], sort=False, group_keys=False)[df.columns.tolist()].apply(
        lambda g: g.iloc[_spread(len(g), per_actor)])
    rows = shown.merge(stats, on=["actor", "voice"])
    rows["sentence"] = rows["text"].map(_clip)
    rows = rows[["actor", "actor_label", "voice", "score", "polarity", "polarity_cues", "sentence", "article_id",
                 "sent_id", "n", "mean", "median", "q1", "q3"]].round(
        {"score": 4, "mean": 4, "median": 4, "q1": 4, "q3": 4})
    rows = rows.sort_values(["actor", "voice", "score", "article_id", "sent_id"], kind="stable").reset_index(drop=True)
    labels = [names[a] for a in actors]
    voices = [v for v in ("narrator", "quoted", "other") if v in set(rows["voice"])]
    color = alt.Color("voice:N", title="Voice", sort=voices,
                      scale=alt.Scale(domain=voices, range=[VOICE_COLORS[v] for v in voices]))
    y = alt.Y("actor_label:N", title="Actor (mentions)", sort=labels, axis=alt.Axis(labelLimit=320))
    y_offset = alt.YOffset("voice:N", sort=voices)
    x = alt.X("score:Q", title=label, scale=alt.Scale(domain=[-1, 1]))
    dots = alt.Chart().mark_circle(size=28, opacity=0.45).encode(
        x=x, y=y, yOffset=y_offset, color=color,
        tooltip=[alt.Tooltip("actor:N", title="Actor"), alt.Tooltip("voice:N", title="Voice"),
                 alt.Tooltip("polarity:N", title="Polarity"), alt.Tooltip("score:Q", title="Score", format=".3f"),
                 alt.Tooltip("polarity_cues:N", title="Decided by"), alt.Tooltip("sentence:N", title="Sentence"),
                 alt.Tooltip("article_id:N", title="Article"), alt.Tooltip("sent_id:Q", title="Sentence no.")])
    summary = alt.Chart().transform_aggregate(
        q1="max(q1)", q3="max(q3)", median="max(median)", mean="max(mean)", n="max(n)",
        groupby=["actor_label", "voice"])
    summary_tip = [alt.Tooltip("actor_label:N", title="Actor"), alt.Tooltip("voice:N", title="Voice"),
                   alt.Tooltip("n:Q", title="n (mentions)"), alt.Tooltip("median:Q", title="Median", format=".3f"),
                   alt.Tooltip("mean:Q", title="Mean", format=".3f"),
                   alt.Tooltip("q1:Q", title="Lower quartile", format=".3f"),
                   alt.Tooltip("q3:Q", title="Upper quartile", format=".3f")]
    box = summary.mark_bar(height=5, opacity=0.5).encode(
        x=alt.X("q1:Q", title=label), x2="q3:Q", y=y, yOffset=y_offset, color=color, tooltip=summary_tip)
    tick = summary.mark_tick(thickness=2.5, size=12, color="#222").encode(
        x="median:Q", y=y, yOffset=y_offset, tooltip=summary_tip)
    zero = alt.Chart().mark_rule(color="#888", strokeDash=[2, 2]).encode(x=alt.datum(0))
    which = f"as {' or '.join(roles)}" if roles else "in any role"
    return (alt.layer(zero, box, dots, tick, data=rows)
            .properties(width=460, height=alt.Step(26), name="sentiment_targets",
                        title=_title(title, [f"Each mention of the actor {which}, scored toward the actor by a model "
                                             f"of the words around it (not the sentence's score). Dots: mentions "
                                             f"(up to {per_actor} per actor and voice);",
                                             "bar: middle half of all its mentions; black tick: median."])))


# --------------------------------------------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------------------------------------------

def _inside(quotes: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``quotes`` joined with the ``mentions`` that lie inside them (same article, mention offsets within
    the quote's), found with sorted offsets: a cross join of every quote with every mention of its article needs
    quotes x mentions rows, which one long article with thousands of each makes run out of memory. Both sides are
    keyed by (article, offset) as one integer, so one ``searchsorted`` serves every article at once."""
    codes = pd.factorize(pd.concat([quotes["article_id"], mentions["article_id"]], ignore_index=True))[0]
    width = int(max(mentions["end"].max() if len(mentions) else 0, quotes["end"].max() if len(quotes) else 0)) + 1
    m_key = codes[len(quotes):].astype(np.int64) * width + mentions["start"].to_numpy(np.int64)
    order = np.argsort(m_key, kind="stable")
    ms, m_key = mentions.iloc[order], m_key[order]
    q_base = codes[:len(quotes)].astype(np.int64) * width
    lo = np.searchsorted(m_key, q_base + quotes["start"].to_numpy(np.int64), side="left")
    hi = np.searchsorted(m_key, q_base + quotes["end"].to_numpy(np.int64), side="left")
    counts = hi - lo
    q_rows = np.repeat(np.arange(len(quotes)), counts)
    m_rows = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    pair = pd.concat([quotes.iloc[q_rows].reset_index(drop=True).add_suffix("_q"),
                      ms.iloc[m_rows].reset_index(drop=True).add_suffix("_m")], axis=1)
    return pair[pair["end_m"] <= pair["end_q"]].reset_index(drop=True).rename(columns=_unsuffix(quotes, mentions))


def _unsuffix(quotes: pd.DataFrame, mentions: pd.DataFrame) -> dict[str, str]:
    """Keep the merge's naming: a column only one side has loses its suffix."""
    shared = set(quotes.columns) & set(mentions.columns)
    return {f"{c}_{side}": c for side, frame in (("q", quotes), ("m", mentions)) for c in frame.columns
            if c not in shared}


def actor_network(mentions: pd.DataFrame, quotes: pd.DataFrame, *, kind: Literal["speaker", "co_mention"] = "speaker",
                  roles: Sequence[str] = ("target", "agent", "other"), top_n: int = 30, top_edges: int = 60,
                  min_weight: int = 1) -> alt.LayerChart | alt.Chart:
    """Actor network with edge weights, nodes on a circle sorted by name.

    ``kind="speaker"``: an edge from a quote's speaker (canonical actor) to each actor mentioned (in one of
    ``roles``) inside the quote, weighted by the number of statements (a quote within another of its speaker's,
    the ``quotes.within`` column, counts in that one). ``kind="co_mention"``: an undirected edge
    between actors mentioned in the same sentence, weighted by sentences. Edges under ``min_weight`` are dropped;
    the ``top_n`` actors by weighted degree are drawn, with the ``top_edges`` heaviest links among them (node sizes
    count all their links). Node size is the weighted degree, colour the actor type.
    """
    heading = {"speaker": "Who speaks about whom: speakers and the actors their quotes mention",
               "co_mention": "Actors mentioned in the same sentence"}
    if kind not in heading:
        raise ValueError(f"actor_network(kind=...) must be 'speaker' or 'co_mention', not {kind!r}")
    title = heading[kind]
    named = mentions[mentions["actor"].str.strip() != ""]
    if kind == "speaker":
        # Statements only: a quote another of its speaker's holds (``quotes.within``) has its mentions counted in
        # the holder, and counted per quote they would weigh the edge double.
        q = quotes[(quotes["speaker_actor"].str.strip() != "") & (quotes["within"] == "")][
            ["article_id", "quote_id", "start", "end", "speaker_actor"]]
        m = named[named["role"].isin(list(roles))][["article_id", "start", "end", "actor"]]
        pairs = _inside(q, m)
        pairs = pairs[pairs["speaker_actor"] != pairs["actor"]]
        edges = (pairs.groupby(["speaker_actor", "actor"], sort=True)["quote_id"].nunique()
                 .rename("weight").reset_index().rename(columns={"speaker_actor": "source", "actor": "target"}))
        unit = "quotes"
    else:
        m = named[["article_id", "sent_id", "actor"]].drop_duplicates()
        pairs = m.merge(m, on=["article_id", "sent_id"], suffixes=("_a", "_b"))
        pairs = pairs[pairs["actor_a"] < pairs["actor_b"]]
        edges = (pairs.groupby(["actor_a", "actor_b"], sort=True).size().rename("weight").reset_index()
                 .rename(columns={"actor_a": "source", "actor_b": "target"}))
        unit = "sentences"
    edges = edges[edges["weight"] >= min_weight]
    if edges.empty:
        return _no_data(title, "no pair of actors is linked")
    degree = (pd.concat([edges[["source", "weight"]].rename(columns={"source": "actor"}),
                         edges[["target", "weight"]].rename(columns={"target": "actor"})])
              .groupby("actor")["weight"].sum())
    keep = degree.reset_index().sort_values(["weight", "actor"], ascending=[False, True]).head(top_n)["actor"]
    names = sorted(keep)
    edges = edges[edges["source"].isin(names) & edges["target"].isin(names)]
    n_links = len(edges)
    edges = (edges.sort_values(["weight", "source", "target"], ascending=[False, True, True]).head(top_edges)
             .sort_values(["source", "target"]))
    # Deterministic layout: nodes evenly on the unit circle in name order, clockwise from the top.
    angle = {a: math.pi / 2 - 2 * math.pi * i / len(names) for i, a in enumerate(names)}
    pos = pd.DataFrame({"actor": names, "x": [round(math.cos(angle[a]), 6) for a in names],
                        "y": [round(math.sin(angle[a]), 6) for a in names]})
    types = (named.assign(actor_type=named["actor_type"].where(named["actor_type"] != "", UNKNOWN))
             .groupby(["actor", "actor_type"]).size().rename("k").reset_index()
             .sort_values(["actor", "k", "actor_type"], ascending=[True, False, True])
             .drop_duplicates("actor").set_index("actor")["actor_type"])
    nodes = pos.assign(degree=pos["actor"].map(degree).astype(int),
                       actor_type=pos["actor"].map(types).fillna(UNKNOWN))
    nodes["actor_type"] = nodes["actor_type"].where(nodes["actor_type"].isin(list(ACTOR_TYPE_COLORS)), UNKNOWN)
    lines = (edges.merge(pos, left_on="source", right_on="actor").drop(columns="actor")
             .merge(pos.rename(columns={"x": "x2", "y": "y2"}), left_on="target", right_on="actor")
             .drop(columns="actor").assign(element="edge"))
    # Direction: an arrowhead three quarters of the way along each edge, turned to point at the target
    # (Vega turns shapes clockwise from pointing up; the plot keeps x and y units the same size).
    lines["arrow_x"] = (lines["x"] + 0.75 * (lines["x2"] - lines["x"])).round(6)
    lines["arrow_y"] = (lines["y"] + 0.75 * (lines["y2"] - lines["y"])).round(6)
    lines["angle"] = np.degrees(np.arctan2(lines["x2"] - lines["x"], lines["y2"] - lines["y"])).round(2) % 360
    arrow = "→" if kind == "speaker" else "–"
    lines["edge"] = lines["source"] + f" {arrow} " + lines["target"]
    rows = pd.concat([lines.sort_values(["source", "target"]), nodes.assign(element="node")], ignore_index=True)
    rows = rows[["element", "edge", "source", "target", "weight", "actor", "actor_type", "degree", "x", "y", "x2",
                 "y2", "arrow_x", "arrow_y", "angle"]]
    types_present = [t for t in ACTOR_TYPE_COLORS if t in set(nodes["actor_type"])]
    # Same units on both axes (560 px for 3.5 units, 416 px for 2.6) so the circle stays round.
    x_scale, y_scale = alt.Scale(domain=[-1.75, 1.75]), alt.Scale(domain=[-1.3, 1.3])
    edge_tip = [alt.Tooltip("edge:N", title="Link"), alt.Tooltip("weight:Q", title=unit.capitalize())]
    edge_base = alt.Chart().transform_filter("datum.element == 'edge'")
    edge_view = edge_base.mark_rule(color="#7f8c99", opacity=0.55).encode(
        x=alt.X("x:Q", axis=None, scale=x_scale), y=alt.Y("y:Q", axis=None, scale=y_scale),
        x2="x2:Q", y2="y2:Q",
        strokeWidth=alt.StrokeWidth("weight:Q", title=f"Link weight ({unit})", scale=alt.Scale(range=[0.8, 8]),
                                    legend=alt.Legend(symbolType="stroke", format="d",
                                                      values=_legend_values(edges["weight"]))),
        tooltip=edge_tip)
    arrows = edge_base.mark_point(shape=ARROWHEAD, filled=True, size=160, color="#34495e", opacity=0.9).encode(
        x="arrow_x:Q", y="arrow_y:Q", angle=alt.Angle("angle:Q", scale=None), tooltip=edge_tip)
    node_base = alt.Chart().transform_filter("datum.element == 'node'")
    node_view = node_base.mark_circle(opacity=0.95, stroke="white", strokeWidth=1).encode(
        x="x:Q", y="y:Q",
        # Largest node about two thirds of the gap between neighbours on the circle (radius ~160 px).
        size=alt.Size("degree:Q", legend=None,
                      scale=alt.Scale(range=[40, min(700, (0.65 * 2 * math.pi * 160 / len(names)) ** 2)])),
        color=alt.Color("actor_type:N", title="Actor type", sort=types_present,
                        scale=alt.Scale(domain=types_present, range=[ACTOR_TYPE_COLORS[t] for t in types_present])),
        tooltip=[alt.Tooltip("actor:N", title="Actor"), alt.Tooltip("actor_type:N", title="Type"),
                 alt.Tooltip("degree:Q", title=f"Weighted degree ({unit})")])
    right = node_base.transform_filter("datum.x >= 0").mark_text(align="left", dx=10, fontSize=11).encode(
        x="x:Q", y="y:Q", text="actor:N")
    left = node_base.transform_filter("datum.x < 0").mark_text(align="right", dx=-10, fontSize=11).encode(
        x="x:Q", y="y:Q", text="actor:N")
    shown = f"{len(edges)} links" if len(edges) == n_links else f"the {len(edges)} heaviest of {n_links} links"
    subtitle = (f"{len(names)} actors, {shown}; line width = {unit}; node size = all its links' "
                f"{unit}" + ("; arrows point from speaker to the actor mentioned." if kind == "speaker" else "."))
    layers = [edge_view, *([arrows] if kind == "speaker" else []), node_view, right, left]
    return (alt.layer(*layers, data=_records(rows))
            .properties(width=560, height=416, name="actor_network", title=_title(title, subtitle))
            .configure_view(stroke=None))


# --------------------------------------------------------------------------------------------------------------
# Time and place in the text
# --------------------------------------------------------------------------------------------------------------

def timeline(articles: pd.DataFrame, hits: pd.DataFrame, *, freq: Literal["auto", "day", "week", "month"] = "auto",
             gap_days: int = 120, top_outlets: int = 12) -> alt.VConcatChart | alt.Chart:
    """Timeline of articles (by outlet) and phrase hits (by voice) per day, week or month.

    Dates that lie more than ``gap_days`` apart start a new wave, drawn as its own panel with its own time axis
    (up to four waves; more are drawn on one axis), so two short bursts years apart both stay legible.
    ``freq="auto"`` picks days for waves up to six weeks long, weeks up to a year, else months. Articles with no
    full date are counted in the subtitle, with how they were written, not dropped silently. Click an outlet (bar or
    legend) to filter both views to it.
    """
    title = "Articles and phrase hits over time"
    if articles.empty:
        return _no_data(title, "there are no articles")
    arts = articles[["article_id", "outlet", "date", "date_text"]].drop_duplicates("article_id").copy()
    named = _outlet_label(arts["outlet"])
    arts["outlet"] = _keep_top(named, top_outlets)
    color = _outlet_color([*named, *arts["outlet"]], None)
    arts["day"] = pd.to_datetime(arts["date"], format="%Y-%m-%d", errors="coerce")
    undated = arts[arts["day"].isna()]
    h = hits[["article_id", "voice"]].merge(arts[["article_id", "outlet", "day"]], on="article_id", how="inner")
    n_undated_hits = int(h["day"].isna().sum())
    note = _undated_note(len(arts), undated, n_undated_hits)
    arts, h = arts[arts["day"].notna()], h[h["day"].notna()].copy()
    if arts.empty:
        return _no_data(title, note)
    days = pd.Series(sorted(arts["day"].unique()))
    wave_of_day = (days.diff().dt.days.fillna(0) > gap_days).cumsum()
    if wave_of_day.max() >= 4:
        wave_of_day[:] = 0
    spans = days.groupby(wave_of_day).agg(["min", "max"])
    unit = freq if freq != "auto" else _auto_freq((spans["max"] - spans["min"]).dt.days.max())
    labels = {w: _wave_label(r["min"], r["max"]) for w, r in spans.iterrows()}
    wave = dict(zip(days, wave_of_day.map(labels)))
    h["voice"] = _voice(h["voice"], VOICES)
    a_rows = arts.assign(series="articles", voice="").groupby(["series", "day", "outlet", "voice"]).size()
    h_rows = h.assign(series="hits").groupby(["series", "day", "outlet", "voice"]).size()
    rows = pd.concat([a_rows, h_rows]).rename("n").reset_index()
    rows["wave"] = rows["day"].map(wave)
    rows["period_start"], rows["period_end"] = _periods(rows["day"], unit)
    rows = (rows.groupby(["series", "wave", "period_start", "period_end", "outlet", "voice"], sort=True)["n"].sum()
            .reset_index())
    for col in ("period_start", "period_end"):
        rows[col] = rows[col].dt.strftime("%Y-%m-%d")
    rows["voice_order"] = rows["voice"].map(_rank((*VOICES, "other"))).fillna(-1).astype(int)
    rows["outlet_order"] = rows["outlet"].map(_rank(_outlet_order(rows["outlet"])))
    waves = [labels[w] for w in sorted(labels)]
    width = max(140, (MAX_WIDTH - 30 * (len(waves) - 1)) // len(waves))
    pick = alt.selection_point(name="timeline_outlet", fields=["outlet"], bind="legend", on="click",
                               clear="dblclick")
    voices = [v for v in (*VOICES, "other") if v in set(rows.loc[rows["series"] == "hits", "voice"])] or ["narrator"]
    unit_word = {"day": "day", "week": "week (from Monday)", "month": "month"}[unit]
    tip_period = [alt.Tooltip("period_start:N", title=f"{unit_word.capitalize()} from")]

    bounds = rows.groupby("wave").agg(first=("period_start", "min"), last=("period_start", "max"))
    tallest = rows.groupby(["series", "wave", "period_start"])["n"].sum().groupby("series").max()
    tallest = {series: int(tallest.get(series, 0)) for series in ("articles", "hits")}

    def x_axis(w: str) -> alt.X:
        # A panel spans its wave plus one period either side; ticks fall on whole periods, about six per panel.
        first, last = pd.Timestamp(bounds.loc[w, "first"]), pd.Timestamp(bounds.loc[w, "last"])
        lo, _ = _periods(pd.Series([first]), unit, shift=-1)
        _, hi = _periods(pd.Series([last]), unit, shift=1)
        periods = len(pd.period_range(lo[0], hi[0], freq={"day": "D", "week": "W", "month": "M"}[unit]))
        domain = [alt.DateTime(year=d.year, month=d.month, date=d.day, utc=True) for d in (lo[0], hi[0])]
        return alt.X("period_start:T", title=None, scale=alt.Scale(type="utc", domain=domain),
                     axis=alt.Axis(format="%d %b %Y" if unit != "month" else "%b %Y", labelAngle=-30,
                                   tickCount={"interval": unit, "step": max(1, math.ceil(periods / 6))}))

    def panel(series: str, w: str, first: bool) -> alt.Chart:
        is_articles = series == "articles"
        enc = dict(
            x=x_axis(w),
            x2="period_end:T",
            y=alt.Y("sum(n):Q", title=("Articles" if is_articles else "Hits") + f" per {unit}" if first else None,
                    axis=alt.Axis(format="d", **_integer_ticks(tallest[series]))),
            tooltip=[*tip_period, alt.Tooltip("outlet:N", title="Outlet"),
                     *([] if is_articles else [alt.Tooltip("voice:N", title="Voice")]),
                     alt.Tooltip("sum(n):Q", title="Articles" if is_articles else "Hits")])
        if is_articles:
            enc["color"] = alt.Color("outlet:N", title="Outlet", scale=color,
                                     legend=alt.Legend(orient="right", values=_outlet_order(rows["outlet"])))
            enc["opacity"] = alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.25))
            enc["order"] = alt.Order("outlet_order:Q")
        else:
            enc["color"] = alt.Color("voice:N", title="Voice (hits)", sort=voices,
                                     scale=alt.Scale(domain=voices, range=[VOICE_COLORS[v] for v in voices]))
            enc["order"] = alt.Order("voice_order:Q")
        chart = (alt.Chart().transform_filter(f"datum.series == '{series}' && datum.wave == '{_js(w)}'")
                 .mark_bar(stroke="white", strokeWidth=0.3).encode(**enc))
        if not is_articles:
            chart = chart.transform_filter(pick)
        name = f"timeline_{series}_{waves.index(w)}"
        return chart.properties(width=width, height=150 if is_articles else 120, name=name,
                                title=w if is_articles else "")

    top = alt.hconcat(*[panel("articles", w, i == 0) for i, w in enumerate(waves)], spacing=30)
    top.hconcat[0] = top.hconcat[0].add_params(pick)
    bottom = alt.hconcat(*[panel("hits", w, i == 0) for i, w in enumerate(waves)], spacing=30)
    return (alt.vconcat(top.resolve_scale(y="shared"), bottom.resolve_scale(y="shared"), data=rows, spacing=16)
            .resolve_scale(color="independent")
            .properties(title=_title(title, [f"Top: articles per {unit} by outlet (click one to filter); "
                                             f"bottom: phrase hits by voice.", note])))


def dispersion(dispersion: pd.DataFrame, *, families: Sequence[str] | None = None, top_families: int = 5,
               max_articles: int = 30) -> alt.FacetChart | alt.Chart:
    """Dispersion plot: where in each article each hit of the chosen families falls, coloured by voice.

    ``families`` defaults to the ``top_families`` families with most hits. Each family gets a panel listing its
    ``max_articles`` articles with most hits; a tick is a hit (hits at the same position to a thousandth of the
    text are merged, the tooltip counts them). Position 0 is the first character, 1 the last.
    """
    title = "Where the phrases fall in each article"
    if dispersion.empty:
        return _no_data(title, "there are no hits")
    df = dispersion.copy()
    chosen = list(families) if families is not None else _top_values(df["family"], top_families)
    df = df[df["family"].isin(chosen)]
    if df.empty:
        return _no_data(title, f"no hits of {', '.join(chosen) or 'the chosen families'}")
    per_article = df.groupby(["family", "article_id"]).size().rename("k").reset_index()
    per_article = per_article.sort_values(["family", "k", "article_id"], ascending=[True, False, True])
    keep = per_article.groupby("family").head(max_articles)[["family", "article_id"]]
    df = df.merge(keep, on=["family", "article_id"])
    df["voice"] = _voice(df["voice"], VOICES)
    df["position"] = df["rel_position"].clip(0, 1).round(3)
    ticks = (df.groupby(["family", "article_id", "voice", "position"], sort=True)
             .agg(hits=("start", "size"), start=("start", "min")).reset_index())
    shown = [f for f in chosen if f in set(ticks["family"])]
    voices = [v for v in (*VOICES, "other") if v in set(ticks["voice"])]
    chart = (alt.Chart(ticks).mark_tick(thickness=2, size=11, opacity=0.85).encode(
        x=alt.X("position:Q", title="Position in the article (0 = start, 1 = end)", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("article_id:N", title="Article", sort=alt.EncodingSortField("article_id"),
                axis=alt.Axis(labelLimit=180)),
        color=alt.Color("voice:N", title="Voice", sort=voices,
                        scale=alt.Scale(domain=voices, range=[VOICE_COLORS[v] for v in voices])),
        tooltip=[alt.Tooltip("article_id:N", title="Article"), alt.Tooltip("family:N", title="Family"),
                 alt.Tooltip("voice:N", title="Voice"), alt.Tooltip("position:Q", title="Position", format=".1%"),
                 alt.Tooltip("start:Q", title="Character offset"), alt.Tooltip("hits:Q", title="Hits here")])
        .properties(width=520, height=alt.Step(13), name="dispersion_ticks")
        .facet(row=alt.Row("family:N", title=None, sort=shown,
                           header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold")))
        .resolve_scale(y="independent")
        .properties(title=_title(title, f"Families: {', '.join(shown)}; for each, the {max_articles} articles with "
                                        "most hits, listed by id.")))
    return chart


# --------------------------------------------------------------------------------------------------------------
# Words, frames and quotes across outlets
# --------------------------------------------------------------------------------------------------------------

def keyness(keyness: pd.DataFrame, *, top_n: int = 15, group_col: str = "outlet",
            direction: Literal["over", "under"] = "over", groups: Sequence[str] | None = None,
            outlets: Iterable[str] | None = None) -> alt.FacetChart | alt.Chart:
    """Keyness bars per outlet (or other ``group_col``): each group's ``top_n`` key terms by G2.

    ``direction="over"`` shows terms a group uses more than the rest, ``"under"`` terms it uses less. Faint
    bars are terms that stop being key once their top article is left out (``single_article``). Bars take the
    outlet's colour when grouping by outlet (pass ``outlets`` to keep colours the same as elsewhere). ``groups``
    limits the panels to those groups (all by default: one panel per group, three to a row).
    """
    title = f"Key terms by {group_col.replace('_', ' ')} ({'over' if direction == 'over' else 'under'}-used)"
    if keyness.empty:
        return _no_data(title, "the keyness table is empty")
    df = keyness[(keyness["group_col"] == group_col) & (keyness["direction"] == direction)].copy()
    if df.empty:
        found = ", ".join(sorted(set(keyness["group_col"]))) or "none"
        return _no_data(title, f"no {direction}-used terms for group_col={group_col!r} (grouped by: {found})")
    if group_col == "outlet":
        df["group"] = _outlet_label(df["group"])
    if groups is not None:
        df = df[df["group"].isin(list(groups))]
        if df.empty:
            return _no_data(title, f"none of the groups {', '.join(groups)} has {direction}-used terms")
    df = df.sort_values(["group", "g2", "term"], ascending=[True, False, True], kind="stable")
    df = df.groupby("group", sort=True).head(top_n)
    df["note"] = np.where(df["single_article"], "key only because of one article", "")
    bars = df[["group", "term", "g2", "log_ratio", "count_target", "count_ref", "df_target", "df_ref",
               "single_article", "note"]].round({"g2": 2, "log_ratio": 3}).reset_index(drop=True)
    panels = _outlet_order(bars["group"]) if group_col == "outlet" else sorted(set(bars["group"]))
    color = (_outlet_color(bars["group"], outlets) if group_col == "outlet"
             else alt.Scale(domain=panels, range=[OUTLET_PALETTE[i % len(OUTLET_PALETTE)] for i in range(len(panels))]))
    columns = min(3, len(panels))
    width = max(140, (MAX_WIDTH - 120 * columns) // columns)
    chart = (alt.Chart(bars).mark_bar().encode(
        x=alt.X("g2:Q", title="Keyness (G2)"),
        y=alt.Y("term:N", title=None, sort="-x", axis=alt.Axis(labelLimit=120)),
        color=alt.Color("group:N", title=group_col.replace("_", " ").capitalize(), scale=color, legend=None),
        opacity=alt.when("datum.single_article").then(alt.value(0.35)).otherwise(alt.value(1.0)),
        tooltip=[alt.Tooltip("group:N", title=group_col.replace("_", " ").capitalize()),
                 alt.Tooltip("term:N", title="Term"), alt.Tooltip("g2:Q", title="G2", format=".1f"),
                 alt.Tooltip("log_ratio:Q", title="Log ratio", format=".2f"),
                 alt.Tooltip("count_target:Q", title="Uses in this group"),
                 alt.Tooltip("count_ref:Q", title="Uses elsewhere"),
                 alt.Tooltip("df_target:Q", title="Articles in this group"),
                 alt.Tooltip("note:N", title="Note")])
        .properties(width=width, height=alt.Step(14), name="keyness_bars")
        .facet(facet=alt.Facet("group:N", title=None, sort=panels, header=alt.Header(labelFontWeight="bold")),
               columns=columns)
        .resolve_scale(y="independent")
        .properties(title=_title(title, f"Top {top_n} terms per group by log-likelihood G2; faint = key only "
                                        "because of a single article.")))
    return chart


def frame_shares(frames: pd.DataFrame, sentences: pd.DataFrame, articles: pd.DataFrame, *,
                 top_outlets: int = 15) -> alt.LayerChart | alt.Chart:
    """Frame shares per outlet: the share of each outlet's sentences that carry each generic frame's cues.

    The denominator is all the outlet's sentences (``sentences``), so outlets of different sizes compare; a
    sentence may carry several frames, so an outlet's shares need not sum to 1. The tooltip shows the sentence
    with most cues for that outlet and frame, and its article.
    """
    title = "Frames by outlet: share of sentences carrying each frame"
    if frames.empty or sentences.empty:
        return _no_data(title, "there are no frame cues" if frames.empty else "there are no sentences")
    sents = _with_outlet(sentences[["article_id", "sent_id", "text"]], articles)
    sents["outlet"] = _keep_top(sents["outlet"], top_outlets)
    totals = sents.groupby("outlet").size().rename("outlet_sentences")
    f = frames.merge(sents, on=["article_id", "sent_id"], how="inner")
    if f.empty:
        return _no_data(title, "no frame cue falls in a known sentence")
    f = f.sort_values(["outlet", "frame", "n_cues", "article_id", "sent_id"],
                      ascending=[True, True, False, True, True], kind="stable")
    f = f.drop_duplicates(["article_id", "sent_id", "frame"])  # a sentence counts once per frame
    cells = (f.groupby(["outlet", "frame"], sort=True)
             .agg(sentences=("sent_id", "size"), example=("text", "first"), article_id=("article_id", "first"),
                  cues=("cues", "first"))
             .reset_index())
    cells = cells.merge(totals, on="outlet")
    cells["share"] = (cells["sentences"] / cells["outlet_sentences"]).round(4)
    cells["example"] = cells["example"].map(_clip)
    order = _outlet_order(cells["outlet"])
    frame_order = (cells.groupby("frame")["sentences"].sum().reset_index()
                   .sort_values(["sentences", "frame"], ascending=[False, True])["frame"].tolist())
    step = _step(len(order), lo=22, hi=46)
    base = alt.Chart().encode(
        x=alt.X("outlet:N", title="Outlet", sort=order, axis=alt.Axis(labelAngle=-45, labelLimit=110)),
        y=alt.Y("frame:N", title="Frame", sort=frame_order, axis=alt.Axis(labelLimit=200)))
    rect = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("share:Q", title="Share of sentences", scale=alt.Scale(scheme="purples", domainMin=0),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("outlet:N", title="Outlet"), alt.Tooltip("frame:N", title="Frame"),
                 alt.Tooltip("share:Q", title="Share of the outlet's sentences", format=".1%"),
                 alt.Tooltip("sentences:Q", title="Sentences with the frame"),
                 alt.Tooltip("outlet_sentences:Q", title="All the outlet's sentences"),
                 alt.Tooltip("example:N", title="Example sentence"), alt.Tooltip("article_id:N", title="Article"),
                 alt.Tooltip("cues:N", title="Its cues")])
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.when("datum.share > 0.5 * " + str(float(cells["share"].max())))
        .then(alt.value("white")).otherwise(alt.value("#222")))
    return (alt.layer(rect, text, data=cells)
            .properties(width=alt.Step(step), height=alt.Step(20), name="frame_cells",
                        title=_title(title, "A sentence can carry several frames; cue lexicon: Media Frames "
                                            "(Boydstun et al.).")))


def quote_lineage(quote_lineage: pd.DataFrame, *, top_n: int = 12, top_outlets: int = 15) -> alt.LayerChart | alt.Chart:
    """Quote lineage: which outlet carried which fragment of each source statement, and how faithfully.

    Rows are the ``top_n`` statements carried by most outlets, columns outlets (``top_outlets``, rest merged).
    A cell means the outlet quoted the statement; its colour is the similarity of its least faithful fragment to
    the fullest wording (100 = verbatim) and its label the number of fragments. The tooltip shows that fragment,
    its article and the words that differ.
    """
    title = "Quote lineage: who carried which fragment of a statement"
    if quote_lineage.empty:
        return _no_data(title, "no quote was carried by more than one article")
    df = quote_lineage.copy()
    df["outlet"] = _keep_top(_outlet_label(df["outlet"]), top_outlets)
    reach = (df.groupby("statement_id").agg(outlets=("outlet", "nunique"), fragments=("quote_id", "size"))
             .reset_index().sort_values(["outlets", "fragments", "statement_id"], ascending=[False, False, True]))
    chosen = reach.head(top_n)["statement_id"].tolist()
    df = df[df["statement_id"].isin(chosen)]
    canonical = (df.assign(k=df["canonical_text"].str.len())
                 .sort_values(["statement_id", "k", "canonical_text"], ascending=[True, False, True])
                 .drop_duplicates("statement_id").set_index("statement_id")["canonical_text"])
    labels = {s: f"{s}: {_clip(canonical[s], 60)}" for s in chosen}
    df = df.sort_values(["statement_id", "outlet", "similarity", "article_id", "quote_id"], kind="stable")
    cells = (df.groupby(["statement_id", "outlet"], sort=True)
             .agg(fragments=("quote_id", "size"), similarity=("similarity", "first"),
                  mean_similarity=("similarity", "mean"), fragment=("text", "first"),
                  article_id=("article_id", "first"), differs=("differs", "first"),
                  articles=("article_id", lambda s: _clip("; ".join(sorted(set(s))), 120)))
             .reset_index())
    cells["statement"] = cells["statement_id"].map(labels)
    cells["canonical_text"] = cells["statement_id"].map(canonical).map(_clip)
    cells["fragment"] = cells["fragment"].map(_clip)
    cells["differs"] = cells["differs"].map(lambda s: _clip(s, 120))
    cells[["similarity", "mean_similarity"]] = cells[["similarity", "mean_similarity"]].round(1)
    order = _outlet_order(cells["outlet"])
    step = _step(len(order), lo=22, hi=46)
    base = alt.Chart().encode(
        x=alt.X("outlet:N", title="Outlet", sort=order, axis=alt.Axis(labelAngle=-45, labelLimit=110)),
        y=alt.Y("statement:N", title=None, sort=[labels[s] for s in chosen], axis=alt.Axis(labelLimit=320)))
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("similarity:Q", title="Similarity (100 = verbatim)",
                        scale=alt.Scale(domain=[50, 100], clamp=True, scheme="greens")),
        tooltip=[alt.Tooltip("outlet:N", title="Outlet"), alt.Tooltip("canonical_text:N", title="Statement"),
                 alt.Tooltip("fragment:N", title="Least faithful fragment"),
                 alt.Tooltip("article_id:N", title="Its article"),
                 alt.Tooltip("similarity:Q", title="Its similarity", format=".0f"),
                 alt.Tooltip("differs:N", title="Words that differ"),
                 alt.Tooltip("fragments:Q", title="Fragments"), alt.Tooltip("articles:N", title="Articles")])
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("fragments:Q", format="d"),
        color=alt.when("datum.similarity > 85").then(alt.value("white")).otherwise(alt.value("#222")))
    return (alt.layer(rect, text, data=cells)
            .properties(width=alt.Step(step), height=alt.Step(22), name="lineage_cells",
                        title=_title(title, [f"Rows: the {len(chosen)} source statements quoted by most outlets (fullest "
                                             "wording); columns: outlets.", "Cell label: fragments; colour: "
                                             "similarity of the least faithful one to the fullest wording."])))


# --------------------------------------------------------------------------------------------------------------
# The data behind a chart
# --------------------------------------------------------------------------------------------------------------

def data(chart: alt.TopLevelMixin) -> pd.DataFrame:
    """The table behind ``chart`` (its inline data), as the report offers it for download.

    A chart with several inline datasets gives them stacked, with a ``dataset`` column naming each.
    """
    spec = chart.to_dict()
    found: dict[str, list] = dict(spec.get("datasets", {}))
    _inline_values(spec, found)
    frames = [pd.DataFrame(rows) for rows in found.values()]
    if not frames:
        return pd.DataFrame()
    if len(frames) == 1:
        return frames[0]
    return pd.concat([f.assign(dataset=name) for name, f in zip(found, frames)], ignore_index=True)


def _inline_values(node: object, found: dict[str, list]) -> None:
    # Specs built without consolidated datasets carry rows as data.values anywhere in the tree.
    if isinstance(node, dict):
        values = node.get("data", {}).get("values") if isinstance(node.get("data"), dict) else None
        if isinstance(values, list):
            found[f"values-{len(found)}"] = values
        for value in node.values():
            _inline_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _inline_values(value, found)


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------

def _no_data(title: str, reason: str) -> alt.Chart:
    message = pd.DataFrame({"message": [f"Nothing to chart: {reason}."]})
    return (alt.Chart(message).mark_text(fontSize=13, color="#666", align="left", x=5, y=20)
            .encode(text="message:N")
            .properties(width=420, height=40, title=_title(f"{title} - no data", reason)))


def _title(text: str, subtitle: str | Sequence[str] = ()) -> alt.TitleParams:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return alt.TitleParams(text, subtitle=lines, anchor="start", fontSize=15, subtitleColor="#555")


def _outlet_label(outlets: pd.Series) -> pd.Series:
    clean = outlets.fillna("").astype(str).str.strip()
    return clean.where(clean != "", UNKNOWN)


def _with_outlet(df: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its article's outlet (``(unknown)`` for an article not in ``articles`` or with no outlet)."""
    outlets = articles[["article_id", "outlet"]].drop_duplicates("article_id")
    out = df.merge(outlets, on="article_id", how="left", suffixes=("", "_article"))
    out["outlet"] = _outlet_label(out["outlet"])
    return out


def _outlet_words(articles: pd.DataFrame, *, keep: pd.Series) -> pd.DataFrame:
    """Words per outlet label in ``keep``; outlets not in it count towards ``(other outlets)``."""
    a = articles[["article_id", "outlet", "n_words"]].drop_duplicates("article_id").copy()
    a["outlet"] = _outlet_label(a["outlet"])
    a["outlet"] = a["outlet"].where(a["outlet"].isin(set(keep)), OTHER_OUTLETS)
    return a.groupby("outlet")["n_words"].sum().rename("words").reset_index()


def _keep_top(outlets: pd.Series, k: int, *, weights: pd.Series | None = None) -> pd.Series:
    """Outlet labels with all but the ``k`` largest (by rows or ``weights``; ties by name) merged as other."""
    totals = (weights if weights is not None else pd.Series(1, index=outlets.index)).groupby(outlets).sum()
    ranked = totals.reset_index().set_axis(["outlet", "w"], axis=1).sort_values(["w", "outlet"],
                                                                                ascending=[False, True])
    if len(ranked) <= k:
        return outlets
    log.debug("charting the %d largest of %d outlets; the rest are merged as %s", k, len(ranked), OTHER_OUTLETS)
    return outlets.where(outlets.isin(set(ranked["outlet"].head(k))), OTHER_OUTLETS)


def _top_values(values: pd.Series, k: int, *, weights: pd.Series | None = None) -> list[str]:
    """The ``k`` commonest values (by rows or ``weights``), most first, ties by name."""
    totals = (weights if weights is not None else pd.Series(1, index=values.index)).groupby(values).sum()
    ranked = totals.reset_index().set_axis(["value", "w"], axis=1).sort_values(["w", "value"],
                                                                               ascending=[False, True])
    return ranked["value"].head(k).tolist()


def _outlet_order(outlets: Iterable[str]) -> list[str]:
    names = set(outlets)
    return sorted(names - set(GREYS)) + [g for g in GREYS if g in names]


def _outlet_color(present: Iterable[str], outlets: Iterable[str] | None) -> alt.Scale:
    """Outlet colour scale: colour i of the palette for the i-th outlet in sorted order, grey for unknown/other.

    The order comes from ``outlets`` (all outlets of the corpus) when given, so a chart whose table lacks some
    outlets still colours the rest as the other charts do.
    """
    known = set(_outlet_label(pd.Series(list(outlets), dtype=object))) if outlets is not None else set()
    seen = known | set(present)
    names = sorted(seen - set(GREYS))
    greys = [g for g in GREYS if g in seen]
    domain = names + greys
    colors = [OUTLET_PALETTE[i % len(OUTLET_PALETTE)] for i in range(len(names))] + [GREYS[g] for g in greys]
    return alt.Scale(domain=domain, range=colors)


def _voice(voices: pd.Series, known: Sequence[str]) -> pd.Series:
    clean = voices.fillna("").astype(str)
    return clean.where(clean.isin(list(known)), "other")


def _rank(values: Sequence[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


def _examples(df: pd.DataFrame, keys: list[str], col: str, k: int = 3) -> pd.Series:
    """Per group of ``keys``, the ``k`` commonest values of ``col`` with counts: ``Asian NATO (3); Asia-style NATO (1)``.

    Vectorised (one groupby, one sort) because a large corpus has thousands of groups.
    """
    counts = df[df[col] != ""].groupby([*keys, col]).size().rename("_n").reset_index()
    counts = counts.sort_values([*keys, "_n", col], ascending=[True] * len(keys) + [False, True], kind="stable")
    counts = counts.groupby(keys, sort=False).head(k)
    counts["_item"] = counts[col].astype(str) + " (" + counts["_n"].astype(str) + ")"
    return counts.groupby(keys, sort=True)["_item"].agg("; ".join).map(_clip)


def _records(df: pd.DataFrame) -> alt.InlineData:
    """``df`` as inline rows with its empty cells as JSON null. For a table whose rows are of different kinds (the
    network's edges and nodes): Altair's own conversion turns empty cells of object columns into NaN, which JSON
    cannot carry (the notebook then shows them as the string "nan")."""
    return alt.InlineData(values=json.loads(df.to_json(orient="records", double_precision=15)))


def _clip(text: str, limit: int = CLIP) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _spread(n: int, k: int) -> list[int]:
    """Up to ``k`` row positions evenly spread over ``n`` sorted rows (always the first and the last)."""
    if n <= k:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, k).round().astype(int).tolist()))


def _step(n: int, *, lo: int, hi: int) -> int:
    """Band width (px) so ``n`` bands fit ``MAX_WIDTH``, kept between ``lo`` and ``hi``."""
    return int(min(hi, max(lo, MAX_WIDTH // max(n, 1))))


def _score(score: str) -> tuple[str, float, float]:
    if score not in SCORES:
        raise ValueError(f"score must be one of {', '.join(SCORES)}, not {score!r}")
    return SCORES[score]


def _legend_values(values: pd.Series, k: int = 4) -> list[int]:
    """Up to ``k`` whole numbers spread from the smallest to the largest of ``values``, for a size legend."""
    return sorted(set(np.linspace(values.min(), values.max(), k).round().astype(int).tolist()))


def _integer_ticks(top: int) -> dict:
    """Axis options for a count axis: every whole number up to a small maximum, else whole-number ticks."""
    return {"values": list(range(top + 1))} if top <= 6 else {"tickMinStep": 1}


def _auto_freq(span_days: int) -> str:
    return "day" if span_days <= 45 else "week" if span_days <= 366 else "month"


def _periods(days: pd.Series, unit: str, *, shift: int = 0) -> tuple[pd.Series, pd.Series]:
    """Start and end (exclusive) of the day, week (from Monday) or month of each date, ``shift`` periods on."""
    if unit == "day":
        start = days + pd.Timedelta(days=shift)
        return start, start + pd.Timedelta(days=1)
    if unit == "week":
        start = days - pd.to_timedelta(days.dt.weekday, unit="D") + pd.Timedelta(days=7 * shift)
        return start, start + pd.Timedelta(days=7)
    if unit == "month":
        start = (days.dt.to_period("M") + shift).dt.start_time
        return start, start + pd.offsets.MonthBegin(1)
    raise ValueError(f"freq must be 'auto', 'day', 'week' or 'month', not {unit!r}")


def _wave_label(first: pd.Timestamp, last: pd.Timestamp) -> str:
    if first == last:
        return f"{first:%d %b %Y}"
    if first.year == last.year:
        return f"{first:%d %b} – {last:%d %b %Y}"
    return f"{first:%b %Y} – {last:%b %Y}"


def _undated_note(n_articles: int, undated: pd.DataFrame, n_hits: int) -> str:
    if undated.empty:
        return f"All {n_articles} articles have a full date."
    # Say how many of the undated articles give a partial date and how many give none, so the note never
    # attributes a partial date ("Jun. 30") to articles that have no date at all.
    partial = undated["date_text"].fillna("") != ""
    written = sorted(set(undated.loc[partial, "date_text"]))
    shown = f"{', '.join(repr(w) for w in written[:3])}{' ...' if len(written) > 3 else ''}"
    n_partial, n_none = int(partial.sum()), int((~partial).sum())
    parts = [f"{n_partial} give{'s' if n_partial == 1 else ''} only {shown}"] if n_partial else []
    parts += [f"{n_none} give{'s' if n_none == 1 else ''} none"] if n_none else []
    return (f"{len(undated)} of {n_articles} articles have no full date ({'; '.join(parts)}) and are not placed; "
            f"they carry {n_hits} hit{'s' if n_hits != 1 else ''}.")


def _js(text: str) -> str:
    """``text`` escaped for a single-quoted Vega expression string."""
    return text.replace("\\", "\\\\").replace("'", "\\'")
