"""Kept only for ``pipeline.py``'s ``checks.RecordRules`` until it imports ``yunzhan.check``: then delete this."""

from yunzhan.check.records import RecordRules

__all__ = ["RecordRules"]
