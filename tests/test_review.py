"""review.py: 三审三校 — only records signed by every stage are published; build lists who still has to sign;
the preview shows waiting records with a banner."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path

import pytest

from tests.conftest import SITE_TOML, MakeSite
from yunzhan.cli import main
from yunzhan.serve import PreviewServer, ServeOptions

REVIEW = '\n[review]\nstages = ["初审", "复审", "终审"]\n'
SIGNED = "review:\n  初审: 张三 2024-05-01\n  复审: 李四 2024-05-03\n  终审: 王五 2024-5-6\n"


def _site(make_site: MakeSite, about_review: str = "review:\n  初审: 张三 2024-05-01\n") -> Path:
    files = {
        "content/projects/rocket.md": f"---\ntitle: 火箭模型\ncategory: 创新产品\nzone: gusu\n{SIGNED}---\n正文。\n",
        "content/zones/gusu.md": f"---\nname: 姑苏展区\norder: 1\n{SIGNED}---\n介绍。\n",
        "content/craftsmen/li-qijie.md": f"---\nname: 李奇杰\n{SIGNED}---\n感应热处理。\n",
        "content/pages/about.md": f"---\ntitle: 关于\n{about_review}---\n关于本展。\n",
    }
    return make_site(files, toml=SITE_TOML + REVIEW)


def test_only_signed_records_are_published_and_build_says_who_is_waited_for(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(make_site)
    assert main(["build", "--site", str(site)]) == 0
    err = capsys.readouterr().err
    assert (
        "content/pages/about.md:3: review: 警告：等待复审、终审签字，这次不发布（已签：初审：张三 2024-05-01）"
        in err
    )
    assert "复审审过后，在 review: 里加一行 复审: 姓名 日期" in err
    out = site / "output"
    assert (out / "projects/rocket/index.html").is_file() and not (out / "about").exists()
    assert "/about/" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert main(["build", "--site", str(site), "--strict", "-q"]) == 1  # the pre-publishing gate waits too

    (site / "content/pages/about.md").write_text(
        f"---\ntitle: 关于\n{SIGNED}---\n关于本展。\n", encoding="utf-8"
    )
    assert main(["build", "--site", str(site), "--strict", "-q"]) == 0
    assert (out / "about/index.html").is_file()


def test_a_misspelt_stage_or_signature_is_an_error(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(make_site, "review:\n  初审: 张三 2024-05-01\n  复核: 李四 2024-05-03\n  终审: 王五\n")
    assert main(["build", "--site", str(site), "-q"]) == 1
    err = capsys.readouterr().err
    assert "about.md:5: review: 没有“复核”这个审核环节 — site.toml 里的审核环节是：初审、复审、终审" in err
    assert "about.md:6: review.终审: “王五”不是“姓名 日期” — 例如 终审: 张三 2024-05-01" in err


def test_check_lists_the_waiting_records_too(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = _site(make_site)
    assert main(["check", "--site", str(site)]) == 0
    assert "about.md:3: review: 警告：等待复审、终审签字，这次不发布" in capsys.readouterr().err
    assert main(["check", "--site", str(site), "--strict"]) == 1


def test_without_stages_nothing_is_held_back(make_site: MakeSite) -> None:
    site = make_site(
        {"content/pages/about.md": "---\ntitle: 关于\nreview:\n  初审: 张三 2024-05-01\n---\n关于本展。\n"}
    )
    assert main(["build", "--site", str(site), "-q"]) == 0
    assert (site / "output/about/index.html").is_file()


def _get(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode("utf-8")
    finally:
        conn.close()


def test_the_preview_shows_waiting_records_with_a_banner(make_site: MakeSite) -> None:
    site = _site(make_site)
    builds = threading.Semaphore(0)
    server = PreviewServer(
        ServeOptions(site_dir=site, port=0, quiet=True), on_rebuild=lambda *a: builds.release()
    )
    server.start()
    try:
        assert builds.acquire(timeout=60)
        about = _get(server.port, "/about/")
        assert "关于本展" in about
        banner = about.split("<body", 1)[1].split(">", 1)[1]
        assert banner.startswith('<div id="yunzhan-review" role="status"')
        assert "这个条目还在等复审、终审签字，只在预览里显示。已签：初审：张三 2024-05-01。" in banner
        assert "yunzhan-review" not in _get(server.port, "/projects/rocket/")  # signed: no banner
        (site / "content/pages/about.md").write_text(
            f"---\ntitle: 关于\n{SIGNED}---\n关于本展。\n", encoding="utf-8"
        )
        assert builds.acquire(timeout=60)
        assert "yunzhan-review" not in _get(server.port, "/about/")  # signed now: the banner is gone
    finally:
        server.stop()
    assert not (site / "output").exists()
