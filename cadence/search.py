"""Full-text search over everything a workspace logged, and the index kept in step with it.

Every searchable text is a row of `search_doc` (cadence.models.SearchDoc): an interview's
insights, quote, JTBD parts, interviewee and company; a question's text, hypothesis and
conclusion, and its theme labels. SQLite indexes them in an FTS5 table kept by triggers on
`search_doc`; PostgreSQL in a generated tsvector column with a GIN index (migration 0007).
Each change to an interview or a question rewrites its rows with `sync_interview` or
`sync_question`, by INSERT ... SELECT in the caller's transaction; nothing is read into
Python to index or to filter it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from cadence.models import JTBD_PARTS, Insight, Interview, Question, SearchDoc, Theme

PAGE = 10
COUNT_CAP = 1000  # "and 990+ more": counting every match of a common word costs a scan
MAX_WORDS = 200  # characters of a search kept: a question, not a document
# Around the matched words in a hit's text, for the Slack layer to bold after escaping.
MARK, UNMARK = "\x02", "\x03"
INTERVIEW_KINDS = ("interviewee", "company", "quote", *JTBD_PARTS)
QUESTION_KINDS = {
    "question": Question.text,
    "hypothesis": Question.hypothesis,
    "conclusion": Question.conclusion,
}
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
PG_CONFIG = "cadence_search"  # english stemming after unaccent (migration 0007)
# PostgreSQL's parser reads "<passwords>" as an XML tag and indexes no word of it (the
# headline, shown as typed, leaves such a word unbolded).
PG_TEXT = "translate(text, '<>', '  ')"

_TERM = re.compile(r'"([^"]*)"?|(\S+)')


def terms(words: str) -> list[str]:
    """What a search asks for: its words and "quoted phrases", each required; quotes and
    characters no word has are dropped, so nothing typed is read as an operator."""
    found = []
    for m in _TERM.finditer(words[:MAX_WORDS]):
        term = " ".join((m.group(1) if m.group(1) is not None else m.group(2)).split())
        term = term.replace('"', "")
        if any(c.isalnum() for c in term):
            found.append(term)
    return found


def _quoted(found: list[str]) -> str:
    """Every term a quoted phrase: FTS5 and websearch_to_tsquery read no operator in one."""
    return " ".join(f'"{term}"' for term in found)


def _interview_docs(where: sa.ColumnElement[bool]) -> list[sa.Select]:
    """SELECTs of the documents of the logged interviews `where` picks."""
    logged = sa.and_(where, col(Interview.held_on).is_not(None))
    picked = [
        sa.select(
            Interview.team_id,
            sa.literal(kind, sa.String),
            Interview.question_id,
            col(Interview.id),
            Interview.held_on,
            getattr(Interview, kind),
        ).where(logged, getattr(Interview, kind) != "")
        for kind in INTERVIEW_KINDS
    ]
    picked.append(
        sa.select(
            Insight.team_id,
            sa.literal("insight", sa.String),
            Interview.question_id,
            col(Interview.id),
            Interview.held_on,
            Insight.text,
        )
        .join(Interview, col(Interview.id) == Insight.interview_id)
        .where(logged)
    )
    return picked


def _question_docs(where: sa.ColumnElement[bool]) -> list[sa.Select]:
    """SELECTs of the documents of the questions `where` picks, and of their theme labels
    (a theme still named after an insight is found as that insight)."""
    none_int = sa.cast(sa.null(), sa.Integer).label("interview_id")
    none_date = sa.cast(sa.null(), sa.Date).label("held_on")
    picked = [
        sa.select(
            Question.team_id,
            sa.literal(kind, sa.String).label("kind"),
            col(Question.id),
            none_int,
            none_date,
            text.label("text"),
        ).where(where, text != "")
        for kind, text in QUESTION_KINDS.items()
    ]
    named_after = sa.exists().where(Insight.theme_id == Theme.id, Insight.text == Theme.name)
    picked.append(
        sa.select(
            Theme.team_id,
            sa.literal("theme", sa.String),
            Theme.question_id,
            none_int,
            none_date,
            Theme.name,
        )
        .join(Question, col(Question.id) == Theme.question_id)
        .where(where, ~named_after)
    )
    return picked


_COLUMNS = ["team_id", "kind", "question_id", "interview_id", "held_on", "text"]


def _insert(s: Session | sa.Connection, selects: list[sa.Select]) -> None:
    s.execute(sa.insert(SearchDoc).from_select(_COLUMNS, sa.union_all(*selects)))


def sync_interview(s: Session, team_id: str, interview_id: int) -> None:
    """Rewrite one interview's documents from its rows (none once it is deleted)."""
    s.flush()
    s.execute(
        sa.delete(SearchDoc).where(
            SearchDoc.team_id == team_id, SearchDoc.interview_id == interview_id
        )
    )
    _insert(s, _interview_docs(sa.and_(Interview.team_id == team_id, Interview.id == interview_id)))


def sync_question(s: Session, team_id: str, question_id: int) -> None:
    """Bring one question's own documents and its theme labels in step with their rows: the
    texts that changed only (a summary's new theme would otherwise index its question's 300
    labels again: 18 of 90 ms on PostgreSQL). Two themes of one name are one document."""
    s.flush()
    wanted = sa.union_all(
        *_question_docs(sa.and_(Question.team_id == team_id, Question.id == question_id))
    ).subquery()
    mine = sa.and_(
        SearchDoc.team_id == team_id,
        SearchDoc.question_id == question_id,
        col(SearchDoc.interview_id).is_(None),
    )
    held = sa.tuple_(SearchDoc.kind, SearchDoc.text)
    first = sa.select(sa.func.min(SearchDoc.id)).where(mine).group_by(*held.clauses)
    gone = held.not_in(sa.select(wanted.c.kind, wanted.c.text))
    # ... and a text held twice (written before this kept one of each, or by two
    # transactions at once) is kept once.
    s.execute(sa.delete(SearchDoc).where(mine, sa.or_(gone, col(SearchDoc.id).not_in(first))))
    existing = sa.select(*(getattr(SearchDoc, name) for name in _COLUMNS)).where(mine)
    s.execute(sa.insert(SearchDoc).from_select(_COLUMNS, sa.except_(sa.select(wanted), existing)))


def rebuild(connection: sa.Connection) -> None:
    """Every workspace's documents from scratch (migration 0007 fills the index with it)."""
    connection.execute(sa.delete(SearchDoc))
    _insert(connection, _interview_docs(sa.true()) + _question_docs(sa.true()))


@dataclass(frozen=True)
class Hit:
    kind: str  # "insight", "theme", an INTERVIEW_KINDS or QUESTION_KINDS entry
    shown: str  # the matched text (a snippet of a long one), its words between MARK and UNMARK
    question_id: int
    question_number: int
    question_text: str
    interview_id: int | None
    interviewee: str
    held_on: date | None


@dataclass(frozen=True)
class Results:
    words: str
    hits: list[Hit]
    offset: int
    total: int  # at most COUNT_CAP

    @property
    def more(self) -> int:
        """Hits after this page (a lower bound once the count is capped)."""
        return max(0, self.total - self.offset - len(self.hits))

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP


# Ranked among the newest RANKED matches: FTS5's bm25() and a ts_rank over every match
# both cost a pass over the whole doclist of a common word (a second and more at a million
# documents); a search that finds more says "narrow it down" anyway.
RANKED = COUNT_CAP
# The score: BM25's term-frequency part with its usual constants (k1 1.2, b 0.75), over
# the matched words of a text and its length against a typical insight's. Every hit holds
# every term, so the inverse document frequency BM25 adds would rank little differently.
_SCORE = "tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * n / 80.0))"
# Both databases: the newest RANKED matches (`found`), the page of them (`top`), and the
# count as the first column of a row that is there even when the page is empty.
_PAGE = """
SELECT c.total, p.* FROM (SELECT count(*) AS total FROM found) AS c
LEFT JOIN ({page}) AS p ON true
ORDER BY p.score DESC, p.id DESC
"""
# SQLite: the workspace is checked on search_doc's row, not by the FTS table's team column:
# AND-ing a word with a workspace that holds most documents walks that workspace's whole
# doclist (20-30 ms a search at 2 million documents).
_SQLITE_MATCH = f"""
WITH found AS MATERIALIZED (
  SELECT f.rowid AS id, length(highlight(search_fts, 1, :mark, '')) - length(d.text) AS tf,
         length(d.text) AS n
  FROM search_fts AS f JOIN search_doc AS d ON d.id = f.rowid
  WHERE search_fts MATCH :match AND d.team_id = :team ORDER BY f.rowid DESC LIMIT {RANKED}
), top AS (
  SELECT id, {_SCORE} AS score FROM found ORDER BY score DESC, id DESC
  LIMIT :limit OFFSET :offset
)
""" + _PAGE.format(
    page="""
SELECT top.score, top.id, d.kind, snippet(search_fts, 1, :mark, :unmark, '…', 24) AS shown,
       d.question_id, q.number, q.text, d.interview_id, coalesce(i.interviewee, ''), d.held_on,
       d.text AS original
FROM top CROSS JOIN search_fts ON search_fts.rowid = top.id JOIN search_doc d ON d.id = top.id
JOIN question q ON q.id = d.question_id LEFT JOIN interview i ON i.id = d.interview_id
WHERE search_fts MATCH :match
"""
)

# PostgreSQL (migration 0011): the text is indexed with these characters blanked, as
# SQLite's tokenizer splits at them (the parser reads "okta.com" or "a@b.com" as one word).
PG_BLANKS = "._@/:-<>&"  # no ":" before a letter: SQLAlchemy would read a parameter
PG_VECTOR = "cadence_search_vector"  # a text's words and pairs of adjacent words
PG_KEYS = "cadence_search_keys"  # the words and pairs a search's terms need
PG_INDEX = "CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)"
_BLANKING = str.maketrans(PG_BLANKS, " " * len(PG_BLANKS))
_PG_BLANKED = "translate({}, '" + PG_BLANKS + "', '" + " " * len(PG_BLANKS) + "')"
_PG_QUERY = f"websearch_to_tsquery('{PG_CONFIG}', {_PG_BLANKED.format(':match')})"
# The GIN index narrows to the workspace's documents holding every word and adjacent pair of
# the search; the query itself checks a phrase's positions on those few.
_PG_MATCHES = f"tsv @@ {PG_KEYS}(:narrow, :terms) AND tsv @@ {_PG_QUERY} AND team_id = :team"
# Where the newest RANKED matches are: how many of the workspace's newest WALKED documents
# match, read newest first (ix_search_doc_newest), the lowest id that reached, and the ids
# they span. A planner's estimate of a phrase or a pair of words is what misled it before
# (it walked a million rows for a rare phrase); these reads are bounded whatever it guesses.
WALKED = 20_000
_PG_WALK = f"""
SELECT count(*), min(f.id),
       (SELECT min(id) FROM (
          SELECT id FROM search_doc WHERE team_id = :team ORDER BY id DESC LIMIT {WALKED}) AS w),
       (SELECT max(id) FROM search_doc WHERE team_id = :team)
FROM (SELECT id FROM (
        SELECT id, tsv FROM search_doc WHERE team_id = :team ORDER BY id DESC LIMIT {WALKED}
      ) AS w WHERE tsv @@ {_PG_QUERY} LIMIT {RANKED}) AS f
"""
_PG_MATCH = f"""
WITH found AS MATERIALIZED (
  SELECT id, tsv FROM search_doc
  WHERE {_PG_MATCHES} AND id >= :floor ORDER BY id DESC LIMIT {RANKED}
), top AS (  -- ranked past the LIMIT: a word's older matches are not scored
  SELECT id, ts_rank(tsv, {_PG_QUERY}, 1) AS score FROM found
  ORDER BY score DESC, id DESC LIMIT :limit OFFSET :offset
)
""" + _PAGE.format(
    page=f"""
SELECT top.score, top.id, d.kind, ts_headline('{PG_CONFIG}', {_PG_BLANKED.format("d.text")},
         {_PG_QUERY}, CASE WHEN length(d.text) <= :whole THEN :all_words ELSE :options END),
       d.question_id, q.number, q.text, d.interview_id, coalesce(i.interviewee, ''), d.held_on,
       d.text AS original
FROM top JOIN search_doc d ON d.id = top.id JOIN question q ON q.id = d.question_id
LEFT JOIN interview i ON i.id = d.interview_id
"""
)
_PG_MARKS = f'StartSel="{MARK}", StopSel="{UNMARK}"'
_FRAGMENTS = "\x04"  # between a long text's fragments until the blanks are put back
_PG_HEADLINE = {
    "whole": 160,  # a text this short is shown whole (fragments drop its stop words)
    "all_words": f"{_PG_MARKS}, HighlightAll=true",
    "options": f"{_PG_MARKS}, MaxWords=24, MinWords=12, MaxFragments=2, "
    f'FragmentDelimiter="{_FRAGMENTS}"',
}


def search(s: Session, team_id: str, words: str, offset: int = 0, limit: int = PAGE) -> Results:
    """The workspace's documents that hold every term of `words`, best first: a page of
    `limit` from `offset`, and how many there are (up to COUNT_CAP)."""
    found = terms(words)
    offset = max(0, min(offset, COUNT_CAP))
    if not found:
        return Results(words, [], offset, 0)
    page = {"team": team_id, "limit": limit, "offset": offset}
    postgres = s.get_bind().dialect.name == "postgresql"
    if postgres:
        rows = _pg_rows(s, {**page, "match": _quoted(found), "terms": found})
    else:
        match = f"text : ({_quoted(found)})"
        params = {**page, "match": match, "mark": MARK, "unmark": UNMARK}
        rows = s.execute(sa.text(_SQLITE_MATCH), params).all()
    hits = [
        Hit(row[3], _unblank(row[4], row[11]) if postgres else row[4], *row[5:10], _day(row[10]))
        for row in rows
        if row[3] is not None
    ]
    total = rows[0][0] if rows else 0
    return Results(words, hits, offset, max(total, offset + len(hits)))


def _unblank(shown: str, text: str) -> str:
    """A headline of the blanked text (PostgreSQL) with the text's own characters back: each
    fragment, marks aside, is where it is found in the blanked text, from after the last."""
    if not any(c in text for c in PG_BLANKS):
        return shown.replace(_FRAGMENTS, " … ")
    blanked = text.translate(_BLANKING)
    fragments, start = [], 0
    for fragment in shown.split(_FRAGMENTS):
        plain = fragment.replace(MARK, "").replace(UNMARK, "")
        at = blanked.find(plain, start)
        if at < 0:
            fragments.append(fragment)
            continue
        start = at + len(plain)
        chars = iter(text[at:start])
        fragments.append("".join(c if c in (MARK, UNMARK) else next(chars) for c in fragment))
    return " … ".join(fragments)


def _day(value: date | str | None) -> date | None:
    """A date column as a date (SQLite's raw SQL gives back its ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


# Fewer matches than this among the walked documents say too little of how far down the
# rest lie: the index is asked for all of them (few, at that rate).
_SEEN = 20
_SLACK = 1.5  # a slice this much longer than the walked rate says it needs
_FEW = 0.1  # of the ids its newest documents span


def _pg_rows(s: Session, params: dict) -> list[sa.Row]:
    """The page's rows on PostgreSQL, the newest matches found by the cheaper of two plans:
    when the workspace's newest documents hold RANKED matches, those documents read again
    newest first down to the last of them; otherwise the GIN index, for the ids past a floor
    that the walked rate says holds RANKED matches (all ids when it says little), and all
    ids again if that slice held fewer. Planned for the values given each time: psycopg
    prepares a statement run often, and a generic plan knows no words to ask the index for."""
    with _planner(s, plan_cache_mode="force_custom_plan"):
        seen, lowest, walked, newest = s.execute(sa.text(_PG_WALK), params).one()
        # The index is asked for the workspace only where it holds few of the documents:
        # for one that holds most, the GIN index would read its whole entry (10 ms at 2
        # million).
        few = walked is not None and (newest - walked) * _FEW > WALKED
        params = {**params, **_PG_HEADLINE, "narrow": params["team"] if few else None}
        if seen >= RANKED:
            with _planner(s, enable_bitmapscan="off"):
                return _pg_page(s, params, lowest)
        floor = 0
        if seen >= _SEEN:
            floor = int(walked - (RANKED - seen) * (newest - walked + 1) / seen * _SLACK)
        with _planner(s, enable_indexscan="off", enable_seqscan="off"):
            rows = _pg_page(s, params, max(floor, 0))
            if floor > 0 and rows[0][0] < RANKED:
                rows = _pg_page(s, params, 0)
        return rows


def _pg_page(s: Session, params: dict, floor: int) -> list[sa.Row]:
    return s.execute(sa.text(_PG_MATCH), {**params, "floor": floor}).all()


@contextmanager
def _planner(s: Session, **settings: str) -> Iterator[None]:
    """PostgreSQL planner settings for the statements run inside, as they were after."""
    names = list(settings)
    keep = ", ".join(f"current_setting('{n}'), set_config('{n}', :{n}, true)" for n in names)
    before = s.execute(sa.text(f"SELECT {keep}"), settings).one()[::2]
    try:
        yield
    finally:
        restore = ", ".join(f"set_config('{n}', :{n}, true)" for n in names)
        s.execute(sa.text(f"SELECT {restore}"), dict(zip(names, before, strict=True)))
