"""Cached stages: what makes a stage run again, what lets it be reused, and what its reports say.

The quick tests use a two-stage pipeline of small real notebooks (``make`` writes the articles table from its
corpus folder, ``use`` reads it); one test runs the workbook's own four stages on two seed articles. Whether a
stage was executed or reused is read from the records the run publishes (``data/.framing-stages.json``), never
from timing.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis import cache, cli, runner, stages, tables
from conftest import ROOT, SEEDS, write_notebook

MAKE_PARAMS = '''data_dir: str = "."  # folder of the run's tables
corpus: list = []  # files or folders
label: str = "x"  # a parameter that changes nothing but the fingerprint
bad: int = 0  # how many articles to record as failed
fail: bool = False  # raise in the last cell'''
MAKE = ["import pathlib, pandas as pd\nfrom analysis import failures, tables",
        "texts = sorted(p.read_text() for c in corpus for p in sorted(pathlib.Path(c).glob('*.txt')))\n"
        "df = tables.conform(pd.DataFrame({'article_id': [f'a{k}' for k in range(len(texts))], 'text': texts}),"
        " 'articles', fill=True)\ntables.write(df, 'articles', data_dir)\n"
        "tables.write(tables.empty('skipped'), 'skipped', data_dir)\ndf",
        "failed = failures.Recorder('make')\nfor k in range(bad):\n    failed.add(f'a{k}', ValueError('bad'))\n"
        "failed.write(data_dir)",
        "if fail:\n    raise ValueError('the stage failed')"]
USE_PARAMS = '''data_dir: str = "."  # folder of the run's tables
scheduler: str = ""  # Dask scheduler address'''
USE = ["from analysis import tables\nlen(tables.read('articles', data_dir)), scheduler"]


@pytest.fixture()
def pipeline(tmp_path, monkeypatch):
    """``make`` -> ``use``, declared in tmp_path; the corpus is tmp_path/corpus with two articles."""
    write_notebook(tmp_path / "01_make.ipynb", MAKE, MAKE_PARAMS)
    write_notebook(tmp_path / "02_use.ipynb", USE, USE_PARAMS)
    decl = {"stages": [{"name": "make", "notebook": "01_make.ipynb", "title": "Make", "inputs": [],
                        "outputs": ["articles", "skipped", "failures"]},
                       {"name": "use", "notebook": "02_use.ipynb", "title": "Use", "inputs": ["articles"],
                        "outputs": []}],
            "profiles": {"default": {}},
            "parameters": {"paths": ["corpus"], "managed": ["data_dir"], "execution": ["scheduler"]}}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(decl))
    monkeypatch.setenv("FRAMING_PIPELINE", str(tmp_path / "pipeline.yaml"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.txt").write_text("The first article.")
    (corpus / "two.txt").write_text("The second article.")
    return tmp_path


def _run(root: Path, *args: str) -> int:
    return cli.main(["run", "--out", str(root / "out"), "--corpus", str(root / "corpus"), *args])


def _executed(root: Path) -> list[str]:
    """The stages the last run executed (the others it reused), from the published records."""
    records = cache.read(root / "out" / "data")
    return sorted(name for name, record in records.items() if not record["reused"])


def test_an_unchanged_re_run_reuses_every_stage_and_says_so(pipeline):
    assert _run(pipeline) == 0
    first = cache.read(pipeline / "out" / "data")
    assert _executed(pipeline) == ["make", "use"]
    report = (pipeline / "out" / "reports" / "01_make.html").read_text()
    assert f"Computed on {first['make']['computed']} UTC." in report
    assert _run(pipeline) == 0
    again = cache.read(pipeline / "out" / "data")
    assert _executed(pipeline) == []
    assert again["make"]["computed"] == first["make"]["computed"] and again["make"]["run"] == first["make"]["run"]
    for page in ("01_make.html", "02_use.html", "index.html"):
        text = (pipeline / "out" / "reports" / page).read_text()
        assert f"Computed on {first['make' if page != '02_use.html' else 'use']['computed']} UTC; reused unchanged on" \
               in text, page
    assert runner.last_run(pipeline / "out")["status"] == "complete"


def test_status_lists_when_each_stage_was_computed(pipeline, capsys):
    assert _run(pipeline) == 0 and _run(pipeline) == 0
    capsys.readouterr()
    assert cli.main(["status", "--out", str(pipeline / "out")]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "complete" and set(shown["stages"]) == {"make", "use"}
    assert shown["stages"]["make"]["reused"] and shown["stages"]["make"]["computed"]


def test_a_table_changed_since_its_stage_wrote_it_is_made_again(pipeline):
    assert _run(pipeline) == 0
    (pipeline / "out" / "data" / "skipped.parquet").unlink()
    assert _run(pipeline) == 0
    assert _executed(pipeline) == ["make"], "the table came back identical, so `use` is reused"


def test_force_executes_every_stage(pipeline):
    assert _run(pipeline) == 0
    assert _run(pipeline, "--force") == 0
    assert _executed(pipeline) == ["make", "use"]


def test_a_changed_corpus_file_a_parameter_or_notebook_runs_the_stage_again(pipeline):
    assert _run(pipeline) == 0
    (pipeline / "corpus" / "two.txt").write_text("The second article, edited.")
    assert _run(pipeline) == 0
    assert _executed(pipeline) == ["make", "use"]  # the articles table changed, so `use` runs too
    assert _run(pipeline, "-p", "label=y") == 0
    assert _executed(pipeline) == ["make"], "the same articles came out: `use` is reused"
    nb = nbformat.read(str(pipeline / "02_use.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(nb, str(pipeline / "02_use.ipynb"))
    stages._stages.cache_clear()
    assert _run(pipeline, "-p", "label=y") == 0
    assert _executed(pipeline) == ["use"]


def test_the_scheduler_is_passed_only_where_declared_and_does_not_invalidate(pipeline, caplog):
    assert _run(pipeline, "--scheduler", "tcp://127.0.0.1:8786") == 0
    executed = {p.name: nbformat.read(str(p), as_version=4).metadata["papermill"]["parameters"]
                for p in (pipeline / "out" / "reports" / "notebooks").glob("*.ipynb")}
    assert executed["02_use.ipynb"]["scheduler"] == "tcp://127.0.0.1:8786"
    assert "scheduler" not in executed["01_make.ipynb"]
    assert _run(pipeline) == 0 and _executed(pipeline) == [], "where a stage runs does not change what it computes"
    assert _run(pipeline, "--stages", "make", "--scheduler", "tcp://x:1") == 2
    assert "no notebook declares a 'scheduler' parameter" in caplog.text


def test_a_failed_stage_is_never_reused(pipeline):
    assert _run(pipeline) == 0
    assert _run(pipeline, "-p", "fail=true") == 1
    assert _run(pipeline, "-p", "fail=true") == 1, "the failure is not remembered as a result"
    assert _run(pipeline) == 0 and _executed(pipeline) == [], "the published results are the first run's"


def test_a_stage_that_recorded_failed_articles_runs_again_and_strict_still_counts_them(pipeline):
    assert _run(pipeline, "-p", "bad=1") == 0
    assert _run(pipeline, "-p", "bad=1", "--strict") == cli.EXIT_FAILED_ARTICLES
    assert _executed(pipeline) == ["make"], "a failure may be transient (memory): the stage is tried again"


def test_a_stage_selection_reuses_what_it_can_and_keeps_the_other_records(pipeline):
    assert _run(pipeline) == 0
    first = cache.read(pipeline / "out" / "data")
    assert cli.main(["run", "--out", str(pipeline / "out"), "--stages", "use"]) == 0
    records = cache.read(pipeline / "out" / "data")
    assert records["use"]["reused"] and records["make"] == first["make"]


def test_the_fingerprint_covers_code_versions_and_profile_files(pipeline, tmp_path, monkeypatch):
    stage = stages.all_stages()[0]
    data = tmp_path / "out" / "data"
    base, parts = cache.fingerprint(stage, {"corpus": [str(pipeline / "corpus")]}, data, failures={})
    assert set(parts) == {"notebook", "parameters", "files", "tables", "failures", "code", "versions"}
    monkeypatch.setattr(cache, "versions", lambda model=None: {"spacy": "9.9.9"})
    assert cache.fingerprint(stage, {"corpus": [str(pipeline / "corpus")]}, data, failures={})[0] != base
    profile = tmp_path / "profile"
    shutil.copytree(ROOT / "analysis" / "data" / "profiles" / "asian-nato", profile)
    monkeypatch.setattr(stages, "declaration", lambda: {"parameters": {"profiles": ["story"]}})
    before = cache.fingerprint(stage, {"story": str(profile)}, data, failures={})[0]
    (profile / "phrases.yaml").write_text((profile / "phrases.yaml").read_text() + "\n# edited\n")
    assert cache.fingerprint(stage, {"story": str(profile)}, data, failures={})[0] != before
    shipped = ROOT / "analysis" / "data" / "profiles" / "asian-nato"
    assert cache.fingerprint(stage, {"story": "asian-nato"}, data, failures={})[1]["files"] == \
        cache.fingerprint(stage, {"story": str(shipped)}, data, failures={})[1]["files"], "a name is its folder"


def test_a_stage_fingerprints_only_the_files_of_the_profile_it_reads(tmp_path):
    by_name = {s.name: s for s in stages.all_stages()}
    profile = tmp_path / "profile"
    shutil.copytree(ROOT / "analysis" / "data" / "profiles" / "asian-nato", profile)
    (profile / "actors.yaml").write_text("actors: []\n", encoding="utf-8")  # the story's own alias table

    def files(stage: str) -> str:
        return cache.fingerprint(by_name[stage], {"story": str(profile)}, tmp_path / "data", failures={})[1]["files"]

    before = {name: files(name) for name in ("tag", "rhetoric")}
    (profile / "phrases.yaml").write_text((profile / "phrases.yaml").read_text() + "\n# pruned\n")
    assert files("tag") == before["tag"]  # tagging does not read the phrase families (pipeline.yaml profile_parts)
    assert files("rhetoric") != before["rhetoric"]
    before = {name: files(name) for name in ("tag", "rhetoric")}
    (profile / "actors.yaml").write_text("actors:\n  - {name: Seoul, type: state}\n", encoding="utf-8")
    assert files("tag") != before["tag"] and files("rhetoric") != before["rhetoric"]
    before = {name: files(name) for name in ("tag", "rhetoric")}
    yaml_text = (profile / "profile.yaml").read_text(encoding="utf-8")
    (profile / "profile.yaml").write_text(yaml_text + "not_loaded: [win]  # topical\n", encoding="utf-8")
    assert files("tag") == before["tag"] and files("rhetoric") != before["rhetoric"]  # only rhetoric reads it
    before = {name: files(name) for name in ("tag", "rhetoric")}
    (profile / "profile.yaml").write_text(yaml_text.replace("corpus: seeds", "corpus: elsewhere"), encoding="utf-8")
    assert files("tag") != before["tag"] and files("rhetoric") != before["rhetoric"]  # any stage may read it


def test_story_profiles_are_not_part_of_the_code_digest(tmp_path, monkeypatch):
    package = tmp_path / "analysis"
    (package / "data" / "profiles" / "mine").mkdir(parents=True)
    (package / "stage.py").write_text("X = 1\n")
    (package / "data" / "profiles" / "mine" / "phrases.yaml").write_text("families: []\n")
    monkeypatch.setattr(cache, "PACKAGE", package)
    monkeypatch.setattr(cache, "PROFILES", package / "data" / "profiles")

    def digest() -> str:
        cache.code_digest.cache_clear()
        return cache.code_digest()

    try:
        before = digest()
        (package / "data" / "profiles" / "mine" / "phrases.yaml").write_text("families: [pruned]\n")
        assert digest() == before  # a profile written by new-story into the package is an input, not code
        (package / "stage.py").write_text("X = 2\n")
        assert digest() != before
    finally:
        cache.code_digest.cache_clear()


NEW_FAMILY = """
  - id: military_drills
    label: Military drills
    category: fear_appeal
    techniques: [Appeal_to_Fear-Prejudice]
    variants:
      - {id: drill, pattern: "drill"}
"""


@pytest.mark.timeout(1200)
def test_the_workbook_re_runs_only_what_a_lexicon_or_corpus_edit_reaches(tmp_path, monkeypatch):
    monkeypatch.delenv("FRAMING_PIPELINE", raising=False)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(path, corpus / path.name)
    lexicon = tmp_path / "phrases.yaml"
    shutil.copy(ROOT / "analysis" / "data" / "profiles" / "asian-nato" / "phrases.yaml", lexicon)
    out = tmp_path / "out"

    def run(*args):
        assert cli.main(["run", "--out", str(out), "--corpus", str(corpus), "--story", "asian-nato",
                         "-p", f"lexicon={lexicon}", *args]) == 0
        return sorted(n for n, r in cache.read(out / "data").items() if not r["reused"])

    assert run() == ["charts", "ingest", "rhetoric", "tag"]
    hits = (out / "data" / "hits.parquet").read_bytes()
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + NEW_FAMILY, encoding="utf-8")
    assert run() == ["charts", "rhetoric"]
    assert (out / "data" / "hits.parquet").read_bytes() != hits
    assert "military_drills" in set(tables.read("hits", out / "data")["family"])
    index = (out / "reports" / "index.html").read_text(encoding="utf-8")
    assert index.count("; reused unchanged on") == 2, "ingest and tag were reused"
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nSeoul rejected the claim on Friday.\n", encoding="utf-8")
    assert run() == ["charts", "ingest", "rhetoric", "tag"]
    records = json.loads((out / "data" / cache.RECORDS).read_text())["stages"]
    assert all(r["fingerprint"] and r["computed"] for r in records.values())


def test_kept_files_survive_many_writers_at_once(tmp_path, monkeypatch, caplog):
    # threads of one process keep the same file at once (the runner and its report thread both check the model)
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path))
    with caplog.at_level(logging.INFO, logger="analysis.cache"), ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.keep("models/same.json", f'{{"writer": {i % 2}}}' * 2000), range(64)))
    assert "could not keep" not in caplog.text  # no writer lost its file to another's
    assert cache.kept("models/same.json") in ('{"writer": 0}' * 2000, '{"writer": 1}' * 2000)
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["same.json"]  # no temporary file left
    assert cache.kept("models/absent.json") is None
