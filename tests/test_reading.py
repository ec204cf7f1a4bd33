"""Reading: every accepted layout and source kind, and every input that is not a metrics export.

Expectations are computed here from the raw bytes (``hashlib``, ``json``) or written by hand.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import gzip
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics.tables import TABLES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_DAY: dict[str, Any] = json.loads((FIXTURES / "valid_day_all_sections_custom_model.json").read_text())
BOM = b"\xef\xbb\xbf"


def make_day(date: str, active: int = 24) -> dict[str, Any]:
    day = copy.deepcopy(BASE_DAY)
    day["date"] = date
    day["total_active_users"] = active
    return day


DAYS = [make_day("2024-06-24", 24), make_day("2024-06-25", 25), make_day("2024-06-26", 26)]


def dump(obj: Any, *, pretty: bool) -> bytes:
    if pretty:
        return json.dumps(obj, indent=2).encode() + b"\n"
    return json.dumps(obj, separators=(",", ":")).encode()


def layout_bytes(layout: str, days: list[dict[str, Any]], *, pretty: bool) -> bytes:
    if layout == "array":
        return dump(days, pretty=pretty)
    if layout == "object":
        return dump(days[0], pretty=pretty)
    if layout == "wrapped:data":
        return dump({"fetched": "2024-06-27T01:02:03Z", "etag": None, "data": days}, pretty=pretty)
    if layout == "ndjson":
        # NDJSON is one day per line whatever "pretty" means; pretty adds blank lines and CRLF
        sep = b"\r\n\r\n" if pretty else b"\n"
        return sep.join(json.dumps(d).encode() for d in days) + (b"\n" if pretty else b"")
    raise AssertionError(layout)


LAYOUTS = ["array", "object", "wrapped:data", "ndjson"]


def one_source(ds: cm.Dataset) -> dict[str, Any]:
    assert ds.sources.height == 1
    row: dict[str, Any] = ds.sources.row(0, named=True)
    return row


# ------------------------------------------------------------------ layouts


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("bom", [False, True], ids=["nobom", "bom"])
@pytest.mark.parametrize("pretty", [False, True], ids=["minified", "pretty"])
def test_every_layout_loads_and_validates(layout: str, gz: bool, bom: bool, pretty: bool) -> None:
    days = DAYS[:1] if layout == "object" else DAYS
    raw = layout_bytes(layout, days, pretty=pretty)
    if bom:
        raw = BOM + raw
    data = gzip.compress(raw) if gz else raw
    expected_dates = [datetime.date.fromisoformat(d["date"]) for d in days]

    report = cm.validate(data)
    assert report.ok, str(report)
    assert (report.days_checked, report.days_valid) == (len(days), len(days))

    ds = cm.load(data)
    assert ds.days["date"].to_list() == expected_dates
    assert ds.days["total_active_users"].to_list() == [d["total_active_users"] for d in days]
    row = one_source(ds)
    assert row["source"] == "<bytes #1>"
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["bytes"] == len(data)
    assert row["layout"] == layout + ("+gzip" if gz else "")
    assert row["status"] == "loaded"
    assert row["days"] == len(days)
    assert row["first_date"] == min(expected_dates)
    assert row["last_date"] == max(expected_dates)
    # every day knows which file it came from
    assert ds.days["source"].to_list() == ["<bytes #1>"] * len(days)


def test_wrapper_keys_are_kept_in_sources() -> None:
    data = layout_bytes("wrapped:data", DAYS, pretty=True)
    row = one_source(cm.load(data))
    assert json.loads(row["wrapper"]) == {"fetched": "2024-06-27T01:02:03Z", "etag": None}


def test_unwrapped_layouts_have_no_wrapper() -> None:
    row = one_source(cm.load(layout_bytes("array", DAYS, pretty=False)))
    assert row["wrapper"] is None


def test_viewer_cache_wrapper_with_source_key_loads_and_reports_unknown_keys() -> None:
    path = FIXTURES / "cache_wrapper_cached_at_etag_data_with_source_key.json"
    raw = json.loads(path.read_text())
    ds = cm.load(path)
    row = one_source(ds)
    assert row["layout"] == "wrapped:data"
    assert json.loads(row["wrapper"]) == {"cached_at": raw["cached_at"], "etag": None}
    assert ds.days["date"].to_list() == [datetime.date.fromisoformat(d["date"]) for d in raw["data"]]
    unknown = ds.validation.unknown_fields
    assert unknown["json_path"].to_list() == ["$.data[0]._source", "$.data[1]._source"]
    # kept, not dropped
    assert [json.loads(x) for x in ds.days["extras"].to_list()] == [{"_source": "legacy_metrics"}] * 2


def test_minified_file_without_trailing_newline_loads() -> None:
    path = FIXTURES / "minified_no_trailing_newline.json"
    assert not path.read_bytes().endswith(b"\n")
    raw = json.loads(path.read_text())
    ds = cm.load(path)
    assert ds.days.height == len(raw)
    assert one_source(ds)["layout"] == "array"


def test_single_day_object_not_array_loads() -> None:
    path = FIXTURES / "single_day_object_not_array.json"
    ds = cm.load(path)
    row = one_source(ds)
    assert (row["layout"], row["days"]) == ("object", 1)
    assert ds.days["date"].to_list() == [datetime.date(2024, 11, 23)]


def test_bom_inside_gzip_and_bom_before_ndjson() -> None:
    ndjson = BOM + b"\n".join(json.dumps(d).encode() for d in DAYS)
    assert cm.load(gzip.compress(ndjson)).days.height == 3


# ------------------------------------------------------------------ source kinds


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_binary_file_objects_bytesio_and_open_file(tmp_path: Path) -> None:
    data = dump(DAYS, pretty=False)
    ds = cm.load(io.BytesIO(data))
    assert ds.days.height == 3
    assert one_source(ds)["sha256"] == hashlib.sha256(data).hexdigest()
    path = write(tmp_path / "export.json", data)
    with path.open("rb") as handle:
        ds2 = cm.load(handle)
    assert one_source(ds2)["source"] == str(path)
    assert cm.validate(io.BytesIO(data)).days_checked == 3


def test_bytearray_and_memoryview_are_bytes() -> None:
    data = dump(DAYS, pretty=False)
    assert cm.load(bytearray(data)).days.height == 3
    assert cm.load(memoryview(data)).days.height == 3


def test_folder_is_read_recursively_and_other_files_are_listed_as_skipped(tmp_path: Path) -> None:
    a = write(tmp_path / "2024" / "06" / "a.json", dump(DAYS[:1], pretty=True))
    b = write(tmp_path / "2024" / "b.json.gz", gzip.compress(dump(DAYS[1:2], pretty=False)))
    c = write(
        tmp_path / "c.ndjson",
        b"\n".join(json.dumps(d).encode() for d in DAYS[2:] * 1) + b"\n" + json.dumps(make_day("2024-06-27")).encode(),
    )
    readme = write(tmp_path / "README.txt", b"exports of octo-org")
    ds = cm.load(tmp_path, org="octo-org")
    rows = {r["source"]: r for r in ds.sources.to_dicts()}
    assert set(rows) == {str(a), str(b), str(c), str(readme)}
    assert rows[str(readme)]["status"] == "skipped"
    assert rows[str(readme)]["days"] == 0
    for path, layout, days in ((a, "array", 1), (b, "array+gzip", 1), (c, "ndjson", 2)):
        assert rows[str(path)]["layout"] == layout
        assert rows[str(path)]["days"] == days
        assert rows[str(path)]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert rows[str(path)]["bytes"] == path.stat().st_size
    assert sorted(ds.days["date"].to_list()) == [datetime.date(2024, 6, d) for d in (24, 25, 26, 27)]
    assert set(ds.days["org"].to_list()) == {"octo-org"}
    report = cm.validate(tmp_path)
    assert report.ok
    assert report.days_checked == 4


def test_glob_reads_only_matching_files(tmp_path: Path) -> None:
    write(tmp_path / "x-1.json", dump(DAYS[:1], pretty=False))
    write(tmp_path / "x-2.json", dump(DAYS[1:2], pretty=False))
    write(tmp_path / "y-3.json", b"not json at all")
    ds = cm.load(str(tmp_path / "x-*.json"))
    assert sorted(ds.sources["source"].to_list()) == [str(tmp_path / "x-1.json"), str(tmp_path / "x-2.json")]
    assert ds.days.height == 2
    assert cm.validate(str(tmp_path / "x-*.json")).ok


def test_path_template_gives_scope_columns(tmp_path: Path) -> None:
    write(tmp_path / "octo" / "platform" / "w1.json", dump(DAYS[:2], pretty=False))
    write(tmp_path / "octo" / "web" / "w1.json", dump(DAYS[:1], pretty=False))
    write(tmp_path / "acme" / "platform" / "w1.json", dump(DAYS[2:], pretty=False))
    ds = cm.load(str(tmp_path / "{org}" / "{team}" / "*.json"))
    got = sorted((r["org"], r["team"], r["date"].isoformat()) for r in ds.days.select("org", "team", "date").to_dicts())
    assert got == [
        ("acme", "platform", "2024-06-26"),
        ("octo", "platform", "2024-06-24"),
        ("octo", "platform", "2024-06-25"),
        ("octo", "web", "2024-06-24"),
    ]
    # every legacy table carries the scope columns (the successor reports' tables have no team)
    for name in TABLES:
        assert {"enterprise", "org", "team"} <= set(ds.tables[name].columns), name
    langs = ds.completions.filter(pl.col("team") == "web")
    assert set(langs["org"].to_list()) == {"octo"}
    assert ds.sources.select("org", "team").sort("org", "team").rows() == [
        ("acme", "platform"),
        ("octo", "platform"),
        ("octo", "web"),
    ]
    report = cm.validate(str(tmp_path / "{org}" / "{team}" / "*.json"))
    assert (report.ok, report.days_checked) == (True, 4)


def test_template_labels_override_keywords(tmp_path: Path) -> None:
    write(tmp_path / "octo" / "w1.json", dump(DAYS[:1], pretty=False))
    ds = cm.load(str(tmp_path / "{org}" / "*.json"), org="ignored", enterprise="ent")
    assert ds.days.select("enterprise", "org", "team").rows() == [("ent", "octo", None)]


def test_list_of_mixed_sources(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    write(folder / "a.json", dump(DAYS[:1], pretty=False))
    single = write(tmp_path / "single.json", dump(DAYS[1:2], pretty=False))
    data = dump(DAYS[2:], pretty=False)
    ds = cm.load([folder, str(single), data, io.BytesIO(dump([make_day("2024-06-27")], pretty=False))])
    assert ds.sources.height == 4
    assert sorted(ds.days["date"].to_list()) == [datetime.date(2024, 6, d) for d in (24, 25, 26, 27)]
    assert cm.validate([folder, single, data]).days_checked == 3


def test_missing_path_is_a_library_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(cm.CopilotMetricsError) as info:
        cm.load(missing)
    assert info.value.file == str(missing)


# ------------------------------------------------------------------ not metrics exports

BAD_FILES = {
    # fixture: (detected, json_path)
    "legacy_copilot_usage_day_breakdown.json": ("copilot-usage", "$[0]"),
    "api_error_not_found.json": ("api-error", "$"),
    "empty.json": ("empty", None),
    "whitespace_only.json": ("empty", None),
    "truncated_download.json": ("truncated-json", None),
    "hand_elided_unbalanced_brackets.json": ("invalid-json", None),
    "html_login_page.json": ("html", None),
    "utf16_with_bom.json": ("utf-16", None),
    "corrupt_gzip_cut_short.json.gz": ("corrupt-gzip", None),
    "json_scalar.json": ("not-a-list", "$"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_not_an_export_raises_format_error_naming_the_file(name: str) -> None:
    path = FIXTURES / name
    detected, json_path = BAD_FILES[name]
    with pytest.raises(cm.FormatError) as info:
        cm.load(path)
    err = info.value
    assert err.detected == detected
    assert err.file == str(path)
    assert str(err).startswith(f"{path}: ")
    assert err.json_path == json_path
    attrs = err.attrs()
    assert attrs["detected"] == detected
    assert attrs["file"] == str(path)
    assert attrs["error"] == "FormatError"
    assert err.hint
    # validate never raises for content: the file is one error row
    report = cm.validate(path)
    assert not report.ok
    assert report.errors.select("source", "rule").rows() == [(str(path), f"format:{detected}")]
    # quarantine mode lists the file as not loaded
    ds = cm.load(path, on_invalid="quarantine")
    assert ds.days.height == 0
    assert ds.sources.filter(pl.col("source") == str(path))["status"].to_list() == [f"not loaded: {detected}"]


def test_same_bad_inputs_as_bytes_are_named_by_label() -> None:
    data = (FIXTURES / "api_error_not_found.json").read_bytes()
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert info.value.file == "<bytes #1>"
    assert "Not Found" in str(info.value)


def test_api_error_message_quotes_github_message() -> None:
    with pytest.raises(cm.FormatError, match="Not Found"):
        cm.load(FIXTURES / "api_error_not_found.json")


def test_truncated_json_message_gives_line_and_column_of_the_end() -> None:
    path = FIXTURES / "truncated_download.json"
    text = path.read_text()
    lines = text.split("\n")
    expected = f"line {len(lines)}, column {len(lines[-1]) + 1}"  # one past the last character
    with pytest.raises(cm.FormatError) as info:
        cm.load(path)
    assert expected in str(info.value)


def test_invalid_json_message_gives_line_and_column_of_the_error() -> None:
    path = FIXTURES / "hand_elided_unbalanced_brackets.json"
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(path.read_text())
    with pytest.raises(cm.FormatError) as info:
        cm.load(path)
    assert f"line {reference.value.lineno}, column {reference.value.colno}" in str(info.value)


def test_truncated_ndjson_names_the_cut_line() -> None:
    path = FIXTURES / "ndjson_last_line_cut_short.ndjson"
    lines = path.read_text().splitlines()
    with pytest.raises(cm.FormatError) as info:
        cm.load(path)
    assert f"NDJSON line {len(lines)} " in str(info.value)
    assert f"line {len(lines)}, column {len(lines[-1]) + 1}" in str(info.value)


def test_ndjson_with_a_bad_middle_line_is_invalid_not_truncated() -> None:
    lines = [json.dumps(d) for d in DAYS]
    lines[1] = lines[1][:20] + "}"
    with pytest.raises(cm.FormatError) as info:
        cm.load("\n".join(lines).encode())
    assert info.value.detected == "invalid-json"
    assert "NDJSON line 2 " in str(info.value)


def test_utf16_without_bom_is_named_utf16() -> None:
    data = json.dumps(DAYS[:1]).encode("utf-16-le")
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert info.value.detected == "utf-16"


def test_gzipped_legacy_export_is_still_recognised() -> None:
    data = gzip.compress((FIXTURES / "legacy_copilot_usage_day_breakdown.json").read_bytes())
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    assert info.value.detected == "copilot-usage"


def test_several_bad_files_raise_the_first_and_count_the_rest(tmp_path: Path) -> None:
    for name in ("empty.json", "html_login_page.json", "json_scalar.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    with pytest.raises(cm.FormatError) as info:
        cm.load(tmp_path)
    assert "and 2 more file(s)" in str(info.value)


def test_quarantine_mode_loads_good_files_beside_bad_ones(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "api_error_not_found.json", tmp_path / "a.json")
    write(tmp_path / "b.json", dump(DAYS, pretty=False))
    ds = cm.load(tmp_path, on_invalid="quarantine")
    assert ds.days.height == 3
    status = dict(ds.sources.select("source", "status").rows())
    assert status == {str(tmp_path / "a.json"): "not loaded: api-error", str(tmp_path / "b.json"): "loaded"}


# ------------------------------------------------------------------ never a raw exception

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
KEYS = [
    "date",
    "data",
    "day",
    "breakdown",
    "message",
    "documentation_url",
    "day_totals",
    "copilot_ide_chat",
    "copilot_ide_code_completions",
    "editors",
    "models",
    "languages",
    "name",
    "total_active_users",
]
day_like = st.dictionaries(
    st.sampled_from(KEYS),
    json_values | st.sampled_from(["2024-06-24", "2024-13-40", "2024-06-24T00:00:00Z"]),
    max_size=6,
)
documents = st.one_of(
    json_values,
    st.lists(day_like, max_size=3),
    day_like,
    st.builds(lambda d: {"data": d}, st.lists(day_like, max_size=3)),
)


def encodings(draw_value: Any, how: int) -> bytes:
    text = json.dumps(draw_value).encode()
    if how == 1:
        return gzip.compress(text)
    if how == 2:
        return BOM + text
    if how == 3 and isinstance(draw_value, list):
        return b"\n".join(json.dumps(v).encode() for v in draw_value)
    return text


def only_library_errors(data: bytes) -> None:
    with contextlib.suppress(cm.CopilotMetricsError):
        cm.load(data, on_invalid="quarantine")
    try:
        report = cm.validate(data)
    except cm.CopilotMetricsError:
        pass
    else:
        assert isinstance(report.errors, pl.DataFrame)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_library_errors(data: bytes) -> None:
    only_library_errors(data)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.integers(min_value=0, max_value=3))
def test_arbitrary_json_values_raise_only_library_errors(value: Any, how: int) -> None:
    only_library_errors(encodings(value, how))


def test_last_possible_date_loads_without_raw_overflow() -> None:
    # found by hypothesis: ranking added one day to the last date (fixed in archive.export_time)
    ds = cm.load(dump([make_day("9999-12-31")], pretty=False), on_invalid="quarantine")
    assert ds.days["date"].to_list() == [datetime.date(9999, 12, 31)]


# ------------------------------------------------------------------ shapes that are not export days (issue 10)

FLAT_ROWS = [
    {
        "date": "2024-06-24",
        "total_active_users": 24,
        "editor": "vscode",
        "language": "python",
        "code_suggestions": 10,
        "code_acceptances": 4,
    },
    {
        "date": "2024-06-24",
        "total_active_users": 24,
        "editor": "vscode",
        "language": "go",
        "code_suggestions": 7,
        "code_acceptances": 1,
    },
]


def assert_refused(data: bytes, detected: str, json_path: str | None) -> cm.FormatError:
    """The input raises FormatError(detected), validate gives one format row, quarantine lists it."""
    with pytest.raises(cm.FormatError) as info:
        cm.load(data)
    err = info.value
    assert (err.detected, err.file, err.json_path) == (detected, "<bytes #1>", json_path)
    assert str(err).startswith("<bytes #1>: ")
    assert err.hint
    report = cm.validate(data)
    assert report.errors.select("source", "json_path", "rule").rows() == [
        ("<bytes #1>", json_path or "$", f"format:{detected}")
    ]
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.days.height == 0
    assert ds.sources["status"].to_list() == [f"not loaded: {detected}"]
    return err


@pytest.mark.parametrize("layout", ["array", "ndjson", "object", "wrapped:data"])
def test_flattened_rows_are_named_not_loaded_as_days(layout: str) -> None:
    rows = FLAT_ROWS[:1] if layout == "object" else FLAT_ROWS
    err = assert_refused(
        layout_bytes(layout, rows, pretty=True),
        "flattened-rows",
        {"array": "$[0]", "ndjson": "$[0]", "object": "$", "wrapped:data": "$.data[0]"}[layout],
    )
    assert "rows flattened from an export" in str(err)
    assert "'code_acceptances', 'code_suggestions', 'editor', 'language'" in str(err)


def test_a_newer_flattened_file_never_replaces_the_real_days(tmp_path: Path) -> None:
    real = write(tmp_path / "export.json", dump(DAYS[:1], pretty=False))
    flat = write(tmp_path / "flat.json", dump(FLAT_ROWS, pretty=False))
    os.utime(real, (1_700_000_000, 1_700_000_000))
    os.utime(flat, (1_800_000_000, 1_800_000_000))  # newer: it would win the precedence
    ds = cm.load(tmp_path, on_invalid="quarantine")
    assert ds.days.select("date", "total_active_users", "source").rows() == [
        (datetime.date(2024, 6, 24), 24, str(real))
    ]
    completions = BASE_DAY["copilot_ide_code_completions"]["editors"]
    assert ds.completions.height == sum(len(m["languages"]) for e in completions for m in e["models"])
    status = dict(ds.sources.select("source", "status").rows())
    assert status == {str(real): "loaded", str(flat): "not loaded: flattened-rows"}
    with pytest.raises(cm.FormatError) as info:
        cm.load(tmp_path)
    assert (info.value.detected, info.value.file) == ("flattened-rows", str(flat))


@pytest.mark.parametrize(
    "days",
    [
        [{"date": "2024-06-24"}],
        [{"date": "2024-06-24", "total_active_users": 3}],
        [{"date": "2024-06-24", "total_active_users": 3, "total_engaged_users": 1}],
        [{"date": "2024-06-24", "total_active_users": 3, "_source": "cache", "_note": "annotation"}],
        # one real day in the file: the odd object is a day with an unknown key, kept in extras
        [make_day("2024-06-24"), {"date": "2024-06-25", "editor": "vscode"}],
        [{"date": "2024-06-24", "editor": "vscode", "copilot_ide_chat": None}],
    ],
    ids=["date-only", "active-only", "totals-only", "annotations", "one-real-day", "null-block"],
)
def test_sparse_real_days_still_load(days: list[dict[str, Any]]) -> None:
    data = dump(days, pretty=False)
    assert cm.validate(data).ok
    ds = cm.load(data)
    assert ds.days["date"].to_list() == [datetime.date.fromisoformat(d["date"]) for d in days]


@pytest.mark.parametrize("layout", ["array", "object"])
def test_copilot_usage_objects_dated_by_date_are_named_copilot_usage(layout: str) -> None:
    legacy = json.loads((FIXTURES / "legacy_copilot_usage_day_breakdown.json").read_text())
    for obj in legacy:
        obj["date"] = obj.pop("day")
    err = assert_refused(
        layout_bytes(layout, legacy, pretty=True), "copilot-usage", "$" if layout == "object" else "$[0]"
    )
    assert "/copilot/usage" in str(err)


def test_days_dated_by_day_are_refused_once_for_the_file() -> None:
    days = [{"day": d["date"], **{k: v for k, v in d.items() if k != "date"}} for d in DAYS]
    err = assert_refused(dump(days, pretty=True), "day-instead-of-date", "$[0]")
    assert "'day' instead of 'date' (3 of 3 object(s) have 'day', none has 'date')" in str(err)
    assert "'date' is a required property" not in str(err)
    assert_refused(dump(days[0], pretty=False), "day-instead-of-date", "$")


def test_one_day_dated_by_day_among_real_days_is_a_day_error() -> None:
    days = [DAYS[0], {"day": "2024-06-25", "total_active_users": 1}]
    report = cm.validate(dump(days, pretty=False))
    assert report.errors.select("day_index", "json_path", "rule").rows() == [(1, "$[1]", "required")]


# ------------------------------------------------------------------ concatenated JSON documents


def appended(*docs: Any, pretty: bool = True, sep: bytes = b"\n") -> bytes:
    return sep.join(json.dumps(d, indent=2 if pretty else None, ensure_ascii=False).encode() for d in docs)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: appended(DAYS[:2], DAYS[2:]) + b"\n",
        lambda: appended(DAYS[:1], DAYS[1:2], DAYS[2:], sep=b"\r\n\r\n"),
        lambda: appended(DAYS[:2], DAYS[2:], pretty=False, sep=b""),  # gh api --paginate: [..][..]
        lambda: appended(DAYS[:1], pretty=False) + b"\n" + appended(DAYS[1:], pretty=True),
        lambda: appended(DAYS[0], DAYS[1:]),  # a single day object, then an array
    ],
    ids=["pretty-two", "pretty-three-crlf", "compact-one-line", "compact-then-pretty", "object-then-array"],
)
def test_appended_pretty_printed_responses_load_in_order(make: Any, gz: bool) -> None:
    raw = make()
    data = gzip.compress(BOM + raw) if gz else raw
    ds = cm.load(data)
    assert ds.days["date"].to_list() == [datetime.date.fromisoformat(d["date"]) for d in DAYS]
    assert ds.days["total_active_users"].to_list() == [24, 25, 26]
    row = one_source(ds)
    assert row["layout"] == "concatenated-json" + ("+gzip" if gz else "")
    assert (row["days"], row["status"]) == (3, "loaded")
    assert cm.validate(data).days_valid == 3


def test_appended_documents_with_non_ascii_text_split_at_the_right_byte() -> None:
    # orjson reports character offsets: multi-byte names before a boundary must not shift it
    first = make_day("2024-06-24")
    first["copilot_ide_chat"]["editors"][0]["name"] = "编辑器-é-😀" * 50
    raw = appended([first], DAYS[1:2], [make_day("2024-06-26")])
    ds = cm.load(raw)
    assert ds.days["date"].to_list() == [datetime.date(2024, 6, d) for d in (24, 25, 26)]
    assert "编辑器-é-😀" * 50 in ds.ide_chat_editors["editor"].to_list()


def test_a_day_error_in_appended_documents_numbers_days_across_documents() -> None:
    bad = make_day("2024-06-26")
    bad["total_active_users"] = "26"
    report = cm.validate(appended(DAYS[:2], [bad]))
    assert report.errors.select("day_index", "json_path", "rule").rows() == [(2, "$[2].total_active_users", "type")]


def test_truncated_last_appended_document_is_truncated() -> None:
    raw = appended(DAYS[:1], DAYS[1:])
    cut = raw[: len(raw) - 40]
    with pytest.raises(cm.FormatError) as info:
        cm.load(cut)
    assert info.value.detected == "truncated-json"
    assert "JSON document 2 (of the documents appended to this file)" in str(info.value)
    lines = cut.decode().split("\n")
    assert f"line {len(lines)}, column {len(lines[-1]) + 1}" in str(info.value)


def test_a_broken_appended_document_is_invalid_and_named() -> None:
    docs = [json.dumps(d, indent=2) for d in (DAYS[:1], DAYS[1:2], DAYS[2:])]
    docs[1] = docs[1].replace('"date"', '"date" "x"', 1)
    raw = "\n".join(docs)
    with pytest.raises(json.JSONDecodeError):
        json.loads(docs[1])
    with pytest.raises(cm.FormatError) as info:
        cm.load(raw.encode())
    assert info.value.detected == "invalid-json"
    assert "JSON document 2 " in str(info.value)
    line = raw[: raw.index('"date" "x"')].count("\n") + 1
    assert f"at line {line}, column " in str(info.value)


def test_a_single_truncated_pretty_file_is_still_truncated_not_concatenated() -> None:
    raw = dump(DAYS, pretty=True)
    for cut in (len(raw) // 3, len(raw) // 2, len(raw) - 3):
        with pytest.raises(cm.FormatError) as info:
            cm.load(raw[:cut])
        assert info.value.detected == "truncated-json"
        assert "document" not in str(info.value)
