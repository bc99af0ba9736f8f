"""Tidy tables exchanged between stages: schemas, validation and deterministic Parquet I/O.

Every table a stage writes is declared in ``analysis/data/schemas/<stage>.yaml`` (columns, types, docs);
``write`` refuses a frame that does not match, so a schema is never out of date with the data.
"""
from __future__ import annotations

import logging
import os
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from analysis import files

log = logging.getLogger(__name__)

_ARROW = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
_FILL = {"string": "", "int64": 0, "float64": float("nan"), "bool": False}


# libyaml's parser where PyYAML was built with it: the same data as yaml.safe_load, ten times faster (the schemas,
# lexicons and profiles are read by every stage).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str):
    """``text`` parsed as ``yaml.safe_load`` parses it (plain data only), with libyaml's parser when available.
    Raises ``yaml.YAMLError`` on invalid YAML."""
    return yaml.load(text, Loader=_YAML_LOADER)


class SchemaError(ValueError):
    """A frame does not match its declared table schema."""


@cache
def schemas() -> dict[str, dict]:
    """All declared tables, keyed by table name, each with ``stage``, ``description`` and ``columns``."""
    found: dict[str, dict] = {}
    for entry in sorted(resources.files("analysis").joinpath("data/schemas").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            for name, spec in parse_yaml(entry.read_text(encoding="utf-8")).items():
                found[name] = {"stage": entry.name.removesuffix(".yaml"), **spec}
    return found


def schema(name: str) -> dict:
    """The schema of table ``name``; raises KeyError naming the known tables when it is not declared."""
    try:
        return schemas()[name]
    except KeyError:
        raise KeyError(f"no table {name!r} is declared; known tables: {', '.join(sorted(schemas()))}") from None


def empty(name: str) -> pd.DataFrame:
    """An empty frame with table ``name``'s columns and types."""
    return conform(pd.DataFrame(), name, fill=True)


def conform(df: pd.DataFrame, name: str, *, fill: bool = False) -> pd.DataFrame:
    """Order and type ``df``'s columns as table ``name`` declares; ``fill`` adds missing columns with defaults."""
    columns = schema(name)["columns"]
    missing = [c for c in columns if c not in df.columns]
    extra = [c for c in df.columns if c not in columns]
    if extra or (missing and not fill):
        raise SchemaError(f"table {name!r}: missing columns {missing}, undeclared columns {extra}; "
                          f"declare them in analysis/data/schemas/{schema(name)['stage']}.yaml")
    out = pd.DataFrame({c: df[c] if c in df.columns else [_FILL[s["type"]]] * len(df) for c, s in columns.items()})
    for col, spec in columns.items():
        out[col] = _cast(out[col], spec["type"], name, col)
    return out.reset_index(drop=True)


def _cast(values: pd.Series, kind: str, table: str, col: str) -> pd.Series:
    if kind == "string":
        return values.fillna("").astype(str).astype(object)
    if kind == "bool":
        return values.fillna(False).astype(bool)
    if values.isna().any() and kind == "int64":
        raise SchemaError(f"table {table!r}: column {col!r} has missing values but is int64")
    return values.astype(kind)


def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of table ``name``, with each column's documentation as field metadata."""
    cols = schema(name)["columns"]
    return pa.schema([pa.field(c, _ARROW[s["type"]], metadata={"doc": s.get("doc", "")}) for c, s in cols.items()])


def write(df: pd.DataFrame, name: str, data_dir: str | os.PathLike) -> Path:
    """Validate ``df`` against table ``name`` and write ``<data_dir>/<name>.parquet`` atomically."""
    with Appender(name, data_dir) as out:
        out.append(df)
    return out.path


class Appender:
    """Writes table ``name`` to ``<data_dir>/<name>.parquet`` one validated row group per ``append``.

    A stage that produces rows as it goes (``tagging.stream``) hands them over in chunks, so its memory does not
    grow with the corpus. The file is written beside its target and renamed into place only when the block ends
    without an error, so a reader never sees half a table; on an error the partial file is removed. A table to
    which nothing was appended is written with its schema and no rows.

        with tables.Appender("sentences", data_dir) as out:
            for chunk in chunks:
                out.append(chunk)
    """

    def __init__(self, name: str, data_dir: str | os.PathLike):
        self.name, self.rows = name, 0
        self.path = Path(data_dir) / f"{name}.parquet"
        self.schema = arrow_schema(name)

    def __enter__(self) -> Appender:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.name}.", suffix=".tmp")
        os.close(fd)
        os.chmod(self.tmp, 0o666 & ~files.umask())  # mkstemp makes 0600 files; a table should get the user's usual mode
        self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")
        return self

    def append(self, df: pd.DataFrame) -> None:
        """Validate ``df`` against the table's schema and write it as the next row group."""
        self.writer.write_table(pa.Table.from_pandas(conform(df, self.name), schema=self.schema,
                                                     preserve_index=False))
        self.rows += len(df)

    def __exit__(self, kind, error, trace) -> None:
        try:
            self.writer.close()
            if kind is None:
                os.replace(self.tmp, self.path)
                log.info("wrote %s (%d rows)", self.path, self.rows)
        finally:
            if os.path.exists(self.tmp):
                os.remove(self.tmp)


def read(name: str, data_dir: str | os.PathLike) -> pd.DataFrame:
    """Read table ``name`` from ``data_dir``; a clear error says which stage writes it when it is missing."""
    path = Path(data_dir) / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the {schema(name)['stage']!r} stage first "
                                f"(framing run --stages {schema(name)['stage']})")
    return conform(pd.read_parquet(path), name)


def markdown(name: str) -> str:
    """Table ``name``'s schema as a Markdown table, for the docs and ``framing schema``."""
    spec = schema(name)
    rows = [f"| `{c}` | {s['type']} | {s.get('doc', '')} |" for c, s in spec["columns"].items()]
    return "\n".join([f"### `{name}` ({spec['stage']} stage)", "", spec.get("description", ""), "",
                      "| column | type | meaning |", "|---|---|---|", *rows])
