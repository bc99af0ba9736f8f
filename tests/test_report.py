"""Reports: offline chart blocks, hidden parameters, escaping, provenance; rendered in Chromium where available."""
from __future__ import annotations

import altair as alt
import nbformat
import pandas as pd

from analysis import findings, report
from browser import open_report


def _chart_nb(values: list[str]) -> nbformat.NotebookNode:
    chart = alt.Chart(pd.DataFrame({"outlet": values, "n": range(len(values))})).mark_bar().encode(
        x="n:Q", y="outlet:N", tooltip=["outlet"])
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("data_dir: str = 'x'  # folder", metadata={"tags": ["parameters"]})
    shown = nbformat.v4.new_code_cell("chart", outputs=[nbformat.v4.new_output(
        "display_data", {report.VEGALITE: chart.to_dict(), "text/plain": "<Chart>"})])
    logs = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stderr", text="INFO progress")])
    nb.cells = [params, nbformat.v4.new_markdown_cell("What to look for."), shown, logs]
    return nb


def test_charts_become_offline_blocks_with_csv_and_no_parameters_or_logs(tmp_path):
    out = report.write_html(_chart_nb(["KCNA", "Reuters"]), tmp_path / "r.html", title="T", header="", footer="")
    page = out.read_text()
    assert page.count('class="fw-chart"') == 1 and "data:text/csv" in page
    assert "INFO progress" not in page and "data_dir" not in page
    assert "cdn" not in page.lower() and "https://" not in page.split("<style")[0]
    assert page.count("window.vegaEmbed=") == 1  # the Vega bundle is inlined once


def test_spec_text_cannot_close_its_script_element(tmp_path):
    out = report.write_html(_chart_nb(["</script><script>alert(1)</script>"]), tmp_path / "r.html",
                            title="T", header="", footer="")
    assert "</script><script>alert(1)" not in out.read_text()


def test_a_report_renders_offline_in_chromium(tmp_path):
    out = report.write_html(_chart_nb(["KCNA", "<img src=x onerror=alert(1)>"]), tmp_path / "r.html",
                            title="T", header="", footer="")
    seen = open_report(out)
    assert seen.requests == [] and seen.errors == [] and seen.dialogs == []
    assert seen.charts == seen.drawn == 1


def test_a_page_without_charts_carries_no_vega_bundle(tmp_path):
    nb = _chart_nb(["KCNA"])
    nb.cells = nb.cells[:2]
    page = report.write_html(nb, tmp_path / "plain.html", title="T", header="", footer="").read_text()
    assert "vegaEmbed" not in page and "script-src 'none'" in page


def test_setup_keeps_warnings_only_and_charts_offer_no_vega_editor():
    import logging

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        report.setup()
        assert root.level == logging.WARNING
        bundle, meta = alt.Chart(pd.DataFrame({"n": [1]})).mark_bar().encode(x="n:Q")._repr_mimebundle_()
        assert report.VEGALITE in bundle
        actions = meta[report.VEGALITE]["embed_options"]["actions"]
        assert actions["editor"] is False and actions["source"] is False and actions["export"] is True
    finally:
        root.setLevel(before[0])
        root.handlers[:] = before[1]
        alt.renderers.enable("default")


def test_report_charts_offer_no_vega_editor(tmp_path):
    page = report.write_html(_chart_nb(["KCNA"]), tmp_path / "r.html", title="T", header="", footer="").read_text()
    assert '"editor": false' in page and '"editor": true' not in page


def test_tables_read_as_a_reader_expects():
    df = pd.DataFrame({"outlet": ["<b>KCNA</b>", "Reuters"], "sentence": ["x" * 90, "short"],
                       "hits": [3.0, 12.0], "share": [0.123456, 1 / 3], "g2": [15.55555, 4.0]})
    shown = report.table_html(df)
    assert "<b>KCNA</b>" not in shown and "&lt;b&gt;KCNA&lt;/b&gt;" in shown  # text is data, never markup
    assert ">12<" in shown and ">12.000<" not in shown  # counts as integers
    assert ">0.123<" in shown and ">0.333<" in shown and "0.123456" not in shown  # numbers rounded
    assert 'class="row_heading' not in shown  # a row number is no column
    assert "text-align: left" in shown and "min-width: 24em" in shown
    assert report.table_html(df) == shown  # the same table gives the same HTML: reports do not churn


def test_a_meaningful_index_stays_and_long_tables_say_they_are_cut():
    counts = pd.Series([5, 2], index=pd.Index(["KCNA", "Reuters"], name="speaker"), name="quotes").to_frame()
    assert "KCNA" in report.table_html(counts) and "row_heading" in report.table_html(counts)
    twice = pd.DataFrame({"a": ["<i>x</i>", "y"]}, index=[3, 3])  # a non-unique index cannot be styled
    assert "&lt;i&gt;x&lt;/i&gt;" in report.table_html(twice) and "<i>" not in report.table_html(twice)
    long = pd.DataFrame({"n": range(100)})
    assert "The first 10 of 100 rows." in report.table_html(long, max_rows=10)


def test_the_index_leads_with_findings_linked_to_their_sentences(tmp_path):
    from test_findings import write_tables

    out = report.index(write_tables(tmp_path / "data").parent, stages=[])
    page = out.read_text()
    assert page.index("<h2>Findings</h2>") < page.index("<h2>Stage reports</h2>")
    assert "n = 3" in page and 'href="#evidence-family-asian_nato"' in page and 'id="evidence-family-asian_nato"' in page
    assert "rests on a single use" in page and "class=\"fw-thin\"" in page
    assert "1 of 3 articles have no named outlet" in page and "manifest" in page
    assert "with no named outlet" in page
    warning = findings.Finding("fit-0", "Warning: The story profile 'x' does not fit this corpus.", None)
    assert report._finding_item(warning) == \
        "<li>Warning: The story profile &#x27;x&#x27; does not fit this corpus.</li>"  # no "n = 0": it counts nothing



def test_a_stage_report_says_when_it_was_computed_and_restamp_updates_only_that_line(tmp_path):
    header = report.computed_span("tag", "Computed on 2026-01-02 03:04:05 UTC.")
    out = report.write_html(_chart_nb(["KCNA"]), tmp_path / "r.html", title="T", header=header, footer="")
    before = out.read_text()
    assert "Computed on 2026-01-02 03:04:05 UTC." in before
    report.restamp(out, {"tag": "Computed on 2026-01-02 03:04:05 UTC; reused unchanged on 2026-02-01 00:00:00 UTC.",
                         "other": "<b>never shown</b>"})
    after = out.read_text()
    assert "reused unchanged on 2026-02-01 00:00:00 UTC." in after and "never shown" not in after
    assert after.replace("; reused unchanged on 2026-02-01 00:00:00 UTC", "") == before


def test_setup_before_altair_is_imported_still_gives_offline_charts():
    import subprocess
    import sys

    code = ("import sys\nfrom analysis import report\nreport.setup()\nassert 'altair' not in sys.modules\n"
            "import altair as alt\nprint(alt.renderers.active, alt.renderers.options['embed_options']['actions'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("mimetype") and "'editor': False" in proc.stdout


def test_the_commit_is_given_even_when_the_dirty_check_times_out(monkeypatch):
    """In a fresh clone `git describe --dirty` first runs the notebook filter over every notebook, which can take
    longer than its time limit: the provenance still names the commit, and says the check did not finish."""
    import subprocess

    head = report._git(str(report.Path(report.__file__).resolve().parent.parent), "rev-parse", "HEAD")
    report.git_commit.cache_clear()  # it is asked once per process
    assert len(head) == 40 and report.git_commit().startswith(head)
    run = subprocess.run

    def slow_describe(cmd, *args, **kwargs):
        if "describe" in cmd:
            raise subprocess.TimeoutExpired(cmd, kwargs.get("timeout", 10))
        return run(cmd, *args, **kwargs)

    monkeypatch.setattr(report.subprocess, "run", slow_describe)
    report.git_commit.cache_clear()
    assert report.git_commit() == f"{head} (uncommitted changes not checked: git took over 10 s)"
    report.git_commit.cache_clear()


def test_the_model_in_the_provenance_is_named_without_importing_spacy(tmp_path):
    """Reports are converted in the runner's process, which runs no spaCy: the model's package and version come
    from the runner's model check, kept in the cache folder, and name what ``models.load`` loads."""
    import os
    import subprocess
    import sys

    code = ("import sys\nfrom analysis import report\nprint(report._model_version('en_core_web_sm'))\n"
            "print('spacy' in sys.modules)")
    env = {**os.environ, "FRAMING_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
            for _ in range(2)]  # the first fills the cache folder
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    (first, _), (named, imported) = (r.stdout.strip().splitlines() for r in runs)
    assert imported == "False" and named == first
    from analysis import models

    loaded = models.load("en_core_web_sm")
    assert named == f"{loaded.meta['lang']}_{loaded.meta['name']} {loaded.meta['version']}", "what models.load loads"
    assert report._model_version("no_such_model_xx") == "no_such_model_xx (version unknown)"


def test_an_index_from_findings_computed_ahead_is_the_same_page(tmp_path, monkeypatch):
    from test_findings import write_tables

    monkeypatch.setattr(report, "_now", lambda: "2026-01-02 03:04:05")

    run = write_tables(tmp_path / "data").parent
    ahead = report.findings_html(run / "data")
    later = report.index(run, stages=[]).read_text()
    assert report.index(run, stages=[], found=ahead).read_text() == later


def test_a_true_or_false_beside_long_text_never_wraps():
    # The profile-fit table: "fits" squeezed by a long "finding" read "Fals e" in a new user's report
    df = pd.DataFrame({"check": ["phrases", "actors"], "fits": [False, True], "finding": ["a long verdict " * 12] * 2,
                       "n": [3, 4]})
    css = report.table_html(df).split("</style>")[0]
    for column in (1, 3):  # fits, n
        rule = css.split(f"td.col{column} {{")[1].split("}")[0]
        assert "white-space: nowrap" in rule
    assert "min-width: 24em" in css.split("td.col2 {")[1].split("}")[0]  # the long text still gets room


def test_an_empty_parameter_says_what_empty_means():
    # A new user read `kwic_queries []` in the index while the story profile supplied eight queries.
    from analysis import stages

    rhetoric = [s.notebook for s in stages.select(["rhetoric"])]
    notes = report.empty_meanings({"kwic_queries": [], "lexicon": "", "kwic_window": 8, "scheduler": "",
                                   "n_process": 0}, rhetoric)
    assert notes == {"kwic_queries": "empty: the story profile's", "lexicon": "empty: the profile's",
                     "scheduler": "empty: run here", "n_process": "0: one per core, capped by memory and corpus size"}
    table = report._kv_table({"kwic_queries": [], "kwic_window": 8}, "fw-params", notes)
    assert "[] <span class=\"fw-note\">(empty: the story profile&#x27;s)</span>" in table
    assert table.count("fw-note") == 1
