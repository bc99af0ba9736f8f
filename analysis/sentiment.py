"""Sentence sentiment from two lexicons, and aggregates that always carry their n.

Each sentence gets TextBlob's pattern-lexicon polarity and subjectivity (with the word-level assessments that
produced them) and VADER's compound score. Both are kept because they disagree, and neither knows this genre:
words such as "stooges", "hell-bent" or "puppet" are in neither lexicon, while "security", "peace" or the name
"Freedom Edge" score as positive. Read the aggregates as "what a general-purpose lexicon makes of the wording",
never as the stance of a sentence; ``misreads`` lists the sentences where that matters.

Polarity toward one target is a separate measure: ``toward`` reads the words around a mention (its dependency
neighbourhood, its clause, a window, with negation) with a model trained on NewsMTSC and says whether the sentence
is negative, neutral or positive toward that target, so "The ministry praised Seoul and condemned Washington"
gives the two capitals opposite polarities. The tagging stage stores it for every mention; ``toward_actors``
aggregates it per actor with n.
"""
from __future__ import annotations

import json
import logging
import math
import re
import string
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import yaml
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from analysis import parses

log = logging.getLogger(__name__)

MEASURES = ("tb_polarity", "tb_subjectivity", "vader_compound")
_WORD = re.compile(r"[\w'’-]+")
_PUNCTUATION = string.punctuation


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
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentiText, SentimentIntensityAnalyzer

    class LinearVader(SentimentIntensityAnalyzer):
        def __init__(self):
            super().__init__()
            self.emoji_chars = frozenset(self.emojis)  # VADER looks emojis up one character at a time
            self.words = frozenset(self.lexicon)

        def compound(self, text: str) -> float:
            """``polarity_scores(text)["compound"]``, 0.0 at once when no word of ``text``, with or without its
            punctuation, is in the lexicon (every word's valence is then 0, and so is the sum VADER normalises):
            about half of the sentences, clauses and windows the tagging stage scores."""
            if self.emoji_chars.isdisjoint(text) and not any(
                    w.lower() in self.words or w.strip(_PUNCTUATION).lower() in self.words for w in text.split()):
                return 0.0
            return self.polarity_scores(text)["compound"]

        def polarity_scores(self, text):
            if not self.emoji_chars.isdisjoint(text):
                return super().polarity_scores(text)
            # The published method less its emoji pass, which copies the text one character at a time in Python
            # and, without an emoji, leaves it as text.strip().
            text = text.strip()
            sentitext = SentiText(text)
            sentiments = []
            words = sentitext.words_and_emoticons
            for i, item in enumerate(words):
                if item.lower() in BOOSTER_DICT or (i < len(words) - 1 and item.lower() == "kind"
                                                     and words[i + 1].lower() == "of"):
                    sentiments.append(0)
                    continue
                sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
            return self.score_valence(self._but_check(words, sentiments), text)

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

    Negative contractions are written out first ("aren't" -> "are not"): the pattern lexicon only negates after
    the word "not", so "The drills aren't peaceful." would otherwise score as positive as "The drills are
    peaceful.". Cached by text: wire copy repeats sentences verbatim across outlets.
    """
    pattern_lexicon, vader = analyzers()
    text = _expand_contractions(text)
    result = pattern_lexicon(text)
    assessed = tuple((" ".join(words), float(p), float(s)) for words, p, s, _ in result.assessments)
    return Score(float(result[0]), float(result[1]), float(vader.compound(text)), assessed)


@lru_cache(maxsize=1 << 12)
def _compound(text: str) -> float:
    """VADER's compound of a target's clause or window, kept by text: the mentions of one clause share it."""
    return analyzers()[1].compound(text)


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


def toward_actors(mentions: pd.DataFrame, articles: pd.DataFrame | None = None, *, per_outlet: bool = False,
                  roles: Sequence[str] | None = None, named_only: bool = False) -> pd.DataFrame:
    """Per-mention polarity (``mentions.polarity``, ``polarity_score``) aggregated per actor: one row per actor
    (and outlet when ``per_outlet``; ``articles`` then supplies the outlets) with n (mentions), n_articles, the
    count and share of negative, neutral and positive mentions, and the mean and median score (-1..1).

    An actor is the canonical actor of the alias table, else the entity's name (``actor_names``);
    ``named_only`` keeps alias-table actors only, ``roles`` (for example ``["target"]``) only mentions with one
    of those roles. Rows are sorted by n descending, then actor. Raises KeyError when ``mentions`` lacks the
    polarity columns (a tagging run from before they existed: re-run the tagging stage)."""
    missing = {"polarity", "polarity_score"} - set(mentions.columns)
    if missing:
        raise KeyError(f"mentions lacks {sorted(missing)}: re-run the tagging stage to score every mention")
    keys = (["outlet"] if per_outlet else []) + ["actor"]
    counts = [f"n_{p}" for p in POLARITIES]
    columns = keys + ["n", "n_articles", *counts, *(f"share_{p}" for p in POLARITIES), "mean_score",
                      "median_score"]
    frame = mentions if roles is None else mentions[mentions["role"].isin(list(roles))]
    frame = frame.assign(actor=actor_names(frame, named_only=named_only))
    frame = frame[frame["actor"] != ""]
    if per_outlet:
        if articles is None:
            raise ValueError("per_outlet needs the articles table (for the outlets)")
        frame = _with_outlet(frame, articles)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in keys else "float64") for c in columns})
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(n=("polarity", "size"), n_articles=("article_id", "nunique"),
                      mean_score=("polarity_score", "mean"), median_score=("polarity_score", "median"))
    tally = pd.crosstab([frame[k] for k in keys], frame["polarity"]).reindex(columns=list(POLARITIES), fill_value=0)
    for p in POLARITIES:
        out[f"n_{p}"] = tally[p].reindex(out.index).to_numpy()
        out[f"share_{p}"] = out[f"n_{p}"] / out["n"]
    out = out.reset_index()
    return out.sort_values(["n", *keys], ascending=[False] + [True] * len(keys), kind="stable")[columns] \
        .reset_index(drop=True)


def actor_names(mentions: pd.DataFrame, *, named_only: bool = False) -> pd.Series:
    """Per mention: its canonical actor, else (unless ``named_only``) the entity's ``name`` (as its article gives
    it in full: "Mr. Giuliani" is the Rudolph Giuliani named before; the text as written in a run from before that
    column), whitespace normalised; empty when neither."""
    actor = mentions["actor"].fillna("")
    if named_only:
        return actor
    unnamed = actor.str.strip() == ""
    column = "name" if "name" in mentions else "text"
    written = mentions.loc[unnamed, column].fillna("").map(lambda text: " ".join(text.split()))
    return actor.where(~unnamed, written)  # only the unnamed rows are written out: most mentions have an actor


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


# --------------------------------------------------------------------------------------------------------------
# Polarity toward a target (per mention)
# --------------------------------------------------------------------------------------------------------------

POLARITIES = ("negative", "neutral", "positive")
MODEL_FILE = "data/target_sentiment.json"
WINDOW = 4  # tokens either side of the target whose words are features
_NEGATORS = frozenset({"not", "never", "no", "neither", "nor", "without", "cannot", "nobody", "nothing", "none"})
_AGENT_DEPS = frozenset({"nsubj", "csubj"})
_PATIENT_DEPS = frozenset({"dobj", "nsubjpass", "pobj", "iobj", "dative", "attr"})
_CLAUSE_DEPS = frozenset({"ccomp", "advcl", "relcl", "conj", "parataxis", "xcomp", "csubj", "acl"})
_CLIMB_DEPS = frozenset({"conj", "appos", "compound", "flat"})
_CONTRACTION = re.compile(r"\b(\w+?)n['’]t\b|(?<!\w)n['’]t\b", re.IGNORECASE)  # aren't, are n't
_CONTRACTION_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}


class Polarity(NamedTuple):
    """Polarity toward one target: ``label`` (negative, neutral or positive), ``score`` = P(positive) -
    P(negative) in -1..1, and ``cues``, the words of the sentence that weighed most toward the label."""

    label: str
    score: float
    cues: tuple[str, ...]


class TargetModel(NamedTuple):
    """A multinomial logistic regression over target-context features (``features``), read from JSON."""

    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    meta: dict


@cache
def target_model(path: str | None = None) -> TargetModel:
    """The target-sentiment model at ``path`` (default: the shipped ``analysis/data/target_sentiment.json``,
    trained on NewsMTSC by ``bench/train_target_sentiment.py``; see ``analysis/data/target_sentiment.md``).

    Plain JSON (classes, intercepts, one weight per class and feature), so loading never unpickles anything.
    Raises ValueError when the file is not such a model."""
    file = Path(path) if path else Path(str(resources.files("analysis").joinpath(MODEL_FILE)))
    data = json.loads(file.read_text(encoding="utf-8"))
    try:
        classes = tuple(data["classes"])
        model = TargetModel(classes, tuple(map(float, data["intercept"])),
                            {f: tuple(w) for f, w in data["weights"].items()}, data.get("meta", {}))
    except (KeyError, TypeError) as error:
        raise ValueError(f"{file}: not a target-sentiment model (expected classes, intercept, weights): "
                         f"{error}") from error
    if set(classes) != set(POLARITIES) or len(model.intercept) != len(classes):
        raise ValueError(f"{file}: the model's classes are {classes}, expected {POLARITIES}")
    return model


def toward(sentence: Span | Doc | str, start: int, end: int, *, nlp: Language | None = None,
           model: TargetModel | None = None) -> Polarity:
    """Polarity toward the target at characters ``start:end`` of ``sentence`` (offsets into its text).

    ``sentence`` is a parsed span (the tagging stage passes its sentence, reusing the article's parse) or a
    string, parsed with ``nlp`` (default ``models.load()``). The method is a logistic regression over the
    target's context (``features``: the words around it and on its dependency path, the lexicon valence of its
    syntactic neighbourhood with negation, its role as agent or patient of the governing word), trained on
    NewsMTSC (Hamborg and Donnay 2021); accuracy figures in ``bench/validate_sentiment.py``. Raises ValueError
    when ``start:end`` is empty or outside the sentence."""
    if isinstance(sentence, str):
        from analysis import models

        sentence = (nlp or models.load())(sentence)
    span = sentence[:] if isinstance(sentence, Doc) else sentence
    length = span.end_char - span.start_char  # len(span.text), which joins every token in Python
    if not 0 <= start < end <= length:
        raise ValueError(f"target {start}:{end} is not inside the sentence (0:{length})")
    model = model or target_model()
    weights = model.weights
    # One logit per class in the model's order; ``target_model`` checks there are three, so the loop is unrolled.
    l0, l1, l2 = model.intercept
    weighed = []
    for name, value, cue in features(span, start, end):
        w = weights.get(name)
        if w is None:
            continue
        l0, l1, l2 = l0 + value * w[0], l1 + value * w[1], l2 + value * w[2]
        if cue:
            weighed.append((cue, value, w))
    logits = [l0, l1, l2]
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    total = sum(exp)
    p = dict(zip(model.classes, (e / total for e in exp)))
    k = max(range(len(logits)), key=logits.__getitem__)
    return Polarity(model.classes[k], round(p["positive"] - p["negative"], 6), _cues(weighed, k))


def mention_polarity(doc: Doc, start: int, end: int, *, sentence: tuple[int, int]) -> dict[str, object]:
    """The ``mentions`` table's polarity columns for the mention at ``start:end`` of ``doc`` (offsets into
    ``doc.text``) in the sentence at characters ``sentence`` (start, end): ``polarity``, ``polarity_score`` and
    ``polarity_cues`` (the cue words joined by ", "). Reuses the article's parse. A mention running past its
    sentence (an entity across a line break) is scored on its part inside the sentence."""
    s, e = sentence
    span = doc.char_span(s, e, alignment_mode="expand") or doc[:]
    lo, hi = max(start, span.start_char), min(end, span.end_char)
    if hi <= lo:  # not inside its sentence at all: score it in the whole document
        span, lo, hi = doc[:], start, end
    result = toward(span, lo - span.start_char, hi - span.start_char)
    return {"polarity": result.label, "polarity_score": result.score, "polarity_cues": ", ".join(result.cues)}


def _cues(weighed: list[tuple[str, float, tuple[float, ...]]], k: int, limit: int = 3) -> tuple[str, ...]:
    """The content words whose features pushed most toward class ``k`` against the mean of the classes."""
    push: dict[str, float] = {}
    for word, value, w in weighed:
        if word.lower() in STOP_WORDS and word.lower() not in _NEGATORS and word.lower() != "n't":
            continue  # "of", "the": they weigh through bigrams, but name nothing a reader can check
        push[word] = push.get(word, 0.0) + value * (w[k] - sum(w) / len(w))
    ranked = sorted((v, word) for word, v in push.items() if v > 0.05)
    return tuple(word for _, word in reversed(ranked[-limit:]))


def features(span: Span, start: int, end: int) -> list[tuple[str, float, str]]:
    """Target-context features of the target at characters ``start:end`` of ``span``: (name, value, cue word)
    triples, the cue empty for features no single word carries.

    - ``s:`` the sentence's VADER compound and TextBlob polarity (contractions expanded);
    - ``b:`` the sentence's content words outside the target, ``wl:``/``wr:`` those within ``WINDOW`` tokens left
      and right of it;
    - ``d:``/``h:``/``p:`` the target's dependency relation, its head word, the words on its path to the root;
      ``m:`` words in its own phrase (modifiers, relative clauses), ``c:`` the head's other dependents;
    - ``x:`` VADER valence (-1..1; -0.5 for a ``hostile_terms`` word VADER lacks) of the head, and summed over
      the path, the phrase, the clause, the window and the sentence, positive and negative words apart (one
      triple per word: the model is linear, so the sum's weight falls on each word), and the head's valence by
      the target's role (agent, patient, other); ``s:clause``/``s:window`` VADER's compound of those spans;
      ``g:`` lemma bigrams around the target. A word with a negation (not, n't, never, no ...) counts reversed and
      its lemma is prefixed ``not_``.
    Words are lemmas, lower-cased. Conjuncts, appositions and compounds are climbed to the phrase they belong to.
    """
    doc = span.doc
    target = doc.char_span(span.start_char + start, span.start_char + end, alignment_mode="expand")
    if target is None or len(target) == 0:
        raise ValueError(f"target {start}:{end} of {span.text!r} covers no token")
    inside = range(target.start, target.end)
    anchor = target.root
    for _ in range(6):
        if anchor.dep_ in _CLIMB_DEPS and anchor.head.i != anchor.i and span.start <= anchor.head.i < span.end:
            anchor = anchor.head
        else:
            break
    head = anchor.head if anchor.head.i != anchor.i else anchor
    role = "agent" if anchor.dep_ in _AGENT_DEPS else "patient" if anchor.dep_ in _PATIENT_DEPS else "other"
    words = _words(doc)
    sent = score(words.doc_text[span.start_char:span.end_char])  # span.text, without building every token
    out: list[tuple[str, float, str]] = [("s:vader", sent.vader_compound, ""), ("s:tb", sent.tb_polarity, "")]

    def add(prefix: str, i: int, lexicon: str = "") -> None:
        key, v = words.word(i)
        out.append((prefix + key, 1.0, words.text[i]))
        if lexicon and v:  # one term per word of the sum, so the sum's weight is credited to its words
            out.append((lexicon + (":neg" if v < 0 else ":pos"), v, words.text[i]))

    content, left, right = words.content, target.start - WINDOW, target.end + WINDOW
    for i, form, b_name, sent_name, wl_name, wr_name, win_name, v in words.sentence(span.start, span.end):
        if target.start <= i < target.end:
            continue
        out.append((b_name, 1.0, form))  # the triples add() would append, in its order
        if v:
            out.append((sent_name, v, form))
        if left <= i < target.start:
            out.append((wl_name, 1.0, form))
        elif target.end <= i < right:
            out.append((wr_name, 1.0, form))
        else:
            continue
        if v:
            out.append((win_name, v, form))
    out += _bigrams(words, range(max(target.start - WINDOW, span.start), min(target.end + WINDOW, span.end)), inside)
    out.append(("d:" + anchor.dep_, 1.0, ""))
    if head is not anchor:
        key, v = words.word(head.i)
        out += [("h:" + key, 1.0, head.text), ("h:" + anchor.dep_ + ":" + key, 1.0, head.text),
                ("x:head", v, head.text), ("x:head:" + role, v, head.text)]
        for token in list(head.ancestors)[:4]:
            add("p:", token.i, "x:path")
        for child in head.children:
            if child.i != anchor.i and child.i not in inside and not child.is_punct:
                out.append(("c:" + child.dep_ + ":" + words.word(child.i)[0], 1.0, child.text))
    for token in anchor.subtree:
        if token.i not in inside and content[token.i] and abs(token.i - anchor.i) <= 12:
            add("m:", token.i, "x:mod")
    clause = sorted(_clause(anchor), key=lambda t: t.i)
    for token in clause:
        if token.i not in inside and content[token.i]:
            add("k:", token.i, "x:clause")
    near = doc[max(target.start - 2 * WINDOW, span.start):min(target.end + 2 * WINDOW, span.end)]
    out += [("s:clause", _compound(" ".join(words.text[t.i] for t in clause)), ""),
            ("s:window", _compound(words.doc_text[near.start_char:near.end_char]), "")]
    return out


class _Words:
    """What ``features`` reads of each token of one doc (form, lemma, content word or not, and the negation-aware
    lemma and valence of ``word``), read once per doc: every mention of an article looks at its whole sentence,
    and building spaCy ``Token`` objects for each of them was most of the target sentiment's cost."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.doc_text = parses.text(doc)
        self.tokens = list(doc)
        self.text = [t.text for t in self.tokens]
        self.lemma = [t.lemma_.lower() for t in self.tokens]
        self.skip = [t.is_punct or t.is_space for t in self.tokens]
        self.content = [_content(t) for t in self.tokens]
        self._word: dict[int, tuple[str, float]] = {}
        self._sentence: dict[tuple[int, int], list[tuple]] = {}

    def sentence(self, start: int, end: int) -> list[tuple]:
        """The content words of tokens ``start:end`` (a sentence) with their feature names made once, for every
        mention in it: (index, form, ``b:``, ``x:sent``, ``wl:``, ``wr:``, ``x:win`` names, valence)."""
        found = self._sentence.get((start, end))
        if found is None:
            found = self._sentence[(start, end)] = []
            for i in range(start, end):
                if self.content[i]:
                    key, v = self.word(i)
                    sign = ":neg" if v < 0 else ":pos"
                    found.append((i, self.text[i], "b:" + key, "x:sent" + sign, "wl:" + key, "wr:" + key,
                                  "x:win" + sign, v))
        return found

    def word(self, i: int) -> tuple[str, float]:
        """Token ``i``'s lemma, prefixed ``not_`` when negated, and its valence, reversed when negated."""
        found = self._word.get(i)
        if found is None:
            token = self.tokens[i]
            negated, v = _negated(token), _valence(token)
            found = self._word[i] = (("not_" if negated else "") + self.lemma[i], -v if negated else v)
        return found


_LAST: list[_Words] = []


def _words(doc: Doc) -> _Words:
    """The ``_Words`` of ``doc``, kept for the last doc only: the tagging stage scores one article's mentions
    one after another, so one entry serves them all and no parse outlives the next article."""
    if not _LAST or _LAST[0].doc is not doc:
        _LAST[:] = [_Words(doc)]
    return _LAST[0]


def _bigrams(words: _Words, window: range, inside: range) -> list[tuple[str, float, str]]:
    """``g:`` lemma bigrams of the tokens ``window`` with the target (``inside``) as one token ``<T>`` (stop words
    kept, punctuation dropped): "praise <T>", "<T> be", "accuse <T>"."""
    seq, cues = [], []
    for i in window:
        if i in inside:
            if not seq or seq[-1] != "<T>":
                seq.append("<T>")
                cues.append("")
        elif not words.skip[i]:
            seq.append(words.lemma[i])
            cues.append(words.text[i])
    return [("g:" + seq[i] + " " + seq[i + 1], 1.0, cues[i] or cues[i + 1]) for i in range(len(seq) - 1)]


def _clause(anchor) -> list:
    """The tokens of the clause the target belongs to: the subtree of its nearest verb ancestor (itself
    included), less the clauses embedded in it that do not contain the target."""
    path = {anchor.i}
    top = anchor
    while top.head.i != top.i and not (top.pos_ in ("VERB", "AUX") and top.i != anchor.i):
        top = top.head
        path.add(top.i)
    out, todo = [], [top]
    while todo:
        token = todo.pop()
        out.append(token)
        todo += [c for c in token.children if c.i in path or c.dep_ not in _CLAUSE_DEPS]
    return out


def _content(token) -> bool:
    return not (token.is_punct or token.is_space or token.like_num or (token.is_stop and token.norm_ not in _NEGATORS))


def _negated(token) -> bool:
    """A negation among the token's dependents, or among its head's when it is that head's complement
    ("aren't peaceful": "n't" hangs on "are"); spaCy normalises n't and n’t to "not"."""
    if any(c.dep_ == "neg" or c.norm_ in _NEGATORS for c in token.children if c.i != token.i):
        return True
    if token.dep_ in ("acomp", "attr", "xcomp", "dobj", "oprd", "advmod") and token.head.i != token.i:
        return any(c.dep_ == "neg" for c in token.head.children)
    return False


def _valence(token) -> float:
    """VADER's valence of the token (its form, else its lemma) on -1..1, -0.5 for a hostile term VADER lacks."""
    lexicon, hostile = _lexicons()
    lower = token.lower_.replace("’", "'")
    v = lexicon.get(lower)
    if v is None:
        v = lexicon.get(token.lemma_.lower())
    if v is None:
        return -0.5 if lower in hostile else 0.0
    return v / 4.0


@cache
def _lexicons() -> tuple[dict[str, float], frozenset[str]]:
    return analyzers()[1].lexicon, frozenset(t.lower() for t in hostile_terms())


def _expand_contractions(text: str) -> str:
    """``text`` with negative contractions written out ("aren't" -> "are not", "can’t" -> "can not"), so that
    the pattern lexicon, which only knows the word "not", sees the negation."""
    if "n't" not in text and "n’t" not in text:
        return text
    return _CONTRACTION.sub(_not, text)


def _not(match: re.Match) -> str:
    stem = match.group(1)
    return "not" if stem is None else _CONTRACTION_STEMS.get(stem.lower(), stem) + " not"


def _with_outlet(sentences: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    outlets = articles[["article_id", "outlet"]].drop_duplicates("article_id")
    frame = sentences.merge(outlets, on="article_id", how="left")
    frame["outlet"] = frame["outlet"].fillna("").replace("", "(unknown)")
    return frame
