"""The fake Mixpanel's data: replays (:class:`FakeReplay`) read from recordings, and the
Mixpanel event dataset derived from them that Insights and export answer from."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["FakeReplay"]


class FakeReplay(msgspec.Struct, kw_only=True):
    """One replay the fake serves; mutable, so a test can change it while the fake runs.

    ``retention_days`` is the suffix of its chunk files (``0000-30.json``);
    ``retention_property`` is the ``$mp_replay_retention_period`` discovery reports (``None``:
    the property is missing; defaults to ``str(retention_days)``). ``chunks`` are the encoded
    JSON arrays of its chunk files.
    """

    replay_id: str
    chunks: list[bytes]
    distinct_id: str = "user-42"
    retention_days: int = 30
    retention_property: str | msgspec.UnsetType | None = msgspec.UNSET
    env: str = "prod"
    start_ms: int = 0
    marks: list[tuple[int, str, dict[str, Any]]] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.retention_property is msgspec.UNSET:
            self.retention_property = str(self.retention_days)


def _load_events(path: Path) -> list[Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    events = msgspec.json.decode(raw)
    if not isinstance(events, list):
        raise ValueError(f"{path}: not a JSON array of rrweb events")
    return events


def _recording_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Path]:
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.name.endswith((".json", ".json.gz"))
                and not p.name.endswith(".truth.json")
                and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def _marks(events: list[Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """Mixpanel events an SDK would have sent beside the recording: page views and clicks."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    url = ""
    for ev in events:
        if not isinstance(ev, dict) or not isinstance(ev.get("data"), dict):
            continue
        ts, data = ev.get("timestamp"), ev["data"]
        if not isinstance(ts, int):
            continue
        if ev.get("type") == 4 and isinstance(data.get("href"), str):
            url = data["href"]
            out.append((ts, "$mp_web_page_view", {"$current_url": url}))
        elif ev.get("type") == 3 and data.get("source") == 2 and data.get("type") == 2:
            out.append((ts, "$mp_click", {"$current_url": url}))
    return out


def _dataset_events(
    replays: Iterable[FakeReplay], extra_events: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The event dataset: session-record checkpoints, page views, clicks, extras."""
    out: list[dict[str, Any]] = []
    for r in replays:
        base = {"distinct_id": r.distinct_id, "$mp_replay_id": r.replay_id}
        for i in range(len(r.chunks)):
            props: dict[str, Any] = {**base, "$mp_chunk": i}
            if isinstance(r.retention_property, str):
                props["$mp_replay_retention_period"] = r.retention_property
            t = r.start_ms if i == 0 else r.start_ms + i  # chunk 0 carries the start
            out.append({"event": "$mp_session_record", "properties": {"time": t / 1000, **props}})
        for ts, name, extra in r.marks:
            props = {"time": ts / 1000, **base, **extra}
            out.append({"event": name, "properties": props})
    for ev in extra_events:
        out.append({"event": ev["event"], "properties": dict(ev["properties"])})
    for n, ev in enumerate(out):
        ev["properties"].setdefault("$insert_id", f"fake-{n}")
    return out


def _day_start(day: str) -> float:
    return dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC).timestamp()
