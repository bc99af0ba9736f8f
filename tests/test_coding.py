"""Hand coding: reproducible stratified samples, sheets that round-trip, clear errors, and the CLI end to end."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analysis import agreement, coding


def test_quotas_give_every_stratum_a_unit_then_follow_size():
    quotas = coding._quotas({"a": 50, "b": 30, "c": 15, "d": 5}, 20)
    assert sum(quotas.values()) == 20
    assert all(q >= 1 for q in quotas.values())
    assert quotas["a"] > quotas["b"] > quotas["c"] >= quotas["d"]
    # fewer units than strata: the largest strata get one each
    assert coding._quotas({"a": 5, "b": 3, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    # proportional beyond the first unit, and never more units than a stratum has
    assert coding._quotas({"a": 2, "b": 100}, 50) == {"a": 1, "b": 49}
    assert coding._quotas({"a": 2, "b": 3}, 5) == {"a": 2, "b": 3}


def test_tone_uses_vaders_thresholds():
    assert [coding.tone(x) for x in (-0.5, -0.05, 0.0, 0.049, 0.05)] == \
        ["negative", "negative", "neutral", "neutral", "positive"]


@pytest.fixture(scope="module")
def data_dir(seed_run):
    return seed_run / "data"


def test_sample_is_reproducible_and_stratified(data_dir):
    one = coding.sample(data_dir, unit="sentence", n=20, seed=7)
    assert one.equals(coding.sample(data_dir, unit="sentence", n=20, seed=7))
    assert not one["unit_id"].equals(coding.sample(data_dir, unit="sentence", n=20, seed=8)["unit_id"])
    assert len(one) == 20 and one["unit_id"].is_unique
    pool = coding.units(data_dir, unit="sentence")
    assert set(one["outlet"]) == set(pool["outlet"])  # every outlet is in the sample
    assert set(one["unit_id"]) <= set(pool["unit_id"])
    assert list(one.columns) == list(coding.INFO_COLUMNS) + ["voice", "speaker", "frame", "tone", "coder", "note"]
    assert (one[["voice", "speaker", "frame", "tone"]] == "").all().all()
    row = pool.set_index("unit_id").loc[one["unit_id"].iloc[0]]
    assert f"[[ {row['text']} ]]" in row["context"]


@pytest.mark.parametrize("unit, codes", [("hit", ["voice", "speaker"]), ("quote", ["speaker", "stance"])])
def test_hit_and_quote_units(data_dir, unit, codes):
    sheet = coding.sample(data_dir, unit=unit, n=8, seed=1)
    assert len(sheet) == 8 and all(c in sheet for c in codes)
    assert all("[[ " in c for c in sheet["context"])
    known = coding.units(data_dir, unit=unit)
    assert known[f"workbook_{codes[1]}"].isin(
        next(v for v in coding.variables(unit) if v.name == codes[1]).codes or known[f"workbook_{codes[1]}"]).all()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_sheets_round_trip(data_dir, tmp_path, suffix):
    sheet = coding.sample(data_dir, unit="quote", n=6, seed=2)
    sheet.loc[0, "speaker"] = "Pyongyang, “the ministry”"
    path, book = coding.write_sheet(sheet, tmp_path / f"sheet{suffix}")
    back = coding.read_sheet(path)
    pd.testing.assert_frame_equal(back, sheet.astype(str).apply(lambda c: c.str.strip()))
    assert "## stance (nominal)" in book.read_text(encoding="utf-8")


def _framing(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], capture_output=True, text=True, timeout=600)


def test_sample_and_agreement_end_to_end(data_dir, tmp_path):
    blank = tmp_path / "blank.csv"
    proc = _framing("sample", "--out", str(blank), "--n", "16", "--seed", "3", "--data", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "blank.codebook.md").is_file()
    sheet = coding.read_sheet(blank)
    # Coder "ana" reads each sentence for quote marks or a reporting verb; coder "ben" codes the same sentences
    # in a spreadsheet and, reading the context, calls every sentence with "said" or "according to" quoted too.
    marks = sheet["text"].str.contains(r"[\"“”]", regex=True)
    reporting = sheet["text"].str.contains(r"\b(?:said|says|claimed|according to|accused|stated)\b", regex=True)
    ana = sheet.assign(voice=np.where(marks, "quoted", "narrator"), coder="ana",
                       tone=np.where(sheet["text"].str.contains(r"threat|hostil|aggress|war", case=False),
                                     "negative", "neutral"))
    ben = sheet.assign(voice=np.where(marks | reporting, "quoted", "narrator"), coder="ben")
    ben.loc[ben.index[:4], "tone"] = ["negative", "neutral", "negative", "positive"]
    ana.to_csv(tmp_path / "ana.csv", index=False)
    ben.to_excel(tmp_path / "ben.xlsx", index=False)
    report = tmp_path / "agreement.html"
    proc = _framing("agreement", str(tmp_path / "ana.csv"), str(tmp_path / "ben.xlsx"), "--against-tagger",
                    "--data", str(data_dir), "--out", str(report), "--n-boot", "200")
    assert proc.returncode == 0, proc.stderr
    assert "ana vs workbook" in proc.stdout and "coders" in proc.stdout
    page = report.read_text(encoding="utf-8")
    assert "Confusion: voice" in page and "Units where codes differ" in page
    # The alpha the command reports is the alpha of the codes, computed here from the tables directly.
    machine = coding.units(data_dir, unit="sentence").set_index("unit_id").loc[sheet["unit_id"], "workbook_voice"]
    order = {"narrator": 0, "quoted": 1}
    direct = agreement.alpha([ana["voice"].map(order).to_numpy(), machine.map(order).to_numpy()])
    sheets, known = agreement.load([tmp_path / "ana.csv", tmp_path / "ben.xlsx"], data_dir=data_dir)
    result = agreement.compare(sheets, workbook=known, n_boot=50)
    got = result.alphas.set_index(["variable", "comparison"]).loc[("voice", "ana vs workbook"), "alpha"]
    assert got == pytest.approx(direct, nan_ok=True)
    differ = result.disagreements[result.disagreements["variable"] == "voice"]
    voices = pd.DataFrame({"ana": ana["voice"].to_numpy(), "ben": ben["voice"].to_numpy(), "workbook": machine.to_numpy()})
    assert set(differ["unit_id"]) == set(sheet["unit_id"][voices.nunique(axis=1).to_numpy() > 1])


@pytest.mark.parametrize("spoil, message", [
    (lambda s: s.drop(columns=["voice"]), "missing code column"),
    (lambda s: s.assign(voice=["narrator", "Quoted"] + [""] * (len(s) - 2)), r"row 3 .*'Quoted'.*did you mean 'quoted'"),
    (lambda s: s.assign(unit_id=list(s["unit_id"][:3]) + ["nowhere/s999"] + list(s["unit_id"][4:])),
     r"row 5 \(unit nowhere/s999\): the unit is not in the sample"),
    (lambda s: s.assign(unit_id=[s["unit_id"][0]] * len(s)), r"row 3 .*coded twice \(also row 2\)"),
    (lambda s: s.assign(frame=["Securty_and_defense"] + [""] * (len(s) - 1)), r"row 2 .*frame 'Securty_and_defense'"),
])
def test_malformed_sheets_name_the_row(data_dir, tmp_path, spoil, message):
    sheet = spoil(coding.sample(data_dir, unit="sentence", n=8, seed=5))
    sheet.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(coding.SheetError, match=message):
        agreement.load([tmp_path / "bad.csv"], data_dir=data_dir)
    proc = _framing("agreement", str(tmp_path / "bad.csv"), "--against-tagger", "--data", str(data_dir),
                    "--out", str(tmp_path / "a.html"))
    assert proc.returncode == 2 and "bad.csv" in proc.stderr


def test_sheets_of_different_samples_are_refused(data_dir, tmp_path):
    coding.sample(data_dir, unit="sentence", n=8, seed=5).to_csv(tmp_path / "a.csv", index=False)
    coding.sample(data_dir, unit="sentence", n=8, seed=6).assign(coder="b").to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(coding.SheetError, match="differs from"):
        agreement.load([tmp_path / "a.csv", tmp_path / "b.csv"], data_dir=data_dir)


def test_sample_refuses_an_unknown_format_and_a_missing_run(tmp_path):
    proc = _framing("sample", "--out", str(tmp_path / "sheet.txt"), "--data", str(tmp_path))
    assert proc.returncode == 2 and "write a coding sheet as .csv or .xlsx" in proc.stderr
    proc = _framing("sample", "--out", str(tmp_path / "sheet.csv"), "--data", str(tmp_path / "none"))
    assert proc.returncode == 2 and "run the 'ingest' stage first" in proc.stderr
