"""Beyond one machine: the per-article work of the tagging and rhetoric stages on a Dask cluster.

``tag(articles, data_dir, scheduler=ADDRESS, ...)`` and ``scan(articles, scheduler=ADDRESS, ...)`` cut the English
articles into partitions (``partition_size`` articles, corpus order kept), submit each partition as one task to
the ``dask.distributed`` scheduler at ADDRESS, and put the results together on this machine (the client) in
corpus order. Each task calls the same per-partition function a local run calls (``tagging.run``,
``rhetoric.run``), with the spaCy model loaded once per worker process, so the tables are identical to a local
run's: same rows, same order, same ``failures`` rows. With an empty ``scheduler`` both run here
(``tagging.stream``, ``rhetoric.run``), which is what the stage notebooks call.

What crosses the network: the partition's articles (and, for rhetoric, their sentences and quotes) go out with
the task; the lexicons and the alias table are read and checked on the client and sent once to every worker;
the rows come back to the client, which writes the tagging tables to Parquet as partitions finish, in corpus
order (``tables.Appender``), so neither side needs the other's filesystem and the client never holds the whole
corpus's rows. Workers need the same installation as the client (checked on connecting): the same
``analysis`` package (version and source fingerprint) and the spaCy model.

A worker that dies while running a partition (out of memory, killed) is replaced by Dask, which retries the task
(``distributed.scheduler.allowed-failures`` times); if the partition keeps killing workers, its articles are
retried one per task, and an article that still kills its worker becomes a ``failures`` row (``KilledWorker``).
An error of a whole step (a lexicon spaCy rejects) fails the stage, as in a local run.

Assumed: workers run one thread each (``dask worker ADDRESS --nworkers N --nthreads 1``). A worker with more
threads runs its partitions one after another (a spaCy pipeline is not shared between threads).
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
from spacy.language import Language
from spacy.tokens import Doc

import analysis
from analysis import actors, failures, files, frames, models, parses, profiles, progress, rhetoric, segments, tables, tagging

log = logging.getLogger(__name__)

PARTITION_SIZE = 200  # articles per task; the rhetoric stage's chunk, so its per-chunk tables come out the same
CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler and to see a first worker


class ClusterError(RuntimeError):
    """The Dask cluster cannot run the stage: the scheduler is unreachable, has no workers, or a worker is not
    installed like the client."""


# ------------------------------------------------------------------------------------------- the two stages


def tag(articles: pd.DataFrame, data_dir: str | os.PathLike, *, scheduler: str = "", model: str = "en_core_web_sm",
        nlp: Language | None = None, batch_size: int = 32, n_process: int = 1,
        aliases: str | os.PathLike | None = None, memory_share: float = segments.MEMORY_SHARE,
        partition_size: int = PARTITION_SIZE, connect_timeout: float = CONNECT_TIMEOUT) -> dict[str, int]:
    """The tagging stage: ``tagging.stream`` here when ``scheduler`` is empty, else on the cluster's workers.

    Returns what ``tagging.stream`` returns (the rows of each table, and under ``failures`` the number of
    articles that failed) and writes the same five tables and ``failures`` rows (stage ``tag``) to ``data_dir``.
    ``model`` is the spaCy pipeline each worker loads (``nlp``, when given, is used by a local run); ``aliases``
    is read here and sent to the workers. ``n_process`` applies to a local run only: on a cluster every worker
    process tags one partition of ``partition_size`` articles at a time. Raises ``ClusterError`` when the
    scheduler cannot be reached or a worker lacks the model or runs another version of ``analysis``.
    """
    if not scheduler:
        return tagging.stream(articles, data_dir, nlp=nlp if nlp is not None else models.load(model),
                              batch_size=batch_size, n_process=n_process, aliases=aliases, memory_share=memory_share)
    _check_size(partition_size)
    alias_path = Path(aliases) if aliases else actors.default_path()
    actors.table(alias_path)  # a broken alias table fails here, before any task runs
    english = _english(articles, ["article_id", "text", "title", "is_english"])
    failed = failures.Recorder("tag")
    found: list[pd.DataFrame] = []
    parsed_with = parses.model_id(nlp if nlp is not None else models.load(model))
    with _connect(scheduler, model=model, timeout=connect_timeout) as client, contextlib.ExitStack() as stack:
        out = {name: stack.enter_context(tables.Appender(name, data_dir)) for name in tagging.TABLES}
        stored = stack.enter_context(parses.Writer(data_dir, model=parsed_with))
        # Shared values travel inside each task, not scattered: scattered data dies with the worker holding it,
        # and a worker killed by one article would then cancel every other task ("lost dependencies").
        options = {"model": model, "batch_size": batch_size, "memory_share": memory_share,
                   "aliases": alias_path.read_text(encoding="utf-8")}
        for result in _results(client, _tag_partition, _partitions(english, partition_size),
                               _count(english, partition_size), options, "tag"):
            _store(stored, result.pop("parsed", None), parsed_with)
            for name, df in result.items():
                if name == "alias_candidates":
                    found.append(df)
                elif name == "failures":
                    _record(failed, df)
                else:
                    out[name].append(df)
        out["alias_candidates"].append(_candidates(found))
    failed.write(data_dir)
    return {**{name: appender.rows for name, appender in out.items()}, "failures": len(failed.rows),
            "parses": stored.docs}


def _store(stored: parses.Writer, parsed: tuple[str, list] | None, parsed_with: str) -> None:
    """Write a partition's stored parse (the model that made it, its chunks) into the run's ``parses/``: the
    rhetoric stage then reads it instead of parsing again. A worker with another model version is refused, since
    its parse would not be what this run's rhetoric stage expects."""
    if parsed is None:
        return
    worker_model, chunks = parsed
    if worker_model != parsed_with:
        raise ClusterError(f"a worker parsed with {worker_model}, this machine has {parsed_with}: install the same "
                           f"model version on every worker (pip install -r requirements.lock)")
    for packed, article_ids in chunks:
        stored.append(packed, article_ids)


def scan(articles: pd.DataFrame, *, scheduler: str = "", model: str = "en_core_web_sm", nlp: Language | None = None,
         sentences: pd.DataFrame, quotes: pd.DataFrame, lexicon: dict | None = None, frame_lexicon: dict | None = None,
         batch_size: int = 32, n_process: int = 1, scare_max_words: int = 6, failed: failures.Recorder | None = None,
         data_dir: str | os.PathLike | None = None, partition_size: int = PARTITION_SIZE,
         connect_timeout: float = CONNECT_TIMEOUT) -> rhetoric.Scanned:
    """The rhetoric stage's pass over the articles: ``rhetoric.run`` here when ``scheduler`` is empty, else on
    the cluster's workers. Returns the same ``rhetoric.Scanned`` (hits, keyness counts, frames) in the same row
    order, and records the same articles in ``failed``.

    ``sentences`` and ``quotes`` are the tagging stage's tables; each task gets its partition's rows. The
    lexicons default to the general lexicon and the packaged frame cues, loaded here and sent to the workers.
    ``partition_size`` is also the chunk of a local run (``rhetoric.run(chunk=...)``): keyness counts and frames
    are computed per chunk, so the same size gives the same tables. ``data_dir`` holds the tagging stage's stored
    parse (``analysis.parses``): a local run reads it, and on a cluster each task gets its partition's Docs from
    it, so no worker parses again (an article it lacks is parsed again, with a WARNING, as in a local run).
    Raises ``ClusterError`` as ``tag`` does.
    """
    nlp = nlp if nlp is not None else models.load(model)
    if not scheduler:
        return rhetoric.run(articles, nlp=nlp, sentences=sentences, quotes=quotes, lexicon=lexicon,
                            frame_lexicon=frame_lexicon, batch_size=batch_size, n_process=n_process,
                            chunk=partition_size, scare_max_words=scare_max_words, failed=failed, data_dir=data_dir)
    _check_size(partition_size)
    lexicon = lexicon if lexicon is not None else profiles.lexicon(profiles.Profile())
    frame_lexicon = frame_lexicon if frame_lexicon is not None else frames.lexicon(None)
    english = _english(articles, ["article_id", "text", "is_english"])
    stored = _Stored(data_dir, nlp, english)
    parts = ((part, _rows_of(sentences, part), _rows_of(quotes, part), stored.packed(part))
             for part in _partitions(english, partition_size))
    hits, counts, framed = [], [], []
    with _connect(scheduler, model=model, timeout=connect_timeout) as client:
        options = {"model": model, "batch_size": batch_size, "scare_max_words": scare_max_words,
                   "record": failed is not None, "lexicon": lexicon, "frame_lexicon": frame_lexicon}  # see tag
        for result in _results(client, _scan_partition, parts, _count(english, partition_size), options,
                               "rhetoric"):
            if "failures" in result:
                _record(failed, result["failures"])
            if "hits" in result:
                hits.append(result["hits"])
                counts.append(result["counts"])
                framed.append(result["frames"])
    hits_df = tables.conform(pd.concat(hits, ignore_index=True), "hits") if hits else tables.empty("hits")
    return rhetoric.Scanned(hits_df, rhetoric._concat_counts(counts),
                            pd.concat(framed, ignore_index=True) if framed else tables.empty("frames"))


# ---------------------------------------------------------------------------------- one partition, on a worker
# The only two functions that call the stages: adapt them when tagging.run or rhetoric.run change signature.


def _tag_partition(part: pd.DataFrame, *, model: str, aliases: str, batch_size: int,
                   memory_share: float) -> dict[str, pd.DataFrame]:
    """``tagging.run`` on one partition: its five tables, its ``failures`` rows and its stored parse (with the
    model that made it)."""
    failed = failures.Recorder("tag")
    with _MODEL_LOCK:
        nlp = _model(model)
        tagged = tagging.run(part, nlp=nlp, batch_size=batch_size, n_process=1, aliases=_alias_file(aliases),
                             failed=failed, memory_share=memory_share, store_parse=True)
    return {**tagged.tables(), "failures": failed.frame(), "parsed": (parses.model_id(nlp), tagged.parsed)}


def _scan_partition(task: tuple, *, model: str, lexicon: dict, frame_lexicon: dict, batch_size: int,
                    scare_max_words: int, record: bool) -> dict[str, pd.DataFrame]:
    """``rhetoric.run`` on one partition (articles, their sentences, their quotes, and their stored parse as
    ``(model, DocBin bytes, article ids)`` or None), as one chunk. The parse is put in a folder of this worker's
    own, where ``rhetoric.run`` reads it as it reads a run's ``parses/``."""
    part, sentences, quotes, packed = task
    failed = failures.Recorder("rhetoric") if record else None
    with _MODEL_LOCK, tempfile.TemporaryDirectory(prefix="framing-parse-") as folder:
        if packed is not None:
            with parses.Writer(folder, model=packed[0]) as stored:
                stored.append(packed[1], packed[2])
        scanned = rhetoric.run(part, nlp=_model(model), sentences=sentences, quotes=quotes, lexicon=lexicon,
                               frame_lexicon=frame_lexicon, batch_size=batch_size, n_process=1,
                               chunk=max(len(part), 1), scare_max_words=scare_max_words, failed=failed,
                               data_dir=folder)
    out = {"hits": scanned.hits, "counts": scanned.counts, "frames": scanned.frames}
    return {**out, "failures": failed.frame()} if failed is not None else out


# One spaCy pipeline per worker process, used by one task at a time: a Language object is not thread-safe.
_MODEL_LOCK = threading.RLock()


def _model(name: str) -> Language:
    """The worker's pipeline ``name``, loaded on its first task (``models.load`` caches it per process)."""
    # A worker's progress bars would only fill its log with carriage returns; the client shows partitions done.
    os.environ.setdefault(progress.ENV, "0")
    return models.load(name)


@cache
def _alias_file(text: str) -> str:
    """A worker-local copy of the alias table the client sent (``tagging.run`` reads a path), written once into
    the worker's own scratch folder, which Dask removes when the worker closes or, after a killed worker, when
    the next one starts (a folder of our own would outlive a worker that is killed, as they are at shutdown)."""
    folder = Path(_scratch()) / "framing-aliases"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
    if not path.exists():
        files.write_text(path, text)  # complete or absent for a task on another thread
    return str(path)


def _scratch() -> str:
    from distributed import get_worker  # only on a worker: the client needs no distributed import for this

    try:
        return get_worker().local_directory
    except ValueError:  # called outside a worker task (a test): the system's temporary folder
        return tempfile.gettempdir()


# ------------------------------------------------------------------------------------------ on the client


def _check_size(partition_size: int) -> None:
    if partition_size < 1:
        raise ValueError(f"partition_size must be at least 1, got {partition_size}")


def _english(articles: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The English articles with only the columns the workers need (non-English ones get no rows anyway)."""
    missing = {"article_id", "text"} - set(articles.columns)
    if missing:
        raise KeyError(f"articles lacks column(s) {sorted(missing)}: pass the ingest stage's articles table")
    keep = articles["is_english"].astype(bool) if "is_english" in articles else pd.Series(True, articles.index)
    if (~keep).any():
        log.info("not analysing %d non-English article(s)", int((~keep).sum()))
    return articles.loc[keep, [c for c in columns if c in articles.columns]].reset_index(drop=True)


def _partitions(articles: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """``articles`` cut into consecutive partitions of ``size`` rows, made one at a time as tasks are sent."""
    for i in range(0, len(articles), size):
        yield articles.iloc[i:i + size].reset_index(drop=True)


def _count(articles: pd.DataFrame, size: int) -> int:
    return -(-len(articles) // size)


def _rows_of(df: pd.DataFrame, part: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``df`` (sentences or quotes) of the partition's articles, in their original order."""
    return df[df["article_id"].isin(part["article_id"])]


def _record(failed: failures.Recorder | None, rows: pd.DataFrame) -> None:
    """Add a worker's failures rows to the client's recorder (the worker's own warning stays in its log).
    Without a recorder an article that killed its worker stops the stage, as an error does in a local run."""
    if not len(rows):
        return
    if failed is None:
        first = rows.iloc[0]
        raise ClusterError(f"article {first['article_id']} failed on the cluster ({first['error']}: "
                           f"{first['message']}); pass failed=failures.Recorder(stage) to record it and go on")
    for row in rows.to_dict("records"):
        log.warning("%s: article %s failed on a worker and is left out (%s: %s)", row["stage"], row["article_id"],
                    row["error"], row["message"])
        failed.rows.append(row)


def _candidates(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``alias_candidates`` table of the whole corpus from each partition's, as one local pass counts them:
    counts and article counts add up (partitions share no article), the example is the first partition's, and
    the rows are ordered as ``actors.Candidates.frame`` orders them."""
    seen: dict[tuple[str, str], list] = {}
    for df in parts:
        for text, label, n, n_articles, example in df[["text", "ner_label", "n", "n_articles", "example"]].itertuples(
                index=False, name=None):
            entry = seen.setdefault((text, label), [0, 0, example])
            entry[0] += int(n)
            entry[1] += int(n_articles)
    rows = [(text, label, n, n_articles, example) for (text, label), (n, n_articles, example) in seen.items()]
    rows.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
    columns = ["text", "ner_label", "n", "n_articles", "example"]
    return tables.conform(pd.DataFrame(rows, columns=columns), "alias_candidates", fill=True)


def _results(client, function: Callable, parts: Iterable, total: int, options: dict, stage: str) -> Iterator[dict]:
    """The result of ``function(part, **options)`` for every partition, in partition order, with a bounded
    number of partitions on the cluster at once (twice its threads), so neither side holds the whole corpus.

    A partition whose task killed its workers is run again one article per task, one task at a time; an article
    that still kills its worker yields a ``failures`` row (``KilledWorker``) instead of its tables."""
    window = max(2, 2 * sum(client.nthreads().values()))
    token = uuid.uuid4().hex[:8]
    submit = lambda n, part: client.submit(function, part, key=f"framing-{stage}-{token}-{n}", pure=False,  # noqa: E731
                                           **options)
    todo = iter(enumerate(parts))
    running = deque((n, part, submit(n, part)) for n, part in itertools.islice(todo, window))
    for _ in progress.bar(range(total), desc=f"{stage} on the cluster", unit="partition"):
        n, part, future = running.popleft()
        following = next(todo, None)
        if following is not None:
            running.append((*following, submit(*following)))
        yield from _outcome(client, function, part, future, options, stage, f"{token}-{n}")


def _outcome(client, function: Callable, part, future, options: dict, stage: str, key: str) -> Iterator[dict]:
    """The result of one partition's task; see ``_results`` for a task that killed its workers."""
    from distributed import KilledWorker

    try:
        result = future.result()
    except KilledWorker as err:
        articles = part[0] if isinstance(part, tuple) else part
        if len(articles) == 1:
            yield {"failures": _died(stage, articles, err)}
            return
        log.warning("%s: a partition of %d articles killed its workers (%s); running its articles one per task",
                    stage, len(articles), err)
        # One at a time: the article that kills its worker would take down a partition-mate running beside it on
        # the same worker, and that innocent article would be recorded as failed too.
        for i in range(len(articles)):
            one = _single(part, i)
            retry = client.submit(function, one, key=f"framing-{stage}-{key}-{i}", pure=False, **options)
            yield from _outcome(client, function, one, retry, options, stage, f"{key}-{i}")
        return
    yield result


def _single(part, i: int):
    """Article ``i`` of a partition (with its own sentences and quotes for the rhetoric stage; without the
    stored parse, so a worker parses that one article again)."""
    if not isinstance(part, tuple):
        return part.iloc[i:i + 1].reset_index(drop=True)
    one = part[0].iloc[i:i + 1].reset_index(drop=True)
    return (one, _rows_of(part[1], one), _rows_of(part[2], one), None)


class _Stored:
    """The run's stored parse, read in corpus order as the partitions are cut (one chunk file in memory at a time).
    It holds the English articles in corpus order, less those that failed in tagging; a Doc of an article not in
    ``articles`` (a table changed since) is passed over."""

    def __init__(self, data_dir: str | os.PathLike | None, nlp: Language, articles: pd.DataFrame):
        self.nlp, self.known = nlp, set(articles["article_id"].astype(str))
        self.docs = self._read(data_dir)
        self.head = next(self.docs, None)

    def _read(self, data_dir) -> Iterator[tuple[str, Doc]]:
        if data_dir is None:
            return iter(())
        try:
            parses.index(data_dir, nlp=self.nlp)
        except parses.StaleParse as err:
            log.warning("rhetoric on the cluster: the workers parse the articles again: %s", err)
            return iter(())
        return parses.read(data_dir, nlp=self.nlp)

    def packed(self, part: pd.DataFrame) -> tuple | None:
        """``part``'s stored Docs for its task: ``(model, DocBin bytes, article ids)``, or None if it has none."""
        wanted, found = set(part["article_id"].astype(str)), []
        while self.head is not None and (self.head[0] in wanted or self.head[0] not in self.known):
            if self.head[0] in wanted:
                found.append(self.head)
            self.head = next(self.docs, None)
        if not found:
            return None
        return parses.model_id(self.nlp), parses.pack(d for _, d in found), [a for a, _ in found]


def _died(stage: str, articles: pd.DataFrame, err: BaseException) -> pd.DataFrame:
    failed = failures.Recorder(stage)
    failed.add(str(articles["article_id"].iat[0]), err)
    return failed.frame()


def _bar(total: int, stage: str):
    from analysis import progress

    return progress.bar(None, total=total, desc=f"{stage} on the cluster", unit="partition")


# ------------------------------------------------------------------------------------- connecting and checking


@contextlib.contextmanager
def _connect(address: str, *, model: str, timeout: float):
    """A ``distributed.Client`` of the scheduler at ``address`` whose workers are checked to be set up like this
    machine (``check``); closed on leaving."""
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({type(err).__name__}: {err}). "
            f"Check the address and port (a scheduler prints it on start: `dask scheduler`), that the scheduler "
            f"is running and that this machine can reach it; or leave scheduler empty to run here.") from err
    try:
        check(client, model=model, timeout=timeout)
        yield client
    finally:
        client.close()


def check(client, *, model: str, timeout: float = CONNECT_TIMEOUT) -> list[dict]:
    """Check that the cluster behind ``client`` (a ``distributed.Client``) can run the stages like this machine:
    it has a worker (waiting up to ``timeout`` seconds for one), and every worker has the same ``analysis``
    package (version and source fingerprint) and spaCy model ``model``. Returns each worker's report
    (``worker``, ``version``, ``fingerprint``, ``model``, ``threads``); raises ``ClusterError`` naming the
    workers and what they lack."""
    address = client.scheduler.address
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ClusterError(f"the Dask scheduler at {address} has no workers after {timeout:g} s: start some "
                           f"(`dask worker {address} --nthreads 1` on each machine)") from None
    reports = client.run(_probe, model, on_error="return")
    mine = _probe(model)
    problems = []
    for worker, report in sorted(reports.items()):
        if isinstance(report, BaseException):
            problems.append(f"{worker} cannot run the workbook's analysis package ({type(report).__name__}: "
                            f"{report}): install it there (`pip install -r requirements.lock` and "
                            f"`pip install -e .` of this repository)")
        elif (report["version"], report["fingerprint"]) != (mine["version"], mine["fingerprint"]):
            problems.append(f"{worker} runs analysis {report['version']} (source {report['fingerprint']}), this "
                            f"machine {mine['version']} (source {mine['fingerprint']}): install the same commit "
                            f"of the workbook on every worker")
        elif not report["model"]:
            problems.append(f"{worker} lacks the spaCy model {model!r} (installed there: "
                            f"{', '.join(report['installed']) or 'none'}): install it into the worker's "
                            f"environment (requirements.lock pins en_core_web_sm) or pass an installed model")
    if problems:
        raise ClusterError("the Dask cluster cannot run this stage: " + "; ".join(problems))
    threads = client.nthreads()
    many = sorted(w for w, n in threads.items() if n > 1)
    if many:
        log.warning("%d worker(s) have more than one thread (%s ...): their partitions run one at a time; start "
                    "workers with --nthreads 1 and more processes (--nworkers) instead", len(many), many[0])
    return [{"worker": w, **{k: r[k] for k in ("version", "fingerprint", "model")},
             "threads": threads.get(w, 1)} for w, r in sorted(reports.items())]


def _probe(model: str) -> dict:
    """This process's installation: analysis version and source fingerprint, and whether ``model`` loads."""
    return {"version": analysis.__version__, "fingerprint": fingerprint(),
            "model": any(models.available(c) for c in (model, models.FALLBACKS.get(model)) if c),
            "installed": models.installed()}


@cache
def fingerprint() -> str:
    """A short hash of the installed ``analysis`` package's code and data files: two machines with the same
    fingerprint compute the same tables."""
    root = Path(str(resources.files("analysis")))
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc",)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
