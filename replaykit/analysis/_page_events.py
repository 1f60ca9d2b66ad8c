"""What the page did: snapshots and page loads, DOM mutations (with ambient activity),
SPA navigations from custom events, and console records."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import msgspec

from ..rrweb._model import (
    DocumentNode,
    ElementNode,
    FullSnapshotEvent,
    MutationData,
    Node,
    TextNode,
)
from ._actions import (
    ConsoleErrorDetails,
    NavigationDetails,
    PageLoadDetails,
)
from ._ambient import mutation_regions
from ._emitter import _Emitter
from ._tape import (
    ConsoleRecord,
    DocumentRecord,
    MutationRecord,
)

__all__: list[str] = []

_TEXT_SAMPLE = 200  # chars of added/removed text kept per mutation record
_REMOVED_TEXT_LOOKUPS = 8  # removed nodes whose text is looked up per mutation
_ADDED_TEXT_SCAN = 256  # added nodes scanned for text per mutation
# Mutations later than this after the latest click keep no text sample (effects look
# at most this far after a click: the slow-click timeout).
_TEXT_SAMPLE_WINDOW_MS = 7_000


class _ConsolePayload(msgspec.Struct, frozen=True):
    level: str = "log"
    payload: list[Any] = []
    trace: list[Any] = []


_console_decoder = msgspec.json.Decoder(_ConsolePayload)


def _unquote(item: Any) -> str:
    """Console arguments arrive JSON-stringified: `"\\"text\\""` becomes `text`."""
    if not isinstance(item, str):
        return str(item)
    if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
        try:
            value = msgspec.json.decode(item)
        except msgspec.DecodeError:
            return item
        if isinstance(value, str):
            return value
    return item


class _PageEvents(_Emitter):
    """Handlers for the page's own events (see the module doc)."""

    def _on_snapshot(self, t: int, ev: FullSnapshotEvent) -> None:
        href = self._meta_href
        # A page load restarts the recorder: DomContentLoaded/Load come first, or (recorder
        # started late) the snapshot's ids are dense 1..N again. A checkout of the same
        # recorder keeps its id counter, so its ids have gaps once anything was removed.
        new_document = (
            self._documents == 0
            or self._pending_load
            or (bool(href) and href != self.url and _ids_are_dense(ev.data.node))
        )
        # A pending burst refers to the old mirror: close it before the ids change meaning.
        for burst in list(self._open.values()):
            self._close(burst)
        self._open.clear()
        self.dom.load_snapshot(ev.data.node)
        self._ambient.reset()
        self.coverage.snapshots += 1
        self._nav_t = t
        self._scroll_pos.clear()
        self._field_values.clear()
        self._last_click = None
        self._last_tap = None
        offset = ev.data.initial_offset
        if offset is not None:
            self._scroll_pos[self._document_id()] = (offset.left, offset.top)
        if self._meta_size is not None:
            self.width, self.height = self._meta_size
        if new_document:
            self._documents += 1
            previous = self.url
            if href is not None:
                self.url = href
            how = "load"
            if previous is not None and self.url == previous and self._documents > 1:
                how = "reload"
            self._emit(
                t,
                "navigation",
                NavigationDetails(how=how, from_url=previous, document=self._documents),
            )
            self._emit(
                t,
                "page_load",
                PageLoadDetails(
                    document=self._documents,
                    width=self.width,
                    height=self.height,
                    nodes=len(self.dom),
                ),
            )
            self._last_doc_url = self.url
        elif href and href != self.url:
            # A checkout snapshot at a URL nobody announced: an SPA change was missed.
            previous = self.url
            self.url = href
            self._emit(
                t,
                "navigation",
                NavigationDetails(how="late", from_url=previous, document=self._documents),
            )
        self.tape.documents.append(
            DocumentRecord(
                t=t,
                document=self._documents,
                url=self.url,
                new_document=new_document,
                width=self.width,
                height=self.height,
                scroll_y=offset.top if offset is not None else 0,
                window_id=self.window_id,
            )
        )
        self._pending_load = False
        self._meta_href = None

    def _document_id(self) -> int:
        # The top Document is the root of the mirror; rrweb numbers it 1 in practice.
        return 1

    def _on_mutation(self, t: int, data: MutationData) -> None:
        dom = self.dom
        ops = len(data.adds) + len(data.removes) + len(data.texts) + len(data.attributes)
        # Before the mutation is applied: removed nodes and their parents are still there.
        ambient = self._ambient.classify(dom, t, mutation_regions(data), ops)
        if t - self._click_t > _TEXT_SAMPLE_WINDOW_MS or ambient:
            # Text samples only serve click effects: skip them far from any click and for
            # ambient changes (most of a live dashboard's mutations), keeping the counts.
            dom.apply_mutation(data)
            self.tape.mutations.append(
                MutationRecord(
                    t=t,
                    document=max(self._documents, 1),
                    adds=len(data.adds),
                    removes=len(data.removes),
                    texts=len(data.texts),
                    attributes=len(data.attributes),
                    window_id=self.window_id,
                    order=self._ev,
                    ambient=ambient,
                )
            )
            return
        removed: list[str] = []
        size = 0
        for rem in data.removes[:_REMOVED_TEXT_LOOKUPS]:
            if size >= _TEXT_SAMPLE:
                break
            if rem.id in dom:  # read before the node goes
                text = dom.text_content(rem.id, _TEXT_SAMPLE)
                if text:
                    removed.append(text)
                    size += len(text)
        dom.apply_mutation(data)
        added: list[str] = []
        size = 0
        for add in data.adds[:_ADDED_TEXT_SCAN]:
            if size >= _TEXT_SAMPLE:
                break
            node = add.node
            if type(node) is TextNode:
                text = node.text_content.strip()
                if text:
                    added.append(text)
                    size += len(text)
        for change in data.texts:
            if size >= _TEXT_SAMPLE:
                break
            if change.value and change.value.strip():
                added.append(change.value.strip())
                size += len(change.value)
        self.tape.mutations.append(
            MutationRecord(
                t=t,
                document=max(self._documents, 1),
                source=0,
                adds=len(data.adds),
                removes=len(data.removes),
                texts=len(data.texts),
                attributes=len(data.attributes),
                text_added=" ".join(added)[:_TEXT_SAMPLE],
                text_removed=" ".join(removed)[:_TEXT_SAMPLE],
                window_id=self.window_id,
                order=self._ev,
            )
        )

    def _on_custom(self, t: int, tag: str, payload: Any) -> None:
        path = self.options.navigation_tags.get(tag)
        href: Any = None
        how = "custom"
        if path is not None:
            if path == "":
                href = payload
            elif isinstance(payload, dict):
                href = payload.get(path)
                raw_how = payload.get("how")
                if isinstance(raw_how, str):
                    how = raw_how
        elif (
            tag == "breadcrumb"
            and isinstance(payload, dict)
            and payload.get("category") == "navigation"
            and isinstance(payload.get("data"), dict)
        ):
            # Sentry breadcrumbs: category "navigation" with data.to
            href = payload["data"].get("to")
            how = "push"
        if not isinstance(href, str) or not href:
            return
        if self.url:
            href = _resolve(self.url, href)
        if _same_url(href, self.url):
            return  # e.g. `$pageview` how=load right after the Meta, or a second SDK's event
        how = {
            "pushState": "push",
            "replaceState": "replace",
            "popstate": "pop",
            "hashchange": "push",
        }.get(how, how)
        previous = self.url
        self.url = href
        self._nav_t = t
        self._emit(
            t,
            "navigation",
            NavigationDetails(how=how, from_url=previous, document=max(self._documents, 1)),
        )

    def _on_console_plugin(self, t: int, raw: msgspec.Raw) -> None:
        try:
            payload = _console_decoder.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            # The event decoded with its payload kept raw: bytes that are not UTF-8 or
            # nest past the recursion limit only show up here.
            self.coverage.malformed += 1
            return
        self._on_console(t, payload.level, payload.payload, payload.trace)

    def _on_console(self, t: int, level: str, items: list[Any], trace: list[Any]) -> None:
        if not isinstance(level, str) or not isinstance(items, list):
            self.coverage.malformed += 1
            return
        parts = [_unquote(item) for item in items[:8]]
        message = " ".join(p for p in parts if p)[:2000]
        uncaught = message.startswith("Uncaught")
        frames = tuple(
            str(frame)[:300] for frame in (trace if isinstance(trace, list) else [])[:10]
        )
        self.tape.console.append(
            ConsoleRecord(
                t=t,
                document=max(self._documents, 1),
                level=level,
                message=message,
                uncaught=uncaught,
                trace=frames,
                window_id=self.window_id,
                order=self._ev,
            )
        )
        if level not in ("error", "assert"):
            return
        self._emit(
            t,
            "console_error",
            ConsoleErrorDetails(
                message=message,
                level=level,
                uncaught=uncaught,
                trace=list(frames),
            ),
        )


def _resolve(base: str, href: str) -> str:
    """``href`` made absolute against the page URL (SDKs report paths or full URLs)."""
    if "://" in href[:16] or len(href) > 4096:
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def _same_url(a: str | None, b: str | None) -> bool:
    """The same page: equal once a trailing slash of the path is ignored."""
    if a is None or b is None:
        return a == b
    if a == b:
        return True
    strip = re.compile(r"/(?=$|[?#])")
    return strip.sub("", a, count=1) == strip.sub("", b, count=1)


def _ids_are_dense(root: Node) -> bool:
    """True when a snapshot's node ids are exactly 1..N, as a fresh recorder numbers them."""
    count = 0
    max_id = 0
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        count += 1
        if node.id > max_id:
            max_id = node.id
        if isinstance(node, ElementNode | DocumentNode):
            stack.extend(node.child_nodes)
    return max_id == count
