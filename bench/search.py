"""Search at scale: seeds a workspace of INTERVIEWS interviews (5 insights each) straight into
the database with bulk Core inserts (not through the app), fills the index with the app's own
INSERT ... SELECT (cadence.search.rebuild), then times cadence.search.search.

    .venv/bin/python bench/search.py sqlite:////tmp/search.db
    .venv/bin/python bench/search.py postgresql://postgres@127.0.0.1:5432/searchbench
    .venv/bin/python bench/search.py URL --interviews 20000   # smaller
    .venv/bin/python bench/search.py URL --reuse               # search an existing seed again

The words are the English words of tests/data/codebooks (about 2,500), drawn with Zipf
weights (the 10th word is ten times as common as the 100th), so a query for a common word
matches hundreds of thousands of documents and a rare one a handful. 200 questions of
INTERVIEWS/200 interviews each; every interview has an interviewee, a company, a quote and
two JTBD parts; 30 renamed themes a question. A second workspace of 1/10 the size holds the
same words: its documents must be neither found nor counted.

The queries, 100 of each kind after 20 warm-up searches: one word drawn by frequency (as
people type them), one rare word, two words, a phrase taken from a stored insight, and one of
the 20 most common words; a page past the first. Each is one `search` call: the page of 10
with its snippets, and the capped count.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, os.environ.get("BENCH_CODE") or str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from cadence import search
from cadence.db import make_engine, migrate, normalize_database_url
from cadence.models import JTBD_PARTS, Insight, Interview, Question, Theme

TEAM, OTHER = "TSEARCH", "TOTHER"
QUESTIONS = 200
INSIGHTS = 5
THEMES = 30
CHUNK = 20_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
NAMES = "Ana Bea Carl Dana Eli Fay Gus Hana Ivo Jun Kai Lea Max Nia Omar Pia Rui Sara Tom Uma"
ROOT = Path(__file__).resolve().parents[1]


def vocabulary() -> list[str]:
    words: set[str] = set()
    for path in glob.glob(str(ROOT / "tests/data/codebooks*/*.json")):
        words |= set(re.findall(r"[a-z]{3,}", Path(path).read_text().lower()))
    ordered = sorted(words)
    random.Random(5).shuffle(ordered)  # the Zipf rank of a word: not alphabetical
    return ordered


class Words:
    def __init__(self, rng: random.Random) -> None:
        self.words = vocabulary()
        self.cumulative = list(
            itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words)))
        )
        self.rng = rng

    def say(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=n)).capitalize()


def seed(engine: sa.Engine, team: str, interviews: int, rng: random.Random) -> None:
    words = Words(rng)
    names = NAMES.split()
    tables = [Question.__table__, Theme.__table__, Interview.__table__, Insight.__table__]
    with engine.connect() as c:
        start = {t: (c.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1 for t in tables}
    q_t, th_t, i_t, in_t = tables
    rows: dict[sa.Table, list[dict]] = {t: [] for t in tables}
    next_id = dict(start)
    per_question = max(1, interviews // QUESTIONS)
    with engine.begin() as conn:
        for n in range(1, QUESTIONS + 1):
            qid = next_id[q_t]
            next_id[q_t] += 1
            rows[q_t].append(
                dict(id=qid, team_id=team, number=n, text=words.say(8) + "?",
                     hypothesis=words.say(10), segment="other", owner_id="U1", channel_id="C1",
                     status="open", conclusion="", created_by="U1", created_at=NOW,
                     updated_at=NOW, weekly_target=3, sat_base=4, sat_run=3,
                     sat_threshold=0.05, saturated=False, flags=0, curve="",
                     sat_state="not_enough")
            )  # fmt: skip
            themes = list(range(next_id[th_t], next_id[th_t] + THEMES))
            next_id[th_t] += THEMES
            rows[th_t] += [
                dict(id=t, team_id=team, question_id=qid, name=words.say(3), created_at=NOW)
                for t in themes
            ]
            for j in range(per_question):
                iid = next_id[i_t]
                next_id[i_t] += 1
                held = date(2026, 11, 30) - timedelta(days=j % 700)
                parts = rng.sample(search.INTERVIEW_KINDS[3:], 2)
                rows[i_t].append(
                    dict(id=iid, team_id=team, question_id=qid, interviewer_id="U1",
                         interviewee=f"{rng.choice(names)} {words.say(1)}",
                         company=words.say(2) + " Ltd", segment="other", held_on=held,
                         quote=words.say(14), created_at=NOW, updated_at=NOW,
                         **{p: words.say(12) if p in parts else "" for p in JTBD_PARTS})
                )  # fmt: skip
                for _ in range(INSIGHTS):
                    rows[in_t].append(
                        dict(id=next_id[in_t], team_id=team, interview_id=iid,
                             theme_id=rng.choice(themes), text=words.say(9), created_at=NOW)
                    )  # fmt: skip
                    next_id[in_t] += 1
                if len(rows[in_t]) >= CHUNK:
                    for t in tables:  # parents first: PostgreSQL checks foreign keys at once
                        conn.execute(t.insert(), rows[t]) if rows[t] else None
                        rows[t].clear()
        for t in tables:
            conn.execute(t.insert(), rows[t]) if rows[t] else None
        if engine.dialect.name == "postgresql":
            for t in tables:
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                    f"(SELECT MAX(id) FROM {t.name}))"
                ))  # fmt: skip


def fill_index(engine: sa.Engine) -> None:
    """The app's rebuild; on PostgreSQL the GIN index is built after the rows, as a bulk
    load would."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(sa.text("DROP INDEX ix_search_doc_tsv"))
        search.rebuild(conn)
        if postgres:
            conn.execute(sa.text(search.PG_INDEX))
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
            conn.execute(sa.text("ANALYZE"))


def queries(engine: sa.Engine, rng: random.Random, n: int) -> dict[str, list[str]]:
    words = Words(rng)
    with engine.connect() as c:
        texts = c.execute(
            sa.select(Insight.text).where(Insight.team_id == TEAM).limit(5000)
        ).scalars().all()  # fmt: skip
    phrases = []
    for text in rng.sample(list(texts), n):
        split = text.lower().split()
        k = rng.randrange(len(split) - 1)
        phrases.append(f'"{split[k]} {split[k + 1]}"')
    return {
        "one word": [words.say(1) for _ in range(n)],
        "rare word": [rng.choice(words.words[1500:]) for _ in range(n)],
        "two words": [words.say(2) for _ in range(n)],
        "phrase": phrases,
        "common word": [rng.choice(words.words[:20]) for _ in range(n)],
    }


def p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)
    )


def measure(engine: sa.Engine, n: int, seed: int) -> None:
    rng = random.Random(seed)
    asked = queries(engine, rng, n)
    asked["page 3 of one word"] = asked["one word"]
    everything: list[float] = []
    with Session(engine) as s:
        for words in asked["one word"][:20]:  # warm-up
            search.search(s, TEAM, words)
        print(f"load average {os.getloadavg()[0]:.2f} before timing, query seed {seed}")
        print(f"{'query':22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'median hits':>12}")
        for kind, words_list in asked.items():
            took, totals = [], []
            offset = 20 if kind.startswith("page") else 0
            for words in words_list:
                start = time.perf_counter()
                found = search.search(s, TEAM, words, offset=offset)
                took.append((time.perf_counter() - start) * 1000)
                totals.append(found.total)
            everything += took
            print(
                f"{kind:22} {statistics.median(took):8.1f} {p(took, 99):8.1f} {max(took):8.1f} "
                f"{statistics.median(totals):12.0f}"
            )
        print(f"{'all':22} {statistics.median(everything):8.1f} {p(everything, 99):8.1f} "
              f"{max(everything):8.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--interviews", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="search an existing seed")
    parser.add_argument("--seed", type=int, default=7, help="of the queries drawn (7 as before)")
    args = parser.parse_args()
    engine = make_engine(normalize_database_url(args.url))
    if not args.reuse:
        migrate(engine)
        rng = random.Random(11)
        start = time.perf_counter()
        seed(engine, TEAM, args.interviews, rng)
        seed(engine, OTHER, args.interviews // 10, rng)
        seeded = time.perf_counter()
        fill_index(engine)
        indexed = time.perf_counter()
        print(f"seeded in {seeded - start:.0f} s, indexed in {indexed - seeded:.0f} s")
    with engine.connect() as c:
        docs = c.execute(sa.text("SELECT count(*) FROM search_doc")).scalar_one()
        mine = c.execute(sa.text(f"SELECT count(*) FROM interview WHERE team_id='{TEAM}'"))
        print(f"{engine.dialect.name}: {mine.scalar_one():,} interviews in {TEAM}, "
              f"{docs:,} documents in all")  # fmt: skip
    measure(engine, args.queries, args.seed)


if __name__ == "__main__":
    main()
