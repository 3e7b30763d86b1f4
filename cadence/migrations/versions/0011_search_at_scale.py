"""search at scale (PostgreSQL): "okta.com" indexed as words; pairs of adjacent words and the
workspace in the tsvector; a workspace's documents newest first

PostgreSQL's parser reads "okta.com", "ana@okta.com" or "a/b" as one token, so "okta" did not
find them; the text is now indexed with those characters blanked, as SQLite's tokenizer splits
them. Each pair of adjacent words is one more lexeme, so the GIN index gives a phrase's
candidates as the documents holding its words side by side rather than anywhere; and the
workspace is one more (its id after "!", which no word holds), so the index reads none of
another workspace's documents. (btree_gin's team_id column was tried: it reads every entry of
a workspace into a bitmap first, 2 million at the bench's size.) The tsvector column is
recomputed (a rewrite of search_doc); (team_id, id) gives a workspace's newest documents.
SQLite's FTS5 table needs none of it.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As cadence.search names them on the day of this revision: a migration does not follow later
# changes of the code.
PG_VECTOR, PG_KEYS, PG_CONFIG = "cadence_search_vector", "cadence_search_keys", "cadence_search"
PG_BLANKS = "._@/:-<>&"
PG_INDEX = "CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)"

_UPGRADE = [
    # A document's words, each two words at adjacent positions as one more lexeme ("bill hot":
    # no word holds a space) and, given a workspace, "!" and its id.
    f"""CREATE FUNCTION {PG_VECTOR}(team text, t text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT v || coalesce((
        SELECT array_to_tsvector(array_agg(DISTINCT pair.lexeme || ' ' || pair.next))
        FROM (SELECT u.lexeme, lead(u.lexeme) OVER w AS next, pos, lead(pos) OVER w AS at
              FROM unnest(v) AS u, unnest(u.positions) AS pos WINDOW w AS (ORDER BY pos)) AS pair
        WHERE pair.at = pair.pos + 1), '')
        || array_to_tsvector(array_remove(ARRAY['!' || team], NULL))
      FROM to_tsvector('{PG_CONFIG}'::regconfig,
                       translate(t, '{PG_BLANKS}', '{" " * len(PG_BLANKS)}')) AS v
    $$""",
    # What the index is asked for: each term's adjacent pairs (or its words when it has no
    # pair: the GIN index reads a common word's entries even beside a rare one), and the
    # workspace when one is given; none: nothing is found, as websearch_to_tsquery finds
    # nothing for stop words.
    f"""CREATE FUNCTION {PG_KEYS}(team text, terms text[]) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE WHEN count(*) = 0 THEN ''::tsquery
             ELSE concat_ws(' & ', quote_literal('!' || team),
                            string_agg(quote_literal(u.lexeme), ' & '))::tsquery END
      FROM unnest(terms) AS term, {PG_VECTOR}(NULL, term) AS v, unnest(v) AS u
      WHERE (u.lexeme LIKE '% %') = (array_to_string(tsvector_to_array(v), '|') LIKE '% %')
    $$""",
    "ALTER TABLE search_doc DROP COLUMN tsv",
    f"""ALTER TABLE search_doc ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS ({PG_VECTOR}(team_id, text)) STORED""",
    PG_INDEX,
]
_DOWNGRADE = [
    "ALTER TABLE search_doc DROP COLUMN tsv",
    f"DROP FUNCTION {PG_KEYS}(text, text[])",
    f"DROP FUNCTION {PG_VECTOR}(text, text)",
    f"""ALTER TABLE search_doc ADD COLUMN tsv tsvector GENERATED ALWAYS AS
    (to_tsvector('{PG_CONFIG}'::regconfig, translate(text, '<>', '  '))) STORED""",
    "CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _UPGRADE:
            op.execute(statement)
    # A workspace's newest documents, read in order (PostgreSQL's search walks them).
    op.create_index("ix_search_doc_newest", "search_doc", ["team_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_search_doc_newest", table_name="search_doc")
    if op.get_bind().dialect.name == "postgresql":
        for statement in _DOWNGRADE:
            op.execute(statement)
