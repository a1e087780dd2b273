"""Fingerprints: stable digests of everything a page or a site-wide file can read, and the keys of what a page
read (``DepKey``). A fingerprint is a digest of ``repr``s, so every value a stage reads must have a stable
``repr`` (no object addresses, no set order): a new field type needs one before a page can depend on it.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import operator
from collections.abc import Callable, Iterable
from pathlib import Path

from markupsafe import Markup

from yunzhan.model import Collection, Record, Taxonomy, Term

IDENTITY = frozenset({"collection", "slug", "url", "path"})
DepKey = tuple[str, ...]


def digest(*parts: object) -> str:
    """A stable fingerprint of values (their ``repr``; text and bytes as they are, length first)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, str):
            data = part.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(data))
        elif isinstance(part, bytes):
            data = part
            h.update(b"b%d:" % len(data))
        else:
            data = repr(part).encode("utf-8", "surrogatepass")
            h.update(b"r%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def print_of(value: object) -> str:
    """``digest`` of one value, by ``marshal`` (version 2: no references, so equal values give equal bytes; its
    bytes tell text from numbers, ``True`` from 1, lists from tuples) when it is made only of text, numbers,
    None and lists, tuples and dicts of them: ~3× faster than its repr, which it falls back on otherwise."""
    try:
        data = marshal.dumps(value, 2)
    except ValueError:  # a type marshal does not know (a ``Markup``, a date, an image), or a cycle
        return digest(value)
    h = hashlib.blake2b(b"m%d:" % len(data), digest_size=16)  # "m": never the start of ``digest``'s parts
    h.update(data)
    return h.hexdigest()


@functools.lru_cache(maxsize=256)
def text_digest(text: str) -> str:
    """``digest`` of one text, remembered for the few asked for again soon after, not for every body: a cached
    text stays alive (bodies' HTML read back, Markdown let go of: ~50 MB at 10,000 records)."""
    return digest(text)


CODE_DIR = Path(__file__).resolve().parents[1]  # yunzhan/


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """yunzhan's own code (once a process: a long-lived one runs the code it loaded). What a build makes of
    the same input may change with it: it is part of every key, and of the store's version."""
    return files_digest(CODE_DIR.rglob("*.py"))


class HtmlPrints:
    """``text_digest`` of the HTML texts a build was handed by the Markdown memo, which keeps each beside its
    conversion: a record's print takes them from here instead of hashing every body again (10,000 bodies, 21 MB,
    ~0.1 s). By the text's object: this holds each, so no other object alive can have its ``id``."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[str, str]] = {}

    def add(self, html: str, made: str) -> None:
        """``made``: ``digest(html)`` (``text_digest``'s), as the memo made it when it converted the text."""
        self._known[id(html)] = (html, made)

    def get(self, text: str) -> str:
        """``text_digest(text)``, looked up when ``text`` is one of those added."""
        hit = self._known.get(id(text))
        return hit[1] if hit is not None and hit[0] is text else text_digest(text)


def files_digest(paths: Iterable[Path]) -> str:
    """Fingerprint of a set of files by content (templates, data files, site.toml, the package's code)."""
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        h.update(str(path).encode())
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


WHOLE = "*"  # the attribute of a record key that stands for everything about it


def dep_key(obj: object, attribute: str = WHOLE) -> DepKey | None:
    """What a page depends on when it reads ``obj`` (a record: one attribute of it, or the whole record)."""
    if isinstance(obj, Record):
        return ("record", obj.collection, obj.slug, attribute)
    if isinstance(obj, Collection):
        return ("collection", obj.name)
    if isinstance(obj, Taxonomy):
        return ("taxonomy", obj.name)
    if isinstance(obj, Term):
        return ("term", obj.path)
    return None


RECORD_KEY = operator.attrgetter("collection", "slug")  # a record as a key: (collection, slug)


def keys_of(records: Iterable[Record]) -> list[tuple[str, str]]:
    """Each record's (collection, slug): how a record counts inside another value's print."""
    return list(map(RECORD_KEY, records))  # in C: a listing's page reads thousands


_MISSING = object()
_NOTHING_PARSED = Record("", "", "")  # no parsed original known: every field counts as filled in
# tags of what stands for a value in a record's print: a field's value is never a tuple starting with one
_REF, _REFS, _HTML = "\0record", "\0records", "\0html"


def record_fingerprint(
    record: Record, origin: tuple[str, Record] | None = None, html: HtmlPrints | None = None
) -> str:
    """Everything a template can read from a record itself, and the records next to it. A record inside its
    fields and links counts by its key; an HTML text (body, Markdown field) by its digest, which ``html`` holds
    for those the Markdown memo handed out (kept beside the conversion: no body is hashed again).

    ``origin``: the record as its file was parsed (this record is a copy of it, filled in by the build) and its
    ``parsed_print``. What the file gave then counts by that print, made once per parse; of the fields, only
    the values the build put in place of the parsed ones (references, HTML, images) are looked at here."""
    made, parsed = origin if origin is not None else (parsed_print(record), _NOTHING_PARSED)
    before = parsed.fields
    known = html or _NO_HTML
    filled = [(k, _stand_in(v, known)) for k, v in record.fields.items() if before.get(k, _MISSING) is not v]
    prev, nxt = record.prev, record.next
    deferred = record.deferred("body")
    return print_of(
        (
            made,
            record.url,
            record.short,
            record.source,
            record.title,
            deferred.made if deferred is not None else known.get(record.body),
            _names(record.fields),  # a field a step removed
            sorted(filled),
            [(name, *map(RECORD_KEY, refs)) for name, refs in record.backrefs.items()],
            prev and RECORD_KEY(prev),
            nxt and RECORD_KEY(nxt),
            record.draft,
            record.weight,
        )
    )


_NO_HTML = HtmlPrints()


def _names(fields: dict[str, object]) -> object:
    """A record's field names in order, as one text when none holds the separator (one object to marshal, not
    fifteen), else as a tuple."""
    try:
        joined = "\0".join(fields)
    except TypeError:  # a name that is not text (YAML allows numbers)
        return tuple(fields)
    return joined if joined.count("\0") == len(fields) - 1 else tuple(fields)


def _stand_in(value: object, html: HtmlPrints) -> object:
    """What counts of a value the build filled in: a record by its key, HTML by its digest (its repr costs
    more than hashing it), anything else as it is."""
    kind = type(value)
    if kind is Record:
        return (_REF, *RECORD_KEY(value))  # type: ignore[arg-type]
    if kind is Markup:
        return (_HTML, html.get(value))  # type: ignore[arg-type]
    if kind is list and value and all(type(v) is Record for v in value):  # type: ignore[attr-defined]
        return (_REFS, *map(RECORD_KEY, value))  # type: ignore[call-overload]
    return value


def parsed_print(record: Record) -> str:
    """What a record file gave when parsed (``record_fingerprint``'s share of it that no step changes)."""
    return digest(
        repr(
            (
                record.source,
                record.title,
                text_digest(record.raw_body),
                record.body_line,
                sorted(record.lines.items()),
                sorted(record.fields.items()),
                record.draft,
                record.weight,
            )
        )
    )


class ParsePrints:
    """``parsed_print`` of each parsed record, made once per parse (by the parsed record object: the memo
    keeps it, and every build copies it); and, kept the same way, the digest of its body that short links
    recognise a moved record by (``body``: the stage's own digest, which this layer does not make)."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Record, str]] = {}
        self._bodies: dict[int, tuple[Record, str]] = {}

    def add(self, parsed: Record, made: str, body: str | None = None) -> None:
        self._known[id(parsed)] = (parsed, made)
        if body is not None:
            self._bodies[id(parsed)] = (parsed, body)

    def get(self, parsed: Record) -> str:
        return _once(self._known, parsed, parsed_print)

    def body(self, parsed: Record, make: Callable[[Record], str]) -> str:
        """``make(parsed)`` (``shortlinks.body_digest``), made once per parse."""
        return _once(self._bodies, parsed, make)

    def keep_only(self, parsed: Iterable[Record]) -> None:
        """Forget the records no longer parsed (a long-lived process parses the same files again and again)."""
        wanted = {id(r) for r in parsed}
        self._known = {k: v for k, v in self._known.items() if k in wanted}
        self._bodies = {k: v for k, v in self._bodies.items() if k in wanted}


def _once(known: dict[int, tuple[Record, str]], parsed: Record, make: Callable[[Record], str]) -> str:
    hit = known.get(id(parsed))
    if hit is not None and hit[0] is parsed:
        return hit[1]
    made = make(parsed)
    known[id(parsed)] = (parsed, made)
    return made


def attribute_fingerprint(record: Record, attribute: str, html: HtmlPrints | None = None) -> str:
    """What ``record.<attribute>`` and ``record[<attribute>]`` give a template. A record inside the value counts
    by its key only: reading further into it is a dependency of its own. The body counts by its HTML's digest,
    as in ``record_fingerprint``: kept beside its conversion (``html``, a deferred body's ``made``), so no body
    is loaded, repr'd and hashed again for the pages that show it (a quarter of a cold build's page notes)."""
    if attribute == "body":
        deferred = record.deferred("body")
        value: object = (
            _HTML,
            deferred.made if deferred is not None else (html or _NO_HTML).get(record.body),
        )
    else:
        try:
            found = getattr(record, attribute)
        except Exception:  # a template may ask for what a record does not have
            found = _MISSING
        value = "<missing>" if found is _MISSING else _value_repr(found)
    item = record.fields.get(attribute, _MISSING)
    return digest(value, "<missing>" if item is _MISSING else _value_repr(item))


def _value_repr(value: object) -> object:
    if isinstance(value, Record):
        return ("record", value.collection, value.slug)
    if isinstance(value, list | tuple):
        return [_value_repr(v) for v in value]
    if isinstance(value, dict):
        return sorted((repr(k), _value_repr(v)) for k, v in value.items())
    return repr(value)


class Fingerprints:
    """The current fingerprint of everything a page can depend on, computed when first asked for: a rebuild
    asks only for what its cached pages depended on."""

    def __init__(
        self,
        records: Iterable[Record],
        collections: dict[str, Collection],
        taxonomies: dict[str, Taxonomy],
        origins: Callable[[Record], tuple[str, Record] | None] | None = None,
        record_print: RecordPrint | None = None,
        other_print: Callable[[DepKey, tuple[object, ...]], str] | None = None,
        html: HtmlPrints | None = None,
        known: dict[DepKey, str] | None = None,
        others: dict[DepKey, str] | None = None,
    ) -> None:
        """``origins``: each record's parsed original and its print (``record_fingerprint``), when known.
        ``record_print``: ``record_fingerprint``, or one that keeps its prints (a long-lived process's);
        ``other_print``: the print of a collection, taxonomy or term from its parts (``other_fingerprint``), or
        one that keeps them. ``html``: the digests of the HTML the Markdown memo handed out. ``known``: records'
        prints known to be this build's, ``others`` those of every collection, taxonomy and term (none is made
        then): ``storedprints``."""
        self._records = {(r.collection, r.slug): r for r in records}
        self._origins = origins
        self._record_print = record_print or record_fingerprint
        self._html = html
        self._prints: dict[DepKey, str] = {**(others or {}), **(known or {})}
        self._whole: dict[tuple[str, str], str] | None = None
        if others is not None:
            return
        made = other_print or _digest_parts
        for c in collections.values():
            self._prints[("collection", c.name)] = made(
                ("collection", c.name), (c.title, c.url, keys_of(c.records))
            )
        for t in taxonomies.values():
            terms = []  # a taxonomy counts each term by its print: its records' keys are marshalled once
            for term in t.terms:
                found = made(("term", term.path), (term.name, term.url, keys_of(term.records)))
                self._prints[("term", term.path)] = found
                terms.append((term.name, term.url, found))
            self._prints[("taxonomy", t.name)] = made(("taxonomy", t.name), (t.title, t.url, terms))

    def get(self, key: DepKey) -> str | None:
        found = self._prints.get(key)
        if found is not None or key[0] != "record":
            return found
        record = self._records.get((key[1], key[2]))
        if record is None:
            return None
        attribute = key[3]
        if attribute == WHOLE:
            origin = self._origins(record) if self._origins is not None else None
            found = self._record_print(record, origin, self._html)
        else:
            found = attribute_fingerprint(record, attribute, self._html)
        self._prints[key] = found
        return found

    def records(self) -> dict[tuple[str, str], str]:
        """Every record's whole fingerprint: a record whose whole print is as it was cannot have changed in
        any attribute, so the pages that read it need no finer check. Made once: asked for three times."""
        if self._whole is None:
            origins, make, html, prints = self._origins, self._record_print, self._html, self._prints
            whole: dict[tuple[str, str], str] = {}
            for key, record in sorted(self._records.items()):  # keys are unique: records never compared
                dep = ("record", *key, WHOLE)
                found = prints.get(dep)
                if found is None:
                    found = prints[dep] = make(record, origins(record) if origins is not None else None, html)
                whole[key] = found
            self._whole = whole
        return self._whole

    def others(self) -> dict[DepKey, str]:
        """The fingerprints of every collection, taxonomy and term."""
        return {k: v for k, v in self._prints.items() if k[0] != "record"}

    def everything(self) -> str:
        """One fingerprint of all records, collections and taxonomies (for the site-wide files)."""
        return print_of((sorted(self.records().items()), sorted(self.others().items())))


RecordPrint = Callable[[Record, tuple[str, Record] | None, HtmlPrints | None], str]


def _digest_parts(key: DepKey, parts: tuple[object, ...]) -> str:
    return other_fingerprint(parts)


def other_fingerprint(parts: tuple[object, ...]) -> str:
    """The print of a collection, taxonomy or term: its title, address and records' keys (text, mostly)."""
    return print_of(parts)


def inputs_key(settings: str, inputs: tuple[object, ...]) -> str:
    """The key of a stage's output for one record, from the stage's own declaration of what it reads
    (``search.inputs``, ``publish.inputs``): long texts by their remembered digest, the rest by ``repr``."""
    return digest(settings, *(text_digest(p) if isinstance(p, str) else repr(p) for p in inputs))
