"""search: every text a workspace logged, indexed for full-text search; interviews get a
company

SQLite: the `search_doc` table and an FTS5 table over it (external content) that triggers
keep in step. PostgreSQL: `search_doc` with a generated tsvector column (english stemming
after unaccent) and a GIN index. Both filled from the rows already there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cadence import search

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As cadence.search named them on the day of this revision (the rows are indexed with the
# code's `rebuild`, whose columns all exist at this revision).
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
PG_CONFIG = "cadence_search"

_SQLITE = [
    f"""CREATE VIRTUAL TABLE search_fts USING fts5(team_id, text, content='search_doc',
    content_rowid='id', tokenize='{FTS_TOKENIZER}')""",
    """CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN
    INSERT INTO search_fts(rowid, team_id, text) VALUES (new.id, new.team_id, new.text); END""",
    """CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN
    INSERT INTO search_fts(search_fts, rowid, team_id, text)
    VALUES ('delete', old.id, old.team_id, old.text); END""",
    """CREATE TRIGGER search_doc_au AFTER UPDATE ON search_doc BEGIN
    INSERT INTO search_fts(search_fts, rowid, team_id, text)
    VALUES ('delete', old.id, old.team_id, old.text);
    INSERT INTO search_fts(rowid, team_id, text) VALUES (new.id, new.team_id, new.text); END""",
]
# The text as 0007 indexed it (0011 blanks more of its characters).
_PG_TEXT = "translate(text, '<>', '  ')"
_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english)",
    f"""ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG}
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem""",
    f"""ALTER TABLE search_doc ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('{PG_CONFIG}'::regconfig, {_PG_TEXT})) STORED""",
    "CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)",
]


def upgrade() -> None:
    op.add_column(
        "interview",
        sa.Column("company", sa.String(length=200), nullable=False, server_default=""),
    )
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_search_doc_interview", "search_doc", ["team_id", "interview_id"])
    op.create_index("ix_search_doc_question", "search_doc", ["team_id", "question_id"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)
    search.rebuild(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("search_doc")
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {PG_CONFIG}")
    else:
        op.execute("DROP TABLE search_fts")
        op.drop_table("search_doc")
    with op.batch_alter_table("interview") as batch:
        batch.drop_column("company")
