"""The model drafter (bot/drafting.py) against a local fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ConfigError, load
from bot.drafting import ModelDrafter, drafter_for
from bot.sandbox.fake_llm import API_KEY, MODEL, FakeLLM, answer_of
from cadence.drafting import OfflineDrafter, draft_offline, prepare

NOTES = prepare((Path(__file__).parent / "data" / "notes" / "d06_restaurant_slack.txt").read_text())


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLM]:
    fake = FakeLLM().start()
    yield fake
    fake.stop()


@pytest.fixture
def llm(server: FakeLLM) -> Iterator[FakeLLM]:
    server.reset()
    yield server
    assert not server.violations, server.violations


def drafter(llm: FakeLLM, timeout: float = 10) -> ModelDrafter:
    return ModelDrafter(llm.base_url, MODEL, API_KEY, timeout)


def test_a_valid_answer_is_the_draft_and_the_request_is_as_asked(llm):
    llm.answer = answer_of(
        interviewee="Dev",
        company="Saffron Street",
        quote="every monday is a guessing game",
        insights=["Stock is counted on paper"],
        struggling_moments=["Ran out of basmati on a Friday"],
    )
    draft = asyncio.run(drafter(llm).draft(NOTES))
    assert draft.by_model and not draft.fallback
    assert draft.who() == "Dev (Saffron Street)"
    assert draft.parts["struggling_moments"] == ("Ran out of basmati on a Friday",)
    (request,) = llm.requests
    messages = request["body"]["messages"]
    assert "struggling_moments" in messages[0]["content"]  # the article's parts, explained
    assert "ran out of basmati" in messages[1]["content"]  # the notes themselves


@pytest.mark.parametrize("mode", ["invalid", "garbage", "failing"])
def test_an_unusable_answer_falls_back_to_the_offline_draft(llm, mode, caplog):
    llm.mode = mode
    with caplog.at_level(logging.DEBUG, logger="discovery"):
        draft = asyncio.run(drafter(llm).draft(NOTES))
    assert not draft.by_model
    assert draft.fallback == ("error" if mode == "failing" else "invalid")
    assert draft.quote == draft_offline(NOTES).quote
    assert API_KEY not in caplog.text


def test_a_slow_answer_falls_back_at_the_timeout(llm):
    llm.mode, llm.delay = "slow", 3
    started = time.monotonic()
    draft = asyncio.run(drafter(llm, timeout=0.5).draft(NOTES))
    assert time.monotonic() - started < 2
    assert draft.fallback == "timeout" and not draft.by_model


def test_no_endpoint_listening_falls_back():
    closed = ModelDrafter("http://127.0.0.1:9/v1", MODEL, API_KEY, 2)
    assert asyncio.run(closed.draft(NOTES)).fallback == "error"


def test_the_key_is_not_in_the_drafter_or_the_settings_shown():
    settings = load(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "LLM_BASE_URL": "http://127.0.0.1:1/v1",
            "LLM_MODEL": MODEL,
            "LLM_API_KEY": API_KEY,
        }
    )
    model = drafter_for(settings)
    assert isinstance(model, ModelDrafter) and model.timeout == 10
    assert API_KEY not in repr(model) and API_KEY not in repr(settings)


def test_settings_without_a_model_draft_offline_and_half_a_model_is_refused():
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert isinstance(drafter_for(load(base)), OfflineDrafter)
    with pytest.raises(ConfigError, match="LLM_MODEL"):
        load({**base, "LLM_BASE_URL": "http://127.0.0.1:1/v1"})
    with pytest.raises(ConfigError, match="LLM_BASE_URL"):
        load({**base, "LLM_API_KEY": API_KEY})
    with pytest.raises(ConfigError, match="malformed") as refused:
        load({**base, "LLM_BASE_URL": "ftp://x", "LLM_MODEL": "m", "LLM_API_KEY": API_KEY})
    assert API_KEY not in str(refused.value)


def test_the_fake_refuses_a_request_off_the_api(llm):
    wrong = ModelDrafter(llm.base_url, "other-model", "sk-wrong", 10)
    asyncio.run(wrong.draft(NOTES))
    assert llm.violations == ["no bearer key", "model 'other-model'"]
    llm.violations.clear()
