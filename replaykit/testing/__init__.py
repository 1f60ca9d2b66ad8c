"""Helpers for testing code built on replaykit.

Ground-truth scoring of analyses (:func:`score`, :func:`load_truth`, ...) and
:class:`FakeMixpanel`, a local fake of the Mixpanel session-replay service over real
sockets (Insights discovery, bulk signing, the signed CDN and raw export), with switches
for the failures a client must survive.
"""

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

# Public names report the public module, so reprs and docs say `replaykit.testing.FakeMixpanel`.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
