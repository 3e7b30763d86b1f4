"""the cadence engine: reminder preferences, skipped weeks, saturation rules and flags,
modal submissions stored once

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_day", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("reminder_minute", sa.Integer(), nullable=False, server_default="540")
        )
        batch_op.add_column(
            sa.Column("nudge", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped_week", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("sat_base", sa.Integer(), nullable=False, server_default="4"))
        batch_op.add_column(sa.Column("sat_run", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(
            sa.Column("sat_threshold", sa.Float(), nullable=False, server_default="0.05")
        )
        batch_op.add_column(
            sa.Column("saturated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("flags", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("submission", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_question_team_id_submission", ["team_id", "submission"]
        )
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_interview_team_id_submission", ["team_id", "submission"]
        )
    op.create_index(
        "ix_interview_awaiting_summary",
        "interview",
        ["planned_at"],
        sqlite_where=sa.text("held_on IS NULL"),
        postgresql_where=sa.text("held_on IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_interview_awaiting_summary", table_name="interview")
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_constraint("uq_interview_team_id_submission", type_="unique")
        batch_op.drop_column("submission")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_constraint("uq_question_team_id_submission", type_="unique")
        for column in ("submission", "flags", "saturated", "sat_threshold", "sat_run", "sat_base"):
            batch_op.drop_column(column)
        batch_op.drop_column("skipped_week")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("nudge")
        batch_op.drop_column("reminder_minute")
        batch_op.drop_column("reminder_day")
