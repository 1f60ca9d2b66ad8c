"""The shared context of the click frustration detectors (``_signals_click``).

:class:`_Click` unpacks a click action once; :func:`_effects` gives every click its
effect by the attribution rule and :func:`_attribute_errors` the errors in it (§5);
:class:`_Context` holds the per-replay lookups (clicks, errors, presses) and judges which
clicks are dead (§3), which the rage and slow detectors read too; :func:`_signal` builds
a click's :class:`Signal`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from ._actions import Action, ClickDetails, ClickEffect
from ._attribution import attribute_click, boundaries_from_actions
from ._effects import (
    first_selection,
    navigations_from_actions,
)
from ._signal import Signal
from ._signal_config import DeadClickConfig, SignalConfig
from ._tape import Tape

__all__ = [
    "_Click",
    "_Context",
    "_Error",
    "_attribute_errors",
    "_clicks",
    "_effects",
    "_is_candidate",
    "_is_interactive",
    "_signal",
]


# Buttons that are a press on the page: a lone DblClick (no Click before it) and a tap
# count; a context menu is its own gesture (§0).
_PRESS_BUTTONS = frozenset({"click", "dblclick", "tap"})
# A press more than this before its click belongs to another gesture (old recorders may
# not report MouseDown at all).
_MAX_PRESS_MS = 5_000
_SENTRY_INPUT_TYPES = frozenset({"submit", "button"})


class _Click:
    """A click action with the fields the detectors read, unpacked once."""

    __slots__ = (
        "action",
        "details",
        "document",
        "effect",
        "node_id",
        "t",
        "window_id",
        "x",
        "y",
    )

    def __init__(self, action: Action, details: ClickDetails) -> None:
        self.action = action
        self.details = details
        self.effect: ClickEffect = details.effect or ClickEffect()
        self.t = action.timestamp
        self.document = action.document
        self.window_id = action.window_id
        self.node_id = action.node_id
        self.x = details.x
        self.y = details.y


def _clicks(actions: Sequence[Action]) -> list[_Click]:
    out = [
        _Click(a, a.details)
        for a in actions
        if isinstance(a.details, ClickDetails) and a.details.button in _PRESS_BUTTONS
    ]
    out.sort(key=lambda c: (c.t, c.action.seq))
    return out


def _signal(
    replay_id: str,
    kind: Any,
    click: _Click,
    config: SignalConfig,
    details: dict[str, Any],
    *,
    evidence: tuple[int, ...] | None = None,
    end: int | None = None,
    target: tuple[str | None, str | None] | None = None,
) -> Signal:
    a = click.action
    return Signal(
        replay_id=replay_id,
        kind=kind,
        timestamp=a.timestamp,
        t_ms=a.t_ms,
        end_timestamp=end,
        duration_ms=None if end is None else end - a.timestamp,
        target=a.target if target is None else target[0],
        label=a.label if target is None else target[1],
        url=a.url,
        document=a.document,
        window_id=a.window_id,
        evidence=evidence if evidence is not None else (a.seq,),
        preset=config.preset,
        details=details,
    )


def _effects(
    clicks: list[_Click], actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> None:
    """Give every click its effect: the analyzer's, or (for actions built elsewhere, e.g. by
    hand or from an older export) the same rule applied here, with time order alone."""
    missing = [c for c in clicks if c.details.effect is None]
    if not missing:
        return
    boundaries = boundaries_from_actions(actions, tape)
    navs = navigations_from_actions(actions)
    network = tape.network
    end = tape.last_timestamp
    if end is None:
        end = max((a.timestamp for a in actions), default=None)
    for c in missing:
        c.effect = attribute_click(
            c.action,
            tape,
            network=network,
            navigations=navs,
            boundaries=boundaries,
            config=config.effect,
            stream_end=end,
        )


class _Error:
    """An error attributed to a click: a console record or a failed triggered request."""

    __slots__ = ("message", "ms", "uncaught")

    def __init__(self, message: str, ms: int, uncaught: bool) -> None:
        self.message = message
        self.ms = ms
        self.uncaught = uncaught


def _attribute_errors(clicks: Sequence[_Click], config: SignalConfig) -> dict[int, list[_Error]]:
    """Errors per click ``seq``: those in the click's effect (the attribution rule: after
    the click, before the person's next action) within ``error_click.window_ms`` (§5)."""
    cfg = config.error_click
    out: dict[int, list[_Error]] = {}
    for c in clicks:
        found = [
            _Error(e.message, e.ms, e.uncaught) for e in c.effect.errors if e.ms <= cfg.window_ms
        ]
        if cfg.include_network:
            for r in c.effect.requests:
                bad = r.status is not None and r.status >= config.network.error_status
                if r.triggered and (r.failed or bad):
                    status = r.status if r.status is not None else "failed"
                    found.append(
                        _Error(f"{r.method} {r.path} {status}", max(0, r.start_ms or 0), False)
                    )
        if found:
            out[c.action.seq] = found
    return out


_NOT_JUDGED = frozenset({"text_field", "link_elsewhere", "blocked", "page"})


def _is_candidate(c: _Click, cfg: DeadClickConfig) -> bool:
    d = c.details
    kind = d.target_kind
    if cfg.candidates == "sentry":
        # Sentry's click detector: only a, button and input[type=submit|button]; links
        # that download or open elsewhere are skipped.
        if d.tag == "button":
            return kind != "blocked"
        if d.tag == "a":
            return kind == "link"
        return d.tag == "input" and (d.input_type or "") in _SENTRY_INPUT_TYPES
    if kind == "link":
        return cfg.links
    if cfg.candidates == "clickable":
        # Anything a person pressed expecting a result; focus is a field's answer, a
        # link elsewhere answers outside the page, a blocked element is not recorded and
        # the page background is where people click to dismiss or deselect.
        return kind not in _NOT_JUDGED and d.button != "contextmenu"
    return kind == "control"


def _is_interactive(c: _Click) -> bool:
    return c.details.target_kind in ("control", "link")


class _Context:
    """Per-replay lookups shared by the click detectors (built once per call)."""

    def __init__(self, actions: Sequence[Action], tape: Tape, config: SignalConfig) -> None:
        self.tape = tape
        self.config = config
        self.clicks = _clicks(actions)
        _effects(self.clicks, actions, tape, config)
        self.errors = _attribute_errors(self.clicks, config)
        self.end = tape.last_timestamp
        if self.end is None:
            self.end = max((a.timestamp for a in actions), default=None)
        # MouseDown/TouchStart times per (window, document), to tell a click that ended a
        # text-selection press (pointer records are not time-sorted: moves carry offsets).
        self.presses: dict[tuple[str | None, int], list[int]] = {}
        for p in tape.pointer:
            if p.kind == "down":
                self.presses.setdefault((p.window_id, p.document), []).append(p.t)
        for times in self.presses.values():
            times.sort()

    def pressed_selection(self, c: _Click) -> bool:
        """Whether the press that ended in this click changed the text selection."""
        times = self.presses.get((c.window_id, c.document), [])
        i = bisect_right(times, c.t) - 1
        if i < 0 or c.t - times[i] > _MAX_PRESS_MS:
            return False
        return first_selection(self.tape, times[i], c.t) is not None

    def reaction(self, c: _Click, cfg: DeadClickConfig) -> tuple[str, int] | None:
        """The first reaction within the dead-click windows (§3 step 3), as (kind, ms),
        read from the click's effect (the attribution rule decided what is its own)."""
        e = c.effect
        found: list[tuple[int, str]] = []
        if e.navigation_ms is not None:
            found.append((e.navigation_ms, "navigation"))  # caused by it, at any delay
        for ms, kind in ((e.mutation_ms, "mutation"), (e.input_ms, "input")):
            if ms is not None and ms <= cfg.timeout_ms:
                found.append((ms, kind))
        if cfg.count_ambient and e.ambient_ms is not None and e.ambient_ms <= cfg.timeout_ms:
            found.append((e.ambient_ms, "mutation"))
        if (
            e.reaction_kind == "scroll"
            and e.reaction_ms is not None
            and e.reaction_ms <= cfg.timeout_ms
        ):
            found.append((e.reaction_ms, "scroll"))
        if e.scroll_ms is not None and e.scroll_ms <= cfg.scroll_window_ms:
            found.append((e.scroll_ms, "scroll"))
        if e.selection_ms is not None and e.selection_ms <= cfg.selection_window_ms:
            found.append((e.selection_ms, "selection"))
        if cfg.count_network:
            starts = [r.start_ms for r in e.requests if r.start_ms is not None and r.start_ms >= 0]
            if starts and min(starts) <= cfg.timeout_ms:
                found.append((min(starts), "network"))
        if not found:
            return None
        ms, kind = min(found)
        return kind, max(0, ms)

    def undetermined(self, c: _Click, cfg: DeadClickConfig) -> bool:
        """The click cannot be judged: the recording stopped, or the person left the page
        (Back/Forward, a typed URL) before the timeout — a page that is gone cannot be
        seen to answer."""
        e = c.effect
        if (
            e.next_action in ("load", "back_forward")
            and e.next_action_ms is not None
            and e.next_action_ms < cfg.timeout_ms
        ):
            return True
        horizon = cfg.timeout_ms
        if e.next_action_ms is not None:
            horizon = min(horizon, e.next_action_ms)
        return self.end is None or self.end < c.t + horizon

    def dead(self, cfg: DeadClickConfig) -> dict[int, dict[str, Any]]:
        """Dead clicks by ``seq``, with their details (before rage flags)."""
        out: dict[int, dict[str, Any]] = {}
        last_on_node: dict[tuple[str | None, int, int], int] = {}
        for c in self.clicks:
            key = (c.window_id, c.document, c.node_id if c.node_id is not None else -1)
            previous = last_on_node.get(key)
            last_on_node[key] = c.t
            if not _is_candidate(c, cfg):
                continue
            if (
                cfg.merge_same_node_ms
                and previous is not None
                and c.node_id is not None
                and c.t - previous <= cfg.merge_same_node_ms
            ):
                continue  # a repeat of the click just judged (Sentry/PostHog merge these)
            if c.action.seq in self.errors:
                continue  # an error click, not a dead one (§3 step 2)
            if self.pressed_selection(c):
                continue  # the press selected text: the selection is the effect
            if self.reaction(c, cfg) is not None:
                continue
            if self.undetermined(c, cfg):
                continue
            e = c.effect
            later = e.reaction_ms if e.reaction_ms is not None else None
            out[c.action.seq] = {
                "target_kind": c.details.target_kind,
                "interactive": _is_interactive(c),
                "first_reaction_ms": later,
                "next_action": e.next_action,
                "next_action_ms": e.next_action_ms,
                "ambient_mutations_ignored": e.ambient_mutations_ignored,
                "because": e.because,
                "timeout_ms": cfg.timeout_ms,
                "scroll_window_ms": cfg.scroll_window_ms,
                "selection_window_ms": cfg.selection_window_ms,
                "count_network": cfg.count_network,
            }
        return out
