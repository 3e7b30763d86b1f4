"""Work that needs the theme matcher while a just-started server still loads it. A Save says
at once what its form lacks, if anything; else it waits MATCHER_WAIT, then asks to be
pressed again, with the form kept and nothing stored, rather than answering Slack after its
3 s (Slack would show the user an error). Work done after Slack's answer waits for the load
instead of loading the matcher on the store's thread; a type-ahead offers "New theme". The
load runs once, in a thread no waiter can cancel; one that failed is tried again."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from slack_bolt.async_app import AsyncBoltContext
from sqlmodel import Session

from bot import words
from bot.ids import Input, View
from bot.listeners import codebook, interviews, shared

T = TypeVar("T")
Ack = Callable[..., Awaitable[None]]


class NoStore:
    async def run(self, *_args: object) -> None:
        raise AssertionError("nothing is read or stored before the matcher is loaded")


@dataclass
class Loads:
    started: list[str]  # the threads that called shared.matcher
    done: threading.Event  # each load ends once it is set


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Loads]:
    """The matcher's loads, each held until `done` is set."""
    started: list[str] = []
    done = threading.Event()

    def slow() -> str:
        started.append(threading.current_thread().name)
        assert done.wait(10)
        return "the matcher"

    monkeypatch.setattr(shared, "matcher", slow)
    monkeypatch.setattr(shared, "MATCHER_WAIT", 0.05)
    monkeypatch.setattr(shared, "_loading", None)  # this process's real load is put back after
    yield Loads(started, done)
    done.set()


class ReadOnlyStore:
    """The listener's trips on a real session, rolled back: what a Save read, nothing kept."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.trips: list[str] = []

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        self.trips.append(fn.__name__)
        try:
            return fn(self.s, *args)
        finally:
            self.s.rollback()


def answer(listener, view: dict, store: object | None = None) -> list[dict]:
    acked: list[dict] = []

    async def ack(**answer: object) -> None:
        acked.append(answer)

    context = AsyncBoltContext(team_id="T1", store=store or NoStore())
    body = {"user": {"id": "U1"}, "view": view}
    asyncio.run(listener(ack=ack, body=body, view=view, client=None, context=context))
    return acked


@pytest.mark.parametrize(
    ("listener", "callback", "block"),
    [
        (codebook.changed, View.MERGE, Input.INTO),
        (codebook.changed, View.MOVE, Input.TO),
        (codebook.changed, View.RENAME, Input.LABEL),
    ],
)
def test_a_save_while_the_matcher_loads_is_kept_open(
    loads: Loads, listener, callback: str, block: str
) -> None:
    acked = answer(listener, {"callback_id": callback, "state": {}})
    again = words.plain("errors.warming_up")
    assert acked == [{"response_action": "errors", "errors": {block: again}}]


def summary_form(held_on: str) -> dict:
    values = {Input.QUESTION: "1", Input.HELD_ON: held_on, Input.INSIGHTS: "Setup is slow"}
    state = {block: {"input": {"value": value}} for block, value in values.items()}
    return {"callback_id": View.SUMMARY, "state": {"values": state}}


def test_a_summary_saved_while_the_matcher_loads_is_kept_open_and_nothing_is_stored(
    loads: Loads, db: Session
) -> None:
    store = ReadOnlyStore(db)
    acked = answer(interviews.summary_submitted, summary_form("2026-11-25"), store)
    again = words.plain("errors.warming_up")
    assert acked == [{"response_action": "errors", "errors": {Input.INSIGHTS: again}}]
    assert store.trips == ["_problems"]  # a check of the form, no save


def test_what_the_form_lacks_is_said_before_the_matcher_is_waited_for(
    loads: Loads, db: Session
) -> None:
    """Pressed again once the matcher is loaded, the Save must not fail for the form."""
    acked = answer(interviews.summary_submitted, summary_form("2999-01-01"), ReadOnlyStore(db))
    future = words.plain("errors.future_date")
    assert acked == [{"response_action": "errors", "errors": {Input.HELD_ON: future}}]


def test_the_load_runs_once_and_a_waiter_that_gives_up_leaves_it_running(loads: Loads) -> None:
    assert not asyncio.run(shared.matcher_ready())  # gave up after MATCHER_WAIT
    assert not asyncio.run(shared.matcher_ready())
    loading = shared.warm_matcher()
    assert loads.started == ["matcher"] and not loading.cancelled() and not loading.done()
    loads.done.set()
    assert asyncio.run(shared.matcher_ready())
    assert loading.result() == "the matcher" and loads.started == ["matcher"]


def test_a_failed_load_is_tried_again_by_the_next_save(monkeypatch: pytest.MonkeyPatch) -> None:
    tries: list[int] = []

    def flaky() -> str:
        tries.append(1)
        if len(tries) == 1:
            raise MemoryError("no room")
        return "the matcher"

    monkeypatch.setattr(shared, "matcher", flaky)
    monkeypatch.setattr(shared, "_loading", None)
    with pytest.raises(MemoryError):
        asyncio.run(shared.matcher_ready())
    assert asyncio.run(shared.matcher_ready())
    assert len(tries) == 2


class LoggingStore:
    """Each trip to the store, in the order of the listener's steps; a trip finds nothing."""

    def __init__(self, steps: list[object]) -> None:
        self.steps = steps

    async def run(self, *_args: object) -> None:
        self.steps.append("store")
        raise LookupError("gone")


CODING = {"callback_id": View.CODING, "state": {}}
USER = {"user": {"id": "U1"}}


def save_coding(ack: Ack, context: AsyncBoltContext) -> Awaitable[None]:
    return interviews.coding_submitted(
        ack=ack, body=USER, view=CODING, client=None, context=context
    )


def close_coding(ack: Ack, context: AsyncBoltContext) -> Awaitable[None]:
    return interviews.coding_closed(ack=ack, body=USER, view=CODING, client=None, context=context)


def delete_interview(ack: Ack, context: AsyncBoltContext) -> Awaitable[None]:
    """From the Home tab, where Slack gives no response_url."""
    action = {"value": "7"}
    return interviews.delete(ack=ack, body=USER, action=action, respond=None, context=context)


@pytest.mark.parametrize("listener", [save_coding, close_coding, delete_interview])
def test_work_after_the_answer_waits_for_the_load_instead_of_loading_on_the_store_thread(
    loads: Loads, listener: Callable[[Ack, AsyncBoltContext], Awaitable[None]]
) -> None:
    """A coding step saved or closed, or an interview deleted, after a restart: Slack is
    answered at once, and the store is not reached before the matcher is loaded (a load on
    the store's thread would hold up every other request behind it)."""
    steps: list[object] = []

    async def scenario() -> None:
        answered = asyncio.Event()

        async def ack(**answer: object) -> None:
            steps.append(("ack", answer))
            answered.set()

        context = AsyncBoltContext(team_id="T1", store=LoggingStore(steps))
        running = asyncio.create_task(listener(ack, context))
        await answered.wait()
        await asyncio.sleep(0.1)  # past MATCHER_WAIT: the store would have been reached
        assert steps == [("ack", {})]
        loads.done.set()
        await running

    asyncio.run(scenario())
    assert steps == [("ack", {}), "store"]


def test_a_type_ahead_while_the_matcher_loads_offers_a_new_theme_and_reads_nothing(
    loads: Loads,
) -> None:
    acked: list[dict] = []

    async def ack(**answer: object) -> None:
        acked.append(answer)

    context = AsyncBoltContext(team_id="T1", store=NoStore())
    body = {"block_id": "coding_1", "value": "setup"}
    asyncio.run(interviews.theme_search(ack=ack, body=body, context=context))
    assert acked == [{"option_groups": interviews.ui.theme_search_groups([])}]
