"""Weeks run Monday to Sunday in the owner's time zone; progress and streaks count by them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HISTORY_WEEKS = 4  # completed weeks shown beside this week's progress
STREAK_LOOKBACK_WEEKS = 104


def zone(name: str) -> ZoneInfo:
    """The named zone, or UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(now: datetime, tz: str) -> date:
    return now.astimezone(zone(tz)).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_begins(now: datetime, tz: str) -> datetime:
    """The instant this week began in zone `tz`: its Monday's local midnight."""
    monday = week_start(local_today(now, tz))
    return datetime.combine(monday, time(0), zone(tz)).astimezone(UTC)


@dataclass(frozen=True)
class Progress:
    """How a question's burst is going, as of one day in its owner's zone."""

    this_week: int
    target: int
    history: tuple[tuple[date, int], ...]  # (Monday, interviews) of completed weeks, oldest first
    streak: int  # consecutive weeks on target, this week included once it is on target
    # Completed weeks in a row, the latest first, under target (`behind_weeks`) or with no
    # interview (`idle_weeks`): counted from the first whole week the question was open (or
    # its `counted_from`), paused weeks passed over.
    behind_weeks: int = 0
    idle_weeks: int = 0
    first_week: bool = False  # no whole week since it was opened
    paused_until: date | None = None  # the Monday it resumes, while this week is paused
    back: bool = False  # the first week after a pause

    @property
    def on_target(self) -> bool:
        return self.this_week >= self.target

    @property
    def behind_by(self) -> int:
        return max(self.target - self.this_week, 0)


Pause = tuple[date, date]  # (paused from, the Monday it resumes)


def is_paused(monday: date, pause: Pause | None) -> bool:
    """Whether the week of `monday` is in the pause (its first, partial week included)."""
    return pause is not None and week_start(pause[0]) <= monday < pause[1]


def _week(day: date) -> int:
    """The week a day falls in, counted from the first Monday there is (date(1, 1, 1))."""
    return (day.toordinal() - 1) // 7


def _weeks_back(this_monday: date, pause: Pause | None, since: date) -> Iterable[date]:
    """The completed weeks' Mondays, the latest first, from `since` on, paused ones passed."""
    monday = this_monday - timedelta(weeks=1)
    for _ in range(STREAK_LOOKBACK_WEEKS):
        if monday < since:
            return
        if not is_paused(monday, pause):
            yield monday
        monday -= timedelta(weeks=1)


def _in_a_row(counts: Iterable[int], holds: Callable[[int], bool]) -> int:
    n = 0
    for count in counts:
        if not holds(count):
            break
        n += 1
    return n


def progress(
    held_on: Iterable[date],
    target: int,
    today: date,
    opened: date | None = None,
    pause: Pause | None = None,
    counted_from: date | None = None,
) -> Progress:
    """Progress from the dates interviews were held on, as of `today`, for a question
    opened on `opened` (its owner's day), paused `pause`, counted again from `counted_from`.
    The history starts no earlier than the week it was opened in, or the week of its first
    interview when one was held before that (logged afterwards); so do the weeks behind."""
    held_on = list(held_on)
    per_week = Counter(map(_week, held_on))
    this = _week(today)
    this_monday = week_start(today)
    first = week_start(min([opened, *held_on])) if opened else date.min
    history = tuple(
        (monday, per_week[this - k])
        for k in range(HISTORY_WEEKS, 0, -1)
        if (monday := this_monday - timedelta(weeks=k)) >= first
    )
    count = lambda monday: per_week[_week(monday)]  # noqa: E731
    streak = _in_a_row(map(count, _weeks_back(this_monday, pause, date.min)), target.__le__)
    whole = first + timedelta(weeks=1) if opened else date.min  # its first whole week
    since = max(whole, counted_from or date.min)
    counted = [count(m) for m in _weeks_back(this_monday, pause, since)]
    this_week = per_week[this]
    paused = is_paused(this_monday, pause)
    return Progress(
        this_week,
        target,
        history,
        streak + (this_week >= target and not paused),
        behind_weeks=_in_a_row(counted, target.__gt__),
        idle_weeks=_in_a_row(counted, (0).__eq__),
        first_week=opened is not None and this_monday <= whole,
        paused_until=pause[1] if paused and pause else None,
        back=pause is not None and pause[1] == this_monday,
    )
