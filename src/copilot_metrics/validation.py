"""Validating days against the published schema, collecting every error.

The fast path checks each day with a validator compiled from the shipped schema
(``jsonschema-rs``); only a day that fails it is re-checked with ``jsonschema``, which names
every error with its JSON path, offending value and rule.  Both validators are built from the
same schema file and agree on which days are valid (tested).  A day whose keys the schema does
not know is valid: each such key is reported as ``unknown_field`` (severity ``info``) and kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from copilot_metrics import _schema
from copilot_metrics.tables import ERROR_SCHEMA, UNKNOWN_SCHEMA

__all__ = ["DayCheck", "ValidationReport", "check_days"]




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
    errors: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    #: passed the strict variant: no unknown key, every integer within Int64
    strict: list[bool] = field(default_factory=list)


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


def check_days(days: Sequence[Any], label: str, base: str = "$") -> DayCheck:
    """Check every day of one input; collect all errors and all unknown keys."""
    fast = _schema.fast_validators()
    valid: list[bool] = []
    has_unknown: list[bool] = []
    check = DayCheck(valid, has_unknown)
    for index, day in enumerate(days):
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
            check.errors.append(
                {"source": label, "day_index": index, "date": date, "json_path": path,
                 "rule": rule, "value": value, "message": message}
            )
        unknown = _schema.unknown_keys(day) if ok else []
        has_unknown.append(bool(unknown))
        for where, extra in unknown:
            for key in extra:
                check.unknown.append(
                    {"source": label, "day_index": index, "date": date,
                     "json_path": _schema.format_path(_prefix(base, index), (*where, key))}
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
            pl.DataFrame(errors, schema=ERROR_SCHEMA, orient="row") if errors else ERROR_SCHEMA.to_frame(),
            pl.DataFrame(unknown, schema=UNKNOWN_SCHEMA) if unknown else UNKNOWN_SCHEMA.to_frame(),
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
