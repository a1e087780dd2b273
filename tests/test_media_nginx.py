"""Published videos, captions and audio guides as deploy/nginx.conf serves them: the types browsers insist on
(``text/vtt`` for a ``<track>``), byte ranges (Safari will not play a video without them), a year of cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tests.test_media import MEDIA_TOML, PROJECT, write_audio, write_clip
from tests.test_nginx import SUB_PATH, Served, _free_port, _nginx, nginx_serving
from yunzhan.pipeline import BuildOptions, build

YEAR = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    _nginx()  # fails at once, with the setup hint, when there is none
    tmp = tmp_path_factory.mktemp("media-nginx")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}{SUB_PATH}"
    site = tmp / "site"
    folder = site / "content/projects/robot"
    folder.mkdir(parents=True)
    (site / "content/zones").mkdir(parents=True)
    (site / "content/zones/gusu.md").write_text("---\nname: 姑苏展区\norder: 1\n---\n介绍。\n", "utf-8")
    (site / "site.toml").write_text(MEDIA_TOML, "utf-8")
    extra = "cover: walk.mp4\naudio: guide.mp3\nguide: 1"
    (folder / "index.md").write_text(PROJECT.format(extra=extra), "utf-8")
    write_clip(folder / "walk.mp4")
    (folder / "walk.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n开机\n", "utf-8")
    write_audio(folder / "guide.mp3")
    (folder / "guide.txt").write_text("讲解词。", "utf-8")
    output = tmp / "www" / SUB_PATH.strip("/")
    build(BuildOptions(site_dir=site, output_dir=output, base_url=base_url, cache_dir=tmp / "cache"))
    with nginx_serving(tmp, port, tmp / "www"):
        yield Served(port, output, base_url)


def _media(served: Served) -> dict[str, str]:
    tree = lxml_html.fromstring((Path(served.output) / "projects/robot/index.html").read_text("utf-8"))
    return {
        "video": tree.xpath("//video//source/@src")[0],
        "track": tree.xpath("//video//track/@src")[0],
        "poster": tree.xpath("//video/@poster")[0],
        "audio": tree.xpath("//audio/@src")[0],
    }


def test_media_types_and_a_year_of_cache(served: Served) -> None:
    expected = {
        "video": "video/mp4",
        "track": "text/vtt; charset=utf-8",
        "poster": "image/jpeg",
        "audio": "audio/mpeg",
    }
    for kind, path in _media(served).items():
        assert path.startswith(SUB_PATH)
        status, headers, body = served.get(path)
        assert (status, headers["content-type"], headers["cache-control"]) == (200, expected[kind], YEAR), (
            kind
        )
        assert body


def test_videos_and_audio_answer_byte_ranges(served: Served) -> None:
    for kind in ("video", "audio"):
        path = _media(served)[kind]
        whole = served.get(path)[2]
        status, headers, body = served.get(path, Range="bytes=100-199")
        assert status == 206 and body == whole[100:200], kind
        assert headers["content-range"] == f"bytes 100-199/{len(whole)}"
