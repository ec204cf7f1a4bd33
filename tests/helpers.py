"""Small helpers shared by the tests (imported as ``helpers``; pytest puts ``tests/`` on the path)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl

import copilot_metrics as cm


def load(days: list[dict[str, Any]]) -> cm.Dataset:
    """Load days written as JSON in memory, labelled as org ``acme``."""
    return cm.load(json.dumps(days).encode(), org="acme")


def one(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    """The single row of ``frame`` matching ``where`` (column == value), as a dict."""
    selected = frame.filter(*(pl.col(k) == v for k, v in where.items())) if where else frame
    assert selected.height == 1, selected
    return selected.row(0, named=True)


def totals_day(date: str, users: int) -> dict[str, Any]:
    """A day holding only its totals: ``users`` active and engaged."""
    return {"date": date, "total_active_users": users, "total_engaged_users": users}


def completions_day(date: str, users: int, languages: tuple[str, ...]) -> dict[str, Any]:
    """A day of ``users`` active and engaged completion users, one vscode model, and per language 1 user,
    10 suggestions, 3 acceptances, 20 lines suggested and 5 accepted."""
    counts = {
        "total_engaged_users": 1,
        "total_code_suggestions": 10,
        "total_code_acceptances": 3,
        "total_code_lines_suggested": 20,
        "total_code_lines_accepted": 5,
    }
    model = {
        "name": "default",
        "is_custom_model": False,
        "custom_model_training_date": None,
        "total_engaged_users": users,
        "languages": [{"name": n, **counts} for n in languages],
    }
    return {
        "date": date,
        "total_active_users": users,
        "total_engaged_users": users,
        "copilot_ide_code_completions": {
            "total_engaged_users": users,
            "languages": [{"name": n, "total_engaged_users": 1} for n in languages],
            "editors": [{"name": "vscode", "total_engaged_users": users, "models": [model]}],
        },
    }


def write_export(path: Path | bytes, *days: dict[str, Any], mtime: int | None = None) -> None:
    """Write an export of ``days`` at ``path`` (bytes: a name that is not UTF-8), creating its folders.

    With ``mtime``, the file's modification time is set to that whole second.
    """
    if isinstance(path, bytes):
        os.makedirs(os.path.dirname(path), exist_ok=True)  # noqa: PTH103, PTH120 - bytes paths
        with open(path, "wb") as f:  # noqa: PTH123 - bytes paths
            f.write(json.dumps(list(days)).encode())
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(list(days)), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def java() -> str | None:
    """The java that pyspark starts: $JAVA_HOME/bin/java, else the first on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def skip_without_java() -> None:
    """Skip the calling test module, saying why, where no Java is installed (Spark needs Java 17 or later)."""
    import pytest

    if java() is None:
        pytest.skip(
            "Spark needs Java 17 or later (apt-get install openjdk-17-jre-headless, or set JAVA_HOME); "
            "the Spark tests are skipped",
            allow_module_level=True,
        )


def drawn_on_a_terminal(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str, int]:
    """Run ``command`` with standard error on a pseudo-terminal: what it drew there, its stdout, its exit code."""
    import pty
    import subprocess

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=terminal, text=True)
        os.close(terminal)
        terminal = -1
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout, _ = process.communicate(timeout=300)
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    return b"".join(chunks).decode("utf-8", "replace"), stdout, process.returncode
