"""Signing and verifying work in a thread whose asyncio loop is running (ASGI, browser tests)."""

import asyncio

from vpdt.signing.pdf import outside_event_loop


def test_pyhanko_style_asyncio_run_works_inside_a_running_loop():
    async def inner():
        return 42

    def sync_api():  # what pyHanko's synchronous functions do
        return asyncio.run(inner())

    async def caller():
        return outside_event_loop(sync_api)

    assert asyncio.run(caller()) == 42
    assert outside_event_loop(sync_api) == 42
