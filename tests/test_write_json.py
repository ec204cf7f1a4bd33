"""Tests of copilot_metrics.write_json: the merged history back in the API's format."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import copilot_metrics as cm
from copilot_metrics import examples
from copilot_metrics._layout import LAYOUT_FILE
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.export.json import FILE_NAME, read_json, templates, write_json

D = dt.date
SCOPES = (("org-a", None), ("org-a", "t1"), ("org-b", None), ("org-b", "t2"))
OPTIONS: dict[str, Any] = {
    "scopes": SCOPES,
    "start": D(2025, 1, 1),
    "end": D(2025, 2, 20),
    "window_days": 28,
    "export_every_days": 7,
    "below_threshold": [D(2025, 1, 25)],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    examples.generate_archive(root, seed=11, n_languages=4, **OPTIONS)
    return root


@pytest.fixture(scope="module")
def merged(archive: Path) -> cm.Dataset:
    return cm.load([str(archive / "{org}" / "*.json"), str(archive / "{org}" / "teams" / "{team}" / "*.json")])


def newest_days(folder: Path) -> list[dict[str, Any]]:
    """Each date's day object from the newest export holding it (names sort by fetch date), by date."""
    days: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("copilot-metrics-*.json")):
        for day in json.loads(path.read_text()):
            days[day["date"]] = day
    return [days[d] for d in sorted(days)]


def test_one_file_per_scope_laid_out_like_the_endpoints(merged: cm.Dataset, tmp_path: Path) -> None:
    written = write_json(merged, tmp_path / "out")
    out = tmp_path / "out"
    assert written == sorted(
        [
            out / "orgs" / "org-a" / FILE_NAME,
            out / "orgs" / "org-a" / "team" / "t1" / FILE_NAME,
            out / "orgs" / "org-b" / FILE_NAME,
            out / "orgs" / "org-b" / "team" / "t2" / FILE_NAME,
        ]
    )
    # and the layout manifest, which makes cm.load(out) label each file (tested below)
    assert sorted(p for p in out.rglob("*") if p.is_file()) == sorted([*written, out / LAYOUT_FILE])


def test_each_file_is_the_newest_version_of_every_day_in_date_order(
    merged: cm.Dataset, archive: Path, tmp_path: Path
) -> None:
    write_json(merged, tmp_path)
    for org, team in SCOPES:
        folder = archive / org if team is None else archive / org / "teams" / team
        target = tmp_path / "orgs" / org / ("team/" + team if team else "") / FILE_NAME
        written = json.loads(target.read_text())
        expected = newest_days(folder)
        assert [d["date"] for d in written] == [d["date"] for d in expected]
        assert "2025-01-25" not in {d["date"] for d in written}  # a gap stays a gap
        assert written == expected  # late correction included, values and nulls as exported


def test_written_files_load_back_into_the_same_tables(merged: cm.Dataset, tmp_path: Path) -> None:
    write_json(merged, tmp_path)
    assert templates(tmp_path) == [
        str(tmp_path / "orgs" / "{org}" / FILE_NAME),
        str(tmp_path / "orgs" / "{org}" / "team" / "{team}" / FILE_NAME),
    ]
    again = cm.load(templates(tmp_path))
    for name, frame in merged.tables.items():
        assert frame.drop("source").equals(again.tables[name].drop("source")), name
    assert again.conflicts.height == 0
    assert merged.conflicts.height > 0


def test_one_scope_can_be_written_to_a_single_file(tmp_path: Path) -> None:
    days = [
        {"date": "2025-01-02", "total_active_users": 3, "copilot_dotcom_chat": None, "new_key": {"a": 1}},
        {"date": "2025-01-01", "total_active_users": 2},
    ]
    ds = cm.load(json.dumps(days).encode(), org="o")
    assert write_json(ds, tmp_path / "history.json") == [tmp_path / "history.json"]
    assert json.loads((tmp_path / "history.json").read_text()) == [days[1], days[0]]
    again = cm.load(str(tmp_path / "history.json"), org="o")
    for name, frame in ds.tables.items():
        assert frame.drop("source").equals(again.tables[name].drop("source")), name


def test_a_single_file_cannot_hold_several_scopes(merged: cm.Dataset, tmp_path: Path) -> None:
    with pytest.raises(CopilotMetricsError, match="4 scopes"):
        write_json(merged, tmp_path / "all.json")
    assert not (tmp_path / "all.json").exists()


def test_enterprise_and_unlabelled_scopes_have_their_own_folders(tmp_path: Path) -> None:
    day = [{"date": "2025-01-01", "total_active_users": 9}]
    ds = cm.load([json.dumps(day).encode()], enterprise="ent", team="t")
    assert write_json(ds, tmp_path / "e") == [tmp_path / "e" / "enterprises" / "ent" / "team" / "t" / FILE_NAME]
    again = cm.load(templates(tmp_path / "e"))
    assert again.days.select("enterprise", "org", "team", "total_active_users").rows() == [("ent", None, "t", 9)]
    bare = cm.load(json.dumps(day).encode())
    assert write_json(bare, tmp_path / "b") == [tmp_path / "b" / FILE_NAME]
    assert templates(tmp_path / "b") == [str(tmp_path / "b" / FILE_NAME)]


def test_a_label_that_is_not_a_folder_name_is_percent_encoded_and_read_back(tmp_path: Path) -> None:
    ds = cm.load(json.dumps([{"date": "2025-01-01", "total_active_users": 4}]).encode(), org="a/b")
    assert write_json(ds, tmp_path) == [tmp_path / "orgs" / "a%2Fb" / FILE_NAME]
    again = read_json(tmp_path)
    assert again.days.select("org", "total_active_users").rows() == [("a/b", 4)]
