"""pandera contracts of the tables, one :class:`pandera.polars.DataFrameModel` per table.

The models are generated from :mod:`copilot_metrics.tables`, so they cannot drift from the
declared schemas.  Each checks: the exact columns and dtypes, counts ``>= 0``, and a unique
natural key.  :func:`copilot_metrics.load` runs them once on the concatenated tables; users can
validate their own frames with them::

    import copilot_metrics as cm
    cm.contracts.MODELS["completions"].validate(frame)

What a failure leads to (raise, or set the day aside) is decided by
:func:`copilot_metrics.quarantine.enforce`: this module only declares.

pandera is imported, and the models built, on first use of :data:`MODELS` (or of
:func:`check_table`), so that ``import copilot_metrics`` stays quick.

>>> import copilot_metrics as cm
>>> sorted(cm.contracts.MODELS) == sorted(cm.TABLES)
True
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import polars as pl

from copilot_metrics.tables import TABLES, TableSpec

if TYPE_CHECKING:
    import pandera.polars as pa

__all__ = ["MODELS", "check_table", "locate", "model_for"]


def _import_pandera() -> None:
    """Import pandera once, quietly about other libraries.

    ``import pandera`` imports ``pyspark.pandas`` whenever PySpark is installed, which warns
    (FutureWarning) when pandas is newer than PySpark supports: a warning about packages this
    library does not use, raised inside its contracts.  It is silenced here, and only here.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
        import pandera.polars  # noqa: F401


def model_for(spec: TableSpec) -> type[pa.DataFrameModel]:
    """Build the pandera model of one table from its declaration."""
    _import_pandera()
    import pandera.polars as pa

    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for name, dtype in spec.schema.items():
        annotations[name] = type(dtype) if not isinstance(dtype, pl.List) else dtype
        kwargs: dict[str, Any] = {"nullable": name not in ("date",)}
        if dtype == pl.Int64:  # every integer column is a count
            kwargs["ge"] = 0
        namespace[name] = pa.Field(**kwargs)
    namespace["__annotations__"] = annotations
    config = type("Config", (), {"strict": True, "coerce": False, "unique": list(spec.key), "ordered": True})
    namespace["Config"] = config
    namespace["__doc__"] = f"Contract of table ``{spec.name}``: {spec.doc}. Natural key: {', '.join(spec.key)}."
    return type(f"{spec.name.title().replace('_', '')}Model", (pa.DataFrameModel,), namespace)


@functools.cache
def _models() -> dict[str, type[pa.DataFrameModel]]:
    return {name: model_for(spec) for name, spec in TABLES.items()}


def __getattr__(name: str) -> Any:
    """``MODELS``: the contract of every table, by table name (built on first access)."""
    if name == "MODELS":
        return _models()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    #: The contract of every table, by table name.
    MODELS: dict[str, type[pa.DataFrameModel]]


def check_table(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Validate ``frame`` against table ``name``'s contract; return its failures, one per row.

    The result has the columns ``table``, ``column``, ``check``, ``value``, ``row`` (the row's
    position in ``frame``, or null for a failure about the whole frame).  Empty when valid.
    A repeated natural key is reported on each of its rows with ``check`` ``"unique natural
    key"`` and ``column`` naming the key columns (pandera names the model there instead).
    """
    _import_pandera()
    from pandera.errors import SchemaErrors

    if frame.height == 0 and frame.schema == TABLES[name].schema:
        # nothing for the row checks to see; the declared columns and dtypes, in order, are what
        # the strict, ordered model would check (most tables of a small load are empty)
        return _NO_FAILURES.clear()
    try:
        _models()[name].validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        if isinstance(cases, pl.DataFrame):
            unique = pl.col("check").cast(pl.String) == "multiple_fields_uniqueness"
            return cases.select(
                pl.lit(name).alias("table"),
                pl.when(unique)
                .then(pl.lit(", ".join(TABLES[name].key)))
                .otherwise(pl.col("column").cast(pl.String))
                .alias("column"),
                pl.when(unique)
                .then(pl.lit("unique natural key"))
                .otherwise(pl.col("check").cast(pl.String))
                .alias("check"),
                pl.when(unique).then(None).otherwise(pl.col("failure_case").cast(pl.String)).alias("value"),
                pl.col("index").cast(pl.Int64).alias("row"),
            )
        raise
    return _NO_FAILURES.clear()


_NO_FAILURES = pl.DataFrame(
    schema={"table": pl.String, "column": pl.String, "check": pl.String, "value": pl.String, "row": pl.Int64}
)


def locate(failures: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """The failures of :func:`check_table` about rows, each joined with the row it names in ``frame``."""
    rows = frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    return failures.filter(pl.col("row").is_not_null()).join(rows, on="row", how="left")
