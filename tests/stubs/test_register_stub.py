from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest

from models.register import RegisterAnswerKind
from models.scenario import AccrualSpell
from register_client.client import RegisterClient, RegisterRejected, RegisterUnavailable
from stubs.register import RegisterConfig, bank_account, create_register_app
from stubs.serve import serving

SPELLS = [
    AccrualSpell.model_validate({"bsn": "111222333", "provider": "PF-B", "from": "2022-02-01", "to": "2023-12-31"}),
    AccrualSpell.model_validate({"bsn": "111222333", "provider": "PF-C", "from": "2024-03-01", "to": None}),
]


@asynccontextmanager
async def client_for(app, token="register-token") -> AsyncIterator[RegisterClient]:
    """The stub served on a loopback port, and the engine's register client talking to it."""
    async with serving(app) as url, RegisterClient(url, token) as client:
        yield client


@pytest.mark.parametrize(
    ("as_of", "provider"),
    [
        (date(2022, 1, 31), None),
        (date(2022, 2, 1), "PF-B"),
        (date(2023, 12, 31), "PF-B"),
        (date(2024, 1, 1), None),
        (date(2030, 1, 1), "PF-C"),
    ],
)
async def test_answers_follow_the_accrual_spells(as_of, provider):
    async with client_for(create_register_app(SPELLS)) as client:
        answer = await client.query("111222333", as_of)
    assert answer.as_of == as_of and answer.provider == provider
    if provider:
        assert answer.answer is RegisterAnswerKind.ACCRUING and answer.bank_account == bank_account(provider)
        assert answer.client_number.startswith(provider) and "111222333" not in answer.client_number
    else:
        assert answer.answer is RegisterAnswerKind.NOT_ACCRUING


async def test_someone_unknown_to_the_register_does_not_accrue():
    async with client_for(create_register_app(SPELLS)) as client:
        assert (await client.query("123456782", date(2022, 5, 1))).answer is RegisterAnswerKind.NOT_ACCRUING


async def test_a_bad_bsn_is_refused_not_retryable_and_its_answer_is_not_copied():
    """The register's body is never copied into the error (it could echo the BSN into logs and
    histories): the status says enough to stop retrying."""
    async with client_for(create_register_app(SPELLS)) as client:
        with pytest.raises(RegisterRejected, match="422") as refused:
            await client.query("111222334", date(2022, 5, 1))
    assert "111222334" not in str(refused.value) and "eleven" not in str(refused.value)


async def test_without_the_token_the_register_refuses():
    async with client_for(create_register_app(SPELLS), token="wrong") as client:
        with pytest.raises(RegisterRejected, match="401"):
            await client.query("111222333", date(2022, 5, 1))


async def test_beyond_capacity_429_with_retry_after_is_retryable():
    app = create_register_app(SPELLS, RegisterConfig(capacity_rps=2))
    async with client_for(app) as client:
        await client.query("111222333", date(2022, 5, 1))
        await client.query("111222333", date(2022, 5, 1))
        with pytest.raises(RegisterUnavailable) as caught:
            await client.query("111222333", date(2022, 5, 1))
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    assert app.state.stats.throttled == 1 and app.state.stats.answered == 2


async def test_injected_faults_are_retryable():
    app = create_register_app(SPELLS, RegisterConfig(error_rate=1.0))
    async with client_for(app) as client:
        with pytest.raises(RegisterUnavailable, match="500"):
            await client.query("111222333", date(2022, 5, 1))


async def test_an_unreachable_register_is_retryable():
    async with RegisterClient("http://127.0.0.1:9", "t", timeout_s=1) as client:
        with pytest.raises(RegisterUnavailable, match="unreachable"):
            await client.query("111222333", date(2022, 5, 1))


async def test_a_down_period_answers_503_until_the_day_it_is_back():
    config = RegisterConfig(down=[(date(2023, 4, 1), date(2023, 4, 24))])
    async with client_for(create_register_app(SPELLS, config)) as client:
        with pytest.raises(RegisterUnavailable) as down:
            await client.query("111222333", date(2023, 4, 20))
        assert down.value.retry_after == 5 * 86400  # back on 25 April
        assert (await client.query("111222333", date(2023, 4, 25))).provider == "PF-B"
