"""Nothing lost, nothing leaked: what issues 16 (item 4) and 17 found dropped or misnamed.

* a ``/copilot/usage`` file whose array starts with something else than an object;
* the index in its file of a day the contracts set aside;
* a row without a language name excluded with a row named ``"null"``;
* numbers orjson does not read exactly (an integer beyond 64 bits, a count written
  ``9007199254740993.0``), in unknown keys (kept verbatim) and in counts (refused);
* an NDJSON file whose last line is still being written.

Every input is built here; every expected value is worked out by hand.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

import copilot_metrics as cm

SRC = "<bytes #1>"
FIXTURES = Path(__file__).parent / "fixtures"
BIG = 123456789012345678901234567890  # past 64 bits: orjson reads it as 1.2345678901234568e+29


def usage_day(day: str) -> dict[str, Any]:
    """One day of the older /copilot/usage response."""
    return {
        "day": day,
        "total_suggestions_count": 5,
        "total_acceptances_count": 2,
        "breakdown": [{"language": "python", "editor": "vscode", "suggestions_count": 5, "acceptances_count": 2}],
    }


def lang(name: Any, suggestions: int, acceptances: int) -> dict[str, Any]:
    """A completions language row; ``name=...`` leaves the name out."""
    row: dict[str, Any] = {} if name is ... else {"name": name}
    return {
        **row,
        "total_engaged_users": 1,
        "total_code_suggestions": suggestions,
        "total_code_acceptances": acceptances,
        "total_code_lines_suggested": suggestions,
        "total_code_lines_accepted": acceptances,
    }


def completions_day(date: str, languages: list[dict[str, Any]], models: list[str] | None = None) -> dict[str, Any]:
    """A day whose completions have one editor, ``vscode``, with ``models`` (each holding ``languages``)."""
    return {
        "date": date,
        "total_active_users": 3,
        "total_engaged_users": 2,
        "copilot_ide_code_completions": {
            "total_engaged_users": 2,
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 2,
                    "models": [
                        {
                            "name": m,
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_engaged_users": 2,
                            "languages": languages,
                        }
                        for m in models or ["default"]
                    ],
                }
            ],
        },
    }


def plain_day(date: str, users: int = 3, **extra: Any) -> dict[str, Any]:
    """A sparse real day (a feature block makes it a day, not a flattened row)."""
    return {"date": date, "total_active_users": users, "copilot_dotcom_chat": None, **extra}


# ------------------------------------------------------------------ issue 16 item 4: /copilot/usage


@pytest.mark.parametrize("first", [[], "a string", None, 3, [1, 2]], ids=repr)
def test_usage_days_after_an_element_that_is_not_an_object_are_copilot_usage(first: Any) -> None:
    data = json.dumps([first, usage_day("2024-01-01"), usage_day("2024-01-02")]).encode()
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    err = info.value
    assert (err.detected, err.file, err.json_path) == ("copilot-usage", SRC, "$[1]")
    assert str(err).startswith(
        f"{SRC}: $[1]: not a Copilot metrics export: this looks like the older /copilot/usage response"
    )
    assert "rename" not in str(err)  # not the hint for a renamed 'date' key
    report = cm.validate(data)
    assert report.errors.select("source", "json_path", "rule").rows() == [(SRC, "$[1]", "format:copilot-usage")]
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.sources["status"].to_list() == ["not loaded: copilot-usage"]


def test_usage_days_after_an_object_dated_by_day_are_copilot_usage() -> None:
    data = json.dumps([{"day": "2024-01-01", "note": "x"}, {"day": "2024-01-02"}, usage_day("2024-01-03")]).encode()
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert (info.value.detected, info.value.json_path) == ("copilot-usage", "$[2]")


def test_objects_dated_by_day_without_usage_keys_are_still_day_instead_of_date() -> None:
    data = json.dumps([[], {"day": "2024-01-01", "total_active_users": 3}]).encode()
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert (info.value.detected, info.value.json_path) == ("day-instead-of-date", "$[1]")
    assert "1 of 2 object(s) have 'day'" in str(info.value)


def test_a_stray_element_before_real_days_is_a_day_error_not_a_format_error() -> None:
    data = json.dumps([[], plain_day("2024-01-01")]).encode()
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.days["date"].to_list() == [datetime.date(2024, 1, 1)]
    assert ds.quarantine.select("day_index", "stage").rows() == [(0, "schema")]


# ------------------------------------------------------------------ issue 16 item 4: contract day_index


def test_a_day_set_aside_by_the_contracts_carries_its_index_in_the_file() -> None:
    negative = completions_day("2024-06-02", [lang("python", -4, 1)])
    twice = completions_day("2024-06-03", [lang("go", 5, 1)], models=["default", "default"])
    bad_date = plain_day("2024-06-31")
    days = [plain_day("2024-06-01"), negative, twice, bad_date, plain_day("2024-06-05")]
    ds = cm.load(json.dumps(days).encode(), on_invalid="quarantine")
    assert ds.days["date"].to_list() == [datetime.date(2024, 6, 1), datetime.date(2024, 6, 5)]
    assert ds.quarantine.select("source", "day_index", "date", "stage").sort("day_index").rows() == [
        (SRC, 1, "2024-06-02", "contract"),
        (SRC, 2, "2024-06-03", "contract"),
        (SRC, 3, "2024-06-31", "schema"),
    ]


def test_the_index_of_a_wrapped_array_and_of_the_last_copy_of_a_repeated_date() -> None:
    # {"data": [...]}: the index in the array; a date held twice: the later copy is the one kept
    wrapped = {"data": [plain_day("2024-06-01"), plain_day("2024-06-02", users=-1)]}
    ds = cm.load(json.dumps(wrapped).encode(), on_invalid="quarantine")
    assert ds.quarantine.select("day_index", "date", "stage").rows() == [(1, "2024-06-02", "contract")]
    repeated = [plain_day("2024-06-02", users=4), plain_day("2024-06-01"), plain_day("2024-06-02", users=-1)]
    ds = cm.load(json.dumps(repeated).encode(), on_invalid="quarantine")
    assert ds.quarantine.select("day_index", "date", "stage").rows() == [(2, "2024-06-02", "contract")]
    assert ds.days["date"].to_list() == [datetime.date(2024, 6, 1)]


def test_a_bad_day_two_exports_hold_verbatim_is_indexed_in_the_export_kept(tmp_path: Path) -> None:
    bad = plain_day("2024-06-02", users=-1)
    older = tmp_path / "2024-06-10.json"
    newer = tmp_path / "2024-06-20.json"
    older.write_text(json.dumps([bad]))
    newer.write_text(json.dumps([plain_day("2024-06-01"), plain_day("2024-06-03"), bad]))
    ds = cm.load([older, newer], on_invalid="quarantine")
    # the newer export wins (the date in its name); its copy is its third day
    assert ds.quarantine.select("source", "day_index", "date", "stage").rows() == [
        (str(newer), 2, "2024-06-02", "contract")
    ]


# ------------------------------------------------------------------ issue 17: a missing name is not "null"


def test_a_row_without_a_language_name_is_not_excluded_with_a_row_named_null() -> None:
    clean = lang(..., 496, 100)  # no name; acceptances below suggestions
    flagged = lang("null", 10, 20)  # a language literally named "null"; acceptances above suggestions
    ds = cm.load(json.dumps([completions_day("2024-06-24", [clean, flagged])]).encode())
    prefix = "$[date=2024-06-24].copilot_ide_code_completions.editors[name=vscode].models[name=default]"
    assert sorted(ds.findings.select("json_path", "rule").rows()) == [
        (prefix + ".languages[name=null].total_code_acceptances", "acceptances_exceed_suggestions"),
        (prefix + ".languages[name=null].total_code_lines_accepted", "lines_accepted_exceed_suggested"),
    ]
    total = cm.acceptance(ds, by="editor", exclude_findings=True).row(0, named=True)  # one editor, vscode
    assert (total["total_code_suggestions"], total["total_code_acceptances"], total["rows_excluded"]) == (496, 100, 1)
    assert total["acceptance_rate"] == pytest.approx(100 / 496)
    by_language = cm.acceptance(ds, by="language", exclude_findings=True)
    assert by_language.select("language", "total_code_suggestions", "rows_excluded").sort(
        "language", nulls_last=False
    ).rows() == [(None, 496, 0), ("null", None, 1)]


def test_a_row_without_a_name_has_its_own_path_in_findings() -> None:
    nameless = lang(..., 3, 7)
    ds = cm.load(json.dumps([completions_day("2024-06-24", [nameless, lang("null", 5, 1)])]).encode())
    prefix = "$[date=2024-06-24].copilot_ide_code_completions.editors[name=vscode].models[name=default]"
    assert sorted(ds.findings.select("json_path", "rule").rows()) == [
        (prefix + ".languages[no name].total_code_acceptances", "acceptances_exceed_suggestions"),
        (prefix + ".languages[no name].total_code_lines_accepted", "lines_accepted_exceed_suggested"),
    ]
    total = cm.acceptance(ds, by="editor", exclude_findings=True).row(0, named=True)
    assert (total["total_code_suggestions"], total["total_code_acceptances"], total["rows_excluded"]) == (5, 1, 1)


# ------------------------------------------------------------------ issue 17: numbers


def test_an_integer_past_64_bits_in_an_unknown_key_is_kept_verbatim(tmp_path: Path) -> None:
    day = plain_day("2024-06-24", x=BIG, nested={"y": [-BIG, 1.5]})
    data = json.dumps([day]).encode()
    assert str(BIG).encode() in data
    ds = cm.load(data)
    assert ds.days["extras"].to_list() == [f'{{"x":{BIG},"nested":{{"y":[-{BIG},1.5]}}}}']
    rebuilt = cm.to_api(ds)
    assert rebuilt == [day]
    assert type(rebuilt[0]["x"]) is int
    # and written back: the digits as they were
    written = cm.write_json(ds, tmp_path / "out.json")
    text = written[0].read_text()
    assert json.loads(text) == [day]
    assert f'"x": {BIG},' in text
    assert cm.load(written[0]).days["extras"].to_list() == ds.days["extras"].to_list()


def test_two_exports_differing_past_64_bits_are_two_versions(tmp_path: Path) -> None:
    # both numbers read as the same float by orjson: they must not pass for a verbatim repeat
    older, newer = tmp_path / "2024-06-25.json", tmp_path / "2024-06-26.json"
    older.write_text(json.dumps([plain_day("2024-06-24", x=BIG)]))
    newer.write_text(json.dumps([plain_day("2024-06-24", x=BIG + 1)]))
    assert orjson.loads(older.read_bytes()) == orjson.loads(newer.read_bytes())
    ds = cm.load([older, newer])
    assert ds.days.select("source", "extras").rows() == [(str(newer), f'{{"x":{BIG + 1}}}')]
    assert ds.conflicts.select("column", "kept_value", "other_value").rows() == [
        ("extras", f'{{"x":{BIG + 1}}}', f'{{"x":{BIG}}}')
    ]
    assert ds.sources.sort("source")["days_identical"].to_list() == [0, 0]


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        (
            "9007199254740993.0",
            "9007199254740993.0 is not exactly an integer a 64-bit column holds: written with a "
            "fraction or an exponent, it reads as the 64-bit float 9007199254740992",
        ),
        (
            "9.007199254740993e15",
            "9.007199254740993e15 is not exactly an integer a 64-bit column holds: written "
            "with a fraction or an exponent, it reads as the 64-bit float 9007199254740992",
        ),
        ("-9223372036854775809", "-9223372036854775809 does not fit a 64-bit integer column"),
        ("9223372036854775808", "9223372036854775808 does not fit a 64-bit integer column"),
        (
            "9223372036854775807.0",
            "9223372036854775807.0 is not exactly an integer a 64-bit column holds: written "
            "with a fraction or an exponent, it reads as the 64-bit float 9223372036854775808",
        ),
        ("1e19", "1e19 does not fit a 64-bit integer column"),
    ],
)
@pytest.mark.parametrize("contracts", [True, False])
def test_a_count_no_int64_column_holds_exactly_is_refused(literal: str, message: str, contracts: bool) -> None:
    path = "$[1].copilot_ide_code_completions.editors[0].models[0].languages[0].total_code_suggestions"
    good = completions_day("2024-06-24", [lang("go", 5, 1)])
    text = json.dumps([plain_day("2024-06-23"), good])
    data = text.replace('"total_code_suggestions": 5', f'"total_code_suggestions": {literal}').encode()
    with pytest.raises(cm.SchemaValidationError) as info:
        cm.load(data, contracts=contracts)
    expected = [(SRC, 1, "2024-06-24", path, "representable", literal, message)]
    assert info.value.report.errors.rows() == expected
    assert (info.value.file, info.value.json_path) == (SRC, path)
    assert cm.validate(data).errors.rows() == expected
    ds = cm.load(data, on_invalid="quarantine", contracts=contracts)
    assert ds.days["date"].to_list() == [datetime.date(2024, 6, 23)]
    assert ds.completions.height == 0
    assert ds.quarantine.select("day_index", "date", "stage", "reasons").rows() == [
        (1, "2024-06-24", "schema", [f"{path}: {message}"])
    ]
    # kept verbatim: the number as written
    assert f'"total_code_suggestions":{literal},' in ds.quarantine["day_json"][0]


@pytest.mark.parametrize(
    ("literal", "stored"),
    [
        ("9007199254740992.0", 2**53),
        ("1e18", 10**18),
        ("12.0", 12),
        ("9007199254740993", 2**53 + 1),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_a_count_an_int64_column_holds_exactly_is_stored_exactly(literal: str, stored: int) -> None:
    data = b'[{"date": "2024-06-24", "total_active_users": ' + literal.encode() + b"}]"
    ds = cm.load(data)
    assert ds.days["total_active_users"].to_list() == [stored]
    assert cm.validate(data).ok


# ------------------------------------------------------------------ issue 17: a file still being written


def ndjson_days(count: int) -> list[dict[str, Any]]:
    return [
        plain_day((datetime.date(2024, 6, 1) + datetime.timedelta(days=n)).isoformat(), users=n + 1)
        for n in range(count)
    ]


def test_a_cut_last_ndjson_line_keeps_the_complete_lines() -> None:
    days = ndjson_days(21)
    lines = [json.dumps(d) for d in days]
    last = lines[20][:30]  # the 21st day, being written
    data = ("\n".join(lines[:20]) + "\n" + last).encode()
    message = f"{SRC}: NDJSON line 21 is not valid JSON (unexpected end of data at line 21, column 31)"
    # raise mode refuses the file, naming it and the line
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    err = info.value
    assert (err.detected, err.file, err.json_path, err.message) == ("truncated-json", SRC, "$[20]", message)
    assert err.hint is not None
    assert err.hint.endswith("on_invalid='quarantine' reads its 20 complete day(s)")
    # quarantine mode keeps the 20 complete days and sets the cut line aside
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.days.select("date", "total_active_users").rows() == [
        (datetime.date(2024, 6, 1) + datetime.timedelta(days=n), n + 1) for n in range(20)
    ]
    assert ds.quarantine.rows() == [(SRC, None, None, None, 20, None, "format", [message], last, None)]
    row = ds.sources.row(0, named=True)
    assert (row["layout"], row["status"], row["days"], row["days_valid"]) == (
        "ndjson",
        "loaded with quarantined days",
        21,
        20,
    )
    assert ds.validation.errors.rows() == [(SRC, 20, None, "$[20]", "format:truncated-json", None, message)]
    report = cm.validate(data)
    assert report.errors.rows() == [(SRC, 20, None, "$[20]", "format:truncated-json", None, message)]
    assert (report.days_checked, report.days_valid) == (21, 20)


def test_every_cut_of_the_line_being_appended_keeps_the_complete_lines() -> None:
    lines = [json.dumps(d) for d in ndjson_days(21)]
    head = "\n".join(lines[:20]) + "\n"
    for cut in range(1, len(lines[20])):
        ds = cm.load((head + lines[20][:cut]).encode(), on_invalid="quarantine", contracts=False)
        assert ds.days.height == 20, cut
        assert ds.quarantine.select("day_index", "stage").rows() == [(20, "format")], cut


def test_the_cut_ndjson_fixture_loads_its_complete_lines() -> None:
    path = FIXTURES / "ndjson_last_line_cut_short.ndjson"
    ds = cm.load(path, on_invalid="quarantine")
    assert ds.days.select("date", "total_active_users").rows() == [
        (datetime.date(2024, 6, 1), 1),
        (datetime.date(2024, 6, 2), 2),
    ]
    assert ds.quarantine.select("day_index", "stage", "day_json").rows() == [
        (2, "format", path.read_text().splitlines()[2])
    ]


def test_a_cut_last_appended_response_keeps_the_complete_ones() -> None:
    # responses appended one per line, overlapping (a date repeated: the later copy is kept)
    first = [plain_day("2024-06-01", 1), plain_day("2024-06-02", 2)]
    second = [plain_day("2024-06-02", 20), plain_day("2024-06-03", 3)]
    third = json.dumps([plain_day("2024-06-03", 30), plain_day("2024-06-04", 4)])[:40]
    data = (json.dumps(first) + "\n" + json.dumps(second) + "\n" + third).encode()
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert (info.value.detected, info.value.json_path) == ("truncated-json", "$[4]")
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.days.select("date", "total_active_users").rows() == [
        (datetime.date(2024, 6, 1), 1),
        (datetime.date(2024, 6, 2), 20),
        (datetime.date(2024, 6, 3), 3),
    ]
    assert ds.sources.select("layout", "days", "days_valid").rows() == [("ndjson-arrays", 5, 4)]
    assert ds.quarantine.select("day_index", "stage", "day_json").rows() == [(4, "format", third)]


def test_a_cut_last_pretty_document_keeps_the_complete_ones() -> None:
    first = json.dumps([plain_day("2024-06-01", 1)], indent=2)
    second = json.dumps([plain_day("2024-06-02", 2), plain_day("2024-06-03", 3)], indent=2)
    cut = second[: len(second) // 2]
    data = (first + "\n" + cut).encode()
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert info.value.detected == "truncated-json"
    assert "JSON document 2 (of the documents appended to this file)" in str(info.value)
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.days.select("date", "total_active_users").rows() == [(datetime.date(2024, 6, 1), 1)]
    assert ds.quarantine.select("day_index", "stage", "day_json").rows() == [(1, "format", cut)]


def test_a_bad_middle_line_still_refuses_the_file() -> None:
    lines = [json.dumps(d) for d in ndjson_days(3)]
    lines[1] = lines[1][:20]
    ds = cm.load("\n".join(lines).encode(), on_invalid="quarantine")
    assert ds.days.height == 0
    assert ds.sources["status"].to_list() == ["not loaded: invalid-json"]
    assert ds.quarantine.height == 0
    assert pl.DataFrame(ds.validation.errors)["rule"].to_list() == ["format:invalid-json"]
