"""Writing a build: the staging folder pages go to as they render, the swap, and what the store notes of the
files once they are written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yunzhan import lookahead, mirror, portable, publish
from yunzhan.incremental.session import Session
from yunzhan.incremental.sparenote import put_spare
from yunzhan.incremental.written import Written, as_written, file_stats
from yunzhan.inplace import InPlaceOutput
from yunzhan.output import FSYNC_FILES, Spare, StagedOutput, WriteStats
from yunzhan.samebytes import same_file
from yunzhan.treesign import TreeRecord

if TYPE_CHECKING:
    from yunzhan.steps import Build

MEDIA_PREFIX = "media/"  # image derivatives: cache files written by rename, safe to hard-link
HELD_PAGES = 256  # pages rendered before the spare tree is mirrored wait in memory (an edit's few)


class Stage:
    """The staging folder of a build that is swapped in whole (see output.py), made when the first page is
    rendered: pages go to disk as they render instead of piling up in memory (hundreds of MB at 10,000).
    When there is no spare tree to stage in, a child process mirrors the output meanwhile (see mirror.py); the
    first pages wait for it in memory."""

    def __init__(self, output_dir: Path, compress: bool) -> None:
        self.output_dir, self.compress = output_dir, compress
        self.staged: StagedOutput | None = None
        self.spare: Spare | None = None  # what the store says of the spare tree (see output.Spare)
        self.trusted = True  # False: the spare tree is walked whatever the store says
        self.mirroring: mirror.Mirroring | None = None
        self.ahead: mirror.Mirroring | None = (
            None  # a first build's mirror, begun once its pages are rendered (``expect``)
        )
        self.lookahead: lookahead.Lookahead | None = None  # the output stat-ed by a child meanwhile
        self._looked: lookahead.Looked | None = None
        self._written: Written | None = None
        self._held: dict[str, bytes] = {}  # pages rendered while the mirror is being made
        self._pid = os.getpid()  # pages rendered in other processes are noted here (``placed``)

    def start_mirror(self) -> None:
        """Have the spare tree made while the build works, when there is none; when there is one the store
        describes, have it and the output stat-ed meanwhile (see lookahead.py)."""
        if self.spare is not None and self.trusted:
            self.lookahead = lookahead.start(self.output_dir, self.spare)
        else:
            self.mirroring = mirror.start(self.output_dir)

    def start_mirror_after(self, stats: WriteStats) -> None:
        """Have the spare tree mirrored from the output just swapped in, when the build left none (the first
        build into a new output folder): the next build, most often an editor's first edit, then stages only
        what it changes instead of waiting for the mirror while it works. The commit's record of the output
        goes with it when that commit stat-ed every file (none carried from an older note)."""
        record = stats.record if stats.stated else None
        self.spare, self.mirroring = None, mirror.start(self.output_dir, record)

    def expect(self, rels: Iterable[str]) -> None:
        """The pages rendered: when there is no output yet (a first build), the folders of the spare tree it
        will leave are made while it makes the site-wide files (``mirror.start_ahead``; started once the
        forked renderers are gone, the child's ~11 MiB add nothing to the build's peak, which is theirs)."""
        if self.mirroring is None and self.ahead is None and not self.output_dir.exists():
            self.get()  # first: it removes what builds before left beside the output, the child's folder too
            self.ahead = mirror.start_ahead(self.output_dir, rels)

    def flush_soon(self, count: int) -> None:
        """``count`` pages rendered into the stage: when there are more than are flushed one by one before the
        swap (``FSYNC_FILES``), the disk begins to take them now, beside the build (``portable.flush_soon``),
        so the flush before the swap waits only on what came after (at 10,000 pages it waited ~0.4 s)."""
        if count > FSYNC_FILES:
            portable.flush_soon()

    def start_mirror_before(self, source: Path, record: TreeRecord) -> None:
        """``start_mirror_after``, started before the swap where it can be (``mirror.start``'s ``source``):
        the mirror is made while the stage is put on disk and swapped in and the store noted, not after; by
        the child started ahead, when there is one."""
        ahead, self.ahead, self.spare = self.ahead, None, None
        if ahead is not None and ahead.finish(record, source):
            self.mirroring = ahead
            return
        if ahead is not None:
            ahead.cancel()
        self.mirroring = mirror.start(self.output_dir, record, source)

    def drop_ahead(self) -> None:
        """Stop the child started ahead when the swap did not ask for it (an output appeared meanwhile)."""
        if self.ahead is not None:
            self.ahead.cancel()
            self.ahead = None

    def looked(self) -> lookahead.Looked | None:
        """What the child stat-ing the output found (None: none, or it failed)."""
        if self.lookahead is not None:
            ahead, self.lookahead = self.lookahead, None
            self._looked = ahead.wait()
        return self._looked

    def written(self) -> Written:
        """The output's files as they are (size and time) before this build places any, stat-ed ahead."""
        if self._written is None:
            looked = self.looked()
            self._written = Written(self.output_dir, looked.files if looked is not None else None)
        return self._written

    def settle(self) -> Spare | None:
        """Wait for the mirror, if one is being made: the spare tree it left (None: none)."""
        mirroring = self.mirroring
        if mirroring is None:
            return None
        try:
            made = mirroring.wait()
        except BaseException:  # Ctrl+C while waiting: the child must not go on alone
            mirroring.cancel()
            raise
        finally:
            self.mirroring = None
        if made is not None:
            self.spare = made  # its record is new: trusted even when the store's may be stale
            self.trusted = True
        return made

    def get(self) -> StagedOutput:
        if self.staged is None:
            self.settle()
            looked = self.looked()
            held, found = (looked.spare, looked.files.keys()) if looked is not None else (None, None)
            self.staged = StagedOutput(self.output_dir, self.spare if self.trusted else None, held, found)
            held, self._held = self._held, {}
            for rel, data in held.items():
                self._place(self.staged, rel, data)
        return self.staged

    def page(self, rel: str, html: str) -> None:
        data = html.encode("utf-8")
        mirroring = self.mirroring
        held = self.staged is None and mirroring is not None and len(self._held) < HELD_PAGES
        if held and mirroring is not None and mirroring.running():
            self._held.setdefault(rel, data)  # two pages at one URL: see below
            return
        self._place(self.get(), rel, data)

    def apart(self) -> bool:
        """Made ready for forked renderers to place their pages themselves (``page_anywhere``): the staging
        folder made now, unless a mirror is still being made (the first pages then wait in this process)."""
        mirroring = self.mirroring
        if self.staged is None and mirroring is not None and mirroring.running():
            return False
        self.get()
        return True

    def page_anywhere(self, rel: str, html: str) -> list[tuple[str, str]]:
        """``page`` in whichever process rendered it, once ``apart``: in a forked one, how it placed each file
        (the page, its compressed twins), for this process to note with ``placed``; here, nothing left to
        note. The HTML never travels back (at 10,000 pages ~300 MB pickled and read again)."""
        if os.getpid() == self._pid:
            self.page(rel, html)
            return []
        staged = self.get()
        return self._place(staged, rel, html.encode("utf-8"), staged.write_apart)

    def placed(self, made: list[tuple[str, str]]) -> None:
        """Note the files a forked renderer placed (``page_anywhere``)."""
        staged = self.get()
        for rel, how in made:
            if rel not in staged.stats.files:  # two pages at one URL: see ``_place``
                staged.placed_apart(rel, how)

    def _place(
        self, staged: StagedOutput, rel: str, data: bytes, write: Callable[[str, bytes], Any] | None = None
    ) -> list[tuple[str, Any]]:
        """The page and its compressed twins written (by ``write``: ``staged.write_bytes`` unless given), with
        what each write returned."""
        if rel in staged.stats.files:
            return []  # two pages at one URL: a problem already stops this build (pages.find_collisions)
        place = write or staged.write_bytes
        made = [(rel, place(rel, data))]
        if self.compress:
            twins = publish.compress({rel: data}, previous=self.output_dir)
            made += [(twin, place(twin, blob)) for twin, blob in twins.items()]
        return made

    def abort(self) -> None:
        self.drop_ahead()
        if self.lookahead is not None:
            self.lookahead.cancel()
            self.lookahead = None
        if self.mirroring is not None:
            self.mirroring.cancel()
            self.mirroring = None
        if self.staged is not None:
            self.staged.abort()


def write(
    gathered: Build, output_dir: Path, stage: Stage | None, session: Session | None = None
) -> WriteStats:
    """Complete the staged build (pages may be staged already) and swap it in; when nothing at all changed,
    leave the output alone. No ``stage``: a preview, updated in place."""
    if stage is not None and not gathered.pages and unchanged(gathered, output_dir):
        made = stage.settle()
        if made is not None:
            put_spare(gathered.store, made)
        return WriteStats(unchanged=len(gathered.kept) + len(gathered.files) + len(gathered.generated))
    staged: StagedOutput | InPlaceOutput
    if stage is None:
        staged = (
            InPlaceOutput(output_dir, session.output_files, session.written)
            if session
            else InPlaceOutput(output_dir)
        )
    else:
        staged = stage.get()
    try:
        for page, html in gathered.pages:
            if html is not None:
                staged.write_text(page.output_file, html)
        if isinstance(staged, StagedOutput):
            staged.keep_all(gathered.kept)
        else:
            for rel in gathered.kept:
                staged.keep(rel)
        for rel, source in sorted(gathered.files.items()):
            staged.copy_file(rel, source, link=rel.startswith(MEDIA_PREFIX))
        for rel, data in sorted(gathered.generated.items()):
            staged.write_bytes(rel, data)
        if isinstance(staged, StagedOutput):
            first = stage.start_mirror_before if stage is not None else None
            stats = staged.commit(background=True, first=first)
            if stage is not None:
                stage.drop_ahead()
            put_spare(gathered.store, staged.swapped.spare)  # the next build's stage, if trusted
            if staged.swapped.spare is None and stage is not None and stage.mirroring is None:
                stage.start_mirror_after(stats)  # settled by ``remember``
        else:
            stats = staged.commit()
        if session is not None:
            session.output_files = set(stats.files)
        return stats
    except BaseException:
        if stage is not None:
            stage.drop_ahead()
            if stage.mirroring is not None:
                stage.mirroring.cancel()  # one started before the swap (``start_mirror_before``)
        staged.abort()
        raise


def written_files(gathered: Build) -> Written:
    """The output's files as they are before the build places any: stat-ed ahead where a child could."""
    stage = gathered.stage
    return stage.written() if stage is not None else Written(gathered.output_dir)


def unchanged(gathered: Build, output_dir: Path) -> bool:
    """True when the output already holds exactly this build: same files, same bytes."""
    if not output_dir.is_dir():
        return False
    wanted = set(gathered.kept) | set(gathered.files) | set(gathered.generated)
    present = {p.relative_to(output_dir).as_posix() for p in output_dir.rglob("*") if not p.is_dir()}
    if wanted != present:
        return False
    if any((output_dir / rel).read_bytes() != data for rel, data in gathered.generated.items()):
        return False
    return all(same_file(output_dir / rel, source) for rel, source in gathered.files.items())


def remember(gathered: Build, output_dir: Path, committed: WriteStats | None = None) -> None:
    """Note each freshly written page with its file's size and time, so a later build can trust it, and commit
    what this build changed in the store. ``committed``: what the commit placed (a file it did not place was
    kept, and checked as the last build noted it by the step that kept it: noted as it was)."""
    store = gathered.store
    for rel in gathered.gone:
        store.put_page(rel, None)
    placed = committed.placed if committed is not None else None
    # a commit that stat-ed every file recorded each one's size and time: 26,000 stats fewer on a cold build
    record = committed.record if committed is not None and committed.stated else None
    recorded = record.files if record is not None else {}
    for name, (key, made) in gathered.made.items():  # see ``reuse.kept_as_made``
        noted = {rel: (found[0], found[1]) for rel in made if (found := recorded.get(rel)) is not None}
        left = [rel for rel in made if rel not in noted]
        previous = store.get("meta", name) if placed is not None and left else None
        known = previous[1] if isinstance(previous, tuple) and isinstance(previous[1], dict) else None
        rest = file_stats(output_dir, left, known, placed or ())
        stats = {rel: found for rel in made if (found := noted.get(rel) or rest.get(rel)) is not None}
        store.put("meta", name, (key, stats))
    written: list[tuple[str, int, int]] = []
    for rel in gathered.fresh:
        seen = recorded.get(rel)
        stats = (seen[0], seen[1]) if seen is not None else as_written(f"{output_dir}/{rel}")
        if stats is None:
            store.put_page(rel, None)
        else:
            written.append((rel, *stats))
    store.pages_written(written)  # in one statement: a template edit writes 12,000 at 10,000 records
    store.commit()  # the build's (a cold one's is seconds of writing) while the mirror is made, if it is
    if gathered.stage is not None and gathered.stage.mirroring is not None:
        made = gathered.stage.settle()  # the mirror ``write`` started, meanwhile
        if made is not None:  # noted on its own: a build stopped before leaves the tree untrusted, walked
            put_spare(store, made)
            store.commit()
