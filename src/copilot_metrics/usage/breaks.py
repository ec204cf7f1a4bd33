"""The known breaks and the ``break`` column, as the successor metrics use them.

Declared once in :mod:`copilot_metrics.breaks` (below the metrics layer, so that the legacy
metrics carry the column too); re-exported here.
"""

from __future__ import annotations

from copilot_metrics.breaks import (
    BREAK_SEPARATOR,
    KNOWN_BREAKS,
    Family,
    KnownBreak,
    breaks_between,
    breaks_frame,
    period_bounds,
    with_breaks,
)

__all__ = [
    "BREAK_SEPARATOR",
    "KNOWN_BREAKS",
    "Family",
    "KnownBreak",
    "breaks_between",
    "breaks_frame",
    "period_bounds",
    "with_breaks",
]
