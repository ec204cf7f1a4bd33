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
:func:`write_csv` and :func:`copilot_metrics.export.json.write_json` run the same transaction
(:func:`_replace`).  A file system error (no space, no permission, a name too long) is raised as
a :class:`~copilot_metrics.errors.CopilotMetricsError` naming the path, the previous export left
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

import contextlib
import ctypes
import datetime as dt
import errno
import hashlib
import math
import numbers
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import orjson
import polars as pl

from copilot_metrics import _schema
from copilot_metrics import merge as archive
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import ContractError, CopilotMetricsError, _short
from copilot_metrics.quarantine import enforce
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
_FORMAT = 4  # 4: and the versions side table; 3: unpartitioned, scope in the files; 2: hive, byte-wise
#                percent-encoding, digests; 1: hive, quote()
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


#: Side tables each layout format stores first (layouts before it do not have them).
_SINCE = {"versions": 4}


def _stored(fmt: int) -> list[str]:
    """The tables a dataset of layout format ``fmt`` stores."""
    return [name for name in _all_tables() if fmt >= _SINCE.get(name, 1)]


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
    from copilot_metrics._version import __version__

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
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise CopilotMetricsError(
            f"{where}: folder value {raw!r} does not decode to UTF-8 text ({exc.reason})",
            file=str(where), hint=f"the dataset's folders were renamed after it was written: {_DAMAGED}",
        ) from exc


def _write_file(frame: pl.DataFrame, path: Path, arrow_schema: Any) -> None:
    """Write one Parquet file (the single place files are written: tests interrupt it here)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_batches(
        frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(arrow_schema).to_batches(), schema=arrow_schema
    ) if frame.height else arrow_schema.empty_table()
    pq.write_table(table, path, compression="zstd", row_group_size=_ROW_GROUP)


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Give an ``OSError`` raised while writing ``path`` its file name (errors of ``write()`` have none)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def _write_table(name: str, frame: pl.DataFrame, folder: Path) -> dict[str, int]:
    """Write one table as ``part-00000.parquet``, ... (at most ``_ROWS_PER_FILE`` rows each; one empty file if none).

    Returns each file's name and row count, in order.
    """
    frame = conform(name, frame)
    arrow_schema = _arrow_schema(table_schema(name), (), _metadata(name))
    starts = range(0, frame.height, _ROWS_PER_FILE) if frame.height else range(1)
    written: dict[str, int] = {}
    for number, start in enumerate(starts):
        part = frame.slice(start, _ROWS_PER_FILE)
        with _naming(folder / f"part-{number:05d}.parquet"):
            _write_file(part, folder / f"part-{number:05d}.parquet", arrow_schema)
        written[f"part-{number:05d}.parquet"] = part.height
    return written


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


def _write_all(ds: Dataset, target: Path) -> None:
    from copilot_metrics._version import __version__

    rows: dict[str, int] = {}
    for name in TABLES:
        frame = ds.tables.get(name)
        written = _write_table(name, frame if frame is not None else pl.DataFrame(schema=TABLES[name].schema),
                               target / name)
        rows |= {f"{name}/{file}": count for file, count in written.items()}
    for name in SIDE_TABLES:
        written = _write_table(name, _side_frame(ds, name), target / name)
        rows |= {f"{name}/{file}": count for file, count in written.items()}
    report = ds.validation
    validation = target / _VALIDATION_DIR
    with _naming(validation / "errors.parquet"):
        _write_file(report.errors.select(ERROR_SCHEMA.names()).cast(ERROR_SCHEMA), validation / "errors.parquet",
                    _arrow_schema(ERROR_SCHEMA, (), {}))
    with _naming(validation / "unknown_fields.parquet"):
        _write_file(report.unknown_fields.select(UNKNOWN_SCHEMA.names()).cast(UNKNOWN_SCHEMA),
                    validation / "unknown_fields.parquet", _arrow_schema(UNKNOWN_SCHEMA, (), {}))
    rows |= {f"{_VALIDATION_DIR}/errors.parquet": report.errors.height,
             f"{_VALIDATION_DIR}/unknown_fields.parquet": report.unknown_fields.height}
    manifest = {
        "format": _FORMAT,
        "library": "copilot-metrics",
        "version": __version__,
        "schema_hash": _schema.schema_hash(),
        "partitioning": {"columns": [], "files": "<table>/part-NNNNN.parquet, every column in the files",
                         "rows_per_file": _ROWS_PER_FILE},
        "rows": {name: (ds.tables[name].height if name in ds.tables else 0) for name in TABLES}
        | {name: _side_frame(ds, name).height for name in SIDE_TABLES},
        # every file written, with its rows and the SHA-256 of its bytes: read_parquet checks them
        "files": {path: {"rows": count, "sha256": _sha256(target / path)} for path, count in rows.items()},
        "validation": {"days_checked": report.days_checked, "days_valid": report.days_valid},
        "meta": dict(ds.meta),
    }
    with _naming(target / MANIFEST):
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


def _foreign(root: Path, ours: Callable[[tuple[str, ...], bool], bool] = _ours) -> list[str]:
    """Paths inside an existing export that its writer did not write (symbolic links included).

    ``ours(parts, is_file)`` tells whether a path (``parts`` relative to ``root``) is one the
    writer writes; :func:`_ours` for a Parquet dataset.
    """
    found = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).parts
        for entry in sorted(dirs):
            path = Path(folder, entry)
            if path.is_symlink() or not ours((*base, entry), False):
                found.append(str(path.relative_to(root)) + ("" if path.is_symlink() else "/"))
                dirs.remove(entry)  # never walk into a foreign folder
        for entry in sorted(files):
            path = Path(folder, entry)
            if path.is_symlink() or not ours((*base, entry), True):
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
        with contextlib.suppress(OSError):  # the new one is in place: what is left is cleaned up later
            staging.rename(aside)
        return
    target.rename(aside)
    try:
        staging.rename(target)
    except BaseException:
        aside.rename(target)
        raise


#: Longest file name, in bytes, on the common file systems (ext4, XFS, btrfs, APFS).
_NAME_MAX = 255
#: What a hidden sibling's name adds to the name it is made from: ``.``, ``.tmp-`` and a 12-digit token.
_SIBLING_EXTRA = 18


def _stem(target: Path) -> str:
    """What the hidden siblings of ``target`` are named after: its name, or a digest of a name too long for them.

    A name of 240 bytes is valid, but ``.{name}.tmp-<token>`` would not be (over 255 bytes): the
    siblings of such a target are named after the first 32 hex digits of its name's SHA-256.
    """
    raw = os.fsencode(target.name)
    if len(raw) + _SIBLING_EXTRA <= _NAME_MAX:
        return target.name
    return "~" + hashlib.sha256(raw).hexdigest()[:32]


def _sibling(target: Path, kind: str, token: str) -> Path:
    """The hidden sibling ``.{name}.{kind}-{token}`` of ``target`` (``tmp``: being written, ``old``: set aside)."""
    return target.parent / f".{_stem(target)}.{kind}-{token}"


def _leftovers(target: Path, kind: str) -> list[Path]:
    """Hidden siblings ``.{name}.{kind}-<token>`` a write of ``target`` leaves while it runs (folders, or files)."""
    pattern = re.compile(rf"\.{re.escape(_stem(target))}\.{kind}-[0-9a-f]{{12}}\Z")
    return sorted(
        p for p in target.parent.iterdir()
        if pattern.match(p.name) and not p.is_symlink() and (p.is_dir() or p.is_file())
    )


def _remove(path: Path) -> None:
    """Delete a staging or set-aside folder or file, as far as possible (what stays is removed by the next write)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _recover(target: Path) -> None:
    """Clean up after a writer that was killed (called with the lock held).

    A missing ``target`` with a previous export set aside (killed between the two renames of
    :func:`_swap`) gets it back; staging folders (or files) and folders set aside are then removed.
    """
    if not target.exists():
        kept = [p for p in _leftovers(target, "old") if p.is_dir()]
        if kept:
            kept[-1].rename(target)
    for path in (*_leftovers(target, "tmp"), *_leftovers(target, "old")):
        _remove(path)


def _lock_seconds(lock_timeout: object) -> float:
    """``lock_timeout`` checked: a number of seconds >= 0 (``math.inf``: wait as long as it takes), never NaN."""
    if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, numbers.Real):
        raise TypeError(f"lock_timeout must be a number of seconds, not {lock_timeout!r}")
    seconds = float(lock_timeout)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(
            f"lock_timeout must be a number of seconds >= 0 (math.inf waits as long as it takes), not {lock_timeout!r}"
        )
    return seconds


#: What to do about a write that failed with an ``OSError``, by its ``errno``.
_WRITE_HINTS = {
    errno.ENOSPC: "free some space: the new export is written beside the previous one, so both must fit",
    errno.EDQUOT: "free some space: the new export is written beside the previous one, so both must fit",
    errno.EFBIG: "free some space or raise the file size limit (ulimit -f)",
    errno.EACCES: "write to a folder you may write to (the export's parent folder must be writable)",
    errno.EPERM: "write to a folder you may write to (the export's parent folder must be writable)",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
    errno.EEXIST: "a part of the path is a file, not a folder: choose another path",
}


def _write_error(given: Path, what: str, exc: OSError, existed: bool) -> CopilotMetricsError:
    """The error of a write that failed with ``exc`` before its export was swapped in."""
    # the system's words for the error number: pyarrow and Polars word their OSErrors each their own way
    # (Polars gives no errno, only "File too large (os error 27)")
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    found = re.search(r"(?:os error|errno) ([0-9]+)", text, re.IGNORECASE)
    number = exc.errno or (int(found.group(1)) if found else 0)
    reason = os.strerror(number) if number else exc.strerror or text
    failed = f" ({exc.filename})" if exc.filename else ""
    left = f"the previous {what} is left as it was" if existed else "nothing was written there"
    return CopilotMetricsError(
        f"{given}: could not write the {what}: {reason}{failed}; {left}",
        file=str(given), hint=_WRITE_HINTS.get(number),
    )


def _cwd() -> Path | None:
    try:
        return Path.cwd().resolve()
    except OSError:  # pragma: no cover - the working folder was deleted
        return None


def _check_replaceable(
    target: Path, given: Path, what: str, ours: Callable[[tuple[str, ...], bool], bool] | None, marker: str | None
) -> None:
    """Refuse to replace an existing ``target`` that is not an export of this kind (see :func:`_replace`)."""
    if not target.exists():
        return
    if ours is None:  # a single file
        if target.is_dir():
            raise CopilotMetricsError(f"{given}: exists and is a folder, not a file", file=str(given),
                                      hint="give a file path, or a folder path without the .json suffix")
        return
    if not target.is_dir():
        raise CopilotMetricsError(f"{given}: exists and is not a folder", file=str(given))
    cwd = _cwd()
    if cwd is not None and cwd.is_relative_to(target):
        raise CopilotMetricsError(
            f"{given}: is (or holds) the current working folder; replacing it would leave this process in a "
            "deleted folder", file=str(given), hint="write to another folder",
        )
    if marker is not None and not (target / marker).is_file() and any(target.iterdir()):
        raise CopilotMetricsError(
            f"{given}: a non-empty folder that is not a copilot-metrics {what} (no {marker}); not replacing it",
            file=str(given), hint="choose a new or empty folder",
        )
    foreign = _foreign(target, ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise CopilotMetricsError(
            f"{given}: holds {len(foreign)} path(s) copilot-metrics did not write ({shown}); "
            f"not replacing the {what}, which would delete them",
            file=str(given), hint="move them out of the folder, or write to another folder",
        )


def _commit(target: Path, write: Callable[[Path], None], *, folder: bool) -> None:
    """Write the new export at a hidden sibling of ``target``, then put it in ``target``'s place in one step."""
    token = uuid.uuid4().hex[:12]
    staging = _sibling(target, "tmp", token)
    aside = _sibling(target, "old", token)
    try:
        write(staging)
        if not folder:
            staging.replace(target)  # one atomic step for a file
            return
        if not target.exists():
            staging.rename(target)
            return
        _swap(staging, target, aside)
    except BaseException:
        _remove(staging)
        raise
    _remove(aside)
    _remove(staging)  # there only if setting the old export aside after the exchange failed


def _replace(
    root: str | os.PathLike[str],
    write: Callable[[Path, Path | None], None],
    *,
    what: str,
    ours: Callable[[tuple[str, ...], bool], bool] | None,
    lock_timeout: float,
    marker: str | None = None,
) -> Path:
    """The transaction every writer runs: write the new export beside ``root``, then swap it in, in one step.

    ``write(staging, previous)`` writes the whole export at ``staging`` (a folder it creates, or
    the file itself when ``ours`` is None: a single-file export); ``previous`` is ``root``
    resolved when it already holds an export, else None.  With the lock of the parent folder
    held (:func:`_locked`): what a killed writer left is cleaned up (:func:`_recover`); an
    existing ``root`` is checked (a folder is replaced only when every path in it is one
    ``ours(parts, is_file)`` accepts, and, with ``marker``, only when it holds that file or
    nothing); the export is written at a hidden sibling and swapped in (:func:`_swap`;
    ``os.replace`` for a file); the previous one is deleted.

    A failure or a killed process before the swap leaves ``root`` as it was (the next write
    removes the hidden sibling of a killed one).  An ``OSError`` (no space, no permission, a name
    too long, a path through a file) becomes a :class:`~copilot_metrics.errors.CopilotMetricsError`
    naming ``root`` and the path that failed, and saying that the previous export is untouched.
    """
    seconds = _lock_seconds(lock_timeout)
    given = Path(root)
    try:
        target = given.resolve()  # a symbolic link to an export: replace what it points to
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links (Python < 3.13)
        raise CopilotMetricsError(f"{given}: cannot resolve the path ({exc})", file=str(given)) from exc
    if target.parent == target:
        raise CopilotMetricsError(f"{given}: cannot write a {what} at a file system root", file=str(given))
    existed = False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target.parent, seconds):
            _recover(target)
            existed = target.exists()
            _check_replaceable(target, given, what, ours, marker)
            previous = target if existed else None
            _commit(target, lambda staging: write(staging, previous), folder=ours is not None)
    except OSError as exc:
        raise _write_error(given, what, exc, existed) from exc
    return given


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

    Notes
    -----
    Writers take turns: the whole call (reading the old dataset to merge included) holds an
    exclusive ``flock`` on the parent folder of ``root``, so two processes merging into the same
    dataset both land, one after the other (the lock is released by the kernel if a writer dies;
    not available on Windows).  The dataset is written into a hidden sibling folder
    ``.{name}.tmp-<token>`` (named after a digest of the name when the name is too long to
    extend); only when every file is written is it swapped in for the old one in one atomic step
    (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, see :func:`_swap`), and the
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
    if mode not in ("overwrite", "merge"):
        raise CopilotMetricsError(f"mode must be 'overwrite' or 'merge', not {mode!r}")

    def write(staging: Path, previous: Path | None) -> None:
        data = ds
        if mode == "merge" and previous is not None and _is_dataset(previous):
            data = archive.merge_into(read_parquet(previous), ds)
        _write_all(data, staging)

    return _replace(root, write, what="Parquet dataset", ours=_ours, marker=MANIFEST, lock_timeout=lock_timeout)


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


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: The paths a manifest of format 3 may list under ``files``.
_LISTED_RE = re.compile(
    rf"(?:(?:{'|'.join(re.escape(name) for name in (*TABLES, *SIDE_TABLES))})/part-[0-9]{{5}}\.parquet"
    rf"|{_VALIDATION_DIR}/(?:errors|unknown_fields)\.parquet)\Z"
)
_SHA256_RE = re.compile(r"[0-9a-f]{64}\Z")


def _bad_manifest(path: Path, json_path: str, expected: str, value: Any) -> CopilotMetricsError:
    return CopilotMetricsError(
        f"{path}: {json_path}: expected {expected}, found {_short(value)}",
        file=str(path), json_path=json_path, hint=_DAMAGED,
    )


def _manifest(root: Path) -> dict[str, Any]:
    """The dataset's manifest, its shape checked (what reading relies on)."""
    path = root / MANIFEST
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise CopilotMetricsError(
            f"{path}: the dataset's manifest is not JSON ({exc})", file=str(path), json_path="$", hint=_DAMAGED,
        ) from exc
    except OSError as exc:
        raise CopilotMetricsError(
            f"{path}: cannot read the dataset's manifest ({exc.strerror or exc})", file=str(path),
        ) from exc
    if not isinstance(manifest, dict):
        raise _bad_manifest(path, "$", "an object", manifest)
    fmt = manifest.get("format", 1)
    if not _is_count(fmt) or fmt < 1:
        raise _bad_manifest(path, "$.format", "a layout format number", fmt)
    if fmt > _FORMAT:
        raise CopilotMetricsError(
            f"{root}: written in layout format {manifest['format']} by copilot-metrics {manifest.get('version')}; "
            f"this version reads formats up to {_FORMAT}",
            file=str(root), hint="upgrade copilot-metrics",
        )
    rows = manifest.get("rows", {})
    if not isinstance(rows, dict):
        raise _bad_manifest(path, "$.rows", "an object of row counts", rows)
    for name in _all_tables():
        if name in rows and not _is_count(rows[name]):
            raise _bad_manifest(path, f"$.rows.{name}", "a row count", rows[name])
        if fmt >= 3 and name in _stored(fmt) and name not in rows:
            raise CopilotMetricsError(
                f"{path}: $.rows: no row count for table {name!r}", file=str(path), json_path="$.rows",
                table=name, hint=_DAMAGED,
            )
    files = manifest.get("files")
    if files is not None:
        if not isinstance(files, dict):
            raise _bad_manifest(path, "$.files", "an object of the files written", files)
        for listed, entry in files.items():
            at = f"$.files[{orjson.dumps(listed).decode()}]"
            if not _LISTED_RE.match(listed):
                raise _bad_manifest(path, at, "a file of the dataset's layout", listed)
            if not (isinstance(entry, dict) and _is_count(entry.get("rows"))
                    and isinstance(entry.get("sha256"), str) and _SHA256_RE.match(entry["sha256"])):
                raise _bad_manifest(path, at, "an object with the file's rows and sha256", entry)
    validation = manifest.get("validation", {})
    if not isinstance(validation, dict) or not all(_is_count(validation.get(k, 0)) for k in ("days_checked",
                                                                                           "days_valid")):
        raise _bad_manifest(path, "$.validation", "an object of day counts", validation)
    meta = manifest.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise _bad_manifest(path, "$.meta", "an object", meta)
    if fmt < 3:
        partitioning = manifest.get("partitioning", {})
        digests = partitioning.get("digests", {}) if isinstance(partitioning, dict) else None
        if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
            raise _bad_manifest(path, "$.partitioning.digests", "an object of folder values and labels", digests)
    return manifest


#: What to do about a dataset whose files disagree with its manifest.
_DAMAGED = (
    "the dataset was changed after it was written: restore it from a backup, or write it again from its sources"
)


def _disagrees(base: Path, table: str, files: list[str], what: str) -> CopilotMetricsError:
    """A table's files disagree with the manifest (``files`` relative to ``base``)."""
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return CopilotMetricsError(
        f"{base}: table {table!r}: {what} ({shown or f'no file in {table}/'})",
        file=str(base / (files[0] if files else table)), table=table, hint=_DAMAGED,
    )


def _footer_rows(path: Path, table: str, schema: pl.Schema, *, exact: bool) -> int:
    """The rows of one Parquet file, once its footer shows it holds ``table``'s columns with their dtypes.

    ``exact`` (layout format 3): the columns are ``schema``'s, in order, and nothing else, and a
    footer naming its table names ``table``; otherwise (formats 1 and 2) every column of
    ``schema`` is there with its dtype.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as footer:
            arrow, rows = footer.schema_arrow, int(footer.metadata.num_rows)
        found = pl.DataFrame(arrow.empty_table()).schema
    except (OSError, ValueError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        raise CopilotMetricsError(
            f"{path}: table {table!r}: not a readable Parquet file ({exc})", file=str(path), table=table,
            hint=_DAMAGED,
        ) from exc
    written_for = (arrow.metadata or {}).get(b"copilot_metrics.table")
    if exact and written_for is not None and written_for != table.encode():
        raise CopilotMetricsError(
            f"{path}: a file of table {written_for.decode(errors='replace')!r} in the folder of table {table!r}",
            file=str(path), table=table, hint=_DAMAGED,
        )
    for column, dtype in schema.items():
        if column not in found:
            raise CopilotMetricsError(
                f"{path}: table {table!r}: column {column!r} is missing", file=str(path), table=table,
                column=column, hint=_DAMAGED,
            )
        if found[column] != dtype:
            raise CopilotMetricsError(
                f"{path}: table {table!r}: column {column!r} is {found[column]}, expected {dtype}", file=str(path),
                table=table, column=column, hint=_DAMAGED,
            )
    extra = [column for column in found if column not in schema]
    if exact and extra:
        raise CopilotMetricsError(
            f"{path}: table {table!r}: columns the table does not have: {', '.join(extra)}", file=str(path),
            table=table, column=extra[0], hint=_DAMAGED,
        )
    return rows


def _parquet_files(base: Path, table: str) -> list[str]:
    """The Parquet files an engine reads in a table's folder (none hidden), relative to ``base``, sorted."""
    folder = base / table
    if not folder.is_dir():
        return []
    return sorted(
        p.relative_to(base).as_posix() for p in folder.rglob("*.parquet")
        if p.is_file() and not any(s.startswith(("_", ".")) for s in p.relative_to(folder).parts)
    )


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
    for name in _stored(manifest["format"]):
        present = _parquet_files(base, name)
        if listed is not None:
            expected = sorted(k for k in listed if k.startswith(f"{name}/"))
        else:
            expected = [k for k in present if _PART_RE.match(k.removeprefix(f"{name}/"))]
        missing = [k for k in expected if k not in present]
        if missing:
            raise _disagrees(base, name, missing, f"{len(missing)} file(s) listed in {MANIFEST} are missing")
        stray = [k for k in present if k not in expected]
        if stray:
            raise _disagrees(base, name, stray, f"{len(stray)} Parquet file(s) that {MANIFEST} does not list, "
                                                "whose rows other engines would read")
        total = 0
        for rel in expected:
            rows = _footer_rows(base / rel, name, table_schema(name), exact=True)
            if listed is not None:
                _check_listed(base, name, rel, rows, listed[rel])
            total += rows
        if total != counts[name]:
            raise _disagrees(base, name, expected, f"its files hold {total} rows, {MANIFEST} counts {counts[name]}")
        out[name] = [base / rel for rel in expected]
    return out


def _check_listed(base: Path, table: str, rel: str, rows: int, entry: dict[str, Any]) -> None:
    """One file against its entry in the manifest: its rows, then the SHA-256 of its bytes."""
    if rows != entry["rows"]:
        raise _disagrees(base, table, [rel], f"a file holds {rows} rows, {MANIFEST} lists it with {entry['rows']}")
    if _sha256(base / rel) != entry["sha256"]:
        raise _disagrees(base, table, [rel], f"a file's bytes are not those written (its SHA-256 differs from "
                                             f"the one in {MANIFEST}): it was changed or replaced")


def _verified_legacy(base: Path, manifest: dict[str, Any]) -> dict[str, list[tuple[Path, tuple[str | None, ...]]]]:
    """Each table's files of a format-1 or format-2 dataset, once their columns and the manifest's row counts agree."""
    digests = manifest.get("partitioning", {}).get("digests", {})
    counts = manifest.get("rows", {})
    out = {}
    for name in _stored(manifest.get("format", 1)):
        folder = base / name
        files = _files(folder, digests) if folder.is_dir() else []
        schema = pl.Schema({c: t for c, t in table_schema(name).items() if not (name in TABLES and c in SCOPE)})
        total = sum(_footer_rows(path, name, schema, exact=False) for path, _ in files)
        if name in counts and total != counts[name]:
            raise _disagrees(base, name, [str(p.relative_to(base)) for p, _ in files],
                             f"its files hold {total} rows, {MANIFEST} counts {counts[name]}")
        out[name] = files
    return out


def _verified_validation(base: Path, manifest: dict[str, Any]) -> None:
    """The two files of ``_validation/``, checked like a table's (they may be absent from formats 1 and 2)."""
    listed: dict[str, Any] | None = manifest.get("files")
    exact = manifest.get("format", 1) >= 3
    for file, schema in (("errors.parquet", ERROR_SCHEMA), ("unknown_fields.parquet", UNKNOWN_SCHEMA)):
        rel = f"{_VALIDATION_DIR}/{file}"
        if not (base / rel).is_file():
            if listed is not None and rel in listed:
                raise _disagrees(base, _VALIDATION_DIR, [rel], f"1 file listed in {MANIFEST} is missing")
            continue
        rows = _footer_rows(base / rel, _VALIDATION_DIR, schema, exact=exact)
        if listed is not None and rel in listed:
            _check_listed(base, _VALIDATION_DIR, rel, rows, listed[rel])


def _scan_table(name: str, paths: list[Path]) -> pl.LazyFrame:
    """One table of a format-3 dataset: its ``part-NNNNN.parquet`` files in order."""
    schema = table_schema(name)
    if not paths:
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet([str(p) for p in paths], hive_partitioning=False).select(schema.names()).cast(schema)


def _scan_legacy_table(name: str, folder: Path, files: list[tuple[Path, tuple[str | None, ...]]]) -> pl.LazyFrame:
    """One table of a format-1 or format-2 dataset (scope in hive folder names; see the module docstring)."""
    schema = table_schema(name)
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


def _open(root: str | os.PathLike[str]) -> tuple[Path, dict[str, Any], dict[str, pl.LazyFrame], dict[str, list[Path]]]:
    """A dataset's folder, manifest, lazy tables and their files, once every file agrees with the manifest."""
    base = _dataset_root(Path(root))
    manifest = _manifest(base)
    if manifest.get("format", 1) >= 3:
        files = _verified(base, manifest)
        lazy = {name: _scan_table(name, paths) for name, paths in files.items()}
    else:
        legacy = _verified_legacy(base, manifest)
        lazy = {name: _scan_legacy_table(name, base / name, found) for name, found in legacy.items()}
        files = {name: [path for path, _ in found] for name, found in legacy.items()}
    for name in _all_tables():  # a side table the layout does not store (versions before format 4): empty
        lazy.setdefault(name, pl.LazyFrame(schema=table_schema(name)))
        files.setdefault(name, [])
    lazy = {name: lazy[name] for name in _all_tables()}
    _verified_validation(base, manifest)
    return base, manifest, lazy, files


def _unreadable(base: Path, table: str, paths: list[Path], exc: Exception) -> CopilotMetricsError:
    shown = ", ".join(str(p.relative_to(base)) for p in paths[:5]) + (" and more" if len(paths) > 5 else "")
    return CopilotMetricsError(
        f"{base}: table {table!r}: its files cannot be read ({type(exc).__name__}: {exc}) ({shown})",
        file=str(paths[0] if paths else base / table), table=table, hint=_DAMAGED,
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


def _check_contracts(base: Path, ds: Dataset) -> None:
    """Run the tables' contracts on a dataset read back; a failure names the table's folder."""
    try:
        enforce(ds, "raise")
    except ContractError as exc:
        folder = base / exc.table if exc.table else base
        raise ContractError(
            f"{folder}: {exc.message}", failure_cases=exc.failure_cases, file=str(folder), table=exc.table,
            column=exc.column, key=exc.key,
            hint="its files were edited after they were written, or it was written from a load with "
            "contracts=False; read_parquet(root, contracts=False) reads it as it is",
        ) from exc


def scan_parquet(root: str | os.PathLike[str]) -> dict[str, pl.LazyFrame]:
    """Lazy frames over every table of a dataset written by :func:`write_parquet`, for data larger than memory.

    Before anything is returned, the dataset is checked as :func:`read_parquet` checks it (every
    file against the manifest: presence, rows, SHA-256, columns and dtypes); the contracts are
    not run (they need the rows: use :func:`read_parquet`).

    Returns
    -------
    dict of str to LazyFrame
        The ten data tables, then ``sources``, ``findings``, ``conflicts``, ``quarantine``,
        ``versions`` (empty for a layout before format 4); each with its declared schema
        (columns in order).  Filters on the scope columns or ``date``
        skip the row groups whose statistics exclude them (in a dataset of format 1 or 2, the
        partitions).

    Raises
    ------
    CopilotMetricsError
        As :func:`read_parquet`.
    """
    return _open(root)[2]


def read_parquet(root: str | os.PathLike[str], *, contracts: bool = True) -> Dataset:
    """Read a dataset written by :func:`write_parquet`: every table equal to what was written.

    Tables have their declared dtypes and rows in written order.  Datasets of the earlier layouts
    (formats 1 and 2, written by copilot-metrics 0.1.0) are read too, rows by partition (scope,
    then month, nulls first); writing the result rewrites one in the current layout.
    ``validation`` and ``meta`` are restored from ``_validation/`` and the manifest (``meta`` as
    JSON: dates become strings).

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
    validation = base / _VALIDATION_DIR
    counts = manifest.get("validation", {})

    def read(name: str, schema: pl.Schema) -> pl.DataFrame:
        path = validation / name
        if not path.is_file():
            return schema.to_frame()
        try:
            return pl.read_parquet(path).select(schema.names()).cast(schema)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _unreadable(base, _VALIDATION_DIR, [path], exc) from exc

    report = ValidationReport(
        read("errors.parquet", ERROR_SCHEMA), read("unknown_fields.parquet", UNKNOWN_SCHEMA),
        int(counts.get("days_checked", 0)), int(counts.get("days_valid", 0)),
    )
    ds = Dataset(
        {name: frames[name] for name in TABLES},
        frames["sources"], frames["quarantine"], frames["findings"], frames["conflicts"], report,
        dict(manifest.get("meta") or {}), versions=frames["versions"],
    )
    if contracts:
        _check_contracts(base, ds)
    return ds


# ---------------------------------------------------------------- CSV


#: First characters that make a spreadsheet run a cell as a formula (or hide that it is one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _csv_ours(parts: tuple[str, ...], is_file: bool) -> bool:
    """Whether a path in a folder (``parts`` relative to it) is one :func:`write_csv` writes."""
    return len(parts) == 1 and is_file and parts[0] in {f"{name}.csv" for name in _all_tables()}


def write_csv(ds: Dataset, folder: str | os.PathLike[str], *, lock_timeout: float = 600.0) -> list[Path]:
    """Write one CSV per table (``{folder}/{table}.csv``), for spreadsheet users, atomically.

    Columns as declared; dates ISO ``YYYY-MM-DD``; nulls are empty cells.  List columns become
    text: ``shape`` joined with ``|`` (``copilot_ide_chat:null|models:absent``), ``reasons`` of
    ``quarantine`` joined with a newline.

    Text that a spreadsheet would run as a formula is neutralised: a text cell (a label such as
    an editor, model, language, repository or scope name, a source path, ...) starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in front
    (``=1+1`` is written ``'=1+1``), and so does one already starting with ``'``, so that
    removing one leading ``'`` from the text cells that start with it gives every label back
    exactly.  Numbers and dates are written as they are.

    The folder is written as :func:`write_parquet` writes a dataset: the files are written into a
    hidden sibling folder, then swapped in for the old folder in one step, with the same lock
    (``lock_timeout``), so a failure, a full disk or a killed process leaves the previous CSV files
    as they were.  An existing folder is replaced only if it is empty or holds only the files
    this function writes; otherwise nothing is written and a
    :class:`~copilot_metrics.errors.CopilotMetricsError` names the files in the way.

    Returns
    -------
    list of Path
        The files written, in table order.

    Raises
    ------
    CopilotMetricsError
        The folder holds other files, another writer holds the lock past ``lock_timeout``, or the
        file system refused a write (the message names the folder and the path that failed; the
        previous files are left as they were).
    """
    names = _all_tables()

    def write(staging: Path, _previous: Path | None) -> None:
        staging.mkdir()
        for name in names:
            frame = conform(name, ds.tables[name] if name in TABLES else _side_frame(ds, name))
            frame = frame.with_columns(
                pl.col(c).list.join("\n" if c == "reasons" else "|")
                for c, t in frame.schema.items()
                if isinstance(t, pl.List)
            )
            text = [c for c, t in frame.schema.items() if t == pl.String]
            frame = frame.with_columns(_neutralised(c) for c in text)
            with _naming(staging / f"{name}.csv"):
                frame.write_csv(staging / f"{name}.csv")

    out = _replace(folder, write, what="CSV export", ours=_csv_ours, lock_timeout=lock_timeout)
    return [out / f"{name}.csv" for name in names]


def _neutralised(column: str) -> pl.Expr:
    """A text column with ``'`` put in front of every value a spreadsheet would take for a formula."""
    risky = pl.any_horizontal(pl.col(column).str.starts_with(start) for start in _FORMULA_START)
    return pl.when(risky).then(pl.lit("'") + pl.col(column)).otherwise(pl.col(column)).alias(column)
