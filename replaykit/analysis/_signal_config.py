"""Signal detector settings: one frozen Struct per detector family, in :class:`SignalConfig`.

Every default is replaykit's definition from ``frustration-signals.md`` (cited "§N"), which
reproduces the recorded corpus' truth counts; :data:`PRESETS` holds the same config with the
numbers a product's own code uses (§15, §16). Anything a product does not define keeps the
replaykit value, so a preset is "replaykit, with product X's thresholds where X has one".

Build a variant with :func:`msgspec.structs.replace`, e.g.
``replace(cfg, rage=replace(cfg.rage, min_clicks=4))``; :func:`signal_config` does the
preset lookup.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import msgspec

__all__ = [
    "DEFAULT_SIGNAL_CONFIG",
    "PRESETS",
    "ConsoleConfig",
    "DeadClickConfig",
    "EffectConfig",
    "ErrorClickConfig",
    "NetworkConfig",
    "RageClickConfig",
    "SignalConfig",
    "SlowClickConfig",
    "signal_config",
]

Distance: TypeAlias = Literal["euclidean", "manhattan"]

# PostHog's SDK ignores rage bursts on pager/stepper controls: clicking "next" five times
# fast is paging, not anger (posthog-js `rageclick.ts`, §2).
_PAGER_TEXTS = ("next", "previous", "prev", ">", "<", "+", "-", "−", "–")
_IGNORE_CLASSES = ("ph-no-rageclick", "ph-no-capture")


class EffectConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What the analyzer attaches to each click as its ``effect`` (:mod:`._effects`).

    - ``window_ms=7000``: how long after a click its effects are collected, in recording
      time; the slow-click timeout (Sentry's 7 s, §4), so every detector reading an effect
      sees everything it may need. The analyzer holds a click back this long (or to the end).
    - ``request_before_ms=50``/``request_after_ms=500``: a fetch/XHR whose start lies in
      this window around the click was *triggered* by it (§4 ``request_window``).
    - ``max_requests=8``, ``max_errors=4``, ``text_chars=120``: caps on what one effect
      carries, so effects stay small on noisy pages.
    """

    window_ms: int = 7000
    request_before_ms: int = 50
    request_after_ms: int = 500
    max_requests: int = 8
    max_errors: int = 4
    text_chars: int = 120


class RageClickConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Rage click (§2). Default: ≥ 3 clicks, consecutive gaps ≤ 1000 ms, ≤ 30 px Euclidean
    from the burst's first click, one signal per burst.

    - ``anchor``: measure distance from the burst's ``first`` click (replaykit) or the
      ``previous`` one (PostHog, Mixpanel SDKs).
    - ``distance``: ``euclidean`` or ``manhattan`` (PostHog SDK).
    - ``max_span_ms``: the burst must fit in this span from its first click (seed: 1000);
      ``window_clicks``: Datadog's rule, ``window_clicks`` consecutive clicks within
      ``max_span_ms`` somewhere in the chain (None = any span).
    - ``same_target``: every click must hit the same lifted target (Datadog, Sentry).
    - ``group_by="label"``: OpenReplay/seed group consecutive clicks by label, not position.
    - ``reset_after``: Mixpanel's SDK fires at ``min_clicks`` and starts over, so a run of
      8 is two signals.
    - ``require_dead``: Sentry only reports rage on a click that is also dead (§3).
    - ``ignore_texts``/``ignore_classes``: PostHog's pager texts and opt-out classes.
    - ``break_on_selection``/``break_on_scroll``: a Selection or user Scroll between the
      clicks means text selection or reading, not rage (Datadog, replaykit).
    """

    min_clicks: int = 3
    max_gap_ms: int = 1000
    radius_px: float = 30
    distance: Distance = "euclidean"
    anchor: Literal["first", "previous"] = "first"
    max_span_ms: int | None = None
    window_clicks: int | None = None
    same_target: bool = False
    group_by: Literal["position", "label"] = "position"
    reset_after: bool = False
    require_dead: bool = False
    ignore_texts: tuple[str, ...] = _PAGER_TEXTS
    ignore_classes: tuple[str, ...] = _IGNORE_CLASSES
    break_on_selection: bool = True
    break_on_scroll: bool = True


class DeadClickConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Dead click (§3). Default: an interactive target with no mutation, Input or navigation
    within 2500 ms, no scroll within 300 ms, no selection within 100 ms, no tab change
    within ±1000 ms; error clicks are not dead.

    - ``candidates``: ``interactive`` (replaykit: a[href], button, non-text input, summary,
      option, interactive role, [onclick], [tabindex]) or ``sentry`` (only ``a``,
      ``button``, ``input[type=submit|button]``).
    - ``links``: False makes links never dead (PostHog SDK).
    - ``count_network``: a fetch/XHR started in the window is a reaction (Datadog).
    - ``ignore_ambient``: count a mutation only if it adds/removes nodes or touches
      something untouched in the ``ambient_lookback_ms`` before the click (for pages that
      mutate on a timer; off by default, §3 edge cases).
    - ``merge_same_node_ms``: repeated clicks on one node this close are judged once
      (Sentry, PostHog: 1000); 0 judges every click (replaykit, the truth counts them all).
    """

    timeout_ms: int = 2500
    scroll_window_ms: int = 300
    selection_window_ms: int = 100
    tab_change_window_ms: int = 1000
    candidates: Literal["interactive", "sentry"] = "interactive"
    links: bool = True
    count_network: bool = False
    ignore_ambient: bool = False
    ambient_lookback_ms: int = 2000
    merge_same_node_ms: int = 0


class SlowClickConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Slow click (§4). Default: the click's triggered request (start within −50..+500 ms)
    ends, or without one its first mutation arrives, ≥ 1000 ms and < 7000 ms after it.

    - ``use_network``: False applies Sentry's mutation-only model.
    - ``effect_after_request_ms``: the visible effect is the first mutation this soon after
      the request ended (else the end itself).
    """

    slow_ms: int = 1000
    timeout_ms: int = 7000
    request_before_ms: int = 50
    request_after_ms: int = 500
    use_network: bool = True
    effect_after_request_ms: int = 1000


class ErrorClickConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Error click (§5). Default: a console error/assert or uncaught exception ≤ 2000 ms
    after the latest click in the same document; network errors do not count unless
    ``include_network``."""

    window_ms: int = 2000
    include_network: bool = False
    levels: tuple[str, ...] = ("error", "assert")


class ConsoleConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Console errors and uncaught exceptions (§6): records at ``levels`` are
    ``console_error`` unless their message starts with ``Uncaught`` (then
    ``uncaught_exception``). PostHog's level map puts ``assert`` with errors."""

    levels: tuple[str, ...] = ("error", "assert")


class NetworkConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Failed and slow requests (§7) and slow pages (§14).

    - ``initiators``: which requests are judged (fetch and XHR; empty = all).
    - ``error_status=400``: status ≥ this is ``network_error``; a wrapper-reported request
      without status is ``network_failed`` (PostHog ML also counts status ≥ 600 as failed).
    - ``slow_request_ms=3000``: ``slow_request`` at or above this duration.
    - ``slow_page_ms=3000``: ``slow_page`` when a navigation entry's load takes this long.
    """

    initiators: tuple[str, ...] = ("fetch", "xmlhttprequest")
    error_status: int = 400
    failed_status: int = 600
    slow_request_ms: int = 3000
    slow_page_ms: int = 3000


class SignalConfig(msgspec.Struct, frozen=True, kw_only=True):
    """All detector settings, one field per family; ``preset`` names the definition.

    Click-level families (``effect``, ``rage``, ``dead``, ``slow``, ``error_click``,
    ``console``, ``network``) are read by ``_signals_click.py``/``_signals_errors.py``;
    page-level families are added next to them by their detectors' module.
    """

    preset: str = "replaykit"
    effect: EffectConfig = msgspec.field(default_factory=EffectConfig)
    rage: RageClickConfig = msgspec.field(default_factory=RageClickConfig)
    dead: DeadClickConfig = msgspec.field(default_factory=DeadClickConfig)
    slow: SlowClickConfig = msgspec.field(default_factory=SlowClickConfig)
    error_click: ErrorClickConfig = msgspec.field(default_factory=ErrorClickConfig)
    console: ConsoleConfig = msgspec.field(default_factory=ConsoleConfig)
    network: NetworkConfig = msgspec.field(default_factory=NetworkConfig)


DEFAULT_SIGNAL_CONFIG = SignalConfig()

_R = RageClickConfig()
_D = DeadClickConfig()
_S = SlowClickConfig()
_E = ErrorClickConfig()

PRESETS: dict[str, SignalConfig] = {
    "replaykit": DEFAULT_SIGNAL_CONFIG,
    # posthog-js: $rageclick 3 clicks < 1 s apart and < 30 px Manhattan from the previous;
    # $dead_click 2.5 s mutation / 100 ms scroll / 100 ms selection, links never dead,
    # same-node repeats within 1 s not candidates.
    "posthog": SignalConfig(
        preset="posthog",
        rage=msgspec.structs.replace(_R, distance="manhattan", anchor="previous"),
        dead=msgspec.structs.replace(
            _D, scroll_window_ms=100, selection_window_ms=100, links=False, merge_same_node_ms=1000
        ),
    ),
    # PostHog ingestion (ML features): Euclidean, errors ≤ 5 s after the last click,
    # failed = 4xx + 5xx + ≥ 600.
    "posthog_ml": SignalConfig(
        preset="posthog_ml",
        rage=msgspec.structs.replace(_R, anchor="previous", ignore_texts=(), ignore_classes=()),
        error_click=msgspec.structs.replace(_E, window_ms=5000),
    ),
    # Sentry replay SDK: candidates a/button/input[submit|button]; dead at 7 s without a
    # mutation, 300 ms for scroll; slow = first mutation 3–7 s (mutation-only); rage = a
    # dead click with ≥ 5 same-node clicks in its window; same-node clicks within 1 s merged.
    "sentry": SignalConfig(
        preset="sentry",
        rage=msgspec.structs.replace(
            _R,
            min_clicks=5,
            max_gap_ms=7000,
            same_target=True,
            require_dead=True,
            ignore_texts=(),
            ignore_classes=(),
        ),
        dead=msgspec.structs.replace(
            _D, timeout_ms=7000, scroll_window_ms=300, candidates="sentry", merge_same_node_ms=0
        ),
        slow=msgspec.structs.replace(_S, slow_ms=3000, timeout_ms=7000, use_network=False),
    ),
    # Datadog RUM: same target ≤ 100 px and ≤ 1 s apart, 3 consecutive within 1 s, no
    # selection/scroll; dead = no activity (incl. network) within 100 ms; errors while the
    # action is open (≤ 10 s).
    "datadog": SignalConfig(
        preset="datadog",
        rage=msgspec.structs.replace(
            _R,
            radius_px=100,
            anchor="previous",
            same_target=True,
            max_span_ms=1000,
            window_clicks=3,
            ignore_texts=(),
            ignore_classes=(),
        ),
        dead=msgspec.structs.replace(
            _D, timeout_ms=100, scroll_window_ms=100, selection_window_ms=100, count_network=True
        ),
        error_click=msgspec.structs.replace(_E, window_ms=10_000),
    ),
    # mixpanel-js: 4 clicks < 1 s apart, < 30 px Euclidean from the previous, reset after
    # firing; dead = no reaction within 500 ms.
    "mixpanel": SignalConfig(
        preset="mixpanel",
        rage=msgspec.structs.replace(
            _R,
            min_clicks=4,
            anchor="previous",
            reset_after=True,
            ignore_texts=(),
            ignore_classes=(),
        ),
        dead=msgspec.structs.replace(
            _D, timeout_ms=500, scroll_window_ms=500, selection_window_ms=500
        ),
    ),
    # OpenReplay: ≥ 3 consecutive same-label clicks < 300 ms apart; dead = no DOM change
    # within 1234 ms; crash (error click) ≤ 2 s.
    "openreplay": SignalConfig(
        preset="openreplay",
        rage=msgspec.structs.replace(
            _R, max_gap_ms=300, group_by="label", ignore_texts=(), ignore_classes=()
        ),
        dead=msgspec.structs.replace(_D, timeout_ms=1234),
    ),
    # mixpanel-headless seed: ≥ 3 consecutive clicks with the same description within 1 s
    # of the first.
    "seed": SignalConfig(
        preset="seed",
        rage=msgspec.structs.replace(
            _R, group_by="label", max_span_ms=1000, ignore_texts=(), ignore_classes=()
        ),
    ),
}
"""Named definitions (§15). ``replaykit`` is the default."""


def signal_config(preset: str | SignalConfig | None = None) -> SignalConfig:
    """The config for a preset name (``replaykit`` when None); a config passes through.

    Raises :class:`ValueError` naming the known presets for an unknown name.
    """
    if preset is None:
        return DEFAULT_SIGNAL_CONFIG
    if isinstance(preset, SignalConfig):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown signal preset {preset!r} (known: {known})") from None
