"""The inbound door (Besluit 17e.4/17e.5) on SQLite and PostgreSQL, with Temporal's test server
behind it: a delivery repeated ten times at once books one receipt and starts one case, and each
repeat gets the first answer; a bad token gets 401 with nothing stored; a malformed body gets a
422 naming the field (never echoing the BSN); a key used for another transfer is refused."""

import asyncio
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from config.binaries import temporal_test_server
from config.temporal_runtime import quiet_runtime
from inbound.app import create_inbound_app
from inbound.cases import start_incoming_case
from inbound.receive import Receiver
from models.ids import incoming_workflow_id
from models.scenario import IncomingTransfer
from models.transfer import LegalSettings
from store.schema import InboundDelivery, Receipt
from tests.conftest import TEST_CONVERTER, nth_bsn

TOKENS = {"PF-B": "token-of-pf-b-0123456789", "PF-C": "token-of-pf-c-0123456789"}
RECEIVED = date(2026, 12, 2)
BODY = {
    "from_provider": "PF-B",
    "case_reference": "B-77",
    "bsn": nth_bsn(77),
    "birth_date": "1990-07-01",
    "client_number": "K-1234",
    "amount": "2345.67",
    "transfer_date": "2026-12-01",
}


@pytest.fixture(scope="module")
async def temporal():
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server(), data_converter=TEST_CONVERTER, runtime=quiet_runtime()
    ) as env:
        yield env


@pytest.fixture
def own_provider() -> str:
    """The engine's provider id, new for each test: the test server is shared by the module."""
    return f"PF-A{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def door(admin, temporal, own_provider):
    started: list[bool] = []

    async def start_case(transfer: IncomingTransfer) -> None:
        started.append(await start_incoming_case(temporal.client, "no-worker", own_provider, transfer, LegalSettings()))

    receiver = Receiver(admin=admin, provider=own_provider, start_case=start_case, today=lambda: RECEIVED)
    app = create_inbound_app(receiver, TOKENS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://door") as http:
        yield http, started


def headers(token: str | None = TOKENS["PF-B"], key: str | None = "pay-B-77-1") -> dict[str, str]:
    return {
        **({"Authorization": f"Bearer {token}"} if token is not None else {}),
        **({"Idempotency-Key": key} if key is not None else {}),
    }


async def count(admin, table) -> int:
    async with admin.transaction() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_delivery_repeated_ten_times_at_once_books_one_receipt_and_starts_one_case(
    door, admin, temporal, own_provider
):
    http, started = door
    answers = await asyncio.gather(*[http.post("/v1/transfers", json=BODY, headers=headers()) for _ in range(10)])
    assert sorted(answer.status_code for answer in answers) == [200] * 9 + [201]
    assert len({answer.text for answer in answers}) == 1  # every repeat gets the first answer
    first = answers[0].json()
    assert first["status"] == "accepted" and first["received"] == "2026-12-02"
    assert first["transfer_id"].startswith("IN-PF-B-")
    assert (await count(admin, Receipt), await count(admin, InboundDelivery)) == (1, 1)
    assert started.count(True) == 1  # one case started; the other nine found it started
    handle = temporal.client.get_workflow_handle(incoming_workflow_id(own_provider, first["transfer_id"]))
    assert (await handle.describe()).workflow_type == "IncomingSmallPensionTransfer"

    later = await http.post("/v1/transfers", json=BODY, headers=headers())
    assert later.status_code == 200 and later.json() == first
    assert await count(admin, Receipt) == 1


@pytest.mark.parametrize(
    "given",
    [None, "not-a-token", TOKENS["PF-B"] + "x", "", "Basic " + TOKENS["PF-B"]],
    ids=["none", "wrong", "longer", "empty", "not-bearer"],
)
async def test_a_bad_token_gets_401_and_nothing_is_stored(door, admin, given):
    http, started = door
    auth = {} if given is None else {"Authorization": given if given.startswith("Basic") else f"Bearer {given}"}
    answer = await http.post("/v1/transfers", json={"broken": True}, headers={**auth, "Idempotency-Key": "k"})
    assert answer.status_code == 401, answer.text
    assert (await count(admin, InboundDelivery), await count(admin, Receipt), started) == (0, 0, [])


async def test_another_providers_token_cannot_deliver_in_its_name(door, admin):
    http, started = door
    answer = await http.post("/v1/transfers", json=BODY, headers=headers(token=TOKENS["PF-C"]))
    assert answer.status_code == 403 and answer.json()["error"].startswith("from_provider:")
    assert await count(admin, InboundDelivery) == 0 and started == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bsn": "123456789"}, "bsn: fails the eleven-test"),
        ({"amount": "12.345"}, "amount:"),
        ({"amount": "-5.00"}, "amount:"),
        ({"birth_date": "1990-02-30"}, "birth_date:"),
        ({"surprise": "x"}, "surprise:"),
        ({"client_number": None}, "client_number:"),
    ],
)
async def test_a_malformed_body_names_the_field(door, admin, change, field):
    http, started = door
    body = {key: value for key, value in {**BODY, **change}.items() if value is not None}
    answer = await http.post("/v1/transfers", json=body, headers=headers())
    assert answer.status_code == 422 and field in answer.json()["error"], answer.text
    assert "123456789" not in answer.text and BODY["bsn"] not in answer.text
    assert await count(admin, InboundDelivery) == 0 and started == []


async def test_a_missing_idempotency_key_is_named(door):
    http, _ = door
    answer = await http.post("/v1/transfers", json=BODY, headers=headers(key=None))
    assert answer.status_code == 422 and "idempotency-key" in answer.json()["error"].lower()


async def test_a_key_used_for_another_transfer_is_refused_and_the_first_stands(door, admin):
    http, started = door
    first = await http.post("/v1/transfers", json=BODY, headers=headers())
    other = await http.post("/v1/transfers", json={**BODY, "amount": "9999.99"}, headers=headers())
    assert first.status_code == 201 and other.status_code == 422
    assert other.json()["error"] == "Idempotency-Key: was used before for another transfer"
    assert await count(admin, Receipt) == 1 and started.count(True) == 1
