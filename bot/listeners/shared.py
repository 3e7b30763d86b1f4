"""Steps more than one listener takes."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import section, submission_key
from bot.members import time_zones
from bot.store import Store
from bot.views import questions as surfaces
from cadence import codebook, deliveries, interviews, questions
from cadence.models import Question
from cadence.questions import Overview

if TYPE_CHECKING:
    from cadence.matching import Matcher

log = logging.getLogger("discovery")
T = TypeVar("T")


def matcher() -> Matcher:
    """The theme matcher, imported and loaded when first asked for (numpy and WordLlama:
    about 70 MB that a tick or a CLI command does not load)."""
    from cadence.matching import default_matcher

    return default_matcher()


_loading: Future[Matcher] | None = None  # the matcher's load, once started
_starting = threading.Lock()


def warm_matcher() -> Future[Matcher]:
    """Start loading the matcher in a thread, once per process (a modal whose Save needs it
    starts it as it opens, while it is filled in), or again after a load that failed: the
    load's future."""
    global _loading
    with _starting:
        if _loading is None or (_loading.done() and _loading.exception() is not None):
            _loading = Future()
            _loading.set_running_or_notify_cancel()  # a waiter that gives up cannot cancel it
            threading.Thread(target=_load, args=(_loading,), name="matcher", daemon=True).start()
        return _loading


def _load(loaded: Future[Matcher]) -> None:
    try:
        loaded.set_result(matcher())
    except BaseException as e:  # the Save waiting for it fails with it
        loaded.set_exception(e)


# How long a Save waits for a matcher still loading (0.5 s on a quiet machine, as a server
# answers its first modal after a start) before it asks to be pressed again: Slack shows an
# error for an answer later than 3 s.
MATCHER_WAIT = 2.0


async def matcher_ready() -> bool:
    """Whether the matcher is loaded, waiting up to MATCHER_WAIT for its load (started now
    if none is under way). A load that failed raises its error."""
    loading = asyncio.wrap_future(warm_matcher())
    try:
        await asyncio.wait_for(asyncio.shield(loading), MATCHER_WAIT)
    except TimeoutError:
        return False
    return True


async def matcher_loaded() -> None:
    """Wait for the matcher, however long its load takes: for work done after Slack has its
    answer, which would otherwise load it on the store's thread and hold up every request."""
    await asyncio.wrap_future(warm_matcher())


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


STORE = "store"  # the context key of the Store, put there for every listener
PUBLIC_URL = "public_url"  # the context key of the PUBLIC_URL setting


def store_of(context: AsyncBoltContext) -> Store:
    """The store every listener works through (register_all puts it in each context)."""
    return context[STORE]


async def dm(client: AsyncWebClient, user: str, text: str, blocks: list | None = None) -> None:
    """A DM from the app: `text` as one section unless `blocks` are given."""
    await client.chat_postMessage(channel=user, text=text, blocks=blocks or [section(text)])


async def answer(respond: AsyncRespond, text: str) -> None:
    """An ephemeral reply to a button where Slack gave a response_url (a message's buttons);
    the Home tab's have none, and a modal or DM that follows says enough."""
    if respond is not None and respond.response_url:
        await respond(text=text, blocks=[section(text)], response_type="ephemeral")


def modal_errors(codes: dict[str, str]) -> dict[str, str]:
    """`response_action: errors` for a modal: cadence's codes, by block, in words."""
    return {block: words.plain(f"errors.{code}") for block, code in codes.items()}


async def refuse(ack: AsyncAck, codes: dict[str, str]) -> None:
    """Keep the modal open, with the core's problems on their blocks."""
    await ack(response_action="errors", errors=modal_errors(codes))


# The core's refusals of a form, most particular first, each as the error code a modal shows
# on the form's block; a form may name its own code for one of them (`stored`'s `codes`).
REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (interviews.NotAllowed, "not_allowed"),
    (questions.NotOwner, "not_owner"),
    (questions.NotOpen, "not_open"),
    (codebook.NotCurator, "not_curator"),
    (LookupError, "gone"),
)


class Again:
    """A modal submitted again (Save pressed twice, or a retry): the first submission had
    its effect and its confirmation; this one gets the same answer and nothing else."""


AGAIN = Again()


def first_submission(s: Session, team_id: str, view: dict[str, Any]) -> bool:
    """Whether this view, with these values, is submitted for the first time: recorded in
    the caller's transaction, so it stands only if the submission's effect does."""
    key = (team_id, deliveries.VIEW, submission_key(view) or "", "")
    return deliveries.first(s, key, clock.now())


async def first_event(store: Store, team_id: str, body: dict[str, Any]) -> bool:
    """Whether this event is new: Slack retries an event it thinks was not answered, and
    each event_id is handled once."""
    key = (team_id, deliveries.EVENT, str(body.get("event_id", ""))[:64], "")
    return await store.run(deliveries.first, key, clock.now())


async def once(
    store: Store, team_id: str, view: dict[str, Any], fn: Callable[..., T], *args: Any
) -> T | Again:
    """`fn(session, *args)` for a view's first submission, in one transaction; AGAIN for a
    submission seen before."""

    def work(s: Session) -> T | Again:
        return fn(s, *args) if first_submission(s, team_id, view) else AGAIN

    return await store.run(work)


async def stored(
    ack: AsyncAck,
    store: Store,
    team_id: str,
    view: dict[str, Any],
    block: str,
    fn: Callable[..., T],
    *args: Any,
    codes: dict[type[Exception], str] | None = None,
) -> T | None:
    """Store a checked form through `once(...)` and answer Slack: the modal closes, or shows
    why the core refused it on `block` (in `codes`' words if the form has its own for that
    refusal, else REFUSALS'). The effect, for a first submission the core accepted; None
    when there is nothing more to do (refused, or submitted before)."""
    try:
        found = await once(store, team_id, view, fn, *args)
    except tuple(kind for kind, _ in REFUSALS) as e:
        await refuse(ack, {block: refusal(e, codes)})
        return None
    await ack()
    return None if found is AGAIN else found


def refusal(error: Exception, codes: dict[type[Exception], str] | None = None) -> str:
    """The error code of one of the core's refusals (REFUSALS), unless `codes` has its own."""
    return next(c for kind, c in [*(codes or {}).items(), *REFUSALS] if isinstance(error, kind))
