"""handled once: the ledger's events and modal submissions are pruned by kind and age

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_kind_claimed", "delivery", ["kind", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_kind_claimed", table_name="delivery")
