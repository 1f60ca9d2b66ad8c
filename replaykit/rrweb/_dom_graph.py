"""Growing and pruning the DOM mirror's node graph: recording nodes under the caps,
loading children, removing subtrees, and attribute changes."""

from __future__ import annotations

import contextlib
from typing import Any

from ._dom_nodes import (
    _COMMENT,
    _DOCUMENT,
    _OTHER_MARKERS,
    _TAG_CACHE,
    _TEXT,
    _TEXT_MAX,
    _attr_value,
    _count_subtree,
    _element_tag,
    _keep_attrs,
    _subtree_ids,
    kept_name,
)
from ._dom_state import DomState
from ._model import (
    DocumentNode,
    ElementNode,
    Node,
    TextNode,
)

__all__ = ["DomGraph"]


class DomGraph(DomState):
    """Node-level updates of the mirror; :class:`~._dom.DomTracker` orders them per event."""

    __slots__ = ()

    def _detach_documents(self, iframe_id: int) -> None:
        """Remove the previous Document under an iframe element before a reload attaches one."""
        kids = self._kids.get(iframe_id)
        if not kids:
            return
        tag_of = self._tag
        for kid in [k for k in kids if tag_of.get(k) is _DOCUMENT]:
            self._remove_subtree(kid)

    def _load_children(self, top: ElementNode | DocumentNode) -> None:
        """Register the serialized descendants of `top` (already registered), iteratively.

        This is the hot loop of snapshot loading: the common case (new id, room left, depth
        allowed) is inlined; duplicates and caps go through `_register`.
        """
        parent_of = self._parent
        depth_of = self._depth
        kids_of = self._kids
        max_depth = self._max_depth
        max_nodes = self._max_nodes
        record = self._record
        register = self._register
        owner = self._owner
        owner.clear()
        self._disturbed = False
        stack: list[ElementNode | DocumentNode] = [top]
        while stack:
            node = stack.pop()
            nid = node.id
            if self._disturbed and (nid not in parent_of or owner.get(nid, id(node)) != id(node)):
                continue  # a duplicate id removed or replaced this node after it was queued
            children = node.child_nodes
            child_depth = depth_of[nid] + 1
            kids = kids_of.get(nid)
            if kids is None:
                kids = kids_of[nid] = []
            fast = (
                child_depth <= max_depth
                and len(parent_of) + len(children) <= max_nodes
                and not self._capped
            )
            # Subtrees are queued in reverse so that they are loaded in document order:
            # when the node cap cuts a page short, the end of the page goes, not its start.
            deeper: list[ElementNode | DocumentNode] = []
            for child in children:
                cid = child.id
                if fast and cid not in parent_of:
                    record(child, cid, nid, child_depth)
                    ctype = type(child)
                    if (ctype is ElementNode or ctype is DocumentNode) and child.child_nodes:  # type: ignore[union-attr]
                        deeper.append(child)  # type: ignore[arg-type]
                    kids.append(cid)
                elif register(child, nid, child_depth):
                    kids.append(cid)
                    if isinstance(child, (ElementNode, DocumentNode)) and child.child_nodes:
                        deeper.append(child)
                elif nid not in parent_of:
                    # The child reused the id of `node` or of an ancestor, so registering it
                    # removed `node`: its remaining children have nowhere to go.
                    pos = next(i for i, c in enumerate(children) if c is child)
                    for rest in children[pos + 1 :]:
                        self.stats.unknown_parents += _count_subtree(rest)
                    break
            if deeper:
                stack.extend(reversed(deeper))
        owner.clear()

    def _record(self, node: Node, nid: int, parent_id: int | None, depth: int) -> None:
        """Write one serialized node's fields into the mirror: the one place nodes are
        registered (snapshot loading, adds and `_register` all come here once their
        checks — duplicate ids, caps — are done)."""
        self._parent[nid] = parent_id
        cls = type(node)
        if cls is ElementNode:
            self._depth[nid] = depth
            name = node.tag_name  # type: ignore[union-attr]
            tag = _TAG_CACHE.get(name)
            self._tag[nid] = tag if tag is not None else _element_tag(name)
            attrs = node.attributes  # type: ignore[union-attr]
            if attrs:
                kept = _keep_attrs(attrs)
                if kept is not None:
                    self._attrs[nid] = kept
                    if "id" in kept:
                        self._index_id(kept["id"], nid)
        elif cls is TextNode:
            self._tag[nid] = _TEXT
            text = node.text_content  # type: ignore[union-attr]
            if text:
                if len(text) > _TEXT_MAX:
                    text = text[:_TEXT_MAX]
                    self.stats.truncated_texts += 1
                self._text[nid] = text
        else:
            self._tag[nid] = _OTHER_MARKERS.get(cls, _COMMENT)
            if cls is DocumentNode:
                self._depth[nid] = depth
        if node.is_shadow:
            self._shadow.add(nid)

    def _register(self, node: Node, parent_id: int | None, depth: int) -> bool:
        """Record one serialized node (not its children) after the duplicate-id and cap
        checks. False when it was dropped."""
        parent_of = self._parent
        nid = node.id
        if nid in parent_of:
            if self._snapshot_mode:
                self.stats.duplicate_ids += 1  # last one wins, like the rrweb player
            self._remove_subtree(nid)
            self._disturbed = True
            self._owner[nid] = id(node)
            if parent_id is not None and parent_id not in parent_of:
                self.stats.unknown_parents += _count_subtree(node)
                return False
        if depth > self._max_depth:
            self._drop(node, True)
            return False
        if len(parent_of) >= self._max_nodes:
            self._drop(node, False)
            return False
        self._record(node, nid, parent_id, depth)
        if self._capped:
            self._capped.pop(nid, None)
        return True

    def _drop(self, node: Node, too_deep: bool) -> None:
        """Leave out a serialized subtree for a cap; remember its ids for later adds."""
        capped = self._capped
        # Remembering ids is only a nicety for the counters: bound it like the mirror.
        room = 4 * self._max_nodes - len(capped)
        count = 0
        for sub_id in _subtree_ids(node):
            if room > 0:
                capped[sub_id] = too_deep
                room -= 1
            count += 1
        if too_deep:
            self.stats.depth_capped += count
        else:
            self.stats.truncated = True
            self.stats.dropped_nodes += count

    def _remove_subtree(self, nid: int, detach: bool = True) -> None:
        """Remove `nid` (present) and its whole subtree. `detach=False` leaves the id in its
        parent's child list for the caller to take out (in bulk, see `_detach_many`)."""
        parent_of = self._parent
        kids_of = self._kids
        parent = parent_of[nid]
        if parent is None:
            if self._root == nid:
                self._root = None
        else:
            if self._tc:
                self._tc = {}  # duplicate/move removals happen outside `removes` too
            if detach:
                siblings = kids_of.get(parent)
                if siblings:
                    with contextlib.suppress(ValueError):
                        siblings.remove(nid)
        depth_of = self._depth
        tag_of = self._tag
        attrs_of = self._attrs
        text_of = self._text
        shadow = self._shadow
        stack = [nid]
        while stack:
            x = stack.pop()
            try:
                del parent_of[x]
            except KeyError:
                continue  # already removed, still listed: a bulk detach is pending
            if tag_of.pop(x) is _TEXT:
                text_of.pop(x, None)
            else:
                depth_of.pop(x, None)
                kids = kids_of.pop(x, None)
                if kids:
                    stack.extend(kids)
                attrs = attrs_of.pop(x, None)
                if attrs is not None and "id" in attrs and self._by_id.get(attrs["id"]) == x:
                    del self._by_id[attrs["id"]]
            if shadow:
                shadow.discard(x)

    def _set_attrs(self, nid: int, changes: dict[str, Any]) -> None:
        """Apply one attribute change record to element `nid` (None removes)."""
        current = self._attrs.get(nid)
        for name, value in changes.items():
            key = kept_name(name, current)
            if key is None:
                continue  # style diffs, _cssText, rr_* and the rest are not kept
            if value is None or value is False:
                norm = None  # removed
            else:
                norm = _attr_value(key, value)
                if norm is None:
                    continue  # a value of a shape attributes never have: ignore it
            old = current.get(key) if current is not None else None
            if norm is None:
                if old is None:
                    continue
                del current[key]  # type: ignore[union-attr]  # old is not None => current
            else:
                if current is None:
                    current = self._attrs[nid] = {}
                current[key] = norm
            if key == "id":
                if old is not None and self._by_id.get(old) == nid:
                    del self._by_id[old]
                if norm is not None:
                    self._index_id(norm, nid)
        if current is not None and not current:
            del self._attrs[nid]

    def _index_id(self, value: str, nid: int) -> None:
        other = self._by_id.get(value)
        if other is not None and other != nid and other in self._parent:
            self._id_lossy = True
        self._by_id[value] = nid

    def _update_counts(self) -> None:
        stats = self.stats
        n = len(self._parent)
        stats.nodes = n
        if n > stats.max_nodes:
            stats.max_nodes = n
