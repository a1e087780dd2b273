"""The Markdown texts of a record (its body and ``text`` fields) and the options each is converted with.

``build`` converts them into pages; ``check`` converts them only for what the conversion finds (images without
alt text, links to records that do not exist, HTML the sanitiser removes). One list and one converter, so that
both commands find the same problems in the same words.
"""

from __future__ import annotations

from typing import Any

from yunzhan import markup, references, workers
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


def markdown_problems(records: list[Record], config: SiteConfig) -> list[Problem]:
    """What converting every Markdown text of ``records`` finds, as ``build`` finds it (in forked processes when
    there are many)."""
    jobs = [
        (record.source, text, options)
        for record in records
        for _, text, options in markdown_texts(record, config)
    ]
    state = (jobs, references.record_link_resolver(records))
    return [problem for found in workers.fork_map(_problems, state, len(jobs)) for problem in found]


def _problems(
    state: tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Record]], i: int
) -> tuple[Problem, ...]:
    jobs, by_source = state
    source, text, options = jobs[i]

    def resolve(href: str) -> str | None:
        target = references.resolve_link(source, href, by_source)
        return None if target is None else target.url

    return markup.render_markdown(text, resolve_link=resolve, **options).problems
