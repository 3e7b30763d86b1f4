"""The store: the synchronous domain and database code, run off the event loop on a thread of
its own, one transaction a call (or, for `read`, one statement outside any); and the backlog
of work accepted after Slack's answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from cadence.db import make_reader, session

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741
Grouped = tuple[Callable[..., list], object, asyncio.Future]  # `many`, an item, its result

# Interactions answered and not yet done, past which a new one gets "busy" at once: at a few
# milliseconds each, the last of them is done well within a second.
BACKLOG = 64


class Store:
    """Runs `fn(session, ...)` on the store's thread: the core flushes, the store commits
    once `fn` returns."""

    def __init__(self, engine: sa.Engine, backlog: int = BACKLOG) -> None:
        self.engine = engine
        self._reader = make_reader(engine)
        # One thread: more of them running Python only fight the event loop for the GIL and
        # delay the answers to Slack, and the loop itself must not wait on the database
        # (both measured, on SQLite and PostgreSQL: bench/README.md).
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="store")
        self.backlog = backlog
        self.pending = 0  # interactions between their answer and their last reply
        # Answers a listener keeps between requests, each with what it rests on (a list's,
        # by workspace, with its cadence.questions.Stamp): one database, one Store.
        self.kept: dict[str, Any] = {}
        self._grouped: list[Grouped] = []
        self._committer: asyncio.Task | None = None

    async def run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        def work() -> T:
            with session(self.engine) as s:
                result = fn(s, *args, **kwargs)
                s.commit()
                return result

        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(connection, ...)` on the store's thread, outside any transaction: a read of
        one statement that spares one (cadence.db.make_reader)."""

        def work() -> T:
            with self._reader.connect() as c:
                return fn(c, *args)

        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    async def grouped(self, many: Callable[[Session, list[I]], list[T]], item: I) -> T:
        """`many(session, items)` over the items of every call made meanwhile, in one
        transaction (a group commit: concurrent small writes cost a statement and a
        transaction together, not one each); this item's result once it is committed. When
        the group fails, each of its items runs alone, so a failing one fails alone."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._grouped.append((many, item, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_grouped())
        return await future

    async def _commit_grouped(self) -> None:
        while self._grouped:
            group, self._grouped = self._grouped, []
            await self._commit(group)

    async def _commit(self, group: list[Grouped]) -> None:
        by_fn: dict[Callable, list[Grouped]] = {}
        for call in group:
            by_fn.setdefault(call[0], []).append(call)

        def work(s: Session) -> list[object]:
            return [r for many, calls in by_fn.items() for r in many(s, [c[1] for c in calls])]

        try:
            results = await self.run(work)
        except Exception as e:
            if len(group) > 1:
                for call in group:
                    await self._commit([call])
            elif not group[0][2].done():
                group[0][2].set_exception(e)
            return
        calls = [call for calls in by_fn.values() for call in calls]
        for (_many, _item, future), result in zip(calls, results, strict=True):
            if not future.done():  # its caller may have been cancelled
                future.set_result(result)

    @property
    def busy(self) -> bool:
        """Too much accepted work not yet done: new interactions should wait a moment."""
        return self.pending >= self.backlog

    @contextlib.contextmanager
    def interaction(self) -> Iterator[None]:
        """Counts an interaction from its answer to its last reply, for `busy`."""
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1
