"""personal.py through ``check`` and ``build``: resident ID, mobile and bank card numbers planted in every kind of
text are errors, look-alikes that fail the checksum or the prefix are not, and public numbers are allowed."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, SITE_TOML, MakeSite, jpeg_bytes
from yunzhan import check, personal
from yunzhan.cli import main


def id_number(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, personal.ID_WEIGHTS, strict=True))
    return first17 + personal.ID_CHECK[total % 11]


def card_number(first: str) -> str:
    """``first`` plus the Luhn check digit."""
    return next(first + d for d in "0123456789" if personal.luhn_valid(first + d))


VALID_ID = id_number("32050819850312345")
BAD_ID = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")  # right shape, wrong check character
VALID_CARD = card_number("621700123456789012")  # 19 digits, UnionPay
BAD_CARD = VALID_CARD[:-1] + str((int(VALID_CARD[-1]) + 1) % 10)


def test_the_checksums_and_prefixes() -> None:
    assert personal.id_valid("11010519491231002X") and personal.id_valid(
        "11010519491231002x"
    )  # GB 11643's example
    assert not personal.id_valid("110105194912310021")
    assert personal.luhn_valid("4111111111111111") and not personal.luhn_valid("4111111111111112")
    kinds = lambda text: [f.kind for f in personal.find(text)]  # noqa: E731
    assert kinds(f"身份证{VALID_ID}。") == ["id"] and kinds(f"编号{BAD_ID}") == []
    assert kinds(
        f"卡号 {VALID_CARD[:4]} {VALID_CARD[4:8]} {VALID_CARD[8:12]} {VALID_CARD[12:16]} {VALID_CARD[16:]}"
    ) == ["card"]
    assert kinds(f"卡号{BAD_CARD}") == []
    for mobile in ("13800138000", "138-0013-8000", "+86 138 0013 8000", "19912345678"):
        assert kinds(f"电话：{mobile}。") == ["mobile"], mobile
    for other in ("12345678901", "1380013800", "138001380001", "0512-65220000", "2024-05-01", "6.6亿元", "10457人次",
                  "10010012345678901", "ISBN 9787030000000"):  # fmt: skip
        assert kinds(other) == [], other
    assert personal.find("手机 13800138000", frozenset({"13800138000"})) == []
    assert personal.Finding("mobile", 0, "13800138000").masked == "138****8000"


def _site(make_site: MakeSite, toml: str = SITE_TOML) -> object:
    return make_site(
        {
            "content/projects/rocket.md": f"""\
                ---
                title: 火箭模型 联系人 139 1234 5678
                category: 创新产品
                zone: gusu
                summary: 负责人身份证 {VALID_ID}
                tags: [航天, "卡{VALID_CARD}"]
                gallery:
                  - src: a.jpg
                    alt: 工牌上写着 {id_number("44052418800101001")}
                    caption: 转账到 {VALID_CARD}
                  - src: a.jpg
                    alt: 编号 {BAD_ID}
                    caption: 流水号 {BAD_CARD}，热线 13800138000
                ---
                咨询请拨打 15012345678，
                或者找 12345678901（不是手机号），2024年5月1日，产值 660000000 元。
                """,
            "content/projects/a.jpg": jpeg_bytes(),
        },
        toml=toml,
    )


def test_check_names_each_planted_number_and_nothing_else(make_site: MakeSite) -> None:
    toml = SITE_TOML + '\n[contact]\nphone = "13800138000"\n\n[review]\npublic = ["13912345678"]\n'
    site = _site(make_site, toml)
    found = [p for p in check.check_site(site).problems if "不能公开发布" in p.message]
    by_field = sorted((p.field or "", p.message.split(" ")[0], p.line or 0) for p in found)
    assert by_field == [
        ("", "含有手机号", 15),  # the body
        ("gallery[0].alt", "含有身份证号", 9),
        ("gallery[0].caption", "含有银行卡号", 10),
        ("summary", "含有身份证号", 5),
        ("tags[1]", "含有银行卡号", 6),
    ], by_field  # the title's 139 1234 5678 is public; the hotline is [contact]'s; the look-alikes pass
    assert all(p.is_error and p.path == "content/projects/rocket.md" for p in found)
    assert not any(VALID_ID in p.format() or VALID_CARD in p.format() for p in found)  # masked in messages


def test_build_refuses_to_publish_personal_data(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(make_site)
    assert main(["build", "--site", str(site), "-q"]) == 1
    err = capsys.readouterr().err
    assert "含有手机号 139****5678" in err and "含有身份证号" in err and "[review] public" in err
    assert not (site / "output").exists()


def test_the_demo_has_no_false_alarm() -> None:
    found = [p.format() for p in check.check_site(REPO).problems if "不能公开发布" in p.message]
    assert found == []


def test_numbers_are_found_in_the_runs_of_digits_they_are_written_in() -> None:
    """``find`` looks only at runs of digits, spaces, hyphens, "+" and "X" holding four digits in a row: what
    is around a run (a full-width digit in it, a letter after an ID) is read as the whole text reads it."""
    found = personal.find(
        "电话13８ 1234 5678。号码+86 138-1234-5678，证11010519491231002X；11010519491231002XA"
    )
    assert [(f.kind, f.start, f.text) for f in found] == [
        ("mobile", 2, "13８ 1234 5678"),
        ("mobile", 22, "138-1234-5678"),
        ("id", 37, "11010519491231002X"),
    ]
