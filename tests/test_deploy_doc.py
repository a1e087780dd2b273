"""docs/deploy.md: every code block is run here or says why not. Blocks marked ``<!-- run: NAME -->`` are run
against moto's S3 server and a local web server; ``<!-- not run here: why -->`` blocks need a reason."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import browser as browser_helpers
import pytest
import yaml

from tests import test_deploy
from tests.conftest import REPO, SITE_TOML, MakeSite
from tests.test_deploy import Server, bucket_keys, deploy_toml
from yunzhan import review
from yunzhan.cli import main
from yunzhan.config import ReviewSettings, load_config
from yunzhan.deploy.target import find_credentials, resolve_target
from yunzhan.model import Record

DOC = REPO / "docs" / "deploy.md"
BLOCK = re.compile(r"(?:<!-- (?P<mark>[^>]*?) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)\n```", re.S)
LIVE_URL = "https://expo.example.org/expo/2024/"
s3 = test_deploy.s3  # the loopback S3 server fixture (assigned, so that linters see it used)


def blocks() -> dict[str, str]:
    """Marked blocks by name; fails on a block with no mark or a 'not run here' without its reason."""
    found: dict[str, str] = {}
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        mark = match.group("mark") or ""
        if mark.startswith("run: "):
            found[mark[5:]] = match.group("body")
        else:
            assert re.fullmatch(r"not run here: .{10,}", mark), (
                f"unmarked block in deploy.md:\n{match.group(0)}"
            )
    return found


def commands(block: str) -> list[list[str]]:
    lines = [line for line in block.splitlines() if line.strip()]
    assert all(line.startswith("yunzhan ") for line in lines), lines
    return [shlex.split(line)[1:] for line in lines]


def test_every_block_is_marked_and_the_settings_blocks_are_right(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = blocks()
    assert set(found) == {"site.toml", "credentials", "editor", "delete", "check", "review", "signature"}
    site = make_site(toml=SITE_TOML + "\n" + found["site.toml"] + "\n" + found["review"])
    config = load_config(site)
    target = resolve_target(config)
    assert (target.endpoint, target.bucket, target.addressing) == (
        "https://s3.oss-cn-hangzhou.aliyuncs.com",
        "expo-2024",
        "virtual",
    )
    assert config.review == ReviewSettings(("初审", "复审", "终审"), ("12351",))
    keys = tmp_path / "credentials.toml"
    keys.write_text(found["credentials"], encoding="utf-8")
    for name in (
        "OSS_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "YUNZHAN_ACCESS_KEY_ID",
        "AWS_ACCESS_KEY_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YUNZHAN_CREDENTIALS", str(keys))
    assert find_credentials(target).key_id == "LTAI5t…"
    record = Record(
        "pages", "about", "content/pages/about.md", review=yaml.safe_load(found["signature"])["review"]
    )
    assert review.signatures(record, config.review) == (
        {"初审": "张三 2024-05-01", "复审": "李四 2024-05-03", "终审": "王五 2024-05-06"},
        [],
    )


def test_the_editors_commands_publish_delete_and_check(
    make_site: MakeSite, s3: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    found = blocks()
    site = make_site()
    (site / "output").mkdir()
    live, stop = browser_helpers.serve_directory(site / "output", "/expo/2024/")
    try:
        toml = deploy_toml(s3).replace('base_url = "https://example.org/"', f'base_url = "{live}"')
        (site / "site.toml").write_text(toml, encoding="utf-8")
        for args in commands(found["editor"]):
            assert main([*args, "--site", str(site)]) == 0, args
        assert "expo/2024/about/index.html" in bucket_keys(s3)  # the folder comes from base_url
        (site / "content/pages/about.md").unlink()
        for args in commands(found["delete"]):
            assert main([*args, "--site", str(site)]) == 0, args
        assert "expo/2024/about/index.html" not in bucket_keys(s3)
        capsys.readouterr()
        for args in commands(found["check"]):
            assert main([a.replace(LIVE_URL, live) for a in args]) == 0, args
        out = capsys.readouterr().out
        assert live in out and "错误" not in out.replace("0 个错误", "")
    finally:
        stop()
