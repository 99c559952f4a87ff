"""JSON over HTTP for the engine's calls to other parties (the register, the receiving
providers), through aiohttp, with one question answered for every failure: did the request leave?

- `NotSent`: no connection was made (refused, unreachable, no connection within the timeout), so
  the other side cannot have acted on the request;
- `NoAnswer`: it may have been sent, and no whole answer came back (a timeout, a connection cut
  off, a garbled answer): the other side may have acted on it.

A payment leans on that difference (activities.transfer.pay_transfer_value): only a request that
never left may be paid anew under a new key. Error messages name the kind of failure only, never
what was sent or answered (personal data).

Why aiohttp rather than httpx (which the tests and the simulation's door still use): a request
cost the activity worker 1.5-1.8 ms of CPU through httpx (its client layers, httpcore's pool and
the pure-Python h11) against 0.25 ms through aiohttp, whose HTTP parser is C; two requests a case
were 18 % of the activity worker's CPU in bench/wave.py (issue 14). aiohttp does not retry a POST
on a reused connection (only idempotent methods), so a request is sent at most once per call.
"""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy


class NotSent(Exception):
    """No connection was made: the other side cannot have acted on the request."""


class NoAnswer(Exception):
    """The request may have been sent, and no whole answer came back."""


@dataclass(frozen=True)
class JsonAnswer:
    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class JsonHttpClient:
    """POSTs JSON to one base URL and reads the whole answer. Its connections are made in the
    event loop that first uses it (a session belongs to one loop; a loop that ends takes its
    connections with it, so a new loop gets a new session)."""

    def __init__(self, base_url: str, timeout_s: float, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # As httpx had it: a limit on connecting (waiting for a free connection included: NotSent)
        # and on each wait for the answer's next bytes (NoAnswer), none on the whole.
        self._timeout = aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_read=timeout_s)
        self._headers = headers or {}
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
            self._loop = loop
        return self._session

    async def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> JsonAnswer:
        session = self._current_session()
        try:
            async with session.post(
                self.base_url + path, json=body, headers=headers, allow_redirects=False
            ) as response:
                return JsonAnswer(response.status, response.reason or "", response.headers, await response.read())
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            raise NotSent(error.__class__.__name__) from None
        except (aiohttp.ClientError, OSError) as error:  # TimeoutError is an OSError
            raise NoAnswer(error.__class__.__name__) from None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None
