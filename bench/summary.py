"""What a post-interview summary costs before Slack gets its answer, on a question with a long
history: the store call the summary modal's `view_submission` makes before it acks
(`interviews.save` + `interviews.code_insights`, one transaction), timed in-process.

    .venv/bin/python bench/summary.py [--interviews 1000] [--themes 30] [--runs 30]
                                      [--database URL]
    .venv/bin/python bench/summary.py --runs 0 ...     # seed only
    .venv/bin/python bench/summary.py --reuse URL      # time again, no seeding

The question gets `--interviews` held interviews of 3 insights each, coded to `--themes` themes:
those of tests/data/codebooks/b2b_payables.json, past 30 the same with a number added (each
insight a theme's insight or paraphrase with the interview's number, so that no two texts are
the same). The runs are timed in a new process, as after a restart (the matcher loaded first,
as `serve` did before the first modal): each run logs one new interview with 4 insight lines
(2 paraphrases of known themes, 2 new insights) and rolls it back; the first run is the cold
one. Prints it, then p50 / p99 / max of the others in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(ROOT))

import sqlalchemy as sa  # noqa: E402

from cadence import interviews, questions, search  # noqa: E402
from cadence.db import make_engine, migrate, normalize_database_url, session  # noqa: E402
from cadence.matching import default_matcher  # noqa: E402
from cadence.models import Insight, Interview, Theme  # noqa: E402

TEAM, OWNER = "TSUMMARY", "USUMMARY1"
CODEBOOK = ROOT / "tests" / "data" / "codebooks" / "b2b_payables.json"


def seed(url: str, n: int, themes: int, now: datetime) -> int:
    engine = make_engine(url)
    migrate(engine)
    book = json.loads(CODEBOOK.read_text())
    rng = random.Random(11)
    with session(engine) as s:
        draft = questions.Draft(book["question"], "", "other", OWNER, "CSUMMARY", "3")
        q = questions.create(s, TEAM, draft, OWNER, now)
        theme_ids, kinds = [], book["themes"]
        for k in range(themes):
            label = kinds[k % len(kinds)]["label"] + (f" ({k // len(kinds)})" if k >= 30 else "")
            row = Theme(team_id=TEAM, question_id=q.id, name=label, created_at=now)
            s.add(row)
            s.flush()
            theme_ids.append(row.id)
        texts = {
            t["id"]: t["insights"]
            + [p["text"] for p in book["probes"] if p.get("theme") == t["id"]]
            for t in kinds
        }
        interview_rows, insight_rows = [], []
        first = s.execute(sa.select(sa.func.coalesce(sa.func.max(Interview.id), 0))).scalar_one()
        for j in range(n):
            iid = first + 1 + j
            held = (now - timedelta(days=(n - j) // 3)).date()
            interview_rows.append(
                dict(id=iid, team_id=TEAM, question_id=q.id, interviewer_id=OWNER,
                     interviewee=f"Customer {j}", segment="other", held_on=held,
                     created_at=now, updated_at=now)
            )  # fmt: skip
            # Early interviews find new themes, later ones mostly repeat them.
            pool = range(min(len(theme_ids), 3 + j * len(theme_ids) // 120))
            for _ in range(3):
                k = rng.choice(pool)
                text = f"{rng.choice(texts[kinds[k % len(kinds)]['id']])} (interview {j})"
                insight_rows.append(
                    dict(team_id=TEAM, interview_id=iid, theme_id=theme_ids[k], text=text,
                         created_at=now)
                )  # fmt: skip
        s.execute(sa.insert(Interview), interview_rows)
        s.execute(sa.insert(Insight), insight_rows)
        if engine.dialect.name == "postgresql":  # explicit ids: the sequence moves past them
            s.execute(sa.text(
                "SELECT setval(pg_get_serial_sequence('interview', 'id'), MAX(id)) FROM interview"
            ))  # fmt: skip
        questions.recount(s, TEAM, q.id)
        search.sync_question(s, TEAM, q.id)  # the theme labels' documents, as the app keeps
        for iid in range(first + 1, first + 1 + n):
            search.sync_interview(s, TEAM, iid)
        try:  # the theme vectors the codings would have kept (code before 0012 keeps none)
            from cadence import kept
        except ImportError:
            pass
        else:
            kept.refit(s, TEAM, q.id)
        s.commit()
        qid = q.id
    engine.dispose()
    return qid


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--interviews", type=int, default=1000)
    p.add_argument("--themes", type=int, default=30)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--database", help="an empty database (default: a fresh SQLite file)")
    p.add_argument("--reuse", metavar="URL", help="a database seeded before: time only")
    args = p.parse_args()
    if args.reuse:
        return timed(normalize_database_url(args.reuse), args.runs)
    url = normalize_database_url(
        args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-summary-')}/summary.db"
    )
    t0 = time.perf_counter()
    seed(url, args.interviews, args.themes, datetime.now(UTC))
    print(f"seeded {args.interviews} interviews, {args.themes} themes in "
          f"{time.perf_counter() - t0:.1f} s ({url})")  # fmt: skip
    if args.runs:  # else seed only (outside the bench lock), then time with --reuse
        again = [sys.executable, __file__, "--reuse", url, "--runs", str(args.runs)]
        subprocess.run(again, check=True)  # a new process: the first run is cold


def timed(url: str, runs: int) -> None:
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session(engine) as s:
        qid = s.execute(sa.select(Theme.question_id).where(Theme.team_id == TEAM)).scalar()
        n = s.execute(sa.select(sa.func.count()).select_from(Interview)).scalar_one()
    book = json.loads(CODEBOOK.read_text())
    paraphrases = [p["text"] for p in book["probes"] if p.get("theme")]
    new = [p["text"] for p in book["probes"] if not p.get("theme")]
    matcher = default_matcher()  # loaded before the first modal, as `serve` did
    times = []
    for run in range(runs):
        lines = [paraphrases[run % len(paraphrases)], paraphrases[-1 - run % len(paraphrases)]]
        lines += [new[run % len(new)], new[-1 - run % len(new)]]
        summary = interviews.Summary(str(qid), now.date().isoformat(), insights="\n".join(lines))
        t = time.perf_counter()
        with session(engine) as s:
            interview = interviews.save(s, TEAM, summary, OWNER, now)
            interviews.code_insights(s, TEAM, interview, lines, matcher, now)
            s.flush()
            times.append(time.perf_counter() - t)
            s.rollback()
    ms = sorted(t * 1000 for t in times[1:]) or [times[0] * 1000]  # the warm runs
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    print(
        f"summary store call, {n} interviews, {engine.dialect.name}: "
        f"cold {times[0] * 1000:.0f} ms; p50 {statistics.median(ms):.0f} / p99 {p99:.0f} / "
        f"max {ms[-1]:.0f} ms over the {len(ms)} runs after it"
    )


if __name__ == "__main__":
    main()
