"""workspace stamps: a version of each workspace that every write to the rows a list reads
changes, in the write's own transaction, so that a process may keep a list's answer until
its workspace's version moves (bot/listeners/commands.py)

Triggers on question, interview, theme and member. SQLite (one writer at a time): each row
written takes the next value of a counter kept in the row of team "" (never purged, so no
version repeats after a workspace is purged and comes back). PostgreSQL: constraint triggers
deferred to the commit, each taking a sequence's next value. At the commit, so that the
version row is locked only while committing: taken at each write, a Save that inserts an
interview (locking the version row) and then recounts its question would deadlock with the
tick, which updates that question's next check and then needs the version row. An update of
a question's next check alone (the tick's bookkeeping) changes nothing a list shows and leaves
the version as it is.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables `questions.first_open` reads on this day (cadence.questions.LIST_TABLES).
STAMPED = ("question", "interview", "theme", "member")
_SQLITE_TRIGGER = """CREATE TRIGGER {table}_stamp_{event} AFTER {EVENT} ON {table} BEGIN
  UPDATE workspacestamp SET version = version + 1 WHERE team_id = '';
  INSERT INTO workspacestamp (team_id, version)
  VALUES ({row}.team_id, (SELECT version FROM workspacestamp WHERE team_id = ''))
  ON CONFLICT (team_id) DO UPDATE SET version = excluded.version;
END"""
_PG_FUNCTION = """CREATE FUNCTION cadence_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) - 'next_check' - 'checked_at'
                          = to_jsonb(OLD) - 'next_check' - 'checked_at' THEN
    RETURN NULL;
  END IF;
  INSERT INTO workspacestamp (team_id, version)
  VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.team_id ELSE NEW.team_id END,
          nextval('workspacestamp_version'))
  ON CONFLICT (team_id) DO UPDATE SET version = EXCLUDED.version;
  RETURN NULL;
END $$"""
_PG_TRIGGER = """CREATE CONSTRAINT TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE
ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cadence_stamp()"""
_EVENTS = (("insert", "new"), ("update", "new"), ("delete", "old"))


def upgrade() -> None:
    op.create_table(
        "workspacestamp",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE workspacestamp_version")
        op.execute(_PG_FUNCTION)
        for table in STAMPED:
            op.execute(_PG_TRIGGER.format(table=table))
        return
    op.execute("INSERT INTO workspacestamp (team_id, version) VALUES ('', 0)")
    for table in STAMPED:
        for event, row in _EVENTS:
            trigger = _SQLITE_TRIGGER.format(table=table, event=event, EVENT=event.upper(), row=row)
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in STAMPED:
            op.execute(f"DROP TRIGGER {table}_stamp ON {table}")
        op.execute("DROP FUNCTION cadence_stamp()")
        op.execute("DROP SEQUENCE workspacestamp_version")
    else:
        for table in STAMPED:
            for event, _row in _EVENTS:
                op.execute(f"DROP TRIGGER {table}_stamp_{event}")
    op.drop_table("workspacestamp")
