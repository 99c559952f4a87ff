"""The other providers as one HTTP service: each accepts a transfer value (Besluit 17e.4) with
an idempotency key — a repeat returns the first result — or refuses, or is down (503).

Run alone: `python -m stubs.providers --profiles providers.json --port 8302`.
"""

import argparse
import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

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


def create_providers_app(
    profiles: dict[str, ProviderProfile], latency_ms: int = 0, on_entry: Callable[[LedgerEntry], None] | None = None
) -> FastAPI:
    """`latency_ms` delays every answer (to have payments in flight in tests); `on_entry` is
    called for each new ledger entry."""
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
    args = parser.parse_args()
    profiles = {
        key: ProviderProfile.model_validate(value) for key, value in json.loads(args.profiles.read_text()).items()
    }
    uvicorn.run(create_providers_app(profiles, args.latency_ms), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
