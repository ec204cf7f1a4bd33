"""Tests of merging overlapping exports (issue 4).

Archives are written by ``examples.generate_archive`` (overlapping windows, one late correction
per scope, identical repeats, days below the licence threshold, two orgs with a team each) or by
hand.  Every expectation is computed here from the raw JSON files: which export is the newest
holding a day, which values differ between two versions of the corrected day, which dates are
missing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics import examples
from copilot_metrics import merge as archive
from copilot_metrics.batch import explode_bytes
from copilot_metrics.testing import assert_dataset_equal

D = dt.date
START, END = D(2025, 1, 1), D(2025, 3, 10)
GAPS = (D(2025, 2, 5), D(2025, 2, 6), D(2025, 2, 20))
SCOPES = (("org-a", None), ("org-a", "t1"), ("org-b", None), ("org-b", "t2"))
OPTIONS: dict[str, Any] = {
    "scopes": SCOPES,
    "start": START,
    "end": END,
    "window_days": 28,
    "export_every_days": 7,
    "below_threshold": GAPS,
}
Scope = tuple[str, "str | None"]


# ------------------------------------------------------------------ independent helpers


def templates(root: Path) -> list[str]:
    return [str(root / "{org}" / "*.json"), str(root / "{org}" / "teams" / "{team}" / "*.json")]


def file_template(root: Path, path: Path) -> str:
    """A template matching exactly ``path``, giving it its scope labels."""
    parts = list(path.relative_to(root).parts)
    parts[0] = "{org}"
    if len(parts) == 4:
        parts[2] = "{team}"
    return str(root.joinpath(*parts))


def scope_of(root: Path, path: Path) -> Scope:
    parts = path.relative_to(root).parts
    return parts[0], parts[2] if len(parts) == 4 else None


def fetch_of(path: Path) -> D:
    return D.fromisoformat(path.name.removeprefix("copilot-metrics-").removesuffix(".json"))


def read_raw(root: Path) -> dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]:
    """Per scope: (fetch date from the name, path, days) of every export, oldest first."""
    out: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]] = defaultdict(list)
    for path in sorted(root.rglob("copilot-metrics-*.json")):
        out[scope_of(root, path)].append((fetch_of(path), str(path), json.loads(path.read_text())))
    for files in out.values():
        files.sort()
    return out


def canonical(day: dict[str, Any]) -> str:
    return json.dumps(day, sort_keys=True)


def key_json(**dims: str) -> str:
    return json.dumps(dims, separators=(",", ":"))


def _model_leaves(table: str, dims: dict[str, str], model: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    key = key_json(**dims, model=model["name"])
    for column, value in model.items():
        if column not in ("name", "languages"):
            yield table, key, column, value


def leaves(day: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(table, key, column, value) of every value of a day, walking the JSON by hand."""
    for column in ("total_active_users", "total_engaged_users"):
        if column in day:
            yield "days", "{}", column, day[column]
    blocks = {
        "copilot_ide_code_completions": "completions_engaged_users",
        "copilot_ide_chat": "ide_chat_engaged_users",
        "copilot_dotcom_chat": "dotcom_chat_engaged_users",
        "copilot_dotcom_pull_requests": "pull_requests_engaged_users",
    }
    for block, column in blocks.items():  # a column of the day's row: null when the block is null
        yield "days", "{}", column, (day.get(block) or {}).get("total_engaged_users")
    completions = day.get("copilot_ide_code_completions") or {}
    for language in completions.get("languages", []):
        yield (
            "completions_languages",
            key_json(language=language["name"]),
            "total_engaged_users",
            language["total_engaged_users"],
        )
    for editor in completions.get("editors", []):
        yield (
            "completions_editors",
            key_json(editor=editor["name"]),
            "total_engaged_users",
            editor["total_engaged_users"],
        )
        for model in editor.get("models", []):
            yield from _model_leaves("completions_models", {"editor": editor["name"]}, model)
            for language in model.get("languages", []):
                key = key_json(editor=editor["name"], model=model["name"], language=language["name"])
                for column, value in language.items():
                    if column != "name":
                        yield "completions", key, column, value
    chat = day.get("copilot_ide_chat") or {}
    for editor in chat.get("editors", []):
        yield "ide_chat_editors", key_json(editor=editor["name"]), "total_engaged_users", editor["total_engaged_users"]
        for model in editor.get("models", []):
            yield from _model_leaves("ide_chat", {"editor": editor["name"]}, model)
    for model in (day.get("copilot_dotcom_chat") or {}).get("models", []):
        yield from _model_leaves("dotcom_chat", {}, model)
    for repo in (day.get("copilot_dotcom_pull_requests") or {}).get("repositories", []):
        yield (
            "pull_requests_repositories",
            key_json(repository=repo["name"]),
            "total_engaged_users",
            repo["total_engaged_users"],
        )
        for model in repo.get("models", []):
            yield from _model_leaves("pull_requests", {"repository": repo["name"]}, model)


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def expected_conflicts(
    scope: Scope, date: D, kept: tuple[str, dict[str, Any]], other: tuple[str, dict[str, Any]]
) -> set[tuple[Any, ...]]:
    """The conflict rows between two versions of a day, from their JSON alone."""
    mine = {(t, k, c): v for t, k, c, v in leaves(kept[1])}
    theirs = {(t, k, c): v for t, k, c, v in leaves(other[1])}
    rows = set()
    for cell in mine.keys() & theirs.keys():
        if mine[cell] != theirs[cell]:
            rows.add((*scope, date, *cell, as_text(mine[cell]), as_text(theirs[cell]), kept[0], other[0]))
    for cell in mine.keys() ^ theirs.keys():
        table, key, _ = cell
        rows.add(
            (
                *scope,
                date,
                table,
                key,
                "(row)",
                "present" if cell in mine else "absent",
                "present" if cell in theirs else "absent",
                kept[0],
                other[0],
            )
        )
    return rows


def conflict_rows(ds: cm.Dataset) -> set[tuple[Any, ...]]:
    return {
        (
            r["org"],
            r["team"],
            r["date"],
            r["table"],
            r["key"],
            r["column"],
            r["kept_value"],
            r["other_value"],
            r["kept_source"],
            r["other_source"],
        )
        for r in ds.conflicts.to_dicts()
    }


def newest_holding(files: list[tuple[D, str, list[dict[str, Any]]]]) -> dict[D, tuple[str, dict[str, Any]]]:
    out: dict[D, tuple[str, dict[str, Any]]] = {}
    for _fetch, path, days in files:  # oldest first: later files overwrite
        for day in days:
            out[D.fromisoformat(day["date"])] = (path, day)
    return out


def assert_same(a: cm.Dataset, b: cm.Dataset, *, sources: bool = True) -> None:
    """Tables and conflicts equal; with ``sources``, also sources, findings and quarantine."""
    assert_dataset_equal(a, b, ignore=() if sources else ("sources", "findings", "quarantine"))


# ------------------------------------------------------------------ the generated archive


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("archive")
    examples.generate_archive(path, seed=3, n_languages=4, **OPTIONS)
    return path


@pytest.fixture(scope="module")
def raw(root: Path) -> dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]:
    return read_raw(root)


@pytest.fixture(scope="module")
def merged(root: Path) -> cm.Dataset:
    return cm.load(templates(root))


def test_archive_has_what_the_merge_must_handle(raw: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]) -> None:
    assert set(raw) == set(SCOPES)
    for files in raw.values():
        copies: dict[str, set[str]] = defaultdict(set)
        held = defaultdict(int)
        for _fetch, _path, days in files:
            for day in days:
                copies[day["date"]].add(canonical(day))
                held[day["date"]] += 1
        assert max(held.values()) >= 4  # overlapping windows: the same day in several exports
        assert sorted(len(v) for v in copies.values())[-2:] == [1, 2]  # exactly one corrected day
        assert not {d.isoformat() for d in GAPS} & copies.keys()


def test_each_scope_and_date_appears_once_in_every_table(merged: cm.Dataset) -> None:
    assert merged.days.select("org", "team", "date").is_duplicated().sum() == 0
    for name, spec in cm.TABLES.items():
        frame = merged.tables[name]
        assert frame.select(*spec.key).is_duplicated().sum() == 0, name
        # every row of a day comes from the day's one kept source
        per_day = frame.group_by("org", "team", "date").agg(pl.col("source").n_unique())
        assert per_day["source"].max() in (None, 1), name


def test_every_kept_day_comes_from_the_newest_export_holding_it(
    merged: cm.Dataset, raw: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]
) -> None:
    expected = {
        (*scope, date, path) for scope, files in raw.items() for date, (path, _) in newest_holding(files).items()
    }
    for name in cm.TABLES:
        got = set(merged.tables[name].select("org", "team", "date", "source").unique().iter_rows())
        assert got <= expected, name
    assert set(merged.days.select("org", "team", "date", "source").iter_rows()) == expected


def test_kept_values_are_the_newest_exports_including_the_late_correction(
    merged: cm.Dataset, raw: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]
) -> None:
    corrections = examples.late_corrections(**OPTIONS)
    assert len(corrections) == len(SCOPES)
    for c in corrections:
        path, day = newest_holding(raw[c.org, c.team])[c.date]
        assert fetch_of(Path(path)) > c.fetched_after - dt.timedelta(days=1)
        want = {(t, k, col): as_text(v) for t, k, col, v in leaves(day) if v is not None}
        got = {}
        for name, spec in cm.TABLES.items():
            frame = merged.tables[name].filter(
                (pl.col("org") == c.org) & pl.col("team").eq_missing(c.team) & (pl.col("date") == c.date)
            )
            for row in frame.to_dicts():
                key = key_json(**{d: row[d] for d in spec.dimensions}) if spec.dimensions else "{}"
                for column in spec.measures:
                    if row[column] is not None:
                        got[name, key, column] = as_text(
                            row[column].isoformat() if isinstance(row[column], dt.date) else row[column]
                        )
        assert got == want


def test_conflicts_list_exactly_the_values_the_late_correction_changed(
    merged: cm.Dataset, raw: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]
) -> None:
    expected: set[tuple[Any, ...]] = set()
    for c in examples.late_corrections(**OPTIONS):
        files = raw[c.org, c.team]
        kept = newest_holding(files)[c.date]
        before = [f for f in files if f[0] <= c.fetched_before]
        other = newest_holding(before)[c.date]
        assert fetch_of(Path(other[0])) == c.fetched_before
        assert canonical(kept[1]) != canonical(other[1])
        rows = expected_conflicts((c.org, c.team), c.date, kept, other)
        assert rows  # the correction changed something
        expected |= rows
    assert merged.conflicts["enterprise"].null_count() == merged.conflicts.height
    assert conflict_rows(merged) == expected


def test_sources_count_kept_identical_and_superseded_days(
    merged: cm.Dataset, raw: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]
) -> None:
    expected = {}
    for files in raw.values():
        newest = newest_holding(files)
        for _fetch, path, days in files:
            kept = sum(newest[D.fromisoformat(d["date"])][0] == path for d in days)
            same = sum(canonical(newest[D.fromisoformat(d["date"])][1]) == canonical(d) for d in days)
            expected[path] = (len(days), kept, same - kept, len(days) - same)
    got = {
        r["source"]: (r["days"], r["days_kept"], r["days_identical"], r["days_superseded"])
        for r in merged.sources.to_dicts()
    }
    assert got == expected
    assert sum(v[3] for v in expected.values()) > 0
    assert set(merged.sources["precedence_basis"]) == {"file name"}
    assert merged.sources["source"].to_list() == sorted(expected)


def test_coverage_reports_the_exact_gaps_below_the_threshold(
    merged: cm.Dataset, raw: dict[Scope, list[tuple[D, str, list[dict[str, Any]]]]]
) -> None:
    cov = cm.coverage(merged)
    assert cov.height == len(SCOPES)
    for scope, files in raw.items():
        present = sorted({D.fromisoformat(d["date"]) for _f, _p, days in files for d in days})
        ranges = []
        for prev, cur in itertools.pairwise(present):
            if (cur - prev).days > 1:
                ranges.append({"start": prev + dt.timedelta(days=1), "end": cur - dt.timedelta(days=1)})
        row = cov.filter((pl.col("org") == scope[0]) & pl.col("team").eq_missing(scope[1])).to_dicts()
        assert row == [
            {
                "enterprise": None,
                "org": scope[0],
                "team": scope[1],
                "first_date": present[0],
                "last_date": present[-1],
                "days_present": len(present),
                "days_missing": (present[-1] - present[0]).days + 1 - len(present),
                "missing_ranges": ranges,
            }
        ]
        # and by hand: the three dates below the threshold, two of them consecutive
        assert ranges == [
            {"start": D(2025, 2, 5), "end": D(2025, 2, 6)},
            {"start": D(2025, 2, 20), "end": D(2025, 2, 20)},
        ]
        assert (present[0], present[-1], len(present)) == (START, END, 69 - 3)


def test_coverage_of_a_scope_without_gaps_has_an_empty_list() -> None:
    days = [{"date": f"2025-01-0{i}", "total_active_users": i} for i in (1, 2, 3)]
    cov = cm.coverage(cm.load(json.dumps(days).encode(), org="o"))
    assert cov.select("days_present", "days_missing", "missing_ranges").to_dicts() == [
        {"days_present": 3, "days_missing": 0, "missing_ranges": []}
    ]


def test_merger_drops_identical_repeats_as_files_are_read(root: Path) -> None:
    merger = archive.Merger()
    versions = set()
    for path in sorted(root.rglob("*.json")):
        scope = dict(zip(("org", "team"), scope_of(root, path), strict=True))
        out = explode_bytes(path.read_bytes(), source=str(path), scope=scope)
        merger.add(str(path), out.tables)
        versions |= {(*scope_of(root, path), canonical(d)) for d in json.loads(path.read_text())}
        # memory: stored days never exceed the distinct versions seen so far
        assert sum(p.height for p in merger.parts["days"]) == len(versions)
    assert len(versions) == 4 * (69 - 3) + 4  # every day once, plus one corrected version per scope


# ------------------------------------------------------------------ order does not matter


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Two scopes, 14-day windows, plus a hand-made export with a nulled block and a repeated date."""
    root = tmp_path_factory.mktemp("small")
    examples.generate_archive(
        root,
        seed=5,
        n_languages=3,
        scopes=(("org-a", None), ("org-a", "t1")),
        start=D(2025, 1, 1),
        end=D(2025, 2, 4),
        window_days=14,
        export_every_days=7,
        below_threshold=[D(2025, 1, 20)],
    )
    days = json.loads((root / "org-a" / "copilot-metrics-2025-01-15.json").read_text())
    by_date = {d["date"]: d for d in days}
    # a day the later export (2025-01-22, days 01-08 to 01-21) also holds, so the manual copy loses
    nulled = next(
        d
        for d in days
        if d["date"] >= "2025-01-08"
        and d["date"] not in ("2025-01-11", "2025-01-12")
        and d.get("copilot_dotcom_chat")
        and d["copilot_dotcom_chat"]["models"]
    )
    nulled = {**nulled, "copilot_dotcom_chat": None}
    repeated = {**by_date["2025-01-12"], "total_active_users": by_date["2025-01-12"]["total_active_users"] + 1}
    manual = [nulled, repeated, by_date["2025-01-11"], by_date["2025-01-12"]]
    (root / "org-a" / "manual-2025-01-16.json").write_text(json.dumps(manual))
    paths = sorted(root.rglob("*.json"))
    return root, [file_template(root, p) for p in paths]


@pytest.fixture(scope="module")
def small_merged(small: tuple[Path, list[str]]) -> cm.Dataset:
    return cm.load(small[1])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_loading_the_files_in_any_order_gives_the_same_dataset(
    small: tuple[Path, list[str]], small_merged: cm.Dataset, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(small[1]))
    assert_same(cm.load(order), small_merged)


def test_reversed_order_gives_the_same_dataset(small: tuple[Path, list[str]], small_merged: cm.Dataset) -> None:
    assert_same(cm.load(list(reversed(small[1]))), small_merged)


def test_a_block_null_in_one_version_is_listed_as_row_conflicts(
    small: tuple[Path, list[str]], small_merged: cm.Dataset
) -> None:
    root = small[0]
    manual = json.loads((root / "org-a" / "manual-2025-01-16.json").read_text())
    date = manual[0]["date"]
    files = read_raw(root)["org-a", None]
    kept = newest_holding(files)[D.fromisoformat(date)]
    assert fetch_of(Path(kept[0])) > D(2025, 1, 16)  # a later export holds the day and wins
    got = {r for r in conflict_rows(small_merged) if r[2] == D.fromisoformat(date) and r[1] is None}
    expected = expected_conflicts(
        ("org-a", None), D.fromisoformat(date), kept, (str(root / "org-a" / "manual-2025-01-16.json"), manual[0])
    )
    models = [m["name"] for m in kept[1]["copilot_dotcom_chat"]["models"]]
    assert {r for r in expected if r[3] == "dotcom_chat"} == {
        (
            "org-a",
            None,
            D.fromisoformat(date),
            "dotcom_chat",
            key_json(model=m),
            "(row)",
            "present",
            "absent",
            kept[0],
            str(root / "org-a" / "manual-2025-01-16.json"),
        )
        for m in models
    }
    shape = {r for r in got if r[5] == "shape"}
    assert len(shape) == 1
    assert "copilot_dotcom_chat:null" in next(iter(shape))[7]
    assert got - shape == expected
    assert all(r[8] is not None for r in conflict_rows(small_merged))


def test_an_earlier_differing_copy_inside_a_file_is_a_conflict_and_a_finding(
    small: tuple[Path, list[str]], small_merged: cm.Dataset
) -> None:
    root = small[0]
    manual_path = str(root / "org-a" / "manual-2025-01-16.json")
    manual = json.loads(Path(manual_path).read_text())
    kept = newest_holding(read_raw(root)["org-a", None])[D(2025, 1, 12)]
    got = {r for r in conflict_rows(small_merged) if r[2] == D(2025, 1, 12) and r[1] is None}
    assert got == {
        (
            "org-a",
            None,
            D(2025, 1, 12),
            "days",
            "{}",
            "total_active_users",
            str(kept[1]["total_active_users"]),
            str(manual[1]["total_active_users"]),
            kept[0],
            manual_path + "$[1]",
        )
    }
    found = small_merged.findings.filter(pl.col("rule") == "duplicate_date_in_file")
    assert found.select("source", "date", "json_path", "value", "severity").to_dicts() == [
        {
            "source": manual_path,
            "date": D(2025, 1, 12),
            "json_path": "$[1]",
            "value": "differs from $[3], the copy kept",
            "severity": "warning",
        }
    ]
    row = small_merged.sources.filter(pl.col("source") == manual_path).to_dicts()[0]
    # 4 day objects: all lose to later exports; the later copy of 01-12 and 01-11 are identical
    assert (row["days"], row["days_kept"], row["days_identical"], row["days_superseded"]) == (4, 0, 2, 2)


# ------------------------------------------------------------------ repeats inside one file


def day(date: str, users: int, **extra: Any) -> dict[str, Any]:
    return {"date": date, "total_active_users": users, **extra}


def write(path: Path, days: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(days))
    return str(path)


def test_identical_repeat_inside_one_file_collapses_with_a_finding(tmp_path: Path) -> None:
    f = write(tmp_path / "x.json", [day("2025-01-01", 5), day("2025-01-02", 6), day("2025-01-01", 5)])
    ds = cm.load(f, org="o")
    assert ds.days.select("date", "total_active_users", "source").rows() == [
        (D(2025, 1, 1), 5, f),
        (D(2025, 1, 2), 6, f),
    ]
    assert ds.conflicts.height == 0
    assert ds.quarantine.height == 0
    found = ds.findings.filter(pl.col("rule") == "duplicate_date_in_file")
    assert found.select("json_path", "value").rows() == [("$[0]", "identical to $[2], the copy kept")]
    assert ds.sources.select("days", "days_kept", "days_identical", "days_superseded").rows() == [(3, 2, 1, 0)]


def test_later_copy_of_a_date_inside_one_file_wins(tmp_path: Path) -> None:
    f = write(tmp_path / "x.json", [day("2025-01-01", 5), day("2025-01-01", 7), day("2025-01-01", 9)])
    ds = cm.load(f, org="o")
    assert ds.days.select("total_active_users", "source").rows() == [(9, f)]
    assert sorted(ds.conflicts.select("column", "kept_value", "other_value", "kept_source", "other_source").rows()) == [
        ("total_active_users", "9", "5", f, f + "$[0]"),
        ("total_active_users", "9", "7", f, f + "$[1]"),
    ]
    assert ds.sources.select("days", "days_kept", "days_identical", "days_superseded").rows() == [(3, 1, 0, 2)]


def test_the_copies_of_a_repeated_date_are_named_by_their_json_path(tmp_path: Path) -> None:
    # 01-01 three times: $[2] (9 users) is the file's own copy; $[1] the same version; $[0] (5 users) another
    f = write(tmp_path / "x.json", [day("2025-01-01", 5), day("2025-01-01", 9), day("2025-01-01", 9)])
    ds = cm.load(f, org="o")
    versions = ds.versions.select("source", "label", "copy_path", "occurrence", "version")
    assert versions.rows() == [(f, f, None, 0, 0), (f, f + "$[1]", "$[1]", 1, 0), (f, f + "$[0]", "$[0]", 2, 1)]
    assert ds.versions["day_json"].is_null().to_list() == [True, True, False]
    assert json.loads(ds.versions["day_json"][2])["total_active_users"] == 5
    assert ds.conflicts.select("kept_value", "other_value", "kept_source", "other_source").rows() == [
        ("9", "5", f, f + "$[0]")
    ]
    # the conflict's losing copy is found by its label in ds.versions: file and copy path, no parsing
    assert ds.conflicts.join(ds.versions, left_on=["date", "other_source"], right_on=["date", "label"]).select(
        "source", "copy_path"
    ).rows() == [(f, "$[0]")]


def test_repeats_inside_a_wrapped_file_name_the_wrapped_path(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text(json.dumps({"data": [day("2025-01-01", 5), day("2025-01-01", 7)]}))
    ds = cm.load(str(f), org="o")
    assert ds.conflicts["other_source"].to_list() == [f"{f}$.data[0]"]


# ------------------------------------------------------------------ precedence


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("copilot-2025-05-06.json", dt.datetime(2025, 5, 6)),
        ("copilot-2025-05-06T10:30:00.json", dt.datetime(2025, 5, 6, 10, 30)),
        ("copilot-2025-05-06_103000.json", dt.datetime(2025, 5, 6, 10, 30)),
        ("copilot-20250506.json", dt.datetime(2025, 5, 6)),
        ("copilot-20250506T103000.json", dt.datetime(2025, 5, 6, 10, 30)),
        ("copilot-20250506-103000.json", dt.datetime(2025, 5, 6, 10, 30)),
        ("backup-2024-01-01-of-2025-02-03.json", dt.datetime(2025, 2, 3)),
        ("export-2025-13-45.json", None),  # not a date: falls through to the last date
    ],
)
def test_file_name_timestamp_patterns(name: str, expected: dt.datetime | None) -> None:
    stamp, basis = archive.export_time(f"exports/{name}", D(2025, 1, 1))
    if expected is None:
        assert (stamp, basis) == (dt.datetime(2025, 1, 2), "last date")
    else:
        assert (stamp, basis) == (expected, "file name")


def test_file_name_time_of_day_beats_a_larger_path(tmp_path: Path) -> None:
    a = write(tmp_path / "a-2025-05-06_103000.json", [day("2025-05-01", 1)])
    b = write(tmp_path / "b-20250506T093000.json", [day("2025-05-01", 2)])
    ds = cm.load([b, a], org="o")
    assert ds.days.select("total_active_users", "source").rows() == [(1, a)]
    assert ds.conflicts.select("kept_source", "other_source").rows() == [(a, b)]


def test_fetched_at_beats_file_name_timestamps(tmp_path: Path) -> None:
    old_name = write(tmp_path / "copilot-2025-02-01.json", [day("2025-01-20", 2)])
    new_name = write(tmp_path / "copilot-2025-03-01.json", [day("2025-01-20", 1)])
    ds = cm.load([new_name, old_name], org="o", fetched_at={old_name: "2025-04-01T00:00:00+02:00"})
    assert ds.days["total_active_users"].to_list() == [2]
    basis = dict(ds.sources.select("source", "precedence_basis").rows())
    assert basis == {old_name: "fetched_at", new_name: "file name"}
    times = dict(ds.sources.select("source", "export_time").rows())
    assert times[old_name] == dt.datetime(2025, 3, 31, 22, 0)  # converted to UTC


def test_last_date_orders_files_without_timestamps(tmp_path: Path) -> None:
    later_window = write(tmp_path / "a.json", [day("2025-01-01", 1), day("2025-01-02", 1)])
    earlier_window = write(tmp_path / "b.json", [day("2025-01-01", 2)])
    ds = cm.load([earlier_window, later_window], org="o")
    assert ds.days.select("date", "total_active_users", "source").rows() == [
        (D(2025, 1, 1), 1, later_window),
        (D(2025, 1, 2), 1, later_window),
    ]
    assert set(ds.sources["precedence_basis"]) == {"last date"}


def test_mtime_breaks_ties_of_equal_export_times(tmp_path: Path) -> None:
    a = write(tmp_path / "a.json", [day("2025-01-01", 1)])
    b = write(tmp_path / "b.json", [day("2025-01-01", 2)])
    os.utime(a, (2_000_000_000, 2_000_000_000))
    os.utime(b, (1_000_000_000, 1_000_000_000))
    assert cm.load([b, a], org="o").days["total_active_users"].to_list() == [1]


def test_path_breaks_the_remaining_ties(tmp_path: Path) -> None:
    a = write(tmp_path / "a.json", [day("2025-01-01", 1)])
    b = write(tmp_path / "b.json", [day("2025-01-01", 2)])
    for f in (a, b):
        os.utime(f, (1_000_000_000, 1_000_000_000))
    for order in ([a, b], [b, a]):
        ds = cm.load(order, org="o")
        assert ds.days.select("total_active_users", "source").rows() == [(2, b)]
        assert dict(ds.sources.select("source", "rank").rows()) == {a: 1, b: 2}


def test_custom_precedence_key_overrides_the_rules(tmp_path: Path) -> None:
    newer = write(tmp_path / "copilot-2025-09-01.json", [day("2025-01-01", 1)])
    chosen = write(tmp_path / "copilot-2025-01-05-keep.json", [day("2025-01-01", 2)])
    ds = cm.load([newer, chosen], org="o", precedence=lambda row: row["source"].endswith("keep.json"))
    assert ds.days.select("total_active_users", "source").rows() == [(2, chosen)]
    ds = cm.load([newer, chosen], org="o", precedence=lambda row: row["export_time"])
    assert ds.days["source"].to_list() == [newer]


# ------------------------------------------------------------------ incremental loads


def _split(root: Path, last_fetch: D) -> tuple[list[str], list[str]]:
    paths = sorted(root.rglob("*.json"))
    old = [file_template(root, p) for p in paths if fetch_of(p) <= last_fetch]
    new = [file_template(root, p) for p in paths if fetch_of(p) > last_fetch]
    return old, new


@pytest.mark.parametrize("split", ["before the correction", "after the correction"])
def test_incremental_load_equals_loading_everything(root: Path, merged: cm.Dataset, split: str, tmp_path: Path) -> None:
    c = examples.late_corrections(**OPTIONS)[0]
    last = c.fetched_before if split == "before the correction" else c.fetched_after + dt.timedelta(days=7)
    old, new = _split(root, last)
    assert old
    assert new
    base = cm.load(old)
    new_bytes = sum(p.stat().st_size for p in root.rglob("*.json") if fetch_of(p) > last)
    steps: list[cm.LoadProgress] = []
    # the old JSON is not read again: moved away during the load, a read of it would raise
    away = {p: tmp_path / str(i) for i, p in enumerate(p for p in root.rglob("*.json") if fetch_of(p) <= last)}
    for path, moved in away.items():
        path.rename(moved)
    try:
        grown = cm.load(new, base=base, progress=steps.append)
    finally:
        for path, moved in away.items():
            moved.rename(path)
    assert len(away) == len(old)
    assert steps[-1] == cm.LoadProgress(len(new), len(new), new_bytes, new_bytes)  # the new files, read once each
    # everything, counts and the report included: before the correction, the base's copies of the
    # original day (recorded in base.versions) are superseded by the new version, as in one load
    assert_dataset_equal(grown, merged, check_validation=True)
    c_day = merged.conflicts.filter(pl.col("date") == c.date)
    assert c_day.height > 0
    assert (
        grown.sources.filter(pl.col("days_superseded") > 0).height
        == merged.sources.filter(pl.col("days_superseded") > 0).height
        > 1
    )


def test_incremental_load_does_not_change_the_base(root: Path) -> None:
    old, new = _split(root, D(2025, 1, 22))
    base = cm.load(old)
    before = {name: frame.clone() for name, frame in base.tables.items()}
    cm.load(new, base=base)
    for name, frame in before.items():
        assert frame.equals(base.tables[name])


def test_incremental_load_from_a_parquet_base(root: Path, merged: cm.Dataset, tmp_path: Path) -> None:
    c = examples.late_corrections(**OPTIONS)[0]
    old, new = _split(root, c.fetched_before)
    cm.write_parquet(cm.load(old), tmp_path / "pq")
    grown = cm.load(new, base=str(tmp_path / "pq"))
    assert_dataset_equal(grown, merged, check_validation=True)


def test_loading_a_copy_of_the_archive_elsewhere_keeps_the_same_tables(root: Path, tmp_path: Path) -> None:
    # the winner depends on export times, not on where the files are
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    a, b = cm.load(templates(root)), cm.load(templates(copy))
    for name in a.tables:
        assert a.tables[name].drop("source").equals(b.tables[name].drop("source"))
    assert a.conflicts.drop("kept_source", "other_source").equals(b.conflicts.drop("kept_source", "other_source"))


def test_a_file_ending_on_the_last_representable_date_ranks_without_overflow() -> None:
    assert archive.export_time("x.json", D(9999, 12, 31)) == (dt.datetime.max, "last date")
    older = json.dumps([day("9999-12-30", 1)]).encode()
    newer = json.dumps([day("9999-12-30", 2), day("9999-12-31", 2)]).encode()
    ds = cm.load([older, newer], org="o")
    assert ds.days["total_active_users"].to_list() == [2, 2]


def test_a_base_file_read_again_replaces_its_base_copy(tmp_path: Path) -> None:
    a = write(tmp_path / "a-2025-01-05.json", [day("2025-01-01", 1), day("2025-01-02", 1), day("2025-01-02", 3)])
    b = write(tmp_path / "b-2025-01-06.json", [day("2025-01-02", 2)])
    full = cm.load([a, b], org="o")
    for base_files in ([a], [b], [a, b]):
        assert_same(cm.load([a, b], org="o", base=cm.load(base_files, org="o")), full)
    assert full.sources.select("source", "days", "days_kept", "days_identical", "days_superseded").rows() == [
        (a, 3, 1, 0, 2),
        (b, 1, 1, 0, 0),
    ]


def test_each_losing_version_is_compared_with_the_kept_one(tmp_path: Path) -> None:
    v1 = write(tmp_path / "x-2025-01-03.json", [day("2025-01-01", 1, total_engaged_users=1)])
    v2 = write(tmp_path / "x-2025-01-04.json", [day("2025-01-01", 2, total_engaged_users=1)])
    v2_again = write(tmp_path / "x-2025-01-05.json", [day("2025-01-01", 2, total_engaged_users=1)])
    v3 = write(tmp_path / "x-2025-01-06.json", [day("2025-01-01", 3, total_engaged_users=1)])
    ds = cm.load([v3, v1, v2_again, v2], org="o")
    assert ds.days.select("total_active_users", "source").rows() == [(3, v3)]
    # one row per losing version, named by its most recent file; equal columns are not listed
    assert ds.conflicts.select("column", "kept_value", "other_value", "kept_source", "other_source").rows() == [
        ("total_active_users", "3", "1", v3, v1),
        ("total_active_users", "3", "2", v3, v2_again),
    ]
    counts = ds.sources.select("source", "days_kept", "days_identical", "days_superseded").rows()
    assert counts == [(v1, 0, 0, 1), (v2, 0, 0, 1), (v2_again, 0, 0, 1), (v3, 1, 0, 0)]


@pytest.mark.parametrize("how", ["base", "parquet"])
@pytest.mark.parametrize("newest", ["a newer export", "an older export"])
def test_a_day_the_contracts_set_aside_leaves_the_quarantine_only_when_another_version_wins(
    how: str, newest: str, tmp_path: Path
) -> None:
    base_file = write(tmp_path / "x-2025-01-05.json", [day("2025-01-01", -1), day("2025-01-02", 2)])
    stamp = "2025-01-06" if newest == "a newer export" else "2025-01-04"
    other = write(tmp_path / f"x-{stamp}.json", [day("2025-01-01", 5)])
    base = cm.load(base_file, org="o", on_invalid="quarantine")
    assert base.quarantine.select("source", "date", "stage").rows() == [(base_file, "2025-01-01", "contract")]
    if how == "base":
        grown = cm.load(other, org="o", on_invalid="quarantine", base=base)
    else:
        root = cm.write_parquet(base, tmp_path / "pq")
        grown = cm.read_parquet(cm.write_parquet(cm.load(other, org="o"), root, mode="merge"))
    assert_dataset_equal(grown, cm.load([base_file, other], org="o", on_invalid="quarantine"), check_validation=True)
    conflict = grown.conflicts.select("date", "column", "kept_value", "other_value", "kept_source", "other_source")
    statuses = grown.sources.select("source", "status", "days_kept", "days_identical", "days_superseded")
    if newest == "a newer export":  # 5 users win: the negative day is only a losing version
        assert grown.days.select(pl.col("date").cast(pl.String), "total_active_users").rows() == [
            ("2025-01-01", 5),
            ("2025-01-02", 2),
        ]
        assert grown.quarantine.height == 0
        assert grown.findings.filter(pl.col("rule") == "negative_count").height == 0
        assert conflict.rows() == [(D(2025, 1, 1), "total_active_users", "5", "-1", other, base_file)]
        assert statuses.rows() == [(base_file, "loaded", 1, 0, 1), (other, "loaded", 1, 0, 0)]
    else:  # the negative day still wins: it stays aside, and the older version is a conflict
        assert grown.days.select(pl.col("date").cast(pl.String), "total_active_users").rows() == [("2025-01-02", 2)]
        assert grown.quarantine.select("source", "date", "day_index", "stage").rows() == [
            (base_file, "2025-01-01", 0, "contract")
        ]
        assert grown.findings.filter(pl.col("rule") == "negative_count").select("source").rows() == [(base_file,)]
        assert conflict.rows() == [(D(2025, 1, 1), "total_active_users", "-1", "5", base_file, other)]
        assert statuses.rows() == [(other, "loaded", 0, 0, 1), (base_file, "loaded with quarantined days", 2, 0, 0)]
