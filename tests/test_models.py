"""The spaCy pipeline's sentence starts around line breaks and quote marks (issue #10, section 1)."""
from __future__ import annotations

import pytest

from analysis import models


def sentences(nlp, text: str) -> list[str]:
    return [s.text.strip() for s in nlp(text).sents if s.text.strip()]


def test_load_returns_the_same_pipeline_with_the_sentence_component(nlp):
    assert models.load("en_core_web_sm") is nlp
    assert nlp.pipe_names.index("paragraph_sentences") < nlp.pipe_names.index("parser")


def test_a_closing_mark_belongs_to_the_sentence_it_closes(nlp):
    text = '"We ask every side to show restraint. We think it is important that we keep talking." Officials met.'
    assert sentences(nlp, text) == ['"We ask every side to show restraint.',
                                    'We think it is important that we keep talking."', "Officials met."]


@pytest.mark.parametrize("mark", ['"', "”", "»"])
def test_no_sentence_is_a_lone_quote_mark(nlp, mark):
    opening = {"»": "«"}.get(mark, '"' if mark == '"' else "“")
    text = f"The talks ended. {opening}We are done. Nothing is left.{mark} The envoy left the room on Monday."
    found = sentences(nlp, text)
    assert all(any(c.isalnum() for c in s) for s in found), found
    assert any(s.endswith(f"left.{mark}") for s in found), found


@pytest.mark.parametrize("end", ["!", "?"])
def test_a_quote_ending_in_bang_or_question_stays_with_its_attribution(nlp, end):
    text = f'The envoy arrived. "Do not worry about an Asian NATO{end}", the envoy said. Talks followed.'
    assert sentences(nlp, text) == ["The envoy arrived.", f'"Do not worry about an Asian NATO{end}", the envoy said.',
                                    "Talks followed."]
    text = f'"Why would anyone worry about an Asian NATO{end}" asked the envoy. Talks followed.'
    assert sentences(nlp, text)[0] == f'"Why would anyone worry about an Asian NATO{end}" asked the envoy.'


def test_a_line_break_still_starts_a_sentence(nlp):
    assert sentences(nlp, "North Korea slams drills\nPyongyang said on Monday it would respond.") == [
        "North Korea slams drills", "Pyongyang said on Monday it would respond."]


def test_processes_follow_the_cores_memory_and_corpus(monkeypatch, caplog):
    import logging

    gib = 2**30
    monkeypatch.setattr(models.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(models.psutil, "virtual_memory", lambda: type("Memory", (), {"available": 16 * gib})())
    with caplog.at_level(logging.INFO, logger="analysis.models"):
        assert models.processes(0) == 4
    assert "4 core(s)" in caplog.text
    assert models.processes(0, texts=5_000) == 4
    # a small corpus stays in one process: starting another costs more than it saves
    assert models.processes(0, texts=5) == 1
    assert models.processes(0, texts=2 * models.TEXTS_PER_PROCESS) == 2
    # memory for two processes only
    monkeypatch.setattr(models.psutil, "virtual_memory",
                        lambda: type("Memory", (), {"available": 2 * models.PROCESS_BYTES + 1})())
    assert models.processes(0, texts=5_000) == 2
    monkeypatch.setattr(models.psutil, "virtual_memory", lambda: type("Memory", (), {"available": 1})())
    assert models.processes(0, texts=5_000) == 1
    # a number asked for is used as it is
    assert models.processes(3, texts=5) == 3
    with pytest.raises(ValueError, match="n_process must be 0"):
        models.processes(-1)


def test_worker_processes_are_sent_a_loaded_models_name_not_the_model(nlp):
    import io
    import pickle

    from analysis import workers

    def sent(obj) -> bytes:
        out = io.BytesIO()
        workers._Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        return out.getvalue()

    assert len(sent((nlp, "aliases.yaml"))) < 500  # the name: each worker loads the model itself, once
    nlp.max_length += 1  # a notebook changed the pipeline: workers get it as it is now
    try:
        assert len(sent(nlp)) > 1_000_000
    finally:
        nlp.max_length -= 1
    assert len(sent(nlp)) < 500
