"""Scope labels <-> folder names: byte-wise percent-encoding, and digests for long labels.

A label is percent-encoded byte by byte (only ``a-z 0-9 _ -`` stay as they are); an encoding
longer than 120 characters, or the empty label, is named ``<start of the encoding>~<digest>``
(the first 32 hex digits of the label's SHA-256), the full label being recorded beside the
folders by the writer.  Used by :func:`copilot_metrics.export.json.write_json` (for labels that
cannot be their own folder name) and by the reader of the hive layouts of formats 1 and 2
(:mod:`copilot_metrics.export._legacy`), which spelled a null value :data:`NULL_PARTITION`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.export._files import DAMAGED, MANIFEST

__all__ = ["DIGEST_MARK", "NULL_PARTITION", "folder_name", "label_of", "percent_encode"]

#: How a null partition value was spelled in a folder name (formats 1 and 2).
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"

#: What separates a digest-named folder's start of the encoding from its digest.
DIGEST_MARK = "~"

#: Bytes written as themselves in a folder name; every other byte is ``%XX``.
_SAFE_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
#: Longest encoded value written as is; longer ones (and "") are named by their digest.
_MAX_SEGMENT = 120
#: Characters of the encoding kept in front of a digest.
_PREFIX = 48


def percent_encode(value: str, column: str) -> str:
    """``value`` percent-encoded byte by byte: only ``a-z 0-9 _ -`` stay as they are."""
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CopilotMetricsError(
            f"{column} label {value!r} is not valid Unicode text ({exc.reason}); it cannot name a folder",
            column=column,
        ) from exc
    return "".join(chr(b) if b in _SAFE_BYTES else f"%{b:02X}" for b in data)


def folder_name(value: str | None, column: str, digests: dict[str, str]) -> str:
    """The folder name of a label (see the module docstring); a name made of a digest is recorded in ``digests``."""
    if value is None:
        return NULL_PARTITION
    encoded = percent_encode(value, column)
    if value and len(encoded) <= _MAX_SEGMENT:
        return encoded
    prefix = encoded[:_PREFIX]
    cut = prefix.rfind("%", len(prefix) - 2)
    if cut >= 0:  # never split a %XX escape
        prefix = prefix[:cut]
    name = f"{prefix}{DIGEST_MARK}{hashlib.sha256(value.encode()).hexdigest()[:32]}"
    if digests.setdefault(name, value) != value:  # pragma: no cover - a 128-bit collision
        raise CopilotMetricsError(f"{column} labels {value!r} and {digests[name]!r} share the digest {name}")
    return name


def label_of(raw: str, digests: Mapping[str, str], where: Path) -> str | None:
    """The label a folder value of a format-1 or format-2 dataset stands for (inverse of :func:`folder_name`)."""
    if raw == NULL_PARTITION:
        return None
    if DIGEST_MARK in raw:
        if raw not in digests:
            raise CopilotMetricsError(
                f"{where}: folder value {raw!r} is named by a digest the manifest does not list",
                file=str(where),
                hint=f"the dataset's {MANIFEST} was replaced or edited",
            )
        return digests[raw]
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise CopilotMetricsError(
            f"{where}: folder value {raw!r} does not decode to UTF-8 text ({exc.reason})",
            file=str(where),
            hint=f"the dataset's folders were renamed after it was written: {DAMAGED}",
        ) from exc
