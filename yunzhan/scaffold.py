"""``python build.py new COLLECTION "标题" [--field value ...]``: start a record file from the collection's spec.

The new file has the title and the given fields filled in, every other required field as a placeholder that the
build flags until it is replaced (an empty value with a note, or an impossible value such as ``YYYY-MM-DD``),
optional fields as commented-out examples, and a body from the collection's archetype:
``<site>/archetypes/<collection>.md`` or the theme's ``archetypes/<collection>.md``, whose hints start with
``placeholders.MARK`` so that the build flags them too. With ``--bundle`` the record is a folder,
``<slug>/index.md``, with its photos beside it.

Editor mistakes (unknown collection or field, a value the spec refuses, a file that already exists) raise
``YunzhanError`` with plain-Chinese problems; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yunzhan.command import command_name
from yunzhan.config import CollectionSettings, SiteConfig
from yunzhan.errors import Problem, YunzhanError, did_you_mean
from yunzhan.folders import RECORD_SUFFIXES
from yunzhan.frontmatter import split_front_matter
from yunzhan.placeholders import DEFAULT_BODY
from yunzhan.scaffoldlines import example_lines, placeholder_lines, yaml_line
from yunzhan.scaffoldvalues import given_values
from yunzhan.slugs import is_valid_slug, slugify

MAX_SLUG_CHARS = 60


def parse_field_args(tokens: Sequence[str]) -> dict[str, str]:
    """``["--zone", "gusu", "--date=2024-05-01"]`` → ``{"zone": "gusu", "date": "2024-05-01"}``."""
    fields: dict[str, str] = {}
    problems: list[Problem] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("--") or len(token) < 3:
            problems.append(
                Problem(
                    "命令行",
                    None,
                    None,
                    f"看不懂 “{token}”",
                    '字段要写成 --字段名 值，例如 --zone gusu；标题里有空格时用引号括起来："标题 文字"',
                )
            )
            i += 1
            continue
        name, eq, value = token[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens) or tokens[i + 1].startswith("--"):
                problems.append(
                    Problem(token, None, None, "后面缺少值", f"写成 {token} 值，例如 --zone gusu")
                )
                i += 1
                continue
            value = tokens[i + 1]
            i += 1
        i += 1
        if name in fields:
            problems.append(Problem(f"--{name}", None, None, "写了两次", "只保留一个"))
        fields[name] = value
    if problems:
        raise YunzhanError(problems)
    return fields


def find_collection(config: SiteConfig, name: str) -> CollectionSettings:
    """A collection by its name (``projects``) or display title (``创新成果``); an error with did-you-mean."""
    found = config.collection(name) or next((c for c in config.collections if c.title == name), None)
    if found is not None:
        return found
    names = [c.name for c in config.collections]
    choices = "、".join(f"{c.name}（{c.title}）" for c in config.collections)
    hint = did_you_mean(name, names + [c.title for c in config.collections])
    raise YunzhanError([Problem("栏目", None, None, f'没有名为 "{name}" 的栏目', f"{hint}可选：{choices}")])


def new_record(
    site_dir: Path,
    config: SiteConfig,
    collection: str,
    title: str,
    fields: dict[str, str] | None = None,
    *,
    bundle: bool = False,
) -> Path:
    """Create ``content/<folder>/<slug>.md`` (with ``bundle``: ``<slug>/index.md``, a folder for its photos; one
    that already holds photos is fine) and return its path; raise YunzhanError for an editor mistake."""
    settings = find_collection(config, collection)
    fields = dict(fields or {})
    title = title.strip()
    if not title:
        raise YunzhanError(
            [Problem("标题", None, None, "标题不能是空的", f'例如 {command_name()} new projects "火箭模型"')]
        )
    values = given_values(site_dir, config, settings, title, fields)
    slug = _slug(title, fields)
    folder = site_dir / "content" / settings.folder
    _refuse_existing(site_dir, folder, slug)
    text = render_record(site_dir, config, settings, values)
    path = folder / slug / "index.md" if bundle else folder / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        _refuse_existing(site_dir, folder, slug)
        raise
    except OSError as exc:
        rel = path.relative_to(site_dir).as_posix()
        raise YunzhanError(
            [Problem(rel, None, None, f"无法写入文件：{exc.strerror}", "检查文件夹权限")]
        ) from None
    return path


def render_record(
    site_dir: Path, config: SiteConfig, settings: CollectionSettings, values: dict[str, Any]
) -> str:
    """The text of a new record: front matter (given values, placeholders, commented examples) and a body."""
    lines = ["---"]
    for key in ("draft", "weight"):
        if key in values:
            lines.append(yaml_line(key, values[key]))
    specs = list(settings.fields)
    title_spec = settings.field(settings.title_field)
    if title_spec is None:  # a collection without declared fields still gets its title
        lines.append(yaml_line(settings.title_field, values[settings.title_field]))
    else:  # the title first, the rest in declared order
        specs.remove(title_spec)
        specs.insert(0, title_spec)
    for spec in specs:
        if spec.name in values:
            lines.append(yaml_line(spec.name, values[spec.name], spec))
        elif spec.default is not None:
            lines.append(f"# {yaml_line(spec.name, spec.default)}   # 可选，不写就是这个值")
        elif spec.required:
            lines.extend(placeholder_lines(site_dir, config, spec))
        else:
            lines.extend(example_lines(site_dir, config, spec))
    lines.append("---")
    return "\n".join(lines) + "\n" + archetype_body(site_dir, config, settings.name)


def photo_fields(config: SiteConfig, collection: str) -> list[str]:
    """The fields of a collection that name photos (``cover``, ``gallery``): where a bundle's photos go."""
    settings = find_collection(config, collection)
    return [spec.name for spec in settings.fields if spec.type in ("image", "gallery")]


def archetype_body(site_dir: Path, config: SiteConfig, collection: str) -> str:
    """The body of the collection's archetype (the site's own first, then the theme's), or a short default."""
    for path in archetype_paths(site_dir, config, collection):
        if not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError) as exc:
            rel = path.relative_to(site_dir).as_posix() if path.is_relative_to(site_dir) else str(path)
            raise YunzhanError(
                [Problem(rel, None, None, f"无法读取模板文件：{exc}", "确认它是 UTF-8 编码的文本文件")]
            ) from None
        if text.startswith("---"):
            _, text, _, _ = split_front_matter(text, path.name)
        return text.lstrip("\n") if text.strip() else DEFAULT_BODY
    return DEFAULT_BODY


def archetype_paths(site_dir: Path, config: SiteConfig, collection: str) -> list[Path]:
    from yunzhan.render import theme_dirs

    theme = theme_dirs(site_dir, config)[1].parent
    return [site_dir / "archetypes" / f"{collection}.md", theme / "archetypes" / f"{collection}.md"]


def _slug(title: str, fields: dict[str, str]) -> str:
    if "slug" in fields:
        return fields["slug"]
    slug = slugify(title)
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug[: MAX_SLUG_CHARS + 1].rsplit("-", 1)[0]
        slug = cut or slug[:MAX_SLUG_CHARS]
    if not slug:
        raise YunzhanError(
            [
                Problem(
                    "标题",
                    None,
                    None,
                    f"无法从标题 “{title}” 生成文件名",
                    "标题里至少要有汉字、字母或数字；也可以用 --slug 指定文件名，例如 --slug tianlong-2",
                )
            ]
        )
    return slug


def _refuse_existing(site_dir: Path, folder: Path, slug: str) -> None:
    """No overwriting: not ``<slug>.md/.yaml/.yml``, not a bundle, not another file whose name gives the same slug."""
    candidates = [folder / f"{slug}{suffix}" for suffix in RECORD_SUFFIXES]
    candidates += [folder / slug / "index.md", folder / slug / "index.yaml"]
    clash = next((p for p in candidates if p.exists()), None)
    if clash is None and folder.is_dir():
        for entry in sorted(folder.iterdir()):
            stem = entry.stem if entry.is_file() and entry.suffix in RECORD_SUFFIXES else entry.name
            if entry.is_file() and entry.suffix not in RECORD_SUFFIXES:
                continue
            if not is_valid_slug(stem) and slugify(stem) == slug:
                clash = entry
                break
    if clash is not None:
        rel = clash.relative_to(site_dir).as_posix()
        raise YunzhanError(
            [
                Problem(
                    rel,
                    None,
                    None,
                    "这个条目已经存在，没有新建也没有覆盖",
                    f"直接打开它修改；如果确实是另一个条目（例如同名的另一位工匠），在命令后面加 --slug {slug}-2，用另一个文件名",
                )
            ]
        )
