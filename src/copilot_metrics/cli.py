"""The ``copilot-metrics`` command: entry point, dependency check, exit codes.

``copilot-metrics`` (installed with ``pip install "copilot-metrics[cli]"``) has six commands::

    copilot-metrics validate PATH...            errors grouped by file, each with its JSON path (--json)
    copilot-metrics convert PATH... -o DIR      archive -> Parquet dataset (--csv, --json: other formats)
    copilot-metrics report [PATH...] [-o FILE]  summary in the terminal, and a self-contained HTML report
    copilot-metrics metrics NAME [PATH...]      a metric frame as a table, CSV or JSON (--format)
    copilot-metrics coverage [PATH...]          days present and gaps per scope
    copilot-metrics example -o DIR              write the example archive shipped with the package

``metrics NAME`` (``adoption``, ``acceptance``, ``chat``, ``dotcom-chat``, ``pull-requests``,
``coverage``) takes the options of the library's functions: ``--by``, ``--every``, ``--start``,
``--end``, ``--weekdays-only``, ``--seats N`` or ``--seats FILE.csv`` (adoption; ``report`` takes
it too), and, for acceptance, ``--normalize-languages``, ``--exclude-findings`` and
``--min-suggestions``. Its CSV and JSON hold exact values (ISO dates, shortest round-trip
floats, nulls as empty cells or ``null``) and nothing else on standard output; the table, like
every summary, fits the terminal (``COLUMNS``), never breaking a word. ``convert`` refuses a
folder it must not replace before it reads anything. A load that could not read every file
names the files not loaded and why.

A PATH is a file, a folder, a glob or a path template such as ``'exports/{org}/{team}/*.json'``
(quote it, so the shell leaves it alone); ``--org``, ``--team`` and ``--enterprise`` label every
input instead. A folder the library wrote (``example -o``, ``convert --json``, a Parquet dataset)
loads with its scope labels; unlabelled folders whose data cannot be one scope (two orgs, an org
and its team) are refused. Without a PATH, ``report``, ``coverage`` and ``convert`` read the
example archive and say so first ("EXAMPLE DATA: ..."), in the report's title too; an empty
PATH (an unset shell variable in quotes) is a command-line mistake.

Exit codes: 0 success (for ``validate``: every day is valid); 1 invalid data or an error, reported
on one line of standard error (``--debug`` shows the traceback); 2 a mistake on the command line.

This module stays importable without the extra: :func:`main` checks for click and rich first
and, when they are missing, says how to install them. The commands themselves live in
``copilot_metrics._cli_commands``; :func:`app` returns them (for ``click.testing.CliRunner``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click

__all__ = ["EXTRA_HINT", "app", "main"]

#: The one-line message printed when the command line's dependencies are missing.
EXTRA_HINT = 'pip install "copilot-metrics[cli]"'
_NEEDS = ("click", "rich", "altair", "vl_convert")


def _missing() -> str | None:
    import importlib.util

    for name in _NEEDS:
        if importlib.util.find_spec(name) is None:
            return name
    return None


def app() -> click.Group:
    """The click group of the ``copilot-metrics`` command (needs the ``cli`` extra)."""
    from copilot_metrics._cli_commands import group

    return group


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``copilot-metrics`` with `argv` (default: the process arguments); return the exit code.

    This is the console script's entry point: it never raises for bad input or a bad command
    line, it returns 1 or 2 after a one-line message on standard error.
    """
    missing = _missing()
    if missing is not None:
        print(
            f"error: the copilot-metrics command needs {missing.replace('_', '-')}, "
            f"which is not installed: {EXTRA_HINT}",
            file=sys.stderr,
        )
        return 1
    import click

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app().main(args=args, prog_name="copilot-metrics", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
