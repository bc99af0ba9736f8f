"""Tests for analysis.files: atomic writes."""
from __future__ import annotations

import os
import threading

import pytest

from analysis import files


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "records.json"
    path.write_text("old", encoding="utf-8")
    assert files.write_text(path, "new ✓", durable=True) == path
    assert path.read_text(encoding="utf-8") == "new ✓" and os.listdir(tmp_path) == ["records.json"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~files.umask()  # the user's usual mode, not mkstemp's 0600


def test_writers_of_one_path_on_several_threads_never_leave_a_mixed_file(tmp_path):
    path = tmp_path / "aliases.yaml"
    texts = [str(k) * 100_000 for k in range(8)]
    threads = [threading.Thread(target=files.write_text, args=(path, t)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert path.read_text(encoding="utf-8") in texts and os.listdir(tmp_path) == ["aliases.yaml"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary_file(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        files.write_text(path, "half \udc80")  # a lone surrogate cannot be written as UTF-8
    assert path.read_text(encoding="utf-8") == "old" and os.listdir(tmp_path) == ["page.html"]
