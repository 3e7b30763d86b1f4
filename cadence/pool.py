"""The candidate pool: people to interview, imported from a CSV or a webhook, and the rule
that picks who to suggest for each open question this week.

One import path for every source: rows (a CSV's lines or a webhook's JSON objects) are
checked first, every bad one named, and nothing is stored unless all are good. A person is
one row per workspace, found by email or by source and external id; an import updates them,
never doubles them, and never brings back someone who opted out or was forgotten.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence import ids, search
from cadence.models import (
    Candidate,
    Contact,
    Forgotten,
    Interview,
    PersonStatus,
    Pool,
    Question,
    Segment,
)

MAX_LINES = 5_000  # one import
MAX_PER_CALL = 1_000  # one webhook call
MAX_NAME, MAX_EMAIL, MAX_COMPANY, MAX_ID = 200, 254, 200, 200
SECRET_BYTES = 24  # 32 URL-safe characters
MAX_ATTRIBUTES = 2_000  # characters of the free attributes, as JSON
SUGGESTED = 3  # people per question and week, at most (its target, when lower)
RECENT = {Segment.RECENT_SIGNUPS.value, Segment.RECENT_CANCELLATIONS.value}
LOOKED_AT = 200  # latest people of a segment the rule looks through
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Events a webhook sends, mapped to segments (a workspace may add its own).
EVENTS = {
    "signed up": Segment.RECENT_SIGNUPS.value,
    "sign up": Segment.RECENT_SIGNUPS.value,
    "subscription cancelled": Segment.RECENT_CANCELLATIONS.value,
    "subscription canceled": Segment.RECENT_CANCELLATIONS.value,
    "churned": Segment.RECENT_CANCELLATIONS.value,
    "became power user": Segment.SUPERSTARS.value,
}

# A column or key, as typed, and the field it fills; any other is kept as an attribute.
FIELDS = {
    "name": "name",
    "full name": "name",
    "email": "email",
    "e-mail": "email",
    "company": "company",
    "organization": "company",
    "account": "company",
    "segment": "segment",
    "event": "event",
    "date": "at",
    "at": "at",
    "timestamp": "at",
    "id": "external_id",
    "external_id": "external_id",
    "user_id": "external_id",
    "userid": "external_id",
}


class Source:
    CSV = "csv"
    FILE = "file"
    WEBHOOK = "webhook"
    MANUAL = "manual"


class Contacted:
    """The kinds of Contact rows."""

    SUGGESTED = "suggested"
    INVITED = "invited"
    BOOKED = "booked"
    INTERVIEWED = "interviewed"
    NOT_A_FIT = "not_a_fit"
    NO_SHOW = "no_show"


# -- reading rows ------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """A bad line: its number (1 = the first person), a code the Slack layer turns into
    words, and the value it is about when that is not personal (a segment, a column)."""

    line: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class Person:
    line: int
    name: str
    email: str | None
    company: str
    segment: str
    event_at: datetime
    external_id: str | None
    attributes: dict[str, Any]


class TooMany(Exception):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(count)
        self.count, self.limit = count, limit


def read_csv(text: str, limit: int = MAX_LINES) -> list[dict[str, Any]]:
    """The lines of a CSV with a header row, as dicts by column; one line with no header
    that looks like a person ("Ana Lima, ana@acme.com, Acme, recent sign-ups") is read as
    name, email, company, segment, date. Raises TooMany past `limit` lines."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return []
    first = next(csv.reader([lines[0]]))
    if len(lines) == 1 and not any(c.strip().lower() in FIELDS for c in first):
        lines = ["name,email,company,segment,date", *lines]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines)), restkey="_extra"))
    if len(rows) > limit:
        raise TooMany(len(rows), limit)
    return rows


def _segment_item(item: dict[str, Any]) -> dict[str, Any]:
    """Segment's track and identify calls, flattened: traits (and a track's properties)
    as fields, userId as the external id, timestamp as the moment."""
    context = item.get("context") if isinstance(item.get("context"), dict) else {}
    traits = item.get("traits") or context.get("traits") or {}
    props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
    flat = {**props, **(traits if isinstance(traits, dict) else {})}
    if isinstance(flat.get("company"), dict):
        flat["company"] = flat["company"].get("name", "")
    for key, to in (("event", "event"), ("userId", "id"), ("timestamp", "at")):
        if item.get(key) is not None:
            flat.setdefault(to, item[key])
    return flat


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _moment(value: str, now: datetime) -> datetime | None:
    if not value:
        return now
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            at = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _fields(row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(known fields, attributes) of a row, by the FIELDS its keys name."""
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or key == "_extra":
            continue
        to = FIELDS.get(str(key).strip().lower())
        if to is not None:
            known[to] = value
        elif value not in (None, ""):
            extra[str(key).strip()[:100]] = value
    return known, extra


def check(
    rows: Sequence[Mapping[str, Any]],
    segments: Mapping[str, str],
    events: Mapping[str, str],
    now: datetime,
) -> tuple[list[Person], list[Problem]]:
    """People from rows, or the problems of every bad row. `segments` maps names as the
    app shows them (lower-case) to segment keys; `events`, event names to segment keys."""
    people, problems = [], []
    known_segments = {s.value for s in Segment}
    for n, raw in enumerate(rows, 1):
        row = _segment_item(raw) if raw.get("type") in ("track", "identify") else raw
        found, attributes = _fields(row)
        name, email = _text(found.get("name")), _text(found.get("email")).lower()
        company, external = _text(found.get("company")), _text(found.get("external_id"))
        wanted, event = _text(found.get("segment")), _text(found.get("event"))
        segment = wanted.lower().replace(" ", "_")
        segment = segment if segment in known_segments else segments.get(wanted.lower(), "")
        if not wanted and event:
            segment = events.get(event.lower(), "")
        at = _moment(_text(found.get("at")), now)
        bad = [
            Problem(n, "no_person") if not (name or email or external) else None,
            Problem(n, "bad_email") if email and not _EMAIL.match(email) else None,
            Problem(n, "no_segment", wanted) if wanted and not segment else None,
            Problem(n, "no_event", event) if not wanted and event and not segment else None,
            Problem(n, "segment_missing") if not wanted and not event else None,
            Problem(n, "bad_date") if at is None else None,
            Problem(n, "future_date") if at is not None and at > now + timedelta(days=1) else None,
            Problem(n, "too_long") if _too_long(name, email, company, external) else None,
            Problem(n, "too_many_attributes")
            if len(json.dumps(attributes, default=str)) > MAX_ATTRIBUTES
            else None,
        ]
        bad = [p for p in bad if p is not None]
        if bad:
            problems += bad
            continue
        assert at is not None
        person = Person(n, name, email or None, company, segment, at, external or None, attributes)
        people.append(person)
    return people, problems


def _too_long(name: str, email: str, company: str, external: str) -> bool:
    return (
        len(name) > MAX_NAME
        or len(email) > MAX_EMAIL
        or len(company) > MAX_COMPANY
        or len(external) > MAX_ID
    )


# -- storing people ----------------------------------------------------------------------
@dataclass(frozen=True)
class Imported:
    added: int = 0
    updated: int = 0
    refused: int = 0  # opted out or forgotten: not brought back
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def forgotten_digest(team_id: str, email: str | None, source: str, external: str | None) -> str:
    who = f"email:{email}" if email else f"id:{source}:{external}"
    return hashlib.sha256(f"{team_id}\n{who}".encode()).hexdigest()


def settings(s: Session, team_id: str) -> Pool:
    """The workspace's pool settings, the defaults for one never changed (not stored)."""
    return s.get(Pool, team_id) or Pool(team_id=team_id)


def events_of(pool: Pool) -> dict[str, str]:
    """The events the workspace's webhook maps to segments: the defaults and its own."""
    try:
        own = json.loads(pool.events or "{}")
    except ValueError:
        own = {}
    return {**EVENTS, **{str(k).lower(): str(v) for k, v in dict(own).items()}}


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    s: Session, team_id: str, people: Sequence[Person], source: str
) -> tuple[dict[str, Candidate], dict[str, Candidate]]:
    """The people already in the pool, by email and by external id of this source."""
    by_email: dict[str, Candidate] = {}
    by_id: dict[str, Candidate] = {}
    emails = sorted({p.email for p in people if p.email})
    externals = sorted({p.external_id for p in people if p.external_id})
    for chunk in _chunks(emails):
        query = select(Candidate).where(
            Candidate.team_id == team_id, col(Candidate.email).in_(chunk)
        )
        by_email.update((c.email, c) for c in s.exec(query) if c.email)
    for chunk in _chunks(externals):
        query = select(Candidate).where(
            Candidate.team_id == team_id,
            Candidate.source == source,
            col(Candidate.external_id).in_(chunk),
        )
        by_id.update((c.external_id, c) for c in s.exec(query) if c.external_id)
    return by_email, by_id


def _forgotten(s: Session, team_id: str, digests: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(digests)):
        query = select(Forgotten.digest).where(
            Forgotten.team_id == team_id, col(Forgotten.digest).in_(chunk)
        )
        found.update(s.exec(query))
    return found


def store(
    s: Session, team_id: str, people: Sequence[Person], source: str, now: datetime
) -> Imported:
    """Add or update checked people, in the caller's transaction; one who opted out or was
    forgotten is refused. A person twice in one import: the later line wins."""
    if s.get_bind().dialect.name == "postgresql":
        # One import at a time per workspace: two at once would both add the same person.
        s.execute(sa.text("SELECT pg_advisory_xact_lock(2, hashtext(:team))"), {"team": team_id})
    latest = {(p.email or "", p.external_id if not p.email else None): p for p in people}
    people = sorted(latest.values(), key=lambda p: p.line)
    by_email, by_id = _existing(s, team_id, people, source)
    digests = [forgotten_digest(team_id, p.email, source, p.external_id) for p in people]
    gone = _forgotten(s, team_id, set(digests))
    added = updated = refused = 0
    for person, digest in zip(people, digests, strict=True):
        found = (by_email.get(person.email) if person.email else None) or (
            by_id.get(person.external_id) if person.external_id else None
        )
        if digest in gone or (found and found.status == PersonStatus.OPTED_OUT.value):
            refused += 1
            continue
        if found is None:
            found = Candidate(team_id=team_id, source=source, created_at=now, segment="")
            added += 1
        else:
            updated += 1
        _fill(found, person, now)
        s.add(found)
        if found.email:
            by_email[found.email] = found
    _note_import(s, team_id, source, now, (added, updated, refused))
    s.flush()
    return Imported(added, updated, refused)


def _fill(candidate: Candidate, person: Person, now: datetime) -> None:
    candidate.name = person.name or candidate.name
    candidate.email = person.email or candidate.email
    candidate.company = person.company or candidate.company
    candidate.segment = person.segment
    candidate.event_at = person.event_at
    candidate.external_id = person.external_id or candidate.external_id
    kept = json.loads(candidate.attributes or "{}")
    candidate.attributes = json.dumps({**kept, **person.attributes}, default=str)
    candidate.updated_at = now


def _note_import(
    s: Session, team_id: str, source: str, now: datetime, counts: tuple[int, int, int]
) -> None:
    pool = s.get(Pool, team_id) or Pool(team_id=team_id)
    pool.last_import_at = now
    added, updated, refused = counts
    pool.last_import = json.dumps({"source": source, "added": added, "updated": updated,
                                   "refused": refused})  # fmt: skip
    s.add(pool)


def read(
    s: Session,
    team_id: str,
    rows: Sequence[Mapping[str, Any]],
    segments: Mapping[str, str],
    now: datetime,
) -> tuple[list[Person], list[Problem]]:
    """`check` with the workspace's events."""
    return check(rows, segments, events_of(settings(s, team_id)), now)


def import_rows(
    s: Session,
    team_id: str,
    rows: Sequence[Mapping[str, Any]],
    source: str,
    segments: Mapping[str, str],
    now: datetime,
) -> Imported:
    """Check every row and store them all, or none when any is bad: the one path of a
    pasted CSV, a shared file and the webhook."""
    people, problems = read(s, team_id, rows, segments, now)
    if problems:
        return Imported(problems=tuple(problems))
    return store(s, team_id, people, source, now)


# -- the suggestion rule -----------------------------------------------------------------
@dataclass(frozen=True)
class Windows:
    recent: timedelta = timedelta(days=30)  # a sign-up or cancellation this old is recent
    cooldown: timedelta = timedelta(days=90)  # nobody contacted this recently is suggested


@dataclass(frozen=True)
class Week:
    """What happened this week that the rule must respect: each person's contacts by
    question (suggested, invited, booked, no-show), and the not-a-fit marks of any time."""

    contacts: Mapping[int, Mapping[int, frozenset[str]]] = field(default_factory=dict)
    not_fit: frozenset[tuple[int, int]] = frozenset()  # (candidate, question)


@dataclass(frozen=True)
class Suggestion:
    candidate: Candidate
    question_id: int
    days: int  # since the event that put them in the pool


def _company(candidate: Candidate) -> str:
    return " ".join(candidate.company.casefold().split())


def choose(
    questions: Sequence[Question],
    people: Sequence[Candidate],
    week: Week,
    now: datetime,
    windows: Windows = Windows(),
) -> dict[int, list[Suggestion]]:
    """For each question, in the order given: up to SUGGESTED people of its segment (its
    weekly target, when lower), most recent event first, then by name and id. Left out:
    anyone opted out; a recent sign-up or cancellation whose event is older than
    `windows.recent`; anyone contacted within `windows.cooldown`; anyone in touch with
    another question this week, or with this one through a no-show; anyone marked not a fit
    for this question; a second person of a company anyone was in touch with this week.
    Pure: the same data and `now` give the same answer."""
    order = sorted(people, key=lambda c: (-c.event_at.timestamp(), c.name.casefold(), c.id or 0))
    busy: dict[str, int] = {}  # company -> the one person of it in touch this week
    by_id = {c.id: c for c in people}
    for candidate_id, per_question in week.contacts.items():
        if candidate_id in by_id and _company(by_id[candidate_id]) and per_question:
            busy.setdefault(_company(by_id[candidate_id]), candidate_id)
    picked: set[int] = set()
    found: dict[int, list[Suggestion]] = {}
    for q in questions:
        room = min(SUGGESTED, q.weekly_target)
        mine: list[Suggestion] = []
        for c in order:
            if len(mine) >= room:
                break
            if c.segment != q.segment or c.id in picked or not _free(c, q, week, now, windows):
                continue
            company = _company(c)
            if company and busy.get(company, c.id) != c.id:
                continue
            if company:
                busy[company] = c.id
            picked.add(c.id)
            mine.append(Suggestion(c, q.id, (now - c.event_at).days))
        found[q.id] = mine
    return found


def _free(c: Candidate, q: Question, week: Week, now: datetime, windows: Windows) -> bool:
    """Whether the person may be suggested for the question, company aside."""
    if c.status == PersonStatus.OPTED_OUT.value or (c.id, q.id) in week.not_fit:
        return False
    if c.segment in RECENT and now - c.event_at > windows.recent:
        return False
    if c.contacted_at is not None and now - c.contacted_at < windows.cooldown:
        return False
    mine = week.contacts.get(c.id, {})
    if Contacted.NO_SHOW in mine.get(q.id, frozenset()):
        return False
    return not any(kinds for other, kinds in mine.items() if other != q.id)


def windows_of(pool: Pool) -> Windows:
    return Windows(timedelta(days=pool.recent_days), timedelta(days=pool.cooldown_days))


def teams_with_people(s: Session, team_ids: Iterable[str]) -> set[str]:
    """Those of the workspaces whose pool holds anyone (most have none to suggest)."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(team_ids))):
        query = select(Candidate.team_id).where(col(Candidate.team_id).in_(chunk)).distinct()
        found.update(s.exec(query))
    return found


def suggestions(
    s: Session, team_id: str, questions: Sequence[Question], now: datetime, since: datetime
) -> dict[int, list[Suggestion]]:
    """`choose` on the pool as stored: `since`, the start of this week."""
    if not questions:
        return {}
    windows = windows_of(settings(s, team_id))
    people: list[Candidate] = []
    for segment in sorted({q.segment for q in questions}):
        query = select(Candidate).where(
            Candidate.team_id == team_id,
            Candidate.segment == segment,
            Candidate.status != PersonStatus.OPTED_OUT.value,
            sa.or_(
                col(Candidate.contacted_at).is_(None),
                col(Candidate.contacted_at) <= now - windows.cooldown,
            ),
        )
        if segment in RECENT:
            query = query.where(col(Candidate.event_at) >= now - windows.recent)
        asking = sum(q.segment == segment for q in questions)  # a workspace asks for more
        query = query.order_by(col(Candidate.event_at).desc(), col(Candidate.id))
        query = query.limit(LOOKED_AT + SUGGESTED * asking)
        people += s.exec(query)
    return choose(questions, people, week_of(s, team_id, [q.id for q in questions], since), now,
                  windows)  # fmt: skip


def week_of(s: Session, team_id: str, question_ids: Sequence[int], since: datetime) -> Week:
    contacts: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    query = select(Contact.candidate_id, Contact.question_id, Contact.kind).where(
        Contact.team_id == team_id,
        col(Contact.at) >= since,
        col(Contact.kind).in_(
            [Contacted.SUGGESTED, Contacted.INVITED, Contacted.BOOKED, Contacted.NO_SHOW]
        ),
    )
    for candidate_id, question_id, kind in s.exec(query):
        contacts[candidate_id][question_id].add(kind)
    not_fit = s.exec(
        select(Contact.candidate_id, Contact.question_id).where(
            Contact.team_id == team_id,
            Contact.kind == Contacted.NOT_A_FIT,
            col(Contact.question_id).in_(question_ids),
        )
    )
    return Week(
        {c: {q: frozenset(k) for q, k in per.items()} for c, per in contacts.items()},
        frozenset((c, q) for c, q in not_fit),
    )


# -- what happens to a person ------------------------------------------------------------
def get(s: Session, team_id: str, candidate_id: Any) -> Candidate | None:
    number = ids.number(candidate_id)
    found = s.get(Candidate, number) if number else None
    return found if found is not None and found.team_id == team_id else None


def _found(s: Session, team_id: str, candidate_id: Any) -> Candidate:
    found = get(s, team_id, candidate_id)
    if found is None:
        raise LookupError(candidate_id)
    return found


def _contact(s: Session, c: Candidate, question_id: int, kind: str, now: datetime) -> None:
    s.add(Contact(team_id=c.team_id, candidate_id=c.id, question_id=question_id, kind=kind, at=now))


def suggested(s: Session, team_id: str, shown: Mapping[int, Sequence[int]], now: datetime) -> None:
    """The people a reminder suggested (question id -> candidate ids): in touch with that
    question this week, so another owner's reminder does not suggest them too."""
    for question_id, candidate_ids in shown.items():
        for candidate_id in candidate_ids:
            c = get(s, team_id, candidate_id)
            if c is None:
                continue
            _contact(s, c, question_id, Contacted.SUGGESTED, now)
            if c.status == PersonStatus.NEW.value:
                c.status = PersonStatus.SUGGESTED.value
                s.add(c)
    s.flush()


def mark(
    s: Session, team_id: str, candidate_id: Any, question_id: int, kind: str, now: datetime
) -> Candidate:
    """Invited, booked or not a fit for a question; invited and booked start the cooldown."""
    c = _found(s, team_id, candidate_id)
    if c.status == PersonStatus.OPTED_OUT.value:
        raise OptedOut(c)
    _contact(s, c, question_id, kind, now)
    c.status = {
        Contacted.INVITED: PersonStatus.INVITED,
        Contacted.BOOKED: PersonStatus.BOOKED,
        Contacted.NOT_A_FIT: PersonStatus.NOT_A_FIT,
    }[kind].value
    if kind in (Contacted.INVITED, Contacted.BOOKED):
        c.contacted_at = now
    c.updated_at = now
    s.add(c)
    s.flush()
    return c


class OptedOut(Exception):
    def __init__(self, candidate: Candidate) -> None:
        super().__init__(candidate.id)
        self.candidate = candidate


def opt_out(s: Session, team_id: str, candidate_id: Any, now: datetime) -> Candidate:
    """Never suggested again, for any question; an import does not bring them back."""
    c = _found(s, team_id, candidate_id)
    c.status = PersonStatus.OPTED_OUT.value
    c.updated_at = now
    s.add(c)
    s.flush()
    return c


def interviewed(s: Session, interview: Interview, now: datetime) -> None:
    """An interview planned with a person of the pool was logged."""
    c = get(s, interview.team_id, interview.candidate_id)
    if c is None:
        return
    if c.status != PersonStatus.OPTED_OUT.value:
        c.status = PersonStatus.INTERVIEWED.value
    c.contacted_at, c.updated_at = now, now
    s.add(c)
    _contact(s, c, interview.question_id, Contacted.INTERVIEWED, now)
    s.flush()


def no_show(s: Session, interview: Interview, now: datetime) -> None:
    """The person did not come: the planned interview goes (its slot of the week is free
    again) and they may be suggested again from next week on."""
    c = get(s, interview.team_id, interview.candidate_id)
    if c is not None:
        _contact(s, c, interview.question_id, Contacted.NO_SHOW, now)
        if c.status == PersonStatus.BOOKED.value:
            c.status = PersonStatus.NEW.value
        c.contacted_at, c.updated_at = None, now
        s.add(c)
    s.delete(interview)
    s.flush()


def forget(s: Session, team_id: str, email: str) -> bool:
    """Delete a person from the pool on request: their contacts go, interviews keep their
    summary but lose the link and the name; a hash keeps any import from adding them again.
    Whether someone was in the pool."""
    email = email.strip().lower()
    c = s.exec(
        select(Candidate).where(Candidate.team_id == team_id, Candidate.email == email)
    ).first()
    s.merge(Forgotten(team_id=team_id, digest=forgotten_digest(team_id, email, "", None)))
    if c is None:
        s.flush()
        return False
    if c.external_id:
        digest = forgotten_digest(team_id, None, c.source, c.external_id)
        s.merge(Forgotten(team_id=team_id, digest=digest))
    s.execute(sa.delete(Contact).where(Contact.team_id == team_id, Contact.candidate_id == c.id))
    linked = list(
        s.exec(
            select(Interview.id).where(Interview.team_id == team_id, Interview.candidate_id == c.id)
        )
    )
    s.execute(
        sa.update(Interview)
        .where(Interview.team_id == team_id, col(Interview.id).in_(linked))
        .values(candidate_id=None, interviewee="")
    )
    s.delete(c)
    for interview_id in linked:  # the search index forgets their name too
        search.sync_interview(s, team_id, interview_id)
    s.flush()
    return True


# -- the pool at a glance ----------------------------------------------------------------
@dataclass(frozen=True)
class Overview:
    total: int
    by_segment: dict[str, int]
    by_source: dict[str, int]
    by_status: dict[str, int]
    last_import_at: datetime | None
    last_import: dict[str, Any]


def overview(s: Session, team_id: str) -> Overview:
    rows = s.execute(
        sa.select(Candidate.segment, Candidate.source, Candidate.status, sa.func.count())
        .where(Candidate.team_id == team_id)
        .group_by(Candidate.segment, Candidate.source, Candidate.status)
    ).all()
    segments: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for segment, source, status, n in rows:
        segments[segment] += n
        sources[source] += n
        statuses[status] += n
    pool = settings(s, team_id)
    last = json.loads(pool.last_import) if pool.last_import else {}
    return Overview(
        sum(segments.values()), dict(segments), dict(sources), dict(statuses),
        pool.last_import_at, last,
    )  # fmt: skip


# -- the webhook's secret ----------------------------------------------------------------
def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(s: Session, team_id: str) -> str:
    """A new webhook secret for the workspace, shown once: only its hash is kept, and the
    old one stops working."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    pool = s.get(Pool, team_id) or Pool(team_id=team_id)
    pool.webhook_hash = secret_hash(secret)
    s.add(pool)
    s.flush()
    return secret


def has_secret(s: Session, team_id: str) -> bool:
    return settings(s, team_id).webhook_hash is not None


def team_of_secret(s: Session, secret: str) -> str | None:
    """The workspace whose webhook this secret opens, None for any other."""
    found = s.exec(select(Pool.team_id).where(Pool.webhook_hash == secret_hash(secret))).first()
    return found
