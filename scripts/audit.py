#!/usr/bin/env python3
"""Quality gates for a built yunzhan site: valid, accessible, linked, light — proven in a real browser.

    python scripts/audit.py OUTPUT_DIR [--base-url https://example.org/expo/2024/ | --base-path /expo/2024/]
                            [--gates validity,links,a11y,keyboard,browser,weight,lighthouse,screenshots]
                            [--report audit-report] [--budgets budgets.toml] [--jobs 2]

Gates (all of them by default):

  validity     every HTML file through the Nu Html Checker (java + scripts/node_modules/vnu-jar): 0 errors
  links        every internal href/src/srcset/poster/CSS url() resolves to a file, every #fragment to an id,
               nothing leaves the base path, no resource from another origin: 0 broken
  a11y         axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) on every page type at 390×844 and 1280×800, in the
               light and the dark colour scheme
  keyboard     Tab walk: skip link first, menu links and gallery thumbnails reached, a visible focus indicator
               on every stop; Enter on a thumbnail opens the lightbox, Esc closes it and focus returns
  browser      headless Chromium at 320 px: no console error, no failed request, no request to another origin,
               no broken image, no horizontal scrolling (scrollWidth <= 320)
  weight       gzip'd HTML+CSS+JS of every page and bytes of the images in the first 390×844 viewport,
               against budgets.toml
  lighthouse   performance/accessibility/best-practices/SEO of three pages (budgets.toml [lighthouse])
  screenshots  full-page JPEGs at 320, 390 and 1280 px wide, each in light, dark (prefers-color-scheme) and
               care mode (大字模式, the #care link), into REPORT/screenshots/

Page types are found from the output, not hard-coded: "/", "/404.html", "/zones/", "/zones/*/",
"/projects/page/*/", "/tags/*/"… — the first page of each pattern represents its type in the browser gates.

Exit status: 0 when every gate passed, 1 when any failed (each failure names the page and the problem).
Nothing is skipped silently: a missing tool (java, node_modules, chromium) fails its gate, telling to run
`bash scripts/setup.sh`.

This file is also imported by tests (tests/test_quality.py, tests/browser.py): `run_audit()`, `Site`,
`serve_directory()`, `find_chromium()`.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

# yunzhan from this checkout, whether or not it is installed: the static server types files as `serve` does.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yunzhan.check.links import Output, Resolver, check_output, grouped
from yunzhan.check.refs import CSS_COMMENT, CSS_IMPORT, natural_key
from yunzhan.serve import content_type

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
NODE_MODULES = SCRIPTS / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
# The attributes WeChat's and old iOS browsers need to play a <video> in the page rather than full screen (issue
# #17): outside the standard, so vnu names them; nothing else about a <video> is let through.
WECHAT_VIDEO_ATTRIBUTES = (
    r".*Attribute “(webkit-playsinline|x5-playsinline|x5-video-player-type)” not allowed on element “video”.*"
)
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE_CLI = NODE_MODULES / "lighthouse" / "cli" / "index.js"
DEFAULT_BUDGETS = REPO / "budgets.toml"
SETUP_HINT = "run `bash scripts/setup.sh` (or `bash .ci/run`) to install it"

ALL_GATES = ("validity", "links", "a11y", "keyboard", "browser", "weight", "lighthouse", "screenshots")
BROWSER_GATES = {"a11y", "keyboard", "browser", "weight", "screenshots"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Viewports: (width, height, device scale factor, mobile)
PHONE = (390, 844, 2, True)
DESKTOP = (1280, 800, 1, False)
NARROW = (320, 568, 2, True)
LOOKS = ("dark", "care")  # besides light: each page type is also shot (and axe-checked) in these

# What the keyboard gate looks for. The default theme renders thumbnails as
# <ul class="gallery"><li><figure><a class="shot-link" data-lb href=LARGE>…</a>; a lightbox is a <dialog>
# (or any role=dialog / aria-modal element) that becomes visible.
THUMB_SELECTOR = ".gallery a[href], [data-gallery] a[href], a[data-lb], a[data-lightbox]"
DIALOG_SELECTOR = "dialog, [role=dialog], [role=alertdialog], [aria-modal=true]"
GALLERY_MARKER = re.compile(r'class="[^"]*\bgallery\b|data-gallery|data-lb\b|data-lightbox', re.I)
MISSING_PATH = "yunzhan-audit-missing/nothing-here/"  # requested to see the 404 page as a server serves it

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Belt and braces: besides routing other origins to an abort, never let the browser resolve a host name.
NO_DNS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"


# --------------------------------------------------------------------------------------------- results


@dataclass
class GateResult:
    gate: str
    failures: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str) -> None:
        if message not in self.failures:
            self.failures.append(message)

    def render(self, max_failures: int = 200) -> str:
        status = "OK" if self.ok else f"FAILED ({len(self.failures)})"
        out = [f"== {self.gate}: {status} — {self.seconds:.1f} s"]
        if self.rows:
            out.append(format_table(self.headers, self.rows))
        out.extend(f"   {n}" for n in self.notes)
        for msg in self.failures[:max_failures]:
            out.append(f"FAIL {self.gate}: {msg}")
        if len(self.failures) > max_failures:
            out.append(f"FAIL {self.gate}: … and {len(self.failures) - max_failures} more")
        return "\n".join(out)

    def to_json(self) -> dict:
        return {
            "gate": self.gate,
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "failures": self.failures,
            "headers": self.headers,
            "rows": self.rows,
            "notes": self.notes,
        }


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(_width(r[i]) for r in cells if i < len(r)) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def _show(path: Path) -> str:
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def kb(n: float) -> str:
    return f"{n / 1024:.1f}"


# --------------------------------------------------------------------------------------------- the site


def page_pattern(rel: str) -> str:
    """'projects/rocket/index.html' -> '/projects/*/'; 'projects/page/2/index.html' -> '/projects/page/*/'."""
    parts = rel.split("/")
    if parts[-1] == "index.html":
        parts, tail = parts[:-1], "/"
    else:
        tail = ""
        if len(parts) > 1:
            parts = [*parts[:-1], "*" + Path(parts[-1]).suffix]
    out = []
    for i, seg in enumerate(parts):
        if i == 0 or seg == "page" or seg.startswith("*"):
            out.append(seg)
        else:
            out.append("*")
    return "/" + "/".join(out) + (tail if out else "")


def pattern_slug(pattern: str) -> str:
    if pattern == "/":
        return "home"
    s = pattern.strip("/").replace(".html", "").replace("page/*", "page-n").replace("*", "item")
    return re.sub(r"[^A-Za-z0-9_-]+", "-", s).strip("-") or "page"


class Site(Output):
    """A built output folder and the URL space it is served at, with its page types for the browser gates."""

    def __init__(self, root: str | os.PathLike, base_path: str = "/", base_url: str | None = None) -> None:
        super().__init__(root, base_path, base_url)
        if not (self.root / "index.html").is_file():
            raise FileNotFoundError(f"{self.root} has no index.html — is it a built site?")

    @cached_property
    def types(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for rel in self.html_files:
            if self.is_redirect(rel):
                continue  # a short link's or a moved page's stub: validity and links check it, no visit does
            groups.setdefault(page_pattern(rel), []).append(rel)
        return dict(sorted(groups.items(), key=lambda kv: (kv[0] != "/", kv[0] == "/404.html", kv[0])))

    def is_redirect(self, rel: str) -> bool:
        """A page that only sends the browser on (meta refresh): yunzhan's short links and renamed records."""
        with (self.root / rel).open("rb") as f:
            return REDIRECT_MARK.search(f.read(1024)) is not None

    @cached_property
    def representatives(self) -> dict[str, str]:
        return {pattern: rels[0] for pattern, rels in self.types.items()}

    @cached_property
    def gallery_page(self) -> str | None:
        """A page with gallery thumbnails: a representative if one has them, else the first such page."""
        reps = list(self.representatives.values())
        for rel in reps + [r for r in self.html_files if r not in reps]:
            if GALLERY_MARKER.search(self.text(rel)):
                return rel
        return None

    def browse_url(self, origin: str, pattern: str, rel: str) -> str:
        """Where the browser gates open a page; 404.html is requested as a missing URL, as a server would."""
        if pattern == "/404.html":
            return origin + self.base_path + MISSING_PATH
        return origin + self.url_path(rel)


# --------------------------------------------------------------------------------------------- links


REDIRECT_MARK = re.compile(rb'<meta http-equiv="refresh"', re.I)


def gate_links(site: Site) -> GateResult:
    """yunzhan's own link checker (yunzhan/check/links.py) over the output, as a gate."""
    res = GateResult("links", headers=["checked", "count"])
    report = check_output(site)
    for link, others in grouped(report.broken):
        more = ""
        if others:
            shown = ", ".join(others[:4]) + (", …" if len(others) > 4 else "")
            more = f" — and on {len(others)} more page(s): {shown}"
        res.fail(f"{link.format()}{more}")
    res.rows = [[k, str(v)] for k, v in report.counts.items()]
    res.notes.extend(report.notes)
    res.notes.append(f"base path {site.base_path}" + (f", base URL {site.base_url}" if site.base_url else ""))
    return res


# --------------------------------------------------------------------------------------------- validity


class VnuJob:
    """The Nu Html Checker running in its own process (java), waited for by a thread."""

    def __init__(self, site: Site) -> None:
        self.started = time.monotonic()
        self.seconds = 0.0
        self.error: str | None = None
        self.out = self.err = ""
        self._thread: threading.Thread | None = None
        java = shutil.which("java")
        if not java:
            self.error = f"java not found on PATH — {SETUP_HINT}"
            return
        if not VNU_JAR.is_file():
            self.error = f"{_show(VNU_JAR)} missing — {SETUP_HINT}"
            return
        files = [str(site.root / rel) for rel in site.html_files]
        cmd = [java, "-Xss4m", "-XX:+UseSerialGC", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
               "--exit-zero-always", "--filterpattern", WECHAT_VIDEO_ATTRIBUTES, *files]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def wait() -> None:
            self.out, self.err = proc.communicate()
            self.seconds = time.monotonic() - self.started

        self._thread = threading.Thread(target=wait, name="audit-vnu", daemon=True)
        self._thread.start()

    def result(self, site: Site) -> GateResult:
        if self._thread:
            self._thread.join()
        return finish_vnu(site, self)


def finish_vnu(site: Site, job: VnuJob) -> GateResult:
    res = GateResult("validity", headers=["pages", "errors", "checker"], seconds=job.seconds)
    if job.error:
        res.fail(job.error)
        return res
    out, err = job.out, job.err
    try:
        messages = json.loads(err or out or "{}").get("messages", [])
    except json.JSONDecodeError:
        res.fail(f"vnu printed something that is not JSON: {(err or out)[:500]}")
        return res
    per_page: dict[str, int] = {}
    for m in messages:
        if m.get("type") not in ("error", "non-document-error", "fatal"):
            continue
        url = unquote(m.get("url", ""))
        page = url.split(str(site.root), 1)[-1].lstrip("/") or url
        per_page[page] = per_page.get(page, 0) + 1
        extract = " ".join((m.get("extract") or "").split())[:120]
        res.fail(
            f"{page}:{m.get('lastLine', '?')}: {m.get('message')}" + (f" — `{extract}`" if extract else "")
        )
    res.rows = [[str(len(site.html_files)), str(sum(per_page.values())), "Nu Html Checker " + VNU_JAR.name]]
    return res


def gate_validity(site: Site) -> GateResult:
    return VnuJob(site).result(site)


# --------------------------------------------------------------------------------------------- static server


COMPRESSIBLE = ("text/", "application/json", "application/manifest+json", "application/xml", "image/svg+xml")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _make_handler(root: Path, base_path: str, compress: bool) -> type[BaseHTTPRequestHandler]:
    gz_cache: dict[tuple[str, int], bytes] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 20
        server_version = "yunzhan-audit"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._serve(head=False)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Cache-Control", "no-cache")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            if (
                compress
                and ctype.startswith(COMPRESSIBLE)
                and len(body) > 256
                and "gzip" in self.headers.get("Accept-Encoding", "")
            ):
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Vary", "Accept-Encoding")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _body(self, path: Path, ctype: str) -> bytes:
            data = path.read_bytes()
            if (
                compress
                and ctype.startswith(COMPRESSIBLE)
                and len(data) > 256
                and "gzip" in self.headers.get("Accept-Encoding", "")
            ):
                key = (str(path), path.stat().st_mtime_ns)
                with lock:
                    if key not in gz_cache:
                        gz_cache[key] = gzip.compress(data, 6, mtime=0)
                    return gz_cache[key]
            return data

        def _not_found(self, head: bool) -> None:
            page = root / "404.html"
            if page.is_file():
                ctype = content_type(page)
                self._send(404, self._body(page, ctype), ctype, head)
            else:
                self._send(404, b"404 Not Found\n", "text/plain; charset=utf-8", head)

        def _serve(self, head: bool) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if not path.startswith(base_path):
                if path + "/" == base_path:
                    self._send(301, b"", "text/plain", head, {"Location": quote(base_path)})
                else:
                    self._not_found(head)
                return
            rel = path[len(base_path) :]
            target = (root / rel).resolve()
            try:
                target.relative_to(root)
            except ValueError:
                self._not_found(head)
                return
            if target.is_dir():
                if not path.endswith("/"):
                    loc = quote(path + "/") + (f"?{parts.query}" if parts.query else "")
                    self._send(301, b"", "text/plain", head, {"Location": loc})
                    return
                target = target / "index.html"
            if not target.is_file():
                self._not_found(head)
                return
            ctype = content_type(target)
            self._send(200, self._body(target, ctype), ctype, head)

    return Handler


def serve_directory(
    path: str | os.PathLike, base_path: str = "/", *, port: int = 0, compress: bool = True
) -> tuple[str, Callable[[], None]]:
    """Serve a folder on 127.0.0.1 under `base_path` (gzip, 404.html for misses). Returns (url, stop).

    `url` ends with the base path, e.g. "http://127.0.0.1:43123/expo/2024/". Call stop() when done.
    """
    root = Path(path).resolve()
    base = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
    server = _Server(("127.0.0.1", port), _make_handler(root, base, compress))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="audit-static-server", daemon=True
    )
    thread.start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        server.shutdown()
        server.server_close()
        thread.join(5)

    return f"http://127.0.0.1:{server.server_address[1]}{base}", stop


# --------------------------------------------------------------------------------------------- browser


def find_chromium() -> str | None:
    for env in ("CHROME_PATH", "YUNZHAN_CHROMIUM"):
        if os.environ.get(env) and Path(os.environ[env]).is_file():
            return os.environ[env]
    for c in CHROMIUM_CANDIDATES:
        if Path(c).is_file():
            return c
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_problem() -> str | None:
    """Why the browser gates cannot run, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return f"the Python package playwright is not installed — {SETUP_HINT}"
    if not find_chromium():
        return f"Chromium not found (looked for {', '.join(CHROMIUM_CANDIDATES)}) — {SETUP_HINT}"
    return None


SCROLL_THROUGH_JS = """async () => {
  const step = Math.max(200, Math.floor(innerHeight * 0.8));
  for (let y = 0; y < document.documentElement.scrollHeight; y += step) {
    window.scrollTo({top: y, behavior: 'instant'});
    await new Promise(r => setTimeout(r, 40));
  }
  window.scrollTo({top: 0, behavior: 'instant'});
}"""

IMAGES_DONE_JS = "() => Array.from(document.images).every(i => i.complete)"
IN_VIEW_DONE_JS = """() => Array.from(document.images).every(i => {
  const r = i.getBoundingClientRect();
  return i.complete || !(r.width > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth);
})"""

BROKEN_IMAGES_JS = """() => Array.from(document.images)
  .filter(i => i.complete && i.naturalWidth === 0 && (i.currentSrc || i.getAttribute('src')))
  .map(i => i.currentSrc || i.getAttribute('src'))"""

ABOVE_FOLD_JS = """() => {
  const inView = r => r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
                      && r.top < innerHeight && r.left < innerWidth;
  const imgs = [];
  for (const img of document.images) {
    if (inView(img.getBoundingClientRect()) && img.currentSrc) imgs.push(img.currentSrc);
  }
  const res = performance.getEntriesByType('resource');
  const css = res.filter(e => e.initiatorType === 'css' && /\\.(avif|webp|jpe?g|png|gif|svg)(\\?|$)/i.test(e.name))
                 .map(e => e.name);
  const requested = res.filter(e => e.initiatorType === 'img' || /\\.(avif|webp|jpe?g|png|gif)(\\?|$)/i.test(e.name))
                       .map(e => e.name);
  const fonts = res.filter(e => /\\.(woff2?|ttf|otf)(\\?|$)/i.test(e.name)).map(e => e.name);
  return {viewport: imgs, css, requested, fonts};
}"""

AXE_RUN_JS = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return {
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                summary: (n.failureSummary || '').split('\\n').slice(1, 2).join(' ')}))})),
    incomplete: r.incomplete.length,
  };
}"""

KEYBOARD_JS = r"""() => {
  if (window.__yz) return;
  const FOCUSABLE = 'a[href],area[href],button,input:not([type=hidden]),select,textarea,summary,iframe,' +
                    '[tabindex],[contenteditable=""],[contenteditable=true]';
  const PROPS = ['outlineStyle', 'outlineWidth', 'outlineColor', 'boxShadow', 'backgroundColor', 'color',
    'borderTopColor', 'borderRightColor', 'borderBottomColor', 'borderLeftColor', 'borderTopWidth',
    'borderBottomWidth', 'textDecorationLine', 'textDecorationColor', 'textDecorationThickness',
    'textUnderlineOffset', 'transform', 'filter', 'opacity', 'top', 'left', 'clip', 'clipPath', 'scale'];
  const snap = el => { const cs = getComputedStyle(el); const o = {}; for (const p of PROPS) o[p] = cs[p]; return o; };
  const base = new Map();
  const all = Array.from(document.querySelectorAll(FOCUSABLE));
  const ancestors = el => { const out = []; for (let p = el.parentElement; p && p !== document.body && out.length < 4; p = p.parentElement) out.push(p); return out; };
  for (const el of all) {
    base.set(el, snap(el));
    for (const c of el.querySelectorAll('*')) base.set(c, snap(c));
    for (const p of ancestors(el)) if (!base.has(p)) base.set(p, snap(p));
  }
  const transparent = c => c === 'transparent' || /^rgba\(.*,\s*0\)$/.test(c);
  const outlined = s => s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && !transparent(s.outlineColor);
  const change = el => {
    const now = snap(el), was = base.get(el);
    if (!was) return outlined(now) ? 'outline' : (now.boxShadow !== 'none' ? 'box-shadow' : null);
    if (outlined(now) && (!outlined(was) || now.outlineColor !== was.outlineColor ||
        now.outlineWidth !== was.outlineWidth || now.outlineStyle !== was.outlineStyle)) return 'outline';
    for (const p of PROPS) if (p.slice(0, 7) !== 'outline' && now[p] !== was[p]) return p;
    return null;
  };
  const keyOf = el => { let i = all.indexOf(el); if (i < 0) { all.push(el); i = all.length - 1; } return i; };
  const visible = el => {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  const describe = el => {
    const tag = el.tagName.toLowerCase();
    const attr = el.getAttribute('href') ? ` href="${el.getAttribute('href')}"` :
                 el.id ? ` id="${el.id}"` : el.className && typeof el.className === 'string' ? ` class="${el.className}"` : '';
    const text = (el.innerText || el.getAttribute('aria-label') || el.getAttribute('title') || '').trim().replace(/\s+/g, ' ').slice(0, 30);
    return `<${tag}${attr}>` + (text ? ` “${text}”` : '');
  };
  const menu = () => {
    const navs = Array.from(document.querySelectorAll('header nav, [role=banner] nav'));
    const nav = navs[0] || document.querySelector('nav');
    return nav ? Array.from(nav.querySelectorAll('a[href]')) : [];
  };
  const dialogs = () => Array.from(document.querySelectorAll('DIALOG_SELECTOR')).filter(d =>
    (d.tagName !== 'DIALOG' || d.open) && !d.hidden && visible(d));
  window.__yz = {
    meta() {
      const thumbs = Array.from(document.querySelectorAll('THUMB_SELECTOR')).filter(visible);
      return {
        menu: menu().map(el => ({key: keyOf(el), desc: describe(el), visible: visible(el)})),
        thumbs: thumbs.map(el => ({key: keyOf(el), desc: describe(el)})),
        url: location.href,
      };
    },
    menuVisible() { return menu().filter(visible).map(keyOf); },
    info() {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      let indicator = change(el);
      if (!indicator) for (const c of el.querySelectorAll('*')) { if ((indicator = change(c))) break; }
      // :focus-within on a card or list item around the link counts too
      if (!indicator) for (const p of ancestors(el)) { if (base.has(p) && (indicator = change(p))) { indicator = 'ancestor ' + indicator; break; } }
      // Focus on a button inside an <audio>/<video>'s own controls: the host no longer matches :focus and the
      // browser rings the button itself, out of reach of getComputedStyle.
      if (!indicator && /^(AUDIO|VIDEO)$/.test(el.tagName) && el.controls && !el.matches(':focus')) indicator = 'native controls';
      const r = el.getBoundingClientRect();
      const inViewport = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
      let obscured = false;
      if (visible(el) && inViewport) {
        const pts = [[0.5, 0.5], [0.15, 0.2], [0.85, 0.2], [0.15, 0.8], [0.85, 0.8]].map(([fx, fy]) =>
          [Math.min(innerWidth - 1, Math.max(0, r.left + r.width * fx)), Math.min(innerHeight - 1, Math.max(0, r.top + r.height * fy))]);
        obscured = pts.every(([x, y]) => { const hit = document.elementFromPoint(x, y);
          return hit && !(el.contains(hit) || hit.contains(el)); });
      }
      const href = el.getAttribute('href') || '';
      return {key: keyOf(el), desc: describe(el), tag: el.tagName.toLowerCase(), href,
              skipTarget: href.startsWith('#') && href.length > 1 && !!document.getElementById(decodeURIComponent(href.slice(1))),
              indicator, visible: visible(el), inViewport, obscured, iframe: el.tagName === 'IFRAME',
              toggle: el.getAttribute('aria-expanded'), inDialog: dialogs().some(d => d.contains(el))};
    },
    dialogOpen() { return dialogs().length > 0; },
    focusInDialog() { const a = document.activeElement; return dialogs().some(d => d.contains(a)); },
    // Tab past the last control of a modal <dialog> goes to the browser's own UI (body is active): fine
    focusEscaped() { const a = document.activeElement;
      return !!a && a !== document.body && a !== document.documentElement && !dialogs().some(d => d.contains(a)); },
    activeKey() { const a = document.activeElement; return a ? keyOf(a) : -1; },
    focusKey(k) { all[k].focus(); return document.activeElement === all[k]; },
  };
}""".replace("DIALOG_SELECTOR", DIALOG_SELECTOR).replace("THUMB_SELECTOR", THUMB_SELECTOR)

# Computed styles are read right after each Tab: no transitions, and focus scrolling that lands at once.
NO_ANIMATION_CSS = (
    "*,*::before,*::after{transition:none!important;animation:none!important}"
    "html,body{scroll-behavior:auto!important}"
)


@dataclass
class Options:
    jobs: int = 2
    max_tabs: int = 250
    report_dir: Path | None = None
    budgets: dict = field(default_factory=dict)
    progress: Callable[[str], None] | None = None


class BrowserRun:
    """Runs the browser gates, sharing page loads between them."""

    def __init__(self, site: Site, gates: set[str], opts: Options) -> None:
        self.site, self.gates, self.opts = site, gates, opts
        self.results = {g: GateResult(g) for g in ALL_GATES if g in gates}
        self.origin = ""
        self.axe_rows: list[list[str]] = []
        self.browser_rows: dict[str, list[str]] = {}
        self.weight_images: dict[str, dict] = {}
        self.weight_observed: dict[str, set[str]] = {}
        self.keyboard_rows: list[list[str]] = []
        self.shots: list[list[str]] = []
        self.network: dict[str, list[tuple[str, str, str]]] = {}  # type -> (kind, viewport, text)
        self.current: dict[int, str] = {}  # id(page) -> page type being visited

    def log(self, msg: str) -> None:
        if self.opts.progress:
            self.opts.progress(msg)

    # -- plumbing

    async def open_page(self, browser, viewport: tuple):
        """A context + page for one viewport; its listeners file problems under the page's current type."""
        w, h, dsf, mobile, *look = viewport  # a fifth item: "dark" (prefers-color-scheme) or "care"
        ctx = await browser.new_context(
            color_scheme="dark" if look == ["dark"] else "light",
            viewport={"width": w, "height": h},
            device_scale_factor=dsf,
            is_mobile=mobile,
            has_touch=mobile,
            locale="zh-CN",
            bypass_csp=True,
            service_workers="block",
        )
        await ctx.route(
            re.compile(rf"^(?!{re.escape(self.origin)}/)(https?|wss?|ftp)://"),
            lambda route: route.abort("blockedbyclient"),
        )
        page = await ctx.new_page()
        page.set_default_timeout(15000)
        where = f"@{w}px"

        def report(kind: str, text: str) -> None:
            pattern = self.current.get(id(page))
            if pattern is not None:
                self.network.setdefault(pattern, []).append((kind, where, text))

        def on_console(msg) -> None:
            if msg.type == "error":
                loc = msg.location or {}
                url = loc.get("url", "")
                if url.endswith(MISSING_PATH) and "404" in msg.text:
                    return  # the 404 page's own status
                if "ERR_BLOCKED_BY_CLIENT" in msg.text and url and not url.startswith(self.origin + "/"):
                    return  # reported as a request to another origin
                src = f" ({url.replace(self.origin, '')}:{loc.get('lineNumber', '?')})" if url else ""
                report("console error", f"{msg.text[:300]}{src}")

        def on_pageerror(err) -> None:
            report("uncaught exception", str(err)[:300])

        def on_request(req) -> None:
            url = req.url
            if not url.startswith(self.origin + "/") and not url.startswith(("data:", "blob:", "about:")):
                report("request to another origin", url[:200])

        def on_failed(req) -> None:
            if req.url.startswith(self.origin + "/") and "ERR_ABORTED" not in (req.failure or ""):
                report("request failed", f"{req.url.replace(self.origin, '')} ({req.failure})")

        def on_response(resp) -> None:
            if resp.status >= 400 and not resp.url.endswith(MISSING_PATH):
                report(f"HTTP {resp.status}", resp.url.replace(self.origin, ""))

        page.on("console", on_console)
        page.on("pageerror", on_pageerror)
        page.on("request", on_request)
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        return ctx, page

    async def goto(self, page, pattern: str, rel: str):
        url = self.site.browse_url(self.origin, pattern, rel)
        resp = await page.goto(url, wait_until="load")
        if pattern == "/404.html" and resp is not None and resp.status != 404:
            self.network.setdefault(pattern, []).append(
                ("status", "", f"a missing URL answered HTTP {resp.status}, expected 404 with 404.html")
            )
        return resp

    async def release(self, page) -> None:
        """End a visit: leave the page (cancelling its late requests) before it stops counting as this type."""
        with suppress(Exception):
            await page.goto("about:blank")
        self.current.pop(id(page), None)

    async def scroll_through(self, page) -> None:
        await page.evaluate(SCROLL_THROUGH_JS)
        with suppress(Exception):
            await page.wait_for_function(IMAGES_DONE_JS, timeout=10000)

    async def axe(self, page, label: str, pattern: str) -> None:
        await page.add_script_tag(path=str(AXE_JS))
        r = await page.evaluate(AXE_RUN_JS, AXE_TAGS)
        res = self.results["a11y"]
        for v in r["violations"]:
            n = v["nodes"]
            eg = "; ".join(
                f"{x['target']} {x['html']!r}" + (f" — {x['summary']}" if x["summary"] else "") for x in n[:3]
            )
            res.fail(
                f"{pattern} ({label}): {v['id']} [{v['impact']}] {v['help']} — {len(n)} element(s): {eg}"
            )
        self.axe_rows.append([pattern, label, str(len(r["violations"])), str(r["incomplete"])])

    # -- visits

    async def visit_phone(self, worker, pattern: str, rel: str) -> None:
        page = await worker.page(PHONE, pattern)
        try:
            await self.goto(page, pattern, rel)
            if "weight" in self.gates:
                with suppress(Exception):  # lazy images in view start after layout: let them finish
                    await page.wait_for_function(IN_VIEW_DONE_JS, timeout=5000)
                info = await page.evaluate(ABOVE_FOLD_JS)
                self.weight_images[pattern] = info
                self.weight_observed[pattern] = {
                    r
                    for r in await page.evaluate(
                        "() => performance.getEntriesByType('resource')"
                        ".filter(e => ['script','link','css'].includes(e.initiatorType)).map(e => e.name)"
                    )
                }
            if "a11y" in self.gates:
                await self.axe(page, "390×844", pattern)
            if "screenshots" in self.gates:
                await self.screenshot(page, pattern, f"{PHONE[0]}-light")
        finally:
            await self.release(page)

    async def visit_desktop(self, worker, pattern: str, rel: str) -> None:
        page = await worker.page(DESKTOP, pattern)
        try:
            await self.goto(page, pattern, rel)
            if "a11y" in self.gates:
                await self.axe(page, "1280×800", pattern)
            if "screenshots" in self.gates:
                await self.screenshot(page, pattern, f"{DESKTOP[0]}-light")
        finally:
            await self.release(page)

    async def visit_look(self, worker, pattern: str, rel: str, viewport: tuple) -> None:
        """One page type in dark or care mode (or light at 320 px): axe at the phone and desktop sizes in dark
        mode, and a screenshot."""
        look = viewport[4] if len(viewport) > 4 else "light"
        page = await worker.page(viewport, pattern)
        try:
            await self.goto(page, pattern, rel)
            if look == "care":
                await page.evaluate("() => { location.hash = 'care'; }")  # the switch's no-JS link
            if "a11y" in self.gates and look == "dark" and viewport[0] != NARROW[0]:
                await self.axe(page, f"{viewport[0]}×{viewport[1]} dark", pattern)
            if "screenshots" in self.gates:
                await self.screenshot(page, pattern, f"{viewport[0]}-{look}")
        finally:
            await self.release(page)

    async def screenshot(self, page, pattern: str, label: str) -> None:
        await self.scroll_through(page)
        assert self.opts.report_dir is not None
        out = self.opts.report_dir / "screenshots" / f"{pattern_slug(pattern)}-{label}.jpg"
        out.parent.mkdir(parents=True, exist_ok=True)
        # JPEG: a full-page PNG of a long page takes seconds to encode, and these are for people to look at
        await page.screenshot(path=str(out), full_page=True, type="jpeg", quality=85)
        self.shots.append([pattern, label, str(out)])

    async def visit_narrow(self, worker, pattern: str, rel: str) -> None:
        page = await worker.page(NARROW, pattern)
        res = self.results["browser"]
        try:
            t0 = time.monotonic()
            resp = await self.goto(page, pattern, rel)
            load = time.monotonic() - t0
            sw = await page.evaluate("() => document.documentElement.scrollWidth")
            if sw > NARROW[0]:
                wide = await page.evaluate(
                    """(w) => Array.from(document.querySelectorAll('body *'))
                  .filter(e => e.getBoundingClientRect().right > w + 1)
                  .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= w + 1)
                  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
                     ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                     + ' (right edge ' + Math.round(e.getBoundingClientRect().right) + 'px)')""",
                    NARROW[0],
                )
                res.fail(
                    f"{pattern} ({rel}): scrolls horizontally at {NARROW[0]} px: scrollWidth {sw} px; "
                    f"widest: {', '.join(wide) or '?'}"
                )
            await self.scroll_through(page)
            for src in await page.evaluate(BROKEN_IMAGES_JS):
                res.fail(f"{pattern} ({rel}): image did not load: {src.replace(self.origin, '')}")
            n_req = await page.evaluate("() => performance.getEntriesByType('resource').length + 1")
            status = resp.status if resp else "?"
            self.browser_rows[pattern] = [pattern, rel, str(status), f"{load:.2f}", str(n_req), str(sw)]
        finally:
            await self.release(page)

    async def visit_keyboard(self, worker, pattern: str, rel: str, viewport: tuple, lightbox: bool) -> None:
        page = await worker.page(viewport, pattern)
        res = self.results["keyboard"]
        label = f"{pattern} ({rel}) @{viewport[0]}px"
        try:
            await self.goto(page, pattern, rel)
            await page.add_style_tag(content=NO_ANIMATION_CSS)
            await page.evaluate(KEYBOARD_JS)
            meta = await page.evaluate("() => __yz.meta()")
            stops: list[dict] = []
            no_indicator: list[str] = []
            for _ in range(self.opts.max_tabs):
                await page.keyboard.press("Tab")
                info = await page.evaluate("() => __yz.info()")
                if info is None or (stops and info["key"] == stops[0]["key"]):
                    break
                if page.url.split("#")[0] != meta["url"].split("#")[0]:
                    res.fail(f"{label}: pressing Tab navigated to {page.url}")
                    break
                stops.append(info)
                if info["iframe"]:
                    continue
                if not info["visible"] or not info["inViewport"]:
                    res.fail(f"{label}: focused element is not visible on screen: {info['desc']}")
                elif info["obscured"]:
                    res.fail(f"{label}: focused element is hidden under another element: {info['desc']}")
                if not info["indicator"]:
                    no_indicator.append(info["desc"])
                if info["toggle"] == "false":  # a collapsed menu button: open it, as a keyboard user would
                    await page.keyboard.press("Enter")
            if not stops:
                res.fail(f"{label}: Tab focuses nothing")
                return
            first = stops[0]
            # Pages without a site menu (print sheets such as placards) need no skip link; the home page must
            # have both, so that a theme losing its header everywhere cannot pass.
            chrome = bool(meta["menu"]) or pattern == "/"
            if chrome and not (first["tag"] == "a" and first["skipTarget"]):
                res.fail(
                    f"{label}: the first Tab stop is {first['desc']}, expected a skip link to the main "
                    'content (<a href="#main">, its target existing)'
                )
            for d in dict.fromkeys(no_indicator):
                res.fail(f"{label}: no visible focus indicator (outline, box-shadow, colour…) on {d}")
            keys = {s["key"] for s in stops}
            visible_menu = set(await page.evaluate("() => __yz.menuVisible()"))
            missed = [m["desc"] for m in meta["menu"] if m["key"] not in keys]
            if missed:
                res.fail(
                    f"{label}: Tab never reaches menu link(s) {', '.join(missed)}"
                    + ("" if all(m["key"] in visible_menu for m in meta["menu"]) else " (hidden)")
                )
            if not meta["menu"] and pattern == "/":
                res.fail(f"{label}: no menu found (<header> <nav> <a>)")
            missed_thumbs = [t["desc"] for t in meta["thumbs"] if t["key"] not in keys]
            if missed_thumbs:
                res.fail(f"{label}: Tab never reaches gallery thumbnail(s) {', '.join(missed_thumbs[:5])}")
            lb = ""
            if lightbox:
                lb = await self.lightbox(page, meta, label, res)
            self.keyboard_rows.append(
                [
                    pattern,
                    f"{viewport[0]}×{viewport[1]}",
                    str(len(stops)),
                    first["desc"][:40],
                    f"{len(meta['menu']) - len(missed)}/{len(meta['menu'])}" if meta["menu"] else "no menu",
                    f"{len(meta['thumbs']) - len(missed_thumbs)}/{len(meta['thumbs'])}",
                    lb,
                ]
            )
        finally:
            await self.release(page)

    async def lightbox(self, page, meta: dict, label: str, res: GateResult) -> str:
        if not meta["thumbs"]:
            res.fail(f"{label}: no gallery thumbnails ({THUMB_SELECTOR}) on this page")
            return "no thumbnails"
        await page.goto(page.url.split("#")[0], wait_until="load")
        await page.add_style_tag(content=NO_ANIMATION_CSS)
        await page.evaluate(KEYBOARD_JS)
        meta = await page.evaluate("() => __yz.meta()")
        thumb = meta["thumbs"][0]
        await page.evaluate("(k) => __yz.focusKey(k)", thumb["key"])
        before = page.url
        await page.keyboard.press("Enter")
        try:
            await page.wait_for_function("() => __yz.dialogOpen()", timeout=3000)
        except Exception:
            where = f" (it navigated to {page.url.replace(self.origin, '')})" if page.url != before else ""
            res.fail(
                f"{label}: Enter on gallery thumbnail {thumb['desc']} opened no lightbox "
                f"({DIALOG_SELECTOR} visible){where}"
            )
            return "did not open"
        if not await page.evaluate("() => __yz.focusInDialog()"):
            res.fail(f"{label}: the lightbox opened but focus stayed outside it")
        for _ in range(12):
            await page.keyboard.press("Tab")
            if await page.evaluate("() => __yz.focusEscaped()"):
                desc = await page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
                res.fail(
                    f"{label}: Tab moves focus out of the open lightbox to {desc!r} (it should be modal)"
                )
                break
        await page.add_script_tag(path=str(AXE_JS))  # the open lightbox is a state axe never sees otherwise
        r = await page.evaluate(AXE_RUN_JS, AXE_TAGS)
        for v in r["violations"]:
            eg = "; ".join(f"{x['target']} {x['html']!r}" for x in v["nodes"][:2])
            res.fail(f"{label}: open lightbox: {v['id']} [{v['impact']}] {v['help']} — {eg}")
        await page.keyboard.press("Escape")
        try:
            await page.wait_for_function("() => !__yz.dialogOpen()", timeout=3000)
        except Exception:
            res.fail(f"{label}: Esc did not close the lightbox")
            return "Esc failed"
        active = await page.evaluate("() => __yz.activeKey()")
        if active != thumb["key"]:
            desc = await page.evaluate(
                "() => document.activeElement ? document.activeElement.outerHTML.slice(0, 80) : ''"
            )
            res.fail(f"{label}: after Esc focus is on {desc!r}, not back on the thumbnail {thumb['desc']}")
            return "focus lost"
        return "Enter opens, Esc closes, focus returns"

    # -- orchestration

    async def run(self) -> None:
        from playwright.async_api import async_playwright

        if "screenshots" in self.gates and self.opts.report_dir:
            for old in (self.opts.report_dir / "screenshots").glob("*.[jp][pn]g"):
                old.unlink()  # the folder shows this run only

        url, stop = serve_directory(self.site.root, self.site.base_path)
        self.origin = url[: -len(self.site.base_path)]
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=find_chromium(), args=[NO_DNS])
                try:
                    await self._visits(browser)
                finally:
                    await browser.close()
        finally:
            stop()

    async def _visits(self, browser) -> None:
        # (name, gates it serves, job(worker)); the long keyboard walks first, so the pool ends together
        jobs: list[tuple[str, tuple[str, ...], Callable]] = []
        reps = self.site.representatives
        gallery = self.site.gallery_page
        if "keyboard" in self.gates:
            for pattern, rel in reps.items():
                lb = rel == gallery
                jobs.append(
                    (
                        f"keyboard {pattern} @{DESKTOP[0]}",
                        ("keyboard",),
                        lambda w, p=pattern, r=rel, lb=lb: self.visit_keyboard(w, p, r, DESKTOP, lb),
                    )
                )
                if pattern == "/" or lb:
                    jobs.append(
                        (
                            f"keyboard {pattern} @{PHONE[0]}",
                            ("keyboard",),
                            lambda w, p=pattern, r=rel, lb=lb: self.visit_keyboard(w, p, r, PHONE, lb),
                        )
                    )
            if gallery is None:
                self.results["keyboard"].fail(
                    "no page with gallery thumbnails found in the output, so the "
                    "lightbox could not be tried — the demo content needs one"
                )
            elif gallery not in reps.values():
                gp = page_pattern(gallery)
                for vp in (DESKTOP, PHONE):
                    jobs.append(
                        (
                            f"keyboard {gp} gallery @{vp[0]}",
                            ("keyboard",),
                            lambda w, vp=vp: self.visit_keyboard(w, gp, gallery, vp, True),
                        )
                    )
        for pattern, rel in reps.items():
            if "browser" in self.gates:
                jobs.append(
                    (
                        f"browser {pattern} @{NARROW[0]}",
                        ("browser",),
                        lambda w, p=pattern, r=rel: self.visit_narrow(w, p, r),
                    )
                )
            served = tuple(g for g in ("a11y", "weight", "screenshots") if g in self.gates)
            if served:
                jobs.append(
                    (
                        f"{'+'.join(served)} {pattern} @{PHONE[0]}",
                        served,
                        lambda w, p=pattern, r=rel: self.visit_phone(w, p, r),
                    )
                )
            served = tuple(g for g in ("a11y", "screenshots") if g in self.gates)
            if served:
                jobs.append(
                    (
                        f"{'+'.join(served)} {pattern} @{DESKTOP[0]}",
                        served,
                        lambda w, p=pattern, r=rel: self.visit_desktop(w, p, r),
                    )
                )
            served = tuple(g for g in ("a11y", "screenshots") if g in self.gates)
            if served:
                looks = [(*vp, look) for look in LOOKS for vp in (NARROW, PHONE, DESKTOP)]
                for vp in [NARROW, *looks] if "screenshots" in self.gates else looks:
                    if "screenshots" not in self.gates and (
                        len(vp) < 5 or vp[4] != "dark" or vp == (*NARROW, "dark")
                    ):
                        continue
                    jobs.append(
                        (
                            f"{'+'.join(served)} {pattern} @{vp[0]} {vp[4] if len(vp) > 4 else 'light'}",
                            served,
                            lambda w, p=pattern, r=rel, vp=vp: self.visit_look(w, p, r, vp),
                        )
                    )
        queue: asyncio.Queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def work() -> None:
            worker = _Worker(self, browser)
            try:
                while not queue.empty():
                    name, served, fn = queue.get_nowait()
                    t0 = time.monotonic()
                    try:
                        await fn(worker)
                    except Exception as exc:  # a crash of one visit is a failure of its gates, not an abort
                        for gate in served:
                            self.results[gate].fail(
                                f"{name}: the check crashed: {type(exc).__name__}: {str(exc)[:400]}"
                            )
                        await worker.close()
                    self.log(f"  {name}: {time.monotonic() - t0:.1f} s")
            finally:
                await worker.close()

        await asyncio.gather(*(work() for _ in range(max(1, self.opts.jobs))))


class _Worker:
    """One page per viewport, reused from visit to visit (a new context costs more than a navigation)."""

    def __init__(self, run: BrowserRun, browser) -> None:
        self.run, self.browser = run, browser
        self.pages: dict[tuple, tuple] = {}

    async def page(self, viewport: tuple, pattern: str):
        if viewport not in self.pages:
            self.pages[viewport] = await self.run.open_page(self.browser, viewport)
        page = self.pages[viewport][1]
        self.run.current[id(page)] = pattern
        return page

    async def close(self) -> None:
        pages, self.pages = self.pages, {}
        for ctx, page in pages.values():
            self.run.current.pop(id(page), None)
            with suppress(Exception):
                await ctx.close()


def _run_catching(run: BrowserRun, crash: list[BaseException]) -> None:
    try:
        asyncio.run(run.run())
    except BaseException as exc:
        crash.append(exc)


def browser_gates(site: Site, gates: set[str], opts: Options) -> dict[str, GateResult]:
    gates = gates & BROWSER_GATES
    if not gates:
        return {}
    t0 = time.monotonic()
    problem = browser_problem()
    if not problem and gates & {"a11y", "keyboard"} and not AXE_JS.is_file():
        problem = f"{_show(AXE_JS)} missing — {SETUP_HINT}"
    if problem:
        return {g: GateResult(g, failures=[problem]) for g in ALL_GATES if g in gates}
    run = BrowserRun(site, gates, opts)
    # In a thread of its own: the caller may hold Playwright's sync API (and its loop) in this one.
    crash: list[BaseException] = []
    thread = threading.Thread(target=lambda: _run_catching(run, crash), name="audit-browser")
    thread.start()
    thread.join()
    if crash:
        raise crash[0]
    elapsed = time.monotonic() - t0
    results = run.results
    order = list(site.representatives)
    if "browser" in results:
        r = results["browser"]
        for pattern in order:
            seen: dict[tuple[str, str], list[str]] = {}
            for kind, where, text in run.network.get(pattern, []):
                wheres = seen.setdefault((kind, text), [])
                if where and where not in wheres:
                    wheres.append(where)
            for (kind, text), wheres in seen.items():
                at = f" ({', '.join(sorted(wheres, key=natural_key))})" if wheres else ""
                r.fail(f"{pattern} ({site.representatives[pattern]}): {kind}{at}: {text}")
        r.headers = ["page type", "file", "status", "load s", "requests", f"scrollWidth@{NARROW[0]}"]
        r.rows = [run.browser_rows[p] for p in order if p in run.browser_rows]
    if "a11y" in results:
        results["a11y"].headers = ["page type", "viewport", "violations", "needs review"]
        results["a11y"].rows = sorted(run.axe_rows, key=lambda r: (order.index(r[0]), r[1]))
        results["a11y"].notes.append(f"axe-core tags: {', '.join(AXE_TAGS)}")
    if "keyboard" in results:
        results["keyboard"].headers = [
            "page type",
            "viewport",
            "tab stops",
            "first stop",
            "menu",
            "thumbnails",
            "lightbox",
        ]
        results["keyboard"].rows = sorted(run.keyboard_rows, key=lambda r: (r[0] not in order, r[0], r[1]))
    if "screenshots" in results:
        r = results["screenshots"]
        r.headers = ["page type", "viewport", "file"]
        r.rows = sorted(run.shots, key=lambda x: (order.index(x[0]), x[1]))
        expected = 3 * (1 + len(LOOKS)) * len(order)  # 320, 390, 1280 px × light, dark, care
        if len(run.shots) != expected:
            r.fail(f"{len(run.shots)} screenshots saved, expected {expected}")
    if "weight" in results:
        weigh(site, results["weight"], run, opts.budgets)
    for r in results.values():
        r.seconds = elapsed
    return results


# --------------------------------------------------------------------------------------------- weight


def load_budgets(path: Path | None) -> dict:
    if path is None or not path.is_file():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def budget_for(budgets: dict, pattern: str, key: str, fallback: float) -> float:
    per = budgets.get("pages", {}).get(pattern, {})
    return float(per.get(key, budgets.get("default", {}).get(key, fallback)))


def weigh(site: Site, res: GateResult, run: BrowserRun | None, budgets: dict) -> None:
    """HTML+CSS+JS gzip for every page (static), above-the-fold images from the browser visit."""
    gz_cache: dict[Path, int] = {}
    resolver = Resolver(site)

    def gz(path: Path) -> int:
        if path not in gz_cache:
            gz_cache[path] = len(gzip.compress(path.read_bytes(), 6, mtime=0))
        return gz_cache[path]

    def file_of(from_path: str, value: str) -> Path | None:
        kind, path, _ = resolver.resolve(from_path, value)
        return site.file_for(path) if kind == "internal" and path else None

    def css_closure(css: Path, acc: set[Path]) -> None:
        if css in acc:
            return
        acc.add(css)
        rel = css.relative_to(site.root).as_posix()
        text = css.read_text("utf-8", errors="replace")
        for m in CSS_IMPORT.finditer(CSS_COMMENT.sub("", text)):
            t = file_of(site.base_path + quote(rel), m.group(1) or m.group(2))
            if t:
                css_closure(t, acc)

    def page_weight(rel: str, extra_urls: Iterable[str] = ()) -> tuple[int, int, int]:
        parsed = site.parsed(rel)
        from_path = site.url_path(rel)
        css: set[Path] = set()
        js: set[Path] = set()
        for href in parsed.stylesheets:
            t = file_of(from_path, href)
            if t:
                css_closure(t, css)
        for src in parsed.scripts:
            t = file_of(from_path, src)
            if t:
                js.add(t)
        for url in extra_urls:  # what the browser really fetched (dynamic imports, scripts adding scripts)
            t = file_of(from_path, url)
            if t and t.suffix in (".css",):
                css.add(t)
            elif t and t.suffix in (".js", ".mjs"):
                js.add(t)
        return gz(site.root / rel), sum(gz(p) for p in css), sum(gz(p) for p in js)

    def image_bytes(urls: Iterable[str]) -> int:
        total = 0
        for u in dict.fromkeys(urls):
            t = file_of("/", u.replace(run.origin, "", 1)) if run else None
            if t:
                total += t.stat().st_size
        return total

    res.headers = [
        "page type",
        "pages",
        "file",
        "HTML",
        "CSS",
        "JS",
        "total gz kB",
        "budget",
        "heaviest of type",
        "imgs in view kB",
        "budget",
        "imgs fetched kB",
        "fonts kB",
    ]
    for pattern, rels in site.types.items():
        rep = rels[0]
        extra = run.weight_observed.get(pattern, set()) if run else set()
        extra = {u.replace(run.origin, "", 1) for u in extra} if run else set()
        h, c, j = page_weight(rep, extra)
        total = h + c + j
        limit = budget_for(budgets, pattern, "html_css_js_gzip_kb", 60) * 1024
        heaviest_rel, heaviest = rep, total
        for rel in rels[1:]:
            t = sum(page_weight(rel))
            if t > heaviest:
                heaviest_rel, heaviest = rel, t
            if t > limit:
                res.fail(f"{pattern} ({rel}): HTML+CSS+JS {kb(t)} kB gzip > budget {kb(limit)} kB")
        if total > limit:
            res.fail(
                f"{pattern} ({rep}): HTML+CSS+JS {kb(total)} kB gzip (HTML {kb(h)}, CSS {kb(c)}, "
                f"JS {kb(j)}) > budget {kb(limit)} kB"
            )
        img_limit = budget_for(budgets, pattern, "above_fold_images_kb", 250) * 1024
        info = run.weight_images.get(pattern) if run else None
        if info is not None:
            in_view = image_bytes([*info["viewport"], *info["css"]])
            fetched = image_bytes(info["requested"] + info["css"])
            fonts = image_bytes(info["fonts"])
            if in_view > img_limit:
                res.fail(
                    f"{pattern} ({rep}): images in the first {PHONE[0]}×{PHONE[1]} viewport weigh "
                    f"{kb(in_view)} kB > budget {kb(img_limit)} kB ({', '.join(info['viewport'][:4])})"
                )
            font_limit = budget_for(budgets, pattern, "fonts_kb", -1)
            if font_limit >= 0 and fonts > font_limit * 1024:
                res.fail(f"{pattern} ({rep}): web fonts weigh {kb(fonts)} kB > budget {font_limit} kB")
            imgs = [kb(in_view), kb(img_limit), kb(fetched), kb(fonts)]
        else:
            imgs = ["?", kb(img_limit), "?", "?"]
        res.rows.append(
            [
                pattern,
                str(len(rels)),
                rep,
                kb(h),
                kb(c),
                kb(j),
                kb(total),
                kb(limit),
                f"{kb(heaviest)} ({heaviest_rel})" if heaviest_rel != rep else "",
                *imgs,
            ]
        )
    res.notes.append(
        f"sizes: gzip -6 of the files; images at {PHONE[0]}×{PHONE[1]} DPR {PHONE[2]} before "
        "scrolling (in view = budgeted, fetched = all the browser asked for, lazy ones included)"
    )


# --------------------------------------------------------------------------------------------- lighthouse


LH_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LH_DEFAULT_PAGES = ("/", "/projects/*/", "/craftsmen/")
LH_DEFAULT_MIN = {"performance": 95, "accessibility": 100, "best-practices": 95, "seo": 100}
LH_CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    '--disable-component-update --host-resolver-rules="' + NO_DNS.split("=", 1)[1] + '"'
)


def lighthouse_pages(site: Site, wanted: Iterable[str]) -> tuple[list[tuple[str, str]], list[str]]:
    pages, missing = [], []
    for w in wanted:
        if w.endswith(".html") and not w.startswith("/"):
            w = "/" + w
        if w in site.representatives:
            pages.append((w, site.representatives[w]))
        elif (site.root / w.strip("/")).is_file() or site.file_for(site.base_path + w.lstrip("/")):
            rel = site.file_for(site.base_path + w.lstrip("/")) or site.root / w.strip("/")
            pages.append(
                (page_pattern(rel.relative_to(site.root).as_posix()), rel.relative_to(site.root).as_posix())
            )
        else:
            missing.append(w)
    return pages, missing


def gate_lighthouse(site: Site, opts: Options, wanted: Iterable[str] | None = None) -> GateResult:
    res = GateResult("lighthouse")
    t0 = time.monotonic()
    cfg = opts.budgets.get("lighthouse", {})
    wanted = list(wanted or cfg.get("pages") or LH_DEFAULT_PAGES)
    minimum = {c: float(cfg.get(c, LH_DEFAULT_MIN[c])) for c in LH_CATEGORIES}
    node = shutil.which("node")
    chromium = find_chromium()
    for ok, what in (
        (node, "node not found on PATH"),
        (LIGHTHOUSE_CLI.is_file(), "scripts/node_modules/lighthouse missing"),
        (chromium, "Chromium not found"),
    ):
        if not ok:
            res.fail(f"{what} — {SETUP_HINT}")
    pages, missing = lighthouse_pages(site, wanted)
    for m in missing:
        res.fail(f"page {m!r} to audit not found in the output")
    if res.failures:
        return res
    assert opts.report_dir is not None
    out_dir = opts.report_dir / "lighthouse"
    out_dir.mkdir(parents=True, exist_ok=True)
    url, stop = serve_directory(site.root, site.base_path)
    origin = url[: -len(site.base_path)]
    res.headers = [
        "page",
        "file",
        *LH_CATEGORIES,
        "perf runs",
        "CPU index",
        "FCP s",
        "LCP s",
        "TBT ms",
        "CLS",
        "seconds",
    ]
    env = {**os.environ, "CHROME_PATH": str(chromium)}
    try:
        for pattern, rel in pages:
            name = pattern_slug(pattern)
            t1 = time.monotonic()
            page_url = origin + site.url_path(rel)
            cmd = [
                str(node),
                str(LIGHTHOUSE_CLI),
                page_url,
                "--output=json",
                "--output=html",
                f"--output-path={out_dir / name}",
                "--only-categories=" + ",".join(LH_CATEGORIES),
                f"--chrome-flags={LH_CHROME_FLAGS}",
                "--quiet",
                "--max-wait-for-load=30000",
                "--disable-full-page-screenshot",
            ]
            if opts.progress:
                opts.progress(f"  lighthouse {pattern} …")

            def run_once(
                out_name: str, cmd: list[str] = cmd, pattern: str = pattern, rel: str = rel
            ) -> dict | None:
                cmd = [
                    c if not c.startswith("--output-path=") else f"--output-path={out_dir / out_name}"
                    for c in cmd
                ]
                try:
                    proc = subprocess.run(
                        cmd, capture_output=True, text=True, env=env, timeout=240, check=False
                    )
                except subprocess.TimeoutExpired:
                    res.fail(f"{pattern} ({rel}): lighthouse did not finish within 240 s")
                    return None
                report = out_dir / f"{out_name}.report.json"
                if proc.returncode != 0 or not report.is_file():
                    res.fail(
                        f"{pattern} ({rel}): lighthouse exited {proc.returncode}: "
                        f"{(proc.stderr or proc.stdout).strip()[-800:]}"
                    )
                    return None
                return json.loads(report.read_text("utf-8"))

            def perf(d: dict) -> float:
                return (d["categories"].get("performance", {}).get("score") or 0) * 100

            data = run_once(name)
            if data is None:
                continue
            perf_runs = [f"{perf(data):.0f}"]
            if perf(data) < minimum["performance"]:
                # The performance score moves from run to run (more so on a busy 2-core machine):
                # a second run decides, and both scores are shown.
                second = run_once(f"{name}-run2")
                if second is not None:
                    perf_runs.append(f"{perf(second):.0f}")
                    if perf(second) > perf(data):
                        data = second
            if data.get("runtimeError"):
                res.fail(f"{pattern} ({rel}): lighthouse runtime error: {data['runtimeError']}")
            scores = {}
            for c in LH_CATEGORIES:
                cat = data["categories"].get(c, {})
                score = cat.get("score")
                scores[c] = None if score is None else round(score * 100)
                if scores[c] is None or scores[c] < minimum[c]:
                    bad = []
                    for ref in cat.get("auditRefs", []):
                        a = data["audits"].get(ref["id"], {})
                        if ref.get("weight", 0) > 0 and a.get("score") is not None and a["score"] < 1:
                            disp = f" ({a['displayValue']})" if a.get("displayValue") else ""
                            bad.append(f"{ref['id']} {round(a['score'] * 100)}{disp}")
                    res.fail(
                        f"{pattern} ({rel}): {c} {scores[c]} < {minimum[c]:.0f}"
                        + (f" — failing audits: {'; '.join(bad[:8])}" if bad else "")
                    )
            for w in data.get("runWarnings", []):
                res.notes.append(f"{pattern}: lighthouse warning: {w[:200]}")
            a = data["audits"]

            def num(k: str, scale: float = 1.0, fmt: str = "{:.2f}", audits: dict = a) -> str:
                v = audits.get(k, {}).get("numericValue")
                return "?" if v is None else fmt.format(v / scale)

            res.rows.append(
                [
                    pattern,
                    rel,
                    *(str(scores[c]) for c in LH_CATEGORIES),
                    " → ".join(perf_runs),
                    f"{data.get('environment', {}).get('benchmarkIndex', '?')}",
                    num("first-contentful-paint", 1000),
                    num("largest-contentful-paint", 1000),
                    num("total-blocking-time", 1, "{:.0f}"),
                    num("cumulative-layout-shift", 1, "{:.3f}"),
                    f"{time.monotonic() - t1:.0f}",
                ]
            )
    finally:
        stop()
    res.notes.append(
        "minimum: " + ", ".join(f"{c} {v:.0f}" for c, v in minimum.items()) + f"; reports in {out_dir}"
    )
    res.seconds = time.monotonic() - t0
    return res


# --------------------------------------------------------------------------------------------- driver


def run_audit(
    output_dir: str | os.PathLike,
    *,
    base_path: str = "/",
    base_url: str | None = None,
    gates: Iterable[str] = ALL_GATES,
    report_dir: str | os.PathLike | None = "audit-report",
    budgets: str | os.PathLike | None = DEFAULT_BUDGETS,
    jobs: int = 2,
    max_tabs: int = 250,
    lighthouse: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, GateResult]:
    """Run the gates; returns {gate: GateResult} in ALL_GATES order. Never skips a gate silently."""
    gates = set(gates)
    unknown = gates - set(ALL_GATES)
    if unknown:
        raise ValueError(f"unknown gate(s) {', '.join(sorted(unknown))}; known: {', '.join(ALL_GATES)}")
    site = Site(output_dir, base_path=base_path, base_url=base_url)
    report = (
        Path(report_dir).resolve() if report_dir else Path(os.environ.get("TMPDIR", "/tmp")) / "audit-report"
    )
    opts = Options(
        jobs=jobs,
        max_tabs=max_tabs,
        report_dir=report,
        budgets=load_budgets(Path(budgets) if budgets else None),
        progress=progress,
    )
    results: dict[str, GateResult] = {}

    # The validator runs in its own process while the browser works.
    vnu = VnuJob(site) if "validity" in gates else None
    if "links" in gates:
        t0 = time.monotonic()
        results["links"] = gate_links(site)
        results["links"].seconds = time.monotonic() - t0
    results.update(browser_gates(site, gates, opts))
    if vnu is not None:
        results["validity"] = vnu.result(site)
    if "lighthouse" in gates:
        results["lighthouse"] = gate_lighthouse(site, opts, lighthouse)
    return {g: results[g] for g in ALL_GATES if g in results}


def summary(results: dict[str, GateResult]) -> str:
    rows = [
        [g, "ok" if r.ok else "FAILED", str(len(r.failures)), f"{r.seconds:.1f}"] for g, r in results.items()
    ]
    return format_table(["gate", "result", "failures", "seconds"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:4]),
    )
    ap.add_argument("output", help="the built site (output folder)")
    ap.add_argument("--base-path", default=None, help="URL path the site is served under, e.g. /expo/2024/")
    ap.add_argument(
        "--base-url",
        default=None,
        help="the site's base_url (sets the base path; absolute links to it are checked too)",
    )
    ap.add_argument("--gates", default=",".join(ALL_GATES), help="comma-separated gates (default: all)")
    ap.add_argument(
        "--report",
        default="audit-report",
        help="folder for screenshots, Lighthouse reports, report.json (default: audit-report)",
    )
    ap.add_argument("--budgets", default=str(DEFAULT_BUDGETS), help="weight and Lighthouse budgets (TOML)")
    ap.add_argument(
        "--jobs",
        type=int,
        default=min(4, max(2, os.cpu_count() or 2)),
        help="pages open in the browser at once",
    )
    ap.add_argument(
        "--lighthouse-pages",
        default=None,
        help="comma-separated page types or paths for Lighthouse (default from budgets.toml)",
    )
    args = ap.parse_args(argv)
    gates = [g.strip() for g in args.gates.split(",") if g.strip()]
    if (
        args.base_path
        and args.base_url
        and urlsplit(args.base_url).path.strip("/") != args.base_path.strip("/")
    ):
        ap.error("--base-path and --base-url disagree")
    t0 = time.monotonic()

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    unknown = sorted(set(gates) - set(ALL_GATES))
    if unknown:
        ap.error(f"unknown gate(s) {', '.join(unknown)}; known: {', '.join(ALL_GATES)}")
    try:
        site = Site(args.output, base_path=args.base_path or "/", base_url=args.base_url)
    except FileNotFoundError as exc:
        ap.error(str(exc))
    print(
        f"audit of {site.root} (base path {site.base_path}): {len(site.html_files)} pages, "
        f"{len(site.types)} page types"
    )
    print(
        format_table(
            ["page type", "pages", "checked in the browser as"],
            [[p, str(len(r)), r[0]] for p, r in site.types.items()],
        ),
        flush=True,
    )
    try:
        results = run_audit(
            args.output,
            base_path=args.base_path or "/",
            base_url=args.base_url,
            gates=gates,
            report_dir=args.report,
            budgets=args.budgets,
            jobs=args.jobs,
            lighthouse=args.lighthouse_pages.split(",") if args.lighthouse_pages else None,
            progress=progress,
        )
    except ValueError as exc:
        ap.error(str(exc))
    for r in results.values():
        print()
        print(r.render())
    print()
    print(summary(results))
    print(f"total {time.monotonic() - t0:.1f} s")
    report = Path(args.report)
    report.mkdir(parents=True, exist_ok=True)
    (report / "report.json").write_text(
        json.dumps({g: r.to_json() for g, r in results.items()}, ensure_ascii=False, indent=1), "utf-8"
    )
    return 0 if all(r.ok for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
