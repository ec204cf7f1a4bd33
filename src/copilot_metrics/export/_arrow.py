"""Polars dtypes -> Arrow types: the one dtype map of the Parquet files (and of :mod:`copilot_metrics.spark`).

:data:`DTYPES` names, for each simple dtype a table may declare, its Arrow type and its Spark
type; :func:`arrow_type` and :func:`arrow_schema` build the Arrow side, ``spark.spark_schema``
the Spark side, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from copilot_metrics.errors import CopilotMetricsError

__all__ = ["DTYPES", "arrow_schema", "arrow_type"]

#: Each simple Polars dtype a table declares: the name of its Arrow type in ``pyarrow`` and of its
#: Spark type in ``pyspark.sql.types`` (None: Spark has none).  Datetime and List are built from
#: their parameters: ``timestamp(unit, tz)`` / ``list<inner>``.
DTYPES: tuple[tuple[type[pl.DataType], str, str | None], ...] = (
    (pl.String, "string", "StringType"),
    (pl.Int64, "int64", "LongType"),
    (pl.Boolean, "bool_", "BooleanType"),
    (pl.Date, "date32", "DateType"),
    (pl.Float64, "float64", "DoubleType"),
    (pl.UInt64, "uint64", None),
)


def arrow_type(dtype: Any) -> Any:
    """The Arrow type of a declared Polars dtype (String -> ``string``, List[String] -> ``list<string>``, ...)."""
    import pyarrow as pa

    for kind, arrow, _ in DTYPES:
        if dtype == kind:
            return getattr(pa, arrow)()
    if isinstance(dtype, pl.Datetime):
        return pa.timestamp(dtype.time_unit or "us", dtype.time_zone)
    if isinstance(dtype, pl.List):
        return pa.list_(arrow_type(dtype.inner))
    raise CopilotMetricsError(f"no Parquet mapping for dtype {dtype}")  # pragma: no cover - declared dtypes only


def arrow_schema(schema: pl.Schema, metadata: Mapping[str, str] | None = None) -> Any:
    """The Arrow schema of a Polars schema, columns in order, with ``metadata`` as its key-value metadata."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(name, arrow_type(dtype)) for name, dtype in schema.items()], metadata=dict(metadata or {})
    )
