"""Fixtures: the fake Slack, the real `discovery-bot serve` process, signed senders."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.sandbox.fake_slack import BOT_TOKEN, FakeSlack
from bot.sandbox.requests import SIGNING_SECRET, SlackSender, get
from cadence.db import make_engine, migrate, normalize_database_url, session

BIN = Path(sys.executable).parent / "discovery-bot"
# The suite runs on SQLite, or on this PostgreSQL server when set (CI runs it both ways).
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        **extra,
    )
    return env


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@dataclass
class Server:
    url: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path  # what the process wrote to stdout and stderr

    @property
    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url)

    def rows(self, team: str | None = None) -> dict[str, int]:
        """Row counts of every table (of one workspace's rows, with `team`), to prove that a
        request wrote nothing."""
        with self.engine.connect() as c:
            inspector = sa.inspect(c)
            counts = {}
            for name in inspector.get_table_names():
                columns = {col["name"] for col in inspector.get_columns(name)}
                if team is None:
                    sql, params = f"SELECT COUNT(*) FROM {name}", {}
                elif "team_id" in columns:
                    sql, params = f"SELECT COUNT(*) FROM {name} WHERE team_id=:t", {"t": team}
                else:
                    continue
                counts[name] = c.execute(sa.text(sql), params).scalar_one()
            return counts

    def tick(self, at: str) -> subprocess.CompletedProcess[str]:
        result = run_cli("tick", "--at", at, env=self.env)
        assert result.returncode == 0, result.stderr
        return result


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack().start()
    yield f
    f.stop()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the server of TEST_DATABASE_URL, dropped afterwards."""
    admin = sa.create_engine(
        normalize_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT"
    )
    name = "cadence_" + uuid.uuid4().hex[:12]
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def fresh_database(workdir: Path) -> Iterator[str]:
    """A new, migrated database: on the server TEST_DATABASE_URL names when it is set, else
    an SQLite file in `workdir`."""
    with contextlib.ExitStack() as stack:
        if TEST_DATABASE_URL:
            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{workdir / 'discovery.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url


@contextmanager
def running_server(
    fake: FakeSlack,
    workdir: Path,
    *args: str,
    database_url: str | None = None,
    settings: dict[str, str | None] | None = None,
) -> Iterator[Server]:
    """The real `discovery-bot serve` process on a free port, on `database_url` (default: an
    SQLite file in `workdir`), with `settings` added to its environment (None: removed)."""
    database_url = database_url or f"sqlite:///{workdir / 'discovery.db'}"
    port = free_port()
    env = app_env(fake, database_url, PORT=str(port))
    for name, value in (settings or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN), "serve", "--host", "127.0.0.1", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while get_or_none(url + "/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("server did not start:\n" + log_path.read_text())
            time.sleep(0.1)  # waiting for the process to listen, not for a schedule
        try:
            yield Server(url, database_url, env, process, log_path)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("server")
    with (
        fresh_database(workdir) as url,
        running_server(fake, workdir, "--no-scheduler", database_url=url) as s,
    ):
        yield s


def get_or_none(url: str) -> int | None:
    try:
        return get(url).status
    except OSError:
        return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server of TEST_DATABASE_URL."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL-only test")
    with postgres_database() as url:
        yield url


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh, migrated database (TEST_DATABASE_URL's kind, else SQLite), for
    unit tests of the core."""
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with session(engine) as s:
            yield s
        engine.dispose()


@pytest.fixture
def slack(fake: FakeSlack) -> Iterator[FakeSlack]:
    """The fake, emptied for this test; fails the test on any Block Kit violation."""
    fake.reset()
    yield fake
    assert not fake.violations, fake.violations


@pytest.fixture
def team() -> str:
    """A workspace of this test's own: the app keeps workspaces apart, so tests share a server."""
    return "T" + uuid.uuid4().hex[:10].upper()


@pytest.fixture
def sender(server: Server, slack: FakeSlack, team: str) -> SlackSender:
    return SlackSender(server.url, slack.response_url, team=team)
