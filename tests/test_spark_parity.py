"""Issue 17: copilot_metrics.spark.load answers as cm.load does on the inputs it used to get wrong.

A file named with the README's own timestamp format (``2025-05-06T10:30:00.json``, a ``:`` that
Hadoop paths cannot hold), a folder named ``pct%41`` (Hadoop writes paths literally: no
percent-decoding), a missing path, an empty folder, ``fetched_at`` keys written as relative,
``./`` or absolute paths, names that are not UTF-8, a folder written by ``write_json`` or
``copilot-metrics example`` (its labels in its layout manifest), and two unlabelled folders
holding two scopes.  Each case is built here and checked against exact values worked out by
hand, and against ``cm.load`` on the same input.

Local paths are listed by the driver as ``cm.load`` lists them; paths of other file systems
(``s3a:``, ``hdfs:``) are listed by Hadoop.  The ``hadoop`` cases send local paths down that
second route (the only file system a test machine has), to check what it answers or refuses.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytest.importorskip("pyspark", reason="pyspark is in the test extra; CI installs it")

import copilot_metrics as cm
from copilot_metrics import spark as cms
from copilot_metrics.testing import assert_dataset_equal
from helpers import skip_without_java, totals_day, write_export

skip_without_java()

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
]

STAMP = 1_700_000_000  # every file's modification time: a whole second (Hadoop lists milliseconds)


@pytest.fixture
def hadoop(spark: Any) -> Iterator[None]:
    """Local paths listed and read by Hadoop, as an ``s3a:`` or ``hdfs:`` path would be (the session's setting)."""
    spark.conf.set(cms.LISTING, "hadoop")
    try:
        yield
    finally:
        spark.conf.unset(cms.LISTING)


@pytest.fixture(params=["local", "hadoop"])
def route(request: pytest.FixtureRequest, spark: Any) -> Iterator[str]:
    """``local``: the driver lists local paths as ``cm.load`` does; ``hadoop``: as :func:`hadoop`."""
    if request.param == "hadoop":
        spark.conf.set(cms.LISTING, "hadoop")
    try:
        yield str(request.param)
    finally:
        spark.conf.unset(cms.LISTING)


day = totals_day


def export(path: Path | bytes, *days: dict[str, Any]) -> None:
    """Write an export of ``days`` at ``path`` (bytes: a name that is not UTF-8), modified at :data:`STAMP`."""
    write_export(path, *days, mtime=STAMP)


def users(ds: cm.Dataset, *scope: str) -> list[tuple[Any, ...]]:
    """(scope columns..., date as text, total_active_users, source) of every day, sorted."""
    return ds.days.select(*scope, pl.col("date").cast(pl.String), "total_active_users", "source").sort(pl.all()).rows()


def same_as_cm_load(spark: Any, source: Any, **options: Any) -> cm.Dataset:
    """spark.load's dataset, after checking it equals cm.load's on the same input and options."""
    options.setdefault("on_invalid", "raise")
    got = cms.load(spark, source, **options).dataset
    assert_dataset_equal(got, cm.load(source, **options), check_validation=True)
    return got


def raised(function: Any, *args: Any, **options: Any) -> cm.CopilotMetricsError:
    with pytest.raises(cm.CopilotMetricsError) as info:
        function(*args, **options)
    return info.value


# ------------------------------------------------------------------ a ':' in a file name


def test_a_file_named_with_the_readmes_timestamp_format_loads_and_ranks_by_it(spark: Any, tmp_path: Path) -> None:
    late = tmp_path / "x" / "2025-05-06T10:30:00.json"
    early = tmp_path / "x" / "2025-05-06.json"
    export(late, day("2025-05-01", 2), day("2025-05-02", 5))
    export(early, day("2025-05-01", 1))
    # 10:30 on 2025-05-06 is later than 2025-05-06 itself: the file with ':' wins 2025-05-01
    ds = same_as_cm_load(spark, str(tmp_path / "x"))
    assert users(ds) == [("2025-05-01", 2, str(late)), ("2025-05-02", 5, str(late))]
    assert ds.sources.select("source", "export_time", "precedence_basis", "days_kept", "days_superseded").rows() == [
        (str(early), dt.datetime(2025, 5, 6), "file name", 0, 1),
        (str(late), dt.datetime(2025, 5, 6, 10, 30), "file name", 2, 0),
    ]
    assert ds.conflicts.select("date", "column", "kept_value", "other_value").rows() == [
        (dt.date(2025, 5, 1), "total_active_users", "2", "1"),
        (dt.date(2025, 5, 1), "total_engaged_users", "2", "1"),
    ]
    # named directly and as a file: URI, as a template
    assert users(same_as_cm_load(spark, str(late))) == [("2025-05-01", 2, str(late)), ("2025-05-02", 5, str(late))]
    assert users(cms.load(spark, f"file://{late}", on_invalid="raise").dataset) == users(cm.load(late))
    got = cms.load(spark, str(tmp_path / "{org}" / "*.json")).dataset
    assert users(got, "org") == [("x", "2025-05-01", 2, str(late)), ("x", "2025-05-02", 5, str(late))]


@pytest.mark.usefixtures("hadoop")
def test_hadoop_refuses_a_colon_in_a_file_name_naming_the_file(spark: Any, tmp_path: Path) -> None:
    """On s3a: or hdfs:, Hadoop cannot hold a ':' in a path (it used to escape as a raw Py4JJavaError)."""
    export(tmp_path / "x" / "2025-05-06T10:30:00.json", day("2025-05-01", 2))
    error = raised(cms.load, spark, str(tmp_path / "x"))
    assert type(error) is cm.CopilotMetricsError
    name = str(tmp_path / "x" / "2025-05-06T10:30:00.json")
    assert error.message == f"{name}: Hadoop cannot read a file whose name holds ':' (a Hadoop path cannot hold one)"
    assert error.file == name


# ------------------------------------------------------------------ percent signs are not decoded


@pytest.mark.usefixtures("route")
def test_percent_signs_in_folder_names_are_kept_in_labels(spark: Any, tmp_path: Path) -> None:
    a = tmp_path / "L" / "pct%41" / "x.json"
    b = tmp_path / "L" / "a%20b#c" / "x.json"
    export(a, day("2025-01-01", 1))
    export(b, day("2025-01-01", 2))
    template = str(tmp_path / "L" / "{org}" / "x.json")
    got = cms.load(spark, template, on_invalid="raise").dataset
    assert users(got, "org") == [("a%20b#c", "2025-01-01", 2, str(b)), ("pct%41", "2025-01-01", 1, str(a))]
    assert_dataset_equal(got, cm.load(template), check_validation=True)
    # fetched_at names the file as it is written
    fetched = {str(a): "2030-01-01"}
    got = cms.load(spark, str(tmp_path / "L"), on_invalid="raise", fetched_at=fetched).dataset
    assert got.sources.select("source", "precedence_basis").rows() == [(str(b), "last date"), (str(a), "fetched_at")]
    assert_dataset_equal(got, cm.load(tmp_path / "L", fetched_at=fetched), check_validation=True)
    assert users(got) == [("2025-01-01", 1, str(a))]  # one scope, unlabelled: the file fetched last wins


# ------------------------------------------------------------------ paths that name nothing


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nope", "no such file or folder"),
        ("nope/*.json", "no file matches this pattern"),
        ("{org}/nope.json", "no file matches this path template"),
        ("empty", "this folder holds no file"),
    ],
)
def test_a_path_that_names_nothing_raises_what_cm_load_raises(
    spark: Any, tmp_path: Path, route: str, name: str, message: str
) -> None:
    export(tmp_path / "o" / "x.json", day("2025-01-01", 1))
    (tmp_path / "empty").mkdir()
    path = str(tmp_path / name)
    want = raised(cm.load, path)
    error = raised(cms.load, spark, path)
    assert type(error) is type(want) is cm.CopilotMetricsError, route
    assert error.message == want.message == f"{path}: {message}"
    assert error.file == want.file == path
    # beside a path that names files, it is still an error
    error = raised(cms.load, spark, [str(tmp_path / "o"), path])
    assert (type(error), error.message) == (cm.CopilotMetricsError, f"{path}: {message}")


# ------------------------------------------------------------------ fetched_at keys are paths


@pytest.mark.parametrize("key", ["x/a.json", "./x/a.json", "ABS", "PATH", "URI"])
def test_fetched_at_keys_name_a_file_however_written(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.chdir(tmp_path)
    export(tmp_path / "x" / "a.json", day("2025-01-01", 1))
    export(tmp_path / "x" / "b.json", day("2025-01-01", 2))
    # same day, same modification time, no date in the names: b.json wins by path unless fetched_at says a.json
    # (both exported, by their last date, on 2025-01-02)
    assert users(same_as_cm_load(spark, "x")) == [("2025-01-01", 2, "x/b.json")]
    absolute = str(tmp_path / "x" / "a.json")
    written: Any = {"ABS": absolute, "PATH": Path("x/a.json"), "URI": f"file://{absolute}"}.get(key, key)
    got = cms.load(spark, "x", fetched_at={written: "2030-01-01"}, on_invalid="raise").dataset
    assert users(got) == [("2025-01-01", 1, "x/a.json")]
    assert got.sources.select("source", "precedence_basis").rows() == [
        ("x/a.json", "fetched_at"),
        ("x/b.json", "last date"),
    ]
    if key != "URI":  # cm.load reads no URI
        assert_dataset_equal(got, cm.load("x", fetched_at={written: "2030-01-01"}), check_validation=True)


def test_a_fetched_at_key_naming_no_input_raises_what_cm_load_raises(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    export(tmp_path / "x" / "a.json", day("2025-01-01", 1))
    fetched = {"x/a.json": "2030-01-01", "x/c.json": "2030-01-01"}
    want = raised(cm.load, "x", fetched_at=fetched)
    error = raised(cms.load, spark, "x", fetched_at=fetched)
    assert type(error) is type(want) is cm.CopilotMetricsError
    assert error.message == want.message == "fetched_at: 'x/c.json' names no input of this load"
    assert error.file == "x/c.json"
    with pytest.raises(TypeError) as info:
        cms.load(spark, "x", fetched_at=[("x/a.json", "2030-01-01")])  # type: ignore[arg-type]
    assert str(info.value) == "fetched_at must be a mapping {path: datetime}, not list"


@pytest.mark.usefixtures("hadoop")
def test_fetched_at_keys_name_files_hadoop_lists(spark: Any, tmp_path: Path) -> None:
    a, b = tmp_path / "x" / "a.json", tmp_path / "x" / "b.json"
    export(a, day("2025-01-01", 1))
    export(b, day("2025-01-01", 2))
    for key in (str(a), f"file://{a}", f"file:{a}"):
        got = cms.load(spark, str(tmp_path / "x"), fetched_at={key: "2030-01-01"}).dataset
        assert users(got) == [("2025-01-01", 1, str(a))], key
    error = raised(cms.load, spark, str(tmp_path / "x"), fetched_at={str(tmp_path / "x" / "c.json"): "2030-01-01"})
    assert error.message == f"fetched_at: '{tmp_path / 'x' / 'c.json'}' names no input of this load"


def test_local_files_rank_by_their_full_modification_time(spark: Any, tmp_path: Path) -> None:
    """Hadoop lists modification times to the millisecond; a local file's is cm.load's st_mtime, to the nanosecond."""
    a, b = tmp_path / "x" / "a.json", tmp_path / "x" / "b.json"
    export(a, day("2025-01-01", 1))
    export(b, day("2025-01-01", 2))
    os.utime(a, ns=(STAMP * 10**9 + 400_000, STAMP * 10**9 + 400_000))  # 0.4 ms later than b.json
    # same export time (the last date): the later modification wins before the path (b.json) is looked at
    got = same_as_cm_load(spark, tmp_path / "x")
    assert users(got) == [("2025-01-01", 1, str(a))]
    assert got.sources.select("source", "mtime").rows() == [(str(a), STAMP + 0.0004), (str(b), float(STAMP))]


# ------------------------------------------------------------------ names that are not UTF-8


def test_names_that_are_not_utf8_get_cm_loads_escaped_labels(spark: Any, tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    export(root + b"/A/caf\xe9.json", day("2025-01-01", 1))  # Latin-1, as an old zip stores it
    export(root + b"/A/good.json", day("2025-01-02", 2))
    escaped, good = str(tmp_path / "A" / "caf\\xe9.json"), str(tmp_path / "A" / "good.json")
    got = same_as_cm_load(spark, os.fsdecode(root + b"/A"))
    assert users(got) == [("2025-01-01", 1, escaped), ("2025-01-02", 2, good)]
    latin = os.fsdecode(root + b"/A/caf\xe9.json")  # named directly, and by fetched_at
    got = same_as_cm_load(spark, [latin, good], fetched_at={latin: "2030-01-01"})
    assert got.sources.select("source", "precedence_basis").rows() == [(escaped, "fetched_at"), (good, "last date")]
    export(root + b"/T/caf\xe9/x.json", day("2025-01-01", 3))  # a folder name as an org label
    got = same_as_cm_load(spark, os.fsdecode(root + b"/T/{org}/x.json"))
    assert users(got, "org") == [("caf\\xe9", "2025-01-01", 3, str(tmp_path / "T" / "caf\\xe9" / "x.json"))]


# ------------------------------------------------------------------ folders the library wrote


def test_a_folder_written_by_write_json_loads_with_its_labels(spark: Any, tmp_path: Path) -> None:
    export(tmp_path / "in" / "Octo" / "x.json", day("2025-01-01", 1))
    export(tmp_path / "in" / "octo" / "x.json", day("2025-01-01", 2))
    cm.write_json(cm.load(str(tmp_path / "in" / "{org}" / "x.json")), tmp_path / "out")
    # 'Octo' beside 'octo' is written as the folder %4Fcto; the manifest gives the label back
    assert (tmp_path / "out" / "orgs" / "%4Fcto" / "copilot-metrics.json").is_file()
    got = same_as_cm_load(spark, str(tmp_path / "out"))
    assert users(got, "org") == [
        ("Octo", "2025-01-01", 1, str(tmp_path / "out" / "orgs" / "%4Fcto" / "copilot-metrics.json")),
        ("octo", "2025-01-01", 2, str(tmp_path / "out" / "orgs" / "octo" / "copilot-metrics.json")),
    ]
    with pytest.raises(cm.CopilotMetricsError) as info:  # a keyword naming another label: cm.load's error
        cms.load(spark, str(tmp_path / "out"), org="other")
    assert info.value.message == raised(cm.load, tmp_path / "out", org="other").message


def test_the_example_folder_loads_with_its_labels(spark: Any, tmp_path: Path) -> None:
    pytest.importorskip("click", reason="the cli extra is not installed")
    from copilot_metrics import cli

    assert cli.main(["example", "-o", str(tmp_path / "example")]) == 0
    got = same_as_cm_load(spark, str(tmp_path / "example"))
    assert got.days.group_by("org", "team").len().sort("team", nulls_last=False).rows() == [
        ("octo-org", None, 153),
        ("octo-org", "platform", 153),
    ]
    assert "copilot-metrics-layout.json" not in " ".join(got.sources["source"].to_list())


@pytest.mark.usefixtures("hadoop")
def test_hadoop_refuses_a_folder_the_library_wrote(spark: Any, tmp_path: Path) -> None:
    export(tmp_path / "in" / "octo" / "x.json", day("2025-01-01", 1))
    ds = cm.load(str(tmp_path / "in" / "{org}" / "x.json"))
    cm.write_json(ds, tmp_path / "out")
    error = raised(cms.load, spark, str(tmp_path / "out"))
    assert type(error) is cm.CopilotMetricsError
    assert error.message == (
        f"{tmp_path / 'out'}: a folder written by copilot-metrics (its layout manifest gives "
        "its scope labels); spark.load reads it only on a local path"
    )
    cm.write_parquet(ds, tmp_path / "history")
    error = raised(cms.load, spark, str(tmp_path / "history"))
    assert error.message == f"{tmp_path / 'history'}: a Parquet dataset written by cm.write_parquet, not exports"


def test_a_parquet_dataset_is_refused_naming_it(spark: Any, tmp_path: Path) -> None:
    export(tmp_path / "in" / "x.json", day("2025-01-01", 1))
    cm.write_parquet(cm.load(tmp_path / "in", org="o"), tmp_path / "history")
    error = raised(cms.load, spark, str(tmp_path / "history"))
    assert type(error) is cm.CopilotMetricsError
    assert error.message == f"{tmp_path / 'history'}: a Parquet dataset written by cm.write_parquet, not exports"


# ------------------------------------------------------------------ two scopes in unlabelled folders


def test_unlabelled_folders_holding_two_scopes_are_refused_as_by_cm_load(
    spark: Any, tmp_path: Path, route: str
) -> None:
    for n, date in enumerate(("2025-01-01", "2025-01-02", "2025-01-03")):
        export(tmp_path / "x" / "one" / f"{date}.json", day(date, 10 + n))
        export(tmp_path / "x" / "two" / f"{date}.json", day(date, 20 + n))
    one, two = str(tmp_path / "x" / "one"), str(tmp_path / "x" / "two")
    with pytest.raises(cm.ScopeError) as want:
        cm.load(tmp_path / "x")
    with pytest.raises(cm.ScopeError) as got:
        cms.load(spark, str(tmp_path / "x"))
    assert type(got.value) is cm.ScopeError, route
    assert got.value.message == want.value.message
    assert got.value.message.startswith(
        f"{one} and {two}: files without scope labels in these two folders differ on 3 of the 3 date(s) both hold"
    )
    # labelled by a template, they load as two orgs
    loaded = cms.load(spark, str(tmp_path / "x" / "{org}" / "*.json"), on_invalid="raise").dataset
    assert loaded.days.group_by("org").agg(pl.col("total_active_users").sum()).sort("org").rows() == [
        ("one", 33),
        ("two", 63),
    ]


# ------------------------------------------------------------------ what a folder holds besides exports


def test_a_folders_other_entries_are_listed_as_cm_load_lists_them(spark: Any, tmp_path: Path) -> None:
    root = tmp_path / "x"
    export(root / "a.json", day("2025-01-01", 1))
    export(root / ".hidden.json", day("2025-01-02", 2))  # Spark's own listing leaves such files out
    (root / "README.txt").write_text("notes")
    (root / "gone.json").symlink_to(root / "nowhere.json")
    got = same_as_cm_load(spark, str(root), on_invalid="quarantine")
    assert got.sources.select("source", "status", "message").rows() == [
        (str(root / ".hidden.json"), "loaded", None),
        (str(root / "README.txt"), "skipped", "not read: file name does not end in .json, .ndjson, .jsonl or .gz"),
        (str(root / "a.json"), "loaded", None),
        (str(root / "gone.json"), "skipped", "not read: a symbolic link that leads to no file (broken, or a loop)"),
    ]
    assert users(got) == [("2025-01-01", 1, str(root / "a.json")), ("2025-01-02", 2, str(root / ".hidden.json"))]


def test_bytes_are_refused_naming_their_type(spark: Any) -> None:
    with pytest.raises(TypeError) as info:
        cms.load(spark, [b"[]"])  # type: ignore[list-item]
    assert str(info.value) == (
        "paths must be paths (str or Path), not bytes: spark.load reads files, cm.load reads bytes and file objects"
    )
