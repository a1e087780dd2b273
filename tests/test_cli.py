"""The command line as an editor meets it: exit codes, plain messages, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, MakeSite
from yunzhan.cli import main


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_help_explains_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "build" in result.stdout and "生成网站" in result.stdout
    build_help = _run("build", "--help").stdout
    for option in ("--site", "--output", "--base-url", "--drafts", "--strict", "--quiet"):
        assert option in build_help


def test_build_in_current_folder_exit_0(make_site: MakeSite) -> None:
    site = make_site()
    result = _run(cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "output/index.html").is_file()
    assert "已生成" in result.stdout


def test_content_errors_exit_1_listing_all_without_traceback(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/a.md": "---\ntitle: a\ncategory: 创新项目\nzone: nowhere\n---\n",
            "content/projects/b.md": "---\ntitle: b\ncategory: 创新项目\nzone: gusu\ndate: 2024-99-01\n---\n",
        }
    )
    result = _run("--site", str(site))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "content/projects/a.md:4: zone:" in result.stderr
    assert "content/projects/b.md:5: date:" in result.stderr
    assert not (site / "output").exists()


def test_bad_site_toml_exit_2(make_site: MakeSite) -> None:
    site = make_site()
    (site / "site.toml").write_text(
        'title = "x"\nbase_url = "https://e.org/"\ncolour = "red"\n', encoding="utf-8"
    )
    result = _run("--site", str(site))
    assert result.returncode == 2
    assert "site.toml:3: colour: 未知的设置项" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exit_2() -> None:
    result = _run("build", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_quiet_prints_nothing_on_success(make_site: MakeSite) -> None:
    result = _run("--site", str(make_site()), "-q")
    assert result.returncode == 0 and result.stdout == ""


def test_check_finds_problems_and_exits_1(make_site: MakeSite) -> None:
    site = make_site({"content/pages/about.md": "---\ntitle: 關於\n---\n\n當(dāng)前的展覽\n"})
    result = _run("check", "--site", str(site))
    assert result.returncode == 1, result.stderr
    assert "content/pages/about.md:5:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "output").exists()  # check writes nothing


def test_check_json_format(make_site: MakeSite) -> None:
    import json

    result = _run("check", "--site", str(make_site()), "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["ok"] is True


def test_new_creates_a_record_that_the_build_flags_until_filled(make_site: MakeSite) -> None:
    site = make_site()
    result = _run("new", "projects", "感应热处理", "--zone", "gusu", "--site", str(site))
    assert result.returncode == 0, result.stderr
    created = site / "content/projects/gan-ying-re-chu-li.md"
    assert created.is_file() and "zone: gusu" in created.read_text(encoding="utf-8")
    build = _run("--site", str(site))
    assert build.returncode == 1 and "content/projects/gan-ying-re-chu-li.md" in build.stderr
    again = _run("new", "projects", "感应热处理", "--site", str(site))
    assert again.returncode == 2 and "Traceback" not in again.stderr


def _pages_built(printed: str) -> int:
    match = re.search(r"(?:已生成 |已是最新（)(\d+) 个页面", printed)
    assert match, printed
    return int(match.group(1))


def test_page_count_after_a_touch_is_the_cold_count(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rebuild that keeps most pages (and the sitemap, search shards ...) counts pages, not kept files."""
    site = make_site()
    assert main(["build", "--site", str(site)]) == 0
    cold = _pages_built(capsys.readouterr().out)
    for path in (site / "content").rglob("*.md"):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert main(["build", "--site", str(site)]) == 0
    touched = _pages_built(capsys.readouterr().out)
    assert touched == cold
    (site / "content/projects/rocket.md").write_text(
        (site / "content/projects/rocket.md").read_text(encoding="utf-8").replace("技术攻关", "技术难关"),
        encoding="utf-8",
    )
    assert main(["build", "--site", str(site), "--compress"]) == 0
    assert main(["build", "--site", str(site), "--compress"]) == 0
    assert _pages_built(capsys.readouterr().out.splitlines()[-1]) == cold


@pytest.mark.parametrize("opened", [True, False])
def test_serve_open_opens_the_preview_once_it_answers(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], opened: bool
) -> None:
    import importlib
    import types
    import urllib.request
    import webbrowser

    serve_run = importlib.import_module("yunzhan.serve.run")  # the module (the package exports its ``run``)

    site = make_site()
    answers: list[tuple[str, int]] = []

    def fake_open(url: str, *args: object, **kwargs: object) -> bool:
        with urllib.request.urlopen(url, timeout=10) as response:  # the server is up before the browser opens
            answers.append((url, response.status))
        return opened

    def ctrl_c(seconds: float) -> None:
        # Ctrl+C while serve waits, raised here: _thread.interrupt_main does nothing where SIGINT is ignored, as in
        # a suite started in the background (a real Ctrl+C reaches a real serve process in test_serve_run)
        raise KeyboardInterrupt

    monkeypatch.setattr(webbrowser, "open", fake_open)
    monkeypatch.setattr(serve_run, "time", types.SimpleNamespace(sleep=ctrl_c))
    assert main(["serve", "--site", str(site), "--port", "0", "--open", "-q"]) == 0
    printed = capsys.readouterr().out
    assert len(answers) == 1 and answers[0][1] == 200
    assert answers[0][0].startswith("http://127.0.0.1:")
    hint = f"没能自动打开浏览器：请自己打开浏览器，在地址栏输入 {answers[0][0]}"
    assert (hint in printed) is not opened


def test_new_bundle_says_where_the_photos_go(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site()
    assert main(["new", "projects", "天龙二号", "--bundle", "--zone", "gusu", "--site", str(site)]) == 0
    assert (site / "content/projects/tian-long-er-hao/index.md").is_file()
    assert capsys.readouterr().out.splitlines() == [
        "已新建 content/projects/tian-long-er-hao/index.md。打开它，把标着“必填”的项和“【待填写】”的提示换成内容，"
        "再运行 python build.py check 检查。",
        "照片放进 content/projects/tian-long-er-hao/ 文件夹（和 index.md 在一起），"
        "在 cover:、gallery: 里只写照片的文件名，例如 照片1.jpg。",
    ]
    assert main(["new", "pages", "展览须知", "--bundle", "--site", str(site)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "照片放进 content/pages/zhan-lan-xu-zhi/ 文件夹（和 index.md 在一起），在正文里这样插入：![照片说明](照片1.jpg)"
    )


def test_a_mistyped_command_is_named_in_chinese_first() -> None:
    result = _run("biuld")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == '命令写得不对：没有“biuld”这个命令。是不是 "build"？可用的命令：build、check、serve、new、publish（用 --help 查看用法）'
    )
    assert lines[1].startswith("用法：") and "usage" not in result.stderr


def test_help_has_no_english_headings() -> None:
    out = _run("new", "--help").stdout
    assert "用法：" in out and "选项：" in out and "显示本帮助" in out
    assert not any(word in out for word in ("usage:", "options:", "show this help"))


def test_new_says_fields_go_after_the_title(make_site: MakeSite) -> None:
    site = make_site()
    result = _run("new", "projects", "--zone", "gusu", "感应热处理", "--site", str(site))
    assert result.returncode == 2
    assert "字段 --zone 要写在栏目和标题后面" in result.stderr.splitlines()[0]
    assert not list((site / "content/projects").glob("gusu*"))


def test_run_from_a_folder_inside_the_site_finds_it(make_site: MakeSite) -> None:
    site = make_site()
    result = _run("check", cwd=site / "content/projects")
    assert result.returncode == 0, result.stderr
    assert f"网站文件夹是 {site}（在上层找到了 site.toml）" in result.stderr
    build = _run(cwd=site / "content")
    assert build.returncode == 0 and (site / "output/index.html").is_file()
