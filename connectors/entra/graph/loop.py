"""One asyncio event loop in one dedicated thread, owning the Graph SDK and its httpx client.

The SDK is async-only and httpx binds its connection pool to the loop that created it, so a loop per call
(`asyncio.run()`) would rebuild the client, its connections and its token cache every time. Synchronous
callers hand coroutines to the loop and block on the answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Runs `coroutine` on the loop and returns its result (or raises its exception) here."""
        if self._closed:
            coroutine.close()
            raise RuntimeError("the Graph client is closed")
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("the Graph client's synchronous API cannot be called from its own loop")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. Ctrl-C while waiting: stop the work on the loop too
            raise

    def stop(self) -> None:
        """Finishes pending async generators and executor work, then ends the thread and closes the loop."""
        if self._closed:
            return
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._drain(), self._loop).result()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    async def _drain(self) -> None:
        await self._loop.shutdown_asyncgens()
        await self._loop.shutdown_default_executor()
