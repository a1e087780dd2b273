"""``serve``: a live preview for editors (drafts included, never written into ``output/``).

- ``app``: ``PreviewServer`` and the ``serve`` command (``run``);
- ``http``: the files under the base path and the event stream;
- ``watch``: which saves matter, debounced into one rebuild;
- ``rebuild``: one rebuild in a build session kept across saves;
- ``overlay``: the live-reload script and the error overlay added to served pages.
"""

from yunzhan.serve.app import PreviewServer, ServeOptions, run
from yunzhan.serve.http import content_type
from yunzhan.serve.overlay import EVENTS_PATH, LIVE_SCRIPT, OVERLAY_TITLE
from yunzhan.serve.rebuild import RebuildOutcome, SessionRebuild

__all__ = [
    "EVENTS_PATH",
    "LIVE_SCRIPT",
    "OVERLAY_TITLE",
    "PreviewServer",
    "RebuildOutcome",
    "ServeOptions",
    "SessionRebuild",
    "content_type",
    "run",
]
