"""adaptive cadence: a question's pause and where its adaptive counts start, a member's
Monday team overview, and a channel's own digest time

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("counted_from", sa.Date(), nullable=True))
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overview", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_member_overview",
        "member",
        ["team_id"],
        sqlite_where=sa.text("overview"),
        postgresql_where=sa.text("overview"),
    )
    op.create_table(
        "channeldigest",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id"),
    )


def downgrade() -> None:
    op.drop_table("channeldigest")
    op.drop_index("ix_member_overview", table_name="member")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("overview")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("counted_from")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("paused_from")
