"""The raise-or-set-aside policy: what ``on_invalid`` does with what cannot be kept.

Two stages set days aside.  Reading (:mod:`copilot_metrics.batch`): a day failing the schema,
or holding what no table column holds (stage ``schema``), and a last line or document cut short
(stage ``format``): their rows are made here (:func:`read_row`, :func:`cut_short_row`).  The
contracts, run once on the assembled tables (:func:`enforce`): a day holding a row that breaks
one (stage ``contract``) leaves every table.  With ``on_invalid="raise"`` the first refusal
raises instead (:func:`refuse` for reading, :func:`enforce` for the contracts).

What is checked is declared elsewhere (the JSON Schema, :mod:`copilot_metrics.tables`, the
pandera models of :mod:`copilot_metrics.contracts`); this module only decides what to do with
the failures, and what each file's ``status`` in ``ds.sources`` says about them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import polars as pl

from copilot_metrics import _schema, merge
from copilot_metrics.contracts import check_table, locate
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import ContractError, CopilotMetricsError, FormatError, SchemaValidationError
from copilot_metrics.findings import contract_findings
from copilot_metrics.rebuild import rebuild_days
from copilot_metrics.sidetables import QUARANTINE_SCHEMA, State, frame_of, quarantine_row
from copilot_metrics.tables import DAY_KEY, SCOPE, TABLES
from copilot_metrics.validation import ValidationReport

__all__ = [
    "POSITIONS_SCHEMA",
    "OnInvalid",
    "cut_short_row",
    "enforce",
    "enforce_and_mark",
    "read_row",
    "read_state",
    "refuse",
    "refused_reason",
]

#: What to do with an input, a day or a row that cannot be kept.
OnInvalid = Literal["raise", "quarantine"]

#: Columns of the positions a batch returns: each date an input holds, and its copy's index.
POSITIONS_SCHEMA = pl.Schema({"source": pl.String, "date": pl.String, "day_index": pl.Int64})


# ----------------------------------------------------------------------------- reading


def read_row(
    source: str, scope: Mapping[str, str | None], index: int, day: Any, stage: str, reasons: list[str]
) -> tuple[Any, ...]:
    """A day set aside while reading, its values in the order of :data:`~copilot_metrics.tables.QUARANTINE_SCHEMA`."""
    date = day.get("date") if isinstance(day, dict) else None
    return quarantine_row(
        source, scope, index, date if isinstance(date, str) else None, stage, reasons, _schema.json_bytes(day).decode()
    )


def cut_short_row(
    source: str, scope: Mapping[str, str | None], index: int, cut: FormatError, text: str | None
) -> tuple[Any, ...]:
    """The last line or document of an input, cut short (stage ``format``), kept as its text."""
    return quarantine_row(source, scope, index, None, "format", [cut.message], text)


def read_state(days_set_aside: int) -> State:
    """``ds.sources.state`` of an input read: ``loaded``, or ``partly_quarantined``.

    :func:`copilot_metrics.merge.file_statuses` makes it ``quarantined`` when every day is set aside.
    """
    return "loaded" if days_set_aside == 0 else "partly_quarantined"


def refused_reason(error: CopilotMetricsError) -> str:
    """``ds.sources.reason`` of an input that could not be read (``refused``): what it is, or ``io``."""
    return str(getattr(error, "detected", "io"))


def refuse(format_errors: Sequence[FormatError], report: ValidationReport, on_invalid: OnInvalid) -> None:
    """With ``"raise"``, refuse what reading found: the first input that is not an export, or any schema error.

    The first :class:`~copilot_metrics.errors.FormatError` says how many more inputs were not
    exports; schema errors raise :class:`~copilot_metrics.errors.SchemaValidationError` with
    the whole report.  With ``"quarantine"``, nothing: the rows are already set aside.
    """
    if on_invalid != "raise":
        return
    if format_errors:
        first = format_errors[0]
        if len(format_errors) > 1:
            first.message += f" (and {len(format_errors) - 1} more file(s) that are not exports)"
        raise first
    if not report.ok:
        raise SchemaValidationError(report)


# ----------------------------------------------------------------------------- contracts


def enforce_and_mark(
    ds: Dataset, on_invalid: OnInvalid, *, contracts: bool = True, positions: pl.DataFrame | None = None
) -> Dataset:
    """The contracts (when ``contracts``, see :func:`enforce`), then each file's status from its days set aside."""
    if contracts:
        ds = enforce(ds, on_invalid, positions=positions)
    return dataclasses.replace(ds, sources=merge.file_statuses(ds.sources, ds.quarantine))


def enforce(ds: Dataset, on_invalid: OnInvalid, *, positions: pl.DataFrame | None = None) -> Dataset:
    """Run every table's contract on a dataset: raise, or set the offending days aside.

    ``"raise"``: the first table with failures raises :class:`~copilot_metrics.errors.ContractError`
    (every failure of that table in ``failure_cases``).  ``"quarantine"``: each day holding an
    offending row leaves every table, goes to ``quarantine`` (stage ``contract``, rebuilt as
    API JSON) and gets a finding per offending row; the returned dataset is a new one.
    ``positions`` (columns ``source``, ``date`` as text, ``day_index``) gives the index each
    kept day has in its file, the quarantined day's ``day_index`` (null for a day not in it).
    """
    bad_days: list[pl.DataFrame] = []
    found: list[pl.DataFrame] = []
    for name in TABLES:  # the legacy tables (the successor reports' are checked when they are merged)
        frame = ds.tables[name]
        failures = check_table(name, frame)
        if failures.height == 0:
            continue
        located = locate(failures, frame)
        cases = located.select(
            pl.col("table"),
            pl.col("column"),
            pl.col("check"),
            pl.col("value"),
            pl.struct(list(TABLES[name].key)).alias("key"),
            pl.col("source"),
            *DAY_KEY,
        )
        if on_invalid == "raise":
            raise _contract_error(name, failures, cases)
        value = pl.when(pl.col("value").is_not_null()).then(pl.format(" (value {})", "value")).otherwise(pl.lit(""))
        bad_days.append(
            cases.select(
                *DAY_KEY,
                "source",
                pl.format(
                    "{}: table {}, column {}: {} failed{}", "source", pl.lit(name), "column", "check", value
                ).alias("reason"),
            )
        )
        found.append(contract_findings(name, located))
    if not bad_days:
        return ds
    bad = _bad_days(pl.concat(bad_days), positions)
    return dataclasses.replace(
        ds,
        quarantine=pl.concat([ds.quarantine, _contract_rows(ds, bad)]),
        tables={
            name: frame.join(bad.select(DAY_KEY), on=DAY_KEY, how="anti", nulls_equal=True) if name in TABLES else frame
            for name, frame in ds.tables.items()
        },
        findings=pl.concat([ds.findings, *found]),
    )


def _contract_error(name: str, failures: pl.DataFrame, cases: pl.DataFrame) -> ContractError:
    """The error of table ``name``'s failures: about its rows, or (none) about the whole frame."""
    framewide = failures.filter(pl.col("row").is_null())
    if cases.height == 0 and framewide.height:
        row = framewide.row(0, named=True)
        return ContractError(
            f"table {name!r}, column {row['column']!r}: {row['check']} failed",
            failure_cases=framewide,
            table=name,
            column=row["column"],
        )
    return ContractError.from_failures(name, cases)


def _bad_days(reasons: pl.DataFrame, positions: pl.DataFrame | None) -> pl.DataFrame:
    """One row per day to set aside: its key, first source, reasons and index in that file."""
    bad = reasons.group_by(DAY_KEY, maintain_order=True).agg(
        pl.col("source").first(), pl.col("reason").unique(maintain_order=True).alias("reasons")
    )
    index = positions if positions is not None else POSITIONS_SCHEMA.to_frame()
    return (
        bad.with_columns(pl.col("date").cast(pl.String).alias("_date"))
        .join(
            index.select("source", pl.col("date").alias("_date"), pl.col("day_index").cast(pl.Int64)).unique(
                ["source", "_date"], keep="last"
            ),
            on=["source", "_date"],
            how="left",
            maintain_order="left",
        )
        .drop("_date")
    )


def _contract_rows(ds: Dataset, bad: pl.DataFrame) -> pl.DataFrame:
    """The quarantine rows (stage ``contract``) of the days in ``bad``, rebuilt as API JSON."""
    rebuilt, scopes = rebuild_days(ds.tables, only=bad.select(DAY_KEY))
    rebuilt_json = {
        (scope, d["date"]): _schema.json_bytes(d).decode() for scope, d in zip(scopes, rebuilt, strict=True)
    }
    set_aside = [
        quarantine_row(
            row["source"],
            row,
            row["day_index"],
            row["date"].isoformat(),
            "contract",
            row["reasons"],
            rebuilt_json.get((tuple(row[k] for k in SCOPE), row["date"].isoformat())),
        )
        for row in bad.to_dicts()
    ]
    return frame_of(set_aside, QUARANTINE_SCHEMA)
