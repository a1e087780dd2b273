"""Image paths as Windows and Mac editors write them: one rule for fields and body images."""

from __future__ import annotations

import pytest

from yunzhan.imagepaths import local_source


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("images\\photo.jpg", "images/photo.jpg"),
        ("..\\shared\\织机.jpg", "../shared/织机.jpg"),
        (" photo.jpg ", "photo.jpg"),
        ("images/photo.jpg", "images/photo.jpg"),
    ],
)
def test_backslashes_read_as_slashes(written: str, read: str) -> None:
    assert local_source(written) == read


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("C:\\Users\\王丽\\Desktop\\photo.jpg", "photo.jpg"),
        ("D:/照片/a.jpg", "a.jpg"),
        ("d:\\a.jpg", "a.jpg"),
        ("/home/wang/Pictures/b.png", "b.png"),
        ("/Users/wang/Desktop/c.jpg", "c.jpg"),
        ("\\\\server\\share\\d.jpg", "d.jpg"),
        ("~/Desktop/e.jpg", "e.jpg"),
        ("file:///C:/Users/f.jpg", "f.jpg"),
    ],
)
def test_a_full_path_on_a_computer_says_what_to_write(written: str, name: str) -> None:
    message, hint = local_source(written, "cover: {}")
    assert message == f"这是电脑上的完整路径，网站找不到它：{written}"
    assert hint == f"把照片复制到条目文件旁边，只写文件名，例如 cover: {name}"


def test_the_example_follows_where_the_path_was_written() -> None:
    assert local_source("C:\\a\\b.jpg", "![描述]({})")[1].endswith("例如 ![描述](b.jpg)")
