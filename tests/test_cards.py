"""Method cards: every measure has a valid card, and cards render safely and link from reports."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analysis import cards, tables

ROOT = Path(__file__).resolve().parent.parent
MEASURES = {"attribution", "voice", "scare_quotes", "verb_stance", "phrase_families", "sentiment", "keyness", "frames",
            "lineage", "omission"}


def _plain(text: str) -> str:
    """Straight quote marks and single spaces, so an example matches its seed however it was typed."""
    text = re.sub(r"[“”„«»]", '"', re.sub(r"[‘’‚]", "'", text))
    return " ".join(text.split())


def test_every_measure_has_a_card():
    assert set(cards.load()) == MEASURES


@pytest.mark.parametrize("measure", sorted(MEASURES))
def test_card_points_at_real_code_tables_and_examples(measure):
    card = cards.card(measure)
    for path in card["code"]:
        assert (ROOT / path).is_file(), f"{measure}: {path} does not exist"
    assert set(card["tables"]) <= set(tables.schemas()), f"{measure}: unknown table in {card['tables']}"
    for failure in card["failures"]:
        if failure["source"].startswith("seeds/"):
            text = _plain((ROOT / failure["source"]).read_text(encoding="utf-8"))
            example = _plain(failure["example"])
            quoted = [s.strip() for s in re.split(r'"', example) if len(s.strip()) >= 30] or [example]
            assert any(q[:40] in text for q in quoted), f"{measure}: no quoted example found in {failure['source']}"
    if card["accuracy"]:
        assert all(a["command"].startswith(".venv/bin/python bench/validate_") for a in card["accuracy"])
    else:
        assert "not yet measured against gold data" in card["not_measured"].lower()


def test_measured_figures_cite_a_validation_script_and_match_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for measure in ("attribution", "phrase_families", "sentiment"):
        for entry in cards.card(measure)["accuracy"]:
            script = entry["command"].split()[1]
            assert script.startswith("bench/validate_") and (ROOT / script).is_file(), (measure, script)
            assert entry["value"].split()[0].rstrip(";") in readme, (measure, entry["value"])


def test_link_and_anchor():
    assert cards.link("voice") == "methods.html#card-voice"
    assert cards.anchor("keyness") == "card-keyness"
    with pytest.raises(KeyError, match="known cards"):
        cards.link("nonsense")


def test_markdown_and_html_render_every_part():
    card = cards.card("keyness")
    md = cards.markdown(card)
    for part in ("What it measures", "How, in plain words", "How, precisely", "Measured accuracy",
                 "What it cannot tell", "Known failure modes", "References", "Rayson"):
        assert part in md
    page = cards.html(card)
    assert page.startswith('<section class="fw-card" id="card-keyness">')
    assert "Not yet measured against gold data" in page


def test_html_escapes_markup_in_a_card(tmp_path):
    raw = yaml.safe_load((cards.folder() / "frames.yaml").read_text(encoding="utf-8"))
    raw["measures"] = 'Frames <script>alert("x")</script> <img src=x onerror=alert(1)>'
    (tmp_path / "frames.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    card = cards.load(tmp_path)["frames"]
    out = cards.html(card)
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out


@pytest.mark.parametrize("change, message", [
    (lambda c: c.pop("references"), "missing field"),
    (lambda c: c.update(accuracy=[], not_measured=""), "not_measured"),
    (lambda c: c.update(accuracy=[{"figure": "F1", "value": "0.9", "data": "x"}]), r"accuracy\[0\]\.command"),
    (lambda c: c.update(failures=[]), "failures"),
    (lambda c: c.update(stage="tagging"), "stage"),
    (lambda c: c.update(id="other"), "file name"),
])
def test_malformed_card_names_file_and_field(tmp_path, change, message):
    raw = yaml.safe_load((cards.folder() / "keyness.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "keyness.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(cards.CardError, match=message) as err:
        cards.read(path)
    assert str(path) in str(err.value)


def test_page_has_every_card_and_no_network(tmp_path):
    target = cards.page(tmp_path / "methods.html")
    text = target.read_text(encoding="utf-8")
    for measure in MEASURES:
        assert f'id="card-{measure}"' in text
        assert f'href="#card-{measure}"' in text
    assert "Content-Security-Policy" in text


@pytest.mark.parametrize("measure", sorted(MEASURES))
def test_no_text_is_cut_by_a_yaml_comment(measure):
    # In YAML an unquoted " #" starts a comment: "before issue #10" would silently lose the rest of the line.
    rendered = " ".join(cards.markdown(cards.card(measure)).split())
    for line in (cards.folder() / f"{measure}.yaml").read_text(encoding="utf-8").splitlines():
        if " #" in line and not line.lstrip().startswith("#"):
            after = line.split(" #", 1)[1].strip().rstrip('"')
            assert after in rendered, f"{measure}: {line!r} is cut at ' #'; quote the value"


def test_every_card_is_linked_from_a_stage_report_section():
    import json

    linked = set()
    for notebook in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        linked |= set(re.findall(r"methods\.html#card-([a-z_]+)", text))
    assert set(cards.load()) <= linked, sorted(set(cards.load()) - linked)
    assert linked <= set(cards.load()), sorted(linked - set(cards.load()))
