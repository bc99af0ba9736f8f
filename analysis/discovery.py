"""Discovery: words and phrases outside the lexicon that look loaded, for a human to review."""
from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from functools import cache

import pandas as pd
from spacy.language import Language

from analysis import patterns, tables

log = logging.getLogger(__name__)

_TERM = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")

@cache
def _sentiment_lexicons() -> tuple[dict, dict]:
    from textblob.en import sentiment as pattern_lexicon
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    return pattern_lexicon, SentimentIntensityAnalyzer().lexicon


def word_sentiment(word: str) -> tuple[float, float]:
    """(polarity, subjectivity) of one word: TextBlob's pattern lexicon, else VADER valence / 4 (subjectivity NaN)."""
    pattern, vader = _sentiment_lexicons()
    if word in pattern:
        return pattern(word)
    if word in vader:
        return max(-1.0, min(1.0, vader[word] / 4)), float("nan")
    return 0.0, float("nan")


def g2(a: float, b: float, c: float, d: float) -> float:
    """Log-likelihood G2 of ``a`` hits in ``c`` tokens against ``b`` in ``d`` (Rayson & Garside 2000)."""
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    return 2 * sum(o * math.log(o / e) for o, e in ((a, e1), (b, e2)) if o > 0 and e > 0)


def candidates(sentences: pd.DataFrame, *, lexicon: dict, hits: pd.DataFrame | None = None,
                      target: pd.Series | None = None, nlp: Language | None = None, min_count: int = 3,
                      min_articles: int = 1, min_g2: float = 10.83, min_polarity: float = 0.3,
                      min_subjectivity: float = 0.7, bigrams: bool = True, limit: int | None = 200) -> pd.DataFrame:
    """Words (and bigrams) outside the lexicon that look loaded, best first, for a human to review.

    Works on the ``sentences`` table (article_id, start, text; sent_id optional). A term qualifies when it is
    (1) key - G2 >= ``min_g2`` and more frequent than expected - and (2) strong in a sentiment lexicon:
    |polarity| >= ``min_polarity`` or subjectivity >= ``min_subjectivity`` (TextBlob's pattern lexicon, else
    VADER). Keyness is against the rest of the corpus when ``target`` (a boolean mask over ``sentences``)
    picks the sentences to study; without it, words are compared with general English (TextBlob's bundled
    word counts) and bigrams with the frequency their two words predict. Words of single-word lexicon
    variants are skipped, and so is any occurrence inside a ``hits`` span. With ``nlp``, terms are lemmas.
    """
    if target is not None and not isinstance(target, pd.Series):
        target = pd.Series(list(target), index=sentences.index)
    is_target = (target.reindex(sentences.index).fillna(False).astype(bool).tolist()
                 if target is not None else [True] * len(sentences))
    stats = _term_stats(sentences, nlp=nlp, known=_lexicon_words(lexicon), covered=_covered(hits),
                        is_target=is_target, bigrams=bigrams)
    rows = []
    for term, count in stats["count"][True].items():
        n_articles = len(stats["articles"][term])
        if count < min_count or n_articles < min_articles:
            continue
        polarity, subjectivity = _term_sentiment(term)
        if abs(polarity) < min_polarity and not subjectivity >= min_subjectivity:  # NaN compares False
            continue
        over, score = _keyness(term, count, stats, against_rest=target is not None)
        if over and score >= min_g2:
            rows.append({"term": term, "count": count, "n_articles": n_articles, "g2": score,
                         "polarity": polarity, "subjectivity": subjectivity, "example": stats["example"][term]})
    if not rows:
        return tables.empty("loaded_candidates")
    out = pd.DataFrame(rows).sort_values(["g2", "term"], ascending=[False, True])
    log.info("%d loaded-term candidates", len(out))
    return tables.conform(out.head(limit) if limit else out, "loaded_candidates")


def _keyness(term: str, count: int, stats: dict, *, against_rest: bool) -> tuple[bool, float]:
    """(more frequent than expected, G2) of a term: against the rest of the corpus, general English
    (words) or the frequency its two words predict (bigrams)."""
    n_target, n_ref = stats["tokens"][True], stats["tokens"][False]
    if against_rest:
        other = stats["count"][False].get(term, 0)
        return count / max(n_target, 1) > other / max(n_ref, 1), g2(count, other, n_target, n_ref)
    if " " in term:
        first, second = term.split(" ")
        expected = stats["count"][True][first] * stats["count"][True][second] / max(n_target, 1)
        return count > expected, g2(count, expected, n_target, n_target)
    reference, n_general = patterns.general_english()
    general = reference.get(term, 0)
    return count / max(n_target, 1) > general / n_general, g2(count, general, n_target, n_general)


def _lexicon_words(lexicon: dict) -> set[str]:
    """Words of variants with a single required word (every alternative): already in the lexicon."""
    words: set[str] = set()
    for family in lexicon.values():
        for variant in family["variants"]:
            for pattern in variant["token_patterns"]:
                tokens = [t for t in pattern if "ORTH" not in t and "IS_SENT_START" not in t]
                tokens = [t for t in tokens if t.get("OP") != "?"] if len(tokens) > 1 else tokens
                if len(tokens) == 1:
                    spec = tokens[0].get("LEMMA") or tokens[0].get("LOWER")
                    words.update(w.lower() for w in spec["IN"])
    return words


def _covered(hits: pd.DataFrame | None) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if hits is not None and len(hits):
        for aid, s, e in zip(hits["article_id"], hits["start"], hits["end"]):
            out[aid].append((int(s), int(e)))
    return out


def _tokens(sentences: pd.DataFrame, nlp: Language | None):
    """(term, start offset) per sentence; lemmas when ``nlp`` is given."""
    texts = sentences["text"].fillna("").astype(str).tolist()
    if nlp is None:
        for text in texts:
            yield [(m.group().lower().replace("’", "'"), m.start()) for m in _TERM.finditer(text)]
        return
    for doc in nlp.pipe(texts, disable=[p for p in ("parser", "ner") if p in nlp.pipe_names]):
        yield [(t.lemma_.lower(), t.idx) for t in doc if t.is_alpha or "-" in t.text]


def _term_stats(sentences: pd.DataFrame, *, nlp, known: set[str], covered: dict, is_target: list[bool],
                bigrams: bool) -> dict:
    from spacy.lang.en.stop_words import STOP_WORDS
    count = {True: Counter(), False: Counter()}
    tokens = {True: 0, False: 0}
    articles: dict[str, set] = defaultdict(set)
    example: dict[str, str] = {}
    ids = sentences["article_id"].astype(str).tolist()
    starts = sentences["start"].tolist() if "start" in sentences else [0] * len(sentences)
    texts = sentences["text"].fillna("").astype(str).tolist()
    for k, words in enumerate(_tokens(sentences, nlp)):
        aid, base, side = ids[k], int(starts[k]), is_target[k]
        spans_ = covered.get(aid, ())
        free = [(w, any(a <= base + i < b for a, b in spans_)) for w, i in words]
        tokens[side] += len(words)
        terms = [w for w, hit in free if not hit and _countable(w, known, STOP_WORDS)]
        if bigrams:
            terms += [f"{a} {b}" for (a, ha), (b, hb) in zip(free, free[1:])
                      if not ha and not hb and _countable(a, known, STOP_WORDS)
                      and _countable(b, known, STOP_WORDS)]
        for term in terms:
            count[side][term] += 1
            if side:
                articles[term].add(aid)
                example.setdefault(term, texts[k][:300])
    return {"count": count, "tokens": tokens, "articles": articles, "example": example}


def _countable(word: str, known: set[str], stop_words: set[str]) -> bool:
    if len(word) < 3 or word in stop_words or word in known:
        return False
    return _singular(word) not in known


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _term_sentiment(term: str) -> tuple[float, float]:
    scores = [word_sentiment(w) for w in term.split(" ")]
    polarity, subjectivity = max(scores, key=lambda ps: abs(ps[0]))
    subjective = [s for _, s in scores if s == s]
    return polarity, (max(subjective) if subjective else float("nan"))
