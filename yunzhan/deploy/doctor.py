"""``publish --check URL``: the deploy doctor. Fetches the live site as a phone would and names each hosting
trap it meets, with the console setting that fixes it.

The traps come from the two hosts editors use: OSS and COS serve HTML as a download on their default domains
(OSS always; COS for buckets created since 2024), OSS buckets of accounts opened since 20 March 2025 refuse the
default public endpoint (``PublicEndpointForbidden``), and both answer a folder URL (``/zones/``) or a missing
page with an XML error until the index and error documents are set. Then what any host can get wrong: wrong
MIME types, no 404 page, no compression, no caching headers.
"""

from __future__ import annotations

import dataclasses
import gzip
import re
import socket
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import brotli

from yunzhan.deploy.plan import TYPES, YEAR, is_immutable
from yunzhan.errors import ERROR, WARNING, Problem

USER_AGENT = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 MicroMessenger/8.0 yunzhan-doctor"
TIMEOUT = 15
FIXES = {  # what to change, per host, in the words of its console
    "attachment": {
        "aliyun": "OSS 的默认域名总是把网页当附件下载：OSS 控制台 → 存储桶 → Bucket 配置 → 域名管理 → 绑定自定义域名（须已备案），用它访问网站",
        "tencent": "2024 年以后创建的 COS 存储桶在默认域名上强制下载：COS 控制台 → 存储桶 → 域名与传输管理 → 自定义源站域名，绑定已备案的域名，用它访问网站",
        "": "让服务器不要对网页发送 Content-Disposition: attachment（对象存储一般要绑定自定义域名）",
    },
    "endpoint": {
        "aliyun": "2025 年 3 月 20 日以后开通的 OSS 不能再用默认外网域名访问：OSS 控制台 → 存储桶 → Bucket 配置 → 域名管理 → 绑定自定义域名（须已备案）",
    },
    "index": {
        "aliyun": "OSS 控制台 → 存储桶 → 数据管理 → 静态页面：默认首页填 index.html，开通“子目录首页”，文件 404 规则选 Index",
        "tencent": "COS 控制台 → 存储桶 → 基础配置 → 静态网站：开启，索引文档填 index.html",
        "": "在托管服务里把索引文档（默认首页）设为 index.html，并让子目录也用它（OSS 叫“子目录首页”）",
    },
    "404": {
        "aliyun": "OSS 控制台 → 存储桶 → 数据管理 → 静态页面：默认 404 页填 404.html（网站在子目录时填 子目录/404.html）",
        "tencent": "COS 控制台 → 存储桶 → 基础配置 → 静态网站：错误文档填 404.html，错误文档响应码选 404",
        "": "把错误文档（404 页面）设为 404.html，并让它以 404 状态返回",
    },
    "compression": {
        "aliyun": "CDN 控制台 → 域名管理 → 性能优化 → 智能压缩（和 Brotli 压缩）打开；没有 CDN 时在 site.toml 的 [deploy] 写 gzip = true 再发布",
        "tencent": "CDN 控制台 → 域名管理 → 缓存配置/智能压缩 打开；没有 CDN 时在 site.toml 的 [deploy] 写 gzip = true 再发布",
        "": "打开服务器或 CDN 的 gzip/Brotli 压缩；对象存储上可以在 site.toml 的 [deploy] 写 gzip = true 再发布",
    },
}
SAME_TYPES = {  # names browsers take alike
    "text/javascript": {"text/javascript", "application/javascript", "application/x-javascript"},
    "application/xml": {"application/xml", "text/xml", "application/atom+xml", "application/rss+xml"},
}
MIME_FIX = "用 yunzhan publish 重新上传（它按文件类型设置 Content-Type）；或在控制台的文件详情 → 设置 HTTP 头里改 Content-Type"
CACHE_FIX = "用 yunzhan publish 重新上传（它给每类文件设置 Cache-Control）；CDN 的缓存规则选“遵循源站”"


@dataclass(frozen=True)
class Answer:
    url: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def error_code(self) -> str:
        """The object store's XML error code (``NoSuchKey``, ``AccessDenied``, ``PublicEndpointForbidden``)."""
        match = re.search(rb"<Code>([A-Za-z]+)</Code>", self.body[:4000])
        return match.group(1).decode() if match else ""


Get = Callable[[str], "Answer"]
Add = Callable[..., None]
Fix = Callable[[str], str]


def fetch(url: str) -> Answer:
    """GET as a phone browser would (it accepts gzip and br); an HTTP error is an answer, not an exception."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, br"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = Answer(response.url, response.status, _headers(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        answer = Answer(url, exc.code, _headers(exc.headers), exc.read())
    return _decoded(answer)


def _decoded(answer: Answer) -> Answer:
    """The body as the browser sees it; the Content-Encoding header is kept to judge compression."""
    encoding = answer.header("content-encoding").strip().lower()
    try:
        if encoding == "gzip":
            return dataclasses.replace(answer, body=gzip.decompress(answer.body))
        if encoding == "br":
            return dataclasses.replace(answer, body=brotli.decompress(answer.body))
    except (OSError, EOFError, brotli.error):
        pass  # a broken body is judged as it came
    return answer


def _headers(headers: object) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}  # type: ignore[attr-defined]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = a.get("href") if tag in ("a", "link") else a.get("src") if tag in ("script", "img") else None
        if url and not url.startswith(("#", "mailto:", "tel:", "data:", "javascript:")):
            self.found.append((tag, url))


def host_of(answer: Answer) -> str:
    """``aliyun``, ``tencent`` or ``""``, from the answer's headers or the domain."""
    server = answer.header("server").lower()
    host = urlsplit(answer.url).hostname or ""
    if "aliyunoss" in server or answer.header("x-oss-request-id") or host.endswith("aliyuncs.com"):
        return "aliyun"
    if "cos" in server or answer.header("x-cos-request-id") or host.endswith("myqcloud.com"):
        return "tencent"
    return ""


def diagnose(url: str, fetcher: Get | None = None) -> list[Problem]:
    """Every trap met on the live site at ``url``; an empty list when none."""
    get = fetcher or fetch
    url = url if "://" in url else "https://" + url  # typed as the address bar shows it
    base = url if url.endswith("/") else url + "/"
    try:
        home = get(base)
    except (OSError, ValueError) as exc:
        return [
            Problem(
                base,
                None,
                None,
                f"打不开网站（{_network_words(exc)}）",
                "检查网址是否写对、域名是否已解析到存储桶或 CDN",
            )
        ]
    host = host_of(home)
    found: list[Problem] = []

    def add(kind: str, message: str, fix: str, severity: str = ERROR, where: str = base) -> None:
        found.append(Problem(where, None, kind, message, fix, severity))

    def fix(kind: str) -> str:
        return FIXES[kind].get(host) or FIXES[kind][""]

    if home.error_code == "PublicEndpointForbidden":
        add("域名", "存储桶拒绝通过默认外网域名访问（PublicEndpointForbidden）", FIXES["endpoint"]["aliyun"])
        return found
    if home.status == 403 or home.error_code == "AccessDenied":
        add("权限", f"首页打不开（{home.status} {home.error_code}）：存储桶不允许公开读取",
            "OSS：存储桶 → 权限控制 → 读写权限 改为“公共读”；COS：存储桶 → 权限管理 → 存储桶访问权限 改为“公有读私有写”")  # fmt: skip
        return found
    if home.status == 404 or home.error_code == "NoSuchKey":
        add(
            "首页",
            f"网址 {base} 没有显示首页（{home.status} {home.error_code}）：没有设置索引文档",
            fix("index"),
        )
        return found
    _check_page(home, "首页", add, fix)
    links = _Links()
    links.feed(home.body.decode("utf-8", "replace"))
    _check_folder(base, links.found, get, add, fix)
    _check_missing(base, get, add, fix)
    _check_assets(base, links.found, get, add)
    return found


def _network_words(exc: BaseException) -> str:
    """Why a site could not be reached, in words (urllib wraps the cause in URLError)."""
    cause = getattr(exc, "reason", exc)
    if isinstance(cause, ssl.SSLError):
        return f"HTTPS 证书有问题：{cause}"
    if isinstance(cause, socket.gaierror):
        return "找不到这个域名"
    if isinstance(cause, ConnectionRefusedError):
        return "连接被拒绝，这个地址上没有网站"
    if isinstance(cause, TimeoutError):
        return "等了太久没有回应"
    return str(cause)


def _check_page(page: Answer, name: str, add: Add, fix: Fix) -> None:
    disposition = page.header("content-disposition").lower()
    forced = page.header("x-oss-force-download") or page.header("x-cos-force-download")
    if "attachment" in disposition or forced.lower() == "true":
        add(
            "下载",
            f"{name}被当作附件下载，浏览器不显示它（Content-Disposition: {disposition or '无'}）",
            fix("attachment"),
            where=page.url,
        )
    kind = page.header("content-type").split(";")[0].strip().lower()
    if kind != "text/html":
        add("类型", f"{name}的 Content-Type 是“{kind or '无'}”，应当是 text/html", MIME_FIX, where=page.url)
    if not page.header("content-encoding") and len(page.body) > 1024:
        add(
            "压缩",
            f"{name}没有压缩传输（{len(page.body) // 1024} KB），手机上打开会慢",
            fix("compression"),
            WARNING,
            page.url,
        )
    if not page.header("cache-control"):
        add(
            "缓存",
            f"{name}没有 Cache-Control，CDN 和浏览器可能长时间显示旧网页",
            CACHE_FIX,
            WARNING,
            page.url,
        )


def _check_folder(base: str, links: list[tuple[str, str]], get: Get, add: Add, fix: Fix) -> None:
    """A folder URL (``/zones/``) must show that folder's index.html, as every page link of the site is one."""
    for tag, href in links:
        url = urljoin(base, href)
        if tag == "a" and url.startswith(base) and url != base and url.endswith("/"):
            answer = get(url)
            if answer.status >= 400 or answer.error_code:
                add(
                    "子目录",
                    f"栏目页 {url} 打不开（{answer.status} {answer.error_code}）：子目录的首页没有生效",
                    fix("index"),
                    where=url,
                )
            return


def _check_missing(base: str, get: Get, add: Add, fix: Fix) -> None:
    url = f"{base}yunzhan-check-{uuid.uuid4().hex[:8]}/"
    answer = get(url)
    if answer.status == 200:
        add("404", "不存在的网址也返回 200，搜索引擎会收录错误页面", fix("404"), WARNING, url)
    elif answer.error_code or b"<html" not in answer.body[:2000].lower():
        add(
            "404",
            f"不存在的网址显示的是存储服务的错误信息（{answer.status} {answer.error_code}），不是网站的 404 页面",
            fix("404"),
            where=url,
        )


def _check_assets(base: str, links: list[tuple[str, str]], get: Get, add: Add) -> None:
    """One stylesheet, one script and one image of the home page: their types and caching."""
    seen: set[str] = set()
    for _tag, href in links:
        url = urljoin(base, href)
        ext = "." + urlsplit(url).path.rsplit(".", 1)[-1].lower()
        if not url.startswith(base) or ext not in TYPES or ext == ".html" or ext in seen:
            continue
        seen.add(ext)
        answer = get(url)
        want = TYPES[ext].split(";")[0]
        got = answer.header("content-type").split(";")[0].strip().lower()
        if answer.status == 200 and got not in SAME_TYPES.get(want, {want}):
            add("类型", f"{ext} 文件的 Content-Type 是“{got or '无'}”，应当是 {want}", MIME_FIX, where=url)
        rel = url[len(base) :]
        if (
            answer.status == 200
            and is_immutable(rel)
            and "max-age=31536000" not in answer.header("cache-control")
        ):
            add("缓存", f"带指纹的文件没有一年的缓存（应为 {YEAR}），回访会重复下载", CACHE_FIX, WARNING, url)


def format_report(url: str, findings: list[Problem]) -> str:
    if not findings:
        return f"{url}：没有发现问题（首页、栏目页、404 页面、文件类型、压缩和缓存都正常）。"
    errors = sum(p.is_error for p in findings)
    lines = [p.format() for p in findings]
    lines.append(f"发现 {errors} 个错误、{len(findings) - errors} 个警告；每条“—”后面是在控制台里的改法。")
    return "\n".join(lines)
