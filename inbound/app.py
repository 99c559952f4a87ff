"""The inbound door as an HTTP service: `POST /v1/transfers` with the sender's token as a bearer
token and its `Idempotency-Key`. It answers at once (201 for a new delivery, 200 with the same
answer for a repeat); 401 for no or a bad token, with nothing stored; 403 when the body names
another sender than the token; 422 naming the field for a malformed body or a reused key."""

import hmac

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from config.http_errors import answer_field_errors_plainly
from config.logging import get_logger
from inbound.receive import KeyReused, Receiver
from models.inbound import DeliveryAnswer, TransferPayment


def check_tokens(tokens: dict[str, str]) -> None:
    if not tokens:
        raise ValueError("WKP_INBOUND_TOKENS: the inbound door needs a token per sending provider")
    for sender, token in tokens.items():
        if len(token) < 16 or not token.isprintable() or any(char.isspace() for char in token):
            # The token itself is never printed.
            raise ValueError(f"WKP_INBOUND_TOKENS: the token of {sender} must be 16+ printable characters, no space")


class Unauthorized(Exception):
    """No valid sender token: answered 401 before the body is even read."""


def create_inbound_app(receiver: Receiver, tokens: dict[str, str]) -> FastAPI:
    check_tokens(tokens)
    app = FastAPI(title="wkp inbound door (Besluit 17e.5)", docs_url=None, redoc_url=None)
    answer_field_errors_plainly(app)
    log = get_logger(component="inbound")

    def refused(status: int, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={"error": message})

    @app.exception_handler(Unauthorized)
    async def unauthorized(_request: Request, _error: Unauthorized) -> JSONResponse:
        log.warning("delivery refused", reason="no valid token")
        return refused(401, "a valid sender token is required (Authorization: Bearer …)")

    def sender(authorization: str | None = Header(default=None)) -> str:
        """The provider whose token this is (every token compared, in constant time). A
        dependency: FastAPI solves it before it validates the body."""
        given = (
            (authorization or "").removeprefix("Bearer ").encode()
            if (authorization or "").startswith("Bearer ")
            else b""
        )
        found = None
        for provider, token in tokens.items():
            if given and hmac.compare_digest(given, token.encode()):
                found = provider
        if found is None:
            raise Unauthorized()
        return found

    @app.post("/v1/transfers", response_model=DeliveryAnswer)
    async def deliver(
        payment: TransferPayment,
        from_provider: str = Depends(sender),
        idempotency_key: str = Header(min_length=1, max_length=200),
    ) -> JSONResponse:
        if payment.from_provider != from_provider:
            return refused(403, "from_provider: is not the provider this token belongs to")
        try:
            created, answer = await receiver.receive(from_provider, idempotency_key, payment)
        except KeyReused as reused:
            return refused(422, str(reused))
        log.info(
            "delivery received" if created else "delivery repeated", sender=from_provider, transfer=answer.transfer_id
        )
        return JSONResponse(status_code=201 if created else 200, content=answer.model_dump(mode="json"))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
