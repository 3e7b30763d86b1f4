"""The Monday burst of issue 21: every owner falls due at Monday 09:00 UTC, and
`discovery-bot tick --at` that instant sends each one weekly reminder.

    .venv/bin/python bench/burst.py                              # 200/40, 1,000/200, 5,000/1,000
    .venv/bin/python bench/burst.py --sizes 1000/200 --database postgresql://postgres@127.0.0.1:5432/burst
    .venv/bin/python bench/burst.py --sizes 10000/2000 --workers 1 2   # the sharded scheduler

Seeding (fresh each size, through the code's own migrations and models): N owners in M
workspaces, each workspace an OAuth install (a `slack_bots` row, its own token `xoxb-<team>`:
the scheduler runs in OAuth mode and looks up each workspace's token), each owner one open
question from two weeks back and a cached, fresh time zone (UTC), so no users.info.

The fake Slack runs in its own process (aiohttp): chat.postMessage answers after --delay (100
ms) and keeps Slack's rate limits as modelled here: a channel takes one message a second, and
a workspace (a token) a burst of WORKSPACE_BURST then WORKSPACE_RATE a second; past either it
answers 429 with Retry-After (whole seconds, as Slack). It records when each DM arrived (the
system-wide monotonic clock) and to whom.

Each run: `discovery-bot tick --at <Monday 09:00>` as a process (or, with --workers W, W
`discovery-bot tick --shard` processes at once); "last" is the time from the launch to the
last reminder's arrival at the fake; then the checks: exactly one DM per owner, and a second
tick sends nothing. The code measured: this checkout, or BENCH_CODE (as bench/load.py).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing as mp
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(CODE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
sys.path.insert(0, str(CODE))

BIN = Path(sys.executable).parent / "discovery-bot"
CLIENT_ID = "1.2"
WORKSPACE_BURST = 20
WORKSPACE_RATE = 5.0  # messages a second, past the burst (Slack: "several hundred a minute")
CHANNEL_RATE = 1.0


# -- the fake Slack ----------------------------------------------------------------------------
class Bucket:
    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.tokens, self.at = burst, time.monotonic()

    def take(self) -> float:
        """0 when a message may go now, else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def _fake_main(conn, delay: float) -> None:
    from aiohttp import web

    posts: list[tuple[str, str, float]] = []  # team, channel, arrival
    limited = collections.Counter()
    workspaces: dict[str, Bucket] = {}
    channels: dict[tuple[str, str], Bucket] = {}

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            form = await request.json()
        else:
            form = dict(await request.post()) if request.can_read_body else {}
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        team = token.removeprefix("xoxb-")
        if method == "bench.report":
            return web.json_response({"posts": posts, "limited": dict(limited)})
        if method == "bench.reset":
            posts.clear(), limited.clear(), workspaces.clear(), channels.clear()
            return web.json_response({"ok": True})
        if method != "chat.postMessage":
            return web.json_response({"ok": True, "user": {"tz": "UTC"}})
        channel = str(form.get("channel"))
        wait = max(
            workspaces.setdefault(team, Bucket(WORKSPACE_BURST, WORKSPACE_RATE)).take(),
            channels.setdefault((team, channel), Bucket(1, CHANNEL_RATE)).take(),
        )
        if wait:
            limited[team] += 1
            headers = {"Retry-After": str(max(1, round(wait + 0.5)))}
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=headers
            )
        await asyncio.sleep(delay)
        posts.append((team, channel, time.monotonic()))
        return web.json_response({"ok": True, "channel": "D" + channel, "ts": "1.000001"})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", api)

    async def run() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        conn.send(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/api/")
        await asyncio.Event().wait()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(run())


class Fake:
    def __init__(self, delay: float) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_fake_main, args=(child, delay), daemon=True)
        self.process.start()
        self.api_url = parent.recv()

    def call(self, method: str) -> dict:
        import json
        import urllib.request

        with urllib.request.urlopen(self.api_url + method, data=b"", timeout=30) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


# -- seeding -----------------------------------------------------------------------------------
def fresh_database(url: str, tag: str) -> str:
    """A new, empty database for a run: a file beside SQLite's, a new PostgreSQL database."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///")).with_suffix(f".{tag}.db")
        for suffix in ("", "-wal", "-shm", ".scheduler-lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import sqlalchemy as sa

    base, _, name = url.rpartition("/")
    name = f"{name}_{tag}"
    admin = sa.create_engine(f"{base}/postgres".replace("postgresql:", "postgresql+psycopg:"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


def seed(url: str, owners: int, teams: int, monday: datetime) -> None:
    import sqlalchemy as sa

    from cadence.db import make_engine, migrate, normalize_database_url
    from cadence.models import Member, Question

    engine = make_engine(normalize_database_url(url))
    migrate(engine)
    created = monday - timedelta(weeks=2)
    fresh = datetime(2100, 1, 1, tzinfo=UTC)  # a cached zone that stays fresh
    members, questions, bots = [], [], []
    for n in range(owners):
        team = f"T{n % teams:05d}"
        user = f"U{n:06d}"
        members.append(
            dict(team_id=team, user_id=user, tz="UTC", reminders=True, reminder_day=0,
                 reminder_minute=9 * 60, nudge=True, fetched_at=fresh)
        )  # fmt: skip
        questions.append(
            dict(team_id=team, number=n // teams + 1, text=f"Why do they churn? ({n})",
                 hypothesis="", segment="recent_signups", owner_id=user, channel_id=f"C{team}",
                 weekly_target=3, status="open", conclusion="", created_by=user,
                 created_at=created, updated_at=created, closed_at=None, skipped_week=None,
                 sat_base=4, sat_run=3, sat_threshold=0.05, saturated=False, flags=0,
                 submission=None, curve="", sat_state="collecting")
        )  # fmt: skip
    for t in range(teams):
        team = f"T{t:05d}"
        bots.append(
            dict(client_id=CLIENT_ID, app_id="A1", enterprise_id=None, enterprise_name=None,
                 team_id=team, team_name=team, bot_token=f"xoxb-{team}", bot_id="B1",
                 bot_user_id="UBOT", bot_scopes="chat:write,im:history", bot_refresh_token=None,
                 bot_token_expires_at=None, is_enterprise_install=False,
                 installed_at=created.replace(tzinfo=None))
        )  # fmt: skip
    with engine.begin() as c:
        c.execute(Member.__table__.insert(), members)
        c.execute(Question.__table__.insert(), questions)
        c.execute(sa.table("slack_bots", *map(sa.column, bots[0])).insert(), bots)
    engine.dispose()


# -- runs --------------------------------------------------------------------------------------
def env_for(api_url: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_API_URL=api_url,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET="secret",
        SLACK_STATE_SECRET="state-secret",
        DATABASE_URL=database_url,
    )
    return env


def ticks(env: dict, at: datetime, workers: int) -> tuple[float, float, list[str]]:
    """W tick processes at once: (launch instant, CPU seconds of them all, their last lines)."""
    argv = [str(BIN), "tick", "--at", at.isoformat()]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    shards = [[] if workers == 1 else ["--shard", f"{w}/{workers}"] for w in range(workers)]
    running = [
        subprocess.Popen(argv + s, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=CODE)
        for s in shards
    ]  # fmt: skip
    said = []
    for p in running:
        out, err = p.communicate()
        if p.returncode:
            raise SystemExit(err[-3000:])
        said.append(out.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return t0, cpu, said


def one(fake: Fake, url: str, owners: int, teams: int, workers: int, monday: datetime) -> str:
    database = fresh_database(url, f"burst{owners}")
    t = time.monotonic()
    seed(database, owners, teams, monday)
    seeded = time.monotonic() - t
    env = env_for(fake.api_url, database)
    at = monday + timedelta(hours=9)
    fake.call("bench.reset")
    t0, cpu, said = ticks(env, at, workers)
    wall = time.monotonic() - t0
    report = fake.call("bench.report")
    posts = report["posts"]
    per_owner = collections.Counter((team, channel) for team, channel, _ in posts)
    last = max((p[2] for p in posts), default=t0) - t0
    ticks(env, at + timedelta(minutes=1), 1)
    second = fake.call("bench.report")["posts"][len(posts) :]
    ok = len(per_owner) == owners and set(per_owner.values()) == {1} and not second
    return (
        f"{owners:>6}/{teams:<5} workers {workers}: last reminder {last:6.1f} s, processes' wall "
        f"{wall:6.1f} s, CPU {cpu:5.1f} s; {len(posts)} DMs to {len(per_owner)} owners, "
        f"429s {sum(report['limited'].values())}; second tick {len(second)} "
        f"({'ok' if ok else 'WRONG'}; seeded in {seeded:.1f} s) [{' | '.join(said)}]"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=["200/40", "1000/200", "5000/1000"])
    p.add_argument("--database", default="sqlite:////tmp/bench-burst/burst.db")
    p.add_argument("--workers", type=int, nargs="+", default=[1])
    p.add_argument("--delay", type=float, default=0.1, help="chat.postMessage's answer time")
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    if args.database.startswith("sqlite"):
        Path(args.database.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    today = datetime.now(UTC).date()
    monday = datetime.combine(today + timedelta(days=7 - today.weekday()), datetime.min.time(), UTC)
    fake = Fake(args.delay)
    print(f"code {CODE}, {args.database.split(':')[0]}, fake delay {args.delay * 1e3:.0f} ms")
    try:
        for size in args.sizes:
            owners, teams = map(int, size.split("/"))
            for workers in args.workers:
                for _ in range(args.repeat):
                    print(one(fake, args.database, owners, teams, workers, monday), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
