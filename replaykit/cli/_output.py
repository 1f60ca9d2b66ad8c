"""Output formats for analyzed replays, each streaming as replays arrive.

NDJSON keys (one line per action): ``replay_id``, ``seq``, ``kind``, ``t_ms``,
``timestamp``, ``node_id``, ``target``, ``label``, ``url``, ``document``, ``window_id``,
``details`` (an object whose ``kind`` repeats the action kind). With signals, each signal
is one more line with ``"record": "signal"`` and ``replay_id``, ``kind`` (``rage_click``,
``dead_click``, ...), ``timestamp`` (epoch ms of its start), ``t_ms``, ``end_timestamp``,
``duration_ms``, ``target``, ``label``, ``url``, ``evidence`` (action seqs), ``preset``
and ``details``; lines of one replay are in time order. ``json`` writes one array of
replays, each with its ``coverage``, ``actions`` and ``signals``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

import msgspec

from .._api import AnalyzedReplay
from ..analysis._mobile import describe_any, display_url
from ..analysis._signal import Signal
from ..analysis._timeline import short_url
from ._console import write_table as console_table

__all__ = ["WRITERS", "write_json", "write_markdown", "write_ndjson", "write_table"]

_encoder = msgspec.json.Encoder()
_WIDTHS = (20, None, None, 70, 40)  # replay, t, kind, what, page


def _signal_line(signal: Signal) -> str:
    return _encoder.encode({"record": "signal", **msgspec.structs.asdict(signal)}).decode()


def write_ndjson(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """One JSON object per action (and per signal), in time order, flushed per replay."""
    for replay in replays:
        keyed = [(a.timestamp, 0, _encoder.encode(a).decode()) for a in replay.actions]
        keyed += [(s.timestamp, 1, _signal_line(s)) for s in replay.signals]
        if replay.coverage.note:
            note = {
                "record": "note",
                "replay_id": replay.replay_id,
                "message": replay.coverage.note,
            }
            keyed.insert(0, (-1, -1, _encoder.encode(note).decode()))
        keyed.sort(key=lambda item: (item[0], item[1]))
        if keyed:
            out.write("\n".join(line for _, _, line in keyed) + "\n")
        out.flush()


def _replay_object(replay: AnalyzedReplay) -> dict[str, object]:
    return {
        "replay_id": replay.replay_id,
        "source": replay.source,
        "start_timestamp": replay.start_timestamp,
        "end_timestamp": replay.end_timestamp,
        "duration_ms": replay.duration_ms,
        "truncated": replay.coverage.truncated,
        "coverage": replay.coverage,
        "actions": replay.actions,
        "signals": replay.signals,
    }


def write_json(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """A JSON array of replays, written element by element (nothing buffered whole)."""
    out.write("[")
    first = True
    for replay in replays:
        if not first:
            out.write(",")
        out.write("\n")
        out.write(_encoder.encode(_replay_object(replay)).decode())
        first = False
        out.flush()
    out.write("\n]\n" if not first else "]\n")


def write_markdown(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """The markdown timeline of each replay (:meth:`AnalyzedReplay.markdown`)."""
    first = True
    for replay in replays:
        if not first:
            out.write("\n")
        first = False
        out.write(replay.markdown())
        out.flush()


def _signal_text(signal: Signal) -> str:
    what = signal.kind.replace("_", " ")
    name = f' "{signal.label}"' if signal.label else ""
    span = f" over {signal.duration_ms / 1000:.1f}s" if signal.duration_ms else ""
    return f"! {what}{name}{span}"


def write_table(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """An aligned table per replay: replay, time, kind, description, page (signals are
    rows too, their description starting with ``!``); long cells end in "…"."""
    headers = ("replay", "t", "kind", "what", "page")
    for replay in replays:
        keyed = [
            (
                a.timestamp,
                (
                    replay.replay_id,
                    f"{a.t_ms / 1000:.1f}s",
                    str(a.kind),
                    describe_any(a),
                    short_url(display_url(a.url)),
                ),
            )
            for a in replay.actions
        ]
        keyed += [
            (
                sig.timestamp,
                (
                    replay.replay_id,
                    f"{sig.t_ms / 1000:.1f}s",
                    str(sig.kind),
                    _signal_text(sig),
                    short_url(display_url(sig.url)),
                ),
            )
            for sig in replay.signals
        ]
        keyed.sort(key=lambda item: item[0])
        rows = [row for _, row in keyed]
        if replay.coverage.note:
            rows.insert(0, (replay.replay_id, "", "note", replay.coverage.note, ""))
        console_table(headers, rows, out, max_widths=_WIDTHS)


WRITERS: dict[str, Callable[[Iterable[AnalyzedReplay], TextIO], None]] = {
    "markdown": write_markdown,
    "ndjson": write_ndjson,
    "json": write_json,
    "table": write_table,
}
