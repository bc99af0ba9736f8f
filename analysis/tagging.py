"""The tagging stage: sentences with voice and sentiment, quotes with speakers, actor mentions with roles.

``stream(articles, data_dir, nlp=nlp)`` runs the English articles through ``nlp.pipe`` once, turns each parsed
article into rows of five tables (``analysis/data/schemas/tag.yaml``): ``sentences``, ``quotes``, ``mentions``,
``alias_candidates`` and ``sentiment_words``, and writes them to Parquet one chunk of articles at a time, with
the spaCy analysis of each chunk (``analysis.parses``), which the rhetoric stage reads instead of parsing again.
No Doc outlives its chunk and no row outlives its chunk, so memory stays flat as the corpus grows. ``run``
returns the same tables in memory (small corpora, tests); ``read`` loads what ``stream`` wrote. Every
``start``/``end`` indexes ``articles.text``.

Chunks (``chunk_size``: a sixteenth of the corpus, 20 to ``flush_every`` articles) are tagged by ``tag``, one
after the other, or with ``n_process`` > 1 in as many spawned worker processes (``analysis.workers``), each
holding the model once and tagging whole chunks: parsing and the per-article Python work (quotes, actors,
sentiment) both spread over the cores; the corpus's last chunks are then cut smaller, so the workers finish
together (``workers.chunks``). Chunks come back in corpus order whatever ``n_process``, so the tables are the same.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from spacy.language import Language
from spacy.tokens import Doc

from analysis import actors, failures, models, parses, progress, quotes, segments, sentiment, tables, workers

log = logging.getLogger(__name__)

TABLES = ("sentences", "quotes", "mentions", "alias_candidates", "sentiment_words")
_LINE = re.compile(r"[^\n]*\S[^\n]*")
_PIECE = re.compile(r"\S(?:[^\n]*\S)?")  # a sentence's text on one line, trimmed
_FINAL_PUNCT = ".!?:;,…"
_CLOSING_QUOTES = "\"'”’»"
HEADLINE_MAX_WORDS = 25


@dataclass
class Tagged:
    """The five tables of the tagging stage, each conforming to its schema."""

    sentences: pd.DataFrame
    quotes: pd.DataFrame
    mentions: pd.DataFrame
    alias_candidates: pd.DataFrame
    sentiment_words: pd.DataFrame
    parsed: list[tuple[bytes, list[str]]] = field(default_factory=list)
    """With ``run(store_parse=True)``: each chunk's stored parse (``parses.pack`` bytes, its article ids)."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order the schema declares them."""
        return {name: getattr(self, name) for name in TABLES}


def run(articles: pd.DataFrame, *, nlp: Language, batch_size: int = 32, n_process: int = 1,
        aliases: str | os.PathLike | None = None, failed: failures.Recorder | None = None,
        memory_share: float = segments.MEMORY_SHARE, store_parse: bool = False) -> Tagged:
    """Tag every English article of ``articles`` (the ingest stage's table) with ``nlp`` and return the tables.

    ``aliases`` is an alias-table YAML (default: the shipped ``analysis/data/actors.yaml``). Articles whose
    ``is_english`` is False are not analysed and get no rows; their number is logged. An article of any length
    is tagged whole (``analysis.segments.pipe``). An article that raises while it is parsed or tagged gets no
    rows and is recorded in ``failed`` (a ``failures.Recorder``; without one the error is raised), as is one
    that would need more than ``memory_share`` of the available memory. ``n_process`` worker processes tag
    chunks of articles side by side (0: ``models.processes`` decides); the tables are the same whatever it is.
    Progress shows as a bar (``analysis.progress``). The tables are held in memory: for a large corpus use
    ``stream``, which writes them as it goes. With ``store_parse`` the result also carries each chunk's stored
    parse (``Tagged.parsed``), as ``stream`` writes it to ``parses/`` (``analysis.cluster`` sends it back so).
    """
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    parsed = []
    for chunk, packed in _chunks(*_inputs(articles, batch_size, n_process), nlp=nlp, batch_size=batch_size,
                                 n_process=n_process, aliases=aliases, failed=failed, memory_share=memory_share,
                                 store_parse=store_parse):
        for name, df in chunk.items():
            parts[name].append(df)
        if packed is not None and packed[1]:
            parsed.append(packed)
    return Tagged(**{name: _concat(frames, name) for name, frames in parts.items()}, parsed=parsed)


def stream(articles: pd.DataFrame, data_dir: str | os.PathLike, *, nlp: Language, batch_size: int = 32,
           n_process: int = 1, aliases: str | os.PathLike | None = None, flush_every: int = 200,
           memory_share: float = segments.MEMORY_SHARE, store_parse: bool = True) -> dict[str, int]:
    """Tag like ``run`` and write the five tables to ``data_dir`` as it goes, one Parquet row group per chunk of
    at most ``flush_every`` articles, so memory stays flat however large the corpus. Returns the rows of each
    table, under ``failures`` the number of articles that failed and under ``parses`` the number of articles
    whose parse was stored.

    The tables appear in ``data_dir`` only when every article is tagged (``tables.Appender``); read them with
    ``read``. The result is the same as ``write(run(...))`` apart from the row groups. An article that fails is
    left out of the tables and written to the ``failures`` table (stage ``tag``) with its error. With
    ``store_parse`` the spaCy analysis of every tagged article is kept in ``data_dir/parses/`` (``analysis.parses``)
    for the rhetoric stage, one DocBin file per chunk."""
    if flush_every < 1:
        raise ValueError(f"flush_every must be at least 1, got {flush_every}")
    inputs = _inputs(articles, batch_size, n_process)
    failed = failures.Recorder("tag")
    with contextlib.ExitStack() as stack:
        out = {name: stack.enter_context(tables.Appender(name, data_dir)) for name in TABLES}
        stored = stack.enter_context(parses.Writer(data_dir, model=parses.model_id(nlp))) if store_parse else None
        for chunk, parsed in _chunks(*inputs, nlp=nlp, batch_size=batch_size, n_process=n_process, aliases=aliases,
                                     flush_every=flush_every, failed=failed, memory_share=memory_share,
                                     store_parse=store_parse):
            for name, df in chunk.items():
                out[name].append(df)
            if stored is not None and parsed is not None:
                stored.append(*parsed)
    failed.write(data_dir)
    return {**{name: appender.rows for name, appender in out.items()}, "failures": len(failed.rows),
            "parses": stored.docs if stored is not None else 0}


def read(data_dir: str | os.PathLike) -> Tagged:
    """The five tables a tagging run wrote to ``data_dir``."""
    return Tagged(**{name: tables.read(name, data_dir) for name in TABLES})


def _inputs(articles: pd.DataFrame, batch_size: int, n_process: int) -> tuple[list[str], list[str], list[str]]:
    """Article ids, texts and titles of the English articles, after checking the arguments."""
    if batch_size < 1 or n_process < 0:
        raise ValueError(f"batch_size must be at least 1 and n_process at least 0 (0: one per core), got "
                         f"{batch_size} and {n_process}")
    missing = {"article_id", "text"} - set(articles.columns)
    if missing:
        raise KeyError(f"articles lacks column(s) {sorted(missing)}: pass the ingest stage's articles table")
    english = articles["is_english"].astype(bool) if "is_english" in articles else pd.Series(True, articles.index)
    if (~english).any():
        skipped = articles.loc[~english, "article_id"].tolist()
        log.info("not analysing %d non-English article(s): %s%s", len(skipped), ", ".join(skipped[:10]),
                 " ..." if len(skipped) > 10 else "")
    # Lists of the column values, not a filtered copy of the frame: the texts are the largest thing in memory.
    ids = [str(v) for v in articles.loc[english, "article_id"]]
    titles = _strings(articles.loc[english, "title"]) if "title" in articles else [""] * len(ids)
    return ids, _strings(articles.loc[english, "text"]), titles


@dataclass
class Part:
    """What tagging one chunk of articles (``tag``) gives: the rows of the four per-article tables, the chunk's
    alias-candidate counts, the articles that failed with their error, and the stored parse of the others."""

    tables: dict[str, pd.DataFrame]
    candidates: actors.Candidates
    failed: list[tuple[str, Exception]]
    parsed: tuple[bytes, list[str]] | None
    words: int


def tag(ids: list[str], texts: list[str], titles: list[str], *, nlp: Language, matcher: actors.ActorMatcher,
        batch_size: int = 32, memory_share: float = segments.MEMORY_SHARE, store_parse: bool = False) -> Part:
    """Tag one chunk of articles (``ids``, ``texts``, ``titles`` paired in order) in this process.

    An article that raises is rolled back (no rows) and listed in ``Part.failed``. With ``store_parse`` the Docs
    of the tagged articles are packed for ``analysis.parses`` (``Part.parsed``: the DocBin bytes and their ids).
    ``run``/``stream`` call it once per chunk, in worker processes when ``n_process`` > 1; it also serves any
    scheduler that hands out chunks of a corpus."""
    tagger, failed, kept, words = _Tagger(matcher), [], [], 0
    stored = parses.docbin() if store_parse else None
    docs = segments.pipe(nlp, texts, batch_size=batch_size, n_process=1, memory_share=memory_share)
    for article_id, title, doc in zip(ids, titles, docs, strict=True):
        mark = tagger.mark()
        try:
            if isinstance(doc, Exception):
                raise doc
            tagger.add(doc, article_id, title)
        except Exception as err:  # noqa: BLE001 - one article's error is recorded, the chunk goes on
            tagger.rollback(mark)
            failed.append((article_id, err))
            continue
        words += len(doc)
        if stored is not None:
            stored.add(doc)  # its arrays only: the Doc itself is dropped with the next article
            kept.append(article_id)
    parsed = (stored.to_bytes(), kept) if stored is not None else None
    return Part(tagger.flush(), tagger.candidates, failed, parsed, words)


def _chunks(ids: list[str], texts: list[str], titles: list[str], *, nlp: Language, batch_size: int, n_process: int,
            aliases: str | os.PathLike | None, failed: failures.Recorder | None, memory_share: float,
            flush_every: int = 200, store_parse: bool = False) -> Iterator[tuple[dict, tuple | None]]:
    """``(tables, parsed)`` per chunk of articles, in corpus order: the rows of the tables as frames and the
    chunk's stored parse; the last chunk also carries ``alias_candidates``, which needs the whole corpus. An
    article that raises is recorded in ``failed`` (raised when ``failed`` is None).

    Chunks have ``chunk_size(len(texts))`` articles (``workers.chunks``), and are tagged one after the other here, or
    by ``n_process`` worker processes, each tagging whole chunks; either way the rows come out in the same order,
    so the tables do not depend on ``n_process``."""
    size = min(flush_every, chunk_size(len(texts)))
    processes = max(1, min(models.processes(n_process, texts=len(texts)), -(-len(texts) // size)))  # none idle
    bounds = workers.chunks(len(texts), size, processes=processes)
    slices = [(ids[a:b], texts[a:b], titles[a:b]) for a, b in bounds]
    candidates, started, words = actors.Candidates(), time.perf_counter(), 0
    if processes == 1:
        matcher = actors.matcher(nlp, actors.table(aliases))
        done = (tag(*s, nlp=nlp, matcher=matcher, batch_size=batch_size, memory_share=memory_share,
                    store_parse=store_parse) for s in slices)
    else:
        done = _pooled(slices, nlp=nlp, processes=processes, aliases=aliases, batch_size=batch_size,
                       memory_share=memory_share, store_parse=store_parse)
    for k, part in enumerate(progress.bar(done, total=len(slices), desc="tagging", unit="chunk")):
        for article_id, err in part.failed:
            if failed is None:
                raise err
            failed.add(article_id, err)
        candidates.merge(part.candidates)
        words += part.words
        last = k == len(slices) - 1
        yield ({**part.tables, "alias_candidates": candidates.frame()} if last else part.tables), part.parsed
    if not slices:
        yield {"alias_candidates": candidates.frame()}, None
    log.info("tagged %d articles with %d process(es) (%d tokens, %.0f tokens/s)", len(texts), processes, words,
             words / max(time.perf_counter() - started, 1e-9))


CHUNKS_PER_CORPUS = 16
MIN_CHUNK = 20


def chunk_size(n: int) -> int:
    """Articles per chunk for a corpus of ``n``: a sixteenth of it (so 2-8 processes each get several chunks and
    finish together), at least MIN_CHUNK (a chunk restarts spaCy's batching), at most ``stream``'s flush size."""
    return max(MIN_CHUNK, -(-n // CHUNKS_PER_CORPUS))


def _pooled(slices: list[tuple], *, nlp: Language, processes: int, aliases, batch_size: int, memory_share: float,
            store_parse: bool) -> Iterator[Part]:
    """``tag`` of every slice in ``processes`` processes (``analysis.workers``), in order: this one and
    ``processes - 1`` spawned workers, each of which gets the pipeline once (a pickled copy, so any ``nlp``
    works, not only an installed model)."""
    matcher = actors.matcher(nlp, actors.table(aliases))

    def here(s: tuple, batch_size: int, memory_share: float, store_parse: bool) -> Part:
        return tag(*s, nlp=nlp, matcher=matcher, batch_size=batch_size, memory_share=memory_share,
                   store_parse=store_parse)

    return workers.ordered(((s, batch_size, memory_share, store_parse) for s in slices), work=_work, start=_start,
                           initargs=(nlp, aliases), processes=processes, local=here)


_WORKER: dict = {}


def _start(nlp: Language, aliases) -> None:
    """Worker set-up: the pipeline and the alias matcher, once per process."""
    _WORKER["nlp"] = nlp
    _WORKER["matcher"] = actors.matcher(nlp, actors.table(aliases))


def _work(s: tuple, batch_size: int, memory_share: float, store_parse: bool) -> Part:
    part = tag(*s, nlp=_WORKER["nlp"], matcher=_WORKER["matcher"], batch_size=batch_size,
               memory_share=memory_share, store_parse=store_parse)
    part.failed = [(article_id, workers.portable(err)) for article_id, err in part.failed]
    return part


def _concat(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    frames = [df for df in frames if len(df)]
    if not frames:
        return tables.empty(name)
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _strings(values: pd.Series) -> list[str]:
    return [v if isinstance(v, str) else "" for v in values]


def write(tagged: Tagged, data_dir: str | os.PathLike) -> list[Path]:
    """Write the five tables of ``run`` to ``data_dir`` (validated against their schemas)."""
    return [tables.write(df, name, data_dir) for name, df in tagged.tables().items()]


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of ``doc``'s sentences, split at line breaks (a headline or a one-line paragraph is its own
    sentence even when the parser ran it into the next) and trimmed of surrounding whitespace; blank pieces are
    dropped. The same segmentation as ``quotes.sentence_spans``, computed with one ``doc.text``."""
    text = parses.text(doc)
    return [m.span() for sent in doc.sents for m in _PIECE.finditer(text, sent.start_char, sent.end_char)]


def paragraph_starts(text: str) -> list[int]:
    """Start offsets of the paragraphs of ``text``: its non-blank lines."""
    return [m.start() + (len(m.group()) - len(m.group().lstrip())) for m in _LINE.finditer(text)]


def has_headline(text: str, title: str = "") -> bool:
    """Whether the first line of ``text`` is a headline: it equals the article's title, or it is a short line
    (at most HEADLINE_MAX_WORDS words) without final punctuation followed by more text."""
    first, _, rest = text.strip().partition("\n")
    first = " ".join(first.split())
    if not first:
        return False
    if title and first == " ".join(title.split()):
        return True
    return (bool(rest.strip()) and len(first.split()) <= HEADLINE_MAX_WORDS
            and not first.rstrip(_CLOSING_QUOTES).endswith(tuple(_FINAL_PUNCT)))


class _Columns:
    """Column-wise rows of one table for one chunk (all of them for ``run``), kept compact: numbers in typed
    arrays, and strings that repeat (actors, labels, roles, article ids, speakers, assessed words) as one shared
    object each, so a row costs a few bytes per cell rather than a Python object per cell."""

    def __init__(self, name: str, shared: dict[str, str]):
        self.name = name
        self.types = {c: s["type"] for c, s in tables.schema(name)["columns"].items()}
        self.data = {c: array("q") if t == "int64" else array("d") if t == "float64" else []
                     for c, t in self.types.items()}
        self.shared = shared

    def append(self, row: dict, *, share: tuple[str, ...] = ()) -> None:
        for column in share:
            value = row[column]
            row[column] = self.shared.setdefault(value, value)
        for column, values in self.data.items():
            values.append(row[column])

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))

    def truncate(self, rows: int) -> None:
        """Drop the rows after the first ``rows`` (an article that failed half-way leaves none behind)."""
        for values in self.data.values():
            del values[rows:]

    def frame(self) -> pd.DataFrame:
        """The rows as a frame with the schema's columns and types (strings stay the shared objects: no copy)."""
        columns = {}
        for column, kind in self.types.items():
            values = self.data.pop(column)
            if kind in ("int64", "float64"):
                columns[column] = np.frombuffer(values, dtype=kind).copy() if len(values) else np.empty(0, kind)
            else:
                columns[column] = pd.Series(values, dtype=bool if kind == "bool" else object)
        return pd.DataFrame(columns, copy=False)  # no copy into consolidated blocks


class _Tagger:
    """Turns parsed articles into table rows, one article at a time."""

    def __init__(self, matcher: actors.ActorMatcher):
        self.matcher = matcher
        self.candidates = actors.Candidates()
        self._reset()

    def _reset(self) -> None:
        shared: dict[str, str] = {}  # per chunk, so the shared strings do not pile up over the corpus
        self.sentences = _Columns("sentences", shared)
        self.quotes = _Columns("quotes", shared)
        self.mentions = _Columns("mentions", shared)
        self.words = _Columns("sentiment_words", shared)

    def mark(self) -> tuple[int, ...]:
        """How many rows each table holds now, for ``rollback``."""
        return tuple(len(c) for c in (self.sentences, self.quotes, self.mentions, self.words))

    def rollback(self, mark: tuple[int, ...]) -> None:
        """Drop the rows added since ``mark``: an article that raised half-way leaves no rows."""
        for columns, rows in zip((self.sentences, self.quotes, self.mentions, self.words), mark):
            columns.truncate(rows)

    def add(self, doc: Doc, article_id: str, title: str) -> None:
        text = parses.text(doc)
        spans = sentence_spans(doc)
        if not spans:
            return
        found = quotes.extract(doc)
        mention_rows = actors.mentions(doc, matcher=self.matcher, article_id=article_id, quotes=found,
                                       sent_starts=[s for s, _ in spans])
        for row in mention_rows:
            row.update(sentiment.mention_polarity(doc, row["start"], row["end"], sentence=spans[row["sent_id"]]))
            self.mentions.append(row, share=("text", "ner_label", "polarity", "polarity_cues"))
        quote_ids, quote_actor, nest = [], [], quotes.within(found)
        people = actors.people(mention_rows)
        for n, quote in enumerate(found):
            actor = actors.speaker_actor(quote.speaker or "", quote.speaker_start, quote.speaker_end, mention_rows,
                                         matcher=self.matcher, before=quote.start)
            quote_ids.append(f"{article_id}/q{n}")
            quote_actor.append(actor)
            self.quotes.append({
                "article_id": article_id, "quote_id": quote_ids[-1], "start": quote.start, "end": quote.end,
                "text": text[quote.start:quote.end], "kind": quote.kind, "speaker": quote.speaker or "",
                "speaker_actor": actor, "speaker_start": _offset(quote.speaker_start),
                "speaker_end": _offset(quote.speaker_end), "cue": quote.cue or "", "cue_lemma": quote.cue_lemma or "",
                "unbalanced": bool(quote.unbalanced),
                "speaker_type": actors.speaker_type(actor, quote.speaker_type, table=self.matcher.table,
                                                    people=people),
                "speaker_state": actors.speaker_state(actor, table=self.matcher.table),
                "within": f"{article_id}/q{nest[n]}" if nest[n] >= 0 else ""},
                share=("kind", "speaker", "cue", "cue_lemma", "speaker_type", "speaker_state"))
        voices = quotes.sentence_voice(doc, found, spans=spans)
        paragraphs = paragraph_starts(text)
        headline = has_headline(text, title)
        lede = 1 if headline else 0
        for sent_id, (start, end) in enumerate(spans):
            paragraph = max(bisect_right(paragraphs, start) - 1, 0)
            voice = voices[sent_id]
            q = voice.get("quote_id")
            quoted = voice.get("voice") == "quoted"
            linked = quoted and q is not None and q >= 0
            speaker = (voice.get("speaker") or "") if quoted else ""
            if linked:
                speaker_actor = quote_actor[q]
            elif speaker:
                speaker_actor = actors.resolve(speaker, matcher=self.matcher)
            else:
                speaker_actor = ""
            sentence = text[start:end]
            score = sentiment.score(sentence)
            self.sentences.append({
                "article_id": article_id, "sent_id": sent_id, "start": start, "end": end, "paragraph": paragraph,
                "position": "headline" if headline and paragraph == 0 else "lede" if paragraph == lede else "body",
                "text": sentence, "voice": "quoted" if quoted else "narrator",
                "quote_id": quote_ids[q] if linked else "", "speaker": speaker, "speaker_actor": speaker_actor,
                "tb_polarity": score.tb_polarity, "tb_subjectivity": score.tb_subjectivity,
                "vader_compound": score.vader_compound}, share=("speaker",))
            for words, polarity, subjectivity in score.assessments:
                self.words.append({"article_id": article_id, "sent_id": sent_id, "words": words,
                                   "polarity": polarity, "subjectivity": subjectivity}, share=("words",))
        # Last, so an article that raised above counts no alias candidates (its rows are rolled back).
        self.candidates.add(mention_rows, lambda sent_id: text[spans[sent_id][0]:spans[sent_id][1]])

    def flush(self) -> dict[str, pd.DataFrame]:
        """The rows added since the last flush, as frames of the four per-article tables."""
        chunk = {"sentences": self.sentences.frame(), "quotes": self.quotes.frame(),
                 "mentions": self.mentions.frame(), "sentiment_words": self.words.frame()}
        self._reset()
        return chunk


def _offset(value) -> int:
    return int(value) if value is not None and value >= 0 else -1
