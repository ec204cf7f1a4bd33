"""The command line in a terminal and in a pipeline (issue 20): what fits 80 and 120 columns, the
``metrics`` command for shell pipelines and cron jobs, seats, ``convert``'s refusals before loading,
``validate`` by file, the files that did not load, and the progress seam (``cm.load(progress=...)``)
that the progress bar follows in serial and parallel loads.

Expected numbers come from the exports themselves (each date's newest export, read here with
``json``), or are worked out by hand, never from the command's code.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import importlib.util
import io
import itertools
import json
import os
import re
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
import helpers
from copilot_metrics import _pool, batch
from copilot_metrics.sources import resolve

HAS_CLI = all(importlib.util.find_spec(m) is not None for m in ("click", "rich", "altair", "vl_convert"))
needs_cli = pytest.mark.skipif(not HAS_CLI, reason="the cli extra is not installed")

SCRIPT = Path(sys.executable).with_name("copilot-metrics")
FIXTURES = Path(__file__).parent / "fixtures"
ORG, TEAM = "octo-org", "octo-org/platform"

#: Every word of the headers the summary tables show, as a person must be able to read them.
SUMMARY_WORDS = {
    "scope",
    "days",
    "missing",
    "active",
    "mean",
    "peak",
    "engaged",
    "engagement",
    "accept",
    "rate",
    "line",
    "chat",
    "PR",
    "summaries",
}
COVERAGE_WORDS = {"first", "last", "day", "days", "missing"}
LANGUAGE_WORDS = {"language", "suggested", "accepted", "accept", "rate", "line", "users", "mean", "peak"}


def environment(columns: int | None) -> dict[str, str]:
    """This process's environment with ``COLUMNS`` as given (never one inherited at the C level)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return env


def run(*args: str, cwd: Path, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.is_file(), f"the console script is not installed beside {sys.executable}"
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment(columns),
    )


def invoke(*args: str, cwd: Path, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """The command run in this process through click's runner (quicker than the console script), in ``cwd``."""
    from click.testing import CliRunner

    from copilot_metrics import cli

    before = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner(env={"COLUMNS": str(columns) if columns else None}).invoke(cli.app(), list(args))
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def run_module(*args: str, cwd: Path, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copilot_metrics", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment(columns),
    )


# --------------------------------------------------------------------------------------------
# The example archive, its Parquet dataset, and its numbers read straight from the JSON
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped example, written by ``copilot-metrics example`` (a folder that labels its scopes)."""
    root = tmp_path_factory.mktemp("terminal") / "archive"
    if HAS_CLI:
        assert run("example", "-o", str(root), cwd=root.parent).returncode == 0
    else:  # the library tests only need the files
        import shutil

        shutil.copytree(cm.examples.path(), root)
    return root


@pytest.fixture(scope="module")
def history(archive: Path) -> Path:
    """The example as a Parquet dataset written by ``copilot-metrics convert``."""
    if not HAS_CLI:
        pytest.skip("the cli extra is not installed")
    target = archive.parent / "history"
    done = run("convert", str(archive), "-o", str(target), cwd=archive.parent)
    assert done.returncode == 0, done.stderr
    return target


def newest_days(folder: Path) -> dict[str, dict[str, Any]]:
    """Each date's day from the newest export of ``folder`` (the file names sort by export date)."""
    days: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json.gz")):
        for day in json.loads(gzip.decompress(path.read_bytes())):
            days[day["date"]] = day
    return days


def scope_days(archive: Path) -> dict[str, dict[str, dict[str, Any]]]:
    return {ORG: newest_days(archive / "octo-org"), TEAM: newest_days(archive / "octo-org" / "teams" / "platform")}


def language_sums(days: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Σ suggestions and Σ acceptances per language, over every editor and model of every day."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day in days.values():
        for editor in (day.get("copilot_ide_code_completions") or {}).get("editors") or []:
            for model in editor.get("models") or []:
                for language in model.get("languages") or []:
                    sums[language["name"]][0] += language.get("total_code_suggestions", 0)
                    sums[language["name"]][1] += language.get("total_code_acceptances", 0)
    return {name: (s, a) for name, (s, a) in sums.items()}


def headline(days: dict[str, dict[str, Any]]) -> list[str]:
    """The summary's numbers for a scope as the terminal shows them, worked out from the days."""
    active = [d["total_active_users"] for d in days.values()]
    both = [d for d in days.values() if "total_active_users" in d and "total_engaged_users" in d]
    engagement = sum(d["total_engaged_users"] for d in both) / sum(d["total_active_users"] for d in both)
    sums = language_sums(days).values()
    acceptance = sum(a for _, a in sums) / sum(s for s, _ in sums)
    summaries = sum(
        m.get("total_pr_summaries_created", 0)
        for d in days.values()
        for r in (d.get("copilot_dotcom_pull_requests") or {}).get("repositories") or []
        for m in r.get("models") or []
    )
    return [
        str(len(days)),
        f"{sum(active) / len(active):,.1f}",
        f"{max(active):,}",
        f"{engagement:.1%}",
        f"{acceptance:.1%}",
        f"{summaries:,}",
    ]


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split("[│┃]", line)[1:-1]]


def table_words(text: str) -> set[str]:
    """Every word inside a table cell (header or body) of the output."""
    return {word for line in text.splitlines() if line[:1] in "│┃" for c in cells(line) for word in c.split()}


def scope_cells(text: str, scope: str, until: str | None = None) -> list[str]:
    """The cells of every table row of ``scope`` (every part of a split table), up to the line starting ``until``."""
    lines = text.splitlines()
    if until is not None:
        lines = lines[: next(i for i, line in enumerate(lines) if line.startswith(until))]
    return [c for line in lines if line.startswith(f"│ {scope} ") for c in cells(line)]


def assert_fits(text: str, width: int) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert too_wide == []


# --------------------------------------------------------------------------------------------
# The progress seam: cm.load(progress=...) and cm.validate(progress=...)
# --------------------------------------------------------------------------------------------


def example_files(archive: Path) -> tuple[int, int]:
    files = list(archive.rglob("*.json.gz"))
    return len(files), sum(p.stat().st_size for p in files)


@pytest.mark.parametrize("workers", [1, 2])
def test_load_progress_counts_every_file_up_to_the_total(archive: Path, workers: int) -> None:
    files, size = example_files(archive)
    assert files == 22
    calls: list[tuple[cm.LoadProgress, int]] = []
    ds = cm.load(str(archive), workers=workers, progress=lambda p: calls.append((p, threading.get_ident())))
    steps = [p for p, _ in calls]
    assert steps[0] == cm.LoadProgress(0, files, 0, size)  # first: nothing read yet, the totals known
    assert steps[-1] == cm.LoadProgress(files, files, size, size)  # last: everything read
    assert [p.files_read for p in steps] == list(range(files + 1))  # one call per file, in this order
    assert all(a.bytes_read < b.bytes_read for a, b in itertools.pairwise(steps))
    assert {(p.files, p.bytes) for p in steps} == {(files, size)}
    assert {thread for _, thread in calls} == {threading.get_ident()}  # in the calling thread, workers or not
    assert ds.sources.height == files


def test_parallel_progress_arrives_while_workers_read(archive: Path) -> None:
    """Each batch's reports reach the caller before its result, and before later batches' results."""
    refs = [ref for ref in resolve([str(archive)], {}) if not ref.skipped]
    chunks = batch.plan_batches(refs, 2)
    assert len(chunks) >= 4
    reported: list[tuple[int, int]] = []
    results = 0
    for index, chunk in enumerate(
        _pool.imap(batch.process_batch, chunks, 2, on_progress=lambda task, position: reported.append((task, position)))
    ):
        # every file of this batch was reported, one by one, before its result came back
        assert [p for t, p in reported if t == index] == list(range(len(chunks[index])))
        assert [ref.label for ref, _ in chunk.outcomes] == [ref.label for ref in chunks[index]]
        results += 1
    assert results == len(chunks)
    assert sorted(reported) == [(t, p) for t, c in enumerate(chunks) for p in range(len(c))]


def test_validate_progress_and_a_callable_only(archive: Path, tmp_path: Path) -> None:
    files, size = example_files(archive)
    steps: list[cm.LoadProgress] = []
    report = cm.validate(str(archive), progress=steps.append)
    assert report.ok
    assert [s.files_read for s in steps] == list(range(files + 1))
    assert steps[-1] == cm.LoadProgress(files, files, size, size)
    with pytest.raises(TypeError, match="progress must be a function"):
        cm.load(str(archive), progress=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="progress must be a function"):
        cm.validate(str(archive), progress="bar")  # type: ignore[arg-type]
    (tmp_path / "a.json").write_text(json.dumps([{"date": "2025-01-01"}]))
    one: list[cm.LoadProgress] = []
    cm.load(str(tmp_path / "a.json"), progress=one.append)
    assert one == [
        cm.LoadProgress(0, 1, 0, len((tmp_path / "a.json").read_bytes())),
        cm.LoadProgress(1, 1, len((tmp_path / "a.json").read_bytes()), len((tmp_path / "a.json").read_bytes())),
    ]


def drawn_on_a_terminal(args: list[str], cwd: Path) -> tuple[str, str, int]:
    """Run the command with standard error on a pseudo-terminal: what it drew there, its stdout, its exit code."""
    env = {**environment(120), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    return helpers.drawn_on_a_terminal([str(SCRIPT), *args], cwd, env)


@needs_cli
@pytest.mark.parametrize("workers", ["1", "2"])
def test_progress_bar_advances_file_by_file(archive: Path, workers: str) -> None:
    """The bar counts the files as they are read, worker processes included (it sat at 0 until the end)."""
    drawn, stdout, code = drawn_on_a_terminal(["coverage", "--workers", workers, str(archive)], archive.parent)
    assert code == 0
    assert "reading 22 files" in drawn
    counts = [int(n) for n in re.findall(r"(\d+)/22", drawn)]
    assert counts == sorted(counts)  # never backwards
    assert len({n for n in counts if 0 < n < 22}) >= 10  # drawn on its way, not only at the start and the end
    assert counts[-1] == 22
    assert stdout.startswith("22 of 22 file(s) loaded")


# --------------------------------------------------------------------------------------------
# The terminal summary fits 80 and 120 columns, words whole
# --------------------------------------------------------------------------------------------


@needs_cli
@pytest.mark.parametrize(("width", "source"), [(80, "archive"), (120, "archive"), (80, "history")])
def test_report_summary_fits_the_terminal_without_broken_words(
    archive: Path, history: Path, tmp_path: Path, width: int, source: str
) -> None:
    folder = archive if source == "archive" else history
    done = run("report", str(folder), "-o", str(tmp_path / "r.html"), cwd=tmp_path, columns=width)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert_fits(out, width)
    words = table_words(out)
    assert words >= SUMMARY_WORDS | COVERAGE_WORDS | LANGUAGE_WORDS
    assert {ORG, TEAM, "typescriptreact", "shellscript"} <= words  # the longest names, whole
    assert "total_code_suggestions" not in out  # friendly headers
    for scope, days in scope_days(archive).items():
        shown = scope_cells(out, scope, until="Coverage per scope")
        assert set(headline(days)) <= set(shown), scope  # every number, whatever the parts
    assert re.sub(r"\s+", " ", out).count("report written to") == 1


@needs_cli
def test_python_m_summary_fits_80_columns(archive: Path, history: Path, tmp_path: Path) -> None:
    for folder in (archive, history):
        done = run_module(str(folder), cwd=tmp_path, columns=80)
        assert done.returncode == 0, done.stderr
        assert_fits(done.stdout, 80)
        words = table_words(done.stdout)
        assert {"scope", "days", "missing", "active", "mean", "peak", "engaged", "engagement"} <= words
        assert COVERAGE_WORDS | LANGUAGE_WORDS | {ORG, TEAM, "typescriptreact"} <= words
        org = scope_days(archive)[ORG]
        assert set(headline(org)[:4]) <= set(scope_cells(done.stdout, ORG))


@needs_cli
def test_without_columns_a_pipe_gets_one_line_per_message(archive: Path, tmp_path: Path) -> None:
    done = run("coverage", str(archive), cwd=tmp_path)
    assert done.stdout.splitlines()[0] == (
        "22 of 22 file(s) loaded, 306 scope-day(s), 4 conflicting value(s) "
        "between exports, 0 day(s) quarantined, 118 finding(s)"
    )
    narrow = run("coverage", str(archive), cwd=tmp_path, columns=80)
    assert narrow.stdout.splitlines()[:2] == [
        "22 of 22 file(s) loaded, 306 scope-day(s), 4 conflicting value(s) between",
        "exports, 0 day(s) quarantined, 118 finding(s)",
    ]
    assert_fits(narrow.stdout, 80)


# --------------------------------------------------------------------------------------------
# copilot-metrics metrics NAME: table, CSV, JSON
# --------------------------------------------------------------------------------------------


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@needs_cli
@pytest.mark.parametrize("source", ["archive", "history"])
def test_metrics_acceptance_csv_and_json_are_exact(archive: Path, history: Path, tmp_path: Path, source: str) -> None:
    folder = archive if source == "archive" else history
    expected = {scope: language_sums(days) for scope, days in scope_days(archive).items()}
    done = run("metrics", "acceptance", str(folder), "--format", "csv", cwd=tmp_path, columns=80)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = csv_rows(done.stdout)
    assert rows[0].keys() >= {"enterprise", "org", "team", "language", "total_code_suggestions", "acceptance_rate"}
    got = {
        (r["org"] + ("/" + r["team"] if r["team"] else ""), r["language"]): (
            int(r["total_code_suggestions"]),
            int(r["total_code_acceptances"]),
            float(r["acceptance_rate"]),
        )
        for r in rows
    }
    assert {r["enterprise"] for r in rows} == {""}  # null: an empty cell
    want = {(scope, language): (s, a, a / s) for scope, sums in expected.items() for language, (s, a) in sums.items()}
    assert got == want  # the rate to the last bit: shortest round-trip floats

    machine = run("metrics", "acceptance", str(folder), "--format", "json", cwd=tmp_path)
    assert machine.returncode == 0, machine.stderr
    document = json.loads(machine.stdout)
    assert {
        (d["org"] + ("/" + d["team"] if d["team"] else ""), d["language"]): (
            d["total_code_suggestions"],
            d["total_code_acceptances"],
            d["acceptance_rate"],
        )
        for d in document
    } == want
    assert {d["enterprise"] for d in document} == {None}  # null


@needs_cli
def test_metrics_adoption_every_week_dates_weekdays_and_seats(archive: Path, history: Path, tmp_path: Path) -> None:
    # Monday 2025-02-10 to Sunday 2025-02-16; 2025-02-12 (a Wednesday) is missing from the archive
    org = scope_days(archive)[ORG]
    weekdays = [org[d] for d in ("2025-02-10", "2025-02-11", "2025-02-13", "2025-02-14")]
    assert "2025-02-12" not in org
    assert dt.date(2025, 2, 10).weekday() == 0
    for folder in (archive, history):
        done = run(
            "metrics",
            "adoption",
            str(folder),
            "--every",
            "1w",
            "--start",
            "2025-02-10",
            "--end",
            "2025-02-16",
            "--weekdays-only",
            "--seats",
            "300",
            "--format",
            "csv",
            "--columns",
            "org,team,period_start,days_in_period,period_complete,days_with_data,days_missing,"
            "active_users_mean,seat_days,activation_rate",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        rows = csv_rows(done.stdout)
        assert done.stdout.splitlines()[0] == (
            "org,team,period_start,days_in_period,period_complete,days_with_data,"
            "days_missing,active_users_mean,seat_days,activation_rate"
        )
        (row,) = [r for r in rows if r["team"] == ""]
        active = [d["total_active_users"] for d in weekdays]
        assert row == {
            "org": ORG,
            "team": "",
            "period_start": "2025-02-10",
            "days_in_period": "5",
            "period_complete": "true",
            "days_with_data": "4",
            "days_missing": "1",
            "active_users_mean": repr(sum(active) / 4),
            "seat_days": "1200.0",
            "activation_rate": repr(sum(active) / 1200),
        }


@needs_cli
def test_metrics_nulls_and_seats_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "days.json").write_text(
        json.dumps(
            [
                {
                    "date": "2025-01-01",
                    "total_active_users": 5,
                    "total_engaged_users": 2,
                    "copilot_ide_code_completions": {
                        "total_engaged_users": 0,
                        "editors": [
                            {
                                "name": "vscode",
                                "total_engaged_users": 0,
                                "models": [
                                    {
                                        "name": "default",
                                        "is_custom_model": False,
                                        "total_engaged_users": 0,
                                        "languages": [
                                            {
                                                "name": "go",
                                                "total_engaged_users": 0,
                                                "total_code_suggestions": 0,
                                                "total_code_acceptances": 0,
                                            }
                                        ],
                                    }
                                ],
                            }
                        ],
                    },
                },
                {"date": "2025-01-02", "total_active_users": 6},
                {"date": "2025-01-03", "total_active_users": 7},
            ]
        )
    )
    # seats change on the 3rd: 10, 10, 20 seat-days
    (tmp_path / "seats.csv").write_text("date,org,seats\n2025-01-01,o,10\n2025-01-03,o,20\n")
    done = invoke(
        "metrics",
        "adoption",
        "days.json",
        "--org",
        "o",
        "--seats",
        "seats.csv",
        "--format",
        "json",
        "--columns",
        "org,team,seat_days,activation_rate,engaged_users_mean",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"org": "o", "team": None, "seat_days": 40.0, "activation_rate": 18 / 40, "engaged_users_mean": 2.0}
    ]
    rates = invoke(
        "metrics",
        "acceptance",
        "days.json",
        "--org",
        "o",
        "--format",
        "csv",
        "--columns",
        "org,team,language,total_code_suggestions,acceptance_rate",
        cwd=tmp_path,
    )
    assert rates.stdout == "org,team,language,total_code_suggestions,acceptance_rate\no,,go,0,\n"  # 0/0: null
    table = invoke("metrics", "acceptance", "days.json", "--org", "o", cwd=tmp_path)
    assert scope_cells(table.stdout, "o")[1:3] == ["go", "0"]
    assert "—" in scope_cells(table.stdout, "o")  # null, for people

    (tmp_path / "bad.csv").write_text("org,seats\no,10\no,-3\n")
    bad = invoke("metrics", "adoption", "days.json", "--org", "o", "--seats", "bad.csv", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: bad.csv: line 3: seats must be a number of at least 0")
    (tmp_path / "typo.csv").write_text("Org,seats\no,10\n")
    typo = invoke("metrics", "adoption", "days.json", "--seats", "typo.csv", cwd=tmp_path)
    assert typo.stderr == (
        "error: typo.csv: unknown column(s) 'Org' in the seats file (columns: seats, and "
        "optionally date, enterprise, org, team)\n"
    )


@needs_cli
def test_metrics_command_line_mistakes_exit_2_before_loading(tmp_path: Path) -> None:
    """Nothing is read: the path does not exist, and the mistake is reported, not the missing file."""
    for args, message in [
        (["chat", "--seats", "3"], "--seats: not an option of `metrics chat`"),
        (["acceptance", "--by", "nope"], "acceptance: cannot group by ['nope']"),
        (["coverage", "--every", "1w"], "--every: not an option of `metrics coverage`"),
        (["adoption", "--seats", "-1"], "the number of seats must be finite and at least 0"),
        (["pull-requests", "--start", "2025-13-01"], "'2025-13-01' does not match the format '%Y-%m-%d'"),
        (["nothing"], "'nothing' is not one of"),
    ]:
        done = invoke("metrics", *args, "missing.json", cwd=tmp_path)
        assert done.returncode == 2, args
        assert message in done.stderr, (args, done.stderr)
        assert "no such file" not in done.stderr


@needs_cli
def test_metrics_reads_every_folder_the_library_writes(archive: Path, history: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    assert invoke("convert", str(archive), "-o", str(clean), "--json", cwd=tmp_path).returncode == 0
    for folder in (archive, history, clean):
        done = invoke("metrics", "coverage", str(folder), "--format", "json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert [(r["org"], r["team"], r["days_present"], r["missing_ranges"]) for r in json.loads(done.stdout)] == [
            (ORG, None, 153, [{"start": "2025-02-12", "end": "2025-02-12"}]),
            (ORG, "platform", 153, [{"start": "2025-02-12", "end": "2025-02-12"}]),
        ], folder
    ranged = invoke(
        "metrics",
        "coverage",
        str(history),
        "--start",
        "2025-02-01",
        "--end",
        "2025-02-28",
        "--format",
        "csv",
        "--columns",
        "org,team,first_date,last_date,days_present,missing_ranges",
        cwd=tmp_path,
    )
    assert ranged.stdout.splitlines() == [
        "org,team,first_date,last_date,days_present,missing_ranges",
        'octo-org,,2025-02-01,2025-02-28,27,"[{""start"":""2025-02-12"",""end"":""2025-02-12""}]"',
        'octo-org,platform,2025-02-01,2025-02-28,27,"[{""start"":""2025-02-12"",""end"":""2025-02-12""}]"',
    ]
    table = invoke("metrics", "adoption", str(history), "--every", "1w", cwd=tmp_path, columns=80)
    assert table.returncode == 0, table.stderr
    assert_fits(table.stdout, 80)
    assert {"period", "2025-01-06", "2025-06-02", ORG, TEAM} <= table_words(table.stdout)
    unknown = invoke("metrics", "adoption", str(history), "--columns", "org,nope", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "nope: not a column of adoption" in unknown.stderr


@needs_cli
def test_report_takes_seats_as_a_number_or_a_file(archive: Path, tmp_path: Path) -> None:
    org = scope_days(archive)[ORG]
    active = sum(d["total_active_users"] for d in org.values())
    (tmp_path / "seats.csv").write_text("org,team,seats\nocto-org,,300\nocto-org,platform,60\n")
    done = run("report", str(archive), "--seats", "seats.csv", "-o", "r.html", cwd=tmp_path, columns=120)
    assert done.returncode == 0, done.stderr
    assert_fits(done.stdout, 120)
    assert {"seat-days", "activation"} <= table_words(done.stdout)
    assert f"{active / (300 * 153):.1%}" in scope_cells(done.stdout, ORG, until="Coverage per scope")
    team = sum(d["total_active_users"] for d in scope_days(archive)[TEAM].values())
    assert f"{team / (60 * 153):.1%}" in scope_cells(done.stdout, TEAM, until="Coverage per scope")
    assert "Activation rate" in (tmp_path / "r.html").read_text("utf-8")


# --------------------------------------------------------------------------------------------
# convert: refusals before loading, and what it says it did
# --------------------------------------------------------------------------------------------


@needs_cli
def test_convert_refuses_a_folder_before_loading(archive: Path, tmp_path: Path) -> None:
    """The input is invalid: had it been loaded, the error would be about it, not about the folder."""
    (tmp_path / "bad.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": "x"}]))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    for extra in ([], ["--merge"]):
        done = invoke("convert", "bad.json", "-o", "mine", *extra, cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr == (
            "error: mine: a non-empty folder that is not a copilot-metrics Parquet dataset "
            "(no _copilot_metrics.json); not replacing it (choose a new or empty folder)\n"
        )
    for flag in ("--csv", "--json"):
        done = invoke("convert", "bad.json", "-o", "mine", flag, cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr.startswith("error: mine: holds 1 path(s) copilot-metrics did not write (notes.txt)")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]

    assert invoke("convert", str(archive), "-o", "dataset", cwd=tmp_path).returncode == 0
    (tmp_path / "dataset" / "extra.parquet").write_bytes(b"")
    done = invoke("convert", "bad.json", "-o", "dataset", cwd=tmp_path)
    assert done.stderr == (
        "error: dataset: holds 1 path(s) copilot-metrics did not write (extra.parquet); not "
        "writing the dataset there (choose a new or empty folder, or move them out)\n"
    )


@needs_cli
def test_convert_says_replaced_or_merged_only_when_there_was_a_dataset(archive: Path, tmp_path: Path) -> None:
    org = sorted(str(p) for p in (archive / "octo-org").glob("*.json.gz"))
    (tmp_path / "empty").mkdir()
    for target in ("new", "empty"):
        first = invoke("convert", *org[:3], "--org", ORG, "-o", target, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert (
            first.stdout.splitlines()[-1] == f"wrote the Parquet dataset to {target}; read it with "
            f"cm.read_parquet('{target}')"
        )
    again = invoke("convert", *org[:3], "--org", ORG, "-o", "new", cwd=tmp_path)
    assert (
        again.stdout.splitlines()[-1] == "wrote the Parquet dataset to new (replaced); read it with "
        "cm.read_parquet('new')"
    )
    merged = invoke("convert", *org[3:], "--org", ORG, "-o", "new", "--merge", cwd=tmp_path)
    assert (
        merged.stdout.splitlines()[-1] == "wrote the Parquet dataset to new (merged); read it with "
        "cm.read_parquet('new')"
    )
    assert cm.read_parquet(tmp_path / "new").days.height == 153
    fresh = invoke("convert", *org[:3], "--org", ORG, "-o", "fresh", "--merge", cwd=tmp_path)
    assert "(merged)" not in fresh.stdout
    for flag in ("--csv", "--json"):  # a folder of its own kind is written again
        assert invoke("convert", *org[:3], "--org", ORG, "-o", flag[2:], flag, cwd=tmp_path).returncode == 0
        again = invoke("convert", *org[:3], "--org", ORG, "-o", flag[2:], flag, cwd=tmp_path)
        assert again.returncode == 0, again.stderr


# --------------------------------------------------------------------------------------------
# validate by file; the files that did not load, and why
# --------------------------------------------------------------------------------------------


@needs_cli
def test_validate_prints_each_file_and_path_once(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        json.dumps([{"date": "2025-01-01", "total_active_users": "x"}, {"date": "2025-02-30"}])
    )
    (tmp_path / "error.json").write_bytes((FIXTURES / "api_error_not_found.json").read_bytes())
    (tmp_path / "empty.json").write_bytes(b"")
    done = invoke("validate", "bad.json", "error.json", "empty.json", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "bad.json: 2 error(s)"
    assert sorted(lines[1:3]) == [
        "  $[0].total_active_users: 'x' is not of type 'integer' [type]",
        "  $[1].date: '2025-02-30' is not a 'date' [format]",
    ]
    assert lines[3:] == [  # files that are not exports hold no day to count
        "error.json: 1 error(s)",
        "  $: not a Copilot metrics export: this looks like a GitHub API error response (message: 'Not Found') "
        "[format:api-error]",
        "empty.json: 1 error(s)",
        "  $: the file is empty [format:empty]",
        "0 of 2 day(s) valid, 4 error(s), 0 unknown field(s) kept",
    ]
    for name in ("bad.json", "error.json", "empty.json"):
        assert done.stdout.count(name) == 1


def fifteen_files(folder: Path) -> None:
    """13 exports of one day each (2025-03-01 to 2025-03-13) and two files that are not exports."""
    folder.mkdir()
    for n in range(1, 14):
        (folder / f"day-{n:02d}.json").write_text(json.dumps([{"date": f"2025-03-{n:02d}", "total_active_users": n}]))
    (folder / "error.json").write_bytes((FIXTURES / "api_error_not_found.json").read_bytes())
    (folder / "empty.json").write_bytes(b"")


@needs_cli
def test_a_run_that_loads_13_of_15_files_names_the_two(tmp_path: Path) -> None:
    fifteen_files(tmp_path / "in")
    first = (
        "13 of 15 file(s) loaded, 13 scope-day(s), 0 conflicting value(s) between exports, 0 day(s) "
        "quarantined, 0 finding(s)"
    )
    named = [
        "2 file(s) not loaded:",
        "  in/empty.json: not loaded: empty (the file is empty)",
        "  in/error.json: not loaded: api-error (not a Copilot metrics export: this looks like a GitHub API "
        "error response (message: 'Not Found'))",
    ]
    for command in (["coverage"], ["convert", "-o", "out"], ["report", "-o", "r.html"]):
        done = invoke(*command, "--quarantine", "--org", "o", "in", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[:4] == [first, *named], command
    module = run_module("--quarantine", "--org", "o", "in", cwd=tmp_path)
    assert module.stdout.splitlines()[:4] == [f"copilot-metrics {cm.__version__}: {first}", *named]
    machine = invoke(
        "metrics",
        "adoption",
        "--quarantine",
        "--org",
        "o",
        "in",
        "--format",
        "csv",
        "--columns",
        "org,days_with_data",
        cwd=tmp_path,
    )
    assert machine.stdout == "org,days_with_data\no,13\n"  # the data alone
    assert machine.stderr.splitlines() == named  # and the files not loaded beside it

    (tmp_path / "in" / "empty.json").unlink()
    (tmp_path / "in" / "error.json").unlink()
    (tmp_path / "in" / "gone.json").symlink_to(tmp_path / "nowhere.json")
    (tmp_path / "in" / "loop.json").symlink_to(tmp_path / "in" / "loop.json")
    skipped = invoke("coverage", "--org", "o", "in", cwd=tmp_path, columns=200)  # no --quarantine: skipped links
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.splitlines()[:4] == [
        first,
        "2 file(s) not loaded:",
        "  in/gone.json: skipped (not read: a symbolic link that leads to no file (broken, or a loop))",
        "  in/loop.json: skipped (not read: a symbolic link that leads to no file (broken, or a loop))",
    ]


def test_terminal_layout_splits_and_never_breaks_a_word() -> None:
    """The layout itself: parts repeat the key column, each fits, and a column is as wide as its longest word."""
    from copilot_metrics import _terminal as t

    columns = [
        t.Column("scope", ["octo-org", "octo-org/platform"], key=True),
        *(t.Column(f"measure number {n}", ["1,234", "5"], numeric=True) for n in range(8)),
    ]
    layout = t.plan("A title that is longer than the table is wide", columns, 60)
    text = t.render(layout)
    assert_fits(text, 60)
    # the scope takes 17 + 3 + 1 (the left edge), each measure at least 7 ("measure") + 3: 3 measures a part
    assert sorted(len(part) for part in layout.parts) == [3, 4, 4]
    assert all(part[0][0].header == "scope" for part in layout.parts)
    assert all(width >= 7 for part in layout.parts for _, width in part[1:])
    assert [c.header for part in layout.parts for c, _ in part[1:]] == [f"measure number {n}" for n in range(8)]
    assert {"measure", "number", "octo-org/platform"} <= table_words(text)
    assert t.wrap("report written to /a/very/long/path/that/cannot/be/broken.html", 20) == [
        "report written to",
        "/a/very/long/path/that/cannot/be/broken.html",
    ]


def test_report_takes_start_end_and_weekdays_only(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from copilot_metrics import cli

    out = tmp_path / "r.html"
    # no PATH: the shipped example
    done = CliRunner().invoke(
        cli.app(),
        ["report", "-o", str(out), "--start", "2025-03-03", "--end", "2025-03-09", "--weekdays-only"],
        env={"COLUMNS": "200"},
    )
    assert done.exit_code == 0, done.output
    assert "Adoption and acceptance over the days from 2025-03-03 to 2025-03-09 (weekdays only)" in done.output
    ds = cm.load(cm.examples.sources())
    week = ds.days.filter(pl.col("team").is_null(), pl.col("date").is_between(dt.date(2025, 3, 3), dt.date(2025, 3, 7)))
    assert week.height == 5
    html = out.read_text("utf-8")
    assert "Numbers and charts: days from 2025-03-03 to 2025-03-09 weekdays only." in html
    assert f"{week.get_column('total_active_users').mean():,.1f}" in html
    assert f"of {week.height:,} in range; 0 missing" in html
