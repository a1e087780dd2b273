"""The demo's own site at benchmark size: the repository's site.toml, themes/ and content/, plus N synthetic
records (合成数据, from bench/generate.py's vocabulary) whose zone references point at the demo's real zones.

Two variants, so that a per-page loop over a zone's members cannot hide: ``spread`` (every added project in one
of the demo's zones, uniformly) and ``one_zone`` (every added project in a single zone). Added records: 60 %
projects, 25 % craftsmen, 15 % activities, bodies of 600–1,500 characters linking to other added records and to
their zone's real file. Share cards, posters and placards are off (``[publish]``), as the plain loop and Hugo make
none; everything else is the demo's, including its images, audio and video.

    python bench/demo_site.py DEST --records 1000 [--one-zone]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

import yaml
from generate import REPO, Rec, _plan, _toml_value, relate, write_records
from trash import discard

PUBLISH = {"share_cards": False, "share_posters": False, "placards": ""}
ONE_ZONE = "zhangjiagang"  # the zone that gets every added project in the one-zone variant


def demo_zones(content: Path) -> list[Rec]:
    """The demo's zones as link targets: slug, name, district and the file a body links to."""
    zones = []
    folder = content / "zones"
    for path in (
        sorted(folder.glob("*.md")) + sorted(folder.glob("*.yaml")) + sorted(folder.glob("*/index.md"))
    ):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text.split("---\n")[1] if path.suffix == ".md" else text) or {}
        slug = data.get("slug") or (path.parent.name if path.name == "index.md" else path.stem)
        fields = {"district": data.get("district"), "order": data.get("order", 0)}
        zones.append(Rec("zones", slug, str(data["name"]), fields, path.relative_to(folder).as_posix()))
    return sorted(zones, key=lambda z: (z.fields["order"], z.slug))


def _site_toml() -> str:
    """The demo's site.toml with a ``[publish]`` table that turns share cards, posters and placards off."""
    text = (REPO / "site.toml").read_text(encoding="utf-8")
    if "\n[publish]" in text:
        raise RuntimeError(
            "the demo's site.toml has a [publish] table now: bench/demo_site.py must merge into it"
        )
    table = [f"{k} = {_toml_value(v)}" for k, v in PUBLISH.items()]
    header = "# 性能测试：演示站点加合成数据（bench/demo_site.py 生成），新增条目均为虚构。\n"
    note = "# bench: share cards, posters and placards off (the plain loop and Hugo make none)"
    return header + text + "\n".join(["", note, "[publish]", *table, ""])


def generate_demo_site(dest: Path, records: int, seed: int = 1, *, one_zone: bool = False) -> Path:
    """Write the demo plus ``records`` synthetic records into ``dest`` (replaced if it exists); returns ``dest``.

    Deterministic in (records, seed, one_zone) for a given demo."""
    dest = Path(dest)
    discard(dest)
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copytree(REPO / "themes", dest / "themes", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (dest / "site.toml").write_text(_site_toml(), encoding="utf-8")
    rng = random.Random(seed)
    plan = _plan(records + 13, rng)  # 13: the synthetic site's own zones and pages, replaced by the demo's
    zones = demo_zones(dest / "content")
    plan["zones"], plan["pages"] = zones, []
    targets = [z for z in zones if z.slug == ONE_ZONE] if one_zone else zones
    by_zone, crafts_projects = relate(plan["projects"], plan["craftsmen"], targets, rng)
    write_records(dest, rng, plan, by_zone, crafts_projects)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The demo site plus N synthetic records (合成数据).")
    parser.add_argument("dest", type=Path, help="folder to write (replaced if it exists)")
    parser.add_argument("--records", type=int, default=1000, help="synthetic records added to the demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-zone", action="store_true", help=f"every added project in zone {ONE_ZONE}")
    args = parser.parse_args(argv)
    site = generate_demo_site(args.dest, args.records, args.seed, one_zone=args.one_zone)
    print(f"wrote the demo plus {args.records} synthetic records to {site}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
