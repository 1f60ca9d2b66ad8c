"""Helpers shared by the page-level detector modules (``_idle``, ``_thrash``, ``_visits``,
``_forms``, ``_signals_page``): what a user action is, when an action ended, the replay's
start, actions looked up by time, and building a page-level :class:`Signal`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ._actions import Action, InputDetails, ScrollDetails
from ._signal import Signal, SignalKind
from ._signal_config import SignalConfig
from ._tape import Tape

__all__ = [
    "USER_ACTION_KINDS",
    "_ActionsByTime",
    "action_end",
    "is_user_action",
    "latest_action",
    "make_signal",
    "replay_start",
]

USER_ACTION_KINDS = frozenset(
    {"click", "input", "select", "toggle", "scroll", "selection", "navigation"}
)


def is_user_action(action: Action) -> bool:
    """A person did it (§0 "User actions"); scrolls the page made itself are not."""
    if action.kind not in USER_ACTION_KINDS:
        return False
    details = action.details
    return not (isinstance(details, ScrollDetails) and details.programmatic)


def action_end(action: Action) -> int:
    """Epoch ms at which an action ended: bursts (typing, scrolling) end later than they
    start."""
    details = action.details
    if isinstance(details, InputDetails | ScrollDetails) and details.t_end_ms > action.t_ms:
        return action.timestamp + (details.t_end_ms - action.t_ms)
    return action.timestamp


def replay_start(actions: Sequence[Action], tape: Tape) -> int | None:
    """The replay's first timestamp: the tape's, else what an action's ``t_ms`` implies."""
    if tape.first_timestamp is not None:
        return tape.first_timestamp
    for action in actions:
        return action.timestamp - action.t_ms
    return None


class _ActionsByTime:
    """A replay's actions sorted once by time, for the lookups each gap or episode makes.

    :func:`latest_action` and a filter over every action per signal made the detectors
    quadratic on long recordings; these answer the same questions by bisection.
    """

    def __init__(self, actions: Sequence[Action]) -> None:
        self._actions = actions
        # Stable sort on (timestamp, seq): among equal keys the later one in `actions`
        # comes last, which is the one `latest_action` keeps (it compares with >=).
        order = sorted(range(len(actions)), key=lambda i: (actions[i].timestamp, actions[i].seq))
        with_url = [i for i in order if actions[i].url is not None]
        self._any_url = self._runs({None: with_url})[None]
        self._with_url = self._runs(_group(with_url, lambda i: actions[i].window_id))
        self._by_page = self._runs(
            _group(order, lambda i: (actions[i].window_id, actions[i].document))
        )

    def _runs(self, groups: dict[_K, list[int]]) -> dict[_K, tuple[list[int], list[int]]]:
        """Each group's indices with their timestamps beside them, for bisection."""
        return {k: (v, [self._actions[i].timestamp for i in v]) for k, v in groups.items()}

    def latest(
        self, t: int, *, window_id: str | None = None, any_window: bool = True
    ) -> Action | None:
        """What :func:`latest_action` returns, by bisection."""
        indices, stamps = self._any_url if any_window else self._with_url.get(window_id, _NONE)
        k = bisect_right(stamps, t) - 1
        return self._actions[indices[k]] if k >= 0 else None

    def seqs_between(
        self, window_id: str | None, document: int, t0: int, t1: int
    ) -> tuple[int, ...]:
        """``seq`` of the actions of one window and document in ``[t0, t1]``, in list order."""
        indices, stamps = self._by_page.get((window_id, document), _NONE)
        found = sorted(indices[bisect_left(stamps, t0) : bisect_right(stamps, t1)])
        return tuple(self._actions[i].seq for i in found)


_K = TypeVar("_K")
_NONE: tuple[list[int], list[int]] = ([], [])


def _group(indices: list[int], key: Callable[[int], _K]) -> dict[_K, list[int]]:
    groups: dict[_K, list[int]] = defaultdict(list)
    for i in indices:
        groups[key(i)].append(i)
    return groups


def latest_action(
    actions: Sequence[Action], t: int, *, window_id: str | None = None, any_window: bool = True
) -> Action | None:
    """The last action at or before ``t`` that knows its URL (in ``window_id`` unless
    ``any_window``)."""
    best: Action | None = None
    for action in actions:
        if action.timestamp > t or action.url is None:
            continue
        if not any_window and action.window_id != window_id:
            continue
        if best is None or (action.timestamp, action.seq) >= (best.timestamp, best.seq):
            best = action
    return best


def make_signal(
    replay_id: str,
    kind: SignalKind,
    t: int,
    start: int | None,
    config: SignalConfig,
    *,
    end: int | None = None,
    url: str | None = None,
    document: int = 1,
    window_id: str | None = None,
    evidence: tuple[int, ...] = (),
    target: str | None = None,
    label: str | None = None,
    details: dict[str, Any] | None = None,
) -> Signal:
    """A :class:`Signal` with ``t_ms`` from the replay start and the config's preset."""
    return Signal(
        replay_id=replay_id,
        kind=kind,
        timestamp=t,
        t_ms=max(0, t - start) if start is not None else 0,
        end_timestamp=end,
        duration_ms=None if end is None else max(0, end - t),
        target=target,
        label=label,
        url=url,
        document=document,
        window_id=window_id,
        evidence=evidence,
        preset=config.preset,
        details=details or {},
    )
