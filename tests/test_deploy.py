"""``yunzhan publish`` end to end against a real S3 server on loopback (moto's server, in this process).

The server is moto's WSGI app behind werkzeug, wrapped to log every request and, when asked, to fail the
object uploads after a number of them, as a dropped network would.
"""

from __future__ import annotations

import gzip
import json
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import SITE_TOML, MakeSite, jpeg_bytes
from yunzhan.cli import main
from yunzhan.config import load_config
from yunzhan.deploy.bucket import Bucket
from yunzhan.deploy.plan import MANIFEST, YEAR
from yunzhan.deploy.target import Credentials, PublishError, find_credentials, resolve_target
from yunzhan.deploy.upload import journal_path, publish

KEY_ID, SECRET = "yunzhan-test", "yunzhan-test-secret"


@dataclass
class Server:
    endpoint: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_puts_after: int | None = None
    puts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def object_puts(self) -> list[str]:
        """Paths of the objects uploaded (the manifest excluded), in the order the server took them."""
        return [p for m, p in self.requests if m == "PUT" and not p.endswith(MANIFEST) and p != "/expo"]

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Server]:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("YUNZHAN_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("YUNZHAN_ACCESS_KEY_SECRET", SECRET)
    moto_app = DomainDispatcherApplication(create_backend_app)
    server = Server(endpoint="")

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        with server.lock:
            server.requests.append((method, path))
            failing = method == "PUT" and server.fail_puts_after is not None and path.count("/") > 1
            if failing:
                server.puts += 1
                failing = server.puts > server.fail_puts_after  # type: ignore[operator]
        if failing:
            start_response("503 Service Unavailable", [("Content-Type", "application/xml")])
            return [b"<Error><Code>ServiceUnavailable</Code><Message>network dropped</Message></Error>"]
        return moto_app(environ, start_response)

    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server.endpoint = f"http://127.0.0.1:{httpd.server_port}"
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")).close()
    server.client().create_bucket(Bucket="expo")  # moto's state lives in this process: a fresh one per test
    server.requests.clear()
    try:
        yield server
    finally:
        httpd.shutdown()
        thread.join()


def deploy_toml(server: Server, extra: str = "") -> str:
    return (
        SITE_TOML
        + f'\n[deploy]\nprovider = "minio"\nbucket = "expo"\nendpoint = "{server.endpoint}"\n{extra}'
    )


def make_deploy_site(make_site: MakeSite, server: Server, extra: str = "") -> Path:
    files: dict[str, str | bytes] = {
        "content/zones/gusu.md": "---\nname: 姑苏展区\norder: 1\ncover: gusu.jpg\n---\n姑苏展区介绍。\n",
        "content/zones/gusu.jpg": jpeg_bytes((900, 600)),
    }
    return make_site(files, toml=deploy_toml(server, extra))


def bucket_keys(server: Server) -> dict[str, str]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket="expo")
    return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}


def run_publish(site: Path, *args: str) -> int:
    return main(["publish", "--site", str(site), *args])


def test_first_publish_then_nothing_then_one_edit_then_a_deletion(
    make_site: MakeSite, s3: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_deploy_site(make_site, s3)
    assert run_publish(site) == 0
    output = site / "output"
    built = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    keys = bucket_keys(s3)
    assert set(keys) == built | {MANIFEST}
    first = s3.object_puts()
    assert len(first) == len(built)
    kinds = [
        ("media/" in p or "/assets/" in p, p.endswith(".html"), p.endswith("/expo/index.html")) for p in first
    ]
    assert kinds.index((False, True, False)) > max(
        i for i, k in enumerate(kinds) if k[0]
    )  # images before pages
    assert first[-5:].count("/expo/index.html") == 1  # the last phase: home, 404, sitemap, feed, robots
    for path, body in ((output / "index.html", "index.html"), (output / "sitemap.xml", "sitemap.xml")):
        got = s3.client().get_object(Bucket="expo", Key=body)["Body"].read()
        assert got == path.read_bytes()
    assert "上传了" in capsys.readouterr().out

    s3.requests.clear()
    assert run_publish(site) == 0
    assert s3.object_puts() == []
    assert [m for m, _ in s3.requests if m != "GET"] == []  # not even the manifest is written again
    assert "上传了 0 个文件" in capsys.readouterr().out

    about = site / "content/pages/about.md"
    about.write_text(
        about.read_text(encoding="utf-8").replace("关于本展。", "关于本展，有改动。"), encoding="utf-8"
    )
    s3.requests.clear()
    assert run_publish(site) == 0
    changed = sorted(p.removeprefix("/expo/") for p in s3.object_puts())
    assert "about/index.html" in changed
    assert all(not p.startswith(("media/", "assets/")) for p in changed)
    assert "projects/rocket/index.html" not in changed
    assert len(changed) <= 6, changed  # the page, the search index and open data that hold its text

    (site / "content/pages/about.md").unlink()
    assert run_publish(site) == 0
    out = capsys.readouterr().out
    assert "about/index.html" in bucket_keys(s3)  # not deleted without --delete
    assert "加 --delete" in out
    s3.requests.clear()
    assert run_publish(site, "--delete") == 0
    methods = [m for m, _ in s3.requests]
    assert methods[-2:] == ["POST", "PUT"]  # delete after every upload, then the manifest without them
    assert "about/index.html" not in bucket_keys(s3)
    s3.client().put_object(Bucket="expo", Key="by-hand.pdf", Body=b"%PDF")
    assert run_publish(site, "--delete") == 0
    assert "by-hand.pdf" in bucket_keys(s3)  # what yunzhan did not upload is never deleted
    assert "另有 1 个不是 yunzhan 上传的文件，没有删除它们" in capsys.readouterr().out


def test_headers_per_kind_of_file(make_site: MakeSite, s3: Server) -> None:
    site = make_deploy_site(make_site, s3, "gzip = true\n")
    assert run_publish(site) == 0
    keys = bucket_keys(s3)
    assert not any(k.endswith((".gz", ".br")) for k in keys)  # twins go up in their originals' place
    client = s3.client()

    def head(key: str) -> dict[str, Any]:
        return client.head_object(Bucket="expo", Key=key)

    css = next(k for k in keys if k.startswith("assets/css/site."))
    image = next(k for k in keys if k.startswith("media/") and k.endswith(".webp"))
    shard = next(k for k in keys if k.startswith("search/s/"))
    expected = {
        "index.html": ("text/html; charset=utf-8", "no-cache"),
        "about/index.html": ("text/html; charset=utf-8", "no-cache"),
        "feed.xml": ("application/atom+xml; charset=utf-8", "no-cache"),
        "sitemap.xml": ("application/xml; charset=utf-8", "no-cache"),
        "search/index.html": ("text/html; charset=utf-8", "no-cache"),
        "search/meta.json": ("application/json; charset=utf-8", "no-cache"),
        css: ("text/css; charset=utf-8", YEAR),
        image: ("image/webp", YEAR),
        shard: ("application/json; charset=utf-8", YEAR),
    }
    for key, (content_type, cache) in expected.items():
        answer = head(key)
        assert (answer["ContentType"], answer["CacheControl"]) == (content_type, cache), key
    assert head("index.html")["ContentEncoding"] == "gzip"
    body = client.get_object(Bucket="expo", Key="index.html")["Body"].read()
    assert gzip.decompress(body) == (site / "output/index.html").read_bytes()
    assert "ContentEncoding" not in head(image)  # images are compressed already


def test_interrupted_publish_resumes_where_it_stopped(make_site: MakeSite, s3: Server) -> None:
    site = make_deploy_site(make_site, s3)
    assert main(["build", "--site", str(site), "-q"]) == 0
    target = resolve_target(load_config(site))
    credentials = find_credentials(target)
    cache = site / ".yunzhan-cache"
    s3.fail_puts_after = 5
    with pytest.raises(PublishError) as raised:
        publish(site / "output", cache, target, credentials, bucket=Bucket(target, credentials, retries=1))
    assert "ServiceUnavailable" in raised.value.problems[0].message
    sent = bucket_keys(s3)
    assert 1 <= len(sent) <= 5
    assert not any(k.endswith(".html") for k in sent)  # no page went up before the images it shows
    journalled = journal_path(cache, target).read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["key"] for line in journalled} == set(sent)

    s3.fail_puts_after = None
    s3.requests.clear()
    result = publish(site / "output", cache, target, credentials)
    total = sum(1 for p in (site / "output").rglob("*") if p.is_file())
    assert (result.resumed, result.uploaded) == (len(sent), total - len(sent))
    assert len(s3.object_puts()) == total - len(sent)
    assert not journal_path(cache, target).exists()
    assert len(bucket_keys(s3)) == total + 1


def test_large_files_go_up_in_parts_and_are_not_sent_again(
    make_site: MakeSite, s3: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("yunzhan.deploy.bucket.BIG", 2048)  # every file of 2 KB and more goes up in parts
    site = make_deploy_site(make_site, s3)
    assert run_publish(site) == 0
    keys = bucket_keys(s3)
    parts = [k for k, etag in keys.items() if "-" in etag]  # a multipart ETag is no MD5 of the bytes
    assert parts and all((site / "output" / k).stat().st_size >= 2048 for k in parts)
    assert (
        s3.client().get_object(Bucket="expo", Key=parts[0])["Body"].read()
        == (site / "output" / parts[0]).read_bytes()
    )
    head = s3.client().head_object(Bucket="expo", Key=parts[0])
    assert head["CacheControl"] in (YEAR, "no-cache")
    s3.requests.clear()
    assert run_publish(site, "--no-build") == 0
    assert s3.object_puts() == []  # the manifest remembers the ETag the bucket gave


def test_missing_and_wrong_keys_are_plain_chinese(
    make_site: MakeSite,
    s3: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    site = make_deploy_site(make_site, s3)
    monkeypatch.delenv("YUNZHAN_ACCESS_KEY_SECRET")
    assert run_publish(site, "--no-build") == 2
    err = capsys.readouterr().err
    assert "缺少 YUNZHAN_ACCESS_KEY_SECRET" in err and "Traceback" not in err

    monkeypatch.delenv("YUNZHAN_ACCESS_KEY_ID")
    keys = tmp_path / "keys.toml"
    monkeypatch.setenv("YUNZHAN_CREDENTIALS", str(keys))
    assert run_publish(site, "--no-build") == 2
    err = capsys.readouterr().err
    assert "找不到上传用的访问密钥" in err and str(keys) in err

    keys.write_text('[expo]\naccess_key_id = "nobody"\naccess_key_secret = "wrong"\n', encoding="utf-8")
    assert main(["build", "--site", str(site), "-q"]) == 0
    monkeypatch.setattr("moto.settings.INITIAL_NO_AUTH_ACTION_COUNT", 0)  # the server now checks keys
    assert run_publish(site, "--no-build") == 1
    err = capsys.readouterr().err
    assert "访问密钥 ID 不存在（InvalidAccessKeyId）" in err and str(keys) in err
    assert "Traceback" not in err


def test_wrong_key_and_missing_bucket_messages(make_site: MakeSite, s3: Server) -> None:
    site = make_deploy_site(make_site, s3)
    target = resolve_target(load_config(site))
    bucket = Bucket(target, Credentials(KEY_ID, SECRET, source="环境变量 YUNZHAN_ACCESS_KEY_ID"), retries=1)
    error = bucket._client_error(_client_error("SignatureDoesNotMatch"), "上传 index.html")
    assert "密钥不对" in error.problems[0].message and "YUNZHAN_ACCESS_KEY_ID" in error.problems[0].path
    forbidden = bucket._client_error(_client_error("PublicEndpointForbidden"), "上传 index.html")
    assert "内网地址" in forbidden.problems[0].hint and "internal.aliyuncs.com" in forbidden.problems[0].hint
    s3.client().delete_bucket(Bucket="expo")
    with pytest.raises(PublishError) as raised:
        bucket.listing()
    assert "找不到存储桶 expo" in raised.value.problems[0].message


def _client_error(code: str) -> Any:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "x"}}, "PutObject")


def test_target_settings_are_checked(make_site: MakeSite) -> None:
    with pytest.raises(PublishError) as raised:
        resolve_target(load_config(make_site()))
    assert raised.value.problems[0].message == "没有设置发布到哪里"
    site = make_site(toml=SITE_TOML + '\n[deploy]\nprovider = "aliyun"\nbucket = "expo"\n')
    with pytest.raises(PublishError) as raised:
        resolve_target(load_config(site))
    assert raised.value.problems[0].field == "deploy.region"
    site = make_site(
        toml=SITE_TOML.replace("https://example.org/", "https://example.org/expo/2024/")
        + '\n[deploy]\nprovider = "tencent"\nbucket = "expo-1250000000"\nregion = "ap-shanghai"\n'
    )
    target = resolve_target(load_config(site))
    assert target.endpoint == "https://cos.ap-shanghai.myqcloud.com"
    assert (target.addressing, target.prefix) == ("virtual", "expo/2024/")


def test_no_server_at_the_endpoint_is_one_sentence(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    site = make_site(toml=deploy_toml(Server(f"http://127.0.0.1:{port}")))
    assert main(["build", "--site", str(site), "-q"]) == 0
    target = resolve_target(load_config(site))
    with pytest.raises(PublishError) as raised:
        publish(
            site / "output",
            site / ".yunzhan-cache",
            target,
            Credentials(KEY_ID, SECRET),
            bucket=Bucket(target, Credentials(KEY_ID, SECRET), retries=1),
        )
    problem = raised.value.problems[0]
    assert problem.message == "列出存储桶里的文件时连不上存储服务" and "已上传的文件不会重传" in problem.hint


def test_ctrl_c_keeps_what_was_sent_and_the_next_run_goes_on(make_site: MakeSite, s3: Server) -> None:
    import _thread

    site = make_deploy_site(make_site, s3)
    assert main(["build", "--site", str(site), "-q"]) == 0
    target = resolve_target(load_config(site))
    credentials = find_credentials(target)
    cache = site / ".yunzhan-cache"

    class Interrupted(Bucket):
        calls = 0

        def put(self, item: Any) -> str:
            etag = super().put(item)
            Interrupted.calls += 1
            if Interrupted.calls == 3:
                _thread.interrupt_main()  # the editor presses Ctrl+C while uploads run
            return etag

    with pytest.raises(KeyboardInterrupt):
        publish(site / "output", cache, target, credentials, bucket=Interrupted(target, credentials))
    journalled = journal_path(cache, target).read_text(encoding="utf-8").splitlines()
    assert journalled and MANIFEST not in bucket_keys(s3)
    result = publish(site / "output", cache, target, credentials)
    total = sum(1 for p in (site / "output").rglob("*") if p.is_file())
    assert result.resumed == result.unchanged == len(journalled) >= 3  # what finished is not sent again
    assert result.uploaded == total - len(journalled) and len(bucket_keys(s3)) == total + 1
