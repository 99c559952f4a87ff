"""Serve an ASGI app on a free loopback port inside the running event loop (simulation, tests)."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

STARTUP_LIMIT_S = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serving(app, port: int | None = None) -> AsyncIterator[str]:
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_LIMIT_S):
            while not server.started:
                if task.done():
                    task.result()  # raises what stopped the server
                await asyncio.sleep(0.01)  # uvicorn offers no start event; bounded by the timeout
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
