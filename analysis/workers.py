"""Worker processes for the per-article work of the tagging and rhetoric stages.

Both stages cut the corpus into chunks of articles and, with more than one process, hand the chunks to spawned
worker processes that each set up once (the spaCy pipeline, the matchers) and then take chunk after chunk.
``ordered`` is that pool: results come back in the order of the chunks, whatever order the workers finish them
in, so a stage's tables do not depend on the number of processes. ``portable`` makes an article's error safe to
send back to the parent process.

The workers are kept from one call to the next while calls follow each other (``IDLE_SECONDS``): in a run, the
rhetoric stage's scan uses the tagging stage's workers, which have loaded the spaCy pipeline already
(``by_reference``); each call sends only its own set-up (the alias matcher, the phrase matchers).

Workers are started with ``spawn``, not ``fork``: a forked child would copy the parent's threads (a Jupyter
kernel has several) and open files. A script that runs a stage with more than one process therefore needs an
``if __name__ == "__main__":`` guard.
"""
from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator

log = logging.getLogger(__name__)

AHEAD = 3
"""Chunks handed out per worker beyond the ones the parent is waiting for: enough that a worker never idles
while the parent waits for a slower chunk before it, few enough that finished chunks waiting to be taken in
order hold little memory."""


TAIL_SPLIT = 4


def chunks(n: int, size: int, *, processes: int = 1) -> list[tuple[int, int]]:
    """``(start, end)`` of each chunk of a corpus of ``n`` articles, in order: ``size`` articles each. With more
    than one process, the last ``processes`` chunks' worth come in pieces a ``TAIL_SPLIT``-th of that size: a
    process that runs out of chunks then waits for the others a short piece at most, not a whole chunk (on two
    processes with chunks of a sixteenth of the corpus, one core would idle for half a chunk on average, about
    3 % of the stage)."""
    cut = max(0, n - processes * size) if processes > 1 else n
    piece = max(1, -(-size // TAIL_SPLIT))
    return ([(k, min(k + size, cut)) for k in range(0, cut, size)]
            + [(k, min(k + piece, n)) for k in range(cut, n, piece)])


def ordered(jobs: Iterable[tuple], *, work: Callable, start: Callable, initargs: tuple, processes: int,
            ahead: int = AHEAD, local: Callable | None = None) -> Iterator:
    """``work(*job)`` for every job in ``processes`` processes, yielded in the order of ``jobs``.

    The worker processes are the kept pool (``pool``); each runs ``start(*initargs)`` once before its first job
    of this call (``initargs`` are pickled once, here; an object registered with ``by_reference``, such as the
    spaCy pipeline, is loaded by the worker itself, once per worker, instead). With ``local`` (this process's own
    equivalent of ``work``, already set up), this process is one of the ``processes``: it takes the next job
    itself whenever the result it must yield next is not ready, so only ``processes - 1`` workers are used (one
    start-up and one copy of the pipeline fewer) and no core idles while this process waits. ``jobs`` is consumed
    lazily, at most ``ahead`` jobs per worker out at once, so neither the jobs nor their results pile up, however
    long the corpus. ``work`` and ``start`` must be module-level functions. An exception raised by a job is raised
    here (a worker's when its turn comes); the jobs queued but not started are then cancelled and the pool shut
    down (it waits for the running ones).
    """
    spawned = processes - 1 if local is not None else processes
    if spawned < 1:
        yield from (local(*job) for job in jobs) if local is not None else ()
        return
    with _Setup(start, initargs) as setup, _borrowed(spawned) as executor:
        todo = iter(jobs)
        pending: collections.deque = collections.deque(  # (future, whether this process did the job)
            (executor.submit(_call, setup.ref, work, job), False) for job in itertools.islice(todo, ahead * spawned))
        try:
            while pending:
                head, here = pending[0]
                if local is not None and not head.done():
                    job = next(todo, None)
                    if job is not None:  # work here while the workers work
                        pending.append((_done(local(*job)), True))
                        continue
                pending.popleft()
                if not here:  # a worker is free: hand it the next job
                    pending.extend((executor.submit(_call, setup.ref, work, job), False)
                                   for job in itertools.islice(todo, 1))
                yield head.result()
        except Exception:
            _cancel(pending)
            close()  # a worker may be left in any state by the error: the next stage starts fresh ones
            raise
        finally:  # a caller that stops early: the jobs no worker has taken yet never start
            _cancel(pending)


def _cancel(pending: collections.deque) -> None:
    for future, _ in pending:
        future.cancel()


def _done(result) -> concurrent.futures.Future:
    """A job done in this process, as a finished future in the queue of the workers' futures."""
    future = concurrent.futures.Future()
    future.set_result(result)
    return future


# ------------------------------------------------------------------------------------ the kept pool

IDLE_SECONDS = 120.0
"""The kept pool is shut down once it has been idle this long. The stages of a run follow one another within
seconds, so the rhetoric stage's scan gets the tagging stage's workers, spaCy pipeline already loaded (a worker's
start-up is 2-4 CPU s: a fresh interpreter, the imports, the pipeline); a stage run by hand in JupyterLab does not
hold its workers' memory (a pipeline each, several hundred MB) for the rest of the session."""

_KEPT: dict = {}  # "executor", "size", "users", "timer"
_LOCK = threading.Lock()


@contextlib.contextmanager
def _borrowed(spawned: int) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """The kept pool of ``spawned`` workers (started, or restarted at another size, as needed) for one call."""
    with _LOCK:
        _stop_timer()
        executor = _KEPT.get("executor")
        if executor is not None and (_KEPT["size"] != spawned or _broken(executor)):
            _shutdown()
            executor = None
        if executor is None:
            context = multiprocessing.get_context("spawn")  # fork would copy the parent's threads and open files
            executor = concurrent.futures.ProcessPoolExecutor(spawned, mp_context=context)
            _KEPT.update(executor=executor, size=spawned, users=0)
        _KEPT["users"] += 1
    try:
        yield executor
    finally:
        with _LOCK:
            if _KEPT.get("executor") is executor:
                _KEPT["users"] -= 1
                if not _KEPT["users"]:
                    _KEPT["timer"] = timer = threading.Timer(IDLE_SECONDS, _expire)
                    timer.daemon = True
                    timer.start()


def close() -> None:
    """Shut the kept worker processes down now (waiting for jobs they are running); the next call of
    ``ordered`` starts new ones. A run does it after its last stage."""
    with _LOCK:
        _stop_timer()
        _shutdown()


atexit.register(close)  # before the interpreter tears its modules down under the executor's callbacks


def _expire() -> None:
    with _LOCK:
        if _KEPT.get("timer") is threading.current_thread() and not _KEPT.get("users"):
            _KEPT.pop("timer")
            _shutdown()


def _stop_timer() -> None:
    timer = _KEPT.pop("timer", None)
    if timer is not None:
        timer.cancel()


def _shutdown() -> None:
    executor = _KEPT.pop("executor", None)
    _KEPT.pop("users", None)
    _KEPT.pop("size", None)
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


def _broken(executor: concurrent.futures.ProcessPoolExecutor) -> bool:
    """True when a worker died (killed, out of memory): the executor then refuses every job."""
    return bool(getattr(executor, "_broken", False))


# ------------------------------------------------------------------------------------ set-ups

_SHARED: dict[int, tuple] = {}


def by_reference(obj, loader: Callable, *args, state: Callable | None = None) -> None:
    """Send ``obj`` to workers as ``loader(*args)``, which each worker calls once, instead of a pickled copy.

    For objects that are costly to pickle and that a worker can make as well itself (``analysis.models.load``
    registers the spaCy pipelines it loads: a worker loads the model from disk, and keeps it for the next stage's
    set-up). ``loader`` must be a module-level function that returns the same object for the same ``args`` within
    a process. ``state(obj)``, if given, is what a change to ``obj`` after loading would change (a pipeline's
    components): once it differs from its value now, ``obj`` is pickled after all, so a worker never works with
    an object other than the caller's."""
    # obj is held here, so its id is never reused while registered
    _SHARED[id(obj)] = (obj, loader, args, state, state(obj) if state is not None else None)


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        shared = _SHARED.get(id(obj))
        if shared is None or shared[0] is not obj:
            return None
        _, loader, args, state, then = shared
        return (loader, args) if state is None or state(obj) == then else None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        loader, args = pid
        return loader(*args)


class _Setup:
    """A call's ``start(*initargs)``, pickled once into a file that workers read (``ref`` names it in each job)."""

    def __init__(self, start: Callable, initargs: tuple):
        self.start, self.initargs = start, initargs

    def __enter__(self) -> _Setup:
        fd, path = tempfile.mkstemp(prefix="framing-setup-", suffix=".pickle")
        with os.fdopen(fd, "wb") as out:
            _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump((self.start, self.initargs))
        self.ref = (uuid.uuid4().hex, path, os.getcwd())  # the cwd: a relative data_dir means the caller's
        return self

    def __exit__(self, *exc) -> None:
        os.unlink(self.ref[1])


_READY: set[str] = set()  # in a worker: the set-ups it has run


def _call(ref: tuple[str, str, str], work: Callable, job: tuple):
    """In a worker: run the set-up ``ref`` names if this worker has not yet, then ``work(*job)``."""
    key, path, cwd = ref
    if key not in _READY:
        os.chdir(cwd)
        with open(path, "rb") as setup:
            start, initargs = _Unpickler(setup).load()
        start(*initargs)
        # What the set-up made (the pipeline, the matchers) lives as long as the worker: frozen, the collector's
        # full passes no longer walk it (as analysis.kernel does in a stage's kernel; about 3 % of a worker's CPU).
        gc.collect()
        gc.freeze()
        _READY.add(key)
    return work(*job)


def portable(err: Exception) -> Exception:
    """``err`` if it survives pickling back to the parent, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:  # noqa: BLE001 - any exception may be unpicklable
        return RuntimeError(f"{type(err).__name__}: {err}")
