"""Async client for the pension register API (Besluit 17e.3).

Failures come in two kinds, so that callers can choose a retry policy per kind:
- `RegisterUnavailable`: 429, 5xx, timeouts, connection errors, an answer that is not a
  register answer — try again later, honouring `retry_after` when the register gave one;
- `RegisterRejected`: any other 4xx — the request itself is wrong; retrying cannot help.
"""

import asyncio
from datetime import date

from pydantic import ValidationError

from models.problems import format_path
from models.register import RegisterAnswer
from register_client.http import JsonAnswer, JsonHttpClient, NoAnswer, NotSent


class RegisterUnavailable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RegisterRejected(Exception):
    pass


def retry_after_seconds(response: JsonAnswer) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_text(response: JsonAnswer) -> str:
    """What a refusal may say of the register's answer: its status only. The body is never
    copied into an error: it ends up in logs and workflow histories, and a register that echoes
    the request would put a BSN there."""
    return response.reason or "no reason given"


# Stay this far below the rate agreed with the register: timing jitter on the way must not
# carry a request over the limit (one too many in a second was measured at the full rate).
RATE_MARGIN = 0.9


class RegisterClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        timeout_s: float = 10.0,
        max_per_second: float | None = None,
    ) -> None:
        """`max_per_second`: the rate agreed with the register. This client then spaces its own
        requests evenly below it (Temporal's task-queue limit caps all workers together, but
        hands out work in bursts)."""
        self._http = JsonHttpClient(base_url, timeout_s, headers={"Authorization": f"Bearer {token}"})
        self._spacing = 1 / (max_per_second * RATE_MARGIN) if max_per_second else 0.0
        self._turn = asyncio.Lock()
        self._next_send = 0.0

    async def _wait_for_turn(self) -> None:
        if not self._spacing:
            return
        async with self._turn:
            loop = asyncio.get_running_loop()
            delay = self._next_send - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing requests to the agreed rate
            self._next_send = max(loop.time(), self._next_send) + self._spacing

    async def __aenter__(self) -> "RegisterClient":
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.close()

    async def query(self, bsn: str, as_of: date) -> RegisterAnswer:
        """Where does this person accrue pension on `as_of`? The BSN goes in the body, not the URL."""
        await self._wait_for_turn()
        try:
            response = await self._http.post("/v1/queries", {"bsn": bsn, "as_of": as_of.isoformat()})
        except (NotSent, NoAnswer) as error:  # a query changes nothing: asking again is safe
            raise RegisterUnavailable(f"register unreachable: {error}") from None
        if response.status == 429 or response.status >= 500:
            raise RegisterUnavailable(
                f"register answered {response.status}: {error_text(response)}", retry_after_seconds(response)
            )
        if response.status >= 400:
            raise RegisterRejected(f"register refused the query ({response.status}): {error_text(response)}")
        try:
            return RegisterAnswer.model_validate_json(response.body)
        except ValidationError as error:
            # Field and rule only: pydantic's own message repeats the value (a BSN, if echoed).
            problems = "; ".join(f"{format_path(e['loc'])}: {e['msg']}" for e in error.errors())
            raise RegisterUnavailable(
                f"register answered {response.status} with no register answer ({problems})"
            ) from None
