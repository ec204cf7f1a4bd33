"""The reader of layout formats 1 and 2 (copilot-metrics 0.1.0): hive-partitioned data tables.

The ten data tables were partitioned by ``enterprise``, ``org``, ``team`` and ``month``
(:data:`PARTITION_COLUMNS`), the scope living only in the folder names (byte-wise
percent-encoding, :data:`~copilot_metrics.export._labels.NULL_PARTITION` for null, long labels
named by a digest listed in the manifest: :mod:`copilot_metrics.export._labels`); each folder
held one ``part-0.parquet``.  Read only: :func:`copilot_metrics.export.parquet.read_parquet` and
:func:`~copilot_metrics.export.parquet.scan_parquet` read such a dataset exactly, and any write
into its folder rewrites it in the current layout (:func:`ours` lets a write replace it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import polars as pl

from copilot_metrics.export._files import MANIFEST, disagrees, footer_rows, stored, stored_schema, upgraded
from copilot_metrics.export._labels import DIGEST_MARK, NULL_PARTITION, label_of
from copilot_metrics.tables import SCOPE, SIDE_TABLES, TABLES, table_schema

__all__ = ["PARTITION_COLUMNS", "Files", "arrow_partitioning", "ours", "scan_table", "verified"]

#: Hive partition columns of the ten data tables in layout formats 1 and 2 (read only), in folder order.
PARTITION_COLUMNS: tuple[str, ...] = (*SCOPE, "month")

#: What each partition folder's one file was called.
_FILE = "part-0.parquet"

#: A table's files, each with its partition values (in :data:`PARTITION_COLUMNS` order).
Files = list[tuple[Path, tuple[str | None, ...]]]


def arrow_partitioning() -> Any:
    """The ``pyarrow.dataset`` hive partitioning of the data tables of layout formats 1 and 2 (0.1.0).

    Only for datasets written by copilot-metrics 0.1.0:
    ``pyarrow.dataset.dataset(old / "days", partitioning=arrow_partitioning())``.  The current
    layout is not partitioned (``partitioning="hive"``, the default of ``pandas.read_parquet``,
    reads it as is).
    """
    import pyarrow as pa
    import pyarrow.dataset as pds

    return pds.partitioning(pa.schema([(c, pa.string()) for c in PARTITION_COLUMNS]), flavor="hive")


def ours(parts: tuple[str, ...], is_file: bool) -> bool:
    """Whether a path below a table's folder (``parts`` relative to the dataset) is one formats 1 and 2 wrote.

    So that a write replaces an old dataset whole.
    """
    head = parts[0]
    if head in SIDE_TABLES:
        return len(parts) == 2 and is_file and parts[1] == _FILE
    if head in TABLES:
        folders = parts[1:-1] if is_file else parts[1:]
        return (
            len(folders) <= len(PARTITION_COLUMNS)
            and (not is_file or (len(folders) == 4 and parts[-1] == _FILE))
            and all(f.startswith(f"{c}=") for f, c in zip(folders, PARTITION_COLUMNS, strict=False))
        )
    return False


def _partition_values(path: Path, folder: Path, digests: Mapping[str, str]) -> tuple[str | None, ...]:
    parts = path.relative_to(folder).parts[:-1]
    values: dict[str, str | None] = {}
    for part in parts:
        column, _, raw = part.partition("=")
        values[column] = label_of(raw, digests, path)
    return tuple(values.get(c) for c in PARTITION_COLUMNS)


def _files(folder: Path, digests: Mapping[str, str]) -> Files:
    """The table's files and their partition values, in read order: by (enterprise, org, team, month), nulls first."""
    found = [
        p for p in folder.rglob("*.parquet") if not any(s.startswith(("_", ".")) for s in p.relative_to(folder).parts)
    ]
    with_values = [(p, _partition_values(p, folder, digests)) for p in found]

    def order(item: tuple[Path, tuple[str | None, ...]]) -> tuple[Any, ...]:
        return (tuple((0, "") if v is None else (1, v) for v in item[1]), item[0].name)

    return sorted(with_values, key=order)


def verified(base: Path, manifest: dict[str, Any]) -> dict[str, Files]:
    """Each table's files of a format-1 or format-2 dataset, once their columns and the manifest's row counts agree."""
    digests = manifest.get("partitioning", {}).get("digests", {})
    counts = manifest.get("rows", {})
    out = {}
    for name in stored(manifest.get("format", 1)):
        folder = base / name
        files = _files(folder, digests) if folder.is_dir() else []
        added = SCOPE if name in TABLES else ()  # not in the files
        schema = pl.Schema({c: t for c, t in stored_schema(name, manifest.get("format", 1)).items() if c not in added})
        total = sum(footer_rows(path, name, schema, exact=False) for path, _ in files)
        if name in counts and total != counts[name]:
            raise disagrees(
                base,
                name,
                [str(p.relative_to(base)) for p, _ in files],
                f"its files hold {total} rows, {MANIFEST} counts {counts[name]}",
            )
        out[name] = files
    return out


def _decoded_as_polars_does(folder: Path, files: Files) -> bool:
    """Whether Polars' own hive decoding gives every folder value as :func:`label_of` does (no digest, no null name)."""
    return all(
        raw == NULL_PARTITION or (DIGEST_MARK not in raw and unquote(raw) != NULL_PARTITION)
        for f, _ in files
        for raw in (part.partition("=")[2] for part in f.relative_to(folder).parts[:-1])
    )


def scan_table(name: str, folder: Path, files: Files) -> pl.LazyFrame:
    """One table of a format-1 or format-2 dataset (scope in hive folder names; see the module docstring)."""
    schema = table_schema(name)
    if not files:
        return pl.LazyFrame(schema=schema)
    paths = [str(f) for f, _ in files]
    if name not in TABLES:
        frame = pl.scan_parquet(paths, hive_partitioning=False)
        return upgraded(name, 2, frame).select(schema.names()).cast(schema)
    if _decoded_as_polars_does(folder, files):  # keep Polars' partition pruning
        frame = pl.scan_parquet(
            paths,
            hive_partitioning=True,
            hive_schema=dict.fromkeys(PARTITION_COLUMNS, pl.String()),
            try_parse_hive_dates=False,
        )
        return frame.select(schema.names()).cast(schema)
    # digests, or a literal "__HIVE_DEFAULT_PARTITION__" (which Polars reads as null): values from
    # this module's own decoding of each file's folder names
    column = "__copilot_metrics_file__"
    frame = pl.scan_parquet(paths, hive_partitioning=False, include_file_paths=column)
    return (
        frame.with_columns(
            pl.col(column).replace_strict(paths, [v[i] for _, v in files], return_dtype=pl.String()).alias(c)
            for i, c in enumerate(SCOPE)
        )
        .select(schema.names())
        .cast(schema)
    )
