"""Everything the app says comes from the Jinja templates in `prompts/`.

A template file holds macros; `say("help.text", ...)` renders macro `text` of `help.j2` as
mrkdwn, with every interpolated value escaped (&, <, > only) so user text cannot ping or link.
`plain(...)` renders for plain_text fields, which Slack shows verbatim and must not be escaped.
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import prompts

# Bidi embeddings, overrides and isolates: user text must not reorder the app's words.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"}) | _BIDI


def escape_mrkdwn(text: str) -> str:
    """&, < and > as entities, so user text cannot ping or link; bidi controls dropped."""
    return text.translate(_ESCAPES)


def _escape_value(value: Any) -> Any:
    # Output of a nested macro marked `|safe` is already escaped.
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return escape_mrkdwn(value)


def _environment(finalize: Any) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(prompts.__file__).parent),
        autoescape=False,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )


_MRKDWN = _environment(_escape_value)
_PLAIN = _environment(lambda v: v.translate(_BIDI) if isinstance(v, str) else v)


@cache
def _module(env_name: str, file: str) -> Any:
    env = _MRKDWN if env_name == "mrkdwn" else _PLAIN
    return env.get_template(f"{file}.j2").module


def _render(env_name: str, name: str, kwargs: dict[str, Any]) -> str:
    file, _, macro = name.rpartition(".")
    return str(getattr(_module(env_name, file), macro)(**kwargs)).strip()


def say(name: str, /, **kwargs: Any) -> str:
    """Render a macro as mrkdwn, e.g. `say("questions.created", number=3)`."""
    return _render("mrkdwn", name, kwargs)


_SAID: dict[tuple[str, Hashable], str] = {}
SAID_MAX = 4096


def say_as(name: str, key: Hashable, /, **kwargs: Any) -> str:
    """`say`, rendered once per `key`: for lines that are rendered again and again with the
    same content (a list, a Home tab). `key` must hold everything the macro reads."""
    found = _SAID.get((name, key))
    if found is None:
        if len(_SAID) >= SAID_MAX:
            _SAID.clear()
        found = _SAID[(name, key)] = say(name, **kwargs)
    return found


def plain(name: str, /, **kwargs: Any) -> str:
    """Render a macro as plain text (labels, titles, placeholders, notifications)."""
    return _render("plain", name, kwargs)
