"""The package's layout: one stage per module, imports only downwards, no import circles.

The layers, from the bottom: what a module may import is in its own layer or below.  Imports
made only for type checking (``if TYPE_CHECKING:``) do not count: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import copilot_metrics as cm

ROOT = Path(cm.__file__).parent

LAYERS: list[set[str]] = [
    {"_version", "errors", "_schema", "examples", "_keys"},  # no import of the package
    {"tables", "sidetables", "breaks"},  # every table and side table, and the known breaks, declared once
    {"successor.registry", "successor._tree"},  # the successor reports' tables, declared once
    {"export._arrow", "export._atomic"},  # Polars -> Arrow types; the writers' folder transaction
    {"_layout", "sources", "decode", "validation", "rebuild", "_scan"},  # inputs -> days -> verdicts; tables -> days
    {"export._files", "export._labels"},  # a Parquet dataset's files; labels <-> folder names
    {"explode", "dataset"},  # days -> tables; the container
    {"_pseudonyms"},  # keyed pseudonyms and redaction over a dataset: below the pipeline, which applies them
    # the findings' rules, declared once (the successor reader's too); the findings of the merged successor
    # tables (below the merges that recompute them and usage, which reads their evidence and users windows)
    {"findings", "successor.findings"},
    {"successor.read", "successor.rebuild"},  # successor report files -> tables -> records
    {"export._legacy", "export.csv"},  # the reader of formats 1 and 2; write_csv
    # merge: precedence, versions (winners, counts), conflicts, repeated dates, the incremental merge
    # merge.reports: the successor reports merged (shards unioned, the later report wins each day), which
    # the incremental merge runs too
    {
        "contracts",
        "merge",
        "merge.precedence",
        "merge.versions",
        "merge.conflicts",
        "merge.repeats",
        "merge.incremental",
        "merge.reports",
    },  # contracts: the pandera models, declarations only
    {"successor"},  # the successor reports' read side (its contracts come from contracts.model_for)
    {"quarantine"},  # raise or set aside: the policy over the contracts' and the reader's failures
    {"successor.load"},  # the batch step's hook for report files, and the load options applied after
    {"_pool", "_worker", "batch", "export.parquet"},  # the batch step every engine runs, and its processes
    {"pipeline"},  # load and validate: the only module that knows every stage
    # metrics: the selection, the column kinds and "missing is never zero" under each metric
    {
        "metrics",
        "metrics._selection",
        "metrics.columns",
        "metrics._reported",
        "metrics.adoption",
        "metrics.features",
        "metrics.coverage",
        "metrics.successor_coverage",
        "metrics.trend",
        "metrics.rollup",
        "export",
        "export.json",
        "testing",
    },
    # usage: metrics over the successor tables (user windows, k-suppression, pseudonyms)
    {
        "usage",
        "usage._frames",
        "usage.active",
        "usage.completion",
        "usage.adoption",
        "usage.privacy",
        "usage._periods",
        "usage.chat",
        "usage.clients",
        "usage.pulls",
        "usage.teams",
        "usage.reported",
        "usage.continuity",
    },
    # what every front end says about a dataset, both families (summary reads the usage metrics)
    {"summary", "_terminal"},  # _terminal: tables that fit a terminal
    # the facade (import copilot_metrics) and what imports it: the charts, the report, the front ends
    {"__init__", "plot", "report", "_cli_commands", "cli", "__main__", "spark"},
]

#: Modules of an optional part that may be absent from a checkout.
OPTIONAL = {"spark"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def runtime_imports(path: Path, known: set[str]) -> set[str]:
    """Package modules imported by ``path`` at run time (module level or inside functions)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("copilot_metrics"):
            base = node.module.removeprefix("copilot_metrics").lstrip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                # a name of the facade (from copilot_metrics import load) is an import of the facade
                found.add(candidate if candidate in known else base or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "copilot_metrics":  # import copilot_metrics (as cm): the facade, so everything
                    found.add("__init__")
                elif alias.name.startswith("copilot_metrics."):
                    found.add(alias.name.removeprefix("copilot_metrics."))
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: runtime_imports(path, set(paths)) - {name} for name, path in paths.items()}


def test_every_module_has_a_layer() -> None:
    placed, present = set().union(*LAYERS), set(graph())
    assert present - placed == set()
    assert placed - present <= OPTIONAL


def test_imports_only_go_down_the_layers() -> None:
    layer = {name: i for i, names in enumerate(LAYERS) for name in names}
    upward = sorted((name, dep) for name, deps in graph().items() for dep in deps if layer[dep] > layer[name])
    assert upward == []


def test_no_import_circles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(edges[name]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [name, dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_checker_sees_runtime_imports_and_ignores_type_checking_ones(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "from copilot_metrics.tables import TABLES\n"
        "from copilot_metrics import merge as m, export\n"
        "if TYPE_CHECKING:\n"
        "    from copilot_metrics.pipeline import load\n"
        "def f():\n"
        "    from copilot_metrics.export.parquet import read_parquet\n"
        "    import copilot_metrics.metrics\n"
    )
    known = {"tables", "merge", "export", "export.parquet", "pipeline", "metrics"}
    assert runtime_imports(probe, known) == {"tables", "merge", "export", "export.parquet", "metrics"}
