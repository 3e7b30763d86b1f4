"""The Monday burst (issue 21): the tick sends different workspaces at once, each workspace's
sends in order; every owner gets one reminder whatever runs beside it or dies under it; and
a workspace Slack rate-limits waits its Retry-After alone."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot import config
from bot.http import web_client
from bot.sandbox.fake_slack import FakeSlack
from bot.scheduler import every_workspace, tick
from bot.store import Store
from cadence import shards
from cadence.db import make_engine
from cadence.models import Member, Question
from tests.conftest import BIN, app_env, fresh_database, run_cli

MONDAY = datetime.fromisoformat("2026-11-02T09:00:00+00:00")  # every owner's reminder (UTC)
FRESH = datetime(2100, 1, 1, tzinfo=UTC)  # a cached zone that stays fresh: no users.info


def _seed(engine: sa.Engine, teams: dict[str, list[str]]) -> None:
    """Each owner with one open question from last week, reminded Mondays 09:00 UTC."""
    created = MONDAY - timedelta(weeks=1)
    with Session(engine) as s:
        for team, owners in teams.items():
            for n, owner in enumerate(owners, 1):
                s.add(Member(team_id=team, user_id=owner, tz="UTC", fetched_at=FRESH))
                s.add(
                    Question(team_id=team, number=n, text=f"Why {n}?", segment="all",
                             owner_id=owner, channel_id="C" + team, created_by=owner,
                             created_at=created, updated_at=created)
                )  # fmt: skip
        s.commit()


def _workspaces(count: int, owners: int) -> dict[str, list[str]]:
    """Workspaces of this test's own, their owners in the order their sends go."""
    teams = sorted("T" + uuid.uuid4().hex[:9].upper() for _ in range(count))
    return {t: [f"U{t[1:]}{k}" for k in range(owners)] for t in teams}


def _reminded(slack: FakeSlack, owner: str) -> int:
    return sum(c.args.get("channel") == owner for c in slack.of("chat.postMessage"))


@pytest.fixture
def engine(db: Session) -> sa.Engine:
    return db.get_bind()


@pytest.fixture
def client(slack: FakeSlack):
    return web_client(config.load(app_env(slack, "sqlite:///unused.db"), requests=False))


def test_workspaces_go_at_once_and_each_workspace_in_order(
    engine: sa.Engine, slack: FakeSlack, client
) -> None:
    teams = _workspaces(3, 3)
    _seed(engine, teams)
    slack.delays["chat.postMessage"] = 0.2
    events: list[tuple[str, str]] = []
    post = client.chat_postMessage

    async def recorded(**args):
        events.append(("start", args["channel"]))
        try:
            return await post(**args)
        finally:
            events.append(("end", args["channel"]))

    client.chat_postMessage = recorded
    sent = asyncio.run(tick(every_workspace(client), Store(engine), MONDAY))
    assert sent.total() == 9
    for owners in teams.values():
        mine = [e for e in events if e[1] in owners]
        # One at a time, in order: each send ends before the workspace's next starts.
        assert mine == [(edge, owner) for owner in owners for edge in ("start", "end")]
    first, *others = teams.values()
    ended = events.index(("end", first[0]))
    assert any(e == ("start", owners[0]) for owners in others for e in events[:ended])


def test_two_ticks_at_once_send_each_reminder_once(
    engine: sa.Engine, slack: FakeSlack, client
) -> None:
    teams = _workspaces(4, 3)
    _seed(engine, teams)
    slack.delays["chat.postMessage"] = 0.05

    async def both():
        return await asyncio.gather(
            tick(every_workspace(client), Store(engine), MONDAY),
            tick(every_workspace(client), Store(engine), MONDAY),
        )

    one, other = asyncio.run(both())
    assert one.total() + other.total() == 12
    for owners in teams.values():
        assert [_reminded(slack, owner) for owner in owners] == [1, 1, 1]


def test_a_rate_limited_workspace_waits_alone(engine: sa.Engine, slack: FakeSlack, client) -> None:
    (limited, others), (free, _) = _workspaces(2, 2).items()
    _seed(engine, {limited: others, free: _})
    slack.fail("chat.postMessage", 429, retry_after=2, when=lambda a: a["channel"] == others[0])
    sent = asyncio.run(tick(every_workspace(client), Store(engine), MONDAY))
    assert sent.total() == 4
    order = [c.args["channel"] for c in slack.of("chat.postMessage")]
    # The free workspace went while the limited one slept its Retry-After.
    assert order.index(_[-1]) < order.index(others[0])
    assert order.count(others[0]) == 1


def test_a_workspace_still_rate_limited_leaves_its_sends_to_the_next_tick(
    engine: sa.Engine, slack: FakeSlack, client
) -> None:
    (limited, owners), (free, theirs) = _workspaces(2, 2).items()
    _seed(engine, {limited: owners, free: theirs})
    slack.fail(
        "chat.postMessage", 429, retry_after=0, times=3, when=lambda a: a["channel"] in owners
    )
    assert asyncio.run(tick(every_workspace(client), Store(engine), MONDAY)).total() == 2
    assert [_reminded(slack, o) for o in owners + theirs] == [0, 0, 1, 1]
    later = MONDAY + timedelta(minutes=1)
    assert asyncio.run(tick(every_workspace(client), Store(engine), later)).total() == 2
    assert [_reminded(slack, o) for o in owners + theirs] == [1, 1, 1, 1]


def test_a_tick_sends_for_the_workspaces_of_its_shards_only(
    engine: sa.Engine, slack: FakeSlack, client
) -> None:
    teams = _workspaces(6, 1)
    _seed(engine, teams)
    held = frozenset(range(0, shards.SHARDS, 2))
    sent = asyncio.run(tick(every_workspace(client), Store(engine), MONDAY, held=held))
    assert [_reminded(slack, o) for t, (o,) in teams.items()] == [
        int(shards.of(t) in held) for t in teams
    ]
    assert sent.total() == sum(shards.of(t) in held for t in teams)
    assert (
        asyncio.run(tick(every_workspace(client), Store(engine), MONDAY)).total()
        == 6 - sent.total()
    )


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def test_a_tick_killed_mid_burst_leaves_no_owner_twice_and_none_out(
    database: str, slack: FakeSlack
) -> None:
    teams = _workspaces(3, 4)
    engine = make_engine(database)
    _seed(engine, teams)
    engine.dispose()
    env = app_env(slack, database)
    slack.clock = MONDAY.timestamp
    slack.delays["chat.postMessage"] = 0.3
    argv = [str(BIN), "tick", "--at", MONDAY.isoformat()]
    first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    slack.wait_for("chat.postMessage", 2)  # killed with sends in flight and others to go
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    slack.delays.clear()
    owners = [owner for team in teams.values() for owner in team]
    assert 0 < sum(_reminded(slack, o) for o in owners) < len(owners)
    for minutes in (1, 11, 12):  # its claims live for LEASE, then are looked for in the DMs
        at = MONDAY + timedelta(minutes=minutes)
        slack.clock = at.timestamp
        assert run_cli("tick", "--at", at.isoformat(), env=env).returncode == 0
    assert [_reminded(slack, o) for o in owners] == [1] * len(owners)
