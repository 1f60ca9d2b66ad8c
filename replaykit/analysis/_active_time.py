"""Active time (PostHog's ingestion algorithm, ``frustration-signals.md`` §12) and the
instants at which someone did something (§11), from the replay's
:class:`~replaykit.analysis._tape.Tape`.
"""

from __future__ import annotations

from collections import Counter

import msgspec

from ._signal_config import DEFAULT_SIGNAL_CONFIG, SignalConfig
from ._tape import Tape

__all__ = ["ActiveTime", "ActivitySegment", "active_time", "activity_instants"]

# Sources whose MutationRecord marks a MediaInteraction (rrweb source 7), an active source
# for PostHog that the tape's activity flags do not include.
_MEDIA_SOURCE = 7


class ActivitySegment(msgspec.Struct, frozen=True, kw_only=True):
    """A stretch of the replay, active (someone was doing something) or not; epoch ms."""

    start: int
    end: int
    active: bool

    @property
    def duration_ms(self) -> int:
        """``end - start``."""
        return self.end - self.start


class ActiveTime(msgspec.Struct, frozen=True, kw_only=True):
    """Active vs wall time of one replay (PostHog ``active_milliseconds``, §12).

    ``wall_ms`` = last − first event timestamp (after the decoder's outlier repair);
    ``active_ms`` = the summed length of the active segments, a zero-length one counting
    1 ms; ``idle_ms`` = ``wall_ms - active_ms`` (never negative). ``segments`` alternate
    between active and inactive stretches, for skipping idle parts in a player.
    """

    active_ms: int
    idle_ms: int
    wall_ms: int
    segments: tuple[ActivitySegment, ...] = ()
    threshold_ms: int = 5000


def _promoted(tape: Tape, selection_active: bool) -> Counter[int]:
    """Times of passive-flagged events that are active for this definition.

    MediaInteraction is one of PostHog's active sources; the tape keeps it as a
    MutationRecord with ``source=7``. Mixpanel's SDK also counts Selection.
    """
    times: Counter[int] = Counter(m.t for m in tape.mutations if m.source == _MEDIA_SOURCE)
    if selection_active:
        times.update(tape.selections)
    return times


def active_time(tape: Tape, config: SignalConfig | None = None) -> ActiveTime:
    """Active time the way PostHog's ingestion computes ``active_milliseconds`` (§12).

    Walk every event in time order, L = the time of the last active event (mouse move,
    mouse interaction, scroll, viewport resize, input, touch move, media interaction,
    drag). A new segment starts at the first event; when the current segment is inactive
    and an active event arrives; or when it is active and an event comes more than
    ``activity_threshold_ms`` (5000) after L (L read *before* the event updates it). A
    segment is active if its first event is; every event moves its end.

    Like PostHog's ingestion, all windows (tabs) of the replay are walked as one stream.
    """
    cfg = (config or DEFAULT_SIGNAL_CONFIG).active_time
    threshold = cfg.activity_threshold_ms
    events = sorted(tape.activity, key=lambda e: e[0])  # stable: stream order within a ms
    promote = _promoted(tape, cfg.selection_active)
    if promote:
        # An active event already at that ms makes the promotion moot (and keeps this exact
        # should the tape start flagging media as active itself).
        for t, active in events:
            if active and promote.get(t):
                promote[t] -= 1
    segments: list[ActivitySegment] = []
    seg_start = seg_end = 0
    seg_active = False
    have_segment = False
    last_active = 0
    for t, flagged in events:
        active = flagged
        if not active and promote.get(t):
            promote[t] -= 1
            active = True
        new = (
            not have_segment
            or (active and not seg_active)
            or (seg_active and last_active + threshold < t)
        )
        if active:
            last_active = t
        if new:
            if have_segment:
                segments.append(ActivitySegment(start=seg_start, end=seg_end, active=seg_active))
            seg_start = seg_end = t
            seg_active = active
            have_segment = True
        else:
            seg_end = t
    if have_segment:
        segments.append(ActivitySegment(start=seg_start, end=seg_end, active=seg_active))
    first = (
        tape.first_timestamp
        if tape.first_timestamp is not None
        else (events[0][0] if events else 0)
    )
    last = (
        tape.last_timestamp
        if tape.last_timestamp is not None
        else (events[-1][0] if events else first)
    )
    wall = max(0, last - first)
    active_ms = sum(max(1, s.end - s.start) for s in segments if s.active)
    return ActiveTime(
        active_ms=active_ms,
        idle_ms=max(0, wall - active_ms),
        wall_ms=wall,
        segments=tuple(segments),
        threshold_ms=threshold,
    )


def activity_instants(tape: Tape) -> list[int]:
    """Sorted instants at which someone did something (§11).

    The events of PostHog's active sources at their timestamps, plus every mouse/touch/drag
    position at its own time (a batched MouseMove carries positions up to a second older
    than the event), minus the scrolls the page made itself (``programmatic``).
    """
    instants = [t for t, active in tape.activity if active]
    instants.extend(m.t for m in tape.mutations if m.source == _MEDIA_SOURCE)
    instants.extend(p.t for p in tape.pointer if p.kind in ("move", "touch", "drag"))
    instants.sort()
    programmatic = Counter(s.t for s in tape.scrolls if s.programmatic)
    if not programmatic:
        return instants
    kept: list[int] = []
    for t in instants:
        if programmatic.get(t):
            programmatic[t] -= 1  # drop one instant: that scroll event's own
            continue
        kept.append(t)
    return kept
