"""Open a report, or a notebook in JupyterLab, in headless Chromium with every request off the machine blocked."""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
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


@contextmanager
def jupyterlab(root: Path, *, timeout: float = 90):
    """A JupyterLab server on ``root`` at a free local port, yielding its base URL (token included as ``?token=``).

    The server and every kernel it started are stopped when the block ends, however it ends: the process group
    is terminated, then killed if it has not exited within 10 s.
    """
    need_browser()
    token = secrets.token_hex(16)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
           "--allow-root", "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = open(root.parent / f"jupyterlab-{port}.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "JUPYTER_CONFIG_DIR": str(root.parent / "jupyter-config"),
                                 "JUPYTERLAB_SETTINGS_DIR": str(root.parent / "lab-settings"),
                                 "JUPYTERLAB_WORKSPACES_DIR": str(root.parent / "lab-workspaces"),
                                 "JUPYTER_RUNTIME_DIR": str(root.parent / "jupyter-runtime")})
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/api/status?token={token}", proc, timeout)
        yield base, token
    finally:
        _stop(proc)
        log.close()


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer {url} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # the server's own group: its kernels go with it
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def lab_page(url: str):
    """A headless Chromium page (fresh profile) on ``url``; requests off this machine are blocked."""
    from playwright.sync_api import sync_playwright

    seen = Seen()
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
                                                        viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: _only_this_machine(route, seen))
            page.goto(url)
            yield page, seen
        finally:
            browser.close()


def _only_this_machine(route, seen: Seen):
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
        return route.continue_()
    seen.requests.append(url)
    return route.abort()
