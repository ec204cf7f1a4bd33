"""The key columns every table and most side tables start with: the scope, then the date.

Declared here, below :mod:`copilot_metrics.tables` and :mod:`copilot_metrics.sidetables`, so
that both read them without importing each other; ``tables.SCOPE`` and ``tables.DAY_KEY`` are
their public names.
"""

from __future__ import annotations

__all__ = ["DAY_KEY", "SCOPE"]

#: Scope columns, in order, on every table.
SCOPE: tuple[str, ...] = ("enterprise", "org", "team")

#: What identifies a day of a scope: the key every table starts with.
DAY_KEY: tuple[str, ...] = (*SCOPE, "date")
