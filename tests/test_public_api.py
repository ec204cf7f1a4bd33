"""The public surface: every exported name resolves, the import stays light, docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys

import pytest

import copilot_metrics as cm

MODULES = sorted({"copilot_metrics"} | {m.name for m in pkgutil.walk_packages(cm.__path__, "copilot_metrics.")})

#: Modules whose docstring examples are known to be wrong; strict xfail, so fixing them fails
#: this list until the entry is removed.
KNOWN_BAD_DOCTESTS: dict[str, str] = {}


def test_every_name_in_all_resolves() -> None:
    assert len(cm.__all__) == len(set(cm.__all__))
    for name in cm.__all__:
        assert getattr(cm, name) is not None, name


def test_issue_3_public_names_are_exported() -> None:
    for name in (
        "load",
        "Dataset",
        "to_api",
        "explode_bytes",
        "contracts",
        "ContractError",
        "FINDING_RULES",
        "TABLES",
        "table_schema",
    ):
        assert name in cm.__all__, name
    assert set(cm.contracts.MODELS) == set(cm.TABLES)


def test_import_does_not_load_optional_heavy_modules() -> None:
    code = (
        "import sys, copilot_metrics\n"
        "print(','.join(m for m in ('jsonschema_rs', 'duckdb', 'pandera') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def _doctest_params() -> list[object]:
    params: list[object] = []
    for name in MODULES:
        marks = []
        if name in KNOWN_BAD_DOCTESTS:
            marks.append(pytest.mark.xfail(reason=KNOWN_BAD_DOCTESTS[name], strict=True))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("module_name", _doctest_params())
def test_docstring_examples_run(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"


def test_one_version_number() -> None:
    # the package metadata reads __version__ (pyproject's tool.hatch.version): one number, one place
    import importlib.metadata
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert importlib.metadata.version("copilot-metrics") == cm.__version__
