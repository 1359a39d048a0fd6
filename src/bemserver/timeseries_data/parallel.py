"""Work split in two halves run side by side (two connections, the machine's two cores)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@asynccontextmanager
async def side_by_side(
    items: Sequence[T], work: Callable[[list[T]], Awaitable[Any]]
) -> AsyncIterator[list[asyncio.Task[Any]]]:
    """Tasks running `work` on each non-empty half of `items`, in order. They start at once, so the
    block may do other work before gathering them; when it leaves, by a failure too, those still
    running are cancelled (after a failure, the other half is not needed)."""
    half = (len(items) + 1) // 2
    halves = [list(part) for part in (items[:half], items[half:]) if part]
    tasks = [asyncio.create_task(work(part)) for part in halves]  # type: ignore[arg-type]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
