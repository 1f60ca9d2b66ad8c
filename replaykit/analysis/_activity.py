"""Activity over time: active time, idle gaps, long pauses and a thrashing cursor.

Everything here reads the replay's :class:`~replaykit.analysis._tape.Tape` (``activity``
holds ``(t, active)`` for every event, ``pointer`` every mouse position at its real time)
and its actions; nothing raises on odd input (empty tapes, unsorted lists, missing times).

- :func:`active_time` is PostHog's ingestion algorithm (``frustration-signals.md`` §12).
- :func:`detect_idle` emits ``idle`` (no activity for 30 s) and ``long_pause`` (no user
  action for 10 s) signals (§11).
- :func:`detect_thrashed_cursor` emits ``thrashed_cursor`` episodes (§10).

This module gathers them: active time is ``_active_time``, idle gaps and long pauses
``_idle``, the thrashing cursor ``_thrash``; the small helpers (:func:`make_signal`,
:func:`replay_start`, ...) shared with the other page-level detector modules (``_visits``,
``_signals_page``) are ``_page_common``.
"""

from __future__ import annotations

from ._active_time import ActiveTime, ActivitySegment, active_time, activity_instants
from ._idle import detect_idle
from ._page_common import (
    USER_ACTION_KINDS,
    _ActionsByTime,
    action_end,
    is_user_action,
    latest_action,
    make_signal,
    replay_start,
)
from ._thrash import detect_thrashed_cursor

__all__ = [
    "USER_ACTION_KINDS",
    "ActiveTime",
    "ActivitySegment",
    "_ActionsByTime",
    "action_end",
    "active_time",
    "activity_instants",
    "detect_idle",
    "detect_thrashed_cursor",
    "is_user_action",
    "latest_action",
    "make_signal",
    "replay_start",
]
