"""Dependency tracking: a Jinja environment that notes what each template reads while it renders.

The render stage knows nothing of it: the pipeline hands ``render.make_environment`` this class, and reads
``touched`` (what the page read) after each page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jinja2

from yunzhan.incremental.fingerprints import IDENTITY, WHOLE, DepKey, dep_key
from yunzhan.model import Record

# Types never a dependency themselves: plain values, and every type ``dep_key`` has said None of (images,
# pages, Markup, Jinja's loops and macros...), learnt as they come; ``isinstance`` depends on the type alone.
_UNTRACKED = {dict, list, tuple, str, int, float, bool, type(None)}


class TrackingEnvironment(jinja2.Environment):
    """A Jinja environment that notes which records, collections and taxonomies a template touches.

    Jinja routes every ``a.b`` and ``a[b]`` of a template (and of filters such as ``selectattr``) through these
    two methods, so overriding them tracks dependencies exactly, at no cost outside templates.
    """

    touched: set[DepKey] | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Every ``a.b`` of every page comes here (hundreds a page): the common cases first, without a call.
        # A record's collection, slug and URL follow from its key and the settings (part of every page's
        # fingerprint): reading them, as listings and filters do for every record, is no dependency.
        touched = self.touched
        if touched is not None:
            if type(obj) is Record:
                if attribute not in IDENTITY:
                    touched.add(("record", obj.collection, obj.slug, attribute))
            elif type(obj) not in _UNTRACKED:
                key = dep_key(obj, attribute)
                if key is not None:
                    touched.add(key)
                else:
                    _UNTRACKED.add(type(obj))
        try:  # jinja2.Environment.getattr, inlined
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def touch(self, obj: Any, *attributes: str) -> None:
        """Note a record (and the records it refers to) read by Python code a template called; with
        ``attributes``, only those attributes of it."""
        if self.touched is None:
            return
        if attributes:
            for attribute in attributes:
                key = dep_key(obj, attribute)
                if key is not None:
                    self.touched.add(key)
            return
        key = dep_key(obj)
        if key is not None:
            self.touched.add(key)
        if isinstance(obj, Record):
            for value in obj.fields.values():
                for item in value if isinstance(value, list) else [value]:
                    item_key = dep_key(item)
                    if item_key is not None:
                        self.touched.add(item_key)

    def getitem(self, obj: Any, argument: Any) -> Any:
        touched = self.touched
        if (
            touched is not None
            and type(obj) not in _UNTRACKED
            and not (isinstance(obj, Record) and argument in IDENTITY)
        ):
            key = dep_key(obj, argument if isinstance(argument, str) else WHOLE)
            if key is not None:
                touched.add(key)
            else:
                _UNTRACKED.add(type(obj))
        return super().getitem(obj, argument)

    def tracked(
        self, func: Callable[..., Any], inputs: Callable[[Any], Iterable[tuple[Any, str]]]
    ) -> Callable[..., Any]:
        """A template global written in Python that notes what it reads, as ``inputs(record)`` declares (the
        stage's own declaration, e.g. ``placards.inputs``), before it runs."""

        def call(record: Any, *args: Any, **kwargs: Any) -> Any:
            for item, attribute in inputs(record):
                self.touch(item, attribute)
            return func(record, *args, **kwargs)

        return call
