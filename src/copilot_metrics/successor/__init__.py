"""GitHub's successor "Copilot usage metrics" reports: detection, typed tables, validation, rebuild.

The read side of the successor family (SUCCESSOR.md), a self-contained unit:

* :func:`read_bytes` reads one file (any layout, told apart by content) into a
  :class:`ReportRead`: typed tables, ``reports``, ``schema_drift``, findings, quarantine,
  ``user_logins``;
* :func:`is_report` / :func:`classify_record` tell a parsed JSON value's kind;
* :data:`TABLES` declares every table once (columns, dtypes, kinds, JSON paths);
  :func:`column_kind` answers for a column; :func:`contract` builds a table's pandera model;
* :func:`rebuild_records` / :func:`rebuild_wrappers` turn tables back into the JSON GitHub wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from copilot_metrics.successor.read import (
    RULES,
    ReportRead,
    ReportValidationError,
    classify_record,
    is_report,
    parse_timestamp,
    read_bytes,
)
from copilot_metrics.successor.rebuild import rebuild_records, rebuild_wrappers
from copilot_metrics.successor.registry import (
    DRIFT_SCHEMA,
    FINDING_SCHEMA,
    KINDS,
    LOGIN_SCHEMA,
    QUARANTINE_SCHEMA,
    REPORT_SCHEMA,
    TABLES,
    Column,
    Privacy,
    ReportTable,
    column_kind,
)

if TYPE_CHECKING:
    import pandera.polars as pa

__all__ = [
    "DRIFT_SCHEMA",
    "FINDING_SCHEMA",
    "KINDS",
    "LOGIN_SCHEMA",
    "QUARANTINE_SCHEMA",
    "REPORT_SCHEMA",
    "RULES",
    "TABLES",
    "Column",
    "ReportRead",
    "ReportTable",
    "ReportValidationError",
    "classify_record",
    "column_kind",
    "contract",
    "is_report",
    "parse_timestamp",
    "read_bytes",
    "rebuild_records",
    "rebuild_wrappers",
]


def contract(name: str, privacy: Privacy | None = None) -> pa.DataFrameSchema:
    """The pandera schema of successor table ``name``, built by the legacy tables' generator.

    :func:`copilot_metrics.contracts.model_for` reads only ``name``, ``doc``, ``schema`` and
    ``key`` of its spec, which :class:`ReportTable` has with the same meaning (exact columns and
    dtypes, integers ``>= 0``, a unique natural key).  Its annotations drop a ``Datetime``'s time
    zone, so the UTC timestamp columns are set back to ``Datetime("us", "UTC")`` here.
    ``privacy``: the contract of the table's pseudonymized form (a pseudonymized dataset's
    ``ds.privacy``: ``user_pid`` in the key, no login), derived from the same declaration.
    """
    import polars as pl

    from copilot_metrics import contracts
    from copilot_metrics.tables import TableSpec

    spec: Any = TABLES[name].pseudonymized(privacy)
    schema = contracts.model_for(cast("TableSpec", spec)).to_schema()
    zoned = {c.name: {"dtype": c.dtype} for c in spec.columns if isinstance(c.dtype, pl.Datetime)}
    return schema.update_columns(zoned) if zoned else schema
