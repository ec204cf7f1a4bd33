"""Issue 17, "Nothing lost, nothing leaked": inputs that used to vanish silently or to escape as raw tracebacks.

Every case is built here: a sub-folder that cannot be listed, a file deleted or replaced between
listing and reading, ``fetched_at`` keys written as paths, a file object named like a path, file
names that are not UTF-8, path templates (a placeholder used twice, an empty path, glob
character classes), and public arguments of the wrong type or value.  Each asserts the exact
exception class and what its message names, or the exact rows kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.sources import template_regex
from helpers import totals_day, write_export

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


day = totals_day


export = write_export


def users(ds: cm.Dataset, *scope: str) -> list[tuple[Any, ...]]:
    """(scope columns..., date as text, total_active_users) of every day, sorted."""
    return ds.days.select(*scope, pl.col("date").cast(pl.String), "total_active_users").sort(pl.all()).rows()


def statuses(ds: cm.Dataset) -> list[tuple[Any, ...]]:
    return ds.sources.select("source", "status", "message").sort("source").rows()


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail, instead of hanging the suite, if the block takes longer than ``seconds``."""

    def interrupt(*_: Any) -> None:
        raise TimeoutError(f"took more than {seconds} s: a read blocked")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------ a sub-folder that cannot be listed

UNLISTED = "not read: a folder that cannot be listed ({}): its files are not loaded"


@pytest.mark.skipif(
    AS_ROOT,
    reason="root reads a folder whatever its permissions (chmod 000 stops nobody): run "
    "as another user, or under `unshare -U`; test_a_sub_folder_too_long_to_list_is_listed_as_skipped "
    "covers the same report as root",
)
def test_an_unreadable_sub_folder_is_listed_as_skipped_with_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    export(root / "good.json", day("2025-01-01", 1))
    locked = root / "locked"
    export(locked / "lost.json", day("2025-01-02", 2))
    locked.chmod(0)
    try:
        for mode in ("raise", "quarantine"):
            ds = cm.load(root, on_invalid=mode)
            assert users(ds) == [("2025-01-01", 1)]
            assert statuses(ds) == [
                (str(root / "good.json"), "loaded", None),
                (str(locked), "skipped", UNLISTED.format("Permission denied")),
            ]
        assert cm.validate(root).days_checked == 1
        root.chmod(0)  # the folder named itself: nothing can be listed, an error naming it
        with pytest.raises(cm.CopilotMetricsError) as info:
            cm.load(root)
        assert type(info.value) is cm.CopilotMetricsError
        assert info.value.message == f"{root}: cannot list this folder: Permission denied"
        assert info.value.file == str(root)
    finally:
        root.chmod(stat.S_IRWXU)
        locked.chmod(stat.S_IRWXU)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PATH_MAX (4096) is Linux's limit")
def test_a_sub_folder_too_long_to_list_is_listed_as_skipped(tmp_path: Path) -> None:
    """A folder whose path is longer than PATH_MAX cannot be listed, even by root (an unzipped archive
    nested that deep): the walk's error is reported the way a folder without permission is."""
    root = tmp_path / "archive"
    export(root / "good.json", day("2025-01-01", 1))
    name = "d" * 250
    limit = os.pathconf(root, "PC_PATH_MAX")  # bytes, with the terminating NUL
    # built relative to an open folder: the deepest folders have no path the system accepts
    fd = os.open(root, os.O_RDONLY)
    for _ in range(limit // (len(name) + 1) + 1):
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    lost = os.open("lost.json", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
    os.write(lost, json.dumps([day("2025-01-02", 2)]).encode())
    os.close(lost)
    os.close(fd)
    # the first folder whose path (and its NUL) no longer fits in PATH_MAX bytes
    depth = next(k for k in range(1, 100) if len(str(root)) + k * (len(name) + 1) + 1 > limit)
    unlisted = str(root) + f"/{name}" * depth
    for mode in ("raise", "quarantine"):
        ds = cm.load(root, on_invalid=mode)
        assert users(ds) == [("2025-01-01", 1)]
        assert statuses(ds) == [
            (unlisted, "skipped", UNLISTED.format("File name too long")),
            (str(root / "good.json"), "loaded", None),
        ]
    report = cm.validate(root)
    assert (report.ok, report.days_checked) == (True, 1)


# ------------------------------------------------------------------ deleted or replaced after listing


class Swapper(io.BytesIO):
    """An in-memory export whose ``read`` (during listing, after the files before it were listed)
    deletes ``victim`` or puts something else in its place: the race between listing and reading."""

    def __init__(self, victim: Path, how: str) -> None:
        super().__init__(json.dumps([day("2025-01-03", 3)]).encode())
        self.victim, self.how = victim, how

    def read(self, size: int | None = -1) -> bytes:
        self.victim.unlink()
        if self.how == "a dangling link":
            self.victim.symlink_to(self.victim.with_name("nowhere.json"))
        elif self.how == "a FIFO":
            os.mkfifo(self.victim)
        return super().read(size)


GONE = "{}: cannot read file: No such file or directory (deleted or moved after it was listed?)"
FIFO = "{}: not read: a FIFO (named pipe), not a regular file (it was replaced after it was listed)"


@pytest.mark.parametrize(("how", "message"), [("deleted", GONE), ("a dangling link", GONE), ("a FIFO", FIFO)])
def test_a_file_deleted_or_replaced_after_listing_is_reported(tmp_path: Path, how: str, message: str) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"

    def inputs() -> list[Any]:
        export(a, day("2025-01-01", 1))
        with contextlib.suppress(FileNotFoundError):
            b.unlink()
        export(b, day("2025-01-02", 2))
        return [a, b, Swapper(b, how)]  # b is listed, then swapped while the file object is read

    with within(20):
        with pytest.raises(cm.CopilotMetricsError) as info:
            cm.load(inputs())
        assert type(info.value) is cm.CopilotMetricsError
        assert info.value.message == message.format(b)
        assert info.value.file == str(b)
        ds = cm.load(inputs(), on_invalid="quarantine")
        assert users(ds) == [("2025-01-01", 1), ("2025-01-03", 3)]
        assert statuses(ds) == [
            (str(a), "loaded", None),
            (str(b), "not loaded: io", message.format(b)),
            ("<file object #1>", "loaded", None),
        ]
        report = cm.validate(inputs())
        assert report.errors.select("source", "rule", "message").rows() == [(str(b), "io", message.format(b))]
        assert report.days_checked == 2
        ds = cm.load(inputs(), on_invalid="quarantine", workers=2)  # read by worker processes: the same
        assert statuses(ds) == [
            (str(a), "loaded", None),
            (str(b), "not loaded: io", message.format(b)),
            ("<file object #1>", "loaded", None),
        ]


# ------------------------------------------------------------------ fetched_at keys are paths


@pytest.fixture
def two_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """x/a.json (1 user) and x/b.json (2 users) hold the same day; without a date in their names and
    with the same modification time, b.json wins by path (the larger) unless fetched_at says otherwise."""
    monkeypatch.chdir(tmp_path)
    a, b = tmp_path / "x" / "a.json", tmp_path / "x" / "b.json"
    export(a, day("2025-01-01", 1))
    export(b, day("2025-01-01", 2))
    for path in (a, b):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    return a, b


@pytest.mark.usefixtures("two_exports")
def test_without_fetched_at_the_larger_path_wins() -> None:
    assert users(cm.load("x")) == [("2025-01-01", 2)]  # x/a.json < x/b.json: the larger path wins the tie


@pytest.mark.parametrize(
    "key",
    [
        Path("x/a.json"),
        "./x/a.json",
        "x/../x/a.json",
        "x//a.json",
        "ABSOLUTE",
    ],
    ids=["Path", "dot-slash", "dot-dot", "double-slash", "absolute"],
)
def test_a_fetched_at_key_is_a_path_however_it_is_written(two_exports: tuple[Path, Path], key: Any) -> None:
    a, _ = two_exports
    key = str(a) if key == "ABSOLUTE" else key
    ds = cm.load("x", fetched_at={key: "2030-01-01T00:00:00"})
    assert users(ds) == [("2025-01-01", 1)]  # a.json, fetched in 2030, is the most recent export
    row = ds.sources.filter(pl.col("source") == "x/a.json").row(0, named=True)
    assert (row["export_time"], row["precedence_basis"]) == (dt.datetime(2030, 1, 1), "fetched_at")
    # and an absolute label matched by a relative key
    assert users(cm.load(str(a.parent), fetched_at={"x/a.json": dt.date(2030, 1, 1)})) == [("2025-01-01", 1)]


@pytest.mark.usefixtures("two_exports")
def test_a_fetched_at_key_naming_no_input_is_an_error() -> None:
    with pytest.raises(cm.CopilotMetricsError) as info:
        cm.load("x", fetched_at={"x/a.json": "2030-01-01", "x/c.json": "2030-01-01"})
    assert type(info.value) is cm.CopilotMetricsError
    assert info.value.message == "fetched_at: 'x/c.json' names no input of this load"
    assert info.value.file == "x/c.json"
    with pytest.raises(cm.CopilotMetricsError) as info:
        cm.load("x", fetched_at={"x/a.json": "2030-01-01", "./x/a.json": "2031-01-01"})
    assert info.value.message == (
        "fetched_at: 'x/a.json' and './x/a.json' name the same file x/a.json with different times"
    )
    # a file of the base is named too: its kept days compete with the new file's
    base = cm.load("x/a.json")
    assert users(cm.load("x/b.json", base=base, fetched_at={"x/a.json": "2030-01-01"})) == [("2025-01-01", 1)]
    assert users(cm.load(b"[]", fetched_at={"<bytes #1>": "2030-01-01"})) == []  # an in-memory label


@pytest.mark.parametrize(
    ("fetched_at", "error", "message"),
    [
        ([("x/a.json", "2030-01-01")], TypeError, "fetched_at must be a mapping {path: datetime}, not list"),
        ({5: "2030-01-01"}, TypeError, "fetched_at: a key must be a path (str or Path), not int 5"),
        ({"x/a.json": "yesterday"}, ValueError, "fetched_at['x/a.json']: 'yesterday' is not an ISO 8601 date and time"),
        (
            {"x/a.json": 1_900_000_000},
            TypeError,
            "fetched_at['x/a.json'] must be a datetime, a date or an ISO 8601 string, not int",
        ),
    ],
)
@pytest.mark.usefixtures("two_exports")
def test_a_fetched_at_of_the_wrong_type_is_refused(fetched_at: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        cm.load("x", fetched_at=fetched_at)
    assert type(info.value) is error
    assert str(info.value) == message


# ------------------------------------------------------------------ a file object named like a path


def named(name: str, *days: dict[str, Any]) -> io.BytesIO:
    data = io.BytesIO(json.dumps(list(days)).encode())
    data.name = name  # as an open file's
    return data


def test_a_file_object_named_like_a_path_is_an_input_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    export(path, day("2025-01-01", 1))
    twin = f"<file object #1: {path}>"
    orders: list[list[Any]] = [
        [path, named(str(path), day("2025-01-02", 2))],
        [named(str(path), day("2025-01-02", 2)), path],
    ]
    for sources in orders:
        ds = cm.load(sources, org="o")
        assert ds.sources.select("source", "status").sort("source").rows() == [(str(path), "loaded"), (twin, "loaded")]
        assert users(ds) == [("2025-01-01", 1), ("2025-01-02", 2)]
    # two uploads both called export.json: two inputs, the second numbered
    ds = cm.load([named("export.json", day("2025-01-01", 1)), named("export.json", day("2025-01-02", 2))], org="o")
    assert ds.sources["source"].sort().to_list() == ["<file object #2: export.json>", "export.json"]
    assert users(ds) == [("2025-01-01", 1), ("2025-01-02", 2)]
    # the same path named twice is still one input
    assert cm.load([path, str(path)], org="o").sources.height == 1


# ------------------------------------------------------------------ names that are not UTF-8


def test_a_file_name_that_is_not_utf8_loads_under_an_escaped_label(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path / "archive")
    export(root + b"/caf\xe9.json", day("2025-01-01", 1))  # Latin-1, as an old zip stores it
    export(root + b"/good.json", day("2025-01-02", 2))
    escaped = str(tmp_path / "archive" / "caf\\xe9.json")
    good = str(tmp_path / "archive" / "good.json")
    folder = os.fsdecode(root)
    for mode in ("raise", "quarantine"):
        ds = cm.load(folder, org="o", on_invalid=mode)
        assert ds.sources.select("source", "status").sort("source").rows() == [(escaped, "loaded"), (good, "loaded")]
        assert users(ds) == [("2025-01-01", 1), ("2025-01-02", 2)]
    report = cm.validate(folder)
    assert (report.ok, report.days_checked) == (True, 2)
    # named directly (the fsdecoded path), with fetched_at naming it so, and written to Parquet
    latin = os.fsdecode(root + b"/caf\xe9.json")
    ds = cm.load([latin, good], org="o", fetched_at={latin: "2030-01-01"})
    assert ds.sources.filter(pl.col("source") == escaped)["precedence_basis"].to_list() == ["fetched_at"]
    written = cm.write_parquet(ds, tmp_path / "history")
    assert sorted(cm.read_parquet(written).sources["source"].to_list()) == [escaped, good]


def test_a_folder_name_that_is_not_utf8_is_an_escaped_scope_label(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    export(root + b"/L/caf\xe9/x.json", day("2025-01-01", 1))
    export(root + b"/L/plain/x.json", day("2025-01-01", 2))
    ds = cm.load(os.fsdecode(root + b"/L/{org}/x.json"))
    assert users(ds, "org") == [("caf\\xe9", "2025-01-01", 1), ("plain", "2025-01-01", 2)]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "caf\udce9.json").write_bytes(b"[{")  # the same Latin-1 name, cut short
    escaped = str(tmp_path / "bad" / "caf\\xe9.json")
    with pytest.raises(cm.FormatError) as info:
        cm.load(tmp_path / "bad")
    assert (info.value.file, info.value.detected) == (escaped, "truncated-json")
    assert info.value.message.startswith(f"{escaped}: not valid JSON (unexpected end of data")


def test_the_command_line_reads_names_that_are_not_utf8(tmp_path: Path) -> None:
    pytest.importorskip("click", reason="the cli extra is not installed")
    script = Path(sys.executable).with_name("copilot-metrics")
    export(os.fsencode(tmp_path) + b"/a/caf\xe9.json", day("2025-01-01", 1))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    commands: list[list[str | bytes]] = [
        ["validate", b"a"],
        ["validate", b"a/caf\xe9.json"],
        ["coverage", b"a", "--org", b"caf\xe9"],
    ]
    for command in commands:
        done = subprocess.run([script, *command], cwd=tmp_path, capture_output=True, timeout=300, check=False, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stderr == b""
    assert done.stdout.decode().splitlines()[0] == (
        "1 of 1 file(s) loaded, 1 scope-day(s), 0 conflicting value(s) between exports, 0 day(s) quarantined, "
        "0 finding(s)"
    )
    assert "caf\\xe9" in done.stdout.decode()  # the org label, escaped


# ------------------------------------------------------------------ path templates


def test_a_placeholder_used_twice_stands_for_the_same_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    export(Path("T/o1/o1-a.json"), day("2025-01-01", 1))
    export(Path("T/o2/o2-b.json"), day("2025-01-01", 2))
    export(Path("T/o1/o2-c.json"), day("2025-01-01", 3))  # in o1's folder, named for o2: not the template's
    ds = cm.load("T/{org}/{org}-*.json")
    assert users(ds, "org") == [("o1", "2025-01-01", 1), ("o2", "2025-01-01", 2)]
    assert ds.sources.filter(pl.col("status") == "skipped").select("source", "message").rows() == [
        (
            "T/o1/o2-c.json",
            "not read: does not match the path template T/{org}/{org}-*.json (a placeholder used "
            "twice stands for the same name each time, and for at least one character)",
        )
    ]
    with pytest.raises(cm.CopilotMetricsError) as info:
        cm.load("T/{org}/{org}-c.json")  # the glob finds o1/o2-c.json; the template, nothing
    assert type(info.value) is cm.CopilotMetricsError
    assert info.value.message == "T/{org}/{org}-c.json: no file matches this path template"
    regex = template_regex("x/{team}/{org}/{team}.json")
    assert regex.match("x/t/o/t.json").groupdict() == {"team": "t", "org": "o"}  # type: ignore[union-attr]
    assert regex.match("x/t/o/u.json") is None


@pytest.mark.parametrize("source", ["", [""], ["x.json", ""]])
def test_an_empty_path_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Any) -> None:
    monkeypatch.chdir(tmp_path)
    export(Path("x.json"), day("2025-01-01", 1))  # "" used to walk the current folder and load this
    for function in (cm.load, cm.validate):
        with pytest.raises(cm.CopilotMetricsError) as info:
            function(source)
        assert type(info.value) is cm.CopilotMetricsError
        assert info.value.message == "an empty path names no file or folder"


def test_the_command_line_refuses_an_empty_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("click", reason="the cli extra is not installed")
    from copilot_metrics import cli

    monkeypatch.chdir(tmp_path)
    export(tmp_path / "x.json", day("2025-01-01", 1))  # what '' used to validate, exiting 0
    # a command-line mistake (exit 2, as click's usage errors), caught before anything is read
    assert cli.main(["validate", ""]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == (
        "Error: Invalid value for '[PATH]...': a PATH is empty (an unset shell "
        "variable?): name a file, a folder, a glob or a path template"
    )


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("B/[ab]/{org}/x.json", [("o1", 1), ("o2", 2)]),
        ("B/[!a]/{org}/x.json", [("o2", 2), ("o4", 4)]),
        ("B/[a-b]/{org}/x.json", [("o1", 1), ("o2", 2)]),
        ("B/?/{org}/x.json", [("o1", 1), ("o2", 2), ("o4", 4)]),
        ("B/[]]/{org}/x.json", [("o4", 4)]),
        ("B/[[]c/{org}/x.json", [("o3", 3)]),
        ("B/[c/{org}/x.json", [("o3", 3)]),  # an unclosed [ is itself
    ],
)
def test_glob_character_classes_give_each_file_its_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str, expected: list[tuple[str, int]]
) -> None:
    monkeypatch.chdir(tmp_path)
    for folder, org, n in (("a", "o1", 1), ("b", "o2", 2), ("[c", "o3", 3), ("]", "o4", 4)):
        export(Path("B", folder, org, "x.json"), day("2025-01-01", n))
    ds = cm.load(pattern)
    assert ds.days.select("org", "total_active_users").sort("org").rows() == expected
    assert ds.sources.filter(pl.col("status") != "loaded").height == 0


# ------------------------------------------------------------------ arguments checked at the door


@pytest.fixture(scope="module")
def ds() -> cm.Dataset:
    chat = {
        "total_engaged_users": 1,
        "editors": [
            {
                "name": "vscode",
                "total_engaged_users": 1,
                "models": [{"name": "default", "is_custom_model": False, "total_engaged_users": 1, "total_chats": 2}],
            }
        ],
    }
    return cm.load(json.dumps([{**day("2025-01-01", 3), "copilot_ide_chat": chat}]).encode(), org="o")


LOAD_ARGUMENTS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"org": 5}, TypeError, "org must be a str or None, not int"),
    ({"team": ["t"]}, TypeError, "team must be a str or None, not list"),
    ({"enterprise": b"e"}, TypeError, "enterprise must be a str or None, not bytes"),
    ({"workers": "2"}, TypeError, "workers must be an int or None, not str"),
    ({"workers": True}, TypeError, "workers must be an int or None, not bool"),
    ({"workers": 0}, ValueError, "workers must be at least 1, not 0"),
    ({"on_invalid": True}, cm.CopilotMetricsError, "on_invalid must be 'raise' or 'quarantine', not True"),
    ({"on_invalid": "skip"}, cm.CopilotMetricsError, "on_invalid must be 'raise' or 'quarantine', not 'skip'"),
    ({"fetched_at": "2030-01-01"}, TypeError, "fetched_at must be a mapping {path: datetime}, not str"),
    ({"precedence": "export_time"}, TypeError, "precedence must be a function of a ds.sources row, not str"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), LOAD_ARGUMENTS)
def test_load_refuses_arguments_of_the_wrong_type_naming_them(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        cm.load(b"[]", **arguments)
    assert type(info.value) is error
    assert str(info.value) == message
    scope = {k: v for k, v in arguments.items() if k in ("org", "team", "enterprise")}
    if scope:
        with pytest.raises(error, match=f"^{message}$"):
            cm.validate(b"[]", **scope)


METRIC_ARGUMENTS: list[tuple[Callable[..., Any], dict[str, Any], type[Exception], str]] = [
    (cm.adoption, {"by": 123}, TypeError, "by must be a column name, a sequence of column names or None, not int 123"),
    (
        cm.acceptance,
        {"by": ["language", 5]},
        TypeError,
        "by must be a column name, a sequence of column names or None, not list ['language', 5]",
    ),
    (
        cm.chat,
        {"by": b"editor"},
        TypeError,
        "by must be a column name, a sequence of column names or None, not bytes b'editor'",
    ),
    (
        cm.adoption,
        {"start": 20250101},
        TypeError,
        "start must be a datetime.date, an ISO date string (YYYY-MM-DD) or None, not int",
    ),
    (
        cm.dotcom_chat,
        {"end": 20250101.0},
        TypeError,
        "end must be a datetime.date, an ISO date string (YYYY-MM-DD) or None, not float",
    ),
    (
        cm.pull_requests,
        {"start": ["2025-01-01"]},
        TypeError,
        "start must be a datetime.date, an ISO date string (YYYY-MM-DD) or None, not list",
    ),
    (cm.adoption, {"seats": -1}, ValueError, "seats must be a finite number of seats, at least 0, not -1"),
    (cm.adoption, {"seats": float("nan")}, ValueError, "seats must be a finite number of seats, at least 0, not nan"),
    (
        cm.adoption,
        {"seats": "10"},
        TypeError,
        "seats must be a number, a DataFrame or LazyFrame with a 'seats' column, or None, not str",
    ),
    (
        cm.adoption,
        {"seats": True},
        TypeError,
        "seats must be a number, a DataFrame or LazyFrame with a 'seats' column, or None, not bool",
    ),
    (cm.acceptance, {"min_suggestions": "x"}, TypeError, "min_suggestions must be an int or None, not str"),
    (cm.acceptance, {"min_suggestions": -1}, ValueError, "min_suggestions must be at least 0, not -1"),
    (cm.acceptance, {"normalize_languages": "yes"}, TypeError, "normalize_languages must be True or False, not str"),
    (cm.chat, {"weekdays_only": 1}, TypeError, "weekdays_only must be True or False, not int"),
    (cm.adoption, {"every": 5}, cm.CopilotMetricsError, "every=5 is not one of None, '1d', '1w', '1mo', '1q'"),
    (cm.chat, {"start": "01/01/2025"}, cm.CopilotMetricsError, "start='01/01/2025' is not a date (YYYY-MM-DD)"),
]


@pytest.mark.parametrize(("function", "arguments", "error", "message"), METRIC_ARGUMENTS)
def test_metrics_refuse_arguments_of_the_wrong_type_naming_them(
    ds: cm.Dataset, function: Callable[..., Any], arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        function(ds, **arguments)
    assert type(info.value) is error
    assert str(info.value) == message


def test_the_arguments_they_take_still_work(ds: cm.Dataset) -> None:
    row = cm.adoption(ds, by=["org"], seats=0, start=dt.date(2025, 1, 1), end="2025-01-01").row(0, named=True)
    assert (row["org"], row["days_with_data"], row["seat_days"], row["activation_rate"]) == ("o", 1, 0.0, None)
    assert cm.chat(ds, by=("editor",), weekdays_only=True).select("editor", "total_chats").rows() == [("vscode", 2)]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"window": "7"}, TypeError, "window must be an int, not str"),
        ({"window": 7.0}, TypeError, "window must be an int, not float"),
        ({"min_days": None}, TypeError, "min_days must be an int, not NoneType"),
        ({"column": 5}, TypeError, "column must be a column name (str), not int"),
        ({"by": 5}, TypeError, "by must be a column name, a sequence of column names or None, not int 5"),
        ({"window": 0}, cm.CopilotMetricsError, "window and min_days must be at least 1"),
    ],
)
def test_trend_refuses_arguments_of_the_wrong_type_naming_them(
    ds: cm.Dataset, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    call = {"frame": ds.days, "column": "total_active_users", **arguments}
    with pytest.raises(error) as info:
        cm.trend(**call)
    assert type(info.value) is error
    assert str(info.value) == message
    with pytest.raises(TypeError) as wrong:
        cm.trend(ds, "total_active_users")  # type: ignore[arg-type]
    assert str(wrong.value) == "frame must be a polars DataFrame or LazyFrame, not Dataset"
    with pytest.raises(TypeError) as rollup:
        cm.rollup(ds.completions, by=7)  # type: ignore[arg-type]
    assert str(rollup.value) == "by must be a column name, a sequence of column names or None, not int 7"
