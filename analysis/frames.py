"""Media frames per sentence from an editable cue lexicon (``analysis/data/frames.yaml``).

The 14 generic frames are those of the Media Frames codebook (Boydstun et al. 2014) as named in SemEval-2023
Task 3 subtask 2. A sentence carries a frame when one of the frame's cues occurs in it; the cues that fired are
kept so a reader can check every tag. This is a transparent lexicon lookup, not a classifier.

Cues are matched with two ``PhraseMatcher`` passes: on lower-cased lemmas (so "military drill" finds "military
drills" and "Military drill") and on lower-cased words as written, the cue and the regular plural of its last word
(for cues whose lemma is not what a user would write, like "talks" or "armed forces", and for title-case headline
words such as "Drills", which spaCy tags PROPN and leaves unlemmatised).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from spacy.attrs import LEMMA, ORTH, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from analysis import tables

log = logging.getLogger(__name__)

FRAMES = ("Economic", "Capacity_and_resources", "Morality", "Fairness_and_equality",
          "Legality_Constitutionality_and_jurisprudence", "Policy_prescription_and_evaluation",
          "Crime_and_punishment", "Security_and_defense", "Health_and_safety", "Quality_of_life",
          "Cultural_identity", "Public_opinion", "Political", "External_regulation_and_reputation")
UNKNOWN = "(unknown)"


class LexiconError(ValueError):
    """The frame lexicon file is malformed."""


@dataclass
class FrameMatcher:
    """Phrase matchers for the frame cues; each match id is the string ``frame<TAB>cue``."""

    lemma: PhraseMatcher
    lower: PhraseMatcher
    n_cues: int = 0


def lexicon(path: str | Path | None = None) -> dict[str, dict]:
    """The frame lexicon: ``{frame: {"description": str, "cues": [str, ...]}}``, validated.

    ``path`` defaults to the packaged ``analysis/data/frames.yaml``.
    """
    if path is None:
        text = resources.files("analysis").joinpath("data/frames.yaml").read_text(encoding="utf-8")
        path = "analysis/data/frames.yaml"
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping of frame name to description and cues")
    unknown = sorted(set(data) - set(FRAMES))
    if unknown:
        raise LexiconError(f"{path}: unknown frames {unknown}; frames must be among {', '.join(FRAMES)}")
    for frame, spec in data.items():
        cues = (spec or {}).get("cues") if isinstance(spec, dict) else None
        if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
            raise LexiconError(f"{path}: frame {frame!r} needs `cues:` as a list of non-empty strings")
    missing = [f for f in FRAMES if f not in data]
    if missing:
        log.warning("%s: no cues for frames %s; they will never be detected", path, missing)
    return {f: {"description": str(data[f].get("description", "")),
                "cues": [c.strip() for c in data[f]["cues"]]} for f in FRAMES if f in data}


_packaged_lexicon = lexicon  # `matcher`'s parameter shadows the function's name inside it


def matcher(nlp: Language, lexicon: dict[str, dict] | None = None) -> FrameMatcher:
    """Build the frame matcher for ``nlp``'s vocabulary from ``lexicon`` (default: the packaged one)."""
    lexicon = _packaged_lexicon() if lexicon is None else lexicon
    # The lemma pass runs over a lower-cased lemma copy of each doc (see _matches), so both passes match LOWER.
    built = FrameMatcher(lemma=PhraseMatcher(nlp.vocab, attr="LOWER"),
                         lower=PhraseMatcher(nlp.vocab, attr="LOWER"))
    for frame, spec in lexicon.items():
        for cue in spec["cues"]:
            # Tokenised as written: spaCy splits "U.N." and "u.n." differently; LOWER then ignores the case.
            key = f"{frame}\t{cue}"  # the cue as the lexicon writes it is what the cues column shows
            built.lemma.add(key, [nlp.make_doc(cue)])
            built.lower.add(key, [nlp.make_doc(form) for form in dict.fromkeys([cue, _plural(cue)])])
            built.n_cues += 1
    log.info("frame matcher: %d cues in %d frames", built.n_cues, len(lexicon))
    return built


def detect(doc: Doc, *, article_id: str, matcher: FrameMatcher,
           sentences: pd.DataFrame | None = None) -> pd.DataFrame:
    """Frames of each sentence of one article: rows of the ``frames`` table.

    ``doc`` is the parsed ``articles.text``; ``sentences`` holds the article's rows of the sentences table
    (``sent_id``, ``start``, ``end`` offsets into that text). Without it, ``doc.sents`` are numbered from 0.
    A match belongs to the sentence its first character falls in.
    """
    return _collapse(_cue_rows(doc, article_id=article_id, matcher=matcher, sentences=sentences))


def tag(docs: Iterable[Doc], *, article_ids: Sequence[str], matcher: FrameMatcher,
        sentences: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``frames`` table for many articles (``docs`` paired in order with ``article_ids``)."""
    grouped = dict(tuple(sentences.groupby("article_id", sort=False))) if sentences is not None else {}
    rows: list[dict] = []
    for article_id, doc in zip(article_ids, docs, strict=True):
        # An article missing from a given sentences table has no sentences, hence no frames.
        own = None if sentences is None else grouped.get(article_id, sentences[:0])
        rows += _cue_rows(doc, article_id=article_id, matcher=matcher, sentences=own)
    found = _collapse(rows)
    log.info("frames: %d (sentence, frame) rows", len(found))
    return found


def shares(frames: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """Frame shares per value of ``articles[by]`` (``by="article_id"`` gives one row per article and frame).

    Columns: ``by``, ``frame``, ``n_sentences`` (sentences carrying the frame), ``share`` (the frame's part of
    all the group's sentence-frame tags, summing to 1 over frames), ``n_articles`` (articles using the frame)
    and ``article_share`` (those articles over all the group's articles, framed or not).
    """
    if by not in articles.columns:
        raise KeyError(f"articles has no column {by!r}; columns: {', '.join(articles.columns)}")
    groups = articles[["article_id", by]].drop_duplicates("article_id") if by != "article_id" else \
        articles[["article_id"]].drop_duplicates()
    groups = groups.assign(**{by: groups[by].fillna("").astype(str).replace("", UNKNOWN)})
    tagged = frames[["article_id", "sent_id", "frame"]].merge(groups, on="article_id", how="inner")
    counted = (tagged.groupby([by, "frame"], sort=True)
               .agg(n_sentences=("sent_id", "size"), n_articles=("article_id", "nunique")).reset_index())
    counted["share"] = counted["n_sentences"] / counted.groupby(by)["n_sentences"].transform("sum")
    n_articles = groups.groupby(by)["article_id"].nunique()
    counted["article_share"] = counted["n_articles"] / counted[by].map(n_articles)
    return counted[[by, "frame", "n_sentences", "share", "n_articles", "article_share"]]


def _plural(cue: str) -> str:
    """The cue with its last word in the regular English plural.

    Title-case headline words ("Military Drills") are often tagged PROPN, whose spaCy lemma is the word itself,
    so the lemma pass misses them; matching the plural as written catches the common case.
    """
    head, _, last = cue.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def _cue_rows(doc: Doc, *, article_id: str, matcher: FrameMatcher, sentences: pd.DataFrame | None) -> list[dict]:
    """One row per cue match: article, sentence, frame, cue and offset."""
    starts, ends, ids = _sentence_bounds(doc, sentences)
    by_frame: dict[str, list[Span]] = {}
    for span in _matches(doc, matcher):
        by_frame.setdefault(span.label_.split("\t")[0], []).append(span)
    rows = []
    for frame, spans in by_frame.items():
        # Longest match wins within a frame, so "joint military drill" is one cue, not three.
        for span in filter_spans(spans):
            i = int(np.searchsorted(starts, span.start_char, side="right")) - 1
            if i < 0 or span.start_char >= ends[i]:
                continue  # between sentences (a gap the sentences table does not cover)
            rows.append({"article_id": article_id, "sent_id": int(ids[i]), "frame": frame,
                         "cue": span.label_.split("\t")[1], "pos": span.start_char})
    return rows


def _matches(doc: Doc, matcher: FrameMatcher) -> list[Span]:
    """Cue matches on lemmas and on words, as spans of ``doc`` labelled ``frame<TAB>cue``, duplicates removed."""
    lemmas = Doc(doc.vocab, words=_lowered_lemmas(doc), spaces=(doc.to_array(SPACY) != 0).tolist())
    found = {(match_id, start, end) for match_id, start, end in matcher.lemma(lemmas)}
    found |= {(match_id, start, end) for match_id, start, end in matcher.lower(doc)}
    return [Span(doc, start, end, label=match_id) for match_id, start, end in sorted(found, key=lambda m: m[1:])]


def _lowered_lemmas(doc: Doc) -> list[str]:
    """``(token.lemma_ or token.text).lower()`` of every token, read from the doc's arrays (each distinct word
    once): the lemma pass's words."""
    if not len(doc):
        return []
    orth, lemma = doc.to_array([ORTH, LEMMA]).T
    distinct, where = np.unique(np.where(lemma != 0, lemma, orth), return_inverse=True)  # an unset lemma is 0
    strings = doc.vocab.strings
    return np.array([strings[k].lower() for k in distinct.tolist()], dtype=object)[where.reshape(-1)].tolist()


def _sentence_bounds(doc: Doc, sentences: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted sentence start offsets, end offsets and sent_ids."""
    if sentences is None:
        sents = list(doc.sents)
        return (np.array([s.start_char for s in sents]), np.array([s.end_char for s in sents]),
                np.arange(len(sents)))
    starts = sentences["start"].to_numpy()
    order = np.argsort(starts, kind="stable")
    return starts[order], sentences["end"].to_numpy()[order], sentences["sent_id"].to_numpy()[order]


def _collapse(rows: list[dict]) -> pd.DataFrame:
    """One row per (sentence, frame): the distinct cues in order of first use, and the number of matches; rows
    in (article_id, sent_id, frame) order."""
    if not rows:
        return tables.empty("frames")
    groups: dict[tuple, list[tuple[int, str]]] = {}
    for row in rows:
        groups.setdefault((row["article_id"], row["sent_id"], row["frame"]), []).append((row["pos"], row["cue"]))
    keys = sorted(groups)
    cues = [";".join(dict.fromkeys(cue for _, cue in sorted(groups[key], key=lambda m: m[0]))) for key in keys]
    out = pd.DataFrame({"article_id": [k[0] for k in keys], "sent_id": np.array([k[1] for k in keys], dtype="int64"),
                        "frame": [k[2] for k in keys], "cues": cues,
                        "n_cues": np.array([len(groups[k]) for k in keys], dtype="int64")})
    return tables.conform(out, "frames")
