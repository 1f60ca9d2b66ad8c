"""Hypothesis strategies for rrweb recordings: valid streams, random trees, damaged events.

For property tests of anything that reads rrweb (replaykit's own fuzz tests use them)::

    from hypothesis import given
    from replaykit.testing import recording_bytes, rrweb_streams

    @given(rrweb_streams(valid=False))
    def test_never_crashes(events): ...

    @given(recording_bytes(rrweb_streams(), damage=True))
    def test_bytes_never_crash(data): ...

Values are plain JSON-ready objects (dicts, lists, str, numbers) shaped exactly as
recorders write them: encode them with :func:`json.dumps` or let :func:`recording_bytes`
put them in a container (JSON array, NDJSON, gzip, zlib, packer strings, PostHog lines,
wrappers). A *valid* stream decodes into typed events with nothing skipped; *invalid*
ones are valid streams damaged the way uploads, old recorders and attackers damage them.

This module needs hypothesis, a test dependency; importing :mod:`replaykit.testing` does
not load it (these names are imported on first use).
"""

from __future__ import annotations

import copy
import gzip
import json
import zlib
from collections.abc import Sequence
from typing import Any, Final, TypeAlias

from hypothesis import strategies as st

__all__ = [
    "CONTAINERS",
    "damaged",
    "encode_recording",
    "incremental_events",
    "recording_bytes",
    "rrweb_events",
    "rrweb_streams",
    "serialized_trees",
]

Json: TypeAlias = Any
"""A JSON-ready value: dict, list, str, int, float, bool or None."""

T0: Final = 1_700_000_000_000
"""Epoch ms the generated streams start near."""

_TAGS: Final = (
    "div",
    "span",
    "p",
    "a",
    "button",
    "input",
    "select",
    "option",
    "textarea",
    "form",
    "label",
    "ul",
    "li",
    "h1",
    "img",
    "section",
    "iframe",
    "svg",
    "summary",
    "details",
)
_INPUT_TYPES: Final = ("text", "password", "email", "checkbox", "radio", "submit", "hidden")
_NAV_TAGS: Final = ("$pageview", "$url_changed", "tracelane.nav", "Navigate")

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_coord = st.floats(min_value=0, max_value=4_000, allow_nan=False, allow_infinity=False)
_short_text = st.text(max_size=24)
_words = st.sampled_from(["Go", "Add to cart", "Sign in", "Next →", "12", "***", "", " "])
_urls = st.builds(
    lambda host, path: f"https://{host}/{path}",
    st.sampled_from(["shop.test", "app.test", "x.test"]),
    st.sampled_from(["", "products", "products/44?x=1", "checkout", "a/b/c#top", "ü"]),
)

# Arbitrary JSON, for payloads that may hold anything and for damage.
_json_leaf = st.none() | st.booleans() | st.integers(-(2**63), 2**64) | _finite | _short_text
_json_values: st.SearchStrategy[Json] = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_short_text, inner, max_size=4),
    max_leaves=10,
)


# --- serialized node trees -----------------------------------------------------------------


@st.composite
def _attributes(draw: st.DrawFn, tag: str) -> dict[str, Json]:
    attrs: dict[str, Json] = {}
    if draw(st.booleans()):
        attrs["id"] = draw(st.sampled_from(["go", "email", "q", "main", "x y", ""]))
    if draw(st.booleans()):
        attrs["class"] = draw(st.sampled_from(["btn", "btn primary", "ph-no-capture", ""]))
    if tag == "input":
        attrs["type"] = draw(st.sampled_from(_INPUT_TYPES))
        if draw(st.booleans()):
            attrs["value"] = draw(_short_text)
    if tag == "a":
        attrs["href"] = draw(_urls | st.sampled_from(["#top", "mailto:a@b.c", ""]))
    extra = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "role",
                    "aria-label",
                    "aria-hidden",
                    "placeholder",
                    "title",
                    "data-testid",
                    "tabindex",
                    "onclick",
                    "checked",
                    "rr_width",
                    "contenteditable",
                    "style",
                    "_cssText",
                ]
            ),
            st.one_of(_short_text, st.just(True), st.integers(-5, 5)),
            max_size=3,
        )
    )
    attrs.update(extra)
    return attrs


@st.composite
def _trees(draw: st.DrawFn, max_nodes: int, first_id: int, duplicate_ids: bool) -> dict[str, Json]:
    # Built without recursion, parent by parent: each new node picks an existing element
    # (or the body) as its parent, so any shape up to a chain of `max_nodes` comes out.
    n = draw(st.integers(min_value=3, max_value=max(3, max_nodes)))
    nodes: list[dict[str, Json]] = [
        {"type": 0, "id": first_id, "childNodes": []},
        {"type": 2, "id": first_id + 1, "tagName": "html", "attributes": {}, "childNodes": []},
        {"type": 2, "id": first_id + 2, "tagName": "body", "attributes": {}, "childNodes": []},
    ]
    nodes[0]["childNodes"].append(nodes[1])
    nodes[1]["childNodes"].append(nodes[2])
    containers = [2]
    for i in range(3, n):
        parent = nodes[draw(st.sampled_from(containers))]
        node_id = first_id + i
        if duplicate_ids and draw(st.integers(0, 9)) == 0:
            node_id = draw(st.integers(first_id, first_id + i))
        kind = draw(st.sampled_from(["element"] * 6 + ["text"] * 3 + ["comment"]))
        node: dict[str, Json]
        if kind == "element":
            tag = draw(st.sampled_from(_TAGS))
            node = {
                "type": 2,
                "id": node_id,
                "tagName": tag,
                "attributes": draw(_attributes(tag)),
                "childNodes": [],
            }
            if tag == "svg":
                node["isSVG"] = True
            if draw(st.integers(0, 15)) == 0:
                node["isShadowHost"] = True
            containers.append(i)
        elif kind == "text":
            node = {"type": 3, "id": node_id, "textContent": draw(_words | _short_text)}
        else:
            node = {"type": 5, "id": node_id, "textContent": draw(_short_text)}
        if draw(st.integers(0, 20)) == 0:
            node["isShadow"] = True
        nodes.append(node)
        parent["childNodes"].append(node)
    return nodes[0]


def serialized_trees(
    *, max_nodes: int = 40, first_id: int = 1, duplicate_ids: bool = False
) -> st.SearchStrategy[dict[str, Json]]:
    """rrweb serialized DOM trees: a Document (id `first_id`) > html > body > random nodes.

    Up to `max_nodes` nodes of any shape (wide, deep or both): elements with the
    attributes labels and selectors read, text (sometimes masked), comments, shadow roots.
    Ids are `first_id`, `first_id + 1`, ... in creation order, unless `duplicate_ids`
    re-uses some (as buggy recorders do).
    """
    return _trees(max_nodes, first_id, duplicate_ids)


def _all_nodes(tree: dict[str, Json]) -> list[dict[str, Json]]:
    nodes: list[dict[str, Json]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("childNodes", ()))
    return nodes


def _node_ids(tree: dict[str, Json]) -> list[int]:
    return [node["id"] for node in _all_nodes(tree)]


# --- events --------------------------------------------------------------------------------


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


# --- damage --------------------------------------------------------------------------------

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


# --- bytes ---------------------------------------------------------------------------------

CONTAINERS: Final = (
    "json",
    "json-lines",
    "json-pretty",
    "ndjson",
    "gzip",
    "zlib",
    "packed",
    "posthog-pairs",
    "posthog-windows",
    "wrapped",
)
"""The containers :func:`recording_bytes` writes (all of which replaykit reads)."""


def encode_recording(events: Sequence[Json], container: str) -> bytes:
    """`events` as the bytes of a recording in `container` (one of :data:`CONTAINERS`)."""
    events = list(events)
    dumps = json.dumps
    if container == "json":
        return dumps(events, separators=(",", ":")).encode()
    if container == "json-lines":
        return ("[\n" + ",\n".join(dumps(e) for e in events) + "\n]\n").encode()
    if container == "json-pretty":
        return dumps(events, indent=2).encode()
    if container == "ndjson":
        return "".join(dumps(e) + "\n" for e in events).encode()
    if container == "gzip":
        return gzip.compress(encode_recording(events, "json-lines"), mtime=0)
    if container == "zlib":
        return zlib.compress(encode_recording(events, "json"))
    if container == "packed":
        return dumps([_pack(e) for e in events]).encode()
    if container == "posthog-pairs":
        return "".join(dumps(["window-1", e]) + "\n" for e in events).encode()
    if container == "posthog-windows":
        return "".join(dumps({"window_id": "w1", "data": [e]}) + "\n" for e in events).encode()
    if container == "wrapped":
        return dumps({"data": {"events": events}}).encode()
    raise ValueError(f"unknown container {container!r}; expected one of {CONTAINERS}")


@st.composite
def _bytes(
    draw: st.DrawFn,
    events: st.SearchStrategy[list[Json]],
    containers: Sequence[str],
    damage: bool,
) -> bytes:
    data = encode_recording(draw(events), draw(st.sampled_from(list(containers))))
    if damage and data:
        how = draw(st.integers(0, 3))
        if how == 0:  # cut off (an upload that stopped)
            data = data[: draw(st.integers(0, len(data)))]
        elif how == 1:  # flipped bytes
            raw = bytearray(data)
            for _ in range(draw(st.integers(1, 4))):
                k = draw(st.integers(0, len(raw) - 1))
                raw[k] ^= draw(st.integers(1, 255))
            data = bytes(raw)
        elif how == 2:  # a slice spliced out
            a = draw(st.integers(0, len(data)))
            b = draw(st.integers(a, min(len(data), a + 64)))
            data = data[:a] + data[b:]
    return data


def recording_bytes(
    events: st.SearchStrategy[list[Json]] | None = None,
    *,
    containers: Sequence[str] = CONTAINERS,
    damage: bool = False,
) -> st.SearchStrategy[bytes]:
    """Recordings as bytes: `events` (default: :func:`rrweb_streams`) in one of
    `containers` (:data:`CONTAINERS`). With `damage`, the bytes are sometimes cut off,
    have flipped bytes or a slice spliced out."""
    return _bytes(events if events is not None else rrweb_streams(), tuple(containers), damage)
