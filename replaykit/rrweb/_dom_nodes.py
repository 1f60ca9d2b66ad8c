"""What the DOM mirror keeps of one node: markers for non-elements, the kept attributes,
the caps, the counters (:class:`DomStats`), and helpers over snapshot subtrees."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import msgspec

from ._model import (
    AddedNode,
    CDATANode,
    CommentNode,
    DocumentNode,
    DocumentTypeNode,
    ElementNode,
    Node,
    NodeType,
)

__all__ = ["MAX_DATA_ATTRS", "DomStats", "kept_name"]


class DomStats(msgspec.Struct, kw_only=True):
    """Counters of a `DomTracker`, cumulative over its life (every document it mirrored).

    Mutable on purpose: the tracker updates it in place. Take a snapshot with
    `msgspec.structs.asdict(tracker.stats)`.

    - `nodes`: nodes in the mirror now; `max_nodes`: the high-water mark.
    - `snapshots`: FullSnapshots loaded.
    - `duplicate_ids`: ids seen twice inside one snapshot (the last one wins).
    - `unknown_parents`: adds dropped because their parent (or `next_id` sibling) never
      appeared during their mutation event.
    - `unknown_ids`: removes, texts and attribute changes for ids not in the mirror.
    - `truncated`: the node cap was hit; `dropped_nodes` counts the nodes left out for it.
    - `depth_capped`: nodes left out because they were deeper than `max_depth`.
    - `truncated_texts`: text values cut to the kept length (1,000 chars).
    """

    nodes: int = 0
    max_nodes: int = 0
    snapshots: int = 0
    duplicate_ids: int = 0
    unknown_parents: int = 0
    unknown_ids: int = 0
    truncated: bool = False
    dropped_nodes: int = 0
    depth_capped: int = 0
    truncated_texts: int = 0


# Markers stored in place of a tag for non-element nodes. They start with "#", which no
# element tag may (see `_element_tag`), so one dict answers both "type" and "tag".
_DOCUMENT: Final = "#document"
_DOCTYPE: Final = "#doctype"
_TEXT: Final = "#text"
_CDATA: Final = "#cdata"
_COMMENT: Final = "#comment"

_MARKER_TYPES: Final[dict[str, int]] = {
    _DOCUMENT: NodeType.DOCUMENT,
    _DOCTYPE: NodeType.DOCUMENT_TYPE,
    _TEXT: NodeType.TEXT,
    _CDATA: NodeType.CDATA,
    _COMMENT: NodeType.COMMENT,
}

_OTHER_MARKERS: Final[dict[type, str]] = {
    DocumentNode: _DOCUMENT,
    DocumentTypeNode: _DOCTYPE,
    CDATANode: _CDATA,
    CommentNode: _COMMENT,
}

# Attributes labels, selectors and the analyzer read. Mapping each name to itself lets the
# stored dicts share one interned key object per name.
MAX_DATA_ATTRS: Final = 8
"""``data-*`` attributes kept per element beyond the fixed set (memory stays bounded)."""

_KEPT_ATTRS: Final[dict[str, str]] = {
    name: sys.intern(name)
    for name in (
        "id",
        "class",
        "name",
        "type",
        "role",
        "aria-label",
        "aria-labelledby",
        "aria-hidden",
        "placeholder",
        "alt",
        "title",
        "href",
        "value",
        "for",
        "data-testid",
        "data-test-id",
        "data-cy",
        "data-qa",
        "contenteditable",
        "tabindex",
        "onclick",
        "checked",
        "selected",
        "target",
        "download",
        "rr_src",
        "src",
        # Not in the minimal list, but the analyzer needs them to decide whether an input's
        # value may be shown (rrweb-format §4 and §15).
        "autocomplete",
        "data-rr-is-password",
        # A blocked element keeps only its box size: a click on it is never judged dead.
        "rr_width",
    )
}

_ATTR_MAX: Final = 200
# Child lists longer than this are pruned once per mutation instead of once per remove.
_BULK_DETACH_WIDTH: Final = 32
# Siblings searched first, from the end, when an add names its next sibling.
_TAIL_WINDOW: Final = 64
# Adds processed per mutation at most, as a multiple of its add count (see `_apply_adds`).
_RETRY_FACTOR: Final = 4
_TEXT_MAX: Final = 1_000

# Subtrees whose text is not visible (§15). `head` holds only metadata such as <title>.
_HIDDEN_TAGS: Final = frozenset({"script", "style", "noscript", "template", "head"})

# Elements that flow with the surrounding text; any other element boundary reads as a space
# ("<h3>Kestrel Mug</h3><p>$12</p>" is "Kestrel Mug $12", "Cart (<span>3</span>)" is "Cart (3)").
_INLINE_TAGS: Final = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "label",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    }
)

# Lower-cased, interned tag names. Bounded so that hostile input cannot grow it forever.
_TAG_CACHE: dict[str, str] = {}
_TAG_CACHE_MAX: Final = 4_096

_EMPTY_ATTRS: Final[Mapping[str, str]] = MappingProxyType({})
_NO_CHILDREN: Final[Sequence[int]] = ()


def _element_tag(raw: str) -> str:
    """Return the lower-case, interned tag; names that could pass for a marker are renamed."""
    tag = _TAG_CACHE.get(raw)
    if tag is None:
        low = raw.lower()
        if not low or low[0] == "#":
            low = "x-invalid"
        tag = sys.intern(low)
        if len(_TAG_CACHE) < _TAG_CACHE_MAX:
            _TAG_CACHE[raw] = tag
    return tag


def _attr_value(name: str, value: Any) -> str | None:
    """Normalise a recorded attribute value to the stored str, or None to drop it."""
    if type(value) is str:
        if name == "onclick":
            return ""  # presence is what matters; handler source can be large
        return value if len(value) <= _ATTR_MAX else value[:_ATTR_MAX]
    if value is True:
        return ""
    if type(value) is int or type(value) is float:
        return str(value)
    return None  # None/False (removed), lists and objects (style diffs)


def kept_name(name: str, kept: dict[str, str] | None) -> str | None:
    """The name under which an attribute is kept, or None: the fixed set above, plus up to
    :data:`MAX_DATA_ATTRS` ``data-*`` attributes per element (an app's own hooks, shown on
    click actions; rrweb's own ``data-rr-*`` markers are in the fixed set or dropped)."""
    key = _KEPT_ATTRS.get(name)
    if key is not None:
        return key
    if not name.startswith("data-") or name.startswith("data-rr") or len(name) > 64:
        return None
    if kept is not None and name not in kept:
        extra = sum(1 for k in kept if k.startswith("data-") and k not in _KEPT_ATTRS)
        if extra >= MAX_DATA_ATTRS:
            return None
    return name


def _keep_attrs(attrs: dict[str, Any]) -> dict[str, str] | None:
    """The kept subset of a serialized node's attributes, or None when nothing is kept."""
    kept: dict[str, str] | None = None
    for name, value in attrs.items():
        key = kept_name(name, kept)
        if key is None:
            continue
        norm = _attr_value(key, value)
        if norm is None:
            continue
        if kept is None:
            kept = {}
        kept[key] = norm
    return kept


def _count_subtree(node: Node) -> int:
    """Number of serialized nodes in `node`'s subtree (iterative)."""
    count = 0
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        count += 1
        if isinstance(n, (ElementNode, DocumentNode)):
            stack.extend(n.child_nodes)
    return count


def _subtree_ids(node: Node) -> Iterator[int]:
    """Ids of the serialized nodes in `node`'s subtree (iterative)."""
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        yield n.id
        if isinstance(n, (ElementNode, DocumentNode)):
            stack.extend(n.child_nodes)


def _rindex(items: list[int], value: int) -> int:
    """Index of `value` (present) in `items`, looking at the tail first.

    Recorders insert new siblings before the node they just inserted, i.e. near the end of
    the child list; a plain `list.index` would make appending to wide parents quadratic.
    The tail window is scanned by `list.index` too, so a miss there costs C-speed compares.
    """
    n = len(items)
    if n and items[-1] == value:
        return n - 1
    start = n - _TAIL_WINDOW if n > _TAIL_WINDOW else 0
    try:
        return items.index(value, start)
    except ValueError:
        return items.index(value, 0, start)


def _wake_capped(
    node: Node, waiting: dict[int, list[AddedNode]], woken: list[AddedNode], capped: dict[int, bool]
) -> None:
    """Wake the adds waiting under a subtree a cap just dropped: they are capped too, and
    are counted as such (their parent is in `capped`) instead of as unknown parents."""
    for sub_id in _subtree_ids(node):
        if sub_id in waiting and sub_id in capped:
            woken.extend(waiting.pop(sub_id))


def _wait(waiting: dict[int, list[AddedNode]], missing: int, add: AddedNode) -> None:
    """Park `add` until node `missing` is inserted."""
    parked = waiting.get(missing)
    if parked is None:
        waiting[missing] = [add]
    else:
        parked.append(add)
