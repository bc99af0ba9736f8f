"""Story profiles: what the workbook knows about one story, in a folder a user can copy and edit.

A profile (``analysis/data/profiles/<name>/``, or any folder) holds ``profile.yaml`` (a description, the corpus it
is the default for, KWIC queries) and optionally the story's phrase families (``phrases.yaml``), actor alias table
(``actors.yaml``) and hostile terms (``hostile_terms.yaml``); the format is documented at the top of the shipped
``asian-nato/profile.yaml``. The general lexicon is matched on every corpus, a profile's families only when that
profile is chosen. ``framing new-story`` writes a starter profile (``analysis.newstory``).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from typing import TYPE_CHECKING

import yaml

from analysis import patterns

if TYPE_CHECKING:
    import pandas as pd

# pandas and analysis.tables are imported by `fit`, the one function that needs them: `framing run` reads the
# profile names and folders before it starts the run's kernel, and should not wait for pandas to do so.

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FILES = {"phrases": "phrases.yaml", "actors": "actors.yaml", "hostile_terms": "hostile_terms.yaml"}
# Keys of profile.yaml that only the stages listing them in pipeline.yaml's profile_parts read, like FILES: listing
# a term as not loaded re-runs the rhetoric stage, not tagging.
READ_BY_PARTS = ("kwic_queries", "not_loaded")
KEYS = {"name", "description", "corpus", "starter", *READ_BY_PARTS, *FILES}
GENERAL = "general"
AUTO = "auto"  # a notebook's ``story`` default: the profile the run's own tables were made with


class ProfileError(ValueError):
    """A story profile is missing or malformed; the message names the folder and the key."""


@dataclass(frozen=True)
class Profile:
    """One story profile. ``name`` is empty for "no story" (the general lexicon only); file paths are None when
    the profile has no such file (the shipped default is used)."""

    name: str = ""
    folder: Path | None = None
    description: str = ""
    corpus: str = ""
    kwic_queries: tuple[str, ...] = ()
    phrases: Path | None = None
    actors: Path | None = None
    hostile_terms: Path | None = None
    starter: bool = False  # written by `framing new-story` and not yet marked pruned
    not_loaded: tuple[str, ...] = ()  # terms a reader judged not loaded: discovery never proposes them again


def root() -> Path:
    """The shipped profiles' folder, ``analysis/data/profiles``."""
    return Path(str(resources.files("analysis").joinpath("data/profiles")))


def names() -> list[str]:
    """The shipped profiles' names, sorted."""
    return sorted(p.name for p in root().iterdir() if (p / "profile.yaml").is_file())


def folder(story: str | Path) -> Path:
    """The folder of ``story``: a shipped profile's name, or a path to a folder holding ``profile.yaml``.

    Raises ``ProfileError`` naming the shipped profiles when there is no such profile.
    """
    text = str(story).strip()
    candidates = [root() / text] if NAME.match(text) else []
    candidates.append(Path(text).expanduser())
    for path in candidates:
        if (path / "profile.yaml").is_file():
            return path.resolve()
    raise ProfileError(f"no story profile {text!r}: give a shipped profile's name ({', '.join(names())}) or a "
                       f"folder holding profile.yaml; `framing new-story NAME --corpus PATH` writes one")


def load(story: str | Path | None) -> Profile:
    """Read the profile ``story`` (name or folder); empty or None gives the empty profile (general lexicon only)."""
    if story is None or not str(story).strip():
        return Profile()
    where = folder(story)
    try:
        spec = yaml.safe_load((where / "profile.yaml").read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ProfileError(f"{where / 'profile.yaml'}: not valid YAML: {err}") from None
    if not isinstance(spec, dict):
        raise ProfileError(f"{where / 'profile.yaml'}: expected a mapping with {', '.join(sorted(KEYS))}")
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise ProfileError(f"{where / 'profile.yaml'}: unknown keys {unknown}; a profile takes {sorted(KEYS)}")
    queries = spec.get("kwic_queries") or []
    if not isinstance(queries, list) or not all(isinstance(q, str) and q.strip() for q in queries):
        raise ProfileError(f"{where / 'profile.yaml'}: kwic_queries must be a list of non-empty strings")
    not_loaded = spec.get("not_loaded") or []
    if not isinstance(not_loaded, list) or not all(isinstance(t, str) and t.strip() for t in not_loaded):
        raise ProfileError(f"{where / 'profile.yaml'}: not_loaded must be a list of non-empty terms")
    if not isinstance(spec.get("starter", False), bool):
        raise ProfileError(f"{where / 'profile.yaml'}: starter must be true or false (delete the line once pruned)")
    files = {key: _file(where, spec, key) for key in FILES}
    name = str(spec.get("name") or where.name)
    if not NAME.match(name):
        raise ProfileError(f"{where / 'profile.yaml'}: name {name!r} must be lower-case letters, digits, - and _")
    return Profile(name=name, folder=where, description=str(spec.get("description") or "").strip(),
                   corpus=str(spec.get("corpus") or ""), kwic_queries=tuple(queries),
                   starter=bool(spec.get("starter", False)), not_loaded=tuple(not_loaded), **files)


def _file(where: Path, spec: dict, key: str) -> Path | None:
    given = spec.get(key)
    path = where / (given or FILES[key])
    if path.is_file():
        return path
    if given:
        raise ProfileError(f"{where / 'profile.yaml'}: {key}: {given!r} is not a file in {where}")
    return None


def default_for(corpus: list[str] | None) -> str:
    """The shipped profile whose ``corpus`` is exactly this corpus (``seeds`` -> ``asian-nato``), else ``""``.

    ``corpus`` is a run's list of paths; None or empty means the default corpus, ``seeds/``.
    """
    wanted = {Path(p).resolve() for p in corpus} if corpus else {(root().parents[2] / "seeds").resolve()}
    return next((name for name, folder in _shipped_corpora() if {folder} == wanted), "")


def _shipped_corpora() -> Iterator[tuple[str, Path]]:
    """(name, corpus folder) of each shipped profile written for a corpus of the project."""
    project = root().parents[2]
    for name in names():
        corpus = load(name).corpus
        if corpus:
            yield name, (project / corpus).resolve()


def recorded(data_dir: str | Path) -> str | None:
    """The story profile the ``framing run`` that wrote ``data_dir`` (``OUT/data``) used, as its executed stage
    notebooks in ``OUT/reports/notebooks`` record it (papermill's parameters, the first stage that takes one);
    None when no executed notebook beside ``data_dir`` records a story, or when its articles table is not the one
    that run's ingest stage wrote (an ingest re-run by hand since: the record would be another corpus's)."""
    import nbformat

    from analysis import cache

    made = cache.read(data_dir).get("ingest", {}).get("outputs", {}).get("articles")
    if made is None or made != cache.file_digest(Path(data_dir) / "articles.parquet"):
        return None
    executed = Path(data_dir).parent / "reports" / "notebooks"
    for path in sorted(executed.glob("*.ipynb")) if executed.is_dir() else ():
        parameters = nbformat.read(str(path), as_version=4).metadata.get("papermill", {}).get("parameters", {})
        if "story" in parameters:
            return str(parameters["story"])
    return None


def resolve(story: str, *, data_dir: str | Path) -> str:
    """``story`` as a notebook should use it: unchanged, unless it is ``"auto"`` (the notebooks' default).

    ``"auto"`` gives the profile the run in ``data_dir`` was made with (``recorded``), else the shipped profile
    whose corpus holds every article of ``data_dir``'s articles table (``seeds/`` -> ``asian-nato``), else ``""``
    (no profile). So a stage notebook run by hand, in JupyterLab or with papermill, on a run of another corpus
    applies that run's profile, not the seeds' one. ``framing run`` always passes the story it resolved itself.
    """
    if str(story).strip() != AUTO:
        return story
    previous = recorded(data_dir)
    if previous is not None:
        log.info("story 'auto': %r, the profile the run in %s was made with", previous, data_dir)
        return previous
    found = _holding(data_dir)
    log.info("story 'auto': %r, the shipped profile for this corpus (none recorded in %s)", found, data_dir)
    return found


def _holding(data_dir: str | Path) -> str:
    """The shipped profile whose ``corpus`` folder holds every article's source file, else ``""``. Ingestion shows
    a file as ``<corpus folder name>/<path inside it>`` (``seeds/000_x.txt``), so that path must name an existing
    file under the profile's corpus folder."""
    import pandas as pd

    path = Path(data_dir) / "articles.parquet"
    if not path.is_file():  # no run there yet: the stage's own read of its inputs says so
        return ""
    shown = pd.read_parquet(path, columns=["source_path"])["source_path"]
    shown = [str(p) for p in shown.dropna().unique()]
    return next((name for name, corpus in _shipped_corpora() if shown and all(
        p.startswith(f"{corpus.name}/") and (corpus.parent / p).is_file() for p in shown)), "")


def lexicon(profile: Profile, *, override: str | Path = "", general: str | Path | None = None) -> dict:
    """The phrase families matched for ``profile``: the general lexicon's, then the story's.

    ``override`` (a phrase-lexicon YAML) replaces the profile's own families; ``general`` replaces the general
    lexicon's path (default ``patterns.default_path()``). Each family's ``source`` says where it came from:
    ``general``, the profile's name, or the override file's stem. Raises ``patterns.LexiconError`` when a story
    family repeats a general family's id.
    """
    general_path = Path(general) if general else patterns.default_path()
    families: dict[str, dict] = {}
    if general_path.is_file():
        families.update(patterns.lexicon(general_path, source=GENERAL))
    else:
        log.warning("the general lexicon %s is missing: only the story's phrase families are matched", general_path)
    story_path = Path(override) if override else profile.phrases
    if story_path is None:
        return families
    story = patterns.lexicon(story_path, source="" if override else profile.name)
    clash = sorted(set(story) & set(families))
    if clash:
        raise patterns.LexiconError(f"{story_path}: families {clash} are already in the general lexicon "
                                    f"{general_path}; rename them in the story's lexicon")
    return {**families, **story}


ENTITY_LABELS = ("PERSON", "ORG", "GPE", "NORP")
NEW_STORY = "framing new-story my-story --corpus <your corpus>"


def fit(profile: Profile, *, articles: pd.DataFrame, hits: pd.DataFrame | None = None,
        mentions: pd.DataFrame | None = None, min_share: float = 0.2, top: int = 10,
        max_unknown: float = 0.5) -> pd.DataFrame:
    """Whether ``profile`` fits a corpus, as plain sentences with their numbers: one row per check that applies.

    * phrases: the share of English ``articles`` with a hit of the profile's own families (``hits.lexicon`` other
      than ``general``) must reach ``min_share``; only checked when the profile has phrase families;
    * actors: of the ``top`` most mentioned names (spaCy entities: people, organisations, places, groups), at most
      ``max_unknown`` may be missing from the alias table in use (the profile's, else the shipped one);
    * pruned: a starter profile (``starter: true``, which ``framing new-story`` writes) never fits, whatever the
      other checks say: it fits its own corpus by construction, topic words and all.

    Columns: check, fits (bool), finding (a sentence; one that does not fit names ``framing new-story``).
    """
    import pandas as pd

    from analysis import tables

    rows = [_unpruned(profile)] if profile.starter else []
    if profile.phrases is not None and hits is not None:
        rows.append(_phrase_fit(profile, articles, hits, min_share))
    if mentions is not None:
        rows.append(_actor_fit(profile, mentions, top, max_unknown))
    return tables.conform(pd.DataFrame([r for r in rows if r], columns=["check", "fits", "finding"]), "profile_fit")


def _unpruned(profile: Profile) -> dict:
    # A starter fits its own corpus by construction (its families are that corpus's words): say so before its fit.
    return {"check": "pruned", "fits": False,
            "finding": f"The story profile {profile.name!r} is a starter profile nobody has pruned yet (`starter: "
                       f"true` in its profile.yaml): its phrase families still hold topic words and its actors every "
                       f"frequent name, so the counts below describe the corpus's vocabulary more than its framing. "
                       f"Read its files, delete what does not belong to the story, then delete that line."}


def _phrase_fit(profile: Profile, articles: pd.DataFrame, hits: pd.DataFrame, min_share: float) -> dict:
    english = articles[articles["is_english"]] if "is_english" in articles else articles
    own = hits[hits["lexicon"] != GENERAL] if "lexicon" in hits else hits
    matched = own[own["article_id"].isin(english["article_id"])]
    n, k = len(english), matched["article_id"].nunique()
    share = k / n if n else 0.0
    if share >= min_share:
        return {"check": "phrases", "fits": True,
                "finding": f"The story profile {profile.name!r} fits: its phrase families occur in {k} of {n} "
                           f"articles ({share:.0%}), {len(matched)} hits."}
    return {"check": "phrases", "fits": False,
            "finding": f"The story profile {profile.name!r} does not fit this corpus: its phrase families occur in "
                       f"only {k} of {n} articles ({share:.0%}; {len(matched)} hits), so most rhetoric tables "
                       f"below show only the general lexicon. Build a profile for this corpus with `{NEW_STORY}` "
                       f"and run with `--story my-story`."}


def _actor_fit(profile: Profile, mentions: pd.DataFrame, top: int, max_unknown: float) -> dict | None:
    named = mentions[mentions["ner_label"].isin(ENTITY_LABELS) | (mentions["actor"] != "")]
    if not len(named):
        return None
    form = named["text"].str.replace(r"^(?:the|The)\s+|['’]s?$", "", regex=True).str.strip()
    counts = named.assign(form=form, known=named["actor"] != "").groupby("form").agg(n=("known", "size"),
                                                                                   known=("known", "any"))
    leading = counts.sort_values(["n"], ascending=False).head(top)
    unknown = leading[~leading["known"]]
    table = f"the alias table of {profile.name!r}" if profile.actors else "the shipped alias table"
    if len(unknown) <= max_unknown * len(leading):
        return {"check": "actors", "fits": True,
                "finding": f"{len(leading) - len(unknown)} of the {len(leading)} most mentioned names are actors "
                           f"of {table}."}
    names = ", ".join(f"{f} ({n})" for f, n in unknown["n"].items())
    return {"check": "actors", "fits": False,
            "finding": f"{len(unknown)} of the {len(leading)} most mentioned names are not in {table}: {names}. "
                       f"Their mentions and quotes count as unresolved. Build a profile with their aliases with "
                       f"`{NEW_STORY}`, or add them to the alias table."}
