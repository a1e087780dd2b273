"""Image, gallery, video and audio fields → requests for the image and media stages, with alt text, captions,
posters and transcripts as written; ``image_request``, where a named file really is, for bodies too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yunzhan.config import FieldSpec
from yunzhan.errors import Problem
from yunzhan.fieldreport import FieldReport
from yunzhan.imagepaths import AUDIO_EXTENSIONS, VIDEO_KEYS, is_video, local_source
from yunzhan.model import ImageRequest, MediaRequest

# the field types ``MediaFields`` checks: the only ones whose values hold requests
FILE_TYPES = ("image", "gallery", "audio")


class MediaFields(FieldReport):
    """The checks of the field types that name files (``image``, ``gallery``, ``audio``; videos in either)."""

    def _image(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> ImageRequest | None:
        if isinstance(raw, str):
            raw = {"src": raw}
        if not isinstance(raw, dict) or not isinstance(raw.get("src"), str):
            self.fail(name, "图片应当写成文件路径", f"例如 {spec.name}: cover.jpg，或 src: 和 alt: 两行")
            return None
        self._refuse_unknown(name, raw, "图片里有", "图片")
        alt = self.unquoted(f"{name}.alt", raw.get("alt"))
        if alt is None:
            alt = str(data.get("title") or data.get("name") or "")
        return self._request(name, raw["src"], str(alt), f"{spec.name}: {{}}", raw)

    def _refuse_unknown(self, where: str, written: dict[str, Any], before: str, subject: str) -> None:
        """A key an image (or a gallery item) may not have; a video may have a poster and captions too."""
        unknown = set(written) - {"src", "alt", "caption", "credit"} - _video_keys(written["src"])
        if unknown:
            self.fail(
                where,
                f"{before}未知的项：{', '.join(sorted(unknown))}",
                f"{subject}只能有 src、alt、caption、credit（视频还可以有 poster、captions）",
            )

    def _gallery(
        self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]
    ) -> list[tuple[ImageRequest, str, str]]:
        if not isinstance(raw, list):
            self.fail(name, "图集应当是列表", "每张图片一项：- src: a.jpg 然后 alt:、caption:、credit:")
            return []
        items = []
        for i, item in enumerate(raw):
            where = f"{name}[{i}]"
            if isinstance(item, str):
                item = {"src": item}
            if not isinstance(item, dict) or not isinstance(item.get("src"), str):
                self.fail(where, "图集的每一项都要有 src", "例如 - src: photo1.jpg")
                continue
            self._refuse_unknown(where, item, "", "")
            if "alt" not in item or item["alt"] is None:
                self.fail(
                    f"{where}.alt", "图片缺少替代文字 alt", '写一句描述图片内容的话；纯装饰图片写 alt: ""'
                )
                continue
            alt, caption, credit = (
                self.unquoted(f"{where}.{k}", item.get(k)) for k in ("alt", "caption", "credit")
            )
            request = self._request(where, item["src"], str(alt), "- src: {}", item)
            if request is not None:
                items.append((request, str(caption or ""), str(credit or "")))
        return items

    def _request(
        self, name: str, src: str, alt: str, example: str, written: dict[str, Any] | None = None
    ) -> ImageRequest | None:
        line = self.line_of(name)
        result = image_request(self.site_dir, self.folder, src, alt, self.rel, line, name, example)
        if isinstance(result, Problem):
            self.problems.append(result)
            return None
        if is_video(src):
            return self._media(name, result, "video", written or {})
        return result

    def _media(
        self, name: str, found: ImageRequest, kind: str, written: dict[str, Any]
    ) -> MediaRequest | None:
        """The request of a video or audio file, with its poster, captions or transcript as written."""
        poster, texts = None, {}
        if kind == "video" and written.get("poster") is not None:
            where = f"{name}.poster"
            request = self._request(where, str(written["poster"]), found.alt, "poster: {}")
            if request is None or isinstance(request, MediaRequest):
                if isinstance(request, MediaRequest):
                    self.fail(where, "封面（poster）应当是一张图片", "例如 poster: 封面.jpg")
                return None
            poster = request.source
        for key in ("captions", "transcript"):
            value = written.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                self.fail(f"{name}.{key}", "应当是一段文字", _MEDIA_TEXT_HINTS[key])
                return None
            texts[key] = value.strip() if isinstance(value, str) else None
        fields = dict(found.__dict__)
        return MediaRequest(**fields, kind=kind, poster=poster, **texts)

    def _audio(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> MediaRequest | None:
        """``audio: 讲解.mp3``, or ``src:`` with ``transcript:`` (else a .txt/.vtt of the same name beside it)."""
        written = {"src": raw} if isinstance(raw, str) else raw
        if not isinstance(written, dict) or not isinstance(written.get("src"), str):
            self.fail(name, "语音导览应当写成音频文件名", f"例如 {spec.name}: 讲解.mp3")
            return None
        unknown = set(written) - {"src", "title", "transcript"}
        if unknown:
            self.fail(name, f"未知的项：{', '.join(sorted(unknown))}", "只能有 src、title、transcript")
        if not written["src"].lower().rstrip().endswith(AUDIO_EXTENSIONS):
            self.fail(name, f"不支持的音频格式：{written['src']}", "语音导览请用 MP3、M4A 或 AAC 文件")
            return None
        title = str(written.get("title") or data.get("title") or data.get("name") or "语音导览")
        line = self.line_of(name)
        found = image_request(
            self.site_dir, self.folder, written["src"], title, self.rel, line, name, f"{spec.name}: {{}}"
        )
        if isinstance(found, Problem):
            self.problems.append(found)
            return None
        return self._media(name, found, "audio", written)


_MEDIA_TEXT_HINTS = {
    "captions": "字幕写成同名 .vtt/.srt 文件放在视频旁边；确实不需要时写 captions: none（没有对白，只有机器声）",
    "transcript": "写讲解词全文，或把同名 .txt 文件放在音频旁边",
}


def _video_keys(src: Any) -> frozenset[str]:
    return VIDEO_KEYS if isinstance(src, str) and is_video(src) else frozenset()


def image_request(
    site_dir: Path,
    folder: Path,
    src: str,
    alt: str,
    rel: str,
    line: int | None,
    name: str,
    example: str = "![描述]({})",
) -> ImageRequest | Problem:
    """Where an image a record names really is; a path that leaves ``content/`` (even by symlink) is refused.
    ``example`` is how the file name is written in its place (a Markdown image unless a field says)."""
    content = (site_dir / "content").resolve()
    if src.startswith(("http://", "https://", "//", "data:")):
        return Problem(rel, line, name, "不能引用外部网站的图片", "把图片下载后放在条目旁边，写相对路径")
    written = local_source(src, example)
    if isinstance(written, tuple):
        return Problem(rel, line, name, *written)
    target = (folder / written).resolve()
    if not target.is_relative_to(content):
        return Problem(
            rel, line, name, f"图片路径超出了网站的 content 文件夹：{src}", "图片要放在 content/ 里面"
        )
    return ImageRequest(source=str(target), alt=alt, record_path=rel, line=line, field=name)
