"""Unit tests of the candidate pool: the import and the suggestion rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from cadence import pool, schedule, search
from cadence.models import Candidate, Contact, Interview, PersonStatus, Question
from cadence.pool import Contacted, Week, Windows, choose
from cadence.questions import Draft, create

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday morning
SEGMENTS = {"recent sign-ups": "recent_signups", "recent cancellations": "recent_cancellations"}
SIGNUPS, CANCELS = "recent_signups", "recent_cancellations"


def person(id: int, days: float, segment: str = SIGNUPS, company: str = "", name: str = ""):
    return Candidate(
        id=id,
        team_id="T",
        name=name or f"P{id}",
        company=company,
        segment=segment,
        event_at=NOW - timedelta(days=days),
        source="csv",
    )


def question(id: int, segment: str = SIGNUPS, target: int = 3) -> Question:
    return Question(id=id, team_id="T", number=id, segment=segment, weekly_target=target)


def picked(found: dict, question_id: int) -> list[int]:
    return [s.candidate.id for s in found[question_id]]


# -- the rule ----------------------------------------------------------------------------
def test_most_recent_first_up_to_three_or_the_target() -> None:
    people = [person(1, 5), person(2, 1), person(3, 3), person(4, 2)]
    assert picked(choose([question(1)], people, Week(), NOW), 1) == [2, 4, 3]
    assert picked(choose([question(1, target=2)], people, Week(), NOW), 1) == [2, 4]
    assert choose([question(1)], people, Week(), NOW)[1][0].days == 1


def test_recent_segments_only_within_the_window() -> None:
    people = [person(1, 31), person(2, 29), person(3, 45, CANCELS), person(4, 400, "superstars")]
    qs = [question(1), question(2, CANCELS), question(3, "superstars")]
    found = choose(qs, people, Week(), NOW)
    assert (picked(found, 1), picked(found, 2), picked(found, 3)) == ([2], [], [4])
    wider = choose(qs, people, Week(), NOW, Windows(recent=timedelta(days=60)))
    assert (picked(wider, 1), picked(wider, 2)) == ([2, 1], [3])


def test_nobody_contacted_within_the_cooldown() -> None:
    a, b = person(1, 1), person(2, 2)
    a.contacted_at = NOW - timedelta(days=89)
    b.contacted_at = NOW - timedelta(days=91)
    assert picked(choose([question(1)], [a, b], Week(), NOW), 1) == [2]
    short = Windows(cooldown=timedelta(days=30))
    assert picked(choose([question(1)], [a, b], Week(), NOW, short), 1) == [1, 2]


def test_not_a_fit_for_this_question_only() -> None:
    people = [person(1, 1), person(2, 2)]
    week = Week(not_fit=frozenset({(1, 1)}))
    found = choose([question(1), question(2)], people, week, NOW)
    assert picked(found, 1) == [2]
    assert picked(found, 2) == [1]  # a fit for the other question; 2 went to question 1


def test_opted_out_never() -> None:
    a = person(1, 1)
    a.status = PersonStatus.OPTED_OUT.value
    assert picked(choose([question(1)], [a, person(2, 2)], Week(), NOW), 1) == [2]


def test_in_touch_with_another_question_this_week() -> None:
    people = [person(1, 1), person(2, 2)]
    week = Week(contacts={1: {9: frozenset({Contacted.INVITED})}})
    assert picked(choose([question(1)], people, week, NOW), 1) == [2]
    # Suggested for this very question earlier this week: suggested again, the same.
    week = Week(contacts={1: {1: frozenset({Contacted.SUGGESTED})}})
    assert picked(choose([question(1)], people, week, NOW), 1) == [1, 2]
    # A no-show this week waits for next week.
    week = Week(contacts={1: {1: frozenset({Contacted.NO_SHOW})}})
    assert picked(choose([question(1)], people, week, NOW), 1) == [2]


def test_one_person_per_company_a_week() -> None:
    people = [person(1, 1, company="Acme"), person(2, 2, company=" acme "), person(3, 3)]
    assert picked(choose([question(1)], people, Week(), NOW), 1) == [1, 3]
    # Across questions, and with whom anyone was in touch this week.
    found = choose([question(1), question(2)], people, Week(), NOW)
    assert picked(found, 2) == []
    week = Week(contacts={2: {7: frozenset({Contacted.BOOKED})}})
    people[1].contacted_at = NOW - timedelta(days=1)
    assert picked(choose([question(1)], people, week, NOW), 1) == [3]


def test_ties_by_name_then_id_and_deterministic() -> None:
    people = [person(3, 1, name="bea"), person(1, 1, name="Cleo"), person(2, 1, name="Bea")]
    first = choose([question(1)], people, Week(), NOW)
    assert picked(first, 1) == [2, 3, 1]
    again = choose([question(1)], list(reversed(people)), Week(), NOW)
    assert picked(again, 1) == picked(first, 1)


# -- the import --------------------------------------------------------------------------
def rows(text: str) -> list[dict]:
    return pool.read_csv(text)


def test_every_bad_line_is_named_and_nothing_is_stored(db: Session) -> None:
    text = (
        "name,email,company,segment,date,plan\n"
        "Ana Lima,ana@acme.com,Acme,Recent sign-ups,2026-12-01,pro\n"
        ",,Acme,recent_signups,,\n"
        "Bo,bo-at-acme,Acme,churned,2026-12-01,\n"
        "Cy,cy@b.io,B,recent_signups,yesterday,\n"
        "Di,di@b.io,B,recent_signups,2027-01-01,\n"
    )
    done = pool.import_rows(db, "T", rows(text), "csv", SEGMENTS, NOW)
    found = {(p.line, p.code, p.value) for p in done.problems}
    assert found == {
        (2, "no_person", ""),
        (3, "bad_email", ""),
        (3, "no_segment", "churned"),
        (4, "bad_date", ""),
        (5, "future_date", ""),
    }
    assert db.exec(select(Candidate)).all() == []


def test_import_adds_then_updates_never_doubles(db: Session) -> None:
    text = "name,email,company,segment,date,plan\n"
    text += "Ana,ANA@acme.com,Acme,recent sign-ups,2026-12-01,pro\n"
    assert pool.import_rows(db, "T", rows(text), "csv", SEGMENTS, NOW) == pool.Imported(1, 0, 0)
    again = text.replace("pro", "team") + "Bo,bo@b.io,B,superstars,,\nBo,bo@b.io,B2,superstars,,\n"
    assert pool.import_rows(db, "T", rows(again), "file", SEGMENTS, NOW) == pool.Imported(1, 1, 0)
    people = db.exec(select(Candidate).order_by(Candidate.id)).all()
    assert [(c.email, c.company) for c in people] == [("ana@acme.com", "Acme"), ("bo@b.io", "B2")]
    assert '"plan": "team"' in people[0].attributes
    assert people[1].event_at == NOW  # no date: the moment of the import


def test_no_revival_of_opted_out_or_forgotten(db: Session) -> None:
    text = "name,email,segment\nAna,ana@acme.com,superstars\nBo,bo@b.io,superstars\n"
    pool.import_rows(db, "T", rows(text), "csv", SEGMENTS, NOW)
    ana = db.exec(select(Candidate).where(Candidate.email == "ana@acme.com")).one()
    pool.opt_out(db, "T", ana.id, NOW)
    assert pool.forget(db, "T", "BO@b.io")
    done = pool.import_rows(db, "T", rows(text), "csv", SEGMENTS, NOW)
    assert done == pool.Imported(0, 0, 2)
    assert [c.status for c in db.exec(select(Candidate))] == ["opted_out"]


def test_webhook_shapes_and_events(db: Session) -> None:
    items = [
        {"name": "Ana", "email": "ana@acme.com", "event": "Signed Up", "at": "2026-12-06T10:00Z"},
        {
            "type": "track",
            "event": "Subscription Cancelled",
            "userId": "u-7",
            "timestamp": "2026-12-05T08:00:00.000Z",
            "properties": {"plan": "pro"},
            "context": {"traits": {"name": "Bo", "company": {"name": "B Inc"}}},
        },
        {"name": "Cy", "event": "Upgraded"},
    ]
    done = pool.import_rows(db, "T", items, "webhook", SEGMENTS, NOW)
    assert [(p.line, p.code, p.value) for p in done.problems] == [(3, "no_event", "Upgraded")]
    done = pool.import_rows(db, "T", items[:2], "webhook", SEGMENTS, NOW)
    assert done.added == 2
    bo = db.exec(select(Candidate).where(Candidate.external_id == "u-7")).one()
    assert (bo.segment, bo.company, bo.email) == (CANCELS, "B Inc", None)
    # Without an email, the same source and id is the same person.
    assert pool.import_rows(db, "T", items[1:2], "webhook", SEGMENTS, NOW).updated == 1


def test_too_many_lines() -> None:
    text = "name,segment\n" + "".join(f"P{n},superstars\n" for n in range(pool.MAX_LINES + 1))
    with pytest.raises(pool.TooMany):
        pool.read_csv(text)
    assert len(pool.read_csv("Ana Lima, ana@acme.com, Acme, superstars")) == 1


# -- what happens to people, stored ------------------------------------------------------
def open_q(db: Session, segment: str = "superstars") -> Question:
    draft = Draft("Why?", segment=segment, owner_id="UO", channel_id="C1")
    return create(db, "T", draft, "UO", NOW)


def test_suggestions_as_stored_and_a_no_show(db: Session) -> None:
    q = open_q(db)
    text = "name,email,company,segment\nAna,ana@a.io,A,superstars\nBo,bo@b.io,B,superstars\n"
    pool.import_rows(db, "T", rows(text), "csv", SEGMENTS, NOW - timedelta(days=1))
    monday = NOW - timedelta(hours=9)
    found = pool.suggestions(db, "T", [q], NOW, monday)
    ana, bo = (s.candidate for s in found[q.id])
    pool.suggested(db, "T", {q.id: [ana.id, bo.id]}, NOW)
    pool.mark(db, "T", ana.id, q.id, Contacted.BOOKED, NOW)
    assert [s.candidate.id for s in pool.suggestions(db, "T", [q], NOW, monday)[q.id]] == [bo.id]
    interview = Interview(
        team_id="T", question_id=q.id, interviewer_id="UO", candidate_id=ana.id,
        planned_at=NOW, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    db.add(interview)
    db.flush()
    pool.no_show(db, interview, NOW)
    assert db.get(Candidate, ana.id).contacted_at is None
    assert [s.candidate.id for s in pool.suggestions(db, "T", [q], NOW, monday)[q.id]] == [bo.id]
    next_week = NOW + timedelta(days=7)
    later = pool.suggestions(db, "T", [q], next_week, monday + timedelta(days=7))
    assert [s.candidate.id for s in later[q.id]] == [ana.id, bo.id]


def test_forget_keeps_the_interview_not_the_link(db: Session) -> None:
    q = open_q(db)
    pool.import_rows(db, "T", rows("name,email,segment\nAna,ana@a.io,superstars"), "csv", {}, NOW)
    ana = db.exec(select(Candidate)).one()
    pool.mark(db, "T", ana.id, q.id, Contacted.INVITED, NOW)
    interview = Interview(
        team_id="T", question_id=q.id, interviewer_id="UO", candidate_id=ana.id,
        interviewee="Ana", quote="Setup hurts", held_on=NOW.date(), created_at=NOW,
        updated_at=NOW,
    )  # fmt: skip
    db.add(interview)
    db.flush()
    search.sync_interview(db, "T", interview.id)
    assert search.search(db, "T", "Ana").hits
    assert pool.forget(db, "T", "ana@a.io")
    assert not search.search(db, "T", "Ana").hits  # nor in the search index
    db.refresh(interview)
    assert (interview.candidate_id, interview.interviewee, interview.quote) == (
        None,
        "",
        "Setup hurts",
    )
    assert db.exec(select(Candidate)).all() == [] and db.exec(select(Contact)).all() == []
    assert not pool.forget(db, "T", "nobody@x.io")


def test_a_booking_counts_in_progress_and_logging_it_marks_interviewed(db: Session) -> None:
    from cadence import interviews, questions

    q = open_q(db)
    pool.import_rows(db, "T", rows("name,email,segment\nAna,ana@a.io,superstars"), "csv", {}, NOW)
    ana = db.exec(select(Candidate)).one()
    planned, _ = interviews.plan(db, "T", q.id, "", NOW + timedelta(hours=2), "UO", NOW,
                                 candidate_id=ana.id)  # fmt: skip
    assert (planned.interviewee, ana.status) == ("Ana", "booked")
    (o,) = questions.overviews(db, "T", [q], NOW, {})
    assert (o.progress.this_week, o.booked, o.behind_by) == (0, 1, 2)
    (o,) = questions.overviews(db, "T", [q], NOW + timedelta(days=7), {})
    assert o.booked == 0  # last week's plan, never logged: not booked this week
    summary = interviews.Summary(str(q.id), NOW.date().isoformat(), "Ana", insights="Setup hurts")
    interviews.save(db, "T", summary, "UO", NOW, planned.id)
    assert db.get(Candidate, ana.id).status == "interviewed"
    (o,) = questions.overviews(db, "T", [q], NOW, {})
    assert (o.progress.this_week, o.booked) == (1, 0)


def test_the_workspace_purge_deletes_its_pool(db: Session) -> None:
    from cadence import interviews, workspaces
    from cadence.models import Forgotten, Pool

    q = open_q(db)
    text = "name,email,segment\nAna,ana@a.io,superstars\nBo,bo@b.io,superstars"
    pool.import_rows(db, "T", rows(text), "csv", {}, NOW)
    ana = db.exec(select(Candidate).order_by(Candidate.id)).first()
    interviews.plan(db, "T", q.id, "", NOW + timedelta(hours=1), "UO", NOW, candidate_id=ana.id)
    pool.forget(db, "T", "bo@b.io")
    pool.new_secret(db, "T")
    workspaces.uninstalled(db, "T", NOW)
    assert workspaces.purge(db, NOW + timedelta(days=31), timedelta(days=30)) == ["T"]
    for table in (Candidate, Contact, Forgotten, Pool, Interview):
        assert db.exec(select(table)).all() == [], table


def test_one_reminder_run_never_suggests_a_person_to_two_owners(db: Session) -> None:
    week_ago = NOW - timedelta(days=7)
    for owner in ("UO", "UP"):
        create(db, "T", Draft("Why?", segment="superstars", owner_id=owner, channel_id="C1"),
               owner, week_ago)  # fmt: skip
    text = "name,email,company,segment\n" + "".join(
        f"{n},{n}@{n}.io,{n},superstars\n" for n in ("Ana", "Bo", "Cy", "Di")
    )
    pool.import_rows(db, "T", rows(text), "csv", SEGMENTS, NOW - timedelta(days=1))
    zones = {("T", "UO"): "UTC", ("T", "UP"): "UTC"}
    reminders = schedule.due(db, NOW, zones).reminders
    named = [ids for r in reminders for ids in r.suggested.values()]
    assert sorted(len(ids) for ids in named) == [1, 3]  # Monday's first owner gets three
    assert len({c for ids in named for c in ids}) == 4
