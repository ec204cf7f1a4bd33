"""A folder never silently merges different scopes.

The library's own folders (``write_json``, ``copilot-metrics example``, ``write_parquet``) load
with their scope labels when named alone; unlabelled folders whose data cannot be one scope are
refused (:class:`copilot_metrics.ScopeError`), and exports of one scope spread over folders still
load.  Expected values are written by hand or computed here from the files.
"""

from __future__ import annotations

import gzip
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics._layout import LAYOUT_FILE
from copilot_metrics.export.json import read_json, write_json

SCOPE_COLUMNS = ["enterprise", "org", "team"]


def export(path: Path, users: dict[str, int]) -> Path:
    """Write one export: ``{date: total_active_users}`` as the API's array, in date order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"date": d, "total_active_users": n} for d, n in sorted(users.items())]))
    return path


def day(n: int) -> str:
    return f"2025-01-{n:02d}"


def rows(ds: cm.Dataset) -> list[tuple[Any, ...]]:
    frame = ds.days.select(*SCOPE_COLUMNS, pl.col("date").cast(pl.String), "total_active_users")
    return frame.sort([*SCOPE_COLUMNS, "date"], nulls_last=False).rows()


# --------------------------------------------------------------------------------------------
# The library's own folders load with their labels
# --------------------------------------------------------------------------------------------


def labelled_dataset() -> cm.Dataset:
    """Six scopes, whose labels write_json spells as themselves, percent-encoded or by digest."""
    long = "x" * 200  # longer than a folder name may be: named by its digest
    scopes: list[dict[str, str | None]] = [
        {"org": "plain"},
        {"org": "a/b"},
        {"org": "Octo"},
        {"org": "octo"},
        {"org": long, "team": "t"},
        {"enterprise": "ent", "org": "plain", "team": "core"},
    ]
    ds: cm.Dataset | None = None
    for users, labels in enumerate(scopes, start=1):
        data = json.dumps([{"date": "2025-01-01", "total_active_users": users}]).encode()
        ds = cm.load(data, base=ds, **labels)  # type: ignore[arg-type]
    ds = cm.load(json.dumps([{"date": "2025-01-02", "total_active_users": 7}]).encode(), base=ds)  # no label
    assert ds is not None
    return ds


EXPECTED_ROWS = [
    (None, None, None, "2025-01-02", 7),
    (None, "Octo", None, "2025-01-01", 3),
    (None, "a/b", None, "2025-01-01", 2),
    (None, "octo", None, "2025-01-01", 4),
    (None, "plain", None, "2025-01-01", 1),
    (None, "x" * 200, "t", "2025-01-01", 5),
    ("ent", "plain", "core", "2025-01-01", 6),
]


def test_a_write_json_folder_loads_with_every_label_exactly(tmp_path: Path) -> None:
    ds = labelled_dataset()
    write_json(ds, tmp_path / "clean")
    manifest = json.loads((tmp_path / "clean" / LAYOUT_FILE).read_text())
    assert manifest["writer"] == "write_json"
    assert sorted(manifest["templates"]) == [
        "copilot-metrics.json",
        "enterprises/{enterprise}/orgs/{org}/team/{team}/copilot-metrics.json",
        "orgs/{org}/copilot-metrics.json",
        "orgs/{org}/team/{team}/copilot-metrics.json",
    ]
    assert manifest["labels"]["org"]["%4Fcto"] == "Octo"
    assert manifest["labels"]["org"]["a%2Fb"] == "a/b"
    again = cm.load(tmp_path / "clean")
    assert rows(again) == EXPECTED_ROWS
    assert again.conflicts.height == 0
    assert again.sources.height == 7  # the seven scope files: neither the manifest nor the digest list
    exact = read_json(tmp_path / "clean")
    for name, frame in exact.tables.items():
        assert frame.drop("source").equals(again.tables[name].drop("source")), name
    report = cm.validate(tmp_path / "clean")
    assert (report.ok, report.days_checked, report.days_valid) == (True, 7, 7)


def test_keywords_add_labels_to_a_layout_but_never_change_one(tmp_path: Path) -> None:
    ds = cm.load(export(tmp_path / "in.json", {day(1): 5, day(2): 6}), org="octo")
    write_json(ds, tmp_path / "clean")
    added = cm.load(tmp_path / "clean", enterprise="ent")
    assert rows(added) == [("ent", "octo", None, day(1), 5), ("ent", "octo", None, day(2), 6)]
    assert rows(cm.load(tmp_path / "clean", org="octo")) == rows(ds)
    file = tmp_path / "clean" / "orgs" / "octo" / "copilot-metrics.json"
    with pytest.raises(cm.CopilotMetricsError) as caught:
        cm.load(tmp_path / "clean", org="other")
    assert caught.value.message == (
        f"{file}: org='other' was given, but the folder's layout ({tmp_path / 'clean' / LAYOUT_FILE}) labels this "
        "file org='octo'"
    )
    assert caught.value.file == str(file)


def test_the_manifest_is_never_read_as_an_export(tmp_path: Path) -> None:
    ds = cm.load(export(tmp_path / "in.json", {day(1): 5}))
    write_json(ds, tmp_path / "clean")  # an unlabelled scope: clean/copilot-metrics.json, beside the manifest
    globbed = cm.load(str(tmp_path / "clean" / "*.json"))
    assert globbed.sources["source"].to_list() == [str(tmp_path / "clean" / "copilot-metrics.json")]
    assert rows(globbed) == [(None, None, None, day(1), 5)]


def test_a_folder_written_twice_holds_the_second_write_alone(tmp_path: Path) -> None:
    # write_json replaces its folder whole, atomically (as write_parquet): the manifest describes the new export
    write_json(cm.load(export(tmp_path / "a.json", {day(1): 5}), org="o"), tmp_path / "clean")
    write_json(cm.load(export(tmp_path / "b.json", {day(1): 8}), enterprise="e"), tmp_path / "clean")
    assert rows(cm.load(tmp_path / "clean")) == [("e", None, None, day(1), 8)]
    layout = json.loads((tmp_path / "clean" / "copilot-metrics-layout.json").read_text())
    assert layout["templates"] == ["enterprises/{enterprise}/copilot-metrics.json"]


def test_the_example_folder_loads_as_the_org_and_its_team(tmp_path: Path) -> None:
    pytest.importorskip("click", reason="the cli extra is not installed")
    from click.testing import CliRunner

    from copilot_metrics import cli

    done = CliRunner().invoke(cli.app(), ["example", "-o", str(tmp_path / "demo")])
    assert done.exit_code == 0, done.output
    ds = cm.load(tmp_path / "demo")
    assert ds.days.group_by("org", "team").len().sort("team", nulls_last=False).rows() == [
        ("octo-org", None, 153),
        ("octo-org", "platform", 153),
    ]
    # the one late correction of each scope (cm.examples.path's docstring), never a clash of org and team
    assert sorted(set(ds.conflicts.select("team", pl.col("date").cast(pl.String)).rows()), key=str) == [
        ("platform", "2025-03-26"),
        (None, "2025-03-27"),
    ]
    org = ds.days.filter(pl.col("team").is_null())["total_active_users"]
    assert (org.sum(), org.len()) == (31714, 153)  # mean 207.3, as computed from the files in test_cli
    report = cm.validate(tmp_path / "demo")
    files = (tmp_path / "demo").rglob("*.json.gz")
    assert report.days_checked == sum(len(json.loads(gzip.decompress(p.read_bytes()))) for p in files) == 584


def test_a_parquet_dataset_named_as_a_source_loads_as_read_parquet(tmp_path: Path) -> None:
    old = export(tmp_path / "in" / "export-2025-01-03.json", {day(1): 5, day(2): 6})
    cm.write_parquet(cm.load(old, org="octo"), tmp_path / "history")
    loaded = cm.load(tmp_path / "history")
    cm.testing.assert_dataset_equal(loaded, cm.read_parquet(tmp_path / "history"))
    assert rows(loaded) == [(None, "octo", None, day(1), 5), (None, "octo", None, day(2), 6)]
    report = cm.validate(str(tmp_path / "history"))
    assert (report.ok, report.days_checked, report.days_valid) == (True, 2, 2)

    new = export(tmp_path / "new" / "export-2025-01-04.json", {day(2): 9, day(3): 7})
    beside = cm.load([str(tmp_path / "history"), str(new)])  # the dataset is the new file's base
    based = cm.load(str(new), base=tmp_path / "history")
    for name, frame in based.tables.items():
        assert frame.equals(beside.tables[name]), name
    assert rows(beside) == [
        (None, None, None, day(2), 9),
        (None, None, None, day(3), 7),
        (None, "octo", None, day(1), 5),
        (None, "octo", None, day(2), 6),
    ]

    with pytest.raises(cm.CopilotMetricsError, match="a Parquet dataset holds its own scope labels; org='x'"):
        cm.load(tmp_path / "history", org="x")
    with pytest.raises(cm.CopilotMetricsError, match="and base= too"):
        cm.load(tmp_path / "history", base=tmp_path / "history")


# --------------------------------------------------------------------------------------------
# Unlabelled folders: refused when they cannot be one scope, loaded when they can
# --------------------------------------------------------------------------------------------


def test_two_orgs_unlabelled_folders_are_refused_naming_both(tmp_path: Path) -> None:
    export(tmp_path / "exports" / "alpha" / "export-2025-01-08.json", {day(i): 10 + i for i in range(1, 8)})
    export(tmp_path / "exports" / "beta" / "export-2025-01-08.json", {day(i): 100 + i for i in range(1, 8)})
    with pytest.raises(cm.ScopeError) as caught:
        cm.load(tmp_path / "exports")
    error = caught.value
    folders = (str(tmp_path / "exports" / "alpha"), str(tmp_path / "exports" / "beta"))
    assert (error.folders, error.shared, error.differing) == (folders, 7, 7)
    assert error.message.startswith(
        f"{folders[0]} and {folders[1]}: files without scope labels in these two "
        "folders differ on 7 of the 7 date(s) both hold"
    )
    assert error.hint is not None
    assert f"'{(tmp_path / 'exports').as_posix()}/{{org}}/*.json'" in error.hint
    assert pickle.loads(pickle.dumps(error)).attrs() == error.attrs()
    # labelled by the template the hint shows: two scopes, each its own numbers
    two = cm.load(str(tmp_path / "exports" / "{org}" / "*.json"))
    assert rows(two) == sorted(
        [(None, org, None, day(i), base + i) for org, base in (("alpha", 10), ("beta", 100)) for i in range(1, 8)],
        key=lambda r: (r[1], r[3]),
    )
    # labelled by keyword: the user says they are one scope, and the newest (by path) wins each date
    one = cm.load(tmp_path / "exports", org="octo")
    assert one.days["total_active_users"].to_list() == [100 + i for i in range(1, 8)]
    assert one.conflicts.height == 7


@pytest.mark.parametrize("how", ["base", "parquet"])
def test_two_orgs_unlabelled_folders_are_refused_when_merged_too(how: str, tmp_path: Path) -> None:
    alpha = export(tmp_path / "exports" / "alpha" / "export-2025-01-08.json", {day(i): 10 + i for i in range(1, 8)})
    beta = export(tmp_path / "exports" / "beta" / "export-2025-01-08.json", {day(i): 100 + i for i in range(1, 8)})
    base, new = cm.load(alpha), cm.load(beta)  # each folder alone is one scope
    root = cm.write_parquet(base, tmp_path / "pq")
    with pytest.raises(cm.ScopeError) as caught:  # the base holds alpha's file, the new load beta's
        _ = cm.load(beta, base=base) if how == "base" else cm.write_parquet(new, root, mode="merge")
    assert (caught.value.folders, caught.value.shared, caught.value.differing) == (
        (str(alpha.parent), str(beta.parent)),
        7,
        7,
    )
    if how == "parquet":  # refused: the dataset is left as it was
        assert cm.read_parquet(tmp_path / "pq").sources["source"].to_list() == [str(alpha)]


def test_the_shipped_example_folder_alone_is_an_org_and_its_team_refused() -> None:
    root = cm.examples.path()
    texts: dict[Path, dict[str, set[str]]] = {}
    for folder in (root / "octo-org", root / "octo-org" / "teams" / "platform"):
        versions: dict[str, set[str]] = {}
        for path in folder.glob("*.json.gz"):
            for item in json.loads(gzip.decompress(path.read_bytes())):
                versions.setdefault(item["date"], set()).add(json.dumps(item, sort_keys=True))
        texts[folder] = versions
    org, team = texts.values()
    shared = set(org) & set(team)
    differing = {d for d in shared if not org[d] & team[d]}
    with pytest.raises(cm.ScopeError) as caught:
        cm.load(root)
    error = caught.value
    assert error.folders == (str(root / "octo-org"), str(root / "octo-org" / "teams" / "platform"))
    assert (error.shared, error.differing) == (len(shared), len(differing)) == (153, 145)
    assert error.hint is not None
    assert (
        f"'{root.as_posix()}/{{org}}/*.json.gz' and '{root.as_posix()}/{{org}}/teams/{{team}}/*.json.gz'" in error.hint
    )


def test_one_scope_in_dated_folders_with_late_corrections_loads(tmp_path: Path) -> None:
    first = export(tmp_path / "exports" / "w1" / "export-2025-01-08.json", {day(i): 10 + i for i in range(1, 8)})
    # 4 dates shared (01-04 to 01-07); the newer export corrects 01-06 and 01-07
    corrected = {day(i): 10 + i + (50 if i in (6, 7) else 0) for i in range(4, 11)}
    second = export(tmp_path / "exports" / "w2" / "export-2025-01-11.json", corrected)
    ds = cm.load(tmp_path / "exports")
    assert ds.days["total_active_users"].to_list() == [11, 12, 13, 14, 15, 66, 67, 18, 19, 20]
    assert ds.conflicts.select(
        pl.col("date").cast(pl.String), "kept_value", "other_value", "kept_source", "other_source"
    ).rows() == [(day(6), "66", "16", str(second), str(first)), (day(7), "67", "17", str(second), str(first))]


def test_the_shipped_org_exports_in_dated_folders_load_as_one_scope(tmp_path: Path) -> None:
    """The example org's 11 overlapping exports, each in a folder of its own, with their late correction."""
    org = cm.examples.path() / "octo-org"
    for path in org.glob("*.json.gz"):
        target = tmp_path / path.name.removeprefix("copilot-metrics-")[:10] / path.name
        target.parent.mkdir()
        shutil.copyfile(path, target)
    ds = cm.load(tmp_path)
    labelled = cm.load(str(org / "*.json.gz"))
    assert ds.days.height == 153
    assert ds.days.drop("source").equals(labelled.days.drop("source"))
    assert ds.conflicts.select(pl.col("date").cast(pl.String)).unique().rows() == [("2025-03-27",)]


@pytest.mark.parametrize(
    ("shared", "differing", "refused"),
    [
        (5, 3, True),  # at least 3 dates differ, and more than half of 5
        (6, 3, False),  # 3 of 6: not more than half
        (3, 2, False),  # most dates differ, but only 2: late corrections, not another scope
        (2, 2, False),
    ],
)
def test_the_threshold_of_the_refusal(tmp_path: Path, shared: int, differing: int, *, refused: bool) -> None:
    export(tmp_path / "a" / "export-2025-01-20.json", {day(i): i for i in range(1, shared + 1)})
    export(
        tmp_path / "b" / "export-2025-01-21.json",
        {day(i): i + (1000 if i <= differing else 0) for i in range(1, shared + 1)},
    )
    if refused:
        with pytest.raises(cm.ScopeError) as caught:
            cm.load(tmp_path)
        assert (caught.value.shared, caught.value.differing) == (shared, differing)
        return
    ds = cm.load(tmp_path)
    assert ds.days["total_active_users"].to_list() == [
        i + (1000 if i <= differing else 0) for i in range(1, shared + 1)
    ]
    assert ds.conflicts.height == differing


def test_a_folder_holding_both_versions_of_a_day_agrees_with_either(tmp_path: Path) -> None:
    # every date corrected once: folder a holds both versions, folder b only the new one
    export(tmp_path / "a" / "export-2025-01-10.json", {day(i): i for i in range(1, 6)})
    export(tmp_path / "a" / "export-2025-01-11.json", {day(i): i + 100 for i in range(1, 6)})
    export(tmp_path / "b" / "export-2025-01-12.json", {day(i): i + 100 for i in range(1, 6)})
    ds = cm.load(tmp_path)
    assert ds.days["total_active_users"].to_list() == [101, 102, 103, 104, 105]
