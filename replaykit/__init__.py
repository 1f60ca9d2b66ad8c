"""replaykit: turn rrweb session recordings into timelines, signals and Polars frames."""
