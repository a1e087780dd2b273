"""Content checks before publishing (``python build.py check``): what the build accepts but should not go live.

Functions over loaded records (``content.load_content``) and, when there is one, the last build in ``output/``
(read, never written); nothing here fetches or renders. Each
finding is a ``Problem`` phrased for an editor, with the right line of the file. ``check`` reports what ``build``
would, in the same words from the same code, and adds what needs every record or a person's eye:

- the rules of one record file (``RecordRules``, run by ``build`` too, so that what ``check`` calls an error
  stops a build): pasted characters from Word and web pages (pasted.py), Traditional characters in a Simplified
  Chinese site (warning, with the Simplified form), text garbled by a converter that puts pinyin in brackets
  after characters, ``當(dāng)前`` (error), and image paths in bodies;
- what converting the Markdown finds (texts.py, as ``build`` converts it): images without alt text, pictures
  left on other websites (WeChat's), links to records that do not exist, websites linked without https://,
  HTML the sanitiser removes;
- image files that are missing (worded by images.py, as ``build`` says it) or far too large (warning);
- check only: hidden text and HTML links that look injected, duplicate titles within a collection (warnings);
- the last build's internal links, anchors, ``src``, ``srcset`` and CSS ``url()`` (links.py: the one link
  checker), each broken one an error, a template's mistake said once.

External links are listed (never fetched) in ``CheckReport.external_links``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yunzhan import media, references, review, texts
from yunzhan.check import links
from yunzhan.check.records import Checker, ExternalLink, RecordRules
from yunzhan.config import SiteConfig
from yunzhan.content import LoadedContent
from yunzhan.errors import WARNING, Problem, sort_problems
from yunzhan.model import Record

JSON_FORMAT_VERSION = 1


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    external_links: list[ExternalLink] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.is_error for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(not p.is_error for p in self.problems)

    def failed(self, strict: bool = False) -> bool:
        """True when publishing should be refused: any error, or any warning with ``--strict``."""
        return self.errors > 0 or (strict and self.warnings > 0)


# ---------------------------------------------------------------------------------------------------- entry points


def check_site(site_dir: Path, *, drafts: bool = False) -> CheckReport:
    """Everything ``check`` reports for a site: loading, reference and Markdown problems plus the content checks.

    Raises ``ConfigError`` when site.toml is unusable (nothing can be checked then).
    """
    from yunzhan.config import load_config
    from yunzhan.config import output_dir as config_output_dir
    from yunzhan.content import load_content
    from yunzhan.incremental.stamp import CACHE_DIR_NAME
    from yunzhan.incremental.storereader import last_conversions

    site_dir = site_dir.absolute()
    config = load_config(site_dir)
    loaded = load_content(site_dir, config, drafts=drafts)
    report = run_checks(loaded, config, site_dir)
    output_dir = config_output_dir(site_dir)
    built = last_conversions(site_dir / CACHE_DIR_NAME, output_dir)  # the last build's
    converted = texts.markdown_problems(loaded.records, config, site_dir, built)
    ref_problems = references.resolve_references(loaded.records, config)
    broken = links.output_problems(output_dir, site_dir, config.base_url, config.markdown.iframe_hosts)
    waiting = review.withhold(loaded.records, config.review)[2]  # review.py: who still has to sign
    report.problems = sort_problems(
        [*loaded.problems, *ref_problems, *converted, *report.problems, *broken, *waiting]
    )
    return report


def run_checks(loaded: LoadedContent, config: SiteConfig, site_dir: Path) -> CheckReport:
    """Check every loaded record; return the problems found (sorted) and the external links (sorted).

    Give it records straight from ``load_content``: before references are resolved or Markdown is rendered.
    """
    site_dir = site_dir.absolute()
    rules = RecordRules(config, site_dir)
    checker = Checker(config, site_dir)
    by_source = {record.source: record for record in loaded.records}
    for file in loaded.sources:
        rel = file.relative_to(site_dir).as_posix()
        checker.problems += rules.file_problems(rel, by_source.get(rel))
    for record in loaded.records:
        settings = config.collection(record.collection)
        if settings is not None:
            checker.check_record(record, settings)
    checker.problems.extend(rules.site_problems)
    checker.problems.extend(duplicate_titles(loaded.records, config))
    checker.problems.extend(
        media.check_media(loaded.records, config, site_dir)
    )  # videos, audio, guide numbers
    return CheckReport(sort_problems(checker.problems), sorted(set(checker.links), key=_link_key))


def list_external_links(
    records: Iterable[Record], config: SiteConfig | None = None, site_dir: Path = Path(".")
) -> list[ExternalLink]:
    """Every http(s) link in bodies and fields, with its line; sorted and without repeats.

    Without ``config`` every text value of a record is searched; ``site_dir`` (the folder the records' paths are
    relative to) is read only to find lines inside multi-line field values.
    """
    checker = Checker(config, site_dir.absolute(), only_links=True)
    for record in records:
        settings = config.collection(record.collection) if config else None
        checker.check_record(record, settings)
    return sorted(set(checker.links), key=_link_key)


def duplicate_titles(records: Iterable[Record], config: SiteConfig) -> list[Problem]:
    """A warning on every record whose title repeats an earlier one of the same collection, naming both files."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Record] = {}
    for record in sorted(records, key=lambda r: (r.collection, r.source)):
        settings = config.collection(record.collection)
        title_field = settings.title_field if settings else "title"
        title = record.fields.get(title_field)
        if not isinstance(title, str) or not title.strip():
            continue
        key = (record.collection, " ".join(title.split()).casefold())
        first = seen.setdefault(key, record)
        if first is record:
            continue
        kind = settings.title if settings else record.collection
        problems.append(
            Problem(
                record.source,
                record.lines.get(title_field),
                title_field,
                f"标题“{title.strip()}”与 {first.source} 重复",
                f"同一个“{kind}”栏目里有两个同名条目，访客分不清：如果是同一个条目写了两遍，删掉其中一个文件；"
                "如果是两个不同的条目，给其中一个的标题加上区别（例如年份、地点）",
                WARNING,
            )
        )
    return problems


def format_json(report: CheckReport, other_problems: Iterable[Problem] = ()) -> str:
    """The report as JSON for ``check --format json``: stable key order, problems sorted, UTF-8 text."""
    problems = sort_problems([*report.problems, *other_problems])
    errors = sum(p.is_error for p in problems)
    data = {
        "version": JSON_FORMAT_VERSION,
        "ok": errors == 0,
        "counts": {
            "errors": errors,
            "warnings": len(problems) - errors,
            "external_links": len(report.external_links),
        },
        "problems": [p.as_dict() for p in problems],
        "external_links": [{"path": x.path, "line": x.line, "url": x.url} for x in report.external_links],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def format_external_links(links: Sequence[ExternalLink]) -> list[str]:
    """Plain lines for the text output: ``content/x.md:12: https://…``."""
    return [f"{x.path}:{x.line}: {x.url}" if x.line else f"{x.path}: {x.url}" for x in links]


def summary_line(report: CheckReport, other_problems: Iterable[Problem] = ()) -> str:
    """One closing sentence in plain Chinese."""
    problems = [*report.problems, *other_problems]
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    links = (
        f"，外部链接 {len(report.external_links)} 个（未访问，请人工看一遍）" if report.external_links else ""
    )
    if errors:
        return f"检查完毕：{errors} 个错误，{warnings} 个警告{links}。改正错误后才能发布。"
    if warnings:
        return f"检查完毕：没有错误，{warnings} 个警告{links}。发布前请看一下警告。"
    return f"检查完毕：没有发现问题{links}。"


def _link_key(link: ExternalLink) -> tuple[str, int, str]:
    return (link.path, link.line or 0, link.url)
