"""The one place bot/ reads the time, so that the demo can play weeks on a virtual clock
through the real handlers. cadence/ never reads it: it is handed `now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _source()


def use(source: Callable[[], datetime]) -> None:
    """Read the time from `source` from now on (the demo's virtual clock)."""
    global _source
    _source = source
