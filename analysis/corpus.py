"""Ingestion: read a corpus from files, find its metadata, clean its text, and account for every input.

``ingest(paths)`` turns files and folders (.txt, .csv, .jsonl, .jsonl.gz, .html) into three tables declared in
``analysis/data/schemas/ingest.yaml``: ``articles`` (one cleaned article per row), ``stripped`` (every piece of
boilerplate removed) and ``skipped`` (every input that did not become an article, with the reason). Every
input (a file, or a row of a CSV/JSONL file, or a manifest row naming a missing file) ends up in exactly one of
``articles`` and ``skipped``.

Metadata is never invented: each value records where it came from (``manifest``, ``field`` for a column of the
input, ``text`` for something written before the story, ``dateline``, ``inferred`` for HTML metadata found by
trafilatura, or ``unknown``), and a date without a year stays a partial date in ``date_text``.

The small readers and extractors (``decode``, ``read_txt``, ``dateline``, ``headline``, ``strip_boilerplate``
...) are public so they can be tested and reused one by one. All of them run in linear time: every regular
expression is applied to a bounded prefix or to a bounded line, so a 10 MB single-line file cannot stall them.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import gzip
import hashlib
import io
import json
import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import ftfy
import pandas as pd
import yaml
from spacy.lang.en.stop_words import STOP_WORDS

from analysis import tables

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".csv", ".jsonl", ".jsonl.gz", ".html", ".htm")
"""File kinds ``ingest`` reads; anything else in a corpus folder is a ``skipped`` row (unsupported_format)."""

# Column names in CSV/JSONL inputs, tried in order, for each metadata field (first non-empty wins). AllSides'
# `source_url` is the outlet's domain, so it comes after `url` and `link`.
FIELD_NAMES = {
    "text": ("text", "body", "content", "article", "maintext"),
    "title": ("title", "headline"),
    "outlet": ("outlet", "source", "publisher", "site_name", "sitename"),
    "date": ("date", "published", "published_at", "pub_date", "date_publish", "datetime"),
    "url": ("url", "link", "source_url"),
    "language": ("language", "lang"),
    "bias": ("bias", "bias_text", "bias_rating"),
    "topic": ("topic", "category"),
}
MANIFEST_COLUMNS = ("path", "outlet", "date", "title", "url", "language", "bias", "topic")

QUOTE_CHARS = "\"'“”‘’„‟‚‛«»‹›「」『』＂＇"
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # control characters except \t \n \v \f \r
_C1 = re.compile(r"[\x80-\x9f]")
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_HEAD = 240  # extractors look at most this far into the text: datelines and markers are short

_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for m in names}
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?" \
         r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
                       r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")  # a time is ignored
_MDY = re.compile(rf"(?:[A-Za-z]{{3,9}}\.?,?\s+)?({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?", re.I)
_DMY = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?(?:\s+(\d{{4}}))?", re.I)

# A Unix time of 2001-09-09 or later, in seconds or milliseconds; shorter digit runs are not dates.
_EPOCH = re.compile(r"1\d{9}|1\d{12}")
_MARKER = re.compile(r"\s*date:?[ \t]+(\d{4}-\d{1,2}-\d{1,2})(?=\s|$)\s*", re.I)
_DASH = r"(?:-{1,2}|–|—)"
_SPACED_DASH = r"(?:[ \t]+-{1,2}[ \t]+|[ \t]*[–—][ \t]*)"  # a hyphen needs spaces round it: NATO-led is no dateline
_WRITTEN_DATE = (rf"(?:(?i:{_MONTH})\.?\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+(?i:{_MONTH})\.?(?:,?\s+\d{{4}})?"
                 rf"|\d{{4}}-\d{{2}}-\d{{2}})")
# A place: one or more names (a city pair "SEOUL/WASHINGTON" or "Washington and Seoul"), then maybe ", Country".
_PLACE = (r"(?P<place>[A-Z][A-Za-z.'’ ]{0,30}?(?:/[A-Z][A-Za-z.'’ ]{0,30}?)*(?:, (?!(?i:" + _MONTH + r")\b)"
          r"[A-Z][A-Za-z.'’ ]{0,25}?)?)")
_DATELINE_AGENCY = re.compile(
    rf"{_PLACE}(?:,\s*(?P<date>{_WRITTEN_DATE}))?"
    rf"\s*\((?:(?P<agency>[A-Za-z][A-Za-z-]{{1,15}})(?:,\s*(?P<bdate>{_WRITTEN_DATE}))?"
    rf"|(?P<only_date>{_WRITTEN_DATE}))\)[ \t]*(?P<dash>{_DASH})?[ \t]*")
_DATELINE_DATED = re.compile(rf"{_PLACE},\s*(?P<date>{_WRITTEN_DATE}){_SPACED_DASH}(?=\S)")
_DATELINE_BARE_AGENCY = re.compile(rf"\((?P<agency>[A-Z][A-Za-z-]{{1,15}})\)[ \t]*(?:{_DASH}[ \t]*)?(?=\S)")
_DATELINE_PLACE = re.compile(
    rf"(?P<place>[A-Z][A-Z.'’]{{2,}}(?: [A-Z][A-Z.'’]+){{0,3}}(?:/[A-Z][A-Z.'’ ]+)*(?:, [A-Z][A-Za-z.'’ ]{{1,25}})?)"
    rf"{_SPACED_DASH}(?=\S)")
_OUTLET_PREFIX = re.compile(
    rf"(?P<outlet>[A-Z][\w&.'’]*(?: [A-Z&][\w&.'’]*){{0,4}})[ \t]+{_DASH}[ \t]+(?=[A-Z\"“‘'0-9])")
_SENTENCE_END = ".,;:"
_CLOSERS = "\"'”’»›)]」』 \t"


class DecodeError(ValueError):
    """Bytes that cannot be read as text; ``reason`` is ``binary`` or ``undecodable``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


class ManifestError(ValueError):
    """A manifest that cannot be used: unreadable, unknown columns, or a path outside the corpus."""


@dataclass(frozen=True)
class Record:
    """One input before cleaning: a file, or a row of a CSV/JSONL file.

    ``fields`` holds the metadata the input supplied (title, outlet, date, url, language, bias, topic) and
    ``source`` says how (``field`` for a column, ``inferred`` for HTML metadata). A non-empty ``reason`` means
    the input cannot become an article; ``detail`` explains why.
    """

    path: Path
    row: int = -1
    text: str = ""
    fields: dict = field(default_factory=dict)
    source: str = "field"
    encoding: str = ""
    reason: str = ""
    detail: str = ""
    repairs: tuple = ()  # (kind, text, n_chars) for what the reader changed, e.g. block quotes given quote marks


@dataclass(frozen=True)
class Found:
    """Metadata found at the start of a text: ``text[start:end]`` is what was read (``clean`` strips it, except a
    headline, which stays in the text).

    ``value`` is the outlet or title found; ``date`` an ISO date, or ``date_text`` the date as written when it
    is not a full date; ``agency`` the code in a dateline's brackets; ``place`` a dateline's place.
    """

    kind: str
    start: int
    end: int
    text: str
    value: str = ""
    date: str = ""
    date_text: str = ""
    agency: str = ""
    place: str = ""


@dataclass(frozen=True)
class Cleaned:
    """A cleaned text with what cleaning found (``found``) and removed or repaired (``stripped``).

    ``stripped`` holds ``(kind, text)`` pairs for removed text and ``(kind, text, n_chars)`` triples for a repair
    or a removal whose text is not the characters themselves (``control``, ``mojibake_repaired``).
    """

    text: str
    found: dict
    stripped: list


@dataclass(frozen=True)
class Ingested:
    """The ingest stage's tables (already conforming to their schemas) and the number of inputs seen."""

    articles: pd.DataFrame
    stripped: pd.DataFrame
    skipped: pd.DataFrame
    inputs: int

    def summary(self) -> pd.DataFrame:
        """Inputs, articles, skipped inputs by reason, and what was repaired: a one-glance account of the run."""
        arts, kinds = self.articles, self.stripped["kind"].value_counts()
        rows = [("inputs", self.inputs), ("articles", len(arts)),
                ("non-English articles (left out of English-only stages)", int((~arts["is_english"]).sum())),
                ("articles with no named outlet (labelled 'unnamed outlet (...)')",
                 int((arts["outlet_source"] == "unknown").sum())),
                ("articles whose outlet is their URL's site", int((arts["outlet_source"] == "url").sum())),
                ("articles with mojibake repaired", int(self.stripped.loc[
                    self.stripped["kind"] == "mojibake_repaired", "article_id"].nunique())),
                ("HTML quotes given quote marks", int(kinds.get("quote_marks_added", 0))),
                ("skipped", len(self.skipped))]
        rows += [(f"skipped: {reason}", n) for reason, n in self.skipped["reason"].value_counts().sort_index().items()]
        return pd.DataFrame(rows, columns=["what", "count"])


def excluded(articles: pd.DataFrame) -> pd.DataFrame:
    """The articles English-only stages leave out, and why: ``article_id, outlet, language, why, n_words, start``.

    ``why`` says who decided the language (the manifest, the input's own language field, or identification from
    the text, see ``language``); ``start`` is the first 80 characters of the text, to check the call by eye.
    """
    out = articles.loc[~articles["is_english"].astype(bool)]
    said = {"manifest": "the manifest says {}", "field": "the input's language field says {}",
            "inferred": "the page's metadata says {}", "text": "identified from the text as {}"}
    why = [said.get(source, "{}").format(repr(lang) if lang else "no language (no letters)")
           for lang, source in zip(out["language"], out["language_source"])]
    return pd.DataFrame({"article_id": out["article_id"], "outlet": out["outlet"], "language": out["language"],
                         "why": why, "n_words": out["n_words"], "start": out["text"].str[:80]}).reset_index(drop=True)


# --- bytes and text -------------------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and name the encoding: a BOM's (utf-8-sig, utf-16, utf-32), else utf-8, cp1252, latin-1.

    Raises ``DecodeError`` with reason ``binary`` (NUL bytes, or mostly control characters) or ``undecodable``
    (bytes invalid under the BOM's encoding, or under all of utf-8, cp1252 and a plausible latin-1).
    """
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _check_controls(data.decode(name), name), name
            except UnicodeDecodeError as err:
                raise DecodeError("undecodable", f"starts with a {name} byte-order mark but byte {err.start} is "
                                                 f"invalid {name} ({err.reason})") from None
    if b"\x00" in data:
        even, odd = data[0::2].count(0), data[1::2].count(0)  # UTF-16 puts NULs in every other byte of ASCII text
        hint = " (UTF-16 without a byte-order mark?)" if min(even, odd) < max(even, odd) // 20 and max(
            even, odd) > len(data) // 5 else ""
        raise DecodeError("binary", f"contains NUL bytes (first at byte {data.index(0)}): not a text file{hint}")
    try:
        return _check_controls(data.decode("utf-8"), "utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = f"invalid UTF-8 at byte {err.start}"
        if err.reason == "unexpected end of data" and max(data[:err.start], default=0) >= 0x80:
            # A UTF-8 file (it has other multi-byte characters) cut inside its last character, as an interrupted
            # download leaves it: keep the text, flag the encoding.
            return _check_controls(data[:err.start].decode("utf-8"), "utf-8"), "utf-8-truncated"
    try:
        return _check_controls(data.decode("cp1252"), "cp1252"), "cp1252"
    except UnicodeDecodeError as err:
        cp1252_error = f"byte 0x{data[err.start]:02x} at {err.start} is undefined in cp1252"
    text = data.decode("latin-1")
    # Bytes undefined in cp1252 decode to C1 control characters in latin-1: a stray one is a latin-1 text, many
    # mean the bytes are in some other encoding.
    if len(_C1.findall(text)) <= max(1, len(text) // 1000):
        return _check_controls(text, "latin-1"), "latin-1"
    raise DecodeError("undecodable", f"{utf8_error}; {cp1252_error}; too many control characters for latin-1")


# What a page declares: <meta charset=...>, <meta http-equiv="Content-Type" content="...; charset=...">, or an
# XML declaration. Looked for in the first bytes only, as browsers do (the WHATWG prescan reads 1,024 bytes).
_DECLARED_CHARSET = re.compile(rb"""<meta\b[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]{1,40})"""
                               rb"""|<\?xml\b[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_:.+-]{1,40})""", re.I)
_PRESCAN = 4096
# Labels browsers decode with a superset codec (WHATWG Encoding Standard): a page labelled euc-kr or gb2312 may use
# characters only the superset has. Other labels go to Python's codec of the same name.
_WEB_CODECS = {"euc-kr": "cp949", "ks_c_5601-1987": "cp949", "windows-949": "cp949", "korean": "cp949",
               "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
               "windows-31j": "cp932", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
               "gb_2312-80": "gb18030", "chinese": "gb18030", "big5": "big5hkscs", "big5-hkscs": "big5hkscs",
               "x-x-big5": "big5hkscs", "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
               "ascii": "cp1252"}


def declared_charset(data: bytes) -> tuple[str, str]:
    """``(label, codec)``: the charset an HTML page declares in its first 4,096 bytes, or ``("", "")``.

    Reads ``<meta charset>``, ``<meta http-equiv="Content-Type" content="text/html; charset=...">`` and an XML
    declaration's ``encoding``. ``label`` is lower-cased as written (``euc-kr``); ``codec`` is the Python codec
    that decodes it as a browser does (``cp949``; see the WHATWG Encoding Standard), ``""`` for an unknown label.
    """
    m = _DECLARED_CHARSET.search(data[:_PRESCAN])
    if not m:
        return "", ""
    label = (m[1] or m[2]).decode("ascii").lower()
    try:
        return label, _WEB_CODECS.get(label) or codecs.lookup(label).name
    except LookupError:
        return label, ""


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode an HTML page: a BOM, or UTF-8, as ``decode`` does; else the charset the page declares.

    An EUC-KR, Shift_JIS, GB2312/GBK, Big5, KOI8-R or windows-1251 page that says so in a ``<meta>`` is read in
    that charset (the encoding returned is the declared label, ``euc-kr``). Bytes that are not valid in the
    declared charset, or a page that declares none, fall back to ``decode`` (cp1252, latin-1). Raises
    ``DecodeError`` as ``decode`` does.
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return decode(data)
    try:
        return _check_controls(data.decode("utf-8"), "utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    label, codec = declared_charset(data)
    if codec and codec not in ("utf-8", "utf_8"):
        try:
            return _check_controls(data.decode(codec), label), label
        except UnicodeDecodeError as err:
            log.warning("bytes %d-%d are not valid %s, which the page declares; reading it as undeclared",
                        err.start, err.end, label)
    return decode(data)


def _check_controls(text: str, encoding: str) -> str:
    n = len(_CONTROL.findall(text[:100_000]))
    if n > max(2, min(len(text), 100_000) // 100):
        raise DecodeError("binary", f"{n} control characters in the first {min(len(text), 100_000)} characters "
                                    f"(decoded as {encoding}): not a text file")
    return text


def normalise(text: str) -> tuple[str, str]:
    """NFC, ``\\n`` line ends, no control characters, no trailing spaces or blank-line runs, trimmed.

    Returns the text and the control characters removed (escaped, for the ``stripped`` table). Quote marks are
    kept exactly as written.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\v", "\n").replace("\f", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    removed = _CONTROL.findall(text)
    if removed:
        text = _CONTROL.sub("", text)
    text = _BLANK_RUN.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip()
    return text, " ".join(sorted({c.encode("unicode_escape").decode("ascii") for c in removed}))


# ftfy repairs only text that was decoded with the wrong codec (and HTML-less mojibake such as "â€œ"); every
# fixer that would change the article's own characters (curly quotes, ligatures, full-width letters, line breaks,
# HTML entities) is off, and NFC and control characters are left to ``normalise``, which records them.
_FTFY = ftfy.TextFixerConfig(unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
                             fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
                             remove_control_chars=False, fix_c1_controls=False, normalization=None, explain=False)
# What ftfy could change, found in one fast pass so that clean text (nearly all of it) never reaches ftfy's slower
# checks: a UTF-8 lead byte read as cp1252/latin-1 (Ã, â, Ð ...) followed by a continuation byte read the same way
# (€, ™, “, ’, Â ...), Cyrillic read from UTF-8 bytes, a C1 control (a cp1252 byte read as latin-1) or a lone
# surrogate.
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                            "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
                            "|[\u0420\u0421\u0440\u0441\u0413\u0432][\u0402-\u045f\u00a0-\u00bb\u2018-\u201e\u2020"
                            "\u2021\u2026\u2030\u2039\u203a\u20ac\u2122]|[\u0080-\u009f\ud800-\udfff]")
_MAX_DIFF_WORDS = 5_000  # a line with more words that changes is reported whole (a diff costs up to words squared)
_MAX_DIFF_WORD = 200  # a longer changed "word" (unspaced text) is reported whole rather than diffed by character


def repair(text: str) -> tuple[str, str, int]:
    """Mojibake repaired with ftfy: ``(text, what, n_chars)``.

    ``â€œAsian NATO,â€\x9d the ministryâ€™s`` becomes ``“Asian NATO,” the ministry’s``: ftfy's encoding fixes
    only (Speer, ftfy, https://ftfy.readthedocs.io), so quote marks, ligatures and full-width letters stay as
    written. ``what`` lists each distinct replacement with its count (``â€œ → “ ×2; â€™ → ’ ×1``, at most 300
    characters) and ``n_chars`` is how many characters of the input were replaced; ``("", 0)`` when nothing
    changed. Works line by line, so its cost is linear in the text.
    """
    if text.isascii() or not _MOJIBAKE_HINT.search(text):
        return text, "", 0
    lines = text.split("\n")
    changes: Counter = Counter()
    n_chars = 0
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        fixed = ftfy.fix_text(line, _FTFY)
        if fixed == line:
            continue
        lines[i] = fixed
        for wrong, right in _replacements(line, fixed):
            changes[f"{wrong} → {right}"] += 1
            n_chars += len(wrong)
    if not changes:
        return text, "", 0
    what = "; ".join(f"{change} ×{n}" for change, n in changes.most_common())  # ties in order of first use
    return "\n".join(lines), _printable(what)[:300], n_chars


def _replacements(line: str, fixed: str) -> list[tuple[str, str]]:
    """The pieces of ``line`` that ``fixed`` replaces, as ``(wrong, right)`` pairs.

    Mojibake stays within a word, so the line is aligned word by word and only changed words are diffed by
    character; this keeps the cost near linear where a character diff of a long line would be quadratic.
    """
    old, new = line.split(" "), fixed.split(" ")
    if len(old) == len(new):
        pairs = [(a, b) for a, b in zip(old, new) if a != b]
    elif max(len(old), len(new)) <= _MAX_DIFF_WORDS:
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        pairs = [(" ".join(old[a:b]), " ".join(new[c:d])) for op, a, b, c, d in matcher.get_opcodes() if op != "equal"]
    else:
        return [(line, "(a long line)")]
    found = []
    for a, b in pairs:
        if max(len(a), len(b)) > _MAX_DIFF_WORD:
            found.append((a, b[:20] + "…"))
            continue
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        found += [(a[i:j], b[k:m]) for op, i, j, k, m in matcher.get_opcodes() if op != "equal"]
    return found


def _printable(text: str) -> str:
    """Control characters (the C1 bytes mojibake carries, like \\x9d) escaped so a table shows them."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def quote_marks(text: str) -> str:
    """The distinct quote characters ``text`` uses, in order of first use (apostrophes included)."""
    first = {c: text.find(c) for c in QUOTE_CHARS}
    return "".join(sorted((c for c, i in first.items() if i >= 0), key=first.get))


@cache
def _identifier():
    """A private py3langid identifier (not py3langid's module-level one, which other code may restrict to some
    languages), so results depend on the text alone; built from the model's arrays as py3langid builds it."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = _langid_arrays(MODEL_DIR / MODEL_FILE)
    if model is None:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return LanguageIdentifier(np.asarray(model["ptc"]), np.asarray(model["pc"]), model["classes"].tolist(),
                              _uint_array(model["nextmove"]), model["out_feat"].tolist(), norm_probs=True,
                              tk_row=_uint_array(model["nextmove_row"]))


LANGID_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _langid_arrays(model: Path) -> dict | None:
    """The arrays of py3langid's model, from the cache folder (``cache.folder``).

    py3langid ships its model LZMA-compressed: decompressing it costs 0.6 s of every ingestion. The arrays are
    kept uncompressed (68 MB), one ``.npy`` file each, keyed by py3langid's version and the model file's size,
    and mapped from there. None when they cannot be kept or read (py3langid then loads its own file)."""
    import lzma
    from importlib import metadata

    import numpy as np

    from analysis import cache

    try:
        state = model.stat()
        version = metadata.version("py3langid")
        # py3langid's version and the file's size, not its time stamp: each new environment would add 66 MB
        folder = cache.folder() / f"langid-{version}-{state.st_size}"
        if not folder.is_dir():
            with lzma.open(model) as packed, np.load(io.BytesIO(packed.read()), allow_pickle=False) as data:
                _keep_arrays(folder, {name: data[name] for name in LANGID_ARRAYS})
        return {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in LANGID_ARRAYS}
    except (OSError, ValueError, KeyError) as err:
        log.info("py3langid's model is read from its own file (%s)", err)
        return None


def _keep_arrays(folder: Path, arrays: dict) -> None:
    """Write ``arrays`` as ``folder/<name>.npy``, all or none: into a folder beside it, renamed into place."""
    import shutil
    import tempfile

    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        for name, values in arrays.items():
            np.save(tmp / f"{name}.npy", values, allow_pickle=False)
        os.rename(tmp, folder)
    except OSError:
        if folder.is_dir():  # another process kept them first
            return
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _uint_array(values):
    """A NumPy unsigned-integer array as the standard-library array py3langid's tokenizer indexes."""
    import array

    import numpy as np

    out = array.array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(memoryview(np.ascontiguousarray(values)).cast("B"))
    return out


def language(text: str, *, max_chars: int = 600, min_probability: float = 0.9, english_share: float = 0.25,
             english_rank: int = 15) -> str:
    """ISO 639-1 code of ``text``'s language: py3langid over its first ``max_chars`` characters, English kept.

    py3langid (Lui & Baldwin 2012) is unreliable on a few words: short English lines come out as Tagalog, Dutch
    or Pidgin. So a reading other than English counts only when its probability is at least
    ``min_probability``; an unsure reading falls back to ``en`` when at least ``english_share`` of the words are
    English function words (spaCy's English stop words; running English has 40-50%, other languages written in
    Latin script a few percent) or when English is among py3langid's ``english_rank`` likeliest languages (a
    headline of names such as "Kim Jong Un visits Pyongyang factory" ranks English 5th; short Spanish or German
    lines, 19th to 50th). A confident reading is kept, however short. The sample is cut at a word boundary;
    a hundred words decide a news article's language as well as the whole of it, and py3langid walks the text
    in Python, so 5,000 articles stay within seconds. Returns ``""`` for text with no letters.
    """
    sample = text[:max_chars]
    if len(text) > max_chars and " " in sample:
        sample = sample[:sample.rindex(" ")]
    if not any(c.isalpha() for c in sample):
        return ""
    code, probability = _identifier().classify(sample)
    if code == "en" or probability >= min_probability:
        return code
    if any(c == "en" for c, _ in _identifier().rank(sample)[:english_rank]):  # ranking all costs a second pass
        return "en"
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", sample.lower())
    english = sum(w in STOP_WORDS for w in words)
    return "en" if words and english >= english_share * len(words) else code


_LANGUAGE_NAMES = {"english": "en", "eng": "en", "german": "de", "deu": "de", "ger": "de", "french": "fr",
                   "fra": "fr", "fre": "fr", "spanish": "es", "spa": "es", "korean": "ko", "kor": "ko",
                   "japanese": "ja", "jpn": "ja", "chinese": "zh", "zho": "zh", "chi": "zh", "russian": "ru",
                   "rus": "ru"}


def language_code(value: str) -> str:
    """A language as an input writes it, as an ISO 639-1 code: ``en-US``, ``EN``, ``en_GB``, ``English`` and
    ``eng`` are all ``en``; an unknown name is kept lower-cased; empty stays empty."""
    value = str(value or "").strip().lower()
    primary = re.split(r"[-_ ]", value, maxsplit=1)[0] if value else ""
    return _LANGUAGE_NAMES.get(value) or _LANGUAGE_NAMES.get(primary) or primary


def parse_date(value: object) -> tuple[str, str]:
    """``(iso, as_written)``: an ISO date when ``value`` is a full valid date, else ``("", value)``.

    Reads ``2024-06-30`` (with or without a time), ``2024/06/30``, ``June 30, 2024``, ``Jun. 30 2024`` and
    ``30 June 2024``, and a Unix time in seconds (10 digits) or milliseconds (13 digits, what
    ``pandas.DataFrame.to_json`` writes by default), read in UTC. A date without a year (``Jun. 30``) or an
    impossible one (``2024-13-45``) is not completed or repaired: it comes back as written, with no ISO date.
    """
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
    if not text or len(text) > 64:
        return "", text[:64]
    if _EPOCH.fullmatch(text):
        seconds = int(text) // (1000 if len(text) == 13 else 1)
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date().isoformat(), ""
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _MDY.fullmatch(text):
        if not m[3]:
            return "", text
        y, mo, d = int(m[3]), _MONTHS[m[1].lower()], int(m[2])
    elif m := _DMY.fullmatch(text):
        if not m[3]:
            return "", text
        y, mo, d = int(m[3]), _MONTHS[m[2].lower()], int(m[1])
    else:
        return "", text
    try:
        return dt.date(y, mo, d).isoformat(), ""
    except ValueError:
        return "", text


# --- metadata written in the text -----------------------------------------------------------------------------

def leading_marker(text: str) -> Found | None:
    """A leading ``date YYYY-MM-DD`` marker (as in ``" date 2022-06-29 North Korea has ..."``), or None.

    ``date`` is the ISO date; an impossible one (``2024-13-45``) is kept only in ``date_text``.
    """
    m = _MARKER.match(text[:_HEAD])
    if not m:
        return None
    iso, written = parse_date(m[1])
    return Found("date_marker", m.start(), m.end(), m[0].strip(), date=iso, date_text=written)


def outlet_prefix(text: str, *, patterns: Boilerplate | None = None) -> Found | None:
    """An outlet named before the story, ``Islam Times - North Korea accused ...``, or None.

    A short title-case name (up to five words) followed by a dash and a capitalised word, that is a known
    agency or has a word typical of outlet names (``outlet_words`` in ``analysis/data/boilerplate.yaml``:
    Times, News, Post ...). An all-capitals name is a dateline's place (``WASHINGTON —``), left to ``dateline``.
    """
    m = _OUTLET_PREFIX.match(text[:_HEAD])
    if not m or m["outlet"].isupper():
        return None
    known = patterns or boilerplate()
    words = {w.lower() for w in m["outlet"].split()}
    if not (words & known.outlet_words or m["outlet"] in known.agencies.values() or m["outlet"] in known.agencies):
        return None  # "Washington --" or "Fasten Your Seat Belt —" open a story; they are not outlets
    return Found("outlet_prefix", m.start(), m.end(), m[0].strip(), value=m["outlet"])


def dateline(text: str, *, patterns: Boilerplate | None = None) -> Found | None:
    """A dateline opening the story, or None.

    Reads the wire shapes: ``TEHRAN, Jun. 30 (MNA) –``, ``Pyongyang, December 24 (KCNA) --``,
    ``WASHINGTON (Reuters) -``, ``TOKYO, June 28 (AP) —``, ``WASHINGTON, June 28 —``, ``SEOUL, June 28 --``,
    ``PARIS —``, ``HANOI, Vietnam —``, city pairs (``SEOUL/WASHINGTON (Reuters) -``), a date in the brackets
    (``WASHINGTON (June 28, 2024) —``, ``UNITED NATIONS (AP, June 28, 2024) —``) and ``(CNN)``. ``agency`` is the
    bracketed code and ``value`` the outlet it names (the agencies in ``analysis/data/boilerplate.yaml``, else the
    code as written). A date with a year becomes ``date``; one without (``Jun. 30``) stays in ``date_text``,
    since a year is never guessed. To avoid reading ``North Korea (DPRK) -`` as a dateline, an agency not in the
    table counts only next to a date; a capitalised label such as ``FILE -`` (``kickers`` in boilerplate.yaml)
    is not a place, nor is a weekday (``Friday, June 28 —``).
    """
    head = text[:_HEAD]
    patterns = patterns or boilerplate()
    agencies = patterns.agencies
    m = _DATELINE_AGENCY.match(head)
    date = m and (m["date"] or m["bdate"] or m["only_date"])
    if m and _is_place(m["place"], patterns) and (
            m["agency"] in agencies or (date and (m["agency"] or "X").isupper()) or (m["only_date"] and m["dash"])):
        iso, partial = parse_date(date or "")
        agency = m["agency"] or ""
        return Found("dateline", m.start(), m.end(), m[0].strip(), value=agencies.get(agency, agency),
                     date=iso, date_text=partial, agency=agency, place=m["place"].strip())
    m = _DATELINE_DATED.match(head)
    if m and _is_place(m["place"], patterns):
        iso, partial = parse_date(m["date"])
        return Found("dateline", m.start(), m.end(), m[0].strip(), date=iso, date_text=partial,
                     place=m["place"].strip())
    m = _DATELINE_BARE_AGENCY.match(head)
    if m and m["agency"] in agencies:
        return Found("dateline", m.start(), m.end(), m[0].strip(), value=agencies[m["agency"]], agency=m["agency"])
    m = _DATELINE_PLACE.match(head)
    if m and m["place"].strip() not in patterns.kickers:
        return Found("dateline", m.start(), m.end(), m[0].strip(), place=m["place"].strip())
    return None


_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday"}


def _is_place(place: str, patterns: Boilerplate) -> bool:
    place = place.strip()
    return bool(place) and place not in patterns.kickers and place.lower() not in _WEEKDAYS


def headline(text: str, *, title: str = "") -> Found | None:
    """The headline on the first line (``value``), followed by body text, or None.

    With ``title`` (a headline the input supplied), the first line counts only when it repeats that title.
    Otherwise a first line is a headline when it has 3 to 25 words, at most 200 characters, does not end in
    sentence punctuation (``.``, ``,``, ``;``, ``:``) and is not a byline (``By ...``). A heading further down
    (a subheading) is never a headline.
    """
    start = len(text) - len(text.lstrip())
    newline = text.find("\n", start, start + 400)
    if newline < 0 or not text[newline:].strip():
        return None
    line = text[start:newline].strip()
    if title:
        ok = _comparable(line) == _comparable(title)
    else:
        ok = looks_like_headline(line)
    return Found("headline", start, newline, line, value=line) if ok else None


def looks_like_headline(line: str) -> bool:
    """True for a short line shaped like a headline: 3-25 words, <= 200 characters, no sentence punctuation at
    the end, not a byline."""
    words = line.split()
    return (3 <= len(words) <= 25 and len(line) <= 200 and "\n" not in line
            and line.rstrip(_CLOSERS)[-1:] not in _SENTENCE_END and line.rstrip(_CLOSERS) != ""
            and words[0].lower() != "by" and (line[0].isupper() or line[0].isdigit() or line[0] in QUOTE_CHARS))


def _comparable(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


# --- boilerplate ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Boilerplate:
    """Compiled patterns from ``analysis/data/boilerplate.yaml`` (see the documentation at its top)."""

    max_line_chars: int
    navigation: re.Pattern | None
    footer: re.Pattern | None
    signoff: re.Pattern | None
    signoff_inline: re.Pattern | None
    headline_list: dict
    agencies: dict
    outlet_words: frozenset = frozenset()
    kickers: frozenset = frozenset()
    cross_reference: re.Pattern | None = None
    cross_reference_needs: tuple = ()
    gallery: Gallery | None = None


@dataclass(frozen=True)
class Gallery:
    """A photo gallery pasted into the text: its first line opens with ``open``; its last line ends with the
    ``close`` marker of its last caption (two equal numbers: "Hide Caption 22 of 22"), at most ``max_lines`` on."""

    open: re.Pattern
    close: re.Pattern
    max_lines: int


def boilerplate(path: str | os.PathLike | None = None) -> Boilerplate:
    """The boilerplate patterns, from ``path`` or the workbook's ``analysis/data/boilerplate.yaml``.

    A file given by ``path`` is read on every call (so an edit is seen at once); compiling is cached by content.
    """
    if path:
        return _compile(str(path), Path(path).read_text(encoding="utf-8"))
    return _shipped()


@cache
def _shipped() -> Boilerplate:
    raw = resources.files("analysis").joinpath("data/boilerplate.yaml").read_text(encoding="utf-8")
    return _compile("analysis/data/boilerplate.yaml", raw)


@cache
def _compile(source: str, raw: str) -> Boilerplate:
    spec = tables.parse_yaml(raw) or {}

    def compiled(kind: str) -> re.Pattern | None:
        patterns = [str(p) for p in spec.get(kind) or []]
        for p in patterns:
            try:
                re.compile(p)
            except re.error as err:
                raise ValueError(f"{source}: {kind} pattern {p!r} is not a valid regular expression: {err}") from None
        # A leading global flag such as (?i) becomes a scoped one, (?i:...), so the patterns can be joined.
        scoped = [re.sub(r"^\(\?([imsx]+)\)(.*)$", r"(?\1:\2)", p, flags=re.S) for p in patterns]
        return re.compile("|".join(f"(?:{p})" for p in scoped)) if patterns else None

    headline_list = {"min_lines": 3, "min_words": 2, "max_words": 20, "max_chars": 160, "min_capitalised": 0.9,
                     "minor_words": []} | (spec.get("headline_list") or {})
    headline_list["minor_words"] = frozenset(str(w).lower() for w in headline_list["minor_words"])
    return Boilerplate(int(spec.get("max_line_chars", 300)), compiled("navigation"), compiled("footer"),
                       compiled("signoff"), compiled("signoff_inline"), headline_list,
                       {str(k): str(v) for k, v in (spec.get("agencies") or {}).items()},
                       frozenset(str(w).lower() for w in spec.get("outlet_words") or []),
                       frozenset(str(w) for w in spec.get("kickers") or []), compiled("cross_reference"),
                       tuple(str(w) for w in spec.get("cross_reference_needs") or []), _gallery(source, spec))


def _gallery(source: str, spec: dict) -> Gallery | None:
    gallery = spec.get("gallery") or {}
    if not gallery:
        return None
    try:
        close = re.compile(str(gallery["close"]))
        opened = re.compile(str(gallery["open"]))
    except (KeyError, re.error) as err:
        raise ValueError(f"{source}: gallery needs valid `open` and `close` regular expressions: {err}") from None
    if close.groups != 2:
        raise ValueError(f"{source}: gallery `close` must capture two numbers (caption k of n), got {close.pattern!r}")
    return Gallery(opened, close, int(gallery.get("max_lines", 60)))


def strip_boilerplate(text: str, *, patterns: Boilerplate | None = None, navigation: bool = True,
                      end: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """Remove navigation lines and cross-references anywhere (``navigation``) and footers, sign-offs and a
    trailing headline list (``end``).

    Returns the cleaned text and the removed pieces as ``(kind, text)`` pairs in text order. A cross-reference
    (``SEE ALSO: ...``, ``(RELATED: ...)``) is cut out of its line, the rest of the line kept. A headline list is
    found by shape (see ``is_listed_headline``), never by its content. Linear in the length of ``text``.
    """
    patterns = patterns or boilerplate()
    lines = text.split("\n")
    keep = [True] * len(lines)
    removed: list[tuple[int, str, str]] = []
    if navigation:
        for i, line in enumerate(lines):
            if _line_matches(patterns.navigation, line, patterns):
                keep[i] = False
                removed.append((i, "navigation", line.strip()))
            elif patterns.cross_reference is not None and len(line) <= _MAX_XREF_LINE and (
                    not patterns.cross_reference_needs or any(n in line for n in patterns.cross_reference_needs)):
                lines[i], cut = _cut(patterns.cross_reference, line)
                removed += [(i, "cross_reference", piece) for piece in cut]
                keep[i] = bool(lines[i].strip()) or not cut
        if patterns.gallery is not None:
            removed += _galleries(lines, keep, patterns.gallery)
    if end:
        removed += _peel_end(lines, keep, patterns)
    kept = "\n".join(line for line, k in zip(lines, keep) if k)
    return _BLANK_RUN.sub("\n\n", kept).strip(), [(kind, piece) for _, kind, piece in sorted(removed)]


_MAX_XREF_LINE = 20_000  # cross-reference patterns are searched in lines up to this long (see boilerplate.yaml)


def _galleries(lines: list[str], keep: list[bool], gallery: Gallery) -> list[tuple[int, str, str]]:
    """Remove each whole photo gallery (its lines, from its opening line to its last caption's marker), then any
    marker left in a line (a gallery cut short by the scrape); updates ``lines`` and ``keep`` in place."""
    removed, i = [], 0
    while i < len(lines):
        end = _gallery_end(lines, keep, i, gallery) if keep[i] and gallery.open.match(lines[i].strip()) else None
        for j in range(i, i if end is None else end + 1):
            keep[j], piece = False, lines[j].strip()
            removed += [(j, "gallery", piece)] if piece else []
        i = i + 1 if end is None else end + 1
    for j, line in enumerate(lines):
        if keep[j] and gallery.close.search(line):
            lines[j], cut = _cut(gallery.close, line)
            removed += [(j, "gallery", piece) for piece in cut]
            keep[j] = bool(lines[j].strip())
    return removed


def _gallery_end(lines: list[str], keep: list[bool], start: int, gallery: Gallery) -> int | None:
    """The line that closes the gallery opened at ``start``: it ends with a marker of equal numbers."""
    for j in range(start, min(len(lines), start + gallery.max_lines)):
        last = list(gallery.close.finditer(lines[j].rstrip())) if keep[j] else []
        if last and last[-1].end() == len(lines[j].rstrip()) and last[-1][1] == last[-1][2]:
            return j
    return None


def _cut(pattern: re.Pattern, line: str) -> tuple[str, list[str]]:
    """``line`` without every match of ``pattern`` but its group named ``keep``, if it has one, and the pieces cut
    (stripped)."""
    cut = [piece for m in pattern.finditer(line) if (piece := _cut_of(m).strip())]
    return (pattern.sub(_kept, line).strip(), cut) if cut else (line, [])


def _kept(match: re.Match) -> str:
    return match.groupdict().get("keep") or ""


def _cut_of(match: re.Match) -> str:
    """The text a match removes: all of it but its ``keep`` group."""
    if not _kept(match):
        return match[0]
    return match.string[match.start():match.start("keep")] + match.string[match.end("keep"):match.end()]


def _peel_end(lines: list[str], keep: list[bool], patterns: Boilerplate) -> list[tuple[int, str, str]]:
    """Remove footers, sign-offs and a headline list from the end (updates ``lines`` and ``keep`` in place)."""
    removed: list[tuple[int, str, str]] = []
    end = len(lines)
    while True:  # each pass removes at least one line or stops, so this is linear
        last = end - 1
        while last >= 0 and (not keep[last] or not lines[last].strip()):
            last -= 1
        if last < 0:
            return removed
        line = lines[last]
        kind = ("footer" if _line_matches(patterns.footer, line, patterns)
                else "signoff" if _line_matches(patterns.signoff, line, patterns) else "")
        if not kind and patterns.signoff_inline is not None:
            offset = max(0, len(line) - 40)
            m = patterns.signoff_inline.search(line[offset:])
            if m and m.end() > m.start() and offset + m.start() > 0:  # the sign-off shares a line with text
                lines[last] = line[:offset + m.start()]
                removed.append((last, "signoff", line[offset + m.start():].strip()))
                continue
        run = [] if kind else _headline_run(lines, keep, last, patterns)
        if not kind and not run:
            return removed
        for i in run or [last]:
            keep[i] = False
            removed.append((i, kind or "headline_list", lines[i].strip()))
        end = min(run or [last])


def _line_matches(pattern: re.Pattern | None, line: str, patterns: Boilerplate) -> bool:
    if pattern is None or len(line) > patterns.max_line_chars:
        return False
    stripped = line.strip()
    return bool(stripped) and pattern.fullmatch(stripped) is not None


def _headline_run(lines: list[str], keep: list[bool], last: int, patterns: Boilerplate) -> list[int]:
    run, i = [], last
    while i >= 0:
        if keep[i] and lines[i].strip():
            if not is_listed_headline(lines[i], patterns=patterns):
                break
            run.append(i)
        i -= 1
    if len(run) < patterns.headline_list["min_lines"] or i < 0:
        return []  # too short to be a list, or the whole text: never strip an article down to nothing this way
    return run


def is_listed_headline(line: str, *, patterns: Boilerplate | None = None) -> bool:
    """True when ``line`` is shaped like one entry of a list of other stories' headlines (see boilerplate.yaml)."""
    spec = (patterns or boilerplate()).headline_list
    line = line.strip()
    words = line.split()
    if not (spec["min_words"] <= len(words) <= spec["max_words"]) or len(line) > spec["max_chars"]:
        return False
    if line.rstrip(_CLOSERS)[-1:] in _SENTENCE_END + "!?":
        return False
    significant = [w for w in words if w.strip("\"'“”‘’()").lower() not in spec["minor_words"]]
    capitalised = [w for w in significant if w.lstrip("\"'“‘(")[:1].isupper() or w.lstrip("\"'“‘(")[:1].isdigit()]
    return bool(significant) and len(capitalised) >= spec["min_capitalised"] * len(significant)


def clean(text: str, *, title: str = "", patterns: Boilerplate | None = None) -> Cleaned:
    """Normalise ``text``, read and remove the metadata that opens it, and strip boilerplate.

    In order: mojibake repaired (``repair``), Unicode NFC and whitespace (``normalise``), navigation lines and
    cross-references, then a leading ``date`` marker, an outlet prefix and a dateline (each removed), a headline
    on the first line (read, and kept: a headline is text, not boilerplate; ``title`` is one the input supplied,
    see ``headline``), a dateline opening the body under that headline (removed), and the end's footers,
    sign-offs and headline list. ``found`` maps
    ``date_marker``/``outlet_prefix``/``dateline``/``headline`` to what was read; ``stripped`` lists
    ``(kind, text)`` for everything removed and ``(kind, text, n_chars)`` for repairs (see ``Cleaned``).
    """
    patterns = patterns or boilerplate()
    text, mojibake, n_repaired = repair(text)
    stripped: list[tuple] = [("mojibake_repaired", mojibake, n_repaired)] if n_repaired else []
    n_controls = len(_CONTROL.findall(text))
    text, controls = normalise(text)
    stripped += [("control", controls, n_controls)] if controls else []
    found: dict[str, Found] = {}
    # Navigation lines go first so that a "Share this" above the headline does not hide the headline; they are
    # listed after the metadata, which opens the text.
    text, navigation = strip_boilerplate(text, patterns=patterns, end=False)
    for extract in (leading_marker, partial(outlet_prefix, patterns=patterns), partial(dateline, patterns=patterns)):
        hit = extract(text)
        if hit:
            found[hit.kind] = hit
            stripped.append((hit.kind, hit.text))
            text = text[hit.end:].lstrip()
    head = headline(text, title=title)
    if head:
        found["headline"] = head
        body = len(text) - len(text[head.end:].lstrip())  # where the body starts, under the headline
        hit = None if "dateline" in found else dateline(text[body:body + _HEAD], patterns=patterns)
        if hit:
            found["dateline"] = hit
            stripped.append((hit.kind, hit.text))
            text = text[:body] + text[body + hit.end:].lstrip()
    text, tail = strip_boilerplate(text, patterns=patterns, navigation=False)
    return Cleaned(text, found, stripped + navigation + tail)


# --- readers --------------------------------------------------------------------------------------------------

def read(path: str | os.PathLike) -> list[Record]:
    """The inputs in one file, by its extension (see ``SUFFIXES``); never raises on bad content."""
    path = Path(path)
    name = path.name.lower()
    reader = (read_jsonl if name.endswith((".jsonl", ".jsonl.gz")) else read_csv if name.endswith(".csv")
              else read_html if name.endswith((".html", ".htm")) else read_txt if name.endswith(".txt") else None)
    if reader is None:
        return [Record(path, reason="unsupported_format",
                       detail=f"{path.name}: not one of {', '.join(SUFFIXES)}")]
    return reader(path)


def read_txt(path: str | os.PathLike) -> list[Record]:
    """A plain-text file as one input (encoding detected by ``decode``)."""
    path = Path(path)
    text, encoding, bad = _read_text(path)
    return [bad or Record(path, text=text, encoding=encoding)]


def read_html(path: str | os.PathLike) -> list[Record]:
    """An HTML page as one input: main text, title, site name, date and URL via trafilatura (``inferred``).

    The page's declared charset is honoured (``decode_html``). The text has one paragraph per block element
    (paragraph, heading, list item, table cell), a ``<br>`` inside a paragraph becoming a space; block quotes
    and ``<q>`` (trafilatura's ``quote`` elements) are quoted material and get “ ” marks where they carry none
    of their own, each recorded as a ``quote_marks_added`` repair (see ``html_text``).
    """
    import trafilatura

    path = Path(path)
    html, encoding, bad = _read_text(path, decoder=decode_html)
    if bad:
        return [bad]
    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False,
                                          date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as err:  # trafilatura/lxml raise many kinds of parser errors on broken markup
        return [Record(path, encoding=encoding, reason="unreadable", detail=f"HTML could not be parsed: {err}")]
    body = getattr(doc, "body", None) if doc is not None else None
    text, repairs = html_text(body) if body is not None else ((getattr(doc, "text", None) or "") if doc else "", [])
    if not text.strip():
        return [Record(path, encoding=encoding, reason="empty", detail="trafilatura found no main text in the HTML")]
    fields = {"title": doc.title or "", "outlet": doc.sitename or "", "date": doc.date or "", "url": doc.url or ""}
    return [Record(path, text=text, fields=fields, source="inferred", encoding=encoding, repairs=tuple(repairs))]


_BLOCK_TAGS = {"p", "head", "item", "cell", "code", "quote"}  # trafilatura's block elements in its output tree
_CONTAINER_TAGS = {"list", "table", "row", "div", "body", "main", "article", "section"}
_OPENING_MARKS = "\"“„«‹「『＂'‘‚"
_CLOSING_MARKS = "\"”»›」』＂'’“"


def html_text(body) -> tuple[str, list[tuple[str, str, int]]]:
    """The text of trafilatura's output tree (``bare_extraction(...).body``): ``(text, repairs)``.

    One line per block element (``p``, ``head``, list ``item``, table ``cell``), inline markup flattened and
    whitespace collapsed within it. A ``quote`` element (trafilatura's name for ``<blockquote>`` and ``<q>``) is
    quoted material: a block quote whose text has no quote mark of its own opens each of its paragraphs with “ and
    closes the last with ” (the typographic convention for a quote running over paragraphs), an inline ``<q>``
    is wrapped in “ ”, so the tagging stage reads either as a quote and takes its speaker from the attribution
    next to it. ``repairs`` lists ``("quote_marks_added", quoted text, marks added)`` for each.
    """
    lines: list[str] = []
    repairs: list[tuple[str, str, int]] = []
    _html_blocks(body, lines, repairs)
    return "\n".join(line for line in lines if line), repairs


def _html_blocks(el, lines: list[str], repairs: list) -> None:
    if el.tag == "quote":
        paragraphs = [p for p in _quote_paragraphs(el, repairs) if p]
        if paragraphs and not _is_quoted(" ".join(paragraphs)):
            repairs.append(("quote_marks_added", " ".join(paragraphs)[:200], len(paragraphs) + 1))
            paragraphs = [f"“{p}" for p in paragraphs]
            paragraphs[-1] += "”"
        lines += paragraphs
    elif el.tag in _BLOCK_TAGS:
        lines.append(_inline(el, repairs))
    else:  # a container (list, table, row, or a tag trafilatura kept as is): its blocks, and any loose text
        if (el.text or "").strip():
            lines.append(" ".join(el.text.split()))
        for child in el:
            _html_blocks(child, lines, repairs)
            if el.tag not in ("body",) and (child.tail or "").strip():
                lines.append(" ".join(child.tail.split()))


def _quote_paragraphs(el, repairs: list) -> list[str]:
    """A block quote's paragraphs: its own text and inline children as one, and each block child as another."""
    if not any(child.tag in _BLOCK_TAGS | _CONTAINER_TAGS for child in el):
        return [_inline(el, repairs)]
    inner: list[str] = []
    loose = " ".join((el.text or "").split())
    if loose:
        inner.append(loose)
    for child in el:
        _html_blocks(child, inner, repairs) if child.tag in _BLOCK_TAGS | _CONTAINER_TAGS else inner.append(
            _inline(child, repairs))
        if (child.tail or "").strip():
            inner.append(" ".join(child.tail.split()))
    return inner


def _inline(el, repairs: list) -> str:
    """The text of a block element: children inline, ``<lb/>`` a space, an inline quote wrapped in “ ”."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append(" ")
        elif child.tag == "quote":
            quoted = _inline(child, repairs)
            if quoted and not _is_quoted(quoted):
                repairs.append(("quote_marks_added", quoted[:200], 2))
                quoted = f"“{quoted}”"
            parts.append(quoted)
        else:
            parts.append(_inline(child, repairs))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _is_quoted(text: str) -> bool:
    """True when ``text`` carries its own quote marks: it opens with one, or closes with one."""
    text = text.strip()
    return bool(text) and (text[0] in _OPENING_MARKS or text.rstrip(".,;:!?")[-1:] in "\"”»›」』＂")


def read_csv(path: str | os.PathLike) -> list[Record]:
    """Each data row of a CSV file (with a header naming a text column) as one input; ``row`` counts from 0."""
    path = Path(path)
    text, encoding, bad = _read_text(path)
    if bad:
        return [bad]
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a long article is not a malformed row
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as err:
        return [Record(path, encoding=encoding, reason="malformed_row", detail=f"no readable CSV header: {err}")]
    if not any(name in header for name in FIELD_NAMES["text"]):
        return [Record(path, encoding=encoding, reason="unreadable",
                       detail=f"no text column: the header has {header[:12]}, expected one of {FIELD_NAMES['text']}")]
    records, row = [], 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            records.append(Record(path, row, encoding=encoding, reason="malformed_row",
                                  detail=f"CSV error at line {reader.line_num}: {err}; the rest was not read"))
            break
        if not values:
            continue  # a blank line is not a row
        if len(values) != len(header):
            records.append(Record(path, row, encoding=encoding, reason="malformed_row",
                                  detail=f"row {row} has {len(values)} fields, the header has {len(header)}"))
        else:
            records.append(_record(path, row, dict(zip(header, values)), encoding))
        row += 1
    return records or [Record(path, encoding=encoding, reason="empty", detail="a CSV header with no rows")]


def read_jsonl(path: str | os.PathLike) -> list[Record]:
    """Each line of a JSON Lines file (.jsonl, or gzip-compressed .jsonl.gz) as one input.

    ``row`` is the 0-based line number; blank lines are not inputs. A line that is not a JSON object, or has
    no text field, is a ``malformed_row`` input.
    """
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError) as err:
            return [Record(path, reason="unreadable", detail=f"not a readable gzip file: {err}")]
        text, encoding, bad = _decoded(path, data)
    else:
        text, encoding, bad = _read_text(path)
    if bad:
        return [bad]
    records = []
    for row, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            records.append(Record(path, row, encoding=encoding, reason="malformed_row", detail=f"invalid JSON: {err}"))
            continue
        if not isinstance(obj, dict):
            records.append(Record(path, row, encoding=encoding, reason="malformed_row",
                                  detail=f"a JSON {type(obj).__name__}, not an object"))
            continue
        records.append(_record(path, row, {str(k).lower(): v for k, v in obj.items()}, encoding))
    return records or [Record(path, encoding=encoding, reason="empty", detail="no JSON lines")]


def _record(path: Path, row: int, values: dict, encoding: str) -> Record:
    fields = {name: _field(values, names) for name, names in FIELD_NAMES.items()}
    if not any(name in values and values[name] is not None for name in FIELD_NAMES["text"]):
        return Record(path, row, encoding=encoding, reason="malformed_row",
                      detail=f"no text field (looked for {', '.join(FIELD_NAMES['text'])})")
    text = fields.pop("text")
    if not text.strip():
        return Record(path, row, encoding=encoding, reason="empty", detail="the text field is empty")
    return Record(path, row, text=text, fields=fields, source="field", encoding=encoding)


def _field(values: dict, names: Iterable[str]) -> str:
    for name in names:
        value = values.get(name)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _read_text(path: Path, *, decoder=None) -> tuple[str, str, Record | None]:
    try:
        data = path.read_bytes()
    except OSError as err:
        return "", "", Record(path, reason="unreadable", detail=f"cannot read the file: {err.strerror or err}")
    return _decoded(path, data, decoder=decoder)


def _decoded(path: Path, data: bytes, *, decoder=None) -> tuple[str, str, Record | None]:
    try:
        text, encoding = (decoder or decode)(data)
    except DecodeError as err:
        return "", "", Record(path, reason=err.reason, detail=str(err))
    if not text.strip():
        what = "an empty file" if not data else "only whitespace"
        return "", encoding, Record(path, encoding=encoding, reason="empty", detail=what)
    return text, encoding, None


# --- the corpus and its manifest ------------------------------------------------------------------------------

def files(paths: str | os.PathLike | Iterable[str | os.PathLike], *,
          exclude: Iterable[str | os.PathLike] = ()) -> list[tuple[Path, Path]]:
    """``(root, file)`` for every input file under ``paths``, in a deterministic order.

    Paths are taken in the order given; a folder is walked recursively in sorted order, skipping hidden files
    and folders (names starting with ``.``) and the ``exclude`` files (the manifest). A path that does not
    exist is returned as is (it becomes a ``missing_file`` row).
    """
    excluded = {Path(p).resolve() for p in exclude}
    found = []
    for root in _as_paths(paths):
        if not root.is_dir():
            found.append((root, root))
            continue
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [(root, Path(folder) / n) for n in sorted(names)
                      if not n.startswith(".") and (Path(folder) / n).resolve() not in excluded]
    return found


def _as_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [Path(p) for p in paths if str(p).strip()]


def read_manifest(path: str | os.PathLike, *, roots: Iterable[str | os.PathLike]) -> tuple[dict, list]:
    """Per-file metadata from a manifest (CSV with a header, or YAML), keyed by resolved file path.

    Columns: ``path`` (required) and any of outlet, date, title, url, language, bias, topic; a value
    overrides what the file or its text says, for every article in that file. A relative path is looked up
    beside the manifest, then in each corpus folder. Returns ``(entries, missing)``: ``missing`` lists
    ``(row number, path)`` for files that do not exist. Raises ``ManifestError`` for an unreadable manifest,
    unknown columns, a path listed twice, or a path outside the corpus folders (refused for safety).
    """
    path = Path(path)
    rows = _manifest_rows(path)
    roots = [Path(r).resolve() for r in roots]
    entries: dict[Path, dict] = {}
    missing: list[tuple[int, str]] = []
    for n, row in enumerate(rows):
        unknown = sorted(set(row) - set(MANIFEST_COLUMNS))
        if unknown:
            raise ManifestError(f"{path}: row {n} has unknown columns {unknown}; "
                                f"allowed: {', '.join(MANIFEST_COLUMNS)}")
        written = str(row.get("path") or "").strip()
        if not written:
            raise ManifestError(f"{path}: row {n} has no path; every manifest row names the file it describes")
        target = _manifest_target(written, path, roots)
        if not any(target == r or r in target.parents for r in roots):
            raise ManifestError(f"{path}: row {n} path {written!r} resolves to {target}, outside the corpus "
                                f"({', '.join(map(str, roots))}); manifest paths must point inside the corpus")
        if target in entries:
            raise ManifestError(f"{path}: {written!r} is listed twice (row {n}); give each file one row")
        if not target.exists():
            missing.append((n, written))
            continue
        entries[target] = {k: str(v).strip() for k, v in row.items()
                           if k != "path" and v is not None and str(v).strip()}
    return entries, missing


def _manifest_rows(path: Path) -> list[dict]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError(f"cannot read manifest {path}: {err}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = tables.parse_yaml(raw) or []
        except yaml.YAMLError as err:
            raise ManifestError(f"manifest {path} is not valid YAML: {err}") from None
        if isinstance(data, dict):  # {path: {outlet: ..., date: ...}}
            data = [{"path": k, **(v or {})} for k, v in data.items()]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ManifestError(f"manifest {path}: expected a list of mappings (or a mapping of path to fields)")
        return [{str(k).strip().lower(): v for k, v in r.items()} for r in data]
    if path.suffix.lower() != ".csv":
        raise ManifestError(f"manifest {path}: use a .csv or .yaml file")
    try:
        reader = csv.DictReader(io.StringIO(raw, newline=""))
        rows = [{str(k).strip().lower(): v for k, v in r.items()} for r in reader]
    except csv.Error as err:
        raise ManifestError(f"manifest {path} is not valid CSV: {err}") from None
    if None in {k for r in rows for k in r}:
        raise ManifestError(f"manifest {path}: a row has more fields than the header")
    return rows


def _manifest_target(written: str, manifest: Path, roots: list[Path]) -> Path:
    candidate = Path(written)
    if candidate.is_absolute():
        return candidate.resolve()
    options = [manifest.resolve().parent / candidate] + [r / candidate for r in roots if r.is_dir()]
    return next((o.resolve() for o in options if o.exists()), options[0].resolve())


# --- ingest ---------------------------------------------------------------------------------------------------

def ingest(paths: str | os.PathLike | Iterable[str | os.PathLike], *, manifest: str | os.PathLike | None = None,
           min_words: int = 10, boilerplate_path: str | os.PathLike | None = None,
           progress_every: int = 500) -> Ingested:
    """Read, clean and account for every input under ``paths`` (files or folders).

    ``manifest`` (CSV or YAML, see ``read_manifest``) gives or overrides per-file metadata. An article needs
    ``min_words`` words of body text (not counting a headline line) after cleaning, else it is skipped as
    ``too_short`` (or ``no_body`` when only a headline is left). ``boilerplate_path`` replaces
    ``analysis/data/boilerplate.yaml``. Logs progress every ``progress_every`` inputs. Duplicates are flagged
    later by ``analysis.passages``; here every input becomes an article or a ``skipped`` row, never nothing.
    """
    if min_words < 1:
        raise ValueError(f"min_words must be at least 1, got {min_words}")
    patterns = boilerplate(boilerplate_path)
    roots = _as_paths(paths)
    if not roots:
        raise ValueError("no corpus paths given: pass files or folders to ingest")
    entries, missing = read_manifest(manifest, roots=roots) if manifest else ({}, [])
    articles, stripped, skipped = [], [], []
    inputs = 0
    for n, written in missing:
        inputs += 1
        skipped.append({"source_path": written, "source_row": -1, "reason": "missing_file",
                        "detail": f"manifest row {n} names {written!r}, which does not exist"})
    listed = files(roots, exclude=[manifest] if manifest else [])
    names = _display_paths(listed)
    ids = _file_ids(listed, names)
    seen: set[Path] = set()
    for (root, path), shown, file_id in zip(listed, names, ids):
        resolved = path.resolve()
        if resolved in seen:
            inputs += 1
            skipped.append({"source_path": shown, "source_row": -1, "reason": "duplicate_input",
                            "detail": "this file was already given (the same path twice in the corpus)"})
            continue
        seen.add(resolved)
        if not path.exists():
            inputs += 1
            skipped.append({"source_path": shown, "source_row": -1, "reason": "missing_file",
                            "detail": f"{path} does not exist"})
            continue
        try:
            records = read(path)
        except Exception as err:  # noqa: BLE001 - a reader's unexpected error costs this input, not the corpus
            records = [Record(path, reason="failed", detail=_failure(path, err))]
        for record in records:
            inputs += 1
            if record.reason:
                skipped.append({"source_path": shown, "source_row": record.row, "reason": record.reason,
                                "detail": record.detail})
                continue
            article_id = file_id if record.row < 0 else f"{file_id}:{record.row}"
            try:
                article, removed, reason = _article(record, article_id, shown, entries.get(resolved, {}),
                                                    min_words=min_words, patterns=patterns)
            except Exception as err:  # noqa: BLE001 - one article's unexpected error must not stop the corpus
                article, removed, reason = {}, [], {"reason": "failed", "detail": _failure(article_id, err)}
            if reason:
                skipped.append({"source_path": shown, "source_row": record.row, **reason})
            else:
                articles.append(article)
                stripped += [{"article_id": article_id, "kind": piece[0], "text": piece[1],
                              "n_chars": piece[2] if len(piece) > 2 else len(piece[1])} for piece in removed]
            if progress_every and inputs % progress_every == 0:
                log.info("ingested %d inputs: %d articles, %d skipped", inputs, len(articles), len(skipped))
    if inputs != len(articles) + len(skipped):  # the stage's promise; a failure here is a bug in this module
        raise RuntimeError(f"{inputs} inputs but {len(articles)} articles + {len(skipped)} skipped")
    log.info("ingested %d inputs: %d articles, %d skipped", inputs, len(articles), len(skipped))
    return Ingested(tables.conform(pd.DataFrame(articles), "articles", fill=True),
                    tables.conform(pd.DataFrame(stripped), "stripped", fill=True),
                    tables.conform(pd.DataFrame(skipped), "skipped", fill=True), inputs)


def _failure(where, err: Exception) -> str:
    log.warning("ingest: %s failed and is skipped (%s: %s)", where, type(err).__name__, err)
    return f"{type(err).__name__}: {' '.join(str(err).split())[:500]}"


def _article(record: Record, article_id: str, shown: str, manual: dict, *, min_words: int,
             patterns: Boilerplate) -> tuple[dict, list, dict]:
    """An articles row and its stripped pieces, or a skipped reason."""
    given = {k: repair(v)[0] if isinstance(v, str) else v for k, v in record.fields.items() if v}
    title_hint = manual.get("title") or given.get("title", "")
    cleaned = clean(record.text, title=title_hint, patterns=patterns)
    text, found = cleaned.text, cleaned.found
    n_words = len(text.split())
    head = found.get("headline")
    n_body = n_words - len(head.value.split()) if head and text.startswith(head.value) else n_words
    if not text:
        kinds = sorted({piece[0] for piece in cleaned.stripped})
        return {}, [], {"reason": "only_boilerplate",
                        "detail": f"nothing left after removing {', '.join(kinds)}: "
                                  f"{'; '.join(piece[1] for piece in cleaned.stripped)[:200]!r}"}
    if n_body < min_words:
        if n_body == 0 or ("\n" not in text and looks_like_headline(text)):
            return {}, [], {"reason": "no_body", "detail": f"a headline with no body: {text[:200]!r}"}
        return {}, [], {"reason": "too_short", "detail": f"{n_body} words of body text after cleaning, fewer "
                                                         f"than min_words={min_words}: {text[:120]!r}"}
    src = record.source
    marker, prefix, line, head = (found.get(k) for k in ("date_marker", "outlet_prefix", "dateline", "headline"))
    outlet, outlet_source = _first((manual.get("outlet"), "manifest"), (given.get("outlet"), src),
                                   (prefix and prefix.value, "text"), (line and line.value, "dateline"))
    title, title_source = _first((manual.get("title"), "manifest"), (given.get("title"), src),
                                 (head and head.value, "text"))
    date, date_text, date_source = _date((manual.get("date"), "manifest"), (given.get("date"), src),
                                         (marker and (marker.date or marker.date_text), "text"),
                                         (line and (line.date or line.date_text), "dateline"))
    outlet, outlet_source = _named(outlet, outlet_source, url=manual.get("url") or given.get("url", ""),
                                   article_id=article_id)
    lang, lang_source = _first((language_code(manual.get("language", "")), "manifest"),
                               (language_code(given.get("language", "")), src), (language(text), "text"))
    return {
        "article_id": article_id, "outlet": outlet, "outlet_source": outlet_source,
        "date": date, "date_source": date_source, "date_text": date_text,
        "title": title, "title_source": title_source,
        "url": manual.get("url") or given.get("url", ""), "language": lang, "language_source": lang_source,
        "is_english": lang == "en",
        "text": text, "source_path": shown, "source_row": record.row, "encoding": record.encoding,
        "quote_marks": quote_marks(text), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "n_words": n_words, "n_stripped": len(cleaned.stripped) + len(record.repairs), "duplicate_of": "",
        "bias": manual.get("bias") or given.get("bias", ""), "topic": manual.get("topic") or given.get("topic", ""),
    }, [*record.repairs, *cleaned.stripped], {}


def _named(outlet: str, source: str, *, url: str, article_id: str) -> tuple[str, str]:
    """An outlet for every article, so unknown ones are never pooled: the URL's site (``url``), else a label of
    its own, ``unnamed outlet (<first 8 characters of the id>)`` (source stays ``unknown``)."""
    if outlet:
        return outlet, source
    site = site_of(url)
    return (site, "url") if site else (f"unnamed outlet ({article_id[:8]})", "unknown")


def site_of(url: str) -> str:
    """The site of ``url`` without ``www.`` (``https://www.nytimes.com/2024/...`` -> ``nytimes.com``), or ``""``.

    A URL written without a scheme (``nytimes.com/2024/...``) is read too; text that is not a URL gives ``""``.
    """
    url = (url or "").strip()
    if not url or " " in url:
        return ""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    return host if "." in host and re.fullmatch(r"[a-z0-9.-]+", host) else ""


def _first(*candidates: tuple[str | None, str]) -> tuple[str, str]:
    return next(((v, s) for v, s in candidates if v), ("", "unknown"))


def _date(*candidates: tuple[str | None, str]) -> tuple[str, str, str]:
    """(date, date_text, date_source) from the first candidate that says anything about the date."""
    for value, source in candidates:
        if value:
            iso, written = parse_date(value)
            return iso, written, source
    return "", "", "unknown"


def _display_paths(listed: list[tuple[Path, Path]]) -> list[str]:
    """Each file as ``<root folder name>/<path inside it>``, or its name for a file given directly."""
    shown = []
    for root, path in listed:
        if root == path:
            shown.append(path.name)
        else:
            shown.append((Path(root.resolve().name) / path.relative_to(root)).as_posix())
    return shown


def _file_ids(listed: list[tuple[Path, Path]], shown: list[str]) -> list[str]:
    """File stems as ids; where two files share a stem, their shown path (without, then with, the suffix)."""
    stems = [_stem(p.name) for _, p in listed]
    longer = [s[: len(s) - len(p.name)] + _stem(p.name) for s, (_, p) in zip(shown, listed)]
    counts = Counter(stems)
    ids = [stem if counts[stem] == 1 else alt for stem, alt in zip(stems, longer)]
    counts = Counter(ids)
    return [i if counts[i] == 1 else s for i, s in zip(ids, shown)]


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem
