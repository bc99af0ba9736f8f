"""Tests for analysis.workers: the spawned worker pool both stages use, and errors sent back from workers."""
from __future__ import annotations

import os
import threading
import time

import pytest

from analysis import workers

_STATE: dict = {}


def _setup(tag: str) -> None:
    _STATE["tag"] = tag


def _echo_after(delay: float, value: int) -> tuple[int, str, int]:
    """``value`` after ``delay`` seconds, with what ``_setup`` left in this worker and the worker's pid."""
    time.sleep(delay)
    if value < 0:
        raise ValueError(f"job {value} failed")
    return value, _STATE["tag"], os.getpid()


def test_results_come_back_in_job_order_whatever_finishes_first():
    # The first job is slow: the other worker finishes the later ones first, and they still come back in order.
    jobs = [(0.6, 0), (0.0, 1), (0.0, 2), (0.0, 3), (0.0, 4), (0.0, 5)]
    out = list(workers.ordered(jobs, work=_echo_after, start=_setup, initargs=("ready",), processes=2))
    assert [value for value, _, _ in out] == [0, 1, 2, 3, 4, 5]
    assert {tag for _, tag, _ in out} == {"ready"}  # every worker was set up before its first job
    assert len({pid for _, _, pid in out}) == 2 and os.getpid() not in {pid for _, _, pid in out}


def test_jobs_are_taken_lazily_and_a_failing_job_raises_in_its_turn():
    taken = []

    def jobs():
        for k in (1, 2, -3, 4, 5, 6, 7, 8, 9, 10):
            taken.append(k)
            yield 0.0, k

    results = workers.ordered(jobs(), work=_echo_after, start=_setup, initargs=("x",), processes=1, ahead=2)
    assert [next(results)[0], next(results)[0]] == [1, 2]
    assert len(taken) <= 4  # two out at once, and one more for each result taken
    with pytest.raises(ValueError, match="job -3 failed"):
        next(results)


class _Unpicklable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.lock = threading.Lock()  # a lock cannot be pickled


def test_an_error_that_cannot_be_pickled_comes_back_as_its_type_and_message():
    plain = ValueError("bad article")
    assert workers.portable(plain) is plain
    sent = workers.portable(_Unpicklable("no parse"))
    assert isinstance(sent, RuntimeError) and str(sent) == "_Unpicklable: no parse"


def test_this_process_takes_jobs_too_when_given_its_own_work():
    _setup("here")  # this process's set-up, as a stage does before handing it its local work
    jobs = [(0.3, k) for k in range(8)]
    out = list(workers.ordered(jobs, work=_echo_after, start=_setup, initargs=("worker",), processes=2,
                               local=_echo_after))
    assert [value for value, _, _ in out] == list(range(8))
    by = {pid: tag for _, tag, pid in out}
    assert len(by) == 2 and by[os.getpid()] == "here"  # one worker started, and this process worked alongside
    assert list(workers.ordered(jobs[:2], work=_echo_after, start=_setup, initargs=(), processes=1,
                                local=_echo_after)) == [(0, "here", os.getpid()), (1, "here", os.getpid())]


def test_chunks_cover_the_corpus_in_order_and_shrink_at_the_end_for_workers():
    one = workers.chunks(1000, 63)
    assert one[0] == (0, 63) and one[-1] == (945, 1000) and len(one) == 16
    two = workers.chunks(1000, 63, processes=2)
    assert [a for a, _ in two[1:]] == [b for _, b in two[:-1]] and two[0][0] == 0 and two[-1][1] == 1000
    sizes = [b - a for a, b in two]
    assert sizes[:13] == [63] * 13 and max(sizes[-8:]) == 16  # the last two chunks' worth in quarters
    assert workers.chunks(30, 20, processes=2) == [(0, 5), (5, 10), (10, 15), (15, 20), (20, 25), (25, 30)]
    assert workers.chunks(0, 20, processes=2) == [] == workers.chunks(0, 20)


def _mark_after(delay: float, value: int, folder: str) -> int:
    """Fails at once for a negative ``value``; else leaves a file named ``value`` in ``folder`` after ``delay`` s."""
    if value < 0:
        raise ValueError(f"job {value} failed")
    time.sleep(delay)
    with open(os.path.join(folder, str(value)), "w") as done:
        done.write("ran")
    return value


def test_after_a_failing_job_the_jobs_no_worker_has_taken_never_run(tmp_path):
    jobs = [(0.0, -1, str(tmp_path))] + [(0.3, k, str(tmp_path)) for k in range(6)]
    with pytest.raises(ValueError, match="job -1 failed"):
        list(workers.ordered(jobs, work=_mark_after, start=_setup, initargs=("x",), processes=1, ahead=7))
    # The job the worker took next, and the two concurrent.futures had already queued for it, may run; the other
    # three were cancelled (all six used to run before the error reached the caller).
    assert len(os.listdir(tmp_path)) <= 3


class _Heavy:
    """Stands for the spaCy pipeline: cannot be pickled (a lock), and knows which process made it."""

    def __init__(self, name: str):
        self.name, self.pid, self.lock = name, os.getpid(), threading.Lock()


_MADE: dict = {}


def _make(name: str) -> _Heavy:
    return _MADE.setdefault(name, _Heavy(name))


def _keep(heavy) -> None:
    _STATE["heavy"] = heavy


def _read(k: int) -> tuple[str, bool, int]:
    return _STATE["heavy"].name, _STATE["heavy"].pid == os.getpid(), len(_MADE)


def test_an_object_registered_by_reference_is_made_by_each_worker_not_pickled():
    heavy = _make("model-a")
    workers.by_reference(heavy, _make, "model-a")
    out = list(workers.ordered([(k,) for k in range(4)], work=_read, start=_keep, initargs=(heavy,), processes=2))
    assert set(out) == {("model-a", True, 1)}  # made in the worker, once


class _Picklable:
    def __init__(self, name: str, pipes: tuple):
        self.name, self.pipes = name, pipes


def _pipes(k: int) -> tuple:
    return _STATE["heavy"].pipes


def test_a_registered_object_changed_after_loading_is_pickled_as_it_is_now():
    made = _Picklable("model-b", ("tagger",))
    workers.by_reference(made, _Picklable, "model-b", ("tagger",), state=lambda obj: obj.pipes)
    made.pipes = ("tagger", "custom")  # a notebook added a component: a fresh load would lack it
    out = list(workers.ordered([(k,) for k in range(2)], work=_pipes, start=_keep, initargs=(made,), processes=1))
    assert out == [("tagger", "custom")] * 2
