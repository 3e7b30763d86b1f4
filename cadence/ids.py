"""Values that arrive from Slack as text, checked before they reach a query or a column.

Slack sends ids and numbers as strings, and anyone who can sign a request can send any
string: "²" passes str.isdigit() but not int(), and a 30-digit number overflows PostgreSQL's
integer columns. Everything the core parses goes through here.
"""

from __future__ import annotations

import re
from typing import Any

MAX_ID = 2**31 - 1  # an INTEGER column on PostgreSQL
SLACK_ID_LENGTH = 32  # the columns that hold team, user and channel ids
_SLACK_ID = re.compile(r"^[A-Z0-9]{1,32}$")


def number(value: Any) -> int | None:
    """A positive whole number that fits an integer column, from text or an int; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    n = int(text)
    return n if 0 < n <= MAX_ID else None


def is_slack_id(value: Any) -> bool:
    """A Slack team, user or channel id such as U012ABCDEF, within its column's length."""
    return isinstance(value, str) and bool(_SLACK_ID.match(value))
