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

from .._errors import UsageError

__all__ = [
    "DEFAULT_SIGNAL_CONFIG",
    "PRESETS",
    "ActiveTimeConfig",
    "ConsoleConfig",
    "DeadClickConfig",
    "EffectConfig",
    "ErrorClickConfig",
    "FormAbandonConfig",
    "IdleConfig",
    "NetworkConfig",
    "QuickBackConfig",
    "RageClickConfig",
    "ScrollConfig",
    "SignalConfig",
    "SlowClickConfig",
    "ThrashConfig",
    "signal_config",
]

Distance: TypeAlias = Literal["euclidean", "manhattan"]

# PostHog's SDK ignores rage bursts on pager/stepper controls: clicking "next" five times
# fast is paging, not anger (posthog-js `rageclick.ts`, §2).
_PAGER_TEXTS = ("next", "previous", "prev", ">", "<", "+", "-", "−", "–")
_IGNORE_CLASSES = ("ph-no-rageclick", "ph-no-capture")


class EffectConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What the analyzer attaches to each click as its ``effect`` (:mod:`._attribution`).

    - ``window_ms=7000``: how long after a click its effects are collected, in recording
      time; the slow-click timeout (Sentry's 7 s, §4), so every detector reading an effect
      sees everything it may need. The analyzer holds a click back this long (or to the end).
    - ``request_before_ms=50``/``request_after_ms=500``: a fetch/XHR whose start lies in
      this window around the click was *triggered* by it (§4 ``request_window``).
    - ``max_requests=8``, ``max_errors=4``, ``text_chars=120``: caps on what one effect
      carries, so effects stay small on noisy pages.
    - ``repeat_ms=1000``: a click on the same target this soon after the previous press
      continues the same window (one intent pressed again; the rage-click gap, §2).
    - ``input_follow_ms=150``: an Input this soon after a press is the press's own doing
      (a checkbox toggling, a label's control), not the person typing.
    - ``scripted_start_ms=300``: a new document after a click on a control (not a link or
      submit) is the handler's doing when its navigation *began* within this of the click
      (the network plugin tells when: its navigation entry); a typed URL or Back begins
      later. ``scripted_navigation_ms=1000``: without that information (and for SPA URL
      changes), how soon the navigation itself may come; ``navigation_after_request_ms=
      1000``: or how soon after a request the click triggered ended (save, then redirect).
      Plain content (text, images) never navigates by script.
    - ``error_window_ms=2000``: errors this soon after the click make it an error click
      (§5 ``window_ms``); later ones in the window are listed, not judged.
    - ``ignore_ambient=True``: leave out changes the page was making on its own before
      the click (:mod:`._ambient`); off, any change is a reaction (PostHog's SDK).
    """

    window_ms: int = 7000
    request_before_ms: int = 50
    request_after_ms: int = 500
    max_requests: int = 8
    max_errors: int = 4
    text_chars: int = 120
    repeat_ms: int = 1000
    input_follow_ms: int = 150
    scripted_start_ms: int = 300
    scripted_navigation_ms: int = 1000
    navigation_after_request_ms: int = 1000
    error_window_ms: int = 2000
    ignore_ambient: bool = True


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
    """Dead click (§3). Default: a click with no own reaction (a change outside the page's
    ambient activity, an Input, a navigation it caused) within 2500 ms or before the
    person's next action, no scroll within 300 ms, no selection within 100 ms; error
    clicks are not dead. The reactions are the click's
    :class:`~replaykit.analysis._actions.ClickEffect` (one attribution rule for the
    timeline and the signals).

    - ``candidates``: ``clickable`` (replaykit: any click, on controls and on things that
      only look clickable — static text, headings, images, legend items, which Clarity
      counts too — except text fields, text-selection drags, links that leave the page,
      blocked elements and the page background; signals say ``interactive``),
      ``interactive`` (a[href], button, non-text input, summary, option, interactive role,
      [onclick], [tabindex]) or ``sentry`` (only ``a``, ``button``,
      ``input[type=submit|button]``).
    - ``links``: False makes links never dead (PostHog SDK).
    - ``count_network``: a fetch/XHR started in the window is a reaction (Datadog).
    - ``count_ambient``: changes the page was making on its own count as reactions (what
      the products' SDKs do: they have no notion of ambient activity). Off in replaykit.
    - ``merge_same_node_ms``: repeated clicks on one node this close are judged once
      (Sentry, PostHog: 1000); 0 judges every click (replaykit, the truth counts them all).
    """

    timeout_ms: int = 2500
    scroll_window_ms: int = 300
    selection_window_ms: int = 100
    tab_change_window_ms: int = 1000
    candidates: Literal["clickable", "interactive", "sentry"] = "clickable"
    links: bool = True
    count_network: bool = False
    count_ambient: bool = False
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


# --- page-level families (``_signals_page.py``, ``_visits.py``, ``_activity.py``) ---------


class QuickBackConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Quick back / U-turn (§8). Default: page visits A → B → A in one tab (URL = path +
    query, fragment dropped) with B left ≤ ``max_dwell_ms=3000`` after it was entered.

    - ``min_visit_ms=250``: a visit shorter than this is a redirect and merges into the
      next one (its start becomes the next visit's start).
    - ``pattern``: ``return`` (A → B → A, replaykit/Clarity) or ``any_change`` (PostHog
      ingestion: any URL change to a different URL shortly after the previous one).
    """

    max_dwell_ms: int = 3000
    min_visit_ms: int = 250
    pattern: Literal["return", "any_change"] = "return"


class ScrollConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Scroll reversals and excessive (rage) scrolling (§9).

    - ``min_leg_px=50``: a scroll leg (movement in one direction) counts once it has moved
      this far from the last turning point; smaller back-and-forth is layout jitter.
    - ``rapid_ms=500``: a reversal this soon after the previous scroll event is *rapid*
      (PostHog ingestion's "rapid reversal").
    - ``episode_reversals=3`` within ``episode_window_ms=3000``: a rage-scroll episode.
    - ``excessive_reversals=6``: a visit with this many reversals is excessive, unless its
      URL template has ``baseline_min_visits=20`` visits in the replay: then more than
      mean + ``baseline_sigmas=2`` standard deviations of their counts is.
    """

    min_leg_px: float = 50
    rapid_ms: int = 500
    episode_reversals: int = 3
    episode_window_ms: int = 3000
    excessive_reversals: int = 6
    baseline_min_visits: int = 20
    baseline_sigmas: float = 2.0


class ThrashConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Thrashing cursor (§10). Default: ≥ ``min_reversals=4`` direction changes on one
    axis within ``window_ms=1000``, legs ≥ ``min_leg_px=20``, mean pointer speed ≥
    ``min_speed_px_ms=0.3`` over them; mouse moves only (no touch, no drag, no button held).
    ``axes`` says which axes are judged (OpenReplay counts horizontal changes only).
    """

    window_ms: int = 1000
    min_reversals: int = 4
    min_leg_px: float = 20
    min_speed_px_ms: float = 0.3
    axes: tuple[Literal["x", "y"], ...] = ("x", "y")


class IdleConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Idle and long pauses (§11).

    - ``idle_ms=30000``: ``idle`` = a gap at least this long between activity instants
      (PostHog's active sources, every mouse position at its own time, programmatic scrolls
      left out).
    - ``pause_ms=10000``: ``long_pause`` = a gap at least this long between user actions
      (``pause_kinds``; scrolls the page made itself are not user actions).
    - ``count_open_ended=False``: a gap running into the end of the recording is not
      reported (nobody knows how long it lasted); True reports it with ``open_ended``.
    """

    idle_ms: int = 30_000
    pause_ms: int = 10_000
    count_open_ended: bool = False
    pause_kinds: tuple[str, ...] = (
        "click",
        "input",
        "select",
        "toggle",
        "scroll",
        "selection",
        "navigation",
    )


class ActiveTimeConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Active time (§12), PostHog's ingestion algorithm: a new segment starts when an
    active event comes more than ``activity_threshold_ms=5000`` after the last one.
    ``selection_active`` also counts Selection changes as activity (Mixpanel's SDK)."""

    activity_threshold_ms: int = 5000
    selection_active: bool = False


class FormAbandonConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Form abandonment (§13): a ``<form>`` with ≥ ``min_filled=1`` filled fields left
    (full load, reload, SPA URL change) with no submit attempt since the first fill.

    - ``submit_window_ms=1000``: a non-GET request or URL change this soon after a
      button click or after the form's last Input (Enter) is a submit attempt.
    - ``load_wait_ms=5000``: a new document that follows a button click with no other
      user action between, within this delay, was caused by that click (a native submit).
    - ``count_session_end=False``: a filled form still unsent when the recording ends is
      reported only when True (``left_to`` None).
    """

    min_filled: int = 1
    submit_window_ms: int = 1000
    load_wait_ms: int = 5000
    count_session_end: bool = False


class SignalConfig(msgspec.Struct, frozen=True, kw_only=True):
    """All detector settings, one field per family; ``preset`` names the definition.

    Click-level families (``effect``, ``rage``, ``dead``, ``slow``, ``error_click``,
    ``console``, ``network``) are read by ``_signals_click.py``/``_signals_errors.py``;
    page-level families (``quick_back``, ``scroll``, ``thrash``, ``idle``, ``active_time``,
    ``form_abandon``) by ``_signals_page.py`` and the ``_visits``/``_activity`` modules.
    """

    preset: str = "replaykit"
    effect: EffectConfig = msgspec.field(default_factory=EffectConfig)
    rage: RageClickConfig = msgspec.field(default_factory=RageClickConfig)
    dead: DeadClickConfig = msgspec.field(default_factory=DeadClickConfig)
    slow: SlowClickConfig = msgspec.field(default_factory=SlowClickConfig)
    error_click: ErrorClickConfig = msgspec.field(default_factory=ErrorClickConfig)
    console: ConsoleConfig = msgspec.field(default_factory=ConsoleConfig)
    network: NetworkConfig = msgspec.field(default_factory=NetworkConfig)
    quick_back: QuickBackConfig = msgspec.field(default_factory=QuickBackConfig)
    scroll: ScrollConfig = msgspec.field(default_factory=ScrollConfig)
    thrash: ThrashConfig = msgspec.field(default_factory=ThrashConfig)
    idle: IdleConfig = msgspec.field(default_factory=IdleConfig)
    active_time: ActiveTimeConfig = msgspec.field(default_factory=ActiveTimeConfig)
    form_abandon: FormAbandonConfig = msgspec.field(default_factory=FormAbandonConfig)


DEFAULT_SIGNAL_CONFIG = SignalConfig()

_R = RageClickConfig()
# The products judge interactive targets and know nothing of ambient activity.
_D = DeadClickConfig(candidates="interactive", count_ambient=True)
_S = SlowClickConfig()
_E = ErrorClickConfig()
_Q = QuickBackConfig()
_I = IdleConfig()
# PostHog ingestion's quick back: a URL event to a different URL < 2000 ms after the
# previous one (times are whole ms, so ≤ 1999), no A → B → A pattern, no redirect merging.
_POSTHOG_QUICK_BACK = msgspec.structs.replace(
    _Q, pattern="any_change", max_dwell_ms=1999, min_visit_ms=0
)

PRESETS: dict[str, SignalConfig] = {
    "replaykit": DEFAULT_SIGNAL_CONFIG,
    # Every product preset below starts from `_D`: interactive candidates, ambient changes
    # count as reactions.
    # posthog-js: $rageclick 3 clicks < 1 s apart and < 30 px Manhattan from the previous;
    # $dead_click 2.5 s mutation / 100 ms scroll / 100 ms selection, links never dead,
    # same-node repeats within 1 s not candidates.
    "posthog": SignalConfig(
        preset="posthog",
        rage=msgspec.structs.replace(_R, distance="manhattan", anchor="previous"),
        dead=msgspec.structs.replace(
            _D, scroll_window_ms=100, selection_window_ms=100, links=False, merge_same_node_ms=1000
        ),
        quick_back=_POSTHOG_QUICK_BACK,
        # posthog-js stops recording as idle after 5 minutes without activity.
        idle=msgspec.structs.replace(_I, idle_ms=300_000),
    ),
    # PostHog ingestion (ML features): Euclidean, errors ≤ 5 s after the last click,
    # failed = 4xx + 5xx + ≥ 600.
    "posthog_ml": SignalConfig(
        preset="posthog_ml",
        rage=msgspec.structs.replace(_R, anchor="previous", ignore_texts=(), ignore_classes=()),
        dead=_D,
        error_click=msgspec.structs.replace(_E, window_ms=5000),
        quick_back=_POSTHOG_QUICK_BACK,
        # Inactivity features: gaps > 30 s between clicks/keypresses.
        idle=msgspec.structs.replace(_I, pause_ms=30_001, pause_kinds=("click", "input")),
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
        # The replay pauses after 5 minutes without user activity.
        idle=msgspec.structs.replace(_I, idle_ms=300_000),
    ),
    # Datadog RUM: same target ≤ 100 px and ≤ 1 s apart, 3 consecutive within 1 s, no
    # selection/scroll; dead = no activity (incl. network) within 100 ms, a[href] never
    # dead; errors while the action is open (≤ 10 s).
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
            _D,
            timeout_ms=100,
            scroll_window_ms=100,
            selection_window_ms=100,
            count_network=True,
            links=False,
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
        # Recording goes idle after 30 minutes; Selection counts as activity.
        idle=msgspec.structs.replace(_I, idle_ms=1_800_000),
        active_time=ActiveTimeConfig(selection_active=True),
    ),
    # OpenReplay: ≥ 3 consecutive same-label clicks < 300 ms apart; dead = no DOM change
    # within 1234 ms; crash (error click) ≤ 2 s.
    "openreplay": SignalConfig(
        preset="openreplay",
        rage=msgspec.structs.replace(
            _R, max_gap_ms=300, group_by="label", ignore_texts=(), ignore_classes=()
        ),
        dead=msgspec.structs.replace(_D, timeout_ms=1234),
        # Tracker: > 4 horizontal direction changes per 225 ms (acceleration rule not
        # modelled; rrweb samples moves every ≥ 50 ms, so this is an approximation).
        thrash=ThrashConfig(
            window_ms=225, min_reversals=5, min_leg_px=1, min_speed_px_ms=0, axes=("x",)
        ),
    ),
    # mixpanel-headless seed: ≥ 3 consecutive clicks with the same description within 1 s
    # of the first.
    "seed": SignalConfig(
        preset="seed",
        rage=msgspec.structs.replace(
            _R, group_by="label", max_span_ms=1000, ignore_texts=(), ignore_classes=()
        ),
        dead=_D,
    ),
}
"""Named definitions (§15). ``replaykit`` is the default."""


def signal_config(preset: str | SignalConfig | None = None) -> SignalConfig:
    """The config for a preset name (``replaykit`` when None); a config passes through.

    Raises :class:`~replaykit.UsageError` (a ``ValueError``) naming the known presets for
    an unknown name.
    """
    if preset is None:
        return DEFAULT_SIGNAL_CONFIG
    if isinstance(preset, SignalConfig):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise UsageError(f"unknown signal preset {preset!r} (known: {known})") from None
