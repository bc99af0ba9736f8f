"""Reports: offline chart blocks, hidden parameters, escaping, provenance; rendered in Chromium where available."""
from __future__ import annotations

import altair as alt
import nbformat
import pandas as pd

from analysis import report
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
