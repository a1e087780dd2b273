"""What ``site.toml`` says, as frozen dataclasses: one documented field per option, with its default.

Pure data (``config`` reads and checks the file): every stage that needs a setting imports its type from here
or, as most do, through ``config``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

FIELD_TYPES = (
    "string",
    "text",
    "int",
    "number",
    "bool",
    "date",
    "url",
    "enum",
    "list",
    "image",
    "gallery",
    "ref",
    "audio",  # an audio guide (media.py), with its transcript
    "guide",  # an exhibit's number in the audio guide (guide.py)
)
RESERVED_KEYS = frozenset({"slug", "draft", "body", "weight", "review"})
IMAGE_FORMATS = ("avif", "webp")
OUTPUT_DIR_NAME = "output"


@dataclass(frozen=True)
class ImageSettings:
    """How originals become published derivatives."""

    widths: tuple[int, ...] = (480, 960, 1600)
    formats: tuple[str, ...] = ("avif", "webp")  # modern formats, best first; JPEG/PNG fallback always made
    quality: int = 78
    max_pixels: int = 60_000_000  # decompression-bomb limit
    warn_bytes: int = 20 * 1024 * 1024  # originals larger than this get a warning
    workers: int = 0  # 0 = one per core


@dataclass(frozen=True)
class MediaSettings:
    """Video and audio (media.py): when a file is worth a warning for visitors on mobile data."""

    warn_mb: int = 40  # a published file larger than this gets a warning with what it costs on 4G
    warn_seconds: int = 300  # so does a longer one
    warn_mbps: int = 6  # and one whose bit rate a 4G connection cannot keep up with
    transcode: bool = False  # re-encode HEVC/ProRes/VP9/AV1 to H.264/AAC (slow; else a warning names the fix)


@dataclass(frozen=True)
class MarkdownSettings:
    iframe_hosts: tuple[str, ...] = ()  # hosts whose https iframes (video players) may appear in bodies


@dataclass(frozen=True)
class PublishSettings:
    """What a published build carries beyond the pages."""

    share_cards: bool = True  # a 1200×630 card per record for link previews (og:image)
    share_posters: bool = True  # a tall poster with a QR code per record, for WeChat Moments
    card_font: str = ""  # a CJK font file relative to the site ("fonts/x.ttc#2"); "" = find an installed one
    feed: bool = True  # feed.xml (Atom) of dated records
    open_data: bool = True  # data/records.json and data/<collection>.csv
    placards: str = "projects"  # collection printed as exhibit placards with QR codes; "" = none
    icp: str = ""  # ICP filing number (ICP备案号), shown in the footer
    police_filing: str = ""  # public-security filing (公安备案号), shown in the footer


@dataclass(frozen=True)
class ContactSettings:
    """Who an enterprise contacts to request a craftsman's technical service (the 请求技术服务 call to action)."""

    title: str = ""  # e.g. the service desk's name
    phone: str = ""
    email: str = ""
    wechat_url: str = ""  # a WeChat official-account or contact URL, shown as a QR code drawn at build time
    note: str = ""  # one line: opening hours, what to prepare


@dataclass(frozen=True)
class DeploySettings:
    """Where ``yunzhan publish`` uploads output/: an S3-compatible bucket. Keys are never here (see
    yunzhan/deploy/target.py): site.toml is committed, keys are not."""

    provider: str = ""  # aliyun, tencent, aws, minio (endpoint required), s3 (any other; endpoint required)
    bucket: str = ""  # Tencent: name-APPID, e.g. "expo-1250000000"
    region: str = ""  # aliyun "cn-hangzhou", tencent "ap-shanghai", aws "cn-north-1"
    endpoint: str = ""  # "" = the provider's S3-compatible public endpoint for the region
    prefix: str = ""  # folder in the bucket; "" = the path of base_url ("expo/2024/")
    addressing: str = ""  # "virtual" or "path"; "" = what the provider wants
    gzip: bool = False  # upload the .gz twin of each text file in its place, with Content-Encoding: gzip


@dataclass(frozen=True)
class ReviewSettings:
    """三审三校: the stages every record must be signed for before it is published; none = no review."""

    stages: tuple[str, ...] = ()  # e.g. ("初审", "复审", "终审")
    public: tuple[str, ...] = ()  # numbers that may be published (a hotline): not personal data (personal.py)


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str  # site-relative, e.g. "/zones/"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()  # enum
    collection: str = ""  # ref
    multiple: bool = False  # ref
    taxonomy: str = ""
    default: Any = None


@dataclass(frozen=True)
class CollectionSettings:
    name: str
    title: str
    folder: str
    url: str  # pattern with {slug}
    template: str
    list_url: str
    list_template: str
    paginate: int
    sort: str
    title_field: str
    neighbours_by: str
    fields: tuple[FieldSpec, ...]
    related_by: tuple[str, ...] = ()  # a record page's related records: those sharing these fields, in turn

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class TaxonomySettings:
    name: str
    title: str
    url: str  # index page; terms at url + "<slug>/"
    paginate: int = (
        30  # records per term page (0: all on one page); a tag of a national edition has thousands
    )


@dataclass(frozen=True)
class SiteConfig:
    title: str
    base_url: str
    subtitle: str = ""
    description: str = ""
    language: str = "zh-CN"
    theme: str = "default"
    footer: str = ""
    menu: tuple[MenuItem, ...] = ()
    images: ImageSettings = field(default_factory=ImageSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    markdown: MarkdownSettings = field(default_factory=MarkdownSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    contact: ContactSettings = field(default_factory=ContactSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    taxonomies: tuple[TaxonomySettings, ...] = ()
    collections: tuple[CollectionSettings, ...] = ()

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def collection(self, name: str) -> CollectionSettings | None:
        return next((c for c in self.collections if c.name == name), None)

    def url_for(self, path: str) -> str:
        """Site-relative path → path under the base path (``/zones/`` → ``/expo/2024/zones/``)."""
        if path.startswith(("http://", "https://", "mailto:", "tel:", "#")):
            return path
        return self.base_path + path.lstrip("/")

    def absolute_url(self, path: str) -> str:
        """Site-relative path (``/projects/rocket/``) or prefixed URL → full URL under ``base_url``,
        percent-encoded (sitemap, feed, open data, share cards, placard QR codes)."""
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        return self.base_url + quote(path.lstrip("/"), safe="/:@!$&'()*+,;=-._~%#?")
