"""a question's own documents by index: ix_search_doc_question gains interview_id, so that
keeping a question's labels in step (search.sync_question, on every summary) reads its own
few documents and not every document of its interviews as well (6,000 at 1,000 interviews)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_search_doc_question", table_name="search_doc")
    op.create_index(
        "ix_search_doc_question", "search_doc", ["team_id", "question_id", "interview_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_search_doc_question", table_name="search_doc")
    op.create_index("ix_search_doc_question", "search_doc", ["team_id", "question_id"])
