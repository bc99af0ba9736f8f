"""Method cards: what each measure of the workbook measures, how, how well, where it fails, and where it comes from.

One YAML file per measure in ``analysis/data/cards/`` (the fields are described in that folder's README.md).
``load()`` reads and validates them, ``markdown(card)`` and ``html(card)`` render one, ``show(measure)`` displays one
in a notebook, ``page(target)`` writes all of them on one report page, and ``link(measure)`` is the address a
report section links to (``methods.html#card-voice``).
"""
from __future__ import annotations

import html as html_lib
import logging
from functools import cache
from importlib import resources
from pathlib import Path

import mistune
import yaml

from analysis import tables

log = logging.getLogger(__name__)

PAGE = "methods.html"
FIELDS = ("id", "title", "stage", "tables", "code", "measures", "how", "accuracy", "cannot_tell", "failures",
          "references")
ACCURACY_FIELDS = ("figure", "value", "data", "command")
FAILURE_FIELDS = ("what", "example", "source")
STAGES = ("ingest", "tag", "rhetoric", "charts")


class CardError(ValueError):
    """A method card is missing a field or has one of the wrong shape; the message names the file and field."""


def folder() -> Path:
    """The packaged cards folder, ``analysis/data/cards``."""
    return Path(str(resources.files("analysis") / "data" / "cards"))


def load(path: str | Path | None = None) -> dict[str, dict]:
    """All cards of folder ``path`` (default: the packaged cards) as ``{id: card}``, sorted by id.

    Raises ``CardError`` naming the file and the field when a card is malformed, and when the folder has no card.
    """
    base = Path(path) if path is not None else folder()
    files = sorted(base.glob("*.yaml"))
    if not files:
        raise CardError(f"no method cards (*.yaml) in {base}")
    cards = [read(f) for f in files]
    return {c["id"]: c for c in cards}


@cache
def _packaged() -> dict[str, dict]:
    return load()


def card(measure: str) -> dict:
    """The packaged card of ``measure`` (a card id such as ``voice``); ``KeyError`` lists the known ids."""
    cards = _packaged()
    if measure not in cards:
        raise KeyError(f"no method card {measure!r}; known cards: {', '.join(cards)}")
    return cards[measure]


def read(path: str | Path) -> dict:
    """One card file, validated (see ``validate``)."""
    path = Path(path)
    try:
        raw = tables.parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CardError(f"{path}: not valid YAML: {err}") from None
    return validate(raw, where=path)


def validate(raw: object, *, where: str | Path = "<card>") -> dict:
    """Check a card's fields and shapes; returns the card. ``CardError`` names ``where`` and the faulty field."""
    if not isinstance(raw, dict):
        raise CardError(f"{where}: a card is a mapping of fields ({', '.join(FIELDS)})")
    missing = [f for f in FIELDS if f not in raw]
    if missing:
        raise CardError(f"{where}: missing field(s) {', '.join(missing)}")
    if isinstance(where, Path) and raw["id"] != where.stem:
        raise CardError(f"{where}: id {raw['id']!r} must equal the file name {where.stem!r}")
    for name in ("title", "measures", "cannot_tell"):
        _text(raw[name], f"{where}: {name}")
    if raw["stage"] not in STAGES:
        raise CardError(f"{where}: stage {raw['stage']!r} is not one of {', '.join(STAGES)}")
    for name in ("tables", "code"):
        if not isinstance(raw[name], list) or not raw[name]:
            raise CardError(f"{where}: {name} must be a non-empty list")
    if not isinstance(raw["how"], dict):
        raise CardError(f"{where}: how must have the fields plain and precise")
    for name in ("plain", "precise"):
        _text(raw["how"].get(name), f"{where}: how.{name}")
    _accuracy(raw, where)
    _entries(raw["failures"], FAILURE_FIELDS, f"{where}: failures", allow_empty=False)
    refs = raw["references"]
    if not isinstance(refs, list) or not 1 <= len(refs) <= 3:
        raise CardError(f"{where}: references must list one to three references")
    for i, ref in enumerate(refs):
        _text(ref, f"{where}: references[{i}]")
    return raw


def _accuracy(raw: dict, where) -> None:
    _entries(raw["accuracy"], ACCURACY_FIELDS, f"{where}: accuracy", allow_empty=True)
    if not raw["accuracy"]:
        _text(raw.get("not_measured"), f"{where}: not_measured (required when accuracy is empty)")
        if "not yet measured against gold data" not in raw["not_measured"].lower():
            raise CardError(f"{where}: not_measured must say plainly 'Not yet measured against gold data'")


def _entries(items: object, fields: tuple[str, ...], where: str, *, allow_empty: bool) -> None:
    if not isinstance(items, list) or (not items and not allow_empty):
        raise CardError(f"{where} must be a {'' if allow_empty else 'non-empty '}list of {{{', '.join(fields)}}}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise CardError(f"{where}[{i}] must be a mapping with {', '.join(fields)}")
        for name in fields:
            _text(item.get(name), f"{where}[{i}].{name}")


def _text(value: object, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise CardError(f"{where} must be non-empty text")


def anchor(measure: str) -> str:
    """The HTML id of ``measure``'s card on the methods page: ``card-<id>``."""
    return f"card-{card(measure)['id']}"


def link(measure: str, *, page: str = PAGE) -> str:
    """The link a report section uses for ``measure``'s card, relative to the reports folder:
    ``methods.html#card-<id>``. ``KeyError`` for an unknown measure."""
    return f"{page}#{anchor(measure)}"


def markdown(card: dict, *, level: int = 2) -> str:
    """One card as Markdown, its title a heading of ``level``."""
    h = "#" * level
    lines = [f"{h} {card['title']}", "", f"**What it measures.** {card['measures']}", "",
             f"**How, in plain words.** {card['how']['plain']}", "", f"**How, precisely.** {card['how']['precise']}",
             "", f"*Computed by* {', '.join(f'`{c}`' for c in card['code'])} *in the* {card['stage']} *stage; "
             f"tables* {', '.join(f'`{t}`' for t in card['tables'])}.", "", "**Measured accuracy.**", ""]
    if card["accuracy"]:
        for a in card["accuracy"]:
            note = f" ({a['note']})" if a.get("note") else ""
            lines.append(f"- {a['figure']}: **{a['value']}** on {a['data']}{note}. Reproduce: `{a['command']}`")
        if card.get("not_measured"):
            lines.append(f"- {card['not_measured']}")
    else:
        lines.append(f"- {card['not_measured']}")
    lines += ["", f"**What it cannot tell.** {card['cannot_tell']}", "", "**Known failure modes.**", ""]
    for f in card["failures"]:
        lines.append(f"- {f['what']} Example ({f['source']}): {f['example']}")
    lines += ["", "**References.**", ""] + [f"- {r}" for r in card["references"]]
    return "\n".join(lines) + "\n"


_RENDER = mistune.create_markdown(escape=True)  # card text is data too: raw HTML in a card is shown, not run


def html(card: dict, *, level: int = 2) -> str:
    """One card as an HTML ``<section id="card-<id>">``; any HTML inside the card text is escaped."""
    return (f'<section class="fw-card" id="card-{html_lib.escape(card["id"])}">\n'
            f"{_RENDER(markdown(card, level=level))}</section>\n")


def show(measure: str):
    """Display ``measure``'s card in a notebook (an ``IPython.display.HTML`` object, rendered the same in a report)."""
    from IPython.display import HTML

    return HTML(html(card(measure), level=3))


def page(target: str | Path, *, cards: dict[str, dict] | None = None) -> Path:
    """Write every card (default: the packaged ones) on one report page ``target`` (normally
    ``OUT/reports/methods.html``), with the reports' styling and offline policy; returns ``target``."""
    from analysis import report

    cards = cards if cards is not None else _packaged()
    contents = "".join(f'<li><a href="#card-{html_lib.escape(i)}">{html_lib.escape(c["title"])}</a></li>'
                       for i, c in cards.items())
    body = (f"<h1>Method cards</h1><p>What each measure of the workbook measures, how it is computed, how well, and "
            f"where it fails.</p><ul>{contents}</ul>" + "".join(html(c) for c in cards.values()))
    return report.page(body, target, title="Method cards")
