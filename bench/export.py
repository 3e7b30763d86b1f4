"""What `/discovery export` costs for a question with a long history (issue 20: 1,000
interviews in under 2 s).

    .venv/bin/python bench/export.py [--interviews 1000] [--themes 30] [--runs 10] [--database URL]

Seeds the question of bench/summary.py (`--interviews` interviews of 3 coded insights each),
then gives every interview a quote and all six JTBD parts, so each snapshot in the report is
full. Times, per run:
- "read": the one store call of the export (`export.report`, one transaction);
- "render": the two files from it (`export_files`: the Markdown report and the CSV);
- "command": `discovery-bot export --team --question --out` as a process, start to exit (no
  bot token: people by id, so no Slack call is in the figure).
The Slack path adds one users.info per person named and the three calls of a files v2 upload.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from summary import TEAM, seed  # noqa: E402

from bot.store import Store  # noqa: E402
from bot.views.snapshots import export_files  # noqa: E402
from cadence import export  # noqa: E402
from cadence.db import make_engine, normalize_database_url  # noqa: E402
from cadence.models import JTBD_PARTS, Interview, Question  # noqa: E402

BIN = Path(sys.executable).parent / "discovery-bot"


def fill(url: str) -> None:
    """A quote and every JTBD part for each interview, as a thorough interviewer logs them."""
    engine = make_engine(url)
    number = sa.cast(Interview.id, sa.String)
    parts = {part: sa.literal(f"{part.replace('_', ' ')}, in their words, ") + number
             for part in JTBD_PARTS}  # fmt: skip
    quote = sa.literal("We still reconcile the invoices by hand every month, ") + number
    with engine.begin() as c:
        c.execute(sa.update(Interview).values(quote=quote, **parts))
    engine.dispose()


def p(ms: list[float], q: float) -> float:
    return sorted(ms)[min(len(ms) - 1, round(q * (len(ms) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--themes", type=int, default=30)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database", help="an empty database (default: a fresh SQLite file)")
    args = parser.parse_args()

    now = datetime.now(UTC)
    url = normalize_database_url(
        args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-export-')}/export.db"
    )
    qid = seed(url, args.interviews, args.themes, now)
    fill(url)
    engine = make_engine(url)
    with engine.connect() as c:
        number = c.execute(sa.select(Question.number).where(Question.id == qid)).scalar_one()
    store = Store(engine)
    out = Path(tempfile.mkdtemp(prefix="bench-export-out-"))
    env = {**os.environ, "DATABASE_URL": url, "SLACK_BOT_TOKEN": ""}
    env.pop("SLACK_CLIENT_ID", None)
    read, render, command, size = [], [], [], 0
    for _ in range(args.runs):
        t = time.perf_counter()
        report = asyncio.run(store.run(export.report, TEAM, qid, now, "UTC"))
        read.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        files = export_files(report, {})
        render.append((time.perf_counter() - t) * 1000)
        size = sum(len(data) for data in files.values())
        t = time.perf_counter()
        cli = [str(BIN), "export", "--team", TEAM, "--question", str(number), "--out", str(out)]
        subprocess.run(cli, env=env, cwd=out, check=True, capture_output=True)
        command.append((time.perf_counter() - t) * 1000)
    print(f"export of {args.interviews} interviews, {engine.dialect.name}, {args.runs} runs, "
          f"{size / 1000:.0f} kB of files")  # fmt: skip
    for name, ms in (("read", read), ("render", render), ("command", command)):
        print(f"  {name:8} p50 {statistics.median(ms):6.0f} ms   max {max(ms):6.0f} ms"
              f"   first {ms[0]:6.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
