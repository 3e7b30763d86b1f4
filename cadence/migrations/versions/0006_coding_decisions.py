"""coding decisions: each person's choice about an insight and a theme, kept to fit the
workspace's preselection rule; per insight, whether it kept the app's preselection and the
app's first themes when it was coded

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("insight_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("same", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.Column("overlap", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_decision_team_id", "decision", ["team_id", "id"])
    op.create_index("ix_decision_team_insight", "decision", ["team_id", "insight_id", "theme_id"])
    # Insights coded before: unknown whether a person kept a preselection, so not counted.
    with op.batch_alter_table("insight", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preselected", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("ranked", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("insight", schema=None) as batch_op:
        batch_op.drop_column("ranked")
        batch_op.drop_column("preselected")
    op.drop_index("ix_decision_team_insight", table_name="decision")
    op.drop_index("ix_decision_team_id", table_name="decision")
    op.drop_table("decision")
