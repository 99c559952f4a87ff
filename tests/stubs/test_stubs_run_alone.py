"""Each stub starts alone as a real HTTP server (uvicorn) from the command line."""

import json
import socket
import subprocess
import sys
import time
from datetime import date

import httpx
import pytest

from register_client.client import RegisterClient


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, limit_s: float = 20) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling a port that is coming up, bounded by the deadline
    pytest.fail(f"nothing listened on {port}")


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(module: str, *args: str) -> int:
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args], stderr=subprocess.PIPE)
        started.append(process)
        wait_until_listening(port, process)
        return port

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


async def test_register_stub_alone(serve, tmp_path):
    spells = tmp_path / "spells.json"
    spells.write_text(json.dumps([{"bsn": "111222333", "provider": "PF-B", "from": "2022-02-01", "to": None}]))
    port = serve("stubs.register", "--spells", str(spells), "--token", "T")
    async with RegisterClient(f"http://127.0.0.1:{port}", "T") as client:
        assert (await client.query("111222333", date(2022, 3, 1))).provider == "PF-B"


async def test_providers_stub_alone(serve, tmp_path):
    profiles = tmp_path / "providers.json"
    profiles.write_text(json.dumps({"PF-B": {"kind": "fund"}}))
    port = serve("stubs.providers", "--profiles", str(profiles))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post(
            "/v1/providers/PF-B/transfers",
            headers={"Idempotency-Key": "k"},
            json={
                "from_provider": "PF-A",
                "case_reference": "C-1",
                "bsn": "111222333",
                "birth_date": "1985-02-14",
                "client_number": "c",
                "amount": "10.00",
                "transfer_date": "2022-04-01",
            },
        )
        assert response.json()["status"] == "accepted"
        assert len((await client.get("/v1/ledger")).json()) == 1
