"""Unit tests of the workspace stamps (migration 0013) that a kept list's answer rests on:
every committed write to the rows a list reads gives the workspace a version it never had,
and a list reads no other table (on SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

from bot.store import Store
from cadence import codebook, interviews, members, questions, workspaces
from cadence.interviews import Summary
from cadence.matching import default_matcher
from cadence.questions import Draft, Stamp, first_open_since

NOW = datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC)


def version(db, team: str = "T") -> int:
    db.commit()  # PostgreSQL's triggers run at the commit
    return first_open_since(db, team, NOW, 10, None)[0].version


def test_every_write_to_a_listed_row_moves_the_version_to_a_new_one(db) -> None:
    seen = [version(db)]
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    q = questions.create(db, "T", draft, "U1", NOW)
    seen.append(version(db))
    interview = interviews.save(db, "T", Summary(str(q.id), "2026-11-25"), "U1", NOW)
    seen.append(version(db))
    interviews.code_insights(db, "T", interview, ["Setup is slow"], default_matcher(), NOW)
    seen.append(version(db))
    (theme,) = interviews.themes_of(db, "T", q.id)
    codebook.rename(db, "T", theme.id, "U1", "Activation friction")
    seen.append(version(db))
    members.remember(db, "T", {"U1": "Europe/Berlin"}, NOW)
    seen.append(version(db))
    members.remember(db, "T", {"U2": "UTC"}, NOW)  # a member's row alone
    seen.append(version(db))
    interviews.delete(db, "T", interview.id, "U1")
    seen.append(version(db))
    assert len(set(seen)) == len(seen), seen
    assert version(db, "TOTHER") == 0  # another workspace's writes are not its own


def test_a_purged_workspace_that_comes_back_never_meets_an_old_version(db) -> None:
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    questions.create(db, "T", draft, "U1", NOW)
    before = version(db)
    workspaces.uninstalled(db, "T", NOW - timedelta(days=40))
    workspaces.purge(db, NOW, timedelta(days=30))
    assert version(db) == 0  # the purge leaves no row of the workspace, its version's either
    workspaces.installed(db, "T", NOW)
    questions.create(db, "T", draft, "U1", NOW)
    assert version(db) > before


def test_a_kept_answer_holds_until_the_version_or_the_minute_moves(db) -> None:
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    q = questions.create(db, "T", draft, "U1", NOW)
    db.commit()
    stamp, found = first_open_since(db, "T", NOW, 10, None)
    assert found is not None and found[1] == 1
    assert first_open_since(db, "T", NOW + timedelta(seconds=29), 10, stamp) == (stamp, None)
    later, found = first_open_since(db, "T", NOW + timedelta(seconds=30), 10, stamp)
    assert later.minute == stamp.minute + timedelta(minutes=1) and found is not None
    interviews.save(db, "T", Summary(str(q.id), "2026-11-25"), "U1", NOW)
    db.commit()
    moved, found = first_open_since(db, "T", NOW, 10, stamp)
    assert moved != stamp and found is not None and found[0][0].progress.this_week == 1


def test_a_list_reads_only_the_tables_whose_writes_move_the_version(db) -> None:
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    questions.create(db, "T", draft, "U1", NOW)
    db.commit()
    read: set[str] = set()

    def tables(_conn, _cursor, statement: str, *_args: object) -> None:
        read.update(re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", statement, flags=re.IGNORECASE))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", tables)
    try:
        first_open_since(db, "T", NOW, 10, Stamp(-1, NOW))
    finally:
        event.remove(engine, "before_cursor_execute", tables)
    assert read - {"workspacestamp"} == set(questions.LIST_TABLES)
    # ... and the migration's triggers are on those tables, in the database itself.
    if engine.dialect.name == "postgresql":
        query = "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%_stamp'"
    else:
        query = "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%stamp%'"
    assert set(db.execute(sa.text(query)).scalars()) == set(questions.LIST_TABLES)


def test_a_kept_list_is_checked_by_one_statement_outside_any_transaction(db) -> None:
    """What `bot.store.Store.read` gives a kept list's check: the stamp a transaction would
    read, by a connection left with no transaction open."""
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    questions.create(db, "T", draft, "U1", NOW)
    db.commit()

    def check(c: sa.Connection) -> tuple[Stamp, bool]:
        found = questions.stamp(c, "T", NOW)
        raw = c.connection.dbapi_connection
        if c.dialect.name == "postgresql":
            return found, raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
        return found, raw.in_transaction

    found, open_transaction = asyncio.run(Store(db.get_bind()).read(check))
    assert found == first_open_since(db, "T", NOW, 10, None)[0] and not open_transaction
