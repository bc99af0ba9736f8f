"""Rhetoric stage: phrase families and the voice that carries them.

The lexicon (``analysis/data/phrases.yaml``) groups wordings into families ("Asian NATO", name-calling, fear
appeals ...). ``hits`` finds every family in an article and says whose words each hit is: the outlet's own
(narrator), a speaker's (direct, partial quote, paraphrase), or held at arm's length (scare quote).
``adoption``, ``kwic`` and ``dispersion`` summarise the hits; ``loaded_candidates`` proposes words the
lexicon lacks.
"""
from __future__ import annotations

import bisect
import contextlib
import itertools
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from spacy.attrs import IDX, LEMMA, LOWER, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from analysis import tables

log = logging.getLogger(__name__)

VOICES = ("narrator", "direct_quote", "partial_quote", "scare_quote", "paraphrase")
UNKNOWN_OUTLET = "(unknown)"

# SemEval-2023 Task 3 (subtask 3) persuasion techniques, spelled as the task spells them.
TECHNIQUES = frozenset({
    "Appeal_to_Authority", "Appeal_to_Popularity", "Appeal_to_Values", "Appeal_to_Fear-Prejudice",
    "Flag_Waving", "Causal_Oversimplification", "False_Dilemma-No_Choice", "Consequential_Oversimplification",
    "Straw_Man", "Red_Herring", "Whataboutism", "Slogans", "Appeal_to_Time", "Conversation_Killer",
    "Loaded_Language", "Repetition", "Exaggeration-Minimisation", "Obfuscation-Vagueness-Confusion",
    "Name_Calling-Labeling", "Doubt", "Guilt_by_Association", "Appeal_to_Hypocrisy", "Questioning_the_Reputation",
})

QUOTE_MARKS = ('"', "'", "“", "”", "‘", "’", "„", "‚", "«", "»", "‹", "›", "`", "´", "''", "``")
BRACKETS = ("[", "]", "(", ")")
HYPHENS = ("-", "‐", "‑", "–")  # not the em dash: "Asia — NATO" is two clauses, not one phrase
MARKS = QUOTE_MARKS + BRACKETS + HYPHENS  # may stand between two words of a phrase, any number of them

# Parts of speech a lexicon word is lemmatised under when the matcher is built ("flexing" -> "flex").
LEMMA_POS = ("NOUN", "VERB", "ADJ", "ADV")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD = re.compile(r"^[\w.&'’]+$")
_GAP = re.compile(r"^\.\.\.(\d*)$")
_LEX = re.compile(r"\s+|[()\[\]|]|[^\s()\[\]|]+")
_POSSESSIVE = re.compile(r"^(.+?)['’]s$")

# Reporting words that attribute a short quoted phrase when they stand right before it ("what it called")
# or in the clause right after it ('..." the ministry said'). Inflected forms, so no lemmatiser is needed.
CUE_WORDS = frozenset("""
say says said saying call calls called calling describe describes described describing dub dubs dubbed
dubbing term terms termed terming label labels labelled labeled branded brand brands claim claims claimed
claiming state states stated declare declares declared add adds added note notes noted warn warns warned
insist insists insisted report reports reported stress stresses stressed emphasize emphasizes emphasized
emphasise emphasises emphasised according quote quotes quoted tell tells told write writes wrote allege
alleges alleged denounce denounces denounced urge urges urged accuse accuses accused slam slams slammed
""".split())
_SO_CALLED = re.compile(r"so[\s\-‐‑]?called\s*$", re.I)


class LexiconError(ValueError):
    """The phrase lexicon is malformed; the message names the file, family and variant."""


# --------------------------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class _Word:
    forms: tuple[str, ...]
    exact: bool = False
    hyphen: bool = False  # must be joined to the previous word by a hyphen
    attach: bool = False  # follows the previous token with nothing between ('s)


@dataclass(frozen=True)
class _Gap:
    size: int


@dataclass(frozen=True)
class _Group:
    options: tuple[tuple, ...]
    optional: bool = False


def default_path() -> Path:
    """The lexicon shipped with the workbook, ``analysis/data/phrases.yaml``."""
    return Path(str(resources.files("analysis").joinpath("data/phrases.yaml")))


def lexicon(path: str | Path | None = None) -> dict:
    """Load and validate a phrase lexicon (the shipped one by default).

    Returns ``{family_id: family}`` in file order; each family has ``id``, ``label``, ``category``,
    ``techniques`` (list), ``note``, ``variants`` (each with ``id`` = ``<family>.<variant>``, ``local_id``,
    ``pattern`` and the compiled ``token_patterns``) and ``exclude`` (pattern, token_patterns).
    Raises ``LexiconError`` naming the family and variant of the first problem found.
    """
    path = Path(path) if path else default_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise LexiconError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("families"), list):
        raise LexiconError(f"{path}: expected a top-level `families:` list")
    families: dict[str, dict] = {}
    for i, raw in enumerate(data["families"]):
        family = _family(raw, path=path, number=i + 1)
        if family["id"] in families:
            raise LexiconError(f"{path}: family {family['id']!r} is defined twice")
        families[family["id"]] = family
    log.debug("lexicon %s: %d families, %d variants", path, len(families),
              sum(len(f["variants"]) for f in families.values()))
    return families


def _family(raw: object, *, path: Path, number: int) -> dict:
    where = f"{path}: family #{number}"
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: expected a mapping with id, label, category, techniques, variants")
    fid = raw.get("id")
    if not isinstance(fid, str) or not _ID.match(fid):
        raise LexiconError(f"{where}: id {fid!r} must be lower-case letters, digits and _")
    where = f"{path}: family {fid!r}"
    unknown = set(raw) - {"id", "label", "category", "techniques", "note", "variants", "exclude"}
    if unknown:
        raise LexiconError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("label", "category"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise LexiconError(f"{where}: `{key}` must be a non-empty string")
    techniques = raw.get("techniques") or []
    bad = [t for t in techniques if t not in TECHNIQUES] if isinstance(techniques, list) else [techniques]
    if bad:
        raise LexiconError(f"{where}: unknown techniques {bad}; use SemEval-2023 Task 3 names such as "
                           f"{', '.join(sorted(TECHNIQUES)[:4])} ...")
    if not isinstance(raw.get("variants"), list) or not raw["variants"]:
        raise LexiconError(f"{where}: needs a non-empty `variants` list")
    variants, seen = [], set()
    for v in raw["variants"]:
        vid = v.get("id") if isinstance(v, dict) else None
        if not isinstance(vid, str) or not _ID.match(vid) or vid in seen:
            raise LexiconError(f"{where}: variant id {vid!r} is missing, malformed or repeated")
        seen.add(vid)
        if set(v) - {"id", "pattern", "note"}:
            raise LexiconError(f"{where}, variant {vid!r}: unknown keys {sorted(set(v) - {'id', 'pattern', 'note'})}")
        variants.append({"id": f"{fid}.{vid}", "local_id": vid, "pattern": v.get("pattern"),
                         "token_patterns": _checked(v.get("pattern"), where=f"{where}, variant {vid!r}")})
    exclude = [{"pattern": p, "token_patterns": _checked(p, where=f"{where}, exclude {p!r}")}
               for p in raw.get("exclude") or []]
    return {"id": fid, "label": raw["label"], "category": raw["category"], "techniques": list(techniques),
            "note": raw.get("note", ""), "variants": variants, "exclude": exclude}


def _checked(pattern: object, *, where: str) -> list[list[dict]]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise LexiconError(f"{where}: `pattern` must be a non-empty string")
    try:
        return compile_pattern(pattern)
    except ValueError as err:
        raise LexiconError(f"{where}: bad pattern {pattern!r}: {err}") from None


def compile_pattern(pattern: str) -> list[list[dict]]:
    """Compile one pattern string (syntax in phrases.yaml's header) to spaCy Matcher token patterns.

    Raises ``ValueError`` saying what is wrong; ``lexicon`` adds the family and variant.
    """
    tokens = [t for t in _LEX.findall(pattern) if not t.isspace()]
    elements, i = _sequence(tokens, 0, in_group=False)
    if i != len(tokens):
        raise ValueError(f"unexpected {tokens[i]!r}")
    paths = _expand(elements)
    if len(paths) > 256:
        raise ValueError(f"expands to {len(paths)} token patterns; split it into several variants")
    return [_token_pattern(p) for p in paths]


def _sequence(tokens: list[str], i: int, *, in_group: bool) -> tuple[list, int]:
    elements: list = []
    while i < len(tokens) and tokens[i] not in ")]":
        if tokens[i] == "|":
            if in_group:
                break  # inside ( ), | separates whole word sequences
            if not elements or isinstance(elements[-1], _Gap):
                raise ValueError("`|` needs a word on each side")
            nxt, i = _atom(tokens, i + 1)
            elements[-1] = _alternatives(elements[-1], nxt)
            continue
        atom, i = _atom(tokens, i)
        elements.append(atom)
    return elements, i


def _atom(tokens: list[str], i: int):
    if i >= len(tokens):
        raise ValueError("pattern ends where a word was expected")
    tok = tokens[i]
    if tok == "[":
        inner, j = _sequence(tokens, i + 1, in_group=False)
        if j >= len(tokens) or tokens[j] != "]" or not inner:
            raise ValueError("unbalanced or empty [ ]")
        return _Group((tuple(inner),), optional=True), j + 1
    if tok == "(":
        options, j = [], i + 1
        while True:
            inner, j = _sequence(tokens, j, in_group=True)
            if not inner:
                raise ValueError("empty alternative in ( )")
            options.append(tuple(inner))
            if j < len(tokens) and tokens[j] == "|":
                j += 1
                continue
            break
        if j >= len(tokens) or tokens[j] != ")":
            raise ValueError("unbalanced ( )")
        return _Group(tuple(options)), j + 1
    if tok in ")]|":
        raise ValueError(f"unexpected {tok!r}")
    if gap := _GAP.match(tok):
        size = int(gap.group(1) or 3)
        if not 1 <= size <= 10:
            raise ValueError(f"gap {tok!r} must allow 1 to 10 words")
        return _Gap(size), i + 1
    return _words(tok), i + 1


def _words(chunk: str):
    hyphen, exact = False, False
    if chunk.startswith("-?"):
        chunk = chunk[2:]
    elif chunk.startswith("-"):
        hyphen, chunk = True, chunk[1:]
    if chunk.startswith("="):
        exact, chunk = True, chunk[1:]
    parts = [p for p in re.split(r"[-‐‑–]", chunk)]
    if not chunk or any(not p for p in parts):
        raise ValueError(f"bad word {chunk!r}")
    words: list[_Word] = []
    for k, part in enumerate(parts):
        possessive = _POSSESSIVE.match(part)
        base = possessive.group(1) if possessive else part
        if not _WORD.match(base):
            raise ValueError(f"bad word {part!r} (letters, digits, . & ' only; marks between words are "
                             f"matched automatically)")
        words.append(_Word((base.lower(),), exact=exact, hyphen=hyphen and k == 0))
        if possessive:
            words.append(_Word(("'s", "’s"), exact=True, attach=True))
    return words[0] if len(words) == 1 else _Group((tuple(words),))


def _alternatives(left, right) -> _Group:
    def options(x) -> tuple:
        if isinstance(x, _Group):
            if x.optional:
                raise ValueError("an optional [ ] cannot be one side of `|`; put the | inside the brackets")
            return x.options
        return ((x,),)
    return _Group(options(left) + options(right))


def _expand(elements: Sequence) -> list[list]:
    """All concrete unit sequences: words (with an optional flag) and gaps."""
    paths: list[list] = [[]]
    for el in elements:
        if isinstance(el, (_Word, _Gap)):
            paths = [p + [(el, False)] for p in paths]
            continue
        merged = _merge(el)
        if merged is not None:
            paths = [p + [(merged, el.optional)] for p in paths]
            continue
        subs = [s for opt in _flat_options(el) for s in _expand(opt)] + ([[]] if el.optional else [])
        paths = [p + s for p in paths for s in subs]
    return paths


def _flat_options(group: _Group) -> tuple[tuple, ...]:
    """The group's options, with a lone inner group (`[that|which]`) unwrapped."""
    out: list[tuple] = []
    for opt in group.options:
        inner = opt[0] if len(opt) == 1 else None
        out.extend(_flat_options(inner) if isinstance(inner, _Group) and not inner.optional else [opt])
    return tuple(out)


def _merge(group: _Group) -> _Word | None:
    """A group whose options are all single plain words becomes one token with alternative forms."""
    options = _flat_options(group)
    words = [opt[0] for opt in options if len(opt) == 1 and isinstance(opt[0], _Word)]
    if len(words) != len(options) or len({w.exact for w in words}) != 1 or any(w.attach for w in words):
        return None
    forms = tuple(dict.fromkeys(f for w in words for f in w.forms))
    return _Word(forms, exact=words[0].exact, hyphen=any(w.hyphen for w in words))


def _token_pattern(path: list) -> list[dict]:
    if not any(isinstance(u, _Word) and not opt for u, opt in path):
        raise ValueError("every word is optional; at least one must be required")
    if isinstance(path[0][0], _Gap) or isinstance(path[-1][0], _Gap):
        raise ValueError("a gap `...` cannot open or close a pattern")
    out: list[dict] = []
    for unit, optional in path:
        if isinstance(unit, _Gap):
            out.append({"IS_SENT_START": False, "OP": f"{{0,{unit.size}}}"})
            continue
        if out and not unit.attach:
            if unit.hyphen:
                out.append({"ORTH": {"IN": list(HYPHENS)}, **({"OP": "?"} if optional else {})})
            else:
                out.append({"ORTH": {"IN": list(MARKS)}, "OP": "*"})
        token = ({"LOWER": {"IN": list(unit.forms)}} if unit.exact
                 else {"LEMMA": {"IN": _casings(unit.forms + tuple(p for f in unit.forms for p in _plurals(f)))}})
        if optional:
            token["OP"] = "?"
        out.append(token)
    return out


def _plurals(word: str) -> list[str]:
    """Plural spellings of a lexicon noun: a capitalised plural in a headline is often tagged PROPN, whose lemma
    spaCy leaves as written ("Stooges")."""
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return [word[:-1] + "ies"]
    return [word + "es"] if word.endswith(("s", "x", "z", "ch", "sh")) else [word + "s"]


def _casings(words: Iterable[str]) -> list[str]:
    """Lemmas are case-sensitive (spaCy keeps a proper noun's case: "NATO", "Asia"), so list each casing."""
    return list(dict.fromkeys(c for w in words for c in (w, w.capitalize(), w.title(), w.upper())))


def matcher(nlp: Language, lexicon: dict) -> LexiconMatcher:
    """A matcher for every variant (key ``<family>/<variant id>``) and exclude pattern of ``lexicon``.

    Plain words match on LEMMA (``=word`` on LOWER). A word written inflected in the lexicon ("flexing") is
    lemmatised here with ``nlp``'s lemmatizer, so it also matches text tokens whose lemma is its base form.
    """
    if "lemmatizer" not in nlp.pipe_names:
        log.warning("pipeline has no lemmatizer: lexicon words will only match tokens written as in the lexicon")
    lemmas = _lemmatiser(nlp)
    families = []
    for fid, family in lexicon.items():
        m, anchors = Matcher(nlp.vocab, validate=True), []
        for variant in family["variants"]:
            patterns = [[_with_lemmas(t, lemmas) for t in p] for p in variant["token_patterns"]]
            _add(m, f"{fid}/{variant['id']}", patterns, where=f"variant {variant['id']!r}")
            anchors += [_anchor(p) for p in patterns]
        for k, ex in enumerate(family["exclude"]):
            patterns = [[_with_lemmas(t, lemmas) for t in p] for p in ex["token_patterns"]]
            _add(m, f"{fid}/!exclude{k}", patterns, where=f"family {fid!r} exclude {ex['pattern']!r}")
        families.append(_Family(m, anchors, nlp.vocab))
    return LexiconMatcher(families)


def _anchor(pattern: list[dict]) -> dict | None:
    """A word token every match of ``pattern`` must contain, or None: the required word whose forms are rarest in
    general English, so that "the" or "on" never decides which sentences the matcher looks at."""
    counts, _ = _general_english()
    words = [t for t in pattern if "OP" not in t and ("LOWER" in t or "LEMMA" in t)]
    forms = lambda t: {w.lower() for w in (t.get("LOWER") or t["LEMMA"])["IN"]}  # noqa: E731
    return min(words, key=lambda t: sum(counts[w] for w in forms(t)), default=None)


class _Family:
    """One family's spaCy Matcher (variants and excludes) and the hashes of its variants' anchor words."""

    def __init__(self, matcher: Matcher, anchors: list[dict | None], vocab):
        self.matcher = matcher
        # A pattern without a word anchor could match anywhere: then every sentence is a candidate.
        self.everywhere = any(a is None for a in anchors)
        self.lower = _hashes(vocab, (w for a in anchors if a and "LOWER" in a for w in a["LOWER"]["IN"]))
        self.lemma = _hashes(vocab, (w for a in anchors if a and "LEMMA" in a for w in a["LEMMA"]["IN"]))

    def anchored(self, keys: np.ndarray) -> np.ndarray:
        """Which tokens (rows of a doc's LOWER, LEMMA array) are anchors of this family."""
        if self.everywhere:
            return np.ones(len(keys), dtype=bool)
        return np.isin(keys[:, 0], self.lower) | np.isin(keys[:, 1], self.lemma)


class LexiconMatcher:
    """The lexicon's compiled patterns, one spaCy Matcher per family, each run only where it can match.

    spaCy's Matcher tries every pattern at every token, and the lexicon has hundreds of patterns made of word-set
    predicates: run over whole articles, that cost as much as tagging them. Every variant pattern has a required
    word (its anchor, the rarest one), so a family can only match in a sentence that holds one of its anchors or
    next to one. Calling the matcher on a doc looks the anchors up for all tokens at once (LOWER and LEMMA hashes)
    and runs each family's Matcher on those sentences and their neighbours only: the neighbours because a
    parser's sentence boundary sometimes falls inside a phrase ("Asian version / [of] NATO"). Matches come back as
    a Matcher's ``(key, start, end)`` in doc token offsets, the same matches as the whole lexicon on the whole doc.
    """

    def __init__(self, families: list[_Family]):
        self.families = families

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not len(doc):
            return []
        keys = doc.to_array([LOWER, LEMMA])
        anchored = [(family, family.anchored(keys)) for family in self.families]
        anchored = [(family, mask) for family, mask in anchored if mask.any()]
        if not anchored:
            return []  # most articles of a general corpus: no sentence list needed
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else None
        return [(key, span.start + start, span.start + end) for family, mask in anchored
                for span in _near(doc, mask, sents) for key, start, end in family.matcher(span)]


def _near(doc: Doc, anchored: np.ndarray, sents: list[Span] | None) -> list[Span]:
    """The runs of ``sents`` with an anchored token and their neighbours (the whole doc when it has none)."""
    if sents is None:
        return [doc[:]]
    near = sorted({j for i, sent in enumerate(sents) if anchored[sent.start:sent.end].any()
                   for j in range(max(i - 1, 0), min(i + 2, len(sents)))})
    # Consecutive sentence numbers have the same difference to their position in ``near``: one run each.
    runs = [[j for _, j in run] for _, run in itertools.groupby(enumerate(near), key=lambda p: p[1] - p[0])]
    return [doc[sents[run[0]].start:sents[run[-1]].end] for run in runs]


def _hashes(vocab, words: Iterable[str]) -> np.ndarray:
    return np.array(sorted({vocab.strings.add(w) for w in words}), dtype=np.uint64)


def _lemmatiser(nlp: Language):
    """word -> its lemmas under each of LEMMA_POS, with nlp's rule lemmatizer (identity when there is none)."""
    pipe = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    rule = getattr(pipe, "rule_lemmatize", None)
    if pipe is None or getattr(pipe, "mode", "") != "rule" or rule is None:
        return lambda word: [word]
    seen: dict[str, list[str]] = {}

    def lemmas(word: str) -> list[str]:
        if word not in seen:
            out = [word]
            for pos in LEMMA_POS:
                doc = Doc(nlp.vocab, words=[word])
                doc[0].pos_ = pos
                out += [w.lower() for w in rule(doc[0])]
            seen[word] = list(dict.fromkeys(out))
        return seen[word]
    return lemmas


def _with_lemmas(token: dict, lemmas) -> dict:
    if "LEMMA" not in token:
        return token
    words = {w.lower() for w in token["LEMMA"]["IN"]}
    extra = [lem for w in sorted(words) for lem in lemmas(w) if lem not in words]
    return {**token, "LEMMA": {"IN": token["LEMMA"]["IN"] + _casings(dict.fromkeys(extra))}} if extra else token


def _add(m: Matcher, key: str, patterns: list, *, where: str) -> None:
    try:
        m.add(key, patterns)
    except ValueError as err:
        raise LexiconError(f"{where}: spaCy rejected the compiled pattern: {err}") from None


# ------------------------------------------------------------------------------------------------ hits


def spans(doc: Doc, *, matcher: LexiconMatcher, lexicon: dict, overlap: str = "family") -> list[tuple[str, str, Span]]:
    """Resolved matches as ``(family, variant, span)`` in text order.

    Overlapping matches are resolved longest-first (spacy.util.filter_spans) within each family when
    ``overlap="family"`` (a label inside a longer claim of another family counts for both), or across all
    families with ``overlap="all"``. A family's hits inside one of its ``exclude`` matches are dropped.
    """
    if overlap not in ("family", "all"):
        raise ValueError(f"overlap must be 'family' or 'all', not {overlap!r}")
    order = {fid: k for k, fid in enumerate(lexicon)}
    rank = {v["id"]: k for family in lexicon.values() for k, v in enumerate(family["variants"])}
    found: dict[str, list[Span]] = defaultdict(list)
    excluded: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for match_id, start, end in matcher(doc):
        fid, vid = doc.vocab.strings[match_id].split("/", 1)
        if fid not in lexicon:
            continue
        if vid.startswith("!exclude"):
            excluded[fid].append((start, end))
        else:
            found[fid].append(Span(doc, start, end, label=vid))
    groups: dict[str, list[Span]] = {}
    for fid in sorted(found, key=order.get):
        kept = [s for s in found[fid] if not any(a <= s.start and s.end <= b for a, b in excluded[fid])]
        groups[fid] = sorted(kept, key=lambda s: (s.start, -len(s), rank.get(s.label_, 0)))
    if overlap == "all":
        ranked = [(fid, s) for fid, ss in groups.items() for s in ss]
        best = {id(s) for s in filter_spans([s for _, s in ranked])}
        resolved = [(fid, s) for fid, s in ranked if id(s) in best]
    else:
        resolved = [(fid, s) for fid, ss in groups.items() for s in filter_spans(ss)]
    resolved.sort(key=lambda fs: (fs[1].start, order[fs[0]]))
    return [(fid, s.label_, s) for fid, s in resolved]


def hits(doc: Doc, *, matcher: LexiconMatcher, lexicon: dict, article_id: str = "",
         sentences: pd.DataFrame | None = None, quotes: pd.DataFrame | None = None,
         overlap: str = "family", scare_max_words: int = 6) -> pd.DataFrame:
    """Every lexicon hit in ``doc`` (one article) as a ``hits`` table, with its voice.

    ``sentences`` and ``quotes`` are the tagging stage's tables (rows of other articles are ignored);
    offsets index ``doc.text`` (= articles.text). The voice comes from the innermost quote containing
    the hit (see ``voice``); a quoted phrase of at most ``scare_max_words`` words with no speaker or
    reporting word nearby is a scare quote. ``overlap`` is passed to ``spans``.
    """
    rows = _records(doc, matcher=matcher, lexicon=lexicon, article_id=article_id, sentences=sentences,
                    quotes=quotes, overlap=overlap, scare_max_words=scare_max_words)
    return tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")


def _records(doc: Doc, *, matcher: LexiconMatcher, lexicon: dict, article_id: str, sentences: pd.DataFrame | None,
             quotes: pd.DataFrame | None, overlap: str, scare_max_words: int) -> list[dict]:
    found = spans(doc, matcher=matcher, lexicon=lexicon, overlap=overlap)
    if not found:
        return []
    text = doc.text
    sents = _for_article(sentences, article_id)
    quote_rows = _for_article(quotes, article_id)
    starts = sents["start"].tolist()
    rows = []
    for fid, vid, span in found:
        start, end = span.start_char, span.end_char
        k = bisect.bisect_right(starts, start) - 1
        sent = sents.iloc[k] if k >= 0 and start < sents["end"].iat[k] else None
        bounds = (int(sent["start"]), int(sent["end"])) if sent is not None else _sentence_bounds(span)
        position = str(sent["position"]) if sent is not None and "position" in sents else ""
        rows.append({"article_id": article_id, "sent_id": int(sent["sent_id"]) if sent is not None else -1,
                     "start": start, "end": end, "matched_text": text[start:end], "family": fid,
                     "variant": vid, "category": lexicon[fid]["category"],
                     "techniques": ";".join(lexicon[fid]["techniques"]),
                     **voice(text, start, end, quotes=quote_rows, sentence=bounds, scare_max_words=scare_max_words),
                     "in_headline": position == "headline", "position": position})
    return rows


def scan(articles: pd.DataFrame, *, nlp: Language, lexicon: dict | None = None,
         sentences: pd.DataFrame | None = None, quotes: pd.DataFrame | None = None, batch_size: int = 32,
         n_process: int = 1, overlap: str = "family", scare_max_words: int = 6) -> pd.DataFrame:
    """``hits`` for every article of an ``articles`` table (article_id, text), parsing with ``nlp.pipe`` once."""
    lexicon = lexicon if lexicon is not None else _load_lexicon()
    m = matcher(nlp, lexicon)
    sents_by, quotes_by = _split(sentences), _split(quotes)
    ids = articles["article_id"].tolist()
    rows: list[dict] = []
    docs = nlp.pipe(articles["text"].fillna("").tolist(), batch_size=batch_size, n_process=n_process)
    for article_id, doc in zip(ids, docs):
        rows += _records(doc, matcher=m, lexicon=lexicon, article_id=article_id,
                         sentences=sents_by.get(article_id), quotes=quotes_by.get(article_id), overlap=overlap,
                         scare_max_words=scare_max_words)
    log.info("%d hits in %d articles", len(rows), len(ids))
    return tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")


_load_lexicon = lexicon


def _split(df: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if df is None or not len(df):
        return {}
    return {aid: g for aid, g in df.groupby("article_id", sort=False)}


def _for_article(df: pd.DataFrame | None, article_id: str) -> pd.DataFrame:
    if df is None or not len(df):
        return pd.DataFrame(columns=["article_id", "start", "end"])
    if "article_id" in df and article_id:
        df = df[df["article_id"] == article_id]
    return df.sort_values("start", kind="stable").reset_index(drop=True)


def _sentence_bounds(span: Span) -> tuple[int, int]:
    doc = span.doc
    if doc.has_annotation("SENT_START"):
        sent = span.sent
        return sent.start_char, sent.end_char
    lo = doc.text.rfind("\n", 0, span.start_char) + 1
    hi = doc.text.find("\n", span.end_char)
    return lo, hi if hi >= 0 else len(doc.text)


# ----------------------------------------------------------------------------------------------- voice


def voice(text: str, start: int, end: int, *, quotes: pd.DataFrame | None = None,
          sentence: tuple[int, int] | None = None, scare_max_words: int = 6) -> dict:
    """Whose words ``text[start:end]`` are: ``{voice, quote_id, speaker, speaker_actor}``.

    The quotes table decides first (offset containment): inside a direct quote -> direct_quote; inside a
    partial quote -> partial_quote, or scare_quote when the partial quote is short and has no speaker, cue
    or reporting word nearby; inside an indirect quote -> paraphrase, or partial_quote when the words
    also stand in quote marks (a speaker's words quoted within reported speech). Outside every quote the
    marks in the text decide the same way; no marks -> narrator.
    """
    para_lo, para_hi = _paragraph(text, start, end)
    lo, hi = sentence or (para_lo, para_hi)
    sentence = (max(lo, para_lo), min(hi, para_hi))  # spaCy sentences can run across a line break
    containing = _containing(quotes, start, end)
    direct = [q for q in containing if q.get("kind") == "direct"]
    if direct:
        return _from_quote("direct_quote", direct[0])
    attributed = next((q for q in containing if q.get("speaker") or q.get("cue")), None)
    partial = next((q for q in containing if q.get("kind") == "partial"), None)
    if partial is not None:
        if attributed is not None:
            return _from_quote("partial_quote", partial, speaker_of=attributed)
        kind = _marked_phrase(text, partial["start"] - 1, partial["end"], sentence, scare_max_words)
        return _unattributed(kind) if kind == "scare_quote" else _from_quote("partial_quote", partial)
    segment = _enclosing_marks(text, start, end)
    if containing:  # indirect (reported speech)
        indirect = containing[0]
        return _from_quote("partial_quote" if segment else "paraphrase", indirect, speaker_of=attributed)
    if segment is None:
        return _unattributed("narrator")
    return _unattributed(_marked_phrase(text, *segment, sentence, scare_max_words))


def _containing(quotes: pd.DataFrame | None, start: int, end: int) -> list[dict]:
    """Quotes containing [start, end), innermost first."""
    if quotes is None or not len(quotes):
        return []
    inside = quotes[(quotes["start"] <= start) & (quotes["end"] >= end)]
    inside = inside.assign(_len=inside["end"] - inside["start"]).sort_values("_len", kind="stable")
    return [{k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in inside.drop(columns="_len").to_dict("records")]


def _from_quote(kind: str, quote: dict, *, speaker_of: dict | None = None) -> dict:
    source = speaker_of if speaker_of is not None and not quote.get("speaker") else quote
    return {"voice": kind, "quote_id": str(quote.get("quote_id", "") or ""),
            "speaker": str(source.get("speaker", "") or ""),
            "speaker_actor": str(source.get("speaker_actor", "") or "")}


def _unattributed(kind: str) -> dict:
    return {"voice": kind, "quote_id": "", "speaker": "", "speaker_actor": ""}


def _marked_phrase(text: str, open_at: int, close_at: int, sentence: tuple[int, int], scare_max_words: int) -> str:
    """Voice of a phrase standing in marks at ``open_at``..``close_at`` with no quote row attributing it."""
    lo, hi = sentence
    before = text[max(lo, open_at - 80):max(open_at, 0)]
    if _SO_CALLED.search(before):
        return "scare_quote"
    n_words = len(text[open_at + 1:close_at].split())
    if n_words <= scare_max_words:
        return "partial_quote" if _cue_near(text, open_at, close_at, lo, hi) else "scare_quote"
    return "direct_quote" if not text[lo:max(open_at, lo)].strip() else "partial_quote"


def _cue_near(text: str, open_at: int, close_at: int, lo: int, hi: int) -> bool:
    """A reporting word among the 3 words before the opening mark, or in the ', X said' clause after it."""
    before = re.findall(r"[A-Za-z]+", text[max(lo, open_at - 80):max(open_at, 0)])[-3:]
    after_text = text[close_at + 1:max(hi, close_at + 1)]
    after = re.findall(r"[A-Za-z]+", after_text)[:8] if after_text.lstrip().startswith(",") else []
    return any(w.lower() in CUE_WORDS for w in before + after)


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, hi if hi >= 0 else len(text)


def _enclosing_marks(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The innermost pair of quote marks (in the hit's paragraph) around ``text[start:end]``, as mark offsets."""
    lo, hi = _paragraph(text, start, end)
    inside = [(o, c) for o, c in _segments_of(text[lo:hi]) if o < start - lo and c >= end - lo]
    if not inside:
        return None
    o, c = min(inside, key=lambda oc: oc[1] - oc[0])
    return o + lo, c + lo


@lru_cache(maxsize=8)
def _segments_of(paragraph: str) -> tuple[tuple[int, int], ...]:
    # Every hit in a paragraph asks for its marks: scan the paragraph once, not once per hit (an article on one
    # line, a single paragraph of millions of characters, made this quadratic).
    return tuple(quoted_segments(paragraph))


_DOUBLE_OPEN, _DOUBLE_CLOSE, _DOUBLE_ANY = "“„«", "”»", '"'
_SINGLE_OPEN, _SINGLE_CLOSE, _SINGLE_ANY = "‘‚‹", "’›", "'`´"
_OPENERS_BEFORE = "([{—–-/" + "“„«‘‚‹\"'"


def quoted_segments(text: str) -> list[tuple[int, int]]:
    """Pairs ``(open, close)`` of quote-mark offsets in one paragraph; an unclosed mark runs to the end.

    Marks are paired by kind (double, single) with a stack each. A mark's role comes from its context, since
    outlets misuse them: ``”`` after a space opens a quote, ``'`` closes one opened by ``‘``, and an
    apostrophe between letters (don't, Korea’s) or after a plural (workers’) is never a quote mark.
    """
    stacks: dict[str, list[int]] = {"double": [], "single": []}
    pairs: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if ch in _DOUBLE_OPEN + _DOUBLE_CLOSE + _DOUBLE_ANY:
            kind = "double"
        elif ch in _SINGLE_OPEN + _SINGLE_CLOSE + _SINGLE_ANY:
            kind = "single"
        else:
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if kind == "single" and prev.isalnum() and nxt.isalnum():
            continue  # apostrophe inside a word
        opening_ctx = (prev.isspace() or prev in _OPENERS_BEFORE) and not nxt.isspace()
        closing_ctx = not prev.isspace()
        stack = stacks[kind]
        if ch in _DOUBLE_OPEN + _SINGLE_OPEN and not (stack and closing_ctx and not opening_ctx):
            stack.append(i)
        elif stack and closing_ctx:
            pairs.append((stack.pop(), i))
        elif opening_ctx and ch != "’":  # ’ with nothing open is an apostrophe (workers’ rights)
            stack.append(i)
    pairs += [(o, len(text)) for stack in stacks.values() for o in stack]
    return sorted(pairs)


# ------------------------------------------------------------------------------------------- summaries


def _outlets(articles: pd.DataFrame) -> dict[str, str]:
    if "outlet" not in articles:
        return {}
    outlet = articles["outlet"].fillna("").astype(str).str.strip().replace("", UNKNOWN_OUTLET)
    return dict(zip(articles["article_id"], outlet))


def adoption(hits: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Adoption index per outlet x family x in_headline: the share of hits in the outlet's own unmarked voice.

    An article with no outlet (or missing from ``articles``) counts under ``(unknown)``.
    """
    if not len(hits):
        return tables.empty("adoption")
    outlets = _outlets(articles)
    df = hits.assign(outlet=hits["article_id"].map(outlets).fillna(UNKNOWN_OUTLET))
    counts = (df.groupby(["outlet", "family", "in_headline", "voice"]).size()
              .unstack("voice", fill_value=0).reindex(columns=list(VOICES), fill_value=0))
    out = counts.rename(columns={v: f"n_{v}" for v in VOICES}).reset_index()
    out["n"] = out[[f"n_{v}" for v in VOICES]].sum(axis=1)
    out["adoption_index"] = out["n_narrator"] / out["n"]
    return tables.conform(out.sort_values(["outlet", "family", "in_headline"]), "adoption")


def dispersion(hits: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Where each hit falls in its article: ``rel_position`` = start / len(text) (0 = first character)."""
    if not len(hits):
        return tables.empty("dispersion")
    lengths = dict(zip(articles["article_id"], articles["text"].fillna("").str.len()))
    length = hits["article_id"].map(lengths).fillna(0)
    rel = (hits["start"] / length.where(length > 0)).fillna(0.0).clip(0, 1)
    out = hits[["article_id", "family", "start", "voice"]].assign(rel_position=rel)
    return tables.conform(out, "dispersion")


def kwic(articles: pd.DataFrame, hits: pd.DataFrame, *, queries: Iterable[str], window: int = 8,
         sentences: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keyword-in-context lines for each query: a family id, a variant id (``family.variant``) or a term.

    Families and variants come from ``hits`` (with their voice); any other query is searched in
    ``articles.text`` as a case-insensitive word sequence (hyphens or spaces between its words), with
    ``voice`` empty and ``sent_id`` from ``sentences`` when given (else -1). ``left``/``right`` hold up to
    ``window`` words of context.
    """
    texts = dict(zip(articles["article_id"], articles["text"].fillna("")))
    outlets = _outlets(articles)
    dates = dict(zip(articles["article_id"], articles["date"].astype(str))) if "date" in articles else {}
    families = set(hits["family"]) if len(hits) else set()
    variants = set(hits["variant"]) if len(hits) else set()
    rows = []
    for query in queries:
        if query in families or query in variants:
            sel = hits[(hits["family"] == query) | (hits["variant"] == query)]
            found = zip(sel["article_id"], sel["sent_id"], sel["start"], sel["end"], sel["voice"])
        else:
            found = _term_matches(texts, query, sentences)
        for article_id, sent_id, start, end, v in found:
            text = texts.get(article_id, "")
            left, right = _context(text, int(start), int(end), window)
            rows.append({"query": query, "article_id": article_id,
                         "outlet": outlets.get(article_id, UNKNOWN_OUTLET), "date": dates.get(article_id, ""),
                         "sent_id": int(sent_id), "start": int(start), "end": int(end), "left": left,
                         "match": text[int(start):int(end)], "right": right, "voice": v})
    if not rows:
        return tables.empty("kwic")
    return tables.conform(pd.DataFrame(rows), "kwic")


def _term_matches(texts: dict[str, str], term: str, sentences: pd.DataFrame | None):
    words = [re.escape(w) for w in re.split(r"[\s\-‐‑–]+", term.strip()) if w]
    if not words:
        return
    rx = re.compile(r"(?<!\w)" + r"(?:\s+|\s*[-‐‑–]\s*)".join(words) + r"(?!\w)", re.I)
    by_article = _split(sentences)
    for article_id, text in texts.items():
        sents = by_article.get(article_id)
        for m in rx.finditer(text):
            yield article_id, _sent_id(sents, m.start()), m.start(), m.end(), ""


def _sent_id(sents: pd.DataFrame | None, offset: int) -> int:
    if sents is None:
        return -1
    row = sents[(sents["start"] <= offset) & (sents["end"] > offset)]
    return int(row["sent_id"].iat[0]) if len(row) else -1


def _context(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    reach = max(200, 40 * window)
    left_text = text[max(0, start - reach):start]
    left = left_text.split()
    if start - reach > 0 and left and not left_text[0].isspace():
        left = left[1:]  # the first piece may be a cut word
    right_text = text[end:end + reach]
    right = right_text.split()
    if end + reach < len(text) and right and not right_text[-1].isspace():
        right = right[:-1]
    return " ".join(left[-window:]) if window else "", " ".join(right[:window]) if window else ""


# ----------------------------------------------------------------------------------------- candidates

_TERM = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")


@cache
def _general_english() -> tuple[Counter, int]:
    """Word counts of TextBlob's bundled spelling corpus (Norvig's big.txt: books, BNC lists), a general baseline."""
    path = Path(str(resources.files("textblob").joinpath("en/en-spelling.txt")))
    counts: Counter = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith(";") and parts[1].isdigit():
            counts[parts[0].lower()] += int(parts[1])
    return counts, sum(counts.values())


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


def loaded_candidates(sentences: pd.DataFrame, *, lexicon: dict, hits: pd.DataFrame | None = None,
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
    reference, n_general = _general_english()
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


# ----------------------------------------------------------------------------------------------- the stage


@dataclass
class Scanned:
    """What one pass of the model over the corpus yields for the rhetoric stage."""

    hits: pd.DataFrame
    counts: pd.DataFrame
    frames: pd.DataFrame


# The rhetoric stage needs lemmas, not the parse or entities: sentence boundaries come from the tagging stage's
# sentences table, so the expensive components are skipped on this second pass over the text.
UNNEEDED = ("parser", "ner", "senter")


def run(articles: pd.DataFrame, *, nlp: Language, sentences: pd.DataFrame, quotes: pd.DataFrame,
        lexicon: dict | None = None, frame_lexicon: dict | None = None, batch_size: int = 32, n_process: int = 1,
        chunk: int = 200, scare_max_words: int = 6, failed=None) -> Scanned:
    """Hits, keyness counts and frames for every English article, from one streamed ``nlp.pipe`` pass.

    Docs are consumed ``chunk`` at a time and dropped, so memory does not grow with the corpus. Articles of any
    length are read whole (``analysis.segments.pipe``). With ``failed`` (an ``analysis.failures.Recorder``), an
    article that raises is recorded there and has no rows in any result; without it the error is raised.
    """
    from analysis import frames, keyness, segments

    lexicon = lexicon if lexicon is not None else _load_lexicon()
    m, fm = matcher(nlp, lexicon), frames.matcher(nlp, frame_lexicon)
    english = articles[articles["is_english"]] if "is_english" in articles else articles
    sents_by, quotes_by = _split(sentences), _split(quotes)
    docs = segments.pipe(nlp, english["text"].tolist(), batch_size=batch_size, n_process=n_process,
                         disable=[p for p in UNNEEDED if p in nlp.pipe_names])
    guard = failed.guard if failed is not None else contextlib.nullcontext
    ids, rows, counts, framed = english["article_id"].tolist(), [], [], []
    for first in range(0, len(ids), chunk):
        batch = []
        for article_id, doc in zip(ids[first:first + chunk], itertools.islice(docs, chunk)):
            with guard(article_id):
                if isinstance(doc, Exception):
                    raise doc
                _set_sentences(doc, sents_by.get(article_id))
                rows += _records(doc, matcher=m, lexicon=lexicon, article_id=article_id,
                                 sentences=sents_by.get(article_id), quotes=quotes_by.get(article_id),
                                 overlap="family", scare_max_words=scare_max_words)
                batch.append((article_id, doc))
        counts += _each(lambda b: keyness.counts([d for _, d in b], article_ids=[a for a, _ in b],
                                                 multiword="bigrams"), batch, failed)
        framed += _each(lambda b: frames.tag([d for _, d in b], article_ids=[a for a, _ in b], matcher=fm,
                                             sentences=sentences[sentences["article_id"].isin([a for a, _ in b])]),
                        batch, failed)
        log.info("rhetoric: %d/%d articles scanned", min(first + chunk, len(ids)), len(ids))
    if failed is not None and failed.rows:  # an article that failed in a later step leaves no rows anywhere
        bad = failed.ids
        rows = [r for r in rows if r["article_id"] not in bad]
        counts = [c[~c["article_id"].astype(str).isin(bad)] for c in counts]
        framed = [f[~f["article_id"].isin(bad)] for f in framed]
    hits_df = tables.conform(pd.DataFrame(rows), "hits") if rows else tables.empty("hits")
    return Scanned(hits_df, _concat_counts(counts), pd.concat(framed, ignore_index=True) if framed else tables.empty("frames"))


def _each(step, batch: list, failed) -> list:
    """``[step(batch)]``; when it raises and ``failed`` records failures, ``step`` article by article instead,
    so only the article that raises is lost."""
    if not batch:
        return []
    try:
        return [step(batch)]
    except Exception:
        if failed is None:
            raise
    out = []
    for item in batch:
        with failed.guard(item[0]):
            out.append(step([item]))
    return out


def _set_sentences(doc: Doc, sentences: pd.DataFrame | None) -> None:
    """Mark the tagging stage's sentence starts on an unparsed doc, so patterns never match across sentences."""
    if sentences is None or not len(doc):
        return
    # One array write, not a property set per token (each of which re-checks the doc's annotation).
    starts = np.isin(doc.to_array([IDX]).astype(np.int64), sentences["start"].to_numpy(dtype=np.int64))
    starts[0] = True
    doc.from_array([SENT_START], np.where(starts, 1, -1).astype(np.uint64).reshape(-1, 1))


def _concat_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"article_id": pd.Series(dtype=object), "term": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64")})
    # Chunks have different categories; union them so the corpus-wide table stays categorical (fast to group).
    out = pd.concat([p.astype({"article_id": object, "term": object}) for p in parts], ignore_index=True)
    return out.astype({"article_id": "category", "term": "category"})
