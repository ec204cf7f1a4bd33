"""The commands of ``copilot-metrics`` (click + rich); :mod:`copilot_metrics.cli` is the entry point.

Every command that reads exports takes the same inputs as :func:`copilot_metrics.load`: paths,
folders, globs and path templates, scope labels by option, ``--quarantine``. Errors about the
input are printed on one line (``error: ...``) with exit code 1; ``--debug`` raises them instead,
traceback included. A progress bar is drawn on standard error while many files load, and only
when standard error is a terminal; it follows ``cm.load(..., progress=...)``, so it advances as
worker processes read files too.

Tables and summaries fit the terminal (or ``COLUMNS``; a file or a pipe gets their natural
width): no word is broken, headers are short, and a table too wide is split into parts that
repeat its key columns (see :mod:`copilot_metrics._terminal`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import polars as pl

import copilot_metrics as cm
from copilot_metrics import _terminal
from copilot_metrics import report as _report
from copilot_metrics import summary as _summary
from copilot_metrics._terminal import COVERAGE_HEADERS, LANGUAGE_HEADERS, SUMMARY_HEADERS

F = TypeVar("F", bound=Callable[..., Any])

#: Loads of at least this many files show a progress bar (on a terminal).
PROGRESS_MIN_FILES = 10
_SCOPE_COLUMNS = _summary.SCOPE_COLUMNS
_VALIDATE_HINT = (
    "run `copilot-metrics validate` on the same paths to list every error, or add --quarantine "
    "to load the valid days and set the others aside"
)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _width() -> int | None:
    """Standard output's width: ``COLUMNS``, else the terminal's; None for a file or a pipe."""
    return _terminal.terminal_width()


def _console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    if stderr:
        return Console(stderr=True, highlight=False)
    # a file or a pipe without COLUMNS: tables at their natural width (up to 240), never folded to 80
    return Console(highlight=False, width=_width() or _terminal.PIPE_WIDTH)


def _out(text: str) -> None:
    click.echo(text)


def _say(text: str, indent: str = "") -> None:
    """A line of the summary on standard output, wrapped at spaces to the terminal (never mid-word)."""
    width = _width()
    click.echo("\n".join(_terminal.wrap(text, width, indent) if width else [text]))


def _err(text: str) -> None:
    click.echo(text, err=True)


def _print_table(
    frame: pl.DataFrame, title: str, headers: dict[str, str] | None = None, keys: Sequence[str] = ()
) -> None:
    """``frame`` as rich tables laid out by :func:`copilot_metrics._terminal.plan` for the console's width.

    The scope columns become one ``scope`` column; ``keys`` (and the scope) are repeated in each
    part when the table is split.  Every column is at least as wide as its longest word.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = _console()
    layout = _terminal.plan(title, _terminal.columns_of(frame, headers, keys), console.width)
    console.print(Text(title, style="bold"))
    for number, part in enumerate(layout.parts):
        if number:
            console.print(f"({number + 1} of {len(layout.parts)}, continued)")
        table = Table(box=box.HEAVY_HEAD)
        for column, width in part:
            table.add_column(
                column.header, width=width, justify="right" if column.numeric else "left", overflow="fold"
            )  # never needed: no word is wider than its column
        for row in range(layout.rows):
            table.add_row(*(column.cells[row] for column, _ in part))
        console.print(table)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, cm.CopilotMetricsError):
        first = exc.message.splitlines()[0] if exc.message else type(exc).__name__
        hint = _VALIDATE_HINT if isinstance(exc, cm.SchemaValidationError) else exc.hint
        return f"{first} ({hint})" if hint else first
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return f"unexpected {type(exc).__name__}: {exc} (a bug: please report it with the output of --debug)"


def _debug_option(f: F) -> F:
    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.find_root().meta["copilot_metrics.debug"] = True
        return value

    return click.option(
        "--debug", is_flag=True, expose_value=False, callback=remember, help="Show the full traceback of an error."
    )(f)


def _reports_errors(f: F) -> F:
    """Turn an exception into ``error: <one line>`` on standard error and exit code 1.

    The command's return value is its exit code, passed to ``ctx.exit`` so that it holds however
    click is run (the console script, ``CliRunner``, standalone or not).
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        try:
            code = f(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if context.find_root().meta.get("copilot_metrics.debug"):
                raise
            _err(f"error: {_one_line(exc)}")
            code = 1
        context.exit(int(code or 0))

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Loading, with a progress bar on terminals
# --------------------------------------------------------------------------------------------


@contextmanager
def _progress(what: str) -> Iterator[Callable[[cm.LoadProgress], None] | None]:
    """A progress bar on standard error (a terminal only), fed by ``cm.load(..., progress=...)``.

    Yields the callback to give ``cm.load`` or ``cm.validate`` (None when standard error is not a
    terminal). The bar appears for loads of at least :data:`PROGRESS_MIN_FILES` files; it counts the
    files read, in this process or in worker processes, then says "merging and checking".
    """
    console = _console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    shown: dict[str, Any] = {}

    def update(step: cm.LoadProgress) -> None:
        if "bar" not in shown:
            if step.files < PROGRESS_MIN_FILES:
                return
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            bar.start()
            shown.update(bar=bar, task=bar.add_task(f"{what} {step.files} files", total=step.files), percent=-1)
        bar, task = shown["bar"], shown["task"]
        percent = step.files_read * 100 // max(step.files, 1)
        done = step.files_read >= step.files
        bar.update(
            task,
            completed=step.files_read,
            description="merging and checking" if done else f"{what} {step.files} files",
            refresh=percent != shown["percent"],
        )  # drawn at each percent, not only 10 times a second
        shown["percent"] = percent

    try:
        yield update
    finally:
        if "bar" in shown:
            shown["bar"].stop()


#: Printed first on standard output, and put before the report's title, when no PATH was given.
EXAMPLE_NOTE = "EXAMPLE DATA: no PATH was given, so this is the synthetic example archive shipped with copilot-metrics"


def _sources(paths: Sequence[str]) -> list[str]:
    if paths:
        return list(paths)
    note = (
        f"no PATH given: using the example archive shipped with the package ({cm.examples.path()}), "
        "synthetic data, not yours"
    )
    width = _width()
    _err("\n".join(_terminal.wrap(note, width) if width else [note]))
    return cm.examples.sources()


def _no_empty_path(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """An empty PATH (``"$UNSET"``) would read the current folder: refuse it."""
    if any(not path for path in value):
        raise click.BadParameter(
            "a PATH is empty (an unset shell variable?): name a file, a folder, a glob or a path template"
        )
    return value


def _scope(org: str | None, team: str | None, enterprise: str | None) -> dict[str, str | None]:
    return {"org": org, "team": team, "enterprise": enterprise}


def _load(paths: Sequence[str], options: dict[str, Any]) -> cm.Dataset:
    sources = _sources(paths)
    with _progress("reading") as progress:
        return cm.load(
            sources,
            on_invalid="quarantine" if options["quarantine"] else "raise",
            workers=options["workers"],
            org=options["org"],
            team=options["team"],
            enterprise=options["enterprise"],
            progress=progress,
        )


def _say_loaded(ds: cm.Dataset, *, err: bool = False) -> None:
    """The load line, then the files not loaded and why (on standard error with ``err``)."""
    lines = [_summary.load_line(ds), *_summary.not_loaded(ds.sources)]
    if err:
        for line in lines[1:]:
            _err(line)
        return
    for line in lines:
        _say(line, indent="    " if line.startswith("  ") else "")


def _require_days(ds: cm.Dataset, what: str) -> None:
    """Refuse a dataset holding neither a legacy day nor a successor report row."""
    if not _summary.holds_data(ds):
        raise cm.CopilotMetricsError(
            f"no valid day was loaded: nothing to {what}",
            hint="`copilot-metrics validate` lists what is wrong with the files",
        )


def _input_options(f: F) -> F:
    options = [
        click.argument("paths", nargs=-1, metavar="[PATH]...", callback=_no_empty_path),
        click.option("--org", help="Org label for every input (a path template's {org} overrides it)."),
        click.option("--team", help="Team label for every input."),
        click.option("--enterprise", help="Enterprise label for every input."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _load_options(f: F) -> F:
    options = [
        click.option(
            "--quarantine", is_flag=True, help="Load every valid day and set invalid days aside, instead of failing."
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Processes reading files (default: all cores above 192 MiB, else 1).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


# --------------------------------------------------------------------------------------------
# Options of the metrics: periods, dates, grouping, seats
# --------------------------------------------------------------------------------------------


class _Seats(click.ParamType):  # type: ignore[type-arg]
    """``--seats N`` (a number of seats, every day) or ``--seats FILE.csv`` (read by :func:`read_seats`)."""

    name = "N|FILE.csv"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float | Path:
        if isinstance(value, (int, float, Path)):
            return value
        try:
            number = float(value)
        except ValueError:
            path = Path(value)
            if not path.is_file():
                self.fail(f"{value!r} is neither a number of seats nor a CSV file", param, ctx)
            return path
        if not (number >= 0 and number != float("inf")):
            self.fail(f"{value!r}: the number of seats must be finite and at least 0", param, ctx)
        return int(number) if number.is_integer() else number


#: Columns a seats CSV file may have (``seats`` is required), and their types.
SEATS_COLUMNS: dict[str, pl.DataType] = {
    "seats": pl.Float64(),
    "date": pl.Date(),
    "enterprise": pl.String(),
    "org": pl.String(),
    "team": pl.String(),
}


def read_seats(path: Path) -> pl.DataFrame:
    """A seats CSV file as ``cm.adoption(seats=...)`` takes it: ``seats`` and optionally ``date`` and scope columns.

    An empty scope cell is a null scope (``org=octo-org,team=`` is the org itself). Each
    (scope, date) once; seats numbers of at least 0; dates ``YYYY-MM-DD``.
    """
    where = str(path)
    try:
        header = pl.read_csv(path, n_rows=0).columns
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise cm.CopilotMetricsError(
            f"{where}: not a readable CSV file of seats ({_first_line(exc)})", file=where
        ) from exc
    unknown = [c for c in header if c not in SEATS_COLUMNS]
    if "seats" not in header or unknown:
        what = f"unknown column(s) {', '.join(map(repr, unknown))}" if unknown else "no 'seats' column"
        raise cm.CopilotMetricsError(
            f"{where}: {what} in the seats file",
            file=where,
            hint="columns: seats, and optionally date, enterprise, org, team",
        )
    try:
        frame = pl.read_csv(path, schema_overrides={c: SEATS_COLUMNS[c] for c in header})
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise cm.CopilotMetricsError(
            f"{where}: the seats file cannot be read ({_first_line(exc)})",
            file=where,
            hint="seats are numbers; dates are YYYY-MM-DD",
        ) from exc
    lines = frame.with_row_index("line", offset=2)  # line 1 is the header
    bad = lines.filter(pl.col("seats").is_null() | (pl.col("seats") < 0) | ~pl.col("seats").is_finite())
    if "date" in header:
        bad = pl.concat([bad, lines.filter(pl.col("date").is_null())]).sort("line")
    if bad.height:
        row = bad.row(0, named=True)
        raise cm.CopilotMetricsError(
            f"{where}: line {row['line']}: seats must be a number of at least 0 and date a YYYY-MM-DD date "
            f"(seats {row['seats']!r}" + (f", date {row['date']!r})" if "date" in header else ")"),
            file=where,
            column="seats",
        )
    keys = [c for c in header if c != "seats"]
    twice = lines.filter(pl.struct(keys).is_duplicated()) if keys else (lines if lines.height > 1 else lines.head(0))
    if twice.height:
        raise cm.CopilotMetricsError(
            f"{where}: lines {', '.join(str(n) for n in twice['line'].head(2))}: the same "
            f"{' and '.join(keys) or 'seats row'} twice",
            file=where,
            hint="give each scope and date one number of seats",
        )
    return frame


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _seats(value: float | Path | None) -> float | pl.DataFrame | None:
    return read_seats(value) if isinstance(value, Path) else value


def _split_by(values: tuple[str, ...]) -> list[str]:
    """``--by a --by b`` and ``--by a,b`` alike."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


_EVERY = click.Choice(["1d", "1w", "1mo", "1q"])
_DATE = click.DateTime(formats=["%Y-%m-%d"])


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(cm.__version__, "-V", "--version", prog_name="copilot-metrics")
@_debug_option
def group() -> None:
    """Validate, convert, summarise and chart archived GitHub Copilot metrics exports.

    PATH is a file, a folder, a glob or a path template such as 'exports/{org}/{team}/*.json'
    (quote it). Exit codes: 0 success, 1 invalid data or an error (one line on stderr; --debug
    shows the traceback), 2 a mistake on the command line.
    """


@group.command()
@_input_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (errors and unknown fields).")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Errors printed at most (0: all); --json prints all.",
)
@_debug_option
@_reports_errors
def validate(
    paths: tuple[str, ...], org: str | None, team: str | None, enterprise: str | None, *, as_json: bool, limit: int
) -> int:
    """Check every day of every file against the published schema.

    Prints the errors grouped by file: the file once, then each error's JSON path, message and
    rule. Exit code 0 when every day is valid, 1 when not.
    """
    if not paths:
        raise click.UsageError("give at least one PATH to validate")
    sources = list(paths)
    with _progress("checking") as progress:
        result = cm.validate(sources, **_scope(org, team, enterprise), progress=progress)
    if as_json:
        document = {
            "ok": result.ok,
            "days_checked": result.days_checked,
            "days_valid": result.days_valid,
            "errors": result.errors.to_dicts(),
            "unknown_fields": result.unknown_fields.to_dicts(),
        }
        _out(json.dumps(document, indent=2, default=str, ensure_ascii=False))
        return 0 if result.ok else 1
    shown = result.errors if limit == 0 else result.errors.head(limit)
    totals = dict(result.errors.group_by("source").len().iter_rows())
    for (source,), rows in shown.group_by("source", maintain_order=True):
        _out(f"{source}: {totals[source]} error(s)")
        for row in rows.iter_rows(named=True):  # the file and the path once, not again in the message
            message = _summary.without_place(row["message"] or "", source, row["json_path"])
            _out(f"  {row['json_path']}: {message} [{row['rule']}]")
    if shown.height < result.errors.height:
        _out(f"... and {result.errors.height - shown.height} more error(s) (--limit 0 or --json shows all)")
    summary = (
        f"{result.days_valid} of {result.days_checked} day(s) valid, {result.errors.height} error(s), "
        f"{result.unknown_fields.height} unknown field(s) kept"
    )
    _out(summary if not result.ok else f"valid: {summary}")
    return 0 if result.ok else 1


def _check_output(output: Path, kind: str) -> bool:
    """Refuse, before anything is loaded, a folder the write would refuse or must not replace.

    Returns whether the folder already holds an export of this kind (to be replaced or merged
    into). ``kind`` is ``parquet`` (the rules of ``cm.write_parquet``: a dataset holding only the
    files it writes), ``csv`` (only the CSV files ``cm.write_csv`` writes) or ``json`` (a folder
    ``cm.write_json`` wrote, with its layout manifest).
    """
    from copilot_metrics._layout import LAYOUT_FILE
    from copilot_metrics.export._files import MANIFEST
    from copilot_metrics.export._files import all_tables as _all_tables
    from copilot_metrics.export.parquet import foreign as _foreign

    if not output.exists():
        return False
    if not output.is_dir():
        raise cm.CopilotMetricsError(f"{output}: exists and is not a folder", file=str(output))
    entries = sorted(output.iterdir())
    if not entries:
        return False
    if kind == "parquet":
        if not (output / MANIFEST).is_file():
            raise cm.CopilotMetricsError(
                f"{output}: a non-empty folder that is not a copilot-metrics Parquet dataset (no {MANIFEST}); "
                "not replacing it",
                file=str(output),
                hint="choose a new or empty folder",
            )
        foreign = _foreign(output.resolve())
    elif kind == "csv":
        names = {f"{name}.csv" for name in _all_tables()}
        foreign = [p.name for p in entries if p.name not in names or p.is_symlink() or not p.is_file()]
    else:
        layout = output / LAYOUT_FILE
        try:
            written = layout.is_file() and json.loads(layout.read_bytes()).get("writer") == "write_json"
        except (OSError, ValueError, AttributeError):
            written = False
        foreign = [] if written else [p.name for p in entries]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        what = {"parquet": "the dataset", "csv": "the CSV files", "json": "the JSON files"}[kind]
        raise cm.CopilotMetricsError(
            f"{output}: holds {len(foreign)} path(s) copilot-metrics did not write ({shown}); not writing {what} there",
            file=str(output),
            hint="choose a new or empty folder, or move them out",
        )
    return True


@group.command()
@_input_options
@_load_options
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write."
)
@click.option("--csv", "as_csv", is_flag=True, help="Write one CSV file per table instead of Parquet.")
@click.option("--json", "as_json", is_flag=True, help="Write the merged history in the API's JSON, one file per scope.")
@click.option(
    "--merge",
    is_flag=True,
    help="Merge into the Parquet dataset already in the folder (same precedence "
    "as loading everything at once) instead of replacing it.",
)
@_debug_option
@_reports_errors
def convert(
    paths: tuple[str, ...],
    org: str | None,
    team: str | None,
    enterprise: str | None,
    *,
    quarantine: bool,
    workers: int | None,
    output: Path,
    as_csv: bool,
    as_json: bool,
    merge: bool,
) -> int:
    """Load and merge the exports, and write them as a Parquet dataset (or CSV, or JSON).

    The Parquet dataset is read back with cm.read_parquet(DIR), DuckDB, Spark or Polars. A
    folder that is not empty is refused before anything is read, unless it holds what this
    command writes (a Parquet dataset, replaced or, with --merge, merged into).
    """
    if as_csv and as_json:
        raise click.UsageError("--csv and --json are exclusive: choose one format")
    if merge and (as_csv or as_json):
        raise click.UsageError("--merge only applies to the Parquet dataset")
    existed = _check_output(output, "csv" if as_csv else "json" if as_json else "parquet")
    ds = _load(
        paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine, "workers": workers}
    )
    if not paths:
        _say(EXAMPLE_NOTE)
    _say_loaded(ds)
    _require_days(ds, "convert")
    if as_csv:
        written = cm.write_csv(ds, output)
        _say(f"wrote {len(written)} CSV file(s) to {output}")
    elif as_json:
        written = cm.write_json(ds, output)
        _say(f"wrote {len(written)} JSON file(s) to {output}, one per scope")
    else:
        root = cm.write_parquet(ds, output, mode="merge" if merge else "overwrite")
        done = (" (merged)" if merge else " (replaced)") if existed else ""
        _say(f"wrote the Parquet dataset to {root}{done}; read it with cm.read_parquet({str(root)!r})")
    return 0


def _range_text(start: Any, end: Any, weekdays_only: bool) -> str:
    """The days a summary stands on, in words."""
    if not (start or end or weekdays_only):
        return "the whole range"
    first = f"from {start:%Y-%m-%d} " if start else ""
    last = f"to {end:%Y-%m-%d} " if end else ""
    return f"the days {first}{last}{'(weekdays only)' if weekdays_only else ''}".rstrip()


def _summary_frame(ds: cm.Dataset, seats: float | pl.DataFrame | None, **days: Any) -> pl.DataFrame:
    summary = _summary.summary_table(ds, seats=seats, **days)
    return summary.select(*_SCOPE_COLUMNS, *(c for c in SUMMARY_HEADERS if c in summary.columns))


@group.command(name="report")
@_input_options
@_load_options
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("copilot-metrics-report.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option("--every", type=_EVERY, default="1w", show_default=True, help="Period of the trend charts.")
@click.option(
    "--start",
    type=_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="First day the numbers and charts stand on (inclusive).",
)
@click.option(
    "--end",
    type=_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="Last day the numbers and charts stand on (inclusive).",
)
@click.option("--weekdays-only", is_flag=True, help="Monday to Friday only (weekends are not counted missing).")
@click.option(
    "--seats",
    type=_Seats(),
    default=None,
    help="Licensed seats: a number, or a CSV file with a 'seats' column and optionally 'date' and "
    "'enterprise'/'org'/'team'. Adds seat-days and the activation rate.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Languages in the acceptance chart and table.",
)
@click.option("--title", default=_report.DEFAULT_TITLE, show_default=True, help="Title of the HTML report.")
@_debug_option
@_reports_errors
def report_command(
    paths: tuple[str, ...],
    org: str | None,
    team: str | None,
    enterprise: str | None,
    *,
    quarantine: bool,
    workers: int | None,
    output: Path,
    every: str,
    start: Any,
    end: Any,
    weekdays_only: bool,
    seats: float | Path | None,
    top: int,
    title: str,
) -> int:
    """Print the adoption and acceptance summary, and write a self-contained HTML report.

    The report (summary numbers, charts, coverage, findings, conflicts, files) opens offline:
    the charts are inline SVG and nothing is loaded from the network. The summary fits the
    terminal: a table too wide is split in parts that repeat the scope.
    """
    seat_numbers = _seats(seats)  # a bad seats file is reported before the load
    ds = _load(
        paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine, "workers": workers}
    )
    if not paths:
        _say(EXAMPLE_NOTE)
        title = f"{EXAMPLE_NOTE.partition(':')[0]} (synthetic, shipped with copilot-metrics): {title}"
    _say_loaded(ds)
    _require_days(ds, "report")
    days: dict[str, Any] = {
        "start": start.date() if start else None,
        "end": end.date() if end else None,
        "weekdays_only": weekdays_only,
    }
    if not ds.days.is_empty():
        _print_table(
            _summary_frame(ds, seat_numbers, **days),
            f"Adoption and acceptance over {_range_text(start, end, weekdays_only)} (users: daily mean and "
            "peak, never sums; rates: ratios of sums)",
            SUMMARY_HEADERS,
        )
    _say_successor(ds)
    _print_coverage(ds)
    by_language = cm.acceptance(
        ds, by=(*_SCOPE_COLUMNS, "language"), start=days["start"], end=days["end"], weekdays_only=weekdays_only
    )
    for scope in _summary.scopes(ds) if not ds.days.is_empty() else []:
        top_rows = _summary.top_languages(by_language, scope, top)
        _print_table(
            top_rows.select(c for c in LANGUAGE_HEADERS if c in top_rows.columns),
            f"Completion acceptance by language, {_summary.scope_name(scope)} (top {top} by suggestions)",
            LANGUAGE_HEADERS,
            keys=("language",),
        )
    written = _report.write(ds, output, every=every, top=top, title=title, seats=seat_numbers, **days)
    _say(f"report written to {written.resolve()}")
    return 0


def _say_successor(ds: cm.Dataset) -> None:
    """The successor reports' headline per scope, each line saying what it stands on (nothing without reports)."""
    for line in _summary.successor_lines(ds):
        _say(line, indent="    " if line.startswith("  ") else "")


def _coverage_frame(ds: cm.Dataset | pl.DataFrame) -> pl.DataFrame:
    """``cm.coverage`` with the missing ranges as text (``2025-02-12``, ``2025-03-01 to 2025-03-04``)."""
    return _summary.missing_ranges_text(cm.coverage(ds))


def _print_coverage(ds: cm.Dataset) -> None:
    _print_table(_coverage_frame(ds), "Coverage per scope (missing days are gaps, never zeros)", COVERAGE_HEADERS)


@group.command()
@_input_options
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON, one object per scope.")
@_debug_option
@_reports_errors
def coverage(
    paths: tuple[str, ...],
    org: str | None,
    team: str | None,
    enterprise: str | None,
    *,
    quarantine: bool,
    workers: int | None,
    as_json: bool,
) -> int:
    """Days present and missing per scope, from its first to its last date."""
    ds = _load(
        paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine, "workers": workers}
    )
    if as_json:
        _say_loaded(ds, err=True)
        _out(json.dumps(cm.coverage(ds).to_dicts(), indent=2, default=str))
        return 0
    if not paths:
        _say(EXAMPLE_NOTE)
    _say_loaded(ds)
    _print_coverage(ds)
    return 0


#: ``copilot-metrics metrics NAME``: the library function each NAME runs.
METRICS: dict[str, str] = {
    "adoption": "adoption",
    "acceptance": "acceptance",
    "chat": "chat",
    "dotcom-chat": "dotcom_chat",
    "pull-requests": "pull_requests",
    "coverage": "coverage",
}
#: Dimension columns: repeated in each part of a table split to fit the terminal, as the scope and period are.
_DIMENSIONS = ("period_start", "language", "editor", "model", "repository")


def _machine_csv(frame: pl.DataFrame) -> str:
    """CSV with exact values: ISO dates, shortest round-trip floats, empty cells for nulls, nested values as JSON."""
    nested = [c for c, t in frame.schema.items() if isinstance(t, (pl.List, pl.Array, pl.Struct))]
    frame = frame.with_columns(  # {"c": value} encoded by Polars, then the value alone
        pl.struct(c)
        .struct.json_encode()
        .str.strip_prefix(json.dumps({c: 0}, separators=(",", ":"))[:-2])
        .str.strip_suffix("}")
        .alias(c)
        for c in nested
    )
    return frame.write_csv()


def _check_metric_arguments(function: Callable[..., pl.DataFrame], arguments: dict[str, Any]) -> None:
    """Run the metric on empty tables: a wrong --by or date is a command-line mistake, found before loading."""
    empty = {name: pl.DataFrame(schema=cm.table_schema(name)) for name in cm.TABLES}
    try:
        function(empty, **arguments)
    except (cm.CopilotMetricsError, TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, cm.CopilotMetricsError) else str(exc)
        hint = exc.hint if isinstance(exc, cm.CopilotMetricsError) else None
        raise click.UsageError(f"{message} ({hint})" if hint else message) from None


@group.command()
@click.argument("name", type=click.Choice(list(METRICS)), metavar="NAME")
@_input_options
@_load_options
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="COLUMN[,COLUMN]",
    help="Group by these dimensions or scope columns (repeat, or separate with commas); default: the "
    "metric's own (acceptance: language, chat: editor, dotcom-chat: model, pull-requests: "
    "repository). A scope column alone (--by org) gives one row per scope.",
)
@click.option("--every", type=_EVERY, default=None, help="One row per period (default: the whole range).")
@click.option("--start", type=_DATE, default=None, metavar="YYYY-MM-DD", help="First day (YYYY-MM-DD, inclusive).")
@click.option("--end", type=_DATE, default=None, metavar="YYYY-MM-DD", help="Last day (YYYY-MM-DD, inclusive).")
@click.option("--weekdays-only", is_flag=True, help="Monday to Friday only (weekends are not counted missing).")
@click.option(
    "--seats",
    type=_Seats(),
    default=None,
    help="adoption: licensed seats, a number or a CSV file (seats, and optionally date and "
    "enterprise/org/team); adds seat_days and activation_rate.",
)
@click.option("--normalize-languages", is_flag=True, help="acceptance: merge language aliases (c#, csharp, ...).")
@click.option("--exclude-findings", is_flag=True, help="acceptance: leave out rows a data-quality finding flags.")
@click.option(
    "--min-suggestions", type=click.IntRange(min=0), default=None, help="acceptance: hide rows with fewer suggestions."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table: for people (fits the terminal); csv and json: exact values for programs.",
)
@click.option(
    "--columns", default=None, metavar="COLUMN[,COLUMN]", help="Print these columns only, in this order (default: all)."
)
@_debug_option
@_reports_errors
def metrics(
    name: str,
    paths: tuple[str, ...],
    org: str | None,
    team: str | None,
    enterprise: str | None,
    *,
    quarantine: bool,
    workers: int | None,
    by: tuple[str, ...],
    every: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    weekdays_only: bool,
    seats: float | Path | None,
    normalize_languages: bool,
    exclude_findings: bool,
    min_suggestions: int | None,
    fmt: str,
    columns: str | None,
) -> int:
    """Print a metric frame: adoption, acceptance, chat, dotcom-chat, pull-requests or coverage.

    The same numbers as cm.adoption(...), cm.acceptance(...), ... and cm.coverage(...), as a table
    for people, or as CSV or JSON for a shell pipeline or a cron job (exact values, ISO dates,
    nulls as empty cells or null). Coverage takes --start and --end only (the days in that range).
    """
    groups = _split_by(by)
    options = {
        "--seats": seats is not None and name != "adoption",
        "--normalize-languages": normalize_languages and name != "acceptance",
        "--exclude-findings": exclude_findings and name != "acceptance",
        "--min-suggestions": min_suggestions is not None and name != "acceptance",
        "--every": every is not None and name == "coverage",
        "--by": bool(groups) and name == "coverage",
        "--weekdays-only": weekdays_only and name == "coverage",
    }
    wrong = [option for option, used in options.items() if used]
    if wrong:
        raise click.UsageError(f"{', '.join(wrong)}: not an option of `metrics {name}`")
    first, last = _day(start), _day(end)
    seat_numbers = _seats(seats)
    function: Callable[..., pl.DataFrame] = getattr(cm, METRICS[name])
    arguments: dict[str, Any] = {}
    if name != "coverage":
        arguments = {"every": every, "start": first, "end": last, "weekdays_only": weekdays_only}
        if groups:
            arguments["by"] = groups
        if name == "adoption":
            arguments["seats"] = seat_numbers
        if name == "acceptance":
            arguments.update(
                normalize_languages=normalize_languages,
                exclude_findings=exclude_findings,
                min_suggestions=min_suggestions,
            )
        _check_metric_arguments(function, arguments)
    ds = _load(
        paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine, "workers": workers}
    )
    if name == "coverage":
        days = ds.days.filter(pl.col("date").is_between(first or dt.date.min, last or dt.date.max))
        frame = cm.coverage(days) if fmt != "table" else _coverage_frame(days)
    else:
        frame = function(ds, **arguments)
    if columns is not None:
        chosen = _split_by((columns,))
        unknown = [c for c in chosen if c not in frame.columns]
        if unknown:
            raise click.BadParameter(
                f"{', '.join(unknown)}: not a column of {name} (its columns: {', '.join(frame.columns)})",
                param_hint="--columns",
            )
        frame = frame.select(chosen)
    if fmt == "csv":
        _say_loaded(ds, err=True)
        click.echo(_machine_csv(frame), nl=False)
        return 0
    if fmt == "json":
        _say_loaded(ds, err=True)
        click.echo(frame.write_json())
        return 0
    if not paths:
        _say(EXAMPLE_NOTE)
    _say_loaded(ds)
    described = [
        f"by {', '.join(groups)}" if groups else "",
        f"every {every}" if every else "",
        f"from {first}" if first else "",
        f"to {last}" if last else "",
        "weekdays only" if weekdays_only else "",
    ]
    title = " ".join([name, *(d for d in described if d)]) + f" ({frame.height} row(s))"
    if frame.width == 0:
        _say(title)
        return 0
    _print_table(
        frame,
        title,
        COVERAGE_HEADERS if name == "coverage" else None,
        keys=tuple(c for c in (*_DIMENSIONS, *groups) if c in frame.columns),
    )
    return 0


@group.command()
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the archive into.",
)
@click.option("--force", is_flag=True, help="Write into a folder that is not empty (same files are replaced).")
@_debug_option
@_reports_errors
def example(output: Path, *, force: bool) -> int:
    """Write the example archive shipped with the package (an org and one of its teams).

    22 gzip-compressed 28-day exports saved every 14 days from 2025-01-20 to 2025-06-09, with
    one late correction per scope and one missing day, and copilot-metrics-layout.json, which
    gives them their scope labels: `copilot-metrics report DIR` shows the org and its team.
    """
    from copilot_metrics._layout import LAYOUT_FILE, write_layout

    if output.exists() and any(output.iterdir()) and not force:
        raise cm.CopilotMetricsError(
            f"{output}: the folder is not empty", file=str(output), hint="choose another folder, or add --force"
        )
    source = cm.examples.path()
    shutil.copytree(source, output, dirs_exist_ok=True)
    write_layout(
        output,
        writer="copilot-metrics example",
        templates=[Path(t).relative_to(source).as_posix() for t in cm.examples.sources()],
    )
    files = [p for p in source.rglob("*") if p.is_file()]
    _out(f"wrote {len(files)} file(s) to {output}, and {LAYOUT_FILE}, which labels their scopes")
    _out(f"try: copilot-metrics report {output}")
    return 0
