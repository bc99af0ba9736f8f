"""Discovery: words and phrases outside the lexicon that look loaded (evaluative, not topical), for a human to review.

``candidates`` ranks terms of one to three words by the evidence that they judge rather than name: strength in a
sentiment or subjectivity lexicon, how often the corpus holds them in scare quotes, how often they stand in quoted
rather than narrator voice, keyness against general English, and how often they occur in sentences naming one of
the story's actors. Every piece of evidence is a column, so a reader sees why a term is proposed.

Acronyms written in capitals (``US``, ``U.S.``, ``NATO``) are case-sensitive terms (``US`` is not ``us``); every
other word is compared in lower case (``keyness.is_acronym``).
"""
from __future__ import annotations

import logging
import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from analysis import concordance, keyness, patterns, tables, voice

log = logging.getLogger(__name__)

# A word: an acronym with dots (U.S.), or letters with inner apostrophes and hyphens (muscle-flexing, don't).
_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z][A-Za-z'’]*(?:[-‐‑][A-Za-z]+)*")
MIN_SCARE = 2  # scare-quoted uses that make a term without an evaluative word a candidate
EXAMPLE_CHARS = 300  # an example sentence is cut to about this many characters
NAME_SHARE = 0.5  # a term written as a name (capitalised inside a sentence) in this share of its uses is one

# Words that may sit inside a phrase but never open or close one ("act *of* aggression").
_GLUE = frozenset("of the a an to in on for and or with by as at from".split())


@cache
def _sentiment_lexicons() -> tuple[dict, dict]:
    from textblob.en import sentiment as pattern_lexicon
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    return pattern_lexicon, SentimentIntensityAnalyzer().lexicon


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS
    return frozenset(STOP_WORDS)


def word_sentiment(word: str) -> tuple[float, float]:
    """(polarity, subjectivity) of one word: TextBlob's pattern lexicon, else VADER valence / 4 (subjectivity NaN)."""
    pattern, vader = _sentiment_lexicons()
    word = word.lower()
    if word in pattern:
        return pattern(word)
    if word in vader:
        return max(-1.0, min(1.0, vader[word] / 4)), float("nan")
    return 0.0, float("nan")


def strength(term: str, *, ignore: Collection[str] = ()) -> float:
    """How evaluative a term's words are, 0..1: the strongest of its words (see ``_word_strength``: TextBlob's
    |polarity| or half its subjectivity, else 3/4 of VADER's |valence| / 4), but the words of ``ignore`` (lower
    case), which lend a phrase no strength."""
    return max((_word_strength(w) for w in term.split(" ") if _singular_of(w) not in ignore), default=0.0)


def g2(a: float, b: float, c: float, d: float) -> float:
    """Log-likelihood G2 of ``a`` hits in ``c`` tokens against ``b`` in ``d`` (Rayson & Garside 2000)."""
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    return 2 * sum(o * math.log(o / e) for o, e in ((a, e1), (b, e2)) if o > 0 and e > 0)


@dataclass
class _Evidence:
    count: int = 0
    articles: set = field(default_factory=set)
    scare: int = 0
    quoted: int = 0
    with_actor: int = 0
    named: int = 0  # uses written as a name (``_as_name``)
    examples: list = field(default_factory=list)


def candidates(sentences: pd.DataFrame, *, lexicon: dict | None = None, hits: pd.DataFrame | None = None,
               mentions: pd.DataFrame | None = None, min_count: int = 3, min_articles: int = 2,
               min_g2: float = 10.83, min_strength: float = 0.3, max_words: int = 3,
               not_loaded: Iterable[str] = (), limit: int | None = 200) -> pd.DataFrame:
    """Terms (one to ``max_words`` words) outside the lexicon that look loaded, best first, with their evidence.

    ``sentences`` is the tagging stage's table (article_id, text; start, sent_id and voice used when present),
    ``mentions`` its mentions (article_id, sent_id, actor) for the actor evidence; occurrences inside ``hits``
    spans and words of single-word ``lexicon`` variants are left out (the lexicon already has them), and so are the
    ``not_loaded`` terms (a story profile's list of terms a reader judged not loaded; any case), whose single words
    lend a phrase no strength either ("win" not loaded: "need to win" is not proposed for it), and so are terms
    written as a name in ``NAME_SHARE`` of their uses (capitalised inside a sentence, outside quote marks: "Supreme
    Court"). A term is proposed when it occurs ``min_count`` times in ``min_articles`` articles, is evaluative
    (``strength`` >= ``min_strength``, or scare-quoted ``MIN_SCARE`` times) and, for single words, is key against
    general English (G2 >= ``min_g2``, TextBlob's word counts of Norvig's big.txt); a phrase's keyness is its rarest
    word's.

    Columns: term, count, n_articles, strength, polarity, subjectivity, scare_quote_rate (share of uses in scare
    quotes), quoted_rate (share in quoted voice or inside quote marks), g2, actor_rate (share of uses in sentences
    naming an actor) and actor_lift (actor_rate over the corpus's share of such sentences), score, example,
    example_2. ``score`` = max(strength, scare_quote_rate) x (1 + quoted_rate / 2) x (1 + min(actor_lift, 2) / 4)
    x log2(1 + count): evaluative first, then how much the corpus uses it, with a bonus for quoted and
    actor-directed use.
    """
    known = _lexicon_words(lexicon or {})
    evidence, words, actor_share = _collect(sentences, hits=hits, mentions=mentions, known=known,
                                            max_words=max_words, min_strength=min_strength)
    reference, n_general = patterns.general_english()
    n_tokens = max(sum(words.values()), 1)
    dismissed = {_singular_of(" ".join(t.split())) for t in not_loaded}  # "winner" listed: "winners" too
    rows = []
    for term, ev in evidence.items():
        if ev.count < min_count or len(ev.articles) < min_articles or _singular_of(term) in dismissed:
            continue
        if ev.named >= NAME_SHARE * ev.count and not keyness.is_acronym(term):
            continue  # "Supreme Court", "Great Recession", "Freedom Edge": written as a name, it names
        power, scare = strength(term, ignore=dismissed), ev.scare / ev.count
        if power < min_strength and ev.scare < MIN_SCARE:
            continue
        key = _keyness(term, words, n_tokens, reference, n_general)
        if key < min_g2:
            continue
        polarity, subjectivity = _sentiment(term)
        quoted, actor_rate = ev.quoted / ev.count, ev.with_actor / ev.count
        lift = actor_rate / actor_share if actor_share else 0.0
        score = (max(power, scare) * (1 + quoted / 2) * (1 + min(lift, 2.0) / 4) * math.log2(1 + ev.count))
        rows.append({"term": term, "count": ev.count, "n_articles": len(ev.articles), "strength": power,
                     "polarity": polarity, "subjectivity": subjectivity, "scare_quote_rate": scare,
                     "quoted_rate": quoted, "g2": key, "actor_rate": actor_rate, "actor_lift": lift,
                     "score": score, "example": ev.examples[0], "example_2": (ev.examples[1:] or [""])[0]})
    if not rows:
        return tables.empty("loaded_candidates")
    out = _without_nested(pd.DataFrame(rows).sort_values(["score", "term"], ascending=[False, True]))
    log.debug("%d loaded-term candidates", len(out))
    return tables.conform(out.head(limit) if limit else out, "loaded_candidates")


def occurrences(sentences: pd.DataFrame, terms: Iterable[str]) -> Iterator[tuple[str, str, int, int]]:
    """Every use of ``terms`` (as ``candidates`` counts them) in ``sentences``: ``(term, article_id, start, end)``
    with offsets in the article's text (``sentences.start`` + offset in the sentence)."""
    wanted = set(terms)
    longest = max((len(t.split(" ")) for t in wanted), default=0)
    prefixes = _prefixes(wanted)
    grams = _Grams()
    for aid, base, text, _, _ in _rows(sentences):
        for term, s, e in grams.of(grams.words(text), text, longest=longest, prefixes=prefixes):
            if term in wanted:
                yield term, aid, base + s, base + e


def phrases(sentences: pd.DataFrame, *, top: int = 10, min_count: int = 3, min_articles: int = 2,
            max_words: int = 3) -> pd.DataFrame:
    """The most distinctive multi-word terms of ``sentences``: n-grams of two to ``max_words`` words (opening and
    closing on a content word) ranked by log-likelihood G2 of their count against the count their words'
    frequencies predict (a collocation measure, Dunning 1993). Columns: term, count, n_articles, g2, example.

    Every n-gram of the corpus is counted, so memory grows with the corpus's vocabulary of phrases: use it on a
    story's few hundred or few thousand articles, not on millions."""
    words, grams, articles, examples = Counter(), Counter(), defaultdict(set), {}
    ngrams = _Grams()
    for aid, _, text, _, _ in _rows(sentences):
        found = ngrams.words(text)
        words.update(w for w, _, _ in found)
        for term, _, _ in ngrams.of(found, text, longest=max_words, shortest=2):
            grams[term] += 1
            articles[term].add(aid)
            if term not in examples:
                examples[term] = _example(text)
    n_tokens = max(sum(words.values()), 1)
    rows = []
    for term, count in grams.items():
        if count < min_count or len(articles[term]) < min_articles:
            continue
        expected = n_tokens * math.prod(words[w] / n_tokens for w in term.split(" "))
        if count > expected:
            rows.append({"term": term, "count": count, "n_articles": len(articles[term]),
                         "g2": g2(count, expected, n_tokens, n_tokens), "example": examples[term]})
    columns = ["term", "count", "n_articles", "g2", "example"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = _without_nested(pd.DataFrame(rows).sort_values(["g2", "term"], ascending=[False, True]))
    return out.head(top).reset_index(drop=True)[columns]


def _rows(sentences: pd.DataFrame):
    n = len(sentences)
    starts = sentences["start"].tolist() if "start" in sentences else [0] * n
    sent_ids = sentences["sent_id"].tolist() if "sent_id" in sentences else list(range(n))
    voices = sentences["voice"].fillna("").tolist() if "voice" in sentences else [""] * n
    return zip(sentences["article_id"].astype(str), map(int, starts), sentences["text"].fillna("").astype(str),
               sent_ids, voices)


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(concordance.normal(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


class _Grams:
    """The words of sentences (``_words``) and their n-grams that can be terms: words standing next to each other
    (only spaces between), opening and closing on a content word (``_content``), with only content and glue
    words (``_GLUE``) inside. Each distinct word's normal form and kind are worked out once, and a sentence's
    n-grams are enumerated without building those that cannot be terms (a longer n-gram fails wherever a shorter
    one from the same word failed on punctuation or on a word that is neither content nor glue)."""

    def __init__(self):
        self.normal: dict[str, str] = {}
        self.kind: dict[str, int] = {}  # 2: content word, 1: glue word, 0: neither

    def words(self, text: str) -> list[tuple[str, int, int]]:
        """``_words(text)``."""
        normal = self.normal
        out = []
        for m in _WORD.finditer(text):
            raw = m.group()
            word = normal.get(raw)
            if word is None:
                word = normal[raw] = concordance.normal(raw)
            out.append((word, m.start(), m.end()))
        return out

    def of(self, found: list[tuple[str, int, int]], text: str, *, longest: int, shortest: int = 1,
           prefixes: Collection[str] | None = None,
           starts: Iterable[int] | None = None) -> Iterator[tuple[str, int, int]]:
        """``(term, start, end)`` of every n-gram of ``found`` (``_words`` of ``text``) that can be a term,
        ``shortest`` to ``longest`` words, by first word, then by length; with ``prefixes`` (``_prefixes`` of the
        terms wanted) only those all of whose first words make one, with ``starts`` only those opening at these
        indices of ``found``."""
        get = self.kind.get  # one dict look-up a word; ``_kind`` works out the words not seen yet
        kinds = [get(w) for w, _, _ in found]
        if None in kinds:
            kinds = [self._kind(w) for w, _, _ in found]
        for i in (range(len(found)) if starts is None else sorted(starts)):
            first, start, _ = found[i]
            if kinds[i] != 2 or (prefixes is not None and first not in prefixes):
                continue
            term = first
            for j in range(i, min(i + longest, len(found))):
                if j > i:
                    if text[found[j - 1][2]:found[j][1]].strip():
                        break  # punctuation between: no longer n-gram from i either
                    term = f"{term} {found[j][0]}"
                    if prefixes is not None and term not in prefixes:
                        break  # no wanted term opens with these words
                if j - i + 1 >= shortest and kinds[j] == 2:
                    yield term, start, found[j][2]
                if kinds[j] == 0:
                    break  # neither content nor glue: it may close a term only, and it did not

    def _kind(self, word: str) -> int:
        kind = self.kind.get(word)
        if kind is None:
            kind = self.kind[word] = 2 if _content(word) else 1 if word.lower() in _GLUE else 0
        return kind


def _content(word: str) -> bool:
    """A word that can open or close a term: an acronym (US is not the stop word "us"), or 3+ letters, no stop word."""
    return keyness.is_acronym(word) or (len(word) >= 3 and word.lower() not in _stop_words())


def _collect(sentences: pd.DataFrame, *, hits, mentions, known: set[str], max_words: int, min_strength: float):
    """Evidence per candidate term, the word counts and token count of the corpus, and the share of its sentences
    naming an actor. Only terms with an evaluative word, or scare-quoted ``MIN_SCARE`` times, are followed (a
    second pass counts every use of the latter): following every n-gram of a large corpus would not fit in
    memory."""
    covered, names = _spans(hits), _spans(mentions)
    with_actor = set()
    if mentions is not None and len(mentions):
        named = mentions[mentions["actor"].fillna("") != ""] if "actor" in mentions else mentions
        with_actor = set(zip(named["article_id"].astype(str), named["sent_id"]))
    words, evidence, scared = Counter(), defaultdict(_Evidence), Counter()
    grams = _Grams()
    strong: dict[str, bool] = {}  # word -> evaluative (``_evaluative`` of a term: any of its words)
    n_sents = n_actor = 0
    for aid, base, text, sent_id, sent_voice in _rows(sentences):
        found = grams.words(text)
        words.update(w for w, _, _ in found)
        n_sents += 1
        actor = (aid, sent_id) in with_actor
        n_actor += actor
        marks = voice.quoted_segments(text) if any(ch in text for ch in voice.MARK_CHARS) else []
        for term, kind, s, e in _uses(found, text, grams=grams, max_words=max_words, known=known,
                                      spans=covered.get(aid, _NONE), names=names.get(aid, _NONE), base=base,
                                      marks=marks, starts=_openings(found, marks, strong, min_strength, max_words)):
            if _strong(term, strong, min_strength):
                _record(evidence[term], aid, text, kind(), sent_voice, actor, s, e)
            elif kind() == "scare_quote":
                scared[term] += 1
    # Only a term scare-quoted MIN_SCARE times can be proposed without an evaluative word: the second pass
    # follows those alone (any term scare-quoted once were tens of thousands, and most sentences' words).
    scared = {term for term, n in scared.items() if n >= MIN_SCARE}
    if scared:
        prefixes = _prefixes(scared)
        for aid, base, text, sent_id, sent_voice in _rows(sentences):
            for term, kind, s, e in _uses(grams.words(text), text, grams=grams, max_words=max_words, known=known,
                                          spans=covered.get(aid, _NONE), names=names.get(aid, _NONE), base=base,
                                          prefixes=prefixes, wanted=scared):
                _record(evidence[term], aid, text, kind(), sent_voice, (aid, sent_id) in with_actor, s, e)
    return evidence, words, (n_actor / n_sents if n_sents else 0.0)


def _openings(found: list, marks: list[tuple[int, int]], strong: dict[str, bool], min_strength: float,
              max_words: int) -> set[int]:
    """Indices of the words of a sentence (``found``) that an n-gram the first pass records can open at: up to
    ``max_words - 1`` words before an evaluative word (the term must hold one), or inside quote marks (a scare
    quote). The others' n-grams can be neither, and were most of the pass's time; a sentence with no evaluative
    word and no quote mark has none."""
    out: set[int] = set()
    for k, (w, s, _) in enumerate(found):
        evaluative = strong.get(w)  # a word has no spaces: its own entry, or ``_strong`` makes it
        if evaluative is None:
            evaluative = _strong(w, strong, min_strength)
        if evaluative:
            out.update(range(max(0, k - max_words + 1), k + 1))
        elif marks and any(o < s < c for o, c in marks):
            out.add(k)
    return out


def _strong(term: str, strong: dict[str, bool], min_strength: float) -> bool:
    """Whether any word of ``term`` is evaluative (``_word_strength`` >= ``min_strength``), each word's answer
    kept in ``strong``."""
    for w in term.split(" "):
        found = strong.get(w)
        if found is None:
            found = strong[w] = _word_strength(w) >= min_strength
        if found:
            return True
    return False


def _uses(found: list, text: str, *, grams: _Grams, max_words: int, known: set[str], spans: _Spans,
          names: _Spans, base: int, prefixes: Collection[str] | None = None,
          wanted: Collection[str] | None = None, starts: set[int] | None = None, marks: list | None = None):
    """(term, its voice from the marks, start, end in the sentence) of every candidate n-gram of one sentence
    (with ``wanted``: only those terms, whose ``_prefixes`` are ``prefixes``), but none inside a lexicon hit
    (``spans``) and none holding a capitalised word of a mention in ``names`` ("United States", "Clinton win" are
    no loaded terms; a lower-case "regime" inside the alias "Pyongyang regime" still is). ``starts`` limits them to
    n-grams opening at these word indices (``_Grams.of``); ``marks`` are the sentence's ``voice.quoted_segments``
    when the caller has them. The voice is a function, called when wanted: most n-grams are never looked at, and
    a sentence without quote marks needs no pairing of marks."""
    by_pair: dict = {}

    def voice_of(s: int, e: int) -> str:
        nonlocal marks
        if marks is None:
            marks = voice.quoted_segments(text) if any(ch in text for ch in voice.MARK_CHARS) else []
        return _marked(text, s, e, marks, by_pair) if marks else "narrator"

    for term, s, e in grams.of(found, text, longest=max_words, prefixes=prefixes, starts=starts):
        if wanted is not None and term not in wanted:
            continue
        if " " not in term and (term.lower() in known or _singular(term.lower()) in known):
            continue
        if spans.overlaps(base + s, base + e):
            continue  # inside a lexicon hit: the lexicon already has it
        if names.overlaps(base + s, base + e) and _holds_a_name(text, s, e, names, base):
            continue
        yield term, (lambda s=s, e=e: voice_of(s, e)), s, e


def _prefixes(terms: Iterable[str]) -> set[str]:
    """Every opening run of words of ``terms`` ("red line": "red", "red line"): an n-gram that is none of them
    cannot grow into one of the terms, so enumerating n-grams stops there."""
    out = set()
    for term in terms:
        words = term.split(" ")
        out.update(" ".join(words[:k]) for k in range(1, len(words) + 1))
    return out


def _record(ev: _Evidence, aid: str, text: str, kind: str, sent_voice: str, actor: bool, start: int,
            end: int) -> None:
    ev.count += 1
    # In quote marks capitals may be a title ("Meet the Press") or a slogan ("Death to America"): not read there
    ev.named += kind == "narrator" and _as_name(text, start, end)
    ev.articles.add(aid)
    ev.scare += kind == "scare_quote"
    ev.quoted += sent_voice == "quoted" or kind != "narrator"
    ev.with_actor += actor
    if len(ev.examples) < 2:
        example = _example(text)
        if example not in ev.examples:
            ev.examples.append(example)


def _example(sentence: str, *, limit: int = EXAMPLE_CHARS) -> str:
    """``sentence`` as an example, cut after its last whole word within ``limit`` characters and marked "…" when
    longer (a sentence the parser left unsplit can run to thousands)."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[:cut if cut > limit // 2 else limit].rstrip() + " …"


@cache
def _word_strength(word: str) -> float:
    """A word's strength, 0..1: for a word of TextBlob's pattern lexicon (mostly adjectives) its |polarity|, or
    half its subjectivity when that is larger, since subjectivity alone ("likely", "key", "potential") is weak
    evidence of loading; for a word only VADER lists, 3/4 of |valence| / 4, since VADER also scores topical nouns
    by the thing they name ("gun", "ban", "war"). On PTC train this ordering puts "evil", "worst", "devastating"
    before "confirmed" and "likely" (bench/validate_discovery.py)."""
    pattern, vader = _sentiment_lexicons()
    word = word.lower()
    if word in pattern:
        polarity, subjectivity = pattern(word)
        return max(abs(polarity), subjectivity / 2)
    return min(1.0, abs(vader.get(word, 0.0)) / 4) * 0.75


def _marked(text: str, start: int, end: int, marks: list[tuple[int, int]], by_pair: dict | None = None) -> str:
    """Voice of text[start:end] from the quote marks around it in its sentence (narrator when none). In a
    sentence of one line, ``voice.classify`` reads only the innermost pair of marks around the words, so its
    answer is kept per pair in ``by_pair``: every n-gram inside a quotation gets the same one."""
    inside = [(o, c) for o, c in marks if o < start and c >= end]
    if not inside:
        return "narrator"
    if by_pair is None or "\n" in text:
        return voice.classify(text, start, end, sentence=(0, len(text)))["voice"]
    pair = min(inside, key=lambda oc: oc[1] - oc[0])  # the pair voice.classify takes (the first of the narrowest)
    if pair not in by_pair:
        by_pair[pair] = voice.classify(text, start, end, sentence=(0, len(text)))["voice"]
    return by_pair[pair]


def _keyness(term: str, words: Counter, n_tokens: int, reference: Counter, n_general: int) -> float:
    """G2 of a word against general English (0 when less frequent than there); a phrase takes its rarest word's."""
    # An acronym that is a glue word in lower case ("OR", "AN" in capitals) is a term of its own: keep it.
    parts = [w for w in term.split(" ") if w.lower() not in _GLUE] or term.split(" ")
    scores = []
    for w in parts:
        count, general = words[w], reference.get(w.lower(), 0)
        over = count / n_tokens > general / n_general
        scores.append(g2(count, general, n_tokens, n_general) if over else 0.0)
    rarest = min(range(len(parts)), key=lambda k: reference.get(parts[k].lower(), 0))
    return scores[rarest] if scores[rarest] else max(scores)


def _without_nested(df: pd.DataFrame) -> pd.DataFrame:
    """Drop a phrase that only ever occurs inside a longer proposed phrase (same count), keeping the longer one."""
    counts = dict(zip(df["term"], df["count"]))
    drop = set()
    for longer, count in counts.items():  # its shorter runs of words, not every other term: linear, not quadratic
        words = longer.split(" ")
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1 - (i == 0)):
                part = " ".join(words[i:j])
                if counts.get(part) == count:
                    drop.add(part)
    return df[~df["term"].isin(drop)]


def _sentiment(term: str) -> tuple[float, float]:
    scores = [word_sentiment(w) for w in term.split(" ")]
    polarity = max((p for p, _ in scores), key=abs)
    subjective = [s for _, s in scores if s == s]
    return polarity, (max(subjective) if subjective else float("nan"))


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


def _as_name(text: str, start: int, end: int) -> bool:
    """Whether the use ``text[start:end]`` is written as a name: each of its words but glue words capitalised, not
    at the sentence's opening and in a sentence not in title case (a headline's capitals say nothing). NER misses
    names ("the Supreme Court", "the Great Recession", an exercise called Freedom Edge) that ``_holds_a_name``
    would catch; their capitals still tell. ``_record`` asks only of uses outside quote marks."""
    if not text[start:start + 1].isupper() or not text[:start].strip(_OPENERS):
        return False
    if any(not w[:1].isupper() and w.lower() not in _GLUE for w in text[start:end].split()):
        return False
    # Title case: most of the other words are capitalised too (not the first, not glue words, not the rest of the
    # name the use belongs to: "Horrible" of "Horrible Bosses").
    words = [(m.group(), m.start()) for m in _WORD.finditer(text)]
    inside = [k for k, (_, s) in enumerate(words) if start <= s < end]
    first, last = inside[0], inside[-1]
    while first > 1 and words[first - 1][0][:1].isupper():
        first -= 1
    while last + 1 < len(words) and words[last + 1][0][:1].isupper():
        last += 1
    others = [w for k, (w, _) in enumerate(words) if k and not first <= k <= last and w.lower() not in _GLUE]
    return sum(w[:1].isupper() for w in others) * 2 <= len(others)


_OPENERS = " \t\n\"'“‘«(-–—"


def _holds_a_name(text: str, start: int, end: int, names: _Spans, base: int) -> bool:
    """Whether a capitalised word of ``text[start:end]`` is part of a name (a span of ``names``): "United States",
    "clinton win", "Biden regime" are about who is named, not loaded words ("regime" alone still is one)."""
    return any(m.group()[:1].isupper() and names.overlaps(base + m.start(), base + m.end())
               for m in _WORD.finditer(text, start, end))


class _Spans:
    """Character spans of one article (lexicon hits, or mentions), merged where they overlap, for a test of
    overlap in log time: an article has dozens of mentions and each sentence hundreds of n-grams."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()):
        merged: list[list[int]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts, self.ends = [s for s, _ in merged], [e for _, e in merged]

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``start:end`` shares a character with a span."""
        k = bisect_left(self.starts, end) - 1  # the last span starting before ``end``
        return k >= 0 and self.ends[k] > start


_NONE = _Spans()


def _spans(table: pd.DataFrame | None) -> dict[str, _Spans]:
    """The ``start``/``end`` spans of ``table`` (hits or mentions), per article."""
    if table is None or not len(table) or "start" not in table:
        return {}
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for aid, s, e in zip(table["article_id"], table["start"], table["end"]):
        found[str(aid)].append((int(s), int(e)))
    return {aid: _Spans(spans) for aid, spans in found.items()}


def _singular_of(term: str) -> str:
    """``term`` lower-cased with its last word singular: "Winners" -> "winner", "red lines" -> "red line"."""
    *head, last = term.lower().split(" ")
    return " ".join([*head, _singular(last)])


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
