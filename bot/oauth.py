"""Multi-workspace distribution: Bolt's OAuth flow over slack-sdk's SQLAlchemy installation
and state stores, in the app's own database (tables from the migrations, see
cadence/workspaces.py), and each workspace's bot token for the scheduler.

slack-sdk's SQLAlchemy stores are synchronous; the adapters here run them off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot import clock

if TYPE_CHECKING:  # Bolt only for the web process: the scheduler needs the stores alone
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.async_context import AsyncBoltContext

    from bot.scheduler import Clients
from bot.config import Settings
from bot.store import Store
from cadence import workspaces

log = logging.getLogger("discovery.oauth")

# The bot scopes an install asks for: slack-manifest.json's oauth_config.scopes.bot.
BOT_SCOPES = [
    "commands",
    "chat:write",
    "users:read",
    "channels:join",
    "im:write",
    "im:history",
    "files:write",
]
STATE_SECONDS = 600  # an install link is good for ten minutes
# slack-sdk's tables, made by migration 0003.
INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
BOTS = SQLAlchemyInstallationStore.default_bots_table_name
STATES = "slack_oauth_states"  # SQLAlchemyOAuthStateStore's default


class InstallationStore(AsyncInstallationStore):
    """slack-sdk's SQLAlchemyInstallationStore, off the event loop; a saved installation
    also marks its workspace installed (so its data is kept)."""

    def __init__(self, client_id: str, store: Store) -> None:
        self.store = store
        self.sync = SQLAlchemyInstallationStore(
            client_id=client_id,
            engine=store.engine,
            bots_table_name=BOTS,
            installations_table_name=INSTALLATIONS,
            logger=log,
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.sync.save, installation)
        if installation.team_id:
            await self.store.run(workspaces.installed, installation.team_id, clock.now())
        log.info("installed in workspace %s", installation.team_id)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.sync.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.sync.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.sync.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.sync.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.sync.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )


class StateStore(AsyncOAuthStateStore):
    """slack-sdk's SQLAlchemyOAuthStateStore, off the event loop, its states signed with
    SLACK_STATE_SECRET: a state that was not issued here is refused before the database."""

    def __init__(self, secret: str, engine: sa.Engine) -> None:
        self.secret = secret.encode()
        self.sync = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS,
            engine=engine,
            logger=log,
            table_name=STATES,
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, state: str) -> str:
        return hmac.new(self.secret, state.encode(), hashlib.sha256).hexdigest()[:32]

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = await asyncio.to_thread(self.sync.issue)
        return f"{state}.{self._sign(state)}"

    async def async_consume(self, state: str) -> bool:
        issued, _, signature = state.rpartition(".")
        if not issued or not hmac.compare_digest(signature, self._sign(issued)):
            log.warning("OAuth state refused: not signed with SLACK_STATE_SECRET")
            return False
        return await asyncio.to_thread(self.sync.consume, issued)


def oauth_mode(settings: Settings, store: Store, client: AsyncWebClient) -> dict[str, object]:
    """AsyncApp's arguments for OAuth installs: the flow's settings, and an authorization
    from the installation store that checks each workspace's token (auth.test) once per
    process rather than on every request (Bolt's default)."""
    from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    installations = InstallationStore(settings.client_id, store)
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=BOT_SCOPES,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=StateStore(settings.state_secret, store.engine),
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
    authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        bot_only=True,
        cache_enabled=True,  # by token: an uninstalled workspace's token is not found first
        client=client,
    )
    return {"oauth_settings": oauth_settings, "authorize": authorize}


def listen_for_uninstalls(
    app: AsyncApp, installations: AsyncInstallationStore, store: Store
) -> None:
    """`app_uninstalled` and `tokens_revoked` (of the bot): the workspace's tokens go (Bolt's
    own revocation listeners) and the workspace is marked uninstalled, its data to be deleted
    by the scheduler after DATA_RETENTION_DAYS."""
    from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners

    revocation = AsyncTokenRevocationListeners(installations)

    async def mark(team_id: str | None) -> None:
        if not team_id:
            return

        await store.run(workspaces.uninstalled, team_id, clock.now())
        log.info("uninstalled from workspace %s; its tokens are deleted", team_id)

    @app.event("app_uninstalled")
    async def app_uninstalled(context: AsyncBoltContext) -> None:
        await revocation.handle_app_uninstalled_events(context)
        await mark(context.team_id)

    @app.event("tokens_revoked")
    async def tokens_revoked(event: dict, context: AsyncBoltContext) -> None:
        await revocation.handle_tokens_revoked_events(event, context)
        if event.get("tokens", {}).get("bot"):
            await mark(context.team_id)


def team_clients(store: AsyncInstallationStore, make: Callable[[str], AsyncWebClient]) -> Clients:
    """Each workspace's client, with its bot token from the installation store; None for a
    workspace with no token (uninstalled)."""

    async def client_for(team_id: str) -> AsyncWebClient | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        return make(bot.bot_token) if bot and bot.bot_token else None

    return client_for
