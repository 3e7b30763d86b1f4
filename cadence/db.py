"""Engine, sessions and schema migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration (tests/test_cli.py checks it against alembic's head): knowing it, a
# process that starts on an up-to-date schema does not load alembic at all.
HEAD = "0009"


def normalize_database_url(url: str) -> str:
    """Accept sqlite and PostgreSQL URLs; PostgreSQL always goes through psycopg 3."""
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError(f"{url!r} is not a database URL")
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return url
    raise ValueError(f"{scheme!r} databases are not supported (use sqlite:// or postgresql://)")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the scheduler and the web process read while the other writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@contextmanager
def session(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def dialect_insert(s: Session) -> Callable[..., Any]:
    """INSERT with ON CONFLICT for the session's database (SQLite or PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert


def _alembic_config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: sa.Engine) -> None:
    """Bring the schema up to the newest revision."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")


def is_current(engine: sa.Engine) -> bool:
    """The schema is at HEAD (False when it was never migrated)."""
    with engine.connect() as connection:
        try:
            found = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in found} == {HEAD}
        except (sa.exc.ProgrammingError, sa.exc.OperationalError):  # no such table yet
            return False


def ping(engine: sa.Engine) -> bool:
    """The database answers, with the app's schema in it."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


SCHEDULER_LOCK = 0x0D15C0  # the advisory lock key every scheduler of a deployment asks for


class SchedulerLock:
    """One scheduler per deployment: a PostgreSQL advisory lock held on its own connection,
    or on SQLite an exclusive lock on a file beside the database. Never blocks."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._connection: sa.Connection | None = None
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            query = sa.text("SELECT pg_try_advisory_lock(:key)")
            if connection.execute(query, {"key": SCHEDULER_LOCK}).scalar_one():
                connection.commit()  # the lock is the session's, not the transaction's
                self._connection = connection
                return True
            connection.close()
            return False
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True  # a database only this process sees
        handle = Path(f"{database}.scheduler-lock").open("wb")  # noqa: SIM115 (held while we run)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def held(self) -> bool:
        """Whether this process still holds it (a dropped connection loses the lock)."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(sa.text("SELECT 1"))
            self._connection.commit()
            return True
        except sa.exc.DBAPIError:
            self._connection.invalidate()
            self._connection = None
            return False
