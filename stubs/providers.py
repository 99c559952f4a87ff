"""The other providers as one HTTP service: each accepts a transfer value (Besluit 17e.4) with
an idempotency key — a repeat returns the first result — or refuses, or is down (503).

Run alone: `python -m stubs.providers --profiles providers.json --port 8302`.
"""

import argparse
import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from config.http_errors import answer_field_errors_plainly
from models.bsn import mask_bsn
from models.inbound import TransferPayment
from models.money import Money
from models.provider import ProviderProfile

DOWN_RETRY_AFTER_S = 5


class TransferResult(BaseModel):
    status: str = Field(description="accepted | refused")
    receipt_id: str | None = None
    reason: str | None = None


class LedgerEntry(BaseModel):
    idempotency_key: str
    provider: str
    from_provider: str
    case_reference: str
    bsn_masked: str
    amount: Money
    transfer_date: date
    status: str
    received_at: datetime


def is_down(profile: ProviderProfile, on: date) -> bool:
    return any(period.start <= on <= period.end for period in profile.down)


@dataclass(frozen=True)
class Forward:
    """Payments addressed to the engine's own provider go to its inbound door, as the sending
    provider would deliver them: with that provider's token and the same idempotency key."""

    provider: str  # the engine's own provider id
    url: str  # the door, e.g. http://127.0.0.1:8304
    tokens: dict[str, str]  # sending provider -> its token at the door


async def forward(target: Forward, payment: TransferPayment, idempotency_key: str) -> TransferResult | JSONResponse:
    token = target.tokens.get(payment.from_provider)
    if token is None:
        return TransferResult(status="refused", reason=f"{payment.from_provider} has no token at the inbound door")
    try:
        async with httpx.AsyncClient(base_url=target.url, timeout=10) as http:
            answer = await http.post(
                "/v1/transfers",
                json=payment.model_dump(mode="json"),
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key},
            )
    except httpx.HTTPError:
        return JSONResponse(status_code=503, content={"error": f"{target.provider} is down"})
    if answer.status_code in (200, 201):
        return TransferResult(status="accepted", receipt_id=answer.json()["transfer_id"])
    if answer.status_code >= 500:
        return JSONResponse(status_code=503, content={"error": f"{target.provider} is down"})
    return TransferResult(status="refused", reason=answer.json().get("error", f"answered {answer.status_code}"))


def create_providers_app(
    profiles: dict[str, ProviderProfile],
    latency_ms: int = 0,
    on_entry: Callable[[LedgerEntry], None] | None = None,
    forward_to: Forward | None = None,
) -> FastAPI:
    """`latency_ms` delays every answer (to have payments in flight in tests); `on_entry` is
    called for each new ledger entry; `forward_to` sends the engine's own payments to its door."""
    app = FastAPI(title="wkp other-providers stub")
    ledger: list[LedgerEntry] = []
    first_results: dict[tuple[str, str], tuple[TransferPayment, TransferResult]] = {}
    lock = asyncio.Lock()
    app.state.ledger = ledger

    answer_field_errors_plainly(app)

    @app.post("/v1/providers/{provider_id}/transfers", response_model=TransferResult)
    async def receive(
        provider_id: str, payment: TransferPayment, idempotency_key: str = Header(min_length=1, max_length=200)
    ) -> TransferResult | JSONResponse:
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        if forward_to is not None and provider_id == forward_to.provider:
            return await forward(forward_to, payment, idempotency_key)
        profile = profiles.get(provider_id)
        if profile is None:
            return JSONResponse(status_code=404, content={"error": f"provider: unknown provider {provider_id!r}"})
        async with lock:
            earlier = first_results.get((provider_id, idempotency_key))
            if earlier is not None:
                if earlier[0] != payment:
                    return JSONResponse(
                        status_code=422, content={"error": "idempotency_key: used before for another payment"}
                    )
                return earlier[1]
            if is_down(profile, payment.transfer_date):
                return JSONResponse(
                    status_code=503,
                    content={"error": f"{provider_id} is down"},
                    headers={"Retry-After": str(DOWN_RETRY_AFTER_S)},
                )
            if profile.accepts:
                result = TransferResult(status="accepted", receipt_id=f"{provider_id}-R{len(ledger) + 1:07d}")
            else:
                result = TransferResult(status="refused", reason="does not accept automatic small-pension transfers")
            first_results[(provider_id, idempotency_key)] = (payment, result)
            entry = LedgerEntry(
                idempotency_key=idempotency_key,
                provider=provider_id,
                from_provider=payment.from_provider,
                case_reference=payment.case_reference,
                bsn_masked=mask_bsn(payment.bsn),
                amount=payment.amount,
                transfer_date=payment.transfer_date,
                status=result.status,
                received_at=datetime.now(UTC),
            )
            ledger.append(entry)
            if on_entry is not None:
                on_entry(entry)
            return result

    @app.get("/v1/ledger", response_model=list[LedgerEntry])
    async def read_ledger() -> list[LedgerEntry]:
        return ledger

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", type=Path, required=True, help="JSON object: provider id -> {kind, accepts, down}"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8302)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--forward-provider", help="the engine's own provider id: its payments go to --forward-url")
    parser.add_argument("--forward-url", help="the engine's inbound door (tokens from WKP_INBOUND_TOKENS)")
    args = parser.parse_args()
    profiles = {
        key: ProviderProfile.model_validate(value) for key, value in json.loads(args.profiles.read_text()).items()
    }
    target = None
    if args.forward_provider and args.forward_url:
        # The senders' tokens come from the environment, never the command line.
        tokens = json.loads(os.environ.get("WKP_INBOUND_TOKENS") or "{}")
        target = Forward(provider=args.forward_provider, url=args.forward_url, tokens=tokens)
    app = create_providers_app(profiles, args.latency_ms, forward_to=target)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
