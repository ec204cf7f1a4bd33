"""The load of :func:`copilot_metrics.load` on Spark: files read and flattened on the executors.

``pip install "copilot-metrics[spark]"`` (pyspark 4, Java 17 or later).  :func:`load` lists the
files with Spark's ``binaryFile`` source, brings each folder's exports together (a range
partitioning by path), and runs the per-file step on the executors with ``mapInArrow``: read,
validate, flatten, and drop the days a file holds verbatim as an earlier export of the same
batch (compared by a digest of each day's compact JSON), exactly the batch step of
:func:`copilot_metrics.load` (``CHUNK_BYTES`` of files per batch).  The driver then streams
the batches in and runs the rest of ``cm.load``: a day repeated across batches is dropped by
its per-day digest as it arrives, and, over the distinct versions of each (scope, date) only,
the winner per (scope, date) with the same precedence and tie-break (``fetched_at``, a
timestamp in the file name, the last date plus one day, the modification time, then the
path), the conflicts, the contracts and the findings.  The result is returned as Spark
DataFrames with the declared types, and as the Polars :class:`~copilot_metrics.dataset.Dataset`
it was built from (:attr:`SparkLoad.dataset`), which :meth:`SparkLoad.write_parquet` writes as
:func:`copilot_metrics.write_parquet` does.

Differences from :func:`copilot_metrics.load`:

* ``paths`` are what Spark reads (local paths, ``file:``, ``hdfs:``, ``s3a:`` ... URIs, globs,
  folders, read recursively); path templates (``exports/{org}/{team}/*.json``) are supported as
  in ``cm.load``; bytes and file objects are not.
* ``source`` labels are the paths as Spark lists them, absolute; a ``file:`` URI is given as the
  local path (``/data/exports/a.json``), so labels equal those of ``cm.load`` given absolute paths.
* ``mtime`` is Spark's ``modificationTime``, to the millisecond (``cm.load`` uses the full
  ``st_mtime``): two files whose modification times differ by less than a millisecond, and
  whose precedence is decided by it, may rank the other way.
* Symbolic links, FIFOs and devices are not listed as ``skipped`` in ``sources``: Spark's file
  listing follows links and leaves out what is not a file.  Hidden files (``.x``, ``_x``) are
  left out by Spark, as for every Spark source.
* ``on_invalid`` defaults to ``"quarantine"`` (a cluster job should not die on one bad file);
  ``"raise"`` raises on the driver what ``cm.load`` raises.
* ``base=`` and ``workers=`` are not offered: merge the result with
  :func:`copilot_metrics.write_parquet` (``mode="merge"``), and size the cluster instead.
* The per-file step, the batch repeat-dropping and the reading of JSON run on the executors;
  the winner selection, conflicts, contracts and findings run on the driver, over the distinct
  day versions only, which must fit in the driver's memory (for daily 100-day exports, about
  1% of the JSON, held as Polars tables).

Cost: one shuffle, of the raw file bytes (the range partitioning by path, which also samples
the paths); the batches' outcomes (pickled Polars tables, each day version of a batch once)
are kept on the executors (memory, then disk) while the driver streams them in; the returned
Spark DataFrames are built on the driver from the merged tables.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import polars as pl

from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import SIDE_TABLES, TABLES, table_schema

__all__ = ["SparkLoad", "load", "spark_schema"]



def _spark_type(dtype: Any) -> Any:
    from pyspark.sql import types as st

    simple = {
        pl.String: st.StringType(), pl.Int64: st.LongType(), pl.Boolean: st.BooleanType(), pl.Date: st.DateType(),
        pl.Float64: st.DoubleType(),
    }
    for kind, spark in simple.items():
        if dtype == kind:
            return spark
    if isinstance(dtype, pl.Datetime):
        return st.TimestampNTZType() if dtype.time_zone is None else st.TimestampType()
    if isinstance(dtype, pl.List):
        return st.ArrayType(_spark_type(dtype.inner))
    raise CopilotMetricsError(f"no Spark mapping for dtype {dtype}")  # pragma: no cover - declared dtypes only


def spark_schema(name: str) -> Any:
    """The Spark ``StructType`` of a table (one of the ten, or a side table), from its declared schema.

    String -> ``string``, Int64 -> ``bigint``, Date -> ``date``, Boolean -> ``boolean``, Float64 ->
    ``double``, Datetime -> ``timestamp_ntz``, List[String] -> ``array<string>``; every column nullable.
    """
    from pyspark.sql import types as st

    schema = table_schema(name)
    return st.StructType([st.StructField(c, _spark_type(t), True) for c, t in schema.items()])


@dataclass(frozen=True)
class SparkLoad:
    """What :func:`load` returns: Spark DataFrames of every table, and the dataset they were made from.

    Attributes
    ----------
    tables:
        The ten tables by name, as Spark DataFrames with the declared types.
    sources, quarantine, findings, conflicts:
        The side tables, as Spark DataFrames with the declared types.
    dataset:
        The same tables as a Polars :class:`~copilot_metrics.dataset.Dataset` on the driver.
    seconds:
        Wall time of each phase: ``listing`` (Spark's file listing and the files' sizes), ``executors`` (reading,
        flattening, dropping repeats in each batch), ``driver`` (receiving the batches, the
        merge, contracts, findings), ``spark_frames`` (building the Spark DataFrames).
    """

    tables: Mapping[str, Any]
    sources: Any
    quarantine: Any
    findings: Any
    conflicts: Any
    dataset: Dataset
    seconds: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def write_parquet(self, root: str | os.PathLike[str], **options: Any) -> Path:
        """Write the result as :func:`copilot_metrics.write_parquet` does (readable by ``cm.read_parquet``)."""
        from copilot_metrics.export.parquet import write_parquet

        return write_parquet(self.dataset, root, **options)


def _label(path: str) -> str:
    """A file's ``source`` label: a ``file:`` URI as its local path, any other URI as Spark gives it."""
    parsed = urlparse(path)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    return path


def _templates(paths: Sequence[str]) -> list[tuple[str, re.Pattern[str] | None]]:
    """Each path as Spark reads it (placeholders made ``*``), with the regex giving its labels."""
    from copilot_metrics.sources import PLACEHOLDER, template_regex

    out: list[tuple[str, re.Pattern[str] | None]] = []
    for text in paths:
        if not PLACEHOLDER.search(text):
            out.append((text, None))
            continue
        local = urlparse(text).scheme in ("", "file")
        absolute = str(Path(_label(text)).absolute()) if local else text
        out.append((PLACEHOLDER.sub("*", text), template_regex(absolute)))
    return out


def _batches(
    scope: dict[str, str | None], regexes: list[re.Pattern[str]], chunk_bytes: int
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The executor step: ``binaryFile`` rows in, one row per batch of files out (its pickled outcome)."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from copilot_metrics import pipeline
        from copilot_metrics.sources import SourceRef

        out_schema = pa.schema([("chunk", pa.binary())])
        refs: list[SourceRef] = []
        size = 0

        def flush() -> Any:
            chunk = pipeline._process_chunk(refs)
            # the bytes were read: do not send them back
            chunk.outcomes = [(dataclasses.replace(ref, data=None), outcome) for ref, outcome in chunk.outcomes]
            return pa.RecordBatch.from_arrays([pa.array([pickle.dumps(chunk)], pa.binary())], schema=out_schema)

        for batch in batches:
            columns = batch.to_pydict()
            for path, mtime, content in zip(columns["path"], columns["mtime_ms"], columns["content"], strict=True):
                label = _label(path)
                labels = dict(scope)
                for regex in regexes:
                    match = regex.match(label)
                    if match:
                        labels |= match.groupdict()
                        break
                if refs and size + len(content) > chunk_bytes:
                    yield flush()
                    refs, size = [], 0
                refs.append(SourceRef(label=label, data=content, scope=labels,
                                      mtime=None if mtime is None else mtime / 1000))
                size += len(content)
        if refs:
            yield flush()

    return run


def _to_spark(spark: Any, name: str, frame: pl.DataFrame) -> Any:
    from copilot_metrics.export.parquet import _arrow_schema
    from copilot_metrics.tables import conform

    frame = conform(name, frame)
    arrow = _arrow_schema(table_schema(name), (), {})
    if not frame.height:  # Spark cannot build a frame from an Arrow table without chunks
        return spark.createDataFrame([], schema=spark_schema(name))
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(arrow)
    return spark.createDataFrame(table, schema=spark_schema(name))


def load(
    spark: Any,
    paths: str | Sequence[str],
    *,
    enterprise: str | None = None,
    org: str | None = None,
    team: str | None = None,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
    on_invalid: Literal["raise", "quarantine"] = "quarantine",
    contracts: bool = True,
    partitions: int | None = None,
) -> SparkLoad:
    """Load saved Copilot metrics exports with Spark: the tables of :func:`copilot_metrics.load`.

    Parameters
    ----------
    spark:
        A ``pyspark.sql.SparkSession``.
    paths:
        Files, folders (read recursively), globs or path templates (``exports/{org}/*.json``),
        as Spark reads them (module docstring: how labels differ from ``cm.load``'s).
    enterprise, org, team:
        Scope labels for every file (a path template overrides them per file).
    fetched_at, precedence, on_invalid, contracts:
        As for :func:`copilot_metrics.load` (``fetched_at`` keys are the labels: absolute local
        paths, or URIs); ``on_invalid`` defaults to ``"quarantine"``.
    partitions:
        Spark partitions the files are spread over (default: the archive's size over 64 MiB,
        at least the default parallelism).

    Returns
    -------
    SparkLoad
        The ten tables, ``sources``, ``quarantine``, ``findings`` and ``conflicts`` as Spark
        DataFrames with the declared types, equal row for row to those of ``cm.load`` on the
        same files, and the Polars dataset on the driver.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    from copilot_metrics.pipeline import CHUNK_BYTES, assemble

    if on_invalid not in ("raise", "quarantine"):
        raise CopilotMetricsError(f"on_invalid must be 'raise' or 'quarantine', not {on_invalid!r}")
    clock = [time.perf_counter()]
    seconds: dict[str, float] = {}

    def lap(phase: str) -> None:
        clock.append(time.perf_counter())
        seconds[phase] = clock[-1] - clock[-2]

    given = [paths] if isinstance(paths, str) else list(paths)
    if not given:
        raise CopilotMetricsError("no path given to copilot_metrics.spark.load")
    templates = _templates(given)
    files = (
        spark.read.format("binaryFile").option("recursiveFileLookup", "true")
        .load([spark_path for spark_path, _ in templates])
        .select("path", (sf.col("modificationTime").cast("double") * 1000).cast("long").alias("mtime_ms"),
                "length", "content")
    )
    total = files.agg(sf.sum("length")).first()[0] or 0
    lap("listing")
    n = partitions or max(spark.sparkContext.defaultParallelism, math.ceil(total / CHUNK_BYTES))
    scope = {"enterprise": enterprise, "org": org, "team": team}
    regexes = [regex for _, regex in templates if regex is not None]
    chunks = (
        files.repartitionByRange(n, "path").sortWithinPartitions("path")
        .mapInArrow(_batches(scope, regexes, CHUNK_BYTES), "chunk binary")
    )
    # computed by every executor at once, kept there, then streamed to the driver a partition at a time
    # (toLocalIterator alone would run the partitions one after the other)
    chunks = chunks.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        chunks.count()
        lap("executors")
        stream = (pickle.loads(row["chunk"]) for row in chunks.toLocalIterator(prefetchPartitions=True))
        ds = assemble(stream, on_invalid=on_invalid, fetched_at=fetched_at, precedence=precedence,
                       contracts=contracts)
        lap("driver")
    finally:
        chunks.unpersist()
    frames = {name: _to_spark(spark, name, ds.tables[name]) for name in TABLES}
    side = {name: _to_spark(spark, name, getattr(ds, name)) for name in SIDE_TABLES}
    lap("spark_frames")
    return SparkLoad(frames, side["sources"], side["quarantine"], side["findings"], side["conflicts"], ds, seconds)
