"""Declared values: every ``detected``, finding ``rule``, ``severity`` and ``shape`` the code writes is declared.

``errors.Detected``, ``findings.Rule``, ``findings.Severity`` and ``tables.Shape`` are ``Literal``
aliases. mypy checks the typed call sites; these tests scan the source (AST) for the places that
write such a value as a plain string, and check both ways: each value written is declared, and
each declared value is written somewhere (no dead value in the declaration).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import copilot_metrics as cm
from copilot_metrics.errors import Detected
from copilot_metrics.findings import CONTRACT_RULES, RULES, TABLE_RULES, Rule, Severity
from copilot_metrics.tables import Shape

ROOT = Path(cm.__file__).parent


def _trees(root: Path = ROOT) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield str(path.relative_to(root)), ast.parse(path.read_text())


def _strings(node: ast.AST | None) -> set[str] | None:
    """The strings an expression can be: a constant, or either branch of ``a if c else b``; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _annotation_index(annotation: ast.expr, alias: str) -> int | None:
    """Where ``alias`` sits in the innermost tuple of ``tuple[tuple[bytes, Detected, str], ...]`` (or ``X | None``)."""
    text = ast.unparse(annotation)
    inner = re.findall(r"tuple\[([^\[\]]*)\]", text)
    for group in inner:
        parts = [p.strip() for p in group.split(",")]
        if alias in parts:
            return parts.index(alias)
    return None


def _tuple_items(node: ast.AST, index: int) -> Iterator[ast.expr]:
    """Item ``index`` of every innermost tuple literal under ``node``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Tuple) and not any(isinstance(e, ast.Tuple) for e in sub.elts) and len(sub.elts) > index:
            yield sub.elts[index]


def detected_values(root: Path = ROOT) -> tuple[set[str], set[str]]:
    """(values written, values compared with) of ``detected`` in the source under ``root``.

    Written: ``FormatError(..., detected=X)``, ``FormatError.looks_like(file, X, ...)``, any package
    function's argument ``detected`` (``_refuse(label, X, ...)``),
    ``getattr(error, "detected", X)``, and the ``Detected`` items of tuples whose annotation (an
    assignment's, or a function's return) names ``Detected``. Compared: ``x.detected == X`` / ``!= X``.
    """
    written: set[str] = set()
    compared: set[str] = set()
    trees = list(_trees(root))
    takes_detected = {k: v for k, v in _param_indexes(trees, "detected").items() if k not in {"__init__", "looks_like"}}
    for _, tree in trees:
        for node in ast.walk(tree):
            values: set[str] | None = None
            if isinstance(node, ast.Call) and _name(node.func) in takes_detected:
                values = _strings(_argument(node, takes_detected[_name(node.func)], "detected"))
            elif isinstance(node, ast.Call) and _name(node.func) == "FormatError":
                values = _strings(_argument(node, 99, "detected"))
            elif isinstance(node, ast.Call) and _name(node.func) == "looks_like":
                values = _strings(_argument(node, 1, "detected"))
            elif isinstance(node, ast.Call) and _name(node.func) == "getattr" and len(node.args) == 3:
                if _strings(node.args[1]) == {"detected"}:
                    values = _strings(node.args[2])
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                index = _annotation_index(node.annotation, "Detected")
                if index is not None:
                    values = set().union(*(_strings(e) or set() for e in _tuple_items(node.value, index)))
            elif isinstance(node, ast.FunctionDef) and node.returns is not None:
                index = _annotation_index(node.returns, "Detected")
                if index is not None:
                    returned = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
                    values = set().union(*(_strings(e) or set() for r in returned for e in _tuple_items(r, index)))
            elif (
                isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "detected"
            ):
                compared |= set().union(*(_strings(c) or set() for c in node.comparators))
            if values:
                written |= values
    return written, compared


def _param_indexes(trees: list[tuple[str, ast.Module]], parameter: str) -> dict[str, int]:
    """Functions of the package with a parameter ``parameter``: its position (99 when keyword-only)."""
    found: dict[str, int] = {}
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                if names[:1] == ["self"]:  # a method: called as obj.name(X, ...), X its first argument
                    names = names[1:]
                if parameter in names:
                    found[node.name] = names.index(parameter)
                elif parameter in [a.arg for a in node.args.kwonlyargs]:
                    found[node.name] = 99
    return found


def _finding_select(node: ast.AST) -> set[str] | None:
    """``select(..., pl.lit(X).alias("rule"), ..., <...>.alias("severity"), ...)``: X.

    Only a frame with a ``severity`` is a finding's: other tables have a ``rule`` column too (the
    schema and contract errors of ``ds.validation``).
    """
    if not isinstance(node, ast.Call) or _name(node.func) not in ("select", "with_columns"):
        return None
    if not any("alias('severity')" in ast.unparse(a) for a in node.args):
        return None
    return set().union(*(_lit_alias(a, "rule") or set() for a in node.args))


def _lit_alias(node: ast.AST, column: str) -> set[str] | None:
    """``pl.lit(X).alias(column)``: X."""
    if isinstance(node, ast.Call) and _name(node.func) == "alias" and node.args and _strings(node.args[0]) == {column}:
        inner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(inner, ast.Call) and _name(inner.func) == "lit" and inner.args:
            return _strings(inner.args[0])
    return None


def _row_value(node: ast.AST, column: str) -> set[str] | None:
    """``{"rule": X, "severity": ...}``, a finding row written as a dict: X of ``column``."""
    if isinstance(node, ast.Dict):
        keys = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
        if "rule" in keys and "severity" in keys:
            return _strings(keys[column])
    return None


def rule_values(root: Path = ROOT) -> tuple[set[str], set[str]]:
    """(rules written, rules read) in the source under ``root``.

    Written: ``pl.lit(X).alias("rule")`` beside a severity, a finding row ``{"rule": X, "severity": ...}``, the
    argument ``rule`` of a package function (``_rows(..., X, ...)``, ``finding_columns(rule=X, ...)``), the
    keys of ``ROW_RULES`` (each one's findings made by ``table_findings``), and every ``pl.lit(X)`` of
    an expression assigned to a variable named ``rule``. Read: ``RULES[X]``, and the strings of
    every other ``*RULES`` tuple or dict (``TABLE_RULES``, ``CONTRACT_RULES``, metrics' own).
    """
    trees = list(_trees(root))
    takes_rule = _param_indexes(trees, "rule")
    # an error row's rule is the check that failed (a schema keyword, "type", "depth"), not a finding's rule
    takes_rule.pop("error_row", None)
    written: set[str] = set()
    read: set[str] = set()
    for _, tree in trees:
        for node in ast.walk(tree):
            values = _finding_select(node) or _row_value(node, "rule")
            if isinstance(node, ast.Call) and _name(node.func) in takes_rule:
                values = _strings(_argument(node, takes_rule[_name(node.func)], "rule"))
            if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["rule"]:
                values = set().union(*(_lit_alias_free(sub) for sub in ast.walk(node.value)))
            if values:
                written |= values
            if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("RULES"):
                read |= _strings(node.slice) or set()
            targets = (
                [node.target]
                if isinstance(node, ast.AnnAssign)
                else node.targets
                if isinstance(node, ast.Assign)
                else []
            )
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if any(isinstance(t, ast.Name) and t.id == "ROW_RULES" for t in targets) and isinstance(value, ast.Dict):
                written |= set().union(*(_strings(k) or set() for k in value.keys))
            if any(isinstance(t, ast.Name) and t.id.endswith("RULES") and t.id != "RULES" for t in targets):
                if isinstance(value, ast.Tuple):
                    read |= set().union(*(_strings(e) or set() for e in value.elts))
                elif isinstance(value, ast.Dict):
                    read |= set().union(*(_strings(k) or set() for k in value.keys))
    return written, read


def _lit_alias_free(node: ast.AST) -> set[str]:
    """``pl.lit(X)``: X."""
    if isinstance(node, ast.Call) and _name(node.func) == "lit" and node.args:
        return _strings(node.args[0]) or set()
    return set()


def shape_values(root: Path = ROOT) -> tuple[set[str], set[str]]:
    """(states written, states read) of ``shape`` notes: ``_note(key, X)``; ``f"{key}:X"``."""
    written: set[str] = set()
    read: set[str] = set()
    for _, tree in _trees(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == "_note":
                written |= _strings(_argument(node, 1, "state")) or set()
            if (
                isinstance(node, ast.JoinedStr)
                and len(node.values) == 2
                and isinstance(node.values[0], ast.FormattedValue)
            ):
                tail = _strings(node.values[1]) or set()
                read |= {t[1:] for t in tail if re.fullmatch(r":[a-z_]+", t)}
    return written, read


# --------------------------------------------------------------------------------------------


def test_every_detected_kind_written_is_declared_and_every_declared_one_is_written() -> None:
    written, compared = detected_values()
    declared = set(get_args(Detected))
    assert len(declared) == 25
    assert written == declared
    assert compared == {"truncated-json"}  # decode tells a cut document from a broken one
    assert compared <= declared


def test_every_rule_written_or_read_is_declared_and_every_declared_one_is_written() -> None:
    written, read = rule_values()
    declared = set(get_args(Rule))
    assert set(RULES) == declared
    assert written == declared
    assert read <= declared
    assert {"duplicate_date_in_file", "dates_not_in_order", "unknown_field"} <= read  # RULES[...] look-ups seen
    assert set(TABLE_RULES) | set(CONTRACT_RULES) <= declared
    assert set(TABLE_RULES).isdisjoint(CONTRACT_RULES)


def test_every_severity_is_declared_and_used() -> None:
    declared = set(get_args(Severity))
    assert declared == {"error", "warning", "info"}
    assert {severity for severity, _ in RULES.values()} == declared
    assert RULES["duplicate_row"][0] == "error"
    assert RULES["unknown_field"][0] == "info"


def test_every_shape_state_written_or_read_is_declared_and_every_declared_one_is_written() -> None:
    written, read = shape_values()
    declared = set(get_args(Shape))
    assert declared == {"absent", "null", "bool_as_int"}
    # the legacy flattener writes through _note; the successor reader writes f"{key}:bool_as_int"
    assert written == {"absent", "null"}
    assert read == declared  # to_api, the metrics and the successor reader and rebuild


def test_the_shape_notes_of_a_loaded_day_use_the_declared_states(tmp_path: Path) -> None:
    """A day with a null block and a missing one: its shape notes, as the loader writes them."""
    day = {"date": "2025-01-06", "total_active_users": 2, "total_engaged_users": 1, "copilot_ide_chat": None}
    (tmp_path / "day.json").write_text(json.dumps([day]))
    shape = cm.load(str(tmp_path / "day.json"), org="o").days.get_column("shape").to_list()[0]
    assert sorted(shape) == [
        "copilot_dotcom_chat:absent",
        "copilot_dotcom_pull_requests:absent",
        "copilot_ide_chat:null",
        "copilot_ide_code_completions:absent",
    ]
    assert {note.rsplit(":", 1)[1] for note in shape} <= set(get_args(Shape))


def test_the_scans_see_an_undeclared_value(tmp_path: Path) -> None:
    """The scanners are not blind: a probe writing undeclared values is caught by each of them."""
    (tmp_path / "probe.py").write_text(
        "import polars as pl\n"
        "from copilot_metrics.errors import FormatError\n"
        "MAGIC: tuple[tuple[bytes, Detected, str], ...] = ((b'x', 'rar', 'a rar archive'),)\n"
        "def what(obj) -> tuple[Detected, str, str] | None:\n"
        "    return ('yaml', 'YAML text', 'convert it')\n"
        "def f(error, x):\n"
        "    if error.detected == 'pdf':\n"
        "        raise FormatError('m', detected='csv' if x else 'tsv')\n"
        "    FormatError.looks_like('f', 'xml', 'w', 'h')\n"
        "    return getattr(error, 'detected', 'lost')\n"
        "def emit(frame, rule, n):\n"
        "    return frame\n"
        "ROWS = [{'rule': 'made_up', 'severity': 'info'}]\n"
        "A = pl.select(pl.lit('odd_rule').alias('rule'), pl.lit('info').alias('severity'))\n"
        "Z = pl.select(pl.lit('a_schema_error').alias('rule'))\n"  # no severity: not a finding
        "B = emit(None, 'third_rule', 1)\n"
        "rule = pl.when(True).then(pl.lit('fourth_rule')).otherwise(pl.lit('fifth_rule'))\n"
        "C = RULES['sixth_rule']\n"
        "OTHER_RULES = ('seventh_rule',)\n"
        "D = _note('key', 'maybe')\n"
        "E = f'{key}:gone'\n"
    )
    assert detected_values(tmp_path) == ({"rar", "yaml", "csv", "tsv", "xml", "lost"}, {"pdf"})
    assert rule_values(tmp_path) == (
        {"made_up", "odd_rule", "third_rule", "fourth_rule", "fifth_rule"},
        {"sixth_rule", "seventh_rule"},
    )
    assert shape_values(tmp_path) == ({"maybe"}, {"gone"})
