"""The site as pure data: records, collections, taxonomies, images and pages. No I/O lives here."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup


@dataclass(frozen=True)
class ImageSource:
    """One ``<source>`` of a ``<picture>``: a MIME type and its srcset."""

    type: str
    srcset: str


@dataclass(frozen=True)
class Image:
    """A processed, metadata-free image ready for a template; URLs already carry the base path."""

    src: str
    width: int
    height: int
    alt: str
    sources: tuple[ImageSource, ...] = ()
    fallback_srcset: str = ""
    placeholder: str = "#ddd"
    large: str = ""
    video: Video | None = None  # set when this image is a video's poster: templates then show the video


@dataclass(frozen=True)
class Track:
    """A ``<track>`` of a video: WebVTT captions published beside it."""

    src: str
    srclang: str = "zh"
    label: str = "中文字幕"


@dataclass(frozen=True)
class Video:
    """A published, metadata-free video file; its poster is the ``Image`` that carries it."""

    src: str
    type: str  # MIME type with codecs, e.g. 'video/mp4; codecs="avc1.64001f, mp4a.40.2"'
    width: int
    height: int
    duration: float  # seconds
    size: int  # bytes of the published file
    tracks: tuple[Track, ...] = ()


@dataclass(frozen=True)
class Audio:
    """A published audio guide with its transcript (safe HTML)."""

    src: str
    type: str
    duration: float
    size: int
    transcript: Markup = field(default_factory=Markup)


@dataclass(frozen=True)
class GalleryItem:
    image: Image
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class ImageRequest:
    """An image a record asks for, before processing: where it is and where it was asked for."""

    source: str  # absolute path of the original file
    alt: str
    record_path: str  # site-relative path of the record, for error messages
    line: int | None
    field: str


@dataclass(frozen=True)
class MediaRequest(ImageRequest):
    """A video or audio file a record asks for: an ``ImageRequest`` (the poster takes its place where images go)
    plus what only media have. ``poster``/``captions``/``transcript`` are as written beside ``src``."""

    kind: str = "video"  # or "audio"
    poster: str | None = None  # absolute path of a poster image, or None for a frame at about 1 s
    captions: str | None = None  # None: look beside the file; "none…": none, with the reason; else a path
    transcript: str | None = None  # audio: text written in the record (else a .txt/.vtt beside the file)


class Deferred:
    """A record's attribute held elsewhere (a body's HTML, in the build store) and read each time it is asked
    for, so that a build holds none it does not show. ``made`` stands for it in prints: its digest."""

    __slots__ = ("anywhere", "load", "made")

    def __init__(self, made: str, load: Callable[[], Any], anywhere: bool = False) -> None:
        self.made = made
        self.load = load
        self.anywhere = anywhere  # readable in a forked process too (else read before forking)


@dataclass(eq=False)
class Record:
    """One entry of a collection. Fields are reachable as attributes (``record.zone``) for templates."""

    collection: str
    slug: str
    source: str  # site-relative path of the record file
    url: str = ""  # prefixed with the base path
    path: str = ""  # site-relative URL path, e.g. "/projects/rocket/"
    short: str = ""  # site-relative short URL for print ("/s/a3k9/", shortlinks.py); "" = none
    title: str = ""
    body: Markup = field(default_factory=Markup)
    fields: dict[str, Any] = field(default_factory=dict)
    draft: bool = False
    weight: int = 0
    review: Any = None  # ``review:`` as written: stage → "姓名 日期" (review.py checks it)
    prev: Record | None = None
    next: Record | None = None
    backrefs: dict[str, list[Record]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict, repr=False)  # field name -> line in the source file
    raw_body: str = field(
        default_factory=str, repr=False
    )  # Markdown, before rendering (no class attribute: see defer)
    body_line: int = 1  # line of the source file where the body starts

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: a deferred attribute is read, fields are exposed to templates.
        found = self.__dict__.get("_deferred")
        if found is not None and name in found:
            return found[name].load()
        fields = self.__dict__.get("fields")
        if fields is not None and name in fields:
            return fields[name]
        raise AttributeError(name)

    def defer(self, name: str, value: Deferred) -> None:
        """Hold attribute ``name`` elsewhere: read through ``value`` until it is set again."""
        self.__dict__.pop(name, None)
        self.__dict__["_deferred"] = {
            **self.__dict__.get("_deferred", {}),
            name: value,
        }  # copies share the old

    def settle(self) -> None:
        """Read every deferred attribute now, before what holds it goes away."""
        for name, value in self.__dict__.pop("_deferred", {}).items():
            self.__dict__.setdefault(name, value.load())

    def deferred(self, name: str) -> Deferred | None:
        """What attribute ``name`` is read through, when it is held elsewhere (without reading it)."""
        if name in self.__dict__:
            return None
        found = self.__dict__.get("_deferred")
        return found.get(name) if found is not None else None

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    @property
    def date(self) -> dt.date | None:
        value = self.fields.get("date") or self.fields.get("start")
        return value if isinstance(value, dt.date) else None

    def __repr__(self) -> str:
        return f"Record({self.collection}/{self.slug})"


@dataclass
class Collection:
    name: str
    title: str
    url: str | None
    records: list[Record] = field(default_factory=list)


@dataclass
class Term:
    name: str
    slug: str
    url: str
    path: str
    records: list[Record] = field(default_factory=list)

    def count(self, collection: str) -> int:
        """How many of the term's records are of ``collection``: counted once, not on every page of a listing
        that shows the term's chip (a listing of 10,000 records has hundreds of pages)."""
        found = self.__dict__.get("_counts")
        if found is None or found[0] != len(self.records):
            found = self.__dict__["_counts"] = (
                len(self.records),
                Counter(r.collection for r in self.records),
            )
        return found[1][collection]  # type: ignore[no-any-return]


@dataclass
class Taxonomy:
    name: str
    title: str
    url: str
    path: str
    terms: list[Term] = field(default_factory=list)

    def term(self, name: object) -> Term | None:
        """The term called ``name``, for a template's chip: a look-up, not a loop reading every term's name
        (each read is a dependency of the page, and a project page shows a chip for each of its tags)."""
        found = self.__dict__.get("_by_name")
        if found is None or found[0] != len(self.terms):
            found = self.__dict__["_by_name"] = (len(self.terms), {t.name: t for t in self.terms})
        try:
            return found[1].get(name)  # type: ignore[no-any-return]
        except TypeError:  # a list or a mapping where a name was expected: no term has it
            return None


@dataclass(frozen=True)
class Link:
    title: str
    url: str | None


@dataclass(frozen=True)
class Paginator:
    number: int
    count: int
    prev_url: str | None
    next_url: str | None
    pages: tuple[Link, ...]


@dataclass
class Page:
    """One HTML file to write: which template, at which URL path, with what in ``page``."""

    kind: str
    path: str  # site-relative URL path ("/", "/zones/gusu/", "/404.html")
    url: str  # path with the base path prefix
    title: str
    template: str
    breadcrumbs: list[Link] = field(default_factory=list)
    record: Record | None = None
    collection: Collection | None = None
    records: list[Record] = field(default_factory=list)
    paginator: Paginator | None = None
    taxonomy: Taxonomy | None = None
    term: Term | None = None
    share: Any = None  # cards.Share: og:image and the poster download, when the site makes them

    @property
    def output_file(self) -> str:
        """Path of the file in the output folder, relative to it."""
        if self.path.endswith("/"):
            return self.path.lstrip("/") + "index.html"
        return self.path.lstrip("/")
