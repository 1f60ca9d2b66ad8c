"""Hypothesis strategies for rrweb events and whole streams of them (valid or damaged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from hypothesis import strategies as st

from ._strategies_damage import damaged
from ._strategies_json import T0, Json, _coord, _json_values, _short_text, _urls, _words
from ._strategies_trees import _all_nodes, _node_ids, serialized_trees

__all__ = ["incremental_events", "rrweb_events", "rrweb_streams"]

_NAV_TAGS: Final = ("$pageview", "$url_changed", "tracelane.nav", "Navigate")


def _ids(node_ids: Sequence[int] | None) -> st.SearchStrategy[int]:
    known = st.sampled_from(list(node_ids)) if node_ids else st.integers(1, 60)
    # Mostly known ids; sometimes ids no snapshot had (pages change under the recorder).
    return st.one_of(known, known, known, st.integers(-1, 10_000))


def _stamp(timestamps: st.SearchStrategy[float] | None) -> st.SearchStrategy[float]:
    return timestamps if timestamps is not None else st.integers(T0, T0 + 600_000)


@st.composite
def _mutation_data(draw: st.DrawFn, ids: st.SearchStrategy[int]) -> dict[str, Json]:
    adds = []
    for _ in range(draw(st.integers(0, 4))):
        root = draw(serialized_trees(max_nodes=6, first_id=draw(st.integers(100, 5_000))))
        node = draw(st.sampled_from(_all_nodes(root)))
        add: dict[str, Json] = {"parentId": draw(ids), "node": node}
        add["nextId"] = draw(st.none() | ids)
        adds.append(add)
    return {
        "source": 0,
        "adds": adds,
        "removes": draw(st.lists(st.builds(lambda i: {"parentId": 1, "id": i}, ids), max_size=3)),
        "texts": draw(
            st.lists(st.fixed_dictionaries({"id": ids, "value": st.none() | _words}), max_size=3)
        ),
        "attributes": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": ids,
                        "attributes": st.dictionaries(
                            st.sampled_from(["class", "id", "value", "aria-hidden", "style"]),
                            st.none() | _short_text | st.dictionaries(_short_text, _short_text),
                            max_size=2,
                        ),
                    }
                ),
                max_size=3,
            )
        ),
    }


def _positions(ids: st.SearchStrategy[int]) -> st.SearchStrategy[list[dict[str, Json]]]:
    return st.lists(
        st.fixed_dictionaries(
            {"x": _coord, "y": _coord, "id": ids, "timeOffset": st.integers(-500, 0)}
        ),
        max_size=4,
    )


def _incremental_data(ids: st.SearchStrategy[int]) -> st.SearchStrategy[dict[str, Json]]:
    def source(number: int, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.fixed_dictionaries({"source": st.just(number), **fields})

    return st.one_of(
        _mutation_data(ids),
        source(1, positions=_positions(ids)),
        source(2, type=st.integers(0, 10), id=ids, x=_coord, y=_coord),
        # Again, weighted to press/release/click/dblclick/touch: clicks are what matter.
        source(2, type=st.sampled_from([1, 0, 2, 2, 4, 7, 9]), id=ids, x=_coord, y=_coord),
        source(3, id=ids, x=_coord, y=_coord),
        source(4, width=st.integers(0, 4_000), height=st.integers(0, 4_000)),
        source(5, id=ids, text=_words | _short_text, isChecked=st.booleans()),
        source(5, id=ids, text=_short_text, userTriggered=st.booleans()),
        source(6, positions=_positions(ids)),
        source(7, type=st.integers(0, 4), id=ids, currentTime=_coord),
        source(8, id=ids, adds=st.just([{"rule": "a{}", "index": 0}])),
        source(9, id=ids, type=st.just(0), commands=st.just([])),
        source(10, family=_short_text, fontSource=_short_text, buffer=st.booleans()),
        source(11, level=st.sampled_from(["log", "error", "warn"]), payload=st.lists(_words)),
        source(12, positions=_positions(ids)),
        source(13, id=ids, set=st.just({"property": "color", "value": "red"})),
        source(
            14,
            ranges=st.lists(
                st.fixed_dictionaries(
                    {
                        "start": ids,
                        "startOffset": st.integers(0, 30),
                        "end": ids,
                        "endOffset": st.integers(0, 30),
                    }
                ),
                max_size=2,
            ),
        ),
        source(15, id=ids, styleIds=st.just([1])),
        source(16, define=st.fixed_dictionaries({"name": _short_text})),
    )


def incremental_events(
    *,
    node_ids: Sequence[int] | None = None,
    timestamps: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, Json]]:
    """IncrementalSnapshot events (type 3) of every source (0 to 16), valid per rrweb.

    `node_ids` are the ids they mostly refer to (a snapshot's; default 1-60), with some
    unknown ones mixed in; `timestamps` draws the `timestamp` (default: 10 minutes from
    :data:`T0`).
    """
    ids = _ids(node_ids)
    return st.fixed_dictionaries(
        {"type": st.just(3), "data": _incremental_data(ids), "timestamp": _stamp(timestamps)}
    )


def _meta(href: st.SearchStrategy[str] = _urls) -> st.SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries(
        {"href": href, "width": st.integers(0, 4_000), "height": st.integers(0, 4_000)}
    )


def _request() -> st.SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries(
        {
            "url": _urls,
            "method": st.sampled_from(["GET", "POST", "PUT"]),
            "status": st.sampled_from([0, 200, 204, 404, 500, 503]),
            "startTime": st.integers(0, 60_000),
            "endTime": st.integers(0, 70_000),
            "initiatorType": st.sampled_from(["fetch", "xmlhttprequest", "img", "navigation"]),
        }
    )


def _other_data() -> st.SearchStrategy[tuple[int, Json]]:
    console = st.fixed_dictionaries(
        {
            "level": st.sampled_from(["log", "info", "warn", "error", "assert"]),
            "payload": st.lists(
                _words | st.sampled_from(['"Uncaught TypeError: x"', '"\\"quoted\\""']),
                max_size=3,
            ),
            "trace": st.lists(_short_text, max_size=2),
        }
    )
    plugin = st.one_of(
        st.fixed_dictionaries({"plugin": st.just("rrweb/console@1"), "payload": console}),
        st.fixed_dictionaries(
            {
                "plugin": st.sampled_from(["rrweb/network@1", "rrweb/network@1.mp"]),
                "payload": st.fixed_dictionaries({"requests": st.lists(_request(), max_size=3)}),
            }
        ),
        st.fixed_dictionaries(
            {
                "plugin": st.sampled_from(["acme/unknown@1", "rrweb/sequential-id@1"]),
                "payload": _json_values,
            }
        ),
    )
    custom = st.one_of(
        st.fixed_dictionaries(
            {"tag": st.sampled_from(_NAV_TAGS), "payload": st.fixed_dictionaries({"href": _urls})}
        ),
        st.fixed_dictionaries({"tag": st.just("Navigate"), "payload": _urls}),
        st.fixed_dictionaries({"tag": _short_text, "payload": _json_values}),
    )
    return st.one_of(
        st.tuples(st.just(0), st.just({})),
        st.tuples(st.just(1), st.just({})),
        st.tuples(st.just(4), _meta()),
        st.tuples(st.just(5), custom),
        st.tuples(st.just(6), plugin),
    )


def _events(
    node_ids: Sequence[int] | None,
    timestamps: st.SearchStrategy[float] | None,
    snapshots: bool,
) -> st.SearchStrategy[dict[str, Json]]:
    stamp = _stamp(timestamps)
    others = st.builds(
        lambda kind_data, ts: {"type": kind_data[0], "data": kind_data[1], "timestamp": ts},
        _other_data(),
        stamp,
    )
    assets = st.builds(lambda ts: {"type": 7, "data": {"url": "x"}, "timestamp": ts}, stamp)
    choices = [
        incremental_events(node_ids=node_ids, timestamps=timestamps),
        incremental_events(node_ids=node_ids, timestamps=timestamps),
        others,
        assets,
    ]
    if snapshots:
        choices.append(
            st.builds(
                lambda tree, ts: {"type": 2, "data": {"node": tree}, "timestamp": ts},
                serialized_trees(max_nodes=20),
                stamp,
            )
        )
    return st.one_of(choices)


def rrweb_events(
    *,
    node_ids: Sequence[int] | None = None,
    timestamps: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, Json]]:
    """Any one valid rrweb event: DomContentLoaded, Load, FullSnapshot, Incremental (every
    source), Meta, Custom (navigation tags and arbitrary ones), Plugin (console, network,
    unknown) or Asset. Arguments as for :func:`incremental_events`."""
    return _events(node_ids, timestamps, snapshots=True)


# --- streams -------------------------------------------------------------------------------


@st.composite
def _valid_stream(draw: st.DrawFn, max_events: int, max_nodes: int) -> list[dict[str, Json]]:
    t = draw(st.sampled_from([T0, 0, 1_000, 1_700_000_000]))  # epoch ms, tests' relative times
    events: list[dict[str, Json]] = []
    pages = draw(st.integers(1, 2))
    first_id = 1
    for _ in range(pages):
        tree = draw(serialized_trees(max_nodes=max_nodes, first_id=first_id))
        ids = _node_ids(tree)
        if draw(st.booleans()):
            events.append({"type": 0, "data": {}, "timestamp": t})
            events.append({"type": 1, "data": {}, "timestamp": t})
        events.append({"type": 4, "data": draw(_meta()), "timestamp": t})
        events.append(
            {
                "type": 2,
                "data": {"node": tree, "initialOffset": {"top": 0, "left": 0}},
                "timestamp": t + 1,
            }
        )
        gaps = draw(st.lists(st.integers(0, 3_000), max_size=max_events // pages))
        for gap in gaps:
            t += gap
            # Snapshots come with page loads (above), not in between.
            events.append(draw(_events(ids, st.just(t), snapshots=False)))
        t += draw(st.integers(1, 5_000))
        first_id = draw(st.sampled_from([1, first_id + 1_000]))  # reload, or a checkout's ids
    return events


@st.composite
def _invalid_stream(draw: st.DrawFn, max_events: int, max_nodes: int) -> list[Json]:
    events = draw(_valid_stream(max_events, max_nodes))
    return draw(damaged(events))


def rrweb_streams(
    *, valid: bool = True, max_events: int = 30, max_nodes: int = 30
) -> st.SearchStrategy[list[Json]]:
    """Whole recordings as lists of events.

    ``valid=True``: one or two page loads (Meta + FullSnapshot of a random tree, sometimes
    after DomContentLoaded/Load), then up to `max_events` events of every kind referring
    mostly to the snapshot's ids, at non-decreasing times (epoch ms, or relative times
    from 0 as test fixtures have). Every element decodes; nothing is skipped.

    ``valid=False``: such a stream after :func:`damaged`.
    """
    if valid:
        return _valid_stream(max_events, max_nodes)
    return _invalid_stream(max_events, max_nodes)
