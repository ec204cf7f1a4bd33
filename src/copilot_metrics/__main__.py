"""``python -m copilot_metrics [SOURCE ...]``: load exports and print the adoption summary.

Without a source it runs on the example archive shipped with the package.  It prints what was
loaded (files, days, scopes, gaps, conflicts, quarantined days, findings), the adoption summary
per scope, and the completion acceptance per language; when GitHub's successor usage-metrics
reports are loaded, their headline per scope first (active users, code completion acceptance,
agent adoption, each saying what it stands on).  It needs only the core install.  The
tables fit the terminal (or ``COLUMNS``): short headers, no word broken, and a table too wide is
split into parts that repeat the scope (:mod:`copilot_metrics._terminal`).

The full command line is ``copilot-metrics`` (``pip install "copilot-metrics[cli]"``, see
:mod:`copilot_metrics.cli`); ``python -m copilot_metrics COMMAND ...`` with one of its commands
(``validate``, ``convert``, ``report``, ``metrics``, ``coverage``, ``example``) runs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

__all__ = ["main"]


def _say(text: str, indent: str = "") -> None:
    """A line wrapped at spaces to the terminal's width (a file or a pipe gets it whole)."""
    from copilot_metrics import _terminal

    width = _terminal.terminal_width()
    print("\n".join(_terminal.wrap(text, width, indent) if width else [text]))


def _print(title: str, frame: pl.DataFrame, headers: dict[str, str] | None = None, keys: Sequence[str] = ()) -> None:
    from copilot_metrics import _terminal

    width = _terminal.terminal_width() or _terminal.PIPE_WIDTH
    print()
    print(_terminal.render(_terminal.plan(title, _terminal.columns_of(frame, headers, keys), width)))


#: Commands of ``copilot-metrics``: ``python -m copilot_metrics report ...`` runs the full command line.
COMMANDS = frozenset({"validate", "convert", "report", "metrics", "coverage", "example"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the summary, or a ``copilot-metrics`` command named first; return the process exit code."""
    import copilot_metrics as cm

    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in COMMANDS and not Path(arguments[0]).exists():
        from copilot_metrics import cli

        return cli.main(arguments)

    parser = argparse.ArgumentParser(prog="python -m copilot_metrics", description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="files, folders, globs or path templates like 'x/{org}/*.json'")
    parser.add_argument("--org", help="org label for every source")
    parser.add_argument("--team", help="team label for every source")
    parser.add_argument("--enterprise", help="enterprise label for every source")
    parser.add_argument("--quarantine", action="store_true", help="set invalid days aside instead of failing")
    parser.add_argument("--top", type=int, default=15, help="languages to show (default 15)")
    args = parser.parse_args(arguments)

    sources: list[str] = args.sources or cm.examples.sources()
    try:
        ds = cm.load(
            sources,
            org=args.org,
            team=args.team,
            enterprise=args.enterprise,
            on_invalid="quarantine" if args.quarantine else "raise",
        )
    except cm.CopilotMetricsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from copilot_metrics import summary
    from copilot_metrics._terminal import COVERAGE_HEADERS, LANGUAGE_HEADERS, SUMMARY_HEADERS

    _say(f"copilot-metrics {cm.__version__}: {summary.load_line(ds)}")
    for line in summary.not_loaded(ds.sources):  # which files, and why
        _say(line, indent="    " if line.startswith("  ") else "")
    for line in summary.successor_lines(ds):  # the usage-metrics reports' headline, when loaded
        _say(line, indent="    " if line.startswith("  ") else "")
    if ds.days.is_empty() and summary.has_reports(ds):
        _print(
            "Coverage (missing days are gaps, not zeros)",
            summary.missing_ranges_text(cm.coverage(ds)),
            COVERAGE_HEADERS,
        )
        return 0
    if ds.days.is_empty():
        if ds.quarantine.height:
            _print("Quarantined days", ds.quarantine.select("source", "date", "reasons").head(20))
        print("error: no valid day was loaded: nothing to summarise", file=sys.stderr)
        return 1
    _print(
        "Coverage (missing days are gaps, not zeros)", summary.missing_ranges_text(cm.coverage(ds)), COVERAGE_HEADERS
    )
    adoption = cm.adoption(ds, by=summary.SCOPE_COLUMNS)
    _print(
        "Adoption over the whole range (user counts are daily means and peaks, never sums)",
        adoption.select(
            *summary.SCOPE_COLUMNS,
            "days_with_data",
            "days_missing",
            "active_users_mean",
            "active_users_peak",
            "engaged_users_mean",
            "engaged_users_peak",
            "engagement_rate",
        ),
        SUMMARY_HEADERS,
    )
    first = summary.scopes(ds)[0]
    scoped = summary.top_languages(cm.acceptance(ds, by=(*summary.SCOPE_COLUMNS, "language")), first, args.top)
    _print(
        f"Completion acceptance per language for {summary.scope_name(first)} (rates are ratios of sums; "
        f"top {args.top} by suggestions)",
        scoped.select(*(c for c in LANGUAGE_HEADERS if c in scoped.columns)),
        LANGUAGE_HEADERS,
        keys=("language",),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
