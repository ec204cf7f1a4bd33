"""usage.pseudonymize and usage.combine on the hand-made users report (fixtures/usage_metrics/README.md)."""

from __future__ import annotations

import hashlib
import hmac
import io
from pathlib import Path

import polars as pl
import pytest

from copilot_metrics import successor
from copilot_metrics.errors import PrivacyError
from copilot_metrics.usage import active_users, combine, key_fingerprint, pseudonymize

FIXTURE = Path(__file__).parent / "fixtures" / "usage_metrics" / "three_users_nine_days_users_28_day.ndjson"
KEY = b"k" * 32
OTHER = b"o" * 32


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    read = successor.read_bytes(FIXTURE.read_bytes(), FIXTURE.name)
    findings = pl.DataFrame(
        {"rule": ["login_changed"], "message": ["user_id 101: login dev-101 became dev-101b"], "value": ["dev-101"]}
    )
    quarantine = pl.DataFrame({"source": ["x"], "record_json": ['{"user_id":102,"user_login":"dev-102"}']})
    return {
        **read.tables,
        "reports": read.reports,
        "user_logins": read.user_logins,
        "findings": findings,
        "quarantine": quarantine,
    }


def expected_pid(user_id: int, key: bytes = KEY) -> str:
    return "u_" + hmac.new(key, b"user_id:" + str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


def test_user_ids_become_keyed_pseudonyms(tables: dict[str, pl.DataFrame]) -> None:
    out = pseudonymize(tables, KEY)
    days = out["user_days"]
    assert "user_id" not in days.columns
    assert "user_login" not in days.columns
    assert days.columns.index("user_pid") == tables["user_days"].columns.index("user_id")
    assert set(days["user_pid"]) == {expected_pid(101), expected_pid(102), expected_pid(103)}
    assert set(out["user_feature"]["user_pid"]) <= set(days["user_pid"])
    assert "user_logins" not in out
    expected = hmac.new(KEY, b"copilot-metrics key fingerprint", hashlib.sha256).hexdigest()[:8]
    assert out.meta["key_fingerprint"] == expected == key_fingerprint(KEY)
    assert all(KEY.decode() not in str(v) for v in out.meta.values())


def test_no_login_or_raw_id_left(tables: dict[str, pl.DataFrame]) -> None:
    out = pseudonymize(tables, KEY)
    for name, frame in out.items():
        text = io.BytesIO()
        frame.write_ndjson(text)
        written = text.getvalue().decode()
        assert "dev-10" not in written, name
        assert '"user_id":10' not in written, name
        assert "user_id 10" not in written, name
    assert out["findings"]["message"].to_list() == ["user_id <redacted>: login <redacted> became <redacted>b"]
    assert out["quarantine"]["record_json"].to_list() == [None]


def test_metrics_unchanged_after_pseudonymizing(tables: dict[str, pl.DataFrame]) -> None:
    before = active_users(tables, every="1w", min_users=None)
    after = active_users(pseudonymize(tables, KEY), every="1w", min_users=None)
    assert after.equals(before)


def test_keys_and_mixing(tables: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PrivacyError, match="at least 32"):
        pseudonymize(tables, b"short")
    monkeypatch.setenv("CM_TEST_KEY", KEY.decode())
    from_env = pseudonymize(tables, "env:CM_TEST_KEY")
    one, other = pseudonymize(tables, KEY), pseudonymize(tables, OTHER)
    assert from_env["user_days"].equals(one["user_days"])
    assert pseudonymize(one, KEY) is one  # same key: nothing to do
    with pytest.raises(PrivacyError, match="different keys") as caught:
        pseudonymize(one, OTHER)
    assert KEY.decode() not in str(caught.value)
    with pytest.raises(PrivacyError):
        combine(one, other)
    both = combine(one, from_env)
    assert both["user_days"].height == 2 * tables["user_days"].height
    assert both.meta["key_fingerprint"] == key_fingerprint(KEY)


def test_teams_and_quasi_identifiers() -> None:
    path = Path(__file__).parent / "fixtures" / "usage_reports" / "kind_user_teams_organization_1_day.ndjson"
    read = successor.read_bytes(path.read_bytes(), path.name)
    kept = pseudonymize(read.tables, KEY)["user_teams"]
    assert "team_id" in kept.columns
    assert "slug" in kept.columns
    teams = pseudonymize(read.tables, KEY, teams=True)["user_teams"]
    assert "team_id" not in teams.columns
    assert "slug" not in teams.columns
    first_team = read.tables["user_teams"]["team_id"][0]
    expected = "t_" + hmac.new(KEY, f"team_id:{first_team}".encode(), hashlib.sha256).hexdigest()[:16]
    assert teams["team_pid"][0] == expected
    ide = path.with_name("layout_array_of_user_records_enterprise_users_1_day.json")
    ide_read = successor.read_bytes(ide.read_bytes(), ide.name)
    assert "ide_version" not in pseudonymize(ide_read.tables, KEY)["user_ide"].columns
    assert "ide_version" in pseudonymize(ide_read.tables, KEY, drop_quasi_identifiers=False)["user_ide"].columns
