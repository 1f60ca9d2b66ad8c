"""Pausing the cyclic garbage collector around allocation-heavy, cycle-free work.

Decoding a recording and mirroring its DOM allocate hundreds of thousands of lists and
dicts. Each allocation burst triggers collections that re-walk everything still alive
(every earlier node), so work grows faster than linearly. None of these objects form
cycles, so pausing the collector loses nothing; reference counting still frees them.

The pause is counted (nested or concurrent pauses in several threads compose) and restores
the collector's previous state when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "without_gc"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (process-wide, counted)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`gc_paused`."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return func(*args, **kwargs)

    return wrapper
