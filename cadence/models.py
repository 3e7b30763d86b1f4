"""The tables. Every row carries its workspace's team_id, and every query filters on it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC and gives back aware datetimes, on SQLite (which keeps no zone) too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(nullable: bool = False) -> object:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable))


class Segment(StrEnum):
    """Who can close a knowledge gap (from the seed article)."""

    RECENT_SIGNUPS = "recent_signups"
    RECENT_CANCELLATIONS = "recent_cancellations"
    SUPERSTARS = "superstars"
    COMPETITOR_ADVOCATES = "competitor_advocates"
    SOLUTION_ADVOCATES = "solution_advocates"
    OTHER = "other"


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    DROPPED = "dropped"


JTBD_PARTS = (
    "struggling_moments",
    "driving_forces",
    "existing_solutions",
    "alternative_solutions",
    "motivations",
    "desired_outcomes",
)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FLAG_PENDING = "status = 'open' AND sat_state = 'saturated' AND NOT saturated"


class Question(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("team_id", "number"),
        sa.UniqueConstraint("team_id", "submission"),
        # The scheduler's "what may be due now" scan, every minute.
        sa.Index(
            "ix_question_next_check",
            "next_check",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index(
            "ix_question_checked_at",
            "checked_at",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        # The scheduler's "saturated, owner not told yet" scan, every minute.
        sa.Index(
            "ix_question_to_flag",
            "id",
            sqlite_where=sa.text(FLAG_PENDING),
            postgresql_where=sa.text(FLAG_PENDING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    number: int  # shown as #N, counted per workspace
    text: str = Field(max_length=300)
    hypothesis: str = Field(default="", max_length=3000)
    segment: str = Field(default=Segment.OTHER.value, max_length=32)
    owner_id: str = Field(max_length=32)
    channel_id: str = Field(default="", max_length=32)
    weekly_target: int = 3
    status: str = Field(default=Status.OPEN.value, max_length=16)
    conclusion: str = Field(default="", max_length=3000)
    created_by: str = Field(max_length=32)
    created_at: datetime = _when()
    updated_at: datetime = _when()
    closed_at: datetime | None = _when(nullable=True)
    skipped_week: date | None = None  # Monday of the week its owner muted it
    # Its saturation rule (cadence.saturation.Rule) and the flag: `saturated` is the state
    # the owner was last told of, `flags` how many times they were told it is saturated.
    sat_base: int = 4
    sat_run: int = 3
    sat_threshold: float = 0.05
    saturated: bool = False
    flags: int = 0
    # Kept by questions.recount whenever its coding changes, so that no read recomputes it
    # from the whole history: unique themes so far after each coded interview, in the order
    # held ("3,5,6"), and the saturation state its rule gives.
    curve: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    sat_state: str = Field(default="not_enough", max_length=16)
    # The scheduler looks at the question again at this instant (cadence.schedule.due sets
    # it to the next moment anything can fall due; the epoch: at the next tick), worked out
    # at `checked_at`: a tick at an earlier instant (`tick --at` ahead of the clock, then
    # the clock) does not trust it.
    next_check: datetime = Field(
        default=EPOCH,
        sa_column=sa.Column(UTCDateTime(), nullable=False, server_default="1970-01-01 00:00:00"),
    )
    checked_at: datetime = Field(
        default=EPOCH,
        sa_column=sa.Column(UTCDateTime(), nullable=False, server_default="1970-01-01 00:00:00"),
    )
    submission: str | None = Field(default=None, max_length=64)  # the modal that stored it
    # Paused by its owner from `paused_from` until `paused_until` (the Monday it resumes):
    # no reminder or nudge, and those weeks count neither for nor against its streak. The
    # latest pause only: an earlier one is forgotten when a new one starts.
    paused_from: date | None = None
    paused_until: date | None = None
    # The Monday from which "behind" and "nothing logged" weeks count again: set when the
    # owner answered the reminder's offer (lowered the target, chose to keep going).
    counted_from: date | None = None


class Interview(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("team_id", "submission"),
        # The scheduler's "planned, not yet summarised" scan, every minute.
        sa.Index(
            "ix_interview_awaiting_summary",
            "planned_at",
            sqlite_where=sa.text("held_on IS NULL"),
            postgresql_where=sa.text("held_on IS NULL"),
        ),
        # Progress counts a question's interviews by the day they were held.
        sa.Index("ix_interview_question_held", "question_id", "held_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    question_id: int = Field(foreign_key="question.id", index=True)
    interviewer_id: str = Field(max_length=32)
    interviewee: str = Field(default="", max_length=200)
    company: str = Field(default="", max_length=200)
    segment: str = Field(default=Segment.OTHER.value, max_length=32)
    held_on: date | None = None  # None while only planned
    planned_at: datetime | None = _when(nullable=True)
    struggling_moments: str = Field(default="", max_length=3000)
    driving_forces: str = Field(default="", max_length=3000)
    existing_solutions: str = Field(default="", max_length=3000)
    alternative_solutions: str = Field(default="", max_length=3000)
    motivations: str = Field(default="", max_length=3000)
    desired_outcomes: str = Field(default="", max_length=3000)
    quote: str = Field(default="", max_length=3000)
    created_at: datetime = _when()
    updated_at: datetime = _when()
    submission: str | None = Field(default=None, max_length=64)  # the modal that stored it
    # The person of the pool it was planned with (cadence.pool); None once they are forgotten.
    candidate_id: int | None = Field(default=None, foreign_key="candidate.id", index=True)


class Theme(SQLModel, table=True):
    """One entry of a question's codebook."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    question_id: int = Field(foreign_key="question.id", index=True)
    name: str = Field(max_length=300)
    created_at: datetime = _when()


class Insight(SQLModel, table=True):
    """One line of learning from an interview, coded to one theme."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    text: str = Field(max_length=1000)
    created_at: datetime = _when()
    # Coded to the theme the app preselected, and no person filed it elsewhere since (Slack
    # reports a preselected option exactly as a chosen one: this is how the count is told).
    preselected: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # The app's first themes when it was coded, as JSON [[theme, score, margin, overlap], ...]
    # (cadence.preselection.snapshot): what the person's choice is then a decision about.
    ranked: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))


class Decision(SQLModel, table=True):
    """A person's word on whether an insight belongs with a theme (a choice in the coding
    step, a merge, a move), with the app's score, margin and word overlap for that pair at the
    time: what the workspace's preselection rule is fitted on. Insight and theme are plain
    ids: a decision outlives both."""

    __table_args__ = (
        sa.Index("ix_decision_team_id", "team_id", "id"),
        sa.Index("ix_decision_team_insight", "team_id", "insight_id", "theme_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    question_id: int
    insight_id: int
    theme_id: int
    same: bool
    score: float
    margin: float  # the pair's score minus the best other theme's: >= 0 for the first ranked
    overlap: int
    created_at: datetime = _when()


class SearchDoc(SQLModel, table=True):
    """One searchable text: an insight, a quote, a JTBD part, an interviewee or company, a
    theme label, a question's text, hypothesis or conclusion. Written only by
    cadence.search, in the transaction of the change it mirrors; SQLite indexes it in an
    FTS5 table its triggers keep, PostgreSQL in a generated tsvector column (migration 0007).
    """

    __tablename__ = "search_doc"
    __table_args__ = (
        sa.Index("ix_search_doc_interview", "team_id", "interview_id"),
        sa.Index("ix_search_doc_question", "team_id", "question_id", "interview_id"),
        sa.Index("ix_search_doc_newest", "team_id", "id"),  # PostgreSQL's search walks it
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    question_id: int
    interview_id: int | None = None
    held_on: date | None = None
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class Delivery(SQLModel, table=True):
    """The ledger of scheduled sends: a row claims (kind, target, period) before sending;
    and of the events and modal submissions already handled (deliveries.first)."""

    __table_args__ = (
        sa.UniqueConstraint("team_id", "kind", "target", "period"),
        sa.Index("ix_delivery_kind_claimed", "kind", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    target: str = Field(max_length=64)
    period: str = Field(max_length=32)
    claimed_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True)


class Member(SQLModel, table=True):
    """A user's time zone and preferences, cached from users.info."""

    __table_args__ = (
        # The tick's "who gets the team overview" scan, every minute.
        sa.Index(
            "ix_member_overview",
            "team_id",
            sqlite_where=sa.text("overview"),
            postgresql_where=sa.text("overview"),
        ),
    )

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    tz: str = Field(default="UTC", max_length=64)
    reminders: bool = True  # the weekly reminder DM
    reminder_day: int = 0  # 0 = Monday, as date.weekday()
    reminder_minute: int = 9 * 60  # local time of day, in minutes after midnight
    nudge: bool = True  # the mid-week nudge DM
    # Their own booking page, put into the outreach drafts of the pool's Invite.
    scheduling_link: str = Field(
        default="", sa_column=sa.Column(sa.String(300), nullable=False, server_default="")
    )
    fetched_at: datetime = _when()
    # The team overview DM on Mondays at reminder_minute, for whoever asks (a lead).
    overview: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )


class ChannelDigest(SQLModel, table=True):
    """A channel's own moment for its weekly digest (its local day and time); a channel
    without one gets it when the last of its owners reaches Friday 16:00."""

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    day: int  # 0 = Monday
    minute: int  # local time, in minutes after midnight
    tz: str = Field(max_length=64)
    updated_by: str = Field(max_length=32)
    updated_at: datetime = _when()


class PersonStatus(StrEnum):
    """Where a person of the pool stands, as last changed."""

    NEW = "new"
    SUGGESTED = "suggested"
    INVITED = "invited"
    BOOKED = "booked"
    INTERVIEWED = "interviewed"
    NOT_A_FIT = "not_a_fit"
    OPTED_OUT = "opted_out"


class Candidate(SQLModel, table=True):
    """A person of a workspace's pool: someone to interview (cadence.pool)."""

    __table_args__ = (
        # One person per workspace by email, or by source and external id without one
        # (NULLs never collide, on both databases).
        sa.UniqueConstraint("team_id", "email"),
        sa.UniqueConstraint("team_id", "source", "external_id"),
        sa.Index("ix_candidate_pick", "team_id", "segment", "event_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=254)  # kept lower-case
    company: str = Field(default="", max_length=200)
    segment: str = Field(max_length=32)
    event_at: datetime = _when()  # signed up, cancelled, became a power user...
    source: str = Field(max_length=16)  # csv, file, webhook, manual
    external_id: str | None = Field(default=None, max_length=200)
    attributes: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(default=PersonStatus.NEW.value, max_length=16)
    contacted_at: datetime | None = _when(nullable=True)  # invited or booked: the cooldown
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Contact(SQLModel, table=True):
    """What happened between a person of the pool and a question: suggested, invited,
    booked, interviewed, not a fit, no-show. The suggestion rule reads them."""

    __table_args__ = (sa.Index("ix_contact_team_at", "team_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    question_id: int = Field(foreign_key="question.id")
    kind: str = Field(max_length=16)
    at: datetime = _when()


class Forgotten(SQLModel, table=True):
    """A person deleted from the pool on request: only a hash of who they were (their email,
    or source and external id), so that no import brings them back."""

    team_id: str = Field(primary_key=True, max_length=32)
    digest: str = Field(primary_key=True, max_length=64)


class Pool(SQLModel, table=True):
    """A workspace's pool settings: the suggestion windows, the webhook's secret (hashed),
    the events its webhook maps to segments, and the last import."""

    team_id: str = Field(primary_key=True, max_length=32)
    recent_days: int = 30  # a sign-up or cancellation older than this is not recent
    cooldown_days: int = 90  # nobody contacted this recently is suggested
    webhook_hash: str | None = Field(default=None, max_length=64, unique=True)
    events: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    last_import_at: datetime | None = _when(nullable=True)
    last_import: str = Field(default="", max_length=200)  # source and counts, as JSON


def _blob() -> object:
    return Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class ThemeKept(SQLModel, table=True):
    """A theme's vectors as the matcher sees it (cadence.kept), from its name and latest
    insights and its question's `QuestionKept` IDF; rebuilt when they change."""

    __tablename__ = "themekept"
    __table_args__ = (sa.Index("ix_themekept_question", "team_id", "question_id"),)

    theme_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True
        )
    )
    team_id: str = Field(max_length=32)
    question_id: int
    # What it was built from: the theme's name, and its insights' count, newest id and sum of
    # ids (the set of its insights, told cheaply), and the ids of the latest ones it reads.
    name: str = Field(max_length=300)
    count: int
    newest: int
    total: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    stamp: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # hash of the vectors
    insights: bytes = _blob()  # int64 ids
    centroid: bytes = _blob()  # float32
    grams: bytes = _blob()  # int32 gram ids of each text's TF-IDF vector, joined
    weights: bytes = _blob()  # float32
    lengths: bytes = _blob()  # int64 entries per text
    words: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON: content words


class QuestionKept(SQLModel, table=True):
    """The IDF a question's kept theme vectors were computed with (document frequencies of
    its themes' texts when counted), and how many texts changed since: past a share of them,
    it is counted again and every theme rebuilt."""

    __tablename__ = "questionkept"

    question_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("question.id", ondelete="CASCADE"), primary_key=True
        )
    )
    team_id: str = Field(max_length=32, index=True)
    fitted: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # hash of the fit
    texts: int
    changed: int
    tokens: bytes = _blob()  # int64 token ids, then int64 counts
    grams: bytes = _blob()  # int64 gram ids, then int64 counts


class WorkspaceStamp(SQLModel, table=True):
    """A workspace's version: a new one with every write to the rows a list reads, in the
    write's transaction, by the triggers of migration 0013; a process keeps a list's answer
    until it moves. Versions never repeat (on SQLite, the row of team "" keeps the count)."""

    __tablename__ = "workspacestamp"

    team_id: str = Field(primary_key=True, max_length=32)
    version: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
