"""Where a `/discovery list` spends its CPU: the real Bolt app (bot.app.build_app) in-process,
signed requests dispatched straight to it (no HTTP server), the loopback fake answering the
response_url, under cProfile. The Store runs its work inline instead of in a thread (cProfile
sees one thread only), so this shows the CPU of each step, not the thread hops' cost.

    .venv/bin/python bench/profile_list.py [--requests 300] [--top 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(CODE))

from bot.sandbox.fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402
from bot.sandbox.requests import SIGNING_SECRET, sign  # noqa: E402

TEAM, OWNER = "TBENCH", "UTBENCH1"


def request(fake: FakeSlack, team: str = TEAM, user: str = OWNER, text: str = "list"):
    from slack_bolt.request.async_request import AsyncBoltRequest

    form = {
        "token": "x", "team_id": team, "team_domain": "tbench", "channel_id": "C1",
        "channel_name": "product", "user_id": user, "user_name": "owner",
        "command": "/discovery", "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": fake.response_url(),
        "trigger_id": "t.1",
    }  # fmt: skip
    body = urlencode(form)
    ts = int(time.time())
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": sign(body, ts),
    }
    return AsyncBoltRequest(body=body, headers=headers)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--database", help="a seeded database (default: a fresh seed.py SQLite file)")
    p.add_argument("--team", default=TEAM)
    p.add_argument("--user", default=OWNER)
    p.add_argument("--text", default="list", help="the command's text, e.g. 'status #1'")
    args = p.parse_args()

    from seed import seed

    import bot.sandbox.fake_slack as fake_module

    fake_module.check_payload = lambda *_a: []  # the fake's Block Kit checks are not the app's
    fake = FakeSlack().start()
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-profile-')}/bench.db"
    if not args.database:
        seed(url)
    os.environ.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url, DATABASE_URL=url, PORT="3000",
    )  # fmt: skip

    from bot import config
    from bot.app import build_app
    from bot.store import Store
    from cadence.db import make_engine, session

    async def inline(self, fn, *a, **kw):
        with session(self.engine) as s:
            result = fn(s, *a, **kw)
            s.commit()
            return result

    Store.run = inline
    engine = make_engine(url)
    app, _identity = build_app(config.load(), engine)

    async def run(n: int) -> float:
        before = len(fake.of("response_url"))
        t0 = time.process_time()
        for _ in range(n):
            response = await app.async_dispatch(request(fake, args.team, args.user, args.text))
            assert response.status == 200, response.body
            while True:  # the listener runs on after the ack: let it finish
                pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                if not pending:
                    break
                await asyncio.gather(*pending)
        fake.wait_for("response_url", before + n)
        return (time.process_time() - t0) / n

    asyncio.run(run(20))  # warm caches, imports and the connection pool
    cpu = asyncio.run(run(args.requests))
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(run(args.requests))
    profiler.disable()
    print(f"in-process CPU per list (no profiler, {args.requests} requests): {cpu * 1e3:.2f} ms")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = sum(v[2] for v in stats.stats.values())  # tottime of everything
    print(f"profiled: {total / args.requests * 1e3:.2f} ms of own time per request\n")
    stats.sort_stats("cumulative").print_stats(args.top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])
    out.seek(0)
    out.truncate()
    stats.sort_stats("tottime").print_stats(20)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:8000])
    fake.stop()


if __name__ == "__main__":
    main()
