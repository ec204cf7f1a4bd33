"""What a Parquet dataset folder holds, for the current reader and the legacy one alike.

The manifest's name, the tables each layout format stores, the check of a Parquet file's footer
against its table, and the error for files that disagree with the manifest.  The layout itself
is described in :mod:`copilot_metrics.export.parquet`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.sidetables import (
    COPY_PATH_SINCE_FORMAT,
    FAMILY_SINCE_FORMAT,
    SOURCE_FAMILY_COLUMNS,
    STATE_SINCE_FORMAT,
    older_families,
    older_quarantine,
    older_sources,
    older_versions,
)
from copilot_metrics.successor.registry import (
    DRIFT_SCHEMA,
    LOGIN_SCHEMA,
    MERGED_REPORT_SCHEMA,
    Privacy,
    report_tables,
)
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.tables import SIDE_TABLES, TABLES, conform

__all__ = [
    "DAMAGED",
    "MANIFEST",
    "all_tables",
    "conformed",
    "disagrees",
    "doc_and_key",
    "footer_rows",
    "schema_of",
    "stored",
    "stored_schema",
    "upgraded",
]

#: Name of the manifest at the root of a dataset.
MANIFEST = "_copilot_metrics.json"

#: What to do about a dataset whose files disagree with its manifest.
DAMAGED = "the dataset was changed after it was written: restore it from a backup, or write it again from its sources"

#: The successor reports' side tables (attributes of a dataset): their schemas, declared in the registry.
_REPORT_SIDE: dict[str, tuple[pl.Schema, str, tuple[str, ...]]] = {
    "reports": (MERGED_REPORT_SCHEMA, "one row per successor report (its shards brought together)", ("report_id",)),
    "schema_drift": (
        DRIFT_SCHEMA,
        "one row per (grain, JSON path, type) of the reports the registry does not know",
        ("grain", "path", "example_type"),
    ),
    "user_logins": (LOGIN_SCHEMA, "one row per (user_id, user_login) of user_days", ("user_id", "user_login")),
}
#: Their names, in written order (the attributes :data:`copilot_metrics.dataset.SUCCESSOR_SIDE_TABLES` names).
_REPORT_SIDE_NAMES = tuple(_REPORT_SIDE)

#: Tables each layout format stores first (layouts before it do not have them): ``versions`` since 4;
#: the successor tables, their side tables and ``report_versions`` since 6.
_SINCE = {
    "versions": 4,
    "report_versions": FAMILY_SINCE_FORMAT,
    **dict.fromkeys((*REPORT_TABLES, *_REPORT_SIDE_NAMES), FAMILY_SINCE_FORMAT),
}

#: Columns of a side table each layout format stores first, and how a reader fills them in an older layout.
_ADDED: dict[str, tuple[tuple[int, tuple[str, ...], Callable[[pl.LazyFrame], pl.LazyFrame]], ...]] = {
    "sources": (
        (STATE_SINCE_FORMAT, ("state", "reason"), older_sources),
        (FAMILY_SINCE_FORMAT, SOURCE_FAMILY_COLUMNS, older_families),
    ),
    "quarantine": ((FAMILY_SINCE_FORMAT, ("record_json",), older_quarantine),),
    "versions": ((COPY_PATH_SINCE_FORMAT, ("copy_path",), older_versions),),
}


def all_tables() -> list[str]:
    """The ten legacy tables, the side tables, the successor tables and their side tables, in written order."""
    return [*TABLES, *SIDE_TABLES, *REPORT_TABLES, *_REPORT_SIDE_NAMES]


def schema_of(name: str, privacy: Privacy | None = None) -> pl.Schema:
    """The declared schema of any table :func:`all_tables` names (a successor table's in the form ``privacy``)."""
    if name in TABLES:
        return TABLES[name].schema
    if name in SIDE_TABLES:
        return SIDE_TABLES[name].schema
    if name in REPORT_TABLES:
        return report_tables(privacy)[name].schema
    return _REPORT_SIDE[name][0]


def doc_and_key(name: str, privacy: Privacy | None = None) -> tuple[str, tuple[str, ...]]:
    """The grain (in words) and the key of any table :func:`all_tables` names (a file's footer metadata)."""
    if name in TABLES:
        return TABLES[name].doc, TABLES[name].key
    if name in SIDE_TABLES:
        return SIDE_TABLES[name].doc, SIDE_TABLES[name].key
    if name in REPORT_TABLES:
        return REPORT_TABLES[name].doc, report_tables(privacy)[name].key
    return _REPORT_SIDE[name][1:]


def conformed(name: str, frame: pl.DataFrame, privacy: Privacy | None = None) -> pl.DataFrame:
    """``frame`` with exactly the declared columns of ``name``, in order and dtype (a column missing raises).

    A successor table's columns are those of its pseudonymized form ``privacy`` when one is given
    (a pseudonymized dataset's: :attr:`copilot_metrics.Dataset.privacy`).
    """
    if name in TABLES or name in SIDE_TABLES:
        return conform(name, frame)
    schema = schema_of(name, privacy)
    missing = [c for c in schema.names() if c not in frame.columns]
    if missing:
        raise CopilotMetricsError(
            f"table {name!r} lacks column(s) {missing} of its declared schema",
            table=name,
            column=missing[0],
            hint="use a dataset returned by copilot_metrics.load",
        )
    return frame.select(schema.names()).cast(schema)


def stored_schema(name: str, fmt: int, privacy: Privacy | None = None) -> pl.Schema:
    """The columns a layout of format ``fmt`` stores for table ``name`` (its declared ones, less those added later)."""
    later = {c for since, columns, _ in _ADDED.get(name, ()) if fmt < since for c in columns}
    return pl.Schema({c: t for c, t in schema_of(name, privacy).items() if c not in later})


def upgraded(name: str, fmt: int, frame: pl.LazyFrame) -> pl.LazyFrame:
    """A table as a layout of format ``fmt`` stored it, with the columns later formats added filled in."""
    for since, _, fill in _ADDED.get(name, ()):
        if fmt < since:
            frame = fill(frame)
    return frame


def stored(fmt: int) -> list[str]:
    """The tables a dataset of layout format ``fmt`` stores."""
    return [name for name in all_tables() if fmt >= _SINCE.get(name, 1)]


def disagrees(base: Path, table: str, files: list[str], what: str) -> CopilotMetricsError:
    """A table's files disagree with the manifest (``files`` relative to ``base``)."""
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return CopilotMetricsError(
        f"{base}: table {table!r}: {what} ({shown or f'no file in {table}/'})",
        file=str(base / (files[0] if files else table)),
        table=table,
        hint=DAMAGED,
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
            f"{path}: table {table!r}: not a readable Parquet file ({exc})",
            file=str(path),
            table=table,
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
            file=str(path),
            table=table,
            hint=DAMAGED,
        )
    for column, dtype in schema.items():
        if column not in found:
            raise CopilotMetricsError(
                f"{path}: table {table!r}: column {column!r} is missing",
                file=str(path),
                table=table,
                column=column,
                hint=DAMAGED,
            )
        if found[column] != dtype:
            raise CopilotMetricsError(
                f"{path}: table {table!r}: column {column!r} is {found[column]}, expected {dtype}",
                file=str(path),
                table=table,
                column=column,
                hint=DAMAGED,
            )
    extra = [column for column in found if column not in schema]
    if exact and extra:
        raise CopilotMetricsError(
            f"{path}: table {table!r}: columns the table does not have: {', '.join(extra)}",
            file=str(path),
            table=table,
            column=extra[0],
            hint=DAMAGED,
        )
    return rows
