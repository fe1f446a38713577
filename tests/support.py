"""Helpers more than one test module needs that are not fixtures."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run `main()` to completion on an event loop of its own, in a thread of its own.

    In the whole suite the browser tests' session-wide Playwright (sync API) keeps an asyncio
    loop running in the main thread, where asyncio.run and anyio.run then refuse to start
    ("cannot be called from a running event loop")."""

    async def call() -> T:
        return await main()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call()).result()
