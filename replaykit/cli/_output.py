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

from collections.abc import Iterable
from typing import TextIO

import msgspec

from .._api import AnalyzedReplay
from .._text import printable
from ..analysis._mobile import describe_any, display_url
from ..analysis._signal import Signal
from ..analysis._timeline import short_url

__all__ = ["write_json", "write_markdown", "write_ndjson", "write_table"]

_encoder = msgspec.json.Encoder()


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


def _clip(text: str, width: int) -> str:
    """Cut to ``width`` characters, marking the cut with "…"."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _signal_text(signal: Signal) -> str:
    what = signal.kind.replace("_", " ")
    name = f' "{signal.label}"' if signal.label else ""
    span = f" over {signal.duration_ms / 1000:.1f}s" if signal.duration_ms else ""
    return f"! {what}{name}{span}"


def write_table(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """An aligned plain-text table: replay, time, kind, description, page (signals are
    rows too, their description starting with ``!``)."""
    headers = ("replay", "t", "kind", "what", "page")
    for replay in replays:
        keyed = [
            (
                a.timestamp,
                (
                    replay.replay_id[:20],
                    f"{a.t_ms / 1000:.1f}s",
                    str(a.kind),
                    _clip(describe_any(a), 70),
                    _clip(short_url(display_url(a.url)), 40),
                ),
            )
            for a in replay.actions
        ]
        keyed += [
            (
                sig.timestamp,
                (
                    replay.replay_id[:20],
                    f"{sig.t_ms / 1000:.1f}s",
                    str(sig.kind),
                    _clip(_signal_text(sig), 70),
                    _clip(short_url(display_url(sig.url)), 40),
                ),
            )
            for sig in replay.signals
        ]
        keyed.sort(key=lambda item: item[0])
        rows = [tuple(printable(c, keep_newlines=False) for c in row) for _, row in keyed]
        if replay.coverage.note:
            rows.insert(0, (replay.replay_id[:20], "", "note", replay.coverage.note[:70], ""))
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        out.write("\n")
        for row in rows:
            cells = (c.ljust(w) for c, w in zip(row, widths, strict=True))
            out.write("  ".join(cells).rstrip() + "\n")
        out.flush()
