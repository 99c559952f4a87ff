"""The receiving side's door in the embedded stack (`wkp up`): another provider's payment to the
engine's own provider id goes through the providers stub to the inbound door, which books it
and starts the incoming case; the worker applies the value and informs the participant. A repeat
gets the first answer; a bad token at the door gets 401."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from models.ids import incoming_workflow_id
from rules.legal_time import amsterdam_date, amsterdam_midnight
from tests.conftest import TEST_CONVERTER, nth_bsn
from tests.legal_day import working_legal_date
from tests.polling import eventually
from workflows.legal_clock import WAKE_AFTER_MIDNIGHT

WKP = str(Path(sys.executable).parent / "wkp")
PAYMENT = {
    "from_provider": "PF-B",
    "case_reference": "B-1",
    "bsn": nth_bsn(950),
    "birth_date": "1988-04-01",
    "client_number": "PF-B-K-1",
    "amount": "1234.56",
    "transfer_date": "2026-12-01",
}


async def test_a_payment_to_the_engine_reaches_its_door_and_the_value_is_applied(tmp_path, stack_env):
    ports, env = stack_env

    def wkp(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([WKP, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)

    try:
        up = wkp("up", "--detach")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "inbound" in up.stdout
        providers = f"http://127.0.0.1:{ports['providers']}"
        door = f"http://127.0.0.1:{ports['inbound']}"
        async with httpx.AsyncClient(timeout=30) as http:
            paid = await http.post(
                f"{providers}/v1/providers/PF-A/transfers", json=PAYMENT, headers={"Idempotency-Key": "B-1-pay"}
            )
            again = await http.post(
                f"{providers}/v1/providers/PF-A/transfers", json=PAYMENT, headers={"Idempotency-Key": "B-1-pay"}
            )
            intruder = await http.post(
                f"{door}/v1/transfers",
                json=PAYMENT,
                headers={"Authorization": "Bearer guessed-token-0123456789", "Idempotency-Key": "x"},
            )
        assert paid.status_code == 200 and paid.json()["status"] == "accepted", paid.text
        transfer_id = paid.json()["receipt_id"]
        assert transfer_id.startswith("IN-PF-B-") and again.json() == paid.json()
        assert intruder.status_code == 401
        tokens = json.loads((Path(env["WKP_HOME"]) / "inbound-tokens.json").read_text())
        assert set(tokens) >= {"PF-B", "PF-C"}  # made once by `wkp up`, 0600
        assert (Path(env["WKP_HOME"]) / "inbound-tokens.json").stat().st_mode & 0o077 == 0

        client = await Client.connect(f"localhost:{ports['temporal']}", data_converter=TEST_CONVERTER)
        handle = client.get_workflow_handle(incoming_workflow_id("PF-A", transfer_id))

        async def outcome() -> str:
            return (await handle.query("status")).get("outcome", "")

        received, applied_on = amsterdam_date(datetime.now(UTC)), working_legal_date()
        if applied_on == received:
            assert await eventually(outcome, lambda found: found == "applied", timeout=90) == "applied"
            result = await handle.result()
            types = [event["type"] for event in result["events"]]
            assert types == ["received", "value_applied", "participant_informed", "closed"], types
        else:
            # The door runs on today's date (it has no test clock): received on a weekend or a
            # public holiday, the value is applied on the next working day (Besluit 17e.5), so
            # the case is booked and waits for that day.
            async def events() -> list[dict]:
                return (await handle.query("status"))["events"]

            booked = await eventually(events, lambda found: len(found) >= 1, timeout=90)
            assert [(event["type"], event["date"]) for event in booked] == [("received", str(received))], booked

            async def timers() -> list:
                history = await handle.fetch_history()
                return [event for event in history.events if event.HasField("timer_started_event_attributes")]

            # the receipt booked, the case sets its timer for the day it applies the value
            timers_set = await eventually(timers, lambda found: len(found) >= 1, timeout=60)
            assert len(timers_set) == 1, timers_set
            started, timeout = (
                timers_set[0].event_time,
                timers_set[0].timer_started_event_attributes.start_to_fire_timeout,
            )
            fires = started.ToDatetime(tzinfo=UTC) + timeout.ToTimedelta()
            assert abs(fires - (amsterdam_midnight(applied_on) + WAKE_AFTER_MIDNIGHT)) < timedelta(seconds=1), fires
            assert await outcome() == "open"  # received, not yet applied
    finally:
        wkp("down")
