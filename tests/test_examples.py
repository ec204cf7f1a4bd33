"""Tests of copilot_metrics.examples: synthetic days, export archives, the shipped example."""

from __future__ import annotations

import datetime
import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copilot_metrics import examples

D = datetime.date
REPO = Path(__file__).resolve().parent.parent
SCHEMA_CANDIDATES = (
    REPO / "schemas" / "copilot-usage-metrics-day.schema.json",
    Path("/work/shared/reference/copilot-usage-metrics-day.openapi.json"),
)
FEATURES = (
    "copilot_ide_code_completions",
    "copilot_ide_chat",
    "copilot_dotcom_chat",
    "copilot_dotcom_pull_requests",
)
ORG = ("octo-org", None)
TEAM = ("octo-org", "platform")


def dates(first: D, last: D) -> list[D]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


def iso(values: list[D]) -> list[str]:
    return [d.isoformat() for d in values]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    for candidate in SCHEMA_CANDIDATES:
        if candidate.is_file():
            loaded: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
            return loaded
    pytest.skip("no copilot-usage-metrics-day schema available")


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def year() -> list[dict[str, Any]]:
    return examples.generate_days(D(2024, 6, 1), D(2025, 5, 31), seed=7)


def unknown_keys(value: Any, schema: dict[str, Any], where: str = "$") -> Iterator[str]:
    """Yield the JSON paths of keys that the schema does not declare at their level."""
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, child in value.items():
            if key not in properties:
                yield f"{where}.{key}"
            else:
                yield from unknown_keys(child, properties[key], f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unknown_keys(item, schema.get("items", {}), f"{where}[{i}]")


def completion_rows(day: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    block = day["copilot_ide_code_completions"] or {}
    for editor in block.get("editors", []):
        for model in editor["models"]:
            for row in model["languages"]:
                yield editor["name"], model, row


def leaves(value: Any, where: str = "$") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, f"{where}.{key}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from leaves(child, f"{where}[{i}]")
    else:
        yield where, value


def read_export(path: Path) -> Any:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return json.loads(raw)


# ---------------------------------------------------------------------------------------------
# generate_days
# ---------------------------------------------------------------------------------------------


def test_generate_days_is_deterministic() -> None:
    first = examples.generate_days(D(2025, 1, 1), D(2025, 1, 31), seed=3, scope="acme")
    second = examples.generate_days(D(2025, 1, 1), D(2025, 1, 31), seed=3, scope="acme")
    assert json.dumps(first) == json.dumps(second)
    other_seed = examples.generate_days(D(2025, 1, 1), D(2025, 1, 31), seed=4, scope="acme")
    other_scope = examples.generate_days(D(2025, 1, 1), D(2025, 1, 31), seed=3, scope="acme2")
    assert first != other_seed
    assert first != other_scope


def test_overlapping_windows_agree_day_by_day() -> None:
    early = examples.generate_days(D(2025, 1, 1), D(2025, 2, 15), seed=11)
    late = examples.generate_days(D(2025, 2, 1), D(2025, 3, 31), seed=11)
    shared = {day["date"]: day for day in early if day["date"] >= "2025-02-01"}
    assert len(shared) == 15
    assert [day for day in late if day["date"] in shared] == list(shared.values())


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    day=st.dates(D(2023, 1, 1), D(2026, 12, 31)),
    before=st.integers(0, 10),
    after=st.integers(0, 10),
    team=st.booleans(),
)
def test_a_day_does_not_depend_on_its_window(seed: int, day: D, before: int, after: int, team: bool) -> None:
    scope = "org-x/team-y" if team else "org-x"
    alone = examples.generate_days(day, day, seed=seed, scope=scope)
    window = examples.generate_days(
        day - datetime.timedelta(days=before), day + datetime.timedelta(days=after), seed=seed, scope=scope
    )
    assert len(window) == before + after + 1
    assert window[before] == alone[0]


def test_dates_and_below_threshold_gaps() -> None:
    missing = [D(2025, 3, 4), D(2025, 3, 8), D(2025, 4, 1)]  # the last one is outside the range
    days = examples.generate_days(D(2025, 3, 1), D(2025, 3, 10), below_threshold=missing)
    assert [day["date"] for day in days] == [
        "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-05", "2025-03-06",
        "2025-03-07", "2025-03-09", "2025-03-10",
    ]  # fmt: skip
    assert examples.generate_days(D(2025, 3, 2), D(2025, 3, 1)) == []
    single = examples.generate_days(D(2025, 3, 2), D(2025, 3, 2))
    assert [day["date"] for day in single] == ["2025-03-02"]


def test_days_validate_against_the_published_schema(validator: Any, schema: dict[str, Any]) -> None:
    days = [
        *examples.generate_days(D(2025, 1, 1), D(2025, 2, 28), seed=5),
        *examples.generate_days(D(2025, 1, 1), D(2025, 2, 28), seed=5, scope="octo-org/platform"),
        *examples.generate_days(D(2025, 1, 1), D(2025, 1, 14), custom_model=False, revision=2),
        *examples.generate_days(
            D(2025, 1, 1), D(2025, 1, 14), n_languages=45, editors=("vscode", "Xcode", "JetBrains")
        ),
    ]
    for day in days:
        errors = [error.message for error in validator.iter_errors(day)]
        assert errors == [], (day["date"], errors)
        assert list(unknown_keys(day, schema)) == []


def test_key_order_follows_the_api(year: list[dict[str, Any]]) -> None:
    assert list(year[0]) == ["date", "total_active_users", "total_engaged_users", *FEATURES]
    rows = [row for day in year[:10] for _, _, row in completion_rows(day)]
    assert list(rows[0]) == [
        "name",
        "total_engaged_users",
        "total_code_suggestions",
        "total_code_acceptances",
        "total_code_lines_suggested",
        "total_code_lines_accepted",
    ]


def test_user_counts_are_consistent(year: list[dict[str, Any]]) -> None:
    for day in year:
        assert 0 <= day["total_engaged_users"] <= day["total_active_users"]
        for feature in FEATURES:
            block = day[feature]
            if block is not None:
                assert 0 <= block["total_engaged_users"] <= day["total_engaged_users"]
        completions = day["copilot_ide_code_completions"]
        if completions is None:
            continue
        per_language: dict[str, int] = defaultdict(int)
        for editor in completions["editors"]:
            assert editor["total_engaged_users"] <= completions["total_engaged_users"]
            for model in editor["models"]:
                assert model["total_engaged_users"] <= editor["total_engaged_users"]
                for row in model["languages"]:
                    assert 0 <= row["total_engaged_users"] <= model["total_engaged_users"]
                    per_language[row["name"]] = max(per_language[row["name"]], row["total_engaged_users"])
        top = {entry["name"]: entry["total_engaged_users"] for entry in completions["languages"]}
        assert set(top) == set(per_language)
        for name, users in top.items():
            assert per_language[name] <= users <= completions["total_engaged_users"]
        chat = day["copilot_ide_chat"]
        for editor in chat["editors"] if chat else []:
            assert editor["total_engaged_users"] <= chat["total_engaged_users"]
            for model in editor["models"]:
                assert model["total_engaged_users"] <= editor["total_engaged_users"]
        pulls = day["copilot_dotcom_pull_requests"]
        for repository in pulls["repositories"] if pulls else []:
            assert repository["name"].startswith("octo-org/repo-")
            assert repository["total_engaged_users"] <= pulls["total_engaged_users"]


def test_counts_are_plausible(year: list[dict[str, Any]]) -> None:
    rows = [row for day in year for _, _, row in completion_rows(day)]
    suggestions = sum(row["total_code_suggestions"] for row in rows)
    acceptances = sum(row["total_code_acceptances"] for row in rows)
    assert 0.2 < acceptances / suggestions < 0.4
    lines_suggested = sum(row["total_code_lines_suggested"] for row in rows)
    lines_accepted = sum(row["total_code_lines_accepted"] for row in rows)
    assert 0.15 < lines_accepted / lines_suggested < 0.5
    above = [row for row in rows if row["total_code_acceptances"] > row["total_code_suggestions"]]
    assert 0 < len(above) < len(rows) / 100  # the real JetBrains quirk: rare but present
    assert all(row["total_code_suggestions"] == 0 for row in above)


def test_weekends_are_quiet_and_users_grow() -> None:
    days = examples.generate_days(D(2024, 1, 1), D(2025, 12, 31), seed=2)
    weekday = [d["total_active_users"] for d in days if D.fromisoformat(d["date"]).weekday() < 5]
    weekend = [d["total_active_users"] for d in days if D.fromisoformat(d["date"]).weekday() >= 5]
    assert sum(weekend) / len(weekend) < sum(weekday) / len(weekday) / 4
    zero = [d for d in days if d["total_active_users"] == 0]
    assert zero
    for day in zero:
        assert D.fromisoformat(day["date"]).weekday() >= 5
        assert day["total_engaged_users"] == 0
        for feature in FEATURES:
            block = day[feature]
            if block is not None:
                assert block["total_engaged_users"] == 0
                assert all(value == [] for key, value in block.items() if key != "total_engaged_users")

    def weekday_mean(year: str) -> float:
        values: list[int] = [
            d["total_active_users"]
            for d in days
            if d["date"].startswith(year) and D.fromisoformat(d["date"]).weekday() < 5
        ]
        return sum(values) / len(values)

    assert weekday_mean("2024") < weekday_mean("2025") < 1.5 * weekday_mean("2024")


def test_null_blocks_are_occasional(year: list[dict[str, Any]]) -> None:
    nulls = [[feature for feature in FEATURES if day[feature] is None] for day in year]
    assert all(len(names) <= 1 for names in nulls)
    with_null = sum(1 for names in nulls if names)
    assert 365 / 15 / 2 < with_null < 365 / 15 * 2
    assert {name for names in nulls for name in names} == set(FEATURES)


def test_languages_models_and_aliases(year: list[dict[str, Any]]) -> None:
    names = {row["name"] for day in year for _, _, row in completion_rows(day)}
    assert {"c#", "csharp", "unknown", "python", "typescript", "markdown"} <= names
    base_names = {{"c#": "csharp", "c++": "cpp"}.get(name, name) for name in names}
    assert len(base_names) == 30
    models = {
        (model["name"], model["is_custom_model"], model["custom_model_training_date"])
        for day in year
        for _, model, _ in completion_rows(day)
    }
    assert models == {("default", False, None), ("a-custom-model", True, "2024-02-01")}
    editors = {editor for day in year for editor, _, _ in completion_rows(day)}
    assert editors == {"vscode", "jetbrains", "neovim", "visualstudio"}


def test_small_pool_and_no_custom_model() -> None:
    days = examples.generate_days(D(2025, 1, 1), D(2025, 3, 31), n_languages=5, editors=("vscode",), custom_model=False)
    names = {row["name"] for day in days for _, _, row in completion_rows(day)}
    assert names == {"python", "typescript", "javascript", "go", "java"}
    text = json.dumps(days)
    assert "a-custom-model" not in text
    assert '"is_custom_model": true' not in text
    assert {editor for day in days for editor, _, _ in completion_rows(day)} == {"vscode"}


def test_pull_request_repositories_and_chat_keys(year: list[dict[str, Any]]) -> None:
    repositories = {
        repository["name"]
        for day in year
        if day["copilot_dotcom_pull_requests"]
        for repository in day["copilot_dotcom_pull_requests"]["repositories"]
    }
    assert repositories <= {f"octo-org/repo-{n}" for n in range(1, 31)}
    assert len(repositories) > 10
    chat_models = [
        model
        for day in year
        if day["copilot_ide_chat"]
        for editor in day["copilot_ide_chat"]["editors"]
        for model in editor["models"]
    ]
    assert chat_models
    assert all(model["total_chats"] >= 0 for model in chat_models)
    assert any(model["is_custom_model"] for model in chat_models)


def test_weekday_size_is_in_the_expected_range() -> None:
    days = examples.generate_days(D(2025, 3, 3), D(2025, 3, 7))  # Monday to Friday
    sizes = [len(json.dumps(day, indent=2)) for day in days]
    assert all(20_000 <= size <= 60_000 for size in sizes), sizes


def test_team_is_a_smaller_subset_of_its_org() -> None:
    org = examples.generate_days(D(2025, 1, 1), D(2025, 6, 30), scope="octo-org")
    team = examples.generate_days(D(2025, 1, 1), D(2025, 6, 30), scope="octo-org/platform")
    assert [day["date"] for day in team] == [day["date"] for day in org]
    for org_day, team_day in zip(org, team, strict=True):
        assert team_day["total_active_users"] <= org_day["total_active_users"]
        assert team_day["total_engaged_users"] <= org_day["total_engaged_users"]
        if org_day["total_active_users"]:
            assert team_day["total_active_users"] < org_day["total_active_users"]
    assert sum(d["total_active_users"] for d in team) < sum(d["total_active_users"] for d in org) / 3


def test_revision_changes_one_or_two_counts_upwards() -> None:
    base = examples.generate_days(D(2025, 1, 1), D(2025, 2, 28), seed=9)
    assert examples.generate_days(D(2025, 1, 1), D(2025, 2, 28), seed=9, revision=0) == base
    corrected = examples.generate_days(D(2025, 1, 1), D(2025, 2, 28), seed=9, revision=1)
    for before, after in zip(base, corrected, strict=True):
        old, new = list(leaves(before)), list(leaves(after))
        assert [where for where, _ in old] == [where for where, _ in new]
        changed = [(a, b) for (_, a), (_, b) in zip(old, new, strict=True) if a != b]
        assert 1 <= len(changed) <= 2, before["date"]
        assert all(isinstance(a, int) and b > a for a, b in changed)
    twice = examples.generate_days(D(2025, 1, 1), D(2025, 2, 28), seed=9, revision=2)
    assert twice != corrected


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="n_languages"):
        examples.generate_days(D(2025, 1, 1), D(2025, 1, 2), n_languages=0)
    with pytest.raises(ValueError, match="revision"):
        examples.generate_days(D(2025, 1, 1), D(2025, 1, 2), revision=-1)
    for scope in ("", "a/b/c", "org/", "/team"):
        with pytest.raises(ValueError, match="scope"):
            examples.generate_days(D(2025, 1, 1), D(2025, 1, 2), scope=scope)


# ---------------------------------------------------------------------------------------------
# generate_archive and late_corrections
# ---------------------------------------------------------------------------------------------

ARCHIVE = {
    "scopes": (ORG, TEAM),
    "start": D(2025, 1, 6),
    "end": D(2025, 2, 16),
    "window_days": 14,
    "export_every_days": 7,
    "below_threshold": (D(2025, 1, 29),),
}
# Fetch dates by hand: every 7 days after 2025-01-06, the last one being end + 1 = 2025-02-17.
FETCHES = [D(2025, 1, 13), D(2025, 1, 20), D(2025, 1, 27), D(2025, 2, 3), D(2025, 2, 10), D(2025, 2, 17)]


def expected_window(fetch: D) -> list[str]:
    first = max(D(2025, 1, 6), fetch - datetime.timedelta(days=14))
    return [d.isoformat() for d in dates(first, fetch - datetime.timedelta(days=1)) if d != D(2025, 1, 29)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("archive")
    return root, examples.generate_archive(root, seed=1, **ARCHIVE)  # type: ignore[arg-type]


def test_archive_layout(archive: tuple[Path, list[Path]]) -> None:
    root, paths = archive
    expected = sorted(
        root / "octo-org" / directory / f"copilot-metrics-{fetch:%Y-%m-%d}.json"
        for directory in (".", "teams/platform")
        for fetch in FETCHES
    )
    assert paths == expected
    assert sorted(p for p in root.rglob("*") if p.is_file()) == expected


def test_archive_windows_and_format(archive: tuple[Path, list[Path]]) -> None:
    root, _ = archive
    corrected = {".": "2025-01-23", "teams/platform": "2025-01-22"}
    for directory, scope in ((".", "octo-org"), ("teams/platform", "octo-org/platform")):
        for fetch in FETCHES:
            file = root / "octo-org" / directory / f"copilot-metrics-{fetch:%Y-%m-%d}.json"
            text = file.read_text(encoding="utf-8")
            days = json.loads(text)
            assert [day["date"] for day in days] == expected_window(fetch)
            assert text == json.dumps(days, indent=2)
            # The uncorrected days are exactly generate_days' output for the scope.
            first = D.fromisoformat(days[0]["date"])
            fresh = examples.generate_days(
                first,
                fetch - datetime.timedelta(days=1),
                seed=1,
                scope=scope,
                below_threshold=[D(2025, 1, 29)],
            )
            differing = [a["date"] for a, b in zip(days, fresh, strict=True) if a != b]
            # Only the export after the correction still holds the corrected day (by hand).
            assert differing == ([corrected[directory]] if fetch == D(2025, 2, 3) else [])


def test_late_corrections_follow_the_documented_rule() -> None:
    # 6 fetches: k = (6 - 1) // 2 = 2, so between 2025-01-27 and 2025-02-03. Candidates: days in
    # both windows (from 2025-01-20) and at most 2025-01-27 - 4 = 2025-01-23, weekdays, newest first:
    # 01-23 (Thu), 01-22, 01-21, 01-20. Scope 0 takes the first, scope 1 the second.
    assert examples.late_corrections(**ARCHIVE) == [  # type: ignore[arg-type]
        examples.LateCorrection("octo-org", None, D(2025, 1, 23), D(2025, 1, 27), D(2025, 2, 3)),
        examples.LateCorrection("octo-org", "platform", D(2025, 1, 22), D(2025, 1, 27), D(2025, 2, 3)),
    ]
    assert examples.late_corrections(**ARCHIVE, late_correction=False) == []  # type: ignore[arg-type]
    # Windows that do not overlap leave nothing to correct.
    assert examples.late_corrections(start=D(2025, 1, 1), end=D(2025, 3, 1), window_days=7) == []
    # A below-threshold candidate is skipped.
    skipped = {**ARCHIVE, "below_threshold": (D(2025, 1, 23),)}
    assert [c.date for c in examples.late_corrections(**skipped)] == [  # type: ignore[arg-type]
        D(2025, 1, 22),
        D(2025, 1, 21),
    ]


def test_exactly_one_corrected_day_per_scope(archive: tuple[Path, list[Path]]) -> None:
    root, _ = archive
    corrected = {(c.org, c.team): c for c in examples.late_corrections(**ARCHIVE)}  # type: ignore[arg-type]
    for directory, key, scope in ((".", ORG, "octo-org"), ("teams/platform", TEAM, "octo-org/platform")):
        versions: dict[str, list[tuple[D, str]]] = defaultdict(list)
        for fetch in FETCHES:
            file = root / "octo-org" / directory / f"copilot-metrics-{fetch:%Y-%m-%d}.json"
            for day in read_export(file):
                versions[day["date"]].append((fetch, json.dumps(day, sort_keys=True)))
        changing = {date for date, seen in versions.items() if len({text for _, text in seen}) > 1}
        correction = corrected[key]
        assert changing == {correction.date.isoformat()}
        seen = versions[correction.date.isoformat()]
        original, fixed = (
            examples.generate_days(correction.date, correction.date, seed=1, scope=scope, revision=r)[0] for r in (0, 1)
        )
        for fetch, text in seen:
            want = original if fetch <= correction.fetched_before else fixed
            assert json.loads(text) == want
        assert [fetch for fetch, _ in seen] == [D(2025, 1, 27), D(2025, 2, 3)]


def test_below_threshold_day_is_missing_everywhere(archive: tuple[Path, list[Path]]) -> None:
    _, paths = archive
    all_dates = {day["date"] for p in paths for day in read_export(p)}
    assert all_dates == set(iso(dates(D(2025, 1, 6), D(2025, 2, 16)))) - {"2025-01-29"}


def test_archive_without_correction_never_changes_a_day(tmp_path: Path) -> None:
    paths = examples.generate_archive(tmp_path, seed=1, late_correction=False, **ARCHIVE)  # type: ignore[arg-type]
    versions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in paths:
        for day in read_export(p):
            versions[p.parent.name, day["date"]].add(json.dumps(day))
    assert all(len(texts) == 1 for texts in versions.values())


def test_gzip_archive_is_reproducible_and_matches_plain(tmp_path: Path, archive: tuple[Path, list[Path]]) -> None:
    root, plain = archive
    zipped = examples.generate_archive(tmp_path / "a", seed=1, gzip=True, **ARCHIVE)  # type: ignore[arg-type]
    again = examples.generate_archive(tmp_path / "b", seed=1, gzip=True, **ARCHIVE)  # type: ignore[arg-type]
    assert [p.relative_to(tmp_path / "a") for p in zipped] == [
        p.relative_to(root).with_name(p.name + ".gz") for p in plain
    ]
    for z, y, p in zip(zipped, again, plain, strict=True):
        assert z.read_bytes() == y.read_bytes()
        assert gzip.decompress(z.read_bytes()) == p.read_bytes()


def test_fetch_schedule_edges(tmp_path: Path) -> None:
    # The step misses end + 1 (2025-01-11), which is added as the last fetch date.
    paths = examples.generate_archive(
        tmp_path, start=D(2025, 1, 1), end=D(2025, 1, 10), window_days=5, export_every_days=7
    )
    assert [p.name for p in paths] == ["copilot-metrics-2025-01-08.json", "copilot-metrics-2025-01-11.json"]
    assert [[day["date"] for day in read_export(p)] for p in paths] == [
        iso(dates(D(2025, 1, 3), D(2025, 1, 7))),
        iso(dates(D(2025, 1, 6), D(2025, 1, 10))),
    ]
    # The scope (None, None) writes straight into root; an all-missing window is an empty array.
    flat = examples.generate_archive(
        tmp_path / "flat",
        scopes=((None, None),),
        start=D(2025, 1, 1),
        end=D(2025, 1, 2),
        export_every_days=1,
        below_threshold=[D(2025, 1, 1)],
    )
    assert flat == [
        tmp_path / "flat" / "copilot-metrics-2025-01-02.json",
        tmp_path / "flat" / "copilot-metrics-2025-01-03.json",
    ]
    assert flat[0].read_text(encoding="utf-8") == "[]"
    assert [day["date"] for day in read_export(flat[1])] == ["2025-01-02"]


@pytest.mark.parametrize(
    "scopes",
    [
        ((None, "platform"),),
        (("octo-org", None), ("octo-org", None)),
        (("octo/org", None),),
        (("octo-org", "_org"),),
    ],
)
def test_archive_rejects_bad_scopes(tmp_path: Path, scopes: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages
        examples.generate_archive(tmp_path, scopes=scopes, start=D(2025, 1, 1), end=D(2025, 1, 2))


def test_archive_rejects_bad_periods(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="window_days"):
        examples.generate_archive(tmp_path, start=D(2025, 1, 1), end=D(2025, 1, 2), window_days=0)


# ---------------------------------------------------------------------------------------------
# The shipped example archive
# ---------------------------------------------------------------------------------------------

SHIPPED_FETCHES = [D(2025, 1, 20) + datetime.timedelta(days=14 * i) for i in range(11)]


def test_shipped_archive_layout_and_size() -> None:
    root = examples.path()
    assert root.is_dir()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert [p.relative_to(root).as_posix() for p in files] == sorted(
        (Path("octo-org") / directory / f"copilot-metrics-{fetch:%Y-%m-%d}.json.gz").as_posix()
        for directory in (".", "teams/platform")
        for fetch in SHIPPED_FETCHES
    )
    assert SHIPPED_FETCHES[-1] == D(2025, 6, 9)
    assert sum(p.stat().st_size for p in files) < 1_500_000


def test_shipped_archive_parses_and_validates(validator: Any) -> None:
    root = examples.path()
    for directory in (".", "teams/platform"):
        covered: set[str] = set()
        versions: dict[str, set[str]] = defaultdict(set)
        for fetch in SHIPPED_FETCHES:
            days = read_export(root / "octo-org" / directory / f"copilot-metrics-{fetch:%Y-%m-%d}.json.gz")
            first = max(D(2025, 1, 6), fetch - datetime.timedelta(days=28))
            expected = [d for d in dates(first, fetch - datetime.timedelta(days=1)) if d != D(2025, 2, 12)]
            assert [day["date"] for day in days] == iso(expected)
            for day in days:
                assert not list(validator.iter_errors(day))
                covered.add(day["date"])
                versions[day["date"]].add(json.dumps(day))
        assert covered == set(iso(dates(D(2025, 1, 6), D(2025, 6, 8)))) - {"2025-02-12"}
        changing = sorted(date for date, texts in versions.items() if len(texts) > 1)
        assert changing == (["2025-03-27"] if directory == "." else ["2025-03-26"])


def test_shipped_archive_is_what_the_generator_makes(tmp_path: Path) -> None:
    # The parameters of scripts/make_example.py: the shipped files must be in sync with the code.
    paths = examples.generate_archive(
        tmp_path,
        seed=0,
        scopes=(ORG, TEAM),
        start=D(2025, 1, 6),
        end=D(2025, 6, 8),
        window_days=28,
        export_every_days=14,
        below_threshold=(D(2025, 2, 12),),
        gzip=True,
        n_languages=30,
    )
    root = examples.path()
    for p in paths:
        shipped = gzip.decompress((root / p.relative_to(tmp_path)).read_bytes())
        assert shipped == gzip.decompress(p.read_bytes()), p  # compressed bytes vary with zlib
