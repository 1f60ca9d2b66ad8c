"""Analyzer settings: one frozen value with documented defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from .._errors import UsageError
from ._labels import LabelFn, css_selector, default_label
from ._signal_config import EffectConfig

__all__ = ["DEFAULT_NAVIGATION_TAGS", "AnalyzerOptions"]

# Custom-event tags that announce a URL change, and where the URL sits in their payload
# ("" = the payload itself is the URL string, as Highlight sends it).
DEFAULT_NAVIGATION_TAGS: dict[str, str] = {
    "$pageview": "href",
    "$url_changed": "href",
    "tracelane.nav": "url",
    "Navigate": "",
}


class AnalyzerOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How the analyzer turns events into actions.

    Defaults:

    - ``input_debounce_ms=1000``: Input events on one field less than 1 s apart are one
      edit burst (one ``input`` action).
    - ``scroll_gap_ms=250``: Scroll events on one target less than 250 ms apart are one
      gesture (rrweb throttles scroll events to one per 100 ms, so a continuous scroll
      arrives every ~100 ms; a quiet 2.5x that means the wheel stopped).
    - ``min_scroll_px=20``: a Scroll moving less than this from the target's last
      position is layout jitter, not a person scrolling (counted, not emitted); a gesture
      that turns back by at least this much becomes a second scroll (one per leg), and one
      that ends where it started is not a scroll at all.
    - ``correction_pause_ms=300``, ``correction_chars=3``: inside an edit burst, deleting
      at least 3 characters after a pause of at least 300 ms (a person re-reading what
      they typed: about the pause between words of a typist) starts a new ``input``
      action with ``correction=True``; typing again after such a pause starts another. A
      burst that begins by deleting (clearing the field on a later visit) is no correction.
    - ``programmatic_scroll_ms=200``: a Scroll within 200 ms after a navigation or a new
      snapshot is the page's own ``scrollTo``/restoration; within
      ``anchor_scroll_ms=1000`` after a click on an in-page ``#anchor`` link it is the
      browser jumping to the anchor. Both are emitted with ``programmatic=True``.
    - ``selection_debounce_ms=1000``, ``viewport_debounce_ms=1000``: bursts of Selection
      and ViewportResize events become one action.
    - ``tap_merge_ms=1000``: the Click a browser synthesises after a TouchEnd on the same
      node is not a second click. ``dblclick_ms=600``: a DblClick this close after a
      Click on the same node marks that click ``double`` instead of adding a click.
    - ``max_nodes=50_000``, ``max_depth=2_000``: DOM tracker caps (memory stays bounded;
      on overflow the replay is flagged truncated and analysis continues).
    - ``label_fn``/``selector_fn``: how targets are named (pluggable).
    - ``navigation_tags``: custom-event tags that announce SPA route changes.
    - ``effects``: what each click's ``effect`` collects and how long a click is held back
      for it (``EffectConfig``: 7 s window by default, the slow-click timeout).
    - ``max_seconds=None``: a time budget per replay (no limit by default). Recordings are
      untrusted, and a hostile one can be built to be slow to analyze; past this many
      seconds of wall time spent analyzing one replay (inside ``ReplayAnalyzer.feed`` /
      ``finish`` and signal detection, not waiting for input) the analysis stops with
      :class:`~replaykit.AnalysisTimeoutError`. It is checked once per chunk and every
      4,096 events, never per event. Must be positive.
    - ``event_rows=False``: keep one compact row per decoded event
      (:class:`~replaykit.rrweb.EventRow`, ``AnalyzedReplay.event_rows``) for the
      bundle's events frame, taken in the same pass (about 150 bytes an event).
    """

    input_debounce_ms: int = 1000
    scroll_gap_ms: int = 250
    min_scroll_px: float = 20
    correction_pause_ms: int = 300
    correction_chars: int = 3
    programmatic_scroll_ms: int = 200
    anchor_scroll_ms: int = 1000
    selection_debounce_ms: int = 1000
    viewport_debounce_ms: int = 1000
    tap_merge_ms: int = 1000
    dblclick_ms: int = 600
    max_nodes: int = 50_000
    max_depth: int = 2_000
    label_fn: LabelFn = default_label
    selector_fn: Callable[[Any, int], str] = css_selector
    navigation_tags: dict[str, str] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_NAVIGATION_TAGS)
    )
    effects: EffectConfig = msgspec.field(default_factory=EffectConfig)
    max_seconds: float | None = None
    event_rows: bool = False

    def __post_init__(self) -> None:
        if self.max_seconds is not None and not self.max_seconds > 0:  # NaN fails too
            raise UsageError(f"max_seconds must be positive, got {self.max_seconds!r}")
