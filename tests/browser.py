"""Open a report in headless Chromium with every network request blocked, and say what a reader would see."""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


@dataclass
class Seen:
    """What the page did: console errors, requests it tried to make, charts drawn, dialogs and injected nodes."""

    errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    charts: int = 0
    drawn: int = 0
    text: str = ""
    injected: int = 0


def need_browser():
    """Skip with a clear message where no Chromium can be had (CI installs Debian's)."""
    if not CHROMIUM:
        pytest.skip("no chromium on this machine: install Debian's `chromium` (.ci/run does) to run browser tests")


def open_report(path: Path, *, screenshot: Path | None = None) -> Seen:
    """Load ``path`` offline and wait until its charts are drawn (or fail to)."""
    need_browser()
    from playwright.sync_api import sync_playwright

    seen = Seen()
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page()
        page.route("**/*", lambda route: _only_local(route, seen))
        page.on("console", lambda msg: seen.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
        page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(path.resolve().as_uri())
        _wait_for_charts(page)
        seen.charts = page.locator(".fw-chart").count()
        seen.drawn = page.evaluate("""() => [...document.querySelectorAll('.fw-chart')].filter(
            c => c.querySelector('svg .mark-rect, svg .mark-symbol, svg .mark-rule, svg .mark-text, svg .mark-line,'
                                 + ' svg .mark-area, svg .mark-tick, svg .mark-arc, svg path')).length""")
        seen.injected = page.evaluate("() => document.querySelectorAll('main img[onerror], main svg[onload], main b[onmouseover],"
                                      " main iframe').length + (document.body.dataset.injected ? 1 : 0)")
        seen.text = page.inner_text("body")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return seen


def _only_local(route, seen: Seen):
    url = route.request.url
    if url.startswith(("file://", "data:", "blob:", "about:")):
        return route.continue_()
    seen.requests.append(url)
    return route.abort()


def _wait_for_charts(page) -> None:
    if page.locator(".fw-chart").count():
        page.wait_for_function("document.body.dataset.chartsRendered === 'true'", timeout=60_000)
