"""Slugs are folder names of the published site: bounded, never a reserved device name; an editor's own unsafe
name is refused with a fix. Names Windows cannot check out (CON.md, a folder ending in a dot) are made here at
run time rather than stored in the repository."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import MakeSite
from yunzhan.cli import main
from yunzhan.slugs import MAX_LENGTH, file_name_problem, slug_problem, slugify


def test_long_titles_get_bounded_distinct_stable_slugs() -> None:
    a, b = slugify("苏州丝绸织造技艺" * 40), slugify("苏州丝绸织造技艺" * 40 + "二")
    assert len(a) <= MAX_LENGTH and len(b) <= MAX_LENGTH
    assert a != b and a == slugify("苏州丝绸织造技艺" * 40)
    assert a.startswith("su-zhou-si-chou-zhi-zao-ji-yi-")
    assert slugify("火箭模型") == "huo-jian-mo-xing"  # short ones are as they were


@pytest.mark.parametrize("name", ["CON", "prn", "Aux", "NUL", "com1", "LPT9"])
def test_reserved_device_names_never_come_out_of_slugify(name: str) -> None:
    slug = slugify(name)
    assert slug.startswith(name.lower() + "-") and slug_problem(slug) is None


def test_unsafe_names() -> None:
    assert slug_problem("con") == ("是 Windows 的保留名字，那里无法用它做文件夹", "con-1")
    assert slug_problem("a" * 65) is not None and slug_problem("a" * 64) is None
    for name in ("CON.md", "con.tar.gz", "nul", "lpt1.yaml", "abc.", "abc "):
        assert file_name_problem(name) is not None, name
    for name in ("console.md", "con-1.md", "index.md", "com10.md"):
        assert file_name_problem(name) is None, name


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot make these names")
@pytest.mark.parametrize(
    ("rel", "line"),
    [
        (
            "content/projects/CON.md",
            "content/projects/CON.md: “CON.md”在 Windows 上是保留的名字，那里无法保存这个文件 — 改一个名字，例如 con-1.md",
        ),
        (
            "content/projects/rocket./index.md",
            "content/projects/rocket./index.md: “rocket.”以点结尾，Windows 上无法保存 — 去掉名字末尾的点和空格",
        ),
    ],
)
def test_a_file_name_windows_cannot_store_is_an_error(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], rel: str, line: str
) -> None:
    site = make_site({rel: "---\ntitle: 火箭\ncategory: 创新产品\nzone: gusu\n---\n正文。\n"})
    assert main(["build", "--site", str(site)]) == 1
    assert line in capsys.readouterr().err.splitlines()
