"""CSV for spreadsheet users: one file per table, cells a spreadsheet would run neutralised.

:func:`write_csv` writes ``{folder}/{table}.csv`` for the ten tables and the side tables, in the
folder transaction of every writer (:mod:`copilot_metrics.export._atomic`).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from copilot_metrics.dataset import Dataset
from copilot_metrics.export._atomic import naming, replace
from copilot_metrics.export._files import all_tables, conformed
from copilot_metrics.successor.registry import Privacy

__all__ = ["write_csv"]

#: First characters that make a spreadsheet run a cell as a formula (or hide that it is one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _ours(parts: tuple[str, ...], is_file: bool) -> bool:
    """Whether a path in a folder (``parts`` relative to it) is one :func:`write_csv` writes."""
    return len(parts) == 1 and is_file and parts[0] in {f"{name}.csv" for name in all_tables()}


def _neutralised(column: str) -> pl.Expr:
    """A text column with ``'`` put in front of every value a spreadsheet would take for a formula."""
    risky = pl.any_horizontal(pl.col(column).str.starts_with(start) for start in _FORMULA_START)
    return pl.when(risky).then(pl.lit("'") + pl.col(column)).otherwise(pl.col(column)).alias(column)


#: List columns written joined (``shape`` with ``|``, ``reasons`` with a newline); any other list is JSON text.
_JOINED = {"shape": "|", "reasons": "\n"}


def _json_text(column: str) -> pl.Expr:
    """A list column as JSON text (``["a.json", "b.json"]`` as ``["a.json","b.json"]``, dates ISO); null stays null."""
    prefix = f'{{"{column}":'
    text = pl.struct(column).struct.json_encode().str.strip_prefix(prefix).str.strip_suffix("}")
    return pl.when(pl.col(column).is_not_null()).then(text).alias(column)


def _as_text(name: str, frame: pl.DataFrame, privacy: Privacy | None = None) -> pl.DataFrame:
    """A table as its CSV cells: declared columns, list columns joined, formula-like text neutralised."""
    frame = conformed(name, frame, privacy)
    frame = frame.with_columns(
        (pl.col(c).list.join(_JOINED[c]) if c in _JOINED else _json_text(c))
        for c, t in frame.schema.items()
        if isinstance(t, pl.List)
    )
    return frame.with_columns(_neutralised(c) for c, t in frame.schema.items() if t == pl.String)


def write_csv(ds: Dataset, folder: str | os.PathLike[str], *, lock_timeout: float = 600.0) -> list[Path]:
    """Write one CSV per table (``{folder}/{table}.csv``), for spreadsheet users, atomically.

    Every table of the dataset: the ten legacy tables, the side tables (``sources``, ``findings``,
    ``conflicts``, ``quarantine``, ``versions``, ``report_versions``), every successor table
    (``agg_days.csv``, ..., ``user_days.csv``, ...; a header only when no report was loaded) and
    the reports' side tables (``reports``, ``schema_drift``, ``user_logins``).  Columns as
    declared; dates ISO ``YYYY-MM-DD``; timestamps ISO 8601; nulls are empty cells.  List columns
    become text: ``shape`` joined with ``|`` (``copilot_ide_chat:null|models:absent``),
    ``reasons`` of ``quarantine`` joined with a newline, any other list (``reports``'
    ``shard_sources``, ``wrappers_json``, ``wrapper_days``) as JSON text
    (``["a.json","b.json"]``, ``[["2026-05-01","2026-05-02"]]``).  A pseudonymized dataset's
    successor tables are written in their pseudonymized form (``user_pid``, no login).

    Text that a spreadsheet would run as a formula is neutralised: a text cell (a label such as
    an editor, model, language, repository or scope name, a source path, ...) starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in front
    (``=1+1`` is written ``'=1+1``), and so does one already starting with ``'``, so that
    removing one leading ``'`` from the text cells that start with it gives every label back
    exactly.  Numbers and dates are written as they are.

    The folder is written as :func:`~copilot_metrics.export.parquet.write_parquet` writes a
    dataset: the files are written into a hidden sibling folder, then swapped in for the old
    folder in one step, with the same lock (``lock_timeout``), so a failure, a full disk or a
    killed process leaves the previous CSV files as they were.  An existing folder is replaced
    only if it is empty or holds only the files this function writes; otherwise nothing is
    written and a :class:`~copilot_metrics.errors.CopilotMetricsError` names the files in the way.

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
    names = all_tables()

    def write(staging: Path, _previous: Path | None) -> None:
        staging.mkdir()
        for name in names:
            frame: pl.DataFrame = ds.tables[name] if name in ds.tables else getattr(ds, name)
            with naming(staging / f"{name}.csv"):
                _as_text(name, frame, ds.privacy).write_csv(staging / f"{name}.csv")

    out = replace(folder, write, what="CSV export", ours=_ours, lock_timeout=lock_timeout)
    return [out / f"{name}.csv" for name in names]
