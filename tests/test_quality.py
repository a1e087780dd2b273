"""Quality gates (scripts/audit.py) on the demo site, built twice: at its own base_url and under a sub-path.

Each gate is its own test so that a failure reads as "links: projects/x/index.html: <img src> … is broken".
The browser gates share one audit run per build (session fixtures), so the pages are loaded once.
Nothing here skips: a missing java, node_modules or Chromium fails with "run `bash scripts/setup.sh`".

The last tests run the audit on two small hand-written sites — one clean, one with one mistake of each
kind — to prove that every gate passes good pages and catches bad ones.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import browser as browser_helpers
import pytest

# pytest fixtures from tests/browser.py (assigned, not imported, so that linters see them used)
browser, open_page, served_dir = (
    browser_helpers.browser,
    browser_helpers.open_page,
    browser_helpers.served_dir,
)

ROOT = Path(__file__).resolve().parents[1]
SUBPATH_BASE_URL = "https://example.org/expo/2024/"


def _load_audit():
    spec = importlib.util.spec_from_file_location("yunzhan_audit", ROOT / "scripts" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("yunzhan_audit", module)
    spec.loader.exec_module(module)
    return sys.modules["yunzhan_audit"]


audit = sys.modules.get("yunzhan_audit") or _load_audit()


def require_tools(*, java: bool = False, npm: tuple[str, ...] = (), chromium: bool = False) -> None:
    """Fail (never skip) with the setup command when a tool is missing."""
    missing = []
    if java and not shutil.which("java"):
        missing.append("java (default-jre-headless)")
    for package in npm:
        if not (audit.NODE_MODULES / package).is_dir():
            missing.append(f"scripts/node_modules/{package} (npm ci --prefix scripts)")
    if "lighthouse" in npm and not shutil.which("node"):
        missing.append("node (nodejs)")
    if chromium:
        problem = audit.browser_problem()
        if problem:
            missing.append(problem)
    if missing:
        pytest.fail(
            "missing: " + "; ".join(missing) + " — run `bash scripts/setup.sh` (or `bash .ci/run`) first",
            pytrace=False,
        )


def check(result) -> None:
    """Assert a gate passed, printing its table either way (visible with -rA / on failure)."""
    print(result.render())
    if not result.ok:
        pytest.fail(result.render(max_failures=60), pytrace=False)


# --------------------------------------------------------------------------------------- the demo site


def _site_base_url() -> str | None:
    path = ROOT / "site.toml"  # read only
    if not path.is_file():
        return None
    with path.open("rb") as f:
        return tomllib.load(f).get("base_url")


def _build(site: Path, output: Path, *extra: str) -> Path:
    build_py = ROOT / "build.py"
    if not build_py.is_file():
        pytest.fail("build.py is missing: the quality gates need the demo site built", pytrace=False)
    cmd = [sys.executable, str(build_py), "--site", str(site), "--output", str(output), *extra]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    if proc.returncode != 0 or not (output / "index.html").is_file():
        pytest.fail(
            f"building the demo site failed ({' '.join(cmd[1:])}), exit {proc.returncode}:\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}",
            pytrace=False,
        )
    print(f"built {output} in {time.monotonic() - t0:.1f} s")
    return output


@pytest.fixture(scope="session")
def demo_output(demo_site, tmp_path_factory) -> Path:
    return _build(demo_site, tmp_path_factory.mktemp("demo-output") / "output")


@pytest.fixture(scope="session")
def subpath_output(demo_site, tmp_path_factory) -> Path:
    return _build(demo_site, tmp_path_factory.mktemp("subpath") / "output", "--base-url", SUBPATH_BASE_URL)


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory) -> Path:
    """Reports and screenshots go to a temporary folder (printed); `scripts/audit.py --report DIR` keeps them."""
    folder = tmp_path_factory.mktemp("audit-report")
    print(f"audit reports in {folder}")
    return folder


@pytest.fixture(scope="session")
def demo_audit(demo_output, report_dir):
    """validity + the browser gates, in one run (vnu works while the browser does)."""
    require_tools(java=True, npm=("vnu-jar", "axe-core"), chromium=True)
    return audit.run_audit(
        demo_output,
        base_url=_site_base_url(),
        report_dir=report_dir,
        gates=["validity", "a11y", "keyboard", "browser", "weight", "screenshots"],
    )


@pytest.fixture(scope="session")
def subpath_audit(subpath_output, report_dir):
    require_tools(chromium=True)
    return audit.run_audit(
        subpath_output,
        base_url=SUBPATH_BASE_URL,
        report_dir=report_dir / "subpath",
        gates=["links", "browser"],
    )


def test_page_types_found(demo_output):
    site = audit.Site(demo_output)
    types = site.types
    print(
        audit.format_table(
            ["page type", "pages", "first"], [[p, str(len(r)), r[0]] for p, r in types.items()]
        )
    )
    expected = [
        "/",
        "/404.html",
        "/zones/",
        "/zones/*/",
        "/projects/",
        "/projects/*/",
        "/craftsmen/",
        "/craftsmen/*/",
        "/activities/",
        "/activities/*/",
        "/about/",
    ]
    missing = [p for p in expected if p not in types]
    assert not missing, f"page types missing from the demo output: {missing}; found {list(types)}"
    assert any(p in types for p in ("/tags/", "/industries/", "/districts/")), "no taxonomy page"
    assert any(p in types for p in ("/tags/*/", "/industries/*/", "/districts/*/")), "no term page"
    assert site.gallery_page, "no page of the demo site has a gallery"


def test_links(demo_output):
    check(audit.run_audit(demo_output, base_url=_site_base_url(), gates=["links"], report_dir=None)["links"])


@pytest.mark.slow
def test_html_validity(demo_audit):
    check(demo_audit["validity"])


@pytest.mark.browser
def test_accessibility_axe(demo_audit):
    check(demo_audit["a11y"])


@pytest.mark.browser
def test_keyboard_walk(demo_audit):
    check(demo_audit["keyboard"])


@pytest.mark.browser
def test_real_browser(demo_audit):
    check(demo_audit["browser"])


@pytest.mark.browser
def test_weight_budgets(demo_audit):
    check(demo_audit["weight"])


@pytest.mark.browser
def test_screenshots(demo_audit, report_dir):
    check(demo_audit["screenshots"])
    shots = sorted((report_dir / "screenshots").glob("*.jpg"))
    assert shots and all(p.stat().st_size > 2000 for p in shots)


def test_subpath_links(subpath_output):
    site = audit.Site(subpath_output, base_url=SUBPATH_BASE_URL)
    check(
        audit.run_audit(subpath_output, base_url=SUBPATH_BASE_URL, gates=["links"], report_dir=None)["links"]
    )
    home = (site.root / "index.html").read_text("utf-8")
    assert 'href="/expo/2024/' in home, "links of the sub-path build do not start with /expo/2024/"


@pytest.mark.browser
def test_subpath_real_browser(subpath_audit):
    check(subpath_audit["browser"])


@pytest.mark.browser
@pytest.mark.slow
def test_lighthouse(demo_output, report_dir):
    require_tools(npm=("lighthouse",), chromium=True)
    check(
        audit.run_audit(demo_output, base_url=_site_base_url(), gates=["lighthouse"], report_dir=report_dir)[
            "lighthouse"
        ]
    )


# --------------------------------------------------------------------------------------- the audit's own tests


PNG_CACHE: dict[tuple[int, int, str], bytes] = {}


def _png(w: int, h: int, colour: str) -> bytes:
    from PIL import Image  # Pillow is a dependency of yunzhan

    key = (w, h, colour)
    if key not in PNG_CACHE:
        import io

        buf = io.BytesIO()
        Image.new("RGB", (w, h), colour).save(buf, "PNG")
        PNG_CACHE[key] = buf.getvalue()
    return PNG_CACHE[key]


FIXTURE_CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#1a1a1a;background:#fff}
img{max-width:100%;height:auto;display:block}
a{color:#8a1519}
a:focus-visible,button:focus-visible{outline:3px solid #1f5fbf;outline-offset:2px}
.skip{position:absolute;left:8px;top:-48px;background:#fff;padding:8px}
.skip:focus{top:8px}
header nav ul{display:flex;flex-wrap:wrap;gap:12px;list-style:none;padding:0;margin:0}
main,header,footer{padding:12px}
.gallery{display:grid;grid-template-columns:repeat(2,1fr);gap:8px;list-style:none;padding:0}
dialog{max-width:90vw;border:0;padding:8px}
dialog::backdrop{background:rgba(0,0,0,.8)}
"""

FIXTURE_JS = """
(function () {
  var links = document.querySelectorAll('.gallery a[data-lb]');
  if (!links.length) return;
  var dlg = document.createElement('dialog');
  dlg.setAttribute('aria-label', '大图');
  dlg.innerHTML = '<img alt=""><p></p><button type="button">关闭</button>';
  document.body.appendChild(dlg);
  dlg.querySelector('button').addEventListener('click', function () { dlg.close(); });
  links.forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      var img = a.querySelector('img');
      dlg.querySelector('img').src = a.href;
      dlg.querySelector('img').alt = img ? img.alt : '';
      dlg.querySelector('p').textContent = img ? img.alt : '';
      dlg.showModal();
    });
  });
})();
"""


def write_fixture_site(root: Path, base: str = "/", *, bad: bool = False) -> Path:
    """A tiny site shaped like yunzhan's output. bad=True adds one mistake per gate."""

    def u(path: str) -> str:
        return base + path.lstrip("/")

    def page(rel: str, title: str, body: str, *, head: str = "", scripts: str = "") -> None:
        menu = "".join(
            f'<li><a href="{u(p)}">{t}</a></li>'
            for p, t in (("/", "首页"), ("/projects/", "创新成果"), ("/about/", "关于"))
        )
        text = f"""<!doctype html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · 测试展</title>
            <meta name="description" content="{title}：测试用的展览页面。">
            <link rel="icon" href="{u("/static/icon.svg")}" type="image/svg+xml">
            <link rel="stylesheet" href="{u("/static/site.css")}">{head}
            </head>
            <body>
            <a class="skip" href="#main">跳到正文</a>
            <header id="top"><nav aria-label="主导航"><ul>{menu}</ul></nav></header>
            <main id="main" tabindex="-1">
            <h1>{title}</h1>
            {body}
            </main>
            <footer><p>测试展 · <a href="#top">返回顶部</a></p></footer>{scripts}
            </body>
            </html>
            """
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")

    static = root / "static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "site.css").write_text(FIXTURE_CSS + (".bad-focus:focus{outline:none}" if bad else ""), "utf-8")
    (static / "site.js").write_text(FIXTURE_JS, "utf-8")
    (static / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
        '<rect width="8" height="8" fill="#8a1519"/></svg>',
        "utf-8",
    )
    for name, (w, h, c) in {
        "hero-480.png": (480, 270, "#c33"),
        "hero-960.png": (960, 540, "#c33"),
        "a-480.png": (480, 360, "#36c"),
        "a-1600.png": (1600, 1200, "#36c"),
        "b-480.png": (480, 360, "#3a6"),
        "b-1600.png": (1600, 1200, "#3a6"),
    }.items():
        (static / name).write_bytes(_png(w, h, c))

    hero = (
        f'<img src="{u("/static/hero-480.png")}" srcset="{u("/static/hero-480.png")} 480w, '
        f'{u("/static/hero-960.png")} 960w" sizes="100vw" width="480" height="270" alt="展厅全景"'
        ' fetchpriority="high">'
    )
    cards = "".join(
        f'<li><a href="{u(f"/projects/{s}/")}">{t}</a></li>'
        for s, t in (("alpha", "数控机床改造"), ("beta", "苏绣新针法"))
    )
    page(
        "index.html",
        "测试展",
        f"{hero}<p>欢迎来到线上展厅。</p><ul>{cards}</ul>"
        f'<p><a href="{u("/tags/")}">标签</a> · <a href="{u("/about/#contact")}">联系我们</a></p>',
    )
    page(
        "projects/index.html",
        "创新成果",
        f'<ul>{cards}</ul><nav aria-label="分页"><a href="{u("/projects/page/2/")}">下一页</a></nav>',
    )
    page(
        "projects/page/2/index.html",
        "创新成果（第 2 页）",
        f'<ul><li><a href="{u("/projects/alpha/")}">数控机床改造</a></li></ul>',
    )
    gallery = "".join(
        f'<li><figure><a class="shot-link" data-lb="{i}" href="{u(f"/static/{n}-1600.png")}">'
        f'<img src="{u(f"/static/{n}-480.png")}" width="480" height="360" loading="lazy" alt="{alt}">'
        f"</a><figcaption>{alt}</figcaption></figure></li>"
        for i, (n, alt) in enumerate((("a", "机床全景"), ("b", "操作细节")), 1)
    )
    page(
        "projects/alpha/index.html",
        "数控机床改造",
        f'<p>项目介绍。<a href="{u("/tags/jixie/")}">机械</a></p><h2>图集</h2><ul class="gallery">{gallery}</ul>',
        scripts=f'<script src="{u("/static/site.js")}" defer></script>',
    )
    page(
        "projects/beta/index.html",
        "苏绣新针法",
        f'<p>针法。<a href="{u("/projects/alpha/#main")}">上一个</a></p>',
    )
    page("about/index.html", "关于", '<p id="contact">电话：0512-00000000</p>')
    page("tags/index.html", "标签", f'<ul><li><a href="{u("/tags/jixie/")}">机械</a></li></ul>')
    page(
        "tags/jixie/index.html",
        "机械",
        f'<ul><li><a href="{u("/projects/alpha/")}">数控机床改造</a></li></ul>',
    )
    page("404.html", "找不到页面", f'<p>页面不存在。<a href="{u("/")}">回首页</a></p>')
    if bad:
        page(
            "about/index.html",
            "关于",
            f"""
            <p id="contact">电话</p>
            <p><a href="{u("/projects/gamma/")}">不存在的项目</a> <a href="{u("/projects/alpha/#nope")}">坏锚点</a>
            <a href="/elsewhere/">根路径链接</a> <a class="bad-focus" href="{u("/")}">无焦点样式</a></p>
            <img src="{u("/static/a-480.png")}" srcset="{u("/static/a-480.png")} 480w, {u("/static/missing.png")} 960w"
                 sizes="100vw" width="480" height="360">
            <div style="width:600px">太宽</div>
            <img src="https://cdn.example.com/x.png" alt="外部图片" width="10" height="10">
            <p><span><div>无效嵌套</div></span></p>
            <script>undefinedFunction();</script>
            """,
        )
    return root


@pytest.fixture(scope="module")
def fixture_sites(tmp_path_factory) -> tuple[Path, Path]:
    good = write_fixture_site(tmp_path_factory.mktemp("good") / "out", "/expo/2024/")
    bad = write_fixture_site(tmp_path_factory.mktemp("bad") / "out", "/expo/2024/", bad=True)
    return good, bad


def test_page_patterns():
    assert audit.page_pattern("index.html") == "/"
    assert audit.page_pattern("404.html") == "/404.html"
    assert audit.page_pattern("projects/index.html") == "/projects/"
    assert audit.page_pattern("projects/rocket/index.html") == "/projects/*/"
    assert audit.page_pattern("projects/page/2/index.html") == "/projects/page/*/"
    assert audit.page_pattern("tags/ji-xie/page/3/index.html") == "/tags/*/page/*/"


def test_static_server_serves_base_path_gzip_and_404(tmp_path):
    import gzip
    import urllib.error
    import urllib.request

    site = write_fixture_site(tmp_path / "out", "/expo/2024/")
    url, stop = audit.serve_directory(site, "/expo/2024/")
    try:
        req = urllib.request.Request(url + "projects/alpha/", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.headers["Content-Encoding"] == "gzip"
            assert "数控机床改造" in gzip.decompress(r.read()).decode()
        with urllib.request.urlopen(url + "projects", timeout=5) as r:  # redirected to the slash
            assert r.url.endswith("/expo/2024/projects/")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "nothing/", timeout=5)
        assert err.value.code == 404 and "找不到页面" in err.value.read().decode()
        err.value.close()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url.replace("/expo/2024/", "/other/"), timeout=5)
        assert err.value.code == 404
        err.value.close()
    finally:
        stop()


def test_missing_tools_fail_loudly(tmp_path, monkeypatch):
    site = write_fixture_site(tmp_path / "out")
    monkeypatch.setattr(audit, "VNU_JAR", tmp_path / "no-vnu.jar")
    monkeypatch.setattr(audit, "LIGHTHOUSE_CLI", tmp_path / "no-lighthouse.js")
    monkeypatch.setattr(audit, "find_chromium", lambda: None)
    results = audit.run_audit(site, gates=["validity", "a11y", "browser", "lighthouse"], report_dir=tmp_path)
    for gate, r in results.items():
        assert not r.ok and "scripts/setup.sh" in r.failures[0], (gate, r.failures)


@pytest.mark.browser
def test_browser_helpers(tmp_path, open_page, served_dir):
    site = write_fixture_site(tmp_path / "out", "/expo/2024/", bad=True)
    url = served_dir(site, "/expo/2024/")
    page = open_page(url + "about/", "narrow")
    assert page.evaluate("document.documentElement.scrollWidth") > 320
    assert page.other_origins == ["https://cdn.example.com/x.png"]
    assert any("undefinedFunction" in e for e in page.page_errors)
    assert any("missing.png" in r for r in page.failed_requests)
    page = open_page(url + "projects/alpha/", "desktop")
    assert page.title() == "数控机床改造 · 测试展" and not page.console_errors and not page.failed_requests


@pytest.mark.browser
def test_audit_catches_each_kind_of_mistake(fixture_sites, tmp_path):
    _, bad = fixture_sites
    require_tools(java=True, npm=("vnu-jar", "axe-core"), chromium=True)
    budgets = tmp_path / "budgets.toml"
    budgets.write_text(
        "[default]\nhtml_css_js_gzip_kb = 60\nabove_fold_images_kb = 250\n"
        '[pages."/about/"]\nhtml_css_js_gzip_kb = 1\n',
        "utf-8",
    )
    results = audit.run_audit(
        bad,
        base_path="/expo/2024/",
        report_dir=tmp_path,
        budgets=budgets,
        gates=["validity", "links", "a11y", "keyboard", "browser", "weight", "screenshots"],
    )
    text = {g: "\n".join(r.failures) for g, r in results.items()}
    for r in results.values():
        print(r.render())
    expectations = {
        "links": [
            "/expo/2024/projects/gamma/",
            'id="nope"',
            "以外",
            "missing.png",
            "从别的网站加载",
        ],
        "validity": ["about/index.html"],
        "a11y": ["image-alt"],
        "keyboard": ["no visible focus indicator", "无焦点样式"],
        "browser": [
            "scrolls horizontally at 320 px",
            "request to another origin (@320px, @390px, @1280px): https://cdn.example.com/x.png",
            "uncaught exception",
            "undefinedFunction",
            "HTTP 404 (@320px, @390px, @1280px): /expo/2024/static/missing.png",
        ],
        "weight": ["/about/", "> budget 1.0 kB"],
    }
    for gate, needles in expectations.items():
        for needle in needles:
            assert needle in text[gate], f"{gate} did not report {needle!r}:\n{text[gate]}"
    # Every page but /about/ is clean: no gate may blame them, and the gallery works from the keyboard.
    blamed = {f.split(" (")[0].split(":")[0] for r in results.values() for f in r.failures}
    assert blamed == {"/about/", "about/index.html"}, f"clean pages blamed: {blamed}"
    rows = {(r[0], r[1]): r for r in results["keyboard"].rows}
    assert rows["/projects/*/", "1280×800"][-1] == "Enter opens, Esc closes, focus returns"
    assert rows["/projects/*/", "390×844"][-1] == "Enter opens, Esc closes, focus returns"
    assert len(list((tmp_path / "screenshots").glob("*.jpg"))) == 9 * 8  # 320, 390, 1280 × light, dark, care
