"""``serve``: a live preview for editors (drafts included, never written into ``output/``).

- ``app``: ``PreviewServer``, the server, watcher and rebuild worker put together;
- ``run``: the ``serve`` command;
- ``http``: the files under the base path and the event stream;
- ``ranges``: byte ranges of those files (206/416), which Safari and iOS WeChat need to play video;
- ``watch``: which saves matter, debounced into one rebuild;
- ``rebuild``: one rebuild in a build session kept across saves;
- ``overlay``: the live-reload script and the error overlay added to served pages.
"""

from yunzhan.serve.app import PreviewServer, ServeOptions
from yunzhan.serve.http import content_type
from yunzhan.serve.overlay import EVENTS_PATH, LIVE_SCRIPT, OVERLAY_TITLE
from yunzhan.serve.rebuild import RebuildOutcome, SessionRebuild
from yunzhan.serve.run import run

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
