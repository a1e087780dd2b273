"""What a build is asked to do (the command line's and ``serve``'s options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    output_dir: Path | None = None  # default: <site>/output
    base_url: str | None = None  # overrides site.toml
    drafts: bool = False
    strict: bool = False  # warnings fail the build
    progress: bool = False
    cache_dir: Path | None = None  # default: <site>/.yunzhan-cache
    use_cache: bool = True  # False: redo everything (the output must be the same)
    compress: bool = False  # also write .gz and .br beside text files, for servers that serve them
    preview: bool = False  # for `serve`: no share images, files updated in place (not atomic as a whole)
    verify_reuse: bool = False  # tests: every value reused from the last build is made again and compared
