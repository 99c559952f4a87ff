"""Waiting for something the engine does on its own time (a visibility index, a flush to the
administration, a retry): ask again until the answer is right, within a limit. Never a sleep
that hopes the work is done."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
POLL_INTERVAL_S = 0.25


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 60) -> T:
    """The first answer of `probe()` that is `done`, or the last one when `timeout` ran out
    (so the test's own assertion shows what was found)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not done(answer := await probe()) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(POLL_INTERVAL_S)
    return answer
