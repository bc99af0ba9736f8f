"""Hand coding: a reproducible stratified sample of a run's units, coding sheets, the codebook, and their checks.

A *unit* is what one row of a coding sheet asks a coder to judge: a ``sentence``, a phrase-family ``hit`` or a
``quote``. ``sample(data_dir, unit=...)`` draws units from a run's tables, stratified by outlet and by the
workbook's own code (so rare voices are not left out), with a seeded random generator: the same run, unit, n and
seed always give the same sheet. ``write_sheet`` writes it as CSV or XLSX with blank code columns and the codebook
beside it; ``read_sheet`` reads a coded sheet back and ``check`` refuses a malformed one, naming the row.
``workbook_codes`` gives the workbook's own codes for the same units (for ``agreement``).

The variables, their codes and levels of measurement are a data file, ``analysis/data/codebook.yaml``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import actors, stance, tables

log = logging.getLogger(__name__)

UNITS = ("sentence", "hit", "quote")
INFO_COLUMNS = ("sample", "unit", "unit_id", "outlet", "article_id", "text", "context")
CODER_COLUMNS = ("coder", "note")
NONE = "none"
FORMATS = (".csv", ".xlsx")
# VADER's own thresholds for a neutral compound score (Hutto and Gilbert 2014).
VADER_NEUTRAL = 0.05
_CONTEXT = 200  # characters of article text on each side of a quote shown as its context


class SheetError(ValueError):
    """A coding sheet is malformed; the message names the file, the row (as a spreadsheet shows it) and the fix."""


@dataclass(frozen=True)
class Variable:
    """One coded variable of a unit: name, level (nominal/ordinal), codes in order (empty when free text)."""

    name: str
    level: str
    definition: str
    codes: tuple[str, ...]
    meanings: tuple[str, ...]
    workbook: str

    @property
    def free(self) -> bool:
        return not self.codes


def codebook_path() -> Path:
    """The shipped codebook, ``analysis/data/codebook.yaml``."""
    return Path(str(resources.files("analysis").joinpath("data/codebook.yaml")))


@cache
def codebook(path: str | None = None) -> dict[str, list[Variable]]:
    """The codebook as ``{unit: [Variable, ...]}`` (sheet column order); ``ValueError`` names a malformed entry."""
    path = Path(path) if path else codebook_path()
    spec = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("units") or {}
    book = {}
    for unit in UNITS:
        if unit not in spec:
            raise ValueError(f"{path}: the codebook has no unit {unit!r}")
        book[unit] = [_variable(name, entry, where=f"{path}: {unit}.{name}")
                      for name, entry in spec[unit]["variables"].items()]
    return book


def _variable(name: str, entry: dict, *, where: str) -> Variable:
    if entry.get("level") not in ("nominal", "ordinal"):
        raise ValueError(f"{where}: level must be nominal or ordinal")
    codes = entry.get("codes") or {}
    if not codes and not entry.get("free"):
        raise ValueError(f"{where}: give codes, or free: true for a name the coder writes")
    return Variable(name, entry["level"], " ".join(str(entry.get("definition", "")).split()),
                    tuple(str(c) for c in codes), tuple(str(v) for v in codes.values()), str(entry.get("workbook", "")))


def variables(unit: str) -> list[Variable]:
    """The variables a coder codes for ``unit`` (``sentence``, ``hit`` or ``quote``)."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    return codebook()[unit]


# ----------------------------------------------------------------------------------------------- sample


def units(data_dir: str | Path, *, unit: str) -> pd.DataFrame:
    """Every unit of a run (``data_dir`` holds its tables) with text, context and the workbook's codes.

    Columns: ``unit_id``, ``article_id``, ``outlet``, ``text``, ``context``, then one ``workbook_<variable>``
    column per variable of the unit. Rows are sorted by ``unit_id``.
    """
    build = {"sentence": _sentence_units, "hit": _hit_units, "quote": _quote_units}
    if unit not in build:
        raise ValueError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    articles = tables.read("articles", data_dir)
    out = build[unit](data_dir, articles)
    outlets = articles.set_index("article_id")["outlet"].fillna("").replace("", "(unknown)")
    out["outlet"] = out["article_id"].map(outlets).fillna("(unknown)")
    return out.sort_values("unit_id", kind="stable").reset_index(drop=True)


def _sentence_units(data_dir, articles: pd.DataFrame) -> pd.DataFrame:
    full = tables.read("sentences", data_dir)
    texts = dict(zip(zip(full["article_id"], full["sent_id"]), full["text"]))
    sents = full[full["text"].str.split().str.len() >= 4].copy()  # a dateline or a lone mark is not a claim
    sents["unit_id"] = sents["article_id"] + "/s" + sents["sent_id"].astype(str)
    sents["context"] = [f"{texts.get((a, i - 1), '')} [[ {t} ]] {texts.get((a, i + 1), '')}".strip()
                        for a, i, t in zip(sents["article_id"], sents["sent_id"], sents["text"])]
    frames = tables.read("frames", data_dir)
    main = _main_frames(frames)
    sents["workbook_voice"] = sents["voice"]
    sents["workbook_speaker"] = _speaker(sents).where(sents["voice"] == "quoted", NONE)
    sents["workbook_frame"] = [main.get((a, i), NONE) for a, i in zip(sents["article_id"], sents["sent_id"])]
    sents["workbook_tone"] = sents["vader_compound"].map(tone)
    return sents[["unit_id", "article_id", "text", "context", "workbook_voice", "workbook_speaker", "workbook_frame",
                  "workbook_tone"]]


def _hit_units(data_dir, articles: pd.DataFrame) -> pd.DataFrame:
    hits = tables.read("hits", data_dir)
    sents = tables.read("sentences", data_dir).set_index(["article_id", "sent_id"])
    rows = []
    for h in hits.itertuples(index=False):
        s = sents.loc[(h.article_id, h.sent_id)] if (h.article_id, h.sent_id) in sents.index else None
        lo, text = (int(s["start"]), s["text"]) if s is not None else (h.start, h.matched_text)
        a, b = h.start - lo, h.end - lo
        context = f"{text[:a]}[[ {text[a:b]} ]]{text[b:]}" if 0 <= a <= b <= len(text) else h.matched_text
        rows.append({"unit_id": f"{h.article_id}/h{h.start}-{h.end}-{h.family}", "article_id": h.article_id,
                     "text": h.matched_text, "context": context, "workbook_voice": h.voice,
                     "workbook_speaker": _one_speaker(h.speaker_actor, h.speaker)})
    return pd.DataFrame(rows, columns=["unit_id", "article_id", "text", "context", "workbook_voice",
                                       "workbook_speaker"])


def _quote_units(data_dir, articles: pd.DataFrame) -> pd.DataFrame:
    quotes = tables.read("quotes", data_dir)
    texts = dict(zip(articles["article_id"], articles["text"]))
    verbs = stance.lexicon()
    context = []
    for q in quotes.itertuples(index=False):
        text = texts.get(q.article_id, "")
        lo, hi = max(0, q.start - _CONTEXT), min(len(text), q.end + _CONTEXT)
        context.append(" ".join(f"{text[lo:q.start]}[[ {q.text} ]]{text[q.end:hi]}".split()))
    return pd.DataFrame({"unit_id": quotes["quote_id"], "article_id": quotes["article_id"], "text": quotes["text"],
                         "context": context, "workbook_speaker": _speaker(quotes),
                         "workbook_stance": [stance.classify(c, lexicon=verbs) for c in quotes["cue_lemma"].fillna("")]})


def _main_frames(frames: pd.DataFrame) -> dict[tuple[str, int], str]:
    """The frame with the most cues per sentence; ties go to the frame listed first in the codebook."""
    if frames.empty:
        return {}
    order = {c: i for i, c in enumerate(next(v for v in variables("sentence") if v.name == "frame").codes)}
    ranked = frames.assign(_order=frames["frame"].map(order)).sort_values(
        ["article_id", "sent_id", "n_cues", "_order"], ascending=[True, True, False, True])
    first = ranked.drop_duplicates(["article_id", "sent_id"])
    return dict(zip(zip(first["article_id"], first["sent_id"]), first["frame"]))


def _speaker(rows: pd.DataFrame) -> pd.Series:
    return pd.Series([_one_speaker(a, s) for a, s in zip(rows["speaker_actor"], rows["speaker"])], index=rows.index)


def _one_speaker(actor, speaker) -> str:
    return str(actor or "") or str(speaker or "") or NONE


def tone(compound: float) -> str:
    """The ordinal tone code of a VADER compound score: negative (<= -0.05), positive (>= 0.05), else neutral."""
    if compound <= -VADER_NEUTRAL:
        return "negative"
    return "positive" if compound >= VADER_NEUTRAL else "neutral"


def sample(data_dir: str | Path, *, unit: str = "sentence", n: int = 40, seed: int = 1) -> pd.DataFrame:
    """A reproducible stratified random sample of ``n`` units of a run, as a blank coding sheet.

    Strata are outlet x the workbook's first code of the unit (voice for sentences and hits, stance for quotes).
    Each stratum gets at least one unit when ``n`` allows, the rest in proportion to its size (largest remainders),
    drawn with ``numpy.random.default_rng(seed)``; rows come out shuffled so a coder does not read them by outlet.
    Raises ``ValueError`` when the run has no unit of that kind. Columns: ``INFO_COLUMNS``, the unit's variables
    (blank), ``coder``, ``note``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    pool = units(data_dir, unit=unit)
    if pool.empty:
        raise ValueError(f"the run in {data_dir} has no {unit} units to sample; run the pipeline first or choose "
                         f"another --unit")
    rng = np.random.default_rng(seed)
    first = f"workbook_{variables(unit)[0].name}"
    strata = pool.groupby(["outlet", first], sort=True).indices
    quotas = _quotas({k: len(v) for k, v in strata.items()}, min(n, len(pool)))
    chosen = np.concatenate([rng.choice(strata[k], size=q, replace=False) for k, q in quotas.items() if q])
    picked = pool.iloc[rng.permutation(np.sort(chosen))].reset_index(drop=True)
    if len(picked) < n:
        log.warning("the run has only %d %s units; the sheet has all of them", len(picked), unit)
    sheet = picked[["unit_id", "outlet", "article_id", "text", "context"]].copy()
    sheet.insert(0, "unit", unit)
    sheet.insert(0, "sample", describe(unit=unit, n=n, seed=seed))
    for v in variables(unit):
        sheet[v.name] = ""
    for c in CODER_COLUMNS:
        sheet[c] = ""
    return sheet


def _quotas(sizes: dict, n: int) -> dict:
    """Units per stratum: one each while n allows (largest strata first), the rest by largest remainder."""
    keys = sorted(sizes, key=lambda k: (-sizes[k], str(k)))
    quotas = {k: 0 for k in keys}
    for k in keys[:n]:
        quotas[k] = 1
    left = n - sum(quotas.values())
    if left > 0:
        room = {k: sizes[k] - quotas[k] for k in keys}
        total = sum(room.values())
        share = {k: left * room[k] / total for k in keys}
        for k in keys:
            quotas[k] += min(room[k], int(share[k]))
        for k in sorted(keys, key=lambda k: (-(share[k] - int(share[k])), str(k))):
            if sum(quotas.values()) >= n:
                break
            if quotas[k] < sizes[k]:
                quotas[k] += 1
    return quotas


def describe(*, unit: str, n: int, seed: int) -> str:
    """The ``sample`` column value that lets ``agreement`` redraw the same sample: ``sentence n=40 seed=1``."""
    return f"{unit} n={n} seed={seed}"


def parse_sample(value: str) -> dict:
    """Inverse of ``describe``; ``ValueError`` for a value it did not write."""
    m = re.fullmatch(r"\s*(\w+) n=(\d+) seed=(-?\d+)\s*", str(value))
    if not m or m[1] not in UNITS:
        raise ValueError(f"sample {value!r} is not of the form '<unit> n=<N> seed=<S>' written by framing sample")
    return {"unit": m[1], "n": int(m[2]), "seed": int(m[3])}


# ----------------------------------------------------------------------------------------------- sheets


def write_sheet(sheet: pd.DataFrame, target: str | Path) -> tuple[Path, Path]:
    """Write ``sheet`` as CSV or XLSX (by ``target``'s suffix) and its codebook as Markdown beside it
    (``<stem>.codebook.md``); returns both paths. ``ValueError`` for another suffix."""
    target = Path(target)
    if target.suffix.lower() not in FORMATS:
        raise ValueError(f"{target}: write a coding sheet as .csv or .xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".csv":
        sheet.to_csv(target, index=False, encoding="utf-8-sig")  # the BOM makes Excel read UTF-8
    else:
        _write_xlsx(sheet, target)
    book = target.with_name(f"{target.stem}.codebook.md")
    book.write_text(codebook_markdown(str(sheet["unit"].iloc[0])), encoding="utf-8")
    log.info("wrote %s (%d units) and its codebook %s", target, len(sheet), book)
    return target, book


def _write_xlsx(sheet: pd.DataFrame, target: Path) -> None:
    """The sheet as a workbook a coder can read: text columns wide and wrapped, the header row frozen."""
    from openpyxl.styles import Alignment

    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        sheet.to_excel(writer, index=False, sheet_name="coding")
        ws = writer.sheets["coding"]
        ws.freeze_panes = "A2"
        for i, column in enumerate(sheet.columns, 1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = {"text": 50, "context": 80}.get(column, 16)
            if column in ("text", "context"):
                for cell in ws[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")


def codebook_markdown(unit: str) -> str:
    """The codebook of ``unit`` as Markdown, for coders."""
    spec = yaml.safe_load(codebook_path().read_text(encoding="utf-8"))["units"][unit]
    lines = [f"# Codebook: {unit}", "", " ".join(spec["description"].split()), "",
             "Code every row: fill the columns below, write your name in `coder`, and anything unclear in `note`. "
             "Leave a cell blank only when you cannot decide. Judge the text in the `text` column; the `context` "
             "column shows it between [[ and ]]. Code independently: do not look at another coder's sheet or at "
             "the workbook's tables first.", ""]
    for v in variables(unit):
        lines += [f"## {v.name} ({v.level})", "", v.definition, ""]
        lines += [f"- `{c}`: {m}" for c, m in zip(v.codes, v.meanings)] if v.codes else \
            ["Write a name (an actor's name such as North Korea, United States, KCNA, or the name as written), or "
             "`none`."]
        lines.append("")
    return "\n".join(lines)


def read_sheet(path: str | Path) -> pd.DataFrame:
    """A coding sheet (CSV or XLSX) as text columns with blanks as ``""``; ``SheetError`` if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: no such coding sheet")
    try:
        if path.suffix.lower() == ".xlsx":
            df = pd.read_excel(path, dtype=str, engine="openpyxl")
        elif path.suffix.lower() == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise SheetError(f"{path}: a coding sheet is a .csv or .xlsx file")
    except (ValueError, OSError) as err:
        if isinstance(err, SheetError):
            raise
        raise SheetError(f"{path}: cannot read it as a coding sheet ({err})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df.fillna("").apply(lambda col: col.astype(str).str.strip())


def check(sheet: pd.DataFrame, *, where: str | Path, known: pd.DataFrame | None = None) -> str:
    """Check a read sheet and return its unit; ``SheetError`` names ``where`` and the spreadsheet row (the header is
    row 1) of a missing column, a mixed or unknown unit, a duplicate unit, an unknown code, or a unit that is not
    in the sample (``known``: the sample's rows, with ``unit_id`` and ``text``)."""
    missing = [c for c in ("sample", "unit", "unit_id") if c not in sheet.columns]
    if missing:
        raise SheetError(f"{where}: missing column(s) {', '.join(missing)}; start from a sheet `framing sample` wrote")
    if sheet.empty:
        raise SheetError(f"{where}: the sheet has no rows")
    unit = sheet["unit"].iloc[0]
    if unit not in UNITS:
        raise SheetError(f"{where} row 2: unit {unit!r} is not one of {', '.join(UNITS)}")
    needed = [v.name for v in variables(unit)]
    missing = [c for c in needed if c not in sheet.columns]
    if missing:
        raise SheetError(f"{where}: missing code column(s) {', '.join(missing)} for {unit} units")
    ids = dict(zip(known["unit_id"], known["text"])) if known is not None else None
    seen: dict[str, int] = {}
    for i, row in enumerate(sheet.to_dict("records")):
        _check_row(row, i + 2, where=where, unit=unit, ids=ids, seen=seen)
    return unit


def _check_row(row: dict, number: int, *, where, unit: str, ids: dict | None, seen: dict) -> None:
    at = f"{where} row {number} (unit {row['unit_id'] or '?'})"
    if row["unit"] != unit:
        raise SheetError(f"{at}: unit {row['unit']!r} differs from the sheet's first row ({unit!r}); one sheet codes "
                         f"one kind of unit")
    if row["unit_id"] in seen:
        raise SheetError(f"{at}: the unit is coded twice (also row {seen[row['unit_id']]}); keep one row")
    seen[row["unit_id"]] = number
    if ids is not None and row["unit_id"] not in ids:
        raise SheetError(f"{at}: the unit is not in the sample ({row['sample']}); was the row added or its unit_id "
                         f"edited?")
    for v in variables(unit):
        code = row[v.name]
        if code and v.codes and code not in v.codes:
            close = [c for c in v.codes if c.lower() == code.lower()]
            hint = f"did you mean {close[0]!r}?" if close else f"codes: {', '.join(v.codes)}"
            raise SheetError(f"{at}: {v.name} {code!r} is not a code of the codebook; {hint}")


# ----------------------------------------------------------------------------------------------- codes


def normalise(code: str, *, variable: Variable, aliases: dict[str, str] | None = None) -> str:
    """A code as compared: a free name lower-cased, whitespace collapsed, a leading "the" dropped and mapped to its
    actor through ``aliases`` (lower-cased alias -> actor); a closed code unchanged; blank stays blank."""
    code = " ".join(str(code).split())
    if not code or not variable.free:
        return code
    low = re.sub(r"^the\s+", "", code.lower()).strip(" .,'\"")
    aliases = actor_aliases() if aliases is None else aliases
    return aliases.get(low, aliases.get(code.lower(), low)).lower()


@cache
def actor_aliases() -> dict[str, str]:
    """Lower-cased actor names, aliases and exact forms of the shipped alias table -> actor name."""
    t = actors.table()
    found = {name.lower(): name for name in t.actors}
    for form, actor in {**t.aliases, **t.exact}.items():
        found.setdefault(form.lower(), actor)
        found.setdefault(re.sub(r"^the\s+", "", form.lower()), actor)
    return found
