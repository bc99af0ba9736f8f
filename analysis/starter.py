"""Starter profiles: a first story profile built from a corpus, for a user to read, prune and keep.

``framing new-story NAME --corpus PATH`` ingests and tags the corpus, then ``build`` proposes

* actors: the most frequent named entities (people, organisations, places, groups), clustered with their aliases
  (a surname and the full name, an acronym and its long form, with or without "the" and the possessive) and a type
  from the entity label (spaCy NER) and the parse (``parse_types``: "X, a spokesman" and "Senator X" are people,
  "the X party" an organisation, a name that is the subject of a reporting verb a speaker), the parse outweighing
  the label; actors the shipped alias table already knows keep its canonical name and type;
* phrase families from ``discovery.candidates``: loaded terms grouped by polarity, and scare-quoted terms;
* KWIC queries: the most distinctive multi-word terms (``discovery.phrases``);
* hostile terms: the strongest negative single words among the candidates.

``write`` puts them in a profile folder, each entry with its counts and two example sentences as YAML comments.
"""
from __future__ import annotations

import logging
import re
import shlex
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml
from spacy.lang.en.stop_words import STOP_WORDS

from analysis import actors as actors_module
from analysis import discovery, patterns, profiles, progress

log = logging.getLogger(__name__)

TYPES = {"PERSON": "person", "GPE": "state", "ORG": "organisation", "NORP": "organisation"}
PARTIES = "data/parties.yaml"
SURNAME_SHARE = 0.05  # a full name's uses, as a share of its last word's, for that word to count as its surname
SPEAKER = "speaker"  # parse evidence that a name speaks; its type comes from the entity label (person by default)
_CAPITALISED = re.compile(r"\S\s+[A-Z]")  # a capital after the first word: a sentence that may hold a name
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.I)
_POSSESSIVE = re.compile(r"\s*['’]s?$")
_PATTERN_WORD = re.compile(r"^[\w.&'’-]+$")


@dataclass
class Actor:
    """A candidate actor: canonical name, type, aliases with their counts, example sentences."""

    name: str
    type: str
    aliases: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)
    short: Counter = field(default_factory=Counter)  # forms that name it only in context ("the president")
    exact: set = field(default_factory=set)  # forms matched only as written: the corpus also writes them lower case

    @property
    def count(self) -> int:
        return sum(self.aliases.values())


@dataclass
class Evidence:
    """What the parse says about one name: its uses with evidence, the evidence per type (person, organisation,
    speaker; one use may give several) and example sentences."""

    uses: int = 0
    types: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)


@dataclass
class Starter:
    """What ``build`` proposes for a profile."""

    name: str
    corpus: str
    n_articles: int
    actors: list[Actor]
    candidates: pd.DataFrame
    phrases: pd.DataFrame
    story: str = ""  # how `framing run --story` names it: its name when it is a shipped profile, else its folder


def make(name: str, *, corpus: list[str], folder: Path, model: str = "en_core_web_sm", force: bool = False,
         limit: int | None = None, n_process: int = 0) -> Path:
    """Ingest and tag ``corpus`` (the first ``limit`` English articles, on ``n_process`` processes, 0: as
    ``framing run`` chooses, ``models.processes``), ``build`` a starter and ``write`` it to ``folder``; returns the
    folder. Raises ``FileExistsError`` before any work when the folder holds a profile."""
    from analysis import corpus as corpora, models, tagging

    if (folder / "profile.yaml").exists() and not force:
        raise FileExistsError(f"{folder} already holds a profile; choose another NAME or --out, or pass --force")
    articles = corpora.ingest(corpus).articles
    articles = articles[articles["is_english"]].head(limit) if limit else articles[articles["is_english"]]
    if not len(articles):
        raise ValueError(f"no English article in {', '.join(corpus)}: nothing to build a profile from")
    nlp = models.load(model)
    with tempfile.TemporaryDirectory() as tmp:
        tagging.stream(articles, tmp, nlp=nlp, n_process=n_process, store_parse=False)
        tagged = tagging.read(tmp)
    made = build(name, corpus=", ".join(corpus), sentences=tagged.sentences, mentions=tagged.mentions,
                 n_articles=len(articles), nlp=nlp)
    log.info("new-story: %d actors, %d loaded-term candidates, %d KWIC queries", len(made.actors),
             len(made.candidates), len(made.phrases))
    return write(made, folder, force=force)


def build(name: str, *, corpus: str, sentences: pd.DataFrame, mentions: pd.DataFrame, n_articles: int,
          n_actors: int = 25, n_candidates: int = 40, n_queries: int = 8, nlp=None,
          max_parsed: int = 5000) -> Starter:
    """Propose a profile from a tagged corpus (the tagging stage's ``sentences`` and ``mentions``).

    With ``nlp`` (a spaCy pipeline with parser and NER), up to ``max_parsed`` sentences that may hold a name are
    parsed for actor types (``parse_types``); without it, types come from the entity labels only.
    """
    general = patterns.default_path()
    lexicon = patterns.lexicon(general) if general.is_file() else {}
    found = discovery.candidates(sentences, lexicon=lexicon, mentions=mentions, limit=n_candidates)
    parsed = parse_types(nlp.pipe(_named(sentences, limit=max_parsed))) if nlp is not None else None
    return Starter(name, corpus, n_articles, actors(mentions, sentences, top=n_actors, parsed=parsed), found,
                   discovery.phrases(sentences, top=n_queries))


def _named(sentences: pd.DataFrame, *, limit: int) -> Iterable[str]:
    """Sentence texts with a capital after the first word, spread over the articles, at most ``limit``."""
    texts = sentences[sentences["text"].str.contains(_CAPITALISED)]
    per_article = max(1, limit // max(1, texts["article_id"].nunique()))
    texts = texts.groupby("article_id", sort=False).head(per_article)["text"].head(limit).tolist()
    return progress.bar(texts, total=len(texts), desc="parsing names", unit="sentence")


def parse_types(docs: Iterable, *, cues: dict[str, frozenset[str]] | None = None,
                verbs: Iterable[str] | None = None) -> dict[str, Evidence]:
    """Type evidence from the parse for each name in ``docs`` (parsed spaCy docs), keyed by the name as an alias.

    A name is a run of proper nouns (anything up to a title such as "Senator" or "FBI Director" dropped), or a
    run of proper nouns with the organisation noun it modifies ("the Green party") or the "of" phrase after it
    ("the Department of Energy"). Evidence per use, the rules of actor_types.yaml:
    ``person`` (a person noun in apposition, a title before it), ``organisation`` (an organisation noun heads it
    or stands in apposition), ``speaker`` (it heads the subject of a reporting verb, ``verbs`` defaulting to the
    verb lemmas of reporting_verbs.yaml). Returns ``{alias: Evidence}`` for the names with any evidence, each
    with up to two example sentences.
    """
    from analysis import quotes

    cues = cues or actors_module.type_cues()
    verbs = frozenset(verbs if verbs is not None else (c for c in quotes.lexicon() if " " not in c))
    evidence: dict[str, Evidence] = defaultdict(Evidence)
    for doc in docs:
        for span, head, titled in _names(doc, cues):
            alias = clean(span.text)
            kinds = Counter(_evidence(head, cues, verbs)) + Counter(["person"] * titled)
            generic = all(t.lower_.rstrip(".") in cues["organisation_nouns"] | cues["titles"] for t in span)
            if len(alias) < 2 or not kinds or generic:  # "the Department of ...": a noun, not a name
                continue
            found = evidence[alias]
            found.uses += 1
            found.types.update(kinds)
            if len(found.examples) < 2 and span.sent.text not in found.examples:
                found.examples.append(span.sent.text)
    return dict(evidence)


def _names(doc, cues: dict[str, frozenset[str]]):
    """(name span, head token, whether a title preceded it) for every run of proper nouns in ``doc``."""
    i = 0
    while i < len(doc):
        if doc[i].pos_ != "PROPN":
            i += 1
            continue
        start, end = _run(doc, i)
        end, head = _with_organisation_noun(doc, end, cues)
        titled = False
        if head.lower_ not in cues["organisation_nouns"] and head.ent_type_ in ("PERSON", ""):
            # Drop everything up to the last title: "FBI Director James Comey" -> "James Comey" (but a name the
            # recogniser calls something else keeps its words: "General Motors" is no person).
            last = max((k for k in range(start, end - 1) if doc[k].lower_.rstrip(".") in cues["titles"]), default=None)
            if last is not None:
                start, titled = last + 1, True
        yield doc[start:end], head, titled
        i = end


def _run(doc, i: int) -> tuple[int, int]:
    """The run of proper nouns from token ``i``, with hyphen-joined parts on either side: (start, end)."""
    start, j = i, i
    while j + 1 < len(doc) and (doc[j + 1].pos_ == "PROPN" or _glued(doc, j + 1)):
        j += 2 if doc[j + 1].pos_ != "PROPN" else 1
    while start >= 2 and _glued(doc, start - 1):
        start -= 2  # "Okonkwo-Baptiste": the tagger often calls the first part a common noun
    return start, j + 1


def _with_organisation_noun(doc, end: int, cues: dict[str, frozenset[str]]):
    """The end and head token of the name once the organisation noun it modifies ("the Green party") or the "of"
    phrase after its organisation noun ("the Department of Energy", "the Bank of England") is taken in."""
    if end < len(doc) and doc[end].pos_ == "NOUN" and doc[end].lower_ in cues["organisation_nouns"] \
            and doc[end - 1].head.i == end:
        end += 1
    head = doc[end - 1]
    if head.lower_ in cues["organisation_nouns"] and end + 1 < len(doc) and doc[end].lower_ == "of" \
            and doc[end + 1].pos_ == "PROPN":
        end += 1
        while end < len(doc) and doc[end].pos_ == "PROPN":
            end += 1
    return end, head


def _glued(doc, i: int) -> bool:
    """Whether token ``i`` is a hyphen joining the words on either side with no space: one name."""
    return (0 < i < len(doc) - 1 and doc[i].text in patterns.HYPHENS and not doc[i - 1].whitespace_
            and not doc[i].whitespace_ and doc[i - 1].is_alpha and doc[i + 1].is_alpha)


def _evidence(head, cues: dict[str, frozenset[str]], verbs: frozenset[str]):
    """The types the parse around a name's head token gives it, one per rule that applies."""
    if head.lower_ in cues["organisation_nouns"]:
        yield "organisation"
    for noun in [c for c in head.children if c.dep_ == "appos"] + ([head.head] if head.dep_ == "appos" else []):
        if noun.pos_ == "NOUN" and noun.lemma_.lower() in cues["person_nouns"]:
            yield "person"
        elif noun.pos_ == "NOUN" and noun.lemma_.lower() in cues["organisation_nouns"]:
            yield "organisation"
    if head.dep_ == "nsubj" and head.head.lemma_.lower() in verbs:
        yield SPEAKER


def clean(surface: str) -> str:
    """A mention as an alias: without a leading article and a trailing possessive ("the NRA's" -> "NRA")."""
    return _POSSESSIVE.sub("", _LEADING.sub("", surface.strip())).strip()


def actors(mentions: pd.DataFrame, sentences: pd.DataFrame, *, top: int = 25,
           parsed: dict[str, Evidence] | None = None) -> list[Actor]:
    """The ``top`` most mentioned candidate actors, their aliases clustered (see the module docstring).

    ``parsed`` (``parse_types``) gives type evidence from the parse; it outweighs the entity label of a name the
    alias table does not know, and a name the entity recogniser missed becomes a candidate with the uses the
    parse found.
    """
    named = mentions[mentions["ner_label"].isin(TYPES) | (mentions["actor"].fillna("") != "")]
    parsed = parsed or {}
    if not len(named) and not parsed:
        return []
    texts = dict(zip(zip(sentences["article_id"], sentences["sent_id"]), sentences["text"]))
    forms: Counter = Counter()
    kinds: dict[str, Counter] = defaultdict(Counter)
    resolved: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, list] = defaultdict(list)
    for aid, sid, text, label, actor, actor_type in zip(named["article_id"], named["sent_id"], named["text"],
                                                        named["ner_label"], named["actor"].fillna(""),
                                                        named["actor_type"].fillna("")):
        form = clean(text)
        if len(form) < 2:
            continue
        forms[form] += 1
        kinds[form][actor_type or TYPES.get(label, "organisation")] += 1
        if actor:
            resolved[form.lower()][actor] += 1  # the alias table matches case-insensitively
        if len(examples[form]) < 2 and (sentence := texts.get((aid, sid), "")) not in examples[form]:
            examples[form].append(sentence)
    # A form the alias table resolved to several actors ("the president": whoever the article has named) names each only
    # in context: a short form of each, never an alias of one (it would be that one in every year of the corpus).
    shared = {form: found for form, found in resolved.items() if len(found) > 1}
    known = {form: resolved[form.lower()].most_common(1)[0][0] for form in forms if form.lower() in resolved
             and form.lower() not in shared}
    for form in [f for f in forms if f.lower() in shared]:
        del forms[form]
    parsed = {form: found for form, found in parsed.items() if form.lower() not in shared}
    tabled = set(named.loc[named["actor_type"].fillna("") != "", "text"].map(clean))
    for form, party in _parties().items():  # "Republicans", "GOP", "Republican strategist": one party, not a person
        if form in forms and form not in known:
            known[form], kinds[form] = party, Counter({"organisation": forms[form]})
            tabled.add(form)
    _retype(forms, kinds, parsed, tabled=tabled)
    for form, found in parsed.items():
        examples[form] += [e for e in found.examples if e not in examples[form]][:2 - len(examples[form])]
    clusters, surnames = _cluster(forms, kinds, known)
    out, claimed = [], set()
    for head in sorted(clusters, key=lambda h: -sum(forms[m] for m in clusters[h])):
        # The alias table refuses a form under two actors; spellings differing only in case or hyphens are one.
        keys = {m: m.lower().replace("-", " ") for m in clusters[head]}
        clusters[head] = {m for m in clusters[head] if keys[m] not in claimed}
        claimed |= {keys[m] for m in clusters[head]}
    for head, members in clusters.items():
        if not members:
            continue
        kind = sum((kinds[m] for m in members), Counter()).most_common(1)[0][0]
        actor = Actor(known.get(head) or _display(members, forms), kind, Counter({m: forms[m] for m in members}))
        actor.short = Counter({form: found[actor.name] for form, found in shared.items() if actor.name in found})
        actor.short.update({form: forms[form] for form, heads in surnames.items() if head in heads})
        for m in sorted(members, key=forms.get, reverse=True):
            actor.examples += [e for e in examples[m] if e not in actor.examples][:2 - len(actor.examples)]
        out.append(actor)
    lowered = _lower_case(sentences, {m for actor in out for m in actor.aliases})
    for actor in out:
        actor.exact = {m for m in actor.aliases if m != m.lower() and m.lower() in lowered}
    _with_article(out)
    ranked = sorted(out, key=lambda a: (-a.count, a.name))
    # Everyone who shares a kept actor's surname is kept too: left out, their full name ("Bill Clinton") would be
    # read as the short form's other owner ("Clinton": Hillary Clinton) named before.
    sharing = {form for actor in ranked[:top] for form in actor.short if form in surnames}
    return ranked[:top] + [actor for actor in ranked[top:] if sharing & set(actor.short)]


def _with_article(found: list[Actor]) -> None:
    """Give back, in place, the article a form of the shipped alias table needs ("the North", North Korea's): the
    mentions' forms lost it (``clean``), and as a bare alias "North" made North Dakota and North Carolina North
    Korea (a third of a new user's North Korea mentions)."""
    exact = actors_module.table().exact
    for actor in found:
        for form in [m for m in actor.aliases if exact.get(f"the {m}") == actor.name]:
            actor.aliases[f"the {form}"] = actor.aliases.pop(form)
            actor.exact = (actor.exact - {form}) | {f"the {form}"}


def _lower_case(sentences: pd.DataFrame, forms: set[str]) -> set[str]:
    """The one-word ``forms``, lower-cased, that the corpus also writes in lower case ("house", "democratic"): as a
    case-insensitive alias such a form would make the ordinary word the actor ("the house burned")."""
    words = {f.lower() for f in forms if " " not in f and f != f.lower()}
    if not words or sentences.empty:
        return set()
    pattern = re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
                         + r")(?![\w'’-])")
    return set(pattern.findall("\n".join(sentences["text"].astype(str))))


@cache
def _parties() -> dict[str, str]:
    """Form -> party of ``analysis/data/parties.yaml``: the forms news uses for one political party."""
    raw = yaml.safe_load(resources.files("analysis").joinpath(PARTIES).read_text(encoding="utf-8")) or {}
    parties = raw.get("parties") if isinstance(raw, dict) else None
    if not isinstance(parties, dict):
        raise ValueError(f"analysis/{PARTIES}: expected a mapping 'parties: {{Party name: [forms ...]}}'")
    return {str(form): str(party) for party, forms in parties.items() for form in forms or []}


def _display(members: set[str], forms: Counter) -> str:
    """An actor's name: its most frequent multi-word alias that is not a title and a surname ("Harry Reid" over
    "Senate Majority Leader Harry Reid", "Mr. Reid" and "Reid"), else its most frequent alias."""
    multi = ([m for m in members if " " in m and not _title_only(m, m.split()[-1])]
             or [m for m in members if " " in m] or list(members))
    return max(multi, key=lambda m: (forms[m], -len(m), m))


def _retype(forms: Counter, kinds: dict[str, Counter], parsed: dict[str, Evidence], *, tabled: set[str]) -> None:
    """Give each name the parse has evidence for the type that evidence says (in place): a person or organisation
    noun decides; a speaker is a person when it is the surname of a person's full name in the corpus ("Hale said"
    after "Dana Hale"), else an organisation or state when the entity label says so, else a person. Names the
    alias table typed keep their type; names only the parse found join ``forms`` with its count of uses."""
    def direct(form: str) -> Counter:
        return Counter({k: n for k, n in parsed[form].types.items() if k != SPEAKER}) if form in parsed else Counter()

    def person(form: str) -> bool:
        told = direct(form) or kinds.get(form) or Counter()
        return bool(told) and told.most_common(1)[0][0] == "person"

    # A full name may be a misread ("Chapo Trap House", "Mayotte Mexico" tagged PERSON, once each): its last word
    # makes a surname only when the full name is used at least a SURNAME_SHARE as often as that word, so it does
    # not make a person of the House or of Mexico, hundreds of uses the entity label calls otherwise.
    full = {f: max(forms.get(f, 0), _uses(parsed, f)) for f in set(forms) | set(parsed)
            if len(f.split()) > 1 and person(f)}
    surnames = {f.split()[-1] for f, n in full.items()
                if n >= SURNAME_SHARE * max(forms.get(f.split()[-1], 0), _uses(parsed, f.split()[-1]))}
    for form, found in parsed.items():
        if form in tabled:
            continue
        labelled = kinds[form].most_common(1)[0][0] if kinds.get(form) else ""
        kind = (direct(form).most_common(1)[0][0] if direct(form) else "person" if form in surnames
                else labelled if labelled in ("organisation", "state") else "person")
        if form not in forms:
            forms[form] = found.uses
        kinds[form] = Counter({kind: forms[form]})


def _uses(parsed: dict[str, Evidence], form: str) -> int:
    return parsed[form].uses if form in parsed else 0


def _cluster(forms: Counter, kinds: dict, known: dict) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """Group surface forms: a form joins a longer form whose last word it is (a surname: "Biden" -> "Joe
    Biden") or whose initials it spells (an acronym: "NRA" -> "National Rifle Association"), and forms the alias
    table gave the same actor go together. The head of a group is its most frequent multi-word form.

    A surname that two or more people of the corpus share ("Clinton": Bill Clinton and Hillary Clinton), each
    named in full at least a SURNAME_SHARE as often as the surname alone, joins no group: it is returned apart with
    their heads, as a short form of each (resolved in each article: ``actors.matches``), never an alias of one."""
    by_actor: dict[str, set[str]] = defaultdict(set)
    for form, actor in known.items():
        by_actor[actor].add(form)
    groups: dict[str, set[str]] = {}
    owner: dict[str, str] = {}
    for members in by_actor.values():
        head = max(members, key=lambda f: (forms[f], len(f)))
        groups[head] = set(members)
        owner.update({m: head for m in members})
    # A title before a surname ("Mr. Romney") comes last and goes where its surname went: to the one person who
    # bears it ("Mitt Romney"), or shared as the surname is.
    titled = {f for f in forms if len(f.split()) > 1 and _title_only(f, f.split()[-1])}
    longest_first = sorted(forms, key=lambda f: (f in titled, -len(f.split()), -forms[f], f))
    shared: dict[str, list[str]] = {}
    for form in longest_first:
        if form in owner:
            continue
        surname = form.split()[-1]
        if form in titled and (surname in owner or surname in shared):
            if surname in shared:
                shared[form] = shared[surname]
            else:
                groups[owner[surname]].add(form)
                owner[form] = owner[surname]
            continue
        heads = [h for h in groups if _part_of(form, h, kinds)]
        uses = {h: sum(forms[m] for m in groups[h]) for h in heads}
        surname = surname if form in titled else form  # "Mrs. Clinton" whose "Clinton" was never seen alone
        people = [h for h in heads if not form.isupper() and not _title_only(h, surname)
                  and uses[h] >= max(2, SURNAME_SHARE * forms[form])]
        if len(people) > 1:
            shared[form] = sorted(people)
            continue
        # the most used of the longer forms it may belong to: "DHS" is the Department of Homeland Security's, not
        # a once-seen "internal Department of Homeland Security"'s
        parent = max(heads, key=lambda h: (uses[h], h), default=None)
        if parent is None:
            groups[form] = {form}
            owner[form] = form
        else:
            groups[parent].add(form)
            owner[form] = parent
    return groups, shared


def _title_only(head: str, surname: str) -> bool:
    """True when ``head`` is only a title before ``surname`` ("Mr. Romney", "President Obama"): the same person as
    the full name, not another one who shares the surname."""
    before = head.split()[:-len(surname.split())]
    return all(w.lower().rstrip(".") in actors_module.type_cues()["titles"] for w in before)


def _part_of(form: str, head: str, kinds: dict) -> bool:
    words, head_words = form.split(), head.split()
    if len(words) > 1 and _title_only(form, words[-1]) and not _title_only(head, words[-1]):
        words = words[-1:]  # "Mr. Romney" is part of "Mitt Romney" as "Romney" is
    if len(words) >= len(head_words):
        return False
    if len(words) == 1 and form.isupper() and len(form) >= 2:
        initials = "".join(w[0] for w in head_words if w[0].isupper())
        return initials == form
    person = kinds[form].most_common(1)[0][0] == "person" and kinds[head].most_common(1)[0][0] == "person"
    return person and head_words[-len(words):] == words


def write(starter: Starter, folder: Path, *, force: bool = False) -> Path:
    """Write the starter profile to ``folder`` (profile.yaml, phrases.yaml, actors.yaml, hostile_terms.yaml).

    Raises ``FileExistsError`` when ``folder`` already holds a profile and ``force`` is False.
    """
    if (folder / "profile.yaml").exists() and not force:
        raise FileExistsError(f"{folder} already holds a profile; choose another NAME or --out, or pass --force")
    folder.mkdir(parents=True, exist_ok=True)
    shipped = folder.resolve() == (profiles.root() / starter.name).resolve()
    starter = replace(starter, story=starter.name if shipped else shlex.quote(str(folder)))
    (folder / "profile.yaml").write_text(_profile_yaml(starter), encoding="utf-8")
    (folder / "actors.yaml").write_text(_actors_yaml(starter), encoding="utf-8")
    (folder / "phrases.yaml").write_text(_phrases_yaml(starter), encoding="utf-8")
    (folder / "hostile_terms.yaml").write_text(_hostile_yaml(starter), encoding="utf-8")
    # What was written must load: a broken starter is an error here, not at the user's next run.
    profiles.load(folder)
    patterns.lexicon(folder / "phrases.yaml")
    actors_module.table(folder / "actors.yaml")
    return folder


def _header(starter: Starter, what: str) -> str:
    return (f"# {what} of the story profile {starter.name!r}: a STARTER written by `framing new-story` on "
            f"{date.today().isoformat()}\n# from {starter.corpus} ({starter.n_articles} articles). Each entry "
            f"shows its counts and two example sentences:\n# read them, delete what does not belong to the story, "
            f"rename and regroup, then run it on that corpus:\n# `framing run --story {starter.story or starter.name} "
            f"--corpus <the corpus above>` (without --corpus a run reads seeds/).\n")


def _comment(text: str, indent: str) -> str:
    return f"{indent}#   e.g. {' '.join(str(text).split())[:200]}\n"


def _profile_yaml(starter: Starter) -> str:
    queries = starter.phrases["term"].tolist()
    return (_header(starter, "Description and KWIC queries")
            + "# FORMAT: analysis/data/profiles/asian-nato/profile.yaml\n\n"
            + yaml.safe_dump({"name": starter.name, "description": f"Starter profile built from {starter.corpus}; describe the story "
                                             f"here in a sentence or two.",
                              "phrases": "phrases.yaml", "actors": "actors.yaml",
                              "hostile_terms": "hostile_terms.yaml"}, sort_keys=False, width=110)
            + "# The reports warn that this profile is unpruned while this line is here: delete it once you have\n"
            + "# read the three files and deleted what does not belong to your story.\nstarter: true\n"
            + "# A term you delete from phrases.yaml as not loaded (topical, a name) comes back among the rhetoric\n"
            + "# report's loaded-term candidates unless it is listed here, e.g. not_loaded: [win, base, elect]\n"
            + "not_loaded: []\n"
            + "# The most distinctive multi-word terms of the corpus (collocation G2), shown in context by the\n"
            + "# rhetoric report; add phrase families (family ids) as you write them.\nkwic_queries:\n"
            + "".join(f"  - {_quoted(q)}  # {n} uses, G2 {g:.0f}\n{_comment(e, '  ')}"
                      for q, n, g, e in zip(queries, starter.phrases["count"], starter.phrases["g2"],
                                            starter.phrases["example"])))


def _actors_yaml(starter: Starter) -> str:
    lines = [_header(starter, "Actor alias table"), "# FORMAT: analysis/data/actors.yaml (its header).\n\nactors:\n"]
    for actor in starter.actors:
        aliases = sorted(actor.aliases, key=lambda a: -actor.aliases[a])
        counts = ", ".join(f"{a} {actor.aliases[a]}" for a in aliases)
        exact = [a for a in aliases if (a.isupper() and len(a) <= 4) or a in actor.exact]
        # The table matches aliases whatever their case: a form that is a function word ("us", NER's misreading of
        # the pronoun as the US) would make every "us" the actor. Its capitals, an acronym, stay exact, as does a
        # name the corpus also writes as an ordinary word ("House": "the house burned").
        ordinary = {a.lower() for a in actor.exact}  # "trump" as NER once read it: the ordinary word, no alias
        plain = [a for a in aliases if a not in exact and a.lower() not in STOP_WORDS and a not in ordinary]
        lines.append(f"  {_quoted(actor.name)}:  # {actor.count} mentions ({counts})\n")
        lines += [_comment(e, "    ") for e in actor.examples]
        lines.append(f"    type: {actor.type}\n")
        if plain:
            lines.append(f"    aliases: [{', '.join(_quoted(a) for a in plain)}]\n")
        if exact:
            lines.append(f"    exact: [{', '.join(_quoted(a) for a in exact)}]\n")
        if actor.short:
            shared = ", ".join(f"{s} {n}" for s, n in actor.short.most_common())
            lines.append(f"    short: [{', '.join(_quoted(s) for s in sorted(actor.short))}]  # names it only in "
                         f"context: of those it could name, the one named most often so far (people) or last "
                         f"({shared} here)\n")
    return "".join(lines)


def _phrases_yaml(starter: Starter) -> str:
    found = starter.candidates[starter.candidates["term"].map(_patternable)]
    scare = found[found["scare_quote_rate"] >= 0.3]
    rest = found.drop(scare.index)
    groups = [("scare_quoted", "Scare-quoted terms", "loaded_language", ["Loaded_Language", "Doubt"], scare),
              ("loaded_negative", "Negative loaded terms", "loaded_language",
               ["Loaded_Language", "Name_Calling-Labeling"], rest[rest["polarity"] < 0]),
              ("loaded_positive", "Positive loaded terms", "loaded_language", ["Loaded_Language"],
               rest[rest["polarity"] >= 0])]
    lines = [_header(starter, "Phrase families"),
             "# FORMAT and PATTERN SYNTAX: analysis/data/profiles/asian-nato/phrases.yaml (its header).\n"
             "# Candidates from discovery.candidates, best first; `score` and the evidence columns are explained in\n"
             "# `framing schema loaded_candidates`.\n\nfamilies:\n"]
    for fid, label, category, techniques, rows in groups:
        if not len(rows):
            continue
        lines.append(f"  - id: {fid}\n    label: {label}\n    category: {category}\n"
                     f"    techniques: [{', '.join(techniques)}]\n    variants:\n")
        for k, row in enumerate(rows.itertuples()):
            lines.append(f"      - {{id: v{k + 1}, pattern: {_quoted(row.term.lower())}}}  # {row.count} uses in "
                         f"{row.n_articles} articles; strength {row.strength:.2f}, scare-quoted "
                         f"{row.scare_quote_rate:.0%}, quoted {row.quoted_rate:.0%}, G2 {row.g2:.0f}, actor lift "
                         f"{row.actor_lift:.1f}\n")
            lines += [_comment(e, "        ") for e in (row.example, row.example_2) if e]
    if len(lines) == 2:
        lines.append("  []\n")
    return "".join(lines)


def _hostile_yaml(starter: Starter) -> str:
    found = starter.candidates
    words = found[(~found["term"].str.contains(" ")) & (found["polarity"] <= -0.3)]["term"].str.lower().tolist()
    return (_header(starter, "Hostile terms") + "# FORMAT: analysis/data/hostile_terms.yaml (its header). The "
            "strongest negative single-word candidates.\n" + yaml.safe_dump({"terms": words[:30]},
                                                                            default_flow_style=None, width=110))


def _patternable(term: str) -> bool:
    return all(_PATTERN_WORD.match(w) and not w.startswith("-") for w in term.split(" "))


def _quoted(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
