"""Byte ranges in the preview (serve/ranges.py): the real server on a small site, asked over real HTTP.

Safari and WeChat on iOS play a ``<video>`` only from a server that answers ``Range`` with 206 Partial Content.
"""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import launch_browser

from tests.conftest import SITE_TOML, write_site
from yunzhan.serve import PreviewServer, ServeOptions

FILM = bytes(range(256)) * 6000  # over 1 MB
SMALL = bytes(range(200)) + b"RIFF\x00WEBP"
TOML = SITE_TOML + "\n[publish]\nshare_cards = false\nshare_posters = false\n"
ROBOT = "---\ntitle: 巡检机器人\ncategory: 创新项目\nzone: gusu\ncover: intro.mp4\n---\n正文。\n"
LOAD_AND_SEEK = """async v => {
  v.preload = "auto"; v.load();
  const t0 = performance.now();
  while (v.readyState < 1 && !v.error && performance.now() - t0 < 10000) await new Promise(r => setTimeout(r, 50));
  const state = { ready: v.readyState, error: v.error && v.error.code, duration: v.duration,
                  seekable: v.seekable.length ? v.seekable.end(v.seekable.length - 1) : 0 };
  v.currentTime = 1.8;
  await Promise.race([new Promise(r => v.addEventListener("seeked", r, { once: true })),
                      new Promise(r => setTimeout(r, 5000))]);
  return { ...state, landed: v.currentTime };
}"""


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()


class Preview:
    """The running preview of a small site: a real video, a large and a small binary file."""

    def __init__(self, site: Path) -> None:
        self.server = PreviewServer(ServeOptions(site_dir=site, port=0, quiet=True))
        self.preview = site / ".yunzhan-cache" / "preview"

    def path_of(self, pattern: str) -> str:
        """The URL path of the one built file matching ``pattern`` (static assets carry a content hash)."""
        found = list(self.preview.glob(pattern))
        assert len(found) == 1, found
        return "/" + found[0].relative_to(self.preview).as_posix()

    def get(self, path: str, *fields: tuple[str, str], method: str = "GET") -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.putrequest(method, path)
            for name, value in fields:  # putheader, not a dict: a field may be sent twice
                conn.putheader(name, value)
            conn.endheaders()
            return Reply(conn.getresponse())
        finally:
            conn.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    from tests.test_media import write_clip

    files: dict[str, str | bytes] = {
        "content/projects/robot/index.md": ROBOT,
        "static/media/film.mp4": FILM,
        "static/media/small.webp": SMALL,
        "static/media/swap.bin": SMALL,
    }
    site = write_site(tmp_path_factory.mktemp("ranges") / "site", files, toml=TOML)
    write_clip(site / "content/projects/robot/intro.mp4", seconds=2, size=(320, 180))
    preview = Preview(site)
    preview.server.start()
    yield preview
    preview.server.stop()


@pytest.fixture(params=["film", "small"])
def file(request: pytest.FixtureRequest, live: Preview) -> tuple[str, bytes]:
    """The large file (streamed) and the small one: each is ranged the same way."""
    if request.param == "film":
        return live.path_of("assets/media/film.*.mp4"), FILM
    return live.path_of("assets/media/small.*.webp"), SMALL


def test_files_say_they_take_byte_ranges_and_pages_do_not(live: Preview, file: tuple[str, bytes]) -> None:
    path, data = file
    whole = live.get(path)
    assert whole.status == 200 and whole.body == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-length"] == str(len(data))
    assert whole.headers["etag"].startswith('"') and whole.headers["last-modified"].endswith(" GMT")
    assert whole.headers["cache-control"] == "no-store" and "content-range" not in whole.headers
    head = live.get(path, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert {k: v for k, v in head.headers.items() if k != "date"} == {
        k: v for k, v in whole.headers.items() if k != "date"
    }
    # HTML gets the live-reload script: it is never ranged, so it does not offer ranges either
    page = live.get("/projects/robot/", ("Range", "bytes=0-9"))
    assert page.status == 200 and b'id="yunzhan-live"' in page.body and page.body.startswith(b"<!")
    assert "accept-ranges" not in page.headers and "content-range" not in page.headers


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=0-1", 0, 1),  # what Safari asks first
        ("bytes=0-0", 0, 0),
        ("bytes=10-99", 10, 99),
        ("bytes=100-", 100, None),
        ("bytes=-50", -50, None),
        ("bytes=5-99999999", 5, None),  # past the end: up to the end
        ("bytes=-99999999", 0, None),  # more than the whole file: the whole file, as a range
        ("Bytes=3-4", 3, 4),  # the unit is case-insensitive
        ("bytes= 7-8 ,", 7, 8),  # spaces and an empty list item are allowed
    ],
)
def test_one_range_is_206_with_its_bytes(
    live: Preview, file: tuple[str, bytes], asked: str, first: int, last: int | None
) -> None:
    path, data = file
    start = first % len(data)
    end = len(data) - 1 if last is None else last
    reply = live.get(path, ("Range", asked))
    assert reply.status == 206, asked
    assert reply.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    assert reply.headers["content-length"] == str(end - start + 1) == str(len(reply.body))
    assert reply.body == data[start : end + 1]
    assert reply.headers["accept-ranges"] == "bytes" and "etag" in reply.headers
    assert reply.headers["content-type"] in ("video/mp4", "image/webp")


def test_a_range_deep_in_a_large_file(live: Preview) -> None:
    path = live.path_of("assets/media/film.*.mp4")
    reply = live.get(path, ("Range", "bytes=1000000-1300000"))
    assert reply.status == 206 and reply.body == FILM[1000000:1300001]
    assert reply.headers["content-range"] == f"bytes 1000000-1300000/{len(FILM)}"


@pytest.mark.parametrize("asked", ["bytes={size}-", "bytes={size}-{beyond}", "bytes=-0", "bytes=99999999-"])
def test_a_range_past_the_end_is_416_with_the_size(
    live: Preview, file: tuple[str, bytes], asked: str
) -> None:
    path, data = file
    reply = live.get(path, ("Range", asked.format(size=len(data), beyond=len(data) + 10)))
    assert reply.status == 416
    assert reply.headers["content-range"] == f"bytes */{len(data)}"
    assert reply.headers["content-length"] == str(len(reply.body))
    assert data not in reply.body and "范围" in reply.body.decode("utf-8")


@pytest.mark.parametrize(
    "asked",
    [
        "bytes=0-1,5-6",  # several ranges: allowed to answer with the whole file
        "bytes=0-1, -5",
        "bytes=5-2",  # last before first: invalid
        "bytes=abc",
        "bytes=-",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=1_0-20",  # digits only (int() would take this)
        "bytes 0-1",
        "items=0-1",  # another unit
        "",
    ],
)
def test_malformed_or_several_ranges_get_the_whole_file(
    live: Preview, file: tuple[str, bytes], asked: str
) -> None:
    path, data = file
    reply = live.get(path, ("Range", asked))
    assert reply.status == 200, asked
    assert reply.body == data and reply.headers["content-length"] == str(len(data))
    assert reply.headers["accept-ranges"] == "bytes" and "content-range" not in reply.headers


def test_two_range_fields_are_two_ranges(live: Preview, file: tuple[str, bytes]) -> None:
    path, data = file
    reply = live.get(path, ("Range", "bytes=0-1"), ("Range", "bytes=4-5"))
    assert reply.status == 200 and reply.body == data
    assert reply.headers["accept-ranges"] == "bytes"


def test_head_ignores_range(live: Preview, file: tuple[str, bytes]) -> None:
    """RFC 9110 §14.2 defines Range for GET only: HEAD describes the whole file."""
    path, data = file
    reply = live.get(path, ("Range", "bytes=0-1"), method="HEAD")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["content-length"] == str(len(data)) and reply.headers["accept-ranges"] == "bytes"
    assert "content-range" not in reply.headers


def test_if_range_holds_only_for_the_file_as_it_is_now(live: Preview) -> None:
    path = live.path_of("assets/media/swap.*.bin")
    first = live.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.body == SMALL
    for validator in (etag, modified):
        reply = live.get(path, ("Range", "bytes=2-3"), ("If-Range", validator))
        assert reply.status == 206 and reply.body == SMALL[2:4], validator
    for validator in ("W/" + etag, '"other"', "Thu, 01 Jan 1970 00:00:00 GMT"):
        reply = live.get(path, ("Range", "bytes=2-3"), ("If-Range", validator))
        assert reply.status == 200 and reply.body == SMALL, validator

    # a rebuild rewrites the file: a client resuming with the old validators gets the new file whole
    built = live.preview / path.lstrip("/")
    changed = b"NEW" + SMALL
    built.write_bytes(changed)
    os.utime(built, ns=(built.stat().st_atime_ns, built.stat().st_mtime_ns + 5_000_000_000))
    for validator in (etag, modified):
        reply = live.get(path, ("Range", "bytes=2-3"), ("If-Range", validator))
        assert reply.status == 200 and reply.body == changed, validator
    fresh = live.get(path, ("Range", "bytes=0-2"))
    assert fresh.status == 206 and fresh.body == b"NEW" and fresh.headers["etag"] != etag


@pytest.mark.browser
def test_chromium_loads_the_preview_video_and_seeks_in_it(live: Preview) -> None:
    """Chromium asks ``bytes=0-``: answered 206, it knows the clip is seekable (with a 200 it was not: the
    seekable range ended at 0 and a seek stayed at the start)."""
    with launch_browser() as browser:  # a missing Chromium fails, naming scripts/setup.sh
        page = browser.new_page()
        clips: list[tuple[int, str | None]] = []
        page.on(
            "response",
            lambda r: clips.append((r.status, r.request.headers.get("range"))) if ".mp4" in r.url else None,
        )
        page.goto(f"http://127.0.0.1:{live.server.port}/projects/robot/")
        state = page.locator("figure.cover video").evaluate(LOAD_AND_SEEK)
        page.close()
    assert state["ready"] >= 1 and state["error"] is None, state
    assert clips and all(status == 206 and asked for status, asked in clips), clips
    assert abs(state["seekable"] - state["duration"]) < 0.01 and abs(state["landed"] - 1.8) < 0.01, state
