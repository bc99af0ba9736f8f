"""Actors: who a story names, as which canonical actor, and in what role.

The alias table (``analysis/data/actors.yaml``, documented at its top) maps surface forms to canonical actors.
``matcher`` compiles it once into spaCy matchers; ``mentions`` then finds, in one parsed article, every alias
match plus every named entity (GPE, NORP, ORG, PERSON) that matches no alias, and gives each a role read off the
dependency parse:

- ``speaker``: the mention is, or heads, the speaker phrase of a quote;
- ``agent``: the subject of an action verb (``nsubj`` of a VERB), or the ``by`` phrase of a passive;
- ``target``: the object of an action or accusation (``dobj``: "accused the United States", "condemned X"),
  the subject of a passive ("the US was accused"; but "leaders were scheduled to attend" makes them agents), or
  the object of against / toward(s) / on / upon ("drills against X", "revenge on the US");
- ``other``: anything else (a copula subject, a possessor, a location ...).

A modifier mention ("North Korean officials", "US hostility") takes the role of the noun it modifies when that
noun names no actor itself; conjuncts ("the US, Japan and South Korea") take the role of the first conjunct.
"""
from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from analysis import parses, tables
from analysis.patterns import HYPHENS
from analysis.quotes import sexes as text_sexes
from analysis.quotes import speaker_words

log = logging.getLogger(__name__)

TYPES = ("state", "government_body", "organisation", "alliance", "media", "person")
NER_LABELS = frozenset({"GPE", "NORP", "ORG", "PERSON"})
ROLES = ("speaker", "agent", "target", "other")
_THE = re.compile(r"^[Tt]he ")

# When one phrase names several actors ("US President Joe Biden", "North Korean state media KCNA"), the most
# specific names who is acting or speaking.
_SPECIFICITY = {"person": 0, "media": 1, "government_body": 2, "organisation": 3, "alliance": 4, "state": 5}
_TARGET_PREPS = frozenset({"against", "toward", "towards", "on", "upon"})
_MODIFIER_DEPS = frozenset({"compound", "amod", "poss", "nmod"})
_POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
TYPE_CUES = "data/actor_types.yaml"
_DETERMINERS = frozenset({"the", "The"})
_DETERMINERS_LOWER = frozenset({"the", "this", "that", "our", "their", "its", "his", "her", "my", "your"})
_INDEFINITE = frozenset({"a", "an", "any", "every", "each", "no", "another", "some", "which", "what", "whichever"})
# Text allowed between two matches of one actor for them to be one mention: "ROK [South Korea]", "Korean Central
# News Agency (KCNA)"; never a line break, so a mention stays inside its paragraph.
_GLOSS_GAP = re.compile(r"(?:[^\S\n]|[\[\]()])*")
_HYPHEN_BETWEEN_LETTERS = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


class AliasTableError(ValueError):
    """The alias table is malformed: unknown type, unknown state, an alias claimed by two actors."""


@dataclass(frozen=True)
class Actor:
    """A canonical actor: its name, type and (for people and bodies) the state it belongs to."""

    name: str
    type: str
    state: str = ""


@dataclass(frozen=True)
class Table:
    """The parsed alias table.

    ``aliases`` (matched case-insensitively) and ``exact`` map forms as written to their actor, ``short`` maps
    lower-cased short forms to the actors that list them (resolved in context), ``excluded`` "not" phrases to
    the actor they do not name.
    """

    actors: dict[str, Actor]
    aliases: dict[str, str]
    exact: dict[str, str]
    short: dict[str, tuple[str, ...]]
    excluded: dict[str, str]
    path: str = ""

    def __len__(self) -> int:
        return len(self.actors)


def default_path() -> Path:
    """The shipped alias table, ``analysis/data/actors.yaml``."""
    return Path(str(resources.files("analysis").joinpath("data/actors.yaml")))


def table(path: str | Path | None = None) -> Table:
    """Read and check the alias table at ``path`` (the shipped ``analysis/data/actors.yaml`` when None or empty)."""
    path = Path(path) if path else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"alias table {path} does not exist; pass an existing YAML file or leave it empty "
                                f"for the shipped {default_path()}")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = spec.get("actors")
    if not isinstance(entries, dict) or not entries:
        raise AliasTableError(f"{path}: expected a top-level `actors:` mapping of canonical names to entries")
    actors = {}
    for name, entry in entries.items():
        entry = entry or {}
        kind = entry.get("type", "")
        if kind not in TYPES:
            raise AliasTableError(f"{path}: actor {name!r} has type {kind!r}; use one of {', '.join(TYPES)}")
        actors[str(name)] = Actor(str(name), kind, str(entry.get("state") or ""))
    for actor in actors.values():
        if actor.state and actors.get(actor.state, Actor("", "")).type != "state":
            raise AliasTableError(f"{path}: actor {actor.name!r} belongs to {actor.state!r}, which is not an actor "
                                  f"of type state in the table")
    aliases: dict[str, str] = {}
    exact: dict[str, str] = {}
    short: dict[str, list[str]] = {}
    excluded: dict[str, str] = {}
    claimed: dict[str, str] = {}  # lower-cased form -> actor, to refuse a form listed under two actors
    for name, entry in entries.items():
        entry = entry or {}
        for form in _forms(entry.get("aliases")):
            _claim(claimed, form.lower(), str(name), path)
            aliases.setdefault(form, str(name))
        for form in _forms(entry.get("exact")):
            for variant in {form, form[:1].upper() + form[1:]}:
                _claim(exact, variant, str(name), path)
        for form in _forms(entry.get("short")):
            short.setdefault(form.lower(), []).append(str(name))
        for form in _forms(entry.get("not"), variants=False):
            excluded[form.lower()] = str(name)
    clashes = sorted(set(short) & set(claimed))
    if clashes:
        raise AliasTableError(f"{path}: {', '.join(map(repr, clashes))} listed both as an alias and as a short form; "
                              f"a short form needs context, an alias does not: keep one")
    return Table(actors, aliases, exact, {k: tuple(v) for k, v in short.items()}, excluded, str(path))


def _forms(values, *, variants: bool = True) -> Iterable[str]:
    for value in values or []:
        form = " ".join(str(value).split())
        if not form:
            continue
        yield form
        if variants:
            if "'" in form:
                yield form.replace("'", "’")
            if _HYPHEN_BETWEEN_LETTERS.search(form):
                yield _HYPHEN_BETWEEN_LETTERS.sub(" ", form)


def _claim(mapping: dict[str, str], form: str, name: str, path: Path) -> None:
    if mapping.get(form, name) != name:
        raise AliasTableError(f"{path}: {form!r} is listed under both {mapping[form]!r} and {name!r}; "
                              f"a surface form may name one actor only")
    mapping[form] = name


@dataclass
class ActorMatcher:
    """The alias table compiled for one spaCy vocabulary (build it once with ``matcher``)."""

    table: Table
    nlp: Language
    lower: PhraseMatcher
    orth: PhraseMatcher
    excluded: Matcher
    keys: dict[int, tuple[str, str]]
    pieces_lower: dict[str, str]
    pieces_exact: dict[str, str]
    short_of: dict[str, tuple[str, ...]]
    given: dict[str, frozenset[str]] = field(default_factory=dict)  # person -> first words of its longer aliases
    roles: frozenset[str] = frozenset()  # people's short forms that are a bare role noun ("president")
    titles: frozenset[str] = frozenset()  # words written before a name that are no given name ("senator")
    _resolved: dict[str, str] = field(default_factory=dict)


@cache
def type_cues(path: str | Path | None = None) -> dict[str, frozenset[str]]:
    """The noun lists of ``analysis/data/actor_types.yaml`` (or ``path``): ``person_nouns``, ``titles`` and
    ``organisation_nouns``, lower case; the starter types actors with them, ``matcher`` tells titles and role
    nouns from names. Raises ``ValueError`` naming the file when a list is missing."""
    source = resources.files("analysis").joinpath(TYPE_CUES) if path is None else Path(path)
    raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    keys = ("person_nouns", "titles", "organisation_nouns")
    if not isinstance(raw, dict) or any(not isinstance(raw.get(k), list) for k in keys):
        raise ValueError(f"{path or TYPE_CUES}: needs the lists {', '.join(keys)} (see the packaged {TYPE_CUES})")
    return {k: frozenset(str(w).lower() for w in raw[k]) for k in keys}


def matcher(nlp: Language, table: Table) -> ActorMatcher:
    """Compile ``table`` into matchers over ``nlp``'s vocabulary: lower-cased phrases, exact-case phrases, and
    punctuation-tolerant "not" phrases. Build it once per run, not per document."""
    lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    orth = PhraseMatcher(nlp.vocab, attr="ORTH")
    excluded = Matcher(nlp.vocab)
    keys: dict[int, tuple[str, str]] = {}

    def add(target, kind: str, name: str, forms: list[str]) -> None:
        key = f"{kind}:{name}"
        keys[nlp.vocab.strings.add(key)] = (kind, name)
        target.add(key, [nlp.make_doc(f) for f in forms])

    # Pattern docs are tokenised as written: spaCy's exceptions are case-sensitive ("U.S." is one token, "u.s." not).
    for mapping, target in ((table.aliases, lower), (table.exact, orth)):
        by_actor: dict[str, list[str]] = {}
        for form, name in mapping.items():
            by_actor.setdefault(name, []).append(form)
        for name, forms in by_actor.items():
            add(target, "alias", name, forms)
    for form in table.short:
        add(lower, "short", form, [form])
    for phrase, name in table.excluded.items():
        words = [t.lower_ for t in nlp.make_doc(phrase) if not t.is_punct]
        pattern: list[dict] = []
        for i, word in enumerate(words):
            if i:
                pattern.append({"IS_PUNCT": True, "OP": "*"})
            pattern.append({"LOWER": word})
        key = f"not:{name}"
        keys[nlp.vocab.strings.add(key)] = ("not", name)
        excluded.add(key, [pattern])
    # One-token aliases, to find components of compounds spaCy keeps whole ("U.S.-led", "U.S.-ROK").
    pieces_lower = {f.lower(): n for f, n in table.aliases.items() if " " not in f and len(nlp.make_doc(f)) == 1}
    pieces_exact = {f: n for f, n in table.exact.items() if " " not in f and len(nlp.make_doc(f)) == 1}
    short_of: dict[str, list[str]] = {}
    for form, names in table.short.items():
        for name in names:
            short_of.setdefault(name, []).append(form)
    cues = type_cues()
    roles = frozenset(form for form, names in table.short.items()  # "president", not "Kim" nor "the president"
                      if all(table.actors[n].type == "person" for n in names)
                      and form.split()[0] not in _DETERMINERS_LOWER
                      and form.split()[-1] in cues["person_nouns"] | cues["titles"])
    return ActorMatcher(table, nlp, lower, orth, excluded, keys, pieces_lower, pieces_exact,
                        {k: tuple(v) for k, v in short_of.items()}, _given_names(table), roles, cues["titles"])


def _given_names(table: Table) -> dict[str, frozenset[str]]:
    """Per person, the lower-cased first words of its aliases of two or more words ("joe" of "Joe Biden")."""
    first: dict[str, set[str]] = {}
    for form, name in (*table.aliases.items(), *table.exact.items()):
        words = form.lower().split()
        if table.actors[name].type == "person" and len(words) > 1:
            first.setdefault(name, set()).add(words[0].rstrip("."))
    return {k: frozenset(v) for k, v in first.items()}


@dataclass
class _Match:
    start: int      # characters
    end: int
    tok_start: int  # tokens
    tok_end: int
    actor: str
    ner_label: str = ""


def matches(doc: Doc, *, matcher: ActorMatcher, text: str | None = None) -> tuple[list[_Match], bytearray]:
    """Alias matches in ``doc`` (longest first, short forms resolved in context, glosses merged), in text order,
    and a per-token mask of the tokens claimed by an alias or a "not" phrase. ``text`` is ``doc.text`` if the
    caller has it (the property joins every token)."""
    found = [(e - s, s, e, matcher.keys[m]) for compiled in (matcher.lower, matcher.orth, matcher.excluded)
             if len(compiled) for m, s, e in compiled(doc)]
    taken = bytearray(len(doc))
    chosen: list[tuple[int, int, str, str]] = []
    for _, s, e, (kind, name) in sorted(found, key=lambda f: (-f[0], f[1])):
        if not any(taken[s:e]):
            taken[s:e] = b"\x01" * (e - s)
            chosen.append((s, e, kind, name))
    chosen.sort()
    context = _Context(matcher)
    named = {s for s, _, kind, name in chosen if kind == "alias" and matcher.table.actors[name].type == "person"}
    titled: dict[int, int] = {}  # start of a name -> start of the title or given name written before it
    out: list[_Match] = []
    for s, e, kind, name in chosen:
        if kind == "alias":
            actor = name
            if s in titled:  # "President Donald Trump" is one mention of Trump
                s = titled.pop(s)
                taken[s:e] = b"\x01" * (e - s)
        elif kind == "short" and _before_name(doc, e, named, matcher.table.short[name], matcher.table):
            # "President Donald Trump", "Kim Yong Chol": a title or surname written before a name belongs to that
            # name; read as a short form it would name whoever held the title last (Joe Biden, Kim Jong Un)
            taken[s:e] = b"\x00" * (e - s)
            if e in named:
                titled[e] = s
            continue
        elif kind == "short" and name in matcher.roles and not _determined(doc, s, e):
            # "running for President", "a president", "President-elect": the office, not its holder
            taken[s:e] = b"\x00" * (e - s)
            continue
        elif kind == "short":
            actor = context.resolve(name)
            if not actor:
                taken[s:e] = b"\x00" * (e - s)  # an unresolved short form is no mention; let NER have it
                continue
        else:
            continue
        context.saw(actor)
        out.append(_Match(doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), s, e, actor))
    out += _pieces(doc, matcher, taken)
    out = _titled_apart(doc, out, matcher.table, taken)
    out = _kin_apart(doc, out, matcher, taken)
    if len(out) > 1:
        out.sort(key=lambda m: m.start)
        out = _merge_glosses(parses.text(doc) if text is None else text, out)
    return out, taken


class _Context:
    """The actors an article has named so far, for its short forms. A short form of organisations ("the ministry")
    names the one of them named last. A person's ("Clinton", "the president") names the one of them named most
    often so far, the last named of those on a tie: news names its subject by surname after the first mention and
    writes the full name for another bearer ("Bill Clinton" once in a story about Hillary Clinton); a new user's
    election corpus had 54 of 100 "Clinton" given to Bill Clinton by the last-named rule."""

    def __init__(self, matcher: ActorMatcher):
        self.matcher = matcher
        self.count: dict[str, int] = {}
        self.order: dict[str, int] = {}  # actor -> when it was last named (a running count of mentions)
        self.clock = 0

    def saw(self, actor: str) -> None:
        self.count[actor] = self.count.get(actor, 0) + 1
        self.clock += 1
        self.order[actor] = self.clock

    def resolve(self, form: str) -> str:
        named = [a for a in self.matcher.table.short[form] if a in self.count]
        if not named:
            return ""
        if all(self.matcher.table.actors[a].type == "person" for a in named):
            return max(named, key=lambda a: (self.count[a], self.order[a]))
        return max(named, key=self.order.__getitem__)


def _before_name(doc: Doc, end: int, named: set[int], actors: Sequence[str], table: Table) -> bool:
    """A person's short form ending at token ``end`` stands right before a person's name: a person's alias starts
    there, or a PERSON entity goes on there ("President Vladimir Putin"; ``resolve``'s docs have no entities). Not a
    date or place ("the president Tuesday signed", "the president in Seoul")."""
    if end >= len(doc) or any(table.actors[a].type != "person" for a in actors):
        return False
    return end in named or doc[end].ent_type_ == "PERSON"


def _determined(doc: Doc, start: int, end: int) -> bool:
    """The role noun at ``start:end`` follows a definite determiner or a possessive ("the president", "our
    president", "America's president"), and is no compound's first part ("the president-elect") nor the office of
    anything but a country ("the president of the California NAACP"; "the president of the United States" is
    the holder). "a president", "every president", "no president" are the office."""
    if start == 0 or (end < len(doc) and doc[end].text in HYPHENS) or _of_other(doc, end):
        return False
    before = doc[start - 1]
    if before.lower_ in _INDEFINITE:
        return False
    if before.tag_ == "POS" and start >= 2 and doc[start - 2].ent_type_ in _OWNERS_OF_OTHER_OFFICES:
        return False  # "JCN's president": the group's, not the one named before
    return before.dep_ == "poss" or before.tag_ in ("PRP$", "POS", "WP$") or before.lower_ in _DETERMINERS_LOWER


_OWNERS_OF_OTHER_OFFICES = frozenset({"ORG", "PERSON", "NORP", "FAC"})


def _of_other(doc: Doc, end: int) -> bool:
    """Whether "of" follows token ``end`` - 1 and what it governs is no country: a place entity (GPE) that no noun
    follows ("of the United States", not "of the California NAACP")."""
    if end >= len(doc) - 1 or doc[end].lower_ != "of":
        return False
    k = end + 1
    while k < len(doc) - 1 and doc[k].lower_ in _DETERMINERS_LOWER:
        k += 1
    if doc[k].ent_type_ != "GPE":
        return True
    while k < len(doc) and doc[k].ent_type_ == "GPE":
        k += 1
    return k < len(doc) and doc[k].pos_ in ("NOUN", "PROPN")


def _kin_apart(doc: Doc, found: list[_Match], matcher: ActorMatcher, taken: bytearray) -> list[_Match]:
    """Drop a person's one-word alias (a surname) that a longer PERSON entity goes on to, after a given name none of
    the person's aliases opens with: in "Michelle Obama" or "Hunter Biden" the surname names someone else (the
    entity recogniser keeps the name). "Barack Hussein Obama" opens like "Barack Obama", and a title ("Senator",
    ``titles`` of analysis/data/actor_types.yaml) is no given name."""
    drop = set()
    for m in found:
        given = matcher.given.get(m.actor)
        if given is None or m.tok_end - m.tok_start != 1 or m.tok_start == 0:
            continue
        token, before = doc[m.tok_start], doc[m.tok_start - 1]
        if token.ent_iob_ != "I" or token.ent_type_ != "PERSON" or not (before.is_alpha and before.is_title):
            continue
        first = m.tok_start - 1
        while first > 0 and doc[first].ent_iob_ == "I":
            first -= 1
        opening = {t.lower_.rstrip(".") for t in doc[first:m.tok_start]}
        if not opening & given and before.lower_ not in matcher.titles:
            drop.add(id(m))
            taken[m.tok_start:m.tok_end] = b"\x00"
    if drop:
        drop |= _kin_surnames(doc, found, drop, matcher, taken)
    return [m for m in found if id(m) not in drop] if drop else found


def _kin_surnames(doc: Doc, found: list[_Match], kin: set[int], matcher: ActorMatcher, taken: bytearray) -> set[int]:
    """The surname alone, in an article that names someone else of that surname in full (``kin``: "San Juan Mayor
    Carmen Yulin Cruz") before it first writes the surname alone, and never the actor itself ("Ted Cruz"): that
    someone else, as a reader takes "Cruz said" there. An article naming both, or writing the surname alone first
    ("Trump said ..." before "Melania Trump"), leaves the surname to the actor, as before."""
    first_kin: dict[str, int] = {}
    for m in found:
        if id(m) in kin:
            first_kin.setdefault(doc[m.tok_start].lower_, m.tok_start)
    in_full = {m.actor for m in found if m.tok_end - m.tok_start > 1 and id(m) not in kin}
    bare = [m for m in found if id(m) not in kin and m.tok_end - m.tok_start == 1 and m.actor in matcher.given
            and m.actor not in in_full and doc[m.tok_start].lower_ in first_kin]
    first_bare: dict[str, int] = {}
    for m in bare:
        first_bare.setdefault(doc[m.tok_start].lower_, m.tok_start)
    out = {id(m) for m in bare if first_kin[doc[m.tok_start].lower_] < first_bare[doc[m.tok_start].lower_]}
    for m in bare:
        if id(m) in out:
            taken[m.tok_start:m.tok_end] = b"\x00"
    return out


def _titled_apart(doc: Doc, found: list[_Match], table: Table, taken: bytearray) -> list[_Match]:
    """Drop a person's surname alias written after a courtesy title of the other sex than the text gives that
    surname: with "Senator Tom Hale said he ...", "Mrs. Hale" is not Senator Hale (nor "Mrs. Trump" Donald Trump).
    The sexes come from ``quotes.sexes`` (titles, gendered role nouns, he/she used with the name); a surname the
    text gives no sex keeps its actor. A dropped match frees its tokens for the entity recogniser."""
    words = speaker_words()
    courtesy = words.titles["male"] | words.titles["female"]
    titled = [m for m in found if m.actor and table.actors[m.actor].type == "person" and m.tok_start > 0
              and doc[m.tok_start - 1].lower_.rstrip(".") in courtesy]
    if not titled:
        return found  # the usual case: no article-wide pass
    sexes = text_sexes(doc)
    drop = set()
    for m in titled:
        own = sexes.get(doc[m.tok_end - 1].lower_, "")
        if own and own != words.sex(doc[m.tok_start - 1].text):
            drop.add(id(m))
            taken[m.tok_start:m.tok_end] = b"\x00" * (m.tok_end - m.tok_start)
    return [m for m in found if id(m) not in drop]


def _pieces(doc: Doc, matcher: ActorMatcher, taken: bytearray) -> list[_Match]:
    found = []
    for token in doc:
        text = token.text
        if "-" not in text or taken[token.i] or len(text) < 3:
            continue
        offset = 0
        for piece in text.split("-"):
            actor = matcher.pieces_exact.get(piece) or matcher.pieces_lower.get(piece.lower())
            if actor and piece:
                start = token.idx + offset
                found.append(_Match(start, start + len(piece), token.i, token.i + 1, actor))
            offset += len(piece) + 1
    return found


def _merge_glosses(text: str, found: list[_Match]) -> list[_Match]:
    merged = [found[0]]
    for m in found[1:]:
        prev = merged[-1]
        if m.actor == prev.actor and m.start >= prev.end and _GLOSS_GAP.fullmatch(text, prev.end, m.start):
            prev.end, prev.tok_end = m.end, max(prev.tok_end, m.tok_end)
            continue
        merged.append(m)
    for m in merged:  # "ROK [South Korea" -> "ROK [South Korea]"
        span = text[m.start:m.end]
        for opening, closing in (("[", "]"), ("(", ")")):
            if span.count(opening) > span.count(closing) and text.startswith(closing, m.end):
                m.end += 1
                m.tok_end += 1
    return merged


def mentions(doc: Doc, *, matcher: ActorMatcher, table: Table | None = None, article_id: str = "",
             quotes: Sequence = (), sent_starts: Sequence[int] | None = None) -> list[dict]:
    """Rows of the ``mentions`` table for one parsed article.

    ``quotes`` are the article's ``quotes.Quote`` objects (their speaker spans make mentions speakers);
    ``sent_starts`` the character offsets where its sentences start (default: ``doc.sents``). ``table`` defaults
    to the matcher's own table.
    """
    table = table or matcher.table
    text = parses.text(doc)
    found, taken = matches(doc, matcher=matcher, text=text)
    for ent in doc.ents:
        if ent.label_ not in NER_LABELS or any(taken[ent.start:ent.end]):
            continue
        s, e = ent.start, ent.end
        while e - s > 1 and doc[e - 1].text in _POSSESSIVE:
            e -= 1
        while e - s > 1 and doc[s].text in _DETERMINERS:
            s += 1
        if ent.label_ == "PERSON" and s > 0 and not taken[s - 1] and speaker_words().sex(doc[s - 1].text) \
                and doc[s - 1].text[:1].isupper():
            s -= 1  # "Mrs. Hale" is its own name, not pooled with any other Hale
        found.append(_Match(doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), s, e, "", ent.label_))
    if not found:
        return []
    found.sort(key=lambda m: m.start)
    owner = [-1] * len(doc)
    for i, m in enumerate(found):
        owner[m.tok_start:m.tok_end] = [i] * (m.tok_end - m.tok_start)
    labels = _ner_labels(doc, found)
    speakers = _speaker_mentions(doc, found, owner, quotes, table)
    if sent_starts is None:
        sent_starts = [sent.start_char for sent in doc.sents]
    rows = []
    for i, m in enumerate(found):
        actor = table.actors.get(m.actor)
        root = doc[m.tok_start:m.tok_end].root
        rows.append({
            "article_id": article_id,
            "sent_id": max(bisect_right(sent_starts, m.start) - 1, 0),
            "start": m.start,
            "end": m.end,
            "text": text[m.start:m.end],
            "name": "",
            "ner_label": m.ner_label or labels[i],
            "actor": m.actor,
            "actor_type": actor.type if actor else "",
            "actor_state": (actor.state or (actor.name if actor.type == "state" else "")) if actor else "",
            "role": "speaker" if i in speakers else _role(root, owner, i),
        })
    sexes = text_sexes(doc) if any(_courtesy(r["text"]) for r in rows) else None  # "Mrs. Hale": which Hale
    for row, name in zip(rows, names(rows, sexes=sexes)):
        row["name"] = name
    return rows


def _ner_labels(doc: Doc, found: list[_Match]) -> list[str]:
    """The entity label at each alias match's head token, else at any of its tokens (empty when spaCy saw none)."""
    labels = [m.ner_label for m in found]
    ent_of = {}
    for ent in doc.ents:
        if ent.label_ in NER_LABELS:
            for i in range(ent.start, ent.end):
                ent_of[i] = ent.label_
    if not ent_of:
        return labels
    for i, m in enumerate(found):
        if not labels[i]:
            head = doc[m.tok_start:m.tok_end].root.i
            labels[i] = ent_of.get(head) or next((ent_of[t] for t in range(m.tok_start, m.tok_end) if t in ent_of), "")
    return labels


def _speaker_mentions(doc: Doc, found: list[_Match], owner: list[int], quotes: Sequence, table: Table) -> set[int]:
    """Mentions that are or head a quote's speaker phrase."""
    speakers: set[int] = set()
    for quote in quotes:
        start, end = getattr(quote, "speaker_start", -1), getattr(quote, "speaker_end", -1)
        if start is None or end is None or start < 0 or end <= start:
            continue
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not len(span):
            continue
        head = owner[span.root.i]
        if head >= 0:
            speakers.add(head)
            continue
        inside = [i for i in range(len(found)) if found[i].start >= start and found[i].end <= end]
        if inside:
            speakers.add(min(inside, key=lambda i: _rank(found[i].actor, table)))
    return speakers


def _rank(name: str, table: Table) -> int:
    actor = table.actors.get(name)
    return _SPECIFICITY.get(actor.type, 9) if actor else 10


def _role(token, owner: list[int], me: int) -> str:
    # Climb from conjuncts and appositions to the phrase they belong to, and from a modifier to the noun it
    # modifies unless that noun is another actor ("US" in "US President Joe Biden" stays other).
    for _ in range(8):
        dep, head = token.dep_, token.head
        if head.i == token.i:
            break
        if dep in ("conj", "appos") or (dep in _MODIFIER_DEPS and owner[head.i] in (-1, me)):
            token = head
            continue
        break
    dep, head = token.dep_, token.head
    if dep == "nsubj":
        return "agent" if head.pos_ == "VERB" else "other"
    if dep == "pobj":
        if head.dep_ == "agent":
            return "agent"
        return "target" if head.lower_ in _TARGET_PREPS else "other"
    if dep == "dobj":
        return "target"
    if dep == "nsubjpass":
        # The subject of a passive is acted upon ("the US was accused"), unless the passive only frames what the
        # subject itself does next ("leaders were scheduled to attend", "the US is expected to expand").
        return "agent" if any(c.dep_ == "xcomp" for c in head.children) else "target"
    return "other"


def resolve(text: str, *, matcher: ActorMatcher) -> str:
    """The canonical actor a phrase such as a speaker ("the North Korean state news agency KCNA") names: the most
    specific actor any alias in it matches (short forms need context and are not resolved here); empty if none."""
    text = " ".join(text.split())
    if text in matcher._resolved:
        return matcher._resolved[text]
    doc = matcher.nlp.make_doc(text)
    found, _ = matches(doc, matcher=matcher)
    best = min((m.actor for m in found), key=lambda a: _rank(a, matcher.table), default="")
    matcher._resolved[text] = best
    return best


def speaker_actor(speaker: str, start: int | None, end: int | None, rows: Sequence[dict], *,
                  matcher: ActorMatcher, before: int | None = None) -> str:
    """The actor of a quote's speaker: the speaker mention inside the speaker span ``start:end`` (``rows`` are the
    article's mention rows in text order, ``mentions``), its canonical actor or else its ``name`` ("Mr. Giuliani"
    said: the Rudolph Giuliani named before), else what the speaker text itself names, else, for a short form
    such as "the ministry", the actor that form last stood for before offset ``before``; empty when none."""
    if start is not None and end is not None and 0 <= start < end:
        found = _from_span(speaker, start, end, rows, matcher.table)
        if found is not None:
            return found
    if not speaker:
        return ""
    found = resolve(speaker, matcher=matcher)
    if found:
        return found
    key = " ".join(speaker.lower().split())
    forms = [f for f in (key, f"the {key}") if f in matcher.table.short]
    if not forms:
        return ""
    limit = before if before is not None else float("inf")
    last = ""
    for r in rows:
        if r["start"] >= limit:
            break
        if any(f in matcher.short_of.get(r["actor"], ()) for f in forms):
            last = r["actor"]
    return last


def _from_span(speaker: str, start: int, end: int, rows: Sequence[dict], table: Table) -> str | None:
    """``speaker_actor`` read off the mentions inside the speaker span ``start:end``; None when the span holds none
    and names nobody the article named before."""
    inside = [r for r in rows if r["start"] >= start and r["end"] <= end]
    head, head_end = _head(speaker, start, end, inside)
    if head is not None and not (head["actor"] or head["ner_label"] == "PERSON" or len(inside) == 1):
        head = None  # "the North Korean state news agency KCNA" without an alias for KCNA: the nation speaks
    if head is not None:
        # The head of the phrase names the speaker: "Senator Hale's attorney Dan Morrow" is Dan Morrow, and an
        # unmatched name is counted as itself rather than pooled into an actor it only mentions.
        return head["actor"] or head.get("name") or " ".join(head["text"].split())
    named = _surname_of(speaker, start, rows)
    if named:
        return named  # "Kavanaugh said", the recogniser having missed the name or taken it for a place
    owners = [r for r in inside if r["actor"] and not _after_preposition(speaker, r["start"] - start)
              and not _BASED.match(speaker, r["end"] - start)]  # "a Washington-based lawyer" is no US official
    if not owners:
        return "" if inside else None  # "a fellow at a think tank in Washington" is not the United States
    owner = min(owners, key=lambda r: (r["role"] != "speaker", not _possessor(speaker, r["end"] - start),
                                       _rank(r["actor"], table)))
    tail = speaker[owner["end"] - start:head_end - start]
    if owner["start"] >= head_end:  # "the foreign minister of Japan": the head comes before "of" and its owner
        tail = " " + _LEADING_DETERMINER.sub("", speaker[:head_end - start])
    person = getattr(table.actors.get(owner["actor"]), "type", "") == "person"  # "Joseph R. Biden Jr." is Biden
    if not person and _proper_name_tail(tail):  # "The Washington Post", "Japan Airlines": neither state nor body
        return " ".join((owner["text"] + tail).split())
    if len({r["actor"] for r in owners}) > 1 and _COORDINATED.search(speaker):
        return ""  # "Republican and Democratic senators", "House and Senate leaders": no one actor speaks
    return _body_of(owner, tail, table) or owner["actor"]


def _surname_of(speaker: str, start: int, rows: Sequence[dict]) -> str:
    """The person named in full before offset ``start`` whose surname a speaker is, alone or after an office
    ("Kavanaugh", "Sen. Warren"), when exactly one was; else empty. After a courtesy title of a sex ("Mr. Kenny")
    nothing here says the sexes agree, so it stays unnamed."""
    words = _untitled(_TAG.sub("", speaker).split())
    if len(words) != 1 or not words[0][:1].isupper() or _courtesy(speaker):
        return ""
    found = set()
    for r in rows:
        full = _untitled((r.get("name") or r["text"]).split())
        if r["start"] < start and r["ner_label"] == "PERSON" and len(full) > 1 and full[-1] == words[0]:
            found.add(r["actor"] or " ".join(full))
    return found.pop() if len(found) == 1 else ""


def _possessor(speaker: str, offset: int) -> bool:
    """Whether the mention ending at ``offset`` of a speaker phrase owns what follows ("Clinton's Florida director" is
    Clinton's, not Florida's)."""
    return speaker[offset:offset + 2] in ("'s", "’s") or speaker[offset:offset + 1] in ("'", "’")


_COORDINATED = re.compile(r"\b(?:and|or)\b|&")
_BASED = re.compile(r"[-‐‑]based\b", re.IGNORECASE)
_LEADING_DETERMINER = re.compile(r"^\s*(?:the|a|an|one|another)\s+", re.IGNORECASE)


def _head(speaker: str, start: int, end: int, inside: list[dict]) -> tuple[dict | None, int]:
    """The mention that heads a speaker phrase (``speaker`` at ``start:end``, ``inside`` the mentions within it) and
    the offset where the head ends: the mention ending the phrase, or before its "of" ("Lena Ostrova of the
    Nordic Council"), unless a title's "of" phrase comes before the name ("Chairman of the House Ways and Means
    Committee Kevin Brady"); a party and state tag after the name is no part of it ("Steny Hoyer (D-Md.)")."""
    if len(speaker) != end - start:
        ends = [end]
    else:
        core = _TAG.sub("", speaker)
        of = core.find(" of ")
        ends = [start + of, start + len(core)] if of > 0 else [start + len(core)]
    heads: dict[int, dict] = {}
    for r in inside:
        if r["end"] in ends and r["ner_label"] in _SPEAKER_LABELS:
            heads.setdefault(r["end"], r)
    last = heads.get(ends[-1])
    if len(ends) == 2 and last is not None and last["ner_label"] == "PERSON" and _title_first(speaker):
        return last, ends[-1]
    return heads.get(ends[0]), ends[0]


def _title_first(speaker: str) -> bool:
    """Whether a speaker phrase opens with a capitalised title rather than a determiner ("Chairman of ...", not "The
    spokesman of ...")."""
    return speaker[:1].isupper() and not _LEADING_DETERMINER.match(speaker)


_SPEAKER_LABELS = frozenset({"PERSON", "ORG"})
_TAG = re.compile(r"\s*\([^()]*\)?\s*$")  # a trailing parenthesis, closed or cut off by the quote: "(D-N.Y."
_BODY = re.compile(r"^\s*(?:['’]s?\s+)?(?P<head>[^\W\d_][\w\s.-]*?)\s*$")
# "South Korea's government" is the state itself; its defence ministry is a body of it.
_STATE_ITSELF = frozenset("government administration regime authorities leadership state".split())


_CAPITALISED_TAIL = re.compile(r"^(?:\s+[A-Z][\w.&-]*)+\s*$")


def names(rows: Sequence[dict], *, sexes: Mapping[str, str] | None = None) -> list[str]:
    """The ``name`` of each of an article's mention ``rows`` (in text order): the name as the article gives it in
    full. A surname alone ("Christie", which the entity recogniser may even take for an organisation) or after a
    title ("Sen. Warren", "Mr. Giuliani") is the one person named earlier with that surname ("Chris Christie"), the
    way news refers to a person after the first mention; a full name loses its title ("Dr. Jane Hale" is Jane
    Hale); anything else is as written. Two earlier people of that surname ("Bill Clinton", "Hillary Clinton") leave
    it as written: nothing says which. After a courtesy title of a sex ("Mrs. Kent") the surname must not be of the
    other sex by ``sexes`` (``quotes.sexes`` of the article: he/she, titles, role nouns; a Joe Kent called "he" is
    not Mrs. Kent); without ``sexes`` such a name stays as written."""
    seen: dict[str, set[str]] = {}  # surname -> the full names given so far
    out = []
    for r in rows:
        words = _untitled(r["text"].split())
        out.append(" ".join(words) if len(words) > 1 else _named_before(r, words[0], seen, sexes))
        if len(words) > 1 and r["ner_label"] == "PERSON":
            seen.setdefault(words[-1], set()).add(" ".join(words))
    return out


def _named_before(row: dict, surname: str, seen: dict[str, set[str]], sexes: Mapping[str, str] | None) -> str:
    """``names`` of a one-word name (after any titles): the one person named so far with that surname, else the
    mention as written."""
    written = " ".join(row["text"].split())
    found = seen.get(surname, ())
    if len(found) != 1 or row["ner_label"] not in _SPEAKER_LABELS:
        return written
    sex = speaker_words().sex(written.split()[0]) if written != surname else ""
    if sex and (sexes is None or sexes.get(surname.lower(), sex) != sex):
        return written
    return next(iter(found))


def _courtesy(name: str) -> bool:
    """Whether a name opens with a title of a sex ("Mr. Hale", "Mrs. Hale"), which ``names`` checks against the
    sexes the article gives its people."""
    return bool(name.split()) and bool(speaker_words().sex(name.split()[0]))


def people(rows: Sequence[dict]) -> set[str]:
    """The names (``names``) an article's mention ``rows`` give persons (PERSON entities): what a speaker resolved to
    a full name can be ("Dr. Jane Hale" -> "Jane Hale")."""
    return {r["name"] for r in rows if r["ner_label"] == "PERSON"}


def _untitled(words: list[str]) -> list[str]:
    """``words`` of a name without the titles before it ("Mr.", "Sen.": ``_titled``); all of them when it is titles
    only."""
    k = 0
    while k < len(words) and _titled(words[k]):
        k += 1
    return words[k:] or words


def _titled(word: str) -> bool:
    """Whether ``word`` is a title written before a surname: a courtesy title ("Mr.", "Mrs", ``titles`` of
    ``analysis/data/speakers.yaml``) or an office ("Sen.", "Gov.", "Dr.", its ``offices``)."""
    key = word.lower().rstrip(".")
    words = speaker_words()
    return key in words.offices or any(key in titles for titles in words.titles.values())


def _proper_name_tail(tail: str) -> bool:
    """Whether the words after a state's name in a speaker phrase continue a proper name ("The New York Times", "The
    Washington Post"): capitalised, no possessive, and the last no word for a body, person or group
    (``kinds`` of ``analysis/data/speakers.yaml``: "the Japan Coast Guard", "US Forces Korea" stay bodies)."""
    if not _CAPITALISED_TAIL.match(tail):
        return False
    last = tail.split()[-1].lower().rstrip(".")
    kinds = speaker_words().kinds
    return last not in _STATE_ITSELF and not any(last in words for words in kinds.values())


def _body_of(owner: dict, tail: str, table: Table) -> str:
    """``South Korea's defence ministry`` -> ``South Korea (defence ministry)``: the head of a speaker phrase that an
    actor's name only modifies (a possessive or a demonym: "the South Korean defence ministry") is a body or person
    of that actor, not the actor. Any body, person or group of a state; of another actor, its people only (a head
    noun of the ``person`` or ``group`` kinds of ``analysis/data/speakers.yaml``, singular or plural): "the Republican
    president" is ``Republican (president)`` and "a Senate aide" ``Senate (aide)``, not the party or the chamber
    speaking, while "the Senate Judiciary Committee" stays the Senate. Empty when none of these, or when nothing but
    the actor's own government or leadership follows."""
    actor = table.actors.get(owner["actor"])
    found = _BODY.match(tail) if actor is not None else None
    head = " ".join(found["head"].lower().split()) if found else ""
    if not head or head.split()[-1] in _STATE_ITSELF:
        return ""
    return f"{actor.name} ({head})" if actor.type == "state" or _member(head.split()[-1]) else ""


def _member(noun: str) -> bool:
    """Whether a head noun names a person or people ("aide", "senators", "leaders") by ``speaker_words().kinds``."""
    kinds = speaker_words().kinds
    people = kinds["person"] | kinds["group"]
    one = noun[:-3] + "y" if noun.endswith("ies") else noun[:-1] if noun.endswith("s") else noun  # allies, aides
    return noun in people or one in people


_TYPE_OF = {"state": "state", "government_body": "organisation", "organisation": "organisation",
            "alliance": "organisation", "media": "organisation", "person": "person"}
_LABEL = re.compile(r"^(?P<state>.+) \((?P<body>[^()]+)\)$")


def speaker_type(actor: str, fallback: str = "", *, table: Table, people: Collection[str] = ()) -> str:
    """The type of a quote's speaker: ``person``, ``organisation``, ``state``, ``group`` or ``unknown``. An actor of
    the alias table gives its type (a government body, organisation, alliance or media outlet is an organisation);
    an actor among ``people`` (the names the article gives persons, ``names``) is a person;
    otherwise ``fallback``, the type the tagging stage read off the speaker's head word and entity label
    (``quotes.Quote.speaker_type``); empty when there is no speaker."""
    known = table.actors.get(actor)
    if known is not None:
        return _TYPE_OF[known.type]
    if actor in people:
        return "person"
    return fallback or ("unknown" if actor else "")


def speaker_state(actor: str, *, table: Table) -> str:
    """The state a speaker's actor belongs to: a state itself, a person's or body's ``state`` in the alias table,
    the state of a ``State (body)`` label (``South Korea (defence ministry)`` -> ``South Korea``), or of the body a
    label's people belong to (``US Senate (aide)`` -> the Senate's state); else empty."""
    known = table.actors.get(actor)
    if known is not None:
        return known.state or (known.name if known.type == "state" else "")
    found = _LABEL.match(actor)
    owner = table.actors.get(found["state"]) if found else None
    if owner is None:
        return ""
    return owner.name if owner.type == "state" else owner.state if owner.type == "government_body" else ""
_PLACE_PREPOSITIONS = re.compile(r"\b(?:at|in|from|for|with|on)\s+(?:the\s+|a\s+|an\s+)?$", re.I)


def _after_preposition(speaker: str, offset: int) -> bool:
    """The mention at ``offset`` of the speaker phrase sits in a prepositional phrase ("a fellow at a think tank in
    Washington"), which says where the speaker is, not who it is."""
    return bool(_PLACE_PREPOSITIONS.search(speaker[:max(offset, 0)]))


def candidates(mentions: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """The ``alias_candidates`` table of whole ``mentions`` and ``sentences`` tables (see ``Candidates``)."""
    found = Candidates()
    text = dict(zip(zip(sentences["article_id"], sentences["sent_id"]), sentences["text"]))
    for article_id, rows in mentions.groupby("article_id", sort=False):
        found.add(rows.to_dict("records"), lambda sent_id: text.get((article_id, sent_id), ""))
    return found.frame()


class Candidates:
    """The ``alias_candidates`` table, built one article at a time: named entities that matched no alias, most
    frequent first, with how many articles name them and the first sentence using them. A leading "the" is dropped
    so variants group together. Memory grows with the distinct unmatched names, never with the mentions."""

    def __init__(self):
        self.seen: dict[tuple[str, str], list] = {}  # (text, ner_label) -> [n, n_articles, last article, example]

    def add(self, rows: Iterable[dict], sentence: Callable[[int], str]) -> None:
        """Count the unmatched mentions among one article's mention ``rows``; ``sentence(sent_id)`` gives the text
        of a sentence, asked for only the first time a name is seen."""
        for row in rows:
            if row["actor"]:
                continue
            key = (_THE.sub("", " ".join(str(row["text"]).split())), row["ner_label"])
            entry = self.seen.get(key)
            if entry is None:
                entry = self.seen[key] = [0, 0, None, " ".join(str(sentence(row["sent_id"])).split())]
            entry[0] += 1
            if entry[2] != row["article_id"]:  # an article's rows come together, so this counts distinct articles
                entry[1], entry[2] = entry[1] + 1, row["article_id"]

    def merge(self, later: Candidates) -> None:
        """Add the counts of ``later``, built over articles that come after this one's (a chunk tagged in another
        process): counts add up and each name keeps its first example."""
        for key, (n, n_articles, last, example) in later.seen.items():
            entry = self.seen.setdefault(key, [0, 0, None, example])
            entry[0], entry[1], entry[2] = entry[0] + n, entry[1] + n_articles, last

    def frame(self) -> pd.DataFrame:
        """The table so far, conforming to the ``alias_candidates`` schema."""
        rows = [(text, label, n, n_articles, example) for (text, label), (n, n_articles, _, example) in self.seen.items()]
        rows.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
        columns = ["text", "ner_label", "n", "n_articles", "example"]
        return tables.conform(pd.DataFrame(rows, columns=columns), "alias_candidates", fill=True)
