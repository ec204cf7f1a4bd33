"""Synthetic, realistic Copilot metrics data: days, export archives and a shipped example.

GitHub closed the ``GET /orgs/{org}/copilot/metrics`` endpoint family, so real archives cannot
be re-fetched and most are private. This module fabricates data in exactly the endpoint's
format (the ``copilot-usage-metrics-day`` schema, with its key names and key order) for tests,
benchmarks, documentation and notebooks:

* :func:`generate_days` builds the API's daily objects. Active users grow slowly over time and
  drop sharply at weekends (some weekend days have no activity at all, but are still present
  with zeros); engaged users never exceed active users; code completions are broken down by
  editor, model (``default`` and, optionally, ``a-custom-model``) and language, IDE chat by
  editor and model, github.com chat by model, pull-request summaries by repository and model.
  About one day in fifteen has one feature block set to ``null``; the C# and C++ languages
  sometimes appear under their aliases ``c#`` and ``c++``; a few JetBrains rows have
  ``total_code_suggestions == 0`` with acceptances, as seen in real data.
* :func:`generate_archive` simulates someone saving the endpoint's response every few days
  for one or more scopes (an organisation, or a team of it), so that the same day appears in
  several overlapping exports, days below the five-licence threshold are missing, and one day
  per scope is corrected between two exports (a late correction, see
  :func:`late_corrections`).
* :func:`path` returns the directory of a small archive of that kind shipped with the package.

Everything is deterministic. The content of a day depends only on the seed, the scope, the
date and the shape options (languages, editors, custom model, revision), never on the range it
was generated in: each day draws from its own :class:`random.Random` seeded with
``f"{seed}|{scope}|{date.isoformat()}"``. Only the standard library is used.

Examples
--------
>>> import datetime
>>> from copilot_metrics import examples
>>> days = examples.generate_days(datetime.date(2025, 3, 3), datetime.date(2025, 3, 9), seed=1)
>>> [day["date"] for day in days][:2]
['2025-03-03', '2025-03-04']
>>> all(day["total_engaged_users"] <= day["total_active_users"] for day in days)
True

"""

from __future__ import annotations

import datetime
import gzip as _gzip
import json
import math
import random
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "DEFAULT_EDITORS",
    "LateCorrection",
    "generate_archive",
    "generate_days",
    "late_corrections",
    "path",
]

Day = dict[str, Any]
"""One ``copilot-usage-metrics-day`` object, as decoded from the API's JSON."""

DEFAULT_EDITORS: tuple[str, ...] = ("vscode", "jetbrains", "neovim", "visualstudio")
"""Editors used when none are given."""

CUSTOM_MODEL_NAME = "a-custom-model"
CUSTOM_MODEL_TRAINING_DATE = "2024-02-01"

# Real language identifiers, most used first; the pool of ``n_languages`` takes a prefix.
_LANGUAGES: tuple[str, ...] = (
    "python", "typescript", "javascript", "go", "java", "typescriptreact", "markdown", "yaml",
    "json", "csharp", "unknown", "ruby", "rust", "cpp", "shellscript", "html", "css", "sql",
    "kotlin", "php", "c", "scala", "dockerfile", "terraform", "swift", "powershell",
    "javascriptreact", "vue", "dart", "lua", "scss", "xml", "plaintext", "jsonc", "makefile",
    "groovy", "r", "perl", "haskell", "elixir",
)  # fmt: skip
_ALIASES = {"csharp": "c#", "cpp": "c++"}

# Per editor: (share of completion users low, high), language coverage, (share of chat users).
_EDITOR_PROFILES: dict[str, tuple[float, float, float, float, float]] = {
    "vscode": (0.70, 0.88, 0.95, 0.80, 0.95),
    "jetbrains": (0.15, 0.30, 0.60, 0.10, 0.25),
    "visualstudio": (0.05, 0.12, 0.40, 0.05, 0.15),
    "neovim": (0.03, 0.08, 0.35, 0.00, 0.05),
}
_OTHER_EDITOR = (0.04, 0.15, 0.40, 0.02, 0.10)
_CUSTOM_MODEL_COVERAGE = 0.45
_REPOSITORY_POOL = 30
_NULL_BLOCK_RATE = 1 / 15
_GROWTH_EPOCH = datetime.date(2024, 1, 1)
_CORRECTION_MIN_AGE_DAYS = 4
_ONE_DAY = datetime.timedelta(days=1)
_FEATURES = (
    "copilot_ide_code_completions",
    "copilot_ide_chat",
    "copilot_dotcom_chat",
    "copilot_dotcom_pull_requests",
)


# --------------------------------------------------------------------------------------------
# Daily objects
# --------------------------------------------------------------------------------------------


def generate_days(
    start: datetime.date,
    end: datetime.date,
    *,
    seed: int = 0,
    scope: str = "octo-org",
    n_languages: int = 30,
    editors: Sequence[str] = DEFAULT_EDITORS,
    custom_model: bool = True,
    below_threshold: Sequence[datetime.date] = (),
    revision: int = 0,
) -> list[Day]:
    """Generate the API's daily metrics objects for every date from `start` to `end`.

    Parameters
    ----------
    start, end
        First and last date, inclusive. An empty list is returned when ``end < start``.
    seed
        Seed of the whole synthetic world.
    scope
        ``"org"`` for an organisation, ``"org/team-slug"`` for a team of it. A team's top-level
        user counts are a subset of its organisation's on the same day (same `seed`):
        ``total_active_users`` and ``total_engaged_users`` never exceed the organisation's.
    n_languages
        Size of the language pool (real identifiers such as ``python``, ``csharp``,
        ``unknown``; synthetic ``language-N`` beyond 40). Each day uses a random subset.
    editors
        Editor names, in output order. Known profiles: ``vscode``, ``jetbrains``,
        ``visualstudio``, ``neovim``; other names get a small generic share.
    custom_model
        Whether ``a-custom-model`` (trained ``2024-02-01``) appears beside ``default`` on
        some editors, some github.com chats and some repositories.
    below_threshold
        Dates left out, as the API does when the scope had fewer than five licences.
    revision
        ``0`` for the numbers as first published. ``n > 0`` applies `n` successive late
        corrections to each day: each adds a little to one row's suggestions and acceptances
        (or, on days without completion rows, to one chat count or to the active users).

    Returns
    -------
    list of dict
        One object per date, in date order, with exactly the schema's key names. A day's
        content depends only on (`seed`, `scope`, date) and the shape options, never on
        `start` or `end`.

    Raises
    ------
    ValueError
        If `n_languages` is below 1, `revision` is negative or `scope` is malformed.

    Examples
    --------
    >>> import datetime
    >>> d = datetime.date(2025, 1, 6)
    >>> day = generate_days(d, d, seed=3)[0]
    >>> list(day)[:3]
    ['date', 'total_active_users', 'total_engaged_users']
    >>> generate_days(d, d, seed=3) == generate_days(d - datetime.timedelta(5), d, seed=3)[-1:]
    True

    """
    maker = _DayMaker(seed=seed, scope=scope, n_languages=n_languages, editors=editors, custom_model=custom_model)
    if revision < 0:
        raise ValueError(f"revision must be >= 0, got {revision}")
    skipped = set(below_threshold)
    return [maker.day(d, revision) for d in _date_range(start, end) if d not in skipped]


def _date_range(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Return the dates from `start` to `end` inclusive (empty when ``end < start``)."""
    return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]


def _growth(d: datetime.date) -> float:
    """Return the slow, logistic growth factor of the licensed population on date `d`."""
    t = (d - _GROWTH_EPOCH).days
    return 0.55 + 0.65 / (1.0 + math.exp(-(t - 240) / 150))


def _org_totals(seed: int, org: str, d: datetime.date) -> tuple[int, int]:
    """Return an organisation's ``(total_active_users, total_engaged_users)`` on day `d`."""
    licences = random.Random(f"{seed}|{org}|licences").randint(180, 420)
    rng = random.Random(f"{seed}|{org}|{d.isoformat()}|totals")
    if d.weekday() >= 5:
        if rng.random() < 0.2:
            return 0, 0
        ratio = rng.uniform(0.04, 0.12)
    else:
        ratio = rng.uniform(0.62, 0.78) * (0.93 if d.weekday() in (0, 4) else 1.0)
    active = round(licences * _growth(d) * ratio)
    return active, round(active * rng.uniform(0.72, 0.9))


def _team_totals(seed: int, scope: str, org: str, d: datetime.date) -> tuple[int, int]:
    """Return a team's top-level user counts on day `d`, a subset of its organisation's."""
    org_active, org_engaged = _org_totals(seed, org, d)
    fraction = random.Random(f"{seed}|{scope}|licences").uniform(0.08, 0.2)
    rng = random.Random(f"{seed}|{scope}|{d.isoformat()}|totals")
    if org_active == 0 or (d.weekday() >= 5 and rng.random() < 0.3):
        return 0, 0
    active = min(org_active, round(org_active * fraction * rng.uniform(0.85, 1.15)))
    return active, min(org_engaged, round(active * rng.uniform(0.7, 0.92)))


def _model(name: str) -> Day:
    """Return the identifying keys of a model object (``default`` or the custom model)."""
    if name == "default":
        return {"name": "default", "is_custom_model": False, "custom_model_training_date": None}
    return {
        "name": name,
        "is_custom_model": True,
        "custom_model_training_date": CUSTOM_MODEL_TRAINING_DATE,
    }


def _share(rand: Callable[[], float], total: int, low: float, high: float) -> int:
    """Return ``round(total * u)`` with `u` uniform in [`low`, `high`], capped at `total`."""
    return min(total, round(total * (low + (high - low) * rand())))


class _DayMaker:
    """Builds the days of one scope; holds the options shared by all its days."""

    def __init__(
        self,
        *,
        seed: int,
        scope: str,
        n_languages: int,
        editors: Sequence[str],
        custom_model: bool,
    ) -> None:
        if n_languages < 1:
            raise ValueError(f"n_languages must be >= 1, got {n_languages}")
        org, _, team = scope.partition("/")
        if not org or "/" in team or (scope.endswith("/") and not team):
            raise ValueError(f"scope must be 'org' or 'org/team', got {scope!r}")
        self.seed = seed
        self.scope = scope
        self.org = org
        self.team = team
        self.editors = tuple(editors)
        self.custom_model = custom_model
        self.pool = [_LANGUAGES[i] if i < len(_LANGUAGES) else f"language-{i + 1}" for i in range(n_languages)]
        # Probability that language i is used at all on a day, and its base reach among users.
        self.presence = [min(0.98, 0.45 + 3.0 / (i + 1)) for i in range(n_languages)]
        self.reach = [0.55 * (i + 1) ** -0.8 for i in range(n_languages)]

    def totals(self, d: datetime.date) -> tuple[int, int]:
        """Return the day's ``(total_active_users, total_engaged_users)``."""
        if self.team:
            return _team_totals(self.seed, self.scope, self.org, d)
        return _org_totals(self.seed, self.org, d)

    def day(self, d: datetime.date, revision: int = 0) -> Day:
        """Return the object of date `d` at the given `revision`."""
        rng = random.Random(f"{self.seed}|{self.scope}|{d.isoformat()}")
        active, engaged = self.totals(d)
        null_block = rng.randrange(len(_FEATURES)) if rng.random() < _NULL_BLOCK_RATE else -1
        day: Day = {"date": d.isoformat(), "total_active_users": active, "total_engaged_users": engaged}
        if active == 0:
            blocks: list[Day] = [
                {"total_engaged_users": 0, "languages": [], "editors": []},
                {"total_engaged_users": 0, "editors": []},
                {"total_engaged_users": 0, "models": []},
                {"total_engaged_users": 0, "repositories": []},
            ]
        else:
            blocks = [
                self.completions(rng, engaged),
                self.ide_chat(rng, engaged),
                self.dotcom_chat(rng, engaged),
                self.pull_requests(rng, engaged),
            ]
        for i, (feature, block) in enumerate(zip(_FEATURES, blocks, strict=True)):
            day[feature] = None if i == null_block else block
        for r in range(1, revision + 1):
            _correct(day, random.Random(f"{self.seed}|{self.scope}|{d.isoformat()}|rev{r}"))
        return day

    def completions(self, rng: random.Random, engaged: int) -> Day:
        """Return the ``copilot_ide_code_completions`` block."""
        rand = rng.random
        total = _share(rand, engaged, 0.8, 0.95)
        scale = min(1.0, (total + 5) / 40)
        languages = [
            (name, min(0.95, self.reach[i] * (0.7 + 0.6 * rand())))
            for i, name in enumerate(self.pool)
            if rand() < self.presence[i] * scale
        ]
        alias_editor = rng.randrange(len(self.editors)) if self.editors and rand() < 0.25 else -1
        editors: list[Day] = []
        by_language: dict[str, list[int]] = {}
        for j, editor in enumerate(self.editors):
            low, high, coverage, _, _ = _EDITOR_PROFILES.get(editor.lower(), _OTHER_EDITOR)
            users = _share(rand, total, low, high)
            with_custom = self.custom_model and j < 2 and rand() < 0.8
            models = [("default", _share(rand, users, 0.85, 1.0) if with_custom else users, coverage)]
            if with_custom:
                models.append((CUSTOM_MODEL_NAME, _share(rand, users, 0.1, 0.3), _CUSTOM_MODEL_COVERAGE))
            quirky = editor.lower().startswith("jetbrains")
            model_objects = []
            for model_name, model_users, model_coverage in models:
                cover = model_coverage * min(1.0, (model_users + 3) / 12)
                rows = [
                    _completion_row(rand, _ALIASES.get(name, name) if j == alias_editor else name, reach, model_users)
                    for name, reach in languages
                    if rand() < cover
                ]
                for row in rows:
                    by_language.setdefault(row["name"], []).append(row["total_engaged_users"])
                    if quirky and row["total_code_acceptances"] and rand() < 0.02:
                        row["total_code_suggestions"] = row["total_code_lines_suggested"] = 0
                model_objects.append({**_model(model_name), "total_engaged_users": model_users, "languages": rows})
            editors.append({"name": editor, "total_engaged_users": users, "models": model_objects})
        top = [
            {
                "name": name,
                "total_engaged_users": max(*users, min(total, round(sum(users) * (0.75 + 0.2 * rand())))),
            }
            for name, users in by_language.items()
        ]
        return {"total_engaged_users": total, "languages": top, "editors": editors}

    def ide_chat(self, rng: random.Random, engaged: int) -> Day:
        """Return the ``copilot_ide_chat`` block."""
        rand = rng.random
        total = _share(rand, engaged, 0.35, 0.65)
        editors: list[Day] = []
        for j, editor in enumerate(self.editors):
            _, _, _, low, high = _EDITOR_PROFILES.get(editor.lower(), _OTHER_EDITOR)
            users = _share(rand, total, low, high)
            if users == 0 and rand() < 0.7:
                continue
            with_custom = self.custom_model and j == 0 and rand() < 0.5
            models = [("default", _share(rand, users, 0.85, 1.0) if with_custom else users)]
            if with_custom:
                models.append((CUSTOM_MODEL_NAME, _share(rand, users, 0.05, 0.25)))
            model_objects = []
            for model_name, model_users in models:
                chats = round(max(model_users, 0.2) * (4 + 18 * rand()))
                model_objects.append(
                    {
                        **_model(model_name),
                        "total_engaged_users": model_users,
                        "total_chats": chats,
                        "total_chat_insertion_events": round(chats * (0.01 + 0.08 * rand())),
                        "total_chat_copy_events": round(chats * (0.04 + 0.16 * rand())),
                    }
                )
            editors.append({"name": editor, "total_engaged_users": users, "models": model_objects})
        return {"total_engaged_users": total, "editors": editors}

    def dotcom_chat(self, rng: random.Random, engaged: int) -> Day:
        """Return the ``copilot_dotcom_chat`` block."""
        rand = rng.random
        total = _share(rand, engaged, 0.12, 0.42)
        models = [{**_model("default"), "total_engaged_users": total}]
        if self.custom_model and rand() < 0.3:
            models.append({**_model(CUSTOM_MODEL_NAME), "total_engaged_users": _share(rand, total, 0.05, 0.2)})
        for model in models:
            model["total_chats"] = round(model["total_engaged_users"] * (1.5 + 5 * rand()))
        return {"total_engaged_users": total, "models": models}

    def pull_requests(self, rng: random.Random, engaged: int) -> Day:
        """Return the ``copilot_dotcom_pull_requests`` block."""
        rand = rng.random
        target = _share(rand, engaged, 0.03, 0.1)
        count = min(_REPOSITORY_POOL, max(1, round(target * (0.3 + 0.5 * rand())))) if target else 0
        repositories: list[Day] = []
        for number in rng.sample(range(1, _REPOSITORY_POOL + 1), count):
            users = max(1, round(target / count * (0.5 + rand())))
            models = [
                {
                    **_model("default"),
                    "total_pr_summaries_created": round(users * (1 + 2 * rand())),
                    "total_engaged_users": users,
                }
            ]
            if self.custom_model and rand() < 0.15:
                custom_users = max(1, round(users * 0.3 * rand()))
                models.append(
                    {
                        **_model(CUSTOM_MODEL_NAME),
                        "total_pr_summaries_created": round(custom_users * (1 + 2 * rand())),
                        "total_engaged_users": custom_users,
                    }
                )
            repositories.append({"name": f"{self.org}/repo-{number}", "total_engaged_users": users, "models": models})
        users_per_repo = [repository["total_engaged_users"] for repository in repositories]
        total = (
            min(engaged, max(*users_per_repo, round(sum(users_per_repo) * (0.8 + 0.2 * rand()))))
            if users_per_repo
            else 0
        )
        return {"total_engaged_users": total, "repositories": repositories}


def _completion_row(rand: Callable[[], float], name: str, reach: float, model_users: int) -> Day:
    """Return one (editor, model, language) row of code-completion counts."""
    users = min(model_users, round(model_users * reach * (0.8 + 0.4 * rand())))
    if users:
        suggestions = round(users * (30 + 80 * rand()))
        acceptances = round(suggestions * (0.18 + 0.24 * rand()))
    else:  # suggestions shown, none accepted
        suggestions = int(8 * rand())
        acceptances = 0
    lines_suggested = round(suggestions * (1.1 + 0.9 * rand()))
    return {
        "name": name,
        "total_engaged_users": users,
        "total_code_suggestions": suggestions,
        "total_code_acceptances": acceptances,
        "total_code_lines_suggested": lines_suggested,
        "total_code_lines_accepted": min(lines_suggested, round(acceptances * (1.0 + 0.7 * rand()))),
    }


def _correct(day: Day, rng: random.Random) -> None:
    """Apply one small late correction to `day` in place.

    The first applicable of: add to one completion row's suggestions and acceptances; add to
    one IDE chat model's chats; add one active user.
    """
    completions = day.get("copilot_ide_code_completions") or {}
    rows = [
        row
        for editor in completions.get("editors", [])
        for model in editor["models"]
        for row in model["languages"]
        if row["total_code_suggestions"] > 0
    ]
    if rows:
        row = rng.choice(rows)
        extra = max(1, round(row["total_code_suggestions"] * rng.uniform(0.01, 0.05)))
        row["total_code_suggestions"] += extra
        row["total_code_acceptances"] += max(1, round(extra * rng.uniform(0.2, 0.5)))
        return
    chat = day.get("copilot_ide_chat") or {}
    models = [model for editor in chat.get("editors", []) for model in editor["models"]]
    if models:
        rng.choice(models)["total_chats"] += rng.randint(1, 5)
        return
    day["total_active_users"] += 1


# --------------------------------------------------------------------------------------------
# Archives
# --------------------------------------------------------------------------------------------


class LateCorrection(NamedTuple):
    """A day whose numbers change between two consecutive exports of a scope.

    Attributes
    ----------
    org, team
        The scope, as given to :func:`generate_archive` (`team` is ``None`` for the org).
    date
        The corrected day.
    fetched_before
        Fetch date of the last export holding the original numbers (revision 0).
    fetched_after
        Fetch date of the first export holding the corrected numbers (revision 1); every later
        export holding the day has them too.

    """

    org: str | None
    team: str | None
    date: datetime.date
    fetched_before: datetime.date
    fetched_after: datetime.date


def _fetch_dates(start: datetime.date, end: datetime.date, every: int) -> list[datetime.date]:
    """Return the fetch dates: every `every` days after `start`, then ``end + 1`` if not hit."""
    if end < start:
        return []
    last = end + _ONE_DAY
    dates = []
    fetch = start + datetime.timedelta(days=every)
    while fetch <= last:
        dates.append(fetch)
        fetch += datetime.timedelta(days=every)
    if not dates or dates[-1] != last:
        dates.append(last)
    return dates


def _window(
    fetch: datetime.date, start: datetime.date, end: datetime.date, window_days: int
) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day held by the export fetched on `fetch`."""
    return max(start, fetch - datetime.timedelta(days=window_days)), min(end, fetch - _ONE_DAY)


def _check_archive_options(
    scopes: Sequence[tuple[str | None, str | None]], window_days: int, export_every_days: int
) -> None:
    """Raise ValueError on options :func:`generate_archive` cannot honour."""
    if window_days < 1 or export_every_days < 1:
        raise ValueError("window_days and export_every_days must be >= 1")
    if len(set(scopes)) != len(scopes):
        raise ValueError(f"duplicate scopes in {list(scopes)!r}")
    for org, team in scopes:
        if org is None and team is not None:
            raise ValueError(f"a team scope needs its org, got team {team!r} without one")
        for name in (org, team):
            if name is not None and (not name or "/" in name or name in {"_org", ".", ".."}):
                raise ValueError(f"invalid org or team name {name!r}")


def late_corrections(
    *,
    scopes: Sequence[tuple[str | None, str | None]] = (("octo-org", None),),
    start: datetime.date,
    end: datetime.date,
    window_days: int = 100,
    export_every_days: int = 7,
    late_correction: bool = True,
    below_threshold: Sequence[datetime.date] = (),
) -> list[LateCorrection]:
    """Return the late corrections :func:`generate_archive` writes for the same options.

    The rule, per scope: let ``F_0 < ... < F_{n-1}`` be the fetch dates (``n >= 2`` needed,
    otherwise the scope has no correction) and ``k = (n - 1) // 2``. The candidates are the days
    held by both exports ``F_k`` and ``F_{k+1}`` that are at least four days old at ``F_k``
    (``date <= F_k - 4 days``) and not below the threshold; the weekdays among them if any.
    Sorted newest first, the scope at position ``i`` of `scopes` takes candidate
    ``i % len(candidates)``, so different scopes usually get different days. The day has its
    original numbers (revision 0) in exports up to ``F_k`` and corrected ones (revision 1) from
    ``F_{k+1}`` on. With no candidate (windows that do not overlap) the scope has none.

    Parameters
    ----------
    scopes, start, end, window_days, export_every_days, late_correction, below_threshold
        As for :func:`generate_archive` (the seed and the day shape do not matter).

    Returns
    -------
    list of LateCorrection
        At most one per scope, in the order of `scopes`; empty if `late_correction` is false.

    """
    _check_archive_options(scopes, window_days, export_every_days)
    fetches = _fetch_dates(start, end, export_every_days)
    if not late_correction or len(fetches) < 2:
        return []
    k = (len(fetches) - 1) // 2
    before, after = fetches[k], fetches[k + 1]
    first = _window(after, start, end, window_days)[0]
    last = min(end, before - datetime.timedelta(days=_CORRECTION_MIN_AGE_DAYS))
    skipped = set(below_threshold)
    candidates = [d for d in reversed(_date_range(first, last)) if d not in skipped]
    candidates = [d for d in candidates if d.weekday() < 5] or candidates
    if not candidates:
        return []
    return [
        LateCorrection(org, team, candidates[i % len(candidates)], before, after)
        for i, (org, team) in enumerate(scopes)
    ]


def generate_archive(
    root: str | Path,
    *,
    seed: int = 0,
    scopes: Sequence[tuple[str | None, str | None]] = (("octo-org", None),),
    start: datetime.date,
    end: datetime.date,
    window_days: int = 100,
    export_every_days: int = 7,
    late_correction: bool = True,
    below_threshold: Sequence[datetime.date] = (),
    gzip: bool = False,
    n_languages: int = 30,
    editors: Sequence[str] = DEFAULT_EDITORS,
) -> list[Path]:
    """Write the files of someone exporting the metrics endpoint regularly.

    Fetch dates are ``start + export_every_days``, ``start + 2 * export_every_days``, ... up to
    ``end + 1 day``, which is always the last fetch date (added if the step misses it). The
    export fetched on ``F`` holds the days from ``max(start, F - window_days)`` to ``F - 1 day``
    (so at most `window_days` days), minus the `below_threshold` dates, as the API's JSON
    array pretty-printed with a 2-space indent (byte-identical to
    ``json.dumps(days, indent=2)``). It is written to
    ``root/{org}/copilot-metrics-{F:%Y-%m-%d}.json`` for an org and
    ``root/{org}/teams/{team}/copilot-metrics-{F:%Y-%m-%d}.json`` for a team (``.json.gz`` when
    `gzip`); the scope ``(None, None)`` writes directly into `root`.

    Days come from :func:`generate_days` with the scope ``org`` (``org/team`` for a team,
    ``octo-org`` when the org is ``None``) and the custom model on, so a day is identical in
    every export holding it, except for the one late correction per scope given by
    :func:`late_corrections`.

    Parameters
    ----------
    root
        Directory to write into (created if needed). Existing files are overwritten.
    seed
        Seed of the synthetic world.
    scopes
        ``(org, team)`` pairs; ``team=None`` is the whole organisation.
    start, end
        First and last day of data.
    window_days
        Days per export (28 before 2025-08-27, then 100).
    export_every_days
        Days between two exports.
    late_correction
        Whether one day per scope changes between two exports (see :func:`late_corrections`).
    below_threshold
        Dates missing from every scope's exports (fewer than five licences).
    gzip
        Write gzip-compressed ``.json.gz`` files (level 6, no file name, mtime 0, so the bytes
        depend only on the content and the zlib version).
    n_languages, editors
        Shape of each day, as for :func:`generate_days`.

    Returns
    -------
    list of Path
        The written files, sorted.

    Raises
    ------
    ValueError
        On duplicate scopes, a team without its org, a name containing ``/``, or a
        non-positive `window_days` or `export_every_days`.

    """
    corrections = {
        (c.org, c.team): c
        for c in late_corrections(
            scopes=scopes,
            start=start,
            end=end,
            window_days=window_days,
            export_every_days=export_every_days,
            late_correction=late_correction,
            below_threshold=below_threshold,
        )
    }
    fetches = _fetch_dates(start, end, export_every_days)
    skipped = set(below_threshold)
    base = Path(root)
    written: list[Path] = []
    for org, team in scopes:
        maker = _DayMaker(
            seed=seed,
            scope=f"{org or 'octo-org'}/{team}" if team else org or "octo-org",
            n_languages=n_languages,
            editors=editors,
            custom_model=True,
        )
        directory = base if org is None else base / org if team is None else base / org / "teams" / team
        directory.mkdir(parents=True, exist_ok=True)
        correction = corrections.get((org, team))
        cache: dict[tuple[datetime.date, int], str] = {}
        for fetch in fetches:
            first, last = _window(fetch, start, end, window_days)
            cache = {key: text for key, text in cache.items() if key[0] >= first}
            texts = []
            for d in _date_range(first, last):
                if d in skipped:
                    continue
                revision = int(correction is not None and d == correction.date and fetch > correction.fetched_before)
                if (d, revision) not in cache:
                    cache[d, revision] = json.dumps(maker.day(d, revision), indent=2).replace("\n", "\n  ")
                texts.append(cache[d, revision])
            text = "[\n  " + ",\n  ".join(texts) + "\n]" if texts else "[]"
            name = f"copilot-metrics-{fetch:%Y-%m-%d}.json"
            if gzip:
                target = directory / f"{name}.gz"
                target.write_bytes(_gzip.compress(text.encode(), compresslevel=6, mtime=0))
            else:
                target = directory / name
                target.write_text(text, encoding="utf-8")
            written.append(target)
    return sorted(written)


def sources() -> list[str]:
    """Path templates of the shipped archive, for :func:`copilot_metrics.load`.

    The org's exports lie in ``{org}/`` and each team's in ``{org}/teams/{team}/``, so the scope
    labels come from the paths.
    """
    root = path()
    return [str(root / "{org}" / "*.json.gz"), str(root / "{org}" / "teams" / "{team}" / "*.json.gz")]


def path() -> Path:
    """Return the directory of the example archive shipped inside the package.

    The archive (generated by ``scripts/make_example.py``, 22 files, about 0.57 MB) holds
    gzip-compressed 28-day exports fetched every 14 days, from 2025-01-20 to 2025-06-09, of
    organisation ``octo-org`` (in ``octo-org/``) and its team ``platform`` (in
    ``octo-org/teams/platform/``), covering 2025-01-06 to 2025-06-08. The day 2025-02-12 is missing
    (below the licence threshold) in both scopes. There is one late correction per scope, made
    between the exports of 2025-03-31 and 2025-04-14: the day 2025-03-27 for the org and the day
    2025-03-26 for the team.

    The folder holds no scope labels: load it with :func:`sources` (path templates), since
    ``cm.load(path())`` refuses an org and its team in two unlabelled folders
    (:class:`copilot_metrics.ScopeError`).  ``copilot-metrics example -o DIR`` writes a copy that
    loads by its folder name alone.

    Returns
    -------
    Path
        A real directory on the file system.

    Raises
    ------
    FileNotFoundError
        If the package was installed without its data.

    """
    try:
        shipped = resources.files("copilot_metrics") / "data" / "example"
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - only without the package
        shipped = None
    if isinstance(shipped, Path) and shipped.is_dir():
        return shipped
    local = Path(__file__).resolve().parent / "data" / "example"
    if local.is_dir():
        return local
    raise FileNotFoundError(f"the example archive is missing from the package (looked in {local})")
