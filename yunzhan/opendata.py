"""Open data: every public field of every published record, as ``data/records.json`` (all collections) and
``data/<collection>.csv`` (UTF-8 with BOM, for Excel).

Made in two steps, each a plain function of its inputs: a record's lines (``record_lines``: its JSON line and
its CSV line, made of ``inputs`` alone), then the files around them (``open_data_files``, or
``open_data_pieces`` to write them without holding them whole). A build that keeps
each record's lines between builds makes the lines of the records that changed and assembles the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from yunzhan.config import CollectionSettings, SiteConfig
from yunzhan.htmltext import plain_text
from yunzhan.model import Audio, GalleryItem, Image, Record

OPEN_DATA_JSON = "data/records.json"
OPEN_DATA_CSV = "data/{collection}.csv"
LIST_SEPARATOR = "|"  # between the items of a list inside one CSV cell

Lines = tuple[bytes, bytes]  # a record's line of records.json and of its CSV file, as UTF-8
L = TypeVar("L")  # what stands for a line in ``open_data_pieces``: its bytes, or whatever the caller resolves


def is_private(field_name: str) -> bool:
    """Fields whose name starts with ``_`` are internal notes: they are never published as data."""
    return field_name.startswith("_")


def _image(image: Image, config: SiteConfig) -> dict[str, Any]:
    return {
        "url": config.absolute_url(image.large or image.src),
        "alt": image.alt,
        "width": image.width,
        "height": image.height,
        **({"video": config.absolute_url(image.video.src)} if image.video else {}),  # media: a video's poster
    }


def _value(value: Any, config: SiteConfig) -> Any:
    """One field as JSON: refs → slugs, images → absolute URLs, text → plain text, dates → ISO 8601."""
    if isinstance(value, Record):
        return value.slug
    if isinstance(value, Image):
        return _image(value, config)
    if isinstance(value, Audio):  # media: an audio guide
        return {"url": config.absolute_url(value.src), "transcript": plain_text(value.transcript)}
    if isinstance(value, GalleryItem):
        return {**_image(value.image, config), "caption": value.caption, "credit": value.credit}
    if isinstance(value, list | tuple):
        return [_value(v, config) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "__html__"):
        return plain_text(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def inputs(record: Record, config: SiteConfig) -> tuple[str, str, str | None, tuple[Any, ...], str]:
    """Everything a record's open data lines read of it (``record_data`` reads nothing else): a key made of
    these cannot miss a change. (slug, path, title unless a field holds it, its public fields by name, body
    HTML.) A referenced record is here by its slug, all its lines show of it."""
    return (*_inputs_but_body(record, config), record.body)


def _inputs_but_body(record: Record, config: SiteConfig) -> tuple[str, str, str | None, tuple[Any, ...]]:
    settings = config.collection(record.collection)
    names = [f.name for f in settings.fields] if settings else sorted(record.fields)
    title = record.title if "title" not in names else None
    values = tuple((name, _named(record.fields.get(name))) for name in names if not is_private(name))
    return record.slug, record.path, title, values


def _named(value: Any) -> Any:
    """A referenced record → its slug (its lines name it by slug, and its other fields are not read)."""
    if isinstance(value, Record):
        return value.slug
    if isinstance(value, list):
        return [_named(v) for v in value]
    return value


def record_data(record: Record, config: SiteConfig, body_text: str | None = None) -> dict[str, Any]:
    """The public fields of one record, in the order site.toml declares them, plus slug, URL and body text
    (made of ``inputs`` alone). ``body_text``: ``plain_text`` of the body, when the caller has it (the search
    index reads it too): the body is not read."""
    slug, path, title, values = _inputs_but_body(record, config)
    data: dict[str, Any] = {"slug": slug, "url": config.absolute_url(path)}
    if title is not None:
        data["title"] = title
    for name, value in values:
        data[name] = _value(value, config)
    data["body"] = plain_text(record.body) if body_text is None else body_text
    return data


def columns(settings: CollectionSettings) -> list[str]:
    """The CSV columns of a collection: slug, URL, title (unless a field holds it), public fields, body."""
    names = ["slug", "url"] + (["title"] if settings.field("title") is None else [])
    return names + [f.name for f in settings.fields if not is_private(f.name)] + ["body"]


def record_lines(record: Record, config: SiteConfig, body_text: str | None = None) -> Lines:
    """The record's line of ``records.json`` and its line of its collection's CSV file, as UTF-8
    (``body_text``: see ``record_data``)."""
    settings = config.collection(record.collection)
    assert settings is not None
    row = record_data(record, config, body_text)
    cells = [_cell(row.get(c)) for c in columns(settings)]
    return json.dumps(row, ensure_ascii=False).encode(), _csv_line(cells).encode()


def open_data(grouped: Mapping[str, list[Record]], config: SiteConfig) -> dict[str, bytes]:
    """``data/records.json`` and ``data/<collection>.csv`` of the published (not draft) records."""
    lines = {
        c.name: [record_lines(r, config) for r in grouped.get(c.name, []) if not r.draft]
        for c in config.collections
    }
    return open_data_files(config, lines)


def open_data_files(config: SiteConfig, lines: Mapping[str, Iterable[Lines]]) -> dict[str, bytes]:
    """The open data files around the records' ``lines`` (``record_lines``, collection by collection, in order)."""
    pieces: dict[str, Iterator[bytes]] = open_data_pieces(config, lines)
    return {rel: b"".join(made) for rel, made in pieces.items()}


def open_data_pieces(
    config: SiteConfig, lines: Mapping[str, Iterable[tuple[L, L]]]
) -> dict[str, Iterator[bytes | L]]:
    """``open_data_files`` piece by piece, made as they are read (at 10,000 records the files come to 85 MB:
    they need never be whole in memory). Each collection's ``lines`` is read twice: for its CSV and the JSON.
    A line is placed as it is given, the pieces around it are bytes: a caller may give a stand-in for each
    line (its lines are elsewhere, or in the file the last build wrote) and resolve it as it writes.

    ``records.json`` is ``{"site": …, "collections": {name: {"title": …, "records": [row, …]}}}`` with one
    record a line: a diff of two builds shows the records that changed, and json's C encoder makes each line
    (``indent`` would make json use its pure-Python one: seconds at 10,000 records)."""
    files: dict[str, Iterator[bytes | L]] = {
        OPEN_DATA_CSV.format(collection=c.name): _csv_pieces(c, lines.get(c.name, ()))
        for c in config.collections
    }
    files[OPEN_DATA_JSON] = _json_pieces(config, lines)
    return dict(sorted(files.items()))


def _csv_pieces(settings: CollectionSettings, mine: Iterable[tuple[L, L]]) -> Iterator[bytes | L]:
    yield ("\ufeff" + _csv_line(columns(settings))).encode()
    for _, csv_line in mine:
        yield csv_line


def _json_pieces(config: SiteConfig, lines: Mapping[str, Iterable[tuple[L, L]]]) -> Iterator[bytes | L]:
    site = {"title": config.title, "url": config.base_url, "description": config.description}
    yield b'{"site": ' + _dumps(site) + b',\n "collections": {\n'
    for n, settings in enumerate(config.collections):
        yield b"  " + _dumps(settings.name) + b': {"title": ' + _dumps(settings.title) + b', "records": [\n'
        separator = b"   "
        for row, _ in lines.get(settings.name, ()):
            yield separator
            yield row
            separator = b",\n   "
        if separator != b"   ":
            yield b"\n"
        yield b"  ]}" + (b"," if n < len(config.collections) - 1 else b"") + b"\n"
    yield b" }\n}\n"


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def open_data_links(config: SiteConfig) -> list[dict[str, str]]:
    """Titles and prefixed URLs of the open data files, for the about page."""
    links = [{"title": "全部数据（JSON）", "url": config.base_path + OPEN_DATA_JSON}]
    for c in config.collections:
        links.append(
            {"title": f"{c.title}（CSV）", "url": config.base_path + OPEN_DATA_CSV.format(collection=c.name)}
        )
    return links


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("url", ""))
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_cell(v) for v in value)
    text = str(value)
    # A cell starting with = + @ is run as a formula by spreadsheet programs: keep it text.
    return "'" + text if text[:1] in ("=", "+", "@", "\t", "\r") else text
