"""Self-contained HTML reports: executed notebooks converted with code hidden, charts rendered offline.

A report makes no network request: the Vega libraries are inlined once per page, the page's Content Security
Policy allows only the page's own scripts (by hash) and no connection, and every value that came from the corpus
is HTML-escaped. Each chart offers the data behind it as a CSV download.
"""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.metadata as metadata
import json
import logging
import subprocess
import urllib.parse
from functools import cache
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
from nbconvert import HTMLExporter

from analysis import tables

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
VEGALITE = "application/vnd.vegalite.v5+json"
VEGALITE_BLOCK = 'class="fw-chart-block"'
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}
PACKAGES = ("pandas", "pyarrow", "altair", "vl-convert-python", "spacy", "textblob", "vaderSentiment", "papermill",
            "nbconvert", "rapidfuzz", "datasketch", "trafilatura", "py3langid")


def setup(*, level: int = logging.INFO) -> None:
    """Prepare a notebook session: log progress to stderr and emit charts as Vega-Lite data, not CDN HTML.

    JupyterLab renders the Vega-Lite mimetype itself with no network, and the report converter turns it into an
    offline chart, so the same notebook works in both places.
    """
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    alt.renderers.enable("mimetype")


def stage(executed: str | Path, target: str | Path, *, stage, data_dir: str | Path) -> Path:
    """Convert executed stage notebook ``executed`` into the self-contained report ``target``."""
    nb = nbformat.read(str(executed), as_version=4)
    params = shown(nb.metadata.get("papermill", {}).get("parameters", {}))
    header = _header(stage.title, tables_dir=Path(data_dir), params=params, stage_name=stage.name)
    return write_html(nb, target, title=stage.title, header=header, footer=_footer(Path(data_dir), params))


def write_html(nb: nbformat.NotebookNode, target: str | Path, *, title: str, header: str, footer: str) -> Path:
    """Render notebook ``nb`` (code hidden, charts inlined) with ``header``/``footer`` HTML into ``target``."""
    nb = _prepare(nb)
    nb.metadata["title"] = title
    has_charts = any(VEGALITE_BLOCK in o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    scripts = [_bundle(), _INIT_JS] if has_charts else []  # a page without charts carries no Vega at all
    resources = {"framing": {"header": header, "footer": footer, "css": _css(), "csp": _csp(scripts),
                             "scripts": "".join(f'<script type="module">{s}</script>' for s in scripts)}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(body, encoding="utf-8")
    log.info("wrote report %s", target)
    return Path(target)


def page(body: str, target: str | Path, *, title: str) -> Path:
    """Write a plain report page (the index) with the same styling, policy and provenance as the stage reports."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", {"text/html": body})])]
    return write_html(nb, target, title=title, header="", footer="")


@cache
def _exporter() -> HTMLExporter:
    exporter = HTMLExporter(template_name="framing", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    return exporter


def _prepare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop parameter cells and log streams, and turn each Vega-Lite output into an offline chart block."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
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
                output = nbformat.v4.new_output("display_data", {"text/html": chart_block(output["data"][VEGALITE],
                                                                                         chart_id=f"chart-{count}")})
            outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs
    return nb


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
                    {renderer: 'svg', actions: {export: true, source: false, compiled: false, editor: false}});
  } catch (err) {
    target.textContent = 'This chart could not be drawn: ' + err;
    target.className += ' fw-chart-error';
    console.error(err);
  }
}
document.body.dataset.chartsRendered = 'true';
"""


@cache
def _bundle() -> str:
    import vl_convert

    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return vl_convert.javascript_bundle(vl_version=version).replace("</script", "<\\/script")


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


def _header(title: str, *, tables_dir: Path, params: dict, stage_name: str) -> str:
    summary = html.escape(corpus_summary(tables_dir))
    return (f'<header class="fw-header"><p class="fw-nav"><a href="index.html">&larr; All reports</a></p>'
            f"<h1>{html.escape(title)}</h1><p>{summary}</p>"
            f"<details><summary>Parameters of this stage</summary>{_kv_table(params, 'fw-params')}</details>"
            "</header>")


def corpus_summary(data_dir: Path) -> str:
    """One sentence describing the corpus of a run: articles, outlets, dates, skipped inputs."""
    try:
        articles, skipped = tables.read("articles", data_dir), tables.read("skipped", data_dir)
    except FileNotFoundError:
        return "No corpus tables yet."
    dates = articles.loc[articles["date"] != "", "date"]
    span = f"dated {dates.min()} to {dates.max()}" if len(dates) else "no full dates"
    undated = (articles["date"] == "").sum()
    outlets = articles.loc[articles["outlet"] != "", "outlet"].nunique()
    return (f"Corpus: {len(articles)} articles from {outlets} named outlets ({(articles['outlet'] == '').sum()} with "
            f"no outlet), {span} ({undated} without a full date); {len(skipped)} inputs skipped.")


def _kv_table(values: dict, css: str) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_plain(v))}</td></tr>"
                   for k, v in sorted(values.items()))
    return f'<table class="{css}">{rows}</table>'


def _plain(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def provenance(data_dir: Path, params: dict) -> dict:
    """Where a report's numbers came from: corpus checksum, parameters, versions, git commit, run time."""
    return {"corpus sha256": corpus_checksum(data_dir), "parameters": params, "packages": versions(),
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


@cache
def versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _model_version(name: str) -> str:
    from analysis import models

    for candidate in (name, models.FALLBACKS.get(name)):
        try:
            return f"{candidate} {metadata.version(candidate)}" if candidate else ""
        except metadata.PackageNotFoundError:
            continue
    return f"{name} (version unknown)"


@cache
def git_commit() -> str:
    """The workbook's git commit (with ``-dirty`` when it has uncommitted changes), or ``unknown``."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=40"],
                             capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev or "unknown"


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


def index(run_dir: str | Path, *, stages) -> Path:
    """Write ``reports/index.html``: findings, links to every stage report, corpus summary and parameters."""
    from analysis import findings

    run_dir = Path(run_dir)
    data_dir, reports = run_dir / "data", run_dir / "reports"
    items = "".join(f"<li>{html.escape(f)}</li>" for f in findings.all_findings(data_dir))
    links = "".join(f'<li><a href="{html.escape(s.report)}">{html.escape(s.title)}</a></li>' if (reports / s.report).exists()
                    else f"<li>{html.escape(s.title)} (not run)</li>" for s in stages)
    params = _run_parameters(reports, stages)
    body = (f'<div class="fw-header"><h1>Framing workbook report</h1><p>{html.escape(corpus_summary(data_dir))}</p>'
            f'<h2>Findings</h2><ul class="fw-findings">{items or "<li>No findings: run every stage.</li>"}</ul>'
            f"<h2>Stage reports</h2><ol>{links}</ol>"
            f"<h2>Parameters</h2>{_kv_table(params, 'fw-params')}</div>{_footer(data_dir, params)}")
    return page(body, reports / "index.html", title="Framing workbook report")


def _run_parameters(reports: Path, stages) -> dict:
    params = {}
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
