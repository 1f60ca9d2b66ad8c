"""Where recordings come from: a local folder (:class:`LocalSource`) or Mixpanel
(:mod:`replaykit.sources.mixpanel`). Sources yield recordings and event chunks with their
metadata; analyzing them is the layer above (:mod:`replaykit._api`)."""

from ._local import LocalSource, Recording

__all__ = ["LocalSource", "Recording"]
