"""The ``--field value`` pairs of ``new`` checked before anything is written: against the collection's spec, with
the build's own field checks, refs resolved against the records there are; YAML-ready values, or every problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yunzhan.config import RESERVED_KEYS, CollectionSettings, FieldSpec, SiteConfig
from yunzhan.content import load_record
from yunzhan.errors import Problem, YunzhanError, did_you_mean
from yunzhan.fields import check_fields, split_names
from yunzhan.folders import record_files
from yunzhan.frontmatter import parse_yaml
from yunzhan.references import RecordNames
from yunzhan.scaffoldlines import yaml_line
from yunzhan.slugs import is_valid_slug

_TRUE = {"true", "yes", "y", "1", "是", "对"}
_FALSE = {"false", "no", "n", "0", "否", "不"}
# Reserved keys other than slug, draft and weight: (message, hint) when one is given as --key.
_NOT_ON_COMMAND_LINE = {
    "body": ("正文不能在命令行里写", "新建后打开文件，在第二个 --- 下面写正文"),
    "review": (
        "审核签名不能在命令行里写：要由各环节的审核人审完后签",
        "新建后交给审核人，在文件里写成 review: {初审: 姓名 日期}",
    ),
}


def _reserved(name: str) -> tuple[str, str]:
    return f"“{name}”是保留字段，不能在命令行里写", "新建后打开文件填写"


def given_values(
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
            problems.append(Problem(where, None, None, *_NOT_ON_COMMAND_LINE.get(name, _reserved(name))))
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
    front = "\n".join(yaml_line(k, v, settings.field(k)) for k, v in values.items())
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


def _int(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


def _bool(raw: str) -> bool | None:
    text = raw.strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None
