"""Headless Chromium for tests: Debian's /usr/bin/chromium driven by Playwright (never `playwright install`).

Plain helpers:

    from browser import launch_browser, serve_directory, new_context

    url, stop = serve_directory(output_dir, "/expo/2024/")   # loopback static server, gzip, 404.html for misses
    try:
        with launch_browser() as browser:                    # playwright.sync_api.Browser
            page = new_context(browser, "phone", origin=url).new_page()
            page.goto(url)
    finally:
        stop()

pytest fixtures (import the ones you use into your test module: `from browser import browser, open_page`):

    browser     module-scoped Browser; FAILS (never skips) with the setup command when Chromium is missing
    open_page   factory: open_page(url, viewport="phone"|"desktop"|"narrow"|{"width":..,"height":..}) -> Page,
                with requests to any other origin aborted and recorded; the page collects
                page.console_errors, page.page_errors, page.failed_requests, page.other_origins (lists)
    served_dir  factory: served_dir(path, base_path="/") -> base URL; the server stops at the end of the test

Playwright's sync API runs one instance per thread at a time: don't nest launch_browser() (or hold the
`browser` fixture) around code that starts its own sync_playwright(). scripts/audit.py uses the async API in
a thread of its own, so it is safe anywhere.

Requests to other origins are aborted (the test machine must not reach out), and Chromium is started with
host-name resolution off except for localhost.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _audit():
    """scripts/audit.py, the one implementation of the static server and of finding Chromium."""
    if "yunzhan_audit" not in sys.modules:
        spec = importlib.util.spec_from_file_location("yunzhan_audit", ROOT / "scripts" / "audit.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["yunzhan_audit"] = module
        spec.loader.exec_module(module)
    return sys.modules["yunzhan_audit"]


_a = _audit()
serve_directory = _a.serve_directory
find_chromium = _a.find_chromium
SETUP_HINT = "run `bash scripts/setup.sh` (or `bash .ci/run`)"

VIEWPORTS: dict[str, dict] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "narrow": {
        "viewport": {"width": 320, "height": 568},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {
        "viewport": {"width": 1280, "height": 800},
        "device_scale_factor": 1,
        "is_mobile": False,
        "has_touch": False,
    },
}


class BrowserUnavailable(RuntimeError):
    pass


def browser_problem() -> str | None:
    problem = _a.browser_problem()
    return (
        problem.replace("run `bash scripts/setup.sh` (or `bash .ci/run`) to install it", SETUP_HINT)
        if problem
        else None
    )


@contextmanager
def launch_browser(**launch_options) -> Iterator:
    """Yield a Playwright (sync) Browser running Debian's Chromium headless; raise BrowserUnavailable if absent."""
    problem = browser_problem()
    if problem:
        raise BrowserUnavailable(problem)
    from playwright.sync_api import sync_playwright

    args = [_a.NO_DNS, *launch_options.pop("args", [])]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=args, **launch_options)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served(path, base_path: str = "/") -> Iterator[str]:
    """Context manager around serve_directory: yields the base URL."""
    url, stop = serve_directory(path, base_path)
    try:
        yield url
    finally:
        stop()


def new_context(browser, viewport: str | dict = "phone", *, origin: str | None = None, **options):
    """A BrowserContext with a preset viewport ("phone" 390×844, "narrow" 320×568, "desktop" 1280×800).

    With `origin` (e.g. "http://127.0.0.1:40123", or any URL on it) requests elsewhere are aborted.
    """
    preset = dict(VIEWPORTS[viewport]) if isinstance(viewport, str) else {"viewport": viewport}
    preset.setdefault("locale", "zh-CN")
    preset.update(options)
    context = browser.new_context(**preset)
    if origin:
        m = re.match(r"^https?://[^/]+", origin)
        base = m.group(0) if m else origin
        context.route(
            re.compile(rf"^(?!{re.escape(base)}/)(https?|wss?|ftp)://"),
            lambda route: route.abort("blockedbyclient"),
        )
    return context


def watch(page, origin: str | None = None):
    """Record console errors, uncaught exceptions, failed requests and other-origin requests on `page`."""
    page.console_errors, page.page_errors, page.failed_requests, page.other_origins = [], [], [], []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: page.failed_requests.append(f"{r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: page.failed_requests.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
    )
    if origin:
        m = re.match(r"^https?://[^/]+", origin)
        base = (m.group(0) if m else origin) + "/"
        page.on(
            "request",
            lambda r: (
                page.other_origins.append(r.url)
                if not r.url.startswith((base, "data:", "blob:", "about:"))
                else None
            ),
        )
    return page


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: Playwright's sync API allows one instance per thread at a time, and a
    # browser kept open until the end of the session would break later modules that start their own.
    problem = browser_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    with launch_browser() as b:
        yield b


@pytest.fixture
def open_page(browser) -> Iterator[Callable]:
    contexts = []

    def _open(url: str, viewport: str | dict = "phone", *, wait_until: str = "load", **options):
        context = new_context(browser, viewport, origin=url, **options)
        contexts.append(context)
        page = watch(context.new_page(), origin=url)
        page.goto(url, wait_until=wait_until)
        return page

    yield _open
    for c in contexts:
        c.close()


@pytest.fixture
def served_dir() -> Iterator[Callable[..., str]]:
    stops = []

    def _serve(path, base_path: str = "/") -> str:
        url, stop = serve_directory(path, base_path)
        stops.append(stop)
        return url

    yield _serve
    for stop in stops:
        stop()
