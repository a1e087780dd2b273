"""One rebuild of the preview: a build with drafts into the preview folder, in a build session kept across saves.

The server takes any callable ``rebuild(changed_paths) -> RebuildOutcome`` (tests inject slow or failing ones);
``SessionRebuild`` is the real one. The session keeps parsed record files and the build cache in memory, and
leaves the site-wide files (search index, sitemap, feed, open data) in ``RebuildOutcome.finish``, so the edited
page is ready first.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from yunzhan.config import SiteConfig, load_config
from yunzhan.errors import ConfigError, Problem, YunzhanError
from yunzhan.pipeline import BuildOptions, Session, build


@dataclass
class RebuildOutcome:
    """What one rebuild did. ``problems`` are the errors when ``ok`` is false, the warnings otherwise."""

    ok: bool
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    pages: int = 0
    config: SiteConfig | None = None  # the settings built with (base path, theme to watch), when readable
    timings: dict[str, float] = field(default_factory=dict)
    finish: Callable[[], None] | None = None  # work left for after the reload (site-wide files)


Rebuild = Callable[[set[Path]], RebuildOutcome]
ChangeKind = str  # "initial", "css" (only stylesheets of themes/static changed) or "full"


class SessionRebuild:
    """The rebuild the server uses: a build with drafts into the preview folder, in one build session.

    It gets the changed paths (absolute; empty for the first build) and must not raise for anything an editor
    can cause. ``close`` saves the session's cache, so the next ``serve`` starts warm.
    """

    def __init__(self, site_dir: Path, preview_dir: Path) -> None:
        self.site_dir = site_dir
        self.preview_dir = preview_dir
        self.session = Session(collect_later=True)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.session.close()

    def collect(self) -> None:
        """What the last build left for the cycle collector, collected while the preview is idle."""
        self.session.collect()

    def __call__(self, changed_paths: set[Path]) -> RebuildOutcome:
        site_dir, preview_dir = self.site_dir, self.preview_dir
        self.session.forget(changed_paths, self.site_dir / "content")
        start = time.perf_counter()
        try:
            config = load_config(site_dir)
        except ConfigError as exc:
            return RebuildOutcome(False, time.perf_counter() - start, exc.problems)
        try:
            options = BuildOptions(site_dir, output_dir=preview_dir, drafts=True, preview=True)
            result = build(options, self.session)
        except YunzhanError as exc:
            return RebuildOutcome(False, time.perf_counter() - start, exc.problems, config=config)
        except OSError as exc:  # a file moved or deleted while it was being read
            return RebuildOutcome(
                False, time.perf_counter() - start, [_io_problem(exc, site_dir)], config=config
            )
        return RebuildOutcome(
            True,
            time.perf_counter() - start,
            result.problems,
            pages=result.pages,
            config=config,
            timings=result.timings,
            finish=result.finish,
        )


def _io_problem(exc: OSError, site_dir: Path) -> Problem:
    where = "（网站文件夹）"
    if exc.filename:
        path = Path(os.fsdecode(exc.filename))
        where = path.relative_to(site_dir).as_posix() if path.is_relative_to(site_dir) else str(path)
    return Problem(
        where,
        None,
        None,
        f"读取或写入时出错：{exc.strerror or exc}",
        "文件可能正在保存或移动；稍后再保存一次",
    )
