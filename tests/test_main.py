"""The quick start's entry point, ``python -m copilot_metrics``, run as a user runs it, and the
first line of the messages it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import copilot_metrics as cm


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copilot_metrics", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ),
    )  # no stray COLUMNS


def test_every_day_quarantined_is_no_file_loaded(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        json.dumps(
            [{"date": "2025-01-01", "total_active_users": "x"}, {"date": "2025-01-02", "total_active_users": -1}]
        )
    )
    done = run("--quarantine", "bad.json", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[0] == (
        f"copilot-metrics {cm.__version__}: 0 of 1 file(s) loaded, 0 scope-day(s), 0 conflicting value(s) "
        "between exports, 2 day(s) quarantined, 1 finding(s)"  # the negative count is also a finding
    )
    assert done.stderr.strip() == "error: no valid day was loaded: nothing to summarise"


def test_nothing_readable_with_quarantine(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    done = run("--quarantine", "empty.json", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith(f"copilot-metrics {cm.__version__}: 0 of 1 file(s) loaded, 0 scope-day(s)")
    assert "not loaded: empty" in done.stdout


def test_bad_file_without_quarantine_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": "x"}]))
    done = run("bad.json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == "error: bad.json: 1 schema error(s) in 1 of 1 day(s)"


def test_one_good_file_and_one_all_quarantined(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": 3}]))
    (tmp_path / "bad.json").write_text(json.dumps([{"date": "2025-01-02", "total_active_users": "x"}]))
    done = run("--quarantine", "good.json", "bad.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(
        f"copilot-metrics {cm.__version__}: 1 of 2 file(s) loaded, 1 scope-day(s)"
    )


@pytest.mark.parametrize(
    ("files", "first_line"),
    [
        ({"a.json": [{"date": "2025-01-01", "total_active_users": "x"}]}, "a.json: 1 schema error(s) in 1 of 1 day(s)"),
        (
            {
                "a.json": [{"date": "2025-01-01", "total_active_users": "x", "total_engaged_users": "y"}],
                "b.json": [{"date": "2025-01-02"}, {"date": "2025-13-01"}],
            },
            "a.json, b.json: 3 schema error(s) in 2 of 3 day(s)",
        ),
        (
            {f"{c}.json": [{"date": "bad"}] for c in "abcde"},
            "a.json, b.json, c.json and 2 more file(s): 5 schema error(s) in 5 of 5 day(s)",
        ),
    ],
)
def test_schema_error_first_line_names_the_files(
    tmp_path: Path, files: dict[str, list[object]], first_line: str
) -> None:
    for name, days in files.items():
        (tmp_path / name).write_text(json.dumps(days))
    with pytest.raises(cm.SchemaValidationError) as info:
        cm.load(sorted(str(tmp_path / n) for n in files))
    assert str(info.value).splitlines()[0] == first_line.replace("a.json", str(tmp_path / "a.json")).replace(
        "b.json", str(tmp_path / "b.json")
    ).replace("c.json", str(tmp_path / "c.json"))
