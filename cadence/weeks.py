"""Weeks run Monday to Sunday in the owner's time zone; progress and streaks count by them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
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

    @property
    def on_target(self) -> bool:
        return self.this_week >= self.target

    @property
    def behind_by(self) -> int:
        return max(self.target - self.this_week, 0)


def _week(day: date) -> int:
    """The week a day falls in, counted from the first Monday there is (date(1, 1, 1))."""
    return (day.toordinal() - 1) // 7


def progress(
    held_on: Iterable[date], target: int, today: date, opened: date | None = None
) -> Progress:
    """Progress from the dates interviews were held on, as of `today`. The history starts
    no earlier than the week the question was `opened` in (a local date), or the week of
    its first interview when one was held before that (logged afterwards)."""
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
    streak = 0
    while streak < STREAK_LOOKBACK_WEEKS and per_week[this - streak - 1] >= target:
        streak += 1
    this_week = per_week[this]
    return Progress(this_week, target, history, streak + (this_week >= target))
