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

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from yunzhan.command import command_name
from yunzhan.config import RESERVED_KEYS, CollectionSettings, FieldSpec, SiteConfig
from yunzhan.content import RECORD_SUFFIXES, load_record, record_files
from yunzhan.errors import Problem, YunzhanError, did_you_mean
from yunzhan.fields import check_fields, split_names
from yunzhan.frontmatter import parse_yaml, split_front_matter
from yunzhan.ignored import is_ignored_name
from yunzhan.placeholders import DEFAULT_BODY
from yunzhan.references import RecordNames
from yunzhan.slugs import is_valid_slug, slugify

MAX_SLUG_CHARS = 60
_TRUE = {"true", "yes", "y", "1", "是", "对"}
_FALSE = {"false", "no", "n", "0", "否", "不"}


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
    values = _given_values(site_dir, config, settings, title, fields)
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
            lines.append(_yaml_line(key, values[key]))
    specs = list(settings.fields)
    title_spec = settings.field(settings.title_field)
    if title_spec is None:  # a collection without declared fields still gets its title
        lines.append(_yaml_line(settings.title_field, values[settings.title_field]))
    else:  # the title first, the rest in declared order
        specs.remove(title_spec)
        specs.insert(0, title_spec)
    for spec in specs:
        if spec.name in values:
            lines.append(_yaml_line(spec.name, values[spec.name], spec))
        elif spec.default is not None:
            lines.append(f"# {_yaml_line(spec.name, spec.default)}   # 可选，不写就是这个值")
        elif spec.required:
            lines.extend(_placeholder(site_dir, config, spec))
        else:
            lines.extend(_example(site_dir, config, spec))
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


# ---------------------------------------------------------------------------------------------------- values


def _given_values(
    site_dir: Path, config: SiteConfig, settings: CollectionSettings, title: str, fields: dict[str, str]
) -> dict[str, Any]:
    """Check the ``--field value`` pairs against the spec (with the real validator); return YAML-ready values."""
    problems: list[Problem] = []
    known = {f.name for f in settings.fields}
    values: dict[str, Any] = {settings.title_field: title}
    for name, raw in fields.items():
        where = f"--{name}"
        spec = settings.field(name)
        if name == settings.title_field:
            problems.append(Problem(where, None, None, "标题已经写在栏目名后面了", f"去掉 --{name}"))
        elif name == "slug":
            if not is_valid_slug(raw):
                problems.append(
                    Problem(
                        where,
                        None,
                        None,
                        f"文件名 {raw!r} 只能用小写英文字母、数字和 -",
                        "例如 --slug tianlong-2",
                    )
                )
        elif name in ("draft", "weight"):
            value = _bool(raw) if name == "draft" else _int(raw)
            if value is None:
                example = "true 或 false" if name == "draft" else "整数，例如 10"
                problems.append(
                    Problem(where, None, None, f"--{name} 的值 {raw!r} 不对", f"应当是 {example}")
                )
            else:
                values[name] = value
        elif name in RESERVED_KEYS:
            problems.append(
                Problem(where, None, None, "正文不能在命令行里写", "新建后打开文件，在第二个 --- 下面写正文")
            )
        elif spec is None:
            hint = did_you_mean(name, known | {"slug", "draft", "weight"})
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f'“{settings.title}”没有字段 "{name}"',
                    hint or f"可用的字段：{', '.join(f.name for f in settings.fields)}",
                )
            )
        elif spec.type == "gallery":
            problems.append(
                Problem(where, None, None, "图集不能在命令行里写", "新建后打开文件，按里面的示例填写 gallery")
            )
        else:
            value, problem = _value(spec, raw, where)
            if problem:
                problems.append(problem)
            else:
                values[name] = value
    problems += _validate(site_dir, config, settings, values)
    if problems:
        raise YunzhanError(problems)
    return values


def _value(spec: FieldSpec, raw: str, where: str) -> tuple[Any, Problem | None]:
    """A command-line string as the YAML value the field expects (the validator checks the rest)."""
    raw = raw.strip()
    if spec.type == "int":
        value = _int(raw)
        if value is None:
            return None, Problem(where, None, None, f"应当是整数，现在是 {raw!r}", f"例如 --{spec.name} 3")
        return value, None
    if spec.type == "bool":
        flag = _bool(raw)
        if flag is None:
            return None, Problem(
                where, None, None, f"只能是 true 或 false，现在是 {raw!r}", f"例如 --{spec.name} true"
            )
        return flag, None
    if spec.type == "list" or (spec.type == "ref" and spec.multiple):
        return split_names(raw), None
    if spec.type in ("string", "enum", "url", "ref") and "\n" in raw:
        return None, Problem(where, None, None, "只能写一行", "去掉换行")
    return raw, None


def _validate(
    site_dir: Path, config: SiteConfig, settings: CollectionSettings, values: dict[str, Any]
) -> list[Problem]:
    """Run the build's own field checks on the given values; refs must name an existing record."""
    front = "\n".join(_yaml_line(k, v, settings.field(k)) for k, v in values.items())
    data, _, problems = parse_yaml(front, "--")
    if not isinstance(data, dict):  # cannot happen with values we wrote ourselves, but never write junk
        return [Problem("--", None, None, "字段的值无法写成 YAML", "去掉值里的特殊符号后再试")]
    folder = site_dir / "content" / settings.folder
    found: list[Problem] = []
    check_fields(data, settings, folder, site_dir, "--", {}, found)
    given = set(values)
    out = [
        Problem(f"--{p.field.split('[')[0]}" if p.field else "--", None, None, p.message, p.hint)
        for p in [*problems, *found]
        if p.is_error and p.field and p.field.split("[")[0].split(".")[0] in given
    ]
    for name, value in values.items():
        spec = settings.field(name)
        if spec is None or spec.type != "ref":
            continue
        names = _record_names(site_dir, config, spec.collection)
        target = config.collection(spec.collection)
        kind = target.title if target else spec.collection
        for typed in value if isinstance(value, list) else [value]:
            found = names.find(str(typed))
            if isinstance(found, list):  # the build's own words: none, or several, answer to this name
                message, hint = names.explain(str(typed), found, kind)
                out.append(Problem(f"--{name}", None, None, message, hint))
    return out


def _record_names(site_dir: Path, config: SiteConfig, collection: str) -> RecordNames:
    """The names a collection's records answer to in a ref field, as the build resolves them."""
    names = RecordNames()
    settings = config.collection(collection)
    if settings is None:
        return names
    for file in record_files(site_dir / "content" / settings.folder):
        record = load_record(file, site_dir, settings, [])
        if record is not None:
            names.add(record)
    return names


def record_slugs(site_dir: Path, config: SiteConfig, collection: str) -> list[str]:
    """Slugs of a collection's records as their files name them (file or bundle name, or a ``slug:`` line)."""
    settings = config.collection(collection)
    folder = site_dir / "content" / (settings.folder if settings else collection)
    if not folder.is_dir():
        return []
    slugs: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("_") or is_ignored_name(entry.name):
            continue
        if entry.is_file() and entry.suffix in RECORD_SUFFIXES:
            file, stem = entry, entry.stem
        elif entry.is_dir() and (entry / "index.md").is_file():
            file, stem = entry / "index.md", entry.name
        elif entry.is_dir() and (entry / "index.yaml").is_file():
            file, stem = entry / "index.yaml", entry.name
        else:
            continue
        slugs.append(stem if is_valid_slug(stem) else slugify(stem))
        try:
            head = file.read_text(encoding="utf-8-sig", errors="replace")[:4000]
        except OSError:
            continue
        match = re.search(r"^slug:\s*['\"]?([a-z0-9-]+)['\"]?\s*$", head, re.MULTILINE)
        if match:
            slugs.append(match.group(1))
    return slugs


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


def _int(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


def _bool(raw: str) -> bool | None:
    text = raw.strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


# ---------------------------------------------------------------------------------------------------- lines


def _yaml_line(name: str, value: Any, spec: FieldSpec | None = None) -> str:
    """One ``name: value`` line; dates stay unquoted, everything else as safe YAML (quoted when needed)."""
    if spec is not None and spec.type == "date" and isinstance(value, str) and re.fullmatch(r"[\d-]+", value):
        return f"{name}: {value}"
    if isinstance(value, list):
        flow = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6)
        return f"{name}: {flow.strip()}"
    dumped = yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=False, width=10**6)
    return dumped.rstrip("\n")


def _placeholder(site_dir: Path, config: SiteConfig, spec: FieldSpec) -> list[str]:
    """A required field the editor must fill in: each form makes the build report an error on this field."""
    name, note = spec.name, _describe(site_dir, config, spec)
    if spec.type == "enum":
        value = _yaml_line(name, "请选择：" + "/".join(spec.values))
        return [f"{value}   # 必填：只留下其中一个"]
    if spec.type == "date":
        return [f"{name}: YYYY-MM-DD   # 必填：{note}"]
    if spec.type == "int":
        return [f"{name}: 请填写整数   # 必填：{note}"]
    if spec.type == "bool":
        return [f"{name}: 请填写true或false   # 必填：{note}"]
    if spec.type == "url":
        return [f"{name}: 请填写网址   # 必填：{note}"]
    lines = [f"{name}:   # 必填：{note}"]  # empty: "缺少必填字段"
    if spec.type == "gallery":
        lines += _gallery_example()
    return lines


def _example(site_dir: Path, config: SiteConfig, spec: FieldSpec) -> list[str]:
    """An optional field as a commented-out example line."""
    note = _describe(site_dir, config, spec)
    if spec.type == "gallery":
        return [f"# {spec.name}:   # 可选：{note}", *_gallery_example()]
    examples: dict[str, str] = {
        "string": "文字",
        "text": "一段介绍",
        "int": "1",
        "bool": "true",
        "date": "2024-04-29",
        "url": "https://example.org/",
        "list": "[甲, 乙]",
        "image": "封面.jpg",
        "audio": "讲解.mp3",
        "guide": "12",
    }
    if spec.type == "enum":
        example = spec.values[0] if spec.values else ""
    elif spec.type == "ref":
        slugs = record_slugs(site_dir, config, spec.collection)
        first = slugs[0] if slugs else "文件名"
        example = f"[{first}]" if spec.multiple else first
    else:
        example = examples.get(spec.type, "")
    return [f"# {spec.name}: {example}   # 可选：{note}"]


def _gallery_example() -> list[str]:
    return [
        "#   - src: 照片1.jpg",
        "#     alt: 一句话描述照片内容",
        "#     caption: 照片说明",
        "#     credit: 摄影：某某",
    ]


def _describe(site_dir: Path, config: SiteConfig, spec: FieldSpec) -> str:
    if spec.type == "enum":
        return "可选值：" + "、".join(spec.values)
    if spec.type == "ref":
        target = config.collection(spec.collection)
        kind = target.title if target else spec.collection
        slugs = sorted(record_slugs(site_dir, config, spec.collection))[:3]
        example = f"，例如 {'、'.join(slugs)}" if slugs else ""
        many = "，可写多个：[甲, 乙]" if spec.multiple else ""
        return f"请填写{kind}的文件名（不带 .md）{example}{many}"
    return {
        "string": "一行文字",
        "text": "一段文字，可以用 Markdown",
        "int": "整数，例如 1",
        "bool": "true（是）或 false（否）",
        "date": "日期，写成 年-月-日，例如 2024-04-29",
        "url": "以 https:// 开头的网址",
        "list": "列表，写成 [甲, 乙]",
        "image": "图片文件名，相对于本文件，例如 封面.jpg；或写 src: 和 alt: 两行",
        "gallery": "图集，每张图片一项，写法见下面几行",
        "audio": "语音导览的音频（MP3/M4A），讲解词写在同名 .txt 里放在旁边",
        "guide": "导览编号，印在展品标牌上，全站不能重复",
    }.get(spec.type, "")
