"""The open data files through the reuse layer: each record's lines kept in the store by the key of its
``opendata.inputs``, CHUNK records a row, and the files spliced from the ones the last build wrote (``splice``)
while those are as written, by the layouts the store keeps of them (the pieces an edit changed noted beside the
whole).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import operator
import os
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from yunzhan import opendata
from yunzhan.config import SiteConfig
from yunzhan.incremental import splice
from yunzhan.incremental.bodytexts import BodyTexts
from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.recordstates import States, by_state, key_of
from yunzhan.incremental.store import Store
from yunzhan.model import Record
from yunzhan.workers import WAIT

if TYPE_CHECKING:
    from yunzhan.writing import Stage

CHUNK = 256  # records whose open data lines are kept in one row of the store


class OpenDataLines:
    """``opendata.open_data_pieces`` with a placeholder for each record's lines (``_StoredLines``), each
    record's lines kept in the store by the key of its ``opendata.inputs`` (that key made again only for
    records whose state changed): after one edit, one record's lines are made, not 10,000. The lines are kept
    CHUNK records a row, found by their records' keys, and read back a row at a time when the file the last
    build wrote lacks them (they come to 85 MB at 10,000 records). Made a step at a time (``steps``: the
    keys, a chunk a step when the store keeps none, then the lines a chunk a step), which a cold build takes
    while a process beside it makes search blocks."""

    def __init__(
        self,
        grouped: Mapping[str, list[Record]],
        config: SiteConfig,
        store: Store,
        settings: str,
        states: States,
    ) -> None:
        self.by_collection = {
            c.name: [r for r in grouped.get(c.name, []) if not r.draft] for c in config.collections
        }
        self.config, self.store, self.settings, self.states = config, store, settings, states
        self.published = [r for c in config.collections for r in self.by_collection[c.name]]
        self.cold = not store.has("meta", "open_data_records")  # none kept: every record's lines made
        self.texts = BodyTexts(self.published if self.cold else ())  # ... their bodies' texts shared
        self.keys: list[str] = []
        self.names: list[str] = []
        self.steps = self._steps()

    def _steps(self) -> Iterator[object]:
        def key(record: Record) -> str:
            return key_of(self.settings, record, functools.partial(opendata.inputs, config=self.config))

        made: dict[int, str] = {}
        # none kept: every key is made, a chunk a step (one step of all 10,000 left the process beside idle)
        if self.cold:
            for start in range(0, len(self.published), CHUNK):
                made.update((id(r), key(r)) for r in self.published[start : start + CHUNK])
                yield

        def kept_or_made(record: Record) -> str:
            found = made.pop(id(record), None)
            return key(record) if found is None else found

        self.keys = by_state(
            self.store, "open_data_records", self.settings, self.published, self.states, kept_or_made
        )
        yield
        self.names = yield from _chunks(self.store, self.published, self.keys, self.config, self.texts)

    def finish(self) -> tuple[_StoredLines, dict[str, Iterator[bytes | int]]]:
        """The lines (the steps not taken yet taken now) and the files' pieces."""
        for _ in self.steps:
            pass
        placeholders: dict[str, list[tuple[int, int]]] = {}
        start = 0
        for name, records in self.by_collection.items():  # ``published`` is in the collections' order
            placeholders[name] = [(2 * n, 2 * n + 1) for n in range(start, start + len(records))]
            start += len(records)
        return _StoredLines(self.store, self.names, self.keys), opendata.open_data_pieces(
            self.config, placeholders
        )


@dataclass
class _StoredLines:
    """What the placeholders of ``OpenDataLines`` stand for: ``2 * n`` the JSON line of record ``n`` (in the order
    of ``_chunks``), ``2 * n + 1`` its CSV line; each known by its record's key, read from the store a chunk
    at a time."""

    store: Store
    names: list[str]
    keys: list[str]
    _row: tuple[int, Any] = field(default=(-1, None))

    def key(self, placeholder: int) -> str:
        return self.keys[placeholder >> 1] + "jc"[placeholder & 1]

    def line(self, placeholder: int) -> bytes:
        n = placeholder >> 1
        if self._row[0] != n // CHUNK:
            self._row = (n // CHUNK, self.store.get("lines", self.names[n // CHUNK]))
        return cast(bytes, self._row[1][n % CHUNK][1][placeholder & 1])


def make_open_data_files(
    lines: _StoredLines,
    pieces: dict[str, Iterator[bytes | int]],
    store: Store,
    output_dir: Path,
    left: Callable[[str], bool],
    stage: Stage | None,
) -> dict[str, bytes]:
    """Write (or, without ``stage``, return) the open data files: spliced from the files the last build wrote
    when they are as written (the store keeps their layouts), else made whole from the stored lines."""
    before, overlay = _layouts(store)
    layouts: dict[str, splice.Layout] = {}
    files: dict[str, bytes] = {}
    for rel, made in pieces.items():
        old = before.get(rel) if left(rel) else None
        layouts[rel] = ([], [])
        ops = splice.ops(made, old, lines.key, lines.line, layouts[rel])
        previous = output_dir / rel if old is not None else None
        files[rel] = splice.joined(ops, previous) if stage is None else b""
        if stage is None:
            continue
        if previous is None:  # no old file to splice: every op is bytes
            stage.get().write_pieces(rel, cast(Iterator[bytes], ops))
        else:
            _stage_spliced(stage, rel, ops, previous, store.path.parent if store.path else output_dir.parent)
    if layouts != before:
        _keep_layouts(store, before, overlay, layouts)
    return files


LAYOUTS = "open_data_layout"  # meta row: (id, {file: Layout}) as written whole
LAYOUTS_OVERLAY = LAYOUTS + "+"  # meta row: (the whole's id, {file: (pieces, {i: (piece, length)})}) since
OVERLAY_SHARE = 8  # the whole is written again when the overlay changes more than this share of the pieces


def _layouts(store: Store) -> tuple[dict[str, splice.Layout], tuple[str, dict[str, Any]]]:
    """The open data files' layouts as the last build left them, and the overlay they were read with (its
    whole's id and changes): an edit changes a piece or two of 30,000, so it writes those (``_keep_layouts``),
    not the whole (~0.85 MB at 10,000 records)."""
    found = store.get("meta", LAYOUTS)
    if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], dict)):
        return {}, ("", {})
    whole_id, layouts = found
    more = store.get("meta", LAYOUTS_OVERLAY)
    if not (isinstance(more, tuple) and len(more) == 2 and more[0] == whole_id):
        return layouts, (whole_id, {})
    for rel, (count, changes) in more[1].items():
        idents, lengths = layouts.get(rel, ([], []))
        if len(idents) != count:
            return {}, ("", {})  # not the whole this overlay was made on: every file made whole
        for i, (piece, length) in changes.items():
            idents[i], lengths[i] = piece, length
    return layouts, (whole_id, more[1])


def _keep_layouts(
    store: Store,
    before: dict[str, splice.Layout],
    overlay: tuple[str, dict[str, Any]],
    layouts: dict[str, splice.Layout],
) -> None:
    """Note ``layouts``: as the pieces changed since the whole, while the files have as many pieces as then and
    few changed; else whole."""
    whole_id, changed = overlay
    if whole_id and layouts.keys() == before.keys():
        changes = {rel: (count, dict(found)) for rel, (count, found) in changed.items()}
        for rel, (idents, lengths) in layouts.items():
            old_idents, old_lengths = before[rel]
            if len(idents) != len(old_idents):
                break
            differ = {*_differ(idents, old_idents), *_differ(lengths, old_lengths)}
            if differ:
                found = changes.setdefault(rel, (len(idents), {}))[1]
                found.update((i, (idents[i], lengths[i])) for i in differ)
        else:
            pieces = sum(len(idents) for idents, _ in layouts.values())
            if sum(len(found) for _, found in changes.values()) <= pieces // OVERLAY_SHARE:
                store.put("meta", LAYOUTS_OVERLAY, (whole_id, changes), plain=True)
                return
    store.put("meta", LAYOUTS, (os.urandom(8).hex(), layouts), plain=True)  # an id the overlay names
    store.put("meta", LAYOUTS_OVERLAY, None)


def _differ(new: list[Any], old: list[Any]) -> Iterator[int]:
    """Where two lists of the same length differ (compared in C)."""
    return itertools.compress(itertools.count(), map(operator.ne, new, old))


def _stage_spliced(stage: Stage, rel: str, ops: Iterator[splice.Op], previous: Path, scratch: Path) -> None:
    """Stage the file of ``ops``, spliced into a scratch file and linked into the stage (or the previous file
    itself, when nothing in it changed)."""
    name = scratch / f".site-file-{os.getpid()}-{os.urandom(6).hex()}.tmp"
    try:
        if splice.write(ops, previous, name):
            stage.get().copy_file(rel, name, link=True)
        else:  # placed, not kept: its bytes were compared, its size and time not (``WriteStats.placed``)
            stage.get().copy_file(rel, previous, link=True)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _chunks(
    store: Store, records: list[Record], keys: list[str], config: SiteConfig, texts: BodyTexts
) -> Generator[object, None, list[str]]:
    """The names of the chunks of lines of ``records``, CHUNK records each, kept in the store under a digest of
    their keys; a chunk not found is made of the lines of the chunks at and next to its place in the last build
    (which hold its records unless many were added or removed before it) and of ``opendata.record_lines``
    (the bodies' texts from ``texts``, waited for while the search index is about to make them). A step
    (yield) after each chunk made."""
    before: list[str] = store.get("meta", "open_data") or []
    old: dict[int, dict[str, opendata.Lines]] = {}

    def old_chunk(n: int) -> dict[str, opendata.Lines]:
        if n not in old:
            row = store.get("lines", before[n]) if 0 <= n < len(before) else None
            old[n] = dict(row) if row is not None else {}
        return old[n]

    names = []
    for n, start in enumerate(range(0, len(records), CHUNK)):
        mine = keys[start : start + CHUNK]
        name = digest(mine)
        if not store.has("lines", name):
            while not texts.ready(records[start : start + CHUNK]):
                yield WAIT
            known = {**old_chunk(n - 1), **old_chunk(n + 1), **old_chunk(n)}
            row = [
                (k, known[k] if k in known else opendata.record_lines(r, config, texts.take(r)))
                for k, r in zip(mine, records[start : start + CHUNK], strict=True)
            ]
            store.put("lines", name, row)
            yield
        old.pop(n - 2, None)  # only the chunks next to the next one are looked at again
        names.append(name)
    if names != before:
        store.keep_only("lines", names)
        store.put("meta", "open_data", names)
    return names
