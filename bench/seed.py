"""Seeds a database for the request and tick benches, through the app's own models and
migrations (cadence.models, cadence.db.migrate), with bulk Core inserts.

    .venv/bin/python bench/seed.py sqlite:////tmp/bench.db              # the small team only
    .venv/bin/python bench/seed.py sqlite:////tmp/big.db --big          # plus the issue's scale
    .venv/bin/python bench/seed.py postgresql://postgres@127.0.0.1:5432/mydb --big

The small team (`TBENCH`): 30 open questions, each with 12 held interviews over the last
8 weeks (one or two this week), 3 insights each coded to 8 themes. `--big` adds 1,000
workspaces of 20 open questions each (20,000), 10 interviews a question (200,000), 2
insights an interview (400,000) and 5 themes a question (100,000), a workspace of 200 open
questions (`TLIST`) and one whose question has 1,000 interviews (`TSTATUS`). Every
question's owner has a cached time zone (UTC) that stays fresh, so no request waits on
users.info; the
saturation curve, state and flag of each question are what `questions.recount` would keep,
as after the owner was told, so an idle `tick` finds nothing due. `next_check` is left at
the epoch: the first tick looks at every question once (as after a deploy of 0004), the
ticks after it only at what falls due.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The app's code: this checkout, or BENCH_CODE (see bench/load.py).
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from cadence import saturation
from cadence.db import make_engine, migrate, normalize_database_url
from cadence.models import Insight, Interview, Member, Question, Theme

SMALL_TEAM = "TBENCH"
# A cached zone fetched "in the future" is fresh whatever day the bench runs (FRESH_FOR is
# measured from now): the bench measures requests, not users.info.
FETCHED = datetime(2100, 1, 1, tzinfo=UTC)
CHUNK = 20_000


@dataclass
class Shape:
    prefix: str
    teams: int
    questions: int  # open questions per team
    interviews: int  # held interviews per question
    insights: int  # per interview
    themes: int  # per question
    weeks: int  # history spread over this many weeks before today


SMALL = Shape(SMALL_TEAM, 1, 30, 12, 3, 8, 8)
BIG = Shape("TBIG", 1000, 20, 10, 2, 5, 12)
# With --big, for `load.py scale`: a workspace listing 200 open questions, and a question
# with 1,000 interviews over six years.
LIST_200 = Shape("TLIST", 1, 200, 10, 2, 5, 12)
STATUS_1000 = Shape("TSTATUS", 1, 1, 1000, 3, 30, 330)


class Ids:
    """Explicit primary keys, so that children can name parents without a round trip."""

    def __init__(self, engine: sa.Engine) -> None:
        with engine.connect() as c:
            self.next = {
                t: (c.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1
                for t in (Question.__table__, Interview.__table__, Theme.__table__,
                          Insight.__table__)
            }  # fmt: skip

    def take(self, table: sa.Table) -> int:
        value = self.next[table]
        self.next[table] += 1
        return value


def _flush(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    if rows:
        conn.execute(table.insert(), rows)
        rows.clear()


def seed_shape(engine: sa.Engine, shape: Shape, now: datetime, rng: random.Random) -> dict:
    ids = Ids(engine)
    q_t, i_t, th_t, in_t, m_t = (
        Question.__table__,
        Interview.__table__,
        Theme.__table__,
        Insight.__table__,
        Member.__table__,
    )
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    counts = dict.fromkeys(("teams", "questions", "interviews", "insights", "themes"), 0)
    buffers: dict[sa.Table, list[dict]] = {t: [] for t in (q_t, th_t, i_t, in_t, m_t)}
    with engine.begin() as conn:
        for t in range(shape.teams):
            team = shape.prefix if shape.teams == 1 else f"{shape.prefix}{t:05d}"
            owners = [f"U{team}{k}" for k in range(1, 4)]
            for owner in owners:
                buffers[m_t].append(
                    dict(team_id=team, user_id=owner, tz="UTC", reminders=True,
                         reminder_day=0, reminder_minute=9 * 60, nudge=True, fetched_at=FETCHED)
                )  # fmt: skip
            for n in range(1, shape.questions + 1):
                qid = ids.take(q_t)
                created = now - timedelta(weeks=shape.weeks + 1, hours=n)
                themes = [ids.take(th_t) for _ in range(shape.themes)]
                for k, theme_id in enumerate(themes):
                    buffers[th_t].append(
                        dict(id=theme_id, team_id=team, question_id=qid,
                             name=f"Theme {k + 1} of #{n}: a pain they named", created_at=created)
                    )  # fmt: skip
                history = []
                for j in range(shape.interviews):
                    # Oldest first; the last one or two fall in this week.
                    back = shape.interviews - 1 - j
                    held = max(monday, today - timedelta(days=1)) if back < 2 else (
                        monday - timedelta(days=1 + back * 7 * shape.weeks // shape.interviews)
                    )  # fmt: skip
                    iid = ids.take(i_t)
                    at = datetime.combine(held, datetime.min.time(), UTC) + timedelta(hours=15)
                    buffers[i_t].append(
                        dict(id=iid, team_id=team, question_id=qid, interviewer_id=owners[j % 3],
                             interviewee=f"Customer {j}", segment="recent_signups", held_on=held,
                             planned_at=None, struggling_moments="Month end takes two days.",
                             driving_forces="The CFO asked for a faster close.",
                             existing_solutions="Spreadsheets", alternative_solutions="",
                             motivations="", desired_outcomes="Close in a day",
                             quote="We copy numbers between three tools every Friday.",
                             created_at=at, updated_at=at, submission=None)
                    )  # fmt: skip
                    coded = set()
                    # Early interviews find new themes, later ones mostly repeat them.
                    pool = themes[: min(len(themes), 2 + j)]
                    for k in range(shape.insights):
                        theme_id = rng.choice(pool)
                        coded.add(theme_id)
                        buffers[in_t].append(
                            dict(id=ids.take(in_t), team_id=team, interview_id=iid,
                                 theme_id=theme_id, created_at=at,
                                 text=f"Insight {k} of interview {j}: they retype invoices.")
                        )  # fmt: skip
                    history.append(coded)
                curve = saturation.curve_of(history)
                state = saturation.assess(curve, saturation.DEFAULT).state
                told = state is saturation.State.SATURATED
                buffers[q_t].append(
                    dict(id=qid, team_id=team, number=n,
                         text=f"Why do finance teams at mid-size firms still close the month "
                              f"in spreadsheets? ({n})",
                         hypothesis="They do not trust the sync.", segment="recent_signups",
                         owner_id=owners[n % 3], channel_id=f"C{team}", weekly_target=3,
                         status="open", conclusion="", created_by=owners[n % 3],
                         created_at=created, updated_at=created, closed_at=None,
                         skipped_week=None, sat_base=4, sat_run=3, sat_threshold=0.05,
                         saturated=told, flags=int(told), submission=None,
                         curve=",".join(map(str, curve)), sat_state=state.value)
                )  # fmt: skip
                counts["questions"] += 1
                counts["interviews"] += shape.interviews
                counts["insights"] += shape.interviews * shape.insights
                counts["themes"] += shape.themes
                # Parents before children (PostgreSQL checks the foreign keys at once).
                if len(buffers[in_t]) >= CHUNK:
                    for table in (m_t, q_t, th_t, i_t, in_t):
                        _flush(conn, table, buffers[table])
            counts["teams"] += 1
        for table in (m_t, q_t, th_t, i_t, in_t):
            _flush(conn, table, buffers[table])
        if engine.dialect.name == "postgresql":
            for table in (q_t, i_t, th_t, in_t):
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT MAX(id) FROM {table.name}))"
                ))  # fmt: skip
    return counts


def seed(url: str, big: bool = False, now: datetime | None = None) -> dict:
    """Migrate `url` and add the small team (and with `big`, the issue's scale)."""
    engine = make_engine(normalize_database_url(url))
    migrate(engine)
    now = now or datetime.now(UTC)
    rng = random.Random(11)
    total: dict[str, int] = {}
    for shape in (SMALL, BIG, LIST_200, STATUS_1000) if big else (SMALL,):
        for k, v in seed_shape(engine, shape, now, rng).items():
            total[k] = total.get(k, 0) + v
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    else:
        with engine.begin() as c:
            c.execute(sa.text("ANALYZE"))
    engine.dispose()
    return total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("url", help="sqlite:///path or postgresql://user@host:port/db (migrated here)")
    p.add_argument("--big", action="store_true", help="add 1,000 workspaces / 20k / 200k")
    args = p.parse_args()
    started = time.monotonic()
    counts = seed(args.url, args.big)
    print(f"seeded {args.url}: {counts} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
