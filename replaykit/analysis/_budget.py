"""The per-replay time budget (``AnalyzerOptions.max_seconds``).

Recordings are untrusted and a hostile one can be built to be slow to analyze: the
analyzer's public calls count their wall time against a budget shared by a replay's tabs,
and a long chunk looks at the clock every few thousand events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from .._errors import AnalysisTimeoutError

__all__ = ["BUDGET_EVERY", "Budget", "timed"]

_clock = time.monotonic  # looked up at call time, so tests can drive the budget
BUDGET_EVERY = 4_096  # events processed between two looks at the clock inside one chunk


class Budget:
    """Wall time one replay may spend in the analyzer (``AnalyzerOptions.max_seconds``).

    Time accrues only inside :meth:`ReplayAnalyzer.feed` and :meth:`ReplayAnalyzer.finish`
    (never while the caller decodes, downloads or consumes actions between calls); the
    analyzers of a replay's other tabs share it.
    """

    __slots__ = ("deadline", "limit", "replay_id", "running", "spent", "started")

    def __init__(self, limit: float, replay_id: str) -> None:
        self.limit = limit
        self.replay_id = replay_id
        self.spent = 0.0
        self.started = 0.0
        self.deadline = 0.0
        self.running = False

    def start(self) -> bool:
        """Start the clock; False (and nothing done) when a caller up the stack did."""
        if self.running:
            return False
        self.raise_if_spent()
        self.started = _clock()
        self.deadline = self.started + (self.limit - self.spent)
        self.running = True
        return True

    def stop(self) -> None:
        self.spent += _clock() - self.started
        self.running = False

    def check(self) -> None:
        """Raise if the running call has used up the budget."""
        if _clock() > self.deadline:
            raise self.error()

    def raise_if_spent(self) -> None:
        if self.spent >= self.limit:
            raise self.error()

    def error(self) -> AnalysisTimeoutError:
        return AnalysisTimeoutError(
            f"analysis ran past its time budget (max_seconds={self.limit:g})",
            replay_id=self.replay_id,
            seconds=self.limit,
        )


class _HasBudget(Protocol):
    _budget: Budget | None


_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S", bound=_HasBudget)


def timed(
    method: Callable[Concatenate[_S, _P], _R],
) -> Callable[Concatenate[_S, _P], _R]:
    """Count a public call's wall time against the replay's budget, if it has one."""

    @wraps(method)
    def timed_call(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        budget = self._budget
        if budget is None or not budget.start():
            return method(self, *args, **kwargs)
        try:
            result = method(self, *args, **kwargs)
        finally:
            budget.stop()
        budget.raise_if_spent()  # a call that overran fails too, not only the next one
        return result

    return timed_call
