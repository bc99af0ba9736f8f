"""The tagging and rhetoric stages on a Dask cluster (a LocalCluster of two worker processes, one thread each) give
the tables of a local run: same rows, same order, same failures; a worker that dies, an unreachable scheduler and a
worker set up unlike the client give clear errors or failures rows."""
from __future__ import annotations

import os
import socket
import sys

import cloudpickle
import dask
import pandas as pd
import pytest
from distributed import Client, LocalCluster, get_task_stream
from distributed.diagnostics.plugin import WorkerPlugin
from pandas.testing import assert_frame_equal

from analysis import cluster, failures, frames, parses, profiles, rhetoric, tables, tagging
from conftest import SEEDS, run_workbook

RAISES = "extra_raises"  # an article whose tagging and rhetoric raise (as a bug only it meets would)
DIES = "extra_dies"  # an article whose tagging kills the worker process (as running out of memory would)

# Three articles of our own beside the seeds: one names an organisation no alias table knows, twice, so its alias
# candidate row adds up counts from two partitions; one is not English.
EXTRA = {
    "extra_summit": ("Leaders meet in Vilnius\n\nVILNIUS - NATO leaders met on Tuesday as the Korvanta Institute "
                     "warned of an Asian NATO taking shape. \"This is a dangerous bloc,\" said Anna Berg, a "
                     "researcher at the Korvanta Institute. The United States rejected the claim and said the "
                     "alliance was defensive.\n\nJapan's prime minister called the accusation baseless."),
    "extra_drills": ("Allies hold drills\n\nSouth Korea, Japan and the United States held joint drills near the "
                     "peninsula. North Korea's foreign ministry slammed the exercises as a rehearsal for war by "
                     "the puppet forces and their stooges, according to KCNA. The Korvanta Institute said the "
                     "drills would raise tension.\n\n\"We will respond,\" the ministry said."),
    "extra_fr": "La Corée du Nord accuse les États-Unis de former une OTAN asiatique avec le Japon.",
    RAISES: ("Ministry warns\n\nThe ministry warned that the Asian NATO would bring disaster, officials said. "
             "\"We are watching,\" a spokesman said."),
    DIES: ("Envoy speaks\n\nThe envoy said the alliance was hell-bent on confrontation. \"Talks remain open,\" "
           "he said."),
}


def _articles(*extra: str) -> pd.DataFrame:
    rows = [{"article_id": p.stem, "outlet": f"outlet {p.stem[:3]}", "text": p.read_text(encoding="utf-8"),
             "is_english": True, "title": ""} for p in sorted(SEEDS.glob("*.txt"))]
    rows[1]["title"] = rows[1]["text"].strip().split("\n")[0]
    rows += [{"article_id": k, "outlet": "Extra Wire", "text": EXTRA[k], "is_english": k != "extra_fr",
              "title": EXTRA[k].split("\n")[0]} for k in ("extra_summit", "extra_drills", "extra_fr", *extra)]
    return tables.conform(pd.DataFrame(rows), "articles", fill=True)


def _inject() -> None:
    """Make RAISES raise in the tagging and rhetoric stages and DIES end its process while it is tagged."""
    import analysis.rhetoric
    import analysis.tagging

    if getattr(analysis.tagging._Tagger.add, "injected", False):
        return
    add, records = analysis.tagging._Tagger.add, analysis.rhetoric._records

    def failing_add(self, doc, article_id, title):
        if article_id == DIES:
            os._exit(1)
        if article_id == RAISES:
            raise ValueError("injected tag failure")
        return add(self, doc, article_id, title)

    def failing_records(doc, **kwargs):
        if kwargs["article_id"] == RAISES:
            raise ValueError("injected rhetoric failure")
        return records(doc, **kwargs)

    failing_add.injected = True
    analysis.tagging._Tagger.add, analysis.rhetoric._records = failing_add, failing_records


class Inject(WorkerPlugin):
    """Applies ``_inject`` on every worker, including the ones Dask starts in place of a worker that died."""

    name = "framing-test-inject"

    def setup(self, worker):
        _inject()


@pytest.fixture(scope="module")
def address():
    """A two-worker LocalCluster: one thread per worker process, as the README asks; a task that kills a worker
    is not retried (allowed-failures 0), so a dying article costs one worker restart, not four."""
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                             memory_limit="3GiB")
    with local, Client(local) as client:
        client.register_plugin(Inject())
        yield local.scheduler_address


@pytest.fixture(scope="module")
def local_tag(nlp, tmp_path_factory):
    """A local run of the tagging stage on the seeds and the extra articles."""
    data = tmp_path_factory.mktemp("local-tag")
    rows = tagging.stream(_articles(), data, nlp=nlp)
    return rows, data


def _same_tables(a, b, names) -> None:
    for name in names:
        assert_frame_equal(tables.read(name, a), tables.read(name, b), obj=name)


def _listen() -> None:
    """On a worker: keep the package's warnings (a worker's log only keeps the distributed package's)."""
    import logging

    class Keep(logging.Handler):
        def emit(self, record):
            self.messages.append(record.getMessage())

    handler = Keep(logging.WARNING)
    handler.name, handler.messages = "framing-test-keep", []
    logging.getLogger("analysis").addHandler(handler)


def _heard() -> list[str]:
    import logging

    return [m for h in logging.getLogger("analysis").handlers if h.name == "framing-test-keep" for m in h.messages]


def _stored(data_dir, nlp) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return [(a, [(t.text, t.lemma_, t.tag_) for t in doc]) for a, doc in parses.read(data_dir, nlp=nlp)]


def test_tagging_on_two_workers_writes_the_tables_of_a_local_run(address, local_tag, tmp_path, nlp):
    rows, local = local_tag
    assert rows["sentences"] > 100 and rows["mentions"] > 50 and rows["alias_candidates"] > 5
    remote = tmp_path / "data"
    # partitions of two articles: the corpus is split over both workers and comes back in order
    assert cluster.tag(_articles(), remote, scheduler=address, partition_size=2) == rows
    _same_tables(local, remote, [*tagging.TABLES, "failures"])
    # the workers' parse is stored as a local run stores it, for the rhetoric stage
    assert rows["parses"] > 5 and _stored(remote, nlp) == _stored(local, nlp)
    candidates = tables.read("alias_candidates", remote)
    korvanta = candidates[candidates["text"].str.contains("Korvanta")]
    assert len(korvanta) == 1 and korvanta["n_articles"].iat[0] == 2  # added up over two partitions


def test_rhetoric_on_two_workers_returns_what_a_local_run_returns(address, local_tag, nlp):
    _, local = local_tag
    tagged = tagging.read(local)
    articles = _articles()
    lexicon = profiles.lexicon(profiles.load("asian-nato"))
    here, there = failures.Recorder("rhetoric"), failures.Recorder("rhetoric")
    common = dict(sentences=tagged.sentences, quotes=tagged.quotes, lexicon=lexicon, frame_lexicon=frames.lexicon(),
                  partition_size=3)
    mine = cluster.scan(articles, nlp=nlp, failed=here, data_dir=local, **common)
    with Client(address) as client:
        client.run(_listen)
        theirs = cluster.scan(articles, scheduler=address, failed=there, data_dir=local, **common)
        heard = sum(client.run(_heard).values(), [])
    assert not [m for m in heard if "again" in m], f"a worker parsed again instead of reading the stored parse: {heard}"
    assert len(mine.hits) > 20 and len(mine.frames) > 20 and mine.hits["article_id"].nunique() > 4
    for name in ("hits", "counts", "frames"):
        assert_frame_equal(getattr(mine, name), getattr(theirs, name), obj=name)
    assert here.rows == there.rows == []
    # the same as the stage's own function: the partition size is its chunk
    direct = rhetoric.run(articles, nlp=nlp, chunk=3, **{k: v for k, v in common.items() if k != "partition_size"})
    assert_frame_equal(direct.frames, theirs.frames)


def test_each_rhetoric_task_gets_its_partitions_stored_parse_across_a_gap(local_tag, nlp, tmp_path):
    """Each partition's task gets exactly its own stored Docs, so no worker parses again: also when the stored
    parse lacks an article (it failed in tagging) or holds one the articles table no longer has."""
    _, local = local_tag
    english = _articles()
    english = english[english["is_english"]].reset_index(drop=True)
    stored = list(parses.read(local, nlp=nlp))
    ids = [a for a, _ in stored]
    assert ids == english["article_id"].tolist()

    def taken(data_dir, articles, size):
        cursor = cluster._Stored(data_dir, nlp, articles)
        packed = [cursor.packed(articles.iloc[k:k + size]) for k in range(0, len(articles), size)]
        for k, p in enumerate(packed):
            assert p is None or (p[0] == parses.model_id(nlp) and len(parses.DocBin().from_bytes(p[1])) == len(p[2])
                                 and set(p[2]) <= set(articles["article_id"].iloc[k * size:(k + 1) * size]))
        return sum((p[2] for p in packed if p), [])

    assert taken(local, english, 3) == ids
    missing = ids[2]
    with parses.Writer(tmp_path, model=parses.model_id(nlp)) as out:  # a stored parse without the third article
        out.append(parses.pack(d for a, d in stored if a != missing), [a for a in ids if a != missing])
    assert taken(tmp_path, english, 2) == [a for a in ids if a != missing]
    fewer = english[english["article_id"] != missing].reset_index(drop=True)
    assert taken(local, fewer, 2) == [a for a in ids if a != missing]


def test_an_article_that_raises_on_a_worker_is_a_failures_row_as_in_a_local_run(address, nlp, tmp_path,
                                                                                 monkeypatch):
    articles = _articles(RAISES)
    remote = tmp_path / "remote"
    counted = cluster.tag(articles, remote, scheduler=address, partition_size=2)
    with monkeypatch.context() as patch:
        patch.setattr(tagging._Tagger, "add", tagging._Tagger.add)  # undone after the local run
        patch.setattr(rhetoric, "_records", rhetoric._records)
        _inject()
        assert cluster.tag(articles, tmp_path / "local", nlp=nlp) == counted
        tagged = tagging.read(tmp_path / "local")
        here = failures.Recorder("rhetoric")
        mine = cluster.scan(articles, nlp=nlp, sentences=tagged.sentences, quotes=tagged.quotes, failed=here,
                            partition_size=2)
    assert counted["failures"] == 1
    _same_tables(tmp_path / "local", remote, [*tagging.TABLES, "failures"])
    failed = failures.read(remote)
    assert failed[["stage", "article_id", "error", "message"]].values.tolist() == [
        ["tag", RAISES, "ValueError", "injected tag failure"]]
    assert RAISES not in set(tables.read("sentences", remote)["article_id"])

    there = failures.Recorder("rhetoric")
    theirs = cluster.scan(articles, scheduler=address, sentences=tagged.sentences, quotes=tagged.quotes,
                          failed=there, partition_size=2)
    assert there.rows == here.rows == [{"stage": "rhetoric", "article_id": RAISES, "error": "ValueError",
                                        "message": "injected rhetoric failure"}]
    assert_frame_equal(mine.hits, theirs.hits)
    assert RAISES not in set(theirs.hits["article_id"])


@pytest.mark.timeout(900)
def test_an_article_that_kills_its_worker_is_a_failures_row_and_the_others_are_tagged(address, local_tag, tmp_path):
    _, local = local_tag
    remote = tmp_path / "data"
    counted = cluster.tag(_articles(DIES), remote, scheduler=address, partition_size=3, connect_timeout=120)
    failed = failures.read(remote)
    assert failed[["stage", "article_id", "error"]].values.tolist() == [["tag", DIES, "KilledWorker"]]
    assert counted["failures"] == 1
    # every other article was tagged, the partition-mates of the dying one included, as in a local run
    _same_tables(local, remote, tagging.TABLES)


@pytest.mark.timeout(900)
def test_a_worker_death_on_a_one_worker_cluster_loses_no_shared_input(local_tag, tmp_path):
    # The worker that dies is the only one: anything the run had placed on it (an alias table scattered to the
    # workers, say) dies with it, and the retried articles and later partitions must not need it.
    _, local = local_tag
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        one = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                           memory_limit="3GiB")
    with one, Client(one) as client:
        client.register_plugin(Inject())
        remote = tmp_path / "data"
        counted = cluster.tag(_articles(DIES), remote, scheduler=one.scheduler_address, partition_size=3,
                              connect_timeout=120)
    assert failures.read(remote)[["article_id", "error"]].values.tolist() == [[DIES, "KilledWorker"]]
    assert counted["failures"] == 1
    _same_tables(local, remote, tagging.TABLES)


def test_a_corpus_without_english_articles_gives_the_empty_tables_of_a_local_run(address, nlp, tmp_path):
    articles = _articles().assign(is_english=False)
    here = cluster.tag(articles, tmp_path / "local", nlp=nlp)
    assert cluster.tag(articles, tmp_path / "remote", scheduler=address) == here == {
        **{name: 0 for name in tagging.TABLES}, "failures": 0, "parses": 0}
    _same_tables(tmp_path / "local", tmp_path / "remote", [*tagging.TABLES, "failures"])
    sentences, quotes = tables.empty("sentences"), tables.empty("quotes")
    mine = cluster.scan(articles, nlp=nlp, sentences=sentences, quotes=quotes)
    theirs = cluster.scan(articles, scheduler=address, sentences=sentences, quotes=quotes)
    for name in ("hits", "counts", "frames"):
        assert_frame_equal(getattr(mine, name), getattr(theirs, name), obj=name)


def test_an_unreachable_scheduler_gives_the_address_and_what_to_do(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(cluster.ClusterError, match=rf"cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}'.*"
                                                   r"dask scheduler.*leave scheduler empty"):
        cluster.tag(_articles(), tmp_path, scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=2)
    assert not (tmp_path / "sentences.parquet").exists()


def test_workers_without_the_model_or_with_other_code_are_named(address, monkeypatch):
    with Client(address) as client:
        reports = cluster.check(client, model="en_core_web_sm")
        assert len(reports) == 2 and all(r["model"] and r["fingerprint"] == cluster.fingerprint() for r in reports)
        with pytest.raises(cluster.ClusterError, match=r"tcp://127\.0\.0\.1:\d+ lacks the spaCy model "
                                                       r"'en_core_web_xx'.*installed there: .*en_core_web_sm"):
            cluster.check(client, model="en_core_web_xx")
        monkeypatch.setattr(cluster, "fingerprint", lambda: "000000000000")  # this machine's code differs
        with pytest.raises(cluster.ClusterError, match=r"runs analysis 0\.1\.0 \(source [0-9a-f]{12}\), this machine "
                                                       r"0\.1\.0 \(source 000000000000\).*same commit"):
            cluster.check(client, model="en_core_web_sm")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_framing_run_with_a_scheduler_writes_the_tables_of_a_local_run(address, seed_run, tmp_path):
    with Client(address) as client, get_task_stream(client) as ran:
        out = run_workbook(tmp_path / "out", "--corpus", str(SEEDS), "-p", f"scheduler={address}")
    stages = {str(task["key"]).split("-")[1] for task in ran.data if str(task["key"]).startswith("framing-")}
    assert stages == {"tag", "rhetoric"}  # the cluster's workers did both stages' work
    names = [*tagging.TABLES, "hits", "frames", "keyness", "adoption", "failures"]
    _same_tables(seed_run / "data", out / "data", names)
