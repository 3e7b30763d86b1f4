"""Process start of issue 21: `discovery-bot --help`, and `discovery-bot tick` with nothing
due, as processes (wall time from launch to exit), single-token mode, SQLite.

    .venv/bin/python bench/start.py [--runs 7]
    BENCH_CODE=/tmp/before .venv/bin/python bench/start.py      # another commit's code

The code's modules are compiled first, as the image's `pip install` does: a checkout run with
PYTHONDONTWRITEBYTECODE (as this machine's environment sets) would otherwise compile every
module it imports in every run (about 100 ms of an idle tick).

The database: bench/burst.py's seeding (200 owners in 40 workspaces), ticked once at Monday
00:00 UTC (every question looked at once, as after a deploy); each timed tick is then at a
later minute of that night, when nothing is due. Runs alternate between the two commands.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import burst

BOT_TOKEN = "xoxb-test-token"


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    for package in ("bot", "cadence"):
        compileall.compile_dir(burst.CODE / package, quiet=1)
    database = f"sqlite:///{tempfile.mkdtemp(prefix='bench-start-')}/start.db"
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    burst.seed(database, 200, 40, monday)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL="http://127.0.0.1:9/api/",
               DATABASE_URL=database)  # fmt: skip
    tick = [str(burst.BIN), "tick", "--at"]
    timed([*tick, monday.isoformat()], env)
    helps, ticks = [], []
    for n in range(args.runs):
        helps.append(timed([str(burst.BIN), "--help"], env))
        at = monday + timedelta(minutes=n + 1)
        ticks.append(timed([*tick, at.isoformat()], env))

    def line(name: str, walls: list[float]) -> str:
        ms = sorted(w * 1e3 for w in walls)
        return (f"{name}: median {statistics.median(ms):.0f} ms, range {ms[0]:.0f}-{ms[-1]:.0f}"
                f" ms ({len(ms)} runs)")  # fmt: skip

    print(f"code {burst.CODE}")
    print(line("--help", helps))
    print(line("tick, nothing due", ticks))


if __name__ == "__main__":
    main()
