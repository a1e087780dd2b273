"""site.toml → frozen, validated settings. Parsed once at the edge; nothing else reads the TOML.

Every key is declared here with its type; an unknown key is an error with a did-you-mean suggestion, so a
misspelt option never silently does nothing. The settings themselves are dataclasses in ``settings``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from yunzhan.errors import ConfigError, Problem, did_you_mean
from yunzhan.settings import (
    FIELD_TYPES,
    IMAGE_FORMATS,
    OUTPUT_DIR_NAME,
    RESERVED_KEYS,
    CollectionSettings,
    ContactSettings,
    DeploySettings,
    FieldSpec,
    ImageSettings,
    MarkdownSettings,
    MediaSettings,
    MenuItem,
    PublishSettings,
    ReviewSettings,
    SiteConfig,
    TaxonomySettings,
)
from yunzhan.tomltables import TableReader

# The settings' types live in ``settings``; most stages name them through here, with ``load_config``.
__all__ = [
    "FIELD_TYPES",
    "IMAGE_FORMATS",
    "OUTPUT_DIR_NAME",
    "RESERVED_KEYS",
    "CollectionSettings",
    "ContactSettings",
    "DeploySettings",
    "FieldSpec",
    "ImageSettings",
    "MarkdownSettings",
    "MediaSettings",
    "MenuItem",
    "PublishSettings",
    "ReviewSettings",
    "SiteConfig",
    "TableReader",
    "TaxonomySettings",
    "load_config",
    "output_dir",
    "read_field",
]


_TOP = {
    "title": str,
    "subtitle": str,
    "description": str,
    "language": str,
    "base_url": str,
    "theme": str,
    "footer": str,
    "menu": list,
    "images": dict,
    "media": dict,
    "markdown": dict,
    "publish": dict,
    "contact": dict,
    "deploy": dict,
    "review": dict,
    "taxonomies": dict,
    "collections": dict,
}
_COLLECTION = {
    "title": str,
    "folder": str,
    "url": str,
    "template": str,
    "list_url": str,
    "list_template": str,
    "paginate": int,
    "sort": str,
    "title_field": str,
    "neighbours_by": str,
    "related_by": list,
    "fields": dict,
}
_FIELD = {
    "type": str,
    "required": bool,
    "values": list,
    "collection": str,
    "multiple": bool,
    "taxonomy": str,
    "default": (str, int, bool, list),
}


def output_dir(site_dir: Path, given: Path | None = None) -> Path:
    """Where a build of the site writes: the folder given (``--output``), else ``output/`` in the site folder."""
    return (given or site_dir / OUTPUT_DIR_NAME).absolute()


def load_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    """Read and validate ``site.toml``; raise ConfigError listing every problem found."""
    path = site_dir / "site.toml"
    rel = "site.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [Problem(rel, None, None, f"找不到 {path}", "在网站文件夹里运行，或用 --site 指定网站文件夹")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(rel, None, None, f"无法读取：{exc}", "确认文件是 UTF-8 编码")]) from None
    return _config_of(text, base_url)


@functools.lru_cache(maxsize=8)
def _config_of(text: str, base_url: str | None) -> SiteConfig:
    """The settings in ``text``, remembered (they are frozen): a preview reads site.toml twice a save."""
    rel = "site.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            [
                Problem(
                    rel, int(line.group(1)) if line else None, None, f"TOML 格式错误：{exc}", "检查引号和括号"
                )
            ]
        ) from None
    problems: list[Problem] = []
    config = _parse(data, TableReader(rel, text, problems), base_url)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def _parse(data: dict[str, Any], r: TableReader, base_url_override: str | None) -> SiteConfig | None:
    top = r.table(data, "", _TOP)
    for key in ("title", "base_url"):
        if key not in top:
            r.problems.append(Problem(r.path, None, key, f"缺少必填项 {key}", f'加一行 {key} = "…"'))
    base_url = base_url_override or top.get("base_url", "/")
    parts = urlsplit(base_url)
    if (
        base_url_override is None
        and "base_url" in top
        and (parts.scheme not in ("http", "https") or not parts.netloc)
    ):
        r.error("base_url", "应当是完整的网址", '例如 base_url = "https://example.org/expo/2024/"')
    if base_url_override is not None and (parts.scheme not in ("http", "https") or not parts.netloc):
        r.problems.append(
            Problem("--base-url", None, None, "应当是完整的网址", "例如 https://example.org/expo/")
        )
    if not base_url.endswith("/"):
        base_url += "/"
    menu = tuple(_menu_item(item, i, r) for i, item in enumerate(top.get("menu", [])))
    images = _images(r.table(top.get("images", {}), "images", {**_image_keys()}), r)
    media = MediaSettings(
        **r.table(
            top.get("media", {}),
            "media",
            {f: type(getattr(MediaSettings(), f)) for f in MediaSettings.__dataclass_fields__},
        )
    )
    md = r.table(top.get("markdown", {}), "markdown", {"iframe_hosts": list})
    publish_keys = {f: type(getattr(PublishSettings(), f)) for f in PublishSettings.__dataclass_fields__}
    publish = PublishSettings(**r.table(top.get("publish", {}), "publish", publish_keys))
    contact_keys = dict.fromkeys(ContactSettings.__dataclass_fields__, str)
    contact = ContactSettings(**r.table(top.get("contact", {}), "contact", contact_keys))
    deploy_keys = {f: type(getattr(DeploySettings(), f)) for f in DeploySettings.__dataclass_fields__}
    deploy = DeploySettings(**r.table(top.get("deploy", {}), "deploy", deploy_keys))
    review = _review(r.table(top.get("review", {}), "review", {"stages": list, "public": list}), r)
    taxonomies = tuple(_taxonomy(name, value, r) for name, value in sorted(top.get("taxonomies", {}).items()))
    collections = tuple(_collection(name, value, r) for name, value in top.get("collections", {}).items())
    _check_links(collections, taxonomies, r)
    if r.problems:
        return None
    return SiteConfig(
        title=top["title"],
        base_url=base_url,
        subtitle=top.get("subtitle", ""),
        description=top.get("description", ""),
        language=top.get("language", "zh-CN"),
        theme=top.get("theme", "default"),
        footer=top.get("footer", ""),
        menu=tuple(m for m in menu if m is not None),
        images=images,
        media=media,
        markdown=MarkdownSettings(iframe_hosts=tuple(str(h) for h in md.get("iframe_hosts", []))),
        publish=publish,
        contact=contact,
        deploy=deploy,
        review=review,
        taxonomies=taxonomies,
        collections=collections,
    )


def _review(table: dict[str, Any], r: TableReader) -> ReviewSettings:
    stages, public = table.get("stages", []), table.get("public", [])
    if not all(isinstance(s, str) and s.strip() for s in stages) or len(set(stages)) != len(stages):
        r.error("review.stages", "审核环节应当是不重复的名字", 'stages = ["初审", "复审", "终审"]')
        return ReviewSettings()
    if not all(isinstance(p, str | int) and not isinstance(p, bool) for p in public):
        r.error("review.public", "可以公开的号码应当写成文字", 'public = ["12351"]')
        return ReviewSettings()
    return ReviewSettings(stages=tuple(s.strip() for s in stages), public=tuple(str(p) for p in public))


def _image_keys() -> dict[str, type]:
    return {
        "widths": list,
        "formats": list,
        "quality": int,
        "max_pixels": int,
        "warn_bytes": int,
        "workers": int,
    }


def _images(raw: dict[str, Any], r: TableReader) -> ImageSettings:
    widths = raw.get("widths", list(ImageSettings.widths))
    if not widths or not all(isinstance(w, int) and 16 <= w <= 8000 for w in widths):
        r.error("images.widths", "宽度应当是 16 到 8000 之间的整数列表", "例如 widths = [480, 960, 1600]")
        widths = list(ImageSettings.widths)
    formats = raw.get("formats", list(ImageSettings.formats))
    for fmt in formats:
        if fmt not in IMAGE_FORMATS:
            r.error("images.formats", f'不支持的格式 "{fmt}"', f"可选：{', '.join(IMAGE_FORMATS)}")
    quality = raw.get("quality", ImageSettings.quality)
    if not 1 <= quality <= 100:
        r.error("images.quality", "质量应当在 1 到 100 之间", "常用 75–85")
    return ImageSettings(
        widths=tuple(sorted(set(widths))),
        formats=tuple(f for f in formats if f in IMAGE_FORMATS),
        quality=quality,
        max_pixels=raw.get("max_pixels", ImageSettings.max_pixels),
        warn_bytes=raw.get("warn_bytes", ImageSettings.warn_bytes),
        workers=raw.get("workers", 0),
    )


def _menu_item(item: Any, index: int, r: TableReader) -> MenuItem | None:
    raw = r.table(item, f"menu[{index}]", {"title": str, "url": str})
    if "title" not in raw or "url" not in raw:
        r.error("menu", f"第 {index + 1} 个菜单项缺少 title 或 url", '写成 title = "展区" 和 url = "/zones/"')
        return None
    return MenuItem(raw["title"], raw["url"])


def _taxonomy(name: str, value: Any, r: TableReader) -> TaxonomySettings:
    raw = r.table(value, f"taxonomies.{name}", {"title": str, "url": str, "paginate": int})
    url = raw.get("url", f"/{name}/")
    paginate = raw.get("paginate", 30)
    if paginate < 0:
        r.error(f"taxonomies.{name}.paginate", "不能是负数", "0 表示不分页")
    return TaxonomySettings(
        name=name,
        title=raw.get("title", name),
        url=url if url.endswith("/") else url + "/",
        paginate=max(paginate, 0),
    )


def _collection(name: str, value: Any, r: TableReader) -> CollectionSettings:
    where = f"collections.{name}"
    raw = r.table(value, where, _COLLECTION)
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        r.error(where, f'集合名 "{name}" 只能用小写英文字母、数字、- 和 _', "例如 projects")
    url = raw.get("url", f"/{name}/{{slug}}/")
    if "{slug}" not in url or not url.startswith("/"):
        r.error(f"{where}.url", "网址格式应当以 / 开头并包含 {slug}", f'例如 url = "/{name}/{{slug}}/"')
    fields = tuple(
        read_field(f"{where}.fields.{fname}", fname, spec, r) for fname, spec in raw.get("fields", {}).items()
    )
    title_field = raw.get("title_field", "title")
    if fields and title_field not in {f.name for f in fields}:
        r.error(
            f"{where}.title_field", f'字段 "{title_field}" 没有在 fields 里声明', "声明它或改 title_field"
        )
    paginate = raw.get("paginate", 0)
    if paginate < 0:
        r.error(f"{where}.paginate", "不能是负数", "0 表示不分页")
    return CollectionSettings(
        name=name,
        title=raw.get("title", name),
        folder=raw.get("folder", name),
        url=url,
        template=raw.get("template", "page.html"),
        list_url=raw.get("list_url", f"/{name}/"),
        list_template=raw.get("list_template", "list.html"),
        paginate=paginate,
        sort=raw.get("sort", "slug"),
        title_field=title_field,
        neighbours_by=raw.get("neighbours_by", ""),
        fields=fields,
        related_by=tuple(str(name) for name in raw.get("related_by", [])),
    )


def read_field(where: str, name: str, spec: Any, r: TableReader) -> FieldSpec:
    """One field declaration: a collection's in site.toml, or a data file's in a theme's data.toml."""
    raw = r.table(spec, where, _FIELD)
    ftype = raw.get("type", "string")
    if ftype not in FIELD_TYPES:
        r.error(
            where,
            f'未知的字段类型 "{ftype}"',
            did_you_mean(ftype, FIELD_TYPES) or f"可选：{', '.join(FIELD_TYPES)}",
        )
    if name in RESERVED_KEYS:
        r.error(where, f'"{name}" 是保留字段名', f"换一个名字；保留的有 {', '.join(sorted(RESERVED_KEYS))}")
    if ftype == "enum" and not raw.get("values"):
        r.error(where, "enum 字段需要 values 列表", 'values = ["甲", "乙"]')
    if ftype == "ref" and not raw.get("collection"):
        r.error(where, "ref 字段需要 collection", 'collection = "zones"')
    return FieldSpec(
        name=name,
        type=ftype,
        required=raw.get("required", False),
        values=tuple(str(v) for v in raw.get("values", [])),
        collection=raw.get("collection", ""),
        multiple=raw.get("multiple", False),
        taxonomy=raw.get("taxonomy", ""),
        default=raw.get("default"),
    )


def _check_links(
    collections: tuple[CollectionSettings, ...], taxonomies: tuple[TaxonomySettings, ...], r: TableReader
) -> None:
    """Refs must name a declared collection and taxonomy options a declared taxonomy."""
    names = {c.name for c in collections}
    tax = {t.name for t in taxonomies}
    for c in collections:
        for f in c.fields:
            where = f"collections.{c.name}.fields.{f.name}"
            if f.type == "ref" and f.collection and f.collection not in names:
                r.error(where, f'引用的集合 "{f.collection}" 没有声明', did_you_mean(f.collection, names))
            if f.taxonomy and f.taxonomy not in tax:
                r.error(
                    where, f'分类 "{f.taxonomy}" 没有在 [taxonomies] 里声明', did_you_mean(f.taxonomy, tax)
                )
            if f.taxonomy and f.type not in ("string", "enum", "list"):
                r.error(where, "只有 string、enum、list 字段可以做分类", "去掉 taxonomy 或改类型")
        if c.neighbours_by and c.neighbours_by not in {f.name for f in c.fields}:
            r.error(
                f"collections.{c.name}.neighbours_by",
                f'字段 "{c.neighbours_by}" 不存在',
                "写一个已声明的字段",
            )
        for name in c.related_by:
            spec = c.field(name)
            if spec is None or spec.type in ("list", "gallery", "image", "text") or spec.multiple:
                r.error(
                    f"collections.{c.name}.related_by",
                    f'字段 "{name}" 不存在或不能用来找相关条目',
                    "写已声明的单值字段，例如 zone 或 industry（不能是列表、图片或长文本）",
                )
        sort_key = c.sort.lstrip("-")
        if sort_key not in ("slug", "title", "weight") and c.field(sort_key) is None:
            r.error(
                f"collections.{c.name}.sort", f'排序字段 "{sort_key}" 不存在', "写一个已声明的字段，或 slug"
            )
