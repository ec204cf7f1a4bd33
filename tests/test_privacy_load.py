"""cm.load(..., pseudonymize_key=) and cm.pseudonymize on a whole dataset: no login, no raw id anywhere.

The two fixtures of tests/fixtures/privacy, ``privacy_seven_digit_ids_users_28_day_to_05_30.ndjson``
(window 05-03..05-30) and
``..._to_05_31.ndjson`` (05-04..05-31) are org 77001 users reports with 7-digit user ids, long enough
that no count or date of the fixture can hold them:

- 4810273 ``quill-marten`` on 05-20 (gen 4, acc 1), renamed ``quill-marten-renamed`` on 05-21 (2, 2);
  the later report restates its 05-20 as gen 8, acc 5: one conflicting unit (4810273, 05-20);
- 5927361 ``oak-heron`` on 05-20 (6, 3) in both reports, on 05-31 (10, 4) in the later one;
- ``"user_id": "6038142"`` (a string) for ``fern-osprey`` on 05-21: a type error, its record set aside.

So the kept user rows are 4: (4810273, 05-20) and (5927361, 05-20) from the later report,
(4810273, 05-21) and (5927361, 05-31): 2 distinct users, 4 user-days.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import warnings
from pathlib import Path

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.errors import PrivacyError

FIXTURES = Path(__file__).parent / "fixtures" / "usage_reports"
PRIVACY = Path(__file__).parent / "fixtures" / "privacy"
FILES = [
    PRIVACY / "privacy_seven_digit_ids_users_28_day_to_05_30.ndjson",
    PRIVACY / "privacy_seven_digit_ids_users_28_day_to_05_31.ndjson",
]
KEY = b"privacy-load-test-key-0123456789abcdef"
OTHER = b"another-privacy-test-key-0123456789ab"
LOGINS = ("quill-marten", "quill-marten-renamed", "oak-heron", "fern-osprey")
IDS = ("4810273", "5927361", "6038142")
SECRETS = (*LOGINS, *IDS)


def pid(user_id: int, key: bytes = KEY) -> str:
    return "u_" + hmac.new(key, b"user_id:" + str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


def fingerprint(key: bytes) -> str:
    return hmac.new(key, b"copilot-metrics key fingerprint", hashlib.sha256).hexdigest()[:8]


def frames_of(ds: cm.Dataset) -> dict[str, pl.DataFrame]:
    """Every table and side table of a dataset, by name."""
    return {
        **ds.tables,
        "sources": ds.sources,
        "quarantine": ds.quarantine,
        "findings": ds.findings,
        "conflicts": ds.conflicts,
        "versions": ds.versions,
        "reports": ds.reports,
        "schema_drift": ds.schema_drift,
        "user_logins": ds.user_logins,
        "validation.errors": ds.validation.errors,
        "validation.unknown_fields": ds.validation.unknown_fields,
    }


def leaks(ds: cm.Dataset) -> dict[str, list[str]]:
    """Per table, the logins and raw ids its rows hold (as NDJSON text) or its meta holds."""
    found = {}
    for name, frame in frames_of(ds).items():
        text = io.BytesIO()
        frame.write_ndjson(text)
        hits = [s for s in SECRETS if s in text.getvalue().decode()]
        if hits:
            found[name] = hits
    meta = [s for s in SECRETS if s in str(dict(ds.meta))]
    return {**found, **({"meta": meta} if meta else {})}


def written_leaks(ds: cm.Dataset, root: Path) -> list[str]:
    """Files (path, then bytes) written by write_parquet and write_csv holding a login or a raw id."""
    cm.write_parquet(ds, root / "parquet")
    cm.write_csv(ds, root / "csv")
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) > 10  # both writers wrote every table
    return sorted(
        f"{p.relative_to(root)}: {s}"
        for p in files
        for s in SECRETS
        if s.encode() in p.read_bytes() or s in str(p.relative_to(root))
    )


@pytest.fixture(scope="module")
def identified() -> cm.Dataset:
    return cm.load(FILES, on_invalid="quarantine")


@pytest.fixture(scope="module")
def private() -> cm.Dataset:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = cm.load(FILES, on_invalid="quarantine", pseudonymize_key=KEY)
    assert [str(w.message) for w in caught if any(s in str(w.message) for s in SECRETS)] == []
    return ds


def test_the_fixture_holds_every_secret_before_pseudonymizing(identified: cm.Dataset) -> None:
    # without a key, each place this module checks holds the fixture's logins or ids: the checks can fail
    found = leaks(identified)
    assert set(found["user_days"]) == {"quill-marten", "quill-marten-renamed", "oak-heron", "4810273", "5927361"}
    assert "4810273" in found["conflicts"]  # the conflict key JSON
    assert set(found["quarantine"]) >= {"fern-osprey", "6038142"}  # record_json and reasons
    assert found["validation.errors"] == ["6038142"]
    assert set(found["findings"]) == {"quill-marten", "quill-marten-renamed", "4810273"}  # login_changed
    assert set(found["user_logins"]) == {"quill-marten", "quill-marten-renamed", "oak-heron", "4810273", "5927361"}


def test_load_with_a_key_holds_pseudonyms_only(private: cm.Dataset) -> None:
    days = private.tables["user_days"].sort("date", "user_pid")
    assert "user_id" not in days.columns
    assert "user_login" not in days.columns
    assert sorted(zip(days["date"].cast(pl.String), days["user_pid"], strict=True)) == sorted(
        [
            ("2026-05-20", pid(4810273)),
            ("2026-05-20", pid(5927361)),
            ("2026-05-21", pid(4810273)),
            ("2026-05-31", pid(5927361)),
        ]
    )
    # the later report's restatement of 4810273's 05-20 is kept (gen 8, not 4)
    kept = days.filter(pl.col("user_pid") == pid(4810273), pl.col("date") == pl.date(2026, 5, 20))
    assert kept["code_generation_activity_count"].to_list() == [8]
    assert "ide_version" not in private.tables["user_ide"].columns
    assert private.user_logins.height == 0
    assert private.meta["key_fingerprint"] == fingerprint(KEY)
    assert KEY.decode() not in str(dict(private.meta))
    assert leaks(private) == {}


def test_side_tables_redacted_not_dropped(private: cm.Dataset) -> None:
    # 4810273's 05-20 restated (gen, acc and their lines, the window); 5927361's 05-20 only in its window
    key = '{{"enterprise_id":"4242","organization_id":"77001","user_pid":"{}"}}'
    window = ["report_end_day", "report_start_day"]
    restated = [
        "code_acceptance_activity_count",
        "code_generation_activity_count",
        "loc_added_sum",
        "loc_suggested_to_add_sum",
        *window,
    ]
    conflicts = private.conflicts.filter(pl.col("table") == "user_days").sort("key", "column")
    assert sorted(conflicts.select("key", "column").rows()) == sorted(
        [(key.format(pid(4810273)), c) for c in restated] + [(key.format(pid(5927361)), c) for c in window]
    )
    changed = private.findings.filter(pl.col("rule") == "login_changed")
    [message] = changed["message"].to_list()
    assert message.endswith(
        f"{FILES[0].name}: user_id <redacted> appears as <redacted>, <redacted>: rows are keyed by user_id"
    )
    assert changed["value"].to_list() == ["<redacted>"]
    assert private.quarantine["reasons"].to_list() == [['$[3].user_id: "<redacted>" is not an integer']]
    assert private.quarantine["record_json"].to_list() == [None]
    errors = private.validation.errors
    assert errors.select("json_path", "rule", "value", "message").rows() == [
        ("$[3].user_id", "type", "<redacted>", "<redacted> is not an integer")
    ]


def test_pseudonymize_after_load_is_the_same(identified: cm.Dataset, private: cm.Dataset) -> None:
    after = cm.pseudonymize(identified, KEY)
    assert leaks(after) == {}
    for name in ("user_days", "user_ide", "user_feature", "user_language_feature"):
        assert after.tables[name].equals(private.tables[name]), name
    assert after.conflicts.equals(private.conflicts)
    assert after.findings.equals(private.findings)
    assert after.meta["key_fingerprint"] == private.meta["key_fingerprint"]


def test_no_secret_in_any_written_file(private: cm.Dataset, identified: cm.Dataset, tmp_path: Path) -> None:
    assert written_leaks(private, tmp_path / "private") == []
    assert written_leaks(cm.pseudonymize(identified, KEY), tmp_path / "after") == []
    # the same writers on the identified dataset do write them (the check can fail)
    assert any("4810273" in leak for leak in written_leaks(identified, tmp_path / "raw"))


def test_metrics_on_the_pseudonymized_load(private: cm.Dataset) -> None:
    # 2 distinct users, 4 user-days; 05-20 holds both users
    out = cm.active_users(private, min_users=None)
    assert out["active_users"].to_list() == [2]
    assert out["user_days"].to_list() == [4]
    assert out["dau_peak"].to_list() == [2]


def test_a_base_of_another_key_or_identified_is_refused(private: cm.Dataset, identified: cm.Dataset) -> None:
    with pytest.raises(PrivacyError, match="different keys") as other:
        cm.load(FILES[:1], on_invalid="quarantine", base=private, pseudonymize_key=OTHER)
    assert other.value.fingerprints == (fingerprint(KEY), fingerprint(OTHER))
    with pytest.raises(PrivacyError, match="identified") as raw:
        cm.load(FILES[:1], on_invalid="quarantine", base=identified, pseudonymize_key=KEY)
    assert raw.value.fingerprints == (None, fingerprint(KEY))
    for caught in (other.value, raw.value):
        assert not any(s in str(caught) for s in (*SECRETS, KEY.decode(), OTHER.decode()))


def test_a_base_of_the_same_key_merges(private: cm.Dataset) -> None:
    merged = cm.load(FILES[1:], on_invalid="quarantine", base=private, pseudonymize_key=KEY)
    assert merged.meta["key_fingerprint"] == fingerprint(KEY)
    assert leaks(merged) == {}


def test_a_base_without_user_rows_takes_a_key() -> None:
    aggregate = cm.load(FIXTURES / "layout_flat_record_enterprise_1_day.json")
    merged = cm.load(FILES, on_invalid="quarantine", base=aggregate, pseudonymize_key=KEY)
    assert merged.meta["key_fingerprint"] == fingerprint(KEY)
    assert leaks(merged) == {}


def test_a_short_key_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(PrivacyError, match="has 5 bytes; at least 32"):
        cm.load(tmp_path / "nothing-here.json", pseudonymize_key=b"short")


def test_a_base_of_the_same_key_merges_as_one_load(private: cm.Dataset) -> None:
    # the same key gives the same pids: base (05-30 report) + the 05-31 report = one load of both with the key
    base = cm.load(FILES[:1], on_invalid="quarantine", pseudonymize_key=KEY)
    merged = cm.load(FILES[1:], on_invalid="quarantine", base=base, pseudonymize_key=KEY)
    cm.testing.assert_dataset_equal(merged, private, check_validation=True)
    # by hand: units (scope, users, date): 05-20 in both (the 05-31 report wins), 05-21 in the first only,
    # 05-31 in the second only
    counts = merged.sources.sort("source").select("days_kept", "days_identical", "days_superseded").rows()
    assert counts == [(1, 0, 1), (2, 0, 0)]
    assert merged.tables["user_days"].height == 4
    assert merged.tables["user_days"]["user_pid"].n_unique() == 2


def test_parquet_round_trip_of_a_pseudonymized_dataset(private: cm.Dataset, tmp_path: Path) -> None:
    root = cm.write_parquet(private, tmp_path / "history")
    back = cm.read_parquet(root)
    cm.testing.assert_dataset_equal(back, private, check_validation=True)
    assert back.meta["key_fingerprint"] == fingerprint(KEY)
    manifest = (root / "_copilot_metrics.json").read_text()
    assert f'"key_fingerprint": "{fingerprint(KEY)}"' in manifest
    assert KEY.decode() not in manifest
    assert not any(KEY in p.read_bytes() for p in root.rglob("*") if p.is_file())
    scanned = cm.scan_parquet(root)
    assert scanned.meta["key_fingerprint"] == fingerprint(KEY)
    days = scanned["user_days"].collect()
    assert "user_login" not in days.columns
    assert days.schema["user_pid"] == pl.String
    assert sorted(days["user_pid"].unique().to_list()) == sorted([pid(4810273), pid(5927361)])


def test_csv_of_a_pseudonymized_dataset_holds_no_login_or_raw_id(private: cm.Dataset, tmp_path: Path) -> None:
    written = cm.write_csv(private, tmp_path / "csv")
    header, *rows = (tmp_path / "csv" / "user_days.csv").read_text().splitlines()
    assert "user_pid" in header.split(",")
    assert not {"user_id", "user_login"} & set(header.split(","))
    assert len(rows) == 4
    assert {pid(4810273), pid(5927361)} <= set(
        (tmp_path / "csv" / "user_days.csv").read_text().replace("\n", ",").split(",")
    )
    assert [f"{p.name}: {s}" for p in written for s in SECRETS if s in p.read_text()] == []


def test_write_parquet_merge_refuses_another_key_or_identified(
    private: cm.Dataset, identified: cm.Dataset, tmp_path: Path
) -> None:
    root = cm.write_parquet(private, tmp_path / "history")
    with pytest.raises(PrivacyError, match="different keys") as other:
        cm.write_parquet(cm.pseudonymize(identified, OTHER), root, mode="merge")
    assert other.value.fingerprints == (fingerprint(KEY), fingerprint(OTHER))
    with pytest.raises(PrivacyError, match="identified") as raw:
        cm.write_parquet(identified, root, mode="merge")
    assert raw.value.fingerprints == (None, fingerprint(KEY))
    cm.testing.assert_dataset_equal(cm.read_parquet(root), private)  # left as it was
    # the same key merges: the 05-31 report into the dataset of both is its own repeat
    cm.write_parquet(cm.load(FILES[1:], on_invalid="quarantine", pseudonymize_key=KEY), root, mode="merge")
    cm.testing.assert_dataset_equal(cm.read_parquet(root), private, check_validation=True)


def test_contracts_accept_the_pseudonymized_form(private: cm.Dataset) -> None:
    from pandera.errors import SchemaError, SchemaErrors

    from copilot_metrics.successor import contract

    assert private.privacy is not None
    for name in ("user_days", "user_ide", "user_feature", "user_teams"):
        contract(name, private.privacy).validate(private.tables[name])
    with pytest.raises((SchemaError, SchemaErrors)):  # the identified contract wants user_id
        contract("user_days").validate(private.tables["user_days"])
    twice = pl.concat([private.tables["user_days"]] * 2)  # the key is (scope, date, user_pid)
    with pytest.raises((SchemaError, SchemaErrors)):
        contract("user_days", private.privacy).validate(twice, lazy=True)
