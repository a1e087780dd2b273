"""Find record files, parse them with line numbers, and check every field against its collection's spec.

Three layouts load the same way: ``<slug>.md`` (front matter + Markdown), ``<slug>/index.md`` (a bundle with
its images beside it) and ``<slug>.yaml`` (all fields, optional ``body``). Nothing here raises for an
editor's mistake: each function returns what it could load plus the problems it found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yunzhan import datafiles, placeholders, workers
from yunzhan.config import CollectionSettings, SiteConfig
from yunzhan.errors import Problem
from yunzhan.fields import MAX_INT, check_fields, reserved_bool
from yunzhan.folders import Listing, list_folder
from yunzhan.frontmatter import not_fields_problem, parse_yaml, split_front_matter
from yunzhan.model import Record
from yunzhan.pasted import decode_text
from yunzhan.slugs import RESERVED_NAMES, file_name_problem, is_valid_slug, slug_problem, slugify

MAX_FILE_BYTES = 2 * 1024 * 1024  # a record larger than this is a paste accident, not content


@dataclass
class LoadedContent:
    records: list[Record] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)  # every file read, for incremental rebuilds
    memo_changed: bool = False  # the parse memo given to load_content gained, replaced or dropped entries
    # with a memo: each record's source → the memo's record it is a copy of (what the build then fills in is
    # what differs from it)
    originals: dict[str, Record] = field(default_factory=dict)


ParseMemo = MutableMapping[Path, tuple[Any, Record | None, list[Problem]]]
"""Record files already parsed (kept by ``serve`` in memory, by ``build`` in its cache): file → (file identity —
size, times, inode — and settings, the record as loaded, its problems). The record is copied out, never handed
over: later stages fill it in."""


def _is_empty(text: str) -> bool:
    """Nothing but blank lines, ``---``/``...`` and ``%YAML`` directives: a file made and not yet filled.
    Runs for every record, so only the first lines are split off; an empty file has no more."""
    head = text.split("\n", 64)
    rest = head.pop() if len(head) > 64 else ""
    lines = (x.strip() for x in head)
    return not rest.strip() and all(not s or s in ("---", "...") or s.startswith("%") for s in lines)


def _empty_problem(rel: str, collection: CollectionSettings) -> Problem:
    """A new file is a record being started: say which fields it needs, rather than three missing-field errors."""
    required = [f.name for f in collection.fields if f.required] or [collection.title_field]
    if rel.endswith(".md"):
        how = f"第一行写 ---，接着每行写一个字段（必填的有 {'、'.join(required)}），再写一行 ---，下面写正文"
    else:
        how = f"每行写一个字段，例如 {required[0]}: …（必填的有 {'、'.join(required)}）"
    return Problem(rel, 1, None, "这个文件是空的", f"{how}；用不上的话就删掉这个文件")


def load_content(
    site_dir: Path,
    config: SiteConfig,
    *,
    drafts: bool = False,
    memo: ParseMemo | None = None,
    listing: Callable[[Path, Path], Listing] | None = None,
    known: Mapping[str, FileKey] | None = None,
) -> LoadedContent:
    """Load every record of every declared collection plus ``content/data/*.yaml``. With ``memo``, a record
    file whose size, times and inode are as before is not parsed again; the memo is left holding exactly the
    files seen. ``listing``: ``list_folder``, or one that keeps listings (a long-lived process's). ``known``:
    files' identities read moments ago (the build stamp's walk, by path), not read again."""
    list_files = listing or list_folder
    out = LoadedContent()
    content_dir = site_dir / "content"
    if not content_dir.is_dir():
        out.problems.append(
            Problem("content", None, None, "找不到 content 文件夹", "在网站文件夹里建一个 content/")
        )
        return out
    verdicts: dict[tuple[int, int], tuple[object, bool]] = {}  # remembered settings == today's, compared once
    listed = [list_files(content_dir / c.folder, site_dir) for c in config.collections]
    identities: list[FileKey | None] = []  # each file's, in the order of ``listed`` (no lookup by path)
    if memo is not None:
        every = [
            (file, c) for c, (files, _) in zip(config.collections, listed, strict=True) for file in files
        ]
        known = known or {}
        identities = [known.get(str(file)) or _file_key(file) for file, _ in every]
        out.memo_changed |= _parse_ahead(every, identities, site_dir, memo)
    identity = iter(identities)
    for collection, (files, strays) in zip(config.collections, listed, strict=True):
        out.problems += strays
        for file in files:
            out.sources.append(file)
            if memo is None:
                record = load_record(file, site_dir, collection, out.problems)
            else:
                record, original, parsed = _load_remembered(
                    file, next(identity), site_dir, collection, out.problems, memo, verdicts
                )
                out.memo_changed |= parsed
                if record is not None and original is not None:
                    out.originals[record.source] = original
            if record is not None and (drafts or not record.draft):
                out.records.append(record)
    data_dir = content_dir / "data"
    if data_dir.is_dir():
        shapes, problems = datafiles.load_shapes(site_dir, config)
        out.problems.extend(problems)
        for file in sorted(data_dir.glob("*.y*ml")):
            out.sources.append(file)
            rel = file.relative_to(site_dir).as_posix()
            text = _read_text(file, rel, out.problems)
            if text is not None:
                value, lines, problems = parse_yaml(text, rel)
                out.problems.extend(problems)
                if value is not None:
                    out.data[file.stem] = value
                    where = datafiles.DataFile(rel, lines, data_dir, site_dir, check_fields)
                    out.problems += datafiles.check_data(shapes.get(file.stem), value, where)
    if memo is not None and len(memo) > len(out.sources):
        seen = set(out.sources)
        for gone in [path for path in memo if path not in seen]:
            del memo[gone]
        out.memo_changed = True
    _check_duplicate_slugs(out.records, out.problems)
    return out


def _parse_ahead(
    found: list[tuple[Path, CollectionSettings]],
    identities: list[FileKey | None],
    site_dir: Path,
    memo: ParseMemo,
) -> bool:
    """Parse the files the memo has no entry for, or an entry of another version of the file, together (in
    forked processes when there are many: a first build of 10,000 records), and put them into the memo for
    ``_load_remembered`` to find. True when any was."""
    wanted: list[tuple[Path, CollectionSettings, FileKey]] = []
    for (file, collection), key in zip(found, identities, strict=True):
        known = memo.get(file)
        if key is not None and (known is None or known[0][:4] != key):
            wanted.append((file, collection, key))
    slugs = name_slugs(file for file, _, _ in wanted)
    for (file, collection, key), (record, problems) in zip(
        wanted, workers.fork_map(_parse, (wanted, site_dir, slugs), len(wanted)), strict=True
    ):
        memo[file] = ((*key, collection), record, problems)
    return bool(wanted)


def _parse(
    state: tuple[list[tuple[Path, CollectionSettings, FileKey]], Path, dict[str, str]], i: int
) -> tuple[Record | None, list[Problem]]:
    """One file of ``_parse_ahead`` (module level: ``fork_map`` runs it)."""
    wanted, site_dir, slugs = state
    file, collection, _ = wanted[i]
    problems: list[Problem] = []
    return load_record(file, site_dir, collection, problems, slugs), problems


FileKey = tuple[int, int, int, int]  # size, modification and change times (ns), inode


def _file_key(file: Path) -> FileKey | None:
    try:
        st = file.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _load_remembered(
    file: Path,
    identity: FileKey | None,
    site_dir: Path,
    collection: CollectionSettings,
    problems: list[Problem],
    memo: ParseMemo,
    verdicts: dict[tuple[int, int], tuple[object, bool]],
) -> tuple[Record | None, Record | None, bool]:
    """The record (a copy of the remembered one when the file is as it was), the remembered one it copies, and
    whether it was parsed now.
    ``verdicts``: whether each remembered settings object equals ``collection`` (the object is kept with it, so
    its id stays its own): thousands of records share one, and comparing two is slow."""
    if identity is None:
        return load_record(file, site_dir, collection, problems), None, False
    key = (*identity, collection)
    known = memo.get(file)
    if known is not None and (settings := known[0][4]) is not collection:
        verdict = verdicts.get((id(settings), id(collection)))
        if verdict is None:
            verdict = verdicts[id(settings), id(collection)] = (settings, settings == collection)
        if verdict[1]:
            known = memo[file] = ((*known[0][:4], collection), known[1], known[2])
    parsed = known is None or known[0] != key
    if parsed:
        found: list[Problem] = []
        known = memo[file] = (key, load_record(file, site_dir, collection, found), found)
    problems.extend(known[2])
    record = known[1]
    if record is None:
        return None, None, parsed
    return _copy(record), record, parsed


def _copy(record: Record) -> Record:
    """A copy to build with (the build fills its fields and back-references): ``dataclasses.replace`` runs
    ``__init__``, five times slower, for every record of every build."""
    copy = object.__new__(Record)
    copy.__dict__.update(record.__dict__)
    copy.fields, copy.backrefs = dict(record.fields), {}
    return copy


def _read_text(file: Path, rel: str, problems: list[Problem]) -> str | None:
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            problems.append(
                Problem(rel, None, None, "文件太大（超过 2 MB）", "正文是否误粘贴了图片或整篇网页？")
            )
            return None
        data = file.read_bytes()
    except OSError as exc:
        problems.append(Problem(rel, None, None, f"无法读取文件：{exc.strerror}", "检查文件权限"))
        return None
    text, problem = decode_text(data, rel)
    if problem is not None:
        problems.append(problem)
    return None if text is None else text.replace("\r\n", "\n")


def load_record(
    file: Path,
    site_dir: Path,
    collection: CollectionSettings,
    problems: list[Problem],
    stem_slugs: Mapping[str, str] | None = None,
) -> Record | None:
    """Parse one record file and check its fields; None when it cannot be used at all. ``stem_slugs``: the
    slugs of file names that are not slugs themselves (``name_slugs``), made elsewhere."""
    rel = file.relative_to(site_dir).as_posix()
    text = _read_text(file, rel, problems)
    if text is None:
        return None
    if _is_empty(text):
        problems.append(_empty_problem(rel, collection))
        return None
    if file.suffix == ".md":
        front, body, body_line, split_problems = split_front_matter(text, rel)
        problems.extend(split_problems)
        if split_problems and not front.strip():
            return None
        data, lines, yaml_problems = parse_yaml(front, rel, line_offset=1)
    else:
        front, body, body_line = text, "", 1
        data, lines, yaml_problems = parse_yaml(front, rel)
    problems.extend(yaml_problems)
    if data is None and yaml_problems:
        return None
    if not isinstance(data, dict):
        problems.append(not_fields_problem(front, rel, 1 if file.suffix == ".md" else 0))
        return None
    if file.suffix != ".md" and "body" in data:
        if not isinstance(data["body"], str):
            problems.append(
                Problem(rel, lines.get("body"), "body", "正文应当是文字", "用 body: | 然后缩进写正文")
            )
        else:
            body, body_line = data["body"], lines.get("body", 1) + 1
    problems.extend(placeholders.unreplaced(body, body_line, rel))
    record = Record(
        collection=collection.name, slug="", source=rel, lines=lines, raw_body=body, body_line=body_line
    )
    record.slug = _slug(_stem(file), data, rel, lines, problems, stem_slugs or {})
    record.draft = reserved_bool(data, "draft", rel, lines, problems)
    weight = data.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int) or abs(weight) > MAX_INT:
        problems.append(Problem(rel, lines.get("weight"), "weight", "weight 应当是整数", "例如 weight: 10"))
    else:
        record.weight = weight
    record.review = data.get("review")  # signatures of the [review] stages, checked by review.py
    record.fields = check_fields(data, collection, file.parent, site_dir, rel, lines, problems)
    title = record.fields.get(collection.title_field)
    record.title = str(title) if title else record.slug
    return record


def _stem(file: Path) -> str:
    """What a record's slug is made of when it has no ``slug:``: its file's name, or its bundle folder's."""
    return file.parent.name if file.stem == "index" else file.stem


def name_slugs(files: Iterable[Path]) -> dict[str, str]:
    """The slugs of the files' names that are not slugs themselves (``苏绣针法图谱.md``), made in a forked
    child: spelling Chinese in pinyin loads pypinyin's tables (55 MB), which this process would then hold to
    the end of the build."""
    names = sorted({stem for stem in map(_stem, files) if not is_valid_slug(stem)})
    return dict(zip(names, workers.apart(_stem_slug, names, len(names)), strict=True))


def _stem_slug(names: list[str], i: int) -> str:
    return slugify(names[i])


def _slug(
    stem: str,
    data: dict[str, Any],
    rel: str,
    lines: dict[str, int],
    problems: list[Problem],
    stem_slugs: Mapping[str, str],
) -> str:
    for part in rel.split("/"):  # a name Windows cannot store: the site could not be copied there
        if found := file_name_problem(part):
            problems.append(Problem(rel, None, None, *found))
            break
    if "slug" in data:
        slug = data["slug"]
        if isinstance(slug, str) and is_valid_slug(slug):
            if (unsafe := slug_problem(slug)) is None:
                return slug
            why, instead = unsafe
            problems.append(
                Problem(rel, lines.get("slug"), "slug", f"“{slug}”{why}", f"换一个，例如 slug: {instead}")
            )
        else:
            problems.append(
                Problem(
                    rel,
                    lines.get("slug"),
                    "slug",
                    f"slug {slug!r} 只能用小写英文字母、数字和 -",
                    "例如 slug: tianlong-2",
                )
            )
    if is_valid_slug(stem):
        if stem not in RESERVED_NAMES and (
            unsafe := slug_problem(stem)
        ):  # (a reserved one is told just above)
            why, instead = unsafe
            hint = f"把文件名改短，例如 {instead}.md，或在开头写 slug: {instead}"
            problems.append(Problem(rel, None, None, f"文件名 “{stem}”{why}", hint))
        return stem
    slug = stem_slugs[stem] if stem in stem_slugs else slugify(stem)
    if not slug:
        problems.append(
            Problem(rel, None, "slug", "无法从文件名生成网址", "给文件起一个含字母或汉字的名字，或写 slug:")
        )
    return slug or "untitled"


def _check_duplicate_slugs(records: list[Record], problems: list[Problem]) -> None:
    """One error per repeated slug, on the file that repeats it (the one whose ``slug:`` line says so, else the
    later file), at its ``slug:`` line or its first field; that record is dropped, so that no page collision
    reports the same mistake again."""
    first: dict[tuple[str, str], Record] = {}
    dropped: set[int] = set()
    for record in records:
        key = (record.collection, record.slug)
        earlier = first.setdefault(key, record)
        if earlier is record:
            continue
        if "slug" in earlier.lines and "slug" not in record.lines:
            first[key], earlier, record = record, record, earlier  # the written slug is the one to change
        dropped.add(id(record))
        written = "slug" in record.lines
        line = record.lines["slug"] if written else min(record.lines.values(), default=1)
        what = f"写的网址名 {record.slug}" if written else f"由文件名生成的网址名 {record.slug}"
        problems.append(
            Problem(
                record.source,
                line,
                "slug",
                f"{what} 和 {earlier.source} 的网址重复，两个条目不能用同一个网址",
                f"换一个 slug，例如 slug: {record.slug}-2"
                if written
                else f"改这个文件的文件名，或者加一行 slug: {record.slug}-2",
            )
        )
    records[:] = [record for record in records if id(record) not in dropped]
