"""The drafter of summaries from notes: a language model when LLM_BASE_URL and LLM_MODEL are
set (any OpenAI-compatible chat completions endpoint), else the offline one (cadence).

The model is asked for structured output (`response_format` of type `json_schema`) and its
answer is checked against that schema; a timeout, an error or an answer off the schema gives
the offline draft instead, marked with why. The API key goes in the request's Authorization
header and nowhere else: not in a log line, not in a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncBoltContext

from bot import words
from bot.config import Settings
from cadence.drafting import (
    ANSWER_SCHEMA,
    Draft,
    Drafter,
    InvalidAnswer,
    Notes,
    OfflineDrafter,
    draft_from_answer,
    fell_back,
)

log = logging.getLogger("discovery")
SCHEMA_NAME = "interview_summary"
DRAFTER = "drafter"  # the context key of the drafter, put there for every listener


class ModelError(Exception):
    """The endpoint answered, but not with a chat completion (a status other than 200)."""


class ModelDrafter:
    """Drafts by asking a chat completions endpoint; falls back to the offline drafter."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._api_key = api_key
        self.timeout = timeout

    def __repr__(self) -> str:  # never the key
        return f"ModelDrafter({self.url!r}, {self.model!r})"

    async def draft(self, notes: Notes) -> Draft:
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self.ask(notes)
            return draft_from_answer(answer, notes)
        except TimeoutError:
            why = "timeout"
        except InvalidAnswer:
            why = "invalid"
        except Exception as e:  # any failure: the person still gets a draft
            why = "error"
            log.debug("drafting model failed: %s", type(e).__name__)
        log.warning("drafting model's answer not used (%s): drafted offline", why)
        return fell_back(notes, why)

    def request(self, notes: Notes) -> dict[str, Any]:
        """The chat completion asked for: the prompt from prompts/drafting.j2, the notes, and
        the answer's schema as a strict structured output."""
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": words.plain("drafting.system")},
                {"role": "user", "content": words.plain("drafting.notes", text=notes.text)},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": ANSWER_SCHEMA},
            },
            "temperature": 0,
        }

    async def ask(self, notes: Notes) -> object:
        """The model's answer, parsed from the completion's message; InvalidAnswer when the
        completion holds no JSON (or the model refused)."""
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=self.request(notes), headers=headers) as response,
        ):
            if response.status != 200:
                raise ModelError(response.status)
            completion = await response.json(content_type=None)
        try:
            message = completion["choices"][0]["message"]
            if message.get("refusal"):
                raise InvalidAnswer("refused")
            return json.loads(message["content"])
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise InvalidAnswer("no JSON in the completion") from e


def drafter_for(settings: Settings) -> Drafter:
    """The model when one is configured, else the offline drafter."""
    if not settings.llm_base_url:
        return OfflineDrafter()
    return ModelDrafter(
        settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout
    )


def with_drafter(drafter: Drafter) -> Callable[..., Awaitable[object]]:
    """Middleware that puts the drafter in every listener's context."""

    async def middleware(context: AsyncBoltContext, next: Callable[[], Awaitable]) -> object:
        context[DRAFTER] = drafter
        return await next()

    return middleware


def drafter_of(context: AsyncBoltContext) -> Drafter:
    return context.get(DRAFTER) or OfflineDrafter()
