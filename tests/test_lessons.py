"""Lessons: each has the required structure, all run headless, and both editions render (answers only for teachers)."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from analysis import cards, coding, lessons

ANSWER_LABEL = "Answer (teacher edition)"
# A sentence of lesson 5's answer cell: present in the teacher edition only.
ANSWER_TEXT = "Typical cases: reported views without"


def test_five_lessons_with_the_required_structure():
    found = lessons.all_lessons()
    assert [p.stem[:2] for p in found] == ["01", "02", "03", "04", "05"]
    for path in found:
        nb = nbformat.read(str(path), as_version=4)
        assert lessons.structure(nb) == [], path.name
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
        for call in [c.source for c in nb.cells if "cards.show(" in c.source]:
            cards.card(call.split('"')[1])  # every card a lesson shows exists


def test_structure_reports_what_is_missing():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("data_dir = '../data'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("def helper():\n    return 1")]
    problems = "\n".join(lessons.structure(nb))
    for missing in ("name: type = literal", "Goals", "cannot tell", "prediction revealed", "exercise check",
                    "method card", "answer", "def/class"):
        assert missing in problems


def test_checks_grade_without_giving_the_answer(seed_run):
    data_dir = seed_run / "data"
    right = lessons.answer("quotes_without_speaker", data_dir=data_dir)
    assert lessons.grade(right, "quotes_without_speaker", data_dir=data_dir) == "right"
    assert lessons.grade(right + 1, "quotes_without_speaker", data_dir=data_dir) == "not yet"
    assert lessons.grade(None, "quotes_without_speaker", data_dir=data_dir) == "unanswered"
    wrong = lessons.check(right + 7, "quotes_without_speaker", data_dir=data_dir).data
    assert "Not yet" in wrong and f">{right}<" not in wrong and f" {right}." not in wrong
    assert lessons.grade(0.815, "example_ordinal", data_dir=data_dir) == "right"
    assert lessons.grade(" SECURITY_AND_DEFENSE ", "top_frame", data_dir=data_dir) == \
        ("right" if lessons.answer("top_frame", data_dir=data_dir) == "Security_and_defense" else "not yet")


def test_framing_lessons_student_edition(seed_run):
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "lessons", "--out", str(seed_run),
                           "--edition", "student"], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    folder = seed_run / "lessons"
    assert (folder / "index.html").is_file() and (folder / cards.PAGE).is_file()
    for path in lessons.all_lessons():
        page = (folder / f"{path.stem}.html").read_text(encoding="utf-8")
        assert ANSWER_LABEL not in page and ANSWER_TEXT not in page
        assert "Content-Security-Policy" in page and "fw-card" in page  # the method card is rendered in
        assert "Traceback" not in page
        nb = nbformat.read(str(folder / "notebooks" / path.name), as_version=4)
        assert not [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")  # the student runs it
        assert str(seed_run / "data") in "".join(c.source for c in nb.cells)  # set to this run's tables
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{p.stem}.html"' in index for p in lessons.all_lessons())


def test_teacher_edition_and_a_coded_sheet(seed_run, tmp_path):
    data_dir = seed_run / "data"
    sheet = coding.sample(data_dir, unit="sentence", n=12, seed=1)
    machine = coding.units(data_dir, unit="sentence").set_index("unit_id").loc[sheet["unit_id"], "workbook_voice"]
    coded = sheet.assign(voice=machine.to_numpy(), coder="student")
    coded.loc[coded.index[0], "voice"] = "quoted" if coded["voice"].iloc[0] == "narrator" else "narrator"
    coded.to_csv(tmp_path / "coded.csv", index=False)
    path = next(p for p in lessons.all_lessons() if p.stem.startswith("05"))
    nb = lessons.run_one(path, data_dir, tmp_path / "notebooks", edition="teacher",
                         parameters={"coded_sheet": str(tmp_path / "coded.csv")})
    teacher = lessons.render(nb, tmp_path / "teacher.html", edition="teacher", title="Lesson 5").read_text("utf-8")
    student = lessons.render(nb, tmp_path / "student.html", edition="student", title="Lesson 5").read_text("utf-8")
    assert ANSWER_LABEL in teacher and ANSWER_TEXT in teacher
    assert ANSWER_LABEL not in student and ANSWER_TEXT not in student
    assert "student vs workbook" in teacher  # the coded sheet was compared with the workbook
    computed = [c for c in nb.cells if c.cell_type == "code" and 'MISSING_EXAMPLE, level="nominal"), 3)' in c.source]
    assert computed[0].outputs[0]["data"]["text/plain"] == "0.743"  # Krippendorff's example, computed in the lesson
    with pytest.raises(ValueError, match="edition"):
        lessons.for_edition(nb, edition="parent")
