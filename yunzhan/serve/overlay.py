"""What the preview adds to every HTML page it serves: the live-reload script and the error overlay.

The build output itself is never touched: the server puts ``live_snippet`` before ``</body>`` of each response.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

from yunzhan.errors import Problem

EVENTS_PATH = "/__yunzhan/events"
OVERLAY_TITLE = "内容有错误，网站暂未更新："
OVERLAY_MAX_PROBLEMS = 50

# Added before </body> of every HTML response. Reads the build it was served with from data-build, so a page
# loaded just before a rebuild still learns about it when the event stream connects (?since=). On "css" it
# fetches the page again and swaps in its stylesheet links (asset names may carry a content hash), each loaded
# before the old one is removed, so nothing flashes unstyled.
LIVE_SCRIPT = (
    '<script id="yunzhan-live" data-build="{build}">(function(){{'
    'var d=document,id=d.currentScript.dataset.build,O="yunzhan-overlay";'
    "function hide(){{var o=d.getElementById(O);if(o)o.remove()}}"
    'function focus(){{var b=d.querySelector("#"+O+" button");if(b)b.focus()}}'
    'd.addEventListener("click",function(e){{var t=e.target;if(t.closest&&t.closest("[data-yz-close]"))hide()}});'
    'd.addEventListener("keydown",function(e){{if(e.key==="Escape")hide()}});'
    'var es=new EventSource("{events}?since="+encodeURIComponent(id));'
    'es.addEventListener("reload",function(){{location.reload()}});'
    'es.addEventListener("css",function(){{hide();fetch(location.href,{{cache:"no-store"}})'
    ".then(function(r){{return r.text()}}).then(function(t){{"
    "var q=function(x){{return x.querySelectorAll('link[rel~=\"stylesheet\"]')}},"
    'n=q(new DOMParser().parseFromString(t,"text/html")),o=q(d);'
    "if(n.length!==o.length)return location.reload();"
    "o.forEach(function(l,i){{var c=d.importNode(n[i],true),"
    'u=new URL(n[i].getAttribute("href"),location.href);u.searchParams.set("yz",Date.now());c.href=u.href;'
    "c.onload=function(){{l.remove()}};c.onerror=function(){{c.remove()}};l.after(c)}})}})"
    ".catch(function(){{location.reload()}})}});"
    'es.addEventListener("errors",function(e){{hide();'
    'd.body.insertAdjacentHTML("beforeend",JSON.parse(e.data).html);focus()}});'
    "if(d.getElementById(O))focus()}})();</script>"
)

OVERLAY_STYLE = (
    "#yunzhan-overlay{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:flex-start;"
    "justify-content:center;padding:5vh 1rem;background:rgba(30,0,0,.55);text-align:left;"
    'font:16px/1.6 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;color:#1a1a1a}'
    "#yunzhan-overlay .yz-box{background:#fff;border-top:6px solid #b3261e;border-radius:8px;width:100%;"
    "max-width:52rem;max-height:88vh;overflow:auto;padding:1.25rem 1.5rem;box-shadow:0 8px 32px rgba(0,0,0,.35)}"
    "#yunzhan-overlay h2{margin:0 0 .75rem;font-size:1.25rem;color:#b3261e}"
    "#yunzhan-overlay ol{margin:0 0 1rem;padding-left:1.5rem}"
    "#yunzhan-overlay li{margin:.4rem 0;word-break:break-word}"
    "#yunzhan-overlay code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#fbeaea;"
    "padding:0 .25em;border-radius:3px}"
    "#yunzhan-overlay p{margin:0 0 1rem;color:#444}"
    "#yunzhan-overlay button{font:inherit;padding:.4rem 1.4rem;border:2px solid #b3261e;border-radius:6px;"
    "background:#b3261e;color:#fff;cursor:pointer}"
    "#yunzhan-overlay button:focus-visible{outline:3px solid #1a56db;outline-offset:2px}"
)


def overlay_html(problems: Iterable[Problem]) -> str:
    """The error overlay: an alert dialog listing each problem as ``path:line: field: message — hint``."""
    shown = list(problems)
    items = []
    for problem in shown[:OVERLAY_MAX_PROBLEMS]:
        text = problem.format()
        where = problem.path if problem.line is None else f"{problem.path}:{problem.line}"
        rest = text[len(where) :] if text.startswith(where) else ": " + text
        items.append(f"<li><code>{html.escape(where)}</code>{html.escape(rest)}</li>")
    if len(shown) > OVERLAY_MAX_PROBLEMS:
        items.append(f"<li>还有 {len(shown) - OVERLAY_MAX_PROBLEMS} 个问题，见运行预览的命令行窗口。</li>")
    return (
        '<div id="yunzhan-overlay" role="alertdialog" aria-modal="true" lang="zh-CN"'
        ' aria-labelledby="yunzhan-overlay-title" aria-describedby="yunzhan-overlay-list">'
        f"<style>{OVERLAY_STYLE}</style>"
        '<div class="yz-box">'
        f'<h2 id="yunzhan-overlay-title">{OVERLAY_TITLE}</h2>'
        f'<ol id="yunzhan-overlay-list">{"".join(items)}</ol>'
        "<p>改正后保存文件，这里会自动更新。关闭提示后看到的是上一次成功生成的页面。</p>"
        '<button type="button" data-yz-close>关闭</button>'
        "</div></div>"
    )


def live_snippet(build_id: str, problems: list[Problem]) -> bytes:
    overlay = overlay_html(problems) if problems else ""
    script = LIVE_SCRIPT.format(build=html.escape(build_id, quote=True), events=EVENTS_PATH)
    return (overlay + script).encode("utf-8")


def inject(page: bytes, snippet: bytes) -> bytes:
    """Put the snippet before the last ``</body>`` (or at the end of a page without one)."""
    at = page.lower().rfind(b"</body>")
    return page + snippet if at < 0 else page[:at] + snippet + page[at:]


def errors_payload(problems: list[Problem]) -> str:
    """The data of an ``errors`` event: each problem, and the overlay ready to insert."""
    return json.dumps(
        {
            "title": OVERLAY_TITLE,
            "problems": [{**p.as_dict(), "text": p.format()} for p in problems],
            "html": overlay_html(problems),
        },
        ensure_ascii=False,
    )
