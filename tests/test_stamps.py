"""Unit tests of the workspace stamps (migration 0013) that a kept list's answer rests on:
every committed write to the rows a list reads gives the workspace a version it never had,
and a list reads no other table (on SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

from cadence import codebook, interviews, members, questions, workspaces
from cadence.db import make_reader
from cadence.interviews import Summary
from cadence.matching import default_matcher
from cadence.questions import Draft, stamp

NOW = datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC)


def version(db, team: str = "T") -> int:
    db.commit()  # PostgreSQL's triggers run at the commit
    return stamp(db.connection(), team, NOW).version


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


def test_a_stamp_holds_until_the_version_or_the_minute_moves(db) -> None:
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    q = questions.create(db, "T", draft, "U1", NOW)
    db.commit()
    kept = stamp(db.connection(), "T", NOW)
    assert stamp(db.connection(), "T", NOW + timedelta(seconds=29)) == kept
    later = stamp(db.connection(), "T", NOW + timedelta(seconds=30))
    assert later.minute == kept.minute + timedelta(minutes=1) and later != kept
    interviews.save(db, "T", Summary(str(q.id), "2026-11-25"), "U1", NOW)
    db.commit()
    moved = stamp(db.connection(), "T", NOW)
    assert moved.version > kept.version and moved.minute == kept.minute


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
        stamp(db.connection(), "T", NOW)
        questions.first_open(db, "T", NOW, 10)
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
    """What `bot.store.Store.read` runs a kept list's check on (cadence.db.make_reader): the
    stamp a transaction would read, in one statement, leaving no transaction open (on
    PostgreSQL, where a read would otherwise begin one)."""
    draft = Draft("Why do trials stall?", segment="other", owner_id="U1", channel_id="C1")
    questions.create(db, "T", draft, "U1", NOW)
    db.commit()
    statements: list[str] = []

    def count(_conn, _cursor, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = db.get_bind()
    reader = make_reader(engine)
    try:
        with reader.connect() as c:
            event.listen(c, "before_cursor_execute", count)
            found = stamp(c, "T", NOW)
            raw = c.connection.dbapi_connection
            if c.dialect.name == "postgresql":
                in_transaction = raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
            else:
                in_transaction = raw.in_transaction
    finally:
        if reader is not engine:
            reader.dispose()
    assert found == stamp(db.connection(), "T", NOW) and len(statements) == 1
    assert not in_transaction
