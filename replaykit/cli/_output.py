"""Output formats for analyzed replays, each streaming as replays arrive.

NDJSON keys (one line per action): ``replay_id``, ``seq``, ``kind``, ``t_ms``,
``timestamp``, ``node_id``, ``target``, ``label``, ``url``, ``details`` (an object whose
``kind`` repeats the action kind). ``json`` writes one array of replays, each with its
``coverage`` and ``actions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

import msgspec

from .._api import AnalyzedReplay
from ..analysis._timeline import describe_action, short_url

__all__ = ["write_json", "write_markdown", "write_ndjson", "write_table"]

_encoder = msgspec.json.Encoder()


def write_ndjson(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """One JSON object per action, flushed per replay."""
    for replay in replays:
        lines = [_encoder.encode(action).decode() for action in replay.actions]
        if lines:
            out.write("\n".join(lines) + "\n")
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
    """The markdown timeline of each replay, with a header naming it."""
    first = True
    for replay in replays:
        if not first:
            out.write("\n")
        first = False
        text = replay.markdown()
        cov = replay.coverage
        notes = []
        if cov.truncated:
            notes.append("truncated: part of the recording could not be analyzed")
        skipped = sum(cov.unknown.values()) + cov.malformed + cov.too_deep
        if skipped:
            notes.append(f"{skipped} events skipped (unknown or malformed)")
        header, _, body = text.partition("\n\n")
        seconds = replay.duration_ms / 1000
        out.write(f"{header}\n\n{len(replay.actions)} actions over {seconds:.1f}s")
        if replay.actions and replay.actions[0].url:
            out.write(f", starting at {replay.actions[0].url}")
        out.write(".\n")
        for note in notes:
            out.write(f"> {note}\n")
        out.write("\n" + body)
        out.flush()


def write_table(replays: Iterable[AnalyzedReplay], out: TextIO) -> None:
    """An aligned plain-text table: replay, time, kind, description, page."""
    headers = ("replay", "t", "kind", "what", "page")
    for replay in replays:
        rows = [
            (
                replay.replay_id[:20],
                f"{a.t_ms / 1000:.1f}s",
                a.kind,
                describe_action(a)[:70],
                short_url(a.url)[:40],
            )
            for a in replay.actions
        ]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        out.write("\n")
        for row in rows:
            cells = (c.ljust(w) for c, w in zip(row, widths, strict=True))
            out.write("  ".join(cells).rstrip() + "\n")
        out.flush()
