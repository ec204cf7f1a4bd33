"""Validating days against the published schema, collecting every error.

The fast path checks each day with a validator compiled from the shipped schema
(``jsonschema-rs``); only a day that fails it is re-checked with ``jsonschema``, which names
every error with its JSON path, offending value and rule.  Both validators are built from the
same schema file and agree on which days are valid (tested).  A day whose keys the schema does
not know is valid: each such key is reported as ``unknown_field`` (severity ``info``) and kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import polars as pl
import pyarrow as pa

from copilot_metrics import _schema
from copilot_metrics.sidetables import error_row, frame_of, unknown_row
from copilot_metrics.tables import ERROR_SCHEMA, UNKNOWN_SCHEMA

__all__ = ["DayCheck", "Rows", "ValidationReport", "check_days"]


def series(name: str, values: Sequence[Any], dtype: pl.DataType) -> pl.Series:
    """A column of Python values; a list of strings column is built by Arrow.

    Polars builds a list column from Python lists one inner list at a time, at about 5 KB a row
    while it runs (500 MB for the ``shape`` of 100,000 days); Arrow converts them in one pass.
    """
    if dtype == pl.List(pl.String):
        return pl.Series(name, pa.array(values, type=pa.large_list(pa.large_string())))
    return pl.Series(name, values, dtype=dtype)


class Rows:
    """Rows of a report table (errors, unknown fields, quarantine, sources) kept column by column.

    A dict per row costs about 400 bytes beyond its values; here a row costs one list slot per
    column, and every :data:`FLUSH_ROWS` rows the lists are moved to a Polars frame (the values
    as Polars holds them, with no Python object each), so that a file of a million bad days
    holds its report as frames, not as Python rows.

    >>> rows = Rows(pl.Schema({"n": pl.Int64, "tags": pl.List(pl.String)}))
    >>> rows.append(1, ["a"])
    >>> rows.append(2, None)
    >>> rows.frame().rows(), len(rows), rows.dicts()[1]
    ([(1, ['a']), (2, None)], 2, {'n': 2, 'tags': None})
    """

    __slots__ = ("columns", "frames", "schema")

    #: Rows kept as Python values before they are moved to a frame.
    FLUSH_ROWS = 65_536

    def __init__(self, schema: pl.Schema) -> None:
        self.schema = schema
        self.columns: list[list[Any]] = [[] for _ in schema]
        self.frames: list[pl.DataFrame] = []

    def __len__(self) -> int:
        return len(self.columns[0]) + sum(frame.height for frame in self.frames)

    def append(self, *values: Any) -> None:
        """Add one row, its values in the schema's column order."""
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)
        if len(self.columns[0]) >= self.FLUSH_ROWS:
            self._flush()

    def add(self, row: dict[str, Any]) -> None:
        """Add one row given as a dict with the schema's columns."""
        self.append(*(row[name] for name in self.schema))

    def extend(self, other: Rows | pl.DataFrame) -> None:
        """Add ``other``'s rows (a frame with the schema, or rows) after these; ``other`` is not changed."""
        if isinstance(other, pl.DataFrame):
            if other.height:
                self._flush()
                self.frames.append(other)
            return
        if other.frames:
            self._flush()
            self.frames.extend(other.frames)
        for column, values in zip(self.columns, other.columns, strict=True):
            column.extend(values)
        if len(self.columns[0]) >= self.FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.columns[0]:
            self.frames.append(self._lists_frame())
            self.columns = [[] for _ in self.schema]

    def _lists_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [
                series(name, values, dtype)
                for (name, dtype), values in zip(self.schema.items(), self.columns, strict=True)
            ]
        )

    def frame(self) -> pl.DataFrame:
        """The rows as a frame with the schema (its parts are not copied into one block)."""
        parts = [*self.frames, self._lists_frame()] if self.columns[0] or not self.frames else self.frames
        return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)

    def tuples(self, *names: str) -> Iterator[tuple[Any, ...]]:
        """The values of columns ``names``, row by row, in order."""
        for frame in self.frames:
            yield from frame.select(names).iter_rows()
        positions = [list(self.schema).index(name) for name in names]
        yield from zip(*(self.columns[i] for i in positions), strict=True)

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts (for a caller that wants them so; a dict per row costs memory)."""
        return [dict(zip(self.schema, row, strict=True)) for row in self.tuples(*self.schema)]


#: Longest message or value text kept in an error row; the day itself is kept whole (quarantine).
TEXT_LIMIT = 1000


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _json(value: Any) -> str:
    if isinstance(value, str) and len(value) > TEXT_LIMIT:  # cut before writing: a value may be 100 MB
        value = value[:TEXT_LIMIT]
    return _cut(_schema.json_bytes(value).decode())


@dataclass
class DayCheck:
    """The result of checking one file's days."""

    valid: list[bool]
    has_unknown: list[bool]
    error_rows: Rows = field(default_factory=lambda: Rows(ERROR_SCHEMA))
    unknown_rows: Rows = field(default_factory=lambda: Rows(UNKNOWN_SCHEMA))
    #: passed the strict variant: no unknown key, every integer within Int64
    strict: list[bool] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The error rows as dicts (columns of :data:`~copilot_metrics.tables.ERROR_SCHEMA`)."""
        return self.error_rows.dicts()

    @property
    def unknown(self) -> list[dict[str, Any]]:
        """The unknown-key rows as dicts (columns of :data:`~copilot_metrics.tables.UNKNOWN_SCHEMA`)."""
        return self.unknown_rows.dicts()


def _errors_of(day: Any, prefix: str) -> list[tuple[str, str, str, str]]:
    out = []
    try:
        for err in _schema.reporting_validator().iter_errors(day):
            path = _schema.format_path(prefix, err.absolute_path)
            out.append((path, str(err.validator), _json(err.instance), _cut(err.message)))
    except RecursionError:  # jsonschema writes the value with repr(), which stops near 1,000 levels
        out = [(prefix, "depth", "null", "nested too deep to report its errors one by one")]
    out.sort()
    return out


def _date_of(day: Any) -> str | None:
    value = day.get("date") if isinstance(day, dict) else None
    return value if isinstance(value, str) else None


def _prefix(base: str, index: int) -> str:
    return f"{base}[{index}]"


class DayValidator(Protocol):
    """A compiled validator of one day (jsonschema-rs's, or a stand-in)."""

    def is_valid(self, instance: Any) -> bool: ...


#: The validators :func:`check_days` uses: ``"installed"`` (jsonschema-rs's compiled pair when it is
#: installed), ``None`` (the reporting validator alone), or a pair ``(published, strict)``.
Validators = tuple[DayValidator, DayValidator] | Literal["installed"] | None


def check_days(
    days: Sequence[Any],
    label: str,
    base: str = "$",
    *,
    numbers: Sequence[int] | None = None,
    validators: Validators = "installed",
) -> DayCheck:
    """Check every day of one input; collect all errors and all unknown keys.

    ``numbers`` gives each day's index in its file (default: its position in ``days``), used in
    the rows' ``day_index`` and JSON paths.  ``validators``: the compiled pair that passes a day
    at once (``strict``) or says it is valid (``published``); the reporting validator names the
    errors of a day they do not pass.
    """
    fast = _schema.fast_validators() if isinstance(validators, str) else validators
    valid: list[bool] = []
    has_unknown: list[bool] = []
    check = DayCheck(valid, has_unknown)
    for position, day in enumerate(days):
        index = position if numbers is None else numbers[position]
        if fast is not None:
            published, strict = fast
            if strict.is_valid(day):
                valid.append(True)
                has_unknown.append(False)
                check.strict.append(True)
                continue
            ok = published.is_valid(day)
            errors = [] if ok else _errors_of(day, _prefix(base, index))
            if not ok and not errors:  # the two validators disagree: never silently accept
                errors = [(_prefix(base, index), "schema", _json(None), "rejected by the compiled validator")]
        else:
            errors = _errors_of(day, _prefix(base, index))
            ok = not errors
        valid.append(ok)
        check.strict.append(False)
        date = _date_of(day)
        for path, rule, value, message in errors:
            check.error_rows.append(*error_row(label, index, date, path, rule, value, message))
        unknown = _schema.unknown_keys(day) if ok else []
        has_unknown.append(bool(unknown))
        for where, extra in unknown:
            for key in extra:
                check.unknown_rows.append(
                    *unknown_row(label, index, date, _schema.format_path(_prefix(base, index), (*where, key)))
                )
    return check


@dataclass
class ValidationReport:
    """Every schema error of a set of inputs, and every key the schema does not know.

    Attributes
    ----------
    errors:
        One row per error: ``source``, ``day_index``, ``date``, ``json_path``, ``rule``
        (the JSON Schema keyword that failed, or ``format:<what the file is>`` for a file that is
        not a metrics export), ``value`` (JSON text) and ``message``.
    unknown_fields:
        One row per unknown key (allowed, kept): ``source``, ``day_index``, ``date``,
        ``json_path``.
    days_checked, days_valid:
        Counts over all inputs.
    """

    errors: pl.DataFrame
    unknown_fields: pl.DataFrame
    days_checked: int
    days_valid: int

    @property
    def ok(self) -> bool:
        """True when there is no error (unknown keys are not errors)."""
        return self.errors.height == 0

    @classmethod
    def from_rows(
        cls, errors: list[dict[str, Any]], unknown: list[dict[str, Any]], days_checked: int, days_valid: int
    ) -> ValidationReport:
        """Build a report from collected rows."""
        return cls(
            frame_of(errors, ERROR_SCHEMA),
            frame_of(unknown, UNKNOWN_SCHEMA),
            days_checked,
            days_valid,
        )

    def __str__(self) -> str:
        head = (
            f"{self.days_valid} of {self.days_checked} day(s) valid, {self.errors.height} error(s), "
            f"{self.unknown_fields.height} unknown field(s) kept"
        )
        if self.ok:
            return head
        lines = [head]
        shown = self.errors.head(20)
        for row in shown.iter_rows(named=True):
            lines.append(f"  {row['source']}: {row['json_path']}: {row['message']} [{row['rule']}]")
        if self.errors.height > shown.height:
            lines.append(f"  ... and {self.errors.height - shown.height} more (see .errors)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ValidationReport {self!s}>".splitlines()[0] + (">" if not self.ok else "")
