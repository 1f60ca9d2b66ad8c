"""Builders for page-level signal tests: rrweb events run through the real analyzer (so
detectors see real actions and a real tape), plus hand-built actions/tapes for cases the
analyzer cannot produce from one stream (several tabs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
from _builders import T0, click, custom, document, el, inc, page, plugin, text, typed

from replaykit.analysis._actions import Action, NavigationDetails
from replaykit.analysis._analyzer import ReplayAnalyzer
from replaykit.analysis._signal import Signal
from replaykit.analysis._signal_config import DEFAULT_SIGNAL_CONFIG, SignalConfig
from replaykit.analysis._tape import Tape
from replaykit.rrweb._model import Event, EventChunk

_decoder = msgspec.json.Decoder(list[Event])

Detector = Callable[[str, Sequence[Action], Tape, SignalConfig], list[Signal]]


def run(events: list[dict[str, Any]]) -> tuple[list[Action], Tape]:
    """Decode the dicts with the typed decoder, analyze them; actions and the tape."""
    typed_events = _decoder.decode(msgspec.json.encode(events))
    typed_events.sort(key=lambda e: e.timestamp)
    analyzer = ReplayAnalyzer("test")
    actions = analyzer.feed(EventChunk(events=typed_events))
    actions.extend(analyzer.finish())
    return actions, analyzer.tape


def detect(
    detector: Detector, events: list[dict[str, Any]], config: SignalConfig | None = None
) -> list[Signal]:
    actions, tape = run(events)
    return detector("test", actions, tape, config or DEFAULT_SIGNAL_CONFIG)


# --- events ----------------------------------------------------------------------------


def pageview(t: int, href: str, how: str) -> dict[str, Any]:
    """The harness' SPA route event (`how`: pushState, popstate, load)."""
    return custom(t, "$pageview", {"href": href, "how": how})


def moves(t: int, points: Iterable[tuple[int, float, float]]) -> list[dict[str, Any]]:
    """MouseMove batches for (t, x, y) samples, flushed like rrweb: every 500 ms, each
    position carrying its (negative) offset from the batch's timestamp."""
    out: list[dict[str, Any]] = []
    batch: list[tuple[int, float, float]] = []
    for p in sorted(points):
        if batch and p[0] - batch[0][0] >= 500:
            out.append(_flush(batch))
            batch = []
        batch.append(p)
    if batch:
        out.append(_flush(batch))
    return out


def _flush(batch: list[tuple[int, float, float]]) -> dict[str, Any]:
    emit = batch[-1][0] + 10
    positions = [{"x": x, "y": y, "id": 3, "timeOffset": t - emit} for t, x, y in batch]
    return inc(emit, 1, positions=positions)


def zigzag(
    t0: int, legs: int, leg_ms: int = 100, width: float = 200
) -> list[tuple[int, float, float]]:
    """A cursor jerking left-right: `legs` legs of `width` px, sampled every 50 ms."""
    points: list[tuple[int, float, float]] = []
    steps = max(1, leg_ms // 50)
    for leg in range(legs):
        for k in range(steps):
            frac = k / steps
            x = 100 + (width * frac if leg % 2 == 0 else width * (1 - frac))
            t = leg * leg_ms + k * 50
            points.append((t0 + t, x, 300 + t / 100))  # drifting slowly down, never back
    end = legs * leg_ms
    points.append((t0 + end, 100 + (0 if legs % 2 else width), 300 + end / 100))
    return points


def straight(t0: int, ms: int, speed: float = 1.0) -> list[tuple[int, float, float]]:
    return [(t0 + k, 50 + speed * k, 200 + 0.5 * speed * k) for k in range(0, ms, 50)]


def circle(
    t0: int, ms: int, period_ms: int = 2000, radius: float = 150
) -> list[tuple[int, float, float]]:
    return [
        (
            t0 + k,
            400 + radius * math.cos(2 * math.pi * k / period_ms),
            400 + radius * math.sin(2 * math.pi * k / period_ms),
        )
        for k in range(0, ms, 50)
    ]


def request(t: int, url: str, method: str = "GET", start: int | None = None) -> dict[str, Any]:
    """A fetch reported by the network plugin (Mixpanel's variant: absolute time origin)."""
    begin = start if start is not None else t - 20
    return plugin(
        t,
        "rrweb/network@1.mp",
        {
            "requests": [
                {
                    "name": url,
                    "method": method,
                    "initiatorType": "fetch",
                    "status": 200,
                    "timeOrigin": T0,
                    "startTime": begin,
                    "endTime": t - 5,
                    "requestHeaders": {},
                }
            ]
        },
    )


# --- pages -----------------------------------------------------------------------------


def list_page() -> dict[str, Any]:
    """A product list: a link to product 5 (id 10) and a long body."""
    return document(
        el(10, "a", {"href": "/shop/product/5", "class": "name"}, text(11, "Kestrel Mug")),
        el(12, "a", {"href": "/article/", "id": "to-article"}, text(13, "Read the story")),
    )


def checkout_page(*, search: bool = False) -> dict[str, Any]:
    """A checkout form (fields named, no ids, as in the corpus), a submit button, a link
    away; optionally a header search form."""
    form = el(
        20,
        "form",
        {"id": "checkout-form"},
        el(21, "label", {}, text(22, "Email"), el(23, "input", {"type": "email", "name": "email"})),
        el(24, "label", {}, text(25, "Card"), el(26, "input", {"type": "text", "name": "card"})),
        el(27, "label", {}, text(28, "Terms"), el(29, "input", {"type": "checkbox", "name": "t"})),
        el(30, "button", {"class": "btn"}, text(31, "Place order")),
    )
    away = el(40, "a", {"href": "/shop/", "class": "home"}, text(41, "Continue shopping"))
    children = [form, away]
    if search:
        children.insert(
            0,
            el(
                50,
                "form",
                {"class": "search"},
                el(51, "input", {"type": "search", "name": "q"}),
            ),
        )
    return document(*children)


def checkout_events(t0: int = 0, *, masked: bool = False) -> list[dict[str, Any]]:
    """Load the checkout, fill email and card (optionally masked), tick the terms."""
    email = "*" * 13 if masked else "ada@example.com"
    card = "*" * 19 if masked else "4242 4242 4242 4242"
    return [
        *page(t0, "http://shop.test/shop/checkout", checkout_page()),
        click(t0 + 1000, 23),
        typed(t0 + 1200, 23, email[:3]),
        typed(t0 + 1400, 23, email),
        click(t0 + 3000, 26),
        typed(t0 + 3200, 26, card),
        click(t0 + 5000, 29),
        typed(t0 + 5000, 29, "on", checked=True),
    ]


# --- hand-built actions and tapes --------------------------------------------------------


def nav_action(
    seq: int, t: int, url: str, how: str, *, window_id: str | None = None, document: int = 1
) -> Action:
    return Action(
        replay_id="test",
        seq=seq,
        kind="navigation",
        t_ms=t,
        timestamp=T0 + t,
        url=url,
        document=document,
        window_id=window_id,
        details=NavigationDetails(how=how, document=document),
    )


def tape_for(actions: Sequence[Action], **lists: Any) -> Tape:
    last = max((a.timestamp for a in actions), default=T0)
    return Tape(first_timestamp=T0, last_timestamp=last, **lists)
