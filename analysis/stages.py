"""The pipeline declaration (``pipeline.yaml``) and the checking of a run's parameters before anything runs.

The declaration is read here and only here; the runner, the CLI, the docs and the tests ask this module.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def declaration_path() -> Path:
    """The pipeline declaration in use: ``$FRAMING_PIPELINE`` if set (a user's own pipeline), else pipeline.yaml."""
    return Path(os.environ.get("FRAMING_PIPELINE") or ROOT / "pipeline.yaml").resolve()


class ParameterError(ValueError):
    """A run's parameters are wrong: unknown name, wrong type, missing path or model."""


@dataclass(frozen=True)
class Stage:
    """One stage: its notebook, the tables it reads and writes, and the parameters its notebook declares."""

    name: str
    notebook: Path
    title: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    parameters: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def report(self) -> str:
        """File name of the stage's HTML report (the notebook's stem, e.g. ``01_ingest.html``)."""
        return f"{self.notebook.stem}.html"


def declaration() -> dict:
    """The parsed pipeline declaration."""
    return _parse(declaration_path())


@cache
def _parse(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def all_stages() -> tuple[Stage, ...]:
    """Every declared stage in pipeline order, with the parameters its notebook's ``parameters`` cell declares."""
    return _stages(declaration_path())


@cache
def _stages(path: Path) -> tuple[Stage, ...]:
    return tuple(_stage(spec, path.parent) for spec in _parse(path)["stages"])


def _stage(spec: dict, base: Path) -> Stage:
    notebook = base / spec["notebook"]
    params = parameters(notebook) if notebook.exists() else {}
    return Stage(spec["name"], notebook, spec.get("title", spec["name"]), tuple(spec.get("inputs", [])),
                 tuple(spec.get("outputs", [])), params)


def parameters(notebook: Path) -> dict:
    """The parameters notebook ``notebook`` declares (``papermill.inspect_notebook``: name to ``name``,
    ``inferred_type_name``, ``default``, ``help``).

    Every ``framing`` command lists the stages' parameters, and importing papermill and nbformat costs half a
    second, so the answer is kept in the cache folder under the notebook's content hash and papermill's version:
    an edited notebook or another papermill is inspected afresh."""
    from analysis import cache

    digest = hashlib.sha256(notebook.read_bytes() + metadata.version("papermill").encode()).hexdigest()[:32]
    kept = f"parameters/{digest}.json"
    try:
        return json.loads(cache.kept(kept) or "")
    except ValueError:
        pass
    import papermill

    found = {name: dict(spec) for name, spec in papermill.inspect_notebook(str(notebook)).items()}
    cache.keep(kept, json.dumps(found))
    return found


def select(names: list[str] | None = None) -> list[Stage]:
    """The stages named (all when ``names`` is empty), in pipeline order; unknown names raise ParameterError."""
    known = {s.name: s for s in all_stages()}
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        raise ParameterError(f"unknown stage(s) {', '.join(unknown)}; the stages are {', '.join(known)}")
    return [s for s in all_stages() if not names or s.name in names]


def profile(name: str) -> dict:
    """The parameter values of profile ``name``."""
    profiles = declaration().get("profiles", {})
    if name not in profiles:
        raise ParameterError(f"unknown profile {name!r}; profiles in pipeline.yaml: {', '.join(profiles)}")
    return dict(profiles[name] or {})


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings from the command line as a dict of raw strings (never evaluated)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"-p {pair!r}: write parameters as KEY=VALUE, for example -p batch_size=64")
        out[key.strip()] = value
    return out


def coerce(name: str, value, type_name: str):
    """``value`` converted to a notebook parameter's declared type, or a ParameterError saying what was expected.

    Strings from the command line are parsed as literals of that type only: nothing is evaluated as code.
    """
    kind = (type_name or "None").split("[")[0].lower()
    try:
        return _COERCE.get(kind, _as_is)(value)
    except (TypeError, ValueError) as err:
        raise ParameterError(f"parameter {name!r} must be {type_name}, got {value!r} ({err})") from None


def _as_is(value):
    return value


def _to_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in {"true", "false", "yes", "no", "1", "0"}:
        raise ValueError("expected true or false")
    return text in {"true", "yes", "1"}


def _to_int(value):
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("expected a whole number")
    return int(str(value).strip()) if isinstance(value, str) else int(value)


def _to_float(value):
    if isinstance(value, bool):
        raise ValueError("expected a number")
    return float(value)


def _to_list(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):
        parsed = yaml.safe_load(text)  # a YAML/JSON list literal; safe_load builds plain data only
        if not isinstance(parsed, list):
            raise ValueError("expected a list")
        return parsed
    return [item.strip() for item in text.split(",") if item.strip()]


def _to_str(value):
    if isinstance(value, (list, dict)):
        raise ValueError("expected text")
    return str(value)


_COERCE = {"str": _to_str, "int": _to_int, "float": _to_float, "bool": _to_bool, "list": _to_list}


def resolve(stages: list[Stage], values: dict, *, strict: set[str], base: Path | None = None) -> dict[str, dict]:
    """Per-stage parameter dicts for ``values``, checked and converted before any notebook runs.

    ``strict`` names the values the user gave explicitly: those must be declared by a selected stage, while a
    profile's values are passed only to the stages that declare them.
    """
    declared = {name: spec for s in stages for name, spec in s.parameters.items()}
    managed = set(declaration().get("parameters", {}).get("managed", []))
    unknown = sorted(k for k in values if k not in declared and k in strict)
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)}; the selected stages take: "
                             f"{', '.join(sorted(set(declared) - managed))}")
    if managed & set(strict):
        raise ParameterError(f"{', '.join(sorted(managed & set(strict)))} is set by the runner (use --out)")
    checked = {k: _check(k, coerce(k, v, declared[k]["inferred_type_name"]), base or Path.cwd())
               for k, v in values.items() if k in declared}
    # Every parameter is passed explicitly, defaults included, so each executed notebook records all its values.
    return {s.name: {**defaults(s), **{k: v for k, v in checked.items() if k in s.parameters}} for s in stages}


def defaults(stage: Stage) -> dict:
    """The default values of a stage notebook's parameters (literals, read without evaluating code)."""
    managed = set(declaration().get("parameters", {}).get("managed", []))
    return {k: ast.literal_eval(spec["default"]) for k, spec in stage.parameters.items() if k not in managed}


def _check(name: str, value, base: Path):
    rules = declaration().get("parameters", {})
    if name in rules.get("paths", []):
        return _existing_paths(name, value, base)
    if name in rules.get("spacy_models", []) and not model_package(value):
        from analysis import models

        raise ParameterError(f"parameter {name}={value!r}: no such spaCy model is installed "
                             f"(installed: {', '.join(models.installed()) or 'none'})")
    return value


def model_package(name: str) -> str:
    """The spaCy pipeline ``analysis.models.load(name)`` would load: ``name`` itself (an installed package or a
    model folder) or its fallback (``models.FALLBACKS``); ``""`` when neither is installed.

    Asking spaCy means importing it (a second or more), which a run that reuses every stage would otherwise not
    need; the answer for a package name is kept in the cache folder until a folder on ``sys.path`` changes (a
    package installed or removed changes its folder's time stamp)."""
    if (Path(name) / "config.cfg").is_file():
        return name
    state = [(entry, os.stat(entry).st_mtime_ns) for entry in sys.path if entry and os.path.isdir(entry)]
    digest = hashlib.sha256(json.dumps([name, state]).encode()).hexdigest()[:32]
    from analysis import cache

    kept = f"models/{digest}.json"
    try:
        return json.loads(cache.kept(kept) or "")["package"]
    except (ValueError, KeyError, TypeError):
        pass
    from analysis import models

    package = next((c for c in (name, models.FALLBACKS.get(name)) if c and models.available(c)), "")
    if package:  # a missing model is asked again next time: the user is about to install it
        cache.keep(kept, json.dumps({"name": name, "package": package}))
    return package


def _existing_paths(name: str, value, base: Path):
    items = value if isinstance(value, list) else [value]
    resolved = []
    for item in items:
        if item in ("", None):
            resolved.append("")
            continue
        path = (base / os.path.expanduser(str(item))).resolve()
        if not path.exists():
            raise ParameterError(f"parameter {name}: {item!r} does not exist (looked for {path})")
        resolved.append(str(path))
    return resolved if isinstance(value, list) else resolved[0]
