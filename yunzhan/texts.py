"""The Markdown texts of a record (its body and ``text`` fields) and the options each is converted with.

``build`` converts them into pages; ``check`` converts them only for what the conversion finds (images without
alt text, links to records that do not exist, HTML the sanitiser removes). One list and one converter, so that
both commands find the same problems in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yunzhan import markup, references, workers
from yunzhan.cache import digest, text_digest
from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.model import Record


def markdown_texts(record: Record, config: SiteConfig) -> list[tuple[str, str, dict[str, Any]]]:
    """(field name, "" for the body; the text; ``markup.render_markdown``'s options) for each Markdown text."""
    settings = config.collection(record.collection)
    assert settings is not None
    body = {
        "path": record.source,
        "body_line": record.body_line,
        "iframe_hosts": config.markdown.iframe_hosts,
    }
    texts = [("", record.raw_body, body)]
    for spec in settings.fields:
        value = record.fields.get(spec.name)
        if spec.type == "text" and isinstance(value, str):
            line = record.lines.get(spec.name, 1)
            options = {"path": record.source, "body_line": line, "field": spec.name, "iframe_hosts": ()}
            texts.append((spec.name, value, options))
    return texts


def markdown_key(text: str, options: dict[str, Any]) -> str:
    """What a conversion is remembered by in the build cache."""
    return digest(text_digest(text), sorted(options.items()))


def markdown_problems(
    records: list[Record], config: SiteConfig, known: Mapping[str, Any] | None = None
) -> list[Problem]:
    """What converting every Markdown text of ``records`` finds, as ``build`` finds it. ``known``: the build
    cache's conversions (``CacheData.markdown``), taken while each of their record links still resolves (or
    fails) as it did; the rest are converted (in forked processes when there are many)."""
    by_source = references.record_link_resolver(records)
    problems: list[Problem] = []
    jobs: list[tuple[str, str, dict[str, Any]]] = []
    for record in records:
        for _, text, options in markdown_texts(record, config):
            hit = (known or {}).get(markdown_key(text, options))
            if hit is not None and all(
                (references.resolve_link(record.source, href, by_source) is None) == (url is None)
                for href, url in hit[1]
            ):
                problems += hit[0].problems
            else:
                jobs.append((record.source, text, options))
    found = workers.fork_map(_problems, (jobs, by_source), len(jobs))
    return problems + [problem for done in found for problem in done]


def _problems(
    state: tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Record]], i: int
) -> tuple[Problem, ...]:
    jobs, by_source = state
    source, text, options = jobs[i]

    def resolve(href: str) -> str | None:
        target = references.resolve_link(source, href, by_source)
        return None if target is None else target.url

    return markup.render_markdown(text, resolve_link=resolve, **options).problems
