"""``replaykit aggregate``, ``replaykit query`` and ``replaykit report``: bundles from the
command line (:mod:`._aggregate`, :mod:`._query`, :mod:`._report`; rows in :mod:`._rows`).

The commands only parse arguments and format rows: the work is
:class:`~replaykit.ReplayBundle`'s.
"""

from ._aggregate import aggregate_command
from ._query import query_group
from ._report import report_command
from ._rows import write_rows

__all__ = ["aggregate_command", "query_group", "report_command", "write_rows"]
