"""Cached stages: a stage whose inputs have not changed since the run that computed it is reused, not executed.

Each stage's **fingerprint** is a SHA-256 over everything its results depend on:

* the tables it reads (``inputs`` in pipeline.yaml, plus ``articles`` and ``skipped``, which every report's header
  summarises), by the content of their Parquet files, so fingerprints chain: a stage whose input tables came out
  byte-identical is reused even when an earlier stage ran again;
* the rows earlier stages added to the ``failures`` table (later stages leave those articles out);
* its parameters, except those pipeline.yaml declares as ``execution`` only (how it runs, not what it computes);
* the content of every file or folder a parameter names (``paths`` and ``profiles`` in pipeline.yaml: the corpus,
  the manifest, lexicons, alias tables, the story profile: its profile.yaml and the files of it the stage reads,
  ``profile_parts``);
* the notebook file, the ``analysis`` package's code and data files (story profiles apart), the workbook's
  version, the versions of the packages that shape the results (``PACKAGES``), the spaCy model's version and
  Python's.

The records live in ``data/.framing-stages.json``, beside the tables they describe, so they are published with
them in the same directory swap (``runner._publish``): a record never describes tables of another run. A stage
is reused only when its record's fingerprint matches, its tables, report and executed notebook are in the set,
and it recorded no failed article (a failure may be transient, such as an article too large for the free memory
of that moment, so such a stage always runs again).
"""
from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import platform
import time
from functools import cache
from pathlib import Path

from analysis import files

log = logging.getLogger(__name__)

PACKAGES = ("pandas", "pyarrow", "altair", "vl-convert-python", "spacy", "textblob", "vaderSentiment", "papermill",
            "nbconvert", "rapidfuzz", "datasketch", "trafilatura", "py3langid")  # the versions that shape results
RECORDS = ".framing-stages.json"  # inside OUT/data: the fingerprint and provenance of every stage's results
PACKAGE = Path(__file__).resolve().parent
PROFILES = PACKAGE / "data" / "profiles"
IMPLICIT_INPUTS = ("articles", "skipped")  # every stage report's header summarises the corpus from these
_CHUNK = 1 << 20


def read(data_dir: str | os.PathLike) -> dict[str, dict]:
    """The stage records of the set in ``data_dir`` (``{stage: record}``); empty when it has none.

    A record holds ``fingerprint``, ``computed`` (UTC, ``YYYY-MM-DD HH:MM:SS``), ``run`` (the id of the run that
    computed it), ``reused`` (when a later run last reused it, or ``""``), ``seconds`` and ``failures``."""
    try:
        return json.loads((Path(data_dir) / RECORDS).read_text(encoding="utf-8"))["stages"]
    except (OSError, ValueError, KeyError):
        return {}


def write(records: dict[str, dict], data_dir: str | os.PathLike) -> Path:
    """Write ``records`` into ``data_dir`` (atomically: a reader sees the old records or the new ones)."""
    return files.write_text(Path(data_dir) / RECORDS, json.dumps({"stages": records}, indent=2, sort_keys=True))


def fingerprint(stage, params: dict, data_dir: str | os.PathLike, *, failures: dict[str, str]) -> tuple[str, dict]:
    """The fingerprint of ``stage`` run with ``params`` on the tables in ``data_dir``, and the digest of each part
    (so a log can say what changed). ``failures`` maps each earlier stage to the digest of its failure rows."""
    from analysis import stages as declared

    rules = declared.declaration().get("parameters", {})
    execution = set(rules.get("execution", [])) | set(rules.get("managed", []))
    read_tables = sorted((set(stage.inputs) | set(IMPLICIT_INPUTS)) - set(stage.outputs))
    parts = {
        "notebook": file_digest(stage.notebook),
        "parameters": _digest_json({k: v for k, v in params.items() if k not in execution}),
        "files": _digest_json({k: _value_digest(params[k], profile=k in rules.get("profiles", []),
                                                parts=rules.get("profile_parts", {}).get(stage.name))
                               for k in sorted(params) if k in set(rules.get("paths", [])) | set(rules.get("profiles", []))}),
        "tables": _digest_json({name: file_digest(Path(data_dir) / f"{name}.parquet") for name in read_tables}),
        "failures": _digest_json(failures),
        "code": code_digest(),
        "versions": _digest_json(versions(params.get("model"))),
    }
    return _digest_json({"stage": stage.name, **parts}), parts


def reusable(record: dict | None, fingerprint: str, stage, run_dir: Path) -> bool:
    """Whether the results ``record`` describes can stand for a run of ``stage`` with ``fingerprint``: the same
    fingerprint, no failed article, and its tables (as it wrote them), report and executed notebook in
    ``run_dir``."""
    if not record or record.get("fingerprint") != fingerprint or record.get("failures", 0):
        return False
    if record.get("outputs") != outputs(stage, run_dir / "data"):
        return False  # a table was removed or changed since the stage wrote it
    needed = [run_dir / "reports" / stage.report, run_dir / "reports" / "notebooks" / stage.notebook.name]
    return all(p.exists() for p in needed)


def outputs(stage, data_dir: Path) -> dict[str, str]:
    """The digest of each table ``stage`` writes, except ``failures``, which every stage shares (its rows of it
    are in the record's ``failures_digest``)."""
    return {t: file_digest(Path(data_dir) / f"{t}.parquet") for t in stage.outputs if t != "failures"}


def changed(record: dict | None, parts: dict) -> list[str]:
    """The parts of a fingerprint that differ from ``record``'s (``["tables", "files"]``), for the log."""
    if not record:
        return ["no earlier results"]
    before = record.get("parts", {})
    return [k for k, v in parts.items() if before.get(k) != v] or [
        "nothing it reads, but it recorded failed articles or its tables, report or notebook changed"]


def computed(record: dict) -> str:
    """When a stage's results were computed, in words (for its report and the index)."""
    line = f"Computed on {record['computed']} UTC"
    if record.get("reused"):
        line += (f"; reused unchanged on {record['reused']} UTC, because nothing it reads (tables, parameters, "
                 "files, notebook, code, package versions) had changed")
    return line + "."


def now() -> str:
    """The current time, UTC, as records and reports write it."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def file_digest(path: str | os.PathLike, *, leave_out: Path | None = None) -> str:
    """SHA-256 of a file's content, or of a folder's files (relative names and contents, in sorted order; without
    those under ``leave_out``); ``"missing"`` when there is nothing there."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and not (leave_out is not None and p.is_relative_to(leave_out)))
        return _digest_json({p.relative_to(path).as_posix(): file_digest(p) for p in files})
    try:
        state = path.stat()
    except FileNotFoundError:
        return "missing"
    # A table is hashed as one stage's output and again as the next one's input: once per version of the file.
    key = (str(path.resolve()), state.st_size, state.st_mtime_ns, state.st_ino)
    if key not in _DIGESTS:
        with open(path, "rb") as handle:
            _DIGESTS[key] = hashlib.file_digest(handle, "sha256").hexdigest()
    return _DIGESTS[key]


_DIGESTS: dict[tuple, str] = {}


def forget() -> None:
    """Forget the digests computed so far (the runner starts each run with this: a file edited between two runs
    of one process is hashed again whatever its size and time stamp)."""
    _DIGESTS.clear()


@cache
def code_digest() -> str:
    """SHA-256 of the ``analysis`` package: its code, its data files (lexicons, schemas, cards) and its report
    templates. Editing any of them invalidates every stage. Story profiles (``analysis/data/profiles``, where
    ``framing new-story`` writes by default) are left out: they are inputs, in the fingerprint of the stages that
    read them (``profiles`` and ``profile_parts`` in pipeline.yaml), so pruning a profile's phrase families re-runs
    the rhetoric and charts stages, not every stage."""
    return file_digest(PACKAGE, leave_out=PROFILES)


def folder() -> Path:
    """Where the workbook keeps files it can rebuild (the Vega bundle, notebook parameters, the model check,
    py3langid's unpacked model): ``$FRAMING_CACHE``, else ``$XDG_CACHE_HOME/framing-workbook``, else
    ``~/.cache/framing-workbook``."""
    if os.environ.get("FRAMING_CACHE"):
        return Path(os.environ["FRAMING_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "framing-workbook"


def kept(name: str) -> str | None:
    """The text kept in ``folder()`` under ``name`` by ``keep``, or None when there is none (or it cannot be read)."""
    try:
        return (folder() / name).read_text(encoding="utf-8")
    except OSError:
        return None


def keep(name: str, text: str) -> None:
    """Keep ``text`` in ``folder()`` under ``name``, atomically (a concurrent reader sees the old file or the new
    one). A cache folder that cannot be written is logged and skipped: it only costs a later run the rebuild."""
    path = folder() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(path, text)
    except OSError as err:
        log.info("could not keep %s in %s: %s", name, path.parent, err)


@cache
def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results (``PACKAGES``)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def versions(model: str | None = None) -> dict[str, str]:
    """The versions a stage's results depend on: Python, the workbook, the result-shaping packages and the model."""
    from analysis import __version__

    found = {"python": platform.python_version(), "framing-workbook": __version__, **package_versions()}
    if model:
        found["model"] = _model_version(model)
    return found


def _model_version(name: str) -> str:
    from analysis import stages

    package = stages.model_package(name)
    if package and (Path(package) / "config.cfg").is_file():
        return file_digest(Path(package) / "meta.json")  # a model folder: its own meta says its version
    try:
        return f"{package} {metadata.version(package)}"
    except (metadata.PackageNotFoundError, ValueError):
        return f"{name} (not installed)"


def _value_digest(value, *, profile: bool, parts: list[str] | None = None) -> str | list:
    if isinstance(value, list):
        return [_value_digest(v, profile=profile, parts=parts) for v in value]
    if value in ("", None):
        return ""
    if profile:
        return _profile_digest(str(value), parts)
    return file_digest(value)


def _profile_digest(story: str, parts: list[str] | None) -> str:
    """A story profile's digest for a stage that reads ``parts`` of it (``profile_parts`` in pipeline.yaml: files
    such as ``phrases``, ``actors``, and the profile.yaml keys of ``profiles.READ_BY_PARTS``) besides the rest of
    its profile.yaml (its values: an edited comment changes nothing); all its files when ``parts`` is None, or when
    the profile does not load (the stage then runs and reports why)."""
    import yaml

    from analysis import profiles

    where = Path(story) if Path(story).exists() else profiles.folder(story)
    if parts is None:
        return file_digest(where)
    try:
        profile = profiles.load(where)
    except profiles.ProfileError:
        return file_digest(where)
    files = {part: getattr(profile, part) for part in parts if part in profiles.FILES}
    spec = yaml.safe_load((where / "profile.yaml").read_text(encoding="utf-8")) or {}
    unread = set(profiles.READ_BY_PARTS) - set(parts)
    return _digest_json({"profile.yaml": {k: v for k, v in spec.items() if k not in unread},
                         **{part: file_digest(path) if path is not None else "" for part, path in files.items()}})


def frame_digest(df) -> str:
    """SHA-256 of a table's rows, in sorted order (so the order stages wrote them in does not count)."""
    rows = sorted(json.dumps(r, sort_keys=True, default=str) for r in df.to_dict(orient="records"))
    return _digest_json(rows)


def _digest_json(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
