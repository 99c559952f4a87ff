"""The engine's HTTP client against real sockets: every way a request can fail is sorted into
"never sent" (the other side cannot have acted) or "no answer" (it may have), a POST is sent at
most once per call, and an error never repeats what was sent or answered."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from register_client.http import JsonHttpClient, NoAnswer, NotSent
from stubs.serve import free_port

SECRET = "123456782"  # stands for personal data in a request or an answer

Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter, dict], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> dict:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    return {"line": lines[0], "headers": headers, "body": body}


def respond(status: int, body: bytes, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


@asynccontextmanager
async def server(reply: Reply) -> AsyncIterator[tuple[str, list[dict]]]:
    """A loopback HTTP server that records every request and lets `reply` decide what happens."""
    received: list[dict] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    request = await read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                received.append(request)
                if await reply(reader, writer, request) is False:
                    return
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        listening.close()


def answering(status: int, body: bytes, extra: str = "") -> Reply:
    async def reply(_reader, writer, _request) -> None:
        writer.write(respond(status, body, extra))
        await writer.drain()

    return reply


async def test_an_answer_comes_back_whole_with_what_was_sent_arriving_as_json():
    async with server(answering(201, b'{"status": "accepted"}', "Retry-After: 7\r\n")) as (url, received):
        client = JsonHttpClient(url + "/", 5, headers={"Authorization": "Bearer T"})
        answer = await client.post("/v1/things", {"bsn": SECRET, "amount": "1.00"}, headers={"Idempotency-Key": "K-1"})
        await client.close()
    assert (answer.status, answer.reason, answer.json()) == (201, "Whatever", {"status": "accepted"})
    assert answer.headers["retry-after"] == "7"
    [request] = received
    assert request["line"] == "POST /v1/things HTTP/1.1"
    assert request["headers"]["authorization"] == "Bearer T" and request["headers"]["idempotency-key"] == "K-1"
    assert json.loads(request["body"]) == {"bsn": SECRET, "amount": "1.00"}


async def test_a_refused_connection_was_never_sent():
    client = JsonHttpClient(f"http://127.0.0.1:{free_port()}", 5)  # a port that nobody listens on
    with pytest.raises(NotSent, match="ClientConnectorError"):
        await client.post("/v1/things", {"bsn": SECRET})
    await client.close()


async def test_a_connection_never_accepted_within_the_timeout_was_never_sent():
    """A server whose queue of connections to accept is full drops new ones: connecting hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue; the connects beyond it stay pending
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    client = JsonHttpClient(f"http://127.0.0.1:{port}", 0.5)
    try:
        with pytest.raises(NotSent, match="ConnectionTimeoutError"):
            await client.post("/v1/things", {"bsn": SECRET})
    finally:
        await client.close()
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_server_that_reads_the_request_and_stays_silent_gave_no_answer():
    async def silent(reader, _writer, _request) -> None:
        await reader.read()  # until the client gives up and closes

    async with server(silent) as (url, received):
        client = JsonHttpClient(url, 0.3)
        with pytest.raises(NoAnswer, match="SocketTimeoutError"):
            await client.post("/v1/things", {"bsn": SECRET})
        await client.close()
    assert len(received) == 1


async def test_a_connection_cut_off_after_the_request_gave_no_answer_and_the_request_is_not_sent_again():
    """The first request is answered and its connection kept; the second is read and the
    connection closed without an answer. A POST is never re-sent on a new connection: the
    server saw each request once."""
    answered = 0

    async def once_then_cut(_reader, writer, _request) -> bool:
        nonlocal answered
        if answered:
            return False  # close without answering
        answered += 1
        writer.write(respond(200, b"{}"))
        await writer.drain()
        return True

    async with server(once_then_cut) as (url, received):
        client = JsonHttpClient(url, 5)
        assert (await client.post("/v1/things", {"n": 1})).status == 200
        with pytest.raises(NoAnswer, match="ServerDisconnectedError"):
            await client.post("/v1/things", {"bsn": SECRET})
        await client.close()
    assert [json.loads(request["body"]) for request in received] == [{"n": 1}, {"bsn": SECRET}]


async def test_a_garbled_answer_is_no_answer_and_its_content_is_not_repeated():
    async def garbled(_reader, writer, _request) -> bool:
        writer.write(f"NOT HTTP {SECRET}\r\n\r\n".encode())
        await writer.drain()
        return False

    async with server(garbled) as (url, _received):
        client = JsonHttpClient(url, 5)
        with pytest.raises(NoAnswer) as raised:
            await client.post("/v1/things", {"bsn": SECRET})
        await client.close()
    assert SECRET not in str(raised.value)


async def test_a_client_used_from_a_new_event_loop_connects_anew():
    """A session belongs to the loop that made it (a test, a simulation shard, a worker run)."""
    async with server(answering(200, b"{}")) as (url, _received):
        client = JsonHttpClient(url, 5)
        assert (await client.post("/a", {})).status == 200
        first = client._session

        def in_another_loop() -> tuple[int, object]:
            async def post() -> tuple[int, object]:
                status, session = (await client.post("/a", {})).status, client._session
                await client.close()
                return status, session

            return asyncio.run(post())

        # The server runs in this loop; the other loop waits for it from a thread.
        status, second = await asyncio.to_thread(in_another_loop)
        assert status == 200 and second is not first
        assert first is not None
        await first.close()
