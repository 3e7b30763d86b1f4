"""Fixtures: the fake Slack, the real `discovery-bot serve` process, signed senders."""

from __future__ import annotations

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

from cadence.db import make_engine, migrate, session
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender, get

BIN = Path(sys.executable).parent / "discovery-bot"


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

    @property
    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url)

    def rows(self) -> dict[str, int]:
        """Row counts of every table, to prove that a request wrote nothing."""
        with self.engine.connect() as c:
            names = sa.inspect(c).get_table_names()
            return {n: c.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar_one() for n in names}

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
def running_server(fake: FakeSlack, workdir: Path, *args: str) -> Iterator[Server]:
    """The real `discovery-bot serve` process on a free port, with its own SQLite file."""
    database_url = f"sqlite:///{workdir / 'discovery.db'}"
    port = free_port()
    env = app_env(fake, database_url, PORT=str(port))
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
            yield Server(url, database_url, env, process)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(fake, tmp_path_factory.mktemp("server"), "--no-scheduler") as s:
        yield s


def get_or_none(url: str) -> int | None:
    try:
        return get(url).status
    except OSError:
        return None


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the machine's server, dropped afterwards."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = "cadence_" + uuid.uuid4().hex[:12]
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as e:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {e.orig}")
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh, migrated database of each kind, for unit tests of the core."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/unit.db"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
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
