"""the candidate pool: people to interview, what happened with each, forgotten people,
each workspace's pool settings; the scheduling link of a member; interviews with a person

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("segment", sa.String(32), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "email"),
        sa.UniqueConstraint("team_id", "source", "external_id"),
    )
    op.create_index("ix_candidate_pick", "candidate", ["team_id", "segment", "event_at"])
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidate.id"), nullable=False),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("question.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_contact_candidate_id", "contact", ["candidate_id"])
    op.create_index("ix_contact_team_at", "contact", ["team_id", "at"])
    op.create_table(
        "forgotten",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
    )
    op.create_table(
        "pool",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("recent_days", sa.Integer(), nullable=False),
        sa.Column("cooldown_days", sa.Integer(), nullable=False),
        sa.Column("webhook_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("last_import_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_import", sa.String(200), nullable=False),
    )
    # A plain ADD COLUMN on SQLite, which takes its REFERENCES inline: a batch copy of the
    # table would drop it while insights refer to it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE interview ADD COLUMN candidate_id INTEGER REFERENCES candidate(id)")
    else:
        op.add_column(
            "interview",
            sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidate.id"), nullable=True),
        )
    op.create_index("ix_interview_candidate_id", "interview", ["candidate_id"])
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scheduling_link", sa.String(300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("scheduling_link")
    op.drop_index("ix_interview_candidate_id", table_name="interview")
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_column("candidate_id")
    op.drop_table("pool")
    op.drop_table("forgotten")
    op.drop_index("ix_contact_team_at", table_name="contact")
    op.drop_index("ix_contact_candidate_id", table_name="contact")
    op.drop_table("contact")
    op.drop_index("ix_candidate_pick", table_name="candidate")
    op.drop_table("candidate")
