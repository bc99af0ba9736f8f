"""The stored parse: the tagging stage's spaCy analysis of every article, kept so the rhetoric stage never parses
the corpus a second time.

The tagging stage writes ``<data_dir>/parses/``: one spaCy ``DocBin`` file per chunk of articles
(``00000.spacy``, ``00001.spacy`` ...) and ``index.json`` naming, for every chunk file, the article ids of its docs
in order, with the model that parsed them and the token attributes kept (``ATTRS``). A chunk is written as soon as
it is tagged, so no more than one chunk of Docs is ever held; the folder appears only when the whole stage
succeeds (written beside it and renamed into place, like ``tables.Appender``). Each Doc is the whole article as
tagging saw it (long articles joined from their pieces, ``analysis.segments``): ``doc.text == articles.text``, so
every offset still indexes ``articles.text``. Articles that failed in tagging (the ``failures`` table) and
non-English articles have no stored Doc.

Only what the rhetoric stage reads is kept: the words and their spacing, lemma, coarse and fine part of speech and
morphology, as the whole pipeline gave them (the parser informs them: spaCy's attribute ruler reads dependency
labels to tell AUX from VERB, so they are the tagging stage's own). No dependency parse, entities or sentence
starts: rhetoric takes its sentences from the ``sentences`` table. ``read`` gives the Docs back with a model's
vocab, without running any pipeline component.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

log = logging.getLogger(__name__)

FOLDER = "parses"
INDEX = "index.json"
FORMAT = 1
ATTRS = ("ORTH", "LEMMA", "POS", "TAG", "MORPH")
"""Token attributes kept (spaCy also keeps each token's trailing space): what ``rhetoric.run`` reads."""


class StaleParse(LookupError):
    """A stored parse that cannot stand in for parsing with the given model (missing, other model, other format)."""


_LAST_TEXT: list = []  # [doc, its text]: the last doc ``text`` was asked for


def text(doc: Doc) -> str:
    """``doc.text``, joined once per doc. spaCy's property builds every token and joins them each time it is read,
    and the tagging stage reads one article's text in six places (sentences, quotes, voice, mentions, sentiment):
    that was a fifth of the stage's own work. Keeps the last doc only, alive until another is asked for (the
    stages handle one article at a time, so one entry serves them all)."""
    if not _LAST_TEXT or _LAST_TEXT[0] is not doc:
        _LAST_TEXT[:] = [doc, doc.text]
    return _LAST_TEXT[1]


def model_id(nlp: Language) -> str:
    """The model a parse was made with, as stored in the index: ``en_core_web_sm 3.8.0`` (lang_name version)."""
    return f"{nlp.meta.get('lang', '')}_{nlp.meta.get('name', '')} {nlp.meta.get('version', '')}"


def stored_form(doc: Doc) -> Doc:
    """``doc`` as ``read`` gives it back: the same text and tokens with ``ATTRS`` only (no parse, no entities, no
    sentence starts). An article parsed afresh is put in this form, so it reads the same as a stored one."""
    stored = docbin()
    stored.add(doc)
    return next(stored.get_docs(doc.vocab))


def docbin() -> DocBin:
    """An empty ``DocBin`` keeping ``ATTRS`` (no user data, no tensors). ``add`` copies a Doc's attribute arrays at
    once, so the Doc itself can be dropped: a chunk costs its arrays (about 50 bytes a token), not its Docs."""
    return DocBin(attrs=list(ATTRS), store_user_data=False)


def pack(docs: Iterable[Doc]) -> bytes:
    """The ``ATTRS`` of ``docs`` as the bytes of one ``DocBin``."""
    stored = docbin()
    for doc in docs:
        stored.add(doc)
    return stored.to_bytes()


class Writer:
    """Writes the stored parse of a run into ``<data_dir>/parses/``, one ``DocBin`` file per ``append``.

        with parses.Writer(data_dir, model=parses.model_id(nlp)) as out:
            for packed, article_ids in chunks:
                out.append(packed, article_ids)

    The files go to a hidden folder beside the target, which replaces ``parses/`` only when the block ends without
    an error; on an error it is removed and an earlier stored parse stays as it was.
    """

    def __init__(self, data_dir: str | os.PathLike, *, model: str):
        self.path = Path(data_dir) / FOLDER
        self.model = model
        self.chunks: list[dict] = []

    def __enter__(self) -> Writer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{FOLDER}."))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.tmp, 0o777 & ~mask)  # mkdtemp makes a 0700 folder; the run's folder gets the user's usual mode
        return self

    def append(self, packed: bytes, article_ids: Sequence[str]) -> None:
        """Write one chunk: ``packed`` (``pack`` of its docs) holding the docs of ``article_ids``, in order."""
        if not article_ids:
            return
        name = f"{len(self.chunks):05d}.spacy"
        (self.tmp / name).write_bytes(packed)
        self.chunks.append({"file": name, "article_ids": [str(a) for a in article_ids]})

    @property
    def docs(self) -> int:
        """How many docs were written so far."""
        return sum(len(c["article_ids"]) for c in self.chunks)

    def __exit__(self, kind, error, trace) -> None:
        try:
            if kind is None:
                index = {"format": FORMAT, "model": self.model, "spacy": spacy.__version__, "attrs": list(ATTRS),
                         "chunks": self.chunks}
                (self.tmp / INDEX).write_text(json.dumps(index), encoding="utf-8")
                aside = self.path.with_name(f".{FOLDER}.old")
                shutil.rmtree(aside, ignore_errors=True)
                if self.path.exists():
                    os.replace(self.path, aside)
                os.replace(self.tmp, self.path)
                shutil.rmtree(aside, ignore_errors=True)
                log.info("wrote the stored parse of %d articles in %d files to %s", self.docs, len(self.chunks),
                         self.path)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def index(data_dir: str | os.PathLike, *, nlp: Language) -> dict:
    """The index of ``data_dir``'s stored parse, checked against ``nlp``.

    Raises ``StaleParse`` (with what to do) when there is none (a run folder from before the stored parse, or a
    tagging run that failed), when it was made with another model or version than ``nlp``, or in another format.
    """
    path = Path(data_dir) / FOLDER / INDEX
    if not path.is_file():
        raise StaleParse(f"{path.parent} holds no stored parse (written by the tagging stage since issue #15): "
                         f"re-run the tagging stage (framing run --stages tag,rhetoric,charts)")
    found = json.loads(path.read_text(encoding="utf-8"))
    if found.get("format") != FORMAT or found.get("attrs") != list(ATTRS):
        raise StaleParse(f"{path.parent} was written in another format (format {found.get('format')}, attributes "
                         f"{found.get('attrs')}): re-run the tagging stage")
    if found.get("model") != model_id(nlp):
        raise StaleParse(f"{path.parent} was parsed with {found.get('model')}, not {model_id(nlp)}: re-run the "
                         f"tagging stage with this model, or run this stage with -p model= the tagging model")
    return found


def chunk(data_dir: str | os.PathLike, entry: dict, *, nlp: Language) -> list[Doc]:
    """The Docs of one chunk file (an entry of ``index(...)["chunks"]``), rebuilt with ``nlp.vocab``."""
    stored = DocBin().from_bytes((Path(data_dir) / FOLDER / entry["file"]).read_bytes())
    docs = list(stored.get_docs(nlp.vocab))
    if len(docs) != len(entry["article_ids"]):
        raise StaleParse(f"{Path(data_dir) / FOLDER / entry['file']} holds {len(docs)} docs, its index names "
                         f"{len(entry['article_ids'])}: the stored parse is damaged; re-run the tagging stage")
    return docs


def read(data_dir: str | os.PathLike, *, nlp: Language) -> Iterator[tuple[str, Doc]]:
    """``(article_id, doc)`` for every stored article, in the order tagging wrote them, one chunk file in memory at
    a time. The Docs are rebuilt with ``nlp.vocab``; no pipeline component runs. Raises ``StaleParse`` as
    ``index`` does."""
    for entry in index(data_dir, nlp=nlp)["chunks"]:
        yield from zip(entry["article_ids"], chunk(data_dir, entry, nlp=nlp))
