"""Hypothesis strategies that damage rrweb events the way uploads, old recorders and
attackers do (:func:`damaged`)."""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Sequence
from typing import Any, Final

from hypothesis import strategies as st

from ._strategies_json import Json, _json_values

__all__ = ["damaged"]

_JUNK: Final[tuple[Json, ...]] = (
    None,
    -1,
    0,
    2**63,
    -(2**70),
    1e308,
    1.5,
    "",
    "x" * 300,
    "NaN",
    True,
    [],
    {},
    [1, [2, [3]]],
    {"type": 3},
    {"type": 3, "data": {"source": 99}, "timestamp": 1},
    {"type": 42, "data": {}, "timestamp": 1},
    "x\u009c\u00ffnot zlib",
)


def _junk(draw: st.DrawFn) -> Json:
    # A copy: the junk values are shared constants, and later faults write into what an
    # earlier one inserted (without the copy, into _JUNK itself, or making a cycle).
    return copy.deepcopy(draw(st.sampled_from(_JUNK) | _json_values))


def _paths(value: Json) -> list[list[Any]]:
    """Every path (list of keys/indices) into a JSON value, iteratively."""
    out: list[list[Any]] = []
    stack: list[tuple[list[Any], Json]] = [([], value)]
    while stack and len(out) < 5_000:
        path, v = stack.pop()
        out.append(path)
        if isinstance(v, dict):
            stack.extend(([*path, k], v[k]) for k in v)
        elif isinstance(v, list):
            stack.extend(([*path, i], x) for i, x in enumerate(v))
    return out


def _at(value: Json, path: Sequence[Any]) -> Json:
    for key in path:
        value = value[key]
    return value


def _pack(event: Json) -> str:
    data = {**event, "v": "v1"} if isinstance(event, dict) else event
    return zlib.compress(json.dumps(data).encode()).decode("latin-1")


def _timestamp_chaos(event: dict[str, Json], how: int) -> None:
    ts = event.get("timestamp")
    if not isinstance(ts, int | float) or isinstance(ts, bool):
        return
    event["timestamp"] = (
        0,
        ts * 1000,
        ts / 1000,
        ts * 10,
        -ts,
        str(ts),
        ts + 3_600_000 * 24 * 400,
        "NaN",  # a string: JSON itself has no NaN
        None,
    )[how % 9]


@st.composite
def _damage(draw: st.DrawFn, events: Sequence[Json], max_damage: int) -> list[Json]:
    out: list[Json] = copy.deepcopy(list(events))
    ops = draw(st.lists(st.integers(0, 11), min_size=1, max_size=max_damage))
    for op in ops:
        if not out:
            out.append(_junk(draw))
            continue
        i = draw(st.integers(0, len(out) - 1))
        if op in (0, 1):  # replace a spot deep inside an event with junk or anything
            paths = _paths(out[i])
            path = draw(st.sampled_from(paths))
            junk = _junk(draw)
            if not path:
                out[i] = junk
            else:
                _at(out[i], path[:-1])[path[-1]] = junk
        elif op == 2:  # delete a key or an item
            paths = [p for p in _paths(out[i]) if p]
            if paths:
                path = draw(st.sampled_from(paths))
                del _at(out[i], path[:-1])[path[-1]]
        elif op == 3:  # timestamps: 0, seconds, 10x typos, negative, strings, far future
            if isinstance(out[i], dict):
                _timestamp_chaos(out[i], draw(st.integers(0, 8)))
        elif op == 4:  # unknown type / source
            if isinstance(out[i], dict):
                if isinstance(out[i].get("data"), dict) and draw(st.booleans()):
                    out[i]["data"]["source"] = draw(st.integers(17, 99))
                else:
                    out[i]["type"] = draw(st.integers(8, 99) | st.just("3"))
        elif op == 5:  # reorder
            j = draw(st.integers(0, len(out) - 1))
            out[i], out[j] = out[j], out[i]
        elif op == 6:  # duplicate
            out.insert(i, copy.deepcopy(out[i]))
        elif op == 7:  # drop
            del out[i]
        elif op == 8:  # junk element
            out.insert(i, _junk(draw))
        elif op == 9:  # packed (@rrweb/packer), sometimes with flipped bytes
            packed = _pack(out[i])
            if draw(st.booleans()):
                k = draw(st.integers(2, max(2, len(packed) - 1)))
                packed = packed[:k] + chr(ord(packed[k - 1]) ^ 0x55) + packed[k:]
            out[i] = packed
        elif op == 10:  # cut a string short
            strings = [p for p in _paths(out[i]) if p and isinstance(_at(out[i], p), str)]
            if strings:
                path = draw(st.sampled_from(strings))
                parent = _at(out[i], path[:-1])
                parent[path[-1]] = parent[path[-1]][: draw(st.integers(0, 5))]
        else:  # a node of a tree made to reference itself or a missing parent by id
            ids = [p for p in _paths(out[i]) if p and p[-1] in ("id", "parentId", "nextId")]
            if ids:
                path = draw(st.sampled_from(ids))
                _at(out[i], path[:-1])[path[-1]] = draw(st.integers(-2, 12))
    return out


def damaged(events: Sequence[Json], *, max_damage: int = 8) -> st.SearchStrategy[list[Json]]:
    """Copies of `events` (e.g. a real recording's) with 1 to `max_damage` random faults.

    Faults: a value anywhere replaced by junk or arbitrary JSON, a key or item deleted,
    timestamps set to 0 / seconds / 10x / negative / strings / far future, unknown types
    and sources, events swapped, duplicated or dropped, junk elements inserted, events
    packed (`@rrweb/packer`) with or without flipped bytes, strings cut short, node ids
    pointing at themselves or at nothing. `events` itself is never modified.
    """
    return _damage(events, max_damage)
