"""The findings a researcher would say first about a run, each with its n and the sentences behind it.

Every finding is a plain sentence with its counts, a flag when it rests on a single hit or a single article, and
either the sentences it was counted from (the index lists them in an appendix and links to them) or a link to
the stage report section that shows them. A finding whose table is missing or empty is left out, so the index
says only what the run can support.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import tables

log = logging.getLogger(__name__)

UNKNOWN_OUTLET = "(unknown)"
OWN_VOICE = "narrator"
QUOTED = ("direct_quote", "partial_quote", "paraphrase")
VOICE_WORDS = {"narrator": "in an outlet's own voice", "direct_quote": "in direct quotes",
               "partial_quote": "in partial quotes", "scare_quote": "as scare quotes (quote marks, nobody named)",
               "paraphrase": "in reported speech"}
EVIDENCE = ["outlet", "article_id", "voice", "speaker", "sentence"]
NO_SPEAKER = "(no speaker found)"
FIRST_PERSON = {"i", "we", "me", "us"}  # a speaker the writer is: never inside quote marks (quotes.py)


@dataclass
class Finding:
    """One finding: ``text`` (plain sentence), ``n`` (what it counts; None for a warning, which counts nothing),
    ``thin`` (rests on one hit or article),
    ``evidence`` (rows of ``EVIDENCE``: the sentences behind it) or ``see`` (a report link, ``page#anchor``)."""

    key: str
    text: str
    n: int | None
    thin: bool = False
    evidence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EVIDENCE))
    see: str = ""


def all_findings(data_dir: str | Path, *, top: int = 3) -> list[Finding]:
    """Every finding the run's tables support, in reading order (profile fit warnings, corpus, phrase families,
    techniques, speakers, key terms, frames). A missing table leaves its findings out and is logged at INFO."""
    found = []
    for finder in (profile_fit, corpus, families, techniques, quoted_speakers, key_terms, frames):
        try:
            found.extend(finder(Path(data_dir), top=top))
        except (FileNotFoundError, KeyError) as err:
            log.info("findings on %s left out: %s", finder.__name__, err)
    return found


def profile_fit(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """Where the story profile does not fit the corpus (``analysis/profiles.py``), said first."""
    fit = tables.read("profile_fit", data_dir)
    return [Finding(f"fit-{k}", f"Warning: {finding}", None)
            for k, finding in enumerate(fit.loc[~fit["fits"], "finding"])]


def _most(outlets: dict, top: int) -> str:
    """" (most from A (n), B (m))", or nothing when no outlet has more articles than another: "most from" a tie
    of equals would pick outlets by their order in the corpus."""
    counts = pd.Series(list(outlets.values()), dtype=str).value_counts()
    if counts.empty or counts.iloc[0] == counts.iloc[-1]:
        return ""
    return " (most from " + ", ".join(f"{o} ({n})" for o, n in counts.head(top).items()) + ")"


def corpus(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """How many articles, from how many outlets; how many were excluded as non-English, failed, were skipped
    or flagged as duplicates."""
    articles, skipped = tables.read("articles", data_dir), tables.read("skipped", data_dir)
    outlets, nameless = _outlets(articles), unnamed(articles)
    named = {a: o for a, o, u in zip(articles["article_id"], outlets.values(), nameless) if not u}
    parts = [f"{_n(len(articles), 'article')} from {_n(len(set(named.values())), 'named outlet')}{_most(named, top)}"
             + (f" and {int(nameless.sum())} with no named outlet" if nameless.any() else "")]
    if "is_english" in articles and (~articles["is_english"]).any():
        parts.append(f"{_n(int((~articles['is_english']).sum()), 'article')} excluded from the analysis as "
                     "non-English")
    failed = _failures(data_dir)
    if failed:
        parts.append(f"{_n(failed, 'article')} that failed in a stage (listed in the failures table)")
    parts.append(f"{_n(len(skipped), 'input')} skipped")
    dup = int((articles["duplicate_of"] != "").sum()) if "duplicate_of" in articles else 0
    parts.append(f"{_n(dup, 'article')} flagged as duplicates (kept)")
    return [Finding("corpus", "; ".join(parts) + ".", len(articles), thin=len(articles) == 1)]


def _failures(data_dir: Path) -> int:
    # The failures table exists only where a run recorded failed articles; a run without one failed nothing.
    try:
        failed = tables.read("failures", data_dir)
    except (KeyError, FileNotFoundError, ValueError) as err:
        log.info("no failures table: %s", err)
        return 0
    return int(failed["article_id"].nunique()) if "article_id" in failed else len(failed)


def families(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """For the ``top`` phrase families with most hits: how many uses, in how many articles and outlets, how many
    in an outlet's own voice, and whose quotes carry them."""
    hits, articles = tables.read("hits", data_dir), tables.read("articles", data_dir)
    if hits.empty:
        return [Finding("families", "No phrase of the lexicon occurs in the corpus.", 0)]
    evidence = _evidence(hits, articles, tables.read("sentences", data_dir))
    out = []
    for family in hits["family"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index[:top]:
        mine = evidence[hits["family"].to_numpy() == family]
        n, n_articles = len(mine), mine["article_id"].nunique()
        voices = mine["voice"].value_counts()
        split = ", ".join(f"{int(voices.get(v, 0))} {VOICE_WORDS[v]}" for v in VOICE_WORDS
                          if v == OWN_VOICE or voices.get(v, 0))
        text = (f"The phrase family “{family}” is used {_n(n, 'time')} in {_n(n_articles, 'article')} "
                f"from {_n(mine['outlet'].nunique(), 'outlet')}: {split}." + _carriers(mine, top))
        out.append(Finding(f"family-{family}", _thin_note(text, n, n_articles), n, thin=n == 1 or n_articles == 1,
                           evidence=mine))
    return out


def _carriers(hits: pd.DataFrame, top: int) -> str:
    """" The quotes that carry it are A (n), B (m); k uses in quotes with no speaker found.", for the uses of
    ``hits`` in quotes and reported speech; those whose speaker was not found are counted apart, not listed as if
    "(no speaker found)" were a speaker. A first-person speaker ("I said", in a column) is the writer."""
    speakers = hits.loc[hits["voice"].isin(QUOTED), "speaker"]
    speakers = speakers.mask(speakers.str.lower().isin(FIRST_PERSON), "the writer")
    unnamed = int((speakers == NO_SPEAKER).sum())
    whose = ", ".join(f"{s} ({k})" for s, k in speakers[speakers != NO_SPEAKER].value_counts().head(top).items())
    missing = f"{_n(unnamed, 'use')} in quotes with no speaker found" if unnamed else ""
    if whose:
        return f" The quotes that carry it are {whose}" + (f"; {missing}." if missing else ".")
    return f" It is carried by {missing}." if missing else ""


def techniques(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """Which persuasion techniques (SemEval-2023 Task 3, the hits' ``techniques``) each outlet carries in its own
    voice and in quotes, one finding per outlet with hits, most hits first."""
    hits, articles = tables.read("hits", data_dir), tables.read("articles", data_dir)
    if hits.empty:
        return []
    evidence = _evidence(hits, articles, tables.read("sentences", data_dir))
    rows = evidence.assign(technique=hits["techniques"].fillna("").str.split(";").to_numpy()).explode("technique")
    rows = rows[rows["technique"].str.strip() != ""]
    out = []
    for outlet in rows["outlet"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index[:top * 2]:
        mine = rows[rows["outlet"] == outlet]
        own = _technique_counts(mine[mine["voice"] == OWN_VOICE])
        other = _technique_counts(mine[mine["voice"] != OWN_VOICE])
        hit_rows = evidence[evidence["outlet"] == outlet]
        n, n_articles = len(hit_rows), hit_rows["article_id"].nunique()
        text = (f"{outlet}, in its own voice: {own or 'no persuasion technique'}; in quotes and scare quotes: "
                f"{other or 'none'} ({_n(n, 'hit')} in {_n(n_articles, 'article')}).")
        out.append(Finding(f"techniques-{len(out)}", _thin_note(text, n, n_articles), n,
                           thin=n == 1 or n_articles == 1, evidence=hit_rows))
    return out


def _technique_counts(rows: pd.DataFrame) -> str:
    counts = rows["technique"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    return ", ".join(f"{t.replace('_', ' ')} ({k})" for t, k in counts.items())


def quoted_speakers(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """The ``top`` most quoted speakers, each with its number of statements (quotes no other quote of theirs holds:
    ``quotes.within``), articles and the reporting verbs that introduce it (``quotes.cue_lemma``)."""
    quotes, articles = tables.read("quotes", data_dir), tables.read("articles", data_dir)
    quotes = quotes[quotes["within"] == ""]  # 'said the state is "spiraling"': one statement, not two quotes
    who = quotes["speaker_actor"].where(quotes["speaker_actor"] != "", quotes["speaker"])
    # "I think ..." outside quote marks is the writer's own view (an opinion piece), not a quoted source
    quotes = quotes.assign(who=who)[(who != "") & ~who.str.lower().isin(FIRST_PERSON)]
    if quotes.empty:
        return []
    sentences = tables.read("sentences", data_dir)
    out = []
    for speaker in quotes["who"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index[:top]:
        mine = quotes[quotes["who"] == speaker]
        verbs = mine["cue_lemma"].replace("", "no verb").value_counts().head(4)
        said = ", ".join(f"{v} ({k})" for v, k in verbs.items())
        n, n_articles = len(mine), mine["article_id"].nunique()
        text = (f"{speaker} is quoted {_n(n, 'time')} in {_n(n_articles, 'article')}, introduced with {said}.")
        out.append(Finding(f"speaker-{len(out)}", _thin_note(text, n, n_articles), n,
                           thin=n == 1 or n_articles == 1, evidence=_quote_evidence(mine, articles, sentences)))
    return out


def key_terms(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """The strongest key term of each group (by G2), leaving out terms key only because of one article and a
    group's own name (an outlet naming itself, "POLITICO" in Politico's articles: house style, not framing)."""
    keyness = tables.read("keyness", data_dir)
    over = keyness[(keyness["direction"] == "over") & ~keyness["single_article"]]
    # .loc: a list mask that is empty would select no columns with [], and the sort below would fail on "g2"
    over = over.loc[[not _own_name(term, group) for term, group in zip(over["term"], over["group"])]]
    best = over.sort_values(["g2", "term"], ascending=[False, True]).groupby("group", sort=True).head(1).head(top * 2)
    if best.empty:
        return []
    terms = "; ".join(f"{r.group}: “{r.term}” (G2 {r.g2:.1f})" for r in best.itertuples())
    text = (f"Strongest key terms: {terms}. G2 (log-likelihood) measures how surprising a term's frequency in one "
            "outlet is against all the others: above 3.8 the difference would arise by chance less than 1 time in "
            "20, above 10.8 less than 1 in 1,000. Terms key only because of one article are left out here.")
    return [Finding("key-terms", text, len(best), see="03_rhetoric.html#Keyness")]


def _own_name(term: str, group: str) -> bool:
    """True when every word of ``term`` is a word of the group's name ("hill" of The Hill), whatever the case."""
    words = set(re.findall(r"\w+", str(group).lower()))
    found = re.findall(r"\w+", str(term).lower())
    return bool(found) and set(found) <= words


def frames(data_dir: Path, *, top: int = 3) -> list[Finding]:
    """The most frequent frames (sentences carrying a cue of the frame)."""
    frame_df = tables.read("frames", data_dir)
    counts = frame_df["frame"].value_counts().head(top)
    if counts.empty:
        return []
    text = ("Most frequent frames (sentences with a cue word of the frame): "
            + ", ".join(f"{f} ({n})" for f, n in counts.items()) + ".")
    return [Finding("frames", text, int(counts.sum()), see="03_rhetoric.html#Frames")]


def as_frame(data_dir: str | Path) -> pd.DataFrame:
    """The findings as a table (``finding``, ``n``, ``thin``), for display in a notebook."""
    found = all_findings(data_dir)
    return pd.DataFrame({"finding": [f.text for f in found], "n": [f.n for f in found],
                         "thin": [f.thin for f in found]})


def unnamed(articles: pd.DataFrame) -> pd.Series:
    """Articles whose outlet nobody named (no manifest, field, metadata, text or dateline gave one): each has a label
    of its own, never pooled, so they are no outlets to count."""
    if "outlet_source" in articles:
        return articles["outlet_source"].fillna("unknown").eq("unknown")
    return articles["outlet"].fillna("").eq("")


def _outlets(articles: pd.DataFrame) -> dict[str, str]:
    outlet = articles["outlet"].fillna("").astype(str).str.strip().replace("", UNKNOWN_OUTLET)
    return dict(zip(articles["article_id"], outlet))


def _evidence(hits: pd.DataFrame, articles: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """One row of ``EVIDENCE`` per hit, in the order of ``hits``: its outlet, voice, speaker and sentence."""
    text = dict(zip(zip(sentences["article_id"], sentences["sent_id"]), sentences["text"]))
    speaker = hits["speaker_actor"].where(hits["speaker_actor"] != "", hits["speaker"]).replace("", NO_SPEAKER)
    speaker = speaker.where(hits["voice"].isin(QUOTED), "")
    return pd.DataFrame({"outlet": hits["article_id"].map(_outlets(articles)).fillna(UNKNOWN_OUTLET),
                         "article_id": hits["article_id"], "voice": hits["voice"], "speaker": speaker,
                         "sentence": [text.get(k, m) for k, m in zip(zip(hits["article_id"], hits["sent_id"]),
                                                                    hits["matched_text"])]},
                        columns=EVIDENCE).reset_index(drop=True)


def _quote_evidence(quotes: pd.DataFrame, articles: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """One row of ``EVIDENCE`` per quote: the sentence in which the quote starts (the quote itself if none)."""
    pairs = quotes[["article_id", "start", "text", "kind", "who"]].reset_index(drop=True).reset_index().merge(
        sentences[["article_id", "start", "end", "text"]], on="article_id", suffixes=("", "_sent"))
    inside = pairs[(pairs["start_sent"] <= pairs["start"]) & (pairs["start"] < pairs["end"])]
    sentence = inside.drop_duplicates("index").set_index("index")["text_sent"]
    rows = quotes.reset_index(drop=True)
    return pd.DataFrame({"outlet": rows["article_id"].map(_outlets(articles)).fillna(UNKNOWN_OUTLET),
                         "article_id": rows["article_id"], "voice": rows["kind"] + " quote", "speaker": rows["who"],
                         "sentence": sentence.reindex(rows.index).fillna(rows["text"])}, columns=EVIDENCE)


def _thin_note(text: str, n: int, n_articles: int) -> str:
    if n == 1:
        return text + " This rests on a single use: read it, do not generalise from it."
    if n_articles == 1:
        return text + " All of it comes from a single article."
    return text


def _n(k: int, noun: str) -> str:
    return f"{k:,} {noun}" if k == 1 else f"{k:,} {noun}s"
