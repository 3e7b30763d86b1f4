"""Engine, sessions and schema migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration (tests/test_cli.py checks it against alembic's head): knowing it, a
# process that starts on an up-to-date schema does not load alembic at all.
HEAD = "0014"  # 0010, 0009, 0011 to 0014: numbers were handed out per branch


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


def make_engine(url: str, autocommit: bool = False) -> sa.Engine:
    """The app's engine for `url`; `autocommit` (PostgreSQL only): each statement its own
    transaction, so that a connection goes back to the pool with nothing to roll back."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options: dict[str, Any] = {}
    if autocommit:
        options = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
    return sa.create_engine(url, pool_pre_ping=True, **options)


def make_reader(engine: sa.Engine) -> sa.Engine:
    """Connections to the engine's database for a read of one statement, that needs no
    transaction (bot.store.Store.read). On PostgreSQL they are in autocommit: no BEGIN, no
    COMMIT, no Session (a kept list's check: about 0.5 -> 0.25 ms of CPU). pysqlite begins no
    transaction for a read, so on SQLite there is nothing to spare: the engine itself."""
    if engine.dialect.name == "sqlite":
        return engine
    return make_engine(engine.url.render_as_string(hide_password=False), autocommit=True)


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
