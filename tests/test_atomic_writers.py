"""Issue 17, "nothing lost, nothing leaked", the writers: write_parquet, write_json and write_csv
run one folder transaction (written beside, then swapped in), so a writer starved of disk or
killed midway leaves the previous export as it was; file system errors are CopilotMetricsErrors
naming the path; lock_timeout is checked; write_csv neutralises cells a spreadsheet would run.

Disk starvation and a kill are real, not simulated by patching the library: a child process
lowers its file size limit (``RLIMIT_FSIZE``), so a write past it fails with ``EFBIG`` (Python
ignores ``SIGXFSZ``), or, with ``SIGXFSZ`` restored to its default, the kernel kills the process
in the middle of that write.  (The tests run as root: permissions cannot make a folder unwritable,
so the other errors come from a path through a file, a name too long and ``/proc``.)
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics._layout import LAYOUT_FILE
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.export._files import all_tables
from copilot_metrics.export.json import FILE_NAME
from helpers import completions_day

LANGUAGES = ("c", "go", "java", "python", "ruby", "rust")
#: writer -> (function, what its messages call the export)
WRITERS: dict[str, tuple[Callable[..., Any], str]] = {
    "parquet": (cm.write_parquet, "Parquet dataset"),
    "json": (cm.write_json, "JSON export"),
    "csv": (cm.write_csv, "CSV export"),
}


def day(date: str, users: int, languages: tuple[str, ...] = LANGUAGES) -> dict[str, Any]:
    return completions_day(date, users, languages)


def load_orgs(tmp: Path, **days: int) -> cm.Dataset:
    """Orgs with ``days[org]`` days of March 2025 each (day ``i`` has ``i`` active users), from their own files."""
    folder = tmp / "in" / "-".join(f"{org}{n}" for org, n in days.items())
    for org, n in days.items():
        (folder / org).mkdir(parents=True, exist_ok=True)
        (folder / org / "export.json").write_text(json.dumps([day(f"2025-03-{i + 1:02d}", i + 1) for i in range(n)]))
    return cm.load(str(folder / "{org}" / "*.json"))


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file at ``path`` (a folder, or one file) by its path relative to ``path``."""
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- starved of disk, or killed, midway


CHILD = textwrap.dedent("""
    import json, resource, signal, sys
    import copilot_metrics as cm
    writer, src, root, limit, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    ds = cm.read_parquet(src)  # everything imported and read before the limit
    write = {"parquet": cm.write_parquet, "json": cm.write_json, "json-file": cm.write_json, "csv": cm.write_csv}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # killed: no core file
    if mode == "killed":
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; by default it kills
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        write[writer](ds, root)
    except cm.CopilotMetricsError as exc:
        print(json.dumps({"type": type(exc).__name__, "message": exc.message, "file": exc.file, "hint": exc.hint}))
""")


def write_order(writer: str) -> list[str]:
    """The files each writer writes, in the order it writes them (for the new dataset: orgs a and b)."""
    if writer == "parquet":
        return [
            *(f"{name}/part-00000.parquet" for name in all_tables()),
            "_validation/errors.parquet",
            "_validation/unknown_fields.parquet",
            "_copilot_metrics.json",
        ]
    if writer == "csv":
        return [f"{name}.csv" for name in all_tables()]
    # write_json writes its layout manifest last
    return [f"orgs/a/{FILE_NAME}", f"orgs/b/{FILE_NAME}", LAYOUT_FILE] if writer == "json" else [""]


def limit_midway(writer: str, sizes: dict[str, int]) -> tuple[int, str]:
    """A file size limit the first file fits in, and the first file written past it (a single file: half of it)."""
    order = write_order(writer)
    if writer == "json-file":
        return sizes[""] // 2, ""
    limit = sizes[order[0]]
    failing = next(name for name in order if sizes[name] > limit)
    assert failing != order[0]
    return limit, failing


@pytest.mark.parametrize("mode", ["starved", "killed"])
@pytest.mark.parametrize("writer", ["parquet", "json", "json-file", "csv"])
def test_a_writer_starved_of_disk_or_killed_midway_leaves_the_previous_export(
    writer: str, mode: str, tmp_path: Path
) -> None:
    write, what = WRITERS["json" if writer == "json-file" else writer]
    old = load_orgs(tmp_path, b=1)
    new = load_orgs(tmp_path, b=30) if writer == "json-file" else load_orgs(tmp_path, a=1, b=30)
    cm.write_parquet(new, tmp_path / "src")
    probe = tmp_path / ("probe.json" if writer == "json-file" else "probe")
    write(new, probe)  # without a limit: the size of each file
    sizes = {name: len(data) for name, data in snapshot(probe).items()}
    assert sorted(sizes) == sorted(write_order(writer))
    limit, failing = limit_midway(writer, sizes)
    work = tmp_path / "work"
    work.mkdir()
    root = work / ("history.json" if writer == "json-file" else "out")
    write(old, root)
    before = snapshot(root)
    proc = subprocess.run(
        [sys.executable, "-B", "-c", CHILD, writer, str(tmp_path / "src"), str(root), str(limit), mode],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert snapshot(root) == before  # the previous export, byte for byte
    leftovers = sorted(p.name for p in work.iterdir() if p.name != root.name)
    if mode == "starved":
        assert proc.returncode == 0, proc.stderr.decode()
        error = json.loads(proc.stdout)
        assert error["type"] == "CopilotMetricsError"
        assert error["file"] == str(root)
        assert re.fullmatch(
            rf"{re.escape(str(root))}: could not write the {what}: File too large "
            rf"\({re.escape(str(work))}/\.{re.escape(root.name)}\.tmp-[0-9a-f]{{12}}"
            rf"{re.escape(failing and '/' + failing)}\); "
            rf"the previous {what} is left as it was",
            error["message"],
        ), error["message"]
        assert error["hint"] == "free some space or raise the file size limit (ulimit -f)"
        assert leftovers == []  # the partial export was removed
    else:
        assert proc.returncode == -signal.SIGXFSZ, proc.stderr.decode()
        assert len(leftovers) == 1  # the killed writer's partial export, hidden beside
        assert re.fullmatch(rf"\.{re.escape(root.name)}\.tmp-[0-9a-f]{{12}}", leftovers[0])
        partial = snapshot(work / leftovers[0])
        first = write_order(writer)[0]
        if first != failing:  # killed midway: the first file whole, the failing one cut short
            assert partial[first] == snapshot(probe)[first]
        assert len(partial.get(failing, b"")) < sizes[failing]
    # the previous export reads back as it was written
    if writer == "parquet":
        assert cm.read_parquet(root).days["total_active_users"].to_list() == [1]
    elif writer in ("json", "json-file"):
        exported = next(data for name, data in before.items() if name != LAYOUT_FILE)
        assert [d["total_active_users"] for d in json.loads(exported)] == [1]
    else:
        assert pl.read_csv(root / "days.csv")["total_active_users"].to_list() == [1]
    # the next write replaces it and removes what the killed writer left
    write(new, root)
    assert sorted(p.name for p in work.iterdir()) == [root.name]


# ---------------------------------------------------------------- file system errors


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_path_through_a_file_is_a_clear_error_and_nothing_is_written(writer: str, tmp_path: Path) -> None:
    write, what = WRITERS[writer]
    ds = load_orgs(tmp_path, o=1)
    (tmp_path / "file").write_text("x")
    hint = "a part of the path is a file, not a folder: choose another path"
    for root, reason, failed in (
        (tmp_path / "file" / "sub" / "out", "Not a directory", tmp_path / "file" / "sub"),  # NotADirectoryError
        (tmp_path / "file" / "out", "File exists", tmp_path / "file"),  # FileExistsError
    ):
        with pytest.raises(CopilotMetricsError) as info:
            write(ds, root)
        assert type(info.value) is CopilotMetricsError
        assert info.value.message == (
            f"{root}: could not write the {what}: {reason} ({failed}); nothing was written there"
        )
        assert (info.value.file, info.value.hint) == (str(root), hint)
    assert (tmp_path / "file").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "in"]


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_240_byte_name_is_written_and_replaced_and_a_256_byte_one_is_a_clear_error(
    writer: str, tmp_path: Path
) -> None:
    write, what = WRITERS[writer]
    first, second = load_orgs(tmp_path, o=1), load_orgs(tmp_path, p=2)
    work = tmp_path / "work"
    work.mkdir()
    root = work / ("n" * 240)  # a valid name, too long for ".{name}.tmp-<token>" (258 bytes)
    write(first, root)
    write(second, root)  # replaced through a staging folder named by the name's digest
    assert [p.name for p in work.iterdir()] == [root.name]
    if writer == "parquet":
        assert cm.read_parquet(root).days.select("org", "total_active_users").rows() == [("p", 1), ("p", 2)]
    elif writer == "json":
        assert cm.read_json(root).days.select("org", "total_active_users").rows() == [("p", 1), ("p", 2)]
    else:
        assert pl.read_csv(root / "days.csv").select("org", "total_active_users").rows() == [("p", 1), ("p", 2)]
    too_long = work / ("n" * 256)
    with pytest.raises(CopilotMetricsError) as info:
        write(first, too_long)
    assert type(info.value) is CopilotMetricsError
    assert info.value.message == (
        f"{too_long}: could not write the {what}: File name too long ({too_long}); nothing was written there"
    )
    assert info.value.hint == "choose a shorter name"
    assert [p.name for p in work.iterdir()] == [root.name]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_folder_nothing_can_be_written_in_is_a_clear_error(writer: str, tmp_path: Path) -> None:
    write, what = WRITERS[writer]
    root = Path("/proc/copilot-metrics-test")
    with pytest.raises(CopilotMetricsError) as info:
        write(load_orgs(tmp_path, o=1), root)
    assert type(info.value) is CopilotMetricsError
    assert info.value.message.startswith(f"{root}: could not write the {what}: ")
    assert info.value.message.endswith("; nothing was written there")
    assert info.value.file == str(root)
    assert not root.exists()


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            float("nan"),
            ValueError,
            "lock_timeout must be a number of seconds >= 0 (math.inf waits as long as it takes), not nan",
        ),
        (
            -1.0,
            ValueError,
            "lock_timeout must be a number of seconds >= 0 (math.inf waits as long as it takes), not -1.0",
        ),
        ("10", TypeError, "lock_timeout must be a number of seconds, not '10'"),
        (True, TypeError, "lock_timeout must be a number of seconds, not True"),
        (None, TypeError, "lock_timeout must be a number of seconds, not None"),
    ],
)
def test_lock_timeout_is_checked_before_anything_is_written(
    writer: str, value: object, error: type[Exception], message: str, tmp_path: Path
) -> None:
    write, _ = WRITERS[writer]
    ds = load_orgs(tmp_path, o=1)
    with pytest.raises(error) as info:
        write(ds, tmp_path / "out", lock_timeout=value)
    assert str(info.value) == message
    assert not (tmp_path / "out").exists()
    write(ds, tmp_path / "out", lock_timeout=float("inf"))  # wait as long as it takes: allowed
    assert (tmp_path / "out").is_dir()


# ---------------------------------------------------------------- write_json and write_csv replace their folder whole


@pytest.mark.parametrize("writer", ["json", "csv"])
def test_json_and_csv_replace_their_own_folder_whole_and_refuse_one_holding_other_files(
    writer: str, tmp_path: Path
) -> None:
    write, what = WRITERS[writer]
    both = load_orgs(tmp_path, a=1, b=1)
    out = tmp_path / "out"
    write(both, out)
    write(load_orgs(tmp_path, c=2), out)
    if writer == "json":  # the folder holds the new dataset alone: no stale scope from the first write
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
            LAYOUT_FILE,
            f"orgs/c/{FILE_NAME}",
        ]
    else:
        assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in all_tables())
        assert pl.read_csv(out / "days.csv")["org"].to_list() == ["c", "c"]
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    with pytest.raises(CopilotMetricsError) as info:
        write(both, out)
    assert type(info.value) is CopilotMetricsError
    assert info.value.message == (
        f"{out}: holds 1 path(s) copilot-metrics did not write (notes.txt); not replacing the {what}, "
        "which would delete them"
    )
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_write_json_to_a_file_replaces_it_and_refuses_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "history.json"
    cm.write_json(load_orgs(tmp_path, o=1), target)
    cm.write_json(load_orgs(tmp_path, o=2), target)
    assert [d["total_active_users"] for d in json.loads(target.read_text())] == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "in"]
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(CopilotMetricsError) as info:
        cm.write_json(load_orgs(tmp_path, o=1), tmp_path / "folder.json")
    assert info.value.message == f"{tmp_path / 'folder.json'}: exists and is a folder, not a file"
    assert list((tmp_path / "folder.json").iterdir()) == []


def test_a_writer_never_replaces_the_current_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = load_orgs(tmp_path, o=1)
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    with pytest.raises(CopilotMetricsError) as info:
        cm.write_csv(ds, ".")
    assert info.value.message == (
        ".: is (or holds) the current working folder; replacing it would leave this process in a deleted folder"
    )
    assert list((tmp_path / "here").iterdir()) == []


# ---------------------------------------------------------------- CSV cells a spreadsheet would run


def test_write_csv_neutralises_cells_a_spreadsheet_would_run_and_leaves_numbers(tmp_path: Path) -> None:
    languages = ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "'quoted", "\tTab", "a=b", "python")
    path = tmp_path / "in" / "day.json"
    path.parent.mkdir()
    path.write_text(json.dumps([day("2025-03-01", 4, languages)]))
    ds = cm.load(str(path), org='=HYPERLINK("http://x","y")', team="team")
    cm.write_csv(ds, tmp_path / "csv")
    cells = pl.read_csv(tmp_path / "csv" / "completions.csv", infer_schema=False)
    assert sorted(cells["language"].to_list()) == sorted(
        ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "''quoted", "'\tTab", "a=b", "python"]
    )
    assert cells["org"].to_list() == ['\'=HYPERLINK("http://x","y")'] * 8
    assert cells["team"].to_list() == ["team"] * 8
    assert cells["total_code_suggestions"].to_list() == ["10"] * 8  # numbers as they are
    assert cells["date"].to_list() == ["2025-03-01"] * 8
    # one leading quote removed from the text cells starting with it gives every label back
    assert sorted(v[1:] if v.startswith("'") else v for v in cells["language"].to_list()) == sorted(languages)
    days = pl.read_csv(tmp_path / "csv" / "days.csv", infer_schema=False)
    assert days.select("total_active_users", "total_engaged_users").rows() == [("4", "4")]
