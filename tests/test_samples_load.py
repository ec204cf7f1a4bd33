"""Every real-world sample in ../shared/samples either loads or fails with an actionable error.

The samples are read in place (never copied into the repository); the tests skip where
``../shared`` is absent.  The expected outcome of each file is written here, from the file's
notes in ``samples/PROVENANCE.md``; day counts are computed independently with ``json.loads``.
Each oddity relied on here is also reproduced by a small fixture in ``tests/fixtures`` (see
``test_reading.py`` and ``test_validation.py``), so the suite proves it without ``../shared``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import copilot_metrics as cm

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
METRICS = SAMPLES / "metrics"
LEGACY = SAMPLES / "usage-legacy"
REPORTS = SAMPLES / "usage-reports"

pytestmark = pytest.mark.skipif(not METRICS.is_dir(), reason="../shared/samples is absent")

LOADS = "loads"
FORMAT = "format"
SCHEMA = "schema"

#: file -> (outcome, detail): for LOADS the layout and the sorted unknown key names (if any);
#: for FORMAT the accepted ``detected`` values; for SCHEMA the JSON path of the first error.
EXPECTED: dict[str, tuple[str, Any]] = {
    # hand-written; dotcom chat models carry IDE-chat-only keys (unknown, kept)
    "Fraser-Isbester__gh-copilot-metrics__test_data.json": (
        LOADS,
        ("array", {"total_chat_copy_events", "total_chat_insertion_events"}),
    ),
    # a single day object, not an array; dotcom chat extra keys
    "Renyhc__copilot-metrics__schemaMockData.json": (
        LOADS,
        ("object", {"total_chat_copy_events", "total_chat_insertion_events"}),
    ),
    "austenstone__copilot-usage__sample.json": (LOADS, ("array", set())),
    "austenstone__copilot-usage__sample@8b4a2a0.json": (LOADS, ("array", set())),
    # hand-elided excerpt: brackets do not balance (json.loads fails at line 132 col 3)
    "austenstone__copilot-usage__sample@f734d15.json": (FORMAT, {"truncated-json", "invalid-json"}),
    "cardonator__copilot-metrics-dashboard__metrics.json": (LOADS, ("array", set())),
    # HTTP cache file: {"cached_at", "etag", "data": [...]}, every day has an extra "_source"
    "github-copilot-resources__copilot-metrics-viewer__10907d2547edc709f8ecd3095ed4187b.json": (
        LOADS,
        ("wrapped:data", {"_source"}),
    ),
    "github-copilot-resources__copilot-metrics-viewer__enterprise_metrics_response_sample.json": (
        LOADS,
        ("array", set()),
    ),
    "github-copilot-resources__copilot-metrics-viewer__organization_metrics_response_sample.json": (
        LOADS,
        ("array", set()),
    ),
    "github-copilot-resources__copilot-metrics-viewer__organization_metrics_response_sample@3691ada.json": (
        LOADS,
        ("array", set()),
    ),
    # minified, one missing day inside the range
    "jasonmoodie__copilot-metrics-viewer-power-bi__copilot_metrics_response_sample.json": (LOADS, ("array", set())),
    "microsoft__copilot-metrics-dashboard__metrics.json": (LOADS, ("array", set())),
    # annotation keys: _demo_note on the day, _note in each of the four sections
    "timothywarner__copilot-dev__copilot-metrics.json": (LOADS, ("array", {"_demo_note", "_note"})),
    "tweag__github-value__metrics.json": (LOADS, ("array", set())),
    # dates are ISO datetimes "2024-11-24T00:00:00.000Z"
    "tweag__github-value__mockMetrics.json": (SCHEMA, "$[0].date"),
}


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _days_of(raw: Any) -> list[Any]:
    """The day objects of a parsed sample, found without the library."""
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict) and "date" in raw:
        return [raw]
    assert isinstance(raw, dict)
    assert isinstance(raw["data"], list)
    return list(raw["data"])


def test_every_metrics_sample_has_a_written_expectation() -> None:
    assert _files(METRICS) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metrics_sample_loads_or_fails_actionably(name: str) -> None:
    path = METRICS / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this copy of ../shared")
    outcome, detail = EXPECTED[name]
    if outcome == LOADS:
        layout, unknown_names = detail
        days = _days_of(json.loads(path.read_bytes()))
        ds = cm.load(path)
        assert ds.days.height == len(days)
        assert sorted(d.isoformat() for d in ds.days["date"].to_list()) == sorted(d["date"] for d in days)
        row = ds.sources.row(0, named=True)
        assert (row["layout"], row["days"], row["days_valid"]) == (layout, len(days), len(days))
        assert ds.quarantine.height == 0
        report = cm.validate(path)
        assert report.ok, str(report)
        names = {p.rsplit(".", 1)[1] for p in report.unknown_fields["json_path"].to_list()}
        assert names == unknown_names
    elif outcome == FORMAT:
        with pytest.raises(cm.FormatError) as info:
            cm.load(path)
        assert info.value.detected in detail
        assert info.value.file == str(path)
        assert str(path) in str(info.value)
    else:
        raw = json.loads(path.read_bytes())
        with pytest.raises(cm.SchemaValidationError) as info:
            cm.load(path)
        err = info.value
        assert err.file == str(path)
        assert err.json_path == detail
        assert f"{path}: {detail}: " in str(err)
        assert err.report.days_checked == len(_days_of(raw))


def test_viewer_cache_sample_keeps_wrapper_and_every_source_key() -> None:
    path = METRICS / "github-copilot-resources__copilot-metrics-viewer__10907d2547edc709f8ecd3095ed4187b.json"
    if not path.is_file():
        pytest.skip("sample absent")
    raw = json.loads(path.read_bytes())
    ds = cm.load(path)
    wrapper = json.loads(ds.sources["wrapper"][0])
    assert wrapper == {k: v for k, v in raw.items() if k != "data"}
    paths = sorted(ds.validation.unknown_fields["json_path"].to_list())
    assert paths == sorted(f"$.data[{i}]._source" for i, d in enumerate(raw["data"]) if "_source" in d)


def test_tweag_mock_metrics_every_datetime_date_is_reported() -> None:
    path = METRICS / "tweag__github-value__mockMetrics.json"
    if not path.is_file():
        pytest.skip("sample absent")
    raw = json.loads(path.read_bytes())
    report = cm.validate(path)
    assert set(report.errors.select("json_path", "rule", "value").rows()) == {
        (f"$[{i}].date", "format", json.dumps(d["date"])) for i, d in enumerate(raw)
    }
    ds = cm.load(path, on_invalid="quarantine")
    assert ds.days.height == 0
    assert [json.loads(x) for x in ds.quarantine.sort("day_index")["day_json"].to_list()] == raw


@pytest.mark.parametrize(
    ("folder", "detected"),
    [
        pytest.param(LEGACY, "copilot-usage", id="usage-legacy"),
        pytest.param(REPORTS, "usage-report", id="usage-reports"),
    ],
)
def test_other_formats_are_recognised_and_named(folder: Path, detected: str) -> None:
    names = _files(folder)
    assert names, f"no files in {folder}"
    for name in names:
        path = folder / name
        with pytest.raises(cm.FormatError) as info:
            cm.load(path, reports="refuse")  # successor reports load by default (issue 21)
        assert info.value.detected == detected, name
        assert info.value.file == str(path)
        assert str(path) in str(info.value)
        report = cm.validate(path)
        if folder == REPORTS:  # validate reads the reports' records: these samples are valid
            assert report.errors.height == 0, name
            continue
        assert report.errors.select("source", "rule").rows() == [(str(path), f"format:{detected}")]


def test_whole_samples_folder_in_quarantine_mode_loads_every_loadable_file() -> None:
    expected_days = 0
    for name, (outcome, _) in EXPECTED.items():
        if outcome == LOADS and (METRICS / name).is_file():
            expected_days += len(_days_of(json.loads((METRICS / name).read_bytes())))
    ds = cm.load(METRICS, on_invalid="quarantine", contracts=False)
    status = dict(ds.sources.select("source", "status").rows())
    for name, (outcome, _) in EXPECTED.items():
        key = str(METRICS / name)
        if key not in status:
            continue
        if outcome == LOADS:
            assert status[key] == "loaded", name
        elif outcome == FORMAT:
            assert status[key].startswith("not loaded: "), name
        else:  # the only SCHEMA sample, the mock with ISO datetimes in every 'date': all its days set aside
            assert status[key] == "not loaded: every day quarantined", name
    assert int(ds.sources["days_valid"].sum()) == expected_days


def test_austenstone_sample_language_users_include_the_known_zero_day() -> None:
    # 27 days; on one of them the completions block is {"total_engaged_users": 0} with no arrays:
    # every language is reported on all 27 (astro: 6 user-days over 27 days, not over 26)
    path = METRICS / "austenstone__copilot-usage__sample.json"
    if not path.is_file():
        pytest.skip("sample absent")
    raw = json.loads(path.read_bytes())
    zero_days = [d for d in raw if d.get("copilot_ide_code_completions") == {"total_engaged_users": 0}]
    assert (len(raw), len(zero_days)) == (27, 1)
    astro_user_days = sum(
        x["total_engaged_users"]
        for d in raw
        for x in (d.get("copilot_ide_code_completions") or {}).get("languages", [])
        if x["name"] == "astro"
    )
    by_language = cm.acceptance(cm.load(path, org="a"), by="language")
    astro = by_language.filter(language="astro").row(0, named=True)
    assert (astro["engaged_user_days"], astro["engaged_users_days_reported"]) == (astro_user_days, 27)
    assert astro_user_days == 6
    assert set(by_language["engaged_users_days_reported"].to_list()) == {27}
