r"""The load of :func:`copilot_metrics.load` on Spark: files read and flattened on the executors.

``pip install "copilot-metrics[spark]"`` (pyspark 4, Java 17 or later).  :func:`load` lists the
files, brings each folder's exports together (a range partitioning by path), and runs the
per-file step on the executors with ``mapInArrow``: read, validate, flatten, and drop the days
a file holds verbatim as an earlier export of the same batch (compared by a digest of each
day's compact JSON), exactly the batch step of :func:`copilot_metrics.load` (``BATCH_BYTES`` of
files per batch).  The driver then streams the batches in and runs the rest of ``cm.load``: a
day repeated across batches is dropped by its per-day digest as it arrives, and, over the
distinct versions of each (scope, date) only, the winner per (scope, date) with the same
precedence and tie-break (``fetched_at``, a timestamp in the file name, the last date plus one
day, the modification time, then the path), the conflicts, the contracts and the findings.
The result is returned as Spark DataFrames with the declared types, and as the Polars
:class:`~copilot_metrics.dataset.Dataset` it was built from (:attr:`SparkLoad.dataset`), which
:meth:`SparkLoad.write_parquet` writes as :func:`copilot_metrics.write_parquet` does.

GitHub's successor usage-metrics reports load beside the legacy days, as in ``cm.load``: the
executors' per-file step hands a file the legacy reader refuses to the successor reader
(:func:`copilot_metrics.successor.load.read_report_input`), which reads it with every record
kept or set aside and no option; its outcome (a ``ReportInput``: the typed tables, reports,
drift, findings and set-aside records as Polars frames, and the legacy reader's refusal) travels
to the driver pickled inside the batch, like the legacy days.  The driver applies ``reports``,
``scope_level``, ``on_invalid`` and ``on_drift`` and merges the reports (``pipeline.assemble``),
so the successor tables (``agg_days``, ``user_days``...) and ``reports``, ``schema_drift`` and
``user_logins`` are those of ``cm.load``.

Two kinds of paths:

* **Local paths** (a path without a scheme while Spark's default file system is the local one,
  as on ``local[N]``; or a ``file:`` URI, taken as its local path, never percent-decoded) are
  listed by the driver exactly as ``cm.load`` lists them, and read by the executors from their
  paths (each executor must see them at the same path: ``local[N]``, or a shared mount, as for
  any Spark source reading ``file:`` paths).  Everything about the listing is ``cm.load``'s:
  the ``source`` labels (relative paths stay relative; a name that is not UTF-8 has its bytes
  escaped, ``caf\xe9.json``), the errors for a path naming nothing (missing, matching no file,
  an empty folder), what a folder's walk skips and lists as ``skipped`` (links that lead
  nowhere, FIFOs, files not ending in ``.json``...), the labels of a folder written by
  :func:`copilot_metrics.write_json` or ``copilot-metrics example`` (its layout manifest), the
  ``fetched_at`` keys (a path however written: relative, ``./``, absolute, or a ``file:`` URI),
  and the full ``st_mtime``.  A name holding ``:`` (``2025-05-06T10:30:00.json``) loads.
* **Paths of other file systems** (``s3a:``, ``hdfs:``, ``abfss:``..., or a path without a
  scheme when the default file system is one of them) are listed and read by Spark's
  ``binaryFile`` source.  A path naming nothing raises the error ``cm.load`` raises for it.
  Labels are the paths as Hadoop qualifies them (``hdfs:///x`` is listed
  ``hdfs://namenode:8020/x``; a ``fetched_at`` key is qualified the same way), written
  literally (``%41`` stays ``%41``).  Differences that Hadoop's listing imposes: a name holding
  ``:`` cannot be a Hadoop path (a clear :class:`~copilot_metrics.errors.CopilotMetricsError`
  names the file); hidden files (``.x``, ``_x``) are left out; links and devices are not listed
  as ``skipped``, and a folder's files are read whatever their name ends in; ``mtime`` is to
  the millisecond (two files whose precedence is decided by modification times less than a
  millisecond apart may rank the other way); a folder written by ``write_json`` (its layout
  manifest) is refused, naming it: copy it to a local path.  The session setting
  ``spark.conf.set("copilot_metrics.listing", "hadoop")`` sends local paths and ``file:`` URIs
  this way too (:data:`LISTING`; ``auto``, the default, is the split above).

Differences from :func:`copilot_metrics.load` for every path:

* ``paths`` are paths, globs, folders (read recursively) or path templates
  (``exports/{org}/{team}/*.json``); bytes and file objects are not (``TypeError``), and a
  Parquet dataset is refused, naming it (read it with ``cm.read_parquet``).
* ``on_invalid`` defaults to ``"quarantine"`` (a cluster job should not die on one bad file);
  ``"raise"`` raises on the driver what ``cm.load`` raises.
* ``base=`` and ``workers=`` are not offered: merge the result with
  :func:`copilot_metrics.write_parquet` (``mode="merge"``), and size the cluster instead.
* The per-file step, the batch repeat-dropping and the reading of JSON run on the executors;
  the winner selection, conflicts, contracts and findings run on the driver, over the distinct
  day versions only, which must fit in the driver's memory (for daily 100-day exports, about
  1% of the JSON, held as Polars tables).

Cost: one shuffle (the range partitioning by path, which also samples the paths): of the paths
only for local files, read after it; of the raw file bytes for the others.  The batches'
outcomes (pickled Polars tables, each day version of a batch once) are kept on the executors
(memory, then disk) while the driver streams them in; the returned Spark DataFrames are built
on the driver from the merged tables.
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

import polars as pl

from copilot_metrics.dataset import SUCCESSOR_SIDE_TABLES, Dataset
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.successor.load import OnDrift, Reports, ScopeLevel
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.tables import SCOPE, SIDE_TABLES, table_schema

__all__ = ["SparkLoad", "load", "spark_schema"]


def _spark_type(dtype: Any) -> Any:
    """The Spark type of a declared Polars dtype, from the one dtype map (``export._arrow.DTYPES``)."""
    from pyspark.sql import types as st

    from copilot_metrics.export._arrow import DTYPES

    for kind, _, spark in DTYPES:
        if dtype == kind and spark is not None:
            return getattr(st, spark)()
    if isinstance(dtype, pl.Datetime):
        return st.TimestampNTZType() if dtype.time_zone is None else st.TimestampType()
    if isinstance(dtype, pl.List):
        return st.ArrayType(_spark_type(dtype.inner))
    raise CopilotMetricsError(f"no Spark mapping for dtype {dtype}")  # pragma: no cover - declared dtypes only


#: The declared schema of each successor side table (``ds.reports``...), from :class:`Dataset`'s defaults.
_REPORT_SIDE_SCHEMAS: dict[str, pl.Schema] = {
    f.name: f.default_factory().schema
    for f in dataclasses.fields(Dataset)
    if f.name in SUCCESSOR_SIDE_TABLES and callable(f.default_factory)
}


def _declared(name: str) -> pl.Schema:
    """The declared Polars schema of ``name``: a legacy table, a successor table, or a side table of either."""
    if name in REPORT_TABLES:
        return REPORT_TABLES[name].schema
    if name in _REPORT_SIDE_SCHEMAS:
        return _REPORT_SIDE_SCHEMAS[name]
    return table_schema(name)


def _struct(schema: pl.Schema) -> Any:
    from pyspark.sql import types as st

    return st.StructType([st.StructField(c, _spark_type(t), True) for c, t in schema.items()])


def spark_schema(name: str) -> Any:
    """The Spark ``StructType`` of a table, from its declared schema.

    ``name`` is one of the ten legacy tables, a successor table
    (:data:`copilot_metrics.successor.TABLES`: ``agg_days``, ``user_days``...), a side table
    (``sources``, ``quarantine``, ``findings``, ``conflicts``, ``versions``) or a successor side
    table (``reports``, ``schema_drift``, ``user_logins``).  String -> ``string``, Int64 ->
    ``bigint``, Date -> ``date``, Boolean -> ``boolean``, Float64 -> ``double``, Datetime ->
    ``timestamp_ntz``, Datetime with a time zone (``created_at``, UTC) -> ``timestamp``,
    List[String] -> ``array<string>``, List[List[Date]] -> ``array<array<date>>``; every column nullable.
    """
    return _struct(_declared(name))


@dataclass(frozen=True)
class SparkLoad:
    """What :func:`load` returns: Spark DataFrames of every table, and the dataset they were made from.

    Attributes
    ----------
    tables:
        Every table by name, as Spark DataFrames with the declared types (:func:`spark_schema`):
        the ten legacy tables, then every successor table (``agg_days``, ``user_days``...,
        :data:`copilot_metrics.successor.TABLES`), as in ``ds.tables`` (empty when no report
        was loaded).
    sources, quarantine, findings, conflicts:
        The side tables, as Spark DataFrames with the declared types.  After a load that read
        reports, ``sources`` also holds the columns ``cm.load`` adds (``family``,
        ``report_id``, ``record_kinds``, ``flavor``) and ``quarantine`` its ``record_json``,
        as text, as in the dataset.
    reports, schema_drift, user_logins:
        The side tables of the successor reports, as Spark DataFrames with the declared types.
    dataset:
        The same tables as a Polars :class:`~copilot_metrics.dataset.Dataset` on the driver.
    seconds:
        Wall time of each phase: ``listing`` (the driver's or Spark's file listing, the files'
        sizes), ``executors`` (reading, flattening, dropping repeats in each batch), ``driver``
        (receiving the batches, the merge, contracts, findings), ``spark_frames`` (building the
        Spark DataFrames).
    """

    tables: Mapping[str, Any]
    sources: Any
    quarantine: Any
    findings: Any
    conflicts: Any
    reports: Any
    schema_drift: Any
    user_logins: Any
    dataset: Dataset
    seconds: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def write_parquet(self, root: str | os.PathLike[str], **options: Any) -> Path:
        """Write the result as :func:`copilot_metrics.write_parquet` does (readable by ``cm.read_parquet``)."""
        from copilot_metrics.export.parquet import write_parquet

        return write_parquet(self.dataset, root, **options)


def _label(path: str) -> str:
    """A file's ``source`` label from the path Spark lists: a ``file:`` URI as its local path, any other as it is.

    Hadoop writes paths literally (``pct%41`` is a folder named ``pct%41``, ``a#b`` one named
    ``a#b``): nothing is percent-decoded, and nothing after ``#`` or ``?`` is cut.
    """
    if not path.startswith("file:"):
        return path
    rest = path[len("file:") :]
    if rest.startswith("//"):  # file://host/path: the host (empty or localhost) is not part of the path
        slash = rest.find("/", 2)
        rest = rest[slash:] if slash >= 0 else "/"
    return rest


#: A path of a file system named by its scheme (``s3a://``, ``hdfs:/``); one letter is a Windows drive.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")
_GLOB = re.compile(r"[*?\[]")


#: Spark session setting: ``hadoop`` lists and reads every path with Hadoop, local ones too (default ``auto``).
LISTING = "copilot_metrics.listing"


def _local_path(spark: Any, text: str) -> str | None:
    """``text`` as a path of the driver's file system, or ``None`` for a path Hadoop reads.

    A ``file:`` URI is its local path; a path without a scheme is local when Spark's default file
    system (``fs.defaultFS``) is the local one, as on ``local[N]`` or a cluster reading a shared
    mount; any other scheme (``s3a:``, ``hdfs:``, ``abfss:`` ...) is Hadoop's.  With the session
    setting :data:`LISTING` set to ``hadoop``, every path is Hadoop's (``file:`` URIs and local
    paths are then listed and read as an ``s3a:`` path would be).
    """
    if spark.conf.get(LISTING, "auto") == "hadoop":
        return None
    if text.startswith("file:"):
        return _label(text)
    if _SCHEME.match(text):
        return None
    default = spark.sparkContext._jsc.hadoopConfiguration().get("fs.defaultFS")
    return text if default is None or str(default).startswith("file:") else None


def _hadoop(spark: Any, text: str) -> tuple[Any, Any]:
    """The Hadoop ``Path`` of ``text`` and its ``FileSystem``."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(text)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _qualified(spark: Any, text: str) -> str:
    """``text`` as Spark lists it (``hdfs:///x`` -> ``hdfs://namenode:8020/x``), placeholders kept."""
    marks = {f"{{{name}}}": f"copilot-metrics-{name}-placeholder" for name in SCOPE}
    for placeholder, mark in marks.items():
        text = text.replace(placeholder, mark)
    path, fs = _hadoop(spark, text)
    out: str = fs.makeQualified(path).toString()
    for placeholder, mark in marks.items():
        out = out.replace(mark, placeholder)
    return out


def _check_hadoop(spark: Any, text: str) -> None:
    """Raise what ``cm.load`` raises for a path that names nothing: missing, matching nothing, an empty folder.

    Also refuses what ``cm.load`` reads in its own way and Spark cannot: a Parquet dataset
    (``cm.read_parquet``) and a folder written by ``write_json`` (its labels are in its layout
    manifest, read on local paths only).
    """
    from copilot_metrics._layout import LAYOUT_FILE
    from copilot_metrics.export.parquet import MANIFEST
    from copilot_metrics.sources import PLACEHOLDER

    path, fs = _hadoop(spark, PLACEHOLDER.sub("*", text))
    matches = fs.globStatus(path)
    if matches is None or len(matches) == 0:
        if PLACEHOLDER.search(text):
            raise CopilotMetricsError(f"{text}: no file matches this path template", file=text)
        if _GLOB.search(text):
            raise CopilotMetricsError(f"{text}: no file matches this pattern", file=text)
        raise CopilotMetricsError(f"{text}: no such file or folder", file=text)
    if PLACEHOLDER.search(text) or _GLOB.search(text) or not matches[0].isDirectory():
        return
    jvm = spark.sparkContext._jvm
    if fs.exists(jvm.org.apache.hadoop.fs.Path(path, MANIFEST)):
        raise _parquet_dataset(text)
    if fs.exists(jvm.org.apache.hadoop.fs.Path(path, LAYOUT_FILE)):
        raise CopilotMetricsError(
            f"{text}: a folder written by copilot-metrics (its layout manifest gives its scope labels); spark.load "
            "reads it only on a local path",
            file=text,
            hint=f"copy it to a local path (or a mounted file system), or load it with the path templates its "
            f"{LAYOUT_FILE} lists (exact for labels that are their own folder names)",
        )
    if not fs.listFiles(path, True).hasNext():
        raise CopilotMetricsError(
            f"{text}: this folder holds no file", file=text, hint="check the path: an empty folder gives no days"
        )


def _colon_failure(exc: Exception) -> CopilotMetricsError | None:
    """The clear error for Hadoop's refusal of a file name holding ``:`` (``None`` for any other failure)."""
    text = str(exc)
    if "URISyntaxException" not in text or "Relative path in absolute URI" not in text:
        return None
    where = re.search(r"reading file (\S+?)\.?\s", text)
    name = _label(where.group(1)) if where else "a file"
    return CopilotMetricsError(
        f"{name}: Hadoop cannot read a file whose name holds ':' (a Hadoop path cannot hold one)",
        file=name,
        hint="load it from a local path (spark.load reads local files itself), or rename it (the timestamp "
        "formats without ':', such as 2025-05-06_103000, give the same precedence)",
    )


def _templates(spark: Any, paths: Sequence[str]) -> list[tuple[str, re.Pattern[str] | None]]:
    """Each Hadoop path as Spark reads it (placeholders made ``*``), with the regex giving its labels."""
    from copilot_metrics.sources import PLACEHOLDER, template_regex

    out: list[tuple[str, re.Pattern[str] | None]] = []
    for text in paths:
        if not PLACEHOLDER.search(text):
            out.append((text, None))
            continue
        out.append((PLACEHOLDER.sub("*", text), template_regex(_label(_qualified(spark, text)))))
    return out


def _batches(
    scope: dict[str, str | None], regexes: list[re.Pattern[str]], chunk_bytes: int
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The executor step: files in (:data:`_INPUT` rows), one row per batch of files out (its pickled outcome).

    A local file (``local`` set) is read here from its path, under the label and scope the
    driver's listing gave it; a file Hadoop read (``content`` set) gets its label from its path,
    and its scope from the keywords and the first template matching it.
    """

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from copilot_metrics.batch import process_batch
        from copilot_metrics.sources import SourceRef

        out_schema = pa.schema([("chunk", pa.binary())])
        refs: list[SourceRef] = []
        size = 0

        def flush() -> Any:
            chunk = process_batch(refs)
            # the bytes were read: do not send them back
            chunk.outcomes = [(dataclasses.replace(ref, data=None), outcome) for ref, outcome in chunk.outcomes]
            return pa.RecordBatch.from_arrays([pa.array([pickle.dumps(chunk)], pa.binary())], schema=out_schema)

        for batch in batches:
            rows = batch.to_pydict()
            for i, path in enumerate(rows["path"]):
                local, length = rows["local"][i], rows["length"][i]
                if local is not None:
                    ref = SourceRef(
                        label=path,
                        path=Path(os.fsdecode(local)),
                        mtime=rows["mtime"][i],
                        scope={k: rows[k][i] for k in SCOPE},
                    )
                else:
                    label = _label(path)
                    labels = dict(scope)
                    for regex in regexes:
                        match = regex.match(label)
                        if match:
                            labels |= match.groupdict()
                            break
                    mtime = rows["mtime_ms"][i]
                    ref = SourceRef(
                        label=label,
                        data=rows["content"][i],
                        scope=labels,
                        mtime=None if mtime is None else mtime / 1000,
                    )
                if refs and size + length > chunk_bytes:
                    yield flush()
                    refs, size = [], 0
                refs.append(ref)
                size += length
        if refs:
            yield flush()

    return run


#: The executor step's input: one row per file, listed by the driver (``local``) or by Spark (``content``).
_INPUT = (
    "path string, local binary, mtime_ms bigint, mtime double, length bigint, content binary, "
    "enterprise string, org string, team string"
)


def _local_files(spark: Any, refs: Sequence[Any]) -> Any:
    """The files the driver listed, as rows of :data:`_INPUT` (read on the executors from their paths)."""
    import pyarrow as pa

    from copilot_metrics.batch import input_size

    n = len(refs)
    table = pa.table(
        {
            "path": pa.array([r.label for r in refs], pa.string()),
            "local": pa.array([os.fsencode(os.path.abspath(r.path)) for r in refs], pa.binary()),  # noqa: PTH100
            "mtime_ms": pa.nulls(n, pa.int64()),
            "mtime": pa.array([r.mtime for r in refs], pa.float64()),
            "length": pa.array([input_size(r) for r in refs], pa.int64()),
            "content": pa.nulls(n, pa.binary()),
            **{k: pa.array([r.scope.get(k) for r in refs], pa.string()) for k in SCOPE},
        }
    )
    return spark.createDataFrame(table, schema=_INPUT)


def _parquet_dataset(folder: str) -> CopilotMetricsError:
    """A Parquet dataset is read by ``cm.read_parquet``, not loaded as exports."""
    return CopilotMetricsError(
        f"{folder}: a Parquet dataset written by cm.write_parquet, not exports",
        file=folder,
        hint="read it with cm.read_parquet, or merge new files into it with write_parquet(..., mode='merge')",
    )


def _fetched_at(spark: Any, times: list[tuple[str, Any]], refs: Sequence[Any], files: Any) -> dict[str, Any]:
    """``fetched_at`` keyed by ``source`` labels, its keys matched as ``cm.load`` matches them.

    A key naming a local file is matched by ``cm.load``'s rule (its label, or the same path once
    both are absolute); a ``file:`` URI is its local path; a key Hadoop reads is qualified as
    Spark lists paths (``hdfs:///x`` names ``hdfs://namenode:8020/x``).  A key naming no input
    raises the error ``cm.load`` raises.
    """
    from pyspark.sql import functions as sf

    from copilot_metrics.pipeline import match_fetched_at

    found: dict[str, str] = {}
    if files is not None:
        wanted = {key: _qualified(spark, key) for key, _ in times if _local_path(spark, key) is None}
        if wanted:
            listed = {
                row[0]
                for row in files.filter(sf.col("path").isin(sorted(set(wanted.values())))).select("path").collect()
            }
            found = {key: _label(q) for key, q in wanted.items() if q in listed}
    keyed = [(found.get(key) or (_label(key) if key.startswith("file:") else key), stamp) for key, stamp in times]
    return match_fetched_at(keyed, list(refs), sorted(set(found.values())))


def _to_spark(spark: Any, name: str, frame: pl.DataFrame) -> Any:
    """``frame`` as a Spark DataFrame: its declared columns in order and type, then any column a load adds.

    A load that read reports adds columns to ``sources`` (``family``...) and ``quarantine``
    (``record_json``) beyond their declared schemas: they follow, in the frame's own dtypes.
    """
    from copilot_metrics.export._arrow import arrow_schema

    declared = _declared(name)
    missing = [c for c in declared.names() if c not in frame.columns]
    if missing:
        raise CopilotMetricsError(
            f"table {name!r} lacks column(s) {missing} of its declared schema",
            table=name,
            column=missing[0],
            hint="use a dataset returned by copilot_metrics.load",
        )
    schema = pl.Schema({**declared, **{c: t for c, t in frame.schema.items() if c not in declared}})
    frame = frame.select(schema.names()).cast(schema)
    if not frame.height:  # Spark cannot build a frame from an Arrow table without chunks
        return spark.createDataFrame([], schema=_struct(schema))
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(arrow_schema(schema))
    return spark.createDataFrame(table, schema=_struct(schema))


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
    reports: Reports = "load",
    scope_level: ScopeLevel | None = None,
    on_drift: OnDrift = "keep",
) -> SparkLoad:
    """Load saved Copilot metrics exports with Spark: the tables of :func:`copilot_metrics.load`.

    Parameters
    ----------
    spark:
        A ``pyspark.sql.SparkSession``.
    paths:
        Files, folders (read recursively), globs or path templates (``exports/{org}/*.json``):
        local paths (or ``file:`` URIs), listed as ``cm.load`` lists them, or paths of another
        file system (``s3a:``, ``hdfs:``...), listed by Spark (module docstring: what differs).
        A path that names nothing (missing, matching no file, an empty folder) raises the
        :class:`~copilot_metrics.errors.CopilotMetricsError` ``cm.load`` raises, naming it.
    enterprise, org, team:
        Scope labels for every file (a path template overrides them per file; a label the layout
        of a folder the library wrote gives a file cannot be changed).
    fetched_at, precedence, on_invalid, contracts:
        As for :func:`copilot_metrics.load`: a ``fetched_at`` key is a path however written
        (relative, ``./``, absolute, a ``file:`` URI, or a URI Hadoop qualifies as it lists it)
        or a ``source`` label, and one naming no input is an error;
        ``on_invalid`` defaults to ``"quarantine"``.
    partitions:
        Spark partitions the files are spread over (default: the archive's size over 64 MiB,
        at least the default parallelism).
    reports, scope_level, on_drift:
        As for :func:`copilot_metrics.load`: successor usage-metrics report files are read on
        the executors (every record kept or set aside, the options applied on the driver),
        merged with the legacy days' precedence, and returned as their tables;
        ``reports="refuse"`` refuses them as before; ``scope_level`` sets every report's level;
        ``on_drift`` keeps, warns about or raises for keys the registry does not know.  A
        wrong value raises ``ValueError`` before Spark reads anything.

    Returns
    -------
    SparkLoad
        Every table (the ten legacy ones and every successor table), ``sources``,
        ``quarantine``, ``findings``, ``conflicts``, ``reports``, ``schema_drift`` and
        ``user_logins`` as Spark DataFrames with the declared types, equal row for row to those
        of ``cm.load`` on the same files, and the Polars dataset on the driver.

    Raises
    ------
    CopilotMetricsError
        What ``cm.load`` raises (with ``on_invalid="raise"``, for content too; ``ScopeError``
        for unlabelled folders holding two scopes; ``SchemaDriftError`` with
        ``on_drift="raise"``), and, on a Hadoop file system, for a file
        name holding ``:`` or a folder the library wrote.
    TypeError, ValueError
        An argument of the wrong type or value, as ``cm.load`` refuses it.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    from copilot_metrics.batch import BATCH_BYTES, input_size, source_row
    from copilot_metrics.pipeline import assemble, check_report_options, check_scope, export_times
    from copilot_metrics.sources import resolve

    if not isinstance(on_invalid, str) or on_invalid not in ("raise", "quarantine"):
        raise CopilotMetricsError(f"on_invalid must be 'raise' or 'quarantine', not {on_invalid!r}")
    scope = check_scope(enterprise, org, team)
    if precedence is not None and not callable(precedence):
        raise TypeError(f"precedence must be a function of a ds.sources row, not {type(precedence).__name__}")
    check_report_options(reports, scope_level, on_drift)
    options: dict[str, Any] = {"reports": reports, "scope_level": scope_level, "on_drift": on_drift}
    times = export_times(fetched_at)
    clock = [time.perf_counter()]
    seconds: dict[str, float] = {}

    def lap(phase: str) -> None:
        clock.append(time.perf_counter())
        seconds[phase] = clock[-1] - clock[-2]

    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    for item in given:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"paths must be paths (str or Path), not {type(item).__name__}: spark.load reads "
                "files, cm.load reads bytes and file objects"
            )
    if not given:
        raise CopilotMetricsError("no path given to copilot_metrics.spark.load")
    local: list[str] = []
    remote: list[str] = []
    for item in map(os.fspath, given):
        where = _local_path(spark, item)
        (remote if where is None else local).append(item if where is None else where)
    from copilot_metrics.export.parquet import MANIFEST

    for folder in local:
        if os.path.isfile(os.path.join(folder, MANIFEST)):  # noqa: PTH113, PTH118
            raise _parquet_dataset(folder)
    refs = resolve(local, scope) if local else []  # listed as cm.load lists them: same labels, same errors
    readable = [ref for ref in refs if not ref.skipped]
    parts = [_local_files(spark, readable)] if readable else []
    files = None
    total = sum(input_size(ref) for ref in readable)
    templates = _templates(spark, remote)
    if remote:
        for text in remote:
            _check_hadoop(spark, text)
        files = (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load([spark_path for spark_path, _ in templates])
        )
        try:
            total += files.agg(sf.sum("length")).first()[0] or 0
        except Py4JJavaError as exc:
            raise _colon_failure(exc) or exc from None
        parts.append(
            files.select(
                "path",
                sf.lit(None).cast("binary").alias("local"),
                (sf.col("modificationTime").cast("double") * 1000).cast("long").alias("mtime_ms"),
                sf.lit(None).cast("double").alias("mtime"),
                "length",
                "content",
                *(sf.lit(None).cast("string").alias(k) for k in SCOPE),
            )
        )
    if times:
        fetched_at = _fetched_at(spark, times, refs, files)
    skipped = [source_row(ref, "skipped", ref.skipped) for ref in refs if ref.skipped]
    lap("listing")
    if not parts:  # every file listed is skipped: nothing for the executors
        ds = assemble(
            [],
            on_invalid=on_invalid,
            fetched_at=fetched_at,
            precedence=precedence,
            contracts=contracts,
            skipped=skipped,
            **options,
        )
        lap("executors")
        lap("driver")
    else:
        inputs = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
        n = partitions or max(spark.sparkContext.defaultParallelism, math.ceil(total / BATCH_BYTES))
        regexes = [regex for _, regex in templates if regex is not None]
        chunks = (
            inputs.repartitionByRange(n, "path")
            .sortWithinPartitions("path")
            .mapInArrow(_batches(scope, regexes, BATCH_BYTES), "chunk binary")
        )
        # computed by every executor at once, kept there, then streamed to the driver a partition at a time
        # (toLocalIterator alone would run the partitions one after the other)
        chunks = chunks.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            try:
                chunks.count()
            except Py4JJavaError as exc:
                raise _colon_failure(exc) or exc from None
            lap("executors")
            stream = (pickle.loads(row["chunk"]) for row in chunks.toLocalIterator(prefetchPartitions=True))
            ds = assemble(
                stream,
                on_invalid=on_invalid,
                fetched_at=fetched_at,
                precedence=precedence,
                contracts=contracts,
                skipped=skipped,
                **options,
            )
            lap("driver")
        finally:
            chunks.unpersist()
    frames = {name: _to_spark(spark, name, frame) for name, frame in ds.tables.items()}
    side = {name: _to_spark(spark, name, getattr(ds, name)) for name in (*SIDE_TABLES, *SUCCESSOR_SIDE_TABLES)}
    lap("spark_frames")
    return SparkLoad(
        frames,
        side["sources"],
        side["quarantine"],
        side["findings"],
        side["conflicts"],
        side["reports"],
        side["schema_drift"],
        side["user_logins"],
        ds,
        seconds,
    )
