"""Every query a request makes can use an index (PostgreSQL's EXPLAIN, sequential scans
turned off: a plan that still scans a table has no index to use)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from cadence import (
    codebook,
    deliveries,
    export,
    interviews,
    members,
    preselection,
    questions,
    schedule,
    search,
    snapshots,
)
from cadence.db import make_engine, migrate, session
from cadence.interviews import Summary
from cadence.matching import default_matcher
from cadence.models import Decision
from cadence.questions import Draft

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
TEAM, OWNER = "TINDEX", "UOWNER"


def request_path(s) -> None:
    """What the listeners call into the core: list, status, Home, a summary and its coding,
    the codebook, a digest on demand, settings, an event's dedupe."""
    q = questions.create(s, TEAM, Draft("Why?", "", "other", OWNER, "C1", "3"), OWNER, NOW)
    for day in range(1, 4):
        summary = Summary(str(q.id), f"2026-11-{day + 20}", insights="x")
        interview = interviews.save(s, TEAM, summary, OWNER, NOW, submission=f"v{day}")
        interviews.code_insights(
            s, TEAM, interview, ["Setup is slow", f"Point {day}"], default_matcher(), NOW
        )
    coding = interviews.code_insights(
        s, TEAM, interview, ["Setup is slow", "Point 3"], default_matcher(), NOW
    )
    first, second = coding.insights
    interviews.coding_of(s, TEAM, interview, default_matcher())
    interviews.find_themes(s, TEAM, second.id, "point", default_matcher())
    interviews.recode(s, TEAM, interview.id, {first.id: "new", second.id: "new"}, OWNER, NOW)
    for n in range(preselection.MIN_DECISIONS):  # enough for a rule to be fitted
        s.add(Decision(team_id=TEAM, question_id=q.id, insight_id=n, theme_id=1, same=n % 2 == 0,
                       score=n / 50, margin=0.1, overlap=0, created_at=NOW))  # fmt: skip
    s.flush()
    preselection.rule_for(s, TEAM)
    preselection.account(s, TEAM, q.id)
    interviews.submitted(s, TEAM, "v1")
    questions.first_open(s, TEAM, NOW, 49)
    questions.overviews_of(s, TEAM, None, NOW, OWNER)
    questions.find(s, TEAM, "#1")
    questions.find(s, TEAM, "why")
    latest = interviews.recent(s, TEAM, q.id, 10)
    snapshots.of_interviews(s, TEAM, [i.id for i in latest])
    snapshots.of_question(s, TEAM, q.id)
    export.report(s, TEAM, q.id, NOW, "UTC")
    search.search(s, TEAM, "setup slow")
    interviews.new_themes(s, TEAM, interview)
    theme = interviews.themes_of(s, TEAM, q.id)[0]
    codebook.entries(s, TEAM, q.id)
    codebook.insights_of_theme(s, TEAM, theme.id)
    other = interviews.themes_of(s, TEAM, q.id)[1]
    codebook.move(s, TEAM, first.id, other.id, OWNER, NOW, default_matcher())
    codebook.merge(s, TEAM, other.id, theme.id, OWNER, NOW, default_matcher())
    schedule.digest_now(s, TEAM, "C1", NOW, "UTC")
    members.zones(s, TEAM, [OWNER], NOW)
    members.cached_zone(s, TEAM, OWNER)
    members.prefs(s, TEAM, OWNER)
    deliveries.first(s, (TEAM, deliveries.EVENT, "Ev1", ""), NOW)
    interviews.delete(s, TEAM, interview.id, OWNER)


def tick_path(s) -> None:
    """What each tick of the scheduler asks, every minute."""
    owners = schedule.owners(s, NOW)
    schedule.due(s, NOW + timedelta(days=3), {(TEAM, u): "UTC" for u in owners.get(TEAM, ())})
    interviews.awaiting_follow_up(s, NOW)


def test_every_request_and_tick_query_can_use_an_index(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    migrate(engine)
    seen: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", grab)
    with session(engine) as s:
        request_path(s)
        tick_path(s)
        s.commit()
    sa.event.remove(engine, "before_cursor_execute", grab)
    assert len(seen) > 20
    scans = []
    with engine.connect() as c:
        c.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            plan = "\n".join(c.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
            if "Seq Scan" in plan:
                scans.append(f"{statement}\n{plan}")
    engine.dispose()
    assert not scans, "\n\n".join(scans)
