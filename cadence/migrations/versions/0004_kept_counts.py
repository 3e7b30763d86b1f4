"""kept counts: each question's learning curve and saturation state, the scheduler's next
look at it, and the indexes the request path and the tick read by

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAG_PENDING = "status = 'open' AND sat_state = 'saturated' AND NOT saturated"


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("curve", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "sat_state", sa.String(length=16), nullable=False, server_default="not_enough"
            )
        )
        for column in ("next_check", "checked_at"):
            batch_op.add_column(
                sa.Column(
                    column,
                    sa.DateTime(timezone=True),
                    nullable=False,
                    server_default="1970-01-01 00:00:00",
                )
            )
    _count_curves()
    for column in ("next_check", "checked_at"):
        op.create_index(
            f"ix_question_{column}",
            "question",
            [column],
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
    op.create_index(
        "ix_question_to_flag",
        "question",
        ["id"],
        sqlite_where=sa.text(FLAG_PENDING),
        postgresql_where=sa.text(FLAG_PENDING),
    )
    op.create_index("ix_interview_question_held", "interview", ["question_id", "held_on"])


def _count_curves() -> None:
    """The curve and state of every question from its history, as questions.recount keeps
    them from now on (the rule's arithmetic is cadence.saturation's, imported: it has no
    schema of its own)."""
    from cadence import saturation

    bind = op.get_bind()
    coded: dict[int, dict[int, set[int]]] = {}
    for question_id, interview_id, theme_id in bind.execute(
        sa.text(
            "SELECT i.question_id, i.id, n.theme_id FROM insight n"
            " JOIN interview i ON n.interview_id = i.id"
            " WHERE i.held_on IS NOT NULL ORDER BY i.question_id, i.held_on, i.id"
        )
    ):
        coded.setdefault(question_id, {}).setdefault(interview_id, set()).add(theme_id)
    rules = bind.execute(sa.text("SELECT id, sat_base, sat_run, sat_threshold FROM question"))
    for question_id, base, run, threshold in rules.all():
        curve = saturation.curve_of(coded.get(question_id, {}).values())
        state = saturation.assess(curve, saturation.Rule(base, run, threshold)).state
        # `saturated` (the owner was told) is cleared where the state is no longer
        # saturated, as questions.recount does from now on, so that a return is news again.
        bind.execute(
            sa.text(
                "UPDATE question SET curve = :curve, sat_state = :state,"
                " saturated = saturated AND :saturated WHERE id = :id"
            ),
            {
                "curve": ",".join(map(str, curve)),
                "state": state.value,
                "saturated": state is saturation.State.SATURATED,
                "id": question_id,
            },
        )


def downgrade() -> None:
    op.drop_index("ix_interview_question_held", table_name="interview")
    op.drop_index("ix_question_to_flag", table_name="question")
    op.drop_index("ix_question_checked_at", table_name="question")
    op.drop_index("ix_question_next_check", table_name="question")
    with op.batch_alter_table("question", schema=None) as batch_op:
        for column in ("checked_at", "next_check", "sat_state", "curve"):
            batch_op.drop_column(column)
