"""Settings read from the environment, checked once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.store import BACKLOG
from cadence.db import normalize_database_url
from cadence.workspaces import RETENTION_DAYS

SLACK_API_DEFAULT = "https://slack.com/api/"
API_TIMEOUT = 30  # slack_sdk's default
LLM_TIMEOUT = 10  # seconds a drafting model may take before the offline drafter steps in


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str
    app_token: str
    api_url: str
    database_url: str
    port: int
    # Multi-workspace distribution (OAuth): all three or none; none is single-workspace mode.
    client_id: str = ""
    client_secret: str = ""
    state_secret: str = ""
    retention_days: int = RETENTION_DAYS  # days a workspace's data outlives its uninstall
    backlog: int = BACKLOG  # interactions answered, not yet done, past which it says "busy"
    api_timeout: int = API_TIMEOUT  # seconds a Web API call waits for Slack's answer
    # A language model that drafts summaries from notes (any OpenAI-compatible chat
    # completions endpoint); none set: the offline drafter, and notes go nowhere.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)  # a secret: never logged or shown
    llm_timeout: int = LLM_TIMEOUT
    public_url: str = ""  # where Slack and webhooks reach the server, e.g. https://bot.example.com

    @property
    def oauth(self) -> bool:
        """Installed in many workspaces through OAuth, each with its own bot token."""
        return bool(self.client_id)


def _required(env: Mapping[str, str], name: str, prefix: str = "") -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set; see .env.example")
    if prefix and not value.startswith(prefix):
        raise ConfigError(f"{name} is malformed: it should start with {prefix!r}")
    return value


def _api_url(env: Mapping[str, str]) -> str:
    value = env.get("SLACK_API_URL", "").strip() or SLACK_API_DEFAULT
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"SLACK_API_URL is malformed: {value!r} is not an http(s) URL")
    # slack_sdk joins base_url and method name by plain concatenation.
    return value if value.endswith("/") else value + "/"


def _public_url(env: Mapping[str, str]) -> str:
    value = env.get("PUBLIC_URL", "").strip().rstrip("/")
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ConfigError(f"PUBLIC_URL is malformed: {value!r} is not an http(s) URL")
    return value


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("PORT", "").strip() or "3000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT is malformed: {raw!r} is not a port number (1-65535)")
    return int(raw)


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get("DATABASE_URL", "").strip() or "sqlite:///discovery.db"
    try:
        return normalize_database_url(raw)
    except ValueError as e:
        raise ConfigError(f"DATABASE_URL is malformed: {e}") from None


def _llm(env: Mapping[str, str]) -> tuple[str, str, str]:
    """LLM_BASE_URL, LLM_MODEL and LLM_API_KEY: a URL and a model, or none of the three."""
    url, model, key = (env.get(n, "").strip() for n in ("LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"))
    if not url:
        if model or key:
            raise ConfigError("LLM_BASE_URL is not set; a drafting model needs it and LLM_MODEL")
        return "", "", ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("LLM_BASE_URL is malformed: it is not an http(s) URL")
    if not model:
        raise ConfigError("LLM_MODEL is not set; LLM_BASE_URL needs the model to ask")
    return url.rstrip("/"), model, key


OAUTH = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")


def _oauth(env: Mapping[str, str]) -> tuple[str, str, str]:
    values = tuple(env.get(name, "").strip() for name in OAUTH)
    missing = [name for name, value in zip(OAUTH, values, strict=True) if not value]
    if missing and len(missing) < len(OAUTH):
        raise ConfigError(
            f"{missing[0]} is not set; OAuth installs need all of {', '.join(OAUTH)} (or none)"
        )
    return values  # type: ignore[return-value]


def _count(env: Mapping[str, str], name: str, default: int, unit: str) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit():
        raise ConfigError(f"{name} is malformed: {raw!r} is not a number of {unit}")
    return int(raw)


def dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments, blank lines and `export ` allowed; a value
    may be quoted); {} when there is no such file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, IsADirectoryError):
        return {}
    found = {}
    for line in lines:
        line = line.strip().removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or line.startswith("#") or not key.strip():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key.strip()] = value
    return found


def load(
    env: Mapping[str, str] | None = None,
    *,
    bot: bool = True,
    requests: bool = True,
    socket: bool = False,
) -> Settings:
    """Read settings. `bot` needs the bot token (anything that calls Slack), `requests` the
    signing secret (anything that takes Slack's requests), `socket` the app-level token.
    With SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET (OAuth installs) each
    workspace's bot token comes from the database instead, and SLACK_BOT_TOKEN is unused.
    Without `env`: the environment, over a `.env` file in the working directory if any."""
    env = {**dotenv(Path(".env")), **os.environ} if env is None else env
    client_id, client_secret, state_secret = _oauth(env)
    llm_base_url, llm_model, llm_api_key = _llm(env)
    bot = bot and not client_id
    return Settings(
        bot_token=_required(env, "SLACK_BOT_TOKEN", "xoxb-") if bot else "",
        signing_secret=_required(env, "SLACK_SIGNING_SECRET") if requests else "",
        app_token=_required(env, "SLACK_APP_TOKEN", "xapp-") if socket else "",
        api_url=_api_url(env),
        database_url=_database_url(env),
        port=_port(env),
        client_id=client_id,
        client_secret=client_secret,
        state_secret=state_secret,
        retention_days=_count(env, "DATA_RETENTION_DAYS", RETENTION_DAYS, "days"),
        backlog=_count(env, "MAX_BACKLOG", BACKLOG, "interactions"),
        api_timeout=_count(env, "SLACK_API_TIMEOUT", API_TIMEOUT, "seconds"),
        llm_base_url=llm_base_url,
        llm_model=llm_model,
        llm_api_key=llm_api_key,
        llm_timeout=_count(env, "LLM_TIMEOUT", LLM_TIMEOUT, "seconds"),
        public_url=_public_url(env),
    )
