"""Helpers for testing code built on replaykit.

Ground-truth scoring of analyses (:func:`score`, :func:`load_truth`, ...) and
:class:`FakeMixpanel`, a local fake of the Mixpanel session-replay service over real
sockets (Insights discovery, bulk signing, the signed CDN and raw export), with switches
for the failures a client must survive.
"""

from msgspec import Struct as _Struct

from ._fake_mixpanel import FakeMixpanel, FakeReplay, FaultRule, Faults, LoggedRequest
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
    "FakeReplay",
    "FaultRule",
    "Faults",
    "KindScore",
    "LoggedRequest",
    "TruthItem",
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
