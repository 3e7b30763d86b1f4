"""Steps more than one listener takes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import section, submission_key
from bot.members import time_zones
from bot.store import Store
from bot.views import questions as surfaces
from cadence import deliveries, questions
from cadence.models import Question
from cadence.questions import Overview

log = logging.getLogger("discovery")
T = TypeVar("T")


async def time_zone(client: AsyncWebClient, store: Store, team_id: str, user_id: str) -> str:
    return (await time_zones(client, store, team_id, [user_id], clock.now()))[user_id]


async def overviews_for(
    store: Store, team_id: str, chosen: Sequence[Question] | None, owner: str = ""
) -> list[Overview]:
    """Progress of questions (None: the open ones, of `owner` if given), each counted in its
    owner's week: one trip to the store."""
    return await store.run(questions.overviews_of, team_id, chosen, clock.now(), owner)


async def publish_home(client: AsyncWebClient, store: Store, team_id: str, user_id: str) -> None:
    """Publish the user's Home tab: their open questions."""
    mine = await overviews_for(store, team_id, None, user_id)
    await client.views_publish(user_id=user_id, view=surfaces.home_view(mine))


async def each(*steps: Awaitable[object]) -> None:
    """Side effects after the answer, each on its own: one that fails (logged once) leaves
    the others to happen."""
    for step in steps:
        try:
            await step
        except Exception as e:
            log.warning("a side effect failed: %s: %s", type(e).__name__, e)


async def answer(respond: AsyncRespond, text: str) -> None:
    """An ephemeral reply to a button where Slack gave a response_url (a message's buttons);
    the Home tab's have none, and a modal or DM that follows says enough."""
    if respond is not None and respond.response_url:
        await respond(text=text, blocks=[section(text)], response_type="ephemeral")


def modal_errors(codes: dict[str, str]) -> dict[str, str]:
    """`response_action: errors` for a modal: cadence's codes, by block, in words."""
    return {block: words.plain(f"errors.{code}") for block, code in codes.items()}


class Again:
    """A modal submitted again (Save pressed twice, or a retry): the first submission had
    its effect and its confirmation; this one gets the same answer and nothing else."""


AGAIN = Again()


def first_submission(s: Session, team_id: str, view: dict[str, Any]) -> bool:
    """Whether this view, with these values, is submitted for the first time: recorded in
    the caller's transaction, so it stands only if the submission's effect does."""
    key = (team_id, deliveries.VIEW, submission_key(view) or "", "")
    return deliveries.first(s, key, clock.now())


async def once(
    store: Store, team_id: str, view: dict[str, Any], fn: Callable[..., T], *args: Any
) -> T | Again:
    """`fn(session, *args)` for a view's first submission, in one transaction; AGAIN for a
    submission seen before."""

    def work(s: Session) -> T | Again:
        return fn(s, *args) if first_submission(s, team_id, view) else AGAIN

    return await store.run(work)
