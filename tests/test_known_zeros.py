"""Known zeros: an object reporting 0 engaged users without its arrays reports every slice below it as 0.

The API writes a feature nobody used that day as ``{"total_engaged_users": 0}`` with no arrays
(295 of the 301 such blocks in public files). Such a day is a day of zeros for every slice below
the block (users and events alike), at every level of the tree (block, editor, model,
repository). An absent array under an object that reports users, or no count, leaves the slices
unreported; a block that is ``null`` or missing reports nothing. Every expected figure below is
worked out by hand from the days written in the test.
"""

from __future__ import annotations

from typing import Any

import pytest

import copilot_metrics as cm
from helpers import load, one

ZERO: dict[str, Any] = {"total_engaged_users": 0}


def day(date: str, **blocks: Any) -> dict[str, Any]:
    return {"date": date, "total_active_users": 10, "total_engaged_users": 8, **blocks}


def model(name: str = "default", **counts: Any) -> dict[str, Any]:
    return {"name": name, "is_custom_model": False, "custom_model_training_date": None, **counts}


def lang(name: str, users: int, suggestions: int, acceptances: int) -> dict[str, Any]:
    return {
        "name": name,
        "total_engaged_users": users,
        "total_code_suggestions": suggestions,
        "total_code_acceptances": acceptances,
        "total_code_lines_suggested": 2 * suggestions,
        "total_code_lines_accepted": 2 * acceptances,
    }


def completions(users: int, languages: list[dict[str, Any]]) -> dict[str, Any]:
    """A completions block with one editor (vscode) and one model holding ``languages``."""
    return {
        "total_engaged_users": users,
        "languages": [{"name": x["name"], "total_engaged_users": x["total_engaged_users"]} for x in languages],
        "editors": [
            {
                "name": "vscode",
                "total_engaged_users": users,
                "models": [model(total_engaged_users=users, languages=languages)],
            }
        ],
    }


# ----------------------------------------------------------------------------- sums of events


@pytest.mark.parametrize(
    "block",
    [
        pytest.param({"total_engaged_users": 0, "languages": [], "editors": []}, id="empty-arrays"),
        pytest.param(ZERO, id="zero-no-arrays"),
    ],
)
def test_a_day_of_known_zeros_sums_to_zero_not_null(block: dict[str, Any]) -> None:
    ds = load(
        [
            day(
                "2025-05-05",
                copilot_ide_code_completions=block,
                copilot_ide_chat=block,
                copilot_dotcom_chat=block,
                copilot_dotcom_pull_requests=block,
            )
        ]
    )
    total = one(cm.acceptance(ds, by=None))
    assert (
        total["total_code_suggestions"],
        total["total_code_acceptances"],
        total["total_code_lines_suggested"],
        total["total_code_lines_accepted"],
    ) == (0, 0, 0, 0)
    assert (total["acceptance_rate"], total["engaged_users_mean"], total["engaged_users_days_reported"]) == (
        None,
        0.0,
        1,
    )
    chat = one(cm.chat(ds, by=None))
    assert (chat["total_chats"], chat["total_chat_insertion_events"], chat["total_chat_copy_events"]) == (0, 0, 0)
    assert (chat["chat_acceptance_rate"], chat["engaged_users_mean"]) == (None, 0.0)
    assert one(cm.dotcom_chat(ds, by=None))["total_chats"] == 0
    prs = one(cm.pull_requests(ds, by=None))
    assert (prs["total_pr_summaries_created"], prs["engaged_users_mean"]) == (0, 0.0)


def test_weeks_of_totals_only_zero_blocks_sum_to_zero() -> None:
    # like the viewer's org sample: github.com chat and PR summaries are {"total_engaged_users": 0}
    # on most days; one chat on Tue 2024-11-12, one PR summary on Wed 2024-11-20
    chat_day = {"total_engaged_users": 1, "models": [model(total_engaged_users=1, total_chats=1)]}
    pr_day = {
        "total_engaged_users": 1,
        "repositories": [
            {
                "name": "a/b",
                "total_engaged_users": 1,
                "models": [model(total_engaged_users=1, total_pr_summaries_created=1)],
            }
        ],
    }
    days = []
    for d in range(4, 25):  # Mon 2024-11-04 .. Sun 2024-11-24: three ISO weeks
        date = f"2024-11-{d:02d}"
        days.append(
            day(
                date,
                copilot_dotcom_chat=chat_day if d == 12 else ZERO,
                copilot_dotcom_pull_requests=pr_day if d == 20 else ZERO,
            )
        )
    ds = load(days)
    chats = cm.dotcom_chat(ds, by=None, every="1w")
    assert chats["total_chats"].to_list() == [0, 1, 0]
    assert chats["engaged_users_mean"].to_list() == [0.0, pytest.approx(1 / 7), 0.0]
    summaries = cm.pull_requests(ds, by=None, every="1w")
    assert summaries["total_pr_summaries_created"].to_list() == [0, 0, 1]


def test_a_block_with_users_but_no_arrays_leaves_events_unreported() -> None:
    ds = load(
        [
            day(
                "2025-05-05",
                copilot_ide_code_completions={"total_engaged_users": 3},
                copilot_dotcom_chat={"total_engaged_users": 2},
            )
        ]
    )
    total = one(cm.acceptance(ds, by=None))
    assert (total["total_code_suggestions"], total["engaged_users_mean"]) == (None, 3.0)
    assert one(cm.dotcom_chat(ds, by=None))["total_chats"] is None


@pytest.mark.parametrize(
    "blocks", [pytest.param({}, id="missing"), pytest.param({"copilot_ide_code_completions": None}, id="null")]
)
def test_a_null_or_missing_block_reports_nothing(blocks: dict[str, Any]) -> None:
    ds = load(
        [
            day("2025-05-05", copilot_ide_code_completions=completions(3, [lang("go", 3, 10, 4)])),
            day("2025-05-06", **blocks),
        ]
    )
    total = one(cm.acceptance(ds, by=None))
    assert (total["total_code_suggestions"], total["engaged_users_mean"]) == (10, 3.0)
    assert (total["engaged_users_days_reported"], total["engaged_users_days_unreported"]) == (1, 1)
    go = one(cm.acceptance(ds, by="language"), language="go")
    assert (go["engaged_users_mean"], go["engaged_users_days_reported"], go["engaged_users_days_unreported"]) == (
        3.0,
        1,
        1,
    )
    # over the second day alone, nothing is reported: no row, not a row of zeros
    assert cm.acceptance(ds, by=None, start="2025-05-06").height == 0


def test_a_known_zero_day_adds_zero_to_a_slice_with_events_on_other_days() -> None:
    ds = load(
        [
            day("2025-05-05", copilot_ide_code_completions=completions(3, [lang("go", 3, 10, 4)])),
            day("2025-05-06", copilot_ide_code_completions=ZERO),
        ]
    )
    go = one(cm.acceptance(ds, by="language"), language="go")
    assert (go["total_code_suggestions"], go["total_code_acceptances"], go["acceptance_rate"]) == (10, 4, 0.4)
    # users: 3 on Monday, a known 0 on Tuesday
    assert (go["engaged_user_days"], go["engaged_users_mean"], go["engaged_users_peak"]) == (3, 1.5, 3)
    assert (go["engaged_users_days_reported"], go["engaged_users_days_unreported"]) == (2, 0)


# ----------------------------------------------------------------------------- users per slice


def test_a_slice_is_never_above_its_feature_after_a_known_zero_day() -> None:
    # dotcom chat with one model of 1 user, then {"total_engaged_users": 0}: feature mean 0.5, and
    # the model's mean is 0.5 over 2 days, not 1.0 over 1
    ds = load(
        [
            day(
                "2025-05-05",
                copilot_dotcom_chat={"total_engaged_users": 1, "models": [model(total_engaged_users=1, total_chats=4)]},
            ),
            day("2025-05-06", copilot_dotcom_chat=ZERO),
        ]
    )
    feature = one(cm.dotcom_chat(ds, by=None))
    assert (feature["engaged_users_mean"], feature["engaged_users_days_reported"]) == (0.5, 2)
    default = one(cm.dotcom_chat(ds, by="model"), model="default")
    assert (default["engaged_users_mean"], default["engaged_users_days_reported"]) == (0.5, 2)
    assert (default["engaged_users_days_unreported"], default["total_chats"]) == (0, 4)
    assert one(cm.adoption(ds))["dotcom_chat_engaged_users_mean"] == 0.5


def test_language_users_over_every_day_including_a_known_zero_day() -> None:
    # like austenstone's sample: astro is listed on 2 of 3 days; the third day's completions
    # block reports 0 users and no arrays, so astro's mean is over 3 days (6 / 3), not 2 (6 / 2)
    ds = load(
        [
            day("2025-05-05", copilot_ide_code_completions=completions(4, [lang("astro", 4, 8, 2)])),
            day("2025-05-06", copilot_ide_code_completions=completions(2, [lang("astro", 2, 4, 1)])),
            day("2025-05-07", copilot_ide_code_completions=ZERO),
        ]
    )
    astro = one(cm.acceptance(ds, by="language"), language="astro")
    assert (astro["engaged_user_days"], astro["engaged_users_mean"]) == (6, 2.0)
    assert (astro["engaged_users_days_reported"], astro["engaged_users_days_unreported"]) == (3, 0)


def test_an_editor_reporting_zero_users_without_models_reports_its_models_as_zero() -> None:
    vscode = {
        "name": "vscode",
        "total_engaged_users": 2,
        "models": [
            model(total_engaged_users=2, total_chats=6, total_chat_insertion_events=1, total_chat_copy_events=2)
        ],
    }
    ds = load(
        [
            day("2025-05-05", copilot_ide_chat={"total_engaged_users": 2, "editors": [vscode]}),
            day(
                "2025-05-06",
                copilot_ide_chat={"total_engaged_users": 0, "editors": [{"name": "vscode", "total_engaged_users": 0}]},
            ),
            # an editor with users and no models: its models are unknown that day
            day(
                "2025-05-07",
                copilot_ide_chat={"total_engaged_users": 5, "editors": [{"name": "vscode", "total_engaged_users": 5}]},
            ),
        ]
    )
    pair = one(cm.chat(ds, by=("editor", "model")), editor="vscode", model="default")
    assert (pair["engaged_user_days"], pair["engaged_users_mean"]) == (2, 1.0)
    assert (pair["engaged_users_days_reported"], pair["engaged_users_days_unreported"]) == (2, 1)
    assert (pair["total_chats"], pair["chat_acceptance_rate"]) == (6, 0.5)
    editor = one(cm.chat(ds, by="editor"), editor="vscode")
    assert (editor["engaged_user_days"], editor["engaged_users_days_reported"]) == (7, 3)


def test_a_model_reporting_zero_users_without_languages_reports_its_languages_as_zero() -> None:
    zero_model = {"name": "vscode", "total_engaged_users": 0, "models": [model(total_engaged_users=0)]}
    ds = load(
        [
            day("2025-05-05", copilot_ide_code_completions=completions(3, [lang("go", 3, 10, 4)])),
            day(
                "2025-05-06",
                copilot_ide_code_completions={"total_engaged_users": 0, "languages": [], "editors": [zero_model]},
            ),
        ]
    )
    go = one(cm.acceptance(ds, by=("editor", "model", "language")), language="go")
    assert (go["engaged_users_mean"], go["engaged_users_days_reported"]) == (1.5, 2)
    # the same model with users but no languages leaves its languages unreported
    zero_model["total_engaged_users"] = zero_model["models"][0]["total_engaged_users"] = 1
    ds = load(
        [
            day("2025-05-05", copilot_ide_code_completions=completions(3, [lang("go", 3, 10, 4)])),
            day(
                "2025-05-06",
                copilot_ide_code_completions={"total_engaged_users": 1, "languages": [], "editors": [zero_model]},
            ),
        ]
    )
    go = one(cm.acceptance(ds, by=("editor", "model", "language")), language="go")
    assert (go["engaged_users_mean"], go["engaged_users_days_reported"], go["engaged_users_days_unreported"]) == (
        3.0,
        1,
        1,
    )


def test_a_repository_reporting_zero_users_without_models_reports_its_models_as_zero() -> None:
    repo = {
        "name": "a/b",
        "total_engaged_users": 2,
        "models": [model(total_engaged_users=2, total_pr_summaries_created=3)],
    }
    ds = load(
        [
            day("2025-05-05", copilot_dotcom_pull_requests={"total_engaged_users": 2, "repositories": [repo]}),
            day(
                "2025-05-06",
                copilot_dotcom_pull_requests={
                    "total_engaged_users": 0,
                    "repositories": [{"name": "a/b", "total_engaged_users": 0}],
                },
            ),
        ]
    )
    pair = one(cm.pull_requests(ds, by=("repository", "model")), repository="a/b", model="default")
    assert (pair["engaged_users_mean"], pair["engaged_users_days_reported"]) == (1.0, 2)
    assert pair["total_pr_summaries_created"] == 3
