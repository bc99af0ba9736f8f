"""Sentence sentiment from two lexicons, and aggregates that always carry their n.

Each sentence gets TextBlob's pattern-lexicon polarity and subjectivity (with the word-level assessments that
produced them) and VADER's compound score. Both are kept because they disagree, and neither knows this genre:
words such as "stooges", "hell-bent" or "puppet" are in neither lexicon, while "security", "peace" or the name
"Freedom Edge" score as positive. Read the aggregates as "what a general-purpose lexicon makes of the wording",
never as the stance of a sentence; ``misreads`` lists the sentences where that matters.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import yaml

log = logging.getLogger(__name__)

MEASURES = ("tb_polarity", "tb_subjectivity", "vader_compound")
_WORD = re.compile(r"[\w'’-]+")


class Score(NamedTuple):
    """One sentence's scores, with TextBlob's assessments: (words, polarity, subjectivity) per assessed chunk."""

    tb_polarity: float
    tb_subjectivity: float
    vader_compound: float
    assessments: tuple[tuple[str, float, float], ...]


@cache
def analyzers():
    """TextBlob's pattern sentiment lexicon and a VADER analyzer, constructed once per process.

    The pattern lexicon is the one ``TextBlob(text).sentiment_assessments`` (PatternAnalyzer) uses; it is called
    directly because PatternAnalyzer scores every text twice when it keeps the assessments. Only sentiment is used
    from TextBlob: its tokenisers need NLTK corpora, which the workbook does not install.
    """
    from textblob.en import sentiment as pattern_lexicon

    pattern_lexicon("good")  # load the XML lexicon now rather than inside the first document
    return pattern_lexicon, _linear_vader()


def _linear_vader():
    """VADER's analyzer with its per-word checks made linear in the sentence's length.

    VADER's negation and idiom checks lower-case the whole sentence again for every lexicon word, and its "but"
    check looks each score up by value, so a sentence of n words costs n^2: a paragraph of words with no full
    stop, which the parser leaves as one sentence, took minutes. The checks only look three words back and two
    ahead, so they get that window (the scores are the same). The "but" check runs as published up to
    ``BUT_EXACT_WORDS`` words; above, it scales each score by its position before or after the first "but" (what
    the published check means to do: it finds each score by value, so equal scores can be scaled twice).
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    class LinearVader(SentimentIntensityAnalyzer):
        @staticmethod
        def _negation_check(valence, words, start_i, i):
            if i < 3:  # VADER reads words[i - 3] even then, wrapping to the sentence's end: keep that
                return SentimentIntensityAnalyzer._negation_check(valence, words, start_i, i)
            return SentimentIntensityAnalyzer._negation_check(valence, words[i - 3:i + 1], start_i, 3)

        @staticmethod
        def _special_idioms_check(valence, words, i):
            if i < 3:
                return SentimentIntensityAnalyzer._special_idioms_check(valence, words, i)
            return SentimentIntensityAnalyzer._special_idioms_check(valence, words[i - 3:i + 3], 3)

        @staticmethod
        def _but_check(words, sentiments):
            if len(words) <= BUT_EXACT_WORDS:
                return SentimentIntensityAnalyzer._but_check(words, sentiments)
            lower = [str(w).lower() for w in words]
            if "but" not in lower:
                return sentiments
            bi = lower.index("but")
            return [v * 0.5 if k < bi else v * 1.5 if k > bi else v for k, v in enumerate(sentiments)]

    return LinearVader()


BUT_EXACT_WORDS = 1000


@lru_cache(maxsize=1 << 13)
def score(text: str) -> Score:
    """TextBlob polarity/subjectivity (with assessments) and VADER compound for one sentence.

    Cached by text: wire copy repeats sentences verbatim across outlets.
    """
    pattern_lexicon, vader = analyzers()
    result = pattern_lexicon(text)
    assessed = tuple((" ".join(words), float(p), float(s)) for words, p, s, _ in result.assessments)
    return Score(float(result[0]), float(result[1]), float(vader.polarity_scores(text)["compound"]), assessed)


def vader_words(text: str) -> list[tuple[str, float]]:
    """The words of ``text`` that are in VADER's lexicon, with their valence before VADER's rules (-4..4)."""
    lexicon = analyzers()[1].lexicon
    words = (w.strip("'’").lower() for w in _WORD.findall(text))
    return [(w, float(lexicon[w])) for w in words if w in lexicon]


def by_outlet(sentences: pd.DataFrame, articles: pd.DataFrame, *, measures: Sequence[str] = MEASURES) -> pd.DataFrame:
    """Sentence sentiment per outlet: one row per outlet and measure with n (sentences), n_articles, mean, median
    and sd. Articles with no outlet are grouped as "(unknown)"."""
    return summarise(_with_outlet(sentences, articles), ["outlet"], measures=measures)


def by_voice(sentences: pd.DataFrame, articles: pd.DataFrame, *, measures: Sequence[str] = MEASURES,
             per_outlet: bool = True) -> pd.DataFrame:
    """Sentence sentiment by voice (the outlet's own narration vs quoted speech), per outlet unless
    ``per_outlet`` is False."""
    keys = ["outlet", "voice"] if per_outlet else ["voice"]
    return summarise(_with_outlet(sentences, articles), keys, measures=measures)


def by_target(sentences: pd.DataFrame, mentions: pd.DataFrame, articles: pd.DataFrame, *,
              measures: Sequence[str] = MEASURES, roles: Sequence[str] = ("target",),
              per_outlet: bool = False) -> pd.DataFrame:
    """Sentiment of the sentences that name each actor (context ``named``) against the sentences in which it has
    one of ``roles`` (context ``target`` by default): does the wording turn negative when an actor is acted upon?
    A sentence counts once per actor and context however often it names the actor."""
    named = mentions[mentions["actor"] != ""]
    parts = [named.assign(context="named")]
    parts += [named[named["role"] == role].assign(context=role) for role in roles]
    keys = ["article_id", "sent_id", "actor", "context"]
    links = pd.concat(parts, ignore_index=True)[keys].drop_duplicates()
    frame = links.merge(_with_outlet(sentences, articles), on=["article_id", "sent_id"], how="inner")
    return summarise(frame, (["outlet"] if per_outlet else []) + ["actor", "context"], measures=measures)


def summarise(frame: pd.DataFrame, keys: Sequence[str], *, measures: Sequence[str] = MEASURES) -> pd.DataFrame:
    """Long-format summary of ``measures`` grouped by ``keys``: n, n_articles, mean, median, sd per group and
    measure (sd is NaN for a group of one). Groups are sorted by key, then by n descending."""
    keys = list(keys)
    columns = keys + ["measure", "n", "n_articles", "mean", "median", "sd"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("mean", "median", "sd") else object)
                             for c in columns})
    long = frame.melt(id_vars=keys + ["article_id"], value_vars=list(measures), var_name="measure",
                      value_name="score")
    out = (long.groupby(keys + ["measure"], sort=True, dropna=False)
           .agg(n=("score", "count"), n_articles=("article_id", "nunique"), mean=("score", "mean"),
                median=("score", "median"), sd=("score", "std"))
           .reset_index())
    return out[columns]


def hostile_terms(path: str | Path | None = None) -> tuple[str, ...]:
    """The hostile terms of ``path`` (default: the shipped ``analysis/data/hostile_terms.yaml``)."""
    path = Path(path) if path else Path(str(resources.files("analysis").joinpath("data/hostile_terms.yaml")))
    terms = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("terms")
    if not terms or not isinstance(terms, list):
        raise ValueError(f"{path}: expected `terms:` with a list of words (see the file's header)")
    return tuple(str(t) for t in terms)


def misreads(sentences: pd.DataFrame, words: pd.DataFrame, *, terms: Iterable[str] | None = None,
             limit: int = 20) -> pd.DataFrame:
    """Sentences using hostile wording (``terms``, default ``hostile_terms()``) with both lexicons' scores and the
    words that drove them:
    ``tb_words`` from TextBlob's assessments (``sentiment_words``), ``vader_words`` from VADER's lexicon. The
    least negative come first: those are where a lexicon reads hostility as neutral or positive."""
    terms = hostile_terms() if terms is None else terms
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w-])", re.IGNORECASE)
    hits = sentences[sentences["text"].str.contains(pattern, na=False)].copy()
    columns = ["article_id", "sent_id", "voice", "speaker_actor", "text", "hostile", "tb_polarity", "vader_compound",
               "tb_words", "vader_words"]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    hits["hostile"] = hits["text"].map(lambda t: ", ".join(dict.fromkeys(m.lower() for m in pattern.findall(t))))
    assessed = (words.assign(item=words["words"] + " (" + words["polarity"].round(2).astype(str) + ")")
                .groupby(["article_id", "sent_id"])["item"].agg(", ".join).rename("tb_words"))
    hits = hits.merge(assessed, left_on=["article_id", "sent_id"], right_index=True, how="left")
    hits["tb_words"] = hits["tb_words"].fillna("")
    hits["vader_words"] = hits["text"].map(lambda t: ", ".join(f"{w} ({v:+.1f})" for w, v in vader_words(t)))
    hits["rank"] = hits[["tb_polarity", "vader_compound"]].max(axis=1)
    return hits.sort_values("rank", ascending=False).head(limit)[columns].reset_index(drop=True)


def _with_outlet(sentences: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    outlets = articles[["article_id", "outlet"]].drop_duplicates("article_id")
    frame = sentences.merge(outlets, on="article_id", how="left")
    frame["outlet"] = frame["outlet"].fillna("").replace("", "(unknown)")
    return frame
