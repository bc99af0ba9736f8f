"""Agreement: how far coders agree among themselves and with the workbook, by Krippendorff's alpha.

``alpha(data, level=...)`` is Krippendorff's alpha of a coders x units table of codes (missing codes allowed),
computed with the ``krippendorff`` package; ``interval(data, ...)`` a bootstrap confidence interval for it.
``compare(sheets, workbook=...)`` applies both to coded sheets (``analysis.coding``) per variable, for the coders
among themselves and for each coder against the workbook, and collects confusion tables and the units where
codes differ; ``report(result, target)`` writes it all as an HTML report.

Alpha is 1 for perfect agreement and 0 for agreement at chance level; Krippendorff (2004, p. 241) advises relying
on variables with alpha >= 0.800 and drawing only tentative conclusions from 0.667 <= alpha < 0.800.

Sources: Krippendorff, K. (2011), *Computing Krippendorff's Alpha-Reliability* (the worked examples the tests
reproduce); Hayes, A. F. and Krippendorff, K. (2007), *Answering the Call for a Standard Reliability Measure for
Coding Data*, Communication Methods and Measures 1(1). The interval here resamples units with replacement
(percentile bootstrap), which is simpler than Hayes and Krippendorff's resampling of pairable values and, like it,
widens as the number of units falls.
"""
from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd

from analysis import coding

log = logging.getLogger(__name__)

WORKBOOK = "workbook"
LEVELS = ("nominal", "ordinal", "interval", "ratio")
RELIABLE, TENTATIVE = 0.800, 0.667

# Krippendorff (2011), Computing Krippendorff's Alpha-Reliability, worked examples (used by the lessons and tests).
# A: two observers, binary values, ten units, no missing value; published alpha (nominal) 0.095.
BINARY_EXAMPLE = ((0, 1, 0, 0, 0, 0, 0, 0, 1, 0),
                  (1, 1, 1, 0, 0, 1, 0, 0, 0, 0))
# C: four observers, values 1-5, twelve units, None where an observer coded nothing; published alpha 0.743
# (nominal), 0.815 (ordinal), 0.849 (interval).
MISSING_EXAMPLE = ((1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None),
                   (1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3),
                   (None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None),
                   (1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None))


def alpha(data, *, level: str = "nominal", domain=None) -> float:
    """Krippendorff's alpha of ``data``: coders x units, numbers with NaN for a missing code.

    ``level`` is the level of measurement (nominal, ordinal, interval, ratio); ``domain`` the possible values in
    order (needed for ordinal data whose extreme codes may be unused). Returns NaN when alpha is undefined: fewer
    than two pairable codes, or every code the same (no variation to agree on).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level of measurement {level!r}; use one of {', '.join(LEVELS)}")
    if not isinstance(data, np.ndarray):  # nested lists may hold None for a missing code
        data = [[np.nan if v is None else v for v in row] for row in data]
    data = np.asarray(data, dtype=float)
    if data.ndim != 2:
        raise ValueError(f"alpha needs a coders x units table, not an array of shape {data.shape}")
    paired = data[:, np.sum(~np.isnan(data), axis=0) >= 2]
    if len(np.unique(paired[~np.isnan(paired)])) < 2:
        return float("nan")
    domain = np.unique(data[~np.isnan(data)]) if domain is None else np.asarray(domain, dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=domain))


def interval(data, *, level: str = "nominal", domain=None, n_boot: int = 1000, confidence: float = 0.95,
             seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of alpha, resampling units (columns of ``data``) with replacement.

    Resamples where alpha is undefined are left out; returns ``(nan, nan)`` when fewer than half are defined.
    """
    data = np.asarray([[np.nan if v is None else v for v in row] for row in data], dtype=float)
    rng = np.random.default_rng(seed)
    n = data.shape[1]
    draws = [alpha(data[:, rng.integers(0, n, n)], level=level, domain=domain) for _ in range(n_boot)]
    draws = np.asarray([d for d in draws if not np.isnan(d)])
    if len(draws) < n_boot / 2:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(draws, tail)), float(np.percentile(draws, 100 - tail))


def verdict(value: float) -> str:
    """Krippendorff's reading of an alpha: reliable (>= .800), tentative (>= .667), unreliable, or undefined."""
    if np.isnan(value):
        return "undefined"
    return "reliable" if value >= RELIABLE else "tentative" if value >= TENTATIVE else "unreliable"


# ----------------------------------------------------------------------------------------------- sheets


@dataclass
class Result:
    """What ``compare`` found: ``alphas`` (one row per variable and comparison), ``confusion`` ({variable: table of
    counts, rows one side, columns the other}), ``disagreements`` (units whose codes differ) and ``codes`` (long
    table: unit_id, coder, variable, code)."""

    unit: str
    coders: list[str]
    alphas: pd.DataFrame
    confusion: dict[str, pd.DataFrame] = field(default_factory=dict)
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)
    codes: pd.DataFrame = field(default_factory=pd.DataFrame)


def load(paths: list[str | Path], *, data_dir: str | Path) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Read and check coded sheets against the sample they came from, redrawn from the run in ``data_dir``.

    Returns the sheets (each with a ``coder`` name: its ``coder`` column, else the file name) and the sample's
    units with the workbook's codes. ``SheetError`` names the file and row of anything malformed.
    """
    sheets, sample_of = [], None
    for path in paths:
        sheet = coding.read_sheet(path)
        coding.check(sheet, where=path)
        spec = _sample_spec(sheet, path)
        sample_of = sample_of or (spec, path)
        if spec != sample_of[0]:
            raise coding.SheetError(f"{path} row 2: sample {sheet['sample'].iloc[0]!r} differs from {sample_of[1]}'s; "
                                    f"compare sheets of one sample")
        sheets.append(sheet)
    spec = sample_of[0]
    drawn = coding.sample(data_dir, unit=spec["unit"], n=spec["n"], seed=spec["seed"])
    known = coding.units(data_dir, unit=spec["unit"])
    known = known[known["unit_id"].isin(drawn["unit_id"])]
    for path, sheet in zip(paths, sheets):
        coding.check(sheet, where=path, known=known)
    names = [_coder(sheet, path) for sheet, path in zip(sheets, paths)]
    if len(set(names)) < len(names):
        raise coding.SheetError(f"two sheets have the same coder ({', '.join(names)}); fill each sheet's coder column "
                                f"with its coder's name")
    return [s.assign(coder=n) for s, n in zip(sheets, names)], known


def _sample_spec(sheet: pd.DataFrame, path) -> dict:
    values = sheet["sample"].unique()
    if len(values) != 1:
        row = int(np.flatnonzero(sheet["sample"] != values[0])[0]) + 2
        raise coding.SheetError(f"{path} row {row}: sample {sheet['sample'].iloc[row - 2]!r} differs from row 2's "
                                f"{values[0]!r}; one sheet holds one sample")
    try:
        return coding.parse_sample(values[0])
    except ValueError as err:
        raise coding.SheetError(f"{path} row 2: {err}") from None


def _coder(sheet: pd.DataFrame, path) -> str:
    names = [n for n in sheet.get("coder", pd.Series(dtype=str)).unique() if n]
    if len(names) > 1:
        raise coding.SheetError(f"{path}: the coder column names {', '.join(names)}; one sheet is one coder's")
    return names[0] if names else Path(path).stem


def compare(sheets: list[pd.DataFrame], *, workbook: pd.DataFrame | None = None, n_boot: int = 1000,
            seed: int = 0) -> Result:
    """Alpha per variable among the coders of ``sheets`` (when two or more) and of each coder against
    ``workbook`` (the sample's units with ``workbook_<variable>`` columns, from ``load``), with bootstrap
    intervals; confusion tables (coder pairs pooled, or coder against workbook with one coder); disagreeing units.
    """
    unit = sheets[0]["unit"].iloc[0]
    codes = _long(sheets, workbook=workbook, unit=unit)
    coders = [s["coder"].iloc[0] for s in sheets]
    rows = []
    for v in coding.variables(unit):
        mine = codes[codes["variable"] == v.name]
        if len(coders) >= 2:
            rows.append(_alpha_row(mine, v, coders, label="coders", n_boot=n_boot, seed=seed))
        if workbook is not None:
            rows += [_alpha_row(mine, v, [c, WORKBOOK], label=f"{c} vs workbook", n_boot=n_boot, seed=seed)
                     for c in coders]
    if not rows:
        raise ValueError("agreement needs two coded sheets, or one with the workbook's codes (--against-tagger)")
    sides = coders[:2] if len(coders) >= 2 else [coders[0], WORKBOOK]
    confusion = {v.name: confusion_table(codes[codes["variable"] == v.name], sides, v) for v in coding.variables(unit)}
    return Result(unit, coders, pd.DataFrame(rows), confusion, _disagreements(codes, sheets), codes)


def _long(sheets: list[pd.DataFrame], *, workbook: pd.DataFrame | None, unit: str) -> pd.DataFrame:
    """One row per unit, coder (or ``workbook``) and variable, codes normalised for comparison."""
    parts = []
    for v in coding.variables(unit):
        for s in sheets:
            parts.append(pd.DataFrame({"unit_id": s["unit_id"], "coder": s["coder"], "variable": v.name,
                                       "code": [coding.normalise(c, variable=v) for c in s[v.name]]}))
        if workbook is not None:
            parts.append(pd.DataFrame({"unit_id": workbook["unit_id"], "coder": WORKBOOK, "variable": v.name,
                                       "code": [coding.normalise(c, variable=v) for c in workbook[f"workbook_{v.name}"]]}))
    return pd.concat(parts, ignore_index=True)


def _matrix(codes: pd.DataFrame, who: list[str], variable: coding.Variable) -> tuple[np.ndarray, list]:
    """Coders x units numeric matrix (NaN = not coded) and the value domain, in the codebook's order when closed."""
    wide = codes[codes["coder"].isin(who)].pivot_table(index="coder", columns="unit_id", values="code",
                                                       aggfunc="first").reindex(who)
    wide = wide.replace("", np.nan)
    domain = list(variable.codes) if variable.codes else sorted(set(wide.stack().dropna()))
    index = {c: i for i, c in enumerate(domain)}
    matrix = wide.apply(lambda col: col.map(index)).to_numpy(dtype=float)
    return matrix, list(range(len(domain)))


def _alpha_row(codes: pd.DataFrame, v: coding.Variable, who: list[str], *, label: str, n_boot: int,
               seed: int) -> dict:
    matrix, domain = _matrix(codes, who, v)
    value = alpha(matrix, level=v.level, domain=domain)
    lo, hi = interval(matrix, level=v.level, domain=domain, n_boot=n_boot, seed=seed) if not np.isnan(value) \
        else (float("nan"), float("nan"))
    pairable = int((np.sum(~np.isnan(matrix), axis=0) >= 2).sum()) if matrix.size else 0
    return {"variable": v.name, "comparison": label, "level": v.level, "alpha": value, "ci_low": lo, "ci_high": hi,
            "n_units": pairable, "verdict": verdict(value)}


def confusion_table(codes: pd.DataFrame, sides: list[str], variable: coding.Variable) -> pd.DataFrame:
    """Counts of units by the code of ``sides[0]`` (rows) and ``sides[1]`` (columns); units either left blank are
    left out. Closed codes appear in codebook order, unused ones included."""
    wide = codes[codes["coder"].isin(sides)].pivot_table(index="unit_id", columns="coder", values="code",
                                                         aggfunc="first")
    wide = wide.reindex(columns=sides).replace("", np.nan).dropna()
    table = pd.crosstab(wide[sides[0]], wide[sides[1]]).rename_axis(index=sides[0], columns=sides[1])
    if variable.codes:
        table = table.reindex(index=list(variable.codes), columns=list(variable.codes), fill_value=0)
    return table


def _disagreements(codes: pd.DataFrame, sheets: list[pd.DataFrame]) -> pd.DataFrame:
    """Units where two coded values of a variable differ: unit_id, text, variable and one column per coder."""
    wide = codes.replace("", np.nan).pivot_table(index=["unit_id", "variable"], columns="coder", values="code",
                                                 aggfunc="first")
    differ = wide.nunique(axis=1) > 1
    out = wide[differ].fillna("").reset_index()
    texts = dict(zip(sheets[0]["unit_id"], sheets[0]["text"]))
    out.insert(1, "text", out["unit_id"].map(texts))
    out.columns.name = None
    return out


# ----------------------------------------------------------------------------------------------- report


def report(result: Result, target: str | Path, *, title: str = "Agreement") -> Path:
    """Write ``result`` as a self-contained HTML report (the reports' styling and offline policy)."""
    from analysis import report as report_module

    alphas = result.alphas.copy()
    for c in ("alpha", "ci_low", "ci_high"):
        alphas[c] = alphas[c].map(lambda x: "" if np.isnan(x) else f"{x:.3f}")
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Unit: <b>{html.escape(result.unit)}</b>; coders: {html.escape(', '.join(result.coders))}. "
             f"Krippendorff's alpha per variable (1 = perfect agreement, 0 = chance), with a 95 % bootstrap interval "
             f"over units. Krippendorff advises relying on alpha &ge; 0.800 and drawing only tentative conclusions "
             f"from 0.667 to 0.800. <code>n_units</code> counts units coded by both sides.</p>",
             "<h2>Alpha</h2>", alphas.to_html(index=False, na_rep="", escape=True)]
    for name, table in result.confusion.items():
        parts += [f"<h2>Confusion: {html.escape(name)}</h2>",
                  f"<p>Rows: {html.escape(table.index.name or '')}; columns: {html.escape(table.columns.name or '')}."
                  f"</p>", table.to_html(escape=True)]
    parts += [f"<h2>Units where codes differ ({len(result.disagreements)})</h2>",
              result.disagreements.to_html(index=False, escape=True) if len(result.disagreements) else "<p>None.</p>"]
    return report_module.page("\n".join(parts), target, title=title)
