"""Worker processes for the per-article work of the tagging and rhetoric stages.

Both stages cut the corpus into chunks of articles and, with more than one process, hand the chunks to spawned
worker processes that each set up once (the spaCy pipeline, the matchers) and then take chunk after chunk.
``ordered`` is that pool: results come back in the order of the chunks, whatever order the workers finish them
in, so a stage's tables do not depend on the number of processes. ``portable`` makes an article's error safe to
send back to the parent process.

Workers are started with ``spawn``, not ``fork``: a forked child would copy the parent's threads (a Jupyter
kernel has several) and open files. A script that runs a stage with more than one process therefore needs an
``if __name__ == "__main__":`` guard.
"""
from __future__ import annotations

import collections
import concurrent.futures
import gc
import io
import itertools
import logging
import multiprocessing
import pickle
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

    Worker processes are spawned; each runs ``start(*initargs)`` once before its first job (``initargs`` are
    pickled once, here; an object registered with ``by_reference``, such as a spaCy pipeline, is made by each
    worker itself instead). With ``local`` (this process's own equivalent of ``work``, already set up), this process
    is one of the ``processes``: it takes the next job itself whenever the result it must yield next is not
    ready, so only ``processes - 1`` workers are started (one start-up and one copy of the pipeline fewer) and no
    core idles while this process waits. ``jobs`` is consumed lazily, at most ``ahead`` jobs per worker out at
    once, so neither the jobs nor their results pile up, however long the corpus. ``work`` and ``start`` must be
    module-level functions. An exception raised by a job is raised here (a worker's when its turn comes); the
    jobs queued but not started are then cancelled and the pool shut down (it waits for the running ones).
    """
    spawned = processes - 1 if local is not None else processes
    if spawned < 1:
        yield from (local(*job) for job in jobs) if local is not None else ()
        return
    context = multiprocessing.get_context("spawn")  # fork would copy the parent's threads and open files
    setup = _pickled((start, initargs))  # once, not once per worker
    with concurrent.futures.ProcessPoolExecutor(spawned, mp_context=context, initializer=_setup,
                                                initargs=(setup,)) as pool:
        todo = iter(jobs)
        pending: collections.deque = collections.deque(  # (future, whether this process did the job)
            (pool.submit(work, *job), False) for job in itertools.islice(todo, ahead * spawned))
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
                    pending.extend((pool.submit(work, *job), False) for job in itertools.islice(todo, 1))
                yield head.result()
        finally:  # an error, or a caller that stops early: the jobs no worker has taken yet never start
            for future, _ in pending:
                future.cancel()


def _done(result) -> concurrent.futures.Future:
    """A job done in this process, as a finished future in the queue of the workers' futures."""
    future = concurrent.futures.Future()
    future.set_result(result)
    return future


_SHARED: dict[int, tuple] = {}


def by_reference(obj, loader: Callable, *args, state: Callable | None = None) -> None:
    """Send ``obj`` to workers as ``loader(*args)``, which each worker calls itself, instead of a pickled copy.

    For objects that are costly to pickle and that a worker can as well make itself: ``analysis.models.load``
    registers the spaCy pipelines it loads, so a worker loads the model from disk by its name (as fast as
    unpickling it, and the parent no longer spends the time and memory of pickling tens of MB for every stage).
    ``loader`` must be a module-level function. ``state(obj)``, if given, is what a change to ``obj`` after loading
    would change (a pipeline's components): once it differs from its value now, ``obj`` is pickled after all, so a
    worker never works with an object other than the caller's."""
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


def _pickled(obj) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return out.getvalue()


def _setup(setup: bytes) -> None:
    start, initargs = _Unpickler(io.BytesIO(setup)).load()
    start(*initargs)
    # What the set-up made (the pipeline, the matchers) lives as long as the worker: frozen, the collector's full
    # passes no longer walk it (as analysis.kernel does in a stage's kernel; about 3 % of a tagging worker's CPU).
    gc.collect()
    gc.freeze()


def portable(err: Exception) -> Exception:
    """``err`` if it survives pickling back to the parent, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:  # noqa: BLE001 - any exception may be unpicklable
        return RuntimeError(f"{type(err).__name__}: {err}")
