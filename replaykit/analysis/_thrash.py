"""A thrashing cursor (``frustration-signals.md`` §10): ``thrashed_cursor`` episodes, the
mouse jerked back and forth.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from ._actions import Action
from ._page_common import (
    _ActionsByTime,
    make_signal,
    replay_start,
)
from ._signal import Signal
from ._signal_config import SignalConfig, ThrashConfig
from ._tape import PointerRecord, Tape

__all__ = ["detect_thrashed_cursor"]


def detect_thrashed_cursor(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """``thrashed_cursor`` episodes: the mouse jerked back and forth (§10).

    Mouse positions (not touch, not drag, none while a button is held) at their real
    times, per window and document. On each axis, consecutive samples moving the same way
    form a leg; legs shorter than ``thrash.min_leg_px`` (20 px) are dropped; a reversal is
    a kept leg going the other way from the previous kept one. An episode is a stretch
    with ≥ ``min_reversals`` (4) reversals on one axis within ``window_ms`` (1000 ms) and a
    mean pointer speed ≥ ``min_speed_px_ms`` (0.3 px/ms) between its first and last
    reversal; overlapping stretches merge. The definition follows OpenReplay's tracker
    (> 4 horizontal changes per 225 ms, its ``openreplay`` preset) loosened for rrweb's
    ≥ 50 ms mouse sampling.

    ``details``: ``reversals`` (per axis), ``mean_speed_px_ms``, the thresholds.
    ``evidence``: actions of that window and document during the episode.
    """
    start = replay_start(actions, tape)
    by_window: dict[str | None, list[PointerRecord]] = defaultdict(list)
    for r in tape.pointer:
        by_window[r.window_id].append(r)
    out: list[Signal] = []
    by_time = _ActionsByTime(actions)
    for window_id, records in by_window.items():
        out.extend(_thrash_in_window(replay_id, by_time, records, window_id, start, config))
    return out


def _pressed_spans(records: Iterable[PointerRecord]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    down: int | None = None
    for r in records:
        if r.kind == "down":
            if down is not None:
                spans.append((down, r.t))  # a lost MouseUp: end the press at the next one
            down = r.t
        elif r.kind == "up" and down is not None:
            spans.append((down, r.t))
            down = None
    if down is not None:
        spans.append((down, 2**62))
    return spans


def _reversals(ts: Sequence[int], vs: Sequence[float], min_leg: float) -> list[int]:
    """Times at which a kept leg starts going the other way on one axis."""
    legs: list[tuple[int, int, float]] = []  # (sign, start t, length)
    sign = 0
    start_t = ts[0] if ts else 0
    start_v = vs[0] if vs else 0.0
    for k in range(1, len(ts)):
        d = vs[k] - vs[k - 1]
        if d == 0:
            continue
        s = 1 if d > 0 else -1
        if s != sign:
            if sign:
                legs.append((sign, start_t, abs(vs[k - 1] - start_v)))
            sign, start_t, start_v = s, ts[k - 1], vs[k - 1]
    if sign and ts:
        legs.append((sign, start_t, abs(vs[-1] - start_v)))
    out: list[int] = []
    previous = 0
    for s, t, length in legs:
        if length < min_leg:
            continue
        if previous and s != previous:
            out.append(t)
        previous = s
    return out


def _thrash_in_window(
    replay_id: str,
    by_time: _ActionsByTime,
    records: list[PointerRecord],
    window_id: str | None,
    start: int | None,
    config: SignalConfig,
) -> list[Signal]:
    cfg = config.thrash
    out: list[Signal] = []
    records.sort(key=lambda r: r.t)
    spans = _pressed_spans(records)
    span_starts = [s for s, _ in spans]
    by_doc: dict[int, list[PointerRecord]] = defaultdict(list)
    for r in records:
        if r.kind != "move":
            continue
        k = bisect_right(span_starts, r.t) - 1
        if k >= 0 and spans[k][0] <= r.t <= spans[k][1]:
            continue  # button held: a drag or a text selection, not thrashing
        by_doc[r.document].append(r)
    for document, moves in sorted(by_doc.items()):
        for ep_start, ep_end, info in _episodes(moves, cfg):
            context = by_time.latest(ep_start, window_id=window_id, any_window=False)
            evidence = by_time.seqs_between(window_id, document, ep_start, ep_end)
            out.append(
                make_signal(
                    replay_id,
                    "thrashed_cursor",
                    ep_start,
                    start,
                    config,
                    end=ep_end,
                    url=context.url if context else None,
                    document=document,
                    window_id=window_id,
                    evidence=evidence,
                    details={
                        **info,
                        "window_ms": cfg.window_ms,
                        "min_reversals": cfg.min_reversals,
                        "min_leg_px": cfg.min_leg_px,
                        "min_speed_px_ms": cfg.min_speed_px_ms,
                    },
                )
            )
    return out


def _episodes(
    moves: Sequence[PointerRecord], cfg: ThrashConfig
) -> list[tuple[int, int, dict[str, Any]]]:
    if len(moves) < 3:
        return []
    ts = [m.t for m in moves]
    # Path length so far at each sample, for mean speed over any stretch.
    cum = [0.0]
    for p, q in pairwise(moves):
        cum.append(cum[-1] + math.hypot(q.x - p.x, q.y - p.y))

    def speed(a: int, b: int) -> float:
        if b <= a:
            return 0.0
        i = bisect_left(ts, a)
        j = bisect_right(ts, b) - 1
        return (cum[j] - cum[i]) / (b - a) if j > i else 0.0

    per_axis: dict[str, list[int]] = {}
    stretches: list[tuple[int, int]] = []
    for axis in cfg.axes:
        values = [m.x if axis == "x" else m.y for m in moves]
        revs = _reversals(ts, values, cfg.min_leg_px)
        per_axis[axis] = revs
        need = max(1, cfg.min_reversals)
        for i in range(len(revs) - need + 1):
            a, b = revs[i], revs[i + need - 1]
            if b - a <= cfg.window_ms and speed(a, b) >= cfg.min_speed_px_ms:
                stretches.append((a, b))
    stretches.sort()
    merged: list[list[int]] = []
    for a, b in stretches:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[tuple[int, int, dict[str, Any]]] = []
    for a, b in merged:
        reversals = {
            axis: bisect_right(revs, b) - bisect_left(revs, a) for axis, revs in per_axis.items()
        }
        out.append((a, b, {"reversals": reversals, "mean_speed_px_ms": round(speed(a, b), 3)}))
    return out
