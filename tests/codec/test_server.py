"""The codec server decodes for callers with a valid token only; the UI's origin may call it."""

import base64
import secrets

import httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from codec.encryption import EncryptionCodec, KeyRing
from codec.server import create_codec_app

TOKEN = "operator-token"
UI = "http://localhost:8233"
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"bsn": "111222333"}')


async def encrypted_body(codec: EncryptionCodec) -> str:
    return json_format.MessageToJson(Payloads(payloads=await codec.encode([PLAIN])))


async def client_and_codec():
    codec = EncryptionCodec(KeyRing({"k1": secrets.token_bytes(32)}, "k1"))
    app = create_codec_app(codec, [TOKEN], [UI])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec"), codec


def decoded_data(response: httpx.Response) -> bytes:
    return json_format.Parse(response.text, Payloads()).payloads[0].data


async def test_decodes_with_a_bearer_token_or_the_path_token():
    client, codec = await client_and_codec()
    body = await encrypted_body(codec)
    async with client:
        with_header = await client.post("/decode", content=body, headers={"Authorization": f"Bearer {TOKEN}"})
        in_path = await client.post(f"/t/{TOKEN}/decode", content=body)
    assert with_header.status_code == in_path.status_code == 200
    assert decoded_data(with_header) == decoded_data(in_path) == PLAIN.data


async def test_refuses_callers_without_a_valid_token():
    client, codec = await client_and_codec()
    body = await encrypted_body(codec)
    async with client:
        answers = [
            await client.post("/decode", content=body),
            await client.post("/decode", content=body, headers={"Authorization": "Bearer guess"}),
            await client.post("/t/guess/decode", content=body),
            await client.post("/encode", content=body),
        ]
    assert [answer.status_code for answer in answers] == [401] * 4
    assert all(
        "111222333" not in answer.text and base64.b64encode(b"111222333").decode() not in answer.text
        for answer in answers
    )


async def test_the_ui_origin_passes_the_preflight_and_others_do_not():
    client, _ = await client_and_codec()
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    async with client:
        allowed = await client.options("/decode", headers={"Origin": UI, **preflight})
        other = await client.options("/decode", headers={"Origin": "http://evil.example", **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == UI
    assert "access-control-allow-origin" not in other.headers


async def test_a_body_that_is_not_payloads_is_refused_with_the_reason():
    client, _ = await client_and_codec()
    async with client:
        answer = await client.post("/decode", content="{not json", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400 and "payloads:" in answer.json()["error"]


async def test_an_empty_or_blank_token_is_refused_at_configuration_and_tokens_match_exactly():
    codec = EncryptionCodec(KeyRing({"k1": secrets.token_bytes(32)}, "k1"))
    for bad in ("", "   ", "\xa0", "two words"):
        try:
            create_codec_app(codec, [TOKEN, bad], [UI])
        except ValueError as error:
            assert "every token must be non-empty" in str(error) and (not bad.strip() or bad not in str(error))
        else:
            raise AssertionError(f"token {bad!r} was accepted")
    client, codec = await client_and_codec()
    body = await encrypted_body(codec)
    async with client:
        for header in (b"Bearer \xa0", b"Bearer ", f"Bearer  {TOKEN}".encode(), f"Bearer {TOKEN} ".encode()):
            response = await client.post("/decode", content=body, headers={"Authorization": header})
            assert response.status_code == 401, header
        ok = await client.post("/decode", content=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


async def test_hostile_requests_get_a_short_refusal_that_repeats_nothing():
    """An oversized body is refused before it is read in full; a malformed or non-UTF-8 body
    gets 400 without its content echoed; the API's documentation is not served."""
    from codec.server import MAX_BODY_BYTES

    client, _codec = await client_and_codec()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with client:
        oversized = await client.post("/decode", content=b"{" + b" " * MAX_BODY_BYTES + b"}", headers=auth)
        malformed = await client.post("/decode", content='{"payloads": "111222333 <script>"}', headers=auth)
        not_utf8 = await client.post("/decode", content=b"\xff\xfe\x00", headers=auth)
        docs = [await client.get(path) for path in ("/docs", "/redoc", "/openapi.json")]
    assert oversized.status_code == 413
    assert malformed.status_code == not_utf8.status_code == 400
    assert "111222333" not in malformed.text and "script" not in malformed.text
    assert all(answer.status_code == 404 for answer in docs)
