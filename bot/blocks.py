"""Block Kit as data: small builders so listeners read as what they show."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.ids import Meta

Block = dict[str, Any]
VALUE = "value"  # the action_id of every input, so reading a view is uniform


TEXT_LIMIT = 3000  # a section's or a context element's text


def mrkdwn(text: str) -> dict[str, Any]:
    """Long user text (a 3000-character hypothesis and conclusion) is cut to Slack's limit."""
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1] + "…"
    return {"type": "mrkdwn", "text": text}


def long_sections(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Escaped text (up to five times its typed length) in parts that each fit a section,
    cut at a space or line break where there is one, never inside an entity like &amp;."""
    parts = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        amp = text.rfind("&", 0, limit)
        if cut <= 0:
            cut = amp if amp > limit - 6 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


def plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str, accessory: dict[str, Any] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text[:150])}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict:
    element: dict[str, Any] = {"type": "button", "text": plain_text(text), "action_id": action_id}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any]) -> Block:
    return {"type": "actions", "elements": list(elements)}


def input_block(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> Block:
    element.setdefault("action_id", VALUE)  # another only where Bolt routes by it (options)
    block = {"type": "input", "block_id": block_id, "label": plain_text(label), "element": element}
    if extra.get("hint"):
        block["hint"] = plain_text(extra["hint"])
    if extra.get("optional"):
        block["optional"] = True
    return block


def text_element(
    initial: str = "", *, multiline: bool = False, max_length: int = 3000, placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain_text(placeholder)
    return element


def option(value: str, text: str, description: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"text": plain_text(text[:75]), "value": value}
    if description:
        found["description"] = plain_text(description[:75])
    return found


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def state_values(view: dict[str, Any]) -> dict[str, str]:
    """Every input of a submitted view as a string, by block_id ('' when left empty or when
    it is not what Slack sends)."""
    found: dict[str, str] = {}
    for block_id, by_action in _dict(_dict(view.get("state")).get("values")).items():
        # An input holds one element: its state is the block's only entry (most under VALUE).
        state = _dict(next(iter(_dict(by_action).values()), None))
        chosen = _dict(state.get("selected_option"))
        ticked = state.get("selected_options")  # checkboxes: the first ticked, if any
        ticked = _dict(ticked[0]) if isinstance(ticked, list) and ticked else {}
        value = (
            state.get("value")
            or chosen.get("value")
            or ticked.get("value")
            or state.get("selected_user")
            or state.get("selected_conversation")
            or state.get("selected_date")
            or state.get("selected_date_time")
            or state.get("selected_time")
            or ""
        )
        found[block_id] = str(value) if isinstance(value, str | int) else ""
    return found


def submission_key(view: dict[str, Any]) -> str | None:
    """The same modal submitted twice (Slack's view id, the same values) gives the same key:
    a Save pressed again after a slow answer stores nothing new."""
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        return None
    values = json.dumps(state_values(view), sort_keys=True)
    return hashlib.sha256(f"{view_id}\n{values}".encode()).hexdigest()[:40]


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The view's private_metadata as the app wrote it; {} when it is anything else."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    submit: str | None,
    close: str,
    meta: Mapping[Meta, Any] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title),
        "close": plain_text(close),
        "blocks": blocks,
        "private_metadata": json.dumps(dict(meta or {})),
    }
    if submit:
        view["submit"] = plain_text(submit)
    return view
