"""The commands of ``copilot-metrics`` (click + rich); :mod:`copilot_metrics.cli` is the entry point.

Every command that reads exports takes the same inputs as :func:`copilot_metrics.load`: paths,
folders, globs and path templates, scope labels by option, ``--quarantine``. Errors about the
input are printed on one line (``error: ...``) with exit code 1; ``--debug`` raises them instead,
traceback included. A progress bar is drawn on standard error while many files load, and only
when standard error is a terminal.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import polars as pl

import copilot_metrics as cm
from copilot_metrics import report as _report

F = TypeVar("F", bound=Callable[..., Any])

#: Loads of at least this many files show a progress bar (on a terminal).
PROGRESS_MIN_FILES = 10
_SCOPE_COLUMNS = ("enterprise", "org", "team")
_VALIDATE_HINT = "run `copilot-metrics validate` on the same paths to list every error, or add --quarantine " \
                 "to load the valid days and set the others aside"


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # a file or a pipe: tables at their natural width, never folded to 80
        console = Console(stderr=stderr, highlight=False, width=240)
    return console


def _out(text: str) -> None:
    click.echo(text)


def _err(text: str) -> None:
    click.echo(text, err=True)


def _table(frame: pl.DataFrame, title: str, headers: dict[str, str] | None = None) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for column in frame.columns:
        numeric = frame.schema[column].is_numeric()
        table.add_column((headers or {}).get(column, column), justify="right" if numeric else "left",
                         overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*(_report.format_value(v, c) for v, c in zip(row, frame.columns, strict=True)))
    return table


def _print_table(frame: pl.DataFrame, title: str, headers: dict[str, str] | None = None) -> None:
    _console().print(_table(frame, title, headers))


#: Short headers of the terminal summary (the HTML report and --json keep the column names).
SUMMARY_HEADERS = {
    "scope": "scope",
    "days_with_data": "days",
    "days_missing": "missing",
    "active_users_mean": "active mean",
    "active_users_peak": "active peak",
    "engaged_users_mean": "engaged mean",
    "engaged_users_peak": "engaged peak",
    "engagement_rate": "engagement",
    "acceptance_rate": "acceptance",
    "line_acceptance_rate": "line acceptance",
    "chat_acceptance_rate": "chat acceptance",
    "total_pr_summaries_created": "PR summaries",
}


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

    return click.option("--debug", is_flag=True, expose_value=False, callback=remember,
                        help="Show the full traceback of an error.")(f)


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

_on_open: Callable[[str], None] | None = None
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or _on_open is None or not args:
        return
    try:
        name = args[0]
        if isinstance(name, (str, bytes, os.PathLike)):
            _on_open(os.path.abspath(os.fsdecode(name)))  # noqa: PTH100 - no file system access here
    except Exception:  # an audit hook must never raise
        return


def expected_files(sources: Sequence[str]) -> set[str]:
    """The files ``cm.load`` will open for these sources (resolved as it resolves them): to size the progress bar."""
    from copilot_metrics.sources import resolve

    try:
        refs = resolve(list(sources), {})
    except cm.CopilotMetricsError:  # cm.load reports it, with its message
        return set()
    return {os.path.abspath(ref.path) for ref in refs if ref.path is not None and not ref.skipped}  # noqa: PTH100


@contextmanager
def _progress(sources: Sequence[str], what: str) -> Iterator[None]:
    """A progress bar over the files read in this process, on a terminal, for many files.

    ``cm.load`` has no progress callback; the files it opens are seen through an audit hook
    (``sys.addaudithook``) on the ``open`` event. Files read by worker processes (parallel loads
    of large archives) are not seen: the bar then completes at the end.
    """
    global _on_open, _hooked  # noqa: PLW0603 - one hook per process, switched on and off here
    console = _console(stderr=True)
    files = expected_files(sources) if console.is_terminal else set()
    if len(files) < PROGRESS_MIN_FILES:
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    seen: set[str] = set()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"{what} {len(files)} files", total=len(files))

        def opened(path: str) -> None:
            if path in files and path not in seen:
                seen.add(path)
                bar.advance(task)
                if len(seen) == len(files):
                    bar.update(task, description="merging and checking")

        if not _hooked:
            sys.addaudithook(_audit)
            _hooked = True
        _on_open = opened
        try:
            yield
        finally:
            _on_open = None
            bar.update(task, completed=len(files))


#: Printed first on standard output, and put before the report's title, when no PATH was given.
EXAMPLE_NOTE = "EXAMPLE DATA: no PATH was given, so this is the synthetic example archive shipped with copilot-metrics"


def _sources(paths: Sequence[str]) -> list[str]:
    if paths:
        return list(paths)
    _err(f"no PATH given: using the example archive shipped with the package ({cm.examples.path()}), "
         "synthetic data, not yours")
    return cm.examples.sources()


def _no_empty_path(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """An empty PATH (``"$UNSET"``) would read the current folder: refuse it."""
    if any(not path for path in value):
        raise click.BadParameter("a PATH is empty (an unset shell variable?): name a file, a folder, a glob "
                                 "or a path template")
    return value


def _scope(org: str | None, team: str | None, enterprise: str | None) -> dict[str, str | None]:
    return {"org": org, "team": team, "enterprise": enterprise}


def _load(paths: Sequence[str], options: dict[str, Any]) -> cm.Dataset:
    sources = _sources(paths)
    with _progress(sources, "reading"):
        return cm.load(
            sources,
            on_invalid="quarantine" if options["quarantine"] else "raise",
            workers=options["workers"],
            org=options["org"],
            team=options["team"],
            enterprise=options["enterprise"],
        )


def loaded_files(ds: cm.Dataset) -> int:
    """Files loaded: a file whose every day was set aside has the status ``not loaded: ...``."""
    return ds.sources.filter(pl.col("status").str.starts_with("loaded")).height


def load_line(ds: cm.Dataset) -> str:
    """What was loaded, on one line (the first line of ``report`` and ``convert``)."""
    return (f"{loaded_files(ds)} of {ds.sources.height} file(s) loaded, {ds.days.height} scope-day(s), "
            f"{ds.conflicts.height} conflicting value(s) between exports, {ds.quarantine.height} day(s) "
            f"quarantined, {ds.findings.height} finding(s)")


def _require_days(ds: cm.Dataset, what: str) -> None:
    if ds.days.is_empty():
        raise cm.CopilotMetricsError(f"no valid day was loaded: nothing to {what}",
                                     hint="`copilot-metrics validate` lists what is wrong with the files")


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
        click.option("--quarantine", is_flag=True,
                     help="Load every valid day and set invalid days aside, instead of failing."),
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Processes reading files (default: all cores above 192 MiB, else 1)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


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
@click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True,
              help="Errors printed at most (0: all); --json prints all.")
@_debug_option
@_reports_errors
def validate(paths: tuple[str, ...], org: str | None, team: str | None, enterprise: str | None, *,
             as_json: bool, limit: int) -> int:
    """Check every day of every file against the published schema.

    Prints each error with its file and JSON path. Exit code 0 when every day is valid, 1 when
    not.
    """
    if not paths:
        raise click.UsageError("give at least one PATH to validate")
    sources = list(paths)
    with _progress(sources, "checking"):
        result = cm.validate(sources, **_scope(org, team, enterprise))
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
    for (source,), rows in shown.group_by("source", maintain_order=True):
        total = result.errors.filter(pl.col("source") == source).height
        _out(f"{source}: {total} error(s)")
        for row in rows.iter_rows(named=True):
            _out(f"  {row['json_path']}: {row['message']} [{row['rule']}]")
    if shown.height < result.errors.height:
        _out(f"... and {result.errors.height - shown.height} more error(s) (--limit 0 or --json shows all)")
    summary = (f"{result.days_valid} of {result.days_checked} day(s) valid, {result.errors.height} error(s), "
               f"{result.unknown_fields.height} unknown field(s) kept")
    _out(summary if not result.ok else f"valid: {summary}")
    return 0 if result.ok else 1


@group.command()
@_input_options
@_load_options
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write.")
@click.option("--csv", "as_csv", is_flag=True, help="Write one CSV file per table instead of Parquet.")
@click.option("--json", "as_json", is_flag=True, help="Write the merged history in the API's JSON, one file per scope.")
@click.option("--merge", is_flag=True, help="Merge into the Parquet dataset already in the folder (same precedence "
              "as loading everything at once) instead of replacing it.")
@_debug_option
@_reports_errors
def convert(paths: tuple[str, ...], org: str | None, team: str | None, enterprise: str | None, *,
            quarantine: bool, workers: int | None, output: Path, as_csv: bool, as_json: bool, merge: bool) -> int:
    """Load and merge the exports, and write them as a Parquet dataset (or CSV, or JSON).

    The Parquet dataset is read back with cm.read_parquet(DIR), DuckDB, Spark or Polars.
    """
    if as_csv and as_json:
        raise click.UsageError("--csv and --json are exclusive: choose one format")
    if merge and (as_csv or as_json):
        raise click.UsageError("--merge only applies to the Parquet dataset")
    ds = _load(paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine,
                       "workers": workers})
    if not paths:
        _out(EXAMPLE_NOTE)
    _out(load_line(ds))
    _require_days(ds, "convert")
    if as_csv:
        written = cm.write_csv(ds, output)
        _out(f"wrote {len(written)} CSV file(s) to {output}")
    elif as_json:
        written = cm.write_json(ds, output)
        _out(f"wrote {len(written)} JSON file(s) to {output}, one per scope")
    else:
        root = cm.write_parquet(ds, output, mode="merge" if merge else "overwrite")
        _out(f"wrote the Parquet dataset to {root} ({'merged' if merge else 'replaced'}); "
             f"read it with cm.read_parquet({str(root)!r})")
    return 0


@group.command(name="report")
@_input_options
@_load_options
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("copilot-metrics-report.html"), show_default=True, help="HTML file to write.")
@click.option("--every", type=click.Choice(["1d", "1w", "1mo", "1q"]), default="1w", show_default=True,
              help="Period of the trend charts.")
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True,
              help="Languages in the acceptance chart and table.")
@click.option("--title", default=_report.DEFAULT_TITLE, show_default=True, help="Title of the HTML report.")
@_debug_option
@_reports_errors
def report_command(paths: tuple[str, ...], org: str | None, team: str | None, enterprise: str | None, *,
                   quarantine: bool, workers: int | None, output: Path, every: str, top: int, title: str) -> int:
    """Print the adoption and acceptance summary, and write a self-contained HTML report.

    The report (summary numbers, charts, coverage, findings, conflicts, files) opens offline:
    the charts are inline SVG and nothing is loaded from the network.
    """
    ds = _load(paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine,
                       "workers": workers})
    if not paths:
        _out(EXAMPLE_NOTE)
        title = f"{EXAMPLE_NOTE.partition(':')[0]} (synthetic, shipped with copilot-metrics): {title}"
    _out(load_line(ds))
    _require_days(ds, "report")
    summary = _report.summary(ds).with_columns(
        pl.concat_str([pl.col(c) for c in _SCOPE_COLUMNS], separator="/", ignore_nulls=True).alias("scope")
    )
    _print_table(summary.select(c for c in SUMMARY_HEADERS if c in summary.columns),
                 "Adoption and acceptance over the whole range (users: daily mean and peak, never sums; "
                 "rates: ratios of sums)", SUMMARY_HEADERS)
    _print_coverage(ds)
    by_language = cm.acceptance(ds, by=(*_SCOPE_COLUMNS, "language"))
    for scope in _report.scopes(ds):
        rows = by_language.filter(pl.all_horizontal(
            pl.col(k).eq_missing(pl.lit(scope[k], dtype=pl.String)) for k in _SCOPE_COLUMNS))
        top_rows = rows.sort("total_code_suggestions", descending=True, nulls_last=True).head(top)
        _print_table(top_rows.select(c for c in (
            "language", "total_code_suggestions", "total_code_acceptances", "acceptance_rate",
            "line_acceptance_rate", "engaged_users_mean", "engaged_users_peak") if c in rows.columns),
            f"Completion acceptance by language, {_report.scope_name(scope)} (top {top} by suggestions)")
    written = _report.write(ds, output, every=every, top=top, title=title)
    _out(f"report written to {written.resolve()}")
    return 0


def _coverage_frame(ds: cm.Dataset) -> pl.DataFrame:
    coverage = cm.coverage(ds)
    if "missing_ranges" not in coverage.columns:
        return coverage
    element = pl.element()
    start = element.struct.field("start").dt.strftime("%Y-%m-%d")
    end = element.struct.field("end").dt.strftime("%Y-%m-%d")
    return coverage.with_columns(
        pl.col("missing_ranges").list.eval(
            pl.when(start == end).then(start).otherwise(pl.concat_str(start, pl.lit(" to "), end))
        ).list.join(", ").alias("missing_ranges")
    )


def _print_coverage(ds: cm.Dataset) -> None:
    _print_table(_coverage_frame(ds), "Coverage per scope (missing days are gaps, never zeros)")


@group.command()
@_input_options
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON, one object per scope.")
@_debug_option
@_reports_errors
def coverage(paths: tuple[str, ...], org: str | None, team: str | None, enterprise: str | None, *,
             quarantine: bool, workers: int | None, as_json: bool) -> int:
    """Days present and missing per scope, from its first to its last date."""
    ds = _load(paths, {"org": org, "team": team, "enterprise": enterprise, "quarantine": quarantine,
                       "workers": workers})
    if as_json:
        _out(json.dumps(cm.coverage(ds).to_dicts(), indent=2, default=str))
        return 0
    if not paths:
        _out(EXAMPLE_NOTE)
    _out(load_line(ds))
    _print_coverage(ds)
    return 0


@group.command()
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the archive into.")
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
        raise cm.CopilotMetricsError(f"{output}: the folder is not empty", file=str(output),
                                     hint="choose another folder, or add --force")
    source = cm.examples.path()
    shutil.copytree(source, output, dirs_exist_ok=True)
    write_layout(output, writer="copilot-metrics example",
                 templates=[Path(t).relative_to(source).as_posix() for t in cm.examples.sources()])
    files = [p for p in source.rglob("*") if p.is_file()]
    _out(f"wrote {len(files)} file(s) to {output}, and {LAYOUT_FILE}, which labels their scopes")
    _out(f"try: copilot-metrics report {output}")
    return 0
