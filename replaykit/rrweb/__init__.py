"""The rrweb recording format: typed events, streaming decode, and the DOM tracker."""
