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


def ordered(jobs: Iterable[tuple], *, work: Callable, start: Callable, initargs: tuple, processes: int,
            ahead: int = AHEAD) -> Iterator:
    """``work(*job)`` for every job in ``processes`` spawned worker processes, yielded in the order of ``jobs``.

    Each worker runs ``start(*initargs)`` once before its first job (``initargs`` are pickled once, in the
    parent, and the workers start side by side).
    ``jobs`` is consumed lazily, at most ``ahead`` x ``processes`` out at once (submitted and not yet yielded),
    so neither the jobs nor their results pile up, however long the corpus. ``work`` and ``start`` must be module-level functions. An
    exception raised by a job is raised here, when its turn comes; the pool is then shut down.
    """
    context = multiprocessing.get_context("spawn")  # fork would copy the parent's threads and open files
    # The set-up is pickled once, here, and sent as bytes: each worker's start otherwise pickles it again, and
    # the parent's write of it blocks until that worker has read it, importing what unpickling needs (spaCy for
    # a pipeline) as it reads, so the workers would start one after the other.
    setup = pickle.dumps((start, initargs), protocol=pickle.HIGHEST_PROTOCOL)
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context, initializer=_setup,
                                                initargs=(setup,)) as pool:
        todo = iter(jobs)
        pending = collections.deque(pool.submit(work, *job)
                                    for job in itertools.islice(todo, ahead * processes))
        while pending:
            result = pending.popleft().result()
            pending.extend(pool.submit(work, *job) for job in itertools.islice(todo, 1))
            yield result


def _setup(setup: bytes) -> None:
    start, initargs = pickle.loads(setup)
    start(*initargs)


def portable(err: Exception) -> Exception:
    """``err`` if it survives pickling back to the parent, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:  # noqa: BLE001 - any exception may be unpicklable
        return RuntimeError(f"{type(err).__name__}: {err}")
