"""What is due when: the weekly reminder, the mid-week nudge and the Friday digest.

Each send belongs to one local week (Monday to Sunday in the owner's zone) and falls due at a
moment of it; from then until the week ends it is due, so a tick missed while nothing ran is
caught up later in the same week and never in the next. The Delivery ledger makes it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from cadence import deliveries, members, pool, questions, saturation, weeks
from cadence.members import Prefs
from cadence.models import (
    FLAG_PENDING,
    Delivery,
    Insight,
    Interview,
    Member,
    Question,
    Status,
    Theme,
)
from cadence.pool import Suggestion
from cadence.questions import Overview

REMINDER = "weekly_reminder"
NUDGE = "nudge"
DIGEST = "digest"
FOLLOW_UP = "interview_follow_up"
FLAG = "saturation_flag"

NUDGE_DAY, NUDGE_MINUTE = 3, 9 * 60  # Thursday 09:00
DIGEST_DAY, DIGEST_MINUTE = 4, 16 * 60  # Friday 16:00
DAYS = 7
MINUTES = 24 * 60


def moment(monday: date, day: int, minute: int, tz: str) -> datetime:
    """The instant of `day` (0 = Monday) at `minute` past local midnight in the week of
    `monday`; a wall time that a DST change skips counts as the hour after it."""
    hour, minute = divmod(minute, 60)
    local = datetime.combine(monday + timedelta(days=day), time(hour, minute), weeks.zone(tz))
    return local.astimezone(UTC)


def due_week(now: datetime, tz: str, day: int, minute: int) -> date | None:
    """Monday of the local week at `now` if its moment (day, minute) has come, else None."""
    monday = weeks.week_start(weeks.local_today(now, tz))
    return monday if now >= moment(monday, day, minute, tz) else None


def key(team_id: str, kind: str, target: str, week: date) -> deliveries.Key:
    return (team_id, kind, target, week.isoformat())


@dataclass(frozen=True)
class OwnerMessage:
    """A weekly reminder or a nudge: one DM to an owner about some of their questions."""

    team_id: str
    owner_id: str
    kind: str
    week: date
    overviews: tuple[Overview, ...]
    # The reminder's people to reach out to, by question (cadence.pool's rule).
    suggestions: Mapping[int, Sequence[Suggestion]] = field(default_factory=dict)

    @property
    def key(self) -> deliveries.Key:
        return key(self.team_id, self.kind, self.owner_id, self.week)

    @property
    def suggested(self) -> dict[int, list[int]]:
        """The people it suggests, by question id: noted once it is sent."""
        return {
            q: [s.candidate.id for s in found] for q, found in self.suggestions.items() if found
        }


@dataclass(frozen=True)
class ThemeInsights:
    name: str
    new: bool  # no interview held before this week had it
    insights: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    text: str
    interviewee: str


@dataclass(frozen=True)
class DigestEntry:
    """One question's week: progress, insights grouped by theme, memorable quotes."""

    overview: Overview
    interviews: int
    themes: tuple[ThemeInsights, ...]
    quotes: tuple[Quote, ...]

    @property
    def insights(self) -> int:
        return sum(len(t.insights) for t in self.themes)


@dataclass(frozen=True)
class Digest:
    team_id: str
    channel_id: str
    week: date
    entries: tuple[DigestEntry, ...]

    @property
    def key(self) -> deliveries.Key:
        return key(self.team_id, DIGEST, self.channel_id, self.week)

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.overview.question.owner_id for e in self.entries))


@dataclass
class Due:
    reminders: list[OwnerMessage] = field(default_factory=list)
    nudges: list[OwnerMessage] = field(default_factory=list)
    digests: list[Digest] = field(default_factory=list)
    flags: list[Overview] = field(default_factory=list)  # questions newly saturated


UNREACHABLE_RECHECK = timedelta(hours=1)  # a workspace the tick has no client for
TICK = timedelta(minutes=1)


def _candidates(now: datetime):
    """Open questions whose next check has come, or was worked out at a later instant than
    `now` (a tick ahead of the clock: its next checks are not trusted)."""
    is_open = Question.status == Status.OPEN.value
    # A union, not an OR: each half reads its own partial index (SQLite scans for an OR).
    ids = sa.union(
        sa.select(Question.id).where(is_open, col(Question.next_check) <= now),
        sa.select(Question.id).where(is_open, col(Question.checked_at) > now),
    ).subquery()
    return select(Question).where(col(Question.id).in_(sa.select(ids.c.id)))


def owners(s: Session, now: datetime) -> dict[str, set[str]]:
    """Owners of the open questions the tick looks at now, by workspace: the people whose
    zones `due` needs."""
    found: dict[str, set[str]] = defaultdict(set)
    query = _candidates(now).with_only_columns(Question.team_id, Question.owner_id)
    for team_id, owner_id in s.execute(query).all():
        found[team_id].add(owner_id)
    return found


def _ledger(s: Session, keys: set[deliveries.Key], now: datetime) -> tuple[set, set]:
    """Of `keys`: those sent (or given up for good), and those claimed by a live process."""
    sent, live = set(), set()
    if not keys:
        return sent, live
    rows = s.exec(
        select(
            Delivery.team_id, Delivery.kind, Delivery.target, Delivery.period, Delivery.sent_at
        ).where(
            col(Delivery.kind).in_({k[1] for k in keys}),
            col(Delivery.period).in_({k[3] for k in keys}),
            col(Delivery.team_id).in_({k[0] for k in keys}),
            or_(
                col(Delivery.sent_at).is_not(None),
                col(Delivery.claimed_at) >= now - deliveries.LEASE,
            ),
        )
    )
    for team_id, kind, target, period, sent_at in rows:
        (sent if sent_at is not None else live).add((team_id, kind, target, period))
    return sent & keys, live & keys


def _unsettled(s: Session, keys: Iterable[deliveries.Key], now: datetime) -> set:
    """Those of `keys` not yet sent nor claimed by a live process: worth rendering."""
    keys = set(keys)
    sent, live = _ledger(s, keys, now)
    return keys - sent - live


def _moments(q: Question, p: Prefs) -> list[tuple[str, int, int]]:
    """The sends a question takes part in: (kind, day, minute) of each."""
    found = []
    if p.reminders:
        found.append((REMINDER, p.day, p.minute))
    if p.nudge:
        found.append((NUDGE, NUDGE_DAY, NUDGE_MINUTE))
    if q.channel_id:
        found.append((DIGEST, DIGEST_DAY, DIGEST_MINUTE))
    return found


def _next_moment(now: datetime, tz: str, day: int, minute: int) -> datetime:
    monday = weeks.week_start(weeks.local_today(now, tz))
    at = moment(monday, day, minute, tz)
    return at if at > now else moment(monday + timedelta(days=DAYS), day, minute, tz)


def due(
    s: Session,
    now: datetime,
    zones: dict[tuple[str, str], str],
    unreachable: Set[str] = frozenset(),
) -> Due:
    """Every reminder, nudge and digest due at `now` and not yet sent, and every saturation
    flag not yet given.

    Only questions whose `next_check` has come are looked at (`owners` names their owners,
    whose zones the tick looks up: `zones` maps (team, user) to them). Each gets its next
    one: the next moment any of its sends falls due (its owner's zone and settings), or when
    its owner's cached zone goes stale; or the next tick while one of its sends is due and
    not yet sent (a live claim included: its process may die), or while its owner's zone is
    not in `zones` (it became due after the tick asked `owners`). The questions of workspaces
    in `unreachable` (no token to send with) wait an hour. A question takes part in a week's
    send only if it was open before that send's moment, so opening one never triggers a
    catch-up. A nudge with nobody behind is not sent, and not tried again that week.
    """
    looked_at = list(s.exec(_candidates(now).order_by(col(Question.team_id), col(Question.number))))
    members_of = {
        (m.team_id, m.user_id): m
        for m in s.exec(
            select(Member).where(
                col(Member.team_id).in_({q.team_id for q in looked_at}),
                col(Member.user_id).in_({q.owner_id for q in looked_at}),
            )
        )
    }
    zone = dict(zones)  # and, below, the cached zones of other owners sharing a digest

    def tz(q: Question) -> str:
        return zone.get((q.team_id, q.owner_id), "UTC")

    # (kind, team, target, week) -> questions that take part
    wanted: dict[tuple[str, str, str, date], list[Question]] = defaultdict(list)
    channels: dict[deliveries.Key, list[Question]] = defaultdict(list)  # by digest key
    waiting: set[int] = set()  # owner's zone unknown to this tick: the next tick looks
    for q in looked_at:
        q.checked_at = now
        if q.team_id in unreachable:
            continue
        if (q.team_id, q.owner_id) not in zone:
            waiting.add(q.id)
            continue
        p = Prefs.of(members_of.get((q.team_id, q.owner_id)))
        for kind, day, minute in _moments(q, p):
            week = due_week(now, tz(q), day, minute)
            if week is None or (kind != DIGEST and q.skipped_week == week):
                continue
            if q.created_at >= moment(week, day, minute, tz(q)):
                continue
            if kind == DIGEST:
                channels[key(q.team_id, DIGEST, q.channel_id, week)].append(q)
            else:
                wanted[(kind, q.team_id, q.owner_id, week)].append(q)
    pending: set[int] = set()  # questions with a send not yet sent: looked at next tick
    sent, live = _ledger(s, set(channels), now)
    # A shared channel gets one digest, when the first of its owners reaches Friday 16:00:
    # every open question of the channel takes part, not only those looked at.
    for digest_key, mine in channels.items():
        if digest_key in sent:
            continue
        pending.update(q.id for q in mine)
        if digest_key in live:
            continue
        team_id, _, channel_id, _ = digest_key
        qs = list(
            s.exec(
                select(Question)
                .where(
                    Question.team_id == team_id,
                    Question.channel_id == channel_id,
                    Question.status == Status.OPEN.value,
                )
                .order_by(col(Question.number))
            )
        )
        others = {q.owner_id for q in qs if (team_id, q.owner_id) not in zone}
        for user, (cached, _fresh) in members.zones(s, team_id, others, now).items():
            zone[(team_id, user)] = cached
        firsts = [
            (at, w)
            for q in qs
            if (w := due_week(now, tz(q), DIGEST_DAY, DIGEST_MINUTE)) is not None
            and q.created_at < (at := moment(w, DIGEST_DAY, DIGEST_MINUTE, tz(q)))
        ]
        if firsts:
            first, week = min(firsts)
            wanted[(DIGEST, team_id, channel_id, week)] = [q for q in qs if q.created_at < first]

    owner_keys = {key(t, k, target, w) for k, t, target, w in wanted if k != DIGEST}
    sent, live = _ledger(s, owner_keys, now)
    team_zones: dict[str, dict[str, str]] = defaultdict(dict)
    for (team_id, user), zone_name in zone.items():
        team_zones[team_id][user] = zone_name
    to_render: dict[tuple[str, str, str, date], list[Question]] = {}
    for (kind, team_id, target, week), qs in wanted.items():
        k = key(team_id, kind, target, week)
        if kind != DIGEST and k in sent:
            continue
        if kind != DIGEST and k in live:
            pending.update(q.id for q in qs)
            continue
        to_render[(kind, team_id, target, week)] = qs
    by_team: dict[str, dict[int, Question]] = defaultdict(dict)
    for (kind, team_id, _, _), qs in to_render.items():
        if kind != DIGEST:
            by_team[team_id].update((q.id, q) for q in qs)
    overview: dict[int, Overview] = {}
    for team_id, mine in by_team.items():
        for o in questions.overviews(s, team_id, list(mine.values()), now, team_zones[team_id]):
            overview[o.question.id] = o

    result = Due()
    for (kind, team_id, target, week), qs in sorted(to_render.items(), key=lambda kv: kv[0][:3]):
        if kind == DIGEST:  # as of its own week, however late it goes out
            sunday = week + timedelta(days=DAYS - 1)
            views = questions.overviews(s, team_id, qs, now, team_zones[team_id], sunday)
            result.digests.append(digest(s, team_id, target, week, views))
        elif kind == REMINDER:
            views = [overview[q.id] for q in qs]
            since = moment(week, 0, 0, tz(qs[0]))
            found = pool.suggestions(s, team_id, [o.question for o in views], now, since)
            message = OwnerMessage(team_id, target, kind, week, tuple(views), found)
            result.reminders.append(message)
        else:
            # A booked interview is on its way: only who still has some to find is behind.
            behind = tuple(o for q in qs if (o := overview[q.id]).behind_by)
            if not behind:
                continue
            result.nudges.append(OwnerMessage(team_id, target, kind, week, behind))
        pending.update(q.id for q in qs)
    for q in looked_at:
        q.checked_at = now
        if q.team_id in unreachable:
            q.next_check = now + UNREACHABLE_RECHECK
        elif q.id in waiting or q.id in pending:
            q.next_check = now
        else:
            q.next_check = _next_check(q, members_of.get((q.team_id, q.owner_id)), tz(q), now)
        s.add(q)
    s.flush()
    result.flags = _flags(s, now, zones)
    return result


def _next_check(q: Question, member: Member | None, tz: str, now: datetime) -> datetime:
    """The next moment one of the question's sends falls due, or its owner's cached zone
    goes stale (the tick looks it up again then), whichever comes first."""
    stale = member.fetched_at + members.FRESH_FOR if member else now
    moments = [
        _next_moment(now, tz, day, minute) for _, day, minute in _moments(q, Prefs.of(member))
    ]
    return min([max(stale, now + TICK), *moments])


def flag_key(question: Question) -> deliveries.Key:
    """The next saturation flag of a question: one per time it becomes saturated."""
    return (question.team_id, FLAG, str(question.id), str(question.flags + 1))


def _flags(s: Session, now: datetime, zones: dict[tuple[str, str], str]) -> list[Overview]:
    """Questions that became saturated since their owner was last told (questions.recount
    keeps the state and notes when one stops being saturated)."""
    news = list(s.exec(select(Question).where(sa.text(FLAG_PENDING)).order_by(col(Question.id))))
    unsettled = _unsettled(s, (flag_key(q) for q in news), now)
    by_team: dict[str, list[Question]] = defaultdict(list)
    for q in news:
        if flag_key(q) in unsettled:
            by_team[q.team_id].append(q)
    found = []
    for team_id, qs in by_team.items():
        owners = {q.owner_id for q in qs}
        cached = members.zones(s, team_id, owners, now)
        team_zones = {
            u: zones.get((team_id, u)) or cached.get(u, ("UTC", False))[0] for u in owners
        }
        found += questions.overviews(s, team_id, qs, now, team_zones)
    return found


def flagged(s: Session, team_id: str, question_id: int, flags: int) -> None:
    """The owner was told that the question is saturated (the `flags`-th time)."""
    question = questions.get(s, team_id, question_id)
    if question is not None:
        # Saturated as told, unless a recount since said otherwise: then it is news again.
        question.saturated = question.sat_state == saturation.State.SATURATED.value
        question.flags = max(question.flags, flags)
        s.add(question)
        s.flush()


QUOTE_CHARS = 280  # a quote longer than a sentence or two is cut in the digest


def digest(
    s: Session, team_id: str, channel_id: str, week: date, overviews: Sequence[Overview]
) -> Digest:
    """The week of `week` (its Monday) for these questions: insights by theme, quotes."""
    ids = [o.question.id for o in overviews]
    sunday = week + timedelta(days=DAYS - 1)
    held = list(
        s.exec(
            select(Interview)
            .where(
                Interview.team_id == team_id,
                col(Interview.question_id).in_(ids),
                col(Interview.held_on) >= week,
                col(Interview.held_on) <= sunday,
            )
            .order_by(col(Interview.held_on), col(Interview.id))
        )
    )
    order = {i.id: n for n, i in enumerate(held)}
    insights = sorted(
        s.exec(
            select(Insight).where(
                Insight.team_id == team_id, col(Insight.interview_id).in_(list(order))
            )
        ),
        key=lambda i: (order[i.interview_id], i.id),
    )
    earlier = set(
        s.exec(
            select(Insight.theme_id)
            .join(Interview, col(Insight.interview_id) == Interview.id)
            .where(
                Insight.team_id == team_id,
                col(Interview.question_id).in_(ids),
                col(Interview.held_on) < week,
            )
        )
    )
    names = dict(
        s.exec(
            select(Theme.id, Theme.name).where(
                Theme.team_id == team_id, col(Theme.id).in_({i.theme_id for i in insights})
            )
        ).all()
    )
    question_of = {i.id: i.question_id for i in held}
    grouped: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for insight in insights:
        grouped[question_of[insight.interview_id]][insight.theme_id].append(insight.text)
    entries = []
    for o in overviews:
        mine = [i for i in held if i.question_id == o.question.id]
        themes = sorted(
            (
                ThemeInsights(names.get(t, ""), t not in earlier, tuple(texts))
                for t, texts in grouped[o.question.id].items()
            ),
            key=lambda t: (not t.new, -len(t.insights)),
        )
        # A person of the pool is not named in a channel.
        quotes = tuple(
            Quote(_cut(i.quote), "" if i.candidate_id else i.interviewee)
            for i in mine
            if i.quote.strip()
        )
        entries.append(DigestEntry(o, len(mine), tuple(themes), quotes))
    return Digest(team_id, channel_id, week, tuple(entries))


def _cut(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def digest_now(s: Session, team_id: str, channel_id: str, now: datetime, tz: str) -> Digest | None:
    """This week so far (in the caller's zone `tz`) for the questions that send their digest
    to `channel_id`, None when none does; on demand, so it is not the week's digest. Owners'
    weeks use their cached zones, else `tz`."""
    chosen = [q for q in questions.open_questions(s, team_id) if q.channel_id == channel_id]
    if not chosen:
        return None
    owners = {q.owner_id for q in chosen}
    cached = members.zones(s, team_id, owners, now)
    zones = {u: cached[u][0] if u in cached else tz for u in owners}
    overviews = questions.overviews(s, team_id, chosen, now, zones)
    week = weeks.week_start(weeks.local_today(now, tz))
    return digest(s, team_id, channel_id, week, overviews)


class WeekOver(Exception):
    """A "Skip this week" pressed on a message of a week that has ended."""


def skip(s: Session, team_id: str, question_id: int, user_id: str, week: date, today: date):
    """Mute a question's reminder and nudge for the rest of `week`; only its owner may."""
    question = questions.owned(s, team_id, question_id, user_id)
    if week != weeks.week_start(today):
        raise WeekOver(week)
    question.skipped_week = week
    s.add(question)
    s.flush()
    return question
