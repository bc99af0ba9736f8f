"""The pattern language of the phrase lexicons and their loading.

A lexicon (``analysis/data/phrases.yaml``, a story profile's ``phrases.yaml``) groups wordings into families
("Asian NATO", name-calling, fear appeals ...). ``lexicon`` loads and validates one; ``compile_pattern`` turns one
pattern string (syntax in phrases.yaml's header) into spaCy Matcher token patterns. ``general_english`` is the
word-frequency reference both the matcher (to pick anchors) and discovery (keyness) use.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

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


_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD = re.compile(r"^[\w.&'’]+$")
_GAP = re.compile(r"^\.\.\.(\d*)$")
_LEX = re.compile(r"\s+|[()\[\]|]|[^\s()\[\]|]+")
_POSSESSIVE = re.compile(r"^(.+?)['’]s$")
# English contractions, which spaCy's tokenizer splits in two: "can't" -> "ca" "n't", "they're" -> "they" "'re"
_CONTRACTION = re.compile(r"^([^\W\d_]+?)(n['’]t|['’](?:re|ve|ll|d|m))$", re.I)


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
    """The general lexicon shipped with the workbook, ``analysis/data/general_lexicon.yaml``: story-independent
    families matched on every corpus (a story's own families live in its profile, see ``analysis.profiles``)."""
    return Path(str(resources.files("analysis").joinpath("data/general_lexicon.yaml")))


def lexicon(path: str | Path | None = None, *, source: str = "") -> dict:
    """Load and validate a phrase lexicon (the general one by default).

    Returns ``{family_id: family}`` in file order; each family has ``id``, ``label``, ``category``,
    ``techniques`` (list), ``note``, ``source`` (which lexicon it came from: ``source``, else the file's stem),
    ``variants`` (each with ``id`` = ``<family>.<variant>``, ``local_id``, ``pattern`` and the compiled
    ``token_patterns``) and ``exclude`` (pattern, token_patterns).
    Raises ``LexiconError`` naming the family and variant of the first problem found, ``FileNotFoundError`` for
    a missing file.
    """
    path = Path(path) if path else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"phrase lexicon {path} does not exist; pass an existing YAML file (format: the "
                                f"header of analysis/data/profiles/asian-nato/phrases.yaml)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise LexiconError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("families"), list):
        raise LexiconError(f"{path}: expected a top-level `families:` list")
    families: dict[str, dict] = {}
    for i, raw in enumerate(data["families"]):
        family = {**_family(raw, path=path, number=i + 1), "source": source or path.stem}
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
        contracted = _CONTRACTION.match(base)
        if contracted:  # as the tokenizer splits it; the stem matched as written ("ca" of "can't" is no lemma)
            stem, clitic = contracted.group(1).lower(), contracted.group(2).lower()
            words.append(_Word((stem,), exact=True, hyphen=hyphen and k == 0))
            words.append(_Word(tuple(dict.fromkeys((clitic.replace("’", "'"), clitic.replace("'", "’")))),
                               exact=True, attach=True))
        else:
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
                 else {"LEMMA": {"IN": casings(unit.forms + tuple(p for f in unit.forms for p in _plurals(f)))}})
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


def casings(words: Iterable[str]) -> list[str]:
    """Each word as written, Capitalised, Title-cased and UPPER: lemmas are case-sensitive (spaCy keeps a proper
    noun's case: "NATO", "Asia"), so a pattern lists each casing."""
    return list(dict.fromkeys(c for w in words for c in (w, w.capitalize(), w.title(), w.upper())))



@cache
def general_english() -> tuple[Counter, int]:
    """Word counts of TextBlob's bundled spelling corpus (Norvig's big.txt: books, BNC lists), a general baseline.

    Returns ``(Counter of lower-case words, total count)``.
    """
    path = Path(str(resources.files("textblob").joinpath("en/en-spelling.txt")))
    counts: Counter = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith(";") and parts[1].isdigit():
            counts[parts[0].lower()] += int(parts[1])
    return counts, sum(counts.values())
