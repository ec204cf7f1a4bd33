"""Issue 10 section 5, the writers: hostile scope names written by every writer, foreign files,
a writer killed mid-write, and concurrent merges.

Everything is built here at run time in ``tmp_path`` from small JSON days; each scope's day holds
its own ``total_active_users`` so that any mix-up of scopes shows in the numbers.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import duckdb
import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import copilot_metrics as cm
from copilot_metrics._layout import LAYOUT_FILE
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.export._files import all_tables
from copilot_metrics.export._labels import folder_name
from copilot_metrics.export.json import LABELS_FILE, read_json, templates
from copilot_metrics.tables import TABLES

SIDE = ("sources", "findings", "conflicts", "quarantine", "versions")
LONG = "x" * 300
NFC, NFD = "\u00e9quipe", "e\u0301quipe"  # the same name, composed and decomposed
HOSTILE = (
    "../escape",
    "a/b",
    "..",
    ".",
    "back\\slash",
    "nul\x00byte",
    "k=v",
    "100%",
    "%2F",
    "__HIVE_DEFAULT_PARTITION__",
    LONG,
    "Octo",
    "octo",
    "\u202eevil",
    NFC,
    NFD,
    "\U0001f680 rocket",
    "trail.",
    "~tilde",
)
#: (enterprise, org, team): hostile teams under one org (beside its null team), orgs and enterprises
SCOPES: tuple[tuple[str | None, str | None, str | None], ...] = (
    (None, "octo", None),
    *((None, "octo", team) for team in HOSTILE),
    ("Octo", None, None),
    ("octo", None, None),
    ("../escape", None, None),
    (None, "a/b", None),
    (None, LONG, None),
    (None, "__HIVE_DEFAULT_PARTITION__", None),
)
SCOPE_COLS = ["enterprise", "org", "team"]
#: every path of a dataset: only names copilot-metrics chose, never a label
WRITTEN = re.compile(
    r"_copilot_metrics\.json|_validation(/(errors|unknown_fields)\.parquet)?"
    r"|[a-z_]+(/part-[0-9]{5}\.parquet)?\Z"
)


def day(users: int, date: str = "2025-03-01") -> bytes:
    return json.dumps([{"date": date, "total_active_users": users, "total_engaged_users": 0}]).encode()


def load_days(tmp: Path, org: str, *users: int) -> cm.Dataset:
    """A dataset of one org from its own files in ``tmp/in`` (one day of March per count).

    Files, not bytes: in-memory inputs are all named ``<bytes #1>``, and a merge takes a source
    present on both sides as the same file re-read.
    """
    (tmp / "in").mkdir(exist_ok=True)
    files = []
    for i, count in enumerate(users):
        files.append(tmp / "in" / f"{org}-{i}.json")
        files[-1].write_bytes(day(count, f"2025-03-{i + 1:02d}"))
    return cm.load([str(f) for f in files], org=org)


def expected_rows(scopes: tuple[tuple[str | None, ...], ...] = SCOPES) -> list[tuple[object, ...]]:
    return sorted(((*s, i) for i, s in enumerate(scopes)), key=repr)


def rows_of(ds: cm.Dataset) -> list[tuple[object, ...]]:
    return sorted(ds.days.select(*SCOPE_COLS, "total_active_users").rows(), key=repr)


def assert_same_dataset(a: cm.Dataset, b: cm.Dataset) -> None:
    for name in TABLES:
        assert_frame_equal(a.tables[name], b.tables[name])
    for name in SIDE:
        assert_frame_equal(getattr(a, name), getattr(b, name))


def all_paths(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def assert_inside(tmp: Path, root: Path, allowed: tuple[str, ...] = ()) -> None:
    """Nothing in ``tmp`` but ``root`` (and ``allowed``), no link, every path resolving inside ``root``."""
    assert sorted(p.name for p in tmp.iterdir()) == sorted([root.name, *allowed])
    for path in all_paths(root):
        assert not path.is_symlink()
        assert path.resolve().is_relative_to(root.resolve())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> cm.Dataset:
    """One dataset holding every scope of SCOPES, each from its own file.

    Labels a folder can have come from path templates, in one load; the others (``/``, NUL,
    ``.``, ``..``, 300 characters) from keywords, merged in one load at a time.
    """
    inputs = tmp_path_factory.mktemp("inputs")
    by_keyword = []
    for i, (enterprise, org, team) in enumerate(SCOPES):
        labels = [x for x in (enterprise, org, team) if x is not None]
        if any("/" in x or "\x00" in x or x in {".", ".."} or len(x) > 250 for x in labels):
            by_keyword.append(i)
            (inputs / f"{i}.json").write_bytes(day(i))
            continue
        kind = "e" if enterprise else "t" if team else "o"
        folder = inputs.joinpath(kind, *labels)
        folder.mkdir(parents=True)
        (folder / f"{i}.json").write_bytes(day(i))
    ds = cm.load(
        [
            str(inputs / "e" / "{enterprise}" / "*.json"),
            str(inputs / "o" / "{org}" / "*.json"),
            str(inputs / "t" / "{org}" / "{team}" / "*.json"),
        ]
    )
    for i in by_keyword:
        enterprise, org, team = SCOPES[i]
        ds = cm.load(str(inputs / f"{i}.json"), enterprise=enterprise, org=org, team=team, base=ds)
    assert len(by_keyword) == 9
    assert rows_of(ds) == expected_rows()
    return ds


# ---------------------------------------------------------------- write_parquet


def test_parquet_hostile_names_stay_inside_never_collide_and_read_back_exactly(
    hostile: cm.Dataset, tmp_path: Path
) -> None:
    root = cm.write_parquet(hostile, tmp_path / "pq")
    assert_inside(tmp_path, root)
    # no label names a path: the labels live in the files (so none can escape or collide)
    rel = [str(p.relative_to(root)) for p in all_paths(root)]
    assert all(WRITTEN.match(r) for r in rel), rel
    assert sorted(rel) == sorted(
        [
            "_copilot_metrics.json",
            "_validation",
            "_validation/errors.parquet",
            "_validation/unknown_fields.parquet",
            *(n for t in all_tables() for n in (t, f"{t}/part-00000.parquet")),
        ]
    )
    # what a case-insensitive, normalising file system compares is still unique
    assert len({unicodedata.normalize("NFC", r).casefold() for r in rel}) == len(rel)

    back = cm.read_parquet(root)
    assert_same_dataset(hostile, back)
    assert rows_of(back) == expected_rows()
    lazy = cm.scan_parquet(root)["days"]
    literal = lazy.filter(pl.col("org") == "octo", pl.col("team") == "__HIVE_DEFAULT_PARTITION__").collect()
    assert literal["total_active_users"].to_list() == [1 + HOSTILE.index("__HIVE_DEFAULT_PARTITION__")]
    null_team = lazy.filter(pl.col("org") == "octo", pl.col("team").is_null()).collect()
    assert null_team["total_active_users"].to_list() == [0]


def test_other_engines_read_every_hostile_label_exactly_with_their_defaults(
    hostile: cm.Dataset, tmp_path: Path
) -> None:
    import pyarrow.dataset as pds

    root = cm.write_parquet(hostile, tmp_path / "pq")
    got = duckdb.sql(
        f"select team, total_active_users from read_parquet('{root}/days/**/*.parquet', hive_partitioning = true) "
        "where org = 'octo' and team is not null"
    ).fetchall()
    # every label as written: the 300-character one and a literal __HIVE_DEFAULT_PARTITION__ included
    assert set(got) == {(t, 1 + i) for i, t in enumerate(HOSTILE)}
    assert (
        sorted(pl.scan_parquet(root / "days").select(*SCOPE_COLS, "total_active_users").collect().rows(), key=repr)
        == expected_rows()
    )
    arrow = pl.from_arrow(pds.dataset(root / "days", partitioning="hive").to_table())
    assert isinstance(arrow, pl.DataFrame)
    assert sorted(arrow.select(*SCOPE_COLS, "total_active_users").rows(), key=repr) == expected_rows()


def test_parquet_labels_from_a_path_template_read_back_exactly(tmp_path: Path) -> None:
    teams = ("back\\slash", "k=v", "100%", "__HIVE_DEFAULT_PARTITION__", "Octo", "octo", "y" * 250, "..dots")
    for i, team in enumerate(teams):
        (tmp_path / "in" / "org=Big" / team).mkdir(parents=True)
        (tmp_path / "in" / "org=Big" / team / "export.json").write_bytes(day(i))
    ds = cm.load(str(tmp_path / "in" / "{org}" / "{team}" / "*.json"))
    assert sorted(ds.days.select("org", "team", "total_active_users").rows()) == sorted(
        ("org=Big", t, i) for i, t in enumerate(teams)
    )
    root = cm.write_parquet(ds, tmp_path / "pq")
    assert_inside(tmp_path, root, ("in",))
    assert_same_dataset(ds, cm.read_parquet(root))


def test_a_label_that_is_not_unicode_text_is_refused_clearly() -> None:
    with pytest.raises(CopilotMetricsError, match="not valid Unicode text"):
        folder_name("bad\ud800", "team", {})


# ---------------------------------------------------------------- write_csv and write_json


def test_csv_file_names_come_from_tables_only_and_the_labels_read_back(hostile: cm.Dataset, tmp_path: Path) -> None:
    written = cm.write_csv(hostile, tmp_path / "csv")
    assert_inside(tmp_path, tmp_path / "csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(f"{n}.csv" for n in all_tables())
    assert len(written) == 45  # 10 legacy tables, 6 side tables, 26 successor tables, 3 report side tables
    days = pl.read_csv(tmp_path / "csv" / "days.csv", schema_overrides=dict.fromkeys(SCOPE_COLS, pl.String))
    assert sorted(days.select(*SCOPE_COLS, "total_active_users").rows(), key=repr) == expected_rows()


def test_json_hostile_names_stay_inside_never_collide_and_read_back_exactly(
    hostile: cm.Dataset, tmp_path: Path
) -> None:
    out = tmp_path / "json"
    written = cm.write_json(hostile, out)
    assert_inside(tmp_path, out)
    files = [p for p in all_paths(out) if p.is_file()]
    assert sorted(files) == sorted([*written, out / LABELS_FILE, out / LAYOUT_FILE])
    assert len(written) == len(SCOPES)  # one file per scope: nothing collided
    rel = [str(p.relative_to(out)) for p in all_paths(out)]
    assert len({unicodedata.normalize("NFC", r).casefold() for r in rel}) == len(rel)
    team = out / "orgs" / "octo" / "team"
    # portable labels keep their name; the rest are percent-encoded; case and normal-form twins too
    assert (team / "back%5Cslash").is_dir()
    assert (team / "k=v").is_dir()
    assert (team / "100%25").is_dir()
    assert (team / "%4Fcto").is_dir()
    assert (team / "octo").is_dir()
    assert (team / "%C3%A9quipe").is_dir()
    assert (team / "e%CC%81quipe").is_dir()
    assert (team / "%2E%2E%2Fescape").is_dir()
    assert (team / "%2E%2E").is_dir()
    assert (team / "%2E").is_dir()
    assert (team / "__HIVE_DEFAULT_PARTITION__").is_dir()
    assert (team / "trail%2E").is_dir()
    labels = orjson.loads((out / LABELS_FILE).read_bytes())
    assert set(labels) == {"team", "org"}
    assert list(labels["team"].values()) == [LONG]

    again = read_json(out)
    assert rows_of(again) == expected_rows()
    for name in TABLES:  # write_json writes the legacy family's days
        frame, key = hostile.tables[name], list(TABLES[name].key)
        assert_frame_equal(
            frame.drop("source").sort(key, nulls_last=True),
            again.tables[name].drop("source").sort(key, nulls_last=True),
        )
    # cm.load(folder) reads the layout manifest: every label exact too
    loaded = cm.load(out)
    assert rows_of(loaded) == expected_rows()
    for name, frame in again.tables.items():
        assert frame.drop("source").equals(loaded.tables[name].drop("source")), name
    # cm.load(templates(...)) gives the folder names as labels: exact where they are the label
    plain = cm.load(templates(out))
    assert ("octo", "k=v") in set(plain.days.select("org", "team").rows())
    assert ("octo", "%4Fcto") in set(plain.days.select("org", "team").rows())


# ---------------------------------------------------------------- a user's files


def test_a_folder_that_is_not_a_dataset_is_never_replaced(hostile: cm.Dataset, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("precious")
    for mode in ("overwrite", "merge"):
        with pytest.raises(CopilotMetricsError, match="not a copilot-metrics Parquet dataset") as info:
            cm.write_parquet(hostile, tmp_path / "home", mode=mode)  # type: ignore[arg-type]
        assert info.value.file == str(tmp_path / "home")
    assert [p.name for p in all_paths(tmp_path)] == ["home", "thesis.tex"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(CopilotMetricsError, match="exists and is not a folder"):
        cm.write_parquet(hostile, tmp_path / "file")
    assert (tmp_path / "file").read_text() == "x"


def test_a_dataset_holding_a_users_files_is_never_replaced(tmp_path: Path) -> None:
    ds = load_days(tmp_path, "o", 5)
    root = cm.write_parquet(ds, tmp_path / "pq")
    other = load_days(tmp_path, "p", 6)
    (root / "notes.txt").write_text("mine")
    (root / "days" / "mine.csv").write_text("mine")
    (root / "days" / "keep").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "data").write_text("mine")
    before = {p: p.read_bytes() for p in all_paths(tmp_path) if p.is_file()}
    for mode in ("overwrite", "merge"):
        with pytest.raises(CopilotMetricsError, match=r"holds 4 path\(s\) copilot-metrics did not write") as info:
            cm.write_parquet(other, root, mode=mode)  # type: ignore[arg-type]
        assert "days/keep/" in str(info.value)
        assert "days/mine.csv" in str(info.value)
        assert "link" in str(info.value)
        assert "notes.txt" in str(info.value)
    assert {p: p.read_bytes() for p in all_paths(tmp_path) if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "outside", "pq"]
    assert_same_dataset(cm.read_parquet(root), ds)


def test_an_empty_folder_and_a_link_to_a_dataset_are_written_in_place(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    first, second = load_days(tmp_path, "o", 1), load_days(tmp_path, "p", 2)
    cm.write_parquet(first, tmp_path / "empty")
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    assert cm.write_parquet(second, tmp_path / "link") == tmp_path / "link"
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "in", "link"]
    assert_same_dataset(cm.read_parquet(tmp_path / "empty"), second)


# ---------------------------------------------------------------- killed writers and concurrent merges


CHILD = textwrap.dedent("""
    import os, signal, sys, time
    import copilot_metrics as cm
    from copilot_metrics.export._atomic import Moves, exchange
    from copilot_metrics.export.parquet import ParquetWriter, write_file
    kill_at, src, root, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    ds = cm.read_parquet(src)
    def die():
        os.kill(os.getpid(), signal.SIGKILL)
    writer = ParquetWriter()
    if kill_at.startswith("file"):  # killed as it starts writing the n-th file
        n = int(kill_at[4:]); count = [0]
        def write(*args):
            count[0] += 1
            if count[0] == n:
                die()
            write_file(*args)
        writer = ParquetWriter(write_file=write)
    elif kill_at == "after-exchange":  # killed once the new dataset is in place
        def exchange_then_die(a, b):
            assert exchange(a, b)
            die()
        writer = ParquetWriter(moves=Moves(exchange=exchange_then_die))
    elif kill_at == "between-renames":  # no atomic exchange: killed once the old dataset is set aside
        def rename(source, destination):
            source.rename(destination)
            if ".old-" in destination.name:
                die()
        writer = ParquetWriter(moves=Moves(exchange=lambda a, b: False, rename=rename))
    elif kill_at == "slow-merge":  # a second between reading the old dataset and writing the merged one
        first = [True]
        def write(*args):
            if first[0]:
                time.sleep(1.0)
                first[0] = False
            write_file(*args)
        writer = ParquetWriter(write_file=write)
    writer.write(ds, root, mode=mode)
""")


def child(kill_at: str, src: Path, root: Path, mode: str = "overwrite") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, kill_at, str(src), str(root), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("kill_at", ["file12", "after-exchange", "between-renames"])
def test_a_writer_killed_at_any_point_leaves_a_readable_dataset(kill_at: str, tmp_path: Path) -> None:
    old = load_days(tmp_path, "old", 1)
    new = load_days(tmp_path, "new", 2, 3)
    cm.write_parquet(new, tmp_path / "src")
    root = cm.write_parquet(old, tmp_path / "work" / "pq")
    before = {p: p.read_bytes() for p in all_paths(root) if p.is_file()}
    proc = child(kill_at, tmp_path / "src", root)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -9, err.decode()
    # the old dataset, or (killed after the atomic swap) the whole new one, never a mix
    expected = new if kill_at == "after-exchange" else old
    assert_same_dataset(cm.read_parquet(root), expected)
    if kill_at == "between-renames":  # root missing, the old dataset set aside and read from there
        assert not root.exists()
    elif kill_at != "after-exchange":
        assert {p: p.read_bytes() for p in all_paths(root) if p.is_file()} == before
    # the next write puts things right and removes what the killed writer left
    cm.write_parquet(old, root, mode="merge")
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["pq"]
    assert rows_of(cm.read_parquet(root)) == sorted(
        [(None, "old", None, 1)] + ([(None, "new", None, 2), (None, "new", None, 3)] if expected is new else []),
        key=repr,
    )


def test_two_concurrent_merges_both_land(tmp_path: Path) -> None:
    base = load_days(tmp_path, "base", 1)
    root = cm.write_parquet(base, tmp_path / "work" / "pq")
    for name, users in (("a", 2), ("b", 3)):
        cm.write_parquet(load_days(tmp_path, name, users), tmp_path / name)
    procs = [child("slow-merge", tmp_path / name, root, "merge") for name in ("a", "b")]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    assert rows_of(cm.read_parquet(root)) == [(None, "a", None, 2), (None, "b", None, 3), (None, "base", None, 1)]
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["pq"]


def test_a_writer_that_cannot_get_the_lock_fails_clearly_and_changes_nothing(tmp_path: Path) -> None:
    ds = load_days(tmp_path, "o", 1)
    root = cm.write_parquet(ds, tmp_path / "pq")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what another writer holds while it writes
        with pytest.raises(CopilotMetricsError, match="another process is writing a dataset in this folder") as info:
            cm.write_parquet(load_days(tmp_path, "p", 9), root, mode="merge", lock_timeout=0.2)
        assert info.value.file == str(tmp_path)
        assert "gave up after 0.2 s" in str(info.value)
    finally:
        os.close(fd)
    assert_same_dataset(cm.read_parquet(root), ds)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "pq"]
