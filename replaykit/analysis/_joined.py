"""Product-analytics events joined to a replay (a source-neutral record).

Sources that know the user's events (Mixpanel) fill :class:`JoinedEvent` s into
``AnalyzedReplay.mixpanel_events``; bundles read them without knowing the source.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["JoinedEvent"]


class JoinedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One product-analytics event of a replay's user during that replay (Mixpanel's today).

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
