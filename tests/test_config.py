from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SITE_TOML, MakeSite
from yunzhan.config import load_config
from yunzhan.errors import ConfigError


def test_loads_typed_settings(make_site: MakeSite) -> None:
    config = load_config(make_site())
    assert config.title == "测试展"
    assert config.base_path == "/"
    assert config.images.widths == (320, 640)
    projects = config.collection("projects")
    assert projects is not None and projects.paginate == 2
    zone = projects.field("zone")
    assert zone is not None and zone.type == "ref" and zone.collection == "zones"


def test_base_url_sub_path_and_override(make_site: MakeSite) -> None:
    site = make_site()
    assert load_config(site, "https://example.org/expo/2024").base_path == "/expo/2024/"


def _errors(site: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(site)
    return [p.format() for p in info.value.problems]


def test_unknown_key_suggests_the_right_one(make_site: MakeSite) -> None:
    errors = _errors(make_site(toml=SITE_TOML.replace('subtitle = "云观展"', 'subtitel = "云观展"')))
    assert errors == ['site.toml:2: subtitel: 未知的设置项 "subtitel" — 是不是 "subtitle"？']


def test_unknown_field_type_and_dangling_collection(make_site: MakeSite) -> None:
    toml = SITE_TOML.replace('{ type = "int", required = true }', '{ type = "integer", required = true }')
    toml = toml.replace('collection = "craftsmen"', 'collection = "craftsman"')
    errors = "\n".join(_errors(make_site(toml=toml)))
    assert '未知的字段类型 "integer"' in errors and '是不是 "int"？' in errors
    assert '引用的集合 "craftsman" 没有声明' in errors and '是不是 "craftsmen"？' in errors


def test_toml_syntax_error_has_line(make_site: MakeSite) -> None:
    errors = _errors(make_site(toml=SITE_TOML.replace('language = "zh-CN"', 'language = "zh-CN')))
    assert errors[0].startswith("site.toml:4: TOML 格式错误")


def test_missing_site_toml(tmp_path: Path) -> None:
    errors = _errors(tmp_path)
    assert "找不到" in errors[0] and "--site" in errors[0]


def test_bad_base_url(make_site: MakeSite) -> None:
    errors = _errors(make_site(toml=SITE_TOML.replace('"https://example.org/"', '"example.org"')))
    assert errors == [
        'site.toml:5: base_url: 应当是完整的网址 — 例如 base_url = "https://example.org/expo/2024/"'
    ]
