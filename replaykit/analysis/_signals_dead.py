"""Dead clicks (``frustration-signals.md`` §3): a click that expected a result, and
nothing answered it (the judgment itself: ``_click_context._Context.dead``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._actions import Action
from ._click_context import (
    _Context,
    _signal,
)
from ._signal import Signal
from ._signal_config import SignalConfig
from ._signals_rage import _rage_bursts
from ._tape import Tape

__all__ = ["detect_dead_clicks"]


def detect_dead_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Dead clicks (§3): a click that expected a result, and nothing answered it.

    *Candidates* (``dead.candidates``): in the ``replaykit`` preset every click except on
    text-like fields (focus is their answer), links that download or open elsewhere,
    blocked elements and the page background — controls and links, and also things that
    only look clickable (static text, headings, images, chart legend items: Clarity counts
    these, they mean "I expected this to do something"; the signal says
    ``interactive: false``); the product presets judge interactive targets only, and
    ``sentry`` only ``a``, ``button`` and ``input[type=submit|button]``. Error clicks (§5)
    and presses that selected text are never dead.

    A candidate is **alive** when its effect (the attribution rule: what came after it and
    before the person's next action in the tab) holds a navigation it caused, a DOM change
    outside the page's ambient activity or an Input within ``dead.timeout_ms`` (2500 ms,
    PostHog's mutation window), a scroll within ``scroll_window_ms`` (300 ms, Sentry) or a
    selection change within ``selection_window_ms`` (100 ms, PostHog). A click the person
    followed with another action before anything answered is dead: they moved on. If the
    recording ends before the click could be judged it is undetermined and not reported.
    Presets: Sentry (7 s), Datadog (100 ms, network counts), Mixpanel (500 ms),
    OpenReplay (1234 ms); the product presets count ambient changes as reactions, as their
    SDKs do. Tab visibility changes (§3's ±1000 ms rule) are not on the tape.

    ``details``: ``in_rage`` (part of a rage burst), ``interactive``, ``target_kind``,
    ``first_reaction_ms`` (an answer that came too late, else None), ``next_action`` and
    ``next_action_ms`` (what ended the window), ``ambient_mutations_ignored``,
    ``because`` and the windows applied.
    """
    ctx = _Context(actions, tape, config)
    dead = ctx.dead(config.dead)
    if not dead:
        return []
    in_rage = {seq for burst in _rage_bursts(ctx, config.rage) for seq in burst.seqs}
    out: list[Signal] = []
    for c in ctx.clicks:
        details = dead.get(c.action.seq)
        if details is not None:
            out.append(
                _signal(
                    replay_id,
                    "dead_click",
                    c,
                    config,
                    {"in_rage": c.action.seq in in_rage, **details},
                )
            )
    return out
