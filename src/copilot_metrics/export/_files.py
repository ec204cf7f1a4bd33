"""What a Parquet dataset folder holds, for the current reader and the legacy one alike.

The manifest's name, the tables each layout format stores, the check of a Parquet file's footer
against its table, and the error for files that disagree with the manifest.  The layout itself
is described in :mod:`copilot_metrics.export.parquet`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import SIDE_TABLES, TABLES

__all__ = ["DAMAGED", "MANIFEST", "all_tables", "disagrees", "footer_rows", "stored"]

#: Name of the manifest at the root of a dataset.
MANIFEST = "_copilot_metrics.json"

#: What to do about a dataset whose files disagree with its manifest.
DAMAGED = (
    "the dataset was changed after it was written: restore it from a backup, or write it again from its sources"
)

#: Side tables each layout format stores first (layouts before it do not have them).
_SINCE = {"versions": 4}


def all_tables() -> list[str]:
    """The ten data tables, then the side tables, in the order they are written."""
    return [*TABLES, *SIDE_TABLES]


def stored(fmt: int) -> list[str]:
    """The tables a dataset of layout format ``fmt`` stores."""
    return [name for name in all_tables() if fmt >= _SINCE.get(name, 1)]


def disagrees(base: Path, table: str, files: list[str], what: str) -> CopilotMetricsError:
    """A table's files disagree with the manifest (``files`` relative to ``base``)."""
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return CopilotMetricsError(
        f"{base}: table {table!r}: {what} ({shown or f'no file in {table}/'})",
        file=str(base / (files[0] if files else table)), table=table, hint=DAMAGED,
    )


def _footer(path: Path, table: str) -> tuple[pl.Schema, dict[bytes, bytes], int]:
    """A Parquet file's columns (as Polars dtypes), its key-value metadata and its rows, from its footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as footer:
            arrow, rows = footer.schema_arrow, int(footer.metadata.num_rows)
        found = pl.DataFrame(arrow.empty_table()).schema
    except (OSError, ValueError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        raise CopilotMetricsError(
            f"{path}: table {table!r}: not a readable Parquet file ({exc})", file=str(path), table=table,
            hint=DAMAGED,
        ) from exc
    return found, dict(arrow.metadata or {}), rows


def footer_rows(path: Path, table: str, schema: pl.Schema, *, exact: bool) -> int:
    """The rows of one Parquet file, once its footer shows it holds ``table``'s columns with their dtypes.

    ``exact`` (layout format 3): the columns are ``schema``'s, in order, and nothing else, and a
    footer naming its table names ``table``; otherwise (formats 1 and 2) every column of
    ``schema`` is there with its dtype.
    """
    found, metadata, rows = _footer(path, table)
    written_for = metadata.get(b"copilot_metrics.table")
    if exact and written_for is not None and written_for != table.encode():
        raise CopilotMetricsError(
            f"{path}: a file of table {written_for.decode(errors='replace')!r} in the folder of table {table!r}",
            file=str(path), table=table, hint=DAMAGED,
        )
    for column, dtype in schema.items():
        if column not in found:
            raise CopilotMetricsError(
                f"{path}: table {table!r}: column {column!r} is missing", file=str(path), table=table,
                column=column, hint=DAMAGED,
            )
        if found[column] != dtype:
            raise CopilotMetricsError(
                f"{path}: table {table!r}: column {column!r} is {found[column]}, expected {dtype}", file=str(path),
                table=table, column=column, hint=DAMAGED,
            )
    extra = [column for column in found if column not in schema]
    if exact and extra:
        raise CopilotMetricsError(
            f"{path}: table {table!r}: columns the table does not have: {', '.join(extra)}", file=str(path),
            table=table, column=extra[0], hint=DAMAGED,
        )
    return rows
