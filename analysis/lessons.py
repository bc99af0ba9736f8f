"""Lessons: the teaching track in ``notebooks/lessons/``, its exercise checks, and its student and teacher editions.

A lesson is a parameterised notebook read with a finished run's tables. It states its goals, records the
student's prediction before it reveals the tables (``reveal``), sets short exercises the student checks with
``check`` (which says right or not yet, never the answer), shows the method cards of the measures it teaches, and
ends with what the measure cannot tell. Cells tagged ``answer`` hold the answers (``answer``): the student edition
leaves them out, the teacher edition shows them.

``build(out, edition=...)`` runs every lesson headless with papermill on ``out/data`` (running the workbook on
the seed corpus first when that folder has no tables) and writes ``out/lessons/<lesson>.html``, the notebooks of
the edition (``out/lessons/notebooks/``: the teacher's executed with answers, the student's unexecuted and without
answers, both set to the run's tables), ``index.html`` and the method cards page ``methods.html``.
"""
from __future__ import annotations

import html
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nbformat
import pandas as pd

from analysis import agreement, cards, coding, stages, tables

log = logging.getLogger(__name__)

FOLDER = stages.ROOT / "notebooks" / "lessons"
EDITIONS = ("student", "teacher")
ANSWER = "answer"
NEEDED = ("articles", "sentences", "quotes", "mentions", "hits", "adoption", "keyness", "frames", "verb_stance")


def all_lessons() -> list[Path]:
    """The lesson notebooks, in teaching order (``NN_name.ipynb``)."""
    return sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))


# ----------------------------------------------------------------------------------------------- exercises


@lru_cache(maxsize=4)
def load(data_dir: str) -> dict[str, pd.DataFrame]:
    """The run's tables a lesson reads, ``{name: DataFrame}``, read once per folder."""
    names = NEEDED + ("sentiment_words", "quote_lineage", "omission", "loaded_candidates")
    found = {n: tables.read(n, data_dir) for n in dict.fromkeys(names)}
    # An article without an outlet is grouped as "(unknown)" everywhere else (adoption, keyness): here too.
    found["articles"]["outlet"] = found["articles"]["outlet"].fillna("").replace("", "(unknown)")
    return found


@dataclass(frozen=True)
class Question:
    """An exercise: what it asks, how its answer follows from the tables, and how close an answer must be."""

    ask: str
    solve: Callable[[dict], object]
    tolerance: float = 0.0
    hint: str = ""


def _outlet_of(t: dict) -> pd.Series:
    return t["articles"].set_index("article_id")["outlet"].fillna("").replace("", "(unknown)")


def _top(series: pd.Series) -> str:
    """The most frequent value (ties: alphabetical first), so an answer is one name."""
    counts = series.value_counts()
    return sorted(counts[counts == counts.max()].index)[0] if len(counts) else ""


QUESTIONS: dict[str, Question] = {
    "quotes_without_speaker": Question(
        "How many quotes have no speaker?", lambda t: int((t["quotes"]["speaker"] == "").sum()),
        hint="filter the quotes table on an empty speaker column and count the rows"),
    "most_quoted_actor": Question(
        "Which actor is quoted most often (speaker_actor)?",
        lambda t: _top(t["quotes"].loc[t["quotes"]["speaker_actor"] != "", "speaker_actor"]),
        hint="value_counts() on speaker_actor, leaving out the empty ones"),
    "distancing_outlet": Question(
        "Which outlet introduces quotes with a distancing verb most often?",
        lambda t: _top(t["verb_stance"].loc[t["verb_stance"]["stance"] == "distancing", "outlet"]),
        hint="keep the verb_stance rows whose stance is distancing, then count by outlet"),
    "narrator_hits": Question(
        "How many phrase-family hits are in the narrator's voice?", lambda t: int((t["hits"]["voice"] == "narrator").sum()),
        hint="count the hits whose voice is narrator"),
    "scare_quotes": Question(
        "How many hits are scare quotes?", lambda t: int((t["hits"]["voice"] == "scare_quote").sum()),
        hint="count the hits whose voice is scare_quote"),
    "adopted_family": Question(
        "Which phrase family has the highest adoption index over all outlets' body text (not headlines)?",
        lambda t: _adopted_family(t), hint="in the adoption table keep in_headline == False, sum n_narrator and n "
                                           "per family and divide"),
    "top_family": Question(
        "Which phrase family has the most hits?", lambda t: _top(t["hits"]["family"]),
        hint="value_counts() on the family column"),
    "name_calling_hits": Question(
        "How many hits serve the technique Name_Calling-Labeling?",
        lambda t: int(t["hits"]["techniques"].str.split(";").map(lambda v: "Name_Calling-Labeling" in v).sum()),
        hint="the techniques column holds the techniques of a hit joined by ';': split it and count the hits whose "
             "list contains the technique"),
    "single_article_terms": Question(
        "How many key terms (rows of the keyness table) are flagged single_article?",
        lambda t: int(t["keyness"]["single_article"].sum()), hint="sum the single_article column"),
    "top_frame": Question(
        "Which frame is tagged on the most sentences in the whole corpus?", lambda t: _top(t["frames"]["frame"]),
        hint="value_counts() on the frame column of the frames table"),
    "example_ordinal": Question(
        "What is the ordinal alpha of Krippendorff's four-coder example (three decimals)?",
        lambda t: round(agreement.alpha(agreement.MISSING_EXAMPLE, level="ordinal"), 3), tolerance=0.0005,
        hint="agreement.alpha(agreement.MISSING_EXAMPLE, level=...) with the level of measurement that fits"),
    "narrator_share": Question(
        "What share of sentences does the workbook put in the narrator's voice (0 to 1, two decimals)?",
        lambda t: round(float((t["sentences"]["voice"] == "narrator").mean()), 2), tolerance=0.01,
        hint="the mean of (voice == 'narrator') over the sentences table"),
}


def _adopted_family(t: dict) -> str:
    body = t["adoption"][~t["adoption"]["in_headline"]].groupby("family")[["n_narrator", "n"]].sum()
    if body.empty:
        return ""
    share = body["n_narrator"] / body["n"]
    return sorted(share[share == share.max()].index)[0]


def question(name: str) -> Question:
    """The exercise ``name``; ``KeyError`` lists the known ones."""
    if name not in QUESTIONS:
        raise KeyError(f"no exercise {name!r}; known: {', '.join(QUESTIONS)}")
    return QUESTIONS[name]


def answer(name: str, *, data_dir: str | Path):
    """The answer to exercise ``name`` on the run in ``data_dir`` (shown in the teacher edition only)."""
    return question(name).solve(load(str(data_dir)))


def grade(given, name: str, *, data_dir: str | Path) -> str:
    """``right``, ``not yet`` or ``unanswered`` (``given`` is None or empty) for exercise ``name``."""
    if given is None or (isinstance(given, str) and not given.strip()):
        return "unanswered"
    q, expected = question(name), answer(name, data_dir=data_dir)
    if isinstance(expected, str):
        return "right" if str(given).strip().casefold() == expected.casefold() else "not yet"
    try:
        return "right" if abs(float(given) - float(expected)) <= q.tolerance else "not yet"
    except (TypeError, ValueError):
        return "not yet"


def check(given, name: str, *, data_dir: str | Path):
    """Display whether ``given`` answers exercise ``name``: right, or not yet with a hint. Never shows the answer."""
    from IPython.display import HTML

    q, verdict = question(name), grade(given, name, data_dir=data_dir)
    text = {"right": "Right.", "unanswered": "No answer recorded yet: set it in the cell above and run both cells.",
            "not yet": f"Not yet. Hint: {q.hint}."}[verdict]
    return HTML(f'<p class="fw-check fw-{verdict.replace(" ", "-")}"><b>{html.escape(q.ask)}</b> '
                f'Your answer: {html.escape(repr(given))}. {html.escape(text)}</p>')


def reveal(predicted, actual, *, what: str) -> pd.DataFrame:
    """A prediction set beside what the tables show, with the difference for numbers (one row)."""
    row = {"question": what, "your prediction": "(none recorded)" if predicted is None else predicted,
           "the tables say": actual}
    if isinstance(predicted, (int, float)) and isinstance(actual, (int, float)) and not isinstance(predicted, bool):
        row["difference"] = round(float(actual) - float(predicted), 3)
    elif predicted is not None:
        row["difference"] = "same" if str(predicted).strip().casefold() == str(actual).casefold() else "different"
    return pd.DataFrame([row])


def agree(sheet: pd.DataFrame, *, data_dir: str | Path, codes: dict[str, list] | None = None,
          coded_sheet: str | Path = "") -> agreement.Result | None:
    """Agreement of one student's codes with the workbook on ``sheet`` (a sample from ``coding.sample``).

    The codes come from ``coded_sheet`` (a coded copy of the sheet, CSV or XLSX) when given, else from ``codes``
    (``{variable: [code per row, in the sheet's order]}``, shorter lists leave the last rows blank). Returns None
    when nothing is coded yet; ``coding.SheetError`` names the row of an unknown code.
    """
    if coded_sheet:
        sheets, known = agreement.load([coded_sheet], data_dir=data_dir)
        return agreement.compare(sheets, workbook=known, n_boot=200)
    codes = {k: list(v) for k, v in (codes or {}).items() if v}
    if not codes:
        return None
    filled = sheet.copy()
    for name, values in codes.items():
        if len(values) > len(filled):
            raise ValueError(f"{len(values)} {name} codes for a sheet of {len(filled)} rows")
        filled[name] = [str(v) for v in values] + [""] * (len(filled) - len(values))
    filled["coder"] = "you"
    coding.check(filled, where="your codes")
    known = coding.units(data_dir, unit=filled["unit"].iloc[0])
    return agreement.compare([filled], workbook=known[known["unit_id"].isin(filled["unit_id"])], n_boot=200)


def codebook(unit: str):
    """The codebook of ``unit`` for display in a notebook (``IPython.display.Markdown``)."""
    from IPython.display import Markdown

    return Markdown(coding.codebook_markdown(unit))


def alphas(result: agreement.Result | None) -> pd.DataFrame:
    """The alpha table of ``agree``, or a one-row note while nothing is coded."""
    if result is None:
        return pd.DataFrame({"note": ["Nothing coded yet: type your codes (or give coded_sheet) and re-run."]})
    return result.alphas


def confusion(result: agreement.Result | None, variable: str) -> pd.DataFrame:
    """The confusion table of ``variable`` from ``agree`` (you: rows, the workbook: columns), or a note."""
    if result is None:
        return alphas(None)
    return result.confusion[variable]


# ----------------------------------------------------------------------------------------------- editions


def structure(nb: nbformat.NotebookNode) -> list[str]:
    """What a lesson lacks of the required structure (empty when complete): one parameters cell of literal typed
    values, a Goals section, a prediction revealed, an exercise checked, an answer cell, a method card, a
    "What ... cannot tell" section, and no def/class in code."""
    cells = nb.cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    code = [c for c in cells if c.cell_type == "code"]
    problems = []
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    if len(params) != 1:
        problems.append(f"{len(params)} parameters cells (need exactly one)")
    else:
        problems += [f"parameter line not 'name: type = literal  # comment': {line}"
                     for line in params[0].source.splitlines() if line.strip() and not _typed(line)]
    needs = {"## Goals": "a '## Goals' section", "cannot tell": "a section on what the measure cannot tell"}
    problems += [f"no {what}" for key, what in needs.items() if key.lower() not in text.lower()]
    sources = "\n".join(c.source for c in code)
    for call, what in (("lessons.reveal(", "prediction revealed"), ("lessons.check(", "exercise check"),
                       ("cards.show(", "method card")):
        if call not in sources:
            problems.append(f"no {what} ({call}...)")
    if not any(ANSWER in c.metadata.get("tags", []) for c in cells):
        problems.append("no cell tagged answer")
    problems += [f"def/class in a code cell: {c.source.splitlines()[0]}" for c in code
                 if any(line.lstrip().startswith(("def ", "class ")) for line in c.source.splitlines())]
    for before, cell in zip(cells, cells[1:]):
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            if before.cell_type != "markdown":
                problems.append(f"no markdown sentence introduces: {cell.source.splitlines()[0]}")
            if len(cell.source.splitlines()) > 12:
                problems.append(f"code cell longer than 12 lines: {cell.source.splitlines()[0]}")
    return problems


def _typed(line: str) -> bool:
    import ast

    head, _, comment = line.partition("  # ")
    try:
        node = ast.parse(head).body[0]
        ast.literal_eval(node.value)
    except (SyntaxError, ValueError, IndexError, AttributeError):
        return False
    return isinstance(node, ast.AnnAssign) and bool(comment.strip())


def for_edition(nb: nbformat.NotebookNode, *, edition: str) -> nbformat.NotebookNode:
    """A copy of lesson ``nb`` for ``edition``: answer cells dropped (student) or labelled (teacher)."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}; choose {' or '.join(EDITIONS)}")
    nb = nbformat.from_dict(nb)
    kept, previous = [], False
    for cell in nb.cells:
        is_answer = ANSWER in cell.metadata.get("tags", [])
        if is_answer and edition == "student":
            continue
        if is_answer and not previous:  # one label per run of answer cells
            kept.append(nbformat.v4.new_markdown_cell("**Answer (teacher edition)**", metadata={"tags": [ANSWER]}))
        kept.append(cell)
        previous = is_answer
    nb.cells = kept
    return nb


def _with_code(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Show each code cell's source above its output: reports hide code, but a lesson teaches it."""
    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and cell.source.strip() and not tags & {"parameters", "injected-parameters"}:
            cells.append(nbformat.v4.new_markdown_cell(f"```python\n{cell.source}\n```", metadata={"tags": list(tags)}))
        cells.append(cell)
    nb.cells = cells
    return nb


def render(nb: nbformat.NotebookNode, target: str | Path, *, edition: str, title: str) -> Path:
    """Write executed lesson ``nb`` as the HTML of ``edition`` (through ``analysis.report.write_html``)."""
    from analysis import report

    header = (f'<p class="fw-edition">{html.escape(edition.title())} edition. '
              f'<a href="index.html">All lessons</a> · <a href="{cards.PAGE}">Method cards</a></p>')
    return report.write_html(_with_code(for_edition(nb, edition=edition)), target, title=title,
                             header=header, footer="")


def _title(nb: nbformat.NotebookNode, path: Path) -> str:
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    line = first.splitlines()[0].lstrip("# ").strip() if first else ""
    return line or path.stem


def _has_tables(data_dir: Path) -> bool:
    return all((data_dir / f"{n}.parquet").exists() for n in NEEDED)


def build(out: str | Path, *, edition: str = "student", only: list[str] | None = None) -> Path:
    """Run the lessons on ``out/data`` and write the ``edition`` into ``out/lessons``; returns its index.html.

    ``only`` selects lessons by file stem or number (``["01", "03_loaded_language"]``). When ``out/data`` lacks a
    run's tables the whole workbook runs first on the seed corpus into ``out``. A failing lesson raises
    ``runner.StageFailed`` naming the lesson and cell.
    """
    from analysis import runner

    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}; choose {' or '.join(EDITIONS)}")
    out = Path(out).resolve()
    if not _has_tables(out / "data"):
        log.info("no run's tables in %s: running the workbook on the seed corpus first", out / "data")
        runner.execute(runner.plan(out=out))
    chosen = _select(only)
    folder = out / "lessons"
    items = [(path, run_one(path, out / "data", folder / "notebooks", edition=edition)) for path in chosen]
    cards.page(folder / cards.PAGE)
    for path, nb in items:
        render(nb, folder / f"{path.stem}.html", edition=edition, title=_title(nb, path))
    return _index(folder, items, edition=edition)


def _select(only: list[str] | None) -> list[Path]:
    found = all_lessons()
    if not only:
        return found
    chosen = [p for p in found if any(p.stem == o or p.stem.split("_")[0] == o.zfill(2) for o in only)]
    unknown = [o for o in only if not any(p.stem == o or p.stem.split("_")[0] == o.zfill(2) for p in found)]
    if unknown:
        raise KeyError(f"no lesson {', '.join(unknown)}; lessons: {', '.join(p.stem for p in found)}")
    return chosen


def run_one(path: Path, data_dir: Path, notebooks: Path, *, edition: str,
            parameters: dict | None = None) -> nbformat.NotebookNode:
    """Execute one lesson with papermill on ``data_dir`` (and any other ``parameters`` of the lesson); keeps the
    edition's notebook in ``notebooks`` (see ``_copy``) and returns the whole executed notebook, answers included."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from analysis import runner

    notebooks.mkdir(parents=True, exist_ok=True)
    executed = notebooks / path.name
    try:
        papermill.execute_notebook(str(path), str(executed), parameters={**(parameters or {}), "data_dir": str(data_dir)},
                                   cwd=str(notebooks), kernel_name="python3", progress_bar=False,
                                   stderr_file=sys.stderr, request_save_on_cell_execute=False,
                                   extra_arguments=runner.KERNEL_ARGUMENTS)
    except PapermillExecutionError as err:
        raise runner.StageFailed(f"lesson {path.stem}", f"cell {err.cell_index} (execution count {err.exec_count})",
                                 f"{err.source.strip()[:400]}\n{err.ename}: {err.evalue}", executed) from None
    nb = nbformat.read(str(executed), as_version=4)
    nbformat.write(_copy(path, nb, edition=edition, parameters={**(parameters or {}), "data_dir": str(data_dir)}),
                   str(executed))
    return nb


def _copy(path: Path, executed: nbformat.NotebookNode, *, edition: str, parameters: dict) -> nbformat.NotebookNode:
    """The notebook a student or teacher opens: the teacher's is the executed lesson with its answers; the
    student's is the lesson unexecuted (a prediction means nothing once the reveal is on screen), set to the same
    parameters, without answer cells."""
    if edition == "teacher":
        return executed
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    source = load_notebook_node(str(path))  # papermill's reader gives every cell the tags list it expects
    return for_edition(parameterize_notebook(source, parameters), edition="student")


def _index(folder: Path, items: list, *, edition: str) -> Path:
    from analysis import report

    rows = "".join(f'<li><a href="{html.escape(p.stem)}.html">{html.escape(_title(nb, p))}</a> '
                   f'(<a href="notebooks/{html.escape(p.name)}">notebook</a>)</li>' for p, nb in items)
    body = (f"<h1>Lessons: media-framing analysis ({html.escape(edition)} edition)</h1>"
            f"<p>Each lesson takes 20 to 40 minutes. Open the notebook in JupyterLab to do the exercises; the pages "
            f"below are the lessons as run on this corpus.</p><ol>{rows}</ol>"
            f'<p><a href="{cards.PAGE}">Method cards</a>: what each measure measures, how well, and where it fails.</p>')
    return report.page(body, folder / "index.html", title=f"Lessons ({edition} edition)")
