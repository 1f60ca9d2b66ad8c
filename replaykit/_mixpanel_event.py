"""The Mixpanel event record shared by the analysis results and the Mixpanel source.

It lives outside :mod:`replaykit.sources.mixpanel` so that
:class:`~replaykit.AnalyzedReplay` can carry the events joined to a replay without an
import cycle.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["MixpanelEvent"]


class MixpanelEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One Mixpanel event of a replay's user during that replay.

    ``time_ms`` is epoch milliseconds; ``properties`` are the event's properties as
    exported (``time`` and ``distinct_id`` included), or the requested properties for the
    Insights join. ``count`` is how many identical events the row stands for (the Insights
    join groups by second; export rows are single events).
    """

    replay_id: str
    name: str
    time_ms: int
    distinct_id: str | None
    properties: dict[str, Any]
    count: int = 1
