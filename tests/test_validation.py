"""Validation against the published schema: every error collected, quarantine, unknown keys,
agreement of the compiled and the reporting validators, and the shipped schema files.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import json
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics import _schema

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
FRAGMENT = SHARED / "reference" / "copilot-usage-metrics-day.openapi.json"
OFFICIAL_EXAMPLE = SHARED / "reference" / "copilot-metrics-org.example.json"
SCHEMA_NAMES = ("copilot-usage-metrics-day.schema.json", "copilot-metrics-response.schema.json")
BASE_DAY: dict[str, Any] = json.loads((FIXTURES / "valid_day_all_sections_custom_model.json").read_text())

ACCEPTANCES = "copilot_ide_code_completions.editors[0].models[0].languages[0].total_code_acceptances"
IS_CUSTOM = "copilot_ide_chat.editors[0].models[0].is_custom_model"


def make_day(date: str) -> dict[str, Any]:
    day = copy.deepcopy(BASE_DAY)
    day["date"] = date
    return day


def bad_days() -> list[dict[str, Any]]:
    """Four days: one valid, one with two type errors, one impossible date, one datetime date."""
    ok = make_day("2024-06-24")
    typed = make_day("2024-06-25")
    typed["copilot_ide_code_completions"]["editors"][0]["models"][0]["languages"][0]["total_code_acceptances"] = "12"
    typed["copilot_ide_chat"]["editors"][0]["models"][0]["is_custom_model"] = "no"
    impossible = make_day("2024-13-40")
    datetime_date = make_day("2024-11-24T00:00:00.000Z")
    return [ok, typed, impossible, datetime_date]


def expected_errors(base: str) -> set[tuple[int, str | None, str, str, str]]:
    """(day_index, date, json_path, rule, value as JSON), written by hand."""
    return {
        (1, "2024-06-25", f"{base}[1].{ACCEPTANCES}", "type", '"12"'),
        (1, "2024-06-25", f"{base}[1].{IS_CUSTOM}", "type", '"no"'),
        (2, "2024-13-40", f"{base}[2].date", "format", '"2024-13-40"'),
        (3, "2024-11-24T00:00:00.000Z", f"{base}[3].date", "format", '"2024-11-24T00:00:00.000Z"'),
    }


def error_set(report: cm.ValidationReport) -> set[tuple[int, str | None, str, str, str]]:
    return set(report.errors.select("day_index", "date", "json_path", "rule", "value").rows())


# ------------------------------------------------------------------ collecting every error


@pytest.mark.parametrize(
    ("layout", "base"),
    [("array", "$"), ("wrapped", "$.data"), ("ndjson", "$")],
)
def test_validate_collects_every_error_with_exact_json_paths(layout: str, base: str) -> None:
    days = bad_days()
    if layout == "array":
        data = json.dumps(days).encode()
    elif layout == "wrapped":
        data = json.dumps({"data": days, "etag": "x"}).encode()
    else:
        data = b"\n".join(json.dumps(d).encode() for d in days)
    report = cm.validate(data)
    assert not report.ok
    assert (report.days_checked, report.days_valid) == (4, 1)
    assert error_set(report) == expected_errors(base)
    assert report.errors.height == 4
    assert set(report.errors["source"].to_list()) == {"<bytes #1>"}
    messages = dict(report.errors.select("json_path", "message").rows())
    assert "'12' is not of type 'integer'" in messages[f"{base}[1].{ACCEPTANCES}"]
    assert "2024-13-40" in messages[f"{base}[2].date"]


def test_report_errors_frame_has_declared_columns() -> None:
    report = cm.validate(json.dumps(bad_days()).encode())
    assert report.errors.schema == pl.Schema(
        {
            "source": pl.String,
            "day_index": pl.Int64,
            "date": pl.String,
            "json_path": pl.String,
            "rule": pl.String,
            "value": pl.String,
            "message": pl.String,
        }
    )


def test_report_str_names_file_paths_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "exports" / "2024-06.json"
    path.parent.mkdir()
    path.write_text(json.dumps(bad_days()))
    text = str(cm.validate(path))
    assert "1 of 4 day(s) valid" in text
    assert "4 error(s)" in text
    for _, _, json_path, _, _ in expected_errors("$"):
        assert f"{path}: {json_path}: " in text


def test_errors_of_several_files_are_all_collected(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(bad_days()))
    b.write_text(json.dumps(bad_days()[2:]))
    report = cm.validate([a, b])
    assert report.days_checked == 6
    per_file = report.errors.group_by("source").len().sort("source").rows()
    assert per_file == [(str(a), 4), (str(b), 2)]
    assert set(report.errors.filter(pl.col("source") == str(b))["json_path"].to_list()) == {"$[0].date", "$[1].date"}


def test_impossible_date_fails_format_check() -> None:
    report = cm.validate(b'[{"date": "2024-13-40"}]')
    assert error_set(report) == {(0, "2024-13-40", "$[0].date", "format", '"2024-13-40"')}


def test_iso_datetime_dates_fail_like_the_tweag_mock() -> None:
    path = FIXTURES / "iso_datetime_dates.json"
    raw = json.loads(path.read_text())
    report = cm.validate(path)
    assert error_set(report) == {
        (i, d["date"], f"$[{i}].date", "format", json.dumps(d["date"])) for i, d in enumerate(raw)
    }
    with pytest.raises(cm.SchemaValidationError) as info:
        cm.load(path)
    assert str(path) in str(info.value)
    assert "$[0].date" in str(info.value)


def test_missing_date_is_the_only_required_key() -> None:
    report = cm.validate(b'[{"total_active_users": 1}, {"date": "2024-06-24"}]')
    assert error_set(report) == {(0, None, "$[0]", "required", '{"total_active_users":1}')}


# ------------------------------------------------------------------ raise / quarantine


def test_load_raises_schema_validation_error_carrying_the_report() -> None:
    data = json.dumps(bad_days()).encode()
    with pytest.raises(cm.SchemaValidationError) as info:
        cm.load(data)
    err = info.value
    assert isinstance(err, cm.CopilotMetricsError)
    assert error_set(err.report) == expected_errors("$")
    assert err.file == "<bytes #1>"
    assert err.json_path == err.report.errors["json_path"][0]
    assert err.json_path in {p for _, _, p, _, _ in expected_errors("$")}
    attrs = err.attrs()
    assert (attrs["error"], attrs["file"], attrs["json_path"]) == ("SchemaValidationError", "<bytes #1>", err.json_path)
    assert "quarantine" in (err.hint or "")


def test_quarantine_keeps_valid_days_and_every_invalid_day_verbatim() -> None:
    days = bad_days()
    ds = cm.load(json.dumps(days).encode(), on_invalid="quarantine")
    assert [d.isoformat() for d in ds.days["date"].to_list()] == ["2024-06-24"]
    q = ds.quarantine.sort("day_index")
    assert q["day_index"].to_list() == [1, 2, 3]
    assert q["date"].to_list() == ["2024-06-25", "2024-13-40", "2024-11-24T00:00:00.000Z"]
    assert set(q["stage"].to_list()) == {"schema"}
    assert q["source"].to_list() == ["<bytes #1>"] * 3
    for row in q.to_dicts():
        assert json.loads(row["day_json"]) == days[row["day_index"]]
    reasons = dict(zip(q["day_index"].to_list(), q["reasons"].to_list(), strict=True))
    assert len(reasons[1]) == 2
    assert any(r.startswith(f"$[1].{ACCEPTANCES}") for r in reasons[1])
    assert any(r.startswith(f"$[1].{IS_CUSTOM}") for r in reasons[1])
    assert reasons[2][0].startswith("$[2].date")
    row = ds.sources.row(0, named=True)
    assert (row["days"], row["days_valid"], row["status"]) == (4, 1, "loaded with quarantined days")
    assert error_set(ds.validation) == expected_errors("$")


def test_quarantine_keeps_non_object_days_verbatim() -> None:
    ds = cm.load(b'[{"date": "2024-06-24"}, 7, null, ["x"]]', on_invalid="quarantine")
    assert ds.days.height == 1
    assert [json.loads(x) for x in ds.quarantine.sort("day_index")["day_json"].to_list()] == [7, None, ["x"]]


# ------------------------------------------------------------------ unknown keys


def test_unknown_keys_are_reported_with_json_path_and_kept() -> None:
    day = make_day("2024-06-24")
    day["_demo_note"] = "course sample — not real"
    day["copilot_ide_chat"]["_note"] = "n"
    day["copilot_ide_code_completions"]["editors"][1]["new_editor_field"] = 1
    day["copilot_ide_code_completions"]["editors"][0]["models"][0]["languages"][1]["total_code_reviews"] = 4
    day["copilot_dotcom_chat"]["models"][0]["total_chat_copy_events"] = 2
    data = json.dumps([make_day("2024-06-23"), day]).encode()
    report = cm.validate(data)
    assert report.ok
    assert sorted(report.unknown_fields["json_path"].to_list()) == sorted(
        [
            "$[1]._demo_note",
            "$[1].copilot_ide_chat._note",
            "$[1].copilot_ide_code_completions.editors[1].new_editor_field",
            "$[1].copilot_ide_code_completions.editors[0].models[0].languages[1].total_code_reviews",
            "$[1].copilot_dotcom_chat.models[0].total_chat_copy_events",
        ]
    )
    assert set(report.unknown_fields["day_index"].to_list()) == {1}
    assert set(report.unknown_fields["date"].to_list()) == {"2024-06-24"}
    ds = cm.load(data)
    extras = ds.days.filter(pl.col("date") == pl.date(2024, 6, 24))["extras"].to_list()
    assert json.loads(extras[0])["_demo_note"] == "course sample — not real"
    rebuilt = {d["date"]: d for d in ds.to_api()}
    assert rebuilt["2024-06-24"] == day


def test_annotation_keys_fixture_loads_with_every_note_reported() -> None:
    path = FIXTURES / "extra_annotation_keys_day_and_sections.json"
    report = cm.validate(path)
    assert report.ok
    assert sorted(report.unknown_fields["json_path"].to_list()) == sorted(
        ["$[0]._demo_note"]
        + [
            f"$[0].{b}._note"
            for b in (
                "copilot_ide_code_completions",
                "copilot_ide_chat",
                "copilot_dotcom_chat",
                "copilot_dotcom_pull_requests",
            )
        ]
    )
    assert cm.load(path).days.height == 1


def test_unknown_keys_are_not_reported_for_invalid_days_but_day_is_kept_verbatim() -> None:
    day = make_day("2024-13-40")
    day["_x"] = 1
    ds = cm.load(json.dumps([day]).encode(), on_invalid="quarantine")
    assert json.loads(ds.quarantine["day_json"][0]) == day


# ------------------------------------------------------------------ compiled == reporting validator

DATES = st.one_of(
    st.sampled_from(
        [
            "2024-06-24",
            "2024-02-29",
            "2023-02-29",
            "2024-13-40",
            "2024-00-10",
            "2024-06-00",
            "0000-01-01",
            "9999-12-31",
            "20240624",
            "2024-1-01",
            "2024-06-24T00:00:00Z",
            "2024-06-24T00:00:00.000Z",
            "2024-06-24\n",
            " 2024-06-24",
            "2024-W26-1",
            "2024-176",
            "",
            "\uff12\uff10\uff12\uff14-\uff10\uff16-\uff12\uff14",  # full-width digits
        ]
    ),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**66), max_value=2**66),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, -0.0, 2.5, 1e20]),
    st.text(max_size=6),
    st.sampled_from(["12", "2024-02-01", "2024-02-30"]),
    st.just([]),
    st.just({}),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


ALL_PATHS = [p for p in _paths(BASE_DAY) if p]


@st.composite
def mutated_days(draw: st.DrawFn) -> Any:
    day = copy.deepcopy(BASE_DAY)
    day["date"] = draw(DATES)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = day
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "unknown"]))
            if action == "replace":
                parent[path[-1]] = draw(LEAVES)
            elif action == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent["_unknown_" + draw(st.text(min_size=1, max_size=3))] = draw(LEAVES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return day


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_days())
@example({**BASE_DAY, "date": "0000-01-01"})  # jsonschema-rs alone accepted year zero
@example({**BASE_DAY, "date": "20240624"})  # Python's fromisoformat alone accepts this
@example({**BASE_DAY, "total_active_users": 9.223372036854776e18})  # valid, but beyond Int64
@example({**BASE_DAY, "total_active_users": 2**60})  # valid, fits Int64, but past 2**53
def test_compiled_and_reporting_validators_agree(day: Any) -> None:
    fast = _schema.fast_validators()
    assert fast is not None, "jsonschema-rs is a test dependency"
    published, strict = fast
    reporting_ok = not list(_schema.reporting_validator().iter_errors(day))
    assert published.is_valid(day) == reporting_ok
    # the strict validator accepts exactly the valid days without unknown keys whose integers
    # are below 2**53 (exact however written and read)
    assert strict.is_valid(day) == (reporting_ok and not _schema.unknown_keys(day) and _below_2_53(day))


def _below_2_53(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_below_2_53(v) for v in value.values())
    if isinstance(value, list):
        return all(_below_2_53(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return -(2**53) < value < 2**53
    return True


def test_the_strict_validator_bounds_integers_below_2_53() -> None:
    # a larger count is valid, but gets a closer look: ints must fit Int64, floats (12.0, 1e3)
    # must be below 2**53, where every reader holds them exactly (see test_lost_numbers.py)
    fast = _schema.fast_validators()
    assert fast is not None
    _, strict = fast
    assert strict.is_valid({**BASE_DAY, "total_active_users": 2**53 - 1})
    assert strict.is_valid({**BASE_DAY, "total_active_users": -(2**53) + 1})
    assert not strict.is_valid({**BASE_DAY, "total_active_users": 2**53})
    assert not strict.is_valid({**BASE_DAY, "total_active_users": 9007199254740992.0})
    assert not strict.is_valid({**BASE_DAY, "total_active_users": -9.223372036854776e18})


def test_compiled_validator_rejects_year_zero_like_jsonschema() -> None:
    day = {"date": "0000-01-01"}
    fast = _schema.fast_validators()
    assert fast is not None
    assert list(_schema.reporting_validator().iter_errors(day))
    assert not fast[0].is_valid(day)
    assert not fast[1].is_valid(day)
    assert not cm.validate(b'[{"date": "0000-01-01"}]').ok


@pytest.fixture
def restore_fast_validators() -> Iterator[None]:
    """Clear the cached compiled validators after the test (which makes jsonschema-rs absent)."""
    yield
    _schema.fast_validators.cache_clear()


def _outcome(data: bytes) -> tuple[list[str], list[int], set[tuple[Any, ...]]]:
    ds = cm.load(data, on_invalid="quarantine", contracts=False)
    return (
        [d.isoformat() for d in ds.days["date"].to_list()],
        sorted(ds.quarantine["day_index"].to_list()),
        set(ds.validation.errors.select("day_index", "json_path", "rule").rows()),
    )


AGREEMENT_DAYS = [
    *bad_days(),
    {"date": "2024-07-01", "total_active_users": 1.0},
    {"date": "2024-07-02", "total_active_users": 2.5},
    {"date": "2024-07-03", "copilot_ide_chat": None, "_extra": {"a": 1}},
    {"date": "2024-07-04", "copilot_ide_chat": []},
    {"date": "0000-01-01"},
    {"date": "2024-02-30"},
    {"date": 20240705},
]


@pytest.mark.usefixtures("restore_fast_validators")
def test_load_accepts_and_rejects_the_same_days_without_jsonschema_rs(monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.dumps(AGREEMENT_DAYS).encode()
    assert _schema.fast_validators() is not None
    fast = _outcome(data)
    # as on a machine without the "fast" extra: ``import jsonschema_rs`` fails
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # type: ignore[arg-type]
    _schema.fast_validators.cache_clear()
    assert _schema.fast_validators() is None
    slow = _outcome(data)
    assert slow == fast
    # and by hand: which days are valid
    assert slow[1] == [1, 2, 3, 5, 7, 8, 9, 10]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated_days(), min_size=1, max_size=4))
def test_check_days_gives_the_same_verdicts_with_and_without_the_compiled_validator(days: list[Any]) -> None:
    from copilot_metrics.validation import check_days

    with_fast = check_days(days, "x.json")
    real = _schema.fast_validators
    try:
        _schema.fast_validators = lambda: None  # type: ignore[assignment]
        without = check_days(days, "x.json")
    finally:
        _schema.fast_validators = real  # type: ignore[method-assign]
    assert with_fast.valid == without.valid
    assert with_fast.has_unknown == without.has_unknown
    assert with_fast.errors == without.errors
    assert with_fast.unknown == without.unknown


# ------------------------------------------------------------------ shipped schemas


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_schemas", REPO / "scripts" / "build_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


needs_shared = pytest.mark.skipif(not FRAGMENT.is_file(), reason="../shared/reference is absent")


@needs_shared
def test_committed_schemas_are_what_the_build_script_renders() -> None:
    module = _build_module()
    built = module.build(json.loads(FRAGMENT.read_text(encoding="utf-8")))
    assert set(built) == set(SCHEMA_NAMES)
    for name in SCHEMA_NAMES:
        expected = module.render(built[name]).encode("utf-8")
        assert (REPO / "schemas" / name).read_bytes() == expected, name
        assert (REPO / "src" / "copilot_metrics" / "schemas" / name).read_bytes() == expected, name


def _descriptions(node: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], str]:
    out: dict[tuple[Any, ...], str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                out[path] = value
            else:
                out.update(_descriptions(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.update(_descriptions(value, (*path, i)))
    return out


@needs_shared
def test_every_description_of_the_fragment_is_kept() -> None:
    fragment = _descriptions(json.loads(FRAGMENT.read_text(encoding="utf-8")))
    assert len(fragment) > 40
    day = _descriptions(json.loads((REPO / "schemas" / SCHEMA_NAMES[0]).read_text(encoding="utf-8")))
    response = json.loads((REPO / "schemas" / SCHEMA_NAMES[1]).read_text(encoding="utf-8"))
    in_defs = _descriptions(response["$defs"]["copilot-usage-metrics-day"])
    for path, text in fragment.items():
        assert day.get(path) == text, path
        assert in_defs.get(path) == text, path


@needs_shared
def test_official_example_validates() -> None:
    example = json.loads(OFFICIAL_EXAMPLE.read_text(encoding="utf-8"))
    report = cm.validate(OFFICIAL_EXAMPLE)
    assert report.ok, str(report)
    assert (report.days_checked, report.days_valid) == (len(example), len(example))
    response = json.loads(_schema.schema_text(_schema.RESPONSE_SCHEMA_FILE))
    cls = jsonschema.validators.validator_for(response)
    assert not list(cls(response, format_checker=cls.FORMAT_CHECKER).iter_errors(example))
    assert cm.load(OFFICIAL_EXAMPLE).days.height == len(example)


def test_schema_is_read_from_the_package_with_importlib_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SCHEMA_NAMES:
        packaged = resources.files("copilot_metrics").joinpath("schemas", name).read_text(encoding="utf-8")
        assert _schema.schema_text(name) == packaged
        json.loads(packaged)
    assert "__file__" not in inspect.getsource(_schema)
    # independent of the working directory
    monkeypatch.chdir(tmp_path)
    _schema.day_schema.cache_clear()
    _schema.reporting_validator.cache_clear()
    try:
        assert _schema.day_schema()["properties"]["date"]["format"] == "date"
        assert not cm.validate(b'[{"date": "2024-13-40"}]').ok
    finally:
        _schema.day_schema.cache_clear()
        _schema.reporting_validator.cache_clear()


def test_shipped_day_schema_is_draft_2020_12_with_only_date_required() -> None:
    schema = _schema.day_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["date"]
    jsonschema.Draft202012Validator.check_schema(schema)


# ------------------------------------------------------------------ errors carry context


def test_error_context_is_carried_as_attributes() -> None:
    err = cm.CopilotMetricsError(
        "boom",
        file="a.json",
        json_path="$[0].date",
        table="days",
        column="date",
        key={"date": "2024-06-24"},
        hint="fix it",
    )
    assert (err.file, err.json_path, err.table, err.column) == ("a.json", "$[0].date", "days", "date")
    assert err.attrs() == {
        "error": "CopilotMetricsError",
        "message": "boom",
        "file": "a.json",
        "json_path": "$[0].date",
        "table": "days",
        "column": "date",
        "key": {"date": "2024-06-24"},
        "hint": "fix it",
    }
    assert str(err) == "boom\n  hint: fix it"
    for cls in (cm.FormatError, cm.SchemaValidationError, cm.ContractError, cm.RollupError):
        assert issubclass(cls, cm.CopilotMetricsError)


def test_format_error_attrs_name_file_path_and_detected() -> None:
    path = FIXTURES / "legacy_copilot_usage_day_breakdown.json"
    with pytest.raises(cm.FormatError) as info:
        cm.load(path)
    attrs = info.value.attrs()
    assert (attrs["file"], attrs["json_path"], attrs["detected"]) == (str(path), "$[0]", "copilot-usage")
    assert "/copilot/usage" in attrs["message"]


def test_validate_predicts_the_contracts_load_applies() -> None:
    # a negative count and an editor listed twice pass the schema but break the tables' contracts
    chat = {
        "total_engaged_users": 1,
        "editors": [{"name": "vscode", "total_engaged_users": 1}, {"name": "vscode", "total_engaged_users": 2}],
    }
    days = [
        {"date": "2024-06-23"},
        {"date": "2024-06-24", "copilot_ide_chat": chat},
        {"date": "2024-06-25", "total_active_users": "x"},
        {"date": "2024-06-26", "total_engaged_users": -4},
    ]
    data = json.dumps(days).encode()
    report = cm.validate(data)
    assert (report.days_checked, report.days_valid) == (4, 1)
    assert report.errors.select("day_index", "date", "json_path", "rule").sort("day_index").rows() == [
        (1, "2024-06-24", "$[1].copilot_ide_chat.editors[name=vscode]", "contract"),
        (2, "2024-06-25", "$[2].total_active_users", "type"),
        (3, "2024-06-26", "$[3].total_engaged_users", "contract"),
    ]
    # and load agrees: exactly those days are set aside
    ds = cm.load(data, on_invalid="quarantine")
    assert sorted(ds.quarantine["date"].to_list()) == ["2024-06-24", "2024-06-25", "2024-06-26"]
    assert ds.days["date"].cast(pl.String).to_list() == ["2024-06-23"]


def test_a_date_held_twice_is_no_contract_error_for_validate() -> None:
    days = [{"date": "2024-06-24", "total_active_users": 7}, {"date": "2024-06-24", "total_active_users": 9}]
    assert cm.validate(json.dumps(days).encode()).ok
