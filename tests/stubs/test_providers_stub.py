import asyncio

import httpx

from models.provider import ProviderProfile
from stubs.providers import create_providers_app

PROFILES = {
    "PF-B": ProviderProfile(kind="fund"),
    "PF-R": ProviderProfile(kind="insurer", accepts=False),
    "PF-D": ProviderProfile.model_validate({"kind": "fund", "down": [["2023-03-01", "2023-03-20"]]}),
}
PAYMENT = {
    "from_provider": "PF-A",
    "case_reference": "C-1",
    "bsn": "111222333",
    "birth_date": "1985-02-14",
    "client_number": "PF-B-abc",
    "amount": "3896.78",
    "transfer_date": "2022-04-01",
}


def http(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://providers")


async def pay(client, provider="PF-B", key="k-1", **changes):
    return await client.post(
        f"/v1/providers/{provider}/transfers", json={**PAYMENT, **changes}, headers={"Idempotency-Key": key}
    )


async def test_a_repeat_returns_the_first_result_and_the_ledger_holds_one_entry():
    app = create_providers_app(PROFILES)
    async with http(app) as client:
        results = await asyncio.gather(*(pay(client) for _ in range(10)))
        ledger = (await client.get("/v1/ledger")).json()
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["receipt_id"] for r in results}) == 1
    assert len(ledger) == 1 and ledger[0]["amount"] == "3896.78" and ledger[0]["bsn_masked"] == "******333"


async def test_refusal_down_unknown_and_conflicts():
    async with http(create_providers_app(PROFILES)) as client:
        refused = await pay(client, provider="PF-R")
        down = await pay(client, provider="PF-D", transfer_date="2023-03-10")
        up_again = await pay(client, provider="PF-D", transfer_date="2023-03-21")
        unknown = await pay(client, provider="PF-X")
        await pay(client, key="k-9")
        conflict = await pay(client, key="k-9", amount="1.00")
        bad = await pay(client, key="k-10", bsn="111222334")
    assert refused.json()["status"] == "refused"
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert up_again.json()["status"] == "accepted"
    assert unknown.status_code == 404 and unknown.json()["error"] == "provider: unknown provider 'PF-X'"
    assert conflict.status_code == 422 and "idempotency_key" in conflict.json()["error"]
    assert bad.status_code == 422 and bad.json()["error"] == "bsn: fails the eleven-test (elfproef)"
