"""``publish --check URL`` against a small site on a local HTTP server that the test starts with one fault."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yunzhan.cli import main
from yunzhan.deploy.doctor import diagnose
from yunzhan.deploy.plan import headers_for

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/assets/css/site.0123456789.css"><link rel="alternate" type="application/atom+xml" href="/feed.xml"><script src="/assets/js/site.0123456789.js" defer></script>
</head><body><a href="/zones/">展区</a><img src="/media/0a1b2c3d4e/gusu-480.webp" alt="姑苏展区" width="480" height="320">
<p>{text}</p></body></html>"""
FILES = {
    "index.html": PAGE.format(title="云观展", text="劳动创造幸福，匠心成就梦想。" * 60).encode(),
    "zones/index.html": PAGE.format(title="展区", text="姑苏展区。" * 100).encode(),
    "404.html": PAGE.format(title="找不到页面", text="这个网址没有页面。").encode(),
    "assets/css/site.0123456789.css": b"body{margin:0}" * 100,
    "feed.xml": b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"/>',  # atom+xml
    "assets/js/site.0123456789.js": b"document.documentElement.className='js';" * 40,
    "media/0a1b2c3d4e/gusu-480.webp": b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(200),
}
TYPE_NAMES = {"ContentType": "Content-Type", "CacheControl": "Cache-Control"}
OSS_MISSING = b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"


def make_handler(fault: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0].lstrip("/")
            rel = path + "index.html" if path == "" or path.endswith("/") else path
            if fault == "public-endpoint":
                return self.send(
                    400, b"<Error><Code>PublicEndpointForbidden</Code><EC>0048-00000401</EC></Error>", {}
                )
            if fault == "private":
                return self.send(403, b"<Error><Code>AccessDenied</Code></Error>", {})
            if rel.endswith("index.html") and fault == "no-index":
                return self.send(404, OSS_MISSING, {"Content-Type": "application/xml"})
            if rel.endswith("index.html") and fault == "no-subdir-index" and path:  # OSS: the error document
                return self.send(404, FILES["404.html"], self.headers_of("404.html"))
            if rel not in FILES:
                if fault == "no-error-document":
                    return self.send(404, OSS_MISSING, {"Content-Type": "application/xml"})
                if fault == "soft-404":
                    return self.send(200, FILES["index.html"], self.headers_of("index.html"))
                return self.send(404, FILES["404.html"], self.headers_of("404.html"))
            self.send(200, FILES[rel], self.headers_of(rel))

        def headers_of(self, rel: str) -> dict[str, str]:
            headers = {TYPE_NAMES[k]: v for k, v in headers_for(rel).items()}
            if fault == "octet-stream" and rel.endswith(".css"):
                headers["Content-Type"] = "application/octet-stream"
            if fault == "no-cache-headers":
                del headers["Cache-Control"]
            if fault in ("oss-default-domain", "cos-2024") and rel.endswith(".html"):
                headers["Content-Disposition"] = "attachment"
                name = "oss" if fault.startswith("oss") else "cos"
                headers[f"x-{name}-force-download"] = "true"
                headers["Server"] = "AliyunOSS" if name == "oss" else "tencent-cos"
            return headers

        def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            compressible = headers.get("Content-Type", "").startswith(("text/", "application/xml"))
            if (
                compressible
                and fault != "no-compression"
                and "gzip" in self.headers.get("Accept-Encoding", "")
            ):
                body = gzip.compress(body)
                headers = {**headers, "Content-Encoding": "gzip"}
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def site_with() -> Iterator[object]:
    servers: list[ThreadingHTTPServer] = []

    def start(fault: str) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fault))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_well_served_site_has_nothing_to_report(
    site_with: object, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site_with("")  # type: ignore[operator]
    assert diagnose(url) == []
    assert main(["publish", "--check", url]) == 0
    assert "没有发现问题" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("fault", "field", "severity", "words"),
    [
        ("oss-default-domain", "下载", "error", "绑定自定义域名（须已备案）"),
        ("cos-2024", "下载", "error", "自定义源站域名"),
        ("public-endpoint", "域名", "error", "2025 年 3 月 20 日以后开通的 OSS"),
        ("private", "权限", "error", "公共读"),
        ("no-index", "首页", "error", "索引文档"),
        ("no-subdir-index", "子目录", "error", "子目录首页"),
        ("no-error-document", "404", "error", "404.html"),
        ("soft-404", "404", "warning", "404.html"),
        ("octet-stream", "类型", "error", "Content-Type"),
        ("no-compression", "压缩", "warning", "gzip = true"),
        ("no-cache-headers", "缓存", "warning", "Cache-Control"),
    ],
)
def test_each_trap_is_named_with_its_fix(
    site_with: object, fault: str, field: str, severity: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site_with(fault)  # type: ignore[operator]
    findings = diagnose(url)
    assert {p.field for p in findings} == {field}, [p.format() for p in findings]
    assert all(p.severity == severity and words in p.hint + p.message for p in findings)
    assert main(["publish", "--check", url]) == (1 if severity == "error" else 0)
    out = capsys.readouterr().out
    assert words in out and "Traceback" not in out


def test_an_unreachable_site_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(""))
    port = server.server_port
    server.server_close()  # nothing listens there now
    assert main(["publish", "--check", f"http://127.0.0.1:{port}/"]) == 1
    assert "打不开网站（连接被拒绝，这个地址上没有网站）" in capsys.readouterr().out
