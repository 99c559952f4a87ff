"""The codec server: the Temporal UI and CLI send it encrypted payloads to read them decoded
(`temporal … --codec-endpoint URL --codec-auth "Bearer TOKEN"`; the UI's codec endpoint).

It decodes only for callers with a valid token, as a bearer token (CLI, or a UI that passes its
users' access tokens) or, for the embedded stack's own UI, in the path (`/t/TOKEN/decode`). A
browser's CORS preflight carries no credentials, so only it passes without a token.
"""

import asyncio
import hmac

from fastapi import FastAPI, Header, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from codec.encryption import EncryptionCodec, UnknownKey, configured_key_ring
from config.logging import get_logger

# The UI sends a page of payloads at a time; far more than that is a mistake or an attack, and
# is refused before it is read (a 50 MB request took 25 s and 1.4 GB before this limit).
MAX_BODY_BYTES = 4 * 1024 * 1024


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def read_body(request: Request) -> bytes:
    """The request body, refused once it passes MAX_BODY_BYTES (by its header or as it streams)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, f"payloads: the request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, f"payloads: the request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    return bytes(body)


def transform_now(codec: EncryptionCodec, body: bytes, decode: bool) -> str:
    """Parse, decrypt or encrypt, and write back: CPU work, run in a thread. An error never
    repeats what was sent (it may be personal data, or a probe)."""
    try:
        payloads = json_format.Parse(body.decode("utf-8"), Payloads())
    except (json_format.ParseError, UnicodeDecodeError, RecursionError):
        raise Refused(400, "payloads: not Temporal's JSON payload form") from None
    try:
        result = (codec.decode_now if decode else codec.encode_now)(list(payloads.payloads))
    except UnknownKey as error:
        raise Refused(422, str(error)) from None
    except Exception:  # a tampered or truncated ciphertext; say nothing about its content
        raise Refused(422, "payloads: cannot be decrypted") from None
    return json_format.MessageToJson(Payloads(payloads=result))


def create_codec_app(codec: EncryptionCodec, tokens: list[str], ui_origins: list[str]) -> FastAPI:
    if not tokens:
        raise ValueError("WKP_CODEC_TOKENS: the codec server needs at least one token")
    if any(not token or not token.isprintable() or any(char.isspace() for char in token) for token in tokens):
        # An empty token (e.g. a token file left empty by an interrupted first start) would let
        # `Authorization: Bearer ` decode everything. The token itself is never printed.
        raise ValueError(
            "WKP_CODEC_TOKENS (or WKP_HOME/codec-token): every token must be non-empty, printable and hold no space"
        )
    app = FastAPI(title="wkp codec server", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=ui_origins,
        allow_methods=["POST", "OPTIONS"],
        allow_credentials=True,
        allow_headers=["Authorization", "Content-Type", "X-Namespace", "Caller-Type"],
    )
    log = get_logger(component="codec-server")

    def valid(token: str | None) -> bool:
        return token is not None and any(hmac.compare_digest(token.encode(), known.encode()) for known in tokens)

    def bearer(authorization: str | None) -> str | None:
        # Compared on its exact bytes: nothing stripped, so "Bearer <no-break space>" is no token.
        if authorization and authorization.startswith("Bearer "):
            return authorization.removeprefix("Bearer ") or None
        return None

    async def transform(request: Request, token: str | None, decode: bool) -> Response:
        if not valid(token):
            log.warning("codec request refused", reason="no valid token", path=request.url.path.split("/")[-1])
            return JSONResponse({"error": "a valid codec token is required"}, status_code=401)
        try:
            # Off the event loop: one large request must not hold up the others.
            answer = await asyncio.to_thread(transform_now, codec, await read_body(request), decode)
        except Refused as refused:
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        return Response(answer, media_type="application/json")

    @app.post("/decode")
    async def decode(request: Request, authorization: str | None = Header(default=None)) -> Response:
        return await transform(request, bearer(authorization), decode=True)

    @app.post("/encode")
    async def encode(request: Request, authorization: str | None = Header(default=None)) -> Response:
        return await transform(request, bearer(authorization), decode=False)

    @app.post("/t/{token}/decode")
    async def decode_with_path_token(token: str, request: Request) -> Response:
        return await transform(request, token, decode=True)

    @app.post("/t/{token}/encode")
    async def encode_with_path_token(token: str, request: Request) -> Response:
        return await transform(request, token, decode=False)

    return app


def main() -> None:
    """`wkp codec-server` and `python -m codec.server`: serve with the configured keys."""
    import uvicorn

    from config.logging import configure_logging
    from config.settings import get_settings

    configure_logging()
    settings = get_settings()
    app = create_codec_app(
        EncryptionCodec(configured_key_ring(settings)), settings.codec_token_list(), settings.ui_origins()
    )
    uvicorn.run(app, host=settings.codec_host, port=settings.codec_port, log_level="warning")


if __name__ == "__main__":
    main()
