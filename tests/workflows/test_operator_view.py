"""What an operator sees on a real (dev) server: cases found by every search attribute after it
changed, a one-line memo, and histories that hold no BSN or birth date in clear text, readable
through the codec server only with a token."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from activities.transfer import TransferActivities
from codec.encryption import EncryptionCodec
from codec.server import create_codec_app
from models.ids import case_workflow_id
from models.ledger import ProviderRecord
from models.provider import ProviderProfile
from models.scenario import AccrualSpell
from models.transfer import LegalSettings, OutgoingTransferInput
from register_client.client import RegisterClient, RegisterUnavailable
from rules.legal_time import amsterdam_midnight
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from tests.conftest import TEST_KEY_RING, dev_server, make_case, nth_bsn, sqlite_administration
from tests.polling import eventually
from worker import build_worker
from workflows.outgoing import OutgoingTransferWorkflow

# Each case runs on its own legal clock (a fixed offset each), to be caught in a chosen phase.
CASES = {
    # found on a Saturday: the payment waits for Monday, so the case sits in awaiting_payment
    "P": (make_case(case_id="OV-P", bsn=nth_bsn(900), participation_end=date(2022, 3, 31)), date(2022, 4, 2), None),
    # found on a Monday: paid and closed at once
    "T": (make_case(case_id="OV-T", bsn=nth_bsn(901), participation_end=date(2022, 3, 31)), date(2022, 4, 4), None),
    # not found, and queried after its 17e.1 due date (2022-03-31): a failed attempt and a breach
    "F": (make_case(case_id="OV-F", bsn=nth_bsn(902), participation_end=date(2021, 3, 31)), date(2022, 4, 4), "W3"),
    # the art. 56 cohort, queried long after 2019-12-31 (56.2)
    "A": (make_case(case_id="OV-A", bsn=nth_bsn(903), participation_end=date(2018, 5, 31)), date(2022, 4, 4), "W3"),
}
SPELLS = [
    AccrualSpell.model_validate({"bsn": CASES[k][0].bsn, "provider": "PF-B", "from": "2022-01-01"}) for k in ("P", "T")
]
TOKEN = "operator-token"


class FailsOnceWithTheBsn:
    """The register, except that OV-T's first query fails with its BSN in the message (as a
    register that echoes its request would): the failure goes into the case's history."""

    def __init__(self, register: RegisterClient) -> None:
        self.register, self.failed = register, False

    async def query(self, bsn: str, as_of: date):
        if bsn == CASES["T"][0].bsn and not self.failed:
            self.failed = True
            raise RegisterUnavailable(f"register answered 503 for {bsn}", 1)
        return await self.register.query(bsn, as_of)


async def found(client: Client, query: str) -> set[str]:
    return {
        execution.id.removeprefix(case_workflow_id("PF-A", "OV-")) async for execution in client.list_workflows(query)
    }


@pytest.fixture
async def operator_world(tmp_path, basis):
    admin = sqlite_administration(tmp_path)
    for provider in ("PF-A", "PF-B"):
        await admin.upsert_provider(ProviderRecord(id=provider, kind="fund"))
    async with (
        serving(create_register_app(SPELLS, RegisterConfig(token="T"))) as register_url,
        serving(create_providers_app({"PF-B": ProviderProfile(kind="fund")})) as providers_url,
        RegisterClient(register_url, "T") as register,
        await dev_server() as env,
    ):
        activities = TransferActivities(
            admin, FailsOnceWithTheBsn(register), providers_url, basis, default_funding_ratio=Decimal("1.2")
        )
        async with build_worker(env.client, "operators", activities):
            now = await env.get_current_time()
            for case, legal_date, wave_id in CASES.values():
                await admin.add_case(case)
                offset = amsterdam_midnight(legal_date) + timedelta(hours=10) - now
                await env.client.start_workflow(
                    OutgoingTransferWorkflow.run,
                    OutgoingTransferInput(
                        provider="PF-A",
                        case=case,
                        legal=LegalSettings(clock_offset_s=offset.total_seconds()),
                        wave_id=wave_id,
                    ),
                    id=case_workflow_id("PF-A", case.case_id),
                    task_queue="operators",
                )
            yield env
    await admin.close()


async def test_cases_are_found_by_each_search_attribute_after_it_changed(operator_world):
    client = operator_world.client
    expectations = {
        'WkpPhase = "awaiting_payment"': {"P"},
        'WkpPhase = "closed" AND WkpOutcome = "transferred"': {"T"},
        'WkpPhase = "awaiting_query"': {"F", "A"},  # T and P left this phase: not found here any more
        'WkpReceivingProvider = "PF-B"': {"P", "T"},
        'WkpRegime = "56"': {"A"},
        'WkpRegime = "17e"': {"P", "T", "F"},
        'WkpProvider = "PF-A"': {"P", "T", "F", "A"},
        'WkpWaveId = "W3"': {"F", "A"},
        "WkpFailedAttempts = 1": {"F", "A"},
        'WkpNextDue < "2022-05-01" AND WkpPhase = "awaiting_payment"': {"P"},  # payment due 2022-04-19 (17e.4)
        'WkpNextDueArticle = "17e.2"': {"F", "A"},
        "WkpDeadlineBreached = true": {"F", "A"},
        'WkpBreachedArticles = "17e.1" AND WkpWaveId = "W3"': {"F"},
        'WkpBreachedArticles = "56.2"': {"A"},
    }
    # Visibility is eventually consistent: ask until each answer settles on what is expected.
    answers = {
        query: await eventually(
            lambda query=query: found(client, query), lambda result, expected=expected: result == expected, timeout=30
        )
        for query, expected in expectations.items()
    }
    assert answers == expectations
    described = await client.get_workflow_handle(case_workflow_id("PF-A", "OV-P")).describe()
    summary = await described.memo_value("summary")
    assert summary == "case OV-P · regime 17e · awaiting payment · next: 17e.4 due 2022-04-19 · receiving provider PF-B"


async def test_histories_hold_no_bsn_or_birth_date_and_the_codec_server_reads_them_only_with_a_token(operator_world):
    await asyncio.wait_for(
        operator_world.client.get_workflow_handle(case_workflow_id("PF-A", "OV-T")).result(), timeout=60
    )  # paid and closed
    address = operator_world.client.service_client.config.target_host
    raw_client = await Client.connect(address)  # no codec: what anyone with access to the store sees
    history = await raw_client.get_workflow_handle(case_workflow_id("PF-A", "OV-T")).fetch_history()
    raw = history.to_json()
    case = CASES["T"][0]
    assert len(history.events) > 20  # the whole case: query, payment (with the BSN and birth date), close
    for secret in (case.bsn, case.birth_date.isoformat(), "111222333"):
        assert secret not in raw
    # Its first register query failed with the BSN in the message: stored encrypted, as
    # "Encoded failure", message and stack trace alike.
    # (a retried try is recorded as the last failure on the started event of the try that worked)
    retried = [
        event.activity_task_started_event_attributes
        for event in history.events
        if event.HasField("activity_task_started_event_attributes")
        and event.activity_task_started_event_attributes.attempt > 1
    ]
    assert retried and all(started.last_failure.message == "Encoded failure" for started in retried)
    assert retried[0].last_failure.application_failure_info.type == "RegisterUnavailable"
    started = history.events[0].workflow_execution_started_event_attributes
    body = json_format.MessageToJson(started.input)
    assert b"binary/encrypted" in started.input.payloads[0].metadata["encoding"]

    codec_app = create_codec_app(EncryptionCodec(TEST_KEY_RING), [TOKEN], ["http://localhost:8233"])
    async with serving(codec_app) as codec_url, httpx.AsyncClient(base_url=codec_url) as http:
        refused = await http.post("/decode", content=body)
        decoded = await http.post("/decode", content=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 401 and case.bsn not in refused.text
    assert decoded.status_code == 200
    plain = json_format.Parse(decoded.text, Payloads()).payloads[0].data.decode()
    assert case.bsn in plain and case.birth_date.isoformat() in plain
