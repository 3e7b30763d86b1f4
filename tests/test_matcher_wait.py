"""A Save that needs the theme matcher while a just-started server still loads it: it waits
MATCHER_WAIT, then says what the form lacks, if anything, or else asks to be pressed again,
with the form kept and nothing stored, rather than answering Slack after its 3 s (Slack
would show the user an error). The load runs once, in a thread no waiter can cancel; one
that failed is tried again by the next Save."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from slack_bolt.async_app import AsyncBoltContext
from sqlmodel import Session

from bot import words
from bot.ids import Input, View
from bot.listeners import codebook, interviews, shared

T = TypeVar("T")


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
