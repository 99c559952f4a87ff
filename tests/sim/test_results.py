"""Reading a simulation's results: the status query of an open case that the time-skipping test
server lost is asked again; any other failure is not."""

from datetime import timedelta

import pytest
from temporalio.service import RPCError, RPCStatusCode

from sim import results


class Handle:
    """A workflow handle whose `status` query fails with the given errors before it answers."""

    def __init__(self, *errors: RPCError) -> None:
        self.errors = list(errors)
        self.timeouts: list[timedelta] = []

    async def query(self, name: str, result_type: type, rpc_timeout: timedelta) -> str:
        assert name == "status"
        self.timeouts.append(rpc_timeout)
        if self.errors:
            raise self.errors.pop(0)
        return "answered"


def lost() -> RPCError:
    return RPCError("Timeout expired", RPCStatusCode.CANCELLED, b"")


async def test_a_lost_status_query_is_asked_again_with_a_short_wait():
    handle = Handle(lost(), lost())
    assert await results.query_status(handle, str) == "answered"  # type: ignore[arg-type]
    assert handle.timeouts == [results.QUERY_TRY] * 3


async def test_a_query_lost_every_time_fails_after_a_minute_in_all():
    handle = Handle(*[lost() for _ in range(results.QUERY_TRIES)])
    with pytest.raises(RPCError):
        await results.query_status(handle, str)  # type: ignore[arg-type]
    assert sum(handle.timeouts, timedelta()) == timedelta(minutes=1)


async def test_a_query_the_server_refused_is_not_asked_again():
    handle = Handle(RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b""))
    with pytest.raises(RPCError, match="not found"):
        await results.query_status(handle, str)  # type: ignore[arg-type]
    assert len(handle.timeouts) == 1
