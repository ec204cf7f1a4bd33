"""Export: a :class:`~copilot_metrics.dataset.Dataset` as a Parquet dataset any engine reads, and back.

Layout of ``root`` (written by :func:`write_parquet`, layout format 4)::

    root/
      _copilot_metrics.json                  manifest: format, version, schema hash, row counts, validation counts,
                                             meta, and every file written with its rows and SHA-256
      _validation/errors.parquet             ds.validation.errors
      _validation/unknown_fields.parquet     ds.validation.unknown_fields
      days/part-00000.parquet                every column of the table, scope and date included
      days/part-00001.parquet, ...           more files only past 1,048,576 rows (rows in written order)
      completions/..., ...                   the ten tables of copilot_metrics.tables.TABLES, same layout
      sources/part-00000.parquet             the five bookkeeping tables, same layout
      findings/part-00000.parquet
      conflicts/part-00000.parquet
      quarantine/part-00000.parquet
      versions/part-00000.parquet            every copy of a day a file held, and the JSON of each version
                                             that did not win: what write_parquet(mode="merge") and
                                             load(base=) need to merge as one load of every file would

Nothing is partitioned: the scope columns ``enterprise``, ``org``, ``team`` and ``date`` are
stored in the files like every other column, with their declared types (``string``, ``date32``),
and a null scope is a Parquet null.  So every engine, with its default options, reads the same
rows and the same columns from a table folder (no partition column is added, nothing is
inferred from a path): ``pandas.read_parquet(root / "days")``,
``pyarrow.dataset.dataset(root / "days", partitioning="hive")``, DuckDB
``read_parquet('root/days/**/*.parquet', hive_partitioning = true)``, ``polars.scan_parquet(root / "days")``
and ``spark.read.parquet("root/days")``.  No label ever names a file or folder, so no label can
leave ``root`` or collide with another, whatever its characters, case or length.  Rows are
written in the dataset's order (a dataset from :func:`copilot_metrics.load` is sorted by scope
and date, nulls first), in row groups of 131,072 rows whose statistics let engines skip the row
groups a filter on the scope or the date excludes.

Writing is safe against hostile names and against other writers (see :func:`write_parquet`):
nothing is written outside ``root`` and its hidden staging siblings, a folder holding files the
library did not write is never replaced, a killed writer leaves the previous dataset in place,
and writers to the same parent folder take turns (an exclusive ``flock`` on that folder).
:func:`copilot_metrics.export.csv.write_csv` and :func:`copilot_metrics.export.json.write_json`
run the same transaction (:func:`copilot_metrics.export._atomic.replace`).  A file system error
(no space, no permission, a name too long) is raised as a
:class:`~copilot_metrics.errors.CopilotMetricsError` naming the path, the previous export left
as it was.

Reading trusts nothing the manifest does not vouch for (see :func:`read_parquet`): a file
missing, added, changed or of another table, a column missing or of another dtype, a manifest
that is not the manifest's JSON, each raises a :class:`~copilot_metrics.errors.CopilotMetricsError`
naming the table and the files, in :func:`read_parquet`, :func:`scan_parquet`,
``load(base=...)`` and ``write_parquet(..., mode="merge")`` alike; :func:`read_parquet` then
runs the tables' contracts.

Every file is zstd-compressed, written by pyarrow with an explicit Arrow schema derived from the
declared Polars schemas (String -> ``string``, Int64 -> ``int64``, Date -> ``date32``, Boolean ->
``bool``, List[String] -> ``list<string>``), and its footer key-value metadata holds
``copilot_metrics.version``, ``copilot_metrics.schema_hash``, ``copilot_metrics.table``,
``copilot_metrics.grain``, ``copilot_metrics.key`` (JSON list) and
``copilot_metrics.partitioning`` (``[]``).

Format 3 is format 4 without ``versions/``: :func:`read_parquet` gives it an empty ``versions``
table, and a merge into it is exact for what it adds, best effort for what it held (see
:func:`copilot_metrics.merge.merge_into`).  Earlier layouts (formats 1 and 2, copilot-metrics
0.1.0, without ``versions/`` too): the ten data tables were
hive-partitioned by ``enterprise``, ``org``, ``team`` and ``month``, the scope living only in
percent-encoded folder names (``__HIVE_DEFAULT_PARTITION__`` for null, long labels named by a
digest listed in the manifest).  :func:`read_parquet`, :func:`scan_parquet` and
``load(base=...)`` still read them exactly; ``write_parquet(read_parquet(old), new)`` (or any
write, ``mode="merge"`` included, into the old folder) rewrites one in this layout.

Row order: :func:`read_parquet` gives every table back in written order.  (A dataset of format
1 or 2 comes back by partition, ordered by (enterprise, org, team, month), nulls first.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import orjson
import polars as pl

from copilot_metrics import _schema
from copilot_metrics import merge as archive
from copilot_metrics.dataset import SUCCESSOR_SIDE_TABLES, Dataset
from copilot_metrics.errors import ContractError, CopilotMetricsError, brief
from copilot_metrics.export import _legacy
from copilot_metrics.export._arrow import arrow_schema
from copilot_metrics.export._atomic import Moves, leftovers, naming, replace
from copilot_metrics.export._atomic import foreign as _foreign_in
from copilot_metrics.export._files import (
    DAMAGED,
    MANIFEST,
    all_tables,
    conformed,
    disagrees,
    doc_and_key,
    footer_rows,
    schema_of,
    stored,
    stored_schema,
    upgraded,
)
from copilot_metrics.export._labels import NULL_PARTITION
from copilot_metrics.export._legacy import PARTITION_COLUMNS, arrow_partitioning
from copilot_metrics.export.csv import write_csv
from copilot_metrics.quarantine import enforce
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.successor.registry import Privacy
from copilot_metrics.tables import ERROR_SCHEMA, SIDE_TABLES, TABLES, UNKNOWN_SCHEMA
from copilot_metrics.validation import ValidationReport

__all__ = [
    "MANIFEST",
    "NULL_PARTITION",
    "PARTITION_COLUMNS",
    "SIDE_TABLES",
    "ScannedTables",
    "arrow_partitioning",
    "read_parquet",
    "scan_parquet",
    "write_csv",
    "write_parquet",
]

_VALIDATION_DIR = "_validation"
_VALIDATION_FILES = (("errors.parquet", ERROR_SCHEMA), ("unknown_fields.parquet", UNKNOWN_SCHEMA))
_FORMAT = 7  # 7: versions.copy_path; 6: the successor tables, reports, schema_drift, user_logins,
#                report_versions, sources' family columns, quarantine.record_json; 5: sources.state and .reason;
#                4: and the versions side table;
#                3: unpartitioned, scope in the files; 2: hive, byte-wise percent-encoding, digests; 1: hive, quote()
_ROWS_PER_FILE = 1 << 20
_ROW_GROUP = 1 << 17
#: What a written data file is called (``part-00000.parquet``, ...).
_PART_RE = re.compile(r"part-[0-9]{5}\.parquet\Z")


# ---------------------------------------------------------------- writing


def _metadata(name: str, privacy: Privacy | None = None) -> dict[str, str]:
    from copilot_metrics._version import __version__

    doc, key = doc_and_key(name, privacy)
    return {
        "copilot_metrics.version": __version__,
        "copilot_metrics.schema_hash": _schema.schema_hash(),
        "copilot_metrics.table": name,
        "copilot_metrics.grain": doc,
        "copilot_metrics.key": orjson.dumps(list(key)).decode(),
        "copilot_metrics.partitioning": "[]",
    }


#: Writes one Parquet file: ``(frame, path, arrow_schema)``.
FileWriter = Callable[[pl.DataFrame, Path, Any], None]


def write_file(frame: pl.DataFrame, path: Path, schema: Any) -> None:
    """Write one Parquet file with the Arrow schema ``schema``, zstd-compressed, in row groups of 131,072 rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = (
        pa.Table.from_batches(
            frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(schema).to_batches(), schema=schema
        )
        if frame.height
        else schema.empty_table()
    )
    pq.write_table(table, path, compression="zstd", row_group_size=_ROW_GROUP)


def _sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, Path)):
        return str(value)
    raise TypeError


def _frame(ds: Dataset, name: str) -> pl.DataFrame:
    """Table or side table ``name`` of ``ds`` (a data table ``ds`` lacks: empty)."""
    if name in TABLES or name in REPORT_TABLES:
        frame = ds.tables.get(name)
        return frame if frame is not None else pl.DataFrame(schema=schema_of(name, ds.privacy))
    side: pl.DataFrame = getattr(ds, name)
    return side


def _manifest_of(ds: Dataset, target: Path, rows: dict[str, int]) -> dict[str, Any]:
    """The manifest of the dataset written at ``target``, whose files (relative paths) hold ``rows``."""
    from copilot_metrics._version import __version__

    report = ds.validation
    return {
        "format": _FORMAT,
        "library": "copilot-metrics",
        "version": __version__,
        "schema_hash": _schema.schema_hash(),
        "partitioning": {
            "columns": [],
            "files": "<table>/part-NNNNN.parquet, every column in the files",
            "rows_per_file": _ROWS_PER_FILE,
        },
        "rows": {name: _frame(ds, name).height for name in all_tables()},
        # every file written, with its rows and the SHA-256 of its bytes: read_parquet checks them
        "files": {path: {"rows": count, "sha256": _sha256(target / path)} for path, count in rows.items()},
        "validation": {"days_checked": report.days_checked, "days_valid": report.days_valid},
        "meta": dict(ds.meta),
    }


@dataclass(frozen=True)
class ParquetWriter:
    """What :func:`write_parquet` runs, with the steps that touch the file system given as arguments.

    ``write_file`` writes each Parquet file of the dataset (default :func:`write_file`);
    ``moves`` moves the new dataset into place (default :class:`~copilot_metrics.export._atomic.Moves`).
    :func:`write_parquet` is ``ParquetWriter().write``; a test passes a ``write_file`` or
    ``moves`` that fails or stops midway, to check what a failure or a killed process leaves.
    """

    write_file: FileWriter = write_file
    moves: Moves = Moves()  # noqa: RUF009 - frozen

    def write(
        self,
        ds: Dataset,
        root: str | os.PathLike[str],
        *,
        mode: Literal["overwrite", "merge"] = "overwrite",
        lock_timeout: float = 600.0,
    ) -> Path:
        """:func:`write_parquet`."""
        if mode not in ("overwrite", "merge"):
            raise CopilotMetricsError(f"mode must be 'overwrite' or 'merge', not {mode!r}")

        def write(staging: Path, previous: Path | None) -> None:
            data = ds
            if mode == "merge" and previous is not None and (previous / MANIFEST).is_file():
                data = archive.merge_into(read_parquet(previous), ds)
            self.stage(data, staging)

        return replace(
            root, write, what="Parquet dataset", ours=ours, marker=MANIFEST, lock_timeout=lock_timeout, moves=self.moves
        )

    def stage(self, ds: Dataset, target: Path) -> None:
        """Write every file of ``ds`` at ``target`` (a new folder): the tables, ``_validation/``, the manifest last."""
        rows: dict[str, int] = {}
        for name in all_tables():
            written = self._table(name, _frame(ds, name), target / name, ds.privacy)
            rows |= {f"{name}/{file}": count for file, count in written.items()}
        rows |= self._validation(ds.validation, target / _VALIDATION_DIR)
        manifest = _manifest_of(ds, target, rows)
        with naming(target / MANIFEST):
            (target / MANIFEST).write_bytes(
                orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=_json_default)
            )

    def _table(self, name: str, frame: pl.DataFrame, folder: Path, privacy: Privacy | None = None) -> dict[str, int]:
        """Write one table as ``part-00000.parquet``, ... (at most 1,048,576 rows each; one empty file if none).

        A successor table of a pseudonymized dataset is written in its form ``privacy``.  Returns
        each file's name and row count, in order.
        """
        frame = conformed(name, frame, privacy)
        schema = arrow_schema(schema_of(name, privacy), _metadata(name, privacy))
        starts = range(0, frame.height, _ROWS_PER_FILE) if frame.height else range(1)
        written: dict[str, int] = {}
        for number, start in enumerate(starts):
            part, file = frame.slice(start, _ROWS_PER_FILE), f"part-{number:05d}.parquet"
            with naming(folder / file):
                self.write_file(part, folder / file, schema)
            written[file] = part.height
        return written

    def _validation(self, report: ValidationReport, folder: Path) -> dict[str, int]:
        """Write ``_validation/errors.parquet`` and ``unknown_fields.parquet``; their rows by path."""
        written: dict[str, int] = {}
        for (file, schema), frame in zip(_VALIDATION_FILES, (report.errors, report.unknown_fields), strict=True):
            with naming(folder / file):
                self.write_file(frame.select(schema.names()).cast(schema), folder / file, arrow_schema(schema))
            written[f"{_VALIDATION_DIR}/{file}"] = frame.height
        return written


def ours(parts: tuple[str, ...], is_file: bool) -> bool:
    """Whether a path inside a dataset (``parts`` relative to its root) is one :func:`write_parquet` writes.

    Paths of the layouts of formats 1 and 2 are, too, so that a write replaces an old dataset.
    """
    head, depth = parts[0], len(parts)
    if depth == 1:
        return (head == MANIFEST) if is_file else head in (_VALIDATION_DIR, *all_tables())
    if head == _VALIDATION_DIR:
        return depth == 2 and is_file and parts[1] in dict(_VALIDATION_FILES)
    if head in all_tables() and depth == 2 and is_file and _PART_RE.match(parts[1]):
        return True  # format 3
    return _legacy.ours(parts, is_file)


def foreign(root: Path) -> list[str]:
    """Paths inside the dataset at ``root`` that :func:`write_parquet` did not write (symbolic links included)."""
    return _foreign_in(root, ours)


def write_parquet(
    ds: Dataset,
    root: str | os.PathLike[str],
    *,
    mode: Literal["overwrite", "merge"] = "overwrite",
    lock_timeout: float = 600.0,
) -> Path:
    """Write a dataset as a Parquet dataset (one folder of files per table), atomically.

    Parameters
    ----------
    ds:
        The dataset (from :func:`copilot_metrics.load` or :func:`read_parquet`).  A
        pseudonymized one (:func:`copilot_metrics.pseudonymize`) is written in its form
        (``user_pid``, no login); the manifest's ``meta`` holds its ``key_fingerprint``, never
        the key, so that :func:`read_parquet` gives it back as it was.
    root:
        The dataset folder (layout in :mod:`copilot_metrics.export.parquet`).  An existing folder is
        replaced only if it is empty, or a copilot-metrics dataset (holds ``_copilot_metrics.json``)
        holding only files this function writes; otherwise nothing is written and a
        :class:`~copilot_metrics.errors.CopilotMetricsError` names the files in the way.
    mode:
        ``"overwrite"`` (default): the folder then holds ``ds`` alone.  ``"merge"``: ``ds`` is
        merged into the dataset already in ``root`` (if any) by
        :func:`copilot_metrics.merge.merge_into`, the merge of ``load(..., base=)``: the result
        is the dataset one :func:`copilot_metrics.load` of the files of both gives, every table
        and side table, counts and row order included (best effort for a dataset written in a
        layout before format 4; a ``precedence=`` function given to the loads is not replayed:
        files rank by their stored ``export_time``).  Unlabelled files of two folders that
        cannot be one scope raise :class:`~copilot_metrics.errors.ScopeError`, as that load
        would.  The existing dataset is read into memory to merge, with every check of
        :func:`read_parquet` (a damaged one raises and is left as it is).
    lock_timeout:
        Seconds to wait for another process writing into the same parent folder before raising
        :class:`~copilot_metrics.errors.CopilotMetricsError` (``math.inf``: wait as long as it
        takes).  Not a number >= 0 (NaN included): :class:`ValueError` (:class:`TypeError` for a
        non-number).

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    CopilotMetricsError
        The folder holds something else (see ``root``), another writer holds the lock past
        ``lock_timeout``, or the file system refused a write (no space, no permission, a name too
        long, a path through a file): the message names ``root`` and the path that failed, and
        the previous dataset is left as it was.
    PrivacyError
        ``mode="merge"`` would mix data pseudonymized under different keys, or pseudonymized
        data with identified data (``meta["key_fingerprint"]`` of each side; a side without user
        rows takes the other's form).

    Notes
    -----
    Writers take turns: the whole call (reading the old dataset to merge included) holds an
    exclusive ``flock`` on the parent folder of ``root``, so two processes merging into the same
    dataset both land, one after the other (the lock is released by the kernel if a writer dies;
    not available on Windows).  The dataset is written into a hidden sibling folder
    ``.{name}.tmp-<token>`` (named after a digest of the name when the name is too long to
    extend); only when every file is written is it swapped in for the old one in one atomic step
    (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, see
    :func:`copilot_metrics.export._atomic.swap`), and the
    old one is deleted.  A failure or a killed process at any point leaves ``root`` readable,
    holding either the old or the new dataset; the next write removes what a killed writer left
    behind.  Durability on power loss is not promised (files are not fsynced).  The manifest
    records every file with its row count and SHA-256, which :func:`read_parquet` checks.

    Examples
    --------
    >>> import tempfile, copilot_metrics as cm
    >>> from copilot_metrics.export.parquet import read_parquet, write_parquet
    >>> ds = cm.load(cm.examples.sources())
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_parquet(write_parquet(ds, tmp + "/metrics"))
    >>> back.days.equals(ds.days)
    True
    """
    return ParquetWriter().write(ds, root, mode=mode, lock_timeout=lock_timeout)


# ---------------------------------------------------------------- reading the manifest


def _dataset_root(root: Path) -> Path:
    """``root``, or the previous dataset a writer killed between its two renames set aside (see ``_atomic.swap``)."""
    if (root / MANIFEST).is_file():
        return root
    if not root.exists() and root.parent.is_dir():
        kept = [p for p in leftovers(root, "old") if (p / MANIFEST).is_file()]
        if kept:
            return kept[-1]
    raise CopilotMetricsError(
        f"{root}: not a copilot-metrics Parquet dataset (no {MANIFEST})",
        file=str(root),
        hint="write one with copilot_metrics.write_parquet",
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: The paths a manifest of format 3 may list under ``files``.
_LISTED_RE = re.compile(
    rf"(?:(?:{'|'.join(re.escape(name) for name in all_tables())})/part-[0-9]{{5}}\.parquet"
    rf"|{_VALIDATION_DIR}/(?:errors|unknown_fields)\.parquet)\Z"
)
_SHA256_RE = re.compile(r"[0-9a-f]{64}\Z")


def _bad_manifest(path: Path, json_path: str, expected: str, value: Any) -> CopilotMetricsError:
    return CopilotMetricsError(
        f"{path}: {json_path}: expected {expected}, found {brief(value)}",
        file=str(path),
        json_path=json_path,
        hint=DAMAGED,
    )


def _manifest_json(path: Path) -> dict[str, Any]:
    """The manifest's JSON: an object."""
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise CopilotMetricsError(
            f"{path}: the dataset's manifest is not JSON ({exc})",
            file=str(path),
            json_path="$",
            hint=DAMAGED,
        ) from exc
    except OSError as exc:
        raise CopilotMetricsError(
            f"{path}: cannot read the dataset's manifest ({exc.strerror or exc})",
            file=str(path),
        ) from exc
    if not isinstance(manifest, dict):
        raise _bad_manifest(path, "$", "an object", manifest)
    return manifest


def _check_format(root: Path, path: Path, manifest: dict[str, Any]) -> int:
    """The manifest's layout format: a number this version reads."""
    fmt = manifest.get("format", 1)
    if not _is_count(fmt) or fmt < 1:
        raise _bad_manifest(path, "$.format", "a layout format number", fmt)
    if fmt > _FORMAT:
        raise CopilotMetricsError(
            f"{root}: written in layout format {manifest['format']} by copilot-metrics {manifest.get('version')}; "
            f"this version reads formats up to {_FORMAT}",
            file=str(root),
            hint="upgrade copilot-metrics",
        )
    return int(fmt)


def _check_rows(path: Path, manifest: dict[str, Any], fmt: int) -> None:
    """``$.rows``: a row count for each table (each stored table, from format 3)."""
    rows = manifest.get("rows", {})
    if not isinstance(rows, dict):
        raise _bad_manifest(path, "$.rows", "an object of row counts", rows)
    for name in all_tables():
        if name in rows and not _is_count(rows[name]):
            raise _bad_manifest(path, f"$.rows.{name}", "a row count", rows[name])
        if fmt >= 3 and name in stored(fmt) and name not in rows:
            raise CopilotMetricsError(
                f"{path}: $.rows: no row count for table {name!r}",
                file=str(path),
                json_path="$.rows",
                table=name,
                hint=DAMAGED,
            )


def _check_files(path: Path, manifest: dict[str, Any]) -> None:
    """``$.files`` (when there): each file of the layout with its rows and SHA-256."""
    files = manifest.get("files")
    if files is None:
        return
    if not isinstance(files, dict):
        raise _bad_manifest(path, "$.files", "an object of the files written", files)
    for listed, entry in files.items():
        at = f"$.files[{orjson.dumps(listed).decode()}]"
        if not _LISTED_RE.match(listed):
            raise _bad_manifest(path, at, "a file of the dataset's layout", listed)
        if not (
            isinstance(entry, dict)
            and _is_count(entry.get("rows"))
            and isinstance(entry.get("sha256"), str)
            and _SHA256_RE.match(entry["sha256"])
        ):
            raise _bad_manifest(path, at, "an object with the file's rows and sha256", entry)


def _check_rest(path: Path, manifest: dict[str, Any], fmt: int) -> None:
    """``$.validation``, ``$.meta`` and (formats 1 and 2) ``$.partitioning.digests``."""
    validation = manifest.get("validation", {})
    if not isinstance(validation, dict) or not all(
        _is_count(validation.get(k, 0)) for k in ("days_checked", "days_valid")
    ):
        raise _bad_manifest(path, "$.validation", "an object of day counts", validation)
    meta = manifest.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise _bad_manifest(path, "$.meta", "an object", meta)
    fingerprint = (meta or {}).get("key_fingerprint")
    if fingerprint is not None and not (isinstance(fingerprint, str) and re.fullmatch(r"[0-9a-f]{8}", fingerprint)):
        raise _bad_manifest(path, "$.meta.key_fingerprint", "a key fingerprint (8 hex digits)", fingerprint)
    if fmt < 3:
        partitioning = manifest.get("partitioning", {})
        digests = partitioning.get("digests", {}) if isinstance(partitioning, dict) else None
        if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
            raise _bad_manifest(path, "$.partitioning.digests", "an object of folder values and labels", digests)


def _privacy(manifest: dict[str, Any]) -> Privacy | None:
    """The pseudonymized form of a dataset's successor tables, as its manifest's ``meta`` says (``None``: none)."""
    return Privacy.of(manifest.get("meta") or {})


def _manifest(root: Path) -> dict[str, Any]:
    """The dataset's manifest, its shape checked (what reading relies on)."""
    path = root / MANIFEST
    manifest = _manifest_json(path)
    fmt = _check_format(root, path, manifest)
    _check_rows(path, manifest, fmt)
    _check_files(path, manifest)
    _check_rest(path, manifest, fmt)
    return manifest


# ---------------------------------------------------------------- the files against the manifest


def _parquet_files(base: Path, table: str) -> list[str]:
    """The Parquet files an engine reads in a table's folder (none hidden), relative to ``base``, sorted."""
    folder = base / table
    if not folder.is_dir():
        return []
    return sorted(
        p.relative_to(base).as_posix()
        for p in folder.rglob("*.parquet")
        if p.is_file() and not any(s.startswith(("_", ".")) for s in p.relative_to(folder).parts)
    )


def _expected_files(base: Path, name: str, listed: dict[str, Any] | None) -> list[str]:
    """A table's files, relative to ``base``: those the manifest lists, exactly the Parquet files in its folder."""
    present = _parquet_files(base, name)
    if listed is not None:
        expected = sorted(k for k in listed if k.startswith(f"{name}/"))
    else:
        expected = [k for k in present if _PART_RE.match(k.removeprefix(f"{name}/"))]
    missing = [k for k in expected if k not in present]
    if missing:
        raise disagrees(base, name, missing, f"{len(missing)} file(s) listed in {MANIFEST} are missing")
    stray = [k for k in present if k not in expected]
    if stray:
        raise disagrees(
            base,
            name,
            stray,
            f"{len(stray)} Parquet file(s) that {MANIFEST} does not list, whose rows other engines would read",
        )
    return expected


def _verified(base: Path, manifest: dict[str, Any]) -> dict[str, list[Path]]:
    """Each table's files of a dataset of format 3 or later, in order, once they agree with its manifest.

    Every file the manifest lists is there, with its rows and its SHA-256; no other Parquet file
    is in a table's folder (other engines would read its rows); each file's columns and dtypes
    are its table's; each table holds the rows the manifest counts.  A dataset written before
    the manifest listed its files is checked on its part files' rows and columns.
    """
    listed: dict[str, Any] | None = manifest.get("files")
    counts: dict[str, int] = manifest["rows"]
    out: dict[str, list[Path]] = {}
    privacy = _privacy(manifest)
    for name in stored(manifest["format"]):
        expected = _expected_files(base, name, listed)
        total = 0
        for rel in expected:
            rows = footer_rows(base / rel, name, stored_schema(name, manifest["format"], privacy), exact=True)
            if listed is not None:
                _check_listed(base, name, rel, rows, listed[rel])
            total += rows
        if total != counts[name]:
            raise disagrees(base, name, expected, f"its files hold {total} rows, {MANIFEST} counts {counts[name]}")
        out[name] = [base / rel for rel in expected]
    return out


def _check_listed(base: Path, table: str, rel: str, rows: int, entry: dict[str, Any]) -> None:
    """One file against its entry in the manifest: its rows, then the SHA-256 of its bytes."""
    if rows != entry["rows"]:
        raise disagrees(base, table, [rel], f"a file holds {rows} rows, {MANIFEST} lists it with {entry['rows']}")
    if _sha256(base / rel) != entry["sha256"]:
        raise disagrees(
            base,
            table,
            [rel],
            f"a file's bytes are not those written (its SHA-256 differs from "
            f"the one in {MANIFEST}): it was changed or replaced",
        )


def _verified_validation(base: Path, manifest: dict[str, Any]) -> None:
    """The two files of ``_validation/``, checked like a table's (they may be absent from formats 1 and 2)."""
    listed: dict[str, Any] | None = manifest.get("files")
    exact = manifest.get("format", 1) >= 3
    for file, schema in _VALIDATION_FILES:
        rel = f"{_VALIDATION_DIR}/{file}"
        if not (base / rel).is_file():
            if listed is not None and rel in listed:
                raise disagrees(base, _VALIDATION_DIR, [rel], f"1 file listed in {MANIFEST} is missing")
            continue
        rows = footer_rows(base / rel, _VALIDATION_DIR, schema, exact=exact)
        if listed is not None and rel in listed:
            _check_listed(base, _VALIDATION_DIR, rel, rows, listed[rel])


# ---------------------------------------------------------------- reading


def _scan_table(name: str, paths: list[Path], fmt: int, privacy: Privacy | None = None) -> pl.LazyFrame:
    """One table of a format-3 dataset: its ``part-NNNNN.parquet`` files in order."""
    schema = schema_of(name, privacy)
    if not paths:
        return pl.LazyFrame(schema=schema)
    frame = pl.scan_parquet([str(p) for p in paths], hive_partitioning=False)
    return upgraded(name, fmt, frame).select(schema.names()).cast(schema)


def _open(root: str | os.PathLike[str]) -> tuple[Path, dict[str, Any], dict[str, pl.LazyFrame], dict[str, list[Path]]]:
    """A dataset's folder, manifest, lazy tables and their files, once every file agrees with the manifest."""
    base = _dataset_root(Path(root))
    manifest = _manifest(base)
    if manifest.get("format", 1) >= 3:
        files = _verified(base, manifest)
        lazy = {name: _scan_table(name, paths, manifest["format"], _privacy(manifest)) for name, paths in files.items()}
    else:
        legacy = _legacy.verified(base, manifest)
        lazy = {name: _legacy.scan_table(name, base / name, found) for name, found in legacy.items()}
        files = {name: [path for path, _ in found] for name, found in legacy.items()}
    for name in all_tables():  # a side table the layout does not store (versions before format 4): empty
        lazy.setdefault(name, pl.LazyFrame(schema=schema_of(name, _privacy(manifest))))
        files.setdefault(name, [])
    lazy = {name: lazy[name] for name in all_tables()}
    _verified_validation(base, manifest)
    return base, manifest, lazy, files


def _unreadable(base: Path, table: str, paths: list[Path], exc: Exception) -> CopilotMetricsError:
    shown = ", ".join(str(p.relative_to(base)) for p in paths[:5]) + (" and more" if len(paths) > 5 else "")
    return CopilotMetricsError(
        f"{base}: table {table!r}: its files cannot be read ({type(exc).__name__}: {exc}) ({shown})",
        file=str(paths[0] if paths else base / table),
        table=table,
        hint=DAMAGED,
    )


def _collect(base: Path, lazy: dict[str, pl.LazyFrame], files: dict[str, list[Path]]) -> dict[str, pl.DataFrame]:
    """Every table read, or a CopilotMetricsError naming the table whose files Polars cannot read."""
    failures = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)
    try:
        return dict(zip(lazy, pl.collect_all(list(lazy.values())), strict=True))
    except failures as exc:
        for name, frame in lazy.items():  # which table: read them one at a time
            try:
                frame.collect()
            except failures as one:
                raise _unreadable(base, name, files[name], one) from one
        raise _unreadable(base, "?", [], exc) from exc  # pragma: no cover - failed together only


def _read_validation(base: Path, manifest: dict[str, Any]) -> ValidationReport:
    """The validation report: ``_validation/`` (empty where a format-1 or format-2 dataset lacks it), the counts."""
    frames = []
    for file, schema in _VALIDATION_FILES:
        path = base / _VALIDATION_DIR / file
        if not path.is_file():
            frames.append(schema.to_frame())
            continue
        try:
            frames.append(pl.read_parquet(path).select(schema.names()).cast(schema))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _unreadable(base, _VALIDATION_DIR, [path], exc) from exc
    counts = manifest.get("validation", {})
    return ValidationReport(frames[0], frames[1], int(counts.get("days_checked", 0)), int(counts.get("days_valid", 0)))


def _check_contracts(base: Path, ds: Dataset) -> None:
    """Run the tables' contracts on a dataset read back; a failure names the table's folder."""
    try:
        enforce(ds, "raise")
    except ContractError as exc:
        folder = base / exc.table if exc.table else base
        raise ContractError(
            f"{folder}: {exc.message}",
            failure_cases=exc.failure_cases,
            file=str(folder),
            table=exc.table,
            column=exc.column,
            key=exc.key,
            hint="its files were edited after they were written, or it was written from a load with "
            "contracts=False; read_parquet(root, contracts=False) reads it as it is",
        ) from exc


class ScannedTables(dict[str, pl.LazyFrame]):
    """What :func:`scan_parquet` returns: the lazy tables by name, and the dataset's ``meta`` (from its manifest)."""

    def __init__(self, tables: Mapping[str, pl.LazyFrame], meta: Mapping[str, Any]) -> None:
        super().__init__(tables)
        self.meta: Mapping[str, Any] = MappingProxyType(dict(meta))


def scan_parquet(root: str | os.PathLike[str]) -> ScannedTables:
    """Lazy frames over every table of a dataset written by :func:`write_parquet`, for data larger than memory.

    Before anything is returned, the dataset is checked as :func:`read_parquet` checks it (every
    file against the manifest: presence, rows, SHA-256, columns and dtypes); the contracts are
    not run (they need the rows: use :func:`read_parquet`).

    Returns
    -------
    ScannedTables
        A dict of every table and side table by name (the ten data tables, then ``sources``,
        ``findings``, ``conflicts``, ``quarantine``, ``versions`` (empty for a layout before
        format 4), the successor tables and their side tables), each with its declared schema
        (columns in order); its ``meta`` is the dataset's.  A pseudonymized dataset's
        successor tables have their pseudonymized schemas (``user_pid``, no ``user_login``)
        and ``meta["key_fingerprint"]`` names its key.  Filters on the scope columns or ``date``
        skip the row groups whose statistics exclude them (in a dataset of format 1 or 2, the
        partitions).

    Raises
    ------
    CopilotMetricsError
        As :func:`read_parquet`.
    """
    _, manifest, lazy, _ = _open(root)
    return ScannedTables(lazy, manifest.get("meta") or {})


def read_parquet(root: str | os.PathLike[str], *, contracts: bool = True) -> Dataset:
    """Read a dataset written by :func:`write_parquet`: every table equal to what was written.

    Tables have their declared dtypes and rows in written order.  Datasets of the earlier layouts
    (formats 1 and 2, written by copilot-metrics 0.1.0) are read too, rows by partition (scope,
    then month, nulls first); writing the result rewrites one in the current layout.
    ``validation`` and ``meta`` are restored from ``_validation/`` and the manifest (``meta`` as
    JSON: dates become strings).  A pseudonymized dataset is read back pseudonymized: its
    ``meta["key_fingerprint"]`` (the manifest holds the fingerprint, never the key) and the
    pseudonymized schemas of its successor tables.

    Nothing is read that the manifest does not vouch for: every file it lists must be there with
    its row count and the SHA-256 of its bytes, no other Parquet file may sit in a table's folder
    (other engines would read its rows), every file must hold its table's columns with their
    dtypes, and each table the rows the manifest counts.  Datasets written before the manifest
    listed its files (format 3 without ``files``, formats 1 and 2) are checked on their row
    counts (where the manifest has them) and columns.

    Parameters
    ----------
    root:
        The dataset folder.
    contracts:
        Run the tables' contracts on what was read (default), as :func:`copilot_metrics.load`
        does: a negative count or a repeated natural key raises.  ``False`` reads a dataset
        written from a load with ``contracts=False`` as it is.

    Raises
    ------
    CopilotMetricsError
        ``root`` is not a dataset, its manifest is not the manifest's JSON, or a file disagrees
        with it (missing, added, changed, not Parquet, another table's, a column missing or of
        another dtype); the message names the table and the files, ``file`` the first of them.
    ContractError
        A table breaks its contract (``contracts=True``); the message names the table's folder.
    """
    base, manifest, lazy, files = _open(root)
    frames = _collect(base, lazy, files)
    ds = Dataset(
        {name: frames[name] for name in (*TABLES, *REPORT_TABLES)},
        frames["sources"],
        frames["quarantine"],
        frames["findings"],
        frames["conflicts"],
        _read_validation(base, manifest),
        dict(manifest.get("meta") or {}),
        versions=frames["versions"],
        report_versions=frames["report_versions"],
        **{name: frames[name] for name in SUCCESSOR_SIDE_TABLES},
    )
    if contracts:
        _check_contracts(base, ds)
    return ds
