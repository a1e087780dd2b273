"""``check``: what the build accepts but should not go live, found before publishing.

- ``content``: the entry points (``check_site``, ``run_checks``), the report and its formats;
- ``records``: a record's texts walked line by line; ``RecordRules``, the part ``build`` runs too;
- ``chinese``: Traditional characters and pinyin-garbled text;
- ``html``: raw HTML that looks injected;
- ``links``: every internal link, anchor, ``src`` and ``srcset`` of a built site resolves (``check``, the tests and
  ``scripts/audit.py`` share it).
"""

from yunzhan.check.content import (
    CheckReport,
    check_site,
    duplicate_titles,
    format_external_links,
    format_json,
    list_external_links,
    run_checks,
    summary_line,
)
from yunzhan.check.records import ExternalLink, RecordRules

__all__ = [
    "CheckReport",
    "ExternalLink",
    "RecordRules",
    "check_site",
    "duplicate_titles",
    "format_external_links",
    "format_json",
    "list_external_links",
    "run_checks",
    "summary_line",
]
