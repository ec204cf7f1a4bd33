"""Regenerate the JSON Schemas shipped with copilot-metrics from GitHub's published fragment.

GitHub published the day object of the Copilot metrics API as an OpenAPI 3 fragment
(``copilot-usage-metrics-day``).  This script turns it into two JSON Schema (draft 2020-12)
documents, keeping every description:

* ``copilot-usage-metrics-day.schema.json``: one day object;
* ``copilot-metrics-response.schema.json``: the endpoint's response, an array of days.

Both are written to ``schemas/`` at the top of the repository and to
``src/copilot_metrics/schemas/``, the copy that ships inside the wheel.

Usage::

    python scripts/build_schemas.py [PATH-TO-FRAGMENT]

The default fragment is ``../shared/reference/copilot-usage-metrics-day.openapi.json``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FRAGMENT = REPO.parent / "shared" / "reference" / "copilot-usage-metrics-day.openapi.json"
BASE_ID = "https://copilot-metrics.invalid/schemas/"
DAY_NAME = "copilot-usage-metrics-day.schema.json"
RESPONSE_NAME = "copilot-metrics-response.schema.json"
OUTPUT_DIRS = (REPO / "schemas", REPO / "src" / "copilot_metrics" / "schemas")


def _convert(node: Any) -> Any:
    """Map OpenAPI-only keywords to JSON Schema; the fragment is otherwise JSON Schema already."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "nullable":  # OpenAPI 3.0 style; the fragment uses type arrays instead
                continue
            out[key] = _convert(value)
        if node.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_convert(item) for item in node]
    return node


def build(fragment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``{file name: schema}`` for the day and the response schemas."""
    day = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + DAY_NAME,
        **_convert(fragment),
    }
    response = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + RESPONSE_NAME,
        "title": "Copilot metrics response",
        "description": (
            "Response of GET /orgs/{org}/copilot/metrics and its team and enterprise variants: "
            "an array of copilot-usage-metrics-day objects."
        ),
        "type": "array",
        "items": {"$ref": "#/$defs/copilot-usage-metrics-day"},
        "$defs": {
            "copilot-usage-metrics-day": {k: v for k, v in copy.deepcopy(day).items() if k not in ("$schema", "$id")}
        },
    }
    return {DAY_NAME: day, RESPONSE_NAME: response}


def render(schema: dict[str, Any]) -> str:
    """Serialise a schema the way the committed files are written."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write both schemas to both folders; return the exit code."""
    fragment_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_FRAGMENT
    fragment = json.loads(fragment_path.read_text(encoding="utf-8"))
    for name, schema in build(fragment).items():
        for folder in OUTPUT_DIRS:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(render(schema), encoding="utf-8")
            print(f"wrote {(folder / name).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
