"""Pseudonyms for the successor tables (SUCCESSOR.md §5.9): keyed HMAC ids, no logins, no versions.

The public names of :mod:`copilot_metrics._pseudonyms`, which sits below the pipeline so that
``cm.load(..., pseudonymize_key=key)`` applies the same function before a dataset is returned.
"""

from __future__ import annotations

from copilot_metrics._pseudonyms import (
    QUASI_IDENTIFIERS,
    Pseudonymized,
    combine,
    key_fingerprint,
    pseudonym,
    pseudonymize,
)

__all__ = ["QUASI_IDENTIFIERS", "Pseudonymized", "combine", "key_fingerprint", "pseudonym", "pseudonymize"]
