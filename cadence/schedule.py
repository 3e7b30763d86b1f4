"""What is due when: every kind of scheduled send, each declaring when it falls due, what it
sends and its ledger key. `due` asks each kind in KINDS; bot.scheduler renders each send with
its kind's view and sends it once.

The weekly kinds (reminder, nudge, digest) belong to one local week (Monday to Sunday in the
owner's zone) and fall due at a moment of it; from then until the week ends a send is due, so
a tick missed while nothing ran is caught up later in the same week and never in the next.
The others (follow-up, saturation flag) fall due on something that happened, found by their
own query at each tick. The Delivery ledger makes each once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from cadence import (
    deliveries,
    interviews,
    members,
    pool,
    preselection,
    questions,
    saturation,
    snapshots,
    team,
    weeks,
)
from cadence.deliveries import Key
from cadence.members import Prefs
from cadence.models import (
    EPOCH,
    FLAG_PENDING,
    ChannelDigest,
    Delivery,
    Insight,
    Interview,
    Member,
    Question,
    Status,
)
from cadence.pool import Suggestion
from cadence.questions import Overview
from cadence.snapshots import Coded, Snapshot


class Kind(StrEnum):
    """Every kind of scheduled send: its name in the Delivery ledger and in its message's
    metadata. Each has a view in bot.views.cadence.VIEWS, and each that falls due an entry
    in KINDS."""

    REMINDER = "weekly_reminder"
    NUDGE = "nudge"
    FOLLOW_UP = "interview_follow_up"
    DIGEST = "digest"
    INVITE = "digest_invite"  # the bot needs an invitation to a digest's channel
    SNAPSHOT = "digest_snapshot"  # an interview's snapshot in the thread of its digest
    FLAG = "saturation_flag"
    OVERVIEW = "team_overview"  # the Monday roll-up for a member who asked for it


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


def key(team_id: str, kind: Kind, target: str, week: date) -> Key:
    return Key(team_id, kind, target, week.isoformat())


@dataclass(frozen=True)
class Send:
    """One scheduled message: its ledger key, what its kind's view renders, the user it is a
    DM to (None: a post in the channel `key.target`), and what to store with it once sent."""

    key: Key
    what: Any
    dm: str | None
    after: Callable[[Session], None] | None = None


@dataclass(frozen=True)
class OwnerMessage:
    """A weekly reminder or a nudge: one DM to an owner about some of their questions."""

    team_id: str
    owner_id: str
    kind: Kind
    week: date
    overviews: tuple[Overview, ...]
    # The reminder's people to reach out to, by question (cadence.pool's rule).
    suggestions: Mapping[int, Sequence[Suggestion]] = field(default_factory=dict)
    first: bool = False  # the first reminder or nudge the owner gets: what Skip does is said

    @property
    def key(self) -> Key:
        return key(self.team_id, self.kind, self.owner_id, self.week)

    @property
    def suggested(self) -> dict[int, list[int]]:
        """The people it suggests, by question id: noted once it is sent."""
        return {
            q: [s.candidate.id for s in found] for q, found in self.suggestions.items() if found
        }


@dataclass(frozen=True)
class TeamOverview:
    """The Monday roll-up for a member who asked for it, with the week before's totals."""

    team_id: str
    user_id: str
    week: date
    team: team.Team


@dataclass(frozen=True)
class FollowUp:
    """The "how did it go?" DM to the interviewer of a planned interview."""

    interview: Interview
    question: Question


@dataclass(frozen=True)
class Invite:
    """An owner of a digest's question hears that the bot needs an invitation to its channel."""

    channel_id: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Flag:
    """The saturation flag of a question: where it stands, and what its latest run's count
    rests on (None before it has a run)."""

    overview: Overview
    account: preselection.Account | None


@dataclass(frozen=True)
class ThemeInsights:
    name: str
    new: bool  # no interview held before this week had it
    insights: tuple[str, ...]

    @property
    def alone(self) -> bool:
        """One insight that says what the theme's name says (the insight that founded it):
        shown once, not as a label over the same words."""
        return len(self.insights) == 1 and _words(self.insights[0]) == _words(self.name)


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class DigestEntry:
    """One question's week: progress, insights grouped by theme, each interview's snapshot."""

    overview: Overview
    themes: tuple[ThemeInsights, ...]
    snapshots: tuple[Snapshot, ...]

    @property
    def interviews(self) -> int:
        return len(self.snapshots)

    @property
    def insights(self) -> int:
        return sum(len(t.insights) for t in self.themes)


@dataclass(frozen=True)
class Reply:
    """An interview's snapshot, posted in the thread of the digest that listed it."""

    channel_id: str
    thread_ts: str
    snapshot: Snapshot


def reply_key(team_id: str, channel_id: str, thread_ts: str, interview_id: int) -> Key:
    """One reply per interview and digest post: its target is the thread."""
    return Key(team_id, Kind.SNAPSHOT, f"{channel_id}:{thread_ts}", str(interview_id))


@dataclass(frozen=True)
class Digest:
    team_id: str
    channel_id: str
    week: date
    entries: tuple[DigestEntry, ...]

    @property
    def key(self) -> Key:
        return key(self.team_id, Kind.DIGEST, self.channel_id, self.week)

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.overview.question.owner_id for e in self.entries))

    def invites(self) -> list[Send]:
        """When the bot cannot post in the channel: a DM to each owner, once a week."""
        period = f"{self.channel_id}:{self.week.isoformat()}"
        found = []
        for owner in self.owners:
            mine = tuple(
                e.overview.question for e in self.entries if e.overview.question.owner_id == owner
            )
            invite = Invite(self.channel_id, mine)
            found.append(Send(Key(self.team_id, Kind.INVITE, owner, period), invite, owner))
        return found

    def thread(self, ts: str) -> list[Send]:
        """The replies under the digest posted as `ts`: each interview's snapshot, in the
        digest's order."""
        return [
            Send(
                reply_key(self.team_id, self.channel_id, ts, snap.interview.id),
                Reply(self.channel_id, ts, snap),
                None,
            )
            for entry in self.entries
            for snap in entry.snapshots
        ]


@dataclass(frozen=True)
class Due:
    """The sends due at a tick, in the order of KINDS."""

    sends: list[Send]

    def of(self, kind: Kind) -> list:
        """What the sends of `kind` render."""
        return [send.what for send in self.sends if send.key.kind == kind]

    @property
    def reminders(self) -> list[OwnerMessage]:
        return self.of(Kind.REMINDER)

    @property
    def nudges(self) -> list[OwnerMessage]:
        return self.of(Kind.NUDGE)

    @property
    def digests(self) -> list[Digest]:
        return self.of(Kind.DIGEST)


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


Mine = Callable[[str], bool]  # the workspaces a tick sends for (its worker's shards)


def everyone(_team_id: str) -> bool:
    return True


def owners(s: Session, now: datetime, mine: Mine = everyone) -> dict[str, set[str]]:
    """Owners of the open questions the tick looks at now, by workspace (of those `mine`
    accepts): the people whose zones `due` needs."""
    found: dict[str, set[str]] = defaultdict(set)
    query = _candidates(now).with_only_columns(Question.team_id, Question.owner_id)
    for team_id, owner_id in s.execute(query).all():
        if mine(team_id):
            found[team_id].add(owner_id)
    return found


def _ledger(s: Session, keys: set[Key], now: datetime) -> tuple[set[Key], set[Key]]:
    """Of `keys`: those sent (or given up for good), and those claimed by a live process."""
    sent: set[Key] = set()
    live: set[Key] = set()
    if not keys:
        return sent, live
    rows = s.exec(
        select(
            Delivery.team_id, Delivery.kind, Delivery.target, Delivery.period, Delivery.sent_at
        ).where(
            col(Delivery.kind).in_({k.kind for k in keys}),
            col(Delivery.period).in_({k.period for k in keys}),
            col(Delivery.team_id).in_({k.team_id for k in keys}),
            or_(
                col(Delivery.sent_at).is_not(None),
                col(Delivery.claimed_at) >= now - deliveries.LEASE,
            ),
        )
    )
    for team_id, kind, target, period, sent_at in rows:
        (sent if sent_at is not None else live).add(Key(team_id, kind, target, period))
    return sent & keys, live & keys


def _unsettled(s: Session, keys: Iterable[Key], now: datetime) -> set[Key]:
    """Those of `keys` not yet sent nor claimed by a live process: worth rendering."""
    keys = set(keys)
    sent, live = _ledger(s, keys, now)
    return keys - sent - live


@dataclass
class Tick:
    """What `due` reads once for every kind: the open questions whose next check has come,
    their owners' settings and zones; and what the kinds found, which questions have a send
    not yet sent (`pending`: the next tick looks at them again)."""

    s: Session
    now: datetime
    zones: dict[str, dict[str, str]]  # team -> user -> zone: the tick's, cached ones read since
    unreachable: Set[str]
    looked_at: list[Question]
    members: dict[tuple[str, str], Member]
    ready: list[Question]  # reachable, and their owner's zone known to the tick
    waiting: set[int]  # their owner's zone unknown to the tick: the next tick looks
    channels: dict[tuple[str, str], ChannelDigest]  # the digest moments channels set
    pending: set[int] = field(default_factory=set)

    @classmethod
    def read(
        cls,
        s: Session,
        now: datetime,
        zones: dict[tuple[str, str], str],
        unreachable: Set[str],
        mine: Mine = everyone,
    ) -> Tick:
        query = _candidates(now).order_by(col(Question.team_id), col(Question.number))
        looked_at = [q for q in s.exec(query) if mine(q.team_id)]
        found = s.exec(
            select(Member).where(
                col(Member.team_id).in_({q.team_id for q in looked_at}),
                col(Member.user_id).in_({q.owner_id for q in looked_at}),
            )
        )
        reachable = [q for q in looked_at if q.team_id not in unreachable]
        ready = [q for q in reachable if (q.team_id, q.owner_id) in zones]
        waiting = {q.id for q in reachable if (q.team_id, q.owner_id) not in zones}
        by_team: dict[str, dict[str, str]] = defaultdict(dict)
        for (team_id, user), tz in zones.items():
            by_team[team_id][user] = tz
        by_user = {(m.team_id, m.user_id): m for m in found}
        channels = {
            (c.team_id, c.channel_id): c
            for c in s.exec(
                select(ChannelDigest).where(
                    col(ChannelDigest.team_id).in_({q.team_id for q in looked_at}),
                    col(ChannelDigest.channel_id).in_({q.channel_id for q in looked_at}),
                )
            )
        }
        return cls(s, now, by_team, unreachable, looked_at, by_user, ready, waiting, channels)

    def tz(self, q: Question) -> str:
        return self.zones[q.team_id].get(q.owner_id, "UTC")

    def member(self, q: Question) -> Member | None:
        return self.members.get((q.team_id, q.owner_id))

    def prefs(self, q: Question) -> Prefs:
        return Prefs.of(self.member(q))

    def wait(self, qs: Iterable[Question]) -> None:
        """These questions take part in a send not yet sent: looked at again next tick."""
        self.pending.update(q.id for q in qs)


Moment = tuple[int, int, str]  # (day, minute) of a local week in a zone: 0 = Monday


@dataclass(frozen=True)
class Weekly:
    """A kind sent once a week at a moment of each question's week (its owner's, or its
    channel's): a question open before that moment takes part in the send to its target (its
    owner, its channel), and a send due and not yet sent is due until the week ends. A
    skippable kind is muted by "Skip this week" and by a pause."""

    kind: Kind
    when: Callable[[Tick, Question], Moment | None]  # None: the question takes no part
    target: Callable[[Question], str]
    # The sends of the groups due and not sent nor claimed; marks which questions wait.
    make: Callable[[Tick, dict[Key, list[Question]]], list[Send]]
    skippable: bool = True  # "Skip this week" mutes it

    def __call__(self, tick: Tick) -> list[Send]:
        """Its sends due at the tick and neither sent nor claimed by a live process."""
        groups: dict[Key, list[Question]] = defaultdict(list)
        for q in tick.ready:
            when = self.when(tick, q)
            week = when and due_week(tick.now, when[2], *when[:2])
            if not week or (self.skippable and _muted(q, week)):
                continue
            if q.created_at < moment(week, *when):
                groups[key(q.team_id, self.kind, self.target(q), week)].append(q)
        sent, live = _ledger(tick.s, set(groups), tick.now)
        for k in live:
            tick.wait(groups[k])  # its process may die
        settled = sent | live
        unsettled = {k: qs for k, qs in groups.items() if k not in settled}
        sends = {send.key: send for send in self.make(tick, unsettled)}
        return sorted(sends.values(), key=lambda send: (send.key.team_id, send.key.target))


def _muted(q: Question, week: date) -> bool:
    """Skipped or paused that week: no reminder or nudge."""
    return q.skipped_week == week or weeks.is_paused(week, questions.pause_of(q))


def _told(tick: Tick, groups: Iterable[Key]) -> set[tuple[str, str]]:
    """Of the owners of these sends, those who got a reminder or a nudge before."""
    owners = {(k.team_id, k.target) for k in groups}
    if not owners:
        return set()
    found = tick.s.exec(
        select(Delivery.team_id, Delivery.target)
        .where(
            col(Delivery.kind).in_([Kind.REMINDER.value, Kind.NUDGE.value]),
            col(Delivery.team_id).in_({t for t, _ in owners}),
            col(Delivery.target).in_({u for _, u in owners}),
            col(Delivery.sent_at).is_not(None),
        )
        .distinct()
    )
    return set(found) & owners


def _owner_overviews(tick: Tick, groups: dict[Key, list[Question]]) -> dict[int, Overview]:
    """The overviews of the questions of owner messages, by question id."""
    by_team: dict[str, dict[int, Question]] = defaultdict(dict)
    for k, qs in groups.items():
        by_team[k.team_id].update((q.id, q) for q in qs)
    found: dict[int, Overview] = {}
    for team_id, mine in by_team.items():
        zones = tick.zones[team_id]
        for o in questions.overviews(tick.s, team_id, list(mine.values()), tick.now, zones):
            found[o.question.id] = o
    return found


def _owner_message(
    k: Key,
    overviews: tuple[Overview, ...],
    found: Mapping[int, Sequence[Suggestion]] | None = None,
    now: datetime | None = None,
    told: Set[tuple[str, str]] = frozenset(),
) -> Send:
    """A DM to the owner `k.target` about these of their questions, in the week of `k`;
    once sent (at the tick's `now`), the people it suggests are in touch with their
    question this week."""
    week = date.fromisoformat(k.period)
    first = (k.team_id, k.target) not in told
    message = OwnerMessage(
        k.team_id, k.target, Kind(k.kind), week, overviews, found or {}, first=first
    )
    shown = message.suggested
    after = partial(pool.suggested, team_id=k.team_id, shown=shown, now=now) if shown else None
    return Send(k, message, k.target, after)


def _reminders(tick: Tick, groups: dict[Key, list[Question]]) -> list[Send]:
    """Each owner's weekly reminder: every question of theirs that takes part, each with
    the people of the pool to reach out to this week."""
    overview = _owner_overviews(tick, groups)
    told = _told(tick, groups)
    found = _suggestions(tick, groups)
    sends = []
    for k, qs in groups.items():
        tick.wait(qs)
        mine = {q.id: found[q.id] for q in qs if q.id in found}
        sends.append(_owner_message(k, tuple(overview[q.id] for q in qs), mine, tick.now, told))
    return sends


def _suggestions(tick: Tick, groups: dict[Key, list[Question]]) -> dict[int, list[Suggestion]]:
    """The pool's people for every reminder's questions, by question: one choice for all the
    owners of a workspace whose week starts at the same instant (so two of them are not sent
    the same person), and nothing to read for a workspace with an empty pool."""
    with_people = pool.teams_with_people(tick.s, {k.team_id for k in groups})
    weeks: dict[tuple[str, datetime], list[Question]] = defaultdict(list)
    for k, qs in groups.items():
        if k.team_id in with_people:
            since = moment(date.fromisoformat(k.period), 0, 0, tick.tz(qs[0]))
            weeks[(k.team_id, since)] += qs
    found: dict[int, list[Suggestion]] = {}
    for (team_id, since), qs in weeks.items():
        found |= pool.suggestions(tick.s, team_id, qs, tick.now, since)
    return found


def _nudges(tick: Tick, groups: dict[Key, list[Question]]) -> list[Send]:
    """Each owner's mid-week nudge: their questions behind this week's target. A nudge with
    nobody behind is not sent, and not tried again that week."""
    overview = _owner_overviews(tick, groups)
    told = _told(tick, groups)
    sends = []
    for k, qs in groups.items():
        # A booked interview is on its way: only who still has some to find is behind.
        behind = tuple(o for q in qs if (o := overview[q.id]).behind_by)
        if behind:
            tick.wait(qs)
            sends.append(_owner_message(k, behind, told=told))
    return sends


def _channel_questions(tick: Tick, team_id: str, channel_id: str) -> list[Question]:
    """The open questions whose digest goes to the channel; their owners' zones, from the
    cache for those the tick did not look up, join `tick.zones`."""
    qs = list(
        tick.s.exec(
            select(Question)
            .where(
                Question.team_id == team_id,
                Question.channel_id == channel_id,
                Question.status == Status.OPEN.value,
            )
            .order_by(col(Question.number))
        )
    )
    known = tick.zones[team_id]
    others = {q.owner_id for q in qs if q.owner_id not in known}
    for user, (cached, _fresh) in members.zones(tick.s, team_id, others, tick.now).items():
        known[user] = cached
    return qs


def _digests(tick: Tick, groups: dict[Key, list[Question]]) -> list[Send]:
    """A channel gets one digest a week, at its own moment if it set one, else when the last
    of its owners reaches Friday 16:00, so that nobody's week is cut short (that owner's
    question brings it: the others' wait for nothing). Every open question of the channel
    opened before that moment takes part, not only those looked at. It shows its own week,
    however late it goes out."""
    sends = []
    for k, mine in groups.items():
        qs = _channel_questions(tick, k.team_id, k.target)
        week = date.fromisoformat(k.period)
        at = _digest_moment(tick, k, qs, week)
        if at is None or tick.now < at:
            continue
        taking_part = [q for q in qs if q.created_at < at]
        tick.wait([*mine, *taking_part])
        sunday = week + timedelta(days=DAYS - 1)
        zones = tick.zones[k.team_id]
        views = questions.overviews(tick.s, k.team_id, taking_part, tick.now, zones, sunday)
        found = digest(tick.s, k.team_id, k.target, week, views)
        sends.append(Send(found.key, found, None))
    return sends


def _digest_when(tick: Tick, q: Question) -> Moment | None:
    """A question's part in its channel's digest: the channel's moment, else its owner's
    Friday 16:00."""
    if not q.channel_id:
        return None
    chosen = tick.channels.get((q.team_id, q.channel_id))
    if chosen is not None:
        return chosen.day, chosen.minute, chosen.tz
    return DIGEST_DAY, DIGEST_MINUTE, tick.tz(q)


def _digest_moment(tick: Tick, k: Key, qs: Sequence[Question], week: date) -> datetime | None:
    """The moment of the channel's digest in `week`: its own, or the latest of its owners'
    Friday 16:00 (of those whose question was open by then); None when none was."""
    chosen = tick.channels.get((k.team_id, k.target))
    if chosen is not None:
        return moment(week, chosen.day, chosen.minute, chosen.tz)
    owners = [
        at for q in qs if q.created_at < (at := moment(week, DIGEST_DAY, DIGEST_MINUTE, tick.tz(q)))
    ]
    return max(owners, default=None)


def follow_up_key(interview: Interview) -> Key:
    """One follow-up per time an interview is planned."""
    return Key(
        interview.team_id, Kind.FOLLOW_UP, str(interview.id), interview.planned_at.isoformat()
    )


def _follow_ups(tick: Tick) -> list[Send]:
    """The "how did it go?" DM to the interviewer of each planned interview an hour past, not
    yet summarised, and not already sent (the ledger's claim, not this query, makes it once;
    the look only spares a claim each minute for the days it stays awaited)."""
    awaiting = {
        follow_up_key(i): (i, q) for i, q in interviews.awaiting_follow_up(tick.s, tick.now)
    }
    unsettled = _unsettled(tick.s, awaiting, tick.now)
    return [
        Send(k, FollowUp(i, q), i.interviewer_id)
        for k, (i, q) in awaiting.items()
        if k in unsettled
    ]


def flag_key(question: Question) -> Key:
    """The next saturation flag of a question: one per time it becomes saturated."""
    return Key(question.team_id, Kind.FLAG, str(question.id), str(question.flags + 1))


def _flags(tick: Tick) -> list[Send]:
    """Questions that became saturated since their owner was last told (questions.recount
    keeps the state and notes when one stops being saturated); once told, `flagged`."""
    s, now = tick.s, tick.now
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
            u: tick.zones[team_id].get(u) or cached.get(u, ("UTC", False))[0] for u in owners
        }
        found += [
            Flag(o, preselection.account(s, team_id, o.question.id))
            for o in questions.overviews(s, team_id, qs, now, team_zones)
        ]
    return [_flag(f) for f in found]


OVERVIEW_DAY = 0  # Monday, at the member's reminder time


def _team_overviews(tick: Tick) -> list[Send]:
    """The Monday team overview of each member who asked for it, due from their reminder
    time to the end of their Monday (one who asks on a Wednesday gets next Monday's)."""
    s, now = tick.s, tick.now
    wanting = s.exec(
        select(Member).where(
            sa.text("overview"), col(Member.team_id).not_in(list(tick.unreachable))
        )
    )
    due: dict[Key, str] = {}
    for m in wanting:
        tz = tick.zones.get(m.team_id, {}).get(m.user_id) or (
            m.tz if m.fetched_at > EPOCH else "UTC"
        )
        week = due_week(now, tz, OVERVIEW_DAY, m.reminder_minute)
        if week is not None and weeks.local_today(now, tz) == week:
            due[key(m.team_id, Kind.OVERVIEW, m.user_id, week)] = tz
    sends = []
    rolled: dict[str, team.Team] = {}
    for k in sorted(_unsettled(s, due, now)):
        if k.team_id not in rolled:
            rolled[k.team_id] = team.rollup(s, k.team_id, now)
        week = date.fromisoformat(k.period)
        last = week - timedelta(days=DAYS)
        totals = team.totals(
            s,
            k.team_id,
            last,
            week - timedelta(days=1),
            moment(last, 0, 0, due[k]),
            moment(week, 0, 0, due[k]),
        )
        found = team.Team(rolled[k.team_id].owners, totals)
        sends.append(Send(k, TeamOverview(k.team_id, k.target, week, found), k.target))
    return sends


def _flag(flag: Flag) -> Send:
    q = flag.overview.question
    told = partial(flagged, team_id=q.team_id, question_id=q.id, flags=q.flags + 1)
    return Send(flag_key(q), flag, q.owner_id, told)


def _replies(tick: Tick) -> list[Send]:
    """Replies of digest threads that no process is sending: a failure or a death left them
    behind (bot.scheduler sends the others right after their digest). A reply whose
    interview was deleted since is given up."""
    by_team: dict[str, list[Key]] = defaultdict(list)
    for k in deliveries.queued(tick.s, Kind.SNAPSHOT, tick.now):
        by_team[k.team_id].append(k)
    sends = []
    for team_id, keys in by_team.items():
        found = snapshots.of_interviews(tick.s, team_id, [int(k.period) for k in keys])
        by_id = {snap.interview.id: snap for snap in found}
        for k in keys:
            snap = by_id.get(int(k.period))
            if snap is None:
                deliveries.sent(tick.s, k, tick.now)
                continue
            channel, _, ts = k.target.partition(":")
            (shown,) = snapshots.for_channel((snap,))
            sends.append(Send(k, Reply(channel, ts, shown), None))
    return sends


# Every kind of send that falls due, in the order the tick sends them.
KINDS: tuple[Callable[[Tick], list[Send]], ...] = (
    Weekly(
        Kind.REMINDER,
        when=lambda t, q: (p.day, p.minute, t.tz(q)) if (p := t.prefs(q)).reminders else None,
        target=attrgetter("owner_id"),
        make=_reminders,
    ),
    Weekly(
        Kind.NUDGE,
        when=lambda t, q: (NUDGE_DAY, NUDGE_MINUTE, t.tz(q)) if t.prefs(q).nudge else None,
        target=attrgetter("owner_id"),
        make=_nudges,
    ),
    _follow_ups,
    Weekly(
        Kind.DIGEST,
        when=_digest_when,
        target=attrgetter("channel_id"),
        make=_digests,
        skippable=False,
    ),
    _replies,
    _flags,
    _team_overviews,
)
WEEKLY = tuple(kind for kind in KINDS if isinstance(kind, Weekly))


def due(
    s: Session,
    now: datetime,
    zones: dict[tuple[str, str], str],
    unreachable: Set[str] = frozenset(),
    mine: Mine = everyone,
) -> Due:
    """Every send due at `now` and not yet sent, kind by kind.

    Only questions whose `next_check` has come are looked at (`owners` names their owners,
    whose zones the tick looks up: `zones` maps (team, user) to them). Each gets its next
    one: the next moment any of its sends falls due (its owner's zone and settings), or when
    its owner's cached zone goes stale; or the next tick while one of its sends is due and
    not yet sent (a live claim included: its process may die), or while its owner's zone is
    not in `zones` (it became due after the tick asked `owners`). The questions of workspaces
    in `unreachable` (no token to send with) wait an hour. A question takes part in a week's
    send only if it was open before that send's moment, so opening one never triggers a
    catch-up. Only the workspaces `mine` accepts are looked at (a worker's shards); the
    others' questions are left as they are.
    """
    tick = Tick.read(s, now, zones, unreachable, mine)
    # The kinds found by their own queries (follow-ups, flags, replies) see every workspace.
    sends = [send for kind in KINDS for send in kind(tick) if mine(send.key.team_id)]
    for q in tick.looked_at:
        q.checked_at = now
        if q.team_id in unreachable:
            q.next_check = now + UNREACHABLE_RECHECK
        elif q.id in tick.waiting or q.id in tick.pending:
            q.next_check = now
        else:
            q.next_check = _next_check(tick, q)
        s.add(q)
    s.flush()
    return Due(sends)


def _next_moment(now: datetime, tz: str, day: int, minute: int) -> datetime:
    monday = weeks.week_start(weeks.local_today(now, tz))
    at = moment(monday, day, minute, tz)
    return at if at > now else moment(monday + timedelta(days=DAYS), day, minute, tz)


def _next_check(tick: Tick, q: Question) -> datetime:
    """The next moment one of the question's sends falls due, or its owner's cached zone
    goes stale (the tick looks it up again then), whichever comes first."""
    member, now = tick.member(q), tick.now
    stale = member.fetched_at + members.FRESH_FOR if member else now
    moments = [_next_moment(now, w[2], *w[:2]) for k in WEEKLY if (w := k.when(tick, q))]
    return min([max(stale, now + TICK), *moments])


def flagged(s: Session, team_id: str, question_id: int, flags: int) -> None:
    """The owner was told that the question is saturated (the `flags`-th time)."""
    question = questions.get(s, team_id, question_id)
    if question is not None:
        # Saturated as told, unless a recount since said otherwise: then it is news again.
        question.saturated = question.sat_state == saturation.State.SATURATED.value
        question.flags = max(question.flags, flags)
        s.add(question)
        s.flush()


def digest(
    s: Session, team_id: str, channel_id: str, week: date, overviews: Sequence[Overview]
) -> Digest:
    """The week of `week` (its Monday) for these questions: insights by theme, and the
    snapshot of each interview held that week."""
    ids = [o.question.id for o in overviews]
    sunday = week + timedelta(days=DAYS - 1)
    held = s.exec(
        select(Interview.id)
        .where(
            Interview.team_id == team_id,
            col(Interview.question_id).in_(ids),
            col(Interview.held_on) >= week,
            col(Interview.held_on) <= sunday,
        )
        .order_by(col(Interview.held_on), col(Interview.id))
    ).all()
    snaps = snapshots.of_interviews(s, team_id, list(held))
    earlier = _themes_before(s, team_id, ids, week)
    entries = []
    for o in overviews:
        mine = tuple(snap for snap in snaps if snap.question.id == o.question.id)
        grouped: dict[int, list[Coded]] = defaultdict(list)
        for snap in mine:
            for coded in snap.insights:
                grouped[coded.theme_id].append(coded)
        themes = sorted(
            (
                ThemeInsights(found[0].theme, t not in earlier, tuple(c.text for c in found))
                for t, found in grouped.items()
            ),
            key=lambda t: (not t.new, -len(t.insights)),
        )
        # A person of the pool is not named in a channel.
        entries.append(DigestEntry(o, tuple(themes), snapshots.for_channel(mine)))
    return Digest(team_id, channel_id, week, tuple(entries))


def _themes_before(s: Session, team_id: str, ids: Sequence[int], week: date) -> set[int]:
    """The themes these questions had from interviews held before `week`."""
    return set(
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
