"""The pension register stub (Stichting Pensioenregister, PW 51.2; Besluit 17e.3): a real HTTP
service answering "does this BSN accrue pension, and where" as of a date, from accrual spells.

The BSN travels in the request body, never in a URL, so that access logs cannot hold it.
Run alone: `WKP_REGISTER_TOKEN=T python -m stubs.register --spells spells.json --port 8301`.
"""

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from config.http_errors import answer_field_errors_plainly
from models.bsn import Bsn
from models.dates import LegalDate
from models.register import RegisterAnswer, RegisterAnswerKind
from models.scenario import AccrualSpell


class RegisterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bsn: Bsn
    as_of: LegalDate


class RegisterConfig(BaseModel):
    token: str = "register-token"
    capacity_rps: float | None = Field(default=None, gt=0, description="requests per second before 429")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of requests answered 500")
    latency_ms: int = Field(default=0, ge=0)
    seed: int = 0
    down: list[tuple[LegalDate, LegalDate]] = Field(
        default_factory=list, description="legal days (from, to inclusive) the register answers 503"
    )


def down_until(config: RegisterConfig, on: date) -> date | None:
    """The last day of the outage `on` falls in, if any."""
    return next((end for start, end in config.down if start <= on <= end), None)


def bank_account(provider: str) -> str:
    """A stable, clearly fake account number per provider (the stub's own convention)."""
    return "NL00WKPB" + hashlib.sha256(provider.encode()).hexdigest()[:10].upper()


def client_number(provider: str, bsn: str) -> str:
    """The person's client number at a provider: stable, and not revealing the BSN."""
    return f"{provider}-" + hashlib.sha256(f"{provider}:{bsn}".encode()).hexdigest()[:10]


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.updated = rate, rate, time.monotonic()

    def take(self) -> float:
        """0 when a request may pass now, else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RegisterStats(BaseModel):
    received: int = 0
    answered: int = 0
    throttled: int = 0
    failed: int = 0
    answered_at: list[float] = Field(default_factory=list, description="monotonic times of answered queries")


def create_register_app(
    spells: list[AccrualSpell],
    config: RegisterConfig | None = None,
    on_answer: Callable[[RegisterStats], None] | None = None,
) -> FastAPI:
    """`on_answer` is called after each answered query (tests use it to know when to look)."""
    config = config or RegisterConfig()
    app = FastAPI(title="wkp pension register stub")
    by_bsn: dict[str, list[AccrualSpell]] = {}
    for spell in spells:
        by_bsn.setdefault(spell.bsn, []).append(spell)
    bucket = TokenBucket(config.capacity_rps) if config.capacity_rps else None
    chance = random.Random(config.seed)
    stats = RegisterStats()
    app.state.stats = stats

    answer_field_errors_plainly(app)

    async def authorised(authorization: str | None = Header(default=None)) -> None:
        if authorization != f"Bearer {config.token}":
            raise HTTPException(status_code=401, detail="a valid bearer token is required")

    @app.post("/v1/queries", response_model=RegisterAnswer, dependencies=[Depends(authorised)])
    async def query(body: RegisterQuery) -> RegisterAnswer | JSONResponse:
        stats.received += 1
        if bucket is not None:
            wait = bucket.take()
            if wait > 0:
                stats.throttled += 1
                return JSONResponse(
                    status_code=429,
                    content={"error": "capacity exceeded"},
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        outage_end = down_until(config, body.as_of)
        if outage_end is not None:
            stats.failed += 1
            # Back the day after the outage: Retry-After counts from the start of the asked day.
            back_in = (outage_end + timedelta(days=1) - body.as_of).days * 86400
            return JSONResponse(
                status_code=503, content={"error": "register down"}, headers={"Retry-After": str(back_in)}
            )
        if config.error_rate and chance.random() < config.error_rate:
            stats.failed += 1
            return JSONResponse(status_code=500, content={"error": "injected fault"})
        stats.answered += 1
        stats.answered_at.append(time.monotonic())
        if on_answer is not None:
            on_answer(stats)
        return answer_for(by_bsn.get(body.bsn, []), body.bsn, body.as_of)

    @app.get("/v1/stats", response_model=RegisterStats)
    async def read_stats() -> RegisterStats:
        return stats

    return app


def answer_for(spells: list[AccrualSpell], bsn: str, as_of: date) -> RegisterAnswer:
    for spell in spells:
        if spell.from_ <= as_of and (spell.to is None or as_of <= spell.to):
            return RegisterAnswer(
                answer=RegisterAnswerKind.ACCRUING,
                as_of=as_of,
                provider=spell.provider,
                bank_account=bank_account(spell.provider),
                client_number=client_number(spell.provider, bsn),
            )
    return RegisterAnswer(answer=RegisterAnswerKind.NOT_ACCRUING, as_of=as_of)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spells", type=Path, required=True, help="JSON list of accrual spells (bsn, provider, from, to)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8301)
    # The token comes from the environment (WKP_REGISTER_TOKEN), not the command line, where any
    # local user could read it in the process list; --token stays for running the stub by hand.
    parser.add_argument("--token", default=os.environ.get("WKP_REGISTER_TOKEN", RegisterConfig().token))
    parser.add_argument("--capacity-rps", type=float, default=None)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    spells = [AccrualSpell.model_validate(spell) for spell in json.loads(args.spells.read_text())]
    config = RegisterConfig(
        token=args.token, capacity_rps=args.capacity_rps, error_rate=args.error_rate, latency_ms=args.latency_ms
    )
    uvicorn.run(create_register_app(spells, config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
