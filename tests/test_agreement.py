"""Krippendorff's alpha against the published worked examples, bootstrap intervals, and sheet comparisons."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import agreement, coding


def test_binary_example_matches_krippendorff_2011():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section A: alpha = 0.095.
    assert agreement.alpha(agreement.BINARY_EXAMPLE, level="nominal") == pytest.approx(0.095, abs=0.0005)


@pytest.mark.parametrize("level, published", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_four_coders_with_missing_values_match_krippendorff_2011(level, published):
    # Section C: 4 observers, 12 units, values 1-5, missing values; the published alphas to three decimals.
    assert agreement.alpha(agreement.MISSING_EXAMPLE, level=level) == pytest.approx(published, abs=0.0005)


def test_perfect_and_chance_agreement():
    assert agreement.alpha([[1, 2, 3, 1], [1, 2, 3, 1]]) == pytest.approx(1.0)
    # Systematic disagreement on every unit is worse than chance.
    assert agreement.alpha([[1, 2, 1, 2], [2, 1, 2, 1]]) < 0


def test_undefined_alpha_is_nan():
    assert math.isnan(agreement.alpha([[1, 1, 1], [1, 1, 1]]))  # no variation: nothing to agree on
    assert math.isnan(agreement.alpha([[1, None, 2], [None, 2, None]]))  # no unit coded twice
    assert agreement.verdict(float("nan")) == "undefined"


def test_verdicts_follow_krippendorffs_thresholds():
    assert agreement.verdict(0.85) == "reliable"
    assert agreement.verdict(0.70) == "tentative"
    assert agreement.verdict(0.5) == "unreliable"


def test_bootstrap_interval_brackets_alpha_and_narrows_with_more_units():
    small = np.array(agreement.MISSING_EXAMPLE, dtype=float)
    lo, hi = agreement.interval(small, level="nominal", n_boot=300, seed=3)
    assert lo <= 0.743 <= hi
    big = np.tile(small, 8)  # the same codes on 8 times as many units
    lo8, hi8 = agreement.interval(big, level="nominal", n_boot=300, seed=3)
    assert hi8 - lo8 < hi - lo
    assert agreement.interval(small, level="nominal", n_boot=300, seed=3) == (lo, hi)  # seeded: reproducible


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="level of measurement"):
        agreement.alpha([[1, 2], [1, 2]], level="cardinal")


def _sheet(coder: str, voices: list[str], tones: list[str]) -> pd.DataFrame:
    n = len(voices)
    return pd.DataFrame({"sample": "sentence n=6 seed=1", "unit": "sentence", "unit_id": [f"a/s{i}" for i in range(n)],
                         "outlet": "X", "article_id": "a", "text": [f"Sentence {i}." for i in range(n)], "context": "",
                         "voice": voices, "speaker": ["none"] * n, "frame": ["Political"] * (n - 1) + ["none"],
                         "tone": tones, "coder": coder, "note": ""})


def test_compare_coders_and_workbook():
    a = _sheet("ana", ["narrator", "quoted", "quoted", "narrator", "quoted", "narrator"],
               ["negative", "neutral", "positive", "negative", "negative", "neutral"])
    b = _sheet("ben", ["narrator", "quoted", "narrator", "narrator", "quoted", "narrator"],
               ["negative", "neutral", "positive", "neutral", "negative", "neutral"])
    machine = pd.DataFrame({"unit_id": a["unit_id"], "workbook_voice": a["voice"], "workbook_speaker": "none",
                            "workbook_frame": a["frame"], "workbook_tone": a["tone"]})
    result = agreement.compare([a, b], workbook=machine, n_boot=100)
    rows = result.alphas.set_index(["variable", "comparison"])
    # ana's codes are the workbook's: perfect agreement
    assert rows.loc[("voice", "ana vs workbook"), "alpha"] == pytest.approx(1.0)
    # ben differs from ana on one voice of six: the same value as alpha of those two rows directly
    expected = agreement.alpha([[0, 1, 1, 0, 1, 0], [0, 1, 0, 0, 1, 0]], level="nominal")
    assert rows.loc[("voice", "coders"), "alpha"] == pytest.approx(expected)
    assert rows.loc[("tone", "coders"), "level"] == "ordinal"
    confusion = result.confusion["voice"]
    assert confusion.loc["quoted", "narrator"] == 1 and confusion.loc["narrator", "narrator"] == 3
    differ = result.disagreements
    assert set(differ["unit_id"]) == {"a/s2", "a/s3"}
    assert set(differ["variable"]) == {"voice", "tone"}


def test_report_escapes_unit_text(tmp_path):
    a = _sheet("ana", ["narrator", "quoted"] * 3, ["negative"] * 6)
    b = _sheet("ben", ["quoted", "quoted"] * 3, ["negative"] * 6)
    a.loc[0, "text"] = "<script>alert(1)</script>"
    result = agreement.compare([a, b], n_boot=50)
    page = agreement.report(result, tmp_path / "agreement.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "Confusion: voice" in page


def test_speaker_names_agree_through_the_alias_table():
    speaker = next(v for v in coding.variables("sentence") if v.name == "speaker")
    assert coding.normalise("Pyongyang", variable=speaker) == coding.normalise("North Korea", variable=speaker)
    assert coding.normalise("the ministry ", variable=speaker) == "ministry"
