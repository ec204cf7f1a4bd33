"""Verdicts and texts of validation pinned where a mutation run found them unchecked.

A mutation run (mutmut, issue 10 §5) changed ``validation.py`` one operator, constant or argument
at a time; each test here pins what a user sees (a day's verdict, an error row, the report's text)
that one of those changes altered while the rest of the suite still passed. Expected values are
written out by hand from the inputs built here.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

import copilot_metrics as cm
from copilot_metrics.batch import process_batch
from copilot_metrics.sources import SourceRef
from copilot_metrics.validation import TEXT_LIMIT, ValidationReport, check_days


def payload(*days: dict[str, Any]) -> bytes:
    return json.dumps(list(days)).encode()


def error_row(index: int) -> dict[str, Any]:
    return {
        "source": "a.json",
        "day_index": index,
        "date": "2024-06-24",
        "json_path": f"$[{index}].date",
        "rule": "format",
        "value": '"x"',
        "message": "'x' is not a 'date'",
    }


# ----------------------------------------------------------------------------- long texts are cut at TEXT_LIMIT


def test_a_value_whose_json_text_is_exactly_the_limit_is_kept_whole() -> None:
    text = "x" * (TEXT_LIMIT - 2)  # with its two quotes, the JSON text is TEXT_LIMIT characters long
    report = cm.validate(payload({"date": "2024-06-24", "total_active_users": text}))
    assert report.errors["value"].to_list() == [f'"{text}"']
    message = f"'{text}' is not of type 'integer'"
    assert report.errors["message"].to_list() == [message[: TEXT_LIMIT - 1] + "…"]


def test_a_value_one_character_over_the_limit_is_cut_with_an_ellipsis() -> None:
    text = "y" * (TEXT_LIMIT - 1)
    report = cm.validate(payload({"date": "2024-06-24", "total_active_users": text}))
    (value,) = report.errors["value"].to_list()
    assert value == '"' + "y" * (TEXT_LIMIT - 2) + "…"
    assert len(value) == TEXT_LIMIT


# ----------------------------------------------------------------------------- the report's text


def test_a_report_lists_twenty_errors_and_counts_the_rest() -> None:
    report = ValidationReport.from_rows([error_row(i) for i in range(21)], [], days_checked=21, days_valid=0)
    lines = str(report).split("\n")
    assert lines[0] == "0 of 21 day(s) valid, 21 error(s), 0 unknown field(s) kept"
    assert lines[1:21] == [f"  a.json: $[{i}].date: 'x' is not a 'date' [format]" for i in range(20)]
    assert lines[21:] == ["  ... and 1 more (see .errors)"]


def test_a_report_with_exactly_twenty_errors_has_no_more_line() -> None:
    report = ValidationReport.from_rows([error_row(i) for i in range(20)], [], days_checked=20, days_valid=0)
    lines = str(report).split("\n")
    assert len(lines) == 21
    assert lines[-1] == "  a.json: $[19].date: 'x' is not a 'date' [format]"


def test_repr_is_the_first_line_in_angle_brackets() -> None:
    good = ValidationReport.from_rows([], [], days_checked=2, days_valid=2)
    assert repr(good) == "<ValidationReport 2 of 2 day(s) valid, 0 error(s), 0 unknown field(s) kept>"
    bad = ValidationReport.from_rows([error_row(0), error_row(1)], [], days_checked=2, days_valid=0)
    assert repr(bad) == "<ValidationReport 0 of 2 day(s) valid, 2 error(s), 0 unknown field(s) kept>"


# ----------------------------------------------------------------------------- a day too deep to report error by error


def test_a_day_too_deep_to_report_gets_one_depth_error_row() -> None:
    text = '{"date":"2024-06-24","copilot_ide_chat":' + "[" * 1020 + "]" * 1020 + "}"
    report = cm.validate(f"[{text}]".encode())
    assert (report.days_checked, report.days_valid, report.ok) == (1, 0, False)
    assert report.errors.drop("source").rows() == [
        (0, "2024-06-24", "$[0]", "depth", "null", "nested too deep to report its errors one by one"),
    ]


# ----------------------------------------------------------------------------- check_days: verdicts, strict flags, rows


def test_check_days_numbers_paths_from_dollar_by_default_and_flags_strict_days() -> None:
    plain = {"date": "2024-06-24", "total_active_users": 3}
    extra = {"date": "2024-06-25", "surprise": 1}
    bad = {"date": "x"}
    check = check_days([plain, extra, bad], "x.json")
    assert check.valid == [True, True, False]
    # only the day without an unknown key passes the strict variant
    assert check.strict == [True, False, False]
    assert check.has_unknown == [False, True, False]
    assert check.errors == [
        {
            "source": "x.json",
            "day_index": 2,
            "date": "x",
            "json_path": "$[2].date",
            "rule": "format",
            "value": '"x"',
            "message": "'x' is not a 'date'",
        }
    ]
    assert check.unknown == [{"source": "x.json", "day_index": 1, "date": "2024-06-25", "json_path": "$[1].surprise"}]


def test_unknown_keys_are_reported_with_their_source_for_valid_days_only() -> None:
    good = {"date": "2024-06-24", "surprise": 1, "copilot_ide_chat": {"total_engaged_users": 1, "odd": 2}}
    bad = {"date": "x", "surprise": 2}  # an invalid day's unknown key is not reported: the day is not kept
    report = cm.validate(payload(good, bad))
    assert (report.days_checked, report.days_valid) == (2, 1)
    assert report.unknown_fields.rows() == [
        ("<bytes #1>", 0, "2024-06-24", "$[0].surprise"),
        ("<bytes #1>", 0, "2024-06-24", "$[0].copilot_ide_chat.odd"),
    ]
    assert report.errors.rows() == [("<bytes #1>", 1, "x", "$[1].date", "format", '"x"', "'x' is not a 'date'")]


class _Rejects:
    """A stand-in compiled validator rejecting the days whose ``total_active_users`` is 7."""

    def is_valid(self, day: Any) -> bool:
        return day.get("total_active_users") != 7


class _RejectsAll:
    def is_valid(self, day: Any) -> bool:  # noqa: ARG002 - the strict variant passes nothing here
        return False


def test_a_day_the_compiled_validator_alone_rejects_is_invalid_with_a_schema_row() -> None:
    # the day is valid for jsonschema, so the reporter names no error: the row says why it is refused
    validators = (_Rejects(), _RejectsAll())
    days = [{"date": "2024-06-24", "total_active_users": 3}, {"date": "2024-06-25", "total_active_users": 7}]
    check = check_days(days, "y.json", "$.days", validators=validators)
    assert check.valid == [True, False]
    assert check.errors == [
        {
            "source": "y.json",
            "day_index": 1,
            "date": "2024-06-25",
            "json_path": "$.days[1]",
            "rule": "schema",
            "value": "null",
            "message": "rejected by the compiled validator",
        }
    ]
    # the batch step of load: the day is set aside with that reason, the other one flattened
    read = process_batch([SourceRef("y.json", data=payload(*days))], validators=validators)
    assert read.read.select("days", "days_valid", "status").rows() == [(2, 1, "loaded with quarantined days")]
    assert read.errors.drop("source").rows() == [
        (1, "2024-06-25", "$[1]", "schema", "null", "rejected by the compiled validator"),
    ]
    assert read.quarantine.select("day_index", "reasons").rows() == [(1, ["$[1]: rejected by the compiled validator"])]
    assert read.tables["days"]["total_active_users"].to_list() == [3]


# ----------------------------------------------------------------------------- ValidationReport.from_rows


ERROR_COLUMNS = {
    "source": pl.String,
    "day_index": pl.Int64,
    "date": pl.String,
    "json_path": pl.String,
    "rule": pl.String,
    "value": pl.String,
    "message": pl.String,
}


def test_error_rows_without_a_day_keep_the_declared_column_types() -> None:
    # a file that is not an export: no day, no date, no value; the columns are still typed, not Null
    row = {
        "source": "b.json",
        "day_index": None,
        "date": None,
        "json_path": "$",
        "rule": "format:unknown-object",
        "value": None,
        "message": "not an export",
    }
    report = ValidationReport.from_rows([row], [], days_checked=0, days_valid=0)
    assert dict(report.errors.schema) == ERROR_COLUMNS
    assert report.errors.rows() == [("b.json", None, None, "$", "format:unknown-object", None, "not an export")]
    not_export = cm.validate(b'{"not": 1}')
    assert dict(not_export.errors.schema) == ERROR_COLUMNS
    assert not_export.errors.select("day_index", "date", "json_path", "value").rows() == [(None, None, "$", None)]
