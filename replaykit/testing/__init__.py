"""Helpers for testing code built on replaykit.

Ground-truth scoring of analyses (:func:`score`, :func:`load_truth`, ...) and
:class:`FakeMixpanel`, a local fake of the Mixpanel session-replay service over real
sockets (Insights discovery, bulk signing, the signed CDN and raw export), with switches
for the failures a client must survive; :func:`fast_client_factory` (clients whose retries
never wait, for ``replaykit.cli.main(client_factory=...)``) and :class:`InjectFaults`
(a chunk function for ``replaykit.distributed.analyze(chunk_fn=...)`` that crashes, fails
or stalls on purpose).

Hypothesis strategies for property tests of code that reads rrweb: :func:`rrweb_streams`
(valid or damaged recordings), :func:`rrweb_events`, :func:`incremental_events`,
:func:`serialized_trees`, :func:`damaged` (random faults in real events) and
:func:`recording_bytes` (any of them in a container; :func:`encode_recording` and
``CONTAINERS`` for one chosen by hand). They need hypothesis, which is imported on first
use of one of them, never by ``import replaykit.testing``.
"""

from typing import TYPE_CHECKING

from msgspec import Struct as _Struct

from ._clients import fast_client_factory
from ._fake_mixpanel import FakeMixpanel, FakeReplay, FaultRule, Faults, LoggedRequest
from ._fake_oauth import FakeOAuth
from ._faults import InjectFaults
from ._truth import (
    KindScore,
    TruthItem,
    found_items,
    load_truth,
    score,
    score_replay,
    score_signals,
    truth_items,
)

__all__ = [
    "FakeMixpanel",
    "FakeOAuth",
    "FakeReplay",
    "FaultRule",
    "Faults",
    "InjectFaults",
    "KindScore",
    "LoggedRequest",
    "TruthItem",
    "fast_client_factory",
    "found_items",
    "load_truth",
    "score",
    "score_replay",
    "score_signals",
    "truth_items",
]

# Public names report the public module, so reprs and docs say `replaykit.testing.FakeMixpanel`;
# Structs keep theirs (msgspec resolves their annotations in the defining module).
for _name in __all__:
    _obj = globals()[_name]
    if not (isinstance(_obj, type) and issubclass(_obj, _Struct)):
        _obj.__module__ = __name__
del _name, _obj

if TYPE_CHECKING:
    # Re-exported lazily by `__getattr__` below (redundant aliases mark them public).
    from ._strategies import CONTAINERS as CONTAINERS
    from ._strategies import damaged as damaged
    from ._strategies import encode_recording as encode_recording
    from ._strategies import incremental_events as incremental_events
    from ._strategies import recording_bytes as recording_bytes
    from ._strategies import rrweb_events as rrweb_events
    from ._strategies import rrweb_streams as rrweb_streams
    from ._strategies import serialized_trees as serialized_trees

_STRATEGIES = frozenset(
    {
        "CONTAINERS",
        "damaged",
        "encode_recording",
        "incremental_events",
        "recording_bytes",
        "rrweb_events",
        "rrweb_streams",
        "serialized_trees",
    }
)


def __getattr__(name: str) -> object:
    # The strategies import hypothesis, a test dependency: load them on first use only.
    if name in _STRATEGIES:
        from . import _strategies

        value = getattr(_strategies, name)
        if callable(value):
            value.__module__ = __name__
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_STRATEGIES})
