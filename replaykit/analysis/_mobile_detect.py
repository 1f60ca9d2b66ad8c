"""Telling a mobile screenshot recording, and which SDK platform recorded it.

:func:`is_screenshot_chunk` recognises a screenshot stream from its first chunks;
:class:`PlatformHints` gathers the SDK's hints (a platform named in a custom event, mouse
presses, 32-bit float touch positions, the Android ``discriminator``) as the analyzer
reads the stream; :func:`screen_of`/:func:`screen_url` map screen names to and from the
``app://<title>`` URLs of screen navigations.
"""

from __future__ import annotations

import struct
from typing import Any

from ..rrweb._model import (
    CustomEvent,
    ElementNode,
    EventChunk,
    FullSnapshotEvent,
    MetaEvent,
    Node,
    TextNode,
)

__all__ = [
    "PLATFORMS",
    "SCREEN_URL_PREFIX",
    "WIREFRAME_TAG",
    "PlatformHints",
    "is_screenshot_chunk",
    "screen_of",
    "screen_url",
]

WIREFRAME_TAG = "mp_wireframe"
SCREEN_URL_PREFIX = "app://"
PLATFORMS = ("android", "ios", "flutter", "react-native", "web")
_SNAPSHOT_SCAN = 64  # nodes looked at to tell a screenshot document
# Payload keys by which an SDK may name its platform (custom events).
_PLATFORM_KEYS = ("platform", "$os", "os", "mp_lib", "$lib", "lib")
_PLATFORM_WORDS = {
    "android": "android",
    "ios": "ios",
    "iphone": "ios",
    "ipados": "ios",
    "swift": "ios",
    "flutter": "flutter",
    "react-native": "react-native",
    "react native": "react-native",
    "reactnative": "react-native",
    "web": "web",
}


def _is_screenshot_tree(root: Node) -> bool:
    """A document whose only content is one ``img`` (plus styles and wrappers)."""
    stack: list[Node] = [root]
    images = 0
    seen = 0
    while stack and seen < _SNAPSHOT_SCAN:
        node = stack.pop()
        seen += 1
        if isinstance(node, ElementNode):
            tag = node.tag_name.lower()
            if tag == "img":
                images += 1
            elif tag not in ("html", "head", "body", "div", "style", "meta"):
                return False
        elif isinstance(node, TextNode) and not node.is_style and node.text_content.strip():
            return False
        stack.extend(getattr(node, "child_nodes", ()))
    return images == 1 and not stack


def is_screenshot_chunk(chunk: EventChunk, meta_href: str | None = None) -> bool:
    """Whether a chunk shows a mobile screenshot recording: any ``mp_wireframe`` Custom
    event, or a FullSnapshot that holds a single screenshot image after a Meta without
    ``href`` (``meta_href`` is the href of a Meta seen in an earlier chunk)."""
    href = meta_href
    for ev in chunk.events:
        if isinstance(ev, CustomEvent) and ev.data.tag == WIREFRAME_TAG:
            return True
        if isinstance(ev, MetaEvent):
            href = ev.data.href
        elif isinstance(ev, FullSnapshotEvent) and not href and _is_screenshot_tree(ev.data.node):
            return True
    return False


def screen_of(url: str | None) -> str | None:
    """The screen name in an ``app://<title>`` URL (None for other URLs)."""
    if url and url.startswith(SCREEN_URL_PREFIX):
        return url[len(SCREEN_URL_PREFIX) :]
    return None


def screen_url(name: str) -> str:
    # `/`, `?` and `#` would end the URL's authority part; keep the name readable.
    return SCREEN_URL_PREFIX + name.replace("/", "∕").replace("?", "？").replace("#", "＃")


def _float32_fraction(v: float) -> bool:
    """A non-integer that is exactly a float32 (React Native passes touch positions as
    32-bit floats; native iOS as doubles): an SDK hint, not proof."""
    if v == int(v):
        return False
    try:
        return float(struct.unpack("f", struct.pack("f", v))[0]) == v
    except (OverflowError, struct.error):
        return False


class PlatformHints:
    """The SDK's platform hints seen so far (see :attr:`platform`)."""

    __slots__ = ("_discriminator", "_float32", "_hint", "mouse", "touch")

    def __init__(self) -> None:
        self._hint: str | None = None
        self._discriminator = False
        self.mouse = False  # mouse presses on the screenshot
        self.touch = False  # touch starts
        self._float32 = False

    @property
    def platform(self) -> str:
        """``android``, ``ios``, ``flutter`` or ``react-native`` from the SDK's hints: a
        platform named in a custom event wins; else mouse presses on the screenshot mean
        Flutter on the web; 32-bit float touch positions React Native; the Android SDK's
        ``discriminator`` keys Android; anything else (plain touches, no discriminator)
        iOS."""
        if self._hint is not None:
            return self._hint
        if self.mouse and not self.touch:
            return "flutter"
        if self._float32:
            return "react-native"
        if self._discriminator:
            return "android"
        return "ios"

    def note_meta(self, data: Any) -> None:
        """A Meta event's data: the Android SDK keys it with a ``discriminator``."""
        if getattr(data, "discriminator", None):
            self._discriminator = True

    def note_payload(self, payload: Any) -> None:
        """A (non-wireframe) custom event's payload that may name the platform."""
        if self._hint is not None or not isinstance(payload, dict):
            return
        for key in _PLATFORM_KEYS:
            value = payload.get(key)
            if isinstance(value, str):
                low = value.strip().lower()
                for word, platform in _PLATFORM_WORDS.items():
                    if word in low:
                        self._hint = platform
                        return

    def note_position(self, x: float | None, y: float | None) -> None:
        """A touch position (React Native passes them as 32-bit floats)."""
        if not self._float32:
            for v in (x, y):
                if v is not None and _float32_fraction(v):
                    self._float32 = True
                    return
