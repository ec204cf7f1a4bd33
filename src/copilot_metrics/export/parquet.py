"""Export: a :class:`~copilot_metrics.dataset.Dataset` as a Parquet dataset any engine reads, and back.

Layout of ``root`` (written by :func:`write_parquet`, layout format 3)::

    root/
      _copilot_metrics.json                  manifest: format, version, schema hash, row counts, validation counts, meta
      _validation/errors.parquet             ds.validation.errors
      _validation/unknown_fields.parquet     ds.validation.unknown_fields
      days/part-00000.parquet                every column of the table, scope and date included
      days/part-00001.parquet, ...           more files only past 1,048,576 rows (rows in written order)
      completions/..., ...                   the ten tables of copilot_metrics.tables.TABLES, same layout
      sources/part-00000.parquet             the four bookkeeping tables, same layout
      findings/part-00000.parquet
      conflicts/part-00000.parquet
      quarantine/part-00000.parquet

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

Every file is zstd-compressed, written by pyarrow with an explicit Arrow schema derived from the
declared Polars schemas (String -> ``string``, Int64 -> ``int64``, Date -> ``date32``, Boolean ->
``bool``, List[String] -> ``list<string>``), and its footer key-value metadata holds
``copilot_metrics.version``, ``copilot_metrics.schema_hash``, ``copilot_metrics.table``,
``copilot_metrics.grain``, ``copilot_metrics.key`` (JSON list) and
``copilot_metrics.partitioning`` (``[]``).

Earlier layouts (formats 1 and 2, copilot-metrics 0.1.0): the ten data tables were
hive-partitioned by ``enterprise``, ``org``, ``team`` and ``month``, the scope living only in
percent-encoded folder names (``__HIVE_DEFAULT_PARTITION__`` for null, long labels named by a
digest listed in the manifest).  :func:`read_parquet`, :func:`scan_parquet` and
``load(base=...)`` still read them exactly; ``write_parquet(read_parquet(old), new)`` (or any
write, ``mode="merge"`` included, into the old folder) rewrites one in this layout.

Row order: :func:`read_parquet` gives every table back in written order.  (A dataset of format
1 or 2 comes back by partition, ordered by (enterprise, org, team, month), nulls first.)
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import orjson
import polars as pl

from copilot_metrics import _schema
from copilot_metrics import merge as archive
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import (
    ERROR_SCHEMA,
    SCOPE,
    SIDE_TABLES,
    TABLES,
    UNKNOWN_SCHEMA,
    conform,
    table_schema,
)
from copilot_metrics.validation import ValidationReport

__all__ = [
    "MANIFEST",
    "NULL_PARTITION",
    "PARTITION_COLUMNS",
    "SIDE_TABLES",
    "arrow_partitioning",
    "read_parquet",
    "scan_parquet",
    "write_csv",
    "write_parquet",
]

#: Hive partition columns of the ten data tables in layout formats 1 and 2 (read only), in folder order.
PARTITION_COLUMNS: tuple[str, ...] = (*SCOPE, "month")

#: How a null partition value was spelled in a folder name (formats 1 and 2; still used by write_json).
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"

#: Name of the manifest at the root of a dataset.
MANIFEST = "_copilot_metrics.json"

_KEY = [*SCOPE, "date"]
_FILE = "part-0.parquet"  # formats 1 and 2
_VALIDATION_DIR = "_validation"
_FORMAT = 3  # 3: unpartitioned, scope in the files; 2: hive, byte-wise percent-encoding, digests; 1: hive, quote()
_ROWS_PER_FILE = 1 << 20
_ROW_GROUP = 1 << 17
#: What a written data file is called (``part-00000.parquet``, ...).
_PART_RE = re.compile(r"part-[0-9]{5}\.parquet\Z")

#: Bytes written as themselves in a folder name; every other byte is ``%XX``.
_SAFE_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
#: Longest encoded value written as is; longer ones (and "") are named by their digest.
_MAX_SEGMENT = 120
_DIGEST_MARK = "~"
_PREFIX = 48

def _all_tables() -> list[str]:
    return [*TABLES, *SIDE_TABLES]


# ---------------------------------------------------------------- arrow types


def _arrow_type(dtype: Any) -> Any:
    import pyarrow as pa

    simple = {
        pl.String: pa.string(), pl.Int64: pa.int64(), pl.Boolean: pa.bool_(), pl.Date: pa.date32(),
        pl.Float64: pa.float64(), pl.UInt64: pa.uint64(),
    }
    for kind, arrow in simple.items():
        if dtype == kind:
            return arrow
    if isinstance(dtype, pl.Datetime):
        return pa.timestamp(dtype.time_unit or "us", dtype.time_zone)
    if isinstance(dtype, pl.List):
        return pa.list_(_arrow_type(dtype.inner))
    raise CopilotMetricsError(f"no Parquet mapping for dtype {dtype}")  # pragma: no cover - declared dtypes only


def _arrow_schema(schema: pl.Schema, drop: tuple[str, ...], metadata: dict[str, str]) -> Any:
    import pyarrow as pa

    return pa.schema(
        [pa.field(name, _arrow_type(dtype)) for name, dtype in schema.items() if name not in drop],
        metadata=metadata,
    )


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


# ---------------------------------------------------------------- writing


def _metadata(name: str) -> dict[str, str]:
    from copilot_metrics import __version__

    if name in TABLES:
        doc, key = TABLES[name].doc, TABLES[name].key
    else:
        doc, key = SIDE_TABLES[name].doc, SIDE_TABLES[name].key
    return {
        "copilot_metrics.version": __version__,
        "copilot_metrics.schema_hash": _schema.schema_hash(),
        "copilot_metrics.table": name,
        "copilot_metrics.grain": doc,
        "copilot_metrics.key": orjson.dumps(list(key)).decode(),
        "copilot_metrics.partitioning": "[]",
    }


def _encode(value: str, column: str) -> str:
    """``value`` percent-encoded byte by byte: only ``a-z 0-9 _ -`` stay as they are."""
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CopilotMetricsError(
            f"{column} label {value!r} is not valid Unicode text ({exc.reason}); it cannot name a folder",
            column=column,
        ) from exc
    return "".join(chr(b) if b in _SAFE_BYTES else f"%{b:02X}" for b in data)


def _segment(value: str | None, column: str, digests: dict[str, str]) -> str:
    """The folder value of a partition value (layout in the module docstring); records digests."""
    if value is None:
        return NULL_PARTITION
    encoded = _encode(value, column)
    if value and len(encoded) <= _MAX_SEGMENT:
        return encoded
    prefix = encoded[:_PREFIX]
    cut = prefix.rfind("%", len(prefix) - 2)
    if cut >= 0:  # never split a %XX escape
        prefix = prefix[:cut]
    name = f"{prefix}{_DIGEST_MARK}{hashlib.sha256(value.encode()).hexdigest()[:32]}"
    if digests.setdefault(name, value) != value:  # pragma: no cover - a 128-bit collision
        raise CopilotMetricsError(f"{column} labels {value!r} and {digests[name]!r} share the digest {name}")
    return name


def _decode(raw: str, digests: Mapping[str, str], where: Path) -> str | None:
    """The partition value a folder value stands for (inverse of :func:`_segment`)."""
    if raw == NULL_PARTITION:
        return None
    if _DIGEST_MARK in raw:
        if raw not in digests:
            raise CopilotMetricsError(
                f"{where}: folder value {raw!r} is named by a digest the manifest does not list",
                file=str(where), hint=f"the dataset's {MANIFEST} was replaced or edited",
            )
        return digests[raw]
    return unquote(raw, errors="strict")


def _write_file(frame: pl.DataFrame, path: Path, arrow_schema: Any) -> None:
    """Write one Parquet file (the single place files are written: tests interrupt it here)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_batches(
        frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(arrow_schema).to_batches(), schema=arrow_schema
    ) if frame.height else arrow_schema.empty_table()
    pq.write_table(table, path, compression="zstd", row_group_size=_ROW_GROUP)


def _write_table(name: str, frame: pl.DataFrame, folder: Path) -> None:
    """Write one table as ``part-00000.parquet``, ... (at most ``_ROWS_PER_FILE`` rows each; one empty file if none)."""
    frame = conform(name, frame)
    arrow_schema = _arrow_schema(table_schema(name), (), _metadata(name))
    starts = range(0, frame.height, _ROWS_PER_FILE) if frame.height else range(1)
    for number, start in enumerate(starts):
        _write_file(frame.slice(start, _ROWS_PER_FILE), folder / f"part-{number:05d}.parquet", arrow_schema)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, Path)):
        return str(value)
    raise TypeError


def _write_all(ds: Dataset, target: Path) -> None:
    from copilot_metrics import __version__

    for name in TABLES:
        frame = ds.tables.get(name)
        _write_table(name, frame if frame is not None else pl.DataFrame(schema=TABLES[name].schema), target / name)
    for name in SIDE_TABLES:
        _write_table(name, _side_frame(ds, name), target / name)
    report = ds.validation
    validation = target / _VALIDATION_DIR
    _write_file(report.errors.select(ERROR_SCHEMA.names()).cast(ERROR_SCHEMA), validation / "errors.parquet",
                _arrow_schema(ERROR_SCHEMA, (), {}))
    _write_file(report.unknown_fields.select(UNKNOWN_SCHEMA.names()).cast(UNKNOWN_SCHEMA),
                validation / "unknown_fields.parquet", _arrow_schema(UNKNOWN_SCHEMA, (), {}))
    manifest = {
        "format": _FORMAT,
        "library": "copilot-metrics",
        "version": __version__,
        "schema_hash": _schema.schema_hash(),
        "partitioning": {"columns": [], "files": "<table>/part-NNNNN.parquet, every column in the files",
                         "rows_per_file": _ROWS_PER_FILE},
        "rows": {name: (ds.tables[name].height if name in ds.tables else 0) for name in TABLES}
        | {name: _side_frame(ds, name).height for name in SIDE_TABLES},
        "validation": {"days_checked": report.days_checked, "days_valid": report.days_valid},
        "meta": dict(ds.meta),
    }
    (target / MANIFEST).write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=_json_default)
    )


def _side_frame(ds: Dataset, name: str) -> pl.DataFrame:
    frame: pl.DataFrame = getattr(ds, name)
    return frame


def _is_dataset(root: Path) -> bool:
    return (root / MANIFEST).is_file()


def _ours(parts: tuple[str, ...], is_file: bool) -> bool:
    """Whether a path inside a dataset (``parts`` relative to its root) is one :func:`write_parquet` writes."""
    head, depth = parts[0], len(parts)
    if depth == 1:
        return (head == MANIFEST) if is_file else head in (_VALIDATION_DIR, *TABLES, *SIDE_TABLES)
    if head == _VALIDATION_DIR:
        return depth == 2 and is_file and parts[1] in ("errors.parquet", "unknown_fields.parquet")
    if head in (*TABLES, *SIDE_TABLES) and depth == 2 and is_file and _PART_RE.match(parts[1]):
        return True  # format 3
    if head in SIDE_TABLES:  # formats 1 and 2, so that a write replaces an old dataset
        return depth == 2 and is_file and parts[1] == _FILE
    if head in TABLES:
        folders = parts[1:-1] if is_file else parts[1:]
        return (
            len(folders) <= len(PARTITION_COLUMNS) and (not is_file or (len(folders) == 4 and parts[-1] == _FILE))
            and all(f.startswith(f"{c}=") for f, c in zip(folders, PARTITION_COLUMNS, strict=False))
        )
    return False


def _foreign(root: Path) -> list[str]:
    """Paths inside an existing dataset that :func:`write_parquet` did not write (symbolic links included)."""
    found = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).parts
        for entry in sorted(dirs):
            path = Path(folder, entry)
            if path.is_symlink() or not _ours((*base, entry), is_file=False):
                found.append(str(path.relative_to(root)) + ("" if path.is_symlink() else "/"))
                dirs.remove(entry)  # never walk into a foreign folder
        for entry in sorted(files):
            path = Path(folder, entry)
            if path.is_symlink() or not _ours((*base, entry), is_file=True):
                found.append(str(path.relative_to(root)))
    return found


@contextmanager
def _locked(folder: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (the dataset's parent): one writer at a time.

    The lock is on the folder itself, so no lock file is left behind, and the kernel releases it
    when the process ends, killed or not.  Where ``flock`` is missing (Windows) or refused (some
    network file systems), writers are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder that cannot be opened for reading
        yield
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CopilotMetricsError(
                        f"{folder}: another process is writing a dataset in this folder (it holds the folder's "
                        f"lock); gave up after {timeout:g} s",
                        file=str(folder), hint="retry when the other write has finished, or raise lock_timeout",
                    ) from None
                time.sleep(0.05)
            except OSError as exc:  # pragma: no cover - flock not supported here
                if exc.errno in (errno.ENOLCK, errno.EINVAL, errno.EBADF, errno.EOPNOTSUPP):
                    break
                raise
        yield
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where that is not available (other systems, old C libraries, file systems
    without support); the caller then renames twice.
    """
    if not sys.platform.startswith("linux"):  # pragma: no cover - other systems
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # pragma: no cover - C library without renameat2
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # pragma: no cover - unsupported here
        return False
    raise OSError(code, os.strerror(code), str(a))  # pragma: no cover


def _swap(staging: Path, target: Path, aside: Path) -> None:
    """Put ``staging`` at ``target``, the old ``target`` at ``aside``: atomically where the system allows.

    Otherwise two renames; a process killed between them leaves ``target`` missing and the old
    dataset at ``aside``, which :func:`read_parquet` then reads and the next :func:`write_parquet`
    renames back.
    """
    if _exchange(staging, target):
        staging.rename(aside)
        return
    target.rename(aside)
    try:
        staging.rename(target)
    except BaseException:
        aside.rename(target)
        raise


def _leftovers(target: Path, kind: str) -> list[Path]:
    """Hidden siblings ``.{name}.{kind}-<token>`` a write of ``target`` leaves while it runs."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{kind}-[0-9a-f]{{12}}\Z")
    return sorted(p for p in target.parent.iterdir() if pattern.match(p.name) and p.is_dir() and not p.is_symlink())


def _recover(target: Path) -> None:
    """Clean up after a writer that was killed (called with the lock held).

    A missing ``target`` with a previous dataset set aside (killed between the two renames of
    :func:`_swap`) gets it back; staging folders and folders set aside are then removed.
    """
    if not target.exists():
        kept = [p for p in _leftovers(target, "old") if _is_dataset(p)]
        if kept:
            kept[-1].rename(target)
    for path in (*_leftovers(target, "tmp"), *_leftovers(target, "old")):
        shutil.rmtree(path, ignore_errors=True)


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
        The dataset (from :func:`copilot_metrics.load` or :func:`read_parquet`).
    root:
        The dataset folder (layout in :mod:`copilot_metrics.export.parquet`).  An existing folder is
        replaced only if it is empty, or a copilot-metrics dataset (holds ``_copilot_metrics.json``)
        holding only files this function writes; otherwise nothing is written and a
        :class:`~copilot_metrics.errors.CopilotMetricsError` names the files in the way.
    mode:
        ``"overwrite"`` (default): the folder then holds ``ds`` alone.  ``"merge"``: ``ds`` is
        merged into the dataset already in ``root`` (if any) with the precedence rules of
        :mod:`copilot_metrics.merge`: for each (scope, date) the version of the most recent
        export wins, identical days are not duplicated, differing values are recorded in
        ``conflicts``.  The existing dataset is read into memory to merge.
    lock_timeout:
        Seconds to wait for another process writing into the same parent folder before raising
        :class:`~copilot_metrics.errors.CopilotMetricsError`.

    Returns
    -------
    Path
        ``root``.

    Notes
    -----
    Writers take turns: the whole call (reading the old dataset to merge included) holds an
    exclusive ``flock`` on the parent folder of ``root``, so two processes merging into the same
    dataset both land, one after the other (the lock is released by the kernel if a writer dies;
    not available on Windows).  The dataset is written into a hidden sibling folder
    ``.{name}.tmp-<token>``; only when every file is written is it swapped in for the old one in
    one atomic step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, see
    :func:`_swap`), and the old one is deleted.  A failure or a killed process at any point leaves
    ``root`` readable, holding either the old or the new dataset; the next write removes what a
    killed writer left behind.  Durability on power loss is not promised (files are not fsynced).

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
    if mode not in ("overwrite", "merge"):
        raise CopilotMetricsError(f"mode must be 'overwrite' or 'merge', not {mode!r}")
    given = Path(root)
    target = given.resolve()  # a symbolic link to a dataset: replace the folder it points to
    if target.parent == target:
        raise CopilotMetricsError(f"{given}: cannot write a dataset at a file system root", file=str(given))
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent, lock_timeout):
        _recover(target)
        _write_locked(ds, target, given, mode)
    return given


def _write_locked(ds: Dataset, target: Path, given: Path, mode: str) -> None:
    exists = target.exists()
    if exists and not target.is_dir():
        raise CopilotMetricsError(f"{given}: exists and is not a folder", file=str(given))
    if exists and not _is_dataset(target) and any(target.iterdir()):
        raise CopilotMetricsError(
            f"{given}: a non-empty folder that is not a copilot-metrics Parquet dataset (no {MANIFEST}); "
            "not replacing it",
            file=str(given), hint="choose a new or empty folder",
        )
    if exists:
        foreign = _foreign(target)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise CopilotMetricsError(
                f"{given}: holds {len(foreign)} path(s) copilot-metrics did not write ({shown}); "
                "not replacing the dataset, which would delete them",
                file=str(given), hint="move them out of the dataset folder, or write to another folder",
            )
    if mode == "merge" and exists and _is_dataset(target):
        ds = archive.merge_datasets(read_parquet(target), ds)
    token = uuid.uuid4().hex[:12]
    staging = target.parent / f".{target.name}.tmp-{token}"
    try:
        _write_all(ds, staging)
        if not exists:
            staging.rename(target)
            return
        aside = target.parent / f".{target.name}.old-{token}"
        _swap(staging, target, aside)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)


# ---------------------------------------------------------------- reading


def _partition_values(path: Path, folder: Path, digests: Mapping[str, str]) -> tuple[str | None, ...]:
    parts = path.relative_to(folder).parts[:-1]
    values: dict[str, str | None] = {}
    for part in parts:
        column, _, raw = part.partition("=")
        values[column] = _decode(raw, digests, path)
    return tuple(values.get(c) for c in PARTITION_COLUMNS)


def _files(folder: Path, digests: Mapping[str, str]) -> list[tuple[Path, tuple[str | None, ...]]]:
    """The table's files and their partition values, in read order: by (enterprise, org, team, month), nulls first."""
    found = [
        p for p in folder.rglob("*.parquet") if not any(s.startswith(("_", ".")) for s in p.relative_to(folder).parts)
    ]
    with_values = [(p, _partition_values(p, folder, digests)) for p in found]

    def order(item: tuple[Path, tuple[str | None, ...]]) -> tuple[Any, ...]:
        return (tuple((0, "") if v is None else (1, v) for v in item[1]), item[0].name)

    return sorted(with_values, key=order)


def _dataset_root(root: Path) -> Path:
    """``root``, or the previous dataset a writer killed between its two renames set aside (see :func:`_swap`)."""
    if _is_dataset(root):
        return root
    if not root.exists() and root.parent.is_dir():
        kept = [p for p in _leftovers(root, "old") if _is_dataset(p)]
        if kept:
            return kept[-1]
    raise CopilotMetricsError(
        f"{root}: not a copilot-metrics Parquet dataset (no {MANIFEST})", file=str(root),
        hint="write one with copilot_metrics.write_parquet",
    )


def _manifest(root: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = orjson.loads((root / MANIFEST).read_bytes())
    if int(manifest.get("format", 1)) > _FORMAT:
        raise CopilotMetricsError(
            f"{root}: written in layout format {manifest['format']} by copilot-metrics {manifest.get('version')}; "
            f"this version reads formats up to {_FORMAT}",
            file=str(root), hint="upgrade copilot-metrics",
        )
    return manifest


def _scan_table(name: str, folder: Path) -> pl.LazyFrame:
    """One table of a format-3 dataset: its ``part-NNNNN.parquet`` files in order."""
    schema = table_schema(name)
    paths = sorted(str(p) for p in folder.iterdir() if _PART_RE.match(p.name)) if folder.is_dir() else []
    if not paths:
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet(paths, hive_partitioning=False).select(schema.names()).cast(schema)


def _scan_legacy_table(name: str, folder: Path, digests: Mapping[str, str]) -> pl.LazyFrame:
    """One table of a format-1 or format-2 dataset (scope in hive folder names; see the module docstring)."""
    schema = table_schema(name)
    files = _files(folder, digests) if folder.is_dir() else []
    if not files:
        return pl.LazyFrame(schema=schema)
    paths = [str(f) for f, _ in files]
    if name not in TABLES:
        return pl.scan_parquet(paths, hive_partitioning=False).select(schema.names()).cast(schema)
    exact = all(
        raw == NULL_PARTITION or (_DIGEST_MARK not in raw and unquote(raw) != NULL_PARTITION)
        for f, _ in files for raw in (part.partition("=")[2] for part in f.relative_to(folder).parts[:-1])
    )
    if exact:  # Polars decodes every folder name as the layout does: keep its partition pruning
        frame = pl.scan_parquet(
            paths, hive_partitioning=True,
            hive_schema=dict.fromkeys(PARTITION_COLUMNS, pl.String()), try_parse_hive_dates=False,
        )
        return frame.select(schema.names()).cast(schema)
    # digests, or a literal "__HIVE_DEFAULT_PARTITION__" (which Polars reads as null): values from
    # this module's own decoding of each file's folder names
    column = "__copilot_metrics_file__"
    frame = pl.scan_parquet(paths, hive_partitioning=False, include_file_paths=column)
    return frame.with_columns(
        pl.col(column).replace_strict(paths, [v[i] for _, v in files], return_dtype=pl.String()).alias(c)
        for i, c in enumerate(SCOPE)
    ).select(schema.names()).cast(schema)


def scan_parquet(root: str | os.PathLike[str]) -> dict[str, pl.LazyFrame]:
    """Lazy frames over every table of a dataset written by :func:`write_parquet`, for data larger than memory.

    Returns
    -------
    dict of str to LazyFrame
        The ten data tables, then ``sources``, ``findings``, ``conflicts``, ``quarantine``; each
        with its declared schema (columns in order).  Filters on the scope columns or ``date``
        skip the row groups whose statistics exclude them (in a dataset of format 1 or 2, the
        partitions).
    """
    base = _dataset_root(Path(root))
    manifest = _manifest(base)
    if int(manifest.get("format", 1)) >= 3:
        return {name: _scan_table(name, base / name) for name in _all_tables()}
    digests = manifest.get("partitioning", {}).get("digests", {})
    return {name: _scan_legacy_table(name, base / name, digests) for name in _all_tables()}


def read_parquet(root: str | os.PathLike[str]) -> Dataset:
    """Read a dataset written by :func:`write_parquet`: every table equal to what was written.

    Tables have their declared dtypes and rows in written order.  Datasets of the earlier layouts
    (formats 1 and 2, written by copilot-metrics 0.1.0) are read too, rows by partition (scope,
    then month, nulls first); writing the result rewrites one in the current layout.
    ``validation`` and ``meta`` are restored from ``_validation/`` and the manifest (``meta`` as
    JSON: dates become strings).
    """
    base = _dataset_root(Path(root))
    lazy = scan_parquet(base)
    frames = dict(zip(lazy, pl.collect_all(list(lazy.values())), strict=True))
    manifest = _manifest(base)
    validation = base / _VALIDATION_DIR
    counts = manifest.get("validation", {})

    def read(name: str, schema: pl.Schema) -> pl.DataFrame:
        path = validation / name
        return pl.read_parquet(path).cast(schema) if path.is_file() else schema.to_frame()

    report = ValidationReport(
        read("errors.parquet", ERROR_SCHEMA), read("unknown_fields.parquet", UNKNOWN_SCHEMA),
        int(counts.get("days_checked", 0)), int(counts.get("days_valid", 0)),
    )
    return Dataset(
        {name: frames[name] for name in TABLES},
        frames["sources"], frames["quarantine"], frames["findings"], frames["conflicts"], report,
        dict(manifest.get("meta") or {}),
    )


# ---------------------------------------------------------------- CSV


def write_csv(ds: Dataset, folder: str | os.PathLike[str]) -> list[Path]:
    """Write one CSV per table (``{folder}/{table}.csv``), for spreadsheet users.

    Columns as declared; dates ISO ``YYYY-MM-DD``; nulls are empty cells.  List columns become
    text: ``shape`` joined with ``|`` (``copilot_ide_chat:null|models:absent``), ``reasons`` of
    ``quarantine`` joined with a newline.  Existing files of the same names are replaced.

    Returns
    -------
    list of Path
        The files written, in table order.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _all_tables():
        frame = conform(name, ds.tables[name] if name in TABLES else _side_frame(ds, name))
        frame = frame.with_columns(
            pl.col(c).list.join("\n" if c == "reasons" else "|")
            for c, t in frame.schema.items()
            if isinstance(t, pl.List)
        )
        path = out / f"{name}.csv"
        frame.write_csv(path)
        written.append(path)
    return written
