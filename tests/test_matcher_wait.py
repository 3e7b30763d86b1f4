"""A Save that needs the theme matcher while a just-started server still loads it: it waits
MATCHER_WAIT, then asks to be pressed again, with the form kept and nothing stored, rather
than answering Slack after its 3 s (Slack would show the user an error)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import pytest
from slack_bolt.async_app import AsyncBoltContext

from bot import words
from bot.ids import Input, View
from bot.listeners import codebook, interviews, shared


class NoStore:
    async def run(self, *_args: object) -> None:
        raise AssertionError("nothing is read or stored before the matcher is loaded")


@pytest.fixture
def loading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "warm_matcher", lambda: Future())  # a load that never ends
    monkeypatch.setattr(shared, "MATCHER_WAIT", 0.05)


def answer(listener, view: dict) -> list[dict]:
    acked: list[dict] = []

    async def ack(**answer: object) -> None:
        acked.append(answer)

    context = AsyncBoltContext(team_id="T1", store=NoStore())
    body = {"user": {"id": "U1"}, "view": view}
    asyncio.run(listener(ack=ack, body=body, view=view, client=None, context=context))
    return acked


def test_a_summary_saved_while_the_matcher_loads_is_kept_open(loading: None) -> None:
    acked = answer(interviews.summary_submitted, {"callback_id": View.SUMMARY, "state": {}})
    again = words.plain("errors.warming_up")
    assert acked == [{"response_action": "errors", "errors": {Input.INSIGHTS: again}}]


def test_a_merge_saved_while_the_matcher_loads_is_kept_open(loading: None) -> None:
    acked = answer(codebook.changed, {"callback_id": View.MERGE, "state": {}})
    again = words.plain("errors.warming_up")
    assert acked == [{"response_action": "errors", "errors": {Input.INTO: again}}]


def test_the_load_starts_once_and_a_waiter_cannot_cancel_it() -> None:
    shared.warm_matcher.cache_clear()
    first = shared.warm_matcher()
    assert shared.warm_matcher() is first
    assert not first.cancel()
    assert first.result(timeout=60) is shared.matcher()
    assert asyncio.run(shared.matcher_ready())
