"""The stored parse (analysis.parses): the rhetoric stage reads the tagging stage's spaCy analysis and gets exactly
the tables a fresh parse gives, on the seeds, on articles written here, on a long article parsed in pieces, around
failed articles and whatever the number of tagging processes."""
from __future__ import annotations

import json
import logging
import shutil

import pandas as pd
import pytest

from analysis import failures, parses, profiles, rhetoric, segments, tables, tagging

WRITTEN = {
    "w_quote": ("Pyongyang slammed the drills on Monday.\n"
                "\"The United States is hell-bent on building an Asian NATO,\" a KCNA commentary said. Japan's "
                "defence ministry called the claim \"groundless\" and said the exercises were routine.\n"
                "Analysts said the so-called \"Asian version of NATO\" was a propaganda phrase."),
    "w_frames": ("Seoul and Tokyo agreed on a new security pact to deter the North's missile threat.\n"
                 "The cost of the joint military exercises rose, and economists warned of higher defence budgets."),
    "w_empty_ish": "Brief.",
    # Verbs whose part of speech, and so lemma, the parser decides (AUX or VERB): the stored parse must agree with a
    # fresh one on them too (from AllSides articles where it did not when rhetoric parsed without the parser).
    "w_aux": ("The ship remains impounded though seven crew members were released this week.\n"
              "But many local residents have grown increasingly exasperated with the rebels.\n"
              "After Trump gets booed, Clinton now goes to the podium, having nearly finished."),
}
# Paragraphs enough to pass the split threshold the fixture sets, so this article is parsed in pieces and joined.
LONG = "\n".join(f"Paragraph {k}: North Korea accused the US of forming an Asian NATO with Japan and South Korea, "
                 f"and the US called the claim \"absurd\"." for k in range(40))


@pytest.fixture(scope="module")
def articles(seed_texts) -> pd.DataFrame:
    texts = {**seed_texts, **WRITTEN, "w_long": LONG}
    rows = [{"article_id": a, "outlet": f"outlet {a[:3]}", "text": t, "is_english": True, "title": ""}
            for a, t in texts.items()]
    rows.append({"article_id": "fr", "outlet": "Le Monde", "text": "La Corée du Nord accuse les États-Unis.",
                 "is_english": False, "title": ""})
    return tables.conform(pd.DataFrame(rows), "articles", fill=True)


@pytest.fixture(scope="module")
def lexicon() -> dict:
    return profiles.lexicon(profiles.load("asian-nato"))


@pytest.fixture(scope="module")
def tagged_dir(articles, nlp, tmp_path_factory):
    """A tagging run with its stored parse; the long article is cut into pieces (a low split threshold)."""
    out = tmp_path_factory.mktemp("tagged")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segments, "SPLIT_ABOVE", 2_000)
        mp.setattr(segments, "PIECE_CHARS", 1_000)
        rows = tagging.stream(articles, out, nlp=nlp, batch_size=4, flush_every=3)
    assert rows["parses"] == len(articles) - 1 and rows["failures"] == 0
    return out


def scan(articles, nlp, lexicon, data_dir, *, stored: bool, **options) -> rhetoric.Scanned:
    tagged = tagging.read(data_dir)
    with pytest.MonkeyPatch.context() as mp:  # a fresh parse cuts the long article the same way
        mp.setattr(segments, "SPLIT_ABOVE", 2_000)
        mp.setattr(segments, "PIECE_CHARS", 1_000)
        return rhetoric.run(articles, nlp=nlp, sentences=tagged.sentences, quotes=tagged.quotes, lexicon=lexicon,
                            data_dir=data_dir if stored else None, chunk=4, **options)


def assert_same(got: rhetoric.Scanned, expected: rhetoric.Scanned) -> None:
    for name in ("hits", "counts", "frames"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)


@pytest.fixture(scope="module")
def fresh(articles, nlp, lexicon, tagged_dir) -> rhetoric.Scanned:
    return scan(articles, nlp, lexicon, tagged_dir, stored=False)


def test_rhetoric_from_the_stored_parse_equals_a_fresh_parse(articles, nlp, lexicon, tagged_dir, fresh, caplog):
    with caplog.at_level(logging.WARNING):
        stored = scan(articles, nlp, lexicon, tagged_dir, stored=True)
    assert_same(stored, fresh)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # nothing was parsed again
    # the comparison is not empty: hits in seeds and written articles, the long one included, counts and frames
    assert {"w_quote", "w_long"} <= set(stored.hits["article_id"]) and len(stored.hits) > 60
    assert len(stored.counts) > 1000 and len(stored.frames) > 100
    assert (stored.hits["article_id"] == "w_long").sum() >= 40


def test_the_rhetoric_stage_reads_no_pipeline(articles, nlp, lexicon, tagged_dir, fresh, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the rhetoric stage ran the model although the stored parse has every article")

    monkeypatch.setattr(segments, "pipe", refuse)
    monkeypatch.setattr(type(nlp), "pipe", refuse)
    assert_same(scan(articles, nlp, lexicon, tagged_dir, stored=True), fresh)


def test_stored_docs_are_the_whole_articles(articles, nlp, tagged_dir):
    texts = dict(zip(articles["article_id"], articles["text"]))
    stored = dict(parses.read(tagged_dir, nlp=nlp))
    assert list(stored) == [a for a in articles["article_id"] if a != "fr"]  # tagging order, English only
    for article_id, doc in stored.items():
        assert doc.text == texts[article_id]
        assert doc.has_annotation("LEMMA") and doc.has_annotation("POS") and doc.has_annotation("TAG")
        assert not doc.has_annotation("DEP") and not doc.has_annotation("ENT_IOB")
    assert len(stored["w_long"]) > 700  # joined from its pieces, not the first piece only
    index = json.loads((tagged_dir / "parses" / "index.json").read_text())
    assert [len(c["article_ids"]) for c in index["chunks"]] == [3, 3, 3, 1]  # one DocBin per chunk of flush_every
    assert (tagged_dir / "parses").stat().st_mode & 0o777 == (tagged_dir / "sentences.parquet").stat().st_mode & 0o777 | 0o111


def test_a_missing_stored_parse_is_parsed_again_with_a_warning(articles, nlp, lexicon, tagged_dir, fresh, tmp_path,
                                                               caplog):
    old = tmp_path / "old-run"
    shutil.copytree(tagged_dir, old, ignore=shutil.ignore_patterns("parses"))
    with caplog.at_level(logging.WARNING, logger="analysis.rhetoric"):
        again = scan(articles, nlp, lexicon, old, stored=True)
    assert_same(again, fresh)
    assert any("holds no stored parse" in r.getMessage() and "Parsing the 10 articles again" in r.getMessage()
               for r in caplog.records)


def test_a_parse_from_another_model_is_not_used(articles, nlp, lexicon, tagged_dir, fresh, tmp_path, caplog):
    other = tmp_path / "other-model"
    shutil.copytree(tagged_dir, other)
    index = json.loads((other / "parses" / "index.json").read_text())
    (other / "parses" / "index.json").write_text(json.dumps({**index, "model": "en_core_web_lg 3.8.0"}))
    with pytest.raises(parses.StaleParse, match="en_core_web_lg 3.8.0"):
        parses.index(other, nlp=nlp)
    with caplog.at_level(logging.WARNING, logger="analysis.rhetoric"):
        assert_same(scan(articles, nlp, lexicon, other, stored=True), fresh)
    assert any("was parsed with en_core_web_lg" in r.getMessage() for r in caplog.records)


def test_failed_articles_have_no_stored_parse_and_rhetoric_goes_on(articles, nlp, lexicon, fresh, tmp_path,
                                                                   monkeypatch, caplog):
    real = tagging.quotes.extract

    def extract(doc, **kwargs):
        if "a propaganda phrase" in doc.text:
            raise ValueError("injected failure")
        return real(doc, **kwargs)

    monkeypatch.setattr(tagging.quotes, "extract", extract)
    assert tagging.stream(articles, tmp_path, nlp=nlp, flush_every=3)["failures"] == 1
    assert "w_quote" not in {a for a, _ in parses.read(tmp_path, nlp=nlp)}
    analysed = failures.analysed(articles, tmp_path)  # what the rhetoric notebook passes
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="analysis.rhetoric"):
        got = scan(analysed, nlp, lexicon, tmp_path, stored=True)
    assert not caplog.records
    assert "w_quote" not in set(got.hits["article_id"])
    expected = fresh.hits[fresh.hits["article_id"] != "w_quote"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.hits, expected)
    # Passed the failed article anyway, rhetoric parses that one again and says so.
    with caplog.at_level(logging.WARNING, logger="analysis.rhetoric"):
        scan(articles, nlp, lexicon, tmp_path, stored=True)
    assert any("lacks 1 of the 10 articles (w_quote)" in r.getMessage() for r in caplog.records)


def test_tagging_processes_give_the_same_tables_and_parse(articles, nlp, tmp_path, monkeypatch):
    monkeypatch.setattr(tagging, "MIN_CHUNK", 1)  # ten chunks of one article: both workers take several
    for n_process in (1, 2):
        rows = tagging.stream(articles, tmp_path / str(n_process), nlp=nlp, batch_size=4, n_process=n_process)
        assert rows["parses"] == len(articles) - 1
    one, two = tagging.read(tmp_path / "1"), tagging.read(tmp_path / "2")
    for name, df in one.tables().items():
        assert len(df), name
        pd.testing.assert_frame_equal(getattr(two, name), df, obj=name)  # same rows in the same order
    pairs = zip(parses.read(tmp_path / "1", nlp=nlp), parses.read(tmp_path / "2", nlp=nlp), strict=True)
    for (a, doc_a), (b, doc_b) in pairs:
        assert a == b and doc_a.to_bytes() == doc_b.to_bytes()


def test_a_failed_write_keeps_the_earlier_stored_parse(nlp, tagged_dir, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tagged_dir, run_dir)
    before = (run_dir / "parses" / "index.json").read_text()
    with pytest.raises(RuntimeError, match="disk"):
        with parses.Writer(run_dir, model=parses.model_id(nlp)) as out:
            out.append(parses.pack([nlp("One text.")]), ["x"])
            raise RuntimeError("disk full")
    assert (run_dir / "parses" / "index.json").read_text() == before
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []  # no temporary folder left


def test_rhetoric_processes_give_the_same_tables(articles, nlp, lexicon, tagged_dir, fresh, caplog):
    # Batches of 4 of the 10 English articles: two workers scan three batches, reading the stored parse themselves.
    with caplog.at_level(logging.WARNING):
        two = scan(articles, nlp, lexicon, tagged_dir, stored=True, n_process=2)
    assert_same(two, fresh)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]



def test_a_docs_text_is_read_once_and_never_another_docs(nlp):
    first, second = nlp.make_doc("The first article."), nlp.make_doc("A second one, longer.")
    assert parses.text(first) == "The first article." and parses.text(first) is parses.text(first)
    assert parses.text(second) == "A second one, longer." and parses.text(first) == "The first article."
