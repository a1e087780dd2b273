"""The front matter lines of a new record (``new``): given values as YAML, each required field as a placeholder
the build flags until it is replaced, each optional one as a commented-out example that names real records.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from yunzhan.config import FieldSpec, SiteConfig
from yunzhan.folders import RECORD_SUFFIXES
from yunzhan.ignored import is_ignored_name
from yunzhan.slugs import is_valid_slug, slugify


def yaml_line(name: str, value: Any, spec: FieldSpec | None = None) -> str:
    """One ``name: value`` line; dates stay unquoted, everything else as safe YAML (quoted when needed)."""
    if spec is not None and spec.type == "date" and isinstance(value, str) and re.fullmatch(r"[\d-]+", value):
        return f"{name}: {value}"
    if isinstance(value, list):
        flow = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6)
        return f"{name}: {flow.strip()}"
    dumped = yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=False, width=10**6)
    return dumped.rstrip("\n")


def placeholder_lines(site_dir: Path, config: SiteConfig, spec: FieldSpec) -> list[str]:
    """A required field the editor must fill in: each form makes the build report an error on this field."""
    name, note = spec.name, _describe(site_dir, config, spec)
    if spec.type == "enum":
        value = yaml_line(name, "请选择：" + "/".join(spec.values))
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


def example_lines(site_dir: Path, config: SiteConfig, spec: FieldSpec) -> list[str]:
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
