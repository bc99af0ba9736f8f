"""Self-contained HTML reports: executed notebooks converted with code hidden, charts rendered offline.

A report makes no network request: the Vega libraries are inlined once per page, the page's Content Security
Policy allows only the page's own scripts (by hash) and no connection, and every value that came from the corpus
is HTML-escaped. Each chart offers the data behind it as a CSV download.
"""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.abc
import importlib.metadata as metadata
import importlib.util
import json
import logging
import re
import subprocess
import sys
import urllib.parse
from functools import cache
from pathlib import Path

import pandas as pd

from analysis import cache as caches, files, findings, tables

# nbformat, nbconvert and altair are imported where they are used: every stage kernel imports this module for
# ``setup`` and ``table_html``, and those three cost it seconds (altair and nbformat import jsonschema).

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
VEGALITE = "application/vnd.vegalite.v5+json"
VEGALITE_BLOCK = 'class="fw-chart-block"'
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}


# What a chart's action menu offers wherever the workbook draws one: saving the image, never "Open in Vega Editor"
# (which posts the spec, sentence text included, to a public website) or the spec views.
EMBED_ACTIONS = {"export": True, "source": False, "compiled": False, "editor": False}


def setup(*, level: int = logging.WARNING, rows: int | None = None) -> None:
    """Prepare a notebook session: warnings and errors only, offline charts with no editor link, readable tables.

    ``rows`` is the number of rows a table shows (pandas' ``display.max_rows``); a longer one says under it how many
    rows it has, so a notebook displays whole tables and the reader is never shown a cut one as if it were all.

    Charts are emitted as Vega-Lite data with embed options that drop "Open in Vega Editor": JupyterLab renders
    the mimetype itself with no network, and the report converter turns it into an offline chart, so the same
    notebook works in both places. Progress is shown as bars (``analysis.progress``), not as INFO logs, so
    ``level`` stays at WARNING: JupyterLab shows every log line in a stderr box that reads like an error.
    DataFrames are shown as in :func:`table_html` (no default index, rounded numbers, text left-aligned).
    """
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    if rows is not None:
        pd.set_option("display.max_rows", rows)
    _after_import("altair", _offline_charts)
    _table_formatter()


def _offline_charts(alt) -> None:
    alt.renderers.enable("mimetype", embed_options={"actions": dict(EMBED_ACTIONS)})


def _after_import(name: str, then) -> None:
    """Call ``then(module)`` once module ``name`` is imported: now if it is, else when it is first imported.

    A stage that draws no chart never pays for importing altair (two seconds), and one that does gets the offline
    renderer whether it imported altair before or after ``setup``."""
    if name in sys.modules:
        then(sys.modules[name])
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, then))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: on the first import of ``name`` it lets the other finders load the module, then
    calls ``then`` on it, and steps aside."""

    def __init__(self, name: str, then):
        self.name, self.then = name, then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            load, then = spec.loader.exec_module, self.then

            def exec_module(module):
                load(module)
                then(module)

            spec.loader.exec_module = exec_module
        return spec


def table_html(df: pd.DataFrame, *, max_rows: int | None = None) -> str:
    """``df`` as HTML a reader can take in: every value escaped, no index column when the index is only a row
    number, floats rounded to 3 decimals, whole-number columns shown as integers, text left-aligned and wide
    enough to read (a KWIC ``left`` column right-aligned, so the matches line up).

    Shows the first ``max_rows`` rows (default: pandas' ``display.max_rows``) and says so in a caption.
    """
    limit = max_rows or pd.get_option("display.max_rows") or len(df)
    shown = df.head(limit)
    if not (shown.index.is_unique and shown.columns.is_unique):  # pandas' Styler needs unique labels
        return shown.to_html(index=not _row_numbers(shown.index), escape=True, float_format="{:,.3f}".format,
                             classes="fw-table", na_rep="")
    styler = shown.style.format(precision=3, na_rep="", escape="html", thousands=",")
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    whole = [c for c in shown.columns if pd.api.types.is_float_dtype(shown[c]) and _whole(shown[c])]
    if whole:
        styler = styler.format("{:,.0f}", subset=whole, na_rep="")
    if _row_numbers(shown.index):
        styler = styler.hide(axis="index")
    styles = {c: [{"selector": "td", "props": _text_props(c, shown[c])}, {"selector": "th", "props": "text-align: left;"}]
              for c in shown.columns if _is_text(shown[c])}
    # A number or True/False never wraps ("Fals e" beside a long text column that took the width)
    styles.update({c: [{"selector": "td", "props": "white-space: nowrap; overflow-wrap: normal;"}]
                   for c in shown.columns if not _is_text(shown[c])})
    digest = hashlib.sha256(shown.to_csv().encode()).hexdigest()[:10]  # same table, same id; two tables, two ids
    styler = styler.set_uuid(digest).set_table_styles(styles, overwrite=False)  # a stable id: reports must not churn
    styler = styler.set_table_styles([{"selector": "th.row_heading, th.index_name", "props": "text-align: left;"}],
                                     overwrite=False)  # row labels are text
    styler = styler.set_table_attributes('class="dataframe fw-table"')
    if len(df) > len(shown):
        styler = styler.set_caption(f"The first {len(shown):,} of {len(df):,} rows.")
    return styler.to_html()


def _row_numbers(index: pd.Index) -> bool:
    # An unnamed integer index only numbers the rows (a filtered table keeps its old numbers); a named or text
    # index (pivot rows, value counts, a transposed record) labels them and stays.
    return index.nlevels == 1 and index.name is None and pd.api.types.is_integer_dtype(index)


def _whole(values: pd.Series) -> bool:
    finite = values.dropna()
    return bool(len(finite)) and bool(((finite % 1) == 0).all())


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def _text_props(column, values: pd.Series) -> str:
    # Short labels (outlets, ids, voices) stay on one line; long text gets room to read instead of a narrow column
    # of broken words. A KWIC left context is right-aligned so that it ends at the match.
    longest = int(values.astype(str).str.len().quantile(0.75)) if len(values) else 0
    width = ("min-width: 24em;" if longest > 60 else "min-width: 12em;" if longest > 24
             else "white-space: nowrap; overflow-wrap: normal;")
    align = "right" if str(column) == "left" else "left"
    return f"text-align: {align}; {width}"


def _table_formatter() -> None:
    """Show every DataFrame in this IPython session with :func:`table_html` (no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)


def stage(executed: str | Path, target: str | Path, *, stage, data_dir: str | Path, computed: str = "") -> Path:
    """Convert executed stage notebook ``executed`` into the self-contained report ``target``; ``computed`` says
    when its results were computed (a line at the top, which ``restamp`` brings up to date when they are reused)."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    params = shown(nb.metadata.get("papermill", {}).get("parameters", {}))
    header = _header(stage.title, tables_dir=Path(data_dir), params=params, stage_name=stage.name,
                     computed=computed, notes=empty_meanings(params, [stage.notebook]))
    return write_html(nb, target, title=stage.title, header=header, footer=_footer(Path(data_dir), params))


def write_html(nb, target: str | Path, *, title: str, header: str, footer: str) -> Path:
    """Render notebook ``nb`` (an ``nbformat.NotebookNode``; code hidden, charts inlined) with ``header``/``footer``
    HTML into ``target``."""
    nb, vega_lite = _prepare(nb)
    nb.metadata["title"] = title
    scripts = [_bundle(vega_lite), _INIT_JS] if vega_lite else []  # a page without charts carries no Vega at all
    resources = {"framing": {"header": header, "footer": footer, "css": _css(), "csp": _csp(scripts),
                             "scripts": "".join(f'<script type="module">{s}</script>' for s in scripts)}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(body, encoding="utf-8")
    log.info("wrote report %s", target)
    return Path(target)


def page(body: str, target: str | Path, *, title: str) -> Path:
    """Write a plain report page (the index) with the same styling, policy and provenance as the stage reports."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", {"text/html": body})])]
    return write_html(nb, target, title=title, header="", footer="")


@cache
def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="framing", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    return exporter


def _prepare(nb):
    """Drop parameter cells and log streams, and turn each Vega-Lite output into an offline chart block.

    Returns the prepared notebook and the Vega-Lite version its charts are written for (``"5.20"``; empty when
    it has no chart)."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    vega_lite = ""
    nb.cells = [c for c in nb.cells if not HIDDEN_TAGS & set(c.get("metadata", {}).get("tags", []))]
    count = 0
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"  # papermill gives cells random ids; a report must not change between runs
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue  # progress logging belongs to the terminal, not the report
            if VEGALITE in output.get("data", {}):
                count += 1
                vega_lite = vega_lite or _schema_version(output["data"][VEGALITE])
                output = nbformat.v4.new_output("display_data", {"text/html": chart_block(output["data"][VEGALITE],
                                                                                         chart_id=f"chart-{count}")})
            outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs
    return nb, vega_lite


def _schema_version(spec: dict) -> str:
    """The Vega-Lite major.minor version a chart spec declares (``.../vega-lite/v5.20.1.json`` gives ``5.20``)."""
    found = re.search(r"/v(\d+\.\d+)[.\d]*\.json$", str(spec.get("$schema", "")))
    if found:
        return found.group(1)
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def chart_block(spec: dict, *, chart_id: str) -> str:
    """HTML for one chart: a container, its spec as inert JSON, and a CSV download of the data behind it."""
    payload = json.dumps(spec, sort_keys=True, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    links = " ".join(_csv_link(name, rows, chart_id) for name, rows in sorted(_datasets(spec).items()))
    return (f'<div class="fw-chart-block"><div class="fw-chart" id="{chart_id}"></div>'
            f'<script type="application/json" class="fw-spec" data-chart="{chart_id}">{payload}</script>'
            f'<div class="fw-download">{links}</div></div>')


def _datasets(spec: dict) -> dict[str, list]:
    found = dict(spec.get("datasets", {}))
    values = spec.get("data", {}).get("values") if isinstance(spec.get("data"), dict) else None
    if values:
        found["data"] = values
    return found


def _csv_link(name: str, rows: list, chart_id: str) -> str:
    csv = pd.DataFrame(rows).to_csv(index=False)
    href = "data:text/csv;charset=utf-8," + urllib.parse.quote(csv)
    filename = f"{chart_id}.csv" if name == "data" or len(name) > 40 else f"{chart_id}-{name}.csv"
    return f'<a download="{html.escape(filename)}" href="{html.escape(href)}">Download the data behind this chart (CSV, {len(rows)} rows)</a>'


_INIT_JS = """
for (const node of document.querySelectorAll('script.fw-spec')) {
  const target = document.getElementById(node.dataset.chart);
  try {
    await vegaEmbed(target, JSON.parse(node.textContent),
                    {renderer: 'svg', actions: %s});
  } catch (err) {
    target.textContent = 'This chart could not be drawn: ' + err;
    target.className += ' fw-chart-error';
    console.error(err);
  }
}
document.body.dataset.chartsRendered = 'true';
""" % json.dumps(EMBED_ACTIONS)


@cache
def _bundle(vl_version: str) -> str:
    """The Vega, Vega-Lite and vega-embed JavaScript, inlined in every page with charts.

    vl-convert builds it in about 4 s; it depends only on vl-convert's and Vega-Lite's versions, so it is kept
    in the user's cache folder (``cache.folder``) and read from there by later runs."""
    key = f"vega-bundle-{metadata.version('vl-convert-python')}-vl{vl_version}.js"
    bundle = caches.kept(key)
    if bundle is None:
        import vl_convert

        bundle = vl_convert.javascript_bundle(vl_version=vl_version).replace("</script", "<\\/script")
        caches.keep(key, bundle)
    return bundle


@cache
def _css() -> str:
    return (TEMPLATES / "framing" / "report.css").read_text(encoding="utf-8")


def _csp(scripts: list[str]) -> str:
    # Only this page's own scripts may run (hash-listed), and nothing may be fetched: no connect, no remote
    # images or fonts. Vega compiles its expressions with Function(), hence 'unsafe-eval'.
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    allowed = f"{hashes} 'unsafe-eval'" if scripts else "'none'"
    return (f"default-src 'none'; script-src {allowed}; style-src 'unsafe-inline'; "
            "img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'")


def _header(title: str, *, tables_dir: Path, params: dict, stage_name: str, computed: str = "",
            notes: dict[str, str] | None = None) -> str:
    summary = html.escape(corpus_summary(tables_dir))
    return (f'<header class="fw-header"><p class="fw-nav"><a href="index.html">&larr; All reports</a></p>'
            f"<h1>{html.escape(title)}</h1><p>{computed_span(stage_name, computed)}</p><p>{summary}</p>"
            f"{unnamed_note(tables_dir)}"
            f"<details><summary>Parameters of this stage</summary>{_kv_table(params, 'fw-params', notes)}</details>"
            "</header>")


def computed_span(stage_name: str, text: str) -> str:
    """HTML: when a stage's results were computed, marked so that ``restamp`` can bring it up to date."""
    return f'<span class="fw-computed" data-stage="{html.escape(stage_name)}">{html.escape(text)}</span>'


_COMPUTED = re.compile(r'<span class="fw-computed" data-stage="([^"]*)">[^<]*</span>')


def restamp(page: str | Path, lines: dict[str, str]) -> Path:
    """Replace the computed line of each stage named in ``lines`` in report ``page`` (a stage report or the
    index), leaving the rest of the page byte for byte: a reused stage's report says it was reused without being
    converted again."""
    path = Path(page)
    text = path.read_text(encoding="utf-8")
    new = _COMPUTED.sub(lambda m: computed_span(html.unescape(m.group(1)), lines[html.unescape(m.group(1))])
                        if html.unescape(m.group(1)) in lines else m.group(0), text)
    if new != text:
        files.write_text(path, new)
    return path


def corpus_summary(data_dir: Path) -> str:
    """One sentence describing the corpus of a run: articles, outlets, dates, skipped inputs."""
    try:
        articles, skipped = tables.read("articles", data_dir), tables.read("skipped", data_dir)
    except FileNotFoundError:
        return "No corpus tables yet."
    dates = articles.loc[articles["date"] != "", "date"]
    span = f"dated {dates.min()} to {dates.max()}" if len(dates) else "no full dates"
    undated = (articles["date"] == "").sum()
    unnamed = findings.unnamed(articles)
    outlets = articles.loc[~unnamed, "outlet"].nunique()
    return (f"Corpus: {len(articles)} articles from {outlets} named outlets ({unnamed.sum()} with no named "
            f"outlet), {span} ({undated} without a full date); {len(skipped)} inputs skipped.")


def unnamed_note(data_dir: Path) -> str:
    """HTML: how many articles have no named outlet and how to name them, or "" when every outlet is named."""
    try:
        articles = tables.read("articles", data_dir)
    except (FileNotFoundError, KeyError):
        return ""
    n = int(findings.unnamed(articles).sum())
    if not n:
        return ""
    them = "it is" if n == 1 else "each is"
    return (f'<p class="fw-unnamed"><strong>{n} of {len(articles)} articles have no named outlet</strong>: {them} '
            "shown under its URL's site or as <code>unnamed outlet (&lt;article id&gt;)</code>, never pooled with "
            "other unnamed articles. To name them, list their files with an <code>outlet</code> column in a "
            "manifest (CSV or YAML: <code>path,outlet</code>) and re-run with "
            "<code>-p manifest=path/to/manifest.csv</code>.</p>")


def _kv_table(values: dict, css: str, notes: dict[str, str] | None = None) -> str:
    notes = notes or {}
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_plain(v))}"
                   + (f' <span class="fw-note">({html.escape(notes[k])})</span>' if k in notes else "")
                   + "</td></tr>" for k, v in sorted(values.items()))
    return f'<table class="{css}">{rows}</table>'


_EMPTY = re.compile(r"\bempty\b[^;)]*")
_ZERO = re.compile(r"(?<![\w.])0: [^;)]*")


def empty_meanings(params: dict, notebooks) -> dict[str, str]:
    """For each parameter of ``params`` left empty ("" or []) or 0, what that means, as the parameter's comment in
    its notebook's parameters cell says ("empty: the story profile's", "0: one per core"): a reader of
    ``kwic_queries []`` learns the profile supplied them. ``notebooks`` are the stage notebooks that declare the
    parameters."""
    from analysis import stages

    helps = {}
    for notebook in notebooks:
        helps.update({name: spec.get("help") or "" for name, spec in stages.parameters(Path(notebook)).items()})
    out = {}
    for name, value in params.items():
        rule = _EMPTY if value in ("", [], {}) else _ZERO if value == 0 and not isinstance(value, bool) else None
        found = rule.search(helps.get(name, "")) if rule else None
        if found:
            out[name] = found.group().strip(" ,")
    return out


def _plain(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def provenance(data_dir: Path, params: dict) -> dict:
    """Where a report's numbers came from: corpus checksum, parameters, versions, git commit, run time."""
    return {"corpus sha256": corpus_checksum(data_dir), "parameters": params, "packages": caches.package_versions(),
            "spaCy model": _model_version(params.get("model", "en_core_web_sm")), "git commit": git_commit(),
            "run time (UTC)": _now()}


def corpus_checksum(data_dir: Path) -> str:
    """SHA-256 over the sorted article checksums and skipped inputs: equal corpora give equal checksums."""
    try:
        articles, skipped = tables.read("articles", data_dir), tables.read("skipped", data_dir)
    except FileNotFoundError:
        return "unknown (no articles table)"
    parts = sorted(articles["sha256"]) + sorted(skipped["source_path"] + ":" + skipped["reason"])
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _model_version(name: str) -> str:
    # The package models.load would load (the name or its fallback), as the runner's check found it and the cache
    # folder keeps it: asking spaCy here would import it (1.5 s) into the process that converts the reports.
    from analysis import stages

    package = stages.model_package(name)
    try:
        return f"{package} {metadata.version(package)}"
    except (metadata.PackageNotFoundError, ValueError):
        return f"{name} (version unknown)"


@cache
def git_commit() -> str:
    """The workbook's git commit (with ``-dirty`` when it has uncommitted changes), or ``unknown``.

    Whether the checkout is dirty is asked of ``git describe --dirty``, which refreshes the index first: in a fresh
    clone that runs the notebook filter (nbstripout) over every notebook, which can take longer than the 10 s
    allowed on a loaded machine. The commit itself is then still given, saying the check did not finish."""
    root = str(Path(__file__).resolve().parent.parent)
    try:
        rev = _git(root, "rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    try:
        return _git(root, "describe", "--always", "--dirty", "--abbrev=40") or rev or "unknown"
    except subprocess.TimeoutExpired:
        return f"{rev} (uncommitted changes not checked: git took over 10 s)"
    except (OSError, subprocess.SubprocessError):
        return rev or "unknown"


def _git(root: str, *args: str) -> str:
    return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=10,
                          check=True).stdout.strip()


def _now() -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _footer(data_dir: Path, params: dict) -> str:
    facts = provenance(data_dir, params)
    rows = {k: v for k, v in facts.items() if k not in ("parameters", "packages")}
    return (f'<footer class="fw-footer"><h2>Provenance</h2>{_kv_table(rows, "fw-provenance")}'
            f"<details><summary>Parameter values</summary>{_kv_table(facts['parameters'], 'fw-params')}</details>"
            f"<details><summary>Package versions</summary>{_kv_table(facts['packages'], 'fw-params')}</details>"
            "</footer>")


def findings_html(data_dir: str | Path) -> tuple[str, str]:
    """The index's findings computed from the tables in ``data_dir``, as HTML: the list items and the appendix of
    the sentences behind them. The runner computes them while a last stage that writes no table runs."""
    found = findings.all_findings(Path(data_dir))
    return "".join(_finding_item(f) for f in found), _appendix(found)


def index(run_dir: str | Path, *, stages, computed: dict[str, str] | None = None,
          found: tuple[str, str] | None = None) -> Path:
    """Write ``reports/index.html``: findings first (each with its n and a link to the sentences behind it), then
    links to every stage report with when its results were computed (``computed``: stage name to a line), the
    parameters, and an appendix listing the sentences behind each finding. ``found`` is ``findings_html`` of the
    run's tables when it was computed already."""
    run_dir = Path(run_dir)
    data_dir, reports = run_dir / "data", run_dir / "reports"
    items, appendix = found if found is not None else findings_html(data_dir)
    computed = computed or {}
    links = "".join(f'<li><a href="{html.escape(s.report)}">{html.escape(s.title)}</a><br>'
                    f'{computed_span(s.name, computed.get(s.name, ""))}</li>' if (reports / s.report).exists()
                    else f"<li>{html.escape(s.title)} (not run)</li>" for s in stages)
    params = _run_parameters(reports, stages)
    body = (f'<div class="fw-header"><h1>Framing workbook report</h1><p>{html.escape(corpus_summary(data_dir))}</p>'
            f"{unnamed_note(data_dir)}"
            f'<h2>Findings</h2><ul class="fw-findings">{items or "<li>No findings: run every stage.</li>"}</ul>'
            f"<h2>Stage reports</h2><ol>{links}</ol>"
            '<p><a href="methods.html">Method cards</a>: what each measure measures, how well, and what it cannot '
            "tell.</p>"
            f"<h2>Parameters</h2>{_kv_table(params, 'fw-params', empty_meanings(params, [s.notebook for s in stages]))}"
            f"{appendix}</div>{_footer(data_dir, params)}")
    return page(body, reports / "index.html", title="Framing workbook report")


EVIDENCE_ROWS = 60  # sentences listed per finding in the index appendix


def _finding_item(finding) -> str:
    css = ' class="fw-thin"' if finding.thin else ""  # the text itself says it rests on one hit or article
    if len(finding.evidence):
        k = len(finding.evidence)
        link = f' <a href="#evidence-{html.escape(finding.key)}">the {k:,} sentence{"s" * (k != 1)} behind it</a>'
    elif finding.see:
        link = f' <a href="{html.escape(finding.see)}">see the report</a>'
    else:
        link = ""
    count = "" if finding.n is None else f'<span class="fw-n">n = {finding.n:,}</span> '
    return f'<li{css}>{count}{html.escape(finding.text)}{link}</li>'


def _appendix(found) -> str:
    """The sentences behind each finding, as escaped tables under anchors the findings link to."""
    parts = []
    for finding in found:
        if not len(finding.evidence):
            continue
        table = table_html(finding.evidence.rename(columns=str.capitalize), max_rows=EVIDENCE_ROWS)
        parts.append(f'<section id="evidence-{html.escape(finding.key)}" class="fw-evidence">'
                     f"<h3>{html.escape(finding.text)}</h3>{table}</section>")
    if not parts:
        return ""
    return ("<h2>The sentences behind the findings</h2><p>Each finding above links here. <em>Voice</em> is whose "
            "words the phrase is: the outlet's own (narrator), a direct or partial quote, reported speech "
            "(paraphrase), or a scare quote (quote marks with nobody named as saying it).</p>" + "".join(parts))


def _run_parameters(reports: Path, stages) -> dict:
    params = {}
    import nbformat

    for s in stages:
        executed = reports / "notebooks" / s.notebook.name
        if executed.exists():
            nb = nbformat.read(str(executed), as_version=4)
            params.update(nb.metadata.get("papermill", {}).get("parameters", {}))
    return shown(params)


def shown(params: dict) -> dict:
    """Parameters as a reader should see them: without the runner's own (``data_dir`` is a staging folder)."""
    from analysis import stages

    managed = set(stages.declaration().get("parameters", {}).get("managed", []))
    return {k: v for k, v in params.items() if k not in managed}
